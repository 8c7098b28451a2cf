//! Request authentication, in front of every route but version discovery (`/`), the v2 OpenAPI document and the
//! healthcheck: keystonemiddleware's `auth_token` with `[DEFAULT] auth_strategy = keystone`
//! (Sahara's only mode), or `noauth`, which trusts the identity headers of the request (unsafe,
//! for development). Either way the request carries a [`RequestContext`] extension and the
//! identity headers Sahara reads (`X-User-Id`, `X-Tenant-Id`, `X-Roles`, ...).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sahara_config::{AuthStrategyOpts, ConfigOpts, KeystoneAuthtokenOpts};
use sahara_keystone::{AuthError, TokenValidator, ValidatedToken};
use std::fmt;
use std::sync::Arc;

/// How the API authenticates requests (`[DEFAULT] auth_strategy`).
#[derive(Debug, Clone)]
pub enum Auth {
    /// `X-Auth-Token` validated against Keystone (`[keystone_authtoken]`).
    Keystone(Arc<TokenValidator>),
    /// The request's own identity headers, unchecked. Unsafe outside development.
    NoAuth,
}

impl Auth {
    /// The strategy the configuration asks for. `noauth` logs a warning: it is unsafe.
    pub fn from_conf(conf: &ConfigOpts) -> anyhow::Result<Self> {
        let strategy: AuthStrategyOpts = conf.group()?;
        match strategy.auth_strategy.as_str() {
            "noauth" => {
                tracing::warn!(
                    "[DEFAULT] auth_strategy = noauth: requests are NOT authenticated; anyone can act as any \
                     user and project by sending X-User-Id, X-Tenant-Id and X-Roles. Unsafe outside development."
                );
                Ok(Auth::NoAuth)
            }
            _ => {
                let opts: KeystoneAuthtokenOpts = conf.group()?;
                if opts.auth_url.is_none() {
                    tracing::error!(
                        "[keystone_authtoken] auth_url is not set: every request that needs authentication will \
                         be refused (503 with a token, 401 without)"
                    );
                }
                Ok(Auth::Keystone(Arc::new(TokenValidator::from_opts(&opts)?)))
            }
        }
    }
}

/// Who a request acts as: what Sahara builds its request context from.
#[derive(Clone, Default, PartialEq)]
pub struct RequestContext {
    /// `X-User-Id`.
    pub user_id: String,
    /// `X-User-Name`.
    pub user_name: Option<String>,
    /// `X-User-Domain-Id`.
    pub user_domain_id: Option<String>,
    /// `X-Tenant-Id` (the project).
    pub project_id: String,
    /// `X-Tenant-Name`.
    pub project_name: Option<String>,
    /// `X-Project-Domain-Id`.
    pub project_domain_id: Option<String>,
    /// `X-Roles`, split on commas.
    pub roles: Vec<String>,
    /// `X-Is-Admin-Project`.
    pub is_admin_project: bool,
    /// `X-Auth-Token` (never logged).
    pub auth_token: Option<String>,
    /// `X-Service-Catalog`: the v2-shaped catalog JSON Sahara hands to its clients.
    pub service_catalog: Option<String>,
    /// The trust of a trust-scoped token.
    pub trust_id: Option<String>,
    /// When the token expires (unknown with noauth).
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The token's audit ids.
    pub audit_ids: Vec<String>,
}

