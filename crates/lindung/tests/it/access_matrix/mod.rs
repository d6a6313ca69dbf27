//! The access policy, written apart from the router (issue "Proof a sceptic accepts", item 1).
//!
//! `policy_*.rs` hold a table, written from `docs/` and the issues, of who may call each route
//! and what each caller gets, by the caller's role and relation to the object: of the object's
//! organisation (A) or of another (B); for care cases, assigned to the case or not. The test
//! makes real objects in organisation A (a bank, a report with its URL and evidence file, a care
//! case with its consent, note and service, a referral to A, a self-report, users and tokens),
//! fills every path with their ids, and calls every route as every role of A and B, with a
//! bearer token and with a session cookie. A route of the server missing from the table fails, and so does any answer
//! that differs from the table's. Every state-changing call made with a session without its
//! CSRF token is refused.

mod fixtures;
mod policy_accounts;
mod policy_banks;
mod policy_care;
mod policy_hotline;
mod policy_legal;
mod policy_regional;
mod relations;
mod requests;

use std::collections::BTreeSet;

use lindung::access::Role;

use crate::support::{self, server::Server};
use fixtures::{Fixtures, Mode, People, Relation};
use requests::Req;

/// Who may call a route at all.
#[derive(Clone, Copy, Debug)]
pub enum Who {
    /// Anyone, signed in or not.
    Public,
    /// These roles, of any organisation (what they then get depends on the relation).
    Roles(&'static [Role]),
}

/// One row of the policy: a route, who may call it, the request to send, and the answers.
pub struct Rule {
    /// `METHOD /path/{param}`, as the server's route table names it.
    pub route: &'static str,
    pub who: Who,
    /// Builds the request (path with real ids, body) from the objects of organisation A.
    pub call: fn(&mut Fixtures) -> Req,
    /// Whether a successful call changes or consumes its object, so that each one needs new
    /// objects (a second call on the same object would answer differently).
    pub fresh: bool,
    /// An allowed role of the object's organisation (assigned, for a care case).
    pub own: u16,
    /// An allowed role of organisation B; `None`: the same as `own` (the route acts on no
    /// organisation's object, or on the deployment's).
    pub other: Option<u16>,
    /// A case worker of A not assigned to the case; `None`: the route does not look at
    /// assignment (the same as `own`).
    pub unassigned: Option<u16>,
    /// Roles that get `own` whatever their organisation (researchers read every
    /// organisation's statistics).
    pub anywhere: &'static [Role],
}

impl Rule {
    /// A route every allowed role reaches alike, whatever its organisation.
    pub const fn open(
        route: &'static str,
        who: Who,
        call: fn(&mut Fixtures) -> Req,
        ok: u16,
    ) -> Rule {
        Rule {
            route,
            who,
            call,
            fresh: false,
            own: ok,
            other: None,
            unassigned: None,
            anywhere: &[],
        }
    }

