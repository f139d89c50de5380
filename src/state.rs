//! The state directory: keys, certificates and the bootstrap token that must survive between
//! builds. Created 0700, files 0600. Nothing else in hlc keeps anything between runs.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A state directory on disk.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
    /// In read-only mode (for `hlc diff`), what would have been written is kept here instead.
    overlay: Option<Mutex<BTreeMap<String, String>>>,
}

impl StateDir {
    /// Opens (creating, 0700) the state directory.
    pub fn open(root: &Path) -> std::io::Result<StateDir> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(root)?;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))?;
        Ok(StateDir { root: root.to_path_buf(), overlay: None })
    }

    /// Opens the state directory without ever writing to it (it need not exist): new
    /// credentials live in memory for this run only.
    pub fn open_read_only(root: &Path) -> StateDir {
        StateDir { root: root.to_path_buf(), overlay: Some(Mutex::new(BTreeMap::new())) }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads `name` (a relative path such as `pki/ca.key`) if it exists.
    pub fn read(&self, name: &str) -> std::io::Result<Option<String>> {
        if let Some(text) = self.overlay.as_ref().and_then(|o| o.lock().expect("not poisoned").get(name).cloned()) {
            return Ok(Some(text));
        }
        match std::fs::read_to_string(self.root.join(name)) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Writes `name` with mode 0600, atomically (temporary file, then rename).
    pub fn write(&self, name: &str, contents: &str) -> std::io::Result<()> {
        if let Some(overlay) = &self.overlay {
            overlay.lock().expect("not poisoned").insert(name.to_string(), contents.to_string());
            return Ok(());
        }
        let path = self.root.join(name);
        let parent = path.parent().expect("state files live in the state directory");
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
        let temporary = parent.join(format!(".{}.tmp", path.file_name().unwrap().to_string_lossy()));
        let mut file =
            std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
    }
}
