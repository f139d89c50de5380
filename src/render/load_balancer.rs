//! LoadBalancer services: MetalLB (chart + IPAddressPool per pool, and L2Advertisement, or
//! BGPPeer + BGPAdvertisement) or Cilium's LB IPAM (CiliumLoadBalancerIPPool +
//! CiliumL2AnnouncementPolicy, served by the CNI's release).

use serde_json::{json, Value};

use super::charts::HelmValues;
use super::components::{metadata, Component, Namespace};
use crate::model::SourceId;
use crate::model::{LbMode, LoadBalancer, LoadBalancerKind};
use crate::plan::reads::LabReader;

const METALLB_NAMESPACE: &str = "metallb-system";

pub fn components(lab: &LabReader) -> Vec<Component> {
    let Some(lb) = lab.load_balancer() else { return vec![] };
    match lb.kind.value {
        LoadBalancerKind::Metallb => {
            let mut controller = Component::new("load-balancer");
            controller.depends_on = vec!["cni"];
            controller.namespace = Some(Namespace { name: METALLB_NAMESPACE.into(), privileged: true });
            let bgp = lb.mode.value == LbMode::Bgp;
            // FRR-K8s (the 0.16 default) only matters for BGP; L2 runs the plain speaker.
            let values = HelmValues::new(json!({})).setting(
                SourceId::LoadBalancer,
                json!({"speaker": {"frr": {"enabled": false}}, "frrk8s": {"enabled": bgp}}),
            );
            controller.set_release(lab, "metallb", METALLB_NAMESPACE, values);
            let mut pools = Component::new("load-balancer-pools");
            pools.depends_on = vec!["load-balancer"];
            pools.manifests = metallb_objects(lb);
            vec![controller, pools]
        }
        LoadBalancerKind::Cilium => {
            let mut pools = Component::new("load-balancer-pools");
            pools.depends_on = vec!["cni"];
            pools.manifests = cilium_objects(lab, lb);
            vec![pools]
        }
    }
}

fn pool_names(lb: &LoadBalancer) -> Vec<String> {
    lb.pools.iter().map(|p| p.name.value.clone()).collect()
}

fn metallb_objects(lb: &LoadBalancer) -> Vec<Value> {
    let mut objects: Vec<Value> = lb
        .pools
        .iter()
        .map(|pool| {
            let addresses: Vec<String> = pool.ranges.iter().map(|r| r.value.to_string()).collect();
            json!({
                "apiVersion": "metallb.io/v1beta1",
                "kind": "IPAddressPool",
                "metadata": metadata(&pool.name.value, Some(METALLB_NAMESPACE)),
                "spec": {"addresses": addresses, "autoAssign": true, "avoidBuggyIPs": false},
            })
        })
        .collect();
    match lb.mode.value {
        LbMode::L2 => objects.push(json!({
            "apiVersion": "metallb.io/v1beta1",
            "kind": "L2Advertisement",
            "metadata": metadata("default", Some(METALLB_NAMESPACE)),
            "spec": {"ipAddressPools": pool_names(lb)},
        })),
        LbMode::Bgp => {
            for peer in &lb.peers {
                let name = format!("peer-{}", peer.address.value.to_string().replace('.', "-"));
                objects.push(json!({
                    "apiVersion": "metallb.io/v1beta2",
                    "kind": "BGPPeer",
                    "metadata": metadata(&name, Some(METALLB_NAMESPACE)),
                    "spec": {"myASN": peer.my_asn, "peerASN": peer.asn, "peerAddress": peer.address.value.to_string()},
                }));
            }
            objects.push(json!({
                "apiVersion": "metallb.io/v1beta1",
                "kind": "BGPAdvertisement",
                "metadata": metadata("default", Some(METALLB_NAMESPACE)),
                "spec": {"ipAddressPools": pool_names(lb)},
            }));
        }
    }
    objects
}

fn cilium_objects(lab: &LabReader, lb: &LoadBalancer) -> Vec<Value> {
    let mut objects: Vec<Value> = lb
        .pools
        .iter()
        .map(|pool| {
            let blocks: Vec<Value> = pool
                .ranges
                .iter()
                .map(|r| json!({"start": r.value.start.to_string(), "stop": r.value.end.to_string()}))
                .collect();
            json!({
                "apiVersion": "cilium.io/v2",
                "kind": "CiliumLoadBalancerIPPool",
                "metadata": metadata(&pool.name.value, None),
                "spec": {"blocks": blocks},
            })
        })
        .collect();
    let mut interfaces: Vec<String> = lab.nodes().map(|n| format!("^{}$", n.interface_name())).collect();
    interfaces.sort();
    interfaces.dedup();
    objects.push(json!({
        "apiVersion": "cilium.io/v2alpha1",
        "kind": "CiliumL2AnnouncementPolicy",
        "metadata": metadata("default", None),
        "spec": {"loadBalancerIPs": true, "externalIPs": false, "interfaces": interfaces},
    }));
    objects
}
