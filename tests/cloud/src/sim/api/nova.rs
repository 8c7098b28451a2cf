//! Nova's API v2.1 under `/compute`: flavors, keypairs, servers (with the list filters
//! `name`, `status`, `ip`, `image`, `flavor`, `host`, `all_tenants`), server actions
//! (reboot, os-stop, os-start), metadata, addresses, server groups, volume attachments,
//! availability zones, limits, quota sets and the version documents. Microversions 2.1 to
//! [`MAX_VERSION`] are negotiated as Nova does (`OpenStack-API-Version: compute X.Y`), and
//! the shapes that changed on the way (embedded flavor 2.47, server group `policy` 2.64,
//! keypair `type` 2.2, network-free limits and quotas 2.36/2.57, attachment ids 2.89)
//! follow the version asked for. Errors are `{"<fault>": {"code", "message"}}`.

use super::super::compute::*;
use super::super::context::RequestContext;
use super::super::error::SimError;
use super::super::model::*;
use super::super::quotas::Service;
use super::util::{Fields, Query, base_url, member, parse_body};
use super::{ApiState, Auth};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The newest microversion served.
pub const MAX_VERSION: (u16, u16) = (2, 96);

/// A Nova error response.
#[derive(Debug)]
pub struct NovaError(pub SimError);

impl From<SimError> for NovaError {
    fn from(e: SimError) -> NovaError {
        NovaError(e)
    }
}

/// The fault name Nova and Cinder give a status.
pub fn fault_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "itemNotFound",
        405 => "badMethod",
        409 => "conflictingRequest",
        413 => "overLimit",
        415 => "badMediaType",
        501 => "notImplemented",
        503 => "serviceUnavailable",
        _ => "computeFault",
    }
}

/// `{"<fault>": {"code": N, "message": M}}` with status N.
pub fn fault(status: StatusCode, message: &str) -> Response {
    (
        status,
        axum::Json(json!({ fault_name(status): {"code": status.as_u16(), "message": message} })),
    )
        .into_response()
}

impl IntoResponse for NovaError {
    fn into_response(self) -> Response {
        match &self.0 {
            SimError::NotFound { .. } | SimError::Missing { .. } => fault(StatusCode::NOT_FOUND, &self.0.to_string()),
            SimError::BadRequest { message, .. } => fault(StatusCode::BAD_REQUEST, message),
            SimError::Conflict { message, .. } => fault(StatusCode::CONFLICT, message),
            SimError::Forbidden { message, .. } => fault(StatusCode::FORBIDDEN, message),
            SimError::OverQuota(q) => {
                let msg = match q.resource {
                    "key_pairs" => "Quota exceeded, too many key pairs.".to_string(),
                    "server_groups" => "Quota exceeded, too many server groups.".to_string(),
                    r => format!(
                        "Quota exceeded for {r}: Requested {}, but already used {} of {} {r}",
                        q.requested, q.used, q.limit
                    ),
                };
                fault(StatusCode::FORBIDDEN, &msg)
            }
            SimError::Fabric(e) => {
                tracing::error!(error = %e, "host operation failed");
                fault(StatusCode::INTERNAL_SERVER_ERROR, &format!("Unexpected API Error. {e}"))
            }
            SimError::Internal(m) => fault(StatusCode::INTERNAL_SERVER_ERROR, &format!("Unexpected API Error. {m}")),
        }
    }
}

type R = Result<Response, NovaError>;

/// The microversion of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Microversion(pub u16, pub u16);

impl Microversion {
    /// Whether the request is at least `major.minor`.
    pub fn at_least(self, major: u16, minor: u16) -> bool {
        self >= Microversion(major, minor)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Microversion {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Microversion, Response> {
        let h = &parts.headers;
        let asked = h
            .get("openstack-api-version")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.split(',')
                    .find_map(|p| p.trim().strip_prefix("compute ").map(|x| x.trim().to_string()))
            })
            .or_else(|| {
                h.get("x-openstack-nova-api-version")
                    .and_then(|v| v.to_str().ok())
                    .map(|v| v.trim().to_string())
            });
        parse_version(asked.as_deref(), (2, 1), MAX_VERSION)
            .map(|(a, b)| Microversion(a, b))
            .map_err(|r| *r)
    }
}

/// Parses a microversion header value (`None`: the minimum; `latest`: the maximum).
pub fn parse_version(asked: Option<&str>, min: (u16, u16), max: (u16, u16)) -> Result<(u16, u16), Box<Response>> {
    let Some(asked) = asked else { return Ok(min) };
    if asked.eq_ignore_ascii_case("latest") {
        return Ok(max);
    }
    let parsed = asked
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)));
    match parsed {
        None => Err(Box::new(fault(
            StatusCode::BAD_REQUEST,
            &format!("API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum."),
        ))),
        Some(v) if v < min || v > max => Err(Box::new(fault(
            StatusCode::NOT_ACCEPTABLE,
            &format!(
                "Version {asked} is not supported by the API. Minimum is {}.{} and maximum is {}.{}.",
                min.0, min.1, max.0, max.1
            ),
        ))),
        Some(v) => Ok(v),
    }
}

fn versioned(mv: Microversion, mut resp: Response) -> Response {
    let v = format!("{}.{}", mv.0, mv.1);
    if let (Ok(a), Ok(b)) = (
        HeaderValue::from_str(&format!("compute {v}")),
        HeaderValue::from_str(&v),
    ) {
        resp.headers_mut().insert("openstack-api-version", a);
        resp.headers_mut().insert("x-openstack-nova-api-version", b);
        resp.headers_mut().insert(
            header::VARY,
            HeaderValue::from_static("OpenStack-API-Version, X-OpenStack-Nova-API-Version"),
        );
    }
    resp
}

fn ok(mv: Microversion, status: StatusCode, v: Value) -> R {
    Ok(versioned(mv, (status, axum::Json(v)).into_response()))
}

fn empty(mv: Microversion, status: StatusCode) -> R {
    Ok(versioned(mv, status.into_response()))
}

