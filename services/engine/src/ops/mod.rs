//! The engine's operations (sahara/service/ops.py): provisioning, scaling and terminating a
//! cluster, and pushing a new keypair to it (verifications are in [`crate::health`]; a
//! successful provision or scale refreshes the cluster's health). Each runs under Sahara's
//! error handler: on a failure the cluster is rolled back and ends in `Error` (or `Active`
//! after a failed scale) with the reason as its description — unless it is gone or `Deleting`
//! meanwhile, then the operation stops quietly. A cluster that becomes `Active` runs the job
//! executions queued for it; one terminated first brings its jobs' statuses up to date. The
//! EDP operations on job executions are in [`edp`].

pub mod edp;

use crate::error::{EngineError, Result};
use crate::heat::infra::{self, Counts};
use crate::progress::ClusterOp;
use crate::{ENGINE_TYPE_AND_VERSION, Engine, REMOTE_TYPE_AND_VERSION, instances, trusts};
use sahara_model::enums::ClusterStatus;
use sahara_model::resources::{Cluster, Instance};
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};

/// `provision_cluster(cluster_id)`.
pub async fn provision_cluster(engine: Engine, ctx: RequestContext, cluster_id: String) {
    let op = ClusterOp::new(engine, ctx, cluster_id);
    let _ = with_error_handler(
        &op,
        "Creating cluster failed for the following reason(s): {reason}",
        provision(&op),
    )
    .await;
}

/// `provision_scaled_cluster(cluster_id, node_group_id_map, node_group_instance_map)`.
pub async fn provision_scaled_cluster(
    engine: Engine,
    ctx: RequestContext,
    cluster_id: String,
    node_group_id_map: Map<String, Value>,
    node_group_instance_map: Option<Map<String, Value>>,
) {
    let op = ClusterOp::new(engine, ctx, cluster_id);
    let _ = with_error_handler(
        &op,
        "Scaling cluster failed for the following reason(s): {reason}",
        scale(&op, node_group_id_map, node_group_instance_map.unwrap_or_default()),
    )
    .await;
}

/// `terminate_cluster(cluster_id, force)`.
pub async fn terminate_cluster(engine: Engine, ctx: RequestContext, cluster_id: String, force: bool) {
    // The cluster is `Deleting` already, so Sahara's error handler would only stop quietly:
    // a failure leaves it `Deleting` (a forced delete can finish it); we log why.
    let op = ClusterOp::new(engine, ctx, cluster_id).deleting();
    if let Err(e) = terminate(&op, force).await {
        tracing::error!(cluster_id = %op.cluster_id, error = %e,
            "Terminating cluster failed for the following reason(s): {e}");
    }
}

/// `update_keypair(cluster_id)`: appends the user keypair's public key to the login user's
/// `~/.ssh/authorized_keys` on every instance.
pub async fn update_keypair(engine: Engine, ctx: RequestContext, cluster_id: String) {
    let op = ClusterOp::new(engine, ctx, cluster_id);
    if let Err(e) = push_keypair(&op).await
        && !e.is_gone()
    {
        tracing::error!(cluster_id = %op.cluster_id, error = %e, "update_keypair failed");
    }
}

async fn push_keypair(op: &ClusterOp) -> Result<()> {
    let cluster = op.cluster().await?;
    let Some(name) = cluster.user_keypair_id.clone() else {
        return Ok(());
    };
    let key = op.session()?.nova().get_keypair(&name).await?;
    let line = key.public_key;
    let jobs = cluster.instances().map(|i| {
        let (cluster, line) = (&cluster, &line);
        async move {
            let r = instances::connect(op, cluster, i).await?;
            r.execute_command(&format!("echo {line} >> ~/.ssh/authorized_keys"))
                .await
                .map(|_| ())
        }
    });
    futures_util::future::join_all(jobs).await.into_iter().collect()
}

