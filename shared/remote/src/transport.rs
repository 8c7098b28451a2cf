//! Byte streams to instances and the SSH sessions over them, all blocking (run on the
//! connection's own thread): TCP, a proxy command's stdin/stdout on one end of a Unix
//! socket pair, and tunnels through a proxy gateway (an SSH channel running `nc`, pumped to
//! a socket pair by a thread of its own).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec};
use ssh2::{BlockDirections, Channel, Session};

use crate::access::{Endpoint, Hop, PrivateKey, ProxyCommand};
use crate::error::{RemoteError, Result};

/// How long a proxy command may take to exit after it is told to.
const PROXY_EXIT_GRACE: Duration = Duration::from_secs(5);

/// How much of a proxy command's stderr is kept for error messages.
const STDERR_KEPT: usize = 4096;

/// How long blocking libssh2 calls wait for the peer while a session is shut down.
const CLOSE_TIMEOUT_MS: u32 = 2000;

/// The sockets of one operation in progress; [`fire`](Abort::fire) shuts them all down so
/// that whatever blocks on them returns (how timeouts stop a connection's thread).
#[derive(Debug, Clone, Default)]
pub(crate) struct Abort(Arc<Mutex<AbortState>>);

#[derive(Debug, Default)]
struct AbortState {
    fired: bool,
    sockets: Vec<Stream>,
}

impl Abort {
    /// Adds a socket (a duplicate of it is kept); shut down at once if already fired.
    pub(crate) fn watch(&self, stream: &Stream) -> Result<()> {
        let copy = stream.try_clone()?;
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if state.fired {
            copy.shutdown();
        }
        state.sockets.push(copy);
        Ok(())
    }

    /// Shuts every watched socket down, now and when added later.
    pub(crate) fn fire(&self) {
        let mut state = self.0.lock().unwrap_or_else(|e| e.into_inner());
        state.fired = true;
        for s in &state.sockets {
            s.shutdown();
        }
    }

    /// Whether [`fire`](Abort::fire) was called.
    pub(crate) fn fired(&self) -> bool {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).fired
    }
}

/// A connected socket: TCP, or our end of a socket pair.
#[derive(Debug)]
pub(crate) enum Stream {
    /// A TCP connection.
    Tcp(TcpStream),
    /// One end of a Unix socket pair.
    Unix(UnixStream),
}

impl Stream {
    fn try_clone(&self) -> Result<Stream> {
        let r = match self {
            Stream::Tcp(s) => s.try_clone().map(Stream::Tcp),
            Stream::Unix(s) => s.try_clone().map(Stream::Unix),
        };
        r.map_err(|source| RemoteError::Local {
            context: "cannot duplicate a socket",
            source,
        })
    }

    fn shutdown(&self) {
        let _ = match self {
            Stream::Tcp(s) => s.shutdown(Shutdown::Both),
            Stream::Unix(s) => s.shutdown(Shutdown::Both),
        };
    }

    fn give_to(self, session: &mut Session) {
        match self {
            Stream::Tcp(s) => session.set_tcp_stream(s),
            Stream::Unix(s) => session.set_tcp_stream(s),
        }
    }
}

impl AsFd for Stream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Tcp(s) => s.as_fd(),
            Stream::Unix(s) => s.as_fd(),
        }
    }
}

