//! Manila's API under `/share`: the version documents (`/share/`, `/share/v1/`, `/share/v2/`), and shares
//! (create, summary and detail lists, show, delete) at
//! `/share/v1/{project_id}/...` (API 1.0, whatever `X-OpenStack-Manila-API-Version` says, as
//! Manila serves its v1 URLs) and `/share/v2/{project_id}/...` (microversions 2.0 to
//! [`MAX_VERSION`], 2.0 without the header). Errors are Manila's `{"<fault>": {"code",
//! "message"}}` (404 `Share <id> could not be found.`).

use super::super::context::RequestContext;
use super::super::error::SimError;
use super::super::model::time_micro;
use super::super::share::{DEFAULT_SHARE_TYPE, Share, ShareCreate};
use super::nova::{fault, parse_version};
use super::util::{Fields, Query, base_url, member, parse_body};
use super::{ApiState, Auth};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The newest microversion served on `/share/v2`.
pub const MAX_VERSION: (u16, u16) = (2, 84);

/// The header Manila reads and answers its microversion in.
const VERSION_HEADER: &str = "x-openstack-manila-api-version";

/// A Manila error response.
#[derive(Debug)]
pub struct ManilaError(pub SimError);

impl From<SimError> for ManilaError {
    fn from(e: SimError) -> ManilaError {
        ManilaError(e)
    }
}

impl IntoResponse for ManilaError {
    fn into_response(self) -> Response {
        match &self.0 {
            SimError::NotFound { .. } | SimError::Missing { .. } => fault(StatusCode::NOT_FOUND, &self.0.to_string()),
            SimError::BadRequest { message, .. } => fault(StatusCode::BAD_REQUEST, message),
            SimError::Conflict { message, .. } => fault(StatusCode::CONFLICT, message),
            SimError::Forbidden { message, .. } => fault(StatusCode::FORBIDDEN, message),
            SimError::OverQuota(q) => fault(StatusCode::PAYLOAD_TOO_LARGE, &q.to_string()),
            SimError::Fabric(e) => fault(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
            SimError::Internal(m) => fault(StatusCode::INTERNAL_SERVER_ERROR, m),
        }
    }
}

type R = Result<Response, ManilaError>;

/// The API a request is served with: its URL's major version and, on v2, its microversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct ShareVersion(u16, u16);

impl<S: Send + Sync> FromRequestParts<S> for ShareVersion {
    type Rejection = Response;

    /// The URL's version with the request's header: 1.0 under `/share/v1/`; otherwise the
    /// header's microversion (2.0 without one), or Manila's 400/406.
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ShareVersion, Response> {
        if parts.uri.path().starts_with("/share/v1/") {
            return Ok(ShareVersion(1, 0));
        }
        let asked = parts.headers.get(VERSION_HEADER).and_then(|v| v.to_str().ok());
        parse_version(asked.map(str::trim), (2, 0), MAX_VERSION)
            .map(|(a, b)| ShareVersion(a, b))
            .map_err(|r| *r)
    }
}

impl ShareVersion {
    fn at_least(self, major: u16, minor: u16) -> bool {
        self >= ShareVersion(major, minor)
    }
}

/// Answers `v` with Manila's version headers.
fn ok(mv: ShareVersion, status: StatusCode, v: Value) -> R {
    let mut r = (status, axum::Json(v)).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("{}.{}", mv.0, mv.1)) {
        r.headers_mut().insert(VERSION_HEADER, h);
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("X-OpenStack-Manila-API-Version"));
    }
    Ok(r)
}

/// Manila's routes under `/share`.
pub fn routes() -> Router<ApiState> {
    let p = "/share/{api}/{project}";
    Router::new()
        .route("/share", get(versions))
        .route("/share/", get(versions))
        .route("/share/v1", get(version_v1))
        .route("/share/v1/", get(version_v1))
        .route("/share/v2", get(version_v2))
        .route("/share/v2/", get(version_v2))
        .route(&format!("{p}/shares"), get(list_shares).post(create_share))
        .route(&format!("{p}/shares/detail"), get(list_shares_detail))
        .route(&format!("{p}/shares/{{id}}"), get(show_share).delete(delete_share))
}

