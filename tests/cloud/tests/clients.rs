//! The test cloud as its users see it: brought up and removed only through the
//! `sahara-testcloud` binary, used only through the real OpenStack clients
//! (python-openstackclient with python-heatclient, from `SAHARA_TEST_CLIENTS_VENV` or the
//! newest complete `venv-clients-*` in the cache), and checked from the host with ssh, `ip`,
//! `losetup`, `/proc` and `mysql`.
//!
//! Each test has its own state directory and runs `down` when it ends, also when it fails
//! (a drop guard); each ends by checking that `down` left nothing on the host.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// The binary under test.
const BIN: &str = env!("CARGO_BIN_EXE_sahara-testcloud");
/// How long one client command may take (`--wait` included).
const CLIENT_TIMEOUT: Duration = Duration::from_secs(180);
/// How long `up` may take (a first start migrates Keystone's database).
const UP_TIMEOUT: Duration = Duration::from_secs(240);
/// How long sshd of a fresh server may take to answer.
const SSH_READY: Duration = Duration::from_secs(30);
/// ssh for throwaway hosts: no prompts, no host key records, short connection attempts.
const SSH_OPTIONS: [&str; 12] = [
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ServerAliveInterval=5",
];

/// The clients' virtualenv: `SAHARA_TEST_CLIENTS_VENV`, else the newest complete
/// `venv-clients-*` under the cache directory.
fn clients_venv() -> PathBuf {
    if let Some(v) = std::env::var_os("SAHARA_TEST_CLIENTS_VENV") {
        return PathBuf::from(v);
    }
    let cache = std::env::var_os("SAHARA_CACHE_DIR").unwrap_or_else(|| "/var/cache/sahara-rs".into());
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("venv-clients-"))
                && p.join(".complete").exists()
        })
        .filter_map(|p| Some((std::fs::metadata(&p).and_then(|m| m.modified()).ok()?, p)))
        .collect();
    found.sort();
    let venv = found.pop().map(|(_, p)| p).unwrap_or_else(|| {
        panic!(
            "SAHARA_TEST_CLIENTS_VENV is not set and no complete venv-clients-* is under {}: \
             `source scripts/lib.sh; ensure_venv clients tests/python/requirements-clients.txt`",
            Path::new(&cache).display()
        )
    });
    assert!(
        venv.join("bin/openstack").exists(),
        "{} has no openstack",
        venv.display()
    );
    venv
}

/// Runs `command` to its end within `timeout` (killing it then), with no stdin.
async fn output(command: &mut Command, timeout: Duration) -> Output {
    command.stdin(Stdio::null()).kill_on_drop(true);
    let what = format!("{command:?}");
    match tokio::time::timeout(timeout, command.output()).await {
        Ok(out) => out.unwrap_or_else(|e| panic!("{what}: {e}")),
        Err(_) => panic!("{what} did not end within {timeout:?}"),
    }
}

/// Runs `command` and answers its stdout; panics with its stderr if it fails.
async fn run(command: &mut Command, timeout: Duration) -> String {
    let out = output(command, timeout).await;
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(text: &str, what: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}):\n{text}"))
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("no string {key:?} in {v:#}"))
}

/// A /24 in 10.0.0.0/8 the host routes nothing of, as `(cidr, "10.a.b.")`.
async fn free_subnet() -> (String, String) {
    let routes = run(
        Command::new("ip").args(["-4", "route", "show", "table", "all"]),
        CLIENT_TIMEOUT,
    )
    .await;
    for _ in 0..64 {
        let bytes = *uuid::Uuid::new_v4().as_bytes();
        let stem = format!("10.{}.{}.", 200 + bytes[0] % 50, bytes[1]);
        if !routes.contains(&stem) {
            return (format!("{stem}0/24"), stem);
        }
    }
    panic!("no free 10.x /24 among the candidates; routes:\n{routes}");
}

