//! The CNI component: Calico through the tigera-operator chart (its Installation from values),
//! Cilium (cluster-pool IPAM, kube-proxy replacement, L2 announcements) or Flannel. Every pod CIDR
//! is the lab's `pods`, the same as kubeadm's podSubnet.

use serde_json::json;

use super::charts::HelmValues;
use super::components::{Component, Namespace};
use crate::model::SourceId;
use crate::model::{CalicoEncapsulation, CniKind, LoadBalancerKind};
use crate::plan::reads::LabReader;

pub fn component(lab: &LabReader) -> Component {
    let mut component = Component::new("cni");
    let pods = lab.network().pods.value.to_string();
    let (name, namespace, privileged, values) = match &lab.cni().kind {
        CniKind::Calico { encapsulation } => {
            ("tigera-operator", "tigera-operator", true, calico(&pods, *encapsulation))
        }
        CniKind::Cilium { kube_proxy_replacement } => {
            ("cilium", "kube-system", false, cilium(lab, &pods, *kube_proxy_replacement))
        }
        CniKind::Flannel { backend } => (
            "flannel",
            "kube-flannel",
            true,
            HelmValues::new(json!({}))
                .setting(SourceId::Network, json!({"podCidr": pods}))
                .setting(SourceId::Cni, json!({"flannel": {"backend": backend.keyword()}})),
        ),
    };
    if namespace != "kube-system" {
        component.namespace = Some(Namespace { name: namespace.into(), privileged });
    }
    component.set_release(lab, name, namespace, values);
    component
}

/// Calico's Installation. The IP pool (one list: Helm replaces lists whole) is the lab's `pods`
/// with the chosen encapsulation.
fn calico(pods: &str, encapsulation: CalicoEncapsulation) -> HelmValues {
    let (encapsulation, bgp) = match encapsulation {
        CalicoEncapsulation::Vxlan => ("VXLAN", "Disabled"),
        CalicoEncapsulation::IpIp => ("IPIP", "Enabled"),
        CalicoEncapsulation::None => ("None", "Enabled"),
    };
    HelmValues::new(json!({
        "installation": {
            "calicoNetwork": {
                // The node's address is the one kubeadm registered (the kubelet's `node-ip`), not
                // the first address found: a control plane may hold the VIP on the same NIC,
                // and a node may have several addresses.
                "nodeAddressAutodetectionV4": {"kubernetes": "NodeInternalIP"},
            },
        },
    }))
    .one_of("installation.calicoNetwork.nodeAddressAutodetectionV4")
    .setting(
        SourceId::Cni,
        json!({"installation": {
            "enabled": true,
            "cni": {"type": "Calico", "ipam": {"type": "Calico"}},
            "calicoNetwork": {"bgp": bgp},
        }}),
    )
    .setting(
        SourceId::Network,
        json!({"installation": {"calicoNetwork": {"ipPools": [{
            "name": "default-ipv4-ippool",
            "cidr": pods,
            "encapsulation": encapsulation,
            "natOutgoing": "Enabled",
            "nodeSelector": "all()",
            "blockSize": 26,
        }]}}}),
    )
}

fn cilium(lab: &LabReader, pods: &str, kube_proxy_replacement: bool) -> HelmValues {
    let mut defaults = json!({
        "ipam": {"operator": {"clusterPoolIPv4MaskSize": 24}},
        "operator": {"replicas": if lab.nodes().count() > 1 { 2 } else { 1 }},
        "routingMode": "tunnel",
        "tunnelProtocol": "vxlan",
    });
    let l2 = lab.load_balancer().is_some_and(|lb| lb.kind.value == LoadBalancerKind::Cilium);
    if l2 {
        defaults["k8sClientRateLimit"] = json!({"qps": 50, "burst": 100});
    }
    let mut values = HelmValues::new(defaults)
        .setting(SourceId::Cni, json!({"kubeProxyReplacement": kube_proxy_replacement}))
        .setting(
            SourceId::Network,
            json!({"ipam": {"mode": "cluster-pool", "operator": {"clusterPoolIPv4PodCIDRList": [pods]}}}),
        );
    if kube_proxy_replacement {
        // Without kube-proxy, Cilium reaches the API server through the control-plane endpoint.
        let (host, port) = lab.control_plane_endpoint();
        values = values.setting(SourceId::Network, json!({"k8sServiceHost": host.to_string(), "k8sServicePort": port}));
    }
    if l2 {
        let mut devices: Vec<String> = lab.nodes().map(|n| n.interface_name().to_string()).collect();
        devices.sort();
        devices.dedup();
        values =
            values.setting(SourceId::LoadBalancer, json!({"l2announcements": {"enabled": true}, "devices": devices}));
    }
    values
}