/// Nova's routes under `/compute`.
pub fn routes() -> Router<ApiState> {
    let v = "/compute/v2.1";
    Router::new()
        .route("/compute", get(versions))
        .route("/compute/", get(versions))
        .route(v, get(version))
        .route(&format!("{v}/"), get(version))
        .route(&format!("{v}/flavors"), get(list_flavors).post(create_flavor))
        .route(&format!("{v}/flavors/detail"), get(list_flavors_detail))
        .route(&format!("{v}/flavors/{{id}}"), get(show_flavor).delete(delete_flavor))
        .route(&format!("{v}/flavors/{{id}}/os-extra_specs"), get(flavor_extra_specs))
        .route(&format!("{v}/os-keypairs"), get(list_keypairs).post(create_keypair))
        .route(
            &format!("{v}/os-keypairs/{{name}}"),
            get(show_keypair).delete(delete_keypair),
        )
        .route(&format!("{v}/servers"), get(list_servers).post(create_server))
        .route(&format!("{v}/servers/detail"), get(list_servers_detail))
        .route(
            &format!("{v}/servers/{{id}}"),
            get(show_server).put(update_server).delete(delete_server),
        )
        .route(&format!("{v}/servers/{{id}}/action"), post(server_action))
        .route(&format!("{v}/servers/{{id}}/ips"), get(server_ips))
        .route(
            &format!("{v}/servers/{{id}}/metadata"),
            get(show_metadata).post(merge_metadata).put(replace_metadata),
        )
        .route(
            &format!("{v}/servers/{{id}}/metadata/{{key}}"),
            get(show_metadata_item)
                .put(put_metadata_item)
                .delete(delete_metadata_item),
        )
        .route(
            &format!("{v}/servers/{{id}}/os-volume_attachments"),
            get(list_attachments).post(attach),
        )
        .route(
            &format!("{v}/servers/{{id}}/os-volume_attachments/{{volume}}"),
            get(show_attachment).delete(detach),
        )
        .route(&format!("{v}/os-server-groups"), get(list_groups).post(create_group))
        .route(
            &format!("{v}/os-server-groups/{{id}}"),
            get(show_group).delete(delete_group),
        )
        .route(&format!("{v}/os-availability-zone"), get(availability_zones))
        .route(
            &format!("{v}/os-availability-zone/detail"),
            get(availability_zones_detail),
        )
        .route(&format!("{v}/limits"), get(limits))
        .route(
            &format!("{v}/os-quota-sets/{{project}}"),
            get(show_quota).put(update_quota).delete(delete_quota),
        )
        .route(&format!("{v}/os-quota-sets/{{project}}/defaults"), get(quota_defaults))
        .route(&format!("{v}/os-quota-sets/{{project}}/detail"), get(quota_detail))
}

fn version_doc(base: &str) -> Value {
    json!({"id": "v2.1", "status": "CURRENT", "version": format!("{}.{}", MAX_VERSION.0, MAX_VERSION.1),
        "min_version": "2.1", "updated": "2013-07-23T11:33:21Z",
        "links": [{"href": format!("{base}/compute/v2.1/"), "rel": "self"}]})
}

async fn versions(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let v20 = json!({"id": "v2.0", "status": "DEPRECATED", "version": "", "min_version": "", "updated": "2025-07-04T12:00:00Z",
        "links": [{"href": format!("{base}/compute/v2/"), "rel": "self"}]});
    axum::Json(json!({"versions": [v20, version_doc(&base)]})).into_response()
}

async fn version(headers: HeaderMap) -> Response {
    let base = base_url(&headers);
    let mut doc = version_doc(&base);
    doc["links"] = json!([{"href": format!("{base}/compute/v2.1/"), "rel": "self"},
        {"href": "http://docs.openstack.org/", "rel": "describedby", "type": "text/html"}]);
    doc["media-types"] =
        json!([{"base": "application/json", "type": "application/vnd.openstack.compute+json;version=2.1"}]);
    axum::Json(json!({"version": doc})).into_response()
}

fn links(base: &str, kind: &str, id: &str) -> Value {
    json!([{"href": format!("{base}/compute/v2.1/{kind}/{id}"), "rel": "self"},
        {"href": format!("{base}/compute/{kind}/{id}"), "rel": "bookmark"}])
}

fn flavor_view(f: &Flavor, base: &str, mv: Microversion, detail: bool) -> Value {
    let mut v = json!({"id": f.id, "name": f.name, "links": links(base, "flavors", &f.id)});
    if mv.at_least(2, 55) {
        v["description"] = json!(f.description);
    }
    if detail {
        v["vcpus"] = json!(f.vcpus);
        v["ram"] = json!(f.ram);
        v["disk"] = json!(f.disk);
        v["OS-FLV-EXT-DATA:ephemeral"] = json!(f.ephemeral);
        v["OS-FLV-DISABLED:disabled"] = json!(false);
        v["swap"] = if f.swap == 0 && !mv.at_least(2, 75) {
            json!("")
        } else {
            json!(f.swap)
        };
        v["rxtx_factor"] = json!(1.0);
        v["os-flavor-access:is_public"] = json!(f.is_public);
        if mv.at_least(2, 61) {
            v["extra_specs"] = json!(f.extra_specs);
        }
    }
    v
}

async fn list_flavors(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, headers: HeaderMap) -> R {
    let base = base_url(&headers);
    let list: Vec<Value> = st
        .cloud
        .list_flavors(&ctx)
        .await
        .iter()
        .map(|f| flavor_view(f, &base, mv, false))
        .collect();
    ok(mv, StatusCode::OK, json!({"flavors": list}))
}

async fn list_flavors_detail(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, headers: HeaderMap) -> R {
    let base = base_url(&headers);
    let list: Vec<Value> = st
        .cloud
        .list_flavors(&ctx)
        .await
        .iter()
        .map(|f| flavor_view(f, &base, mv, true))
        .collect();
    ok(mv, StatusCode::OK, json!({"flavors": list}))
}

