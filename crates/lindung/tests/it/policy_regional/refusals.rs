//! Refused snapshots, over loopback on SQLite and PostgreSQL: a bad signature, an unknown
//! key, another country, a body no deployment may send (small cells, negative or fractional
//! counts, shares above 1, a date before the quarter ended or far ahead), an older snapshot;
//! each refused with nothing stored (on an empty table and when replacing), each audited in
//! order; weak and repeated partner keys refused; races end in 409, never 500.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lindung::access::Role;
use lindung::access::entities::audit_entry;
use lindung::policy::entities::snapshot as stored;
use lindung::store::Store;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};

use super::{QUARTER, body, figure, new_key, signed, start};
use crate::support::{self, user};

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
