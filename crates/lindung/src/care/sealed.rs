//! The care fields that say something about a child beyond the identity document: a referral's
//! snapshot of the case (name, birth date, location as shared), consent evidence, service
//! outcomes and a supervisor's reason to override consent. Each is sealed with the field key,
//! bound to its column and case, like the identity; none is ever stored in the clear.

use super::CareError;
use crate::store::Store;
use crate::store::fields::FieldCipher;
use crate::store::reseal::{self, SealedColumn};

/// A sealed care field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sealed {
    ReferralSnapshot,
    ConsentEvidence,
    ServiceOutcome,
    OverrideReason,
    /// Why the receiving organisation rejected a referral: it may say something of the child.
    ReferralReason,
}

impl Sealed {
    fn context(self, case_id: i64) -> String {
        let column = match self {
            Sealed::ReferralSnapshot => "care_referrals.shared",
            Sealed::ConsentEvidence => "care_consents.evidence",
            Sealed::ServiceOutcome => "care_services.outcome",
            Sealed::OverrideReason => "care_override.reason",
            Sealed::ReferralReason => "care_referrals.reason",
        };
        format!("{column}:{case_id}")
    }

    pub(super) fn seal(
        self,
        cipher: &FieldCipher,
        case_id: i64,
        value: &str,
    ) -> Result<String, CareError> {
        cipher
            .seal(&self.context(case_id), value)
            .map_err(|e| CareError::Internal(e.to_string()))
    }

    pub(super) fn open(
        self,
        cipher: &FieldCipher,
        case_id: i64,
        stored: &str,
    ) -> Result<String, CareError> {
        cipher
            .open(&self.context(case_id), stored)
            .map_err(|e| CareError::Internal(e.to_string()))
    }
}

/// Seals what an earlier version stored in the clear (referral snapshots, consent evidence,
/// service outcomes). Run at start, before any request; returns how many values it sealed.
pub async fn seal_plaintext(store: &Store, cipher: &FieldCipher) -> Result<u64, CareError> {
    let once_in_the_clear: Vec<SealedColumn> = super::SEALED_COLUMNS
        .iter()
        .filter(|c| ["care_referrals", "care_consents", "care_services"].contains(&c.table))
        .copied()
        .collect();
    Ok(
        reseal::seal_values_in_the_clear(store, cipher, &once_in_the_clear)
            .await?
            .resealed,
    )
}
