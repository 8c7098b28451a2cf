//! Servers: a network namespace `inst-<server_id>` running a real sshd in private UTS,
//! mount and pid namespaces.
//!
//! Boot: the private filesystem is prepared ([`GuestFs`]), the namespace gets one veth per
//! NIC (`eth<n>` inside with the port's MAC and fixed IP, the host end on the network's
//! bridge), and sshd starts as
//! `ip netns exec inst-<id> unshare --pid --fork --uts --mount --propagation private sh -c INIT`,
//! where INIT sets the hostname, mounts the private directories, a private `/dev` (the
//! usual nodes, a devpts instance, shm: attached volumes are added to it) and `/proc`, and
//! execs sshd as pid 1 of the server's pid namespace, so that it reaps the daemons started
//! over SSH. User data then runs as root in the server's namespaces (`nsenter` into
//! sshd's), its output appended to the console log, its exit status recorded. A server of a
//! Spark image also gets the fabric's Spark distribution at `/opt/spark`, as an overlay
//! with a private upper layer (see [`spark`](super::spark)).

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::cmd::{Cmd, PATH, sh_quote};
use super::guest::{self, GuestFs, OVERLAYS, PRIVATE_DIRS};
use super::net::{GONE, Net, quiet_host_link};
use super::procs;
use super::spark::SPARK_HOME;
use super::state::{ServerRecord, Store, io_error, remove_tree};
use super::{FabricError, Result, ServerSpec, ServerStatus};

/// How long sshd may take to listen.
const BOOT_TIMEOUT: Duration = Duration::from_secs(15);

/// How long the processes of a deleted server may take to die.
const KILL_TIMEOUT: Duration = Duration::from_secs(5);

/// The namespace of server `server_id`.
pub(crate) fn server_namespace(server_id: &str) -> String {
    format!("inst-{server_id}")
}

/// The per-namespace files `ip netns exec` puts over `/etc/<name>`.
pub(crate) fn etc_netns_dir(ns: &str) -> PathBuf {
    Path::new("/etc/netns").join(ns)
}

/// The fabric's servers.
pub(crate) struct Servers<'a> {
    pub store: &'a Store,
    pub net: &'a Net<'a>,
}