/// Polls `f` every `every` until it answers `Some`, for at most `timeout`.
async fn wait_for<T, F: std::future::Future<Output = Option<T>>>(
    what: &str,
    timeout: Duration,
    every: Duration,
    mut f: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(every).await;
    }
}

/// One cloud of one test: `<root>/state` is its state directory, `<root>/work` holds the
/// test's own files (keys, templates). Dropping it runs `down`.
struct TestCloud {
    state: PathBuf,
    work: PathBuf,
    venv: PathBuf,
    _root: tempfile::TempDir,
}

impl TestCloud {
    fn new(name: &str) -> TestCloud {
        // Named `stc-...` so that scripts/test's check for stray processes sees ours.
        let root = tempfile::Builder::new()
            .prefix(&format!("stc-clients-{name}-"))
            .tempdir()
            .expect("temp dir");
        let state = root.path().join("state");
        let work = root.path().join("work");
        std::fs::create_dir(&work).unwrap();
        TestCloud {
            state,
            work,
            venv: clients_venv(),
            _root: root,
        }
    }

    fn state_arg(&self) -> String {
        self.state.display().to_string()
    }

    /// `sahara-testcloud up`; answers its stdout.
    async fn up(&self) -> String {
        let began = Instant::now();
        let out = run(
            Command::new(BIN).args(["up", "--state-dir", &self.state_arg()]),
            UP_TIMEOUT,
        )
        .await;
        eprintln!(
            "up in {:.1} s: {}",
            began.elapsed().as_secs_f64(),
            out.lines().next().unwrap_or("")
        );
        out
    }

    /// `sahara-testcloud down`; answers its stdout.
    async fn down(&self) -> String {
        run(
            Command::new(BIN).args(["down", "--state-dir", &self.state_arg()]),
            UP_TIMEOUT,
        )
        .await
    }

    /// `cloud.json`.
    fn info(&self) -> Value {
        let path = self.state.join("cloud.json");
        json(&std::fs::read_to_string(&path).expect("cloud.json"), "cloud.json")
    }

    /// The pid of the serving process, from `cloud.json`.
    fn serve_pid(&self) -> u64 {
        self.info()["pid"].as_u64().expect("pid in cloud.json")
    }

    /// The cloud's prefix, from `<state>/prefix`.
    fn prefix(&self) -> String {
        let prefix = std::fs::read_to_string(self.state.join("prefix")).expect("prefix file");
        let prefix = prefix.trim().to_string();
        assert_eq!(prefix.len(), 8, "prefix {prefix:?}");
        prefix
    }

