//! Neutron's API v2.0 under `/network`: networks (with `router:external` and the provider
//! attributes), subnets, ports, routers and their interfaces, floating IPs, security
//! groups and rules, quotas, extensions, and the version documents. Errors are
//! `{"NeutronError": {"type", "message", "detail"}}`.

use super::super::error::SimError;
use super::super::model::*;
use super::super::network::*;
use super::super::quotas::Service;
use super::util::{Fields, Query, base_url, member, neutron_filter, parse_body};
use super::{ApiState, Auth};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use serde_json::{Map, Value, json};

/// A Neutron error response.
#[derive(Debug)]
pub struct NeutronError(pub SimError);

impl From<SimError> for NeutronError {
    fn from(e: SimError) -> NeutronError {
        NeutronError(e)
    }
}

impl IntoResponse for NeutronError {
    fn into_response(self) -> Response {
        let (status, kind, message) = match &self.0 {
            SimError::NotFound { kind, id } => (StatusCode::NOT_FOUND, kind.neutron_type(), kind.not_found_message(id)),
            SimError::Missing { kind, message } => (StatusCode::NOT_FOUND, *kind, message.clone()),
            SimError::BadRequest { kind, message } => (StatusCode::BAD_REQUEST, *kind, message.clone()),
            SimError::Conflict { kind, message } => (StatusCode::CONFLICT, *kind, message.clone()),
            SimError::Forbidden { kind, message } => (StatusCode::FORBIDDEN, *kind, message.clone()),
            SimError::OverQuota(q) => (
                StatusCode::CONFLICT,
                "OverQuota",
                format!("Quota exceeded for resources: ['{}'].", q.resource),
            ),
            SimError::Fabric(e) => {
                tracing::error!(error = %e, "host operation failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "HTTPInternalServerError",
                    format!("Request Failed: internal server error while processing your request. {e}"),
                )
            }
            SimError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, "HTTPInternalServerError", m.clone()),
        };
        (
            status,
            axum::Json(json!({"NeutronError": {"type": kind, "message": message, "detail": ""}})),
        )
            .into_response()
    }
}

type R = Result<Response, NeutronError>;

fn ok(status: StatusCode, v: Value) -> R {
    Ok((status, axum::Json(v)).into_response())
}

const EXTENSIONS: &[(&str, &str, &str)] = &[
    (
        "external-net",
        "Neutron external network",
        "Adds external network attribute to network resource.",
    ),
    (
        "router",
        "Neutron L3 Router",
        "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
    ),
    (
        "ext-gw-mode",
        "Neutron L3 Configurable external gateway mode",
        "Extension of the router abstraction for specifying whether SNAT should occur on the external gateway",
    ),
    (
        "extraroute",
        "Neutron Extra Route",
        "Extra routes configuration for L3 router",
    ),
    (
        "quotas",
        "Quota management support",
        "Expose functions for quotas management per project",
    ),
    (
        "quota_details",
        "Quota details management support",
        "Expose functions for quotas usage statistics per project",
    ),
    ("security-group", "security-group", "The security groups extension."),
    (
        "provider",
        "Provider Network",
        "Expose mapping of virtual networks to physical networks",
    ),
    ("port-security", "Port Security", "Provides port security"),
    (
        "binding",
        "Port Binding",
        "Expose port bindings of a virtual port to external application",
    ),
    (
        "standard-attr-description",
        "standard-attr-description",
        "Extension to add descriptions to standard attributes",
    ),
    (
        "standard-attr-revisions",
        "Resource revision numbers",
        "This extension will display the revision number of neutron resources.",
    ),
    (
        "standard-attr-timestamp",
        "Resource timestamps",
        "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
    ),
    (
        "availability_zone",
        "Availability Zone",
        "The availability zone extension.",
    ),
    (
        "network_availability_zone",
        "Network Availability Zone",
        "Availability zone support for network.",
    ),
    (
        "router_availability_zone",
        "Router Availability Zone",
        "Availability zone support for router.",
    ),
    (
        "net-mtu",
        "Network MTU",
        "Provides MTU attribute for a network resource.",
    ),
    (
        "stateful-security-group",
        "Stateful security group",
        "Indicates if the security group is stateful or not",
    ),
];

