//! The deployment's local time, for people reading pages: every country of the region keeps one
//! fixed offset from UTC all year (no daylight saving), so a zone is an offset, named by the
//! IANA name staff know. APIs and exports keep RFC 3339 in UTC.

use std::sync::OnceLock;

use time::{OffsetDateTime, UtcOffset};

/// The zones of South-East Asia by IANA name, with their fixed offsets (hours, minutes).
const ZONES: &[(&str, i8, i8)] = &[
    ("UTC", 0, 0),
    ("Asia/Bangkok", 7, 0),
    ("Asia/Ho_Chi_Minh", 7, 0),
    ("Asia/Vientiane", 7, 0),
    ("Asia/Phnom_Penh", 7, 0),
    ("Asia/Jakarta", 7, 0),
    ("Asia/Pontianak", 7, 0),
    ("Asia/Makassar", 8, 0),
    ("Asia/Jayapura", 9, 0),
    ("Asia/Kuala_Lumpur", 8, 0),
    ("Asia/Kuching", 8, 0),
    ("Asia/Singapore", 8, 0),
    ("Asia/Manila", 8, 0),
    ("Asia/Brunei", 8, 0),
    ("Asia/Dili", 9, 0),
    ("Asia/Yangon", 6, 30),
];

/// The zone pages show times in, when none is configured: Bangkok, Hanoi, Vientiane, Phnom
/// Penh and Jakarta all keep UTC+7.
pub const DEFAULT_ZONE: &str = "Asia/Bangkok";

static LOCAL: OnceLock<UtcOffset> = OnceLock::new();

/// The offset of a zone named by its IANA name (`Asia/Manila`) or as `+08:00`.
pub fn parse_zone(name: &str) -> Result<UtcOffset, String> {
    let name = name.trim();
    if let Some(&(_, h, m)) = ZONES.iter().find(|(zone, _, _)| *zone == name) {
        return UtcOffset::from_hms(h, m, 0).map_err(|e| e.to_string());
    }
    parse_offset(name).ok_or_else(|| {
        let known: Vec<&str> = ZONES.iter().map(|(zone, _, _)| *zone).collect();
        format!(
            "unknown time zone {name:?}: name one of {} or an offset such as +07:00",
            known.join(", ")
        )
    })
}

/// `+07:00` or `-03:30`.
fn parse_offset(text: &str) -> Option<UtcOffset> {
    let sign: i8 = match text.get(..1)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let (hours, minutes) = text.get(1..)?.split_once(':')?;
    if hours.len() != 2 || minutes.len() != 2 {
        return None;
    }
    let hours: i8 = hours.parse().ok()?;
    let minutes: i8 = minutes.parse().ok()?;
    UtcOffset::from_hms(sign * hours, sign * minutes, 0).ok()
}

/// Sets the zone pages use, once, at start-up.
pub fn set_local_zone(offset: UtcOffset) {
    let _ = LOCAL.set(offset);
}

pub fn local_offset() -> UtcOffset {
    *LOCAL.get_or_init(|| UtcOffset::from_hms(7, 0, 0).unwrap_or(UtcOffset::UTC))
}

/// A time as people of the region write it, to the minute, in the deployment's zone:
/// day/month/year; Thai in the Buddhist era (year + 543), as Thai documents date things.
pub fn local_time(lang: &str, at: OffsetDateTime) -> String {
    let local = at.to_offset(local_offset());
    let year = if lang == "th" {
        local.year() + 543
    } else {
        local.year()
    };
    format!(
        "{:02}/{:02}/{} {:02}:{:02}",
        local.day(),
        u8::from(local.month()),
        year,
        local.hour(),
        local.minute()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_are_the_offsets_of_the_region() {
        // Offsets from each country's official time (no daylight saving anywhere in the region).
        assert_eq!(
            parse_zone("Asia/Yangon").expect("valid"),
            UtcOffset::from_hms(6, 30, 0).expect("valid")
        );
        assert_eq!(
            parse_zone("Asia/Manila").expect("valid"),
            UtcOffset::from_hms(8, 0, 0).expect("valid")
        );
        assert_eq!(
            parse_zone("+09:00").expect("valid"),
            UtcOffset::from_hms(9, 0, 0).expect("valid")
        );
        let error = parse_zone("Europe/Nowhere").expect_err("an unknown zone");
        assert!(error.contains("Asia/Bangkok"), "{error}");
    }

    #[test]
    fn times_are_local_to_the_minute_and_thai_years_are_buddhist_era() {
        // 2026-11-30 17:05:59.123456 UTC is 1 December 2026, 00:05 in Bangkok (UTC+7);
        // the Buddhist-era year is 2026 + 543 = 2569.
        let at =
            OffsetDateTime::from_unix_timestamp_nanos(1_796_058_359_123_456_000).expect("valid");
        assert_eq!(crate::helpers::rfc3339(at), "2026-11-30T17:05:59.123456Z");
        assert_eq!(local_time("en", at), "01/12/2026 00:05");
        assert_eq!(local_time("th", at), "01/12/2569 00:05");
    }
}
