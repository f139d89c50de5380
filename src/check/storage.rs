//! Storage: Ceph has disks, enough hosts for its replicas and mons, and memory for its OSDs;
//! NFS servers exist and export from data mounts; at most one default StorageClass.

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{Ceph, DiskUse, Lab, NfsServer, Node};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    if let Some(ceph) = &lab.storage.ceph {
        ceph_hosts_check(lab, ceph, out);
        ceph_memory(lab, ceph, out);
    }
    nfs(lab, out);
    default_class(lab, out);
}

/// Nodes that have at least one Ceph disk.
pub fn ceph_hosts(lab: &Lab) -> Vec<&Node> {
    lab.nodes.iter().filter(|n| n.ceph_disks().next().is_some()).collect()
}

fn ceph_hosts_check(lab: &Lab, ceph: &Ceph, out: &mut Vec<Diagnostic>) {
    let hosts = ceph_hosts(lab).len() as u32;
    if hosts == 0 {
        out.push(
            Diagnostic::new(Code::CephNoDisks, ceph.span, "Ceph is declared but no disk has use=\"ceph\"", "Ceph")
                .with_help("mark the raw disks for Rook: disk \"/dev/disk/by-id/…\" use=\"ceph\""),
        );
        return;
    }
    for pool in ceph.block_pools.iter().chain(&ceph.filesystems).chain(&ceph.object_stores) {
        if pool.replicas.value > hosts {
            out.push(
                Diagnostic::new(
                    Code::CephReplicas,
                    pool.replicas.span,
                    format!(
                        "{} wants {} replicas but only {hosts} host(s) have Ceph disks",
                        pool.name.value, pool.replicas.value
                    ),
                    "replicas",
                )
                .with_help(format!(
                    "Ceph puts each replica on a different host: use replicas={hosts} or add Ceph disks"
                )),
            );
        }
    }
    if let Some(mons) = &ceph.mons {
        if mons.value % 2 == 0 || mons.value > hosts {
            let why = if mons.value % 2 == 0 {
                "an even number of monitors adds no fault tolerance".to_string()
            } else {
                format!("only {hosts} host(s) have Ceph disks")
            };
            out.push(
                Diagnostic::new(Code::CephMons, mons.span, format!("mons {}: {why}", mons.value), "monitor count")
                    .with_help(format!("use an odd count no larger than {hosts}")),
            );
        }
    }
}

fn ceph_memory(lab: &Lab, ceph: &Ceph, out: &mut Vec<Diagnostic>) {
    for node in &lab.nodes {
        let osds = node.ceph_disks().count() as u64;
        let Some(memory) = &node.memory else { continue };
        let needed = osds * ceph.osd_memory.bytes();
        if osds > 0 && needed > memory.bytes() {
            out.push(
                Diagnostic::new(
                    Code::CephOsdMemory,
                    memory.span,
                    format!(
                        "node {}'s {osds} OSD(s) may use {} but it has {}",
                        node.name.value,
                        crate::model::ByteSize(needed),
                        memory.value
                    ),
                    "node memory",
                )
                .with_label(ceph.osd_memory.span, "per-OSD memory limit")
                .with_help("lower osd-memory or move Ceph disks to bigger nodes"),
            );
        }
    }
}

fn nfs(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for share in &lab.storage.nfs {
        let NfsServer::Node(name) = &share.server.value else { continue };
        let Some(node) = lab.nodes.iter().find(|n| n.name.value == **name) else {
            let names = lab.nodes.iter().map(|n| n.name.value.as_str());
            let help = match crate::vocabulary::did_you_mean(name, names) {
                Some(s) => format!("did you mean \"{s}\"?"),
                None => "name a node of this file, or give the server's IPv4 address".to_string(),
            };
            out.push(
                Diagnostic::new(
                    Code::NfsServer,
                    share.server.span,
                    format!("NFS server `{name}` is neither a node nor an IP address"),
                    "unknown server",
                )
                .with_help(help),
            );
            continue;
        };
        let mounts: Vec<_> =
            node.disks.iter().filter(|d| d.usage == DiskUse::Data).filter_map(|d| d.mount.as_ref()).collect();
        if !mounts.iter().any(|m| is_under(&share.path.value, &m.value)) {
            let mut diagnostic = Diagnostic::new(
                Code::NfsPath,
                share.path.span,
                format!("{} is not under a data mount of node {}", share.path.value, node.name.value),
                "exported path",
            );
            for mount in &mounts {
                diagnostic = diagnostic.with_label(mount.span, "data mount");
            }
            out.push(diagnostic.with_help("export a directory on a use=\"data\" disk, e.g. under its mount="));
        }
    }
}

/// Whether `path` is `mount` or below it.
fn is_under(path: &str, mount: &str) -> bool {
    let mount = mount.trim_end_matches('/');
    path == mount || path.strip_prefix(mount).is_some_and(|rest| rest.starts_with('/')) || mount.is_empty()
}

fn default_class(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let ceph = lab.storage.ceph.iter().flat_map(|c| c.block_pools.iter().chain(&c.filesystems).chain(&c.object_stores));
    let mut defaults: Vec<Span> = ceph.filter_map(|p| p.default).collect();
    defaults.extend(lab.storage.nfs.iter().filter_map(|n| n.default));
    for extra in defaults.iter().skip(1) {
        out.push(
            Diagnostic::new(
                Code::DefaultStorageClass,
                *extra,
                "more than one storage class is marked default",
                "second default",
            )
            .with_label(defaults[0], "first default")
            .with_help("Kubernetes picks at most one default StorageClass: keep default=#true on one"),
        );
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn paths_under_mounts() {
        assert!(super::is_under("/tank/k8s", "/tank"));
        assert!(super::is_under("/tank", "/tank/"));
        assert!(!super::is_under("/tanker", "/tank"));
    }
}