async fn show_flavor(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> R {
    let f = st.cloud.get_flavor(&ctx, &id).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"flavor": flavor_view(&f, &base_url(&headers), mv, true)}),
    )
}

async fn flavor_extra_specs(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(id): Path<String>,
) -> R {
    let f = st.cloud.get_flavor(&ctx, &id).await?;
    ok(mv, StatusCode::OK, json!({"extra_specs": f.extra_specs}))
}

async fn create_flavor(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "flavor")?;
    let need = |k: &str| {
        m.u32_opt(k)
            .and_then(|v| v.ok_or_else(|| SimError::bad_request(format!("'{k}' is a required property"))))
    };
    let f = Flavor {
        id: m.str_opt("id")?.unwrap_or_default(),
        name: m
            .str_opt("name")?
            .ok_or_else(|| SimError::bad_request("'name' is a required property"))?,
        vcpus: need("vcpus")?,
        ram: need("ram")?,
        disk: need("disk")?,
        ephemeral: m.u32_opt("OS-FLV-EXT-DATA:ephemeral")?.unwrap_or(0),
        swap: m.u32_opt("swap")?.unwrap_or(0),
        is_public: m.bool_opt("os-flavor-access:is_public")?.unwrap_or(true),
        extra_specs: BTreeMap::new(),
        description: m.str_opt("description")?,
    };
    let f = st.cloud.create_flavor(&ctx, f).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"flavor": flavor_view(&f, &base_url(&headers), mv, true)}),
    )
}

async fn delete_flavor(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    st.cloud.delete_flavor(&ctx, &id).await?;
    empty(mv, StatusCode::ACCEPTED)
}

fn keypair_view(k: &Keypair, mv: Microversion, detail: bool) -> Value {
    let mut v = json!({"name": k.name, "public_key": k.public_key, "fingerprint": k.fingerprint});
    if mv.at_least(2, 2) {
        v["type"] = json!(k.key_type);
    }
    if detail {
        v["user_id"] = json!(k.user_id);
        v["created_at"] = json!(time_micro(&k.created_at));
        v["deleted"] = json!(false);
        v["deleted_at"] = json!(null);
        v["updated_at"] = json!(null);
        v["id"] = json!(1);
    }
    v
}

async fn list_keypairs(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, q: Query) -> R {
    let list: Vec<Value> = st
        .cloud
        .list_keypairs(&ctx, q.get("user_id"))
        .await?
        .iter()
        .map(|k| json!({"keypair": keypair_view(k, mv, false)}))
        .collect();
    ok(mv, StatusCode::OK, json!({"keypairs": list}))
}

async fn show_keypair(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    q: Query,
    Path(name): Path<String>,
) -> R {
    let k = st.cloud.get_keypair(&ctx, &name, q.get("user_id")).await?;
    ok(mv, StatusCode::OK, json!({"keypair": keypair_view(&k, mv, true)}))
}

async fn create_keypair(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "keypair")?;
    let name = m
        .str_opt("name")?
        .ok_or_else(|| SimError::bad_request("'name' is a required property"))?;
    let public_key = m.str_opt("public_key")?;
    if public_key.is_none() && mv.at_least(2, 92) {
        return Err(SimError::bad_request("'public_key' is a required property").into());
    }
    let (k, private) = st
        .cloud
        .create_keypair(&ctx, &name, public_key, m.str_opt("type")?)
        .await?;
    let mut v = keypair_view(&k, mv, false);
    v["user_id"] = json!(k.user_id);
    if let Some(p) = private {
        v["private_key"] = json!(p);
    }
    let status = if mv.at_least(2, 2) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    ok(mv, status, json!({"keypair": v}))
}

async fn delete_keypair(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    q: Query,
    Path(name): Path<String>,
) -> R {
    st.cloud.delete_keypair(&ctx, &name, q.get("user_id")).await?;
    let status = if mv.at_least(2, 2) {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::ACCEPTED
    };
    empty(mv, status)
}

/// The `addresses` of a server: per network name, fixed then floating.
fn addresses(st: &ApiState, server: &Server) -> Value {
    let snap = st.cloud.snapshot();
    let mut out = Map::new();
    for sp in &server.ports {
        let Some(port) = snap.ports.get(&sp.port_id) else {
            continue;
        };
        let net = snap
            .networks
            .get(&port.network_id)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        let entry = out.entry(net).or_insert_with(|| json!([]));
        let Some(list) = entry.as_array_mut() else { continue };
        for f in &port.fixed_ips {
            list.push(
                json!({"version": 4, "addr": f.ip_address.to_string(), "OS-EXT-IPS:type": "fixed",
                "OS-EXT-IPS-MAC:mac_addr": port.mac_address}),
            );
            for fip in snap
                .floating_ips
                .values()
                .filter(|x| x.port_id.as_deref() == Some(&port.id) && x.fixed_ip_address == Some(f.ip_address))
            {
                list.push(
                    json!({"version": 4, "addr": fip.floating_ip_address.to_string(), "OS-EXT-IPS:type": "floating",
                    "OS-EXT-IPS-MAC:mac_addr": port.mac_address}),
                );
            }
        }
    }
    Value::Object(out)
}

