//! Rules on what a lab changes about hlc's choices: `release` names a release the lab deploys and
//! its values file contradicts no value hlc derives from the lab (nor sets a credential in plain
//! text); user layers wait for layers that exist, in no cycle, under names of their own; a package
//! mirror serves a repository the nodes use. The release and layer rules compare with the add-ons
//! the renderers describe, so they run only on a lab every other rule accepted
//! (`after_other_checks`).

use std::collections::BTreeMap;

use crate::codes::Code;
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{Lab, PackageRepository, SourceId};
use crate::plan::reads::LabReader;
use crate::render::charts::conflicts;
use crate::render::components::Component;
use crate::vocabulary::did_you_mean;

/// The rules that need no rendering.
pub fn check(lab: &Lab, out: &mut Vec<Diagnostic>) {
    secrets_in_values(lab, out);
    for mirror in &lab.package_mirrors {
        if mirror.repository.value == PackageRepository::Containerd && !lab.facts.containerd.from_docker {
            out.push(
                Diagnostic::new(
                    Code::UnusedMirror,
                    mirror.repository.span,
                    format!(
                        "Kubernetes {} nodes install containerd from the distribution, not from download.docker.com",
                        lab.cluster.kubernetes.value
                    ),
                    "this mirror is not used",
                )
                .with_help("the containerd mirror matters from Kubernetes 1.36 (containerd 2); point `package-mirror \"os\"` at the distribution's archive instead"),
            );
        }
    }
}

/// The release and layer rules, on a lab the other rules accepted.
pub fn after_other_checks(lab: &Lab) -> Vec<Diagnostic> {
    if lab.releases.is_empty() && lab.gitops.as_ref().is_none_or(|g| g.layers.is_empty()) {
        return Vec::new(); // nothing to compare with the add-ons (describing them is not free)
    }
    let components = crate::render::addons::components(&LabReader::new(lab));
    let mut out = Vec::new();
    releases(lab, &components, &mut out);
    layers(lab, &components, &mut out);
    out
}

fn span_of(lab: &Lab, source: &SourceId) -> Option<Span> {
    lab.sources.iter().find(|(id, _)| id == source).and_then(|(_, span)| *span)
}

fn releases(lab: &Lab, components: &[Component], out: &mut Vec<Diagnostic>) {
    let deployed: Vec<_> = components.iter().filter_map(|c| c.release.as_ref()).collect();
    for settings in &lab.releases {
        let Some(release) = deployed.iter().find(|r| r.name == settings.name.value) else {
            let names: Vec<&str> = deployed.iter().map(|r| r.name).collect();
            let mut help = format!("this lab deploys: {}", names.join(", "));
            if let Some(guess) = did_you_mean(&settings.name.value, names.iter().copied()) {
                help = format!("did you mean `{guess}`? ({help})");
            }
            out.push(
                Diagnostic::new(
                    Code::UnknownRelease,
                    settings.name.span,
                    format!("this lab deploys no Helm release `{}`", settings.name.value),
                    "no such release",
                )
                .with_help(help),
            );
            continue;
        };
        let Some(user) = &settings.values else { continue };
        for conflict in conflicts(&release.hlc_values, &user.values) {
            let mut diagnostic = Diagnostic::new(
                Code::ValuesConflict,
                user.file.span,
                format!(
                    "`{}` sets `{}` of release `{}` to {}, but hlc sets it to {} from `{}`",
                    user.file.value, conflict.path, release.name, conflict.user, conflict.hlc, conflict.source
                ),
                "values file",
            )
            .with_help(format!(
                "change `{}` in homelab.kdl instead, or remove `{}` from the values file (restating hlc's value is allowed)",
                conflict.source, conflict.path
            ));
            if let Some(span) = span_of(lab, &conflict.source) {
                diagnostic = diagnostic.with_label(span, format!("hlc's value comes from `{}`", conflict.source));
            }
            out.push(diagnostic);
        }
    }
}

