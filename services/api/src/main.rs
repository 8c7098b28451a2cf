//! `sahara-api`: the REST API on `[DEFAULT] host:port`.

use sahara_service::shutdown_signal;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    sahara_service::run("sahara-api", |conf| async move {
        let state = sahara_api::ApiState::from_conf(&conf)?;
        let listener = sahara_api::bind(&conf).await?;
        sahara_api::serve(listener, state, shutdown_signal()).await
    })
    .await
}