/// A TCP connection to `host:port` within `timeout`.
pub(crate) fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream> {
    let err = |source| RemoteError::Connect {
        host: host.to_owned(),
        port,
        source,
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for addr in (host, port).to_socket_addrs().map_err(err)? {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(err(last))
}

/// A running proxy command, leader of its own process group;
/// [`terminate`](ProxyProcess::terminate) (or drop) ends it: with
/// `<rootwrap_command> kill <pid>` under rootwrap, else SIGTERM to its group; then SIGKILL
/// to whatever of the group is left.
#[derive(Debug)]
pub(crate) struct ProxyProcess {
    child: Option<Child>,
    kill_argv: Option<Vec<String>>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl ProxyProcess {
    /// Starts `command` for `port` with its stdin and stdout on one end of a socket pair;
    /// returns the other end.
    pub(crate) fn spawn(command: &ProxyCommand, port: u16) -> Result<(UnixStream, ProxyProcess)> {
        let argv = command.argv(port)?;
        let line = argv.join(" ");
        let (ours, theirs) = UnixStream::pair().map_err(|source| RemoteError::Local {
            context: "cannot make a socket pair",
            source,
        })?;
        let theirs_in = theirs.try_clone().map_err(|source| RemoteError::Local {
            context: "cannot duplicate a socket",
            source,
        })?;
        tracing::debug!(command = %line, "starting proxy command");
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            // Its own process group, so that what it starts ends with it.
            .process_group(0)
            .stdin(Stdio::from(OwnedFd::from(theirs_in)))
            .stdout(Stdio::from(OwnedFd::from(theirs)))
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| RemoteError::ProxyCommand { command: line, source })?;
        let stderr = Arc::new(Mutex::new(Vec::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let kept = stderr.clone();
            let _ = std::thread::Builder::new().name("proxy-stderr".into()).spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
                    let room = STDERR_KEPT.saturating_sub(kept.len());
                    kept.extend_from_slice(&buf[..n.min(room)]);
                }
            });
        }
        let kill_argv = command.kill_argv(child.id());
        Ok((
            ours,
            ProxyProcess {
                child: Some(child),
                kill_argv,
                stderr,
            },
        ))
    }

    /// What the command wrote on stderr so far (the first few KiB), as one line.
    pub(crate) fn stderr_text(&self) -> String {
        let kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&kept)
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Ends the command and reaps it (see the type's documentation).
    pub(crate) fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let pid = child.id();
        if !matches!(child.try_wait(), Ok(None)) {
            return;
        }
        match &self.kill_argv {
            Some(argv) => {
                let status = Command::new(&argv[0])
                    .args(&argv[1..])
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status();
                if !status.is_ok_and(|s| s.success()) {
                    tracing::warn!(pid, "rootwrap kill of the proxy command failed");
                }
            }
            None => signal_group(pid, rustix::process::Signal::TERM),
        }
        let ended = wait_for_exit(&mut child, PROXY_EXIT_GRACE);
        // What it started and left behind (under rootwrap this may not be ours to signal).
        signal_group(pid, rustix::process::Signal::KILL);
        if ended {
            tracing::debug!(pid, "proxy command ended");
            return;
        }
        tracing::warn!(pid, "proxy command ignored its termination; killing it");
        let _ = child.kill();
        if !wait_for_exit(&mut child, Duration::from_secs(1)) {
            // Reap it whenever it ends.
            let _ = std::thread::Builder::new()
                .name("proxy-reaper".into())
                .spawn(move || child.wait());
        }
    }
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        self.terminate();
    }
}

/// Sends `signal` to the process group `pgid` (a proxy command and what it started).
fn signal_group(pgid: u32, signal: rustix::process::Signal) {
    if let Some(p) = rustix::process::Pid::from_raw(pgid as i32) {
        let _ = rustix::process::kill_process_group(p, signal);
    }
}

