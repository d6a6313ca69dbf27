//! Care, made trustworthy: a re-upload alert names the signal that matched and the day it was
//! raised, and a case gets at most one alert per signal per day (a lookup repeated a thousand
//! times is one alert, not a thousand mails to the child's case workers); and a referral records
//! when the disclosure consent behind it was withdrawn, which ends what it shows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub(super) struct M0010CareTrust;

impl MigrationName for M0010CareTrust {
    fn name(&self) -> &str {
        "m0010_care_trust"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0010CareTrust {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per statement. Alerts raised before this have neither, and
        // the unique index lets those be (NULLs are distinct).
        manager
            .alter_table(
                Table::alter()
                    .table("care_alerts")
                    .add_column(big_integer_null("signal_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("care_alerts")
                    .add_column(string_null("day"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("care_referrals")
                    .add_column(timestamp_with_time_zone_null("ended_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("care_alerts_once_a_day")
                    .table("care_alerts")
                    .col("case_id")
                    .col("signal_id")
                    .col("day")
                    .unique()
                    .to_owned(),
            )
            .await
    }
}
