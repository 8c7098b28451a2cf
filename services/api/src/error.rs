//! Sahara's error body: `{"error_code": <status>, "error_name": "...", "error_message": "..."}`, and the
//! constructors for the errors Sahara's REST layer answers with (sahara/utils/api.py).

use axum::Json;
use axum::extract::OriginalUri;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sahara_model::SaharaError;
use sahara_model::conductor::ConductorCallError;
use sahara_validation::ValidationError;
use serde_json::{Map, Value};

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
    /// Further top-level keys of the body (the microversion errors' `max_version` / `min_version`).
    pub extra: Map<String, Value>,
}

/// A fresh id for Sahara's `"\nError ID: <uuid4>"` message suffix.
pub fn error_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

impl ApiError {
    /// An error with status, name and message.
    pub fn new(status: StatusCode, name: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            name: name.to_string(),
            message: message.into(),
            extra: Map::new(),
        }
    }

    /// Adds a top-level key to the body.
    pub fn with_extra(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.extra.insert(key.to_string(), value.into());
        self
    }

    /// A `SaharaException` escaping a handler (`bad_request` / `access_denied`): 400, or 403 for
    /// `Forbidden`, with the exception's code and its message plus a fresh `Error ID`.
    pub fn sahara(err: &SaharaError) -> Self {
        let status = StatusCode::from_u16(err.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
        Self::new(status, err.code(), err.message_with_error_id(&error_id()))
    }

    /// `check_exists`'s miss: 404 NOT_FOUND `Object with {'k': 'v', ...} not found` (plus `Error ID`).
    pub fn check_exists(lookup: &[(&str, &str)]) -> Self {
        let err = SaharaError::object_not_found_with(lookup);
        Self::new(
            StatusCode::NOT_FOUND,
            err.code(),
            err.message_with_error_id(&error_id()),
        )
    }

    /// An unexpected failure: 500 INTERNAL_SERVER_ERROR `Internal Server Error`.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal Server Error",
        )
    }

    /// Something we do not implement yet: 501 NOT_IMPLEMENTED_ERROR.
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, "NOT_IMPLEMENTED_ERROR", message)
    }

    /// The body as JSON.
    pub fn body(&self) -> Value {
        let mut body = Map::new();
        body.insert("error_code".into(), self.status.as_u16().into());
        body.insert("error_name".into(), self.name.clone().into());
        body.insert("error_message".into(), self.message.clone().into());
        for (k, v) in &self.extra {
            body.insert(k.clone(), v.clone());
        }
        Value::Object(body)
    }
}

impl From<SaharaError> for ApiError {
    fn from(err: SaharaError) -> Self {
        ApiError::sahara(&err)
    }
}

impl From<ConductorCallError> for ApiError {
    /// A Sahara exception raised by the conductor is answered as Sahara answers it (400, or 403); a conductor that
    /// could not be reached or failed otherwise is a 500.
    fn from(err: ConductorCallError) -> Self {
        match err {
            ConductorCallError::Sahara(e) => ApiError::sahara(&e),
            ConductorCallError::Failed(reason) => {
                tracing::error!(%reason, "conductor call failed");
                ApiError::internal()
            }
        }
    }
}

impl From<ValidationError> for ApiError {
    /// `sahara.service.validation.validate`'s answer to a schema failure: 400 with the error lines (and an
    /// `Error ID`), or 500 `Error occurred during validation`.
    fn from(err: ValidationError) -> Self {
        match err {
            ValidationError::Internal(what) => {
                tracing::error!(%what, "request validation failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "INTERNAL_SERVER_ERROR",
                    "Error occurred during validation",
                )
            }
            other => ApiError::new(
                StatusCode::BAD_REQUEST,
                other.error_name(),
                format!("{}\nError ID: {}", other.message(), error_id()),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.status.as_u16(), name = %self.name, message = %self.message, "request failed");
        } else {
            tracing::info!(code = self.status.as_u16(), name = %self.name, message = %self.message, "request refused");
        }
        (self.status, Json(self.body())).into_response()
    }
}

/// The answer for paths no route serves.
pub async fn not_found(OriginalUri(uri): OriginalUri) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "NOT_FOUND",
        format!("The requested URL {} was not found on the server.", uri.path()),
    )
}

/// The answer for a known path asked with a method it does not serve (werkzeug's description).
pub fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "The method is not allowed for the requested URL.",
    )
}
