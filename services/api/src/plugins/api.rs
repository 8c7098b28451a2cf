//! The plugins resource: v1.0/v1.1 routes of sahara/api/v10.py and v2 routes of sahara/api/v2/plugins.py, with
//! `check_exists` (404), the label states stored through the conductor, the label update of
//! `PATCH /plugins/{name}` (sahara/plugins/labels.py) and the always-refused `convert-config`.

use super::{Plugin, PluginRegistry, label};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Routes};
use axum::extract::{Path, State};
use sahara_model::SaharaError;
use sahara_model::error::py_repr_str;
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// The plugins routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v10()
            .get("/plugins", "data-processing:plugins:get_all", list_v1)
            .get("/plugins/{plugin_name}", "data-processing:plugins:get", get_v1)
            .get(
                "/plugins/{plugin_name}/{version}",
                "data-processing:plugins:get_version",
                get_version_v1,
            )
            .patch("/plugins/{plugin_name}", "data-processing:plugins:patch", update_v1)
            .post_file(
                "/plugins/{plugin_name}/{version}/convert-config/{name}",
                "data-processing:plugins:convert_config",
                convert_config_v1,
            ),
        Routes::v2()
            .get("/plugins", "data-processing:plugin:list", list_v2)
            .get("/plugins/{plugin_name}", "data-processing:plugin:get", get_v2)
            .get(
                "/plugins/{plugin_name}/{version}",
                "data-processing:plugin:get-version",
                get_version_v2,
            )
            .patch("/plugins/{plugin_name}", "data-processing:plugin:update", update_v2),
    ]
}

type Reply = Result<crate::rest::Render, ApiError>;

fn render(v: Value) -> Reply {
    Ok(crate::rest::Render(v))
}

/// `get_label_details(name)`: the label states stored through the conductor, else the plugin's defaults (a
/// conductor failure is logged and the defaults answered, as Sahara does). Always read: what checks and updates
/// use.
pub async fn label_details(state: &ApiState, ctx: &RequestContext, plugin: &Plugin) -> Map<String, Value> {
    read_label_details(state, ctx, plugin)
        .await
        .unwrap_or_else(|| plugin.default_label_details())
}

/// The stored states, else the defaults; `None` when the conductor failed (logged).
async fn read_label_details(state: &ApiState, ctx: &RequestContext, plugin: &Plugin) -> Option<Map<String, Value>> {
    match state.conductor.plugin_get(ctx, plugin.name).await {
        Ok(Some(stored)) => {
            let mut m = Map::new();
            m.insert(
                "plugin_labels".into(),
                Value::Object(stored.plugin_labels.unwrap_or_default()),
            );
            m.insert(
                "version_labels".into(),
                Value::Object(stored.version_labels.unwrap_or_default()),
            );
            Some(m)
        }
        Ok(None) => Some(plugin.default_label_details()),
        Err(e) => {
            tracing::error!(error = %e, "Unable to retrieve plugin data from database");
            None
        }
    }
}

/// [`label_details`] as the plugin GETs show them: a read of this process's within
/// [`super::cache::FRESH_FOR`] for the same scope, else a new read (kept unless the conductor failed).
async fn shown_label_details(
    state: &ApiState,
    ctx: &RequestContext,
    plugin: &'static Plugin,
) -> Arc<Map<String, Value>> {
    let pending = match state
        .plugin_labels
        .get(ctx.project_id.as_deref(), ctx.is_admin, plugin.name)
    {
        Ok(details) => return details,
        Err(pending) => pending,
    };
    match read_label_details(state, ctx, plugin).await {
        Some(details) => {
            let details = Arc::new(details);
            state.plugin_labels.keep(pending, details.clone());
            details
        }
        None => Arc::new(plugin.default_label_details()),
    }
}

async fn list(state: &ApiState, ctx: &RequestContext) -> Value {
    let mut items = Vec::new();
    for p in state.plugins.plugins() {
        let details = shown_label_details(state, ctx, p).await;
        items.extend(p.to_json_with(None, &details));
    }
    json!({"plugins": items})
}

