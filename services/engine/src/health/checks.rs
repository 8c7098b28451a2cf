//! The health checks themselves (sahara/plugins/health_check_base.py): the interface a check
//! implements, how one runs and records itself (`BasicHealthCheck.execute`), and Sahara's basic
//! checks, run on every cluster after the plugin's own:
//!
//! - "Check of instances accessibility" (`AllInstancesAccessible`): RED when some instance cannot
//!   be reached over SSH;
//! - "Check of '/etc/resolv.conf' files" (`ResolvConfIsUnchanged`), only for clusters using
//!   Designate: RED when some instance's `/etc/resolv.conf` cannot be read or lacks one of
//!   `[DEFAULT] nameservers`.
//!
//! Both read what `AlertsProvider` gathered once, before any check starts: every instance's
//! `/etc/resolv.conf` over SSH ([`InstancesData::gather`]).

use super::{HealthError, Recorder};
use crate::instances::{self, Exec};
use crate::progress::ClusterOp;
use sahara_model::enums::HealthStatus;
use sahara_model::resources::{Cluster, Instance};
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

/// The description of a check that ran out of `[cluster_verifications] verification_timeout`.
pub const TIMED_OUT: &str = "Health check timed out";

/// The future of a check's verdict: the description of a healthy result, or why it is not.
pub type CheckFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, HealthError>> + Send + 'a>>;

/// A health check of a cluster (`BasicHealthCheck`).
pub trait HealthCheck: Send + Sync + std::fmt::Debug {
    /// The check's name (`get_health_check_name`), shown with its result.
    fn name(&self) -> String;

    /// Whether the check applies to `cluster` (`is_available`); one that does not is not recorded.
    fn is_available(&self, _cluster: &Cluster) -> bool {
        true
    }

    /// `check_health`: the description of a GREEN result; [`HealthError::Unhealthy`] for a RED
    /// or YELLOW one (its text is the description); any other error counts as RED.
    fn check_health<'a>(&'a self, op: &'a ClusterOp, cluster: &'a Cluster) -> CheckFuture<'a>;
}

/// What `AlertsProvider` gathers before the checks start: each instance (by its management IP,
/// or DNS name with Designate) and its `/etc/resolv.conf`, `None` when it could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstancesData {
    entries: Vec<(String, Option<String>)>,
}

impl InstancesData {
    /// The data of `entries` (a later entry with the same key replaces an earlier one, as in
    /// Sahara's dictionary).
    pub fn from_entries(entries: impl IntoIterator<Item = (String, Option<String>)>) -> Self {
        let mut data = InstancesData::default();
        for (key, value) in entries {
            match data.entries.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => data.entries.push((key, value)),
            }
        }
        data
    }

    /// `get_alerts_data`: reads `/etc/resolv.conf` (`cat`, a failure being no error) on every
    /// instance of the cluster at once, each over an SSH connection of its own.
    pub async fn gather(op: &ClusterOp, cluster: &Cluster) -> Self {
        let designate = use_designate_feature(op, cluster);
        let reads = cluster.instances().map(|instance| {
            let span = tracing::debug_span!("health.resolv_conf", cluster_id = %cluster.id,
                instance = %instance.instance_name);
            async move {
                let key = ip_or_dns_name(instance, designate);
                (key, read_resolv_conf(op, cluster, instance).await)
            }
            .instrument(span)
        });
        Self::from_entries(futures_util::future::join_all(reads).await)
    }

    /// `get_accessibility_data`: the instances that could not be read.
    pub fn inaccessible(&self) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(_, data)| data.is_none())
            .map(|(key, _)| key.as_str())
            .collect()
    }

    /// `get_resolv_conf_data`: the instances that could not be read, and those whose
    /// `/etc/resolv.conf` lacks one of `nameservers`.
    pub fn resolv_conf_data(&self, nameservers: &[String]) -> (Vec<&str>, Vec<&str>) {
        let mut unread = Vec::new();
        let mut wrong = Vec::new();
        for (key, data) in &self.entries {
            match data {
                None => unread.push(key.as_str()),
                Some(text) if nameservers.iter().any(|ns| !text.contains(ns.as_str())) => wrong.push(key.as_str()),
                Some(_) => {}
            }
        }
        (unread, wrong)
    }
}

