//! Glance's API v2 under `/image`: images (list with filters and paging, show, create,
//! delete) with additional properties as top-level keys, JSON-patch updates
//! (`application/openstack-images-v2.1-json-patch`, and the older v2.0 form), the
//! `image`/`images` schemas glanceclient builds its model from, and the version list.

use super::super::error::SimError;
use super::super::image::{ImageCreate, PatchOp};
use super::super::model::{Image, time_z};
use super::util::{Fields, Query, base_url, parse_body};
use super::{ApiState, Auth};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// Glance's `image` schema (from Glance's API reference).
const IMAGE_SCHEMA: &str = include_str!("glance_image_schema.json");

/// A Glance error response: webob's, JSON when the client accepts it, else plain text.
#[derive(Debug)]
pub struct GlanceError(pub SimError, pub bool);

impl IntoResponse for GlanceError {
    fn into_response(self) -> Response {
        let (status, message) = match &self.0 {
            SimError::NotFound { .. } | SimError::Missing { .. } => (StatusCode::NOT_FOUND, self.0.to_string()),
            SimError::BadRequest { message, .. } => (StatusCode::BAD_REQUEST, message.clone()),
            SimError::Conflict { message, .. } => (StatusCode::CONFLICT, message.clone()),
            SimError::Forbidden { message, .. } => (StatusCode::FORBIDDEN, message.clone()),
            SimError::OverQuota(q) => (StatusCode::PAYLOAD_TOO_LARGE, q.to_string()),
            SimError::Fabric(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
            SimError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m.clone()),
        };
        let title = status.canonical_reason().unwrap_or("Error");
        if self.1 {
            let code = format!("{} {title}", status.as_u16());
            (
                status,
                axum::Json(json!({"message": message, "code": code, "title": title})),
            )
                .into_response()
        } else {
            (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
                format!("{} {title}\n\n{message}\n\n   ", status.as_u16()),
            )
                .into_response()
        }
    }
}

type R = Result<Response, GlanceError>;

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|a| a.contains("json") || a.contains("*/*"))
}

/// Glance's routes under `/image`.
pub fn routes() -> Router<ApiState> {
    Router::new()
        .route("/image", get(versions))
        .route("/image/", get(versions))
        .route("/image/versions", get(versions_explicit))
        .route("/image/v2/schemas/image", get(image_schema))
        .route("/image/v2/schemas/images", get(images_schema))
        .route("/image/v2/images", get(list_images).post(create_image))
        .route(
            "/image/v2/images/{id}",
            get(show_image).patch(patch_image).delete(delete_image),
        )
}

fn version_list(headers: &HeaderMap) -> Value {
    let href = format!("{}/image/v2/", base_url(headers));
    let mut list = vec![json!({"id": "v2.17", "status": "CURRENT", "links": [{"rel": "self", "href": href}]})];
    for minor in (0..=16).rev() {
        list.push(
            json!({"id": format!("v2.{minor}"), "status": "SUPPORTED", "links": [{"rel": "self", "href": href}]}),
        );
    }
    json!({"versions": list})
}

async fn versions(headers: HeaderMap) -> Response {
    (StatusCode::MULTIPLE_CHOICES, axum::Json(version_list(&headers))).into_response()
}

async fn versions_explicit(headers: HeaderMap) -> Response {
    (StatusCode::OK, axum::Json(version_list(&headers))).into_response()
}

fn schema() -> Value {
    serde_json::from_str(IMAGE_SCHEMA)
        .unwrap_or_else(|_| json!({"name": "image", "properties": {}, "additionalProperties": {"type": "string"}}))
}

async fn image_schema(Auth(_ctx): Auth) -> Response {
    axum::Json(schema()).into_response()
}

