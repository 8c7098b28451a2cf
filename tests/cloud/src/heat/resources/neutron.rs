//! Neutron resources: `OS::Neutron::Port` (created, then waited on while `BUILD`),
//! `OS::Neutron::FloatingIP` (associated through `port_id`), `OS::Neutron::FloatingIPAssociation`
//! and `OS::Neutron::SecurityGroup` with its rules.

use serde_json::{Map, Value};

use super::super::actions::ResCtx;
use super::super::backend::{FloatingIpRequest, PortRequest, PortUpdate, SecurityGroupRequest, SecurityGroupRule};
use super::super::error::ResourceFailure;
use super::{list, m, s};

fn show_attrs(raw: &Value) -> Map<String, Value> {
    let mut a = raw.as_object().cloned().unwrap_or_default();
    a.insert("show".into(), raw.clone());
    a
}

/// Port attributes from its representation (`subnets` derived from `fixed_ips`).
fn port_attrs_of(raw: &Value) -> Map<String, Value> {
    let mut a = show_attrs(raw);
    let subnets: Vec<Value> = raw
        .get("fixed_ips")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|f| f.get("subnet_id").cloned())
        .collect();
    a.entry("subnets").or_insert(Value::Array(subnets));
    a
}

/// Creates a port and waits while Neutron builds it.
pub(crate) async fn create_port(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let mut extra = m(props, "value_specs");
    for key in [
        "device_id",
        "device_owner",
        "allowed_address_pairs",
        "binding:vnic_type",
        "port_security_enabled",
        "dns_name",
    ] {
        if let Some(v) = props.get(key) {
            extra.insert(key.to_string(), v.clone());
        }
    }
    let fixed_ips = props
        .get("fixed_ips")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|f| {
            let mut out = Map::new();
            if let Some(sn) = f.get("subnet").or_else(|| f.get("subnet_id")) {
                out.insert("subnet_id".into(), sn.clone());
            }
            if let Some(ip) = f.get("ip_address") {
                out.insert("ip_address".into(), ip.clone());
            }
            Value::Object(out)
        })
        .collect();
    let req = PortRequest {
        network: s(props, "network")
            .or_else(|| s(props, "network_id"))
            .unwrap_or_default(),
        name: s(props, "name").unwrap_or_else(|| rc.physical_name()),
        fixed_ips,
        security_groups: props.get("security_groups").map(|_| list(props, "security_groups")),
        mac_address: s(props, "mac_address"),
        admin_state_up: props.get("admin_state_up").and_then(Value::as_bool).unwrap_or(true),
        extra,
    };
    let port = rc
        .backend()
        .create_port(&rc.who, &req)
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&port.id);
    rc.set_attrs(port_attrs_of(&port.raw));
    let mut raw = port.raw;
    loop {
        match raw.get("status").and_then(Value::as_str) {
            Some("BUILD") => {
                rc.pause().await?;
                raw = rc
                    .backend()
                    .get_port(&rc.who, &port.id)
                    .await
                    .map_err(|e| rc.backend_fail(e))?
                    .raw;
                rc.set_attrs(port_attrs_of(&raw));
            }
            Some("ERROR") => {
                return Err(rc.fail("ResourceInError", "Went to status ERROR due to \"Unknown\""));
            }
            _ => return Ok(()),
        }
    }
}

/// Reads a port's attributes.
pub(crate) async fn port_attrs(rc: &ResCtx, id: &str) -> Option<Map<String, Value>> {
    rc.backend()
        .get_port(&rc.who, id)
        .await
        .ok()
        .map(|p| port_attrs_of(&p.raw))
}

/// Updates a port in place (name, security groups, admin state).
pub(crate) async fn update_port(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let Some(id) = rc.physical_id() else { return Ok(()) };
    let update = PortUpdate {
        name: Some(s(props, "name").unwrap_or_else(|| rc.physical_name())),
        security_groups: props.get("security_groups").map(|_| list(props, "security_groups")),
        admin_state_up: props.get("admin_state_up").and_then(Value::as_bool),
    };
    let port = rc
        .backend()
        .update_port(&rc.who, &id, &update)
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_attrs(port_attrs_of(&port.raw));
    Ok(())
}

/// Deletes a port and waits until it is gone.
pub(crate) async fn delete_port(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_port(&rc.who, id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(rc.backend_fail(e)),
    }
    loop {
        match rc.backend().get_port(&rc.who, id).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(rc.backend_fail(e)),
            Ok(_) => rc.pause().await?,
        }
    }
}

