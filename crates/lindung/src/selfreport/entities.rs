//! Tables of the self-report domain.

pub mod case {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "selfreport_cases")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_number: String,
        pub pin_hash: String,
        /// `received`, `active` (a platform has fetched its hashes) or `withdrawn`.
        pub status: String,
        pub age_range: Option<String>,
        /// Field-encrypted (see `store::fields`).
        pub contact: Option<String>,
        pub help_requested: bool,
        pub consent_to_contact: bool,
        pub language: String,
        pub failed_pins: i32,
        pub locked_until: Option<TimeDateTimeWithTimeZone>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub withdrawn_at: Option<TimeDateTimeWithTimeZone>,
        /// The care case opened when the person asked for help.
        pub care_case_id: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod hash {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "selfreport_hashes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub signal_type: String,
        pub value: String,
        pub quality: Option<i32>,
        pub signal_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod feedback {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "selfreport_feedback")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub signal_id: i64,
        pub organisation_id: i32,
        pub kind: String,
        pub at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
