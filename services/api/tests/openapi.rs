//! The v2 OpenAPI document against the router: served without authentication at `/v2/openapi.json`; every route of
//! the v2 tables is in it with the same methods, and every documented operation is answered by the router (probed
//! with a microversion v2 does not serve, which only a matched route answers 406), while the methods a documented
//! path does not list are refused 405.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::openapi::{self, OPERATIONS};
use sahara_api::{ApiState, router};
use serde_json::Value;
use std::collections::BTreeSet;
use tower::ServiceExt;

const PROJECT: &str = "3f3cbd8f9c8b4e3a9a7e0b1f6d2c4a10";

async fn send(state: &ApiState, method: &Method, path: &str, identity: bool) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("OpenStack-API-Version", "data-processing 9.9");
    if identity {
        req = req
            .header("x-tenant-id", PROJECT)
            .header("x-user-id", "u1")
            .header("x-roles", "admin");
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn state() -> ApiState {
    common::without_conductor(&common::conf(""))
}

/// `/clusters/{id}` with every parameter filled.
fn concrete(path: &str) -> String {
    let filled: Vec<String> = path
        .split('/')
        .map(|seg| match seg {
            "{plugin_name}" => "fake".to_string(),
            "{version}" => "0.1".to_string(),
            "{job_type}" => "Pig".to_string(),
            s if s.starts_with('{') => "0b5a0a3e-8b8a-4d41-9cf1-5a3c3c7a2f10".to_string(),
            s => s.to_string(),
        })
        .collect();
    format!("/v2{}", filled.join("/"))
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            ops.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn the_document_is_public_and_openapi_3_1() {
    let (status, doc) = send(&state(), &Method::GET, openapi::PATH, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/v2");
    let ids: Vec<&Value> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .values()
                .filter_map(|op| op.get("operationId"))
        })
        .collect();
    let unique: BTreeSet<&str> = ids.iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique");
}

#[tokio::test]
async fn every_v2_route_is_documented_and_nothing_else() {
    let (_, doc) = send(&state(), &Method::GET, openapi::PATH, false).await;
    let routes: BTreeSet<(String, String)> = openapi::v2_routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.rule.to_string()))
        .collect();
    assert_eq!(routes.len(), 52, "§1c: /v2 exposes 52 routes");
    assert_eq!(documented(&doc), routes);
    // The hand-written part (bodies, queries, answers) names exactly the routes of the tables.
    let described: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|o| (o.method.to_string(), o.rule.to_string()))
        .collect();
    assert_eq!(described.len(), OPERATIONS.len(), "no route is described twice");
    assert_eq!(described, routes);
    for r in openapi::v2_routes() {
        let op = &doc["paths"][r.rule][r.method.as_str().to_ascii_lowercase()];
        assert_eq!(op["x-policy"], r.policy, "{} {}", r.method, r.rule);
        assert!(
            op["responses"].get(r.status.as_str()).is_some(),
            "{} {} documents its success status {}",
            r.method,
            r.rule,
            r.status
        );
    }
}

#[tokio::test]
async fn the_router_answers_every_documented_operation_and_refuses_the_rest() {
    let state = state();
    let (_, doc) = send(&state, &Method::GET, openapi::PATH, false).await;
    let ops = documented(&doc);
    let paths: BTreeSet<&String> = ops.iter().map(|(_, p)| p).collect();
    for path in paths {
        let url = concrete(path);
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (status, body) = send(&state, &method, &url, true).await;
            if ops.contains(&(method.to_string(), path.clone())) {
                assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{method} {url}: {body}");
                assert_eq!(body["error_name"], "NOT_ACCEPTABLE", "{method} {url}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {url} is not documented: {body}"
                );
            }
        }
    }
}
