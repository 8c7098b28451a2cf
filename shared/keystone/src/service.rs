//! The service user's own token (`[keystone_authtoken]` password credentials, as keystoneauth's
//! `password` plugin reads them): obtained on first use, shared by concurrent callers (one request
//! at a time), renewed before it expires or when Keystone refuses it.

use crate::clock::Clock;
use crate::error::AuthError;
use chrono::{DateTime, Duration, Utc};
use sahara_config::KeystoneAuthtokenOpts;
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// keystoneauth renews a token this long before it expires (`MIN_TOKEN_LIFE_SECONDS`).
pub const RENEW_BEFORE_SECS: i64 = 120;

/// The request timeout when `http_connect_timeout` is not set (keystoneauth has none; a Keystone
/// that never answers must not hold requests forever).
pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// The service's current token and what came with it.
#[derive(Clone)]
pub struct ServiceToken {
    /// The token (never logged).
    pub token: String,
    /// When Keystone says it expires.
    pub expires_at: DateTime<Utc>,
    /// When we renew it.
    renew_at: DateTime<Utc>,
    /// The catalog of the service token (where the identity endpoints are).
    pub catalog: Option<Value>,
}

impl fmt::Debug for ServiceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceToken")
            .field("token", &"<hidden>")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Password authentication of the service user, with its token kept until renewal.
pub struct ServiceAuth {
    http: reqwest::Client,
    auth_url: Option<String>,
    request: Option<Value>,
    interface: String,
    region_name: Option<String>,
    retries: u32,
    clock: Arc<dyn Clock>,
    current: tokio::sync::Mutex<Option<ServiceToken>>,
    public_identity: std::sync::Mutex<Option<String>>,
    authentications: AtomicU64,
}

impl fmt::Debug for ServiceAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAuth")
            .field("auth_url", &self.auth_url)
            .field("credentials", &self.request.as_ref().map(|_| "<hidden>"))
            .field("interface", &self.interface)
            .field("region_name", &self.region_name)
            .finish_non_exhaustive()
    }
}

/// `{base}/v3/auth/tokens`, whether `base` names the version or not.
pub fn tokens_url(base: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("/v3") {
        format!("{base}/auth/tokens")
    } else {
        format!("{base}/v3/auth/tokens")
    }
}

fn domain_ref(id: &Option<String>, name: &Option<String>, o: &KeystoneAuthtokenOpts) -> Option<Value> {
    if let Some(id) = id.as_ref().or(o.default_domain_id.as_ref()) {
        Some(json!({"id": id}))
    } else {
        name.as_ref()
            .or(o.default_domain_name.as_ref())
            .map(|n| json!({"name": n}))
    }
}

/// The body of the service user's `POST /v3/auth/tokens`, or why there is none.
fn auth_request(o: &KeystoneAuthtokenOpts) -> Result<Value, AuthError> {
    let password = o
        .password
        .as_ref()
        .ok_or_else(|| AuthError::Config("password is not set".into()))?;
    let user = if let Some(id) = &o.user_id {
        json!({"id": id, "password": password})
    } else {
        let name = o
            .username
            .as_ref()
            .ok_or_else(|| AuthError::Config("neither username nor user_id is set".into()))?;
        let mut u = json!({"name": name, "password": password});
        if let Some(d) = domain_ref(&o.user_domain_id, &o.user_domain_name, o) {
            u["domain"] = d;
        }
        u
    };
    let scope = if let Some(trust) = &o.trust_id {
        Some(json!({"OS-TRUST:trust": {"id": trust}}))
    } else if let Some(id) = &o.project_id {
        Some(json!({"project": {"id": id}}))
    } else if let Some(name) = &o.project_name {
        let mut p = json!({"name": name});
        if let Some(d) = domain_ref(&o.project_domain_id, &o.project_domain_name, o) {
            p["domain"] = d;
        }
        Some(json!({"project": p}))
    } else if let Some(id) = &o.domain_id {
        Some(json!({"domain": {"id": id}}))
    } else if let Some(name) = &o.domain_name {
        Some(json!({"domain": {"name": name}}))
    } else {
        o.system_scope.as_ref().map(|_| json!({"system": {"all": true}}))
    };
    let mut auth = json!({"identity": {"methods": ["password"], "password": {"user": user}}});
    if let Some(scope) = scope {
        auth["scope"] = scope;
    }
    Ok(json!({ "auth": auth }))
}

