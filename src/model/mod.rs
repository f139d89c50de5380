//! The typed model of a homelab: what `lower` produces from KDL, with every default applied.
//!
//! Checks and renderers read only this. Values that a diagnostic may point at are `Spanned`.

pub mod address;
pub mod ids;
pub mod names;
pub mod pins;
pub mod size;
pub mod source_id;
pub mod spanned;
pub mod version;

use std::net::Ipv4Addr;

pub use address::{AddressRange, Cidr};
pub use ids::{HardwareId, NodeId};
pub use names::{HostPort, Mac};
pub use size::ByteSize;
pub use source_id::SourceId;
pub use spanned::Spanned;
pub use version::KubeVersion;

use crate::diagnostic::Span;

/// Implements `keyword()`: the word homelab.kdl spells a value with, for generated files.
macro_rules! keywords {
    ($($type:ty { $($variant:ident => $word:literal),* $(,)? })*) => {
        $(impl $type {
            pub fn keyword(self) -> &'static str {
                match self { $(Self::$variant => $word),* }
            }
        })*
    };
}

keywords! {
    Os { Ubuntu2204 => "ubuntu-22.04", Ubuntu2404 => "ubuntu-24.04", Debian12 => "debian-12", Debian13 => "debian-13" }
    Arch { Amd64 => "amd64", Arm64 => "arm64" }
    Role { ControlPlane => "control-plane", Worker => "worker", Storage => "storage" }
    DiskUse { Os => "os", Ceph => "ceph", Data => "data", Ignore => "ignore" }
    Filesystem { Ext4 => "ext4", Xfs => "xfs" }
    CalicoEncapsulation { Vxlan => "vxlan", IpIp => "ipip", None => "none" }
    FlannelBackend { Vxlan => "vxlan", HostGw => "host-gw", Wireguard => "wireguard" }
    ProxyMode { Iptables => "iptables", Ipvs => "ipvs", Nftables => "nftables" }
    VipProvider { KubeVip => "kube-vip", Keepalived => "keepalived" }
    KeyType { EcdsaP256 => "ecdsa-p256", Rsa2048 => "rsa-2048" }
    PackageRepository { Os => "os", Kubernetes => "kubernetes", Containerd => "containerd" }
}

/// The whole document.
#[derive(Clone, Debug)]
pub struct Lab {
    pub cluster: Cluster,
    pub network: Network,
    pub hardware: Vec<Hardware>,
    pub nodes: Vec<Node>,
    pub cni: Cni,
    /// `None` exactly when Cilium replaces kube-proxy.
    pub kube_proxy: Option<KubeProxy>,
    pub load_balancer: Option<LoadBalancer>,
    pub ingress: Option<Ingress>,
    pub storage: Storage,
    pub auth: Option<Auth>,
    pub users: Vec<User>,
    pub registries: Vec<Registry>,
    pub gitops: Option<GitOps>,
    /// `package-mirror`: at most one per repository (checked).
    pub package_mirrors: Vec<PackageMirror>,
    /// `release`: the user's changes to releases hlc deploys.
    pub releases: Vec<ReleaseSettings>,
    /// Every KDL node by identity (`cluster`, `node "node1"`, `storage.ceph`), with its span when
    /// written: the sources of the artifact graph.
    pub sources: Vec<(SourceId, Option<Span>)>,
    /// What follows from the above, decided once in `lower`.
    pub facts: Facts,
}

/// Facts derived from several parts of the lab, which more than one renderer uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Facts {
    /// The first control plane: it runs `kubeadm init` (from `topology`).
    pub init_node: Option<String>,
    /// Fewer than three plain workers: control planes run workloads too (no NoSchedule taint), or
    /// a small lab could not place ingress, Ceph mons or anything else (from every node's role).
    pub control_planes_run_workloads: bool,
    /// Ceph monitors: `mons`, else min(3, Ceph hosts) made odd (from `storage.ceph` and the nodes).
    pub ceph_mons: Option<u32>,
    /// The containerd the nodes run (from `cluster`).
    pub containerd: Containerd,
}

/// A containerd line: its version and whether it comes from Docker's repository (2.x, for
/// Kubernetes 1.36 and later) rather than the distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Containerd {
    pub version: (u32, u32),
    pub from_docker: bool,
}

impl Containerd {
    /// The config schema version: 2 for 1.x, 3 for 2.x.
    pub fn schema_version(self) -> u32 {
        if self.version.0 >= 2 {
            3
        } else {
            2
        }
    }
}

impl Lab {
    /// The API server endpoint every client uses: the VIP and its port, or the only control
    /// plane's address on 6443.
    pub fn control_plane_endpoint(&self) -> (std::net::Ipv4Addr, u16) {
        match &self.network.vip {
            Some(vip) => (vip.address.value, vip.port),
            None => (self.control_planes().next().map_or(self.network.gateway.value, Node::ip), 6443),
        }
    }

