//! Sahara's custom jsonschema types (`configs`, `simple_config`, `flavor`) and formats (`valid_name_hostname`,
//! `valid_name`, `valid_keypair_name`, `valid_tag`, `uuid`, `posix_path`, `valid_job_location`), with the Python
//! library behaviour they rest on: `re.match(...$)` accepting one trailing newline, `int()` of a string,
//! `oslo_utils.uuidutils.is_uuid_like` and `urllib.parse.urlparse` (Python 3.11.7).

use serde_json::Value;

use crate::schemas::DEFAULT_JOB_BINARY_TYPES;
use crate::unicode_tables::{DECIMAL_DIGITS, NFKC_URL_DELIMS, WHITESPACE};
use crate::validator::Abort;

fn in_ranges(table: &[(u32, u32)], c: char) -> Option<(u32, u32)> {
    let cp = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < cp {
                std::cmp::Ordering::Less
            } else if lo > cp {
                std::cmp::Ordering::Greater
            } else {
                std::cmp::Ordering::Equal
            }
        })
        .ok()
        .map(|i| table[i])
}

/// Whitespace as `int()` skips it: ASCII `Py_ISSPACE` (not `\x1c`..`\x1f`, which `str.isspace` accepts) and
/// every non-ASCII `str.isspace` character.
fn int_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ') || in_ranges(WHITESPACE, c).is_some()
}

/// The value of a decimal digit as Python's `int()` reads it (ASCII or any Unicode `Nd` digit).
fn py_decimal(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return Some(c as u32 - '0' as u32);
    }
    in_ranges(DECIMAL_DIGITS, c).map(|(lo, _)| c as u32 - lo)
}

/// Whether Python's `int(s)` succeeds: surrounding whitespace, a sign, decimal digits (any script) with single
/// underscores between them, at most 4300 digits.
fn py_int_parses(s: &str) -> bool {
    let t: Vec<char> = s.chars().collect();
    let (mut a, mut b) = (0, t.len());
    while a < b && int_space(t[a]) {
        a += 1;
    }
    while b > a && int_space(t[b - 1]) {
        b -= 1;
    }
    let mut body = &t[a..b];
    if let Some(first) = body.first()
        && (*first == '+' || *first == '-')
    {
        body = &body[1..];
    }
    if body.is_empty() {
        return false;
    }
    let mut digits = 0usize;
    let mut prev_digit = false;
    for &c in body {
        if py_decimal(c).is_some() {
            digits += 1;
            prev_digit = true;
        } else if c == '_' && prev_digit {
            prev_digit = false;
        } else {
            return false;
        }
    }
    prev_digit && digits <= 4300
}

