//! The engine's periodic tasks as Sahara configures them (sahara/service/periodic.py), each
//! working on its share of the objects ([`TaskRun::subset`]) with an admin context:
//!
//! - `update_job_statuses` (45 s): every job execution not ended (`end_time` unset) gets
//!   its status from its cluster's job engine;
//! - `terminate_unneeded_transient_clusters` (90 s): `Active` transient clusters with no job
//!   execution still running, not updated for `min_transient_cluster_active_time`;
//! - `terminate_incomplete_clusters` (3600 s, when `cleanup_time_for_incomplete_clusters` >
//!   0): clusters neither `Active`, `Error` nor `Deleting`, not updated for that many hours;
//! - `check_for_zombie_proxy_users` (300 s, when `use_domain_for_proxy_users`): users
//!   `job_<id>` of the proxy domain whose job execution is gone or ended are deleted;
//! - `run_verifications` (`[cluster_verifications] verification_periodic_interval`, 600 s,
//!   unless `verification_enable` is false): every `Active` cluster whose verification is not
//!   running gets a new one.
//!
//! A cluster is terminated as Sahara's `terminate_cluster` does: through its trust, as the
//! API's delete (status `Deleting`, `sahara.cluster.delete`, then the engine's terminate, run
//! here); without a trust it is only marked `AwaitingTermination`.

use super::{Task, TaskRun};
use crate::error::{EngineError, Result};
use crate::{Engine, edp, health, ops, progress};
use chrono::NaiveDateTime;
use sahara_model::enums::ClusterStatus;
use sahara_model::resources::{Cluster, JobExecution};
use sahara_openstack::keystone;
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::time::Duration;
use tracing::Instrument;

/// `update_job_statuses`'s spacing.
pub const JOB_STATUSES_SPACING: Duration = Duration::from_secs(45);
/// `terminate_unneeded_transient_clusters`'s spacing.
pub const TRANSIENT_CLUSTERS_SPACING: Duration = Duration::from_secs(90);
/// `terminate_incomplete_clusters`'s spacing.
pub const INCOMPLETE_CLUSTERS_SPACING: Duration = Duration::from_secs(3600);
/// `check_for_zombie_proxy_users`'s spacing.
pub const ZOMBIE_PROXY_USERS_SPACING: Duration = Duration::from_secs(300);

/// The tasks the configuration enables, with Sahara's spacings (change one with
/// [`Task::with_spacing`]).
pub fn engine_tasks(engine: &Engine) -> Vec<Task> {
    let mut tasks = vec![
        job_statuses_task(engine.clone()),
        transient_clusters_task(engine.clone()),
    ];
    if engine.settings.periodic.cleanup_time_for_incomplete_clusters > 0 {
        tasks.push(incomplete_clusters_task(engine.clone()));
    }
    if engine.settings.service.use_domain_for_proxy_users {
        tasks.push(zombie_proxy_users_task(engine.clone()));
    }
    if let Some(spacing) = engine.settings.verification_periodic_spacing() {
        tasks.push(verifications_task(engine.clone()).with_spacing(spacing));
    }
    tasks
}

/// The `update_job_statuses` task.
pub fn job_statuses_task(engine: Engine) -> Task {
    Task::new("update_job_statuses", JOB_STATUSES_SPACING, move |run| {
        let engine = engine.clone();
        async move { update_job_statuses(&engine, &run).await }
    })
}

/// The `terminate_unneeded_transient_clusters` task.
pub fn transient_clusters_task(engine: Engine) -> Task {
    Task::new(
        "terminate_unneeded_transient_clusters",
        TRANSIENT_CLUSTERS_SPACING,
        move |run| {
            let engine = engine.clone();
            async move { terminate_unneeded_transient_clusters(&engine, &run).await }
        },
    )
}