impl Servers<'_> {
    /// A server's record, or [`FabricError::NotFound`].
    pub(crate) fn record(&self, server_id: &str) -> Result<ServerRecord> {
        self.store
            .read::<ServerRecord>(&self.store.server_path(server_id))?
            .ok_or_else(|| FabricError::NotFound {
                kind: "server",
                id: server_id.to_owned(),
            })
    }

    /// See [`Fabric::boot_server`](super::Fabric::boot_server); a failed boot removes what it made.
    /// `spark` is the Spark distribution Spark images get.
    pub(crate) fn boot(&self, spec: &ServerSpec, spark: Option<&Path>) -> Result<()> {
        let started = Instant::now();
        let ns = server_namespace(&spec.server_id);
        if procs::netns_exists(&ns) {
            return Err(FabricError::InUse(format!("namespace {ns}")));
        }
        let bridges = spec
            .nics
            .iter()
            .map(|nic| self.net.bridge(&nic.network_id).map(|r| r.bridge))
            .collect::<Result<Vec<_>>>()?;
        let dir = self.store.server_dir(&spec.server_id);
        remove_tree(&dir)?;
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let spark = match (spec.spark, spark) {
            (true, None) => {
                // Sahara would fail later, on a missing /opt/spark: say why where one looks.
                let why = format!(
                    "sahara-testcloud: the image is a Spark image but the cloud has no Spark distribution \
                     (set SAHARA_TESTCLOUD_SPARK_VENV or run scripts/test): no {SPARK_HOME}"
                );
                tracing::warn!(server_id = %spec.server_id, "{why}");
                let _ = writeln!(console_file(&dir)?, "{why}");
                None
            }
            (true, dist) => dist,
            (false, _) => None,
        };
        let fs = GuestFs::new(&dir);
        let booted = fs
            .prepare(spec, spark.is_some())
            .and_then(|()| self.start(spec, &ns, &dir, &fs, &bridges, spark));
        match booted {
            Ok(record) => {
                self.store.write(&self.store.server_path(&spec.server_id), &record)?;
                tracing::info!(
                    server_id = %spec.server_id,
                    hostname = %spec.hostname,
                    sshd_pid = record.sshd_pid,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "server up"
                );
                if spec.user_data.as_deref().is_some_and(guest::is_script) {
                    self.run_user_data(&spec.server_id, record.sshd_pid, &dir)?;
                }
                Ok(())
            }
            Err(e) => {
                tracing::warn!(server_id = %spec.server_id, error = %e, "boot failed, removing what was made");
                if let Err(undo) = self.teardown(&spec.server_id) {
                    tracing::warn!(server_id = %spec.server_id, error = %undo, "could not remove a failed server");
                }
                Err(e)
            }
        }
    }

    /// Namespace, NICs, `/etc/netns` files, sshd; returns once sshd listens.
    fn start(
        &self,
        spec: &ServerSpec,
        ns: &str,
        dir: &Path,
        fs: &GuestFs,
        bridges: &[String],
        spark: Option<&Path>,
    ) -> Result<ServerRecord> {
        Cmd::new("ip").args(["netns", "add", ns]).run()?;
        Cmd::ip_in(ns).args(["link", "set", "lo", "up"]).run()?;
        let mut host_links = Vec::new();
        for (n, (nic, bridge)) in spec.nics.iter().zip(bridges).enumerate() {
            let eth = format!("eth{n}");
            let host_end = self.store.next_link(self.net.prefix, "tap")?;
            Cmd::new("ip")
                .args([
                    "link", "add", &host_end, "type", "veth", "peer", "name", &eth, "address", &nic.mac, "netns", ns,
                ])
                .run()?;
            host_links.push(host_end.clone());
            quiet_host_link(&host_end);
            Cmd::new("ip")
                .args(["link", "set", &host_end, "master", bridge, "up"])
                .run()?;
            let cidr = format!("{}/{}", nic.ip, nic.subnet.prefix_len);
            Cmd::ip_in(ns).args(["addr", "add", &cidr, "dev", &eth]).run()?;
            Cmd::ip_in(ns).args(["link", "set", &eth, "up"]).run()?;
        }
        if let Some((n, nic)) = spec.nics.iter().enumerate().find(|(_, nic)| nic.gateway.is_some()) {
            let gateway = nic.gateway.map(|g| g.to_string()).unwrap_or_default();
            Cmd::ip_in(ns)
                .args(["route", "add", "default", "via", &gateway, "dev", &format!("eth{n}")])
                .run()?;
        }
        let etc = etc_netns_dir(ns);
        std::fs::create_dir_all(&etc).map_err(|e| io_error(&etc, e))?;
        for name in ["hosts", "hostname", "resolv.conf"] {
            // The server's own files: what the host sees is what the server has.
            let link = etc.join(name);
            std::os::unix::fs::symlink(fs.etc_file(name), &link).map_err(|e| io_error(&link, e))?;
        }

        let pid_file = dir.join("sshd.pid");
        let console = console_file(dir)?;
        let mut command = Command::new("ip");
        command
            .args([
                "netns",
                "exec",
                ns,
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "--uts",
                "--mount",
            ])
            .args(["--propagation", "private", "/bin/sh", "-c"])
            .arg(init_script(&pid_file, &spec.hostname, &dir.join("fs"), spark))
            .env_clear()
            .env("PATH", PATH)
            .env("LANG", "C")
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(console.try_clone().map_err(|e| io_error(dir, e))?)
            .stderr(console);
        let launcher = procs::spawn_reaped(command, &format!("sshd of server {}", spec.server_id))?;
        let deadline = Instant::now() + BOOT_TIMEOUT;
        loop {
            let sshd_pid = std::fs::read_to_string(&pid_file)
                .ok()
                .and_then(|s| s.trim().parse::<u32>().ok());
            if let Some(pid) = sshd_pid
                && procs::listens_on(pid, 22)
            {
                return Ok(ServerRecord {
                    namespace: ns.to_owned(),
                    sshd_pid: pid,
                    host_links,
                    attachments: Vec::new(),
                });
            }
            if !procs::is_alive(launcher) || Instant::now() > deadline {
                return Err(FabricError::Other(format!(
                    "sshd of server {} did not start: {}",
                    spec.server_id,
                    console_tail(&dir.join("console.log"))
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Runs the user data script as root in the server's namespaces, in the background.
    fn run_user_data(&self, server_id: &str, sshd_pid: u32, dir: &Path) -> Result<()> {
        let console = console_file(dir)?;
        let runner = format!("cd /; {}; echo $? > {}", guest::USER_DATA_SCRIPT, guest::USER_DATA_EXIT);
        let mut command = Command::new("nsenter");
        command
            .args([
                "-t",
                &sshd_pid.to_string(),
                "-n",
                "-u",
                "-m",
                "-p",
                "--",
                "/bin/sh",
                "-c",
                &runner,
            ])
            .env_clear()
            .env("PATH", PATH)
            .env("HOME", "/root")
            .env("LANG", "C.UTF-8")
            .current_dir("/")
            .stdin(Stdio::null())
            .stdout(console.try_clone().map_err(|e| io_error(dir, e))?)
            .stderr(console);
        let pid = procs::spawn_reaped(command, &format!("user data of server {server_id}"))?;
        tracing::info!(%server_id, pid, "user data started");
        Ok(())
    }

    /// See [`Fabric::server_status`](super::Fabric::server_status).
    pub(crate) fn status(&self, server_id: &str) -> Result<ServerStatus> {
        let record = self.record(server_id)?;
        let dir = self.store.server_dir(server_id);
        let exit = GuestFs::new(&dir).user_data_exit();
        Ok(ServerStatus {
            running: procs::is_running(record.sshd_pid, "sshd"),
            user_data_exit: std::fs::read_to_string(exit).ok().and_then(|s| s.trim().parse().ok()),
            console_log: dir.join("console.log"),
        })
    }

    /// Kills every process of the server, removes its namespace, `/etc/netns` files and
    /// state directory; returns the attachments it had.
    pub(crate) fn teardown(&self, server_id: &str) -> Result<Vec<(String, String)>> {
        let ns = server_namespace(server_id);
        let record = self
            .store
            .read::<ServerRecord>(&self.store.server_path(server_id))
            .ok()
            .flatten();
        let killed = procs::kill_netns_processes(&ns, KILL_TIMEOUT)?;
        if procs::netns_exists(&ns) {
            Cmd::new("ip").args(["netns", "del", &ns]).run_tolerating(GONE)?;
        }
        remove_tree(&etc_netns_dir(&ns))?;
        remove_tree(&self.store.server_dir(server_id))?;
        tracing::info!(%server_id, killed = killed.len(), "server deleted");
        Ok(record.map(|r| r.attachments).unwrap_or_default())
    }
}

fn console_file(dir: &Path) -> Result<std::fs::File> {
    let path = dir.join("console.log");
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io_error(&path, e))
}

/// The last lines of a console log, for error messages.
fn console_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join(" | ")
}

/// The script that turns the namespaces `unshare` made into the server, then execs sshd.
///
/// It records its host pid first (the host's `/proc` is still mounted), then binds the
/// server's `fs` directory (and the Spark distribution `spark`, for Spark images) on a
/// private `/run` so that every later mount finds its source wherever it is on the host
/// (even under `/tmp`, `/var` or `/root`), not through the server's own overlays.
fn init_script(pid_file: &Path, hostname: &str, fs: &Path, spark: Option<&Path>) -> String {
    let mut s = String::from("set -e\n");
    s += "read -r hostpid _ < /proc/self/stat\n";
    s += &format!("echo \"$hostpid\" > {}\n", sh_quote(&pid_file.to_string_lossy()));
    s += &format!("hostname {}\n", sh_quote(hostname));
    s += "mount -t tmpfs -o mode=755,nosuid,nodev,size=64m tmpfs /run\n";
    s += &format!(
        "mkdir /run/fs\nmount --bind {} /run/fs\n",
        sh_quote(&fs.to_string_lossy())
    );
    if let Some(dist) = spark {
        s += &format!(
            "mkdir /run/spark-dist\nmount --bind {} /run/spark-dist\n",
            sh_quote(&dist.to_string_lossy())
        );
    }
    s += "mount -t proc -o nosuid,nodev,noexec proc /proc\n";
    for dir in OVERLAYS {
        s += &format!(
            "mount -t overlay overlay -o lowerdir=/{dir},upperdir=/run/fs/{dir}/upper,workdir=/run/fs/{dir}/work /{dir}\n"
        );
    }
    for dir in PRIVATE_DIRS {
        s += &format!("mount --bind /run/fs/{dir} /{dir}\n");
    }
    if spark.is_some() {
        // metacopy: a `chown -R` of the distribution copies no data up (kernels without it
        // copy whole files, which works too).
        let d = guest::SPARK_DIR;
        let options = format!("lowerdir=/run/spark-dist,upperdir=/run/fs/{d}/upper,workdir=/run/fs/{d}/work");
        s += &format!("mkdir -p {SPARK_HOME}\n");
        s += &format!(
            "mount -t overlay overlay -o {options},metacopy=on {SPARK_HOME} || \
             mount -t overlay overlay -o {options} {SPARK_HOME}\n"
        );
        s += "umount /run/spark-dist\nrmdir /run/spark-dist\n";
    }
    s += "umount /run/fs\nrmdir /run/fs\n";
    s += "mkdir -m 755 /run/sshd /run/sudo\nmkdir -m 1777 /run/lock\n";
    s += "mount -t tmpfs -o mode=755,nosuid,size=1m tmpfs /dev\n";
    for (name, major, minor) in [
        ("null", 1, 3),
        ("zero", 1, 5),
        ("full", 1, 7),
        ("random", 1, 8),
        ("urandom", 1, 9),
        ("tty", 5, 0),
    ] {
        s += &format!("mknod -m 666 /dev/{name} c {major} {minor}\n");
    }
    s += "mkdir -m 755 /dev/pts\nmount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts\n";
    s += "ln -s pts/ptmx /dev/ptmx\n";
    s += "mkdir -m 1777 /dev/shm\nmount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm\n";
    s += "ln -s /proc/self/fd /dev/fd\nln -s /proc/self/fd/0 /dev/stdin\n";
    s += "ln -s /proc/self/fd/1 /dev/stdout\nln -s /proc/self/fd/2 /dev/stderr\n";
    s += "exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config\n";
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_script_mounts_before_sshd() {
        let s = init_script(Path::new("/tmp/x y/sshd.pid"), "node-1", Path::new("/tmp/x y/fs"), None);
        assert!(s.contains("echo \"$hostpid\" > '/tmp/x y/sshd.pid'"), "{s}");
        assert!(s.contains("mount --bind '/tmp/x y/fs' /run/fs"), "{s}");
        assert!(
            s.contains("lowerdir=/etc,upperdir=/run/fs/etc/upper,workdir=/run/fs/etc/work /etc"),
            "{s}"
        );
        assert!(s.find("mount --bind /run/fs/tmp /tmp").unwrap() < s.find("umount /run/fs").unwrap());
        assert!(
            s.trim_end()
                .ends_with("exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config")
        );
        assert!(!s.contains("spark"), "{s}");
    }

    #[test]
    fn spark_images_get_a_private_overlay_of_the_distribution() {
        let s = init_script(
            Path::new("/x/sshd.pid"),
            "node-1",
            Path::new("/x/fs"),
            Some(Path::new("/root/venv/pyspark")),
        );
        let bind = s.find("mount --bind '/root/venv/pyspark' /run/spark-dist").unwrap();
        let root_home = s.find("mount --bind /run/fs/root /root").unwrap();
        let overlay = s
            .find("lowerdir=/run/spark-dist,upperdir=/run/fs/spark/upper,workdir=/run/fs/spark/work,metacopy=on /opt/spark")
            .unwrap();
        // The distribution is bound before the server's own /root hides it, the overlay
        // is made before /run/fs goes.
        assert!(bind < root_home && root_home < overlay, "{s}");
        assert!(overlay < s.find("umount /run/spark-dist").unwrap(), "{s}");
        assert!(overlay < s.find("umount /run/fs").unwrap(), "{s}");
    }
}
