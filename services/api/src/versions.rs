//! Version discovery: any request for `/` gets HTTP 300 with the API versions, as Sahara's
//! `VersionResponseMiddlewareV2` answers it (kolla's healthcheck probes this).

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// The version document for a client that reached us as `base` (`http://host:port`).
pub fn document(base: &str) -> Value {
    let link = |v: &str| json!([{"rel": "self", "href": format!("{base}/{v}/")}]);
    json!({"versions": [
        {"id": "v1.0", "status": "SUPPORTED", "links": link("v1.0")},
        {"id": "v1.1", "status": "SUPPORTED", "links": link("v1.1")},
        {"id": "v2", "status": "CURRENT", "links": link("v2"), "min_version": "2.0", "max_version": "2.0"},
    ]})
}

/// `GET /` (any method): 300 Multiple Choices with the version list.
pub async fn discovery(headers: HeaderMap) -> impl IntoResponse {
    let host = headers
        .get("host")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost:8386");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("http");
    (
        StatusCode::MULTIPLE_CHOICES,
        Json(document(&format!("{scheme}://{host}"))),
    )
}
