//! Process bootstrap shared by the Sahara binaries: the oslo-style command line
//! (`--config-file`, `--config-dir`), loading `sahara.conf`, starting logging and
//! tracing, and waiting for SIGTERM/SIGINT.

use sahara_config::{ConfigArgs, ConfigError, ConfigOpts};
use sahara_telemetry::{TelemetryError, TelemetryGuard, TelemetryOptions};

/// The command line every Sahara service accepts.
#[derive(Debug, Clone, clap::Parser)]
#[command(version, about)]
pub struct ServiceArgs {
    /// `--config-file` / `--config-dir`, in the order given (later files win).
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Why a service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration could not be read or is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Logging or tracing could not be set up.
    #[error(transparent)]
    Telemetry(#[from] TelemetryError),
}

/// A started process: its configuration and the telemetry guard (flushes on drop).
pub struct Started {
    /// The loaded configuration.
    pub conf: ConfigOpts,
    /// Keeps logging and trace export alive.
    pub telemetry: TelemetryGuard,
}

/// Loads the configuration named on the command line (or found where oslo looks for
/// `sahara.conf`), then starts logging and tracing for `service`.
pub fn start(service: &str, args: &ServiceArgs) -> Result<Started, StartError> {
    let conf = ConfigOpts::load(&args.config)?;
    if let Some(problem) = conf.validate().into_iter().next() {
        return Err(problem.into());
    }
    let telemetry = sahara_telemetry::init(&TelemetryOptions::from_conf(service, &conf)?)?;
    let files: Vec<_> = conf.config_files().collect();
    tracing::info!(service, ?files, "starting");
    conf.log_opt_values();
    Ok(Started { conf, telemetry })
}

/// How many worker threads a service's runtime gets from its configuration: `None` for Tokio's default (one per
/// core, or `TOKIO_WORKER_THREADS`).
pub type RuntimeThreads = fn(&ConfigOpts) -> Option<usize>;

/// The runtime of a service that serves no API (`sahara-engine`, `sahara-conductor`): Tokio's default.
pub fn default_threads(_conf: &ConfigOpts) -> Option<usize> {
    None
}

/// The runtime of a process that serves the REST API (`sahara-api`, `sahara-all`): one worker thread per process
/// Sahara would serve the API from with `[DEFAULT] api_workers`. Sahara's `launch_api_service` forks `api_workers`
/// processes through oslo.service's `ProcessLauncher` and then serves in the parent too, each process on one core
/// at most (eventlet): `api_workers + 1` of them (the default 1 gives two; 0 and below, none forked, one). Here
/// they are the worker threads of one runtime. An unreadable value leaves Tokio's default.
pub fn api_threads(conf: &ConfigOpts) -> Option<usize> {
    let workers = conf.get::<i64>("DEFAULT", "api_workers").ok()?;
    Some(usize::try_from(workers).unwrap_or(0).saturating_add(1))
}

/// Runs a whole service process: reads the command line, [`start`]s `service`, builds a multi-threaded runtime
/// of `threads(conf)` workers, runs `body` on the configuration there and turns the outcome into the exit status.
/// A failure (also one to start) is logged, written as one line on stderr and gives status 1, so that systemd,
/// kolla or a test sees why at a glance.
pub fn main<F, Fut>(service: &'static str, threads: RuntimeThreads, body: F) -> std::process::ExitCode
where
    F: FnOnce(ConfigOpts) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    use clap::Parser;
    let args = ServiceArgs::parse();
    let Started { conf, telemetry } = match start(service, &args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{service}: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let workers = threads(&conf);
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.enable_all();
    if let Some(n) = workers {
        builder.worker_threads(n);
    }
    let runtime = match builder.build() {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!(error = %e, "{service} cannot start its runtime");
            eprintln!("{service}: cannot start its runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    tracing::info!(
        service,
        worker_threads = runtime.metrics().num_workers(),
        "runtime started"
    );
    runtime.block_on(async move {
        let status = match body(conf).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                let reason = format!("{e:#}");
                tracing::error!(error = %reason, "{service} stopped on an error");
                eprintln!("{service}: {reason}");
                std::process::ExitCode::FAILURE
            }
        };
        drop(telemetry);
        status
    })
}

/// Completes on SIGTERM or SIGINT. The handlers are installed when this is called, not when the future is
/// first polled, so a binary that calls it before it starts serving cannot be killed by a SIGTERM that
/// arrives in between (the default action would end it without a clean stop).
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        let (mut term, mut int) = match (term, int) {
            (Ok(t), Ok(i)) => (t, i),
            (Err(e), _) | (_, Err(e)) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM / SIGINT");
                return std::future::pending().await;
            }
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM received, stopping"),
            _ = int.recv() => tracing::info!("SIGINT received, stopping"),
        }
    }
}

/// The allocator every service binary declares as its `#[global_allocator]` (jemalloc: in
/// bench/api it spends ~20 % less CPU per request than glibc's malloc, at about the same memory).
pub type Allocator = tikv_jemallocator::Jemalloc;
