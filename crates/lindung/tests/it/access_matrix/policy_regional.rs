//! The access policy of the policy domain's regional routes (see `docs/policy.md`): policy
//! officers and admins read the deployment's indicators and publish its signed snapshot; each
//! organisation keeps its own partners and the snapshots they sent, so a snapshot signed by a
//! partner of A is, to B, from a key it does not know (422 `unknown_partner`); every other role
//! gets 403. A's partners are named with a marker, and one of them sent A a snapshot holding a
//! marked value: neither may show in B's partner list, regional dashboard, CSV or page.

use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lindung::access::Role;
use ring::signature::{Ed25519KeyPair, KeyPair};
use serde_json::json;

use super::fixtures::{Fixtures, Relation};
use super::requests::{Body, Req};
use super::{Rule, Who};

const OFFICERS: Who = Who::Roles(&[Role::PolicyOfficer, Role::Admin]);

/// Countries handed out to partners, none twice in a run (a country is registered once per
/// organisation).
static COUNTRIES: AtomicUsize = AtomicUsize::new(0);

fn new_country() -> String {
    let n = COUNTRIES.fetch_add(1, Ordering::Relaxed) % (26 * 26);
    let letter = |i: usize| char::from(b'A' + u8::try_from(i).expect("letter"));
    format!("{}{}", letter(n / 26), letter(n % 26))
}

/// A new Ed25519 key pair and its public key in base64.
fn new_key() -> (Ed25519KeyPair, String) {
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).expect("key");
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).expect("pair");
    let public = STANDARD.encode(pair.public_key().as_ref());
    (pair, public)
}

fn partner(country: &str, key: &str) -> serde_json::Value {
    json!({"country": country, "name": format!("Ministry {country}"), "public_key": key})
}

/// The start of the names of A's partners (each then numbered): text only A may see.
const PARTNER_MARK: &str = "regional-partner-of-org-a-";

/// The value A's marked partner reported: nine digits no id, time or count here comes to.
const VALUE_MARK: &str = "987654321";

/// A partner of A registered by A's policy officer, its name marked: its country and key pair.
fn new_partner_of_a(f: &mut Fixtures) -> (String, Ed25519KeyPair, String) {
    let country = new_country();
    let (pair, public) = new_key();
    let name = format!("{PARTNER_MARK}{}", f.next());
    f.markers.push(name.clone());
    let token = f.token_of(Role::PolicyOfficer, Relation::Own);
    let (status, answer) = f.server.json(
        "POST",
        "/api/v1/policy/partners",
        Some(&token),
        &json!({"country": country, "name": name, "public_key": public}),
    );
    assert_eq!(status, 201, "registering a fixture partner: {answer}");
    (country, pair, public)
}

/// A signed snapshot of `country` for 2026-Q3 reporting `value` reports.
fn envelope(country: &str, pair: &Ed25519KeyPair, public: &str, value: f64) -> serde_json::Value {
    let body = json!({
        "format": "lindung-rpa-snapshot/1", "country": country, "quarter": "2026-Q3",
        "generated_at": "2026-10-01T00:00:00Z",
        "indicators": [{"id": "reports_received", "area": "specialised_units", "value": value, "state": "reported"}]
    })
    .to_string();
    let signature = STANDARD.encode(pair.sign(body.as_bytes()).as_ref());
    json!({"body": body, "signature": signature, "public_key": public})
}

/// A snapshot of a new partner of A (registered by A's policy officer), signed by it.
fn envelope_of_a_partner(f: &mut Fixtures) -> Vec<u8> {
    let (country, pair, public) = new_partner_of_a(f);
    envelope(&country, &pair, &public, 12.0)
        .to_string()
        .into_bytes()
}

