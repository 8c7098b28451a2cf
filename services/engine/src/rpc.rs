//! The `sahara-ops` endpoint (sahara/service/ops.py `OpsServer`): topic `sahara-ops`,
//! version 1.0, the control exchange, a server name of its own per engine so that a cast
//! reaches exactly one engine. Casts run to their end inside the server (as oslo's executor
//! runs them); `get_engine_type_and_version` is the only call.

use crate::{ENGINE_TYPE_AND_VERSION, Engine, health, ops};
use sahara_rpc::{Endpoint, RpcServer, Target, Transport};
use serde::Deserialize;
use serde_json::{Map, Value};

/// The engine's topic.
pub const TOPIC: &str = "sahara-ops";
/// The endpoint version.
pub const VERSION: &str = "1.0";

#[derive(Deserialize)]
struct ClusterArgs {
    cluster_id: String,
}

/// The arguments of the EDP casts (Sahara's names).
#[derive(Deserialize)]
struct JobExecutionArgs {
    job_execution_id: String,
}

#[derive(Deserialize)]
struct ScaleArgs {
    cluster_id: String,
    node_group_id_map: Map<String, Value>,
    #[serde(default)]
    node_group_instance_map: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
struct VerificationArgs {
    cluster_id: String,
    /// The cluster update that asked for it (`None` counts as `{}`, as in Sahara).
    #[serde(default)]
    values: Option<Value>,
}

#[derive(Deserialize)]
struct TerminateArgs {
    cluster_id: String,
    #[serde(default)]
    force: bool,
}

/// The endpoint serving the engine's methods.
pub fn endpoint(engine: Engine) -> Endpoint {
    let e1 = engine.clone();
    let e2 = engine.clone();
    let e3 = engine.clone();
    let e4 = engine.clone();
    let e5 = engine.clone();
    let (e6, e7, e8, e9) = (engine.clone(), engine.clone(), engine.clone(), engine);
    Endpoint::new()
        .with_version(VERSION)
        .method("provision_cluster", move |ctx, a: ClusterArgs| {
            let engine = e1.clone();
            async move {
                ops::provision_cluster(engine, ctx, a.cluster_id).await;
                Ok(Value::Null)
            }
        })
        .method("provision_scaled_cluster", move |ctx, a: ScaleArgs| {
            let engine = e2.clone();
            async move {
                ops::provision_scaled_cluster(
                    engine,
                    ctx,
                    a.cluster_id,
                    a.node_group_id_map,
                    a.node_group_instance_map,
                )
                .await;
                Ok(Value::Null)
            }
        })
        .method("terminate_cluster", move |ctx, a: TerminateArgs| {
            let engine = e3.clone();
            async move {
                ops::terminate_cluster(engine, ctx, a.cluster_id, a.force).await;
                Ok(Value::Null)
            }
        })
        .method("update_keypair", move |ctx, a: ClusterArgs| {
            let engine = e4.clone();
            async move {
                ops::update_keypair(engine, ctx, a.cluster_id).await;
                Ok(Value::Null)
            }
        })
        .method("handle_verification", move |ctx, a: VerificationArgs| {
            let engine = e5.clone();
            async move {
                let values = a.values.unwrap_or_else(|| Value::Object(Map::new()));
                health::handle_verification(engine, ctx, a.cluster_id, values).await;
                Ok(Value::Null)
            }
        })
        .method("run_edp_job", move |ctx, a: JobExecutionArgs| {
            let engine = e6.clone();
            async move {
                ops::edp::run_edp_job(engine, ctx, a.job_execution_id).await;
                Ok(Value::Null)
            }
        })
        .method("cancel_job_execution", move |ctx, a: JobExecutionArgs| {
            let engine = e7.clone();
            async move {
                ops::edp::cancel_job_execution(engine, ctx, a.job_execution_id).await;
                Ok(Value::Null)
            }
        })
        .method("delete_job_execution", move |ctx, a: JobExecutionArgs| {
            let engine = e8.clone();
            async move {
                ops::edp::delete_job_execution(engine, ctx, a.job_execution_id).await;
                Ok(Value::Null)
            }
        })
        .method("job_execution_suspend", move |ctx, a: JobExecutionArgs| {
            let engine = e9.clone();
            async move {
                ops::edp::job_execution_suspend(engine, ctx, a.job_execution_id).await;
                Ok(Value::Null)
            }
        })
        .method("get_engine_type_and_version", |_ctx, _a: Map<String, Value>| async {
            Ok(ENGINE_TYPE_AND_VERSION)
        })
}

/// Starts serving `sahara-ops` as `server`.
pub async fn serve(transport: &Transport, engine: Engine, server: &str) -> sahara_rpc::Result<RpcServer> {
    serve_on(transport, engine, TOPIC, server).await
}

/// Starts serving on another topic (tests sharing a broker keep apart this way).
pub async fn serve_on(
    transport: &Transport,
    engine: Engine,
    topic: &str,
    server: &str,
) -> sahara_rpc::Result<RpcServer> {
    RpcServer::start(
        transport,
        Target::topic(topic).with_server(server),
        vec![endpoint(engine)],
    )
    .await
}
