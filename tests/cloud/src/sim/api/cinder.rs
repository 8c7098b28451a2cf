//! Cinder's API v3 under `/volume` (`/volume/v3/{project_id}/...`): volumes (summary and
//! detail lists, show, create, update, delete), volume types (and the default type),
//! availability zones, limits, quota sets, and the version documents. Microversions 3.0 to
//! [`MAX_VERSION`] (`OpenStack-API-Version: volume 3.x`). Errors are
//! `{"<fault>": {"code", "message"}}`; over quota is 413 `overLimit` with `retryAfter`.

use super::super::context::RequestContext;
use super::super::error::SimError;
use super::super::model::*;
use super::super::quotas::Service;
use super::super::volume::{VolumeCreate, VolumeUpdate};
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
use serde_json::{Map, Value, json};

/// The newest microversion served.
pub const MAX_VERSION: (u16, u16) = (3, 71);

/// A Cinder error response.
#[derive(Debug)]
pub struct CinderError(pub SimError);

impl From<SimError> for CinderError {
    fn from(e: SimError) -> CinderError {
        CinderError(e)
    }
}

impl IntoResponse for CinderError {
    fn into_response(self) -> Response {
        match &self.0 {
            SimError::NotFound { .. } | SimError::Missing { .. } => fault(StatusCode::NOT_FOUND, &self.0.to_string()),
            SimError::BadRequest { message, .. } => fault(StatusCode::BAD_REQUEST, message),
            SimError::Conflict { message, .. } => fault(StatusCode::CONFLICT, message),
            SimError::Forbidden { message, .. } => fault(StatusCode::FORBIDDEN, message),
            SimError::OverQuota(q) => {
                let message = if q.resource == "gigabytes" {
                    format!(
                        "VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested {}G, quota is {}G and {}G has been consumed.",
                        q.requested, q.limit, q.used
                    )
                } else {
                    format!(
                        "VolumeLimitExceeded: Maximum number of volumes allowed ({}) exceeded for quota '{}'.",
                        q.limit, q.resource
                    )
                };
                let mut r = (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    axum::Json(json!({"overLimit": {"code": 413, "message": message, "retryAfter": "0"}})),
                )
                    .into_response();
                r.headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("0"));
                r
            }
            SimError::Fabric(e) => {
                tracing::error!(error = %e, "host operation failed");
                fault(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("The server has either erred or is incapable of performing the requested operation. {e}"),
                )
            }
            SimError::Internal(m) => fault(StatusCode::INTERNAL_SERVER_ERROR, m),
        }
    }
}

type R = Result<Response, CinderError>;

/// The microversion of a Cinder request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct VolumeVersion(pub u16, pub u16);

impl VolumeVersion {
    fn at_least(self, major: u16, minor: u16) -> bool {
        self >= VolumeVersion(major, minor)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for VolumeVersion {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<VolumeVersion, Response> {
        let asked = parts
            .headers
            .get("openstack-api-version")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|p| p.trim().strip_prefix("volume ").map(|x| x.trim().to_string()))
            });
        parse_version(asked.as_deref(), (3, 0), MAX_VERSION)
            .map(|(a, b)| VolumeVersion(a, b))
            .map_err(|r| *r)
    }
}

fn ok(mv: VolumeVersion, status: StatusCode, v: Value) -> R {
    let mut r = (status, axum::Json(v)).into_response();
    if let Ok(h) = HeaderValue::from_str(&format!("volume {}.{}", mv.0, mv.1)) {
        r.headers_mut().insert("openstack-api-version", h);
        r.headers_mut()
            .insert(header::VARY, HeaderValue::from_static("OpenStack-API-Version"));
    }
    Ok(r)
}

/// Cinder's routes under `/volume`.
pub fn routes() -> Router<ApiState> {
    let p = "/volume/v3/{project}";
    Router::new()
        .route("/volume", get(versions))
        .route("/volume/", get(versions))
        .route("/volume/v3", get(version))
        .route("/volume/v3/", get(version))
        .route(&format!("{p}/volumes"), get(list_volumes).post(create_volume))
        .route(&format!("{p}/volumes/detail"), get(list_volumes_detail))
        .route(
            &format!("{p}/volumes/{{id}}"),
            get(show_volume).put(update_volume).delete(delete_volume),
        )
        .route(&format!("{p}/types"), get(list_types).post(create_type))
        .route(&format!("{p}/types/default"), get(default_type))
        .route(&format!("{p}/types/{{id}}"), get(show_type).delete(delete_type))
        .route(&format!("{p}/os-availability-zone"), get(availability_zones))
        .route(&format!("{p}/limits"), get(limits))
        .route(
            &format!("{p}/os-quota-sets/{{target}}"),
            get(show_quota).put(update_quota).delete(delete_quota),
        )
        .route(&format!("{p}/os-quota-sets/{{target}}/defaults"), get(quota_defaults))
}

