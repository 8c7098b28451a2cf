//! Real Keystone from the cloud's virtualenv: `keystone.conf`, its database on MariaDB
//! (`stc_<prefix>_keystone`, so names compare case-insensitively as in production), Fernet
//! and credential keys, `keystone-manage db_sync` and `bootstrap`, and uWSGI serving
//! `keystone.wsgi.api:application` with `--http11-socket` (plain `--http-socket` closes
//! every connection after one answer, which breaks keystoneauth's pooled connections).
//!
//! Keystone caches in its own memory (`dogpile.cache.memory`; uWSGI runs one process, so
//! the cache is coherent): without a cache each request costs it about 100 ms of CPU on
//! this machine, with one 20–40 ms. kolla points the cache at memcached
//! (`oslo_cache.memcache_pool`), but with uWSGI's threads that made requests stall for
//! seconds and answer spurious 403s here, so it is not used. `keystone-manage` runs
//! without the cache (dogpile invalidates only within a process, and nothing of its own
//! would be read again).
//!
//! uWSGI runs without `--master`: one process, about 100 MB less than a master and a
//! worker, with 16 threads. With `--http11-socket` a thread keeps its client's connection
//! until it has been idle for 4 s (uWSGI's socket timeout), so the threads bound how many
//! clients (simulator, Swift, Sahara's services, CLIs) can hold a connection at once
//! without the next one waiting. The database is migrated and bootstrapped only when it was just
//! made or the stamp of the last bootstrap (virtualenv, URL, database) differs, so a warm
//! start skips the ~10 s those take.

use super::catalog::local_url;
use super::procs::{DaemonSpec, Readiness, create_dir, io_error, write_file};
use super::secrets::{Secrets, random_bytes};
use super::{REGION, Result, ServicesConfig, ServicesError};
use crate::services::ports::Ports;
use base64::Engine;
use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Keystone of one cloud: where its files are and how it is run.
#[derive(Debug, Clone)]
pub struct Keystone {
    dir: PathBuf,
    log_dir: PathBuf,
    venv: PathBuf,
    port: u16,
    database: super::database::DatabaseServer,
    database_name: String,
}

impl Keystone {
    /// Keystone of the cloud `config` describes, on `ports.keystone`.
    pub fn new(config: &ServicesConfig, ports: &Ports) -> Keystone {
        Keystone {
            dir: config.dir().join("keystone"),
            log_dir: config.dir().join("log"),
            venv: config.keystone_venv.clone(),
            port: ports.keystone,
            database: config.database.clone(),
            database_name: config.keystone_database(),
        }
    }

    /// Its unversioned URL.
    pub fn url(&self) -> String {
        local_url(self.port)
    }

    fn conf_path(&self) -> PathBuf {
        self.dir.join("keystone.conf")
    }

    /// What `keystone-manage` reads after `keystone.conf`: no cache.
    fn manage_conf_path(&self) -> PathBuf {
        self.dir.join("keystone-manage.conf")
    }

    /// Writes `keystone.conf` and makes the Fernet and credential key repositories (two
    /// keys each, as `fernet_setup` / `credential_setup` make them) unless they exist.
    pub fn write_files(&self) -> Result<()> {
        create_dir(&self.dir, 0o755)?;
        create_dir(&self.log_dir, 0o755)?;
        write_file(&self.conf_path(), self.config().as_bytes(), 0o644)?;
        write_file(&self.manage_conf_path(), b"[cache]\nenabled = false\n", 0o644)?;
        ensure_key_repository(&self.dir.join("fernet-keys"))?;
        ensure_key_repository(&self.dir.join("credential-keys"))?;
        Ok(())
    }

    /// The text of `keystone.conf`. `[fernet_receipts]` shares the token keys: its default
    /// repository is `/etc/keystone/fernet-keys/`, which `bootstrap` reads and fails on
    /// when it is missing.
    pub fn config(&self) -> String {
        format!(
            "[DEFAULT]\n\
             log_file = {log}\n\
             debug = false\n\
             \n\
             [database]\n\
             connection = {db}\n\
             \n\
             [token]\n\
             provider = fernet\n\
             expiration = 14400\n\
             \n\
             [fernet_tokens]\n\
             key_repository = {dir}/fernet-keys\n\
             \n\
             [fernet_receipts]\n\
             key_repository = {dir}/fernet-keys\n\
             \n\
             [credential]\n\
             key_repository = {dir}/credential-keys\n\
             \n\
             [oslo_policy]\n\
             enforce_new_defaults = true\n\
             enforce_scope = true\n\
             \n\
             [cache]\n\
             enabled = true\n\
             backend = dogpile.cache.memory\n",
            log = self.log_dir.join("keystone.log").display(),
            db = self.database.url(&self.database_name),
            dir = self.dir.display(),
        )
    }

