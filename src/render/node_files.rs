//! The files cloud-init writes onto a node. Each renderer lists its files for a node here;
//! node-specific ones are also output steps at `nodes/<node>/<path on the node>` for review,
//! while shared PKI and kubeconfigs are embedded from their own steps (`pki/…`).

use super::outputs::Output;
use crate::model::{Node, SourceId};
use crate::plan::reads::LabReader;
use crate::plan::reads::NodeRef;
use crate::plan::{Need, OutputFile, PlanBuilder, Produce, Step};

/// A file on a node: where it goes, which step produces its bytes, and its mode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeFile {
    /// Absolute path on the node, e.g. `/etc/containerd/config.toml`.
    pub target: String,
    /// The step whose product is the file's content.
    pub step: String,
    pub mode: u32,
    pub secret: bool,
}

impl NodeFile {
    /// A node-specific file, reviewed at `nodes/<node><target>`.
    pub fn own(node: &Node, target: &str, mode: u32, secret: bool) -> NodeFile {
        NodeFile { target: target.to_string(), step: review_path(node, target), mode, secret }
    }

    /// A file whose content is an existing step's (shared PKI, kubeconfigs).
    pub fn shared(target: &str, step: &str, mode: u32, secret: bool) -> NodeFile {
        NodeFile { target: target.to_string(), step: step.to_string(), mode, secret }
    }

    /// Whether this renderer must register the step (it is the node's own copy).
    pub fn is_own(&self, node: &Node) -> bool {
        self.step == review_path(node, &self.target)
    }
}

/// `nodes/<node>/etc/x` for `/etc/x`.
pub fn review_path(node: &Node, target: &str) -> String {
    Output::NodeFile { node: &node.name.value, target }.path()
}

/// The graph source of a node (name, role, hardware, disks).
pub fn node_source(node: &NodeRef) -> Need {
    node.source_id().into()
}

/// What the control-plane endpoint is read from: `network` (the VIP), and without a VIP the
/// first control plane's address (which node that is: the topology).
pub fn endpoint_sources(lab: &LabReader) -> Vec<Need> {
    let mut sources = vec![Need::Source(SourceId::Network)];
    if lab.network().vip.is_none() {
        sources.push(TOPOLOGY.into());
        sources.extend(lab.control_planes().take(1).flat_map(|n| addresses(&n)));
    }
    sources
}

/// What `LabReader::nfs_served_by` reads: the `storage` block (which shares exist) and the
/// shares `node` serves.
pub fn served_nfs_sources(lab: &LabReader, node: &NodeRef) -> Vec<Need> {
    let shares = lab.nfs_served_by(node.name()).into_iter();
    let shares = shares.map(|share| Need::Source(SourceId::Nfs(share.name.value.clone())));
    std::iter::once(Need::Source(SourceId::Storage)).chain(shares).collect()
}

/// The node's address on the LAN (its first NIC's): what `NodeRef::ip` reads.
pub fn primary_address(node: &NodeRef) -> Need {
    node.address_ids().remove(0).into()
}

/// The node's addresses.
pub fn addresses(node: &NodeRef) -> Vec<Need> {
    node.address_ids().into_iter().map(Need::from).collect()
}

/// The node's interfaces (names and MACs).
pub fn interfaces(node: &NodeRef) -> Vec<Need> {
    node.interface_ids().into_iter().map(Need::from).collect()
}

/// Registers the step of a node's own file.
pub fn register(plan: &mut PlanBuilder<'static>, file: &NodeFile, needs: Vec<Need>, produce: Produce<'static>) {
    let executable = file.mode & 0o111 != 0;
    plan.step(Step {
        id: file.step.clone(),
        output: Some(OutputFile { path: file.step.clone(), secret: file.secret, executable }),
        needs,
        produce,
    });
}

/// The step holding the cluster's shape: every node's role, in order (which nodes are control
/// planes, who runs `kubeadm init`, keepalived priorities, which nodes are storage nodes). One step
/// with an edge from every node, so files depend on the shape through one edge instead of one per
/// node, and a file that reads a node's role alone needs the topology, not the node.
pub use crate::plan::reads::TOPOLOGY;

pub fn register_topology(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    plan.step(Step {
        id: TOPOLOGY.into(),
        output: None,
        needs: lab.nodes().map(|n| node_source(&n)).collect(),
        produce: Box::new(|context, _| {
            let roles = context.lab.roles().into_iter().map(|(name, role)| format!("{name}={}", role.keyword()));
            Ok(crate::plan::Product::Value(roles.collect::<Vec<_>>().join(",")))
        }),
    });
}
