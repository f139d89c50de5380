//! Issues certificates with rcgen, or reuses the ones in the state directory. A stored
//! certificate is reused while its spec digest (subject, SANs, issuer certificate, usages,
//! lifetime, key type) is unchanged and it is outside its renewal window.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use serde::{Deserialize, Serialize};
use time::Duration;

use super::keys;
use super::spec::{CertSpec, Usage};
use crate::clock::Clock;
use crate::model::KeyType;
use crate::state::StateDir;

/// A certificate and its private key, PEM-encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credential {
    pub cert_pem: String,
    pub key_pem: String,
    /// blake3 of the certificate PEM: what depends on this certificate's identity.
    pub cert_digest: String,
}

/// What the state keeps beside each certificate to decide on reuse.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
struct Meta {
    spec_digest: String,
    not_after: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("state directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("{name}: {message}")]
    Crypto { name: String, message: String },
}

/// The stored credential for `spec` if still valid, else a newly issued and stored one.
pub fn obtain(
    spec: &CertSpec,
    issuer: Option<(&CertSpec, &Credential)>,
    key_type: KeyType,
    state: &StateDir,
    clock: &Clock,
) -> Result<Credential, IssueError> {
    let digest = spec_digest(spec, issuer.map(|(_, c)| c.cert_digest.as_str()), key_type);
    if let Some(credential) = reusable(spec, &digest, state, clock)? {
        return Ok(credential);
    }
    let crypto = |message: String| IssueError::Crypto { name: spec.name.clone(), message };
    let key = keys::generate(key_type).map_err(|e| crypto(e.0))?;
    let mut params = params(spec);
    params.not_before = clock.now - Duration::minutes(5);
    params.not_after = clock.now + Duration::days(i64::from(spec.validity_days));
    let certificate = match issuer {
        None => params.self_signed(&key),
        Some((issuer_spec, issuer_credential)) => {
            let issuer_key = keys::load(&issuer_credential.key_pem, key_type).map_err(|e| crypto(e.0))?;
            params.signed_by(&key, &Issuer::new(self::params(issuer_spec), issuer_key))
        }
    }
    .map_err(|e| crypto(e.to_string()))?;
    let credential = Credential::new(certificate.pem(), key.serialize_pem());
    state.write(&format!("{}.crt", spec.name), &credential.cert_pem)?;
    state.write(&format!("{}.key", spec.name), &credential.key_pem)?;
    let meta = Meta { spec_digest: digest, not_after: params.not_after.unix_timestamp() };
    state.write(&format!("{}.meta", spec.name), &toml::to_string(&meta).expect("meta serializes"))?;
    Ok(credential)
}

impl Credential {
    pub fn new(cert_pem: String, key_pem: String) -> Credential {
        let cert_digest = blake3::hash(cert_pem.as_bytes()).to_hex().to_string();
        Credential { cert_pem, key_pem, cert_digest }
    }
}

fn reusable(spec: &CertSpec, digest: &str, state: &StateDir, clock: &Clock) -> Result<Option<Credential>, IssueError> {
    let Some(meta) = state.read(&format!("{}.meta", spec.name))? else { return Ok(None) };
    let Ok(meta) = toml::from_str::<Meta>(&meta) else { return Ok(None) };
    // A spec without a renewal window (a CA) is never re-issued on a clock, not even expired: a
    // new CA is a new cluster (`hlc::lifecycle::expiring` says so a year ahead).
    let renew_at = meta.not_after - i64::from(spec.renew_days) * 86_400;
    let due = spec.renew_days > 0 && clock.now.unix_timestamp() >= renew_at;
    if meta.spec_digest != digest || due {
        return Ok(None);
    }
    let cert = state.read(&format!("{}.crt", spec.name))?;
    let key = state.read(&format!("{}.key", spec.name))?;
    Ok(cert.zip(key).map(|(cert, key)| Credential::new(cert, key)))
}

/// The digest that decides reuse: the spec, the issuer's certificate and the key type.
fn spec_digest(spec: &CertSpec, issuer_cert_digest: Option<&str>, key_type: KeyType) -> String {
    let text = serde_json::to_string(&(spec, issuer_cert_digest, format!("{key_type:?}"))).expect("specs serialize");
    blake3::hash(text.as_bytes()).to_hex().to_string()
}

/// rcgen parameters for a spec (validity is set by the caller).
fn params(spec: &CertSpec) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    if let Some(organization) = &spec.organization {
        name.push(DnType::OrganizationName, organization.as_str());
    }
    name.push(DnType::CommonName, spec.common_name.as_str());
    params.distinguished_name = name;
    params.subject_alt_names = spec
        .dns_names
        .iter()
        .filter_map(|d| d.as_str().try_into().ok().map(SanType::DnsName))
        .chain(spec.ips.iter().map(|ip| SanType::IpAddress(*ip)))
        .collect();
    params.use_authority_key_identifier_extension = spec.usage != Usage::Ca;
    match spec.usage {
        Usage::Ca => {
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params.key_usages =
                vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment, KeyUsagePurpose::KeyCertSign];
        }
        usage => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
            params.extended_key_usages = match usage {
                Usage::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
                Usage::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
                _ => vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth],
            };
        }
    }
    params
}

/// A key pair that is not a certificate (the service-account signing key): made once, kept.
pub fn obtain_key(name: &str, key_type: KeyType, state: &StateDir) -> Result<KeyPair, IssueError> {
    let crypto = |message: String| IssueError::Crypto { name: name.to_string(), message };
    if let Some(pem) = state.read(name)? {
        if let Ok(key) = keys::load(&pem, key_type) {
            return Ok(key);
        }
    }
    let key = keys::generate(key_type).map_err(|e| crypto(e.0))?;
    state.write(name, &key.serialize_pem())?;
    Ok(key)
}
