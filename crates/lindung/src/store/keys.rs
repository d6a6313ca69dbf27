//! The deployment's secret key, and what is derived from it. The field key encrypts identifying
//! fields (`fields`); the audit key, derived from it, keys the audit chain, so that someone with
//! only database access cannot rebuild the chain after editing it. Neither is ever in the
//! database.
//!
//! The key comes from `LINDUNG_FIELD_KEY` (64 hex digits), else from a file:
//! `LINDUNG_FIELD_KEY_FILE`, else `field.key` in the data directory, created (readable by its
//! owner only) on first use. A key file others can read is refused.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{PoisonError, RwLock};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::fields::FieldError;
use crate::helpers::{hex, unhex};

/// The file the field key is read from (or created in) when `LINDUNG_FIELD_KEY` is not set.
pub fn field_key_path(data_dir: &Path) -> PathBuf {
    match std::env::var_os("LINDUNG_FIELD_KEY_FILE") {
        Some(path) if !path.is_empty() => PathBuf::from(path),
        _ => data_dir.join("field.key"),
    }
}

/// Whether the key lives where a copy of the data directory (a backup) takes it along with the
/// data it protects.
pub fn key_inside(data_dir: &Path, key_file: &Path) -> bool {
    if std::env::var_os("LINDUNG_FIELD_KEY").is_some() {
        return false;
    }
    let canonical = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    canonical(key_file).starts_with(canonical(data_dir))
}

/// The field keys, oldest first: `LINDUNG_FIELD_KEY`, else the file `path`, created with a new
/// random key on first use. A key is 64 hex digits, on its own line as `k<N>:<hex>`; a file (or
/// variable) holding only the hex digits is key `k1`.
pub fn load_field_keys(path: &Path) -> Result<Vec<(String, [u8; 32])>, FieldError> {
    if let Ok(text) = std::env::var("LINDUNG_FIELD_KEY") {
        return parse_ring(&text);
    }
    match std::fs::read_to_string(path) {
        Ok(text) => {
            refuse_if_others_can_read(path)?;
            parse_ring(&text)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Ok(vec![("k1".into(), create(path)?)])
        }
        Err(e) => Err(e.into()),
    }
}

/// The oldest field key, which the audit key is derived from (so a rotation of the field key
/// does not break the audit chain).
pub fn load_field_key(path: &Path) -> Result<[u8; 32], FieldError> {
    load_field_keys(path)?
        .into_iter()
        .next()
        .map(|(_, key)| key)
        .ok_or(FieldError::BadKey)
}

fn parse(text: &str) -> Result<[u8; 32], FieldError> {
    unhex(text.trim())
        .and_then(|bytes| <[u8; 32]>::try_from(bytes).ok())
        .ok_or(FieldError::BadKey)
}

fn parse_ring(text: &str) -> Result<Vec<(String, [u8; 32])>, FieldError> {
    let entries: Vec<&str> = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|e| !e.is_empty())
        .collect();
    let mut keys = Vec::with_capacity(entries.len());
    for entry in &entries {
        let (id, hex_key) = match entry.split_once(':') {
            Some((id, key)) => (id.to_owned(), key),
            None if entries.len() == 1 => ("k1".to_owned(), *entry),
            None => return Err(FieldError::BadKey),
        };
        let number: u32 = id
            .strip_prefix('k')
            .and_then(|n| n.parse().ok())
            .ok_or(FieldError::BadKey)?;
        if keys
            .iter()
            .any(|(known, _): &(String, [u8; 32])| *known == id)
            || number == 0
        {
            return Err(FieldError::BadKey);
        }
        keys.push((id, parse(hex_key)?));
    }
    if keys.is_empty() {
        return Err(FieldError::BadKey);
    }
    keys.sort_by_key(|(id, _)| id[1..].parse::<u32>().unwrap_or(u32::MAX));
    Ok(keys)
}

/// Adds a new key to the key file `path` (which must exist); returns its id. New values are
/// sealed with it from the next start; the old keys stay, to read what they sealed.
pub fn rotate(path: &Path) -> Result<String, FieldError> {
    if std::env::var_os("LINDUNG_FIELD_KEY").is_some() {
        return Err(FieldError::KeyInEnvironment);
    }
    let text = std::fs::read_to_string(path)?;
    refuse_if_others_can_read(path)?;
    let keys = parse_ring(&text)?;
    let next = keys
        .last()
        .and_then(|(id, _)| id[1..].parse::<u32>().ok())
        .map_or(1, |n| n + 1);
    let id = format!("k{next}");
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| FieldError::Random(e.to_string()))?;
    let mut lines: Vec<String> = keys
        .iter()
        .map(|(id, key)| format!("{id}:{}", hex(key)))
        .collect();
    lines.push(format!("{id}:{}", hex(&key)));
    // Written beside the old file and renamed over it: a crash leaves the old file or the new
    // one, never half of one.
    let fresh = path.with_extension("key.new");
    let _ = std::fs::remove_file(&fresh);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&fresh)?;
    std::io::Write::write_all(&mut file, (lines.join("\n") + "\n").as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&fresh, path)?;
    Ok(id)
}

