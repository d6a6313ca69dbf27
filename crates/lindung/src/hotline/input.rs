//! What a report is made of as it arrives, and the checks every submission passes.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::config::HotlineConfig;
use super::*;
use crate::helpers::now;

/// A user seen in the incident, as a platform knows them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedUser {
    #[serde(default)]
    pub identifiers: Vec<String>,
    pub screen_name: Option<String>,
    pub profile_url: Option<String>,
    #[serde(default)]
    pub ip_capture_events: Vec<IpCapture>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpCapture {
    pub ip: String,
    /// `Login`, `Registration`, `Purchase`, `Upload`, `Other` or `Unknown`.
    pub event: Option<String>,
    /// RFC 3339.
    pub at: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Victim {
    pub estimated_age: Option<u8>,
}

/// A file given by its hashes, with the file itself where policy allows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    pub pdq: Option<String>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
    /// The file, base64; accepted only when the hotline's evidence policy allows uploads.
    pub content_base64: Option<String>,
}

/// A report as the API, the public form and a partner hotline's export give it.
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub incident_type: IncidentType,
    /// RFC 3339.
    pub incident_time: Option<String>,
    #[serde(default)]
    pub annotations: Vec<String>,
    pub platform: Option<String>,
    pub service: Option<String>,
    /// Where it was seen: website, social_media, messaging_app, game or other.
    pub seen_on: Option<String>,
    pub reported_user: Option<ReportedUser>,
    #[serde(default)]
    pub victims: Vec<Victim>,
    #[serde(default)]
    pub files: Vec<FileInput>,
    #[serde(default)]
    pub urls: Vec<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub immediate_danger: bool,
    /// ISO 3166 alpha-2.
    pub reporter_country: Option<String>,
    pub contact: Option<String>,
}

impl ReportInput {
    /// A report of `incident_type` with nothing else filled in yet.
    pub fn of_type(incident_type: IncidentType) -> Self {
        ReportInput {
            incident_type,
            incident_time: None,
            annotations: Vec::new(),
            platform: None,
            service: None,
            seen_on: None,
            reported_user: None,
            victims: Vec::new(),
            files: Vec::new(),
            urls: Vec::new(),
            description: None,
            immediate_danger: false,
            reporter_country: None,
            contact: None,
        }
    }
}

/// What a submission keeps, encrypted, beyond the shared report.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SubmissionDetails {
    pub description: Option<String>,
    pub contact: Option<String>,
    pub platform: Option<String>,
    pub service: Option<String>,
    pub seen_on: Option<String>,
    pub reported_user: Option<ReportedUser>,
    #[serde(default)]
    pub victims: Vec<Victim>,
}

/// A file's hashes, checked and lower-cased.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct FileHashes {
    pub(super) pdq: Option<String>,
    pub(super) md5: Option<String>,
    pub(super) sha256: Option<String>,
    pub(super) content: Option<Vec<u8>>,
}

pub(super) struct Checked {
    pub(super) incident_type: IncidentType,
    pub(super) incident_time: Option<OffsetDateTime>,
    pub(super) annotations: BTreeSet<String>,
    pub(super) urls: Vec<url::Url>,
    pub(super) files: Vec<FileHashes>,
    pub(super) victim_age: Option<i32>,
    pub(super) reporter_country: Option<String>,
    pub(super) details: SubmissionDetails,
}

