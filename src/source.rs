//! Reading the input: the only place hlc's front end touches the file system. Besides the
//! document, `lower` reads the files it names (a release's values file, a Flux layer's directory)
//! through `Source`, relative to the document's directory; every such read is kept, so the build's
//! input digest covers it.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The input document: its display name, its text and the files beside it that it names.
#[derive(Clone, Debug)]
pub struct Source {
    /// The path as the user gave it (used in diagnostics; never in generated files).
    pub name: String,
    pub text: Arc<String>,
    /// Where the document's relative paths start; `None` for a document given as text only.
    directory: Option<PathBuf>,
    /// Every file read beside the document, by its path as written.
    reads: Arc<Mutex<BTreeMap<String, Vec<u8>>>>,
}

/// A file under a directory named by the document: its path relative to that directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileBeside {
    pub path: String,
    pub bytes: Vec<u8>,
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
        let mut source = Source::from_text(path.display().to_string(), text);
        source.directory = Some(path.parent().unwrap_or(Path::new("")).to_path_buf());
        Ok(source)
    }

    /// A document given as text: it cannot name files beside it.
    pub fn from_text(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source { name: name.into(), text: Arc::new(text.into()), directory: None, reads: Arc::default() }
    }

    /// The same document (its name and directory) with other text, e.g. after formatting.
    pub fn with_text(&self, text: impl Into<String>) -> Source {
        Source { text: Arc::new(text.into()), reads: Arc::default(), ..self.clone() }
    }

    /// The file at `relative` (a path inside the document's directory). The error says why, in
    /// words for a diagnostic.
    pub fn read_beside(&self, relative: &str) -> Result<Vec<u8>, String> {
        let path = self.resolve(relative)?;
        if path.is_dir() {
            return Err(format!("`{relative}` is a directory, not a file"));
        }
        let bytes = std::fs::read(&path).map_err(|error| describe(relative, &error))?;
        self.reads.lock().expect("no reader panics").insert(relative.to_string(), bytes.clone());
        Ok(bytes)
    }

    /// Every regular file under the directory `relative`, recursively, sorted by path; hidden
    /// files and directories (`.git`, `.keep`) are left out. A symbolic link is an error (it could
    /// reach outside the document's directory, e.g. into the state), and so is the document's
    /// own directory (it holds the state and the output).
    pub fn files_beside(&self, relative: &str) -> Result<Vec<FileBeside>, String> {
        let root = self.resolve(relative)?;
        if !root.is_dir() {
            return Err(match root.exists() {
                true => format!("`{relative}` is a file, not a directory"),
                false => format!("`{relative}`: no such directory"),
            });
        }
        if Path::new(relative).components().all(|c| c == Component::CurDir) {
            return Err(format!(
                "`{relative}` is the directory of {} itself (with its state and output): name a subdirectory",
                self.name
            ));
        }
        let mut files = Vec::new();
        walk(&root, "", &mut files, relative)?;
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let mut reads = self.reads.lock().expect("no reader panics");
        for file in &files {
            reads.insert(format!("{}/{}", relative.trim_end_matches('/'), file.path), file.bytes.clone());
        }
        Ok(files)
    }

    /// The input's digest: the document and every file read beside it.
    pub fn digest(&self) -> String {
        let mut hasher = blake3::Hasher::new();
        hasher.update(self.text.as_bytes());
        for (path, bytes) in self.reads.lock().expect("no reader panics").iter() {
            hasher.update(&(path.len() as u64).to_le_bytes()).update(path.as_bytes());
            hasher.update(&(bytes.len() as u64).to_le_bytes()).update(bytes);
        }
        hasher.finalize().to_hex().to_string()
    }

    /// `relative` under the document's directory: relative, and never above it (`..`), so the
    /// document's meaning does not depend on where it is checked out.
    fn resolve(&self, relative: &str) -> Result<PathBuf, String> {
        let path = Path::new(relative);
        if relative.is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
            return Err(format!("`{relative}` must be a relative path inside the directory of {}", self.name));
        }
        let directory = self.directory.as_ref().ok_or_else(|| {
            format!("`{relative}` cannot be read: the document was not read from a file (no directory to read it in)")
        })?;
        // No symbolic link on the way: one could lead out of the directory or into the state.
        let mut walked = directory.clone();
        for component in path.components() {
            walked.push(component);
            if std::fs::symlink_metadata(&walked).is_ok_and(|m| m.is_symlink()) {
                return Err(format!(
                    "`{relative}` goes through a symbolic link (`{}`): name the real path",
                    walked.display()
                ));
            }
        }
        Ok(walked)
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

/// An I/O error in words.
fn describe(relative: &str, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => format!("`{relative}`: no such file"),
        _ => format!("`{relative}`: {error}"),
    }
}

/// Collects the regular files under `directory` (paths relative to the walk's root, the
/// directory `relative` names); the error says why, in words.
fn walk(directory: &Path, prefix: &str, files: &mut Vec<FileBeside>, relative: &str) -> Result<(), String> {
    let io = |error: std::io::Error| describe(relative, &error);
    for entry in std::fs::read_dir(directory).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
        let metadata = std::fs::symlink_metadata(entry.path()).map_err(io)?;
        if metadata.is_symlink() {
            return Err(format!("`{path}` is a symbolic link: copy the file in (a link could reach the state's keys)"));
        }
        if metadata.is_dir() {
            walk(&entry.path(), &path, files, relative)?;
        } else if metadata.is_file() {
            files.push(FileBeside { bytes: std::fs::read(entry.path()).map_err(io)?, path });
        }
    }
    Ok(())
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}
