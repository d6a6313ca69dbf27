//! What leaves the hotline: the law-enforcement case package (canonical JSON with a SHA-256
//! over it, so any change shows), the partner-hotline exchange file and its import, and the
//! NCMEC CyberTipline report XML (in `cybertip`). Every export is audited.

mod cybertip;

pub use cybertip::{cybertip_file, cybertip_report};
pub(crate) use cybertip::{file_xml, report_xml};

use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::entities::{referral, report};
use super::{
    AgeGroup, FileInput, HotlineContext, HotlineError, IncidentType, ReportInput, ReportView,
    Victim, internal, load_view, visible_report,
};
use crate::access::audit::{Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::access::{Principal, Role};
use crate::helpers::now;
use crate::store::Store;

/// JSON with object keys sorted and no insignificant whitespace: the form the package digest
/// is computed over. (The package holds strings, integers, booleans and nulls only, so number
/// formatting cannot differ between implementations.)
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub fn sha256_hex(text: &str) -> String {
    crate::helpers::sha256_hex(text.as_bytes())
}

/// The law-enforcement package: the package and the SHA-256 of its canonical JSON.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Package {
    pub package: Value,
    pub sha256: String,
}

fn package_value(
    view: &ReportView,
    hotline: &str,
    generated_by: i32,
) -> Result<Value, HotlineError> {
    let mut report = serde_json::to_value(view).map_err(internal)?;
    // Floats could print differently elsewhere; the package carries whole seconds.
    if let Some(map) = report.as_object_mut() {
        let seconds = view.hours_to_removal.map(|h| (h * 3600.0).round() as i64);
        map.remove("hours_to_removal");
        map.insert("seconds_to_removal".into(), json!(seconds));
    }
    Ok(json!({
        "format": "lindung.le-package/1",
        "hotline": hotline,
        "generated_at": crate::helpers::rfc3339(now()),
        "generated_by": generated_by,
        "report": report,
    }))
}

/// Whether a law-enforcement user's organisation was sent this report.
async fn referred_to(
    db: &impl sea_orm::ConnectionTrait,
    principal: &Principal,
    id: i64,
) -> Result<bool, sea_orm::DbErr> {
    Ok(referral::Entity::find()
        .filter(referral::Column::ReportId.eq(id))
        .filter(referral::Column::Kind.eq("law_enforcement"))
        .filter(referral::Column::OrganisationId.eq(principal.organisation_id))
        .one(db)
        .await?
        .is_some())
}

