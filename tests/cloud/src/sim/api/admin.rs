//! The test cloud's own admin endpoint: failure injection.
//!
//! Every call needs a token with the `admin` role (403 otherwise, 401 without a token).
//!
//! - `POST /testcloud/v1/faults` with `{"fault": {...}}` adds a rule and answers
//!   `201 {"fault": {... "id": ...}}`. Fields:
//!   - `type`: `server_error` (the server goes to ERROR with `message` as its fault
//!     message; default "Injected fault: the instance failed to spawn"), `boot_delay`
//!     (it stays in BUILD `seconds` longer), `unreachable` (it becomes ACTIVE with its
//!     addresses, but no namespace or sshd answers there), `stack_timeout` (a Heat stack
//!     whose name matches fails as if its timeout passed: Heat's hook,
//!     [`Cloud::take_stack_fault`](crate::sim::Cloud::take_stack_fault));
//!   - `name` (optional): a regular expression searched in the server's (or stack's) name;
//!   - `project_id` (optional): only that project's servers;
//!   - `count` (optional): how many times it fires; absent, it fires until deleted.
//! - `GET /testcloud/v1/faults`: `{"faults": [...]}`, the rules in force.
//! - `DELETE /testcloud/v1/faults/{id}`: removes one (204); `DELETE /testcloud/v1/faults`
//!   removes all (204).
//!
//! Example: `curl -X POST -H "X-Auth-Token: $ADMIN" -d '{"fault": {"type": "server_error",
//! "name": "worker", "count": 1}}' http://127.0.0.1:<port>/testcloud/v1/faults`.

use super::super::error::SimError;
use super::super::faults::FaultRule;
use super::nova::fault;
use super::util::parse_body;
use super::{ApiState, Auth};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::json;

/// The fault endpoint's routes.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/testcloud/v1/faults", get(list).post(create).delete(clear))
        .route("/testcloud/v1/faults/{id}", delete(remove))
}

fn refuse(e: SimError) -> Response {
    match e {
        SimError::NotFound { .. } => fault(StatusCode::NOT_FOUND, &e.to_string()),
        SimError::BadRequest { message, .. } => fault(StatusCode::BAD_REQUEST, &message),
        other => fault(StatusCode::INTERNAL_SERVER_ERROR, &other.to_string()),
    }
}

fn forbidden(auth: &Auth) -> Option<Response> {
    (!auth.0.is_admin).then(|| fault(StatusCode::FORBIDDEN, "Fault injection requires the admin role."))
}

async fn list(State(st): State<ApiState>, auth: Auth) -> Response {
    if let Some(r) = forbidden(&auth) {
        return r;
    }
    axum::Json(json!({"faults": st.cloud.faults()})).into_response()
}

async fn create(State(st): State<ApiState>, auth: Auth, body: Bytes) -> Response {
    if let Some(r) = forbidden(&auth) {
        return r;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return refuse(e),
    };
    let mut rule = body.get("fault").cloned().unwrap_or(serde_json::Value::Null);
    if let Some(o) = rule.as_object_mut() {
        o.insert("id".into(), json!(""));
    }
    let rule: FaultRule = match serde_json::from_value(rule) {
        Ok(r) => r,
        Err(e) => return fault(StatusCode::BAD_REQUEST, &format!("Invalid fault: {e}")),
    };
    match st.cloud.add_fault(rule) {
        Ok(r) => (StatusCode::CREATED, axum::Json(json!({"fault": r}))).into_response(),
        Err(e) => refuse(e),
    }
}

async fn clear(State(st): State<ApiState>, auth: Auth) -> Response {
    if let Some(r) = forbidden(&auth) {
        return r;
    }
    st.cloud.clear_faults();
    StatusCode::NO_CONTENT.into_response()
}

async fn remove(State(st): State<ApiState>, auth: Auth, Path(id): Path<String>) -> Response {
    if let Some(r) = forbidden(&auth) {
        return r;
    }
    match st.cloud.remove_fault(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => refuse(e),
    }
}
