//! Heat's REST API `/heat-api/v1/{project_id}` as heatclient and Sahara call it: stacks
//! (create, list with filters, lookup by name with Heat's 302, show, update by PUT and
//! PATCH, delete), their template, environment, files, outputs, resources (with
//! `nested_depth`), events, and the signal a wait condition handle's `curl_cli` posts;
//! the version document at the root; errors in Heat's body shape.
//!
//! Authentication is a layer in front ([`Caller`]): it validates `X-Auth-Token` and puts
//! the caller in the request's extensions. A request without one is answered 401, except
//! a signal carrying the handle's own token (instances have no Keystone token).

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Extension, Path, RawQuery};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use serde_json::{Map, Value, json};
use tracing::{Instrument, debug, info_span};

use super::backend::Principal;
use super::engine::{Heat, ListFilter, SignalAuth, StackIdentity, StackRequest};
use super::error::HeatError;
use super::resources::Kind;
use super::state::{Event, ResourceState, StackState, isotime};

/// Where Heat is mounted (the catalog's `orchestration` endpoint is
/// `<base>/heat-api/v1/%(project_id)s`).
pub const MOUNT: &str = "/heat-api";

/// The authenticated caller, put in the request's extensions by the auth layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Project, user.
    pub principal: Principal,
    /// Role names.
    pub roles: Vec<String>,
    /// Whether the caller is an admin.
    pub is_admin: bool,
}

/// A query string with repeated keys.
#[derive(Debug, Default)]
struct Query(Vec<(String, String)>);

impl Query {
    fn parse(raw: Option<&str>) -> Query {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(&s.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        };
        Query(
            raw.unwrap_or_default()
                .split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, HeatError> {
        self.get(key)
            .map(|v| extract_bool(key, &Value::String(v.to_string())))
            .transpose()
    }

    fn int(&self, key: &str) -> Result<Option<u64>, HeatError> {
        self.get(key)
            .map(|v| extract_int(key, &Value::String(v.to_string())))
            .transpose()
    }
}

fn extract_bool(name: &str, v: &Value) -> Result<bool, HeatError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        other => Err(HeatError::Http {
            status: 400,
            message: format!(
                "Unrecognized value '{}' for {name}, acceptable values are: true, false",
                super::parameters::text_of(other)
            ),
        }),
    }
}

fn extract_int(name: &str, v: &Value) -> Result<u64, HeatError> {
    let n = match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(_) => Err(HeatError::Http {
            status: 400,
            message: format!("Value must be >= 0 for {name}"),
        }),
        None => Err(HeatError::Http {
            status: 400,
            message: format!("Only integer is acceptable by '{name}'."),
        }),
    }
}

fn extract_tags(v: &Value) -> Result<Vec<String>, HeatError> {
    let tags: Vec<String> = match v {
        Value::String(s) if s.is_empty() => vec![],
        Value::String(s) => s.split(',').map(|t| t.trim().to_string()).collect(),
        Value::Array(a) => a.iter().map(super::parameters::text_of).collect(),
        Value::Null => vec![],
        _ => {
            return Err(HeatError::Http {
                status: 400,
                message: "Invalid tag, \"tags\" must be a list or a string".into(),
            });
        }
    };
    for t in &tags {
        if t.len() > 80 {
            return Err(HeatError::Http {
                status: 400,
                message: format!("Invalid tag, \"{t}\" is longer than 80 characters"),
            });
        }
        if t.contains('/') {
            return Err(HeatError::Http {
                status: 400,
                message: format!("Invalid tag, \"{t}\" contains a '/'"),
            });
        }
    }
    Ok(tags)
}

fn webob(status: u16) -> (&'static str, &'static str) {
    match status {
        400 => (
            "Bad Request",
            "The server could not comply with the request since it is either malformed or otherwise incorrect.",
        ),
        401 => (
            "Unauthorized",
            "This server could not verify that you are authorized to access the document you requested. Either you supplied the wrong credentials (e.g., bad password), or your browser does not understand how to supply the credentials required.",
        ),
        403 => ("Forbidden", "Access was denied to this resource."),
        404 => ("Not Found", "The resource could not be found."),
        409 => ("Conflict", "There was a conflict when trying to complete your request."),
        _ => (
            "Internal Server Error",
            "The server has either erred or is incapable of performing the requested operation.",
        ),
    }
}

