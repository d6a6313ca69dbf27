//! Banks and matching (docs/api.md "Banks and matching", docs/matching.md): admins, analysts and
//! platforms use banks; a private bank is its organisation's alone, and to anyone else it does
//! not exist (404). Matching searches only the banks the caller may see, so it answers everyone
//! allowed. HMA's routes serve HMA's clients: platforms and admins. A page form that adds to a
//! bank answers with the bank's page saying what was added (200); one that changes or deletes
//! the bank sends the browser on (303).

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, PDQ};
use super::requests::{Body, Req};
use super::{Rule, Who};
use crate::support::testdata;

const BANK_USERS: Who = Who::Roles(&[Role::Admin, Role::Analyst, Role::Platform]);
const HMA: Who = Who::Roles(&[Role::Admin, Role::Platform]);

/// A benign picture (a test pattern of PDQ's own test data).
fn picture() -> Vec<u8> {
    std::fs::read(testdata("pdq/data/bridge-mods/square-128x128.jpg")).expect("picture")
}

/// A short benign video of vPDQ's test data.
fn video() -> Vec<u8> {
    std::fs::read(testdata("vpdq/videos/test-padded-dimensions.mp4")).expect("video")
}

/// A PDQ hash no fixture holds, different each call.
fn new_pdq(f: &mut Fixtures) -> String {
    format!(
        "{:064x}",
        0x5eed_0000_u128 + f.next() as u128 * 0x1_0000_0001
    )
}

/// One rule on a bank of A: its own organisation gets `own`; another's gets 404.
fn on_bank(route: &'static str, who: Who, call: fn(&mut Fixtures) -> Req, own: u16) -> Rule {
    Rule::on_object(route, who, call, own, 404)
}

