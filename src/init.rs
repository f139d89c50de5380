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
    Ok(path)
}