fn server_view(st: &ApiState, s: &Server, ctx: &RequestContext, base: &str, mv: Microversion) -> Value {
    let snap = st.cloud.snapshot();
    let image = match &s.image_id {
        Some(i) => json!({"id": i, "links": [{"href": format!("{base}/compute/images/{i}"), "rel": "bookmark"}]}),
        None => json!(""),
    };
    let flavor = if mv.at_least(2, 47) {
        json!({"vcpus": s.flavor.vcpus, "ram": s.flavor.ram, "disk": s.flavor.disk, "ephemeral": s.flavor.ephemeral,
            "swap": s.flavor.swap, "original_name": s.flavor.name, "extra_specs": s.flavor.extra_specs})
    } else {
        json!({"id": s.flavor.id, "links": [{"href": format!("{base}/compute/flavors/{}", s.flavor.id), "rel": "bookmark"}]})
    };
    let volumes: Vec<Value> = snap
        .volumes
        .values()
        .filter(|v| v.attachment.as_ref().is_some_and(|a| a.server_id == s.id))
        .map(|v| {
            let mut a = json!({"id": v.id});
            if mv.at_least(2, 3) {
                a["delete_on_termination"] = json!(v.attachment.as_ref().is_some_and(|a| a.delete_on_termination));
            }
            a
        })
        .collect();
    let mut v = json!({
        "id": s.id, "name": s.name, "status": s.status.as_str(), "tenant_id": s.project_id, "user_id": s.user_id,
        "metadata": s.metadata, "hostId": host_id(&s.project_id, s.host.as_deref()), "image": image, "flavor": flavor,
        "created": time_z(&s.created), "updated": time_z(&s.updated), "addresses": addresses(st, s),
        "accessIPv4": "", "accessIPv6": "", "links": links(base, "servers", &s.id), "OS-DCF:diskConfig": "MANUAL",
        "progress": if s.status == ServerStatus::Build { 0 } else { 100 },
        "OS-EXT-AZ:availability_zone": if s.host.is_some() { s.availability_zone.clone() } else { String::new() },
        "config_drive": if s.config_drive { "True" } else { "" }, "key_name": s.key_name,
        "OS-SRV-USG:launched_at": s.launched_at.as_ref().map(time_micro), "OS-SRV-USG:terminated_at": null,
        "OS-EXT-STS:task_state": s.task_state, "OS-EXT-STS:vm_state": s.status.vm_state(),
        "OS-EXT-STS:power_state": s.status.power_state(), "os-extended-volumes:volumes_attached": volumes,
        "security_groups": s.security_groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>(),
    });
    if ctx.is_admin {
        v["OS-EXT-SRV-ATTR:host"] = json!(s.host);
        v["OS-EXT-SRV-ATTR:hypervisor_hostname"] = json!(s.host);
        v["OS-EXT-SRV-ATTR:instance_name"] = json!(format!("instance-{}", &s.id[..8]));
        if mv.at_least(2, 3) {
            v["OS-EXT-SRV-ATTR:hostname"] = json!(s.hostname);
            v["OS-EXT-SRV-ATTR:reservation_id"] = json!(s.reservation_id);
            v["OS-EXT-SRV-ATTR:launch_index"] = json!(s.launch_index);
            v["OS-EXT-SRV-ATTR:kernel_id"] = json!("");
            v["OS-EXT-SRV-ATTR:ramdisk_id"] = json!("");
            v["OS-EXT-SRV-ATTR:root_device_name"] = json!("/dev/vda");
            v["OS-EXT-SRV-ATTR:user_data"] = json!(s.user_data);
        }
    }
    if mv.at_least(2, 9) {
        v["locked"] = json!(false);
    }
    if mv.at_least(2, 16) && ctx.is_admin {
        v["host_status"] = json!(if s.host.is_some() { "UP" } else { "" });
    }
    if mv.at_least(2, 19) {
        v["description"] = json!(s.description);
    }
    if mv.at_least(2, 26) {
        v["tags"] = json!([]);
    }
    if mv.at_least(2, 63) {
        v["trusted_image_certificates"] = json!(null);
    }
    if mv.at_least(2, 71) {
        v["server_groups"] = json!(s.server_group.iter().collect::<Vec<_>>());
    }
    if mv.at_least(2, 73) {
        v["locked_reason"] = json!(null);
    }
    if mv.at_least(2, 96) {
        v["pinned_availability_zone"] = json!(null);
    }
    if let Some(f) = &s.fault {
        let mut fv = json!({"code": f.code, "message": f.message, "created": time_z(&f.created)});
        if ctx.is_admin && !f.details.is_empty() {
            fv["details"] = json!(f.details);
        }
        v["fault"] = fv;
    }
    v
}

fn regex_search(pattern: &str, text: &str) -> bool {
    regex_lite::Regex::new(pattern)
        .map(|r| r.is_match(text))
        .unwrap_or_else(|_| text.contains(pattern))
}

async fn servers_filtered(st: &ApiState, ctx: &RequestContext, q: &Query) -> Result<Vec<Server>, SimError> {
    let all = q.flag("all_tenants") || q.flag("all_projects");
    let mut list = st.cloud.list_servers(ctx, all).await;
    let snap = st.cloud.snapshot();
    if let Some(p) = q
        .get("project_id")
        .or(q.get("tenant_id"))
        .filter(|_| ctx.is_admin && all)
    {
        list.retain(|s| s.project_id == p);
    }
    if let Some(n) = q.get("name") {
        list.retain(|s| regex_search(n, &s.name));
    }
    if let Some(status) = q.get("status") {
        list.retain(|s| s.status.as_str().eq_ignore_ascii_case(status));
    }
    if let Some(i) = q.get("image") {
        list.retain(|s| s.image_id.as_deref() == Some(i));
    }
    if let Some(f) = q.get("flavor") {
        list.retain(|s| s.flavor.id == f);
    }
    if let Some(h) = q.get("host").filter(|_| ctx.is_admin) {
        list.retain(|s| s.host.as_deref() == Some(h));
    }
    if let Some(ip) = q.get("ip") {
        list.retain(|s| {
            s.ports
                .iter()
                .filter_map(|p| snap.ports.get(&p.port_id))
                .flat_map(|p| p.fixed_ips.iter())
                .any(|f| regex_search(ip, &f.ip_address.to_string()))
        });
    }
    if let Some(marker) = q.get("marker") {
        match list.iter().position(|s| s.id == marker) {
            Some(i) => list = list.split_off(i + 1),
            None => return Err(SimError::bad_request(format!("marker [{marker}] not found"))),
        }
    }
    if let Some(limit) = q.get("limit").and_then(|l| l.parse::<usize>().ok()) {
        list.truncate(limit);
    }
    Ok(list)
}

