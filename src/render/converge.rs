//! `/etc/hlc/converge`: the one script a node's user-data runs, reviewed at
//! `nodes/<node>/etc/hlc/converge`. It brings the node to the state its seed describes and is
//! safe to run again at any time: on first boot, when a new seed reaches a member, and on a
//! re-imaged node. The node's facts come first (readonly variables), then the shared library
//! (`converge.sh`, the same on every node), then the node's own list of steps.

use std::fmt::Write;

use super::node_files::{node_source, register, NodeFile, TOPOLOGY};
use crate::model::SourceId;
use crate::model::{DiskUse, Os, PackageRepository, ProxyMode, Role, VipProvider};
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::Need;
use crate::plan::{PlanBuilder, Product};

/// Where user-data writes the script on the node (mode 0700).
pub const SCRIPT: &str = "/etc/hlc/converge";
pub use super::outputs::DRAIN_KUBECONFIG;
/// What a control plane drains itself with.
const ADMIN_KUBECONFIG: &str = "/etc/kubernetes/admin.conf";
const LIBRARY: &str = include_str!("converge.sh");

pub fn files_for(node: &NodeRef) -> Vec<NodeFile> {
    vec![NodeFile::own(node, SCRIPT, 0o700, false)]
}

pub fn register_all(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        let needs = needs(lab, node);
        let name = node.name().to_string();
        for file in files_for(node) {
            let name = name.clone();
            register(
                plan,
                &file,
                needs.clone(),
                Box::new(move |context, inputs| {
                    let lab = &context.lab;
                    let node = &lab.node(&name);
                    Ok(Product::File(script(lab, node, &inputs.provenance()).into_bytes()))
                }),
            );
        }
    }
}

/// What the script reads: the cluster, network, proxy and storage settings, the node itself
/// (name, role, arch, disks, its address: its etcd peer URL), the shape, and the addresses of
/// the other control planes (probed before `kubeadm init`) and of the endpoint when it is the
/// first control plane's.
fn needs(lab: &LabReader, node: &NodeRef) -> Vec<Need> {
    let mut needs: Vec<Need> = [SourceId::Cluster, SourceId::Network, SourceId::KubeProxy].map(Need::from).to_vec();
    needs.extend(super::node_files::served_nfs_sources(lab, node));
    needs.push(node_source(node));
    needs.extend(super::node_files::addresses(node));
    needs.push(TOPOLOGY.into());
    // Control planes probe and clean up etcd through the others; workers never read them, so a
    // control plane added or removed leaves workers' seeds alone.
    let others = lab.control_planes().filter(|n| node.is_control_plane() && n.name() != node.name());
    needs.extend(others.flat_map(|n| super::node_files::addresses(&n)));
    needs.extend(super::node_files::endpoint_sources(lab));
    needs.extend(mirror_sources(lab));
    needs.sort();
    needs.dedup();
    needs
}

/// The node's role in the membership step: `init` runs `kubeadm init` when no cluster answers.
fn role(lab: &LabReader, node: &NodeRef) -> &'static str {
    if lab.is_init_node(node) {
        "init"
    } else if node.is_control_plane() {
        "control-plane"
    } else {
        "worker"
    }
}

fn script(lab: &LabReader, node: &NodeRef, provenance: &str) -> String {
    let mut text = format!(
        "#!/bin/bash\n# {provenance}\n# Converges node \"{}\" to its seed; safe to run again. Log: /var/log/hlc-converge.log.\n\
         # Test it off-node with HLC_ROOT=/some/fake/root and stub programs on PATH.\nset -euo pipefail\nshopt -s inherit_errexit\n\n",
        node.name()
    );
    for (name, value) in facts(lab, node) {
        let _ = writeln!(text, "readonly {name}={value}");
    }
    text.push('\n');
    text.push_str(LIBRARY);
    text.push_str("\n# ---- this node's steps, in order ----\nsteps() {\n");
    for line in steps(lab, node) {
        let _ = writeln!(text, "    {line}");
    }
    text.push_str("}\n\nmain \"$@\"\n");
    text
}

