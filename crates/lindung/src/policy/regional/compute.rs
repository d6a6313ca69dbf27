//! The figures of one ended quarter, as of its end, computed from the deployment's data
//! (national aggregates, like researchers' statistics): each [`Metric`] of the catalogue, with
//! small cells suppressed. Only counts, medians, percentiles and shares leave here; no row does.
//! A quarter that has not ended is refused: its figures would move as events come in, and the
//! difference between two readings would tell one event apart. An ended quarter's figures only
//! count what happened before its end, so they stay as they are.
//!
//! - reports: `hotline_reports` created in the quarter; the share from IT companies counts the
//!   reports whose first submission came through the platform API (`source = platform`);
//! - time to removal: reports created in the quarter and removed before its end,
//!   `removed_at - created_at` in hours (median from 5 reports; 90th percentile by nearest
//!   rank from [`PERCENTILE_ROWS`]);
//! - referrals to the police: reports with a `law_enforcement` referral sent in the quarter;
//! - care: cases created in the quarter; days from a case's creation to its first service
//!   planned before the quarter's end (all services, and by service: the first of that
//!   service, a service only when 5 cases or more had it);
//! - self-reports: `selfreport_cases` created in the quarter;
//! - hashes shared: signals of content added in the quarter to banks shared beyond their
//!   organisation (sharing other than `private`);
//! - the legal self-assessment: the share of `met` among the answered items (not applicable
//!   left out) of the latest assessment (by date, then version) of the caller's organisation
//!   for the deployment's country dated on or before the quarter's last day;
//! - consultations: the caller's organisation's `policy_consultations` for the deployment's
//!   country held in the quarter;
//! - hashes received and education programmes: this deployment has no exchange or education
//!   domain, so they are `unavailable`, never 0.
//!
//! Every figure is read in one read transaction, and only the quarter's rows are read: SQL
//! narrows each table to the quarter with a day's margin either side (SQLite keeps times as
//! text, which orders exactly only to the second and in one offset), and the exact bounds are
//! applied here.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use time::{Duration, OffsetDateTime};

use super::RegionalError;
use super::catalogue::{Catalogue, Metric, valid_id};
use super::figures::{
    Figure, FigureState, IndicatorFigure, PERCENTILE_ROWS, Quarter, median, percentile,
};
use crate::banks::entities::{BankSharing, bank, content, signal};
use crate::care::entities::{case, service};
use crate::hotline::entities::{referral, report, submission};
use crate::hotline::vocabulary::ReportSource;
use crate::policy::entities::{assessment, consultation};
use crate::selfreport::entities::case as selfreport_case;
use crate::store::Store;

/// What refuses a quarter that is not over.
pub const NOT_ENDED: &str = "a quarter is published once it has ended";

/// The most breakdown entries a snapshot holds (as a node reads them).
const MAX_BREAKDOWN: usize = 64;

/// The margin around the quarter the SQL filters keep (see the module's notes).
const MARGIN: Duration = Duration::days(1);

/// A metric's figure and, for some, its breakdown.
type Computed = (Figure, Option<BTreeMap<String, Figure>>);

/// Every indicator of `catalogue` for `quarter`, as of its end, in the catalogue's order;
/// the assessment and consultations are those of `organisation_id` for `country`. A quarter
/// that has not ended is refused (field `quarter`).
pub async fn indicators(
    store: &Store,
    catalogue: &Catalogue,
    quarter: Quarter,
    country: &str,
    organisation_id: i32,
) -> Result<Vec<IndicatorFigure>, RegionalError> {
    if !quarter.has_ended(crate::helpers::now()) {
        return Err(RegionalError::invalid("quarter", NOT_ENDED));
    }
    let txn = store.read().await?;
    let data = Data::load(&txn, quarter, country, organisation_id).await?;
    txn.commit().await?;
    Ok(catalogue
        .indicators()
        .map(|(area, indicator)| {
            let (figure, breakdown) = data.metric(indicator.metric);
            IndicatorFigure {
                id: indicator.id.clone(),
                area: area.id.clone(),
                value: figure.value,
                state: figure.state,
                breakdown,
            }
        })
        .collect())
}

fn hours(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 3600.0
}

fn days(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 86_400.0
}

fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// A service's name as a breakdown key a snapshot accepts (`a-z`, `0-9`, `_`): the core
/// services are such ids already; a deployment's own (`Legal aid`) is lowered and joined with
/// `_`; a name with other than ASCII letters, digits, spaces, `-` and `_` is left out.
pub fn breakdown_key(service: &str) -> Option<String> {
    let mut key = String::new();
    for c in service.trim().chars() {
        if c.is_ascii_alphanumeric() {
            key.push(c.to_ascii_lowercase());
        } else if matches!(c, ' ' | '-' | '_') {
            if !key.is_empty() && !key.ends_with('_') {
                key.push('_');
            }
        } else {
            return None;
        }
    }
    while key.ends_with('_') {
        key.pop();
    }
    valid_id(&key).then_some(key)
}

