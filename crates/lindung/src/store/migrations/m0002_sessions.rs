//! Browser sessions.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0002Sessions;

impl MigrationName for M0002Sessions {
    fn name(&self) -> &str {
        "m0002_sessions"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0002Sessions {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Browser sessions: the cookie holds a random secret; only its SHA-256 is stored.
        manager.create_table(sessions()).await
    }
}

fn sessions() -> TableCreateStatement {
    Table::create()
        .table("sessions")
        .col(string("id_hash").primary_key())
        .col(integer("user_id"))
        .col(string("csrf_token"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("expires_at"))
        .foreign_key(&mut fk("sessions", "user_id", "users"))
        .to_owned()
}
