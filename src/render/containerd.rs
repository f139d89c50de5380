//! containerd: `config.toml` in the schema of the containerd the node runs (v2 for 1.6/1.7, v3 for
//! 2.x), with the systemd cgroup driver, the sandbox image of the Kubernetes version, and
//! `config_path` pointing at one `hosts.toml` per `registry`. Kubernetes 1.35 is the last release
//! that supports containerd 1.x, so from 1.36 nodes get containerd 2.x (Docker's `containerd.io`).

use serde::Serialize;

use super::node_files::{register, NodeFile};
use crate::model::Registry;
use crate::model::SourceId;
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::RenderError;
use crate::plan::{PlanBuilder, Product};

pub const CONFIG: &str = "/etc/containerd/config.toml";
pub const CERTS_DIR: &str = "/etc/containerd/certs.d";

/// The pause image kubeadm expects for a Kubernetes minor version (the pins table's `[pause]`).
pub fn sandbox_image(minor: u32) -> &'static str {
    crate::model::pins::pins().pause_image(minor)
}

#[derive(Serialize)]
struct ConfigV2 {
    version: u32,
    plugins: PluginsV2,
}

/// Plugins by URI. A map, not a struct: toml 0.9 writes a renamed struct field such as
/// `io.containerd.grpc.v1.cri` unquoted, which TOML reads as nested tables.
type PluginsV2 = std::collections::BTreeMap<&'static str, Cri>;

#[derive(Serialize)]
struct Cri {
    sandbox_image: String,
    containerd: CriContainerd,
    registry: CriRegistry,
}

#[derive(Serialize)]
struct CriContainerd {
    default_runtime_name: &'static str,
    runtimes: Runtimes,
}

#[derive(Serialize)]
struct Runtimes {
    runc: Runc,
}

#[derive(Serialize)]
struct Runc {
    runtime_type: &'static str,
    options: RuncOptions,
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct RuncOptions {
    SystemdCgroup: bool,
}

#[derive(Serialize)]
struct CriRegistry {
    config_path: &'static str,
}

/// containerd 2.x: the CRI plugin is split into images and runtime plugins.
#[derive(Serialize)]
struct ConfigV3 {
    version: u32,
    plugins: std::collections::BTreeMap<&'static str, toml::Value>,
}

fn config_v3(lab: &LabReader) -> Result<String, RenderError> {
    let images: toml::Value = toml::from_str(&format!(
        "pinned_images = {{ sandbox = {:?} }}\nregistry = {{ config_path = {:?} }}",
        sandbox_image(lab.cluster().kubernetes.minor),
        CERTS_DIR
    ))?;
    let runtime: toml::Value = toml::from_str(
        "[containerd]\ndefault_runtime_name = \"runc\"\n[containerd.runtimes.runc]\nruntime_type = \"io.containerd.runc.v2\"\n[containerd.runtimes.runc.options]\nSystemdCgroup = true",
    )
    ?;
    let plugins = [("io.containerd.cri.v1.images", images), ("io.containerd.cri.v1.runtime", runtime)].into();
    toml::to_string(&ConfigV3 { version: 3, plugins }).map_err(RenderError::from)
}

fn config(lab: &LabReader) -> Result<String, RenderError> {
    if lab.containerd().schema_version() == 3 {
        return config_v3(lab);
    }
    let config = ConfigV2 {
        version: 2,
        plugins: PluginsV2::from([(
            "io.containerd.grpc.v1.cri",
            Cri {
                sandbox_image: sandbox_image(lab.cluster().kubernetes.minor).to_string(),
                containerd: CriContainerd {
                    default_runtime_name: "runc",
                    runtimes: Runtimes {
                        runc: Runc {
                            runtime_type: "io.containerd.runc.v2",
                            options: RuncOptions { SystemdCgroup: true },
                        },
                    },
                },
                registry: CriRegistry { config_path: CERTS_DIR },
            },
        )]),
    };
    toml::to_string(&config).map_err(RenderError::from)
}

/// The registry namespace a `hosts.toml` configures: the upstream it mirrors, or itself.
pub fn namespace(registry: &Registry) -> String {
    registry.mirror_of.clone().unwrap_or_else(|| registry.address.value.to_string())
}

#[derive(Serialize)]
struct HostsToml {
    server: String,
    host: std::collections::BTreeMap<String, Host>,
}

#[derive(Serialize)]
struct Host {
    capabilities: Vec<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    skip_verify: bool,
}

fn hosts_toml(registry: &Registry) -> Result<String, RenderError> {
    let scheme = if registry.insecure { "http" } else { "https" };
    let endpoint = format!("{scheme}://{}", registry.address.value);
    let (server, capabilities) = match registry.mirror_of.as_deref() {
        Some("docker.io") => ("https://registry-1.docker.io".to_string(), vec!["pull", "resolve"]),
        Some(upstream) => (format!("https://{upstream}"), vec!["pull", "resolve"]),
        None => (endpoint.clone(), vec!["pull", "resolve", "push"]),
    };
    let host = Host { capabilities, skip_verify: registry.insecure };
    toml::to_string(&HostsToml { server, host: [(endpoint, host)].into() }).map_err(RenderError::from)
}

pub fn files_for(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let mut files = vec![NodeFile::own(node, CONFIG, 0o644, false)];
    for registry in lab.registries() {
        files.push(NodeFile::own(node, &format!("{CERTS_DIR}/{}/hosts.toml", namespace(registry)), 0o644, false));
    }
    files
}

pub fn register_all(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        for file in files_for(lab, node) {
            let registry =
                lab.registries().iter().find(|r| file.target.ends_with(&format!("/{}/hosts.toml", namespace(r))));
            let address = registry.map(|r| r.address.value.to_string());
            let needs = match &address {
                Some(address) => vec![SourceId::Registry(address.clone()).into()],
                None => vec![SourceId::Cluster.into()],
            };
            register(
                plan,
                &file,
                needs,
                Box::new(move |context, inputs| {
                    let body = match &address {
                        Some(address) => hosts_toml(context.lab.registry(address).expect("a registered registry"))?,
                        None => config(&context.lab)?,
                    };
                    Ok(Product::File(format!("# {}\n{body}", inputs.provenance()).into_bytes()))
                }),
            );
        }
    }
}
