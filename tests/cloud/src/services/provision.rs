//! What the cloud puts in Keystone after its bootstrap, through the REST API with the
//! admin's token, idempotently (what exists is found by name, the rest created; grants are
//! PUTs; endpoint URLs are corrected when ports changed):
//!
//! - roles `admin`, `member`, `reader` (bootstrap makes them; checked) and `service`;
//! - projects `demo` and `service` beside bootstrap's `admin`, all in the Default domain;
//! - users `demo` (member of demo), `sahara` (admin on service: Sahara's
//!   `[keystone_authtoken]` and `[trustee]` user, so the trustee of users' trusts and the
//!   maker of proxy users) and `swift` (service and admin on service: Swift's authtoken),
//!   with the cloud's [`Secrets`] as passwords (set when the user is made: the secrets and
//!   the database live and die together);
//! - the domain [`PROXY_DOMAIN`] of Sahara's proxy users;
//! - the catalog of [`catalog::entries`].
//!
//! Keystone takes tens of milliseconds a request, so everything is listed once, up front,
//! and what is missing is made concurrently, step by step.

use super::catalog::{self, CatalogEntry, INTERFACES};
use super::identity::{Endpoint, Identity, Named};
use super::ports::Ports;
use super::secrets::Secrets;
use super::{Credentials, PROXY_DOMAIN, REGION, Result, ServicesConfig, ServicesError};
use futures_util::future::{BoxFuture, FutureExt, try_join_all};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// The Default domain's id.
pub const DEFAULT_DOMAIN_ID: &str = "default";

/// The roles the cloud needs.
const ROLES: [&str; 4] = ["admin", "member", "reader", "service"];

/// The credentials of the cloud's users.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// admin on project admin.
    pub admin: Credentials,
    /// member on project demo.
    pub demo: Credentials,
    /// Sahara's service user.
    pub sahara: Credentials,
    /// Swift's service user.
    pub swift: Credentials,
}

fn credentials(username: &str, password: &str, project: &str) -> Credentials {
    Credentials {
        username: username.into(),
        user_id: String::new(),
        password: password.into(),
        project_name: project.into(),
        project_id: String::new(),
        user_domain_name: "Default".into(),
        project_domain_name: "Default".into(),
    }
}

