//! The Regional Plan of Action indicators, signed snapshots and the regional dashboard, over
//! loopback on SQLite and PostgreSQL: figures computed by the server equal figures computed
//! here by plain arithmetic from the rows this test inserted; small cells are suppressed;
//! snapshots with a bad signature, an unknown key or another country are refused and nothing
//! is stored; and a regional node shows three deployments' figures, and a silent country as
//! missing.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lindung::access::Role;
use lindung::access::entities::audit_entry;
use lindung::banks::entities::BankSharing;
use lindung::hotline::ReportSource;
use lindung::policy::entities::snapshot as stored;
use lindung::store::Store;
use ring::signature::{Ed25519KeyPair, KeyPair};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

mod browser;
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
        let removal: Vec<f64> = rows.iter().filter_map(|r| r.1).collect();
        let mut sorted = removal.clone();
        sorted.sort_by(f64::total_cmp);
        // Nearest rank: the ceil(0.9 n)-th value.
        let p90 = sorted[(0.9 * sorted.len() as f64).ceil() as usize - 1];

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
        assert_eq!(
            reported(&got, "reports_from_it_companies_share"),
            round(first_platform / in_quarter, 3)
        );
        assert_eq!(
            reported(&got, "median_hours_to_removal"),
            round(median_of(removal), 1)
        );
        assert_eq!(reported(&got, "p90_hours_to_removal"), round(p90, 1));
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
        assert_eq!(
            breakdown["justice"],
            json!({"value": null, "state": "suppressed"})
        );
        assert_eq!(breakdown["mental_health"]["state"], "suppressed");
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

async fn stored_snapshots(store: &Store) -> u64 {
    stored::Entity::find()
        .count(store.db())
        .await
        .expect("count")
}

/// The reasons of the audited refusals, in the order they were recorded.
async fn refusal_reasons(store: &Store) -> Vec<String> {
    audit_entry::Entity::find()
        .filter(audit_entry::Column::Action.eq("policy.snapshot.refuse"))
        .order_by_asc(audit_entry::Column::Id)
        .all(store.db())
        .await
        .expect("audit")
        .into_iter()
        .map(|e| {
            let details: Value = serde_json::from_str(&e.details).expect("details");
            details["reason"].as_str().expect("reason").to_owned()
        })
        .collect()
}

/// A VN snapshot of the quarter holding `indicators` as given.
fn body_with(generated_at: &str, indicators: Value) -> String {
    json!({"format": "lindung-rpa-snapshot/1", "country": "VN", "quarter": QUARTER,
           "generated_at": generated_at, "indicators": indicators})
    .to_string()
}

fn reports_received(value: Value, state: &str) -> Value {
    json!({"id": "reports_received", "area": "specialised_units", "value": value, "state": state})
}

