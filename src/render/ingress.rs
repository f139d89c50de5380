//! ingress-nginx behind a LoadBalancer Service pinned to the declared `ip` (MetalLB's or Cilium's
//! annotation). The default IngressClass.

use serde_json::json;

use super::charts::HelmValues;
use super::components::{Component, Namespace};
use crate::model::LoadBalancerKind;
use crate::model::SourceId;
use crate::plan::reads::LabReader;

pub fn component(lab: &LabReader) -> Option<Component> {
    let ingress = lab.ingress()?;
    let mut component = Component::new("ingress");
    component.depends_on = vec!["load-balancer-pools"];
    component.namespace = Some(Namespace { name: "ingress-nginx".into(), privileged: false });
    let mut service = json!({"type": "LoadBalancer"});
    if let (Some(ip), Some(lb)) = (&ingress.ip, lab.load_balancer()) {
        let annotation = match lb.kind.value {
            LoadBalancerKind::Metallb => "metallb.io/loadBalancerIPs",
            LoadBalancerKind::Cilium => "lbipam.cilium.io/ips",
        };
        service["annotations"] = json!({annotation: ip.value.to_string()});
    }
    // A LoadBalancer Service is hlc's choice; only with a load balancer (which gives it the
    // lab's address) is it the lab's.
    let mut values = HelmValues::new(json!({"controller": {"ingressClassResource": {"default": true}}}));
    match lab.load_balancer() {
        Some(_) => values = values.setting(SourceId::Ingress, json!({"controller": {"service": service}})),
        None => values.defaults["controller"]["service"] = service,
    }
    component.set_release(lab, "ingress-nginx", "ingress-nginx", values);
    Some(component)
}
