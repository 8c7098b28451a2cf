//! Sahara's semantic validation of templates (sahara/service/validations/base.py, node_group_templates.py,
//! cluster_templates.py, shares.py), in Sahara's order and with its messages. The checks that ask the cloud go
//! through [`crate::cloud::CloudChecks`].

use super::{Call, Obj};
use crate::error::ApiError;
use crate::plugins::Plugin;
use sahara_model::SaharaError;
use sahara_model::error::py_repr_str;
use serde_json::{Map, Value};

/// Python's truthiness of a JSON value (`if data.get(key):`).
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// `str()` of a JSON value as Python formats it into a message.
pub fn py_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => sahara_validation::py_repr(other),
    }
}

/// Python's `repr` of a list of strings.
pub fn py_list(items: &[String]) -> String {
    format!(
        "[{}]",
        items.iter().map(|s| py_repr_str(s)).collect::<Vec<_>>().join(", ")
    )
}

/// A failure inside a validator that is not a Sahara exception (`KeyError`, `AttributeError`...): Sahara answers
/// 500 `Error occurred during validation`.
pub fn internal(what: &str) -> ApiError {
    tracing::error!(what, "validation failed unexpectedly");
    ApiError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "INTERNAL_SERVER_ERROR",
        "Error occurred during validation",
    )
}

/// The key that names the version in `data`: `plugin_version` when it is set, else `hadoop_version`.
pub fn version_key(data: &Obj) -> &'static str {
    if truthy(data.get("plugin_version")) {
        "plugin_version"
    } else {
        "hadoop_version"
    }
}

/// The version a create's checks read: `data[version_key(data)]`. Sahara reads `hadoop_version` when
/// `plugin_version` is empty, which a v2 body never carries: a `KeyError`, answered 500. Ours reads the empty
/// `plugin_version` instead, so such a create is refused as a version the plugin does not support (400
/// `INVALID_REFERENCE`) rather than with a server error (a conscious deviation).
pub fn create_version(data: &Obj) -> Result<String, ApiError> {
    let vkey = version_key(data);
    match data.get("plugin_version") {
        Some(v) if !data.contains_key(vkey) => Ok(py_str(v)),
        _ => required_str(data, vkey),
    }
}

/// `data[key]` as a string (a missing key is Python's `KeyError`).
pub fn required_str(data: &Obj, key: &str) -> Result<String, ApiError> {
    data.get(key)
        .map(py_str)
        .ok_or_else(|| internal(&format!("KeyError: '{key}'")))
}

/// The configuration names of a plugin version by applicable target (`_get_plugin_configs`), in order.
pub type PluginConfigs = Vec<(String, Vec<String>)>;

/// `_get_plugin_configs(plugin_name, version)`.
pub fn plugin_configs(plugin: &Plugin, version: &str) -> PluginConfigs {
    let mut out: PluginConfigs = Vec::new();
    for c in (plugin.configs)(version) {
        match out.iter_mut().find(|(t, _)| t == c.applicable_target) {
            Some((_, names)) => names.push(c.name.to_string()),
            None => out.push((c.applicable_target.to_string(), vec![c.name.to_string()])),
        }
    }
    out
}

