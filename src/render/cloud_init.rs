//! The NoCloud seed of each node: `user-data` (`#cloud-config`) that names the host, adds the
//! users, writes every file the node needs and runs one command, `/etc/hlc/converge` (see
//! `converge`), whose exit status is cloud-init's; and `meta-data`, whose instance-id is the
//! digest of the node's own artifacts, so cloud-init runs again exactly when the node's
//! configuration changed.

use serde::Serialize;

use super::node_files::NodeFile;
use super::outputs::Output;
use crate::model::{Arch, Os, PackageRepository, SourceId};
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::Need;
use crate::plan::RenderError;
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
    /// The distribution's archive from the lab's `package-mirror "os"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    apt: Option<serde_json::Value>,
    write_files: Vec<WriteFile>,
    /// Exactly one command, the converge script: its exit status is cloud-init's.
    runcmd: Vec<Vec<&'static str>>,
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

pub fn user_data_path(node: &NodeRef) -> String {
    Output::UserData(node.name()).path()
}

pub fn meta_data_path(node: &NodeRef) -> String {
    Output::MetaData(node.name()).path()
}

/// Every file cloud-init writes on `node`, in the order it writes them.
pub fn files_for(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let mut files = super::host::files_for(lab, node);
    files.extend(super::containerd::files_for(lab, node));
    files.extend(super::vip::files_for(lab, node));
    files.extend(super::kubeadm::files_for(lab, node));
    files.extend(super::converge::files_for(node));
    files
}

/// Everything user-data writes on `node`: its own files and, on control planes, the PKI.
pub fn all_files(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let mut files = files_for(lab, node);
    files.extend(super::pki::node_files(lab, node));
    files
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        let files = all_files(lab, node);
        let mut needs: Vec<Need> = files.iter().map(|f| Need::Step(f.step.clone())).collect();
        needs.extend([SourceId::Cluster, SourceId::Network, SourceId::Access].map(Need::from));
        if lab.package_mirror(PackageRepository::Os).is_some() {
            needs.push(SourceId::PackageMirror("os".into()).into());
        }
        let name = node.name().to_string();
        plan.step(Step {
            id: user_data_path(node),
            output: Some(OutputFile { path: user_data_path(node), secret: true, executable: false }),
            needs,
            produce: Box::new(move |context, inputs| {
                let lab = &context.lab;
                let node = &lab.node(&name);
                let mut write_files = Vec::new();
                for file in &files {
                    let content = String::from_utf8(inputs.file(&file.step)?.to_vec())
                        .map_err(|_| RenderError::NotUtf8(file.step.clone()))?;
                    write_files.push(WriteFile {
                        path: file.target.clone(),
                        owner: "root:root",
                        permissions: format!("0{:o}", file.mode),
                        content,
                    });
                }
                let config = cloud_config(lab, node, write_files);
                super::yaml::cloud_config(&inputs.provenance(), &config).map(Product::File)
            }),
        });
        let (user_data, network_config) = (user_data_path(node), super::netplan::path(node));
        let name = node.name().to_string();
        plan.step(Step {
            id: meta_data_path(node),
            output: Some(OutputFile { path: meta_data_path(node), secret: false, executable: false }),
            // The node's name is its identity, not a value of its source.
            needs: vec![user_data.clone().into(), network_config.clone().into()],
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

fn cloud_config(lab: &LabReader, node: &NodeRef, write_files: Vec<WriteFile>) -> CloudConfig {
    let domain = &lab.network().domain.value;
    CloudConfig {
        hostname: node.name().to_string(),
        fqdn: format!("{}.{domain}", node.name()),
        prefer_fqdn_over_hostname: false,
        manage_etc_hosts: true,
        timezone: lab.cluster().timezone.clone(),
        ssh_pwauth: false,
        disable_root: true,
        users: users(lab),
        ntp: (!lab.network().ntp.is_empty()).then(|| Ntp { enabled: true, servers: lab.network().ntp.clone() }),
        apt: apt_mirror(lab, node),
        write_files,
        runcmd: vec![vec![super::converge::SCRIPT]],
    }
}

/// cloud-init's `apt` module pointed at the lab's OS mirror: the mirror's host in place of the
/// archive's and the security archive's, the paths kept (`/ubuntu-ports` on arm64 Ubuntu).
fn apt_mirror(lab: &LabReader, node: &NodeRef) -> Option<serde_json::Value> {
    let host = &lab.package_mirror(PackageRepository::Os)?.url.value;
    let (archive, security) = match (lab.cluster().os, node.arch) {
        (Os::Debian12 | Os::Debian13, _) => ("debian", "debian-security"),
        (_, Arch::Arm64) => ("ubuntu-ports", "ubuntu-ports"),
        (_, Arch::Amd64) => ("ubuntu", "ubuntu"),
    };
    let source = |path: &str| serde_json::json!([{"arches": ["default"], "uri": format!("{host}/{path}")}]);
    Some(serde_json::json!({"primary": source(archive), "security": source(security)}))
}

/// The `access` users (sudo, key only), or the image's default user when there are none.
fn users(lab: &LabReader) -> Vec<serde_yaml::Value> {
    if lab.users().is_empty() {
        return vec!["default".into()];
    }
    lab.users()
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
