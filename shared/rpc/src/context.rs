//! The request context carried with every message, as oslo.context and Sahara shape it.
//!
//! On the wire a context is a flat dict sent as `_context_<key>` entries. `to_dict` emits
//! oslo.context's `RequestContext.to_dict()` keys in their order, then the keys Sahara's
//! `Context.to_dict()` adds (`user_id`, `tenant_id`, `service_catalog`, ...) so a Python
//! Sahara peer can rebuild its context from it. `from_dict` accepts every alias oslo does.

use serde_json::{Map, Value};
use std::fmt;

/// A caller's identity and request metadata.
#[derive(Clone, Default, PartialEq)]
pub struct RequestContext {
    /// Keystone user id.
    pub user_id: Option<String>,
    /// Keystone project (tenant) id.
    pub project_id: Option<String>,
    /// Domain id of a domain-scoped token.
    pub domain_id: Option<String>,
    /// The user's domain id.
    pub user_domain_id: Option<String>,
    /// The project's domain id.
    pub project_domain_id: Option<String>,
    /// User name.
    pub user_name: Option<String>,
    /// Project (tenant) name.
    pub project_name: Option<String>,
    /// Domain name.
    pub domain_name: Option<String>,
    /// The user's domain name.
    pub user_domain_name: Option<String>,
    /// The project's domain name.
    pub project_domain_name: Option<String>,
    /// System scope (`all`) of a system-scoped token.
    pub system_scope: Option<String>,
    /// Whether the caller is an administrator.
    pub is_admin: bool,
    /// Read-only request.
    pub read_only: bool,
    /// Whether deleted records are visible.
    pub show_deleted: bool,
    /// The caller's Keystone token (secret: never printed).
    pub auth_token: Option<String>,
    /// `req-<uuid>` of this request.
    pub request_id: String,
    /// Request id of the originating service, for cross-service correlation.
    pub global_request_id: Option<String>,
    /// Resource the request is about.
    pub resource_uuid: Option<String>,
    /// Role names.
    pub roles: Vec<String>,
    /// Whether the project is the admin project.
    pub is_admin_project: bool,
    /// Keystone service catalog, as the token carried it.
    pub service_catalog: Option<Value>,
    /// Keys we received but do not model; kept for inspection, not re-sent.
    pub extra: Map<String, Value>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("request_id", &self.request_id)
            .field("global_request_id", &self.global_request_id)
            .field("user_id", &self.user_id)
            .field("project_id", &self.project_id)
            .field("roles", &self.roles)
            .field("is_admin", &self.is_admin)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

/// A new `req-<uuid4>` request id.
pub fn new_request_id() -> String {
    format!("req-{}", uuid::Uuid::new_v4())
}

impl RequestContext {
    /// An empty context with a fresh request id (oslo's defaults: not admin, admin project).
    pub fn new() -> Self {
        RequestContext {
            request_id: new_request_id(),
            is_admin_project: true,
            ..Default::default()
        }
    }

    /// A context for `user_id` in `project_id`.
    pub fn for_user(user_id: impl Into<String>, project_id: impl Into<String>) -> Self {
        RequestContext {
            user_id: Some(user_id.into()),
            project_id: Some(project_id.into()),
            ..Self::new()
        }
    }

    /// An administrative context with no user (Sahara's `ctx()` for periodic tasks).
    pub fn admin() -> Self {
        RequestContext {
            is_admin: true,
            ..Self::new()
        }
    }

    /// oslo.context's `user_identity`: `user project domain user_domain project_domain`.
    pub fn user_identity(&self) -> String {
        let f = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        format!(
            "{} {} {} {} {}",
            f(&self.user_id),
            f(&self.project_id),
            f(&self.domain_id),
            f(&self.user_domain_id),
            f(&self.project_domain_id)
        )
    }

    /// The context dict sent on the wire (keys without the `_context_` prefix).
    pub fn to_dict(&self) -> Map<String, Value> {
        let s = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        let mut d = Map::with_capacity(28);
        d.insert("user".into(), s(&self.user_id));
        d.insert("project_id".into(), s(&self.project_id));
        d.insert("system_scope".into(), s(&self.system_scope));
        d.insert("project".into(), s(&self.project_id));
        d.insert("domain".into(), s(&self.domain_id));
        d.insert("user_domain".into(), s(&self.user_domain_id));
        d.insert("project_domain".into(), s(&self.project_domain_id));
        d.insert("is_admin".into(), Value::Bool(self.is_admin));
        d.insert("read_only".into(), Value::Bool(self.read_only));
        d.insert("show_deleted".into(), Value::Bool(self.show_deleted));
        d.insert("auth_token".into(), s(&self.auth_token));
        d.insert("request_id".into(), Value::String(self.request_id.clone()));
        d.insert("global_request_id".into(), s(&self.global_request_id));
        d.insert("resource_uuid".into(), s(&self.resource_uuid));
        d.insert(
            "roles".into(),
            Value::Array(self.roles.iter().cloned().map(Value::String).collect()),
        );
        d.insert("user_identity".into(), Value::String(self.user_identity()));
        d.insert("is_admin_project".into(), Value::Bool(self.is_admin_project));
        // Sahara's Context.to_dict() additions.
        d.insert("user_id".into(), s(&self.user_id));
        d.insert("tenant_id".into(), s(&self.project_id));
        d.insert(
            "service_catalog".into(),
            self.service_catalog.clone().unwrap_or(Value::Null),
        );
        d.insert("username".into(), s(&self.user_name));
        d.insert("tenant_name".into(), s(&self.project_name));
        d.insert("user_name".into(), s(&self.user_name));
        d.insert("project_name".into(), s(&self.project_name));
        for (k, v) in [
            ("domain_name", &self.domain_name),
            ("user_domain_name", &self.user_domain_name),
            ("project_domain_name", &self.project_domain_name),
        ] {
            if v.is_some() {
                d.insert(k.into(), s(v));
            }
        }
        d
    }

