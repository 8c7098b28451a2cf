//! Option value types as oslo.config's `types` module defines them: parsing of raw strings into
//! [`Value`]s with oslo's rules and error texts, and conversion of values into Rust types.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::spec::Choice;

/// The type of an option, with its constraints.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum OptKind {
    /// A string, optionally restricted to choices.
    Str {
        /// Allowed values and their descriptions (empty: any value).
        choices: &'static [Choice],
        /// Whether choices are compared case-insensitively.
        ignore_case: bool,
    },
    /// `true/false/yes/no/on/off/1/0`, any case.
    Bool,
    /// An integer with optional bounds.
    Int {
        /// Smallest allowed value.
        min: Option<i64>,
        /// Largest allowed value.
        max: Option<i64>,
    },
    /// A floating point number with optional bounds.
    Float {
        /// Smallest allowed value.
        min: Option<f64>,
        /// Largest allowed value.
        max: Option<f64>,
    },
    /// A port number within `min..=max` (0-65535 by default).
    Port {
        /// Smallest allowed port.
        min: i64,
        /// Largest allowed port.
        max: i64,
    },
    /// Comma separated strings, trimmed; an empty value is an empty list.
    List,
    /// `key:value` pairs separated by commas.
    Dict,
    /// One string per occurrence of the key.
    MultiStr,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IP address or a host name.
    HostAddress,
    /// An IP address, a host name, or a domain name that may contain `_`.
    HostDomain,
    /// A URI with a scheme and a host.
    Uri,
}

/// A typed option value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// No value (unset option, or an empty integer/float value as oslo.config returns `None`).
    None,
    /// A string (also IP addresses, host names, URIs).
    Str(String),
    /// A boolean.
    Bool(bool),
    /// An integer (also ports).
    Int(i64),
    /// A floating point number.
    Float(f64),
    /// A list or the values of a multi-valued option.
    List(Vec<String>),
    /// A dictionary.
    Dict(BTreeMap<String, String>),
}

impl OptKind {
    /// The type name oslo-config-generator prints in the sample, e.g. `string value`.
    pub fn type_name(&self) -> &'static str {
        match self {
            OptKind::Str { .. } => "string value",
            OptKind::Bool => "boolean value",
            OptKind::Int { .. } => "integer value",
            OptKind::Float { .. } => "floating point value",
            OptKind::Port { .. } => "port value",
            OptKind::List => "list value",
            OptKind::Dict => "dict value",
            OptKind::MultiStr => "multi valued",
            OptKind::Ip => "IP address value",
            OptKind::HostAddress => "host address value",
            OptKind::HostDomain => "host domain value",
            OptKind::Uri => "uri value",
        }
    }

    /// Parses one raw (already interpolated) string; the error is oslo's reason text.
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        match *self {
            OptKind::Str { choices, ignore_case } => parse_choice(raw, choices, ignore_case).map(Value::Str),
            OptKind::Bool => parse_bool(raw).map(Value::Bool),
            OptKind::Int { min, max } => match parse_int(raw)? {
                None => Ok(Value::None),
                Some(n) => check_int_bounds(n, min, max).map(Value::Int),
            },
            OptKind::Port { min, max } => match parse_int(raw)? {
                None => Ok(Value::None),
                Some(n) => check_int_bounds(n, Some(min), Some(max)).map(Value::Int),
            },
            OptKind::Float { min, max } => match parse_float(raw)? {
                None => Ok(Value::None),
                Some(x) => check_float_bounds(x, min, max).map(Value::Float),
            },
            OptKind::List => Ok(Value::List(parse_list(raw))),
            OptKind::Dict => parse_dict(raw).map(Value::Dict),
            OptKind::MultiStr => Ok(Value::List(vec![raw.to_string()])),
            OptKind::Ip => parse_ip(raw).map(Value::Str),
            OptKind::HostAddress => parse_host_address(raw, false).map(Value::Str),
            OptKind::HostDomain => parse_host_address(raw, true).map(Value::Str),
            OptKind::Uri => parse_uri(raw).map(Value::Str),
        }
    }
}

