//! Host preparation files: kernel modules and sysctls Kubernetes needs, the NFS export of a
//! storage node.

use std::fmt::Write;

use super::node_files::{register, NodeFile, TOPOLOGY};
use crate::model::SourceId;
use crate::model::{ProxyMode, VipProvider};
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::{PlanBuilder, Product};

const MODULES: &str = "/etc/modules-load.d/kubernetes.conf";
pub const SYSCTL: &str = "/etc/sysctl.d/99-kubernetes.conf";
pub const EXPORTS: &str = "/etc/exports.d/hlc.exports";

/// Kernel modules to load at boot.
pub fn modules(lab: &LabReader) -> Vec<&'static str> {
    let mut modules = vec!["overlay", "br_netfilter"];
    if lab.kube_proxy().is_some_and(|p| p.mode.value == ProxyMode::Ipvs) {
        modules.extend(["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack"]);
    }
    if lab.has_ceph() {
        modules.push("rbd");
    }
    modules
}

/// Kernel parameters for `node`.
pub fn sysctls(lab: &LabReader, node: &NodeRef) -> Vec<(&'static str, &'static str)> {
    let mut sysctls = vec![
        ("net.ipv4.ip_forward", "1"),
        ("net.bridge.bridge-nf-call-iptables", "1"),
        ("net.bridge.bridge-nf-call-ip6tables", "1"),
    ];
    if node.is_control_plane() && lab.network().vip.as_ref().is_some_and(|v| v.via == VipProvider::Keepalived) {
        sysctls.push(("net.ipv4.ip_nonlocal_bind", "1"));
    }
    sysctls
}

/// NFS exports this node serves, each to the cluster's nodes only (not the whole LAN: the DHCP
/// range holds other devices).
pub fn exports(lab: &LabReader, node: &NodeRef) -> Vec<String> {
    let clients: Vec<String> =
        lab.nodes().map(|n| format!("{}/32(rw,sync,no_subtree_check,no_root_squash)", n.ip())).collect();
    nfs_shares(lab, node).iter().map(|n| format!("{} {}", n.path.value, clients.join(" "))).collect()
}

/// The NFS shares this node serves.
pub fn nfs_shares<'a>(lab: &LabReader<'a>, node: &NodeRef) -> Vec<&'a crate::model::Nfs> {
    lab.nfs_served_by(node.name())
}

/// The directories this node exports over NFS (converge creates them on the mounted data disk).
pub fn nfs_directories(lab: &LabReader, node: &NodeRef) -> Vec<String> {
    nfs_shares(lab, node).iter().map(|n| n.path.value.clone()).collect()
}

pub fn files_for(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let mut files = vec![NodeFile::own(node, MODULES, 0o644, false), NodeFile::own(node, SYSCTL, 0o644, false)];
    if !exports(lab, node).is_empty() {
        files.push(NodeFile::own(node, EXPORTS, 0o644, false));
    }
    files
}

pub fn register_all(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        let name = node.name().to_string();
        for file in files_for(lab, node) {
            // Modules are cluster-wide; sysctls follow the node's role; exports its shares.
            let needs = match file.target.as_str() {
                MODULES => vec![SourceId::KubeProxy.into(), SourceId::Storage.into()],
                // The VIP's provider matters on control planes only.
                SYSCTL if node.is_control_plane() => vec![TOPOLOGY.into(), SourceId::Network.into()],
                SYSCTL => vec![TOPOLOGY.into()],
                _ => {
                    let shares = super::node_files::served_nfs_sources(lab, node).into_iter();
                    let clients = lab.nodes().flat_map(|n| super::node_files::addresses(&n));
                    shares.chain(clients).collect()
                }
            };
            let target = file.target.clone();
            let name = name.clone();
            register(
                plan,
                &file,
                needs,
                Box::new(move |context, inputs| {
                    let node = &context.lab.node(&name);
                    let mut out = format!("# {}\n", inputs.provenance());
                    match target.as_str() {
                        MODULES => modules(&context.lab).iter().for_each(|m| writeln!(out, "{m}").unwrap()),
                        SYSCTL => {
                            sysctls(&context.lab, node).iter().for_each(|(k, v)| writeln!(out, "{k} = {v}").unwrap())
                        }
                        _ => exports(&context.lab, node).iter().for_each(|e| writeln!(out, "{e}").unwrap()),
                    }
                    Ok(Product::File(out.into_bytes()))
                }),
            );
        }
    }
}
