//! Keystone v3 as Sahara uses it: password and trust-scoped authentication (the `[trustee]`
//! user, alone or with a cluster's trust: `auth_for_admin`), and trusts from the current user
//! to the trustee (`create_trust_for_cluster`: impersonating, with the user's role names,
//! re-delegable, no expiry); the proxy domain's users, created and deleted for job executions
//! ([`crate::proxy`]) and by the periodic zombie sweeper.

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Service;
use crate::error::{OpenStackError, Result, Secret};
use crate::http::{self, Call, Payload, Transport};
use crate::session::Session;

/// A password authentication, optionally scoped to a project (by name) or a trust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordAuth {
    /// The user's name.
    pub username: String,
    /// The password (hidden in `Debug`).
    pub password: Secret,
    /// The user's domain name (`Default`).
    pub user_domain_name: String,
    /// The project to scope to, by name (ignored with a trust).
    pub project_name: Option<String>,
    /// The project's domain name (`Default`).
    pub project_domain_name: String,
    /// The trust to scope to.
    pub trust_id: Option<String>,
}

/// Sahara's `prepare_auth_url`: `auth_url` with any `/v3`, `/v3/auth` or `/v2.0` removed and
/// `/<version>` appended.
pub fn prepare_auth_url(auth_url: &str, version: &str) -> Result<String> {
    let url =
        reqwest::Url::parse(auth_url).map_err(|e| OpenStackError::Invalid(format!("auth URL {auth_url}: {e}")))?;
    let mut path = url.path().trim_end_matches('/').to_string();
    for v in ["/v3/auth", "/v3", "/v2.0"] {
        path = path.replace(v, "");
    }
    let path = format!("{path}/{version}");
    let host = url.host_str().unwrap_or_default();
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    Ok(format!(
        "{}://{host}{port}/{}",
        url.scheme(),
        path.trim_start_matches('/')
    ))
}

/// Authenticates against Keystone v3 at `auth_url` (any version suffix) and returns the session
/// of the new token with its catalog.
pub async fn authenticate(transport: &Transport, auth_url: &str, auth: &PasswordAuth) -> Result<Session> {
    let url = format!("{}/auth/tokens", prepare_auth_url(auth_url, "v3")?);
    let mut body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": auth.username, "domain": {"name": auth.user_domain_name},
        "password": auth.password.expose()}}}}});
    if let Some(trust) = &auth.trust_id {
        body["auth"]["scope"] = json!({"OS-TRUST:trust": {"id": trust}});
    } else if let Some(project) = &auth.project_name {
        body["auth"]["scope"] = json!({"project": {"name": project, "domain": {"name": auth.project_domain_name}}});
    }
    let reply = http::execute(
        transport,
        None,
        Call {
            service: Service::Identity,
            operation: "keystone.authenticate",
            method: Method::POST,
            url,
            payload: Payload::Json(body),
            headers: Vec::new(),
        },
    )
    .await?;
    let token = reply
        .header("x-subject-token")
        .ok_or_else(|| OpenStackError::decode("keystone", "no X-Subject-Token in the answer"))?
        .to_string();
    let body: Value = reply.json(Service::Identity)?;
    Session::from_token_body(transport.clone(), token, &body)
}

pub(crate) fn trustee(transport: &Transport) -> Result<&crate::config::TrusteeConfig> {
    transport.config().trustee.as_ref().ok_or_else(|| {
        OpenStackError::Invalid("[trustee] username, password and auth_url must be set to use trusts".into())
    })
}

/// The `[trustee]` user's session scoped to `trust_id`: the engine's per-cluster session
/// (`use_os_admin_auth_token`); with impersonation it acts as the trustor in their project.
pub async fn trust_session(transport: &Transport, trust_id: &str) -> Result<Session> {
    let t = trustee(transport)?;
    let auth = PasswordAuth {
        username: t.username.clone(),
        password: t.password.clone(),
        user_domain_name: t.user_domain_name.clone(),
        project_name: None,
        project_domain_name: t.project_domain_name.clone(),
        trust_id: Some(trust_id.to_string()),
    };
    authenticate(transport, &t.auth_url, &auth).await
}

