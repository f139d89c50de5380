//! The NoCloud seed of each node: `user-data` (`#cloud-config`) that sets the host up, writes
//! every file the node needs, installs pinned Kubernetes packages and runs `kubeadm init` or
//! `join`; and `meta-data`, whose instance-id is the digest of the node's own artifacts, so
//! cloud-init runs again exactly when the node's configuration changed.

use serde::Serialize;

use super::node_files::{files_for, node_source, NodeFile};
use crate::model::{DiskUse, Lab, Node, ProxyMode, VipProvider};
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

#[derive(Serialize)]
struct CloudConfig {
    hostname: String,
    fqdn: String,
    prefer_fqdn_over_hostname: bool,
    manage_etc_hosts: bool,
    timezone: String,
    ssh_pwauth: bool,
    disable_root: bool,
    users: Vec<serde_yaml::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ntp: Option<Ntp>,
    package_update: bool,
    packages: Vec<&'static str>,
    write_files: Vec<WriteFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    fs_setup: Vec<FsSetup>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    mounts: Vec<Vec<String>>,
    runcmd: Vec<String>,
}

#[derive(Serialize)]
struct Ntp {
    enabled: bool,
    servers: Vec<String>,
}

#[derive(Serialize)]
struct WriteFile {
    path: String,
    owner: &'static str,
    permissions: String,
    content: String,
}

#[derive(Serialize)]
struct FsSetup {
    device: String,
    filesystem: &'static str,
    partition: &'static str,
    overwrite: bool,
}

pub fn user_data_path(node: &Node) -> String {
    format!("nodes/{}/nocloud/user-data", node.name.value)
}

pub fn meta_data_path(node: &Node) -> String {
    format!("nodes/{}/nocloud/meta-data", node.name.value)
}

/// Everything user-data writes on `node`: its own files and, on control planes, the PKI.
pub fn all_files(lab: &Lab, node: &Node) -> Vec<NodeFile> {
    let mut files = files_for(lab, node);
    files.extend(super::pki::node_files(lab, node));
    files
}

pub fn register(lab: &Lab, plan: &mut PlanBuilder<'static>) {
    for node in &lab.nodes {
        let files = all_files(lab, node);
        let mut needs: Vec<String> = files.iter().map(|f| f.step.clone()).collect();
        needs.extend(["cluster", "network", "access", "storage", "kube-proxy"].map(String::from));
        needs.push(node_source(node));
        let name = node.name.value.clone();
        plan.step(Step {
            id: user_data_path(node),
            output: Some(OutputFile { path: user_data_path(node), secret: true, executable: false }),
            needs,
            produce: Box::new(move |context, inputs| {
                let lab = context.lab;
                let node = lab.nodes.iter().find(|n| n.name.value == name).expect("node exists");
                let mut write_files = Vec::new();
                for file in &files {
                    let content = String::from_utf8(inputs.file(&file.step)?.to_vec()).map_err(|e| e.to_string())?;
                    write_files.push(WriteFile {
                        path: file.target.clone(),
                        owner: "root:root",
                        permissions: format!("0{:o}", file.mode),
                        content,
                    });
                }
                let config = cloud_config(lab, node, write_files);
                let body = serde_yaml::to_string(&config).map_err(|e| e.to_string())?;
                Ok(Product::File(format!("#cloud-config\n# {}\n{body}", inputs.provenance()).into_bytes()))
            }),
        });
        let (user_data, network_config) = (user_data_path(node), super::netplan::path(node));
        let name = node.name.value.clone();
        plan.step(Step {
            id: meta_data_path(node),
            output: Some(OutputFile { path: meta_data_path(node), secret: false, executable: false }),
            needs: vec![user_data.clone(), network_config.clone(), node_source(node)],
            produce: Box::new(move |_, inputs| {
                let mut digest = blake3::Hasher::new();
                digest.update(inputs.file(&user_data)?);
                digest.update(inputs.file(&network_config)?);
                let instance = format!("{name}-{}", &digest.finalize().to_hex()[..16]);
                let meta = serde_json::json!({"instance-id": instance, "local-hostname": name});
                super::yaml::document(&inputs.provenance(), &meta).map(Product::File)
            }),
        });
    }
}

