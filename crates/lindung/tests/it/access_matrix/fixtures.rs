//! The people and objects of the access matrix, and how a request is sent as each of them.

use lindung::access::entities::api_token;
use lindung::access::sessions::{self, LoginOutcome};
use lindung::access::{self, Role};
use lindung::store::Store;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::support::server::Server;

/// The organisation that owns every object called on (and runs the hotline).
pub const ORG_A: &str = "org-a";
/// The other organisation.
pub const ORG_B: &str = "org-b";
const PASSWORD: &str = "a long enough passphrase";

/// A caller's relation to the objects of organisation A.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relation {
    /// Of organisation A (and, for care cases, assigned to the case).
    Own,
    /// Of organisation B.
    Other,
    /// A case worker of A who is not assigned to the case.
    Unassigned,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `Authorization: Bearer`.
    Token,
    /// The session cookie (with the session's CSRF token on changes).
    Session,
}

pub struct Caller {
    pub email: String,
    pub role: Role,
    pub relation: Relation,
    pub(super) token: String,
    pub(super) session: String,
    pub(super) csrf: String,
}

pub struct People {
    pub all: Vec<Caller>,
}

impl People {
    /// Every role in organisations A and B, and a second case worker of A.
    pub async fn add(store: &Store) -> People {
        let mut all = Vec::new();
        for &role in Role::ALL {
            for (org, relation) in [(ORG_A, Relation::Own), (ORG_B, Relation::Other)] {
                let email = format!("{}@{org}.example", role.as_str());
                all.push(Caller::add(store, &email, role, org, relation).await);
            }
        }
        let email = format!("second_case_worker@{ORG_A}.example");
        all.push(Caller::add(store, &email, Role::CaseWorker, ORG_A, Relation::Unassigned).await);
        People { all }
    }

    pub fn callers(&self) -> Vec<&Caller> {
        self.all.iter().collect()
    }

    pub fn get(&self, role: Role, relation: Relation) -> &Caller {
        self.all
            .iter()
            .find(|c| c.role == role && c.relation == relation)
            .expect("caller")
    }
}

impl Caller {
    async fn add(store: &Store, email: &str, role: Role, org: &str, relation: Relation) -> Caller {
        let actor = access::audit::Actor::cli("test");
        access::add_user(store, &actor, email, role, Some(org), PASSWORD)
            .await
            .expect("add user");
        let token = access::create_token(store, &actor, email, "matrix")
            .await
            .expect("token");
        let LoginOutcome::Success { secret, csrf, .. } =
            sessions::login(store, email, PASSWORD, None)
                .await
                .expect("login")
        else {
            panic!("{email} could not log in");
        };
        Caller {
            email: email.to_owned(),
            role,
            relation,
            token,
            session: secret,
            csrf,
        }
    }
}

/// A report's evidence file: a benign test pattern of PDQ's test data, base64.
fn evidence_file() -> String {
    use base64::Engine;
    let bytes = std::fs::read(crate::support::testdata(
        "pdq/data/bridge-mods/square-128x128.jpg",
    ))
    .expect("picture");
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `id` of an answer, as text (ids are numbers or strings).
fn id_of(value: &Value) -> String {
    value["id"]
        .as_str()
        .map(str::to_owned)
        .or_else(|| value["id"].as_i64().map(|i| i.to_string()))
        .unwrap_or_else(|| panic!("no id in {value}"))
}

/// Runs a store call from the test's (blocking) request loop.
fn block<T>(work: impl std::future::Future<Output = T>) -> T {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(work))
}

/// The objects of organisation A that routes act on, made through the API as their owners
/// would make them; `fresh` asks for new ones.
pub struct Fixtures<'a> {
    pub server: &'a Server,
    /// Text only A's shared objects hold (bank names, reported URLs, case references): none
    /// may reach a caller of another organisation, or a case worker not assigned to the case.
    pub markers: Vec<String>,
    store: &'a Store,
    pub people: &'a People,
    pub fresh: bool,
    counter: usize,
    bank: Option<String>,
    report: Option<Report>,
    case: Option<Case>,
    referral: Option<String>,
    self_report: Option<(String, String)>,
    contact: Option<String>,
    partner: Option<String>,
}

