//! What the cluster's PKI consists of, derived from the model: kubeadm's layout and rules
//! (subjects, SANs, usages, lifetimes). Pure data; `issue` turns a spec into a credential.

use std::net::{IpAddr, Ipv4Addr};

use serde::Serialize;

use crate::model::SourceId;
use crate::plan::reads::{LabReader, NodeRef};

/// What a certificate may be used for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Usage {
    Ca,
    Server,
    Client,
    ServerAndClient,
}

/// Everything that defines a certificate. Any change re-issues it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertSpec {
    /// State path without extension, e.g. `pki/apiserver`, `pki/etcd/node1/server`.
    pub name: String,
    pub common_name: String,
    pub organization: Option<String>,
    /// The issuing CA's `name`; `None` for a self-signed CA.
    pub issuer: Option<String>,
    pub usage: Usage,
    pub dns_names: Vec<String>,
    pub ips: Vec<IpAddr>,
    pub validity_days: u32,
    /// Renewal starts this many days before expiry.
    pub renew_days: u32,
    /// Graph source ids this certificate depends on (not part of the certificate itself).
    #[serde(skip)]
    pub sources: Vec<SourceId>,
    /// What it is for, which decides where its files go (not part of the certificate itself).
    #[serde(skip)]
    pub kind: CertKind,
    /// Whether it lists the control planes (which nodes they are: the `topology` step).
    #[serde(skip)]
    pub lists_control_planes: bool,
}

/// What a certificate is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertKind {
    /// A CA or a leaf shared by all control planes, written under its name (`pki/apiserver`).
    Shared,
    /// One control plane's etcd `server` or `peer` certificate.
    EtcdMember { node: String, role: String },
    /// A cluster-wide kubeconfig's identity (`admin`, `super-admin`).
    Kubeconfig { who: String },
    /// A node's own kubeconfig identity (`controller-manager`, `scheduler`, `kubelet`).
    NodeKubeconfig { node: String, component: String },
    /// A worker's drain-only credential (`/etc/hlc/drain.conf`, through the endpoint).
    DrainKubeconfig { node: String },
}

pub const CA_DAYS: u32 = 3650;
pub const LEAF_DAYS: u32 = 365;

pub const CA: &str = "pki/ca";
pub const FRONT_PROXY_CA: &str = "pki/front-proxy-ca";
pub const ETCD_CA: &str = "pki/etcd/ca";

fn ca(name: &str, common_name: &str) -> CertSpec {
    CertSpec {
        name: name.into(),
        common_name: common_name.into(),
        organization: None,
        issuer: None,
        usage: Usage::Ca,
        dns_names: vec![common_name.into()],
        ips: vec![],
        validity_days: CA_DAYS,
        // No renewal window: never re-issued on a clock, not even once expired (a new CA is a new
        // cluster; `hlc::lifecycle::expiring` warns a year ahead; rotation is kubeadm's manual
        // procedure).
        renew_days: 0,
        sources: vec![SourceId::Cluster],
        kind: CertKind::Shared,
        lists_control_planes: false,
    }
}

/// A leaf certificate signed by `issuer`.
pub fn leaf(name: &str, issuer: &str, common_name: &str, organization: Option<&str>, usage: Usage) -> CertSpec {
    CertSpec {
        name: name.into(),
        common_name: common_name.into(),
        organization: organization.map(str::to_string),
        issuer: Some(issuer.into()),
        usage,
        dns_names: vec![],
        ips: vec![],
        validity_days: LEAF_DAYS,
        // Renewed by any build in its last 90 days, so what a build ships has 90 days or more and
        // `hlc::lifecycle::expiring` (60 days) only fires for certificates still on the nodes.
        renew_days: 90,
        sources: vec![SourceId::Cluster],
        kind: CertKind::Shared,
        lists_control_planes: false,
    }
}

/// The API server's certificate: VIP and its name, every control plane, the first service IP,
/// the in-cluster names, and loopback. One certificate shared by all control planes.
fn apiserver(lab: &LabReader) -> CertSpec {
    let mut spec = leaf("pki/apiserver", CA, "kube-apiserver", None, Usage::Server);
    let domain = &lab.network().domain.value;
    let mut dns = vec!["kubernetes".to_string(), "kubernetes.default".into(), "kubernetes.default.svc".into()];
    dns.push("kubernetes.default.svc.cluster.local".into());
    let mut ips = vec![IpAddr::V4(first_service_ip(lab)), IpAddr::V4(Ipv4Addr::LOCALHOST)];
    spec.sources.push(SourceId::Network);
    spec.lists_control_planes = true;
    if let Some(vip) = &lab.network().vip {
        ips.push(IpAddr::V4(vip.address.value));
        dns.extend(vip.name.as_ref().map(|n| n.value.clone()));
    }
    for node in lab.control_planes() {
        dns.push(node.name().to_string());
        dns.push(format!("{}.{domain}", node.name()));
        ips.push(IpAddr::V4(node.ip()));
        spec.sources.push(primary_address_source(&node));
    }
    spec.dns_names = dedup(dns);
    spec.ips = dedup(ips);
    spec
}

/// etcd serving and peer certificates of one control plane (kubeadm: node name, localhost, IPs).
fn etcd_member(node: &NodeRef, kind: &str) -> CertSpec {
    let name = node.name();
    let mut spec = leaf(&format!("pki/etcd/{name}/{kind}"), ETCD_CA, name, None, Usage::ServerAndClient);
    spec.dns_names = vec![name.to_string(), "localhost".into()];
    spec.ips = vec![IpAddr::V4(node.ip()), IpAddr::V4(Ipv4Addr::LOCALHOST), IpAddr::V6(std::net::Ipv6Addr::LOCALHOST)];
    spec.sources.push(primary_address_source(node));
    spec.kind = CertKind::EtcdMember { node: name.to_string(), role: kind.to_string() };
    spec
}

