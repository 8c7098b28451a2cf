//! The OpenAPI 3.1 document of `/v2`, served at `GET /v2/openapi.json` (Sahara has no such route; ours is public, like
//! version discovery, and answers only on that exact path). Paths, methods, operation ids (the policy rules) and
//! success statuses come from the v2 route tables themselves ([`crate::resources`]); what a table does not say (the
//! body schema, the query whitelist, the answer's envelope and schema) is in [`OPERATIONS`], one line per route, which
//! a test keeps in step with the tables. Request bodies are shared/validation's schemas with Sahara's custom types
//! (`configs`, `simple_config`, `flavor`) and formats (`valid_name`, `posix_path`, ...) rewritten as standard JSON
//! Schema. Answers are described field by field as our views render each v2 resource ([`schemas`]: v2 names, exact JSON
//! types, nullable columns as `[<type>, "null"]`, `required` only for what every answer carries), in closed objects: a
//! field the document does not list (a hidden one, such as a data source's credentials or a cluster's trust id) makes
//! an answer non-conforming. Every failure carries Sahara's `{error_code, error_name, error_message}` body.

use crate::ApiState;
use crate::rest::{Blueprint, RouteInfo};
use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use sahara_validation::SchemaId;
use serde_json::{Map, Value, json};

/// Where the document is served.
pub const PATH: &str = "/v2/openapi.json";

/// What the body of a route is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// No body.
    None,
    /// A JSON body validated against this schema.
    Schema(SchemaId),
    /// The plugin label update (`plugin_update_schema` over the enabled plugins' versions).
    PluginLabels,
}

/// What a successful answer looks like. Schema names are those of `#/components/schemas` ([`schemas`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `{"<key>": <schema>}`.
    One(&'static str, &'static str),
    /// `{"<key>": [<schema>, ...]}`, with `"markers": {...}` when the listing pages (see [`Operation::paged`]).
    List(&'static str, &'static str),
    /// A bare object of this schema (template export, config hints).
    Bare(&'static str),
    /// No body (204).
    Empty,
    /// `POST /clusters`: `{"cluster": {...}}`, or `{"clusters": [{"cluster": {...}}, ...]}` with `count`.
    ClusterCreate,
    /// `DELETE /clusters/{id}`: 204, or 200 `{"stack_name": ...}` with `force`.
    ClusterDelete,
    /// `GET /images/{id}/tags`: a bare array of tags (`{}` when there are none).
    Tags,
    /// Raw bytes (`application/octet-stream`).
    Bytes,
}

/// One v2 route as the document describes it beyond its table line.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: &'static str,
    /// The rule, without prefix.
    pub rule: &'static str,
    /// The request body.
    pub body: Body,
    /// The query parameters its v2 whitelist accepts besides paging (`marker`, `limit`, `sort_by`).
    pub query: &'static [&'static str],
    /// Whether it is a listing (pages with `marker`, `limit`, `sort_by`).
    pub paged: bool,
    /// The successful answer.
    pub answer: Answer,
}

const fn op(method: &'static str, rule: &'static str, body: Body, answer: Answer) -> Operation {
    Operation {
        method,
        rule,
        body,
        query: &[],
        paged: false,
        answer,
    }
}

const fn list(
    rule: &'static str,
    query: &'static [&'static str],
    key: &'static str,
    schema: &'static str,
) -> Operation {
    Operation {
        method: "GET",
        rule,
        body: Body::None,
        query,
        paged: true,
        answer: Answer::List(key, schema),
    }
}

/// A listing Sahara does not page (images, job types, plugins): `marker` / `limit` / `sort_by` pass the whitelist
/// but do nothing, so they are not listed.
const fn unpaged(
    rule: &'static str,
    query: &'static [&'static str],
    key: &'static str,
    schema: &'static str,
) -> Operation {
    Operation {
        paged: false,
        ..list(rule, query, key, schema)
    }
}

use Answer::{Bare, Empty, One};
use Body::{None as NoBody, Schema};

