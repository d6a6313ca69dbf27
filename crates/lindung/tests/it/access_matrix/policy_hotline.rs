//! The hotline (docs/hotline.md "Who may do what"): platforms submit reports; the analysts and
//! admins of the hotline's organisation (A) do everything on its reports, and another
//! organisation's get 403; admins keep the contacts, the IP table and the due work; the police
//! of an organisation a report was referred to read its package; researchers (of any
//! organisation) read the statistics. Claiming is how two analysts avoid working on one report;
//! it is not needed to act on a report no one holds (releasing one is then a conflict, 409),
//! except to assess it: an assessment is the holder's (409 `not_claimed`).

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, ORG_A};
use super::requests::{Body, Req};
use super::{Rule, Who};

const ANALYSTS: Who = Who::Roles(&[Role::Analyst, Role::Admin]);
const ADMIN: Who = Who::Roles(&[Role::Admin]);
const PACKAGE: Who = Who::Roles(&[Role::Analyst, Role::Admin, Role::LawEnforcement]);
const STATS: Who = Who::Roles(&[Role::Analyst, Role::Admin, Role::Researcher]);

/// A rule of the hotline's own: A's analysts and admins get `own`; B's get 403.
fn hotline(route: &'static str, who: Who, call: fn(&mut Fixtures) -> Req, own: u16) -> Rule {
    Rule::on_object(route, who, call, own, 403)
}

fn report_path(f: &mut Fixtures, rest: &str) -> String {
    format!("/api/v1/reports/{}{rest}", f.report().id)
}

fn url_path(f: &mut Fixtures, rest: &str) -> String {
    let report = f.report();
    format!("/api/v1/reports/{}/urls/{}{rest}", report.id, report.url)
}

fn page(f: &mut Fixtures, rest: &str) -> String {
    format!("/hotline/reports/{}{rest}", f.report().id)
}

fn contact() -> serde_json::Value {
    json!({"name": "Host", "email": "abuse@host.example", "country": "TH", "language": "th"})
}

