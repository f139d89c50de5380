//! The output catalogue: every path of the output tree (but the `pki/…` files, whose path is
//! their certificate's name in `pki::spec`, the one place that makes it), built by one
//! constructor used by the renderer that writes it and by every one
//! that refers to it (cloud-init embeds node files, media copies the seed, the README and
//! bootstrap point at kubeconfigs, media, Helm values, manifests and the Flux tree).

/// A worker's drain-only kubeconfig on the node (written by `kubeconfig`, delivered by `pki`,
/// used by `converge` during an upgrade).
pub const DRAIN_KUBECONFIG: &str = "/etc/hlc/drain.conf";

/// A file of the output tree, relative to the output directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output<'a> {
    /// `README.md`.
    Readme,
    /// A node's own copy of a file cloud-init writes: `nodes/<node><target>`.
    NodeFile {
        node: &'a str,
        target: &'a str,
    },
    /// The reviewed copy of a kubeadm config: `nodes/<node>/kubeadm/<name>`.
    KubeadmConfig {
        node: &'a str,
        target: &'a str,
    },
    /// The NoCloud seed: `nodes/<node>/nocloud/{user-data,meta-data,network-config}`.
    UserData(&'a str),
    MetaData(&'a str),
    NetworkConfig(&'a str),
    /// A node's boot media directory: `nodes/<node>/media`.
    Media(&'a str),
    /// A boot medium or one of its files: `nodes/<node>/media/<file>` (`cidata.iso`,
    /// `cidata.img`, `rpi-boot/user-data`, `autoinstall/meta-data` …).
    MediaFile {
        node: &'a str,
        file: &'a str,
    },
    /// A cluster-wide kubeconfig: `kubeconfig/<who>.conf`.
    Kubeconfig(&'a str),
    /// A release's values: `cluster/helm-values/<release>.yaml`.
    HelmValues(&'a str),
    /// A component's objects: `cluster/manifests/<layer>.yaml`.
    Manifests(&'a str),
    /// Every component's namespace: `cluster/manifests/namespaces.yaml`.
    Namespaces,
    /// What runs once before Flux: `bootstrap/<file>` (`install.sh`, `helmfile.yaml`).
    Bootstrap(&'a str),
    /// A file of the Flux tree: `flux/<gitops path>/<file>`.
    Flux {
        root: &'a str,
        file: &'a str,
    },
    /// The LAN's dnsmasq: `network/dnsmasq/<file>`.
    Dnsmasq(&'a str),
}

impl Output<'_> {
    pub fn path(self) -> String {
        match self {
            Output::Readme => "README.md".into(),
            Output::NodeFile { node, target } => format!("nodes/{node}{target}"),
            Output::KubeadmConfig { node, target } => {
                format!("nodes/{node}/kubeadm/{}", target.rsplit('/').next().expect("has a name"))
            }
            Output::UserData(node) => format!("nodes/{node}/nocloud/user-data"),
            Output::MetaData(node) => format!("nodes/{node}/nocloud/meta-data"),
            Output::NetworkConfig(node) => format!("nodes/{node}/nocloud/network-config"),
            Output::Media(node) => format!("nodes/{node}/media"),
            Output::MediaFile { node, file } => format!("{}/{file}", Output::Media(node).path()),
            Output::Kubeconfig(who) => format!("kubeconfig/{who}.conf"),
            Output::HelmValues(release) => format!("cluster/helm-values/{release}.yaml"),
            Output::Manifests(layer) => format!("cluster/manifests/{layer}.yaml"),
            Output::Namespaces => Output::Manifests("namespaces").path(),
            Output::Bootstrap(file) => format!("bootstrap/{file}"),
            Output::Flux { root, file } => format!("flux/{root}/{file}"),
            Output::Dnsmasq(file) => format!("network/dnsmasq/{file}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Output;

    #[test]
    fn paths_follow_the_documented_layout() {
        assert_eq!(Output::NodeFile { node: "n1", target: "/etc/x.conf" }.path(), "nodes/n1/etc/x.conf");
        let init = Output::KubeadmConfig { node: "n1", target: "/etc/kubernetes/hlc/init.yaml" };
        assert_eq!(init.path(), "nodes/n1/kubeadm/init.yaml");
        assert_eq!(Output::UserData("n1").path(), "nodes/n1/nocloud/user-data");
        assert_eq!(Output::Kubeconfig("admin").path(), "kubeconfig/admin.conf");
        assert_eq!(Output::HelmValues("metallb").path(), "cluster/helm-values/metallb.yaml");
        assert_eq!(Output::Namespaces.path(), "cluster/manifests/namespaces.yaml");
        assert_eq!(Output::Bootstrap("install.sh").path(), "bootstrap/install.sh");
        assert_eq!(Output::Flux { root: "clusters/x", file: "layers.yaml" }.path(), "flux/clusters/x/layers.yaml");
        assert_eq!(Output::Dnsmasq("hosts").path(), "network/dnsmasq/hosts");
    }
}
