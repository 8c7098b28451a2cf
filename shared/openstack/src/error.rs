//! The crate's one error type: what a call to a cloud service can end in, keeping the service's
//! own status and message (Sahara shows them to users).

use std::fmt;

/// Result of a call to the cloud.
pub type Result<T, E = OpenStackError> = std::result::Result<T, E>;

/// What went wrong talking to the cloud.
#[derive(Debug, thiserror::Error)]
pub enum OpenStackError {
    /// The service catalog lists no endpoint of this type for the interface (and region).
    #[error("{service_type} endpoint for {interface} interface{} not found", region_suffix(.region))]
    EndpointNotFound {
        /// The catalog service type (`compute`, `object-store`, ...).
        service_type: String,
        /// The interface asked for (`internal`, `public`, `admin`).
        interface: String,
        /// The region asked for, if any.
        region: Option<String>,
    },
    /// The configuration does not allow the call (Sahara's `ConfigurationError`).
    #[error("{0}")]
    Configuration(String),
    /// The service answered 404.
    #[error("{message}")]
    NotFound {
        /// Which service answered (`nova`, `neutron`, ...).
        service: &'static str,
        /// The service's message.
        message: String,
    },
    /// The service answered another error status.
    #[error("{message} (HTTP {status})")]
    Api {
        /// Which service answered.
        service: &'static str,
        /// Its HTTP status.
        status: u16,
        /// The service's message.
        message: String,
        /// Its `x-openstack-request-id`, if it sent one.
        request_id: Option<String>,
    },
    /// A retryable status (408, 413, 429, 5xx) kept coming back: Sahara's `MaxRetriesExceeded`.
    #[error("Operation {operation} wasn't executed correctly after {attempts} attempts")]
    MaxRetriesExceeded {
        /// The operation, as `<service>.<call>`.
        operation: String,
        /// `[retries] retries_number`, as Sahara reports it.
        attempts: u32,
        /// The last status seen.
        last_status: u16,
        /// The last message seen.
        last_message: String,
    },
    /// The request did not get an answer (connection refused, timeout, TLS).
    #[error("{service} request failed: {message}")]
    Transport {
        /// Which service was called.
        service: &'static str,
        /// What failed.
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
    },
    /// The service's answer was not what its API documents.
    #[error("unexpected answer from {service}: {message}")]
    Decode {
        /// Which service answered.
        service: &'static str,
        /// What did not parse.
        message: String,
    },
    /// A Heat stack ended in a failed state (Sahara's `HeatStackException`).
    #[error("{0}")]
    HeatStack(String),
    /// The configuration or the caller's input cannot be used (bad catalog, CA file, URL).
    #[error("{0}")]
    Invalid(String),
}

fn region_suffix(region: &Option<String>) -> String {
    region.as_ref().map(|r| format!(" in {r} region")).unwrap_or_default()
}

impl OpenStackError {
    /// The HTTP status the service answered, if the error is an answer.
    pub fn status(&self) -> Option<u16> {
        match self {
            OpenStackError::NotFound { .. } => Some(404),
            OpenStackError::Api { status, .. } => Some(*status),
            OpenStackError::MaxRetriesExceeded { last_status, .. } => Some(*last_status),
            _ => None,
        }
    }

    /// Whether the thing asked for does not exist (404).
    pub fn is_not_found(&self) -> bool {
        matches!(self, OpenStackError::NotFound { .. })
    }

    pub(crate) fn decode(service: &'static str, e: impl fmt::Display) -> Self {
        OpenStackError::Decode {
            service,
            message: e.to_string(),
        }
    }
}

/// A secret (token, password) whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl From<&str> for Secret {
    fn from(s: &str) -> Self {
        Secret(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_hidden_and_errors_keep_the_service_message() {
        let s = Secret::new("gAAAAtoken");
        assert_eq!(format!("{s:?} {s}"), "**** ****");
        assert_eq!(s.expose(), "gAAAAtoken");
        let e = OpenStackError::EndpointNotFound {
            service_type: "compute".into(),
            interface: "internal".into(),
            region: Some("RegionOne".into()),
        };
        assert_eq!(
            e.to_string(),
            "compute endpoint for internal interface in RegionOne region not found"
        );
        let e = OpenStackError::MaxRetriesExceeded {
            operation: "nova.get_flavor".into(),
            attempts: 5,
            last_status: 503,
            last_message: "down".into(),
        };
        assert_eq!(
            e.to_string(),
            "Operation nova.get_flavor wasn't executed correctly after 5 attempts"
        );
        assert_eq!(e.status(), Some(503));
    }
}
