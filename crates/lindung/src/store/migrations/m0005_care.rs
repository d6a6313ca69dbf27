//! Care cases, consent, referrals, notes, services, assessments and alerts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0005Care;

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
        manager.create_table(care_cases()).await?;
        manager.create_table(care_assignments()).await?;
        manager.create_table(care_consents()).await?;
        // A referral shares a chosen subset of the case with another organisation.
        manager.create_table(care_referrals()).await?;
        // Notes are signed by their author and encrypted; a note can be edited for 24 hours,
        // after which a correction is a new note that names the one it corrects.
        manager.create_table(care_notes()).await?;
        // Services planned for a case, from the core package, and how each went.
        manager.create_table(care_services()).await?;
        // Answers to assessment forms (field-encrypted JSON); the forms are a data file.
        manager.create_table(care_assessments()).await?;
        // Bank signals that carry the child's pictures, so that a match on them alerts the
        // case's workers; and those alerts.
        manager.create_table(care_linked_signals()).await?;
        manager
            .create_index(
                Index::create()
                    .name("care_linked_signals_by_signal")
                    .table("care_linked_signals")
                    .col("signal_id")
                    .to_owned(),
            )
            .await?;
        manager.create_table(care_alerts()).await
    }
}

fn care_cases() -> TableCreateStatement {
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
        .to_owned()
}

fn care_assignments() -> TableCreateStatement {
    Table::create()
        .table("care_assignments")
        .col(big_pk_auto("id"))
        .col(big_integer("case_id"))
        .col(integer("user_id"))
        .col(timestamp_with_time_zone("assigned_at"))
        .foreign_key(&mut fk("care_assignments", "case_id", "care_cases"))
        .foreign_key(&mut fk("care_assignments", "user_id", "users"))
        .to_owned()
}

fn care_consents() -> TableCreateStatement {
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
        .to_owned()
}

fn care_referrals() -> TableCreateStatement {
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
        .to_owned()
}

fn care_notes() -> TableCreateStatement {
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
        .to_owned()
}

fn care_services() -> TableCreateStatement {
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
        .to_owned()
}

fn care_assessments() -> TableCreateStatement {
    Table::create()
        .table("care_assessments")
        .col(big_pk_auto("id"))
        .col(big_integer("case_id"))
        .col(string("form"))
        .col(text("answers"))
        .col(integer("author_id"))
        .col(timestamp_with_time_zone("at"))
        .foreign_key(&mut fk("care_assessments", "case_id", "care_cases"))
        .to_owned()
}

fn care_linked_signals() -> TableCreateStatement {
    Table::create()
        .table("care_linked_signals")
        .col(big_pk_auto("id"))
        .col(big_integer("case_id"))
        .col(big_integer("signal_id"))
        .foreign_key(&mut fk("care_linked_signals", "case_id", "care_cases"))
        .to_owned()
}

fn care_alerts() -> TableCreateStatement {
    Table::create()
        .table("care_alerts")
        .col(big_pk_auto("id"))
        .col(big_integer("case_id"))
        .col(string("source"))
        .col(integer_null("organisation_id"))
        .col(timestamp_with_time_zone("at"))
        .col(timestamp_with_time_zone_null("seen_at"))
        .foreign_key(&mut fk("care_alerts", "case_id", "care_cases"))
        .to_owned()
}
