//! The vocabulary of homelab.kdl as data: every node, its arguments, properties, defaults and
//! cardinality. `lower::shape` validates documents against it, and `schema/homelab.schema.kdl`
//! is generated from it, so the parser and the published schema cannot drift apart.

/// What kind of value an argument or property holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    String,
    Integer,
    /// An integer from 1 to 65535.
    Port,
    Bool,
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    Ip,
    Cidr,
    /// `"A-B"`.
    Range,
    /// `"A-B"` or a CIDR.
    RangeOrCidr,
    Mac,
    Size,
    Url,
    /// An `http`/`https` URL apt can use: no credentials, query or fragment.
    AptUrl,
    /// One exact Helm chart version (no range).
    ChartVersion,
    Version,
    DnsLabel,
    DnsName,
    Path,
    HostPort,
}

/// The three KDL value types the language uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KdlType {
    String,
    Integer,
    Bool,
}

impl Kind {
    pub fn kdl_type(self) -> KdlType {
        match self {
            Kind::Integer | Kind::Port => KdlType::Integer,
            Kind::Bool => KdlType::Bool,
            _ => KdlType::String,
        }
    }

    /// A short description for messages and the schema (`IPv4 address`, `one of …`).
    pub fn describe(self) -> String {
        match self {
            Kind::String => "string".into(),
            Kind::Integer => "integer".into(),
            Kind::Port => "TCP port".into(),
            Kind::Bool => "boolean (#true or #false)".into(),
            Kind::Choice(choices) => format!("one of {}", quoted_list(choices)),
            Kind::Ip => "IPv4 address".into(),
            Kind::Cidr => "IPv4 CIDR".into(),
            Kind::Range => "address range \"A-B\"".into(),
            Kind::RangeOrCidr => "address range \"A-B\" or CIDR".into(),
            Kind::Mac => "MAC address".into(),
            Kind::Size => "size (\"16GiB\", \"250GB\")".into(),
            Kind::Url => "URL".into(),
            Kind::AptUrl => "http(s) URL".into(),
            Kind::ChartVersion => "chart version".into(),
            Kind::Version => "Kubernetes version (\"1.36\", \"1.36.2\")".into(),
            Kind::DnsLabel => "DNS label".into(),
            Kind::DnsName => "DNS name".into(),
            Kind::Path => "absolute path".into(),
            Kind::HostPort => "HOST:PORT".into(),
        }
    }
}

/// `"a" | "b" | "c"`.
pub fn quoted_list(items: &[&str]) -> String {
    items.iter().map(|c| format!("\"{c}\"")).collect::<Vec<_>>().join(" | ")
}

/// A positional argument.
#[derive(Clone, Copy, Debug)]
pub struct Arg {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub doc: &'static str,
}

/// A `key=value` property.
#[derive(Clone, Copy, Debug)]
pub struct Prop {
    pub name: &'static str,
    pub kind: Kind,
    pub required: bool,
    pub default: Option<&'static str>,
    /// When non-empty, the property applies only when the node's first argument is one of these.
    pub only_for: &'static [&'static str],
    pub doc: &'static str,
}

/// A node and what it may hold.
#[derive(Clone, Copy, Debug)]
pub struct NodeSpec {
    pub name: &'static str,
    pub doc: &'static str,
    pub args: &'static [Arg],
    /// Further arguments of one kind (e.g. NTP servers); `required` means at least one.
    pub rest: Option<Arg>,
    pub props: &'static [Prop],
    pub children: &'static [NodeSpec],
    pub min: u32,
    pub max: Option<u32>,
}

impl NodeSpec {
    const EMPTY: NodeSpec =
        NodeSpec { name: "", doc: "", args: &[], rest: None, props: &[], children: &[], min: 0, max: None };

    pub fn prop(&self, name: &str) -> Option<&Prop> {
        self.props.iter().find(|p| p.name == name)
    }

    pub fn child(&self, name: &str) -> Option<&NodeSpec> {
        self.children.iter().find(|c| c.name == name)
    }
}

const fn arg(name: &'static str, kind: Kind, doc: &'static str) -> Arg {
    Arg { name, kind, required: true, doc }
}

const fn prop(name: &'static str, kind: Kind, default: Option<&'static str>, doc: &'static str) -> Prop {
    Prop { name, kind, required: false, default, only_for: &[], doc }
}

const fn required(name: &'static str, kind: Kind, doc: &'static str) -> Prop {
    Prop { name, kind, required: true, default: None, only_for: &[], doc }
}

