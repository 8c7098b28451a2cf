//! The engine's settings, read once from the configuration: how instances are reached,
//! the Heat template options, the waits, the periodic tasks.

use sahara_config::{
    ConfigError, ConfigOpts, SaharaNetworkingOpts, SaharaPeriodicOpts, SaharaRemoteOpts, SaharaServiceOpts, TimeoutOpts,
};
use std::time::Duration;

/// Everything the engine reads from `sahara.conf`.
#[derive(Debug, Clone)]
pub struct EngineSettings {
    /// `[DEFAULT]` networking: floating IPs, namespaces, rootwrap, node domain.
    pub networking: SaharaNetworkingOpts,
    /// `[DEFAULT]` remote: proxy command, thresholds, SSH timeouts.
    pub remote: SaharaRemoteOpts,
    /// `[DEFAULT]` service options: plugins, Heat tags and wait condition, proxy users, event log.
    pub service: SaharaServiceOpts,
    /// `[DEFAULT]` periodic tasks and their coordination.
    pub periodic: SaharaPeriodicOpts,
    /// `[timeouts]`.
    pub timeouts: TimeoutOpts,
    /// How often a Heat stack is polled while it is created or updated (Sahara: 1 s).
    pub stack_poll: Duration,
    /// How often a deleted stack is polled until it is gone (Sahara: 5 s).
    pub stack_delete_poll: Duration,
    /// How often instances' addresses are polled (Sahara: 1 s).
    pub ips_poll: Duration,
    /// How often an instance is tried over SSH until it answers (Sahara: 5 s).
    pub accessible_poll: Duration,
}

impl EngineSettings {
    /// The settings of `conf`.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self, ConfigError> {
        Ok(EngineSettings {
            networking: conf.group()?,
            remote: conf.group()?,
            service: conf.group()?,
            periodic: conf.group()?,
            timeouts: conf.group()?,
            stack_poll: Duration::from_secs(1),
            stack_delete_poll: Duration::from_secs(5),
            ips_poll: Duration::from_secs(1),
            accessible_poll: Duration::from_secs(5),
        })
    }

    /// `[timeouts] ips_assign_timeout`.
    pub fn ips_assign_timeout(&self) -> Duration {
        secs(self.timeouts.ips_assign_timeout)
    }

    /// `[timeouts] wait_until_accessible`.
    pub fn wait_until_accessible(&self) -> Duration {
        secs(self.timeouts.wait_until_accessible)
    }
}

impl EngineSettings {
    /// The remote driver's settings.
    pub fn remote_settings(&self) -> sahara_remote::RemoteSettings {
        let r = &self.remote;
        sahara_remote::RemoteSettings {
            proxy_command: r.proxy_command.clone(),
            proxy_command_use_internal_ip: r.proxy_command_use_internal_ip,
            use_namespaces: self.networking.use_namespaces,
            use_rootwrap: self.networking.use_rootwrap,
            rootwrap_command: self.networking.rootwrap_command.clone(),
            ssh_timeout_common: Duration::from_secs(r.ssh_timeout_common),
            ssh_timeout_files: Duration::from_secs(r.ssh_timeout_files),
            ssh_timeout_interactive: Duration::from_secs(r.ssh_timeout_interactive),
            global_remote_threshold: usize::try_from(r.global_remote_threshold.max(1)).unwrap_or(1),
            cluster_remote_threshold: usize::try_from(r.cluster_remote_threshold.max(1)).unwrap_or(1),
        }
    }
}

fn secs(s: i64) -> Duration {
    Duration::from_secs(s.max(0) as u64)
}