/// The `[trustee]` user's session scoped to its `project_name` (`client_for_admin`).
pub async fn admin_session(transport: &Transport) -> Result<Session> {
    let t = trustee(transport)?;
    let auth = PasswordAuth {
        username: t.username.clone(),
        password: t.password.clone(),
        user_domain_name: t.user_domain_name.clone(),
        project_name: t.project_name.clone(),
        project_domain_name: t.project_domain_name.clone(),
        trust_id: None,
    };
    authenticate(transport, &t.auth_url, &auth).await
}

/// A trust as Keystone shows it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Trust {
    /// Its id.
    pub id: String,
    /// The delegating user.
    pub trustor_user_id: String,
    /// The user it is delegated to.
    pub trustee_user_id: String,
    /// The project it is scoped to.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Whether the trustee acts as the trustor.
    #[serde(default)]
    pub impersonation: bool,
    /// When it expires (never for Sahara's).
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// What a trust delegates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustRequest {
    /// The delegating user (the session's user).
    pub trustor_user_id: String,
    /// The user it is delegated to (the `[trustee]` or a proxy user).
    pub trustee_user_id: String,
    /// The project it is scoped to.
    pub project_id: String,
    /// The role names delegated (Sahara: all of the user's).
    pub role_names: Vec<String>,
    /// Impersonation (Sahara: true).
    pub impersonation: bool,
    /// Whether the trustee may re-delegate (Sahara: true for cluster trusts).
    pub allow_redelegation: bool,
}

/// A Keystone domain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Domain {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A Keystone user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its domain.
    #[serde(default)]
    pub domain_id: Option<String>,
}

/// Keystone with a session's token.
#[derive(Debug, Clone, Copy)]
pub struct Keystone<'a> {
    session: &'a Session,
}

