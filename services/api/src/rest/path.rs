//! Paths as Sahara registers them: every rule under its version prefix, also with a `.json` suffix and with a
//! leading `/<tenant_id>` segment (sahara/utils/api.py `Rest.route`). The normaliser maps the four spellings
//! onto the one route our router declares, and the tenant check of Sahara's `AuthValidator`
//! (sahara/api/middleware/auth_valid.py) lives here as [`check_url_project`].

use super::Api;
use crate::error::ApiError;
use axum::http::StatusCode;
use std::collections::BTreeMap;

/// One segment of a rule: literal text or a `{parameter}`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Static(String),
    Param,
}

/// A rule such as `/plugins/{plugin_name}/{version}`, split into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern(Vec<Segment>);

impl Pattern {
    /// Parses an axum-style rule (`{name}` marks a parameter).
    pub fn parse(rule: &str) -> Self {
        Pattern(
            rule.trim_start_matches('/')
                .split('/')
                .map(|s| {
                    if s.starts_with('{') && s.ends_with('}') {
                        Segment::Param
                    } else {
                        Segment::Static(s.to_string())
                    }
                })
                .collect(),
        )
    }

    /// Whether `segments` (of a path without version prefix) is served by this rule; a parameter takes any
    /// non-empty segment, as werkzeug's default converter does.
    fn matches(&self, segments: &[&str]) -> bool {
        self.0.len() == segments.len()
            && self.0.iter().zip(segments).all(|(p, s)| match p {
                Segment::Static(t) => t == s,
                Segment::Param => !s.is_empty(),
            })
    }
}

/// The segment a request carried in the project position, stripped before routing (request extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlProject(pub String);

/// The rules of each version prefix, to recognise which spelling of a path was used.
#[derive(Debug, Clone, Default)]
pub struct PathTable {
    rules: BTreeMap<Api, Vec<Pattern>>,
}

/// A path rewritten onto a declared rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalised {
    /// The path the router sees: `/<version><rule>` with the parameters filled in.
    pub path: String,
    /// The project segment that was stripped, if any.
    pub project: Option<String>,
}

impl PathTable {
    /// Records that `api` serves `rule`.
    pub fn add(&mut self, api: Api, rule: &str) {
        let pattern = Pattern::parse(rule);
        let rules = self.rules.entry(api).or_default();
        if !rules.contains(&pattern) {
            rules.push(pattern);
        }
    }

    fn known(&self, api: Api, rest: &str) -> bool {
        let segments: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
        self.rules
            .get(&api)
            .is_some_and(|rules| rules.iter().any(|r| r.matches(&segments)))
    }

    /// Maps `path` onto a declared rule: tries the path as it is, without `.json`, without the project
    /// segment, and without both (werkzeug prefers the rule with more literal text, hence `.json` first and
    /// the project-less reading before the project one). `None` when no spelling matches a rule.
    pub fn normalise(&self, path: &str) -> Option<Normalised> {
        let (api, rest) = Api::split(path)?;
        let prefix = api.prefix();
        let mut candidates: Vec<(String, Option<String>)> = Vec::with_capacity(4);
        let plain = |rest: &str| -> Vec<String> {
            let mut v = Vec::with_capacity(2);
            if let Some(stripped) = rest.strip_suffix(".json") {
                v.push(stripped.to_string());
            }
            v.push(rest.to_string());
            v
        };
        for c in plain(rest) {
            candidates.push((c, None));
        }
        let trimmed = rest.strip_prefix('/').unwrap_or(rest);
        if let Some((project, tail)) = trimmed.split_once('/')
            && !project.is_empty()
        {
            for c in plain(&format!("/{tail}")) {
                candidates.push((c, Some(project.to_string())));
            }
        }
        candidates
            .into_iter()
            .find(|(c, _)| self.known(api, c))
            .map(|(c, project)| Normalised {
                path: format!("{prefix}{c}"),
                project,
            })
    }
}

