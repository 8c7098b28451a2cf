//! `sahara-api`: the REST API on `[DEFAULT] host:port`.

use clap::Parser;
use sahara_service::{ServiceArgs, shutdown_signal, start};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = ServiceArgs::parse();
    let started = start("sahara-api", &args)?;
    let state = sahara_api::ApiState::from_conf(&started.conf)?;
    let listener = sahara_api::bind(&started.conf).await?;
    sahara_api::serve(listener, state, shutdown_signal()).await
}