async fn images_schema(Auth(_ctx): Auth) -> Response {
    axum::Json(json!({
        "links": [{"href": "{first}", "rel": "first"}, {"href": "{next}", "rel": "next"}, {"href": "{schema}", "rel": "describedby"}],
        "name": "images",
        "properties": {"first": {"type": "string"}, "images": {"items": schema(), "type": "array"},
            "next": {"type": "string"}, "schema": {"type": "string"}}
    }))
    .into_response()
}

/// Glance's JSON of an image: base attributes, then properties as top-level keys.
pub fn image_view(i: &Image) -> Value {
    let mut v = json!({
        "id": i.id, "name": i.name, "status": i.status, "visibility": i.visibility, "protected": i.protected,
        "os_hidden": i.os_hidden, "tags": i.tags, "container_format": i.container_format, "disk_format": i.disk_format,
        "min_disk": i.min_disk, "min_ram": i.min_ram, "size": i.size, "virtual_size": null, "checksum": null,
        "os_hash_algo": null, "os_hash_value": null, "owner": i.owner, "created_at": time_z(&i.created_at),
        "updated_at": time_z(&i.updated_at), "self": format!("/v2/images/{}", i.id),
        "file": format!("/v2/images/{}/file", i.id), "schema": "/v2/schemas/image",
    });
    if let Some(o) = v.as_object_mut() {
        for (k, p) in &i.properties {
            o.insert(k.clone(), json!(p));
        }
    }
    v
}

async fn list_images(State(st): State<ApiState>, Auth(ctx): Auth, headers: HeaderMap, q: Query) -> R {
    let js = wants_json(&headers);
    let hidden = q.get("os_hidden").is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let mut items: Vec<Value> = st
        .cloud
        .list_images(&ctx, hidden)
        .await
        .iter()
        .map(image_view)
        .collect();
    const PAGING: &[&str] = &[
        "limit",
        "marker",
        "sort_key",
        "sort_dir",
        "sort",
        "os_hidden",
        "member_status",
        "tag",
    ];
    for (k, wanted) in q.0.iter().filter(|(k, _)| !PAGING.contains(&k.as_str())) {
        items.retain(|i| i.get(k).is_some_and(|v| super::util::value_matches(v, wanted)));
    }
    for tag in q.all("tag") {
        items.retain(|i| i["tags"].as_array().is_some_and(|t| t.iter().any(|x| x == tag)));
    }
    if let Some(marker) = q.get("marker") {
        match items.iter().position(|i| i["id"] == marker) {
            Some(p) => items = items.split_off(p + 1),
            None => {
                return Err(GlanceError(
                    SimError::bad_request(format!("Invalid marker. Image {marker} could not be found.")),
                    js,
                ));
            }
        }
    }
    let limit = match q.get("limit") {
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| GlanceError(SimError::bad_request("limit param must be an integer"), js))?,
        None => 25,
    };
    let mut body = json!({"schema": "/v2/schemas/images", "first": "/v2/images"});
    if items.len() > limit {
        items.truncate(limit);
        if let Some(last) = items.last().and_then(|i| i["id"].as_str()) {
            body["next"] = json!(format!("/v2/images?marker={last}&limit={limit}"));
        }
    }
    body["images"] = Value::Array(items);
    Ok(axum::Json(body).into_response())
}

async fn show_image(State(st): State<ApiState>, Auth(ctx): Auth, headers: HeaderMap, Path(id): Path<String>) -> R {
    let js = wants_json(&headers);
    let i = st.cloud.get_image(&ctx, &id).await.map_err(|e| GlanceError(e, js))?;
    Ok(axum::Json(image_view(&i)).into_response())
}