/// oslo.utils' `is_uuid_like`: 32 hex digits once `urn:`, `uuid:`, surrounding braces and dashes are
/// removed, case-insensitive (so Keystone's dash-less project ids count).
pub fn is_uuid_like(value: &str) -> bool {
    let s = value.replace("urn:", "").replace("uuid:", "");
    let s = s.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    s.len() == 32 && s.chars().all(|c| c.is_ascii_hexdigit())
}

/// Sahara's `AuthValidator` check on the raw request path: when the segment after the version looks like a
/// UUID and differs from the token's project, 401 `Token tenant != requested tenant`. Paths that are not
/// `/<version>/<segment>[/...]` pass (Sahara's "Incorrect path" 404 belongs to routing here).
pub fn check_url_project(path: &str, token_project: &str) -> Result<(), ApiError> {
    if path == "/" {
        return Ok(());
    }
    let mut parts = path.trim_start_matches('/').splitn(3, '/');
    let _version = parts.next();
    match parts.next() {
        Some(segment) if is_uuid_like(segment) && segment != token_project => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Token tenant != requested tenant",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> PathTable {
        let mut t = PathTable::default();
        for api in [Api::V10, Api::V11] {
            t.add(api, "/plugins");
            t.add(api, "/plugins/{plugin_name}");
            t.add(api, "/clusters/{cluster_id}");
        }
        t.add(Api::V2, "/plugins");
        t
    }

    #[test]
    fn four_spellings_of_a_rule() {
        let t = table();
        let n = |p: &str| t.normalise(p).map(|n| (n.path, n.project));
        assert_eq!(n("/v1.1/plugins"), Some(("/v1.1/plugins".into(), None)));
        assert_eq!(n("/v1.1/plugins.json"), Some(("/v1.1/plugins".into(), None)));
        assert_eq!(
            n("/v1.1/abc/plugins"),
            Some(("/v1.1/plugins".into(), Some("abc".into())))
        );
        assert_eq!(
            n("/v1.1/abc/plugins.json"),
            Some(("/v1.1/plugins".into(), Some("abc".into())))
        );
        assert_eq!(
            n("/v1.0/abc/plugins/fake.json"),
            Some(("/v1.0/plugins/fake".into(), Some("abc".into())))
        );
        // A literal first segment wins over reading it as a project.
        assert_eq!(
            n("/v1.1/clusters/clusters"),
            Some(("/v1.1/clusters/clusters".into(), None))
        );
        assert_eq!(n("/v2/plugins"), Some(("/v2/plugins".into(), None)));
        assert_eq!(n("/v2/plugins/"), None);
        assert_eq!(n("/v2/p/plugins/fake"), None);
        assert_eq!(n("/v3/plugins"), None);
        assert_eq!(n("/v1.1/a/b/plugins"), None);
    }

    #[test]
    fn uuid_like_as_oslo() {
        assert!(is_uuid_like("0123456789abcdef0123456789abcdef"));
        assert!(is_uuid_like("01234567-89AB-cdef-0123-456789abcdef"));
        assert!(is_uuid_like("{01234567-89ab-cdef-0123-456789abcdef}"));
        assert!(is_uuid_like("urn:uuid:01234567-89ab-cdef-0123-456789abcdef"));
        assert!(!is_uuid_like("clusters"));
        assert!(!is_uuid_like("0123456789abcdef0123456789abcdeg"));
        assert!(!is_uuid_like("0123456789abcdef0123456789abcde"));
    }

    #[test]
    fn token_project_must_match_a_uuid_segment() {
        let p = "0123456789abcdef0123456789abcdef";
        let q = "fedcba9876543210fedcba9876543210";
        assert!(check_url_project(&format!("/v1.1/{p}/clusters"), p).is_ok());
        let e = check_url_project(&format!("/v1.1/{q}/clusters"), p).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert_eq!(e.message, "Token tenant != requested tenant");
        assert!(check_url_project("/v2/clusters", p).is_ok());
        assert!(check_url_project("/v1.1/not-a-uuid/clusters", p).is_ok());
        assert!(check_url_project("/", p).is_ok());
        assert!(check_url_project(&format!("/v2/{q}"), p).is_err());
    }
}