    /// The dict sent with notifications: the token is removed, as oslo's `redacted_copy`.
    pub fn to_redacted_dict(&self) -> Map<String, Value> {
        let mut d = self.to_dict();
        d.insert("auth_token".into(), Value::Null);
        d
    }

    /// Rebuilds a context from a received dict, accepting oslo's and Sahara's aliases.
    pub fn from_dict(d: &Map<String, Value>) -> Self {
        const KNOWN: &[&str] = &[
            "user",
            "user_id",
            "project_id",
            "tenant",
            "tenant_id",
            "project",
            "domain",
            "domain_id",
            "user_domain",
            "user_domain_id",
            "project_domain",
            "project_domain_id",
            "user_name",
            "username",
            "project_name",
            "tenant_name",
            "domain_name",
            "user_domain_name",
            "project_domain_name",
            "system_scope",
            "is_admin",
            "read_only",
            "show_deleted",
            "auth_token",
            "request_id",
            "global_request_id",
            "resource_uuid",
            "roles",
            "user_identity",
            "is_admin_project",
            "service_catalog",
        ];
        let first = |keys: &[&str]| -> Option<String> {
            keys.iter().find_map(|k| match d.get(*k) {
                Some(Value::String(s)) => Some(s.clone()),
                _ => None,
            })
        };
        let flag = |k: &str, default: bool| d.get(k).and_then(Value::as_bool).unwrap_or(default);
        let roles = match d.get("roles") {
            Some(Value::Array(a)) => a.iter().filter_map(|r| r.as_str().map(str::to_string)).collect(),
            Some(Value::String(s)) => s
                .split(',')
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty())
                .collect(),
            _ => Vec::new(),
        };
        RequestContext {
            user_id: first(&["user_id", "user"]),
            project_id: first(&["project_id", "tenant_id", "tenant", "project"]),
            domain_id: first(&["domain_id", "domain"]),
            user_domain_id: first(&["user_domain_id", "user_domain"]),
            project_domain_id: first(&["project_domain_id", "project_domain"]),
            user_name: first(&["user_name", "username"]),
            project_name: first(&["project_name", "tenant_name"]),
            domain_name: first(&["domain_name"]),
            user_domain_name: first(&["user_domain_name"]),
            project_domain_name: first(&["project_domain_name"]),
            system_scope: first(&["system_scope"]),
            is_admin: flag("is_admin", false),
            read_only: flag("read_only", false),
            show_deleted: flag("show_deleted", false),
            auth_token: first(&["auth_token"]),
            request_id: first(&["request_id"]).unwrap_or_else(new_request_id),
            global_request_id: first(&["global_request_id"]),
            resource_uuid: first(&["resource_uuid"]),
            roles,
            is_admin_project: flag("is_admin_project", true),
            service_catalog: d.get("service_catalog").filter(|v| !v.is_null()).cloned(),
            extra: d
                .iter()
                .filter(|(k, _)| !KNOWN.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn oslo_keys_come_first_in_order() {
        let c = RequestContext::for_user("u", "p");
        let dict = c.to_dict();
        let keys: Vec<&str> = dict.keys().map(String::as_str).take(17).collect();
        assert_eq!(
            keys,
            [
                "user",
                "project_id",
                "system_scope",
                "project",
                "domain",
                "user_domain",
                "project_domain",
                "is_admin",
                "read_only",
                "show_deleted",
                "auth_token",
                "request_id",
                "global_request_id",
                "resource_uuid",
                "roles",
                "user_identity",
                "is_admin_project"
            ]
        );
        assert_eq!(c.user_identity(), "u p - - -");
    }

    #[test]
    fn aliases_and_round_trip() {
        let d = json!({"tenant": "t1", "user": "u1", "roles": "admin, member", "auth_token": "tok",
                       "traceparent": "00-x", "service_catalog": [{"type": "compute"}]});
        let c = RequestContext::from_dict(d.as_object().unwrap());
        assert_eq!(c.project_id.as_deref(), Some("t1"));
        assert_eq!(c.roles, ["admin", "member"]);
        assert!(c.request_id.starts_with("req-"));
        assert_eq!(c.extra.get("traceparent"), Some(&json!("00-x")));
        let again = RequestContext::from_dict(&c.to_dict());
        assert_eq!(again.project_id, c.project_id);
        assert_eq!(again.service_catalog, c.service_catalog);
        assert_eq!(again.request_id, c.request_id);
        assert!(again.extra.is_empty());
    }

    #[test]
    fn token_is_never_printed_and_redacted_for_notifications() {
        let mut c = RequestContext::for_user("u", "p");
        c.auth_token = Some("gAAAAsecret".into());
        assert!(!format!("{c:?}").contains("gAAAAsecret"));
        assert_eq!(c.to_redacted_dict()["auth_token"], Value::Null);
        assert_eq!(c.to_dict()["auth_token"], json!("gAAAAsecret"));
    }
}
