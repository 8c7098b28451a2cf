//! Timestamps as Sahara writes them: naive UTC `YYYY-MM-DDTHH:MM:SS`, microseconds dropped, no zone.
//!
//! Sahara's `to_dict` (`created_at`, `updated_at`) and its REST serializer (`start_time`, `end_time`) both
//! strip the fraction from `isoformat()`. Parsing is lenient: a fraction, a space instead of `T` (MySQL) and a
//! trailing `Z` / `+00:00` are accepted.

use chrono::{NaiveDateTime, Timelike};

/// The output format of every Sahara timestamp.
pub const FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// Formats `t` the way Sahara does (`2024-05-01T10:20:30`).
pub fn format(t: &NaiveDateTime) -> String {
    t.format(FORMAT).to_string()
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
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
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
    fn truncate_removes_fraction() {
        assert_eq!(truncate(dt(1, 2, 3, 999_999)), dt(1, 2, 3, 0));
    }
}