/// `'text'` for the shell.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn array<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let items: Vec<String> = items.into_iter().map(|i| quote(i.as_ref())).collect();
    format!("({})", items.join(" "))
}

/// The node's facts, as shell variables the library reads.
fn facts(lab: &LabReader, node: &NodeRef) -> Vec<(&'static str, String)> {
    use super::kubeadm::{config_target, INIT_TARGET, JOIN_TARGET, TOKEN_FILE};
    let (host, port) = lab.control_plane_endpoint();
    let init_node = lab.init_node().unwrap_or_default();
    let others = lab
        .control_planes()
        .filter(|n| node.is_control_plane() && n.name() != node.name())
        .map(|n| format!("{}:6443", n.ip()));
    let version = &lab.cluster().kubernetes.value;
    let vip = match lab.network().vip.as_ref().filter(|_| node.is_control_plane()).map(|v| v.via) {
        Some(VipProvider::KubeVip) => "kube-vip",
        Some(VipProvider::Keepalived) => "keepalived",
        None => "none",
    };
    let containerd = if lab.containerd().from_docker { "containerd.io=2.*" } else { "" };
    let nfs = super::host::nfs_directories(lab, node);
    vec![
        ("NODE", quote(node.name())),
        ("NODE_IP", quote(&node.ip().to_string())),
        ("OS_FAMILY", quote(if matches!(lab.cluster().os, Os::Debian12 | Os::Debian13) { "debian" } else { "ubuntu" })),
        ("ROLE", quote(role(lab, node))),
        ("INIT_NODE", quote(init_node)),
        ("ENDPOINT", quote(&format!("{host}:{port}"))),
        ("OTHER_CONTROL_PLANES", array(others)),
        ("KUBERNETES_VERSION", quote(&format!("1.{}.{}", version.minor, version.patch.unwrap_or(0)))),
        ("TOKEN_FILE", quote(TOKEN_FILE)),
        ("INIT_CONFIG", quote(INIT_TARGET)),
        ("JOIN_CONFIG", quote(JOIN_TARGET)),
        ("KUBEADM_CONFIG", quote(&config_target(lab, node))),
        ("MODULES", array(super::host::modules(lab))),
        ("SYSCTL_FILE", quote(super::host::SYSCTL)),
        ("DISTRIBUTION_PACKAGES", array(distribution_packages(lab, node))),
        ("CONTAINERD_PACKAGE", quote(containerd)),
        ("CONTAINERD_CONFIG", quote(super::containerd::CONFIG)),
        ("VIP_KIND", quote(vip)),
        ("NFS_DIRECTORIES", array(nfs)),
        ("EXPORTS_FILE", quote(super::host::EXPORTS)),
        ("CONTROL_PLANE_FILES", array(control_plane_files(lab, node))),
        ("DRAIN_KUBECONFIG", quote(if node.is_control_plane() { ADMIN_KUBECONFIG } else { DRAIN_KUBECONFIG })),
    ]
}

/// The certificates and kubeconfigs a control plane's seed writes, and what reads each: a member
/// restarts the reader when one changed (static pods by name, else the service).
const CERTIFICATE_READERS: [(&str, &str); 10] = [
    ("/etc/kubernetes/pki/apiserver.crt", "kube-apiserver"),
    ("/etc/kubernetes/pki/apiserver-kubelet-client.crt", "kube-apiserver"),
    ("/etc/kubernetes/pki/apiserver-etcd-client.crt", "kube-apiserver"),
    ("/etc/kubernetes/pki/front-proxy-client.crt", "kube-apiserver"),
    ("/etc/kubernetes/pki/etcd/server.crt", "etcd"),
    ("/etc/kubernetes/pki/etcd/peer.crt", "etcd"),
    ("/etc/kubernetes/controller-manager.conf", "kube-controller-manager"),
    ("/etc/kubernetes/scheduler.conf", "kube-scheduler"),
    ("/etc/kubernetes/admin.conf", "kube-vip"),
    ("/etc/kubernetes/kubelet.conf", "kubelet"),
];

