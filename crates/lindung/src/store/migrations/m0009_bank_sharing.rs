//! A bank's sharing scope: `private` (its organisation only) or `platforms` (also every
//! platform account). The system banks, which platforms have always matched against, are
//! shared with platforms.

use sea_orm_migration::prelude::*;

pub(super) struct M0009BankSharing;

impl MigrationName for M0009BankSharing {
    fn name(&self) -> &str {
        "m0009_bank_sharing"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0009BankSharing {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        banks(manager).await
    }
}

async fn banks(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table("banks")
                .add_column(
                    ColumnDef::new("sharing")
                        .text()
                        .not_null()
                        .default("private"),
                )
                .to_owned(),
        )
        .await?;
    let system = Query::select()
        .column("id")
        .from("organisations")
        .and_where(Expr::col("name").eq("system"))
        .to_owned();
    manager
        .exec_stmt(
            Query::update()
                .table("banks")
                .value("sharing", "platforms")
                .and_where(Expr::col("organisation_id").in_subquery(system))
                .to_owned(),
        )
        .await
}