/// Builds the package for analysts of the report, or for law-enforcement users of an
/// organisation it was referred to. Logged as an export.
pub async fn law_enforcement_package(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<Package, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let txn = store.write().await?;
    let found = if principal.role == Role::LawEnforcement {
        match report::Entity::find_by_id(id).one(&txn).await? {
            Some(found) if referred_to(&txn, principal, id).await? => found,
            Some(_) => return super::refuse(txn, actor, id, HotlineError::Forbidden).await,
            None => return Err(HotlineError::NotFound),
        }
    } else {
        match visible_report(&txn, principal, id).await {
            Ok(found) => found,
            Err(e) => return super::refuse(txn, actor, id, e).await,
        }
    };
    let view = load_view(&txn, cipher, &found).await?;
    let hotline = organisation::Entity::find_by_id(found.organisation_id)
        .one(&txn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let package = package_value(&view, &hotline, principal.user_id)?;
    let sha256 = sha256_hex(&canonical_json(&package));
    super::finish(
        txn,
        actor,
        id,
        "export.law_enforcement",
        format!("package {sha256}"),
        AuditEvent::new(
            "hotline.export.law_enforcement",
            "hotline_report",
            id.to_string(),
        )
        .detail("sha256", sha256.as_str()),
    )
    .await?;
    Ok(Package { package, sha256 })
}

/// Records that report `id` was referred onwards, by whom and to which organisation.
async fn record_referral(
    txn: &sea_orm::DatabaseTransaction,
    id: i64,
    kind: &str,
    organisation_id: Option<i32>,
    principal: &Principal,
) -> Result<(), sea_orm::DbErr> {
    referral::ActiveModel {
        report_id: Set(id),
        kind: Set(kind.to_owned()),
        organisation_id: Set(organisation_id),
        sent_by: Set(principal.user_id),
        sent_at: Set(now()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Refers a report to a law-enforcement organisation, whose users may then read its package.
pub async fn refer_to_law_enforcement(
    store: &Store,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    organisation_name: &str,
) -> Result<(), HotlineError> {
    let (txn, _) = super::open_report(store, actor, principal, id).await?;
    let org = organisation::Entity::find()
        .filter(organisation::Column::Name.eq(organisation_name))
        .one(&txn)
        .await?
        .ok_or_else(|| {
            HotlineError::Invalid(
                "organisation",
                format!("no organisation named {organisation_name:?}"),
            )
        })?;
    record_referral(&txn, id, "law_enforcement", Some(org.id), principal).await?;
    super::finish(
        txn,
        actor,
        id,
        "referral.law_enforcement",
        format!("to {organisation_name}"),
        AuditEvent::new(
            "hotline.report.refer_police",
            "hotline_report",
            id.to_string(),
        )
        .detail("organisation_id", org.id),
    )
    .await?;
    Ok(())
}

/// The partner-hotline exchange file (`docs/hotline.md` documents it). It carries what the
/// receiving hotline needs to act, and nothing about the reporters.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerReport {
    /// `lindung.partner-report/1`.
    pub format: String,
    pub from_hotline: String,
    pub from_country: String,
    pub source_report: String,
    pub incident_type: IncidentType,
    pub incident_time: Option<String>,
    #[serde(default)]
    pub annotations: Vec<String>,
    #[serde(default)]
    pub immediate_danger: bool,
    #[serde(default)]
    pub victim_ages: Vec<u8>,
    #[serde(default)]
    pub urls: Vec<PartnerUrl>,
    #[serde(default)]
    pub files: Vec<PartnerFile>,
    #[serde(default)]
    pub assessments: Vec<PartnerAssessment>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerUrl {
    pub url: String,
    pub hosting_country: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerFile {
    pub pdq: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartnerAssessment {
    pub item: String,
    pub legal_status: String,
    pub category: Option<String>,
    pub age_group: AgeGroup,
    pub content_kind: String,
    pub country: String,
}

pub const PARTNER_FORMAT: &str = "lindung.partner-report/1";

/// Exports a report for the partner hotline of the hosting country.
pub async fn partner_export(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<PartnerReport, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        config,
        ..
    } = ctx;
    let (txn, found) = super::open_report(store, actor, principal, id).await?;
    let view = load_view(&txn, cipher, &found).await?;
    let hotline = organisation::Entity::find_by_id(found.organisation_id)
        .one(&txn)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let victim_ages = view
        .submissions
        .iter()
        .flat_map(|s| s.details.victims.iter().filter_map(|v| v.estimated_age))
        .collect();
    let export = PartnerReport {
        format: PARTNER_FORMAT.into(),
        from_hotline: hotline,
        from_country: config.country.clone(),
        source_report: view.id.clone(),
        incident_type: view.incident_type,
        incident_time: view.incident_time.clone(),
        annotations: view.annotations.clone(),
        immediate_danger: view.immediate_danger,
        victim_ages,
        urls: view
            .urls
            .iter()
            .map(|u| PartnerUrl {
                url: u.url.clone(),
                hosting_country: u.hosting_country.clone(),
            })
            .collect(),
        files: view
            .files
            .iter()
            .map(|f| PartnerFile {
                pdq: f.pdq.clone(),
                md5: f.md5.clone(),
                sha256: f.sha256.clone(),
            })
            .collect(),
        assessments: view
            .assessments
            .iter()
            .map(|a| PartnerAssessment {
                item: match a.item_kind.as_str() {
                    "url" => view
                        .urls
                        .iter()
                        .find(|u| u.id == a.item_id)
                        .map(|u| u.url.clone()),
                    _ => view
                        .files
                        .iter()
                        .find(|f| f.id == a.item_id)
                        .and_then(|f| f.md5.clone().or(f.sha256.clone()).or(f.pdq.clone())),
                }
                .unwrap_or_default(),
                legal_status: a.legal_status.clone(),
                category: a.category.clone(),
                age_group: a.age_group,
                content_kind: a.content_kind.clone(),
                country: a.country.clone(),
            })
            .collect(),
    };
    record_referral(&txn, id, "partner", None, principal).await?;
    super::finish(
        txn,
        actor,
        id,
        "export.partner",
        "partner hotline file",
        AuditEvent::new("hotline.export.partner", "hotline_report", id.to_string()),
    )
    .await?;
    Ok(export)
}

/// The report input a partner's file stands for.
pub fn partner_input(file: &PartnerReport) -> Result<ReportInput, HotlineError> {
    if file.format != PARTNER_FORMAT {
        return Err(HotlineError::Invalid(
            "format",
            format!("expected format {PARTNER_FORMAT:?}, got {:?}", file.format),
        ));
    }
    Ok(ReportInput {
        incident_time: file.incident_time.clone(),
        annotations: file.annotations.clone(),
        immediate_danger: file.immediate_danger,
        urls: file.urls.iter().map(|u| u.url.clone()).collect(),
        files: file
            .files
            .iter()
            .map(|f| FileInput {
                pdq: f.pdq.clone(),
                md5: f.md5.clone(),
                sha256: f.sha256.clone(),
                content_base64: None,
            })
            .collect(),
        victims: file
            .victim_ages
            .iter()
            .map(|a| Victim {
                estimated_age: Some(*a),
            })
            .collect(),
        description: Some(format!(
            "Referred by partner hotline {} ({}), their report {}",
            file.from_hotline, file.from_country, file.source_report
        )),
        reporter_country: Some(file.from_country.clone()),
        ..ReportInput::of_type(file.incident_type)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let value = json!({"b": 1, "a": {"z": [true, null, "x\"y"], "c": "ไทย"}});
        assert_eq!(
            canonical_json(&value),
            r#"{"a":{"c":"ไทย","z":[true,null,"x\"y"]},"b":1}"#
        );
    }
}
