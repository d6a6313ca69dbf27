//! The Regional Plan of Action indicators, signed snapshots and the regional dashboard, over
//! loopback on SQLite and PostgreSQL: figures computed by the server equal figures computed
//! here by plain arithmetic from the rows this test inserted; small cells are suppressed;
//! snapshots with a bad signature, an unknown key or another country are refused and nothing
//! is stored; and a regional node shows three deployments' figures, and a silent country as
//! missing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lindung::access::Role;
use lindung::banks::entities::BankSharing;
use lindung::hotline::ReportSource;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};

mod browser;
mod figures;
mod refusals;
mod seed;
mod three;

use seed::{Seed, at, hours, q3};

use crate::support::server::Server;
use crate::support::{self, TestStore, user};

const QUARTER: &str = "2026-Q3";

/// The median of values, sorted here.
fn median_of(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn round(v: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (v * scale).round() / scale
}

/// The indicator `id` of a snapshot (or of the indicators answer).
fn figure<'v>(snapshot: &'v Value, id: &str) -> &'v Value {
    snapshot["indicators"]
        .as_array()
        .expect("indicators")
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {snapshot}"))
}

fn reported(snapshot: &Value, id: &str) -> f64 {
    let f = figure(snapshot, id);
    assert_eq!(f["state"], "reported", "{id}: {f}");
    f["value"].as_f64().expect("value")
}

fn state(snapshot: &Value, id: &str) -> String {
    let f = figure(snapshot, id);
    if f["state"] != "reported" {
        assert!(
            f["value"].is_null(),
            "{id}: a withheld figure has no value: {f}"
        );
    }
    f["state"].as_str().expect("state").to_owned()
}

/// A hotline configuration naming the deployment's country.
fn config_for(t: &TestStore, country: &str) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(lindung::hotline::config::DEFAULT_CONFIG).expect("config");
    config["country"] = json!(country);
    let path = t.location.data_dir.join("hotline-regional.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

fn start(t: &TestStore, country: &str) -> Server {
    let config = config_for(t, country);
    Server::start_with_env(
        &t.location,
        &[("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path"))],
    )
}

