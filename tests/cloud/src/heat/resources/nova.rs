//! Nova resources: `OS::Nova::Server` (boot, wait for ACTIVE or ERROR with the fault as
//! Heat reports it, attributes from the server's representation), `OS::Nova::ServerGroup`
//! and `OS::Nova::KeyPair`.

use serde_json::{Map, Value};

use super::super::actions::ResCtx;
use super::super::backend::{ServerInfo, ServerNetwork, ServerRequest};
use super::super::error::ResourceFailure;
use super::{list, m, s};

fn networks(props: &Map<String, Value>) -> Vec<ServerNetwork> {
    props
        .get("networks")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|n| ServerNetwork {
            port: s(n, "port"),
            network: s(n, "network").or_else(|| s(n, "uuid")),
            fixed_ip: s(n, "fixed_ip"),
            subnet: s(n, "subnet"),
        })
        .collect()
}

/// The attributes Heat derives from a server's representation.
pub(crate) fn attrs_of(info: &ServerInfo) -> Map<String, Value> {
    let raw = &info.raw;
    let mut a = Map::new();
    a.insert("name".into(), raw.get("name").cloned().unwrap_or(Value::Null));
    let addresses = raw.get("addresses").cloned().unwrap_or(Value::Object(Map::new()));
    let mut networks = Map::new();
    let mut first = None;
    if let Some(addrs) = addresses.as_object() {
        for (net, entries) in addrs {
            let ips: Vec<Value> = entries
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.get("addr").cloned())
                .collect();
            if first.is_none() {
                first = ips.first().cloned();
            }
            networks.insert(net.clone(), Value::Array(ips));
        }
    }
    a.insert("addresses".into(), addresses);
    a.insert("networks".into(), Value::Object(networks));
    a.insert("first_address".into(), first.unwrap_or(Value::String(String::new())));
    a.insert(
        "accessIPv4".into(),
        raw.get("accessIPv4").cloned().unwrap_or(Value::String(String::new())),
    );
    a.insert(
        "accessIPv6".into(),
        raw.get("accessIPv6").cloned().unwrap_or(Value::String(String::new())),
    );
    a.insert(
        "instance_name".into(),
        raw.get("OS-EXT-SRV-ATTR:instance_name").cloned().unwrap_or(Value::Null),
    );
    a.insert("console_urls".into(), Value::Object(Map::new()));
    a.insert("os_collect_config".into(), Value::Object(Map::new()));
    a.insert("tags".into(), raw.get("tags").cloned().unwrap_or(Value::Null));
    a.insert("show".into(), raw.clone());
    a
}

/// Boots a server and waits until it is ACTIVE.
pub(crate) async fn create_server(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let mut bdm: Vec<Value> = props
        .get("block_device_mapping")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    bdm.extend(
        props
            .get("block_device_mapping_v2")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
    );
    let req = ServerRequest {
        name: s(props, "name").unwrap_or_else(|| rc.physical_name()),
        image: s(props, "image"),
        flavor: s(props, "flavor").unwrap_or_default(),
        key_name: s(props, "key_name"),
        availability_zone: s(props, "availability_zone"),
        networks: networks(props),
        security_groups: list(props, "security_groups"),
        scheduler_hints: m(props, "scheduler_hints"),
        metadata: m(props, "metadata"),
        user_data: props.get("user_data").and_then(Value::as_str).map(str::to_string),
        admin_user: s(props, "admin_user"),
        block_device_mapping: bdm,
        config_drive: props.get("config_drive").and_then(Value::as_bool).unwrap_or(false),
    };
    let id = rc
        .backend()
        .create_server(&rc.who, &req)
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&id);
    loop {
        let info = rc
            .backend()
            .get_server(&rc.who, &id)
            .await
            .map_err(|e| rc.backend_fail(e))?;
        match info.status.as_str() {
            "ACTIVE" => {
                rc.set_attrs(attrs_of(&info));
                return Ok(());
            }
            "ERROR" => {
                let fault = info.raw.get("fault").cloned().unwrap_or(Value::Null);
                let text = |k: &str| match fault.get(k) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Number(n)) => n.to_string(),
                    _ => "Unknown".to_string(),
                };
                rc.set_attrs(attrs_of(&info));
                return Err(rc.fail(
                    "ResourceInError",
                    format!(
                        "Went to status ERROR due to \"Message: {}, Code: {}\"",
                        text("message"),
                        text("code")
                    ),
                ));
            }
            "BUILD" | "HARD_REBOOT" | "PASSWORD" | "REBOOT" | "RESCUE" | "RESIZE" | "REVERT_RESIZE" | "SHUTOFF"
            | "SUSPENDED" | "VERIFY_RESIZE" => rc.pause().await?,
            other => {
                return Err(rc.fail(
                    "ResourceUnknownStatus",
                    format!("Server is not active - Unknown status {other} due to \"Unknown\""),
                ));
            }
        }
    }
}