/// What a member's converge restarts or reloads when the file at `path` (on the node) changed,
/// as the change plan reports it.
pub fn restarted_by(path: &str) -> Option<&'static str> {
    if let Some((_, reader)) = CERTIFICATE_READERS.iter().find(|(file, _)| *file == path) {
        return Some(reader);
    }
    Some(match path {
        super::containerd::CONFIG => "containerd",
        super::vip::HAPROXY => "haproxy",
        super::vip::KEEPALIVED => "keepalived",
        super::host::EXPORTS => "nfs exports (exportfs -ra)",
        super::host::SYSCTL => "sysctls (sysctl -p)",
        _ => return None,
    })
}

/// On control planes, the certificates and kubeconfigs the seed writes and who reads them
/// (`path|static pod` or `path|kubelet`): a member restarts the reader when one changed.
fn control_plane_files(lab: &LabReader, node: &NodeRef) -> Vec<String> {
    if !node.is_control_plane() {
        return Vec::new();
    }
    let kube_vip = lab.network().vip.as_ref().is_some_and(|v| v.via == VipProvider::KubeVip);
    let init = lab.is_init_node(node);
    CERTIFICATE_READERS
        .iter()
        .filter(|(_, reader)| match *reader {
            "kube-vip" => kube_vip,
            "kubelet" => init,
            _ => true,
        })
        .map(|(path, reader)| format!("{path}|{reader}"))
        .collect()
}

/// Packages from the distribution's own repositories (containerd 2 and Kubernetes come from
/// their projects' repositories, in later steps).
pub fn distribution_packages(lab: &LabReader, node: &NodeRef) -> Vec<&'static str> {
    let mut packages = vec!["apt-transport-https", "ca-certificates", "curl", "gpg", "conntrack", "socat"];
    if !lab.containerd().from_docker {
        packages.push("containerd");
    }
    if lab.kube_proxy().is_some_and(|p| p.mode.value == ProxyMode::Ipvs) {
        packages.extend(["ipset", "ipvsadm"]);
    }
    if node.is_control_plane() && lab.network().vip.as_ref().is_some_and(|v| v.via == VipProvider::Keepalived) {
        packages.extend(["keepalived", "haproxy"]);
    }
    if lab.has_nfs() {
        packages.push("nfs-common");
    }
    if !super::host::nfs_shares(lab, node).is_empty() {
        packages.push("nfs-kernel-server");
    }
    if node.ceph_disks().next().is_some() {
        packages.push("lvm2");
    }
    if node.disks.iter().any(|d| d.fs.as_ref().is_some_and(|f| f.value == crate::model::Filesystem::Xfs)) {
        packages.push("xfsprogs");
    }
    packages
}

/// Docker's apt repository for the node's OS: (distribution, codename).
fn docker_repository(os: Os) -> (&'static str, &'static str) {
    match os {
        Os::Ubuntu2204 => ("ubuntu", "jammy"),
        Os::Ubuntu2404 => ("ubuntu", "noble"),
        Os::Debian12 => ("debian", "bookworm"),
        Os::Debian13 => ("debian", "trixie"),
    }
}

/// The host a repository is served from (the upstream's, or the lab's mirror in its place) and
/// the signing key's URL the lab gives, if any.
fn repository_host(lab: &LabReader, repository: PackageRepository, upstream: &str) -> (String, Option<String>) {
    match lab.package_mirror(repository) {
        Some(mirror) => (mirror.url.value.clone(), mirror.key.clone()),
        None => (upstream.to_string(), None),
    }
}

/// The apt repositories the node needs: (name, key URL, source line after `signed-by`), from the
/// lab's `package-mirror` where it has one. The key comes from the upstream over HTTPS unless the
/// lab names another (`key=`, for an air-gapped lab): a caching proxy does not serve keys, and the
/// upstream's key keeps apt checking the upstream's signatures.
pub fn repositories(lab: &LabReader) -> Vec<(&'static str, String, String)> {
    let mut repositories = Vec::new();
    if lab.containerd().from_docker {
        let (distribution, codename) = docker_repository(lab.cluster().os);
        let upstream = format!("https://download.docker.com/linux/{distribution}");
        let (host, key) = repository_host(lab, PackageRepository::Containerd, "https://download.docker.com");
        let url = format!("{host}/linux/{distribution}");
        repositories.push(("docker", key.unwrap_or(format!("{upstream}/gpg")), format!("{url} {codename} stable")));
    }
    let path = format!("/core:/stable:/{}/deb/", lab.cluster().kubernetes.value.minor_string());
    let (host, key) = repository_host(lab, PackageRepository::Kubernetes, "https://pkgs.k8s.io");
    let key = key.unwrap_or(format!("https://pkgs.k8s.io{path}Release.key"));
    repositories.push(("kubernetes", key, format!("{host}{path} /")));
    repositories
}