/// An error answered in the body Heat's fault middleware writes.
struct ApiError(HeatError);

impl From<HeatError> for ApiError {
    fn from(e: HeatError) -> ApiError {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = self.0.status();
        let (title, explanation) = webob(code);
        debug!(code, error = %self.0, "heat api error");
        let body = json!({
            "code": code,
            "title": title,
            "explanation": explanation,
            "error": {"message": self.0.to_string(), "traceback": null, "type": self.0.type_name()},
        });
        let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, axum::Json(body)).into_response()
    }
}

type ApiResult = Result<Response, ApiError>;

fn base(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    format!("http://{host}{MOUNT}/v1")
}

fn stack_url(base: &str, project: &str, name: &str, id: &str) -> String {
    format!("{base}/{project}/stacks/{name}/{id}")
}

fn caller(c: Option<Extension<Caller>>, project: &str) -> Result<Caller, ApiError> {
    let Some(Extension(c)) = c else {
        return Err(ApiError(HeatError::Http {
            status: 401,
            message: "Authentication required".into(),
        }));
    };
    if c.principal.project_id != project && !c.is_admin {
        return Err(ApiError(HeatError::Forbidden(
            "Access was denied to this resource.".into(),
        )));
    }
    Ok(c)
}

fn json_response(status: StatusCode, v: Value) -> Response {
    (status, axum::Json(v)).into_response()
}

/// The routes of Heat, under [`MOUNT`]; the caller must come from a layer (see
/// [`Caller`]).
pub fn routes<S: Clone + Send + Sync + 'static>(heat: Heat) -> Router<S> {
    let v1 = format!("{MOUNT}/v1/{{project}}");
    Router::new()
        .route(MOUNT, get(versions))
        .route(&format!("{MOUNT}/"), get(versions))
        .route(&format!("{v1}/stacks"), get(list_stacks).post(create_stack))
        .route(&format!("{v1}/stacks/detail"), get(list_detail))
        .route(&format!("{v1}/stacks/{{name}}"), any(lookup))
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}"),
            get(show_stack).put(put_stack).patch(patch_stack).delete(delete_stack),
        )
        .route(&format!("{v1}/stacks/{{name}}/{{id}}/template"), get(stack_template))
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/environment"),
            get(stack_environment),
        )
        .route(&format!("{v1}/stacks/{{name}}/{{id}}/files"), get(stack_files))
        .route(&format!("{v1}/stacks/{{name}}/{{id}}/outputs"), get(list_outputs))
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/outputs/{{key}}"),
            get(show_output),
        )
        .route(&format!("{v1}/stacks/{{name}}/{{id}}/resources"), get(list_resources))
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/resources/{{res}}"),
            get(show_resource),
        )
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/resources/{{res}}/metadata"),
            get(resource_metadata),
        )
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/resources/{{res}}/signal"),
            post(signal),
        )
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/resources/{{res}}/events"),
            get(resource_events),
        )
        .route(
            &format!("{v1}/stacks/{{name}}/{{id}}/resources/{{res}}/events/{{event}}"),
            get(show_event),
        )
        .route(&format!("{v1}/stacks/{{name}}/{{id}}/events"), get(stack_events))
        .layer(Extension(heat))
}

async fn versions(headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    json_response(
        StatusCode::MULTIPLE_CHOICES,
        json!({"versions": [{"id": "v1.0", "status": "CURRENT",
            "links": [{"href": format!("http://{host}{MOUNT}/v1/"), "rel": "self"}]}]}),
    )
}

fn identity_json(base: &str, id: &StackIdentity) -> Value {
    json!({"id": id.stack_id, "links": [{"href": stack_url(base, &id.tenant, &id.stack_name, &id.stack_id), "rel": "self"}]})
}

