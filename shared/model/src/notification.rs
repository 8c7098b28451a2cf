//! Sahara's notifications about clusters (sahara/utils/notification/sender.py): the event types and
//! the payloads of `status_notify`, shared by the API (create, its own status changes, delete) and
//! the engine (every status change), and of `health_notify`, sent by the engine for each health
//! check as it starts and as it ends.

use crate::resources::ClusterHealthCheck;
use sahara_rpc::RequestContext;
use serde_json::{Value, json};

/// `HEALTH_EVENT_TYPE`: the event type of `health_notify`.
pub const HEALTH_EVENT_TYPE: &str = "sahara.cluster.health";

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

/// `health_notify`'s payload (`_health_notification_body`, then the request's project and user):
/// the cluster, the verification the check belongs to, and the check's status, name,
/// description and times (Sahara's `YYYY-MM-DDTHH:MM:SS`, or null).
pub fn health_check_payload(
    ctx: &RequestContext,
    cluster_id: &str,
    cluster_name: &str,
    verification_id: &str,
    check: &ClusterHealthCheck,
) -> Value {
    let time = |t: &Option<chrono::NaiveDateTime>| t.as_ref().map(crate::timestamp::format);
    json!({
        "cluster_id": cluster_id,
        "cluster_name": cluster_name,
        "verification_id": verification_id,
        "health_check_status": check.status.as_ref().map(|s| s.as_str()),
        "health_check_name": check.name,
        "health_check_description": check.description,
        "created_at": time(&check.created_at),
        "updated_at": time(&check.updated_at),
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
        self.send(ctx, &cluster_event_type(event), payload).await;
    }

    /// `health_notify`: sends `sahara.cluster.health` about `check` of verification
    /// `verification_id`; a failure to send is logged only, as the verification goes on.
    pub async fn health(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        cluster_name: &str,
        verification_id: &str,
        check: &ClusterHealthCheck,
    ) {
        if !self.notifier.is_enabled() {
            return;
        }
        let payload = health_check_payload(ctx, cluster_id, cluster_name, verification_id, check);
        self.send(ctx, HEALTH_EVENT_TYPE, payload).await;
    }

    async fn send(&self, ctx: &RequestContext, event_type: &str, payload: Value) {
        tracing::debug!(event_type, "Notification about cluster is going to be sent");
        if let Err(e) = self
            .notifier
            .notify(Some(ctx), event_type, payload, self.priority)
            .await
        {
            tracing::warn!(event_type, error = %e, "notification not sent");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enums::HealthStatus;

    #[test]
    fn health_payloads_are_sahara_s() {
        let ctx = RequestContext::for_user("u1", "p1");
        let check = ClusterHealthCheck {
            id: "hc1".into(),
            verification_id: Some("v1".into()),
            status: Some(HealthStatus::Checking),
            description: None,
            name: Some("Check of instances accessibility".into()),
            created_at: crate::timestamp::parse("2024-05-01T10:20:30.123456"),
            updated_at: None,
        };
        assert_eq!(
            health_check_payload(&ctx, "c1", "demo", "v1", &check),
            json!({
                "cluster_id": "c1", "cluster_name": "demo", "verification_id": "v1",
                "health_check_status": "CHECKING", "health_check_name": "Check of instances accessibility",
                "health_check_description": null, "created_at": "2024-05-01T10:20:30", "updated_at": null,
                "project_id": "p1", "user_id": "u1",
            })
        );
        assert_eq!(HEALTH_EVENT_TYPE, cluster_event_type("health"));
        // A periodic verification runs with an admin context of no project or user.
        let admin = health_check_payload(&RequestContext::admin(), "c1", "demo", "v1", &check);
        assert_eq!((&admin["project_id"], &admin["user_id"]), (&Value::Null, &Value::Null));
    }
}
