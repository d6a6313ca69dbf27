//! The legal-framework self-assessment on ASEAN's three tiers.

use axum::extract::FromRef;

use super::PolicyContext;
use crate::http::{AuthContext, Endpoint};

pub fn endpoints<S>() -> Vec<Endpoint<S>>
where
    S: Clone + Send + Sync + 'static,
    PolicyContext: FromRef<S>,
    AuthContext: FromRef<S>,
{
    Vec::new()
}
