//! Names: duplicate node, profile, pool, share and user names; duplicate MACs and IPs; a VIP name
//! that is also a node's host name.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::hash::Hash;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{Lab, Spanned};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    duplicates(Code::DuplicateName, "node", lab.nodes.iter().map(|n| &n.name), out);
    duplicates(Code::DuplicateName, "hardware profile", lab.hardware.iter().map(|h| &h.name), out);
    duplicates(Code::DuplicateName, "user", lab.users.iter().map(|u| &u.name), out);
    duplicates(Code::DuplicateName, "NFS share", lab.storage.nfs.iter().map(|n| &n.name), out);
    duplicates(Code::DuplicateName, "release", lab.releases.iter().map(|r| &r.name), out);
    let mirrors: Vec<Spanned<String>> =
        lab.package_mirrors.iter().map(|m| m.repository.clone().map(|r| r.keyword().to_string())).collect();
    duplicates(Code::DuplicateName, "package mirror", mirrors.iter(), out);
    if let Some(gitops) = &lab.gitops {
        duplicates(Code::DuplicateName, "layer", gitops.layers.iter().map(|l| &l.name), out);
    }
    if let Some(lb) = &lab.load_balancer {
        duplicates(Code::DuplicateName, "pool", lb.pools.iter().map(|p| &p.name), out);
    }
    if let Some(ceph) = &lab.storage.ceph {
        let pools = ceph.block_pools.iter().chain(&ceph.filesystems).chain(&ceph.object_stores);
        duplicates(Code::DuplicateName, "Ceph pool", pools.map(|p| &p.name), out);
    }
    for node in &lab.nodes {
        duplicates(Code::DuplicateName, "disk", node.disks.iter().map(|d| &d.path), out);
    }
    let nics = || lab.nodes.iter().flat_map(|n| &n.nics);
    duplicates(Code::DuplicateMac, "MAC address", nics().map(|n| &n.mac), out);
    // The gateway owns its address too: a node must not take it.
    duplicates(
        Code::DuplicateIp,
        "IP address",
        std::iter::once(&lab.network.gateway).chain(nics().map(|n| &n.ip)),
        out,
    );
    vip_name_clash(lab, out);
}

/// Reports every repeat of a value, pointing back at its first occurrence.
fn duplicates<'a, T: Ord + Hash + Display + 'a>(
    code: Code,
    what: &str,
    items: impl Iterator<Item = &'a Spanned<T>>,
    out: &mut Vec<Diagnostic>,
) {
    let mut first: BTreeMap<&T, Span> = BTreeMap::new();
    for item in items {
        match first.get(&item.value) {
            Some(&earlier) => out.push(
                Diagnostic::new(code, item.span, format!("duplicate {what} {}", item.value), "used again here")
                    .with_label(earlier, "first used here")
                    .with_help(format!("every {what} must be unique")),
            ),
            None => {
                first.insert(&item.value, item.span);
            }
        }
    }
}

fn vip_name_clash(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(name) = lab.network.vip.as_ref().and_then(|v| v.name.as_ref()) else { return };
    let domain = &lab.network.domain.value;
    for node in &lab.nodes {
        let fqdn = format!("{}.{domain}", node.name.value);
        if name.value == node.name.value || name.value == fqdn {
            out.push(
                Diagnostic::new(
                    Code::HostnameClash,
                    name.span,
                    format!("`{}` is both the VIP's name and node {}", name.value, node.name.value),
                    "VIP name",
                )
                .with_label(node.name.span, "this node's host name")
                .with_help("give the API endpoint its own name, e.g. \"k8s.home.arpa\""),
            );
        }
    }
}
