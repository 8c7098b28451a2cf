//! The OpenAPI 3.1 document of `/v2`, served at `GET /v2/openapi.json` (Sahara has no such route; ours is public,
//! like version discovery, and answers only on that exact path). Paths, methods, operation ids (the policy rules)
//! and success statuses come from the v2 route tables themselves ([`crate::resources`]); what a table does not say
//! (the body schema, the query whitelist, the answer's envelope) is in [`OPERATIONS`], one line per route, which a
//! test keeps in step with the tables. Request bodies are shared/validation's schemas with Sahara's custom types
//! (`configs`, `simple_config`, `flavor`) and formats (`valid_name`, `posix_path`, ...) rewritten as standard JSON
//! Schema; answers are described by their envelope and key fields, every object open to more properties; every
//! failure carries Sahara's `{error_code, error_name, error_message}` body.

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

/// What a successful answer looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// `{"<key>": {...}}`.
    One(&'static str),
    /// `{"<key>": [...], "markers": {...}}` (markers only when paging).
    List(&'static str),
    /// A bare object (template export, config hints).
    Object,
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

const fn list(rule: &'static str, query: &'static [&'static str], key: &'static str) -> Operation {
    Operation {
        method: "GET",
        rule,
        body: Body::None,
        query,
        paged: true,
        answer: Answer::List(key),
    }
}

/// A listing Sahara does not page (images, job types, plugins): `marker` / `limit` / `sort_by` pass the whitelist
/// but do nothing, so they are not listed.
const fn unpaged(rule: &'static str, query: &'static [&'static str], key: &'static str) -> Operation {
    Operation {
        paged: false,
        ..list(rule, query, key)
    }
}

use Answer::{Empty, One};
use Body::{None as NoBody, Schema};

/// Every v2 route: body, query and answer (in the order of §1c of the reference).
pub const OPERATIONS: &[Operation] = &[
    list("/clusters", crate::templates::V2_LIST_PARAMS, "clusters"),
    op("POST", "/clusters", Schema(SchemaId::ClusterV2), Answer::ClusterCreate),
    op(
        "PUT",
        "/clusters/{id}",
        Schema(SchemaId::ClusterScalingV2),
        One("cluster"),
    ),
    Operation {
        query: &["show_progress"],
        ..op("GET", "/clusters/{id}", NoBody, One("cluster"))
    },
    op(
        "PATCH",
        "/clusters/{id}",
        Schema(SchemaId::ClusterUpdateV2),
        One("cluster"),
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
    ),
    op(
        "POST",
        "/cluster-templates",
        Schema(SchemaId::ClusterTemplateV2),
        One("cluster_template"),
    ),
    op("GET", "/cluster-templates/{id}", NoBody, One("cluster_template")),
    op(
        "PATCH",
        "/cluster-templates/{id}",
        Schema(SchemaId::ClusterTemplateUpdateV2),
        One("cluster_template"),
    ),
    op("DELETE", "/cluster-templates/{id}", NoBody, Empty),
    op("GET", "/cluster-templates/{id}/export", NoBody, Answer::Object),
    list(
        "/node-group-templates",
        crate::templates::V2_LIST_PARAMS,
        "node_group_templates",
    ),
    op(
        "POST",
        "/node-group-templates",
        Schema(SchemaId::NodeGroupTemplateV2),
        One("node_group_template"),
    ),
    op("GET", "/node-group-templates/{id}", NoBody, One("node_group_template")),
    op(
        "PATCH",
        "/node-group-templates/{id}",
        Schema(SchemaId::NodeGroupTemplateUpdateV2),
        One("node_group_template"),
    ),
    op("DELETE", "/node-group-templates/{id}", NoBody, Empty),
    op("GET", "/node-group-templates/{id}/export", NoBody, Answer::Object),
    list("/data-sources", &["type"], "data_sources"),
    op(
        "POST",
        "/data-sources",
        Schema(SchemaId::DataSource),
        One("data_source"),
    ),
    op("GET", "/data-sources/{id}", NoBody, One("data_source")),
    op("DELETE", "/data-sources/{id}", NoBody, Empty),
    op(
        "PATCH",
        "/data-sources/{id}",
        Schema(SchemaId::DataSourceUpdate),
        One("data_source"),
    ),
    unpaged("/images", &["name", "tags", "username"], "images"),
    op("GET", "/images/{id}", NoBody, One("image")),
    op("POST", "/images/{id}", Schema(SchemaId::ImageRegister), One("image")),
    op("DELETE", "/images/{id}", NoBody, Empty),
    op("GET", "/images/{id}/tags", NoBody, Answer::Tags),
    op("PUT", "/images/{id}/tags", Schema(SchemaId::ImageTags), One("image")),
    op("DELETE", "/images/{id}/tags", NoBody, Empty),
    op("POST", "/job-binaries", Schema(SchemaId::JobBinary), One("job_binary")),
    list("/job-binaries", &["name"], "binaries"),
    op("GET", "/job-binaries/{id}", NoBody, One("job_binary")),
    op("DELETE", "/job-binaries/{id}", NoBody, Empty),
    op("GET", "/job-binaries/{id}/data", NoBody, Answer::Bytes),
    op(
        "PATCH",
        "/job-binaries/{id}",
        Schema(SchemaId::JobBinaryUpdate),
        One("job_binary"),
    ),
    list("/job-templates", &["type", "name"], "job_templates"),
    op("POST", "/job-templates", Schema(SchemaId::Job), One("job_template")),
    op("GET", "/job-templates/{id}", NoBody, One("job_template")),
    op(
        "PATCH",
        "/job-templates/{id}",
        Schema(SchemaId::JobUpdate),
        One("job_template"),
    ),
    op("DELETE", "/job-templates/{id}", NoBody, Empty),
    op("GET", "/job-templates/config-hints/{job_type}", NoBody, Answer::Object),
    unpaged("/job-types", &["type", "plugin_name", "plugin_version"], "job_types"),
    list("/jobs", &["status"], "jobs"),
    op("POST", "/jobs", Schema(SchemaId::JobExecV2), One("job")),
    op("GET", "/jobs/{id}", NoBody, One("job")),
    op("PATCH", "/jobs/{id}", Schema(SchemaId::JobExecUpdate), One("job")),
    op("DELETE", "/jobs/{id}", NoBody, Empty),
    unpaged("/plugins", &[], "plugins"),
    op("GET", "/plugins/{plugin_name}", NoBody, One("plugin")),
    op("GET", "/plugins/{plugin_name}/{version}", NoBody, One("plugin")),
    op("PATCH", "/plugins/{plugin_name}", Body::PluginLabels, One("plugin")),
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
    let answer = spec.map_or(Answer::Object, |s| s.answer);
    let mut responses = Map::new();
    for (status, resp) in success(route.status, answer) {
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

fn success(status: StatusCode, answer: Answer) -> Vec<(StatusCode, Value)> {
    let json_body = |schema: Value| {
        json!({
            "description": "success",
            "headers": {"OpenStack-API-Version": {"$ref": "#/components/headers/OpenStackApiVersion"}},
            "content": {"application/json": {"schema": schema}}
        })
    };
    let empty = json!({
        "description": "success, no body",
        "headers": {"OpenStack-API-Version": {"$ref": "#/components/headers/OpenStackApiVersion"}}
    });
    let resource = json!({"$ref": "#/components/schemas/Resource"});
    match answer {
        Answer::One(key) => vec![(status, json_body(envelope(key, resource)))],
        Answer::List(key) => vec![(
            status,
            json_body(json!({
                "type": "object",
                "required": [key],
                "properties": {
                    key: {"type": "array", "items": resource},
                    "markers": {"$ref": "#/components/schemas/Markers"}
                }
            })),
        )],
        Answer::Object => vec![(status, json_body(json!({"type": "object"})))],
        Answer::Empty => vec![(status, empty)],
        Answer::ClusterCreate => vec![(
            status,
            json_body(json!({"anyOf": [
                envelope("cluster", resource.clone()),
                {"type": "object", "required": ["clusters"], "properties": {
                    "clusters": {"type": "array", "items": envelope("cluster", resource)}
                }}
            ]})),
        )],
        Answer::ClusterDelete => vec![
            (status, empty),
            (
                StatusCode::OK,
                json_body(json!({"type": "object", "required": ["stack_name"], "properties": {
                    "stack_name": {"type": ["string", "null"]}
                }})),
            ),
        ],
        Answer::Tags => vec![(
            status,
            json_body(json!({"anyOf": [
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

fn envelope(key: &str, inner: Value) -> Value {
    json!({"type": "object", "required": [key], "properties": {key: inner}})
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
        "schemas": {
            "Error": {
                "type": "object",
                "description": "Sahara's error body.",
                "required": ["error_code", "error_name", "error_message"],
                "properties": {
                    "error_code": {"type": "integer"},
                    "error_name": {"type": "string"},
                    "error_message": {"type": "string"}
                }
            },
            "Resource": {
                "type": "object",
                "description": "A resource (§6 of the reference); every field beyond the key ones is listed as \
                                Sahara's row has it.",
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "description": {"type": ["string", "null"]},
                    "project_id": {"type": ["string", "null"]},
                    "is_public": {"type": ["boolean", "null"]},
                    "is_protected": {"type": ["boolean", "null"]},
                    "created_at": {"type": ["string", "null"]},
                    "updated_at": {"type": ["string", "null"]}
                }
            },
            "Markers": {
                "type": "object",
                "properties": {
                    "prev": {"type": ["string", "null"]},
                    "next": {"type": ["string", "null"]}
                }
            }
        },
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
