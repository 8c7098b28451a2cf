//! Sahara's semantic validation of clusters (sahara/service/validations/clusters.py, clusters_scaling.py and
//! the cluster parts of base.py), in Sahara's order and with its messages. The template checks they share are in
//! [`crate::templates::checks`]; the cloud's through [`crate::cloud::CloudChecks`].

use super::ClusterOpts;
use crate::error::ApiError;
use crate::plugins::Plugin;
use crate::templates::checks::{
    all_configurations, create_version, duplicates, node_group_basic_fields, node_group_names, node_processes,
    plugin_configs, plugin_exists, plugin_supports_version, py_str, required_str, truthy,
};
use crate::templates::{Call, Obj};
use sahara_model::{ApiVersion, Cluster, ClusterStatus, ResourceKind, SaharaError};
use serde_json::{Map, Value};

/// Sahara's `MAX_HOSTNAME_LENGTH`.
pub const MAX_HOSTNAME_LENGTH: usize = 64;

/// `get_multiple_cluster_name`: `<name>-<counter zero-padded to the width of the count>`.
pub fn multiple_cluster_name(count: u64, name: &str, counter: u64) -> String {
    let width = count.to_string().len();
    format!("{name}-{counter:0width$}")
}

/// `check_plugin_labels(plugin, version)`: the stored (or default) labels must enable plugin and version.
pub async fn plugin_labels(call: &Call<'_>, plugin: &Plugin, version: &str) -> Result<(), ApiError> {
    let details = crate::plugins::api::label_details(call.state, call.ctx, plugin).await;
    crate::plugins::validate_plugin_labels(&details, plugin.name, version)?;
    Ok(())
}

/// `check_cluster_unique_name`.
async fn unique_name(call: &Call<'_>, name: &str) -> Result<(), ApiError> {
    let filters = Map::from_iter([("name".to_string(), Value::String(name.to_string()))]);
    let page = call.state.conductor.cluster_get_all(call.ctx, true, filters).await?;
    if page.items.iter().any(|c| c.name == name) {
        return Err(SaharaError::NameAlreadyExists(format!("Cluster with name '{name}' already exists")).into());
    }
    Ok(())
}

/// `check_cluster_hostnames_lengths`: `<cluster>-<ng>-<count:03>.<node_domain>` must fit in 64 characters (a node
/// group without `count` is Python's `KeyError`: 500).
pub fn hostnames_lengths(opts: &ClusterOpts, cluster_name: &str, node_groups: &[Value]) -> Result<(), ApiError> {
    for ng in node_groups {
        let name = ng.get("name").map(py_str).unwrap_or_default();
        let count = ng
            .get("count")
            .ok_or_else(|| crate::templates::checks::internal("KeyError: 'count'"))?;
        let count = count
            .as_i64()
            .map(|c| format!("{c:03}"))
            .unwrap_or_else(|| py_str(count));
        let host = format!("{cluster_name}-{name}-{count}").to_lowercase() + "." + &opts.node_domain;
        if host.len() > MAX_HOSTNAME_LENGTH {
            return Err(SaharaError::InvalidData(format!(
                "Composite hostname {host} in provisioned cluster exceeds maximum limit {MAX_HOSTNAME_LENGTH} \
                 characters"
            ))
            .into());
        }
    }
    Ok(())
}

/// `_get_cluster_field`: the request's value, else its cluster template's.
async fn cluster_field(call: &Call<'_>, data: &Obj, field: &str) -> Result<Option<Value>, ApiError> {
    if truthy(data.get(field)) {
        return Ok(data.get(field).cloned());
    }
    if truthy(data.get("cluster_template_id")) {
        let id = py_str(&data["cluster_template_id"]);
        if let Some(ct) = call.state.conductor.cluster_template_get(call.ctx, &id).await? {
            let ct = crate::templates::to_obj(&ct)?;
            if truthy(ct.get(field)) {
                return Ok(ct.get(field).cloned());
            }
        }
    }
    Ok(None)
}