/// The `terminate_incomplete_clusters` task.
pub fn incomplete_clusters_task(engine: Engine) -> Task {
    Task::new(
        "terminate_incomplete_clusters",
        INCOMPLETE_CLUSTERS_SPACING,
        move |run| {
            let engine = engine.clone();
            async move { terminate_incomplete_clusters(&engine, &run).await }
        },
    )
}

/// The `check_for_zombie_proxy_users` task.
pub fn zombie_proxy_users_task(engine: Engine) -> Task {
    Task::new("check_for_zombie_proxy_users", ZOMBIE_PROXY_USERS_SPACING, move |run| {
        let engine = engine.clone();
        async move { check_for_zombie_proxy_users(&engine, &run).await }
    })
}

/// The `run_verifications` task (spaced `verification_periodic_interval`: see
/// [`EngineSettings::verification_periodic_spacing`](crate::EngineSettings::verification_periodic_spacing)).
pub fn verifications_task(engine: Engine) -> Task {
    let spacing = engine
        .settings
        .verification_periodic_spacing()
        .unwrap_or(Duration::from_secs(600));
    Task::new("run_verifications", spacing, move |run| {
        let engine = engine.clone();
        async move { run_verifications(&engine, &run).await }
    })
}

/// Seconds since the cluster was last updated (`get_time_since_last_update`; its creation
/// when it was never updated), `None` when it carries neither time.
pub fn seconds_since_update(cluster: &Cluster, now: NaiveDateTime) -> Option<i64> {
    let at = cluster.updated_at.or(cluster.created_at)?;
    Some((now - at).num_seconds())
}

/// Whether a transient cluster with no running job is due for termination: `Active`,
/// transient, and not updated for `min_active` (`min_transient_cluster_active_time`).
pub fn transient_cluster_is_due(cluster: &Cluster, now: NaiveDateTime, min_active: Duration) -> bool {
    cluster.status == Some(ClusterStatus::Active)
        && cluster.is_transient == Some(true)
        && seconds_since_update(cluster, now).is_some_and(|s| s >= secs(min_active))
}

/// Whether a cluster is incomplete and due for termination: neither `Active`, `Error` nor
/// `Deleting`, and not updated for `max_age` (`cleanup_time_for_incomplete_clusters`).
pub fn incomplete_cluster_is_due(cluster: &Cluster, now: NaiveDateTime, max_age: Duration) -> bool {
    !matches!(
        cluster.status,
        Some(ClusterStatus::Active | ClusterStatus::Error | ClusterStatus::Deleting)
    ) && seconds_since_update(cluster, now).is_some_and(|s| s >= secs(max_age))
}

/// The job execution id of a proxy user named `job_<id>`.
pub fn proxy_user_job_execution_id(user_name: &str) -> Option<&str> {
    user_name.strip_prefix("job_")
}

/// Whether the proxy user of a job execution is a zombie: the job execution is gone or ended.
pub fn is_zombie(job_execution: Option<&JobExecution>) -> bool {
    job_execution.is_none_or(JobExecution::is_terminated)
}

fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