pub fn rules() -> Vec<Rule> {
    vec![
        Rule::open(
            "POST /api/v1/reports",
            Who::Roles(&[Role::Platform]),
            |f| {
                let url = format!("https://host.example/new/{}", f.next());
                Req::json(
                    "POST",
                    "/api/v1/reports",
                    json!({"incident_type": "csam", "urls": [url]}),
                )
            },
            201,
        ),
        hotline(
            "GET /api/v1/reports/{id}",
            ANALYSTS,
            |f| Req::get(report_path(f, "")),
            200,
        ),
        hotline(
            "GET /api/v1/hotline/queue",
            ANALYSTS,
            |_| Req::get("/api/v1/hotline/queue"),
            200,
        ),
        hotline(
            "POST /api/v1/reports/{id}/claim",
            ANALYSTS,
            |f| Req::empty("POST", report_path(f, "/claim")),
            204,
        ),
        hotline(
            "POST /api/v1/reports/{id}/release",
            ANALYSTS,
            |f| Req::empty("POST", report_path(f, "/release")),
            409,
        ),
        hotline(
            "POST /api/v1/reports/{id}/assessments",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::json(
                    "POST",
                    format!("/api/v1/reports/{}/assessments", report.id),
                    json!({"item_kind": "url", "item_id": report.url.parse::<i64>().expect("url id"), "age_group": "pubescent", "content_kind": "image"}),
                )
            },
            409,
        ),
        hotline(
            "GET /api/v1/reports/{id}/urls/{url}/suggestion",
            ANALYSTS,
            |f| Req::get(url_path(f, "/suggestion")),
            200,
        ),
        hotline(
            "POST /api/v1/reports/{id}/urls/{url}/attribution",
            ANALYSTS,
            |f| {
                Req::json(
                    "POST",
                    url_path(f, "/attribution"),
                    json!({"hosting_country": "TH"}),
                )
            },
            204,
        ),
        hotline(
            "POST /api/v1/reports/{id}/urls/{url}/removal",
            ANALYSTS,
            |f| Req::empty("POST", url_path(f, "/removal")),
            204,
        ),
        hotline(
            "POST /api/v1/reports/{id}/notices",
            ANALYSTS,
            |f| Req::empty("POST", report_path(f, "/notices")),
            409,
        ),
        hotline(
            "POST /api/v1/reports/{id}/close",
            ANALYSTS,
            |f| {
                Req::json(
                    "POST",
                    report_path(f, "/close"),
                    json!({"reason": "a duplicate of another report"}),
                )
            },
            204,
        ),
        hotline(
            "POST /api/v1/reports/{id}/care-case",
            ANALYSTS,
            |f| {
                Req::json(
                    "POST",
                    report_path(f, "/care-case"),
                    json!({"organisation": ORG_A, "risk_level": "high"}),
                )
            },
            201,
        ),
        hotline(
            "POST /api/v1/reports/{id}/referrals/law-enforcement",
            ANALYSTS,
            |f| {
                Req::json(
                    "POST",
                    report_path(f, "/referrals/law-enforcement"),
                    json!({"organisation": ORG_A}),
                )
            },
            204,
        ),
        // The police of the organisation the report was referred to (A) read its package.
        hotline(
            "GET /api/v1/reports/{id}/package",
            PACKAGE,
            |f| Req::get(format!("/api/v1/reports/{}/package", f.referred_report())),
            200,
        ),
        hotline(
            "GET /api/v1/reports/{id}/partner-export",
            ANALYSTS,
            |f| Req::get(report_path(f, "/partner-export")),
            200,
        ),
        hotline(
            "GET /api/v1/reports/{id}/cybertip.xml",
            ANALYSTS,
            |f| Req::get(report_path(f, "/cybertip.xml")),
            200,
        ),
        // The file's details for NCMEC (its hashes, never its bytes).
        hotline(
            "GET /api/v1/reports/{id}/cybertip/files/{file}",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::get(format!(
                    "/api/v1/reports/{}/cybertip/files/{}?ncmec_report_id=1",
                    report.id, report.file
                ))
            },
            200,
        ),
        hotline(
            "GET /api/v1/reports/{id}/files/{file}/evidence",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::get(format!(
                    "/api/v1/reports/{}/files/{}/evidence",
                    report.id, report.file
                ))
            },
            200,
        ),
        hotline(
            "POST /api/v1/hotline/partner-import",
            ANALYSTS,
            |f| {
                let n = f.next();
                Req::json(
                    "POST",
                    "/api/v1/hotline/partner-import",
                    json!({"format": "lindung.partner-report/1", "from_hotline": "Partner", "from_country": "MY",
                           "source_report": format!("P-{n}"), "incident_type": "csam",
                           "urls": [{"url": format!("https://host.example/partner/{n}")}]}),
                )
            },
            201,
        ),
        hotline(
            "GET /api/v1/hotline/reviewer-settings",
            ANALYSTS,
            |_| Req::get("/api/v1/hotline/reviewer-settings"),
            200,
        ),
        hotline(
            "PUT /api/v1/hotline/reviewer-settings",
            ANALYSTS,
            |_| {
                Req::json(
                    "PUT",
                    "/api/v1/hotline/reviewer-settings",
                    json!({"blur": true, "greyscale": true}),
                )
            },
            200,
        ),
        hotline(
            "GET /api/v1/hotline/providers",
            ANALYSTS,
            |_| Req::get("/api/v1/hotline/providers"),
            200,
        ),
        hotline(
            "POST /api/v1/hotline/providers",
            ADMIN,
            |_| Req::json("POST", "/api/v1/hotline/providers", contact()),
            201,
        ),
        hotline(
            "PUT /api/v1/hotline/providers/{id}",
            ADMIN,
            |f| {
                Req::json(
                    "PUT",
                    format!("/api/v1/hotline/providers/{}", f.provider()),
                    contact(),
                )
            },
            200,
        ),
        hotline(
            "GET /api/v1/hotline/partners",
            ANALYSTS,
            |_| Req::get("/api/v1/hotline/partners"),
            200,
        ),
        hotline(
            "POST /api/v1/hotline/partners",
            ADMIN,
            |f| {
                let country = f.partner_country();
                Req::json(
                    "POST",
                    "/api/v1/hotline/partners",
                    json!({"name": "Partner", "email": "p@partner.example", "country": country}),
                )
            },
            201,
        ),
        hotline(
            "PUT /api/v1/hotline/partners/{id}",
            ADMIN,
            |f| {
                let id = f.partner();
                let country = f.partner_country();
                Req::json(
                    "PUT",
                    format!("/api/v1/hotline/partners/{id}"),
                    json!({"name": "Partner", "email": "p@partner.example", "country": country}),
                )
            },
            200,
        ),
        hotline(
            "PUT /api/v1/hotline/ip-ranges",
            ADMIN,
            |_| Req {
                method: "PUT",
                path: "/api/v1/hotline/ip-ranges".into(),
                body: Body::Csv("203.0.113.0,203.0.113.255,TH\n".into()),
            },
            200,
        ),
        hotline(
            "POST /api/v1/hotline/run-due",
            ADMIN,
            |_| Req::empty("POST", "/api/v1/hotline/run-due"),
            200,
        ),
        Rule {
            anywhere: &[Role::Researcher],
            ..hotline(
                "GET /api/v1/hotline/stats",
                STATS,
                |_| Req::get("/api/v1/hotline/stats"),
                200,
            )
        },
        Rule {
            anywhere: &[Role::Researcher],
            ..hotline(
                "GET /api/v1/hotline/stats.csv",
                STATS,
                |_| Req::get("/api/v1/hotline/stats.csv"),
                200,
            )
        },
        // The pages.
        hotline("GET /hotline", ANALYSTS, |_| Req::get("/hotline"), 200),
        hotline(
            "GET /hotline/reports/{id}",
            ANALYSTS,
            |f| Req::get(page(f, "")),
            200,
        ),
        hotline(
            "POST /hotline/reports/{id}/claim",
            ANALYSTS,
            |f| Req::form(page(f, "/claim"), &[]),
            303,
        ),
        hotline(
            "POST /hotline/reports/{id}/release",
            ANALYSTS,
            |f| Req::form(page(f, "/release"), &[]),
            409,
        ),
        hotline(
            "POST /hotline/reports/{id}/close",
            ANALYSTS,
            |f| {
                Req::form(
                    page(f, "/close"),
                    &[("reason", "a duplicate of another report")],
                )
            },
            303,
        ),
        hotline(
            "POST /hotline/reports/{id}/assess",
            ANALYSTS,
            |f| {
                let report = f.report();
                let item = format!("url:{}", report.url);
                Req::form(
                    format!("/hotline/reports/{}/assess", report.id),
                    &[
                        ("item", &item),
                        ("category", ""),
                        ("age_group", "pubescent"),
                        ("content_kind", "image"),
                    ],
                )
            },
            409,
        ),
        hotline(
            "POST /hotline/reports/{id}/urls/{url}/attribution",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::form(
                    format!(
                        "/hotline/reports/{}/urls/{}/attribution",
                        report.id, report.url
                    ),
                    &[("hosting_country", "TH")],
                )
            },
            303,
        ),
        hotline(
            "POST /hotline/reports/{id}/urls/{url}/removal",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::form(
                    format!("/hotline/reports/{}/urls/{}/removal", report.id, report.url),
                    &[],
                )
            },
            303,
        ),
        hotline(
            "POST /hotline/reports/{id}/police",
            ANALYSTS,
            |f| Req::form(page(f, "/police"), &[("organisation", ORG_A)]),
            303,
        ),
        hotline(
            "POST /hotline/reports/{id}/care",
            ANALYSTS,
            |f| {
                Req::form(
                    page(f, "/care"),
                    &[("organisation", ORG_A), ("risk_level", "high")],
                )
            },
            303,
        ),
        hotline(
            "GET /hotline/reports/{id}/notices/preview",
            ANALYSTS,
            |f| Req::get(page(f, "/notices/preview")),
            200,
        ),
        hotline(
            "POST /hotline/reports/{id}/notices",
            ANALYSTS,
            |f| Req::form(page(f, "/notices"), &[]),
            409,
        ),
        hotline(
            "GET /hotline/reports/{id}/files/{file}",
            ANALYSTS,
            |f| {
                let report = f.report();
                Req::get(format!(
                    "/hotline/reports/{}/files/{}",
                    report.id, report.file
                ))
            },
            200,
        ),
        hotline(
            "GET /hotline/reports/{id}/package",
            PACKAGE,
            |f| Req::get(format!("/hotline/reports/{}/package", f.referred_report())),
            200,
        ),
        hotline(
            "GET /hotline/contacts",
            ANALYSTS,
            |_| Req::get("/hotline/contacts"),
            200,
        ),
        hotline(
            "POST /hotline/contacts/{kind}",
            ADMIN,
            |_| {
                Req::form(
                    "/hotline/contacts/providers",
                    &[
                        ("name", "Host"),
                        ("email", "abuse@host.example"),
                        ("country", "TH"),
                        ("language", "th"),
                    ],
                )
            },
            303,
        ),
        hotline(
            "POST /hotline/contacts/{kind}/{id}",
            ADMIN,
            |f| {
                Req::form(
                    format!("/hotline/contacts/providers/{}", f.provider()),
                    &[
                        ("name", "Host"),
                        ("email", "abuse@host.example"),
                        ("country", "TH"),
                        ("language", "th"),
                    ],
                )
            },
            303,
        ),
        // Each police organisation's inbox holds what was referred to it.
        Rule::open(
            "GET /hotline/referred",
            Who::Roles(&[Role::LawEnforcement]),
            |_| Req::get("/hotline/referred"),
            200,
        ),
        hotline(
            "GET /hotline/settings",
            ANALYSTS,
            |_| Req::get("/hotline/settings"),
            200,
        ),
        hotline(
            "POST /hotline/settings",
            ANALYSTS,
            |_| Req::form("/hotline/settings", &[("blur", "yes")]),
            303,
        ),
        Rule {
            anywhere: &[Role::Researcher],
            ..hotline(
                "GET /hotline/stats",
                STATS,
                |_| Req::get("/hotline/stats"),
                200,
            )
        },
    ]
}
