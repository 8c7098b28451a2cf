//! Cluster verifications (sahara/service/health/verification_base.py): a verification is a row
//! with the cluster's health checks under it, each recorded as it starts (CHECKING) and ends
//! (GREEN, YELLOW or RED, with a description), each change sent as `sahara.cluster.health`.
//!
//! - [`handle_verification`]: the `sahara-ops` method the API casts when a user asks for a
//!   verification (`{"verification": {"status": "START"}}`), and the periodic task
//!   `run_verifications` runs for every `Active` cluster;
//! - [`refresh_health_for_cluster`]: what a successful provision or scale does once the cluster
//!   is `Active` (`_refresh_health_for_cluster`);
//! - [`verification_run`]: the previous verification of the cluster is deleted with its checks,
//!   a new one made CHECKING, the plugin's checks and Sahara's basic ones ([`checks`]) run at
//!   once, each within `[cluster_verifications] verification_timeout`, then the verification
//!   takes its overall status ([`decide_status`]).
//!
//! The instances are reached over the access path the configuration chooses, through the
//! cluster's trust (the periodic task's admin context carries no token of its own).

pub mod checks;

#[cfg(test)]
mod tests;

use crate::error::EngineError;
use crate::progress::ClusterOp;
use crate::{Engine, trusts};
use checks::HealthCheck;
use sahara_model::conductor::ConductorCallError;
use sahara_model::enums::{ClusterStatus, HealthStatus, VerificationOp};
use sahara_model::resources::{Cluster, ClusterHealthCheck, ClusterVerification};
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tracing::Instrument;

/// What a health check or a verification can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    /// A check found the cluster unhealthy (Sahara's `RedHealthError` / `YellowHealthError`):
    /// the check ends with `status` and this text as its description.
    #[error("Cluster health is {status}. Reason: {reason}")]
    Unhealthy {
        /// RED or YELLOW.
        status: HealthStatus,
        /// Why.
        reason: String,
    },
    /// A verification may not start now (`CannotVerifyError`).
    #[error("Cannot verify cluster. Reason: {0}")]
    CannotVerify(String),
    /// The engine failed (the conductor, the cloud, the cluster gone...).
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl HealthError {
    /// `RedHealthError(reason)`.
    pub fn red(reason: impl Into<String>) -> Self {
        HealthError::Unhealthy {
            status: HealthStatus::Red,
            reason: reason.into(),
        }
    }

    /// `YellowHealthError(reason)`.
    pub fn yellow(reason: impl Into<String>) -> Self {
        HealthError::Unhealthy {
            status: HealthStatus::Yellow,
            reason: reason.into(),
        }
    }

    fn is_gone(&self) -> bool {
        matches!(self, HealthError::Engine(e) if e.is_gone())
    }
}

impl From<ConductorCallError> for HealthError {
    fn from(e: ConductorCallError) -> Self {
        HealthError::Engine(e.into())
    }
}

impl From<HealthError> for EngineError {
    fn from(e: HealthError) -> Self {
        match e {
            HealthError::Engine(e) => e,
            other => EngineError::Invalid(other.to_string()),
        }
    }
}

/// `values.verification.status`: the operation an update asks of the verifications.
pub fn requested_op(values: &Value) -> Option<VerificationOp> {
    values
        .get("verification")?
        .get("status")?
        .as_str()
        .map(VerificationOp::parse)
}

/// `{"verification": {"status": "START"}}`, what starts a verification.
pub fn start_values() -> Value {
    json!({"verification": {"status": VerificationOp::Start.as_str()}})
}

/// `_decide_status_for_verification`: GREEN when every check is (and when there is none), RED
/// when one is, YELLOW otherwise.
pub fn decide_status(checks: &[ClusterHealthCheck]) -> HealthStatus {
    let count = |s: HealthStatus| checks.iter().filter(|c| c.status.as_ref() == Some(&s)).count();
    if count(HealthStatus::Green) == checks.len() {
        HealthStatus::Green
    } else if count(HealthStatus::Red) > 0 {
        HealthStatus::Red
    } else {
        HealthStatus::Yellow
    }
}

/// Why a verification of `cluster` (as stored now) may not start (`validate_verification_start`),
/// or `None` when it may: verifications off, the cluster gone or not `Active`, or its
/// verification still CHECKING.
pub fn start_refusal(enabled: bool, cluster: Option<&Cluster>) -> Option<String> {
    if !enabled {
        return Some("All verifications are disabled".into());
    }
    let Some(cluster) = cluster.filter(|c| c.status == Some(ClusterStatus::Active)) else {
        return Some("Cluster is not active or doesn't exists".into());
    };
    match &cluster.verification {
        Some(v) if v.status == Some(HealthStatus::Checking) => {
            Some(format!("Cluster verification in state {}", HealthStatus::Checking))
        }
        _ => None,
    }
}