/// `oslo_utils.uuidutils.is_uuid_like`: after dropping `urn:` and `uuid:`, stripping braces at both ends and
/// removing dashes, exactly 32 hex digits (either case).
pub(crate) fn is_uuid_like(s: &str) -> bool {
    let s = s.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `value` satisfies Sahara's `configs` type: an object of objects whose values are strings or integers (bools
/// included, Python's bool being an int).
pub(crate) fn is_configs(value: &Value) -> bool {
    let Value::Object(map) = value else { return false };
    map.values()
        .all(|inner| matches!(inner, Value::Object(_)) && is_simple_config(inner))
}

/// `value` satisfies Sahara's `simple_config` type: a flat object whose values are strings or integers (bools
/// included).
pub(crate) fn is_simple_config(value: &Value) -> bool {
    let Value::Object(map) = value else { return false };
    map.values()
        .all(|v| matches!(v, Value::String(_) | Value::Bool(_)) || is_py_int(v))
}

/// A JSON number that Python's json parses to an `int` (not a float).
pub(crate) fn is_py_int(value: &Value) -> bool {
    matches!(value, Value::Number(n) if n.is_i64() || n.is_u64())
}

/// Sahara's `flavor` type: an int (not bool), a string `int()` accepts, or a UUID-like string.
pub(crate) fn is_flavor(value: &Value) -> bool {
    match value {
        Value::Number(_) => is_py_int(value),
        Value::String(s) => py_int_parses(s) || is_uuid_like(s),
        _ => false,
    }
}

/// `s` with one trailing `\n` removed: what `re.match("^...$")` sees, `$` matching before a final newline.
fn re_dollar(s: &str) -> &str {
    s.strip_suffix('\n').unwrap_or(s)
}

fn dotted_labels(s: &str, first: fn(char) -> bool, middle: fn(char) -> bool) -> bool {
    re_dollar(s).split('.').all(|label| {
        let chars: Vec<char> = label.chars().collect();
        match chars.as_slice() {
            [] => false,
            [c] => first(*c),
            [f, mid @ .., l] => first(*f) && l.is_ascii_alphanumeric() && mid.iter().all(|c| middle(*c)),
        }
    })
}

/// Run the format checker `format` on `value` as Sahara's `FormatChecker` does: `Ok(true)` when it passes (always
/// for non-strings and unknown formats), `Err` when the checker raises.
pub(crate) fn check_format(format: &str, value: &Value) -> Result<bool, Abort> {
    let Value::String(s) = value else { return Ok(true) };
    Ok(match format {
        "valid_name_hostname" => {
            s.is_empty()
                || dotted_labels(
                    s,
                    |c| c.is_ascii_alphabetic(),
                    |c| c.is_ascii_alphanumeric() || c == '-',
                )
        }
        "valid_name" => {
            let s = re_dollar(s);
            let mut chars = s.chars();
            chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
                && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        }
        "valid_keypair_name" => {
            let s = re_dollar(s);
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ' '))
        }
        "valid_tag" => dotted_labels(
            s,
            |c| c.is_ascii_alphanumeric(),
            |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
        ),
        "uuid" => is_uuid_like(s),
        "posix_path" => {
            let s = re_dollar(s);
            s.starts_with('/')
                && s[1..].split('/').all(|seg| {
                    !seg.is_empty() && seg.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        }
        "valid_job_location" => valid_job_location(s)?,
        _ => true,
    })
}

/// The parts of `urllib.parse.urlsplit` the job-binary checks read.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct UrlSplit {
    /// Lower-cased scheme, empty when the URL has none.
    pub scheme: String,
    /// The authority after `//`.
    pub netloc: String,
    /// The path (query and fragment removed).
    pub path: String,
}

impl UrlSplit {
    /// `SplitResult.hostname`, `None` when empty.
    pub fn hostname(&self) -> Option<String> {
        let hostinfo = self.netloc.rsplit_once('@').map_or(self.netloc.as_str(), |(_, h)| h);
        let host = match hostinfo.split_once('[') {
            Some((_, bracketed)) => bracketed.split_once(']').map_or(bracketed, |(h, _)| h),
            None => hostinfo.split_once(':').map_or(hostinfo, |(h, _)| h),
        };
        (!host.is_empty()).then(|| host.to_string())
    }
}

/// `urllib.parse.urlsplit` of Python 3.11.7; `Err` where Python raises `ValueError`.
pub(crate) fn urlsplit(url: &str) -> Result<UrlSplit, Abort> {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let url: String = url.chars().filter(|c| !matches!(c, '\t' | '\r' | '\n')).collect();
    let mut split = UrlSplit::default();
    let mut rest = url.as_str();
    if let Some(i) = url.find(':')
        && i > 0
        && url.as_bytes()[0].is_ascii_alphabetic()
        && url[..i]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        split.scheme = url[..i].to_ascii_lowercase();
        rest = &url[i + 1..];
    }
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let netloc = &after[..end];
        rest = &after[end..];
        if netloc.contains('[') != netloc.contains(']') {
            return Err(Abort::Internal("ValueError: Invalid IPv6 URL".into()));
        }
        if netloc.contains('[') {
            let bracketed = netloc.split_once('[').map_or("", |(_, b)| b);
            let host = bracketed.split_once(']').map_or(bracketed, |(h, _)| h);
            check_bracketed_host(host)?;
        }
        split.netloc = netloc.to_string();
    }
    if let Some((before, _)) = rest.split_once('#') {
        rest = before;
    }
    if let Some((before, _)) = rest.split_once('?') {
        rest = before;
    }
    if !split.netloc.is_ascii()
        && split
            .netloc
            .chars()
            .filter(|c| !matches!(c, '@' | ':' | '#' | '?'))
            .any(|c| in_ranges(NFKC_URL_DELIMS, c).is_some())
    {
        return Err(Abort::Internal(format!(
            "ValueError: netloc '{}' contains invalid characters under NFKC normalization",
            split.netloc
        )));
    }
    split.path = rest.to_string();
    Ok(split)
}

