//! The graph as text for `hlc graph`: Graphviz dot or Mermaid, vertices and edges sorted.

use std::collections::BTreeSet;

use super::{Plan, Vertex};

/// How `hlc graph` prints the plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

pub fn render(plan: &Plan, format: GraphFormat) -> String {
    render_only(plan, format, None)
}

/// The vertices around `focus` (ids): each, everything it is made from and everything made
/// from it. `None` when no vertex has one of these ids.
pub fn neighbourhood<'p>(plan: &'p Plan, focus: &[String]) -> Option<BTreeSet<&'p str>> {
    let mut keep = BTreeSet::new();
    for id in focus {
        let Some(&vertex) = plan.index.get(id) else { continue };
        keep.insert(plan.graph[vertex].id());
        keep.extend(plan.ancestors(id).into_iter().chain(plan.descendants(id)).map(Vertex::id));
    }
    (!keep.is_empty()).then_some(keep)
}

/// The graph, or only the vertices in `keep` and the edges between them.
pub fn render_only(plan: &Plan, format: GraphFormat, keep: Option<&BTreeSet<&str>>) -> String {
    let kept = |id: &str| keep.is_none_or(|k| k.contains(id));
    let mut vertices: Vec<(&str, bool)> = plan
        .graph
        .node_indices()
        .map(|v| (plan.graph[v].id(), matches!(plan.graph[v], Vertex::Source(_))))
        .filter(|(id, _)| kept(id))
        .collect();
    vertices.sort();
    let mut edges: Vec<(&str, &str)> = plan
        .graph
        .edge_indices()
        .filter_map(|e| plan.graph.edge_endpoints(e))
        .map(|(a, b)| (plan.graph[a].id(), plan.graph[b].id()))
        .filter(|(a, b)| kept(a) && kept(b))
        .collect();
    edges.sort();
    let quote = |id: &str| format!("\"{}\"", id.replace('\\', "\\\\").replace('"', "\\\""));
    match format {
        GraphFormat::Dot => {
            let mut out = String::from("digraph hlc {\n    rankdir=LR;\n");
            for (id, is_source) in &vertices {
                let shape = if *is_source { "box" } else { "ellipse" };
                out.push_str(&format!("    {} [shape={shape}];\n", quote(id)));
            }
            for (from, to) in edges {
                out.push_str(&format!("    {} -> {};\n", quote(from), quote(to)));
            }
            out + "}\n"
        }
        GraphFormat::Mermaid => {
            let key =
                |id: &str| vertices.binary_search_by(|(v, _)| v.cmp(&id)).map(|i| format!("v{i}")).unwrap_or_default();
            let mut out = String::from("flowchart LR\n");
            for (index, (id, is_source)) in vertices.iter().enumerate() {
                let label = id.replace('"', "#quot;");
                let shape = if *is_source { format!("[\"{label}\"]") } else { format!("(\"{label}\")") };
                out.push_str(&format!("    v{index}{shape}\n"));
            }
            for (from, to) in edges {
                out.push_str(&format!("    {} --> {}\n", key(from), key(to)));
            }
            out
        }
    }
}
