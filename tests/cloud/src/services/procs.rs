//! Process supervision: daemons started detached, recorded in pid files, waited for,
//! stopped, and found again after a crash.
//!
//! A daemon runs in a session of its own (through util-linux's `setsid`, which execs it
//! under the same pid), so it outlives the command that started it and its process group
//! is its pid; stdin is `/dev/null`, stdout and stderr go to `log/<name>.log` (never to a
//! pipe, which would tie it to our lifetime). Its pid file, `run/stc-<prefix>-<name>.pid`,
//! records the pid, the process's start time (from `/proc/<pid>/stat`) and a marker that
//! must appear on its command line (the state directory). Pids get reused: a recorded pid
//! is ours only when both still match, and only then is it signalled.

use super::{Result, ServicesError};
use crate::naming::Prefix;
use rustix::process::{Pid, Signal, WaitOptions};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long a daemon is given to exit after SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// How to tell that a daemon is ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// A `GET` of this URL answers 2xx.
    Http(String),
    /// A TCP connection to this address is accepted.
    Tcp(SocketAddr),
}

/// A daemon to start.
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    /// Its name: the pid and log file names (`keystone`, `swift-proxy`, ...).
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Its arguments; at least one must contain the state directory (the marker the
    /// pid-reuse check looks for on the command line).
    pub args: Vec<String>,
    /// Its environment (on top of `PATH`, `HOME` and `LANG`; nothing else is inherited).
    pub env: Vec<(String, String)>,
    /// Its working directory.
    pub cwd: PathBuf,
    /// When it counts as ready.
    pub ready: Readiness,
}

/// What a pid file holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct PidRecord {
    name: String,
    pid: i32,
    start_time: u64,
    marker: String,
}

/// Starts, finds and stops the daemons of one cloud.
#[derive(Debug, Clone)]
pub struct Supervisor {
    run_dir: PathBuf,
    log_dir: PathBuf,
    prefix: Prefix,
    marker: String,
}

impl Supervisor {
    /// The supervisor of the daemons whose files live under `dir` (`dir/run`, `dir/log`).
    pub fn new(dir: &Path, prefix: Prefix) -> Supervisor {
        Supervisor {
            run_dir: dir.join("run"),
            log_dir: dir.join("log"),
            prefix,
            marker: dir.display().to_string(),
        }
    }

    /// The log file of the daemon `name`.
    pub fn log_path(&self, name: &str) -> PathBuf {
        self.log_dir.join(format!("{name}.log"))
    }

    fn pid_path(&self, name: &str) -> PathBuf {
        self.run_dir.join(format!("stc-{}-{name}.pid", self.prefix))
    }

    /// Starts `spec` detached and records its pid file. Does not wait for it to be ready
    /// (see [`Daemon::wait_ready`]).
    pub fn spawn(&self, spec: DaemonSpec) -> Result<Daemon> {
        let _span = tracing::info_span!("spawn", daemon = %spec.name).entered();
        if !spec.args.iter().any(|a| a.contains(&self.marker)) {
            return Err(ServicesError::Config(format!(
                "{}: no argument names {}, so a crashed run's process could not be told from a stranger",
                spec.name, self.marker
            )));
        }
        create_dir(&self.run_dir, 0o755)?;
        create_dir(&self.log_dir, 0o755)?;
        let log_path = self.log_path(&spec.name);
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|source| io_error(format!("opening {}", log_path.display()), source))?;
        let log_err = log
            .try_clone()
            .map_err(|source| io_error(format!("duplicating {}", log_path.display()), source))?;
        let mut cmd = Command::new("setsid");
        cmd.arg(&spec.program)
            .args(&spec.args)
            .current_dir(&spec.cwd)
            .env_clear()
            .env(
                "PATH",
                std::env::var_os("PATH").unwrap_or_else(|| "/usr/sbin:/usr/bin:/sbin:/bin".into()),
            )
            .env("HOME", std::env::var_os("HOME").unwrap_or_else(|| "/root".into()))
            .env("LANG", "C.UTF-8")
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err);
        let child = cmd
            .spawn()
            .map_err(|source| io_error(format!("starting {}", spec.program.display()), source))?;
        let pid = child.id() as i32;
        // The child is never waited through `child`: rustix's waitpid reaps it (see
        // `reap_if_child`), also when the handle is lost.
        drop(child);
        let start_time = start_time(pid).ok_or_else(|| ServicesError::Exited {
            name: spec.name.clone(),
            status: "gone at once".into(),
            log_tail: log_tail(&log_path),
        })?;
        let record = PidRecord {
            name: spec.name.clone(),
            pid,
            start_time,
            marker: self.marker.clone(),
        };
        write_file(
            &self.pid_path(&spec.name),
            &serde_json::to_vec(&record).unwrap_or_default(),
            0o644,
        )?;
        tracing::info!(pid, program = %spec.program.display(), "started");
        Ok(Daemon {
            record,
            pid_path: self.pid_path(&spec.name),
            log_path,
            ready: spec.ready,
            started: Instant::now(),
        })
    }

    /// Stops every process whose pid file this cloud left (a crashed run's, or a running
    /// one's whose handle was lost) and removes the pid files. A pid whose start time or
    /// command line no longer match was reused by a stranger: it is left alone. Returns
    /// the pids stopped.
    pub fn reap(&self) -> Result<Vec<i32>> {
        let entries = match std::fs::read_dir(&self.run_dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(source) => return Err(io_error(format!("listing {}", self.run_dir.display()), source)),
        };
        let ours = format!("stc-{}-", self.prefix);
        let mut stopped = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if !(name.starts_with(&ours) && name.ends_with(".pid")) {
                continue;
            }
            let record = std::fs::read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<PidRecord>(&bytes).ok());
            match record {
                Some(record) if is_ours(&record) => {
                    tracing::info!(daemon = %record.name, pid = record.pid, "stopping a process an earlier run left");
                    stop_group(&record, STOP_GRACE)?;
                    stopped.push(record.pid);
                }
                Some(record) => {
                    tracing::debug!(daemon = %record.name, pid = record.pid, "recorded process is gone or not ours")
                }
                None => tracing::warn!(path = %path.display(), "unreadable pid file ignored"),
            }
            remove_file(&path)?;
        }
        Ok(stopped)
    }
}

