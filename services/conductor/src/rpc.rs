//! The conductor over RPC: every method of [`METHODS`](crate::dispatch::METHODS) on topic
//! `sahara-conductor` (control exchange, version 1.0). Several conductors share the topic
//! queue; each has its own server name. Sahara exceptions travel as oslo remote errors of
//! module `sahara.exceptions`.

use crate::dispatch::METHODS;
use crate::error::ConductorError;
use crate::ops::Conductor;
use sahara_model::conductor::Answer;
use sahara_rpc::{Endpoint, RemoteError, RpcServer, Target, Transport};
use std::sync::Arc;

/// The conductor's RPC topic (ours: upstream Sahara's conductor was in-process only).
pub const TOPIC: &str = "sahara-conductor";
/// The endpoint version.
pub const VERSION: &str = "1.0";

/// The remote exception a conductor error becomes.
pub fn to_remote(e: &ConductorError) -> RemoteError {
    let (module, class, message, kwargs) = e.remote_parts();
    let kwargs = match kwargs {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    RemoteError::new(module, class, message).with_kwargs(kwargs)
}

/// The remote exception a failed call answers, logged unless it is one of Sahara's own.
fn failed(method: &str, e: ConductorError) -> RemoteError {
    if !matches!(e, ConductorError::Sahara(_)) {
        tracing::error!(method, error = %e, "conductor call failed");
    }
    to_remote(&e)
}

/// The endpoint serving every conductor method.
pub fn endpoint(conductor: Arc<Conductor>) -> Endpoint {
    let mut ep = Endpoint::new().with_version(VERSION);
    for &name in METHODS {
        let conductor = conductor.clone();
        ep = if crate::ops::is_flat_list(name) {
            // The page as the JSON text the conductor writes straight from the rows.
            ep.json_method(name, move |ctx, args| {
                let conductor = conductor.clone();
                async move {
                    match conductor.dispatch_answer(&ctx, name, args).await {
                        Ok(Answer::Text(text)) => Ok(text),
                        Ok(other) => other
                            .into_value()
                            .map(|v| v.to_string())
                            .map_err(|e| RemoteError::builtin("RuntimeError", e.to_string())),
                        Err(e) => Err(failed(name, e)),
                    }
                }
            })
        } else {
            ep.raw_method(name, move |ctx, args| {
                let conductor = conductor.clone();
                async move { conductor.dispatch(&ctx, name, args).await.map_err(|e| failed(name, e)) }
            })
        };
    }
    ep
}

/// Starts serving on `sahara-conductor` as `server`.
pub async fn serve(transport: &Transport, conductor: Arc<Conductor>, server: &str) -> sahara_rpc::Result<RpcServer> {
    serve_on(transport, conductor, TOPIC, server).await
}

/// Starts serving on another topic (tests sharing a broker keep apart this way).
pub async fn serve_on(
    transport: &Transport,
    conductor: Arc<Conductor>,
    topic: &str,
    server: &str,
) -> sahara_rpc::Result<RpcServer> {
    RpcServer::start(
        transport,
        Target::topic(topic).with_server(server),
        vec![endpoint(conductor)],
    )
    .await
}