impl<'a> Keystone<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Keystone { session }
    }

    /// Sahara's `retrieve_auth_url`: the catalog's identity endpoint for `[keystone]
    /// endpoint_type` (else `[trustee] auth_url`), as `/v3`.
    pub fn auth_url(&self) -> Result<String> {
        let base = match self.session.endpoint(Service::Identity) {
            Ok(u) => u,
            Err(e) => match &self.session.transport().config().trustee {
                Some(t) => t.auth_url.clone(),
                None => return Err(e),
            },
        };
        prepare_auth_url(&base, "v3")
    }

    /// Creates a trust (`POST /v3/OS-TRUST/trusts`) with the session's token.
    pub async fn create_trust(&self, req: &TrustRequest) -> Result<Trust> {
        #[derive(Deserialize)]
        struct Wrap {
            trust: Trust,
        }
        let roles: Vec<Value> = req.role_names.iter().map(|r| json!({"name": r})).collect();
        let body = json!({"trust": {
            "trustor_user_id": req.trustor_user_id, "trustee_user_id": req.trustee_user_id,
            "project_id": req.project_id, "roles": roles, "impersonation": req.impersonation,
            "allow_redelegation": req.allow_redelegation, "expires_at": null}});
        let url = format!("{}/OS-TRUST/trusts", self.auth_url()?);
        let w: Wrap = self
            .session
            .json(
                Service::Identity,
                "keystone.create_trust",
                Method::POST,
                url,
                Some(body),
            )
            .await?;
        Ok(w.trust)
    }

    /// Shows a trust.
    pub async fn get_trust(&self, trust_id: &str) -> Result<Trust> {
        #[derive(Deserialize)]
        struct Wrap {
            trust: Trust,
        }
        let url = format!("{}/OS-TRUST/trusts/{}", self.auth_url()?, http::segment(trust_id));
        let w: Wrap = self
            .session
            .json(Service::Identity, "keystone.get_trust", Method::GET, url, None)
            .await?;
        Ok(w.trust)
    }

    /// Domains, only those named `name` when given (`GET /v3/domains`; needs an admin token).
    pub async fn list_domains(&self, name: Option<&str>) -> Result<Vec<Domain>> {
        #[derive(Deserialize)]
        struct Wrap {
            domains: Vec<Domain>,
        }
        let filters: Vec<(&str, String)> = name.map(|n| ("name", n.to_string())).into_iter().collect();
        let url = format!("{}/domains{}", self.auth_url()?, http::query(&filters));
        let w: Wrap = self
            .session
            .json(Service::Identity, "keystone.list_domains", Method::GET, url, None)
            .await?;
        Ok(w.domains)
    }

    /// The users of domain `domain_id` (`GET /v3/users?domain_id=`; needs an admin token).
    pub async fn list_users(&self, domain_id: &str) -> Result<Vec<User>> {
        #[derive(Deserialize)]
        struct Wrap {
            users: Vec<User>,
        }
        let url = format!(
            "{}/users{}",
            self.auth_url()?,
            http::query(&[("domain_id", domain_id.to_string())])
        );
        let w: Wrap = self
            .session
            .json(Service::Identity, "keystone.list_users", Method::GET, url, None)
            .await?;
        Ok(w.users)
    }

    /// The users of domain `domain_id` named `name` (`GET /v3/users?domain_id=&name=`; needs an admin token).
    pub async fn users_named(&self, domain_id: &str, name: &str) -> Result<Vec<User>> {
        #[derive(Deserialize)]
        struct Wrap {
            users: Vec<User>,
        }
        let url = format!(
            "{}/users{}",
            self.auth_url()?,
            http::query(&[("domain_id", domain_id.to_string()), ("name", name.to_string())])
        );
        let w: Wrap = self
            .session
            .json(Service::Identity, "keystone.list_users", Method::GET, url, None)
            .await?;
        Ok(w.users)
    }

    /// Creates user `name` with `password` in domain `domain_id` (needs an admin token).
    pub async fn create_user(&self, name: &str, password: &Secret, domain_id: &str) -> Result<User> {
        #[derive(Deserialize)]
        struct Wrap {
            user: User,
        }
        let body = json!({"user": {"name": name, "password": password.expose(), "domain_id": domain_id,
            "enabled": true}});
        let url = format!("{}/users", self.auth_url()?);
        let w: Wrap = self
            .session
            .json(Service::Identity, "keystone.create_user", Method::POST, url, Some(body))
            .await?;
        Ok(w.user)
    }

    /// Deletes a user (needs an admin token).
    pub async fn delete_user(&self, user_id: &str) -> Result<()> {
        let url = format!("{}/users/{}", self.auth_url()?, http::segment(user_id));
        self.session
            .no_content(Service::Identity, "keystone.delete_user", Method::DELETE, url, None)
            .await
    }

    /// Deletes a trust (the trustor's or the trust-scoped session may).
    pub async fn delete_trust(&self, trust_id: &str) -> Result<()> {
        let url = format!("{}/OS-TRUST/trusts/{}", self.auth_url()?, http::segment(trust_id));
        self.session
            .no_content(Service::Identity, "keystone.delete_trust", Method::DELETE, url, None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_urls_are_rewritten_as_sahara_does() {
        assert_eq!(prepare_auth_url("http://ks:5000", "v3").unwrap(), "http://ks:5000/v3");
        assert_eq!(
            prepare_auth_url("http://ks:5000/v2.0/", "v3").unwrap(),
            "http://ks:5000/v3"
        );
        assert_eq!(
            prepare_auth_url("https://ks/identity/v3/auth", "v3").unwrap(),
            "https://ks/identity/v3"
        );
        assert_eq!(
            prepare_auth_url("http://ks:5000/v3", "v2.0").unwrap(),
            "http://ks:5000/v2.0"
        );
        let a = PasswordAuth {
            username: "sahara".into(),
            password: "pw-secret".into(),
            user_domain_name: "Default".into(),
            project_name: None,
            project_domain_name: "Default".into(),
            trust_id: Some("t".into()),
        };
        assert!(!format!("{a:?}").contains("pw-secret"));
    }
}
