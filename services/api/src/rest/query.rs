//! Query arguments as Flask's `request.args` holds them (a multi-dict in request order), and v2's
//! `validate_request_params` whitelist (sahara/service/validation.py).

use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use sahara_model::error::{INVALID_PARAMS_ON_REQUEST, py_repr_list};
use std::convert::Infallible;

/// Paging arguments every list call accepts.
pub const PAGINATION_PARAMS: &[&str] = &["marker", "limit", "sort_by"];

/// The query arguments of a request, in order, repeated keys kept (`?tags=a&tags=b`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args(pub Vec<(String, String)>);

impl Args {
    /// Parses a query string (`a=1&b=2`, `+` as space, percent-decoded, `?k` as `k=""`).
    pub fn parse(query: Option<&str>) -> Self {
        let pairs = query.and_then(|q| serde_urlencoded_pairs(q).ok()).unwrap_or_default();
        Args(pairs)
    }

    /// The first value of `key` (what `request.args[key]` answers).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// Every value of `key` (`request.args.getlist(key)`).
    pub fn get_all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Whether `key` was given.
    pub fn contains(&self, key: &str) -> bool {
        self.0.iter().any(|(k, _)| k == key)
    }

    /// The distinct keys, in first-seen order.
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for (k, _) in &self.0 {
            if !keys.contains(&k.as_str()) {
                keys.push(k);
            }
        }
        keys
    }

    /// v2's `validate_request_params(supported)` for the view function `func`: any key outside `supported`
    /// and the paging keys answers 400 INVALID_PARAMS_ON_REQUEST
    /// `The only valid params for <func> are [...] and ['marker', 'limit', 'sort_by']`.
    pub fn only(&self, func: &str, supported: &[&str]) -> Result<(), ApiError> {
        let unknown = self
            .keys()
            .into_iter()
            .any(|k| !supported.contains(&k) && !PAGINATION_PARAMS.contains(&k));
        if unknown {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS_ON_REQUEST,
                format!(
                    "The only valid params for {func} are {} and {}",
                    py_repr_list(supported),
                    py_repr_list(PAGINATION_PARAMS)
                ),
            ));
        }
        Ok(())
    }
}

fn serde_urlencoded_pairs(query: &str) -> Result<Vec<(String, String)>, ()> {
    axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&format!("/?{query}").parse().map_err(|_| ())?)
        .map(|q| q.0)
        .map_err(|_| ())
}

impl<S: Send + Sync> FromRequestParts<S> for Args {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Args::parse(parts.uri.query()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_dict() {
        let a = Args::parse(Some("tags=a&name=x+y&tags=b&flag&e=%2F"));
        assert_eq!(a.get("tags"), Some("a"));
        assert_eq!(a.get_all("tags"), ["a", "b"]);
        assert_eq!(a.get("name"), Some("x y"));
        assert_eq!(a.get("flag"), Some(""));
        assert_eq!(a.get("e"), Some("/"));
        assert_eq!(a.keys(), ["tags", "name", "flag", "e"]);
        assert_eq!(Args::parse(None), Args::default());
    }

    #[test]
    fn v2_whitelist_message() {
        let a = Args::parse(Some("limit=1&marker=x&sort_by=-name"));
        assert!(a.only("plugins_list", &[]).is_ok());
        let e = Args::parse(Some("foo=1")).only("plugins_list", &[]).unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(e.name, "INVALID_PARAMS_ON_REQUEST");
        assert_eq!(
            e.message,
            "The only valid params for plugins_list are [] and ['marker', 'limit', 'sort_by']"
        );
        let e = Args::parse(Some("x=1"))
            .only("clusters_list", &["plugin_name", "name"])
            .unwrap_err();
        assert_eq!(
            e.message,
            "The only valid params for clusters_list are ['plugin_name', 'name'] and ['marker', 'limit', 'sort_by']"
        );
    }
}