fn stack_summary(base: &str, s: &StackState, include_project: bool) -> Value {
    let mut v = json!({
        "id": s.id,
        "links": [{"href": stack_url(base, &s.principal.project_id, &s.name, &s.id), "rel": "self"}],
        "stack_name": s.name,
        "description": "",
        "stack_status": s.status_text(),
        "stack_status_reason": s.reason,
        "creation_time": isotime(&s.created),
        "deletion_time": s.deleted.as_ref().map(isotime),
        "updated_time": s.updated.as_ref().map(isotime),
        "stack_owner": s.principal.user_name,
        "parent": s.owner_id,
        "stack_user_project_id": s.principal.project_id,
        "tags": if s.tags.is_empty() { Value::Null } else { json!(s.tags) },
    });
    if include_project && let Some(m) = v.as_object_mut() {
        m.insert("project".into(), json!(s.principal.project_id));
    }
    v
}

async fn stack_detail(heat: &Heat, base: &str, s: &StackState, outputs: bool) -> Value {
    let mut v = stack_summary(base, s, false);
    let m = v.as_object_mut().expect("an object");
    m.insert("description".into(), json!(s.template.description));
    m.insert("template_description".into(), json!(s.template.description));
    m.insert("parameters".into(), json!(s.params.texts));
    m.insert("disable_rollback".into(), json!(s.disable_rollback));
    m.insert("timeout_mins".into(), json!(s.timeout_mins));
    m.insert("capabilities".into(), json!([]));
    m.insert("notification_topics".into(), json!([]));
    m.insert("tags".into(), json!(s.tags));
    if outputs && !s.is_deleted() {
        let outs: Vec<Value> = heat
            .outputs(&s.id)
            .await
            .into_iter()
            .map(|o| {
                let mut x = json!({"output_key": o.key, "description": o.description, "output_value": o.value});
                if let (Some(e), Some(m)) = (o.error, x.as_object_mut()) {
                    m.insert("output_error".into(), json!(e));
                }
                x
            })
            .collect();
        m.insert("outputs".into(), json!(outs));
    }
    v
}

fn filter_from(q: &Query) -> Result<ListFilter, HeatError> {
    let tags = |k: &str| -> Result<Vec<String>, HeatError> {
        q.get(k)
            .map(|t| extract_tags(&Value::String(t.to_string())))
            .transpose()
            .map(Option::unwrap_or_default)
    };
    Ok(ListFilter {
        names: q.all("name"),
        ids: q.all("id"),
        statuses: q.all("status"),
        actions: q.all("action"),
        show_hidden: q.bool("show_hidden")?.unwrap_or(false),
        show_nested: q.bool("show_nested")?.unwrap_or(false),
        show_deleted: q.bool("show_deleted")?.unwrap_or(false),
        tags: tags("tags")?,
        tags_any: tags("tags_any")?,
        not_tags: tags("not_tags")?,
        not_tags_any: tags("not_tags_any")?,
        limit: q.int("limit")?.map(|l| l as usize),
        marker: q.get("marker").map(str::to_string),
    })
}

async fn list_stacks(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path(project): Path<String>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    let c = caller(c, &project)?;
    let q = Query::parse(raw.as_deref());
    let filter = filter_from(&q)?;
    let global = q.bool("global_tenant")?.unwrap_or(false) && c.is_admin;
    let stacks = heat.list(if global { None } else { Some(&project) }, &filter);
    let base = base(&headers);
    let mut body = json!({"stacks": stacks.iter().map(|s| stack_summary(&base, s, c.is_admin)).collect::<Vec<_>>()});
    if q.bool("with_count")?.unwrap_or(false)
        && let Some(m) = body.as_object_mut()
    {
        m.insert("count".into(), json!(stacks.len()));
    }
    Ok(json_response(StatusCode::OK, body))
}

