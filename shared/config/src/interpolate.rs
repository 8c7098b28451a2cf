//! `$option`, `${option}` and `$group.option` substitution with `$$` (and `\$`) escapes, as
//! Python's `string.Template.safe_substitute` with oslo.config's identifier pattern
//! (`[_a-z][._a-z0-9]*`, any case).

fn is_id_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_id_char(c: char) -> bool {
    c == '_' || c == '.' || c.is_ascii_alphanumeric()
}

/// Length in bytes of the identifier at the start of `s` (0 when there is none).
fn identifier_len(s: &str) -> usize {
    let mut chars = s.char_indices();
    match chars.next() {
        Some((_, c)) if is_id_start(c) => {}
        _ => return 0,
    }
    chars.find(|(_, c)| !is_id_char(*c)).map_or(s.len(), |(i, _)| i)
}

/// Substitutes every `$name` / `${name}` in `text` with `resolve(name)`; `$$` and `\$` give `$`,
/// and a `$` not followed by an identifier is kept as is.
pub fn substitute<E>(text: &str, mut resolve: impl FnMut(&str) -> Result<String, E>) -> Result<String, E> {
    if !text.contains('$') {
        return Ok(text.to_string());
    }
    let text = text.replace("\\$", "$$");
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
            continue;
        }
        let named = identifier_len(after);
        if named > 0 {
            out.push_str(&resolve(&after[..named])?);
            rest = &after[named..];
            continue;
        }
        if let Some(inner) = after.strip_prefix('{') {
            let braced = identifier_len(inner);
            if braced > 0 && inner[braced..].starts_with('}') {
                out.push_str(&resolve(&inner[..braced])?);
                rest = &inner[braced + 1..];
                continue;
            }
        }
        // an invalid placeholder stays as it is
        out.push('$');
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(text: &str) -> String {
        substitute::<()>(text, |name| Ok(format!("<{name}>"))).unwrap()
    }

    #[test]
    fn named_and_braced_placeholders() {
        assert_eq!(sub("$log_dir/sahara.log"), "<log_dir>/sahara.log");
        assert_eq!(sub("${host}:8386"), "<host>:8386");
        assert_eq!(sub("${host}x"), "<host>x");
        assert_eq!(sub("$database.connection"), "<database.connection>");
        assert_eq!(sub("$HOST"), "<HOST>");
        assert_eq!(sub("a$b c"), "a<b> c");
    }

    #[test]
    fn escapes_and_invalid_placeholders() {
        assert_eq!(sub("cost $$5"), "cost $5");
        assert_eq!(sub("$$host"), "$host");
        assert_eq!(sub("\\$host"), "$host");
        assert_eq!(sub("100$"), "100$");
        assert_eq!(sub("$ x"), "$ x");
        assert_eq!(sub("${unclosed"), "${unclosed");
        assert_eq!(sub("${}"), "${}");
        assert_eq!(sub("$1abc"), "$1abc");
        assert_eq!(sub("no dollars"), "no dollars");
    }

    #[test]
    fn identifiers_are_greedy_over_dots() {
        assert_eq!(sub("$host.example.com"), "<host.example.com>");
        assert_eq!(sub("${host}.example.com"), "<host>.example.com");
    }

    #[test]
    fn resolver_errors_propagate() {
        let r = substitute("$missing", |_| Err("no such option"));
        assert_eq!(r, Err("no such option"));
    }
}
