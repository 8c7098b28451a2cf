//! Why a request is refused, and the answer keystonemiddleware gives for it.

/// What an HTTP layer needs to render an [`AuthError`]: status, headers and body.
pub type ResponseParts = (u16, Vec<(&'static str, String)>, String);

/// Why a token did not authenticate a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No token, or one Keystone refuses (unknown, expired, revoked): `401` with
    /// `WWW-Authenticate: Keystone uri="<www_authenticate_uri>"`.
    #[error("authentication required: {reason}")]
    Unauthorized {
        /// Why (for logs; never the token).
        reason: String,
        /// Where clients authenticate (`[keystone_authtoken] www_authenticate_uri`).
        www_authenticate_uri: String,
    },
    /// Keystone could not be asked, or refused the service's own credentials: `503`.
    #[error("Keystone unavailable: {0}")]
    Unavailable(String),
    /// `[keystone_authtoken]` cannot work as configured.
    #[error("[keystone_authtoken]: {0}")]
    Config(String),
}

/// keystonemiddleware's body for a rejected request (`jsonutils.dumps`, so Python's spelling).
pub const UNAUTHORIZED_BODY: &str = "{\"error\": {\"code\": 401, \"title\": \"Unauthorized\", \"message\": \
    \"The request you have made requires authentication.\"}}";

/// webob's JSON body for the `HTTPServiceUnavailable` keystonemiddleware raises when Keystone
/// cannot validate a token.
pub const UNAVAILABLE_BODY: &str = "{\"message\": \"The server is currently unavailable. Please try again at a \
    later time.<br /><br />\\nThe Keystone service is temporarily unavailable.\\n\\n\", \"code\": \
    \"503 Service Unavailable\", \"title\": \"Service Unavailable\"}";

impl AuthError {
    /// A `401` pointing clients at `www_authenticate_uri`.
    pub fn unauthorized(reason: impl Into<String>, www_authenticate_uri: &str) -> Self {
        AuthError::Unauthorized {
            reason: reason.into(),
            www_authenticate_uri: www_authenticate_uri.to_string(),
        }
    }

    /// The HTTP status keystonemiddleware answers with.
    pub fn status(&self) -> u16 {
        match self {
            AuthError::Unauthorized { .. } => 401,
            AuthError::Unavailable(_) | AuthError::Config(_) => 503,
        }
    }

    /// Status, headers and body exactly as keystonemiddleware renders them for a JSON client.
    pub fn response_parts(&self) -> ResponseParts {
        let json = ("Content-Type", "application/json".to_string());
        match self {
            AuthError::Unauthorized {
                www_authenticate_uri, ..
            } => (
                401,
                vec![
                    ("WWW-Authenticate", format!("Keystone uri=\"{www_authenticate_uri}\"")),
                    json,
                ],
                UNAUTHORIZED_BODY.to_string(),
            ),
            AuthError::Unavailable(_) | AuthError::Config(_) => (503, vec![json], UNAVAILABLE_BODY.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_is_keystonemiddlewares_answer() {
        let (status, headers, body) = AuthError::unauthorized("no token", "http://ks:5000").response_parts();
        assert_eq!(status, 401);
        assert_eq!(
            headers[0],
            ("WWW-Authenticate", "Keystone uri=\"http://ks:5000\"".to_string())
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["error"]["code"], 401);
        assert_eq!(v["error"]["title"], "Unauthorized");
        assert_eq!(
            v["error"]["message"],
            "The request you have made requires authentication."
        );
    }

    #[test]
    fn unavailable_is_webobs_503() {
        let (status, _, body) = AuthError::Unavailable("connection refused".into()).response_parts();
        assert_eq!(status, 503);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["code"], "503 Service Unavailable");
        assert!(
            v["message"]
                .as_str()
                .unwrap()
                .contains("The Keystone service is temporarily unavailable.")
        );
    }
}
