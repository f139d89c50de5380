//! `hlc state export` / `import`: the state directory as one age-encrypted, committable file.
//! Each state file is encrypted on its own (ASCII-armored) to every recipient (age `age1…` or
//! SSH `ssh-ed25519 …`/`ssh-rsa …` public keys), next to the blake3 digest of its plaintext. A
//! re-export keeps the ciphertext of every file whose digest and recipients are unchanged, so a
//! pull request shows exactly the secrets that changed. (The digests reveal nothing usable: every
//! state file is a key, certificate or random token of 100+ bits.)

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The export file.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Export {
    pub version: u32,
    pub recipients: Vec<String>,
    #[serde(rename = "file", default)]
    pub files: Vec<ExportedFile>,
}

/// One state file, encrypted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ExportedFile {
    pub path: String,
    pub blake3: String,
    pub age: String,
}

/// What went wrong, for a one-line error (exit 2).
pub type BackupError = String;

fn recipient(text: &str) -> Result<Box<dyn age::Recipient + Send>, BackupError> {
    if text.starts_with("age1") {
        return age::x25519::Recipient::from_str(text)
            .map(|r| Box::new(r) as _)
            .map_err(|e| format!("recipient `{text}`: {e}"));
    }
    age::ssh::Recipient::from_str(text)
        .map(|r| Box::new(r) as _)
        .map_err(|e| format!("recipient `{text}`: not an age or SSH public key ({e:?})"))
}

fn encrypt(recipients: &[Box<dyn age::Recipient + Send>], plaintext: &[u8]) -> Result<String, BackupError> {
    use age::armor::{ArmoredWriter, Format};
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r.as_ref() as &dyn age::Recipient))
        .map_err(|e| e.to_string())?;
    let mut armored = Vec::new();
    let writer = ArmoredWriter::wrap_output(&mut armored, Format::AsciiArmor).map_err(|e| e.to_string())?;
    let mut stream = encryptor.wrap_output(writer).map_err(|e| e.to_string())?;
    stream.write_all(plaintext).map_err(|e| e.to_string())?;
    stream.finish().and_then(|w| w.finish()).map_err(|e| e.to_string())?;
    String::from_utf8(armored).map_err(|e| e.to_string())
}

/// Every regular file under `dir`, relative, sorted.
fn state_files(dir: &Path) -> Result<BTreeMap<String, Vec<u8>>, BackupError> {
    let mut files = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).map_err(|e| format!("{}: {e}", current.display()))? {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path.strip_prefix(dir).expect("below dir").to_string_lossy().into_owned();
                files.insert(relative, std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?);
            }
        }
    }
    Ok(files)
}

/// Writes `export` for the state at `state`, reusing the ciphertexts of an existing export at the
/// same path. Returns how many files were encrypted anew.
pub fn export(state: &Path, path: &Path, recipients: &[String]) -> Result<usize, BackupError> {
    if recipients.is_empty() {
        return Err("at least one --recipient is needed".into());
    }
    let parsed: Vec<Box<dyn age::Recipient + Send>> =
        recipients.iter().map(|r| recipient(r)).collect::<Result<_, _>>()?;
    let files = state_files(state)?;
    if files.is_empty() {
        return Err(format!("{}: no state to export", state.display()));
    }
    let previous: Export = match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?,
        Err(_) => Export::default(),
    };
    let same_recipients = previous.recipients == recipients;
    let mut fresh = 0;
    let mut exported = Vec::new();
    for (name, bytes) in &files {
        let digest = blake3::hash(bytes).to_hex().to_string();
        let kept = previous.files.iter().find(|f| same_recipients && f.path == *name && f.blake3 == digest);
        let age = match kept {
            Some(file) => file.age.clone(),
            None => {
                fresh += 1;
                encrypt(&parsed, bytes)?
            }
        };
        exported.push(ExportedFile { path: name.clone(), blake3: digest, age });
    }
    let document = Export { version: 1, recipients: recipients.to_vec(), files: exported };
    let text = format!(
        "# hlc state export: the state directory, each file age-encrypted to the recipients below.\n\
         # Restore with `hlc state import {} --identity KEYFILE`.\n{}",
        path.display(),
        toml::to_string(&document).map_err(|e| e.to_string())?
    );
    if fresh > 0 || std::fs::read_to_string(path).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(fresh)
}

fn identities(file: &Path) -> Result<Vec<Box<dyn age::Identity>>, BackupError> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    if text.contains("AGE-SECRET-KEY-") {
        let parsed = age::IdentityFile::from_buffer(text.as_bytes()).map_err(|e| format!("{}: {e}", file.display()))?;
        let boxed = parsed.into_identities().map_err(|e| format!("{}: {e}", file.display()))?;
        return Ok(boxed.into_iter().map(|i| i as Box<dyn age::Identity>).collect());
    }
    let ssh = age::ssh::Identity::from_buffer(text.as_bytes(), Some(file.display().to_string()))
        .map_err(|e| format!("{}: not an age identity or SSH private key ({e})", file.display()))?;
    Ok(vec![Box::new(ssh.with_callbacks(age::NoCallbacks))])
}

/// Restores the export at `path` into `state` (created 0700, files 0600). Refuses to touch a
/// state directory that already holds other files; decrypts everything before writing anything.
pub fn import(path: &Path, state: &Path, identity: &Path) -> Result<usize, BackupError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let export: Export = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let keys = identities(identity)?;
    let mut plain = Vec::new();
    for file in &export.files {
        let decryptor = age::Decryptor::new_buffered(age::armor::ArmoredReader::new(file.age.as_bytes()))
            .map_err(|e| format!("{}: {e}", file.path))?;
        let mut reader = decryptor.decrypt(keys.iter().map(|k| k.as_ref())).map_err(|e| {
            format!("{}: cannot decrypt {} with {} ({e})", path.display(), file.path, identity.display())
        })?;
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        if blake3::hash(&bytes).to_hex().as_str() != file.blake3 {
            return Err(format!("{}: {} does not match its digest", path.display(), file.path));
        }
        plain.push((file.path.clone(), bytes));
    }
    if state.exists() {
        let existing = state_files(state)?;
        let differs = existing.iter().any(|(name, bytes)| plain.iter().all(|(p, b)| p != name || b != bytes));
        if differs {
            return Err(format!("{}: already holds other state; move it away first", state.display()));
        }
    }
    let store = crate::state::StateDir::open(state).map_err(|e| format!("{}: {e}", state.display()))?;
    for (name, bytes) in &plain {
        let text = std::str::from_utf8(bytes).map_err(|_| format!("{name}: not a text file"))?;
        store.write(name, text).map_err(|e| format!("{}/{name}: {e}", state.display()))?;
    }
    Ok(plain.len())
}
