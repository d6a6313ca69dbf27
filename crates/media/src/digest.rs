use md5::{Digest, Md5};
use sha2::Sha256;

/// Cryptographic digests of the raw file bytes, for exact matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digests {
    /// MD5 (16 bytes): what NCMEC and `video_md5` signals use.
    pub md5: [u8; 16],
    /// SHA-256 (32 bytes).
    pub sha256: [u8; 32],
}

impl Digests {
    /// Digests `bytes` with both algorithms, one cache-friendly chunk at a time so the data is
    /// read from memory once.
    pub fn of(bytes: &[u8]) -> Self {
        let (mut md5, mut sha) = (Md5::new(), Sha256::new());
        for chunk in bytes.chunks(64 * 1024) {
            md5.update(chunk);
            sha.update(chunk);
        }
        Digests {
            md5: md5.finalize().into(),
            sha256: sha.finalize().into(),
        }
    }

    /// Digests a stream (a large video) without holding it in memory.
    pub fn of_reader(mut reader: impl std::io::Read) -> std::io::Result<Self> {
        let (mut md5, mut sha) = (Md5::new(), Sha256::new());
        let mut buffer = vec![0u8; 256 * 1024];
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            md5.update(&buffer[..n]);
            sha.update(&buffer[..n]);
        }
        Ok(Digests {
            md5: md5.finalize().into(),
            sha256: sha.finalize().into(),
        })
    }

    /// MD5 as 32 lowercase hex digits.
    pub fn md5_hex(&self) -> String {
        hex(&self.md5)
    }

    /// SHA-256 as 64 lowercase hex digits.
    pub fn sha256_hex(&self) -> String {
        hex(&self.sha256)
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
