//! [`SshConnection`]: one SSH connection to an instance (Sahara's `with remote` block),
//! owned by a thread of its own since libssh2 blocks; its operations are async, run one at
//! a time, each under a timeout, and logged with their duration.

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use ssh2::{Channel, OpenFlags, OpenType, Sftp};
use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::access::{AccessPath, Endpoint, InstanceAccess, PrivateKey, SSH_PORT};
use crate::commands::{self, sh_quote};
use crate::error::{RemoteError, Result};
use crate::limits::{ClusterLimiter, RemotePermit};
use crate::settings::RemoteSettings;
use crate::transport::{Abort, Carrier, Link, Stream, Tunnel, connect_node};

/// What a command did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Its exit status (-1 when it reported none, e.g. killed by a signal).
    pub exit_code: i32,
    /// Its stdout (UTF-8, invalid sequences replaced).
    pub stdout: String,
    /// Its stderr (UTF-8, invalid sequences replaced).
    pub stderr: String,
}

type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// An open SSH connection to one instance. Operations queue and run one at a time; an
/// operation that times out closes the connection. Dropping it closes the connection in
/// the background; [`close`](SshConnection::close) waits until everything (session, proxy
/// command, gateway tunnel) is gone. It holds its [`RemotePermit`] until then.
#[derive(Debug)]
pub struct SshConnection {
    jobs: Option<mpsc::UnboundedSender<Job>>,
    done: Option<oneshot::Receiver<()>>,
    abort: Abort,
    host: String,
    settings: Timeouts,
    span: tracing::Span,
}

/// The default timeouts of the operations.
#[derive(Debug, Clone, Copy)]
struct Timeouts {
    common: Duration,
    files: Duration,
}

