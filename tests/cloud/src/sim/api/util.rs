//! Helpers shared by the REST APIs: query strings with repeated keys, the request's base
//! URL for links, reading fields of a JSON body with 400s for wrong types, and
//! Neutron-style filtering of JSON lists.

use super::super::error::{Result, SimError};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;

/// A query string, keys possibly repeated, in order.
#[derive(Debug, Clone, Default)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Parses `a=1&b=2&a=3` (percent- and plus-decoded).
    pub fn parse(raw: &str) -> Query {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key`.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` is present with a true value (`1`, `true`, `True`, or empty).
    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "1" | "true" | "yes" | ""))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Query {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Query, Infallible> {
        Ok(Query::parse(parts.uri.query().unwrap_or("")))
    }
}

/// `http://<Host>`: what links in answers start with.
pub fn base_url(headers: &HeaderMap) -> String {
    let host = headers.get("host").and_then(|v| v.to_str().ok()).unwrap_or("127.0.0.1");
    format!("http://{host}")
}

/// Parses a JSON body; Nova's and Neutron's 400 when it is not JSON or not an object.
pub fn parse_body(body: &[u8]) -> Result<Value> {
    let v: Value = serde_json::from_slice(body).map_err(|_| SimError::bad_request("Malformed request body"))?;
    if !v.is_object() {
        return Err(SimError::bad_request("Malformed request body"));
    }
    Ok(v)
}

/// The object under `key` of a body (`{"network": {...}}`).
pub fn member<'a>(body: &'a Value, key: &str) -> Result<&'a Map<String, Value>> {
    body.get(key)
        .and_then(Value::as_object)
        .ok_or_else(|| SimError::bad_request(format!("Resource body required: '{key}' is a required property")))
}

/// Typed reads of an object's fields, failing with a 400 on a wrong type.
pub trait Fields {
    /// A string (or absent / null).
    fn str_opt(&self, key: &str) -> Result<Option<String>>;
    /// A bool (also "true"/"false").
    fn bool_opt(&self, key: &str) -> Result<Option<bool>>;
    /// A non-negative integer (also as a string).
    fn u32_opt(&self, key: &str) -> Result<Option<u32>>;
    /// A list of strings.
    fn strings_opt(&self, key: &str) -> Result<Option<Vec<String>>>;
    /// A string→string map (values of other types are turned into strings).
    fn map_opt(&self, key: &str) -> Result<Option<BTreeMap<String, String>>>;
}

fn wrong(key: &str, v: &Value, what: &str) -> SimError {
    SimError::bad_request(format!(
        "Invalid input for field/attribute {key}. Value: {v}. {v} is not of type '{what}'"
    ))
}

impl Fields for Map<String, Value> {
    fn str_opt(&self, key: &str) -> Result<Option<String>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(v) => Err(wrong(key, v, "string")),
        }
    }

    fn bool_opt(&self, key: &str) -> Result<Option<bool>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
            Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
            Some(v) => Err(wrong(key, v, "boolean")),
        }
    }

    fn u32_opt(&self, key: &str) -> Result<Option<u32>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| wrong(key, &Value::Number(n.clone()), "integer")),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| wrong(key, &Value::String(s.clone()), "integer")),
            Some(v) => Err(wrong(key, v, "integer")),
        }
    }

    fn strings_opt(&self, key: &str) -> Result<Option<Vec<String>>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| v.as_str().map(str::to_string).ok_or_else(|| wrong(key, v, "string")))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            Some(v) => Err(wrong(key, v, "array")),
        }
    }

    fn map_opt(&self, key: &str) -> Result<Option<BTreeMap<String, String>>> {
        match self.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(o)) => Ok(Some(
                o.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
                        )
                    })
                    .collect(),
            )),
            Some(v) => Err(wrong(key, v, "object")),
        }
    }
}

/// Whether a JSON value equals a query-string value (strings as is, booleans as
/// `true`/`True`/`1`, numbers by their text, null as `None` or empty).
pub fn value_matches(v: &Value, wanted: &str) -> bool {
    match v {
        Value::String(s) => s == wanted,
        Value::Bool(b) => matches!(
            (b, wanted.to_ascii_lowercase().as_str()),
            (true, "true" | "1") | (false, "false" | "0")
        ),
        Value::Number(n) => n.to_string() == wanted,
        Value::Null => wanted.is_empty() || wanted == "None",
        Value::Array(a) => a.iter().any(|x| value_matches(x, wanted)),
        Value::Object(_) => false,
    }
}

/// Neutron's list filtering: every query key that names a field must match one of its
/// values (`fixed_ips=ip_address=...` and `fixed_ips=subnet_id=...` look into fixed IPs);
/// `fields` keeps only the named fields. Paging and sorting keys are ignored.
pub fn neutron_filter(items: Vec<Value>, q: &Query) -> Vec<Value> {
    const IGNORED: &[&str] = &[
        "fields",
        "limit",
        "marker",
        "sort_key",
        "sort_dir",
        "page_reverse",
        "verbose",
    ];
    let mut keys: Vec<&str> =
        q.0.iter()
            .map(|(k, _)| k.as_str())
            .filter(|k| !IGNORED.contains(k))
            .collect();
    keys.dedup();
    let fields = q.all("fields");
    items
        .into_iter()
        .filter(|item| {
            keys.iter().all(|k| {
                let wanted = q.all(k);
                if *k == "fixed_ips" {
                    let ips = item
                        .get("fixed_ips")
                        .and_then(Value::as_array)
                        .cloned()
                        .unwrap_or_default();
                    return wanted.iter().all(|w| {
                        let (field, value) = w.split_once('=').unwrap_or(("ip_address", w));
                        ips.iter()
                            .any(|ip| ip.get(field).is_some_and(|v| value_matches(v, value)))
                    });
                }
                match item.get(*k) {
                    Some(v) => wanted.iter().any(|w| value_matches(v, w)),
                    // Unknown filter keys are ignored, as Neutron does for
                    // attributes it does not know.
                    None => true,
                }
            })
        })
        .map(|item| {
            if fields.is_empty() {
                return item;
            }
            match item {
                Value::Object(o) => {
                    Value::Object(o.into_iter().filter(|(k, _)| fields.contains(&k.as_str())).collect())
                }
                other => other,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn queries_keep_repeats_and_decode() {
        let q = Query::parse("name=a%20b&id=1&id=2&all_tenants&x=y+z");
        assert_eq!(q.get("name"), Some("a b"));
        assert_eq!(q.all("id"), ["1", "2"]);
        assert!(q.flag("all_tenants"));
        assert_eq!(q.get("x"), Some("y z"));
    }

    #[test]
    fn neutron_filters_match_fields_and_fixed_ips() {
        let items = vec![
            json!({"id": "a", "name": "n1", "admin_state_up": true, "fixed_ips": [{"subnet_id": "s", "ip_address": "10.0.0.5"}]}),
            json!({"id": "b", "name": "n2", "admin_state_up": false, "fixed_ips": []}),
        ];
        let ids = |q: &str| {
            neutron_filter(items.clone(), &Query::parse(q))
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids("name=n2"), ["b"]);
        assert_eq!(ids("id=a&id=b"), ["a", "b"]);
        assert_eq!(ids("admin_state_up=True"), ["a"]);
        assert_eq!(ids("fixed_ips=ip_address%3D10.0.0.5"), ["a"]);
        assert_eq!(ids("fixed_ips=subnet_id%3Dzz"), Vec::<String>::new());
        let only = neutron_filter(items, &Query::parse("fields=id"));
        assert_eq!(only[0], json!({"id": "a"}));
    }
}
