//! Python's `match % target`: how oslo.policy substitutes `%(name)s` in a check's right side.
//!
//! The lookup is `target[name]` with the whole name as one key (`%(project.id)s` looks up the
//! key `"project.id"`, it does not walk nested dicts). A missing key makes the check false; any
//! other formatting error (`%d` of a string, `%z`, a lone `%`) is an exception that escapes.

use serde_json::Value;

use crate::error::EvalError;
use crate::pyvalue::{ascii_escape, json_repr, json_str, json_type_name};

/// Why formatting failed.
#[derive(Debug)]
pub(crate) enum FormatError {
    /// `KeyError`: oslo's checks catch it and answer false.
    KeyError,
    /// Anything else escapes the check.
    Other(EvalError),
}

impl From<EvalError> for FormatError {
    fn from(e: EvalError) -> Self {
        Self::Other(e)
    }
}

/// Python's `fmt % args` where `args` is the target (a dict, so it is a mapping for `%(k)s`
/// and the single argument of `%s`).
pub(crate) fn percent_format(fmt: &str, args: &Value) -> Result<String, FormatError> {
    // Python treats anything with __getitem__ (a dict, a list) as the mapping.
    let is_mapping = matches!(args, Value::Object(_) | Value::Array(_));
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    // The target (never a tuple) is the one argument of an unkeyed spec, and only while no
    // spec, keyed or not, has been converted yet.
    let mut positional_used = false;
    while i < chars.len() {
        if chars[i] != '%' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut value: Option<&Value> = None;
        if chars.get(i) == Some(&'(') {
            if !is_mapping {
                return Err(EvalError::type_error("format requires a mapping").into());
            }
            i += 1;
            let key_start = i;
            let mut depth = 1;
            while i < chars.len() {
                match chars[i] {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            if depth > 0 {
                return Err(EvalError::value_error("incomplete format key").into());
            }
            let key: String = chars[key_start..i].iter().collect();
            i += 1;
            value = Some(match args {
                Value::Object(map) => map.get(&key).ok_or(FormatError::KeyError)?,
                _ => return Err(EvalError::type_error("list indices must be integers or slices, not str").into()),
            });
        }
        let mut flags = Flags::default();
        while let Some(&c) = chars.get(i) {
            match c {
                '-' => flags.left = true,
                '+' => flags.plus = true,
                ' ' => flags.space = true,
                '#' => flags.alt = true,
                '0' => flags.zero = true,
                _ => break,
            }
            i += 1;
        }
        let mut width = None;
        if chars.get(i) == Some(&'*') {
            return Err(EvalError::type_error("* wants int").into());
        }
        let digits: String = chars[i..].iter().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            i += digits.len();
            width = Some(
                digits
                    .parse::<usize>()
                    .map_err(|_| EvalError::value_error("width too big"))?,
            );
        }
        let mut precision = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                return Err(EvalError::type_error("* wants int").into());
            }
            let digits: String = chars[i..].iter().take_while(|c| c.is_ascii_digit()).collect();
            i += digits.len();
            precision = Some(if digits.is_empty() {
                0
            } else {
                digits
                    .parse::<usize>()
                    .map_err(|_| EvalError::value_error("precision too big"))?
            });
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err(EvalError::value_error("incomplete format").into());
        };
        i += 1;
        if !"sradiuoxXeEfFgGc".contains(conv) {
            return Err(EvalError::value_error(format!(
                "unsupported format character '{conv}' (0x{:x}) at index {}",
                u32::from(conv),
                i - 1
            ))
            .into());
        }
        let arg = match value {
            Some(v) => {
                // A keyed lookup uses up the single argument too.
                positional_used = true;
                v
            }
            None => {
                if positional_used {
                    return Err(EvalError::type_error("not enough arguments for format string").into());
                }
                positional_used = true;
                args
            }
        };
        let body = convert(conv, arg, &flags, precision)?;
        out.push_str(&pad(body, width, &flags, conv));
    }
    if !is_mapping && !positional_used {
        return Err(EvalError::type_error("not all arguments converted during string formatting").into());
    }
    Ok(out)
}

#[derive(Default)]
struct Flags {
    left: bool,
    plus: bool,
    space: bool,
    alt: bool,
    zero: bool,
}

fn convert(conv: char, arg: &Value, flags: &Flags, precision: Option<usize>) -> Result<String, EvalError> {
    match conv {
        's' | 'r' | 'a' => {
            let text = match conv {
                's' => json_str(arg),
                'r' => json_repr(arg),
                _ => ascii_escape(&json_repr(arg)),
            };
            Ok(match precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            })
        }
        'd' | 'i' | 'u' | 'o' | 'x' | 'X' => {
            let n = integer_arg(conv, arg)?;
            let (negative, magnitude) = (n < 0, n.unsigned_abs());
            let mut digits = match conv {
                'o' => format!("{magnitude:o}"),
                'x' => format!("{magnitude:x}"),
                'X' => format!("{magnitude:X}"),
                _ => magnitude.to_string(),
            };
            if let Some(p) = precision
                && digits.len() < p
            {
                digits = format!("{}{digits}", "0".repeat(p - digits.len()));
            }
            let prefix = match (flags.alt, conv) {
                (true, 'o') => "0o",
                (true, 'x') => "0x",
                (true, 'X') => "0X",
                _ => "",
            };
            let sign = if negative {
                "-"
            } else if flags.plus {
                "+"
            } else if flags.space {
                " "
            } else {
                ""
            };
            Ok(format!("{sign}{prefix}{digits}"))
        }
        _ => Err(EvalError::unsupported(format!(
            "the %{conv} conversion is not reproduced"
        ))),
    }
}

