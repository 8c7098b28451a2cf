//! The REST view of a resource: Sahara's `Resource.to_dict` filtering (hidden fields, sanitized secrets) and
//! the v2 key renames, applied to the conductor's JSON form. Kept apart from the conductor representation,
//! which the engine needs whole.

use crate::kind::{ApiVersion, ResourceKind};
use serde_json::{Map, Value};

type JsonMap = Map<String, Value>;

/// Cluster columns never returned to clients. `trust_id` is ours: Sahara 19 shows it, but a trust id is a
/// credential's handle and secrets never leave the service here.
pub const CLUSTER_HIDDEN: &[&str] = &[
    "management_private_key",
    "extra",
    "rollback_info",
    "sahara_info",
    "trust_id",
];
/// Node group columns never returned (inside clusters and cluster templates).
pub const NODE_GROUP_HIDDEN: &[&str] = &[
    "tenant_id",
    "cluster_id",
    "cluster_template_id",
    "image_username",
    "open_ports",
];
/// Instance columns never returned.
pub const INSTANCE_HIDDEN: &[&str] = &["tenant_id", "node_group_id", "volumes"];
/// Data source columns never returned (credentials).
pub const DATA_SOURCE_HIDDEN: &[&str] = &["credentials"];
/// Job binary columns never returned (credentials in `extra`).
pub const JOB_BINARY_HIDDEN: &[&str] = &["extra"];
/// Internal job binary columns never returned (the data itself).
pub const JOB_BINARY_INTERNAL_HIDDEN: &[&str] = &["data"];
/// Job execution columns never returned.
pub const JOB_EXECUTION_HIDDEN: &[&str] = &["extra"];
/// Keys of `cluster_configs` removed from responses.
pub const CLUSTER_CONFIGS_HIDDEN: &[&str] = &["proxy_configs"];
/// Keys of `job_configs` removed from responses.
pub const JOB_CONFIGS_HIDDEN: &[&str] = &["trusts", "proxy_configs"];
/// Entries of `job_configs.configs` whose values are blanked to `""` in responses.
pub const JOB_CONFIGS_BLANKED: &[&str] = &[
    "fs.swift.service.sahara.username",
    "fs.swift.service.sahara.password",
    "fs.s3a.access.key",
    "fs.s3a.secret.key",
];

/// The top-level fields Sahara removes from a resource of `kind` before answering.
pub fn hidden_fields(kind: ResourceKind) -> &'static [&'static str] {
    match kind {
        ResourceKind::Cluster => CLUSTER_HIDDEN,
        ResourceKind::NodeGroup | ResourceKind::TemplateNodeGroup => NODE_GROUP_HIDDEN,
        ResourceKind::Instance => INSTANCE_HIDDEN,
        ResourceKind::DataSource => DATA_SOURCE_HIDDEN,
        ResourceKind::JobBinary => JOB_BINARY_HIDDEN,
        ResourceKind::JobBinaryInternal => JOB_BINARY_INTERNAL_HIDDEN,
        ResourceKind::JobExecution => JOB_EXECUTION_HIDDEN,
        _ => &[],
    }
}