/// `Cluster.use_designate_feature`: `[DEFAULT] use_designate` and a domain name on the cluster.
fn use_designate_feature(op: &ClusterOp, cluster: &Cluster) -> bool {
    op.engine.settings.networking.use_designate && cluster.domain_name.as_deref().is_some_and(|d| !d.is_empty())
}

/// `Instance.get_ip_or_dns_name`: the DNS name with Designate, else the management IP (the
/// instance's name when it has neither, where Sahara would fail to join the names).
pub fn ip_or_dns_name(instance: &Instance, designate: bool) -> String {
    let dns = designate.then_some(instance.dns_hostname.as_deref()).flatten();
    dns.or(instance.management_ip.as_deref())
        .unwrap_or(&instance.instance_name)
        .to_string()
}

/// `_instance_get_data`: `cat /etc/resolv.conf` on `instance`; `None` when it cannot be reached
/// or the command fails.
async fn read_resolv_conf(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Option<String> {
    let r = match instances::connect(op, cluster, instance).await {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(instance = %instance.instance_name, error = %e, "Couldn't read '/etc/resolv.conf'");
            return None;
        }
    };
    let how = Exec {
        raise: false,
        ..Exec::default()
    };
    let out = r.exec("cat /etc/resolv.conf", how).await;
    r.close().await;
    match out {
        Ok(out) if out.exit_code == 0 => Some(out.stdout),
        Ok(_) => None,
        Err(e) => {
            tracing::warn!(instance = %instance.instance_name, error = %e, "Couldn't read '/etc/resolv.conf'");
            None
        }
    }
}

/// "Check of instances accessibility" (`AllInstancesAccessible`).
#[derive(Debug, Clone)]
pub struct AllInstancesAccessible {
    data: Arc<InstancesData>,
}

impl AllInstancesAccessible {
    /// The check over what was gathered.
    pub fn new(data: Arc<InstancesData>) -> Self {
        AllInstancesAccessible { data }
    }

    /// The verdict on the gathered data.
    pub fn verdict(&self) -> Result<String, HealthError> {
        let bad = self.data.inaccessible();
        if bad.is_empty() {
            return Ok("All instances are available".into());
        }
        let instances = bad.join(", ");
        tracing::error!("Instances ({instances}) are not available in the cluster");
        Err(HealthError::red(format!(
            "Instances ({instances}) are not available in the cluster."
        )))
    }
}

impl HealthCheck for AllInstancesAccessible {
    fn name(&self) -> String {
        "Check of instances accessibility".into()
    }

    fn check_health<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> CheckFuture<'a> {
        Box::pin(async move { self.verdict() })
    }
}

/// "Check of '/etc/resolv.conf' files" (`ResolvConfIsUnchanged`), for clusters using Designate.
///
/// Sahara 19 iterates the gathered data with Python 2's `dict.iteritems`, so under Python 3 this
/// check always ends RED with "'dict' object has no attribute 'iteritems'"; this is the check
/// Sahara meant, not that failure.
#[derive(Debug, Clone)]
pub struct ResolvConfIsUnchanged {
    data: Arc<InstancesData>,
    nameservers: Vec<String>,
}

impl ResolvConfIsUnchanged {
    /// The check over what was gathered, expecting `nameservers` (`[DEFAULT] nameservers`).
    pub fn new(data: Arc<InstancesData>, nameservers: Vec<String>) -> Self {
        ResolvConfIsUnchanged { data, nameservers }
    }

