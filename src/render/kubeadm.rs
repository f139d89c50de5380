//! kubeadm v1beta4 configs: the first control plane's `init.yaml` (InitConfiguration,
//! ClusterConfiguration, KubeletConfiguration, KubeProxyConfiguration) and everyone else's
//! `join.yaml`. The bootstrap token is a placeholder that user-data fills in from a 0600 file
//! at boot, so these stay public and reviewable. Also the API server's OIDC wiring.

use serde_json::{json, Value};

use super::node_files::{register, NodeFile};
use super::pki::{state_id, TOKEN};
use crate::model::SourceId;
use crate::model::{ProxyMode, Role};
use crate::pki::spec::CA;
use crate::plan::reads::{LabReader, NodeRef};
use crate::plan::Need;
use crate::plan::RenderError;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

/// Replaced by the bootstrap token on the node, just before kubeadm runs.
pub const TOKEN_PLACEHOLDER: &str = "@HLC_BOOTSTRAP_TOKEN@";
/// Where the token file and the config live on a node.
pub const TOKEN_FILE: &str = "/etc/kubernetes/hlc/bootstrap-token";
pub const AUTHN_DIR: &str = "/etc/kubernetes/authn";
pub const AUTHN_CONFIG: &str = "/etc/kubernetes/authn/authentication-config.yaml";
const CRI_SOCKET: &str = "unix:///var/run/containerd/containerd.sock";

/// Where the configs live on a node.
pub const INIT_TARGET: &str = "/etc/kubernetes/hlc/init.yaml";
pub const JOIN_TARGET: &str = "/etc/kubernetes/hlc/join.yaml";

/// The on-node path of the config the node normally runs (`init.yaml` on the first control
/// plane, `join.yaml` elsewhere).
pub fn config_target(lab: &LabReader, node: &NodeRef) -> String {
    if lab.is_init_node(node) { INIT_TARGET } else { JOIN_TARGET }.to_string()
}

/// Every kubeadm config of the node, by on-node path: the first control plane has both.
pub fn config_targets(lab: &LabReader, node: &NodeRef) -> Vec<&'static str> {
    if lab.is_init_node(node) {
        vec![INIT_TARGET, JOIN_TARGET]
    } else {
        vec![JOIN_TARGET]
    }
}

/// The reviewed copy of a config: `nodes/<node>/kubeadm/init.yaml`.
pub fn review_path(node: &NodeRef, target: &str) -> String {
    super::outputs::Output::KubeadmConfig { node: node.name(), target }.path()
}

/// The reviewed copy of the config the node normally runs.
pub fn config_path(lab: &LabReader, node: &NodeRef) -> String {
    review_path(node, &config_target(lab, node))
}

pub fn files_for(lab: &LabReader, node: &NodeRef) -> Vec<NodeFile> {
    let mut files: Vec<NodeFile> = config_targets(lab, node)
        .into_iter()
        .map(|target| NodeFile::shared(target, &review_path(node, target), 0o600, false))
        .collect();
    files.push(NodeFile::own(node, TOKEN_FILE, 0o600, true));
    if node.is_control_plane() && lab.auth().is_some_and(|a| a.oidc.is_some()) {
        files.push(NodeFile::own(node, AUTHN_CONFIG, 0o600, false));
    }
    files
}

pub fn register_all(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    for node in lab.nodes() {
        let node = &node;
        for target in config_targets(lab, node) {
            register_config(lab, node, target, plan);
        }
        for file in files_for(lab, node).into_iter().filter(|f| f.is_own(node)) {
            let token_file = file.target == TOKEN_FILE;
            let needs =
                if token_file { vec![TOKEN.into()] } else { vec![SourceId::Auth.into(), SourceId::Cluster.into()] };
            register(
                plan,
                &file,
                needs,
                Box::new(move |context, inputs| {
                    if token_file {
                        return Ok(Product::File(format!("{}\n", inputs.value(TOKEN)?).into_bytes()));
                    }
                    super::yaml::document(&inputs.provenance(), &authentication_config(&context.lab)).map(Product::File)
                }),
            );
        }
    }
}

