//! vPDQ: video hashes as PDQ per sampled frame, their two text forms, and video-to-video
//! matching with the semantics of python-threatexchange (the default) or Meta's C++ tools.
//!
//! Frame decoding is separate; this module works on hashed frames.

use pdq::Hash256;

/// One hashed frame.
#[derive(Clone, Debug, PartialEq)]
pub struct VpdqFrame {
    /// Decoded-frame number, counting from 0.
    pub frame: u64,
    /// PDQ quality, 0 to 100.
    pub quality: u8,
    /// The frame's PDQ hash.
    pub hash: Hash256,
    /// Seconds from the start: `frame / fps`.
    pub timestamp: f64,
}

/// A line or entry that could not be read, with its 1-based position.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{what} {at}: {message}")]
pub struct VpdqParseError {
    /// "line" in the line format, "entry" in the signal string.
    pub what: &'static str,
    /// 1-based line or entry number (0: the whole input).
    pub at: usize,
    /// What is wrong.
    pub message: String,
}

fn parse_quality(text: &str) -> Result<u8, String> {
    text.trim()
        .parse::<u8>()
        .ok()
        .filter(|q| *q <= 100)
        .ok_or_else(|| format!("quality {text:?} is not an integer from 0 to 100"))
}

fn parse_timestamp(text: &str) -> Result<f64, String> {
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|t| t.is_finite() && *t >= 0.0)
        .ok_or_else(|| format!("timestamp {text:?} is not a non-negative number"))
}

fn parse_hash(text: &str) -> Result<Hash256, String> {
    Hash256::parse(text.trim()).map_err(|e| format!("{:?} is not a PDQ hash: {e}", text.trim()))
}

/// Reads the reference tools' format: one `frameNumber,quality,pdqHex,timestampSeconds` line
/// per frame. Blank lines are ignored; anything else malformed is an error naming its line.
pub fn parse_frames(text: &str) -> Result<Vec<VpdqFrame>, VpdqParseError> {
    let mut frames = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let error = |message: String| VpdqParseError {
            what: "line",
            at: index + 1,
            message,
        };
        let fields: Vec<&str> = line.split(',').collect();
        let [frame, quality, hash, timestamp] = fields[..] else {
            return Err(error(format!(
                "expected frameNumber,quality,pdqHex,timestampSeconds, found {} fields",
                fields.len()
            )));
        };
        frames.push(VpdqFrame {
            frame: frame
                .trim()
                .parse()
                .map_err(|_| error(format!("frame number {frame:?} is not a whole number")))?,
            quality: parse_quality(quality).map_err(error)?,
            hash: parse_hash(hash).map_err(error)?,
            timestamp: parse_timestamp(timestamp).map_err(error)?,
        });
    }
    Ok(frames)
}

/// Writes the reference tools' format (timestamps with `%.3f`).
pub fn write_frames(frames: &[VpdqFrame]) -> String {
    let mut out = String::with_capacity(frames.len() * 80);
    for f in frames {
        out.push_str(&format!(
            "{},{},{},{:.3}\n",
            f.frame, f.quality, f.hash, f.timestamp
        ));
    }
    out
}

/// Formats like Python's `'{:.3}'.format(x)`: 3 significant digits, scientific notation when
/// the exponent is below -4 or when fixed notation would leave no digit after the point, and
/// at least one digit after the point otherwise.
pub fn python_3g(x: f64) -> String {
    const PRECISION: i32 = 3;
    if x == 0.0 {
        return "0.0".into();
    }
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, x);
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if !(-4..PRECISION - 1).contains(&exponent) {
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        let sign = if exponent < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exponent.abs());
    }
    let decimals = (PRECISION - 1 - exponent).max(1) as usize;
    let fixed = format!("{x:.decimals$}");
    let trimmed = fixed.trim_end_matches('0');
    if trimmed.ends_with('.') {
        format!("{trimmed}0")
    } else {
        trimmed.to_owned()
    }
}

/// The python-threatexchange / HMA `vpdq` signal string: a JSON list of `"hex,quality,ts"`.
pub fn to_signal(frames: &[VpdqFrame]) -> String {
    let entries: Vec<String> = frames
        .iter()
        .map(|f| format!("{},{},{}", f.hash, f.quality, python_3g(f.timestamp)))
        .collect();
    serde_json::to_string(&entries).unwrap_or_else(|_| "[]".into())
}

