//! Timestamps as Sahara writes them: naive UTC `YYYY-MM-DDTHH:MM:SS`, microseconds dropped, no zone.
//!
//! Sahara's `to_dict` (`created_at`, `updated_at`) and its REST serializer (`start_time`, `end_time`) both
//! strip the fraction from `isoformat()`. Parsing is lenient: a fraction, a space instead of `T` (MySQL) and a
//! trailing `Z` / `+00:00` are accepted.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// The output format of every Sahara timestamp.
pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// Formats `t` the way Sahara does (`2024-05-01T10:20:30`).
pub fn format(t: &NaiveDateTime) -> String {
    // What `FORMAT` writes, without interpreting it each time: four-digit years and no leap
    // second (chrono writes anything else its own way).
    let year = t.year();
    if !(0..=9999).contains(&year) || t.nanosecond() >= 1_000_000_000 {
        return t.format(FORMAT).to_string();
    }
    fn push(out: &mut String, n: u32, width: u32) {
        for shift in (0..width).rev() {
            out.push(char::from(b'0' + ((n / 10u32.pow(shift)) % 10) as u8));
        }
    }
    let mut out = String::with_capacity(19);
    push(&mut out, year.unsigned_abs(), 4);
    out.push('-');
    push(&mut out, t.month(), 2);
    out.push('-');
    push(&mut out, t.day(), 2);
    out.push('T');
    push(&mut out, t.hour(), 2);
    out.push(':');
    push(&mut out, t.minute(), 2);
    out.push(':');
    push(&mut out, t.second(), 2);
    out
}

/// Drops the sub-second part, as Sahara does before answering.
pub fn truncate(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(0).unwrap_or(t)
}

/// Parses a Sahara, ISO-8601 or MySQL timestamp; `None` when it is none of those.
pub fn parse(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let s = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .or_else(|| s.strip_suffix("+0000"))
        .unwrap_or(s);
    if let Some(t) = parse_plain(s) {
        return Some(t);
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// The common forms of [`parse`] without interpreting a format: `YYYY-MM-DD(T| )HH:MM:SS`
/// with an optional `.` and 1 to 9 fraction digits, a valid date and time and no leap second.
/// `None` leaves anything else to chrono.
fn parse_plain(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r)?
            .iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            let n = digits(20..b.len())?;
            n * 10u32.pow(9 - u32::try_from(frac.len()).ok()?)
        }
        _ => return None,
    };
    let sec = digits(17..19)?;
    if sec >= 60 {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(5..7)?, digits(8..10)?)?;
    date.and_hms_nano_opt(digits(11..13)?, digits(14..16)?, sec, nanos)
}

/// Serde helpers for a required timestamp field (`#[serde(with = "timestamp::required")]`).
pub mod required {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the timestamp in Sahara's format.
    pub fn serialize<S: Serializer>(t: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format(t))
    }

    /// Reads a timestamp leniently (see [`super::parse`]).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp '{s}'")))
    }
}

/// Serde helpers for a nullable timestamp column (`#[serde(default, with = "timestamp::option")]`).
pub mod option {
    use chrono::NaiveDateTime;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Writes the timestamp in Sahara's format, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&super::format(t)),
            None => s.serialize_none(),
        }
    }

    /// Reads a timestamp or `null`; an empty string counts as `null`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDateTime>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => super::parse(&s)
                .map(Some)
                .ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp '{s}'"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn dt(h: u32, m: u32, s: u32, micro: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 5, 1)
            .unwrap()
            .and_hms_micro_opt(h, m, s, micro)
            .unwrap()
    }

    #[test]
    fn format_drops_microseconds_and_zone() {
        assert_eq!(format(&dt(10, 20, 30, 123_456)), "2024-05-01T10:20:30");
        assert_eq!(format(&dt(0, 0, 0, 0)), "2024-05-01T00:00:00");
    }

    #[test]
    fn parse_accepts_sahara_iso_and_mysql_forms() {
        assert_eq!(parse("2024-05-01T10:20:30"), Some(dt(10, 20, 30, 0)));
        assert_eq!(parse("2024-05-01T10:20:30.123456"), Some(dt(10, 20, 30, 123_456)));
        assert_eq!(parse("2024-05-01 10:20:30"), Some(dt(10, 20, 30, 0)));
        assert_eq!(parse("2024-05-01T10:20:30Z"), Some(dt(10, 20, 30, 0)));
        assert_eq!(parse("2024-05-01T10:20:30+00:00"), Some(dt(10, 20, 30, 0)));
        assert_eq!(parse("yesterday"), None);
    }

    #[test]
    fn fast_paths_agree_with_chrono() {
        let chrono_parse = |s: &str| {
            ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        };
        for s in [
            "2024-05-01T10:20:30",
            "2024-05-01 10:20:30",
            "2024-05-01T10:20:30.5",
            "2024-05-01T10:20:30.123456",
            "2024-05-01T10:20:30.123456789",
            "2024-05-01T10:20:30.1234567891",
            "2024-02-30T10:20:30",
            "2024-05-01T24:00:00",
            "2024-05-01T23:59:60",
            "0000-01-01T00:00:00",
            "2024-05-01T10:20:3x",
            "2024-05-01T10:20:30.",
            "2024-05-01t10:20:30",
            "2024-05-01T10:20",
            "+2024-05-01T10:20:30",
        ] {
            assert_eq!(parse_plain(s).or_else(|| chrono_parse(s)), chrono_parse(s), "{s}");
            if let Some(t) = parse_plain(s) {
                assert_eq!(Some(t), chrono_parse(s), "{s}");
            }
        }
        for t in [dt(10, 20, 30, 123_456), dt(0, 0, 0, 0), dt(23, 59, 59, 999_999)] {
            assert_eq!(format(&t), t.format(FORMAT).to_string());
        }
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_milli_opt(23, 59, 59, 1_500)
            .unwrap();
        assert_eq!(format(&leap), leap.format(FORMAT).to_string());
        let far = NaiveDate::from_ymd_opt(12345, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        assert_eq!(format(&far), far.format(FORMAT).to_string());
    }

    #[test]
    fn truncate_removes_fraction() {
        assert_eq!(truncate(dt(1, 2, 3, 999_999)), dt(1, 2, 3, 0));
    }
}
