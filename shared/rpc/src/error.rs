//! The one error type of the RPC layer.

use crate::failure::RemoteError;

/// Everything that can go wrong sending, receiving or dispatching an RPC message.
#[derive(Debug, thiserror::Error)]
pub enum RpcError {
    /// The `transport_url` could not be parsed or names an unknown driver.
    #[error("invalid transport URL {url}: {reason}")]
    InvalidTransportUrl {
        /// The URL with any password masked.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The configuration could not be read.
    #[error(transparent)]
    Config(#[from] sahara_config::ConfigError),
    /// A target is missing a field the operation needs (e.g. a topic).
    #[error("invalid target: {0}")]
    InvalidTarget(String),
    /// No reply arrived in time (oslo's `MessagingTimeout`).
    #[error("Timed out waiting for a reply to message ID {msg_id}")]
    Timeout {
        /// The `_msg_id` of the call.
        msg_id: String,
    },
    /// Call arguments were not keyword arguments (a JSON object).
    #[error("invalid RPC arguments: {0}")]
    InvalidArguments(String),
    /// The remote side raised an exception; its class, module and message are kept.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The message carried an envelope version we do not understand.
    #[error("unsupported RPC envelope version: {0}")]
    UnsupportedEnvelopeVersion(String),
    /// A message body that is not what oslo.messaging would send.
    #[error("malformed message: {0}")]
    Malformed(String),
    /// Arguments or results could not be converted to or from JSON.
    #[error("JSON conversion failed: {0}")]
    Json(#[from] serde_json::Error),
    /// The message version exceeds the client's version cap (nothing was sent).
    #[error(
        "requested message version, {version} is incompatible. It needs to be equal in major version and less than or equal in minor version as the specified version cap {cap}."
    )]
    VersionCap {
        /// The version of the message.
        version: String,
        /// The client's cap.
        cap: String,
    },
    /// No queue took the message within the retry window (e.g. a server-directed
    /// message to a server that is gone).
    #[error(
        "message to exchange '{exchange}' with routing key '{routing_key}' could not be delivered: no queue is bound"
    )]
    Undeliverable {
        /// Exchange the message was published to.
        exchange: String,
        /// Its routing key.
        routing_key: String,
    },
    /// The broker could not be reached or refused an operation, and retries ran out.
    #[error("messaging broker error: {0}")]
    Broker(String),
    /// The transport was shut down.
    #[error("the transport is shut down")]
    Shutdown,
}

impl RpcError {
    /// True when the error is a reply timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self, RpcError::Timeout { .. })
    }

    /// The remote exception, when the failure came from the other side.
    pub fn remote(&self) -> Option<&RemoteError> {
        match self {
            RpcError::Remote(r) => Some(r),
            _ => None,
        }
    }
}

/// Result alias for the RPC layer.
pub type Result<T, E = RpcError> = std::result::Result<T, E>;