/// One entry of Manila's version list: `v1.0` (deprecated, before microversions) or `v2.0` (microversions 2.0 to
/// [`MAX_VERSION`]), its `self` link under this host's `/share/`.
fn version_entry(headers: &HeaderMap, major: u16) -> Value {
    let (id, status, version, min) = if major == 1 {
        ("v1.0", "DEPRECATED", String::new(), "")
    } else {
        ("v2.0", "CURRENT", format!("{}.{}", MAX_VERSION.0, MAX_VERSION.1), "2.0")
    };
    json!({"id": id, "status": status, "version": version, "min_version": min, "updated": "2015-08-27T11:33:21Z",
        "links": [{"rel": "describedby", "type": "text/html", "href": "http://docs.openstack.org/"},
            {"rel": "self", "href": format!("{}/share/v{major}/", base_url(headers))}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.share+json;version=1"}]})
}

/// `GET /share/`: every version, 300 Multiple Choices (no token needed).
async fn versions(headers: HeaderMap) -> Response {
    let doc = json!({"versions": [version_entry(&headers, 1), version_entry(&headers, 2)]});
    (StatusCode::MULTIPLE_CHOICES, axum::Json(doc)).into_response()
}

/// `GET /share/v1/`: the v1.0 entry alone.
async fn version_v1(headers: HeaderMap) -> Response {
    axum::Json(json!({"versions": [version_entry(&headers, 1)]})).into_response()
}

/// `GET /share/v2/`: the v2.0 entry alone, answered in the microversion asked for (Manila's 400/406 for a bad
/// one).
async fn version_v2(mv: ShareVersion, headers: HeaderMap) -> Response {
    ok(mv, StatusCode::OK, json!({"versions": [version_entry(&headers, 2)]}))
        .unwrap_or_else(IntoResponse::into_response)
}

/// What a path names: `v1` or `v2` (else Manila's router's 404), and the caller's project
/// (else "Malformed request url", as Manila refuses another project's URL).
fn check_path(ctx: &RequestContext, api: &str, project: &str) -> Result<(), ManilaError> {
    if api != "v1" && api != "v2" {
        return Err(SimError::Missing {
            kind: "HTTPNotFound",
            message: "The resource could not be found.".to_string(),
        }
        .into());
    }
    if project != ctx.project_id && !ctx.is_admin {
        return Err(SimError::bad_request("Malformed request url").into());
    }
    Ok(())
}

fn links(base: &str, api: &str, sh: &Share) -> Value {
    json!([{"href": format!("{base}/share/{api}/{}/shares/{}", sh.project_id, sh.id), "rel": "self"},
        {"href": format!("{base}/share/{}/shares/{}", sh.project_id, sh.id), "rel": "bookmark"}])
}

/// Manila's share view (`views/shares.py`) at `mv`.
fn share_view(sh: &Share, ctx: &RequestContext, base: &str, api: &str, mv: ShareVersion) -> Value {
    let mut out = json!({
        "id": sh.id, "name": sh.name, "description": sh.description, "size": sh.size, "status": sh.status,
        "availability_zone": sh.availability_zone, "created_at": time_micro(&sh.created_at),
        "project_id": sh.project_id, "share_proto": sh.share_proto, "metadata": sh.metadata,
        "share_type": DEFAULT_SHARE_TYPE, "volume_type": DEFAULT_SHARE_TYPE, "is_public": sh.is_public,
        "snapshot_id": null, "share_network_id": null, "share_server_id": null,
        "consistency_group_id": null, "source_cgsnapshot_member_id": null,
        "links": links(base, api, sh),
    });
    if !mv.at_least(2, 9) {
        out["export_location"] = json!(sh.export_location);
        out["export_locations"] = json!([sh.export_location]);
    }
    if ctx.is_admin {
        out["host"] = json!("simulated@manila#manila");
    }
    if mv.at_least(2, 2) {
        out["snapshot_support"] = json!(true);
    }
    if mv.at_least(2, 5) {
        out["task_state"] = json!(null);
    }
    if mv.at_least(2, 6) {
        out["share_type_name"] = json!(DEFAULT_SHARE_TYPE);
    }
    if mv.at_least(2, 10) {
        out["access_rules_status"] = json!("active");
    }
    if mv.at_least(2, 11) {
        out["replication_type"] = json!(null);
        out["has_replicas"] = json!(false);
    }
    if mv.at_least(2, 16) {
        out["user_id"] = json!(sh.user_id);
    }
    out
}

async fn list_shares(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: ShareVersion,
    headers: HeaderMap,
    q: Query,
    Path((api, project)): Path<(String, String)>,
) -> R {
    check_path(&ctx, &api, &project)?;
    let base = base_url(&headers);
    let list: Vec<Value> = st
        .cloud
        .list_shares(&ctx, q.flag("all_tenants"))
        .await
        .iter()
        .map(|sh| json!({"id": sh.id, "name": sh.name, "links": links(&base, &api, sh)}))
        .collect();
    ok(mv, StatusCode::OK, json!({"shares": list}))
}

async fn list_shares_detail(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: ShareVersion,
    headers: HeaderMap,
    q: Query,
    Path((api, project)): Path<(String, String)>,
) -> R {
    check_path(&ctx, &api, &project)?;
    let base = base_url(&headers);
    let list: Vec<Value> = st
        .cloud
        .list_shares(&ctx, q.flag("all_tenants"))
        .await
        .iter()
        .map(|sh| share_view(sh, &ctx, &base, &api, mv))
        .collect();
    ok(mv, StatusCode::OK, json!({"shares": list}))
}

async fn show_share(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: ShareVersion,
    headers: HeaderMap,
    Path((api, project, id)): Path<(String, String, String)>,
) -> R {
    check_path(&ctx, &api, &project)?;
    let sh = st.cloud.get_share(&ctx, &id).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"share": share_view(&sh, &ctx, &base_url(&headers), &api, mv)}),
    )
}

async fn create_share(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: ShareVersion,
    headers: HeaderMap,
    Path((api, project)): Path<(String, String)>,
    body: Bytes,
) -> R {
    check_path(&ctx, &api, &project)?;
    let body = parse_body(&body)?;
    let m = member(&body, "share")?;
    let req = ShareCreate {
        share_proto: m.str_opt("share_proto")?.unwrap_or_default(),
        size: m.u32_opt("size")?.unwrap_or(0),
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        is_public: m.bool_opt("is_public")?.unwrap_or(false),
        availability_zone: m.str_opt("availability_zone")?,
        metadata: m.map_opt("metadata")?.unwrap_or_default(),
    };
    let sh = st.cloud.create_share(&ctx, req).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"share": share_view(&sh, &ctx, &base_url(&headers), &api, mv)}),
    )
}

async fn delete_share(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    _mv: ShareVersion,
    Path((api, project, id)): Path<(String, String, String)>,
) -> R {
    check_path(&ctx, &api, &project)?;
    st.cloud.delete_share(&ctx, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