impl SshConnection {
    /// Waits for a slot of `limiter`, then connects and logs in to the instance of `access`
    /// (within `ssh_timeout_common`).
    pub async fn connect(
        settings: &RemoteSettings,
        access: &InstanceAccess,
        limiter: &ClusterLimiter,
    ) -> Result<SshConnection> {
        let path = access.path(settings)?;
        let span = tracing::debug_span!(
            "ssh",
            cluster_id = %access.cluster_id,
            instance_id = %access.instance.instance_id,
            host = %path.host,
        );
        let permit = limiter.acquire().instrument(span.clone()).await;
        let timeout = settings.ssh_timeout_common;
        let abort = Abort::default();
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let (ready_tx, ready) = oneshot::channel();
        let (done_tx, done) = oneshot::channel();
        let host = path.host.clone();
        let thread = WorkerStart {
            path,
            key: access.private_key.clone(),
            timeout,
            abort: abort.clone(),
            permit,
            span: span.clone(),
        };
        std::thread::Builder::new()
            .name(format!("ssh-{host}"))
            .spawn(move || thread.run(ready_tx, jobs_rx, done_tx))
            .map_err(|source| RemoteError::Local {
                context: "cannot start an SSH connection thread",
                source,
            })?;
        let start = Instant::now();
        let result = match tokio::time::timeout(timeout, ready).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(RemoteError::Closed { host: host.clone() }),
            Err(_) => {
                abort.fire();
                Err(RemoteError::Timeout {
                    operation: format!("Connecting to {host}"),
                    timeout,
                })
            }
        };
        tracing::debug!(parent: &span, "\"Connecting to {host}\" took {:.1} seconds to complete", start.elapsed().as_secs_f64());
        result.map(|()| SshConnection {
            jobs: Some(jobs),
            done: Some(done),
            abort,
            host,
            settings: Timeouts {
                common: settings.ssh_timeout_common,
                files: settings.ssh_timeout_files,
            },
            span,
        })
    }

    /// The instance's address this connection reached.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// Runs `cmd` (as root: `sudo bash -c "<cmd>"`); with `raise_when_error`, a non-zero
    /// exit is [`RemoteError::RemoteCommand`]. Default timeout `ssh_timeout_common`.
    pub async fn execute_command(
        &self,
        cmd: &str,
        run_as_root: bool,
        raise_when_error: bool,
        timeout: Option<Duration>,
    ) -> Result<CommandOutput> {
        let owned = cmd.to_owned();
        self.run(
            format!("Executing \"{cmd}\""),
            timeout.unwrap_or(self.settings.common),
            move |w| w.exec_checked(&owned, run_as_root, raise_when_error),
        )
        .await
    }

    /// Writes `data` to `path` over SFTP (as root: to `temp-file-<uuid>` in the home, then
    /// `sudo mv`). Default timeout `ssh_timeout_files`.
    pub async fn write_file_to(
        &self,
        path: &str,
        data: impl Into<Vec<u8>>,
        run_as_root: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let (owned, data) = (path.to_owned(), data.into());
        self.run(
            format!("Writing file \"{path}\""),
            timeout.unwrap_or(self.settings.files),
            move |w| w.write_file(&owned, &data, run_as_root),
        )
        .await
    }

    /// Writes several files (path, data) in one operation.
    pub async fn write_files_to(
        &self,
        files: Vec<(String, Vec<u8>)>,
        run_as_root: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        let description = format!("Writing files {names:?}");
        self.run(description, timeout.unwrap_or(self.settings.files), move |w| {
            files
                .iter()
                .try_for_each(|(path, data)| w.write_file(path, data, run_as_root))
        })
        .await
    }

    /// Appends `data` to `path` (as root: a temporary file, `cat tmp >> path`, `rm`).
    pub async fn append_to_file(
        &self,
        path: &str,
        data: impl Into<Vec<u8>>,
        run_as_root: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let (owned, data) = (path.to_owned(), data.into());
        self.run(
            format!("Appending to file \"{path}\""),
            timeout.unwrap_or(self.settings.files),
            move |w| w.append_file(&owned, &data, run_as_root),
        )
        .await
    }

    /// Appends to several files (path, data) in one operation.
    pub async fn append_to_files(
        &self,
        files: Vec<(String, Vec<u8>)>,
        run_as_root: bool,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let names: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
        let description = format!("Appending to files {names:?}");
        self.run(description, timeout.unwrap_or(self.settings.files), move |w| {
            files
                .iter()
                .try_for_each(|(path, data)| w.append_file(path, data, run_as_root))
        })
        .await
    }

    /// Reads `path` (as root: `sudo cp` to a temporary file owned by the login user, read
    /// it, `sudo rm` it).
    pub async fn read_file_from(&self, path: &str, run_as_root: bool, timeout: Option<Duration>) -> Result<Vec<u8>> {
        let owned = path.to_owned();
        self.run(
            format!("Reading file \"{path}\""),
            timeout.unwrap_or(self.settings.files),
            move |w| w.read_file(&owned, run_as_root),
        )
        .await
    }

    /// Replaces every `old` by `new` in `path` with `sudo sed -i 's,old,new,g'`.
    pub async fn replace_remote_string(
        &self,
        path: &str,
        old: &str,
        new: &str,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let cmd = commands::replace_string_command(path, old, new);
        self.run(
            format!("In file \"{path}\" replacing string \"{old}\" with \"{new}\""),
            timeout.unwrap_or(self.settings.files),
            move |w| w.exec_checked(&cmd, false, true).map(drop),
        )
        .await
    }

    /// Replaces the lines of `path` starting with `line_prefix` by `new_line`
    /// (`sudo sed -i 's/^prefix.*/new_line/'`).
    pub async fn replace_remote_line(
        &self,
        path: &str,
        line_prefix: &str,
        new_line: &str,
        timeout: Option<Duration>,
    ) -> Result<()> {
        let cmd = commands::replace_line_command(path, line_prefix, new_line);
        self.run(
            format!("In file \"{path}\" replacing line beginning with string \"{line_prefix}\" with \"{new_line}\""),
            timeout.unwrap_or(self.settings.files),
            move |w| w.exec_checked(&cmd, false, true).map(drop),
        )
        .await
    }

    /// The distribution's short lower-case name (`ubuntu`, `centos`, `redhat`, `fedora`,
    /// `debian`, ...).
    pub async fn get_os_distrib(&self, timeout: Option<Duration>) -> Result<String> {
        self.run(
            "get_os_distrib".to_owned(),
            timeout.unwrap_or(self.settings.files),
            |w| {
                let out = w.exec_checked(commands::OS_DISTRIB_COMMAND, false, true)?;
                Ok(out.stdout.trim().to_lowercase())
            },
        )
        .await
    }

    /// Closes the connection and waits until its session, proxy command or gateway tunnel
    /// are gone and its permit is released.
    pub async fn close(mut self) {
        self.jobs.take();
        if let Some(done) = self.done.take() {
            let _ = done.await;
        }
    }

    /// Runs `f` on the connection's thread within `timeout`; on timeout the connection is
    /// shut down.
    async fn run<T: Send + 'static>(
        &self,
        operation: String,
        timeout: Duration,
        f: impl FnOnce(&mut Worker) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let closed = || RemoteError::Closed {
            host: self.host.clone(),
        };
        let jobs = self.jobs.as_ref().ok_or_else(closed)?;
        tracing::debug!(parent: &self.span, "{operation}");
        let start = Instant::now();
        let (tx, rx) = oneshot::channel();
        jobs.send(Box::new(move |w: &mut Worker| {
            let _ = tx.send(f(w));
        }))
        .map_err(|_| closed())?;
        let result = match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(r)) => r,
            Ok(Err(_)) => Err(closed()),
            Err(_) => {
                self.abort.fire();
                Err(RemoteError::Timeout {
                    operation: operation.clone(),
                    timeout,
                })
            }
        };
        tracing::debug!(
            parent: &self.span,
            "\"{operation}\" took {:.1} seconds to complete",
            start.elapsed().as_secs_f64()
        );
        result
    }
}

