//! `sahara-conductor`: Sahara's conductor API on the `sahara-conductor` RPC topic.

use sahara_service::shutdown_signal;
use std::process::ExitCode;
use std::sync::Arc;

#[global_allocator]
static ALLOCATOR: sahara_service::Allocator = sahara_service::Allocator {};

fn main() -> ExitCode {
    sahara_service::main("sahara-conductor", sahara_service::default_threads, |conf| async move {
        let stop = shutdown_signal();
        let conductor = sahara_conductor::Conductor::from_conf(&conf)?;
        conductor.store().wait_until_reachable().await?;
        let conductor = Arc::new(conductor);
        let transport = sahara_rpc::Transport::rpc_from_conf(&conf)?;
        let server_name = format!("{}-{}", hostname(), uuid::Uuid::new_v4().simple());
        let server = sahara_conductor::rpc::serve(&transport, conductor, &server_name).await?;
        stop.await;
        server.stop().await;
        transport.shutdown().await;
        Ok(())
    })
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "conductor".into())
}