    /// `openstack ARGS` as `cloud` (a name in `clouds.yaml`); answers its stdout. The
    /// future owns what it needs (callers pass arrays made on the spot).
    fn openstack_as(&self, cloud: &str, args: &[&str]) -> impl Future<Output = String> + use<> {
        let mut command = Command::new(self.venv.join("bin/openstack"));
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("OS_") || k.to_ascii_lowercase().ends_with("_proxy") {
                command.env_remove(&*k);
            }
        }
        command
            .env("OS_CLIENT_CONFIG_FILE", self.state.join("clouds.yaml"))
            .env("OS_CLOUD", cloud)
            .env("PYTHONWARNINGS", "ignore")
            .current_dir(&self.work)
            .args(args);
        let what = format!("{cloud}: openstack {}", args.join(" "));
        async move {
            let began = Instant::now();
            let out = run(&mut command, CLIENT_TIMEOUT).await;
            eprintln!("{:5.1} s  {what}", began.elapsed().as_secs_f64());
            out
        }
    }

    /// `openstack ARGS` as the demo user.
    fn openstack(&self, args: &[&str]) -> impl Future<Output = String> + use<> {
        self.openstack_as("testcloud-demo", args)
    }

    /// `openstack ARGS -f json` as `cloud`, parsed.
    fn json_as(&self, cloud: &str, args: &[&str]) -> impl Future<Output = Value> + use<> {
        let out = self.openstack_as(cloud, &[args, &["-f", "json"]].concat());
        let what = args.join(" ");
        async move { json(&out.await, &what) }
    }

    /// `openstack ARGS -f json` as the demo user, parsed.
    fn openstack_json(&self, args: &[&str]) -> impl Future<Output = Value> + use<> {
        self.json_as("testcloud-demo", args)
    }

    /// `openstack ARGS -f json` as the admin, parsed.
    fn admin_json(&self, args: &[&str]) -> impl Future<Output = Value> + use<> {
        self.json_as("testcloud-admin", args)
    }

    /// Waits until volume `id` has status `status`; answers `volume show`.
    async fn wait_volume(&self, id: &str, status: &str) -> Value {
        wait_for(
            &format!("volume {id} to be {status}"),
            Duration::from_secs(60),
            Duration::from_millis(200),
            || async move {
                let volume = self.openstack_json(&["volume", "show", id]).await;
                (volume["status"] == status).then_some(volume)
            },
        )
        .await
    }

    /// `down`, then checks that nothing of the cloud is left on the host, and that a
    /// second `down` succeeds.
    async fn down_and_check(&self) {
        let prefix = self.prefix();
        let began = Instant::now();
        let out = self.down().await;
        eprintln!("down in {:.1} s: {}", began.elapsed().as_secs_f64(), out.trim());
        assert!(out.contains(&format!("the test cloud {prefix} is removed")), "{out}");
        assert_nothing_left(&self.state, &prefix).await;
        let again = self.down().await;
        assert!(again.contains("nothing to remove"), "second down: {again}");
    }
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.state.join("log/testcloud.log");
            if let Ok(text) = std::fs::read_to_string(&log) {
                let lines: Vec<&str> = text.lines().collect();
                eprintln!(
                    "--- the last lines of {}:\n{}",
                    log.display(),
                    lines[lines.len().saturating_sub(40)..].join("\n")
                );
            }
        }
        match std::process::Command::new(BIN)
            .args(["down", "--state-dir", &self.state_arg()])
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {}
            Ok(out) => eprintln!(
                "down of {} failed: {}",
                self.state.display(),
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => eprintln!("down of {} could not run: {e}", self.state.display()),
        }
    }
}

/// Checks that nothing of the cloud with `prefix` and state directory `state` is left:
/// namespaces, links, loop devices, processes, the Keystone database, files.
async fn assert_nothing_left(state: &Path, prefix: &str) {
    let state_path = state.display().to_string();
    let mut left = Vec::new();
    let netns = run(Command::new("ip").args(["netns", "list"]), CLIENT_TIMEOUT).await;
    left.extend(
        netns
            .lines()
            .filter(|l| l.contains(prefix))
            .map(|l| format!("namespace: {l}")),
    );
    let links = run(Command::new("ip").args(["-o", "link", "show"]), CLIENT_TIMEOUT).await;
    left.extend(
        links
            .lines()
            .filter(|l| l.contains(prefix))
            .map(|l| format!("link: {l}")),
    );
    let loops = run(Command::new("losetup").arg("-a"), CLIENT_TIMEOUT).await;
    left.extend(
        loops
            .lines()
            .filter(|l| l.contains(&state_path))
            .map(|l| format!("loop device: {l}")),
    );
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if cmdline.contains(&state_path) {
            left.push(format!("process {}: {cmdline}", entry.file_name().to_string_lossy()));
        }
    }
    let database = format!("stc_{prefix}_keystone");
    let databases = run(
        Command::new("mysql").args([
            "-uroot",
            "-h127.0.0.1",
            "-N",
            "-e",
            &format!("SHOW DATABASES LIKE '{database}'"),
        ]),
        CLIENT_TIMEOUT,
    )
    .await;
    left.extend(databases.lines().map(|l| format!("database: {l}")));
    if let Ok(entries) = std::fs::read_dir(state) {
        left.extend(entries.flatten().map(|e| format!("file: {}", e.path().display())));
    }
    assert!(left.is_empty(), "down left:\n{}", left.join("\n"));
}

