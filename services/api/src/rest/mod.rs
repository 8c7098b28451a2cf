//! The REST framework of sahara-api, after sahara/utils/api.py `Rest` / `RestV2`: routes declared one line each
//! (method, rule, policy rule, handler) per blueprint, served under `/v1.0` + `/v1.1` (v1.0 rules), `/v1.1`
//! (v1.1 EDP rules) or `/v2`, in the four spellings Sahara accepts (see [`path`]); Sahara's default success
//! statuses; the request body read as Sahara's `request_data` does; v2 microversions; Sahara's error body for
//! unknown paths (404), wrong methods (405) and panics (500).
//!
//! ```ignore
//! Routes::v10()
//!     .get("/plugins", "data-processing:plugins:get_all", plugins::api::list_v1)
//!     .patch("/plugins/{plugin_name}", "data-processing:plugins:patch", plugins::api::update_v1)
//! ```
//!
//! A handler is any axum handler over [`ApiState`]; it reads the parsed body with [`Data`] (or [`FileData`] on
//! `post_file` / `put_file` routes), the query with [`Args`], the caller's conductor context with [`Caller`], and answers [`Render`] (the route's default
//! status) or an [`ApiError`].

pub mod listing;
pub mod microversion;
pub mod path;
pub mod query;

pub use query::Args;

use crate::ApiState;
use crate::error::{self, ApiError};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri, header};
use axum::middleware::{self as mw, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::{Router, routing};
use futures_util::FutureExt;
use path::{PathTable, UrlProject};
use sahara_model::SaharaError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tower::Layer;
use tracing::Instrument;

/// Largest request body read (raw uploads included); Sahara itself sets no limit at this layer.
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A URL prefix of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Api {
    /// `/v1.0`: the v1.0 rules.
    V10,
    /// `/v1.1`: the v1.0 rules and the EDP rules.
    V11,
    /// `/v2`, with microversions.
    V2,
}

impl Api {
    /// The URL prefix (`/v1.1`).
    pub fn prefix(self) -> &'static str {
        match self {
            Api::V10 => "/v1.0",
            Api::V11 => "/v1.1",
            Api::V2 => "/v2",
        }
    }

    /// The resource shapes this prefix answers with.
    pub fn model(self) -> sahara_model::ApiVersion {
        match self {
            Api::V10 | Api::V11 => sahara_model::ApiVersion::V1,
            Api::V2 => sahara_model::ApiVersion::V2,
        }
    }

    /// Splits `path` into its prefix and the rest (`""` or starting with `/`).
    pub fn split(path: &str) -> Option<(Api, &str)> {
        [Api::V10, Api::V11, Api::V2].into_iter().find_map(|api| {
            let rest = path.strip_prefix(api.prefix())?;
            (rest.is_empty() || rest.starts_with('/')).then_some((api, rest))
        })
    }
}

/// The group of rules registered together, as Sahara's blueprints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blueprint {
    /// sahara/api/v10.py: served under `/v1.0` and again under `/v1.1`.
    V10,
    /// sahara/api/v11.py: served under `/v1.1`.
    V11,
    /// sahara/api/v2: served under `/v2`.
    V2,
}

impl Blueprint {
    /// The prefixes serving this blueprint.
    pub fn apis(self) -> &'static [Api] {
        match self {
            Blueprint::V10 => &[Api::V10, Api::V11],
            Blueprint::V11 => &[Api::V11],
            Blueprint::V2 => &[Api::V2],
        }
    }
}

/// What the matched route is, available to handlers and layers as a request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    /// The prefix the request came through.
    pub api: Api,
    /// The HTTP method.
    pub method: Method,
    /// The rule, without prefix (`/plugins/{plugin_name}`).
    pub rule: &'static str,
    /// The oslo.policy rule the route enforces (`data-processing:plugins:get`).
    pub policy: &'static str,
    /// The status of a successful answer ([`Render`]).
    pub status: StatusCode,
    /// Whether the body is raw bytes (`post_file` / `put_file`) rather than JSON.
    pub file_upload: bool,
}

struct Entry {
    method: Method,
    rule: &'static str,
    policy: &'static str,
    status: StatusCode,
    file_upload: bool,
    router: MethodRouter<ApiState>,
}

/// The routes of one blueprint, declared one line each.
pub struct Routes {
    blueprint: Blueprint,
    entries: Vec<Entry>,
}

