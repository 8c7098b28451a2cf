//! Sahara's request-body validation: the JSON schemas of every v1.1 and v2 route that has one, and a JSON-Schema
//! Draft 4 validator that reports failures the way Sahara 19's `ApiValidator` (jsonschema 4.17.3) does, through
//! `sahara.service.validation.validate`: every error, in jsonschema's order, each prefixed with its instance path
//! (`node_groups[0][name]: `) and joined with `"\n"`.
//!
//! The message returned here is Sahara's message without the `"\nError ID: <uuid>"` suffix that
//! `SaharaException` adds; the API's error layer appends it. An empty request body is validated as `{}` (Sahara's
//! `request_data()` does the same).
//!
//! Known deviations, all outside what a JSON body decoded by `serde_json` can carry: integers beyond the u64/i64
//! range (Python keeps them exact, serde_json turns them into floats), `-0` (serde_json yields `-0.0`), NaN and
//! Infinity literals (Python's json accepts them, serde_json rejects the body). jsonschema's built-in formats
//! (email, ipv4, date, ...) are not checked; no Sahara schema uses them.

#![deny(missing_docs)]

mod formats;
mod pyrepr;
mod schemas;
mod unicode_tables;
mod validator;

pub use pyrepr::{py_repr, py_repr_str};
pub use schemas::{DEFAULT_JOB_BINARY_TYPES, SchemaId, plugin_update_schema};
pub use validator::{PathElem, SchemaError, iter_errors, validate, validate_with};

/// Why a request body was refused, mapped the way `sahara.service.validation.validate` answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// jsonschema reported errors: 400 `VALIDATION_ERROR`, the message is every error line joined with `"\n"`.
    #[error("{0}")]
    Schema(String),
    /// A `SaharaException` escaped a format checker (`valid_job_location` with no or an unknown URL scheme):
    /// 400 `INVALID_DATA` with that exception's message; errors found before it are discarded.
    #[error("{0}")]
    InvalidData(String),
    /// Any other exception inside validation (e.g. `urlparse` raising `ValueError("Invalid IPv6 URL")`):
    /// 500 `INTERNAL_SERVER_ERROR` "Error occurred during validation"; the payload says what Python raised.
    #[error("Error occurred during validation")]
    Internal(String),
}

impl ValidationError {
    /// The HTTP status Sahara answers with (`error_code` of the body).
    pub fn error_code(&self) -> u16 {
        match self {
            ValidationError::Schema(_) | ValidationError::InvalidData(_) => 400,
            ValidationError::Internal(_) => 500,
        }
    }

    /// Sahara's `error_name` for this failure.
    pub fn error_name(&self) -> &'static str {
        match self {
            ValidationError::Schema(_) => "VALIDATION_ERROR",
            ValidationError::InvalidData(_) => "INVALID_DATA",
            ValidationError::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// Sahara's `error_message` (before the error-id suffix Sahara adds to 400s).
    pub fn message(&self) -> String {
        self.to_string()
    }
}
