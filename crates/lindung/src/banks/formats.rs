//! Hash-list formats that banks are imported from and queries are read from, detected from
//! the content:
//!
//! - **plain**: one 64-hex PDQ hash per line, optionally followed by whitespace and an id;
//! - **local_file**: python-threatexchange's `LocalFileSignalExchangeAPI` input, `<type> <signal>`
//!   per line (`pdq <hex>`);
//! - **te_csv**: `threatexchange dataset --csv`, with the header
//!   `signal_type,signal_str,collab,category,tags`.
//!
//! Blank lines and `#` comments are allowed in the line formats. Any other line that is not a
//! valid entry is an error naming its line number: nothing is skipped silently. `pdq`, `vpdq`
//! and `video_md5` entries are kept; entries of other signal types (say `url`) are valid but
//! cannot be banked, and are counted in [`HashList::other_signals`].

use std::collections::BTreeMap;
use std::fmt;

use pdq::Hash256;

use super::entities::signal;
use super::store::{BankError, NewSignal, SignalType};

/// One PDQ hash from a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListEntry {
    /// 1-based line number in the file.
    pub line: u64,
    pub hash: Hash256,
    /// The id given on the line, or empty.
    pub id: String,
}

/// One video from a list: its vPDQ frames.
#[derive(Clone, Debug, PartialEq)]
pub struct VideoEntry {
    /// 1-based line number in the file.
    pub line: u64,
    pub frames: Vec<lindung_media::vpdq::VpdqFrame>,
}

/// A `video_md5` entry from a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DigestEntry {
    /// 1-based line number in the file.
    pub line: u64,
    pub md5: String,
}

/// Which format a list was read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFormat {
    Plain,
    LocalFile,
    ThreatExchangeCsv,
}

impl fmt::Display for ListFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ListFormat::Plain => "one hash per line",
            ListFormat::LocalFile => "python-threatexchange local_file",
            ListFormat::ThreatExchangeCsv => "threatexchange dataset CSV",
        })
    }
}

/// A parsed list.
#[derive(Clone, Debug)]
pub struct HashList {
    pub format: ListFormat,
    pub entries: Vec<ListEntry>,
    /// `vpdq` signals (videos), with their lines.
    pub videos: Vec<VideoEntry>,
    /// `video_md5` signals.
    pub video_md5: Vec<DigestEntry>,
    /// Entries of signal types that cannot be banked, by type, with their count.
    pub other_signals: BTreeMap<String, usize>,
}

/// A line that could not be read, with its 1-based number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct ListError {
    pub line: u64,
    pub message: String,
}

impl HashList {
    /// Adds a `<signal type> <signal>` entry: PDQ hashes are kept, other known types counted.
    fn add_signal(&mut self, line: u64, kind: &str, signal: &str) -> Result<(), ListError> {
        if kind == "pdq" {
            let hash = parse_pdq(signal).map_err(|message| ListError { line, message })?;
            self.entries.push(ListEntry {
                line,
                hash,
                id: String::new(),
            });
            Ok(())
        } else if kind == "vpdq" {
            let frames =
                lindung_media::vpdq::parse_signal(signal.trim()).map_err(|e| ListError {
                    line,
                    message: format!("not a vpdq signal: {e}"),
                })?;
            self.videos.push(VideoEntry { line, frames });
            Ok(())
        } else if kind == "video_md5" {
            let md5 = signal.trim().to_ascii_lowercase();
            if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(ListError {
                    line,
                    message: format!("{:?} is not an MD5 (32 hex digits)", shorten(signal)),
                });
            }
            self.video_md5.push(DigestEntry { line, md5 });
            Ok(())
        } else if KNOWN_SIGNAL_TYPES.contains(&kind) {
            *self.other_signals.entry(kind.to_owned()).or_default() += 1;
            Ok(())
        } else {
            Err(ListError {
                line,
                message: format!("unknown signal type {:?}", shorten(kind)),
            })
        }
    }
}

