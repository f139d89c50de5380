//! The cluster PKI: which certificates exist (`spec`), how keys are made (`keys`), and issuing or
//! reusing them from the state directory (`issue`). Also the bootstrap token.

pub mod issue;
pub mod keys;
pub mod spec;

use rand_core::RngCore;

use crate::state::StateDir;

pub use issue::Credential;

/// The kubeadm bootstrap token (`[a-z0-9]{6}.[a-z0-9]{16}`), made once and kept in the state.
pub fn bootstrap_token(state: &StateDir) -> std::io::Result<String> {
    if let Some(token) = state.read("token")? {
        let token = token.trim().to_string();
        if is_bootstrap_token(&token) {
            return Ok(token);
        }
    }
    let token = format!("{}.{}", random_token_part(6), random_token_part(16));
    state.write("token", &token)?;
    Ok(token)
}

/// `length` random characters of `[a-z0-9]`, by rejection sampling (no modulo bias).
fn random_token_part(length: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let limit = 256 - 256 % ALPHABET.len();
    let mut out = String::with_capacity(length);
    while out.len() < length {
        let mut byte = [0u8; 1];
        rand_core::OsRng.fill_bytes(&mut byte);
        if usize::from(byte[0]) < limit {
            out.push(ALPHABET[usize::from(byte[0]) % ALPHABET.len()] as char);
        }
    }
    out
}

/// Whether `token` has kubeadm's bootstrap token form.
pub fn is_bootstrap_token(token: &str) -> bool {
    let valid = |part: &str, length: usize| {
        part.len() == length && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    matches!(token.split_once('.'), Some((id, secret)) if valid(id, 6) && valid(secret, 16))
}