#[derive(Clone)]
pub struct Report {
    pub id: String,
    pub url: String,
    /// The report's one file (its hashes only).
    pub file: String,
}

#[derive(Clone)]
pub struct Case {
    pub id: String,
    pub consent: String,
    pub note: String,
    pub service: String,
}

/// The hotline's configuration: run by A, taking evidence files (so that a report has one).
pub fn hotline_config(dir: &std::path::Path) -> std::path::PathBuf {
    let mut config: Value =
        serde_json::from_str(lindung::hotline::config::DEFAULT_CONFIG).expect("default config");
    config["organisation"] = json!(ORG_A);
    config["evidence"]["accept_uploads"] = json!(true);
    let path = dir.join("hotline-matrix.json");
    std::fs::write(&path, config.to_string()).expect("write config");
    path
}

/// A synthetic PDQ hash (not of any picture).
pub const PDQ: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

impl<'a> Fixtures<'a> {
    pub fn new(server: &'a Server, store: &'a Store, people: &'a People) -> Self {
        Fixtures {
            server,
            markers: Vec::new(),
            store,
            people,
            fresh: false,
            counter: 0,
            bank: None,
            report: None,
            case: None,
            referral: None,
            self_report: None,
            contact: None,
            partner: None,
        }
    }

    /// A number no earlier call had, for names that must be unique.
    pub fn next(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn token(&self, role: Role, relation: Relation) -> String {
        self.people.get(role, relation).token.clone()
    }

    fn api(&self, method: &str, path: &str, role: Role, relation: Relation, body: Value) -> Value {
        let token = self.token(role, relation);
        let (status, answer) = self.server.json(method, path, Some(&token), &body);
        assert!(
            (200..300).contains(&status),
            "making a fixture: {method} {path}: {status} {answer}"
        );
        answer
    }

    /// A private bank of A's admin, holding one PDQ hash.
    pub fn bank(&mut self) -> String {
        if let Some(bank) = self.bank.clone().filter(|_| !self.fresh) {
            return bank;
        }
        let name = format!("MATRIX_{}", self.next());
        self.mark(&name);
        self.api(
            "POST",
            "/api/v1/banks",
            Role::Admin,
            Relation::Own,
            json!({"name": name}),
        );
        self.api(
            "POST",
            &format!("/api/v1/banks/{name}/content"),
            Role::Admin,
            Relation::Own,
            json!({"pdq": PDQ}),
        );
        if !self.fresh {
            self.bank = Some(name.clone());
        }
        name
    }

    /// A report to A's hotline, from a platform, with one URL.
    pub fn report(&mut self) -> Report {
        if let Some(report) = self.report.clone().filter(|_| !self.fresh) {
            return report;
        }
        let n = self.next();
        let created = self.api(
            "POST",
            "/api/v1/reports",
            Role::Platform,
            Relation::Own,
            json!({"incident_type": "csam", "urls": [format!("https://host.example/matrix/{n}")],
                   "files": [{"md5": format!("{n:032x}"), "content_base64": evidence_file()}]}),
        );
        let id = created["id"].as_str().expect("report id").to_owned();
        let token = self.token(Role::Analyst, Relation::Own);
        let (_, read) = self
            .server
            .get(&format!("/api/v1/reports/{id}"), Some(&token));
        self.mark(&format!("host.example/matrix/{n}"));
        let report = Report {
            id,
            url: id_of(&read["urls"][0]),
            file: id_of(&read["files"][0]),
        };
        if !self.fresh {
            self.report = Some(report.clone());
        }
        report
    }

    /// A case of A, registered by A's (first) case worker, with disclosure consent, a note and
    /// a planned service.
    pub fn case(&mut self) -> Case {
        if let Some(case) = self.case.clone().filter(|_| !self.fresh) {
            return case;
        }
        let created = self.api(
            "POST",
            "/api/v1/cases",
            Role::CaseWorker,
            Relation::Own,
            json!({"age_estimate": 14, "language": "th", "risk_level": "high"}),
        );
        let id = created["id"].as_str().expect("case id").to_owned();
        let path = format!("/api/v1/cases/{id}");
        let token = self.token(Role::CaseWorker, Relation::Own);
        let (_, read) = self.server.get(&path, Some(&token));
        let reference = read["reference"].as_str().expect("case reference");
        self.mark(reference);
        let consent = self.api(
            "POST",
            &format!("{path}/consents"),
            Role::CaseWorker,
            Relation::Own,
            json!({"purpose": "disclosure", "given_by": "child"}),
        );
        self.api(
            "POST",
            &format!("{path}/consents"),
            Role::CaseWorker,
            Relation::Own,
            json!({"purpose": "hash_sharing", "given_by": "guardian"}),
        );
        let note = self.api(
            "POST",
            &format!("{path}/notes"),
            Role::CaseWorker,
            Relation::Own,
            json!({"body": "first visit"}),
        );
        let service = self.api(
            "POST",
            &format!("{path}/services"),
            Role::CaseWorker,
            Relation::Own,
            json!({"service": "mental_health", "provider": "Clinic"}),
        );
        let case = Case {
            id,
            consent: id_of(&consent),
            note: id_of(&note),
            service: id_of(&service),
        };
        if !self.fresh {
            self.case = Some(case.clone());
        }
        case
    }

    /// A case of A whose plan waits for a supervisor's approval (new each time): its id.
    pub fn case_awaiting_approval(&mut self) -> String {
        let fresh = std::mem::replace(&mut self.fresh, true);
        let id = self.case().id;
        self.fresh = fresh;
        let stage = format!("/api/v1/cases/{id}/stage");
        for to in ["assessment", "case_plan", "service_delivery"] {
            self.api(
                "POST",
                &stage,
                Role::CaseWorker,
                Relation::Own,
                json!({"to": to}),
            );
        }
        id
    }

    /// Notes text only the shared objects of A hold. New objects made for a call that succeeds
    /// are not noted: the call may rightly give them away (a transfer, a referral, an
    /// assignment); the shared ones are only ever called on by callers who are refused.
    fn mark(&mut self, text: &str) {
        if !self.fresh {
            self.markers.push(text.to_owned());
        }
    }

    /// A user of any organisation, made for one check: their API token.
    pub fn user_token(&self, email: &str, role: Role, org: &str) -> String {
        let (store, email, org) = (self.store, email.to_owned(), org.to_owned());
        block(async move {
            let actor = access::audit::Actor::cli("test");
            access::add_user(store, &actor, &email, role, Some(&org), PASSWORD)
                .await
                .expect("add user");
            access::create_token(store, &actor, &email, "check")
                .await
                .expect("token")
        })
    }

    /// The token of a caller of the table.
    pub fn token_of(&self, role: Role, relation: Relation) -> String {
        self.token(role, relation)
    }

    /// A platform account of A (new each time): its email.
    pub fn platform_a(&mut self) -> String {
        let email = format!("service{}@{ORG_A}.example", self.next());
        let store = self.store;
        let added = email.clone();
        block(async move {
            let actor = access::audit::Actor::cli("test");
            access::add_user(store, &actor, &added, Role::Platform, Some(ORG_A), PASSWORD)
                .await
                .expect("add user")
        });
        email
    }

    /// A referral to A, of a case of B.
    pub fn referral(&mut self) -> String {
        if let Some(referral) = self.referral.clone().filter(|_| !self.fresh) {
            return referral;
        }
        let created = self.api(
            "POST",
            "/api/v1/cases",
            Role::CaseWorker,
            Relation::Other,
            json!({"age_estimate": 12, "risk_level": "medium"}),
        );
        let path = format!("/api/v1/cases/{}", created["id"].as_str().expect("case id"));
        self.api(
            "POST",
            &format!("{path}/consents"),
            Role::CaseWorker,
            Relation::Other,
            json!({"purpose": "disclosure", "given_by": "guardian"}),
        );
        let referral = self.api(
            "POST",
            &format!("{path}/referrals"),
            Role::CaseWorker,
            Relation::Other,
            json!({"service": "mental_health", "to_org": ORG_A}),
        );
        let id = referral["id"].as_str().expect("referral id").to_owned();
        if !self.fresh {
            self.referral = Some(id.clone());
        }
        id
    }

    /// A self-report's case number and PIN.
    pub fn self_report(&mut self) -> (String, String) {
        if let Some(found) = self.self_report.clone().filter(|_| !self.fresh) {
            return found;
        }
        let (status, answer) = self.server.json(
            "POST",
            "/api/v1/selfreport",
            None,
            &json!({"files": [{"pdq": PDQ, "quality": 90}], "consent": true}),
        );
        assert_eq!(status, 201, "making a self-report: {answer}");
        let found = (
            answer["case_number"]
                .as_str()
                .expect("case number")
                .to_owned(),
            answer["pin"].as_str().expect("pin").to_owned(),
        );
        if !self.fresh {
            self.self_report = Some(found.clone());
        }
        found
    }

    /// A hosting provider in A's hotline contacts.
    pub fn provider(&mut self) -> String {
        if let Some(found) = self.contact.clone().filter(|_| !self.fresh) {
            return found;
        }
        let n = self.next();
        let made = self.api(
            "POST",
            "/api/v1/hotline/providers",
            Role::Admin,
            Relation::Own,
            json!({"name": format!("Host {n}"), "email": format!("abuse{n}@host.example"), "country": "TH"}),
        );
        let id = id_of(&made);
        if !self.fresh {
            self.contact = Some(id.clone());
        }
        id
    }

    /// A country no partner hotline has yet (a hotline has one partner per country).
    pub fn partner_country(&mut self) -> &'static str {
        const COUNTRIES: &[&str] = &[
            "MY", "SG", "ID", "PH", "VN", "KH", "LA", "MM", "BN", "JP", "KR", "IN", "AU", "NZ",
            "US", "GB", "FR", "DE", "IT", "ES", "NL", "BE", "SE", "NO", "FI", "DK", "PL", "CZ",
        ];
        let n = self.next();
        COUNTRIES[n % COUNTRIES.len()]
    }

