//! The Flux tree (`flux/<path>/`): the sync objects `flux bootstrap` would write, a HelmRepository
//! per chart source, one Flux Kustomization per component whose `dependsOn` are the components the
//! graph says it needs, and one directory per component with its namespace, HelmRelease (values
//! inline) and objects; then the user's own layers (`gitops { layer … }`), their files copied as
//! they are, each Kustomization after the layers it names. Commit `out/flux/` at the root of the
//! GitOps repository.

use serde_json::{json, Value};

use super::addons::components;
use super::addons::{component_id, objects, yaml_values};
use super::components::{metadata, Component, Release};
use crate::model::SourceId;
use crate::model::{GitOps, UserLayer};
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

const FLUX_NAMESPACE: &str = "flux-system";

fn kustomization_file(resources: &[&str]) -> Value {
    json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources})
}

fn helm_repository(release: &Release) -> Value {
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": metadata(&release.chart.repository, Some(FLUX_NAMESPACE)),
        "spec": {"url": release.chart.url, "interval": "1h"},
    })
}

/// A HelmRelease with the values inline; its Helm storage is the target namespace, so Flux adopts
/// a release the bootstrap script installed (the CNI).
pub fn helm_release(release: &Release) -> Value {
    json!({
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": metadata(release.name, Some(FLUX_NAMESPACE)),
        "spec": {
            "interval": "30m",
            "releaseName": release.name,
            "targetNamespace": release.namespace,
            "storageNamespace": release.namespace,
            "chart": {"spec": {
                "chart": release.chart.chart,
                "version": release.chart.version,
                "sourceRef": {"kind": "HelmRepository", "name": release.chart.repository, "namespace": FLUX_NAMESPACE},
                "interval": "12h",
            }},
            "install": {"crds": "CreateReplace", "remediation": {"retries": 3}},
            "upgrade": {"crds": "CreateReplace", "remediation": {"retries": 3}},
            "values": release.values,
        },
    })
}

fn layer_kustomization(gitops: &GitOps, layer: &str, depends_on: &[&str]) -> Value {
    let mut spec = json!({
        "interval": "10m",
        "path": format!("./{}/{layer}", gitops.path),
        "prune": true,
        "sourceRef": {"kind": "GitRepository", "name": FLUX_NAMESPACE},
        "wait": true,
        "timeout": "10m",
    });
    if !depends_on.is_empty() {
        spec["dependsOn"] = json!(depends_on.iter().map(|d| json!({"name": d})).collect::<Vec<_>>());
    }
    json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization", "metadata": metadata(layer, Some(FLUX_NAMESPACE)), "spec": spec})
}

/// A user layer's Kustomization: after the layers it names, else after every layer hlc writes.
fn user_layer_kustomization(gitops: &GitOps, layer: &UserLayer, components: &[Component]) -> Value {
    let depends_on: Vec<&str> = match &layer.after {
        Some(after) => after.value.iter().map(String::as_str).collect(),
        None => components.iter().map(|c| c.layer).collect(),
    };
    let mut kustomization = layer_kustomization(gitops, &layer.name.value, &depends_on);
    if layer.sops {
        // Flux's convention: the age key in the `sops-age` Secret of flux-system (README).
        kustomization["spec"]["decryption"] = json!({"provider": "sops", "secretRef": {"name": SOPS_SECRET}});
    }
    kustomization
}

/// The Secret holding the SOPS age key Flux decrypts user layers with.
pub const SOPS_SECRET: &str = "sops-age";

/// Whether the GitRepository authenticates with the `flux-system` Secret: over ssh. A public
/// https repository needs no credentials.
pub fn needs_git_secret(gitops: &GitOps) -> bool {
    gitops.url.value.starts_with("ssh://")
}

/// The sync source; over ssh with the `flux-system` Secret (`flux create secret git`, see
/// bootstrap/install.sh).
fn git_repository_spec(gitops: &GitOps) -> Value {
    let mut spec = json!({"interval": "1m0s", "ref": {"branch": gitops.branch}, "url": gitops.url.value});
    if needs_git_secret(gitops) {
        spec["secretRef"] = json!({"name": FLUX_NAMESPACE});
    }
    spec
}

