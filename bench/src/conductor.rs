//! The conductor benchmark: `sahara-conductor` served over RPC on a real database, measured
//! with the typed client for a read (`node_group_template_get`) and a write
//! (`node_group_template_create`, unique names) from concurrent callers.

use crate::rpc::{BenchTarget, call_line};
use crate::stats::{Summary, drive};
use anyhow::{Context, Result};
use sahara_conductor::Conductor;
use sahara_model::conductor::{ConductorClient, RpcConductor};
use sahara_rpc::{RequestContext, RpcServer};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::time::Duration;

/// The project the benchmark's objects belong to.
pub const PROJECT: &str = "bench-project";

/// A conductor served on the target's topic, on the database `connection` (oslo form).
pub async fn serve(target: &BenchTarget, connection: &str) -> Result<(RpcServer, sahara_rpc::Transport)> {
    let ini = format!("[database]\nconnection = {connection}\nmax_pool_size = 16\n");
    let conf = sahara_config::ConfigOpts::from_ini_str(&ini)?;
    let conductor = Arc::new(Conductor::from_conf(&conf)?);
    let transport = target.transport()?;
    let server = sahara_conductor::rpc::serve_on(&transport, conductor, &target.topic, "bench")
        .await
        .context("starting the conductor's RPC server")?;
    Ok((server, transport))
}

fn ngt(name: &str) -> Map<String, Value> {
    json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "42",
           "node_processes": ["namenode", "datanode"], "node_configs": {"HDFS": {"dfs.replication": 1}}})
    .as_object()
    .cloned()
    .unwrap_or_default()
}

/// Measures `read` (get one node group template) or `write` (create one) calls. On
/// SIGTERM or SIGINT, and when the server does not answer, it gives up with an error;
/// on every path the transport is shut down, so the reply queue is deleted.
pub async fn call_bench(
    target: &BenchTarget,
    write: bool,
    callers: usize,
    warmup: Duration,
    run: Duration,
) -> Result<Value> {
    let transport = target.transport()?;
    let result = tokio::select! {
        r = measure(&transport, &target.topic, write, callers, warmup, run) => r,
        s = crate::shutdown_signal() => s.and_then(|()| Err(anyhow::anyhow!("interrupted"))),
    };
    transport.shutdown().await;
    result
}

async fn measure(
    transport: &sahara_rpc::Transport,
    topic: &str,
    write: bool,
    callers: usize,
    warmup: Duration,
    run: Duration,
) -> Result<Value> {
    let client = ConductorClient::new(Arc::new(RpcConductor::on_topic(transport, topic)));
    let ctx = RequestContext::for_user("bench-user", PROJECT);
    let seed = client
        .node_group_template_create(&ctx, ngt(&format!("seed-{}", uuid::Uuid::new_v4().simple())))
        .await
        .context("creating the object to read")?;
    // Every answer is checked, so a server that answers without doing the work (a missing
    // template, a create that echoes something else) counts errors, not calls.
    let (c, id) = (client.clone(), seed.id.clone());
    let samples = drive(callers, warmup, run, move || {
        let (c, id, ctx) = (c.clone(), id.clone(), ctx.clone());
        async move {
            if write {
                let name = uuid::Uuid::new_v4().simple().to_string();
                let t = c.node_group_template_create(&ctx, ngt(&name)).await?;
                if t.name != name || t.id.is_empty() || t.tenant_id.as_deref() != Some(PROJECT) {
                    anyhow::bail!("create answered {t:?} for {name}");
                }
            } else {
                match c.node_group_template_get(&ctx, &id).await? {
                    Some(t) if t.id == id && t.node_processes.as_ref().is_some_and(|p| p.len() == 2) => {}
                    other => anyhow::bail!("get({id}) answered {other:?}"),
                }
            }
            Ok::<(), anyhow::Error>(())
        }
    })
    .await;
    let mut line = call_line(
        if write { "conductor-write" } else { "conductor-read" },
        callers,
        Summary::new(samples, run.as_secs_f64()),
    );
    if let Value::Object(m) = &mut line {
        m.insert("mode".into(), Value::from(if write { "write" } else { "read" }));
    }
    Ok(line)
}
