//! `sahara-all`: the embedded default, every service in one process.

use clap::Parser;
use sahara_service::{ServiceArgs, shutdown_signal, start};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = ServiceArgs::parse();
    let started = start("sahara-all", &args)?;
    sahara_all::run(started.conf, shutdown_signal()).await
}