/// Converts the conductor form of a `kind` object into what Sahara's REST layer returns for `version`.
pub fn to_api(kind: ResourceKind, mut m: JsonMap, version: ApiVersion) -> JsonMap {
    remove_keys(&mut m, hidden_fields(kind));
    match kind {
        ResourceKind::Cluster => {
            if let Some(Value::Object(cc)) = m.get_mut("cluster_configs") {
                remove_keys(cc, CLUSTER_CONFIGS_HIDDEN);
            }
            map_children(&mut m, "node_groups", |ng| to_api(ResourceKind::NodeGroup, ng, version));
            map_children(&mut m, "provision_progress", |step| {
                to_api(ResourceKind::ClusterProvisionStep, step, version)
            });
            if version == ApiVersion::V2 {
                m = rename_key(m, "hadoop_version", "plugin_version");
                m = rename_key(m, "tenant_id", "project_id");
            }
        }
        ResourceKind::NodeGroup => {
            map_children(&mut m, "instances", |i| to_api(ResourceKind::Instance, i, version));
        }
        ResourceKind::ClusterTemplate => {
            map_children(&mut m, "node_groups", |ng| {
                to_api(ResourceKind::TemplateNodeGroup, ng, version)
            });
            if version == ApiVersion::V2 {
                m = rename_key(m, "hadoop_version", "plugin_version");
                m = rename_key(m, "tenant_id", "project_id");
            }
        }
        ResourceKind::NodeGroupTemplate => {
            if version == ApiVersion::V2 {
                m = rename_key(m, "hadoop_version", "plugin_version");
                m = rename_key(m, "tenant_id", "project_id");
            }
        }
        ResourceKind::DataSource
        | ResourceKind::JobBinary
        | ResourceKind::JobBinaryInternal
        | ResourceKind::ClusterProvisionStep => {
            if version == ApiVersion::V2 {
                m = rename_key(m, "tenant_id", "project_id");
            }
        }
        ResourceKind::Job => {
            for key in ["mains", "libs"] {
                map_children(&mut m, key, |jb| to_api(ResourceKind::JobBinary, jb, version));
            }
            if version == ApiVersion::V2 {
                m = rename_key(m, "tenant_id", "project_id");
            }
        }
        ResourceKind::JobExecution => {
            if let Some(Value::Object(jc)) = m.get_mut("job_configs") {
                sanitize_job_configs(jc);
            }
            if let Some(Value::Object(info)) = m.get_mut("info") {
                sanitize_job_execution_info(info);
            }
            match version {
                ApiVersion::V1 => {
                    let engine_job_id = m.get("engine_job_id").cloned().unwrap_or(Value::Null);
                    m.insert("oozie_job_id".into(), engine_job_id);
                }
                ApiVersion::V2 => {
                    m.remove("oozie_job_id");
                    m = rename_key(m, "tenant_id", "project_id");
                    m = rename_key(m, "job_id", "job_template_id");
                }
            }
        }
        ResourceKind::Instance
        | ResourceKind::TemplateNodeGroup
        | ResourceKind::JobInterfaceArgument
        | ResourceKind::ClusterEvent
        | ResourceKind::ClusterVerification
        | ResourceKind::ClusterHealthCheck
        | ResourceKind::PluginData => {}
    }
    m
}

/// Blanks swift/s3 credentials in `configs` and drops `trusts` and `proxy_configs`, as Sahara does.
pub fn sanitize_job_configs(job_configs: &mut JsonMap) {
    if let Some(Value::Object(configs)) = job_configs.get_mut("configs") {
        for key in JOB_CONFIGS_BLANKED {
            if let Some(v) = configs.get_mut(*key) {
                *v = Value::String(String::new());
            }
        }
    }
    remove_keys(job_configs, JOB_CONFIGS_HIDDEN);
}

/// Drops `conf` from every entry of `info.actions` (Oozie action configurations carry secrets).
pub fn sanitize_job_execution_info(info: &mut JsonMap) {
    if let Some(Value::Array(actions)) = info.get_mut("actions") {
        for action in actions.iter_mut() {
            if let Value::Object(a) = action {
                a.remove("conf");
            }
        }
    }
}

/// Puts `body` inside the kind's envelope (`{"cluster": body}`); returns `body` bare when there is none.
pub fn wrap(kind: ResourceKind, body: JsonMap, version: ApiVersion) -> Value {
    match kind.envelope(version) {
        Some(key) => {
            let mut outer = JsonMap::new();
            outer.insert(key.to_string(), Value::Object(body));
            Value::Object(outer)
        }
        None => Value::Object(body),
    }
}