/// Reads a server's attributes.
pub(crate) async fn server_attrs(rc: &ResCtx, id: &str) -> Option<Map<String, Value>> {
    rc.backend().get_server(&rc.who, id).await.ok().map(|i| attrs_of(&i))
}

/// Renames a server / sets its metadata.
pub(crate) async fn update_server(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let Some(id) = rc.physical_id() else { return Ok(()) };
    let name = s(props, "name").unwrap_or_else(|| rc.physical_name());
    let meta = m(props, "metadata");
    rc.backend()
        .update_server(&rc.who, &id, Some(&name), Some(&meta))
        .await
        .map_err(|e| rc.backend_fail(e))?;
    if let Some(a) = server_attrs(rc, &id).await {
        rc.set_attrs(a);
    }
    Ok(())
}

/// Deletes a server and waits until it is gone.
pub(crate) async fn delete_server(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_server(&rc.who, id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(rc.backend_fail(e)),
    }
    loop {
        match rc.backend().get_server(&rc.who, id).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(rc.backend_fail(e)),
            Ok(info) if info.status == "DELETED" || info.status == "SOFT_DELETED" => return Ok(()),
            Ok(info) if info.status == "ERROR" && info.raw.get("OS-EXT-STS:task_state").is_some_and(Value::is_null) => {
                let msg = info
                    .raw
                    .get("fault")
                    .and_then(|f| f.get("message"))
                    .and_then(Value::as_str)
                    .unwrap_or("Unknown");
                return Err(rc.fail(
                    "ResourceInError",
                    format!("Went to status ERROR due to \"Message: {msg}, Code: Unknown\""),
                ));
            }
            Ok(_) => rc.pause().await?,
        }
    }
}

/// Creates a server group.
pub(crate) async fn create_server_group(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let name = s(props, "name").unwrap_or_else(|| rc.physical_name());
    let mut policies = list(props, "policies");
    if policies.is_empty() {
        policies.push("anti-affinity".into());
    }
    let g = rc
        .backend()
        .create_server_group(&rc.who, &name, &policies, &m(props, "rules"))
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&g.id);
    let mut attrs = Map::new();
    attrs.insert("show".into(), g.raw);
    rc.set_attrs(attrs);
    Ok(())
}

/// Deletes a server group.
pub(crate) async fn delete_server_group(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_server_group(&rc.who, id).await {
        Err(e) if !e.is_not_found() => Err(rc.backend_fail(e)),
        _ => Ok(()),
    }
}

/// Creates (imports or generates) a keypair.
pub(crate) async fn create_keypair(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let name = s(props, "name").unwrap_or_else(|| rc.physical_name());
    let public = s(props, "public_key");
    let kp = rc
        .backend()
        .create_keypair(&rc.who, &name, public.as_deref(), s(props, "type").as_deref())
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&kp.name);
    let save = props.get("save_private_key").and_then(Value::as_bool).unwrap_or(false);
    let mut attrs = Map::new();
    attrs.insert("public_key".into(), Value::String(kp.public_key.clone()));
    let private = if save {
        kp.private_key.clone().map(Value::String)
    } else {
        None
    };
    attrs.insert("private_key".into(), private.unwrap_or(Value::String(String::new())));
    let mut show = Map::new();
    show.insert("name".into(), Value::String(kp.name.clone()));
    show.insert("public_key".into(), Value::String(kp.public_key));
    attrs.insert("show".into(), Value::Object(show));
    rc.set_attrs(attrs);
    Ok(())
}

/// Deletes a keypair.
pub(crate) async fn delete_keypair(rc: &ResCtx, name: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_keypair(&rc.who, name).await {
        Err(e) if !e.is_not_found() => Err(rc.backend_fail(e)),
        _ => Ok(()),
    }
}
