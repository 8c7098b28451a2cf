//! Job executions (v2: jobs): `/job-executions` and `POST /jobs/{id}/execute` of sahara/api/v11.py, `/jobs` of
//! sahara/api/v2/jobs.py. The API validates and writes the execution (status PENDING), then casts `run_edp_job`,
//! `cancel_job_execution`, `job_execution_suspend` or `delete_job_execution` to the engine ([`super::ops`]).
//! `extra` and the secrets of `job_configs` are never answered, v2 single objects included (Sahara leaks them
//! there).

use super::ops::engine;
use super::{checks, version};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Render, Routes, listing};
use crate::templates::{self, Call, Obj, Reply};
use axum::extract::{Path, State};
use sahara_model::{JobExecution, ResourceKind, SaharaError, acl};
use sahara_validation::{SchemaId, validate};
use serde_json::{Value, json};

const KIND: ResourceKind = ResourceKind::JobExecution;

/// `validate_sorting_job_executions`.
pub const SORT_FIELDS: &[&str] = &["id", "job_template", "cluster", "status"];

/// The job execution routes of every blueprint (v1.1's `POST /jobs/{id}/execute` is declared with the jobs).
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v11()
            .get(
                "/job-executions",
                "data-processing:job-executions:get_all",
                list::<false>,
            )
            .get(
                "/job-executions/{id}",
                "data-processing:job-executions:get",
                get::<false>,
            )
            .get(
                "/job-executions/{id}/refresh-status",
                "data-processing:job-executions:refresh_status",
                refresh_status,
            )
            .get(
                "/job-executions/{id}/cancel",
                "data-processing:job-executions:cancel",
                cancel,
            )
            .patch(
                "/job-executions/{id}",
                "data-processing:job-executions:modify",
                update::<false>,
            )
            .delete(
                "/job-executions/{id}",
                "data-processing:job-executions:delete",
                delete::<false>,
            ),
        Routes::v2()
            .get("/jobs", "data-processing:job:list", list::<true>)
            .post("/jobs", "data-processing:job:execute", execute_v2)
            .get("/jobs/{id}", "data-processing:job:get", get::<true>)
            .patch("/jobs/{id}", "data-processing:job:update", update::<true>)
            .delete("/jobs/{id}", "data-processing:job:delete", delete::<true>),
    ]
}

/// `check_exists(api.get_job_execution, id)`: the execution, or 404.
pub async fn existing(call: &Call<'_>, id: &str) -> Result<JobExecution, ApiError> {
    call.state
        .conductor
        .job_execution_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

fn render(je: &JobExecution, v2: bool) -> Reply {
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, je, version(v2))?,
        version(v2),
    ))
}

/// A new execution as Sahara answers it: the columns its insert did not load are absent (v1.1 keeps
/// `oozie_job_id: null`, v2 `engine_job_id: null`).
fn created(je: &JobExecution, v2: bool) -> Reply {
    let mut body = templates::view(KIND, je, version(v2))?;
    for key in [
        "start_time",
        "end_time",
        "return_code",
        "updated_at",
        "data_source_urls",
    ] {
        body.remove(key);
    }
    if !v2 {
        body.remove("engine_job_id");
    }
    Ok(templates::wrapped(KIND, body, version(v2)))
}

fn tenant(call: &Call<'_>) -> Option<String> {
    call.ctx.project_id.clone()
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
    let filters = super::list_filters(&args, V2, SORT_FIELDS, &["status"], "jobs_list")?;
    let page = state.conductor.job_execution_get_all(&ctx, true, filters).await?;
    templates::render_page(KIND, page, version(V2), &args)
}

async fn get<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let je = existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        // Also refuses `refresh_status`, which Sahara's view would read after its own whitelist (quirk).
        args.only("jobs_get", &[])?;
    }
    render(&je, V2)
}

/// `get_job_execution_status`: Sahara asks the cluster's EDP engine for the status when the cluster is Active
/// and stores it. The only plugin here is `fake`, whose engine reports no status (`get_job_status` is `pass`),
/// so Sahara answers the stored execution, as this does; a plugin whose engine reports statuses would need the
/// engine's job manager here (services/engine/src/edp).
async fn refresh_status(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    let je = existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    render(&je, false)
}

/// v1.1 `GET /job-executions/{id}/cancel`: `check_job_execution_cancel`, then the cast.
async fn cancel(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let je = existing(&call, &id).await?;
    if je.tenant_id != tenant(&call) {
        return Err(SaharaError::CancelingFailed(format!(
            "Job execution with id '{id}' cannot be canceled because it wasn't created in this tenant"
        ))
        .into());
    }
    if je.is_protected == Some(true) {
        return Err(SaharaError::CancelingFailed(format!(
            "Job Execution with id '{id}' cannot be canceled because it's marked as protected"
        ))
        .into());
    }
    engine(&state)?.cancel_job_execution(&ctx, &id).await?;
    render(&je, false)
}

