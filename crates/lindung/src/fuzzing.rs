//! Entry points for the fuzz targets in `crates/lindung/fuzz`: one function per parser of
//! outside input, each feeding arbitrary bytes to the same code the server and the CLI run.
//! Bad input must come back as an error; a panic is a finding. Each function also asserts
//! cheap invariants (an exported bank imports again to the same signals, an accepted report
//! renders as well-formed CyberTipline XML, ...): a failed assertion is a finding too.
//!
//! Not an API: hidden from the docs, and kept in the library only so that the fuzz crate and
//! the corpus replay test (`tests/it/fuzz_corpora.rs`) call the very same functions.

use std::path::Path;
use std::sync::OnceLock;

use crate::banks::entities::signal;
use crate::banks::formats::{ExportFormat, export_signals};
use crate::banks::signals::{NewSignal, SignalType};
use crate::hotline::config::{DEFAULT_CONFIG, HotlineConfig};
use crate::hotline::exports::{PartnerReport, canonical_json, partner_input};
use crate::hotline::{
    FileView, ReportInput, ReportSource, ReportStatus, ReportView, SubmissionDetails,
    SubmissionView, UrlView, check_report,
};

/// A fuzz target: any bytes in; a panic is a finding. It answers whether the input went past
/// the parser into the checks behind it (an accepted list exported, a report exported), so the
/// replay test can tell a corpus that reaches them from a target that does nothing.
pub type Target = fn(&[u8]) -> bool;

/// Every target, by the name of its `[[bin]]` in `crates/lindung/fuzz/Cargo.toml` (the replay
/// test checks that the two lists agree).
pub const TARGETS: &[(&str, Target)] = &[
    ("hash_list", hash_list),
    ("vpdq_signal", vpdq_signal),
    ("report_json", report_json),
    ("partner_import", partner_import),
    ("ip_ranges", ip_ranges),
    ("cybertip_xml", cybertip_xml),
    ("multipart_upload", multipart_upload),
];

/// A hash list as `lindung bank import` and the bank pages read it (every format), then, for a
/// list that yields bank signals, the invariant that each export format imports again to the
/// same signals.
pub fn hash_list(data: &[u8]) -> bool {
    let Ok(text) = crate::banks::file_bank::text_of(Path::new("fuzz.txt"), data.to_vec()) else {
        return false;
    };
    let Ok(list) = crate::banks::parse_hash_list(&text) else {
        return false;
    };
    let _ = list.without_pdq_match();
    let Ok(signals) = list.bank_signals() else {
        return false;
    };
    let rows: Vec<signal::Model> = signals
        .iter()
        .zip(1..)
        .map(|((s, _), id)| {
            let (value, body) = s.stored();
            signal::Model {
                id,
                bank_id: 1,
                content_id: id,
                signal_type: s.kind.as_str().to_owned(),
                value,
                quality: s.quality,
                body,
            }
        })
        .collect();
    let kept = |s: &[(NewSignal, String)], pdq_only: bool| -> Vec<(SignalType, String)> {
        s.iter()
            .filter(|(s, _)| !pdq_only || s.kind == SignalType::Pdq)
            .map(|(s, _)| (s.kind, s.value.clone()))
            .collect()
    };
    for (format, pdq_only) in [
        (ExportFormat::Plain, true),
        (ExportFormat::LocalFile, false),
        (ExportFormat::TeCsv, false),
    ] {
        let exported = export_signals(&rows, format, "fuzz,bank \"1\"");
        let again = crate::banks::parse_hash_list(&exported)
            .unwrap_or_else(|e| panic!("{format:?} export does not import: {e}\n{exported}"));
        let again = again
            .bank_signals()
            .unwrap_or_else(|e| panic!("{format:?} export has bad signals: {e}\n{exported}"));
        assert_eq!(
            kept(&again, pdq_only),
            kept(&signals, pdq_only),
            "{format:?} export imports to other signals:\n{exported}"
        );
    }
    true
}