/// The quarter's bounds, and the wider ones the SQL filters use.
#[derive(Clone, Copy)]
struct Bounds {
    quarter: Quarter,
    end: OffsetDateTime,
    from: OffsetDateTime,
    to: OffsetDateTime,
}

impl Bounds {
    fn new(quarter: Quarter) -> Bounds {
        Bounds {
            quarter,
            end: quarter.end(),
            from: quarter.start() - MARGIN,
            to: quarter.end() + MARGIN,
        }
    }

    fn contains(&self, at: OffsetDateTime) -> bool {
        self.quarter.contains(at)
    }
}

/// The quarter's rows, reduced to what the metrics need.
struct Data {
    reports: usize,
    from_platforms: usize,
    hours_to_removal: Vec<f64>,
    referred_to_police: usize,
    care_cases: usize,
    days_to_first_service: Vec<f64>,
    days_by_service: BTreeMap<String, Vec<f64>>,
    self_reports: usize,
    hashes_shared: usize,
    /// (met, answered other than not applicable), when there is an assessment.
    legal: Option<(usize, usize)>,
    consultations: usize,
}

impl Data {
    async fn load(
        db: &impl ConnectionTrait,
        quarter: Quarter,
        country: &str,
        organisation_id: i32,
    ) -> Result<Data, DbErr> {
        let b = Bounds::new(quarter);
        let (reports, from_platforms, hours_to_removal) = reports(db, b).await?;
        let referred_to_police = referral::Entity::find()
            .select_only()
            .column(referral::Column::ReportId)
            .column(referral::Column::SentAt)
            .filter(referral::Column::Kind.eq("law_enforcement"))
            .filter(referral::Column::SentAt.gte(b.from))
            .filter(referral::Column::SentAt.lt(b.to))
            .into_tuple::<(i64, OffsetDateTime)>()
            .all(db)
            .await?
            .into_iter()
            .filter(|(_, sent)| b.contains(*sent))
            .map(|(report_id, _)| report_id)
            .collect::<HashSet<_>>()
            .len();
        let (care_cases, days_to_first_service, days_by_service) = care(db, b).await?;
        let self_reports = selfreport_case::Entity::find()
            .select_only()
            .column(selfreport_case::Column::CreatedAt)
            .filter(selfreport_case::Column::CreatedAt.gte(b.from))
            .filter(selfreport_case::Column::CreatedAt.lt(b.to))
            .into_tuple::<OffsetDateTime>()
            .all(db)
            .await?
            .into_iter()
            .filter(|at| b.contains(*at))
            .count();
        let consultations = consultation::Entity::find()
            .filter(consultation::Column::OrganisationId.eq(organisation_id))
            .filter(consultation::Column::Country.eq(country))
            .filter(consultation::Column::HeldOn.gte(quarter.first_day()))
            .filter(consultation::Column::HeldOn.lt(quarter.end().date()))
            .count(db)
            .await?;
        Ok(Data {
            reports,
            from_platforms,
            hours_to_removal,
            referred_to_police,
            care_cases,
            days_to_first_service,
            days_by_service,
            self_reports,
            hashes_shared: hashes_shared(db, b).await?,
            legal: legal_assessment(db, quarter, country, organisation_id).await?,
            consultations: usize::try_from(consultations).unwrap_or(usize::MAX),
        })
    }

    fn metric(&self, metric: Metric) -> Computed {
        let plain = |figure: Figure| (figure, None);
        match metric {
            Metric::ReportsReceived => plain(Figure::count(self.reports)),
            Metric::ReportsFromItCompaniesShare => {
                plain(Figure::share(self.from_platforms, self.reports, 3))
            }
            Metric::MedianHoursToRemoval => plain(Figure::computed(
                median(&self.hours_to_removal),
                self.hours_to_removal.len(),
                1,
            )),
            Metric::P90HoursToRemoval => plain(Figure::computed_from(
                percentile(&self.hours_to_removal, 90.0),
                self.hours_to_removal.len(),
                PERCENTILE_ROWS,
                1,
            )),
            Metric::ReportsReferredToPolice => plain(Figure::count(self.referred_to_police)),
            Metric::CareCasesOpened => plain(Figure::count(self.care_cases)),
            Metric::MedianDaysToFirstService => {
                // A suppressed service is left out, not shown withheld: its key alone would
                // say that some case had it. An absent service had fewer than 5 cases, or none.
                let breakdown = self
                    .days_by_service
                    .iter()
                    .map(|(key, values)| {
                        (
                            key.clone(),
                            Figure::computed(median(values), values.len(), 1),
                        )
                    })
                    .filter(|(_, figure)| figure.state == FigureState::Reported)
                    .take(MAX_BREAKDOWN)
                    .collect();
                (
                    Figure::computed(
                        median(&self.days_to_first_service),
                        self.days_to_first_service.len(),
                        1,
                    ),
                    Some(breakdown),
                )
            }
            Metric::SelfReportCases => plain(Figure::count(self.self_reports)),
            Metric::HashesShared => plain(Figure::count(self.hashes_shared)),
            Metric::HashesReceived | Metric::EducationProgrammes => plain(Figure::unavailable()),
            Metric::LegalAssessmentItemsMet => plain(match self.legal {
                None | Some((_, 0)) => Figure::unavailable(),
                Some((met, answered)) => {
                    Figure::computed(Some(met as f64 / answered as f64), answered, 3)
                }
            }),
            Metric::ConsultationsHeld => plain(Figure::count(self.consultations)),
        }
    }
}

