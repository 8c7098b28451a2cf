//! `OS::Heat::WaitConditionHandle` (token signal transport: an endpoint and a token
//! that instances POST to, the `curl_cli` Sahara's user data runs) and
//! `OS::Heat::WaitCondition` (waits for `count` SUCCESS signals on its handle, fails on
//! a FAILURE signal or after `timeout` seconds with Heat's messages); `OS::Heat::None`.

use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::super::actions::ResCtx;
use super::super::error::ResourceFailure;
use super::super::functions::py_json;
use super::Kind;

/// Validates and completes one signal's data as Heat's handle does
/// (`normalise_signal_data`): defaults for `reason`, `data`, `id`, `status`; exactly
/// those keys; status SUCCESS or FAILURE.
pub(crate) fn normalise_signal(body: &Value, received: usize) -> Result<(String, Map<String, Value>), String> {
    let n = received + 1;
    let mut meta = match body {
        Value::Object(m) => m.clone(),
        Value::Null => Map::new(),
        _ => return Err("Metadata format invalid".into()),
    };
    meta.entry("reason")
        .or_insert_with(|| Value::String(format!("Signal {n} received")));
    meta.entry("data").or_insert(Value::Null);
    meta.entry("id").or_insert_with(|| Value::from(n));
    meta.entry("status").or_insert_with(|| Value::String("SUCCESS".into()));
    let keys: Vec<&str> = meta.keys().map(String::as_str).collect();
    let ok_keys = keys.len() == 4 && ["data", "reason", "status", "id"].iter().all(|k| keys.contains(k));
    let ok_status = matches!(meta.get("status").and_then(Value::as_str), Some("SUCCESS" | "FAILURE"));
    if !ok_keys || !ok_status {
        return Err("Metadata format invalid".into());
    }
    let id = match meta.remove("id") {
        Some(Value::String(s)) => s,
        Some(other) => super::super::parameters::text_of(&other),
        None => n.to_string(),
    };
    Ok((id, meta))
}

/// Heat's signal reason: `status:SUCCESS reason:Signal 1 received`.
pub(crate) fn signal_reason(entry: &Map<String, Value>) -> String {
    let text = |k: &str| entry.get(k).map(super::super::parameters::text_of).unwrap_or_default();
    format!("status:{} reason:{}", text("status"), text("reason"))
}

fn random_hex(bytes: usize) -> String {
    let mut out = String::new();
    while out.len() < bytes * 2 {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(bytes * 2);
    out
}

/// Creates a handle: its token, endpoint and `curl_cli`.
pub(crate) fn create_handle(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let transport = props
        .get("signal_transport")
        .and_then(Value::as_str)
        .unwrap_or("TOKEN_SIGNAL");
    if transport != "TOKEN_SIGNAL" {
        return Err(rc.fail(
            "NotSupported",
            format!("signal_transport {transport} is not supported by this simulator."),
        ));
    }
    let Some((project, stack_name, stack_id)) =
        rc.with_stack(|s| (s.principal.project_id.clone(), s.name.clone(), s.id.clone()))
    else {
        return Err(rc.fail("NotFound", "stack vanished"));
    };
    let token = random_hex(32);
    let base = rc.inner.config.signal_base_url.trim_end_matches('/');
    let endpoint = format!(
        "{base}/v1/{project}/stacks/{stack_name}/{stack_id}/resources/{}/signal",
        rc.name
    );
    let insecure = if rc.inner.config.insecure_curl {
        "--insecure "
    } else {
        ""
    };
    let curl = format!(
        "curl {insecure}-i -X POST -H 'X-Auth-Token: {token}' -H 'Content-Type: application/json' -H 'Accept: application/json' {endpoint}"
    );
    let mut signal = Map::new();
    signal.insert("endpoint".into(), Value::String(endpoint.clone()));
    signal.insert("token".into(), Value::String(token.clone()));
    let mut attrs = Map::new();
    attrs.insert("token".into(), Value::String(token.clone()));
    attrs.insert("endpoint".into(), Value::String(endpoint));
    attrs.insert("curl_cli".into(), Value::String(curl));
    attrs.insert("signal".into(), Value::String(py_json(&Value::Object(signal), false)));
    rc.set_physical_id(&uuid::Uuid::new_v4().to_string());
    rc.set_data("token", Value::String(token));
    rc.set_attrs(attrs);
    Ok(())
}

/// Waits for the handle's signals (create and update of a wait condition).
pub(crate) async fn wait(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let handle_ref = props
        .get("handle")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let timeout = props.get("timeout").and_then(Value::as_f64).unwrap_or(0.0);
    let count = props.get("count").and_then(Value::as_u64).unwrap_or(1) as usize;
    if !(1.0..=43200.0).contains(&timeout) {
        return Err(rc.fail(
            "StackValidationFailed",
            format!(
                "Property error: {}.properties.timeout: {timeout} is out of range (min: 1, max: 43200)",
                rc.name
            ),
        ));
    }
    let handle = rc
        .with_stack(|s| {
            s.resources
                .values()
                .find(|r| r.kind == Kind::WaitConditionHandle && r.physical_id.as_deref() == Some(handle_ref.as_str()))
                .map(|r| r.name.clone())
        })
        .flatten();
    let Some(handle) = handle else {
        return Err(rc.fail(
            "ValueError",
            format!("{handle_ref} is not a valid wait condition handle."),
        ));
    };
    rc.set_physical_id(&uuid::Uuid::new_v4().to_string());
    let started = Instant::now();
    let limit = Duration::from_secs_f64(timeout);
    loop {
        let signals: Map<String, Value> = rc
            .with_stack(|s| s.resources.get(&handle).map(|h| h.metadata.clone()))
            .flatten()
            .unwrap_or_default();
        let reasons = |status: &str| -> Vec<String> {
            signals
                .values()
                .filter(|v| v.get("status").and_then(Value::as_str) == Some(status))
                .map(|v| {
                    v.get("reason")
                        .map(super::super::parameters::text_of)
                        .unwrap_or_default()
                })
                .collect()
        };
        let failures = reasons("FAILURE");
        if !failures.is_empty() {
            return Err(rc.fail("WaitConditionFailure", failures.join(";")));
        }
        let successes = reasons("SUCCESS");
        if successes.len() >= count {
            let data: Map<String, Value> = signals
                .iter()
                .map(|(k, v)| (k.clone(), v.get("data").cloned().unwrap_or(Value::Null)))
                .collect();
            let mut attrs = Map::new();
            attrs.insert("data".into(), Value::String(py_json(&Value::Object(data), false)));
            rc.set_attrs(attrs);
            return Ok(());
        }
        if started.elapsed() >= limit {
            let msg = if successes.is_empty() {
                format!("0 of {count} received")
            } else {
                format!("{} of {count} received - {}", successes.len(), successes.join(";"))
            };
            return Err(rc.fail("WaitConditionTimeout", msg));
        }
        let remaining = limit.saturating_sub(started.elapsed());
        tokio::select! {
            _ = rc.inner.signals.notified() => {}
            _ = tokio::time::sleep(remaining.min(rc.inner.config.poll_interval)) => {}
            _ = rc.cancel.cancelled() => return Err(rc.aborted()),
        }
    }
}
