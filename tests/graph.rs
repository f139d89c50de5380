//! The graph is the truth: for every valid document and every source of its graph, change every
//! value that source holds in the typed model (recomputing the facts `lower` derives), render
//! again with the same state, and assert that the changed files are exactly the source's graph
//! descendants: every changed file lists the source among its ancestors (what `hlc explain`
//! prints), and every file that depends on the source changed. Two kinds of dependency are not
//! required to change, each named here: through a *shape* step (`topology`: roles;
//! `component:<layer>`: which components exist), and the few `PARTIAL_READS`, each of which must
//! be needed. A source that holds no value (`NO_VALUE`) must change nothing. A step with a
//! deliberately undeclared read must be caught, by the engine when it reads through its context,
//! by this check when it hides the read from the engine; a need it never reads, by the converse.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use hlc::build::{open_state, render_tree_with};
use hlc::clock::Clock;
use hlc::frontend::check_source;
use hlc::model::{
    AddressRange, Arch, BgpPeer, ByteSize, CalicoEncapsulation, Cidr, CniKind, FlannelBackend, KeyType, Lab, LbMode,
    LoadBalancerKind, Mac, Oidc, Os, ProxyMode, Role, SourceId, Spanned, Subject, User, Vip, VipProvider,
};
use hlc::plan::{Plan, PlanBuilder, Vertex};
use hlc::source::Source;
use hlc::write::Tree;

use crate::support::{root, valid_documents};

