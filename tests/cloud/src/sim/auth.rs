//! Token validation, as keystonemiddleware does it: `GET /v3/auth/tokens` on the real
//! Keystone with the user's token in `X-Subject-Token` and the simulator's own service
//! token in `X-Auth-Token`; answers cached (keyed by a digest of the token, never the
//! token) until the token expires or `cache_ttl` passes, whichever is first.
//!
//! [`TokenValidator`] keeps the REST layer independent of Keystone; [`KeystoneValidator`]
//! is the real one.

use super::context::RequestContext;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Duration;

/// Why a token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Keystone says the token is not valid (or it has no project scope).
    #[error("the token is not valid")]
    Invalid,
    /// Keystone could not be asked, or answered something unexpected.
    #[error("identity service: {0}")]
    Unavailable(String),
}

/// What Keystone says of a valid token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedToken {
    /// The user.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The project it is scoped to.
    pub project_id: String,
    /// The project's name.
    pub project_name: String,
    /// Role names.
    pub roles: Vec<String>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
    /// The trust it was issued under, for a trust-scoped token.
    pub trust_id: Option<String>,
}

impl ValidatedToken {
    /// The request context the token stands for.
    pub fn context(&self) -> RequestContext {
        RequestContext::new(self.project_id.clone(), self.user_id.clone(), self.roles.clone())
    }
}

/// A boxed future, for the object-safe trait.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Validates tokens.
pub trait TokenValidator: Send + Sync + 'static {
    /// What `token` stands for.
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<ValidatedToken, AuthError>>;

    /// The `WWW-Authenticate` value of a 401 (`Keystone uri="<keystone>"`).
    fn www_authenticate(&self) -> String;
}

/// The simulator's service account on Keystone. `Debug` hides the password.
#[derive(Clone)]
pub struct ServiceAccount {
    /// Keystone, unversioned (`http://127.0.0.1:5000`).
    pub auth_url: String,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Project name.
    pub project_name: String,
    /// The user's domain name.
    pub user_domain_name: String,
    /// The project's domain name.
    pub project_domain_name: String,
}

impl fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("auth_url", &self.auth_url)
            .field("username", &self.username)
            .field("password", &"<hidden>")
            .field("project_name", &self.project_name)
            .finish()
    }
}

/// Validated tokens by the SHA-256 of the token, with the time each entry goes stale.
type TokenCache = HashMap<[u8; 32], (ValidatedToken, DateTime<Utc>)>;

struct ServiceToken {
    token: String,
    expires_at: DateTime<Utc>,
}

/// keystonemiddleware's behaviour against the real Keystone.
pub struct KeystoneValidator {
    account: ServiceAccount,
    http: reqwest::Client,
    cache_ttl: Duration,
    service_token: tokio::sync::Mutex<Option<ServiceToken>>,
    cache: Mutex<TokenCache>,
}

impl fmt::Debug for KeystoneValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeystoneValidator")
            .field("account", &self.account)
            .finish()
    }
}

fn digest(token: &str) -> [u8; 32] {
    use sha2::Digest as _;
    sha2::Sha256::digest(token.as_bytes()).into()
}

impl KeystoneValidator {
    /// A validator for `account`, caching answers for at most 300 s
    /// (keystonemiddleware's `token_cache_time`).
    pub fn new(account: ServiceAccount) -> KeystoneValidator {
        KeystoneValidator::with_cache_ttl(account, Duration::from_secs(300))
    }

