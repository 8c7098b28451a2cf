//! `sahara-testcloud up|down|serve --state-dir DIR`: the project's local test cloud.
//!
//! `up` brings the cloud up in the background (or says it already is) and prints where its
//! files are; `down` removes everything it made; `serve` runs it in the foreground (what
//! `up` starts).

use clap::{Parser, Subcommand};
use sahara_testcloud::lifecycle::{self, Options};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "sahara-testcloud",
    about = "The local test cloud: real Keystone and Swift, simulated Heat, Nova, Neutron, Glance and Cinder whose servers are namespaces running sshd"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bring the cloud up in the background (idempotent; cleans a crashed run first).
    Up(Args),
    /// Remove everything the cloud made: processes, namespaces, links, loop devices,
    /// iptables rules, the Keystone database, files.
    Down {
        /// The cloud's state directory.
        #[arg(long)]
        state_dir: PathBuf,
    },
    /// Run the cloud in the foreground until SIGTERM or SIGINT (what `up` starts).
    Serve(Args),
}

#[derive(clap::Args)]
struct Args {
    /// The cloud's state directory.
    #[arg(long)]
    state_dir: PathBuf,
    /// The port of our data-processing API in the catalog and in `sahara.conf`.
    #[arg(long, default_value_t = sahara_testcloud::services::DATA_PROCESSING_PORT)]
    data_processing_port: u16,
    /// How many simulated compute hosts servers are spread over.
    #[arg(long, default_value_t = 8)]
    compute_hosts: usize,
}

impl Args {
    fn options(&self) -> anyhow::Result<Options> {
        let mut options = Options::new(&self.state_dir)?;
        options.data_processing_port = self.data_processing_port;
        options.compute_hosts = self.compute_hosts;
        Ok(options)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_filter = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| default_filter.into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sahara-testcloud: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // The errors' messages already name their causes.
            tracing::error!(error = %e, "failed");
            eprintln!("sahara-testcloud: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    let mut out = String::new();
    // Lines for standard output, written at the end.
    macro_rules! say {
        ($($arg:tt)*) => {{
            out.push_str(&format!($($arg)*));
            out.push('\n');
        }};
    }
    match command {
        Command::Up(args) => {
            let options = args.options()?;
            let began = std::time::Instant::now();
            let (info, already) = lifecycle::up(&options).await?;
            let dir = options.state_dir.display();
            if already {
                say!("the test cloud {} is already up (pid {})", info.prefix, info.pid);
            } else {
                say!(
                    "the test cloud {} is up in {:.1} s (pid {})",
                    info.prefix,
                    began.elapsed().as_secs_f64(),
                    info.pid
                );
            }
            say!("  Keystone   {}/v3 (region {})", info.keystone_url, info.region);
            say!(
                "  simulator  {} (Nova, Neutron, Glance, Cinder, Heat)",
                info.simulator_url
            );
            say!("  Swift      {}", info.swift_url);
            say!("  floating   {} (host {})", info.external_cidr, info.external_host_ip);
            say!("  files      {dir}/clouds.yaml, {dir}/openrc-admin, {dir}/openrc-demo, {dir}/sahara.conf");
            say!("  use it     source {dir}/openrc-demo && openstack server list");
            say!("  remove it  sahara-testcloud down --state-dir {dir}");
        }
        Command::Down { state_dir } => {
            let options = Options::new(&state_dir)?;
            let report = lifecycle::down(&options)?;
            match report.prefix {
                None => say!("no test cloud in {}: nothing to remove", options.state_dir.display()),
                Some(prefix) => {
                    let fabric = report.fabric.iter().fold((0, 0, 0), |acc, r| {
                        (
                            acc.0 + r.namespaces.len(),
                            acc.1 + r.links.len(),
                            acc.2 + r.loop_devices.len(),
                        )
                    });
                    let services = report.services.unwrap_or_default();
                    say!(
                        "the test cloud {prefix} is removed: {} processes, {} namespaces, {} links, {} loop devices{}",
                        report.serving.len() + services.processes.len(),
                        fabric.0,
                        fabric.1,
                        fabric.2,
                        if services.database_dropped {
                            ", the Keystone database"
                        } else {
                            ""
                        }
                    );
                }
            }
        }
        Command::Serve(args) => lifecycle::serve(&args.options()?).await?,
    }
    // A reader that went away (`| head -1`) is not an error of ours.
    let _ = std::io::Write::write_all(&mut std::io::stdout(), out.as_bytes());
    Ok(())
}
