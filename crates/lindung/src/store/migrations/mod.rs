//! Schema migrations, run at start-up. Each migration is frozen once released: later changes
//! are new migrations, never edits to old ones.

use sea_orm_migration::prelude::*;

mod m0001_initial;
mod m0002_sessions;
mod m0003_signal_bodies;
mod m0004_self_report;
mod m0005_care;
mod m0006_hotline;
mod m0007_accounts_lifecycle;
mod m0008_system_banks;
mod m0009_bank_sharing;
mod m0010_care_trust;
mod m0011_hotline_links;
mod m0012_policy;

#[derive(Debug)]
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m0001_initial::M0001Initial),
            Box::new(m0002_sessions::M0002Sessions),
            Box::new(m0003_signal_bodies::M0003SignalBodies),
            Box::new(m0004_self_report::M0004SelfReport),
            Box::new(m0005_care::M0005Care),
            Box::new(m0006_hotline::M0006Hotline),
            Box::new(m0007_accounts_lifecycle::M0007AccountsLifecycle),
            Box::new(m0008_system_banks::M0008SystemBanks),
            Box::new(m0009_bank_sharing::M0009BankSharing),
            Box::new(m0010_care_trust::M0010CareTrust),
            Box::new(m0011_hotline_links::M0011HotlineLinks),
            Box::new(m0012_policy::M0012Policy),
        ]
    }
}

/// The `prev_hash` of the first entry of a chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

pub(crate) fn fk(
    from_table: &'static str,
    column: &'static str,
    to_table: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{column}"))
        .from(from_table, column)
        .to(to_table, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}
