//! Links between hotline reports: a submission that repeats a URL or file of a report no longer
//! open for intake (assessed, notice sent, removed or closed) opens a new report linked to the
//! earlier one, instead of reopening or changing it.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::fk;

pub(super) struct M0011HotlineLinks;

impl MigrationName for M0011HotlineLinks {
    fn name(&self) -> &str {
        "m0011_hotline_links"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0011HotlineLinks {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(hotline_report_links()).await?;
        manager
            .create_index(
                Index::create()
                    .name("hotline_report_links_once")
                    .table("hotline_report_links")
                    .col("report_id")
                    .col("earlier_report_id")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("hotline_report_links_by_earlier")
                    .table("hotline_report_links")
                    .col("earlier_report_id")
                    .to_owned(),
            )
            .await
    }
}

/// `report_id` is the new report, `earlier_report_id` the one it repeats.
fn hotline_report_links() -> TableCreateStatement {
    Table::create()
        .table("hotline_report_links")
        .col(big_pk_auto("id"))
        .col(big_integer("report_id"))
        .col(big_integer("earlier_report_id"))
        .col(timestamp_with_time_zone("created_at"))
        .foreign_key(&mut fk(
            "hotline_report_links",
            "report_id",
            "hotline_reports",
        ))
        .foreign_key(&mut fk(
            "hotline_report_links",
            "earlier_report_id",
            "hotline_reports",
        ))
        .to_owned()
}
