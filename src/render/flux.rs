//! The Flux tree (`flux/<path>/`): the sync objects `flux bootstrap` would write, a HelmRepository
//! per chart source, one Flux Kustomization per component whose `dependsOn` are the components the
//! graph says it needs, and one directory per component with its namespace, HelmRelease (values
//! inline) and objects; then the user's own layers (`gitops { layer … }`), their files copied as
//! they are, each Kustomization after the layers it names. Commit `out/flux/` at the root of the
//! GitOps repository.

use serde_json::{json, Value};

use super::addons::{component_id, components, describe, listing, objects, yaml_values, ListedRelease};
use super::components::{metadata, Component, Release};
use super::outputs::Output;
use crate::model::SourceId;
use crate::model::{GitOps, UserLayer};
use crate::plan::engine::Inputs;
use crate::plan::reads::LabReader;
use crate::plan::{Need, RenderError};
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

const FLUX_NAMESPACE: &str = "flux-system";

fn kustomization_file(resources: &[&str]) -> Value {
    json!({"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization", "resources": resources})
}

fn helm_repository(release: &ListedRelease) -> Value {
    json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "HelmRepository",
        "metadata": metadata(&release.repository, Some(FLUX_NAMESPACE)),
        "spec": {"url": release.url, "interval": "1h"},
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
fn user_layer_kustomization(gitops: &GitOps, layer: &UserLayer, hlc_layers: &[&str]) -> Value {
    let depends_on: Vec<&str> = match &layer.after {
        Some(after) => after.value.iter().map(String::as_str).collect(),
        None => hlc_layers.to_vec(),
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

/// A file of the tree: its path relative to `flux/<path>/`, its needs, and how its documents are
/// made when it runs (through its own reader and its inputs).
type Documents = Box<dyn Fn(&LabReader, &Inputs) -> Result<Vec<Value>, RenderError> + Send + Sync>;

/// The gitops block a registered file reads.
fn gitops_of<'a>(lab: &LabReader<'a>) -> &'a GitOps {
    lab.gitops().expect("the Flux tree is registered with gitops")
}

/// Every file of the tree. Files that carry a component's values or objects need its sources
/// (and describe it again when they run); files that list components (sources, layers, a
/// layer's kustomization, objects that are only a namespace) read the components' listings.
fn files(components: &[Component], user_layers: &[UserLayer]) -> Vec<(String, Vec<Need>, Documents)> {
    let gitops = || Need::from(SourceId::Gitops);
    let layers: Vec<&'static str> = components.iter().map(|c| c.layer).collect();
    let all: Vec<Need> = layers.iter().map(|layer| component_id(layer)).collect();
    let listings =
        move |inputs: &Inputs| layers.iter().map(|layer| listing(inputs, layer)).collect::<Result<Vec<_>, _>>();
    let mut files: Vec<(String, Vec<Need>, Documents)> = vec![
        ("flux-system/gotk-sync.yaml".into(), vec![gitops()], Box::new(|lab, _| Ok(sync_objects(gitops_of(lab))))),
        (
            "flux-system/kustomization.yaml".into(),
            vec![gitops()],
            Box::new(|_, _| Ok(vec![kustomization_file(&["gotk-sync.yaml"])])),
        ),
        (
            "kustomization.yaml".into(),
            vec![gitops()],
            Box::new(|_, _| Ok(vec![kustomization_file(&["flux-system", "sources.yaml", "layers.yaml"])])),
        ),
    ];
    let list = listings.clone();
    files.push((
        "sources.yaml".into(),
        [all.clone(), vec![gitops()]].concat(),
        Box::new(move |_, inputs| {
            let mut repositories: Vec<Value> = Vec::new();
            for release in list(inputs)?.iter().filter_map(|c| c.release.as_ref()) {
                let repository = helm_repository(release);
                if !repositories.contains(&repository) {
                    repositories.push(repository);
                }
            }
            Ok(repositories)
        }),
    ));
    let user_sources = user_layers.iter().map(|l| Need::from(SourceId::Layer(l.name.value.clone())));
    files.push((
        "layers.yaml".into(),
        all.into_iter().chain([gitops()]).chain(user_sources).collect(),
        Box::new(move |lab, inputs| {
            let gitops = gitops_of(lab);
            let listed = listings(inputs)?;
            let mut layers: Vec<Value> = listed
                .iter()
                .map(|c| {
                    layer_kustomization(gitops, &c.layer, &c.depends_on.iter().map(String::as_str).collect::<Vec<_>>())
                })
                .collect();
            let hlc_layers: Vec<&str> = listed.iter().map(|c| c.layer.as_str()).collect();
            layers.extend(lab.user_layers().iter().map(|layer| user_layer_kustomization(gitops, layer, &hlc_layers)));
            Ok(layers)
        }),
    ));
    for component in components {
        let layer = component.layer;
        let listed = vec![component_id(layer), gitops()];
        let carried = [component.sources.clone(), listed.clone()].concat();
        let mut resources = Vec::new();
        if component.namespace.is_some() || !component.manifests.is_empty() {
            // Only a namespace: the listing has it; objects: the component described again.
            let (needs, documents): (Vec<Need>, Documents) = if component.manifests.is_empty() {
                (listed.clone(), Box::new(move |_, inputs| Ok(listing(inputs, layer)?.namespace.into_iter().collect())))
            } else {
                (carried.clone(), Box::new(move |lab, _| Ok(objects(&describe(lab, layer)))))
            };
            files.push((format!("{layer}/objects.yaml"), needs, documents));
            resources.push("objects.yaml");
        }
        if component.release.is_some() {
            files.push((
                format!("{layer}/release.yaml"),
                carried,
                Box::new(move |lab, _| {
                    let release = describe(lab, layer).release.expect("registered with a release");
                    Ok(vec![helm_release(&release)])
                }),
            ));
            resources.push("release.yaml");
        }
        files.push((
            format!("{layer}/kustomization.yaml"),
            listed,
            Box::new(move |_, _| Ok(vec![kustomization_file(&resources)])),
        ));
    }
    files
}

/// The user's layers: each file of the layer's directory, as it is.
fn register_user_layers(gitops: &GitOps, layers: &[UserLayer], plan: &mut PlanBuilder<'static>) {
    for layer in layers {
        for (index, file) in layer.files.iter().enumerate() {
            let file_path = format!("{}/{}", layer.name.value, file.path);
            let path = Output::Flux { root: &gitops.path, file: &file_path }.path();
            let name = layer.name.value.clone();
            plan.step(Step {
                id: path.clone(),
                output: Some(OutputFile { path, secret: false, executable: false }),
                needs: vec![SourceId::Gitops.into(), SourceId::Layer(name.clone()).into()],
                produce: Box::new(move |context, _| {
                    let layer = context.lab.user_layer(&name).expect("a registered layer");
                    Ok(Product::File(layer.files[index].bytes.clone()))
                }),
            });
        }
    }
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    let Some(gitops) = lab.gitops() else { return };
    let user_layers = lab.user_layers();
    register_user_layers(gitops, user_layers, plan);
    for (path, needs, documents) in files(&components(lab), user_layers) {
        let path = Output::Flux { root: &gitops.path, file: &path }.path();
        plan.step(Step {
            id: path.clone(),
            output: Some(OutputFile { path, secret: false, executable: false }),
            needs,
            produce: Box::new(move |context, inputs| {
                let documents = yaml_values(&documents(&context.lab, inputs)?);
                super::yaml::documents(&inputs.provenance(), &documents).map(Product::File)
            }),
        });
    }
}