/// Every v2 route: body, query and answer (in the order of §1c of the reference).
pub const OPERATIONS: &[Operation] = &[
    list("/clusters", crate::templates::V2_LIST_PARAMS, "clusters", "Cluster"),
    op("POST", "/clusters", Schema(SchemaId::ClusterV2), Answer::ClusterCreate),
    op(
        "PUT",
        "/clusters/{id}",
        Schema(SchemaId::ClusterScalingV2),
        One("cluster", "Cluster"),
    ),
    Operation {
        query: &["show_progress"],
        ..op("GET", "/clusters/{id}", NoBody, One("cluster", "Cluster"))
    },
    op(
        "PATCH",
        "/clusters/{id}",
        Schema(SchemaId::ClusterUpdateV2),
        One("cluster", "Cluster"),
    ),
    op(
        "DELETE",
        "/clusters/{id}",
        Schema(SchemaId::ClusterDeleteV2),
        Answer::ClusterDelete,
    ),
    list(
        "/cluster-templates",
        crate::templates::V2_LIST_PARAMS,
        "cluster_templates",
        "ClusterTemplate",
    ),
    op(
        "POST",
        "/cluster-templates",
        Schema(SchemaId::ClusterTemplateV2),
        One("cluster_template", "ClusterTemplate"),
    ),
    op(
        "GET",
        "/cluster-templates/{id}",
        NoBody,
        One("cluster_template", "ClusterTemplate"),
    ),
    op(
        "PATCH",
        "/cluster-templates/{id}",
        Schema(SchemaId::ClusterTemplateUpdateV2),
        One("cluster_template", "ClusterTemplate"),
    ),
    op("DELETE", "/cluster-templates/{id}", NoBody, Empty),
    op(
        "GET",
        "/cluster-templates/{id}/export",
        NoBody,
        Bare("ClusterTemplateExport"),
    ),
    list(
        "/node-group-templates",
        crate::templates::V2_LIST_PARAMS,
        "node_group_templates",
        "NodeGroupTemplate",
    ),
    op(
        "POST",
        "/node-group-templates",
        Schema(SchemaId::NodeGroupTemplateV2),
        One("node_group_template", "NodeGroupTemplate"),
    ),
    op(
        "GET",
        "/node-group-templates/{id}",
        NoBody,
        One("node_group_template", "NodeGroupTemplate"),
    ),
    op(
        "PATCH",
        "/node-group-templates/{id}",
        Schema(SchemaId::NodeGroupTemplateUpdateV2),
        One("node_group_template", "NodeGroupTemplate"),
    ),
    op("DELETE", "/node-group-templates/{id}", NoBody, Empty),
    op(
        "GET",
        "/node-group-templates/{id}/export",
        NoBody,
        Bare("NodeGroupTemplateExport"),
    ),
    list("/data-sources", &["type"], "data_sources", "DataSource"),
    op(
        "POST",
        "/data-sources",
        Schema(SchemaId::DataSource),
        One("data_source", "DataSource"),
    ),
    op("GET", "/data-sources/{id}", NoBody, One("data_source", "DataSource")),
    op("DELETE", "/data-sources/{id}", NoBody, Empty),
    op(
        "PATCH",
        "/data-sources/{id}",
        Schema(SchemaId::DataSourceUpdate),
        One("data_source", "DataSource"),
    ),
    unpaged("/images", &["name", "tags", "username"], "images", "Image"),
    op("GET", "/images/{id}", NoBody, One("image", "Image")),
    op(
        "POST",
        "/images/{id}",
        Schema(SchemaId::ImageRegister),
        One("image", "Image"),
    ),
    op("DELETE", "/images/{id}", NoBody, Empty),
    op("GET", "/images/{id}/tags", NoBody, Answer::Tags),
    op(
        "PUT",
        "/images/{id}/tags",
        Schema(SchemaId::ImageTags),
        One("image", "Image"),
    ),
    op("DELETE", "/images/{id}/tags", NoBody, Empty),
    op(
        "POST",
        "/job-binaries",
        Schema(SchemaId::JobBinary),
        One("job_binary", "JobBinary"),
    ),
    list("/job-binaries", &["name"], "binaries", "JobBinary"),
    op("GET", "/job-binaries/{id}", NoBody, One("job_binary", "JobBinary")),
    op("DELETE", "/job-binaries/{id}", NoBody, Empty),
    op("GET", "/job-binaries/{id}/data", NoBody, Answer::Bytes),
    op(
        "PATCH",
        "/job-binaries/{id}",
        Schema(SchemaId::JobBinaryUpdate),
        One("job_binary", "JobBinary"),
    ),
    list("/job-templates", &["type", "name"], "job_templates", "JobTemplate"),
    op(
        "POST",
        "/job-templates",
        Schema(SchemaId::Job),
        One("job_template", "JobTemplate"),
    ),
    op("GET", "/job-templates/{id}", NoBody, One("job_template", "JobTemplate")),
    op(
        "PATCH",
        "/job-templates/{id}",
        Schema(SchemaId::JobUpdate),
        One("job_template", "JobTemplate"),
    ),
    op("DELETE", "/job-templates/{id}", NoBody, Empty),
    op(
        "GET",
        "/job-templates/config-hints/{job_type}",
        NoBody,
        Bare("JobConfigHints"),
    ),
    unpaged(
        "/job-types",
        &["type", "plugin_name", "plugin_version"],
        "job_types",
        "JobType",
    ),
    list("/jobs", &["status"], "jobs", "Job"),
    op("POST", "/jobs", Schema(SchemaId::JobExecV2), One("job", "Job")),
    op("GET", "/jobs/{id}", NoBody, One("job", "Job")),
    op(
        "PATCH",
        "/jobs/{id}",
        Schema(SchemaId::JobExecUpdate),
        One("job", "Job"),
    ),
    op("DELETE", "/jobs/{id}", NoBody, Empty),
    unpaged("/plugins", &[], "plugins", "Plugin"),
    op("GET", "/plugins/{plugin_name}", NoBody, One("plugin", "Plugin")),
    op(
        "GET",
        "/plugins/{plugin_name}/{version}",
        NoBody,
        One("plugin", "PluginVersion"),
    ),
    op(
        "PATCH",
        "/plugins/{plugin_name}",
        Body::PluginLabels,
        One("plugin", "Plugin"),
    ),
];

/// The v2 routes of the tables, in declaration order.
pub fn v2_routes() -> Vec<RouteInfo> {
    crate::resources()
        .iter()
        .filter(|r| r.blueprint() == Blueprint::V2)
        .flat_map(|r| r.infos().collect::<Vec<_>>())
        .collect()
}

/// The line of [`OPERATIONS`] for a route.
pub fn operation(method: &Method, rule: &str) -> Option<&'static Operation> {
    OPERATIONS
        .iter()
        .find(|o| o.method == method.as_str() && o.rule == rule)
}

/// `GET /v2/openapi.json`.
pub async fn serve(State(state): State<ApiState>) -> Json<Value> {
    Json(document(&state.plugins.all_versions()))
}

/// The document, with the plugin label update schema over `plugin_versions`.
pub fn document(plugin_versions: &[&str]) -> Value {
    let mut paths = Map::new();
    for route in v2_routes() {
        let item = paths
            .entry(route.rule.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("path item");
        let params = path_params(route.rule);
        if !params.is_empty() && !item.contains_key("parameters") {
            item.insert("parameters".into(), Value::Array(params));
        }
        let spec = operation(&route.method, route.rule);
        item.insert(
            route.method.as_str().to_ascii_lowercase(),
            operation_object(&route, spec, plugin_versions),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Sahara data-processing API v2",
            "version": crate::rest::microversion::MAX_API_VERSION,
            "description": "OpenStack Sahara 19's v2 API as sahara-rs serves it. Every path is also served with a \
                            project segment (`/v2/{project_id}/clusters`) and with a `.json` suffix; only the plain \
                            spelling is listed. Authentication: a Keystone token in `X-Auth-Token`, or with \
                            `auth_strategy = noauth` the identity headers `X-Tenant-Id`, `X-User-Id`, `X-Roles`."
        },
        "servers": [{"url": "/v2"}],
        "security": [{"keystone": []}],
        "paths": paths,
        "components": components(),
    })
}

