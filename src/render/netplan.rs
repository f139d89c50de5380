//! `nodes/<node>/nocloud/network-config`: netplan v2 with a static address on each NIC, matched
//! by MAC, the default route, DNS servers and search domain.

use std::collections::BTreeMap;

use serde::Serialize;

use super::node_files::{addresses, interfaces};
use crate::model::SourceId;
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

#[derive(Serialize)]
struct NetworkConfig {
    network: Network,
}

#[derive(Serialize)]
struct Network {
    version: u8,
    ethernets: BTreeMap<String, Ethernet>,
}

#[derive(Serialize)]
struct Ethernet {
    #[serde(rename = "match")]
    matches: Match,
    #[serde(rename = "set-name")]
    set_name: String,
    dhcp4: bool,
    /// No SLAAC addresses from a LAN's IPv6 router advertisements: the plan is IPv4 only.
    #[serde(rename = "accept-ra")]
    accept_ra: bool,
    addresses: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    routes: Vec<Route>,
    nameservers: Nameservers,
}

#[derive(Serialize)]
struct Match {
    macaddress: String,
}

#[derive(Serialize)]
struct Route {
    to: &'static str,
    via: String,
}

#[derive(Serialize)]
struct Nameservers {
    addresses: Vec<String>,
    search: Vec<String>,
}

pub fn path(node: &NodeRef) -> String {
    super::outputs::Output::NetworkConfig(node.name()).path()
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        let name = node.name().to_string();
        plan.step(Step {
            id: path(node),
            output: Some(OutputFile { path: path(node), secret: false, executable: false }),
            needs: [vec![SourceId::Network.into()], addresses(node), interfaces(node)].concat(),
            produce: Box::new(move |context, inputs| {
                let node = &context.lab.node(&name);
                super::yaml::document(&inputs.provenance(), &network_config(&context.lab, node)).map(Product::File)
            }),
        });
    }
}

fn network_config(lab: &LabReader, node: &NodeRef) -> NetworkConfig {
    let net = &lab.network();
    let ethernets = node
        .nics()
        .iter()
        .enumerate()
        .map(|(index, nic)| {
            let ethernet = Ethernet {
                matches: Match { macaddress: nic.mac.value.to_string() },
                set_name: nic.name.value.clone(),
                dhcp4: false,
                accept_ra: false,
                addresses: vec![format!("{}/{}", nic.ip.value, net.lan.prefix_len())],
                // Only the first NIC carries the default route.
                routes: if index == 0 {
                    vec![Route { to: "default", via: net.gateway.value.to_string() }]
                } else {
                    vec![]
                },
                nameservers: Nameservers {
                    addresses: net.dns.iter().map(|d| d.value.to_string()).collect(),
                    search: vec![net.domain.value.clone()],
                },
            };
            (nic.name.value.clone(), ethernet)
        })
        .collect();
    NetworkConfig { network: Network { version: 2, ethernets } }
}
