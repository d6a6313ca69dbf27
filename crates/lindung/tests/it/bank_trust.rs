//! Trust in the banks, over the real server on SQLite and PostgreSQL: lookups are bounded
//! (radius, number of hashes, each bank at its own threshold), and the system banks belong to
//! the system. Sharing scopes are in `bank_sharing`.

use lindung::access::Role;
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, urlencode};

pub(crate) const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// `hex` with one bit flipped in each of its first `n` hex digits: at PDQ distance `n`.
pub(crate) fn at_distance(hex: &str, n: usize) -> String {
    hex.chars()
        .enumerate()
        .map(|(i, c)| {
            let digit = c.to_digit(16).expect("hex");
            let digit = if i < n { digit ^ 1 } else { digit };
            char::from_digit(digit, 16).expect("digit")
        })
        .collect()
}

pub(crate) fn field(answer: &Value) -> &Value {
    &answer["error"]["field"]
}

pub(crate) fn banks_matched(answer: &Value) -> Vec<String> {
    let mut names: Vec<String> = answer["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| m["bank"].as_str().expect("bank").to_owned())
        .collect();
    names.sort();
    names
}

pub(crate) fn create(server: &Server, token: &str, name: &str, threshold: i32) -> (u16, Value) {
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
        // An admin of the bank's organisation: a private bank is its organisation's alone.
        let admin = support::user(&t.store, "a@example.org", Role::Admin, Some("P")).await;
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

/// Every way a user's route could list, change or add to `bank`, with the answer expected:
/// a 403 `system_bank`.
fn refused_everywhere(server: &Server, token: &str, bank: &str, what: &str) {
    let token = Some(token);
    let attempts: Vec<(&str, String, Value)> = vec![
        ("GET", format!("/api/v1/banks/{bank}"), Value::Null),
        ("GET", format!("/api/v1/banks/{bank}/content"), Value::Null),
        (
            "PATCH",
            format!("/api/v1/banks/{bank}"),
            json!({"name": "MINE"}),
        ),
        (
            "PATCH",
            format!("/api/v1/banks/{bank}"),
            json!({"enabled": false}),
        ),
        (
            "PATCH",
            format!("/api/v1/banks/{bank}"),
            json!({"pdq_threshold": 64}),
        ),
        ("DELETE", format!("/api/v1/banks/{bank}"), Value::Null),
        (
            "POST",
            format!("/api/v1/banks/{bank}/content"),
            json!({"pdq": BRIDGE}),
        ),
        ("GET", format!("/c/bank/{bank}"), Value::Null),
        ("PUT", format!("/c/bank/{bank}"), json!({"name": "MINE"})),
        ("PUT", format!("/c/bank/{bank}"), json!({"enabled": false})),
        ("DELETE", format!("/c/bank/{bank}"), Value::Null),
        (
            "POST",
            format!("/c/bank/{bank}/signal"),
            json!({"pdq": BRIDGE}),
        ),
    ];
    for (method, path, body) in attempts {
        let (status, answer) = if body.is_null() {
            let (status, text) = server.request(method, &path, token, &[], b"");
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        } else {
            server.json(method, &path, token, &body)
        };
        assert_eq!(status, 403, "{what}: {method} {path}: {answer}");
        assert_eq!(
            answer["error"]["code"], "system_bank",
            "{what}: {method} {path}"
        );
    }
    for path in ["/api/v1/banks", "/c/banks"] {
        let (status, answer) = server.get(path, token);
        assert_eq!(status, 200, "{what}: {path}: {answer}");
        assert!(
            !answer.to_string().contains(bank),
            "{what}: {path}: {answer}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn system_banks_belong_to_the_system() {
    use lindung::banks::store as banks;
    for t in support::stores("bank_system").await {
        let admin = support::user(&t.store, "a@example.org", Role::Admin, None).await;
        let platform = support::user(&t.store, "p@example.org", Role::Platform, Some("P")).await;
        let server = Server::start(&t.location);
        let (status, receipt) = server.json(
            "POST",
            "/api/v1/selfreport",
            None,
            &json!({"files": [{"pdq": BRIDGE, "quality": 90}]}),
        );
        assert_eq!(status, 201, "{}: {receipt}", t.name);
        let owner = banks::system_bank(&t.store, "CARE_HASHES")
            .await
            .expect("care bank");
        let system = banks::system_organisation(t.store.db())
            .await
            .expect("query")
            .expect("the migration made the system organisation");
        for name in ["SELF_REPORT", "CARE_HASHES"] {
            let found = banks::find_bank(&t.store, name).await.expect("bank");
            assert_eq!(found.organisation_id, system, "{}: {name}", t.name);
        }
        assert_eq!(owner.organisation_id, system);
        for name in ["SELF_REPORT", "CARE_HASHES"] {
            refused_everywhere(&server, &admin, name, &format!("{}: admin", t.name));
        }
        // Nobody joins the system organisation.
        let joined = lindung::access::add_user(
            &t.store,
            &lindung::access::audit::Actor::cli("test"),
            "s@example.org",
            Role::Admin,
            Some("system"),
            "a long enough passphrase",
        )
        .await;
        assert!(
            joined.is_err(),
            "{}: a user joined the system organisation",
            t.name
        );

        // The self-report flow still writes its bank, and its withdrawal reaches the feed.
        let (status, again) = server.json(
            "POST",
            "/api/v1/selfreport",
            None,
            &json!({"files": [{"md5": "d41d8cd98f00b204e9800998ecf8427e"}]}),
        );
        assert_eq!(status, 201, "{}: {again}", t.name);
        let (_, feed) = server.get("/api/v1/hashes/selfreport?since=0", Some(&platform));
        let actions = |feed: &Value| -> Vec<String> {
            feed["entries"]
                .as_array()
                .expect("entries")
                .iter()
                .map(|e| {
                    format!(
                        "{} {}",
                        e["action"].as_str().unwrap_or(""),
                        e["signal_type"]
                    )
                })
                .collect()
        };
        assert_eq!(
            actions(&feed),
            ["add \"pdq\"", "add \"md5\""],
            "{}: {feed}",
            t.name
        );
        let checkpoint = feed["checkpoint"].as_i64().expect("checkpoint");
        let (status, _) = server.json(
            "POST",
            "/api/v1/selfreport/withdraw",
            None,
            &json!({"case_number": again["case_number"], "pin": again["pin"]}),
        );
        assert_eq!(status, 200, "{}", t.name);
        let (_, feed) = server.get(
            &format!("/api/v1/hashes/selfreport?since={checkpoint}"),
            Some(&platform),
        );
        assert_eq!(actions(&feed), ["remove \"md5\""], "{}: {feed}", t.name);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_a_bank_writes_the_removal_of_each_signal() {
    use lindung::banks::entities::change;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    for t in support::stores("bank_removals").await {
        let platform = support::user(&t.store, "p@example.org", Role::Platform, Some("P")).await;
        let server = Server::start(&t.location);
        assert_eq!(create(&server, &platform, "GOING", 31).0, 201);
        add_pdq(&server, &platform, "GOING", BRIDGE);
        add_pdq(&server, &platform, "GOING", &at_distance(BRIDGE, 3));
        let bank = lindung::banks::store::find_bank(&t.store, "GOING")
            .await
            .expect("bank");
        let (status, _) =
            server.request("DELETE", "/api/v1/banks/GOING", Some(&platform), &[], b"");
        assert_eq!(status, 204, "{}", t.name);
        let kinds: Vec<String> = change::Entity::find()
            .filter(change::Column::BankId.eq(bank.id))
            .all(t.store.db())
            .await
            .expect("changes")
            .into_iter()
            .map(|c| c.kind)
            .collect();
        let removed = kinds.iter().filter(|k| *k == "signal_removed").count();
        assert_eq!(removed, 2, "{}: {kinds:?}", t.name);
        assert_eq!(kinds.last().map(String::as_str), Some("bank_deleted"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_migrations_move_existing_system_banks_to_the_system_organisation() {
    use lindung::access::audit::Actor;
    use lindung::banks::store::{self as banks, BankSharing};
    use sea_orm::ConnectionTrait;
    use sea_orm_migration::MigratorTrait;
    for t in support::stores("bank_system_migration").await {
        let actor = Actor::cli("test");
        let default = lindung::access::organisation_id(&t.store, &actor, "default")
            .await
            .expect("default organisation");
        for name in ["SELF_REPORT", "CARE_HASHES"] {
            banks::system_bank(&t.store, name)
                .await
                .expect("system bank");
        }
        let owner = lindung::access::Principal {
            user_id: 0,
            organisation_id: default,
            email: "cli".into(),
            role: Role::Admin,
            language: None,
        };
        banks::create_bank(
            &t.store,
            &actor,
            &owner,
            "OTHER",
            None,
            true,
            BankSharing::Private,
        )
        .await
        .expect("bank");
        // The database as it was before: system banks in the default organisation, no system
        // organisation, no sharing column, the two migrations not run.
        let db = t.store.db();
        for sql in [
            format!(
                "UPDATE banks SET organisation_id = {default} WHERE name IN ('SELF_REPORT', 'CARE_HASHES')"
            ),
            "DELETE FROM organisations WHERE name = 'system'".to_owned(),
            "ALTER TABLE banks DROP COLUMN sharing".to_owned(),
            "DELETE FROM seaql_migrations WHERE version IN ('m0008_system_banks', 'm0009_bank_sharing')"
                .to_owned(),
        ] {
            db.execute_unprepared(&sql).await.expect(&sql);
        }
        lindung::store::Migrator::up(db, None)
            .await
            .expect("the migrations run");
        let system = banks::system_organisation(db)
            .await
            .expect("query")
            .expect("the system organisation");
        assert_ne!(system, default);
        for name in ["SELF_REPORT", "CARE_HASHES"] {
            let found = banks::find_bank(&t.store, name).await.expect("bank");
            assert_eq!(
                (found.organisation_id, found.sharing),
                (system, BankSharing::Platforms),
                "{}: {name}",
                t.name
            );
        }
        let other = banks::find_bank(&t.store, "OTHER").await.expect("bank");
        assert_eq!(
            (other.organisation_id, other.sharing),
            (default, BankSharing::Private),
            "{}",
            t.name
        );
    }
}
