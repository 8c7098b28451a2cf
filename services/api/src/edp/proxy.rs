//! Proxy users for job executions (sahara/utils/proxy.py, the API's part): with
//! `use_domain_for_proxy_users`, Swift data sources and job binaries need no credentials of their own,
//! and a job execution touching `swift://` gets a proxy user (`job_<id>` in the proxy domain, with a
//! trust from the user) when it is created; its credentials go to `job_configs.proxy_configs`, which no
//! view shows. The engine deletes the user when the job ends (or the zombie sweep does).

use crate::error::ApiError;
use crate::templates::{Call, Obj};
use sahara_model::SaharaError;
use sahara_model::resources::JobExecution;
use sahara_openstack::OpenStackError;
use sahara_openstack::proxy::{self, ProxyOptions};
use serde_json::{Value, json};

/// `swift://`, Sahara's `SWIFT_INTERNAL_PREFIX`.
const SWIFT_INTERNAL_PREFIX: &str = "swift://";
/// `edp.substitute_data_source_for_name`.
const SUBST_NAME: &str = "edp.substitute_data_source_for_name";
/// `edp.substitute_data_source_for_uuid`.
const SUBST_UUID: &str = "edp.substitute_data_source_for_uuid";

fn swift_value(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.starts_with(SWIFT_INTERNAL_PREFIX))
}

/// The string values of `args`, and of `configs` and `params` (their values only).
fn config_values(job_configs: &Value) -> impl Iterator<Item = &str> {
    let args = job_configs.get("args").and_then(Value::as_array).into_iter().flatten();
    let maps = ["configs", "params"]
        .into_iter()
        .filter_map(|k| job_configs.get(k).and_then(Value::as_object))
        .flat_map(|m| m.values());
    args.chain(maps).filter_map(Value::as_str)
}

/// Whether `configs[option]` is `True` (or the string `"True"`, as the dashboard sends it).
fn subst_option(job_configs: &Value, option: &str) -> bool {
    matches!(
        job_configs.get("configs").and_then(|c| c.get(option)),
        Some(Value::Bool(true))
    ) || job_configs
        .get("configs")
        .and_then(|c| c.get(option))
        .and_then(Value::as_str)
        == Some("True")
}

/// Whether a text has the form of a uuid (`uuidutils.is_uuid_like`: Python's `uuid.UUID` reading, which drops
/// `urn:`, `uuid:`, surrounding braces and every hyphen, then wants 32 hex digits).
fn uuid_like(s: &str) -> bool {
    let t = s.replace("urn:", "").replace("uuid:", "");
    let t = t.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    t.len() == 32 && t.chars().all(|c| c.is_ascii_hexdigit())
}