/// Nova/Neutron routes under `/network`.
pub fn routes() -> axum::Router<ApiState> {
    let v = "/network/v2.0";
    axum::Router::new()
        .route("/network", get(versions))
        .route("/network/", get(versions))
        .route(v, get(resources))
        .route(&format!("{v}/"), get(resources))
        .route(&format!("{v}/extensions"), get(extensions))
        .route(&format!("{v}/extensions/{{alias}}"), get(extension))
        .route(&format!("{v}/networks"), get(list_networks).post(create_network))
        .route(
            &format!("{v}/networks/{{id}}"),
            get(show_network).put(update_network).delete(delete_network),
        )
        .route(&format!("{v}/subnets"), get(list_subnets).post(create_subnet))
        .route(
            &format!("{v}/subnets/{{id}}"),
            get(show_subnet).put(update_subnet).delete(delete_subnet),
        )
        .route(&format!("{v}/ports"), get(list_ports).post(create_port))
        .route(
            &format!("{v}/ports/{{id}}"),
            get(show_port).put(update_port).delete(delete_port),
        )
        .route(&format!("{v}/routers"), get(list_routers).post(create_router))
        .route(
            &format!("{v}/routers/{{id}}"),
            get(show_router).put(update_router).delete(delete_router),
        )
        .route(&format!("{v}/routers/{{id}}/add_router_interface"), put(add_interface))
        .route(
            &format!("{v}/routers/{{id}}/remove_router_interface"),
            put(remove_interface),
        )
        .route(&format!("{v}/floatingips"), get(list_fips).post(create_fip))
        .route(
            &format!("{v}/floatingips/{{id}}"),
            get(show_fip).put(update_fip).delete(delete_fip),
        )
        .route(&format!("{v}/security-groups"), get(list_sgs).post(create_sg))
        .route(
            &format!("{v}/security-groups/{{id}}"),
            get(show_sg).put(update_sg).delete(delete_sg),
        )
        .route(&format!("{v}/security-group-rules"), get(list_rules).post(create_rule))
        .route(
            &format!("{v}/security-group-rules/{{id}}"),
            get(show_rule).delete(delete_rule),
        )
        .route(&format!("{v}/quotas"), get(list_quotas))
        .route(
            &format!("{v}/quotas/{{project}}"),
            get(show_quota).put(update_quota).delete(delete_quota),
        )
        .route(&format!("{v}/quotas/{{project}}/default"), get(show_quota_default))
        .route(&format!("{v}/quotas/{{project}}/details.json"), get(show_quota_details))
}

async fn versions(headers: HeaderMap) -> R {
    let base = base_url(&headers);
    ok(
        StatusCode::OK,
        json!({"versions": [{"status": "CURRENT", "id": "v2.0", "links": [{"href": format!("{base}/network/v2.0/"), "rel": "self"}]}]}),
    )
}

async fn resources(headers: HeaderMap) -> R {
    let base = base_url(&headers);
    let list: Vec<Value> = [
        ("subnet", "subnets"),
        ("network", "networks"),
        ("port", "ports"),
        ("router", "routers"),
        ("floatingip", "floatingips"),
        ("security_group", "security-groups"),
        ("security_group_rule", "security-group-rules"),
        ("quota", "quotas"),
    ]
    .iter()
    .map(|(name, coll)| json!({"links": [{"href": format!("{base}/network/v2.0/{coll}"), "rel": "self"}], "name": name, "collection": coll}))
    .collect();
    ok(StatusCode::OK, json!({"resources": list}))
}

fn extension_view(alias: &str, name: &str, description: &str) -> Value {
    json!({"alias": alias, "name": name, "description": description, "updated": "2013-01-01T10:00:00-00:00", "links": []})
}

async fn extensions(_auth: Auth) -> R {
    let list: Vec<Value> = EXTENSIONS.iter().map(|(a, n, d)| extension_view(a, n, d)).collect();
    ok(StatusCode::OK, json!({"extensions": list}))
}

async fn extension(_auth: Auth, Path(alias): Path<String>) -> R {
    match EXTENSIONS.iter().find(|(a, _, _)| *a == alias) {
        Some((a, n, d)) => ok(StatusCode::OK, json!({"extension": extension_view(a, n, d)})),
        None => Err(SimError::Missing {
            kind: "HTTPNotFound",
            message: format!("Extension with alias {alias} does not exist"),
        }
        .into()),
    }
}

fn ts(t: &Time) -> String {
    time_z(t)
}

