//! Sahara's notifications about clusters (sahara/utils/notification/sender.py): the event types and
//! the payload of `status_notify`, shared by the API (create, its own status changes, delete) and
//! the engine (every status change).

use sahara_rpc::RequestContext;
use serde_json::{Value, json};

/// `sahara.cluster.<event>` (`create`, `update`, `delete`).
pub fn cluster_event_type(event: &str) -> String {
    format!("sahara.cluster.{event}")
}

/// `status_notify`'s payload: the cluster, its status, and the request's project and user.
pub fn cluster_status_payload(ctx: &RequestContext, cluster_id: &str, cluster_name: &str, status: &str) -> Value {
    json!({
        "cluster_id": cluster_id,
        "cluster_name": cluster_name,
        "cluster_status": status,
        "project_id": ctx.project_id,
        "user_id": ctx.user_id,
    })
}

/// The priority `[oslo_messaging_notifications] level` names (`INFO`, `warn`, `WARNING`...), INFO when
/// unknown.
pub fn priority(level: &str) -> sahara_rpc::Priority {
    sahara_rpc::Priority::ALL
        .into_iter()
        .find(|p| p.as_upper().eq_ignore_ascii_case(level))
        .unwrap_or(if level.eq_ignore_ascii_case("WARNING") {
            sahara_rpc::Priority::Warn
        } else {
            sahara_rpc::Priority::Info
        })
}

/// Where a service's cluster notifications go: `[oslo_messaging_notifications]` drivers and topics,
/// published as `publisher_id` (else `sahara`) at `level`.
#[derive(Debug, Clone)]
pub struct ClusterNotifier {
    notifier: sahara_rpc::Notifier,
    priority: sahara_rpc::Priority,
}

impl ClusterNotifier {
    /// The notifier of `conf` over `transport`.
    pub fn from_conf(
        conf: &sahara_config::ConfigOpts,
        transport: &sahara_rpc::Transport,
    ) -> Result<ClusterNotifier, Box<dyn std::error::Error + Send + Sync>> {
        let n: sahara_config::NotificationOpts = conf.group()?;
        let publisher = n
            .publisher_id
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "sahara".into());
        Ok(ClusterNotifier {
            notifier: sahara_rpc::Notifier::from_conf(transport, conf, &publisher)?,
            priority: priority(&n.level),
        })
    }

    /// `status_notify`: sends `sahara.cluster.<event>`; a failure to send is logged only, as the
    /// operation it reports on goes on.
    pub async fn status(&self, ctx: &RequestContext, cluster_id: &str, cluster_name: &str, status: &str, event: &str) {
        if !self.notifier.is_enabled() {
            return;
        }
        let payload = cluster_status_payload(ctx, cluster_id, cluster_name, status);
        let event_type = cluster_event_type(event);
        if let Err(e) = self
            .notifier
            .notify(Some(ctx), &event_type, payload, self.priority)
            .await
        {
            tracing::warn!(event_type, error = %e, "notification not sent");
        }
    }
}
