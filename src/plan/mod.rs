//! Stage 4: the artifact graph. Vertices are *sources* (KDL nodes by identity, such as
//! `node "node1"`) and *steps* (one output file, or one key/certificate/token in the state).
//! An edge A → B means B needs A. Renderers register steps; the engine runs them in
//! topological order.

pub mod engine;
pub mod export;
pub mod reads;

use std::collections::BTreeMap;

use petgraph::graph::{DiGraph, NodeIndex};
pub use petgraph::Direction;

use crate::diagnostic::Span;
pub use crate::model::SourceId;
use crate::pki::Credential;

/// What a step produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Product {
    /// The bytes of an output file.
    File(Vec<u8>),
    /// A certificate and key from the state.
    Credential(Credential),
    /// A value from the state, such as the bootstrap token or a public key.
    Value(String),
}

/// Where a file step's product is written, relative to the output directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputFile {
    pub path: String,
    pub secret: bool,
    pub executable: bool,
}

/// Why a step failed (an internal or environment error, not a diagnostic of the input).
#[derive(Debug, thiserror::Error)]
#[error("{step}: {message}")]
pub struct StepError {
    pub step: String,
    pub message: String,
}

/// Why a step could not produce its value.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("input `{0}` was not produced (missing from `needs`?)")]
    MissingInput(String),
    #[error("input `{id}` is not a {expected}")]
    WrongInput { id: String, expected: &'static str },
    #[error("read `{0}` without needing it (add it to the step's `needs`)")]
    UndeclaredRead(String),
    #[error("YAML: {0}")]
    Yaml(#[from] serde_yaml::Error),
    #[error("YAML emitter: {0}")]
    YamlEmitter(String),
    #[error("TOML: {0}")]
    Toml(#[from] toml::ser::Error),
    #[error("TOML template: {0}")]
    TomlTemplate(#[from] toml::de::Error),
    #[error("{0} is not UTF-8")]
    NotUtf8(String),
    /// Issuing or loading a certificate (the PKI's own error, as text: plan does not import pki's
    /// issuing code, which reads the model through this module).
    #[error("{0}")]
    Issue(String),
    #[error("key: {0}")]
    Key(String),
    #[error("state directory: {0}")]
    State(#[from] std::io::Error),
    #[error("boot image: {0}")]
    Image(String),
}

/// What a step reads: a source of the graph, or another step's product (by step id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Need {
    Source(SourceId),
    Step(String),
}

impl Need {
    /// The vertex id the need points at.
    pub fn id(&self) -> String {
        match self {
            Need::Source(source) => source.to_string(),
            Need::Step(step) => step.clone(),
        }
    }
}

impl From<SourceId> for Need {
    fn from(source: SourceId) -> Need {
        Need::Source(source)
    }
}

impl From<String> for Need {
    fn from(step: String) -> Need {
        Need::Step(step)
    }
}

impl From<&str> for Need {
    fn from(step: &str) -> Need {
        Need::Step(step.to_string())
    }
}

/// A step's work: read the model and inputs, produce a value.
pub type Produce<'a> =
    Box<dyn Fn(&engine::Context, &engine::Inputs) -> Result<Product, RenderError> + Send + Sync + 'a>;

/// A unit of work in the graph.
pub struct Step<'a> {
    pub id: String,
    pub output: Option<OutputFile>,
    /// The sources and steps this step reads. The engine checks every source the step's run
    /// read is one of these or an ancestor of one.
    pub needs: Vec<Need>,
    pub produce: Produce<'a>,
}

/// A KDL node the graph starts from.
#[derive(Clone, Debug)]
pub struct SourceNode {
    /// The displayed id (the graph's vertex id).
    pub id: String,
    pub source: SourceId,
    /// Where it is written; `None` when it is a default nobody wrote.
    pub span: Option<Span>,
}

pub enum Vertex<'a> {
    Source(SourceNode),
    Step(Step<'a>),
}

impl Vertex<'_> {
    pub fn id(&self) -> &str {
        match self {
            Vertex::Source(source) => &source.id,
            Vertex::Step(step) => &step.id,
        }
    }
}

/// Collects sources and steps, then links them into a graph.
#[derive(Default)]
pub struct PlanBuilder<'a> {
    sources: Vec<SourceNode>,
    source_edges: Vec<(SourceId, SourceId)>,
    steps: Vec<Step<'a>>,
    /// The renderer registering steps now, and the one that registered each step.
    renderer: &'static str,
    renderers: BTreeMap<String, &'static str>,
}

/// The linked graph.
pub struct Plan<'a> {
    pub graph: DiGraph<Vertex<'a>, ()>,
    pub index: BTreeMap<String, NodeIndex>,
    /// The renderer module that registered each step, by step id (`hlc explain` prints it).
    pub renderers: BTreeMap<String, &'static str>,
}