#[tokio::test(flavor = "multi_thread")]
async fn snapshots_with_a_bad_signature_are_refused_and_nothing_is_stored() {
    for t in support::stores("policy_regional_refusals").await {
        let token = user(
            &t.store,
            "node@region.example",
            Role::PolicyOfficer,
            Some("Region"),
        )
        .await;
        let other = user(
            &t.store,
            "other@else.example",
            Role::PolicyOfficer,
            Some("Elsewhere"),
        )
        .await;
        let server = start(&t, "MY");
        let (k1, p1) = new_key();
        let (k2, p2) = new_key();
        let add = |country: &str, key: &str, token: &str| {
            server.json("POST", "/api/v1/policy/partners", Some(token),
                &json!({"country": country, "name": format!("Ministry {country}"), "public_key": key}))
        };
        assert_eq!(add("VN", &p1, &token).0, 201);
        let (status, answer) = add("VN", &p2, &token);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (409, Some("partner_exists")),
            "a country once: {answer}"
        );
        let (status, answer) = add("TH", &p1, &token);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (409, Some("partner_exists")),
            "a key once: {answer}"
        );
        let (status, answer) = add("V1", &p2, &token);
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (422, Some("country"))
        );
        // The identity point: against it (R = identity, S = 0) signs any body.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let (status, answer) = add("KH", &STANDARD.encode(identity), &token);
        assert_eq!(
            (status, answer["error"]["field"].as_str()),
            (422, Some("public_key")),
            "a small-order key: {answer}"
        );
        let (_, partners) = server.get("/api/v1/policy/partners", Some(&token));
        assert_eq!(
            partners.as_array().map(Vec::len),
            Some(1),
            "only VN: {partners}"
        );

        let post = |envelope: &Value, token: &str| {
            server.json(
                "POST",
                "/api/v1/policy/regional/snapshots",
                Some(token),
                envelope,
            )
        };
        // Each refusal the import makes, with its audited reason, in order.
        let mut expected_reasons: Vec<&str> = Vec::new();
        let good = body("VN", "2026-10-01T08:00:00Z");
        let mut tampered = signed(&k1, &p1, &good);
        tampered["body"] = json!(good.replace("42.0", "43.0"));
        let refusals = [
            ("one byte of the body changed", tampered, "bad_signature"),
            (
                "signed by another key",
                json!({"body": good, "signature": signed(&k2, &p2, &good)["signature"], "public_key": p1}),
                "bad_signature",
            ),
            ("an unknown key", signed(&k2, &p2, &good), "unknown_partner"),
            (
                "another country",
                signed(&k1, &p1, &body("LA", "2026-10-01T08:00:00Z")),
                "country_mismatch",
            ),
        ];
        for (what, envelope, code) in &refusals {
            let (status, answer) = post(envelope, &token);
            assert_eq!(
                (status, answer["error"]["code"].as_str()),
                (422, Some(*code)),
                "{what}: {answer}"
            );
            expected_reasons.push(code);
        }
        // Bodies signed correctly that are not snapshots a deployment may send.
        let unknown_field = good.replacen('{', "{\"reporter\": \"x\", ", 1);
        let old_format = good.replace("lindung-rpa-snapshot/1", "lindung-rpa-snapshot/9");
        let bad_quarter = good.replace(QUARTER, "2026-Q7");
        let at = "2026-10-01T08:00:00Z";
        let unavailable = json!({"id": "hashes_received", "area": "data_research", "value": null, "state": "unavailable"});
        let share = |v: f64| json!({"id": "reports_from_it_companies_share", "area": "it_companies", "value": v, "state": "reported"});
        let bodies = [
            ("an unknown field", unknown_field, "body"),
            ("an unknown format", old_format, "body.format"),
            ("a malformed quarter", bad_quarter, "body.quarter"),
            (
                "a suppressed figure with a value",
                body_with(
                    at,
                    json!([unavailable, reports_received(json!(3.0), "suppressed")]),
                ),
                "body.indicators[1].value",
            ),
            (
                "an unavailable figure with a value",
                body_with(
                    at,
                    json!([reports_received(json!(42.0), "reported"), {"id": "hashes_received", "area": "data_research", "value": 0.0, "state": "unavailable"}]),
                ),
                "body.indicators[1].value",
            ),
            (
                "a reported figure without a value",
                body_with(at, json!([reports_received(json!(null), "reported")])),
                "body.indicators[0].value",
            ),
            (
                "an indicator twice",
                body_with(
                    at,
                    json!([
                        reports_received(json!(42.0), "reported"),
                        reports_received(json!(43.0), "reported")
                    ]),
                ),
                "body.indicators[1].id",
            ),
            (
                "a reported count of 3 (a small cell)",
                body_with(
                    at,
                    json!([
                        unavailable,
                        share(0.5),
                        reports_received(json!(3.0), "reported")
                    ]),
                ),
                "body.indicators[2].value",
            ),
            (
                "a reported count of 1",
                body_with(at, json!([reports_received(json!(1.0), "reported")])),
                "body.indicators[0].value",
            ),
            (
                "a negative count",
                body_with(at, json!([reports_received(json!(-6.0), "reported")])),
                "body.indicators[0].value",
            ),
            (
                "a fractional count",
                body_with(at, json!([reports_received(json!(42.5), "reported")])),
                "body.indicators[0].value",
            ),
            (
                "a share above 1",
                body_with(
                    at,
                    json!([reports_received(json!(42.0), "reported"), share(1.5)]),
                ),
                "body.indicators[1].value",
            ),
            (
                "a negative median",
                body_with(
                    at,
                    json!([{"id": "median_hours_to_removal", "area": "specialised_units", "value": -2.0, "state": "reported"}]),
                ),
                "body.indicators[0].value",
            ),
            (
                "a breakdown holding a negative median",
                body_with(
                    at,
                    json!([{"id": "median_days_to_first_service", "area": "protection_services", "value": 2.0, "state": "reported",
                                      "breakdown": {"health": {"value": -1.0, "state": "reported"}}}]),
                ),
                "body.indicators[0].breakdown",
            ),
            (
                "a breakdown with a value for a suppressed part",
                body_with(
                    at,
                    json!([{"id": "median_days_to_first_service", "area": "protection_services", "value": 2.0, "state": "reported",
                                      "breakdown": {"health": {"value": 1.0, "state": "suppressed"}}}]),
                ),
                "body.indicators[0].breakdown",
            ),
            (
                "made before the quarter ended",
                body("VN", "2026-09-30T23:00:00Z"),
                "body.generated_at",
            ),
            (
                "dated far ahead (it would block every later update)",
                body("VN", "2100-01-01T00:00:00Z"),
                "body.generated_at",
            ),
        ];
        for (what, text, field) in &bodies {
            let (status, answer) = post(&signed(&k1, &p1, text), &token);
            assert_eq!(
                (status, answer["error"]["field"].as_str()),
                (422, Some(*field)),
                "{what}: {answer}"
            );
            expected_reasons.push("invalid");
        }
        // Refused by the JSON reader before the import is reached: the one refusal not audited
        // (no envelope was read, so there is nothing of it to record).
        let (status, _) = post(
            &json!({"body": good, "signature": "", "public_key": p1, "extra": 1}),
            &token,
        );
        assert_eq!(status, 422, "unknown envelope fields are refused");
        assert_eq!(
            stored_snapshots(&t.store).await,
            0,
            "nothing refused was stored"
        );
        assert_eq!(
            refusal_reasons(&t.store).await,
            expected_reasons,
            "every refusal of the import is audited, in order"
        );

        // The partner is A's alone: to another organisation its key is unknown.
        let (status, answer) = post(&signed(&k1, &p1, &good), &other);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (422, Some("unknown_partner"))
        );
        expected_reasons.push("unknown_partner");
        assert_eq!(stored_snapshots(&t.store).await, 0);

        let shown = |token: &str| {
            let (status, regional) = server.get(
                &format!("/api/v1/policy/regional?quarter={QUARTER}"),
                Some(token),
            );
            assert_eq!(status, 200, "{regional}");
            let row = figure(&regional, "reports_received");
            (
                row["values"].clone(),
                regional["countries"][0]["generated_at"].clone(),
            )
        };
        let vn = |v: f64| json!([{"country": "VN", "value": v, "state": "reported"}]);

        let (status, answer) = post(&signed(&k1, &p1, &good), &token);
        assert_eq!(status, 201, "{answer}");
        assert_eq!(answer["replaced"], false);
        // An older snapshot, with a value of its own: refused, the held one stays.
        let older = body("VN", "2026-10-01T07:00:00Z").replace("42.0", "41.0");
        let (status, answer) = post(&signed(&k1, &p1, &older), &token);
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (409, Some("snapshot_not_newer")),
            "an older snapshot: {answer}"
        );
        expected_reasons.push("snapshot_not_newer");
        assert_eq!(
            post(&signed(&k1, &p1, &good), &token).0,
            409,
            "the same again"
        );
        expected_reasons.push("snapshot_not_newer");
        assert_eq!(shown(&token), (vn(42.0), json!("2026-10-01T08:00:00Z")));

        let newer = body("VN", "2026-10-02T07:00:00Z").replace("42.0", "44.0");
        let (status, answer) = post(&signed(&k1, &p1, &newer), &token);
        assert_eq!(
            (status, answer["replaced"].as_bool()),
            (201, Some(true)),
            "{answer}"
        );
        assert_eq!(stored_snapshots(&t.store).await, 1);
        assert_eq!(shown(&token), (vn(44.0), json!("2026-10-02T07:00:00Z")));

        // Refusals on the replace path: newer still, but tampered, of an unknown key, or
        // holding a small cell. Each refused, and the held 44 stays with its date.
        let newest = body("VN", "2026-10-03T07:00:00Z").replace("42.0", "45.0");
        let mut tampered = signed(&k1, &p1, &newest);
        tampered["body"] = json!(newest.replace("45.0", "46.0"));
        let small = body_with(
            "2026-10-03T07:00:00Z",
            json!([reports_received(json!(3.0), "reported")]),
        );
        for (what, envelope, code, field) in [
            ("tampered", tampered, "bad_signature", "signature"),
            (
                "of an unknown key",
                signed(&k2, &p2, &newest),
                "unknown_partner",
                "public_key",
            ),
            (
                "a reported count of 3",
                signed(&k1, &p1, &small),
                "invalid",
                "body.indicators[0].value",
            ),
        ] {
            let (status, answer) = post(&envelope, &token);
            assert_eq!(
                (
                    status,
                    answer["error"]["code"].as_str(),
                    answer["error"]["field"].as_str()
                ),
                (422, Some(code), Some(field)),
                "{what}: {answer}"
            );
            expected_reasons.push(code);
            assert_eq!(stored_snapshots(&t.store).await, 1, "{what}");
            assert_eq!(
                shown(&token),
                (vn(44.0), json!("2026-10-02T07:00:00Z")),
                "{what}: the held snapshot stays"
            );
        }
        assert_eq!(
            refusal_reasons(&t.store).await,
            expected_reasons,
            "every refusal of the import is audited, in order"
        );
        assert_eq!(
            audit_entry::Entity::find()
                .filter(audit_entry::Column::Action.eq("policy.snapshot.import"))
                .count(t.store.db())
                .await
                .expect("audit"),
            2,
            "one import audited per snapshot stored"
        );
        let (_, elsewhere) = server.get(
            &format!("/api/v1/policy/regional?quarter={QUARTER}"),
            Some(&other),
        );
        assert_eq!(
            elsewhere["countries"],
            json!([]),
            "partners are the organisation's own"
        );

        // Races: the same country registered at once, and snapshots of one quarter imported at
        // once, end in one stored row and conflicts, never a server error.
        let keys: Vec<String> = (0..6).map(|_| new_key().1).collect();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let calls: Vec<_> = keys
                .iter()
                .map(|key| scope.spawn(|| add("SG", key, &token).0))
                .collect();
            calls.into_iter().map(|c| c.join().expect("call")).collect()
        });
        assert_eq!(
            (
                statuses.iter().filter(|s| **s == 201).count(),
                statuses.iter().filter(|s| **s == 409).count()
            ),
            (1, keys.len() - 1),
            "{statuses:?}"
        );
        let q2 = |hour: usize| {
            json!({"format": "lindung-rpa-snapshot/1", "country": "VN", "quarter": "2026-Q2",
                   "generated_at": format!("2026-07-02T{hour:02}:00:00Z"),
                   "indicators": [reports_received(json!(10.0 + hour as f64), "reported")]})
            .to_string()
        };
        let envelopes: Vec<Value> = (0..6).map(|h| signed(&k1, &p1, &q2(h))).collect();
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let calls: Vec<_> = envelopes
                .iter()
                .map(|e| scope.spawn(|| post(e, &token).0))
                .collect();
            calls.into_iter().map(|c| c.join().expect("call")).collect()
        });
        assert!(
            statuses.contains(&201) && statuses.iter().all(|s| *s == 201 || *s == 409),
            "{statuses:?}"
        );
        assert_eq!(
            stored_snapshots(&t.store).await,
            2,
            "one of {QUARTER}, one of 2026-Q2"
        );
    }
}
