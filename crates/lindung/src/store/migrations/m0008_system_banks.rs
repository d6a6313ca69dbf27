//! The system organisation, which owns the banks the deployment keeps itself (`SELF_REPORT`,
//! `CARE_HASHES`); they move to it from the organisation they were made in.

use sea_orm_migration::prelude::*;

pub(super) struct M0008SystemBanks;

impl MigrationName for M0008SystemBanks {
    fn name(&self) -> &str {
        "m0008_system_banks"
    }
}

/// Frozen with this migration: later renames are new migrations.
const SYSTEM: &str = "system";
const SYSTEM_BANKS: [&str; 2] = ["SELF_REPORT", "CARE_HASHES"];

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0008SystemBanks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        organisations(manager).await?;
        banks(manager).await
    }
}

/// The system organisation, unless it exists.
async fn organisations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let now = time::OffsetDateTime::now_utc();
    let now = now.replace_nanosecond(0).unwrap_or(now);
    manager
        .exec_stmt(
            Query::insert()
                .into_table("organisations")
                .columns(["name", "created_at"])
                .values_panic([SYSTEM.into(), now.into()])
                .on_conflict(OnConflict::column("name").do_nothing().to_owned())
                .to_owned(),
        )
        .await
}

/// The system banks, owned by the system organisation.
async fn banks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let system = Query::select()
        .column("id")
        .from("organisations")
        .and_where(Expr::col("name").eq(SYSTEM))
        .to_owned();
    manager
        .exec_stmt(
            Query::update()
                .table("banks")
                .value(
                    "organisation_id",
                    SimpleExpr::SubQuery(None, Box::new(system.into_sub_query_statement())),
                )
                .and_where(Expr::col("name").is_in(SYSTEM_BANKS))
                .to_owned(),
        )
        .await
}