impl fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("user_id", &self.user_id)
            .field("user_name", &self.user_name)
            .field("project_id", &self.project_id)
            .field("project_name", &self.project_name)
            .field("roles", &self.roles)
            .field("is_admin_project", &self.is_admin_project)
            .field("auth_token", &self.auth_token.as_ref().map(|_| "<hidden>"))
            .field("service_catalog", &self.service_catalog.as_ref().map(|_| "<present>"))
            .field("trust_id", &self.trust_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl RequestContext {
    /// The context of a token Keystone confirmed.
    pub fn from_token(t: &ValidatedToken, token: &str, include_catalog: bool) -> Self {
        RequestContext {
            user_id: t.user_id.clone(),
            user_name: Some(t.user_name.clone()),
            user_domain_id: t.user_domain_id.clone(),
            project_id: t.project_id.clone().unwrap_or_default(),
            project_name: t.project_name.clone(),
            project_domain_id: t.project_domain_id.clone(),
            roles: t.roles.clone(),
            is_admin_project: t.is_admin_project,
            auth_token: Some(token.to_string()),
            service_catalog: include_catalog.then(|| t.service_catalog_header()).flatten(),
            trust_id: t.trust_id.clone(),
            expires_at: Some(t.expires_at),
            audit_ids: t.audit_ids.clone(),
        }
    }

    /// The RPC context of this request, with the keys Sahara's `Context` fills from the identity
    /// headers (user, project, token, `X-Service-Catalog` as the string Sahara keeps, names, roles);
    /// the rest keep oslo.context's defaults, as in Sahara.
    pub fn to_rpc_context(&self, request_id: Option<&str>) -> sahara_rpc::context::RequestContext {
        let mut ctx = sahara_rpc::context::RequestContext::for_user(self.user_id.clone(), self.project_id.clone());
        if let Some(id) = request_id {
            ctx.request_id = id.to_string();
        }
        ctx.auth_token = self.auth_token.clone();
        ctx.service_catalog = self.service_catalog.clone().map(serde_json::Value::String);
        ctx.user_name = self.user_name.clone();
        ctx.project_name = self.project_name.clone();
        ctx.roles = self.roles.clone();
        ctx
    }

    /// The credentials Sahara's `acl.enforce` hands oslo.policy: its context's `to_dict()`
    /// (`is_admin` stays unset, as Sahara's API context leaves it).
    pub fn policy_credentials(&self, request_id: Option<&str>) -> sahara_policy::Credentials {
        sahara_policy::Credentials {
            user_id: Some(self.user_id.clone()),
            project_id: Some(self.project_id.clone()),
            user_domain_id: self.user_domain_id.clone(),
            project_domain_id: self.project_domain_id.clone(),
            auth_token: self.auth_token.clone(),
            request_id: request_id.map(str::to_string),
            roles: self.roles.clone(),
            is_admin_project: self.is_admin_project,
            service_catalog: self.service_catalog.clone(),
            username: self.user_name.clone(),
            tenant_name: self.project_name.clone(),
            ..Default::default()
        }
    }

    /// The context Sahara builds from the identity headers (`noauth`): `None` without `X-Tenant-Id`.
    pub fn from_headers(h: &HeaderMap) -> Option<Self> {
        let get = |k: &str| h.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
        let project_id = get("x-tenant-id")
            .or_else(|| get("x-project-id"))
            .filter(|p| !p.is_empty())?;
        Some(RequestContext {
            user_id: get("x-user-id").unwrap_or_default(),
            user_name: get("x-user-name"),
            user_domain_id: get("x-user-domain-id"),
            project_id,
            project_name: get("x-tenant-name").or_else(|| get("x-project-name")),
            project_domain_id: get("x-project-domain-id"),
            roles: get("x-roles")
                .map(|r| r.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect())
                .unwrap_or_default(),
            is_admin_project: get("x-is-admin-project").is_none_or(|v| v.eq_ignore_ascii_case("true")),
            auth_token: get("x-auth-token"),
            service_catalog: get("x-service-catalog"),
            trust_id: None,
            expires_at: None,
            audit_ids: Vec::new(),
        })
    }
}

/// The authentication layer's state: the strategy and the paths it leaves open.
#[derive(Debug, Clone)]
pub struct Authenticator {
    /// The strategy.
    pub auth: Auth,
    /// The healthcheck path (open, like `/`).
    pub healthcheck_path: String,
}

impl Authenticator {
    fn is_open(&self, path: &str) -> bool {
        // Version discovery answers any path matching `^/*$` before authentication; the v2 OpenAPI document
        // is public too.
        path.chars().all(|c| c == '/') || path == self.healthcheck_path || path == crate::openapi::PATH
    }
}

fn render(e: &AuthError) -> Response {
    let (status, headers, body) = e.response_parts();
    let mut resp = Response::new(Body::from(body));
    *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::UNAUTHORIZED);
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp
}

