//! Relations two organisations cannot tell apart, each checked once after the table: a
//! referral between two other organisations, the police of the hotline's own organisation on a
//! report never referred, a bank shared with platforms, and an admin minting a token for a
//! person (docs/care.md, docs/hotline.md, docs/api.md, docs/operations.md).

use lindung::access::Role;
use serde_json::json;

use super::fixtures::{Fixtures, ORG_A, Relation};

const ORG_C: &str = "org-c";

/// One call's answer against the documented one.
fn expect(differences: &mut Vec<String>, what: &str, got: (u16, String), want: u16) {
    if got.0 != want {
        differences.push(format!(
            "{what}: {} (policy: {want}) {}",
            got.0,
            super::requests::brief(&got.1)
        ));
    }
}

/// Every difference from the policy found.
pub fn check(f: &mut Fixtures) -> Vec<String> {
    let mut differences = Vec::new();
    let server = f.server;
    let call = |method: &str, path: &str, token: &str, body: serde_json::Value| {
        let (status, text) = server.request(
            method,
            path,
            Some(token),
            &[("Content-Type", "application/json")],
            body.to_string().as_bytes(),
        );
        (status, text)
    };

    // A referral from B to C is C's to answer: A's staff may not, though it is a referral and
    // they are care staff (care.md: "the receiver accepts").
    let c_supervisor = f.user_token("supervisor@org-c.example", Role::Supervisor, ORG_C);
    let b_worker = f.token_of(Role::CaseWorker, Relation::Other);
    let (_, case) = call(
        "POST",
        "/api/v1/cases",
        &b_worker,
        json!({"age_estimate": 9}),
    );
    let case: serde_json::Value = serde_json::from_str(&case).unwrap_or_default();
    let case_path = format!("/api/v1/cases/{}", case["id"].as_str().unwrap_or_default());
    let consent = json!({"purpose": "disclosure", "given_by": "guardian"});
    call("POST", &format!("{case_path}/consents"), &b_worker, consent);
    let refer = json!({"service": "justice", "to_org": ORG_C});
    let (status, referral) = call("POST", &format!("{case_path}/referrals"), &b_worker, refer);
    let referral: serde_json::Value = serde_json::from_str(&referral).unwrap_or_default();
    assert_eq!(status, 201, "a referral from B to C: {referral}");
    let accept = format!(
        "/api/v1/referrals/{}/accept",
        referral["id"].as_str().unwrap_or_default()
    );
    for role in [Role::CaseWorker, Role::Supervisor] {
        let token = f.token_of(role, Relation::Own);
        let got = call("POST", &accept, &token, json!({}));
        expect(
            &mut differences,
            &format!("{role} of A accepting B's referral to C"),
            got,
            403,
        );
    }
    let got = call("POST", &accept, &c_supervisor, json!({}));
    expect(&mut differences, "C's supervisor accepting it", got, 200);

    // The hotline's own police read a package only once the report is referred to them.
    let report = f.report();
    let police = f.token_of(Role::LawEnforcement, Relation::Own);
    let path = format!("/api/v1/reports/{}/package", report.id);
    let got = call("GET", &path, &police, json!(null));
    expect(
        &mut differences,
        "A's police on a report never referred",
        got,
        403,
    );

    // A bank shared with platforms: another organisation's platform sees it and matches it,
    // but may not change it (api.md); their analysts still do not see it.
    let admin = f.token_of(Role::Admin, Relation::Own);
    let name = format!("SHARED_{}", f.next());
    call(
        "POST",
        "/api/v1/banks",
        &admin,
        json!({"name": name, "sharing": "platforms"}),
    );
    let bank = format!("/api/v1/banks/{name}");
    let platform_b = f.token_of(Role::Platform, Relation::Other);
    expect(
        &mut differences,
        "B's platform reading a shared bank",
        call("GET", &bank, &platform_b, json!(null)),
        200,
    );
    let change = json!({"pdq_threshold": 20});
    expect(
        &mut differences,
        "B's platform changing it",
        call("PATCH", &bank, &platform_b, change),
        403,
    );
    let signal = json!({"pdq": super::fixtures::PDQ});
    let content = format!("{bank}/content");
    expect(
        &mut differences,
        "B's platform adding to it",
        call("POST", &content, &platform_b, signal),
        403,
    );
    expect(
        &mut differences,
        "B's platform deleting it",
        call("DELETE", &bank, &platform_b, json!(null)),
        403,
    );
    let analyst_b = f.token_of(Role::Analyst, Relation::Other);
    expect(
        &mut differences,
        "B's analyst reading it",
        call("GET", &bank, &analyst_b, json!(null)),
        404,
    );

    // No admin mints a token for a person (operations.md), even of their own organisation.
    let analyst = format!("analyst@{ORG_A}.example");
    let form = format!("email={}&name=minted", crate::support::urlencode(&analyst));
    let auth = format!("Bearer {admin}");
    let (status, _, body) = server.raw(
        "POST",
        "/admin/tokens",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        form.as_bytes(),
    );
    expect(
        &mut differences,
        "A's admin minting a token for A's analyst",
        (status, body),
        403,
    );
    // The shared objects' marks do show to their own people: so the table's check that no
    // other caller's answer holds one can fire.
    let (bank, report, case) = (f.bank(), f.report(), f.case());
    let sees = |role: Role, path: &str| {
        let token = f.token_of(role, Relation::Own);
        server.request("GET", path, Some(&token), &[], b"").1
    };
    let marked = |answer: &str, prefix: &str| {
        f.markers
            .iter()
            .any(|m| m.starts_with(prefix) && answer.contains(m.as_str()))
    };
    let shown = [
        (
            "the bank list",
            marked(&sees(Role::Analyst, "/api/v1/banks"), &bank),
        ),
        (
            "the report",
            marked(
                &sees(Role::Analyst, &format!("/api/v1/reports/{}", report.id)),
                "host.example/matrix/",
            ),
        ),
        (
            "the assigned worker's cases",
            marked(&sees(Role::CaseWorker, "/care"), "C-") && !case.id.is_empty(),
        ),
    ];
    for (what, ok) in shown {
        if !ok {
            differences.push(format!("A's own people do not see {what}'s mark"));
        }
    }
    differences
}
