//! The indicators pinned by hand, on SQLite and PostgreSQL: medians and the 90th percentile
//! from literal removal times; small cells at exactly 4 and 5; shares whose part or rest is a
//! small cell; rows exactly at a quarter's bounds; another organisation's rows in the national
//! figures but not its assessment or consultations; and only ended quarters published.

use lindung::access::Role;
use lindung::banks::entities::BankSharing;
use lindung::hotline::ReportSource::{self, Platform, Public};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use super::seed::{Seed, at, hours};
use super::{figure, reported, start, state};
use crate::support::server::Server;
use crate::support::{self, user};

/// The count indicators, each published from 5 and withheld from 1 to 4.
const COUNTS: [&str; 6] = [
    "reports_received",
    "reports_referred_to_police",
    "care_cases_opened",
    "self_report_cases",
    "hashes_shared",
    "consultations_held",
];

fn get(server: &Server, token: &str, quarter: &str) -> Value {
    let (status, answer) = server.get(
        &format!("/api/v1/policy/indicators?quarter={quarter}"),
        Some(token),
    );
    assert_eq!(status, 200, "{quarter}: {answer}");
    assert_eq!(answer["quarter"], quarter);
    answer
}

fn days(d: f64) -> Duration {
    hours(d * 24.0)
}

/// Assessment answers: `met` items met and `not_met` not met, and one not applicable (left
/// out of the share).
fn answers(met: usize, not_met: usize) -> Value {
    let mut all = serde_json::Map::new();
    for (status, n) in [("met", met), ("not_met", not_met), ("not_applicable", 1)] {
        for i in 0..n {
            all.insert(
                format!("t1.{status}.{i}"),
                json!({"status": status, "law": "Act", "note": ""}),
            );
        }
    }
    Value::Object(all)
}

async fn officer(t: &support::TestStore, org: &str) -> String {
    let email = format!("officer@{}.example", org.to_lowercase());
    user(&t.store, &email, Role::PolicyOfficer, Some(org)).await
}

async fn seed<'a>(t: &'a support::TestStore, org: &str) -> Seed<'a> {
    let email = format!("officer@{}.example", org.to_lowercase());
    Seed::new(&t.store, org, &email).await
}

#[tokio::test(flavor = "multi_thread")]
async fn removal_times_median_and_p90_by_hand() {
    for t in support::stores("policy_figures_removal").await {
        let token = officer(&t, "Ministry").await;
        let mut seed = seed(&t, "Ministry").await;
        let server = start(&t, "TH");

        // 2025-Q2: ten removals, an even count.
        let q = at("2025-04-01T00:00:00Z");
        for (i, h) in [9.0, 1.0, 100.0, 2.0, 8.0, 3.0, 7.0, 4.0, 6.0, 5.0]
            .into_iter()
            .enumerate()
        {
            seed.report(q + days(i as f64 + 1.0), Some(h), &[Public])
                .await;
        }
        // Created in the quarter, removed after its end (2025-07-01T01:00): not a removal of
        // this quarter (it would make the median 5.0).
        seed.report(at("2025-06-30T23:00:00Z"), Some(2.0), &[Public])
            .await;
        let got = get(&server, &token, "2025-Q2");
        assert_eq!(reported(&got, "reports_received"), 11.0);
        // Sorted 1..9, 100: the mean of the 5th and 6th.
        assert_eq!(reported(&got, "median_hours_to_removal"), 5.5);
        // From ten rows the 90th percentile would be one report's own time.
        assert_eq!(state(&got, "p90_hours_to_removal"), "suppressed");

        // 2025-Q3: 49 removals of 1..49 hours, then one of 1000 hours.
        let q = at("2025-07-01T00:00:00Z");
        for h in (1..=49).rev() {
            seed.report(q + hours(f64::from(h)), Some(f64::from(h)), &[Public])
                .await;
        }
        let got = get(&server, &token, "2025-Q3");
        assert_eq!(reported(&got, "median_hours_to_removal"), 25.0);
        assert_eq!(state(&got, "p90_hours_to_removal"), "suppressed");
        seed.report(q + days(30.0), Some(1000.0), &[Public]).await;
        let got = get(&server, &token, "2025-Q3");
        // 50 rows: the median is the mean of the 25th and 26th (25 and 26); the 90th
        // percentile by nearest rank the ceil(0.9 × 50) = 45th, 45 hours.
        assert_eq!(reported(&got, "median_hours_to_removal"), 25.5);
        assert_eq!(reported(&got, "p90_hours_to_removal"), 45.0);
        drop(server);
    }
}

