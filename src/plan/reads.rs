//! The model as a step sees it: `LabReader` hands out the parts of the `Lab` and records the
//! graph source of each part it hands out, so the engine can check a step read only what its
//! `needs` reach. A node's NICs are read through `NodeRef`, which records the interface (name,
//! MAC) and the address separately, as the graph tells them apart.

use std::cell::RefCell;
use std::net::Ipv4Addr;

use super::Need;

use crate::model::{
    Auth, Ceph, Cluster, Cni, Containerd, GitOps, Ingress, KubeProxy, Lab, LoadBalancer, Network, Nfs, Nic, Node,
    PackageMirror, PackageRepository, Registry, ReleaseSettings, Role, SourceId, User, UserLayer,
};

/// The step that holds the cluster's shape: every node's role (which nodes are control planes,
/// in order). Reading a node's role, or the control planes, is reading this step's product.
pub const TOPOLOGY: &str = "topology";

/// Read access to a `Lab` that records which sources were read.
pub struct LabReader<'a> {
    lab: &'a Lab,
    reads: RefCell<Vec<Need>>,
}

impl<'a> LabReader<'a> {
    pub fn new(lab: &'a Lab) -> LabReader<'a> {
        LabReader { lab, reads: RefCell::new(Vec::new()) }
    }

    /// A new reader of the same lab that has read nothing yet (to learn what one description
    /// reads).
    pub fn fresh(&self) -> LabReader<'a> {
        LabReader::new(self.lab)
    }

    /// Records `reads` (another reader's) as this reader's too.
    pub fn absorb(&self, reads: &[Need]) {
        self.reads.borrow_mut().extend_from_slice(reads);
    }

    /// The sources (and the topology) read so far, sorted, without repeats.
    pub fn reads(&self) -> Vec<Need> {
        let mut reads = self.reads.borrow().clone();
        reads.sort();
        reads.dedup();
        reads
    }

    fn record(&self, source: SourceId) {
        self.reads.borrow_mut().push(Need::Source(source));
    }

