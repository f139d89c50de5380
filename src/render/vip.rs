//! The control-plane VIP on each control plane: a kube-vip static pod (ARP, leader election), or
//! keepalived (VRRP, priority by node order, a health check through haproxy) in front of haproxy
//! (the endpoint port, balancing to every apiserver on 6443 that answers `/healthz`), as in the
//! kubeadm HA guide.

use std::fmt::Write;

use serde_yaml::{Mapping, Value};

use super::node_files::{interfaces, register, NodeFile};
use crate::model::SourceId;
use crate::model::VipProvider;
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::{PlanBuilder, Product};

pub const KUBE_VIP: &str = "/etc/kubernetes/manifests/kube-vip.yaml";
pub const KEEPALIVED: &str = "/etc/keepalived/keepalived.conf";
pub const CHECK_APISERVER: &str = "/etc/keepalived/check_apiserver.sh";
pub const HAPROXY: &str = "/etc/haproxy/haproxy.cfg";

pub fn files_for(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let Some(vip) = lab.network().vip.as_ref().filter(|_| node.is_control_plane()) else { return vec![] };
    match vip.via {
        VipProvider::KubeVip => vec![NodeFile::own(node, KUBE_VIP, 0o644, false)],
        VipProvider::Keepalived => vec![
            NodeFile::own(node, KEEPALIVED, 0o644, false),
            NodeFile::own(node, CHECK_APISERVER, 0o755, false),
            NodeFile::own(node, HAPROXY, 0o644, false),
        ],
    }
}

pub fn register_all(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        for file in files_for(lab, node) {
            // kube-vip and keepalived use this node's interface and its rank among the control
            // planes; haproxy every control plane's name and address.
            let mut needs = vec![SourceId::Network.into()];
            match file.target.as_str() {
                HAPROXY => {
                    needs.push(super::node_files::TOPOLOGY.into());
                    needs.extend(lab.control_planes().map(|n| super::node_files::primary_address(&n)));
                }
                CHECK_APISERVER => {}
                _ => {
                    needs.extend(interfaces(node));
                    needs.push(super::node_files::TOPOLOGY.into());
                }
            }
            let (name, target) = (node.name().to_string(), file.target.clone());
            register(
                plan,
                &file,
                needs,
                Box::new(move |context, inputs| {
                    let lab = &context.lab;
                    let node = &lab.node(&name);
                    let header = format!("# {}\n", inputs.provenance());
                    let body = match target.as_str() {
                        KUBE_VIP => {
                            return super::yaml::document(&inputs.provenance(), &kube_vip(lab, node)).map(Product::File)
                        }
                        KEEPALIVED => keepalived(lab, node),
                        CHECK_APISERVER => {
                            return Ok(Product::File(format!("#!/bin/sh\n{header}{}", check_script(lab)).into_bytes()))
                        }
                        _ => haproxy(lab),
                    };
                    Ok(Product::File(format!("{header}{body}").into_bytes()))
                }),
            );
        }
    }
}

fn env(name: &str, value: &str) -> Value {
    let mut entry = Mapping::new();
    entry.insert("name".into(), name.into());
    entry.insert("value".into(), value.into());
    Value::Mapping(entry)
}

/// kube-vip's static pod, in its steady state: admin.conf. During `kubeadm init` admin.conf has
/// no permissions yet (kubeadm ≥ 1.29), so converge points the first control plane's copy at
/// super-admin.conf for exactly the duration of `kubeadm init`.
fn kube_vip(lab: &LabReader, node: &NodeRef) -> Value {
    let vip = lab.network().vip.as_ref().expect("kube-vip needs a VIP");
    let kubeconfig = "/etc/kubernetes/admin.conf";
    let port = vip.port.to_string();
    let address = vip.address.value.to_string();
    let settings = [
        ("vip_arp", "true"),
        ("port", port.as_str()),
        ("vip_interface", node.interface_name()),
        ("vip_subnet", "32"),
        ("dns_mode", "first"),
        ("cp_enable", "true"),
        ("cp_namespace", "kube-system"),
        ("vip_leaderelection", "true"),
        ("vip_leasename", "plndr-cp-lock"),
        ("vip_leaseduration", "5"),
        ("vip_renewdeadline", "3"),
        ("vip_retryperiod", "1"),
        ("address", address.as_str()),
        ("prometheus_server", ":2112"),
    ];
    let env: Vec<Value> = settings.iter().map(|(k, v)| env(k, v)).collect();
    let mut pod: Value = serde_yaml::from_str(KUBE_VIP_POD).expect("the kube-vip template is valid YAML");
    let container = &mut pod["spec"]["containers"][0];
    container["image"] = crate::model::pins::pins().images.kube_vip.as_str().into();
    container["env"] = Value::Sequence(env);
    pod["spec"]["volumes"][0]["hostPath"]["path"] = kubeconfig.into();
    pod
}

