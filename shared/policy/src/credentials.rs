//! The credentials Sahara enforces policy with: what its `Context.to_dict()` returns (oslo.context's
//! `RequestContext.to_dict()` plus Sahara's own keys), built from the request's identity.

use std::fmt;

use serde_json::{Map, Value, json};

/// The identity of a request, as Sahara's API context holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `X-User-Id`.
    pub user_id: Option<String>,
    /// `X-Tenant-Id` / `X-Project-Id`.
    pub project_id: Option<String>,
    /// The token's domain scope (Sahara never sets it).
    pub domain_id: Option<String>,
    /// The user's domain.
    pub user_domain_id: Option<String>,
    /// The project's domain.
    pub project_domain_id: Option<String>,
    /// The token's system scope (`all`), if system-scoped.
    pub system_scope: Option<String>,
    /// `is_admin` as the context holds it: Sahara's API contexts leave it `None`.
    pub is_admin: Option<bool>,
    /// oslo.context's `read_only`.
    pub read_only: bool,
    /// oslo.context's `show_deleted`.
    pub show_deleted: bool,
    /// `X-Auth-Token` (hidden from `Debug`).
    pub auth_token: Option<String>,
    /// The request id (`req-<uuid>`).
    pub request_id: Option<String>,
    /// The caller's global request id.
    pub global_request_id: Option<String>,
    /// oslo.context's `resource_uuid`.
    pub resource_uuid: Option<String>,
    /// `X-Roles` split on commas, as Sahara splits it (no trimming).
    pub roles: Vec<String>,
    /// Whether the project is the admin project (oslo.context's default: true).
    pub is_admin_project: bool,
    /// `X-Service-Catalog`, the raw header.
    pub service_catalog: Option<String>,
    /// `X-User-Name`.
    pub username: Option<String>,
    /// `X-Tenant-Name` / `X-Project-Name`.
    pub tenant_name: Option<String>,
}

impl Default for Credentials {
    fn default() -> Self {
        Self {
            user_id: None,
            project_id: None,
            domain_id: None,
            user_domain_id: None,
            project_domain_id: None,
            system_scope: None,
            is_admin: None,
            read_only: false,
            show_deleted: false,
            auth_token: None,
            request_id: None,
            global_request_id: None,
            resource_uuid: None,
            roles: Vec::new(),
            is_admin_project: true,
            service_catalog: None,
            username: None,
            tenant_name: None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user_id", &self.user_id)
            .field("project_id", &self.project_id)
            .field("roles", &self.roles)
            .field("is_admin", &self.is_admin)
            .field("system_scope", &self.system_scope)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "****"))
            .field("request_id", &self.request_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// Splits an `X-Roles` header the way Sahara does (`split(',')`, nothing trimmed).
    pub fn roles_from_header(header: &str) -> Vec<String> {
        header.split(',').map(str::to_string).collect()
    }

    /// Sahara's `ctx.to_dict()`: the creds dict passed to the policy engine, keys in Python's
    /// order (oslo.context's 17, then Sahara's 7).
    pub fn to_dict(&self) -> Value {
        let dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let user_identity = format!(
            "{} {} {} {} {}",
            dash(&self.user_id),
            dash(&self.project_id),
            dash(&self.domain_id),
            dash(&self.user_domain_id),
            dash(&self.project_domain_id)
        );
        let mut map = Map::new();
        let mut put = |k: &str, v: Value| {
            map.insert(k.to_string(), v);
        };
        put("user", json!(self.user_id));
        put("project_id", json!(self.project_id));
        put("system_scope", json!(self.system_scope));
        put("project", json!(self.project_id));
        put("domain", json!(self.domain_id));
        put("user_domain", json!(self.user_domain_id));
        put("project_domain", json!(self.project_domain_id));
        put("is_admin", json!(self.is_admin));
        put("read_only", json!(self.read_only));
        put("show_deleted", json!(self.show_deleted));
        put("auth_token", json!(self.auth_token));
        put("request_id", json!(self.request_id));
        put("global_request_id", json!(self.global_request_id));
        put("resource_uuid", json!(self.resource_uuid));
        put("roles", json!(self.roles));
        put("user_identity", json!(user_identity));
        put("is_admin_project", json!(self.is_admin_project));
        put("user_id", json!(self.user_id));
        put("tenant_id", json!(self.project_id));
        put("service_catalog", json!(self.service_catalog));
        put("username", json!(self.username));
        put("tenant_name", json!(self.tenant_name));
        put("user_name", json!(self.username));
        put("project_name", json!(self.tenant_name));
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_dict_has_saharas_keys_in_order() {
        let creds = Credentials {
            user_id: Some("u".into()),
            project_id: Some("p".into()),
            roles: Credentials::roles_from_header("admin, member"),
            ..Credentials::default()
        };
        let dict = creds.to_dict();
        let keys: Vec<&str> = dict.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys.len(), 24);
        assert_eq!(&keys[..3], ["user", "project_id", "system_scope"]);
        assert_eq!(dict["user_identity"], "u p - - -");
        assert_eq!(dict["roles"], json!(["admin", " member"]));
        assert_eq!(dict["is_admin"], Value::Null);
        assert_eq!(dict["is_admin_project"], true);
        assert!(!format!("{creds:?}").contains("auth_token: Some(\"t"));
    }
}
