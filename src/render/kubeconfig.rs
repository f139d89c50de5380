//! Kubeconfigs with embedded client certificates: `kubeconfig/admin.conf` and
//! `super-admin.conf` (through the control-plane endpoint), and on each control plane the
//! controller-manager and scheduler configs (through its own API server) and the first
//! control plane's kubelet.conf; on each worker its drain-only credential (through the endpoint).
//! All secret: they embed private keys.

use base64::Engine;
use serde::Serialize;

use super::outputs::Output;
use super::pki::state_id;
use crate::model::SourceId;
use crate::pki::spec::{kubeconfig_certificates, CertKind, CA};
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

#[derive(Serialize)]
struct Kubeconfig {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    clusters: Vec<Named<ClusterEntry>>,
    contexts: Vec<Named<ContextEntry>>,
    #[serde(rename = "current-context")]
    current_context: String,
    preferences: serde_yaml::Mapping,
    users: Vec<Named<UserEntry>>,
}

#[derive(Serialize)]
struct Named<T> {
    name: String,
    #[serde(flatten)]
    entry: T,
}

#[derive(Serialize)]
struct ClusterEntry {
    cluster: ClusterData,
}

#[derive(Serialize)]
struct ClusterData {
    #[serde(rename = "certificate-authority-data")]
    certificate_authority_data: String,
    server: String,
}

#[derive(Serialize)]
struct ContextEntry {
    context: ContextData,
}

#[derive(Serialize)]
struct ContextData {
    cluster: String,
    user: String,
}

#[derive(Serialize)]
struct UserEntry {
    user: serde_yaml::Value,
}

fn base64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A kubeconfig for `cluster` at `server` whose user is `user`.
pub fn kubeconfig(
    cluster: &str,
    server: &str,
    ca_pem: &str,
    user_name: &str,
    user: serde_yaml::Value,
) -> impl Serialize {
    let context = format!("{user_name}@{cluster}");
    Kubeconfig {
        api_version: "v1",
        kind: "Config",
        clusters: vec![Named {
            name: cluster.into(),
            entry: ClusterEntry {
                cluster: ClusterData { certificate_authority_data: base64(ca_pem), server: server.into() },
            },
        }],
        contexts: vec![Named {
            name: context.clone(),
            entry: ContextEntry { context: ContextData { cluster: cluster.into(), user: user_name.into() } },
        }],
        current_context: context,
        preferences: serde_yaml::Mapping::new(),
        users: vec![Named { name: user_name.into(), entry: UserEntry { user } }],
    }
}

/// The `user` entry of a client-certificate kubeconfig.
fn certificate_user(credential: &crate::pki::Credential) -> serde_yaml::Value {
    let mut user = serde_yaml::Mapping::new();
    user.insert("client-certificate-data".into(), base64(&credential.cert_pem).into());
    user.insert("client-key-data".into(), base64(&credential.key_pem).into());
    serde_yaml::Value::Mapping(user)
}

/// The API server a kubeconfig talks to: the control-plane endpoint, or for a node's own
/// kubeconfigs (`node` given) that node's apiserver, as kubeadm makes them: the first control
/// plane's kubelet.conf too (kubeadm falls back to the local endpoint there; the VIP needs
/// kube-vip, which that kubelet starts).
fn server(lab: &LabReader, node: Option<&str>) -> String {
    let (host, port) = match node {
        Some(node) => (lab.node(node).ip(), 6443),
        None => lab.control_plane_endpoint(),
    };
    format!("https://{host}:{port}")
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder) {
    for spec in kubeconfig_certificates(lab) {
        // `node`: a node kubeconfig that talks to its own node's apiserver (a worker's drain
        // credential talks to the endpoint).
        let (path, node) = match &spec.kind {
            CertKind::Kubeconfig { who } => (Output::Kubeconfig(who).path(), None),
            CertKind::DrainKubeconfig { node } => {
                let target = super::outputs::DRAIN_KUBECONFIG;
                (Output::NodeFile { node, target }.path(), None)
            }
            CertKind::NodeKubeconfig { node, component } => {
                let target = format!("/etc/kubernetes/{component}.conf");
                (Output::NodeFile { node, target: &target }.path(), Some(node.clone()))
            }
            _ => unreachable!("kubeconfig_certificates gives kubeconfig identities only"),
        };
        let user_name = spec.common_name.clone();
        let identity = state_id(&spec.name);
        let mut needs: Vec<Need> = vec![identity.clone().into(), state_id(CA).into(), SourceId::Cluster.into()];
        match &node {
            // Node kubeconfigs talk to their own node's apiserver (its address).
            Some(node) => needs.push(super::node_files::primary_address(&lab.node(node))),
            None => needs.extend(super::node_files::endpoint_sources(lab)),
        }
        plan.step(Step {
            id: path.clone(),
            output: Some(OutputFile { path, secret: true, executable: false }),
            needs,
            produce: Box::new(move |context, inputs| {
                let ca = inputs.credential(&state_id(CA))?;
                let user = certificate_user(inputs.credential(&identity)?);
                let server = server(&context.lab, node.as_deref());
                let config = kubeconfig(&context.lab.cluster().name.value, &server, &ca.cert_pem, &user_name, user);
                super::yaml::document(&inputs.provenance(), &config).map(Product::File)
            }),
        });
    }
}
