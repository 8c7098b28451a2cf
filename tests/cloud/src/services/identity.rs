//! A small typed client of Keystone's v3 REST API: what the cloud needs to provision
//! itself (projects, users, roles, grants, domains, services, endpoints) and to check the
//! tokens Sahara uses (password, project-scoped and trust-scoped tokens, trusts).
//!
//! Tokens and passwords are never logged: [`Token`]'s `Debug` hides its id.

use super::{Credentials, Result, ServicesError};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// An issued token and what Keystone said about it.
#[derive(Clone)]
pub struct Token {
    /// The token (`X-Subject-Token`).
    pub id: String,
    /// The token's body (`token`: user, project, roles, catalog, `OS-TRUST:trust`, ...).
    pub body: Value,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("id", &"<hidden>")
            .field("user_id", &self.user_id())
            .field("project_id", &self.project_id())
            .field("roles", &self.role_names())
            .finish()
    }
}

impl Token {
    /// The user the token acts as.
    pub fn user_id(&self) -> Option<&str> {
        self.body["user"]["id"].as_str()
    }

    /// The project it is scoped to.
    pub fn project_id(&self) -> Option<&str> {
        self.body["project"]["id"].as_str()
    }

    /// The names of its roles.
    pub fn role_names(&self) -> Vec<&str> {
        self.body["roles"]
            .as_array()
            .map(|roles| roles.iter().filter_map(|r| r["name"].as_str()).collect())
            .unwrap_or_default()
    }

    /// The URL of the `interface` endpoint of service `service_type` in `region`, from the
    /// token's catalog.
    pub fn endpoint(&self, service_type: &str, interface: &str, region: &str) -> Option<&str> {
        self.body["catalog"]
            .as_array()?
            .iter()
            .filter(|s| s["type"] == service_type)
            .flat_map(|s| s["endpoints"].as_array().into_iter().flatten())
            .find(|e| e["interface"] == interface && e["region_id"] == region)
            .and_then(|e| e["url"].as_str())
    }
}

/// Something with an id and a name (a project, user, role, domain, service).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// A catalog endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Endpoint {
    /// Its id.
    pub id: String,
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// Its region.
    #[serde(default)]
    pub region_id: Option<String>,
    /// Its URL.
    pub url: String,
    /// The service it belongs to.
    pub service_id: String,
}

/// A Keystone v3 client: an HTTP client, Keystone's unversioned URL and (optionally) the
/// token it sends.
#[derive(Clone)]
pub struct Identity {
    http: reqwest::Client,
    base: String,
    token: Option<String>,
    slots: Arc<Semaphore>,
}