async fn update<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let je = existing(&call, &id).await?;
    validate(SchemaId::JobExecUpdate, &data)?;
    let mut values = templates::body_obj(&data);
    // check_job_execution_update
    acl::check_tenant_for_update(KIND, &id, je.tenant_id.as_deref(), tenant(&call).as_deref())?;
    acl::check_protected_from_update(KIND, &id, &templates::to_obj(&je)?, &values)?;
    if !V2 {
        status_update_v1(&call, &je, &values).await?;
    } else {
        args.only("jobs_update", &[])?;
    }
    let info = values.remove("info");
    let action = info
        .as_ref()
        .and_then(|i| i.get("status"))
        .and_then(Value::as_str)
        .map(str::to_string);
    match action.as_deref() {
        Some("suspend") => engine(&state)?.job_execution_suspend(&ctx, &id).await?,
        Some("cancel") if V2 => engine(&state)?.cancel_job_execution(&ctx, &id).await?,
        _ => {}
    }
    let updated = state.conductor.job_execution_update(&ctx, &id, values).await?;
    render(&updated, V2)
}

/// v1.1's `check_job_status_update`, which runs on every PATCH: `info` alone, an Active cluster, and an engine
/// that can suspend (the fake plugin's cannot).
async fn status_update_v1(call: &Call<'_>, je: &JobExecution, data: &Obj) -> Result<(), ApiError> {
    if data.contains_key("info") && data.len() != 1 {
        return Err(SaharaError::InvalidJobStatus("Invalid status parameter".into()).into());
    }
    let cluster = match je.cluster_id.as_deref() {
        Some(cid) => call.state.conductor.cluster_get(call.ctx, cid, false).await?,
        None => None,
    };
    if cluster.is_none_or(|c| c.status.as_ref().is_none_or(|s| s.as_str() != "Active")) {
        return Err(SaharaError::InvalidData(
            "Suspending operation can not be performed on an inactive or non-existent cluster".into(),
        )
        .into());
    }
    if data.get("info").and_then(|i| i.get("status")).and_then(Value::as_str) == Some("suspend") {
        return Err(SaharaError::InvalidReference("Engine doesn't support suspending job feature".into()).into());
    }
    Ok(())
}

async fn delete<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let je = existing(&call, &id).await?;
    acl::check_tenant_for_delete(KIND, &id, je.tenant_id.as_deref(), tenant(&call).as_deref())?;
    acl::check_protected_from_delete(KIND, &id, je.is_protected)?;
    if V2 {
        args.only("jobs_delete", &[])?;
    }
    engine(&state)?.delete_job_execution(&ctx, &id).await?;
    Ok(Render(Value::Object(Obj::new())))
}

/// `execute_job`: the execution written PENDING with the request's configs, then `run_edp_job` cast.
async fn execute(call: &Call<'_>, job_id: &str, data: &Obj) -> Result<JobExecution, ApiError> {
    let mut configs = data.get("job_configs").cloned().unwrap_or_else(|| json!({}));
    let info = data.get("job_execution_info").cloned().unwrap_or_else(|| json!({}));
    if let Some(c) = configs.as_object_mut() {
        c.insert("job_execution_info".into(), info);
    }
    let values = json!({
        "input_id": data.get("input_id").cloned().unwrap_or(Value::Null),
        "output_id": data.get("output_id").cloned().unwrap_or(Value::Null),
        "job_id": job_id,
        "cluster_id": data.get("cluster_id").cloned().unwrap_or(Value::Null),
        "info": {"status": "PENDING"},
        "job_configs": configs,
        "extra": {},
        "interface": data.get("interface").cloned().unwrap_or_else(|| json!({})),
    });
    let je = call
        .state
        .conductor
        .job_execution_create(call.ctx, templates::body_obj(&values))
        .await?;
    let needs_proxy = super::proxy::requires_proxy_user(call, &je).await?;
    tracing::debug!(job_execution_id = %je.id, needs_proxy, "job execution recorded");
    if needs_proxy && let Err(e) = super::proxy::create_for_job_execution(call, &je).await {
        tracing::error!(error = %e, "Can't run job execution. (Reasons: {e})");
        call.state.conductor.job_execution_destroy(call.ctx, &je.id).await?;
        return Err(e);
    }
    engine(call.state)?.run_edp_job(call.ctx, &je.id).await?;
    Ok(je)
}

/// v1.1 `POST /jobs/{id}/execute`.
pub async fn execute_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Data(data): Data,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    super::job::existing(&call, &id).await?;
    validate(SchemaId::JobExec, &data)?;
    let data = templates::body_obj(&data);
    checks::job_execution(&call, &data, &id).await?;
    let je = execute(&call, &id, &data).await?;
    created(&je, false)
}

/// v2 `POST /jobs`.
async fn execute_v2(State(state): State<ApiState>, Caller(ctx): Caller, args: Args, Data(data): Data) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    validate(SchemaId::JobExecV2, &data)?;
    let data = templates::body_obj(&data);
    let job_id = data
        .get("job_template_id")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    checks::job_execution(&call, &data, &job_id).await?;
    args.only("jobs_execute", &[])?;
    let je = execute(&call, &job_id, &data).await?;
    created(&je, true)
}