fn version_doc(headers: &HeaderMap) -> Value {
    json!({"versions": [{"id": "v3.0", "status": "CURRENT", "version": format!("{}.{}", MAX_VERSION.0, MAX_VERSION.1),
        "min_version": "3.0", "updated": "2023-08-31T00:00:00Z",
        "links": [{"href": "https://docs.openstack.org/", "rel": "describedby", "type": "text/html"},
            {"href": format!("{}/volume/v3/", base_url(headers)), "rel": "self"}],
        "media-types": [{"base": "application/json", "type": "application/vnd.openstack.volume+json;version=3"}]}]})
}

async fn versions(headers: HeaderMap) -> Response {
    (StatusCode::MULTIPLE_CHOICES, axum::Json(version_doc(&headers))).into_response()
}

async fn version(headers: HeaderMap) -> Response {
    axum::Json(version_doc(&headers)).into_response()
}

/// Cinder refuses a URL naming another project than the token's ("Malformed request url").
fn check_project(ctx: &RequestContext, project: &str) -> Result<(), SimError> {
    if project != ctx.project_id && !ctx.is_admin {
        return Err(SimError::bad_request("Malformed request url"));
    }
    Ok(())
}

fn vlinks(base: &str, project: &str, id: &str) -> Value {
    json!([{"href": format!("{base}/volume/v3/{project}/volumes/{id}"), "rel": "self"},
        {"href": format!("{base}/volume/{project}/volumes/{id}"), "rel": "bookmark"}])
}

fn volume_view(v: &Volume, ctx: &RequestContext, base: &str, mv: VolumeVersion) -> Value {
    let attachments: Vec<Value> = v
        .attachment
        .iter()
        .map(|a| {
            json!({"id": v.id, "attachment_id": a.attachment_id, "volume_id": v.id, "server_id": a.server_id,
                "host_name": a.host_name, "device": a.device, "attached_at": time_micro(&a.attached_at)})
        })
        .collect();
    let mut out = json!({
        "id": v.id, "name": v.name, "status": v.status.as_str(), "size": v.size, "availability_zone": v.availability_zone,
        "attachments": attachments, "bootable": if v.bootable { "true" } else { "false" }, "encrypted": false,
        "consistencygroup_id": null, "created_at": time_micro(&v.created_at), "updated_at": v.updated_at.as_ref().map(time_micro),
        "description": v.description, "links": vlinks(base, &v.project_id, &v.id), "metadata": v.metadata,
        "migration_status": null, "multiattach": false, "replication_status": null, "snapshot_id": null,
        "source_volid": null, "user_id": v.user_id, "volume_type": v.volume_type,
    });
    if let Some(i) = &v.image_id {
        out["volume_image_metadata"] = json!({"image_id": i});
    }
    if ctx.is_admin {
        out["os-vol-host-attr:host"] = json!(if v.on_host { Some("simulated@loop#loop") } else { None });
        out["os-vol-mig-status-attr:migstat"] = json!(null);
        out["os-vol-mig-status-attr:name_id"] = json!(null);
        out["os-vol-tenant-attr:tenant_id"] = json!(v.project_id);
    }
    if mv.at_least(3, 13) {
        out["group_id"] = json!(null);
    }
    if mv.at_least(3, 21) {
        out["provider_id"] = json!(null);
    }
    if mv.at_least(3, 48) {
        out["shared_targets"] = json!(false);
        out["service_uuid"] = json!(null);
    }
    if mv.at_least(3, 61) && ctx.is_admin {
        out["cluster_name"] = json!(null);
    }
    if mv.at_least(3, 63) {
        out["volume_type_id"] = json!(v.volume_type_id);
    }
    if mv.at_least(3, 65) {
        out["consumes_quota"] = json!(true);
    }
    out
}

fn filtered(mut list: Vec<Volume>, q: &Query) -> Vec<Volume> {
    if let Some(n) = q.get("name") {
        list.retain(|v| v.name.as_deref() == Some(n));
    }
    if let Some(s) = q.get("status") {
        list.retain(|v| v.status.as_str() == s);
    }
    if let Some(l) = q.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        list.truncate(l);
    }
    list
}