/// ssh to `ubuntu@host` with `key`, from the host or (with `netns`) from inside that
/// namespace; retried while the connection fails (exit status 255), for [`SSH_READY`].
async fn ssh(key: &Path, netns: Option<&str>, host: &str, command: &str) -> String {
    let target = format!("ubuntu@{host}");
    let key = key.display().to_string();
    let deadline = Instant::now() + SSH_READY;
    loop {
        let mut cmd = match netns {
            Some(ns) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", ns, "ssh"]);
                c
            }
            None => Command::new("ssh"),
        };
        cmd.args(SSH_OPTIONS).args(["-i", &key, &target, command]);
        let out = output(&mut cmd, Duration::from_secs(60)).await;
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code() == Some(255) && Instant::now() < deadline,
            "{cmd:?} failed ({}):\n{stderr}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout)
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The stack of the round trip: a port on the user's network and a server on it.
const STACK_TEMPLATE: &str = "\
heat_template_version: 2016-10-14
description: the clients test's stack
parameters:
  network:
    type: string
resources:
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_param: network}
  server:
    type: OS::Nova::Server
    properties:
      image: cirros-0.6
      flavor: m1.tiny
      networks:
        - port: {get_resource: port}
outputs:
  server_ip:
    description: the server's fixed address
    value: {get_attr: [port, fixed_ips, 0, ip_address]}
  server_id:
    value: {get_resource: server}
";

/// A stack's life through python-heatclient: create and wait, show, resources, outputs,
/// delete and wait.
async fn stack_round_trip(cloud: &TestCloud, network_id: &str, stem: &str) {
    let template = cloud.work.join("stack.yaml");
    std::fs::write(&template, STACK_TEMPLATE).unwrap();
    let template = template.display().to_string();
    let network = format!("network={network_id}");
    cloud
        .openstack(&[
            "stack",
            "create",
            "-t",
            &template,
            "--parameter",
            &network,
            "--wait",
            "st1",
        ])
        .await;
    let (stack, resources, ip, id) = tokio::join!(
        cloud.openstack_json(&["stack", "show", "st1"]),
        cloud.openstack_json(&["stack", "resource", "list", "st1"]),
        cloud.openstack_json(&["stack", "output", "show", "st1", "server_ip"]),
        cloud.openstack_json(&["stack", "output", "show", "st1", "server_id"]),
    );
    assert_eq!(str_of(&stack, "stack_status"), "CREATE_COMPLETE", "{stack:#}");
    assert_eq!(str_of(&stack, "description"), "the clients test's stack");

    let resources = resources.as_array().expect("a resource list");
    let mut names: Vec<&str> = resources.iter().map(|r| str_of(r, "resource_name")).collect();
    names.sort();
    assert_eq!(names, ["port", "server"], "{resources:#?}");
    for r in resources {
        assert_eq!(str_of(r, "resource_status"), "CREATE_COMPLETE", "{r:#}");
    }
    let server = resources.iter().find(|r| r["resource_name"] == "server").unwrap();
    assert_eq!(str_of(server, "resource_type"), "OS::Nova::Server");

    assert!(str_of(&ip, "output_value").starts_with(stem), "{ip:#}");
    assert_eq!(
        str_of(&id, "output_value"),
        str_of(server, "physical_resource_id"),
        "{id:#}"
    );

    cloud.openstack(&["stack", "delete", "--yes", "--wait", "st1"]).await;
    let stacks = cloud.openstack_json(&["stack", "list"]).await;
    assert_eq!(stacks, Value::Array(vec![]), "stacks after delete");
}

