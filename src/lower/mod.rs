//! Stage 2: KDL document → typed `Lab`. `shape` reports everything malformed first; the
//! per-section modules then read values and apply every default of the language, in one place.

mod addons;
mod auth;
mod cluster;
mod nodes;
mod read;
pub mod shape;
mod storage;

use kdl::{KdlDocument, KdlNode};

use crate::diagnostic::{Diagnostic, Span};
use crate::model::Lab;
use crate::vocabulary::DOCUMENT;

/// Lowers a document. Returns the model only when nothing was wrong with the document's shape.
pub fn lower(document: &KdlDocument) -> (Option<Lab>, Vec<Diagnostic>) {
    let mut diagnostics = shape::validate(document, &DOCUMENT, None);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (None, diagnostics);
    }
    let top = |name: &'static str| top_level(document, name);
    let hardware = nodes::lower_hardware(top("hardware"));
    let (nodes, node_diagnostics) = nodes::lower_nodes(top("node"), &hardware);
    diagnostics.extend(node_diagnostics);
    let cni = addons::lower_cni(top("cni").next());
    let auth = top("auth").next().map(|node| auth::lower_auth(node, &mut diagnostics));
    let lab = (|| {
        let cluster = cluster::lower_cluster(top("cluster").next()?)?;
        let gitops = top("gitops").next().and_then(|node| auth::lower_gitops(node, &cluster.name));
        Some(Lab {
            cluster,
            network: cluster::lower_network(top("network").next()?)?,
            kube_proxy: addons::lower_kube_proxy(top("kube-proxy").next(), &cni),
            cni,
            load_balancer: top("load-balancer").next().and_then(addons::lower_load_balancer),
            ingress: top("ingress").next().map(addons::lower_ingress),
            storage: storage::lower_storage(top("storage").next()),
            auth,
            users: auth::lower_users(top("access").next()),
            registries: top("registry").filter_map(auth::lower_registry).collect(),
            gitops,
            hardware,
            nodes: nodes?,
            sources: sources(document),
        })
    })();
    if diagnostics.iter().any(Diagnostic::is_error) {
        return (None, diagnostics);
    }
    (lab, diagnostics)
}

/// Top-level nodes called `name`.
fn top_level<'a>(document: &'a KdlDocument, name: &'static str) -> impl Iterator<Item = &'a KdlNode> {
    document.nodes().iter().filter(move |n| n.name().value() == name)
}

/// Top-level nodes that always exist as graph sources, written or defaulted.
const SINGLETON_SOURCES: &[&str] =
    &["cluster", "network", "cni", "kube-proxy", "load-balancer", "ingress", "storage", "auth", "access", "gitops"];

/// Graph sources: singletons by name, repeatable nodes as `name "arg"`, and `storage` children
/// as `storage.ceph` / `storage.nfs "name"`.
fn sources(document: &KdlDocument) -> Vec<(String, Option<Span>)> {
    let mut sources: Vec<(String, Option<Span>)> = SINGLETON_SOURCES
        .iter()
        .map(|name| (name.to_string(), top_level(document, name).next().map(KdlNode::span)))
        .collect();
    for node in document.nodes() {
        if let Some(id) = repeatable_identity(node, "") {
            if node.name().value() == "node" {
                for nic in
                    node.children().map(|c| c.nodes()).unwrap_or_default().iter().filter(|n| n.name().value() == "nic")
                {
                    let name = read::arg(nic, 0).and_then(|e| e.value().as_string()).unwrap_or_default();
                    sources.push((format!("{id} nic \"{name}\""), Some(nic.span())));
                    let address = read::prop(nic, "ip").map_or(nic.span(), |e| e.span());
                    sources.push((format!("{id} nic \"{name}\" ip"), Some(address)));
                }
            }
            sources.push((id, Some(node.span())));
        }
        if node.name().value() == "storage" {
            for child in node.children().map(|c| c.nodes()).unwrap_or_default() {
                let id = repeatable_identity(child, "storage.")
                    .unwrap_or_else(|| format!("storage.{}", child.name().value()));
                sources.push((id, Some(child.span())));
            }
        }
    }
    sources
}

/// `node "node1"` for nodes that may repeat and are told apart by their first argument.
fn repeatable_identity(node: &KdlNode, prefix: &str) -> Option<String> {
    const REPEATABLE: &[&str] = &["node", "hardware", "registry", "nfs"];
    let name = node.name().value();
    let first = read::arg(node, 0)?.value().as_string()?;
    REPEATABLE.contains(&name).then(|| format!("{prefix}{name} \"{first}\""))
}