async fn list_detail(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let stacks = heat.list(Some(&project), &ListFilter::default());
    let base = base(&headers);
    let mut out = Vec::new();
    for s in &stacks {
        out.push(stack_detail(&heat, &base, s, true).await);
    }
    Ok(json_response(StatusCode::OK, json!({"stacks": out})))
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, HeatError> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(HeatError::Http {
            status: 400,
            message: "The request body must be a JSON object".into(),
        }),
        Err(e) => Err(HeatError::Http {
            status: 400,
            message: format!("Malformed JSON in request body: {e}"),
        }),
    }
}

fn stack_request(body: &Map<String, Value>) -> Result<StackRequest, HeatError> {
    if body.contains_key("template_url") && !body.contains_key("template") {
        return Err(HeatError::Http {
            status: 400,
            message: "Could not retrieve template: template_url is not supported by this simulator".into(),
        });
    }
    if body.contains_key("environment_files") || body.contains_key("files_container") {
        return Err(HeatError::NotSupported(
            "environment_files and files_container (in this simulator)".into(),
        ));
    }
    let template = match body.get("template") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(Value::String(s.clone())),
        Some(Value::Object(m)) => Some(Value::Object(m.clone())),
        Some(_) => {
            return Err(HeatError::Http {
                status: 400,
                message: "Template not in valid format".into(),
            });
        }
    };
    let parameters = match body.get("parameters") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            return Err(HeatError::Http {
                status: 400,
                message: "parameters must be a map".into(),
            });
        }
    };
    let mut files = BTreeMap::new();
    if let Some(Value::Object(f)) = body.get("files") {
        for (k, v) in f {
            files.insert(
                k.clone(),
                match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                },
            );
        }
    }
    Ok(StackRequest {
        stack_name: body.get("stack_name").map(super::parameters::text_of),
        template,
        parameters,
        files,
        environment: body.get("environment").cloned(),
        timeout_mins: body
            .get("timeout_mins")
            .filter(|v| !v.is_null())
            .map(|v| extract_int("timeout_mins", v))
            .transpose()?,
        disable_rollback: body
            .get("disable_rollback")
            .filter(|v| !v.is_null())
            .map(|v| extract_bool("disable_rollback", v))
            .transpose()?,
        tags: body
            .get("tags")
            .filter(|v| !v.is_null())
            .map(extract_tags)
            .transpose()?,
    })
}

async fn create_stack(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path(project): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let c = caller(c, &project)?;
    let req = stack_request(&parse_body(&body)?)?;
    let mut who = c.principal.clone();
    who.project_id = project;
    let id = heat.create_stack(&who, req)?;
    Ok(json_response(
        StatusCode::CREATED,
        json!({"stack": identity_json(&base(&headers), &id)}),
    ))
}

/// The sub-collections `GET /stacks/{name}/<this>` redirects for.
const SUBPATHS: &[&str] = &["resources", "events", "template", "outputs", "environment", "files"];

fn redirect(location: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, location)], axum::Json(json!({}))).into_response()
}

async fn lookup(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let id = heat.identify(&project, &name)?;
    let mut loc = stack_url(&base(&headers), &project, &id.stack_name, &id.stack_id);
    if let Some(q) = raw.filter(|q| !q.is_empty()) {
        loc = format!("{loc}?{q}");
    }
    Ok(redirect(loc))
}

/// `GET /stacks/{name}/resources` (and the other sub-collections): Heat's 302 to the
/// stack's canonical URL.
fn lookup_subpath(
    heat: &Heat,
    project: &str,
    name: &str,
    path: &str,
    raw: Option<String>,
    headers: &HeaderMap,
) -> ApiResult {
    let id = heat.identify(project, name)?;
    let mut loc = format!(
        "{}/{path}",
        stack_url(&base(headers), project, &id.stack_name, &id.stack_id)
    );
    if let Some(q) = raw.filter(|q| !q.is_empty()) {
        loc = format!("{loc}?{q}");
    }
    Ok(redirect(loc))
}

/// The stack a `{name}/{id}` URL names (Heat: the name must match).
fn identified(heat: &Heat, project: &str, name: &str, id: &str) -> Result<StackState, HeatError> {
    let s = heat.stack(project, id)?;
    if s.name != name {
        return Err(HeatError::stack_not_found(name));
    }
    Ok(s)
}

