//! The conductor's error: Sahara's own exceptions (what callers act on), bad arguments,
//! and database failures that outlasted the retries.

use sahara_model::SaharaError;

/// Why a conductor call failed.
#[derive(Debug, thiserror::Error)]
pub enum ConductorError {
    /// A Sahara exception (not found, duplicate, protected, ...), passed to the caller as is.
    #[error(transparent)]
    Sahara(#[from] SaharaError),
    /// The call's arguments do not fit the method (wrong type, unknown column, ...).
    #[error("invalid arguments: {0}")]
    InvalidArguments(String),
    /// The database failed the call in a way retrying does not help (oslo.db's `DBError`).
    #[error("database error: {0}")]
    Database(String),
    /// The database could not be reached, also after the retries (`DBConnectionError`).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The transaction kept losing deadlocks, also after the retries (`DBDeadlock`).
    #[error("database deadlock: {0}")]
    Deadlock(String),
    /// A raw database error, before the retry loop has classified it.
    #[error("database error: {0}")]
    Diesel(#[from] diesel::result::Error),
    /// No connection could be taken from the pool.
    #[error("database unavailable: {0}")]
    Pool(String),
}

impl ConductorError {
    /// Whether retrying the whole operation may succeed (lost connection, deadlock).
    pub fn is_retryable(&self) -> bool {
        match self {
            ConductorError::Diesel(e) => sahara_schema::error::is_disconnect(e) || sahara_schema::error::is_deadlock(e),
            ConductorError::Pool(_) => true,
            _ => false,
        }
    }

    /// The oslo-style remote exception parts `(module, class, message, kwargs)` sent over RPC.
    pub fn remote_parts(&self) -> (String, String, String, serde_json::Value) {
        match self {
            ConductorError::Sahara(e) => {
                let (m, c, msg, kw) = e.remote_parts();
                (m.to_string(), c.to_string(), msg, kw)
            }
            ConductorError::InvalidArguments(m) => {
                ("builtins".into(), "TypeError".into(), m.clone(), serde_json::json!({}))
            }
            other => {
                let class = match other {
                    ConductorError::Unavailable(_) | ConductorError::Pool(_) => "DBConnectionError",
                    ConductorError::Deadlock(_) => "DBDeadlock",
                    ConductorError::Diesel(e) if sahara_schema::error::is_disconnect(e) => "DBConnectionError",
                    ConductorError::Diesel(e) if sahara_schema::error::is_deadlock(e) => "DBDeadlock",
                    _ => "DBError",
                };
                (
                    "oslo_db.exception".into(),
                    class.into(),
                    other.to_string(),
                    serde_json::json!({}),
                )
            }
        }
    }
}

/// Result alias of the conductor.
pub type Result<T, E = ConductorError> = std::result::Result<T, E>;