#[cfg(unix)]
fn refuse_if_others_can_read(path: &Path) -> Result<(), FieldError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)?.permissions().mode();
    if mode & 0o077 != 0 {
        return Err(FieldError::ReadableByOthers {
            path: path.to_path_buf(),
            mode: mode & 0o777,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn refuse_if_others_can_read(_path: &Path) -> Result<(), FieldError> {
    Ok(())
}

fn create(path: &Path) -> Result<[u8; 32], FieldError> {
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| FieldError::Random(e.to_string()))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(mut file) => {
            std::io::Write::write_all(&mut file, hex(&key).as_bytes())?;
            Ok(key)
        }
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            parse(&std::fs::read_to_string(path)?)
        }
        Err(e) => Err(e.into()),
    }
}

/// The audit chain's key, derived from the field key (so there is one secret to keep).
pub fn audit_key(field_key: &[u8; 32]) -> [u8; 32] {
    keyed_digest(field_key, b"lindung-audit-chain-v1")
}

/// HMAC-SHA-256 of `message` under `key`.
pub fn keyed_digest(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// The audit keys of the stores this process opened, by their deployment id (a random id kept in
/// the database, which says which key is theirs but is no secret). Code that writes the chain
/// holds only a transaction; this is how it finds the key of the store the transaction is on.
static AUDIT_KEYS: RwLock<Option<HashMap<String, [u8; 32]>>> = RwLock::new(None);

pub(super) fn register_audit_key(deployment: &str, key: [u8; 32]) {
    AUDIT_KEYS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(deployment.to_owned(), key);
}

/// The audit key of the deployment `deployment`, if a store of it was opened in this process.
pub fn registered_audit_key(deployment: &str) -> Option<[u8; 32]> {
    AUDIT_KEYS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
        .and_then(|keys| keys.get(deployment).copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231, test case 2.
    #[test]
    fn hmac_sha256_matches_the_rfc_4231_vector() {
        assert_eq!(
            hex(&keyed_digest(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_others_can_read_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("field.key");
        let key = load_field_key(&path).expect("create");
        assert_eq!(load_field_key(&path).expect("read"), key);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let refused = load_field_key(&path).expect_err("world-readable");
        assert!(refused.to_string().contains("chmod 600"), "{refused}");
    }

    #[test]
    fn a_rotation_keeps_the_old_keys_and_the_newest_seals() {
        use crate::store::fields::FieldCipher;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("field.key");
        let first = load_field_key(&path).expect("create");
        let before = FieldCipher::from_environment_or_file(&path).expect("cipher");
        let sealed = before.seal("c:1", "value").expect("seal");
        assert!(sealed.starts_with("k1:"));
        assert_eq!(rotate(&path).expect("rotate"), "k2");
        assert_eq!(rotate(&path).expect("rotate"), "k3");
        let ring = load_field_keys(&path).expect("ring");
        let ids: Vec<&str> = ring.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["k1", "k2", "k3"]);
        assert_eq!(
            ring[0].1, first,
            "the oldest key, which the audit key comes from, stays"
        );
        let after = FieldCipher::from_environment_or_file(&path).expect("cipher");
        assert_eq!(
            after.open("c:1", &sealed).expect("old values read"),
            "value"
        );
        assert!(after.seal("c:1", "v").expect("seal").starts_with("k3:"));
        assert!(
            after
                .open("c:1", &sealed.replacen("k1:", "k9:", 1))
                .is_err()
        );
        // A file of bare hex digits is key k1; ids are unique and numbered from 1.
        assert_eq!(parse_ring(&hex(&first)).expect("bare")[0].0, "k1");
        assert!(parse_ring(&format!("k1:{0}\nk1:{0}", hex(&first))).is_err());
        assert!(parse_ring(&format!("k0:{}", hex(&first))).is_err());
        assert!(parse_ring("k1:abc").is_err());
    }

    #[test]
    fn a_key_inside_the_data_directory_is_noticed() {
        let data = tempfile::tempdir().expect("dir");
        let elsewhere = tempfile::tempdir().expect("dir");
        assert!(key_inside(data.path(), &data.path().join("field.key")));
        assert!(!key_inside(
            data.path(),
            &elsewhere.path().join("field.key")
        ));
    }
}