async fn show_stack(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    if SUBPATHS.contains(&id.as_str()) {
        return lookup_subpath(&heat, &project, &name, &id, raw, &headers);
    }
    let q = Query::parse(raw.as_deref());
    let s = identified(&heat, &project, &name, &id)?;
    let outputs = q.bool("resolve_outputs")?.unwrap_or(true);
    Ok(json_response(
        StatusCode::OK,
        json!({"stack": stack_detail(&heat, &base(&headers), &s, outputs).await}),
    ))
}

async fn update(
    heat: Heat,
    c: Option<Extension<Caller>>,
    project: String,
    name: String,
    id: String,
    body: Bytes,
    patch: bool,
) -> ApiResult {
    let c = caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let req = stack_request(&parse_body(&body)?)?;
    heat.update_stack(&s.principal, &id, req, patch)?;
    let _ = c;
    Ok((StatusCode::ACCEPTED, axum::Json(json!({}))).into_response())
}

async fn put_stack(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    update(heat, c, project, name, id, body, false).await
}

async fn patch_stack(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult {
    update(heat, c, project, name, id, body, true).await
}

async fn delete_stack(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    heat.delete_stack(&s.principal, &id)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn stack_template(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    Ok(json_response(StatusCode::OK, s.template.raw))
}

async fn stack_environment(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let mut env = s.environment.as_object().cloned().unwrap_or_default();
    env.insert("parameters".into(), Value::Object(s.user_params.clone()));
    for key in ["parameter_defaults", "resource_registry", "event_sinks"] {
        env.entry(key)
            .or_insert_with(|| if key == "event_sinks" { json!([]) } else { json!({}) });
    }
    env.entry("encrypted_param_names").or_insert(json!([]));
    Ok(json_response(StatusCode::OK, Value::Object(env)))
}

async fn stack_files(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    Ok(json_response(StatusCode::OK, json!(s.files)))
}

async fn list_outputs(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let outs: Vec<Value> = s
        .template
        .outputs
        .iter()
        .map(|o| json!({"output_key": o.name, "description": o.description}))
        .collect();
    Ok(json_response(StatusCode::OK, json!({"outputs": outs})))
}

async fn show_output(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, key)): Path<(String, String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    identified(&heat, &project, &name, &id)?;
    let outputs = heat.outputs(&id).await;
    let o = outputs
        .into_iter()
        .find(|o| o.key == key)
        .ok_or_else(|| HeatError::EntityNotFound {
            entity: "Output",
            name: key.clone(),
        })?;
    let mut v = json!({"output_key": o.key, "description": o.description, "output_value": o.value});
    if let (Some(e), Some(m)) = (o.error, v.as_object_mut()) {
        m.insert("output_error".into(), json!(e));
    }
    Ok(json_response(StatusCode::OK, json!({"output": v})))
}

fn resource_json(base: &str, heat: &Heat, s: &StackState, r: &ResourceState, detail: bool) -> Value {
    let surl = stack_url(base, &s.principal.project_id, &s.name, &s.id);
    let mut links = vec![
        json!({"href": format!("{surl}/resources/{}", r.name), "rel": "self"}),
        json!({"href": surl, "rel": "stack"}),
    ];
    if let Some(n) = &r.nested
        && let Some(ns) = heat.stack_any(n)
    {
        links.push(json!({"href": stack_url(base, &ns.principal.project_id, &ns.name, &ns.id), "rel": "nested"}));
    }
    let t = r.created.as_ref().map(isotime);
    let mut v = json!({
        "resource_name": r.name,
        "logical_resource_id": r.name,
        "physical_resource_id": r.physical_id.clone().unwrap_or_default(),
        "resource_status": format!("{}_{}", r.action.as_str(), r.status.as_str()),
        "resource_status_reason": r.reason,
        "resource_type": r.definition.type_name,
        "creation_time": t,
        "updated_time": r.updated.as_ref().map(isotime).or(t.clone()),
        "required_by": s.graph.required_by(&r.name),
        "links": links,
    });
    let m = v.as_object_mut().expect("an object");
    if let Some(p) = &s.parent_resource {
        m.insert("parent_resource".into(), json!(p));
    }
    if detail {
        m.insert("description".into(), json!(r.definition.description));
        let attrs = match &r.kind {
            Kind::ResourceGroup | Kind::Template(_) => Value::Object(Map::new()),
            _ => {
                let mut a = r.attrs.clone();
                a.remove("show");
                Value::Object(a)
            }
        };
        m.insert("attributes".into(), attrs);
    }
    v
}

async fn list_resources(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let q = Query::parse(raw.as_deref());
    let allowed = [
        "type",
        "status",
        "name",
        "action",
        "id",
        "physical_resource_id",
        "nested_depth",
        "with_detail",
    ];
    let invalid: Vec<&String> =
        q.0.iter()
            .map(|(k, _)| k)
            .filter(|k| !allowed.contains(&k.as_str()))
            .collect();
    if !invalid.is_empty() {
        let list = invalid.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ");
        return Err(ApiError(HeatError::Http {
            status: 400,
            message: format!("Invalid filter parameters [{list}]"),
        }));
    }
    let depth = q.int("nested_depth")?.unwrap_or(0);
    let detail = q.bool("with_detail")?.unwrap_or(false);
    let s = identified(&heat, &project, &name, &id)?;
    if s.is_deleted() {
        return Ok(json_response(StatusCode::OK, json!({"resources": []})));
    }
    let base = base(&headers);
    let mut out = Vec::new();
    let mut frontier = vec![(s, 0u64)];
    while let Some((stack, d)) = frontier.pop() {
        for r in stack.resources.values() {
            let matches = |key: &str, value: String| {
                let wanted = q.all(key);
                wanted.is_empty() || wanted.contains(&value)
            };
            let ok = matches("type", r.definition.type_name.clone())
                && matches("name", r.name.clone())
                && matches("status", r.status.as_str().to_string())
                && matches("action", r.action.as_str().to_string())
                && matches("physical_resource_id", r.physical_id.clone().unwrap_or_default());
            if ok {
                out.push(resource_json(&base, &heat, &stack, r, detail));
            }
            if d < depth
                && let Some(n) = &r.nested
                && let Some(ns) = heat.stack_any(n)
            {
                frontier.push((ns, d + 1));
            }
        }
    }
    Ok(json_response(StatusCode::OK, json!({"resources": out})))
}

fn find_resource<'a>(s: &'a StackState, res: &str) -> Result<&'a ResourceState, HeatError> {
    s.resources.get(res).ok_or_else(|| HeatError::ResourceNotFound {
        resource: res.into(),
        stack: s.name.clone(),
    })
}