const CSV_HEADER: &str = "signal_type,signal_str,collab,category,tags";

/// Signal type names of python-threatexchange and its common extensions.
const KNOWN_SIGNAL_TYPES: &[&str] = &[
    "pdq",
    "video_md5",
    "vpdq",
    "url",
    "raw_text",
    "trend_query",
    "url_md5",
    "photodna",
    "clip",
    "pdq_ocr",
    "text_tlsh",
];

/// Parses a hash list, detecting its format from the first line that is not blank or a
/// comment.
pub fn parse_hash_list(text: &str) -> Result<HashList, ListError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .unwrap_or("");
    if first.starts_with("signal_type,") {
        return parse_csv(text);
    }
    let first_word = first.split_whitespace().next().unwrap_or("");
    let format = if KNOWN_SIGNAL_TYPES.contains(&first_word) {
        ListFormat::LocalFile
    } else {
        ListFormat::Plain
    };
    let mut list = HashList {
        format,
        entries: Vec::new(),
        videos: Vec::new(),
        video_md5: Vec::new(),
        other_signals: BTreeMap::new(),
    };
    for (index, raw) in text.lines().enumerate() {
        let line = index as u64 + 1;
        let content = raw.trim();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let error = |message: String| ListError { line, message };
        match format {
            ListFormat::Plain => {
                let (hex, id) = match content.split_once(char::is_whitespace) {
                    Some((hex, id)) => (hex, id.trim()),
                    None => (content, ""),
                };
                let hash = parse_pdq(hex).map_err(error)?;
                list.entries.push(ListEntry {
                    line,
                    hash,
                    id: id.to_owned(),
                });
            }
            ListFormat::LocalFile => {
                let Some((kind, signal)) = content.split_once(' ') else {
                    return Err(error(format!(
                        "expected `<signal type> <signal>`, found {:?}",
                        shorten(content)
                    )));
                };
                list.add_signal(line, kind, signal.trim())?;
            }
            ListFormat::ThreatExchangeCsv => {
                return Err(error("a CSV list must start with its header".into()));
            }
        }
    }
    Ok(list)
}

fn parse_csv(text: &str) -> Result<HashList, ListError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header_line = |reader: &mut csv::Reader<&[u8]>| -> Result<(), ListError> {
        let headers = reader.headers().map_err(|e| ListError {
            line: 1,
            message: e.to_string(),
        })?;
        let found: Vec<&str> = headers.iter().collect();
        if found.join(",") != CSV_HEADER {
            return Err(ListError {
                line: 1,
                message: format!("expected the header `{CSV_HEADER}`"),
            });
        }
        Ok(())
    };
    header_line(&mut reader)?;
    let mut list = HashList {
        format: ListFormat::ThreatExchangeCsv,
        entries: Vec::new(),
        videos: Vec::new(),
        video_md5: Vec::new(),
        other_signals: BTreeMap::new(),
    };
    for record in reader.records() {
        let record = record.map_err(|e| ListError {
            line: e.position().map_or(0, |p| p.line()),
            message: match e.kind() {
                csv::ErrorKind::UnequalLengths {
                    expected_len, len, ..
                } => format!("expected {expected_len} fields, found {len}"),
                _ => e.to_string(),
            },
        })?;
        let line = record.position().map_or(0, |p| p.line());
        let kind = record.get(0).unwrap_or("");
        let signal = record.get(1).unwrap_or("");
        list.add_signal(line, kind, signal)?;
    }
    Ok(list)
}

impl HashList {
    /// Entries that PDQ matching of a list does not use (exact digests and unbankable types),
    /// counted by type, for reporting.
    pub fn without_pdq_match(&self) -> BTreeMap<String, usize> {
        let mut counts = self.other_signals.clone();
        if !self.video_md5.is_empty() {
            *counts.entry("video_md5".to_owned()).or_default() += self.video_md5.len();
        }
        counts
    }