/// `ops_error_handler`: clears the description, runs `f`; on a failure (unless the cluster
/// is gone or `Deleting`) rolls back and sets `Active` (a scale rolled back) or `Error` with
/// `description` (its `{reason}` filled in). A failing rollback ends in `Error` with both
/// reasons.
async fn with_error_handler(
    op: &ClusterOp,
    description: &str,
    f: impl std::future::Future<Output = Result<()>>,
) -> Result<()> {
    let run = async {
        op.set_description("").await?;
        f.await
    };
    let Err(e) = run.await else {
        return Ok(());
    };
    if !still_there(op).await {
        tracing::debug!(cluster_id = %op.cluster_id, error = %e, "Cluster was deleted or marked for deletion. Canceling current operation.");
        return Ok(());
    }
    let msg = e.to_string();
    tracing::error!(cluster_id = %op.cluster_id, reason = %msg, "Error during operating on cluster");
    let rolled = async {
        trusts::setup_trust_for_cluster(op).await?;
        op.set_step_type("Engine: rollback cluster");
        infra::rollback_cluster(op).await
    }
    .await;
    let result = match rolled {
        Ok(true) => {
            op.change_status(ClusterStatus::Active, Some(&description.replace("{reason}", &msg)))
                .await
        }
        Ok(false) => {
            op.change_status(ClusterStatus::Error, Some(&description.replace("{reason}", &msg)))
                .await
        }
        Err(rex) => {
            if !still_there(op).await {
                return Ok(());
            }
            tracing::error!(cluster_id = %op.cluster_id, reason = %rex, "Error during rollback of cluster");
            let both = format!("{msg}, {rex}");
            op.change_status(ClusterStatus::Error, Some(&description.replace("{reason}", &both)))
                .await
        }
    };
    match result {
        Ok(_) => Err(e),
        Err(e2) if e2.is_gone() => Ok(()),
        Err(e2) => {
            tracing::error!(cluster_id = %op.cluster_id, error = %e2, "could not record the failure");
            Err(e)
        }
    }
}

