//! Lowers what a lab changes about hlc's own choices: `release` (a chart version, a values file
//! read beside the document), `package-mirror`, and the Flux layers of the user's manifests
//! (`gitops { layer … }`, their directories read beside the document). Files that cannot be read,
//! or do not hold what they must, are diagnostics on the entry that names them.

use kdl::KdlNode;
use serde::Deserialize as _;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::read::{arg, children, choice, prop_text, text};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{PackageMirror, PackageRepository, ReleaseSettings, Spanned, UserLayer, UserValues};
use crate::source::{FileBeside, Source};

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

/// The `layer` children of `gitops`, each with its directory's files.
pub fn lower_layers(gitops: &KdlNode, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Vec<UserLayer> {
    children(gitops, "layer").filter_map(|node| lower_layer(node, source, diagnostics)).collect()
}

fn lower_layer(node: &KdlNode, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Option<UserLayer> {
    let name = text(arg(node, 0)?)?;
    let directory = prop_text(node, "directory").unwrap_or_else(|| name.clone());
    let after = prop_text(node, "after")
        .map(|after| Spanned::new(after.value.split_whitespace().map(str::to_string).collect(), after.span));
    let files = match source.files_beside(&directory.value) {
        Ok(files) => files,
        Err(problem) => {
            diagnostics.push(
                Diagnostic::new(
                    Code::InputFile,
                    directory.span,
                    format!("layer `{}`: {problem}", name.value),
                    "named here",
                )
                .with_help("a layer is a directory of Kubernetes manifests beside homelab.kdl"),
            );
            return None;
        }
    };
    for (code, problem) in files.iter().filter_map(manifest_problem) {
        let help = match code {
            Code::PlainSecret => "a Secret in Git is readable by everyone who can read the repository: encrypt it with SOPS (Flux decrypts it; see the README) or keep it out of Git (External Secrets, Sealed Secrets)",
            _ => "every .yaml/.yml file of a layer holds Kubernetes objects (apiVersion, kind) or is a kustomization.yaml",
        };
        diagnostics.push(
            Diagnostic::new(code, directory.span, format!("layer `{}`: {problem}", name.value), "in this directory")
                .with_help(help),
        );
    }
    if files.iter().all(|f| !is_yaml(&f.path)) {
        diagnostics.push(
            Diagnostic::new(
                Code::InputFile,
                directory.span,
                format!("layer `{}`: no .yaml file in `{}`", name.value, directory.value),
                "named here",
            )
            .with_help("Flux applies the .yaml files of a layer's directory; an empty layer is a mistake"),
        );
    }
    let sops = files.iter().any(|f| is_yaml(&f.path) && documents(f).iter().any(|d| d.get("sops").is_some()));
    Some(UserLayer { name, directory, after, files, sops })
}

/// A file's YAML documents (none when it is not YAML).
fn documents(file: &FileBeside) -> Vec<serde_yaml::Value> {
    let Ok(text) = std::str::from_utf8(&file.bytes) else { return vec![] };
    serde_yaml::Deserializer::from_str(text).map_while(|d| serde_yaml::Value::deserialize(d).ok()).collect()
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// Why a layer's file is not a manifest file Flux can apply (or must not be in Git), if so.
fn manifest_problem(file: &FileBeside) -> Option<(Code, String)> {
    let secret = |problem: String| Some((Code::PlainSecret, format!("`{}` {problem}", file.path)));
    if file.bytes.windows(16).any(|w| w == b"PRIVATE KEY-----") {
        return secret("holds a private key".into());
    }
    if !is_yaml(&file.path) {
        return None;
    }
    let invalid = |problem: String| Some((Code::InputFile, problem));
    let Ok(text) = std::str::from_utf8(&file.bytes) else {
        return invalid(format!("`{}` is not UTF-8 text", file.path));
    };
    let kustomization = file.path.rsplit('/').next() == Some("kustomization.yaml");
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = match serde_yaml::Value::deserialize(document) {
            Ok(value) => value,
            Err(error) => return invalid(format!("`{}` is not YAML: {error}", file.path)),
        };
        let is_object =
            |v: &serde_yaml::Value| ["apiVersion", "kind"].iter().all(|k| v.get(k).is_some_and(|x| x.is_string()));
        if !value.is_null() && !kustomization && !is_object(&value) {
            return invalid(format!("`{}` document {} has no `apiVersion` and `kind`", file.path, index + 1));
        }
        let kind = value.get("kind").and_then(|k| k.as_str());
        if kind == Some("Secret") && value.get("sops").is_none() {
            return secret(format!("document {} is a Secret in plain text", index + 1));
        }
        if kind == Some("Config") && value.get("users").is_some() {
            return secret(format!("document {} is a kubeconfig (its credentials would be in Git)", index + 1));
        }
    }
    None
}
