//! Cinder resources: `OS::Cinder::Volume` (created, waited on until `available`) and
//! `OS::Cinder::VolumeAttachment` (attached through Nova, waited on until `in-use`;
//! detached and waited on until `available`).

use serde_json::{Map, Value};

use super::super::actions::ResCtx;
use super::super::backend::VolumeRequest;
use super::super::error::ResourceFailure;
use super::super::functions::py_json;
use super::{m, s};

fn attrs_of(raw: &Value) -> Map<String, Value> {
    let get = |k: &str| raw.get(k).cloned().unwrap_or(Value::Null);
    let mut a = Map::new();
    for k in [
        "availability_zone",
        "size",
        "snapshot_id",
        "volume_type",
        "metadata",
        "source_volid",
        "status",
        "created_at",
        "bootable",
        "encrypted",
        "multiattach",
    ] {
        a.insert(k.into(), get(k));
    }
    a.insert("display_name".into(), get("name"));
    a.insert("display_description".into(), get("description"));
    let attachments = get("attachments");
    let list = if attachments.is_null() {
        Value::Array(vec![])
    } else {
        attachments
    };
    a.insert("attachments".into(), Value::String(py_json(&list, false)));
    a.insert("attachments_list".into(), list);
    a.insert("metadata_values".into(), get("metadata"));
    a.insert("show".into(), raw.clone());
    a
}

async fn wait_status(rc: &ResCtx, id: &str, want: &str, transitional: &[&str]) -> Result<Value, ResourceFailure> {
    loop {
        let v = rc
            .backend()
            .get_volume(&rc.who, id)
            .await
            .map_err(|e| rc.backend_fail(e))?;
        if v.status == want {
            return Ok(v.raw);
        }
        if !transitional.contains(&v.status.as_str()) {
            return Err(rc.fail(
                "ResourceInError",
                format!("Went to status {} due to \"Unknown\"", v.status),
            ));
        }
        rc.pause().await?;
    }
}

/// Creates a volume and waits until it is available.
pub(crate) async fn create_volume(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let req = VolumeRequest {
        size: props.get("size").and_then(Value::as_i64),
        name: Some(s(props, "name").unwrap_or_else(|| rc.physical_name())),
        description: s(props, "description"),
        volume_type: s(props, "volume_type"),
        availability_zone: s(props, "availability_zone"),
        metadata: m(props, "metadata"),
        image: s(props, "image").or_else(|| s(props, "imageRef")),
        scheduler_hints: m(props, "scheduler_hints"),
    };
    let v = rc
        .backend()
        .create_volume(&rc.who, &req)
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&v.id);
    rc.set_attrs(attrs_of(&v.raw));
    let raw = wait_status(rc, &v.id, "available", &["creating", "downloading"]).await?;
    rc.set_attrs(attrs_of(&raw));
    Ok(())
}

/// Reads a volume's attributes.
pub(crate) async fn volume_attrs(rc: &ResCtx, id: &str) -> Option<Map<String, Value>> {
    rc.backend()
        .get_volume(&rc.who, id)
        .await
        .ok()
        .map(|v| attrs_of(&v.raw))
}

/// Renames a volume / sets its description and metadata.
pub(crate) async fn update_volume(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let Some(id) = rc.physical_id() else { return Ok(()) };
    let name = s(props, "name").unwrap_or_else(|| rc.physical_name());
    let desc = s(props, "description");
    let meta = m(props, "metadata");
    rc.backend()
        .update_volume(&rc.who, &id, Some(&name), desc.as_deref(), Some(&meta))
        .await
        .map_err(|e| rc.backend_fail(e))?;
    if let Some(a) = volume_attrs(rc, &id).await {
        rc.set_attrs(a);
    }
    Ok(())
}

/// Deletes a volume and waits until it is gone.
pub(crate) async fn delete_volume(rc: &ResCtx, id: &str) -> Result<(), ResourceFailure> {
    match rc.backend().delete_volume(&rc.who, id).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(rc.backend_fail(e)),
    }
    loop {
        match rc.backend().get_volume(&rc.who, id).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(rc.backend_fail(e)),
            Ok(v) if v.status == "error_deleting" => {
                return Err(rc.fail("ResourceInError", "Went to status error_deleting due to \"Unknown\""));
            }
            Ok(_) => rc.pause().await?,
        }
    }
}

/// Attaches a volume to a server and waits until it is in use.
pub(crate) async fn create_attachment(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let server = s(props, "instance_uuid").unwrap_or_default();
    let volume = s(props, "volume_id").unwrap_or_default();
    let device = s(props, "mountpoint");
    let att = rc
        .backend()
        .attach_volume(&rc.who, &server, &volume, device.as_deref())
        .await
        .map_err(|e| rc.backend_fail(e))?;
    rc.set_physical_id(&att.id);
    rc.set_data("server", Value::String(server));
    rc.set_data("volume", Value::String(volume.clone()));
    rc.set_data("device", Value::String(att.device));
    wait_status(rc, &volume, "in-use", &["available", "attaching", "reserved"]).await?;
    Ok(())
}

/// Detaches a volume and waits until it is available again.
pub(crate) async fn delete_attachment(rc: &ResCtx, data: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let server = data
        .get("server")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let volume = data
        .get("volume")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    match rc.backend().detach_volume(&rc.who, &server, &volume).await {
        Ok(()) => {}
        Err(e) if e.is_not_found() => return Ok(()),
        Err(e) => return Err(rc.backend_fail(e)),
    }
    loop {
        match rc.backend().get_volume(&rc.who, &volume).await {
            Err(e) if e.is_not_found() => return Ok(()),
            Err(e) => return Err(rc.backend_fail(e)),
            Ok(v) if v.status == "available" => return Ok(()),
            Ok(v) if v.status == "in-use" || v.status == "detaching" => rc.pause().await?,
            Ok(v) => {
                return Err(rc.fail(
                    "ResourceInError",
                    format!("Went to status {} due to \"Unknown\"", v.status),
                ));
            }
        }
    }
}
