//! Lowers the user's Flux layers (`gitops { layer NAME directory= after= }`): each directory's
//! files, read beside the document, checked as Flux will read them. Where a directory (or one
//! above it in the layer) has a kustomization file, kustomize decides what its files are (patches,
//! generator inputs); the kustomization may not refer outside the layer. Everywhere else, Flux
//! applies every YAML file, so each must hold Kubernetes objects. Nothing that would put a
//! credential into Git passes: a plain-text Secret, a kubeconfig, a private key.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use kdl::KdlNode;
use serde::Deserialize as _;

use super::read::{arg, children, prop_text, text};
use crate::codes::Code;
use crate::diagnostic::Diagnostic;
use crate::model::{Spanned, UserLayer};
use crate::source::{FileBeside, Source};

/// The file names kustomize (and so Flux) takes as a directory's kustomization.
const KUSTOMIZATION_FILES: [&str; 3] = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// The `layer` children of `gitops`, each with its directory's files.
pub fn lower_layers(gitops: &KdlNode, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Vec<UserLayer> {
    children(gitops, "layer").filter_map(|node| lower_layer(node, source, diagnostics)).collect()
}

fn lower_layer(node: &KdlNode, source: &Source, diagnostics: &mut Vec<Diagnostic>) -> Option<UserLayer> {
    let name = text(arg(node, 0)?)?;
    let directory = prop_text(node, "directory").unwrap_or_else(|| name.clone());
    let after = prop_text(node, "after")
        .map(|after| Spanned::new(after.value.split_whitespace().map(str::to_string).collect(), after.span));
    let report = |code: Code, problem: String, diagnostics: &mut Vec<Diagnostic>| {
        let help = match code {
            Code::PlainSecret => "a credential in Git is readable by everyone who can read the repository: encrypt Secrets with SOPS (Flux decrypts them; see the README) or keep them out of Git (External Secrets, Sealed Secrets)",
            _ => "a layer is a directory of Kubernetes manifests (or a kustomization and what it names) beside homelab.kdl",
        };
        let message = format!("layer `{}`: {problem}", name.value);
        diagnostics.push(Diagnostic::new(code, directory.span, message, "this directory").with_help(help));
    };
    let files = match source.files_beside(&directory.value) {
        Ok(files) => files,
        Err(problem) => {
            report(Code::InputFile, problem, diagnostics);
            return None;
        }
    };
    for (code, problem) in problems(&files) {
        report(code, problem, diagnostics);
    }
    let sops = files.iter().any(|f| is_yaml(&f.path) && documents(f).iter().any(|d| d.get("sops").is_some()));
    Some(UserLayer { name, directory, after, files, sops })
}

/// Everything wrong with a layer's files.
fn problems(files: &[FileBeside]) -> Vec<(Code, String)> {
    let mut found = Vec::new();
    let kustomized = kustomization_directories(files, &mut found);
    for file in files {
        let under_kustomization = ancestors(&file.path).any(|dir| kustomized.contains(dir));
        found.extend(file_problem(file, under_kustomization));
        if KUSTOMIZATION_FILES.contains(&file_name(&file.path)) {
            found.extend(references_outside(file));
        }
    }
    if files.iter().all(|f| !is_yaml(&f.path) && !KUSTOMIZATION_FILES.contains(&file_name(&f.path))) {
        found.push((Code::InputFile, "no .yaml file: Flux would apply nothing".to_string()));
    }
    found
}

/// The directories (relative to the layer, `""` for its top) that hold a kustomization file; a
/// directory with two is a problem (kustomize refuses it).
fn kustomization_directories<'a>(files: &'a [FileBeside], found: &mut Vec<(Code, String)>) -> BTreeSet<&'a str> {
    let mut directories = BTreeSet::new();
    for file in files.iter().filter(|f| KUSTOMIZATION_FILES.contains(&file_name(&f.path))) {
        let directory = parent(&file.path);
        if !directories.insert(directory) {
            found.push((
                Code::InputFile,
                format!("`{}` holds more than one kustomization file", display_dir(directory)),
            ));
        }
    }
    directories
}

/// `a/b/c.yaml` → `a/b`, `a`, `""`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    let mut current = Some(parent(path));
    std::iter::from_fn(move || {
        let directory = current?;
        current = (!directory.is_empty()).then(|| parent(directory));
        Some(directory)
    })
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn display_dir(directory: &str) -> &str {
    if directory.is_empty() {
        "the layer's directory"
    } else {
        directory
    }
}

fn is_yaml(path: &str) -> bool {
    path.ends_with(".yaml") || path.ends_with(".yml")
}

/// A file's YAML documents, or why it has none.
fn parse(file: &FileBeside) -> Result<Vec<serde_yaml::Value>, String> {
    let text = std::str::from_utf8(&file.bytes).map_err(|_| format!("`{}` is not UTF-8 text", file.path))?;
    serde_yaml::Deserializer::from_str(text)
        .map(serde_yaml::Value::deserialize)
        .collect::<Result<_, _>>()
        .map_err(|error| format!("`{}` is not YAML: {error}", file.path))
}