/// A `vpdq` signal string (what the HMA API and bank lists carry) and the reference tools'
/// frame-per-line format. Invariants: a signal that is accepted writes out to a signal that
/// reads back to the same frames' hashes and qualities and the same signal string.
pub fn vpdq_signal(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    use lindung_media::vpdq::{parse_frames, parse_signal, to_signal, write_frames};
    let mut reached = false;
    if let Ok(frames) = parse_signal(text.trim()) {
        reached = true;
        let written = to_signal(&frames);
        let again = parse_signal(&written)
            .unwrap_or_else(|e| panic!("written signal does not parse: {e}\n{written}"));
        let key = |f: &[lindung_media::vpdq::VpdqFrame]| -> Vec<(String, u8)> {
            f.iter().map(|f| (f.hash.to_string(), f.quality)).collect()
        };
        assert_eq!(key(&again), key(&frames), "{written}");
        assert_eq!(to_signal(&again), written, "a written signal is not stable");
        if let Ok(signal) = NewSignal::new(SignalType::Vpdq, text, None) {
            assert_eq!(signal.value, written);
        }
    }
    if let Ok(frames) = parse_frames(text) {
        reached = true;
        let written = write_frames(&frames);
        let again = parse_frames(&written)
            .unwrap_or_else(|e| panic!("written frames do not parse: {e}\n{written}"));
        assert_eq!(again.len(), frames.len());
        assert_eq!(
            write_frames(&again),
            written,
            "written frames are not stable"
        );
    }
    reached
}

/// The hotline configuration the report targets check against: the shipped defaults, with
/// evidence uploads on (so `content_base64` is decoded too) or off.
fn configs() -> &'static [HotlineConfig; 2] {
    static CONFIGS: OnceLock<[HotlineConfig; 2]> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let base = HotlineConfig::parse(DEFAULT_CONFIG).expect("the shipped hotline config parses");
        let mut uploads = base.clone();
        uploads.evidence.accept_uploads = true;
        uploads.evidence.max_bytes = 4096;
        let mut hashes_only = base;
        hashes_only.evidence.accept_uploads = false;
        [uploads, hashes_only]
    })
}

/// Parses a JSON body as the route does (the typed value, then the raw value for the digest),
/// returning the typed value when both parse.
fn route_json<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<(T, serde_json::Value)> {
    let typed = crate::http::parse_json::<T>(data);
    let raw = crate::http::parse_json::<serde_json::Value>(data);
    match (typed, raw) {
        (Ok(typed), Ok(raw)) => {
            // The digest of the body, as idempotency and partner packages compute it.
            let _ = canonical_json(&raw);
            Some((typed, raw))
        }
        (Ok(_), Err(e)) => panic!("a body that parsed as the request is not JSON: {e:?}"),
        _ => None,
    }
}

/// `POST /api/v1/reports`: the report JSON and every check a submission passes before it is
/// stored. Invariant: a URL that is accepted is normalised once and for all.
pub fn report_json(data: &[u8]) -> bool {
    let Some((input, _)) = route_json::<ReportInput>(data) else {
        return false;
    };
    let mut reached = false;
    for config in configs() {
        if check_report(&input, config).is_ok() {
            reached = true;
            for url in &input.urls {
                let once = crate::hotline::network::normalise_url(url)
                    .unwrap_or_else(|e| panic!("an accepted URL does not normalise: {e}"));
                let twice = crate::hotline::network::normalise_url(once.as_str())
                    .unwrap_or_else(|e| panic!("a normalised URL is refused: {e}"));
                assert_eq!(once, twice, "normalising {url:?} twice changes it");
            }
        }
    }
    reached
}

/// `POST /api/v1/hotline/partner-import`: a partner hotline's exchange file, as the report it
/// stands for, through the same checks.
pub fn partner_import(data: &[u8]) -> bool {
    let Some((file, _)) = route_json::<PartnerReport>(data) else {
        return false;
    };
    let Ok(input) = partner_input(&file) else {
        return false;
    };
    for config in configs() {
        let _ = check_report(&input, config);
    }
    true
}

/// `PUT /api/v1/hotline/ip-ranges`: the IP-to-country CSV. Invariant: every range read starts
/// no later than it ends and has a two-letter country.
pub fn ip_ranges(data: &[u8]) -> bool {
    let Ok(ranges) = crate::hotline::network::parse_ip_ranges(data) else {
        return false;
    };
    {
        assert!(!ranges.is_empty());
        for r in &ranges {
            assert!(r.start <= r.end, "{r:?}");
            assert!(
                r.country.len() == 2 && r.country.bytes().all(|b| b.is_ascii_uppercase()),
                "{r:?}"
            );
        }
    }
    true
}

/// CyberTipline-shaped input: a report as a platform sends it (its reported user, IP capture
/// events, victims, files and URLs follow the CyberTipline's fields). Invariant: whatever the
/// hotline accepts, its CyberTipline `<report>` and `<fileDetails>` exports are well-formed
/// XML 1.0, whatever characters the reporter's words hold.
pub fn cybertip_xml(data: &[u8]) -> bool {
    let Some((input, _)) = route_json::<ReportInput>(data) else {
        return false;
    };
    if !configs().iter().any(|c| check_report(&input, c).is_ok()) {
        return false;
    }
    let view = view_of(&input);
    let report = crate::hotline::exports::report_xml(&view, "Fuzz <Hotline> & \"co\"")
        .unwrap_or_else(|e| panic!("an accepted report does not export: {e}"));
    assert_well_formed(&report);
    for f in &view.files {
        let xml = crate::hotline::exports::file_xml(&view, f.id, 7)
            .unwrap_or_else(|e| panic!("an accepted file does not export: {e}"));
        assert_well_formed(&xml);
    }
    true
}

