//! The whole cloud's life, as `sahara-testcloud up | serve | down` runs it.
//!
//! - [`up`] makes sure a cloud serves from a state directory: if one already does, it says
//!   so; otherwise it first removes what a crashed run left (its serving process, its
//!   namespaces, links, loop devices and simulator state, found by the cloud's prefix),
//!   then starts `sahara-testcloud serve` detached and waits until it serves.
//! - [`serve`] is that process: it starts the real services ([`crate::services`]), the
//!   simulator ([`crate::sim`]) and Heat ([`crate::heat`]) on the host's fabric, writes
//!   the files a user needs ([`files`]) and serves the simulator's APIs on 127.0.0.1 and
//!   on the host's address of the external network (where instances send their
//!   wait-condition signals) until SIGTERM or SIGINT.
//! - [`down`] removes everything: the serving process, the services' processes and
//!   Keystone database, every fabric object of the prefix, and every file it made.
//!
//! Layout of the state directory: `prefix` (the cloud's [`Prefix`], kept so that a second
//! `up` reuses the Keystone database and ports), `run/` and `log/` (the serving process's
//! pid and log), `services/`, `fabric/`, `sim/`, `sahara/` (the SQLite database of
//! `sahara.conf`), and the files of [`files`].

pub mod files;

use crate::fabric::{Fabric, FabricError, LinuxFabric};
use crate::heat::{Heat, HeatConfig, backend_sim};
use crate::naming::Prefix;
use crate::services::procs::{DaemonSpec, Readiness, Supervisor, create_dir, write_file};
use crate::services::{self, ServicesConfig, ServicesError, catalog};
use crate::sim::{self, ApiState, Cloud, CloudConfig, KeystoneValidator, ServiceAccount, SimError};
pub use files::CloudInfo;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Why the cloud could not be brought up, served or removed.
#[derive(Debug, thiserror::Error)]
pub enum LifecycleError {
    /// Keystone, Swift or memcached.
    #[error(transparent)]
    Services(#[from] ServicesError),
    /// The host's namespaces, links and loop devices.
    #[error("fabric: {0}")]
    Fabric(#[from] FabricError),
    /// The simulator.
    #[error("simulator: {0}")]
    Sim(#[from] SimError),
    /// A file or socket.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Something about the state directory is wrong.
    #[error("{0}")]
    Config(String),
}

/// Result alias of the lifecycle.
pub type Result<T, E = LifecycleError> = std::result::Result<T, E>;

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> LifecycleError {
    let what = what.into();
    move |source| LifecycleError::Io { what, source }
}

/// The name of the serving process (its pid and log files).
const SERVE: &str = "testcloud";
/// The files [`serve`] writes for the user, besides `cloud.json`.
const USER_FILES: [&str; 5] = [
    "clouds.yaml",
    "openrc-admin",
    "openrc-demo",
    "sahara.conf",
    "cloud.json",
];
/// How long [`up`] waits for the serving process (a first start migrates Keystone's
/// database: about 10 s here).
pub const UP_TIMEOUT: Duration = Duration::from_secs(180);

/// What `up` and `serve` are told.
#[derive(Debug, Clone)]
pub struct Options {
    /// The cloud's state directory.
    pub state_dir: PathBuf,
    /// The port of our data-processing API in the catalog (and `sahara.conf`).
    pub data_processing_port: u16,
    /// How many simulated compute hosts servers are spread over.
    pub compute_hosts: usize,
}

impl Options {
    /// Options with the defaults (port 8386, 8 compute hosts) for `state_dir`, made
    /// absolute.
    pub fn new(state_dir: impl AsRef<Path>) -> Result<Options> {
        let state_dir = std::path::absolute(state_dir.as_ref()).map_err(io("resolving the state directory"))?;
        Ok(Options {
            state_dir,
            data_processing_port: services::DATA_PROCESSING_PORT,
            compute_hosts: 8,
        })
    }

    fn prefix_path(&self) -> PathBuf {
        self.state_dir.join("prefix")
    }

    fn info_path(&self) -> PathBuf {
        self.state_dir.join("cloud.json")
    }

    fn supervisor(&self, prefix: Prefix) -> Supervisor {
        Supervisor::new(&self.state_dir, prefix)
    }

    /// The prefix recorded in the state directory, if any.
    fn recorded_prefix(&self) -> Option<Prefix> {
        std::fs::read_to_string(self.prefix_path())
            .ok()
            .and_then(|s| Prefix::parse(s.trim()))
    }

    /// The recorded prefix, or a new one, recorded.
    fn prefix(&self) -> Result<Prefix> {
        if let Some(p) = self.recorded_prefix() {
            return Ok(p);
        }
        let p = Prefix::random();
        write_file(&self.prefix_path(), format!("{p}\n").as_bytes(), 0o644)?;
        Ok(p)
    }

    /// The services' configuration without virtualenvs (enough to stop and remove them).
    fn services_for_removal(&self, prefix: Prefix) -> ServicesConfig {
        ServicesConfig {
            state_dir: self.state_dir.clone(),
            prefix,
            keystone_venv: PathBuf::new(),
            swift_venv: PathBuf::new(),
            database: Default::default(),
            data_processing_port: self.data_processing_port,
            ready_timeout: Duration::from_secs(60),
        }
    }
}

/// The cloud described by `cloud.json`, if its serving process is alive and answers.
async fn running(options: &Options) -> Option<CloudInfo> {
    let text = std::fs::read_to_string(options.info_path()).ok()?;
    let info: CloudInfo = serde_json::from_str(&text).ok()?;
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", info.pid)).ok()?;
    let cmdline = String::from_utf8_lossy(&cmdline);
    if !(cmdline.contains("serve") && cmdline.contains(&options.state_dir.display().to_string())) {
        return None;
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    let resp = http.get(format!("{}/compute/", info.simulator_url)).send().await.ok()?;
    resp.status().is_success().then_some(info)
}

/// Brings the cloud of `options.state_dir` up (see the module documentation); answers its
/// description, and whether it was already up.
#[tracing::instrument(name = "testcloud_up", skip_all, fields(state_dir = %options.state_dir.display()))]
pub async fn up(options: &Options) -> Result<(CloudInfo, bool)> {
    create_dir(&options.state_dir, 0o755)?;
    if let Some(info) = running(options).await {
        tracing::info!(prefix = %info.prefix, pid = info.pid, "already up");
        return Ok((info, true));
    }
    let prefix = options.prefix()?;
    remove_leftovers(options, prefix)?;
    // Resolve the virtualenvs here, where the environment is the caller's: the serving
    // process gets a clean environment.
    let venvs = ServicesConfig::from_env(&options.state_dir, prefix)?;
    let services_dir = options.state_dir.join("services");
    create_dir(&services_dir, 0o755)?;
    let ports = services::ports::Ports::load_or_choose(&services_dir.join("ports.json"))?;
    let program = std::env::current_exe().map_err(io("finding sahara-testcloud's own path"))?;
    let mut env = vec![
        (
            "SAHARA_TESTCLOUD_KEYSTONE_VENV".to_string(),
            venvs.keystone_venv.display().to_string(),
        ),
        (
            "SAHARA_TESTCLOUD_SWIFT_VENV".to_string(),
            venvs.swift_venv.display().to_string(),
        ),
    ];
    for var in ["RUST_LOG", crate::fabric::SPARK_VENV_VAR, "SAHARA_CACHE_DIR"] {
        if let Ok(value) = std::env::var(var) {
            env.push((var.into(), value));
        }
    }
    let spec = DaemonSpec {
        name: SERVE.into(),
        program,
        args: vec![
            "serve".into(),
            "--state-dir".into(),
            options.state_dir.display().to_string(),
            "--data-processing-port".into(),
            options.data_processing_port.to_string(),
            "--compute-hosts".into(),
            options.compute_hosts.to_string(),
        ],
        env,
        cwd: options.state_dir.clone(),
        ready: Readiness::Http(format!("{}/compute/", catalog::local_url(ports.simulator))),
    };
    let mut daemon = options.supervisor(prefix).spawn(spec)?;
    daemon.wait_ready(UP_TIMEOUT).await?;
    // The simulator answers only after `cloud.json` was written.
    let text = std::fs::read_to_string(options.info_path()).map_err(io("reading cloud.json"))?;
    let info =
        serde_json::from_str(&text).map_err(|e| LifecycleError::Config(format!("cloud.json is unreadable: {e}")))?;
    Ok((info, false))
}

/// Stops a serving process of the state directory that no longer answers and removes the
/// fabric objects and simulator state of its prefix (and of the prefix recorded in the
/// simulator's state, should it differ).
fn remove_leftovers(options: &Options, prefix: Prefix) -> Result<()> {
    let stopped = options.supervisor(prefix).reap()?;
    if !stopped.is_empty() {
        tracing::info!(pids = ?stopped, "stopped a serving process that did not answer");
    }
    // Its services too, before their ports are chosen again (they would look taken).
    let stopped = options.services_for_removal(prefix).supervisor().reap()?;
    if !stopped.is_empty() {
        tracing::info!(pids = ?stopped, "stopped the services of a serving process that is gone");
    }
    let _ = std::fs::remove_file(options.info_path());
    let sim_dir = options.state_dir.join("sim");
    let mut prefixes = vec![prefix];
    if let Some(p) = sim::recorded_prefix(&sim_dir)
        && p != prefix
    {
        prefixes.push(p);
    }
    for p in prefixes {
        let report = LinuxFabric::new(p, options.state_dir.join("fabric"))?.cleanup()?;
        tracing::info!(prefix = %p, ?report, "fabric leftovers removed");
    }
    if sim_dir.exists() {
        std::fs::remove_dir_all(&sim_dir).map_err(io(format!("removing {}", sim_dir.display())))?;
    }
    Ok(())
}

/// The simulator's app (Nova, Neutron, Glance, Cinder and Heat, every token validated
/// against the cloud's Keystone) and its two listeners: 127.0.0.1 for the host and the
/// external network's host address, where instances reach Heat's wait conditions.
pub async fn simulator_app(
    running: &services::RunningServices,
    cloud: &Cloud,
    prefix: Prefix,
) -> Result<(axum::Router, [tokio::net::TcpListener; 2])> {
    let external = cloud
        .external()
        .ok_or_else(|| LifecycleError::Config("the simulator made no external network".into()))?;
    let port = running.ports.simulator;
    let validator: Arc<dyn sim::TokenValidator> = Arc::new(KeystoneValidator::new(ServiceAccount {
        auth_url: running.keystone_url.clone(),
        username: running.admin.username.clone(),
        password: running.admin.password.clone(),
        project_name: running.admin.project_name.clone(),
        user_domain_name: running.admin.user_domain_name.clone(),
        project_domain_name: running.admin.project_domain_name.clone(),
    }));
    let heat = Heat::new(
        backend_sim::SimBackend::new(cloud.clone()),
        HeatConfig::new(prefix, format!("http://{}:{port}/heat-api", external.host_ip)),
    );
    let app = sim::app(
        ApiState::new(cloud.clone(), validator.clone()),
        backend_sim::routes(heat, validator),
    );
    let local = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(io(format!("binding 127.0.0.1:{port}")))?;
    let outside = tokio::net::TcpListener::bind((external.host_ip, port))
        .await
        .map_err(io(format!("binding {}:{port}", external.host_ip)))?;
    Ok((app, [local, outside]))
}

/// Runs the cloud of `options.state_dir` in this process until SIGTERM or SIGINT (see the
/// module documentation). The fabric and services stay when it ends: [`down`] removes
/// them, the next [`up`] reuses or cleans them.
#[tracing::instrument(name = "testcloud_serve", skip_all, fields(state_dir = %options.state_dir.display()))]
pub async fn serve(options: &Options) -> Result<()> {
    let began = Instant::now();
    create_dir(&options.state_dir, 0o755)?;
    let prefix = options.prefix()?;
    let config = ServicesConfig {
        data_processing_port: options.data_processing_port,
        ..ServicesConfig::from_env(&options.state_dir, prefix)?
    };
    let running = services::start(&config).await?;
    let fabric = Arc::new(LinuxFabric::new(prefix, options.state_dir.join("fabric"))?);
    let mut cloud_config = CloudConfig::new(options.state_dir.join("sim"), prefix, running.admin.project_id.clone());
    cloud_config.compute_hosts = options.compute_hosts;
    let cloud = Cloud::start(cloud_config, fabric).await?;
    let (app, [local, outside]) = simulator_app(&running, &cloud, prefix).await?;
    let external = cloud
        .external()
        .ok_or_else(|| LifecycleError::Config("the simulator made no external network".into()))?;

    let info = CloudInfo {
        prefix: prefix.to_string(),
        pid: std::process::id(),
        keystone_url: running.keystone_url.clone(),
        swift_url: running.swift_url.clone(),
        simulator_url: running.simulator_url.clone(),
        data_processing_url: running.data_processing_url.clone(),
        memcached: running.memcached.clone(),
        region: running.region.clone(),
        external_cidr: external.cidr.to_string(),
        external_host_ip: external.host_ip,
        admin_project_id: running.admin.project_id.clone(),
        demo_project_id: running.demo.project_id.clone(),
        service_project_id: running.sahara.project_id.clone(),
        startup_seconds: began.elapsed().as_secs_f64(),
    };
    write_user_files(options, &running, &info)?;
    tracing::info!(prefix = %prefix, seconds = info.startup_seconds, simulator = %info.simulator_url, "the test cloud serves");

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let serve_on = |listener: tokio::net::TcpListener| {
        let app = app.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = stop.wait_for(|s| *s).await;
                })
                .await
        })
    };
    let servers = [serve_on(local), serve_on(outside)];
    wait_for_signal().await?;
    tracing::info!("stopping: the cloud's processes, namespaces and files stay until `down`");
    let _ = stop_tx.send(true);
    for s in servers {
        let _ = tokio::time::timeout(Duration::from_secs(5), s).await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), cloud.idle()).await;
    Ok(())
}

