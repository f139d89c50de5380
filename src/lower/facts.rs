//! Facts about the whole lab that more than one renderer uses, decided once here: who runs
//! `kubeadm init`, whether control planes run workloads, how many Ceph monitors, which containerd.

use crate::model::{Ceph, Cluster, Containerd, Facts, Node, Os, Role};

/// The lab's derived facts from its cluster settings, nodes and Ceph block.
pub fn facts(cluster: &Cluster, nodes: &[Node], ceph: Option<&Ceph>) -> Facts {
    Facts {
        init_node: nodes.iter().find(|n| n.is_control_plane()).map(|n| n.name.value.clone()),
        control_planes_run_workloads: nodes.iter().filter(|n| n.role == Role::Worker).count() < 3,
        ceph_mons: ceph.map(|ceph| ceph_mons(ceph, nodes)),
        containerd: containerd(cluster),
    }
}

/// Monitors: as declared, else min(3, Ceph hosts) made odd.
fn ceph_mons(ceph: &Ceph, nodes: &[Node]) -> u32 {
    if let Some(mons) = &ceph.mons {
        return mons.value;
    }
    let hosts = nodes.iter().filter(|n| n.ceph_disks().next().is_some()).count() as u32;
    let n = hosts.clamp(1, 3);
    if n % 2 == 0 {
        n - 1
    } else {
        n
    }
}

/// Kubernetes 1.36 and later needs containerd 2.x (Docker's repository); before, the
/// distribution's containerd.
fn containerd(cluster: &Cluster) -> Containerd {
    if cluster.kubernetes.minor >= 36 {
        return Containerd { version: (2, 1), from_docker: true };
    }
    let version = match cluster.os {
        Os::Debian12 => (1, 6),
        Os::Ubuntu2204 | Os::Ubuntu2404 | Os::Debian13 => (1, 7),
    };
    Containerd { version, from_docker: false }
}
