//! The CNI component: Calico through the tigera-operator chart (its Installation from values),
//! Cilium (cluster-pool IPAM, kube-proxy replacement, L2 announcements) or Flannel. Every pod CIDR
//! is the lab's `pods`, the same as kubeadm's podSubnet.

use serde_json::json;

use super::charts::{CILIUM, FLANNEL, TIGERA_OPERATOR};
use super::components::{Component, Namespace, Release};
use crate::model::SourceId;
use crate::model::{CalicoEncapsulation, CniKind, LoadBalancerKind};
use crate::plan::reads::LabReader;

pub fn component(lab: &LabReader) -> Component {
    let mut component = Component::new("cni", &[SourceId::Cni, SourceId::Network, SourceId::LoadBalancer]);
    if lab.cni().is_cilium() {
        // The endpoint (kube-proxy replacement) and every node's interface name (L2 devices).
        component.sources.extend(super::node_files::endpoint_sources(lab));
        component.sources.extend(lab.nodes().flat_map(|n| super::node_files::interfaces(&n)));
        component.sources.sort();
        component.sources.dedup();
    }
    let pods = lab.network().pods.value.to_string();
    let (chart, name, namespace, privileged, values) = match &lab.cni().kind {
        CniKind::Calico { encapsulation } => {
            (TIGERA_OPERATOR, "tigera-operator", "tigera-operator", true, calico(&pods, *encapsulation))
        }
        CniKind::Cilium { kube_proxy_replacement } => {
            (CILIUM, "cilium", "kube-system", false, cilium(lab, &pods, *kube_proxy_replacement))
        }
        CniKind::Flannel { backend } => (
            FLANNEL,
            "flannel",
            "kube-flannel",
            true,
            json!({"podCidr": pods, "flannel": {"backend": backend.keyword()}}),
        ),
    };
    if namespace != "kube-system" {
        component.namespace = Some(Namespace { name: namespace.into(), privileged });
    }
    component.release = Some(Release { name, chart, namespace: namespace.into(), values });
    component
}

fn calico(pods: &str, encapsulation: CalicoEncapsulation) -> serde_json::Value {
    let (encapsulation, bgp) = match encapsulation {
        CalicoEncapsulation::Vxlan => ("VXLAN", "Disabled"),
        CalicoEncapsulation::IpIp => ("IPIP", "Enabled"),
        CalicoEncapsulation::None => ("None", "Enabled"),
    };
    json!({
        "installation": {
            "enabled": true,
            "cni": {"type": "Calico", "ipam": {"type": "Calico"}},
            "calicoNetwork": {
                "bgp": bgp,
                // The node's address is the one kubeadm registered (the kubelet's `node-ip`), not
                // the first address found: a control plane may hold the VIP on the same NIC,
                // and a node may have several addresses.
                "nodeAddressAutodetectionV4": {"kubernetes": "NodeInternalIP"},
                "ipPools": [{
                    "name": "default-ipv4-ippool",
                    "cidr": pods,
                    "encapsulation": encapsulation,
                    "natOutgoing": "Enabled",
                    "nodeSelector": "all()",
                    "blockSize": 26,
                }],
            },
        },
    })
}

fn cilium(lab: &LabReader, pods: &str, kube_proxy_replacement: bool) -> serde_json::Value {
    let mut values = json!({
        "kubeProxyReplacement": kube_proxy_replacement,
        "ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": [pods], "clusterPoolIPv4MaskSize": 24}},
        "operator": {"replicas": if lab.nodes().count() > 1 { 2 } else { 1 }},
        "routingMode": "tunnel",
        "tunnelProtocol": "vxlan",
    });
    if kube_proxy_replacement {
        // Without kube-proxy, Cilium reaches the API server through the control-plane endpoint.
        let (host, port) = lab.control_plane_endpoint();
        values["k8sServiceHost"] = json!(host.to_string());
        values["k8sServicePort"] = json!(port);
    }
    if lab.load_balancer().is_some_and(|lb| lb.kind.value == LoadBalancerKind::Cilium) {
        let mut devices: Vec<String> = lab.nodes().map(|n| n.interface_name().to_string()).collect();
        devices.sort();
        devices.dedup();
        values["l2announcements"] = json!({"enabled": true});
        values["k8sClientRateLimit"] = json!({"qps": 50, "burst": 100});
        values["devices"] = json!(devices);
    }
    values
}