/// `validate_verification_start` on the cluster as stored now: [`HealthError::CannotVerify`]
/// with [`start_refusal`]'s reason.
pub async fn validate_verification_start(op: &ClusterOp) -> Result<(), HealthError> {
    let enabled = op.engine.settings.verifications.verification_enable;
    let cluster = if enabled { op.cluster_opt().await? } else { None };
    match start_refusal(enabled, cluster.as_ref()) {
        Some(reason) => Err(HealthError::CannotVerify(reason)),
        None => Ok(()),
    }
}

/// `handle_verification(cluster_id, values)`: runs a verification of the cluster when `values`
/// asks for one (`{"verification": {"status": "START"}}`), through the cluster's trust. The API
/// checked that it may start; a cluster gone or being deleted meanwhile stops it quietly, and a
/// failure is logged (the verification then stays as far as it got, as in Sahara).
pub async fn handle_verification(engine: Engine, ctx: RequestContext, cluster_id: String, values: Value) {
    let span = tracing::info_span!("verification", cluster_id = %cluster_id, request_id = %ctx.request_id);
    async move {
        let op = ClusterOp::new(engine, ctx, cluster_id);
        let result = async {
            op.cluster().await?;
            if requested_op(&values) != Some(VerificationOp::Start) {
                return Ok(None);
            }
            work_through_trust(&op).await?;
            verification_run(&op).await.map(Some)
        }
        .await;
        match result {
            Ok(Some(v)) => tracing::info!(verification_id = %v.id, status = ?v.status.as_ref().map(|s| s.as_str()),
                "cluster verification done"),
            Ok(None) => {}
            Err(e) if e.is_gone() => tracing::debug!(error = %e, "cluster gone: no verification"),
            Err(e) => tracing::error!(error = %e, "cluster verification failed"),
        }
    }
    .instrument(span)
    .await
}

/// Later cloud calls of `op` (a router looked up for the access path) use the cluster's trust.
/// Should the trust not authenticate, the request's own token (if any) is tried instead.
async fn work_through_trust(op: &ClusterOp) -> Result<(), HealthError> {
    match trusts::use_cluster_trust(op).await {
        Ok(()) => Ok(()),
        Err(e) if e.is_gone() => Err(e.into()),
        Err(e) => {
            tracing::warn!(error = %e, "cannot work through the cluster's trust; going on with the request's credentials");
            Ok(())
        }
    }
}

/// `_refresh_health_for_cluster`, once a provision or a scale made the cluster `Active`: a
/// verification runs unless verifications are off or one is running; any failure only deletes
/// the verification (the cluster stays as it is).
pub async fn refresh_health_for_cluster(op: &ClusterOp) {
    let span = tracing::info_span!("verification.refresh", cluster_id = %op.cluster_id);
    async {
        let result = async {
            validate_verification_start(op).await?;
            verification_run(op).await
        }
        .await;
        match result {
            Ok(_) => {}
            Err(HealthError::CannotVerify(reason)) => tracing::debug!(
                reason = %reason,
                "Cannot verify cluster because verifications are disabled or cluster already is verifying"
            ),
            Err(e) => {
                tracing::debug!(error = %e, "Skipping refreshing cluster health");
                clean_verification_data(op).await;
            }
        }
    }
    .instrument(span)
    .await
}

/// `clean_verification_data`: deletes the cluster's verification, if any (one already gone is
/// no error); a failure is logged.
pub async fn clean_verification_data(op: &ClusterOp) {
    let cluster = match op.cluster_opt().await {
        Ok(Some(c)) => c,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the cluster to clean its verification");
            return;
        }
    };
    if let Some(v) = &cluster.verification
        && let Err(e) = delete_verification(op, &v.id).await
    {
        tracing::warn!(verification_id = %v.id, error = %e, "cannot delete the verification");
    }
}

/// Deletes verification `id` with its checks; one gone already is no error.
async fn delete_verification(op: &ClusterOp, id: &str) -> Result<(), ConductorCallError> {
    match op.engine.conductor.cluster_verification_delete(&op.ctx, id).await {
        Err(e) if e.is_not_found() => {
            tracing::debug!("Verification data already cleaned");
            Ok(())
        }
        other => other,
    }
}

