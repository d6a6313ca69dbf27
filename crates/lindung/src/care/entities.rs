//! Tables of the care domain.

pub mod case {
    use sea_orm::entity::prelude::*;

    use crate::care::vocabulary::CareStage;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_cases")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        /// Pseudonymous reference, `C-` and 10 random digits.
        pub reference: String,
        /// The child's identifying details, field-encrypted JSON.
        pub identity: String,
        pub risk_level: String,
        pub stage: CareStage,
        /// `direct` or `self-report`.
        pub source: String,
        pub created_by: Option<i32>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub closed_at: Option<TimeDateTimeWithTimeZone>,
        /// `case_plan` or `closure` while a supervisor's approval is awaited.
        pub pending_approval: Option<CareStage>,
        pub closure_reason: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assignment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_assignments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub user_id: i32,
        pub assigned_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod consent {
    use sea_orm::entity::prelude::*;

    use crate::care::vocabulary::ConsentPurpose;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_consents")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub purpose: ConsentPurpose,
        pub given_by: String,
        pub evidence: String,
        pub recorded_by: Option<i32>,
        pub recorded_at: TimeDateTimeWithTimeZone,
        pub withdrawn_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod referral {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_referrals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub service: String,
        pub from_org: i32,
        pub to_org: i32,
        /// JSON object of the shared fields, as they were when the referral was sent.
        pub shared: String,
        /// `pending`, `accepted` or `rejected`.
        pub status: String,
        pub reason: Option<String>,
        pub sent_by: Option<i32>,
        pub sent_at: TimeDateTimeWithTimeZone,
        pub answered_at: Option<TimeDateTimeWithTimeZone>,
        /// When the disclosure consent behind it was withdrawn: from then on the receiver no
        /// longer sees the case.
        pub ended_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod note {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_notes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub author_id: i32,
        /// Field-encrypted.
        pub body: String,
        pub corrects: Option<i64>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub edited_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod linked_signal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_linked_signals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub signal_id: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod alert {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_alerts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        /// Where the picture reappeared: `api lookup`, `hotline report`.
        pub source: String,
        /// The organisation whose lookup matched.
        pub organisation_id: Option<i32>,
        pub at: TimeDateTimeWithTimeZone,
        pub seen_at: Option<TimeDateTimeWithTimeZone>,
        /// The linked signal that matched.
        pub signal_id: Option<i64>,
        /// The UTC day it was raised (`YYYY-MM-DD`): one alert per case, signal and day.
        pub day: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod service {
    use sea_orm::entity::prelude::*;

    use crate::care::vocabulary::ServiceStatus;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_services")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub service: String,
        pub provider: String,
        pub status: ServiceStatus,
        pub planned_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
        pub delivered_at: Option<TimeDateTimeWithTimeZone>,
        pub outcome: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assessment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "care_assessments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub case_id: i64,
        pub form: String,
        /// Field-encrypted JSON object of answers by question id.
        pub answers: String,
        pub author_id: i32,
        pub at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