/// `_check_cluster_create(data)`.
async fn cluster_create_common(call: &Call<'_>, opts: &ClusterOpts, data: &Obj) -> Result<(), ApiError> {
    let plugin = plugin_exists(call, &required_str(data, "plugin_name")?)?;
    let version = create_version(data)?;
    plugin_supports_version(plugin, &version)?;
    plugin_labels(call, plugin, &version).await?;
    let name = required_str(data, "name")?;

    if truthy(data.get("cluster_template_id")) {
        let ct_id = py_str(&data["cluster_template_id"]);
        let Some(ct) = call.state.conductor.cluster_template_get(call.ctx, &ct_id).await? else {
            return Err(SaharaError::NotFound(format!("Cluster template with id '{ct_id}' not found")).into());
        };
        if !truthy(data.get("node_groups")) {
            let ct = crate::templates::view(ResourceKind::ClusterTemplate, &ct, ApiVersion::V1)?;
            let ngs = ct
                .get("node_groups")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let confs = plugin_configs(plugin, &version);
            for ng in &ngs {
                if let Value::Object(ng) = ng {
                    node_group_basic_fields(call, plugin, ng, &confs).await?;
                }
            }
            hostnames_lengths(opts, &name, &ngs)?;
        }
    }

    let cloud = call.cloud();
    if truthy(data.get("user_keypair_id")) {
        cloud.keypair_exists(&py_str(&data["user_keypair_id"])).await?;
    }
    match cluster_field(call, data, "default_image_id").await? {
        Some(image) => {
            let image = py_str(&image);
            cloud.image_registered(&image).await?;
            cloud
                .required_image_tags(&image, &plugin.required_image_tags(&version))
                .await?;
        }
        None => return Err(SaharaError::NotFound("'default_image_id' field is not found".into()).into()),
    }

    all_configurations(call, plugin, &version, data).await?;

    if truthy(data.get("anti_affinity")) {
        node_processes(plugin, &data["anti_affinity"])?;
    }
    if truthy(data.get("node_groups"))
        && let Some(ngs) = data["node_groups"].as_array()
    {
        hostnames_lengths(opts, &name, ngs)?;
    }
    match cluster_field(call, data, "neutron_management_network").await? {
        Some(net) => cloud.network_exists(&py_str(&net)).await?,
        None => {
            return Err(SaharaError::NotFound("'neutron_management_network' field is not found".into()).into());
        }
    }
    Ok(())
}

/// The `count` of a multiple create.
pub fn count_of(data: &Obj) -> Option<u64> {
    data.get("count").and_then(Value::as_u64)
}

/// `check_cluster_create` (no count) or `check_multiple_clusters_create` (count; v2 chooses by `count`).
pub async fn cluster_create(call: &Call<'_>, opts: &ClusterOpts, data: &Obj, multiple: bool) -> Result<(), ApiError> {
    if !multiple {
        unique_name(call, &required_str(data, "name")?).await?;
        return cluster_create_common(call, opts, data).await;
    }
    cluster_create_common(call, opts, data).await?;
    let count = count_of(data).unwrap_or(0);
    let name = required_str(data, "name")?;
    for counter in 1..=count {
        unique_name(call, &multiple_cluster_name(count, &name, counter)).await?;
    }
    Ok(())
}

/// `check_cluster_delete`: the caller's project's, and not protected.
pub fn cluster_delete(call: &Call<'_>, cluster: &Cluster) -> Result<(), ApiError> {
    sahara_model::acl::check_tenant_for_delete(
        ResourceKind::Cluster,
        &cluster.id,
        cluster.tenant_id.as_deref(),
        call.ctx.project_id.as_deref(),
    )?;
    sahara_model::acl::check_protected_from_delete(ResourceKind::Cluster, &cluster.id, cluster.is_protected)?;
    Ok(())
}

/// `validate_verification_ops`: whether the update starts a verification (then alone, on an Active cluster
/// whose verification is not running).
async fn verification_ops(
    call: &Call<'_>,
    opts: &ClusterOpts,
    cluster: &Cluster,
    data: &Obj,
) -> Result<bool, ApiError> {
    let status = data.get("verification").and_then(|v| v.get("status"));
    if !truthy(status) {
        return Ok(false);
    }
    let cannot = |reason: &str| -> ApiError {
        SaharaError::with_code("CANNOT_VERIFY", format!("Cannot verify cluster. Reason: {reason}")).into()
    };
    if data.len() != 1 {
        return Err(cannot("Can't update verification with other updates"));
    }
    if status.and_then(Value::as_str) != Some("START") {
        return Ok(false);
    }
    if !opts.verification_enable {
        return Err(cannot("All verifications are disabled"));
    }
    let current = call.state.conductor.cluster_get(call.ctx, &cluster.id, false).await?;
    let Some(current) = current.filter(|c| c.status == Some(ClusterStatus::Active)) else {
        return Err(cannot("Cluster is not active or doesn't exists"));
    };
    if let Some(v) = &current.verification
        && v.status.as_ref().map(ToString::to_string).as_deref() == Some("CHECKING")
    {
        return Err(cannot("Cluster verification in state CHECKING"));
    }
    Ok(true)
}

