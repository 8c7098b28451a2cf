//! The cluster operations the API asks of the engines (sahara/service/ops.py `RemoteOps`), on `sahara-ops`
//! version 1.0 with Sahara's keyword arguments: the casts `provision_cluster`, `provision_scaled_cluster`,
//! `terminate_cluster`, `update_keypair`, `handle_verification`, and the call `get_engine_type_and_version`.
//! A cast returns once the broker holds it, whether or not an engine listens yet.

use crate::edp::ops::EngineOps;
use crate::error::ApiError;
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};

/// The cluster operations over the engine client.
#[derive(Debug, Clone, Copy)]
pub struct ClusterOps<'a> {
    engine: &'a EngineOps,
}

/// The engine client of `state`, or 500 when the API was built without one.
pub fn engine(state: &crate::ApiState) -> Result<ClusterOps<'_>, ApiError> {
    crate::edp::ops::engine(state).map(|engine| ClusterOps { engine })
}

impl ClusterOps<'_> {
    async fn cast(&self, ctx: &RequestContext, method: &str, cluster_id: &str, args: Value) -> Result<(), ApiError> {
        tracing::info!(method, cluster_id, "casting to the engine");
        self.engine.rpc().cast(ctx, method, args).await.map_err(|e| {
            tracing::error!(method, cluster_id, error = %e, "cast to the engine failed");
            ApiError::internal()
        })
    }

    /// `provision_cluster(cluster_id)`.
    pub async fn provision_cluster(&self, ctx: &RequestContext, cluster_id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "provision_cluster", cluster_id, json!({"cluster_id": cluster_id}))
            .await
    }

    /// `provision_scaled_cluster(cluster_id, node_group_id_map, node_group_instance_map)` (v1 sends `None`).
    pub async fn provision_scaled_cluster(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        node_group_id_map: Map<String, Value>,
        node_group_instance_map: Option<Map<String, Value>>,
    ) -> Result<(), ApiError> {
        let args = json!({
            "cluster_id": cluster_id,
            "node_group_id_map": node_group_id_map,
            "node_group_instance_map": node_group_instance_map,
        });
        self.cast(ctx, "provision_scaled_cluster", cluster_id, args).await
    }

    /// `terminate_cluster(cluster_id, force)`.
    pub async fn terminate_cluster(&self, ctx: &RequestContext, cluster_id: &str, force: bool) -> Result<(), ApiError> {
        self.cast(
            ctx,
            "terminate_cluster",
            cluster_id,
            json!({"cluster_id": cluster_id, "force": force}),
        )
        .await
    }

    /// `update_keypair(cluster_id)`.
    pub async fn update_keypair(&self, ctx: &RequestContext, cluster_id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "update_keypair", cluster_id, json!({"cluster_id": cluster_id}))
            .await
    }

    /// `handle_verification(cluster_id, values)`.
    pub async fn handle_verification(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        values: Value,
    ) -> Result<(), ApiError> {
        self.cast(
            ctx,
            "handle_verification",
            cluster_id,
            json!({"cluster_id": cluster_id, "values": values}),
        )
        .await
    }

    /// `get_engine_type_and_version()`: a call (500 when no engine answers in time, as Sahara's `MessagingTimeout`).
    pub async fn get_engine_type_and_version(&self, ctx: &RequestContext) -> Result<String, ApiError> {
        match self
            .engine
            .rpc()
            .call(ctx, "get_engine_type_and_version", json!({}))
            .await
        {
            Ok(Value::String(s)) => Ok(s),
            Ok(other) => Ok(other.to_string()),
            Err(e) => {
                tracing::error!(error = %e, "get_engine_type_and_version failed");
                Err(ApiError::internal())
            }
        }
    }
}
