//! The real OpenStack services of the cloud, run as processes: Keystone (uWSGI on
//! MariaDB), Swift (all-in-one, keystoneauth) and memcached.
//!
//! [`start`] brings them up for one cloud (one state directory, one
//! [`Prefix`](crate::naming::Prefix)) and returns a [`RunningServices`] with what the rest
//! of the cloud needs: URLs, ports, the credentials of the admin, demo, sahara and swift
//! users, the proxy domain. [`down`] removes everything they made: processes, the Keystone
//! database, files. A crashed run's processes are found again through their pid files and
//! stopped by the next [`start`] or [`down`] ([`procs`]).
//!
//! Layout of `<state dir>/services/`: `ports.json` and `secrets.json` (mode 0600) are kept
//! across runs, so a second `up` reuses the ports, passwords and Fernet keys; `run/` holds
//! the pid files, `log/` each process's output, `keystone/` and `swift/` their
//! configuration and data.

pub mod catalog;
pub mod database;
pub mod identity;
pub mod keystone;
pub mod memcached;
pub mod ports;
pub mod procs;
pub mod provision;
pub mod secrets;
pub mod swift;

use crate::naming::Prefix;
use database::DatabaseServer;
use ports::Ports;
use procs::{Daemon, Supervisor};
use secrets::Secrets;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Why a service could not be set up, started or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServicesError {
    /// A file or directory could not be read or written.
    #[error("{what}: {source}")]
    Io {
        /// What was being done, with the path.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A one-shot command failed (or could not be run).
    #[error("`{command}` failed: {output}")]
    Command {
        /// The command line (never with a secret in it).
        command: String,
        /// Its exit status and the end of its output.
        output: String,
    },
    /// A daemon exited before it answered.
    #[error("{name} exited ({status}) before it was ready; its log ends with:\n{log_tail}")]
    Exited {
        /// The daemon.
        name: String,
        /// How it ended, as far as known.
        status: String,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A daemon did not answer in time.
    #[error("{name} did not answer within {waited:?}; its log ends with:\n{log_tail}")]
    NotReady {
        /// The daemon.
        name: String,
        /// How long it was given.
        waited: Duration,
        /// The last lines of its log.
        log_tail: String,
    },
    /// A process would not die, even after SIGKILL.
    #[error("process {pid} ({name}) is still alive after SIGKILL")]
    Unkillable {
        /// The daemon's name.
        name: String,
        /// Its pid.
        pid: i32,
    },
    /// An HTTP request could not be made or its answer not read.
    #[error("{what}: {source}")]
    Http {
        /// The request.
        what: String,
        /// The underlying error.
        source: reqwest::Error,
    },
    /// A service answered an unexpected status.
    #[error("{what}: HTTP {status}: {body}")]
    Api {
        /// The request.
        what: String,
        /// The status it answered.
        status: u16,
        /// The start of its body.
        body: String,
    },
    /// The configuration is unusable (a missing virtualenv, a bad state file).
    #[error("{0}")]
    Config(String),
}

/// Result alias of the services.
pub type Result<T, E = ServicesError> = std::result::Result<T, E>;

/// The name of the domain Sahara makes its proxy users in (`proxy_user_domain_name`).
pub const PROXY_DOMAIN: &str = "sahara_proxy";
/// The region of every endpoint.
pub const REGION: &str = "RegionOne";
/// The port of our data-processing API unless told otherwise (Sahara's and kolla's).
pub const DATA_PROCESSING_PORT: u16 = 8386;

/// What [`start`] needs to know.
#[derive(Debug, Clone)]
pub struct ServicesConfig {
    /// The cloud's state directory (the services use `<state_dir>/services/`).
    pub state_dir: PathBuf,
    /// The cloud's prefix (pid files, the Keystone database name).
    pub prefix: Prefix,
    /// The Keystone virtualenv (`keystone`, `uwsgi`, `PyMySQL`).
    pub keystone_venv: PathBuf,
    /// The Swift virtualenv (`swift`, `keystonemiddleware`, `python-memcached`).
    pub swift_venv: PathBuf,
    /// The MariaDB server Keystone's database lives on.
    pub database: DatabaseServer,
    /// The port our data-processing API is registered on in the catalog.
    pub data_processing_port: u16,
    /// How long each daemon is given to answer.
    pub ready_timeout: Duration,
}

impl ServicesConfig {
    /// A configuration for the cloud in `state_dir`, with the virtualenvs from
    /// `SAHARA_TESTCLOUD_KEYSTONE_VENV` and `SAHARA_TESTCLOUD_SWIFT_VENV` (set by
    /// `scripts/testcloud` and `scripts/test`) or, when unset, the newest complete
    /// `venv-keystone-*` / `venv-swift-*` under the cache directory.
    pub fn from_env(state_dir: &Path, prefix: Prefix) -> Result<ServicesConfig> {
        Ok(ServicesConfig {
            state_dir: state_dir.to_path_buf(),
            prefix,
            keystone_venv: venv_from_env("SAHARA_TESTCLOUD_KEYSTONE_VENV", "keystone")?,
            swift_venv: venv_from_env("SAHARA_TESTCLOUD_SWIFT_VENV", "swift")?,
            database: DatabaseServer::default(),
            data_processing_port: DATA_PROCESSING_PORT,
            ready_timeout: Duration::from_secs(60),
        })
    }

    /// `<state_dir>/services`.
    pub fn dir(&self) -> PathBuf {
        self.state_dir.join("services")
    }

    /// The Keystone database's name: `stc_<prefix>_keystone`.
    pub fn keystone_database(&self) -> String {
        format!("stc_{}_keystone", self.prefix)
    }

    /// The supervisor of the services' processes (pid files under `<dir>/run`).
    pub fn supervisor(&self) -> Supervisor {
        Supervisor::new(&self.dir(), self.prefix)
    }
}

/// The cache directory of `scripts/lib.sh` (`SAHARA_CACHE_DIR`, else `/var/cache/sahara-rs`).
pub(crate) fn cache_dir() -> PathBuf {
    std::env::var_os("SAHARA_CACHE_DIR")
        .unwrap_or_else(|| "/var/cache/sahara-rs".into())
        .into()
}

/// The newest complete `venv-<name>-*` (one `ensure_venv` finished) in the cache.
pub(crate) fn newest_complete_venv(name: &str) -> Option<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(cache_dir())
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&format!("venv-{name}-")))
                && p.join(".complete").exists()
        })
        .filter_map(|p| Some((std::fs::metadata(&p).and_then(|m| m.modified()).ok()?, p)))
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

