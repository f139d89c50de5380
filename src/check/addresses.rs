//! Addresses: everything static lies in `lan` (DNS servers may lie anywhere), nothing static lies
//! in the DHCP range or a pool, pools are ordered and disjoint, the ingress IP is inside a pool,
//! and the three networks are disjoint.

use std::net::Ipv4Addr;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::address::cidrs_overlap;
use crate::model::{AddressRange, Cidr, Lab, LbMode, Spanned};

pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let mut statics = static_addresses(lab);
    for (what, ip) in &statics {
        in_lan(lab, what, ip, out);
    }
    // DNS servers may be anywhere (the router, a Pi-hole, `1.1.1.1`); one inside the LAN is a
    // host there like any other: not the network address, not leased, not handed to a Service.
    for (what, ip) in dns_servers(lab).into_iter().filter(|(_, ip)| lab.network.lan.contains(&ip.value)) {
        in_lan(lab, &what, &ip, out);
        statics.push((what, ip));
    }
    vip_distinct(lab, out);
    ranges_in_lan_and_ordered(lab, out);
    statics_outside_dynamic_ranges(lab, &statics, out);
    pools_disjoint(lab, out);
    ingress_in_pool(lab, out);
    networks_disjoint(lab, out);
    ranges_outside_cluster_networks(lab, out);
}

/// Every address that is assigned by hand and must lie in `lan`, with what it is.
fn static_addresses(lab: &Lab) -> Vec<(String, Spanned<Ipv4Addr>)> {
    let net = &lab.network;
    let mut out = vec![("the gateway".to_string(), net.gateway.clone())];
    out.extend(
        lab.nodes
            .iter()
            .flat_map(|n| n.nics.iter().map(move |nic| (format!("node {}'s IP", n.name.value), nic.ip.clone()))),
    );
    out.extend(net.vip.iter().map(|v| ("the VIP".to_string(), v.address.clone())));
    out
}

/// The DNS servers given by hand (not the gateway by default), with what each is.
fn dns_servers(lab: &Lab) -> Vec<(String, Spanned<Ipv4Addr>)> {
    let net = &lab.network;
    net.dns.iter().filter(|d| d.span != net.gateway.span).map(|d| ("the DNS server".to_string(), d.clone())).collect()
}

fn in_lan(lab: &Lab, what: &str, ip: &Spanned<Ipv4Addr>, out: &mut Vec<Diagnostic>) {
    let lan = &lab.network.lan;
    if !lan.contains(&ip.value) {
        out.push(outside_lan(lan, format!("{what} {} is outside the LAN {}", ip.value, lan.value), ip.span));
    } else if ip.value == lan.network() || ip.value == lan.broadcast() {
        let which = if ip.value == lan.network() { "network" } else { "broadcast" };
        out.push(
            Diagnostic::new(
                Code::ReservedAddress,
                ip.span,
                format!("{what} {} is the {which} address of {}", ip.value, lan.value),
                "not a host address",
            )
            .with_label(lan.span, "LAN declared here")
            .with_help("pick a host address between the network and broadcast addresses"),
        );
    }
}

fn outside_lan(lan: &Spanned<Cidr>, message: String, span: Span) -> Diagnostic {
    Diagnostic::new(Code::OutsideLan, span, message, "outside the LAN")
        .with_label(lan.span, "LAN declared here")
        .with_help(format!("use an address in {} ({} to {})", lan.value, lan.network(), lan.broadcast()))
}

fn vip_distinct(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(vip) = &lab.network.vip else { return };
    let gateway = std::iter::once(("the gateway".to_string(), &lab.network.gateway));
    let nodes =
        lab.nodes.iter().flat_map(|n| n.nics.iter().map(move |nic| (format!("node {}", n.name.value), &nic.ip)));
    for (what, ip) in gateway.chain(nodes).filter(|(_, ip)| ip.value == vip.address.value) {
        out.push(
            Diagnostic::new(
                Code::VipConflict,
                vip.address.span,
                format!("the VIP {} is also {what}'s address", vip.address.value),
                "the VIP",
            )
            .with_label(ip.span, format!("{what}'s address"))
            .with_help("the VIP must be a free address that no machine owns"),
        );
    }
}

/// Pool ranges and the DHCP range, with where each is declared and whether it must be in `lan`.
fn dynamic_ranges(lab: &Lab) -> Vec<(String, &Spanned<AddressRange>, bool)> {
    let mut ranges = Vec::new();
    if let Some(dhcp) = &lab.network.dhcp {
        ranges.push(("the DHCP range".to_string(), dhcp, true));
    }
    if let Some(lb) = &lab.load_balancer {
        let in_lan = lb.mode.value != LbMode::Bgp;
        for pool in &lb.pools {
            ranges.extend(pool.ranges.iter().map(|r| (format!("pool {}", pool.name.value), r, in_lan)));
        }
    }
    ranges
}