pub(super) fn check_text(
    field: &'static str,
    value: &Option<String>,
    max: usize,
) -> Result<(), HotlineError> {
    match value {
        Some(v) if v.chars().count() > max => Err(invalid(
            field,
            format!("{field} has at most {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// A name or identifier (a platform, a service, a reported account): one line of text, which
/// goes into exports as it is. A control character, or a character XML cannot carry, is refused
/// rather than replaced in the export: two identifiers would otherwise read alike there, and
/// NCMEC would be sent an account that is not the one reported.
fn check_name(field: &'static str, value: &str) -> Result<(), HotlineError> {
    if value.chars().count() > MAX_SHORT {
        return Err(invalid(
            field,
            format!("{field} has at most {MAX_SHORT} characters"),
        ));
    }
    if value
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{FFFE}' | '\u{FFFF}'))
    {
        return Err(invalid(
            field,
            format!("{field} holds a control character; send it as one line of text"),
        ));
    }
    Ok(())
}

pub(super) fn check_hex(
    field: &'static str,
    value: &Option<String>,
    digits: usize,
) -> Result<Option<String>, HotlineError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_ascii_lowercase();
    if value.len() != digits || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid(
            field,
            format!("{field} is {digits} hexadecimal digits"),
        ));
    }
    Ok(Some(value))
}

pub fn check_country(field: &'static str, value: &str) -> Result<String, HotlineError> {
    let value = value.trim().to_ascii_uppercase();
    if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(value)
    } else {
        Err(invalid(
            field,
            format!("{field} is a two-letter country code"),
        ))
    }
}

pub fn parse_time(field: &'static str, value: &str) -> Result<OffsetDateTime, HotlineError> {
    crate::helpers::parse_rfc3339(value).map_err(|_| {
        invalid(
            field,
            format!("{field} is an RFC 3339 time, such as 2026-11-01T10:00:00Z"),
        )
    })
}

pub(super) fn check_input(
    input: &ReportInput,
    config: &HotlineConfig,
) -> Result<Checked, HotlineError> {
    let incident_time = input
        .incident_time
        .as_deref()
        .map(|t| parse_time("incident_time", t))
        .transpose()?;
    if incident_time.is_some_and(|t| t > now() + time::Duration::hours(1)) {
        return Err(invalid("incident_time", "incident_time is in the future"));
    }
    let annotations = check_annotations(&input.annotations)?;
    if let Some(seen) = &input.seen_on
        && !SEEN_ON.contains(&seen.as_str())
    {
        return Err(invalid(
            "seen_on",
            format!("seen_on is one of {}", SEEN_ON.join(", ")),
        ));
    }
    let (urls, files) = check_items(input, config)?;
    for (field, value) in [("platform", &input.platform), ("service", &input.service)] {
        if let Some(value) = value {
            check_name(field, value)?;
        }
    }
    check_text("description", &input.description, MAX_TEXT)?;
    check_text("contact", &input.contact, MAX_SHORT)?;
    let victim_age = youngest_victim(&input.victims)?;
    if let Some(user) = &input.reported_user {
        check_reported_user(user)?;
    }
    let reporter_country = input
        .reporter_country
        .as_deref()
        .filter(|c| !c.trim().is_empty())
        .map(|c| check_country("reporter_country", c))
        .transpose()?;
    Ok(Checked {
        incident_type: input.incident_type,
        incident_time,
        annotations,
        urls,
        files,
        victim_age,
        reporter_country,
        details: SubmissionDetails {
            description: input.description.clone().filter(|d| !d.trim().is_empty()),
            contact: input.contact.clone().filter(|c| !c.trim().is_empty()),
            platform: input.platform.clone(),
            service: input.service.clone(),
            seen_on: input.seen_on.clone(),
            reported_user: input.reported_user.clone(),
            victims: input.victims.clone(),
        },
    })
}

/// Runs every check of a submission without storing anything: what the fuzz targets drive.
#[doc(hidden)]
pub(crate) fn check_report(
    input: &ReportInput,
    config: &HotlineConfig,
) -> Result<(), HotlineError> {
    check_input(input, config).map(|_| ())
}

fn check_annotations(given: &[String]) -> Result<BTreeSet<String>, HotlineError> {
    let mut annotations = BTreeSet::new();
    for a in given {
        if !ANNOTATIONS.contains(&a.as_str()) {
            return Err(invalid(
                "annotations",
                format!("annotations are among {}", ANNOTATIONS.join(", ")),
            ));
        }
        annotations.insert(a.clone());
    }
    Ok(annotations)
}

/// The report's URLs (normalised, without repeats) and files: at least one of either.
fn check_items(
    input: &ReportInput,
    config: &HotlineConfig,
) -> Result<(Vec<url::Url>, Vec<FileHashes>), HotlineError> {
    if input.urls.len() > MAX_URLS {
        return Err(invalid(
            "urls",
            format!("at most {MAX_URLS} URLs per report"),
        ));
    }
    if input.files.len() > MAX_FILES {
        return Err(invalid(
            "files",
            format!("at most {MAX_FILES} files per report"),
        ));
    }
    if input.urls.is_empty() && input.files.is_empty() {
        return Err(invalid(
            "urls",
            "give at least one URL or one file's hashes",
        ));
    }
    let mut urls: Vec<url::Url> = Vec::new();
    for u in &input.urls {
        let normal = network::normalise_url(u).map_err(|m| invalid("urls", m))?;
        if !urls.contains(&normal) {
            urls.push(normal);
        }
    }
    let files = input
        .files
        .iter()
        .map(|f| check_file(f, config))
        .collect::<Result<_, _>>()?;
    Ok((urls, files))
}

/// A file's hashes, and its content where the hotline accepts uploads.
fn check_file(f: &FileInput, config: &HotlineConfig) -> Result<FileHashes, HotlineError> {
    let hashes = FileHashes {
        pdq: check_hex("files.pdq", &f.pdq, 64)?,
        md5: check_hex("files.md5", &f.md5, 32)?,
        sha256: check_hex("files.sha256", &f.sha256, 64)?,
        content: match &f.content_base64 {
            None => None,
            Some(_) if !config.evidence.accept_uploads => {
                return Err(invalid(
                    "files.content_base64",
                    "this hotline does not accept uploads of files; send their hashes",
                ));
            }
            Some(b64) => Some(decode_evidence(b64, config.evidence.max_bytes)?),
        },
    };
    if hashes.pdq.is_none() && hashes.md5.is_none() && hashes.sha256.is_none() {
        return Err(invalid(
            "files",
            "each file needs a pdq, md5 or sha256 hash",
        ));
    }
    Ok(hashes)
}

fn decode_evidence(b64: &str, max_bytes: usize) -> Result<Vec<u8>, HotlineError> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| invalid("files.content_base64", "content_base64 is not base64"))?;
    if bytes.len() > max_bytes {
        return Err(invalid(
            "files.content_base64",
            format!("a file has at most {max_bytes} bytes"),
        ));
    }
    Ok(bytes)
}

