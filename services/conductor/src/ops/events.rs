//! Provision steps and their events (the event log), cluster verifications and health checks.

use super::clusters::cluster_full;
use super::{Conductor, Obj, by, must_get, s, scope, tenant};
use crate::error::{ConductorError, Result};
use crate::store::query::{self, Scope};
use crate::store::tables::{
    CLUSTER_EVENTS, CLUSTER_HEALTH_CHECKS, CLUSTER_PROVISION_STEPS, CLUSTER_VERIFICATIONS, CLUSTERS,
};
use sahara_model::{ResourceKind, SaharaError};
use sahara_rpc::RequestContext;
use sahara_schema::DbConnection;
use serde_json::{Map, Value};

/// Sahara's `_cluster_provision_step_update`: once a step has as many events as its
/// `total` and nothing failed, the events go and the step is marked successful.
fn settle_step(c: &mut DbConnection, scope: &Scope, step_id: &str) -> Result<()> {
    let step = query::get(c, &CLUSTER_PROVISION_STEPS, scope, step_id)?
        .ok_or_else(|| SaharaError::not_found(ResourceKind::ClusterProvisionStep, step_id))?;
    if !step.get("successful").is_none_or(Value::is_null) {
        return Ok(());
    }
    let events = query::count(c, &CLUSTER_EVENTS, &Scope::unrestricted(), &by("step_id", step_id))?;
    if Some(events) == step.get("total").and_then(Value::as_i64) {
        query::delete_where(c, &CLUSTER_EVENTS, &by("step_id", step_id))?;
        query::update(
            c,
            &CLUSTER_PROVISION_STEPS,
            step_id,
            &Map::from_iter([("successful".to_string(), Value::Bool(true))]),
        )?;
    }
    Ok(())
}

/// A single-key map.
fn one(key: &str, v: Value) -> Obj {
    Map::from_iter([(key.to_string(), v)])
}

impl Conductor {
    /// `cluster_provision_step_add(cluster_id, values)`: the step's id.
    pub async fn cluster_provision_step_add(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        values: Obj,
    ) -> Result<String> {
        let (scope, tenant, cluster_id) = (scope(ctx), tenant(ctx), cluster_id.to_string());
        self.store
            .run("cluster_provision_step_add", move |c, _, _| {
                must_get(c, &CLUSTERS, &scope, ResourceKind::Cluster, &cluster_id)?;
                let mut v = values.clone();
                v.insert("cluster_id".into(), Value::String(cluster_id.clone()));
                v.insert(
                    "tenant_id".into(),
                    tenant.clone().map(Value::String).unwrap_or(Value::Null),
                );
                query::insert(c, &CLUSTER_PROVISION_STEPS, &v)
            })
            .await
    }

    /// `cluster_provision_step_update(step_id)` (nothing with `disable_event_log`).
    pub async fn cluster_provision_step_update(&self, ctx: &RequestContext, step_id: &str) -> Result<()> {
        if self.settings.disable_event_log {
            return Ok(());
        }
        let (scope, step_id) = (scope(ctx), step_id.to_string());
        self.store
            .run("cluster_provision_step_update", move |c, _, _| {
                settle_step(c, &scope, &step_id)
            })
            .await
    }

    /// `cluster_provision_progress_update(cluster_id)`: settles every open step; returns the
    /// cluster with its events.
    pub async fn cluster_provision_progress_update(&self, ctx: &RequestContext, cluster_id: &str) -> Result<Obj> {
        let (scope, cluster_id) = (scope(ctx), cluster_id.to_string());
        let log = !self.settings.disable_event_log;
        self.store
            .run("cluster_provision_progress_update", move |c, _, _| {
                must_get(c, &CLUSTERS, &scope, ResourceKind::Cluster, &cluster_id)?;
                if log {
                    for step in query::select(
                        c,
                        &CLUSTER_PROVISION_STEPS,
                        &Scope::unrestricted(),
                        &by("cluster_id", &cluster_id),
                        Some("t.`id`"),
                    )? {
                        if step.get("successful").is_none_or(Value::is_null)
                            && let Some(id) = s(&step, "id")
                        {
                            settle_step(c, &scope, id)?;
                        }
                    }
                }
                cluster_full(c, &scope, &cluster_id, log)?
                    .ok_or_else(|| SaharaError::not_found(ResourceKind::Cluster, &cluster_id).into())
            })
            .await
    }

    /// `cluster_event_add(step_id, values)`: a failed event marks its step failed; the id.
    pub async fn cluster_event_add(&self, ctx: &RequestContext, step_id: &str, values: Obj) -> Result<String> {
        let (scope, step_id) = (scope(ctx), step_id.to_string());
        self.store
            .run("cluster_event_add", move |c, _, _| {
                must_get(
                    c,
                    &CLUSTER_PROVISION_STEPS,
                    &scope,
                    ResourceKind::ClusterProvisionStep,
                    &step_id,
                )?;
                let mut v = values.clone();
                v.insert("step_id".into(), Value::String(step_id.clone()));
                let ok = match v.get("successful") {
                    Some(Value::Bool(b)) => *b,
                    Some(Value::Number(n)) => n.as_i64() != Some(0),
                    Some(_) => true,
                    None => return Err(ConductorError::InvalidArguments("'successful' is required".into())),
                };
                if !ok {
                    query::update(
                        c,
                        &CLUSTER_PROVISION_STEPS,
                        &step_id,
                        &one("successful", Value::Bool(false)),
                    )?;
                }
                query::insert(c, &CLUSTER_EVENTS, &v)
            })
            .await
    }

