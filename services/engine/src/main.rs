//! `sahara-engine`: serves `sahara-ops`, building, scaling and deleting clusters.

use sahara_service::shutdown_signal;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: sahara_service::Allocator = sahara_service::Allocator {};

fn main() -> ExitCode {
    sahara_service::main("sahara-engine", sahara_service::default_threads, |conf| async move {
        let stop = shutdown_signal();
        let transport = sahara_rpc::Transport::rpc_from_conf(&conf)?;
        let notifications = sahara_rpc::Transport::notification_from_conf(&conf)?;
        let conductor = sahara_model::conductor::ConductorClient::over_rpc(&transport);
        let engine = sahara_engine::Engine::from_conf(&conf, conductor, &notifications)?;
        let server_name = uuid::Uuid::new_v4().to_string();
        let server = sahara_engine::rpc::serve(&transport, engine.clone(), &server_name).await?;
        let periodic = sahara_engine::periodic::start(engine, &transport, &server_name).await?;
        stop.await;
        periodic.stop().await;
        server.stop().await;
        transport.shutdown().await;
        notifications.shutdown().await;
        Ok(())
    })
}
