//! `hlc build`: front end → plan → run → write. Also the pieces `diff`, `graph` and `explain`
//! share: default paths and rendering a tree without writing it.

use std::path::{Path, PathBuf};

use crate::clock::Clock;
use crate::model::Lab;
use crate::plan::engine::{run, Environment};
use crate::plan::{PlanBuilder, StepError};
use crate::source::Source;
use crate::state::StateDir;
use crate::write::lock::Lock;
use crate::write::{finish_tree, Tree, TreeFile};

/// `out/` beside the input.
pub fn default_out(input: &Path) -> PathBuf {
    input.parent().unwrap_or(Path::new(".")).join("out")
}

/// `<input stem>.state/` beside the input.
pub fn default_state(input: &Path) -> PathBuf {
    let stem = input.file_stem().map_or("homelab".into(), |s| s.to_string_lossy().into_owned());
    input.parent().unwrap_or(Path::new(".")).join(format!("{stem}.state"))
}

/// Why a build stopped after the front end accepted the input.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Step(#[from] StepError),
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
}

/// Renders the whole tree in memory (issuing or reusing credentials in `state`).
pub fn render_tree(lab: &Lab, source: &Source, state: &StateDir, clock: Clock) -> Result<(Tree, Lock), BuildError> {
    render_tree_with(lab, source, state, clock, |_| {})
}

/// `render_tree` with extra steps added to the plan.
pub fn render_tree_with(
    lab: &Lab,
    source: &Source,
    state: &StateDir,
    clock: Clock,
    extra: impl FnOnce(&mut PlanBuilder<'static>),
) -> Result<(Tree, Lock), BuildError> {
    let plan = crate::render::plan_with(lab, extra)?;
    let outputs = run(&plan, &Environment { lab, state, clock })?;
    let mut tree: Tree = outputs
        .into_values()
        .map(|(file, bytes)| {
            let mode = if file.secret {
                0o600
            } else if file.executable {
                0o755
            } else {
                0o644
            };
            (file.path, TreeFile { bytes, mode, secret: file.secret })
        })
        .collect();
    let lock = finish_lock(lab, source, &mut tree);
    Ok((tree, lock))
}

/// The lock of a finished tree: its files (with `.gitignore` added), the CA fingerprints, and
/// the baseline a later build plans against (nodes, certificates).
pub fn finish_lock(lab: &Lab, source: &Source, tree: &mut Tree) -> Lock {
    let mut lock = finish_tree(tree, source.digest());
    lock.nodes = crate::lifecycle::baseline::node_records(lab, &lock);
    lock.certificates = crate::lifecycle::baseline::certificate_records(tree);
    lock
}

/// Renders the tree and adds the change plan against `previous` (the lock of the tree at `out`,
/// if any) as `PLAN.md`.
pub fn render_tree_planned(
    lab: &Lab,
    source: &Source,
    state: &StateDir,
    clock: Clock,
    (out, previous): (&Path, Option<&Lock>),
) -> Result<(Tree, Lock, crate::lifecycle::ChangePlan), BuildError> {
    use crate::lifecycle::report::{attach, PLAN_FILE};
    let (mut tree, lock) = render_tree(lab, source, state, clock)?;
    let previous_plan = previous.and_then(|lock| crate::write::current_file(out, lock, PLAN_FILE));
    let reader = crate::plan::reads::LabReader::new(lab);
    let delivered = reader
        .nodes()
        .map(|node| {
            let files = crate::render::cloud_init::all_files(&reader, &node);
            (node.name().to_string(), files.into_iter().map(|f| (f.step, f.target)).collect())
        })
        .collect();
    let plan = attach(&mut tree, &lock, previous, previous_plan, &delivered);
    let file = &tree[PLAN_FILE];
    let lock = lock.with_file(crate::write::lock::LockEntry::new(PLAN_FILE, &file.bytes, file.mode, file.secret));
    Ok((tree, lock, plan))
}

/// Opens the state directory, mapping errors to the path.
pub fn open_state(path: &Path) -> Result<StateDir, BuildError> {
    StateDir::open(path).map_err(|e| BuildError::Io(path.to_path_buf(), e))
}
