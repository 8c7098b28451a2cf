//! Sahara's error body: `{"error_code": <status>, "error_name": "...", "error_message": "..."}`.

use axum::Json;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error as Sahara renders it to clients.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {message}")]
pub struct ApiError {
    /// HTTP status (also `error_code`).
    pub status: StatusCode,
    /// Sahara's `error_name`, e.g. `NOT_FOUND`.
    pub name: String,
    /// Human-readable `error_message`.
    pub message: String,
}

impl ApiError {
    /// An error with status, name and message.
    pub fn new(status: StatusCode, name: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            name: name.to_string(),
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error_code": self.status.as_u16(), "error_name": self.name, "error_message": self.message});
        (self.status, Json(body)).into_response()
    }
}

/// The answer for paths no route serves.
pub async fn not_found(uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("The requested URL {} was not found on the server.", uri.path()),
    )
}
