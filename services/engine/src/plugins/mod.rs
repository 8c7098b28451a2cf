//! The plugin interface the engine drives (sahara/plugins/provisioning.py
//! `ProvisioningPluginBase`: `update_infra`, `configure_cluster`, `start_cluster`,
//! `scale_cluster`, `decommission_nodes`, `on_terminate_cluster`, `get_open_ports`,
//! `get_health_checks`, `get_edp_engine`), the EDP job engine a plugin hands out
//! (sahara/service/edp/base_engine.py `JobEngine`) and the plugins we implement. The API keeps
//! the plugins' metadata (services/api/src/plugins).

pub mod fake;

use crate::error::{EngineError, Result};
use crate::health::checks::HealthCheck;
use crate::progress::ClusterOp;
use sahara_model::enums::{JobStatus, JobType};
use sahara_model::resources::{Cluster, Instance, JobExecution, JsonMap, NodeGroup};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A boxed future of a plugin step.
pub type PluginFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;

/// A boxed future of a job engine's answer.
pub type EdpFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<T>> + Send + 'a>>;

/// What a job engine answers when it starts a job: Sahara's `(engine_job_id, status, extra)`.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRun {
    /// The engine's id of the job (an Oozie id, `<pid>@<instance id>`, ...).
    pub engine_job_id: String,
    /// The job's status now, when the engine knows it (written as `info`).
    pub status: Option<JobStatus>,
    /// What the engine keeps about the job, merged into the execution's `extra`.
    pub extra: Option<JsonMap>,
}

/// A plugin's EDP engine for a cluster (`base_engine.JobEngine`). A job status it answers is
/// the whole new `info` of the execution (`{"status": ..., ...}`); `None` means it has none
/// to report. The defaults are the base engine's `pass` bodies: nothing to report, no
/// scheduled runs, no suspending.
pub trait JobEngine: Send + Sync + std::fmt::Debug {
    /// Starts the job (`run_job`).
    fn run_job<'a>(&'a self, op: &'a ClusterOp, job_execution: &'a JobExecution) -> EdpFuture<'a, JobRun>;

    /// Schedules the job (`run_scheduled_job`, when `job_execution_info.job_execution_type`
    /// is `scheduled`); `None` when the engine schedules nothing.
    fn run_scheduled_job<'a>(
        &'a self,
        _op: &'a ClusterOp,
        _job_execution: &'a JobExecution,
    ) -> EdpFuture<'a, Option<JobRun>> {
        Box::pin(async { Ok(None) })
    }

    /// Asks the job to stop (`cancel_job`); the status after it, if known.
    fn cancel_job<'a>(
        &'a self,
        _op: &'a ClusterOp,
        _job_execution: &'a JobExecution,
    ) -> EdpFuture<'a, Option<JsonMap>> {
        Box::pin(async { Ok(None) })
    }

    /// The job's status now (`get_job_status`), if known.
    fn get_job_status<'a>(
        &'a self,
        _op: &'a ClusterOp,
        _job_execution: &'a JobExecution,
    ) -> EdpFuture<'a, Option<JsonMap>> {
        Box::pin(async { Ok(None) })
    }

    /// Suspends the job (`suspend_job`, optional in Sahara); the status after it, if known.
    fn suspend_job<'a>(
        &'a self,
        _op: &'a ClusterOp,
        _job_execution: &'a JobExecution,
    ) -> EdpFuture<'a, Option<JsonMap>> {
        Box::pin(async { Ok(None) })
    }

    /// Whether the engine implements [`JobEngine::suspend_job`] (`does_engine_implement`).
    fn implements_suspend(&self) -> bool {
        false
    }

    /// The job types the engine runs (`get_supported_job_types`).
    fn supported_job_types(&self) -> &'static [JobType];
}

/// What the engine asks of a plugin while it builds, scales and deletes a cluster.
pub trait Plugin: Send + Sync + std::fmt::Debug {
    /// The plugin's name (`fake`).
    fn name(&self) -> &'static str;

    /// Ports the node group's auto security group opens (`get_open_ports`).
    fn open_ports(&self, _node_group: &NodeGroup) -> Vec<u16> {
        Vec::new()
    }

    /// Before the instances are created (`update_infra`).
    fn update_infra<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    /// Configures the services on the cluster's instances (`configure_cluster`).
    fn configure_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster) -> PluginFuture<'a>;

    /// Starts the services (`start_cluster`).
    fn start_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster) -> PluginFuture<'a>;

    /// Configures and starts the services on instances added by a scale (`scale_cluster`).
    fn scale_cluster<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster, new: &'a [Instance]) -> PluginFuture<'a>;

    /// Takes the instances about to be removed out of service (`decommission_nodes`).
    fn decommission_nodes<'a>(
        &'a self,
        op: &'a ClusterOp,
        cluster: &'a Cluster,
        victims: &'a [Instance],
    ) -> PluginFuture<'a>;

    /// Before the cluster's infrastructure is deleted (`on_terminate_cluster`).
    fn on_terminate_cluster<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    /// The plugin's own health checks of the cluster (`get_health_checks`; none unless the
    /// plugin has some), run in each verification before Sahara's basic checks.
    fn health_checks(&self, _cluster: &Cluster) -> Vec<Arc<dyn HealthCheck>> {
        Vec::new()
    }

    /// The EDP engine running jobs of `job_type` on the cluster (`get_edp_engine`); `None`
    /// when the plugin runs no such job (the base plugin runs none).
    fn get_edp_engine(&self, _cluster: &Cluster, _job_type: &JobType) -> Option<Arc<dyn JobEngine>> {
        None
    }
}

/// The plugins this engine drives.
#[derive(Debug, Default)]
pub struct Plugins {
    by_name: BTreeMap<&'static str, Arc<dyn Plugin>>,
}

impl Plugins {
    /// The plugins of `[DEFAULT] plugins` that we implement (others are skipped with a warning).
    pub fn from_names(names: &[String]) -> Plugins {
        let mut by_name: BTreeMap<&'static str, Arc<dyn Plugin>> = BTreeMap::new();
        for name in names {
            match name.as_str() {
                "fake" => {
                    by_name.insert("fake", Arc::new(fake::FakePlugin));
                }
                other => tracing::warn!(plugin = other, "plugin not implemented by this engine; skipped"),
            }
        }
        Plugins { by_name }
    }

    /// The same plugins and `plugin` (under its name): tests drive the engine with plugins of
    /// their own this way.
    pub fn with_plugin(mut self, plugin: Arc<dyn Plugin>) -> Plugins {
        self.by_name.insert(plugin.name(), plugin);
        self
    }

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Plugin>> {
        self.by_name
            .get(name)
            .cloned()
            .ok_or_else(|| EngineError::Plugin(format!("Plugin {name} is not loaded")))
    }
}
