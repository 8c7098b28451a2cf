//! Jobs (v2: job templates): `/jobs` of sahara/api/v11.py and `/job-templates` of sahara/api/v2/job_templates.py,
//! with their config hints (`get_job_config_hints` of the EDP engines), and the job types the enabled plugins run
//! (`/job-types`).

use super::{checks, version};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Render, Routes, listing};
use crate::templates::{self, Call, Obj, Reply};
use axum::extract::{Path, State};
use sahara_model::{Job, ResourceKind};
use sahara_validation::{SchemaId, validate};
use serde_json::{Value, json};
use std::sync::OnceLock;

const KIND: ResourceKind = ResourceKind::Job;

/// `validate_sorting_jobs`.
pub const SORT_FIELDS: &[&str] = &["id", "name", "type", "created_at", "updated_at"];

/// `edp.JOB_TYPES_ALL`, in Sahara's order.
pub const JOB_TYPES_ALL: &[&str] = &[
    "Hive",
    "Java",
    "MapReduce",
    "MapReduce.Streaming",
    "Pig",
    "Shell",
    "Spark",
    "Storm",
    "Storm.Pyleus",
];

/// The job routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v11()
            .get("/jobs", "data-processing:jobs:get_all", list::<false>)
            .post("/jobs", "data-processing:jobs:create", create::<false>)
            .get("/jobs/{id}", "data-processing:jobs:get", get::<false>)
            .patch("/jobs/{id}", "data-processing:jobs:modify", update::<false>)
            .delete("/jobs/{id}", "data-processing:jobs:delete", delete::<false>)
            .post(
                "/jobs/{id}/execute",
                "data-processing:jobs:execute",
                super::job_execution::execute_v1,
            )
            .get(
                "/jobs/config-hints/{job_type}",
                "data-processing:jobs:get_config_hints",
                config_hints::<false>,
            )
            .get("/job-types", "data-processing:job-types:get_all", job_types::<false>),
        Routes::v2()
            .get("/job-templates", "data-processing:job-template:list", list::<true>)
            .post("/job-templates", "data-processing:job-template:create", create::<true>)
            .get("/job-templates/{id}", "data-processing:job-template:get", get::<true>)
            .patch(
                "/job-templates/{id}",
                "data-processing:job-template:update",
                update::<true>,
            )
            .delete(
                "/job-templates/{id}",
                "data-processing:job-template:delete",
                delete::<true>,
            )
            .get(
                "/job-templates/config-hints/{job_type}",
                "data-processing:job-template:get-config-hints",
                config_hints::<true>,
            )
            .get("/job-types", "data-processing:job-type:list", job_types::<true>),
    ]
}

/// `check_exists(api.get_job, id)`: the job, or 404.
pub async fn existing(call: &Call<'_>, id: &str) -> Result<Job, ApiError> {
    call.state
        .conductor
        .job_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

fn render(job: &Job, v2: bool) -> Reply {
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, job, version(v2))?,
        version(v2),
    ))
}

async fn list<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    args: Args,
) -> crate::templates::Listing {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    if let Some(marker) = listing::marker(&args) {
        existing(&call, marker).await?;
    }
    let filters = super::list_filters(&args, V2, SORT_FIELDS, &["type", "name"], "job_templates_list")?;
    let page = state.conductor.job_get_all(&ctx, true, filters).await?;
    templates::render_page(KIND, page, version(V2), &args)
}

async fn create<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    args: Args,
    Data(data): Data,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    validate(SchemaId::Job, &data)?;
    let values = templates::body_obj(&data);
    checks::mains_libs(&call, &values).await?;
    checks::interface(&call, &values).await?;
    if V2 {
        args.only("job_templates_create", &[])?;
    }
    let created = state.conductor.job_create(&ctx, values.clone()).await?;
    let mut body = templates::view(KIND, &created, version(V2))?;
    super::data_source::created_view(&mut body, &values, &["description"]);
    // The interface rows are answered as inserted too: unset `description` / `default` and `updated_at` absent.
    let given: Vec<Obj> = values
        .get("interface")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect())
        .unwrap_or_default();
    if let Some(Value::Array(args)) = body.get_mut("interface") {
        for (arg, req) in args.iter_mut().zip(given.iter()) {
            if let Some(arg) = arg.as_object_mut() {
                super::data_source::created_view(arg, req, &["description", "default"]);
            }
        }
    }
    Ok(templates::wrapped(KIND, body, version(V2)))
}

async fn get<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let job = existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        args.only("job_templates_get", &[])?;
    }
    render(&job, V2)
}