    /// A validator with its own cache lifetime.
    pub fn with_cache_ttl(account: ServiceAccount, cache_ttl: Duration) -> KeystoneValidator {
        KeystoneValidator {
            account,
            // uWSGI (`--http11-socket`) drops a connection idle for 4 s; never reuse one
            // that old.
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(30))
                .pool_idle_timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_default(),
            cache_ttl,
            service_token: tokio::sync::Mutex::new(None),
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.account.auth_url.trim_end_matches('/'))
    }

    async fn service_token(&self, renew: bool) -> Result<String, AuthError> {
        let mut guard = self.service_token.lock().await;
        if !renew
            && let Some(t) = guard.as_ref()
            && t.expires_at > Utc::now() + chrono::Duration::seconds(30)
        {
            return Ok(t.token.clone());
        }
        let a = &self.account;
        let body = serde_json::json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": a.username, "domain": {"name": a.user_domain_name}, "password": a.password}}},
            "scope": {"project": {"name": a.project_name, "domain": {"name": a.project_domain_name}}}
        }});
        let resp = self
            .http
            .post(self.url("/v3/auth/tokens"))
            .json(&body)
            .send()
            .await
            .map_err(|e| AuthError::Unavailable(format!("service token: {e}")))?;
        let status = resp.status();
        let token = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let json: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| AuthError::Unavailable(format!("service token: {e}")))?;
        let (Some(token), true) = (token, status.is_success()) else {
            return Err(AuthError::Unavailable(format!(
                "service token: Keystone answered {status}"
            )));
        };
        let expires_at = parse_expiry(&json).unwrap_or_else(|| Utc::now() + chrono::Duration::minutes(30));
        *guard = Some(ServiceToken {
            token: token.clone(),
            expires_at,
        });
        tracing::debug!(%expires_at, "service token obtained");
        Ok(token)
    }

    async fn fetch(&self, token: &str) -> Result<ValidatedToken, AuthError> {
        let mut renew = false;
        for _ in 0..2 {
            let service = self.service_token(renew).await?;
            let resp = self
                .http
                .get(self.url("/v3/auth/tokens"))
                .header("X-Auth-Token", service)
                .header("X-Subject-Token", token)
                .send()
                .await
                .map_err(|e| AuthError::Unavailable(format!("validating a token: {e}")))?;
            match resp.status().as_u16() {
                200 => {
                    let json: serde_json::Value = resp
                        .json()
                        .await
                        .map_err(|e| AuthError::Unavailable(format!("validating a token: {e}")))?;
                    return parse_token(&json).ok_or(AuthError::Invalid);
                }
                401 if !renew => renew = true,
                404 | 401 => return Err(AuthError::Invalid),
                other => {
                    return Err(AuthError::Unavailable(format!(
                        "validating a token: Keystone answered {other}"
                    )));
                }
            }
        }
        Err(AuthError::Invalid)
    }
}

fn parse_expiry(json: &serde_json::Value) -> Option<DateTime<Utc>> {
    json.pointer("/token/expires_at")?.as_str()?.parse().ok()
}

fn parse_token(json: &serde_json::Value) -> Option<ValidatedToken> {
    let t = json.get("token")?;
    let s = |p: &str| t.pointer(p).and_then(|v| v.as_str()).map(str::to_string);
    Some(ValidatedToken {
        user_id: s("/user/id")?,
        user_name: s("/user/name").unwrap_or_default(),
        project_id: s("/project/id")?,
        project_name: s("/project/name").unwrap_or_default(),
        roles: t
            .get("roles")?
            .as_array()?
            .iter()
            .filter_map(|r| r.get("name").and_then(|n| n.as_str()).map(str::to_string))
            .collect(),
        expires_at: parse_expiry(json)?,
        trust_id: s("/OS-TRUST:trust/id"),
    })
}

impl TokenValidator for KeystoneValidator {
    fn validate<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<ValidatedToken, AuthError>> {
        Box::pin(async move {
            let key = digest(token);
            let now = Utc::now();
            {
                let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
                cache.retain(|_, (t, until)| *until > now && t.expires_at > now);
                if let Some((t, _)) = cache.get(&key) {
                    return Ok(t.clone());
                }
            }
            let validated = self.fetch(token).await?;
            if validated.expires_at <= now {
                return Err(AuthError::Invalid);
            }
            let ttl = chrono::Duration::from_std(self.cache_ttl).unwrap_or_else(|_| chrono::Duration::seconds(300));
            let until = (now + ttl).min(validated.expires_at);
            self.cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, (validated.clone(), until));
            Ok(validated)
        })
    }

    fn www_authenticate(&self) -> String {
        format!("Keystone uri=\"{}\"", self.account.auth_url.trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keystone_token_bodies_parse() {
        let json = serde_json::json!({"token": {
            "user": {"id": "u1", "name": "demo", "domain": {"id": "default"}},
            "project": {"id": "p1", "name": "demo"},
            "roles": [{"id": "r1", "name": "member"}, {"id": "r2", "name": "reader"}],
            "expires_at": "2030-01-01T00:00:00.000000Z",
            "OS-TRUST:trust": {"id": "t1", "impersonation": true}
        }});
        let t = parse_token(&json).unwrap();
        assert_eq!((t.user_id.as_str(), t.project_id.as_str()), ("u1", "p1"));
        assert_eq!(t.roles, ["member", "reader"]);
        assert_eq!(t.trust_id.as_deref(), Some("t1"));
        assert!(!t.context().is_admin);
        let unscoped =
            serde_json::json!({"token": {"user": {"id": "u"}, "roles": [], "expires_at": "2030-01-01T00:00:00Z"}});
        assert!(parse_token(&unscoped).is_none(), "a token without a project is refused");
    }

    #[test]
    fn the_password_never_shows() {
        let a = ServiceAccount {
            auth_url: "http://k".into(),
            username: "u".into(),
            password: "s3cret".into(),
            project_name: "p".into(),
            user_domain_name: "Default".into(),
            project_domain_name: "Default".into(),
        };
        assert!(!format!("{a:?}").contains("s3cret"));
        assert!(!format!("{:?}", KeystoneValidator::new(a)).contains("s3cret"));
    }
}