/// Once per store: a marked partner of A whose snapshot of 2026-Q3, holding [`VALUE_MARK`], A
/// imported. A's own officer sees both marks (so the check that B never does can fire).
fn marked_partner_of_a(f: &mut Fixtures) {
    if f.markers.iter().any(|m| m == VALUE_MARK) {
        return;
    }
    let (country, pair, public) = new_partner_of_a(f);
    let name = f.markers.last().cloned().unwrap_or_default();
    let token = f.token_of(Role::PolicyOfficer, Relation::Own);
    let value: f64 = VALUE_MARK.parse().expect("number");
    let (status, answer) = f.server.json(
        "POST",
        "/api/v1/policy/regional/snapshots",
        Some(&token),
        &envelope(&country, &pair, &public, value),
    );
    assert_eq!(
        status, 201,
        "A importing its marked partner's snapshot: {answer}"
    );
    f.markers.push(VALUE_MARK.to_owned());
    let sees = |path: &str| f.server.request("GET", path, Some(&token), &[], b"");
    let (_, partners) = sees("/api/v1/policy/partners");
    let (_, csv) = sees("/api/v1/policy/regional.csv?quarter=2026-Q3");
    let (_, page) = sees("/policy/regional?quarter=2026-Q3");
    assert!(partners.contains(&name), "A sees its partner: {partners}");
    assert!(csv.contains(VALUE_MARK), "A's CSV: {csv}");
    assert!(
        page.contains(&name) && page.contains(VALUE_MARK),
        "A's page holds both marks"
    );
}

pub fn rules() -> Vec<Rule> {
    vec![
        Rule::open(
            "GET /api/v1/policy/key",
            OFFICERS,
            |_| Req::get("/api/v1/policy/key"),
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/indicators",
            OFFICERS,
            |_| Req::get("/api/v1/policy/indicators?quarter=2026-Q3"),
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/snapshots/{quarter}",
            OFFICERS,
            |_| Req::get("/api/v1/policy/snapshots/2026-Q3"),
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/partners",
            OFFICERS,
            |f| {
                marked_partner_of_a(f);
                Req::get("/api/v1/policy/partners")
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/policy/partners",
            OFFICERS,
            |_| {
                let (_, key) = new_key();
                Req::json(
                    "POST",
                    "/api/v1/policy/partners",
                    partner(&new_country(), &key),
                )
            },
            201,
        ),
        Rule::on_object(
            "POST /api/v1/policy/regional/snapshots",
            OFFICERS,
            |f| {
                let envelope: serde_json::Value =
                    serde_json::from_slice(&envelope_of_a_partner(f)).expect("json");
                Req::json("POST", "/api/v1/policy/regional/snapshots", envelope)
            },
            201,
            422,
        ),
        Rule::open(
            "GET /api/v1/policy/regional",
            OFFICERS,
            |f| {
                marked_partner_of_a(f);
                Req::get("/api/v1/policy/regional?quarter=2026-Q3")
            },
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/regional.csv",
            OFFICERS,
            |f| {
                marked_partner_of_a(f);
                Req::get("/api/v1/policy/regional.csv?quarter=2026-Q3")
            },
            200,
        ),
        // The pages.
        Rule::open(
            "GET /policy/indicators",
            OFFICERS,
            |_| Req::get("/policy/indicators?quarter=2026-Q3"),
            200,
        ),
        Rule::open(
            "GET /policy/regional",
            OFFICERS,
            |f| {
                marked_partner_of_a(f);
                Req::get("/policy/regional?quarter=2026-Q3")
            },
            200,
        ),
        Rule::open(
            "POST /policy/regional/partners",
            OFFICERS,
            |_| {
                let (_, key) = new_key();
                let country = new_country();
                Req::form(
                    "/policy/regional/partners",
                    &[
                        ("country", country.as_str()),
                        ("name", "Ministry"),
                        ("public_key", key.as_str()),
                    ],
                )
            },
            303,
        ),
        Rule::on_object(
            "POST /policy/regional/snapshots",
            OFFICERS,
            |f| Req {
                method: "POST",
                path: "/policy/regional/snapshots".to_owned(),
                body: Body::File("envelope_file", envelope_of_a_partner(f)),
            },
            303,
            422,
        ),
    ]
}
