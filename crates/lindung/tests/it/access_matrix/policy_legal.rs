//! The access policy of the policy domain's legal routes (see `docs/policy.md`): policy
//! officers and admins work with their own organisation's assessments and consultations; an
//! assessment of another organisation is not found (404), and lists hold only the caller's
//! organisation's records. The hotline's analysts also read the national law table.

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, Relation};
use super::requests::Req;
use super::{Rule, Who};

const POLICY: Who = Who::Roles(&[Role::PolicyOfficer, Role::Admin]);
const LAW_TABLE: Who = Who::Roles(&[Role::Analyst, Role::Admin, Role::PolicyOfficer]);

/// A new version of A's assessment of Thailand, made by A's policy officer, its note a marker
/// no other organisation may see: its id.
fn assessment_a(f: &mut Fixtures) -> String {
    let marker = format!("legal-note-of-org-a-{}", f.next());
    f.markers.push(marker.clone());
    let token = f.token_of(Role::PolicyOfficer, Relation::Own);
    let body = json!({
        "country": "TH",
        "assessed_on": "2026-01-15",
        "answers": {"t1-grooming": {"status": "partly_met", "law": "Criminal Code", "note": marker}},
    });
    let (status, answer) = f
        .server
        .json("POST", "/api/v1/policy/assessments", Some(&token), &body);
    assert_eq!(status, 201, "making an assessment of A: {answer}");
    answer["id"].as_i64().expect("id").to_string()
}

/// A consultation of A, its summary a marker no other organisation may see.
fn consultation_a(f: &mut Fixtures) {
    let marker = format!("legal-consultation-of-org-a-{}", f.next());
    f.markers.push(marker.clone());
    let token = f.token_of(Role::PolicyOfficer, Relation::Own);
    let body = json!({
        "country": "TH", "reform": "online safety bill", "held_on": "2026-02-01",
        "participants": 40, "age_groups": ["12_14", "15_17"], "method": "workshop",
        "summary": marker,
    });
    let (status, answer) =
        f.server
            .json("POST", "/api/v1/policy/consultations", Some(&token), &body);
    assert_eq!(status, 201, "making a consultation of A: {answer}");
}

/// A rule on one of A's assessments: its organisation's allowed roles get `own`, B's 404.
fn on_assessment(route: &'static str, call: fn(&mut Fixtures) -> Req, own: u16) -> Rule {
    Rule::on_object(route, POLICY, call, own, 404)
}

fn new_assessment() -> serde_json::Value {
    json!({
        "country": "VN",
        "assessed_on": "2026-03-01",
        "answers": {"t1-ai-generated": {"status": "not_met"}},
    })
}

pub fn rules() -> Vec<Rule> {
    vec![
        // The JSON API.
        Rule::open(
            "GET /api/v1/policy/template",
            POLICY,
            |_| Req::get("/api/v1/policy/template"),
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/assessments",
            POLICY,
            |f| {
                assessment_a(f);
                Req::get("/api/v1/policy/assessments?country=TH")
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/policy/assessments",
            POLICY,
            |_| Req::json("POST", "/api/v1/policy/assessments", new_assessment()),
            201,
        ),
        on_assessment(
            "GET /api/v1/policy/assessments/{id}",
            |f| Req::get(format!("/api/v1/policy/assessments/{}", assessment_a(f))),
            200,
        ),
        on_assessment(
            "GET /api/v1/policy/assessments/{id}/compare/{other}",
            |f| {
                let (a, b) = (assessment_a(f), assessment_a(f));
                Req::get(format!("/api/v1/policy/assessments/{a}/compare/{b}"))
            },
            200,
        ),
        on_assessment(
            "GET /api/v1/policy/assessments/{id}/report.csv",
            |f| {
                Req::get(format!(
                    "/api/v1/policy/assessments/{}/report.csv",
                    assessment_a(f)
                ))
            },
            200,
        ),
        Rule::open(
            "GET /api/v1/policy/consultations",
            POLICY,
            |f| {
                consultation_a(f);
                Req::get("/api/v1/policy/consultations")
            },
            200,
        ),
        Rule::open(
            "POST /api/v1/policy/consultations",
            POLICY,
            |_| {
                Req::json(
                    "POST",
                    "/api/v1/policy/consultations",
                    json!({
                        "country": "PH", "reform": "a reform", "held_on": "2026-02-02",
                        "participants": 12, "age_groups": ["15_17"], "method": "survey",
                        "summary": "what was heard",
                    }),
                )
            },
            201,
        ),
        // The pages.
        Rule::open("GET /policy", POLICY, |_| Req::get("/policy"), 200),
        Rule::open(
            "GET /policy/assessment",
            POLICY,
            |f| {
                assessment_a(f);
                Req::get("/policy/assessment?country=TH")
            },
            200,
        ),
        Rule::open(
            "POST /policy/assessment",
            POLICY,
            |_| {
                Req::form(
                    "/policy/assessment",
                    &[
                        ("country", "KH"),
                        ("assessed_on", "2026-04-01"),
                        ("status.t1-sextortion", "met"),
                        ("law.t1-sextortion", "a law"),
                    ],
                )
            },
            303,
        ),
        Rule::open(
            "GET /policy/assessments",
            POLICY,
            |f| {
                assessment_a(f);
                Req::get("/policy/assessments")
            },
            200,
        ),
        on_assessment(
            "GET /policy/assessments/{id}",
            |f| Req::get(format!("/policy/assessments/{}", assessment_a(f))),
            200,
        ),
        on_assessment(
            "GET /policy/assessments/{id}/report.csv",
            |f| {
                Req::get(format!(
                    "/policy/assessments/{}/report.csv",
                    assessment_a(f)
                ))
            },
            200,
        ),
        on_assessment(
            "GET /policy/compare",
            |f| {
                let (a, b) = (assessment_a(f), assessment_a(f));
                Req::get(format!("/policy/compare?from={a}&to={b}"))
            },
            200,
        ),
        Rule::open(
            "GET /policy/consultations",
            POLICY,
            |f| {
                consultation_a(f);
                Req::get("/policy/consultations")
            },
            200,
        ),
        Rule::open(
            "POST /policy/consultations",
            POLICY,
            |_| {
                Req::form(
                    "/policy/consultations",
                    &[
                        ("country", "SG"),
                        ("reform", "a reform"),
                        ("held_on", "2026-02-03"),
                        ("participants", "9"),
                        ("age_groups", "under_12"),
                        ("method", "focus_group"),
                        ("summary", "what was heard"),
                    ],
                )
            },
            303,
        ),
        Rule::open(
            "GET /policy/law",
            LAW_TABLE,
            |f| {
                assessment_a(f);
                Req::get("/policy/law")
            },
            200,
        ),
    ]
}
