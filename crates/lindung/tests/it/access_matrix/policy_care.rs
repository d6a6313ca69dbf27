//! Care (docs/care.md "Who sees what"): the case workers assigned to a case and the supervisors
//! of its organisation see and work on the whole case; supervisors alone assign, transfer and
//! approve; a note's author alone edits it; everyone else, another organisation's staff and an
//! unassigned worker included, gets nothing (403). A referral is answered by the staff of the
//! organisation it was sent to; its sender cannot answer it (403).

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, ORG_B, PDQ};
use super::requests::Req;
use super::{Rule, Who};

const STAFF: Who = Who::Roles(&[Role::CaseWorker, Role::Supervisor]);
const SUPERVISORS: Who = Who::Roles(&[Role::Supervisor]);
const WORKERS: Who = Who::Roles(&[Role::CaseWorker]);

/// A rule on a case of A: its assigned worker and A's supervisor get `own`; the others 403.
fn on_case(route: &'static str, who: Who, call: fn(&mut Fixtures) -> Req, own: u16) -> Rule {
    Rule {
        unassigned: Some(403),
        ..Rule::on_object(route, who, call, own, 403)
    }
}

/// A rule on a referral sent to A: any of A's staff answers it; B's (who sent it) may not.
fn on_referral(route: &'static str, call: fn(&mut Fixtures) -> Req, own: u16) -> Rule {
    Rule::on_object(route, STAFF, call, own, 403)
}

fn case_path(f: &mut Fixtures, rest: &str) -> String {
    format!("/api/v1/cases/{}{rest}", f.case().id)
}

fn page_path(f: &mut Fixtures, rest: &str) -> String {
    format!("/care/{}{rest}", f.case().id)
}

/// The answers of the default `safety` form.
fn safety_answers() -> serde_json::Value {
    json!({"safe_where_living": true, "contact_with_offender": false, "threats_online": false, "safety_notes": "none"})
}

