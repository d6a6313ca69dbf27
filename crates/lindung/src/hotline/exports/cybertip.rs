//! The NCMEC CyberTipline report XML, and a report's file as the CyberTipline takes it.

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::access::Principal;
use crate::access::audit::{self, Actor, AuditEvent};
use crate::access::entities::organisation;
use crate::hotline::{HotlineContext, HotlineError, ReportView, internal, load_view};

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
        .write_text_content(BytesText::new(&xml_text(value)))?;
    Ok(())
}

/// Whether XML 1.0 allows `c` in a document at all (its `Char` production): escaping cannot
/// carry the other control characters, and NCMEC's parser refuses a document that holds one.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

/// Text as an XML 1.0 document may hold it: a reporter's words can carry any character JSON
/// can (`\u0000`, say); those XML cannot are replaced by U+FFFD, the replacement character.
fn xml_text(value: &str) -> std::borrow::Cow<'_, str> {
    if value.chars().all(is_xml_char) {
        value.into()
    } else {
        value
            .chars()
            .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
            .collect::<String>()
            .into()
    }
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
    let (txn, found) = crate::hotline::open_report(store, actor, principal, id).await?;
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
    let view = view_for_export(ctx, actor, principal, id, "hotline.export.cybertip").await?;
    let hotline = organisation::Entity::find()
        .filter(organisation::Column::Id.eq(principal.organisation_id))
        .one(ctx.store.db())
        .await?
        .map(|o| o.name)
        .unwrap_or_else(|| "Lindung".into());
    report_xml(&view, &hotline)
}

/// The `<report>` document of a loaded report, filed by `hotline` (no store, no audit: the
/// caller loaded and audited the view).
#[doc(hidden)]
pub(crate) fn report_xml(view: &ReportView, hotline: &str) -> Result<String, HotlineError> {
    let details: Vec<&crate::hotline::SubmissionDetails> =
        view.submissions.iter().map(|s| &s.details).collect();
    let platform = details.iter().find_map(|d| d.platform.clone());
    let user = details.iter().find_map(|d| d.reported_user.clone());
    let service = details.iter().find_map(|d| d.service.clone());
    let description = details.iter().find_map(|d| d.description.clone());
    let ages: Vec<u8> = details
        .iter()
        .flat_map(|d| d.victims.iter().filter_map(|v| v.estimated_age))
        .collect();
    let mut writer = new_writer()?;
    writer
        .create_element("report")
        .write_inner_content(|w| {
            write_summary(w, view, platform.as_deref())?;
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
                        text_element(w, "lastName", hotline)
                    })?;
                Ok(())
            })?;
            if let Some(user) = &user {
                write_reported_user(w, user, service.as_deref())?;
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

/// `incidentSummary`: the type, platform, escalation, annotations and time.
fn write_summary(w: &mut Writer<Vec<u8>>, view: &ReportView, platform: Option<&str>) -> XmlResult {
    let incident_time = view
        .incident_time
        .clone()
        .unwrap_or_else(|| view.created_at.clone());
    w.create_element("incidentSummary")
        .write_inner_content(|w| {
            text_element(w, "incidentType", view.incident_type.ncmec_name())?;
            if let Some(p) = platform {
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
    Ok(())
}

/// `personOrUserReported`: the platform's identifiers of the user and their IP captures.
fn write_reported_user(
    w: &mut Writer<Vec<u8>>,
    user: &crate::hotline::ReportedUser,
    service: Option<&str>,
) -> XmlResult {
    w.create_element("personOrUserReported")
        .write_inner_content(|w| {
            if let Some(id) = user.identifiers.first() {
                text_element(w, "espIdentifier", id)?;
            }
            if let Some(s) = service {
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
    Ok(())
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
    file_xml(&view, file_id, ncmec_report_id)
}

/// The `<fileDetails>` document of one file of a loaded report (no store, no audit).
#[doc(hidden)]
pub(crate) fn file_xml(
    view: &ReportView,
    file_id: i64,
    ncmec_report_id: i64,
) -> Result<String, HotlineError> {
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
                        .write_text_content(BytesText::new(&xml_text(v)))?;
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
