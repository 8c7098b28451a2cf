//! The normalisation the replay tests apply to both Sahara's recorded answers and ours: ids of created objects
//! as `{variable}`, other UUIDs as `<uuid>`, timestamps as `<time>`, node groups by name.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Whether `s` is a lower-case hyphenated UUID.
pub fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
}

/// Whether `s` is a timestamp as Sahara renders them (`YYYY-MM-DDTHH:MM:SS[.ffffff]`).
pub fn is_time(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| r.into_iter().all(|i| b.get(i).is_some_and(u8::is_ascii_digit));
    b.len() >= 19
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && (b.len() == 19 || (b[19] == b'.' && b.len() > 20 && digits(20..b.len())))
}

/// `s` with each UUID replaced by `{name}` when `names` knows it, else by `<uuid>`.
pub fn replace_uuids(s: &str, names: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        if i + 36 <= b.len() && is_uuid(&b[i..i + 36]) {
            let id = &s[i..i + 36];
            match names.get(id) {
                Some(var) => out.push_str(&format!("{{{var}}}")),
                None => out.push_str("<uuid>"),
            }
            i += 36;
        } else {
            let ch = s[i..].chars().next().unwrap();
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// `v` with timestamps as `<time>`, UUIDs replaced as [`replace_uuids`] does, and `node_groups` sorted by name.
pub fn normalise(v: &Value, names: &BTreeMap<String, String>) -> Value {
    match v {
        Value::Object(m) => {
            let mut out: Map<String, Value> = m.iter().map(|(k, x)| (k.clone(), normalise(x, names))).collect();
            if let Some(Value::Array(ngs)) = out.get_mut("node_groups") {
                ngs.sort_by_key(|ng| ng.get("name").and_then(Value::as_str).unwrap_or("").to_string());
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| normalise(x, names)).collect()),
        Value::String(s) if is_time(s) => Value::String("<time>".into()),
        Value::String(s) => Value::String(replace_uuids(s, names)),
        other => other.clone(),
    }
}