async fn list_servers(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    q: Query,
) -> R {
    let base = base_url(&headers);
    let list: Vec<Value> = servers_filtered(&st, &ctx, &q)
        .await?
        .iter()
        .map(|s| json!({"id": s.id, "name": s.name, "links": links(&base, "servers", &s.id)}))
        .collect();
    ok(mv, StatusCode::OK, json!({"servers": list}))
}

async fn list_servers_detail(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    q: Query,
) -> R {
    let base = base_url(&headers);
    let list: Vec<Value> = servers_filtered(&st, &ctx, &q)
        .await?
        .iter()
        .map(|s| server_view(&st, s, &ctx, &base, mv))
        .collect();
    ok(mv, StatusCode::OK, json!({"servers": list}))
}

async fn show_server(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> R {
    let s = st.cloud.get_server(&ctx, &id).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"server": server_view(&st, &s, &ctx, &base_url(&headers), mv)}),
    )
}

fn nics(m: &Map<String, Value>, mv: Microversion) -> Result<NetworksSpec, SimError> {
    match m.get("networks") {
        None if mv.at_least(2, 37) => Err(SimError::bad_request("'networks' is a required property")),
        None | Some(Value::Null) => Ok(NetworksSpec::Auto),
        Some(Value::String(s)) if s == "auto" => Ok(NetworksSpec::Auto),
        Some(Value::String(s)) if s == "none" => Ok(NetworksSpec::None),
        Some(Value::Array(list)) => list
            .iter()
            .map(|n| {
                let o = n
                    .as_object()
                    .ok_or_else(|| SimError::bad_request("Bad networks format"))?;
                let fixed_ip = match o.str_opt("fixed_ip")? {
                    Some(s) => Some(
                        s.parse()
                            .map_err(|_| SimError::bad_request(format!("Invalid fixed IP address ({s})")))?,
                    ),
                    None => None,
                };
                Ok(NicSpec {
                    network_id: o.str_opt("uuid")?,
                    port_id: o.str_opt("port")?,
                    fixed_ip,
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(NetworksSpec::List),
        Some(other) => Err(SimError::bad_request(format!("Bad networks format: {other}"))),
    }
}

fn block_devices(m: &Map<String, Value>) -> Result<Vec<BlockDevice>, SimError> {
    let Some(list) = m.get("block_device_mapping_v2").and_then(Value::as_array) else {
        return Ok(Vec::new());
    };
    list.iter()
        .map(|b| {
            let o = b
                .as_object()
                .ok_or_else(|| SimError::bad_request("Block Device Mapping is Invalid"))?;
            let source = o.str_opt("source_type")?.unwrap_or_default();
            let dest = o.str_opt("destination_type")?.unwrap_or_else(|| "volume".into());
            if dest != "volume" {
                return Err(SimError::bad_request(
                    "Block Device Mapping is Invalid: only volume destinations are supported by the test cloud",
                ));
            }
            let boot_index = match o.get("boot_index") {
                Some(Value::Number(n)) => n.as_i64().map(|x| x as i32),
                Some(Value::String(s)) => s.parse().ok(),
                _ => None,
            };
            let uuid = o.str_opt("uuid")?;
            let (volume_id, image_id) = match source.as_str() {
                "volume" => (uuid, None),
                "image" => (None, uuid),
                "blank" => (None, None),
                other => {
                    return Err(SimError::bad_request(format!(
                        "Block Device Mapping is Invalid: source_type {other} is not supported"
                    )));
                }
            };
            Ok(BlockDevice {
                volume_id,
                volume_size: o.u32_opt("volume_size")?,
                image_id,
                boot_index,
                delete_on_termination: o.bool_opt("delete_on_termination")?.unwrap_or(false),
                device_name: o.str_opt("device_name")?,
            })
        })
        .collect()
}

async fn create_server(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "server")?;
    let hints = body
        .get("os:scheduler_hints")
        .or(body.get("OS-SCH-HNT:scheduler_hints"))
        .and_then(Value::as_object);
    let group = hints.and_then(|h| match h.get("group") {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Array(a)) => a.first().and_then(Value::as_str).map(str::to_string),
        _ => None,
    });
    let security_groups = match m.get("security_groups") {
        Some(Value::Array(a)) => Some(
            a.iter()
                .map(|g| {
                    g.get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| SimError::bad_request("Invalid security group"))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        _ => None,
    };
    if let Some(ud) = m.str_opt("user_data")? {
        use base64::Engine as _;
        if base64::engine::general_purpose::STANDARD.decode(ud.trim()).is_err() {
            return Err(SimError::bad_request(
                "Invalid input for field/attribute user_data. Value: ... is not a base64 string",
            )
            .into());
        }
    }
    let req = ServerCreate {
        name: m
            .str_opt("name")?
            .ok_or_else(|| SimError::bad_request("'name' is a required property"))?,
        image_ref: m.str_opt("imageRef")?,
        flavor_ref: m
            .str_opt("flavorRef")?
            .ok_or_else(|| SimError::bad_request("'flavorRef' is a required property"))?,
        key_name: m.str_opt("key_name")?,
        networks: nics(m, mv)?,
        security_groups,
        user_data: m.str_opt("user_data")?,
        metadata: m.map_opt("metadata")?.unwrap_or_default(),
        availability_zone: m.str_opt("availability_zone")?,
        group,
        min_count: m.u32_opt("min_count")?.unwrap_or(1),
        max_count: m.u32_opt("max_count")?.unwrap_or(1),
        block_devices: block_devices(m)?,
        admin_user: None,
        description: m.str_opt("description")?,
        config_drive: m.bool_opt("config_drive")?.unwrap_or(false),
        hostname: m.str_opt("hostname")?,
    };
    let servers = st.cloud.create_server(&ctx, req).await?;
    let first = servers
        .first()
        .ok_or_else(|| SimError::Internal("no server made".into()))?;
    let base = base_url(&headers);
    let mut v = json!({"id": first.id, "links": links(&base, "servers", &first.id), "OS-DCF:diskConfig": "MANUAL",
        "security_groups": first.security_groups.iter().map(|g| json!({"name": g})).collect::<Vec<_>>(),
        "adminPass": uuid::Uuid::new_v4().simple().to_string()[..12].to_string()});
    if body
        .get("server")
        .and_then(|s| s.get("return_reservation_id"))
        .and_then(Value::as_bool)
        == Some(true)
    {
        v = json!({"reservation_id": first.reservation_id});
        return ok(mv, StatusCode::ACCEPTED, v);
    }
    let mut resp = (StatusCode::ACCEPTED, axum::Json(json!({"server": v}))).into_response();
    if let Ok(loc) = HeaderValue::from_str(&format!("{base}/compute/v2.1/servers/{}", first.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(versioned(mv, resp))
}

async fn update_server(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "server")?;
    let description = if m.contains_key("description") {
        Some(m.str_opt("description")?)
    } else {
        None
    };
    let s = st
        .cloud
        .update_server(&ctx, &id, m.str_opt("name")?, description)
        .await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"server": server_view(&st, &s, &ctx, &base_url(&headers), mv)}),
    )
}

async fn delete_server(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    st.cloud.delete_server(&ctx, &id).await?;
    empty(mv, StatusCode::NO_CONTENT)
}

async fn server_action(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let action = if let Some(r) = body.get("reboot") {
        match r
            .get("type")
            .and_then(Value::as_str)
            .map(str::to_ascii_uppercase)
            .as_deref()
        {
            Some("HARD") => ServerAction::HardReboot,
            Some("SOFT") => ServerAction::Reboot,
            _ => return Err(SimError::bad_request("Invalid input for field/attribute type.").into()),
        }
    } else if body.get("os-stop").is_some() {
        ServerAction::Stop
    } else if body.get("os-start").is_some() {
        ServerAction::Start
    } else {
        let name = body
            .as_object()
            .and_then(|o| o.keys().next().cloned())
            .unwrap_or_default();
        return Err(SimError::bad_request(format!("There is no such action: {name}")).into());
    };
    st.cloud.server_action(&ctx, &id, action).await?;
    empty(mv, StatusCode::ACCEPTED)
}

async fn server_ips(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    let s = st.cloud.get_server(&ctx, &id).await?;
    let mut addrs = addresses(&st, &s);
    if let Some(o) = addrs.as_object_mut() {
        for list in o.values_mut() {
            if let Some(a) = list.as_array_mut() {
                for e in a.iter_mut() {
                    *e = json!({"version": 4, "addr": e["addr"]});
                }
            }
        }
    }
    ok(mv, StatusCode::OK, json!({"addresses": addrs}))
}

async fn show_metadata(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    ok(
        mv,
        StatusCode::OK,
        json!({"metadata": st.cloud.get_server(&ctx, &id).await?.metadata}),
    )
}

async fn set_metadata(
    st: &ApiState,
    ctx: &RequestContext,
    mv: Microversion,
    id: &str,
    body: &[u8],
    replace: bool,
) -> R {
    let body = parse_body(body)?;
    let md = match body.as_object() {
        Some(o) => o.map_opt("metadata")?,
        None => None,
    }
    .ok_or_else(|| SimError::bad_request("'metadata' is a required property"))?;
    let out = st.cloud.set_server_metadata(ctx, id, md, replace).await?;
    ok(mv, StatusCode::OK, json!({"metadata": out}))
}

async fn merge_metadata(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    set_metadata(&st, &ctx, mv, &id, &body, false).await
}

async fn replace_metadata(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    set_metadata(&st, &ctx, mv, &id, &body, true).await
}

async fn show_metadata_item(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path((id, key)): Path<(String, String)>,
) -> R {
    let s = st.cloud.get_server(&ctx, &id).await?;
    match s.metadata.get(&key) {
        Some(v) => ok(mv, StatusCode::OK, json!({"meta": {key: v}})),
        None => Err(SimError::Missing {
            kind: "MetadataNotFound",
            message: "Metadata item was not found".into(),
        }
        .into()),
    }
}

async fn put_metadata_item(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path((id, key)): Path<(String, String)>,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let meta = body
        .get("meta")
        .and_then(Value::as_object)
        .filter(|m| m.len() == 1)
        .ok_or_else(|| SimError::bad_request("Request body contains too many items"))?;
    let value = meta
        .get(&key)
        .and_then(Value::as_str)
        .ok_or_else(|| SimError::bad_request("Request body and URI mismatch"))?;
    st.cloud
        .set_server_metadata(&ctx, &id, BTreeMap::from([(key.clone(), value.to_string())]), false)
        .await?;
    ok(mv, StatusCode::OK, json!({"meta": {key: value}}))
}

async fn delete_metadata_item(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path((id, key)): Path<(String, String)>,
) -> R {
    st.cloud.delete_server_metadata(&ctx, &id, &key).await?;
    empty(mv, StatusCode::NO_CONTENT)
}

fn attachment_view(volume_id: &str, a: &VolumeAttachment, mv: Microversion) -> Value {
    let mut v = json!({"device": a.device, "serverId": a.server_id, "volumeId": volume_id});
    if mv.at_least(2, 89) {
        v["attachment_id"] = json!(a.attachment_id);
        v["bdm_uuid"] = json!(a.attachment_id);
    } else {
        v["id"] = json!(volume_id);
    }
    if mv.at_least(2, 70) {
        v["tag"] = json!(null);
    }
    if mv.at_least(2, 79) {
        v["delete_on_termination"] = json!(a.delete_on_termination);
    }
    v
}

async fn list_attachments(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    let list: Vec<Value> = st
        .cloud
        .list_volume_attachments(&ctx, &id)
        .await?
        .iter()
        .map(|(v, a)| attachment_view(v, a, mv))
        .collect();
    ok(mv, StatusCode::OK, json!({"volumeAttachments": list}))
}

async fn show_attachment(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path((id, volume)): Path<(String, String)>,
) -> R {
    let list = st.cloud.list_volume_attachments(&ctx, &id).await?;
    let (v, a) = list
        .iter()
        .find(|(v, _)| *v == volume)
        .ok_or_else(|| SimError::not_found(super::super::error::Kind::VolumeAttachment, &volume))?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volumeAttachment": attachment_view(v, a, mv)}),
    )
}

async fn attach(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "volumeAttachment")?;
    let volume = m
        .str_opt("volumeId")?
        .ok_or_else(|| SimError::bad_request("'volumeId' is a required property"))?;
    let a = st
        .cloud
        .attach_volume(
            &ctx,
            &id,
            &volume,
            m.str_opt("device")?,
            m.bool_opt("delete_on_termination")?.unwrap_or(false),
        )
        .await
        .map_err(|e| match e {
            SimError::NotFound {
                kind: super::super::error::Kind::Volume,
                id,
            } => SimError::bad_request(format!("Volume {id} could not be found.")),
            other => other,
        })?;
    ok(
        mv,
        StatusCode::OK,
        json!({"volumeAttachment": attachment_view(&volume, &a, mv)}),
    )
}

