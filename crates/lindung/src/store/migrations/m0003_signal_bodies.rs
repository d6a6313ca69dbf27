//! A body column for signals too long for the unique index (vPDQ).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0003SignalBodies;

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