async fn wait_for_signal() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).map_err(io("installing a SIGTERM handler"))?;
    let mut int = signal(SignalKind::interrupt()).map_err(io("installing a SIGINT handler"))?;
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
    Ok(())
}

fn write_user_files(options: &Options, running: &services::RunningServices, info: &CloudInfo) -> Result<()> {
    let dir = &options.state_dir;
    create_dir(&dir.join("sahara"), 0o700)?;
    let database = dir.join("sahara").join("sahara.sqlite");
    write_file(&dir.join("clouds.yaml"), files::clouds_yaml(running).as_bytes(), 0o600)?;
    write_file(
        &dir.join("openrc-admin"),
        files::openrc(running, &running.admin).as_bytes(),
        0o600,
    )?;
    write_file(
        &dir.join("openrc-demo"),
        files::openrc(running, &running.demo).as_bytes(),
        0o600,
    )?;
    let conf = files::sahara_conf(running, options.data_processing_port, &database.display().to_string());
    write_file(&dir.join("sahara.conf"), conf.as_bytes(), 0o600)?;
    let json = serde_json::to_vec_pretty(info).map_err(|e| LifecycleError::Config(e.to_string()))?;
    write_file(&options.info_path(), &json, 0o644)?;
    Ok(())
}

/// What [`down`] removed.
#[derive(Debug, Default)]
pub struct DownReport {
    /// The prefix of the cloud removed, if the state directory named one.
    pub prefix: Option<String>,
    /// The serving process's pids stopped.
    pub serving: Vec<i32>,
    /// What the services' removal did.
    pub services: Option<services::DownReport>,
    /// What the fabric's removal did.
    pub fabric: Vec<crate::fabric::CleanupReport>,
}

