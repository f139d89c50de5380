//! The commands that work on the output tree: `build`, `diff`, `graph`, `explain`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::build::{default_out, default_state, open_state, render_tree_planned, BuildError};
use crate::clock::Clock;
use crate::model::Lab;
use crate::plan::export::GraphFormat;
use crate::plan::Vertex;
use crate::report::{environment_error, front_end, MessageFormat, Outcome, TreePaths};
use crate::source::Source;
use crate::state::StateDir;
use crate::write::lock::Lock;
use crate::write::{current_lock, write_tree, Tree};

fn resolve(file: &Path, paths: &TreePaths) -> (PathBuf, PathBuf) {
    (paths.out.clone().unwrap_or_else(|| default_out(file)), paths.state.clone().unwrap_or_else(|| default_state(file)))
}

/// Front end plus rendering; errors already printed. `read_only` leaves the state untouched.
/// Before the state is opened (or created), the cluster's identity in the tree at `out` must be
/// the state's, unless `new_pki`.
fn render(
    file: &Path,
    (out, state): (&Path, &Path),
    format: MessageFormat,
    read_only: bool,
    new_pki: bool,
) -> Result<Rendered, Outcome> {
    let previous = current_lock(out);
    let (source, checked) = crate::report::front_end(file, format, false, previous.as_ref())?;
    let lab = checked.lab.expect("no errors means a model");
    if !new_pki {
        let mismatches = crate::identity::check(previous.as_ref(), state, lab.cluster.span);
        if !mismatches.is_empty() {
            crate::report::report(&mismatches, &source, format);
            return Err(Outcome::Diagnostics);
        }
    }
    let state =
        if read_only { StateDir::open_read_only(state) } else { open_state(state).map_err(environment_error)? };
    let clock = Clock::from_env();
    let (tree, lock, plan) =
        render_tree_planned(&lab, &source, &state, clock, (out, previous.as_ref())).map_err(build_error)?;
    let expiring = crate::lifecycle::checks::expiring(&lab, previous.as_ref(), &lock, clock.now.unix_timestamp());
    crate::report::report(&expiring, &source, format);
    Ok(Rendered { source, lab, tree, lock, plan })
}

/// What `render` produced.
struct Rendered {
    source: Source,
    lab: Lab,
    tree: Tree,
    lock: Lock,
    plan: crate::lifecycle::ChangePlan,
}

fn build_error(error: BuildError) -> Outcome {
    environment_error(error)
}

pub fn build(file: &Path, paths: &TreePaths, format: MessageFormat) -> Outcome {
    let (out, state) = resolve(file, paths);
    let Rendered { source, lab, tree, lock, plan } = match render(file, (&out, &state), format, false, paths.new_pki) {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    warn_if_state_not_ignored(&state, &source, lab.cluster.span, format);
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
            eprintln!("{}", crate::lifecycle::report::summary(&plan));
            Outcome::Ok
        }
        Err(error) => environment_error(format!("{}: {error}", out.display())),
    }
}

pub fn diff(file: &Path, paths: &TreePaths, format: MessageFormat) -> Outcome {
    let (out, state) = resolve(file, paths);
    let Rendered { tree, lock, plan, .. } = match render(file, (&out, &state), format, true, paths.new_pki) {
        Ok(rendered) => rendered,
        Err(outcome) => return outcome,
    };
    let old = current_lock(&out);
    let mut text = String::new();
    let mut changed = false;
    for (before, after) in old.iter().flat_map(|o| &o.identity).filter_map(|b| {
        let after = lock.identity.iter().find(|a| a.path == b.path)?;
        (after != b).then_some((b, after))
    }) {
        writeln!(text, "new PKI: the {} changes: SHA-256 {} -> {}", before.name, before.sha256, after.sha256).unwrap();
    }
    for entry in &lock.files {
        let before = old.as_ref().and_then(|o| o.entry(&entry.path));
        if before == Some(entry) {
            continue;
        }
        changed = true;
        if entry.path == crate::lifecycle::report::PLAN_FILE {
            continue; // printed whole at the end
        }
        let old_bytes = before.and_then(|_| std::fs::read(out.join(&entry.path)).ok());
        let new_bytes = &tree[&entry.path].bytes;
        if entry.secret {
            text.push_str(&crate::secret_diff::secret_change(&entry.path, old_bytes.as_deref(), new_bytes));
            continue;
        }
        if let Some(summary) = crate::secret_diff::certificate_change(&entry.path, old_bytes.as_deref(), new_bytes) {
            text.push_str(&summary);
            continue;
        }
        let previous = old_bytes.map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        let current = String::from_utf8_lossy(new_bytes).into_owned();
        let diff = similar::TextDiff::from_lines(&previous, &current);
        let from = if before.is_some() { format!("a/{}", entry.path) } else { "/dev/null".to_string() };
        write!(text, "{}", diff.unified_diff().context_radius(3).header(&from, &format!("b/{}", entry.path))).unwrap();
    }
    let mut removed = 0;
    for entry in old.iter().flat_map(|o| &o.files).filter(|e| lock.entry(&e.path).is_none()) {
        changed = true;
        removed += 1;
        writeln!(text, "removed: {}", entry.path).unwrap();
    }
    print!("{text}");
    match format {
        MessageFormat::Human if changed => print!("\n{}", crate::lifecycle::report::plan_text(&plan)),
        MessageFormat::Human => {}
        MessageFormat::Json => eprintln!("{}", crate::lifecycle::report::plan_json(&plan)),
    }
    let (mut modified, mut added) = (0, 0);
    for entry in &lock.files {
        match old.as_ref().and_then(|o| o.entry(&entry.path)) {
            Some(before) if before != entry => modified += 1,
            None => added += 1,
            Some(_) => {}
        }
    }
    eprintln!("{}: {modified} changed, {added} added, {removed} removed", out.display());
    if changed {
        Outcome::Changes
    } else {
        Outcome::Ok
    }
}

