//! Quarters (`2026-Q3`), and figures as published: a value with its state, small cells
//! suppressed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime, Time};

/// Counts from 1 to `SMALL_CELL - 1` are suppressed, and so is a median, percentile or share
/// computed from fewer than `SMALL_CELL` rows.
pub const SMALL_CELL: usize = 5;

/// A 90th percentile is published from at least this many rows, so that the top tenth holds
/// at least [`SMALL_CELL`] of them (from fewer than ten rows it is the largest, one row's own
/// value).
pub const PERCENTILE_ROWS: usize = 50;

/// A calendar quarter, in UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub number: u8,
}

impl Quarter {
    /// Reads `YYYY-Qn` (a year from 2000 to 2100).
    pub fn parse(text: &str) -> Option<Quarter> {
        let (year, number) = text.split_once("-Q")?;
        if year.len() != 4 || number.len() != 1 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let number: u8 = number.parse().ok()?;
        ((2000..=2100).contains(&year) && (1..=4).contains(&number))
            .then_some(Quarter { year, number })
    }

    /// The quarter `at` falls in.
    pub fn of(at: OffsetDateTime) -> Quarter {
        let at = at.to_offset(time::UtcOffset::UTC);
        Quarter {
            year: at.year(),
            number: (u8::from(at.month()) - 1) / 3 + 1,
        }
    }

    pub fn previous(self) -> Quarter {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }

    fn next(self) -> Quarter {
        if self.number == 4 {
            Quarter {
                year: self.year + 1,
                number: 1,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number + 1,
            }
        }
    }

    /// The first day of the quarter.
    pub fn first_day(self) -> Date {
        let month = Month::try_from((self.number - 1) * 3 + 1).unwrap_or(Month::January);
        Date::from_calendar_date(self.year, month, 1).unwrap_or(Date::MIN)
    }

    /// The first instant of the quarter (UTC).
    pub fn start(self) -> OffsetDateTime {
        self.first_day().with_time(Time::MIDNIGHT).assume_utc()
    }

    /// The first instant after the quarter.
    pub fn end(self) -> OffsetDateTime {
        self.next().start()
    }

    pub fn contains(self, at: OffsetDateTime) -> bool {
        at >= self.start() && at < self.end()
    }

    pub fn contains_day(self, day: Date) -> bool {
        day >= self.first_day() && day < self.next().first_day()
    }

    /// Whether the quarter is over at `now` (only an ended quarter's figures are published).
    pub fn has_ended(self, now: OffsetDateTime) -> bool {
        self.end() <= now
    }
}

impl std::fmt::Display for Quarter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

/// How a figure stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FigureState {
    /// The value is published.
    Reported,
    /// A small cell: the value is withheld.
    Suppressed,
    /// This deployment does not hold the data (never zero).
    Unavailable,
}

impl FigureState {
    pub fn as_str(self) -> &'static str {
        match self {
            FigureState::Reported => "reported",
            FigureState::Suppressed => "suppressed",
            FigureState::Unavailable => "unavailable",
        }
    }
}

/// One figure: a value only when reported.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub value: Option<f64>,
    pub state: FigureState,
}

impl Figure {
    pub fn unavailable() -> Figure {
        Figure {
            value: None,
            state: FigureState::Unavailable,
        }
    }

    pub fn suppressed() -> Figure {
        Figure {
            value: None,
            state: FigureState::Suppressed,
        }
    }

    fn reported(value: f64) -> Figure {
        Figure {
            value: Some(value),
            state: FigureState::Reported,
        }
    }

    /// A count: 0 and 5 or more are published, 1 to 4 suppressed.
    pub fn count(n: usize) -> Figure {
        if (1..SMALL_CELL).contains(&n) {
            Figure::suppressed()
        } else {
            Figure::reported(n as f64)
        }
    }

    /// A figure computed from `rows` rows, rounded to `decimals`; suppressed under
    /// [`SMALL_CELL`] rows (none included).
    pub fn computed(value: Option<f64>, rows: usize, decimals: i32) -> Figure {
        Figure::computed_from(value, rows, SMALL_CELL, decimals)
    }

    /// A figure computed from `rows` rows, rounded to `decimals`; suppressed under `least`
    /// rows (and under [`SMALL_CELL`] whatever `least` says).
    pub fn computed_from(value: Option<f64>, rows: usize, least: usize, decimals: i32) -> Figure {
        match value {
            Some(v) if rows >= least.max(SMALL_CELL) && v.is_finite() => {
                let scale = 10f64.powi(decimals);
                Figure::reported((v * scale).round() / scale)
            }
            _ => Figure::suppressed(),
        }
    }

    /// The share `part / whole`, rounded to `decimals`: suppressed when the whole is under
    /// [`SMALL_CELL`], or when the part or the rest (`whole - part`) is a small cell (1 to
    /// [`SMALL_CELL`] - 1), since share × whole would give that small count back.
    pub fn share(part: usize, whole: usize, decimals: i32) -> Figure {
        let small = |n: usize| (1..SMALL_CELL).contains(&n);
        if whole < SMALL_CELL || part > whole || small(part) || small(whole - part) {
            return Figure::suppressed();
        }
        Figure::computed(Some(part as f64 / whole as f64), whole, decimals)
    }