/// Removes the cloud of `options.state_dir` entirely (see the module documentation). Safe
/// to run twice, and on a directory no cloud ever used.
#[tracing::instrument(name = "testcloud_down", skip_all, fields(state_dir = %options.state_dir.display()))]
pub fn down(options: &Options) -> Result<DownReport> {
    let mut report = DownReport::default();
    let sim_prefix = sim::recorded_prefix(&options.state_dir.join("sim"));
    let Some(prefix) = options.recorded_prefix().or(sim_prefix) else {
        tracing::info!("no cloud recorded here: nothing to remove");
        return Ok(report);
    };
    report.prefix = Some(prefix.to_string());
    report.serving = options.supervisor(prefix).reap()?;
    for p in std::iter::once(prefix).chain(sim_prefix.filter(|p| *p != prefix)) {
        report
            .fabric
            .push(LinuxFabric::new(p, options.state_dir.join("fabric"))?.cleanup()?);
    }
    report.services = Some(services::down(&options.services_for_removal(prefix))?);
    let dir = &options.state_dir;
    for name in USER_FILES.iter().chain(&["prefix"]) {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io(format!("removing {}", dir.join(name).display()))(e));
            }
            _ => {}
        }
    }
    for sub in ["run", "log", "sim", "fabric", "sahara"] {
        let path = dir.join(sub);
        if path.exists() {
            std::fs::remove_dir_all(&path).map_err(io(format!("removing {}", path.display())))?;
        }
    }
    // The directory itself goes if nothing of anyone else's is in it.
    let _ = std::fs::remove_dir(dir);
    tracing::info!(?report, "the test cloud is removed");
    Ok(report)
}