async fn detach(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path((id, volume)): Path<(String, String)>,
) -> R {
    st.cloud.detach_volume(&ctx, &id, &volume).await?;
    empty(mv, StatusCode::ACCEPTED)
}

fn group_view(g: &ServerGroup, mv: Microversion) -> Value {
    let mut v = json!({"id": g.id, "name": g.name, "members": g.members});
    if mv.at_least(2, 64) {
        v["policy"] = json!(g.policy.as_str());
        v["rules"] = match g.max_server_per_host {
            Some(n) => json!({"max_server_per_host": n}),
            None => json!({}),
        };
    } else {
        v["policies"] = json!([g.policy.as_str()]);
        v["metadata"] = json!(g.metadata);
    }
    if mv.at_least(2, 13) {
        v["project_id"] = json!(g.project_id);
        v["user_id"] = json!(g.user_id);
    }
    v
}

async fn list_groups(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, q: Query) -> R {
    let list: Vec<Value> = st
        .cloud
        .list_server_groups(&ctx, q.flag("all_projects"))
        .await
        .iter()
        .map(|g| group_view(g, mv))
        .collect();
    ok(mv, StatusCode::OK, json!({"server_groups": list}))
}

async fn show_group(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    ok(
        mv,
        StatusCode::OK,
        json!({"server_group": group_view(&st.cloud.get_server_group(&ctx, &id).await?, mv)}),
    )
}