/// Python's `repr()` of a string: single quotes unless the text contains one and no double quote.
pub(crate) fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `'%g'` formatting of a bound, as oslo puts it in range errors.
fn py_g(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

fn parse_choice(raw: &str, choices: &[Choice], ignore_case: bool) -> Result<String, String> {
    if choices.is_empty() {
        return Ok(raw.to_string());
    }
    let found = if ignore_case {
        let lower = raw.to_lowercase();
        choices.iter().any(|(c, _)| c.to_lowercase() == lower)
    } else {
        choices.iter().any(|(c, _)| *c == raw)
    };
    if found {
        Ok(raw.to_string())
    } else {
        let names: Vec<&str> = choices.iter().map(|(c, _)| *c).collect();
        Err(format!(
            "Valid values are [{}], but found {}",
            names.join(", "),
            py_repr(raw)
        ))
    }
}

/// Parses an oslo boolean: `true/1/on/yes` and `false/0/off/no`, any case.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.to_lowercase().as_str() {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" => Ok(false),
        _ => Err(format!("Unexpected boolean value {}", py_repr(raw))),
    }
}

/// Strips Python's numeric underscores (`1_000`), which are allowed only between digits.
fn strip_underscores(s: &str) -> Option<String> {
    if !s.contains('_') {
        return Some(s.to_string());
    }
    let chars: Vec<char> = s.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if *c == '_' {
            let before = i.checked_sub(1).and_then(|j| chars.get(j));
            let after = chars.get(i + 1);
            let ok = matches!(before, Some(b) if b.is_ascii_digit()) && matches!(after, Some(a) if a.is_ascii_digit());
            if !ok {
                return None;
            }
        }
    }
    Some(s.replace('_', ""))
}

/// Parses an integer like Python's `int()`; blank text is `None` as in oslo.config.
pub fn parse_int(raw: &str) -> Result<Option<i64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let invalid = || format!("invalid literal for int() with base 10: {}", py_repr(raw));
    let digits = strip_underscores(s).ok_or_else(invalid)?;
    digits.parse::<i64>().map(Some).map_err(|_| invalid())
}

/// Parses a float like Python's `float()`; blank text is `None` as in oslo.config.
pub fn parse_float(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let invalid = || format!("could not convert string to float: {}", py_repr(raw));
    let digits = strip_underscores(s).ok_or_else(invalid)?;
    digits.parse::<f64>().map(Some).map_err(|_| invalid())
}

fn check_int_bounds(n: i64, min: Option<i64>, max: Option<i64>) -> Result<i64, String> {
    if let Some(min) = min.filter(|m| n < *m) {
        return Err(format!("Should be greater than or equal to {min}"));
    }
    if let Some(max) = max.filter(|m| n > *m) {
        return Err(format!("Should be less than or equal to {max}"));
    }
    Ok(n)
}

fn check_float_bounds(x: f64, min: Option<f64>, max: Option<f64>) -> Result<f64, String> {
    if let Some(min) = min.filter(|m| x < *m) {
        return Err(format!("Should be greater than or equal to {}", py_g(min)));
    }
    if let Some(max) = max.filter(|m| x > *m) {
        return Err(format!("Should be less than or equal to {}", py_g(max)));
    }
    Ok(x)
}

/// Splits an oslo list: trailing commas dropped, items trimmed, blank text is an empty list.
pub fn parse_list(raw: &str) -> Vec<String> {
    let s = raw.trim().trim_end_matches(',');
    if s.is_empty() {
        return Vec::new();
    }
    s.split(',').map(|item| item.trim().to_string()).collect()
}

/// Parses an oslo dict `k1:v1,k2:v2` (a pair without `:` is joined with the next one, as oslo does).
pub fn parse_dict(raw: &str) -> Result<BTreeMap<String, String>, String> {
    let mut result = BTreeMap::new();
    let s = raw.trim();
    if s.is_empty() {
        return Ok(result);
    }
    let mut pairs: std::collections::VecDeque<&str> = s.split(',').collect();
    while let Some(first) = pairs.pop_front() {
        let mut pair = first.to_string();
        let (key, value) = loop {
            if let Some((k, v)) = pair.split_once(':') {
                break (k.trim().to_string(), v.trim().to_string());
            }
            match pairs.pop_front() {
                Some(next) => {
                    pair.push(',');
                    pair.push_str(next);
                }
                None => {
                    return Err("Value should be NAME:VALUE pairs separated by \",\"".to_string());
                }
            }
        };
        if key.is_empty() {
            return Err("Key name should not be empty".to_string());
        }
        if result.contains_key(&key) {
            return Err(format!("Duplicate key {key}"));
        }
        result.insert(key, value);
    }
    Ok(result)
}