    /// Makes the database when missing, then (when it was just made or the bootstrap
    /// stamp differs) runs `keystone-manage db_sync` and `bootstrap` (admin user and
    /// project, roles admin/member/reader, the identity service and its endpoints).
    #[tracing::instrument(name = "keystone_database", skip_all, fields(database = %self.database_name))]
    pub async fn prepare_database(&self, secrets: &Secrets) -> Result<()> {
        let began = std::time::Instant::now();
        let database = self.database.clone();
        let name = self.database_name.clone();
        let created = tokio::task::spawn_blocking(move || database.create_database(&name))
            .await
            .map_err(|e| ServicesError::Config(format!("database task failed: {e}")))??;
        let stamp_path = self.dir.join("bootstrap.stamp");
        let stamp = format!("{}\n{}\n{}\n", self.venv.display(), self.url(), self.database_name);
        if !created && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
            tracing::info!("database already migrated and bootstrapped");
            return Ok(());
        }
        self.bootstrap(secrets).await?;
        write_file(&stamp_path, stamp.as_bytes(), 0o644)?;
        tracing::info!(
            elapsed_ms = began.elapsed().as_millis() as u64,
            "database migrated and bootstrapped"
        );
        Ok(())
    }

    /// `keystone-manage db_sync` then `bootstrap`, both idempotent: safe on a bootstrapped
    /// database (the admin password is set again).
    pub async fn bootstrap(&self, secrets: &Secrets) -> Result<()> {
        self.manage(&["db_sync"], &[]).await?;
        let url = self.url();
        self.manage(
            &[
                "bootstrap",
                "--bootstrap-username",
                "admin",
                "--bootstrap-project-name",
                "admin",
                "--bootstrap-role-name",
                "admin",
                "--bootstrap-service-name",
                "keystone",
                "--bootstrap-region-id",
                REGION,
                "--bootstrap-admin-url",
                &url,
                "--bootstrap-internal-url",
                &url,
                "--bootstrap-public-url",
                &url,
            ],
            // The password goes through the environment, never on a command line.
            &[("OS_BOOTSTRAP_PASSWORD", &secrets.admin_password)],
        )
        .await
    }

    /// Runs `keystone-manage ARGS` (on `keystone.conf` without the cache), its output appended to
    /// `log/keystone-manage.log`.
    async fn manage(&self, args: &[&str], env: &[(&str, &str)]) -> Result<()> {
        let began = std::time::Instant::now();
        let log_path = self.log_dir.join("keystone-manage.log");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| io_error(format!("opening {}", log_path.display()), source))?;
        let log_err = log
            .try_clone()
            .map_err(|source| io_error(format!("duplicating {}", log_path.display()), source))?;
        let program = self.venv.join("bin/keystone-manage");
        let shown = format!("keystone-manage {}", args.first().copied().unwrap_or_default());
        let status = tokio::process::Command::new(&program)
            .arg("--config-file")
            .arg(self.conf_path())
            .arg("--config-file")
            .arg(self.manage_conf_path())
            .args(args)
            .envs(env.iter().copied())
            .env("PYTHONWARNINGS", "ignore::DeprecationWarning")
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            .kill_on_drop(true)
            .status()
            .await
            .map_err(|e| ServicesError::Command {
                command: shown.clone(),
                output: e.to_string(),
            })?;
        if !status.success() {
            return Err(ServicesError::Command {
                command: shown,
                output: format!(
                    "{status}; {} ends with:\n{}",
                    log_path.display(),
                    super::procs::log_tail(&log_path)
                ),
            });
        }
        tracing::info!(command = %shown, elapsed_ms = began.elapsed().as_millis() as u64, "done");
        Ok(())
    }

    /// uWSGI serving Keystone on 127.0.0.1, ready when `GET /v3` answers.
    pub fn daemon(&self) -> DaemonSpec {
        let venv = self.venv.display().to_string();
        DaemonSpec {
            name: "keystone".into(),
            program: self.venv.join("bin/uwsgi"),
            args: [
                "--http11-socket",
                &format!("127.0.0.1:{}", self.port),
                "--virtualenv",
                &venv,
                "--module",
                "keystone.wsgi.api:application",
                "--processes",
                "1",
                "--threads",
                "16",
                "--need-app",
                "--die-on-term",
                "--buffer-size",
                "65535",
                "--disable-logging",
                "--pidfile",
                &self.dir.join("uwsgi.pid").display().to_string(),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            env: vec![
                (
                    "OS_KEYSTONE_CONFIG_FILES".into(),
                    self.conf_path().display().to_string(),
                ),
                ("PYTHONWARNINGS".into(), "ignore::DeprecationWarning".into()),
            ],
            cwd: self.dir.clone(),
            ready: Readiness::Http(format!("{}/v3", self.url())),
        }
    }
}

/// A key repository as `keystone-manage fernet_setup` leaves it: mode 0700, keys `0`
/// (staged) and `1` (primary), each 32 random bytes in URL-safe base64, mode 0600.
fn ensure_key_repository(dir: &Path) -> Result<()> {
    create_dir(dir, 0o700)?;
    for key in ["0", "1"] {
        let path = dir.join(key);
        if !path.exists() {
            let encoded = base64::engine::general_purpose::URL_SAFE.encode(random_bytes(32)?);
            write_file(&path, encoded.as_bytes(), 0o600)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_repository_like_fernet_setup() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("fernet-keys");
        ensure_key_repository(&repo).unwrap();
        let primary = std::fs::read_to_string(repo.join("1")).unwrap();
        assert_eq!(primary.len(), 44);
        let decoded = base64::engine::general_purpose::URL_SAFE.decode(&primary).unwrap();
        assert_eq!(decoded.len(), 32);
        assert_eq!(std::fs::metadata(&repo).unwrap().permissions().mode() & 0o777, 0o700);
        assert_eq!(
            std::fs::metadata(repo.join("0")).unwrap().permissions().mode() & 0o777,
            0o600
        );
        ensure_key_repository(&repo).unwrap();
        assert_eq!(
            std::fs::read_to_string(repo.join("1")).unwrap(),
            primary,
            "existing keys are kept"
        );
    }
}
