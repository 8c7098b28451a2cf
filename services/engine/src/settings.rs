//! The engine's settings, read once from the configuration: how instances are reached,
//! the Heat template options, the waits, the periodic tasks, the cluster verifications, EDP.

use sahara_config::{
    ClusterVerificationOpts, ConfigError, ConfigOpts, SaharaEdpOpts, SaharaNetworkingOpts, SaharaPeriodicOpts,
    SaharaRemoteOpts, SaharaServiceOpts, TimeoutOpts,
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
    /// `[cluster_verifications]`: whether clusters are verified, how often, each check's limit.
    pub verifications: ClusterVerificationOpts,
    /// `[DEFAULT]` EDP options (`job_canceling_timeout`, ...).
    pub edp: SaharaEdpOpts,
    /// How often a Heat stack is polled while it is created or updated (Sahara: 1 s).
    pub stack_poll: Duration,
    /// How often a deleted stack is polled until it is gone (Sahara: 5 s).
    pub stack_delete_poll: Duration,
    /// How often instances' addresses are polled (Sahara: 1 s).
    pub ips_poll: Duration,
    /// How often an instance is tried over SSH until it answers (Sahara: 5 s).
    pub accessible_poll: Duration,
    /// How long a job cancel waits between two tries (Sahara: 3 s).
    pub cancel_poll: Duration,
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
            verifications: conf.group()?,
            edp: conf.group()?,
            stack_poll: Duration::from_secs(1),
            stack_delete_poll: Duration::from_secs(5),
            ips_poll: Duration::from_secs(1),
            accessible_poll: Duration::from_secs(5),
            cancel_poll: Duration::from_secs(3),
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

    /// `[DEFAULT] job_canceling_timeout`: how long a job cancel keeps trying (Sahara: 300 s).
    pub fn job_canceling_timeout(&self) -> Duration {
        secs(self.edp.job_canceling_timeout)
    }

    /// `[cluster_verifications] verification_timeout`: the limit of one health check.
    pub fn verification_timeout(&self) -> Duration {
        secs(self.verifications.verification_timeout)
    }

    /// The spacing of the `run_verifications` periodic task, `None` when it does not run
    /// (`get_verification_periodic_interval`: `verification_periodic_interval` unless
    /// `verification_enable` is false; as oslo.service's periodic tasks, a negative spacing
    /// disables the task and zero means the default 60 s).
    pub fn verification_periodic_spacing(&self) -> Option<Duration> {
        let v = &self.verifications;
        match v.verification_periodic_interval {
            _ if !v.verification_enable => None,
            i if i < 0 => None,
            0 => Some(Duration::from_secs(60)),
            i => Some(secs(i)),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ini: &str) -> EngineSettings {
        EngineSettings::from_conf(&ConfigOpts::from_ini_str(ini).expect("a configuration")).expect("settings")
    }

    #[test]
    fn verification_options_are_sahara_s() {
        let s = settings("");
        assert!(s.verifications.verification_enable);
        assert_eq!(s.verification_timeout(), Duration::from_secs(600));
        assert_eq!(s.verification_periodic_spacing(), Some(Duration::from_secs(600)));
        let off = settings("[cluster_verifications]\nverification_enable = false\n");
        assert_eq!(off.verification_periodic_spacing(), None);
        let negative = settings("[cluster_verifications]\nverification_periodic_interval = -1\n");
        assert_eq!(negative.verification_periodic_spacing(), None);
        let zero = settings("[cluster_verifications]\nverification_periodic_interval = 0\n");
        assert_eq!(zero.verification_periodic_spacing(), Some(Duration::from_secs(60)));
        let short = settings("[cluster_verifications]\nverification_periodic_interval = 5\nverification_timeout = 2\n");
        assert_eq!(short.verification_periodic_spacing(), Some(Duration::from_secs(5)));
        assert_eq!(short.verification_timeout(), Duration::from_secs(2));
    }

    #[test]
    fn job_canceling_timeout_is_sahara_s() {
        assert_eq!(settings("").job_canceling_timeout(), Duration::from_secs(300));
        assert_eq!(settings("").cancel_poll, Duration::from_secs(3));
        let short = settings("[DEFAULT]\njob_canceling_timeout = 7\n");
        assert_eq!(short.job_canceling_timeout(), Duration::from_secs(7));
    }
}