/// The ids of the reports created within `b`'s wider bounds, as a subquery.
fn reports_near(b: Bounds) -> sea_orm::sea_query::SelectStatement {
    report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .filter(report::Column::CreatedAt.gte(b.from))
        .filter(report::Column::CreatedAt.lt(b.to))
        .into_query()
}

/// (reports created in the quarter, those whose first submission came from a platform, hours
/// to removal of those removed before the quarter's end, sorted).
async fn reports(db: &impl ConnectionTrait, b: Bounds) -> Result<(usize, usize, Vec<f64>), DbErr> {
    let reports: Vec<(i64, OffsetDateTime, Option<OffsetDateTime>)> = report::Entity::find()
        .select_only()
        .column(report::Column::Id)
        .column(report::Column::CreatedAt)
        .column(report::Column::RemovedAt)
        .filter(report::Column::CreatedAt.gte(b.from))
        .filter(report::Column::CreatedAt.lt(b.to))
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, created, _)| b.contains(*created))
        .collect();
    let in_quarter: HashSet<i64> = reports.iter().map(|(id, _, _)| *id).collect();
    // The first submission of each report says who reported it: one row a report.
    let firsts = submission::Entity::find()
        .select_only()
        .column_as(submission::Column::Id.min(), "first_id")
        .filter(submission::Column::ReportId.in_subquery(reports_near(b)))
        .group_by(submission::Column::ReportId)
        .into_query();
    let from_platforms = submission::Entity::find()
        .select_only()
        .column(submission::Column::ReportId)
        .column(submission::Column::Source)
        .filter(submission::Column::Id.in_subquery(firsts))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(report_id, source)| {
            in_quarter.contains(report_id) && source == ReportSource::Platform.as_str()
        })
        .count();
    let hours_to_removal = sorted(
        reports
            .iter()
            .filter_map(|(_, created, removed)| {
                removed
                    // Removed by the quarter's end, and not before it was made (a clock
                    // error, not a time).
                    .filter(|at| *at < b.end && at >= created)
                    .map(|at| hours(*created, at))
            })
            .collect(),
    );
    Ok((reports.len(), from_platforms, hours_to_removal))
}

/// Days to first service by breakdown key.
type ByService = BTreeMap<String, Vec<f64>>;

/// (care cases created in the quarter, days to each one's first service planned before the
/// quarter's end, the same by service), sorted.
async fn care(db: &impl ConnectionTrait, b: Bounds) -> Result<(usize, Vec<f64>, ByService), DbErr> {
    let cases: HashMap<i64, OffsetDateTime> = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .column(case::Column::CreatedAt)
        .filter(case::Column::CreatedAt.gte(b.from))
        .filter(case::Column::CreatedAt.lt(b.to))
        .into_tuple::<(i64, OffsetDateTime)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, created)| b.contains(*created))
        .collect();
    let near = case::Entity::find()
        .select_only()
        .column(case::Column::Id)
        .filter(case::Column::CreatedAt.gte(b.from))
        .filter(case::Column::CreatedAt.lt(b.to))
        .into_query();
    let services: Vec<(i64, String, OffsetDateTime)> = service::Entity::find()
        .select_only()
        .column(service::Column::CaseId)
        .column(service::Column::Service)
        .column(service::Column::PlannedAt)
        .filter(service::Column::CaseId.in_subquery(near))
        .filter(service::Column::PlannedAt.lt(b.to))
        .into_tuple()
        .all(db)
        .await?;
    let mut first_service: HashMap<i64, OffsetDateTime> = HashMap::new();
    let mut first_by_service: HashMap<(i64, String), OffsetDateTime> = HashMap::new();
    for (case_id, name, planned_at) in services {
        if !cases.contains_key(&case_id) || planned_at >= b.end {
            continue;
        }
        let any = first_service.entry(case_id).or_insert(planned_at);
        *any = (*any).min(planned_at);
        // A service whose name a snapshot cannot carry counts only among all services.
        if let Some(key) = breakdown_key(&name) {
            let this = first_by_service.entry((case_id, key)).or_insert(planned_at);
            *this = (*this).min(planned_at);
        }
    }
    let days_to_first_service = sorted(
        first_service
            .iter()
            .filter_map(|(case_id, at)| cases.get(case_id).map(|c| days(*c, *at)))
            .collect(),
    );
    let mut by_service = ByService::new();
    for ((case_id, key), at) in first_by_service {
        if let Some(created) = cases.get(&case_id) {
            by_service.entry(key).or_default().push(days(*created, at));
        }
    }
    for values in by_service.values_mut() {
        values.sort_by(f64::total_cmp);
    }
    Ok((cases.len(), days_to_first_service, by_service))
}

