//! The engine's operations the API casts (sahara/service/ops.py `RemoteOps`): topic `sahara-ops`, version 1.0, on
//! the transport's control exchange. A cast returns once the broker holds the message; with no engine listening
//! yet, sahara-rpc declares the topic queue as a server would, so the message waits for the first engine.

use crate::error::ApiError;
use sahara_rpc::{RequestContext, RpcClient, Target, Transport};
use serde_json::json;

/// The engine's RPC topic.
pub const TOPIC: &str = "sahara-ops";

/// A client of the engines serving `sahara-ops`.
#[derive(Debug, Clone)]
pub struct EngineOps {
    client: RpcClient,
}

impl EngineOps {
    /// A client of the engines on `transport`.
    pub fn new(transport: &Transport) -> Self {
        EngineOps {
            client: RpcClient::new(transport, Target::topic(TOPIC).with_version("1.0")),
        }
    }

    /// The RPC client itself (the cluster operations cast and call through it).
    pub fn rpc(&self) -> &RpcClient {
        &self.client
    }

    async fn cast(&self, ctx: &RequestContext, method: &str, job_execution_id: &str) -> Result<(), ApiError> {
        tracing::info!(method, job_execution_id, "casting to the engine");
        self.client
            .cast(ctx, method, json!({"job_execution_id": job_execution_id}))
            .await
            .map_err(|e| {
                tracing::error!(method, job_execution_id, error = %e, "cast to the engine failed");
                ApiError::internal()
            })
    }

    /// `run_edp_job(job_execution_id)`.
    pub async fn run_edp_job(&self, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "run_edp_job", id).await
    }

    /// `cancel_job_execution(job_execution_id)`.
    pub async fn cancel_job_execution(&self, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "cancel_job_execution", id).await
    }

    /// `delete_job_execution(job_execution_id)`: the engine cancels the job if it runs, then deletes the row.
    pub async fn delete_job_execution(&self, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "delete_job_execution", id).await
    }

    /// `job_execution_suspend(job_execution_id)`.
    pub async fn job_execution_suspend(&self, ctx: &RequestContext, id: &str) -> Result<(), ApiError> {
        self.cast(ctx, "job_execution_suspend", id).await
    }
}

/// The engine client of `state`, or 500 when the API was built without one.
pub fn engine(state: &crate::ApiState) -> Result<&EngineOps, ApiError> {
    state.engine.as_ref().ok_or_else(|| {
        tracing::error!("the API has no transport to the engine");
        ApiError::internal()
    })
}
