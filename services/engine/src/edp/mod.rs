//! The EDP job manager (sahara/service/edp/job_manager.py): runs, cancels, suspends a job
//! execution on its cluster through the cluster plugin's job engine
//! ([`JobEngine`](crate::plugins::JobEngine)), and brings the executions' statuses up to date.
//!
//! - [`run_job`]: an execution whose cluster is `Active` is started (scheduled when its
//!   `job_execution_info.job_execution_type` is `scheduled`); the engine's id, the start time,
//!   the status and the engine's `extra` are written. One whose cluster is missing or not
//!   `Active` is left `PENDING` (the cluster's provisioning runs it once `Active`). Any
//!   failure ends it `FAILED`, started and ended now (cancelled first when the engine knew it).
//! - [`cancel_job`]: unless ended, `TOBEKILLED`, then the engine is asked every 3 s until it
//!   reports a status or `job_canceling_timeout` runs out ([`EngineError::CancelingFailed`]).
//! - [`suspend_job`]: only from `PREP` or `RUNNING`; `TOBESUSPENDED`, then the engine's answer,
//!   or `SUSPENDFAILED`.
//! - [`get_job_status`], [`update_job_status`], [`update_job_statuses`]: the engine's status of
//!   executions on `Active` clusters, the last of them for the periodic task
//!   (`update_job_statuses`, every 45 s) and before a cluster is terminated.
//! - [`write_job_status`]: the one place a job's reported status is written (`end_time` set
//!   on a terminal status).
//!
//! Times are written as naive UTC, as the rest of the engine writes them (Sahara's
//! `datetime.now()` is the engine host's local time, UTC in kolla's containers).

#[cfg(test)]
mod tests;

use crate::error::{EngineError, Result};
use crate::plugins::{JobEngine, JobRun};
use crate::progress::ClusterOp;
use crate::{Engine, instances};
use sahara_model::enums::{ClusterStatus, JobStatus, JobType};
use sahara_model::resources::{Cluster, Instance, JobExecution, JsonMap};
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::time::Instant;
use tracing::Instrument;

/// A time as the conductor takes it (naive UTC, microseconds).
fn now() -> Value {
    json!(
        chrono::Utc::now()
            .naive_utc()
            .format("%Y-%m-%dT%H:%M:%S%.6f")
            .to_string()
    )
}

/// `{"status": <status>}`, an execution's `info` as the job manager writes it.
fn status_info(status: &JobStatus) -> Value {
    json!({ "status": status.as_str() })
}