/// The report an accepted submission becomes, as the exports see it.
fn view_of(input: &ReportInput) -> ReportView {
    const AT: &str = "2026-12-01T00:00:00Z";
    let details = SubmissionDetails {
        description: input.description.clone(),
        contact: input.contact.clone(),
        platform: input.platform.clone(),
        service: input.service.clone(),
        seen_on: input.seen_on.clone(),
        reported_user: input.reported_user.clone(),
        victims: input.victims.clone(),
    };
    let urls = input
        .urls
        .iter()
        .filter_map(|u| crate::hotline::network::normalise_url(u).ok())
        .zip(1..)
        .map(|(u, id)| UrlView {
            id,
            host: u.host_str().unwrap_or_default().to_owned(),
            url: u.to_string(),
            status: "online".into(),
            resolved_ip: None,
            hosting_country: None,
            provider_id: None,
            removal_evidence: None,
            removed_at: None,
            notices_sent: 0,
        })
        .collect();
    let lower = |v: &Option<String>| v.as_ref().map(|v| v.trim().to_ascii_lowercase());
    let files = input
        .files
        .iter()
        .zip(1..)
        .map(|(f, id)| FileView {
            id,
            pdq: lower(&f.pdq),
            md5: lower(&f.md5),
            sha256: lower(&f.sha256),
            previously_assessed: None,
            known_category: None,
            has_evidence: f.content_base64.is_some(),
        })
        .collect();
    ReportView {
        id: "1".into(),
        incident_type: input.incident_type,
        annotations: input.annotations.clone(),
        incident_time: input.incident_time.clone(),
        immediate_danger: input.immediate_danger,
        victim_age: None,
        status: ReportStatus::New,
        priority: 0,
        known_content: false,
        claimed_by: None,
        care_case_id: None,
        created_at: AT.into(),
        removed_at: None,
        hours_to_removal: None,
        submissions: vec![SubmissionView {
            reference: "R-1".into(),
            source: ReportSource::Platform,
            reporter_country: input.reporter_country.clone(),
            created_at: AT.into(),
            details,
        }],
        urls,
        files,
        assessments: Vec::new(),
        timeline: Vec::new(),
        linked_reports: Vec::new(),
    }
}

/// XML 1.0's `Char` production: what a document may hold at all, even escaped.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
        || c >= '\u{10000}'
}

fn assert_well_formed(xml: &str) {
    if let Some(c) = xml.chars().find(|c| !is_xml_char(*c)) {
        panic!("the export holds {c:?}, which XML 1.0 does not allow:\n{xml}");
    }
    let mut reader = quick_xml::Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Start(_)) => depth += 1,
            Ok(quick_xml::events::Event::End(_)) => depth -= 1,
            Ok(quick_xml::events::Event::Text(t)) => {
                if let Err(e) = t.decode() {
                    panic!("text that does not decode: {e}\n{xml}");
                }
            }
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("the export is not well-formed XML: {e}\n{xml}"),
        }
    }
    assert_eq!(depth, 0, "unclosed elements:\n{xml}");
}

/// A multipart upload as the bank, HMA and self-report routes read it: `data` is the body of
/// a `multipart/form-data` request whose boundary is `FUZZ`.
pub fn multipart_upload(data: &[u8]) -> bool {
    use axum::extract::FromRequest;
    thread_local! {
        static RUNTIME: Option<tokio::runtime::Runtime> =
            tokio::runtime::Builder::new_current_thread().build().ok();
    }
    let request = axum::http::Request::builder()
        .method("POST")
        .uri("/upload")
        .header("content-type", "multipart/form-data; boundary=FUZZ")
        .body(axum::body::Body::from(data.to_vec()));
    let Ok(request) = request else {
        return false;
    };
    RUNTIME.with(|runtime| {
        let runtime = runtime.as_ref().expect("a current-thread runtime starts");
        runtime.block_on(async {
            let Ok(form) = crate::http::Multipart::from_request(request, &()).await else {
                return false;
            };
            let Ok(upload) = crate::http::read_upload_of(form, &["photo", "video"]).await else {
                return false;
            };
            assert!(upload.file.is_none() || !upload.file_field.is_empty());
            true
        })
    })
}
