//! The organisation's Ed25519 signing key, and signed envelopes: a snapshot's exact bytes
//! (`body`), the signature over them and the public key that made it. Verification reads the
//! bytes as sent, so it never depends on how anyone re-serialises JSON.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

use super::RegionalError;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::policy::PolicyContext;
use crate::policy::entities::signing_key;

/// A signed snapshot as it travels between deployments.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    /// The snapshot JSON, exactly as signed.
    pub body: String,
    /// Base64 of the Ed25519 signature over the bytes of `body`.
    pub signature: String,
    /// Base64 of the signer's 32-byte Ed25519 public key.
    pub public_key: String,
}

fn sealing_context(organisation_id: i32) -> String {
    format!("policy_signing_keys.sealed_secret:{organisation_id}")
}

/// The organisation's key pair, made (and its making audited) on first use.
pub async fn key_pair(
    ctx: &PolicyContext,
    actor: &Actor,
    organisation_id: i32,
) -> Result<(Ed25519KeyPair, String), RegionalError> {
    if let Some(found) = stored_key(ctx, organisation_id).await? {
        return open(ctx, &found);
    }
    let rng = SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| RegionalError::Internal("generating a signing key failed".into()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| RegionalError::Internal("reading the new signing key failed".into()))?;
    let public_key = STANDARD.encode(pair.public_key().as_ref());
    let sealed = ctx
        .fields
        .seal(
            &sealing_context(organisation_id),
            &STANDARD.encode(pkcs8.as_ref()),
        )
        .map_err(|e| RegionalError::Internal(e.to_string()))?;
    let txn = ctx.store.write().await?;
    let inserted = signing_key::ActiveModel {
        organisation_id: Set(organisation_id),
        public_key: Set(public_key.clone()),
        sealed_secret: Set(sealed),
        created_at: Set(crate::helpers::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(row) => {
            audit::commit_with(
                txn,
                actor,
                AuditEvent::new(
                    "policy.key.create",
                    "policy_signing_key",
                    Some(row.id.to_string()),
                )
                .detail("public_key", public_key.clone()),
            )
            .await?;
            Ok((pair, public_key))
        }
        Err(error) => {
            // Another request made the key first (one key per organisation): use that one.
            drop(txn);
            match stored_key(ctx, organisation_id).await? {
                Some(found) => open(ctx, &found),
                None => Err(error.into()),
            }
        }
    }
}

async fn stored_key(
    ctx: &PolicyContext,
    organisation_id: i32,
) -> Result<Option<signing_key::Model>, RegionalError> {
    Ok(signing_key::Entity::find()
        .filter(signing_key::Column::OrganisationId.eq(organisation_id))
        .one(ctx.store.db())
        .await?)
}

fn open(
    ctx: &PolicyContext,
    row: &signing_key::Model,
) -> Result<(Ed25519KeyPair, String), RegionalError> {
    let internal = |what: &str| RegionalError::Internal(format!("the signing key: {what}"));
    let text = ctx
        .fields
        .open(&sealing_context(row.organisation_id), &row.sealed_secret)
        .map_err(|e| internal(&e.to_string()))?;
    let pkcs8 = STANDARD
        .decode(text.as_bytes())
        .map_err(|_| internal("not base64"))?;
    let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| internal("not PKCS#8"))?;
    Ok((pair, row.public_key.clone()))
}

/// Signs `body` (the exact bytes that travel).
pub fn sign(pair: &Ed25519KeyPair, public_key: &str, body: String) -> Envelope {
    let signature = STANDARD.encode(pair.sign(body.as_bytes()).as_ref());
    Envelope {
        body,
        signature,
        public_key: public_key.to_owned(),
    }
}

/// A base64 Ed25519 public key: 32 bytes, not a weak one ([`weak_public_key`]).
pub fn decode_public_key(text: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(text.trim().as_bytes())
        .ok()
        .filter(|bytes| bytes.len() == 32 && !weak_public_key(bytes))
}

