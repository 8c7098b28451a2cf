//! Sahara's semantic validation of EDP requests (sahara/service/validations/edp/*.py and the data source / job
//! binary types' `validate`), in Sahara's order and with its messages, with Sahara's default options
//! (`data_source_types`, `job_binary_types` all enabled); with `use_domain_for_proxy_users`, Swift data sources and
//! job binaries need no credentials (a proxy user reads them).

use super::{Url, is_uuid_like};
use crate::error::ApiError;
use crate::templates::checks::truthy;
use crate::templates::{Call, Obj};
use sahara_model::SaharaError;
use sahara_model::resources::{Cluster, Job};
use serde_json::{Value, json};

fn invalid(msg: impl Into<String>) -> ApiError {
    SaharaError::InvalidData(msg.into()).into()
}

fn s<'a>(data: &'a Obj, key: &str) -> &'a str {
    data.get(key).and_then(Value::as_str).unwrap_or("")
}

/// `check_data_source_unique_name`.
async fn data_source_unique_name(call: &Call<'_>, name: &str) -> Result<(), ApiError> {
    if call.name_taken("data_source_get_all", name).await? {
        return Err(SaharaError::NameAlreadyExists(format!("Data source with name '{name}' already exists")).into());
    }
    Ok(())
}

/// `_check_datasource_placeholder`: `%RANDSTR(n)%` lengths positive, 1024 at most in total.
fn placeholder(url: &str) -> Result<(), ApiError> {
    let mut total: i64 = 0;
    let mut rest = url;
    while let Some(i) = rest.find("%RANDSTR(") {
        rest = &rest[i + "%RANDSTR(".len()..];
        let Some(end) = rest.find(")%") else { break };
        let n = &rest[..end];
        let digits = n.strip_prefix('-').unwrap_or(n);
        if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
            let len: i64 = n.parse().unwrap_or(i64::MAX);
            if len <= 0 {
                return Err(invalid("Requested RANDSTR length must be positive."));
            }
            total = total.saturating_add(len);
        }
    }
    if total > 1024 {
        return Err(invalid(
            "Requested RANDSTR length is too long, please choose a value less than 1024.",
        ));
    }
    Ok(())
}

