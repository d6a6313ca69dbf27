//! Accounts' lifecycle: one-time password-reset links. (Disabling uses `users.disabled`, which
//! the first migration made.)

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0007AccountsLifecycle;

impl MigrationName for M0007AccountsLifecycle {
    fn name(&self) -> &str {
        "m0007_accounts_lifecycle"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0007AccountsLifecycle {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(password_resets()).await?;
        manager.create_index(password_resets_by_user()).await
    }
}

/// A reset link's secret is shown once to the admin who asks for it; only its SHA-256 is kept.
/// It works once (`used_at`) and until `expires_at`.
fn password_resets() -> TableCreateStatement {
    Table::create()
        .table("password_resets")
        .col(pk_auto("id"))
        .col(integer("user_id"))
        .col(string("secret_hash").unique_key())
        .col(integer_null("created_by"))
        .col(timestamp_with_time_zone("created_at"))
        .col(timestamp_with_time_zone("expires_at"))
        .col(timestamp_with_time_zone_null("used_at"))
        .foreign_key(&mut fk("password_resets", "user_id", "users"))
        .to_owned()
}

fn password_resets_by_user() -> IndexCreateStatement {
    Index::create()
        .name("idx_password_resets_user")
        .table("password_resets")
        .col("user_id")
        .to_owned()
}