pub fn rules() -> Vec<Rule> {
    vec![
        // The JSON API.
        Rule::open(
            "POST /api/v1/cases",
            STAFF,
            |_| {
                Req::json(
                    "POST",
                    "/api/v1/cases",
                    json!({"age_estimate": 15, "risk_level": "low"}),
                )
            },
            201,
        ),
        on_case(
            "GET /api/v1/cases/{id}",
            STAFF,
            |f| Req::get(case_path(f, "")),
            200,
        ),
        on_case(
            "POST /api/v1/cases/{id}/assign",
            SUPERVISORS,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/assign"),
                    json!({"email": "second_case_worker@org-a.example"}),
                )
            },
            204,
        ),
        on_case(
            "POST /api/v1/cases/{id}/transfer",
            SUPERVISORS,
            |f| Req::json("POST", case_path(f, "/transfer"), json!({"to_org": ORG_B})),
            204,
        ),
        on_case(
            "POST /api/v1/cases/{id}/consents",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/consents"),
                    json!({"purpose": "statistics", "given_by": "child"}),
                )
            },
            201,
        ),
        on_case(
            "POST /api/v1/cases/{id}/consents/{consent}/withdraw",
            STAFF,
            |f| {
                let case = f.case();
                Req::empty(
                    "POST",
                    format!(
                        "/api/v1/cases/{}/consents/{}/withdraw",
                        case.id, case.consent
                    ),
                )
            },
            204,
        ),
        on_case(
            "POST /api/v1/cases/{id}/referrals",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/referrals"),
                    json!({"service": "justice", "to_org": ORG_B}),
                )
            },
            201,
        ),
        on_case(
            "POST /api/v1/cases/{id}/stage",
            STAFF,
            |f| Req::json("POST", case_path(f, "/stage"), json!({"to": "assessment"})),
            200,
        ),
        on_case(
            "POST /api/v1/cases/{id}/approval",
            SUPERVISORS,
            |f| {
                let id = f.case_awaiting_approval();
                Req::json(
                    "POST",
                    format!("/api/v1/cases/{id}/approval"),
                    json!({"decision": "approve"}),
                )
            },
            200,
        ),
        on_case(
            "POST /api/v1/cases/{id}/notes",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/notes"),
                    json!({"body": "a call with the guardian"}),
                )
            },
            201,
        ),
        on_case(
            "PUT /api/v1/cases/{id}/notes/{note}",
            // Only its author, the assigned worker who wrote it, edits a note.
            WORKERS,
            |f| {
                let case = f.case();
                Req::json(
                    "PUT",
                    format!("/api/v1/cases/{}/notes/{}", case.id, case.note),
                    json!({"body": "first visit, at home"}),
                )
            },
            204,
        ),
        on_case(
            "POST /api/v1/cases/{id}/hashes",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/hashes"),
                    json!({"pdq": PDQ, "quality": 90}),
                )
            },
            201,
        ),
        on_case(
            "POST /api/v1/cases/{id}/assessments",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/assessments"),
                    json!({"form": "safety", "answers": safety_answers()}),
                )
            },
            201,
        ),
        on_case(
            "POST /api/v1/cases/{id}/services",
            STAFF,
            |f| {
                Req::json(
                    "POST",
                    case_path(f, "/services"),
                    json!({"service": "justice", "provider": "Legal Aid Centre"}),
                )
            },
            201,
        ),
        on_case(
            "PATCH /api/v1/cases/{id}/services/{service}",
            STAFF,
            |f| {
                let case = f.case();
                Req::json(
                    "PATCH",
                    format!("/api/v1/cases/{}/services/{}", case.id, case.service),
                    json!({"status": "referred"}),
                )
            },
            200,
        ),
        Rule::open(
            "GET /api/v1/care/alerts",
            STAFF,
            |_| Req::get("/api/v1/care/alerts"),
            200,
        ),
        Rule::open(
            "GET /api/v1/care/catalogue",
            STAFF,
            |_| Req::get("/api/v1/care/catalogue"),
            200,
        ),
        Rule::open(
            "GET /api/v1/care/indicators",
            Who::Roles(&[Role::Supervisor, Role::Admin, Role::Researcher]),
            |_| Req::get("/api/v1/care/indicators"),
            200,
        ),
        on_referral(
            "POST /api/v1/referrals/{id}/accept",
            |f| {
                Req::json(
                    "POST",
                    format!("/api/v1/referrals/{}/accept", f.referral()),
                    json!({}),
                )
            },
            200,
        ),
        on_referral(
            "POST /api/v1/referrals/{id}/reject",
            |f| {
                Req::json(
                    "POST",
                    format!("/api/v1/referrals/{}/reject", f.referral()),
                    json!({"reason": "no place"}),
                )
            },
            200,
        ),
        // The pages.
        Rule::open("GET /care", STAFF, |_| Req::get("/care"), 200),
        Rule::open("GET /care/new", STAFF, |_| Req::get("/care/new"), 200),
        Rule::open(
            "POST /care/new",
            STAFF,
            |_| {
                Req::form(
                    "/care/new",
                    &[
                        ("name", ""),
                        ("age_estimate", "13"),
                        ("language", "th"),
                        ("location", ""),
                        ("guardian", ""),
                        ("risk_level", "medium"),
                    ],
                )
            },
            303,
        ),
        on_case("GET /care/{id}", STAFF, |f| Req::get(page_path(f, "")), 200),
        on_case(
            "GET /care/{id}/export",
            STAFF,
            |f| Req::get(page_path(f, "/export")),
            200,
        ),
        on_case(
            "POST /care/{id}/consents",
            STAFF,
            |f| {
                Req::form(
                    page_path(f, "/consents"),
                    &[("purpose", "statistics"), ("given_by", "guardian")],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/consents/{consent}/withdraw",
            STAFF,
            |f| {
                let case = f.case();
                Req::form(
                    format!("/care/{}/consents/{}/withdraw", case.id, case.consent),
                    &[],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/stage",
            STAFF,
            |f| Req::form(page_path(f, "/stage"), &[("to", "assessment")]),
            303,
        ),
        on_case(
            "POST /care/{id}/approval",
            SUPERVISORS,
            |f| {
                let id = f.case_awaiting_approval();
                Req::form(format!("/care/{id}/approval"), &[("decision", "approve")])
            },
            303,
        ),
        on_case(
            "POST /care/{id}/services",
            STAFF,
            |f| {
                Req::form(
                    page_path(f, "/services"),
                    &[("service", "justice"), ("provider", "Legal Aid Centre")],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/services/{service}",
            STAFF,
            |f| {
                let case = f.case();
                Req::form(
                    format!("/care/{}/services/{}", case.id, case.service),
                    &[("status", "referred")],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/notes",
            STAFF,
            |f| Req::form(page_path(f, "/notes"), &[("body", "a home visit")]),
            303,
        ),
        on_case(
            "POST /care/{id}/notes/{note}",
            WORKERS,
            |f| {
                let case = f.case();
                Req::form(
                    format!("/care/{}/notes/{}", case.id, case.note),
                    &[("body", "first visit, at school")],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/referrals",
            STAFF,
            |f| {
                Req::form(
                    page_path(f, "/referrals"),
                    &[("service", "justice"), ("to_org", ORG_B)],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/assign",
            SUPERVISORS,
            |f| {
                Req::form(
                    page_path(f, "/assign"),
                    &[("email", "second_case_worker@org-a.example")],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/transfer",
            SUPERVISORS,
            |f| Req::form(page_path(f, "/transfer"), &[("to_org", ORG_B)]),
            303,
        ),
        on_case(
            "GET /care/{id}/assess",
            STAFF,
            |f| Req::get(page_path(f, "/assess?form=safety")),
            200,
        ),
        on_case(
            "POST /care/{id}/assess",
            STAFF,
            |f| {
                Req::form(
                    page_path(f, "/assess"),
                    &[
                        ("form", "safety"),
                        ("safe_where_living", "yes"),
                        ("contact_with_offender", "no"),
                        ("threats_online", "no"),
                        ("safety_notes", "none"),
                    ],
                )
            },
            303,
        ),
        on_case(
            "POST /care/{id}/hashes",
            STAFF,
            |f| Req::form(page_path(f, "/hashes"), &[("pdq", PDQ), ("quality", "90")]),
            303,
        ),
        Rule::open(
            "GET /care/approvals",
            STAFF,
            |_| Req::get("/care/approvals"),
            200,
        ),
        Rule::open(
            "GET /care/referrals",
            STAFF,
            |_| Req::get("/care/referrals"),
            200,
        ),
        on_referral(
            "POST /care/referrals/{id}/accept",
            |f| Req::form(format!("/care/referrals/{}/accept", f.referral()), &[]),
            303,
        ),
        on_referral(
            "POST /care/referrals/{id}/reject",
            |f| {
                Req::form(
                    format!("/care/referrals/{}/reject", f.referral()),
                    &[("reason", "no place")],
                )
            },
            303,
        ),
    ]
}