/// A list response: `{"<list key>": items}` plus `markers` when Sahara adds them (a prev/next marker exists
/// or the request carried `marker`).
pub fn list_body(
    kind: ResourceKind,
    version: ApiVersion,
    items: Vec<Value>,
    prev: Option<String>,
    next: Option<String>,
    marker_requested: bool,
) -> Value {
    let key = kind.list_key(version).unwrap_or_else(|| kind.table());
    let mut body = JsonMap::new();
    body.insert(key.to_string(), Value::Array(items));
    if prev.is_some() || next.is_some() || marker_requested {
        let mut markers = JsonMap::new();
        markers.insert("prev".into(), prev.map_or(Value::Null, Value::String));
        markers.insert("next".into(), next.map_or(Value::Null, Value::String));
        body.insert("markers".into(), Value::Object(markers));
    }
    Value::Object(body)
}

/// Renames `from` to `to` in place (same position); no-op when `from` is absent.
pub fn rename_key(m: JsonMap, from: &str, to: &str) -> JsonMap {
    if !m.contains_key(from) {
        return m;
    }
    m.into_iter()
        .map(|(k, v)| if k == from { (to.to_string(), v) } else { (k, v) })
        .collect()
}

fn remove_keys(m: &mut JsonMap, keys: &[&str]) {
    for k in keys {
        m.remove(*k);
    }
}

fn map_children(m: &mut JsonMap, key: &str, f: impl Fn(JsonMap) -> JsonMap) {
    if let Some(Value::Array(items)) = m.get_mut(key) {
        for item in items.iter_mut() {
            if let Value::Object(obj) = item {
                *obj = f(std::mem::take(obj));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> JsonMap {
        match v {
            Value::Object(m) => m,
            _ => panic!("not an object"),
        }
    }

    #[test]
    fn rename_keeps_position_and_ignores_missing() {
        let m = obj(json!({"a": 1, "tenant_id": "t", "z": 2}));
        let m = rename_key(m, "tenant_id", "project_id");
        let keys: Vec<&str> = m.keys().map(String::as_str).collect();
        assert_eq!(keys, ["a", "project_id", "z"]);
        let m = rename_key(m, "missing", "x");
        assert_eq!(m.len(), 3);
    }

    #[test]
    fn list_body_markers_only_when_sahara_adds_them() {
        let b = list_body(
            ResourceKind::Cluster,
            ApiVersion::V1,
            vec![json!({"id": "a"})],
            None,
            None,
            false,
        );
        assert_eq!(b, json!({"clusters": [{"id": "a"}]}));
        let b = list_body(
            ResourceKind::JobBinary,
            ApiVersion::V2,
            vec![],
            None,
            Some("n".into()),
            false,
        );
        assert_eq!(b, json!({"binaries": [], "markers": {"prev": null, "next": "n"}}));
        let b = list_body(ResourceKind::JobExecution, ApiVersion::V2, vec![], None, None, true);
        assert_eq!(b, json!({"jobs": [], "markers": {"prev": null, "next": null}}));
    }

    #[test]
    fn job_configs_sanitized() {
        let mut jc = obj(json!({
            "configs": {"fs.swift.service.sahara.password": "pw", "fs.s3a.secret.key": "sk", "mapred.reduce.tasks": "1"},
            "args": ["a"],
            "trusts": {"input_id": "t"},
            "proxy_configs": {"proxy_password": "p"}
        }));
        sanitize_job_configs(&mut jc);
        assert_eq!(
            Value::Object(jc),
            json!({
                "configs": {"fs.swift.service.sahara.password": "", "fs.s3a.secret.key": "", "mapred.reduce.tasks": "1"},
                "args": ["a"]
            })
        );
        let mut info = obj(json!({"status": "RUNNING", "actions": [{"name": "a", "conf": "<xml/>"}, {"name": "b"}]}));
        sanitize_job_execution_info(&mut info);
        assert_eq!(
            Value::Object(info),
            json!({"status": "RUNNING", "actions": [{"name": "a"}, {"name": "b"}]})
        );
    }
}