    pub fn control_planes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.is_control_plane())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Os {
    Ubuntu2204,
    Ubuntu2404,
    Debian12,
    Debian13,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyType {
    EcdsaP256,
    Rsa2048,
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub name: Spanned<String>,
    pub kubernetes: Spanned<KubeVersion>,
    pub os: Os,
    pub timezone: String,
    pub key_type: KeyType,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Network {
    pub lan: Spanned<Cidr>,
    pub gateway: Spanned<Ipv4Addr>,
    /// DNS servers handed to nodes; default: the gateway.
    pub dns: Vec<Spanned<Ipv4Addr>>,
    pub domain: Spanned<String>,
    pub dhcp: Option<Spanned<AddressRange>>,
    /// Empty means the distribution's default pool.
    pub ntp: Vec<String>,
    pub pods: Spanned<Cidr>,
    pub services: Spanned<Cidr>,
    pub vip: Option<Vip>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VipProvider {
    KubeVip,
    Keepalived,
}

#[derive(Clone, Debug)]
pub struct Vip {
    pub address: Spanned<Ipv4Addr>,
    pub via: VipProvider,
    /// The endpoint port: 6443 for kube-vip, 8443 for keepalived+haproxy, unless `port=`.
    pub port: u16,
    pub name: Option<Spanned<String>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    Amd64,
    Arm64,
}

#[derive(Clone, Debug)]
pub struct Hardware {
    pub name: Spanned<String>,
    pub arch: Option<Arch>,
    pub cpus: Option<u32>,
    pub memory: Option<ByteSize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    ControlPlane,
    Worker,
    Storage,
}

#[derive(Clone, Debug)]
pub struct Node {
    pub name: Spanned<String>,
    /// The hardware profile it uses, if any.
    pub hardware: Option<HardwareId>,
    pub role: Role,
    /// Resolved: the node's own value, else its hardware profile's, else amd64.
    pub arch: Arch,
    pub cpus: Option<u32>,
    pub memory: Option<Spanned<ByteSize>>,
    pub nics: Vec<Nic>,
    pub disks: Vec<Disk>,
    pub span: Span,
}

impl Node {
    /// The node's address on the LAN: its first NIC's. Lowering guarantees there is one.
    pub fn ip(&self) -> Ipv4Addr {
        *self.nics[0].ip
    }

    pub fn primary_nic(&self) -> &Nic {
        &self.nics[0]
    }

    pub fn is_control_plane(&self) -> bool {
        self.role == Role::ControlPlane
    }

    pub fn ceph_disks(&self) -> impl Iterator<Item = &Disk> {
        self.disks.iter().filter(|d| d.usage == DiskUse::Ceph)
    }
}

#[derive(Clone, Debug)]
pub struct Nic {
    pub name: Spanned<String>,
    pub mac: Spanned<Mac>,
    pub ip: Spanned<Ipv4Addr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DiskUse {
    Os,
    Ceph,
    Data,
    Ignore,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filesystem {
    Ext4,
    Xfs,
}

#[derive(Clone, Debug)]
pub struct Disk {
    pub path: Spanned<String>,
    pub usage: DiskUse,
    /// Only for data disks: where it is mounted and how it is formatted.
    pub mount: Option<Spanned<String>>,
    pub fs: Option<Spanned<Filesystem>>,
    pub size: Option<ByteSize>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalicoEncapsulation {
    Vxlan,
    IpIp,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlannelBackend {
    Vxlan,
    HostGw,
    Wireguard,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CniKind {
    Calico { encapsulation: CalicoEncapsulation },
    Cilium { kube_proxy_replacement: bool },
    Flannel { backend: FlannelBackend },
}

#[derive(Clone, Debug)]
pub struct Cni {
    pub kind: CniKind,
    /// The `cni` node, or the document start when it was left to its default.
    pub span: Span,
}

impl Cni {
    pub fn replaces_kube_proxy(&self) -> bool {
        matches!(self.kind, CniKind::Cilium { kube_proxy_replacement: true })
    }

    pub fn is_cilium(&self) -> bool {
        matches!(self.kind, CniKind::Cilium { .. })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProxyMode {
    Iptables,
    Ipvs,
    Nftables,
}

#[derive(Clone, Debug)]
pub struct KubeProxy {
    pub mode: Spanned<ProxyMode>,
    /// Whether the user wrote a `kube-proxy` node (rather than taking the default).
    pub declared: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadBalancerKind {
    Metallb,
    Cilium,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LbMode {
    L2,
    Bgp,
}

#[derive(Clone, Debug)]
pub struct LoadBalancer {
    pub kind: Spanned<LoadBalancerKind>,
    pub mode: Spanned<LbMode>,
    pub pools: Vec<Pool>,
    pub peers: Vec<BgpPeer>,
}

#[derive(Clone, Debug)]
pub struct Pool {
    pub name: Spanned<String>,
    pub ranges: Vec<Spanned<AddressRange>>,
}

#[derive(Clone, Debug)]
pub struct BgpPeer {
    pub address: Spanned<Ipv4Addr>,
    pub asn: u32,
    pub my_asn: u32,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Ingress {
    pub ip: Option<Spanned<Ipv4Addr>>,
    pub span: Span,
}

#[derive(Clone, Debug, Default)]
pub struct Storage {
    pub ceph: Option<Ceph>,
    pub nfs: Vec<Nfs>,
}

#[derive(Clone, Debug)]
pub struct Ceph {
    pub block_pools: Vec<CephPool>,
    pub filesystems: Vec<CephPool>,
    pub object_stores: Vec<CephPool>,
    pub osd_memory: Spanned<ByteSize>,
    /// `None`: min(3, Ceph hosts), made odd.
    pub mons: Option<Spanned<u32>>,
    pub span: Span,
}

/// A block pool, filesystem or object store: a name, a replica count and its storage class.
#[derive(Clone, Debug)]
pub struct CephPool {
    pub name: Spanned<String>,
    pub replicas: Spanned<u32>,
    pub storage_class: Option<String>,
    pub default: Option<Span>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NfsServer {
    Node(NodeId),
    Address(Ipv4Addr),
}

#[derive(Clone, Debug)]
pub struct Nfs {
    pub name: Spanned<String>,
    pub server: Spanned<NfsServer>,
    pub path: Spanned<String>,
    pub storage_class: String,
    pub default: Option<Span>,
}

impl Nfs {
    /// Whether the node called `node` serves this share.
    pub fn served_by(&self, node: &str) -> bool {
        matches!(&self.server.value, NfsServer::Node(server) if **server == *node)
    }
}

#[derive(Clone, Debug)]
pub struct Auth {
    pub oidc: Option<Oidc>,
    pub grants: Vec<Grant>,
    pub roles: Vec<RoleDef>,
}

#[derive(Clone, Debug)]
pub struct Oidc {
    pub issuer: Spanned<String>,
    pub client_id: String,
    pub username_claim: String,
    pub groups_claim: String,
    pub username_prefix: String,
    pub groups_prefix: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Group(String),
}

#[derive(Clone, Debug)]
pub struct Grant {
    pub role: Spanned<String>,
    pub subject: Subject,
    pub namespace: Option<String>,
    pub span: Span,
}

/// A declared RBAC role (`role NAME { rule … }` inside `auth`).
#[derive(Clone, Debug)]
pub struct RoleDef {
    pub name: Spanned<String>,
    pub rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
    pub verbs: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct User {
    pub name: Spanned<String>,
    pub ssh_keys: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Registry {
    pub address: Spanned<HostPort>,
    pub insecure: bool,
    pub mirror_of: Option<String>,
}

#[derive(Clone, Debug)]
pub struct GitOps {
    pub url: Spanned<String>,
    pub branch: String,
    pub path: String,
    /// The user's own layers, in document order.
    pub layers: Vec<UserLayer>,
}

/// `layer NAME directory= after=`: a directory of the user's manifests as a Flux layer.
#[derive(Clone, Debug)]
pub struct UserLayer {
    pub name: Spanned<String>,
    pub directory: Spanned<String>,
    /// The layers it waits for; `None`: every layer hlc writes (lower cannot know them: the add-on
    /// renderers decide which exist).
    pub after: Option<Spanned<Vec<String>>>,
    /// The directory's files (recursively, sorted), copied into the tree as they are.
    pub files: Vec<crate::source::FileBeside>,
    /// Whether a file holds SOPS-encrypted objects (Flux then decrypts the layer).
    pub sops: bool,
}

/// Which upstream package repository a mirror stands in for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PackageRepository {
    /// The distribution's archive (and its security suite).
    Os,
    /// pkgs.k8s.io.
    Kubernetes,
    /// download.docker.com (containerd.io 2.x).
    Containerd,
}

/// `package-mirror REPOSITORY url= key=`.
#[derive(Clone, Debug)]
pub struct PackageMirror {
    pub repository: Spanned<PackageRepository>,
    /// Without a trailing slash.
    pub url: Spanned<String>,
    /// The signing key's URL when given (kubernetes and containerd only).
    pub key: Option<String>,
}

/// `release NAME version= values=`.
#[derive(Clone, Debug)]
pub struct ReleaseSettings {
    pub name: Spanned<String>,
    pub version: Option<Spanned<String>>,
    pub values: Option<UserValues>,
}

/// A values file: where `values=` is written (with the file's path) and its content, a mapping.
#[derive(Clone, Debug)]
pub struct UserValues {
    pub file: Spanned<String>,
    pub values: serde_json::Value,
}