/// A registered certificate's spec made again through `lab`, the step's own reader, so the
/// engine sees what its SANs read: the apiserver's and the etcd members'. The others hold names
/// (identities) and constants only.
pub fn describe_again(lab: &LabReader, spec: &CertSpec) -> CertSpec {
    match &spec.kind {
        CertKind::EtcdMember { node, role } => etcd_member(&lab.node(node), role),
        CertKind::Shared if spec.lists_control_planes => apiserver(lab),
        _ => spec.clone(),
    }
}

/// The graph source of a node's address on the LAN (its first NIC's): what `node.ip()` reads.
pub fn primary_address_source(node: &NodeRef) -> SourceId {
    node.address_ids().remove(0)
}

/// The graph sources of a node's interfaces (name and MAC): `node "n1" nic "eth0"`.
pub fn interface_sources(node: &crate::model::Node) -> Vec<SourceId> {
    node.nics.iter().map(|nic| SourceId::interface(&node.name.value, &nic.name.value)).collect()
}

/// The graph sources of a node's addresses: `node "n1" nic "eth0" ip`.
pub fn address_sources(node: &crate::model::Node) -> Vec<SourceId> {
    node.nics.iter().map(|nic| SourceId::address(&node.name.value, &nic.name.value)).collect()
}

/// The first address of the service network: the `kubernetes` Service's ClusterIP.
pub fn first_service_ip(lab: &LabReader) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(lab.network().services.network()) + 1)
}

/// Removes repeats, keeping first occurrences in order.
fn dedup<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut seen = Vec::new();
    for item in items {
        if !seen.contains(&item) {
            seen.push(item);
        }
    }
    seen
}

/// Every certificate of the cluster, CAs first.
pub fn certificates(lab: &LabReader) -> Vec<CertSpec> {
    let mut specs = vec![
        ca(CA, "kubernetes"),
        ca(FRONT_PROXY_CA, "front-proxy-ca"),
        ca(ETCD_CA, "etcd-ca"),
        apiserver(lab),
        leaf(
            "pki/apiserver-kubelet-client",
            CA,
            "kube-apiserver-kubelet-client",
            Some("kubeadm:cluster-admins"),
            Usage::Client,
        ),
        leaf("pki/front-proxy-client", FRONT_PROXY_CA, "front-proxy-client", None, Usage::Client),
        leaf("pki/etcd/healthcheck-client", ETCD_CA, "kube-etcd-healthcheck-client", None, Usage::Client),
        leaf("pki/apiserver-etcd-client", ETCD_CA, "kube-apiserver-etcd-client", None, Usage::Client),
    ];
    for node in lab.control_planes() {
        specs.push(etcd_member(&node, "server"));
        specs.push(etcd_member(&node, "peer"));
    }
    specs.extend(kubeconfig_certificates(lab));
    specs
}

/// Client certificates for kubeconfigs: admin, super-admin, and per control plane the
/// controller-manager and scheduler; the first control plane's kubelet.
pub fn kubeconfig_certificates(lab: &LabReader) -> Vec<CertSpec> {
    let cluster_wide = |who: &str, common_name: &str, organization: &str| CertSpec {
        kind: CertKind::Kubeconfig { who: who.to_string() },
        ..leaf(&format!("kubeconfig/{who}"), CA, common_name, Some(organization), Usage::Client)
    };
    let mut specs = vec![
        cluster_wide("admin", "kubernetes-admin", "kubeadm:cluster-admins"),
        cluster_wide("super-admin", "kubernetes-super-admin", "system:masters"),
    ];
    for (index, node) in lab.control_planes().enumerate() {
        let name = &node.name.value;
        let mut per_node = vec![
            leaf(
                &format!("kubeconfig/{name}/controller-manager"),
                CA,
                "system:kube-controller-manager",
                None,
                Usage::Client,
            ),
            leaf(&format!("kubeconfig/{name}/scheduler"), CA, "system:kube-scheduler", None, Usage::Client),
        ];
        if index == 0 {
            let common_name = format!("system:node:{name}");
            per_node.push(leaf(
                &format!("kubeconfig/{name}/kubelet"),
                CA,
                &common_name,
                Some("system:nodes"),
                Usage::Client,
            ));
        }
        for spec in &mut per_node {
            let component = spec.name.rsplit('/').next().expect("named").to_string();
            spec.kind = CertKind::NodeKubeconfig { node: name.clone(), component };
        }
        specs.extend(per_node);
    }
    specs.extend(lab.nodes().filter(|n| !n.is_control_plane()).map(|n| drain_credential(n.name())));
    specs
}

/// The user of a worker's drain-only kubeconfig (`/etc/hlc/drain.conf`): it may cordon and
/// uncordon its own node and evict pods (the `node-drainers` RBAC and admission policy).
pub const DRAINER_PREFIX: &str = "hlc:node-drainer:";
pub const DRAINERS_GROUP: &str = "hlc:node-drainers";

/// A worker's client certificate for draining itself during an upgrade; never admin.
fn drain_credential(name: &str) -> CertSpec {
    let mut spec = leaf(
        &format!("kubeconfig/{name}/drain"),
        CA,
        &format!("{DRAINER_PREFIX}{name}"),
        Some(DRAINERS_GROUP),
        Usage::Client,
    );
    spec.kind = CertKind::DrainKubeconfig { node: name.to_string() };
    spec
}