const fn only_for(mut p: Prop, kinds: &'static [&'static str]) -> Prop {
    p.only_for = kinds;
    p
}

/// A node holding a single required argument, at most once.
macro_rules! single {
    ($name:literal, $kind:expr, $doc:literal) => {
        NodeSpec { name: $name, doc: $doc, args: &[arg($name, $kind, $doc)], max: Some(1), ..NodeSpec::EMPTY }
    };
}

pub const OS_CHOICES: &[&str] = &["ubuntu-22.04", "ubuntu-24.04", "debian-12", "debian-13"];
pub const ROLE_CHOICES: &[&str] = &["control-plane", "worker", "storage"];
pub const ARCH_CHOICES: &[&str] = &["amd64", "arm64"];
pub const BUILTIN_ROLES: &[&str] = &["cluster-admin", "admin", "edit", "view"];

const CLUSTER: NodeSpec = NodeSpec {
    name: "cluster",
    doc: "The cluster: its name and what runs on every node.",
    args: &[arg("name", Kind::DnsLabel, "cluster name")],
    children: &[
        single!("kubernetes", Kind::Version, "Kubernetes version, 1.33 to 1.37 (default: 1.37)"),
        single!("os", Kind::Choice(OS_CHOICES), "node operating system (default: ubuntu-24.04)"),
        single!("timezone", Kind::String, "IANA time zone of the nodes (default: Etc/UTC)"),
        single!(
            "key-type",
            Kind::Choice(&["ecdsa-p256", "rsa-2048"]),
            "key algorithm of the PKI (default: ecdsa-p256)"
        ),
    ],
    min: 1,
    max: Some(1),
    ..NodeSpec::EMPTY
};

const NETWORK: NodeSpec = NodeSpec {
    name: "network",
    doc: "Address plan of the LAN and the cluster.",
    children: &[
        NodeSpec {
            name: "lan",
            doc: "The LAN the nodes sit on.",
            args: &[arg("cidr", Kind::Cidr, "the LAN network")],
            props: &[
                required("gateway", Kind::Ip, "default gateway"),
                prop("dns", Kind::Ip, Some("the gateway"), "DNS server handed to nodes"),
                prop("domain", Kind::DnsName, Some("home.arpa"), "search domain and DNS suffix of nodes"),
            ],
            min: 1,
            max: Some(1),
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "dhcp",
            doc: "Dynamic range that dnsmasq serves to other devices.",
            props: &[required("range", Kind::Range, "dynamic range \"A-B\"")],
            max: Some(1),
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "ntp",
            doc: "NTP servers (default: the distribution's pool).",
            rest: Some(arg("server", Kind::String, "NTP server host name or address")),
            max: Some(1),
            ..NodeSpec::EMPTY
        },
        single!("pods", Kind::Cidr, "pod network (default: 10.244.0.0/16)"),
        single!("services", Kind::Cidr, "service network (default: 10.96.0.0/12)"),
        NodeSpec {
            name: "vip",
            doc: "The control-plane endpoint.",
            args: &[arg("address", Kind::Ip, "virtual IP of the API server")],
            props: &[
                prop("via", Kind::Choice(&["kube-vip", "keepalived"]), Some("kube-vip"), "what holds the VIP"),
                prop("name", Kind::DnsName, None, "DNS name of the endpoint (a SAN and a dnsmasq record)"),
                prop("port", Kind::Port, Some("6443 (kube-vip), 8443 (keepalived)"), "endpoint port"),
            ],
            max: Some(1),
            ..NodeSpec::EMPTY
        },
    ],
    min: 1,
    max: Some(1),
    ..NodeSpec::EMPTY
};

const HARDWARE: NodeSpec = NodeSpec {
    name: "hardware",
    doc: "A reusable machine profile.",
    args: &[arg("name", Kind::String, "profile name")],
    props: &[
        prop("arch", Kind::Choice(ARCH_CHOICES), Some("amd64"), "CPU architecture"),
        prop("cpus", Kind::Integer, None, "CPU count"),
        prop("memory", Kind::Size, None, "memory"),
    ],
    ..NodeSpec::EMPTY
};