/// Extra steps a test adds to the plan of a lab.
type Extra = fn(&Lab, &mut PlanBuilder<'static>);

fn no_extra(_: &Lab, _: &mut PlanBuilder<'static>) {}

/// Renders `lab` (with `extra` steps) with the state in `state`.
fn render(lab: &Lab, source: &Source, state: &hlc::state::StateDir, extra: Extra) -> Tree {
    render_tree_with(lab, source, state, Clock::at(1_767_225_600), |plan| extra(lab, plan)).unwrap().0
}

/// Steps whose product is the lab's *shape*, which no edit of this test changes: `topology`
/// (which nodes are control planes, in order: roles, which an edit never changes because they
/// decide which steps exist) and `component:<layer>` (a component's layer and the layers it
/// depends on: which components exist follows from which add-on sources are written, and an edit
/// changes a source's values, never whether it is written). A file reached from a source only
/// through such a step depends on the source's shape, not on the values the edit changes.
fn is_shape_step(id: &str) -> bool {
    id == hlc::plan::reads::TOPOLOGY || id.starts_with("component:")
}

/// Steps that read only a part of a source that no edit of this test can change, because
/// changing it would change which steps exist: (source id prefix, step id suffix, why). Files
/// that depend on the source only through such a step are not required to change. Each entry
/// must be needed by some document (`every_change_stays_within_its_sources_graph_descendants`
/// fails on one that is not), so the list stays minimal.
const PARTIAL_READS: &[(&str, &str, &str)] = &[
    (
        "cni",
        "/kubeadm/init.yaml",
        "of `cni`, init.yaml reads only whether Cilium replaces kube-proxy (the skipped phase); \
         the edit keeps each CNI's kind, whose change would change the add-on steps and whether \
         kube-proxy exists",
    ),
    (
        "gitops",
        "bootstrap/helmfile.yaml",
        "of `gitops`, the helmfile reads only whether it is written (then it lists the CNI alone)",
    ),
    (
        "node ",
        "ceph-cluster.yaml",
        "the CephCluster reads every node's disks to find those with Ceph disks; a node without \
         any is read and left out (giving it one would change the OSDs and monitors: the shape)",
    ),
    ("node ", "ceph-cluster/objects.yaml", "the same CephCluster in the Flux tree"),
    ("hardware ", "ceph-cluster.yaml", "a profile's nodes, as `node` above"),
    ("hardware ", "ceph-cluster/objects.yaml", "a profile's nodes, as `node` above"),
];

/// Whether the edge from `source` into `step` is one of `exceptions`.
fn partial(exceptions: &[&(&str, &str, &str)], source: &str, step: &str) -> bool {
    exceptions.iter().any(|(prefix, suffix, _)| source.starts_with(prefix) && step.ends_with(suffix))
}

/// Files that depend on `source` other than only through a shape step or a partial read of
/// `exceptions`.
fn direct_file_dependents(plan: &Plan, source: &str, exceptions: &[&(&str, &str, &str)]) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut files = BTreeSet::new();
    let Some(&start) = plan.index.get(source) else { return files };
    let mut stack = vec![start];
    while let Some(vertex) = stack.pop() {
        for next in plan.graph.neighbors_directed(vertex, hlc::plan::Direction::Outgoing) {
            if let Vertex::Step(step) = &plan.graph[next] {
                if partial(exceptions, source, &step.id) {
                    continue;
                }
            }
            if !seen.insert(next) {
                continue;
            }
            if let Vertex::Step(step) = &plan.graph[next] {
                if let Some(output) = &step.output {
                    files.insert(output.path.clone());
                }
                if is_shape_step(&step.id) {
                    continue;
                }
            }
            stack.push(next);
        }
    }
    files
}

/// A different address in the same /24 that no other part of `lab`'s text uses.
fn unused_address(lab: &Lab, text: &str, near: Ipv4Addr) -> Ipv4Addr {
    let [a, b, c, _] = near.octets();
    (2..=253u8)
        .rev()
        .map(|d| Ipv4Addr::new(a, b, c, d))
        .find(|ip| {
            !text.contains(&format!("\"{ip}\""))
                && !text.contains(&format!("{ip}-"))
                && *ip != lab.network.gateway.value
        })
        .expect("a free address")
}

/// Changes every value the source `id` holds in `lab`. Returns false for a source this test
/// does not know how to edit (the caller asserts there is none).
fn edit(lab: &mut Lab, id: &str, text: &str) -> bool {
    if let Some((node, rest)) = id.strip_prefix("node \"").and_then(|r| r.split_once('"')) {
        let index = lab.nodes.iter().position(|n| n.name.value == node).unwrap();
        match rest.strip_prefix(" nic \"").and_then(|r| r.split_once('"')) {
            Some((nic, " ip")) => {
                let current = *lab.nodes[index].nics.iter().find(|n| n.name.value == nic).unwrap().ip;
                let new = unused_address(lab, text, current);
                lab.nodes[index].nics.iter_mut().find(|n| n.name.value == nic).unwrap().ip.value = new;
            }
            Some((nic, "")) => {
                // A new name and MAC: the source's identity changes with its name.
                let renamed = format!("{nic}x");
                let entry = lab.nodes[index].nics.iter_mut().find(|n| n.name.value == nic).unwrap();
                entry.mac.value = Mac([0x02, 0x68, 0x6c, 0x63, 0x00, entry.mac.value.0[5].wrapping_add(1)]);
                entry.name.value = renamed.clone();
                for (source, _) in &mut lab.sources {
                    if let SourceId::Interface { node: n, nic: name } | SourceId::Address { node: n, nic: name } =
                        source
                    {
                        if n == node && name == nic {
                            *name = renamed.clone();
                        }
                    }
                }
            }
            None => edit_node(&mut lab.nodes[index]),
            _ => return false,
        }
        return true;
    }
    if let Some(name) = id.strip_prefix("hardware \"").and_then(|r| r.strip_suffix('"')) {
        let hardware = lab.hardware.iter_mut().find(|h| h.name.value == name).unwrap();
        hardware.cpus = Some(hardware.cpus.unwrap_or(2) + 1);
        hardware.arch = Some(if hardware.arch == Some(Arch::Arm64) { Arch::Amd64 } else { Arch::Arm64 });
        hardware.memory = Some(ByteSize(hardware.memory.map_or(1 << 30, |m| m.0 * 2)));
        // `lower` resolved the profile into its nodes: what the nodes took from it changes with it.
        for node in lab.nodes.iter_mut().filter(|n| n.hardware.as_ref().is_some_and(|h| h.to_string() == name)) {
            edit_node(node);
        }
        return true;
    }
    if let Some(name) = id.strip_prefix("registry \"").and_then(|r| r.strip_suffix('"')) {
        let registry = lab.registries.iter_mut().find(|r| r.address.value.to_string() == name).unwrap();
        registry.insecure = !registry.insecure;
        registry.mirror_of = Some(registry.mirror_of.take().map_or("quay.io".into(), |m| format!("{m}.edited")));
        return true;
    }
    if let Some(name) = id.strip_prefix("storage.nfs \"").and_then(|r| r.strip_suffix('"')) {
        let nfs = lab.storage.nfs.iter_mut().find(|n| n.name.value == name).unwrap();
        nfs.path.value.push_str("/edited");
        nfs.storage_class.push_str("-edited");
        return true;
    }
    if let Some(name) = id.strip_prefix("release \"").and_then(|r| r.strip_suffix('"')) {
        let release = lab.releases.iter_mut().find(|r| r.name.value == name).unwrap();
        release.version = Some(Spanned::new("0.0.1-edited".into(), release.name.span));
        if let Some(values) = &mut release.values {
            values.values["edited"] = serde_json::json!(true);
        }
        return true;
    }
    if let Some(name) = id.strip_prefix("gitops.layer \"").and_then(|r| r.strip_suffix('"')) {
        let layers = &mut lab.gitops.as_mut().unwrap().layers;
        let layer = layers.iter_mut().find(|l| l.name.value == name).unwrap();
        for file in &mut layer.files {
            file.bytes.extend_from_slice(b"# edited\n");
        }
        let after = layer.after.get_or_insert(Spanned::new(Vec::new(), layer.name.span));
        after.value.push("cni".into());
        return true;
    }
    if let Some(name) = id.strip_prefix("package-mirror \"").and_then(|r| r.strip_suffix('"')) {
        let mirror = lab.package_mirrors.iter_mut().find(|m| m.repository.value.keyword() == name).unwrap();
        mirror.url.value.push_str("/edited");
        mirror.key = Some("http://edited.example/key".into());
        return true;
    }
    edit_singleton(lab, id, text)
}

/// Changes every value a node holds besides its identity (name), its NICs (their own sources)
/// and its role (the graph's shape).
fn edit_node(node: &mut hlc::model::Node) {
    node.cpus = Some(node.cpus.unwrap_or(2) + 1);
    node.arch = if node.arch == Arch::Amd64 { Arch::Arm64 } else { Arch::Amd64 };
    node.memory = Some(Spanned::new(ByteSize(node.memory.as_ref().map_or(1 << 30, |m| m.value.0 * 2)), node.span));
    for disk in &mut node.disks {
        disk.path.value.push_str("-edited");
    }
}

fn edit_singleton(lab: &mut Lab, id: &str, text: &str) -> bool {
    match id {
        "cluster" => {
            let cluster = &mut lab.cluster;
            cluster.name.value.push_str("-edited");
            cluster.timezone = "Pacific/Auckland".into();
            cluster.kubernetes.value.patch = Some(cluster.kubernetes.value.patch.unwrap_or(0) + 1);
            // Another supported minor (1.33 to 1.37): pause image, API versions, containerd line.
            let minor = &mut cluster.kubernetes.value.minor;
            *minor = if *minor >= 34 { 33 } else { 36 };
            cluster.os = match cluster.os {
                Os::Ubuntu2204 => Os::Debian12,
                Os::Ubuntu2404 => Os::Debian13,
                Os::Debian12 => Os::Ubuntu2204,
                Os::Debian13 => Os::Ubuntu2404,
            };
            cluster.key_type =
                if cluster.key_type == KeyType::EcdsaP256 { KeyType::Rsa2048 } else { KeyType::EcdsaP256 };
        }
        "network" => {
            let gateway = unused_address(lab, text, lab.network.gateway.value);
            let dns = unused_address(lab, text, Ipv4Addr::from(u32::from(gateway) - 1));
            let vip_address = unused_address(lab, text, Ipv4Addr::from(u32::from(dns) - 1));
            let network = &mut lab.network;
            network.gateway.value = gateway;
            network.dns = vec![Spanned::new(dns, network.gateway.span)];
            // The same network, one bit wider: every address stays in it.
            network.lan.value =
                Cidr::new(network.lan.value.addr(), network.lan.value.prefix_len() - 1).unwrap().trunc();
            network.dhcp = match network.dhcp.take() {
                Some(range) => Some(Spanned::new(AddressRange { start: range.start, end: range.start }, range.span)),
                None => Some(Spanned::new(AddressRange { start: dns, end: dns }, network.gateway.span)),
            };
            network.domain.value = "edited.example".into();
            network.ntp = vec!["ntp.edited.example".into()];
            network.pods.value = "10.250.0.0/16".parse().unwrap();
            network.services.value = "10.252.0.0/16".parse().unwrap();
            match &mut network.vip {
                Some(vip) => {
                    vip.address.value = vip_address;
                    vip.port += 1;
                    vip.name = Some(Spanned::new("api.edited.example".into(), vip.address.span));
                    vip.via =
                        if vip.via == VipProvider::KubeVip { VipProvider::Keepalived } else { VipProvider::KubeVip };
                }
                None => {
                    let span = network.gateway.span;
                    let address = Spanned::new(vip_address, span);
                    let name = Some(Spanned::new("api.edited.example".into(), span));
                    network.vip = Some(Vip { address, via: VipProvider::Keepalived, port: 6443, name });
                }
            }
        }
        "cni" => {
            lab.cni.kind = match lab.cni.kind {
                CniKind::Calico { encapsulation } => CniKind::Calico {
                    encapsulation: if encapsulation == CalicoEncapsulation::Vxlan {
                        CalicoEncapsulation::IpIp
                    } else {
                        CalicoEncapsulation::Vxlan
                    },
                },
                CniKind::Flannel { backend } => CniKind::Flannel {
                    backend: if backend == FlannelBackend::HostGw {
                        FlannelBackend::Wireguard
                    } else {
                        FlannelBackend::HostGw
                    },
                },
                CniKind::Cilium { kube_proxy_replacement } => {
                    CniKind::Cilium { kube_proxy_replacement: !kube_proxy_replacement }
                }
            };
        }
        "kube-proxy" => {
            // Every mode change goes to or from IPVS (the only mode with kernel modules).
            if let Some(proxy) = &mut lab.kube_proxy {
                proxy.mode.value = match proxy.mode.value {
                    ProxyMode::Ipvs => ProxyMode::Nftables,
                    _ => ProxyMode::Ipvs,
                };
            }
        }
        "load-balancer" => {
            if let Some(lb) = &mut lab.load_balancer {
                for pool in &mut lb.pools {
                    pool.name.value.push_str("-edited");
                }
                // The other implementation and the other mode (BGP with a peer).
                lb.kind.value = match lb.kind.value {
                    LoadBalancerKind::Metallb => LoadBalancerKind::Cilium,
                    LoadBalancerKind::Cilium => LoadBalancerKind::Metallb,
                };
                lb.mode.value = if lb.mode.value == LbMode::L2 { LbMode::Bgp } else { LbMode::L2 };
                if lb.mode.value == LbMode::Bgp && lb.peers.is_empty() {
                    let address = Spanned::new(lab.network.gateway.value, lab.network.gateway.span);
                    lb.peers.push(BgpPeer { address, asn: 64512, my_asn: 64513, span: lab.network.gateway.span });
                }
            }
        }
        "ingress" => {
            if let Some(ingress) = &mut lab.ingress {
                if let Some(ip) = &mut ingress.ip {
                    let [a, b, c, d] = ip.value.octets();
                    ip.value = Ipv4Addr::new(a, b, c, d + 1);
                }
            }
        }
        "storage.ceph" => {
            if let Some(ceph) = &mut lab.storage.ceph {
                ceph.osd_memory.value = ByteSize(ceph.osd_memory.value.0 + (1 << 30));
                for pool in ceph.block_pools.iter_mut().chain(&mut ceph.filesystems).chain(&mut ceph.object_stores) {
                    pool.name.value.push_str("-edited");
                }
            }
        }
        "auth" => {
            if let Some(auth) = &mut lab.auth {
                // OIDC off, or on: the API server's flags, its authentication config and the
                // OIDC kubeconfig all change.
                auth.oidc = match auth.oidc {
                    Some(_) => None,
                    None => Some(Oidc {
                        issuer: Spanned::new("https://id.edited.example".into(), lab.cluster.span),
                        client_id: "edited".into(),
                        username_claim: "email".into(),
                        groups_claim: "groups".into(),
                        username_prefix: "edited:".into(),
                        groups_prefix: "edited:".into(),
                    }),
                };
                for role in &mut auth.roles {
                    for rule in &mut role.rules {
                        rule.verbs.push("watch".into());
                        rule.verbs.dedup();
                    }
                }
                for grant in &mut auth.grants {
                    grant.subject = match &grant.subject {
                        Subject::User(u) => Subject::User(format!("{u}.edited")),
                        Subject::Group(g) => Subject::Group(format!("{g}-edited")),
                    };
                }
            }
        }
        "access" => {
            for user in &mut lab.users {
                user.ssh_keys = vec!["ssh-ed25519 AAAAedited edited@example".into()];
            }
            if lab.users.is_empty() {
                let name = Spanned::new("edited".to_string(), lab.cluster.span);
                lab.users.push(User { name, ssh_keys: vec!["ssh-ed25519 AAAAedited edited@example".into()] });
            }
        }
        "gitops" => {
            if let Some(gitops) = &mut lab.gitops {
                gitops.branch = "edited".into();
                gitops.path = "clusters/edited".into();
            }
        }
        // The `storage` block itself holds nothing but its children (their own sources).
        "storage" => {}
        _ => return false,
    }
    true
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Sources whose edit may change nothing in the model: the `storage` block holds only which of
/// its children exist (the graph's shape), and these blocks default to absent when the document
/// does not write them (or, for `kube-proxy`, when Cilium replaces it; for `ingress`, it holds
/// only its optional `ip`). Writing one would add steps, a different graph, not an edit.
const NO_VALUE: &[&str] = &["storage", "gitops", "ingress", "load-balancer", "auth", "kube-proxy"];

/// (source, changed files that are not its descendants, descendants that did not change).
type Finding = (String, Vec<String>, Vec<String>);

/// Checks every source of the document at `input`; returns what the graph got wrong.
fn check_document(input: &str, extra: Extra, needed: &mut BTreeSet<usize>) -> Vec<Finding> {
    let source = Source::load(&root().join(input)).unwrap();
    let text = source.text.to_string();
    let lab = check_source(&source).lab.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = open_state(&dir.path().join("state")).unwrap();
    let before = render(&lab, &source, &state, extra);
    let mut findings = Vec::new();
    for id in lab.sources.iter().map(|(id, _)| id.to_string()) {
        // Each edit starts from the state the first build left (an edit may re-issue certificates).
        let copy = tempfile::tempdir().unwrap();
        copy_dir(&dir.path().join("state"), &copy.path().join("state"));
        let state = open_state(&copy.path().join("state")).unwrap();
        let mut edited = lab.clone();
        assert!(edit(&mut edited, &id, &text), "{input}: no edit for source {id}");
        // What `lower` derives from the edited values (the containerd line, Ceph monitors …).
        edited.facts = hlc::lower::facts::facts(&edited.cluster, &edited.nodes, edited.storage.ceph.as_ref());
        // A source that holds no value here (a block the document does not write and that
        // defaults to absent, `storage` itself) has nothing to edit: nothing may change.
        let no_op = format!("{lab:?}") == format!("{edited:?}");
        // Roles decide the graph's shape; an edit never changes them.
        assert!(edited.nodes.iter().zip(&lab.nodes).all(|(a, b)| a.role == b.role || b.role == Role::Storage));
        let after = render(&edited, &source, &state, extra);
        let changed: BTreeSet<String> = before
            .keys()
            .chain(after.keys())
            .filter(|path| before.get(*path).map(|f| &f.bytes) != after.get(*path).map(|f| &f.bytes))
            .filter(|path| !path.ends_with("hlc.lock") && *path != ".gitignore")
            .cloned()
            .collect();
        if no_op {
            assert!(NO_VALUE.contains(&id.as_str()), "{input}: the edit of `{id}` changed nothing in the model");
            assert!(changed.is_empty(), "{input}: `{id}` holds nothing, yet {changed:?} changed");
            continue;
        }
        // The edited source's ids before and after (a renamed NIC renames its address too, which
        // headers that name the address show).
        let interface = id.contains(" nic ") && !id.ends_with(" ip");
        let ids_before: Vec<String> = if interface { vec![id.clone(), format!("{id} ip")] } else { vec![id.clone()] };
        let ids_after: Vec<String> = edited
            .sources
            .iter()
            .filter(|(s, _)| !lab.sources.iter().any(|(o, _)| o == s))
            .map(|(s, _)| s.to_string())
            .collect();
        let plans = [
            hlc::render::plan_with(&lab, |plan| extra(&lab, plan)).unwrap(),
            hlc::render::plan_with(&edited, |plan| extra(&edited, plan)).unwrap(),
        ];
        // Every changed file lists the edited source among its ancestors (what `hlc explain`
        // prints as its KDL nodes), before or after the edit.
        let undeclared: Vec<String> = changed
            .iter()
            .filter(|file| {
                !plans.iter().any(|plan| {
                    plan.ancestors(file).iter().any(
                        |v| matches!(v, Vertex::Source(s) if ids_before.contains(&s.id) || ids_after.contains(&s.id)),
                    )
                })
            })
            .cloned()
            .collect();
        // The converse: every file that depends on the source (other than through a shape step)
        // changed. The source itself before the edit, and after it (a NIC's interface is renamed;
        // its address keeps its value under the new name, so it is not part of this edit).
        let renamed: Vec<&String> = ids_after.iter().filter(|s| !s.ends_with(" ip") || id.ends_with(" ip")).collect();
        let dependents = |exceptions: &[&(&str, &str, &str)]| {
            let mut direct = direct_file_dependents(&plans[0], &id, exceptions);
            for source in &renamed {
                direct.extend(direct_file_dependents(&plans[1], source, exceptions));
            }
            direct
        };
        let all: Vec<&(&str, &str, &str)> = PARTIAL_READS.iter().collect();
        let unchanged: Vec<String> = dependents(&all).difference(&changed).cloned().collect();
        // An exception is needed where without it a dependent would not have changed.
        let unpruned = dependents(&[]);
        for (index, exception) in PARTIAL_READS.iter().enumerate() {
            if dependents(&[exception]).len() < unpruned.len()
                && unpruned.difference(&dependents(&[exception])).any(|file| !changed.contains(file))
            {
                needed.insert(index);
            }
        }
        if !undeclared.is_empty() || !unchanged.is_empty() {
            findings.push((id, undeclared, unchanged));
        }
    }
    findings
}

#[test]
fn every_change_stays_within_its_sources_graph_descendants() {
    let mut report = Vec::new();
    let mut needed = BTreeSet::new();
    for input in valid_documents() {
        for (source, undeclared, unchanged) in check_document(&input, no_extra, &mut needed) {
            report.push(format!(
                "{input}: editing `{source}` changed files that do not depend on it: {undeclared:?}; \
                 dependents that did not change: {unchanged:?}"
            ));
        }
    }
    for (index, (source, step, _)) in PARTIAL_READS.iter().enumerate() {
        if !needed.contains(&index) {
            report.push(format!("the exception ({source}, {step}) is not needed by any document: remove it"));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

/// A step that reads `network` through its context but declares only `cluster`.
fn undeclared_read(_: &Lab, plan: &mut PlanBuilder<'static>) {
    plan.step(hlc::plan::Step {
        id: "sneaky.txt".into(),
        output: Some(hlc::plan::OutputFile { path: "sneaky.txt".into(), secret: false, executable: false }),
        needs: vec![SourceId::Cluster.into()],
        produce: Box::new(|context, _| {
            Ok(hlc::plan::Product::File(context.lab.network().domain.value.clone().into_bytes()))
        }),
    });
}

#[test]
fn the_engine_fails_a_step_that_reads_an_undeclared_source() {
    let text = std::fs::read_to_string(root().join("homelab.kdl")).unwrap();
    let source = Source::from_text("homelab.kdl", &text);
    let lab = check_source(&source).lab.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let state = open_state(&dir.path().join("state")).unwrap();
    let clock = Clock::at(1_767_225_600);
    let error = render_tree_with(&lab, &source, &state, clock, |plan| undeclared_read(&lab, plan)).err();
    let message = error.expect("the undeclared read fails the build").to_string();
    assert!(message.contains("sneaky.txt") && message.contains("`network`"), "{message}");
}

/// A step that copies `network` into its closure when registered, out of the engine's sight:
/// only the edit-every-source check can catch it.
fn hidden_read(lab: &Lab, plan: &mut PlanBuilder<'static>) {
    let domain = lab.network.domain.value.clone();
    plan.step(hlc::plan::Step {
        id: "sneaky.txt".into(),
        output: Some(hlc::plan::OutputFile { path: "sneaky.txt".into(), secret: false, executable: false }),
        needs: vec![SourceId::Cluster.into()],
        produce: Box::new(move |_, _| Ok(hlc::plan::Product::File(domain.clone().into_bytes()))),
    });
}

#[test]
fn an_undeclared_read_is_caught() {
    let findings = check_document("homelab.kdl", hidden_read, &mut BTreeSet::new());
    let network = findings.iter().find(|(source, _, _)| source == "network").expect("the edit of `network` is flagged");
    assert_eq!(network.1, vec!["sneaky.txt".to_string()]);
    assert!(findings.iter().all(|(_, undeclared, _)| undeclared.iter().all(|f| f == "sneaky.txt")), "{findings:?}");
}

/// A step that needs `access` but never reads it: only the converse (every dependent changes)
/// can catch an over-declared need.
fn over_declared(_: &Lab, plan: &mut PlanBuilder<'static>) {
    plan.step(hlc::plan::Step {
        id: "idle.txt".into(),
        output: Some(hlc::plan::OutputFile { path: "idle.txt".into(), secret: false, executable: false }),
        needs: vec![SourceId::Access.into()],
        produce: Box::new(|_, _| Ok(hlc::plan::Product::File(b"idle\n".to_vec()))),
    });
}

#[test]
fn an_over_declared_need_is_caught() {
    let findings = check_document("homelab.kdl", over_declared, &mut BTreeSet::new());
    let access = findings.iter().find(|(source, _, _)| source == "access").expect("the edit of `access` is flagged");
    assert_eq!(access.2, vec!["idle.txt".to_string()]);
    assert!(findings.iter().all(|(source, _, _)| source == "access"), "{findings:?}");
}