fn filters(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// `update_job_statuses`: this member's job executions not ended (`end_time` unset; each
/// owned by its id on the ring) get their status from their cluster's job engine
/// ([`edp::update_job_status`], a failure logged and the next one handled).
pub async fn update_job_statuses(engine: &Engine, run: &TaskRun) -> Result<()> {
    tracing::debug!("Updating job statuses");
    let all = engine
        .conductor
        .job_execution_get_all(&run.ctx, false, filters(json!({"end_time": null})))
        .await?
        .items;
    for je in run.subset(all, |j| j.id.as_str()) {
        edp::update_job_status(engine, &run.ctx, &je.id).await;
    }
    Ok(())
}

/// `terminate_unneeded_transient_clusters`: this member's `Active` transient clusters with
/// no running job execution (`end_time` unset), not updated for
/// `min_transient_cluster_active_time`, are terminated.
pub async fn terminate_unneeded_transient_clusters(engine: &Engine, run: &TaskRun) -> Result<()> {
    tracing::debug!("Terminating unneeded transient clusters");
    let min_active =
        Duration::from_secs(u64::try_from(engine.settings.periodic.min_transient_cluster_active_time).unwrap_or(0));
    let all = engine
        .conductor
        .cluster_get_all(
            &run.ctx,
            false,
            filters(json!({"status": ClusterStatus::Active.as_str(), "is_transient": true})),
        )
        .await?
        .items;
    for cluster in run.subset(all, |c| c.id.as_str()) {
        let running = engine
            .conductor
            .job_execution_count(&run.ctx, filters(json!({"end_time": null, "cluster_id": cluster.id})))
            .await?;
        if running > 0 || !transient_cluster_is_due(&cluster, now(), min_active) {
            continue;
        }
        terminate_cluster(engine, run, &cluster, "transient").await?;
    }
    Ok(())
}

/// `terminate_incomplete_clusters`: this member's clusters neither `Active`, `Error` nor
/// `Deleting`, not updated for `cleanup_time_for_incomplete_clusters` hours, are terminated.
pub async fn terminate_incomplete_clusters(engine: &Engine, run: &TaskRun) -> Result<()> {
    let hours = engine.settings.periodic.cleanup_time_for_incomplete_clusters;
    if hours <= 0 {
        return Ok(());
    }
    tracing::debug!("Terminating old clusters in non-final state");
    let max_age = Duration::from_secs(u64::try_from(hours).unwrap_or(0).saturating_mul(3600));
    let all = engine
        .conductor
        .cluster_get_all(&run.ctx, false, Map::new())
        .await?
        .items;
    let incomplete = all.into_iter().filter(|c| {
        !matches!(
            c.status,
            Some(ClusterStatus::Active | ClusterStatus::Error | ClusterStatus::Deleting)
        )
    });
    for cluster in run.subset(incomplete, |c| c.id.as_str()) {
        if incomplete_cluster_is_due(&cluster, now(), max_age) {
            terminate_cluster(engine, run, &cluster, "incomplete").await?;
        }
    }
    Ok(())
}

/// Sahara's periodic `terminate_cluster(ctx, cluster, description)`. With a trust (and the
/// identity API v3): if the trust still authenticates, the cluster becomes `Deleting`,
/// `sahara.cluster.delete` is sent and the engine's terminate runs beside the scheduler, in
/// the cluster's project; a failure is logged and the next cluster handled. Without a
/// trust the cluster is marked `AwaitingTermination`.
pub async fn terminate_cluster(engine: &Engine, run: &TaskRun, cluster: &Cluster, description: &str) -> Result<()> {
    let status = cluster.status.as_ref().map(ToString::to_string).unwrap_or_default();
    let span = tracing::info_span!("periodic.terminate_cluster", cluster_id = %cluster.id, description);
    async move {
        match cluster.trust_id.as_deref() {
            Some(trust_id) if engine.settings.service.use_identity_api_v3 => {
                tracing::debug!("Terminating {description} cluster in \"{status}\" state");
                let ctx = cluster_context(&run.ctx, cluster);
                if let Err(e) = terminate_with_trust(engine, run, ctx, &cluster.id, trust_id).await {
                    tracing::warn!("Failed to terminate {description} cluster in \"{status}\" state: {e}.");
                }
            }
            _ if cluster.status != Some(ClusterStatus::AwaitingTermination) => {
                let values = filters(json!({"status": ClusterStatus::AwaitingTermination.as_str()}));
                engine.conductor.cluster_update(&run.ctx, &cluster.id, values).await?;
                tracing::info!("{description} cluster has no trust: marked AwaitingTermination");
            }
            _ => {}
        }
        Ok(())
    }
    .instrument(span)
    .await
}

/// The run's admin context in the cluster's project (`use_os_admin_auth_token` sets the
/// context's tenant to the cluster's; the trust carries the identity).
fn cluster_context(admin: &RequestContext, cluster: &Cluster) -> RequestContext {
    RequestContext {
        project_id: cluster.tenant_id.clone(),
        ..admin.clone()
    }
}

/// `use_os_admin_auth_token` then the API's `terminate_cluster`.
async fn terminate_with_trust(
    engine: &Engine,
    run: &TaskRun,
    ctx: RequestContext,
    cluster_id: &str,
    trust_id: &str,
) -> Result<()> {
    // The trust must still authenticate, or the cluster is left as it is (and tried again).
    keystone::trust_session(&engine.cloud, trust_id).await?;
    let op = progress::ClusterOp::new(engine.clone(), ctx.clone(), cluster_id);
    let cluster = match op.change_status(ClusterStatus::Deleting, None).await {
        Ok(c) => c,
        // Gone, or being deleted by someone else already.
        Err(EngineError::ClusterGone(_)) => return Ok(()),
        Err(e) => return Err(e),
    };
    let (e, c, id) = (engine.clone(), ctx.clone(), cluster_id.to_string());
    run.spawn(async move { ops::terminate_cluster(e, c, id, false).await });
    progress::notify_status(
        engine,
        &ctx,
        &cluster.id,
        &cluster.name,
        ClusterStatus::Deleting.as_str(),
        "delete",
    )
    .await;
    Ok(())
}

/// `run_verifications`: each of this member's `Active` clusters whose verification may start
/// (`validate_verification_start`, read afresh) gets one, run beside the scheduler with the
/// run's admin context (Sahara casts `handle_verification` with it); the others are skipped.
pub async fn run_verifications(engine: &Engine, run: &TaskRun) -> Result<()> {
    tracing::debug!("Executing health checks for the clusters");
    let all = engine
        .conductor
        .cluster_get_all(
            &run.ctx,
            false,
            filters(json!({"status": ClusterStatus::Active.as_str()})),
        )
        .await?
        .items;
    for cluster in run.subset(all, |c| c.id.as_str()) {
        let op = progress::ClusterOp::new(engine.clone(), run.ctx.clone(), cluster.id.clone());
        match health::validate_verification_start(&op).await {
            Ok(()) => {
                let (e, ctx, id) = (engine.clone(), run.ctx.clone(), cluster.id.clone());
                run.spawn(health::handle_verification(e, ctx, id, health::start_values()));
            }
            Err(health::HealthError::CannotVerify(reason)) => {
                tracing::debug!(cluster_id = %cluster.id, reason = %reason,
                    "Skipping running verification on the cluster {}", cluster.name);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// `check_for_zombie_proxy_users`: this member's users of the proxy domain named
/// `job_<id>` whose job execution is gone or ended are deleted.
pub async fn check_for_zombie_proxy_users(engine: &Engine, run: &TaskRun) -> Result<()> {
    let admin = keystone::admin_session(&engine.cloud).await?;
    let domain_name = engine.settings.service.proxy_user_domain_name.as_deref();
    let domain = sahara_openstack::proxy::domain_for_proxy(&admin, domain_name).await?;
    let users = admin.keystone().list_users(&domain.id).await?;
    for user in run.subset(users, |u| u.id.as_str()) {
        let Some(je_id) = proxy_user_job_execution_id(&user.name) else {
            continue;
        };
        let je = engine.conductor.job_execution_get(&run.ctx, je_id).await?;
        if is_zombie(je.as_ref()) {
            tracing::debug!(user_id = %user.id, "Found zombie proxy user {}", user.name);
            admin.keystone().delete_user(&user.id).await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeDelta};

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2024, 5, 1)
            .and_then(|d| d.and_hms_opt(h, m, s))
            .expect("a valid time")
    }

    fn cluster(status: Option<ClusterStatus>, transient: Option<bool>, updated: Option<NaiveDateTime>) -> Cluster {
        let mut v = json!({
            "id": "c1", "name": "c1", "plugin_name": "fake", "hadoop_version": "0.1",
            "management_private_key": "", "management_public_key": "",
        });
        v["status"] = json!(status.as_ref().map(|s| s.as_str()));
        v["is_transient"] = json!(transient);
        let mut c: Cluster = serde_json::from_value(v).expect("a cluster");
        c.updated_at = updated;
        c
    }

    #[test]
    fn transient_clusters_are_due_once_active_and_untouched_for_the_minimum() {
        let now = at(12, 0, 0);
        let min = Duration::from_secs(30);
        let old = Some(now - TimeDelta::seconds(30));
        let young = Some(now - TimeDelta::seconds(29));
        assert!(transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Active), Some(true), old),
            now,
            min
        ));
        assert!(!transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Active), Some(true), young),
            now,
            min
        ));
        assert!(!transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Active), Some(false), old),
            now,
            min
        ));
        assert!(!transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Active), None, old),
            now,
            min
        ));
        assert!(!transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Spawning), Some(true), old),
            now,
            min
        ));
        // Never updated: its creation counts; no time at all: never due.
        let mut created = cluster(Some(ClusterStatus::Active), Some(true), None);
        created.created_at = old;
        assert!(transient_cluster_is_due(&created, now, min));
        assert!(!transient_cluster_is_due(
            &cluster(Some(ClusterStatus::Active), Some(true), None),
            now,
            min
        ));
    }

    #[test]
    fn incomplete_clusters_are_due_when_stuck_outside_the_final_states() {
        let now = at(12, 0, 0);
        let hour = Duration::from_secs(3600);
        let stuck = Some(now - TimeDelta::hours(1));
        let recent = Some(now - TimeDelta::minutes(59));
        for s in [
            ClusterStatus::Validating,
            ClusterStatus::Spawning,
            ClusterStatus::Waiting,
            ClusterStatus::Configuring,
            ClusterStatus::AwaitingTermination,
            ClusterStatus::Scaling,
        ] {
            assert!(
                incomplete_cluster_is_due(&cluster(Some(s.clone()), None, stuck), now, hour),
                "{s}"
            );
            assert!(
                !incomplete_cluster_is_due(&cluster(Some(s.clone()), None, recent), now, hour),
                "{s}"
            );
        }
        for s in [ClusterStatus::Active, ClusterStatus::Error, ClusterStatus::Deleting] {
            assert!(
                !incomplete_cluster_is_due(&cluster(Some(s.clone()), None, stuck), now, hour),
                "{s}"
            );
        }
        assert!(incomplete_cluster_is_due(&cluster(None, None, stuck), now, hour));
    }

    #[test]
    fn proxy_users_of_gone_or_ended_job_executions_are_zombies() {
        assert_eq!(proxy_user_job_execution_id("job_1234"), Some("1234"));
        assert_eq!(proxy_user_job_execution_id("admin"), None);
        let je = |status: Option<&str>| -> JobExecution {
            let mut v = json!({"id": "1234"});
            if let Some(s) = status {
                v["info"] = json!({"status": s});
            }
            serde_json::from_value(v).expect("a job execution")
        };
        assert!(is_zombie(None));
        assert!(is_zombie(Some(&je(Some("SUCCEEDED")))));
        assert!(is_zombie(Some(&je(Some("KILLED")))));
        assert!(is_zombie(Some(&je(Some("FAILED")))));
        assert!(!is_zombie(Some(&je(Some("RUNNING")))));
        assert!(!is_zombie(Some(&je(Some("PENDING")))));
        assert!(!is_zombie(Some(&je(None))));
    }

    #[test]
    fn a_cluster_s_context_is_the_admin_context_in_its_project() {
        let admin = RequestContext::admin();
        let mut c = cluster(Some(ClusterStatus::Active), Some(true), None);
        c.tenant_id = Some("p1".into());
        let ctx = cluster_context(&admin, &c);
        assert!(ctx.is_admin);
        assert_eq!(ctx.project_id.as_deref(), Some("p1"));
        assert_eq!(ctx.request_id, admin.request_id);
    }
}
