//! Real Spark on the Linux fabric: two servers of a Spark image find the Spark
//! distribution of the `pyspark` wheel at `/opt/spark`, Java 17 and `python3` under
//! `/usr`; a standalone Master and a Worker started over SSH with `spark-class` (the wheel
//! has no `sbin/start-*.sh`) run `pi.py` submitted with `spark-submit`.
//!
//! The Spark distribution comes from `SAHARA_TESTCLOUD_SPARK_VENV` (`scripts/test` sets
//! it) or the newest complete `venv-spark-*` in the cache. Without either the test says so
//! and passes, unless `SAHARA_TESTCLOUD_REQUIRE_SPARK` is set (`scripts/test` sets it, so
//! CI never skips it silently).
//!
//! Phases are timed and the daemons' PSS measured (printed with `--nocapture`). The cloud
//! is removed by prefix through a guard, even when the test fails.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sahara_testcloud::fabric::{
    Fabric, LinuxFabric, Nic, RouterInterface, SPARK_HOME, ServerSpec, Subnet, find_spark_distribution, subnet_in_use,
};
use sahara_testcloud::naming::Prefix;

/// How long `spark-submit` may run (inside the server, with `timeout`).
const SUBMIT_TIMEOUT_S: u32 = 180;

/// One test's cloud; dropping it cleans the host up by prefix.
struct Cloud {
    fabric: LinuxFabric,
    prefix: Prefix,
    dir: tempfile::TempDir,
}

impl Drop for Cloud {
    fn drop(&mut self) {
        if let Err(e) = self.fabric.cleanup() {
            eprintln!("cleanup of {} failed: {e}", self.prefix);
        }
    }
}