    /// A rule on one of A's objects, made afresh for each call that succeeds (it may change
    /// or consume it): an allowed role of A gets `own`, one of B gets `other`.
    pub const fn on_object(
        route: &'static str,
        who: Who,
        call: fn(&mut Fixtures) -> Req,
        own: u16,
        other: u16,
    ) -> Rule {
        Rule {
            route,
            who,
            call,
            fresh: true,
            own,
            other: Some(other),
            unassigned: None,
            anywhere: &[],
        }
    }
}

/// Every rule of every domain.
fn policy() -> Vec<Rule> {
    let mut all = Vec::new();
    all.extend(policy_accounts::rules());
    all.extend(policy_banks::rules());
    all.extend(policy_care::rules());
    all.extend(policy_hotline::rules());
    all.extend(policy_legal::rules());
    all.extend(policy_regional::rules());
    all.extend(policy_accounts::last());
    all
}

/// The routes the server has, as `METHOD /path` (from its own table: only to find routes the
/// policy forgot, never to decide what they answer).
fn server_routes() -> BTreeSet<String> {
    lindung::app::endpoints()
        .iter()
        .map(|e| format!("{} {}", e.method.as_str(), e.path))
        .collect()
}

#[test]
fn every_route_of_the_server_is_in_the_policy_once() {
    let mut listed = BTreeSet::new();
    let mut twice = Vec::new();
    for rule in policy() {
        if !listed.insert(rule.route.to_owned()) {
            twice.push(rule.route);
        }
    }
    let routes = server_routes();
    let missing: Vec<_> = routes.difference(&listed).collect();
    let unknown: Vec<_> = listed.difference(&routes).collect();
    assert!(
        missing.is_empty() && unknown.is_empty() && twice.is_empty(),
        "routes with no policy: {missing:#?}\npolicy rows for no route: {unknown:#?}\nlisted twice: {twice:#?}"
    );
}

/// What one caller should get: the roles outside the rule get 403; the allowed ones get the
/// answer for their relation.
fn expected(rule: &Rule, role: Role, relation: fixtures::Relation) -> u16 {
    use Relation::*;
    if let Who::Roles(roles) = rule.who
        && !roles.contains(&role)
    {
        return 403;
    }
    if rule.anywhere.contains(&role) {
        return rule.own;
    }
    match relation {
        Own => rule.own,
        Other => rule.other.unwrap_or(rule.own),
        Unassigned => rule.unassigned.unwrap_or(rule.own),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_every_role_and_organisation_as_the_policy_says() {
    for t in support::stores("access_matrix").await {
        let people = People::add(&t.store).await;
        let config = fixtures::hotline_config(&t.location.data_dir);
        let server = Server::start_with_env(
            &t.location,
            &[("LINDUNG_HOTLINE_CONFIG", config.to_str().expect("path"))],
        );
        let mut fixtures = Fixtures::new(&server, &t.store, &people);
        let mut differences = Vec::new();
        let mut calls = 0usize;
        for rule in policy() {
            let (method, _) = rule.route.split_once(' ').expect("METHOD /path");
            let page = requests::is_page(rule.route);
            let Who::Roles(_) = rule.who else {
                // A public route answers everyone alike; it is called without credentials.
                let req = (rule.call)(&mut fixtures);
                let got = fixtures.send_as(&req, None);
                calls += 1;
                if got.0 != rule.own {
                    differences.push(format!(
                        "{} (public): {} (policy: {}) {}",
                        rule.route,
                        got.0,
                        rule.own,
                        requests::brief(&got.1)
                    ));
                }
                continue;
            };
            // No credentials, and a made-up token: refused alike.
            let req = (rule.call)(&mut fixtures);
            let refused = if page && method == "GET" { 303 } else { 401 };
            for token in [None, Some("lndg_bogus")] {
                let got = fixtures.send_as(&req, token);
                calls += 1;
                if got.0 != refused {
                    differences.push(format!(
                        "{} without valid credentials ({token:?}): {} (policy: {refused}) {}",
                        rule.route,
                        got.0,
                        requests::brief(&got.1)
                    ));
                }
            }
            // Refusals first (they change nothing), then the calls that succeed, each on new
            // objects when the route changes them.
            let mut plan = people.callers();
            plan.sort_by_key(|c| expected(&rule, c.role, c.relation) < 400);
            for caller in plan {
                let want = expected(&rule, caller.role, caller.relation);
                for mode in [Mode::Token, Mode::Session] {
                    fixtures.fresh = rule.fresh && want < 400;
                    let req = (rule.call)(&mut fixtures);
                    // A change made with a session but without its CSRF token is refused, and
                    // changes nothing (so the call with the token still succeeds after it).
                    // Only callers the route would otherwise serve are tried (a conflict
                    // included): a 403 is then the token's refusal and nothing else's.
                    if mode == Mode::Session && method != "GET" && (want < 400 || want == 409) {
                        let got = fixtures.send_without_csrf(&req, caller);
                        calls += 1;
                        let json_not_csrf = got.1.starts_with('{') && !got.1.contains("\"csrf\"");
                        if got.0 != 403 || json_not_csrf {
                            differences.push(format!(
                                "{} as {} with a session but no CSRF token: {} (policy: 403) {}",
                                rule.route,
                                caller.email,
                                got.0,
                                requests::brief(&got.1)
                            ));
                        }
                    }
                    let got = fixtures.send(&req, caller, mode);
                    calls += 1;
                    if caller.relation != Relation::Own
                        && (200..300).contains(&got.0)
                        && let Some(marker) = fixtures.markers.iter().find(|m| got.1.contains(*m))
                    {
                        differences.push(format!(
                            "{} as {} ({:?}): the answer holds {marker}, of organisation A's",
                            rule.route, caller.email, mode
                        ));
                    }
                    if got.0 != want {
                        differences.push(format!(
                            "{} as {} ({:?}, {:?}): {} (policy: {want}) {}",
                            rule.route,
                            caller.email,
                            caller.relation,
                            mode,
                            got.0,
                            requests::brief(&got.1)
                        ));
                    }
                }
            }
        }
        differences.extend(relations::check(&mut fixtures));
        support::note(&format!(
            "{}: {calls} calls over {} routes, {} callers, 2 modes",
            t.name,
            server_routes().len(),
            people.all.len()
        ));
        assert!(
            differences.is_empty(),
            "{}: {} answers differ from the policy:\n{}",
            t.name,
            differences.len(),
            differences.join("\n")
        );
    }
}