/// The HTTP client `[keystone_authtoken]` describes (timeout, CA file, client certificate, insecure).
pub fn http_client(o: &KeystoneAuthtokenOpts) -> Result<reqwest::Client, AuthError> {
    let timeout = o
        .http_connect_timeout
        .filter(|t| *t > 0)
        .map_or(DEFAULT_TIMEOUT_SECS, |t| t as u64);
    let mut b = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(timeout))
        .danger_accept_invalid_certs(o.insecure);
    if let Some(ca) = &o.cafile {
        let pem = std::fs::read(ca).map_err(|e| AuthError::Config(format!("cafile {ca}: {e}")))?;
        for cert in
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| AuthError::Config(format!("cafile {ca}: {e}")))?
        {
            b = b.add_root_certificate(cert);
        }
    }
    if let Some(cert) = &o.certfile {
        let mut pem = std::fs::read(cert).map_err(|e| AuthError::Config(format!("certfile {cert}: {e}")))?;
        if let Some(key) = &o.keyfile {
            pem.extend(std::fs::read(key).map_err(|e| AuthError::Config(format!("keyfile {key}: {e}")))?);
        }
        let id = reqwest::Identity::from_pem(&pem).map_err(|e| AuthError::Config(format!("certfile {cert}: {e}")))?;
        b = b.identity(id);
    }
    b.build().map_err(|e| AuthError::Config(format!("HTTP client: {e}")))
}

/// Sends the request `build` makes, again after a connection failure or timeout, up to `retries`
/// more times with keystoneauth's backoff (0.5 s, doubling).
pub(crate) async fn send_with_retries(
    retries: u32,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut delay = std::time::Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        match build().send().await {
            Err(e) if (e.is_connect() || e.is_timeout()) && attempt < retries => {
                tracing::warn!(error = %e, attempt, "Keystone unreachable; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(60));
                attempt += 1;
            }
            r => return r,
        }
    }
}

/// The URL of the identity endpoint in `catalog` with `interface` (and `region`, if given).
pub fn identity_endpoint(catalog: &Value, interface: &str, region: Option<&str>) -> Option<String> {
    catalog
        .as_array()?
        .iter()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("identity"))
        .flat_map(|s| s.get("endpoints").and_then(Value::as_array).into_iter().flatten())
        .find(|e| {
            e.get("interface").and_then(Value::as_str) == Some(interface)
                && region.is_none_or(|r| {
                    e.get("region").and_then(Value::as_str) == Some(r)
                        || e.get("region_id").and_then(Value::as_str) == Some(r)
                })
        })
        .and_then(|e| e.get("url").and_then(Value::as_str))
        .map(str::to_string)
}

impl ServiceAuth {
    /// The service user `[keystone_authtoken]` describes. With no `auth_url` it exists but every
    /// token request fails as "Keystone unavailable" (keystonemiddleware without credentials
    /// answers 503 too).
    pub fn new(o: &KeystoneAuthtokenOpts, clock: Arc<dyn Clock>) -> Result<Self, AuthError> {
        if o.auth_section.is_some() {
            return Err(AuthError::Config(
                "auth_section is not supported; set the options in [keystone_authtoken]".into(),
            ));
        }
        if let Some(t) = o
            .auth_type
            .as_deref()
            .filter(|t| !matches!(*t, "password" | "v3password"))
        {
            return Err(AuthError::Config(format!(
                "auth_type {t} is not supported (password is)"
            )));
        }
        let request = match &o.auth_url {
            Some(_) => Some(auth_request(o)?),
            None => None,
        };
        Ok(ServiceAuth {
            http: http_client(o)?,
            auth_url: o.auth_url.as_ref().map(|u| u.trim_end_matches('/').to_string()),
            request,
            interface: o.interface.trim_end_matches("URL").to_string(),
            region_name: o.region_name.clone(),
            retries: o.http_request_max_retries.max(0) as u32,
            clock,
            current: tokio::sync::Mutex::new(None),
            public_identity: std::sync::Mutex::new(None),
            authentications: AtomicU64::new(0),
        })
    }

    /// The HTTP client used for Keystone.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `http_request_max_retries`.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// `auth_url`, without a trailing slash.
    pub fn auth_url(&self) -> Option<&str> {
        self.auth_url.as_deref()
    }

    /// How many times the service user has authenticated (a renewal is one more).
    pub fn authentications(&self) -> u64 {
        self.authentications.load(Ordering::Relaxed)
    }

