//! Tables of the hotline domain.

pub mod report {
    use sea_orm::entity::prelude::*;

    use crate::hotline::vocabulary::{IncidentType, ReportStatus};

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_reports")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The hotline organisation that handles the report.
        pub organisation_id: i32,
        pub incident_type: IncidentType,
        /// JSON list of annotation names.
        pub annotations: String,
        pub incident_time: Option<TimeDateTimeWithTimeZone>,
        pub immediate_danger: bool,
        /// The youngest estimated victim age given by any reporter.
        pub victim_age: Option<i32>,
        pub status: ReportStatus,
        pub priority: i32,
        /// Every file of the report matched a bank.
        pub known_content: bool,
        pub claimed_by: Option<i32>,
        pub claimed_at: Option<TimeDateTimeWithTimeZone>,
        pub care_case_id: Option<i64>,
        pub created_at: TimeDateTimeWithTimeZone,
        pub updated_at: TimeDateTimeWithTimeZone,
        pub removed_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod submission {
    use sea_orm::entity::prelude::*;

    use crate::hotline::vocabulary::ReportSource;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_submissions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        /// `HR-` and 12 random digits, for the reporter to check the status.
        pub reference: String,
        pub pin_hash: String,
        pub failed_pins: i32,
        pub locked_until: Option<TimeDateTimeWithTimeZone>,
        pub source: ReportSource,
        pub organisation_id: Option<i32>,
        pub user_id: Option<i32>,
        pub reporter_country: Option<String>,
        pub language: Option<String>,
        /// Field-encrypted JSON ([`super::SubmissionDetails`]).
        pub details: String,
        /// `<organisation id>:<key>` for API submissions that sent an idempotency key.
        pub idempotency_key: Option<String>,
        /// SHA-256 of the request body, to refuse a reused key with another body.
        pub request_digest: Option<String>,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod provider {
    use sea_orm::entity::prelude::*;

    /// A hosting provider, where notices go (as the API answers it too).
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "hotline_providers")]
    #[schema(as = HostingProvider)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        /// ISO 3166 alpha-2.
        pub country: Option<String>,
        pub abuse_email: String,
        /// The language notices to this provider are written in.
        pub language: String,
        /// The last change, as the `time` crate serialises it: `[year, day of the year, hour,
        /// minute, second, nanosecond, offset hours, offset minutes, offset seconds]`.
        #[schema(value_type = Vec<i64>)]
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod partner {
    use sea_orm::entity::prelude::*;

    /// A partner hotline, where escalations go (as the API answers it too).
    #[derive(
        Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, utoipa::ToSchema,
    )]
    #[sea_orm(table_name = "hotline_partners")]
    #[schema(as = PartnerHotline)]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The country whose hotline this is (ISO 3166 alpha-2).
        pub country: String,
        pub name: String,
        pub email: String,
        /// The language escalations to this hotline are written in.
        pub language: String,
        /// The last change, as the `time` crate serialises it: `[year, day of the year, hour,
        /// minute, second, nanosecond, offset hours, offset minutes, offset seconds]`.
        #[schema(value_type = Vec<i64>)]
        pub updated_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod url {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_urls")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub url: String,
        pub url_key: String,
        pub host: String,
        /// `online` or `removed`.
        pub status: String,
        pub resolved_ip: Option<String>,
        pub hosting_country: Option<String>,
        pub provider_id: Option<i64>,
        /// How removal was seen: `http_404`, `http_410`, `dns_failure` or `content_changed`.
        pub removal_evidence: Option<String>,
        pub removed_at: Option<TimeDateTimeWithTimeZone>,
        pub last_checked_at: Option<TimeDateTimeWithTimeZone>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod file {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_files")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub pdq: Option<String>,
        pub md5: Option<String>,
        pub sha256: Option<String>,
        /// The bank that already held this file: it was assessed before.
        pub known_bank: Option<String>,
        pub known_category: Option<String>,
        pub has_evidence: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod assessment {
    use sea_orm::entity::prelude::*;

    use crate::hotline::vocabulary::AgeGroup;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_assessments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        /// `file` or `url`.
        pub item_kind: String,
        pub item_id: i64,
        /// `baseline`, `nationally_illegal` or `not_illegal`, from the law table.
        pub legal_status: String,
        pub category: Option<String>,
        pub age_group: AgeGroup,
        pub gender: Option<String>,
        pub content_kind: String,
        /// The country whose law was applied.
        pub country: String,
        pub assessed_by: i32,
        pub assessed_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod notice {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_notices")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub url_id: i64,
        /// `notice` (to the provider) or `escalation` (to the partner hotline).
        pub kind: String,
        pub provider_id: Option<i64>,
        pub recipient: String,
        pub attempt: i32,
        pub sent_at: TimeDateTimeWithTimeZone,
        /// Why sending failed, if it did.
        pub error: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod check {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_checks")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub url_id: i64,
        pub checked_at: TimeDateTimeWithTimeZone,
        pub outcome: String,
        pub http_status: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub at: TimeDateTimeWithTimeZone,
        pub kind: String,
        pub detail: String,
        pub user_id: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A report opened by a submission that repeats a URL or file of an earlier report no longer
/// open for intake.
pub mod link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_report_links")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        pub earlier_report_id: i64,
        pub created_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod ip_range {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_ip_ranges")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub start_key: String,
        pub end_key: String,
        pub country: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod evidence {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_evidence")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub file_id: i64,
        /// The file, field-encrypted.
        pub content: String,
        pub created_at: TimeDateTimeWithTimeZone,
        pub delete_after: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod reviewer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_reviewer_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i32,
        pub blur: bool,
        pub greyscale: bool,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod referral {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "hotline_referrals")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub report_id: i64,
        /// `law_enforcement` or `partner`.
        pub kind: String,
        pub organisation_id: Option<i32>,
        pub sent_by: i32,
        pub sent_at: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod lease {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "job_leases")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The process holding the lease (a random id per process).
        pub holder: String,
        pub until: TimeDateTimeWithTimeZone,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