fn is_ip(raw: &str) -> bool {
    raw.parse::<Ipv4Addr>().is_ok() || raw.parse::<Ipv6Addr>().is_ok()
}

/// Validates an IPv4 or IPv6 address.
pub fn parse_ip(raw: &str) -> Result<String, String> {
    if raw.is_empty() {
        return Err("IP address cannot be an empty string".to_string());
    }
    if is_ip(raw) {
        Ok(raw.to_string())
    } else {
        Err(format!("{raw} is not IPv4 or IPv6 address"))
    }
}

/// Checks a host name as oslo's `Hostname` type does (`allow_underscore` for `HostDomain`).
fn check_hostname(raw: &str, allow_underscore: bool) -> bool {
    if raw.is_empty() || raw.chars().count() > 253 {
        return false;
    }
    let name = raw.strip_suffix('.').unwrap_or(raw);
    let last = name.rsplit('.').next().unwrap_or(name);
    if !last.chars().any(|c| c.is_ascii_alphabetic() || c == '-') {
        return false;
    }
    name.split('.').all(|seg| {
        let len = seg.chars().count();
        (1..=63).contains(&len)
            && !seg.starts_with('-')
            && !seg.ends_with('-')
            && seg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || (allow_underscore && c == '_'))
    })
}

/// Validates an IP address or host name (`HostAddress`, or `HostDomain` with underscores).
pub fn parse_host_address(raw: &str, allow_underscore: bool) -> Result<String, String> {
    if is_ip(raw) || check_hostname(raw, false) || (allow_underscore && check_hostname(raw, true)) {
        Ok(raw.to_string())
    } else {
        Err(format!("{raw} is not a valid host address"))
    }
}

/// Validates a URI the way oslo's `URI` type does: a valid scheme and a valid host are required.
pub fn parse_uri(raw: &str) -> Result<String, String> {
    let invalid = |why: &str| format!("{raw} is not a valid URI: {why}");
    let (scheme, rest) = raw.split_once(':').ok_or_else(|| invalid("missing scheme"))?;
    let mut chars = scheme.chars();
    let scheme_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(invalid("invalid scheme"));
    }
    let after = rest.strip_prefix("//").ok_or_else(|| invalid("missing host"))?;
    let authority = after.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        let (addr, tail) = v6.split_once(']').ok_or_else(|| invalid("invalid host"))?;
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(invalid("invalid host"));
        }
        if !(tail.is_empty() || tail.strip_prefix(':').is_some_and(all_digits)) {
            return Err(invalid("invalid port"));
        }
        return Ok(raw.to_string());
    } else {
        match hostport.rsplit_once(':') {
            Some((h, port)) if all_digits(port) => h,
            Some(_) => return Err(invalid("invalid port")),
            None => hostport,
        }
    };
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-._~%!$&'()*+,;=".contains(c));
    if !host_ok {
        return Err(invalid("invalid host"));
    }
    Ok(raw.to_string())
}

fn all_digits(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit())
}

impl Value {
    /// The text Python's `str()` gives for this value, used when it is interpolated into another.
    pub fn to_template_string(&self) -> String {
        match self {
            Value::None => String::new(),
            Value::Str(s) => s.clone(),
            Value::Bool(true) => "True".to_string(),
            Value::Bool(false) => "False".to_string(),
            Value::Int(n) => n.to_string(),
            Value::Float(x) => {
                if x.fract() == 0.0 && x.abs() < 1e16 {
                    format!("{x:.1}")
                } else {
                    format!("{x}")
                }
            }
            Value::List(items) => {
                let inner: Vec<String> = items.iter().map(|s| py_repr(s)).collect();
                format!("[{}]", inner.join(", "))
            }
            Value::Dict(map) => {
                let inner: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", py_repr(k), py_repr(v)))
                    .collect();
                format!("{{{}}}", inner.join(", "))
            }
        }
    }

    /// A short name of the value's variant, for type mismatch errors.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Value::None => "no value",
            Value::Str(_) => "string",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::List(_) => "list",
            Value::Dict(_) => "dict",
        }
    }
}

