//! Snapshots: this deployment's figures of a quarter as a dated document of aggregates only,
//! and the strict reading of a partner's.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::RegionalError;
use super::catalogue::{catalogue, valid_id};
use super::compute;
use super::figures::{IndicatorFigure, Quarter};
use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::policy::PolicyContext;

/// The format (and version) of a snapshot's body.
pub const FORMAT: &str = "lindung-rpa-snapshot/1";

/// The most indicators a snapshot may hold, and breakdown entries per indicator.
const MAX_INDICATORS: usize = 256;
const MAX_BREAKDOWN: usize = 64;

/// A quarter's figures: nothing in it names a person, a report or a case.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Snapshot {
    /// `lindung-rpa-snapshot/1`.
    pub format: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// `2026-Q3`.
    pub quarter: String,
    /// RFC 3339.
    pub generated_at: String,
    pub indicators: Vec<IndicatorFigure>,
}

/// The deployment's country, as snapshots name it.
pub fn own_country(ctx: &PolicyContext) -> String {
    ctx.hotline_config.country.trim().to_ascii_uppercase()
}

/// Computes this deployment's snapshot of `quarter` (an ended one) for `organisation_id`;
/// the caller audits.
pub async fn compute_snapshot(
    ctx: &PolicyContext,
    organisation_id: i32,
    quarter: Quarter,
) -> Result<Snapshot, RegionalError> {
    let country = own_country(ctx);
    let indicators =
        compute::indicators(&ctx.store, catalogue(), quarter, &country, organisation_id).await?;
    Ok(Snapshot {
        format: FORMAT.to_owned(),
        country,
        quarter: quarter.to_string(),
        generated_at: crate::helpers::rfc3339(crate::helpers::now()),
        indicators,
    })
}

/// The figures of `quarter`, unsigned, for the caller to read (audited).
pub async fn read_indicators(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    quarter: Quarter,
) -> Result<Snapshot, RegionalError> {
    let snapshot = compute_snapshot(ctx, principal.organisation_id, quarter).await?;
    audit::record(
        &ctx.store,
        actor,
        AuditEvent::new("policy.indicators.read", "policy_indicators", None)
            .detail("quarter", quarter.to_string())
            .detail("organisation", principal.organisation_id),
    )
    .await?;
    Ok(snapshot)
}

/// Reads a partner's snapshot body strictly: unknown fields refused, the format known, the
/// quarter well formed, every figure's value agreeing with its state.
pub fn parse(body: &str) -> Result<(Snapshot, Quarter, time::OffsetDateTime), RegionalError> {
    let snapshot: Snapshot = serde_json::from_str(body)
        .map_err(|e| RegionalError::invalid("body", format!("the snapshot cannot be read: {e}")))?;
    if snapshot.format != FORMAT {
        return Err(RegionalError::invalid(
            "body.format",
            format!("unknown snapshot format; this server reads {FORMAT}"),
        ));
    }
    let quarter = Quarter::parse(&snapshot.quarter).ok_or_else(|| {
        RegionalError::invalid("body.quarter", "a quarter is written like 2026-Q3")
    })?;
    if !valid_country(&snapshot.country) {
        return Err(RegionalError::invalid(
            "body.country",
            "a country is two capital letters (ISO 3166-1)",
        ));
    }
    let generated_at = crate::helpers::parse_rfc3339(&snapshot.generated_at).map_err(|_| {
        RegionalError::invalid("body.generated_at", "generated_at is not an RFC 3339 time")
    })?;
    if snapshot.indicators.len() > MAX_INDICATORS {
        return Err(RegionalError::invalid(
            "body.indicators",
            format!("at most {MAX_INDICATORS} indicators"),
        ));
    }
    let mut seen = HashSet::new();
    for (i, figure) in snapshot.indicators.iter().enumerate() {
        let field = |name: &str| format!("body.indicators[{i}].{name}");
        if !valid_id(&figure.id) || !seen.insert(figure.id.as_str()) {
            return Err(RegionalError::invalid(
                field("id"),
                "an indicator id is unique, of a-z, 0-9 and _",
            ));
        }
        if !valid_id(&figure.area) {
            return Err(RegionalError::invalid(
                field("area"),
                "an area id is of a-z, 0-9 and _",
            ));
        }
        if !figure.figure().consistent() {
            return Err(RegionalError::invalid(
                field("value"),
                "a value is given exactly when the state is reported",
            ));
        }
        if let Some(breakdown) = &figure.breakdown
            && (breakdown.len() > MAX_BREAKDOWN
                || breakdown
                    .iter()
                    .any(|(key, f)| !valid_id(key) || !f.consistent()))
        {
            return Err(RegionalError::invalid(
                field("breakdown"),
                "a breakdown names its parts by id, each with a value exactly when reported",
            ));
        }
    }
    Ok((snapshot, quarter, generated_at))
}

/// Two capital letters.
pub fn valid_country(country: &str) -> bool {
    country.len() == 2 && country.bytes().all(|b| b.is_ascii_uppercase())
}

/// This deployment's snapshot of `quarter`, signed with the organisation's key (made on first
/// use); the publication is audited.
pub async fn publish(
    ctx: &PolicyContext,
    actor: &Actor,
    principal: &Principal,
    quarter: Quarter,
) -> Result<super::signing::Envelope, RegionalError> {
    let (pair, public_key) =
        super::signing::key_pair(ctx, actor, principal.organisation_id).await?;
    let snapshot = compute_snapshot(ctx, principal.organisation_id, quarter).await?;
    let body =
        serde_json::to_string(&snapshot).map_err(|e| RegionalError::Internal(e.to_string()))?;
    let envelope = super::signing::sign(&pair, &public_key, body);
    audit::record(
        &ctx.store,
        actor,
        AuditEvent::new("policy.snapshot.publish", "policy_snapshot", None)
            .detail("quarter", quarter.to_string())
            .detail("country", snapshot.country)
            .detail("generated_at", snapshot.generated_at),
    )
    .await?;
    Ok(envelope)
}
