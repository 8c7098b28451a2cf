//! `lapin-pingpong`: the raw AMQP baseline of the RPC benchmark (echo server and
//! ping-pong client); each prints one JSON line on stdout.

use clap::{Parser, Subcommand};
use sahara_bench::pingpong::{PingPongServer, call_bench};
use sahara_bench::stats::with_process_usage;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Raw lapin publish/consume ping-pong")]
struct Cli {
    /// Transport URL of the broker.
    #[arg(long, default_value = "rabbit://guest:guest@127.0.0.1:5672/")]
    url: String,
    /// Request queue (make it unique per run).
    #[arg(long)]
    queue: String,
    /// Publisher confirms on both sides (1, as oslo) or off (0).
    #[arg(long, default_value_t = 1)]
    confirms: u8,
    /// Publish on a second connection (1), as oslo and sahara-rpc do, or share one (0).
    #[arg(long, default_value_t = 0)]
    split_connections: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Echo requests back to their reply_to until SIGTERM or SIGINT.
    Server,
    /// `inflight` concurrent ping-pong loops.
    Client { inflight: usize, warmup_s: f64, run_s: f64 },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let started = Instant::now();
    let cli = Cli::parse();
    let confirms = cli.confirms != 0;
    let split = cli.split_connections != 0;
    match cli.command {
        Command::Server => {
            let server = PingPongServer::start(&cli.url, &cli.queue, confirms, split).await?;
            println!(
                "{}",
                serde_json::json!({"ready": true, "impl": "lapin", "pid": std::process::id()})
            );
            sahara_bench::shutdown_signal().await?;
            server.stop().await?;
        }
        Command::Client {
            inflight,
            warmup_s,
            run_s,
        } => {
            let line = call_bench(
                &cli.url,
                &cli.queue,
                inflight,
                Duration::from_secs_f64(warmup_s),
                Duration::from_secs_f64(run_s),
                confirms,
                split,
            )
            .await?;
            println!("{}", with_process_usage(line, started));
        }
    }
    Ok(())
}