/// Neutron's JSON of a network.
pub fn network_view(n: &Network, subnets: Vec<String>, admin: bool) -> Value {
    let mut v = json!({
        "id": n.id, "name": n.name, "tenant_id": n.project_id, "project_id": n.project_id,
        "admin_state_up": n.admin_state_up, "mtu": n.mtu, "status": "ACTIVE", "subnets": subnets,
        "shared": n.shared, "router:external": n.external, "availability_zone_hints": [],
        "availability_zones": ["nova"], "ipv4_address_scope": null, "ipv6_address_scope": null,
        "description": n.description, "port_security_enabled": n.port_security_enabled, "is_default": false,
        "l2_adjacency": true, "qos_policy_id": null, "tags": [], "created_at": ts(&n.created_at),
        "updated_at": ts(&n.updated_at), "revision_number": n.revision_number,
    });
    if admin {
        v["provider:network_type"] = json!(n.network_type);
        v["provider:physical_network"] = json!(n.physical_network);
        v["provider:segmentation_id"] = json!(n.segmentation_id);
    }
    v
}

/// Neutron's JSON of a subnet.
pub fn subnet_view(s: &Subnet) -> Value {
    json!({
        "id": s.id, "name": s.name, "tenant_id": s.project_id, "project_id": s.project_id, "network_id": s.network_id,
        "ip_version": 4, "subnetpool_id": null, "enable_dhcp": s.enable_dhcp, "ipv6_ra_mode": null,
        "ipv6_address_mode": null, "gateway_ip": s.gateway_ip.map(|g| g.to_string()), "cidr": s.cidr.to_string(),
        "allocation_pools": s.allocation_pools.iter().map(|p| json!({"start": p.start.to_string(), "end": p.end.to_string()})).collect::<Vec<_>>(),
        "host_routes": s.host_routes.iter().map(|r| json!({"destination": r.destination, "nexthop": r.nexthop})).collect::<Vec<_>>(),
        "dns_nameservers": s.dns_nameservers, "description": s.description, "service_types": [], "tags": [],
        "created_at": ts(&s.created_at), "updated_at": ts(&s.updated_at), "revision_number": s.revision_number,
    })
}

/// Neutron's JSON of a port.
pub fn port_view(p: &Port, admin: bool) -> Value {
    let mut v = json!({
        "id": p.id, "name": p.name, "network_id": p.network_id, "tenant_id": p.project_id, "project_id": p.project_id,
        "mac_address": p.mac_address, "admin_state_up": p.admin_state_up, "status": p.status,
        "device_id": p.device_id, "device_owner": p.device_owner,
        "fixed_ips": p.fixed_ips.iter().map(|f| json!({"subnet_id": f.subnet_id, "ip_address": f.ip_address.to_string()})).collect::<Vec<_>>(),
        "allowed_address_pairs": [], "extra_dhcp_opts": [], "security_groups": p.security_groups,
        "description": p.description, "binding:vnic_type": "normal", "port_security_enabled": p.port_security_enabled,
        "tags": [], "created_at": ts(&p.created_at), "updated_at": ts(&p.updated_at), "revision_number": p.revision_number,
    });
    if admin {
        v["binding:host_id"] = json!(p.binding_host_id);
        v["binding:profile"] = json!({});
        v["binding:vif_details"] = json!({});
        v["binding:vif_type"] = json!(if p.binding_host_id.is_empty() { "unbound" } else { "ovs" });
    }
    v
}

/// Neutron's JSON of a router.
pub fn router_view(r: &Router, admin: bool) -> Value {
    let gw = r.gateway.as_ref().map(|g| {
        json!({"network_id": g.network_id, "enable_snat": g.enable_snat,
            "external_fixed_ips": g.external_fixed_ips.iter().map(|f| json!({"subnet_id": f.subnet_id, "ip_address": f.ip_address.to_string()})).collect::<Vec<_>>()})
    });
    let mut v = json!({
        "id": r.id, "name": r.name, "tenant_id": r.project_id, "project_id": r.project_id,
        "admin_state_up": r.admin_state_up, "status": "ACTIVE", "external_gateway_info": gw,
        "routes": r.routes.iter().map(|x| json!({"destination": x.destination, "nexthop": x.nexthop})).collect::<Vec<_>>(),
        "description": r.description, "availability_zone_hints": [], "availability_zones": ["nova"],
        "flavor_id": null, "tags": [], "created_at": ts(&r.created_at), "updated_at": ts(&r.updated_at),
        "revision_number": r.revision_number,
    });
    if admin {
        v["distributed"] = json!(false);
        v["ha"] = json!(false);
    }
    v
}

