//! The engine's errors. An operation's error ends the cluster in `Error` (or back in
//! `Active` after a failed scale) with the error's text as `status_description`, as
//! Sahara's `ops_error_handler` does; an EDP operation's error is logged (and a job that
//! could not start ends `FAILED`). The text never carries a secret.

use sahara_model::conductor::ConductorCallError;

/// What an engine operation can fail with.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The conductor refused or could not be reached.
    #[error("conductor: {0}")]
    Conductor(#[from] ConductorCallError),
    /// A cloud API failed (after Sahara's retries).
    #[error("{0}")]
    OpenStack(#[from] sahara_openstack::OpenStackError),
    /// Heat ended the stack in a failed state (`HeatStackException(stack_status_reason)`, whose
    /// message template Sahara fills with the reason).
    #[error("Heat stack failed with status {0}")]
    HeatStack(String),
    /// A wait ran out of time (Sahara's `TimeoutException`).
    #[error("'{operation}' timed out after {seconds} second(s)")]
    Timeout {
        /// What was waited for.
        operation: String,
        /// The limit.
        seconds: u64,
    },
    /// The cluster is gone or being deleted: the operation stops quietly.
    #[error("cluster {0} is gone or being deleted")]
    ClusterGone(String),
    /// An instance could not be reached or a command on it failed.
    #[error("{0}")]
    Remote(String),
    /// The plugin refused or failed.
    #[error("{0}")]
    Plugin(String),
    /// The cluster or the configuration does not allow the operation.
    #[error("{0}")]
    Invalid(String),
    /// An EDP operation could not be done (Sahara's `EDPError`: a cluster without an engine
    /// for the job's type, ...).
    #[error("{0}")]
    Edp(String),
    /// A job was not canceled within `job_canceling_timeout` (Sahara's `CancelingFailed`).
    #[error("{0}")]
    CancelingFailed(String),
    /// A job could not be suspended (Sahara's `SuspendingFailed`).
    #[error("{0}")]
    SuspendingFailed(String),
    /// Anything else (a bug): logged with its cause.
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// Whether the operation should stop without touching the cluster any more.
    pub fn is_gone(&self) -> bool {
        matches!(self, EngineError::ClusterGone(_))
    }
}

/// The engine's result type.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
