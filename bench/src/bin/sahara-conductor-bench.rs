//! `sahara-conductor-bench`: the conductor over RPC on a real database (server), and the
//! read/write clients; each prints one JSON line on stdout.

use clap::{Parser, Subcommand};
use sahara_bench::rpc::BenchTarget;
use sahara_bench::stats::with_process_usage;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Conductor calls over RPC")]
struct Cli {
    /// Transport URL of the broker.
    #[arg(long, default_value = "rabbit://guest:guest@127.0.0.1:5672/")]
    url: String,
    /// Control exchange (make it unique per run).
    #[arg(long)]
    exchange: String,
    /// Conductor topic (make it unique per run).
    #[arg(long)]
    topic: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the conductor on `connection` (oslo.db form) until SIGTERM or SIGINT.
    Server { connection: String },
    /// `callers` concurrent tasks loop a read or a write on one shared client.
    Client {
        mode: String,
        callers: usize,
        warmup_s: f64,
        run_s: f64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let target = BenchTarget {
        url: cli.url,
        exchange: cli.exchange,
        topic: cli.topic,
    };
    match cli.command {
        Command::Server { connection } => {
            let (server, transport) = sahara_bench::conductor::serve(&target, &connection).await?;
            println!("{}", serde_json::json!({"ready": true, "pid": std::process::id()}));
            sahara_bench::shutdown_signal().await?;
            server.stop().await;
            transport.shutdown().await;
            sahara_bench::broker::delete(
                &target.url,
                &[target.topic.clone(), format!("{}.bench", target.topic)],
                std::slice::from_ref(&target.exchange),
            )
            .await?;
        }
        Command::Client {
            mode,
            callers,
            warmup_s,
            run_s,
        } => {
            let write = match mode.as_str() {
                "read" => false,
                "write" => true,
                other => anyhow::bail!("mode must be read or write, not {other}"),
            };
            let line = sahara_bench::conductor::call_bench(
                &target,
                write,
                callers,
                Duration::from_secs_f64(warmup_s),
                Duration::from_secs_f64(run_s),
            )
            .await?;
            println!("{}", with_process_usage(line, started));
        }
    }
    Ok(())
}
