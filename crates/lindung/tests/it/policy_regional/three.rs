//! Three deployments, each with its own store and country, publish signed snapshots; a
//! regional node imports them and shows each country's figures, and a country that sent
//! nothing as missing (API, CSV and pages).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lindung::access::Role;
use lindung::access::entities::audit_entry;
use lindung::hotline::ReportSource;
use lindung::policy::entities::signing_key;
use lindung::store::fields::FieldCipher;
use ring::signature::{ED25519, Ed25519KeyPair, UnparsedPublicKey};
use sea_orm::{EntityTrait, QueryOrder};
use serde_json::{Value, json};

use super::seed::{Seed, hours, q3};
use super::{QUARTER, figure, new_key, reported, signed, start, state};
use crate::support::server::Server;
use crate::support::{self, TestStore, user};

/// A deployment of `country`: its server, its officer's token, and a seeding of its own.
struct Deployment {
    t: TestStore,
    server: Server,
    token: String,
}

async fn deployment(name: &'static str, which: usize, country: &str) -> Deployment {
    let mut stores = support::stores(name).await;
    let t = stores.remove(which % stores.len());
    let email = format!("officer@{}.example", country.to_lowercase());
    let org = format!("Ministry {country}");
    let token = user(&t.store, &email, Role::PolicyOfficer, Some(&org)).await;
    let server = start(&t, country);
    Deployment { t, server, token }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_regional_node_shows_three_deployments_and_a_silent_country_as_missing() {
    let th = deployment("policy_regional_th", 0, "TH").await;
    let vn = deployment("policy_regional_vn", 1, "VN").await;
    let ph = deployment("policy_regional_ph", 0, "PH").await;
    let node = deployment("policy_regional_node", 1, "MY").await;

    // Each deployment's own rows: Thailand 6 reports, Vietnam 3 (a small cell) and 5
    // self-reports, the Philippines 7 care cases.
    let mut seed = Seed::new(&th.t.store, "Ministry TH", "officer@th.example").await;
    for i in 0..6 {
        seed.report(
            q3() + hours(10.0 * i as f64),
            Some(4.0 + i as f64),
            &[ReportSource::Platform],
        )
        .await;
    }
    let mut seed = Seed::new(&vn.t.store, "Ministry VN", "officer@vn.example").await;
    for i in 0..3 {
        seed.report(q3() + hours(10.0 * i as f64), None, &[ReportSource::Public])
            .await;
    }
    for i in 0..5 {
        seed.self_report(q3() + hours(5.0 * i as f64)).await;
    }
    let mut seed = Seed::new(&ph.t.store, "Ministry PH", "officer@ph.example").await;
    for i in 0..7 {
        seed.care_case(q3() + hours(24.0 * i as f64), &[("health", 1.0)])
            .await;
    }

    let (lao_pair, lao_key) = new_key();
    let mut published = Vec::new();
    let mut keys = Vec::new();
    for (d, country) in [(&th, "TH"), (&vn, "VN"), (&ph, "PH")] {
        let (status, key) = d.server.get("/api/v1/policy/key", Some(&d.token));
        assert_eq!(
            (status, key["country"].as_str()),
            (200, Some(country)),
            "{key}"
        );
        let (status, envelope) = d.server.get(
            &format!("/api/v1/policy/snapshots/{QUARTER}"),
            Some(&d.token),
        );
        assert_eq!(status, 200, "{envelope}");
        assert_eq!(envelope["public_key"], key["public_key"]);
        keys.push(key["public_key"].as_str().expect("key").to_owned());
        // The signature verifies over the body's exact bytes, by the published key.
        let public = STANDARD
            .decode(key["public_key"].as_str().expect("key"))
            .expect("b64");
        let signature = STANDARD
            .decode(envelope["signature"].as_str().expect("sig"))
            .expect("b64");
        let text = envelope["body"].as_str().expect("body");
        UnparsedPublicKey::new(&ED25519, &public)
            .verify(text.as_bytes(), &signature)
            .expect("the snapshot's signature verifies");
        // Aggregates only: the body holds the listed keys and nothing else.
        let snapshot: Value = serde_json::from_str(text).expect("body");
        let mut keys: Vec<&String> = snapshot.as_object().expect("object").keys().collect();
        keys.sort();
        assert_eq!(
            keys,
            ["country", "format", "generated_at", "indicators", "quarter"]
        );
        for f in snapshot["indicators"].as_array().expect("list") {
            for k in f.as_object().expect("figure").keys() {
                assert!(
                    ["id", "area", "value", "state", "breakdown"].contains(&k.as_str()),
                    "{k}"
                );
            }
        }
        let (status, answer) = node.server.json("POST", "/api/v1/policy/partners", Some(&node.token),
            &json!({"country": country, "name": format!("Ministry {country}"), "public_key": key["public_key"]}));
        assert_eq!(status, 201, "{answer}");
        published.push((country, snapshot, envelope));
    }
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), 3, "each deployment signs with a key of its own");
    // Independently: the figures each deployment was seeded with.
    assert_eq!(reported(&published[0].1, "reports_received"), 6.0);
    assert_eq!(state(&published[1].1, "reports_received"), "suppressed");
    assert_eq!(reported(&published[1].1, "self_report_cases"), 5.0);
    assert_eq!(reported(&published[2].1, "care_cases_opened"), 7.0);
    assert_eq!(reported(&published[2].1, "reports_received"), 0.0);

    let (status, _) = node.server.json(
        "POST",
        "/api/v1/policy/partners",
        Some(&node.token),
        &json!({"country": "LA", "name": "Ministry LA", "public_key": lao_key}),
    );
    assert_eq!(status, 201);
    // Laos sends a snapshot of another quarter only: for this one it stays missing.
    let lao_q2 = json!({"format": "lindung-rpa-snapshot/1", "country": "LA", "quarter": "2026-Q2",
        "generated_at": "2026-07-05T00:00:00Z",
        "indicators": [{"id": "reports_received", "area": "specialised_units", "value": 9.0, "state": "reported"}]})
    .to_string();
    let (status, answer) = node.server.json(
        "POST",
        "/api/v1/policy/regional/snapshots",
        Some(&node.token),
        &signed(&lao_pair, &lao_key, &lao_q2),
    );
    assert_eq!(status, 201, "LA 2026-Q2: {answer}");
    let (_, q2) = node
        .server
        .get("/api/v1/policy/regional?quarter=2026-Q2", Some(&node.token));
    assert_eq!(
        figure(&q2, "reports_received")["values"][0],
        json!({"country": "LA", "value": 9.0, "state": "reported"}),
        "{q2}"
    );
    // Two through the API, the third as a file uploaded on the page.
    for (country, _, envelope) in &published[..2] {
        let (status, answer) = node.server.json(
            "POST",
            "/api/v1/policy/regional/snapshots",
            Some(&node.token),
            envelope,
        );
        assert_eq!(status, 201, "{country}: {answer}");
    }
    let file = published[2].2.to_string();
    let (status, answer) = node.server.upload_field(
        "/policy/regional/snapshots",
        Some(&node.token),
        "envelope_file",
        file.as_bytes(),
    );
    assert_eq!(status, 303, "{answer}");

    let (status, regional) = node.server.get(
        &format!("/api/v1/policy/regional?quarter={QUARTER}"),
        Some(&node.token),
    );
    assert_eq!(status, 200, "{regional}");
    let countries: Vec<(&str, &str)> = regional["countries"]
        .as_array()
        .expect("countries")
        .iter()
        .map(|c| {
            (
                c["country"].as_str().expect("c"),
                c["state"].as_str().expect("s"),
            )
        })
        .collect();
    assert_eq!(
        countries,
        [
            ("LA", "missing"),
            ("PH", "received"),
            ("TH", "received"),
            ("VN", "received")
        ]
    );
    let (status, csv) = node.server.request(
        "GET",
        &format!("/api/v1/policy/regional.csv?quarter={QUARTER}"),
        Some(&node.token),
        &[],
        b"",
    );
    assert_eq!(status, 200);
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("country,indicator,value,state"));
    let csv_rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let indicator_count = regional["indicators"].as_array().expect("rows").len();
    assert_eq!(csv_rows.len(), 4 * indicator_count);
    for row in regional["indicators"].as_array().expect("rows") {
        let id = row["id"].as_str().expect("id");
        let cell = |country: &str| {
            row["values"]
                .as_array()
                .expect("values")
                .iter()
                .find(|v| v["country"] == country)
                .expect("cell")
                .clone()
        };
        let csv_cell = |country: &str| {
            csv_rows
                .iter()
                .find(|r| r[0] == country && r[1] == id)
                .unwrap_or_else(|| panic!("no CSV row {country} {id}"))
                .clone()
        };
        for (country, snapshot, _) in &published {
            let sent = figure(snapshot, id);
            let shown = cell(country);
            assert_eq!(
                (&shown["value"], &shown["state"]),
                (&sent["value"], &sent["state"]),
                "{country} {id}"
            );
            let written = csv_cell(country);
            assert_eq!(
                written[3],
                sent["state"].as_str().expect("state"),
                "{country} {id}"
            );
            let value = sent["value"].as_f64().map(|v| {
                if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    v.to_string()
                }
            });
            assert_eq!(written[2], value.unwrap_or_default(), "{country} {id}");
        }
        assert_eq!(
            cell("LA"),
            json!({"country": "LA", "value": null, "state": "missing"}),
            "never zero"
        );
        assert_eq!(csv_cell("LA")[2..], ["", "missing"]);
    }

    // The pages: in each language, every cell of the silent country is marked missing (the
    // word, never 0); a real zero is 0, a small cell <5, and what no deployment holds reads
    // "not available".
    let ids: Vec<&str> = regional["indicators"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let column = |country: &str| {
        countries
            .iter()
            .position(|(c, _)| *c == country)
            .expect("country")
    };
    let row = |id: &str| ids.iter().position(|i| *i == id).expect("indicator");
    for (lang, missing, unavailable) in [
        ("en", "missing", "not available"),
        ("vi", "chưa gửi", "không có dữ liệu"),
        ("th", "ไม่ได้ส่งข้อมูล", "ไม่มีข้อมูล"),
    ] {
        let (status, page) = node.server.request(
            "GET",
            &format!("/policy/regional?quarter={QUARTER}"),
            Some(&node.token),
            &[("Accept-Language", lang)],
            b"",
        );
        assert_eq!(status, 200);
        assert!(page.contains(&format!("lang=\"{lang}\"")), "{lang}");
        assert!(page.contains("<svg"), "charts");
        let cells = dashboard_cells(&page);
        assert_eq!(cells.len(), ids.len(), "{lang}: one row per indicator");
        for (id, row) in ids.iter().zip(&cells) {
            assert_eq!(row.len(), countries.len(), "{lang} {id}");
            assert_eq!(
                row[column("LA")],
                ("state-missing".to_owned(), missing.to_owned()),
                "{lang} {id}: LA sent nothing for {QUARTER}"
            );
        }
        let cell = |id: &str, country: &str| cells[row(id)][column(country)].clone();
        assert_eq!(
            cell("reports_received", "PH"),
            ("state-reported".to_owned(), "0".to_owned()),
            "{lang}: a real zero"
        );
        assert_eq!(
            cell("reports_received", "VN"),
            ("state-suppressed".to_owned(), "<5".to_owned()),
            "{lang}: a small cell"
        );
        assert_eq!(
            cell("reports_received", "TH"),
            ("state-reported".to_owned(), "6".to_owned()),
            "{lang}"
        );
        for id in ["hashes_received", "education_programmes"] {
            for country in ["PH", "TH", "VN"] {
                assert_eq!(
                    cell(id, country),
                    ("state-unavailable".to_owned(), unavailable.to_owned()),
                    "{lang} {id} {country}: not available, never 0"
                );
            }
        }
    }
    let (status, page) = th.server.request(
        "GET",
        &format!("/policy/indicators?quarter={QUARTER}"),
        Some(&th.token),
        &[("Accept-Language", "vi")],
        b"",
    );
    assert_eq!(status, 200);
    assert!(page.contains(&format!("/api/v1/policy/snapshots/{QUARTER}")));
    // The cells of what this deployment does not hold read "not available" (in the catalogue:
    // hashes shared then received; education programmes alone in its area).
    let unavailable = (
        "state-unavailable".to_owned(),
        "không có dữ liệu".to_owned(),
    );
    assert_eq!(area_cells(&page, "data_research")[1], unavailable);
    assert_eq!(area_cells(&page, "education"), [unavailable]);
    assert_eq!(
        area_cells(&page, "specialised_units")[0],
        ("state-reported".to_owned(), "6".to_owned()),
        "TH's reports"
    );
    // A refused partner form keeps what was typed.
    let (status, page) = node.server.request(
        "POST",
        "/policy/regional/partners",
        Some(&node.token),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        b"country=KH&name=Ministry%20KH&public_key=not-a-key",
    );
    assert_eq!(status, 422);
    assert!(
        page.contains("value=\"Ministry KH\"") && page.contains("value=\"not-a-key\""),
        "{page}"
    );
    // A pasted snapshot that fails keeps the pasted text, and stores nothing.
    let boundary = "regionalboundary";
    let pasted = "{\"body\": \"typed by hand\"}";
    let form = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"envelope\"\r\n\r\n{pasted}\r\n--{boundary}--\r\n"
    );
    let (status, page) = node.server.request(
        "POST",
        "/policy/regional/snapshots",
        Some(&node.token),
        &[(
            "Content-Type",
            &format!("multipart/form-data; boundary={boundary}"),
        )],
        form.as_bytes(),
    );
    assert_eq!(status, 422);
    assert!(
        page.contains("typed by hand") && page.contains("id=\"import-error\""),
        "{page}"
    );

    // Every step was audited, on the deployments and on the node.
    for (store, actions) in [
        (
            &th.t.store,
            &[
                "policy.key.create",
                "policy.snapshot.publish",
                "policy.indicators.read",
            ][..],
        ),
        (
            &node.t.store,
            &[
                "policy.partner.create",
                "policy.snapshot.import",
                "policy.regional.read",
                "policy.partner.list",
            ][..],
        ),
    ] {
        let logged: Vec<String> = audit_entry::Entity::find()
            .all(store.db())
            .await
            .expect("audit")
            .into_iter()
            .map(|e| e.action)
            .collect();
        for action in actions {
            assert!(
                logged.iter().any(|a| a == action),
                "{action} not in {logged:?}"
            );
        }
    }
    let imports = audit_entry::Entity::find()
        .all(node.t.store.db())
        .await
        .expect("audit")
        .into_iter()
        .filter(|e| e.action == "policy.snapshot.import")
        .count();
    assert_eq!(
        imports, 4,
        "one entry per snapshot stored (LA's of 2026-Q2 too), none for refusals"
    );

    // The signing key persists: the same after a restart, its secret sealed in the store.
    let (_, before) = th.server.get("/api/v1/policy/key", Some(&th.token));
    let Deployment { t, server, token } = th;
    drop(server);
    let server = start(&t, "TH");
    let (status, after) = server.get("/api/v1/policy/key", Some(&token));
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["public_key"], before["public_key"], "the same key");
    assert_eq!(after["public_key"], published[0].2["public_key"]);
    let rows = signing_key::Entity::find()
        .order_by_asc(signing_key::Column::Id)
        .all(t.store.db())
        .await
        .expect("keys");
    assert_eq!(rows.len(), 1, "one key, made once");
    assert_eq!(
        Some(rows[0].public_key.as_str()),
        after["public_key"].as_str()
    );
    let secret = &rows[0].sealed_secret;
    assert!(FieldCipher::is_sealed(secret), "sealed: {secret}");
    let clear = STANDARD.decode(secret.as_bytes()).unwrap_or_default();
    assert!(
        Ed25519KeyPair::from_pkcs8(&clear).is_err(),
        "not the PKCS#8 in the clear"
    );
    // The start of an Ed25519 PKCS#8 document (v1 and v2) in base64.
    for clear_start in ["MC4CAQAwBQYDK2Vw", "MFECAQEwBQYDK2Vw", "MFMCAQEwBQYDK2Vw"] {
        assert!(!secret.contains(clear_start), "{secret}");
    }
    drop((server, vn, ph, node));
}

