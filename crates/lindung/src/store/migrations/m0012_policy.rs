//! The policy domain: a country's legal-framework self-assessment (dated versions of answers to
//! a checklist template), the consultations with children and young people held for a reform,
//! the organisation's signing key for indicator snapshots, the partners whose snapshots a
//! regional node accepts, and the snapshots it received.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0012Policy;

impl MigrationName for M0012Policy {
    fn name(&self) -> &str {
        "m0012_policy"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0012Policy {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            assessments(),
            consultations(),
            signing_keys(),
            partners(),
            snapshots(),
        ] {
            manager.create_table(table).await?;
        }
        for (name, table, columns) in [
            (
                "policy_assessments_version_once",
                "policy_assessments",
                &["organisation_id", "country", "version"][..],
            ),
            (
                "policy_consultations_by_country",
                "policy_consultations",
                &["organisation_id", "country"][..],
            ),
            (
                "policy_signing_keys_one_per_organisation",
                "policy_signing_keys",
                &["organisation_id"][..],
            ),
            (
                "policy_partners_country_once",
                "policy_partners",
                &["organisation_id", "country"][..],
            ),
            (
                "policy_partners_key_once",
                "policy_partners",
                &["organisation_id", "public_key"][..],
            ),
            (
                "policy_snapshots_quarter_once",
                "policy_snapshots",
                &["organisation_id", "country", "quarter"][..],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(table);
            for column in columns {
                index.col(*column);
            }
            if name != "policy_consultations_by_country" {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }
}

/// One dated version of a country's assessment: `answers` is JSON, item id → answer. A new
/// version is a new row; rows are never changed.
fn assessments() -> TableCreateStatement {
    Table::create()
        .table("policy_assessments")
        .col(big_pk_auto("id"))
        .col(integer("organisation_id"))
        .col(string_len("country", 2))
        .col(string("template_id"))
        .col(integer("version"))
        .col(date("assessed_on"))
        .col(text("answers"))
        .col(integer("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk(
            "policy_assessments",
            "organisation_id",
            "organisations",
        ))
        .to_owned()
}

/// A consultation with children and young people: how many took part, of which age groups
/// (JSON list), how they were heard, and a summary. Aggregates only: no child is named.
fn consultations() -> TableCreateStatement {
    Table::create()
        .table("policy_consultations")
        .col(big_pk_auto("id"))
        .col(integer("organisation_id"))
        .col(string_len("country", 2))
        .col(string("reform"))
        .col(date("held_on"))
        .col(integer("participants"))
        .col(text("age_groups"))
        .col(string("method"))
        .col(text("summary"))
        .col(integer("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk(
            "policy_consultations",
            "organisation_id",
            "organisations",
        ))
        .to_owned()
}

/// The organisation's Ed25519 key for signing snapshots: the public key in the clear, the
/// private key sealed with the field key ring.
fn signing_keys() -> TableCreateStatement {
    Table::create()
        .table("policy_signing_keys")
        .col(big_pk_auto("id"))
        .col(integer("organisation_id"))
        .col(string("public_key"))
        .col(text("sealed_secret"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk(
            "policy_signing_keys",
            "organisation_id",
            "organisations",
        ))
        .to_owned()
}

/// A deployment whose snapshots this organisation accepts, by country and public key (each
/// once per organisation; the key in its one base64 spelling).
fn partners() -> TableCreateStatement {
    Table::create()
        .table("policy_partners")
        .col(big_pk_auto("id"))
        .col(integer("organisation_id"))
        .col(string_len("country", 2))
        .col(string("name"))
        .col(string("public_key"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk(
            "policy_partners",
            "organisation_id",
            "organisations",
        ))
        .to_owned()
}

/// A partner's verified snapshot of one quarter: `body` holds the exact signed bytes.
fn snapshots() -> TableCreateStatement {
    Table::create()
        .table("policy_snapshots")
        .col(big_pk_auto("id"))
        .col(integer("organisation_id"))
        .col(big_integer("partner_id"))
        .col(string_len("country", 2))
        .col(string("quarter"))
        .col(timestamp_with_time_zone("generated_at"))
        .col(text("body"))
        .col(string("signature"))
        .col(timestamp_with_time_zone("received_at"))
        .foreign_key(&mut fk(
            "policy_snapshots",
            "organisation_id",
            "organisations",
        ))
        .foreign_key(&mut fk("policy_snapshots", "partner_id", "policy_partners"))
        .to_owned()
}
