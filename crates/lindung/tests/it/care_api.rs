//! Care over loopback on SQLite and PostgreSQL: who sees a case, consent before referral, a
//! referral that shares only what was chosen, its acceptance by the other organisation, field
//! encryption in the database file, and the care case a self-report's call for help opens.

use lindung::access::{self, Role};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};

use crate::support::server::Server;
use crate::support::{self, TestStore, contains, everything_stored, user};

const NAME: &str = "Somchai Testchild";
const BRIDGE: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

/// What the case steps share: the store, the server, the people (by their API tokens), and the
/// case with its referral.
struct Care<'a> {
    t: &'a TestStore,
    server: Server,
    /// Care A's case worker, who registers the case.
    worker: String,
    /// Another case worker of Care A, not assigned at first.
    colleague: String,
    supervisor: String,
    /// An analyst of Care A, who has no care role.
    analyst: String,
    /// A case worker and a supervisor of Shelter B, another organisation.
    other: String,
    other_supervisor: String,
    /// The case's id and API path.
    id: String,
    path: String,
    /// The referral to Shelter B.
    referral_id: String,
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_are_seen_only_by_their_people_and_referrals_need_consent() {
    for t in support::stores("care_api").await {
        let worker = user(
            &t.store,
            "worker@a.example",
            Role::CaseWorker,
            Some("Care A"),
        )
        .await;
        let colleague = user(
            &t.store,
            "colleague@a.example",
            Role::CaseWorker,
            Some("Care A"),
        )
        .await;
        let supervisor = user(
            &t.store,
            "supervisor@a.example",
            Role::Supervisor,
            Some("Care A"),
        )
        .await;
        let analyst = user(&t.store, "analyst@a.example", Role::Analyst, Some("Care A")).await;
        let other = user(
            &t.store,
            "worker@b.example",
            Role::CaseWorker,
            Some("Shelter B"),
        )
        .await;
        let other_supervisor = user(
            &t.store,
            "supervisor@b.example",
            Role::Supervisor,
            Some("Shelter B"),
        )
        .await;
        let server = Server::start(&t.location);
        let mut c = Care {
            t: &t,
            server,
            worker,
            colleague,
            supervisor,
            analyst,
            other,
            other_supervisor,
            id: String::new(),
            path: String::new(),
            referral_id: String::new(),
        };
        step_a_case_is_seen_only_by_its_people(&mut c);
        step_no_referral_without_disclosure_consent(&mut c);
        step_the_receiver_sees_only_the_shared_fields_and_answers(&c);
        step_picture_hashes_need_consent_and_a_match_alerts_the_worker(&c).await;
        step_a_supervisor_assigns_a_colleague(&c);
        step_the_plan_and_the_closure_wait_for_the_supervisor(&c);
        step_assessments_follow_the_forms_and_services_are_delivered(&c);
        step_notes_are_edited_for_a_day_then_only_corrected(&c).await;
        step_a_withdrawn_consent_no_longer_allows_a_referral(&c);
        step_withdrawn_hash_sharing_unlinks_the_pictures(&c).await;
        step_the_childs_own_record_leaves_other_people_out(&c);
        step_urgent_referrals_and_transfers_are_for_supervisors(&c);
        step_indicators_depend_on_the_role(&c).await;
        step_identifying_fields_are_encrypted_in_the_database(c).await;
    }
}

/// A worker registers a case; it is seen by the worker and their supervisor, by nobody else.
fn step_a_case_is_seen_only_by_its_people(c: &mut Care<'_>) {
    let (t, server) = (c.t, &c.server);
    let (worker, colleague, supervisor) =
        (c.worker.clone(), c.colleague.clone(), c.supervisor.clone());
    let (analyst, other, other_supervisor) = (
        c.analyst.clone(),
        c.other.clone(),
        c.other_supervisor.clone(),
    );
    let as_ = |token: &str| Some(token.to_owned());

    let (status, created) = server.json(
        "POST",
        "/api/v1/cases",
        as_(&worker).as_deref(),
        &json!({"name": NAME, "age_estimate": 14, "language": "th", "location": "Chiang Mai",
                "guardians": [{"name": "A Guardian", "relation": "aunt"}], "risk_level": "high"}),
    );
    assert_eq!(status, 201, "{}: {created}", t.name);
    let id = created["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/cases/{id}");

    let (status, seen) = server.get(&path, as_(&worker).as_deref());
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["identity"]["name"], NAME);
    assert_eq!(seen["risk_level"], "high");
    let (status, _) = server.get(&path, as_(&supervisor).as_deref());
    assert_eq!(status, 200, "the worker's supervisor");
    for (who, token) in [
        ("an unassigned colleague", &colleague),
        ("another organisation", &other),
        ("another organisation's supervisor", &other_supervisor),
    ] {
        let (status, body) = server.get(&path, Some(token));
        assert_eq!(status, 403, "{}: {who}: {body}", t.name);
    }
    let (status, _) = server.get(&path, Some(&analyst));
    assert_eq!(status, 403, "an analyst has no care role");
    let (status, _) = server.get("/api/v1/cases/999999", Some(&worker));
    assert_eq!(status, 404);
    (c.id, c.path) = (id, path);
}