/// The dashboard table's cells, row by row without the indicator's title: (class, text), the
/// text with HTML's escapes read back.
fn dashboard_cells(page: &str) -> Vec<Vec<(String, String)>> {
    let start = page
        .find("<table id=\"dashboard\">")
        .expect("the dashboard table");
    let table = &page[start..];
    table_cells(&table[..table.find("</table>").expect("table end")])
}

/// The value cells of an area's table on the indicators page, one per indicator.
fn area_cells(page: &str, area: &str) -> Vec<(String, String)> {
    let start = page
        .find(&format!("<section id=\"area-{area}\">"))
        .unwrap_or_else(|| panic!("no area {area}"));
    let section = &page[start..];
    table_cells(&section[..section.find("</section>").expect("section end")])
        .into_iter()
        .map(|mut row| row.remove(0))
        .collect()
}

/// A table's body cells after each row's first: (class, text).
fn table_cells(table: &str) -> Vec<Vec<(String, String)>> {
    let body = &table[table.find("<tbody>").expect("tbody")..];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(2)
                .map(|cell| {
                    let class = cell
                        .split_once("class=\"")
                        .and_then(|(_, rest)| rest.split_once('"'))
                        .map(|(class, _)| class.to_owned())
                        .unwrap_or_default();
                    let text = cell
                        .split_once('>')
                        .and_then(|(_, rest)| rest.split_once("</td>"))
                        .map(|(text, _)| text)
                        .unwrap_or_default();
                    let text = unescape(text);
                    (class, text)
                })
                .collect()
        })
        .collect()
}

/// HTML text with its escapes (named and numeric) read back.
fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let end = tail.find(';').expect("an escape ends with ;");
        let name = &tail[1..end];
        let c = match name {
            "lt" => '<',
            "gt" => '>',
            "amp" => '&',
            "quot" => '"',
            "apos" => '\'',
            _ => {
                let code = name
                    .strip_prefix("#x")
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| name.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .unwrap_or_else(|| panic!("unknown escape &{name};"));
                char::from_u32(code).expect("a character")
            }
        };
        out.push(c);
        rest = &tail[end + 1..];
    }
    out.push_str(rest);
    out
}
