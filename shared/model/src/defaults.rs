//! What Sahara's conductor manager does to value maps before they are inserted: defaults per resource,
//! clusters merged from their cluster template, node groups filled from node group templates (configs
//! deep-merged), `tenant_id` from the request context, and job execution interfaces folded into
//! `job_configs`. All functions are pure; template lookups are passed in as closures.
//!
//! Like Sahara, a key present in the request wins over a default even when its value is `null`, and keys
//! that are not columns (e.g. a template's `is_default`) are carried along; deserializing the result into a
//! resource struct drops them.

use crate::enums::MappingType;
use crate::kind::ResourceKind;
use crate::resources::JobInterfaceArgument;
use crate::serde_util::py_truthy;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

type JsonMap = Map<String, Value>;

fn object(v: Value) -> JsonMap {
    match v {
        Value::Object(m) => m,
        _ => JsonMap::new(),
    }
}

/// `CLUSTER_DEFAULTS`: applied to clusters and (sic) cluster templates on create.
pub fn cluster_defaults() -> JsonMap {
    object(json!({
        "cluster_configs": {},
        "status": "undefined",
        "anti_affinity": [],
        "anti_affinity_ratio": 1,
        "status_description": "",
        "info": {},
        "rollback_info": {},
        "sahara_info": {},
        "is_public": false,
        "is_protected": false
    }))
}

/// `NODE_GROUP_DEFAULTS`: the base of every node group of a cluster or cluster template.
pub fn node_group_defaults() -> JsonMap {
    object(json!({
        "node_processes": [],
        "node_configs": {},
        "volumes_per_node": 0,
        "volumes_size": 0,
        "volumes_availability_zone": null,
        "volume_mount_prefix": "/volumes/disk",
        "volume_type": null,
        "boot_from_volume": false,
        "boot_volume_type": null,
        "boot_volume_availability_zone": null,
        "boot_volume_local_to_instance": false,
        "floating_ip_pool": null,
        "security_groups": null,
        "auto_security_group": false,
        "availability_zone": null,
        "is_proxy_gateway": false,
        "volume_local_to_instance": false
    }))
}

/// `NODE_GROUP_TEMPLATE_DEFAULTS`: node group defaults plus `is_public`/`is_protected` false.
pub fn node_group_template_defaults() -> JsonMap {
    let mut d = node_group_defaults();
    d.extend(visibility_defaults());
    d
}

/// `INSTANCE_DEFAULTS`.
pub fn instance_defaults() -> JsonMap {
    object(json!({"volumes": [], "storage_devices_number": 0}))
}

/// `DATA_SOURCE_DEFAULTS`: empty credentials, private, unprotected.
pub fn data_source_defaults() -> JsonMap {
    let mut d = object(json!({"credentials": {}}));
    d.extend(visibility_defaults());
    d
}

/// `is_public: false, is_protected: false`: the defaults of jobs, job binaries, internals and executions.
pub fn visibility_defaults() -> JsonMap {
    object(json!({"is_public": false, "is_protected": false}))
}

/// The defaults the conductor applies when creating a `kind` (None: the kind gets none of its own).
pub fn defaults_for(kind: ResourceKind) -> Option<JsonMap> {
    match kind {
        ResourceKind::Cluster | ResourceKind::ClusterTemplate => Some(cluster_defaults()),
        ResourceKind::NodeGroup | ResourceKind::TemplateNodeGroup => Some(node_group_defaults()),
        ResourceKind::NodeGroupTemplate => Some(node_group_template_defaults()),
        ResourceKind::Instance => Some(instance_defaults()),
        ResourceKind::DataSource => Some(data_source_defaults()),
        ResourceKind::Job | ResourceKind::JobBinary | ResourceKind::JobBinaryInternal | ResourceKind::JobExecution => {
            Some(visibility_defaults())
        }
        _ => None,
    }
}

/// Sahara's `_apply_defaults`: every default whose key is absent from `values` is added.
pub fn apply_defaults(values: &mut JsonMap, defaults: JsonMap) {
    for (k, v) in defaults {
        values.entry(k).or_insert(v);
    }
}

/// Applies `CLUSTER_DEFAULTS`.
pub fn apply_cluster_defaults(values: &mut JsonMap) {
    apply_defaults(values, cluster_defaults());
}