/// The step of one kubeadm config (`init.yaml` or `join.yaml`) of `node`.
fn register_config(lab: &LabReader, node: &NodeRef, target: &'static str, plan: &mut PlanBuilder<'static>) {
    let name = node.name().to_string();
    let mut needs: Vec<Need> = vec![SourceId::Cluster.into(), SourceId::Network.into()];
    needs.push(super::node_files::primary_address(node));
    needs.extend(super::node_files::endpoint_sources(lab));
    needs.push(super::node_files::TOPOLOGY.into());
    if target == INIT_TARGET {
        // The cluster-wide configuration: the CNI's pod network, kube-proxy's, OIDC.
        needs.extend([SourceId::Cni, SourceId::KubeProxy, SourceId::Auth].map(Need::from));
        // IPVS's strictARP follows the load balancer.
        if lab.kube_proxy().is_some_and(|p| p.mode.value == crate::model::ProxyMode::Ipvs) {
            needs.push(SourceId::LoadBalancer.into());
        }
    } else {
        needs.push(state_id(CA).into());
    }
    let path = review_path(node, target);
    plan.step(Step {
        id: path.clone(),
        output: Some(OutputFile { path, secret: false, executable: false }),
        needs,
        produce: Box::new(move |context, inputs| {
            let lab = &context.lab;
            let node = &lab.node(&name);
            let documents = if target == INIT_TARGET {
                init_documents(lab, node)
            } else {
                let ca = inputs.credential(&state_id(CA))?;
                vec![join_configuration(lab, node, &ca_cert_hash(&ca.key_pem, lab.cluster().key_type)?)]
            };
            let values: Vec<serde_yaml::Value> =
                documents.into_iter().map(|d| serde_yaml::to_value(d).expect("JSON converts to YAML")).collect();
            super::yaml::documents(&inputs.provenance(), &values).map(Product::File)
        }),
    });
}