async fn update<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    validate(SchemaId::JobUpdate, &data)?;
    if V2 {
        args.only("job_templates_update", &[])?;
    }
    let updated = state
        .conductor
        .job_update(&ctx, &id, templates::body_obj(&data))
        .await?;
    render(&updated, V2)
}

async fn delete<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        args.only("job_templates_delete", &[])?;
    }
    state.conductor.job_destroy(&ctx, &id).await?;
    Ok(Render(Value::Object(Obj::new())))
}

fn hints_file(json_text: &'static str, cell: &'static OnceLock<Vec<Value>>) -> &'static [Value] {
    cell.get_or_init(|| serde_json::from_str(json_text).unwrap_or_default())
}

/// Hadoop's `mapred-default.xml` as Sahara reads it (name, value, description of each property).
fn mapred_default() -> &'static [Value] {
    static CELL: OnceLock<Vec<Value>> = OnceLock::new();
    hints_file(include_str!("hints/mapred-default.json"), &CELL)
}

/// Sahara's `mapred-job-config.xml` (the MapReduce job's own settings).
fn mapred_job_config() -> &'static [Value] {
    static CELL: OnceLock<Vec<Value>> = OnceLock::new();
    hints_file(include_str!("hints/mapred-job-config.json"), &CELL)
}

/// Hive's `hive-default.xml` as Sahara reads it.
fn hive_default() -> &'static [Value] {
    static CELL: OnceLock<Vec<Value>> = OnceLock::new();
    hints_file(include_str!("hints/hive-default.json"), &CELL)
}

/// `job_manager.get_job_config_hints(job_type)`: the first EDP engine supporting the type (Oozie: Hive, Java,
/// MapReduce, MapReduce.Streaming, Pig, Shell; Spark; Storm; Storm.Pyleus) answers; `None` for an unknown type.
pub fn job_config_hints(job_type: &str) -> Option<Value> {
    let config = match job_type {
        "Java" | "Spark" | "Storm" | "Storm.Pyleus" => json!({"configs": [], "args": []}),
        "Shell" => json!({"configs": [], "params": {}, "args": []}),
        "MapReduce" | "MapReduce.Streaming" => {
            let mut configs = mapred_default().to_vec();
            configs.extend_from_slice(mapred_job_config());
            json!({ "configs": configs })
        }
        "Pig" => json!({"configs": mapred_default(), "params": {}, "args": []}),
        "Hive" => json!({"configs": hive_default(), "params": {}}),
        _ => return None,
    };
    Some(json!({ "job_config": config }))
}

async fn config_hints<const V2: bool>(Path(job_type): Path<String>, args: Args) -> Reply {
    let hints = job_config_hints(&job_type).ok_or_else(|| ApiError::check_exists(&[("job_type", &job_type)]))?;
    if V2 {
        args.only("job_config_hints_get", &[])?;
    }
    Ok(Render(hints))
}

/// `get_job_types(**request.args.to_dict(flat=False))`: every requested job type (all by default) with the
/// enabled plugins (`plugin` filter) and versions (`version` filter) that run it; `hints=true` adds each plugin
/// version's config hints (the fake plugin has none: `null`). v2 whitelists `type`, `plugin_name`,
/// `plugin_version`, which the service does not read (it still reads `plugin` / `version`).
async fn job_types<const V2: bool>(State(state): State<ApiState>, args: Args) -> Reply {
    if V2 {
        args.only("job_types_get", &["type", "plugin_name", "plugin_version"])?;
    }
    let hints = args
        .get_all("hints")
        .first()
        .is_some_and(|h| h.eq_ignore_ascii_case("true"));
    let plugin_names = args.get_all("plugin");
    let versions = args.get_all("version");
    let types: Vec<&str> = if args.contains("type") {
        args.get_all("type")
    } else {
        JOB_TYPES_ALL.to_vec()
    };
    let mut res = Vec::new();
    for job_type in types {
        let mut plugins = Vec::new();
        for plugin in state.plugins.plugins() {
            if !plugin_names.is_empty() && !plugin_names.contains(&plugin.name) {
                continue;
            }
            let mut by_version = Obj::new();
            for v in plugin.versions {
                // The fake plugin's EDP engine runs every job type on every version.
                if (versions.is_empty() || versions.contains(v)) && JOB_TYPES_ALL.contains(&job_type) {
                    by_version.insert(v.to_string(), if hints { Value::Null } else { json!({}) });
                }
            }
            if !by_version.is_empty() {
                plugins.push(json!({
                    "name": plugin.name,
                    "title": plugin.title,
                    "description": plugin.description,
                    "versions": by_version,
                }));
            }
        }
        if !plugins.is_empty() {
            res.push(json!({"name": job_type, "plugins": plugins}));
        }
    }
    Ok(Render(json!({ "job_types": res })))
}