/// Neutron's JSON of a floating IP.
pub fn fip_view(f: &FloatingIp) -> Value {
    json!({
        "id": f.id, "tenant_id": f.project_id, "project_id": f.project_id, "floating_network_id": f.floating_network_id,
        "floating_ip_address": f.floating_ip_address.to_string(), "router_id": f.router_id, "port_id": f.port_id,
        "fixed_ip_address": f.fixed_ip_address.map(|i| i.to_string()),
        "status": if f.port_id.is_some() { "ACTIVE" } else { "DOWN" }, "description": f.description,
        "port_details": null, "qos_policy_id": null, "tags": [], "port_forwardings": [],
        "created_at": ts(&f.created_at), "updated_at": ts(&f.updated_at), "revision_number": f.revision_number,
    })
}

/// Neutron's JSON of a security group rule.
pub fn rule_view(r: &SecurityGroupRule) -> Value {
    json!({
        "id": r.id, "tenant_id": r.project_id, "project_id": r.project_id, "security_group_id": r.security_group_id,
        "direction": r.direction, "ethertype": r.ethertype, "protocol": r.protocol,
        "port_range_min": r.port_range_min, "port_range_max": r.port_range_max, "remote_ip_prefix": r.remote_ip_prefix,
        "remote_group_id": r.remote_group_id, "remote_address_group_id": null,
        "normalized_cidr": r.remote_ip_prefix, "description": r.description, "tags": [],
        "created_at": ts(&r.created_at), "updated_at": ts(&r.updated_at), "revision_number": r.revision_number,
    })
}

/// Neutron's JSON of a security group with its rules.
pub fn sg_view(g: &SecurityGroup, rules: &[SecurityGroupRule]) -> Value {
    json!({
        "id": g.id, "name": g.name, "tenant_id": g.project_id, "project_id": g.project_id, "description": g.description,
        "stateful": g.stateful, "shared": false, "tags": [],
        "security_group_rules": rules.iter().map(rule_view).collect::<Vec<_>>(),
        "created_at": ts(&g.created_at), "updated_at": ts(&g.updated_at), "revision_number": g.revision_number,
    })
}

fn project_of(m: &Map<String, Value>) -> Result<Option<String>, SimError> {
    Ok(m.str_opt("project_id")?.or(m.str_opt("tenant_id")?))
}

fn list(key: &str, items: Vec<Value>, q: &Query) -> R {
    ok(StatusCode::OK, json!({ key: neutron_filter(items, q) }))
}

async fn list_networks(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    let items = st
        .cloud
        .list_networks(&ctx)
        .await
        .iter()
        .map(|n| network_view(n, st.cloud.network_subnets(&n.id), ctx.is_admin))
        .collect();
    list("networks", items, &q)
}

async fn show_network(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    let n = st.cloud.get_network(&ctx, &id).await?;
    ok(
        StatusCode::OK,
        json!({"network": network_view(&n, st.cloud.network_subnets(&n.id), ctx.is_admin)}),
    )
}

async fn create_network(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "network")?;
    let req = NetworkCreate {
        name: m.str_opt("name")?.unwrap_or_default(),
        project_id: project_of(m)?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        shared: m.bool_opt("shared")?.unwrap_or(false),
        external: m.bool_opt("router:external")?.unwrap_or(false),
        mtu: m.u32_opt("mtu")?,
        network_type: m.str_opt("provider:network_type")?,
        physical_network: m.str_opt("provider:physical_network")?,
        segmentation_id: m.u32_opt("provider:segmentation_id")?,
        port_security_enabled: m.bool_opt("port_security_enabled")?,
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    let n = st.cloud.create_network(&ctx, req).await?;
    ok(
        StatusCode::CREATED,
        json!({"network": network_view(&n, vec![], ctx.is_admin)}),
    )
}

async fn update_network(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "network")?;
    let req = NetworkUpdate {
        name: m.str_opt("name")?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        shared: m.bool_opt("shared")?,
        description: m.str_opt("description")?,
        mtu: m.u32_opt("mtu")?,
        port_security_enabled: m.bool_opt("port_security_enabled")?,
    };
    let n = st.cloud.update_network(&ctx, &id, req).await?;
    ok(
        StatusCode::OK,
        json!({"network": network_view(&n, st.cloud.network_subnets(&n.id), ctx.is_admin)}),
    )
}