/// The seeded images' Sahara properties and tags, read and set as the admin (who owns
/// the images).
async fn image_properties_and_tags(cloud: &TestCloud) {
    let image = cloud.admin_json(&["image", "show", "sahara-fake-0.1"]).await;
    assert_eq!(image["properties"]["_sahara_tag_fake"], "True", "{image:#}");
    assert_eq!(image["properties"]["_sahara_username"], "ubuntu", "{image:#}");
    cloud
        .openstack_as(
            "testcloud-admin",
            &["image", "set", "--property", "_sahara_tag_test=True", "sahara-fake-0.1"],
        )
        .await;
    cloud
        .openstack_as(
            "testcloud-admin",
            &["image", "set", "--tag", "mytag", "sahara-fake-0.1"],
        )
        .await;
    let image = cloud.admin_json(&["image", "show", "sahara-fake-0.1"]).await;
    assert_eq!(image["properties"]["_sahara_tag_test"], "True", "{image:#}");
    assert_eq!(image["properties"]["_sahara_tag_fake"], "True", "{image:#}");
    let tags = image["tags"].as_array().expect("tags");
    assert!(tags.iter().any(|t| t == "mytag"), "{image:#}");
}

/// The fixed addresses of `server` (from `server create/show -f json`) on `network`.
fn fixed_ips(server: &Value, network: &str) -> Vec<String> {
    match &server["addresses"] {
        // {"net1": ["10.0.0.3", ...]}
        Value::Object(map) => map
            .get(network)
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect())
            .unwrap_or_default(),
        // "net1=10.0.0.3, 10.0.0.4; net2=..."
        Value::String(s) => s
            .split(';')
            .filter_map(|part| part.trim().strip_prefix(&format!("{network}=")))
            .flat_map(|ips| ips.split(',').map(|ip| ip.trim().to_string()))
            .collect(),
        other => panic!("addresses: {other:#}"),
    }
}