/// How many requests a client (and its clones) has in flight at most. Keystone runs in
/// uWSGI threads that each keep an HTTP/1.1 connection until it has been idle for uWSGI's
/// socket timeout (4 s): more connections than threads stall for that long, and Keystone
/// is CPU-bound anyway.
pub const MAX_IN_FLIGHT: usize = 4;

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Identity {
    /// A client of the Keystone at `base` (unversioned, e.g. `http://127.0.0.1:5000`),
    /// without a token.
    pub fn new(base: &str) -> Result<Identity> {
        // uWSGI closes a connection idle for 4 s; one reused just then fails with an
        // incomplete message, so idle connections are dropped sooner.
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_idle_timeout(Duration::from_secs(2))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|source| ServicesError::Http {
                what: "building an HTTP client".into(),
                source,
            })?;
        Ok(Identity {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: None,
            slots: Arc::new(Semaphore::new(MAX_IN_FLIGHT)),
        })
    }

    /// The same client sending `token`.
    pub fn with_token(&self, token: &Token) -> Identity {
        Identity {
            token: Some(token.id.clone()),
            ..self.clone()
        }
    }

    /// Issues a project-scoped token for `creds` (password method).
    pub async fn password_token(&self, creds: &Credentials) -> Result<Token> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": creds.username, "domain": {"name": creds.user_domain_name}, "password": creds.password}}},
            "scope": {"project": {"name": creds.project_name, "domain": {"name": creds.project_domain_name}}}
        }});
        self.issue(&format!("password token of {}", creds.username), body).await
    }

    /// Issues a trust-scoped token: the trustee `creds` (password method) acting through
    /// `trust_id`.
    pub async fn trust_token(&self, creds: &Credentials, trust_id: &str) -> Result<Token> {
        let body = json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": creds.username, "domain": {"name": creds.user_domain_name}, "password": creds.password}}},
            "scope": {"OS-TRUST:trust": {"id": trust_id}}
        }});
        self.issue(
            &format!("trust-scoped token of {} (trust {trust_id})", creds.username),
            body,
        )
        .await
    }

    async fn issue(&self, what: &str, body: Value) -> Result<Token> {
        let _slot = self.slot().await?;
        let began = std::time::Instant::now();
        let resp = self
            .http
            .post(format!("{}/v3/auth/tokens", self.base))
            .json(&body)
            .send()
            .await
            .map_err(|source| ServicesError::Http {
                what: what.into(),
                source,
            })?;
        let status = resp.status();
        let id = resp
            .headers()
            .get("x-subject-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let text = resp.text().await.map_err(|source| ServicesError::Http {
            what: what.into(),
            source,
        })?;
        tracing::debug!(
            request = what,
            status = status.as_u16(),
            elapsed_ms = began.elapsed().as_millis() as u64,
            "keystone"
        );
        match (status, id) {
            (StatusCode::CREATED, Some(id)) => {
                let body: Value = serde_json::from_str(&text).unwrap_or_default();
                Ok(Token {
                    id,
                    body: body["token"].clone(),
                })
            }
            _ => Err(api_error(what, status, &text)),
        }
    }

    async fn slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>> {
        self.slots
            .acquire()
            .await
            .map_err(|e| ServicesError::Config(format!("request slots closed: {e}")))
    }

    /// Sends a request with the client's token; answers the JSON body (`Null` when empty)
    /// of a 2xx answer, else an error.
    pub async fn request(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value> {
        let what = format!("{method} {path}");
        let mut req = self
            .http
            .request(method, format!("{}/v3/{}", self.base, path.trim_start_matches('/')));
        if let Some(token) = &self.token {
            req = req.header("X-Auth-Token", token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let _slot = self.slot().await?;
        let began = std::time::Instant::now();
        let resp = req.send().await.map_err(|source| ServicesError::Http {
            what: what.clone(),
            source,
        })?;
        let status = resp.status();
        let text = resp.text().await.map_err(|source| ServicesError::Http {
            what: what.clone(),
            source,
        })?;
        tracing::debug!(request = %what, status = status.as_u16(), elapsed_ms = began.elapsed().as_millis() as u64, "keystone");
        if !status.is_success() {
            return Err(api_error(&what, status, &text));
        }
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).map_err(|e| ServicesError::Api {
            what,
            status: status.as_u16(),
            body: format!("not JSON ({e})"),
        })
    }

    /// The members of collection `collection` (`projects`, `users`, ...) matching `query`
    /// (already URL-safe `key=value` pairs).
    pub async fn list<T: for<'de> Deserialize<'de>>(&self, collection: &str, query: &[(&str, &str)]) -> Result<Vec<T>> {
        let qs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
        let path = if qs.is_empty() {
            collection.to_string()
        } else {
            format!("{collection}?{}", qs.join("&"))
        };
        let body = self.request(Method::GET, &path, None).await?;
        let key = collection.rsplit('/').next().unwrap_or(collection);
        serde_json::from_value(body[key].clone()).map_err(|e| ServicesError::Api {
            what: format!("GET {path}"),
            status: 200,
            body: format!("unexpected {key} list ({e})"),
        })
    }

    /// Creates a member of `collection` from `object` (the body's `<singular>` object) and
    /// answers its id.
    pub async fn create(&self, collection: &str, singular: &str, object: Value) -> Result<String> {
        let body = self
            .request(Method::POST, collection, Some(json!({ singular: object })))
            .await?;
        body[singular]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ServicesError::Api {
                what: format!("POST {collection}"),
                status: 201,
                body: format!("no {singular}.id in the answer"),
            })
    }

    /// The id of the member of `collection` named `name` (with `extra` filters such as
    /// `domain_id`), created from `object` when there is none.
    pub async fn ensure(
        &self,
        collection: &str,
        singular: &str,
        name: &str,
        extra: &[(&str, &str)],
        object: Value,
    ) -> Result<String> {
        let mut query = vec![("name", name)];
        query.extend_from_slice(extra);
        let found: Vec<Named> = self.list(collection, &query).await?;
        if let Some(existing) = found.into_iter().find(|n| n.name == name) {
            return Ok(existing.id);
        }
        let id = self.create(collection, singular, object).await?;
        tracing::info!(collection, name, id, "created");
        Ok(id)
    }

    /// Grants role `role_id` to `user_id` on `project_id` (idempotent).
    pub async fn grant(&self, project_id: &str, user_id: &str, role_id: &str) -> Result<()> {
        self.request(
            Method::PUT,
            &format!("projects/{project_id}/users/{user_id}/roles/{role_id}"),
            None,
        )
        .await
        .map(drop)
    }

    /// Creates a trust from the token's user (the trustor) to `trustee_user_id` on
    /// `project_id` with the roles named, as Sahara does; answers the trust's id.
    pub async fn create_trust(
        &self,
        trustor_user_id: &str,
        trustee_user_id: &str,
        project_id: &str,
        role_names: &[&str],
        impersonation: bool,
    ) -> Result<String> {
        let roles: Vec<Value> = role_names.iter().map(|r| json!({"name": r})).collect();
        self.create(
            "OS-TRUST/trusts",
            "trust",
            json!({
                "trustor_user_id": trustor_user_id,
                "trustee_user_id": trustee_user_id,
                "project_id": project_id,
                "impersonation": impersonation,
                "roles": roles,
            }),
        )
        .await
    }

    /// Deletes trust `trust_id`.
    pub async fn delete_trust(&self, trust_id: &str) -> Result<()> {
        self.request(Method::DELETE, &format!("OS-TRUST/trusts/{trust_id}"), None)
            .await
            .map(drop)
    }
}

fn api_error(what: &str, status: StatusCode, body: &str) -> ServicesError {
    ServicesError::Api {
        what: what.into(),
        status: status.as_u16(),
        body: body.chars().take(500).collect(),
    }
}

/// Percent-encodes a query value (names are plain here, but stay safe).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_reads_its_catalog_and_hides_its_id() {
        let token = Token {
            id: "gAAAAsecret".into(),
            body: json!({
                "user": {"id": "u1"}, "project": {"id": "p1"}, "roles": [{"id": "r", "name": "member"}],
                "catalog": [{"type": "object-store", "endpoints": [
                    {"interface": "admin", "region_id": "RegionOne", "url": "http://a"},
                    {"interface": "public", "region_id": "RegionOne", "url": "http://p"}]}]
            }),
        };
        assert_eq!(token.endpoint("object-store", "public", "RegionOne"), Some("http://p"));
        assert_eq!(token.endpoint("object-store", "internal", "RegionOne"), None);
        assert_eq!(token.role_names(), ["member"]);
        let shown = format!("{token:?}");
        assert!(!shown.contains("secret") && shown.contains("u1"), "{shown}");
        assert_eq!(encode("a b/é"), "a%20b%2F%C3%A9");
    }
}
