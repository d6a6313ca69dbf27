//! Organisations, users, tokens, the audit log, banks, content, signals and the change log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{GENESIS_HASH, fk};

pub(super) struct M0001Initial;

// Names are explicit: they are stored in the database and must never change.
impl MigrationName for M0001Initial {
    fn name(&self) -> &str {
        "m0001_initial"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0001Initial {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(organisations()).await?;
        manager.create_table(users()).await?;
        manager.create_table(api_tokens()).await?;
        manager.create_table(audit_log()).await?;
        manager.create_table(banks()).await?;
        manager.create_table(bank_content()).await?;
        manager.create_table(signals()).await?;
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
        manager.create_table(chain_heads()).await?;
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
        manager.create_table(change_log()).await?;
        Ok(())
    }
}

fn organisations() -> TableCreateStatement {
    Table::create()
        .table("organisations")
        .col(pk_auto("id"))
        .col(string_uniq("name"))
        .col(timestamp_with_time_zone("created_at"))
        .to_owned()
}

fn users() -> TableCreateStatement {
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
        .to_owned()
}

fn api_tokens() -> TableCreateStatement {
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
        .to_owned()
}

fn audit_log() -> TableCreateStatement {
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
        .to_owned()
}

fn banks() -> TableCreateStatement {
    Table::create()
        .table("banks")
        .col(pk_auto("id"))
        .col(integer("organisation_id"))
        .col(string_uniq("name"))
        .col(boolean("enabled"))
        .col(integer("pdq_threshold"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk("banks", "organisation_id", "organisations"))
        .to_owned()
}

fn bank_content() -> TableCreateStatement {
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
        .to_owned()
}

fn signals() -> TableCreateStatement {
    Table::create()
        .table("signals")
        .col(big_pk_auto("id"))
        .col(integer("bank_id"))
        .col(big_integer("content_id"))
        .col(string("signal_type"))
        .col(string("value"))
        .col(integer_null("quality"))
        .foreign_key(&mut fk("signals", "content_id", "bank_content"))
        .to_owned()
}

fn chain_heads() -> TableCreateStatement {
    Table::create()
        .table("chain_heads")
        .col(string("name").primary_key())
        .col(big_integer("entries"))
        .col(string("last_hash"))
        .to_owned()
}

fn change_log() -> TableCreateStatement {
    Table::create()
        .table("change_log")
        .col(big_pk_auto("seq"))
        .col(timestamp_with_time_zone("at"))
        .col(string("kind"))
        .col(integer("bank_id"))
        .col(big_integer_null("signal_id"))
        .to_owned()
}