#[tokio::test]
async fn a_user_builds_uses_and_removes_servers_volumes_stacks_and_networks() {
    let began = Instant::now();
    let cloud = TestCloud::new("user");
    let up = cloud.up().await;
    assert!(up.contains("is up in"), "{up}");
    let (cidr, stem) = free_subnet().await;
    let key = cloud.work.join("k1.pem");

    // Networks, the key pair, a volume and the images' properties, side by side.
    let network = async {
        let net = cloud.openstack_json(&["network", "create", "n1"]).await;
        let net_id = str_of(&net, "id").to_string();
        let subnet = cloud
            .openstack_json(&["subnet", "create", "--network", &net_id, "--subnet-range", &cidr, "s1"])
            .await;
        assert_eq!(str_of(&subnet, "cidr"), cidr);
        assert_eq!(str_of(&subnet, "network_id"), net_id);
        (net_id, str_of(&subnet, "id").to_string())
    };
    let router = async {
        let router = cloud.openstack_json(&["router", "create", "r1"]).await;
        let id = str_of(&router, "id").to_string();
        cloud
            .openstack(&["router", "set", "--external-gateway", "public", &id])
            .await;
        id
    };
    let keypair = async {
        let private = cloud.openstack(&["keypair", "create", "k1"]).await;
        assert!(private.contains("PRIVATE KEY"), "{private}");
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key)
            .unwrap();
        std::io::Write::write_all(&mut f, private.as_bytes()).unwrap();
    };
    let volume = async {
        let volume = cloud.openstack_json(&["volume", "create", "--size", "1", "v1"]).await;
        assert_eq!(volume["size"], 1, "{volume:#}");
        let id = str_of(&volume, "id").to_string();
        cloud.wait_volume(&id, "available").await;
        id
    };
    let ((net_id, subnet_id), router_id, (), volume_id, ()) =
        tokio::join!(network, router, keypair, volume, image_properties_and_tags(&cloud));
    let router = cloud.openstack_json(&["router", "show", &router_id]).await;
    let gateway = &router["external_gateway_info"];
    assert!(gateway.is_object(), "no gateway: {router:#}");
    eprintln!(
        "networks, key, volume and images after {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // A server used over its floating IP, over the router's namespace, with a volume; and
    // a stack on the same network, at the same time.
    let server = async {
        let create = [
            "server",
            "create",
            "--image",
            "cirros-0.6",
            "--flavor",
            "m1.tiny",
            "--network",
            &net_id,
            "--key-name",
            "k1",
            "--wait",
            "vm1",
        ];
        let interface = ["router", "add", "subnet", &router_id, &subnet_id];
        let (server, fip, _) = tokio::join!(
            cloud.openstack_json(&create),
            cloud.openstack_json(&["floating", "ip", "create", "public"]),
            cloud.openstack(&interface),
        );
        assert_eq!(str_of(&server, "status"), "ACTIVE", "{server:#}");
        let server_id = str_of(&server, "id").to_string();
        let fixed = fixed_ips(&server, "n1");
        assert_eq!(fixed.len(), 1, "{server:#}");
        let fixed = fixed[0].clone();
        assert!(fixed.starts_with(&stem), "{fixed} not in {cidr}");
        let fip_address = str_of(&fip, "floating_ip_address").to_string();
        let fip_id = str_of(&fip, "id").to_string();
        cloud
            .openstack(&["server", "add", "floating", "ip", &server_id, &fip_address])
            .await;

        let hostname = ssh(&key, None, &fip_address, "hostname").await;
        assert_eq!(hostname.trim(), "vm1");
        ssh(&key, None, &fip_address, "sudo -n true").await;
        let qrouter = format!("qrouter-{router_id}");
        let hostname = ssh(&key, Some(&qrouter), &fixed, "hostname").await;
        assert_eq!(hostname.trim(), "vm1");

        let attached = cloud
            .openstack_json(&["server", "add", "volume", &server_id, &volume_id])
            .await;
        assert_eq!(attached["Device"], "/dev/vdb", "{attached:#}");
        let shown = cloud.wait_volume(&volume_id, "in-use").await;
        let attachment = &shown["attachments"][0];
        assert_eq!(attachment["server_id"], server_id.as_str(), "{shown:#}");
        assert_eq!(attachment["device"], "/dev/vdb", "{shown:#}");
        let token = uuid::Uuid::new_v4().to_string();
        // Written, unmounted, mounted again and read back: the data is on the device.
        let script = format!(
            "set -e; for i in $(seq 50); do [ -b /dev/vdb ] && break; sleep 0.1; done; \
             sudo mkfs.ext4 -q /dev/vdb; sudo mkdir -p /mnt/data; sudo mount /dev/vdb /mnt/data; \
             echo {token} | sudo tee /mnt/data/hello >/dev/null; sudo umount /mnt/data; \
             sudo mount /dev/vdb /mnt/data; cat /mnt/data/hello; sudo umount /mnt/data"
        );
        let read = ssh(&key, None, &fip_address, &script).await;
        assert_eq!(read.trim(), token);
        cloud
            .openstack(&["server", "remove", "volume", &server_id, &volume_id])
            .await;
        cloud.wait_volume(&volume_id, "available").await;
        tokio::join!(
            cloud.openstack(&["volume", "delete", &volume_id]),
            cloud.openstack(&["server", "delete", "--wait", &server_id]),
            cloud.openstack(&["floating", "ip", "delete", &fip_id]),
        );
    };
    tokio::join!(server, stack_round_trip(&cloud, &net_id, &stem));
    eprintln!(
        "server, volume and stack done after {:.1} s",
        began.elapsed().as_secs_f64()
    );

    // The stack's server went with the stack, ours with its delete.
    let (servers, volumes, floating, ()) = tokio::join!(
        cloud.openstack_json(&["server", "list"]),
        cloud.openstack_json(&["volume", "list"]),
        cloud.openstack_json(&["floating", "ip", "list"]),
        async {
            cloud
                .openstack(&["router", "remove", "subnet", &router_id, &subnet_id])
                .await;
            tokio::join!(
                cloud.openstack(&["router", "delete", &router_id]),
                cloud.openstack(&["subnet", "delete", &subnet_id]),
            );
        }
    );
    assert_eq!(servers, Value::Array(vec![]), "servers left");
    assert_eq!(volumes, Value::Array(vec![]), "volumes left");
    assert_eq!(floating, Value::Array(vec![]), "floating IPs left");
    cloud.openstack(&["network", "delete", &net_id]).await;
    let networks = cloud.openstack_json(&["network", "list"]).await;
    let names: Vec<&str> = networks
        .as_array()
        .expect("a network list")
        .iter()
        .map(|n| str_of(n, "Name"))
        .collect();
    assert_eq!(names, ["public"], "{networks:#}");

    cloud.down_and_check().await;
    eprintln!("the round trip took {:.1} s", began.elapsed().as_secs_f64());
}

