//! The plugin interface the engine drives (sahara/plugins/provisioning.py
//! `ProvisioningPluginBase`: `update_infra`, `configure_cluster`, `start_cluster`,
//! `scale_cluster`, `decommission_nodes`, `on_terminate_cluster`, `get_open_ports`,
//! `get_health_checks`) and the plugins we implement. The API keeps the plugins' metadata (services/api/src/plugins).

pub mod fake;

use crate::error::{EngineError, Result};
use crate::health::checks::HealthCheck;
use crate::progress::ClusterOp;
use sahara_model::resources::{Cluster, Instance, NodeGroup};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A boxed future of a plugin step.
pub type PluginFuture<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + 'a>>;

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

    /// The plugin called `name`.
    pub fn get(&self, name: &str) -> Result<Arc<dyn Plugin>> {
        self.by_name
            .get(name)
            .cloned()
            .ok_or_else(|| EngineError::Plugin(format!("Plugin {name} is not loaded")))
    }
}