/// Sahara's `AuthValidator` without `X-Tenant-Id`: webob's bare `503`.
fn no_tenant() -> Response {
    tracing::warn!("Can't get tenant_id from env");
    let body = "{\"message\": \"The server is currently unavailable. Please try again at a later time.<br /><br />\
                \\n\\n\\n\", \"code\": \"503 Service Unavailable\", \"title\": \"Service Unavailable\"}";
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("content-type", "application/json")],
        body,
    )
        .into_response()
}

/// The middleware: authenticates the request, or answers for it.
pub async fn authenticate(State(authn): State<Authenticator>, mut req: Request, next: Next) -> Response {
    if authn.is_open(req.uri().path()) {
        return next.run(req).await;
    }
    match &authn.auth {
        Auth::NoAuth => {
            let Some(ctx) = RequestContext::from_headers(req.headers()) else {
                return no_tenant();
            };
            req.extensions_mut().insert(ctx);
            next.run(req).await
        }
        Auth::Keystone(validator) => {
            // keystonemiddleware removes every identity header first, so clients cannot forge one.
            for name in sahara_keystone::identity_header_names() {
                req.headers_mut().remove(name.as_str());
            }
            let token = req
                .headers()
                .get("x-auth-token")
                .and_then(|v| v.to_str().ok())
                .map(|t| t.trim().to_string())
                .unwrap_or_default();
            let validated = match validator.validate(&token).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::info!(error = %e, "Rejecting request");
                    return render(&e);
                }
            };
            let include_catalog = validator.include_service_catalog();
            for (name, value) in validated.headers(include_catalog) {
                if let (Ok(k), Ok(v)) = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&value)) {
                    req.headers_mut().insert(k, v);
                }
            }
            req.extensions_mut()
                .insert(RequestContext::from_token(&validated, &token, include_catalog));
            let mut resp = next.run(req).await;
            // keystonemiddleware's process_response: every 401 tells where to authenticate.
            if resp.status() == StatusCode::UNAUTHORIZED
                && !resp.headers().contains_key("www-authenticate")
                && let Ok(v) = HeaderValue::from_str(&format!("Keystone uri=\"{}\"", validator.www_authenticate_uri()))
            {
                resp.headers_mut().insert("www-authenticate", v);
            }
            resp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn noauth_context_as_sahara_reads_the_headers() {
        let h = headers(&[
            ("x-user-id", "u1"),
            ("x-tenant-id", "p1"),
            ("x-roles", "member,reader"),
            ("x-auth-token", "secret-token"),
            ("x-tenant-name", "demo"),
        ]);
        let ctx = RequestContext::from_headers(&h).unwrap();
        assert_eq!((ctx.user_id.as_str(), ctx.project_id.as_str()), ("u1", "p1"));
        assert_eq!(ctx.roles, ["member", "reader"]);
        assert_eq!(ctx.project_name.as_deref(), Some("demo"));
        assert!(!format!("{ctx:?}").contains("secret-token"));
        assert!(RequestContext::from_headers(&headers(&[("x-user-id", "u1")])).is_none());
    }

    #[test]
    fn the_rpc_context_carries_project_roles_token_and_catalog() {
        let ctx = RequestContext {
            user_id: "u1".into(),
            project_id: "p1".into(),
            roles: vec!["member".into()],
            auth_token: Some("tok".into()),
            service_catalog: Some("[{\"type\": \"identity\"}]".into()),
            user_name: Some("demo".into()),
            project_name: Some("demo".into()),
            ..Default::default()
        };
        let d = ctx.to_rpc_context(Some("req-1")).to_dict();
        assert_eq!(d["tenant_id"], "p1");
        assert_eq!(d["user_id"], "u1");
        assert_eq!(d["roles"], serde_json::json!(["member"]));
        assert_eq!(d["auth_token"], "tok");
        assert_eq!(d["service_catalog"], "[{\"type\": \"identity\"}]");
        assert_eq!(d["request_id"], "req-1");
        assert_eq!(d["tenant_name"], "demo");
    }
}
