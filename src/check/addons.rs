//! Add-on consistency: Cilium LB needs Cilium, BGP needs peers, kube-proxy vs. Cilium's
//! replacement, and the strictARP note for MetalLB L2 on IPVS.

use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Lab, LbMode, LoadBalancerKind, ProxyMode};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    load_balancer(lab, out);
    kube_proxy(lab, out);
}

fn load_balancer(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(lb) = &lab.load_balancer else { return };
    if lb.kind.value == LoadBalancerKind::Cilium && !lab.cni.is_cilium() {
        let mut diagnostic = Diagnostic::new(
            Code::CiliumLbNeedsCiliumCni,
            lb.kind.span,
            "load-balancer \"cilium\" needs cni \"cilium\"",
            "Cilium LB IPAM",
        );
        if !lab.cni.span.is_empty() {
            diagnostic = diagnostic.with_label(lab.cni.span, "the CNI is declared here");
        }
        out.push(diagnostic.with_help("use cni \"cilium\", or load-balancer \"metallb\""));
    }
    if lb.kind.value == LoadBalancerKind::Cilium && lab.cni.is_cilium() && !lab.cni.replaces_kube_proxy() {
        out.push(
            Diagnostic::new(
                Code::CiliumLbNeedsKubeProxyReplacement,
                lb.kind.span,
                "Cilium announces LoadBalancer IPs only when it replaces kube-proxy",
                "Cilium LB IPAM",
            )
            .with_label(lab.cni.span, "the CNI is declared here")
            .with_help("set kube-proxy-replacement=#true on cni \"cilium\", or use load-balancer \"metallb\""),
        );
    }
    let bgp = lb.kind.value == LoadBalancerKind::Metallb && lb.mode.value == LbMode::Bgp;
    if bgp && lb.peers.is_empty() {
        out.push(
            Diagnostic::new(Code::BgpPeer, lb.mode.span, "BGP mode needs at least one peer", "BGP mode")
                .with_help("add inside load-balancer: peer \"ROUTER-IP\" asn=64512 my-asn=64513"),
        );
    }
    if !bgp {
        for peer in &lb.peers {
            out.push(
                Diagnostic::new(
                    Code::BgpPeer,
                    peer.span,
                    "a BGP peer is only used in MetalLB's mode=\"bgp\"",
                    "unused peer",
                )
                .with_label(lb.mode.span, "announcement mode")
                .with_help("set mode=\"bgp\" on load-balancer \"metallb\", or remove the peer"),
            );
        }
    }
    let l2_metallb = lb.kind.value == LoadBalancerKind::Metallb && lb.mode.value == LbMode::L2;
    if let Some(proxy) = lab.kube_proxy.as_ref().filter(|p| l2_metallb && p.mode.value == ProxyMode::Ipvs) {
        out.push(
            Diagnostic::new(
                Code::StrictArp,
                proxy.mode.span,
                "kube-proxy runs IPVS with MetalLB in L2 mode: hlc switches on strictARP",
                "IPVS",
            )
            .with_label(lb.mode.span, "MetalLB L2")
            .with_help("nothing to do: without strictARP every node would answer ARP for Service IPs"),
        );
    }
}

fn kube_proxy(lab: &Lab, out: &mut Vec<Diagnostic>) {
    if let Some(proxy) = lab.kube_proxy.as_ref().filter(|p| p.declared && lab.cni.replaces_kube_proxy()) {
        out.push(
            Diagnostic::new(
                Code::KubeProxyReplaced,
                proxy.mode.span,
                "kube-proxy is configured, but Cilium replaces it",
                "kube-proxy settings",
            )
            .with_label(lab.cni.span, "kube-proxy-replacement=#true")
            .with_help("remove the kube-proxy node, or set kube-proxy-replacement=#false"),
        );
    }
}
