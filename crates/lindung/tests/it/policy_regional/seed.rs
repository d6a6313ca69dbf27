//! Rows inserted straight into a store through the entities, as each domain keeps them.

use lindung::access;
use lindung::banks::entities::{BankSharing, bank, content, signal};
use lindung::care::entities::{case, service};
use lindung::care::{CareStage, ServiceStatus};
use lindung::hotline::entities::{referral, report, submission};
use lindung::hotline::{IncidentType, ReportSource, ReportStatus};
use lindung::policy::entities::{assessment, consultation};
use lindung::selfreport::entities::case as selfreport_case;
use lindung::store::Store;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

pub fn at(text: &str) -> OffsetDateTime {
    lindung::helpers::parse_rfc3339(text).expect("time")
}

/// The start of the quarter the figures are for.
pub fn q3() -> OffsetDateTime {
    at("2026-07-01T00:00:00Z")
}

pub fn hours(h: f64) -> Duration {
    Duration::seconds_f64(h * 3600.0)
}

/// Rows inserted straight into a store through the entities.
pub struct Seed<'a> {
    store: &'a Store,
    org: i32,
    user: i32,
    n: usize,
}

impl<'a> Seed<'a> {
    pub async fn new(store: &'a Store, org_name: &str, email: &str) -> Seed<'a> {
        let org = access::find_organisation(store.db(), org_name)
            .await
            .expect("read")
            .expect("organisation");
        let user = access::entities::user::Entity::find()
            .all(store.db())
            .await
            .expect("users")
            .into_iter()
            .find(|u| u.email == email)
            .expect("user")
            .id;
        Seed {
            store,
            org,
            user,
            n: 0,
        }
    }

    fn next(&mut self) -> usize {
        self.n += 1;
        self.n
    }

    /// A report created at `created`, removed `removed` hours later, whose submissions came
    /// from `sources` in order.
    pub async fn report(
        &mut self,
        created: OffsetDateTime,
        removed: Option<f64>,
        sources: &[ReportSource],
    ) -> i64 {
        let row = report::ActiveModel {
            organisation_id: Set(self.org),
            incident_type: Set(IncidentType::Csam),
            annotations: Set("[]".into()),
            incident_time: Set(None),
            immediate_danger: Set(false),
            victim_age: Set(None),
            status: Set(if removed.is_some() {
                ReportStatus::Removed
            } else {
                ReportStatus::New
            }),
            priority: Set(0),
            known_content: Set(false),
            claimed_by: Set(None),
            claimed_at: Set(None),
            care_case_id: Set(None),
            created_at: Set(created),
            updated_at: Set(created),
            removed_at: Set(removed.map(|h| created + hours(h))),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("report");
        for source in sources {
            let n = self.next();
            submission::ActiveModel {
                report_id: Set(row.id),
                reference: Set(format!("HR-{n:012}")),
                pin_hash: Set("unused".into()),
                failed_pins: Set(0),
                locked_until: Set(None),
                source: Set(*source),
                organisation_id: Set(None),
                user_id: Set(None),
                reporter_country: Set(None),
                language: Set(None),
                details: Set("{}".into()),
                idempotency_key: Set(None),
                request_digest: Set(None),
                created_at: Set(created),
                ..Default::default()
            }
            .insert(self.store.db())
            .await
            .expect("submission");
        }
        row.id
    }

    pub async fn referral(&self, report_id: i64, kind: &str, sent: OffsetDateTime) {
        referral::ActiveModel {
            report_id: Set(report_id),
            kind: Set(kind.into()),
            organisation_id: Set(Some(self.org)),
            sent_by: Set(self.user),
            sent_at: Set(sent),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("referral");
    }

    /// A care case created at `created` with services planned `days` after it.
    pub async fn care_case(&mut self, created: OffsetDateTime, services: &[(&str, f64)]) {
        let n = self.next();
        let row = case::ActiveModel {
            organisation_id: Set(self.org),
            reference: Set(format!("C-{n:010}")),
            identity: Set("unused".into()),
            risk_level: Set("low".into()),
            stage: Set(CareStage::Registration),
            source: Set("direct".into()),
            created_by: Set(None),
            created_at: Set(created),
            closed_at: Set(None),
            pending_approval: Set(None),
            closure_reason: Set(None),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("case");
        for (name, days) in services {
            let planned = created + hours(days * 24.0);
            service::ActiveModel {
                case_id: Set(row.id),
                service: Set((*name).into()),
                provider: Set("Provider".into()),
                status: Set(ServiceStatus::Planned),
                planned_at: Set(planned),
                updated_at: Set(planned),
                delivered_at: Set(None),
                outcome: Set(None),
                ..Default::default()
            }
            .insert(self.store.db())
            .await
            .expect("service");
        }
    }

    pub async fn self_report(&mut self, created: OffsetDateTime) {
        let n = self.next();
        selfreport_case::ActiveModel {
            case_number: Set(format!("SR-{n:010}")),
            pin_hash: Set("unused".into()),
            status: Set("received".into()),
            age_range: Set(None),
            contact: Set(None),
            help_requested: Set(false),
            consent_to_contact: Set(false),
            language: Set("en".into()),
            failed_pins: Set(0),
            locked_until: Set(None),
            created_at: Set(created),
            withdrawn_at: Set(None),
            care_case_id: Set(None),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("self-report");
    }

    /// A bank of `sharing` with one content item added at `added`, holding `signals` hashes.
    pub async fn bank(&mut self, sharing: BankSharing, added: OffsetDateTime, signals: usize) {
        let n = self.next();
        let b = bank::ActiveModel {
            organisation_id: Set(self.org),
            name: Set(format!("REGIONAL_{n}")),
            enabled: Set(true),
            pdq_threshold: Set(31),
            created_at: Set(added),
            sharing: Set(sharing),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("bank");
        let c = content::ActiveModel {
            bank_id: Set(b.id),
            note: Set(String::new()),
            category: Set(String::new()),
            tags: Set("[]".into()),
            source: Set("test".into()),
            enabled: Set(true),
            added_by: Set(None),
            added_at: Set(added),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("content");
        for i in 0..signals {
            signal::ActiveModel {
                bank_id: Set(b.id),
                content_id: Set(c.id),
                signal_type: Set("pdq".into()),
                value: Set(format!("{:064x}", n * 1000 + i)),
                quality: Set(Some(100)),
                body: Set(None),
                ..Default::default()
            }
            .insert(self.store.db())
            .await
            .expect("signal");
        }
    }

    pub async fn assessment(&self, country: &str, version: i32, on: &str, answers: Value) {
        assessment::ActiveModel {
            organisation_id: Set(self.org),
            country: Set(country.into()),
            template_id: Set("asean-2026".into()),
            version: Set(version),
            assessed_on: Set(at(&format!("{on}T00:00:00Z")).date()),
            answers: Set(answers.to_string()),
            created_by: Set(self.user),
            created_at: Set(at(&format!("{on}T00:00:00Z"))),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("assessment");
    }

    pub async fn consultation(&self, on: &str) {
        self.consultation_in("TH", on).await;
    }

    /// A consultation of this organisation about `country`'s law, held on `on`.
    pub async fn consultation_in(&self, country: &str, on: &str) {
        consultation::ActiveModel {
            organisation_id: Set(self.org),
            country: Set(country.into()),
            reform: Set("Online safety act".into()),
            held_on: Set(at(&format!("{on}T00:00:00Z")).date()),
            participants: Set(20),
            age_groups: Set("[\"13-17\"]".into()),
            method: Set("workshop".into()),
            summary: Set("Heard".into()),
            created_by: Set(self.user),
            created_at: Set(at(&format!("{on}T00:00:00Z"))),
            ..Default::default()
        }
        .insert(self.store.db())
        .await
        .expect("consultation");
    }
}