fn path_params(rule: &str) -> Vec<Value> {
    rule.split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string", "minLength": 1}}))
        .collect()
}

fn operation_object(route: &RouteInfo, spec: Option<&Operation>, plugin_versions: &[&str]) -> Value {
    let mut o = Map::new();
    o.insert("operationId".into(), json!(operation_id(route)));
    o.insert("summary".into(), json!(format!("policy {}", route.policy)));
    o.insert("x-policy".into(), json!(route.policy));
    let tag = route.rule.trim_start_matches('/').split('/').next().unwrap_or_default();
    o.insert("tags".into(), json!([tag]));
    let mut params = vec![json!({"$ref": "#/components/parameters/OpenStackApiVersion"})];
    if let Some(spec) = spec {
        if spec.paged {
            for p in ["marker", "limit", "sort_by"] {
                params.push(json!({"$ref": format!("#/components/parameters/{p}")}));
            }
        }
        for q in spec.query {
            params.push(query_param(q));
        }
    }
    o.insert("parameters".into(), Value::Array(params));
    if route.file_upload {
        o.insert(
            "requestBody".into(),
            json!({"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}),
        );
    } else if let Some(schema) = spec.and_then(|s| body_schema(s.body, plugin_versions)) {
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| !r.is_empty());
        o.insert(
            "requestBody".into(),
            json!({"required": required, "content": {"application/json": {"schema": schema}}}),
        );
    }
    let answers = match spec {
        Some(spec) => success(route.status, spec),
        None => vec![(route.status, json_response(json!({"type": "object"})))],
    };
    let mut responses = Map::new();
    for (status, resp) in answers {
        responses.insert(status.as_u16().to_string(), resp);
    }
    for code in ["400", "401", "403", "404", "406", "413", "503"] {
        responses.insert(code.into(), json!({"$ref": format!("#/components/responses/{code}")}));
    }
    o.insert("responses".into(), Value::Object(responses));
    Value::Object(o)
}

/// `data-processing:cluster:list` → `cluster_list` (unique: several routes share a policy, so the method and
/// rule decide).
fn operation_id(route: &RouteInfo) -> String {
    let rule: String = route
        .rule
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    let rule = rule.split('_').filter(|s| !s.is_empty()).collect::<Vec<_>>().join("_");
    format!("{}_{rule}", route.method.as_str().to_ascii_lowercase())
}

fn query_param(name: &str) -> Value {
    let schema = match name {
        "show_progress" => json!({"type": "string", "enum": ["true", "false"]}),
        "type" | "tags" => json!({"type": "array", "items": {"type": "string"}}),
        _ => json!({"type": "string"}),
    };
    let mut p = json!({"name": name, "in": "query", "required": false, "schema": schema});
    if schema_is_array(&p["schema"]) {
        p["style"] = json!("form");
        p["explode"] = json!(true);
    }
    p
}

fn schema_is_array(s: &Value) -> bool {
    s["type"] == "array"
}

fn body_schema(body: Body, plugin_versions: &[&str]) -> Option<Value> {
    match body {
        Body::None => None,
        Body::Schema(id) => Some(standard_schema(id.schema())),
        Body::PluginLabels => Some(standard_schema(&sahara_validation::plugin_update_schema(
            plugin_versions,
        ))),
    }
}

/// A success answer with a JSON body of `schema`.
fn json_response(schema: Value) -> Value {
    json!({
        "description": "success",
        "headers": {"OpenStack-API-Version": {"$ref": "#/components/headers/OpenStackApiVersion"}},
        "content": {"application/json": {"schema": schema}}
    })
}

fn success(status: StatusCode, spec: &Operation) -> Vec<(StatusCode, Value)> {
    let empty = json!({
        "description": "success, no body",
        "headers": {"OpenStack-API-Version": {"$ref": "#/components/headers/OpenStackApiVersion"}}
    });
    match spec.answer {
        Answer::One(key, schema) => vec![(status, json_response(envelope(key, schema_ref(schema))))],
        Answer::List(key, schema) => {
            let mut props = vec![(key, array_of(schema))];
            if spec.paged {
                // Only when the request carried `marker` or there is another page.
                props.push(("markers", schema_ref("Markers")));
            }
            let optional: &[&str] = if spec.paged { &["markers"] } else { &[] };
            vec![(status, json_response(closed(props, optional)))]
        }
        Answer::Bare(schema) => vec![(status, json_response(schema_ref(schema)))],
        Answer::Empty => vec![(status, empty)],
        Answer::ClusterCreate => {
            let one = envelope("cluster", schema_ref("Cluster"));
            let many = closed(vec![("clusters", json!({"type": "array", "items": one.clone()}))], &[]);
            vec![(status, json_response(json!({"anyOf": [one, many]})))]
        }
        Answer::ClusterDelete => vec![
            (status, empty),
            (
                StatusCode::OK,
                json_response(closed(vec![("stack_name", nullable("string"))], &[])),
            ),
        ],
        Answer::Tags => vec![(
            status,
            json_response(json!({"anyOf": [
                {"type": "array", "items": {"type": "string"}},
                {"type": "object", "maxProperties": 0}
            ]})),
        )],
        Answer::Bytes => vec![(
            status,
            json!({
                "description": "the binary's bytes",
                "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
            }),
        )],
    }
}

/// `{"<key>": inner}` and nothing else.
fn envelope(key: &str, inner: Value) -> Value {
    closed(vec![(key, inner)], &[])
}

fn components() -> Value {
    let error = |description: &str| {
        json!({
            "description": description,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
        })
    };
    json!({
        "securitySchemes": {
            "keystone": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}
        },
        "headers": {
            "OpenStackApiVersion": {
                "description": "The microversion that answered (`data-processing 2.0`).",
                "schema": {"type": "string"}
            }
        },
        "parameters": {
            "OpenStackApiVersion": {
                "name": "OpenStack-API-Version",
                "in": "header",
                "required": false,
                "description": "`data-processing <major>.<minor>` or `data-processing latest`; only 2.0 exists \
                                (400 when malformed, 406 when not served).",
                "schema": {"type": "string", "pattern": "^data-processing (latest|[1-9][0-9]*\\.(0|[1-9][0-9]*))$"},
                "example": "data-processing 2.0"
            },
            "marker": {"name": "marker", "in": "query", "required": false,
                       "description": "The id after which the page starts (404 when unknown).",
                       "schema": {"type": "string"}},
            "limit": {"name": "limit", "in": "query", "required": false,
                      "description": "The page size: a positive integer (400 otherwise).",
                      "schema": {"type": "integer", "minimum": 1}},
            "sort_by": {"name": "sort_by", "in": "query", "required": false,
                        "description": "A field, `-` first for descending (400 for a field that cannot sort).",
                        "schema": {"type": "string"}}
        },
        "schemas": schemas(),
        "responses": {
            "400": error("Bad request: `VALIDATION_ERROR`, `INVALID_PARAMS_ON_REQUEST`, `NOT_FOUND` below the \
                          view, `INVALID_REFERENCE`, ..."),
            "401": {"description": "Not authenticated (keystonemiddleware's answer, or Sahara's body when the \
                                    project segment is not the token's project).",
                    "content": {"application/json": {"schema": {}}}},
            "403": error("Denied by policy (`FORBIDDEN`)."),
            "404": error("No such object (`NOT_FOUND`)."),
            "406": error("A microversion v2 does not serve (`NOT_ACCEPTABLE`)."),
            "413": error("The body is larger than the API reads."),
            "503": error("A cloud service the request needs cannot be reached (`SERVICE_UNAVAILABLE`): no catalog \
                          entry, no token or catalog in the request (`auth_strategy = noauth`), or the service \
                          is down."),
        },
    })
}

