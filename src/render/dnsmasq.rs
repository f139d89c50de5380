//! dnsmasq for the LAN (`network/dnsmasq/`): a static lease per NIC, the dynamic range, router and
//! DNS options, the domain, and host records for the nodes and the VIP name. Install the config
//! as `/etc/dnsmasq.d/<cluster>.conf` and the two data files under `/etc/hlc/<cluster>/`.

use std::fmt::Write;

use super::outputs::Output;
use crate::model::SourceId;
use crate::plan::reads::LabReader;
use crate::plan::{Need, OutputFile, PlanBuilder, Product, Step};

/// Where the data files live on the DNS/DHCP host.
pub fn data_dir(lab: &LabReader) -> String {
    format!("/etc/hlc/{}", lab.cluster().name.value)
}

fn step(path: String, needs: Vec<Need>, render: fn(&LabReader) -> String) -> Step<'static> {
    Step {
        id: path.clone(),
        output: Some(OutputFile { path, secret: false, executable: false }),
        needs,
        produce: Box::new(move |context, inputs| {
            Ok(Product::File(format!("# {}\n{}", inputs.provenance(), render(&context.lab)).into_bytes()))
        }),
    }
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    let addresses: Vec<Need> = lab.nodes().flat_map(|n| super::node_files::addresses(&n)).collect();
    let interfaces = lab.nodes().flat_map(|n| super::node_files::interfaces(&n));
    let cluster = &lab.cluster().name.value;
    plan.step(step(
        Output::Dnsmasq(&format!("{cluster}.conf")).path(),
        vec![SourceId::Network.into(), SourceId::Cluster.into()],
        config,
    ));
    plan.step(step(Output::Dnsmasq("dhcp-hosts").path(), interfaces.chain(addresses.clone()).collect(), dhcp_hosts));
    plan.step(step(Output::Dnsmasq("hosts").path(), [vec![SourceId::Network.into()], addresses].concat(), hosts));
}

fn config(lab: &LabReader) -> String {
    let net = &lab.network();
    let domain = &net.domain.value;
    let mut out = String::new();
    writeln!(out, "domain={domain}\nlocal=/{domain}/\nexpand-hosts\ndomain-needed\nbogus-priv").unwrap();
    match &net.dhcp {
        Some(range) => writeln!(out, "dhcp-range={},{},{},12h", range.start, range.end, net.lan.netmask()).unwrap(),
        None => writeln!(out, "dhcp-range={},static,{}", net.lan.network(), net.lan.netmask()).unwrap(),
    }
    writeln!(out, "dhcp-option=option:router,{}", net.gateway.value).unwrap();
    let dns: Vec<String> = net.dns.iter().map(|d| d.value.to_string()).collect();
    writeln!(out, "dhcp-option=option:dns-server,{}", dns.join(",")).unwrap();
    writeln!(out, "dhcp-option=option:domain-search,{domain}").unwrap();
    let dir = data_dir(lab);
    writeln!(out, "dhcp-hostsfile={dir}/dhcp-hosts\naddn-hosts={dir}/hosts").unwrap();
    out
}

/// `MAC,IP,NAME` per NIC.
fn dhcp_hosts(lab: &LabReader) -> String {
    let mut out = String::new();
    for node in lab.nodes() {
        for nic in node.nics() {
            writeln!(out, "{},{},{}", nic.mac.value, nic.ip.value, node.name()).unwrap();
        }
    }
    out
}

/// `IP FQDN NAME` per node, and the VIP's name.
fn hosts(lab: &LabReader) -> String {
    let domain = &lab.network().domain.value;
    let mut out = String::new();
    for node in lab.nodes() {
        writeln!(out, "{} {}.{domain} {}", node.ip(), node.name(), node.name()).unwrap();
    }
    if let Some((vip, name)) =
        lab.network().vip.as_ref().and_then(|v| v.name.as_ref().map(|n| (v.address.value, &n.value)))
    {
        writeln!(out, "{vip} {name}").unwrap();
    }
    out
}
