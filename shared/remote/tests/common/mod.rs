//! A lab for the tests (root only): network namespaces joined by veth pairs, and
//! "instances" — a namespace whose sshd (key-only login for `cloud-user`, who may sudo)
//! and `python3 -m http.server 8000` run in a private PID and mount namespace. Everything
//! is named `srm-<pid>-<n>...` (links `sr<pid hex>x<n>...`) and removed when the lab is
//! dropped, panics included; leftovers of test processes that died are swept at start.

#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sahara_remote::{InstanceAccess, Node, PrivateKey};

/// The login user of every instance.
pub const LOGIN: &str = "cloud-user";

/// The port of every instance's HTTP server.
pub const HTTP_PORT: u16 = 8000;

/// What every instance's HTTP server serves at `/hello.txt`.
pub const HELLO: &str = "hello from the instance\n";

static NEXT_LAB: AtomicUsize = AtomicUsize::new(0);
static NEXT_SUBNET: Mutex<u32> = Mutex::new(0);
static SWEEP: Once = Once::new();

/// One test's namespaces, links, instances and files.
pub struct Lab {
    /// `srm-<pid>-<n>`: the prefix of every name, also the router id of `qrouter-<id>`.
    pub id: String,
    short: String,
    /// The lab's directory (keys, instance files, logs).
    pub dir: PathBuf,
    /// The client's private key (RSA PEM, as Sahara makes them).
    pub key: String,
    namespaces: Vec<String>,
    root_links: Vec<String>,
    instances: Vec<Child>,
    links: usize,
}

/// An instance of the lab.
pub struct Instance {
    /// Its network namespace.
    pub ns: String,
    /// Its private directory on the host (`home/` is the login user's home).
    pub dir: PathBuf,
}

impl Lab {
    /// A new empty lab.
    pub fn new() -> Result<Lab> {
        if !rustix::process::geteuid().is_root() {
            bail!("the sahara-remote tests need root (network namespaces, sshd)");
        }
        init_tracing();
        SWEEP.call_once(sweep_stale);
        let pid = std::process::id();
        let n = NEXT_LAB.fetch_add(1, Ordering::SeqCst);
        let id = format!("srm-{pid}-{n}");
        let dir = std::env::temp_dir().join(&id);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
        let mut lab = Lab {
            id,
            short: format!("sr{pid:x}x{n:x}"),
            dir,
            key: String::new(),
            namespaces: Vec::new(),
            root_links: Vec::new(),
            instances: Vec::new(),
            links: 0,
        };
        let key = lab.dir.join("id_rsa");
        run(Command::new("ssh-keygen")
            .args([
                "-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", "sahara", "-f",
            ])
            .arg(&key))?;
        lab.key = std::fs::read_to_string(&key)?;
        Ok(lab)
    }

    /// A namespace with its loopback up.
    pub fn namespace(&mut self, name: &str) -> Result<String> {
        self.namespaces.push(name.to_owned());
        run(Command::new("ip").args(["netns", "add", name]))?;
        run(Command::new("ip").args(["-n", name, "link", "set", "lo", "up"]))?;
        Ok(name.to_owned())
    }

    /// The router namespace `qrouter-<lab id>` (Sahara's `use_namespaces` reaches it with
    /// router id = the lab's id).
    pub fn router(&mut self) -> Result<String> {
        let name = format!("qrouter-{}", self.id);
        self.namespace(&name)
    }