/// The mirrors the repositories come from (sources of the script).
fn mirror_sources(lab: &LabReader) -> Vec<Need> {
    [PackageRepository::Kubernetes, PackageRepository::Containerd]
        .into_iter()
        .filter(|r| lab.package_mirror(*r).is_some())
        .map(|r| SourceId::PackageMirror(r.keyword().to_string()).into())
        .collect()
}

/// The node's steps, as calls of the library's `step NAME FUNCTION ARGS…`.
fn steps(lab: &LabReader, node: &NodeRef) -> Vec<String> {
    let mut steps = vec![
        "step kernel-modules load_modules".to_string(),
        "step sysctls apply_sysctls".into(),
        "step swap disable_swap".into(),
        "step clock wait_for_clock".into(),
    ];
    if node.arch == crate::model::Arch::Arm64 {
        steps.push("step memory-cgroup ensure_memory_cgroup".into());
    }
    steps.push("step distribution-packages install_distribution_packages".into());
    for (name, key, line) in repositories(lab) {
        steps.push(format!("step repository-{name} add_repository {name} {} {}", quote(&key), quote(&line)));
    }
    steps.push("step kubernetes-packages install_kubernetes_packages".into());
    for disk in node.disks.iter().filter(|d| d.usage == DiskUse::Data) {
        let fs = disk.fs.as_ref().expect("lower gives data disks a filesystem").value.keyword();
        let mount = disk.mount.as_ref().map_or("", |m| m.value.as_str());
        steps.push(format!(
            "step data-disk-{} data_disk {} {} {fs}",
            mount.trim_start_matches('/').replace('/', "-"),
            quote(&disk.path.value),
            quote(mount)
        ));
    }
    if !super::host::nfs_shares(lab, node).is_empty() {
        steps.push("step nfs-server serve_nfs".into());
    }
    steps.push("step containerd configure_containerd".into());
    steps.push("step kubelet enable_kubelet".into());
    if node.is_control_plane() && lab.network().vip.as_ref().is_some_and(|v| v.via == VipProvider::Keepalived) {
        steps.push("step keepalived-haproxy keepalived_and_haproxy".into());
    }
    steps.push(format!("step membership membership  # {}", membership_note(lab, node)));
    if node.is_control_plane() {
        steps.push("step control-plane-files control_plane_files".into());
    }
    steps.push(format!("step upgrade upgrade_kubernetes  # {}", upgrade_note(lab, node)));
    steps
}

fn upgrade_note(lab: &LabReader, node: &NodeRef) -> &'static str {
    match role(lab, node) {
        "init" => "a member on another version: kubeadm upgrade apply, drain, kubelet, uncordon",
        "control-plane" => "after the cluster runs the new version: kubeadm upgrade node, drain, kubelet, uncordon",
        _ => "after every control plane runs it: kubeadm upgrade node, drain, kubelet, uncordon",
    }
}

fn membership_note(lab: &LabReader, node: &NodeRef) -> &'static str {
    match (role(lab, node), node.role()) {
        ("init", _) => "kubeadm init if no control plane answers, else join as a control plane",
        ("control-plane", _) => "wait for the endpoint, then join as a control plane",
        (_, Role::Storage) => "wait for the endpoint, then join (as a tainted storage node)",
        _ => "wait for the endpoint, then join as a worker",
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting_survives_single_quotes() {
        assert_eq!(super::quote("a'b"), r"'a'\''b'");
        assert_eq!(super::array(["x", "y z"]), "('x' 'y z')");
    }
}