/// The virtualenv named by `var`, else the newest complete `venv-<name>-*` in the cache.
fn venv_from_env(var: &str, name: &str) -> Result<PathBuf> {
    let venv = match std::env::var_os(var) {
        Some(v) => PathBuf::from(v),
        None => newest_complete_venv(name).ok_or_else(|| {
            ServicesError::Config(format!(
                "{var} is not set and no complete venv-{name}-* is under {}: run scripts/testcloud, or \
                 `source scripts/lib.sh; ensure_venv {name} tests/python/requirements-{name}.txt`",
                cache_dir().display()
            ))
        })?,
    };
    if !venv.join("bin/python").exists() {
        return Err(ServicesError::Config(format!(
            "{var}: {} is not a virtualenv",
            venv.display()
        )));
    }
    Ok(venv)
}

/// A user's password credentials, scoped to a project, in the Default domain unless said
/// otherwise. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user's name.
    pub username: String,
    /// The user's id.
    pub user_id: String,
    /// The password.
    pub password: String,
    /// The project the user works in.
    pub project_name: String,
    /// That project's id.
    pub project_id: String,
    /// The user's domain name (`Default`).
    pub user_domain_name: String,
    /// The project's domain name (`Default`).
    pub project_domain_name: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("user_id", &self.user_id)
            .field("password", &"<hidden>")
            .field("project_name", &self.project_name)
            .field("project_id", &self.project_id)
            .field("user_domain_name", &self.user_domain_name)
            .field("project_domain_name", &self.project_domain_name)
            .finish()
    }
}

