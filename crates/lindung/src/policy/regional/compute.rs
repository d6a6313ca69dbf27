//! The figures of one quarter, computed from the whole deployment's data (national aggregates,
//! like researchers' statistics): each [`Metric`] of the catalogue, with small cells
//! suppressed. Only counts, medians, percentiles and shares leave here; no row does.
//!
//! - reports: `hotline_reports` created in the quarter; the share from IT companies counts the
//!   reports whose first submission came through the platform API (`source = platform`);
//! - time to removal: reports created in the quarter and since removed, `removed_at -
//!   created_at` in hours (median; 90th percentile by nearest rank);
//! - referrals to the police: reports with a `law_enforcement` referral sent in the quarter;
//! - care: cases created in the quarter; days from a case's creation to its first planned
//!   service (all services, and by service: the first of that service);
//! - self-reports: `selfreport_cases` created in the quarter;
//! - hashes shared: signals of content added in the quarter to banks shared beyond their
//!   organisation (sharing other than `private`);
//! - the legal self-assessment: the share of `met` among the answered items (not applicable
//!   left out) of the latest assessment of the deployment's country dated in or before the
//!   quarter;
//! - consultations: `policy_consultations` held in the quarter;
//! - hashes received and education programmes: this deployment has no exchange or education
//!   domain, so they are `unavailable`, never 0.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};
use time::OffsetDateTime;

use super::catalogue::{Catalogue, Metric};
use super::figures::{Figure, FigureState, IndicatorFigure, Quarter, median, percentile};
use crate::banks::entities::{BankSharing, bank, content, signal};
use crate::care::entities::{case, service};
use crate::hotline::entities::{referral, report, submission};
use crate::hotline::vocabulary::ReportSource;
use crate::policy::entities::{assessment, consultation};
use crate::selfreport::entities::case as selfreport_case;

/// A metric's figure and, for some, its breakdown.
type Computed = (Figure, Option<BTreeMap<String, Figure>>);