/// The youngest estimated age among the victims, each a child's (0 to 17).
fn youngest_victim(victims: &[Victim]) -> Result<Option<i32>, HotlineError> {
    if victims.len() > 20 {
        return Err(invalid("victims", "at most 20 victims per report"));
    }
    let mut youngest = None;
    for v in victims {
        if let Some(age) = v.estimated_age {
            if age > 17 {
                return Err(invalid(
                    "victims.estimated_age",
                    "a child's estimated age is 0 to 17",
                ));
            }
            youngest = Some(youngest.map_or(i32::from(age), |a: i32| a.min(i32::from(age))));
        }
    }
    Ok(youngest)
}

fn check_reported_user(user: &ReportedUser) -> Result<(), HotlineError> {
    if user.identifiers.len() > 20 || user.ip_capture_events.len() > 50 {
        return Err(invalid(
            "reported_user",
            "at most 20 identifiers and 50 IP capture events",
        ));
    }
    for identifier in &user.identifiers {
        check_name("reported_user.identifiers", identifier)?;
    }
    if let Some(name) = &user.screen_name {
        check_name("reported_user.screen_name", name)?;
    }
    if let Some(url) = &user.profile_url {
        check_name("reported_user.profile_url", url)?;
    }
    for capture in &user.ip_capture_events {
        if let Some(event) = &capture.event {
            check_name("reported_user.ip_capture_events.event", event)?;
        }
        capture.ip.parse::<std::net::IpAddr>().map_err(|_| {
            invalid(
                "reported_user.ip_capture_events.ip",
                format!("{:?} is not an IP address", capture.ip),
            )
        })?;
        if let Some(at) = &capture.at {
            parse_time("reported_user.ip_capture_events.at", at)?;
        }
    }
    Ok(())
}