/// Why a [`Value`] could not become the requested Rust type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FromValueError {
    /// The option has no value but the Rust type needs one.
    Missing,
    /// The value's variant does not fit the Rust type (a declaration bug, not user input).
    Mismatch {
        /// The value variant found.
        found: &'static str,
    },
    /// The number does not fit the Rust integer type.
    OutOfRange(String),
}

impl fmt::Display for FromValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FromValueError::Missing => write!(f, "the option has no value"),
            FromValueError::Mismatch { found } => write!(f, "found a {found}"),
            FromValueError::OutOfRange(n) => write!(f, "{n} is out of range"),
        }
    }
}

/// Rust types an option [`Value`] converts into (for `ConfigOpts::get` and group structs).
pub trait FromValue: Sized {
    /// The Rust type name, for error messages.
    const RUST_TYPE: &'static str;

    /// Converts the value.
    fn from_value(value: Value) -> Result<Self, FromValueError>;
}

impl FromValue for Value {
    const RUST_TYPE: &'static str = "Value";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        Ok(value)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    const RUST_TYPE: &'static str = T::RUST_TYPE;

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::None => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

impl FromValue for String {
    const RUST_TYPE: &'static str = "String";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::Str(s) => Ok(s),
            Value::None => Err(FromValueError::Missing),
            v => Err(FromValueError::Mismatch {
                found: v.variant_name(),
            }),
        }
    }
}

impl FromValue for bool {
    const RUST_TYPE: &'static str = "bool";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::Bool(b) => Ok(b),
            Value::None => Err(FromValueError::Missing),
            v => Err(FromValueError::Mismatch {
                found: v.variant_name(),
            }),
        }
    }
}

impl FromValue for f64 {
    const RUST_TYPE: &'static str = "f64";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::Float(x) => Ok(x),
            Value::None => Err(FromValueError::Missing),
            v => Err(FromValueError::Mismatch {
                found: v.variant_name(),
            }),
        }
    }
}

macro_rules! int_from_value {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            const RUST_TYPE: &'static str = stringify!($t);

            fn from_value(value: Value) -> Result<Self, FromValueError> {
                match value {
                    Value::Int(n) => <$t>::try_from(n)
                        .map_err(|_| FromValueError::OutOfRange(n.to_string())),
                    Value::None => Err(FromValueError::Missing),
                    v => Err(FromValueError::Mismatch { found: v.variant_name() }),
                }
            }
        }
    )*};
}

int_from_value!(i64, i32, u64, u32, u16, usize);

impl FromValue for Vec<String> {
    const RUST_TYPE: &'static str = "Vec<String>";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::List(items) => Ok(items),
            Value::None => Err(FromValueError::Missing),
            v => Err(FromValueError::Mismatch {
                found: v.variant_name(),
            }),
        }
    }
}

impl FromValue for BTreeMap<String, String> {
    const RUST_TYPE: &'static str = "BTreeMap<String, String>";

