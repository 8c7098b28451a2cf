//! Node group templates and cluster templates: the routes of sahara/api/v10.py (under `/v1.0` and `/v1.1`) and
//! sahara/api/v2/{node_group,cluster}_templates.py, over the conductor. What they share lives here: rendering a
//! conductor object the way the REST layer shows it, lists with Sahara's paging, `check_exists`, and the
//! semantic validation of sahara/service/validations ([`checks`]).

/// The axum handlers of one template kind for one API version: each builds a [`Call`] from the request and
/// calls the kind's module-level `list`, `create`, `get`, `update`, `delete` and `export` (resolved where the
/// macro is invoked).
macro_rules! handlers {
    ($version:expr, $list:ident, $create:ident, $get:ident, $update:ident, $delete:ident, $export:ident) => {
        async fn $list(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> $crate::templates::Listing {
            list(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                &args,
                $version,
            )
            .await
        }

        async fn $create(State(state): State<ApiState>, Caller(ctx): Caller, args: Args, Data(data): Data) -> Reply {
            create(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                data,
                &args,
                $version,
            )
            .await
        }

        async fn $get(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Reply {
            get(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                &id,
                &args,
                $version,
            )
            .await
        }

        async fn $update(
            State(state): State<ApiState>,
            Caller(ctx): Caller,
            Path(id): Path<String>,
            args: Args,
            Data(data): Data,
        ) -> Reply {
            update(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                &id,
                data,
                &args,
                $version,
            )
            .await
        }

        async fn $delete(
            State(state): State<ApiState>,
            Caller(ctx): Caller,
            Path(id): Path<String>,
            args: Args,
        ) -> Reply {
            delete(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                &id,
                &args,
                $version,
            )
            .await
        }

        async fn $export(
            State(state): State<ApiState>,
            Caller(ctx): Caller,
            Path(id): Path<String>,
            args: Args,
        ) -> Response {
            export(
                &Call {
                    state: &state,
                    ctx: &ctx,
                },
                &id,
                &args,
                $version,
            )
            .await
            .unwrap_or_else(IntoResponse::into_response)
        }
    };
}

pub mod checks;
pub mod cluster;
pub mod node_group;

use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Render, RenderJson, listing};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use sahara_model::conductor::Page;
use sahara_model::{ApiVersion, ResourceKind, api_view};
use sahara_rpc::RequestContext;
use serde::Serialize;
use serde_json::{Map, Value};

/// A JSON object.
pub type Obj = Map<String, Value>;

/// A handler's answer.
pub type Reply = Result<Render, ApiError>;

/// The sorting fields `validate_sorting_node_group_templates` / `validate_sorting_cluster_templates` accept.
pub const TEMPLATE_SORT_FIELDS: &[&str] = &[
    "id",
    "name",
    "plugin_name",
    "hadoop_version",
    "created_at",
    "updated_at",
];

/// The query parameters v2 template lists accept besides paging.
pub const V2_LIST_PARAMS: &[&str] = &["plugin_name", "plugin_version", "name"];

/// A conductor object as JSON.
pub fn to_obj<T: Serialize>(resource: &T) -> Result<Obj, ApiError> {
    match serde_json::to_value(resource) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(other) => {
            tracing::error!(got = %other, "conductor object is not a JSON object");
            Err(ApiError::internal())
        }
        Err(e) => {
            tracing::error!(error = %e, "conductor object does not serialize");
            Err(ApiError::internal())
        }
    }
}

/// The REST view of a conductor object (`to_dict` with hidden fields removed, v2 renames).
pub fn view<T: Serialize>(kind: ResourceKind, resource: &T, version: ApiVersion) -> Result<Obj, ApiError> {
    Ok(api_view::to_api(kind, to_obj(resource)?, version))
}

/// `{"<envelope>": body}`.
pub fn wrapped(kind: ResourceKind, body: Obj, version: ApiVersion) -> Render {
    Render(api_view::wrap(kind, body, version))
}

/// The request's body as an object (the schemas have already refused anything else).
pub fn body_obj(data: &Value) -> Obj {
    data.as_object().cloned().unwrap_or_default()
}

/// v2's request rename: `plugin_version` becomes `hadoop_version` before the conductor sees it.
pub fn v2_to_conductor(mut data: Obj) -> Obj {
    if let Some(v) = data.remove("plugin_version") {
        data.insert("hadoop_version".into(), v);
    }
    data
}

/// A list call's validation after `check_exists` of the marker, in Sahara's decorator order (`limit`, `sort_by`, and on v2 the
/// parameter whitelist for the view function `func`), then the conductor filters: every argument's first
/// value, v2's `plugin_version` renamed.
pub fn list_filters(args: &Args, version: ApiVersion, func: &str) -> Result<Obj, ApiError> {
    listing::limit(args)?;
    listing::validate_sorting(args, TEMPLATE_SORT_FIELDS)?;
    if version == ApiVersion::V2 {
        args.only(func, V2_LIST_PARAMS)?;
    }
    let mut filters = Obj::new();
    for key in args.keys() {
        if let Some(v) = args.get(key) {
            filters.insert(key.to_string(), Value::String(v.to_string()));
        }
    }
    Ok(if version == ApiVersion::V2 {
        v2_to_conductor(filters)
    } else {
        filters
    })
}

/// A list handler's answer ([`render_page`]).
pub type Listing = Result<Response, ApiError>;