/// The `i`-th row of each kind in the quarter from `q`: a report removed in 2i hours and
/// referred to the police, a care case whose first service comes i days later ("Legal aid" a
/// day after, and a service named in Thai), a self-report, a shared hash, a consultation.
async fn one_of_each(seed: &mut Seed<'_>, q: OffsetDateTime, i: usize) {
    let d = i as f64;
    let id = seed.report(q + days(d), Some(2.0 * d), &[Public]).await;
    seed.referral(id, "law_enforcement", q + days(40.0)).await;
    seed.care_case(
        q + days(d),
        &[("health", d), ("Legal aid", d + 1.0), ("บริการ", d)],
    )
    .await;
    seed.self_report(q + days(d)).await;
    seed.bank(BankSharing::Platforms, q + days(d), 1).await;
    seed.consultation(&format!("2025-02-0{i}")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn small_cells_at_four_and_five() {
    for t in support::stores("policy_figures_cells").await {
        let token = officer(&t, "Ministry").await;
        let mut seed = seed(&t, "Ministry").await;
        let server = start(&t, "TH");
        let q = at("2025-01-01T00:00:00Z");

        for i in 1..=4 {
            one_of_each(&mut seed, q, i).await;
        }
        let got = get(&server, &token, "2025-Q1");
        for id in COUNTS {
            assert_eq!(state(&got, id), "suppressed", "{id} at 4");
            assert_eq!(figure(&got, id)["value"], Value::Null, "{id} at 4");
        }
        for id in [
            "median_hours_to_removal",
            "median_days_to_first_service",
            "reports_from_it_companies_share",
        ] {
            assert_eq!(state(&got, id), "suppressed", "{id} from 4 rows");
        }
        // A service of 4 cases is left out, not shown withheld.
        assert_eq!(
            figure(&got, "median_days_to_first_service")["breakdown"],
            json!({})
        );

        one_of_each(&mut seed, q, 5).await;
        let got = get(&server, &token, "2025-Q1");
        for id in COUNTS {
            assert_eq!(reported(&got, id), 5.0, "{id} at 5");
        }
        // 2, 4, 6, 8, 10 hours; 1..5 days; Legal aid 2..6 days.
        assert_eq!(reported(&got, "median_hours_to_removal"), 6.0);
        assert_eq!(state(&got, "p90_hours_to_removal"), "suppressed");
        assert_eq!(reported(&got, "median_days_to_first_service"), 3.0);
        // None of five reports came from a platform: 0 of 5 is published.
        assert_eq!(reported(&got, "reports_from_it_companies_share"), 0.0);
        // Keys a snapshot accepts: "Legal aid" as legal_aid; the Thai name has none.
        assert_eq!(
            figure(&got, "median_days_to_first_service")["breakdown"],
            json!({
                "health": {"value": 3.0, "state": "reported"},
                "legal_aid": {"value": 4.0, "state": "reported"},
            })
        );
        // The signed snapshot is one a node reads: every breakdown key an id.
        let (status, envelope) = server.get("/api/v1/policy/snapshots/2025-Q1", Some(&token));
        assert_eq!(status, 200, "{envelope}");
        let body = envelope["body"].as_str().expect("body");
        let (snapshot, _, _) =
            lindung::policy::regional::snapshot::parse(body).expect("a node reads it");
        let breakdown = snapshot
            .indicators
            .iter()
            .find(|f| f.id == "median_days_to_first_service")
            .and_then(|f| f.breakdown.clone())
            .expect("breakdown");
        assert_eq!(
            breakdown.keys().collect::<Vec<_>>(),
            ["health", "legal_aid"]
        );
        drop(server);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shares_hide_a_small_part_or_a_small_rest() {
    for t in support::stores("policy_figures_shares").await {
        let token = officer(&t, "Ministry").await;
        let mut seed = seed(&t, "Ministry").await;
        let server = start(&t, "TH");
        let share = |quarter: &str| {
            let got = get(&server, &token, quarter);
            figure(&got, "reports_from_it_companies_share").clone()
        };

        // 2024-Q1: five reports first from the public (one of them later also from a
        // platform), then platform reports one by one: 1 to 4 of them withheld, 5 of 10 shown.
        let q = at("2024-01-01T00:00:00Z");
        for i in 0..4 {
            seed.report(q + days(f64::from(i)), None, &[Public]).await;
        }
        seed.report(q + days(5.0), None, &[Public, Platform]).await;
        for k in 1..=5 {
            seed.report(q + days(10.0 + f64::from(k)), None, &[Platform])
                .await;
            let f = share("2024-Q1");
            if k < 5 {
                assert_eq!(f["state"], "suppressed", "{k} of {}", 5 + k);
                assert_eq!(f["value"], Value::Null);
            } else {
                assert_eq!(f["state"], "reported");
                assert_eq!(f["value"], json!(0.5), "5 of 10");
            }
        }

        // 2024-Q2: five platform reports, then public ones: a rest of 1 to 4 withheld.
        let q = at("2024-04-01T00:00:00Z");
        let platform: &[ReportSource] = &[Platform];
        for i in 0..5 {
            seed.report(q + days(f64::from(i)), None, platform).await;
        }
        assert_eq!(share("2024-Q2")["value"], json!(1.0), "5 of 5");
        for k in 1..=5 {
            seed.report(q + days(10.0 + f64::from(k)), None, &[Public])
                .await;
            let f = share("2024-Q2");
            if k < 5 {
                assert_eq!(f["state"], "suppressed", "5 of {}", 5 + k);
                assert_eq!(f["value"], Value::Null);
            } else {
                assert_eq!(f["value"], json!(0.5));
            }
        }
        drop(server);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn national_rows_of_every_organisation_own_assessment_and_consultations() {
    for t in support::stores("policy_figures_orgs").await {
        let a = officer(&t, "Ministry").await;
        let b = officer(&t, "Other").await;
        let mut mine = seed(&t, "Ministry").await;
        let mut other = seed(&t, "Other").await;
        let server = start(&t, "TH");
        let q = at("2024-07-01T00:00:00Z");

        for i in 0..3 {
            mine.report(q + days(f64::from(i)), None, &[Public]).await;
            other.care_case(q + days(f64::from(i)), &[]).await;
        }
        for i in 0..2 {
            other.report(q + days(f64::from(i)), None, &[Public]).await;
            mine.care_case(q + days(f64::from(i)), &[]).await;
        }
        // The Ministry's Thai assessment: 5 of 10 met. Its later Vietnamese one and the
        // other organisation's later Thai one (all met) are not the Ministry's figure.
        mine.assessment("TH", 1, "2024-08-01", answers(5, 5)).await;
        mine.assessment("VN", 1, "2024-09-01", answers(10, 0)).await;
        other
            .assessment("TH", 1, "2024-09-01", answers(10, 0))
            .await;
        // Consultations: the Ministry's five on Thai law, two on Vietnamese law; the other
        // organisation's four.
        for day in [
            "2024-07-02",
            "2024-07-20",
            "2024-08-03",
            "2024-08-30",
            "2024-09-10",
        ] {
            mine.consultation(day).await;
        }
        for day in ["2024-07-03", "2024-07-04"] {
            mine.consultation_in("VN", day).await;
        }
        for day in ["2024-07-05", "2024-07-06", "2024-07-07", "2024-07-08"] {
            other.consultation(day).await;
        }

        let got = get(&server, &a, "2024-Q3");
        assert_eq!(reported(&got, "reports_received"), 5.0, "3 + 2");
        assert_eq!(reported(&got, "care_cases_opened"), 5.0, "2 + 3");
        assert_eq!(reported(&got, "legal_assessment_items_met"), 0.5);
        assert_eq!(reported(&got, "consultations_held"), 5.0);

        let got = get(&server, &b, "2024-Q3");
        assert_eq!(reported(&got, "reports_received"), 5.0);
        assert_eq!(reported(&got, "care_cases_opened"), 5.0);
        assert_eq!(reported(&got, "legal_assessment_items_met"), 1.0);
        assert_eq!(state(&got, "consultations_held"), "suppressed", "its own 4");
        drop(server);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn rows_at_the_quarter_bounds() {
    for t in support::stores("policy_figures_bounds").await {
        let token = officer(&t, "Ministry").await;
        let mut seed = seed(&t, "Ministry").await;
        let server = start(&t, "TH");
        // 2025-Q4: from 2025-10-01T00:00:00Z to (before) 2026-01-01T00:00:00Z.
        let q = at("2025-10-01T00:00:00Z");
        let end = at("2026-01-01T00:00:00Z");
        let before = at("2025-09-30T23:59:59Z");

        // Reports: one at the start (removed in 1 h), four within (2..5 h), one in the last
        // hour removed after the end; one a second before the start and one at the end.
        let first = seed.report(q, Some(1.0), &[Public]).await;
        let mut within = Vec::new();
        for h in [2.0, 3.0, 4.0, 5.0] {
            within.push(seed.report(q + days(h * 10.0), Some(h), &[Public]).await);
        }
        seed.report(at("2025-12-31T23:00:00Z"), Some(2.0), &[Public])
            .await;
        let earlier = seed.report(before, Some(1.0), &[Public]).await;
        seed.report(end, Some(1.0), &[Public]).await;

        // Police referrals: one at the start (of a report of the quarter before), four
        // within; one a second before the start and one at the end.
        seed.referral(earlier, "law_enforcement", q).await;
        for id in &within {
            seed.referral(*id, "law_enforcement", q + days(50.0)).await;
        }
        seed.referral(first, "law_enforcement", before).await;
        seed.referral(first, "law_enforcement", end).await;

        // Self-reports and care cases: one at the start, four within, one at the end (and a
        // care case in the last day whose service was planned after the end).
        seed.self_report(q).await;
        seed.care_case(q, &[("health", 1.0)]).await;
        for d in [2.0, 3.0, 4.0, 5.0] {
            seed.self_report(q + days(d * 10.0)).await;
            seed.care_case(q + days(d * 10.0), &[("health", d)]).await;
        }
        seed.self_report(end).await;
        seed.self_report(before).await;
        seed.care_case(end, &[("health", 1.0)]).await;
        seed.care_case(at("2025-12-31T00:00:00Z"), &[("health", 2.0)])
            .await;

        // Hashes: 5 added at the start; 3 at the end and 2 a second before.
        seed.bank(BankSharing::Platforms, q, 5).await;
        seed.bank(BankSharing::Platforms, end, 3).await;
        seed.bank(BankSharing::Platforms, before, 2).await;

        // Consultations on the first and last day and three within; the days either side not.
        for day in [
            "2025-10-01",
            "2025-11-01",
            "2025-11-15",
            "2025-12-01",
            "2025-12-31",
        ] {
            seed.consultation(day).await;
        }
        seed.consultation("2025-09-30").await;
        seed.consultation("2026-01-01").await;

        // Assessments: two on the last day (the later version counts: 5 of 10 met), one the
        // next day.
        seed.assessment("TH", 1, "2025-12-31", answers(1, 9)).await;
        seed.assessment("TH", 2, "2025-12-31", answers(5, 5)).await;
        seed.assessment("TH", 3, "2026-01-01", answers(10, 0)).await;

        let got = get(&server, &token, "2025-Q4");
        assert_eq!(reported(&got, "reports_received"), 6.0);
        // 1, 2, 3, 4, 5 hours: not the one removed after the end.
        assert_eq!(reported(&got, "median_hours_to_removal"), 3.0);
        assert_eq!(reported(&got, "reports_referred_to_police"), 5.0);
        assert_eq!(reported(&got, "self_report_cases"), 5.0);
        assert_eq!(reported(&got, "care_cases_opened"), 6.0);
        // 1, 2, 3, 4, 5 days: the last case's service came after the end.
        assert_eq!(reported(&got, "median_days_to_first_service"), 3.0);
        assert_eq!(reported(&got, "hashes_shared"), 5.0);
        assert_eq!(reported(&got, "consultations_held"), 5.0);
        assert_eq!(reported(&got, "legal_assessment_items_met"), 0.5);
        drop(server);
    }
}

/// `YYYY-Qn` of the quarter `at` falls in, moved by `by` quarters.
fn quarter_of(at: OffsetDateTime, by: i32) -> String {
    let index = at.year() * 4 + i32::from((u8::from(at.month()) - 1) / 3) + by;
    format!("{}-Q{}", index.div_euclid(4), index.rem_euclid(4) + 1)
}

#[tokio::test(flavor = "multi_thread")]
async fn only_ended_quarters_are_published() {
    for t in support::stores("policy_figures_ended").await {
        let token = officer(&t, "Ministry").await;
        let server = start(&t, "TH");
        let now = OffsetDateTime::now_utc();
        let current = quarter_of(now, 0);
        let last = quarter_of(now, -1);
        for quarter in [current.clone(), quarter_of(now, 1), "2100-Q4".to_owned()] {
            for path in [
                format!("/api/v1/policy/indicators?quarter={quarter}"),
                format!("/api/v1/policy/snapshots/{quarter}"),
            ] {
                let (status, answer) = server.get(&path, Some(&token));
                assert_eq!(status, 422, "{path}: {answer}");
                assert_eq!(answer["error"]["field"], "quarter", "{answer}");
                assert!(answer.to_string().contains("once it has ended"), "{answer}");
            }
        }
        // Without a quarter: the last complete one.
        let (status, answer) = server.get("/api/v1/policy/indicators", Some(&token));
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["quarter"], last.as_str());
        let (status, answer) =
            server.get(&format!("/api/v1/policy/snapshots/{last}"), Some(&token));
        assert_eq!(status, 200, "{answer}");

        // The page refuses the current quarter too, and offers ended quarters only.
        let page = |path: &str| {
            server.request("GET", path, Some(&token), &[("Accept-Language", "en")], b"")
        };
        let (status, html) = page(&format!("/policy/indicators?quarter={current}"));
        assert_eq!(status, 422);
        assert!(html.contains("once it has ended"), "{html}");
        let (status, html) = page("/policy/indicators");
        assert_eq!(status, 200);
        assert!(html.contains(&format!("value=\"{last}\"")), "{html}");
        assert!(html.contains(&format!("<option value=\"{last}\">")));
        assert!(!html.contains(&format!("<option value=\"{current}\">")));
        drop(server);
    }
}