/// `sha256:<hex>` of the CA's SubjectPublicKeyInfo, as `kubeadm join` pins it. The CA key's
/// SPKI is byte-for-byte the one rcgen put in the CA certificate.
pub fn ca_cert_hash(ca_key_pem: &str, key_type: crate::model::KeyType) -> Result<String, RenderError> {
    use rcgen::PublicKeyData;
    let key = crate::pki::keys::load(ca_key_pem, key_type).map_err(|e| RenderError::Key(e.0))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &key.subject_public_key_info());
    Ok(format!("sha256:{}", digest.as_ref().iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

fn node_registration(lab: &LabReader, node: &NodeRef) -> Value {
    let mut registration = json!({
        "name": node.name(),
        "criSocket": CRI_SOCKET,
        "kubeletExtraArgs": [{"name": "node-ip", "value": node.ip().to_string()}],
    });
    if node.role() == Role::Storage {
        registration["taints"] = json!([{"key": "node-role.kubernetes.io/storage", "effect": "NoSchedule"}]);
    }
    if node.is_control_plane() && lab.control_planes_run_workloads() {
        registration["taints"] = json!([]);
    }
    if node.is_control_plane()
        && lab.network().vip.as_ref().is_some_and(|v| v.via == crate::model::VipProvider::KubeVip)
    {
        // kube-vip's static pod is in the manifests directory before kubeadm runs.
        registration["ignorePreflightErrors"] = json!(["DirAvailable--etc-kubernetes-manifests"]);
    }
    registration
}

fn endpoint(lab: &LabReader) -> String {
    let (host, port) = lab.control_plane_endpoint();
    format!("{host}:{port}")
}

fn init_documents(lab: &LabReader, node: &NodeRef) -> Vec<Value> {
    let mut init = json!({
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "InitConfiguration",
        "bootstrapTokens": [{
            "token": TOKEN_PLACEHOLDER,
            // The token lives in the state and every seed carries it. It is valid for a day from
            // `kubeadm init` (day 0); a later join gets it made valid again for two hours (the
            // change plan says how), so it is never a standing credential.
            "ttl": "24h0m0s",
            "usages": ["signing", "authentication"],
            "groups": ["system:bootstrappers:kubeadm:default-node-token"],
        }],
        "localAPIEndpoint": {"advertiseAddress": node.ip().to_string(), "bindPort": 6443},
        "nodeRegistration": node_registration(lab, node),
    });
    if lab.cni().replaces_kube_proxy() {
        init["skipPhases"] = json!(["addon/kube-proxy"]);
    }
    let mut documents = vec![init, cluster_configuration(lab), kubelet_configuration()];
    documents.extend(kube_proxy_configuration(lab));
    documents
}

fn cluster_configuration(lab: &LabReader) -> Value {
    let net = &lab.network();
    let mut sans: Vec<String> = net.vip.iter().map(|v| v.address.value.to_string()).collect();
    sans.extend(net.vip.as_ref().and_then(|v| v.name.as_ref()).map(|n| n.value.clone()));
    let algorithm = match lab.cluster().key_type {
        crate::model::KeyType::EcdsaP256 => "ECDSA-P256",
        crate::model::KeyType::Rsa2048 => "RSA-2048",
    };
    let mut config = json!({
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "ClusterConfiguration",
        "clusterName": lab.cluster().name.value,
        "controlPlaneEndpoint": endpoint(lab),
        "certificatesDir": "/etc/kubernetes/pki",
        "encryptionAlgorithm": algorithm,
        "networking": {"podSubnet": net.pods.value.to_string(), "serviceSubnet": net.services.value.to_string(), "dnsDomain": "cluster.local"},
        "apiServer": {"certSANs": sans},
        "etcd": {"local": {"dataDir": "/var/lib/etcd"}},
    });
    if let Some(patch) = lab.cluster().kubernetes.patch {
        config["kubernetesVersion"] = json!(format!("v1.{}.{patch}", lab.cluster().kubernetes.minor));
    }
    if lab.auth().is_some_and(|a| a.oidc.is_some()) {
        config["apiServer"]["extraArgs"] = json!([{"name": "authentication-config", "value": AUTHN_CONFIG}]);
        config["apiServer"]["extraVolumes"] = json!([{
            "name": "authentication-config", "hostPath": AUTHN_DIR, "mountPath": AUTHN_DIR, "readOnly": true, "pathType": "DirectoryOrCreate",
        }]);
    }
    config
}

fn kubelet_configuration() -> Value {
    json!({"apiVersion": "kubelet.config.k8s.io/v1beta1", "kind": "KubeletConfiguration", "cgroupDriver": "systemd"})
}

fn kube_proxy_configuration(lab: &LabReader) -> Option<Value> {
    let proxy = lab.kube_proxy()?;
    let mut config = json!({
        "apiVersion": "kubeproxy.config.k8s.io/v1alpha1",
        "kind": "KubeProxyConfiguration",
        "mode": proxy.mode.value.keyword(),
        "clusterCIDR": lab.network().pods.value.to_string(),
    });
    if proxy.mode.value == ProxyMode::Ipvs {
        config["ipvs"] = json!({"strictARP": strict_arp(lab)});
    }
    Some(config)
}

/// MetalLB in L2 mode needs kube-proxy's IPVS mode to answer ARP only for its own addresses.
pub fn strict_arp(lab: &LabReader) -> bool {
    use crate::model::{LbMode, LoadBalancerKind};
    lab.load_balancer()
        .as_ref()
        .is_some_and(|lb| lb.kind.value == LoadBalancerKind::Metallb && lb.mode.value == LbMode::L2)
}

fn join_configuration(lab: &LabReader, node: &NodeRef, ca_hash: &str) -> Value {
    let mut join = json!({
        "apiVersion": "kubeadm.k8s.io/v1beta4",
        "kind": "JoinConfiguration",
        "discovery": {"bootstrapToken": {"apiServerEndpoint": endpoint(lab), "token": TOKEN_PLACEHOLDER, "caCertHashes": [ca_hash]}},
        "nodeRegistration": node_registration(lab, node),
    });
    if node.is_control_plane() {
        join["controlPlane"] =
            json!({"localAPIEndpoint": {"advertiseAddress": node.ip().to_string(), "bindPort": 6443}});
    }
    join
}

/// The API server's structured authentication config (apiserver.config.k8s.io; v1 from 1.34).
fn authentication_config(lab: &LabReader) -> Value {
    let oidc = lab.auth().and_then(|a| a.oidc.as_ref()).expect("only rendered with OIDC");
    let version = if lab.cluster().kubernetes.minor >= 34 { "v1" } else { "v1beta1" };
    json!({
        "apiVersion": format!("apiserver.config.k8s.io/{version}"),
        "kind": "AuthenticationConfiguration",
        "jwt": [{
            "issuer": {"url": oidc.issuer.value, "audiences": [oidc.client_id]},
            "claimMappings": {
                "username": {"claim": oidc.username_claim, "prefix": oidc.username_prefix},
                "groups": {"claim": oidc.groups_claim, "prefix": oidc.groups_prefix},
            },
        }],
    })
}