/// No referral without disclosure consent; with it, a referral to another organisation.
fn step_no_referral_without_disclosure_consent(c: &mut Care<'_>) {
    let (t, server, path) = (c.t, &c.server, c.path.clone());
    let (worker, other) = (c.worker.clone(), c.other.clone());
    let referrals = format!("{path}/referrals");
    let (status, err) = server.json(
        "POST",
        &referrals,
        Some(&worker),
        &json!({"service": "mental_health", "to_org": "Shelter B"}),
    );
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (409, json!("consent_required")),
        "{}",
        t.name
    );
    let (status, err) = server.json(
        "POST",
        &referrals,
        Some(&worker),
        &json!({"service": "astrology", "to_org": "Shelter B"}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("service"))
    );
    let consents = format!("{path}/consents");
    let (status, err) = server.json(
        "POST",
        &consents,
        Some(&worker),
        &json!({"purpose": "gossip", "given_by": "child"}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("purpose"))
    );
    let (status, _) = server.json(
        "POST",
        &consents,
        Some(&other),
        &json!({"purpose": "disclosure", "given_by": "child"}),
    );
    assert_eq!(status, 403);
    let (status, _) = server.json(
        "POST",
        &consents,
        Some(&worker),
        &json!({"purpose": "disclosure", "given_by": "guardian", "evidence": "signed form"}),
    );
    assert_eq!(status, 201);
    let (status, err) = server.json(
        "POST",
        &referrals,
        Some(&worker),
        &json!({"service": "mental_health", "to_org": "Nowhere"}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("to_org"))
    );
    let (status, referral) = server.json(
        "POST",
        &referrals,
        Some(&worker),
        &json!({"service": "mental_health", "to_org": "Shelter B"}),
    );
    assert_eq!(status, 201, "{}: {referral}", t.name);
    let referral_id = referral["id"].as_str().expect("id").to_owned();
    c.referral_id = referral_id;
}

/// The receiving organisation sees only the shared fields; only it answers the referral, and a
/// rejection needs a reason.
fn step_the_receiver_sees_only_the_shared_fields_and_answers(c: &Care<'_>) {
    let (server, path, referral_id) = (&c.server, c.path.clone(), c.referral_id.clone());
    let (worker, other) = (c.worker.clone(), c.other.clone());
    let (status, shared) = server.get(&path, Some(&other));
    assert_eq!(status, 200, "{shared}");
    assert_eq!(shared["view"], "shared");
    assert_eq!(shared["identity"], Value::Null);
    let fields = &shared["referrals"][0]["shared"];
    assert_eq!(fields["age_estimate"], 14);
    assert_eq!(fields["language"], "th");
    assert_eq!(fields["risk_level"], "high");
    assert!(!shared.to_string().contains(NAME), "{shared}");
    assert!(!shared.to_string().contains("Chiang Mai"), "{shared}");

    // Only the receiver answers; a rejection needs a reason.
    let accept = format!("/api/v1/referrals/{referral_id}/accept");
    let (status, _) = server.json("POST", &accept, Some(&worker), &json!({}));
    assert_eq!(status, 403);
    let (status, err) = server.json(
        "POST",
        &format!("/api/v1/referrals/{referral_id}/reject"),
        Some(&other),
        &json!({}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("reason"))
    );
    let (status, answered) = server.json("POST", &accept, Some(&other), &json!({}));
    assert_eq!(
        (status, answered["status"].clone()),
        (200, json!("accepted"))
    );
    let (_, seen) = server.get(&path, Some(&worker));
    assert_eq!(seen["referrals"][0]["status"], "accepted");
    assert_eq!(seen["consents"][0]["purpose"], "disclosure");
}