/// How every Sahara timestamp is written (`2024-05-01T10:20:30`: naive UTC, no fraction, no zone).
pub const TIMESTAMP_PATTERN: &str = "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$";

/// `{"$ref": "#/components/schemas/<name>"}`.
fn schema_ref(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// An array of `schema` (a component name).
fn array_of(schema: &str) -> Value {
    json!({"type": "array", "items": schema_ref(schema)})
}

/// A value of JSON type `t`.
fn ty(t: &str) -> Value {
    json!({"type": t})
}

/// A value of JSON type `t`, or null (a nullable column).
fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

/// A nullable timestamp column, as Sahara writes it.
fn timestamp() -> Value {
    json!({"type": ["string", "null"], "pattern": TIMESTAMP_PATTERN})
}

/// An array of strings.
fn strings() -> Value {
    json!({"type": "array", "items": {"type": "string"}})
}

/// A nullable list-of-strings column.
fn nullable_strings() -> Value {
    json!({"type": ["array", "null"], "items": {"type": "string"}})
}

/// A nullable "configs" column (applicable target -> config name -> value), without the `hidden` targets.
fn configs(hidden: &[&str]) -> Value {
    let mut s = json!({"type": ["object", "null"], "additionalProperties": {"type": "object"}});
    if !hidden.is_empty() {
        s["properties"] = Value::Object(hidden.iter().map(|k| (k.to_string(), Value::Bool(false))).collect());
    }
    s
}

/// A closed object of `props` (in this order): every one required but those in `optional`, nothing else allowed
/// (a field a view hides is non-conforming).
fn closed(props: Vec<(&str, Value)>, optional: &[&str]) -> Value {
    debug_assert!(
        optional.iter().all(|o| props.iter().any(|(k, _)| k == o)),
        "an optional field that is not a property"
    );
    let required: Vec<&str> = props
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| !optional.contains(k))
        .collect();
    let properties: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    json!({"type": "object", "required": required, "properties": properties, "additionalProperties": false})
}

/// `schema` with a description.
fn described(description: &str, mut schema: Value) -> Value {
    if let Some(m) = schema.as_object_mut() {
        m.shift_insert(0, "description".into(), json!(description));
    }
    schema
}

/// The fields of a node group shared by cluster templates' node groups (`templates_relations`) and clusters'
/// (`node_groups`), as the views show them (the project, owner ids, image username and open ports hidden).
fn node_group_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("id", ty("string")),
        ("name", ty("string")),
        ("flavor_id", ty("string")),
        ("image_id", nullable("string")),
        ("node_processes", nullable_strings()),
        ("node_configs", configs(&[])),
        ("volumes_per_node", nullable("integer")),
        ("volumes_size", nullable("integer")),
        ("volumes_availability_zone", nullable("string")),
        ("volume_mount_prefix", nullable("string")),
        ("volume_type", nullable("string")),
        ("boot_from_volume", ty("boolean")),
        ("boot_volume_type", nullable("string")),
        ("boot_volume_availability_zone", nullable("string")),
        ("boot_volume_local_to_instance", nullable("boolean")),
        ("count", ty("integer")),
        ("use_autoconfig", nullable("boolean")),
        ("node_group_template_id", nullable("string")),
        ("floating_ip_pool", nullable("string")),
        ("security_groups", nullable_strings()),
        ("auto_security_group", nullable("boolean")),
        ("availability_zone", nullable("string")),
        ("is_proxy_gateway", nullable("boolean")),
        ("volume_local_to_instance", nullable("boolean")),
        (
            "shares",
            json!({"type": ["array", "null"], "items": schema_ref("Share")}),
        ),
        ("created_at", timestamp()),
        ("updated_at", timestamp()),
    ]
}