/// `check_exists(api.get_plugin, plugin_name=..., version=...)` then the wrapped plugin.
async fn plugin(state: &ApiState, ctx: &RequestContext, name: &str, version: Option<&str>) -> Result<Value, ApiError> {
    let found = match state.plugins.get(name) {
        Some(p) => p.to_json_with(version, &*shown_label_details(state, ctx, p).await),
        None => None,
    };
    match (found, version) {
        (Some(v), _) => Ok(json!({"plugin": v})),
        (None, None) => Err(ApiError::check_exists(&[("plugin_name", name)])),
        (None, Some(version)) => Err(ApiError::check_exists(&[("plugin_name", name), ("version", version)])),
    }
}

async fn list_v1(State(state): State<ApiState>, Caller(ctx): Caller) -> Reply {
    render(list(&state, &ctx).await)
}

async fn get_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(name): Path<String>) -> Reply {
    render(plugin(&state, &ctx, &name, None).await?)
}

async fn get_version_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path((name, version)): Path<(String, String)>,
) -> Reply {
    render(plugin(&state, &ctx, &name, Some(&version)).await?)
}

async fn update_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    Data(data): Data,
) -> Reply {
    plugin(&state, &ctx, &name, None).await?;
    validate_update(&state.plugins, &name, &data)?;
    store_labels(&state, &ctx, &name, &data).await
}

async fn convert_config_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path((name, version, _template)): Path<(String, String, String)>,
) -> Reply {
    plugin(&state, &ctx, &name, Some(&version)).await?;
    Err(SaharaError::InvalidReference(format!(
        "Requested plugin '{name}' doesn't support converting config files to cluster templates"
    ))
    .into())
}

async fn list_v2(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> Reply {
    args.only("plugins_list", &[])?;
    render(list(&state, &ctx).await)
}

async fn get_v2(State(state): State<ApiState>, Caller(ctx): Caller, Path(name): Path<String>, args: Args) -> Reply {
    let body = plugin(&state, &ctx, &name, None).await?;
    args.only("plugins_get", &[])?;
    render(body)
}

async fn get_version_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path((name, version)): Path<(String, String)>,
    args: Args,
) -> Reply {
    let body = plugin(&state, &ctx, &name, Some(&version)).await?;
    args.only("plugins_get_version", &[])?;
    render(body)
}

async fn update_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    plugin(&state, &ctx, &name, None).await?;
    validate_update(&state.plugins, &name, &data)?;
    args.only("plugins_update", &[])?;
    store_labels(&state, &ctx, &name, &data).await
}

/// Merges `update`'s label states into `current` (label by label, key by key).
fn merge_labels(current: &mut Map<String, Value>, update: &Map<String, Value>) {
    for (label, state) in update {
        let entry = current
            .entry(label.clone())
            .or_insert_with(|| Value::Object(Map::new()));
        if let (Value::Object(e), Value::Object(u)) = (entry, state) {
            for (k, v) in u {
                e.insert(k.clone(), v.clone());
            }
        }
    }
}

/// `LabelHandler.update_plugin`: the current states (stored, else the defaults, stored first), updated with the
/// request's label states, written with `plugin_update`; answers the plugin as `serialize_plugin` shows it.
async fn store_labels(state: &ApiState, ctx: &RequestContext, name: &str, data: &Value) -> Reply {
    let found = state
        .plugins
        .get(name)
        .ok_or_else(|| ApiError::check_exists(&[("plugin_name", name)]))?;
    let mut current = label_details(state, ctx, found).await;
    if state.conductor.plugin_get(ctx, name).await?.is_none() {
        let mut values = current.clone();
        values.insert("name".into(), name.into());
        state.conductor.plugin_create(ctx, values).await?;
    }
    let nonempty = |key: &str| data.get(key).and_then(Value::as_object).filter(|m| !m.is_empty());
    match nonempty("plugin_labels") {
        Some(update) => {
            if let Some(Value::Object(pl)) = current.get_mut("plugin_labels") {
                merge_labels(pl, update);
            }
        }
        None => {
            current.remove("plugin_labels");
        }
    }
    match nonempty("version_labels") {
        Some(update) => {
            if let Some(Value::Object(vl)) = current.get_mut("version_labels") {
                for (version, labels) in update {
                    let entry = vl.entry(version.clone()).or_insert_with(|| Value::Object(Map::new()));
                    if let (Value::Object(e), Value::Object(u)) = (entry, labels) {
                        merge_labels(e, u);
                    }
                }
            }
        }
        None => {
            current.remove("version_labels");
        }
    }
    let updated = state.conductor.plugin_update(ctx, name, current).await;
    // Forgotten even when the write failed: it may have landed.
    state.plugin_labels.forget(name);
    updated?;
    render(plugin(state, ctx, name, None).await?)
}

