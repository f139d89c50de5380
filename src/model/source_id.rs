//! `SourceId`: a KDL node by identity, the sources of the artifact graph. Displayed as the ids
//! `hlc explain`, `hlc graph` and provenance headers have always printed (`node "pi1" nic "eth0" ip`).

use std::fmt;

/// A graph source: a singleton top-level node (present even when defaulted) or a repeatable one
/// told apart by its first argument.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceId {
    Cluster,
    Network,
    Cni,
    KubeProxy,
    LoadBalancer,
    Ingress,
    /// The `storage` block itself (it holds nothing but its children).
    Storage,
    Auth,
    Access,
    Gitops,
    /// `node "name"`: its name, role, hardware, sizes and disks.
    Node(String),
    /// `node "name" nic "eth0"`: the interface's name and MAC.
    Interface {
        node: String,
        nic: String,
    },
    /// `node "name" nic "eth0" ip`: the interface's address.
    Address {
        node: String,
        nic: String,
    },
    Hardware(String),
    Registry(String),
    /// `storage.ceph`.
    Ceph,
    /// `storage.nfs "name"`.
    Nfs(String),
    /// `release "name"`: a release's chart version and values file (its content included).
    Release(String),
    /// `gitops { layer "name" }`: a Flux layer of the user's manifests (the files included).
    Layer(String),
    /// `package-mirror "kubernetes"`.
    PackageMirror(String),
}

impl SourceId {
    /// The singletons, which always exist as sources, with their KDL names.
    pub const SINGLETONS: [(SourceId, &'static str); 10] = [
        (SourceId::Cluster, "cluster"),
        (SourceId::Network, "network"),
        (SourceId::Cni, "cni"),
        (SourceId::KubeProxy, "kube-proxy"),
        (SourceId::LoadBalancer, "load-balancer"),
        (SourceId::Ingress, "ingress"),
        (SourceId::Storage, "storage"),
        (SourceId::Auth, "auth"),
        (SourceId::Access, "access"),
        (SourceId::Gitops, "gitops"),
    ];

    pub fn node(name: &str) -> SourceId {
        SourceId::Node(name.to_string())
    }

    pub fn interface(node: &str, nic: &str) -> SourceId {
        SourceId::Interface { node: node.to_string(), nic: nic.to_string() }
    }

    pub fn address(node: &str, nic: &str) -> SourceId {
        SourceId::Address { node: node.to_string(), nic: nic.to_string() }
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((_, name)) = SourceId::SINGLETONS.iter().find(|(id, _)| id == self) {
            return f.write_str(name);
        }
        match self {
            SourceId::Node(name) => write!(f, "node \"{name}\""),
            SourceId::Interface { node, nic } => write!(f, "node \"{node}\" nic \"{nic}\""),
            SourceId::Address { node, nic } => write!(f, "node \"{node}\" nic \"{nic}\" ip"),
            SourceId::Hardware(name) => write!(f, "hardware \"{name}\""),
            SourceId::Registry(address) => write!(f, "registry \"{address}\""),
            SourceId::Ceph => f.write_str("storage.ceph"),
            SourceId::Nfs(name) => write!(f, "storage.nfs \"{name}\""),
            SourceId::Release(name) => write!(f, "release \"{name}\""),
            SourceId::Layer(name) => write!(f, "gitops.layer \"{name}\""),
            SourceId::PackageMirror(repository) => write!(f, "package-mirror \"{repository}\""),
            _ => unreachable!("singletons are written above"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SourceId;

    #[test]
    fn sources_display_as_their_kdl_identity() {
        assert_eq!(SourceId::KubeProxy.to_string(), "kube-proxy");
        assert_eq!(SourceId::address("pi1", "eth0").to_string(), "node \"pi1\" nic \"eth0\" ip");
        assert_eq!(SourceId::interface("pi1", "eth0").to_string(), "node \"pi1\" nic \"eth0\"");
        assert_eq!(SourceId::Nfs("backup".into()).to_string(), "storage.nfs \"backup\"");
        assert_eq!(SourceId::Ceph.to_string(), "storage.ceph");
    }
}
