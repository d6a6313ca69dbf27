//! Trust in the banks, over the real server on SQLite and PostgreSQL: lookups are bounded
//! (radius, number of hashes, each bank at its own threshold), the system banks belong to the
//! system, and a bank is shared only as far as its sharing scope says.

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, urlencode};

const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// `hex` with one bit flipped in each of its first `n` hex digits: at PDQ distance `n`.
fn at_distance(hex: &str, n: usize) -> String {
    hex.chars()
        .enumerate()
        .map(|(i, c)| {
            let digit = c.to_digit(16).expect("hex");
            let digit = if i < n { digit ^ 1 } else { digit };
            char::from_digit(digit, 16).expect("digit")
        })
        .collect()
}

fn field(answer: &Value) -> &Value {
    &answer["error"]["field"]
}

fn banks_matched(answer: &Value) -> Vec<String> {
    let mut names: Vec<String> = answer["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["bank"].as_str().expect("bank").to_owned())
        .collect();
    names.sort();
    names
}

fn create(server: &Server, token: &str, name: &str, threshold: i32) -> (u16, Value) {
    server.json(
        "POST",
        "/api/v1/banks",
        Some(token),
        &json!({"name": name, "pdq_threshold": threshold}),
    )
}

fn add_pdq(server: &Server, token: &str, bank: &str, pdq: &str) {
    let (status, answer) = server.json(
        "POST",
        &format!("/api/v1/banks/{bank}/content"),
        Some(token),
        &json!({"pdq": pdq, "note": format!("in {bank}")}),
    );
    assert_eq!(status, 201, "{answer}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_radius_wider_than_a_bank_threshold_is_for_admins_only() {
    for t in support::stores("bank_radius").await {
        let platform = support::user(&t.store, "p@example.org", Role::Platform, Some("P")).await;
        let admin = support::user(&t.store, "a@example.org", Role::Admin, None).await;
        let server = Server::start(&t.location);
        assert_eq!(create(&server, &platform, "P_BANK", 31).0, 201);
        add_pdq(&server, &platform, "P_BANK", BRIDGE);
        let near = at_distance(BRIDGE, 35);

        let ask = |token: &str, radius: u32| {
            server.json(
                "POST",
                "/api/v1/match",
                Some(token),
                &json!({"pdq": [near], "radius": radius}),
            )
        };
        let (status, answer) = ask(&platform, 40);
        assert_eq!(status, 422, "{}: {answer}", t.name);
        assert_eq!(answer["error"]["code"], "invalid");
        assert_eq!(field(&answer), "radius", "{}: {answer}", t.name);
        let (status, answer) = ask(&platform, 31);
        assert_eq!(status, 200, "{}: {answer}", t.name);
        assert!(banks_matched(&answer).is_empty(), "{}: {answer}", t.name);
        let (status, answer) = ask(&admin, 40);
        assert_eq!(status, 200, "{}: {answer}", t.name);
        assert_eq!(banks_matched(&answer), ["P_BANK"], "{}", t.name);
        let (status, answer) = ask(&admin, 65);
        assert_eq!((status, field(&answer).clone()), (422, json!("radius")));

        // HMA's routes answer a bad value with 400 `bad_request`, naming the field.
        for route in ["/m/lookup", "/m/raw_lookup"] {
            let path = |radius: u32| {
                format!(
                    "{route}?signal_type=pdq&signal={}&radius={radius}",
                    urlencode(&near)
                )
            };
            let (status, answer) = server.get(&path(40), Some(&platform));
            assert_eq!(status, 400, "{}: {route}: {answer}", t.name);
            assert_eq!(field(&answer), "radius", "{}: {route}: {answer}", t.name);
            let (status, answer) = server.get(&path(40), Some(&admin));
            assert_eq!(status, 200, "{}: {route}: {answer}", t.name);
            let (status, answer) = server.get(&path(20), Some(&platform));
            assert_eq!(status, 200, "{}: {route}: {answer}", t.name);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lookup_of_too_many_hashes_is_refused() {
    for t in support::stores("bank_hash_cap").await {
        let platform = support::user(&t.store, "p@example.org", Role::Platform, Some("P")).await;
        let server = Server::start(&t.location);
        let hashes = vec![BRIDGE; 1001];
        let (status, answer) = server.json(
            "POST",
            "/api/v1/match",
            Some(&platform),
            &json!({"pdq": hashes}),
        );
        assert_eq!(status, 422, "{}: {answer}", t.name);
        assert_eq!(field(&answer), "pdq", "{}: {answer}", t.name);
        let (status, answer) = server.json(
            "POST",
            "/api/v1/match",
            Some(&platform),
            &json!({"pdq": vec![BRIDGE; 1000]}),
        );
        assert_eq!(status, 200, "{}: {answer}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn each_bank_is_searched_at_its_own_threshold() {
    for t in support::stores("bank_thresholds").await {
        let admin = support::user(&t.store, "a@example.org", Role::Admin, None).await;
        let server = Server::start(&t.location);
        for (name, threshold) in [("NARROW", 10), ("USUAL", 31), ("WIDE", 64)] {
            assert_eq!(create(&server, &admin, name, threshold).0, 201);
        }
        add_pdq(&server, &admin, "NARROW", BRIDGE);
        add_pdq(&server, &admin, "USUAL", BRIDGE);
        let far = at_distance(BRIDGE, 20);
        let (status, answer) = server.json(
            "POST",
            "/api/v1/match",
            Some(&admin),
            &json!({"pdq": [far]}),
        );
        assert_eq!(status, 200, "{}: {answer}", t.name);
        assert_eq!(banks_matched(&answer), ["USUAL"], "{}: {answer}", t.name);
        assert_eq!(answer["matches"][0]["distance"], 20);
        let (status, answer) = server.get(
            &format!("/m/lookup?signal_type=pdq&signal={}", urlencode(&far)),
            Some(&admin),
        );
        assert_eq!(status, 200, "{}: {answer}", t.name);
        assert!(answer.get("NARROW").is_none(), "{}: {answer}", t.name);
        assert_eq!(answer["USUAL"][0]["distance"], "20", "{}: {answer}", t.name);
        // Close enough for both.
        let near = at_distance(BRIDGE, 5);
        let (_, answer) = server.json(
            "POST",
            "/api/v1/match",
            Some(&admin),
            &json!({"pdq": [near]}),
        );
        assert_eq!(banks_matched(&answer), ["NARROW", "USUAL"], "{}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_platform_keeps_its_bank_thresholds_at_most_40() {
    for t in support::stores("bank_platform_threshold").await {
        let platform = support::user(&t.store, "p@example.org", Role::Platform, Some("P")).await;
        let admin = support::user(&t.store, "a@example.org", Role::Admin, None).await;
        let server = Server::start(&t.location);
        let (status, answer) = create(&server, &platform, "P_WIDE", 64);
        assert_eq!(status, 422, "{}: {answer}", t.name);
        assert_eq!(field(&answer), "pdq_threshold", "{}: {answer}", t.name);
        let (status, answer) = server.json(
            "POST",
            "/c/banks",
            Some(&platform),
            &json!({"name": "P_WIDE", "pdq_threshold": 41}),
        );
        assert_eq!(status, 400, "{}: {answer}", t.name);
        assert_eq!(field(&answer), "pdq_threshold", "{}: {answer}", t.name);
        assert_eq!(create(&server, &platform, "P_BANK", 40).0, 201);
        let (status, answer) = server.json(
            "PATCH",
            "/api/v1/banks/P_BANK",
            Some(&platform),
            &json!({"pdq_threshold": 64}),
        );
        assert_eq!(status, 422, "{}: {answer}", t.name);
        assert_eq!(field(&answer), "pdq_threshold", "{}: {answer}", t.name);
        assert_eq!(create(&server, &admin, "A_WIDE", 64).0, 201, "{}", t.name);
    }
}
