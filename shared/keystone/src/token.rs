//! A token Keystone confirmed: the identity Sahara's request context needs, and the headers
//! keystonemiddleware hands on to the application.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::fmt;

/// The identity and scope of a token Keystone confirmed.
#[derive(Clone, PartialEq)]
pub struct ValidatedToken {
    /// The user's id.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The user's domain id.
    pub user_domain_id: Option<String>,
    /// The user's domain name.
    pub user_domain_name: Option<String>,
    /// The project of a project-scoped token.
    pub project_id: Option<String>,
    /// Its name.
    pub project_name: Option<String>,
    /// Its domain id.
    pub project_domain_id: Option<String>,
    /// Its domain name.
    pub project_domain_name: Option<String>,
    /// The domain of a domain-scoped token.
    pub domain_id: Option<String>,
    /// Its name.
    pub domain_name: Option<String>,
    /// Whether the token is scoped to the whole system.
    pub system_scope_all: bool,
    /// Role names, in Keystone's order.
    pub roles: Vec<String>,
    /// Keystone's `is_admin_project` (true when Keystone does not say, as keystoneauth reads it).
    pub is_admin_project: bool,
    /// The v3 service catalog as Keystone returned it (`None` when not asked for or absent).
    pub catalog: Option<Value>,
    /// When the token stops being valid.
    pub expires_at: DateTime<Utc>,
    /// The trust of a trust-scoped token.
    pub trust_id: Option<String>,
    /// The token's audit ids (the chain of rescoped tokens).
    pub audit_ids: Vec<String>,
}

impl fmt::Debug for ValidatedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatedToken")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("project_id", &self.project_id)
            .field("project_name", &self.project_name)
            .field("domain_id", &self.domain_id)
            .field("roles", &self.roles)
            .field("is_admin_project", &self.is_admin_project)
            .field(
                "catalog",
                &self.catalog.as_ref().map(|c| c.as_array().map_or(0, Vec::len)),
            )
            .field("expires_at", &self.expires_at)
            .field("trust_id", &self.trust_id)
            .field("audit_ids", &self.audit_ids)
            .finish()
    }
}

#[derive(Deserialize)]
struct Body {
    token: Token,
}

#[derive(Deserialize)]
struct Named {
    id: Option<String>,
    name: Option<String>,
    domain: Option<Box<Named>>,
}

#[derive(Deserialize)]
struct Token {
    expires_at: String,
    user: Named,
    project: Option<Named>,
    domain: Option<Named>,
    system: Option<Map<String, Value>>,
    #[serde(default)]
    roles: Vec<Named>,
    catalog: Option<Value>,
    is_admin_project: Option<bool>,
    #[serde(default)]
    audit_ids: Vec<String>,
    #[serde(rename = "OS-TRUST:trust")]
    trust: Option<Named>,
}

impl ValidatedToken {
    /// Reads the body of Keystone's `GET /v3/auth/tokens` (or `POST`) answer.
    pub fn from_keystone_body(body: &[u8]) -> Result<Self, String> {
        let b: Body = serde_json::from_slice(body).map_err(|e| format!("unreadable token body: {e}"))?;
        let t = b.token;
        let expires_at = DateTime::parse_from_rfc3339(&t.expires_at)
            .map_err(|e| format!("unreadable expires_at {:?}: {e}", t.expires_at))?
            .with_timezone(&Utc);
        let (user_domain_id, user_domain_name) = split_domain(t.user.domain.as_deref());
        let (project_domain_id, project_domain_name) =
            split_domain(t.project.as_ref().and_then(|p| p.domain.as_deref()));
        Ok(ValidatedToken {
            user_id: t.user.id.ok_or("token without user id")?,
            user_name: t.user.name.unwrap_or_default(),
            user_domain_id,
            user_domain_name,
            project_id: t.project.as_ref().and_then(|p| p.id.clone()),
            project_name: t.project.as_ref().and_then(|p| p.name.clone()),
            project_domain_id,
            project_domain_name,
            domain_id: t.domain.as_ref().and_then(|d| d.id.clone()),
            domain_name: t.domain.as_ref().and_then(|d| d.name.clone()),
            system_scope_all: t
                .system
                .as_ref()
                .and_then(|s| s.get("all"))
                .and_then(Value::as_bool)
                .unwrap_or(false),
            roles: t.roles.into_iter().filter_map(|r| r.name).collect(),
            is_admin_project: t.is_admin_project.unwrap_or(true),
            catalog: t.catalog,
            expires_at,
            trust_id: t.trust.and_then(|t| t.id),
            audit_ids: t.audit_ids,
        })
    }

