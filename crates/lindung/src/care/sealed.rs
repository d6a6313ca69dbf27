//! The care fields that say something about a child beyond the identity document: a referral's
//! snapshot of the case (name, birth date, location as shared), consent evidence, service
//! outcomes and a supervisor's reason to override consent. Each is sealed with the field key,
//! bound to its column and case, like the identity; none is ever stored in the clear.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::CareError;
use super::entities::{consent, referral, service};
use crate::store::Store;
use crate::store::fields::FieldCipher;

/// A sealed care field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Sealed {
    ReferralSnapshot,
    ConsentEvidence,
    ServiceOutcome,
    OverrideReason,
}

impl Sealed {
    fn context(self, case_id: i64) -> String {
        let column = match self {
            Sealed::ReferralSnapshot => "care_referrals.shared",
            Sealed::ConsentEvidence => "care_consents.evidence",
            Sealed::ServiceOutcome => "care_services.outcome",
            Sealed::OverrideReason => "care_override.reason",
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
pub async fn seal_plaintext(store: &Store, cipher: &FieldCipher) -> Result<usize, CareError> {
    let mut sealed = 0;
    for row in referral::Entity::find().all(store.db()).await? {
        if !FieldCipher::is_sealed(&row.shared) {
            let value = Sealed::ReferralSnapshot.seal(cipher, row.case_id, &row.shared)?;
            referral::Entity::update_many()
                .col_expr(referral::Column::Shared, Expr::value(value))
                .filter(referral::Column::Id.eq(row.id))
                .exec(store.db())
                .await?;
            sealed += 1;
        }
    }
    for row in consent::Entity::find().all(store.db()).await? {
        if !FieldCipher::is_sealed(&row.evidence) {
            let value = Sealed::ConsentEvidence.seal(cipher, row.case_id, &row.evidence)?;
            consent::Entity::update_many()
                .col_expr(consent::Column::Evidence, Expr::value(value))
                .filter(consent::Column::Id.eq(row.id))
                .exec(store.db())
                .await?;
            sealed += 1;
        }
    }
    for row in service::Entity::find().all(store.db()).await? {
        if let Some(outcome) = row.outcome.as_deref()
            && !FieldCipher::is_sealed(outcome)
        {
            let value = Sealed::ServiceOutcome.seal(cipher, row.case_id, outcome)?;
            service::Entity::update_many()
                .col_expr(service::Column::Outcome, Expr::value(value))
                .filter(service::Column::Id.eq(row.id))
                .exec(store.db())
                .await?;
            sealed += 1;
        }
    }
    Ok(sealed)
}
