//! Readable changes of certificates, keys and kubeconfigs for `hlc diff`: a certificate shows as
//! its decoded summary (subject, SANs, issuer, validity, key type, fingerprint; old → new), a
//! kubeconfig as its server, user and CA fingerprint, a key or token only as "changed". Never a
//! private byte, and no base64 noise in a pull request.

use std::fmt::Write as _;

use x509_parser::extensions::GeneralName;

/// The fields of a certificate a reviewer reads, in order.
pub fn certificate_fields(pem: &[u8]) -> Option<Vec<(&'static str, String)>> {
    let (_, pem_block) = x509_parser::pem::parse_x509_pem(pem).ok()?;
    let certificate = pem_block.parse_x509().ok()?;
    let mut names: Vec<String> = Vec::new();
    if let Ok(Some(extension)) = certificate.subject_alternative_name() {
        for name in &extension.value.general_names {
            names.push(match name {
                GeneralName::DNSName(dns) => format!("DNS:{dns}"),
                GeneralName::IPAddress(bytes) if bytes.len() == 4 => {
                    format!("IP:{}", std::net::Ipv4Addr::new(bytes[0], bytes[1], bytes[2], bytes[3]))
                }
                other => format!("{other:?}"),
            });
        }
    }
    let algorithm = certificate.public_key().algorithm.algorithm.to_id_string();
    let key = match algorithm.as_str() {
        "1.2.840.10045.2.1" => "ECDSA".to_string(),
        "1.2.840.113549.1.1.1" => format!("RSA-{}", certificate.public_key().parsed().map_or(0, |k| k.key_size())),
        other => other.to_string(),
    };
    let validity = certificate.validity();
    Some(vec![
        ("subject", certificate.subject().to_string()),
        ("SANs", if names.is_empty() { "none".into() } else { names.join(", ") }),
        ("issuer", certificate.issuer().to_string()),
        ("valid", format!("{} to {}", validity.not_before, validity.not_after)),
        ("key", key),
        ("SHA-256", crate::identity::fingerprint(pem).unwrap_or_default()),
    ])
}

/// `certificate PATH:` and one `  field: old -> new` line per changed field (all fields when
/// the certificate is new). `None` when `new` is not a certificate.
pub fn certificate_change(path: &str, old: Option<&[u8]>, new: &[u8]) -> Option<String> {
    let new_fields = certificate_fields(new)?;
    let old_fields = old.and_then(certificate_fields);
    let mut text = format!("certificate {path}{}:\n", if old_fields.is_none() { " (new)" } else { "" });
    for (index, (field, value)) in new_fields.iter().enumerate() {
        match old_fields.as_ref().map(|o| &o[index].1) {
            Some(before) if before == value => {}
            Some(before) => writeln!(text, "  {field}: {before} -> {value}").unwrap(),
            None => writeln!(text, "  {field}: {value}").unwrap(),
        }
    }
    Some(text)
}

/// The reviewable facts of a kubeconfig: server, user certificate subject, CA fingerprint.
fn kubeconfig_fields(text: &[u8]) -> Option<Vec<(&'static str, String)>> {
    use base64::Engine;
    let config: serde_yaml::Value = serde_yaml::from_slice(text).ok()?;
    let decode = |value: &serde_yaml::Value| -> Option<Vec<u8>> {
        base64::engine::general_purpose::STANDARD.decode(value.as_str()?).ok()
    };
    let cluster = &config["clusters"][0]["cluster"];
    let user = &config["users"][0]["user"];
    let ca = decode(&cluster["certificate-authority-data"]).and_then(|pem| crate::identity::fingerprint(&pem));
    let subject = decode(&user["client-certificate-data"])
        .and_then(|pem| certificate_fields(&pem))
        .map(|fields| format!("{} (SHA-256 {})", fields[0].1, fields[5].1));
    Some(vec![
        ("server", cluster["server"].as_str().unwrap_or("?").to_string()),
        ("user", subject.unwrap_or_else(|| "exec or token user".into())),
        ("CA SHA-256", ca.unwrap_or_else(|| "?".into())),
    ])
}

/// `secret changed: PATH` with, for a kubeconfig, what changed in it (never key bytes).
pub fn secret_change(path: &str, old: Option<&[u8]>, new: &[u8]) -> String {
    let Some(old) = old else { return format!("secret added: {path}\n") };
    let mut text = format!("secret changed: {path}\n");
    if let (Some(before), Some(after)) = (kubeconfig_fields(old), kubeconfig_fields(new)) {
        for ((field, was), (_, now)) in before.iter().zip(&after) {
            if was != now {
                writeln!(text, "  {field}: {was} -> {now}").unwrap();
            }
        }
    }
    text
}
