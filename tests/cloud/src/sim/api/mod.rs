//! The simulator's REST APIs, mounted under the catalog's URL prefixes: Nova at
//! `/compute` (`/compute/v2.1/...`), Neutron at `/network` (`/network/v2.0/...`), Glance at
//! `/image` (`/image/v2/...`), Cinder at `/volume` (`/volume/v3/{project_id}/...`), Manila at
//! `/share` (`/share/v1/{project_id}/...` and `/share/v2/...`, shares only), and the
//! test-only fault endpoint at `/testcloud/v1/faults` (and, outside the catalog, a minimal
//! SigV4-checked S3 at `/s3`, [`s3`]). Each service root but Manila's answers
//! its version document as the real service does, for keystoneauth's discovery.
//!
//! Handlers are thin: they authenticate ([`Auth`]), parse the body, call [`Cloud`] and
//! shape the answer. Every request gets an `x-openstack-request-id` and a tracing span.

pub mod admin;
pub mod cinder;
pub mod glance;
pub mod manila;
pub mod neutron;
pub mod nova;
pub mod s3;
mod util;

use super::auth::{AuthError, TokenValidator};
use super::cloud::Cloud;
use super::context::{RequestContext, new_request_id};
use axum::Router;
use axum::extract::{FromRef, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use tracing::Instrument as _;

pub use util::{Query, base_url};

/// What every handler has: the cloud and the token validator.
#[derive(Clone)]
pub struct ApiState {
    /// The cloud.
    pub cloud: Cloud,
    /// Validates tokens (the real Keystone).
    pub auth: Arc<dyn TokenValidator>,
}

impl ApiState {
    /// State for `cloud`, validating tokens with `auth`.
    pub fn new(cloud: Cloud, auth: Arc<dyn TokenValidator>) -> ApiState {
        ApiState { cloud, auth }
    }
}

/// Every route of Nova, Neutron, Glance, Cinder and the fault endpoint, still needing
/// its state: Heat merges its own routes into this before [`Router::with_state`].
pub fn routes() -> Router<ApiState> {
    Router::new()
        .merge(nova::routes())
        .merge(neutron::routes())
        .merge(glance::routes())
        .merge(cinder::routes())
        .merge(manila::routes())
        .merge(admin::routes())
        .merge(s3::routes())
}

/// The whole simulator app: [`routes`] plus `extra` (Heat's), with request ids and spans.
pub fn app(state: ApiState, extra: Router<ApiState>) -> Router {
    routes()
        .merge(extra)
        .layer(middleware::from_fn(request_span))
        .with_state(state)
}

/// Gives every request a span and a `x-openstack-request-id` (also
/// `x-compute-request-id`, as Nova answers).
async fn request_span(req: Request, next: Next) -> Response {
    let id = new_request_id();
    let span = tracing::info_span!("sim_request", method = %req.method(), path = %req.uri().path(), request_id = %id);
    async move {
        let mut resp = next.run(req).await;
        tracing::debug!(status = resp.status().as_u16(), "answered");
        if let Ok(v) = HeaderValue::from_str(&id) {
            resp.headers_mut().insert("x-openstack-request-id", v.clone());
            resp.headers_mut().insert("x-compute-request-id", v);
        }
        resp
    }
    .instrument(span)
    .await
}

/// The authenticated caller: a valid `X-Auth-Token` scoped to a project.
#[derive(Debug, Clone)]
pub struct Auth(pub RequestContext);

impl<S> FromRequestParts<S> for Auth
where
    ApiState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Auth, Response> {
        let api = ApiState::from_ref(state);
        let token = parts
            .headers
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty());
        let Some(token) = token else {
            return Err(unauthorized(api.auth.as_ref()));
        };
        match api.auth.validate(token).await {
            Ok(t) => {
                let mut ctx = t.context();
                if let Some(id) = parts
                    .headers
                    .get("x-openstack-request-id")
                    .and_then(|v| v.to_str().ok())
                {
                    ctx.request_id = id.to_string();
                }
                tracing::debug!(user_id = %ctx.user_id, project_id = %ctx.project_id, trust = t.trust_id.is_some(), "token accepted");
                Ok(Auth(ctx))
            }
            Err(AuthError::Invalid) => Err(unauthorized(api.auth.as_ref())),
            Err(AuthError::Unavailable(e)) => {
                tracing::error!(error = %e, "could not validate a token");
                Err((
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(
                        serde_json::json!({"error": {"code": 503, "title": "Service Unavailable",
                        "message": "The server is currently unavailable. Please try again at a later time."}}),
                    ),
                )
                    .into_response())
            }
        }
    }
}

/// keystonemiddleware's 401.
fn unauthorized(auth: &dyn TokenValidator) -> Response {
    let mut resp = (
        StatusCode::UNAUTHORIZED,
        axum::Json(serde_json::json!({"error": {"code": 401, "title": "Unauthorized",
            "message": "The request you have made requires authentication."}})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&auth.www_authenticate()) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}
