//! Per-project quotas of Nova, Neutron and Cinder: the real services' defaults, an
//! admin's overrides, and the check each create makes against the project's usage.
//!
//! Quota names are the services' own (`instances`, `cores`, `ram`, `key_pairs`, ...;
//! `network`, `port`, `floatingip`, ...; `volumes`, `gigabytes`, ...); no name is shared
//! between services, so one table holds them all. `-1` is unlimited.

use super::error::{QuotaExceeded, Result, SimError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which service a quota belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Nova.
    Compute,
    /// Neutron.
    Network,
    /// Cinder.
    Volume,
}

/// Nova's defaults (`[quota]` in nova.conf).
pub const COMPUTE_DEFAULTS: &[(&str, i64)] = &[
    ("instances", 10),
    ("cores", 20),
    ("ram", 51200),
    ("key_pairs", 100),
    ("server_groups", 10),
    ("server_group_members", 10),
    ("metadata_items", 128),
    ("injected_files", 5),
    ("injected_file_content_bytes", 10240),
    ("injected_file_path_bytes", 255),
];

/// Neutron's defaults (`[quotas]` in neutron.conf).
pub const NETWORK_DEFAULTS: &[(&str, i64)] = &[
    ("network", 100),
    ("subnet", 100),
    ("subnetpool", -1),
    ("port", 500),
    ("router", 10),
    ("floatingip", 50),
    ("security_group", 10),
    ("security_group_rule", 100),
    ("rbac_policy", 10),
];

/// Cinder's defaults.
pub const VOLUME_DEFAULTS: &[(&str, i64)] = &[
    ("volumes", 10),
    ("gigabytes", 1000),
    ("snapshots", 10),
    ("backups", 10),
    ("backup_gigabytes", 1000),
    ("groups", 10),
    ("per_volume_gigabytes", -1),
];

/// The defaults of `service`.
pub fn defaults(service: Service) -> &'static [(&'static str, i64)] {
    match service {
        Service::Compute => COMPUTE_DEFAULTS,
        Service::Network => NETWORK_DEFAULTS,
        Service::Volume => VOLUME_DEFAULTS,
    }
}

/// The service a quota name belongs to, if it is one.
pub fn service_of(name: &str) -> Option<Service> {
    [Service::Compute, Service::Network, Service::Volume]
        .into_iter()
        .find(|s| defaults(*s).iter().any(|(n, _)| *n == name))
}

/// The quota table: overrides per project over the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quotas {
    overrides: BTreeMap<String, BTreeMap<String, i64>>,
}

impl Quotas {
    /// The limit of `name` for `project_id`.
    pub fn limit(&self, project_id: &str, name: &str) -> i64 {
        self.overrides
            .get(project_id)
            .and_then(|o| o.get(name))
            .copied()
            .or_else(|| {
                [Service::Compute, Service::Network, Service::Volume]
                    .into_iter()
                    .flat_map(defaults)
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| *v)
            })
            .unwrap_or(-1)
    }

    /// Every limit of `service` for `project_id`, in the defaults' order.
    pub fn limits(&self, project_id: &str, service: Service) -> Vec<(&'static str, i64)> {
        defaults(service)
            .iter()
            .map(|(n, _)| (*n, self.limit(project_id, n)))
            .collect()
    }

    /// Sets a limit (an admin's quota update). Fails on an unknown name or a value
    /// below -1.
    pub fn set(&mut self, project_id: &str, name: &str, value: i64) -> Result<()> {
        if service_of(name).is_none() {
            return Err(SimError::bad_request(format!("Bad key(s) {name} in quota_set")));
        }
        if value < -1 {
            return Err(SimError::bad_request(format!(
                "Invalid input for field/attribute {name}. Value: {value}. {value} is less than the minimum of -1"
            )));
        }
        self.overrides
            .entry(project_id.to_string())
            .or_default()
            .insert(name.to_string(), value);
        Ok(())
    }

    /// Drops a project's overrides of one service (quota delete: back to defaults).
    pub fn reset(&mut self, project_id: &str, service: Service) {
        if let Some(o) = self.overrides.get_mut(project_id) {
            o.retain(|name, _| service_of(name) != Some(service));
            if o.is_empty() {
                self.overrides.remove(project_id);
            }
        }
    }

    /// Whether `requested` more of `name` fit next to `used`.
    pub fn check(&self, project_id: &str, name: &'static str, used: i64, requested: i64) -> Result<()> {
        let limit = self.limit(project_id, name);
        if requested > 0 && limit >= 0 && used + requested > limit {
            return Err(SimError::OverQuota(QuotaExceeded {
                resource: name,
                requested,
                used,
                limit,
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_services_and_overrides_win() {
        let mut q = Quotas::default();
        assert_eq!(q.limit("p", "instances"), 10);
        assert_eq!(q.limit("p", "floatingip"), 50);
        assert_eq!(q.limit("p", "gigabytes"), 1000);
        q.set("p", "instances", 2).unwrap();
        assert_eq!(q.limit("p", "instances"), 2);
        assert_eq!(q.limit("other", "instances"), 10);
        assert!(q.set("p", "bogus", 1).is_err());
        assert!(q.set("p", "cores", -2).is_err());
        q.set("p", "port", 1).unwrap();
        q.reset("p", Service::Compute);
        assert_eq!(q.limit("p", "instances"), 10);
        assert_eq!(q.limit("p", "port"), 1, "only the compute quotas went back");
    }

    #[test]
    fn check_counts_used_plus_requested() {
        let mut q = Quotas::default();
        q.set("p", "instances", 2).unwrap();
        assert!(q.check("p", "instances", 1, 1).is_ok());
        match q.check("p", "instances", 2, 1) {
            Err(SimError::OverQuota(e)) => {
                assert_eq!((e.resource, e.requested, e.used, e.limit), ("instances", 1, 2, 2));
            }
            other => panic!("expected over quota, got {other:?}"),
        }
        q.set("p", "instances", -1).unwrap();
        assert!(q.check("p", "instances", 1000, 1).is_ok());
        assert!(q.check("p", "ram", 51200, 0).is_ok(), "asking for nothing always fits");
    }

    #[test]
    fn every_name_belongs_to_one_service() {
        for s in [Service::Compute, Service::Network, Service::Volume] {
            for (n, _) in defaults(s) {
                assert_eq!(service_of(n), Some(s), "{n}");
            }
        }
    }
}