    /// The entries as bank signals, each with the note it is imported with (a plain list's id),
    /// in line order.
    pub fn bank_signals(&self) -> Result<Vec<(NewSignal, String)>, ListError> {
        let at = |line: u64| {
            move |e: BankError| ListError {
                line,
                message: e.to_string(),
            }
        };
        let mut signals: Vec<(u64, NewSignal, String)> =
            Vec::with_capacity(self.entries.len() + self.videos.len() + self.video_md5.len());
        for e in &self.entries {
            let signal =
                NewSignal::new(SignalType::Pdq, &e.hash.to_string(), None).map_err(at(e.line))?;
            signals.push((e.line, signal, e.id.clone()));
        }
        for v in &self.videos {
            signals.push((
                v.line,
                NewSignal::video(&v.frames).map_err(at(v.line))?,
                String::new(),
            ));
        }
        for d in &self.video_md5 {
            let signal = NewSignal::new(SignalType::VideoMd5, &d.md5, None).map_err(at(d.line))?;
            signals.push((d.line, signal, String::new()));
        }
        signals.sort_by_key(|(line, _, _)| *line);
        Ok(signals.into_iter().map(|(_, s, note)| (s, note)).collect())
    }
}

/// How a bank is written out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// One PDQ hash per line (PDQ only).
    Plain,
    /// python-threatexchange `local_file`: `<signal type> <signal>` per line.
    LocalFile,
    /// `threatexchange dataset --csv`.
    TeCsv,
}

