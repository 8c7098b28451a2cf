//! Proxy users (sahara/utils/proxy.py): with `use_domain_for_proxy_users`, a job execution whose
//! data lives in Swift gets a user of its own, `job_<id>`, in the proxy domain
//! (`proxy_user_domain_name`), with a random password and a trust from the user who ran the job
//! (`proxy_user_role_names`, impersonation, no re-delegation); its credentials are the execution's
//! `job_configs.proxy_configs` (never shown by the API). When the job ends the trust and the user
//! are deleted; the periodic zombie sweep deletes the ones whose execution is gone or ended.

use serde_json::{Map, Value, json};

use crate::error::{OpenStackError, Result, Secret};
use crate::keystone::{self, Domain, PasswordAuth, TrustRequest, User};
use crate::session::Session;

/// The proxy-user options (`[DEFAULT]`).
#[derive(Debug, Clone, Copy)]
pub struct ProxyOptions<'a> {
    /// `proxy_user_domain_name`.
    pub domain_name: Option<&'a str>,
    /// `proxy_user_role_names`.
    pub role_names: &'a [String],
}

/// The name of a job execution's proxy user.
pub fn job_execution_user_name(job_execution_id: &str) -> String {
    format!("job_{job_execution_id}")
}

/// `domain_for_proxy`: the proxy domain, looked up by name with `admin` (the `[trustee]` session).
pub async fn domain_for_proxy(admin: &Session, domain_name: Option<&str>) -> Result<Domain> {
    let Some(name) = domain_name.filter(|n| !n.is_empty()) else {
        return Err(OpenStackError::Configuration(
            "Proxy domain requested but not specified.".into(),
        ));
    };
    let mut domains = admin.keystone().list_domains(Some(name)).await?;
    match domains.len() {
        1 => Ok(domains.remove(0)),
        0 => Err(not_found(format!("Failed to find domain {name}"))),
        _ => Err(not_found(format!(
            "Unexpected results found when searching for domain {name}"
        ))),
    }
}

fn not_found(message: String) -> OpenStackError {
    OpenStackError::NotFound {
        service: "keystone",
        message,
    }
}

/// `create_proxy_user_for_job_execution`: creates user `job_<id>` in the proxy domain and a
/// trust to it from `user` (the session of the request that runs the job); answers the
/// `proxy_configs` to store in the execution's `job_configs`. A user whose trust cannot be made
/// is deleted again.
pub async fn create_proxy_user_for_job_execution(
    user: &Session,
    options: ProxyOptions<'_>,
    job_execution_id: &str,
) -> Result<Value> {
    let admin = keystone::admin_session(user.transport()).await?;
    let domain = domain_for_proxy(&admin, options.domain_name).await?;
    let username = job_execution_user_name(job_execution_id);
    let password = Secret::new(uuid::Uuid::new_v4().to_string());
    let proxy = admin.keystone().create_user(&username, &password, &domain.id).await?;
    tracing::info!(user_id = %proxy.id, domain = %domain.name, "Created proxy user {username}");
    let (Some(trustor_user_id), Some(project_id)) = (user.user_id(), user.project_id()) else {
        let _ = admin.keystone().delete_user(&proxy.id).await;
        return Err(OpenStackError::Invalid(
            "Failed to create trust: the user or project of the request is unknown".into(),
        ));
    };
    let trust = user
        .keystone()
        .create_trust(&TrustRequest {
            trustor_user_id: trustor_user_id.to_string(),
            trustee_user_id: proxy.id.clone(),
            project_id: project_id.to_string(),
            role_names: options.role_names.to_vec(),
            impersonation: true,
            allow_redelegation: false,
        })
        .await;
    let trust = match trust {
        Ok(t) => t,
        Err(e) => {
            if let Err(de) = admin.keystone().delete_user(&proxy.id).await {
                tracing::warn!(user_id = %proxy.id, error = %de, "the proxy user without a trust stays");
            }
            return Err(e);
        }
    };
    Ok(json!({
        "proxy_username": username,
        "proxy_password": password.expose(),
        "proxy_trust_id": trust.id,
    }))
}

/// `delete_proxy_user_for_job_execution` for the execution's `proxy_configs`: the proxy user,
/// through its trust, deletes the trust; then the user is deleted from the proxy domain.
pub async fn delete_proxy_user(
    transport: &crate::Transport,
    options: ProxyOptions<'_>,
    proxy_configs: &Map<String, Value>,
) -> Result<()> {
    let text = |k: &str| {
        proxy_configs
            .get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let (username, trust_id) = (text("proxy_username"), text("proxy_trust_id"));
    let admin = keystone::admin_session(transport).await?;
    let domain = domain_for_proxy(&admin, options.domain_name).await?;
    if !trust_id.is_empty() {
        let auth = PasswordAuth {
            username: username.clone(),
            password: Secret::new(text("proxy_password")),
            user_domain_name: domain.name.clone(),
            project_name: None,
            project_domain_name: domain.name.clone(),
            trust_id: Some(trust_id.clone()),
        };
        let t = keystone::trustee(transport)?;
        let proxy = keystone::authenticate(transport, &t.auth_url, &auth).await?;
        proxy.keystone().delete_trust(&trust_id).await?;
    }
    let user = proxy_user_named(&admin, &domain, &username).await?;
    admin.keystone().delete_user(&user.id).await?;
    tracing::debug!(user_id = %user.id, "Deleted proxy user");
    Ok(())
}

/// The one user of the proxy domain named `username` (`proxy_user_delete`'s search).
async fn proxy_user_named(admin: &Session, domain: &Domain, username: &str) -> Result<User> {
    let mut users = admin.keystone().users_named(&domain.id, username).await?;
    match users.len() {
        1 => Ok(users.remove(0)),
        0 => Err(not_found(format!("Failed to find user {username}"))),
        _ => Err(not_found(format!(
            "Unexpected results found when searching for user {username}"
        ))),
    }
}
