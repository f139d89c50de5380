//! The state directory: keys, certificates and the bootstrap token that must survive between
//! builds. Created 0700, files 0600. Nothing else in hlc keeps anything between runs.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// A state directory on disk.
#[derive(Debug)]
pub struct StateDir {
    root: PathBuf,
}

impl StateDir {
    /// Opens (creating, 0700) the state directory.
    pub fn open(root: &Path) -> std::io::Result<StateDir> {
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(root)?;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o700))?;
        Ok(StateDir { root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads `name` (a relative path such as `pki/ca.key`) if it exists.
    pub fn read(&self, name: &str) -> std::io::Result<Option<String>> {
        match std::fs::read_to_string(self.root.join(name)) {
            Ok(text) => Ok(Some(text)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Writes `name` with mode 0600, atomically (temporary file, then rename).
    pub fn write(&self, name: &str, contents: &str) -> std::io::Result<()> {
        let path = self.root.join(name);
        let parent = path.parent().expect("state files live in the state directory");
        std::fs::DirBuilder::new().recursive(true).mode(0o700).create(parent)?;
        let temporary = parent.join(format!(".{}.tmp", path.file_name().unwrap().to_string_lossy()));
        let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&temporary)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, &path)
    }
}