/// Signals of content added in the quarter to banks shared beyond their organisation.
async fn hashes_shared(db: &impl ConnectionTrait, b: Bounds) -> Result<usize, DbErr> {
    let shared = || {
        bank::Entity::find()
            .select_only()
            .column(bank::Column::Id)
            .filter(bank::Column::Sharing.ne(BankSharing::Private))
            .into_query()
    };
    let near = || {
        content::Entity::find()
            .select_only()
            .column(content::Column::Id)
            .filter(content::Column::BankId.in_subquery(shared()))
            .filter(content::Column::AddedAt.gte(b.from))
            .filter(content::Column::AddedAt.lt(b.to))
    };
    let added: HashSet<i64> = near()
        .column(content::Column::AddedAt)
        .into_tuple::<(i64, OffsetDateTime)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, at)| b.contains(*at))
        .map(|(id, _)| id)
        .collect();
    if added.is_empty() {
        return Ok(0);
    }
    let counts: Vec<(i64, i64)> = signal::Entity::find()
        .select_only()
        .column(signal::Column::ContentId)
        .column_as(signal::Column::Id.count(), "signals")
        .filter(signal::Column::ContentId.in_subquery(near().into_query()))
        .filter(signal::Column::BankId.in_subquery(shared()))
        .group_by(signal::Column::ContentId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .filter(|(content_id, _)| added.contains(content_id))
        .map(|(_, n)| usize::try_from(n).unwrap_or(0))
        .sum())
}

/// (items met, items answered other than not applicable) of the latest assessment (by date,
/// then version) of `organisation_id` for `country` dated on or before the quarter's last day.
async fn legal_assessment(
    db: &impl ConnectionTrait,
    quarter: Quarter,
    country: &str,
    organisation_id: i32,
) -> Result<Option<(usize, usize)>, DbErr> {
    let latest = assessment::Entity::find()
        .filter(assessment::Column::OrganisationId.eq(organisation_id))
        .filter(assessment::Column::Country.eq(country))
        .filter(assessment::Column::AssessedOn.lt(quarter.end().date()))
        .order_by_desc(assessment::Column::AssessedOn)
        .order_by_desc(assessment::Column::Version)
        .order_by_desc(assessment::Column::Id)
        .one(db)
        .await?;
    let Some(latest) = latest else {
        return Ok(None);
    };
    let Ok(serde_json::Value::Object(answers)) = serde_json::from_str(&latest.answers) else {
        // Answers that cannot be read say nothing about the law.
        return Ok(None);
    };
    let statuses: Vec<&str> = answers
        .values()
        .filter_map(|answer| answer.get("status").and_then(|s| s.as_str()))
        .filter(|status| *status != "not_applicable")
        .collect();
    let met = statuses.iter().filter(|s| **s == "met").count();
    Ok(Some((met, statuses.len())))
}

/// Whether every figure's value agrees with its state.
pub fn consistent(figures: &[IndicatorFigure]) -> bool {
    figures.iter().all(|f| {
        f.figure().consistent()
            && f.breakdown
                .as_ref()
                .is_none_or(|b| b.values().all(Figure::consistent))
            && (f.state != FigureState::Reported || f.value.is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breakdown_keys_are_ids_a_snapshot_accepts() {
        for (name, key) in [
            ("health", Some("health")),
            ("mental_health", Some("mental_health")),
            ("Legal aid", Some("legal_aid")),
            (" Legal  aid - Court ", Some("legal_aid_court")),
            ("ช่วยเหลือทางกฎหมาย", None),
            ("Hỗ trợ", None),
            ("a/b", None),
            ("", None),
            ("---", None),
        ] {
            assert_eq!(breakdown_key(name).as_deref(), key, "{name}");
            if let Some(key) = breakdown_key(name) {
                assert!(valid_id(&key));
            }
        }
        assert_eq!(breakdown_key(&"x".repeat(65)), None);
    }
}