/// The child's picture hashes join the care bank only with hash-sharing consent; a platform's
/// match on them then alerts the worker.
async fn step_picture_hashes_need_consent_and_a_match_alerts_the_worker(c: &Care<'_>) {
    let (t, server, path, id) = (c.t, &c.server, c.path.clone(), c.id.clone());
    let worker = c.worker.clone();
    let consents = format!("{path}/consents");
    let picture = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let hashes = format!("{path}/hashes");
    let (status, err) = server.json(
        "POST",
        &hashes,
        Some(&worker),
        &json!({"pdq": picture, "quality": 90}),
    );
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (409, json!("consent_required"))
    );
    server.json(
        "POST",
        &consents,
        Some(&worker),
        &json!({"purpose": "hash_sharing", "given_by": "guardian"}),
    );
    let (status, linked) = server.json(
        "POST",
        &hashes,
        Some(&worker),
        &json!({"pdq": picture, "quality": 90}),
    );
    assert_eq!(
        (status, linked["linked"].clone()),
        (201, json!(1)),
        "{linked}"
    );
    let platform = user(
        &t.store,
        "platform@example.org",
        Role::Platform,
        Some("Platform Co"),
    )
    .await;
    let (_, found) = server.get(
        &format!("/m/lookup?signal_type=pdq&signal={picture}"),
        Some(&platform),
    );
    assert!(found["CARE_HASHES"].is_array(), "{found}");
    let (_, alerts) = server.get("/api/v1/care/alerts", Some(&worker));
    assert_eq!(alerts[0]["case_id"].to_string(), id, "{alerts}");
}

/// Assignment by a supervisor gives a colleague the case.
fn step_a_supervisor_assigns_a_colleague(c: &Care<'_>) {
    let (server, path) = (&c.server, c.path.clone());
    let (worker, colleague, supervisor) =
        (c.worker.clone(), c.colleague.clone(), c.supervisor.clone());
    let (status, _) = server.json(
        "POST",
        &format!("{path}/assign"),
        Some(&worker),
        &json!({"email": "colleague@a.example"}),
    );
    assert_eq!(status, 403, "only a supervisor assigns");
    let (status, _) = server.json(
        "POST",
        &format!("{path}/assign"),
        Some(&supervisor),
        &json!({"email": "colleague@a.example"}),
    );
    assert_eq!(status, 204);
    let (status, _) = server.get(&path, Some(&colleague));
    assert_eq!(status, 200);
}

/// The case's path: the plan and the closure wait for the supervisor.
fn step_the_plan_and_the_closure_wait_for_the_supervisor(c: &Care<'_>) {
    let (server, path) = (&c.server, c.path.clone());
    let (worker, supervisor, other_supervisor) = (
        c.worker.clone(),
        c.supervisor.clone(),
        c.other_supervisor.clone(),
    );
    let stage = format!("{path}/stage");
    let approval = format!("{path}/approval");
    let (status, err) = server.json("POST", &stage, Some(&worker), &json!({"to": "closure"}));
    assert_eq!((status, err["error"]["field"].clone()), (422, json!("to")));
    for to in ["assessment", "case_plan"] {
        let (status, moved) = server.json("POST", &stage, Some(&worker), &json!({"to": to}));
        assert_eq!(
            (status, moved["stage"].clone()),
            (200, json!(to)),
            "{moved}"
        );
    }
    let (_, moved) = server.json(
        "POST",
        &stage,
        Some(&worker),
        &json!({"to": "service_delivery"}),
    );
    assert_eq!(
        moved,
        json!({"stage": "case_plan", "pending_approval": "case_plan"})
    );
    let (status, _) = server.json(
        "POST",
        &approval,
        Some(&worker),
        &json!({"decision": "approve"}),
    );
    assert_eq!(status, 403, "a worker does not approve");
    let (status, _) = server.json(
        "POST",
        &approval,
        Some(&other_supervisor),
        &json!({"decision": "approve"}),
    );
    assert_eq!(status, 403, "nor another organisation's supervisor");
    let (_, decided) = server.json(
        "POST",
        &approval,
        Some(&supervisor),
        &json!({"decision": "approve"}),
    );
    assert_eq!(
        decided,
        json!({"stage": "service_delivery", "pending_approval": null})
    );
    let (_, _) = server.json("POST", &stage, Some(&worker), &json!({"to": "follow_up"}));
    let (status, err) = server.json("POST", &stage, Some(&worker), &json!({"to": "closure"}));
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("reason"))
    );
    let (_, moved) = server.json(
        "POST",
        &stage,
        Some(&worker),
        &json!({"to": "closure", "reason": "goals_met"}),
    );
    assert_eq!(moved["pending_approval"], "closure");
    let (_, decided) = server.json(
        "POST",
        &approval,
        Some(&supervisor),
        &json!({"decision": "approve"}),
    );
    assert_eq!(decided["stage"], "closure");
    let (_, seen) = server.get(&path, Some(&worker));
    assert_eq!(seen["closure_reason"], "goals_met");
    let (_, reopened) = server.json("POST", &stage, Some(&worker), &json!({"to": "reopened"}));
    assert_eq!(reopened["stage"], "reopened");
}

