//! The API behind Keystone authentication, served over HTTP against the real Keystone of the
//! local test cloud: no token or a refused one gets keystonemiddleware's 401, a good one reaches
//! the routes (the fallback 404 included) with the identity Keystone confirmed and no forged
//! header; version discovery and the healthcheck stay open. Also `noauth`, without a cloud.

mod common;

use axum::Extension;
use axum::Router;
use axum::routing::get;
use reqwest::StatusCode;
use sahara_api::auth::RequestContext;
use sahara_api::{router, with_auth};
use sahara_config::ConfigOpts;
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::identity::Identity;
use sahara_testcloud::services::{self, RunningServices, ServicesConfig};
use serde_json::{Value, json};
use std::time::Instant;

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
            .prefix("stc-api-auth-")
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

/// Serves `app` on a free local port; answers its base URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

/// A route showing what the request context and the identity headers say.
async fn whoami(Extension(ctx): Extension<RequestContext>, headers: axum::http::HeaderMap) -> axum::Json<Value> {
    let h = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).map(str::to_string);
    axum::Json(json!({
        "user_id": ctx.user_id, "project_id": ctx.project_id, "roles": ctx.roles,
        "user_name": ctx.user_name, "project_name": ctx.project_name,
        "catalog": ctx.service_catalog.is_some(), "token": ctx.auth_token.is_some(),
        "x_roles": h("x-roles"), "x_user_id": h("x-user-id"), "x_tenant_id": h("x-tenant-id"),
        "x_identity_status": h("x-identity-status"), "x_service_catalog": h("x-service-catalog").is_some(),
    }))
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

#[tokio::test]
async fn keystone_guards_every_route_but_discovery_and_healthcheck() {
    let (_cloud, s) = TestCloud::start().await;
    let c = &s.sahara;
    let conf = ConfigOpts::from_ini_str(&format!(
        "[DEFAULT]\nauth_strategy = keystone\n[keystone_authtoken]\nwww_authenticate_uri = {ks}/v3\n\
         auth_type = password\nauth_url = {ks}\nusername = {}\npassword = {}\nproject_name = {}\n\
         user_domain_name = {}\nproject_domain_name = {}\n",
        c.username,
        c.password,
        c.project_name,
        c.user_domain_name,
        c.project_domain_name,
        ks = s.keystone_url
    ))
    .unwrap();
    let state = common::without_conductor(&conf);
    let api = serve(router(state.clone())).await;
    let probe = serve(with_auth(Router::new().route("/v2/whoami", get(whoami)), &state)).await;
    let demo = Identity::new(&s.keystone_url)
        .unwrap()
        .password_token(&s.demo)
        .await
        .unwrap();

    // Open: version discovery and the healthcheck.
    assert_eq!(
        http().get(format!("{api}/")).send().await.unwrap().status(),
        StatusCode::MULTIPLE_CHOICES
    );
    assert_eq!(
        http().get(format!("{api}/healthcheck")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // No token, or a bad one: keystonemiddleware's 401.
    for token in [None, Some("not-a-token")] {
        let mut req = http().get(format!("{api}/v2/no-such-thing"));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(
            resp.headers()["www-authenticate"].to_str().unwrap(),
            format!("Keystone uri=\"{}/v3\"", s.keystone_url)
        );
        assert_eq!(resp.headers()["content-type"], "application/json");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(
            body,
            json!({"error": {"code": 401, "title": "Unauthorized",
                "message": "The request you have made requires authentication."}})
        );
    }

    // A good token reaches the routes: an unknown path gets Sahara's 404 after authentication.
    let resp = http()
        .get(format!("{api}/v2/no-such-thing"))
        .header("X-Auth-Token", &demo.id)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error_code"], 404, "{body}");

    // The identity Keystone confirmed, whatever identity headers the client sent.
    let resp = http()
        .get(format!("{probe}/v2/whoami"))
        .header("X-Auth-Token", &demo.id)
        .header("X-Roles", "admin")
        .header("X-User-Id", "forged")
        .header("X-Tenant-Id", "forged")
        .header("X-Service-Catalog", "[]")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let who: Value = resp.json().await.unwrap();
    assert_eq!(who["user_id"], s.demo.user_id.as_str(), "{who}");
    assert_eq!(who["project_id"], s.demo.project_id.as_str());
    assert_eq!(who["user_name"], "demo");
    assert_eq!(who["project_name"], "demo");
    assert!(who["roles"].as_array().unwrap().iter().any(|r| r == "member"), "{who}");
    assert!(!who["roles"].as_array().unwrap().iter().any(|r| r == "admin"), "{who}");
    assert_eq!(who["x_user_id"], s.demo.user_id.as_str());
    assert_eq!(who["x_tenant_id"], s.demo.project_id.as_str());
    assert_eq!(who["x_identity_status"], "Confirmed");
    assert!(
        !who["x_roles"].as_str().unwrap().split(',').any(|r| r == "admin"),
        "{who}"
    );
    assert_eq!(who["catalog"], true);
    assert_eq!(who["x_service_catalog"], true);
    assert_eq!(who["token"], true);

    // Without a token the probe route is never reached.
    let resp = http()
        .get(format!("{probe}/v2/whoami"))
        .header("X-User-Id", "forged")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_keystone_configured_tokens_get_503_and_no_token_401() {
    // Sahara's default strategy is keystone; with no [keystone_authtoken] auth_url it still starts.
    let state = common::without_conductor(&ConfigOpts::from_ini_str("").unwrap());
    let api = serve(router(state)).await;
    let resp = http().get(format!("{api}/v2/clusters")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers().contains_key("www-authenticate"));
    let resp = http()
        .get(format!("{api}/v2/clusters"))
        .header("X-Auth-Token", "t")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "503 Service Unavailable");
    assert_eq!(
        http().get(format!("{api}/")).send().await.unwrap().status(),
        StatusCode::MULTIPLE_CHOICES
    );
}

#[tokio::test]
async fn noauth_takes_the_identity_from_the_headers() {
    let state = common::without_conductor(&ConfigOpts::from_ini_str("[DEFAULT]\nauth_strategy = noauth\n").unwrap());
    let probe = serve(with_auth(Router::new().route("/v2/whoami", get(whoami)), &state)).await;
    let resp = http()
        .get(format!("{probe}/v2/whoami"))
        .header("X-User-Id", "u1")
        .header("X-Tenant-Id", "p1")
        .header("X-Roles", "member,reader")
        .header("X-Auth-Token", "anything")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let who: Value = resp.json().await.unwrap();
    assert_eq!(who["user_id"], "u1");
    assert_eq!(who["project_id"], "p1");
    assert_eq!(who["roles"], json!(["member", "reader"]));
    assert_eq!(who["x_roles"], "member,reader");
    // Without X-Tenant-Id, as Sahara's AuthValidator: 503.
    let resp = http()
        .get(format!("{probe}/v2/whoami"))
        .header("X-User-Id", "u1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
}