fn ranges_in_lan_and_ordered(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let lan = &lab.network.lan;
    for (what, range, must_be_in_lan) in dynamic_ranges(lab) {
        if !range.is_ordered() {
            out.push(
                Diagnostic::new(
                    Code::RangeOrder,
                    range.span,
                    format!("{what} {} starts after it ends", range.value),
                    "reversed range",
                )
                .with_help(format!("write it as {}-{}", range.end, range.start)),
            );
        } else if must_be_in_lan && !range.within(lan) {
            out.push(outside_lan(
                lan,
                format!("{what} {} is not inside the LAN {}", range.value, lan.value),
                range.span,
            ));
        }
    }
}

fn statics_outside_dynamic_ranges(lab: &Lab, statics: &[(String, Spanned<Ipv4Addr>)], out: &mut Vec<Diagnostic>) {
    for (what, ip) in statics {
        for (range_name, range, _) in dynamic_ranges(lab).into_iter().filter(|(_, r, _)| r.contains(ip.value)) {
            let (code, help) = if range_name == "the DHCP range" {
                (Code::InDhcpRange, "dnsmasq could lease it to another device: move it out of the DHCP range")
            } else {
                (Code::InLbPool, "MetalLB/Cilium could give it to a Service: move it out of the pool")
            };
            out.push(
                Diagnostic::new(
                    code,
                    ip.span,
                    format!("{what} {} lies in {range_name} {}", ip.value, range.value),
                    "static address",
                )
                .with_label(range.span, format!("{range_name} declared here"))
                .with_help(help),
            );
        }
    }
}

fn pools_disjoint(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let ranges = dynamic_ranges(lab);
    for (i, (a_name, a, _)) in ranges.iter().enumerate() {
        for (b_name, b, _) in &ranges[i + 1..] {
            if a.is_ordered() && b.is_ordered() && a.overlaps(b) {
                out.push(
                    Diagnostic::new(
                        Code::PoolOverlap,
                        b.span,
                        format!("{b_name} {} overlaps {a_name} {}", b.value, a.value),
                        "overlapping range",
                    )
                    .with_label(a.span, format!("{a_name} declared here"))
                    .with_help("address ranges must not share addresses"),
                );
            }
        }
    }
}

fn ingress_in_pool(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(ip) = lab.ingress.as_ref().and_then(|i| i.ip.as_ref()) else { return };
    let Some(lb) = &lab.load_balancer else {
        out.push(
            Diagnostic::new(
                Code::IngressNeedsLoadBalancer,
                ip.span,
                "the ingress IP needs a load balancer to hold it",
                "no load-balancer",
            )
            .with_help("add load-balancer \"metallb\" { pool \"primary\" \"A-B\" } with this address in the pool"),
        );
        return;
    };
    if lb.mode.value != LbMode::Bgp {
        in_lan(lab, "the ingress IP", ip, out);
    }
    if let Some(dhcp) = lab.network.dhcp.as_ref().filter(|d| d.contains(ip.value)) {
        out.push(
            Diagnostic::new(
                Code::InDhcpRange,
                ip.span,
                format!("the ingress IP {} lies in the DHCP range {}", ip.value, dhcp.value),
                "ingress IP",
            )
            .with_label(dhcp.span, "the DHCP range declared here")
            .with_help("move it into a load-balancer pool"),
        );
    }
    if !lb.pools.iter().flat_map(|p| &p.ranges).any(|r| r.contains(ip.value)) {
        let mut diagnostic = Diagnostic::new(
            Code::IngressOutsidePool,
            ip.span,
            format!("the ingress IP {} is in no load-balancer pool", ip.value),
            "ingress IP",
        );
        for pool in &lb.pools {
            diagnostic = diagnostic.with_label(pool.name.span, format!("pool {}", pool.name.value));
        }
        out.push(
            diagnostic.with_help("the load balancer can only assign addresses from its pools: pick one inside a pool"),
        );
    }
}

/// A LoadBalancer or DHCP address inside the pod or service network would be routed into the
/// cluster instead of to the Service.
fn ranges_outside_cluster_networks(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let net = &lab.network;
    for (what, range, _) in dynamic_ranges(lab) {
        for (network_name, network) in [("the pod network", &net.pods), ("the service network", &net.services)] {
            let network_range = AddressRange { start: network.network(), end: network.broadcast() };
            if range.is_ordered() && range.overlaps(&network_range) {
                out.push(
                    Diagnostic::new(
                        Code::PoolOverlap,
                        range.span,
                        format!("{what} {} overlaps {network_name} {}", range.value, network.value),
                        "overlapping range",
                    )
                    .with_label(network.span, format!("{network_name} declared here"))
                    .with_help("LoadBalancer and DHCP addresses must lie outside the pod and service networks"),
                );
            }
        }
    }
}

fn networks_disjoint(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let net = &lab.network;
    let networks = [("the LAN", &net.lan), ("the pod network", &net.pods), ("the service network", &net.services)];
    for (i, (a_name, a)) in networks.iter().enumerate() {
        for (b_name, b) in &networks[i + 1..] {
            if cidrs_overlap(a, b) {
                out.push(
                    Diagnostic::new(
                        Code::CidrOverlap,
                        b.span,
                        format!("{b_name} {} overlaps {a_name} {}", b.value, a.value),
                        "overlapping network",
                    )
                    .with_label(a.span, format!("{a_name} declared here"))
                    .with_help("pods, services and the LAN must be disjoint, or traffic is routed to the wrong place"),
                );
            }
        }
    }
}