/// Whether the cluster is still there and not `Deleting` (read afresh). When the conductor
/// cannot be asked, it is assumed there, so that what can be recorded is.
async fn still_there(op: &ClusterOp) -> bool {
    match op.cluster_opt().await {
        Ok(Some(c)) => !crate::progress::is_deleting(&c),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// `_prepare_provisioning`: each node group's `image_username` from its image's
/// `_sahara_username`, then the cluster's trust.
async fn prepare(op: &ClusterOp) -> Result<Cluster> {
    let cluster = op.cluster().await?;
    let session = op.session()?;
    for ng in &cluster.node_groups {
        let image_id = ng
            .image_id
            .clone()
            .or_else(|| cluster.default_image_id.clone())
            .ok_or_else(|| EngineError::Invalid(format!("Node group {} has no image", ng.name)))?;
        let image = session.glance().get_image(&image_id).await?;
        let mut v = Map::new();
        v.insert("image_username".into(), json!(image.sahara_username()));
        op.engine.conductor.node_group_update(&op.ctx, &ng.id, v).await?;
    }
    trusts::setup_trust_for_cluster(op).await?;
    op.cluster().await
}

/// `_provision_cluster`: once `Active`, the job executions queued for the cluster are run.
async fn provision(op: &ClusterOp) -> Result<()> {
    let cluster = prepare(op).await?;
    let plugin = op.engine.plugins.get(&cluster.plugin_name)?;
    op.update(json!({"sahara_info": {
        "infrastructure_engine": ENGINE_TYPE_AND_VERSION, "remote": REMOTE_TYPE_AND_VERSION}}))
        .await?;
    let cluster = op.change_status(ClusterStatus::InfraUpdating, None).await?;
    plugin.update_infra(op, &cluster).await?;
    op.set_step_type("Engine: create cluster");
    infra::create_cluster(op).await?;
    instances::configure_ntp(op, None).await?;
    op.change_status(ClusterStatus::Configuring, None).await?;
    op.set_step_type("Plugin: configure cluster");
    let cluster = op.cluster().await?;
    plugin.configure_cluster(op, &cluster).await?;
    op.change_status(ClusterStatus::Starting, None).await?;
    op.set_step_type("Plugin: start cluster");
    let cluster = op.cluster().await?;
    plugin.start_cluster(op, &cluster).await?;
    op.change_status(ClusterStatus::Active, None).await?;
    // The job executions asked for while the cluster was being built.
    let queued = op
        .engine
        .conductor
        .job_execution_get_all(&op.ctx, false, filters(json!({"cluster_id": op.cluster_id})))
        .await?;
    for je in queued.items {
        crate::edp::run_job(&op.engine, &op.ctx, &je.id).await;
    }
    crate::health::refresh_health_for_cluster(op).await;
    Ok(())
}

/// The conductor filters of a JSON object.
fn filters(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `_provision_scaled_cluster`: victims chosen (named ones first, then the highest
/// indexes), decommissioned by the plugin, the stack scaled, new instances configured by the
/// plugin. Any failure inside returns the cluster to `Active` with the error as description, as in Sahara;
/// unlike Sahara, the nodes the scale added are removed first.
async fn scale(op: &ClusterOp, id_map: Map<String, Value>, instance_map: Map<String, Value>) -> Result<()> {
    let cluster = prepare(op).await?;
    let plugin = op.engine.plugins.get(&cluster.plugin_name)?;
    let cluster = op.change_status(ClusterStatus::Decommissioning, None).await?;
    let before = infra::counts(&cluster);
    let grows = |target: &Counts| target.iter().any(|(ng, n)| before.get(ng).is_some_and(|b| n > b));
    let mut target = Counts::new();
    let inner = async {
        let mut victims: Vec<Instance> = Vec::new();
        for ng in &cluster.node_groups {
            let new_count = id_map
                .get(&ng.id)
                .and_then(Value::as_i64)
                .unwrap_or(i64::from(ng.count));
            target.insert(ng.id.clone(), new_count);
            let surplus = i64::from(ng.count) - new_count;
            if surplus <= 0 {
                continue;
            }
            let mut chosen: Vec<Instance> = Vec::new();
            if let Some(refs) = instance_map.get(&ng.id).and_then(Value::as_array) {
                for r in refs.iter().filter_map(Value::as_str) {
                    let inst = ng
                        .instances
                        .iter()
                        .find(|i| i.instance_id.as_deref() == Some(r) || i.instance_name == r)
                        .ok_or_else(|| EngineError::Invalid(format!("Instance {r} not found")))?;
                    chosen.push(inst.clone());
                }
            }
            let mut by_index: Vec<&Instance> = ng.instances.iter().collect();
            by_index.sort_by_key(|i| name_index(&i.instance_name));
            while (chosen.len() as i64) < surplus {
                let Some(next) = by_index.iter().rev().find(|i| !chosen.iter().any(|c| c.id == i.id)) else {
                    break;
                };
                chosen.push((*next).clone());
            }
            victims.extend(chosen);
        }
        if !victims.is_empty() {
            op.set_step_type("Plugin: decommission cluster");
            plugin.decommission_nodes(op, &cluster, &victims).await?;
        }
        op.change_status(ClusterStatus::Scaling, None).await?;
        op.set_step_type("Engine: scale cluster");
        let new_ids = infra::scale_cluster(op, &target, &victims).await?;
        if !new_ids.is_empty() {
            instances::configure_ntp(op, Some(&new_ids)).await?;
            op.change_status(ClusterStatus::Configuring, None).await?;
            let cluster = op.cluster().await?;
            let new = infra::instances_of(&cluster, &new_ids);
            op.set_step_type("Plugin: scale cluster");
            plugin.scale_cluster(op, &cluster, &new).await?;
        }
        op.change_status(ClusterStatus::Active, None).await?;
        crate::health::refresh_health_for_cluster(op).await;
        Ok::<(), EngineError>(())
    };
    let Err(e) = inner.await else { return Ok(()) };
    if e.is_gone() {
        return Err(e);
    }
    tracing::error!(cluster_id = %op.cluster_id, error = %e, "scaling failed");
    // Sahara sets Active with the error and keeps whatever the scale added; here the new nodes are removed
    // first (the stack back to the old counts), as Heat's own rollback of a failed update leaves it. A
    // failing rollback is the error handler's: Error with both reasons.
    if grows(&target) {
        op.set_step_type("Engine: rollback cluster");
        infra::rollback_scaling(op, &before, &target).await.map_err(|rex| {
            if rex.is_gone() {
                rex
            } else {
                EngineError::Invalid(format!("{e}, {rex}"))
            }
        })?;
    }
    op.change_status(ClusterStatus::Active, Some(&e.to_string())).await?;
    Ok(())
}

/// The numeric suffix of an instance name (`demo-worker-3` → 3).
fn name_index(name: &str) -> i64 {
    name.rsplit('-').next().and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// `terminate_cluster`: through the cluster's trust, its jobs' statuses brought up to date,
/// the plugin's shutdown hook, the stack deleted (waited for unless `force`), the trust
/// deleted, the cluster row destroyed.
async fn terminate(op: &ClusterOp, force: bool) -> Result<()> {
    trusts::setup_trust_for_cluster(op).await?;
    crate::edp::update_job_statuses(&op.engine, &op.ctx, Some(&op.cluster_id)).await?;
    let cluster = op.cluster().await?;
    let plugin = op.engine.plugins.get(&cluster.plugin_name)?;
    op.set_step_type("Plugin: shutdown cluster");
    plugin.on_terminate_cluster(op, &cluster).await?;
    op.set_step_type("Engine: shutdown cluster");
    infra::shutdown_cluster(op, force).await?;
    trusts::delete_trust_from_cluster(op).await?;
    op.engine.conductor.cluster_destroy(&op.ctx, &op.cluster_id).await?;
    tracing::info!(cluster_id = %op.cluster_id, "cluster terminated");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn instance_indexes_come_from_the_last_dash() {
        assert_eq!(super::name_index("demo-worker-12"), 12);
        assert_eq!(super::name_index("odd"), 0);
    }
}