/// A file's YAML documents (none when it is not YAML).
fn documents(file: &FileBeside) -> Vec<serde_yaml::Value> {
    parse(file).unwrap_or_default()
}

/// Why a file must not be in the layer, or is not one Flux can apply, if so. Files under a
/// kustomization need not be objects (kustomize reads them as it is told).
fn file_problem(file: &FileBeside, under_kustomization: bool) -> Option<(Code, String)> {
    let secret = |problem: String| Some((Code::PlainSecret, format!("`{}` {problem}", file.path)));
    if file.bytes.windows(16).any(|w| w == b"PRIVATE KEY-----") {
        return secret("holds a private key".into());
    }
    if !is_yaml(&file.path) {
        return None;
    }
    let invalid = |problem: String| Some((Code::InputFile, problem));
    let documents = match parse(file) {
        Ok(documents) => documents,
        Err(problem) => return invalid(problem),
    };
    for (index, value) in documents.iter().enumerate() {
        let kind = value.get("kind").and_then(|k| k.as_str());
        if kind == Some("Secret") && value.get("sops").is_none() {
            return secret(format!("document {} is a Secret in plain text", index + 1));
        }
        if kind == Some("Config") && value.get("users").is_some() {
            return secret(format!("document {} is a kubeconfig (its credentials would be in Git)", index + 1));
        }
        let is_object = ["apiVersion", "kind"].iter().all(|k| value.get(k).is_some_and(|x| x.is_string()));
        if !value.is_null() && !under_kustomization && !is_object {
            return invalid(format!(
                "`{}` document {} has no `apiVersion` and `kind` (and no kustomization names it)",
                file.path,
                index + 1
            ));
        }
    }
    None
}

/// A kustomization's local `resources`/`components` that leave the layer (Flux has only the
/// layer's directory in the tree hlc writes there).
fn references_outside(file: &FileBeside) -> Vec<(Code, String)> {
    let mut found = Vec::new();
    for document in documents(file) {
        for key in ["resources", "components"] {
            let entries = document.get(key).and_then(|v| v.as_sequence()).cloned().unwrap_or_default();
            for entry in entries.iter().filter_map(|e| e.as_str()) {
                if entry.contains("://") || entry.starts_with("github.com/") {
                    continue; // a remote base: kustomize fetches it
                }
                if leaves(parent(&file.path), entry) {
                    found.push((Code::InputFile, format!("`{}` names `{entry}`, outside the layer", file.path)));
                }
            }
        }
    }
    found
}

/// Whether `entry`, relative to `directory` (inside the layer), leads out of the layer.
fn leaves(directory: &str, entry: &str) -> bool {
    let mut depth: PathBuf = PathBuf::from(directory);
    for component in Path::new(entry).components() {
        match component {
            Component::Normal(part) => depth.push(part),
            Component::ParentDir => {
                if !depth.pop() {
                    return true;
                }
            }
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => return true,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, text: &str) -> FileBeside {
        FileBeside { path: path.into(), bytes: text.as_bytes().to_vec() }
    }

    const OBJECT: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n";

    #[test]
    fn files_under_a_kustomization_need_not_be_objects() {
        let patch = "- op: replace\n  path: /spec/replicas\n  value: 2\n";
        let kustomization = "resources: [app.yaml]\npatches: [{path: patch.yaml}]\n";
        let layer = [file("app.yaml", OBJECT), file("kustomization.yml", kustomization), file("patch.yaml", patch)];
        assert_eq!(problems(&layer), vec![]);
        // Without the kustomization, Flux would apply the patch file as an object.
        let problems = problems(&[file("app.yaml", OBJECT), file("patch.yaml", patch)]);
        assert!(problems[0].1.contains("no `apiVersion` and `kind`"), "{problems:?}");
    }

    #[test]
    fn a_kustomization_may_not_leave_the_layer_or_come_twice() {
        let outside = problems(&[
            file("base/kustomization.yaml", "resources: [../../shared, ../app.yaml]\n"),
            file("app.yaml", OBJECT),
        ]);
        assert_eq!(outside.len(), 1, "{outside:?}");
        assert!(outside[0].1.contains("`../../shared`, outside the layer"));
        let remote = problems(&[file("kustomization.yaml", "resources: [https://github.com/x/y//deploy?ref=v1]\n")]);
        assert_eq!(remote, vec![]);
        let twice =
            problems(&[file("kustomization.yaml", "resources: []\n"), file("Kustomization", "resources: []\n")]);
        assert!(twice[0].1.contains("more than one kustomization file"), "{twice:?}");
    }

    #[test]
    fn ancestors_run_up_to_the_layer() {
        assert_eq!(ancestors("a/b/c.yaml").collect::<Vec<_>>(), ["a/b", "a", ""]);
        assert_eq!(ancestors("c.yaml").collect::<Vec<_>>(), [""]);
    }
}