/// `render(res=page, name=<list key>)`.
pub fn render_page<T: Serialize>(kind: ResourceKind, page: Page<T>, version: ApiVersion, args: &Args) -> Listing {
    let marker_requested = args.contains("marker");
    if let Some(flat) = api_view::flat_view(kind, version)
        && let Some(body) = flat_page(kind, flat, &page, version, marker_requested)
    {
        return Ok(RenderJson(body.into()).into_response());
    }
    let items = page
        .items
        .iter()
        .map(|r| view(kind, r, version).map(Value::Object))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Render(api_view::list_body(
        kind,
        version,
        items,
        page.prev,
        page.next,
        marker_requested,
    ))
    .into_response())
}

/// The bytes [`api_view::list_body`] of the items' views serializes to, written straight from
/// the typed items; `None` when an item cannot be written that way (then nothing is lost but
/// the time).
fn flat_page<T: Serialize>(
    kind: ResourceKind,
    flat: api_view::FlatView,
    page: &Page<T>,
    version: ApiVersion,
    marker_requested: bool,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(64 + 1024 * page.items.len());
    page_head(&mut out, kind, version);
    out.push(b'[');
    for (i, item) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Err(e) = api_view::write_flat_view(&mut out, flat, item) {
            tracing::debug!(error = %e, "listing through JSON maps");
            return None;
        }
    }
    out.push(b']');
    page_tail(&mut out, &page.prev, &page.next, marker_requested);
    Some(out)
}

/// A list over a table without children rendered from the conductor's REST view of its rows
/// ([`sahara_model::conductor::ConductorClient::list_view`]: no typed objects in between), when `kind`'s view for
/// `version` only renames fields and the conductor can answer so; `None` otherwise (the caller lists typed, with
/// [`render_page`]). `method` is the conductor's list; `filters` as [`list_filters`] makes them.
pub async fn viewed_list(
    call: &Call<'_>,
    kind: ResourceKind,
    method: &str,
    filters: &Obj,
    version: ApiVersion,
    args: &Args,
) -> Option<Listing> {
    let flat = api_view::flat_view(kind, version)?;
    let page = call
        .state
        .conductor
        .list_view(call.ctx, method, true, filters.clone(), flat.renames)
        .await?;
    Some(page.map_err(ApiError::from).map(|page| {
        let mut out = Vec::with_capacity(64 + page.items.len());
        page_head(&mut out, kind, version);
        out.extend_from_slice(page.items.as_bytes());
        page_tail(&mut out, &page.prev, &page.next, args.contains("marker"));
        RenderJson(out.into()).into_response()
    }))
}

/// `{"<list key>":` of a list body.
fn page_head(out: &mut Vec<u8>, kind: ResourceKind, version: ApiVersion) {
    let key = kind.list_key(version).unwrap_or_else(|| kind.table());
    out.push(b'{');
    // A static name: writing it cannot fail.
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
}

/// The rest of a list body after its items: the markers when there are any or one was asked for (as
/// [`api_view::list_body`] writes them), and the closing brace.
fn page_tail(out: &mut Vec<u8>, prev: &Option<String>, next: &Option<String>, marker_requested: bool) {
    if prev.is_some() || next.is_some() || marker_requested {
        // Strings or nulls: writing them cannot fail.
        out.extend_from_slice(b",\"markers\":{\"prev\":");
        let _ = serde_json::to_writer(&mut *out, prev);
        out.extend_from_slice(b",\"next\":");
        let _ = serde_json::to_writer(&mut *out, next);
        out.push(b'}');
    }
    out.push(b'}');
}

/// An export body (`{"<envelope>": template}`) answered as a download named `filename`.
pub fn export_response(kind: ResourceKind, body: Obj, version: ApiVersion, filename: &str) -> Response {
    let mut resp = wrapped(kind, body, version).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename={filename}")) {
        resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// The export helpers' common part: `id`, `updated_at`, `created_at`, the project and `is_default` removed.
pub fn strip_for_export(body: &mut Obj, version: ApiVersion) {
    let project_key = match version {
        ApiVersion::V1 => "tenant_id",
        ApiVersion::V2 => "project_id",
    };
    for key in ["id", "updated_at", "created_at", project_key, "is_default"] {
        body.remove(key);
    }
}

/// Shorthand for the pieces every handler needs.
pub struct Call<'a> {
    /// The API's state.
    pub state: &'a ApiState,
    /// The caller's context.
    pub ctx: &'a RequestContext,
}

impl Call<'_> {
    /// The cloud checks for this caller (see [`crate::cloud::Cloud::checks`]).
    pub fn cloud(&self) -> std::sync::Arc<dyn crate::cloud::CloudChecks> {
        self.state.cloud.checks(self.ctx)
    }

    /// Whether an object that the list `method` shows this caller is called exactly `name`: Sahara's
    /// `check_*_unique_name`, which lists the objects with that name (the database compares without regard to
    /// case) and looks for an exact match among their names. Only the names are read.
    pub async fn name_taken(&self, method: &str, name: &str) -> Result<bool, ApiError> {
        let filters = Map::from_iter([("name".to_string(), Value::String(name.to_string()))]);
        let names = self
            .state
            .conductor
            .list_names(self.ctx, method, false, filters)
            .await?;
        Ok(names.iter().any(|n| n == name))
    }
}