impl<'a> PlanBuilder<'a> {
    pub fn source(&mut self, source: SourceId, span: Option<Span>) {
        self.sources.push(SourceNode { id: source.to_string(), source, span });
    }

    /// Records that source `to` is derived from source `from` (a node from its hardware profile).
    pub fn source_edge(&mut self, from: SourceId, to: SourceId) {
        self.source_edges.push((from, to));
    }

    /// Names the renderer whose steps follow, by file (e.g. `src/render/kubeadm.rs`).
    pub fn renderer(&mut self, module: &'static str) {
        self.renderer = module;
    }

    pub fn step(&mut self, step: Step<'a>) {
        self.renderers.insert(step.id.clone(), self.renderer);
        self.steps.push(step);
    }

    /// Links every `needs` into an edge. Unknown ids and duplicate ids are internal errors.
    pub fn build(self) -> Result<Plan<'a>, StepError> {
        let mut graph = DiGraph::new();
        let mut index = BTreeMap::new();
        let vertices = self.sources.into_iter().map(Vertex::Source).chain(self.steps.into_iter().map(Vertex::Step));
        for vertex in vertices {
            let id = vertex.id().to_string();
            if index.insert(id.clone(), graph.add_node(vertex)).is_some() {
                return Err(StepError { step: id, message: "registered twice".into() });
            }
        }
        let lookup = |id: &str, by: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| StepError { step: by.to_string(), message: format!("needs unknown `{id}`") })
        };
        let mut edges = Vec::new();
        for (from, to) in &self.source_edges {
            let (from, to) = (from.to_string(), to.to_string());
            edges.push((lookup(&from, &to)?, lookup(&to, &to)?));
        }
        for vertex in graph.node_indices() {
            if let Vertex::Step(step) = &graph[vertex] {
                for need in &step.needs {
                    edges.push((lookup(&need.id(), &step.id)?, vertex));
                }
            }
        }
        // `update_edge` would scan a vertex's edges on every insert; deduplicate up front.
        edges.sort();
        edges.dedup();
        for (from, to) in edges {
            graph.add_edge(from, to, ());
        }
        Ok(Plan { graph, index, renderers: self.renderers })
    }
}

impl Plan<'_> {
    /// Every vertex that `id` depends on, directly or not, sorted by id.
    pub fn ancestors(&self, id: &str) -> Vec<&Vertex<'_>> {
        self.reachable(id, petgraph::Direction::Incoming)
    }

    /// Every vertex that depends on `id`, directly or not, sorted by id.
    pub fn descendants(&self, id: &str) -> Vec<&Vertex<'_>> {
        self.reachable(id, petgraph::Direction::Outgoing)
    }

    fn reachable(&self, id: &str, direction: petgraph::Direction) -> Vec<&Vertex<'_>> {
        let Some(&start) = self.index.get(id) else { return Vec::new() };
        let mut found: Vec<&Vertex> =
            self.reachable_indices(start, direction).into_iter().map(|v| &self.graph[v]).collect();
        found.sort_by(|a, b| a.id().cmp(b.id()));
        found
    }

    /// The vertices `vertex` depends on, directly or not.
    pub fn ancestor_indices(&self, vertex: NodeIndex) -> std::collections::BTreeSet<NodeIndex> {
        self.reachable_indices(vertex, petgraph::Direction::Incoming)
    }

    fn reachable_indices(
        &self,
        start: NodeIndex,
        direction: petgraph::Direction,
    ) -> std::collections::BTreeSet<NodeIndex> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack = vec![start];
        while let Some(vertex) = stack.pop() {
            for next in self.graph.neighbors_directed(vertex, direction) {
                if seen.insert(next) {
                    stack.push(next);
                }
            }
        }
        seen
    }

    /// What a file's header names as its origins: the sources the step reads directly, or when
    /// it reads none, the steps it reads (a seed image's files, a copy's original).
    pub fn origins(&self, vertex: NodeIndex) -> Vec<String> {
        let sources = self.direct_sources(vertex);
        if !sources.is_empty() {
            return sources;
        }
        let mut steps: Vec<String> = self
            .graph
            .neighbors_directed(vertex, petgraph::Direction::Incoming)
            .map(|n| self.graph[n].id().to_string())
            .collect();
        steps.sort();
        steps
    }

    /// The sources a step reads directly (its origins, for file headers).
    pub fn direct_sources(&self, vertex: NodeIndex) -> Vec<String> {
        let mut sources: Vec<String> = self
            .graph
            .neighbors_directed(vertex, petgraph::Direction::Incoming)
            .filter_map(|n| match &self.graph[n] {
                Vertex::Source(source) => Some(source.id.clone()),
                Vertex::Step(_) => None,
            })
            .collect();
        sources.sort();
        sources
    }
}
