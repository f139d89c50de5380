//! The one place YAML is emitted: a header comment, then `serde_yaml` output of a typed value.
//! (`serde_yaml` is archived; a maintained drop-in such as `serde_norway` swaps in here.)

use serde::Serialize;

/// `# <provenance>` followed by `value` as YAML.
pub fn document(provenance: &str, value: &impl Serialize) -> Result<Vec<u8>, String> {
    let body = serde_yaml::to_string(value).map_err(|e| e.to_string())?;
    Ok(format!("# {provenance}\n{body}").into_bytes())
}

/// A `#cloud-config` document: the marker line cloud-init needs first, then the header comment.
pub fn cloud_config(provenance: &str, value: &impl Serialize) -> Result<Vec<u8>, String> {
    let body = serde_yaml::to_string(value).map_err(|e| e.to_string())?;
    Ok(format!("#cloud-config\n# {provenance}\n{body}").into_bytes())
}

/// Several YAML documents in one file, separated by `---`.
pub fn documents(provenance: &str, values: &[serde_yaml::Value]) -> Result<Vec<u8>, String> {
    let mut out = format!("# {provenance}\n");
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        out.push_str(&serde_yaml::to_string(value).map_err(|e| e.to_string())?);
    }
    Ok(out.into_bytes())
}
