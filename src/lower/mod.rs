//! Stage 2: KDL document → typed `Lab`. `shape` reports everything malformed first; the
//! per-section modules then read values and apply every default of the language, in one place.
//! Files the document names (values files, layer directories) are read here, through `Source`.

mod addons;
mod auth;
mod cluster;
mod customisation;
pub mod facts;
mod layers;
mod nodes;
mod read;
pub mod shape;
mod storage;

use kdl::{KdlDocument, KdlNode};

use crate::diagnostic::{Diagnostic, Span};
use crate::model::{GitOps, Lab, SourceId};
use crate::source::Source;
use crate::vocabulary::DOCUMENT;

/// Lowers a document. Returns the model only when nothing was wrong with the document's shape.
pub fn lower(document: &KdlDocument, source: &Source) -> (Option<Lab>, Vec<Diagnostic>) {
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
    let releases = top("release").filter_map(|n| customisation::lower_release(n, source, &mut diagnostics)).collect();
    let layers = top("gitops").next().map(|n| layers::lower_layers(n, source, &mut diagnostics));
    let lab = (|| {
        let cluster = cluster::lower_cluster(top("cluster").next()?)?;
        let gitops = top("gitops").next().and_then(|node| auth::lower_gitops(node, &cluster.name));
        let gitops = gitops.map(|gitops| GitOps { layers: layers.unwrap_or_default(), ..gitops });
        let nodes = nodes?;
        let storage = storage::lower_storage(top("storage").next());
        Some(Lab {
            facts: facts::facts(&cluster, &nodes, storage.ceph.as_ref()),
            cluster,
            network: cluster::lower_network(top("network").next()?)?,
            kube_proxy: addons::lower_kube_proxy(top("kube-proxy").next(), &cni),
            cni,
            load_balancer: top("load-balancer").next().and_then(addons::lower_load_balancer),
            ingress: top("ingress").next().map(addons::lower_ingress),
            storage,
            auth,
            users: auth::lower_users(top("access").next()),
            registries: top("registry").filter_map(auth::lower_registry).collect(),
            gitops,
            package_mirrors: top("package-mirror").filter_map(customisation::lower_package_mirror).collect(),
            releases,
            hardware,
            nodes,
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

/// Graph sources: the singletons (written or defaulted), repeatable nodes by their first
/// argument, each node's NICs (interface and address), and the `storage` children.
fn sources(document: &KdlDocument) -> Vec<(SourceId, Option<Span>)> {
    let mut sources: Vec<(SourceId, Option<Span>)> = SourceId::SINGLETONS
        .iter()
        .map(|(id, name)| (id.clone(), top_level(document, name).next().map(KdlNode::span)))
        .collect();
    for node in document.nodes() {
        let Some(first) = read::arg(node, 0).and_then(|e| e.value().as_string()) else {
            if node.name().value() == "storage" {
                sources.extend(storage_sources(node));
            }
            continue;
        };
        let id = match node.name().value() {
            "node" => {
                sources.extend(nic_sources(node, first));
                SourceId::node(first)
            }
            "hardware" => SourceId::Hardware(first.to_string()),
            "registry" => SourceId::Registry(first.to_string()),
            "release" => SourceId::Release(first.to_string()),
            "package-mirror" => SourceId::PackageMirror(first.to_string()),
            "gitops" => {
                sources.extend(layer_sources(node));
                continue;
            }
            _ => continue,
        };
        sources.push((id, Some(node.span())));
    }
    sources
}

/// A node's NICs: each interface (name and MAC) and its address.
fn nic_sources(node: &KdlNode, name: &str) -> Vec<(SourceId, Option<Span>)> {
    let children = node.children().map(|c| c.nodes()).unwrap_or_default();
    let mut sources = Vec::new();
    for nic in children.iter().filter(|n| n.name().value() == "nic") {
        let nic_name = read::arg(nic, 0).and_then(|e| e.value().as_string()).unwrap_or_default();
        sources.push((SourceId::interface(name, nic_name), Some(nic.span())));
        let address = read::prop(nic, "ip").map_or(nic.span(), |e| e.span());
        sources.push((SourceId::address(name, nic_name), Some(address)));
    }
    sources
}

/// Each `gitops { layer "name" }`.
fn layer_sources(gitops: &KdlNode) -> Vec<(SourceId, Option<Span>)> {
    read::children(gitops, "layer")
        .filter_map(|layer| {
            let name = read::arg(layer, 0).and_then(|e| e.value().as_string())?;
            Some((SourceId::Layer(name.to_string()), Some(layer.span())))
        })
        .collect()
}

/// `storage.ceph` and each `storage.nfs "name"`.
fn storage_sources(storage: &KdlNode) -> Vec<(SourceId, Option<Span>)> {
    let children = storage.children().map(|c| c.nodes()).unwrap_or_default();
    children
        .iter()
        .filter_map(|child| match child.name().value() {
            "ceph" => Some((SourceId::Ceph, Some(child.span()))),
            "nfs" => read::arg(child, 0)
                .and_then(|e| e.value().as_string())
                .map(|name| (SourceId::Nfs(name.to_string()), Some(child.span()))),
            _ => None,
        })
        .collect()
}
