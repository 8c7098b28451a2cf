//! `sahara-api`: the REST API on `[DEFAULT] host:port`.

use sahara_service::shutdown_signal;
use std::process::ExitCode;

#[global_allocator]
static ALLOCATOR: sahara_service::Allocator = sahara_service::Allocator {};

fn main() -> ExitCode {
    sahara_service::main("sahara-api", sahara_service::api_threads, |conf| async move {
        let stop = shutdown_signal();
        let transport = sahara_rpc::Transport::rpc_from_conf(&conf)?;
        let conductor = sahara_model::conductor::ConductorClient::over_rpc(&transport);
        let notifications = sahara_rpc::Transport::notification_from_conf(&conf)?;
        let state = sahara_api::ApiState::from_conf(&conf, conductor)?
            .with_engine(&transport)
            .with_notifications(&conf, &notifications)?;
        let listener = sahara_api::bind(&conf).await?;
        let result = sahara_api::serve(listener, state, stop).await;
        transport.shutdown().await;
        notifications.shutdown().await;
        result
    })
}
