//! Self-report cases, their hashes and platforms' feedback.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0004SelfReport;

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
        manager.create_table(selfreport_cases()).await?;
        // Each hash of a case, and the bank signal that carries it (shared when two cases
        // report the same picture; removed when no active case still needs it).
        manager.create_table(selfreport_hashes()).await?;
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
        manager.create_table(selfreport_feedback()).await
    }
}

fn selfreport_cases() -> TableCreateStatement {
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
        .to_owned()
}

fn selfreport_hashes() -> TableCreateStatement {
    Table::create()
        .table("selfreport_hashes")
        .col(big_pk_auto("id"))
        .col(big_integer("case_id"))
        .col(string("signal_type"))
        .col(string("value"))
        .col(integer_null("quality"))
        .col(big_integer("signal_id"))
        .foreign_key(&mut fk("selfreport_hashes", "case_id", "selfreport_cases"))
        .to_owned()
}

fn selfreport_feedback() -> TableCreateStatement {
    Table::create()
        .table("selfreport_feedback")
        .col(big_pk_auto("id"))
        .col(big_integer("signal_id"))
        .col(integer("organisation_id"))
        .col(string("kind"))
        .col(timestamp_with_time_zone("at"))
        .to_owned()
}