fn cloud_config(lab: &Lab, node: &Node, write_files: Vec<WriteFile>) -> CloudConfig {
    let domain = &lab.network.domain.value;
    let (fs_setup, mounts) = data_disks(node);
    CloudConfig {
        hostname: node.name.value.clone(),
        fqdn: format!("{}.{domain}", node.name.value),
        prefer_fqdn_over_hostname: false,
        manage_etc_hosts: true,
        timezone: lab.cluster.timezone.clone(),
        ssh_pwauth: false,
        disable_root: true,
        users: users(lab),
        ntp: (!lab.network.ntp.is_empty()).then(|| Ntp { enabled: true, servers: lab.network.ntp.clone() }),
        package_update: true,
        packages: packages(lab, node),
        write_files,
        fs_setup,
        mounts,
        runcmd: runcmd(lab, node),
    }
}

/// The `access` users (sudo, key only), or the image's default user when there are none.
fn users(lab: &Lab) -> Vec<serde_yaml::Value> {
    if lab.users.is_empty() {
        return vec!["default".into()];
    }
    lab.users
        .iter()
        .map(|user| {
            serde_yaml::to_value(serde_json::json!({
                "name": user.name.value,
                "groups": ["sudo"],
                "shell": "/bin/bash",
                "sudo": "ALL=(ALL) NOPASSWD:ALL",
                "lock_passwd": true,
                "ssh_authorized_keys": user.ssh_keys,
            }))
            .expect("JSON converts to YAML")
        })
        .collect()
}

