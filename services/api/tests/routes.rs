//! The routes that exist so far, through the router as a client sees them.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::{ApiState, router};
use sahara_config::ConfigOpts;
use serde_json::Value;
use tower::ServiceExt;

async fn get(state: &ApiState, path: &str) -> (StatusCode, String) {
    let req = Request::builder()
        .uri(path)
        .header("host", "api.example.org:8386")
        .header("x-tenant-id", "3f3cbd8f9c8b4e3a9a7e0b1f6d2c4a10")
        .body(Body::empty())
        .unwrap();
    let resp = router(state.clone()).oneshot(req).await.unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

fn state(ini: &str) -> ApiState {
    common::without_conductor(&ConfigOpts::from_ini_str(ini).unwrap())
}

#[tokio::test]
async fn root_is_version_discovery_with_300() {
    let (status, body) = get(&state(""), "/").await;
    assert_eq!(status, StatusCode::MULTIPLE_CHOICES);
    let v: Value = serde_json::from_str(&body).unwrap();
    let ids: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["v1.0", "v1.1", "v2"]);
    assert_eq!(v["versions"][2]["status"], "CURRENT");
    assert_eq!(v["versions"][2]["links"][0]["href"], "http://api.example.org:8386/v2/");
    assert_eq!(v["versions"][2]["max_version"], "2.0");
}

#[tokio::test]
async fn healthcheck_and_disable_file() {
    let dir = tempfile::tempdir().unwrap();
    let flag = dir.path().join("healthcheck_disable");
    let s = state(&format!(
        "[healthcheck]\nbackends = disable_by_file\ndisable_by_file_path = {}\n",
        flag.display()
    ));
    assert_eq!(get(&s, "/healthcheck").await, (StatusCode::OK, "OK".to_string()));
    std::fs::write(&flag, "").unwrap();
    assert_eq!(
        get(&s, "/healthcheck").await,
        (StatusCode::SERVICE_UNAVAILABLE, "DISABLED BY FILE".to_string())
    );
}

#[tokio::test]
async fn unknown_paths_get_saharas_error_body() {
    // Unknown paths are authenticated first (see keystone_auth.rs); noauth takes the headers' identity.
    let (status, body) = get(&state("[DEFAULT]\nauth_strategy = noauth\n"), "/v2/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error_code"], 404);
    assert_eq!(v["error_name"], "NOT_FOUND");
    assert!(v["error_message"].as_str().unwrap().contains("/v2/no-such-thing"));
}
