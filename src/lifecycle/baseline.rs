//! The applied baseline recorded in `hlc.lock`: per node what its seed was built from, and per
//! certificate shipped in the tree when it expires. A later build compares against it.

use serde::{Deserialize, Serialize};

use crate::model::{Lab, Node};
use crate::write::lock::Lock;
use crate::write::Tree;

/// What a node's seed was built from (`[[node]]` in `hlc.lock`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    pub name: String,
    /// `control-plane`, `worker` or `storage`.
    pub role: String,
    /// Whether it is the first control plane (the one that runs `kubeadm init`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init: bool,
    /// The Kubernetes version it runs, with the pinned patch, e.g. `1.37.2`.
    pub kubernetes: String,
    /// Its node IP (the kubelet's node IP and, on control planes, etcd's peer URL).
    pub ip: String,
    /// blake3 of its `user-data`: the seed, whose change makes cloud-init run it again.
    pub seed: String,
}

/// A certificate the tree ships (`[[certificate]]` in `hlc.lock`), by the first path holding it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateRecord {
    pub path: String,
    pub subject: String,
    /// Expiry as Unix seconds, and as a date for the reader.
    pub not_after: i64,
    pub expires: String,
    /// Whether it is a certificate authority.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ca: bool,
}

/// The user-data path of a node, relative to the output directory.
pub fn seed_path(node: &str) -> String {
    format!("nodes/{node}/nocloud/user-data")
}

/// One record per node of `lab`, with seed digests from `lock`.
pub fn node_records(lab: &Lab, lock: &Lock) -> Vec<NodeRecord> {
    let init = lab.control_planes().next().map(|n| n.name.value.as_str());
    lab.nodes
        .iter()
        .map(|node: &Node| NodeRecord {
            name: node.name.value.clone(),
            role: node.role.keyword().to_string(),
            init: Some(node.name.value.as_str()) == init,
            kubernetes: lab.cluster.kubernetes.value.to_string(),
            ip: node.ip().to_string(),
            seed: lock.entry(&seed_path(&node.name.value)).map_or(String::new(), |e| e.blake3.clone()),
        })
        .collect()
}

/// Every distinct certificate in the tree: `*.crt` files and the client certificates embedded in
/// kubeconfigs, recorded once under the first path (sorted) that holds it.
pub fn certificate_records(tree: &Tree) -> Vec<CertificateRecord> {
    let mut seen = std::collections::BTreeSet::new();
    let mut records = Vec::new();
    // The PKI's own paths first, so a CA is recorded as `pki/ca.crt`, not as a node's copy.
    let (pki, rest): (Vec<_>, Vec<_>) = tree.iter().partition(|(path, _)| path.starts_with("pki/"));
    for (path, file) in pki.into_iter().chain(rest) {
        for pem in certificates_in(path, &file.bytes) {
            let Some(record) = record_of(path, &pem) else { continue };
            if seen.insert(*blake3::hash(pem.as_bytes()).as_bytes()) {
                records.push(record);
            }
        }
    }
    records
}

/// The PEM certificates a file holds: a `.crt` file itself, or a kubeconfig's client certificate.
fn certificates_in(path: &str, bytes: &[u8]) -> Vec<String> {
    if path.ends_with(".crt") {
        return String::from_utf8(bytes.to_vec()).into_iter().collect();
    }
    if !path.ends_with(".conf") || path.contains("/media/") {
        return Vec::new();
    }
    let Ok(config) = serde_yaml::from_slice::<serde_yaml::Value>(bytes) else { return Vec::new() };
    let users = config.get("users").and_then(|u| u.as_sequence()).cloned().unwrap_or_default();
    users
        .iter()
        .filter_map(|user| user.get("user")?.get("client-certificate-data")?.as_str().map(str::to_string))
        .filter_map(|data| {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD.decode(data).ok()?;
            String::from_utf8(bytes).ok()
        })
        .collect()
}

fn record_of(path: &str, pem: &str) -> Option<CertificateRecord> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).ok()?;
    let certificate = block.parse_x509().ok()?;
    let not_after = certificate.validity().not_after.timestamp();
    Some(CertificateRecord {
        path: path.to_string(),
        subject: certificate.subject().to_string(),
        not_after,
        expires: date_of(not_after),
        ca: certificate.is_ca(),
    })
}

/// `2027-12-02` for Unix seconds.
pub fn date_of(unix_seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds)
        .map_or_else(|_| unix_seconds.to_string(), |t| t.date().to_string())
}