impl Drop for SshConnection {
    fn drop(&mut self) {
        // The thread sees the queue closed and cleans up by itself.
        self.jobs.take();
    }
}

/// What the connection's thread starts from.
struct WorkerStart {
    path: AccessPath,
    key: PrivateKey,
    timeout: Duration,
    abort: Abort,
    permit: RemotePermit,
    span: tracing::Span,
}

impl WorkerStart {
    /// The connection's thread: connect, report, then run jobs until the queue closes or
    /// the connection is aborted; then close everything and release the permit.
    fn run(
        self,
        ready: oneshot::Sender<Result<()>>,
        mut jobs: mpsc::UnboundedReceiver<Job>,
        done: oneshot::Sender<()>,
    ) {
        let _span = self.span.enter();
        let link = match establish(&self.path, &self.key, self.timeout, &self.abort) {
            Ok(link) => link,
            Err(e) => {
                let _ = ready.send(Err(e));
                drop(self.permit);
                let _ = done.send(());
                return;
            }
        };
        let mut worker = Worker {
            link: Some(link),
            sftp: None,
            username: self.path.username.clone(),
        };
        if ready.send(Ok(())).is_ok() {
            while let Some(job) = jobs.blocking_recv() {
                if self.abort.fired() {
                    break;
                }
                job(&mut worker);
                if self.abort.fired() {
                    break;
                }
            }
        }
        worker.sftp.take();
        if let Some(link) = worker.link.take() {
            link.close();
        }
        drop(self.permit);
        tracing::debug!("SSH connection closed");
        let _ = done.send(());
    }
}

/// Connects to the instance of `path`, through its gateway if any.
fn establish(path: &AccessPath, key: &PrivateKey, timeout: Duration, abort: &Abort) -> Result<Link> {
    let target = Endpoint {
        host: path.host.clone(),
        username: path.username.clone(),
    };
    match &path.gateway {
        None => connect_node(&path.hop, &target, key, timeout, abort),
        Some(gateway) => {
            tracing::debug!(gateway = %gateway.host, "connecting through the proxy gateway");
            let gateway = connect_node(&path.hop, gateway, key, timeout, abort)?;
            let (sock, tunnel) = Tunnel::open(gateway, &path.host, SSH_PORT)?;
            let stream = Stream::Unix(sock);
            abort.watch(&stream)?;
            Link::establish(stream, Carrier::Tunnel(tunnel), &target, key)
        }
    }
}

/// The connection as its thread sees it.
struct Worker {
    link: Option<Link>,
    sftp: Option<Sftp>,
    username: String,
}

impl Worker {
    fn link(&self) -> &Link {
        self.link
            .as_ref()
            .expect("the link lives as long as the worker runs jobs")
    }

