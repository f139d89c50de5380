//! `hlc.lock`: every file of the tree with its blake3 digest, size, mode and secret flag, the
//! digest of the input, and a root digest over all entries.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockEntry {
    pub path: String,
    pub blake3: String,
    pub size: u64,
    pub mode: String,
    pub secret: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lock {
    pub version: u32,
    pub input: String,
    pub root: String,
    #[serde(rename = "file")]
    pub files: Vec<LockEntry>,
    /// The cluster's CA fingerprints (see `identity`); a later build refuses to replace them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identity: Vec<CaFingerprint>,
    /// What each node's seed was built from: the baseline `hlc diff` plans day-2 changes against.
    #[serde(default, rename = "node", skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<crate::lifecycle::NodeRecord>,
    /// Every certificate the tree ships, with its expiry (the certificates in use on the nodes).
    #[serde(default, rename = "certificate", skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<crate::lifecycle::CertificateRecord>,
}

/// One CA's fingerprint, as recorded in `hlc.lock` (`identity` compares them with the state).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaFingerprint {
    pub name: String,
    pub path: String,
    pub sha256: String,
}

pub const LOCK_FILE: &str = "hlc.lock";

impl LockEntry {
    pub fn new(path: &str, bytes: &[u8], mode: u32, secret: bool) -> LockEntry {
        LockEntry {
            path: path.to_string(),
            blake3: blake3::hash(bytes).to_hex().to_string(),
            size: bytes.len() as u64,
            mode: format!("{mode:04o}"),
            secret,
        }
    }

    pub fn mode_bits(&self) -> u32 {
        u32::from_str_radix(&self.mode, 8).unwrap_or(0o644)
    }
}

impl Lock {
    /// A lock over `files` (sorted by path by the caller) for an input with `input_digest`.
    pub fn new(input_digest: String, files: Vec<LockEntry>) -> Lock {
        let mut hasher = blake3::Hasher::new();
        for entry in &files {
            hasher.update(format!("{} {} {} {}\n", entry.path, entry.mode, entry.secret, entry.blake3).as_bytes());
        }
        Lock {
            version: 1,
            input: input_digest,
            root: hasher.finalize().to_hex().to_string(),
            files,
            identity: Vec::new(),
            nodes: Vec::new(),
            certificates: Vec::new(),
        }
    }

    /// This lock with one more file (kept in path order), the root digest over all of them.
    pub fn with_file(self, entry: LockEntry) -> Lock {
        let mut files = self.files;
        let at = files.partition_point(|e| e.path < entry.path);
        files.insert(at, entry);
        Lock {
            identity: self.identity,
            nodes: self.nodes,
            certificates: self.certificates,
            ..Lock::new(self.input, files)
        }
    }

    pub fn to_text(&self) -> String {
        let body = toml::to_string(self).expect("locks serialize");
        format!("# hlc.lock: every file hlc build wrote here, with its blake3 digest. Do not edit.\n{body}")
    }

    pub fn parse(text: &str) -> Option<Lock> {
        toml::from_str(text).ok()
    }

    pub fn entry(&self, path: &str) -> Option<&LockEntry> {
        self.files.binary_search_by(|e| e.path.as_str().cmp(path)).ok().map(|i| &self.files[i])
    }
}