async fn create_image(State(st): State<ApiState>, Auth(ctx): Auth, headers: HeaderMap, body: Bytes) -> R {
    let js = wants_json(&headers);
    let err = |e| GlanceError(e, js);
    let body = parse_body(&body).map_err(err)?;
    let m = body
        .as_object()
        .ok_or_else(|| err(SimError::bad_request("Malformed request body")))?;
    let mut properties = std::collections::BTreeMap::new();
    const BASE: &[&str] = &[
        "id",
        "name",
        "visibility",
        "disk_format",
        "container_format",
        "min_disk",
        "min_ram",
        "protected",
        "tags",
        "os_hidden",
    ];
    for (k, v) in m.iter().filter(|(k, _)| !BASE.contains(&k.as_str())) {
        let s = v.as_str().ok_or_else(|| {
            err(SimError::bad_request(format!(
                "Provided object does not match schema 'image': {v} is not of type 'string'"
            )))
        })?;
        properties.insert(k.clone(), s.to_string());
    }
    let req = ImageCreate {
        id: m.str_opt("id").map_err(err)?,
        name: m.str_opt("name").map_err(err)?,
        visibility: m.str_opt("visibility").map_err(err)?,
        disk_format: m.str_opt("disk_format").map_err(err)?,
        container_format: m.str_opt("container_format").map_err(err)?,
        min_disk: m.u32_opt("min_disk").map_err(err)?.unwrap_or(0),
        min_ram: m.u32_opt("min_ram").map_err(err)?.unwrap_or(0),
        protected: m.bool_opt("protected").map_err(err)?.unwrap_or(false),
        tags: m.strings_opt("tags").map_err(err)?.unwrap_or_default(),
        properties,
    };
    let i = st.cloud.create_image(&ctx, req).await.map_err(err)?;
    let mut resp = (StatusCode::CREATED, axum::Json(image_view(&i))).into_response();
    if let Ok(loc) = header::HeaderValue::from_str(&format!("{}/image/v2/images/{}", base_url(&headers), i.id)) {
        resp.headers_mut().insert(header::LOCATION, loc);
    }
    Ok(resp)
}

/// Unescapes a JSON pointer of one segment (`/key`, `~1` is `/`, `~0` is `~`).
fn pointer_key(path: &str) -> Result<String, SimError> {
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| SimError::bad_request(format!("Json path should start with a '/', got '{path}'")))?;
    if rest.contains('/') {
        return Err(SimError::bad_request(format!("Nested paths are not allowed: '{path}'")));
    }
    Ok(rest.replace("~1", "/").replace("~0", "~"))
}

/// Parses a patch document of either media type into operations.
pub fn parse_patch(body: &Value, v21: bool) -> Result<Vec<PatchOp>, SimError> {
    let list = body
        .as_array()
        .ok_or_else(|| SimError::bad_request("Request body must be a JSON array of operation objects."))?;
    list.iter()
        .map(|op| {
            let o = op.as_object().ok_or_else(|| SimError::bad_request("Operations must be JSON objects."))?;
            let (name, path) = if v21 {
                let name = o.get("op").and_then(Value::as_str).ok_or_else(|| SimError::bad_request("Unable to find 'op' in JSON Schema change"))?;
                let path = o.get("path").and_then(Value::as_str).ok_or_else(|| SimError::bad_request("Unable to find 'path' in JSON Schema change"))?;
                (name.to_string(), path.to_string())
            } else {
                let (name, path) = ["add", "replace", "remove"]
                    .iter()
                    .find_map(|n| o.get(*n).and_then(Value::as_str).map(|p| (n.to_string(), p.to_string())))
                    .ok_or_else(|| SimError::bad_request("Operation objects must contain exactly one member named \"add\", \"remove\", or \"replace\"."))?;
                (name, path)
            };
            let key = pointer_key(&path)?;
            let value = || o.get("value").cloned().ok_or_else(|| SimError::bad_request(format!("Operation \"{name}\" requires a member named \"value\".")));
            match name.as_str() {
                "add" => Ok(PatchOp::Add(key, value()?)),
                "replace" => Ok(PatchOp::Replace(key, value()?)),
                "remove" => Ok(PatchOp::Remove(key)),
                other => Err(SimError::bad_request(format!("Invalid operation: `{other}`: Unable to find 'op' in JSON Schema change. It must be one of the following: add, remove, replace."))),
            }
        })
        .collect()
}