pub fn rules() -> Vec<Rule> {
    vec![
        // The JSON API.
        Rule::open(
            "GET /api/v1/banks",
            BANK_USERS,
            |_| Req::get("/api/v1/banks"),
            200,
        ),
        Rule::open(
            "POST /api/v1/banks",
            BANK_USERS,
            |f| {
                Req::json(
                    "POST",
                    "/api/v1/banks",
                    json!({"name": format!("NEW_{}", f.next())}),
                )
            },
            201,
        ),
        on_bank(
            "GET /api/v1/banks/{name}",
            BANK_USERS,
            |f| Req::get(format!("/api/v1/banks/{}", f.bank())),
            200,
        ),
        on_bank(
            "PATCH /api/v1/banks/{name}",
            BANK_USERS,
            |f| {
                Req::json(
                    "PATCH",
                    format!("/api/v1/banks/{}", f.bank()),
                    json!({"pdq_threshold": 30}),
                )
            },
            200,
        ),
        on_bank(
            "DELETE /api/v1/banks/{name}",
            BANK_USERS,
            |f| Req::empty("DELETE", format!("/api/v1/banks/{}", f.bank())),
            204,
        ),
        on_bank(
            "GET /api/v1/banks/{name}/content",
            BANK_USERS,
            |f| Req::get(format!("/api/v1/banks/{}/content", f.bank())),
            200,
        ),
        on_bank(
            "POST /api/v1/banks/{name}/content",
            BANK_USERS,
            |f| {
                let pdq = new_pdq(f);
                Req::json(
                    "POST",
                    format!("/api/v1/banks/{}/content", f.bank()),
                    json!({"pdq": pdq}),
                )
            },
            201,
        ),
        Rule::open(
            "POST /api/v1/match",
            BANK_USERS,
            |_| Req::json("POST", "/api/v1/match", json!({"pdq": [PDQ]})),
            200,
        ),
        Rule::open(
            "POST /api/v1/hash",
            BANK_USERS,
            |_| Req {
                method: "POST",
                path: "/api/v1/hash".into(),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/match/image",
            BANK_USERS,
            |_| Req {
                method: "POST",
                path: "/api/v1/match/image".into(),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/hash/video",
            BANK_USERS,
            |_| Req {
                method: "POST",
                path: "/api/v1/hash/video".into(),
                body: Body::File("video", video()),
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/match/video",
            BANK_USERS,
            |_| Req {
                method: "POST",
                path: "/api/v1/match/video".into(),
                body: Body::File("video", video()),
            },
            200,
        ),
        // HMA's API.
        Rule::open(
            "POST /h/hash",
            HMA,
            |_| Req {
                method: "POST",
                path: "/h/hash".into(),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        Rule::open(
            "GET /m/lookup",
            HMA,
            |_| Req::get(format!("/m/lookup?signal_type=pdq&signal={PDQ}")),
            200,
        ),
        Rule::open(
            "POST /m/lookup",
            HMA,
            |_| Req {
                method: "POST",
                path: "/m/lookup".into(),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        Rule::open(
            "GET /m/raw_lookup",
            HMA,
            |_| Req::get(format!("/m/raw_lookup?signal_type=pdq&signal={PDQ}")),
            200,
        ),
        Rule::open("GET /c/banks", HMA, |_| Req::get("/c/banks"), 200),
        Rule::open(
            "POST /c/banks",
            HMA,
            |f| {
                Req::json(
                    "POST",
                    "/c/banks",
                    json!({"name": format!("HMA_{}", f.next())}),
                )
            },
            201,
        ),
        on_bank(
            "GET /c/bank/{name}",
            HMA,
            |f| Req::get(format!("/c/bank/{}", f.bank())),
            200,
        ),
        on_bank(
            "PUT /c/bank/{name}",
            HMA,
            |f| {
                Req::json(
                    "PUT",
                    format!("/c/bank/{}", f.bank()),
                    json!({"enabled": true}),
                )
            },
            200,
        ),
        on_bank(
            "DELETE /c/bank/{name}",
            HMA,
            |f| Req::empty("DELETE", format!("/c/bank/{}", f.bank())),
            200,
        ),
        on_bank(
            "POST /c/bank/{name}/signal",
            HMA,
            |f| {
                let pdq = new_pdq(f);
                Req::json(
                    "POST",
                    format!("/c/bank/{}/signal", f.bank()),
                    json!({"pdq": pdq}),
                )
            },
            200,
        ),
        on_bank(
            "POST /c/bank/{name}/content",
            HMA,
            |f| Req {
                method: "POST",
                path: format!("/c/bank/{}/content", f.bank()),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        // The pages.
        Rule::open("GET /banks", BANK_USERS, |_| Req::get("/banks"), 200),
        Rule::open(
            "POST /banks",
            BANK_USERS,
            |f| {
                let name = format!("PAGE_{}", f.next());
                Req::form("/banks", &[("name", &name)])
            },
            303,
        ),
        on_bank(
            "GET /banks/{name}",
            BANK_USERS,
            |f| Req::get(format!("/banks/{}", f.bank())),
            200,
        ),
        on_bank(
            "POST /banks/{name}/signals",
            BANK_USERS,
            |f| {
                let pdq = new_pdq(f);
                Req::form(format!("/banks/{}/signals", f.bank()), &[("pdq", &pdq)])
            },
            200,
        ),
        on_bank(
            "POST /banks/{name}/upload",
            BANK_USERS,
            |f| Req {
                method: "POST",
                path: format!("/banks/{}/upload", f.bank()),
                body: Body::File("photo", picture()),
            },
            200,
        ),
        on_bank(
            "POST /banks/{name}/import",
            BANK_USERS,
            |f| {
                let line = format!("{}\n", new_pdq(f));
                Req {
                    method: "POST",
                    path: format!("/banks/{}/import", f.bank()),
                    body: Body::File("list", line.into_bytes()),
                }
            },
            200,
        ),
        on_bank(
            "GET /banks/{name}/export",
            BANK_USERS,
            |f| Req::get(format!("/banks/{}/export", f.bank())),
            200,
        ),
        on_bank(
            "POST /banks/{name}/settings",
            BANK_USERS,
            |f| {
                let name = f.bank();
                Req::form(
                    format!("/banks/{name}/settings"),
                    &[
                        ("name", &name),
                        ("pdq_threshold", "30"),
                        ("enabled", "on"),
                        ("sharing", "private"),
                    ],
                )
            },
            303,
        ),
        on_bank(
            "POST /banks/{name}/delete",
            BANK_USERS,
            |f| Req::form(format!("/banks/{}/delete", f.bank()), &[("confirm", "yes")]),
            303,
        ),
        Rule::open("GET /match", BANK_USERS, |_| Req::get("/match"), 200),
        Rule::open(
            "POST /match",
            BANK_USERS,
            |_| Req {
                method: "POST",
                path: "/match".into(),
                body: Body::File("photo", picture()),
            },
            200,
        ),
    ]
}