    pub fn cluster(&self) -> &'a Cluster {
        self.record(SourceId::Cluster);
        &self.lab.cluster
    }

    pub fn network(&self) -> &'a Network {
        self.record(SourceId::Network);
        &self.lab.network
    }

    pub fn cni(&self) -> &'a Cni {
        self.record(SourceId::Cni);
        &self.lab.cni
    }

    /// `None` exactly when Cilium replaces kube-proxy (lower decides).
    pub fn kube_proxy(&self) -> Option<&'a KubeProxy> {
        self.record(SourceId::KubeProxy);
        self.lab.kube_proxy.as_ref()
    }

    pub fn load_balancer(&self) -> Option<&'a LoadBalancer> {
        self.record(SourceId::LoadBalancer);
        self.lab.load_balancer.as_ref()
    }

    pub fn ingress(&self) -> Option<&'a Ingress> {
        self.record(SourceId::Ingress);
        self.lab.ingress.as_ref()
    }

    /// `storage.ceph`; its absence is the `storage` block's.
    pub fn ceph(&self) -> Option<&'a Ceph> {
        self.record(if self.lab.storage.ceph.is_some() { SourceId::Ceph } else { SourceId::Storage });
        self.lab.storage.ceph.as_ref()
    }

    /// Whether `storage.ceph` is written (the `storage` block's to say, like which shares exist).
    pub fn has_ceph(&self) -> bool {
        self.record(SourceId::Storage);
        self.lab.storage.ceph.is_some()
    }

    /// Whether any NFS share is declared (the `storage` block's to say).
    pub fn has_nfs(&self) -> bool {
        self.record(SourceId::Storage);
        !self.lab.storage.nfs.is_empty()
    }

    /// Every NFS share (each its own source); which shares exist is the `storage` block's.
    pub fn nfs(&self) -> &'a [Nfs] {
        self.record(SourceId::Storage);
        for share in &self.lab.storage.nfs {
            self.record(SourceId::Nfs(share.name.value.clone()));
        }
        &self.lab.storage.nfs
    }

    /// The NFS shares `node` serves: which shares exist (the `storage` block's) and those whose
    /// `server` is the node. A share's server is a reference `lower` resolved, an edge of the
    /// graph like a node's `hardware`: the shares other nodes serve are not read.
    pub fn nfs_served_by(&self, node: &str) -> Vec<&'a Nfs> {
        self.record(SourceId::Storage);
        let served: Vec<&Nfs> = self.lab.storage.nfs.iter().filter(|share| share.served_by(node)).collect();
        served.iter().for_each(|share| self.record(SourceId::Nfs(share.name.value.clone())));
        served
    }

    pub fn auth(&self) -> Option<&'a Auth> {
        self.record(SourceId::Auth);
        self.lab.auth.as_ref()
    }

    /// The `access` block's users.
    pub fn users(&self) -> &'a [User] {
        self.record(SourceId::Access);
        &self.lab.users
    }

    /// Every registry (each its own source).
    pub fn registries(&self) -> &'a [Registry] {
        for registry in &self.lab.registries {
            self.record(SourceId::Registry(registry.address.value.to_string()));
        }
        &self.lab.registries
    }

    /// The registry at `address` (its own source only).
    pub fn registry(&self, address: &str) -> Option<&'a Registry> {
        let registry = self.lab.registries.iter().find(|r| r.address.value.to_string() == address)?;
        self.record(SourceId::Registry(address.to_string()));
        Some(registry)
    }

    pub fn gitops(&self) -> Option<&'a GitOps> {
        self.record(SourceId::Gitops);
        self.lab.gitops.as_ref()
    }

    /// The user's Flux layers (each its own source, its files included).
    pub fn user_layers(&self) -> &'a [UserLayer] {
        let layers = self.lab.gitops.as_ref().map_or(&[][..], |g| g.layers.as_slice());
        for layer in layers {
            self.record(SourceId::Layer(layer.name.value.clone()));
        }
        layers
    }

    /// The user's Flux layer `name` (its own source only).
    pub fn user_layer(&self, name: &str) -> Option<&'a UserLayer> {
        let layer = self.lab.gitops.as_ref()?.layers.iter().find(|l| l.name.value == name)?;
        self.record(SourceId::Layer(name.to_string()));
        Some(layer)
    }

    /// The lab's `release NAME`, if it writes one (only then a source is read).
    pub fn release_settings(&self, name: &str) -> Option<&'a ReleaseSettings> {
        let settings = self.lab.releases.iter().find(|r| r.name.value == name)?;
        self.record(SourceId::Release(name.to_string()));
        Some(settings)
    }

    /// The lab's mirror of `repository`, if it has one (only then a source is read).
    pub fn package_mirror(&self, repository: PackageRepository) -> Option<&'a PackageMirror> {
        let mirror = self.lab.package_mirrors.iter().find(|m| m.repository.value == repository)?;
        self.record(SourceId::PackageMirror(repository.keyword().to_string()));
        Some(mirror)
    }

    fn record_topology(&self) {
        self.reads.borrow_mut().push(Need::Step(TOPOLOGY.to_string()));
    }

    /// Every node's name and role, reading each node: what the `topology` step is made of.
    pub fn roles(&self) -> Vec<(&'a str, Role)> {
        // The field through `Deref` (which records the node), not `NodeRef::role` (the topology).
        self.lab.nodes.iter().map(|node| self.node_ref(node)).map(|node| (node.name(), node.role)).collect()
    }

    /// The first control plane, which runs `kubeadm init` (the topology's to say).
    pub fn init_node(&self) -> Option<&'a str> {
        self.record_topology();
        self.lab.facts.init_node.as_deref()
    }

    /// Whether `node` runs `kubeadm init`.
    pub fn is_init_node(&self, node: &NodeRef) -> bool {
        self.init_node() == Some(node.name())
    }

    /// Whether control planes run workloads (decided by every node's role: the topology).
    pub fn control_planes_run_workloads(&self) -> bool {
        self.record_topology();
        self.lab.facts.control_planes_run_workloads
    }

    /// How many Ceph monitors run (from `storage.ceph` and which nodes have Ceph disks).
    pub fn ceph_mons(&self) -> Option<u32> {
        self.ceph()?;
        self.lab.nodes.iter().for_each(|node| self.record(SourceId::node(&node.name.value)));
        self.lab.facts.ceph_mons
    }

    /// The containerd the nodes run (from `cluster`).
    pub fn containerd(&self) -> Containerd {
        self.record(SourceId::Cluster);
        self.lab.facts.containerd
    }

    /// Every node, in document order (which nodes exist is the graph's shape, not a read).
    pub fn nodes(&self) -> impl Iterator<Item = NodeRef<'a, '_>> {
        self.lab.nodes.iter().map(|node| self.node_ref(node))
    }

    /// The node called `name` (a step's own node).
    pub fn node(&self, name: &str) -> NodeRef<'a, '_> {
        let node = self.lab.nodes.iter().find(|n| n.name.value == name).expect("a step's node exists");
        self.node_ref(node)
    }

    /// The control planes in document order: the `topology` step's product, which depends on
    /// every node's role.
    pub fn control_planes(&self) -> impl Iterator<Item = NodeRef<'a, '_>> {
        self.record_topology();
        self.lab.nodes.iter().filter(|n| n.is_control_plane()).map(|node| self.node_ref(node))
    }

    /// The API server endpoint every client uses: the VIP and its port, or the first control
    /// plane's address on 6443.
    pub fn control_plane_endpoint(&self) -> (Ipv4Addr, u16) {
        match &self.network().vip {
            Some(vip) => (vip.address.value, vip.port),
            None => (self.control_planes().next().map_or(self.lab.network.gateway.value, |n| n.ip()), 6443),
        }
    }

    fn node_ref<'r>(&'r self, node: &'a Node) -> NodeRef<'a, 'r> {
        NodeRef { node, reader: self }
    }
}

