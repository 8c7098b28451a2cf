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

/// What [`to_api`] does to a resource of a kind without nested resources, hidden fields or
/// sanitized values: some fields renamed in place, nothing else. Such a resource's view can be
/// written straight from its typed form ([`write_flat_view`]) instead of through a JSON map.
/// (Hidden fields are left to the map: removing one moves the map's last key into its place.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlatView {
    /// The fields renamed, `(from, to)`.
    pub renames: &'static [(&'static str, &'static str)],
}

/// The v2 renames of templates.
const TEMPLATE_V2_RENAMES: &[(&str, &str)] = &[("hadoop_version", "plugin_version"), ("tenant_id", "project_id")];
/// The v2 rename of the project.
const PROJECT_V2_RENAMES: &[(&str, &str)] = &[("tenant_id", "project_id")];

/// [`to_api`] of `kind` for `version` as a [`FlatView`], when that is all it does.
pub fn flat_view(kind: ResourceKind, version: ApiVersion) -> Option<FlatView> {
    if !hidden_fields(kind).is_empty() {
        return None;
    }
    let v2 = version == ApiVersion::V2;
    let renames: &'static [(&'static str, &'static str)] = match kind {
        ResourceKind::Cluster
        | ResourceKind::NodeGroup
        | ResourceKind::ClusterTemplate
        | ResourceKind::Job
        | ResourceKind::JobExecution => return None,
        ResourceKind::NodeGroupTemplate if v2 => TEMPLATE_V2_RENAMES,
        ResourceKind::DataSource
        | ResourceKind::JobBinary
        | ResourceKind::JobBinaryInternal
        | ResourceKind::ClusterProvisionStep
            if v2 =>
        {
            PROJECT_V2_RENAMES
        }
        ResourceKind::NodeGroupTemplate
        | ResourceKind::DataSource
        | ResourceKind::JobBinary
        | ResourceKind::JobBinaryInternal
        | ResourceKind::ClusterProvisionStep
        | ResourceKind::Instance
        | ResourceKind::TemplateNodeGroup
        | ResourceKind::JobInterfaceArgument
        | ResourceKind::ClusterEvent
        | ResourceKind::ClusterVerification
        | ResourceKind::ClusterHealthCheck
        | ResourceKind::PluginData => &[],
    };
    Some(FlatView { renames })
}

/// Writes the compact JSON of `view` applied to `resource`, a struct (what serializing
/// `to_api(kind, to_value(resource), version)` writes). `Err` when `resource` is not a plain
/// struct, or when a rename would collide with another field: then nothing useful was written
/// and callers go through [`to_api`].
pub fn write_flat_view<W: std::io::Write, T: serde::Serialize + ?Sized>(
    writer: &mut W,
    view: FlatView,
    resource: &T,
) -> Result<(), serde_json::Error> {
    let mut ser = serde_json::Serializer::new(writer);
    resource.serialize(FlatViewSerializer { ser: &mut ser, view })
}

/// Serializes one struct through [`FlatView`]; anything else is refused.
struct FlatViewSerializer<'a, W: std::io::Write> {
    ser: &'a mut serde_json::Serializer<W>,
    view: FlatView,
}

/// The fields of a struct being written through a [`FlatView`].
struct FlatViewFields<'a, W: std::io::Write> {
    fields: serde_json::ser::Compound<'a, W, serde_json::ser::CompactFormatter>,
    view: FlatView,
}

fn not_flat(what: &str) -> serde_json::Error {
    serde::ser::Error::custom(format!("a flat view needs a struct, not {what}"))
}

impl<W: std::io::Write> serde::ser::SerializeStruct for FlatViewFields<'_, W> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: serde::Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Self::Error> {
        if self.view.renames.iter().any(|(_, to)| *to == key) {
            return Err(serde::ser::Error::custom(format!(
                "{key} is both a field and a renamed one"
            )));
        }
        let key = self
            .view
            .renames
            .iter()
            .find(|(from, _)| *from == key)
            .map_or(key, |(_, to)| *to);
        serde::ser::SerializeStruct::serialize_field(&mut self.fields, key, value)
    }

    fn end(self) -> Result<(), Self::Error> {
        serde::ser::SerializeStruct::end(self.fields)
    }
}

macro_rules! refuse {
    ($($name:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $name(self, $(_: $arg),*) -> Result<$ret, Self::Error> {
            Err(not_flat(stringify!($name)))
        }
    )*};
}

impl<'a, W: std::io::Write> serde::Serializer for FlatViewSerializer<'a, W> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = serde::ser::Impossible<(), serde_json::Error>;
    type SerializeTuple = serde::ser::Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = serde::ser::Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = serde::ser::Impossible<(), serde_json::Error>;
    type SerializeMap = serde::ser::Impossible<(), serde_json::Error>;
    type SerializeStruct = FlatViewFields<'a, W>;
    type SerializeStructVariant = serde::ser::Impossible<(), serde_json::Error>;

    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, Self::Error> {
        Ok(FlatViewFields {
            fields: serde::Serializer::serialize_struct(self.ser, name, len)?,
            view: self.view,
        })
    }

    refuse! {
        serialize_bool(bool) -> ();
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u32(u32) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_str(&str) -> ();
        serialize_bytes(&[u8]) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_seq(Option<usize>) -> Self::SerializeSeq;
        serialize_tuple(usize) -> Self::SerializeTuple;
        serialize_tuple_struct(&'static str, usize) -> Self::SerializeTupleStruct;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Self::SerializeTupleVariant;
        serialize_map(Option<usize>) -> Self::SerializeMap;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Self::SerializeStructVariant;
    }

    fn serialize_some<T: serde::Serialize + ?Sized>(self, _: &T) -> Result<(), Self::Error> {
        Err(not_flat("an option"))
    }

    fn serialize_newtype_struct<T: serde::Serialize + ?Sized>(self, _: &'static str, _: &T) -> Result<(), Self::Error> {
        Err(not_flat("a newtype"))
    }

    fn serialize_newtype_variant<T: serde::Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Self::Error> {
        Err(not_flat("an enum"))
    }
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
pub fn rename_key(mut m: JsonMap, from: &str, to: &str) -> JsonMap {
    if !m.contains_key(from) {
        return m;
    }
    if m.contains_key(to) {
        // Both present: rebuilt in order, the later of the two values under `to` kept at
        // the earlier position, as collecting the renamed pairs does.
        return m
            .into_iter()
            .map(|(k, v)| if k == from { (to.to_string(), v) } else { (k, v) })
            .collect();
    }
    if let Some(index) = m.keys().position(|k| k == from)
        && let Some(v) = m.shift_remove(from)
    {
        m.shift_insert(index, to.to_string(), v);
    }
    m
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
