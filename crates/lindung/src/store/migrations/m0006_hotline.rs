//! Hotline reports, submissions, contacts, URLs, files, assessments, notices, checks and evidence.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0006Hotline;

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
        manager.create_table(hotline_reports()).await?;
        // Each reporter's submission, with its own reference and PIN. The reporter's words and
        // contact details are one field-encrypted document.
        manager.create_table(hotline_submissions()).await?;
        manager.create_table(hotline_providers()).await?;
        manager.create_table(hotline_partners()).await?;
        // A reported URL, where it is hosted, and whether it is still up. `url_key` is the
        // SHA-256 of the normalised URL, the dedupe key (URLs can outgrow a btree entry).
        manager.create_table(hotline_urls()).await?;
        manager
            .create_index(
                Index::create()
                    .name("hotline_urls_by_key")
                    .table("hotline_urls")
                    .col("url_key")
                    .to_owned(),
            )
            .await?;
        manager.create_table(hotline_files()).await?;
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
        manager.create_table(hotline_assessments()).await?;
        manager.create_table(hotline_notices()).await?;
        manager.create_table(hotline_checks()).await?;
        // The report's timeline, for analysts and the law-enforcement package; the details
        // name steps and ids, never content.
        manager.create_table(hotline_events()).await?;
        // IP-to-country ranges the admin loads; addresses as 32 hex digits (IPv4 mapped into
        // IPv6) so that text order is numeric order on both backends.
        manager.create_table(hotline_ip_ranges()).await?;
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
        manager.create_table(hotline_evidence()).await?;
        // Referrals of a report: to a law-enforcement organisation (whose users may then read
        // its package) or to a partner hotline (an export file).
        manager.create_table(hotline_referrals()).await?;
        // Which server process runs the scheduled notices and checks, until when: with several
        // processes on one database, one at a time.
        manager.create_table(job_leases()).await?;
        manager.create_table(hotline_reviewer_settings()).await
    }
}

fn hotline_reports() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_submissions() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_providers() -> TableCreateStatement {
    Table::create()
        .table("hotline_providers")
        .col(big_pk_auto("id"))
        .col(string("name"))
        .col(string_null("country"))
        .col(string("abuse_email"))
        .col(string("language"))
        .col(timestamp_with_time_zone("updated_at"))
        .to_owned()
}

fn hotline_partners() -> TableCreateStatement {
    Table::create()
        .table("hotline_partners")
        .col(big_pk_auto("id"))
        .col(string("country").unique_key())
        .col(string("name"))
        .col(string("email"))
        .col(string("language"))
        .col(timestamp_with_time_zone("updated_at"))
        .to_owned()
}

fn hotline_urls() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_files() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_assessments() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_notices() -> TableCreateStatement {
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
        .to_owned()
}

fn hotline_checks() -> TableCreateStatement {
    Table::create()
        .table("hotline_checks")
        .col(big_pk_auto("id"))
        .col(big_integer("url_id"))
        .col(timestamp_with_time_zone("checked_at"))
        .col(string("outcome"))
        .col(integer_null("http_status"))
        .foreign_key(&mut fk("hotline_checks", "url_id", "hotline_urls"))
        .to_owned()
}

fn hotline_events() -> TableCreateStatement {
    Table::create()
        .table("hotline_events")
        .col(big_pk_auto("id"))
        .col(big_integer("report_id"))
        .col(timestamp_with_time_zone("at"))
        .col(string("kind"))
        .col(text("detail"))
        .col(integer_null("user_id"))
        .foreign_key(&mut fk("hotline_events", "report_id", "hotline_reports"))
        .to_owned()
}

fn hotline_ip_ranges() -> TableCreateStatement {
    Table::create()
        .table("hotline_ip_ranges")
        .col(big_pk_auto("id"))
        .col(string("start_key"))
        .col(string("end_key"))
        .col(string("country"))
        .to_owned()
}

fn hotline_evidence() -> TableCreateStatement {
    Table::create()
        .table("hotline_evidence")
        .col(big_pk_auto("id"))
        .col(big_integer("file_id"))
        .col(text("content"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("delete_after"))
        .foreign_key(&mut fk("hotline_evidence", "file_id", "hotline_files"))
        .to_owned()
}

fn hotline_referrals() -> TableCreateStatement {
    Table::create()
        .table("hotline_referrals")
        .col(big_pk_auto("id"))
        .col(big_integer("report_id"))
        .col(string("kind"))
        .col(integer_null("organisation_id"))
        .col(integer("sent_by"))
        .col(timestamp_with_time_zone("sent_at"))
        .foreign_key(&mut fk("hotline_referrals", "report_id", "hotline_reports"))
        .to_owned()
}

fn job_leases() -> TableCreateStatement {
    Table::create()
        .table("job_leases")
        .col(string("name").primary_key())
        .col(string("holder"))
        .col(timestamp_with_time_zone("until"))
        .to_owned()
}

fn hotline_reviewer_settings() -> TableCreateStatement {
    Table::create()
        .table("hotline_reviewer_settings")
        .col(integer("user_id").primary_key())
        .col(boolean("blur"))
        .col(boolean("greyscale"))
        .foreign_key(&mut fk("hotline_reviewer_settings", "user_id", "users"))
        .to_owned()
}