/// A node group template's v2 fields (nothing hidden).
fn node_group_template_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("id", ty("string")),
        ("name", ty("string")),
        ("description", nullable("string")),
        ("project_id", nullable("string")),
        ("flavor_id", ty("string")),
        ("image_id", nullable("string")),
        ("plugin_name", ty("string")),
        ("plugin_version", ty("string")),
        ("node_processes", nullable_strings()),
        ("node_configs", configs(&[])),
        ("volumes_per_node", ty("integer")),
        ("volumes_size", nullable("integer")),
        ("volumes_availability_zone", nullable("string")),
        ("volume_mount_prefix", nullable("string")),
        ("volume_type", nullable("string")),
        ("boot_from_volume", ty("boolean")),
        ("boot_volume_type", nullable("string")),
        ("boot_volume_availability_zone", nullable("string")),
        ("boot_volume_local_to_instance", nullable("boolean")),
        ("floating_ip_pool", nullable("string")),
        ("security_groups", nullable_strings()),
        ("auto_security_group", nullable("boolean")),
        ("availability_zone", nullable("string")),
        ("is_proxy_gateway", nullable("boolean")),
        ("volume_local_to_instance", nullable("boolean")),
        ("is_default", nullable("boolean")),
        ("use_autoconfig", nullable("boolean")),
        (
            "shares",
            json!({"type": ["array", "null"], "items": schema_ref("Share")}),
        ),
        ("is_public", nullable("boolean")),
        ("is_protected", nullable("boolean")),
        ("created_at", timestamp()),
        ("updated_at", timestamp()),
    ]
}

/// A cluster template's v2 fields, with its node groups.
fn cluster_template_fields() -> Vec<(&'static str, Value)> {
    vec![
        ("id", ty("string")),
        ("name", ty("string")),
        ("description", nullable("string")),
        ("cluster_configs", configs(&[])),
        ("default_image_id", nullable("string")),
        ("anti_affinity", nullable_strings()),
        ("project_id", nullable("string")),
        ("neutron_management_network", nullable("string")),
        ("plugin_name", ty("string")),
        ("plugin_version", ty("string")),
        ("is_default", nullable("boolean")),
        ("use_autoconfig", nullable("boolean")),
        (
            "shares",
            json!({"type": ["array", "null"], "items": schema_ref("Share")}),
        ),
        ("is_public", nullable("boolean")),
        ("is_protected", nullable("boolean")),
        ("domain_name", nullable("string")),
        ("created_at", timestamp()),
        ("updated_at", timestamp()),
        ("node_groups", array_of("TemplateNodeGroup")),
    ]
}

/// What an export drops from a template's view.
const EXPORT_STRIPPED: &[&str] = &["id", "updated_at", "created_at", "project_id", "is_default"];

