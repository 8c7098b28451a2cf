//! Benchmarks of Sahara's RPC layer, run side by side with the Python and raw-AMQP
//! baselines by `bench/rpc/run` (see `bench/README.md`).
//!
//! - [`rpc`]: sahara-rpc's `RpcServer` with an echo endpoint, and clients that measure
//!   `call` round trips and `cast` rates through it.
//! - [`pingpong`]: the raw lapin publish/consume ping-pong that bounds what any AMQP RPC
//!   can do on the same broker.
//! - [`stats`]: the closed-loop caller driver and the latency summary all sides print.
//! - [`broker`]: AMQP URIs and deleting what a benchmark declared.
//! - [`conductor`]: the conductor over RPC on a real database, read and write calls.

#![warn(missing_docs)]

pub mod broker;
pub mod conductor;
pub mod pingpong;
pub mod rpc;
pub mod stats;

/// Waits for SIGTERM or SIGINT (how `bench/rpc/run` stops its servers).
pub async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}
