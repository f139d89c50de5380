//! Lowers `hardware` profiles and `node`s; a node's own arch/cpus/memory override its profile's.

use kdl::KdlNode;

use super::read::{arg, children, choice, integer, parsed, prop, prop_text, text};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::address::parse_ip;
use crate::model::{Arch, ByteSize, Disk, DiskUse, Filesystem, Hardware, Mac, Nic, Node, Role, Spanned};
use crate::vocabulary::did_you_mean;

const ARCHES: &[(&str, Arch)] = &[("amd64", Arch::Amd64), ("arm64", Arch::Arm64)];

pub fn lower_hardware<'a>(nodes: impl Iterator<Item = &'a KdlNode>) -> Vec<Hardware> {
    nodes
        .filter_map(|node| {
            Some(Hardware {
                name: text(arg(node, 0)?)?,
                arch: prop(node, "arch").and_then(|e| choice(e, ARCHES)).map(|a| a.value),
                cpus: prop(node, "cpus").and_then(integer).map(|c| c.value),
                memory: prop(node, "memory").and_then(|e| parsed(e, ByteSize::parse)).map(|m| m.value),
            })
        })
        .collect()
}

/// Lowers every node; `None` when one could not be (its diagnostics say why).
pub fn lower_nodes<'a>(
    nodes: impl Iterator<Item = &'a KdlNode>,
    hardware: &[Hardware],
) -> (Option<Vec<Node>>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let lowered: Option<Vec<Node>> = nodes.map(|node| lower_node(node, hardware, &mut diagnostics)).collect();
    (lowered, diagnostics)
}

fn lower_node(node: &KdlNode, hardware: &[Hardware], diagnostics: &mut Vec<Diagnostic>) -> Option<Node> {
    let profile = match prop_text(node, "hardware") {
        None => None,
        Some(name) => match hardware.iter().find(|h| h.name.value == name.value) {
            Some(profile) => Some(profile),
            None => {
                diagnostics.push(unknown_hardware(&name, hardware));
                return None;
            }
        },
    };
    let role = prop(node, "role")
        .and_then(|e| {
            choice(e, &[("control-plane", Role::ControlPlane), ("worker", Role::Worker), ("storage", Role::Storage)])
        })
        .map_or(Role::Worker, |r| r.value);
    let memory = prop(node, "memory").and_then(|e| parsed(e, ByteSize::parse));
    let profile_memory = profile.and_then(|p| p.memory).map(|m| Spanned::new(m, node.name().span()));
    Some(Node {
        name: text(arg(node, 0)?)?,
        hardware: profile.map(|p| crate::model::HardwareId(p.name.value.clone())),
        role,
        arch: prop(node, "arch")
            .and_then(|e| choice(e, ARCHES))
            .map(|a| a.value)
            .or(profile.and_then(|p| p.arch))
            .unwrap_or(Arch::Amd64),
        cpus: prop(node, "cpus").and_then(integer).map(|c| c.value).or(profile.and_then(|p| p.cpus)),
        memory: memory.or(profile_memory),
        nics: children(node, "nic").map(lower_nic).collect::<Option<_>>()?,
        disks: children(node, "disk").map(lower_disk).collect::<Option<_>>()?,
        span: node.span(),
    })
}

fn unknown_hardware(name: &Spanned<String>, hardware: &[Hardware]) -> Diagnostic {
    let known = hardware.iter().map(|h| h.name.value.as_str());
    let help = match did_you_mean(&name.value, known.clone()) {
        Some(suggestion) => format!("did you mean \"{suggestion}\"?"),
        None if hardware.is_empty() => {
            "declare it first: hardware \"NAME\" arch=\"amd64\" cpus=4 memory=\"16GiB\"".to_string()
        }
        None => format!("declared profiles: {}", known.collect::<Vec<_>>().join(", ")),
    };
    Diagnostic::new(
        Code::UnknownHardware,
        name.span,
        format!("no hardware profile named \"{}\"", name.value),
        "unknown profile",
    )
    .with_help(help)
}

fn lower_nic(node: &KdlNode) -> Option<Nic> {
    Some(Nic {
        name: text(arg(node, 0)?)?,
        mac: parsed(prop(node, "mac")?, Mac::parse)?,
        ip: parsed(prop(node, "ip")?, parse_ip)?,
    })
}

fn lower_disk(node: &KdlNode) -> Option<Disk> {
    let usage = choice(
        prop(node, "use")?,
        &[("os", DiskUse::Os), ("ceph", DiskUse::Ceph), ("data", DiskUse::Data), ("ignore", DiskUse::Ignore)],
    )?;
    let fs = prop(node, "fs").and_then(|e| choice(e, &[("ext4", Filesystem::Ext4), ("xfs", Filesystem::Xfs)]));
    // A data disk is formatted ext4 unless `fs=` says otherwise.
    let fs = fs.or_else(|| (usage.value == DiskUse::Data).then(|| Spanned::new(Filesystem::Ext4, node.span())));
    Some(Disk {
        path: text(arg(node, 0)?)?,
        usage: usage.value,
        mount: prop_text(node, "mount"),
        fs,
        size: prop(node, "size").and_then(|e| parsed(e, ByteSize::parse)).map(|s| s.value),
        span: node.span(),
    })
}