    /// The public identity endpoint of the last service token's catalog, if any.
    pub fn public_identity_endpoint(&self) -> Option<String> {
        self.public_identity.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A valid service token: the current one, or a new one when there is none or it is due for
    /// renewal. Concurrent callers wait for the one request under way.
    pub async fn token(&self) -> Result<ServiceToken, AuthError> {
        let mut current = self.current.lock().await;
        if let Some(t) = current.as_ref()
            && self.clock.now() < t.renew_at
        {
            return Ok(t.clone());
        }
        let fresh = self.authenticate().await?;
        *current = Some(fresh.clone());
        Ok(fresh)
    }

    /// Forgets `stale` (Keystone refused it), unless another caller already replaced it.
    pub async fn invalidate(&self, stale: &str) {
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(|t| t.token == stale) {
            tracing::info!("Keystone refused the service token; re-authenticating");
            *current = None;
        }
    }

    /// Where to validate user tokens: the catalog's identity endpoint for `interface` (and
    /// `region_name`), else `auth_url`.
    pub fn identity_url(&self, token: &ServiceToken) -> Option<String> {
        token
            .catalog
            .as_ref()
            .and_then(|c| identity_endpoint(c, &self.interface, self.region_name.as_deref()))
            .or_else(|| self.auth_url.clone())
    }

    async fn authenticate(&self) -> Result<ServiceToken, AuthError> {
        let (Some(url), Some(body)) = (&self.auth_url, &self.request) else {
            return Err(AuthError::Unavailable(
                "[keystone_authtoken] auth_url is not set".into(),
            ));
        };
        let url = tokens_url(url);
        self.authentications.fetch_add(1, Ordering::Relaxed);
        let resp = send_with_retries(self.retries, || self.http.post(&url).json(body))
            .await
            .map_err(|e| AuthError::Unavailable(format!("service authentication at {url}: {e}")))?;
        let status = resp.status();
        if !status.is_success() {
            tracing::error!(%status, %url, "Keystone refused the service credentials of [keystone_authtoken]");
            return Err(AuthError::Unavailable(format!(
                "service authentication at {url} answered {status}"
            )));
        }
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .ok_or_else(|| AuthError::Unavailable("service authentication answered no X-Subject-Token".into()))?;
        let body: Value = resp
            .json()
            .await
            .map_err(|e| AuthError::Unavailable(format!("service authentication body: {e}")))?;
        let expires_at = body["token"]["expires_at"]
            .as_str()
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|d| d.with_timezone(&Utc))
            .ok_or_else(|| AuthError::Unavailable("service token without a readable expires_at".into()))?;
        let now = self.clock.now();
        let lifetime = expires_at - now;
        let renew_at = expires_at - Duration::seconds(RENEW_BEFORE_SECS).min(lifetime / 2);
        let catalog = body["token"].get("catalog").cloned();
        if let Some(public) = catalog
            .as_ref()
            .and_then(|c| identity_endpoint(c, "public", self.region_name.as_deref()))
        {
            *self.public_identity.lock().unwrap_or_else(|e| e.into_inner()) = Some(public);
        }
        tracing::info!(%expires_at, "service token obtained from Keystone");
        Ok(ServiceToken {
            token,
            expires_at,
            renew_at,
            catalog,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sahara_config::ConfigOpts;

    fn opts(ini: &str) -> KeystoneAuthtokenOpts {
        ConfigOpts::from_ini_str(ini).unwrap().group().unwrap()
    }

    #[test]
    fn password_request_with_names_and_domains() {
        let o = opts(
            "[keystone_authtoken]\nauth_url = http://ks:5000\nusername = sahara\npassword = pw\n\
             project_name = service\nuser_domain_name = Default\nproject_domain_id = default\n",
        );
        let body = auth_request(&o).unwrap();
        assert_eq!(
            body,
            json!({"auth": {"identity": {"methods": ["password"], "password": {"user":
                {"name": "sahara", "password": "pw", "domain": {"name": "Default"}}}},
                "scope": {"project": {"name": "service", "domain": {"id": "default"}}}}})
        );
        let auth = ServiceAuth::new(&o, Arc::new(crate::SystemClock)).unwrap();
        let dbg = format!("{auth:?}");
        assert!(!dbg.contains("pw"), "{dbg}");
    }

    #[test]
    fn urls() {
        assert_eq!(tokens_url("http://ks:5000/"), "http://ks:5000/v3/auth/tokens");
        assert_eq!(tokens_url("http://ks:5000/v3"), "http://ks:5000/v3/auth/tokens");
        let catalog = json!([{"type": "identity", "endpoints": [
            {"interface": "public", "region": "R1", "url": "http://pub"},
            {"interface": "internal", "region": "R1", "url": "http://int"}]}]);
        assert_eq!(
            identity_endpoint(&catalog, "internal", None).as_deref(),
            Some("http://int")
        );
        assert_eq!(
            identity_endpoint(&catalog, "public", Some("R1")).as_deref(),
            Some("http://pub")
        );
        assert_eq!(identity_endpoint(&catalog, "public", Some("R2")), None);
    }

    #[test]
    fn unsupported_plugins_are_refused() {
        let o = opts("[keystone_authtoken]\nauth_type = token\n");
        assert!(matches!(
            ServiceAuth::new(&o, Arc::new(crate::SystemClock)),
            Err(AuthError::Config(_))
        ));
    }
}