/// The fixed part of kube-vip's pod (`kube-vip manifest pod --arp --controlplane`); image, env
/// and the kubeconfig path are set per node.
const KUBE_VIP_POD: &str = r#"
apiVersion: v1
kind: Pod
metadata:
  name: kube-vip
  namespace: kube-system
spec:
  containers:
    - name: kube-vip
      image: IMAGE
      imagePullPolicy: IfNotPresent
      args: [manager]
      securityContext:
        capabilities:
          add: [NET_ADMIN, NET_RAW]
      volumeMounts:
        - name: kubeconfig
          mountPath: /etc/kubernetes/admin.conf
  hostAliases:
    - hostnames: [kubernetes]
      ip: 127.0.0.1
  hostNetwork: true
  volumes:
    - name: kubeconfig
      hostPath:
        path: KUBECONFIG
"#;

/// keepalived's check, as in the kubeadm HA guide: an apiserver's `/healthz` through this node's
/// haproxy on the endpoint port, so the VIP leaves a node whose haproxy is dead (or sees no
/// healthy apiserver), not only one whose own apiserver is.
fn check_script(lab: &LabReader) -> String {
    let port = lab.network().vip.as_ref().expect("keepalived needs a VIP").port;
    format!(
        "# keepalived lowers this node's priority while haproxy on the endpoint port does not answer\n\
         # with a healthy apiserver.\n\
         curl --silent --fail --insecure --max-time 2 https://localhost:{port}/healthz -o /dev/null || exit 1\n"
    )
}

fn keepalived(lab: &LabReader, node: &NodeRef) -> String {
    let vip = lab.network().vip.as_ref().expect("keepalived needs a VIP");
    let rank = lab.control_planes().position(|cp| cp.name() == node.name()).unwrap_or(0);
    let router_id = vip.address.value.octets()[3];
    let mut out = String::new();
    writeln!(
        out,
        "global_defs {{\n    router_id {}\n    enable_script_security\n    script_user root\n}}",
        node.name()
    )
    .unwrap();
    writeln!(out, "vrrp_script check_apiserver {{\n    script \"{CHECK_APISERVER}\"\n    interval 3\n    weight -2\n    fall 10\n    rise 2\n}}").unwrap();
    writeln!(out, "vrrp_instance control_plane {{").unwrap();
    writeln!(out, "    state {}", if rank == 0 { "MASTER" } else { "BACKUP" }).unwrap();
    writeln!(out, "    interface {}", node.interface_name()).unwrap();
    writeln!(out, "    virtual_router_id {router_id}\n    priority {}\n    advert_int 1", 101 - rank.min(100)).unwrap();
    writeln!(out, "    virtual_ipaddress {{\n        {}/{}\n    }}", vip.address.value, lab.network().lan.prefix_len())
        .unwrap();
    writeln!(out, "    track_script {{\n        check_apiserver\n    }}\n}}").unwrap();
    out
}

fn haproxy(lab: &LabReader) -> String {
    let vip = lab.network().vip.as_ref().expect("haproxy needs a VIP");
    let mut out = String::from(
        "global\n    log stdout format raw local0\n    daemon\n\ndefaults\n    mode tcp\n    log global\n    option tcplog\n    option dontlognull\n    retries 1\n    timeout connect 5s\n    timeout client 35s\n    timeout server 35s\n    timeout check 10s\n\n",
    );
    writeln!(out, "frontend apiserver\n    bind *:{}\n    default_backend apiservers\n", vip.port).unwrap();
    // As in the kubeadm HA guide: an apiserver is in service while `GET /healthz` over TLS answers
    // 200 (a listening but unhealthy apiserver is taken out, which a TCP check would miss).
    writeln!(out, "backend apiservers\n    option httpchk GET /healthz\n    http-check expect status 200\n    balance roundrobin\n    default-server inter 10s downinter 5s rise 2 fall 2").unwrap();
    for node in lab.control_planes() {
        let node = &node;
        writeln!(out, "    server {} {}:6443 check check-ssl verify none", node.name(), node.ip()).unwrap();
    }
    out
}