/// Polls `child` until it exits or `grace` passes; whether it exited (and was reaped).
fn wait_for_exit(child: &mut Child, grace: Duration) -> bool {
    let deadline = Instant::now() + grace;
    loop {
        match child.try_wait() {
            Ok(Some(_)) | Err(_) => return true,
            Ok(None) if Instant::now() >= deadline => return false,
            Ok(None) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

/// What must outlive an SSH session: the process or tunnel its socket goes through.
#[derive(Debug)]
pub(crate) enum Carrier {
    /// A TCP connection: nothing to end.
    Tcp,
    /// A proxy command.
    Proxy(ProxyProcess),
    /// A tunnel through a proxy gateway.
    Tunnel(Tunnel),
}

impl Carrier {
    /// Ends what the session went through (after the session is gone).
    fn finish(self) {
        match self {
            Carrier::Tcp => {}
            Carrier::Proxy(mut p) => p.terminate(),
            Carrier::Tunnel(t) => t.finish(),
        }
    }
}

/// Opens a stream to `host:port` through `hop` (watched by `abort`).
pub(crate) fn open_hop(
    hop: &Hop,
    host: &str,
    port: u16,
    timeout: Duration,
    abort: &Abort,
) -> Result<(Stream, Carrier)> {
    let (stream, carrier) = match hop {
        Hop::Direct => (Stream::Tcp(connect_tcp(host, port, timeout)?), Carrier::Tcp),
        Hop::Command(command) => {
            let (sock, process) = ProxyProcess::spawn(command, port)?;
            (Stream::Unix(sock), Carrier::Proxy(process))
        }
    };
    abort.watch(&stream)?;
    Ok((stream, carrier))
}

/// An authenticated SSH session, the duplicate of its socket it is polled through, and
/// what carries it.
pub(crate) struct Link {
    /// The session (blocking mode between operations).
    pub(crate) session: Session,
    /// The instance's address (for errors).
    pub(crate) host: String,
    socket: Stream,
    carrier: Option<Carrier>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("host", &self.host).finish_non_exhaustive()
    }
}

impl Link {
    /// SSH handshake and public key authentication over `stream` (host keys are not
    /// checked, as Sahara's `AutoAddPolicy`).
    pub(crate) fn establish(stream: Stream, carrier: Carrier, login: &Endpoint, key: &PrivateKey) -> Result<Link> {
        let host = login.host.clone();
        let ssh_err = |op, source: ssh2::Error, carrier: &Carrier| RemoteError::Ssh {
            host: host.clone(),
            op,
            detail: match carrier {
                Carrier::Proxy(p) => match p.stderr_text() {
                    s if s.is_empty() => String::new(),
                    s => format!(" (proxy command: {s})"),
                },
                _ => String::new(),
            },
            source: source.into(),
        };
        let socket = stream.try_clone()?;
        let mut session = match Session::new() {
            Ok(s) => s,
            Err(e) => return Err(ssh_err("session setup", e, &carrier)),
        };
        stream.give_to(&mut session);
        if let Err(e) = session.handshake() {
            // Let the proxy command say why (e.g. nc's "Connection refused").
            let carrier = settle(carrier);
            return Err(ssh_err("handshake", e, &carrier));
        }
        if let Err(e) = session.userauth_pubkey_memory(&login.username, None, key.pem(), None) {
            let mut err = ssh_err("authentication", e, &carrier);
            if let RemoteError::Ssh { detail, .. } = &mut err {
                detail.push_str(&format!(" (user {})", login.username));
            }
            return Err(err);
        }
        Ok(Link {
            session,
            host,
            socket,
            carrier: Some(carrier),
        })
    }

    /// Waits until the session's socket is ready for what libssh2 is blocked on (at most
    /// `max`).
    pub(crate) fn wait_socket(&self, max: Duration) {
        let mut events = match self.session.block_directions() {
            BlockDirections::Outbound => PollFlags::OUT,
            BlockDirections::Both => PollFlags::IN | PollFlags::OUT,
            _ => PollFlags::IN,
        };
        events |= PollFlags::IN;
        let mut fds = [PollFd::new(&self.socket, events)];
        let _ = rustix::event::poll(&mut fds, Some(&timespec(max)));
    }

    /// Says goodbye to the server, frees the session, then ends its carrier.
    pub(crate) fn close(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        let Some(carrier) = self.carrier.take() else { return };
        self.session.set_blocking(true);
        self.session.set_timeout(CLOSE_TIMEOUT_MS);
        let _ = self.session.disconnect(None, "closed by Sahara", None);
        // Freeing the session closes its socket; the carrier sees the end of the stream.
        self.socket.shutdown();
        carrier.finish();
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Gives a proxy command that failed a moment to exit (so that its stderr is complete).
fn settle(carrier: Carrier) -> Carrier {
    if let Carrier::Proxy(mut p) = carrier {
        if let Some(child) = p.child.as_mut() {
            wait_for_exit(child, Duration::from_millis(500));
        }
        // Read side of stderr may need a moment after the exit.
        let deadline = Instant::now() + Duration::from_millis(100);
        while p.stderr_text().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        return Carrier::Proxy(p);
    }
    carrier
}

fn timespec(d: Duration) -> Timespec {
    Timespec {
        tv_sec: d.as_secs() as _,
        tv_nsec: d.subsec_nanos() as _,
    }
}

/// Connects and logs in to `login` through `hop` (port 22).
pub(crate) fn connect_node(
    hop: &Hop,
    login: &Endpoint,
    key: &PrivateKey,
    timeout: Duration,
    abort: &Abort,
) -> Result<Link> {
    let (stream, carrier) = open_hop(hop, &login.host, crate::access::SSH_PORT, timeout, abort)?;
    Link::establish(stream, carrier, login, key)
}

/// A byte stream to `host:port` made on a proxy gateway by `nc host port`, pumped to one
/// end of a socket pair by a thread that owns the gateway's session.
#[derive(Debug)]
pub(crate) struct Tunnel {
    thread: Option<JoinHandle<()>>,
}

impl Tunnel {
    /// Runs `nc host port` on the gateway `gateway` and returns our end of the tunnel.
    pub(crate) fn open(gateway: Link, host: &str, port: u16) -> Result<(UnixStream, Tunnel)> {
        let command = format!("nc {host} {port}");
        let err = |op, source: ssh2::Error| RemoteError::Ssh {
            host: gateway.host.clone(),
            op,
            detail: format!(" (gateway tunnel `{command}`)"),
            source: source.into(),
        };
        let mut channel = gateway.session.channel_session().map_err(|e| err("channel", e))?;
        channel.exec(&command).map_err(|e| err("exec", e))?;
        let local_err = |source| RemoteError::Local {
            context: "cannot make the gateway tunnel's socket pair",
            source,
        };
        let (ours, theirs) = UnixStream::pair().map_err(local_err)?;
        theirs.set_nonblocking(true).map_err(local_err)?;
        let thread = std::thread::Builder::new()
            .name(format!("ssh-tunnel-{host}"))
            .spawn(move || pump(gateway, channel, theirs))
            .map_err(|source| RemoteError::Local {
                context: "cannot start the gateway tunnel's thread",
                source,
            })?;
        tracing::debug!(%host, port, "gateway tunnel open");
        Ok((ours, Tunnel { thread: Some(thread) }))
    }

    /// Waits for the tunnel's thread to end (after our end of it was closed).
    pub(crate) fn finish(mut self) {
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The most a tunnel buffers from the gateway while our side is slow to read.
const TUNNEL_BUFFER: usize = 1 << 20;

/// Copies between `channel` and `local` until either side ends, then closes the channel
/// and the gateway's session.
fn pump(gateway: Link, mut channel: Channel, mut local: UnixStream) {
    gateway.session.set_blocking(false);
    let mut buf = vec![0u8; 32 * 1024];
    let mut to_local: Vec<u8> = Vec::new();
    let mut to_remote: Vec<u8> = Vec::new();
    let (mut remote_eof, mut local_shut, mut local_done) = (false, false, false);
    loop {
        let mut progress = false;
        // Gateway -> local.
        if !remote_eof && to_local.len() < TUNNEL_BUFFER {
            match channel.read(&mut buf) {
                // libssh2 may say 0 without EOF when nothing is buffered yet.
                Ok(0) => remote_eof = channel.eof(),
                Ok(n) => {
                    to_local.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => remote_eof = true,
            }
        }
        if !to_local.is_empty() {
            match local.write(&to_local) {
                Ok(n) => {
                    to_local.drain(..n);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        if remote_eof && to_local.is_empty() && !local_shut {
            // nc ended (the target closed): tell our side, which then closes its end.
            let _ = local.shutdown(Shutdown::Write);
            local_shut = true;
        }
        // Local -> gateway.
        if to_remote.is_empty() && !local_done {
            match local.read(&mut buf) {
                Ok(0) => local_done = true,
                Ok(n) => {
                    to_remote.extend_from_slice(&buf[..n]);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => local_done = true,
            }
        }
        if !to_remote.is_empty() {
            match channel.write(&to_remote) {
                Ok(n) => {
                    to_remote.drain(..n);
                    progress = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(_) => break,
            }
        }
        // Our side closed its end: the tunnel is over (neither SSH nor HTTP half-closes).
        if local_done && to_remote.is_empty() {
            break;
        }
        if !progress {
            // Wait only for what the next round would act on (or poll would spin).
            let mut gateway_events = PollFlags::empty();
            if (!remote_eof && to_local.len() < TUNNEL_BUFFER) || !to_remote.is_empty() {
                gateway_events |= PollFlags::IN;
            }
            if !to_remote.is_empty()
                && matches!(
                    gateway.session.block_directions(),
                    BlockDirections::Outbound | BlockDirections::Both
                )
            {
                gateway_events |= PollFlags::OUT;
            }
            let mut local_events = PollFlags::empty();
            if to_remote.is_empty() {
                local_events |= PollFlags::IN;
            }
            if !to_local.is_empty() {
                local_events |= PollFlags::OUT;
            }
            let mut fds = Vec::with_capacity(2);
            if !gateway_events.is_empty() {
                fds.push(PollFd::new(&gateway.socket, gateway_events));
            }
            if !local_events.is_empty() {
                fds.push(PollFd::new(&local, local_events));
            }
            let _ = rustix::event::poll(&mut fds, Some(&timespec(Duration::from_millis(500))));
        }
    }
    drop(local);
    // Close nc's stdin and the channel without waiting long for the gateway.
    let deadline = Instant::now() + Duration::from_millis(CLOSE_TIMEOUT_MS as u64);
    for step in [Channel::send_eof, Channel::close] {
        while let Err(e) = step(&mut channel) {
            if io::Error::from(e).kind() != io::ErrorKind::WouldBlock || Instant::now() > deadline {
                break;
            }
            gateway.wait_socket(Duration::from_millis(50));
        }
    }
    drop(channel);
    gateway.close();
    tracing::debug!("gateway tunnel closed");
}