/// The cloud's real services, running. Dropping it leaves them running (a `up` command
/// returns while the cloud stays up); [`RunningServices::stop`] stops them and [`down`]
/// removes everything.
#[derive(Debug)]
pub struct RunningServices {
    /// The cloud's prefix.
    pub prefix: Prefix,
    /// The cloud's state directory.
    pub state_dir: PathBuf,
    /// Every port chosen for the cloud (the simulator's too: it binds
    /// `127.0.0.1:<ports.simulator>`, which the catalog names).
    pub ports: Ports,
    /// Keystone, unversioned: `http://127.0.0.1:<port>` (what kolla puts in `auth_url`).
    pub keystone_url: String,
    /// Swift's proxy: `http://127.0.0.1:<port>`; a project's account is
    /// `<swift_url>/v1/AUTH_<project_id>`.
    pub swift_url: String,
    /// The simulator's base URL, as the catalog names it: `http://127.0.0.1:<port>`.
    pub simulator_url: String,
    /// Our data-processing API, as the catalog names it: `http://127.0.0.1:<port>`.
    pub data_processing_url: String,
    /// memcached, as `host:port` (`memcached_servers` / `memcache_servers`).
    pub memcached: String,
    /// The region of every endpoint.
    pub region: String,
    /// The cloud administrator (admin on project admin; bootstrap's user).
    pub admin: Credentials,
    /// The demo user (member of project demo).
    pub demo: Credentials,
    /// Sahara's service user (admin on project service): `[keystone_authtoken]`,
    /// `[trustee]`, and the trustee of users' trusts.
    pub sahara: Credentials,
    /// Swift's service user (service and admin on project service).
    pub swift: Credentials,
    /// The domain of Sahara's proxy users ([`PROXY_DOMAIN`]).
    pub proxy_domain: String,
    /// The Keystone database on MariaDB.
    pub keystone_database: String,
    /// The MariaDB server it is on.
    pub database: DatabaseServer,
    daemons: Vec<Daemon>,
}

impl RunningServices {
    /// The pid of each service process, by name (`keystone`, `memcached`,
    /// `swift-proxy`, ...).
    pub fn pids(&self) -> Vec<(String, i32)> {
        self.daemons.iter().map(|d| (d.name().to_string(), d.pid())).collect()
    }

    /// The password-authentication URL: `<keystone_url>/v3`.
    pub fn auth_url_v3(&self) -> String {
        format!("{}/v3", self.keystone_url)
    }