async fn patch_image(
    State(st): State<ApiState>,
    Auth(ctx): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> R {
    let js = wants_json(&headers);
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let v21 = match ct.split(';').next().unwrap_or("").trim() {
        "application/openstack-images-v2.1-json-patch" => true,
        "application/openstack-images-v2.0-json-patch" => false,
        _ => {
            let mut r = (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("415 Unsupported Media Type\n\nUnsupported Content-Type {ct}\n\n   "),
            )
                .into_response();
            r.headers_mut().insert(
                "accept-patch",
                header::HeaderValue::from_static(
                    "application/openstack-images-v2.0-json-patch, application/openstack-images-v2.1-json-patch",
                ),
            );
            return Ok(r);
        }
    };
    let doc: Value = serde_json::from_slice(&body)
        .map_err(|_| GlanceError(SimError::bad_request("Malformed JSON in request body."), js))?;
    let ops = parse_patch(&doc, v21).map_err(|e| GlanceError(e, js))?;
    let i = st
        .cloud
        .patch_image(&ctx, &id, &ops)
        .await
        .map_err(|e| GlanceError(e, js))?;
    Ok(axum::Json(image_view(&i)).into_response())
}

async fn delete_image(State(st): State<ApiState>, Auth(ctx): Auth, headers: HeaderMap, Path(id): Path<String>) -> R {
    let js = wants_json(&headers);
    st.cloud.delete_image(&ctx, &id).await.map_err(|e| GlanceError(e, js))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_patch_forms_parse() {
        let v21 =
            json!([{"op": "add", "path": "/_sahara_tag_spark", "value": "True"}, {"op": "remove", "path": "/a~1b"}]);
        assert_eq!(
            parse_patch(&v21, true).unwrap(),
            vec![
                PatchOp::Add("_sahara_tag_spark".into(), json!("True")),
                PatchOp::Remove("a/b".into())
            ]
        );
        let v20 = json!([{"replace": "/name", "value": "x"}]);
        assert_eq!(
            parse_patch(&v20, false).unwrap(),
            vec![PatchOp::Replace("name".into(), json!("x"))]
        );
        assert!(parse_patch(&json!([{"op": "move", "path": "/x"}]), true).is_err());
        assert!(
            parse_patch(&json!([{"op": "add", "path": "/x"}]), true).is_err(),
            "add needs a value"
        );
        assert!(parse_patch(&json!({"op": "add"}), true).is_err());
    }

    #[test]
    fn images_show_properties_at_the_top_and_match_the_schema_types() {
        let now = chrono::Utc::now();
        let img = Image {
            id: "i".into(),
            name: Some("n".into()),
            owner: None,
            visibility: "public".into(),
            status: "active".into(),
            disk_format: Some("qcow2".into()),
            container_format: Some("bare".into()),
            min_disk: 0,
            min_ram: 0,
            size: Some(0),
            protected: false,
            os_hidden: false,
            tags: vec![],
            properties: [("_sahara_username".to_string(), "ubuntu".to_string())].into(),
            created_at: now,
            updated_at: now,
        };
        let v = image_view(&img);
        assert_eq!(v["_sahara_username"], "ubuntu");
        let schema = schema();
        let props: &serde_json::Map<String, Value> = schema["properties"].as_object().unwrap();
        for (k, val) in v.as_object().unwrap() {
            if let Some(p) = props.get(k) {
                let types: Vec<&str> = match &p["type"] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                let t = match val {
                    Value::Null => "null",
                    Value::Bool(_) => "boolean",
                    Value::Number(_) => "integer",
                    Value::String(_) => "string",
                    Value::Array(_) => "array",
                    Value::Object(_) => "object",
                };
                assert!(types.is_empty() || types.contains(&t), "{k}: {t} not in {types:?}");
            }
        }
    }
}
