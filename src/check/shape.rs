//! Cluster shape: at least one control plane, an odd number of them, a VIP when there are
//! several; and each node's disks (one OS disk, mount points exactly on data disks, data and Ceph
//! disks by a stable name).

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{DiskUse, Lab};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    control_planes(lab, out);
    for node in &lab.nodes {
        disks(node, out);
    }
}

fn control_planes(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let control_planes: Vec<_> = lab.nodes.iter().filter(|n| n.is_control_plane()).collect();
    let cluster = &lab.cluster.name;
    match control_planes.len() {
        0 => out.push(
            Diagnostic::new(
                Code::NoControlPlane,
                cluster.span,
                format!("cluster {} has no control-plane node", cluster.value),
                "this cluster",
            )
            .with_help("mark one node (or three) with role=\"control-plane\""),
        ),
        n if n % 2 == 0 => {
            let mut diagnostic = Diagnostic::new(
                Code::EvenControlPlanes,
                control_planes[n - 1].name.span,
                format!("{n} control planes tolerate no more failures than {}", n - 1),
                format!("control plane {n} of {n}"),
            );
            for node in &control_planes[..n - 1] {
                diagnostic = diagnostic.with_label(node.name.span, "control plane");
            }
            out.push(diagnostic.with_help("etcd needs a majority: use an odd number of control planes (1, 3 or 5)"));
        }
        _ => {}
    }
    if control_planes.len() > 1 && lab.network.vip.is_none() {
        out.push(
            Diagnostic::new(
                Code::VipRequired,
                control_planes[1].name.span,
                format!("{} control planes need a shared endpoint, but `network` has no `vip`", control_planes.len()),
                "second control plane",
            )
            .with_label(control_planes[0].name.span, "first control plane")
            .with_help("add to network: vip \"ADDRESS\" via=\"kube-vip\""),
        );
    }
}

fn disks(node: &crate::model::Node, out: &mut Vec<Diagnostic>) {
    let os_disks: Vec<_> = node.disks.iter().filter(|d| d.usage == DiskUse::Os).collect();
    for extra in os_disks.iter().skip(1) {
        out.push(
            Diagnostic::new(
                Code::OsDisk,
                extra.path.span,
                format!("node {} has more than one OS disk", node.name.value),
                "second OS disk",
            )
            .with_label(os_disks[0].path.span, "first OS disk")
            .with_help("the installer uses one OS disk: mark the other use=\"data\" or use=\"ignore\""),
        );
    }
    for disk in &node.disks {
        unstable_path(disk, out);
        let is_data = disk.usage == DiskUse::Data;
        if is_data && disk.mount.is_none() {
            out.push(
                Diagnostic::new(
                    Code::DiskMount,
                    disk.path.span,
                    format!("data disk {} has no mount point", disk.path.value),
                    "data disk",
                )
                .with_help("add mount=\"/srv/data\" (and optionally fs=\"xfs\")"),
            );
        }
        let stray = [disk.mount.as_ref().map(|m| ("mount", m.span)), disk.fs.as_ref().map(|f| ("fs", f.span))];
        for (what, span) in stray.into_iter().flatten().filter(|_| !is_data) {
            out.push(
                Diagnostic::new(
                    Code::DiskMount,
                    span,
                    format!("`{what}=` is only for use=\"data\" disks"),
                    "not a data disk",
                )
                .with_help("Ceph disks are handed to Rook raw and OS disks are the installer's: remove it"),
            );
        }
    }
}

/// `/dev/sdX` names follow probe order, which can change between boots (a USB stick, a new
/// controller): a data or Ceph disk must not be found by it. The OS disk is only the installer's
/// target, chosen before any of that matters.
fn unstable_path(disk: &crate::model::Disk, out: &mut Vec<Diagnostic>) {
    if !matches!(disk.usage, DiskUse::Data | DiskUse::Ceph) {
        return;
    }
    let Some(name) = disk.path.value.strip_prefix("/dev/sd") else { return };
    let letters = name.trim_end_matches(|c: char| c.is_ascii_digit());
    if letters.is_empty() || !letters.bytes().all(|b| b.is_ascii_lowercase()) {
        return;
    }
    let what = if disk.usage == DiskUse::Ceph { "Ceph" } else { "data" };
    out.push(
        Diagnostic::new(
            Code::UnstableDiskPath,
            disk.path.span,
            format!("{what} disk {} is named by probe order, which can change between boots", disk.path.value),
            "may name another disk after a reboot",
        )
        .with_help(
            "use the disk's stable name from `ls -l /dev/disk/by-id/` on the node, e.g. \"/dev/disk/by-id/ata-<model>_<serial>\"",
        ),
    );
}
