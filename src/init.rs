//! `hlc init`: writes the commented example homelab.kdl (the repository's own root example,
//! which CI checks, so the starter always passes `hlc check`).

use std::path::{Path, PathBuf};

/// The starter document.
pub const STARTER: &str = include_str!("../homelab.kdl");

/// Writes `dir/homelab.kdl`, refusing to overwrite an existing file.
pub fn init(dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let path = dir.join("homelab.kdl");
    let mut file =
        std::fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!("{}: already exists; not overwriting it", path.display()),
            _ => format!("{}: {e}", path.display()),
        })?;
    std::io::Write::write_all(&mut file, STARTER.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
    ignore_state(dir)?;
    Ok(path)
}

/// The line that keeps every state directory (CA keys, the token) out of git.
pub const STATE_IGNORE: &str = "*.state/";

/// Adds `*.state/` to `dir/.gitignore` (creating it) unless it is there already.
fn ignore_state(dir: &Path) -> Result<(), String> {
    let path = dir.join(".gitignore");
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("{}: {e}", path.display())),
    };
    if existing.lines().any(|l| l.trim() == STATE_IGNORE) {
        return Ok(());
    }
    let separator = if existing.is_empty() || existing.ends_with('\n') { "" } else { "\n" };
    let text = format!("{existing}{separator}# hlc: state directories hold the cluster's CA keys; back them up, never commit them\n{STATE_IGNORE}\n");
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))
}
