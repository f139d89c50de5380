//! `out/README.md`: the address plan, the nodes and the components, and what to do next, for a
//! person reviewing the generated tree.

use std::fmt::Write;

use super::outputs::Output;
use crate::model::{CniKind, LbMode, LoadBalancerKind};
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

pub fn register(lab: &LabReader, plan: &mut PlanBuilder) {
    plan.step(Step {
        id: Output::Readme.path(),
        output: Some(OutputFile { path: Output::Readme.path(), secret: false, executable: false }),
        needs: needs(lab),
        produce: Box::new(|context, inputs| Ok(Product::File(readme(&context.lab, &inputs.provenance()).into_bytes()))),
    });
}

/// What the README reads (the sources and the topology), learnt by writing it once through a
/// fresh reader: it summarises many sources, each only where it says something about it.
fn needs(lab: &LabReader) -> Vec<Need> {
    let reader = lab.fresh();
    readme(&reader, "");
    reader.reads()
}

fn readme(lab: &LabReader, provenance: &str) -> String {
    let mut out = String::new();
    let cluster = &lab.cluster();
    let (host, port) = lab.control_plane_endpoint();
    writeln!(out, "<!-- {provenance} -->\n# Cluster {}\n", cluster.name.value).unwrap();
    writeln!(
        out,
        "Kubernetes {} on {}; API endpoint `https://{host}:{port}`.\n",
        cluster.kubernetes.value,
        cluster.os.keyword()
    )
    .unwrap();
    address_plan(lab, &mut out);
    nodes(lab, &mut out);
    components(lab, &mut out);
    provisioning(lab, &mut out);
    converge(lab, &mut out);
    out.push_str(NEXT_STEPS);
    out
}

fn address_plan(lab: &LabReader, out: &mut String) {
    let net = &lab.network();
    out.push_str("## Address plan\n\n| what | value |\n| --- | --- |\n");
    let mut row = |what: &str, value: String| writeln!(out, "| {what} | {value} |").unwrap();
    row("LAN", net.lan.value.to_string());
    row("gateway", net.gateway.value.to_string());
    row("DNS", net.dns.iter().map(|d| d.value.to_string()).collect::<Vec<_>>().join(", "));
    row("domain", net.domain.value.clone());
    if let Some(dhcp) = &net.dhcp {
        row("DHCP range", dhcp.value.to_string());
    }
    if let Some(vip) = &net.vip {
        let name = vip.name.as_ref().map_or(String::new(), |n| format!(" ({})", n.value));
        row("control-plane VIP", format!("{}:{}{name}", vip.address.value, vip.port));
    }
    row("pods", net.pods.value.to_string());
    row("services", net.services.value.to_string());
    for pool in lab.load_balancer().iter().flat_map(|lb| &lb.pools) {
        let ranges: Vec<String> = pool.ranges.iter().map(|r| r.value.to_string()).collect();
        row(&format!("pool {}", pool.name.value), ranges.join(", "));
    }
    if let Some(ip) = lab.ingress().and_then(|i| i.ip.as_ref()) {
        row("ingress", ip.value.to_string());
    }
    out.push('\n');
}

fn nodes(lab: &LabReader, out: &mut String) {
    out.push_str("## Nodes\n\n| node | role | arch | IP | MAC | disks |\n| --- | --- | --- | --- | --- | --- |\n");
    for node in lab.nodes() {
        let node = &node;
        let disks: Vec<String> =
            node.disks.iter().map(|d| format!("{} ({})", d.path.value, d.usage.keyword())).collect();
        let disks = if disks.is_empty() { "–".to_string() } else { disks.join(", ") };
        let nic = node.primary_nic();
        let (role, arch) = (node.role().keyword(), node.arch.keyword());
        writeln!(out, "| {} | {role} | {arch} | {} | {} | {} |", node.name(), nic.ip.value, nic.mac.value, disks)
            .unwrap();
    }
    out.push('\n');
}