async fn create_group(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "server_group")?;
    let policy = match (m.str_opt("policy")?, m.strings_opt("policies")?) {
        (Some(p), _) => p,
        (None, Some(list)) if list.len() == 1 => list[0].clone(),
        _ => return Err(SimError::bad_request("Invalid input for field/attribute policies.").into()),
    };
    let max = m
        .get("rules")
        .and_then(|r| r.get("max_server_per_host"))
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()));
    let req = ServerGroupCreate {
        name: m
            .str_opt("name")?
            .ok_or_else(|| SimError::bad_request("'name' is a required property"))?,
        policy,
        max_server_per_host: max.and_then(|n| u32::try_from(n).ok()),
    };
    ok(
        mv,
        StatusCode::OK,
        json!({"server_group": group_view(&st.cloud.create_server_group(&ctx, req).await?, mv)}),
    )
}

async fn delete_group(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(id): Path<String>) -> R {
    st.cloud.delete_server_group(&ctx, &id).await?;
    empty(mv, StatusCode::NO_CONTENT)
}

async fn availability_zones(Auth(_ctx): Auth, mv: Microversion) -> R {
    ok(
        mv,
        StatusCode::OK,
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}]}),
    )
}

async fn availability_zones_detail(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion) -> R {
    if !ctx.is_admin {
        return Err(SimError::forbidden(
            "Policy doesn't allow os_compute_api:os-availability-zone:detail to be performed.",
        )
        .into());
    }
    let now = time_micro(&chrono::Utc::now());
    let hosts: Map<String, Value> = st
        .cloud
        .compute_hosts()
        .into_iter()
        .map(|h| {
            (
                h,
                json!({"nova-compute": {"available": true, "active": true, "updated_at": now}}),
            )
        })
        .collect();
    ok(
        mv,
        StatusCode::OK,
        json!({"availabilityZoneInfo": [{"zoneName": "nova", "zoneState": {"available": true}, "hosts": hosts}]}),
    )
}

async fn limits(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, q: Query) -> R {
    let l = st.cloud.compute_limits(&ctx, q.get("tenant_id")).await?;
    let lim = |n: &str| l.limits.get(n).copied().unwrap_or(-1);
    let used = |n: &str| l.used.get(n).copied().unwrap_or(0);
    let mut abs = json!({
        "maxServerMeta": lim("metadata_items"), "maxTotalCores": lim("cores"), "maxTotalInstances": lim("instances"),
        "maxTotalKeypairs": lim("key_pairs"), "maxTotalRAMSize": lim("ram"), "maxServerGroups": lim("server_groups"),
        "maxServerGroupMembers": lim("server_group_members"), "totalCoresUsed": used("cores"),
        "totalInstancesUsed": used("instances"), "totalRAMUsed": used("ram"), "totalServerGroupsUsed": used("server_groups"),
    });
    if !mv.at_least(2, 57) {
        abs["maxImageMeta"] = json!(lim("metadata_items"));
        abs["maxPersonality"] = json!(lim("injected_files"));
        abs["maxPersonalitySize"] = json!(lim("injected_file_content_bytes"));
    }
    if !mv.at_least(2, 36) {
        for k in ["maxSecurityGroupRules", "maxSecurityGroups", "maxTotalFloatingIps"] {
            abs[k] = json!(-1);
        }
        for k in ["totalSecurityGroupsUsed", "totalFloatingIpsUsed"] {
            abs[k] = json!(0);
        }
    }
    ok(mv, StatusCode::OK, json!({"limits": {"absolute": abs, "rate": []}}))
}