/// A daemon started by [`Supervisor::spawn`].
#[derive(Debug)]
pub struct Daemon {
    record: PidRecord,
    pid_path: PathBuf,
    log_path: PathBuf,
    ready: Readiness,
    started: Instant,
}

impl Daemon {
    /// Its name.
    pub fn name(&self) -> &str {
        &self.record.name
    }

    /// Its pid (also its process group and session).
    pub fn pid(&self) -> i32 {
        self.record.pid
    }

    /// Its log file.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// Whether it still runs.
    pub fn is_running(&self) -> bool {
        reap_if_child(self.record.pid);
        is_ours(&self.record)
    }

    /// Polls until it answers (see [`Readiness`]), failing early when it exits. Returns the
    /// time since it was started.
    #[tracing::instrument(skip_all, fields(daemon = %self.record.name, pid = self.record.pid))]
    pub async fn wait_ready(&mut self, timeout: Duration) -> Result<Duration> {
        let deadline = Instant::now() + timeout;
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|source| ServicesError::Http {
                what: "building an HTTP client".into(),
                source,
            })?;
        loop {
            let ready = match &self.ready {
                Readiness::Http(url) => client.get(url).send().await.is_ok_and(|r| r.status().is_success()),
                Readiness::Tcp(addr) => {
                    let addr = *addr;
                    tokio::task::spawn_blocking(move || {
                        TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_ok()
                    })
                    .await
                    .unwrap_or(false)
                }
            };
            if ready {
                let elapsed = self.started.elapsed();
                tracing::info!(daemon = %self.record.name, elapsed_ms = elapsed.as_millis() as u64, "ready");
                return Ok(elapsed);
            }
            if !self.is_running() {
                return Err(ServicesError::Exited {
                    name: self.record.name.clone(),
                    status: "exited".into(),
                    log_tail: log_tail(&self.log_path),
                });
            }
            if Instant::now() >= deadline {
                return Err(ServicesError::NotReady {
                    name: self.record.name.clone(),
                    waited: timeout,
                    log_tail: log_tail(&self.log_path),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Stops it: SIGTERM to its process group, SIGKILL after `grace`; then removes its
    /// pid file.
    pub fn stop(self, grace: Duration) -> Result<()> {
        let _span = tracing::info_span!("stop", daemon = %self.record.name, pid = self.record.pid).entered();
        if is_ours(&self.record) {
            stop_group(&self.record, grace)?;
        }
        reap_if_child(self.record.pid);
        remove_file(&self.pid_path)
    }
}

/// Whether the process `record` describes is alive and still ours: the same start time,
/// and the marker on its command line.
fn is_ours(record: &PidRecord) -> bool {
    let same = proc_stat(record.pid).is_some_and(|stat| stat.start_time == record.start_time);
    same && process_alive(record.pid) && cmdline(record.pid).is_some_and(|c| c.contains(&record.marker))
}

/// Whether process `pid` has a thread that has not exited. Its own state is not enough:
/// when the main thread of a multi-threaded process (uWSGI with `--threads`) ends first,
/// the process shows as a zombie while its other threads still run and hold its sockets.
fn process_alive(pid: i32) -> bool {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return false;
    };
    tasks.flatten().any(|task| {
        std::fs::read_to_string(task.path().join("stat"))
            .ok()
            .and_then(|stat| stat.rfind(')').and_then(|i| stat[i + 1..].trim_start().chars().next()))
            .is_some_and(|state| state != 'Z' && state != 'X')
    })
}

/// SIGTERM to the group, then SIGKILL after `grace` if any member is still alive.
fn stop_group(record: &PidRecord, grace: Duration) -> Result<()> {
    let Some(pid) = Pid::from_raw(record.pid) else {
        return Ok(());
    };
    signal_group(pid, Signal::TERM);
    let deadline = Instant::now() + grace;
    while group_alive(record.pid) {
        reap_if_child(record.pid);
        if Instant::now() >= deadline {
            tracing::warn!(daemon = %record.name, pid = record.pid, "no exit after SIGTERM; SIGKILL");
            signal_group(pid, Signal::KILL);
            let deadline = Instant::now() + Duration::from_secs(5);
            while group_alive(record.pid) {
                reap_if_child(record.pid);
                if Instant::now() >= deadline {
                    return Err(ServicesError::Unkillable {
                        name: record.name.clone(),
                        pid: record.pid,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    reap_if_child(record.pid);
    tracing::info!(daemon = %record.name, pid = record.pid, "stopped");
    Ok(())
}

/// Signals the process group `pid` (the daemon is its leader), or the process alone when
/// the group is gone.
fn signal_group(pid: Pid, signal: Signal) {
    if rustix::process::kill_process_group(pid, signal).is_err() {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Collects the exit status of `pid` if it is our child and has exited, so no zombie stays.
fn reap_if_child(pid: i32) {
    if let Some(p) = Pid::from_raw(pid) {
        let _ = rustix::process::waitpid(Some(p), WaitOptions::NOHANG);
    }
}

/// Whether any live process is in process group `pgid`.
fn group_alive(pgid: i32) -> bool {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return false;
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .any(|pid| proc_stat(pid).is_some_and(|s| s.pgrp == pgid) && process_alive(pid))
}

/// The fields of `/proc/<pid>/stat` supervision needs.
struct ProcStat {
    pgrp: i32,
    start_time: u64,
}

fn proc_stat(pid: i32) -> Option<ProcStat> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // `rest` starts at field 3 (state); pgrp is field 5, starttime field 22.
    Some(ProcStat {
        pgrp: fields.get(2)?.parse().ok()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

fn start_time(pid: i32) -> Option<u64> {
    proc_stat(pid).map(|s| s.start_time)
}

fn cmdline(pid: i32) -> Option<String> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    Some(String::from_utf8_lossy(&raw).replace('\0', " "))
}

/// The last lines (at most 4 KiB) of a log file, for error messages.
pub fn log_tail(path: &Path) -> String {
    let read = || -> std::io::Result<String> {
        let mut f = File::open(path)?;
        let len = f.metadata()?.len();
        f.seek(SeekFrom::Start(len.saturating_sub(4096)))?;
        let mut buf = Vec::new();
        f.read_to_end(&mut buf)?;
        let text = String::from_utf8_lossy(&buf).into_owned();
        let lines: Vec<&str> = text.lines().collect();
        Ok(lines[lines.len().saturating_sub(20)..].join("\n"))
    };
    read().unwrap_or_else(|e| format!("(no log at {}: {e})", path.display()))
}

/// `mkdir -p` with `mode` for the directories it makes.
pub fn create_dir(path: &Path, mode: u32) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|source| io_error(format!("creating {}", path.display()), source))
}

/// Writes `bytes` to `path` atomically (a temporary file renamed over it), with `mode`.
pub fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let _ = std::fs::remove_file(&tmp);
        let mut f = OpenOptions::new().write(true).create_new(true).mode(mode).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    };
    write().map_err(|source| io_error(format!("writing {}", path.display()), source))
}

fn remove_file(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(format!("removing {}", path.display()), e)),
        _ => Ok(()),
    }
}

pub(crate) fn io_error(what: String, source: std::io::Error) -> ServicesError {
    ServicesError::Io { what, source }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_stat_parses_and_matches() {
        let me = std::process::id() as i32;
        let stat = proc_stat(me).expect("own stat");
        assert!(process_alive(me));
        assert!(!process_alive(i32::MAX));
        assert!(stat.start_time > 0);
        assert_eq!(
            Some(stat.pgrp),
            rustix::process::getpgrp().as_raw_nonzero().get().into()
        );
        let record = PidRecord {
            name: "me".into(),
            pid: me,
            start_time: stat.start_time,
            marker: cmdline(me).unwrap().split(' ').next().unwrap().to_string(),
        };
        assert!(is_ours(&record));
        assert!(!is_ours(&PidRecord {
            start_time: stat.start_time + 1,
            ..record.clone()
        }));
        assert!(!is_ours(&PidRecord {
            marker: "/no/such/state/dir".into(),
            ..record
        }));
    }

    #[test]
    fn log_tail_keeps_the_last_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.log");
        let text: String = (0..100).map(|i| format!("line {i}\n")).collect();
        std::fs::write(&path, text).unwrap();
        let tail = log_tail(&path);
        assert!(tail.starts_with("line 80\n") && tail.ends_with("line 99"), "{tail}");
        assert!(log_tail(&dir.path().join("none")).starts_with("(no log at"));
    }
}