    /// Whether value and state agree (a value exactly when reported).
    pub fn consistent(&self) -> bool {
        match self.state {
            FigureState::Reported => self.value.is_some_and(f64::is_finite),
            FigureState::Suppressed | FigureState::Unavailable => self.value.is_none(),
        }
    }

    /// A reported number as the pages and CSV write it: whole numbers without decimals.
    pub fn display_number(v: f64) -> String {
        if v.fract() == 0.0 {
            format!("{v:.0}")
        } else {
            format!("{v}")
        }
    }

    /// The value as the pages and CSV show it: `<5` when suppressed; the caller words
    /// unavailable.
    pub fn display(&self) -> String {
        match (self.state, self.value) {
            (FigureState::Reported, Some(v)) if v.fract() == 0.0 => format!("{v:.0}"),
            (FigureState::Reported, Some(v)) => format!("{v}"),
            (FigureState::Suppressed, _) => format!("<{SMALL_CELL}"),
            _ => String::new(),
        }
    }
}

/// An indicator's figure in a snapshot, with its breakdown if it has one.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorFigure {
    pub id: String,
    /// The priority area's id.
    pub area: String,
    pub value: Option<f64>,
    pub state: FigureState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<BTreeMap<String, Figure>>,
}

impl IndicatorFigure {
    pub fn figure(&self) -> Figure {
        Figure {
            value: self.value,
            state: self.state,
        }
    }
}

/// The median of sorted values (the mean of the two middle ones for an even count).
pub fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        None
    } else if n % 2 == 1 {
        Some(sorted[n / 2])
    } else {
        Some((sorted[n / 2 - 1] + sorted[n / 2]) / 2.0)
    }
}

/// The nearest-rank percentile of sorted values: the smallest value with at least `p` percent
/// of the values at or below it.
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.clamp(1, sorted.len()) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_parse_and_bound() {
        let q = Quarter::parse("2026-Q3").expect("quarter");
        assert_eq!(q.to_string(), "2026-Q3");
        assert_eq!(
            q.start(),
            crate::helpers::parse_rfc3339("2026-07-01T00:00:00Z").expect("time")
        );
        assert_eq!(q.end(), Quarter::parse("2026-Q4").expect("q").start());
        assert_eq!(Quarter::parse("2026-Q4").expect("q").end().year(), 2027);
        for bad in [
            "2026-Q5", "2026-Q0", "26-Q1", "2026Q1", "2026-q1", "1999-Q1", "2026-Q11",
        ] {
            assert!(Quarter::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn small_cells_are_suppressed() {
        assert_eq!(Figure::count(0).value, Some(0.0));
        assert_eq!(Figure::count(4).state, FigureState::Suppressed);
        assert_eq!(Figure::count(5).value, Some(5.0));
        assert_eq!(
            Figure::computed(Some(1.26), 4, 1).state,
            FigureState::Suppressed
        );
        assert_eq!(Figure::computed(Some(1.26), 5, 1).value, Some(1.3));
        assert_eq!(
            Figure::computed_from(Some(9.0), 49, PERCENTILE_ROWS, 1).state,
            FigureState::Suppressed
        );
        assert_eq!(
            Figure::computed_from(Some(9.0), 50, PERCENTILE_ROWS, 1).value,
            Some(9.0)
        );
    }

    #[test]
    fn shares_hide_small_parts_and_small_rests() {
        // (part, whole, published value)
        let cases = [
            (0, 4, None),
            (0, 5, Some(0.0)),
            (1, 10, None),
            (4, 10, None),
            (5, 10, Some(0.5)),
            (6, 10, None),
            (9, 10, None),
            (10, 10, Some(1.0)),
            (5, 5, Some(1.0)),
            (11, 10, None),
        ];
        for (part, whole, value) in cases {
            let f = Figure::share(part, whole, 3);
            assert_eq!(f.value, value, "{part}/{whole}");
            assert!(f.consistent());
        }
    }

    #[test]
    fn medians_and_nearest_rank_percentiles() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0, 100.0]), Some(3.0));
        let ten = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 100.0];
        assert_eq!(median(&ten), Some(5.5));
        // ceil(0.9 * 10) = 9th value; ceil(0.9 * 11) = 10th.
        assert_eq!(percentile(&ten, 90.0), Some(9.0));
        let eleven = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0];
        assert_eq!(percentile(&eleven, 90.0), Some(10.0));
        assert_eq!(percentile(&[7.0], 90.0), Some(7.0));
        assert_eq!(percentile(&[], 90.0), None);
    }

    #[test]
    fn a_quarter_has_ended_at_its_end() {
        let q = Quarter::parse("2026-Q3").expect("q");
        assert!(!q.has_ended(q.end() - time::Duration::seconds(1)));
        assert!(q.has_ended(q.end()));
    }
}