fn values(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The execution's status as a string for messages (`None` when it has none).
fn status_text(je: &JobExecution) -> String {
    je.status().map_or_else(|| "None".to_string(), |s| s.to_string())
}

/// The execution, `None` once it is gone.
async fn execution(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<Option<JobExecution>> {
    Ok(engine.conductor.job_execution_get(ctx, id).await?)
}

/// The execution's cluster, `None` when it has none or it is gone.
async fn cluster_of(engine: &Engine, ctx: &RequestContext, je: &JobExecution) -> Result<Option<Cluster>> {
    match je.cluster_id.as_deref() {
        Some(id) => Ok(engine.conductor.cluster_get(ctx, id, false).await?),
        None => Ok(None),
    }
}

/// `_get_job_type`: the type of the execution's job (template).
async fn job_type(engine: &Engine, ctx: &RequestContext, je: &JobExecution) -> Result<JobType> {
    let job_id = je
        .job_id
        .as_deref()
        .ok_or_else(|| EngineError::Edp(format!("Job execution {} has no job", je.id)))?;
    let job = engine
        .conductor
        .job_get(ctx, job_id)
        .await?
        .ok_or_else(|| EngineError::Edp(format!("Job {job_id} not found")))?;
    Ok(job.r#type)
}

/// `get_job_engine`: the cluster plugin's engine for the execution's job type, if it has one.
pub async fn get_job_engine(
    engine: &Engine,
    ctx: &RequestContext,
    cluster: &Cluster,
    je: &JobExecution,
) -> Result<Option<Arc<dyn JobEngine>>> {
    let job_type = job_type(engine, ctx, je).await?;
    engine_for(engine, cluster, &job_type)
}

/// The cluster plugin's engine for `job_type`, if it has one.
fn engine_for(engine: &Engine, cluster: &Cluster, job_type: &JobType) -> Result<Option<Arc<dyn JobEngine>>> {
    Ok(engine
        .plugins
        .get(&cluster.plugin_name)?
        .get_edp_engine(cluster, job_type))
}

fn op_on(engine: &Engine, ctx: &RequestContext, cluster: &Cluster) -> ClusterOp {
    ClusterOp::new(engine.clone(), ctx.clone(), cluster.id.clone())
}

/// `_write_job_status`: stores `info` (a job engine's report) as the execution's `info`; a
/// terminal status also sets `end_time`.
pub async fn write_job_status(
    engine: &Engine,
    ctx: &RequestContext,
    je: &JobExecution,
    info: JsonMap,
) -> Result<JobExecution> {
    let terminated = info
        .get("status")
        .and_then(Value::as_str)
        .is_some_and(|s| JobStatus::parse(s).is_terminated());
    let mut update = Map::new();
    update.insert("info".into(), Value::Object(info));
    if terminated {
        update.insert("end_time".into(), now());
        if let Some(job_configs) = delete_proxy_user_for_job_execution(engine, je).await? {
            update.insert("job_configs".into(), Value::Object(job_configs));
        }
    }
    Ok(engine.conductor.job_execution_update(ctx, &je.id, update).await?)
}

/// `delete_proxy_user_for_job_execution`: when the execution has `proxy_configs`, its proxy user's
/// trust and the user are deleted; answers the `job_configs` without them (`None` without a proxy user).
pub async fn delete_proxy_user_for_job_execution(engine: &Engine, je: &JobExecution) -> Result<Option<JsonMap>> {
    let Some(configs) = je.job_configs.as_ref() else {
        return Ok(None);
    };
    let Some(Value::Object(proxy_configs)) = configs.get("proxy_configs") else {
        return Ok(None);
    };
    let settings = &engine.settings.service;
    let options = sahara_openstack::proxy::ProxyOptions {
        domain_name: settings.proxy_user_domain_name.as_deref(),
        role_names: &settings.proxy_user_role_names,
    };
    sahara_openstack::proxy::delete_proxy_user(&engine.cloud, options, proxy_configs).await?;
    let mut rest = configs.clone();
    rest.remove("proxy_configs");
    Ok(Some(rest))
}

/// `_update_job_status`: the engine's status of the execution, written when it has one.
async fn update_status_from(
    engine: &Engine,
    ctx: &RequestContext,
    op: &ClusterOp,
    job_engine: &dyn JobEngine,
    je: JobExecution,
) -> Result<JobExecution> {
    match job_engine.get_job_status(op, &je).await? {
        Some(info) => write_job_status(engine, ctx, &je, info).await,
        None => Ok(je),
    }
}

/// `get_neutron_info` of the remote driver for `instance`: the cluster's management network,
/// the request's token and project name, the address the engine reaches the instance at.
fn neutron_info(engine: &Engine, ctx: &RequestContext, cluster: &Cluster, instance: &Instance) -> Result<Value> {
    let node = instances::node(cluster, instance)?;
    let host = sahara_remote::access_ip(engine.remote.settings(), &node).to_string();
    tracing::debug!(network = ?cluster.neutron_management_network, tenant = ?ctx.project_name, host = %host,
        "Returning neutron info");
    Ok(json!({
        "network": cluster.neutron_management_network,
        "token": ctx.auth_token,
        "tenant": ctx.project_name,
        "host": host,
    }))
}

/// `_update_job_execution_extra`: with `use_namespaces` or a `proxy_command`, the neutron
/// info of the cluster's first instance is kept in the execution's `extra['neutron']`.
async fn update_job_execution_extra(
    engine: &Engine,
    ctx: &RequestContext,
    cluster: &Cluster,
    je: JobExecution,
) -> Result<JobExecution> {
    let s = &engine.settings;
    if !s.networking.use_namespaces && s.remote.proxy_command.is_empty() {
        return Ok(je);
    }
    let first = cluster
        .node_groups
        .first()
        .and_then(|ng| ng.instances.first())
        .ok_or_else(|| EngineError::Edp(format!("Cluster {} has no instance", cluster.id)))?;
    let info = neutron_info(engine, ctx, cluster, first)?;
    let mut extra = je.extra.clone().unwrap_or_default();
    extra.insert("neutron".into(), info);
    let update = values(json!({ "extra": extra }));
    Ok(engine.conductor.job_execution_update(ctx, &je.id, update).await?)
}

/// Whether the execution asks for a scheduled run (`job_execution_info.job_execution_type`).
fn is_scheduled(je: &JobExecution) -> bool {
    je.job_configs
        .as_ref()
        .and_then(|c| c.get("job_execution_info"))
        .and_then(|i| i.get("job_execution_type"))
        .and_then(Value::as_str)
        == Some("scheduled")
}

/// `run_job(job_execution_id)`: starts the execution (see the module); a failure is logged and
/// ends it `FAILED`.
pub async fn run_job(engine: &Engine, ctx: &RequestContext, job_execution_id: &str) {
    let span = tracing::info_span!("edp.run_job", job_execution_id = %job_execution_id);
    async {
        let Err(e) = start(engine, ctx, job_execution_id).await else {
            return;
        };
        tracing::error!(error = %e, "Can't run job execution (reason: {e})");
        if let Err(e) = record_failure(engine, ctx, job_execution_id).await {
            tracing::error!(error = %e, "could not record the job execution's failure");
        }
    }
    .instrument(span)
    .await
}

/// `run_job`'s failure path: the execution is cancelled if its engine knew it, then `FAILED`
/// with its start and end times now. Gone meanwhile: nothing to record. A cancel that fails
/// (not canceled in time) ends it there, as in Sahara: the job stays as the cancel left it.
async fn record_failure(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<()> {
    let Some(je) = execution(engine, ctx, id).await? else {
        return Ok(());
    };
    if je.engine_job_id.is_some() {
        cancel_job(engine, ctx, id).await?;
    }
    let update = values(json!({
        "info": status_info(&JobStatus::Failed),
        "start_time": now(),
        "end_time": now(),
    }));
    engine.conductor.job_execution_update(ctx, id, update).await?;
    Ok(())
}

/// `_run_job`: the checks and the engine's run; `Ok` also when the cluster cannot run it yet.
pub async fn start(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<()> {
    let je = execution(engine, ctx, id)
        .await?
        .ok_or_else(|| EngineError::Edp(format!("Job execution {id} not found")))?;
    let cluster = cluster_of(engine, ctx, &je).await?;
    let Some(cluster) = cluster.filter(|c| c.status == Some(ClusterStatus::Active)) else {
        tracing::info!(cluster_id = ?je.cluster_id,
            "Can not run this job on a non-existant cluster or a inactive cluster.");
        return Ok(());
    };
    let job_type = job_type(engine, ctx, &je).await?;
    let Some(job_engine) = engine_for(engine, &cluster, &job_type)? else {
        return Err(EngineError::Edp(format!(
            "Cluster does not support job type {job_type}"
        )));
    };
    let je = update_job_execution_extra(engine, ctx, &cluster, je).await?;
    let op = op_on(engine, ctx, &cluster);
    let JobRun {
        engine_job_id,
        status,
        extra,
    } = if is_scheduled(&je) {
        // Sahara unpacks the engine's answer, so an engine that schedules nothing fails the job.
        job_engine
            .run_scheduled_job(&op, &je)
            .await?
            .ok_or_else(|| EngineError::Edp("The job engine does not run scheduled jobs".into()))?
    } else {
        job_engine.run_job(&op, &je).await?
    };
    let mut update = Map::new();
    update.insert("engine_job_id".into(), json!(engine_job_id));
    update.insert("start_time".into(), now());
    if let Some(status) = status.filter(|s| !s.as_str().is_empty()) {
        update.insert("info".into(), status_info(&status));
    }
    if let Some(extra) = extra.filter(|e| !e.is_empty()) {
        let mut current = je.extra.clone().unwrap_or_default();
        current.extend(extra);
        update.insert("extra".into(), Value::Object(current));
    }
    engine.conductor.job_execution_update(ctx, id, update).await?;
    tracing::info!(cluster_id = %cluster.id, engine_job_id = %engine_job_id, "job execution started");
    Ok(())
}

/// `cancel_job(job_execution_id)`: the execution after the cancel; `None` when it is gone (or
/// its cluster's plugin has no engine for it, as in Sahara); [`EngineError::CancelingFailed`]
/// when the engine did not report a status within `job_canceling_timeout`.
pub async fn cancel_job(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<Option<JobExecution>> {
    let span = tracing::info_span!("edp.cancel_job", job_execution_id = %id);
    cancel(engine, ctx, id).instrument(span).await
}

async fn cancel(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<Option<JobExecution>> {
    let Some(je) = execution(engine, ctx, id).await? else {
        tracing::info!("Job execution was deleted. Canceling current operation.");
        return Ok(None);
    };
    if je.is_terminated() {
        tracing::info!("Job execution is already finished and shouldn't be canceled");
        return Ok(Some(je));
    }
    let Some(cluster) = cluster_of(engine, ctx, &je).await? else {
        tracing::info!("Can not cancel this job on a non-existant cluster.");
        return Ok(Some(je));
    };
    let Some(job_engine) = get_job_engine(engine, ctx, &cluster, &je).await? else {
        return Ok(None);
    };
    let op = op_on(engine, ctx, &cluster);
    let update = values(json!({ "info": status_info(&JobStatus::ToBeKilled) }));
    let mut je = engine.conductor.job_execution_update(ctx, id, update).await?;
    let timeout = engine.settings.job_canceling_timeout();
    let began = Instant::now();
    while began.elapsed() < timeout {
        if je.is_terminated() {
            // Sahara means to log this and answer the execution (its `LOG.info(...).format` raises instead).
            tracing::info!("Job execution status: {}", status_text(&je));
            return Ok(Some(je));
        }
        let info = match job_engine.cancel_job(&op, &je).await {
            Ok(info) => info,
            Err(e) => {
                tracing::warn!(error = %e, "Error during cancel of job execution: {e}");
                None
            }
        };
        if let Some(info) = info {
            let je = write_job_status(engine, ctx, &je, info).await?;
            tracing::info!("Job execution was canceled successfully");
            return Ok(Some(je));
        }
        tokio::time::sleep(engine.settings.cancel_poll).await;
        match execution(engine, ctx, id).await? {
            Some(again) => je = again,
            None => {
                tracing::info!("Job execution was deleted. Canceling current operation.");
                return Ok(None);
            }
        }
    }
    Err(EngineError::CancelingFailed(format!(
        "Job execution {id} was not canceled"
    )))
}

/// `get_job_status(job_execution_id)`: on an `Active` cluster whose plugin has an engine for
/// it, the engine's status of the execution is written; answers the execution (`None` when
/// it is gone).
pub async fn get_job_status(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<Option<JobExecution>> {
    let Some(je) = execution(engine, ctx, id).await? else {
        return Ok(None);
    };
    let Some(cluster) = cluster_of(engine, ctx, &je)
        .await?
        .filter(|c| c.status == Some(ClusterStatus::Active))
    else {
        return Ok(Some(je));
    };
    let Some(job_engine) = get_job_engine(engine, ctx, &cluster, &je).await? else {
        return Ok(Some(je));
    };
    let op = op_on(engine, ctx, &cluster);
    update_status_from(engine, ctx, &op, job_engine.as_ref(), je)
        .await
        .map(Some)
}

/// `update_job_status(job_execution_id)`: [`get_job_status`], its failure logged.
pub async fn update_job_status(engine: &Engine, ctx: &RequestContext, id: &str) {
    let span = tracing::info_span!("edp.update_job_status", job_execution_id = %id);
    if let Err(e) = get_job_status(engine, ctx, id).instrument(span.clone()).await {
        tracing::error!(parent: &span, error = %e, "Error during update job execution {id}: {e}");
    }
}

/// `update_job_statuses(cluster_id=None)`: [`update_job_status`] of every execution not ended
/// (`end_time` unset), of the cluster when one is given.
pub async fn update_job_statuses(engine: &Engine, ctx: &RequestContext, cluster_id: Option<&str>) -> Result<()> {
    let mut filters = values(json!({ "end_time": null }));
    if let Some(c) = cluster_id {
        filters.insert("cluster_id".into(), json!(c));
    }
    let all = engine.conductor.job_execution_get_all(ctx, false, filters).await?.items;
    for je in all {
        update_job_status(engine, ctx, &je.id).await;
    }
    Ok(())
}

/// `suspend_job(job_execution_id)`: only an execution in `PREP` or `RUNNING`
/// ([`EngineError::SuspendingFailed`] otherwise, nothing written); `TOBESUSPENDED`, then the
/// engine's status is written, or (the engine failed or reported nothing) `SUSPENDFAILED`
/// with [`EngineError::SuspendingFailed`].
pub async fn suspend_job(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<JobExecution> {
    let span = tracing::info_span!("edp.suspend_job", job_execution_id = %id);
    suspend(engine, ctx, id).instrument(span).await
}

async fn suspend(engine: &Engine, ctx: &RequestContext, id: &str) -> Result<JobExecution> {
    let je = execution(engine, ctx, id)
        .await?
        .ok_or_else(|| EngineError::SuspendingFailed(format!("Job execution {id} not found")))?;
    if !je.status().is_some_and(|s| s.is_suspendible()) {
        return Err(EngineError::SuspendingFailed(format!(
            "Suspending operation can not be performed on status: {}",
            status_text(&je)
        )));
    }
    let cluster = cluster_of(engine, ctx, &je).await?.ok_or_else(|| {
        EngineError::SuspendingFailed("Suspending operation can not be performed on a non-existent cluster".into())
    })?;
    let job_type = job_type(engine, ctx, &je).await?;
    let job_engine = engine_for(engine, &cluster, &job_type)?;
    let op = op_on(engine, ctx, &cluster);
    let update = values(json!({ "info": status_info(&JobStatus::ToBeSuspended) }));
    let je = engine.conductor.job_execution_update(ctx, id, update).await?;
    let suspended = match &job_engine {
        Some(e) => e.suspend_job(&op, &je).await,
        None => Err(EngineError::Edp(format!(
            "Cluster does not support job type {job_type}"
        ))),
    };
    let failed = values(json!({ "info": status_info(&JobStatus::SuspendFailed) }));
    match suspended {
        Ok(Some(info)) => {
            let je = write_job_status(engine, ctx, &je, info).await?;
            tracing::info!("Job execution was suspended successfully");
            Ok(je)
        }
        Ok(None) => {
            engine.conductor.job_execution_update(ctx, id, failed).await?;
            Err(EngineError::SuspendingFailed(format!(
                "Failed to suspend job execution {id}"
            )))
        }
        Err(e) => {
            engine.conductor.job_execution_update(ctx, id, failed).await?;
            Err(EngineError::SuspendingFailed(format!(
                "Error during suspending of job execution: {e}"
            )))
        }
    }
}
