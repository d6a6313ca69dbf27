//! The hotline's own statistics: reports by month, type, reporter country and source; the
//! share that was known content; time to removal (median, 90th percentile, within 3 and 7
//! days); notices per provider with the slowest first. For the `researcher` role every count
//! under 5 is suppressed, and so is every figure computed from fewer than 5 cases.

use std::collections::{BTreeMap, HashMap};

use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;

use super::entities::{notice, provider, report, submission, url as url_row};
use super::hours_between;
use crate::store::Store;

/// Cells counting fewer cases than this are suppressed for researchers.
pub const SUPPRESS_BELOW: u64 = 5;

/// A count, or `"<5"` where it is suppressed.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum Cell {
    Value(f64),
    Suppressed(&'static str),
}

impl Cell {
    pub fn display(&self) -> String {
        match self {
            Cell::Value(v) if v.fract() == 0.0 => format!("{v:.0}"),
            Cell::Value(v) => format!("{v:.1}"),
            Cell::Suppressed(s) => (*s).to_owned(),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProviderRow {
    pub provider: String,
    pub notices: Cell,
    pub urls_removed: Cell,
    pub urls_online: Cell,
    pub median_hours_to_removal: Option<Cell>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Statistics {
    pub reports: Cell,
    pub by_month: Vec<(String, Cell)>,
    pub by_type: Vec<(String, Cell)>,
    pub by_country: Vec<(String, Cell)>,
    pub by_source: Vec<(String, Cell)>,
    /// Percent of reports whose every file was known content.
    pub known_content_pct: Option<Cell>,
    pub removed: Cell,
    pub median_hours_to_removal: Option<Cell>,
    pub p90_hours_to_removal: Option<Cell>,
    pub removed_within_3_days_pct: Option<Cell>,
    pub removed_within_7_days_pct: Option<Cell>,
    /// Slowest first.
    pub providers: Vec<ProviderRow>,
    pub suppressed: bool,
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

struct Suppressor(bool);

impl Suppressor {
    fn count(&self, n: u64) -> Cell {
        if self.0 && n < SUPPRESS_BELOW {
            Cell::Suppressed("<5")
        } else {
            Cell::Value(n as f64)
        }
    }

    /// A figure computed from `n` cases.
    fn figure(&self, value: Option<f64>, n: u64) -> Option<Cell> {
        let value = value?;
        Some(if self.0 && n < SUPPRESS_BELOW {
            Cell::Suppressed("<5")
        } else {
            Cell::Value((value * 10.0).round() / 10.0)
        })
    }

    fn counts(&self, map: BTreeMap<String, u64>) -> Vec<(String, Cell)> {
        map.into_iter().map(|(k, n)| (k, self.count(n))).collect()
    }
}

/// The statistics of one hotline organisation.
pub async fn statistics(
    store: &Store,
    organisation_id: i32,
    suppress: bool,
) -> Result<Statistics, DbErr> {
    let s = Suppressor(suppress);
    let reports = report::Entity::find()
        .filter(report::Column::OrganisationId.eq(organisation_id))
        .all(store.db())
        .await?;
    let breakdown = Breakdown::of(store, &reports).await?;
    let total = reports.len() as u64;
    let known = reports.iter().filter(|r| r.known_content).count() as f64;
    let mut hours: Vec<f64> = reports
        .iter()
        .filter_map(|r| r.removed_at.map(|at| hours_between(r.created_at, at)))
        .collect();
    hours.sort_by(f64::total_cmp);
    let removed = hours.len() as u64;
    let share = |limit: f64| {
        (!hours.is_empty()).then(|| {
            100.0 * hours.iter().filter(|h| **h <= limit).count() as f64 / hours.len() as f64
        })
    };
    Ok(Statistics {
        reports: s.count(total),
        by_month: s.counts(breakdown.by_month),
        by_type: s.counts(breakdown.by_type),
        by_country: s.counts(breakdown.by_country),
        by_source: s.counts(breakdown.by_source),
        known_content_pct: s.figure((total > 0).then(|| 100.0 * known / total as f64), total),
        removed: s.count(removed),
        median_hours_to_removal: s.figure(percentile(&hours, 50.0), removed),
        p90_hours_to_removal: s.figure(percentile(&hours, 90.0), removed),
        removed_within_3_days_pct: s.figure(share(72.0), removed),
        removed_within_7_days_pct: s.figure(share(168.0), removed),
        providers: provider_rows(store, &reports, &s).await?,
        suppressed: suppress,
    })
}

/// Reports counted by month, incident type, and the first reporter's country and source.
#[derive(Default)]
struct Breakdown {
    by_month: BTreeMap<String, u64>,
    by_type: BTreeMap<String, u64>,
    by_country: BTreeMap<String, u64>,
    by_source: BTreeMap<String, u64>,
}

impl Breakdown {
    async fn of(store: &Store, reports: &[report::Model]) -> Result<Self, DbErr> {
        let ids: Vec<i64> = reports.iter().map(|r| r.id).collect();
        let mut first_submission: HashMap<i64, submission::Model> = HashMap::new();
        for sub in submission::Entity::find()
            .filter(submission::Column::ReportId.is_in(ids))
            .order_by_asc(submission::Column::Id)
            .all(store.db())
            .await?
        {
            first_submission.entry(sub.report_id).or_insert(sub);
        }
        let mut counts = Breakdown::default();
        let add = |map: &mut BTreeMap<String, u64>, key: String| {
            *map.entry(key).or_insert(0) += 1;
        };
        for r in reports {
            let month = format!(
                "{:04}-{:02}",
                r.created_at.year(),
                u8::from(r.created_at.month())
            );
            add(&mut counts.by_month, month);
            add(&mut counts.by_type, r.incident_type.as_str().to_owned());
            let first = first_submission.get(&r.id);
            let country = first
                .and_then(|f| f.reporter_country.clone())
                .unwrap_or_else(|| "unknown".into());
            add(&mut counts.by_country, country);
            let source = first.map_or("unknown", |f| f.source.as_str()).to_owned();
            add(&mut counts.by_source, source);
        }
        Ok(counts)
    }
}

/// Per provider: its notices, and how long its URLs took to go, slowest first (a provider
/// with URLs still up counts as slowest).
async fn provider_rows(
    store: &Store,
    reports: &[report::Model],
    s: &Suppressor,
) -> Result<Vec<ProviderRow>, DbErr> {
    #[derive(Default)]
    struct Tally {
        notices: u64,
        online: u64,
        hours: Vec<f64>,
    }
    let created: HashMap<i64, time::OffsetDateTime> =
        reports.iter().map(|r| (r.id, r.created_at)).collect();
    let urls = url_row::Entity::find()
        .filter(url_row::Column::ReportId.is_in(created.keys().copied()))
        .all(store.db())
        .await?;
    let url_provider: HashMap<i64, i64> = urls
        .iter()
        .filter_map(|u| u.provider_id.map(|p| (u.id, p)))
        .collect();
    let notices = notice::Entity::find()
        .filter(notice::Column::UrlId.is_in(url_provider.keys().copied().collect::<Vec<_>>()))
        .filter(notice::Column::Kind.eq("notice"))
        .filter(notice::Column::Error.is_null())
        .all(store.db())
        .await?;
    let names: HashMap<i64, String> = provider::Entity::find()
        .all(store.db())
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let mut tallies: HashMap<i64, Tally> = HashMap::new();
    for n in &notices {
        if let Some(p) = url_provider.get(&n.url_id) {
            tallies.entry(*p).or_default().notices += 1;
        }
    }
    for u in &urls {
        let Some(p) = u.provider_id else { continue };
        let tally = tallies.entry(p).or_default();
        match (u.removed_at, created.get(&u.report_id)) {
            (Some(removed), Some(opened)) => tally.hours.push(hours_between(*opened, removed)),
            _ => tally.online += 1,
        }
    }
    let mut providers: Vec<(f64, ProviderRow)> = tallies
        .into_iter()
        .map(|(id, mut t)| {
            t.hours.sort_by(f64::total_cmp);
            let median = percentile(&t.hours, 50.0);
            let rank = if t.online > 0 {
                f64::INFINITY
            } else {
                median.unwrap_or(0.0)
            };
            let row = ProviderRow {
                provider: names
                    .get(&id)
                    .cloned()
                    .unwrap_or_else(|| format!("provider {id}")),
                notices: s.count(t.notices),
                urls_removed: s.count(t.hours.len() as u64),
                urls_online: s.count(t.online),
                median_hours_to_removal: s.figure(median, t.hours.len() as u64),
            };
            (rank, row)
        })
        .collect();
    providers.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| a.1.provider.cmp(&b.1.provider))
    });
    Ok(providers.into_iter().map(|(_, row)| row).collect())
}

/// The statistics as CSV rows `section,key,value`.
pub fn to_csv(stats: &Statistics) -> Result<String, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(["section", "key", "value"])?;
    let optional = |c: &Option<Cell>| c.as_ref().map_or_else(String::new, Cell::display);
    out.write_record(["total", "reports", &stats.reports.display()])?;
    for (section, rows) in [
        ("month", &stats.by_month),
        ("type", &stats.by_type),
        ("country", &stats.by_country),
        ("source", &stats.by_source),
    ] {
        for (key, cell) in rows {
            out.write_record([section, key, &cell.display()])?;
        }
    }
    out.write_record([
        "known_content",
        "percent",
        &optional(&stats.known_content_pct),
    ])?;
    out.write_record(["removal", "removed", &stats.removed.display()])?;
    out.write_record([
        "removal",
        "median_hours",
        &optional(&stats.median_hours_to_removal),
    ])?;
    out.write_record([
        "removal",
        "p90_hours",
        &optional(&stats.p90_hours_to_removal),
    ])?;
    out.write_record([
        "removal",
        "within_3_days_percent",
        &optional(&stats.removed_within_3_days_pct),
    ])?;
    out.write_record([
        "removal",
        "within_7_days_percent",
        &optional(&stats.removed_within_7_days_pct),
    ])?;
    for p in &stats.providers {
        out.write_record(["provider_notices", &p.provider, &p.notices.display()])?;
        out.write_record([
            "provider_median_hours",
            &p.provider,
            &optional(&p.median_hours_to_removal),
        ])?;
        out.write_record(["provider_online", &p.provider, &p.urls_online.display()])?;
    }
    let bytes = out.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart as SVG. Labels sit in their own column, so text of any script keeps
/// its natural width; suppressed cells are drawn as a hatched stub labelled "<5".
pub fn bar_chart(title: &str, rows: &[(String, Cell)]) -> String {
    let row_height = 22;
    let height = 30 + row_height * rows.len().max(1);
    let max = rows
        .iter()
        .filter_map(|(_, c)| match c {
            Cell::Value(v) => Some(*v),
            Cell::Suppressed(_) => None,
        })
        .fold(1.0_f64, f64::max);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 480 {height}" width="100%" aria-label="{t}"><title>{t}</title>"#,
        t = escape(title)
    );
    for (i, (label, cell)) in rows.iter().enumerate() {
        let y = 20 + i * row_height;
        let (width, text) = match cell {
            Cell::Value(v) => ((v / max * 260.0).max(1.0), cell.display()),
            Cell::Suppressed(s) => (8.0, (*s).to_owned()),
        };
        svg.push_str(&format!(
            r##"<text x="150" y="{ty}" text-anchor="end" font-size="12">{label}</text><rect x="156" y="{y}" width="{width:.1}" height="16" fill="#2f6f8f"/><text x="{tx:.1}" y="{ty}" font-size="12">{text}</text>"##,
            ty = y + 12,
            label = escape(label),
            tx = 160.0 + width,
            text = escape(&text),
        ));
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0];
        assert_eq!(percentile(&values, 50.0), Some(5.0));
        assert_eq!(percentile(&values, 90.0), Some(9.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn small_counts_are_suppressed_for_researchers_only() {
        assert_eq!(Suppressor(true).count(4), Cell::Suppressed("<5"));
        assert_eq!(Suppressor(true).count(5), Cell::Value(5.0));
        assert_eq!(Suppressor(false).count(1), Cell::Value(1.0));
        assert_eq!(
            Suppressor(true).figure(Some(12.34), 3),
            Some(Cell::Suppressed("<5"))
        );
        assert_eq!(
            Suppressor(true).figure(Some(12.34), 9),
            Some(Cell::Value(12.3))
        );
    }

    #[test]
    fn charts_escape_labels_and_draw_one_bar_per_row() {
        let svg = bar_chart(
            "By <type>",
            &[
                ("ไทย & co".into(), Cell::Value(3.0)),
                ("x".into(), Cell::Suppressed("<5")),
            ],
        );
        assert!(svg.contains("ไทย &amp; co"));
        assert!(svg.contains("&lt;5"));
        assert_eq!(svg.matches("<rect").count(), 2);
        assert!(!svg.contains("<type>"));
    }
}