/// Assessments follow the configured forms; services are planned and delivered.
fn step_assessments_follow_the_forms_and_services_are_delivered(c: &Care<'_>) {
    let (server, path) = (&c.server, c.path.clone());
    let (worker, other) = (c.worker.clone(), c.other.clone());
    let (status, catalogue) = server.get("/api/v1/care/catalogue", Some(&worker));
    assert_eq!(status, 200);
    assert_eq!(catalogue["services"].as_array().map(Vec::len), Some(10));
    assert_eq!(catalogue["forms"][0]["id"], "safety");
    let assessments = format!("{path}/assessments");
    let (status, err) = server.json(
        "POST",
        &assessments,
        Some(&worker),
        &json!({"form": "safety", "answers": {"safe_where_living": "maybe"}}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("answers"))
    );
    let (status, _) = server.json("POST", &assessments, Some(&worker), &json!({"form": "psychosocial", "answers": {"distress": 4, "self_harm_risk": "possible", "psychosocial_notes": "Sleeps badly since the threats"}}));
    assert_eq!(status, 201);
    let services = format!("{path}/services");
    let (status, err) = server.json(
        "POST",
        &services,
        Some(&worker),
        &json!({"service": "astrology", "provider": "x"}),
    );
    assert_eq!(
        (status, err["error"]["field"].clone()),
        (422, json!("service"))
    );
    let (status, planned) = server.json(
        "POST",
        &services,
        Some(&worker),
        &json!({"service": "mental_health", "provider": "Shelter B"}),
    );
    assert_eq!(status, 201, "{planned}");
    let service_path = format!("{services}/{}", planned["id"].as_str().expect("id"));
    let (status, updated) = server.json(
        "PATCH",
        &service_path,
        Some(&worker),
        &json!({"status": "delivered", "outcome": "six sessions"}),
    );
    assert_eq!(
        (status, updated["status"].clone()),
        (200, json!("delivered"))
    );
    assert!(updated["delivered_at"].is_string());
    let (status, _) = server.json(
        "PATCH",
        &service_path,
        Some(&other),
        &json!({"status": "declined"}),
    );
    assert_eq!(status, 403);
    let (_, seen) = server.get(&path, Some(&worker));
    assert_eq!(seen["assessments"][0]["answers"]["distress"], 4);
    assert_eq!(seen["services"][0]["outcome"], "six sessions");
}

/// Notes are signed, editable by their author for 24 hours, then only corrected.
async fn step_notes_are_edited_for_a_day_then_only_corrected(c: &Care<'_>) {
    let (t, server, path) = (c.t, &c.server, c.path.clone());
    let (worker, colleague) = (c.worker.clone(), c.colleague.clone());
    let notes = format!("{path}/notes");
    let (status, added) = server.json(
        "POST",
        &notes,
        Some(&worker),
        &json!({"body": "Met the child at school with her aunt"}),
    );
    assert_eq!(status, 201, "{added}");
    let note_id = added["id"].as_str().expect("id").to_owned();
    let note_path = format!("{notes}/{note_id}");
    let (status, _) = server.json(
        "PUT",
        &note_path,
        Some(&colleague),
        &json!({"body": "changed"}),
    );
    assert_eq!(status, 403, "only the author edits");
    let (status, _) = server.json(
        "PUT",
        &note_path,
        Some(&worker),
        &json!({"body": "Met the child at school with her aunt and teacher"}),
    );
    assert_eq!(status, 204);
    {
        use lindung::care::entities::note;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set, EntityTrait};
        let row = note::Entity::find_by_id(note_id.parse::<i64>().expect("id"))
            .one(t.store.db())
            .await
            .expect("query")
            .expect("note");
        let mut aged: note::ActiveModel = row.clone().into();
        aged.created_at = Set(row.created_at - time::Duration::hours(25));
        aged.update(t.store.db()).await.expect("age the note");
    }
    let (status, err) = server.json(
        "PUT",
        &note_path,
        Some(&worker),
        &json!({"body": "too late"}),
    );
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (409, json!("note_locked"))
    );
    let (status, _) = server.json("POST", &notes, Some(&worker), &json!({"body": "Correction: the teacher was not there", "corrects": note_id.parse::<i64>().expect("id")}));
    assert_eq!(status, 201);
    let (_, seen) = server.get(&path, Some(&worker));
    assert_eq!(
        seen["notes"][0]["body"],
        "Met the child at school with her aunt and teacher"
    );
    assert!(seen["notes"][0]["edited_at"].is_string());
    assert_eq!(seen["notes"][1]["corrects"].to_string(), note_id);
}