/// Writes a bank's signals in `format`; `collab` names the bank in the CSV. Every format can be
/// imported again.
pub fn export_signals(rows: &[signal::Model], format: ExportFormat, collab: &str) -> String {
    let exportable = |row: &&signal::Model| match format {
        ExportFormat::Plain => row.signal_type == "pdq",
        // python-threatexchange has no plain `md5` or `sha256` signal type.
        ExportFormat::LocalFile | ExportFormat::TeCsv => {
            matches!(row.signal_type.as_str(), "pdq" | "vpdq" | "video_md5")
        }
    };
    let mut out = String::new();
    match format {
        ExportFormat::Plain => {
            for row in rows.iter().filter(exportable) {
                out.push_str(row.signal());
                out.push('\n');
            }
        }
        ExportFormat::LocalFile => {
            for row in rows.iter().filter(exportable) {
                out.push_str(&row.signal_type);
                out.push(' ');
                out.push_str(row.signal());
                out.push('\n');
            }
        }
        ExportFormat::TeCsv => {
            // The vpdq signal holds commas and quotes: the csv writer quotes it.
            let mut csv = csv::WriterBuilder::new()
                .has_headers(false)
                .terminator(csv::Terminator::Any(b'\n'))
                .from_writer(Vec::new());
            let header: Vec<&str> = CSV_HEADER.split(',').collect();
            let mut records = vec![header];
            records.extend(rows.iter().filter(exportable).map(|row| {
                vec![
                    row.signal_type.as_str(),
                    row.signal(),
                    collab,
                    "POSITIVE_CLASS",
                    "",
                ]
            }));
            for record in records {
                // Writing to memory cannot fail.
                let _ = csv.write_record(record);
            }
            if let Ok(bytes) = csv.into_inner() {
                out = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }
    out
}

fn parse_pdq(text: &str) -> Result<Hash256, String> {
    Hash256::parse(text).map_err(|e| format!("{:?} is not a PDQ hash: {e}", shorten(text)))
}

/// Keeps error messages short when a line is long (a whole file on one line, say).
fn shorten(text: &str) -> String {
    match text.char_indices().nth(80) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";

    #[test]
    fn plain_lines_with_and_without_ids() {
        let list = parse_hash_list(&format!("# bank\n{A}\n\n{A}  photo-7\n")).expect("parse");
        assert_eq!(list.format, ListFormat::Plain);
        assert_eq!(list.entries.len(), 2);
        assert_eq!((list.entries[0].line, list.entries[0].id.as_str()), (2, ""));
        assert_eq!(
            (list.entries[1].line, list.entries[1].id.as_str()),
            (4, "photo-7")
        );
    }

    #[test]
    fn local_file_lines_keep_video_md5_and_count_other_signal_types() {
        let list = parse_hash_list(&format!(
            "pdq {A}\nvideo_md5 D41D8CD98F00B204E9800998ECF8427E\npdq {A}\nurl https://x.example\n"
        ))
        .expect("parse");
        assert_eq!(list.format, ListFormat::LocalFile);
        assert_eq!(
            list.entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(
            list.video_md5,
            [DigestEntry {
                line: 2,
                md5: "d41d8cd98f00b204e9800998ecf8427e".into()
            }]
        );
        assert_eq!(list.other_signals.get("url"), Some(&1));
        let err = parse_hash_list("video_md5 abc\n").expect_err("short md5");
        assert_eq!(err.line, 1);
    }

    #[test]
    fn every_export_format_imports_again_with_videos() {
        let vpdq = r#"["f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,0.0","0000000000000000000000000000000000000000000000000000000000000000,0,1.0"]"#;
        let row = |id: i64, signal_type: &str, value: &str, body: Option<&str>| signal::Model {
            id,
            bank_id: 1,
            content_id: id,
            signal_type: signal_type.into(),
            value: value.into(),
            quality: None,
            body: body.map(str::to_owned),
        };
        let rows = [
            row(1, "pdq", A, None),
            row(2, "vpdq", "key", Some(vpdq)),
            row(3, "video_md5", "d41d8cd98f00b204e9800998ecf8427e", None),
            row(4, "sha256", A, None),
        ];
        for format in [ExportFormat::LocalFile, ExportFormat::TeCsv] {
            let text = export_signals(&rows, format, "BANK");
            let list = parse_hash_list(&text).expect("exported text parses");
            let signals = list.bank_signals().expect("signals");
            let kinds: Vec<&str> = signals.iter().map(|(s, _)| s.kind.as_str()).collect();
            assert_eq!(kinds, ["pdq", "vpdq", "video_md5"], "{format:?}: {text}");
            assert_eq!(signals[1].0.value, vpdq, "{format:?}");
        }
        let plain = export_signals(&rows, ExportFormat::Plain, "BANK");
        assert_eq!(plain, format!("{A}\n"));
    }

    #[test]
    fn threatexchange_csv() {
        let text = format!(
            "{CSV_HEADER}\npdq,{A},collab-1,POSITIVE_CLASS,tag1 tag2\nurl,https://x.example,collab-1,POSITIVE_CLASS,\n"
        );
        let list = parse_hash_list(&text).expect("parse");
        assert_eq!(list.format, ListFormat::ThreatExchangeCsv);
        assert_eq!(list.entries.len(), 1);
        assert_eq!(list.entries[0].line, 2);
        assert_eq!(list.other_signals.get("url"), Some(&1));
    }

    #[test]
    fn bad_lines_are_errors_with_their_number() {
        let short = &A[..60];
        let err = parse_hash_list(&format!("{A}\n{short}\n")).expect_err("short hash");
        assert_eq!(err.line, 2);
        assert!(err.message.contains("not a PDQ hash"), "{err}");
        let err = parse_hash_list(&format!("pdq {A}\npdq\n")).expect_err("missing signal");
        assert_eq!(err.line, 2);
        let err = parse_hash_list(&format!("pdq {A}\nbogus {A}\n")).expect_err("unknown type");
        assert_eq!(err.line, 2);
        let err = parse_hash_list(&format!(
            "{CSV_HEADER}\npdq,{A},c,POSITIVE_CLASS,\npdq,zz,c,POSITIVE_CLASS,\n"
        ))
        .expect_err("bad hex");
        assert_eq!(err.line, 3);
        let err = parse_hash_list(&format!("{CSV_HEADER}\npdq,{A}\n")).expect_err("short row");
        assert_eq!(err.line, 2);
        let err = parse_hash_list("signal_type,signal,collab\n").expect_err("wrong header");
        assert_eq!(err.line, 1);
    }
}