/// `job_execution_requires_proxy_user`: a `swift://` value in the input or output data source, the
/// configs, params or args, the job's mains or libs, or a data source they reference by name
/// (`datasource://`) or uuid when the substitution options are on.
pub async fn requires_proxy_user(call: &Call<'_>, je: &JobExecution) -> Result<bool, ApiError> {
    if !call.state.edp.use_domain_for_proxy_users {
        return Ok(false);
    }
    let conductor = &call.state.conductor;
    for id in [&je.output_id, &je.input_id].into_iter().flatten() {
        if let Some(ds) = conductor.data_source_get(call.ctx, id).await?
            && ds.url.starts_with(SWIFT_INTERNAL_PREFIX)
        {
            return Ok(true);
        }
    }
    let configs = je.job_configs.clone().map(Value::Object).unwrap_or_else(|| json!({}));
    if config_values(&configs).any(|v| v.starts_with(SWIFT_INTERNAL_PREFIX)) {
        return Ok(true);
    }
    if let Some(job_id) = je.job_id.as_deref()
        && let Some(job) = conductor.job_get(call.ctx, job_id).await?
        && job
            .mains
            .iter()
            .chain(job.libs.iter())
            .any(|b| swift_value(&json!(b.url)))
    {
        return Ok(true);
    }
    let mut searches = Vec::new();
    if subst_option(&configs, SUBST_NAME) {
        let names: std::collections::BTreeSet<&str> = config_values(&configs)
            .filter_map(|v| v.strip_prefix("datasource://"))
            .collect();
        if !names.is_empty() {
            searches.push(("name", names.into_iter().map(|n| json!(n)).collect::<Vec<_>>()));
        }
    }
    if subst_option(&configs, SUBST_UUID) {
        let ids: std::collections::BTreeSet<&str> = config_values(&configs).filter(|v| uuid_like(v)).collect();
        if !ids.is_empty() {
            searches.push(("id", ids.into_iter().map(|n| json!(n)).collect()));
        }
    }
    for (field, values) in searches {
        let mut filters = Obj::new();
        filters.insert(field.into(), Value::Array(values));
        filters.insert("url".into(), json!(format!("{SWIFT_INTERNAL_PREFIX}%")));
        if conductor.data_source_count(call.ctx, filters).await? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// `create_proxy_user_for_job_execution`: the proxy user and its trust, stored in the execution's
/// `job_configs.proxy_configs`.
pub async fn create_for_job_execution(call: &Call<'_>, je: &JobExecution) -> Result<(), ApiError> {
    let session = call.state.cloud.require_session(call.ctx)?;
    let opts = &call.state.edp;
    let options = ProxyOptions {
        domain_name: opts.proxy_user_domain_name.as_deref(),
        role_names: &opts.proxy_user_role_names,
    };
    let proxy_configs = proxy::create_proxy_user_for_job_execution(&session, options, &je.id)
        .await
        .map_err(proxy_error)?;
    let mut configs = je.job_configs.clone().unwrap_or_default();
    configs.insert("proxy_configs".into(), proxy_configs);
    let mut update = Obj::new();
    update.insert("job_configs".into(), Value::Object(configs));
    call.state
        .conductor
        .job_execution_update(call.ctx, &je.id, update)
        .await?;
    Ok(())
}

/// A proxy-user failure as Sahara raises it: its own exceptions (`ConfigurationError`,
/// `NotFoundException`), else what the cloud answered.
fn proxy_error(e: OpenStackError) -> ApiError {
    match e {
        OpenStackError::Configuration(m) => SaharaError::Configuration(m).into(),
        OpenStackError::NotFound {
            service: "keystone",
            message,
        } => SaharaError::NotFound(message).into(),
        other => crate::cloud::cloud_error(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swift_values_are_found_in_args_configs_and_params_only() {
        let c = json!({"args": ["a", "swift://c.sahara/o"], "configs": {}, "params": {}});
        assert!(config_values(&c).any(|v| v.starts_with(SWIFT_INTERNAL_PREFIX)));
        let c = json!({"configs": {"swift://key": "value"}, "params": {"p": "swift://c/o"}});
        let found: Vec<&str> = config_values(&c).collect();
        assert_eq!(found, ["value", "swift://c/o"], "keys do not count, values do");
        assert_eq!(config_values(&json!({"args": [1, true]})).count(), 0);
    }

    #[test]
    fn substitution_options_are_true_or_the_string_true() {
        assert!(subst_option(&json!({"configs": {SUBST_NAME: true}}), SUBST_NAME));
        assert!(subst_option(&json!({"configs": {SUBST_NAME: "True"}}), SUBST_NAME));
        assert!(!subst_option(&json!({"configs": {SUBST_NAME: "true"}}), SUBST_NAME));
        assert!(!subst_option(&json!({"configs": {}}), SUBST_UUID));
    }

    #[test]
    fn uuids_are_recognised_as_oslo_does() {
        assert!(uuid_like("8a8b7e0c-1f5d-4e51-9b36-6b0c6a0d9f11"));
        assert!(uuid_like("8A8B7E0C-1F5D-4E51-9B36-6B0C6A0D9F11"));
        assert!(uuid_like("8a8b7e0c1f5d4e519b366b0c6a0d9f11"));
        assert!(uuid_like("{urn:uuid:8a8b7e0c-1f5d-4e51-9b36-6b0c6a0d9f11}"));
        assert!(!uuid_like("8a8b7e0c1f5d4e519b366b0c6a0d9f11x"));
        assert!(!uuid_like("swift://c/o"));
    }
}
