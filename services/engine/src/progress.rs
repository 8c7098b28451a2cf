//! An operation on one cluster and what it records as it goes (sahara/utils/cluster.py
//! `change_cluster_status`, sahara/utils/cluster_progress_ops.py, sahara/utils/notification):
//! status changes with their `sahara.cluster.update` notification, provision steps of the
//! current step type, and one event per instance and step.
//!
//! `Deleting` is final: [`ClusterOp::change_status`] and [`ClusterOp::cluster`] answer
//! [`EngineError::ClusterGone`] once the cluster is gone or being deleted, which ends the
//! operation quietly.

use crate::error::{EngineError, Result};
use crate::{Engine, trusts};
use sahara_model::enums::ClusterStatus;
use sahara_model::resources::{Cluster, Instance};
use sahara_openstack::Session;
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// One engine operation on one cluster: the engine, the request context it acts in, the
/// cluster's id, the cloud session (the user's, then the cluster's trust) and the current
/// provision step.
#[derive(Debug, Clone)]
pub struct ClusterOp {
    /// The engine.
    pub engine: Engine,
    /// The context of the request (the user's; its token is replaced by the trust's).
    pub ctx: RequestContext,
    /// The cluster worked on.
    pub cluster_id: String,
    /// Whether the operation is the deletion itself (`Deleting` does not stop it).
    deleting: bool,
    limiter: sahara_remote::ClusterLimiter,
    state: Arc<Mutex<OpState>>,
}

#[derive(Debug, Default)]
struct OpState {
    step_type: String,
    step_id: Option<String>,
    session: Option<Session>,
    /// Router ids of networks, looked up once per operation.
    routers: std::collections::BTreeMap<String, String>,
}

impl ClusterOp {
    /// An operation on `cluster_id` on behalf of `ctx`.
    pub fn new(engine: Engine, ctx: RequestContext, cluster_id: impl Into<String>) -> Self {
        ClusterOp {
            limiter: engine.remote.cluster_operation(),
            engine,
            ctx,
            cluster_id: cluster_id.into(),
            deleting: false,
            state: Arc::default(),
        }
    }

    /// The same operation as the deletion of the cluster: only the cluster's disappearance stops it.
    pub fn deleting(mut self) -> Self {
        self.deleting = true;
        self
    }

    fn state(&self) -> std::sync::MutexGuard<'_, OpState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cluster as stored now, or `None` once it is gone.
    pub async fn cluster_opt(&self) -> Result<Option<Cluster>> {
        Ok(self
            .engine
            .conductor
            .cluster_get(&self.ctx, &self.cluster_id, false)
            .await?)
    }

    /// The cluster as stored now; [`EngineError::ClusterGone`] once it is gone or `Deleting`.
    pub async fn cluster(&self) -> Result<Cluster> {
        match self.cluster_opt().await? {
            Some(c) if self.deleting || !is_deleting(&c) => Ok(c),
            _ => Err(EngineError::ClusterGone(self.cluster_id.clone())),
        }
    }

    /// Updates the cluster's fields.
    pub async fn update(&self, values: Value) -> Result<Cluster> {
        let Value::Object(values) = values else {
            return Err(EngineError::Internal("cluster update values must be an object".into()));
        };
        Ok(self
            .engine
            .conductor
            .cluster_update(&self.ctx, &self.cluster_id, values)
            .await?)
    }

    /// Sets `status_description` only (`change_cluster_status_description`).
    pub async fn set_description(&self, description: &str) -> Result<()> {
        match self.update(json!({"status_description": description})).await {
            Ok(_) => Ok(()),
            Err(EngineError::Conductor(e)) if e.is_not_found() => {
                Err(EngineError::ClusterGone(self.cluster_id.clone()))
            }
            Err(e) => Err(e),
        }
    }

    /// `change_cluster_status`: re-reads the cluster, sets the description if given, and
    /// unless the cluster is gone or `Deleting` sets `status`, closes the open provision
    /// steps and notifies `sahara.cluster.update`.
    pub async fn change_status(&self, status: ClusterStatus, description: Option<&str>) -> Result<Cluster> {
        let current = self.cluster_opt().await?;
        let Some(current) = current else {
            return Err(EngineError::ClusterGone(self.cluster_id.clone()));
        };
        if let Some(d) = description {
            self.set_description(d).await?;
        }
        if is_deleting(&current) {
            return Err(EngineError::ClusterGone(self.cluster_id.clone()));
        }
        let cluster = self.update(json!({"status": status.as_str()})).await?;
        self.engine
            .conductor
            .cluster_provision_progress_update(&self.ctx, &self.cluster_id)
            .await?;
        tracing::info!(cluster_id = %self.cluster_id, status = %status, "Cluster status has been changed");
        self.notify_status(&cluster, status.as_str(), "update").await;
        Ok(cluster)
    }

    /// Sends `sahara.cluster.<event>` with Sahara's payload; a failure to send is logged only.
    pub async fn notify_status(&self, cluster: &Cluster, status: &str, event: &str) {
        notify_status(&self.engine, &self.ctx, &cluster.id, &cluster.name, status, event).await;
    }

    /// Sets the step type of the steps that follow (`context.set_step_type`).
    pub fn set_step_type(&self, step_type: &str) {
        self.state().step_type = step_type.to_string();
    }