async fn show_resource(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, res)): Path<(String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let r = find_resource(&s, &res)?;
    Ok(json_response(
        StatusCode::OK,
        json!({"resource": resource_json(&base(&headers), &heat, &s, r, true)}),
    ))
}

async fn resource_metadata(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, res)): Path<(String, String, String, String)>,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let r = find_resource(&s, &res)?;
    let meta = if r.metadata.is_empty() {
        r.definition.metadata.clone()
    } else {
        Value::Object(r.metadata.clone())
    };
    let meta = if meta.is_null() { json!({}) } else { meta };
    Ok(json_response(StatusCode::OK, json!({"metadata": meta})))
}

async fn signal(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, res)): Path<(String, String, String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult {
    let auth = match c {
        Some(Extension(c)) => {
            if c.principal.project_id != project && !c.is_admin {
                return Err(ApiError(HeatError::Forbidden(
                    "Access was denied to this resource.".into(),
                )));
            }
            SignalAuth::User(c.principal)
        }
        None => match headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
            Some(t) => SignalAuth::Token(t.to_string()),
            None => {
                return Err(ApiError(HeatError::Http {
                    status: 401,
                    message: "Authentication required".into(),
                }));
            }
        },
    };
    let s = heat
        .stack_any(&id)
        .filter(|s| s.name == name && s.principal.project_id == project);
    let Some(_) = s else {
        return Err(ApiError(HeatError::stack_not_found(name)));
    };
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| HeatError::Http {
            status: 400,
            message: format!("Malformed JSON in request body: {e}"),
        })?
    };
    let span = info_span!("heat_signal", stack_id = %id, resource = %res);
    async { heat.signal(&id, &res, &body, &auth) }.instrument(span).await?;
    Ok((StatusCode::OK, axum::Json(Value::Null)).into_response())
}