/// A withdrawn consent no longer allows what it allowed.
fn step_a_withdrawn_consent_no_longer_allows_a_referral(c: &Care<'_>) {
    let (server, path) = (&c.server, c.path.clone());
    let (worker, other) = (c.worker.clone(), c.other.clone());
    let referrals = format!("{path}/referrals");
    let (_, seen) = server.get(&path, Some(&worker));
    let disclosure = seen["consents"]
        .as_array()
        .expect("consents")
        .iter()
        .find(|c| c["purpose"] == "disclosure")
        .and_then(|c| c["id"].as_i64())
        .expect("disclosure consent");
    let withdraw = format!("{path}/consents/{disclosure}/withdraw");
    let (status, _) = server.json("POST", &withdraw, Some(&other), &json!({}));
    assert_eq!(status, 403);
    let (status, _) = server.get(&path, Some(&other));
    assert_eq!(status, 200, "the referral shows the case to Shelter B");
    let (status, _) = server.json("POST", &withdraw, Some(&worker), &json!({}));
    assert_eq!(status, 204);
    let (status, _) = server.json("POST", &withdraw, Some(&worker), &json!({}));
    assert_eq!(status, 404, "already withdrawn");
    // The referral it allowed no longer shows the case.
    let (status, body) = server.get(&path, Some(&other));
    assert_eq!(status, 403, "{body}");
    let (status, err) = server.json(
        "POST",
        &referrals,
        Some(&worker),
        &json!({"service": "health", "to_org": "Shelter B"}),
    );
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (409, json!("consent_required"))
    );
}

/// Withdrawn `hash_sharing`: the picture no longer matches in the care bank, and a platform's
/// lookup of it alerts nobody.
async fn step_withdrawn_hash_sharing_unlinks_the_pictures(c: &Care<'_>) {
    let (t, server, path) = (c.t, &c.server, c.path.clone());
    let worker = c.worker.clone();
    let picture = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let platform = user(
        &t.store,
        "platform2@example.org",
        Role::Platform,
        Some("Platform Co"),
    )
    .await;
    let alerts = |server: &Server| {
        let (_, seen) = server.get(&path, Some(&worker));
        seen["alerts"].as_array().map_or(0, Vec::len)
    };
    // A second picture, linked while the consent stands and never looked up: had it stayed
    // linked, a lookup would alert (the once-a-day rule has not seen it).
    let second = "1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f00f";
    let (status, linked) = server.json(
        "POST",
        &format!("{path}/hashes"),
        Some(&worker),
        &json!({"pdq": second, "quality": 90}),
    );
    assert_eq!(status, 201, "{linked}");
    let before = alerts(server);
    let (_, seen) = server.get(&path, Some(&worker));
    let sharing = seen["consents"]
        .as_array()
        .expect("consents")
        .iter()
        .find(|c| c["purpose"] == "hash_sharing")
        .and_then(|c| c["id"].as_i64())
        .expect("hash_sharing consent");
    let (status, _) = server.json(
        "POST",
        &format!("{path}/consents/{sharing}/withdraw"),
        Some(&worker),
        &json!({}),
    );
    assert_eq!(status, 204);
    for picture in [picture, second] {
        let (status, found) = server.get(
            &format!("/m/lookup?signal_type=pdq&signal={picture}"),
            Some(&platform),
        );
        assert_eq!(status, 200);
        assert!(found.get("CARE_HASHES").is_none(), "{}: {found}", t.name);
    }
    assert_eq!(
        alerts(server),
        before,
        "{}: no alert for an unlinked picture",
        t.name
    );
}

/// The child's own record, printable, leaves other people out.
fn step_the_childs_own_record_leaves_other_people_out(c: &Care<'_>) {
    let (server, id) = (&c.server, c.id.clone());
    let (worker, other) = (c.worker.clone(), c.other.clone());
    let (status, printed) = server.get(&format!("/care/{id}/export"), Some(&worker));
    assert_eq!(status, 200);
    let printed = printed.as_str().unwrap_or_default().to_owned();
    assert!(printed.contains(NAME), "{printed}");
    assert!(
        !printed.contains("A Guardian") && !printed.contains("Met the child"),
        "{printed}"
    );
    let (status, _) = server.get(&format!("/care/{id}/export"), Some(&other));
    assert_eq!(
        status, 403,
        "a referred organisation does not print the whole case"
    );
}