macro_rules! route_methods {
    ($( $(#[$doc:meta])* $name:ident => ($method:ident, $filter:ident, $status:ident, $file:literal), )+) => {
        $(
            $(#[$doc])*
            pub fn $name<H, T>(self, rule: &'static str, policy: &'static str, handler: H) -> Self
            where
                H: Handler<T, ApiState>,
                T: 'static,
            {
                self.add(Method::$method, MethodFilter::$filter, rule, policy, StatusCode::$status, $file, handler)
            }
        )+
    };
}

impl Routes {
    /// Routes of sahara/api/v10.py (`/v1.0` and `/v1.1`).
    pub fn v10() -> Self {
        Self::new(Blueprint::V10)
    }

    /// Routes of sahara/api/v11.py (`/v1.1`).
    pub fn v11() -> Self {
        Self::new(Blueprint::V11)
    }

    /// Routes of sahara/api/v2 (`/v2`).
    pub fn v2() -> Self {
        Self::new(Blueprint::V2)
    }

    /// No routes yet, for `blueprint`.
    pub fn new(blueprint: Blueprint) -> Self {
        Routes {
            blueprint,
            entries: Vec::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn add<H, T>(
        mut self,
        method: Method,
        filter: MethodFilter,
        rule: &'static str,
        policy: &'static str,
        status: StatusCode,
        file_upload: bool,
        handler: H,
    ) -> Self
    where
        H: Handler<T, ApiState>,
        T: 'static,
    {
        self.entries.push(Entry {
            method,
            rule,
            policy,
            status,
            file_upload,
            router: routing::on(filter, handler),
        });
        self
    }

    route_methods! {
        /// `GET` (200).
        get => (GET, GET, OK, false),
        /// `POST` with a JSON body (202).
        post => (POST, POST, ACCEPTED, false),
        /// `POST` of raw bytes (202).
        post_file => (POST, POST, ACCEPTED, true),
        /// `PUT` with a JSON body (202).
        put => (PUT, PUT, ACCEPTED, false),
        /// `PUT` of raw bytes (202).
        put_file => (PUT, PUT, ACCEPTED, true),
        /// `PATCH` with a JSON body (202).
        patch => (PATCH, PATCH, ACCEPTED, false),
        /// `DELETE` (204, no body).
        delete => (DELETE, DELETE, NO_CONTENT, false),
    }

    /// The blueprint these routes belong to.
    pub fn blueprint(&self) -> Blueprint {
        self.blueprint
    }

    /// Every route declared, once per prefix serving it (what the OpenAPI document is built from).
    pub fn infos(&self) -> impl Iterator<Item = RouteInfo> + '_ {
        self.entries.iter().flat_map(move |e| {
            self.blueprint.apis().iter().map(move |&api| RouteInfo {
                api,
                method: e.method.clone(),
                rule: e.rule,
                policy: e.policy,
                status: e.status,
                file_upload: e.file_upload,
            })
        })
    }

    /// Overrides the success status of the route declared last (Sahara's `status_code=`).
    pub fn status(mut self, status: StatusCode) -> Self {
        if let Some(last) = self.entries.last_mut() {
            last.status = status;
        }
        self
    }
}

/// The body of a POST/PUT/PATCH as Sahara's `request_data` reads it (request extension).
#[derive(Debug, Clone)]
pub enum RequestData {
    /// A JSON body (`{}` when empty).
    Json(Value),
    /// A raw upload.
    File(Bytes),
}

/// A handler's JSON body (`{}` when the request had none).
#[derive(Debug, Clone, PartialEq)]
pub struct Data(pub Value);

impl<S: Send + Sync> FromRequestParts<S> for Data {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Data(match parts.extensions.get::<RequestData>() {
            Some(RequestData::Json(v)) => v.clone(),
            _ => Value::Object(Map::new()),
        }))
    }
}

/// A handler's raw upload (empty when the request had none).
#[derive(Debug, Clone, PartialEq)]
pub struct FileData(pub Bytes);

impl<S: Send + Sync> FromRequestParts<S> for FileData {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(FileData(match parts.extensions.get::<RequestData>() {
            Some(RequestData::File(b)) => b.clone(),
            _ => Bytes::new(),
        }))
    }
}

/// The caller's context as the conductor receives it (`auth::RequestContext::to_rpc_context`, with the request's
/// `X-OpenStack-Request-Id` when it has one). A request without a context (none reaches a handler: the policy
/// check refuses it first) gets an empty, non-admin one.
#[derive(Debug, Clone)]
pub struct Caller(pub sahara_rpc::RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .headers
            .get("x-openstack-request-id")
            .and_then(|v| v.to_str().ok());
        Ok(Caller(match parts.extensions.get::<crate::auth::RequestContext>() {
            Some(ctx) => ctx.to_rpc_context(request_id),
            None => sahara_rpc::RequestContext::new(),
        }))
    }
}