const NODE: NodeSpec = NodeSpec {
    name: "node",
    doc: "One machine of the cluster.",
    args: &[arg("name", Kind::DnsLabel, "host name and Kubernetes node name")],
    props: &[
        prop("hardware", Kind::String, None, "name of a hardware profile"),
        prop("role", Kind::Choice(ROLE_CHOICES), Some("worker"), "what the node does"),
        prop("arch", Kind::Choice(ARCH_CHOICES), Some("the profile's, else amd64"), "CPU architecture"),
        prop("cpus", Kind::Integer, Some("the profile's"), "CPU count"),
        prop("memory", Kind::Size, Some("the profile's"), "memory"),
    ],
    children: &[
        NodeSpec {
            name: "nic",
            doc: "A network interface; the first one carries the node's LAN address.",
            args: &[arg("name", Kind::String, "interface name, e.g. enp1s0")],
            props: &[required("mac", Kind::Mac, "MAC address"), required("ip", Kind::Ip, "static address on the LAN")],
            min: 1,
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "disk",
            doc: "A disk and what it is for.",
            args: &[arg("path", Kind::Path, "device path, preferably /dev/disk/by-id/…")],
            props: &[
                required("use", Kind::Choice(&["os", "ceph", "data", "ignore"]), "what the disk is for"),
                prop("mount", Kind::Path, None, "mount point (data disks only, required there)"),
                prop("fs", Kind::Choice(&["ext4", "xfs"]), Some("ext4"), "filesystem (data disks only)"),
                prop("size", Kind::Size, None, "disk size (informational)"),
            ],
            ..NodeSpec::EMPTY
        },
    ],
    min: 1,
    ..NodeSpec::EMPTY
};

