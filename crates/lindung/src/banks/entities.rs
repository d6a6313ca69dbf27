//! Tables of the banks domain.

crate::helpers::vocabulary! {
    /// Who besides its organisation sees a bank: matches in it, its content and export, the
    /// HMA routes.
    pub enum BankSharing {
        /// Its organisation only (and admins).
        Private = "private",
        /// Also every platform account of the deployment.
        Platforms = "platforms",
    }
}

pub mod bank {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "banks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i32,
        pub organisation_id: i32,
        #[sea_orm(unique)]
        pub name: String,
        pub enabled: bool,
        pub pdq_threshold: i32,
        pub created_at: TimeDateTimeWithTimeZone,
        pub sharing: super::BankSharing,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod content {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bank_content")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub bank_id: i32,
        pub note: String,
        pub category: String,
        pub tags: String,
        pub source: String,
        pub enabled: bool,
        pub added_by: Option<i32>,
        pub added_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod signal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "signals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub bank_id: i32,
        pub content_id: i64,
        pub signal_type: String,
        /// The signal, or for long signals (vPDQ) the SHA-256 of it, as the dedupe key.
        pub value: String,
        pub quality: Option<i32>,
        /// The signal itself when `value` holds its SHA-256.
        pub body: Option<String>,
    }

    impl Model {
        /// The signal as clients see it.
        pub fn signal(&self) -> &str {
            self.body.as_deref().unwrap_or(&self.value)
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod change {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "change_log")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub at: TimeDateTimeWithTimeZone,
        pub kind: String,
        pub bank_id: i32,
        pub signal_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