/// Marks a response whose status the route's default replaces.
#[derive(Debug, Clone, Copy)]
struct UseRouteStatus;

/// A successful answer rendered as Sahara's `render`: the JSON body with the route's default status (no body
/// for 204).
#[derive(Debug, Clone, PartialEq)]
pub struct Render(pub Value);

impl IntoResponse for Render {
    fn into_response(self) -> Response {
        let mut r = Json(self.0).into_response();
        r.extensions_mut().insert(UseRouteStatus);
        r
    }
}

/// A successful answer whose JSON body is already written (what [`Render`] would write for the
/// same JSON): the route's default status, `Content-Type: application/json`.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderJson(pub Bytes);

impl IntoResponse for RenderJson {
    fn into_response(self) -> Response {
        let mut r = (
            [(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("application/json"),
            )],
            self.0,
        )
            .into_response();
        r.extensions_mut().insert(UseRouteStatus);
        r
    }
}

/// Whether `mimetype` is one werkzeug's `MIMEAccept([("application/json", 1)])` contains.
fn json_mimetype(mimetype: &str) -> bool {
    matches!(mimetype, "" | "application/json" | "application/*" | "*/*")
}

/// Sahara's `request_data`: raw bytes for uploads; otherwise `{}` for an empty body, JSON when the content type
/// is absent or JSON (400 INVALID_DATA `Content type '<t>' isn't supported` otherwise), 400
/// MALFORMED_REQUEST_BODY when it does not parse.
async fn request_data(parts: &Parts, body: Body, file_upload: bool) -> Result<RequestData, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY_BYTES).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "REQUEST_ENTITY_TOO_LARGE",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes"),
        )
    })?;
    if file_upload {
        return Ok(RequestData::File(bytes));
    }
    if bytes.is_empty() {
        return Ok(RequestData::Json(Value::Object(Map::new())));
    }
    let mimetype = parts
        .headers
        .get(header::CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).to_string())
        .unwrap_or_default();
    let mimetype = mimetype.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !json_mimetype(&mimetype) {
        return Err(SaharaError::InvalidData(format!("Content type '{mimetype}' isn't supported")).into());
    }
    serde_json::from_slice(&bytes)
        .map(RequestData::Json)
        .map_err(|_| SaharaError::MalformedRequestBody("Malformed message body: cannot understand JSON".into()).into())
}

/// The per-route layer: records [`RouteInfo`], checks the v2 microversion, reads the body, and gives a
/// [`Render`] answer the route's status.
async fn route_layer(state: ApiState, info: RouteInfo, mut req: Request, next: Next) -> Response {
    if info.api == Api::V2
        && let Err(e) = microversion::check(req.headers())
    {
        return e.into_response();
    }
    if matches!(info.method, Method::POST | Method::PUT | Method::PATCH) {
        let (parts, body) = req.into_parts();
        match request_data(&parts, body, info.file_upload).await {
            Ok(data) => {
                req = Request::from_parts(parts, Body::empty());
                req.extensions_mut().insert(data);
            }
            Err(e) => return e.into_response(),
        }
    }
    // Sahara's `acl.enforce`: after the body is read, before the handler; the target is empty.
    if let Err(e) = enforce(&state, info.policy, &req) {
        return e.into_response();
    }
    let status = info.status;
    req.extensions_mut().insert(info);
    let mut resp = next.run(req).await;
    if resp.extensions().get::<UseRouteStatus>().is_some() {
        if status == StatusCode::NO_CONTENT {
            return StatusCode::NO_CONTENT.into_response();
        }
        *resp.status_mut() = status;
    }
    resp
}

/// Enforces `rule` for the request's caller: 403 FORBIDDEN when denied (or when no caller is known), 500 when
/// the policy itself is broken (as oslo.policy's exceptions are in Sahara).
fn enforce(state: &ApiState, rule: &str, req: &Request) -> Result<(), ApiError> {
    let Some(ctx) = req.extensions().get::<crate::auth::RequestContext>() else {
        tracing::warn!(rule, "no request context: denied");
        return Err(SaharaError::forbidden().into());
    };
    let request_id = req
        .headers()
        .get("x-openstack-request-id")
        .and_then(|v| v.to_str().ok());
    let creds = ctx.policy_credentials(request_id).to_dict();
    match state.policy.authorize(rule, &serde_json::json!({}), &creds) {
        Ok(()) => Ok(()),
        Err(sahara_policy::PolicyError::Forbidden { .. }) => {
            tracing::info!(rule, user_id = %ctx.user_id, project_id = %ctx.project_id, "denied by policy");
            Err(SaharaError::forbidden().into())
        }
        Err(e) => {
            tracing::error!(rule, error = %e, "policy could not be evaluated");
            Err(ApiError::internal())
        }
    }
}