/// A supervisor may refer without consent when a child is in danger, with a logged reason; a
/// worker may not. A transfer moves the case to another organisation.
fn step_urgent_referrals_and_transfers_are_for_supervisors(c: &Care<'_>) {
    let server = &c.server;
    let (worker, supervisor, other_supervisor) = (
        c.worker.clone(),
        c.supervisor.clone(),
        c.other_supervisor.clone(),
    );
    let (_, second) = server.json(
        "POST",
        "/api/v1/cases",
        Some(&worker),
        &json!({"name": "Second Child"}),
    );
    let second = format!("/api/v1/cases/{}", second["id"].as_str().expect("id"));
    let refer = |token: &str, reason: Option<&str>| {
        server.json(
            "POST",
            &format!("{second}/referrals"),
            Some(token),
            &json!({"service": "justice", "to_org": "Shelter B", "override_reason": reason,
                    "share": ["name", "location"]}),
        )
    };
    assert_eq!(refer(&worker, Some("in danger")).0, 409);
    assert_eq!(refer(&supervisor, None).0, 409);
    assert_eq!(
        refer(&supervisor, Some("the child is in danger tonight")).0,
        201
    );
    let (status, err) = server.json(
        "POST",
        &format!("{second}/transfer"),
        Some(&supervisor),
        &json!({"to_org": "Shelter B"}),
    );
    assert_eq!(
        (status, err["error"]["code"].clone()),
        (409, json!("consent_required"))
    );
    server.json(
        "POST",
        &format!("{second}/consents"),
        Some(&worker),
        &json!({"purpose": "disclosure", "given_by": "authority"}),
    );
    let (status, _) = server.json(
        "POST",
        &format!("{second}/transfer"),
        Some(&worker),
        &json!({"to_org": "Shelter B"}),
    );
    assert_eq!(status, 403, "only a supervisor transfers");
    let (status, _) = server.json(
        "POST",
        &format!("{second}/transfer"),
        Some(&supervisor),
        &json!({"to_org": "Shelter B"}),
    );
    assert_eq!(status, 204);
    assert_eq!(
        server.get(&second, Some(&worker)).0,
        403,
        "the old worker loses the case"
    );
    let (status, moved) = server.get(&second, Some(&other_supervisor));
    assert_eq!((status, moved["view"].clone()), (200, json!("full")));
}

/// Indicators: a supervisor sees their organisation's counts, a researcher everyone's with
/// small counts suppressed, a case worker none.
async fn step_indicators_depend_on_the_role(c: &Care<'_>) {
    let (t, server) = (c.t, &c.server);
    let (worker, supervisor) = (c.worker.clone(), c.supervisor.clone());
    let researcher = user(
        &t.store,
        "researcher@uni.example",
        Role::Researcher,
        Some("University"),
    )
    .await;
    let (status, figures) = server.get("/api/v1/care/indicators", Some(&supervisor));
    assert_eq!(status, 200, "{figures}");
    assert_eq!(
        figures["open_cases_by_risk"],
        json!({"high": 1}),
        "{figures}"
    );
    assert_eq!(
        figures["services_delivered_by_type"],
        json!({"mental_health": 1})
    );
    assert_eq!(figures["referrals_by_answer"], json!({"accepted": 1}));
    assert!(
        figures["median_days_to_first_service"]
            .as_f64()
            .is_some_and(|d| d < 1.0)
    );
    let (status, figures) = server.get("/api/v1/care/indicators", Some(&researcher));
    assert_eq!(status, 200);
    assert_eq!(
        figures["open_cases_by_risk"],
        json!({"high": "<5", "medium": "<5"}),
        "{figures}"
    );
    assert_eq!(figures["median_days_to_first_service"], Value::Null);
    assert_eq!(figures["suppressed"], true);
    assert_eq!(server.get("/api/v1/care/indicators", Some(&worker)).0, 403);
}