    /// `cluster_verification_add(cluster_id, values)`: the verification.
    pub async fn cluster_verification_add(&self, ctx: &RequestContext, cluster_id: &str, values: Obj) -> Result<Obj> {
        let (scope, cluster_id) = (scope(ctx), cluster_id.to_string());
        self.store
            .run("cluster_verification_add", move |c, _, _| {
                must_get(c, &CLUSTERS, &scope, ResourceKind::Cluster, &cluster_id)?;
                let mut v = values.clone();
                v.insert("cluster_id".into(), Value::String(cluster_id.clone()));
                let id = query::insert(c, &CLUSTER_VERIFICATIONS, &v)?;
                verification_full(c, &id)?
                    .ok_or_else(|| SaharaError::not_found(ResourceKind::ClusterVerification, &id).into())
            })
            .await
    }

    /// `cluster_verification_get(verification_id)` (not project-scoped), with its checks.
    pub async fn cluster_verification_get(&self, _ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        let id = id.to_string();
        self.store
            .run("cluster_verification_get", move |c, _, _| verification_full(c, &id))
            .await
    }

    /// `cluster_verification_update(verification_id, values)`.
    pub async fn cluster_verification_update(&self, _ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let id = id.to_string();
        self.store
            .run("cluster_verification_update", move |c, _, _| {
                verification_full(c, &id)?.ok_or_else(|| verification_missing(&id))?;
                query::update(c, &CLUSTER_VERIFICATIONS, &id, &values)?;
                verification_full(c, &id)?.ok_or_else(|| verification_missing(&id))
            })
            .await
    }

    /// `cluster_verification_delete(verification_id)`: with its checks.
    pub async fn cluster_verification_delete(&self, _ctx: &RequestContext, id: &str) -> Result<()> {
        let id = id.to_string();
        self.store
            .run("cluster_verification_delete", move |c, _, _| {
                verification_full(c, &id)?.ok_or_else(|| verification_missing(&id))?;
                query::delete_where(c, &CLUSTER_HEALTH_CHECKS, &by("verification_id", &id))?;
                query::delete_where(c, &CLUSTER_VERIFICATIONS, &by("id", &id))?;
                Ok(())
            })
            .await
    }

    /// `cluster_health_check_add(verification_id, values)`: the check.
    pub async fn cluster_health_check_add(
        &self,
        _ctx: &RequestContext,
        verification_id: &str,
        values: Obj,
    ) -> Result<Obj> {
        let vid = verification_id.to_string();
        self.store
            .run("cluster_health_check_add", move |c, _, _| {
                verification_full(c, &vid)?.ok_or_else(|| verification_missing(&vid))?;
                let mut v = values.clone();
                v.insert("verification_id".into(), Value::String(vid.clone()));
                let id = query::insert(c, &CLUSTER_HEALTH_CHECKS, &v)?;
                must_get(
                    c,
                    &CLUSTER_HEALTH_CHECKS,
                    &Scope::unrestricted(),
                    ResourceKind::ClusterHealthCheck,
                    &id,
                )
            })
            .await
    }

    /// `cluster_health_check_get(health_check_id)` (not project-scoped).
    pub async fn cluster_health_check_get(&self, _ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        let id = id.to_string();
        self.store
            .run("cluster_health_check_get", move |c, _, _| {
                query::get(c, &CLUSTER_HEALTH_CHECKS, &Scope::unrestricted(), &id)
            })
            .await
    }

    /// `cluster_health_check_update(health_check_id, values)`.
    pub async fn cluster_health_check_update(&self, _ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let id = id.to_string();
        self.store
            .run("cluster_health_check_update", move |c, _, _| {
                let missing = || SaharaError::NotFound(format!("Health check id '{id}' not found!"));
                query::get(c, &CLUSTER_HEALTH_CHECKS, &Scope::unrestricted(), &id)?.ok_or_else(missing)?;
                query::update(c, &CLUSTER_HEALTH_CHECKS, &id, &values)?;
                Ok(query::get(c, &CLUSTER_HEALTH_CHECKS, &Scope::unrestricted(), &id)?.ok_or_else(missing)?)
            })
            .await
    }
}

fn verification_missing(id: &str) -> ConductorError {
    SaharaError::NotFound(format!("Verification id '{id}' not found!")).into()
}

/// A verification with its checks.
fn verification_full(c: &mut DbConnection, id: &str) -> Result<Option<Obj>> {
    let Some(mut v) = query::get(c, &CLUSTER_VERIFICATIONS, &Scope::unrestricted(), id)? else {
        return Ok(None);
    };
    let checks = query::select(
        c,
        &CLUSTER_HEALTH_CHECKS,
        &Scope::unrestricted(),
        &by("verification_id", id),
        Some("t.`id`"),
    )?;
    v.insert(
        "checks".into(),
        Value::Array(checks.into_iter().map(Value::Object).collect()),
    );
    Ok(Some(v))
}