impl Cloud {
    fn new(dist: PathBuf) -> Cloud {
        let prefix = Prefix::random();
        let dir = tempfile::tempdir().unwrap();
        let fabric = LinuxFabric::new(prefix, dir.path().join("state"))
            .unwrap()
            .with_spark_distribution(Some(dist))
            .unwrap();
        let cloud = Cloud { fabric, prefix, dir };
        run(Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "spark-test", "-f"])
            .arg(cloud.dir.path().join("key")));
        let config = format!(
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  BatchMode yes\n  StrictHostKeyChecking no\n  \
             UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 5\n  ServerAliveInterval 5\n",
            cloud.dir.path().join("key").display()
        );
        std::fs::write(cloud.dir.path().join("ssh_config"), config).unwrap();
        cloud
    }

    /// A tenant network on a router (whose namespace is the way in, Sahara's
    /// `use_namespaces`); returns the router and the network.
    fn network(&self) -> (String, String, Subnet) {
        let (router, net) = (self.prefix.mint_id(), self.prefix.mint_id());
        let subnet = loop {
            let bytes = *uuid::Uuid::new_v4().as_bytes();
            let subnet = Subnet {
                network: Ipv4Addr::new(10, 100 + bytes[0] % 150, bytes[1], 0),
                prefix_len: 24,
            };
            if subnet_in_use(&subnet).unwrap().is_none() {
                break subnet;
            }
        };
        self.fabric.create_network(&net).unwrap();
        self.fabric.create_router(&router).unwrap();
        let interface = RouterInterface {
            port_id: self.prefix.mint_id(),
            network_id: net.clone(),
            ip: host(subnet, 1),
            subnet,
        };
        self.fabric.add_router_interface(&router, &interface).unwrap();
        (router, net, subnet)
    }

    /// Boots server `n` (fixed IP .10+n) of a Spark image.
    fn boot(&self, net: &str, subnet: Subnet, n: u8) -> ServerSpec {
        let public = std::fs::read_to_string(self.dir.path().join("key.pub")).unwrap();
        let spec = ServerSpec {
            server_id: self.prefix.mint_id(),
            hostname: format!("spark-{}-{n}", self.prefix),
            nics: vec![Nic {
                port_id: self.prefix.mint_id(),
                network_id: net.to_owned(),
                mac: format!("fa:16:3e:00:01:{n:02x}"),
                ip: host(subnet, 10 + n),
                subnet,
                gateway: Some(host(subnet, 1)),
            }],
            login_user: "ubuntu".into(),
            authorized_keys: vec![public.trim().to_owned()],
            user_data: None,
            spark: true,
        };
        self.fabric.boot_server(&spec).unwrap();
        spec
    }

    /// `ssh ubuntu@<fixed IP>` through the router's namespace.
    fn ssh(&self, router: &str, server: &ServerSpec, command: &str) -> Output {
        Command::new("ssh")
            .arg("-F")
            .arg(self.dir.path().join("ssh_config"))
            .args(["-o", &format!("ProxyCommand=ip netns exec qrouter-{router} nc %h %p")])
            .arg(format!("ubuntu@{}", server.nics[0].ip))
            .arg(command)
            .output()
            .unwrap()
    }

    /// Runs `command` on `server` and returns its standard output, failing the test otherwise.
    fn ssh_ok(&self, router: &str, server: &ServerSpec, command: &str) -> String {
        let out = self.ssh(router, server, command);
        assert!(
            out.status.success(),
            "ssh {} {command:?}: {}\nstdout: {}\nstderr: {}",
            server.hostname,
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

fn host(subnet: Subnet, n: u8) -> Ipv4Addr {
    let [a, b, c, _] = subnet.network.octets();
    Ipv4Addr::new(a, b, c, n)
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The host pid of the server's process whose command line contains `class`.
fn host_pid(server: &ServerSpec, class: &str) -> Option<u32> {
    let pids = run(Command::new("ip").args(["netns", "pids", &format!("inst-{}", server.server_id)]));
    pids.lines().filter_map(|l| l.trim().parse::<u32>().ok()).find(|pid| {
        std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| String::from_utf8_lossy(&c).contains(class))
    })
}

/// PSS of a host process, in MiB (`/proc/<pid>/smaps_rollup`).
fn pss_mib(pid: u32) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap();
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("Pss:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024
}

/// The master's state from its web UI (`/json/`), asked from inside `master`.
fn master_state(cloud: &Cloud, router: &str, master: &ServerSpec) -> Option<serde_json::Value> {
    let out = cloud.ssh(
        router,
        master,
        &format!("curl -sf --max-time 2 http://{}:8080/json/", master.hostname),
    );
    serde_json::from_slice(&out.stdout).ok()
}

/// Polls `f` every 300 ms until it gives `Some`, for at most `timeout`.
fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_two_node_standalone_cluster_runs_pi_py() {
    let dist = match find_spark_distribution().unwrap() {
        Some(dist) => dist,
        None if std::env::var_os("SAHARA_TESTCLOUD_REQUIRE_SPARK").is_some_and(|v| !v.is_empty()) => {
            panic!(
                "SAHARA_TESTCLOUD_REQUIRE_SPARK is set but there is no Spark distribution: set \
                 SAHARA_TESTCLOUD_SPARK_VENV or `source scripts/lib.sh; ensure_venv spark tests/python/requirements-spark.txt`"
            )
        }
        None => {
            eprintln!(
                "SKIPPED: no Spark distribution (SAHARA_TESTCLOUD_SPARK_VENV unset, no complete venv-spark-* in the \
                 cache): run `source scripts/lib.sh; ensure_venv spark tests/python/requirements-spark.txt`"
            );
            return;
        }
    };
    let cloud = Cloud::new(dist.clone());
    eprintln!("cloud {}, Spark distribution {}", cloud.prefix, dist.display());
    let started = Instant::now();
    let (router, net, subnet) = cloud.network();
    let master = cloud.boot(&net, subnet, 1);
    let worker = cloud.boot(&net, subnet, 2);
    eprintln!("phase boot (network, router, 2 servers): {:?}", started.elapsed());

    // What a Spark image has: Spark at /opt/spark, Java and python3 on PATH, no
    // JAVA_HOME needed. Then what Sahara does first: /etc/hosts on every instance,
    // `sudo chown -R $USER:$USER /opt/spark`, its configuration under /opt/spark/conf.
    let phase = Instant::now();
    let hosts = format!(
        "127.0.0.1 localhost\n{} {}\n{} {}\n",
        master.nics[0].ip, master.hostname, worker.nics[0].ip, worker.hostname
    );
    let mut chown_took = Vec::new();
    for server in [&master, &worker] {
        let script = format!(
            "set -e; printf '{}' | sudo tee /etc/hosts >/dev/null; \
             t0=$(date +%s%N); sudo chown -R $USER:$USER {SPARK_HOME}; t1=$(date +%s%N); echo chown-ms $(( (t1 - t0) / 1000000 )); \
             echo 'SPARK_WORKER_CORES=2' > {SPARK_HOME}/conf/spark-env.sh; \
             java -version 2>&1 | head -1; python3 -c 'import sys; print(sys.executable)'; \
             echo JAVA_HOME=${{JAVA_HOME:-}}; ls {SPARK_HOME}/bin/spark-class {SPARK_HOME}/examples/src/main/python/pi.py; \
             getent hosts {} {}",
            hosts.replace('\n', "\\n"),
            master.hostname,
            worker.hostname
        );
        let out = cloud.ssh_ok(&router, server, &script);
        let mut lines = out.lines();
        let ms: u64 = lines
            .next()
            .and_then(|l| l.strip_prefix("chown-ms "))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{out}"));
        chown_took.push(ms);
        let rest: Vec<&str> = lines.collect();
        assert!(rest[0].contains("version \"17"), "Java 17 inside the server: {out}");
        assert_eq!(rest[1], "/usr/bin/python3", "{out}");
        assert_eq!(rest[2], "JAVA_HOME=", "{out}");
        let resolved: Vec<Vec<&str>> = rest[5..].iter().map(|l| l.split_whitespace().collect()).collect();
        assert_eq!(
            resolved,
            [
                [master.nics[0].ip.to_string().as_str(), &master.hostname],
                [worker.nics[0].ip.to_string().as_str(), &worker.hostname]
            ],
            "{out}"
        );
    }
    eprintln!(
        "phase prepare (/etc/hosts, chown -R {SPARK_HOME}: {chown_took:?} ms, conf): {:?}",
        phase.elapsed()
    );
    // The chown copied metadata up, not the jars (when the kernel has overlayfs metacopy).
    let upper = cloud
        .fabric
        .state_dir()
        .join("servers")
        .join(&master.server_id)
        .join("fs/spark/upper");
    let du = run(Command::new("du").args(["-sm"]).arg(&upper));
    let mount = cloud.ssh_ok(&router, &master, &format!("findmnt -n -o OPTIONS {SPARK_HOME}"));
    eprintln!(
        "{SPARK_HOME} upper layer after chown -R: {} MiB; mount options: {}",
        du.split_whitespace().next().unwrap_or("?"),
        mount.trim()
    );
    // The servers' writes stayed in the servers.
    assert!(
        !dist.join("conf").exists(),
        "a server wrote into the host's distribution"
    );
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(dist.join("bin/spark-class")).unwrap());
    assert_eq!(owner, 0, "the chown reached the host's distribution");

    // The daemons, as Sahara's Spark plugin would start them, with spark-class.
    let phase = Instant::now();
    let daemon = |server: &ServerSpec, class: &str, args: &str, log: &str| {
        let command = format!(
            "cd ~ && export SPARK_HOME={SPARK_HOME} SPARK_NO_DAEMONIZE=1; \
             setsid nohup {SPARK_HOME}/bin/spark-class {class} {args} > {log} 2>&1 < /dev/null & echo $!"
        );
        cloud.ssh_ok(&router, server, &command)
    };
    daemon(
        &master,
        "org.apache.spark.deploy.master.Master",
        &format!("--host {} --port 7077 --webui-port 8080", master.hostname),
        "master.log",
    );
    daemon(
        &worker,
        "org.apache.spark.deploy.worker.Worker",
        &format!(
            "spark://{}:7077 --host {} --cores 2 --memory 1g",
            master.hostname, worker.hostname
        ),
        "worker.log",
    );
    let state = wait_for(Duration::from_secs(90), "the worker to register", || {
        master_state(&cloud, &router, &master).filter(|s| s["aliveworkers"].as_u64() == Some(1))
    });
    eprintln!("phase daemons (master up, worker registered): {:?}", phase.elapsed());
    let registered = state["workers"][0]["host"].as_str().unwrap_or_default();
    assert!(
        registered == worker.hostname || registered == worker.nics[0].ip.to_string(),
        "{state}"
    );
    let master_pid = host_pid(&master, "deploy.master.Master").expect("the master's JVM");
    let worker_pid = host_pid(&worker, "deploy.worker.Worker").expect("the worker's JVM");
    let (master_idle, worker_idle) = (pss_mib(master_pid), pss_mib(worker_pid));
    eprintln!("PSS idle: master {master_idle} MiB, worker {worker_idle} MiB");

    // The job, submitted on the master, runs its executor on the worker.
    let phase = Instant::now();
    let submit = format!(
        "export SPARK_HOME={SPARK_HOME}; timeout {SUBMIT_TIMEOUT_S} {SPARK_HOME}/bin/spark-submit \
         --master spark://{}:7077 --deploy-mode client --driver-memory 512m --executor-memory 512m \
         --total-executor-cores 2 {SPARK_HOME}/examples/src/main/python/pi.py 10",
        master.hostname
    );
    let out = cloud.ssh(&router, &master, &submit);
    let took = phase.elapsed();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && stdout.contains("Pi is roughly"),
        "spark-submit: {}\nstdout: {stdout}\nstderr (tail): {}",
        out.status,
        stderr
            .lines()
            .rev()
            .take(40)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
    eprintln!("phase job (spark-submit pi.py 10): {took:?}: {}", stdout.trim());
    let (master_after, worker_after) = (pss_mib(master_pid), pss_mib(worker_pid));
    eprintln!("PSS after the job: master {master_after} MiB, worker {worker_after} MiB");

    let state = master_state(&cloud, &router, &master).expect("the master's state");
    let apps = state["completedapps"].as_array().cloned().unwrap_or_default();
    assert!(
        apps.iter().any(|a| a["name"] == "PythonPi" && a["state"] == "FINISHED"),
        "{state}"
    );
    let work = cloud.ssh_ok(&router, &worker, &format!("ls {SPARK_HOME}/work"));
    assert!(
        work.trim().starts_with("app-"),
        "the executor ran on the worker: {work:?}"
    );
    assert!(
        !dist.join("work").exists(),
        "the worker wrote into the host's distribution"
    );

    // Cleanup by prefix ends the JVMs and leaves no namespace or mount behind.
    let phase = Instant::now();
    let state_dir = cloud.fabric.state_dir().to_path_buf();
    cloud.fabric.cleanup().unwrap();
    eprintln!("phase cleanup: {:?}", phase.elapsed());
    for pid in [master_pid, worker_pid] {
        let alive = std::fs::read(format!("/proc/{pid}/cmdline"))
            .is_ok_and(|c| String::from_utf8_lossy(&c).contains("org.apache.spark.deploy"));
        assert!(!alive, "JVM {pid} survived the cleanup");
    }
    let netns = run(Command::new("ip").args(["netns", "list"]));
    assert!(!netns.contains(&cloud.prefix.to_string()), "{netns}");
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    let ours: Vec<&str> = mounts
        .lines()
        .filter(|l| l.contains(&*state_dir.to_string_lossy()) || l.contains(&*dist.to_string_lossy()))
        .collect();
    assert!(ours.is_empty(), "mounts left on the host: {ours:?}");
    eprintln!("total: {:?}", started.elapsed());
    assert_path_gone(&state_dir.join("servers").join(&master.server_id));
}

fn assert_path_gone(path: &Path) {
    assert!(!path.exists(), "{} is left", path.display());
}
