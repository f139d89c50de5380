//! The commands that work on the output tree: `build`, `diff`, `graph`, `explain`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::build::{default_out, default_state, open_state, render_tree, BuildError};
use crate::cli::{environment_error, front_end, GraphFormat, MessageFormat, Outcome, TreePaths};
use crate::clock::Clock;
use crate::model::Lab;
use crate::plan::Vertex;
use crate::source::Source;
use crate::state::StateDir;
use crate::write::lock::Lock;
use crate::write::{current_lock, write_tree, Tree};

fn resolve(file: &Path, paths: &TreePaths) -> (PathBuf, PathBuf) {
    (paths.out.clone().unwrap_or_else(|| default_out(file)), paths.state.clone().unwrap_or_else(|| default_state(file)))
}

/// Front end plus rendering; errors already printed. `read_only` leaves the state untouched.
fn render(
    file: &Path,
    state: &Path,
    format: MessageFormat,
    read_only: bool,
) -> Result<(Source, Lab, Tree, Lock), Outcome> {
    let (source, checked) = crate::cli::front_end(file, format, false)?;
    let lab = checked.lab.expect("no errors means a model");
    let state =
        if read_only { StateDir::open_read_only(state) } else { open_state(state).map_err(environment_error)? };
    let (tree, lock) = render_tree(&lab, &source, &state, Clock::from_env()).map_err(build_error)?;
    Ok((source, lab, tree, lock))
}

fn build_error(error: BuildError) -> Outcome {
    environment_error(error)
}

pub fn build(file: &Path, paths: &TreePaths, format: MessageFormat) -> Outcome {
    let (out, state) = resolve(file, paths);
    let (_, _, tree, lock) = match render(file, &state, format, false) {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    match write_tree(&out, &tree, &lock) {
        Ok(report) => {
            eprintln!(
                "{}: {} files, {} written, {} removed; root {}",
                out.display(),
                lock.files.len(),
                report.written.len(),
                report.removed.len(),
                &report.root_digest[..16]
            );
            Outcome::Ok
        }
        Err(error) => environment_error(format!("{}: {error}", out.display())),
    }
}

pub fn diff(file: &Path, paths: &TreePaths, format: MessageFormat) -> Outcome {
    let (out, state) = resolve(file, paths);
    let (_, _, tree, lock) = match render(file, &state, format, true) {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    let old = current_lock(&out);
    let mut text = String::new();
    let mut changed = false;
    for entry in &lock.files {
        let before = old.as_ref().and_then(|o| o.entry(&entry.path));
        if before == Some(entry) {
            continue;
        }
        changed = true;
        if entry.secret {
            writeln!(text, "secret {} {}", if before.is_some() { "changed:" } else { "added:" }, entry.path).unwrap();
            continue;
        }
        let previous = before.and_then(|_| std::fs::read_to_string(out.join(&entry.path)).ok()).unwrap_or_default();
        let current = String::from_utf8_lossy(&tree[&entry.path].bytes).into_owned();
        let diff = similar::TextDiff::from_lines(&previous, &current);
        let from = if before.is_some() { format!("a/{}", entry.path) } else { "/dev/null".to_string() };
        write!(text, "{}", diff.unified_diff().context_radius(3).header(&from, &format!("b/{}", entry.path))).unwrap();
    }
    for entry in old.iter().flat_map(|o| &o.files).filter(|e| lock.entry(&e.path).is_none()) {
        changed = true;
        writeln!(text, "removed: {}", entry.path).unwrap();
    }
    print!("{text}");
    if changed {
        Outcome::Diagnostics
    } else {
        Outcome::Ok
    }
}

pub fn graph(file: &Path, format: GraphFormat, message_format: MessageFormat) -> Outcome {
    let (_, checked) = match front_end(file, message_format, false) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    let lab = checked.lab.expect("no errors means a model");
    match crate::render::plan(&lab) {
        Ok(plan) => {
            print!("{}", crate::plan::export::render(&plan, format));
            Outcome::Ok
        }
        Err(error) => environment_error(error),
    }
}

pub fn explain(file: &Path, path: &str, format: MessageFormat) -> Outcome {
    let (source, checked) = match front_end(file, format, false) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    let lab = checked.lab.expect("no errors means a model");
    let plan = match crate::render::plan(&lab) {
        Ok(plan) => plan,
        Err(error) => return environment_error(error),
    };
    let path = path.trim_start_matches("./").trim_start_matches("out/");
    let Some(&vertex) = plan.index.get(path) else {
        return environment_error(format!("{path}: no such output file in this build (see `hlc graph`)"));
    };
    let Vertex::Step(step) = &plan.graph[vertex] else { return environment_error(format!("{path} is a KDL node")) };
    let secret = step.output.as_ref().is_some_and(|o| o.secret);
    println!("{path}{}", if secret { " (secret)" } else { "" });
    println!("from KDL nodes:");
    let ancestors = plan.ancestors(path);
    for vertex in &ancestors {
        if let Vertex::Source(node) = vertex {
            match node.span {
                Some(span) => println!("  {} ({}:{})", node.id, source.name, source.line(span.offset())),
                None => println!("  {} (default)", node.id),
            }
        }
    }
    println!("through steps:");
    for vertex in ancestors.iter().filter(|v| matches!(v, Vertex::Step(_))) {
        println!("  {}", vertex.id());
    }
    Outcome::Ok
}