fn integer_arg(conv: char, arg: &Value) -> Result<i128, EvalError> {
    match arg {
        Value::Bool(b) => Ok(i128::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(i128::from(i))
            } else if let Some(u) = n.as_u64() {
                Ok(i128::from(u))
            } else if matches!(conv, 'd' | 'i' | 'u') {
                let f = n.as_f64().unwrap_or(f64::NAN);
                if !f.is_finite() {
                    return Err(EvalError::unsupported("%d of a non-finite float"));
                }
                Ok(f.trunc() as i128)
            } else {
                Err(EvalError::type_error(format!(
                    "%{conv} format: an integer is required, not float"
                )))
            }
        }
        other if matches!(conv, 'd' | 'i' | 'u') => Err(EvalError::type_error(format!(
            "%{conv} format: a real number is required, not {}",
            json_type_name(other)
        ))),
        other => Err(EvalError::type_error(format!(
            "%{conv} format: an integer is required, not {}",
            json_type_name(other)
        ))),
    }
}

/// Applies the width: right-aligned with spaces, `-` left-aligns, `0` pads numbers with zeros
/// after the sign and prefix.
fn pad(body: String, width: Option<usize>, flags: &Flags, conv: char) -> String {
    let Some(width) = width else { return body };
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if flags.left {
        return format!("{body}{}", " ".repeat(fill));
    }
    let numeric = "diuoxX".contains(conv);
    if flags.zero && numeric {
        let sign_len = usize::from(body.starts_with(['-', '+', ' ']));
        let prefix_len = if body[sign_len..].starts_with("0x")
            || body[sign_len..].starts_with("0X")
            || body[sign_len..].starts_with("0o")
        {
            2
        } else {
            0
        };
        let (head, tail) = body.split_at(sign_len + prefix_len);
        return format!("{head}{}{tail}", "0".repeat(fill));
    }
    format!("{}{body}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn show(fmt: &str, args: Value) -> String {
        match percent_format(fmt, &args) {
            Ok(s) => s,
            Err(FormatError::KeyError) => "KeyError".into(),
            Err(FormatError::Other(e)) => e.kind.class_name().into(),
        }
    }

    #[test]
    fn matches_python_percent_format() {
        // Each expectation was printed by Python 3.11.
        assert_eq!(show("%(a)%", json!({})), "KeyError");
        assert_eq!(show("%(a)%", json!({"a": 1})), "ValueError");
        assert_eq!(show("%%", json!({})), "%");
        assert_eq!(show("%s", json!({})), "{}");
        assert_eq!(show("%s %s", json!({})), "TypeError");
        assert_eq!(show("%(a)s %s", json!({"a": 1})), "TypeError");
        assert_eq!(show("%5s|", json!({})), "   {}|");
        assert_eq!(show("%-5s|", json!({"a": 1})), "{'a': 1}|");
        assert_eq!(show("%.2s", json!({"a": 1})), "{'");
        assert_eq!(show("%(a)5.1s|", json!({"a": "xyz"})), "    x|");
        assert_eq!(show("%(a)d", json!({"a": 1.9})), "1");
        assert_eq!(show("%(a)d", json!({"a": true})), "1");
        assert_eq!(show("%(a)d", json!({"a": "1"})), "TypeError");
        assert_eq!(show("%(a)+05d", json!({"a": 3})), "+0003");
        assert_eq!(show("%(a)x", json!({"a": 1.0})), "TypeError");
        assert_eq!(show("%(a)", json!({"a": 1})), "ValueError");
        assert_eq!(show("%(a", json!({"a": 1})), "ValueError");
        assert_eq!(show("%(a(b)c)s", json!({"a(b)c": 1})), "1");
        assert_eq!(show("%(a)ls", json!({"a": 1})), "1");
        assert_eq!(show("%*s", json!({})), "TypeError");
        assert_eq!(show("%(a)r", json!({"a": "x'y"})), "\"x'y\"");
        assert_eq!(show("%(a)a", json!({"a": "é"})), "'\\xe9'");
        assert_eq!(show("%(a)s", json!([1])), "TypeError");
        assert_eq!(show("abc", json!([1])), "abc");
        assert_eq!(show("abc", json!("x")), "TypeError");
        assert_eq!(show("%s %(a)s", json!({"a": 1})), "{'a': 1} 1");
        assert_eq!(show("%(a)s %(a)s", json!({"a": 1})), "1 1");
        assert_eq!(show("%s", json!("x")), "x");
        assert_eq!(show("%(a)z", json!({})), "KeyError");
        assert_eq!(show("%z %(missing)s", json!({})), "ValueError");
        assert_eq!(show("%(missing)s %z", json!({})), "KeyError");
        assert_eq!(show("%(a)i %(a).3d", json!({"a": 5})), "5 005");
        assert_eq!(show("%(a) d", json!({"a": 5})), " 5");
        assert_eq!(show("%(a)#x", json!({"a": 255})), "0xff");
        assert_eq!(show("%(a)5%", json!({})), "KeyError");
        assert_eq!(show("%-%", json!({})), "ValueError");
        assert_eq!(show("%(project.id)s", json!({"project": {"id": "p"}})), "KeyError");
        assert_eq!(show("%(project.id)s", json!({"project.id": "p"})), "p");
    }
}
