//! List calls' paging and sorting as Sahara validates and answers them (sahara/service/validation.py
//! `validate_pagination_limit`, `validate_sorting_*`; sahara/db/sqlalchemy/api.py `_get_prev_and_next_objects`;
//! sahara/utils/api.py `render` of a page).

use super::query::Args;
use crate::error::{ApiError, error_id};
use axum::http::StatusCode;
use sahara_model::SortOrder;
use serde_json::{Map, Value};

/// `error_name` of the limit and sort errors. Sahara answers the integer `400` there (it passes the status as the
/// exception's code); we answer a proper name with the same status, as the reference notes.
pub const LISTING_ERROR_NAME: &str = "BAD_REQUEST";

fn listing_error(message: &str) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        LISTING_ERROR_NAME,
        format!("{message}\nError ID: {}", error_id()),
    )
}

/// Python's `int(str)` for the values a query can carry: surrounding whitespace, a sign, digits with single
/// underscores between them.
fn py_int(s: &str) -> Option<i128> {
    let t = s.trim();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let n: i128 = digits.replace('_', "").parse().ok()?;
    Some(if neg { -n } else { n })
}

/// `validate_pagination_limit`: `limit`, when given, must be a positive integer (400
/// `'limit' must be positive integer` otherwise). Returns the limit.
pub fn limit(args: &Args) -> Result<Option<u64>, ApiError> {
    let Some(raw) = args.get("limit") else {
        return Ok(None);
    };
    match py_int(raw) {
        Some(n) if n > 0 => Ok(Some(u64::try_from(n).unwrap_or(u64::MAX))),
        _ => Err(listing_error("'limit' must be positive integer")),
    }
}

/// The `marker` argument (an object id; the caller answers 404 when it names no visible object).
pub fn marker(args: &Args) -> Option<&str> {
    args.get("marker")
}

/// `get_sorting_field`: the `sort_by` field without its `-` prefix; `None` when absent or empty.
pub fn sort_field(args: &Args) -> Option<&str> {
    args.get("sort_by")
        .filter(|s| !s.is_empty())
        .map(|s| s.strip_prefix('-').unwrap_or(s))
}

/// `validate_sorting_<resource>`: 400 `Unknown field for sorting <f>` unless the field is in `allowed`.
pub fn validate_sorting(args: &Args, allowed: &[&str]) -> Result<(), ApiError> {
    match sort_field(args) {
        Some(f) if !allowed.contains(&f) => Err(listing_error(&format!("Unknown field for sorting {f}"))),
        _ => Ok(()),
    }
}

/// A conductor failure of a list call: oslo.db's `InvalidSortKey` for a `sort_by` naming no sortable column (v2
/// clusters do not check the field first) is answered 400 `Unknown field for sorting <f>`, not 500 as in Sahara.
pub fn sort_key_error(err: sahara_model::conductor::ConductorCallError, args: &Args) -> ApiError {
    match &err {
        sahara_model::conductor::ConductorCallError::Failed(reason)
            if reason.contains("Sort key supplied is invalid") =>
        {
            let field = args.get("sort_by").unwrap_or_default();
            listing_error(&format!(
                "Unknown field for sorting {}",
                field.strip_prefix('-').unwrap_or(field)
            ))
        }
        _ => err.into(),
    }
}

/// The sort the DB layer applies: `sort_by` field and direction, `id` ascending by default.
pub fn sort(args: &Args) -> (String, SortOrder) {
    let (field, order) = sahara_model::kind::parse_sort_by(args.get("sort_by"));
    (field.to_string(), order)
}

/// The `markers` of a page over `ids`, the full list in display order (already reversed for a descending
/// sort): no limit, no markers; after the marker at `marker_pos`, prev is `limit` rows back and next `limit`
/// rows on; without a marker, next is the last row of the first page when more rows follow.
pub fn markers(ids: &[String], limit: Option<u64>, marker_pos: Option<usize>) -> (Option<String>, Option<String>) {
    let Some(limit) = limit.and_then(|l| usize::try_from(l).ok()).filter(|l| *l > 0) else {
        return (None, None);
    };
    match marker_pos {
        Some(p) => (
            p.checked_sub(limit).map(|i| ids[i].clone()),
            p.checked_add(limit).and_then(|i| ids.get(i)).cloned(),
        ),
        None => (
            None,
            if limit < ids.len() {
                Some(ids[limit - 1].clone())
            } else {
                None
            },
        ),
    }
}

