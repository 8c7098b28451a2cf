//! `oslo_peer.py` (real oslo.messaging 18.x) as a test peer.
//!
//! The virtualenv comes from `scripts/test` (`SAHARA_TEST_OSLO_VENV`); when unset, the
//! newest `venv-oslo-*` under the cache directory is used, and a missing one is a clear
//! failure telling how to make it.

use crate::reference_dir;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The Python interpreter of the oslo.messaging virtualenv.
pub fn python() -> PathBuf {
    if let Ok(v) = std::env::var("SAHARA_TEST_OSLO_VENV") {
        return PathBuf::from(v).join("bin/python");
    }
    let cache = std::env::var("SAHARA_CACHE_DIR").unwrap_or_else(|_| "/var/cache/sahara-rs".into());
    let mut venvs: Vec<PathBuf> = std::fs::read_dir(&cache)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    venvs.retain(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("venv-oslo-"))
            && p.join(".complete").exists()
    });
    venvs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    match venvs.pop() {
        Some(v) => v.join("bin/python"),
        None => panic!(
            "no oslo.messaging virtualenv found under {cache}: run scripts/test, or \
             `source scripts/lib.sh; ensure_venv oslo tests/python/requirements-oslo.txt`"
        ),
    }
}

/// `../shared/tools/oslo_peer.py`.
pub fn peer_script() -> PathBuf {
    reference_dir().join("tools/oslo_peer.py")
}

/// Common peer options: transport URL, control exchange and an oslo config file.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Transport URL.
    pub url: String,
    /// Control exchange.
    pub exchange: String,
    /// Path of an oslo.config file with driver options.
    pub config_file: PathBuf,
    _dir: std::sync::Arc<tempfile::TempDir>,
}

impl PeerConfig {
    /// A peer on `url` using `exchange`, with `[oslo_messaging_rabbit]` extras.
    /// Transient queues expire after 5 s so nothing a Python client makes outlives a test.
    pub fn new(url: &str, exchange: &str, rabbit_extra: &str) -> PeerConfig {
        let dir = tempfile::tempdir().expect("tempdir");
        let config_file = dir.path().join("peer.conf");
        std::fs::write(
            &config_file,
            format!("[oslo_messaging_rabbit]\nrabbit_transient_queues_ttl = 5\n{rabbit_extra}\n"),
        )
        .unwrap();
        PeerConfig {
            url: url.to_string(),
            exchange: exchange.to_string(),
            config_file,
            _dir: std::sync::Arc::new(dir),
        }
    }

    fn args(&self) -> Vec<String> {
        vec![
            "--url".into(),
            self.url.clone(),
            "--exchange".into(),
            self.exchange.clone(),
            "--config-file".into(),
            self.config_file.display().to_string(),
        ]
    }
}

fn command(script: &Path, sub: &str) -> Command {
    let mut c = Command::new(python());
    c.arg(script).arg(sub).stdin(Stdio::null()).stderr(Stdio::inherit());
    c
}

/// A running `oslo_peer.py serve` or `listen-notifications`, killed on drop.
pub struct PeerProcess {
    child: Child,
    events: mpsc::Receiver<Value>,
}

impl PeerProcess {
    fn spawn(mut cmd: Command) -> PeerProcess {
        let mut child = cmd.stdout(Stdio::piped()).spawn().expect("start oslo_peer.py");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line)
                    && tx.send(v).is_err()
                {
                    break;
                }
            }
        });
        let mut p = PeerProcess { child, events: rx };
        let ready = p
            .next_event(Duration::from_secs(30))
            .expect("oslo_peer.py did not become ready");
        assert_eq!(ready["event"], "ready", "unexpected first line {ready}");
        p
    }

    /// Starts an RPC server on `topic` as `server`, endpoint version `version`.
    pub fn serve(cfg: &PeerConfig, topic: &str, server: &str, version: &str) -> PeerProcess {
        let mut c = command(&peer_script(), "serve");
        c.args(cfg.args())
            .args(["--topic", topic, "--server", server, "--version", version]);
        Self::spawn(c)
    }

    /// Starts a notification listener on `topic` (queues `<topic>.<priority>`).
    pub fn listen_notifications(cfg: &PeerConfig, topic: &str) -> PeerProcess {
        let mut c = command(&peer_script(), "listen-notifications");
        c.args(cfg.args()).args(["--topic", topic]);
        Self::spawn(c)
    }

    /// The next JSON line the peer printed, waiting up to `timeout`.
    pub fn next_event(&mut self, timeout: Duration) -> Option<Value> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Waits for the first event satisfying `pred`.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = Instant::now() + timeout;
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            match self.next_event(left) {
                Some(v) if pred(&v) => return Some(v),
                Some(_) => continue,
                None => return None,
            }
        }
        None
    }

    /// Stops the peer (SIGTERM, then SIGKILL after 10 s).
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// What one `oslo_peer.py call` printed, and its exit code (0 ok, 1 remote error,
/// 2 timeout, 3 other).
#[derive(Debug, Clone)]
pub struct CallOutcome {
    /// Exit code.
    pub code: i32,
    /// The JSON line printed.
    pub output: Value,
}

/// Runs `oslo_peer.py call` with extra arguments (`--topic`, `--method`, `--args`, ...).
pub fn call(cfg: &PeerConfig, args: &[&str]) -> CallOutcome {
    run_once(cfg, "call", args)
}

/// Runs `oslo_peer.py notify` with extra arguments.
pub fn notify(cfg: &PeerConfig, args: &[&str]) -> CallOutcome {
    run_once(cfg, "notify", args)
}

/// Runs a one-shot peer command and keeps its last JSON line.
fn run_once(cfg: &PeerConfig, sub: &str, args: &[&str]) -> CallOutcome {
    let mut c = command(&peer_script(), sub);
    c.args(cfg.args()).args(args);
    let out = c.output().unwrap_or_else(|e| panic!("run oslo_peer.py {sub}: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let output = text
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or(Value::Null);
    CallOutcome {
        code: out.status.code().unwrap_or(-1),
        output,
    }
}
