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
    let lock = finish_tree(&mut tree, blake3::hash(source.text.as_bytes()).to_hex().to_string());
    Ok((tree, lock))
}

/// Opens the state directory, mapping errors to the path.
pub fn open_state(path: &Path) -> Result<StateDir, BuildError> {
    StateDir::open(path).map_err(|e| BuildError::Io(path.to_path_buf(), e))
}