/// Applies `NODE_GROUP_DEFAULTS`.
pub fn apply_node_group_defaults(values: &mut JsonMap) {
    apply_defaults(values, node_group_defaults());
}

/// Applies `NODE_GROUP_TEMPLATE_DEFAULTS`.
pub fn apply_ngt_defaults(values: &mut JsonMap) {
    apply_defaults(values, node_group_template_defaults());
}

/// Applies `INSTANCE_DEFAULTS`.
pub fn apply_instance_defaults(values: &mut JsonMap) {
    apply_defaults(values, instance_defaults());
}

/// Applies `DATA_SOURCE_DEFAULTS`.
pub fn apply_data_source_defaults(values: &mut JsonMap) {
    apply_defaults(values, data_source_defaults());
}

/// Applies `JOB_DEFAULTS`.
pub fn apply_job_defaults(values: &mut JsonMap) {
    apply_defaults(values, visibility_defaults());
}

/// Applies `JOB_BINARY_DEFAULTS`.
pub fn apply_job_binary_defaults(values: &mut JsonMap) {
    apply_defaults(values, visibility_defaults());
}

/// Applies `JOB_BINARY_INTERNAL_DEFAULTS`.
pub fn apply_job_binary_internal_defaults(values: &mut JsonMap) {
    apply_defaults(values, visibility_defaults());
}

/// Applies `JOB_EXECUTION_DEFAULTS`.
pub fn apply_job_execution_defaults(values: &mut JsonMap) {
    apply_defaults(values, visibility_defaults());
}