    /// An instance named `role`: a namespace running sshd and the HTTP server.
    pub fn instance(&mut self, role: &str) -> Result<Instance> {
        let ns = self.namespace(&format!("{}-{role}", self.id))?;
        let dir = self.dir.join(role);
        prepare_instance(&dir, &self.key)?;
        let log = std::fs::File::create(dir.join("boot.log"))?;
        let child = Command::new("ip")
            .args([
                "netns",
                "exec",
                &ns,
                "unshare",
                "--pid",
                "--fork",
                "--kill-child",
                "--mount",
            ])
            .args(["--propagation", "private", "/bin/sh", "-c"])
            .arg(boot_script(&dir))
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting the instance")?;
        let pid = child.id();
        self.instances.push(child);
        // Ready when sshd and the HTTP server listen in the namespace.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !(listens(pid, 22) && listens(pid, HTTP_PORT)) {
            if Instant::now() > deadline || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
                bail!(
                    "instance {role} did not start: {}",
                    std::fs::read_to_string(dir.join("boot.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(Instance { ns, dir })
    }

    /// A veth pair between the root namespace and `ns`; returns (root side, `ns` side).
    pub fn link_root(&mut self, ns: &str) -> Result<(Ipv4Addr, Ipv4Addr)> {
        let (a, b) = self.veth_names();
        self.root_links.push(a.clone());
        let (ip_a, ip_b) = free_subnet()?;
        run(Command::new("ip").args(["link", "add", &a, "type", "veth", "peer", "name", &b, "netns", ns]))?;
        run(Command::new("ip").args(["addr", "add", &format!("{ip_a}/30"), "dev", &a]))?;
        run(Command::new("ip").args(["link", "set", &a, "up"]))?;
        run(Command::new("ip").args(["-n", ns, "addr", "add", &format!("{ip_b}/30"), "dev", &b]))?;
        run(Command::new("ip").args(["-n", ns, "link", "set", &b, "up"]))?;
        Ok((ip_a, ip_b))
    }

    /// A veth pair between namespaces `ns_a` and `ns_b`; returns their addresses.
    pub fn link(&mut self, ns_a: &str, ns_b: &str) -> Result<(Ipv4Addr, Ipv4Addr)> {
        let (a, b) = self.veth_names();
        let (ip_a, ip_b) = free_subnet()?;
        run(Command::new("ip").args([
            "-n", ns_a, "link", "add", &a, "type", "veth", "peer", "name", &b, "netns", ns_b,
        ]))?;
        for (ns, dev, ip) in [(ns_a, &a, ip_a), (ns_b, &b, ip_b)] {
            run(Command::new("ip").args(["-n", ns, "addr", "add", &format!("{ip}/30"), "dev", dev]))?;
            run(Command::new("ip").args(["-n", ns, "link", "set", dev, "up"]))?;
        }
        Ok((ip_a, ip_b))
    }

    fn veth_names(&mut self) -> (String, String) {
        let k = self.links;
        self.links += 1;
        (format!("{}v{k}a", self.short), format!("{}v{k}b", self.short))
    }

    /// How the engine would describe an instance at `ip` (no floating IP).
    pub fn node(&self, instance: &Instance, ip: Ipv4Addr) -> Node {
        Node {
            instance_id: instance.ns.clone(),
            internal_ip: ip.to_string(),
            management_ip: ip.to_string(),
            has_floating_ip: false,
            username: LOGIN.to_owned(),
        }
    }

    /// Access to `node` (through `gateway`), with the lab's key and router id.
    pub fn access(&self, node: Node, gateway: Option<Node>) -> InstanceAccess {
        InstanceAccess {
            cluster_id: self.id.clone(),
            instance: node,
            gateway,
            private_key: PrivateKey::new(self.key.clone()),
            tenant_id: "tenant-7".into(),
            network_id: "net-9".into(),
            router_id: Some(self.id.clone()),
        }
    }

    /// The pids of processes in namespace `ns` whose command name is `comm`.
    pub fn processes(&self, ns: &str, comm: &str) -> Vec<u32> {
        pids_in_netns(ns)
            .into_iter()
            .filter(|pid| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == comm))
            .collect()
    }

    /// Polls until no process named `comm` is left in `ns` (at most 10 s); whether none is.
    pub fn wait_gone(&self, ns: &str, comm: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = self.processes(ns, comm);
            if left.is_empty() {
                return true;
            }
            if Instant::now() > deadline {
                eprintln!("{comm} still in {ns}: {left:?}");
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        for child in &mut self.instances {
            // Kill sshd, pid 1 of the instance's PID namespace (the kernel kills and reaps the
            // rest of the namespace); unshare reaps it and exits. Killing unshare instead
            // would leave sshd a zombie of the host's init.
            let pid = child.id();
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap_or_default();
            for init in children.split_whitespace().filter_map(|p| p.parse::<i32>().ok()) {
                if let Some(p) = rustix::process::Pid::from_raw(init) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                }
            }
            let deadline = Instant::now() + Duration::from_secs(5);
            while matches!(child.try_wait(), Ok(None)) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        for ns in self.namespaces.iter().rev() {
            remove_namespace(ns);
        }
        for link in &self.root_links {
            let _ = Command::new("ip")
                .args(["link", "del", link])
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills what is left in namespace `ns` (only the lab's processes live there) and deletes it.
fn remove_namespace(ns: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = pids_in_netns(ns);
        if left.is_empty() {
            break;
        }
        if Instant::now() > deadline {
            for pid in left {
                if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
                    let _ = rustix::process::kill_process(p, rustix::process::Signal::KILL);
                }
            }
            std::thread::sleep(Duration::from_millis(50));
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = Command::new("ip")
        .args(["netns", "del", ns])
        .stderr(Stdio::null())
        .status();
}

/// Removes namespaces and directories of earlier test processes that are gone.
fn sweep_stale() {
    let Ok(entries) = std::fs::read_dir("/run/netns") else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let rest = name.strip_prefix("qrouter-").unwrap_or(&name);
        if let Some(pid) = stale_owner(rest) {
            eprintln!("removing namespace {name} left by test process {pid}");
            remove_namespace(&name);
        }
    }
    if let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if stale_owner(&name).is_some() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

/// The pid of `srm-<pid>-...` when that process no longer exists.
fn stale_owner(name: &str) -> Option<u32> {
    let pid: u32 = name.strip_prefix("srm-")?.split('-').next()?.parse().ok()?;
    (!Path::new(&format!("/proc/{pid}")).exists()).then_some(pid)
}

/// The next /30 not overlapping any address or route of the host: (first, second host).
fn free_subnet() -> Result<(Ipv4Addr, Ipv4Addr)> {
    let mut next = NEXT_SUBNET.lock().unwrap_or_else(|e| e.into_inner());
    let used = used_prefixes()?;
    // 10.231.0.0 - 10.250.255.255, starting where this process's pid points.
    const BASE: u32 = u32::from_be_bytes([10, 231, 0, 0]);
    const BLOCKS: u32 = (20 << 16) / 4;
    let start = (std::process::id() * 97) % BLOCKS;
    for _ in 0..BLOCKS {
        let block = (start + *next) % BLOCKS;
        *next += 1;
        let net = BASE + block * 4;
        if !used.iter().any(|&(addr, len)| overlaps(net, 30, addr, len)) {
            return Ok((Ipv4Addr::from(net + 1), Ipv4Addr::from(net + 2)));
        }
    }
    bail!("no free /30 in 10.231.0.0-10.250.255.255")
}

/// The host's IPv4 addresses and routes (default routes aside) as (address, prefix length).
fn used_prefixes() -> Result<Vec<(u32, u8)>> {
    let mut used = Vec::new();
    let addrs = output(Command::new("ip").args(["-o", "-4", "addr", "show"]))?;
    let routes = output(Command::new("ip").args(["-4", "route", "show", "table", "all"]))?;
    let words = addrs
        .lines()
        .filter_map(|l| l.split_whitespace().skip_while(|w| *w != "inet").nth(1))
        .chain(routes.lines().filter_map(|l| {
            let mut w = l.split_whitespace();
            let first = w.next()?;
            if first.chars().next()?.is_ascii_digit() {
                Some(first)
            } else {
                w.next()
            }
        }));
    for word in words {
        let (addr, len) = word.split_once('/').unwrap_or((word, "32"));
        if let (Ok(addr), Ok(len)) = (addr.parse::<Ipv4Addr>(), len.parse::<u8>()) {
            used.push((u32::from(addr), len.min(32)));
        }
    }
    Ok(used)
}

fn overlaps(a: u32, a_len: u8, b: u32, b_len: u8) -> bool {
    let len = a_len.min(b_len);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    a & mask == b & mask
}

/// Writes an instance's files: sshd's configuration and host key, the user database with
/// the login user, its sudoers rule, its home with the lab's key authorized, the web root.
fn prepare_instance(dir: &Path, private_key: &str) -> Result<()> {
    for sub in ["etc", "sudoers.d", "home", "www", "rootonly"] {
        std::fs::create_dir_all(dir.join(sub))?;
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755))?;
    std::fs::set_permissions(dir.join("rootonly"), std::fs::Permissions::from_mode(0o700))?;
    // The user database: the host's plus the login user.
    let passwd = std::fs::read_to_string("/etc/passwd")?;
    let group = std::fs::read_to_string("/etc/group")?;
    let shadow = std::fs::read_to_string("/etc/shadow")?;
    let used: Vec<u32> = passwd
        .lines()
        .chain(group.lines())
        .filter_map(|l| l.split(':').nth(2)?.parse().ok())
        .collect();
    let uid = (61000..65000).find(|id| !used.contains(id)).context("no free uid")?;
    let home = dir.join("home");
    let files = [
        (
            "passwd",
            format!("{passwd}{LOGIN}:x:{uid}:{uid}::{}:/bin/bash\n", home.display()),
            "/etc/passwd",
        ),
        ("group", format!("{group}{LOGIN}:x:{uid}:\n"), "/etc/group"),
        (
            "shadow",
            format!("{shadow}{LOGIN}:*:19000:0:99999:7:::\n"),
            "/etc/shadow",
        ),
    ];
    for (name, text, host) in files {
        let path = dir.join("etc").join(name);
        std::fs::write(&path, text)?;
        let meta = std::fs::metadata(host)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(meta.mode() & 0o7777))?;
        chown(&path, Some(meta.uid()), Some(meta.gid()))?;
    }
    let sudoers = dir.join("sudoers.d").join("90-cloud-init-users");
    std::fs::write(&sudoers, format!("{LOGIN} ALL=(ALL) NOPASSWD:ALL\n"))?;
    std::fs::set_permissions(&sudoers, std::fs::Permissions::from_mode(0o440))?;
    // The home with the key cloud-init would have injected.
    let public = output(
        Command::new("ssh-keygen")
            .args(["-y", "-f"])
            .arg(write_key(dir, private_key)?),
    )?;
    std::fs::create_dir_all(home.join(".ssh"))?;
    std::fs::write(home.join(".ssh/authorized_keys"), public)?;
    for path in [home.clone(), home.join(".ssh"), home.join(".ssh/authorized_keys")] {
        chown(&path, Some(uid), Some(uid))?;
    }
    std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o755))?;
    std::fs::write(dir.join("www/hello.txt"), HELLO)?;
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "srm", "-f"])
        .arg(dir.join("ssh_host_ed25519_key")))?;
    std::fs::write(
        dir.join("sshd_config"),
        format!(
            "ListenAddress 0.0.0.0:22\nHostKey {}/ssh_host_ed25519_key\nPidFile none\nUsePAM no\nStrictModes no\n\
             PubkeyAuthentication yes\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin no\nAuthorizedKeysFile .ssh/authorized_keys\nAllowTcpForwarding yes\nPrintMotd no\n\
             PrintLastLog no\nUseDNS no\nMaxStartups 100:30:200\nMaxSessions 100\nSubsystem sftp internal-sftp\n",
            dir.display()
        ),
    )?;
    Ok(())
}