fn indicators(server: &Server, token: &str) -> Value {
    let (status, answer) = server.get(
        &format!("/api/v1/policy/indicators?quarter={QUARTER}"),
        Some(token),
    );
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn indicators_equal_figures_computed_from_the_rows() {
    for t in support::stores("policy_regional_figures").await {
        let token = user(
            &t.store,
            "officer@ministry.example",
            Role::PolicyOfficer,
            Some("Ministry"),
        )
        .await;
        let mut seed = Seed::new(&t.store, "Ministry", "officer@ministry.example").await;
        let server = start(&t, "TH");
        use ReportSource::{Partner, Platform, Public};

        // Reports: (hours after the quarter starts, hours to removal, sources).
        let rows: Vec<(f64, Option<f64>, Vec<ReportSource>)> = vec![
            (1.0, Some(2.25), vec![Platform]),
            (30.0, Some(5.5), vec![Platform, Public]),
            (200.0, Some(10.0), vec![Public, Platform]),
            (500.0, Some(31.35), vec![Public]),
            (900.0, Some(48.0), vec![Partner]),
            (1500.0, Some(101.7), vec![Platform]),
            (2000.0, None, vec![Public]),
            (2207.9, Some(1.0), vec![Public]),
        ];
        let mut ids = Vec::new();
        for (after, removed, sources) in &rows {
            ids.push(seed.report(q3() + hours(*after), *removed, sources).await);
        }
        // Outside the quarter, on both sides.
        seed.report(q3() - hours(0.01), Some(1.0), &[Platform])
            .await;
        seed.report(at("2026-10-01T00:00:00Z"), Some(1.0), &[Platform])
            .await;
        let in_quarter = rows.len() as f64;
        let first_platform = rows.iter().filter(|r| r.2[0] == Platform).count() as f64;
        // Removals before the quarter's end (92 days, 2208 hours, after its start) only: the
        // last report's (2207.9 + 1.0 hours) came after it.
        let removal: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.1.filter(|h| r.0 + h < 2208.0))
            .collect();

        // Police referrals: five reports, one of them twice; a partner referral and one sent
        // after the quarter do not count.
        for id in &ids[..5] {
            seed.referral(*id, "law_enforcement", q3() + hours(2000.0))
                .await;
        }
        seed.referral(ids[0], "law_enforcement", q3() + hours(2100.0))
            .await;
        seed.referral(ids[5], "partner", q3() + hours(10.0)).await;
        seed.referral(ids[6], "law_enforcement", at("2026-10-02T00:00:00Z"))
            .await;

        // Care cases: (days after the quarter starts, services with days after creation).
        let cases: Vec<(f64, Vec<(&str, f64)>)> = vec![
            (
                1.0,
                vec![("health", 2.0), ("justice", 5.0), ("health", 1.5)],
            ),
            (3.0, vec![("health", 1.0)]),
            (10.0, vec![("health", 3.25), ("justice", 0.5)]),
            (20.0, vec![("health", 7.0)]),
            (40.0, vec![("health", 0.75), ("mental_health", 2.0)]),
            (50.0, vec![]),
        ];
        for (after, services) in &cases {
            seed.care_case(q3() + hours(after * 24.0), services).await;
        }
        seed.care_case(q3() - hours(24.0), &[("health", 1.0)]).await;
        let firsts = |only: Option<&str>| -> Vec<f64> {
            cases
                .iter()
                .filter_map(|(_, s)| {
                    s.iter()
                        .filter(|(name, _)| only.is_none_or(|o| o == *name))
                        .map(|(_, d)| *d)
                        .min_by(f64::total_cmp)
                })
                .collect()
        };

        // Three self-reports (a small cell), consultations, banks, and the legal assessment.
        for day in [1.0, 2.0, 3.0] {
            seed.self_report(q3() + hours(day * 24.0)).await;
        }
        seed.self_report(q3() - hours(1.0)).await;
        for day in [
            "2026-07-05",
            "2026-08-01",
            "2026-08-15",
            "2026-09-01",
            "2026-09-30",
        ] {
            seed.consultation(day).await;
        }
        seed.consultation("2026-10-01").await;
        seed.bank(BankSharing::Platforms, q3() + hours(5.0), 6)
            .await;
        seed.bank(BankSharing::Platforms, q3() - hours(5.0), 4)
            .await;
        seed.bank(BankSharing::Private, q3() + hours(5.0), 9).await;
        let answers = |met: usize, partly: usize, not_met: usize, na: usize| {
            let mut all = serde_json::Map::new();
            for (status, n) in [
                ("met", met),
                ("partly_met", partly),
                ("not_met", not_met),
                ("not_applicable", na),
            ] {
                for i in 0..n {
                    all.insert(
                        format!("t1.{status}.{i}"),
                        json!({"status": status, "law": "Act", "note": ""}),
                    );
                }
            }
            Value::Object(all)
        };
        seed.assessment("TH", 1, "2026-02-01", answers(1, 5, 5, 0))
            .await;
        seed.assessment("TH", 2, "2026-08-01", answers(5, 1, 1, 1))
            .await;
        // Later than the quarter, and of another country: neither counts.
        seed.assessment("TH", 3, "2026-11-01", answers(0, 0, 9, 0))
            .await;
        seed.assessment("VN", 1, "2026-08-02", answers(9, 0, 0, 0))
            .await;

        let got = indicators(&server, &token);
        assert_eq!(got["country"], "TH");
        assert_eq!(got["quarter"], QUARTER);
        assert_eq!(reported(&got, "reports_received"), in_quarter);
        // Three of eight reports came first from a platform: the part is a small cell, and
        // share × reports would give it back.
        assert_eq!(first_platform, 3.0);
        assert_eq!(state(&got, "reports_from_it_companies_share"), "suppressed");
        assert_eq!(
            reported(&got, "median_hours_to_removal"),
            round(median_of(removal.clone()), 1)
        );
        // Six removals: a 90th percentile needs 50 (see `figures`).
        assert_eq!(removal.len(), 6);
        assert_eq!(state(&got, "p90_hours_to_removal"), "suppressed");
        assert_eq!(reported(&got, "reports_referred_to_police"), 5.0);
        assert_eq!(reported(&got, "care_cases_opened"), cases.len() as f64);
        assert_eq!(
            reported(&got, "median_days_to_first_service"),
            round(median_of(firsts(None)), 1)
        );
        let breakdown = &figure(&got, "median_days_to_first_service")["breakdown"];
        assert_eq!(
            breakdown["health"]["value"].as_f64(),
            Some(round(median_of(firsts(Some("health"))), 1)),
            "{breakdown}"
        );
        // Justice (two cases) and mental health (one) are left out, not shown withheld.
        assert_eq!(
            breakdown.as_object().map(|b| b.keys().collect::<Vec<_>>()),
            Some(vec![&"health".to_owned()]),
            "{breakdown}"
        );
        assert_eq!(state(&got, "self_report_cases"), "suppressed");
        assert_eq!(reported(&got, "consultations_held"), 5.0);
        assert_eq!(reported(&got, "hashes_shared"), 6.0);
        assert_eq!(
            reported(&got, "legal_assessment_items_met"),
            round(5.0 / 7.0, 3)
        );
        for id in ["hashes_received", "education_programmes"] {
            assert_eq!(state(&got, id), "unavailable", "never 0");
        }

        // Two more self-reports: five is published.
        for day in [4.0, 5.0] {
            seed.self_report(q3() + hours(day * 24.0)).await;
        }
        let got = indicators(&server, &token);
        assert_eq!(reported(&got, "self_report_cases"), 5.0);

        // A quarter with nothing: counts are 0, computed figures withheld, no assessment yet.
        let (_, empty) = server.get("/api/v1/policy/indicators?quarter=2025-Q1", Some(&token));
        assert_eq!(reported(&empty, "reports_received"), 0.0);
        assert_eq!(state(&empty, "median_hours_to_removal"), "suppressed");
        assert_eq!(state(&empty, "legal_assessment_items_met"), "unavailable");
        let (status, bad) = server.get("/api/v1/policy/indicators?quarter=2026-Q5", Some(&token));
        assert_eq!(
            (status, bad["error"]["field"].as_str()),
            (422, Some("quarter")),
            "{bad}"
        );
        drop(server);
    }
}

/// A new key pair and its public key in base64.
fn new_key() -> (Ed25519KeyPair, String) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
    let public = STANDARD.encode(pair.public_key().as_ref());
    (pair, public)
}

fn signed(pair: &Ed25519KeyPair, public: &str, body: &str) -> Value {
    let signature = STANDARD.encode(pair.sign(body.as_bytes()).as_ref());
    json!({"body": body, "signature": signature, "public_key": public})
}

fn body(country: &str, generated_at: &str) -> String {
    json!({"format": "lindung-rpa-snapshot/1", "country": country, "quarter": QUARTER,
           "generated_at": generated_at,
           "indicators": [{"id": "reports_received", "area": "specialised_units", "value": 42.0, "state": "reported"},
                          {"id": "hashes_received", "area": "data_research", "value": null, "state": "unavailable"}]})
    .to_string()
}