fn packages(lab: &Lab, node: &Node) -> Vec<&'static str> {
    let mut packages = vec!["apt-transport-https", "ca-certificates", "curl", "gpg", "conntrack", "socat"];
    // Before Kubernetes 1.36 the distribution's containerd; after, containerd.io in runcmd.
    if !super::containerd::needs_containerd_2(lab) {
        packages.push("containerd");
    }
    if lab.kube_proxy.as_ref().is_some_and(|p| p.mode.value == ProxyMode::Ipvs) {
        packages.extend(["ipset", "ipvsadm"]);
    }
    if node.is_control_plane() && lab.network.vip.as_ref().is_some_and(|v| v.via == VipProvider::Keepalived) {
        packages.extend(["keepalived", "haproxy"]);
    }
    if !lab.storage.nfs.is_empty() {
        packages.push("nfs-common");
    }
    if !super::host::exports(lab, node).is_empty() {
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

/// Data disks are formatted (never Ceph disks: Rook takes those raw) and mounted.
fn data_disks(node: &Node) -> (Vec<FsSetup>, Vec<Vec<String>>) {
    let mut setup = Vec::new();
    let mut mounts = Vec::new();
    for disk in node.disks.iter().filter(|d| d.usage == DiskUse::Data) {
        let fs = disk.fs.as_ref().map_or("ext4", |f| f.value.keyword());
        let mount = disk.mount.as_ref().map_or_else(String::new, |m| m.value.clone());
        setup.push(FsSetup { device: disk.path.value.clone(), filesystem: fs, partition: "none", overwrite: false });
        mounts.push([disk.path.value.as_str(), &mount, fs, "defaults,nofail", "0", "2"].map(String::from).to_vec());
    }
    (setup, mounts)
}

/// The apt version pattern of the cluster's Kubernetes version.
pub fn package_version(lab: &Lab) -> String {
    let version = &lab.cluster.kubernetes.value;
    match version.patch {
        Some(patch) => format!("1.{}.{patch}-*", version.minor),
        None => format!("1.{}.*", version.minor),
    }
}

/// Docker's apt repository for the node's OS: (distribution, codename).
fn docker_repository(os: crate::model::Os) -> (&'static str, &'static str) {
    use crate::model::Os;
    match os {
        Os::Ubuntu2204 => ("ubuntu", "jammy"),
        Os::Ubuntu2404 => ("ubuntu", "noble"),
        Os::Debian12 => ("debian", "bookworm"),
        Os::Debian13 => ("debian", "trixie"),
    }
}

/// containerd 2.x from Docker's repository (`containerd.io`), keeping the config hlc wrote.
fn containerd_2_commands(lab: &Lab) -> Vec<String> {
    let (distribution, codename) = docker_repository(lab.cluster.os);
    let url = format!("https://download.docker.com/linux/{distribution}");
    vec![
        format!("curl -fsSL {url}/gpg | gpg --dearmor --yes -o /etc/apt/keyrings/docker.gpg"),
        format!("echo 'deb [signed-by=/etc/apt/keyrings/docker.gpg] {url} {codename} stable' > /etc/apt/sources.list.d/docker.list"),
        "apt-get update".into(),
        "DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold 'containerd.io=2.*'".into(),
        "apt-mark hold containerd.io".into(),
    ]
}

fn runcmd(lab: &Lab, node: &Node) -> Vec<String> {
    let minor = lab.cluster.kubernetes.minor_string();
    let version = package_version(lab);
    let mut commands = vec![
        "systemctl restart systemd-modules-load.service".to_string(),
        "sysctl --system".into(),
        "swapoff -a".into(),
        r"sed -ri '/\sswap\s/s/^#?/#/' /etc/fstab".into(),
        "mkdir -p -m 755 /etc/apt/keyrings".into(),
    ];
    if super::containerd::needs_containerd_2(lab) {
        commands.extend(containerd_2_commands(lab));
    }
    commands.extend([
        format!("curl -fsSL https://pkgs.k8s.io/core:/stable:/{minor}/deb/Release.key | gpg --dearmor --yes -o /etc/apt/keyrings/kubernetes-apt-keyring.gpg"),
        format!("echo 'deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/{minor}/deb/ /' > /etc/apt/sources.list.d/kubernetes.list"),
        "apt-get update".into(),
        format!("DEBIAN_FRONTEND=noninteractive apt-get install -y 'kubelet={version}' 'kubeadm={version}' 'kubectl={version}'"),
        "apt-mark hold kubelet kubeadm kubectl".into(),
        "systemctl restart containerd".into(),
        "systemctl enable kubelet".into(),
    ]);
    if node.is_control_plane() && lab.network.vip.as_ref().is_some_and(|v| v.via == VipProvider::Keepalived) {
        commands.push("systemctl enable haproxy keepalived".into());
        commands.push("systemctl restart haproxy keepalived".into());
    }
    for share in
        lab.storage.nfs.iter().filter(|n| n.server.value == crate::model::NfsServer::Node(node.name.value.clone()))
    {
        commands.push(format!("mkdir -p '{}'", share.path.value));
    }
    if !super::host::exports(lab, node).is_empty() {
        commands.push("systemctl enable --now nfs-server".into());
        commands.push("exportfs -ra".into());
    }
    commands.extend(kubeadm_commands(lab, node));
    commands
}

/// Fill in the token, then `kubeadm init` (first control plane) or wait for the API and `join`.
fn kubeadm_commands(lab: &Lab, node: &Node) -> Vec<String> {
    use super::kubeadm::{config_target, is_init_node, TOKEN_FILE, TOKEN_PLACEHOLDER};
    let config = config_target(lab, node);
    let mut commands = vec![format!(
        "(umask 077; sed \"s/{TOKEN_PLACEHOLDER}/$(cat {TOKEN_FILE})/\" {config} > /run/hlc-kubeadm.yaml)"
    )];
    if is_init_node(lab, node) {
        commands.push("kubeadm init --config /run/hlc-kubeadm.yaml".into());
        if lab.network.vip.as_ref().is_some_and(|v| v.via == VipProvider::KubeVip) {
            // kube-vip needed super-admin.conf only while RBAC was not yet bootstrapped.
            let manifest = super::vip::KUBE_VIP;
            commands
                .push(format!("sed -i 's#/etc/kubernetes/super-admin.conf#/etc/kubernetes/admin.conf#' {manifest}"));
        }
    } else {
        let (host, port) = lab.control_plane_endpoint();
        commands
            .push(format!("until curl -ksf --max-time 5 https://{host}:{port}/livez >/dev/null; do sleep 10; done"));
        commands.push("kubeadm join --config /run/hlc-kubeadm.yaml".into());
    }
    commands.push("rm -f /run/hlc-kubeadm.yaml".into());
    commands
}