fn components(lab: &LabReader, out: &mut String) {
    out.push_str("## Components\n\n");
    let cni = match &lab.cni().kind {
        CniKind::Calico { encapsulation } => format!("Calico ({})", encapsulation.keyword()),
        CniKind::Cilium { kube_proxy_replacement: true } => "Cilium, replacing kube-proxy".into(),
        CniKind::Cilium { .. } => "Cilium".into(),
        CniKind::Flannel { backend } => format!("Flannel ({})", backend.keyword()),
    };
    writeln!(out, "- CNI: {cni}").unwrap();
    if let Some(proxy) = lab.kube_proxy() {
        writeln!(out, "- kube-proxy: {}", proxy.mode.value.keyword()).unwrap();
    }
    if let Some(lb) = lab.load_balancer() {
        let kind = match (lb.kind.value, lb.mode.value) {
            (LoadBalancerKind::Metallb, LbMode::L2) => "MetalLB, layer 2",
            (LoadBalancerKind::Metallb, LbMode::Bgp) => "MetalLB, BGP",
            (LoadBalancerKind::Cilium, _) => "Cilium LB IPAM with L2 announcements",
        };
        writeln!(out, "- load balancer: {kind}").unwrap();
    }
    if lab.ingress().is_some() {
        writeln!(out, "- ingress: ingress-nginx").unwrap();
    }
    if let Some(ceph) = lab.ceph() {
        let pools: Vec<&str> = ceph
            .block_pools
            .iter()
            .chain(&ceph.filesystems)
            .chain(&ceph.object_stores)
            .map(|p| p.name.value.as_str())
            .collect();
        writeln!(out, "- storage: Rook-Ceph ({})", pools.join(", ")).unwrap();
    }
    for nfs in lab.nfs() {
        writeln!(out, "- storage: NFS `{}` (StorageClass {})", nfs.name.value, nfs.storage_class).unwrap();
    }
    if let Some(oidc) = lab.auth().and_then(|a| a.oidc.as_ref()) {
        writeln!(out, "- sign-in: OIDC from {}", oidc.issuer.value).unwrap();
    }
    if let Some(gitops) = lab.gitops() {
        writeln!(out, "- GitOps: Flux, {} branch {} path {}", gitops.url.value, gitops.branch, gitops.path).unwrap();
    }
    out.push('\n');
}

/// Which medium each node boots from, the boot order, and what to do once the API answers.
fn provisioning(lab: &LabReader, out: &mut String) {
    use crate::model::{Arch, Os};
    let first = lab.init_node().unwrap_or_default();
    let mut lines = vec![
        "## Provisioning".to_string(),
        String::new(),
        "Every medium under `nodes/<node>/media/` is a secret file (it carries the seed, with keys".into(),
        "and the token): write it to a stick or attach it, never commit it.".into(),
        String::new(),
        "| node | arch | boot from | seed medium |".into(),
        "| --- | --- | --- | --- |".into(),
    ];
    for node in lab.nodes() {
        let node = &node;
        let media = |file| Output::MediaFile { node: node.name(), file }.path();
        let (iso, img) = (media("cidata.iso"), media("cidata.img"));
        let (image, medium) = match (node.arch, lab.cluster().os) {
            (Arch::Arm64, _) => (
                "the OS's Raspberry Pi image (Ubuntu Server preinstalled)".to_string(),
                format!(
                    "copy `{}` onto its boot partition (see the README there), or `{img}` on a USB stick",
                    media("rpi-boot/*")
                ),
            ),
            (Arch::Amd64, Os::Ubuntu2204 | Os::Ubuntu2404) => (
                "Ubuntu live-server ISO (installs onto the `use=\"os\"` disk)".to_string(),
                format!(
                    "`{}` and `meta-data` on a FAT stick labelled `CIDATA`; or a cloud image with `{iso}`",
                    media("autoinstall/user-data")
                ),
            ),
            (Arch::Amd64, _) => (
                "the Debian cloud image (`genericcloud`) written to its disk".to_string(),
                format!("`{iso}` attached, or `{img}` on a USB stick"),
            ),
        };
        lines.push(format!("| {} | {} | {image} | {medium} |", node.name(), node.arch.keyword()));
    }
    let (host, port) = lab.control_plane_endpoint();
    lines.extend([
        String::new(),
        format!("Boot order: **{first} first**; the other nodes in any order (each waits until"),
        format!("`https://{host}:{port}/livez` answers, then joins). A fresh node usually takes 5–15"),
        "minutes from power-on to joined (the OS boot, then package downloads; the first control".into(),
        "plane's `kubeadm init` takes 2–4 minutes of that). Follow it with".into(),
        "`journalctl -t hlc-converge -f` or `cloud-init status --long`.".into(),
        String::new(),
        "Once the API answers, from this directory:".into(),
        String::new(),
        "```sh".into(),
        format!("export KUBECONFIG=$PWD/{}", Output::Kubeconfig("admin").path()),
        "kubectl get nodes".into(),
        format!(
            "bash {}    # once: the CNI, then Flux (or every component without gitops)",
            Output::Bootstrap(super::bootstrap::INSTALL).path()
        ),
        "```".into(),
    ]);
    if let Some(gitops) = lab.gitops() {
        lines.extend([
            String::new(),
            format!("Flux: commit the contents of `flux/` at the root of {} (branch", gitops.url.value),
            format!(
                "`{}`), so that `{}/` exists there, before running `{}`.",
                gitops.branch,
                gitops.path,
                Output::Bootstrap(super::bootstrap::INSTALL).path()
            ),
        ]);
    }
    if let Some(range) = &lab.network().dhcp {
        lines.extend([
            String::new(),
            format!("**DHCP:** this lab's dnsmasq serves leases from {} on the LAN. If your router", range.value),
            "already serves DHCP there, switch one of them off (or remove `dhcp` from homelab.kdl):".into(),
            "two DHCP servers on one LAN hand out conflicting leases.".into(),
        ]);
    }
    lines.push(String::new());
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
}

