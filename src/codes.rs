//! The registry of every diagnostic code hlc can emit, with its default severity and one-line summary.
//!
//! Codes are part of the public contract (CI scripts match on them): never rename one, only add.

use miette::Severity;

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $summary:literal;)*) => {
        /// A stable diagnostic code such as `hlc::net::overlap`.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as printed, e.g. `hlc::net::outside-lan`.
            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            /// The severity a diagnostic with this code has.
            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// One line saying what the code means (used by the language reference).
            pub fn summary(self) -> &'static str {
                match self { $(Code::$variant => $summary),* }
            }
        }
    };
}

codes! {
    KdlSyntax = "hlc::kdl::syntax", Error, "the file is not valid KDL v2";
    UnknownNode = "hlc::schema::unknown-node", Error, "a node name hlc does not know (with a did-you-mean suggestion)";
    UnknownProperty = "hlc::schema::unknown-property", Error, "a property the node does not take, or that does not apply to its kind";
    UnexpectedArgument = "hlc::schema::unexpected-argument", Error, "more positional arguments than the node takes";
    WrongType = "hlc::schema::wrong-type", Error, "a value of the wrong KDL type (string, integer, boolean)";
    InvalidChoice = "hlc::schema::invalid-choice", Error, "a value outside the allowed set (with a did-you-mean suggestion)";
    MissingValue = "hlc::schema::missing-value", Error, "a required argument or property is missing";
    MissingNode = "hlc::schema::missing-node", Error, "a required node is missing";
    DuplicateNode = "hlc::schema::duplicate-node", Error, "a node that may appear once appears again";
    InvalidIp = "hlc::value::ip", Error, "not an IPv4 address";
    InvalidCidr = "hlc::value::cidr", Error, "not an IPv4 CIDR, or host bits set";
    InvalidRange = "hlc::value::range", Error, "not an address range `A-B` (or CIDR where allowed)";
    InvalidMac = "hlc::value::mac", Error, "not a MAC address `aa:bb:cc:dd:ee:ff`";
    InvalidSize = "hlc::value::size", Error, "not a size such as `16GiB` or `250GB`";
    InvalidUrl = "hlc::value::url", Error, "not a URL with an allowed scheme";
    InvalidChartVersion = "hlc::value::chart-version", Error, "not one exact Helm chart version (a range or a word such as `latest`)";
    InvalidHostPort = "hlc::value::host-port", Error, "not `HOST:PORT`";
    InvalidPath = "hlc::value::path", Error, "not an absolute path";
    InvalidNumber = "hlc::value::number", Error, "an integer out of its allowed range";
    DnsLabel = "hlc::name::dns-label", Error, "a name that must be a DNS label (RFC 1123) is not";
    DuplicateName = "hlc::name::duplicate", Error, "two things of one kind share a name";
    HostnameClash = "hlc::name::hostname-clash", Error, "a DNS name is given to two different things";
    UnknownHardware = "hlc::ref::unknown-hardware", Error, "`hardware=` names no hardware profile";
    UnsupportedVersion = "hlc::cluster::version", Error, "a Kubernetes version hlc does not support";
    NoControlPlane = "hlc::cluster::no-control-plane", Error, "no node has role=\"control-plane\"";
    EvenControlPlanes = "hlc::cluster::even-control-planes", Warning, "an even number of control planes adds no etcd fault tolerance";
    VipRequired = "hlc::cluster::vip-required", Error, "several control planes need `network { vip … }`";
    OutsideLan = "hlc::net::outside-lan", Error, "an address that must lie in `lan` does not";
    ReservedAddress = "hlc::net::reserved-address", Error, "an address is the network or broadcast address of `lan`";
    DuplicateIp = "hlc::net::duplicate-ip", Error, "two NICs, or a NIC and the gateway, share an IP address";
    DuplicateMac = "hlc::net::duplicate-mac", Error, "two NICs share a MAC address";
    VipConflict = "hlc::net::vip-conflict", Error, "the VIP equals a node IP or the gateway";
    InDhcpRange = "hlc::net::in-dhcp-range", Error, "a static address lies in the DHCP range";
    InLbPool = "hlc::net::in-lb-pool", Error, "a node IP or the VIP lies in a load-balancer pool";
    PoolOverlap = "hlc::net::pool-overlap", Error, "load-balancer pools overlap each other, the DHCP range, or the pod or service network";
    CidrOverlap = "hlc::net::cidr-overlap", Error, "`pods`, `services` and `lan` are not pairwise disjoint";
    RangeOrder = "hlc::net::range-order", Error, "an address range starts after it ends";
    OsDisk = "hlc::disk::os", Error, "a node has more than one `use=\"os\"` disk";
    DiskMount = "hlc::disk::mount", Error, "`mount=`/`fs=` missing on a data disk or given on another kind";
    UnstableDiskPath = "hlc::disk::unstable-path", Warning, "a data or Ceph disk named `/dev/sdX`, a name that can change between boots";
    NoAccess = "hlc::access::none", Warning, "no `access` users: nobody can log in to the nodes";
    CiliumLbNeedsCiliumCni = "hlc::lb::needs-cilium-cni", Error, "`load-balancer \"cilium\"` needs `cni \"cilium\"`";
    CiliumLbNeedsKubeProxyReplacement = "hlc::lb::needs-kube-proxy-replacement", Error, "Cilium's L2 announcements need `kube-proxy-replacement=#true`";
    BgpPeer = "hlc::lb::bgp-peer", Error, "BGP mode without a `peer`, or a `peer` outside BGP mode";
    StrictArp = "hlc::lb::strict-arp", Advice, "MetalLB L2 with kube-proxy IPVS: strictARP is switched on";
    IngressOutsidePool = "hlc::ingress::outside-pool", Error, "the ingress IP lies in no load-balancer pool";
    IngressNeedsLoadBalancer = "hlc::ingress::no-load-balancer", Error, "an ingress IP without a `load-balancer`";
    KubeProxyReplaced = "hlc::cni::kube-proxy-replaced", Error, "`kube-proxy` is configured but Cilium replaces it";
    CephNoDisks = "hlc::ceph::no-disks", Error, "Ceph is declared but no disk has use=\"ceph\"";
    CephReplicas = "hlc::ceph::replicas", Error, "a Ceph pool wants more replicas than there are Ceph hosts";
    CephMons = "hlc::ceph::mons", Error, "Ceph `mons` is even or larger than the number of Ceph hosts";
    CephOsdMemory = "hlc::ceph::osd-memory", Error, "a node's OSD memory limits add up to more than its memory";
    NfsServer = "hlc::nfs::server", Error, "`nfs server=` is neither a node name nor an IP address";
    NfsPath = "hlc::nfs::path", Error, "an NFS path on a node is not under one of its data mounts";
    DefaultStorageClass = "hlc::storage::default-class", Error, "more than one storage class is marked default";
    UnknownRole = "hlc::auth::unknown-role", Error, "`grant` names a role that is neither built in nor declared";
    IssuerNotHttps = "hlc::auth::issuer", Error, "the OIDC issuer is not an https:// URL";
    GrantSubject = "hlc::auth::grant-subject", Error, "a `grant` needs exactly one of `user=` or `group=`";
    GrantNeedsOidc = "hlc::auth::grant-needs-oidc", Error, "`grant` subjects are OIDC identities but there is no `oidc`";
    InputFile = "hlc::input::file", Error, "a file or directory the document names (a values file, a layer) cannot be read or does not hold what it must";
    UnknownRelease = "hlc::release::unknown", Error, "`release` names a Helm release this lab does not deploy";
    SecretValue = "hlc::release::secret-value", Warning, "a values file sets what looks like a credential (a password, token, API key) in plain text";
    ValuesConflict = "hlc::release::conflict", Error, "a values file contradicts a value hlc derives from the lab (addresses, CIDRs, the endpoint, pools)";
    UnknownLayer = "hlc::gitops::unknown-layer", Error, "a layer's `after=` names no layer of the Flux tree";
    LayerClash = "hlc::gitops::layer-clash", Error, "a user layer has the name of a layer hlc writes";
    LayerCycle = "hlc::gitops::layer-cycle", Error, "user layers wait for each other in a cycle";
    PlainSecret = "hlc::gitops::plain-secret", Error, "a user layer holds a Secret in plain text (it would be committed to Git)";
    UnusedMirror = "hlc::packages::unused-mirror", Warning, "a package mirror for a repository the nodes do not use";
    StateIdentity = "hlc::state::identity", Error, "the state directory is missing, empty or holds other CAs than the tree it would replace (build and diff only)";
    StateNotIgnored = "hlc::state::not-ignored", Warning, "the state directory sits in a git work tree and is not ignored (build only)";
    VersionSkip = "hlc::lifecycle::version-skip", Error, "`kubernetes` is raised by more than one minor over the previous build's (hlc.lock)";
    VersionDowngrade = "hlc::lifecycle::downgrade", Error, "`kubernetes` is lower than the previous build's (hlc.lock): kubeadm cannot downgrade";
    ClusterRebuild = "hlc::lifecycle::cluster-rebuild", Error, "the only control plane's IP or role changes: re-joining it would start a new, empty cluster";
    QuorumRisk = "hlc::lifecycle::quorum", Warning, "one change removes several control planes: etcd keeps quorum only if they leave one at a time";
    CertificateExpiring = "hlc::lifecycle::expiring", Warning, "a certificate in the tree or in use on the nodes expires within 60 days (a CA: within a year)";
}