/// `urllib.parse._check_bracketed_host`: an IPvFuture literal or an IPv6 address (with an optional zone).
fn check_bracketed_host(host: &str) -> Result<(), Abort> {
    if let Some(future) = host.strip_prefix('v') {
        let hex = future.bytes().take_while(|b| b.is_ascii_hexdigit()).count();
        let ok = hex > 0 && future[hex..].strip_prefix('.').is_some_and(|r| !r.is_empty());
        return if ok {
            Ok(())
        } else {
            Err(Abort::Internal("ValueError: IPvFuture address is invalid".into()))
        };
    }
    let (addr, zone) = match host.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (host, None),
    };
    let zone_ok = zone.is_none_or(|z| !z.is_empty() && !z.contains('%'));
    if zone_ok && addr.parse::<std::net::Ipv6Addr>().is_ok() {
        Ok(())
    } else {
        Err(Abort::Internal(format!(
            "ValueError: '{host}' does not appear to be an IPv4 or IPv6 address"
        )))
    }
}

/// Sahara's `valid_job_location`: the job-binary type named by the URL scheme checks the URL.
fn valid_job_location(entry: &str) -> Result<bool, Abort> {
    let url = urlsplit(entry)?;
    if url.scheme.is_empty() {
        return Err(Abort::InvalidData("Job binary url must have a scheme".into()));
    }
    if !DEFAULT_JOB_BINARY_TYPES.contains(&url.scheme.as_str()) {
        return Err(Abort::InvalidData("Invalid job binary".into()));
    }
    Ok(match url.scheme.as_str() {
        "internal-db" => is_uuid_like(&url.netloc),
        "manila" => entry.starts_with("manila://") && is_uuid_like(&url.netloc) && !url.path.is_empty(),
        // swift and s3: a host is required.
        _ => url.hostname().is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int() {
        for ok in [
            "12",
            " 12 ",
            "+5",
            "-0",
            "1_000",
            "\u{661}\u{662}",
            "\u{3000}7\u{3000}",
            "007",
        ] {
            assert!(py_int_parses(ok), "{ok:?}");
        }
        for bad in ["", " ", "1__0", "_1", "1_", "1.0", "0x10", "1e3", "+", "١_"] {
            assert!(!py_int_parses(bad), "{bad:?}");
        }
    }

    #[test]
    fn uuid_like() {
        assert!(is_uuid_like("{urn:uuid:3D5C7F6A-1B2C-4D3E-8F9A-0B1C2D3E4F5A}"));
        assert!(is_uuid_like("3d5c7f6a1b2c4d3e8f9a0b1c2d3e4f5a"));
        assert!(!is_uuid_like("3d5c7f6a-1b2c-4d3e-8f9a-0b1c2d3e4f5"));
        assert!(!is_uuid_like("URN:3d5c7f6a1b2c4d3e8f9a0b1c2d3e4f5a"));
    }

    #[test]
    fn urls() {
        let u = urlsplit(" Swift://user@host:8080/c/o?x#y").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.netloc.as_str(), u.path.as_str()),
            ("swift", "user@host:8080", "/c/o")
        );
        assert_eq!(u.hostname().as_deref(), Some("host"));
        assert!(urlsplit("swift://[x/y").is_err());
        assert!(urlsplit("swift://[::1]/y").is_ok());
        assert!(urlsplit("swift://[1.2.3.4]/y").is_err());
    }
}
