//! The Sahara engine (`sahara-engine`): serves the `sahara-ops` RPC topic and does the
//! long work the API casts to it, as sahara/service/ops.py does:
//!
//! - [`ops`]: provision, scale and terminate a cluster; update its keypair; run, cancel,
//!   suspend and delete a job execution;
//! - [`edp`]: the EDP job manager, driving the cluster plugin's job engine;
//! - [`heat`]: the cluster's Heat stack, built as Sahara builds it, created, updated, deleted;
//! - [`networks`]: which of an instance's addresses is internal and which is for management;
//! - [`progress`]: status changes, provision steps and events, notifications;
//! - [`trusts`]: the per-cluster trust the engine works through;
//! - [`plugins`]: the plugin interface the engine drives and the `fake` plugin;
//! - [`health`]: cluster verifications, their health checks and `sahara.cluster.health`;
//! - [`periodic`]: the periodic tasks, each run by one engine of those alive (a hash ring over heartbeats on the broker);
//! - [`rpc`]: the `sahara-ops` endpoint.
//!
//! Every operation re-reads the cluster between steps and stops quietly once it is gone or
//! `Deleting`: a delete wins over any step in flight, on whichever engine it runs.

pub mod edp;
pub mod error;
pub mod health;
pub mod heat;
pub mod instances;
pub mod networks;
pub mod ops;
pub mod periodic;
pub mod plugins;
pub mod progress;
pub mod rpc;
pub mod settings;
pub mod trusts;
pub mod volumes;

pub use error::{EngineError, Result};
pub use settings::EngineSettings;

use sahara_config::ConfigOpts;
use sahara_model::conductor::ConductorClient;
use sahara_model::notification::ClusterNotifier;

/// The engine's type and version, as `get_engine_type_and_version` answers (Heat engine 3.0).
pub const ENGINE_TYPE_AND_VERSION: &str = "heat.3.0";
/// The remote driver's type and version stored in `cluster.sahara_info`.
pub use sahara_remote::REMOTE_TYPE_AND_VERSION;

/// Everything an engine operation needs.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The conductor clusters, instances, steps and events are read and written through.
    pub conductor: ConductorClient,
    /// The cloud's clients (Keystone, Heat, Nova, Neutron, Glance, Cinder) with Sahara's retries.
    pub cloud: sahara_openstack::Transport,
    /// The options the engine reads.
    pub settings: std::sync::Arc<EngineSettings>,
    /// `sahara.cluster.*` notifications (off unless `[oslo_messaging_notifications] driver` is set).
    pub notifier: ClusterNotifier,
    /// The plugins the engine drives (`[DEFAULT] plugins` that we implement).
    pub plugins: std::sync::Arc<plugins::Plugins>,
    /// How instances are reached, with the process-wide remote limit.
    pub remote: sahara_remote::Remote,
}

impl Engine {
    /// An engine described by `conf`, reaching the conductor through `conductor` and sending
    /// notifications over `notifications`.
    pub fn from_conf(
        conf: &ConfigOpts,
        conductor: ConductorClient,
        notifications: &sahara_rpc::Transport,
    ) -> anyhow::Result<Engine> {
        let settings = EngineSettings::from_conf(conf)?;
        let plugins = plugins::Plugins::from_names(&settings.service.plugins);
        Ok(Engine {
            conductor,
            cloud: sahara_openstack::Transport::new(sahara_openstack::ClientConfig::from_conf(conf)?)?,
            notifier: ClusterNotifier::from_conf(conf, notifications).map_err(|e| anyhow::anyhow!("{e}"))?,
            remote: sahara_remote::Remote::new(settings.remote_settings()),
            settings: std::sync::Arc::new(settings),
            plugins: std::sync::Arc::new(plugins),
        })
    }
}