async fn list_volumes(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    headers: HeaderMap,
    q: Query,
    Path(project): Path<String>,
) -> R {
    check_project(&ctx, &project)?;
    let base = base_url(&headers);
    let list: Vec<Value> = filtered(st.cloud.list_volumes(&ctx, q.flag("all_tenants")).await, &q)
        .iter()
        .map(|v| json!({"id": v.id, "name": v.name, "links": vlinks(&base, &v.project_id, &v.id)}))
        .collect();
    ok(mv, StatusCode::OK, json!({"volumes": list}))
}

async fn list_volumes_detail(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    headers: HeaderMap,
    q: Query,
    Path(project): Path<String>,
) -> R {
    check_project(&ctx, &project)?;
    let base = base_url(&headers);
    let list: Vec<Value> = filtered(st.cloud.list_volumes(&ctx, q.flag("all_tenants")).await, &q)
        .iter()
        .map(|v| volume_view(v, &ctx, &base, mv))
        .collect();
    ok(mv, StatusCode::OK, json!({"volumes": list}))
}

async fn show_volume(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
) -> R {
    check_project(&ctx, &project)?;
    let v = st.cloud.get_volume(&ctx, &id).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volume": volume_view(&v, &ctx, &base_url(&headers), mv)}),
    )
}

async fn create_volume(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    headers: HeaderMap,
    Path(project): Path<String>,
    body: Bytes,
) -> R {
    check_project(&ctx, &project)?;
    let body = parse_body(&body)?;
    let m = member(&body, "volume")?;
    let size = m
        .u32_opt("size")?
        .ok_or_else(|| SimError::bad_request("Invalid input received: 'size' is a required property"))?;
    let req = VolumeCreate {
        size,
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        volume_type: m.str_opt("volume_type")?,
        availability_zone: m.str_opt("availability_zone")?,
        metadata: m.map_opt("metadata")?.unwrap_or_default(),
        image_id: m.str_opt("imageRef")?,
    };
    let v = st.cloud.create_volume(&ctx, req).await?;
    ok(
        mv,
        StatusCode::ACCEPTED,
        json!({"volume": volume_view(&v, &ctx, &base_url(&headers), mv)}),
    )
}

async fn update_volume(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    headers: HeaderMap,
    Path((project, id)): Path<(String, String)>,
    body: Bytes,
) -> R {
    check_project(&ctx, &project)?;
    let body = parse_body(&body)?;
    let m = member(&body, "volume")?;
    let req = VolumeUpdate {
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        metadata: m.map_opt("metadata")?,
    };
    let v = st.cloud.update_volume(&ctx, &id, req).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volume": volume_view(&v, &ctx, &base_url(&headers), mv)}),
    )
}

async fn delete_volume(State(st): State<ApiState>, Auth(ctx): Auth, Path((project, id)): Path<(String, String)>) -> R {
    check_project(&ctx, &project)?;
    st.cloud.delete_volume(&ctx, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

fn type_view(t: &VolumeType) -> Value {
    json!({"id": t.id, "name": t.name, "description": t.description, "is_public": t.is_public,
        "os-volume-type-access:is_public": t.is_public, "qos_specs_id": null, "extra_specs": t.extra_specs})
}

async fn list_types(State(st): State<ApiState>, Auth(ctx): Auth, mv: VolumeVersion, Path(project): Path<String>) -> R {
    check_project(&ctx, &project)?;
    let list: Vec<Value> = st.cloud.list_volume_types(&ctx).await.iter().map(type_view).collect();
    ok(mv, StatusCode::OK, json!({"volume_types": list}))
}

async fn show_type(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    Path((project, id)): Path<(String, String)>,
) -> R {
    check_project(&ctx, &project)?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volume_type": type_view(&st.cloud.get_volume_type(&ctx, &id).await?)}),
    )
}

async fn default_type(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    Path(project): Path<String>,
) -> R {
    check_project(&ctx, &project)?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volume_type": type_view(&st.cloud.default_volume_type().await?)}),
    )
}

async fn create_type(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    Path(project): Path<String>,
    body: Bytes,
) -> R {
    check_project(&ctx, &project)?;
    let body = parse_body(&body)?;
    let m = member(&body, "volume_type")?;
    let t = st
        .cloud
        .create_volume_type(
            &ctx,
            m.str_opt("name")?
                .ok_or_else(|| SimError::bad_request("Volume type name can not be empty."))?,
            m.str_opt("description")?,
            m.bool_opt("os-volume-type-access:is_public")?.unwrap_or(true),
            m.map_opt("extra_specs")?.unwrap_or_default(),
        )
        .await?;
    ok(mv, StatusCode::OK, json!({"volume_type": type_view(&t)}))
}