/// `hlc::state::not-ignored`: the state (CA keys) inside a git work tree that does not ignore it.
fn warn_if_state_not_ignored(state: &Path, source: &Source, cluster: crate::diagnostic::Span, format: MessageFormat) {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(state.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()
    };
    let in_work_tree = git(&["rev-parse", "--is-inside-work-tree"]).is_some_and(|s| s.success());
    let name = state.file_name().map_or(String::new(), |n| n.to_string_lossy().into_owned());
    let ignored = git(&["check-ignore", "-q", &format!("{name}/")]).is_some_and(|s| s.success());
    if in_work_tree && !ignored {
        let warning = crate::diagnostic::Diagnostic::new(
            crate::codes::Code::StateNotIgnored,
            cluster,
            format!("{} holds the cluster's CA keys and is not ignored by git here", state.display()),
            "this cluster's state",
        )
        .with_help(format!("add `{name}/` (or `*.state/`) to .gitignore, or `git add -A` stages every private key"));
        crate::report::report(&[warning], source, format);
    }
}

pub fn graph(file: &Path, format: GraphFormat, focus: Option<&str>, message_format: MessageFormat) -> Outcome {
    let (_, checked) = match front_end(file, message_format, false, None) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    let lab = checked.lab.expect("no errors means a model");
    let plan = match crate::render::plan(&lab) {
        Ok(plan) => plan,
        Err(error) => return environment_error(error),
    };
    let Some(focus) = focus else {
        print!("{}", crate::plan::export::render(&plan, format));
        return Outcome::Ok;
    };
    let focus = focus.trim_start_matches("./").trim_start_matches("out/");
    // A node name stands for the node and its interfaces and addresses.
    let mut ids = vec![focus.to_string()];
    if let Some(node) = lab.nodes.iter().find(|n| n.name.value == focus) {
        ids = [crate::model::SourceId::node(&node.name.value)]
            .into_iter()
            .chain(crate::pki::spec::interface_sources(node))
            .chain(crate::pki::spec::address_sources(node))
            .map(|id| id.to_string())
            .collect();
    }
    match crate::plan::export::neighbourhood(&plan, &ids) {
        Some(keep) => {
            print!("{}", crate::plan::export::render_only(&plan, format, Some(&keep)));
            Outcome::Ok
        }
        None => {
            environment_error(format!("{focus}: no output file, node or graph vertex of that name (see `hlc graph`)"))
        }
    }
}

pub fn explain(file: &Path, path: &str, format: MessageFormat) -> Outcome {
    let (source, checked) = match front_end(file, format, false, None) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    let lab = checked.lab.expect("no errors means a model");
    let plan = match crate::render::plan(&lab) {
        Ok(plan) => plan,
        Err(error) => return environment_error(error),
    };
    let path = path.trim_start_matches("./").trim_start_matches("out/");
    if path == crate::lifecycle::report::PLAN_FILE {
        println!(
            "{path}\nfrom: the previous build's hlc.lock and this build's (the day-2 change plan), not a KDL node"
        );
        return Outcome::Ok;
    }
    let Some(&vertex) = plan.index.get(path) else {
        return environment_error(format!("{path}: no such output file in this build (see `hlc graph`)"));
    };
    let Vertex::Step(step) = &plan.graph[vertex] else { return environment_error(format!("{path} is a KDL node")) };
    let secret = step.output.as_ref().is_some_and(|o| o.secret);
    println!("{path}{}", if secret { " (secret)" } else { "" });
    println!("rendered by: {}", plan.renderers.get(path).copied().unwrap_or("?"));
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