/// A user as listed.
#[derive(Debug, Clone, Deserialize)]
struct User {
    id: String,
    name: String,
    #[serde(default)]
    default_project_id: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// Provisions the Keystone at `keystone_url` (see the module documentation) and answers
/// the users' credentials, ids filled in.
#[tracing::instrument(name = "keystone_provision", skip(config, ports, secrets))]
pub async fn provision(
    keystone_url: &str,
    config: &ServicesConfig,
    ports: &Ports,
    secrets: &Secrets,
) -> Result<Accounts> {
    let began = std::time::Instant::now();
    let anonymous = Identity::new(keystone_url)?;
    let mut admin = credentials("admin", &secrets.admin_password, "admin");
    let token = anonymous.password_token(&admin).await?;
    let ks = anonymous.with_token(&token);
    admin.user_id = token.user_id().unwrap_or_default().to_string();
    admin.project_id = token.project_id().unwrap_or_default().to_string();

    let default = [("domain_id", DEFAULT_DOMAIN_ID)];
    let roles = warm_up(&ks).await?;
    let (projects, users, domains, services, endpoints) = tokio::try_join!(
        ks.list::<Named>("projects", &default),
        ks.list::<User>("users", &default),
        ks.list::<Named>("domains", &[("name", PROXY_DOMAIN)]),
        ks.list::<ServiceRef>("services", &[]),
        ks.list::<Endpoint>("endpoints", &[]),
    )?;

    // Step 1: roles, projects, the proxy domain and the catalog's services.
    let entries = catalog::entries(ports, config.data_processing_port);
    let role_ids = ensure_all(&ks, "roles", "role", &roles, &ROLES, |name| json!({ "name": name }));
    let project_ids = ensure_all(&ks, "projects", "project", &projects, &["demo", "service"], |name| {
        json!({"name": name, "domain_id": DEFAULT_DOMAIN_ID, "enabled": true,
               "description": if name == "demo" { "The test cloud's demo project" } else { "Service users" }})
    });
    let domain = ensure_all(
        &ks,
        "domains",
        "domain",
        &domains,
        &[PROXY_DOMAIN],
        |name| json!({"name": name, "description": "Sahara's proxy users", "enabled": true}),
    );
    let service_ids = try_join_all(entries.iter().map(|e| ensure_service(&ks, &services, e)));
    let (role_ids, project_ids, _, service_ids) = tokio::try_join!(role_ids, project_ids, domain, service_ids)?;
    let [admin_role, member_role, _reader_role, service_role] = role_ids;
    let [demo_project, service_project] = project_ids;

    // Step 2: users and endpoints.
    let mut demo = credentials("demo", &secrets.demo_password, "demo");
    let mut sahara = credentials("sahara", &secrets.sahara_password, "service");
    let mut swift = credentials("swift", &secrets.swift_password, "service");
    demo.project_id = demo_project.clone();
    sahara.project_id = service_project.clone();
    swift.project_id = service_project.clone();
    let user_ids = try_join_all([&demo, &sahara, &swift].map(|c| ensure_user(&ks, &users, c)));
    let endpoint_fixes = try_join_all(entries.iter().zip(&service_ids).flat_map(|(entry, service_id)| {
        INTERFACES.map(|i| ensure_endpoint(&ks, &endpoints, service_id, i, &entry.url))
    }));
    let (user_ids, _) = tokio::try_join!(user_ids, endpoint_fixes)?;
    [demo.user_id, sahara.user_id, swift.user_id] = exactly(user_ids)?;

    // Step 3: role assignments.
    try_join_all([
        ks.grant(&demo_project, &demo.user_id, &member_role),
        ks.grant(&service_project, &sahara.user_id, &admin_role),
        ks.grant(&service_project, &swift.user_id, &admin_role),
        ks.grant(&service_project, &swift.user_id, &service_role),
    ])
    .await?;
    tracing::info!(elapsed_ms = began.elapsed().as_millis() as u64, "keystone provisioned");
    Ok(Accounts {
        admin,
        demo,
        sahara,
        swift,
    })
}

/// Lists the roles, alone, until Keystone stops answering 403 (for at most
/// [`WARM_UP`]). A Keystone that just started answers some of the first concurrent
/// requests of an admin 403 on policy (seen here with uWSGI's threads on a fresh
/// database: one request of a concurrent batch passes, the others are refused), so one
/// request goes first.
async fn warm_up(ks: &Identity) -> Result<Vec<Named>> {
    let deadline = std::time::Instant::now() + WARM_UP;
    loop {
        match ks.list::<Named>("roles", &[]).await {
            Err(ServicesError::Api { status: 403, .. }) if std::time::Instant::now() < deadline => {
                tracing::info!("Keystone refused the first request on policy; asking again");
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// How long [`warm_up`] asks again.
const WARM_UP: std::time::Duration = std::time::Duration::from_secs(10);

/// A service as listed.
#[derive(Debug, Clone, Deserialize)]
struct ServiceRef {
    id: String,
    #[serde(rename = "type")]
    service_type: String,
}

/// The ids of `names` in `collection`, found in `existing` or created (concurrently) from
/// `object(name)`; in the order of `names`.
fn ensure_all<'a, const N: usize>(
    ks: &'a Identity,
    collection: &'static str,
    singular: &'static str,
    existing: &'a [Named],
    names: &'a [&'static str; N],
    object: impl Fn(&str) -> serde_json::Value,
) -> BoxFuture<'a, Result<[String; N]>> {
    let each = names.iter().map(|name| {
        let found = existing.iter().find(|n| n.name == *name).map(|n| n.id.clone());
        let body = object(name);
        async move {
            match found {
                Some(id) => Ok(id),
                None => {
                    let id = ks.create(collection, singular, body).await?;
                    tracing::info!(collection, name, id, "created");
                    Ok(id)
                }
            }
        }
    });
    try_join_all(each).map(|ids| exactly(ids?)).boxed()
}

/// The `N` answers of `N` concurrent requests, as an array.
fn exactly<const N: usize>(ids: Vec<String>) -> Result<[String; N]> {
    let got = ids.len();
    ids.try_into()
        .map_err(|_| ServicesError::Config(format!("expected {N} ids from Keystone, got {got}")))
}

/// The id of the service of `entry`'s type, created if missing.
async fn ensure_service(ks: &Identity, existing: &[ServiceRef], entry: &CatalogEntry) -> Result<String> {
    if let Some(s) = existing.iter().find(|s| s.service_type == entry.service_type) {
        return Ok(s.id.clone());
    }
    ks.create(
        "services",
        "service",
        json!({"type": entry.service_type, "name": entry.name, "description": entry.description, "enabled": true}),
    )
    .await
}

/// The service's endpoint on `interface` in [`REGION`] at `url`: created, or its URL
/// corrected.
async fn ensure_endpoint(
    ks: &Identity,
    existing: &[Endpoint],
    service_id: &str,
    interface: &str,
    url: &str,
) -> Result<()> {
    let found = existing
        .iter()
        .find(|e| e.service_id == service_id && e.interface == interface && e.region_id.as_deref() == Some(REGION));
    match found {
        Some(e) if e.url == url => {}
        Some(e) => {
            ks.request(
                Method::PATCH,
                &format!("endpoints/{}", e.id),
                Some(json!({"endpoint": {"url": url}})),
            )
            .await?;
            tracing::info!(service_id, interface, url, "endpoint corrected");
        }
        None => {
            ks.create(
                "endpoints",
                "endpoint",
                json!({"service_id": service_id, "interface": interface, "region_id": REGION, "url": url, "enabled": true}),
            )
            .await?;
        }
    }
    Ok(())
}

/// The user of `creds` in the Default domain: created with its password and default
/// project, or (when found) enabled and given that default project if it lacks them.
async fn ensure_user(ks: &Identity, existing: &[User], creds: &Credentials) -> Result<String> {
    if let Some(user) = existing.iter().find(|u| u.name == creds.username) {
        if user.default_project_id.as_deref() != Some(&creds.project_id) || user.enabled == Some(false) {
            ks.request(
                Method::PATCH,
                &format!("users/{}", user.id),
                Some(json!({"user": {"default_project_id": creds.project_id, "enabled": true}})),
            )
            .await?;
        }
        return Ok(user.id.clone());
    }
    let id = ks
        .create(
            "users",
            "user",
            json!({"name": creds.username, "domain_id": DEFAULT_DOMAIN_ID, "password": creds.password,
                   "default_project_id": creds.project_id, "enabled": true}),
        )
        .await?;
    tracing::info!(user = %creds.username, id, "user created");
    Ok(id)
}
