//! A private RabbitMQ node for tests that stop and start their broker, so they never
//! disturb the machine's broker or the tests using it.
//!
//! The node (`sahara<id>@localhost`) runs as the `rabbitmq` user with its own data and log
//! directories under /tmp, its own AMQP and distribution ports on 127.0.0.1, and no
//! plugins. Dropping the handle stops the node and removes its directory.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A running private RabbitMQ node.
pub struct PrivateBroker {
    node: String,
    dir: PathBuf,
    port: u16,
    dist_port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

impl PrivateBroker {
    /// Starts a node and waits until it accepts AMQP connections. Nodes left behind by
    /// test processes that died (their owner pid is gone) are stopped and removed first.
    pub fn start() -> PrivateBroker {
        reap_orphans();
        let id = &crate::unique_id()[..10];
        // rabbitmqctl's own distribution listener uses (dist port + 10000): keep clear of it.
        let (port, dist_port) = loop {
            let (p, d) = (free_port(), free_port());
            if p != d && p != d + 10000 && p < 55000 && d < 55000 {
                break (p, d);
            }
        };
        let dir = std::env::temp_dir().join(format!("sahara-rmq-{id}"));
        std::fs::create_dir_all(dir.join("mnesia")).unwrap();
        std::fs::create_dir_all(dir.join("log")).unwrap();
        std::fs::write(dir.join("enabled_plugins"), "[].\n").unwrap();
        std::fs::write(dir.join("owner"), std::process::id().to_string()).unwrap();
        std::fs::write(
            dir.join("rabbitmq.conf"),
            format!("listeners.tcp.1 = 127.0.0.1:{port}\nloopback_users = none\n"),
        )
        .unwrap();
        let status = Command::new("chown")
            .args(["-R", "rabbitmq:rabbitmq"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "chown of the private broker directory failed");
        let broker = PrivateBroker {
            node: format!("sahara{id}@localhost"),
            dir,
            port,
            dist_port,
        };
        let out = broker
            .command("rabbitmq-server")
            .arg("-detached")
            .output()
            .expect("rabbitmq-server");
        assert!(
            out.status.success(),
            "rabbitmq-server failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(60);
        while !broker.ctl(&["ping"]).status.success() {
            assert!(Instant::now() < deadline, "the private broker did not start");
            std::thread::sleep(Duration::from_millis(300));
        }
        broker.ctl_ok(&["await_startup", "--timeout", "60"]);
        broker
    }

    fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        let d = |p: &str| self.dir.join(p).display().to_string();
        c.env("RABBITMQ_NODENAME", &self.node);
        if self.dist_port != 0 {
            c.env("RABBITMQ_DIST_PORT", self.dist_port.to_string());
        }
        c.env("RABBITMQ_MNESIA_BASE", d("mnesia"))
            .env("RABBITMQ_LOG_BASE", d("log"))
            .env("RABBITMQ_ENABLED_PLUGINS_FILE", d("enabled_plugins"))
            .env("RABBITMQ_CONFIG_FILE", d("rabbitmq"))
            .env("RABBITMQ_PID_FILE", d("pid"))
            .env_remove("RABBITMQ_NODE_PORT");
        c
    }

    fn ctl(&self, args: &[&str]) -> Output {
        self.command("rabbitmqctl")
            .args(["-n", &self.node])
            .args(args)
            .output()
            .expect("rabbitmqctl")
    }

    fn ctl_ok(&self, args: &[&str]) {
        let out = self.ctl(args);
        assert!(
            out.status.success(),
            "rabbitmqctl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The node's transport URL (guest account, default vhost).
    pub fn url(&self) -> String {
        format!("rabbit://guest:guest@127.0.0.1:{}/", self.port)
    }

    /// `rabbitmqctl stop_app`: connections close, the listener goes away.
    pub fn stop_app(&self) {
        self.ctl_ok(&["stop_app"]);
    }

    /// `rabbitmqctl start_app`: the broker comes back (non-durable queues are gone).
    pub fn start_app(&self) {
        self.ctl_ok(&["start_app"]);
    }

    /// `rabbitmqctl list_queues name` on this node.
    pub fn queue_names(&self) -> Vec<String> {
        let out = self.ctl(&["list_queues", "-q", "name"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .skip_while(|l| *l == "name")
            .map(str::to_string)
            .collect()
    }
}

/// Stops and removes private nodes whose owning test process no longer exists.
fn reap_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(id) = name.strip_prefix("sahara-rmq-") else {
            continue;
        };
        let owner = std::fs::read_to_string(entry.path().join("owner"))
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok());
        if owner.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists()) {
            continue;
        }
        let orphan = PrivateBroker {
            node: format!("sahara{id}@localhost"),
            dir: entry.path(),
            port: 0,
            dist_port: 0,
        };
        drop(orphan); // stops the node (if it runs) and removes the directory
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        let _ = self.ctl(&["stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