/// Writes the private key where `ssh-keygen -y` can read it (mode 0600).
fn write_key(dir: &Path, key: &str) -> Result<PathBuf> {
    let path = dir.join("client_key");
    std::fs::write(&path, key)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    Ok(path)
}

/// The instance's init: private /proc and /run, its user database and sudoers over the
/// host's (in its mount namespace only), the HTTP server, then sshd as pid 1.
fn boot_script(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "set -e\n\
         mount -t proc proc /proc\n\
         mount -t tmpfs -o mode=755 tmpfs /run\n\
         mkdir -m 755 /run/sshd\n\
         for f in passwd group shadow; do mount --bind {d}/etc/$f /etc/$f; done\n\
         mount --bind {d}/sudoers.d /etc/sudoers.d\n\
         /usr/bin/python3 -m http.server {HTTP_PORT} --bind 0.0.0.0 --directory {d}/www </dev/null >{d}/http.log 2>&1 &\n\
         exec /usr/sbin/sshd -D -e -f {d}/sshd_config\n"
    )
}

/// Whether a socket listens on `port` in the network namespace of `pid`.
fn listens(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")) else {
        return false;
    };
    let want = format!(":{port:04X}");
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.len() > 3 && f[1].ends_with(&want) && f[3] == "0A"
    })
}

/// The pids of the processes in network namespace `ns`.
pub fn pids_in_netns(ns: &str) -> Vec<u32> {
    let Ok(meta) = std::fs::metadata(Path::new("/run/netns").join(ns)) else {
        return Vec::new();
    };
    let wanted = format!("net:[{}]", meta.ino());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|l| l.as_os_str() == wanted.as_str()))
        .filter(|pid| {
            // Zombies have no namespace links; skip exiting ones too.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| s.rsplit_once(')').map(|(_, t)| t.trim_start().starts_with('Z')))
                == Some(false)
        })
        .collect()
}

/// The pids of live processes with `arg` among their arguments.
pub fn processes_with_arg(arg: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == arg.as_bytes()))
        })
        .collect()
}

/// Whether process `pid` exists (zombies included).
pub fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn run(cmd: &mut Command) -> Result<()> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("{cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(())
}

fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd.stdin(Stdio::null()).output().with_context(|| format!("{cmd:?}"))?;
    if !out.status.success() {
        bail!("{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8(out.stdout)?)
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}