fn event_json(base: &str, s: &StackState, e: &Event, full: bool) -> Value {
    let surl = stack_url(base, &s.principal.project_id, &s.name, &s.id);
    let rurl = format!("{surl}/resources/{}", e.resource_name);
    let mut v = json!({
        "id": e.id,
        "links": [
            {"href": format!("{rurl}/events/{}", e.id), "rel": "self"},
            {"href": rurl, "rel": "resource"},
            {"href": surl, "rel": "stack"},
        ],
        "event_time": isotime(&e.time),
        "resource_name": e.resource_name,
        "logical_resource_id": e.resource_name,
        "physical_resource_id": e.physical_id,
        "resource_status": format!("{}_{}", e.action, e.status),
        "resource_status_reason": e.reason,
    });
    if full && let Some(m) = v.as_object_mut() {
        m.insert("resource_type".into(), json!(e.resource_type));
        m.insert("resource_properties".into(), e.properties.clone());
    }
    v
}

fn events_response(base: &str, s: &StackState, resource: Option<&str>, q: &Query) -> Result<Response, HeatError> {
    let allowed_status = q.all("resource_status");
    let allowed_action = q.all("resource_action");
    let allowed_name = q.all("resource_name");
    let allowed_type = q.all("resource_type");
    let mut events: Vec<&Event> = s
        .events
        .iter()
        .filter(|e| resource.is_none_or(|r| e.resource_name == r))
        .filter(|e| allowed_status.is_empty() || allowed_status.contains(&e.status))
        .filter(|e| allowed_action.is_empty() || allowed_action.contains(&e.action))
        .filter(|e| allowed_name.is_empty() || allowed_name.contains(&e.resource_name))
        .filter(|e| allowed_type.is_empty() || allowed_type.contains(&e.resource_type))
        .collect();
    if q.get("sort_dir") == Some("desc") {
        events.reverse();
    }
    if let Some(m) = q.get("marker")
        && let Some(pos) = events.iter().position(|e| e.id == m)
    {
        events.drain(..=pos);
    }
    if let Some(l) = q.int("limit")? {
        events.truncate(l as usize);
    }
    if let Some(r) = resource
        && events.is_empty()
        && !s.resources.contains_key(r)
    {
        return Err(HeatError::ResourceNotFound {
            resource: r.into(),
            stack: s.name.clone(),
        });
    }
    let out: Vec<Value> = events.iter().map(|e| event_json(base, s, e, false)).collect();
    Ok(json_response(StatusCode::OK, json!({"events": out})))
}

async fn stack_events(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    Ok(events_response(
        &base(&headers),
        &s,
        None,
        &Query::parse(raw.as_deref()),
    )?)
}

async fn resource_events(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, res)): Path<(String, String, String, String)>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    Ok(events_response(
        &base(&headers),
        &s,
        Some(&res),
        &Query::parse(raw.as_deref()),
    )?)
}

async fn show_event(
    Extension(heat): Extension<Heat>,
    c: Option<Extension<Caller>>,
    Path((project, name, id, res, event)): Path<(String, String, String, String, String)>,
    headers: HeaderMap,
) -> ApiResult {
    caller(c, &project)?;
    let s = identified(&heat, &project, &name, &id)?;
    let e = s
        .events
        .iter()
        .find(|e| e.id == event && e.resource_name == res)
        .ok_or_else(|| HeatError::EntityNotFound {
            entity: "Event",
            name: event.clone(),
        })?;
    Ok(json_response(
        StatusCode::OK,
        json!({"event": event_json(&base(&headers), &s, e, true)}),
    ))
}
