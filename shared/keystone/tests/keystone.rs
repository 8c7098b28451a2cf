//! Token validation against the real Keystone of the local test cloud: confirmed and refused
//! tokens, revocation within the cache's lifetime, the service token's renewal, one Keystone
//! request for many concurrent validations.
//!
//! Each test brings up its own cloud services (Keystone on MariaDB, ≈ 10 s) and removes them
//! (processes, database, files) when it ends, also when it fails.

use reqwest::StatusCode;
use sahara_config::{ConfigOpts, KeystoneAuthtokenOpts};
use sahara_keystone::{AuthError, TokenValidator};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::identity::{Identity, Token};
use sahara_testcloud::services::{self, RunningServices, ServicesConfig};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One cloud's services for one test; `down` when dropped.
struct TestCloud {
    config: ServicesConfig,
    _dir: tempfile::TempDir,
}

impl TestCloud {
    async fn start() -> (TestCloud, RunningServices) {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
            .with_test_writer()
            .with_ansi(false)
            .try_init();
        let dir = tempfile::Builder::new()
            .prefix("stc-keystone-")
            .tempdir()
            .expect("temp dir");
        let config = ServicesConfig::from_env(dir.path(), Prefix::random()).expect("virtualenvs");
        let cloud = TestCloud { config, _dir: dir };
        let began = Instant::now();
        let running = services::start(&cloud.config).await.expect("services start");
        eprintln!(
            "services of {} up in {:.1} s",
            cloud.config.prefix,
            began.elapsed().as_secs_f64()
        );
        (cloud, running)
    }
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        if let Err(e) = services::down(&self.config) {
            eprintln!("cleanup of {} failed: {e}", self.config.prefix);
        }
    }
}

/// `[keystone_authtoken]` for the cloud's Sahara service user, plus `extra` lines.
fn opts(s: &RunningServices, extra: &str) -> KeystoneAuthtokenOpts {
    let c = &s.sahara;
    let ini = format!(
        "[keystone_authtoken]\nauth_type = password\nauth_url = {}\nusername = {}\npassword = {}\n\
         project_name = {}\nuser_domain_name = {}\nproject_domain_name = {}\nregion_name = {}\n\
         http_request_max_retries = 0\n{extra}",
        s.keystone_url, c.username, c.password, c.project_name, c.user_domain_name, c.project_domain_name, s.region
    );
    ConfigOpts::from_ini_str(&ini).unwrap().group().unwrap()
}

/// Revokes `subject` in Keystone, as its own user (`DELETE /v3/auth/tokens`).
async fn revoke(s: &RunningServices, by: &Token, subject: &str) {
    let resp = reqwest::Client::new()
        .delete(format!("{}/v3/auth/tokens", s.keystone_url))
        .header("X-Auth-Token", &by.id)
        .header("X-Subject-Token", subject)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT, "revocation");
}

fn is_unauthorized(r: &Result<Arc<sahara_keystone::ValidatedToken>, AuthError>) -> bool {
    matches!(r, Err(AuthError::Unauthorized { .. }))
}

