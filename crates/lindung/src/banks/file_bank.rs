//! A bank kept in a file, for `lindung match` and `lindung index build`: either a hash list in
//! one of the import formats, or an index snapshot written by `lindung index build`.
//!
//! Index ids are the 1-based line numbers of the hashes in the list, so a match names the line
//! it came from. A snapshot keeps the ids given on those lines in a sidecar file beside it,
//! `<snapshot>.ids`, with one `line<TAB>id` per line.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, Read, Write};
use std::path::{Path, PathBuf};

use lindung_index::{HammingIndex, IndexConfig, SnapshotError, is_snapshot};

use super::formats::{ListError, ListFormat, parse_hash_list};

/// Why a bank file could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum BankFileError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("{path}: line {line}: the file is not UTF-8 text")]
    NotText { path: PathBuf, line: u64 },
    #[error("{path}: {source}")]
    List { path: PathBuf, source: ListError },
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error("{path}: line {line}: expected `<bank line><TAB><id>`")]
    Sidecar { path: PathBuf, line: u64 },
}

/// Where a bank's entries came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BankSource {
    List(ListFormat),
    Snapshot,
}

/// A bank loaded from a file.
#[derive(Debug)]
pub struct FileBank {
    pub index: HammingIndex,
    /// Ids given in the list, by line; lines without an id are absent.
    pub labels: HashMap<u64, String>,
    pub source: BankSource,
    /// `vpdq` entries of a list bank (snapshots hold PDQ only).
    pub videos: Vec<super::formats::VideoEntry>,
    /// Entries of other signal types in the list, by type (not indexed).
    pub other_signals: BTreeMap<String, usize>,
}

impl FileBank {
    /// Opens a hash list or a snapshot, telling them apart by the snapshot's magic bytes.
    pub fn open(path: &Path) -> Result<FileBank, BankFileError> {
        let io_error = |source| BankFileError::Io {
            path: path.to_owned(),
            source,
        };
        let mut magic = Vec::with_capacity(8);
        std::fs::File::open(path)
            .and_then(|file| file.take(8).read_to_end(&mut magic))
            .map_err(io_error)?;
        if is_snapshot(&magic) {
            let index = HammingIndex::load(path, IndexConfig::default())?;
            let labels = read_sidecar(&sidecar_path(path))?;
            return Ok(FileBank {
                index,
                labels,
                source: BankSource::Snapshot,
                videos: Vec::new(),
                other_signals: BTreeMap::new(),
            });
        }
        let bytes = std::fs::read(path).map_err(io_error)?;
        let text = text_of(path, bytes)?;
        let list = parse_hash_list(&text).map_err(|source| BankFileError::List {
            path: path.to_owned(),
            source,
        })?;
        let labels = list
            .entries
            .iter()
            .filter(|e| !e.id.is_empty())
            .map(|e| (e.line, e.id.clone()))
            .collect();
        let index = HammingIndex::build(
            list.entries.iter().map(|e| (e.line, e.hash)),
            IndexConfig::default(),
        );
        Ok(FileBank {
            index,
            labels,
            source: BankSource::List(list.format),
            other_signals: list.without_pdq_match(),
            videos: list.videos,
        })
    }

    /// The id given for a bank line, or "".
    pub fn label(&self, line: u64) -> &str {
        self.labels.get(&line).map_or("", String::as_str)
    }

    /// Writes the index snapshot and, if any entry has an id, its sidecar. A stale sidecar from
    /// an earlier snapshot at the same path is removed.
    pub fn save_snapshot(&self, path: &Path) -> Result<(), BankFileError> {
        self.index.save(path)?;
        let sidecar = sidecar_path(path);
        let io_error = |source| BankFileError::Io {
            path: sidecar.clone(),
            source,
        };
        if self.labels.is_empty() {
            match std::fs::remove_file(&sidecar) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(e)),
                _ => return Ok(()),
            }
        }
        let mut lines: Vec<(&u64, &String)> = self.labels.iter().collect();
        lines.sort_unstable();
        let temporary = sidecar.with_extension("ids.partial");
        let write = || -> io::Result<()> {
            let mut out = io::BufWriter::new(std::fs::File::create(&temporary)?);
            for (line, id) in lines {
                writeln!(out, "{line}\t{id}")?;
            }
            out.into_inner()
                .map_err(io::IntoInnerError::into_error)?
                .sync_all()?;
            std::fs::rename(&temporary, &sidecar)
        };
        write().map_err(io_error)
    }
}

fn sidecar_path(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.as_os_str().to_owned();
    name.push(".ids");
    PathBuf::from(name)
}

fn read_sidecar(path: &Path) -> Result<HashMap<u64, String>, BankFileError> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(source) => {
            return Err(BankFileError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    let mut labels = HashMap::new();
    for (index, line) in io::BufReader::new(file).lines().enumerate() {
        let line_number = index as u64 + 1;
        let line = line.map_err(|source| BankFileError::Io {
            path: path.to_owned(),
            source,
        })?;
        let parsed = line
            .split_once('\t')
            .and_then(|(n, id)| Some((n.parse::<u64>().ok()?, id.to_owned())));
        let Some((bank_line, id)) = parsed else {
            return Err(BankFileError::Sidecar {
                path: path.to_owned(),
                line: line_number,
            });
        };
        labels.insert(bank_line, id);
    }
    Ok(labels)
}

/// The file as UTF-8 text, or an error naming the line of the first invalid byte.
pub fn text_of(path: &Path, bytes: Vec<u8>) -> Result<String, BankFileError> {
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count() as u64
            + 1;
        BankFileError::NotText {
            path: path.to_owned(),
            line,
        }
    })
}