    /// Stops every process (SIGTERM, then SIGKILL after a grace period). The database,
    /// keys, ports and passwords stay, so the next [`start`] is warm.
    pub fn stop(self) -> Result<()> {
        let _span = tracing::info_span!("services_stop", prefix = %self.prefix).entered();
        let mut first_error = None;
        for daemon in self.daemons.into_iter().rev() {
            if let Err(e) = daemon.stop(procs::STOP_GRACE) {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// What [`down`] removed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DownReport {
    /// Processes stopped (pids).
    pub processes: Vec<i32>,
    /// Whether the Keystone database existed and was dropped.
    pub database_dropped: bool,
    /// Whether `<state dir>/services` existed and was removed.
    pub files_removed: bool,
}

/// Brings up memcached, Keystone and Swift for the cloud `config` describes, after stopping
/// whatever an earlier run of the same cloud left running, and provisions Keystone
/// (projects, users, roles, the proxy domain, the catalog). Everything is idempotent: a
/// second call with the same state directory reuses ports, passwords, keys and database.
#[tracing::instrument(name = "services_start", skip_all, fields(prefix = %config.prefix, state_dir = %config.state_dir.display()))]
pub async fn start(config: &ServicesConfig) -> Result<RunningServices> {
    let began = Instant::now();
    let dir = config.dir();
    procs::create_dir(&dir, 0o755)?;
    let supervisor = config.supervisor();
    let reaped = supervisor.reap()?;
    if !reaped.is_empty() {
        tracing::info!(pids = ?reaped, "stopped processes an earlier run left");
    }
    let ports = Ports::load_or_choose(&dir.join("ports.json"))?;
    let secrets = Secrets::load_or_create(&dir.join("secrets.json"))?;

    let mut daemons = Vec::new();
    let result = start_daemons(config, &supervisor, &ports, &secrets, &mut daemons).await;
    let accounts = match result {
        Ok(accounts) => accounts,
        Err(e) => {
            tracing::warn!(error = %e, "start failed; stopping what was started");
            for d in daemons.into_iter().rev() {
                let _ = d.stop(procs::STOP_GRACE);
            }
            return Err(e);
        }
    };
    tracing::info!(elapsed_ms = began.elapsed().as_millis() as u64, "services ready");
    Ok(RunningServices {
        prefix: config.prefix,
        state_dir: config.state_dir.clone(),
        keystone_url: catalog::local_url(ports.keystone),
        swift_url: catalog::local_url(ports.swift_proxy),
        simulator_url: catalog::local_url(ports.simulator),
        data_processing_url: catalog::local_url(config.data_processing_port),
        memcached: format!("127.0.0.1:{}", ports.memcached),
        region: REGION.to_string(),
        admin: accounts.admin,
        demo: accounts.demo,
        sahara: accounts.sahara,
        swift: accounts.swift,
        proxy_domain: PROXY_DOMAIN.to_string(),
        keystone_database: config.keystone_database(),
        database: config.database.clone(),
        ports,
        daemons,
    })
}

/// Starts the daemons (pushing each onto `daemons` as soon as it runs, so that a failure
/// can stop them) and provisions Keystone. What does not depend on anything runs at once:
/// memcached, uWSGI (importing Keystone takes seconds), the database's migration and
/// bootstrap, and Swift's rings then servers; Keystone is provisioned as soon as it
/// answers, while Swift's servers finish starting.
async fn start_daemons(
    config: &ServicesConfig,
    supervisor: &Supervisor,
    ports: &Ports,
    secrets: &Secrets,
    daemons: &mut Vec<Daemon>,
) -> Result<provision::Accounts> {
    let keystone = keystone::Keystone::new(config, ports);
    let swift = swift::Swift::new(config, ports);
    keystone.write_files()?;
    swift.write_files(secrets)?;

    daemons.push(supervisor.spawn(memcached::daemon(config, ports))?);
    daemons.push(supervisor.spawn(keystone.daemon())?);
    // Swift's servers, once its rings exist: those started, and whether all were.
    let start_swift = async {
        let mut started = Vec::new();
        if let Err(e) = swift.build_rings().await {
            return (started, Err(e));
        }
        for spec in swift.daemons() {
            match supervisor.spawn(spec) {
                Ok(d) => started.push(d),
                Err(e) => return (started, Err(e)),
            }
        }
        (started, Ok(()))
    };
    let (database, (swift_daemons, swift_started)) = tokio::join!(keystone.prepare_database(secrets), start_swift);
    daemons.extend(swift_daemons);
    swift_started?;
    database?;
    let (keystone_daemons, swift_daemons) = daemons.split_at_mut(2);
    for d in keystone_daemons {
        d.wait_ready(config.ready_timeout).await?;
    }
    let swift_ready = async {
        for d in swift_daemons {
            d.wait_ready(config.ready_timeout).await?;
        }
        Ok(())
    };
    let keystone_url = keystone.url();
    let (accounts, swift_ready) =
        tokio::join!(provision::provision(&keystone_url, config, ports, secrets), swift_ready);
    swift_ready?;
    accounts
}

/// Removes everything the services of the cloud `config` describes made: stops their
/// processes (also those of a crashed run, found through the pid files), drops the
/// Keystone database and deletes `<state dir>/services`. Safe to run twice.
pub fn down(config: &ServicesConfig) -> Result<DownReport> {
    let _span = tracing::info_span!("services_down", prefix = %config.prefix).entered();
    let dir = config.dir();
    let processes = if dir.exists() {
        config.supervisor().reap()?
    } else {
        Vec::new()
    };
    let database_dropped = config.database.drop_database(&config.keystone_database())?;
    let files_removed = dir.exists();
    if files_removed {
        std::fs::remove_dir_all(&dir).map_err(|source| ServicesError::Io {
            what: format!("removing {}", dir.display()),
            source,
        })?;
    }
    tracing::info!(?processes, database_dropped, files_removed, "services removed");
    Ok(DownReport {
        processes,
        database_dropped,
        files_removed,
    })
}