    fn from_value(value: Value) -> Result<Self, FromValueError> {
        match value {
            Value::Dict(map) => Ok(map),
            Value::None => Err(FromValueError::Missing),
            v => Err(FromValueError::Mismatch {
                found: v.variant_name(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STR: OptKind = OptKind::Str {
        choices: &[],
        ignore_case: false,
    };

    #[test]
    fn strings_pass_through_unchanged() {
        assert_eq!(STR.parse(" a b ").unwrap(), Value::Str(" a b ".into()));
        assert_eq!(STR.parse("").unwrap(), Value::Str(String::new()));
    }

    #[test]
    fn string_choices() {
        let kind = OptKind::Str {
            choices: &[("round-robin", None), ("shuffle", None)],
            ignore_case: false,
        };
        assert_eq!(kind.parse("shuffle").unwrap(), Value::Str("shuffle".into()));
        assert_eq!(
            kind.parse("Shuffle").unwrap_err(),
            "Valid values are [round-robin, shuffle], but found 'Shuffle'"
        );
        let ci = OptKind::Str {
            choices: &[("None", None), ("MAC", None), ("ENCRYPT", None)],
            ignore_case: true,
        };
        assert_eq!(ci.parse("encrypt").unwrap(), Value::Str("encrypt".into()));
        assert!(ci.parse("aes").is_err());
    }

    #[test]
    fn booleans_accept_oslo_spellings_in_any_case() {
        for t in ["true", "True", "TRUE", "1", "on", "On", "yes", "YES"] {
            assert_eq!(OptKind::Bool.parse(t).unwrap(), Value::Bool(true), "{t}");
        }
        for f in ["false", "False", "0", "off", "OFF", "no", "No"] {
            assert_eq!(OptKind::Bool.parse(f).unwrap(), Value::Bool(false), "{f}");
        }
        assert_eq!(
            OptKind::Bool.parse("maybe").unwrap_err(),
            "Unexpected boolean value 'maybe'"
        );
        assert!(OptKind::Bool.parse("").is_err());
        assert!(OptKind::Bool.parse(" true").is_err());
    }

    #[test]
    fn integers_with_bounds() {
        let kind = OptKind::Int {
            min: Some(1),
            max: Some(10),
        };
        assert_eq!(kind.parse(" 5 ").unwrap(), Value::Int(5));
        assert_eq!(kind.parse("+7").unwrap(), Value::Int(7));
        assert_eq!(kind.parse("1_0").unwrap(), Value::Int(10));
        assert_eq!(kind.parse("").unwrap(), Value::None);
        assert_eq!(kind.parse("   ").unwrap(), Value::None);
        assert_eq!(kind.parse("0").unwrap_err(), "Should be greater than or equal to 1");
        assert_eq!(kind.parse("11").unwrap_err(), "Should be less than or equal to 10");
        assert_eq!(
            kind.parse("five").unwrap_err(),
            "invalid literal for int() with base 10: 'five'"
        );
        assert!(kind.parse("5.0").is_err());
        assert!(kind.parse("_5").is_err());
        let unbounded = OptKind::Int { min: None, max: None };
        assert_eq!(unbounded.parse("-1").unwrap(), Value::Int(-1));
    }

    #[test]
    fn floats_with_bounds() {
        let kind = OptKind::Float {
            min: Some(0.0),
            max: Some(4.5),
        };
        assert_eq!(kind.parse("1.5").unwrap(), Value::Float(1.5));
        assert_eq!(kind.parse("2").unwrap(), Value::Float(2.0));
        assert_eq!(kind.parse("").unwrap(), Value::None);
        assert_eq!(kind.parse("4.6").unwrap_err(), "Should be less than or equal to 4.5");
        assert_eq!(kind.parse("-1").unwrap_err(), "Should be greater than or equal to 0");
        assert_eq!(
            kind.parse("fast").unwrap_err(),
            "could not convert string to float: 'fast'"
        );
    }

    #[test]
    fn ports() {
        let kind = OptKind::Port { min: 0, max: 65535 };
        assert_eq!(kind.parse("8386").unwrap(), Value::Int(8386));
        assert_eq!(kind.parse("0").unwrap(), Value::Int(0));
        assert_eq!(
            kind.parse("65536").unwrap_err(),
            "Should be less than or equal to 65535"
        );
        assert_eq!(kind.parse("-1").unwrap_err(), "Should be greater than or equal to 0");
        assert!(kind.parse("http").is_err());
    }

    #[test]
    fn lists() {
        assert_eq!(
            OptKind::List.parse(" a , b,c ,").unwrap(),
            Value::List(vec!["a".into(), "b".into(), "c".into()])
        );
        assert_eq!(OptKind::List.parse("").unwrap(), Value::List(vec![]));
        // as Python: " , ,".strip().rstrip(",") == ", " -> ['', '']
        assert_eq!(
            OptKind::List.parse(" , ,").unwrap(),
            Value::List(vec!["".into(), "".into()])
        );
        assert_eq!(OptKind::List.parse(",,,").unwrap(), Value::List(vec![]));
        assert_eq!(
            OptKind::List.parse("a,,b").unwrap(),
            Value::List(vec!["a".into(), "".into(), "b".into()])
        );
        assert_eq!(
            OptKind::List.parse("10.0.0.11:11211,10.0.0.12:11211").unwrap(),
            Value::List(vec!["10.0.0.11:11211".into(), "10.0.0.12:11211".into()])
        );
    }

    #[test]
    fn dicts() {
        let parsed = OptKind::Dict.parse("k1:v1, k2 : v2:x").unwrap();
        let mut want = BTreeMap::new();
        want.insert("k1".to_string(), "v1".to_string());
        want.insert("k2".to_string(), "v2:x".to_string());
        assert_eq!(parsed, Value::Dict(want));
        assert_eq!(OptKind::Dict.parse("  ").unwrap(), Value::Dict(BTreeMap::new()));
        // a pair without ':' is glued to the next one, as oslo does
        let glued = OptKind::Dict.parse("a,b:1").unwrap();
        assert_eq!(
            glued,
            Value::Dict([("a,b".to_string(), "1".to_string())].into_iter().collect())
        );
        assert_eq!(
            OptKind::Dict.parse("k1:v1,k2").unwrap_err(),
            "Value should be NAME:VALUE pairs separated by \",\""
        );
        assert_eq!(OptKind::Dict.parse(":v").unwrap_err(), "Key name should not be empty");
        assert_eq!(OptKind::Dict.parse("a:1,a:2").unwrap_err(), "Duplicate key a");
    }

    #[test]
    fn multi_str_keeps_one_value() {
        assert_eq!(
            OptKind::MultiStr.parse("messagingv2").unwrap(),
            Value::List(vec!["messagingv2".into()])
        );
    }

    #[test]
    fn ip_addresses() {
        assert!(OptKind::Ip.parse("10.0.0.1").is_ok());
        assert!(OptKind::Ip.parse("fe80::1").is_ok());
        assert_eq!(
            OptKind::Ip.parse("10.0.0").unwrap_err(),
            "10.0.0 is not IPv4 or IPv6 address"
        );
        assert_eq!(
            OptKind::Ip.parse("").unwrap_err(),
            "IP address cannot be an empty string"
        );
        assert!(OptKind::Ip.parse("keystone.example.org").is_err());
    }

    #[test]
    fn host_addresses() {
        for ok in [
            "0.0.0.0",
            "::",
            "10.0.0.11",
            "controller",
            "api.example.org",
            "api.example.org.",
        ] {
            assert!(OptKind::HostAddress.parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-bad.example.org",
            "a..b",
            "under_score.example",
            "1.2.3.4.5",
            "host name",
        ] {
            assert_eq!(
                OptKind::HostAddress.parse(bad).unwrap_err(),
                format!("{bad} is not a valid host address"),
                "{bad}"
            );
        }
        assert!(OptKind::HostDomain.parse("under_score.example").is_ok());
    }

    #[test]
    fn uris() {
        for ok in [
            "http://127.0.0.1:4318",
            "https://keystone.example.org:5000/v3",
            "rabbit://user:pass@host:5672/",
            "http://[::1]:8080/x",
        ] {
            assert!(OptKind::Uri.parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "no-scheme",
            "http:/path",
            "http://",
            "1http://x",
            "http://host:port/",
        ] {
            assert!(OptKind::Uri.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn template_strings_follow_python_str() {
        assert_eq!(Value::Bool(true).to_template_string(), "True");
        assert_eq!(Value::Int(-3).to_template_string(), "-3");
        assert_eq!(Value::Float(1.0).to_template_string(), "1.0");
        assert_eq!(Value::Float(0.25).to_template_string(), "0.25");
        assert_eq!(Value::None.to_template_string(), "");
        assert_eq!(
            Value::List(vec!["a".into(), "it's".into()]).to_template_string(),
            "['a', \"it's\"]"
        );
    }

    #[test]
    fn conversions_to_rust_types() {
        assert_eq!(u16::from_value(Value::Int(8386)), Ok(8386));
        assert_eq!(
            u64::from_value(Value::Int(-1)),
            Err(FromValueError::OutOfRange("-1".into()))
        );
        assert_eq!(Option::<i64>::from_value(Value::None), Ok(None));
        assert_eq!(i64::from_value(Value::None), Err(FromValueError::Missing));
        assert_eq!(
            bool::from_value(Value::Str("true".into())),
            Err(FromValueError::Mismatch { found: "string" })
        );
        assert_eq!(
            Vec::<String>::from_value(Value::List(vec!["x".into()])),
            Ok(vec!["x".to_string()])
        );
    }
}
