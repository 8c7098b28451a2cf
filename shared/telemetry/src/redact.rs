//! Masking of secrets before anything is logged or exported: secret-looking keys and the
//! password part of credentials embedded in URLs (`scheme://user:pass@host`).
//!
//! The masks are a safety net, not a licence: callers must still not record secrets as span or
//! event fields. Only the *names* of keys are checked, so a secret under an innocent name (or
//! inside a JSON document serialised into a string) is not found.

use std::borrow::Cow;

use serde_json::Value;

/// The text that replaces a masked secret (the same as oslo.utils' `mask_password`).
pub const MASK: &str = "***";

/// Name fragments that mark a key or field as holding a secret (matched case-insensitively).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "admin_pass",
    "adminpass",
    "new_pass",
    "token",
    "secret",
    "private_key",
    "trust_id",
    "encrypted_key",
];

/// Whether a key or field named `name` holds a secret (password, token, secret, private key, trust id...).
pub fn is_secret_key(name: &str) -> bool {
    SECRET_KEY_PARTS
        .iter()
        .any(|part| contains_ignore_ascii_case(name, part))
}

/// Whether `haystack` contains the lowercase ASCII `needle`, ignoring ASCII case, without allocating.
fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Masks the password of every `scheme://user:pass@host` credential in `text` (`user:***@host`).
///
/// Multi-host URLs as oslo.messaging writes them (`rabbit://u:p@h1:5672,u:p@h2:5672/`) are masked
/// host by host. Returns the input unchanged (borrowed) when there is nothing to mask. A password
/// holding an unescaped `/`, `?` or `#` (invalid in a URL) is not recognised.
pub fn redact_url(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut changed = false;
    let mut rest = text;
    while let Some(pos) = rest.find("://") {
        let (head, tail) = rest.split_at(pos + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#' | '"' | '\'' | '<' | '>' | '`') || c.is_whitespace())
            .unwrap_or(tail.len());
        for (i, host) in tail[..end].split(',').enumerate() {
            if i > 0 {
                out.push(',');
            }
            match host.rfind('@').map(|at| host.split_at(at)) {
                Some((userinfo, at_host)) => {
                    match userinfo.find(':') {
                        Some(colon) => {
                            out.push_str(&userinfo[..=colon]);
                            out.push_str(MASK);
                            changed = true;
                        }
                        None => out.push_str(userinfo),
                    }
                    out.push_str(at_host);
                }
                None => out.push_str(host),
            }
        }
        rest = &tail[end..];
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Returns a copy of `value` fit for logging: values under secret-looking keys (see
/// [`is_secret_key`]) become `"***"` (nulls stay null), and URL credentials in strings are masked
/// (see [`redact_url`]), at any depth.
pub fn redact_json(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, item)| {
                    let item = if is_secret_key(key) && !item.is_null() {
                        Value::String(MASK.to_owned())
                    } else {
                        redact_json(item)
                    };
                    (key.clone(), item)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_json).collect()),
        Value::String(text) => match redact_url(text) {
            Cow::Borrowed(_) => value.clone(),
            Cow::Owned(masked) => Value::String(masked),
        },
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_keys() {
        for key in [
            "password",
            "admin_password",
            "_context_auth_token",
            "X-Auth-Token",
            "aws_secret_access_key",
            "private_key",
            "trust_id",
            "PASSWORD",
            "adminPass",
        ] {
            assert!(is_secret_key(key), "{key} should be secret");
        }
        for key in ["user_id", "request_id", "name", "cluster_id", "pass", "tok"] {
            assert!(!is_secret_key(key), "{key} should not be secret");
        }
    }

    #[test]
    fn url_credentials() {
        assert_eq!(
            redact_url("rabbit://openstack:s3cr3t@10.0.0.1:5672//"),
            "rabbit://openstack:***@10.0.0.1:5672//"
        );
        assert_eq!(
            redact_url("rabbit://u:p1@h1:5672,u:p2@h2:5672/vhost"),
            "rabbit://u:***@h1:5672,u:***@h2:5672/vhost"
        );
        assert_eq!(
            redact_url("connecting to mysql+pymysql://sahara:pw@db/sahara and http://h/x?a=b@c"),
            "connecting to mysql+pymysql://sahara:***@db/sahara and http://h/x?a=b@c"
        );
        assert_eq!(redact_url("url=\"http://u:p:q@h\""), "url=\"http://u:***@h\"");
        // No password: nothing to mask, and the input is borrowed.
        assert!(matches!(
            redact_url("http://user@host/path"),
            Cow::Borrowed("http://user@host/path")
        ));
        assert!(matches!(redact_url("plain text"), Cow::Borrowed("plain text")));
    }

    #[test]
    fn json_masking() {
        let input = json!({
            "_context_auth_token": "gAAAAAB-token",
            "_context_user_id": "u1",
            "password": {"nested": "object"},
            "trust_id": null,
            "args": {
                "cluster_id": "c1",
                "credentials": [{"private_key": "-----BEGIN RSA"}, {"secret_key": 42}],
                "transport_url": "rabbit://guest:guest@localhost:5672/",
            },
            "count": 3,
        });
        let expected = json!({
            "_context_auth_token": "***",
            "_context_user_id": "u1",
            "password": "***",
            "trust_id": null,
            "args": {
                "cluster_id": "c1",
                "credentials": [{"private_key": "***"}, {"secret_key": "***"}],
                "transport_url": "rabbit://guest:***@localhost:5672/",
            },
            "count": 3,
        });
        assert_eq!(redact_json(&input), expected);
        // Key order is kept (serde_json preserve_order), so masked dumps stay readable.
        let keys: Vec<_> = redact_json(&input).as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys[0], "_context_auth_token");
        assert_eq!(keys[5], "count");
    }
}
