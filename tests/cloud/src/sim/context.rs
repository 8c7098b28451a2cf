//! Who is asking: the request context every core operation takes, built from a token that
//! the real Keystone validated (or, for Heat acting on a stack's behalf, copied from the
//! stack's creator).

/// The caller of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// The project the token is scoped to.
    pub project_id: String,
    /// The user.
    pub user_id: String,
    /// Role names on the project (`member`, `reader`, `admin`, ...).
    pub roles: Vec<String>,
    /// Whether the caller has the `admin` role (OpenStack's default policies).
    pub is_admin: bool,
    /// The request's id (`req-<uuid>`), for logs.
    pub request_id: String,
}

impl RequestContext {
    /// A context for `user_id` in `project_id` with `roles`; admin when a role is `admin`.
    pub fn new(project_id: impl Into<String>, user_id: impl Into<String>, roles: Vec<String>) -> RequestContext {
        let is_admin = roles.iter().any(|r| r.eq_ignore_ascii_case("admin"));
        RequestContext {
            project_id: project_id.into(),
            user_id: user_id.into(),
            roles,
            is_admin,
            request_id: new_request_id(),
        }
    }

    /// Whether the caller may see or change something owned by `project_id`.
    pub fn owns(&self, project_id: &str) -> bool {
        self.is_admin || self.project_id == project_id
    }
}

/// A fresh `req-<uuid>` request id.
pub fn new_request_id() -> String {
    format!("req-{}", uuid::Uuid::new_v4())
}
