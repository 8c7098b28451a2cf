//! The `fake` plugin (sahara/plugins/fake/plugin.py): no Hadoop, but every instance is
//! really reached over the configured access path: configuring runs a command and writes,
//! appends to and edits a root-owned file; starting reads it back and fails unless it says
//! `sp@m and pony`. Scaling does both on the new instances; decommissioning does nothing. It has
//! no health checks of its own (Sahara's fake plugin keeps the base `get_health_checks`), so its
//! clusters' verifications run Sahara's basic checks only.
//!
//! Its EDP engine (sahara/plugins/fake/edp_engine.py `FakeJobEngine`) runs every job type and
//! touches nothing: a job "runs" as `engine_job_id` and has `SUCCEEDED` at once; it cancels,
//! reports, schedules and suspends nothing.

use super::{EdpFuture, JobEngine, JobRun, Plugin, PluginFuture};
use crate::error::{EngineError, Result};
use crate::instances;
use crate::progress::ClusterOp;
use sahara_model::enums::{JobStatus, JobType};
use sahara_model::resources::{Cluster, Instance, JobExecution};
use std::sync::Arc;

/// The fake plugin.
#[derive(Debug, Clone, Copy, Default)]
pub struct FakePlugin;

/// The file the plugin writes in the login user's home.
const TEST_FILE: &str = "test_data";
/// What it must read back.
const EXPECTED: &str = "sp@m and pony";

async fn write_ops(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<()> {
    let r = instances::connect(op, cluster, instance).await?;
    r.execute_command("echo \"Hello, world!\"").await?;
    r.write_file_to(TEST_FILE, "sp@m", true).await?;
    r.append_to_file(TEST_FILE, " and eggs", true).await?;
    r.replace_remote_string(TEST_FILE, "eggs", "pony").await?;
    Ok(())
}

async fn check_ops(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<()> {
    let r = instances::connect(op, cluster, instance).await?;
    let actual = r.read_file_from(TEST_FILE, true).await?;
    if actual.trim() != EXPECTED {
        return Err(EngineError::Plugin(format!("ACTUAL:\n{actual}\nEXPECTED:\n{EXPECTED}")));
    }
    Ok(())
}

/// Runs `f` on every instance at once; the first error wins (`context.ThreadGroup`).
async fn on_each<'a, F, Fut>(instances: impl Iterator<Item = &'a Instance>, f: F) -> Result<()>
where
    F: Fn(&'a Instance) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let results = futures_util::future::join_all(instances.map(f)).await;
    results.into_iter().collect()
}

impl Plugin for FakePlugin {
    fn name(&self) -> &'static str {
        "fake"
    }

    fn configure_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(on_each(cluster.instances(), move |i| write_ops(op, cluster, i)))
    }

    fn start_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(async move {
            if kerberos_enabled(cluster) {
                return Err(EngineError::Plugin(
                    "Kerberos security is not supported by this engine's fake plugin".into(),
                ));
            }
            on_each(cluster.instances(), move |i| check_ops(op, cluster, i)).await
        })
    }

    fn scale_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster, new: &'a [Instance]) -> PluginFuture<'a> {
        Box::pin(on_each(new.iter(), move |i| async move {
            write_ops(op, cluster, i).await?;
            check_ops(op, cluster, i).await
        }))
    }

    fn decommission_nodes<'a>(
        &'a self,
        _op: &'a ClusterOp,
        _cluster: &'a Cluster,
        _victims: &'a [Instance],
    ) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn get_edp_engine(&self, _cluster: &Cluster, job_type: &JobType) -> Option<Arc<dyn JobEngine>> {
        FakeJobEngine
            .supported_job_types()
            .contains(job_type)
            .then(|| Arc::new(FakeJobEngine) as Arc<dyn JobEngine>)
    }
}

/// The fake plugin's EDP engine (`FakeJobEngine`).
#[derive(Debug, Clone, Copy, Default)]
pub struct FakeJobEngine;

/// The id the fake engine gives every job it runs.
pub const FAKE_ENGINE_JOB_ID: &str = "engine_job_id";

/// The rest is the base engine's: nothing scheduled, cancelled, reported or suspended (Sahara's fake engine
/// `pass`es there).
impl JobEngine for FakeJobEngine {
    /// `('engine_job_id', SUCCEEDED, None)`.
    fn run_job<'a>(&'a self, _op: &'a ClusterOp, _job_execution: &'a JobExecution) -> EdpFuture<'a, JobRun> {
        Box::pin(async {
            Ok(JobRun {
                engine_job_id: FAKE_ENGINE_JOB_ID.to_string(),
                status: Some(JobStatus::Succeeded),
                extra: None,
            })
        })
    }

    /// Every EDP job type (`edp.JOB_TYPES_ALL`).
    fn supported_job_types(&self) -> &'static [JobType] {
        JobType::KNOWN
    }
}

/// Whether the cluster asks for Kerberos (`Kerberos` / `Enable Kerberos Security`).
fn kerberos_enabled(cluster: &Cluster) -> bool {
    cluster
        .cluster_configs
        .as_ref()
        .and_then(|c| serde_json::to_value(c).ok())
        .and_then(|v| v.get("Kerberos")?.get("Enable Kerberos Security")?.as_bool())
        .unwrap_or(false)
}
