//! Lowers `storage { ceph { … }; nfs … }`.

use kdl::KdlNode;

use super::read::{arg, boolean, child, child_arg, children, integer, parsed, prop, prop_text, text};
use crate::model::address::parse_ip;
use crate::model::{ByteSize, Ceph, CephPool, Nfs, NfsServer, Spanned, Storage};

pub const DEFAULT_OSD_MEMORY: &str = "4GiB";
pub const DEFAULT_REPLICAS: u32 = 3;

pub fn lower_storage(node: Option<&KdlNode>) -> Storage {
    let Some(node) = node else { return Storage::default() };
    Storage { ceph: child(node, "ceph").map(lower_ceph), nfs: children(node, "nfs").filter_map(lower_nfs).collect() }
}

fn lower_ceph(node: &KdlNode) -> Ceph {
    let pools = |name| children(node, name).filter_map(lower_pool).collect();
    let osd_memory = child_arg(node, "osd-memory").and_then(|e| parsed(e, ByteSize::parse)).unwrap_or_else(|| {
        Spanned::new(ByteSize::parse(DEFAULT_OSD_MEMORY).expect("valid default"), node.name().span())
    });
    Ceph {
        block_pools: pools("block-pool"),
        filesystems: pools("filesystem"),
        object_stores: pools("object-store"),
        osd_memory,
        mons: child_arg(node, "mons").and_then(integer),
        span: node.name().span(),
    }
}

fn lower_pool(node: &KdlNode) -> Option<CephPool> {
    Some(CephPool {
        name: text(arg(node, 0)?)?,
        replicas: prop(node, "replicas")
            .and_then(integer)
            .unwrap_or(Spanned::new(DEFAULT_REPLICAS, node.name().span())),
        storage_class: prop_text(node, "storage-class").map(|s| s.value),
        default: default_flag(node),
    })
}

/// The span of `default=#true`, if set.
fn default_flag(node: &KdlNode) -> Option<crate::diagnostic::Span> {
    prop(node, "default").filter(|e| boolean(e) == Some(true)).map(|e| e.span())
}

fn lower_nfs(node: &KdlNode) -> Option<Nfs> {
    let name = text(arg(node, 0)?)?;
    let server = prop_text(node, "server")?;
    let server = server.map(|s| match parse_ip(&s) {
        Ok(ip) => NfsServer::Address(ip),
        Err(_) => NfsServer::Node(crate::model::NodeId(s)),
    });
    Some(Nfs {
        storage_class: prop_text(node, "storage-class").map_or_else(|| format!("nfs-{}", name.value), |s| s.value),
        name,
        server,
        path: prop_text(node, "path")?,
        default: default_flag(node),
    })
}
