//! Python's view of values: `str()`, `repr()` and `ascii()` of JSON values and of the literals
//! `ast.literal_eval` produces, truthiness, and `str.isspace()` — what oslo.policy's checks
//! compare when they do `match == str(value)`.

use serde_json::Value;

/// A Python object as `ast.literal_eval` can produce it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PyObj {
    None,
    Bool(bool),
    Int(i128),
    Float(f64),
    Complex(f64, f64),
    Str(String),
    Bytes(Vec<u8>),
    Ellipsis,
    Tuple(Vec<PyObj>),
    List(Vec<PyObj>),
    /// At most one element: Python orders larger sets by hash, which is not reproduced.
    Set(Vec<PyObj>),
    Dict(Vec<(PyObj, PyObj)>),
}

impl PyObj {
    /// Python's `str(obj)`.
    pub(crate) fn py_str(&self) -> String {
        match self {
            Self::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr(obj)`.
    pub(crate) fn py_repr(&self) -> String {
        match self {
            Self::None => "None".into(),
            Self::Bool(true) => "True".into(),
            Self::Bool(false) => "False".into(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => float_repr(*f, true),
            Self::Complex(re, im) => complex_repr(*re, *im),
            Self::Str(s) => str_repr(s),
            Self::Bytes(b) => bytes_repr(b),
            Self::Ellipsis => "Ellipsis".into(),
            Self::Tuple(items) if items.len() == 1 => format!("({},)", items[0].py_repr()),
            Self::Tuple(items) => format!("({})", join_reprs(items)),
            Self::List(items) => format!("[{}]", join_reprs(items)),
            Self::Set(items) if items.is_empty() => "set()".into(),
            Self::Set(items) => format!("{{{}}}", join_reprs(items)),
            Self::Dict(items) => {
                let parts: Vec<String> = items
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.py_repr(), v.py_repr()))
                    .collect();
                format!("{{{}}}", parts.join(", "))
            }
        }
    }

    /// Python's `hash()` succeeds (lists, dicts and sets are unhashable).
    pub(crate) fn is_hashable(&self) -> bool {
        match self {
            Self::List(_) | Self::Dict(_) | Self::Set(_) => false,
            Self::Tuple(items) => items.iter().all(Self::is_hashable),
            _ => true,
        }
    }

    /// Python's `==` between hashable literals (numbers compare across int, float, bool, complex).
    pub(crate) fn py_eq(&self, other: &Self) -> bool {
        if let (Some(a), Some(b)) = (self.as_complex(), other.as_complex()) {
            return a == b;
        }
        match (self, other) {
            (Self::Tuple(a), Self::Tuple(b)) => a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.py_eq(y)),
            _ => self == other,
        }
    }

    fn as_complex(&self) -> Option<(f64, f64)> {
        match self {
            Self::Bool(b) => Some((f64::from(u8::from(*b)), 0.0)),
            // Precision loss past 2^53 only matters for absurd literals.
            Self::Int(i) => Some((*i as f64, 0.0)),
            Self::Float(f) => Some((*f, 0.0)),
            Self::Complex(re, im) => Some((*re, *im)),
            _ => None,
        }
    }
}

fn join_reprs(items: &[PyObj]) -> String {
    items.iter().map(PyObj::py_repr).collect::<Vec<_>>().join(", ")
}

/// Python's `str()` of a JSON value (as `json.loads` would have produced it).
pub(crate) fn json_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => json_repr(other),
    }
}

/// Python's `repr()` of a JSON value.
pub(crate) fn json_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => number_repr(n),
        Value::String(s) => str_repr(s),
        Value::Array(items) => format!("[{}]", items.iter().map(json_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(map) => {
            let parts: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", str_repr(k), json_repr(v)))
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
    }
}

fn number_repr(n: &serde_json::Number) -> String {
    if let Some(i) = n.as_i64() {
        i.to_string()
    } else if let Some(u) = n.as_u64() {
        u.to_string()
    } else {
        float_repr(n.as_f64().unwrap_or(f64::NAN), true)
    }
}

/// Python's type name of a JSON value, for exception messages.
pub(crate) fn json_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// Python's truthiness of a JSON value.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Python's `str.isspace()` for one character (Unicode whitespace plus the ASCII separators
/// U+001C..U+001F, which Python counts and Rust does not).
pub(crate) fn py_isspace(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `repr(float)` (`add_dot_0`), or the component form used inside `repr(complex)`.
pub(crate) fn float_repr(x: f64, add_dot_0: bool) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // `{:e}` gives the shortest round-tripping digits, as Python's repr does.
    let formatted = format!("{x:e}");
    let (negative, rest) = match formatted.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, formatted.as_str()),
    };
    let (mantissa, exponent) = rest.split_once('e').unwrap_or((rest, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let decpt = exponent + 1;
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if decpt <= -4 || decpt > 16 {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        out.push_str(&format!(
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        ));
    } else if decpt <= 0 {
        out.push_str("0.");
        out.push_str(&"0".repeat(decpt.unsigned_abs() as usize));
        out.push_str(&digits);
    } else {
        let decpt = decpt as usize;
        if decpt >= digits.len() {
            out.push_str(&digits);
            out.push_str(&"0".repeat(decpt - digits.len()));
            if add_dot_0 {
                out.push_str(".0");
            }
        } else {
            out.push_str(&digits[..decpt]);
            out.push('.');
            out.push_str(&digits[decpt..]);
        }
    }
    out
}

/// Python's `repr(complex(re, im))`.
pub(crate) fn complex_repr(re: f64, im: f64) -> String {
    let imag = float_repr(im, false);
    if re == 0.0 && re.is_sign_positive() {
        return format!("{imag}j");
    }
    let sign = if imag.starts_with('-') { "" } else { "+" };
    format!("({}{sign}{imag}j)", float_repr(re, false))
}

/// Python's `str.isprintable()` for one character, approximated without Unicode tables:
/// controls, format characters, separators other than the space and private use are not
/// printable; unassigned code points are taken as printable.
pub(crate) fn is_printable(c: char) -> bool {
    let u = u32::from(c);
    !(c.is_control()
        || c == '\u{a0}'
        || c == '\u{ad}'
        || c == '\u{1680}'
        || (0x2000..=0x200f).contains(&u)
        || (0x2028..=0x202f).contains(&u)
        || (0x205f..=0x2064).contains(&u)
        || (0x2066..=0x206f).contains(&u)
        || c == '\u{3000}'
        || c == '\u{feff}'
        || (0xfff9..=0xfffb).contains(&u)
        || (0x600..=0x605).contains(&u)
        || c == '\u{61c}'
        || c == '\u{6dd}'
        || c == '\u{70f}'
        || c == '\u{180e}'
        || (0xe000..=0xf8ff).contains(&u)
        || u >= 0xf0000
        || (0xe0000..=0xe007f).contains(&u))
}

/// Python's `repr(str)`.
pub(crate) fn str_repr(s: &str) -> String {
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
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) < 0x20 || u32::from(c) == 0x7f => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c if u32::from(c) < 0x7f => out.push(c),
            c if is_printable(c) => out.push(c),
            c => out.push_str(&escape_non_ascii(c)),
        }
    }
    out.push(quote);
    out
}

fn escape_non_ascii(c: char) -> String {
    let u = u32::from(c);
    if u <= 0xff {
        format!("\\x{u:02x}")
    } else if u <= 0xffff {
        format!("\\u{u:04x}")
    } else {
        format!("\\U{u:08x}")
    }
}

/// Python's `ascii()`: the repr with every non-ASCII character escaped.
pub(crate) fn ascii_escape(repr: &str) -> String {
    repr.chars()
        .map(|c| {
            if c.is_ascii() {
                c.to_string()
            } else {
                escape_non_ascii(c)
            }
        })
        .collect()
}

/// Python's `repr(bytes)`.
pub(crate) fn bytes_repr(b: &[u8]) -> String {
    let quote = if b.contains(&b'\'') && !b.contains(&b'"') {
        b'"'
    } else {
        b'\''
    };
    let mut out = String::from("b");
    out.push(char::from(quote));
    for &byte in b {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            q if q == quote => {
                out.push('\\');
                out.push(char::from(q));
            }
            0x20..=0x7e => out.push(char::from(byte)),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(char::from(quote));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_python() {
        let cases = [
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (0.0, "0.0"),
            (1.5, "1.5"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "inf"),
        ];
        for (f, want) in cases {
            assert_eq!(float_repr(f, true), want, "{f}");
        }
        assert_eq!(complex_repr(0.0, 1.0), "1j");
        assert_eq!(complex_repr(-0.0, -1.0), "(-0-1j)");
        assert_eq!(complex_repr(1.5, 0.0), "(1.5+0j)");
        assert_eq!(complex_repr(0.0, 1e16), "1e+16j");
    }

    #[test]
    fn json_values_print_like_python() {
        assert_eq!(json_str(&json!("a")), "a");
        assert_eq!(json_str(&json!(["a", 1, null, true, 1.0])), "['a', 1, None, True, 1.0]");
        assert_eq!(json_str(&json!({"a": {"b": "it's"}})), "{'a': {'b': \"it's\"}}");
        assert_eq!(str_repr("a'b\"c\n"), "'a\\'b\"c\\n'");
        assert_eq!(str_repr("é\u{a0}"), "'é\\xa0'");
        assert_eq!(ascii_escape(&str_repr("é")), "'\\xe9'");
        assert_eq!(bytes_repr(b"x\xff'"), "b\"x\\xff'\"");
    }
}
