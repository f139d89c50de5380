//! Lowers `cni`, `kube-proxy`, `load-balancer` and `ingress`, with their defaults.

use kdl::KdlNode;

use super::read::{arg, args, boolean, children, choice, integer, parsed, prop, text};
use crate::diagnostic::Span;
use crate::model::address::{parse_ip, AddressRange};
use crate::model::{
    BgpPeer, CalicoEncapsulation, Cni, CniKind, FlannelBackend, Ingress, KubeProxy, LbMode, LoadBalancer,
    LoadBalancerKind, Pool, ProxyMode, Spanned,
};

/// `cni`, defaulting to Calico with VXLAN.
pub fn lower_cni(node: Option<&KdlNode>) -> Cni {
    let Some(node) = node else {
        return Cni { kind: CniKind::Calico { encapsulation: CalicoEncapsulation::Vxlan }, span: Span::from(0..0) };
    };
    let kind = match arg(node, 0).and_then(|e| e.value().as_string()) {
        Some("cilium") => CniKind::Cilium {
            kube_proxy_replacement: prop(node, "kube-proxy-replacement").and_then(boolean).unwrap_or(false),
        },
        Some("flannel") => CniKind::Flannel {
            backend: prop(node, "backend")
                .and_then(|e| {
                    choice(
                        e,
                        &[
                            ("vxlan", FlannelBackend::Vxlan),
                            ("host-gw", FlannelBackend::HostGw),
                            ("wireguard", FlannelBackend::Wireguard),
                        ],
                    )
                })
                .map_or(FlannelBackend::Vxlan, |b| b.value),
        },
        _ => CniKind::Calico {
            encapsulation: prop(node, "encapsulation")
                .and_then(|e| {
                    choice(
                        e,
                        &[
                            ("vxlan", CalicoEncapsulation::Vxlan),
                            ("ipip", CalicoEncapsulation::IpIp),
                            ("none", CalicoEncapsulation::None),
                        ],
                    )
                })
                .map_or(CalicoEncapsulation::Vxlan, |e| e.value),
        },
    };
    Cni { kind, span: node.span() }
}

/// `kube-proxy`, defaulting to iptables mode; `None` when Cilium replaces it and none was written.
pub fn lower_kube_proxy(node: Option<&KdlNode>, cni: &Cni) -> Option<KubeProxy> {
    if node.is_none() && cni.replaces_kube_proxy() {
        return None;
    }
    let mode = node.and_then(|n| prop(n, "mode")).and_then(|e| {
        choice(e, &[("iptables", ProxyMode::Iptables), ("ipvs", ProxyMode::Ipvs), ("nftables", ProxyMode::Nftables)])
    });
    let span = node.map_or(Span::from(0..0), KdlNode::span);
    Some(KubeProxy { mode: mode.unwrap_or(Spanned::new(ProxyMode::Iptables, span)), declared: node.is_some() })
}

pub fn lower_load_balancer(node: &KdlNode) -> Option<LoadBalancer> {
    let kind = choice(arg(node, 0)?, &[("metallb", LoadBalancerKind::Metallb), ("cilium", LoadBalancerKind::Cilium)])?;
    let mode = prop(node, "mode")
        .and_then(|e| choice(e, &[("l2", LbMode::L2), ("bgp", LbMode::Bgp)]))
        .unwrap_or(Spanned::new(LbMode::L2, node.name().span()));
    Some(LoadBalancer {
        kind,
        mode,
        pools: children(node, "pool").map(lower_pool).collect::<Option<_>>()?,
        peers: children(node, "peer").map(lower_peer).collect::<Option<_>>()?,
    })
}

fn lower_pool(node: &KdlNode) -> Option<Pool> {
    Some(Pool {
        name: text(arg(node, 0)?)?,
        ranges: args(node).skip(1).map(|e| parsed(e, |s| AddressRange::parse(s, true))).collect::<Option<_>>()?,
    })
}

fn lower_peer(node: &KdlNode) -> Option<BgpPeer> {
    Some(BgpPeer {
        address: parsed(arg(node, 0)?, parse_ip)?,
        asn: integer(prop(node, "asn")?)?.value,
        my_asn: integer(prop(node, "my-asn")?)?.value,
        span: node.span(),
    })
}

pub fn lower_ingress(node: &KdlNode) -> Ingress {
    Ingress { ip: prop(node, "ip").and_then(|e| parsed(e, parse_ip)), span: node.span() }
}