/// Reads a `vpdq` signal string. It carries no frame numbers; frames are numbered by position.
pub fn parse_signal(text: &str) -> Result<Vec<VpdqFrame>, VpdqParseError> {
    let entries: Vec<String> = serde_json::from_str(text).map_err(|e| VpdqParseError {
        what: "entry",
        at: 0,
        message: format!("not a JSON list of strings: {e}"),
    })?;
    entries
        .iter()
        .enumerate()
        .map(|(i, entry)| {
            let error = |message: String| VpdqParseError {
                what: "entry",
                at: i + 1,
                message,
            };
            let fields: Vec<&str> = entry.split(',').collect();
            let [hash, quality, timestamp] = fields[..] else {
                return Err(error(format!(
                    "expected \"hex,quality,timestamp\", found {entry:?}"
                )));
            };
            Ok(VpdqFrame {
                frame: i as u64,
                quality: parse_quality(quality).map_err(error)?,
                hash: parse_hash(hash).map_err(error)?,
                timestamp: parse_timestamp(timestamp).map_err(error)?,
            })
        })
        .collect()
}

/// Whose matching rules to follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Semantics {
    /// python-threatexchange and HMA: dedupe identical hashes (first kept), drop frames below
    /// the quality threshold, match at distance <= the threshold.
    #[default]
    Pytx,
    /// Meta's C++ `matchTwoHashBrute`: no dedupe, drop low-quality frames, match at distance
    /// strictly below the threshold.
    Cpp,
}

/// Matching parameters; the defaults are python-threatexchange's.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MatchOptions {
    /// Whose rules.
    pub semantics: Semantics,
    /// Frames with a lower quality are ignored.
    pub quality_threshold: u8,
    /// PDQ distance threshold (inclusive for `Pytx`, exclusive for `Cpp`).
    pub distance: u32,
    /// A video matches when at least this share of the query's frames match (percent).
    pub query_match_threshold: f64,
    /// ... and at least this share of the target's frames (percent).
    pub target_match_threshold: f64,
}

impl Default for MatchOptions {
    fn default() -> Self {
        MatchOptions {
            semantics: Semantics::Pytx,
            quality_threshold: 50,
            distance: 31,
            query_match_threshold: 80.0,
            target_match_threshold: 0.0,
        }
    }
}

/// How much two videos overlap.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VideoMatch {
    /// Percent of the query's (usable) frames that match some target frame.
    pub query_pct: f64,
    /// Percent of the target's (usable) frames that match some query frame.
    pub target_pct: f64,
}

impl VideoMatch {
    /// Whether both shares reach the thresholds of `options`.
    pub fn is_match(&self, options: &MatchOptions) -> bool {
        self.query_pct >= options.query_match_threshold
            && self.target_pct >= options.target_match_threshold
    }
}

fn usable(frames: &[VpdqFrame], options: &MatchOptions) -> Vec<Hash256> {
    let mut seen = std::collections::HashSet::new();
    frames
        .iter()
        .filter(|f| options.semantics == Semantics::Cpp || seen.insert(f.hash))
        .filter(|f| f.quality >= options.quality_threshold)
        .map(|f| f.hash)
        .collect()
}

/// Compares every usable frame of one video with every usable frame of the other.
pub fn match_videos(
    query: &[VpdqFrame],
    target: &[VpdqFrame],
    options: &MatchOptions,
) -> VideoMatch {
    let q = usable(query, options);
    let t = usable(target, options);
    let close = |a: &Hash256, b: &Hash256| {
        let d = a.distance(b);
        match options.semantics {
            Semantics::Pytx => d <= options.distance,
            Semantics::Cpp => d < options.distance,
        }
    };
    let matched_q = q.iter().filter(|a| t.iter().any(|b| close(a, b))).count();
    let matched_t = t.iter().filter(|b| q.iter().any(|a| close(a, b))).count();
    let pct = |n: usize, of: usize| {
        if of == 0 {
            0.0
        } else {
            n as f64 * 100.0 / of as f64
        }
    };
    VideoMatch {
        query_pct: pct(matched_q, q.len()),
        target_pct: pct(matched_t, t.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::python_3g;

    #[test]
    fn formats_like_python() {
        for (x, expected) in [
            (0.0, "0.0"),
            (0.033, "0.033"),
            (0.0333333, "0.0333"),
            (1.0, "1.0"),
            (2.5, "2.5"),
            (10.0, "10.0"),
            (12.345, "12.3"),
            (9.999, "10.0"),
            (99.5, "99.5"),
            (99.96, "1e+02"),
            (100.5, "1e+02"),
            (123.4, "1.23e+02"),
            (1000.0, "1e+03"),
            (0.0001, "0.0001"),
            (0.000012345, "1.23e-05"),
        ] {
            assert_eq!(python_3g(x), expected, "{x}");
        }
    }
}