/// What `/etc/hlc/converge` does on each kind of run, with this lab's first control plane.
fn converge(lab: &LabReader, out: &mut String) {
    let (host, port) = lab.control_plane_endpoint();
    let first = lab.init_node().unwrap_or_default();
    let version = lab.cluster().kubernetes.value;
    let lines = [
        "## What a node does with its seed".to_string(),
        String::new(),
        "Each node's user-data runs one script, `/etc/hlc/converge` (reviewed at".into(),
        "`nodes/<node>/etc/hlc/converge`); its exit status is cloud-init's, and its log is".into(),
        "`/var/log/hlc-converge.log` (and `journalctl -t hlc-converge`). It is safe to run again:".into(),
        String::new(),
        "- **First boot.** It prepares the host (modules, sysctls, swap, packages pinned to".into(),
        format!("  Kubernetes {version}, data disks, containerd, kubelet). Then {first} runs `kubeadm init`"),
        format!("  only if nothing answers at `https://{host}:{port}/livez` or at another control plane;"),
        format!("  every other node waits for that endpoint and joins. Boot {first} first; the others may"),
        "  boot in any order and wait.".into(),
        "- **A new seed on a member** (a rebuild changed its instance-id, so cloud-init runs it at".into(),
        "  the next boot): no init or join again; changed files are applied and only the services".into(),
        "  whose files changed restart. A raised Kubernetes version upgrades the node in kubeadm's".into(),
        format!("  order ({first} first, the other control planes, then workers), drained and uncordoned."),
        "  `PLAN.md` (written by each build against the previous one) says which nodes to reboot,".into(),
        "  in which order, and what to run before and after.".into(),
        format!("- **{first} re-imaged** while the cluster runs: it finds the cluster and joins it as a"),
        "  control plane instead of creating a second one.".into(),
        String::new(),
    ];
    for line in lines {
        writeln!(out, "{line}").unwrap();
    }
}

const NEXT_STEPS: &str = "## Next steps

1. Review this tree. Private keys and kubeconfigs are mode 0600 and listed in `.gitignore`, so
   committing `out/` shows reviewers every public artifact and never a key.
2. Keep the state directory (`<input>.state/`) safe and out of Git: it holds the CA keys, and
   reusing it is what keeps certificates stable between builds.
3. `hlc.lock` lists every file with its blake3 digest; `hlc diff` shows what a build would change
   and the change plan for the running cluster (also in `PLAN.md`).
";