/// Identifying fields are encrypted in the database; the audit chain is whole.
async fn step_identifying_fields_are_encrypted_in_the_database(c: Care<'_>) {
    let Care { t, server, .. } = c;
    server.terminate();
    // SQLite: the raw file and its write-ahead log; PostgreSQL: every row of every table.
    let stored = everything_stored(t).await;
    assert!(
        contains(&stored, "Shelter B"),
        "{}: the dump holds the data",
        t.name
    );
    for (what, secret) in [
        ("the name", NAME),
        ("the location", "Chiang Mai"),
        ("notes", "Met the child"),
        ("a referral's snapshot of the case", "Second Child"),
        ("consent evidence", "signed form"),
        ("a service's outcome", "six sessions"),
        (
            "a supervisor's override reason",
            "the child is in danger tonight",
        ),
    ] {
        assert!(
            !contains(&stored, secret),
            "{}: {what} is stored in plain text",
            t.name
        );
    }
    let report = access::audit::verify(&t.store).await.expect("verify");
    assert_eq!(report.first_broken, None);
}

/// Values an earlier version kept in the clear are sealed when the server starts, and read
/// back as before.
#[tokio::test(flavor = "multi_thread")]
async fn values_kept_in_the_clear_are_sealed_at_start() {
    for t in support::stores("care_seal_at_start").await {
        let worker = user(
            &t.store,
            "worker@a.example",
            Role::CaseWorker,
            Some("Care A"),
        )
        .await;
        let server = Server::start(&t.location);
        let (status, created) = server.json(
            "POST",
            "/api/v1/cases",
            Some(&worker),
            &json!({"name": "Old Child"}),
        );
        assert_eq!(status, 201, "{created}");
        let path = format!("/api/v1/cases/{}", created["id"].as_str().expect("id"));
        let (status, _) = server.json(
            "POST",
            &format!("{path}/consents"),
            Some(&worker),
            &json!({"purpose": "services", "given_by": "child", "evidence": "verbal, with a teacher"}),
        );
        assert_eq!(status, 201);
        server.terminate();
        // What an earlier version wrote: the evidence in the clear.
        let db = t.store.db();
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "UPDATE care_consents SET evidence = 'verbal, with a teacher'",
        ))
        .await
        .expect("write plain text");
        let server = Server::start(&t.location);
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                "SELECT evidence FROM care_consents",
            ))
            .await
            .expect("query");
        assert!(!rows.is_empty());
        for row in rows {
            let evidence: String = row.try_get("", "evidence").expect("evidence");
            assert!(
                evidence.starts_with("k1:") && !evidence.contains("teacher"),
                "{}: {evidence}",
                t.name
            );
        }
        let (status, seen) = server.get(&path, Some(&worker));
        assert_eq!(status, 200, "{}: the case still reads: {seen}", t.name);
        server.terminate();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_for_help_in_a_self_report_opens_a_care_case() {
    for t in support::stores("care_selfreport").await {
        let supervisor = user(
            &t.store,
            "supervisor@hotline.example",
            Role::Supervisor,
            None,
        )
        .await;
        let (smtp_port, mail) = support::smtp::sink();
        let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
        let server = Server::start_with_env(
            &t.location,
            &[
                ("LINDUNG_SMTP_URL", &smtp_url),
                ("LINDUNG_SMTP_FROM", "lindung@hotline.example"),
            ],
        );
        let (status, receipt) = server.json(
            "POST",
            "/api/v1/selfreport",
            None,
            &json!({"files": [{"pdq": BRIDGE, "quality": 95, "md5": "d41d8cd98f00b204e9800998ecf8427e"}], "help": true, "consent": true,
                    "contact": "phone 0812345678", "language": "vi"}),
        );
        assert_eq!(status, 201);
        let (status, requests) = server.get("/api/v1/selfreport/help-requests", Some(&supervisor));
        assert_eq!(status, 200, "{requests}");
        let case = requests[0]["care_case"]
            .as_str()
            .expect("a care case was opened")
            .to_owned();
        let (status, seen) = server.get(&format!("/api/v1/cases/{case}"), Some(&supervisor));
        assert_eq!(status, 200, "{}: {seen}", t.name);
        assert_eq!(seen["source"], "self-report");
        assert_eq!(seen["identity"]["contact"], "phone 0812345678");
        assert_eq!(seen["identity"]["language"], "vi");
        assert_eq!(seen["consents"][0]["purpose"], "services");
        assert_eq!(seen["consents"][0]["given_by"], "child");
        assert_eq!(seen["consents"][1]["purpose"], "hash_sharing");

        // The supervisor assigns a worker; when a platform's lookup finds the picture again,
        // the worker is alerted, with where it was seen and nothing of the content.
        let worker = user(&t.store, "worker@hotline.example", Role::CaseWorker, None).await;
        let platform = user(
            &t.store,
            "platform@example.org",
            Role::Platform,
            Some("Platform Co"),
        )
        .await;
        let (status, _) = server.json(
            "POST",
            &format!("/api/v1/cases/{case}/assign"),
            Some(&supervisor),
            &json!({"email": "worker@hotline.example"}),
        );
        assert_eq!(status, 204);
        // The child's contact in the help request is for the case's worker and supervisor
        // only; a colleague who is not on the case gets the request without it.
        let colleague = user(
            &t.store,
            "colleague@hotline.example",
            Role::CaseWorker,
            None,
        )
        .await;
        for (token, contact) in [
            (&worker, json!("phone 0812345678")),
            (&supervisor, json!("phone 0812345678")),
            (&colleague, Value::Null),
        ] {
            let (status, requests) = server.get("/api/v1/selfreport/help-requests", Some(token));
            assert_eq!(status, 200, "{requests}");
            assert_eq!(requests[0]["contact"], contact, "{}: {requests}", t.name);
        }
        let (_, alerts) = server.get("/api/v1/care/alerts", Some(&worker));
        assert_eq!(alerts, json!([]));
        let (_, found) = server.get(
            &format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"),
            Some(&platform),
        );
        assert!(found["SELF_REPORT"].is_array(), "{found}");
        // Repeated lookups of the same picture on the same day are not a spam cannon: the
        // case still has one alert, and its worker one mail (checked below).
        for _ in 0..3 {
            let (status, _) = server.get(
                &format!("/m/lookup?signal_type=pdq&signal={BRIDGE}"),
                Some(&platform),
            );
            assert_eq!(status, 200);
        }
        let (status, alerts) = server.get("/api/v1/care/alerts", Some(&worker));
        assert_eq!(status, 200);
        assert_eq!(
            alerts.as_array().map(Vec::len),
            Some(1),
            "{}: one alert per case, signal and day: {alerts}",
            t.name
        );
        assert_eq!(alerts[0]["case_id"].to_string(), case);
        assert_eq!(alerts[0]["source"], "api lookup");
        assert!(!alerts.to_string().contains(BRIDGE), "no content details");
        let (_, seen) = server.get(&format!("/api/v1/cases/{case}"), Some(&worker));
        assert_eq!(seen["alerts"].as_array().map(Vec::len), Some(1));

        // The assigned worker also gets an email that names the case and nothing else.
        let start = std::time::Instant::now();
        while mail.lock().expect("lock").is_empty()
            && start.elapsed() < std::time::Duration::from_secs(10)
        {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // Mails of the repeated lookups, had they been raised, would follow the first closely.
        std::thread::sleep(std::time::Duration::from_secs(1));
        let sent = mail.lock().expect("lock").clone();
        assert_eq!(sent.len(), 1, "{}: {sent:?}", t.name);
        let reference = seen["reference"].as_str().expect("reference");
        assert!(
            sent[0].contains("worker@hotline.example") && sent[0].contains(reference),
            "{}",
            sent[0]
        );
        assert!(
            !sent[0].contains(BRIDGE) && !sent[0].contains("0812345678"),
            "{}",
            sent[0]
        );

        // Withdrawing the self-report takes back every copy of the contact, the care case's
        // too; the case keeps its work.
        let (status, _) = server.json(
            "POST",
            "/api/v1/selfreport/withdraw",
            None,
            &json!({"case_number": receipt["case_number"], "pin": receipt["pin"]}),
        );
        assert_eq!(status, 200);
        let (status, seen) = server.get(&format!("/api/v1/cases/{case}"), Some(&supervisor));
        assert_eq!(status, 200, "{}: {seen}", t.name);
        assert_eq!(
            seen["identity"]["contact"],
            Value::Null,
            "{}: {seen}",
            t.name
        );
        assert_eq!(
            seen["identity"]["language"], "vi",
            "the rest of the case stays"
        );
        // Gone from what is stored, not only from the view: open the stored identity with the
        // deployment's key.
        let cipher = lindung::store::fields::FieldCipher::from_environment_or_file(
            &t.location.data_dir.join("field.key"),
        )
        .expect("key");
        let db = t.store.db();
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT reference, identity FROM care_cases WHERE id = {case}"),
            ))
            .await
            .expect("query")
            .expect("the case");
        let reference: String = row.try_get("", "reference").expect("reference");
        let identity: String = row.try_get("", "identity").expect("identity");
        let opened = cipher
            .open(&format!("care_cases.identity:{reference}"), &identity)
            .expect("open");
        assert!(
            opened.contains("\"vi\"") && !opened.contains("0812345678"),
            "{}",
            t.name
        );
        server.terminate();
    }
}
