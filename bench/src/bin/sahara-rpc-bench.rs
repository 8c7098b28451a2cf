//! `sahara-rpc-bench`: the sahara-rpc side of the RPC benchmark (server, call and cast
//! clients); each prints one JSON line on stdout.

use clap::{Parser, Subcommand};
use sahara_bench::rpc::{BenchServer, BenchTarget, call_bench, cast_bench};
use sahara_bench::stats::with_process_usage;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "RPC round trips through sahara-rpc")]
struct Cli {
    /// Transport URL of the broker.
    #[arg(long, default_value = "rabbit://guest:guest@127.0.0.1:5672/")]
    url: String,
    /// Control exchange (make it unique per run).
    #[arg(long)]
    exchange: String,
    /// RPC topic (make it unique per run).
    #[arg(long)]
    topic: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve echo/cast_echo/cast_stats/cast_reset until SIGTERM or SIGINT.
    Server,
    /// Run a measurement against a running server.
    Client {
        #[command(subcommand)]
        mode: Mode,
    },
}

#[derive(Subcommand)]
enum Mode {
    /// `callers` concurrent tasks loop `call("echo", value="x")` on one shared client.
    Call {
        callers: usize,
        warmup_s: f64,
        run_s: f64,
        /// Send a full RequestContext instead of an empty one (as Python's `{}`).
        #[arg(long)]
        full_context: bool,
    },
    /// `n` confirmed casts from one sender (after `warmup_n`); reports received/s.
    Cast { n: u64, warmup_n: u64 },
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
        Command::Server => {
            let server = BenchServer::start(target).await?;
            println!(
                "{}",
                serde_json::json!({"ready": true, "impl": "rust", "pid": std::process::id()})
            );
            sahara_bench::shutdown_signal().await?;
            server.stop().await?;
        }
        Command::Client {
            mode:
                Mode::Call {
                    callers,
                    warmup_s,
                    run_s,
                    full_context,
                },
        } => {
            let line = call_bench(
                &target,
                callers,
                Duration::from_secs_f64(warmup_s),
                Duration::from_secs_f64(run_s),
                full_context,
            )
            .await?;
            println!("{}", with_process_usage(line, started));
        }
        Command::Client {
            mode: Mode::Cast { n, warmup_n },
        } => {
            let line = cast_bench(&target, n, warmup_n).await?;
            println!("{}", with_process_usage(line, started));
        }
    }
    Ok(())
}
