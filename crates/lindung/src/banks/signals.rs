//! Signals: the kinds a bank holds, and a signal checked and normalised before it is banked.

use super::store::{BankError, MIN_PDQ_QUALITY};

/// The kinds of signal a bank holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SignalType {
    Pdq,
    Md5,
    Sha256,
    /// The MD5 of a video file (python-threatexchange's `video_md5`); matched like `md5`.
    VideoMd5,
    /// A video's frame hashes, as python-threatexchange's `vpdq` signal string.
    Vpdq,
}

impl SignalType {
    pub const ALL: [SignalType; 5] = [
        SignalType::Pdq,
        SignalType::Md5,
        SignalType::Sha256,
        SignalType::VideoMd5,
        SignalType::Vpdq,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SignalType::Pdq => "pdq",
            SignalType::Md5 => "md5",
            SignalType::Sha256 => "sha256",
            SignalType::VideoMd5 => "video_md5",
            SignalType::Vpdq => "vpdq",
        }
    }

    pub fn parse(name: &str) -> Result<Self, BankError> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == name)
            .ok_or_else(|| {
                BankError::Invalid(
                    "signal_type",
                    format!(
                        "unknown signal type {:?}; use pdq, md5, sha256, video_md5 or vpdq",
                        name.chars().take(40).collect::<String>()
                    ),
                )
            })
    }

    fn hex_len(self) -> usize {
        match self {
            SignalType::Md5 | SignalType::VideoMd5 => 32,
            SignalType::Pdq | SignalType::Sha256 | SignalType::Vpdq => 64,
        }
    }
}

/// A signal to add: its type, normalised value (lower-case hex, or the canonical vPDQ signal
/// string), and PDQ quality when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSignal {
    pub kind: SignalType,
    pub value: String,
    pub quality: Option<i32>,
}

impl NewSignal {
    /// The signals given as optional fields of a request, in the order given; a PDQ hash takes
    /// `pdq_quality`.
    pub fn from_fields<'a>(
        fields: impl IntoIterator<Item = (SignalType, Option<&'a str>)>,
        pdq_quality: Option<i32>,
    ) -> Result<Vec<Self>, BankError> {
        fields
            .into_iter()
            .filter_map(|(kind, value)| value.map(|v| (kind, v)))
            .map(|(kind, v)| {
                let quality = if kind == SignalType::Pdq {
                    pdq_quality
                } else {
                    None
                };
                Self::new(kind, v, quality)
            })
            .collect()
    }

    /// Checks and normalises a signal.
    pub fn new(kind: SignalType, value: &str, quality: Option<i32>) -> Result<Self, BankError> {
        if kind == SignalType::Vpdq {
            let frames = lindung_media::vpdq::parse_signal(value.trim())
                .map_err(|e| BankError::Invalid("vpdq", format!("not a vpdq signal: {e}")))?;
            return Self::video(&frames);
        }
        let value = value.trim().to_ascii_lowercase();
        if value.len() != kind.hex_len() || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(BankError::Invalid(
                kind.as_str(),
                format!(
                    "a {} signal is {} hex digits",
                    kind.as_str(),
                    kind.hex_len()
                ),
            ));
        }
        if let Some(q) = quality {
            if !(0..=100).contains(&q) {
                return Err(BankError::Invalid(
                    "pdq_quality",
                    "quality is 0 to 100".into(),
                ));
            }
            if kind == SignalType::Pdq && q < MIN_PDQ_QUALITY {
                return Err(BankError::Invalid(
                    "pdq_quality",
                    format!(
                        "PDQ quality {q} is below {MIN_PDQ_QUALITY}: the hash is too unreliable to bank"
                    ),
                ));
            }
        }
        Ok(NewSignal {
            kind,
            value,
            quality,
        })
    }

    /// A PDQ hash a person made of their own picture on their device. Unlike banked material,
    /// any quality above zero is kept: the person was warned, and a weak hash still protects.
    pub fn self_reported_pdq(value: &str, quality: i32) -> Result<Self, BankError> {
        let mut signal = Self::new(SignalType::Pdq, value, None)?;
        if !(1..=100).contains(&quality) {
            return Err(BankError::Invalid("quality", "quality is 1 to 100".into()));
        }
        signal.quality = Some(quality);
        Ok(signal)
    }

    /// The `vpdq` signal of a video's frames. A video none of whose frames reaches quality 50
    /// cannot match anything and is refused.
    pub fn video(frames: &[lindung_media::vpdq::VpdqFrame]) -> Result<Self, BankError> {
        if !frames
            .iter()
            .any(|f| i32::from(f.quality) >= MIN_PDQ_QUALITY)
        {
            return Err(BankError::Invalid(
                "vpdq",
                format!(
                    "no frame of this vpdq signal has quality {MIN_PDQ_QUALITY} or more: it cannot match"
                ),
            ));
        }
        Ok(NewSignal {
            kind: SignalType::Vpdq,
            value: lindung_media::vpdq::to_signal(frames),
            quality: None,
        })
    }

    /// What the `value` and `body` columns hold: long signals are keyed by their SHA-256.
    pub(crate) fn stored(&self) -> (String, Option<String>) {
        match self.kind {
            SignalType::Vpdq => (
                lindung_media::Digests::of(self.value.as_bytes()).sha256_hex(),
                Some(self.value.clone()),
            ),
            _ => (self.value.clone(), None),
        }
    }
}

/// Descriptive fields of a content item.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContentMeta {
    pub note: String,
    pub category: String,
    pub tags: Vec<String>,
    pub source: String,
}

impl ContentMeta {
    /// What an API client says of content it adds.
    pub fn from_api(
        note: Option<String>,
        category: Option<String>,
        tags: Option<Vec<String>>,
    ) -> Self {
        ContentMeta {
            note: note.unwrap_or_default(),
            category: category.unwrap_or_default(),
            tags: tags.unwrap_or_default(),
            source: "api".into(),
        }
    }
}

/// The signals of an uploaded image: PDQ (with its quality), MD5 and SHA-256.
pub fn image_signals(fp: &lindung_media::Fingerprint) -> Result<Vec<NewSignal>, BankError> {
    Ok(vec![
        NewSignal::new(
            SignalType::Pdq,
            &fp.pdq.hash.to_string(),
            Some(i32::from(fp.pdq.quality)),
        )?,
        NewSignal::new(SignalType::Md5, &fp.digests.md5_hex(), None)?,
        NewSignal::new(SignalType::Sha256, &fp.digests.sha256_hex(), None)?,
    ])
}

/// The signals of an uploaded video: its vPDQ and the file's MD5 (as `video_md5`).
pub fn video_signals(
    fp: &lindung_media::video::VideoFingerprint,
) -> Result<Vec<NewSignal>, BankError> {
    Ok(vec![
        NewSignal::video(&fp.frames)?,
        NewSignal::new(SignalType::VideoMd5, &fp.digests.md5_hex(), None)?,
    ])
}
