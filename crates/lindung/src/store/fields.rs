//! Field-level encryption for identifying values (contacts, names): XChaCha20-Poly1305 with a
//! random nonce per value and the record's identity as associated data, so a ciphertext copied
//! into another row or column does not decrypt. Stored as `k<N>:<hex nonce><hex ciphertext>`:
//! the key id says which of the deployment's keys sealed it. New values are sealed with the
//! newest key; every key still opens its own values, so a rotation (`lindung keys rotate`)
//! re-encrypts in the background while both keys read.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use crate::helpers::{hex, unhex};

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
    #[error("a field is sealed with key {0}, which is not among the deployment's keys")]
    UnknownKey(String),
    #[error(
        "the keys come from LINDUNG_FIELD_KEY: add a new `k<N>:<64 hex digits>` entry there (keep the old ones)"
    )]
    KeyInEnvironment,
    #[error(
        "the key file {path} can be read by others (mode {mode:o}): run `chmod 600 {path}`",
        path = path.display()
    )]
    ReadableByOthers { path: std::path::PathBuf, mode: u32 },
}

/// Encrypts and decrypts identifying fields with the deployment's field keys.
#[derive(Clone)]
pub struct FieldCipher {
    /// Every key by id, oldest first; the last seals.
    keys: Vec<(String, XChaCha20Poly1305)>,
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
    /// One key, id `k1`.
    pub fn from_key(key: &[u8]) -> Result<Self, FieldError> {
        Self::from_keys(&[("k1".to_owned(), key.to_vec())])
    }

    /// Several keys, oldest first: the newest seals, each opens its own values.
    pub fn from_keys(keys: &[(String, Vec<u8>)]) -> Result<Self, FieldError> {
        let keys = keys
            .iter()
            .map(|(id, key)| {
                XChaCha20Poly1305::new_from_slice(key)
                    .map(|cipher| (id.clone(), cipher))
                    .map_err(|_| FieldError::BadKey)
            })
            .collect::<Result<Vec<_>, _>>()?;
        if keys.is_empty() {
            return Err(FieldError::BadKey);
        }
        Ok(FieldCipher { keys })
    }

    /// The id of the key new values are sealed with.
    pub fn current_id(&self) -> &str {
        self.keys.last().map_or("", |(id, _)| id.as_str())
    }

    /// A key that lives only as long as this process: for tests and tools that never keep
    /// encrypted data.
    pub fn ephemeral() -> Result<Self, FieldError> {
        Self::from_key(&random::<32>()?)
    }

    /// The deployment's keys (see [`super::keys`]): `LINDUNG_FIELD_KEY` if set, else the file
    /// `path`, created with a new random key on first use. Keep them out of database backups
    /// and back them up separately.
    pub fn from_environment_or_file(path: &std::path::Path) -> Result<Self, FieldError> {
        let keys = super::keys::load_field_keys(path)?;
        Self::from_keys(
            &keys
                .into_iter()
                .map(|(id, key)| (id, key.to_vec()))
                .collect::<Vec<_>>(),
        )
    }

    /// Whether `stored` is a sealed value (rather than a value an earlier version kept in the
    /// clear).
    pub fn is_sealed(stored: &str) -> bool {
        split_sealed(stored)
            .is_some_and(|(_, body)| body.len() >= 2 * (24 + 16) && unhex(body).is_some())
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
        let (id, cipher) = self.keys.last().ok_or(FieldError::BadKey)?;
        let sealed = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: value,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| FieldError::Undecryptable)?;
        Ok(format!("{id}:{}{}", hex(&nonce_bytes), hex(&sealed)))
    }

    pub fn open_bytes(&self, context: &str, stored: &str) -> Result<Vec<u8>, FieldError> {
        let (id, body) = split_sealed(stored).ok_or(FieldError::Undecryptable)?;
        let (_, cipher) = self
            .keys
            .iter()
            .find(|(known, _)| known == id)
            .ok_or(FieldError::UnknownKey(id.to_owned()))?;
        let bytes = unhex(body).ok_or(FieldError::Undecryptable)?;
        if bytes.len() < 24 {
            return Err(FieldError::Undecryptable);
        }
        let (nonce, sealed) = bytes.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| FieldError::Undecryptable)?;
        cipher
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

/// A sealed value's key id (`k` and digits) and body.
fn split_sealed(stored: &str) -> Option<(&str, &str)> {
    let (id, body) = stored.split_once(':')?;
    let digits = id.strip_prefix('k')?;
    (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())).then_some((id, body))
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