fn layers(lab: &Lab, components: &[Component], out: &mut Vec<Diagnostic>) {
    let Some(gitops) = &lab.gitops else { return };
    let ours: Vec<&str> = components.iter().map(|c| c.layer).chain(["flux-system"]).collect();
    for layer in gitops.layers.iter().filter(|l| ours.contains(&l.name.value.as_str())) {
        out.push(
            Diagnostic::new(
                Code::LayerClash,
                layer.name.span,
                format!("hlc writes a layer `{}` itself", layer.name.value),
                "name taken",
            )
            .with_help(format!("name the layer something else; hlc's layers in this lab: {}", ours.join(", "))),
        );
    }
    let known: Vec<&str> = ours.iter().copied().chain(gitops.layers.iter().map(|l| l.name.value.as_str())).collect();
    for layer in &gitops.layers {
        let Some(after) = &layer.after else { continue };
        for name in after.value.iter().filter(|n| !known.contains(&n.as_str())) {
            let guess =
                did_you_mean(name, known.iter().copied()).map(|g| format!("did you mean `{g}`? ")).unwrap_or_default();
            out.push(
                Diagnostic::new(
                    Code::UnknownLayer,
                    after.span,
                    format!("no layer `{name}` in the Flux tree"),
                    "waits for it",
                )
                .with_help(format!("{guess}the tree's layers: {}", known.join(", "))),
            );
        }
    }
    cycles(lab, out);
}

/// A cycle among the user's layers (hlc's own layers never wait for the user's).
fn cycles(lab: &Lab, out: &mut Vec<Diagnostic>) {
    let Some(gitops) = &lab.gitops else { return };
    let waits: BTreeMap<&str, Vec<&str>> = gitops
        .layers
        .iter()
        .map(|l| {
            (l.name.value.as_str(), l.after.as_ref().map_or(vec![], |a| a.value.iter().map(String::as_str).collect()))
        })
        .collect();
    for layer in &gitops.layers {
        let start = layer.name.value.as_str();
        let mut stack: Vec<&str> = waits.get(start).cloned().unwrap_or_default();
        let mut seen: Vec<&str> = Vec::new();
        while let Some(next) = stack.pop() {
            if next == start {
                out.push(
                    Diagnostic::new(
                        Code::LayerCycle,
                        layer.name.span,
                        format!("layer `{start}` waits for itself"),
                        "in a cycle",
                    )
                    .with_help("Flux would wait forever: remove one of the `after=` names that close the cycle"),
                );
                break;
            }
            if !seen.contains(&next) {
                seen.push(next);
                stack.extend(waits.get(next).cloned().unwrap_or_default());
            }
        }
    }
}

/// Key names whose string value is a credential (matched at the end of the lower-cased key).
const CREDENTIAL_KEYS: [&str; 8] =
    ["password", "passwd", "token", "apikey", "api_key", "clientsecret", "client_secret", "privatekey"];

/// A values file's credentials would be public: values land in `cluster/helm-values/` and the
/// HelmRelease, both committed.
fn secrets_in_values(lab: &Lab, out: &mut Vec<Diagnostic>) {
    for settings in &lab.releases {
        let Some(user) = &settings.values else { continue };
        let mut found = Vec::new();
        credentials(&user.values, "", &mut found);
        for path in found {
            out.push(
                Diagnostic::new(
                    Code::SecretValue,
                    user.file.span,
                    format!("`{}` sets `{path}`, which looks like a credential, in plain text", user.file.value),
                    "values file",
                )
                .with_help("values are public files of the tree (and of Git): point the chart at a Secret instead (most charts take `existingSecret`), and put that Secret, SOPS-encrypted, in a layer"),
            );
        }
    }
}

fn credentials(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    let Some(map) = value.as_object() else { return };
    for (key, value) in map {
        let path = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
        let lower = key.to_lowercase();
        let secret_key = CREDENTIAL_KEYS.iter().any(|k| lower.ends_with(k));
        if secret_key && value.as_str().is_some_and(|v| !v.is_empty()) {
            found.push(path.clone());
        }
        credentials(value, &path, found);
    }
}
