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
//! valid entry is an error naming its line number: nothing is skipped silently. Entries of other
//! signal types (say `video_md5`) are valid but are not PDQ; they are counted and reported in
//! [`HashList::other_signals`].

use std::collections::BTreeMap;
use std::fmt;

use pdq::Hash256;

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
    /// Entries of signal types other than PDQ, by type, with their count.
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
    fn local_file_lines_count_other_signal_types() {
        let list = parse_hash_list(&format!(
            "pdq {A}\nvideo_md5 d41d8cd98f00b204e9800998ecf8427e\npdq {A}\n"
        ))
        .expect("parse");
        assert_eq!(list.format, ListFormat::LocalFile);
        assert_eq!(
            list.entries.iter().map(|e| e.line).collect::<Vec<_>>(),
            [1, 3]
        );
        assert_eq!(list.other_signals.get("video_md5"), Some(&1));
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