#[tokio::test]
async fn up_is_idempotent_recovers_from_a_killed_cloud_and_down_leaves_nothing() {
    let began = Instant::now();
    let cloud = TestCloud::new("life");
    let first = cloud.up().await;
    assert!(first.contains("is up in"), "{first}");
    let pid = cloud.serve_pid();
    let prefix = cloud.prefix();
    assert_eq!(cloud.info()["prefix"], prefix.as_str());

    let second = cloud.up().await;
    assert!(second.contains("already up"), "{second}");
    assert!(second.contains(&format!("(pid {pid})")), "{second}");
    assert_eq!(cloud.serve_pid(), pid, "cloud.json changed");

    // A server, then the serving process dies hard.
    let (cidr, _) = free_subnet().await;
    let net = cloud.openstack_json(&["network", "create", "n1"]).await;
    let net_id = str_of(&net, "id").to_string();
    cloud
        .openstack(&["subnet", "create", "--network", &net_id, "--subnet-range", &cidr, "s1"])
        .await;
    let server = cloud
        .openstack_json(&[
            "server",
            "create",
            "--image",
            "cirros-0.6",
            "--flavor",
            "m1.tiny",
            "--network",
            &net_id,
            "--wait",
            "vm1",
        ])
        .await;
    let server_ns = format!("inst-{}", str_of(&server, "id"));
    let netns = run(Command::new("ip").args(["netns", "list"]), CLIENT_TIMEOUT).await;
    assert!(netns.contains(&server_ns), "no {server_ns}:\n{netns}");
    run(Command::new("kill").args(["-9", &pid.to_string()]), CLIENT_TIMEOUT).await;
    wait_for(
        "the killed serving process to go",
        Duration::from_secs(10),
        Duration::from_millis(100),
        || async {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit(')').next().and_then(|r| r.trim_start().chars().next());
            matches!(state, None | Some('Z' | 'X')).then_some(())
        },
    )
    .await;

    // `up` cleans what the dead cloud left and starts a fresh one.
    let third = cloud.up().await;
    assert!(third.contains("is up in"), "{third}");
    assert!(!third.contains("already up"), "{third}");
    let new_pid = cloud.serve_pid();
    assert_ne!(new_pid, pid);
    assert_eq!(cloud.prefix(), prefix, "the prefix changed");
    let servers = cloud.openstack_json(&["server", "list"]).await;
    assert_eq!(servers, Value::Array(vec![]), "servers after the restart");
    let netns = run(Command::new("ip").args(["netns", "list"]), CLIENT_TIMEOUT).await;
    assert!(!netns.contains(&server_ns), "{server_ns} is still there:\n{netns}");
    let images = cloud.openstack(&["image", "list", "-f", "value", "-c", "Name"]).await;
    assert!(images.lines().any(|l| l == "cirros-0.6"), "{images}");

    cloud.down_and_check().await;
    eprintln!("the lifecycle took {:.1} s", began.elapsed().as_secs_f64());
}