    /// The verdict on the gathered data.
    pub fn verdict(&self) -> Result<String, HealthError> {
        let (unread, wrong) = self.data.resolv_conf_data(&self.nameservers);
        let unread_msg = if unread.is_empty() {
            String::new()
        } else {
            format!("Couldn't read '/etc/resolv.conf' on instances: {}.", unread.join(", "))
        };
        let wrong_msg = if wrong.is_empty() {
            String::new()
        } else {
            format!(
                "Instances ({}) have incorrect '/etc/resolv.conf' file, expected nameservers: {}.",
                wrong.join(", "),
                self.nameservers.join(", ")
            )
        };
        if unread_msg.is_empty() && wrong_msg.is_empty() {
            return Ok("All instances have correct '/etc/resolv.conf' file".into());
        }
        let reason = format!("{wrong_msg} {unread_msg}");
        tracing::error!("{reason}");
        Err(HealthError::red(reason))
    }
}

impl HealthCheck for ResolvConfIsUnchanged {
    fn name(&self) -> String {
        "Check of '/etc/resolv.conf' files".into()
    }

    fn check_health<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> CheckFuture<'a> {
        Box::pin(async move { self.verdict() })
    }
}

/// `get_basic`: gathers the instances' data, then Sahara's basic checks over it.
pub async fn basic_checks(op: &ClusterOp, cluster: &Cluster) -> Vec<Arc<dyn HealthCheck>> {
    let data = Arc::new(InstancesData::gather(op, cluster).await);
    let mut checks: Vec<Arc<dyn HealthCheck>> = vec![Arc::new(AllInstancesAccessible::new(data.clone()))];
    if use_designate_feature(op, cluster) {
        let nameservers = op.engine.settings.networking.nameservers.clone();
        checks.push(Arc::new(ResolvConfIsUnchanged::new(data, nameservers)));
    }
    checks
}

/// The status and description a check's verdict is recorded with: GREEN with the description,
/// the status of an [`HealthError::Unhealthy`] with its text, RED with the text of anything else.
pub fn outcome(verdict: Result<String, HealthError>) -> (HealthStatus, String) {
    match verdict {
        Ok(description) => (HealthStatus::Green, description),
        Err(e) => {
            let status = match &e {
                HealthError::Unhealthy { status, .. } => status.clone(),
                _ => HealthStatus::Red,
            };
            (status, e.to_string())
        }
    }
}