/// Every indicator of `catalogue` for `quarter`, in the catalogue's order.
pub async fn indicators(
    db: &impl ConnectionTrait,
    catalogue: &Catalogue,
    quarter: Quarter,
    country: &str,
) -> Result<Vec<IndicatorFigure>, DbErr> {
    let data = Data::load(db, quarter, country).await?;
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
    ) -> Result<Data, DbErr> {
        // Timestamps are compared here, not in SQL: SQLite keeps them as text.
        let reports: Vec<(i64, OffsetDateTime, Option<OffsetDateTime>)> = report::Entity::find()
            .select_only()
            .column(report::Column::Id)
            .column(report::Column::CreatedAt)
            .column(report::Column::RemovedAt)
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .filter(|(_, created, _)| quarter.contains(*created))
            .collect();
        let in_quarter: HashSet<i64> = reports.iter().map(|(id, _, _)| *id).collect();
        // The first submission of each report says who reported it.
        let mut first: HashMap<i64, (i64, String)> = HashMap::new();
        let submissions: Vec<(i64, i64, String)> = submission::Entity::find()
            .select_only()
            .column(submission::Column::Id)
            .column(submission::Column::ReportId)
            .column(submission::Column::Source)
            .into_tuple()
            .all(db)
            .await?;
        for (id, report_id, source) in submissions {
            if !in_quarter.contains(&report_id) {
                continue;
            }
            let entry = first.entry(report_id).or_insert((id, source.clone()));
            if id < entry.0 {
                *entry = (id, source);
            }
        }
        let from_platforms = first
            .values()
            .filter(|(_, source)| source == ReportSource::Platform.as_str())
            .count();
        let hours_to_removal = sorted(
            reports
                .iter()
                .filter_map(|(_, created, removed)| removed.map(|at| hours(*created, at)))
                .collect(),
        );
        let referred_to_police = referral::Entity::find()
            .filter(referral::Column::Kind.eq("law_enforcement"))
            .all(db)
            .await?
            .into_iter()
            .filter(|r| quarter.contains(r.sent_at))
            .map(|r| r.report_id)
            .collect::<HashSet<_>>()
            .len();

        let cases: HashMap<i64, OffsetDateTime> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .column(case::Column::CreatedAt)
            .into_tuple::<(i64, OffsetDateTime)>()
            .all(db)
            .await?
            .into_iter()
            .filter(|(_, created)| quarter.contains(*created))
            .collect();
        let mut first_service: HashMap<i64, OffsetDateTime> = HashMap::new();
        let mut first_by_service: HashMap<(i64, String), OffsetDateTime> = HashMap::new();
        for s in service::Entity::find().all(db).await? {
            if !cases.contains_key(&s.case_id) {
                continue;
            }
            let any = first_service.entry(s.case_id).or_insert(s.planned_at);
            *any = (*any).min(s.planned_at);
            let this = first_by_service
                .entry((s.case_id, s.service))
                .or_insert(s.planned_at);
            *this = (*this).min(s.planned_at);
        }
        let days_to_first_service = sorted(
            first_service
                .iter()
                .filter_map(|(case_id, at)| cases.get(case_id).map(|c| days(*c, *at)))
                .collect(),
        );
        let mut days_by_service: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for ((case_id, name), at) in first_by_service {
            if let Some(created) = cases.get(&case_id) {
                days_by_service
                    .entry(name)
                    .or_default()
                    .push(days(*created, at));
            }
        }
        for values in days_by_service.values_mut() {
            values.sort_by(f64::total_cmp);
        }

        let self_reports = selfreport_case::Entity::find()
            .select_only()
            .column(selfreport_case::Column::CreatedAt)
            .into_tuple::<OffsetDateTime>()
            .all(db)
            .await?
            .into_iter()
            .filter(|at| quarter.contains(*at))
            .count();

        Ok(Data {
            reports: reports.len(),
            from_platforms,
            hours_to_removal,
            referred_to_police,
            care_cases: cases.len(),
            days_to_first_service,
            days_by_service,
            self_reports,
            hashes_shared: hashes_shared(db, quarter).await?,
            legal: legal_assessment(db, quarter, country).await?,
            consultations: consultation::Entity::find()
                .all(db)
                .await?
                .into_iter()
                .filter(|c| quarter.contains_day(c.held_on))
                .count(),
        })
    }

    fn metric(&self, metric: Metric) -> Computed {
        let plain = |figure: Figure| (figure, None);
        match metric {
            Metric::ReportsReceived => plain(Figure::count(self.reports)),
            Metric::ReportsFromItCompaniesShare => plain(Figure::computed(
                (self.reports > 0).then(|| self.from_platforms as f64 / self.reports as f64),
                self.reports,
                3,
            )),
            Metric::MedianHoursToRemoval => plain(Figure::computed(
                median(&self.hours_to_removal),
                self.hours_to_removal.len(),
                1,
            )),
            Metric::P90HoursToRemoval => plain(Figure::computed(
                percentile(&self.hours_to_removal, 90.0),
                self.hours_to_removal.len(),
                1,
            )),
            Metric::ReportsReferredToPolice => plain(Figure::count(self.referred_to_police)),
            Metric::CareCasesOpened => plain(Figure::count(self.care_cases)),
            Metric::MedianDaysToFirstService => {
                let breakdown = self
                    .days_by_service
                    .iter()
                    .map(|(name, values)| {
                        (
                            name.clone(),
                            Figure::computed(median(values), values.len(), 1),
                        )
                    })
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

/// Signals of content added in the quarter to banks shared beyond their organisation.
async fn hashes_shared(db: &impl ConnectionTrait, quarter: Quarter) -> Result<usize, DbErr> {
    let shared: HashSet<i32> = bank::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .filter(|b| b.sharing != BankSharing::Private)
        .map(|b| b.id)
        .collect();
    if shared.is_empty() {
        return Ok(0);
    }
    let added: HashSet<i64> = content::Entity::find()
        .select_only()
        .column(content::Column::Id)
        .column(content::Column::BankId)
        .column(content::Column::AddedAt)
        .into_tuple::<(i64, i32, OffsetDateTime)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(_, bank_id, at)| shared.contains(bank_id) && quarter.contains(*at))
        .map(|(id, _, _)| id)
        .collect();
    Ok(signal::Entity::find()
        .select_only()
        .column(signal::Column::ContentId)
        .column(signal::Column::BankId)
        .into_tuple::<(i64, i32)>()
        .all(db)
        .await?
        .into_iter()
        .filter(|(content_id, bank_id)| added.contains(content_id) && shared.contains(bank_id))
        .count())
}

/// (items met, items answered other than not applicable) of the latest assessment of
/// `country` dated on or before the quarter's last day, of any organisation.
async fn legal_assessment(
    db: &impl ConnectionTrait,
    quarter: Quarter,
    country: &str,
) -> Result<Option<(usize, usize)>, DbErr> {
    let latest = assessment::Entity::find()
        .filter(assessment::Column::Country.eq(country))
        .all(db)
        .await?
        .into_iter()
        .filter(|a| a.assessed_on < quarter.end().date())
        .max_by_key(|a| (a.assessed_on, a.created_at, a.id));
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