/// `check_cluster_update`.
pub async fn cluster_update(
    call: &Call<'_>,
    opts: &ClusterOpts,
    cluster: &Cluster,
    data: &Obj,
) -> Result<(), ApiError> {
    let verification = verification_ops(call, opts, cluster, data).await?;
    sahara_model::acl::check_tenant_for_update(
        ResourceKind::Cluster,
        &cluster.id,
        cluster.tenant_id.as_deref(),
        call.ctx.project_id.as_deref(),
    )?;
    if !verification {
        let current = crate::templates::to_obj(cluster)?;
        sahara_model::acl::check_protected_from_update(ResourceKind::Cluster, &cluster.id, &current, data)?;
    }
    Ok(())
}

fn is_uuid_like(s: &str) -> bool {
    let plain = s
        .to_lowercase()
        .replace("urn:", "")
        .replace("uuid:", "")
        .replace(['{', '}', '-'], "");
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.simple().to_string() == plain)
}

/// `check_resize`: node groups named once, each the cluster's (and its template still valid), and the instances
/// to remove no more than the shrink, all by name or all by id, without repeats.
async fn resize(call: &Call<'_>, plugin: &Plugin, cluster: &Cluster, groups: &[Value]) -> Result<(), ApiError> {
    node_group_names(groups)?;
    let version = &cluster.hadoop_version;
    for ng in groups {
        let name = ng.get("name").map(py_str).unwrap_or_default();
        let Some(existing) = cluster.node_groups.iter().find(|g| g.name == name) else {
            return Err(SaharaError::InvalidReference(format!(
                "Cluster doesn't contain node group with name '{name}'"
            ))
            .into());
        };
        if let Some(ngt_id) = existing.node_group_template_id.as_deref().filter(|s| !s.is_empty()) {
            let Some(ngt) = call.state.conductor.node_group_template_get(call.ctx, ngt_id).await? else {
                return Err(SaharaError::NotFound(format!("NodeGroup template with id '{ngt_id}' not found")).into());
            };
            let ngt = crate::templates::view(ResourceKind::NodeGroupTemplate, &ngt, ApiVersion::V1)?;
            node_group_basic_fields(call, plugin, &ngt, &plugin_configs(plugin, version)).await?;
        }
    }
    for ng in groups {
        let name = ng.get("name").map(py_str).unwrap_or_default();
        let current = cluster
            .node_groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| i64::from(g.count))
            .unwrap_or_default();
        let diff = current - ng.get("count").and_then(Value::as_i64).unwrap_or_default();
        let Some(instances) = ng.get("instances").and_then(Value::as_array) else {
            continue;
        };
        if instances.len() as i64 > diff {
            return Err(SaharaError::InvalidData(format!(
                "Number of specific instances ({}) to delete can not be greater than the count difference ({diff} \
                 during scaling",
                instances.len()
            ))
            .into());
        }
        let names: Vec<String> = instances.iter().map(py_str).collect();
        if let Some(first) = names.first() {
            let by_id = is_uuid_like(first);
            if names.iter().any(|n| is_uuid_like(n) != by_id) {
                return Err(SaharaError::InvalidReference(
                    "You can only reference instances by Name or UUID, not both on the same request".into(),
                )
                .into());
            }
            duplicates(&names, "Duplicate entry for instances to delete")?;
        }
    }
    Ok(())
}

/// `check_add_node_groups`.
async fn add_node_groups(
    call: &Call<'_>,
    plugin: &Plugin,
    cluster: &Cluster,
    groups: &[Value],
) -> Result<(), ApiError> {
    node_group_names(groups)?;
    let confs = plugin_configs(plugin, &cluster.hadoop_version);
    for ng in groups {
        let name = ng.get("name").map(py_str).unwrap_or_default();
        if cluster.node_groups.iter().any(|g| g.name == name) {
            return Err(SaharaError::InvalidReference(format!(
                "Can't add new nodegroup. Cluster already has nodegroup with name '{name}'"
            ))
            .into());
        }
        if let Value::Object(ng) = ng {
            node_group_basic_fields(call, plugin, ng, &confs).await?;
        }
    }
    Ok(())
}

