//! Lowers what a lab changes about hlc's own choices: `release` (a chart version, a values file
//! read beside the document, as Helm reads it) and `package-mirror`. (The user's Flux layers:
//! `layers`.) A file that cannot be read, or does not hold what it must, is a diagnostic on the
//! entry that names it.

use kdl::KdlNode;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::read::{arg, choice, prop_text, text};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{PackageMirror, PackageRepository, ReleaseSettings, Spanned, UserValues};
use crate::source::Source;

/// `release NAME version= values=`; the values file must hold a YAML mapping.
pub fn lower_release(node: &KdlNode, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Option<ReleaseSettings> {
    let name = text(arg(node, 0)?)?;
    let values = prop_text(node, "values").and_then(|file| {
        let values = read_values(&file, source).map_err(|problem| {
            diagnostics.push(
                Diagnostic::new(
                    Code::InputFile,
                    file.span,
                    format!("values file of release `{}`: {problem}", name.value),
                    "named here",
                )
                .with_help("a values file is a YAML mapping, in a path relative to homelab.kdl"),
            )
        });
        Some(UserValues { values: values.ok()?, file })
    });
    Some(ReleaseSettings { name, version: prop_text(node, "version"), values })
}

/// The values file's content as JSON values (Helm's values are JSON-compatible), read as Helm
/// reads it: merge keys (`<<: *base`) applied, and no plain scalar whose YAML 1.1 meaning (Helm's)
/// differs from its YAML 1.2 one (hlc's reader's).
fn read_values(file: &Spanned<String>, source: &Source) -> Result<serde_json::Value, String> {
    let bytes = source.read_beside(&file.value)?;
    let text = String::from_utf8(bytes).map_err(|_| "not UTF-8 text".to_string())?;
    let mut yaml: serde_yaml::Value = serde_yaml::from_str(&text).map_err(|error| format!("not YAML: {error}"))?;
    if let Some(problem) = yaml_1_1_ambiguity(&text) {
        return Err(problem);
    }
    yaml.apply_merge().map_err(|error| format!("merge key: {error}"))?;
    let values = serde_json::to_value(&yaml).map_err(|error| format!("not JSON-compatible values: {error}"))?;
    match values {
        serde_json::Value::Object(_) => Ok(values),
        serde_json::Value::Null => Ok(serde_json::json!({})),
        _ => Err("not a YAML mapping of values".to_string()),
    }
}

/// The first plain scalar that Helm (YAML 1.1: `sigs.k8s.io/yaml`) reads as another type than a
/// YAML 1.2 reader does: `on`/`off`/`yes`/`no`/`y`/`n` (booleans), `0644` (octal), `1:30`
/// (base 60).
fn yaml_1_1_ambiguity(text: &str) -> Option<String> {
    struct Finder(Option<String>);
    impl MarkedEventReceiver for Finder {
        fn on_event(&mut self, event: Event, mark: Marker) {
            let Event::Scalar(value, TScalarStyle::Plain, ..) = event else { return };
            let meaning = match value.as_str() {
                "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some("the boolean true"),
                "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some("the boolean false"),
                v if v.len() > 1 && v.starts_with('0') && v.bytes().all(|b| (b'0'..=b'7').contains(&b)) => {
                    Some("an octal number")
                }
                v if v.contains(':')
                    && v.split(':').all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())) =>
                {
                    Some("a base-60 number")
                }
                _ => None,
            };
            if let (None, Some(meaning)) = (&self.0, meaning) {
                self.0 = Some(format!(
                    "line {}: Helm reads `{value}` as {meaning} (YAML 1.1): write what you mean (`true`, `false`, a decimal number) or quote it",
                    mark.line()
                ));
            }
        }
    }
    let mut finder = Finder(None);
    Parser::new_from_str(text).load(&mut finder, true).ok()?;
    finder.0
}

/// `package-mirror REPOSITORY url= key=`.
pub fn lower_package_mirror(node: &KdlNode) -> Option<PackageMirror> {
    let repository = choice(
        arg(node, 0)?,
        &[
            ("os", PackageRepository::Os),
            ("kubernetes", PackageRepository::Kubernetes),
            ("containerd", PackageRepository::Containerd),
        ],
    )?;
    let url = prop_text(node, "url")?;
    let url = Spanned::new(url.value.trim_end_matches('/').to_string(), url.span);
    Some(PackageMirror { repository, url, key: prop_text(node, "key").map(|k| k.value) })
}