#[tokio::test]
async fn real_tokens_validate_garbage_is_refused_and_revocation_ends_within_the_cache_lifetime() {
    let (_cloud, s) = TestCloud::start().await;
    let ks = Identity::new(&s.keystone_url).unwrap();
    let v = TokenValidator::from_opts(&opts(&s, "token_cache_time = 2\n")).unwrap();

    // A demo token: its user, project, roles and catalog.
    let demo = ks.password_token(&s.demo).await.unwrap();
    let t = v.validate(&demo.id).await.expect("demo token validates");
    assert_eq!(t.user_id, s.demo.user_id);
    assert_eq!(t.user_name, "demo");
    assert_eq!(t.project_id.as_deref(), Some(s.demo.project_id.as_str()));
    assert_eq!(t.project_name.as_deref(), Some("demo"));
    assert!(t.roles.iter().any(|r| r == "member"), "{t:?}");
    let catalog = t.catalog.as_ref().and_then(|c| c.as_array()).expect("catalog");
    assert!(catalog.iter().any(|svc| svc["type"] == "identity"), "{catalog:?}");
    assert!(t.expires_at > chrono::Utc::now());
    assert!(!t.audit_ids.is_empty());
    let headers = t.headers(true);
    let header = |k: &str| headers.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
    assert_eq!(header("X-Tenant-Id"), Some(s.demo.project_id.clone()));
    assert!(header("X-Roles").unwrap().split(',').any(|r| r == "member"));
    assert!(header("X-Service-Catalog").unwrap().contains("publicURL"));
    assert_eq!(v.keystone_requests(), 1);
    // The 401's WWW-Authenticate names the catalog's public identity endpoint.
    assert_eq!(v.www_authenticate_uri(), s.keystone_url);

    // Garbage is refused, and remembered as refused for a while.
    for _ in 0..2 {
        assert!(is_unauthorized(&v.validate("gAAAAABgarbage").await));
    }
    assert_eq!(v.keystone_requests(), 2);
    assert!(is_unauthorized(&v.validate("   ").await), "no token at all");

    // Revoked in Keystone: served from the cache until its entry ends (2 s), then refused.
    let cached_at = Instant::now();
    v.cache().remove(&sahara_keystone::cache::cache_key(&demo.id));
    v.validate(&demo.id).await.expect("validates again");
    revoke(&s, &demo, &demo.id).await;
    v.validate(&demo.id)
        .await
        .expect("the cache still answers for a revoked token");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = v.validate(&demo.id).await;
        if is_unauthorized(&r) {
            break;
        }
        assert!(r.is_ok(), "{r:?}");
        assert!(Instant::now() < deadline, "a revoked token still validates after 10 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let refused_after = cached_at.elapsed();
    eprintln!(
        "revoked token refused {:.2} s after it was cached",
        refused_after.as_secs_f64()
    );
    assert!(refused_after >= Duration::from_secs(2), "{refused_after:?}");
    // One cache lifetime, plus one more should this Keystone answer once stale right after the revocation.
    assert!(refused_after < Duration::from_secs(5), "{refused_after:?}");

    // Without the catalog: Keystone is asked with ?nocatalog.
    let v = TokenValidator::from_opts(&opts(&s, "include_service_catalog = false\n")).unwrap();
    let admin = ks.password_token(&s.admin).await.unwrap();
    let t = v.validate(&admin.id).await.unwrap();
    assert!(t.catalog.is_none(), "{t:?}");
    assert!(t.roles.iter().any(|r| r == "admin"));
    assert!(!t.headers(false).iter().any(|(n, _)| *n == "X-Service-Catalog"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_service_token_is_renewed_and_concurrent_validations_share_one_request() {
    let (_cloud, s) = TestCloud::start().await;
    let ks = Identity::new(&s.keystone_url).unwrap();
    let v = Arc::new(TokenValidator::from_opts(&opts(&s, "")).unwrap());
    let demo = ks.password_token(&s.demo).await.unwrap();

    // 50 concurrent validations of one uncached token: one service authentication, one request.
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let v = v.clone();
            let token = demo.id.clone();
            tokio::spawn(async move { v.validate(&token).await })
        })
        .collect();
    for task in tasks {
        let t = task.await.unwrap().expect("validates");
        assert_eq!(t.user_id, s.demo.user_id);
    }
    assert_eq!(v.keystone_requests(), 1, "one Keystone request for 50 validations");
    assert_eq!(v.service().authentications(), 1);

    // Keystone refuses the service token (revoked): the validator authenticates again, once.
    let service_token = v.service().token().await.unwrap().token;
    let admin = ks.password_token(&s.admin).await.unwrap();
    revoke(&s, &admin, &service_token).await;
    // Right after a revocation this Keystone may still accept the token once on a kept-alive
    // connection (per-thread state of its uWSGI threads), so poll until it refuses it.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let before = v.keystone_requests();
        let t = v
            .validate(&admin.id)
            .await
            .expect("validates with a renewed service token");
        assert_eq!(t.user_id, s.admin.user_id);
        if v.service().authentications() == 2 {
            assert_eq!(v.keystone_requests() - before, 2, "the refused request, then the retry");
            break;
        }
        assert_eq!(v.keystone_requests() - before, 1);
        assert!(
            Instant::now() < deadline,
            "Keystone never refused the revoked service token"
        );
        v.cache().remove(&sahara_keystone::cache::cache_key(&admin.id));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_ne!(v.service().token().await.unwrap().token, service_token);

    // A wrong service password: Keystone refuses the service, so users get 503, not 401.
    let wrong = opts(&s, "password = wrong\n");
    let v = TokenValidator::from_opts(&wrong).unwrap();
    let r = v.validate(&demo.id).await;
    assert!(matches!(r, Err(AuthError::Unavailable(_))), "{r:?}");
    assert_eq!(r.unwrap_err().response_parts().0, 503);
}

#[tokio::test]
async fn an_unreachable_keystone_is_a_503() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let o: KeystoneAuthtokenOpts = ConfigOpts::from_ini_str(&format!(
        "[keystone_authtoken]\nauth_url = http://127.0.0.1:{port}\nusername = sahara\npassword = pw\n\
         project_name = service\nuser_domain_name = Default\nproject_domain_name = Default\n\
         http_request_max_retries = 1\n"
    ))
    .unwrap()
    .group()
    .unwrap();
    let v = TokenValidator::from_opts(&o).unwrap();
    let r = v.validate("sometoken").await;
    assert!(matches!(r, Err(AuthError::Unavailable(_))), "{r:?}");
    assert_eq!(v.service().authentications(), 1);
    // Not cached: the next request asks again.
    assert!(v.validate("sometoken").await.is_err());
    assert_eq!(v.service().authentications(), 2);
    // Without auth_url, as keystonemiddleware without credentials: 503 for tokens, 401 without.
    let v = TokenValidator::from_opts(&ConfigOpts::from_ini_str("").unwrap().group().unwrap()).unwrap();
    assert!(matches!(v.validate("t").await, Err(AuthError::Unavailable(_))));
    assert!(is_unauthorized(&v.validate("").await));
}