/// `verification_run`: the cluster's previous verification deleted, a new one CHECKING, every
/// check run at once, then the verification's overall status; answers the verification.
pub async fn verification_run(op: &ClusterOp) -> Result<ClusterVerification, HealthError> {
    let cluster = op.cluster().await?;
    tracing::debug!("Running verification for the cluster");
    let (verification, cluster) = prepare_verification_running(op, &cluster).await?;
    execute_health_checks(op, &cluster, &verification.id).await?;
    decide_status_for_verification(op, &verification.id).await
}

/// `_prepare_verification_running`: the previous verification goes (with its checks), a new
/// one is added CHECKING; answers it and the cluster read again (showing it).
async fn prepare_verification_running(
    op: &ClusterOp,
    cluster: &Cluster,
) -> Result<(ClusterVerification, Cluster), HealthError> {
    if let Some(previous) = &cluster.verification {
        delete_verification(op, &previous.id).await?;
    }
    let mut values = Map::new();
    values.insert("status".into(), json!(HealthStatus::Checking.as_str()));
    let verification = op
        .engine
        .conductor
        .cluster_verification_add(&op.ctx, &cluster.id, values)
        .await?;
    Ok((verification, op.cluster().await?))
}

/// `_execute_health_checks`: the plugin's checks then Sahara's basic ones (their data gathered
/// first), all run at once; the first failure to record one is answered once all ended.
async fn execute_health_checks(op: &ClusterOp, cluster: &Cluster, verification_id: &str) -> Result<(), HealthError> {
    let plugin = op.engine.plugins.get(&cluster.plugin_name)?;
    let mut all: Vec<Arc<dyn HealthCheck>> = plugin.health_checks(cluster);
    all.extend(checks::basic_checks(op, cluster).await);
    let rec = Recorder {
        op,
        cluster,
        verification_id,
    };
    let limit = op.engine.settings.verification_timeout();
    let runs = all.iter().map(|check| {
        let span = tracing::info_span!("health_check", cluster_id = %cluster.id, check = %check.name());
        checks::execute(&rec, check.as_ref(), limit).instrument(span)
    });
    futures_util::future::join_all(runs)
        .await
        .into_iter()
        .collect::<Result<Vec<()>, _>>()?;
    Ok(())
}

/// `_decide_status_for_verification`: the verification's status from its checks as recorded.
async fn decide_status_for_verification(
    op: &ClusterOp,
    verification_id: &str,
) -> Result<ClusterVerification, HealthError> {
    let conductor = &op.engine.conductor;
    let verification = conductor
        .cluster_verification_get(&op.ctx, verification_id)
        .await?
        .ok_or_else(|| EngineError::Internal(format!("Verification id '{verification_id}' not found!")))?;
    let mut values = Map::new();
    values.insert("status".into(), json!(decide_status(&verification.checks).as_str()));
    Ok(conductor
        .cluster_verification_update(&op.ctx, verification_id, values)
        .await?)
}

/// Where the checks of one verification are recorded, and notified.
pub(crate) struct Recorder<'a> {
    op: &'a ClusterOp,
    cluster: &'a Cluster,
    verification_id: &'a str,
}

impl Recorder<'_> {
    /// `_indicate_start`: the check added CHECKING under the verification, and notified; answers
    /// its id.
    async fn indicate_start(&self, name: &str) -> Result<String, HealthError> {
        let mut values = Map::new();
        values.insert("status".into(), json!(HealthStatus::Checking.as_str()));
        values.insert("name".into(), json!(name));
        let conductor = &self.op.engine.conductor;
        let added = conductor
            .cluster_health_check_add(&self.op.ctx, self.verification_id, values)
            .await?;
        let check = conductor
            .cluster_health_check_get(&self.op.ctx, &added.id)
            .await?
            .unwrap_or(added);
        self.notify(&check).await;
        Ok(check.id)
    }

    /// `_write_result`: the check's status and description recorded, and notified.
    async fn write_result(&self, id: &str, status: HealthStatus, description: &str) -> Result<(), HealthError> {
        let mut values = Map::new();
        values.insert("status".into(), json!(status.as_str()));
        values.insert("description".into(), json!(description));
        let conductor = &self.op.engine.conductor;
        let updated = conductor.cluster_health_check_update(&self.op.ctx, id, values).await?;
        let check = conductor
            .cluster_health_check_get(&self.op.ctx, id)
            .await?
            .unwrap_or(updated);
        tracing::info!(check = ?check.name, status = %status, "health check done");
        self.notify(&check).await;
        Ok(())
    }

    /// `health_notify`.
    async fn notify(&self, check: &ClusterHealthCheck) {
        self.op
            .engine
            .notifier
            .health(
                &self.op.ctx,
                &self.cluster.id,
                &self.cluster.name,
                self.verification_id,
                check,
            )
            .await;
    }
}