/// `check_cluster_scaling(data, cluster_id)`; `engine_version` asks the engines `get_engine_type_and_version`.
pub async fn cluster_scaling<F>(
    call: &Call<'_>,
    opts: &ClusterOpts,
    cluster: &Cluster,
    data: &Obj,
    engine_version: F,
) -> Result<(), ApiError>
where
    F: AsyncFnOnce() -> Result<String, ApiError>,
{
    let plugin = crate::templates::checks::plugin_exists(call, &cluster.plugin_name)
        .map_err(|_| crate::templates::checks::internal("plugin of the cluster is not enabled"))?;
    plugin_labels(call, plugin, &cluster.hadoop_version).await?;
    sahara_model::acl::check_tenant_for_update(
        ResourceKind::Cluster,
        &cluster.id,
        cluster.tenant_id.as_deref(),
        call.ctx.project_id.as_deref(),
    )?;
    let current = crate::templates::to_obj(cluster)?;
    sahara_model::acl::check_protected_from_update(ResourceKind::Cluster, &cluster.id, &current, data)?;

    let sahara_info = cluster.sahara_info.as_ref().filter(|m| !m.is_empty());
    let cluster_engine = sahara_info
        .and_then(|i| i.get("infrastructure_engine"))
        .filter(|v| truthy(Some(v)))
        .map(py_str);
    let engine = engine_version()
        .await
        .map_err(|_| crate::templates::checks::internal("get_engine_type_and_version failed"))?;
    if cluster_engine.is_none() && !engine.starts_with("direct") {
        return Err(SaharaError::InvalidReference(format!(
            "Cluster created before Juno release can't be scaled with {engine} engine"
        ))
        .into());
    }
    if sahara_info.is_some() && cluster_engine.as_deref() != Some(engine.as_str()) {
        let old = sahara_info
            .and_then(|i| i.get("infrastructure_engine"))
            .map(py_str)
            .unwrap_or_else(|| "None".into());
        return Err(SaharaError::InvalidReference(format!(
            "Cluster created with {old} infrastructure engine can't be scaled with {engine} engine"
        ))
        .into());
    }
    // Every plugin we carry implements `scale_cluster` and `decommission_nodes`.
    if cluster.status != Some(ClusterStatus::Active) {
        let status = cluster
            .status
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_else(|| "None".into());
        return Err(SaharaError::InvalidReference(format!(
            "Cluster cannot be scaled not in 'Active' status. Cluster status: {status}"
        ))
        .into());
    }
    let cloud = call.cloud();
    if let Some(kp) = cluster.user_keypair_id.as_deref().filter(|s| !s.is_empty()) {
        cloud.keypair_exists(kp).await?;
    }
    if let Some(image) = cluster.default_image_id.as_deref().filter(|s| !s.is_empty()) {
        cloud.image_registered(image).await?;
    }
    if truthy(data.get("resize_node_groups"))
        && let Some(groups) = data["resize_node_groups"].as_array()
    {
        resize(call, plugin, cluster, groups).await?;
    }
    if truthy(data.get("add_node_groups"))
        && let Some(groups) = data["add_node_groups"].as_array()
    {
        add_node_groups(call, plugin, cluster, groups).await?;
        hostnames_lengths(opts, &cluster.name, groups)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiple_names_are_zero_padded_to_the_count() {
        assert_eq!(multiple_cluster_name(10, "foo", 1), "foo-01");
        assert_eq!(multiple_cluster_name(10, "foo", 10), "foo-10");
        assert_eq!(multiple_cluster_name(3, "foo", 2), "foo-2");
    }

    #[test]
    fn uuid_like_as_oslo() {
        assert!(is_uuid_like("0b7d7b1a-8d2e-4c1b-9c3f-0c3c9a5f2f11"));
        assert!(is_uuid_like("0B7D7B1A-8D2E-4C1B-9C3F-0C3C9A5F2F11"));
        assert!(!is_uuid_like("cluster-worker-001"));
    }

    #[test]
    fn hostnames_must_fit() {
        let opts = ClusterOpts::default();
        let ok = serde_json::json!([{"name": "worker", "count": 3}]);
        assert!(hostnames_lengths(&opts, "c", ok.as_array().unwrap()).is_ok());
        let long = serde_json::json!([{"name": "w".repeat(60), "count": 3}]);
        let e = hostnames_lengths(&opts, "c", long.as_array().unwrap()).unwrap_err();
        assert_eq!(e.name, "INVALID_DATA");
    }
}