/// A template export: `{"<key>": template}` without [`EXPORT_STRIPPED`], `placeholders` replaced by
/// `"{<field>}"`.
fn export(key: &str, fields: Vec<(&'static str, Value)>, placeholders: &[&str]) -> Value {
    let fields = fields
        .into_iter()
        .filter(|(k, _)| !EXPORT_STRIPPED.contains(k))
        .map(|(k, v)| {
            if placeholders.contains(&k) {
                (k, json!({"type": "string", "enum": [format!("{{{k}}}")]}))
            } else {
                (k, v)
            }
        })
        .collect();
    envelope(key, closed(fields, &[]))
}

/// A plugin's fields as `serialize_plugin` answers them, without a version's details.
fn plugin_fields() -> Vec<(&'static str, Value)> {
    let labels = json!({"type": "object", "additionalProperties": schema_ref("PluginLabel")});
    vec![
        ("name", ty("string")),
        ("title", ty("string")),
        ("description", ty("string")),
        ("versions", strings()),
        ("plugin_labels", labels.clone()),
        (
            "version_labels",
            json!({"type": "object", "additionalProperties": labels}),
        ),
    ]
}

/// Every schema of `#/components/schemas`: Sahara's error body, list markers, and each v2 resource as our views
/// render it (shared/model's `api_view`: hidden fields removed, secrets blanked, v2 names). Fields a create
/// answer leaves out (Sahara answers the ORM object it inserted: `updated_at`, and `description` and a few
/// others when the request did not set them) are not required.
pub fn schemas() -> Map<String, Value> {
    let mut s = Map::new();
    let mut add = |name: &str, schema: Value| {
        s.insert(name.to_string(), schema);
    };
    add(
        "Error",
        described(
            "Sahara's error body; a refused microversion (400, 406) adds the versions v2 serves.",
            closed(
                vec![
                    ("error_code", ty("integer")),
                    ("error_name", ty("string")),
                    ("error_message", ty("string")),
                    ("max_version", ty("string")),
                    ("min_version", ty("string")),
                ],
                &["max_version", "min_version"],
            ),
        ),
    );
    add(
        "Markers",
        described(
            "The ids before and after the page (when a `marker` was given or there is another page).",
            closed(vec![("prev", nullable("string")), ("next", nullable("string"))], &[]),
        ),
    );
    add(
        "PluginLabel",
        described(
            "A label's state; `mutable` and `description` come with every label Sahara knows.",
            closed(
                vec![
                    ("status", ty("boolean")),
                    ("mutable", ty("boolean")),
                    ("description", ty("string")),
                ],
                &["mutable", "description"],
            ),
        ),
    );
    add(
        "Plugin",
        described(
            "A plugin (list item, `GET /plugins/{name}`).",
            closed(plugin_fields(), &[]),
        ),
    );
    let mut version = plugin_fields();
    version.extend([
        ("configs", array_of("PluginConfig")),
        (
            "node_processes",
            json!({"type": "object", "additionalProperties": strings()}),
        ),
        ("required_image_tags", strings()),
    ]);
    add(
        "PluginVersion",
        described(
            "A plugin with one version's details (`GET /plugins/{name}/{version}`).",
            closed(version, &[]),
        ),
    );
    add(
        "PluginConfig",
        described(
            "A config a plugin version accepts.",
            closed(
                vec![
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("config_type", ty("string")),
                    ("config_values", nullable_strings()),
                    (
                        "default_value",
                        json!({"type": ["string", "number", "boolean", "null"]}),
                    ),
                    ("applicable_target", ty("string")),
                    ("scope", ty("string")),
                    ("is_optional", ty("boolean")),
                    ("priority", ty("integer")),
                ],
                &[],
            ),
        ),
    );
    add(
        "Share",
        described(
            "A Manila share of a template, cluster or node group.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("path", ty("string")),
                    ("access_level", ty("string")),
                ],
                &["path", "access_level"],
            ),
        ),
    );
    add(
        "NodeGroupTemplate",
        described(
            "A node group template.",
            closed(
                node_group_template_fields(),
                &["description", "image_id", "shares", "updated_at"],
            ),
        ),
    );
    add(
        "NodeGroupTemplateExport",
        described(
            "`GET /node-group-templates/{id}/export`: the template without its id, project, default flag and \
             times, and placeholders for what differs between clouds.",
            export(
                "node_group_template",
                node_group_template_fields(),
                &["flavor_id", "security_groups", "image_id", "floating_ip_pool"],
            ),
        ),
    );
    add(
        "TemplateNodeGroup",
        described("A node group of a cluster template.", closed(node_group_fields(), &[])),
    );
    add(
        "ClusterTemplate",
        described(
            "A cluster template with its node groups.",
            closed(cluster_template_fields(), &[]),
        ),
    );
    add(
        "ClusterTemplateExport",
        described(
            "`GET /cluster-templates/{id}/export`: the template without its id, project, default flag and times, \
             and placeholders for its image and node groups.",
            export(
                "cluster_template",
                cluster_template_fields(),
                &["default_image_id", "node_groups"],
            ),
        ),
    );
    let mut node_group = node_group_fields();
    node_group.push(("instances", array_of("Instance")));
    add(
        "NodeGroup",
        described(
            "A node group of a cluster, with its instances.",
            closed(node_group, &[]),
        ),
    );
    add(
        "Instance",
        described(
            "A server of a node group (its project, node group and volumes hidden).",
            closed(
                vec![
                    ("id", ty("string")),
                    ("instance_id", nullable("string")),
                    ("instance_name", ty("string")),
                    ("internal_ip", nullable("string")),
                    ("management_ip", nullable("string")),
                    ("storage_devices_number", nullable("integer")),
                    ("dns_hostname", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &[],
            ),
        ),
    );
    add(
        "ClusterProvisionStep",
        described(
            "A provision step; `events` only with `show_progress=true`.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("cluster_id", nullable("string")),
                    ("project_id", nullable("string")),
                    ("step_name", nullable("string")),
                    ("step_type", nullable("string")),
                    ("total", nullable("integer")),
                    ("successful", nullable("boolean")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                    ("events", array_of("ClusterEvent")),
                ],
                &["events"],
            ),
        ),
    );
    add(
        "ClusterEvent",
        described(
            "One instance's event within a provision step.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("node_group_id", nullable("string")),
                    ("instance_id", nullable("string")),
                    ("instance_name", nullable("string")),
                    ("event_info", nullable("string")),
                    ("successful", ty("boolean")),
                    ("step_id", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &[],
            ),
        ),
    );
    add(
        "ClusterVerification",
        described(
            "A cluster's latest verification with its health checks.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("cluster_id", nullable("string")),
                    ("status", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                    ("checks", array_of("ClusterHealthCheck")),
                ],
                &[],
            ),
        ),
    );
    add(
        "ClusterHealthCheck",
        described(
            "One health check of a verification.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("verification_id", nullable("string")),
                    ("status", nullable("string")),
                    ("description", nullable("string")),
                    ("name", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &[],
            ),
        ),
    );
    add(
        "Cluster",
        described(
            "A cluster with its node groups, provision progress and latest verification (absent when it has \
             none). Hidden: the management private key, the trust id, `extra`, `rollback_info`, `sahara_info` and \
             `cluster_configs.proxy_configs`.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("project_id", nullable("string")),
                    ("is_transient", nullable("boolean")),
                    ("plugin_name", ty("string")),
                    ("plugin_version", ty("string")),
                    (
                        "cluster_configs",
                        configs(sahara_model::api_view::CLUSTER_CONFIGS_HIDDEN),
                    ),
                    ("default_image_id", nullable("string")),
                    ("neutron_management_network", nullable("string")),
                    ("anti_affinity", nullable_strings()),
                    ("anti_affinity_ratio", nullable("integer")),
                    ("management_public_key", ty("string")),
                    ("user_keypair_id", nullable("string")),
                    ("status", nullable("string")),
                    ("status_description", nullable("string")),
                    ("info", nullable("object")),
                    ("use_autoconfig", nullable("boolean")),
                    ("cluster_template_id", nullable("string")),
                    (
                        "shares",
                        json!({"type": ["array", "null"], "items": schema_ref("Share")}),
                    ),
                    ("is_public", nullable("boolean")),
                    ("is_protected", nullable("boolean")),
                    ("domain_name", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                    ("node_groups", array_of("NodeGroup")),
                    ("provision_progress", array_of("ClusterProvisionStep")),
                    ("verification", schema_ref("ClusterVerification")),
                ],
                &["verification"],
            ),
        ),
    );
    add(
        "DataSource",
        described(
            "A data source (its credentials hidden).",
            closed(
                vec![
                    ("id", ty("string")),
                    ("project_id", nullable("string")),
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("type", ty("string")),
                    ("url", ty("string")),
                    ("is_public", nullable("boolean")),
                    ("is_protected", nullable("boolean")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &["description", "updated_at"],
            ),
        ),
    );
    add(
        "JobBinary",
        described(
            "A job binary (`extra`, its credentials, hidden).",
            closed(
                vec![
                    ("id", ty("string")),
                    ("project_id", nullable("string")),
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("url", ty("string")),
                    ("is_public", nullable("boolean")),
                    ("is_protected", nullable("boolean")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &["description", "updated_at"],
            ),
        ),
    );
    add(
        "JobTemplate",
        described(
            "A job template (Sahara's job) with its main and library binaries and interface.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("project_id", nullable("string")),
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("type", ty("string")),
                    ("is_public", nullable("boolean")),
                    ("is_protected", nullable("boolean")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                    ("mains", array_of("JobBinary")),
                    ("libs", array_of("JobBinary")),
                    ("interface", array_of("JobInterfaceArgument")),
                ],
                &["description", "updated_at"],
            ),
        ),
    );
    add(
        "JobInterfaceArgument",
        described(
            "A named input of a job template (its row as stored: `job_id` and `tenant_id` keep their names).",
            closed(
                vec![
                    ("id", ty("string")),
                    ("job_id", ty("string")),
                    ("tenant_id", nullable("string")),
                    ("name", ty("string")),
                    ("description", nullable("string")),
                    ("mapping_type", ty("string")),
                    ("location", ty("string")),
                    ("value_type", ty("string")),
                    ("required", ty("boolean")),
                    ("order", ty("integer")),
                    ("default", nullable("string")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &["description", "default", "updated_at"],
            ),
        ),
    );
    let blanked: Map<String, Value> = sahara_model::api_view::JOB_CONFIGS_BLANKED
        .iter()
        .map(|k| (k.to_string(), json!({"enum": [""]})))
        .collect();
    let mut job_configs = json!({
        "type": ["object", "null"],
        "properties": {
            "configs": {"type": "object", "properties": blanked},
            "params": {"type": "object"},
            "args": {"type": "array"},
            "job_execution_info": {"type": "object"},
        }
    });
    for hidden in sahara_model::api_view::JOB_CONFIGS_HIDDEN {
        job_configs["properties"][*hidden] = Value::Bool(false);
    }
    add(
        "Job",
        described(
            "A job (Sahara's job execution). Hidden: `extra`, `job_configs.trusts` and `.proxy_configs`, \
             `info.actions[].conf`; the Swift and S3 credentials in `job_configs.configs` are blanked. A create \
             answer has no `start_time`, `end_time`, `return_code`, `data_source_urls` nor `updated_at`.",
            closed(
                vec![
                    ("id", ty("string")),
                    ("project_id", nullable("string")),
                    ("job_template_id", nullable("string")),
                    ("input_id", nullable("string")),
                    ("output_id", nullable("string")),
                    ("start_time", timestamp()),
                    ("end_time", timestamp()),
                    ("cluster_id", nullable("string")),
                    (
                        "info",
                        json!({"type": ["object", "null"], "properties": {
                            "status": {"type": "string"},
                            "actions": {"type": "array", "items": {"type": "object", "properties": {"conf": false}}}
                        }}),
                    ),
                    ("engine_job_id", nullable("string")),
                    ("return_code", nullable("string")),
                    ("job_configs", job_configs),
                    (
                        "data_source_urls",
                        json!({"type": ["object", "null"], "additionalProperties": {"type": "string"}}),
                    ),
                    ("is_public", nullable("boolean")),
                    ("is_protected", nullable("boolean")),
                    ("created_at", timestamp()),
                    ("updated_at", timestamp()),
                ],
                &[
                    "start_time",
                    "end_time",
                    "return_code",
                    "data_source_urls",
                    "updated_at",
                ],
            ),
        ),
    );
    add(
        "JobConfigHints",
        described(
            "`GET /job-templates/config-hints/{job_type}`: the configs (name, default value, description), \
             params and args a job type takes.",
            envelope(
                "job_config",
                closed(
                    vec![
                        (
                            "configs",
                            json!({"type": "array", "items": closed(vec![
                                ("name", ty("string")),
                                ("value", ty("string")),
                                ("description", ty("string")),
                            ], &[])}),
                        ),
                        ("params", ty("object")),
                        ("args", ty("array")),
                    ],
                    &["params", "args"],
                ),
            ),
        ),
    );
    add(
        "JobType",
        described(
            "A job type with the enabled plugins and versions that run it.",
            closed(
                vec![
                    ("name", ty("string")),
                    (
                        "plugins",
                        json!({"type": "array", "items": closed(vec![
                            ("name", ty("string")),
                            ("title", ty("string")),
                            ("description", ty("string")),
                            ("versions", json!({"type": "object", "additionalProperties": nullable("object")})),
                        ], &[])}),
                    ),
                ],
                &[],
            ),
        ),
    );
    add(
        "Image",
        described(
            "A Glance image registered with Sahara (`ImageResource.to_dict`): Nova's old image fields, the \
             `_sahara*` properties (`metadata`), its login user, description and tags.",
            closed(
                vec![
                    ("OS-EXT-IMG-SIZE:size", nullable("integer")),
                    ("metadata", ty("object")),
                    ("minDisk", ty("integer")),
                    ("minRam", ty("integer")),
                    ("progress", json!({"type": ["integer", "string"]})),
                    ("status", ty("string")),
                    ("created", nullable("string")),
                    ("updated", nullable("string")),
                    ("username", ty("string")),
                    ("description", ty("string")),
                    ("tags", strings()),
                    ("id", ty("string")),
                    ("name", nullable("string")),
                ],
                &[],
            ),
        ),
    );
    s
}

/// Sahara's Draft 4 schema with its custom types and formats rewritten as standard JSON Schema (2020-12, which
/// OpenAPI 3.1 uses): `configs` / `simple_config` become objects of string / integer / boolean values, `flavor`
/// an integer or a string, the name / path / tag / location formats patterns.
pub fn standard_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut alternatives: Option<Vec<Value>> = None;
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("type", Value::String(t)) => match custom_type(t) {
                        Some(alt) => alternatives = Some(vec![alt]),
                        None => {
                            out.insert(k.clone(), v.clone());
                        }
                    },
                    ("type", Value::Array(types)) => {
                        let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
                        if names.iter().any(|t| custom_type(t).is_some()) {
                            alternatives = Some(
                                names
                                    .iter()
                                    .map(|t| custom_type(t).unwrap_or_else(|| json!({"type": t})))
                                    .collect(),
                            );
                        } else {
                            out.insert(k.clone(), v.clone());
                        }
                    }
                    ("format", Value::String(f)) => match format_pattern(f) {
                        Some(p) => {
                            out.insert("pattern".into(), json!(p));
                        }
                        None => {
                            out.insert(k.clone(), v.clone());
                        }
                    },
                    ("properties" | "patternProperties", Value::Object(props)) => {
                        out.insert(
                            k.clone(),
                            Value::Object(props.iter().map(|(n, s)| (n.clone(), standard_schema(s))).collect()),
                        );
                    }
                    ("items" | "additionalProperties" | "not" | "oneOf" | "anyOf" | "allOf" | "additionalItems", _) => {
                        out.insert(k.clone(), standard_schema(v));
                    }
                    _ => {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
            if let Some(alts) = alternatives {
                if alts.len() == 1 && out.is_empty() {
                    return alts.into_iter().next().unwrap_or_default();
                }
                let any = if alts.len() == 1 {
                    alts.into_iter().next().unwrap_or_default()
                } else {
                    json!({"anyOf": alts})
                };
                out.insert("allOf".into(), json!([any]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(standard_schema).collect()),
        other => other.clone(),
    }
}

fn custom_type(t: &str) -> Option<Value> {
    let leaf = json!({"type": ["string", "integer", "boolean"]});
    Some(match t {
        "simple_config" => json!({"type": "object", "additionalProperties": leaf}),
        "configs" => {
            json!({"type": "object", "additionalProperties": {"type": "object", "additionalProperties": leaf}})
        }
        "flavor" => json!({"anyOf": [
            {"type": "integer"},
            {"type": "string", "pattern": "^\\s*[-+]?[0-9]+\\s*$"},
            {"type": "string", "format": "uuid"}
        ]}),
        _ => return None,
    })
}

fn format_pattern(format: &str) -> Option<&'static str> {
    Some(match format {
        "valid_name_hostname" => "^([a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?)(\\.[a-zA-Z]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$",
        "valid_name" => "^[a-zA-Z0-9][a-zA-Z0-9\\-_.]*$",
        "valid_keypair_name" => "^[a-zA-Z0-9\\-_ ]+$",
        "valid_tag" => "^[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?(\\.[a-zA-Z0-9]([a-zA-Z0-9_-]*[a-zA-Z0-9])?)*$",
        "posix_path" => "^(/[a-zA-Z0-9_-]+)+$",
        "valid_job_location" => "^(internal-db|swift|s3|manila)://[a-zA-Z0-9._/-]+$",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_types_and_formats_become_standard() {
        let s = standard_schema(&json!({"type": ["configs", "null"]}));
        assert_eq!(s["allOf"][0]["anyOf"][1], json!({"type": "null"}));
        let f = standard_schema(&json!({"type": "flavor"}));
        assert_eq!(f["anyOf"][0], json!({"type": "integer"}));
        let n = standard_schema(&json!({"type": "string", "format": "valid_name", "minLength": 1}));
        assert_eq!(n["pattern"], "^[a-zA-Z0-9][a-zA-Z0-9\\-_.]*$");
        assert!(n.get("format").is_none());
        let u = standard_schema(&json!({"type": ["string", "null"], "format": "uuid"}));
        assert_eq!(u["format"], "uuid");
    }

    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r.clone());
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    #[test]
    fn every_reference_resolves_and_every_schema_is_used() {
        let doc = document(&["0.1"]);
        let mut found = Vec::new();
        refs(&doc, &mut found);
        for r in &found {
            let pointer = r.strip_prefix('#').expect("a local reference");
            assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
        }
        for name in schemas().keys() {
            let r = format!("#/components/schemas/{name}");
            assert!(found.contains(&r), "{name} is never referred to");
        }
    }

    #[test]
    fn resource_schemas_are_closed_and_list_only_their_own_fields_as_required() {
        for (name, schema) in schemas() {
            let schema = &schema;
            assert_eq!(schema["additionalProperties"], false, "{name}");
            let props = schema["properties"].as_object().unwrap();
            for r in schema["required"].as_array().unwrap() {
                assert!(props.contains_key(r.as_str().unwrap()), "{name}: {r}");
            }
        }
        let cluster = &schemas()["Cluster"];
        for hidden in sahara_model::api_view::CLUSTER_HIDDEN {
            assert!(cluster["properties"].get(*hidden).is_none(), "{hidden}");
        }
        assert_eq!(cluster["properties"]["plugin_version"]["type"], "string");
        assert!(cluster["properties"].get("hadoop_version").is_none());
        assert_eq!(
            schemas()["Job"]["properties"]["job_configs"]["properties"]["trusts"],
            false
        );
    }

    #[test]
    fn no_custom_type_or_format_survives() {
        let text = document(&["0.1"]).to_string();
        for word in [
            "\"type\":\"configs\"",
            "simple_config",
            "\"type\":\"flavor\"",
            "valid_name",
            "posix_path",
            "valid_job_location",
        ] {
            assert!(!text.contains(word), "{word} left in the document");
        }
    }
}