/// Python's `repr` of a JSON value, as jsonschema's messages show instances.
pub fn py_repr(v: &Value) -> String {
    match v {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => sahara_model::error::py_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => py_repr_str(s),
        Value::Array(a) => format!("[{}]", a.iter().map(py_repr).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => format!(
            "{{{}}}",
            m.iter()
                .map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn path_prefix(path: &[&str]) -> String {
    match path.split_first() {
        None => String::new(),
        Some((first, rest)) => {
            let mut s = first.to_string();
            for p in rest {
                s.push_str(&format!("[{p}]"));
            }
            s + ": "
        }
    }
}

fn not_object(path: &[&str], v: &Value, errors: &mut Vec<String>) -> bool {
    if v.is_object() {
        return false;
    }
    errors.push(format!("{}{} is not of type 'object'", path_prefix(path), py_repr(v)));
    true
}

fn additional(path: &[&str], m: &Map<String, Value>, allowed: &[&str], errors: &mut Vec<String>) {
    let mut extras: Vec<&String> = m.keys().filter(|k| !allowed.contains(&k.as_str())).collect();
    if extras.is_empty() {
        return;
    }
    extras.sort();
    let verb = if extras.len() == 1 { "was" } else { "were" };
    let list: Vec<String> = extras.iter().map(|k| py_repr_str(k)).collect();
    errors.push(format!(
        "{}Additional properties are not allowed ({} {verb} unexpected)",
        path_prefix(path),
        list.join(", ")
    ));
}

/// A labels object: `{<label>: {"status": bool}}` (schema keywords in Sahara's order: type, properties,
/// additionalProperties).
fn check_labels(path: &[&str], v: &Value, errors: &mut Vec<String>) {
    if not_object(path, v, errors) {
        return;
    }
    let m = v.as_object().into_iter().flatten();
    let names: Vec<&str> = super::LABELS.iter().map(|l| l.name).collect();
    for name in &names {
        let Some((key, obj)) = m.clone().find(|(k, _)| k == name) else {
            continue;
        };
        let mut p = path.to_vec();
        p.push(key);
        if not_object(&p, obj, errors) {
            continue;
        }
        if let Some(status) = obj.get("status")
            && !status.is_boolean()
        {
            let mut ps = p.clone();
            ps.push("status");
            errors.push(format!(
                "{}{} is not of type 'boolean'",
                path_prefix(&ps),
                py_repr(status)
            ));
        }
        additional(&p, obj.as_object().expect("checked"), &["status"], errors);
    }
    additional(path, v.as_object().expect("checked"), &names, errors);
}

/// `PATCH /plugins/{name}` validation: the JSON schema of `get_plugin_update_validation_jsonschema` (400
/// VALIDATION_ERROR, one line per error), then `validate_plugin_update` (400 INVALID_DATA).
pub fn validate_update(registry: &PluginRegistry, name: &str, data: &Value) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if !not_object(&[], data, &mut errors) {
        let m = data.as_object().expect("checked");
        additional(&[], m, &["plugin_labels", "version_labels"], &mut errors);
        let versions = registry.all_versions();
        if let Some(vl) = m.get("version_labels")
            && !not_object(&["version_labels"], vl, &mut errors)
        {
            let vm = vl.as_object().expect("checked");
            additional(&["version_labels"], vm, &versions, &mut errors);
            for (version, labels) in vm {
                if versions.contains(&version.as_str()) {
                    check_labels(&["version_labels", version], labels, &mut errors);
                }
            }
        }
        if let Some(pl) = m.get("plugin_labels") {
            check_labels(&["plugin_labels"], pl, &mut errors);
        }
    }
    if !errors.is_empty() {
        return Err(SaharaError::validation(errors.join("\n")).into());
    }
    let plugin = registry
        .get(name)
        .ok_or_else(|| ApiError::check_exists(&[("plugin_name", name)]))?;
    let (plugin_defaults, version_defaults) = plugin.labels();
    let check = |defaults: &Value, update: &Map<String, Value>| -> Result<(), ApiError> {
        for key in update.keys() {
            if defaults.get(key).is_none() {
                return Err(SaharaError::InvalidData(format!(
                    "Label '{key}' can't be updated because it's not available for plugin or its version"
                ))
                .into());
            }
            if !label(key).is_some_and(|l| l.mutable) {
                return Err(SaharaError::InvalidData(format!(
                    "Label '{key}' can't be updated because it's not mutable"
                ))
                .into());
            }
        }
        Ok(())
    };
    if let Some(pl) = data
        .get("plugin_labels")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    {
        check(&plugin_defaults, pl)?;
    }
    if let Some(vl) = data
        .get("version_labels")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
    {
        for (version, labels) in vl {
            if !plugin.versions.contains(&version.as_str()) {
                return Err(SaharaError::InvalidData(format!("Unknown plugin version '{version}' of {name}")).into());
            }
            let empty = Map::new();
            check(
                version_defaults.get(version).unwrap_or(&Value::Null),
                labels.as_object().unwrap_or(&empty),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> PluginRegistry {
        PluginRegistry::from_names(&["fake".to_string()])
    }

    fn err(data: Value) -> (String, String) {
        let e = validate_update(&registry(), "fake", &data).unwrap_err();
        let msg = e.message.split("\nError ID: ").next().unwrap().to_string();
        (e.name, msg)
    }

    #[test]
    fn schema_errors_as_jsonschema_words_them() {
        assert!(validate_update(&registry(), "fake", &json!({})).is_ok());
        assert!(
            validate_update(
                &registry(),
                "fake",
                &json!({"plugin_labels": {"enabled": {"status": false}}})
            )
            .is_ok()
        );
        assert_eq!(
            err(json!([])),
            ("VALIDATION_ERROR".into(), "[] is not of type 'object'".into())
        );
        assert_eq!(
            err(json!({"b": 1, "a": 2})),
            (
                "VALIDATION_ERROR".into(),
                "Additional properties are not allowed ('a', 'b' were unexpected)".into()
            )
        );
        assert_eq!(
            err(json!({"plugin_labels": {"enabled": {"status": "yes"}}})).1,
            "plugin_labels[enabled][status]: 'yes' is not of type 'boolean'"
        );
        assert_eq!(
            err(json!({"version_labels": {"0.2": {}}})).1,
            "version_labels: Additional properties are not allowed ('0.2' was unexpected)"
        );
        assert_eq!(
            err(json!({"plugin_labels": {"enabled": {"x": true}}})).1,
            "plugin_labels[enabled]: Additional properties are not allowed ('x' was unexpected)"
        );
        assert_eq!(
            err(json!({"version_labels": {"0.1": {"enabled": null}}})).1,
            "version_labels[0.1][enabled]: None is not of type 'object'"
        );
    }

    #[test]
    fn label_rules() {
        assert_eq!(
            err(json!({"plugin_labels": {"stable": {"status": true}}})),
            (
                "INVALID_DATA".into(),
                "Label 'stable' can't be updated because it's not available for plugin or its version".into()
            )
        );
        assert_eq!(
            err(json!({"version_labels": {"0.1": {"hidden": {"status": true}}}})).1,
            "Label 'hidden' can't be updated because it's not available for plugin or its version"
        );
    }

    #[test]
    fn python_repr() {
        assert_eq!(
            py_repr(&json!({"a": [1, 1.5, null, true, "x'"]})),
            "{'a': [1, 1.5, None, True, \"x'\"]}"
        );
    }
}
