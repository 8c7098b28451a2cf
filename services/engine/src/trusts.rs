//! The cluster's trust (sahara/service/trusts.py): the user who asked for the cluster
//! delegates all their roles, with impersonation, to the `[trustee]` user; every later
//! operation on the cluster (scaling, deletion, periodic tasks) works through a token
//! scoped to that trust, so it does not depend on the user's token lifetime. The trust is
//! deleted with the cluster.

use crate::Engine;
use crate::error::{EngineError, Result};
use crate::progress::ClusterOp;
use sahara_openstack::Session;
use sahara_openstack::keystone::{self, TrustRequest};
use sahara_rpc::RequestContext;
use serde_json::json;

/// The session of the request's own token and catalog (`keystone.auth()`).
pub fn user_session(engine: &Engine, ctx: &RequestContext) -> Result<Session> {
    let token = ctx
        .auth_token
        .clone()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| EngineError::Invalid("the request carries no token to reach the cloud with".into()))?;
    let catalog = match &ctx.service_catalog {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "[]".to_string(),
    };
    let session = Session::from_context(engine.cloud.clone(), token, ctx.project_id.clone(), &catalog)?;
    Ok(match &ctx.user_id {
        Some(u) => session.with_user_id(u.clone()),
        None => session,
    })
}

/// `create_trust_for_cluster`: unless the cluster has one already, the user trusts the
/// `[trustee]` user with all the request's roles, impersonation on, re-delegation allowed,
/// no expiry, in the user's project; the trust id is stored on the cluster.
pub async fn create_trust_for_cluster(op: &ClusterOp) -> Result<()> {
    if !op.engine.settings.service.use_identity_api_v3 {
        return Ok(());
    }
    let cluster = op.cluster().await?;
    if cluster.trust_id.is_some() {
        return Ok(());
    }
    let user = user_session(&op.engine, &op.ctx)?;
    let trustee = keystone::admin_session(&op.engine.cloud).await?;
    let (Some(trustor_user_id), Some(project_id), Some(trustee_user_id)) = (
        op.ctx.user_id.clone(),
        op.ctx.project_id.clone(),
        trustee.user_id().map(str::to_string),
    ) else {
        return Err(EngineError::Invalid(
            "Failed to create trust: the user, project or trustee is unknown".into(),
        ));
    };
    let trust = user
        .keystone()
        .create_trust(&TrustRequest {
            trustor_user_id,
            trustee_user_id,
            project_id,
            role_names: op.ctx.roles.clone(),
            impersonation: true,
            allow_redelegation: true,
        })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "Unable to create trust");
            EngineError::Invalid("Failed to create trust".into())
        })?;
    tracing::debug!(cluster_id = %op.cluster_id, "created the cluster's trust");
    op.update(json!({"trust_id": trust.id})).await?;
    Ok(())
}

/// `use_os_admin_auth_token`: later cloud calls of `op` use the `[trustee]` user's token
/// scoped to the cluster's trust (and its catalog). Without a trust the user's own token stays.
pub async fn use_cluster_trust(op: &ClusterOp) -> Result<()> {
    if !op.engine.settings.service.use_identity_api_v3 {
        return Ok(());
    }
    let cluster = op.cluster().await?;
    if let Some(trust_id) = cluster.trust_id.as_deref() {
        let session = keystone::trust_session(&op.engine.cloud, trust_id).await?;
        op.set_session(session);
    }
    Ok(())
}

/// `_setup_trust_for_cluster`: create the trust if needed, then work through it.
pub async fn setup_trust_for_cluster(op: &ClusterOp) -> Result<()> {
    create_trust_for_cluster(op).await?;
    use_cluster_trust(op).await
}

/// `delete_trust_from_cluster`: the trustee, through the trust itself, deletes it; the
/// cluster's `trust_id` is cleared.
pub async fn delete_trust_from_cluster(op: &ClusterOp) -> Result<()> {
    if !op.engine.settings.service.use_identity_api_v3 {
        return Ok(());
    }
    let Some(cluster) = op.cluster_opt().await? else {
        return Ok(());
    };
    let Some(trust_id) = cluster.trust_id.clone() else {
        return Ok(());
    };
    let session = keystone::trust_session(&op.engine.cloud, &trust_id).await?;
    session.keystone().delete_trust(&trust_id).await.map_err(|e| {
        tracing::error!(error = %e, "Unable to delete trust");
        EngineError::Invalid(format!("Failed to delete trust {trust_id}"))
    })?;
    op.update(json!({"trust_id": null})).await?;
    Ok(())
}
