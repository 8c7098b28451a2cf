//! The request-body schemas of Sahara 19, as data (`src/schemas/<NAME>.json`, dumped from the Python modules by
//! `tests/python/sahara_validate.py dump-schemas`, key order preserved since it decides the error order), looked
//! up by [`SchemaId`]; and the plugin-labels PATCH schema, which Sahara builds from the loaded plugins.

use std::sync::LazyLock;

use serde_json::{Map, Value, json};

/// Sahara's default `job_binary_types` option: the URL schemes `valid_job_location` knows.
pub const DEFAULT_JOB_BINARY_TYPES: &[&str] = &["swift", "manila", "internal-db", "s3"];

macro_rules! schema_ids {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// A Sahara request-body schema; the name is the Python constant's (v1 `images` schemas upper-cased,
        /// the JBI update schema prefixed `JOB_BINARY_INTERNAL_`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum SchemaId {
            $($(#[$doc])* $variant,)*
        }

        impl SchemaId {
            /// Every schema, in declaration order.
            pub const ALL: &'static [SchemaId] = &[$(SchemaId::$variant,)*];

            /// The Python constant's name, e.g. `NODE_GROUP_TEMPLATE_SCHEMA_V2`.
            pub fn name(self) -> &'static str {
                match self {
                    $(SchemaId::$variant => $name,)*
                }
            }

            fn source(self) -> &'static str {
                match self {
                    $(SchemaId::$variant => include_str!(concat!("schemas/", $name, ".json")),)*
                }
            }
        }
    };
}

schema_ids! {
    /// `POST /v1.1/{project}/node-group-templates`.
    NodeGroupTemplate => "NODE_GROUP_TEMPLATE_SCHEMA",
    /// `POST /v2/node-group-templates`.
    NodeGroupTemplateV2 => "NODE_GROUP_TEMPLATE_SCHEMA_V2",
    /// `PUT /v1.1/{project}/node-group-templates/{id}`.
    NodeGroupTemplateUpdate => "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
    /// `PATCH /v2/node-group-templates/{id}`.
    NodeGroupTemplateUpdateV2 => "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA_V2",
    /// `POST /v1.1/{project}/cluster-templates`.
    ClusterTemplate => "CLUSTER_TEMPLATE_SCHEMA",
    /// `POST /v2/cluster-templates`.
    ClusterTemplateV2 => "CLUSTER_TEMPLATE_SCHEMA_V2",
    /// `PUT /v1.1/{project}/cluster-templates/{id}`.
    ClusterTemplateUpdate => "CLUSTER_TEMPLATE_UPDATE_SCHEMA",
    /// `PATCH /v2/cluster-templates/{id}`.
    ClusterTemplateUpdateV2 => "CLUSTER_TEMPLATE_UPDATE_SCHEMA_V2",
    /// `POST /v1.1/{project}/clusters`.
    Cluster => "CLUSTER_SCHEMA",
    /// `POST /v2/clusters` (with optional `count`).
    ClusterV2 => "CLUSTER_SCHEMA_V2",
    /// `POST /v1.1/{project}/clusters/multiple`.
    MultipleCluster => "MULTIPLE_CLUSTER_SCHEMA",
    /// `PATCH /v1.1/{project}/clusters/{id}`.
    ClusterUpdate => "CLUSTER_UPDATE_SCHEMA",
    /// `PATCH /v2/clusters/{id}`.
    ClusterUpdateV2 => "CLUSTER_UPDATE_SCHEMA_V2",
    /// `PUT /v1.1/{project}/clusters/{id}` (scale).
    ClusterScaling => "CLUSTER_SCALING_SCHEMA",
    /// `PUT /v2/clusters/{id}` (scale).
    ClusterScalingV2 => "CLUSTER_SCALING_SCHEMA_V2",
    /// `DELETE /v2/clusters/{id}` body.
    ClusterDeleteV2 => "CLUSTER_DELETE_SCHEMA_V2",
    /// `POST /v1.1/{project}/data-sources`, `POST /v2/data-sources`.
    DataSource => "DATA_SOURCE_SCHEMA",
    /// `PUT /v1.1/{project}/data-sources/{id}`, `PATCH /v2/data-sources/{id}`.
    DataSourceUpdate => "DATA_SOURCE_UPDATE_SCHEMA",
    /// `POST /v1.1/{project}/job-binaries`, `POST /v2/job-binaries`.
    JobBinary => "JOB_BINARY_SCHEMA",
    /// `PUT /v1.1/{project}/job-binaries/{id}`, `PATCH /v2/job-binaries/{id}`.
    JobBinaryUpdate => "JOB_BINARY_UPDATE_SCHEMA",
    /// `PATCH /v1.1/{project}/job-binary-internals/{id}`.
    JobBinaryInternalUpdate => "JOB_BINARY_INTERNAL_UPDATE_SCHEMA",
    /// `POST /v1.1/{project}/jobs`, `POST /v2/job-templates`.
    Job => "JOB_SCHEMA",
    /// `PATCH /v1.1/{project}/jobs/{id}`, `PATCH /v2/job-templates/{id}`.
    JobUpdate => "JOB_UPDATE_SCHEMA",
    /// `POST /v1.1/{project}/jobs/{id}/execute`.
    JobExec => "JOB_EXEC_SCHEMA",
    /// `POST /v2/jobs`.
    JobExecV2 => "JOB_EXEC_SCHEMA_V2",
    /// `PATCH /v1.1/{project}/job-executions/{id}`, `PATCH /v2/jobs/{id}`.
    JobExecUpdate => "JOB_EXEC_UPDATE_SCHEMA",
    /// `POST /v1.1/{project}/images/{id}`, `POST /v2/images/{id}` (register).
    ImageRegister => "IMAGE_REGISTER_SCHEMA",
    /// `POST .../images/{id}/tag` and `.../untag` (v1.1), `PUT /v2/images/{id}/tags`.
    ImageTags => "IMAGE_TAGS_SCHEMA",
}

