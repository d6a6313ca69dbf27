//! Schema migrations, run at start-up. Each migration is frozen once released: later changes
//! are new migrations, never edits to old ones.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(M0001Initial),
            Box::new(M0002Sessions),
            Box::new(M0003SignalBodies),
            Box::new(M0004SelfReport),
            Box::new(M0005Care),
            Box::new(M0006Hotline),
        ]
    }
}

/// The `prev_hash` of the first entry of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

struct M0001Initial;

// Names are explicit: they are stored in the database and must never change.
impl MigrationName for M0001Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

fn fk(
    from_table: &'static str,
    column: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{column}"))
        .from(from_table, column)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0001Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("organisations")
                    .col(pk_auto("id"))
                    .col(string_uniq("name"))
                    .col(timestamp_with_time_zone("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("users")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string_uniq("email"))
                    .col(string_null("password_hash"))
                    .col(string("role"))
                    .col(string_null("language"))
                    .col(boolean("disabled"))
                    .col(integer("failed_logins"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("users", "organisation_id", "organisations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(pk_auto("id"))
                    .col(integer("user_id"))
                    .col(string("name"))
                    .col(string_uniq("token_hash"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("last_used_at"))
                    .col(timestamp_with_time_zone_null("revoked_at"))
                    .foreign_key(&mut fk("api_tokens", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(integer_null("actor_user_id"))
                    .col(string("actor"))
                    .col(string("action"))
                    .col(string("record_type"))
                    .col(string_null("record_id"))
                    .col(string_null("source"))
                    .col(text("details"))
                    .col(string("prev_hash"))
                    .col(string("entry_hash"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("banks")
                    .col(pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string_uniq("name"))
                    .col(boolean("enabled"))
                    .col(integer("pdq_threshold"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk("banks", "organisation_id", "organisations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("bank_content")
                    .col(big_pk_auto("id"))
                    .col(integer("bank_id"))
                    .col(text("note"))
                    .col(string("category"))
                    .col(string("tags"))
                    .col(string("source"))
                    .col(boolean("enabled"))
                    .col(integer_null("added_by"))
                    .col(timestamp_with_time_zone("added_at"))
                    .foreign_key(&mut fk("bank_content", "bank_id", "banks"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("signals")
                    .col(big_pk_auto("id"))
                    .col(integer("bank_id"))
                    .col(big_integer("content_id"))
                    .col(string("signal_type"))
                    .col(string("value"))
                    .col(integer_null("quality"))
                    .foreign_key(&mut fk("signals", "content_id", "bank_content"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("signals_unique_per_bank")
                    .table("signals")
                    .col("bank_id")
                    .col("signal_type")
                    .col("value")
                    .unique()
                    .to_owned(),
            )
            .await?;
        // One row per append-only chain (the audit log, the change log). Writers update their
        // row first in each transaction, which serialises them on both backends, so ids are
        // committed in order and each entry can safely read the previous one.
        manager
            .create_table(
                Table::create()
                    .table("chain_heads")
                    .col(string("name").primary_key())
                    .col(big_integer("entries"))
                    .col(string("last_hash"))
                    .to_owned(),
            )
            .await?;
        for chain in ["audit", "changes"] {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table("chain_heads")
                        .columns(["name", "entries", "last_hash"])
                        .values_panic([chain.into(), 0i64.into(), GENESIS_HASH.into()])
                        .to_owned(),
                )
                .await?;
        }
        // Every change to matchable signals, in commit order, so each server process can follow
        // it and update its in-memory index without a rebuild.
        manager
            .create_table(
                Table::create()
                    .table("change_log")
                    .col(big_pk_auto("seq"))
                    .col(timestamp_with_time_zone("at"))
                    .col(string("kind"))
                    .col(integer("bank_id"))
                    .col(big_integer_null("signal_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}

struct M0002Sessions;

impl MigrationName for M0002Sessions {
    fn name(&self) -> &str {
        "m0002_sessions"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0002Sessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Browser sessions: the cookie holds a random secret; only its SHA-256 is stored.
        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string("id_hash").primary_key())
                    .col(integer("user_id"))
                    .col(string("csrf_token"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("expires_at"))
                    .foreign_key(&mut fk("sessions", "user_id", "users"))
                    .to_owned(),
            )
            .await
    }
}

struct M0003SignalBodies;

impl MigrationName for M0003SignalBodies {
    fn name(&self) -> &str {
        "m0003_signal_bodies"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0003SignalBodies {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A vPDQ signal lists every sampled frame (about 75 bytes a second of video), too long
        // for the unique index on `value` (PostgreSQL refuses index entries over ~2.7 kB). Such
        // signals keep their SHA-256 in `value`, which stays the key, and the signal in `body`.
        manager
            .alter_table(
                Table::alter()
                    .table("signals")
                    .add_column(text_null("body"))
                    .to_owned(),
            )
            .await
    }
}

struct M0004SelfReport;

impl MigrationName for M0004SelfReport {
    fn name(&self) -> &str {
        "m0004_self_report"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0004SelfReport {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A self-report: hashes made on the person's device, reachable with its case number and
        // a PIN (stored as argon2). The contact, if given, is encrypted at the field level.
        manager
            .create_table(
                Table::create()
                    .table("selfreport_cases")
                    .col(big_pk_auto("id"))
                    .col(string("case_number").unique_key())
                    .col(string("pin_hash"))
                    .col(string("status"))
                    .col(string_null("age_range"))
                    .col(text_null("contact"))
                    .col(boolean("help_requested"))
                    .col(boolean("consent_to_contact"))
                    .col(string("language"))
                    .col(integer("failed_pins"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    .col(big_integer_null("care_case_id"))
                    .to_owned(),
            )
            .await?;
        // Each hash of a case, and the bank signal that carries it (shared when two cases
        // report the same picture; removed when no active case still needs it).
        manager
            .create_table(
                Table::create()
                    .table("selfreport_hashes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("signal_type"))
                    .col(string("value"))
                    .col(integer_null("quality"))
                    .col(big_integer("signal_id"))
                    .foreign_key(&mut fk("selfreport_hashes", "case_id", "selfreport_cases"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("selfreport_hashes_by_signal")
                    .table("selfreport_hashes")
                    .col("signal_id")
                    .to_owned(),
            )
            .await?;
        // Platforms' feedback per hash: matched, blocked or not_blocked.
        manager
            .create_table(
                Table::create()
                    .table("selfreport_feedback")
                    .col(big_pk_auto("id"))
                    .col(big_integer("signal_id"))
                    .col(integer("organisation_id"))
                    .col(string("kind"))
                    .col(timestamp_with_time_zone("at"))
                    .to_owned(),
            )
            .await
    }
}

struct M0005Care;

impl MigrationName for M0005Care {
    fn name(&self) -> &str {
        "m0005_care"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0005Care {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A child's case. Identifying details are one field-encrypted JSON document; what is in
        // clear (risk, stage, dates) identifies no one.
        manager
            .create_table(
                Table::create()
                    .table("care_cases")
                    .col(big_pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("reference").unique_key())
                    .col(text("identity"))
                    .col(string("risk_level"))
                    .col(string("stage"))
                    .col(string("source"))
                    .col(integer_null("created_by"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("closed_at"))
                    .col(string_null("pending_approval"))
                    .col(string_null("closure_reason"))
                    .foreign_key(&mut fk("care_cases", "organisation_id", "organisations"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("care_assignments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(integer("user_id"))
                    .col(timestamp_with_time_zone("assigned_at"))
                    .foreign_key(&mut fk("care_assignments", "case_id", "care_cases"))
                    .foreign_key(&mut fk("care_assignments", "user_id", "users"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("care_consents")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("purpose"))
                    .col(string("given_by"))
                    .col(string("evidence"))
                    .col(integer_null("recorded_by"))
                    .col(timestamp_with_time_zone("recorded_at"))
                    .col(timestamp_with_time_zone_null("withdrawn_at"))
                    .foreign_key(&mut fk("care_consents", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        // A referral shares a chosen subset of the case with another organisation.
        manager
            .create_table(
                Table::create()
                    .table("care_referrals")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("service"))
                    .col(integer("from_org"))
                    .col(integer("to_org"))
                    .col(text("shared"))
                    .col(string("status"))
                    .col(string_null("reason"))
                    .col(integer_null("sent_by"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .col(timestamp_with_time_zone_null("answered_at"))
                    .foreign_key(&mut fk("care_referrals", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        // Notes are signed by their author and encrypted; a note can be edited for 24 hours,
        // after which a correction is a new note that names the one it corrects.
        manager
            .create_table(
                Table::create()
                    .table("care_notes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(integer("author_id"))
                    .col(text("body"))
                    .col(big_integer_null("corrects"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone_null("edited_at"))
                    .foreign_key(&mut fk("care_notes", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        // Services planned for a case, from the core package, and how each went.
        manager
            .create_table(
                Table::create()
                    .table("care_services")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("service"))
                    .col(string("provider"))
                    .col(string("status"))
                    .col(timestamp_with_time_zone("planned_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("delivered_at"))
                    .col(text_null("outcome"))
                    .foreign_key(&mut fk("care_services", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        // Answers to assessment forms (field-encrypted JSON); the forms are a data file.
        manager
            .create_table(
                Table::create()
                    .table("care_assessments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("form"))
                    .col(text("answers"))
                    .col(integer("author_id"))
                    .col(timestamp_with_time_zone("at"))
                    .foreign_key(&mut fk("care_assessments", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        // Bank signals that carry the child's pictures, so that a match on them alerts the
        // case's workers; and those alerts.
        manager
            .create_table(
                Table::create()
                    .table("care_linked_signals")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(big_integer("signal_id"))
                    .foreign_key(&mut fk("care_linked_signals", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("care_linked_signals_by_signal")
                    .table("care_linked_signals")
                    .col("signal_id")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("care_alerts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("case_id"))
                    .col(string("source"))
                    .col(integer_null("organisation_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(timestamp_with_time_zone_null("seen_at"))
                    .foreign_key(&mut fk("care_alerts", "case_id", "care_cases"))
                    .to_owned(),
            )
            .await
    }
}

struct M0006Hotline;

impl MigrationName for M0006Hotline {
    fn name(&self) -> &str {
        "m0006_hotline"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0006Hotline {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // A report is one case of work: every submission about the same URL or file joins it.
        // What is in clear (type, flags, priority, dates) identifies no one.
        manager
            .create_table(
                Table::create()
                    .table("hotline_reports")
                    .col(big_pk_auto("id"))
                    .col(integer("organisation_id"))
                    .col(string("incident_type"))
                    .col(text("annotations"))
                    .col(timestamp_with_time_zone_null("incident_time"))
                    .col(boolean("immediate_danger"))
                    .col(integer_null("victim_age"))
                    .col(string("status"))
                    .col(integer("priority"))
                    .col(boolean("known_content"))
                    .col(integer_null("claimed_by"))
                    .col(timestamp_with_time_zone_null("claimed_at"))
                    .col(big_integer_null("care_case_id"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .foreign_key(&mut fk(
                        "hotline_reports",
                        "organisation_id",
                        "organisations",
                    ))
                    .to_owned(),
            )
            .await?;
        // Each reporter's submission, with its own reference and PIN. The reporter's words and
        // contact details are one field-encrypted document.
        manager
            .create_table(
                Table::create()
                    .table("hotline_submissions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(string("reference").unique_key())
                    .col(string("pin_hash"))
                    .col(integer("failed_pins"))
                    .col(timestamp_with_time_zone_null("locked_until"))
                    .col(string("source"))
                    .col(integer_null("organisation_id"))
                    .col(integer_null("user_id"))
                    .col(string_null("reporter_country"))
                    .col(string_null("language"))
                    .col(text("details"))
                    .col(string_null("idempotency_key").unique_key())
                    .col(string_null("request_digest"))
                    .col(timestamp_with_time_zone("created_at"))
                    .foreign_key(&mut fk(
                        "hotline_submissions",
                        "report_id",
                        "hotline_reports",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_providers")
                    .col(big_pk_auto("id"))
                    .col(string("name"))
                    .col(string_null("country"))
                    .col(string("abuse_email"))
                    .col(string("language"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_partners")
                    .col(big_pk_auto("id"))
                    .col(string("country").unique_key())
                    .col(string("name"))
                    .col(string("email"))
                    .col(string("language"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .to_owned(),
            )
            .await?;
        // A reported URL, where it is hosted, and whether it is still up. `url_key` is the
        // SHA-256 of the normalised URL, the dedupe key (URLs can outgrow a btree entry).
        manager
            .create_table(
                Table::create()
                    .table("hotline_urls")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(text("url"))
                    .col(string("url_key"))
                    .col(string("host"))
                    .col(string("status"))
                    .col(string_null("resolved_ip"))
                    .col(string_null("hosting_country"))
                    .col(big_integer_null("provider_id"))
                    .col(string_null("removal_evidence"))
                    .col(timestamp_with_time_zone_null("removed_at"))
                    .col(timestamp_with_time_zone_null("last_checked_at"))
                    .foreign_key(&mut fk("hotline_urls", "report_id", "hotline_reports"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("hotline_urls_by_key")
                    .table("hotline_urls")
                    .col("url_key")
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_files")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(string_null("pdq"))
                    .col(string_null("md5"))
                    .col(string_null("sha256"))
                    .col(string_null("known_bank"))
                    .col(string_null("known_category"))
                    .col(boolean("has_evidence"))
                    .foreign_key(&mut fk("hotline_files", "report_id", "hotline_reports"))
                    .to_owned(),
            )
            .await?;
        for column in ["pdq", "md5", "sha256"] {
            manager
                .create_index(
                    Index::create()
                        .name(format!("hotline_files_by_{column}"))
                        .table("hotline_files")
                        .col(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("hotline_assessments")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(string("item_kind"))
                    .col(big_integer("item_id"))
                    .col(string("legal_status"))
                    .col(string_null("category"))
                    .col(string("age_group"))
                    .col(string_null("gender"))
                    .col(string("content_kind"))
                    .col(string("country"))
                    .col(integer("assessed_by"))
                    .col(timestamp_with_time_zone("assessed_at"))
                    .foreign_key(&mut fk(
                        "hotline_assessments",
                        "report_id",
                        "hotline_reports",
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_notices")
                    .col(big_pk_auto("id"))
                    .col(big_integer("url_id"))
                    .col(string("kind"))
                    .col(big_integer_null("provider_id"))
                    .col(string("recipient"))
                    .col(integer("attempt"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .col(text_null("error"))
                    .foreign_key(&mut fk("hotline_notices", "url_id", "hotline_urls"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_checks")
                    .col(big_pk_auto("id"))
                    .col(big_integer("url_id"))
                    .col(timestamp_with_time_zone("checked_at"))
                    .col(string("outcome"))
                    .col(integer_null("http_status"))
                    .foreign_key(&mut fk("hotline_checks", "url_id", "hotline_urls"))
                    .to_owned(),
            )
            .await?;
        // The report's timeline, for analysts and the law-enforcement package; the details
        // name steps and ids, never content.
        manager
            .create_table(
                Table::create()
                    .table("hotline_events")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(timestamp_with_time_zone("at"))
                    .col(string("kind"))
                    .col(text("detail"))
                    .col(integer_null("user_id"))
                    .foreign_key(&mut fk("hotline_events", "report_id", "hotline_reports"))
                    .to_owned(),
            )
            .await?;
        // IP-to-country ranges the admin loads; addresses as 32 hex digits (IPv4 mapped into
        // IPv6) so that text order is numeric order on both backends.
        manager
            .create_table(
                Table::create()
                    .table("hotline_ip_ranges")
                    .col(big_pk_auto("id"))
                    .col(string("start_key"))
                    .col(string("end_key"))
                    .col(string("country"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("hotline_ip_ranges_by_start")
                    .table("hotline_ip_ranges")
                    .col("start_key")
                    .to_owned(),
            )
            .await?;
        // Uploaded evidence, where the hotline's policy accepts it: encrypted, deleted after
        // the retention period.
        manager
            .create_table(
                Table::create()
                    .table("hotline_evidence")
                    .col(big_pk_auto("id"))
                    .col(big_integer("file_id"))
                    .col(text("content"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("delete_after"))
                    .foreign_key(&mut fk("hotline_evidence", "file_id", "hotline_files"))
                    .to_owned(),
            )
            .await?;
        // Referrals of a report: to a law-enforcement organisation (whose users may then read
        // its package) or to a partner hotline (an export file).
        manager
            .create_table(
                Table::create()
                    .table("hotline_referrals")
                    .col(big_pk_auto("id"))
                    .col(big_integer("report_id"))
                    .col(string("kind"))
                    .col(integer_null("organisation_id"))
                    .col(integer("sent_by"))
                    .col(timestamp_with_time_zone("sent_at"))
                    .foreign_key(&mut fk("hotline_referrals", "report_id", "hotline_reports"))
                    .to_owned(),
            )
            .await?;
        // Which server process runs the scheduled notices and checks, until when: with several
        // processes on one database, one at a time.
        manager
            .create_table(
                Table::create()
                    .table("job_leases")
                    .col(string("name").primary_key())
                    .col(string("holder"))
                    .col(timestamp_with_time_zone("until"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("hotline_reviewer_settings")
                    .col(integer("user_id").primary_key())
                    .col(boolean("blur"))
                    .col(boolean("greyscale"))
                    .foreign_key(&mut fk("hotline_reviewer_settings", "user_id", "users"))
                    .to_owned(),
            )
            .await
    }
}
