//! Registers the add-on components in the graph: one `component:<layer>` step each (needing its
//! sources and the components it depends on), its Helm values under `cluster/helm-values/`, and
//! its objects under `cluster/manifests/<layer>.yaml`; every namespace in
//! `cluster/manifests/namespaces.yaml`.

use serde_json::Value;

use super::components::{namespace_object, Component};
use super::outputs::Output;
use crate::plan::engine::Inputs;
use crate::plan::reads::LabReader;
use crate::plan::Need;
use crate::plan::RenderError;
use crate::plan::{OutputFile, PlanBuilder, Product, Step};

/// Every component of the lab, in dependency order, each needing exactly the sources (and the
/// topology) its description read: described again through a fresh reader, whose reads become
/// its `sources`.
pub fn components(lab: &LabReader) -> Vec<Component> {
    let layers: Vec<&'static str> = all_components(lab).iter().map(|c| c.layer).collect();
    layers
        .into_iter()
        .map(|layer| {
            let reader = lab.fresh();
            let mut component = describe(&reader, layer);
            component.sources = reader.reads();
            lab.absorb(&component.sources);
            component
        })
        .collect()
}

/// Every component as its renderer describes it.
fn all_components(lab: &LabReader) -> Vec<Component> {
    let mut components = vec![super::cni::component(lab)];
    components.extend(super::load_balancer::components(lab));
    components.extend(super::ingress::component(lab));
    components.extend(super::rook::components(lab));
    components.extend(super::nfs::component(lab));
    components.extend(super::storage_classes::component(lab));
    components.extend(super::auth::component(lab));
    components.extend(super::node_drainers::component(lab));
    components
}

/// The component of `layer`, described again by only the renderer that describes it (so a
/// step computing it reads that renderer's sources, not every component's).
pub fn describe(lab: &LabReader, layer: &str) -> Component {
    let candidates: Vec<Component> = match layer {
        "cni" => vec![super::cni::component(lab)],
        "load-balancer" | "load-balancer-pools" => super::load_balancer::components(lab),
        "ingress" => super::ingress::component(lab).into_iter().collect(),
        "nfs-csi" => super::nfs::component(lab).into_iter().collect(),
        "storage-classes" => super::storage_classes::component(lab).into_iter().collect(),
        "rbac" => super::auth::component(lab).into_iter().collect(),
        "node-drainers" => super::node_drainers::component(lab).into_iter().collect(),
        _ => super::rook::component(lab, layer).into_iter().collect(),
    };
    candidates.into_iter().find(|c| c.layer == layer).expect("a registered layer is described again")
}

/// The graph step of a component.
pub fn component_id(layer: &str) -> Need {
    Need::Step(format!("component:{layer}"))
}

/// The namespace object (if any) followed by the component's manifests.
pub fn objects(component: &Component) -> Vec<Value> {
    component.namespace.iter().map(namespace_object).chain(component.manifests.iter().cloned()).collect()
}

pub fn yaml_values(values: &[Value]) -> Vec<serde_yaml::Value> {
    values.iter().map(|v| serde_yaml::to_value(v).expect("JSON converts to YAML")).collect()
}

fn file_step(
    path: String,
    needs: Vec<Need>,
    render: impl Fn(&LabReader, &str) -> Result<Vec<u8>, RenderError> + Send + Sync + 'static,
) -> Step<'static> {
    Step {
        id: path.clone(),
        output: Some(OutputFile { path, secret: false, executable: false }),
        needs,
        produce: Box::new(move |context, inputs| render(&context.lab, &inputs.provenance()).map(Product::File)),
    }
}

/// A component step's product: what files that list components read (the namespaces file, the
/// bootstrap script and helmfile). Its values and manifests are read by the files that carry
/// them, through their own reader.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Listing {
    pub layer: String,
    pub depends_on: Vec<String>,
    /// The Namespace object, if the component has a namespace.
    pub namespace: Option<Value>,
    pub release: Option<ListedRelease>,
    /// Whether it has manifests (`cluster/manifests/<layer>.yaml`).
    pub manifests: bool,
}

/// A release as a listing names it: chart, repository and version, and its namespace.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ListedRelease {
    pub name: String,
    pub namespace: String,
    pub repository: String,
    pub url: String,
    pub chart: String,
    pub version: String,
}

fn summary(component: &Component) -> Listing {
    Listing {
        layer: component.layer.to_string(),
        depends_on: component.depends_on.iter().map(|d| d.to_string()).collect(),
        namespace: component.namespace.as_ref().map(namespace_object),
        release: component.release.as_ref().map(|r| ListedRelease {
            name: r.name.to_string(),
            namespace: r.namespace.clone(),
            repository: r.chart.repository.clone(),
            url: r.chart.url.clone(),
            chart: r.chart.chart.clone(),
            version: r.chart.version.clone(),
        }),
        manifests: !component.manifests.is_empty(),
    }
}

/// The listing of the component of `layer`, from its step's product (the step must be a need).
pub fn listing(inputs: &Inputs, layer: &str) -> Result<Listing, RenderError> {
    let id = component_id(layer).id();
    serde_json::from_str(inputs.value(&id)?).map_err(|_| RenderError::WrongInput { id, expected: "component listing" })
}

pub fn register(lab: &LabReader, plan: &mut PlanBuilder<'static>) {
    let all = components(lab);
    let with_namespace: Vec<&'static str> = all.iter().filter(|c| c.namespace.is_some()).map(|c| c.layer).collect();
    if !with_namespace.is_empty() {
        // The namespaces are read from the components' steps, so the file needs the components,
        // not every value their sources hold.
        let path = Output::Namespaces.path();
        plan.step(Step {
            id: path.clone(),
            output: Some(OutputFile { path, secret: false, executable: false }),
            needs: with_namespace.iter().map(|layer| component_id(layer)).collect(),
            produce: Box::new(move |_, inputs| {
                let mut namespaces = Vec::new();
                for layer in &with_namespace {
                    namespaces.extend(listing(inputs, layer)?.namespace);
                }
                super::yaml::documents(&inputs.provenance(), &yaml_values(&namespaces)).map(Product::File)
            }),
        });
    }
    for component in all {
        plan.renderer(component.renderer);
        let id = component_id(component.layer).id();
        let mut needs = component.sources.clone();
        needs.extend(component.depends_on.iter().map(|d| component_id(d)));
        let layer = component.layer;
        plan.step(Step {
            id: id.clone(),
            output: None,
            needs,
            produce: Box::new(move |context, _| {
                let listing = serde_json::to_string(&summary(&describe(&context.lab, layer)));
                Ok(Product::Value(listing.expect("a listing serialises")))
            }),
        });
        let sources = [component.sources.clone(), vec![Need::Step(id.clone())]].concat();
        // The files' content is described again when they run, through their own reader.
        let layer = component.layer;
        if let Some(release) = &component.release {
            let path = Output::HelmValues(release.name).path();
            plan.step(file_step(path, sources.clone(), move |lab, provenance| {
                let release = describe(lab, layer).release.expect("registered with a release");
                super::yaml::document(provenance, &release.values)
            }));
        }
        if !component.manifests.is_empty() {
            let path = Output::Manifests(component.layer).path();
            plan.step(file_step(path, sources, move |lab, provenance| {
                super::yaml::documents(provenance, &yaml_values(&describe(lab, layer).manifests))
            }));
        }
    }
}