/// `check_plugin_name_exists`: INVALID_REFERENCE `Sahara doesn't contain plugin with name '<name>'`.
pub fn plugin_exists(call: &Call<'_>, name: &str) -> Result<&'static Plugin, ApiError> {
    call.state.plugins.get(name).ok_or_else(|| {
        SaharaError::InvalidReference(format!("Sahara doesn't contain plugin with name '{name}'")).into()
    })
}

/// The enabled plugin `name`, which a stored template names (Sahara's `get_plugin(...)` returning `None` makes
/// the next call fail with `AttributeError`: 500).
fn stored_plugin(call: &Call<'_>, name: &str) -> Result<&'static Plugin, ApiError> {
    call.state
        .plugins
        .get(name)
        .ok_or_else(|| internal(&format!("plugin {name} is not enabled")))
}

/// `check_plugin_supports_version`: INVALID_REFERENCE `Requested plugin '<p>' doesn't support version '<v>'`.
pub fn plugin_supports_version(plugin: &Plugin, version: &str) -> Result<(), ApiError> {
    if plugin.versions.contains(&version) {
        return Ok(());
    }
    Err(SaharaError::InvalidReference(format!(
        "Requested plugin '{}' doesn't support version '{version}'",
        plugin.name
    ))
    .into())
}

/// `check_node_group_configs`: every target and config name must be the plugin's.
pub fn node_group_configs(confs: &PluginConfigs, ng_configs: &Value) -> Result<(), ApiError> {
    let Value::Object(targets) = ng_configs else {
        return Ok(());
    };
    for (target, configs) in targets {
        let Some((_, names)) = confs.iter().find(|(t, _)| t == target) else {
            return Err(
                SaharaError::InvalidReference(format!("Plugin doesn't contain applicable target '{target}'")).into(),
            );
        };
        if let Value::Object(configs) = configs {
            for name in configs.keys() {
                if !names.contains(name) {
                    return Err(SaharaError::InvalidReference(format!(
                        "Plugin's applicable target '{target}' doesn't contain config with name '{name}'"
                    ))
                    .into());
                }
            }
        }
    }
    Ok(())
}

/// `_check_duplicates`: INVALID_DATA with the repeated items, in first-seen order.
pub fn duplicates(items: &[String], message: &str) -> Result<(), ApiError> {
    let mut seen: Vec<(&String, usize)> = Vec::new();
    for item in items {
        match seen.iter_mut().find(|(s, _)| *s == item) {
            Some((_, n)) => *n += 1,
            None => seen.push((item, 1)),
        }
    }
    let dups: Vec<String> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(s, _)| s.clone())
        .collect();
    if dups.is_empty() {
        return Ok(());
    }
    Err(SaharaError::InvalidData(message.replace("%s", &py_list(&dups))).into())
}

pub fn strings(v: &Value) -> Vec<String> {
    v.as_array().map(|a| a.iter().map(py_str).collect()).unwrap_or_default()
}

/// `check_node_processes`: no duplicates, and every process is one the plugin has.
pub fn node_processes(plugin: &Plugin, processes: &Value) -> Result<(), ApiError> {
    let processes = strings(processes);
    duplicates(&processes, "Duplicates in node processes have been detected: %s")?;
    let known: Vec<&str> = plugin
        .node_processes
        .iter()
        .flat_map(|(_, p)| p.iter().copied())
        .collect();
    let mut invalid: Vec<String> = processes.into_iter().filter(|p| !known.contains(&p.as_str())).collect();
    if invalid.is_empty() {
        return Ok(());
    }
    invalid.sort();
    Err(SaharaError::InvalidReference(format!(
        "Plugin doesn't support the following node processes: {}",
        py_list(&invalid)
    ))
    .into())
}

/// `check_duplicates_node_groups_names`.
pub fn node_group_names(node_groups: &[Value]) -> Result<(), ApiError> {
    let names: Vec<String> = node_groups
        .iter()
        .map(|ng| ng.get("name").map(py_str).unwrap_or_default())
        .collect();
    duplicates(&names, "Duplicates in node group names are detected: %s")
}

/// `check_node_group_basic_fields(plugin, version, ng, plugin_configs)` (the version only selects `confs`): the node group template it refers to
/// (which must exist), then its own configs, flavor, processes, image, volumes, floating IP pool, security
/// groups and availability zone.
pub async fn node_group_basic_fields(
    call: &Call<'_>,
    plugin: &Plugin,
    ng: &Obj,
    confs: &PluginConfigs,
) -> Result<(), ApiError> {
    if truthy(ng.get("node_group_template_id")) {
        let id = ng.get("node_group_template_id").map(py_str).unwrap_or_default();
        let Some(ngt) = call.state.conductor.node_group_template_get(call.ctx, &id).await? else {
            return Err(SaharaError::NotFound(format!("NodeGroup template with id '{id}' not found")).into());
        };
        let ngt = super::view(
            sahara_model::ResourceKind::NodeGroupTemplate,
            &ngt,
            sahara_model::ApiVersion::V1,
        )?;
        own_fields(call, plugin, &ngt, confs).await?;
    }
    own_fields(call, plugin, ng, confs).await
}

async fn own_fields(call: &Call<'_>, plugin: &Plugin, ng: &Obj, confs: &PluginConfigs) -> Result<(), ApiError> {
    let cloud = call.cloud();
    if truthy(ng.get("node_configs")) {
        node_group_configs(confs, &ng["node_configs"])?;
    }
    if truthy(ng.get("flavor_id")) {
        cloud.flavor_exists(&py_str(&ng["flavor_id"])).await?;
    }
    if truthy(ng.get("node_processes")) {
        node_processes(plugin, &ng["node_processes"])?;
    }
    if truthy(ng.get("image_id")) {
        cloud.image_registered(&py_str(&ng["image_id"])).await?;
    }
    if truthy(ng.get("volumes_per_node")) {
        cloud.cinder_exists().await?;
        if truthy(ng.get("volumes_availability_zone")) {
            cloud
                .volume_availability_zone_exists(&py_str(&ng["volumes_availability_zone"]))
                .await?;
        }
        if truthy(ng.get("volume_type")) {
            cloud.volume_type_exists(&py_str(&ng["volume_type"])).await?;
        }
        if !truthy(ng.get("volumes_size")) {
            return Err(SaharaError::InvalidReference("You must specify a volumes_size parameter".into()).into());
        }
    }
    if truthy(ng.get("floating_ip_pool")) {
        cloud.floating_ip_pool_exists(&py_str(&ng["floating_ip_pool"])).await?;
    }
    if truthy(ng.get("security_groups")) {
        cloud.security_groups_exist(&strings(&ng["security_groups"])).await?;
    }
    if truthy(ng.get("availability_zone")) {
        cloud
            .availability_zone_exists(&py_str(&ng["availability_zone"]))
            .await?;
    }
    Ok(())
}

/// `check_image_registered` then `check_required_image_tags`.
async fn image(call: &Call<'_>, plugin: &Plugin, version: &str, image_id: &Value) -> Result<(), ApiError> {
    let image_id = py_str(image_id);
    let cloud = call.cloud();
    cloud.image_registered(&image_id).await?;
    let tags = plugin.required_image_tags(version);
    cloud.required_image_tags(&image_id, &tags).await?;
    Ok(())
}

/// `shares.check_shares`: distinct absolute paths without NUL, then each share in Manila.
pub async fn shares(call: &Call<'_>, shares: &Value) -> Result<(), ApiError> {
    let Value::Array(shares) = shares else {
        return Ok(());
    };
    if shares.is_empty() {
        return Ok(());
    }
    let paths: Vec<String> = shares
        .iter()
        .filter_map(|s| s.get("path").filter(|p| !p.is_null()).map(py_str))
        .collect();
    let mut distinct = paths.clone();
    distinct.sort();
    distinct.dedup();
    if distinct.len() != paths.len() {
        return Err(SaharaError::InvalidData("Multiple shares cannot be mounted to the same path.".into()).into());
    }
    if paths.iter().any(|p| !p.starts_with('/') || p.contains('\0')) {
        return Err(SaharaError::InvalidData(
            "Paths must be absolute Linux paths starting with \"/\" and may not contain nulls.".into(),
        )
        .into());
    }
    let ids: Vec<String> = shares.iter().filter_map(|s| s.get("id").map(py_str)).collect();
    call.cloud().shares_exist(&ids).await?;
    Ok(())
}

/// `check_node_group_template_unique_name`: no visible node group template has this name.
///
/// Sahara lists the templates whose name matches the name as a regular expression, then looks
/// for an exact match among them. The exact matches are found as well among the templates
/// whose name equals it as the database compares (an index lookup, where the regular
/// expression reads every row of the project), and the names that reach this check (the
/// schema's `valid_name_hostname`) cannot be an invalid regular expression, so the answer is
/// the same.
async fn ngt_unique_name(call: &Call<'_>, name: &str) -> Result<(), ApiError> {
    if call.name_taken("node_group_template_get_all", name).await? {
        return Err(
            SaharaError::NameAlreadyExists(format!("NodeGroup template with name '{name}' already exists")).into(),
        );
    }
    Ok(())
}

/// `check_cluster_template_unique_name` (an exact lookup, as [`ngt_unique_name`]).
async fn ct_unique_name(call: &Call<'_>, name: &str) -> Result<(), ApiError> {
    if call.name_taken("cluster_template_get_all", name).await? {
        return Err(
            SaharaError::NameAlreadyExists(format!("Cluster template with name '{name}' already exists")).into(),
        );
    }
    Ok(())
}

/// `check_node_group_template_create(data)`.
///
/// The unique-name lookup (the database) and the other checks (the cloud: flavor, image, shares) are read-only, so
/// they run side by side; the answer is still Sahara's first failure: the name's, else the others' in order.
pub async fn node_group_template_create(call: &Call<'_>, data: &Obj) -> Result<(), ApiError> {
    let name = required_str(data, "name")?;
    let others = async {
        let plugin = plugin_exists(call, &required_str(data, "plugin_name")?)?;
        let version = create_version(data)?;
        plugin_supports_version(plugin, &version)?;
        let confs = plugin_configs(plugin, &version);
        node_group_basic_fields(call, plugin, data, &confs).await?;
        if truthy(data.get("image_id")) {
            image(call, plugin, &version, &data["image_id"]).await?;
        }
        if truthy(data.get("shares")) {
            shares(call, &data["shares"]).await?;
        }
        Ok::<(), ApiError>(())
    };
    let (unique, others) = tokio::join!(ngt_unique_name(call, &name), others);
    unique.and(others)
}

/// The plugin and version an update is checked against: the request's (`You must specify a <key> value for your
/// plugin_name` when only the plugin is given), else the stored template's (`stored`: plugin name, version).
fn update_plugin(
    call: &Call<'_>,
    data: &Obj,
    stored: impl FnOnce() -> (String, String),
) -> Result<(&'static Plugin, String, bool), ApiError> {
    let vkey = version_key(data);
    if truthy(data.get("plugin_name")) && !truthy(data.get(vkey)) {
        return Err(
            SaharaError::InvalidReference(format!("You must specify a {vkey} value for your plugin_name")).into(),
        );
    }
    if truthy(data.get("plugin_name")) {
        let plugin = plugin_exists(call, &py_str(&data["plugin_name"]))?;
        let version = py_str(&data[vkey]);
        plugin_supports_version(plugin, &version)?;
        return Ok((plugin, version, true));
    }
    let (plugin_name, stored_version) = stored();
    let plugin = stored_plugin(call, &plugin_name)?;
    if truthy(data.get(vkey)) {
        let version = py_str(&data[vkey]);
        plugin_supports_version(plugin, &version)?;
        Ok((plugin, version, false))
    } else {
        Ok((plugin, stored_version, false))
    }
}

/// `check_node_group_template_update(id, data)`; `stored` is the template being updated.
pub async fn node_group_template_update(
    call: &Call<'_>,
    stored: &sahara_model::NodeGroupTemplate,
    data: &Obj,
) -> Result<(), ApiError> {
    let (plugin, version, _) = update_plugin(call, data, || {
        (stored.plugin_name.clone(), stored.hadoop_version.clone())
    })?;
    if truthy(data.get("image_id")) {
        image(call, plugin, &version, &data["image_id"]).await?;
    }
    let confs = plugin_configs(plugin, &version);
    node_group_basic_fields(call, plugin, data, &confs).await?;
    if truthy(data.get("shares")) {
        shares(call, &data["shares"]).await?;
    }
    Ok(())
}

/// `check_all_configurations(data)` for `plugin` and `version`: cluster configs, then the node groups' names
/// and fields.
pub async fn all_configurations(call: &Call<'_>, plugin: &Plugin, version: &str, data: &Obj) -> Result<(), ApiError> {
    let confs = plugin_configs(plugin, version);
    if truthy(data.get("cluster_configs")) {
        node_group_configs(&confs, &data["cluster_configs"])?;
    }
    if truthy(data.get("node_groups"))
        && let Some(ngs) = data["node_groups"].as_array()
    {
        node_group_names(ngs)?;
        for ng in ngs {
            if let Value::Object(ng) = ng {
                node_group_basic_fields(call, plugin, ng, &confs).await?;
            }
        }
    }
    Ok(())
}

/// The checks of a cluster template's image, anti-affinity, network and shares, shared by create and update.
async fn template_extras(call: &Call<'_>, plugin: &Plugin, data: &Obj) -> Result<(), ApiError> {
    if truthy(data.get("anti_affinity")) {
        node_processes(plugin, &data["anti_affinity"])?;
    }
    if truthy(data.get("neutron_management_network")) {
        call.cloud()
            .network_exists(&py_str(&data["neutron_management_network"]))
            .await?;
    }
    if truthy(data.get("shares")) {
        shares(call, &data["shares"]).await?;
    }
    Ok(())
}

/// `check_cluster_template_create(data)`.
pub async fn cluster_template_create(call: &Call<'_>, data: &Obj) -> Result<(), ApiError> {
    ct_unique_name(call, &required_str(data, "name")?).await?;
    let plugin = plugin_exists(call, &required_str(data, "plugin_name")?)?;
    let version = create_version(data)?;
    plugin_supports_version(plugin, &version)?;
    if truthy(data.get("default_image_id")) {
        image(call, plugin, &version, &data["default_image_id"]).await?;
    }
    all_configurations(call, plugin, &version, data).await?;
    template_extras(call, plugin, data).await
}

/// `check_cluster_template_update(id, data)`; `stored` is the template being updated. The node groups are only
/// checked when the plugin is given, as in Sahara.
pub async fn cluster_template_update(
    call: &Call<'_>,
    stored: &sahara_model::ClusterTemplate,
    data: &Obj,
) -> Result<(), ApiError> {
    let (plugin, version, given) = update_plugin(call, data, || {
        (stored.plugin_name.clone(), stored.hadoop_version.clone())
    })?;
    if given {
        all_configurations(call, plugin, &version, data).await?;
    }
    if truthy(data.get("default_image_id")) {
        image(call, plugin, &version, &data["default_image_id"]).await?;
    }
    template_extras(call, plugin, data).await
}

/// `check_node_group_template_usage`: INVALID_REFERENCE while a cluster or cluster template uses it.
pub async fn node_group_template_usage(call: &Call<'_>, id: &str) -> Result<(), ApiError> {
    let clusters = call.state.conductor.cluster_get_all(call.ctx, true, Map::new()).await?;
    let cluster_users: Vec<String> = clusters
        .items
        .iter()
        .filter(|c| {
            c.node_groups
                .iter()
                .any(|ng| ng.node_group_template_id.as_deref() == Some(id))
        })
        .map(|c| c.name.clone())
        .collect();
    let templates = call
        .state
        .conductor
        .cluster_template_get_all(call.ctx, true, Map::new())
        .await?;
    let template_users: Vec<String> = templates
        .items
        .iter()
        .filter(|t| {
            t.node_groups
                .iter()
                .any(|ng| ng.node_group_template_id.as_deref() == Some(id))
        })
        .map(|t| t.name.clone())
        .collect();
    if cluster_users.is_empty() && template_users.is_empty() {
        return Ok(());
    }
    let or_na = |v: &[String]| if v.is_empty() { "N/A".to_string() } else { v.join(", ") };
    Err(SaharaError::InvalidReference(format!(
        "Node group template {id} is in use by cluster templates: {}; and clusters: {}",
        or_na(&template_users),
        or_na(&cluster_users)
    ))
    .into())
}

/// `check_cluster_template_usage`: INVALID_REFERENCE while a cluster was made from it.
pub async fn cluster_template_usage(call: &Call<'_>, id: &str) -> Result<(), ApiError> {
    let clusters = call.state.conductor.cluster_get_all(call.ctx, true, Map::new()).await?;
    let users: Vec<String> = clusters
        .items
        .iter()
        .filter(|c| c.cluster_template_id.as_deref() == Some(id))
        .map(|c| c.name.clone())
        .collect();
    if users.is_empty() {
        return Ok(());
    }
    Err(SaharaError::InvalidReference(format!("Cluster template {id} in use by {}", users.join(", "))).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_create_reads_an_empty_plugin_version_instead_of_failing() {
        let obj = |v: Value| v.as_object().cloned().unwrap();
        assert_eq!(create_version(&obj(json!({"plugin_version": "0.1"}))).unwrap(), "0.1");
        assert_eq!(create_version(&obj(json!({"hadoop_version": "0.1"}))).unwrap(), "0.1");
        assert_eq!(create_version(&obj(json!({"plugin_version": ""}))).unwrap(), "");
        let both = obj(json!({"plugin_version": "", "hadoop_version": "0.1"}));
        assert_eq!(create_version(&both).unwrap(), "0.1");
        assert_eq!(create_version(&Obj::new()).unwrap_err().status.as_u16(), 500);
    }

    #[test]
    fn python_truthiness() {
        assert!(!truthy(None));
        assert!(!truthy(Some(&json!(null))));
        assert!(!truthy(Some(&json!(0))));
        assert!(!truthy(Some(&json!(""))));
        assert!(!truthy(Some(&json!([]))));
        assert!(!truthy(Some(&json!({}))));
        assert!(truthy(Some(&json!("0"))));
        assert!(truthy(Some(&json!(2))));
    }

    #[test]
    fn processes_and_duplicates_as_sahara_words_them() {
        let fake = &crate::plugins::fake::FAKE;
        let e = node_processes(fake, &json!(["namenode", "oozie", "hive", "namenode"])).unwrap_err();
        assert!(
            e.message
                .starts_with("Duplicates in node processes have been detected: ['namenode']\nError ID: ")
        );
        let e = node_processes(fake, &json!(["oozie", "hive"])).unwrap_err();
        assert!(
            e.message
                .starts_with("Plugin doesn't support the following node processes: ['hive', 'oozie']")
        );
        assert!(node_processes(fake, &json!(["datanode", "jobtracker"])).is_ok());
        let confs = plugin_configs(fake, "0.1");
        assert!(node_group_configs(&confs, &json!({"general": {"Enable NTP service": false}})).is_ok());
        let e = node_group_configs(&confs, &json!({"YARN": {}})).unwrap_err();
        assert_eq!(e.name, "INVALID_REFERENCE");
    }
}
