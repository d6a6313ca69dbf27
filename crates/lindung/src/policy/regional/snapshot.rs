//! Snapshots: this deployment's figures of a quarter as a dated document of aggregates only,
//! and the strict reading of a partner's.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::RegionalError;
use super::catalogue::{Metric, catalogue, valid_id};
use super::compute;
use super::figures::{Figure, FigureState, IndicatorFigure, Quarter, SMALL_CELL};
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
/// quarter well formed, every figure's value agreeing with its state and fit for its kind (see
/// [`check_value`]). `generated_at` comes back in UTC, to the microsecond (as stored).
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
    let generated_at = crate::helpers::parse_rfc3339(&snapshot.generated_at)
        .ok()
        .map(|t| t.to_offset(time::UtcOffset::UTC))
        .and_then(|t| t.replace_nanosecond(t.nanosecond() / 1000 * 1000).ok())
        .ok_or_else(|| {
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
        let kind = kind_of(&figure.id);
        if let Err(why) = check_value(kind, &figure.figure()) {
            return Err(RegionalError::invalid(field("value"), why));
        }
        if let Some(breakdown) = &figure.breakdown {
            if breakdown.len() > MAX_BREAKDOWN
                || breakdown
                    .iter()
                    .any(|(key, f)| !valid_id(key) || !f.consistent())
            {
                return Err(RegionalError::invalid(
                    field("breakdown"),
                    "a breakdown names its parts by id, each with a value exactly when reported",
                ));
            }
            if let Some(why) = breakdown.values().find_map(|f| check_value(kind, f).err()) {
                return Err(RegionalError::invalid(field("breakdown"), why));
            }
        }
    }
    Ok((snapshot, quarter, generated_at))
}

/// What a figure's value is, by its metric in the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    /// A number of things: whole, 0 or at least [`SMALL_CELL`] (smaller ones are suppressed).
    Count,
    /// A share, from 0 to 1.
    Share,
    /// A median or percentile of hours or days: not negative.
    Duration,
    /// An indicator this catalogue does not have: not negative.
    Other,
}

/// The kind of a metric's value (every metric named: a new one must be placed here).
pub fn metric_kind(metric: Metric) -> ValueKind {
    match metric {
        Metric::ReportsReceived
        | Metric::ReportsReferredToPolice
        | Metric::CareCasesOpened
        | Metric::SelfReportCases
        | Metric::HashesShared
        | Metric::HashesReceived
        | Metric::EducationProgrammes
        | Metric::ConsultationsHeld => ValueKind::Count,
        Metric::ReportsFromItCompaniesShare | Metric::LegalAssessmentItemsMet => ValueKind::Share,
        Metric::MedianHoursToRemoval
        | Metric::P90HoursToRemoval
        | Metric::MedianDaysToFirstService => ValueKind::Duration,
    }
}

/// The kind of the indicator `id` of a snapshot, by this deployment's catalogue.
fn kind_of(id: &str) -> ValueKind {
    catalogue()
        .indicators()
        .find(|(_, indicator)| indicator.id == id)
        .map_or(ValueKind::Other, |(_, indicator)| {
            metric_kind(indicator.metric)
        })
}

/// Whether a reported value can be a figure of its kind: never negative; a count whole and
/// never a small cell (1 to 4 are published only as suppressed); a share from 0 to 1. A
/// partner's snapshot is re-checked on import, so a node never shows what no deployment may
/// publish.
pub fn check_value(kind: ValueKind, figure: &Figure) -> Result<(), String> {
    let Some(value) = figure
        .value
        .filter(|_| figure.state == FigureState::Reported)
    else {
        return Ok(());
    };
    if !value.is_finite() || value < 0.0 {
        return Err("a value is a number, never negative".into());
    }
    match kind {
        ValueKind::Count if value.fract() != 0.0 => Err("a count is a whole number".into()),
        ValueKind::Count if value > 0.0 && value < SMALL_CELL as f64 => Err(format!(
            "a count from 1 to {} is a small cell: it is sent as suppressed, without its value",
            SMALL_CELL - 1
        )),
        ValueKind::Share if value > 1.0 => Err("a share is from 0 to 1".into()),
        _ => Ok(()),
    }
}

/// How far ahead of this server's clock a snapshot's `generated_at` may be (clocks differ).
const CLOCK_SKEW: time::Duration = time::Duration::days(1);

/// A snapshot is made after its quarter ended (the figures of an unfinished quarter still
/// change) and not later than now, give or take a day of clock difference: a snapshot dated far
/// ahead would block every later update of its quarter.
pub fn check_generated_at(
    quarter: Quarter,
    generated_at: time::OffsetDateTime,
    now: time::OffsetDateTime,
) -> Result<(), RegionalError> {
    if generated_at < quarter.end() {
        return Err(RegionalError::invalid(
            "body.generated_at",
            format!("a snapshot of {quarter} is made after the quarter ended"),
        ));
    }
    if generated_at > now + CLOCK_SKEW {
        return Err(RegionalError::invalid(
            "body.generated_at",
            "generated_at is in the future",
        ));
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    fn reported(value: f64) -> Figure {
        Figure {
            value: Some(value),
            state: FigureState::Reported,
        }
    }

    #[test]
    fn every_catalogue_indicator_has_a_kind_and_counts_are_counts() {
        assert_eq!(kind_of("reports_received"), ValueKind::Count);
        assert_eq!(kind_of("hashes_received"), ValueKind::Count);
        assert_eq!(kind_of("reports_from_it_companies_share"), ValueKind::Share);
        assert_eq!(kind_of("legal_assessment_items_met"), ValueKind::Share);
        assert_eq!(kind_of("p90_hours_to_removal"), ValueKind::Duration);
        assert_eq!(kind_of("not_in_the_catalogue"), ValueKind::Other);
    }

    #[test]
    fn values_no_deployment_may_publish_are_refused() {
        use ValueKind::*;
        for (kind, value, ok) in [
            (Count, 0.0, true),
            (Count, 1.0, false),
            (Count, 4.0, false),
            (Count, 5.0, true),
            (Count, 4.5, false),
            (Count, 12.5, false),
            (Count, -5.0, false),
            (Share, 0.0, true),
            (Share, 1.0, true),
            (Share, 1.01, false),
            (Share, -0.1, false),
            (Duration, 0.5, true),
            (Duration, -0.5, false),
            (Other, 3.0, true),
            (Other, -1.0, false),
        ] {
            assert_eq!(
                check_value(kind, &reported(value)).is_ok(),
                ok,
                "{kind:?} {value}"
            );
        }
        assert!(check_value(Count, &Figure::suppressed()).is_ok());
        assert!(check_value(Count, &Figure::unavailable()).is_ok());
    }

    #[test]
    fn a_snapshot_is_dated_after_its_quarter_and_not_ahead_of_now() {
        let at = |t: &str| crate::helpers::parse_rfc3339(t).expect("time");
        let q3 = Quarter::parse("2026-Q3").expect("quarter");
        let now = at("2026-12-01T12:00:00Z");
        for (generated_at, ok) in [
            ("2026-09-30T23:59:59Z", false),
            ("2026-10-01T00:00:00Z", true),
            ("2026-10-01T06:59:59+07:00", false),
            ("2026-12-02T12:00:00Z", true),
            ("2026-12-02T12:00:01Z", false),
            ("2100-01-01T00:00:00Z", false),
        ] {
            let result = check_generated_at(q3, at(generated_at), now);
            assert_eq!(result.is_ok(), ok, "{generated_at}");
            if let Err(error) = result {
                assert_eq!(error.field(), Some("body.generated_at"));
            }
        }
    }
}