/// `render` of a page: `{"<key>": items}` plus `"markers": {"prev", "next"}` when either is set or the
/// request carried `marker`.
pub fn page_body(
    key: &str,
    items: Vec<Value>,
    prev: Option<String>,
    next: Option<String>,
    marker_requested: bool,
) -> Value {
    let mut body = Map::new();
    body.insert(key.to_string(), Value::Array(items));
    if prev.is_some() || next.is_some() || marker_requested {
        let mut m = Map::new();
        m.insert("prev".into(), prev.map_or(Value::Null, Value::String));
        m.insert("next".into(), next.map_or(Value::Null, Value::String));
        body.insert("markers".into(), Value::Object(m));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(q: &str) -> Args {
        Args::parse(Some(q))
    }

    #[test]
    fn limit_must_be_a_positive_integer() {
        assert_eq!(limit(&Args::default()).unwrap(), None);
        assert_eq!(limit(&args("limit=3")).unwrap(), Some(3));
        assert_eq!(limit(&args("limit=+3")).unwrap(), Some(3)); // '+' is a space: int(" 3")
        assert_eq!(limit(&args("limit=1_0")).unwrap(), Some(10));
        for bad in [
            "limit=0",
            "limit=-1",
            "limit=abc",
            "limit=",
            "limit=1.5",
            "limit=_1",
            "limit=1__0",
        ] {
            let e = limit(&args(bad)).unwrap_err();
            assert_eq!(e.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(
                e.message.starts_with("'limit' must be positive integer\nError ID: "),
                "{bad}"
            );
        }
    }

    #[test]
    fn sorting_fields() {
        let allowed = ["id", "name"];
        assert!(validate_sorting(&Args::default(), &allowed).is_ok());
        assert!(validate_sorting(&args("sort_by=-name"), &allowed).is_ok());
        assert!(validate_sorting(&args("sort_by="), &allowed).is_ok());
        let e = validate_sorting(&args("sort_by=-status"), &allowed).unwrap_err();
        assert!(e.message.starts_with("Unknown field for sorting status\nError ID: "));
        let e = validate_sorting(&args("sort_by=-"), &allowed).unwrap_err();
        assert!(e.message.starts_with("Unknown field for sorting \nError ID: "));
        assert_eq!(sort(&args("sort_by=-name")), ("name".to_string(), SortOrder::Desc));
        assert_eq!(sort(&Args::default()), ("id".to_string(), SortOrder::Asc));
        assert_eq!(marker(&args("marker=m1")), Some("m1"));
    }

    #[test]
    fn markers_as_section_1d() {
        let ids: Vec<String> = (0..7).map(|i| format!("i{i}")).collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(markers(&ids, None, None), (None, None));
        assert_eq!(markers(&ids, None, Some(2)), (None, None));
        assert_eq!(markers(&ids, Some(3), None), (None, s("i2")));
        assert_eq!(markers(&ids, Some(7), None), (None, None));
        assert_eq!(markers(&ids, Some(10), None), (None, None));
        assert_eq!(markers(&ids, Some(2), Some(1)), (None, s("i3")));
        assert_eq!(markers(&ids, Some(2), Some(2)), (s("i0"), s("i4")));
        assert_eq!(markers(&ids, Some(2), Some(5)), (s("i3"), None));
        assert_eq!(markers(&ids, Some(2), Some(4)), (s("i2"), s("i6")));
    }

    #[test]
    fn page_rendering() {
        assert_eq!(
            page_body("clusters", vec![], None, None, false),
            json!({"clusters": []})
        );
        assert_eq!(
            page_body("clusters", vec![], None, None, true),
            json!({"clusters": [], "markers": {"prev": null, "next": null}})
        );
        assert_eq!(
            page_body("binaries", vec![json!(1)], None, Some("n".into()), false),
            json!({"binaries": [1], "markers": {"prev": null, "next": "n"}})
        );
    }
}