    /// `add_provisioning_step`: closes the current step and opens `name` for `total` events.
    pub async fn add_step(&self, name: &str, total: usize) -> Result<()> {
        if self.engine.settings.service.disable_event_log || self.cluster_opt().await?.is_none() {
            return Ok(());
        }
        let (previous, step_type) = {
            let s = self.state();
            (s.step_id.clone(), s.step_type.clone())
        };
        if let Some(prev) = previous {
            self.engine
                .conductor
                .cluster_provision_step_update(&self.ctx, &prev)
                .await?;
        }
        let mut values = Map::new();
        values.insert("step_name".into(), json!(name));
        values.insert("step_type".into(), json!(step_type));
        values.insert("total".into(), json!(total));
        values.insert(
            "started_at".into(),
            json!(
                chrono::Utc::now()
                    .naive_utc()
                    .format("%Y-%m-%dT%H:%M:%S%.6f")
                    .to_string()
            ),
        );
        let id = self
            .engine
            .conductor
            .cluster_provision_step_add(&self.ctx, &self.cluster_id, values)
            .await?;
        self.state().step_id = Some(id);
        Ok(())
    }

    /// Records that `instance` did the current step (`add_successful_event`).
    pub async fn event_ok(&self, instance: &Instance) -> Result<()> {
        self.event(instance, None).await
    }

    /// Records that `instance` failed the current step with `error` (`add_fail_event`).
    pub async fn event_failed(&self, instance: &Instance, error: &str) -> Result<()> {
        self.event(instance, Some(error)).await
    }

    async fn event(&self, instance: &Instance, failure: Option<&str>) -> Result<()> {
        self.event_for(
            instance.node_group_id.as_deref(),
            instance.instance_id.as_deref(),
            Some(&instance.instance_name),
            failure,
        )
        .await
    }

    async fn event_for(
        &self,
        node_group_id: Option<&str>,
        instance_id: Option<&str>,
        instance_name: Option<&str>,
        failure: Option<&str>,
    ) -> Result<()> {
        if self.engine.settings.service.disable_event_log {
            return Ok(());
        }
        let Some(step) = self.state().step_id.clone() else {
            return Ok(());
        };
        let mut values = Map::new();
        values.insert("successful".into(), json!(failure.is_none()));
        values.insert("node_group_id".into(), json!(node_group_id));
        values.insert("instance_id".into(), json!(instance_id));
        values.insert("instance_name".into(), json!(instance_name));
        values.insert("event_info".into(), json!(failure));
        match self.engine.conductor.cluster_event_add(&self.ctx, &step, values).await {
            Ok(_) => Ok(()),
            // The cluster (and its steps) went away meanwhile.
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Runs a one-event step named `name` for the cluster (`event_wrapper(step=...)` with a
    /// cluster argument): the step is opened, then one event records how `f` ended.
    pub async fn cluster_step<T, F>(&self, name: &str, f: F) -> Result<T>
    where
        F: std::future::Future<Output = Result<T>>,
    {
        self.add_step(name, 1).await?;
        match f.await {
            Ok(v) => {
                self.event_for(None, None, None, None).await?;
                Ok(v)
            }
            Err(e) => {
                if !e.is_gone() {
                    let _ = self.event_for(None, None, None, Some(&e.to_string())).await;
                }
                Err(e)
            }
        }
    }

    /// The session cloud calls are made with: the cluster's trust once
    /// [`trusts::use_cluster_trust`] ran, else the user's own token.
    pub fn session(&self) -> Result<Session> {
        if let Some(s) = self.state().session.clone() {
            return Ok(s);
        }
        trusts::user_session(&self.engine, &self.ctx)
    }

    /// The operation's remote limit (`cluster_remote_threshold`, within the process's).
    pub fn limiter(&self) -> &sahara_remote::ClusterLimiter {
        &self.limiter
    }

    /// The router attached to `network_id` (Sahara's `NeutronClient.get_router`: the router
    /// with an interface port on that network), looked up once per operation.
    pub async fn router_id(&self, network_id: &str) -> Result<String> {
        if let Some(r) = self.state().routers.get(network_id) {
            return Ok(r.clone());
        }
        let session = self.session()?;
        let ports = session
            .neutron()
            .list_ports(&[("network_id", network_id.to_string())])
            .await?;
        let router = ports
            .iter()
            .find(|p| {
                p.device_owner.starts_with("network:router_interface")
                    || p.device_owner == "network:ha_router_replicated_interface"
            })
            .map(|p| p.device_id.clone())
            .ok_or_else(|| {
                EngineError::Invalid(format!(
                    "Neutron router corresponding to network {network_id} is not found"
                ))
            })?;
        self.state().routers.insert(network_id.to_string(), router.clone());
        Ok(router)
    }

    /// Makes `session` the one later calls use.
    pub fn set_session(&self, session: Session) {
        self.state().session = Some(session);
    }
}

/// Whether the cluster is being deleted.
pub fn is_deleting(cluster: &Cluster) -> bool {
    cluster.status == Some(ClusterStatus::Deleting)
}

/// Sends `sahara.cluster.<event>` (`status_notify`) with Sahara's payload.
pub async fn notify_status(
    engine: &Engine,
    ctx: &RequestContext,
    cluster_id: &str,
    cluster_name: &str,
    status: &str,
    event: &str,
) {
    engine
        .notifier
        .status(ctx, cluster_id, cluster_name, status, event)
        .await;
}
