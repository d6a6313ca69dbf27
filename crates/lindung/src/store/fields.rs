//! Field-level encryption for identifying values (contacts, names): XChaCha20-Poly1305 with a
//! random nonce per value and the record's identity as associated data, so a ciphertext copied
//! into another row or column does not decrypt. Stored as `k1:<hex nonce><hex ciphertext>`; the
//! key id prefix leaves room for key rotation.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::helpers::{hex, unhex};

const KEY_ID: &str = "k1";

#[derive(Debug, thiserror::Error)]
pub enum FieldError {
    #[error("the field key must be 64 hex digits (32 bytes)")]
    BadKey,
    #[error("reading or writing the field key: {0}")]
    Io(#[from] std::io::Error),
    #[error("an encrypted field is damaged or belongs to another record or key")]
    Undecryptable,
    #[error("no randomness available: {0}")]
    Random(String),
}

/// Encrypts and decrypts identifying fields with the deployment's field key.
#[derive(Clone)]
pub struct FieldCipher {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FieldCipher(..)")
    }
}

fn random<const N: usize>() -> Result<[u8; N], FieldError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| FieldError::Random(e.to_string()))?;
    Ok(bytes)
}

impl FieldCipher {
    pub fn from_key(key: &[u8]) -> Result<Self, FieldError> {
        Ok(FieldCipher {
            cipher: XChaCha20Poly1305::new_from_slice(key).map_err(|_| FieldError::BadKey)?,
        })
    }

    /// A key that lives only as long as this process: for tests and tools that never keep
    /// encrypted data.
    pub fn ephemeral() -> Result<Self, FieldError> {
        Self::from_key(&random::<32>()?)
    }

    /// The deployment's key: `LINDUNG_FIELD_KEY` (64 hex digits) if set, else the file `path`,
    /// created with a new random key (readable by the owner only) on first use. Keep the file,
    /// or the variable, out of database backups and back it up separately.
    pub fn from_environment_or_file(path: &std::path::Path) -> Result<Self, FieldError> {
        if let Ok(text) = std::env::var("LINDUNG_FIELD_KEY") {
            return Self::from_key(&unhex(text.trim()).ok_or(FieldError::BadKey)?);
        }
        match std::fs::read_to_string(path) {
            Ok(text) => Self::from_key(&unhex(text.trim()).ok_or(FieldError::BadKey)?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = random::<32>()?;
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                std::io::Write::write_all(&mut options.open(path)?, hex(&key).as_bytes())?;
                Self::from_key(&key)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `stored` is a sealed value (rather than a value an earlier version kept in the
    /// clear).
    pub fn is_sealed(stored: &str) -> bool {
        stored
            .strip_prefix(KEY_ID)
            .and_then(|s| s.strip_prefix(':'))
            .is_some_and(|body| body.len() >= 2 * (24 + 16) && unhex(body).is_some())
    }

    /// Encrypts `value` for the record named by `context` (say `selfreport_cases.contact:SR-…`).
    pub fn seal(&self, context: &str, value: &str) -> Result<String, FieldError> {
        self.seal_bytes(context, value.as_bytes())
    }

    /// Decrypts a value sealed for the same `context`.
    pub fn open(&self, context: &str, stored: &str) -> Result<String, FieldError> {
        String::from_utf8(self.open_bytes(context, stored)?).map_err(|_| FieldError::Undecryptable)
    }

    /// As [`FieldCipher::seal`], for bytes (evidence files).
    pub fn seal_bytes(&self, context: &str, value: &[u8]) -> Result<String, FieldError> {
        let nonce_bytes = random::<24>()?;
        let nonce = XNonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| FieldError::Undecryptable)?;
        Ok(format!("{KEY_ID}:{}{}", hex(&nonce_bytes), hex(&sealed)))
    }

    pub fn open_bytes(&self, context: &str, stored: &str) -> Result<Vec<u8>, FieldError> {
        let body = stored
            .strip_prefix(KEY_ID)
            .and_then(|s| s.strip_prefix(':'))
            .ok_or(FieldError::Undecryptable)?;
        let bytes = unhex(body).ok_or(FieldError::Undecryptable)?;
        if bytes.len() < 24 {
            return Err(FieldError::Undecryptable);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| FieldError::Undecryptable)?;
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: sealed,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| FieldError::Undecryptable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_in_their_own_context_and_key() {
        let cipher = FieldCipher::ephemeral().expect("key");
        let sealed = cipher
            .seal("cases.contact:1", "line: @someone")
            .expect("seal");
        assert!(!sealed.contains("someone"));
        assert_eq!(
            cipher.open("cases.contact:1", &sealed).expect("open"),
            "line: @someone"
        );
        assert!(cipher.open("cases.contact:2", &sealed).is_err());
        let other = FieldCipher::ephemeral().expect("key");
        assert!(other.open("cases.contact:1", &sealed).is_err());
        assert_ne!(
            sealed,
            cipher
                .seal("cases.contact:1", "line: @someone")
                .expect("seal"),
            "a fresh nonce each time"
        );
    }

    #[test]
    fn the_key_file_is_created_once_and_private() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("field.key");
        let first = FieldCipher::from_environment_or_file(&path).expect("create");
        let sealed = first.seal("c", "v").expect("seal");
        let again = FieldCipher::from_environment_or_file(&path).expect("read");
        assert_eq!(again.open("c", &sealed).expect("open"), "v");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
