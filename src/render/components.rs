//! The cluster's add-ons as components: each one a Flux layer with its namespace, its Helm release
//! (chart and values) and its manifests. The CNI, load balancer, ingress, Rook-Ceph, NFS and RBAC
//! renderers describe their components here; `addons` turns them into graph steps and files.

use serde_json::Value;

use super::charts::{chart, user_values, HelmValues};
use crate::model::pins::Chart;
use crate::plan::reads::LabReader;
use crate::plan::Need;

/// A namespace a component needs; `privileged` sets the Pod Security labels to privileged.
#[derive(Clone, Debug, PartialEq)]
pub struct Namespace {
    pub name: String,
    pub privileged: bool,
}

/// A Helm release (named after its chart).
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub name: &'static str,
    pub chart: Chart,
    pub namespace: String,
    /// hlc's values, before the lab's values file.
    pub hlc_values: HelmValues,
    /// What the release gets: hlc's choices, the values file, the lab's settings.
    pub values: Value,
}

/// One add-on layer.
#[derive(Clone, Debug, PartialEq)]
pub struct Component {
    /// The Flux Kustomization name and directory, e.g. `load-balancer`.
    pub layer: &'static str,
    /// Layers that must be ready first.
    pub depends_on: Vec<&'static str>,
    pub namespace: Option<Namespace>,
    pub release: Option<Release>,
    /// Kubernetes objects beside (or instead of) the release.
    pub manifests: Vec<Value>,
    /// Graph sources (and steps) the component is derived from: what describing it read
    /// (`addons::components` fills it in; its renderer does not declare it).
    pub sources: Vec<Need>,
    /// The renderer that describes it (its file), recorded on its steps.
    pub renderer: &'static str,
}

impl Component {
    #[track_caller]
    pub fn new(layer: &'static str) -> Component {
        Component {
            layer,
            depends_on: Vec::new(),
            namespace: None,
            release: None,
            manifests: Vec::new(),
            sources: Vec::new(),
            renderer: std::panic::Location::caller().file(),
        }
    }
}

impl Component {
    /// Sets the component's release `name` (= its chart) in `namespace`: the pinned chart or the
    /// lab's `release` version, `values` with the lab's values file merged in (reading a
    /// `release` the lab writes makes it one of the component's sources).
    pub fn set_release(&mut self, lab: &LabReader, name: &'static str, namespace: &str, values: HelmValues) {
        self.release = Some(Release {
            name,
            chart: chart(lab, name),
            namespace: namespace.to_string(),
            values: values.merged(user_values(lab, name)),
            hlc_values: values,
        });
    }
}

/// A Namespace object with Pod Security labels.
pub fn namespace_object(namespace: &Namespace) -> Value {
    let level = if namespace.privileged { "privileged" } else { "baseline" };
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace.name,
            "labels": {
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/audit": level,
                "pod-security.kubernetes.io/warn": level,
            },
        },
    })
}

/// `metadata` with a name and, when given, a namespace.
pub fn metadata(name: &str, namespace: Option<&str>) -> Value {
    match namespace {
        Some(namespace) => serde_json::json!({"name": name, "namespace": namespace}),
        None => serde_json::json!({"name": name}),
    }
}
