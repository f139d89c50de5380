//! The one table of Helm charts hlc deploys, with pinned versions (bump them here only).

/// A chart in a Helm repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chart {
    /// The HelmRepository name (also the `helm repo add` name).
    pub repository: &'static str,
    pub url: &'static str,
    pub chart: &'static str,
    pub version: &'static str,
}

/// Calico's operator; 3.31 still bundles its CRDs in the chart (3.32 moved them to a second one).
pub const TIGERA_OPERATOR: Chart = Chart {
    repository: "projectcalico",
    url: "https://docs.tigera.io/calico/charts",
    chart: "tigera-operator",
    version: "v3.31.7",
};
pub const CILIUM: Chart =
    Chart { repository: "cilium", url: "https://helm.cilium.io/", chart: "cilium", version: "1.20.0" };
pub const FLANNEL: Chart =
    Chart { repository: "flannel", url: "https://flannel-io.github.io/flannel/", chart: "flannel", version: "v0.28.9" };
pub const METALLB: Chart =
    Chart { repository: "metallb", url: "https://metallb.github.io/metallb", chart: "metallb", version: "0.16.1" };
/// Rook 1.19 still configures the Ceph CSI drivers from its own chart (1.20 needs a third chart).
pub const ROOK_CEPH: Chart = Chart {
    repository: "rook-release",
    url: "https://charts.rook.io/release",
    chart: "rook-ceph",
    version: "v1.19.10",
};
pub const CSI_DRIVER_NFS: Chart = Chart {
    repository: "csi-driver-nfs",
    url: "https://raw.githubusercontent.com/kubernetes-csi/csi-driver-nfs/master/charts",
    chart: "csi-driver-nfs",
    version: "4.13.4",
};
/// ingress-nginx is retired upstream (March 2026); 4.15.1 is its final chart.
pub const INGRESS_NGINX: Chart = Chart {
    repository: "ingress-nginx",
    url: "https://kubernetes.github.io/ingress-nginx",
    chart: "ingress-nginx",
    version: "4.15.1",
};

/// The Ceph image Rook runs.
pub const CEPH_IMAGE: &str = "quay.io/ceph/ceph:v19.2.6";
/// The Flux release the bootstrap script installs (`flux install --version`).
pub const FLUX_VERSION: &str = "v2.9.4";
