//! Tables of the policy domain (migration m0012).

pub mod assessment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "policy_assessments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        /// ISO 3166-1 alpha-2.
        pub country: String,
        pub template_id: String,
        /// 1, 2, … per organisation and country.
        pub version: i32,
        pub assessed_on: TimeDate,
        /// JSON: item id → answer.
        pub answers: String,
        pub created_by: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod consultation {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "policy_consultations")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        pub country: String,
        /// The reform the consultation was held for.
        pub reform: String,
        pub held_on: TimeDate,
        pub participants: i32,
        /// JSON list of age groups.
        pub age_groups: String,
        pub method: String,
        pub summary: String,
        pub created_by: i32,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod signing_key {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "policy_signing_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        /// Base64 of the 32-byte Ed25519 public key.
        pub public_key: String,
        /// The PKCS#8 private key, field-encrypted (see `store::fields`).
        pub sealed_secret: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "policy_partners")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        pub country: String,
        pub name: String,
        /// Base64 of the partner's 32-byte Ed25519 public key.
        pub public_key: String,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod snapshot {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "policy_snapshots")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organisation_id: i32,
        pub partner_id: i64,
        pub country: String,
        /// `2026-Q3`.
        pub quarter: String,
        pub generated_at: TimeDateTimeWithTimeZone,
        /// The exact bytes the partner signed (JSON).
        pub body: String,
        /// Base64 of the Ed25519 signature over `body`.
        pub signature: String,
        pub received_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
