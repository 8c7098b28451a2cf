//! JSON encoding byte-compatible with Python's `json.dumps` defaults, as oslo.messaging emits it.
//!
//! Python separates items with `", "` and keys from values with `": "`, escapes every
//! non-ASCII character (and DEL) as `\uXXXX` (UTF-16 surrogate pairs above U+FFFF), and
//! prints floats the way `repr(float)` does. Key order is the map's insertion order.

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};
use std::io::{self, Write};

/// A serde_json formatter reproducing Python's `json.dumps(obj)` output.
#[derive(Debug, Default, Clone, Copy)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        if first { Ok(()) } else { writer.write_all(b", ") }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_ascii_fragment(writer, fragment, b"\\")
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(python_float_repr(value).as_bytes())
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        writer.write_all(python_float_repr(f64::from(value)).as_bytes())
    }
}

/// Writes `fragment` with every character outside ASCII (and DEL) as `\uXXXX` (lowercase
/// hex, UTF-16 units, as Python writes them), each escape starting with `backslash`.
fn write_ascii_fragment<W: ?Sized + Write>(writer: &mut W, fragment: &str, backslash: &[u8]) -> io::Result<()> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = fragment.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        // ASCII below DEL passes as it is; `i` stays on a character boundary.
        if bytes[i] < 0x7f {
            i += 1;
            continue;
        }
        writer.write_all(&bytes[start..i])?;
        let Some(ch) = fragment[i..].chars().next() else {
            break;
        };
        let mut units = [0u16; 2];
        for unit in ch.encode_utf16(&mut units) {
            let nibble = |shift: u16| HEX[usize::from((*unit >> shift) & 0xf)];
            writer.write_all(backslash)?;
            writer.write_all(&[b'u', nibble(12), nibble(8), nibble(4), nibble(0)])?;
        }
        i += ch.len_utf8();
        start = i;
    }
    writer.write_all(&bytes[start..])
}

/// [`PythonFormatter`]'s output as it appears inside a JSON string literal: the bytes between
/// the quotes of `json.dumps(json.dumps(value))`. Python-style JSON is printable ASCII, so only
/// its quotes and backslashes change (`\"` and `\\`), and no second pass over the text is needed.
#[derive(Debug, Default, Clone, Copy)]
pub struct QuotedPythonFormatter;

impl Formatter for QuotedPythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        PythonFormatter.begin_array_value(writer, first)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        PythonFormatter.begin_object_key(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        PythonFormatter.begin_object_value(writer)
    }

    fn write_f64<W: ?Sized + Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        PythonFormatter.write_f64(writer, value)
    }

    fn write_f32<W: ?Sized + Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        PythonFormatter.write_f32(writer, value)
    }

    fn begin_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\\\"")
    }

    fn end_string<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\\\"")
    }

    fn write_string_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        write_ascii_fragment(writer, fragment, b"\\\\")
    }

    fn write_char_escape<W: ?Sized + Write>(&mut self, writer: &mut W, char_escape: CharEscape) -> io::Result<()> {
        let mut inner = Vec::with_capacity(6);
        PythonFormatter.write_char_escape(&mut inner, char_escape)?;
        write_quoted_ascii(writer, &inner)
    }

    fn write_raw_fragment<W: ?Sized + Write>(&mut self, writer: &mut W, fragment: &str) -> io::Result<()> {
        let mut inner = Vec::with_capacity(fragment.len());
        write_ascii_fragment(&mut inner, fragment, b"\\")?;
        write_quoted_ascii(writer, &inner)
    }
}

