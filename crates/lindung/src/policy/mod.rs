//! Policy: from cases to policy. Two instruments a government and the ASEAN bodies use:
//!
//! - [`legal`]: the legal-framework self-assessment on ASEAN's three tiers (a checklist
//!   template as data, dated versions of a country's answers, comparisons, consultations with
//!   children and young people, a printable report), and the hotline's national law table beside
//!   the tier-1 items it rests on;
//! - [`regional`]: the Regional Plan of Action indicators, computed from this deployment's own
//!   data per quarter with small cells suppressed, published as signed snapshots of aggregates,
//!   and, on a regional node, partners' snapshots verified and shown side by side.
//!
//! Policy sits above the other domains: it reads their tables for aggregates, and none of them
//! names it.

pub mod entities;
pub mod legal;
pub mod regional;

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DbErr;

use crate::access::Role;
use crate::hotline::config::HotlineConfig;
use crate::http::{AuthContext, Endpoint};
use crate::store::Store;
use crate::store::fields::FieldCipher;
use crate::store::reseal::SealedColumn;

/// What the policy domain needs: the store, the field cipher (for the signing key), and the
/// hotline's configuration (its national law table).
#[derive(Clone, Debug)]
pub struct PolicyContext {
    pub store: Store,
    pub fields: Arc<FieldCipher>,
    pub hotline_config: Arc<HotlineConfig>,
}

/// Who works with policy: policy officers and admins (of their own organisation's records).
pub const POLICY_ROLES: &[Role] = &[Role::PolicyOfficer, Role::Admin];

/// The languages of the policy pages.
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("th", "ไทย"), ("vi", "Tiếng Việt")];

/// The columns policy seals, for re-encryption after a key rotation.
pub const SEALED_COLUMNS: &[SealedColumn] = &[SealedColumn {
    table: "policy_signing_keys",
    column: "sealed_secret",
    context: "policy_signing_keys.sealed_secret",
    context_from: "organisation_id",
}];

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// A field is invalid; the first value names it.
    #[error("{1}")]
    Invalid(&'static str, String),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] DbErr),
    #[error("{0}")]
    Internal(String),
}

/// Every route of the policy domain.
pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    let mut all = legal::endpoints();
    all.extend(regional::endpoints());
    all
}
