//! Caseload indicators: open cases by risk, time from registration to the first service,
//! services delivered by type, referral answers and closure reasons. Supervisors see their
//! organisation's figures, admins and researchers everyone's; for researchers every count from 1
//! to 4 is suppressed (shown as `"<5"`), so that no small group of children can be singled out.

use std::collections::BTreeMap;

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde::Serialize;
use serde_json::Value;

use super::CareError;
use super::entities::{case, referral, service};
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::{Principal, Role};
use crate::store::Store;

/// Counts below this are suppressed for researchers.
pub const SMALL_CELL: u64 = 5;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Indicators {
    pub open_cases_by_risk: BTreeMap<String, Value>,
    /// Median days from registration to the first planned service (`null` with fewer than
    /// five cases for researchers).
    pub median_days_to_first_service: Option<f64>,
    pub services_delivered_by_type: BTreeMap<String, Value>,
    pub referrals_by_answer: BTreeMap<String, Value>,
    pub closure_reasons: BTreeMap<String, Value>,
    /// Whether small counts were suppressed.
    pub suppressed: bool,
}

fn cell(count: u64, suppress: bool) -> Value {
    if suppress && (1..SMALL_CELL).contains(&count) {
        Value::from(format!("<{SMALL_CELL}"))
    } else {
        Value::from(count)
    }
}

fn tally<'a>(keys: impl Iterator<Item = &'a str>, suppress: bool) -> BTreeMap<String, Value> {
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for key in keys {
        *counts.entry(key.to_owned()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| (k, cell(n, suppress)))
        .collect()
}

pub async fn indicators(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
) -> Result<Indicators, CareError> {
    let scope = match principal.role {
        Role::Admin | Role::Researcher => None,
        Role::Supervisor => Some(principal.organisation_id),
        _ => return Err(CareError::Forbidden),
    };
    let suppress = principal.role == Role::Researcher;
    let txn = store.write().await?;
    let mut query = case::Entity::find();
    if let Some(org) = scope {
        query = query.filter(case::Column::OrganisationId.eq(org));
    }
    let cases: Vec<case::Model> = query.all(&txn).await?;
    let ids: std::collections::HashSet<i64> = cases.iter().map(|c| c.id).collect();
    let in_scope = |case_id: i64| ids.contains(&case_id);
    let services: Vec<service::Model> = service::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .filter(|s| in_scope(s.case_id))
        .collect();
    let referrals: Vec<referral::Model> = referral::Entity::find()
        .all(&txn)
        .await?
        .into_iter()
        .filter(|r| in_scope(r.case_id))
        .collect();

    let mut first_service: std::collections::HashMap<i64, time::OffsetDateTime> =
        std::collections::HashMap::new();
    for s in &services {
        let first = first_service.entry(s.case_id).or_insert(s.planned_at);
        *first = (*first).min(s.planned_at);
    }
    let mut days: Vec<f64> = cases
        .iter()
        .filter_map(|c| {
            first_service
                .get(&c.id)
                .map(|first| (*first - c.created_at).as_seconds_f64() / 86_400.0)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = if days.is_empty() || (suppress && (days.len() as u64) < SMALL_CELL) {
        None
    } else if days.len() % 2 == 1 {
        Some(days[days.len() / 2])
    } else {
        Some((days[days.len() / 2 - 1] + days[days.len() / 2]) / 2.0)
    };
    let result = Indicators {
        open_cases_by_risk: tally(
            cases
                .iter()
                .filter(|c| c.closed_at.is_none())
                .map(|c| c.risk_level.as_str()),
            suppress,
        ),
        median_days_to_first_service: median,
        services_delivered_by_type: tally(
            services
                .iter()
                .filter(|s| s.status == super::ServiceStatus::Delivered)
                .map(|s| s.service.as_str()),
            suppress,
        ),
        referrals_by_answer: tally(referrals.iter().map(|r| r.status.as_str()), suppress),
        closure_reasons: tally(
            cases
                .iter()
                .filter(|c| c.closed_at.is_some())
                .filter_map(|c| c.closure_reason.as_deref()),
            suppress,
        ),
        suppressed: suppress,
    };
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new("care.indicators.read", "care_case", None).detail("suppressed", suppress),
    )
    .await?;
    Ok(result)
}