fn visible_quota(name: &str, mv: Microversion) -> bool {
    !(mv.at_least(2, 57) && name.starts_with("injected_file"))
}

fn quota_body(project: &str, set: &[(&'static str, i64, i64)], mv: Microversion, detail: bool) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(project));
    for (n, l, u) in set.iter().filter(|(n, _, _)| visible_quota(n, mv)) {
        o.insert(
            n.to_string(),
            if detail {
                json!({"limit": l, "in_use": u, "reserved": 0})
            } else {
                json!(l)
            },
        );
    }
    if !mv.at_least(2, 36) {
        for n in ["fixed_ips", "floating_ips", "security_groups", "security_group_rules"] {
            o.insert(
                n.into(),
                if detail {
                    json!({"limit": -1, "in_use": 0, "reserved": 0})
                } else {
                    json!(-1)
                },
            );
        }
    }
    Value::Object(o)
}

async fn show_quota(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(project): Path<String>) -> R {
    let set = st.cloud.quota_set(&ctx, &project, Service::Compute).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"quota_set": quota_body(&project, &set, mv, false)}),
    )
}

async fn quota_detail(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(project): Path<String>) -> R {
    let set = st.cloud.quota_set(&ctx, &project, Service::Compute).await?;
    ok(
        mv,
        StatusCode::OK,
        json!({"quota_set": quota_body(&project, &set, mv, true)}),
    )
}

async fn quota_defaults(Auth(_ctx): Auth, mv: Microversion, Path(project): Path<String>) -> R {
    let set: Vec<(&'static str, i64, i64)> = super::super::quotas::COMPUTE_DEFAULTS
        .iter()
        .map(|(n, l)| (*n, *l, 0))
        .collect();
    ok(
        mv,
        StatusCode::OK,
        json!({"quota_set": quota_body(&project, &set, mv, false)}),
    )
}

async fn update_quota(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    mv: Microversion,
    Path(project): Path<String>,
    body: Bytes,
) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "quota_set")?;
    let mut values = Vec::new();
    for (k, v) in m {
        if k == "force" {
            continue;
        }
        if super::super::quotas::service_of(k) != Some(Service::Compute) {
            return Err(
                SimError::bad_request(format!("Additional properties are not allowed ('{k}' was unexpected)")).into(),
            );
        }
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| SimError::bad_request(format!("Invalid input for field/attribute {k}.")))?;
        values.push((k.clone(), n));
    }
    st.cloud.update_quotas(&ctx, &project, &values).await?;
    let set = st.cloud.quota_set(&ctx, &project, Service::Compute).await?;
    let mut body = quota_body(&project, &set, mv, false);
    if let Some(o) = body.as_object_mut() {
        o.remove("id");
    }
    ok(mv, StatusCode::OK, json!({"quota_set": body}))
}

async fn delete_quota(State(st): State<ApiState>, Auth(ctx): Auth, mv: Microversion, Path(project): Path<String>) -> R {
    st.cloud.reset_quotas(&ctx, &project, Service::Compute).await?;
    empty(mv, StatusCode::ACCEPTED)
}

#[cfg(test)]
mod tests {
    use super::super::cinder::CinderError;
    use super::super::neutron::NeutronError;
    use super::*;
    use crate::sim::error::{Kind, QuotaExceeded};

    async fn body(r: Response) -> (u16, Value) {
        let status = r.status().as_u16();
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&bytes).unwrap())
    }

    fn over(resource: &'static str) -> SimError {
        SimError::OverQuota(QuotaExceeded {
            resource,
            requested: 1,
            used: 10,
            limit: 10,
        })
    }

    #[tokio::test]
    async fn each_service_words_its_errors() {
        let (s, v) = body(NovaError(over("instances")).into_response()).await;
        assert_eq!(s, 403);
        assert_eq!(
            v,
            json!({"forbidden": {"code": 403, "message": "Quota exceeded for instances: Requested 1, but already used 10 of 10 instances"}})
        );
        let (s, v) = body(NovaError(SimError::not_found(Kind::Server, "x")).into_response()).await;
        assert_eq!(
            (s, v),
            (
                404,
                json!({"itemNotFound": {"code": 404, "message": "Instance x could not be found."}})
            )
        );
        let (s, v) = body(NeutronError(over("port")).into_response()).await;
        assert_eq!(s, 409);
        assert_eq!(
            v,
            json!({"NeutronError": {"type": "OverQuota", "message": "Quota exceeded for resources: ['port'].", "detail": ""}})
        );
        let (s, v) = body(NeutronError(SimError::not_found(Kind::Network, "n")).into_response()).await;
        assert_eq!((s, v["NeutronError"]["type"].as_str()), (404, Some("NetworkNotFound")));
        let (s, v) = body(CinderError(over("volumes")).into_response()).await;
        assert_eq!(s, 413);
        assert_eq!(
            v,
            json!({"overLimit": {"code": 413, "retryAfter": "0",
                "message": "VolumeLimitExceeded: Maximum number of volumes allowed (10) exceeded for quota 'volumes'."}})
        );
    }

    #[test]
    fn microversions_parse_like_nova() {
        assert_eq!(parse_version(None, (2, 1), MAX_VERSION).unwrap(), (2, 1));
        assert_eq!(parse_version(Some("latest"), (2, 1), MAX_VERSION).unwrap(), MAX_VERSION);
        assert_eq!(parse_version(Some("2.47"), (2, 1), MAX_VERSION).unwrap(), (2, 47));
        assert_eq!(
            parse_version(Some("2.200"), (2, 1), MAX_VERSION).unwrap_err().status(),
            StatusCode::NOT_ACCEPTABLE
        );
        assert_eq!(
            parse_version(Some("two"), (2, 1), MAX_VERSION).unwrap_err().status(),
            StatusCode::BAD_REQUEST
        );
    }
}
