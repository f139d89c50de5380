//! Reading the input file: the only place hlc's front end touches the file system.

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The input document: its display name and its text.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as the user gave it (used in diagnostics; never in generated files).
    pub name: String,
    pub text: Arc<String>,
}

/// Why the input could not be read at all (exit status 2).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SourceError {
    #[error("{0}: no such file")]
    NotFound(PathBuf),
    #[error("{0}: is a directory, not a homelab.kdl file")]
    IsDirectory(PathBuf),
    #[error("{0}: not UTF-8 text (first bad byte at offset {1})")]
    NotUtf8(PathBuf, usize),
    #[error("{0}: {1}")]
    Io(PathBuf, String),
}

impl Source {
    /// Reads `path` as UTF-8 text.
    pub fn load(path: &Path) -> Result<Source, SourceError> {
        if path.is_dir() {
            return Err(SourceError::IsDirectory(path.to_path_buf()));
        }
        let bytes = std::fs::read(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => SourceError::NotFound(path.to_path_buf()),
            _ => SourceError::Io(path.to_path_buf(), error.to_string()),
        })?;
        let text = String::from_utf8(bytes)
            .map_err(|error| SourceError::NotUtf8(path.to_path_buf(), error.utf8_error().valid_up_to()))?;
        Ok(Source::from_text(path.display().to_string(), text))
    }

    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: Arc::new(text.into()) }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..floor_char_boundary(&self.text, offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    /// The 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.line_column(offset).0
    }
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
