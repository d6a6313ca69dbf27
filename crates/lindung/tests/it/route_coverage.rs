//! Every workflow of the API has its page: each state-changing API route is reached by a form
//! of a page (a template holds a `<form>` posting to a page route that admits a role the API
//! route admits), or by the script of a page, or is marked API-only here with the reason. The
//! table below is written from the issue ("Pages that finish the job"), route by route; a new
//! API route fails this test until someone decides which it is.

use lindung::http::Access;

use crate::support::files::repo;

/// How people reach an API route's work without a token.
enum Reach {
    /// A page form posts to this page route.
    Form(&'static str),
    /// A page's script calls the API route itself (hashing on the device needs a script).
    Script(&'static str),
    /// Only machines call it, for this reason.
    ApiOnly(&'static str),
}

use Reach::{ApiOnly, Form, Script};

const HMA: &str = "HMA's own API, kept for HMA's clients (python-threatexchange, HMA's UI)";

const REACH: &[(&str, Reach)] = &[
    // Banks.
    ("POST /api/v1/banks", Form("/banks")),
    ("PATCH /api/v1/banks/{name}", Form("/banks/{name}/settings")),
    ("DELETE /api/v1/banks/{name}", Form("/banks/{name}/delete")),
    (
        "POST /api/v1/banks/{name}/content",
        Form("/banks/{name}/signals"),
    ),
    ("POST /api/v1/hash", Form("/match")),
    ("POST /api/v1/hash/video", Form("/match")),
    ("POST /api/v1/match", Form("/match")),
    ("POST /api/v1/match/image", Form("/match")),
    ("POST /api/v1/match/video", Form("/match")),
    ("POST /h/hash", ApiOnly(HMA)),
    ("POST /m/lookup", ApiOnly(HMA)),
    ("POST /c/banks", ApiOnly(HMA)),
    ("PUT /c/bank/{name}", ApiOnly(HMA)),
    ("DELETE /c/bank/{name}", ApiOnly(HMA)),
    ("POST /c/bank/{name}/signal", ApiOnly(HMA)),
    ("POST /c/bank/{name}/content", ApiOnly(HMA)),
    // The hotline.
    (
        "POST /api/v1/reports",
        ApiOnly(
            "an IT company's system reports by API with its token; people report through the public form /report",
        ),
    ),
    (
        "POST /api/v1/reports/{id}/claim",
        Form("/hotline/reports/{id}/claim"),
    ),
    (
        "POST /api/v1/reports/{id}/release",
        Form("/hotline/reports/{id}/release"),
    ),
    (
        "POST /api/v1/reports/{id}/assessments",
        Form("/hotline/reports/{id}/assess"),
    ),
    (
        "POST /api/v1/reports/{id}/close",
        Form("/hotline/reports/{id}/close"),
    ),
    (
        "POST /api/v1/reports/{id}/notices",
        Form("/hotline/reports/{id}/notices"),
    ),
    (
        "POST /api/v1/reports/{id}/care-case",
        Form("/hotline/reports/{id}/care"),
    ),
    (
        "POST /api/v1/reports/{id}/referrals/law-enforcement",
        Form("/hotline/reports/{id}/police"),
    ),
    (
        "POST /api/v1/reports/{id}/urls/{url}/attribution",
        Form("/hotline/reports/{id}/urls/{url}/attribution"),
    ),
    (
        "POST /api/v1/reports/{id}/urls/{url}/removal",
        Form("/hotline/reports/{id}/urls/{url}/removal"),
    ),
    (
        "POST /api/v1/hotline/providers",
        Form("/hotline/contacts/{kind}"),
    ),
    (
        "PUT /api/v1/hotline/providers/{id}",
        Form("/hotline/contacts/{kind}/{id}"),
    ),
    (
        "POST /api/v1/hotline/partners",
        Form("/hotline/contacts/{kind}"),
    ),
    (
        "PUT /api/v1/hotline/partners/{id}",
        Form("/hotline/contacts/{kind}/{id}"),
    ),
    (
        "PUT /api/v1/hotline/reviewer-settings",
        Form("/hotline/settings"),
    ),
    (
        "PUT /api/v1/hotline/ip-ranges",
        ApiOnly(
            "a registry's list of address ranges, loaded whole by the operator's script when the registry publishes it",
        ),
    ),
    (
        "POST /api/v1/hotline/run-due",
        ApiOnly(
            "runs due removal checks and reminders now; the server runs them on its own schedule, and operators' schedulers call this",
        ),
    ),
    (
        "POST /api/v1/hotline/partner-import",
        ApiOnly(
            "a partner hotline's signed export, sent machine to machine between the hotlines' systems",
        ),
    ),
    // Policy: the legal-framework self-assessment (helper "legal" adds its rows here).
    (
        "POST /api/v1/policy/assessments",
        Form("/policy/assessment"),
    ),
    (
        "POST /api/v1/policy/consultations",
        Form("/policy/consultations"),
    ),
    // Care.
    ("POST /api/v1/cases", Form("/care/new")),
    (
        "POST /api/v1/cases/{id}/approval",
        Form("/care/{id}/approval"),
    ),
    (
        "POST /api/v1/cases/{id}/assessments",
        Form("/care/{id}/assess"),
    ),
    ("POST /api/v1/cases/{id}/assign", Form("/care/{id}/assign")),
    (
        "POST /api/v1/cases/{id}/transfer",
        Form("/care/{id}/transfer"),
    ),
    (
        "POST /api/v1/cases/{id}/consents",
        Form("/care/{id}/consents"),
    ),
    (
        "POST /api/v1/cases/{id}/consents/{consent}/withdraw",
        Form("/care/{id}/consents/{consent}/withdraw"),
    ),
    ("POST /api/v1/cases/{id}/hashes", Form("/care/{id}/hashes")),
    ("POST /api/v1/cases/{id}/notes", Form("/care/{id}/notes")),
    (
        "PUT /api/v1/cases/{id}/notes/{note}",
        Form("/care/{id}/notes/{note}"),
    ),
    (
        "POST /api/v1/cases/{id}/referrals",
        Form("/care/{id}/referrals"),
    ),
    (
        "POST /api/v1/cases/{id}/services",
        Form("/care/{id}/services"),
    ),
    (
        "PATCH /api/v1/cases/{id}/services/{service}",
        Form("/care/{id}/services/{service}"),
    ),
    ("POST /api/v1/cases/{id}/stage", Form("/care/{id}/stage")),
    (
        "POST /api/v1/referrals/{id}/accept",
        Form("/care/referrals/{id}/accept"),
    ),
    (
        "POST /api/v1/referrals/{id}/reject",
        Form("/care/referrals/{id}/reject"),
    ),
    // Self-report: the page hashes the picture on the device, then its script calls these.
    ("POST /api/v1/selfreport", Script("/api/v1/selfreport")),
    (
        "POST /api/v1/selfreport/status",
        Script("/api/v1/selfreport/status"),
    ),
    (
        "POST /api/v1/selfreport/withdraw",
        Script("/api/v1/selfreport/withdraw"),
    ),
    (
        "POST /api/v1/hashes/selfreport/feedback",
        ApiOnly("a platform's moderation system tells what it did with a self-reported hash"),
    ),
    // Policy: the Regional Plan of Action indicators (helper "regional" adds its rows here).
    (
        "POST /api/v1/policy/partners",
        Form("/policy/regional/partners"),
    ),
    (
        "POST /api/v1/policy/regional/snapshots",
        Form("/policy/regional/snapshots"),
    ),
];

/// Every template's text, to find the forms in.
fn templates() -> Vec<(String, String)> {
    let dir = repo().join("crates/lindung/templates");
    let mut all: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("templates")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("template");
            (path.display().to_string(), without_comments(&text))
        })
        .collect();
    all.sort();
    all
}

/// The template without its comments (`{# … #}`, `<!-- … -->`): a form commented out reaches
/// nothing.
fn without_comments(text: &str) -> String {
    let mut out = text.to_owned();
    for (open, close) in [("{#", "#}"), ("<!--", "-->")] {
        while let Some(start) = out.find(open) {
            let end = out[start..]
                .find(close)
                .map_or(out.len(), |e| start + e + close.len());
            out.replace_range(start..end, "");
        }
    }
    out
}

/// Whether a form's `action` (a template expression such as
/// `/hotline/reports/{{ report.id }}/claim`) matches a route (`/hotline/reports/{id}/claim`):
/// the literal parts equal, each `{param}` filled by one template expression or one literal
/// segment (`/hotline/contacts/providers` for `/hotline/contacts/{kind}`).
fn action_matches(action: &str, route: &str) -> bool {
    let mut rest = action;
    for (i, part) in route.split('/').enumerate() {
        if i > 0 {
            let Some(after) = rest.strip_prefix('/') else {
                return false;
            };
            rest = after;
        }
        if part.starts_with('{') {
            // A parameter: one template expression, or one literal segment.
            if let Some(after) = rest.strip_prefix("{{") {
                let Some(end) = after.find("}}") else {
                    return false;
                };
                rest = &after[end + 2..];
            } else {
                let end = rest.find(['/', '?']).unwrap_or(rest.len());
                if end == 0 {
                    return false;
                }
                rest = &rest[end..];
            }
        } else {
            let Some(after) = rest.strip_prefix(part) else {
                return false;
            };
            rest = after;
        }
    }
    rest.is_empty() || rest.starts_with('?')
}

/// The `action` of every `<form method="post">` in `template`.
fn post_actions(template: &str) -> Vec<String> {
    template
        .split("<form")
        .skip(1)
        .filter_map(|form| {
            let tag = &form[..form.find('>').unwrap_or(form.len())];
            if !tag.contains("method=\"post\"") {
                return None;
            }
            let start = tag.find("action=\"")? + "action=\"".len();
            let end = tag[start..].find('"')? + start;
            Some(tag[start..end].to_owned())
        })
        .collect()
}

#[test]
fn every_state_changing_api_route_has_a_page_or_a_reason() {
    let endpoints = lindung::app::endpoints();
    // By address, not by whether the route is documented: an undocumented API route counts.
    let is_api = |e: &lindung::http::Endpoint<_>| {
        ["/api/", "/h/", "/m/", "/c/"]
            .iter()
            .any(|p| e.path.starts_with(p))
    };
    let changing: Vec<String> = endpoints
        .iter()
        .filter(|e| is_api(e) && e.method != axum::http::Method::GET)
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(
        changing.len() >= 50,
        "the API's state-changing routes: {changing:?}"
    );
    let unlisted: Vec<&String> = changing
        .iter()
        .filter(|route| !REACH.iter().any(|(r, _)| r == route))
        .collect();
    assert!(
        unlisted.is_empty(),
        "state-changing API routes with neither a page nor a reason: {unlisted:?}"
    );
    let stale: Vec<&str> = REACH
        .iter()
        .map(|(r, _)| *r)
        .filter(|r| !changing.iter().any(|c| c == r))
        .collect();
    assert!(
        stale.is_empty(),
        "listed here but not API routes: {stale:?}"
    );

    let templates = templates();
    let script = std::fs::read_to_string(repo().join("crates/lindung/static/selfreport.js"))
        .expect("selfreport.js");
    let mut failures = Vec::new();
    for (route, reach) in REACH {
        let (method, path) = route.split_once(' ').expect("method and path");
        let api = endpoints
            .iter()
            .find(|e| e.method.as_str() == method && e.path == path)
            .expect("listed routes exist");
        match reach {
            Form(page) => {
                let Some(form_route) = endpoints.iter().find(|e| {
                    e.method == axum::http::Method::POST
                        && e.path == *page
                        && matches!(e.access, Access::Page(_) | Access::Public)
                }) else {
                    failures.push(format!("{route}: no page route POST {page}"));
                    continue;
                };
                let shared_role = match (api.access.roles(), form_route.access.roles()) {
                    (Some(a), Some(p)) => a.iter().any(|r| p.contains(r)),
                    (None, None) => true,
                    _ => false,
                };
                if !shared_role {
                    failures.push(format!(
                        "{route}: the page {page} admits none of the API's roles"
                    ));
                }
                let form = templates.iter().find(|(_, text)| {
                    post_actions(text)
                        .iter()
                        .any(|action| action_matches(action, page))
                });
                if form.is_none() {
                    failures.push(format!("{route}: no template has a form posting to {page}"));
                }
            }
            Script(called) => {
                if !script.contains(&format!("'{called}'"))
                    && !script.contains(&format!("\"{called}\""))
                {
                    failures.push(format!("{route}: the self-report script never calls it"));
                }
            }
            ApiOnly(reason) => assert!(reason.len() > 20, "{route}: say why"),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn form_actions_match_routes_part_by_part() {
    assert!(action_matches(
        "/hotline/reports/{{ report.id }}/claim",
        "/hotline/reports/{id}/claim"
    ));
    assert!(action_matches("/banks", "/banks"));
    assert!(!action_matches("/banks/x", "/banks"));
    assert!(!action_matches(
        "/hotline/reports/{{ report.id }}/close",
        "/hotline/reports/{id}/claim"
    ));
    assert!(!action_matches("/care/{{ id }}", "/care/{id}/stage"));
    assert!(action_matches(
        "/hotline/contacts/providers/{{ p.id }}",
        "/hotline/contacts/{kind}/{id}"
    ));
    assert!(!action_matches(
        "/hotline/contacts/",
        "/hotline/contacts/{kind}"
    ));
    assert_eq!(
        post_actions(
            r#"<form method="post" action="/a/{{ x }}/b"><form method="get" action="/c">"#
        ),
        vec!["/a/{{ x }}/b".to_owned()]
    );
}