/// `_check_data_source`: the placeholder check, then the type's `validate`.
fn data_source_type(data: &Obj, proxy_users: bool) -> Result<(), ApiError> {
    let url_text = s(data, "url");
    placeholder(url_text)?;
    let url = Url::parse(url_text);
    match s(data, "type") {
        "swift" => {
            if url_text.is_empty() {
                return Err(invalid("Swift url must not be empty"));
            }
            if url.scheme != "swift" {
                return Err(invalid("URL scheme must be 'swift'"));
            }
            if (url.netloc.contains(".sahara") && !url.netloc.ends_with(".sahara")) || url.path.len() <= 1 {
                return Err(invalid("URL must be of the form swift://container.sahara/object"));
            }
            if proxy_users {
                return Ok(());
            }
            let creds = data.get("credentials");
            let Some(creds) = creds.filter(|c| !c.is_null()) else {
                return Err(SaharaError::InvalidCredentials("No credentials provided for Swift".into()).into());
            };
            let has = |k: &str| creds.as_object().is_some_and(|m| m.contains_key(k));
            if !has("user") {
                return Err(
                    SaharaError::InvalidCredentials("User is not provided in credentials for Swift".into()).into(),
                );
            }
            if !has("password") {
                return Err(SaharaError::InvalidCredentials(
                    "Password is not provided in credentials for Swift".into(),
                )
                .into());
            }
        }
        "hdfs" => {
            if url_text.is_empty() {
                return Err(invalid("HDFS url must not be empty"));
            }
            if !url.scheme.is_empty() {
                if url.scheme != "hdfs" {
                    return Err(invalid("URL scheme must be 'hdfs'"));
                }
                if url.hostname().is_none() {
                    return Err(invalid("HDFS url is incorrect, cannot determine a hostname"));
                }
            }
        }
        "maprfs" => {
            if url_text.is_empty() {
                return Err(invalid("MapR FS url must not be empty"));
            }
            if !url.scheme.is_empty() && url.scheme != "maprfs" {
                return Err(invalid("URL scheme must be 'maprfs'"));
            }
        }
        "manila" => manila_url(url_text, &url)?,
        "s3" => {
            if url_text.is_empty() {
                return Err(invalid("S3 url must not be empty"));
            }
            if url.scheme != "s3" && url.scheme != "s3a" {
                return Err(invalid("URL scheme must be 's3' or 's3a'"));
            }
            if url.hostname().is_none() {
                return Err(invalid("Bucket name must be present"));
            }
            if url.path.is_empty() {
                return Err(invalid("Object name must be present"));
            }
            if let Some(Value::Object(creds)) = data.get("credentials") {
                for (k, v) in creds {
                    if !["accesskey", "secretkey", "endpoint", "bucket_in_path", "ssl"].contains(&k.as_str()) {
                        return Err(invalid(format!("Unknown config '{k}' for S3 data source")));
                    }
                    if (k == "bucket_in_path" || k == "ssl") && !v.is_boolean() {
                        return Err(invalid(format!("Config '{k}' must be boolean")));
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

fn manila_url(text: &str, url: &Url) -> Result<(), ApiError> {
    if text.is_empty() {
        return Err(invalid("Manila url must not be empty"));
    }
    if url.scheme != "manila" {
        return Err(invalid("Manila url scheme must be 'manila'"));
    }
    if !is_uuid_like(&url.netloc) {
        return Err(invalid("Manila url netloc must be a uuid"));
    }
    if url.path.is_empty() {
        return Err(invalid("Manila url path must not be empty"));
    }
    Ok(())
}

/// `check_data_source_create`.
pub async fn data_source_create(call: &Call<'_>, data: &Obj) -> Result<(), ApiError> {
    data_source_unique_name(call, s(data, "name")).await?;
    data_source_type(data, call.state.edp.use_domain_for_proxy_users)
}

/// `check_data_source_update` (v1.1 only: v2's PATCH runs the schema alone): not used by a PENDING job, a unique
/// new name, and the type's checks over the merged values.
pub async fn data_source_update(
    call: &Call<'_>,
    id: &str,
    stored: &sahara_model::resources::DataSource,
    data: &Obj,
) -> Result<(), ApiError> {
    let jobs = call
        .state
        .conductor
        .job_execution_get_all(call.ctx, false, Obj::new())
        .await?;
    for je in jobs.items {
        let pending = je.info.as_ref().and_then(|i| i.get("status")).and_then(Value::as_str) == Some("PENDING");
        if pending && je.data_source_urls.as_ref().is_some_and(|u| u.contains_key(id)) {
            return Err(SaharaError::UpdateFailed(
                "DataSource is used in a PENDING Job and can not be updated.".into(),
            )
            .into());
        }
    }
    if let Some(name) = data.get("name").and_then(Value::as_str)
        && name != stored.name
    {
        data_source_unique_name(call, name).await?;
    }
    let or = |key: &str, stored: Value| {
        if truthy(data.get(key)) {
            data[key].clone()
        } else {
            stored
        }
    };
    let mut check = Obj::new();
    check.insert("type".into(), or("type", json!(stored.r#type)));
    check.insert("url".into(), or("url", json!(stored.url)));
    check.insert("credentials".into(), or("credentials", json!(stored.credentials)));
    data_source_type(&check, call.state.edp.use_domain_for_proxy_users)
}

/// `check_job_binary`: the type named by the URL's scheme validates the data (`update` skips the create-only
/// checks of swift and s3).
pub async fn job_binary(call: &Call<'_>, data: &Obj, update: bool) -> Result<(), ApiError> {
    let text = s(data, "url");
    if text.is_empty() {
        return Ok(());
    }
    let url = Url::parse(text);
    if url.scheme.is_empty() {
        return Err(invalid("Job binary url must have a scheme"));
    }
    match url.scheme.as_str() {
        "internal-db" => {
            if url.scheme != "internal-db" {
                return Err(invalid("URL scheme must be 'internal-db'"));
            }
            if !is_uuid_like(&url.netloc) {
                return Err(invalid("Internal data base url netloc must be a uuid"));
            }
            let jbi_id = text.replace("internal-db://", "");
            if call
                .state
                .conductor
                .job_binary_internal_get(call.ctx, &jbi_id)
                .await?
                .is_none()
            {
                return Err(SaharaError::InvalidReference(format!(
                    "JobBinaryInternal with id '{jbi_id}' doesn't exist"
                ))
                .into());
            }
        }
        "swift" => {
            if !update && !call.state.edp.use_domain_for_proxy_users {
                let extra = data.get("extra").and_then(Value::as_object);
                let has = |k: &str| truthy(extra.and_then(|e| e.get(k)));
                if !has("user") || !has("password") {
                    return Err(SaharaError::BadJobBinary(
                        "To work with JobBinary located in internal swift add 'user' and 'password' to extra".into(),
                    )
                    .into());
                }
            }
        }
        "s3" => {
            if !update {
                // `s3_common._validate_job_binary_url`, then the keys of `extra`.
                if !text.starts_with("s3://") {
                    return Err(SaharaError::BadJobBinary("URL for binary in S3 must start with s3://".into()).into());
                }
                if !format!("{}{}", url.netloc, url.path).contains('/') {
                    return Err(SaharaError::BadJobBinary(
                        "URL for binary in S3 must specify an object not a bucket".into(),
                    )
                    .into());
                }
                let keys: std::collections::BTreeSet<&str> = data
                    .get("extra")
                    .and_then(Value::as_object)
                    .map(|e| e.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                if keys != ["accesskey", "endpoint", "secretkey"].into_iter().collect() {
                    return Err(invalid(
                        "Configs 'accesskey', 'secretkey', and 'endpoint' must be provided.",
                    ));
                }
            }
        }
        "manila" => manila_url(text, &url)?,
        _ => return Err(invalid("Invalid job binary")),
    }
    Ok(())
}

/// `check_mains_libs`: which job types need mains or libs, and that every referenced binary exists.
pub async fn mains_libs(call: &Call<'_>, data: &Obj) -> Result<(), ApiError> {
    let ids = |key: &str| -> Vec<String> {
        data.get(key)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let (mains, libs) = (ids("mains"), ids("libs"));
    let job_type = s(data, "type");
    let (base, sub) = job_type.split_once('.').unwrap_or((job_type, ""));
    let streaming = base == "MapReduce" && sub == "Streaming";
    if ["Pig", "Hive", "Shell", "Spark", "Storm", "Storm.Pyleus"].contains(&base)
        || ["Storm.Pyleus"].contains(&job_type)
    {
        if mains.is_empty() {
            let msg = if ["Spark", "Storm"].contains(&base) || job_type == "Storm.Pyleus" {
                format!("{job_type} job requires main application jar")
            } else {
                format!("{job_type} flow requires main script")
            };
            return Err(invalid(msg));
        }
        if mains.iter().any(|m| libs.contains(m)) {
            return Err(invalid("'mains' and 'libs' overlap"));
        }
    } else {
        if !streaming && libs.is_empty() {
            return Err(invalid(format!("{job_type} flow requires libs")));
        }
        if !mains.is_empty() {
            return Err(invalid(format!("{job_type} flow does not use mains")));
        }
    }
    for id in mains.iter().chain(libs.iter()) {
        if call.state.conductor.job_binary_get(call.ctx, id).await?.is_none() {
            return Err(SaharaError::NotFound(format!("Job binary '{id}' does not exist")).into());
        }
    }
    Ok(())
}

/// The mapping types a job type's interface may use (`JOB_TYPES_ACCEPTABLE_CONFIGS`), in Python's set order
/// is not reproducible: the message lists them sorted.
fn acceptable(job_type: &str) -> &'static [&'static str] {
    match job_type {
        "Hive" => &["configs", "params"],
        "Pig" | "Shell" => &["configs", "params", "args"],
        "MapReduce" | "MapReduce.Streaming" => &["configs"],
        "Java" | "Spark" => &["configs", "args"],
        "Storm" => &["args"],
        _ => &[],
    }
}

/// `_validate_value` of an interface argument's value (a string for `string`, digits for `number`, an existing
/// data source id or a URL with a scheme for `data_source`).
async fn interface_value(call: &Call<'_>, value_type: &str, value: &Value) -> Result<(), ApiError> {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value_type {
        "number" => {
            if text.is_empty() || !text.chars().all(char::is_numeric) {
                return Err(invalid(format!("Value '{text}' is not a valid number.")));
            }
        }
        "data_source" => {
            if is_uuid_like(&text) {
                data_source_exists(call, &text).await?;
            } else if Url::parse(&text).scheme.is_empty() {
                return Err(invalid(format!(
                    "Data source value '{text}' is neither a valid data source ID nor a valid URL."
                )));
            }
        }
        _ => {
            if !value.is_string() {
                return Err(invalid(format!("Value '{text}' is not a valid string.")));
            }
        }
    }
    Ok(())
}

/// `check_job_interface`.
pub async fn interface(call: &Call<'_>, data: &Obj) -> Result<(), ApiError> {
    let Some(args) = data
        .get("interface")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    else {
        return Ok(());
    };
    let args: Vec<&Obj> = args.iter().filter_map(Value::as_object).collect();
    let names: std::collections::BTreeSet<&str> = args.iter().map(|a| s(a, "name")).collect();
    if names.len() != args.len() {
        return Err(invalid("Name must be unique within the interface for any job."));
    }
    let job_type = s(data, "type");
    let ok = acceptable(job_type);
    if args.iter().any(|a| !ok.contains(&s(a, "mapping_type"))) {
        let list = format!(
            "[{}]",
            ok.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")
        );
        return Err(invalid(format!(
            "Only mapping types {list} are allowed for job type {job_type}."
        )));
    }
    let positional: Vec<&&Obj> = args.iter().filter(|a| s(a, "mapping_type") == "args").collect();
    let unbroken = "Locations of positional arguments must be an unbroken integer sequence ascending from 0.";
    if !positional
        .iter()
        .all(|a| !s(a, "location").is_empty() && s(a, "location").chars().all(char::is_numeric))
    {
        return Err(invalid(unbroken));
    }
    let locations: std::collections::BTreeSet<u64> = positional
        .iter()
        .filter_map(|a| s(a, "location").parse().ok())
        .collect();
    if !(0..locations.len() as u64).all(|i| locations.contains(&i)) {
        return Err(invalid(unbroken));
    }
    if positional
        .iter()
        .any(|a| !truthy(a.get("required")) && !truthy(a.get("default")))
    {
        return Err(invalid(
            "Positional arguments must be given default values if they are not required.",
        ));
    }
    let mappings: std::collections::BTreeSet<(&str, &str)> =
        args.iter().map(|a| (s(a, "mapping_type"), s(a, "location"))).collect();
    if mappings.len() != args.len() {
        return Err(invalid(
            "The combination of mapping type and location must be unique within the interface for any job.",
        ));
    }
    for a in &args {
        if let Some(default) = a.get("default").filter(|d| !d.is_null()) {
            let value_type = a.get("value_type").and_then(Value::as_str).unwrap_or("string");
            interface_value(call, value_type, default).await?;
        }
    }
    Ok(())
}

/// `check_data_source_exists`.
async fn data_source_exists(call: &Call<'_>, id: &str) -> Result<sahara_model::resources::DataSource, ApiError> {
    call.state
        .conductor
        .data_source_get(call.ctx, id)
        .await?
        .ok_or_else(|| SaharaError::InvalidReference(format!("DataSource with id '{id}' doesn't exist")).into())
}

/// `check_job_execution`: the cluster exists and its plugin version is enabled, the job template exists, the
/// plugin runs the job type, the execution interface matches the template's, the fake engine's own checks
/// (`validate_job_execution`), and a scheduled job's start time. Answers the cluster and the job.
pub async fn job_execution(call: &Call<'_>, data: &Obj, job_id: &str) -> Result<(Cluster, Job), ApiError> {
    let cluster_id = s(data, "cluster_id");
    let cluster = call
        .state
        .conductor
        .cluster_get(call.ctx, cluster_id, false)
        .await?
        .ok_or_else(|| SaharaError::InvalidReference(format!("Cluster with id '{cluster_id}' doesn't exist")))?;
    // `check_plugin_labels`: a disabled plugin or version refuses the execution.
    if let Some(plugin) = call.state.plugins.get(&cluster.plugin_name) {
        crate::clusters::checks::plugin_labels(call, plugin, &cluster.hadoop_version).await?;
    }
    let job = call
        .state
        .conductor
        .job_get(call.ctx, job_id)
        .await?
        .ok_or_else(|| SaharaError::InvalidReference(format!("Job template with id '{job_id}' doesn't exist")))?;
    let job_type = job.r#type.to_string();
    if call.state.plugins.get(&cluster.plugin_name).is_none() {
        return Err(SaharaError::InvalidReference(format!(
            "Cluster with id '{}' doesn't support job type '{job_type}'",
            cluster.id
        ))
        .into());
    }
    execution_interface(call, data, &job).await?;
    // FakeJobEngine.validate_job_execution.
    match job_type.as_str() {
        "Shell" => {}
        "Java" | "Spark" => {
            let main_class = data
                .get("job_configs")
                .and_then(|c| c.get("configs"))
                .and_then(|c| c.get("edp.java.main_class"));
            if !matches!(main_class, Some(Value::String(s)) if !s.is_empty()) {
                return Err(invalid(format!("{job_type} job must specify edp.java.main_class")));
            }
        }
        _ => {
            if !(data.contains_key("input_id") && data.contains_key("output_id")) {
                return Err(invalid(format!("{job_type} job requires 'input_id' and 'output_id'")));
            }
            let input = data_source_exists(call, s(data, "input_id")).await?;
            let output = data_source_exists(call, s(data, "output_id")).await?;
            if input.r#type == output.r#type && input.url == output.url {
                return Err(invalid(format!(
                    "Provided input and output DataSources reference the same location: {}",
                    input.url
                )));
            }
            if job_type == "MapReduce.Streaming" {
                let configs = data
                    .get("job_configs")
                    .and_then(|c| c.get("configs"))
                    .and_then(Value::as_object);
                let present = configs
                    .is_some_and(|c| c.contains_key("edp.streaming.mapper") && c.contains_key("edp.streaming.reducer"));
                if !present {
                    return Err(invalid(format!(
                        "{job_type} job must specify streaming mapper and reducer"
                    )));
                }
            }
        }
    }
    if let Some(info) = data.get("job_execution_info").and_then(Value::as_object)
        && info.get("job_execution_type").and_then(Value::as_str) == Some("scheduled")
    {
        scheduled(info)?;
    }
    Ok((cluster, job))
}

/// `check_scheduled_job_execution_info`.
fn scheduled(info: &Obj) -> Result<(), ApiError> {
    let Some(start) = info.get("start").filter(|v| !v.is_null()) else {
        return Err(invalid("Scheduled job must specify start time"));
    };
    let start = start
        .as_str()
        .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok())
        .ok_or_else(|| invalid("Invalid Time Format"))?;
    if start < chrono::Utc::now().naive_utc() {
        return Err(SaharaError::InvalidJobExecutionInfo("Job start time should be later than now".into()).into());
    }
    Ok(())
}

/// `check_execution_interface`.
async fn execution_interface(call: &Call<'_>, data: &Obj, job: &Job) -> Result<(), ApiError> {
    let given = data.get("interface").and_then(Value::as_object);
    if job.interface.is_empty() && given.is_none_or(|g| g.is_empty()) {
        return Ok(());
    }
    let Some(given) = given else {
        return Err(invalid(
            "An interface was specified with the template for this job. Please pass an interface map with this job \
             (even if empty).",
        ));
    };
    let py_list = |names: Vec<&str>| {
        format!(
            "[{}]",
            names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ")
        )
    };
    let unknown: Vec<&str> = given
        .keys()
        .map(String::as_str)
        .filter(|n| !job.interface.iter().any(|a| a.name == *n))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(format!(
            "Argument names: {} were not found in the interface for this job.",
            py_list(unknown)
        )));
    }
    let unset: Vec<&str> = job
        .interface
        .iter()
        .filter(|a| a.required && !given.contains_key(&a.name))
        .map(|a| a.name.as_str())
        .collect();
    if !unset.is_empty() {
        return Err(invalid(format!(
            "Argument names: {} are required for this job.",
            py_list(unset)
        )));
    }
    for (name, value) in given {
        let Some(arg) = job.interface.iter().find(|a| &a.name == name) else {
            continue;
        };
        let value_type = serde_json::to_value(&arg.value_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        interface_value(call, &value_type, value).await?;
        let mapping = serde_json::to_value(&arg.mapping_type)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        if mapping == "args" {
            continue;
        }
        let configured = data
            .get("job_configs")
            .and_then(|c| c.get(&mapping))
            .and_then(|c| c.get(&arg.location));
        if configured.is_some_and(|c| c != value) {
            return Err(invalid(format!(
                "Argument '{name}' was passed both through the interface and in location '{mapping}'.'{}'. Please \
                 pass this through either the interface or the configuration maps, not both.",
                arg.location
            )));
        }
    }
    Ok(())
}