static SCHEMAS: LazyLock<Vec<Value>> = LazyLock::new(|| {
    SchemaId::ALL
        .iter()
        .map(|id| serde_json::from_str(id.source()).unwrap_or_else(|e| panic!("schema {} is bad JSON: {e}", id.name())))
        .collect()
});

impl SchemaId {
    /// The schema document.
    pub fn schema(self) -> &'static Value {
        let index = SchemaId::ALL.iter().position(|id| *id == self).unwrap_or_default();
        &SCHEMAS[index]
    }

    /// The schema with the given Python constant name.
    pub fn from_name(name: &str) -> Option<SchemaId> {
        SchemaId::ALL.iter().copied().find(|id| id.name() == name)
    }
}

/// The label names and order of `LabelHandler.get_labels()`.
const LABELS: &[&str] = &["hidden", "stable", "enabled", "deprecated"];

/// `LabelHandler.get_plugin_update_validation_jsonschema()` for the given plugin versions (the union over all
/// loaded plugins; Python iterates a `set`, so its order is arbitrary, here it is the order given) — the schema of
/// `PATCH /v1.1/{project}/plugins/{name}` and `PATCH /v2/plugins/{name}`.
pub fn plugin_update_schema(versions: &[&str]) -> Value {
    let label_object = json!({
        "type": "object",
        "properties": {"status": {"type": "boolean"}},
        "additionalProperties": false,
    });
    let mut labels = Map::new();
    for label in LABELS {
        labels.insert((*label).to_string(), label_object.clone());
    }
    let labels_descr = json!({"type": "object", "properties": labels, "additionalProperties": false});
    let mut per_version = Map::new();
    for version in versions {
        if !per_version.contains_key(*version) {
            per_version.insert((*version).to_string(), labels_descr.clone());
        }
    }
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "version_labels": {"type": "object", "additionalProperties": false, "properties": per_version},
            "plugin_labels": labels_descr,
        },
    })
}