async fn delete_network(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_network(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn pools(m: &Map<String, Value>) -> Result<Option<Vec<AllocationPool>>, SimError> {
    let Some(list) = m.get("allocation_pools").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .ok_or_else(|| SimError::invalid_input("allocation_pools must be a list"))?;
    list.iter()
        .map(|p| {
            let ip = |k: &str| {
                p.get(k)
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| SimError::invalid_input(format!("allocation pool needs a valid '{k}'")))
            };
            Ok(AllocationPool {
                start: ip("start")?,
                end: ip("end")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn routes_of(m: &Map<String, Value>, key: &str) -> Result<Option<Vec<HostRoute>>, SimError> {
    let Some(list) = m.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .ok_or_else(|| SimError::invalid_input(format!("{key} must be a list")))?;
    list.iter()
        .map(|r| {
            let s = |k: &str| {
                r.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| SimError::invalid_input(format!("route needs '{k}'")))
            };
            Ok(HostRoute {
                destination: s("destination")?,
                nexthop: s("nexthop")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn list_subnets(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    list(
        "subnets",
        st.cloud.list_subnets(&ctx).await.iter().map(subnet_view).collect(),
        &q,
    )
}

async fn show_subnet(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    ok(
        StatusCode::OK,
        json!({"subnet": subnet_view(&st.cloud.get_subnet(&ctx, &id).await?)}),
    )
}

async fn create_subnet(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "subnet")?;
    let gateway_ip = match m.get("gateway_ip") {
        None => GatewaySpec::Default,
        Some(Value::Null) => GatewaySpec::None,
        Some(Value::String(s)) => GatewaySpec::Ip(
            s.parse()
                .map_err(|_| SimError::invalid_input(format!("'{s}' is not a valid IP address")))?,
        ),
        Some(v) => return Err(SimError::invalid_input(format!("'{v}' is not a valid IP address")).into()),
    };
    let req = SubnetCreate {
        network_id: m.str_opt("network_id")?.ok_or_else(|| {
            SimError::bad_request("Failed to parse request. Required attribute 'network_id' not specified")
        })?,
        cidr: m.str_opt("cidr")?.ok_or_else(|| {
            SimError::bad_request("Bad subnets request: a subnetpool must be specified in the absence of a cidr.")
        })?,
        name: m.str_opt("name")?.unwrap_or_default(),
        project_id: project_of(m)?,
        ip_version: m.u32_opt("ip_version")?.map(|v| v as u8),
        gateway_ip,
        allocation_pools: pools(m)?,
        enable_dhcp: m.bool_opt("enable_dhcp")?,
        dns_nameservers: m.strings_opt("dns_nameservers")?.unwrap_or_default(),
        host_routes: routes_of(m, "host_routes")?.unwrap_or_default(),
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    let s = st.cloud.create_subnet(&ctx, req).await?;
    ok(StatusCode::CREATED, json!({"subnet": subnet_view(&s)}))
}

async fn update_subnet(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "subnet")?;
    let req = SubnetUpdate {
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        enable_dhcp: m.bool_opt("enable_dhcp")?,
        dns_nameservers: m.strings_opt("dns_nameservers")?,
        host_routes: routes_of(m, "host_routes")?,
    };
    ok(
        StatusCode::OK,
        json!({"subnet": subnet_view(&st.cloud.update_subnet(&ctx, &id, req).await?)}),
    )
}

async fn delete_subnet(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_subnet(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn fixed_ip_specs(m: &Map<String, Value>, key: &str) -> Result<Option<Vec<FixedIpSpec>>, SimError> {
    let Some(list) = m.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let list = list
        .as_array()
        .ok_or_else(|| SimError::invalid_input(format!("{key} must be a list")))?;
    list.iter()
        .map(|f| {
            let ip = match f.get("ip_address").and_then(Value::as_str) {
                Some(s) => Some(
                    s.parse()
                        .map_err(|_| SimError::invalid_input(format!("'{s}' is not a valid IP address")))?,
                ),
                None => None,
            };
            Ok(FixedIpSpec {
                subnet_id: f.get("subnet_id").and_then(Value::as_str).map(str::to_string),
                ip_address: ip,
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn list_ports(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    list(
        "ports",
        st.cloud
            .list_ports(&ctx)
            .await
            .iter()
            .map(|p| port_view(p, ctx.is_admin))
            .collect(),
        &q,
    )
}

async fn show_port(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    ok(
        StatusCode::OK,
        json!({"port": port_view(&st.cloud.get_port(&ctx, &id).await?, ctx.is_admin)}),
    )
}

async fn create_port(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "port")?;
    let req = PortCreate {
        network_id: m.str_opt("network_id")?.ok_or_else(|| {
            SimError::bad_request("Failed to parse request. Required attribute 'network_id' not specified")
        })?,
        name: m.str_opt("name")?.unwrap_or_default(),
        project_id: project_of(m)?,
        fixed_ips: fixed_ip_specs(m, "fixed_ips")?,
        mac_address: m.str_opt("mac_address")?,
        device_id: m.str_opt("device_id")?.unwrap_or_default(),
        device_owner: m.str_opt("device_owner")?.unwrap_or_default(),
        security_groups: m.strings_opt("security_groups")?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        port_security_enabled: m.bool_opt("port_security_enabled")?,
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    let p = st.cloud.create_port(&ctx, req).await?;
    ok(StatusCode::CREATED, json!({"port": port_view(&p, ctx.is_admin)}))
}

async fn update_port(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "port")?;
    let req = PortUpdate {
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        device_id: m.str_opt("device_id")?,
        device_owner: m.str_opt("device_owner")?,
        security_groups: m.strings_opt("security_groups")?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        port_security_enabled: m.bool_opt("port_security_enabled")?,
    };
    ok(
        StatusCode::OK,
        json!({"port": port_view(&st.cloud.update_port(&ctx, &id, req).await?, ctx.is_admin)}),
    )
}

async fn delete_port(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_port(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn gateway_info(v: &Value) -> Result<Option<GatewayInfo>, SimError> {
    match v {
        Value::Null => Ok(None),
        Value::Object(o) if o.is_empty() => Ok(None),
        Value::Object(o) => Ok(Some(GatewayInfo {
            network_id: o
                .str_opt("network_id")?
                .ok_or_else(|| SimError::invalid_input("external_gateway_info needs network_id"))?,
            enable_snat: o.bool_opt("enable_snat")?,
            external_fixed_ips: fixed_ip_specs(o, "external_fixed_ips")?.unwrap_or_default(),
        })),
        other => Err(SimError::invalid_input(format!("'{other}' is not a dictionary"))),
    }
}

async fn list_routers(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    list(
        "routers",
        st.cloud
            .list_routers(&ctx)
            .await
            .iter()
            .map(|r| router_view(r, ctx.is_admin))
            .collect(),
        &q,
    )
}

async fn show_router(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    ok(
        StatusCode::OK,
        json!({"router": router_view(&st.cloud.get_router(&ctx, &id).await?, ctx.is_admin)}),
    )
}

async fn create_router(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "router")?;
    let req = RouterCreate {
        name: m.str_opt("name")?.unwrap_or_default(),
        project_id: project_of(m)?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        external_gateway_info: match m.get("external_gateway_info") {
            Some(v) => gateway_info(v)?,
            None => None,
        },
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    let r = st.cloud.create_router(&ctx, req).await?;
    ok(StatusCode::CREATED, json!({"router": router_view(&r, ctx.is_admin)}))
}

async fn update_router(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "router")?;
    let req = RouterUpdate {
        name: m.str_opt("name")?,
        description: m.str_opt("description")?,
        admin_state_up: m.bool_opt("admin_state_up")?,
        external_gateway_info: match m.get("external_gateway_info") {
            Some(v) => Some(gateway_info(v)?),
            None => None,
        },
        routes: routes_of(m, "routes")?,
    };
    ok(
        StatusCode::OK,
        json!({"router": router_view(&st.cloud.update_router(&ctx, &id, req).await?, ctx.is_admin)}),
    )
}

async fn delete_router(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_router(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn interface_spec(body: &Value) -> Result<InterfaceSpec, SimError> {
    let o = body
        .as_object()
        .ok_or_else(|| SimError::bad_request("Malformed request body"))?;
    match (o.str_opt("subnet_id")?, o.str_opt("port_id")?) {
        (Some(_), Some(_)) => Err(SimError::bad_request(
            "Bad router request: Cannot specify both subnet-id and port-id.",
        )),
        (Some(s), None) => Ok(InterfaceSpec::Subnet(s)),
        (None, Some(p)) => Ok(InterfaceSpec::Port(p)),
        (None, None) => Err(SimError::bad_request(
            "Bad router request: Either subnet_id or port_id must be specified.",
        )),
    }
}

fn interface_view(i: &InterfaceInfo) -> Value {
    json!({"id": i.router_id, "tenant_id": i.project_id, "project_id": i.project_id, "port_id": i.port_id,
        "subnet_id": i.subnet_id, "subnet_ids": [i.subnet_id], "network_id": i.network_id, "tags": []})
}

async fn add_interface(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let spec = interface_spec(&parse_body(&body)?)?;
    ok(
        StatusCode::OK,
        interface_view(&st.cloud.add_router_interface(&ctx, &id, spec).await?),
    )
}

async fn remove_interface(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let spec = interface_spec(&parse_body(&body)?)?;
    ok(
        StatusCode::OK,
        interface_view(&st.cloud.remove_router_interface(&ctx, &id, spec).await?),
    )
}

fn ip_opt(m: &Map<String, Value>, key: &str) -> Result<Option<std::net::Ipv4Addr>, SimError> {
    match m.str_opt(key)? {
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| SimError::invalid_input(format!("'{s}' is not a valid IP address"))),
        None => Ok(None),
    }
}

async fn list_fips(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    list(
        "floatingips",
        st.cloud.list_floating_ips(&ctx).await.iter().map(fip_view).collect(),
        &q,
    )
}

async fn show_fip(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    ok(
        StatusCode::OK,
        json!({"floatingip": fip_view(&st.cloud.get_floating_ip(&ctx, &id).await?)}),
    )
}

async fn create_fip(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "floatingip")?;
    let req = FloatingIpCreate {
        floating_network_id: m.str_opt("floating_network_id")?.ok_or_else(|| {
            SimError::bad_request("Failed to parse request. Required attribute 'floating_network_id' not specified")
        })?,
        project_id: project_of(m)?,
        floating_ip_address: ip_opt(m, "floating_ip_address")?,
        port_id: m.str_opt("port_id")?,
        fixed_ip_address: ip_opt(m, "fixed_ip_address")?,
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    ok(
        StatusCode::CREATED,
        json!({"floatingip": fip_view(&st.cloud.create_floating_ip(&ctx, req).await?)}),
    )
}

async fn update_fip(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "floatingip")?;
    let req = FloatingIpUpdate {
        port_id: if m.contains_key("port_id") {
            Some(m.str_opt("port_id")?)
        } else {
            None
        },
        fixed_ip_address: ip_opt(m, "fixed_ip_address")?,
        description: m.str_opt("description")?,
    };
    ok(
        StatusCode::OK,
        json!({"floatingip": fip_view(&st.cloud.update_floating_ip(&ctx, &id, req).await?)}),
    )
}

async fn delete_fip(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_floating_ip(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_sgs(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    let items = st
        .cloud
        .list_security_groups(&ctx)
        .await
        .iter()
        .map(|g| sg_view(g, &st.cloud.rules_of(&g.id)))
        .collect();
    list("security_groups", items, &q)
}

async fn show_sg(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    let g = st.cloud.get_security_group(&ctx, &id).await?;
    ok(
        StatusCode::OK,
        json!({"security_group": sg_view(&g, &st.cloud.rules_of(&g.id))}),
    )
}

async fn create_sg(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "security_group")?;
    let req = SecurityGroupCreate {
        name: m.str_opt("name")?.unwrap_or_default(),
        project_id: project_of(m)?,
        description: m.str_opt("description")?.unwrap_or_default(),
        stateful: m.bool_opt("stateful")?,
    };
    let g = st.cloud.create_security_group(&ctx, req).await?;
    ok(
        StatusCode::CREATED,
        json!({"security_group": sg_view(&g, &st.cloud.rules_of(&g.id))}),
    )
}

async fn update_sg(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "security_group")?;
    let g = st
        .cloud
        .update_security_group(&ctx, &id, m.str_opt("name")?, m.str_opt("description")?)
        .await?;
    ok(
        StatusCode::OK,
        json!({"security_group": sg_view(&g, &st.cloud.rules_of(&g.id))}),
    )
}

async fn delete_sg(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_security_group(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_rules(State(st): State<ApiState>, Auth(ctx): Auth, q: Query) -> R {
    list(
        "security_group_rules",
        st.cloud
            .list_security_group_rules(&ctx)
            .await
            .iter()
            .map(rule_view)
            .collect(),
        &q,
    )
}

async fn show_rule(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    ok(
        StatusCode::OK,
        json!({"security_group_rule": rule_view(&st.cloud.get_security_group_rule(&ctx, &id).await?)}),
    )
}

async fn create_rule(State(st): State<ApiState>, Auth(ctx): Auth, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "security_group_rule")?;
    let port = |k: &str| -> Result<Option<u32>, SimError> { m.u32_opt(k) };
    let protocol = match m.get("protocol") {
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => m.str_opt("protocol")?,
    };
    let req = RuleCreate {
        security_group_id: m.str_opt("security_group_id")?.ok_or_else(|| {
            SimError::bad_request("Failed to parse request. Required attribute 'security_group_id' not specified")
        })?,
        direction: m.str_opt("direction")?.ok_or_else(|| {
            SimError::bad_request("Failed to parse request. Required attribute 'direction' not specified")
        })?,
        ethertype: m.str_opt("ethertype")?,
        protocol,
        port_range_min: port("port_range_min")?,
        port_range_max: port("port_range_max")?,
        remote_ip_prefix: m.str_opt("remote_ip_prefix")?,
        remote_group_id: m.str_opt("remote_group_id")?,
        description: m.str_opt("description")?.unwrap_or_default(),
    };
    ok(
        StatusCode::CREATED,
        json!({"security_group_rule": rule_view(&st.cloud.create_security_group_rule(&ctx, req).await?)}),
    )
}

async fn delete_rule(State(st): State<ApiState>, Auth(ctx): Auth, Path(id): Path<String>) -> R {
    st.cloud.delete_security_group_rule(&ctx, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn project_param(ctx: &super::super::context::RequestContext, project: &str) -> String {
    if project == "tenant" {
        ctx.project_id.clone()
    } else {
        project.to_string()
    }
}

async fn show_quota(State(st): State<ApiState>, Auth(ctx): Auth, Path(project): Path<String>) -> R {
    let project = project_param(&ctx, &project);
    let set = st.cloud.quota_set(&ctx, &project, Service::Network).await?;
    let quota: Map<String, Value> = set.into_iter().map(|(n, l, _)| (n.to_string(), json!(l))).collect();
    ok(StatusCode::OK, json!({"quota": quota}))
}

async fn show_quota_default(Auth(_ctx): Auth, Path(_project): Path<String>) -> R {
    let quota: Map<String, Value> = super::super::quotas::NETWORK_DEFAULTS
        .iter()
        .map(|(n, l)| (n.to_string(), json!(l)))
        .collect();
    ok(StatusCode::OK, json!({"quota": quota}))
}

async fn show_quota_details(State(st): State<ApiState>, Auth(ctx): Auth, Path(project): Path<String>) -> R {
    let project = project_param(&ctx, &project);
    let set = st.cloud.quota_set(&ctx, &project, Service::Network).await?;
    let quota: Map<String, Value> = set
        .into_iter()
        .map(|(n, l, u)| (n.to_string(), json!({"limit": l, "used": u, "reserved": 0})))
        .collect();
    ok(StatusCode::OK, json!({"quota": quota}))
}

async fn list_quotas(State(st): State<ApiState>, Auth(ctx): Auth) -> R {
    if !ctx.is_admin {
        return Err(SimError::forbidden("rule:get_quota is disallowed by policy").into());
    }
    let set = st.cloud.quota_set(&ctx, &ctx.project_id, Service::Network).await?;
    let mut quota: Map<String, Value> = set.into_iter().map(|(n, l, _)| (n.to_string(), json!(l))).collect();
    quota.insert("project_id".into(), json!(ctx.project_id));
    quota.insert("tenant_id".into(), json!(ctx.project_id));
    ok(StatusCode::OK, json!({"quotas": [quota]}))
}

async fn update_quota(State(st): State<ApiState>, Auth(ctx): Auth, Path(project): Path<String>, body: Bytes) -> R {
    let body = parse_body(&body)?;
    let m = member(&body, "quota")?;
    let mut values = Vec::new();
    for (k, v) in m {
        let n = v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .ok_or_else(|| SimError::invalid_input(format!("'{v}' is not an integer")))?;
        if super::super::quotas::service_of(k) != Some(Service::Network) {
            return Err(SimError::invalid_input(format!("Unrecognized attribute(s) '{k}'")).into());
        }
        values.push((k.clone(), n));
    }
    st.cloud.update_quotas(&ctx, &project, &values).await?;
    let set = st.cloud.quota_set(&ctx, &project, Service::Network).await?;
    let quota: Map<String, Value> = set.into_iter().map(|(n, l, _)| (n.to_string(), json!(l))).collect();
    ok(StatusCode::OK, json!({"quota": quota}))
}

async fn delete_quota(State(st): State<ApiState>, Auth(ctx): Auth, Path(project): Path<String>) -> R {
    st.cloud.reset_quotas(&ctx, &project, Service::Network).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