    /// A partner hotline in A's contacts.
    pub fn partner(&mut self) -> String {
        if let Some(found) = self.partner.clone().filter(|_| !self.fresh) {
            return found;
        }
        let country = self.partner_country();
        let id = id_of(&self.api(
            "POST",
            "/api/v1/hotline/partners",
            Role::Admin,
            Relation::Own,
            json!({"name": format!("Partner {country}"), "email": format!("reports@{country}.partner.example"), "country": country}),
        ));
        if !self.fresh {
            self.partner = Some(id.clone());
        }
        id
    }

    /// A report referred to A's police (new each time): its id.
    pub fn referred_report(&mut self) -> String {
        let fresh = std::mem::replace(&mut self.fresh, true);
        let id = self.report().id;
        self.fresh = fresh;
        let path = format!("/api/v1/reports/{id}");
        let token = self.token(Role::Analyst, Relation::Own);
        let (status, answer) =
            self.server
                .request("POST", &format!("{path}/claim"), Some(&token), &[], b"");
        assert_eq!(status, 204, "claiming a fixture report: {answer}");
        self.api(
            "POST",
            &format!("{path}/referrals/law-enforcement"),
            Role::Analyst,
            Relation::Own,
            json!({"organisation": ORG_A}),
        );
        id
    }

    /// A user of A (for the admin's user routes), new each time: its id.
    pub fn user_a(&mut self) -> String {
        let email = format!("extra{}@{ORG_A}.example", self.next());
        let store = self.store;
        let made = block(async move {
            let actor = access::audit::Actor::cli("test");
            access::add_user(store, &actor, &email, Role::Analyst, Some(ORG_A), PASSWORD)
                .await
                .expect("add user")
        });
        made.id.to_string()
    }

    /// A token of a platform account of A, new each time: its id.
    pub fn token_a(&mut self) -> String {
        let email = format!("extra{}@{ORG_A}.example", self.next());
        let store = self.store;
        block(async move {
            let actor = access::audit::Actor::cli("test");
            let user =
                access::add_user(store, &actor, &email, Role::Platform, Some(ORG_A), PASSWORD)
                    .await
                    .expect("add user");
            access::create_token(store, &actor, &email, "to revoke")
                .await
                .expect("token");
            api_token::Entity::find()
                .filter(api_token::Column::UserId.eq(user.id))
                .one(store.db())
                .await
                .expect("read")
                .expect("token")
                .id
                .to_string()
        })
    }
}