/// `BasicHealthCheck.execute`: within `limit`, unless the check does not apply, records it as
/// CHECKING (with a notification) and runs it; then records its status and description (with a
/// notification). A check out of time is YELLOW, "Health check timed out". Answers an error only
/// when the check could not be recorded.
pub(super) async fn execute(rec: &Recorder<'_>, check: &dyn HealthCheck, limit: Duration) -> Result<(), HealthError> {
    let name = check.name();
    let started: std::sync::Mutex<Option<String>> = std::sync::Mutex::default();
    let run = async {
        if !check.is_available(rec.cluster) {
            return Ok(None);
        }
        let id = rec.indicate_start(&name).await?;
        *started.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
        Ok::<_, HealthError>(Some(outcome(check.check_health(rec.op, rec.cluster).await)))
    };
    let (status, description) = match tokio::time::timeout(limit, run).await {
        Ok(Ok(None)) => return Ok(()),
        Ok(Ok(Some(result))) => result,
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            tracing::warn!(check = %name, limit = ?limit, "health check timed out");
            (HealthStatus::Yellow, TIMED_OUT.to_string())
        }
    };
    let id = started.lock().unwrap_or_else(|p| p.into_inner()).take();
    // Out of time before it was even recorded: recorded now, so that its result shows (Sahara fails the
    // whole verification there, which then stays CHECKING and refuses any later start).
    let id = match id {
        Some(id) => id,
        None => rec.indicate_start(&name).await?,
    };
    rec.write_result(&id, status, &description).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(entries: &[(&str, Option<&str>)]) -> Arc<InstancesData> {
        Arc::new(InstancesData::from_entries(
            entries.iter().map(|(k, v)| (k.to_string(), v.map(str::to_string))),
        ))
    }

    #[test]
    fn instances_not_read_make_the_accessibility_check_red() {
        let all = AllInstancesAccessible::new(data(&[
            ("10.0.0.2", Some("nameserver 8.8.8.8\n")),
            ("10.0.0.3", Some("")),
        ]));
        assert_eq!(
            outcome(all.verdict()),
            (HealthStatus::Green, "All instances are available".into())
        );
        let some = AllInstancesAccessible::new(data(&[("10.0.0.2", None), ("10.0.0.3", Some("")), ("10.0.0.4", None)]));
        assert_eq!(
            outcome(some.verdict()),
            (
                HealthStatus::Red,
                "Cluster health is RED. Reason: Instances (10.0.0.2, 10.0.0.4) are not available in the cluster."
                    .into()
            )
        );
        // No instance at all: nothing is unavailable.
        assert_eq!(
            outcome(AllInstancesAccessible::new(data(&[])).verdict()).0,
            HealthStatus::Green
        );
    }

    #[test]
    fn a_later_entry_of_the_same_instance_replaces_the_earlier() {
        let d = data(&[("10.0.0.2", None), ("10.0.0.2", Some(""))]);
        assert!(d.inaccessible().is_empty());
    }

    #[test]
    fn resolv_conf_check_reports_unread_and_incorrect_files() {
        let ns = vec!["10.1.1.1".to_string(), "10.1.1.2".to_string()];
        let good = "nameserver 10.1.1.1\nnameserver 10.1.1.2\n";
        let ok = ResolvConfIsUnchanged::new(data(&[("a", Some(good))]), ns.clone());
        assert_eq!(
            outcome(ok.verdict()),
            (
                HealthStatus::Green,
                "All instances have correct '/etc/resolv.conf' file".into()
            )
        );
        let bad = ResolvConfIsUnchanged::new(
            data(&[("a", Some(good)), ("b", Some("nameserver 10.1.1.1\n")), ("c", None)]),
            ns.clone(),
        );
        assert_eq!(
            outcome(bad.verdict()).1,
            "Cluster health is RED. Reason: Instances (b) have incorrect '/etc/resolv.conf' file, expected \
             nameservers: 10.1.1.1, 10.1.1.2. Couldn't read '/etc/resolv.conf' on instances: c."
        );
        let unread = ResolvConfIsUnchanged::new(data(&[("c", None)]), ns);
        assert_eq!(
            outcome(unread.verdict()).1,
            "Cluster health is RED. Reason:  Couldn't read '/etc/resolv.conf' on instances: c."
        );
    }

    #[test]
    fn outcomes_follow_the_error_s_status() {
        assert_eq!(
            outcome(Err(HealthError::yellow("slow"))),
            (HealthStatus::Yellow, "Cluster health is YELLOW. Reason: slow".into())
        );
        let other = HealthError::Engine(crate::error::EngineError::Remote("ssh: refused".into()));
        assert_eq!(outcome(Err(other)), (HealthStatus::Red, "ssh: refused".into()));
    }

    #[test]
    fn instances_are_named_by_address_or_dns_name() {
        let mut i: Instance = serde_json::from_value(serde_json::json!({
            "id": "i1", "instance_name": "demo-worker-0", "management_ip": "172.24.4.10",
            "dns_hostname": "demo-worker-0.example.org."
        }))
        .expect("an instance");
        assert_eq!(ip_or_dns_name(&i, false), "172.24.4.10");
        assert_eq!(ip_or_dns_name(&i, true), "demo-worker-0.example.org.");
        i.management_ip = None;
        i.dns_hostname = None;
        assert_eq!(ip_or_dns_name(&i, true), "demo-worker-0");
    }
}
