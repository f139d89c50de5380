//! Private keys: ECDSA P-256 through rcgen/ring, RSA-2048 through the `rsa` crate (ring cannot
//! generate RSA keys), both as PKCS#8 PEM.

use rcgen::KeyPair;
use rsa::pkcs8::{EncodePrivateKey, LineEnding};

use crate::model::KeyType;

/// Why a key could not be made or read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

/// A fresh private key of `key_type`.
pub fn generate(key_type: KeyType) -> Result<KeyPair, KeyError> {
    match key_type {
        KeyType::EcdsaP256 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| KeyError(e.to_string()))
        }
        KeyType::Rsa2048 => {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 2048).map_err(|e| KeyError(e.to_string()))?;
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| KeyError(e.to_string()))?;
            KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256).map_err(|e| KeyError(e.to_string()))
        }
    }
}

/// Reads a PKCS#8 PEM key of `key_type`.
pub fn load(pem: &str, key_type: KeyType) -> Result<KeyPair, KeyError> {
    let algorithm = match key_type {
        KeyType::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
        KeyType::Rsa2048 => &rcgen::PKCS_RSA_SHA256,
    };
    KeyPair::from_pem_and_sign_algo(pem, algorithm).map_err(|e| KeyError(e.to_string()))
}

/// The public half as a PEM `PUBLIC KEY` (SubjectPublicKeyInfo), as kubeadm's `sa.pub` is.
pub fn public_pem(key: &KeyPair) -> String {
    key.public_key_pem()
}