/// Allocates a floating IP (associated when `port_id` is given).
pub(crate) async fn create_floating_ip(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let req = FloatingIpRequest {
        floating_network: s(props, "floating_network")
            .or_else(|| s(props, "floating_network_id"))
            .unwrap_or_default(),
        port_id: s(props, "port_id"),
        fixed_ip_address: s(props, "fixed_ip_address"),
        floating_ip_address: s(props, "floating_ip_address"),
    };
    let fip = rc
        .backend()
        .create_floating_ip(&rc.who, &req)
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&fip.id);
    rc.set_attrs(show_attrs(&fip.raw));
    Ok(())
}

/// Reads a floating IP's attributes.
pub(crate) async fn floating_ip_attrs(rc: &ResCtx, id: &str) -> Option<Map<String, Value>> {
    rc.backend()
        .get_floating_ip(&rc.who, id)
        .await
        .ok()
        .map(|f| show_attrs(&f.raw))
}

/// Re-associates a floating IP (new `port_id` / `fixed_ip_address`).
pub(crate) async fn update_floating_ip(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let Some(id) = rc.physical_id() else { return Ok(()) };
    let port = s(props, "port_id");
    let fixed = s(props, "fixed_ip_address");
    let fip = rc
        .backend()
        .update_floating_ip(&rc.who, &id, port.as_deref(), fixed.as_deref())
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_attrs(show_attrs(&fip.raw));
    Ok(())
}

/// Releases a floating IP.
pub(crate) async fn delete_floating_ip(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_floating_ip(&rc.who, id).await {
        Err(e) if !e.is_not_found() => Err(rc.backend_fail(e)),
        _ => Ok(()),
    }
}

/// Associates a floating IP with a port.
pub(crate) async fn create_association(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let fip = s(props, "floatingip_id").unwrap_or_default();
    let port = s(props, "port_id");
    let fixed = s(props, "fixed_ip_address");
    rc.backend()
        .update_floating_ip(&rc.who, &fip, port.as_deref(), fixed.as_deref())
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&fip);
    Ok(())
}

/// Moves an association (another floating IP or port).
pub(crate) async fn update_association(
    rc: &ResCtx,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ResourceFailure> {
    let old_fip = s(old, "floatingip_id");
    let new_fip = s(new, "floatingip_id");
    if old_fip != new_fip
        && let Some(o) = &old_fip
        && let Err(e) = rc.backend().update_floating_ip(&rc.who, o, None, None).await
        && !e.is_not_found()
    {
        return Err(rc.backend_fail(e));
    }
    create_association(rc, new).await
}

/// Disassociates a floating IP.
pub(crate) async fn delete_association(rc: &ResCtx, fip: &str) -> Result<(), ResourceFailure> {
    match rc.backend().update_floating_ip(&rc.who, fip, None, None).await {
        Err(e) if !e.is_not_found() => Err(rc.backend_fail(e)),
        _ => Ok(()),
    }
}

fn port_number(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    }
}

fn group_request(rc: &ResCtx, props: &Map<String, Value>) -> SecurityGroupRequest {
    let rules = props
        .get("rules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|r| {
            let remote_mode = s(r, "remote_mode").unwrap_or_else(|| "remote_ip_prefix".into());
            SecurityGroupRule {
                direction: s(r, "direction").unwrap_or_else(|| "ingress".into()),
                ethertype: s(r, "ethertype").unwrap_or_else(|| "IPv4".into()),
                protocol: s(r, "protocol"),
                port_range_min: port_number(r.get("port_range_min")),
                port_range_max: port_number(r.get("port_range_max")),
                remote_ip_prefix: if remote_mode == "remote_ip_prefix" {
                    s(r, "remote_ip_prefix")
                } else {
                    None
                },
                remote_group_id: if remote_mode == "remote_group_id" {
                    s(r, "remote_group_id")
                } else {
                    None
                },
            }
        })
        .collect();
    SecurityGroupRequest {
        name: s(props, "name").unwrap_or_else(|| rc.physical_name()),
        description: s(props, "description").unwrap_or_default(),
        rules,
    }
}

/// Creates a security group with its rules.
pub(crate) async fn create_security_group(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let sg = rc
        .backend()
        .create_security_group(&rc.who, &group_request(rc, props))
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&sg.id);
    rc.set_attrs(show_attrs(&sg.raw));
    Ok(())
}

/// Sets a security group's name, description and rules.
pub(crate) async fn update_security_group(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let Some(id) = rc.physical_id() else { return Ok(()) };
    let sg = rc
        .backend()
        .update_security_group(&rc.who, &id, &group_request(rc, props))
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_attrs(show_attrs(&sg.raw));
    Ok(())
}

/// Deletes a security group.
pub(crate) async fn delete_security_group(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_security_group(&rc.who, id).await {
        Err(e) if !e.is_not_found() => Err(rc.backend_fail(e)),
        _ => Ok(()),
    }
}
