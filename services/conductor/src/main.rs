//! `sahara-conductor`: Sahara's conductor API on the `sahara-conductor` RPC topic.

use clap::Parser;
use sahara_service::{ServiceArgs, shutdown_signal, start};
use std::sync::Arc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = ServiceArgs::parse();
    let started = start("sahara-conductor", &args)?;
    let conductor = Arc::new(sahara_conductor::Conductor::from_conf(&started.conf)?);
    let transport = sahara_rpc::Transport::rpc_from_conf(&started.conf)?;
    let server_name = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
    let server = sahara_conductor::rpc::serve(&transport, conductor, &server_name).await?;
    shutdown_signal().await;
    server.stop().await;
    transport.shutdown().await;
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "conductor".into())
}