async fn delete_type(State(st): State<ApiState>, Auth(ctx): Auth, Path((project, id)): Path<(String, String)>) -> R {
    check_project(&ctx, &project)?;
    st.cloud.delete_volume_type(&ctx, &id).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}

async fn availability_zones(Auth(ctx): Auth, mv: VolumeVersion, Path(project): Path<String>) -> R {
    check_project(&ctx, &project)?;
    ok(
        mv,
        StatusCode::OK,
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}}]}),
    )
}

async fn limits(State(st): State<ApiState>, Auth(ctx): Auth, mv: VolumeVersion, Path(project): Path<String>) -> R {
    check_project(&ctx, &project)?;
    let set = st.cloud.quota_set(&ctx, &ctx.project_id, Service::Volume).await?;
    let get = |n: &str| {
        set.iter()
            .find(|(x, _, _)| *x == n)
            .map(|(_, l, u)| (*l, *u))
            .unwrap_or((-1, 0))
    };
    let abs = json!({
        "maxTotalVolumes": get("volumes").0, "totalVolumesUsed": get("volumes").1,
        "maxTotalVolumeGigabytes": get("gigabytes").0, "totalGigabytesUsed": get("gigabytes").1,
        "maxTotalSnapshots": get("snapshots").0, "totalSnapshotsUsed": 0,
        "maxTotalBackups": get("backups").0, "totalBackupsUsed": 0,
        "maxTotalBackupGigabytes": get("backup_gigabytes").0, "totalBackupGigabytesUsed": 0,
    });
    ok(mv, StatusCode::OK, json!({"limits": {"rate": [], "absolute": abs}}))
}

fn quota_body(target: &str, set: &[(&'static str, i64, i64)], usage: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(target));
    for (n, l, u) in set {
        o.insert(
            n.to_string(),
            if usage {
                json!({"limit": l, "in_use": u, "reserved": 0, "allocated": 0})
            } else {
                json!(l)
            },
        );
    }
    for n in ["volumes___DEFAULT__", "gigabytes___DEFAULT__", "snapshots___DEFAULT__"] {
        o.insert(
            n.into(),
            if usage {
                json!({"limit": -1, "in_use": 0, "reserved": 0, "allocated": 0})
            } else {
                json!(-1)
            },
        );
    }
    Value::Object(o)
}

async fn show_quota(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    q: Query,
    Path((project, target)): Path<(String, String)>,
) -> R {
    check_project(&ctx, &project)?;
    let set = st.cloud.quota_set(&ctx, &target, Service::Volume).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"quota_set": quota_body(&target, &set, q.flag("usage"))}),
    )
}

async fn quota_defaults(Auth(ctx): Auth, mv: VolumeVersion, Path((project, target)): Path<(String, String)>) -> R {
    check_project(&ctx, &project)?;
    let set: Vec<(&'static str, i64, i64)> = super::super::quotas::VOLUME_DEFAULTS
        .iter()
        .map(|(n, l)| (*n, *l, 0))
        .collect();
    ok(
        mv,
        StatusCode::OK,
        json!({"quota_set": quota_body(&target, &set, false)}),
    )
}

async fn update_quota(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: VolumeVersion,
    Path((project, target)): Path<(String, String)>,
    body: Bytes,
) -> R {
    check_project(&ctx, &project)?;
    let body = parse_body(&body)?;
    let m = member(&body, "quota_set")?;
    let mut values = Vec::new();
    for (k, v) in m {
        if super::super::quotas::service_of(k) != Some(Service::Volume) {
            return Err(SimError::bad_request(format!("Bad key(s) in quota set: {k}")).into());
        }
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| SimError::bad_request(format!("Quota value for key '{k}' must be an integer.")))?;
        values.push((k.clone(), n));
    }
    st.cloud.update_quotas(&ctx, &target, &values).await?;
    let set = st.cloud.quota_set(&ctx, &target, Service::Volume).await?;
    let mut body = quota_body(&target, &set, false);
    if let Some(o) = body.as_object_mut() {
        o.remove("id");
    }
    ok(mv, StatusCode::OK, json!({"quota_set": body}))
}

async fn delete_quota(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    Path((project, target)): Path<(String, String)>,
) -> R {
    check_project(&ctx, &project)?;
    st.cloud.reset_quotas(&ctx, &target, Service::Volume).await?;
    Ok(StatusCode::OK.into_response())
}
