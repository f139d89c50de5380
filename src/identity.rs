//! The cluster's identity: SHA-256 fingerprints of its three CA certificates, recorded in
//! `hlc.lock`. A build or diff whose state directory is missing, empty or holds other CAs than
//! the tree it would replace stops before anything is written (`hlc::state::identity`), unless
//! `--new-pki` says to start a new cluster: a silently re-minted CA would split the cluster.

use std::path::Path;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::write::lock::Lock;

/// The certificates that are the cluster's identity: (name, path in the tree and in the state).
pub const CAS: [(&str, &str); 3] =
    [("kubernetes CA", "pki/ca.crt"), ("etcd CA", "pki/etcd/ca.crt"), ("front-proxy CA", "pki/front-proxy-ca.crt")];

pub use crate::write::lock::CaFingerprint;

/// `AB:CD:…` over the DER of the first certificate in `pem`, as `openssl x509 -fingerprint
/// -sha256` prints it.
pub fn fingerprint(pem: &[u8]) -> Option<String> {
    use base64::Engine;
    let text = std::str::from_utf8(pem).ok()?;
    let body = text.split("-----BEGIN CERTIFICATE-----").nth(1)?.split("-----END CERTIFICATE-----").next()?;
    let der = base64::engine::general_purpose::STANDARD.decode(body.split_whitespace().collect::<String>()).ok()?;
    let digest = ring::digest::digest(&ring::digest::SHA256, &der);
    Some(digest.as_ref().iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":"))
}

/// The fingerprints of the CAs in a finished tree (`path → bytes`).
pub fn of_files<'a>(file: impl Fn(&str) -> Option<&'a [u8]>) -> Vec<CaFingerprint> {
    CAS.iter()
        .filter_map(|(name, path)| {
            let sha256 = fingerprint(file(path)?)?;
            Some(CaFingerprint { name: name.to_string(), path: path.to_string(), sha256 })
        })
        .collect()
}

/// What the state directory at `state` holds in place of each CA the previous build recorded.
/// One diagnostic (pointing at `cluster`) per CA that is missing or different.
pub fn check(old: Option<&Lock>, state: &Path, cluster: Span) -> Vec<Diagnostic> {
    let Some(old) = old else { return Vec::new() };
    let mut diagnostics = Vec::new();
    for expected in &old.identity {
        let found = std::fs::read(state.join(&expected.path)).ok().and_then(|pem| fingerprint(&pem));
        if found.as_deref() == Some(expected.sha256.as_str()) {
            continue;
        }
        let found_text = match &found {
            Some(other) => format!("another CA (SHA-256 {other})"),
            None => "no CA".to_string(),
        };
        diagnostics.push(
            Diagnostic::new(
                Code::StateIdentity,
                cluster,
                format!(
                    "the state directory {} holds {found_text} where this cluster's {} is (SHA-256 {})",
                    state.display(),
                    expected.name,
                    expected.sha256
                ),
                "this cluster's identity",
            )
            .with_help(format!(
                "building now would mint a new PKI and split the cluster; nothing was written. Restore the state \
                 directory (copy your backup of it back to {}, or pass --state DIR), or pass --new-pki to start a \
                 new cluster on purpose",
                state.display()
            )),
        );
    }
    diagnostics
}
