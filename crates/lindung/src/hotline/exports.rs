//! What leaves the hotline: the law-enforcement case package (canonical JSON with a SHA-256
//! over it, so any change shows), the partner-hotline exchange file and its import, and the
//! NCMEC CyberTipline report XML. Every export is audited.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::entities::{referral, report};
use super::{
    AgeGroup, FileInput, HotlineContext, HotlineError, IncidentType, ReportInput, ReportView,
    Victim, internal, load_view, visible_report,
};
use crate::access::audit::{self, Actor, AuditEvent};
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
    let txn = store.db().begin().await?;
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
    referral::ActiveModel {
        report_id: Set(id),
        kind: Set("law_enforcement".into()),
        organisation_id: Set(Some(org.id)),
        sent_by: Set(principal.user_id),
        sent_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
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
    referral::ActiveModel {
        report_id: Set(id),
        kind: Set("partner".into()),
        organisation_id: Set(None),
        sent_by: Set(principal.user_id),
        sent_at: Set(now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
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

/// NCMEC's report annotations (our `generativeAi` is a file annotation there).
const REPORT_ANNOTATIONS: &[&str] = &[
    "sextortion",
    "csamSolicitation",
    "minorToMinorInteraction",
    "spam",
    "sadisticOnlineExploitation",
    "informational",
];

type XmlResult = std::io::Result<()>;

fn text_element(w: &mut Writer<Vec<u8>>, tag: &str, value: &str) -> XmlResult {
    w.create_element(tag)
        .write_text_content(BytesText::new(value))?;
    Ok(())
}

fn finish(writer: Writer<Vec<u8>>) -> Result<String, HotlineError> {
    String::from_utf8(writer.into_inner()).map_err(internal)
}

fn new_writer() -> Result<Writer<Vec<u8>>, HotlineError> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
        .map_err(internal)?;
    Ok(writer)
}

async fn view_for_export(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    action: &str,
) -> Result<ReportView, HotlineError> {
    let HotlineContext {
        store,
        fields: cipher,
        ..
    } = ctx;
    let (txn, found) = super::open_report(store, actor, principal, id).await?;
    let view = load_view(&txn, cipher, &found).await?;
    audit::commit_with(
        txn,
        actor,
        AuditEvent::new(action, "hotline_report", id.to_string()),
    )
    .await?;
    Ok(view)
}

/// The report as CyberTipline `<report>` XML.
pub async fn cybertip_report(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
) -> Result<String, HotlineError> {
    let HotlineContext {
        store,
        fields: _cipher,
        ..
    } = ctx;
    let view = view_for_export(ctx, actor, principal, id, "hotline.export.cybertip").await?;
    let hotline = organisation::Entity::find()
        .filter(organisation::Column::Id.eq(principal.organisation_id))
        .one(store.db())
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| "Lindung".into());
    let mut writer = new_writer()?;
    let details: Vec<&super::SubmissionDetails> =
        view.submissions.iter().map(|s| &s.details).collect();
    let platform = details.iter().find_map(|d| d.platform.clone());
    let user = details.iter().find_map(|d| d.reported_user.clone());
    let service = details.iter().find_map(|d| d.service.clone());
    let description = details.iter().find_map(|d| d.description.clone());
    let ages: Vec<u8> = details
        .iter()
        .flat_map(|d| d.victims.iter().filter_map(|v| v.estimated_age))
        .collect();
    let incident_time = view
        .incident_time
        .clone()
        .unwrap_or_else(|| view.created_at.clone());
    writer
        .create_element("report")
        .write_inner_content(|w| {
            w.create_element("incidentSummary")
                .write_inner_content(|w| {
                    text_element(w, "incidentType", view.incident_type.ncmec_name())?;
                    if let Some(p) = &platform {
                        text_element(w, "platform", p)?;
                    }
                    if view.immediate_danger {
                        text_element(
                            w,
                            "escalateToHighPriority",
                            "The reporter says a child is in immediate danger.",
                        )?;
                    }
                    let flags: Vec<&str> = REPORT_ANNOTATIONS
                        .iter()
                        .copied()
                        .filter(|a| view.annotations.iter().any(|x| x == a))
                        .collect();
                    if !flags.is_empty() {
                        w.create_element("reportAnnotations")
                            .write_inner_content(|w| {
                                for flag in &flags {
                                    w.create_element(*flag).write_empty()?;
                                }
                                Ok(())
                            })?;
                    }
                    text_element(w, "incidentDateTime", &incident_time)
                })?;
            if !view.urls.is_empty() {
                w.create_element("internetDetails")
                    .write_inner_content(|w| {
                        w.create_element("webPageIncident")
                            .write_inner_content(|w| {
                                for u in &view.urls {
                                    text_element(w, "url", &u.url)?;
                                }
                                Ok(())
                            })?;
                        Ok(())
                    })?;
            }
            w.create_element("reporter").write_inner_content(|w| {
                w.create_element("reportingPerson")
                    .write_inner_content(|w| {
                        text_element(w, "firstName", "Hotline")?;
                        text_element(w, "lastName", &hotline)
                    })?;
                Ok(())
            })?;
            if let Some(user) = &user {
                w.create_element("personOrUserReported")
                    .write_inner_content(|w| {
                        if let Some(id) = user.identifiers.first() {
                            text_element(w, "espIdentifier", id)?;
                        }
                        if let Some(s) = &service {
                            text_element(w, "espService", s)?;
                        }
                        if let Some(s) = &user.screen_name {
                            text_element(w, "screenName", s)?;
                        }
                        if let Some(p) = &user.profile_url {
                            text_element(w, "profileUrl", p)?;
                        }
                        for capture in &user.ip_capture_events {
                            w.create_element("ipCaptureEvent")
                                .write_inner_content(|w| {
                                    text_element(w, "ipAddress", &capture.ip)?;
                                    if let Some(e) = &capture.event {
                                        text_element(w, "eventName", e)?;
                                    }
                                    if let Some(at) = &capture.at {
                                        text_element(w, "dateTime", at)?;
                                    }
                                    Ok(())
                                })?;
                        }
                        Ok(())
                    })?;
            }
            for age in &ages {
                w.create_element("victim").write_inner_content(|w| {
                    w.create_element("victimPerson")
                        .write_inner_content(|w| text_element(w, "age", &age.to_string()))?;
                    Ok(())
                })?;
            }
            let mut info = format!("Lindung report {}", view.id);
            if let Some(d) = &description {
                info.push_str(": ");
                info.push_str(d);
            }
            text_element(w, "additionalInfo", &info)
        })
        .map_err(internal)?;
    finish(writer)
}

/// One file of the report as CyberTipline `<fileDetails>` XML, for NCMEC's report id.
pub async fn cybertip_file(
    ctx: &HotlineContext,
    actor: &Actor,
    principal: &Principal,
    id: i64,
    file_id: i64,
    ncmec_report_id: i64,
) -> Result<String, HotlineError> {
    let HotlineContext {
        store: _,
        fields: _cipher,
        ..
    } = ctx;
    let view = view_for_export(ctx, actor, principal, id, "hotline.export.cybertip").await?;
    let f = view
        .files
        .iter()
        .find(|f| f.id == file_id)
        .ok_or(HotlineError::NotFound)?;
    let classification = view
        .assessments
        .iter()
        .rev()
        .find(|a| a.item_kind == "file" && a.item_id == file_id && a.category.is_some())
        .and_then(|a| a.category.clone())
        .or_else(|| f.known_category.clone());
    let generated = view.annotations.iter().any(|a| a == "generativeAi")
        || view.assessments.iter().any(|a| {
            a.item_kind == "file"
                && a.item_id == file_id
                && a.content_kind == "ai_generated_or_altered"
        });
    let mut writer = new_writer()?;
    writer
        .create_element("fileDetails")
        .write_inner_content(|w| {
            text_element(w, "reportId", &ncmec_report_id.to_string())?;
            text_element(w, "fileId", &format!("lindung-file-{}", f.id))?;
            if generated {
                w.create_element("fileAnnotations")
                    .write_inner_content(|w| {
                        w.create_element("generativeAi").write_empty()?;
                        Ok(())
                    })?;
            }
            if let Some(c) = &classification {
                text_element(w, "industryClassification", c)?;
            }
            for (kind, value) in [("MD5", &f.md5), ("SHA256", &f.sha256)] {
                if let Some(v) = value {
                    w.create_element("originalFileHash")
                        .with_attribute(("hashType", kind))
                        .write_text_content(BytesText::new(v))?;
                }
            }
            if let Some(p) = &f.pdq {
                w.create_element("details").write_inner_content(|w| {
                    w.create_element("nameValuePair")
                        .with_attribute(("type", "HASH"))
                        .write_inner_content(|w| {
                            text_element(w, "name", "PDQ")?;
                            text_element(w, "value", p)
                        })?;
                    Ok(())
                })?;
            }
            Ok(())
        })
        .map_err(internal)?;
    finish(writer)
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
