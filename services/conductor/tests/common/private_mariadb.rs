//! A private MariaDB server for tests that kill and restart their database, so they never
//! disturb the machine's MariaDB (127.0.0.1:3306) or the tests using it.
//!
//! The server runs `/usr/sbin/mariadbd` on a throwaway data directory under /tmp
//! (`sahara-mariadb-<id>`, initialised by `mariadb-install-db` with a password-less root),
//! on a free 127.0.0.1 port with its own socket, pid and error-log files. Dropping the
//! handle kills the server and removes the directory, also when the test fails; servers
//! left behind by test processes that died are killed and removed by the next
//! [`PrivateMariaDb::start`].
#![allow(dead_code)]

use diesel::Connection;
use diesel::MysqlConnection;
use diesel::connection::SimpleConnection;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const PREFIX: &str = "sahara-mariadb-";
/// Small InnoDB files: the server starts, crashes and recovers in well under a second.
const SERVER_ARGS: &[&str] = &[
    "--no-defaults",
    "--user=root",
    "--skip-name-resolve",
    "--innodb-log-file-size=8M",
    "--innodb-buffer-pool-size=32M",
    "--max-connections=200",
];

/// A private MariaDB server.
pub struct PrivateMariaDb {
    dir: PathBuf,
    port: u16,
    child: Option<Child>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .unwrap()
        .port()
}

impl PrivateMariaDb {
    /// Initialises a data directory and starts the server; returns once it accepts
    /// connections. Servers orphaned by dead test processes are reaped first.
    pub fn start() -> PrivateMariaDb {
        reap_orphans();
        let id = &uuid::Uuid::new_v4().simple().to_string()[..10];
        let dir = std::env::temp_dir().join(format!("{PREFIX}{id}"));
        // Its temporary tables stay in its own directory, away from the shared server's.
        std::fs::create_dir_all(dir.join("tmp")).unwrap();
        std::fs::write(dir.join("owner"), std::process::id().to_string()).unwrap();
        let out = Command::new("mariadb-install-db")
            .args([
                "--no-defaults",
                "--user=root",
                "--auth-root-authentication-method=normal",
            ])
            .args(["--skip-test-db", "--skip-name-resolve"])
            .args(["--innodb-log-file-size=8M", "--innodb-buffer-pool-size=32M"])
            .arg(format!("--datadir={}", dir.join("data").display()))
            // The bootstrap's temporary tables too (in /tmp, one of them once vanished under a CI run:
            // "Error on delete of '/tmp/#sql-temptable-...'").
            .arg(format!("--tmpdir={}", dir.join("tmp").display()))
            .output()
            .expect("mariadb-install-db (the tests need MariaDB 10.11 installed)");
        let mut db = PrivateMariaDb {
            dir,
            port: free_port(),
            child: None,
        };
        assert!(
            out.status.success(),
            "mariadb-install-db failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        db.start_again();
        db
    }

    /// Starts the server (again) on the same data directory and port; returns once it
    /// accepts connections.
    pub fn start_again(&mut self) {
        assert!(self.child.is_none(), "the private MariaDB is already running");
        let d = |f: &str| self.dir.join(f).display().to_string();
        let child = Command::new("/usr/sbin/mariadbd")
            .args(SERVER_ARGS)
            .arg(format!("--datadir={}", d("data")))
            .arg(format!("--tmpdir={}", d("tmp")))
            .arg(format!("--port={}", self.port))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", d("mysqld.sock")))
            .arg(format!("--pid-file={}", d("mysqld.pid")))
            .arg(format!("--log-error={}", d("error.log")))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start /usr/sbin/mariadbd");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if MysqlConnection::establish(&self.admin_url()).is_ok() {
                return;
            }
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                panic!("mariadbd exited ({status}) while starting: {}", self.error_log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "the private MariaDB did not start: {}",
                self.error_log_tail()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: the server dies at once, as in a crash or an OOM kill.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// SIGTERM: a clean shutdown (connections are closed, InnoDB flushes); SIGKILL if it
    /// takes longer than 30 s.
    pub fn terminate(&mut self) {
        let Some(mut child) = self.child.take() else { return };
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.wait();
    }

    /// Whether the server process is running.
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// The TCP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A diesel URL of the server as root (no default database).
    pub fn admin_url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}", self.port)
    }

    /// Creates database `name` (and, with `user`, a user with `password` owning it).
    pub fn create_database(&self, name: &str, user: Option<(&str, &str)>) {
        let mut c = MysqlConnection::establish(&self.admin_url()).unwrap();
        c.batch_execute(&format!("CREATE DATABASE `{name}`")).unwrap();
        if let Some((user, password)) = user {
            c.batch_execute(&format!(
                "CREATE USER '{user}'@'127.0.0.1' IDENTIFIED BY '{password}'; \
                 GRANT ALL ON `{name}`.* TO '{user}'@'127.0.0.1'"
            ))
            .unwrap();
        }
    }

    /// The oslo.db connection string of database `name` as root.
    pub fn oslo_url(&self, name: &str) -> String {
        format!("mysql+pymysql://root@127.0.0.1:{}/{name}", self.port)
    }

    /// A root connection to database `name`.
    pub fn conn(&self, name: &str) -> MysqlConnection {
        MysqlConnection::establish(&format!("{}/{name}", self.admin_url())).unwrap()
    }

    /// The end of the server's error log (for failure messages).
    pub fn error_log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for PrivateMariaDb {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills and removes the private servers whose owning test process no longer exists.
fn reap_orphans() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PREFIX) {
            continue;
        }
        let dir = entry.path();
        let owner = read_pid(&dir.join("owner"));
        if owner.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists()) {
            continue;
        }
        // Only a mariadbd started on this very directory is killed (pids get reused).
        if let Some(pid) = read_pid(&dir.join("mysqld.pid"))
            && std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&*dir.to_string_lossy()))
        {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
            let deadline = Instant::now() + Duration::from_secs(10);
            while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn read_pid(path: &Path) -> Option<u32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}
