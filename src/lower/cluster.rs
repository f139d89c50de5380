//! Lowers `cluster` and `network`, applying their defaults.

use kdl::KdlNode;

use super::read::{arg, args, child, child_arg, choice, parsed, prop, prop_text, text};
use crate::model::address::{parse_cidr, parse_ip, AddressRange};
use crate::model::{Cluster, KeyType, KubeVersion, Network, Os, Spanned, Vip, VipProvider};

pub const DEFAULT_PODS: &str = "10.244.0.0/16";
pub const DEFAULT_SERVICES: &str = "10.96.0.0/12";
pub const DEFAULT_DOMAIN: &str = "home.arpa";
pub const DEFAULT_TIMEZONE: &str = "Etc/UTC";

pub fn lower_cluster(node: &KdlNode) -> Option<Cluster> {
    let kubernetes = match child_arg(node, "kubernetes") {
        Some(entry) => parsed(entry, KubeVersion::parse)?,
        None => Spanned::new(KubeVersion::newest(), node.name().span()),
    };
    // A minor alone means hlc's pinned patch of it (one table: `src/pins.toml`).
    let kubernetes = Spanned::new(kubernetes.value.with_pinned_patch(), kubernetes.span);
    let os = child_arg(node, "os").and_then(|e| {
        choice(
            e,
            &[
                ("ubuntu-22.04", Os::Ubuntu2204),
                ("ubuntu-24.04", Os::Ubuntu2404),
                ("debian-12", Os::Debian12),
                ("debian-13", Os::Debian13),
            ],
        )
    });
    let key_type = child_arg(node, "key-type")
        .and_then(|e| choice(e, &[("ecdsa-p256", KeyType::EcdsaP256), ("rsa-2048", KeyType::Rsa2048)]));
    Some(Cluster {
        name: text(arg(node, 0)?)?,
        kubernetes,
        os: os.map_or(Os::Ubuntu2404, |o| o.value),
        timezone: child_arg(node, "timezone").and_then(text).map_or(DEFAULT_TIMEZONE.to_string(), |t| t.value),
        key_type: key_type.map_or(KeyType::EcdsaP256, |k| k.value),
        span: node.span(),
    })
}

pub fn lower_network(node: &KdlNode) -> Option<Network> {
    let lan_node = child(node, "lan")?;
    let gateway = parsed(prop(lan_node, "gateway")?, parse_ip)?;
    let dns = match prop(lan_node, "dns") {
        Some(entry) => vec![parsed(entry, parse_ip)?],
        None => vec![gateway.clone()],
    };
    let cidr_or = |name: &str, default: &str| match child_arg(node, name) {
        Some(entry) => parsed(entry, parse_cidr),
        None => Some(Spanned::new(parse_cidr(default).expect("default CIDRs are valid"), node.name().span())),
    };
    Some(Network {
        lan: parsed(arg(lan_node, 0)?, parse_cidr)?,
        gateway,
        dns,
        domain: prop_text(lan_node, "domain")
            .unwrap_or_else(|| Spanned::new(DEFAULT_DOMAIN.into(), lan_node.name().span())),
        dhcp: child(node, "dhcp")
            .and_then(|d| prop(d, "range"))
            .and_then(|e| parsed(e, |s| AddressRange::parse(s, false))),
        ntp: child(node, "ntp").map(|n| args(n).filter_map(|e| text(e).map(|t| t.value)).collect()).unwrap_or_default(),
        pods: cidr_or("pods", DEFAULT_PODS)?,
        services: cidr_or("services", DEFAULT_SERVICES)?,
        vip: child(node, "vip").and_then(lower_vip),
    })
}

fn lower_vip(node: &KdlNode) -> Option<Vip> {
    let via = prop(node, "via")
        .and_then(|e| choice(e, &[("kube-vip", VipProvider::KubeVip), ("keepalived", VipProvider::Keepalived)]))
        .map_or(VipProvider::KubeVip, |v| v.value);
    let default_port = match via {
        VipProvider::KubeVip => 6443,
        VipProvider::Keepalived => 8443,
    };
    let port = prop(node, "port").and_then(|e| e.value().as_integer()).and_then(|p| u16::try_from(p).ok());
    Some(Vip {
        address: parsed(arg(node, 0)?, parse_ip)?,
        via,
        port: port.unwrap_or(default_port),
        name: prop_text(node, "name"),
    })
}