    /// Whether the token is still valid at `now`.
    pub fn is_valid_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }

    /// `X-Roles`: the role names joined with commas.
    pub fn roles_header(&self) -> String {
        self.roles.join(",")
    }

    /// `X-Service-Catalog`: the catalog in the v2 shape keystonemiddleware hands on (and Sahara
    /// reads with keystoneauth's `ServiceCatalogV2`), as JSON; `None` without a catalog.
    pub fn service_catalog_header(&self) -> Option<String> {
        self.catalog.as_ref().map(|c| normalize_catalog(c).to_string())
    }

    /// The headers keystonemiddleware sets on an authenticated request (`set_user_headers`, then
    /// `set_service_catalog_headers` when `include_catalog`), in its order; headers whose value
    /// keystonemiddleware would leave unset (no project on a domain-scoped token, ...) are left out.
    pub fn headers(&self, include_catalog: bool) -> Vec<(&'static str, String)> {
        let mut h: Vec<(&'static str, Option<String>)> = vec![
            ("X-Identity-Status", Some("Confirmed".to_string())),
            (
                "OpenStack-System-Scope",
                self.system_scope_all.then(|| "all".to_string()),
            ),
            ("X-Domain-Id", self.domain_id.clone()),
            ("X-Domain-Name", self.domain_name.clone()),
            ("X-Project-Id", self.project_id.clone()),
            ("X-Project-Name", self.project_name.clone()),
            ("X-Project-Domain-Id", self.project_domain_id.clone()),
            ("X-Project-Domain-Name", self.project_domain_name.clone()),
            ("X-User-Id", Some(self.user_id.clone())),
            ("X-User-Name", Some(self.user_name.clone())),
            ("X-User-Domain-Id", self.user_domain_id.clone()),
            ("X-User-Domain-Name", self.user_domain_name.clone()),
            ("X-Roles", Some(self.roles_header())),
            (
                "X-Is-Admin-Project",
                Some(if self.is_admin_project { "True" } else { "False" }.to_string()),
            ),
            // keystonemiddleware's deprecated aliases, which Sahara reads (X-Tenant-Id, X-Tenant-Name).
            ("X-Role", Some(self.roles_header())),
            ("X-User", Some(self.user_name.clone())),
            ("X-Tenant-Id", self.project_id.clone()),
            ("X-Tenant-Name", self.project_name.clone()),
            ("X-Tenant", self.project_name.clone()),
        ];
        if include_catalog {
            h.push(("X-Service-Catalog", self.service_catalog_header()));
        }
        h.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect()
    }
}

fn split_domain(d: Option<&Named>) -> (Option<String>, Option<String>) {
    (d.and_then(|d| d.id.clone()), d.and_then(|d| d.name.clone()))
}

/// keystonemiddleware's `_normalize_catalog`: a v3 catalog in the v2 shape, one endpoint entry
/// per region with `<interface>URL` keys.
pub fn normalize_catalog(v3: &Value) -> Value {
    let services = v3.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Array(
        services
            .iter()
            .map(|svc| {
                let mut out = Map::new();
                out.insert("type".into(), svc.get("type").cloned().unwrap_or(Value::Null));
                if let Some(name) = svc.get("name") {
                    out.insert("name".into(), name.clone());
                }
                // Regions in order of first appearance, as Python's dict keeps them.
                let mut regions: Vec<(Option<String>, Map<String, Value>)> = Vec::new();
                for ep in svc.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
                    let region = ep.get("region").and_then(Value::as_str).map(str::to_string);
                    let idx = match regions.iter().position(|(r, _)| *r == region) {
                        Some(i) => i,
                        None => {
                            let mut m = Map::new();
                            if let Some(r) = region.as_ref().filter(|r| !r.is_empty()) {
                                m.insert("region".into(), json!(r));
                            }
                            regions.push((region, m));
                            regions.len() - 1
                        }
                    };
                    let iface = ep.get("interface").and_then(Value::as_str).unwrap_or("").to_lowercase();
                    regions[idx]
                        .1
                        .insert(format!("{iface}URL"), ep.get("url").cloned().unwrap_or(Value::Null));
                }
                out.insert(
                    "endpoints".into(),
                    Value::Array(regions.into_iter().map(|(_, m)| Value::Object(m)).collect()),
                );
                Value::Object(out)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn body(expires_at: &str) -> Vec<u8> {
        json!({"token": {
            "methods": ["password"],
            "user": {"id": "u1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
            "project": {"id": "p1", "name": "demo", "domain": {"id": "default", "name": "Default"}},
            "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}],
            "catalog": [{"type": "identity", "name": "keystone", "endpoints": [
                {"interface": "public", "region": "RegionOne", "url": "http://ks:5000"},
                {"interface": "internal", "region": "RegionOne", "url": "http://ks-int:5000"}]}],
            "expires_at": expires_at,
            "issued_at": "2026-01-01T00:00:00.000000Z",
            "audit_ids": ["a1"],
        }})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn reads_keystones_token_and_hands_on_keystonemiddlewares_headers() {
        let t = ValidatedToken::from_keystone_body(&body("2026-01-01T01:00:00.000000Z")).unwrap();
        assert_eq!(t.user_id, "u1");
        assert_eq!(t.project_id.as_deref(), Some("p1"));
        assert_eq!(t.roles, ["member", "reader"]);
        assert!(t.is_admin_project);
        assert_eq!(t.expires_at.to_rfc3339(), "2026-01-01T01:00:00+00:00");
        let h = t.headers(true);
        let get = |k: &str| h.iter().find(|(n, _)| *n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("X-Identity-Status"), Some("Confirmed"));
        assert_eq!(get("X-Roles"), Some("member,reader"));
        assert_eq!(get("X-Tenant-Id"), Some("p1"));
        assert_eq!(get("X-Domain-Id"), None);
        let catalog: Value = serde_json::from_str(get("X-Service-Catalog").unwrap()).unwrap();
        assert_eq!(
            catalog,
            json!([{"type": "identity", "name": "keystone", "endpoints": [
                {"region": "RegionOne", "publicURL": "http://ks:5000", "internalURL": "http://ks-int:5000"}]}])
        );
        assert!(!t.headers(false).iter().any(|(n, _)| *n == "X-Service-Catalog"));
    }

    #[test]
    fn debug_shows_no_catalog_urls() {
        let t = ValidatedToken::from_keystone_body(&body("2026-01-01T01:00:00Z")).unwrap();
        assert!(!format!("{t:?}").contains("http://"));
    }
}