/// The GitRepository and Kustomization `flux bootstrap` writes to `flux-system/gotk-sync.yaml`.
fn sync_objects(gitops: &GitOps) -> Vec<Value> {
    vec![
        json!({
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": metadata(FLUX_NAMESPACE, Some(FLUX_NAMESPACE)),
            "spec": git_repository_spec(gitops),
        }),
        json!({
            "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
            "kind": "Kustomization",
            "metadata": metadata(FLUX_NAMESPACE, Some(FLUX_NAMESPACE)),
            "spec": {"interval": "10m0s", "path": format!("./{}", gitops.path), "prune": true, "sourceRef": {"kind": "GitRepository", "name": FLUX_NAMESPACE}},
        }),
    ]
}

/// Every file of the tree: (path relative to `flux/<path>/`, graph needs, documents).
fn files(gitops: &GitOps, components: &[Component], user_layers: &[UserLayer]) -> Vec<(String, Vec<Need>, Vec<Value>)> {
    // Files that carry a component's values need its KDL sources (named in their header); files
    // that only list components (sources, layers, each layer's kustomization) need the
    // components' steps alone.
    let needs_of = |component: &Component| [component.sources.clone(), vec![component_id(component.layer)]].concat();
    let all: Vec<Need> = components.iter().map(|c| component_id(c.layer)).collect();
    let mut files = vec![
        ("flux-system/gotk-sync.yaml".to_string(), vec![SourceId::Gitops.into()], sync_objects(gitops)),
        (
            "flux-system/kustomization.yaml".into(),
            vec![SourceId::Gitops.into()],
            vec![kustomization_file(&["gotk-sync.yaml"])],
        ),
        (
            "kustomization.yaml".into(),
            vec![SourceId::Gitops.into()],
            vec![kustomization_file(&["flux-system", "sources.yaml", "layers.yaml"])],
        ),
    ];
    let mut repositories: Vec<Value> = Vec::new();
    for release in components.iter().filter_map(|c| c.release.as_ref()) {
        let repository = helm_repository(release);
        if !repositories.contains(&repository) {
            repositories.push(repository);
        }
    }
    files.push(("sources.yaml".into(), all.clone(), repositories));
    let mut layers: Vec<Value> =
        components.iter().map(|c| layer_kustomization(gitops, c.layer, &c.depends_on)).collect();
    layers.extend(user_layers.iter().map(|layer| user_layer_kustomization(gitops, layer, components)));
    let user_sources = user_layers.iter().map(|l| Need::from(SourceId::Layer(l.name.value.clone())));
    files.push((
        "layers.yaml".into(),
        [all, vec![SourceId::Gitops.into()]].into_iter().flatten().chain(user_sources).collect(),
        layers,
    ));
    for component in components {
        let needs = needs_of(component);
        let mut resources = Vec::new();
        let objects = objects(component);
        if !objects.is_empty() {
            files.push((format!("{}/objects.yaml", component.layer), needs.clone(), objects));
            resources.push("objects.yaml");
        }
        if let Some(release) = &component.release {
            files.push((format!("{}/release.yaml", component.layer), needs.clone(), vec![helm_release(release)]));
            resources.push("release.yaml");
        }
        let listing = vec![component_id(component.layer)];
        files.push((format!("{}/kustomization.yaml", component.layer), listing, vec![kustomization_file(&resources)]));
    }
    files
}

/// The user's layers: each file of the layer's directory, as it is.
fn register_user_layers(gitops: &GitOps, layers: &[UserLayer], plan: &mut PlanBuilder<'static>) {
    for layer in layers {
        for file in &layer.files {
            let path = format!("flux/{}/{}/{}", gitops.path, layer.name.value, file.path);
            let bytes = file.bytes.clone();
            plan.step(Step {
                id: path.clone(),
                output: Some(OutputFile { path, secret: false, executable: false }),
                needs: vec![SourceId::Gitops.into(), SourceId::Layer(layer.name.value.clone()).into()],
                produce: Box::new(move |_, _| Ok(Product::File(bytes.clone()))),
            });
        }
    }
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    let Some(gitops) = lab.gitops() else { return };
    let user_layers = lab.user_layers();
    register_user_layers(gitops, user_layers, plan);
    for (path, mut needs, documents) in files(gitops, &components(lab), user_layers) {
        let path = format!("flux/{}/{path}", gitops.path);
        if !needs.contains(&Need::Source(SourceId::Gitops)) {
            needs.push(SourceId::Gitops.into()); // the directory is `gitops path=`
        }
        let documents = yaml_values(&documents);
        plan.step(Step {
            id: path.clone(),
            output: Some(OutputFile { path, secret: false, executable: false }),
            needs,
            produce: Box::new(move |_, inputs| {
                super::yaml::documents(&inputs.provenance(), &documents).map(Product::File)
            }),
        });
    }
}