/// Sahara's `merge_configs`: target -> name -> value maps merged left to right, later names winning; a
/// target whose current value is empty or null starts afresh. A non-object target value replaces.
pub fn merge_configs(layers: &[Option<&Value>]) -> JsonMap {
    let mut result = JsonMap::new();
    for layer in layers {
        let Some(Value::Object(config)) = layer else { continue };
        for (target, values) in config {
            if !py_truthy(result.get(target)) {
                result.insert(target.clone(), Value::Object(JsonMap::new()));
            }
            match (result.get_mut(target), values) {
                (Some(Value::Object(dst)), Value::Object(src)) => {
                    dst.extend(src.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
                (_, Value::Null) => {}
                (Some(dst), other) => *dst = other.clone(),
                (None, _) => {}
            }
        }
    }
    result
}

/// Sahara's `_cleanup_node_group`: drops `id`, `created_at`, `updated_at`.
pub fn cleanup_node_group(node_group: &mut JsonMap) {
    for k in ["id", "created_at", "updated_at"] {
        node_group.remove(k);
    }
}

/// The id of the node group template a node group refers to, when set and non-empty.
pub fn node_group_template_ref(node_group: &JsonMap) -> Option<&str> {
    node_group
        .get("node_group_template_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Sahara's `_populate_node_group`: defaults, then the template's fields (minus id/timestamps), then the
/// node group's own; `node_configs` is the merge of the template's and the group's.
pub fn populate_node_group(node_group: &JsonMap, template: Option<&JsonMap>) -> JsonMap {
    let mut merged = node_group_defaults();
    let template = template.map(|t| {
        let mut t = t.clone();
        cleanup_node_group(&mut t);
        t
    });
    if let Some(t) = &template {
        merged.extend(t.clone());
    }
    merged.extend(node_group.clone());
    if let Some(t) = &template {
        let node_configs = merge_configs(&[t.get("node_configs"), node_group.get("node_configs")]);
        merged.insert("node_configs".into(), Value::Object(node_configs));
    }
    merged
}

/// Sahara's `_populate_node_groups`: every entry of `values["node_groups"]` populated (templates fetched
/// through `get_ngt`), cleaned of id/timestamps and given the context's `tenant_id`. Empty when absent.
pub fn populate_node_groups<E>(
    values: &JsonMap,
    tenant_id: Option<&str>,
    mut get_ngt: impl FnMut(&str) -> Result<JsonMap, E>,
) -> Result<Vec<Value>, E> {
    let Some(Value::Array(node_groups)) = values.get("node_groups") else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(node_groups.len());
    for ng in node_groups {
        let Value::Object(ng) = ng else { continue };
        let template = match node_group_template_ref(ng) {
            Some(id) => Some(get_ngt(id)?),
            None => None,
        };
        let mut populated = populate_node_group(ng, template.as_ref());
        cleanup_node_group(&mut populated);
        populated.insert("tenant_id".into(), tenant_value(tenant_id));
        out.push(Value::Object(populated));
    }
    Ok(out)
}

fn tenant_value(tenant_id: Option<&str>) -> Value {
    tenant_id.map_or(Value::Null, |t| Value::String(t.to_string()))
}

/// Template fields a cluster does not inherit.
pub const CLUSTER_TEMPLATE_FIELDS_NOT_COPIED: &[&str] = &[
    "created_at",
    "updated_at",
    "id",
    "is_public",
    "is_protected",
    "tenant_id",
];

/// Sahara's `cluster_create` value building: defaults, context tenant and management keys, the cluster
/// template's fields (when `template` is given), the request's values, `cluster_configs` merged from
/// template and request, and node groups populated.
pub fn cluster_create_values<E>(
    values: &JsonMap,
    tenant_id: Option<&str>,
    management_private_key: &str,
    management_public_key: &str,
    template: Option<&JsonMap>,
    get_ngt: impl FnMut(&str) -> Result<JsonMap, E>,
) -> Result<JsonMap, E> {
    let mut merged = cluster_defaults();
    merged.insert("tenant_id".into(), tenant_value(tenant_id));
    merged.insert(
        "management_private_key".into(),
        Value::String(management_private_key.to_string()),
    );
    merged.insert(
        "management_public_key".into(),
        Value::String(management_public_key.to_string()),
    );
    let template = template.map(|t| {
        let mut t = t.clone();
        for k in CLUSTER_TEMPLATE_FIELDS_NOT_COPIED {
            t.remove(*k);
        }
        t
    });
    if let Some(t) = &template {
        merged.extend(t.clone());
    }
    merged.extend(values.clone());
    if let Some(t) = &template {
        let configs = merge_configs(&[t.get("cluster_configs"), values.get("cluster_configs")]);
        merged.insert("cluster_configs".into(), Value::Object(configs));
    }
    let node_groups = populate_node_groups(&merged, tenant_id, get_ngt)?;
    merged.insert("node_groups".into(), Value::Array(node_groups));
    Ok(merged)
}

/// Sahara's `cluster_template_create` value building: cluster defaults, context tenant, node groups populated.
pub fn cluster_template_create_values<E>(
    values: &JsonMap,
    tenant_id: Option<&str>,
    get_ngt: impl FnMut(&str) -> Result<JsonMap, E>,
) -> Result<JsonMap, E> {
    let mut v = values.clone();
    apply_cluster_defaults(&mut v);
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    let node_groups = populate_node_groups(&v, tenant_id, get_ngt)?;
    v.insert("node_groups".into(), Value::Array(node_groups));
    Ok(v)
}

/// Sahara's `cluster_template_update` value building: tenant and id set; node groups repopulated only when
/// the update carries `node_groups` (a `null` list becomes empty).
pub fn cluster_template_update_values<E>(
    id: &str,
    values: &JsonMap,
    tenant_id: Option<&str>,
    get_ngt: impl FnMut(&str) -> Result<JsonMap, E>,
) -> Result<JsonMap, E> {
    let mut v = values.clone();
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    v.insert("id".into(), Value::String(id.to_string()));
    if v.contains_key("node_groups") {
        let node_groups = populate_node_groups(&v, tenant_id, get_ngt)?;
        v.insert("node_groups".into(), Value::Array(node_groups));
    }
    Ok(v)
}

/// Sahara's `node_group_add` value building: the group populated (template fetched through `get_ngt`)
/// and given the context tenant; unlike cluster create, a given `id` is kept.
pub fn node_group_add_values<E>(
    values: &JsonMap,
    tenant_id: Option<&str>,
    mut get_ngt: impl FnMut(&str) -> Result<JsonMap, E>,
) -> Result<JsonMap, E> {
    let template = match node_group_template_ref(values) {
        Some(id) => Some(get_ngt(id)?),
        None => None,
    };
    let mut v = populate_node_group(values, template.as_ref());
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    Ok(v)
}

/// Sahara's `node_group_template_create` value building: NGT defaults and context tenant.
pub fn node_group_template_create_values(values: &JsonMap, tenant_id: Option<&str>) -> JsonMap {
    let mut v = values.clone();
    apply_ngt_defaults(&mut v);
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    v
}

/// Sahara's `*_template_update` preamble: context tenant and the id put into the values.
pub fn template_update_values(id: &str, values: &JsonMap, tenant_id: Option<&str>) -> JsonMap {
    let mut v = values.clone();
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    v.insert("id".into(), Value::String(id.to_string()));
    v
}

/// Sahara's `instance_add` value building: instance defaults and context tenant.
pub fn instance_add_values(values: &JsonMap, tenant_id: Option<&str>) -> JsonMap {
    let mut v = values.clone();
    apply_instance_defaults(&mut v);
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    v
}

/// Create values of a data source, job, job binary or internal binary: its defaults and the context tenant.
/// (Job executions go through [`job_execution_create_values`]; storing secrets in a key manager is the
/// conductor's business.)
pub fn edp_create_values(kind: ResourceKind, values: &JsonMap, tenant_id: Option<&str>) -> JsonMap {
    let mut v = values.clone();
    if let Some(d) = defaults_for(kind) {
        apply_defaults(&mut v, d);
    }
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    v
}

/// Sahara's `job_execution_create`: defaults, context tenant, and the request's `interface` (argument
/// name -> value) removed and folded into `job_configs` when the job declares an interface.
pub fn job_execution_create_values(
    values: &JsonMap,
    tenant_id: Option<&str>,
    job_interface: &[JobInterfaceArgument],
) -> JsonMap {
    let mut v = values.clone();
    apply_job_execution_defaults(&mut v);
    v.insert("tenant_id".into(), tenant_value(tenant_id));
    let execution_interface = match v.remove("interface") {
        Some(Value::Object(m)) => m,
        _ => JsonMap::new(),
    };
    if !job_interface.is_empty() {
        let current = match v.get("job_configs") {
            Some(Value::Object(m)) => Some(m),
            _ => None,
        };
        let configs = merge_execution_interface(current, job_interface, &execution_interface);
        v.insert("job_configs".into(), Value::Object(configs));
    }
    v
}

/// Sahara's `_merge_execution_interface`: for each interface argument (by `order`) the value is the one
/// given at execution, else the value already in `job_configs` at that location, else the default;
/// configs/params land at their location, positional args are prepended to `args` in index order.
pub fn merge_execution_interface(
    job_configs: Option<&JsonMap>,
    interface: &[JobInterfaceArgument],
    execution_interface: &JsonMap,
) -> JsonMap {
    let mut configs = job_configs.cloned().unwrap_or_default();
    let mut args: Vec<&JobInterfaceArgument> = interface.iter().collect();
    args.sort_by_key(|a| a.order);
    let mut positional: BTreeMap<i64, Value> = BTreeMap::new();
    for arg in args {
        let section = arg.mapping_type.as_str().to_string();
        let is_args = arg.mapping_type == MappingType::Args;
        let entry = configs
            .entry(section)
            .or_insert_with(|| if is_args { json!([]) } else { json!({}) });
        if is_args && !entry.is_array() {
            *entry = json!([]);
        }
        if !is_args && !entry.is_object() {
            *entry = json!({});
        }
        let mut value = execution_interface.get(&arg.name).cloned();
        if value.is_none() {
            value = arg.default.clone().map(Value::String);
            if !is_args && let Some(existing) = entry.get(&arg.location) {
                value = Some(existing.clone());
            }
        }
        let Some(value) = value else { continue };
        if is_args {
            if let Ok(index) = arg.location.trim().parse::<i64>() {
                positional.insert(index, value);
            }
        } else if let Value::Object(section) = entry {
            section.insert(arg.location.clone(), value);
        }
    }
    if !positional.is_empty() {
        let mut new_args: Vec<Value> = positional.into_values().collect();
        if let Some(Value::Array(existing)) = configs.get("args") {
            new_args.extend(existing.iter().cloned());
        }
        configs.insert("args".into(), Value::Array(new_args));
    }
    configs
}

#[cfg(test)]
mod tests;