/// Runs `fut`, turning a panic into 500 INTERNAL_SERVER_ERROR (logged with its message).
pub async fn catching(fut: impl Future<Output = Response>) -> Response {
    match AssertUnwindSafe(fut).catch_unwind().await {
        Ok(r) => r,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "(non-string panic)".to_string());
            tracing::error!(panic = %what, "request handler panicked");
            ApiError::internal().into_response()
        }
    }
}

/// The outer layer of the versioned routes: maps the path onto a declared rule (keeping the project segment as
/// [`UrlProject`]), catches panics, renders 405 in Sahara's body (keeping `Allow`), adds v2's headers.
async fn normalise(State(table): State<Arc<PathTable>>, mut req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let v2_headers = matches!(Api::split(&path), Some((Api::V2, _))).then(|| req.headers().clone());
    // Sahara's AuthValidator runs before routing: a UUID-like project segment must be the token's project.
    if let Some(ctx) = req.extensions().get::<crate::auth::RequestContext>()
        && let Err(e) = path::check_url_project(&path, &ctx.project_id)
    {
        let mut resp = e.into_response();
        if let Some(h) = v2_headers {
            microversion::add_headers(&h, resp.headers_mut());
        }
        return resp;
    }
    if let Some(n) = table.normalise(&path) {
        let pq = match req.uri().query() {
            Some(q) => format!("{}?{q}", n.path),
            None => n.path.clone(),
        };
        let mut parts = req.uri().clone().into_parts();
        if let Ok(pq) = pq.parse() {
            parts.path_and_query = Some(pq);
            if let Ok(uri) = Uri::from_parts(parts) {
                *req.uri_mut() = uri;
            }
        }
        if let Some(p) = n.project {
            req.extensions_mut().insert(UrlProject(p));
        }
    }
    let span = tracing::info_span!("rest", %method, %path);
    let mut resp = catching(next.run(req)).instrument(span).await;
    if resp.status() == StatusCode::METHOD_NOT_ALLOWED && !resp.headers().contains_key(header::CONTENT_TYPE) {
        let allow = resp.headers().get(header::ALLOW).cloned();
        resp = error::method_not_allowed().into_response();
        if let Some(allow) = allow {
            resp.headers_mut().insert(header::ALLOW, allow);
        }
    }
    if let Some(h) = v2_headers {
        microversion::add_headers(&h, resp.headers_mut());
    }
    resp
}

/// The service answering every versioned path: `resources` under their prefixes, in all four spellings, and
/// Sahara's 404 for anything else.
pub fn service(state: ApiState, resources: Vec<Routes>) -> Router {
    let mut table = PathTable::default();
    let mut by_path: BTreeMap<String, MethodRouter<ApiState>> = BTreeMap::new();
    for routes in resources {
        for entry in routes.entries {
            for &api in routes.blueprint.apis() {
                table.add(api, entry.rule);
                let info = RouteInfo {
                    api,
                    method: entry.method.clone(),
                    rule: entry.rule,
                    policy: entry.policy,
                    status: entry.status,
                    file_upload: entry.file_upload,
                };
                let layered = entry.router.clone().route_layer(mw::from_fn_with_state(
                    state.clone(),
                    move |State(state): State<ApiState>, req: Request, next: Next| {
                        route_layer(state, info.clone(), req, next)
                    },
                ));
                let full = format!("{}{}", api.prefix(), entry.rule);
                let merged = match by_path.remove(&full) {
                    Some(existing) => existing.merge(layered),
                    None => layered,
                };
                by_path.insert(full, merged);
            }
        }
    }
    let mut inner = Router::new();
    for (path, router) in by_path {
        inner = inner.route(&path, router);
    }
    let inner = inner.fallback(error::not_found).with_state(state);
    let svc = mw::from_fn_with_state(Arc::new(table), normalise).layer(inner);
    Router::new().fallback_service(svc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(Api::split("/v1.1/x"), Some((Api::V11, "/x")));
        assert_eq!(Api::split("/v2"), Some((Api::V2, "")));
        assert_eq!(Api::split("/v20/x"), None);
        assert_eq!(Api::split("/"), None);
        assert!(json_mimetype("application/json"));
        assert!(json_mimetype(""));
        assert!(!json_mimetype("text/plain"));
    }
}