/// Writes ASCII text as a JSON string literal holds it: `"` and `\` escaped, and control characters (the
/// whitespace a raw fragment may have between its tokens) as Python writes them.
fn write_quoted_ascii<W: ?Sized + Write>(writer: &mut W, text: &[u8]) -> io::Result<()> {
    let mut start = 0;
    for (i, &b) in text.iter().enumerate() {
        if b == b'"' || b == b'\\' {
            writer.write_all(&text[start..i])?;
            writer.write_all(b"\\")?;
            start = i;
        } else if b < 0x20 {
            writer.write_all(&text[start..i])?;
            match b {
                b'\n' => writer.write_all(b"\\n")?,
                b'\r' => writer.write_all(b"\\r")?,
                b'\t' => writer.write_all(b"\\t")?,
                other => write!(writer, "\\u{other:04x}")?,
            }
            start = i + 1;
        }
    }
    writer.write_all(&text[start..])
}

/// Formats a float like Python's `repr(float)`: shortest round-trip digits, positional
/// notation for exponents in [-4, 16), otherwise `d.ddde+XX`.
pub fn python_float_repr(value: f64) -> String {
    if value.is_nan() {
        return "NaN".into();
    }
    if value.is_infinite() {
        return if value > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    if value == 0.0 {
        return if value.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    // Rust's LowerExp gives the shortest round-trip digits: "-1.2345e-7".
    let sci = format!("{value:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let n = digits.len() as i32;
        if exp >= 0 {
            let int_len = exp + 1;
            if n <= int_len {
                format!("{sign}{digits}{}.0", "0".repeat((int_len - n) as usize))
            } else {
                let (int_part, frac) = digits.split_at(int_len as usize);
                format!("{sign}{int_part}.{frac}")
            }
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{exp_sign}{:02}", exp.abs())
    }
}

/// Serialises any value to the bytes Python's `json.dumps` would produce.
pub fn to_python_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    // Serialising a serde_json::Value or a derived struct into memory cannot fail.
    value
        .serialize(&mut ser)
        .expect("JSON serialisation into memory does not fail");
    out
}

/// Appends to `out` the bytes Python's `json.dumps` would produce for `value`, as they appear
/// inside the quotes of a JSON string ([`QuotedPythonFormatter`]).
pub fn write_quoted_python_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let mut ser = serde_json::Serializer::with_formatter(out, QuotedPythonFormatter);
    // Serialising a serde_json::Value or a derived struct into memory cannot fail.
    value
        .serialize(&mut ser)
        .expect("JSON serialisation into memory does not fail");
}

/// Serialises to a Python-compatible JSON string (always ASCII).
pub fn to_python_json_string<T: Serialize + ?Sized>(value: &T) -> String {
    // The formatter escapes everything outside ASCII, so the bytes are valid UTF-8.
    String::from_utf8(to_python_json(value)).expect("Python-style JSON is ASCII")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn separators_and_escapes_match_python() {
        let v = json!({"text": "h\u{e9}llo", "list": [1, 2.5, null, true], "nested": {"k": "v"}});
        assert_eq!(
            to_python_json_string(&v),
            r#"{"text": "h\u00e9llo", "list": [1, 2.5, null, true], "nested": {"k": "v"}}"#
        );
    }

    #[test]
    fn astral_characters_become_surrogate_pairs() {
        assert_eq!(to_python_json_string(&json!("\u{1F600}")), r#""\ud83d\ude00""#);
        assert_eq!(to_python_json_string(&json!("a\u{7f}b\n\"")), r#""a\u007fb\n\"""#);
        assert_eq!(to_python_json_string(&json!("\u{1f}")), r#""\u001f""#);
    }

    #[test]
    fn floats_follow_python_repr() {
        for (v, want) in [
            (4.0, "4.0"),
            (2.5, "2.5"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1.5e-7, "1.5e-07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (123456789012345680.0, "1.2345678901234568e+17"),
            (1234567890123456.0, "1234567890123456.0"),
            (-3.25, "-3.25"),
            (-0.0, "-0.0"),
        ] {
            assert_eq!(python_float_repr(v), want, "repr of {v}");
        }
    }

    #[test]
    fn empty_containers() {
        assert_eq!(
            to_python_json_string(&json!({"a": [], "b": {}})),
            r#"{"a": [], "b": {}}"#
        );
    }
}