/// The encodings (y, sign bit clear) of the points of small order: the identity, the point of
/// order 2, and those of order 4 and 8.
const SMALL_ORDER: [[u8; 32]; 5] = [
    hex32("0100000000000000000000000000000000000000000000000000000000000000"),
    hex32("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex32("0000000000000000000000000000000000000000000000000000000000000000"),
    hex32("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex32("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
];

const fn hex32(text: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not hex"),
        }
    }
    let bytes = text.as_bytes();
    assert!(bytes.len() == 64, "64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = nibble(bytes[2 * i]) << 4 | nibble(bytes[2 * i + 1]);
        i += 1;
    }
    out
}

/// Whether a 32-byte public key is of small order (with the sign bit set or not), or a y of
/// 2^255 - 19 or more (not a canonical encoding; 2^255 - 19 and 2^255 - 18 are 0 and 1 again).
/// Against a small-order key a made-up signature (R the identity, S = 0) verifies over any
/// body, so such a key proves nothing of who signed.
pub fn weak_public_key(key: &[u8]) -> bool {
    let Ok(mut y) = <[u8; 32]>::try_from(key) else {
        return true;
    };
    y[31] &= 0x7f;
    // y >= p = 2^255 - 19: ed ff .. ff 7f, little-endian.
    let non_canonical = y[31] == 0x7f && y[1..31].iter().all(|b| *b == 0xff) && y[0] >= 0xed;
    non_canonical || SMALL_ORDER.contains(&y)
}

/// Whether `envelope.signature` is `public_key`'s signature over the bytes of its body.
pub fn verify(envelope: &Envelope, public_key: &[u8]) -> Result<(), RegionalError> {
    let signature = STANDARD
        .decode(envelope.signature.trim().as_bytes())
        .ok()
        .filter(|bytes| bytes.len() == 64)
        .ok_or_else(|| {
            RegionalError::invalid("signature", "the signature is not 64 bytes of base64")
        })?;
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(envelope.body.as_bytes(), &signature)
        .map_err(|_| RegionalError::BadSignature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_the_exact_bytes_of_the_body() {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
        let public = STANDARD.encode(pair.public_key().as_ref());
        let key = decode_public_key(&public).expect("32 bytes");
        let envelope = sign(&pair, &public, "{\"a\": 1}".to_owned());
        assert!(verify(&envelope, &key).is_ok());
        // The same JSON written differently is other bytes: refused.
        let respaced = Envelope {
            body: "{\"a\":1}".to_owned(),
            ..envelope.clone()
        };
        assert!(matches!(
            verify(&respaced, &key),
            Err(RegionalError::BadSignature)
        ));
        let garbled = Envelope {
            signature: "AAAA".to_owned(),
            ..envelope
        };
        assert!(matches!(
            verify(&garbled, &key),
            Err(RegionalError::Invalid(..))
        ));
        assert!(decode_public_key("c2hvcnQ=").is_none());
    }

    #[test]
    fn small_order_keys_are_refused() {
        // Why: against the identity, the signature (R = identity, S = 0) verifies any body.
        let identity = hex32("0100000000000000000000000000000000000000000000000000000000000000");
        let mut forged = [0u8; 64];
        forged[0] = 1;
        assert!(
            UnparsedPublicKey::new(&ED25519, &identity)
                .verify(b"any body at all", &forged)
                .is_ok(),
            "the forgery the check prevents"
        );
        let listed = [
            "0100000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000000",
            "0000000000000000000000000000000000000000000000000000000000000080",
            "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
            "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
            // Non-canonical encodings of 0 and 1.
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        ];
        for text in listed {
            let key = hex32(text);
            let mut signed = key;
            signed[31] ^= 0x80;
            for k in [key, signed] {
                assert!(weak_public_key(&k), "{text}");
                assert!(decode_public_key(&STANDARD.encode(k)).is_none(), "{text}");
            }
        }
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).expect("key");
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
        let public = STANDARD.encode(pair.public_key().as_ref());
        assert!(decode_public_key(&public).is_some(), "a real key is taken");
    }
}