const CNI: NodeSpec = NodeSpec {
    name: "cni",
    doc: "The pod network (default: calico with VXLAN).",
    args: &[arg("kind", Kind::Choice(&["calico", "cilium", "flannel"]), "CNI plugin")],
    props: &[
        only_for(
            prop(
                "encapsulation",
                Kind::Choice(&["vxlan", "ipip", "none"]),
                Some("vxlan"),
                "Calico encapsulation; none = plain BGP",
            ),
            &["calico"],
        ),
        only_for(prop("kube-proxy-replacement", Kind::Bool, Some("#false"), "Cilium replaces kube-proxy"), &["cilium"]),
        only_for(
            prop("backend", Kind::Choice(&["vxlan", "host-gw", "wireguard"]), Some("vxlan"), "Flannel backend"),
            &["flannel"],
        ),
    ],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const KUBE_PROXY: NodeSpec = NodeSpec {
    name: "kube-proxy",
    doc: "kube-proxy settings (absent when Cilium replaces kube-proxy).",
    props: &[prop("mode", Kind::Choice(&["iptables", "ipvs", "nftables"]), Some("iptables"), "proxy mode")],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const LOAD_BALANCER: NodeSpec = NodeSpec {
    name: "load-balancer",
    doc: "LoadBalancer services: MetalLB, or Cilium LB IPAM with L2 announcements.",
    args: &[arg("kind", Kind::Choice(&["metallb", "cilium"]), "implementation")],
    props: &[only_for(
        prop("mode", Kind::Choice(&["l2", "bgp"]), Some("l2"), "MetalLB announcement mode"),
        &["metallb"],
    )],
    children: &[
        NodeSpec {
            name: "pool",
            doc: "An address pool.",
            args: &[arg("name", Kind::DnsLabel, "pool name")],
            rest: Some(arg("range", Kind::RangeOrCidr, "addresses of the pool")),
            min: 1,
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "peer",
            doc: "A BGP peer (MetalLB BGP mode).",
            args: &[arg("address", Kind::Ip, "router address")],
            props: &[
                required("asn", Kind::Integer, "the router's AS number"),
                required("my-asn", Kind::Integer, "the cluster's AS number"),
            ],
            ..NodeSpec::EMPTY
        },
    ],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const INGRESS: NodeSpec = NodeSpec {
    name: "ingress",
    doc: "An ingress controller behind a LoadBalancer service.",
    args: &[arg("kind", Kind::Choice(&["ingress-nginx"]), "controller")],
    props: &[prop("ip", Kind::Ip, Some("any address of a pool"), "LoadBalancer IP, inside a pool")],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const CEPH_POOL_PROPS: &[Prop] = &[
    prop("replicas", Kind::Integer, Some("3"), "copies of each object"),
    prop("storage-class", Kind::DnsName, None, "StorageClass to create"),
    prop("default", Kind::Bool, Some("#false"), "make that StorageClass the cluster default"),
];

const STORAGE: NodeSpec = NodeSpec {
    name: "storage",
    doc: "Persistent storage: Rook-Ceph and NFS.",
    children: &[
        NodeSpec {
            name: "ceph",
            doc: "Rook-Ceph on every disk with use=\"ceph\".",
            children: &[
                NodeSpec {
                    name: "block-pool",
                    doc: "An RBD block pool.",
                    args: &[arg("name", Kind::DnsLabel, "pool name")],
                    props: CEPH_POOL_PROPS,
                    ..NodeSpec::EMPTY
                },
                NodeSpec {
                    name: "filesystem",
                    doc: "A CephFS filesystem.",
                    args: &[arg("name", Kind::DnsLabel, "filesystem name")],
                    props: CEPH_POOL_PROPS,
                    ..NodeSpec::EMPTY
                },
                NodeSpec {
                    name: "object-store",
                    doc: "An S3 object store (RGW).",
                    args: &[arg("name", Kind::DnsLabel, "store name")],
                    props: CEPH_POOL_PROPS,
                    ..NodeSpec::EMPTY
                },
                single!("osd-memory", Kind::Size, "memory limit per OSD (default: 4GiB)"),
                single!("mons", Kind::Integer, "monitor count, odd (default: min(3, Ceph hosts), odd)"),
            ],
            max: Some(1),
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "nfs",
            doc: "An NFS export used through csi-driver-nfs.",
            args: &[arg("name", Kind::DnsLabel, "share name")],
            props: &[
                required("server", Kind::String, "a node name or an IPv4 address"),
                required("path", Kind::Path, "exported path"),
                prop("storage-class", Kind::DnsName, Some("nfs-<name>"), "StorageClass to create"),
                prop("default", Kind::Bool, Some("#false"), "make that StorageClass the cluster default"),
            ],
            ..NodeSpec::EMPTY
        },
    ],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const AUTH: NodeSpec = NodeSpec {
    name: "auth",
    doc: "Sign-in with OIDC and RBAC grants.",
    children: &[
        NodeSpec {
            name: "oidc",
            doc: "The API server's OIDC issuer.",
            props: &[
                required("issuer", Kind::Url, "issuer URL, https://"),
                required("client-id", Kind::String, "OIDC client ID (the token audience)"),
                prop("username-claim", Kind::String, Some("sub"), "claim that names the user"),
                prop("groups-claim", Kind::String, Some("groups"), "claim that lists groups"),
                prop("username-prefix", Kind::String, Some("oidc:"), "prefix of user names"),
                prop("groups-prefix", Kind::String, Some("oidc:"), "prefix of group names"),
            ],
            max: Some(1),
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "grant",
            doc: "A role binding; cluster-wide unless namespace= is given.",
            args: &[arg("role", Kind::String, "cluster-admin | admin | edit | view, or a declared role")],
            props: &[
                prop("user", Kind::String, None, "OIDC user (without prefix)"),
                prop("group", Kind::String, None, "OIDC group (without prefix)"),
                prop("namespace", Kind::DnsLabel, None, "bind in this namespace only"),
            ],
            ..NodeSpec::EMPTY
        },
        NodeSpec {
            name: "role",
            doc: "A ClusterRole of your own, for grants.",
            args: &[arg("name", Kind::DnsName, "role name")],
            children: &[NodeSpec {
                name: "rule",
                doc: "A policy rule; lists are space-separated.",
                props: &[
                    required("verbs", Kind::String, "e.g. \"get list watch\""),
                    required("resources", Kind::String, "e.g. \"pods services\""),
                    prop("api-groups", Kind::String, Some("\"\" (the core group)"), "API groups"),
                ],
                min: 1,
                ..NodeSpec::EMPTY
            }],
            ..NodeSpec::EMPTY
        },
    ],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const ACCESS: NodeSpec = NodeSpec {
    name: "access",
    doc: "Login users on every node (sudo, SSH key only, no password).",
    children: &[NodeSpec {
        name: "user",
        doc: "A login user.",
        args: &[arg("name", Kind::DnsLabel, "user name")],
        props: &[required("ssh-key", Kind::String, "OpenSSH public key")],
        ..NodeSpec::EMPTY
    }],
    max: Some(1),
    ..NodeSpec::EMPTY
};

const REGISTRY: NodeSpec = NodeSpec {
    name: "registry",
    doc: "A container registry for containerd.",
    args: &[arg("address", Kind::HostPort, "HOST:PORT")],
    props: &[
        prop("insecure", Kind::Bool, Some("#false"), "plain HTTP / no TLS verification"),
        prop("mirror-of", Kind::DnsName, None, "upstream registry this one mirrors, e.g. docker.io"),
    ],
    ..NodeSpec::EMPTY
};

/// The package repositories a `package-mirror` can stand in for.
pub const PACKAGE_REPOSITORY_CHOICES: &[&str] = &["os", "kubernetes", "containerd"];

const PACKAGE_MIRROR: NodeSpec = NodeSpec {
    name: "package-mirror",
    doc: "An apt mirror or caching proxy that nodes install packages from instead of the upstream repository.",
    args: &[arg(
        "repository",
        Kind::Choice(PACKAGE_REPOSITORY_CHOICES),
        "os (the distribution's archive), kubernetes (pkgs.k8s.io) or containerd (download.docker.com)",
    )],
    props: &[
        required(
            "url",
            Kind::AptUrl,
            "what replaces the upstream's scheme and host, the path kept: http://archive.ubuntu.com, ports.ubuntu.com, security.ubuntu.com (os, Ubuntu), http://deb.debian.org, security.debian.org (os, Debian), https://pkgs.k8s.io (kubernetes), https://download.docker.com (containerd)",
        ),
        only_for(
            prop("key", Kind::AptUrl, Some("the upstream's key, over https"), "URL of the repository's signing key (an air-gapped lab serves it itself)"),
            &["kubernetes", "containerd"],
        ),
    ],
    ..NodeSpec::EMPTY
};

const RELEASE: NodeSpec = NodeSpec {
    name: "release",
    doc: "Changes to one Helm release hlc deploys: its chart version, extra values.",
    args: &[arg("name", Kind::String, "the release (= chart) name, e.g. cilium")],
    props: &[
        prop("version", Kind::ChartVersion, Some("hlc's pin (src/pins.toml)"), "one exact chart version"),
        prop(
            "values",
            Kind::String,
            None,
            "a YAML values file beside homelab.kdl, deep-merged over hlc's values; hlc's values derived from the lab win, and one it contradicts is an error",
        ),
    ],
    ..NodeSpec::EMPTY
};

const GITOPS: NodeSpec = NodeSpec {
    name: "gitops",
    doc: "Emit a Flux tree for a Git repository.",
    args: &[arg("kind", Kind::Choice(&["flux"]), "GitOps engine")],
    props: &[
        required("url", Kind::Url, "repository URL (https:// or ssh://)"),
        prop("branch", Kind::String, Some("main"), "branch"),
        prop("path", Kind::String, Some("clusters/<cluster>"), "path of the cluster in the repository"),
    ],
    children: &[NodeSpec {
        name: "layer",
        doc: "A Flux layer of the user's own manifests: a directory beside homelab.kdl, copied into the tree.",
        args: &[arg("name", Kind::DnsLabel, "the layer (Flux Kustomization) name")],
        props: &[
            prop("directory", Kind::String, Some("the layer's name"), "directory beside homelab.kdl"),
            prop(
                "after",
                Kind::String,
                Some("every layer hlc writes"),
                "the layers it waits for, space-separated (\"\" for none)",
            ),
        ],
        ..NodeSpec::EMPTY
    }],
    max: Some(1),
    ..NodeSpec::EMPTY
};

/// The document itself: its children are the top-level nodes.
pub const DOCUMENT: NodeSpec = NodeSpec {
    name: "homelab.kdl",
    doc: "A homelab.",
    children: &[
        CLUSTER,
        NETWORK,
        HARDWARE,
        NODE,
        CNI,
        KUBE_PROXY,
        LOAD_BALANCER,
        INGRESS,
        STORAGE,
        AUTH,
        ACCESS,
        REGISTRY,
        PACKAGE_MIRROR,
        RELEASE,
        GITOPS,
    ],
    ..NodeSpec::EMPTY
};

/// The closest of `candidates` to `word`, if close enough to be a plausible typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(distance, c)| *distance <= (c.len().max(word.len()) / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(did_you_mean("netwrk", DOCUMENT.children.iter().map(|c| c.name)), Some("network"));
        assert_eq!(did_you_mean("gatway", ["gateway", "dns"]), Some("gateway"));
        assert_eq!(did_you_mean("zzzzzz", ["gateway", "dns"]), None);
    }

    #[test]
    fn names_are_unique_at_every_level() {
        fn walk(spec: &NodeSpec) {
            let mut names: Vec<_> = spec.children.iter().map(|c| c.name).collect();
            names.sort();
            names.dedup();
            assert_eq!(names.len(), spec.children.len(), "duplicate child in {}", spec.name);
            spec.children.iter().for_each(walk);
        }
        walk(&DOCUMENT);
    }
}