    fn ssh_err<E: Into<std::io::Error>>(&self, op: &'static str, detail: String) -> impl Fn(E) -> RemoteError + '_ {
        move |source| RemoteError::Ssh {
            host: self.link().host.clone(),
            op,
            detail: detail.clone(),
            source: source.into(),
        }
    }

    /// Runs `cmd` and collects its output; raises on a non-zero exit when asked.
    fn exec_checked(&mut self, cmd: &str, run_as_root: bool, raise: bool) -> Result<CommandOutput> {
        let out = self.exec(cmd, run_as_root)?;
        if out.exit_code != 0 && raise {
            return Err(RemoteError::RemoteCommand {
                cmd: cmd.to_owned(),
                ret_code: out.exit_code,
                stdout: out.stdout,
                stderr: out.stderr,
            });
        }
        Ok(out)
    }

    fn exec(&mut self, cmd: &str, run_as_root: bool) -> Result<CommandOutput> {
        let line = if run_as_root {
            commands::as_root(cmd)
        } else {
            cmd.to_owned()
        };
        let link = self.link();
        let mut channel = link
            .session
            .channel_session()
            .map_err(self.ssh_err("channel", String::new()))?;
        channel.exec(&line).map_err(self.ssh_err("exec", String::new()))?;
        link.session.set_blocking(false);
        let read = read_streams(link, &mut channel);
        link.session.set_blocking(true);
        let (stdout, stderr) = read.map_err(self.ssh_err("read", String::new()))?;
        channel.wait_close().map_err(self.ssh_err("close", String::new()))?;
        let mut exit_code = channel
            .exit_status()
            .map_err(self.ssh_err("exit status", String::new()))?;
        if exit_code == 0 && channel.exit_signal().is_ok_and(|s| s.exit_signal.is_some()) {
            exit_code = -1;
        }
        Ok(CommandOutput {
            exit_code,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        })
    }

    fn sftp(&mut self) -> Result<&Sftp> {
        if self.sftp.is_none() {
            let sftp = self
                .link()
                .session
                .sftp()
                .map_err(self.ssh_err("sftp", String::new()))?;
            self.sftp = Some(sftp);
        }
        Ok(self.sftp.as_ref().expect("just set"))
    }

    /// Writes (or appends to) `path` over SFTP.
    fn put(&mut self, path: &str, data: &[u8], append: bool) -> Result<()> {
        let detail = format!(" (file {path})");
        let flags = if append {
            OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE
        } else {
            OpenFlags::WRITE | OpenFlags::TRUNCATE | OpenFlags::CREATE
        };
        let sftp = self.sftp()?;
        let result = sftp
            .open_mode(Path::new(path), flags, 0o644, OpenType::File)
            .map_err(std::io::Error::from)
            .and_then(|mut file| {
                file.write_all(data)?;
                file.close().map_err(std::io::Error::from)
            });
        result.map_err(self.ssh_err("sftp write", detail))
    }

    fn get(&mut self, path: &str) -> Result<Vec<u8>> {
        let detail = format!(" (file {path})");
        let sftp = self.sftp()?;
        let result = sftp
            .open(Path::new(path))
            .map_err(std::io::Error::from)
            .and_then(|mut file| {
                let mut data = Vec::new();
                file.read_to_end(&mut data)?;
                Ok(data)
            });
        result.map_err(|e| {
            tracing::error!("Can't read file {path}");
            self.ssh_err("sftp read", detail)(e)
        })
    }

    fn write_file(&mut self, path: &str, data: &[u8], run_as_root: bool) -> Result<()> {
        if !run_as_root {
            return self.put(path, data, false);
        }
        let temp = commands::temp_file();
        self.put(&temp, data, false)?;
        let moved = self.exec_checked(&format!("mv {temp} {}", sh_quote(path)), true, true);
        if moved.is_err() {
            let _ = self.exec(&format!("rm -f {temp}"), true);
        }
        moved.map(drop)
    }

    fn append_file(&mut self, path: &str, data: &[u8], run_as_root: bool) -> Result<()> {
        if !run_as_root {
            return self.put(path, data, true);
        }
        let temp = commands::temp_file();
        self.put(&temp, data, false)?;
        let appended = self.exec_checked(&format!("cat {temp} >> {}", sh_quote(path)), true, true);
        let _ = self.exec(&format!("rm -f {temp}"), false);
        appended.map(drop)
    }

    fn read_file(&mut self, path: &str, run_as_root: bool) -> Result<Vec<u8>> {
        if !run_as_root {
            return self.get(path);
        }
        let temp = commands::temp_file();
        // Owned by the login user so that SFTP can read it whatever the source's mode.
        let copy = format!(
            "cp {} {temp} && chown {} {temp}",
            sh_quote(path),
            sh_quote(&self.username)
        );
        let result = self.exec_checked(&copy, true, true).and_then(|_| self.get(&temp));
        let _ = self.exec(&format!("rm {temp}"), true);
        result
    }
}

/// Reads a channel's stdout and stderr together (so that neither fills up while the other
/// is read) until the command closes both. The session is in non-blocking mode.
fn read_streams(link: &Link, channel: &mut Channel) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut buf = vec![0u8; 32 * 1024];
    let (mut out_done, mut err_done) = (false, false);
    let mut err_stream = channel.stderr();
    loop {
        let mut progress = false;
        if !out_done {
            match channel.read(&mut buf) {
                // libssh2 may say 0 without EOF when nothing is buffered yet.
                Ok(0) => out_done = channel.eof(),
                Ok(n) => {
                    stdout.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if !err_done {
            match err_stream.read(&mut buf) {
                Ok(0) => err_done = channel.eof(),
                Ok(n) => {
                    stderr.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
        if out_done && err_done {
            return Ok((stdout, stderr));
        }
        if !progress {
            link.wait_socket(Duration::from_millis(500));
        }
    }
}