/// A node as a step reads it: its own fields through `Deref` (which records the node), its name,
/// role and NICs through methods (which record the topology, interface and address sources they
/// read).
#[derive(Clone, Copy)]
pub struct NodeRef<'a, 'r> {
    node: &'a Node,
    reader: &'r LabReader<'a>,
}

impl<'a> std::ops::Deref for NodeRef<'a, '_> {
    type Target = Node;

    fn deref(&self) -> &Node {
        self.reader.record(SourceId::node(&self.node.name.value));
        self.node
    }
}

impl<'a> NodeRef<'a, '_> {
    /// The node's name, borrowed from the model.
    pub fn name(&self) -> &'a str {
        &self.node.name.value
    }

    /// The node's role: the topology's (roles decide the graph's shape), not the node's.
    pub fn role(&self) -> Role {
        self.reader.record_topology();
        self.node.role
    }

    /// Whether the node is a control plane (the topology's to say).
    pub fn is_control_plane(&self) -> bool {
        self.role() == Role::ControlPlane
    }

    /// The node's source id (its identity: reads nothing).
    pub fn source_id(&self) -> SourceId {
        SourceId::node(self.name())
    }

    /// Its NICs' interface source ids (identities: read nothing).
    pub fn interface_ids(&self) -> Vec<SourceId> {
        self.node.nics.iter().map(|nic| SourceId::interface(self.name(), &nic.name.value)).collect()
    }

    /// Its NICs' address source ids (identities: read nothing).
    pub fn address_ids(&self) -> Vec<SourceId> {
        self.node.nics.iter().map(|nic| SourceId::address(self.name(), &nic.name.value)).collect()
    }

    /// The node's address on the LAN: its first NIC's.
    pub fn ip(&self) -> Ipv4Addr {
        let nic = &self.node.nics[0];
        self.reader.record(SourceId::address(&self.node.name.value, &nic.name.value));
        nic.ip.value
    }

    /// The name of the node's first NIC (not its address).
    pub fn interface_name(&self) -> &'a str {
        let nic = &self.node.nics[0];
        self.reader.record(SourceId::interface(&self.node.name.value, &nic.name.value));
        &nic.name.value
    }

    /// The first NIC: name, MAC and address.
    pub fn primary_nic(&self) -> &'a Nic {
        self.record_nic(&self.node.nics[0]);
        &self.node.nics[0]
    }

    /// Every NIC: names, MACs and addresses.
    pub fn nics(&self) -> &'a [Nic] {
        self.node.nics.iter().for_each(|nic| self.record_nic(nic));
        &self.node.nics
    }

    fn record_nic(&self, nic: &Nic) {
        self.reader.record(SourceId::interface(&self.node.name.value, &nic.name.value));
        self.reader.record(SourceId::address(&self.node.name.value, &nic.name.value));
    }
}
