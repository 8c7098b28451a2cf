//! `sahara-all` as an operator runs it: a config file, a port, a log directory, SIGTERM.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(conf: &std::path::Path) -> Running {
    Running(
        Command::new(env!("CARGO_BIN_EXE_sahara-all"))
            .args(["--config-file", conf.to_str().unwrap()])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

#[test]
fn serves_version_discovery_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("sahara.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\nhost = 127.0.0.1\nport = {port}\nlog_dir = {}\ndebug = True\nauth_strategy = noauth\nplugins = fake\n[database]\nconnection = sqlite:///{}\n",
            dir.path().display(),
            dir.path().join("state/sahara.sqlite").display()
        ),
    )
    .unwrap();
    let mut proc = start(&conf);
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    let resp = loop {
        match client.get(format!("http://127.0.0.1:{port}/")).send() {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("sahara-all never answered: {e}"),
        }
    };
    assert_eq!(resp.status().as_u16(), 300);
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["versions"][2]["id"], "v2");
    let hc = client
        .get(format!("http://127.0.0.1:{port}/healthcheck"))
        .send()
        .unwrap();
    assert_eq!(hc.status().as_u16(), 200);

    // The API reaches the in-process conductor: a node group template is created, then read back.
    let project = "0123456789abcdef0123456789abcdef";
    let created = client
        .post(format!("http://127.0.0.1:{port}/v2/node-group-templates"))
        .header("x-tenant-id", project)
        .header("x-user-id", "u1")
        .json(
            &serde_json::json!({"name": "workers", "flavor_id": "42", "plugin_name": "fake",
                                  "plugin_version": "0.1", "node_processes": ["datanode"]}),
        )
        .send()
        .unwrap();
    assert_eq!(created.status().as_u16(), 202);
    let created: serde_json::Value = created.json().unwrap();
    let id = created["node_group_template"]["id"].as_str().unwrap();
    assert_eq!(created["node_group_template"]["project_id"], project);
    let got: serde_json::Value = client
        .get(format!(
            "http://127.0.0.1:{port}/v1.1/{project}/node-group-templates/{id}"
        ))
        .header("x-tenant-id", project)
        .header("x-user-id", "u1")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(got["node_group_template"]["name"], "workers");
    assert_eq!(got["node_group_template"]["hadoop_version"], "0.1");

    let pid = proc.0.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let deadline = Instant::now() + Duration::from_secs(15);
    let status = loop {
        if let Some(s) = proc.0.try_wait().unwrap() {
            break s;
        }
        assert!(Instant::now() < deadline, "sahara-all did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let log = std::fs::read_to_string(dir.path().join("sahara-all.log")).unwrap();
    let first = log.lines().next().unwrap();
    // oslo.log's shape: "YYYY-MM-DD HH:MM:SS.mmm <pid> LEVEL <logger> [-] message"
    let fields: Vec<&str> = first.splitn(6, ' ').collect();
    assert_eq!(fields[2], pid, "{first}");
    assert!(log.contains("listening"), "{log}");
    assert!(
        log.contains("fake://"),
        "the embedded default uses the in-process transport: {log}"
    );
    assert!(log.contains("conductor serving"), "{log}");
    // Sahara's default `api_workers = 1`: two runtime worker threads, as Sahara serves from the forked worker and
    // the parent.
    assert!(
        log.lines()
            .any(|l| l.contains("runtime started") && l.split_whitespace().any(|w| w == "worker_threads=2")),
        "{log}"
    );
    // The embedded SQLite database was created (with its directory) and migrated.
    let url = sahara_schema::DbUrl::parse(&format!(
        "sqlite:///{}",
        dir.path().join("state/sahara.sqlite").display()
    ))
    .unwrap();
    let mut conn = sahara_schema::establish(&url, &sahara_schema::SessionOptions::default()).unwrap();
    let current = sahara_schema::migrate::current(&mut conn).unwrap();
    assert!(format!("{current:?}").contains("sahara_baseline"), "{current:?}");
}

#[test]
fn bad_configuration_fails_fast_with_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sahara.conf");
    std::fs::write(&conf, "[DEFAULT]\nport = eighty\n").unwrap();
    let mut proc = start(&conf);
    let status = proc.0.wait().unwrap();
    assert!(!status.success());
    let mut err = String::new();
    proc.0.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(err.contains("port") && err.contains("eighty"), "{err}");
}

/// `[DEFAULT] api_workers` sizes the runtime: Sahara forks that many API processes and serves in the parent too,
/// each using one core at most; here they are the runtime's worker threads (0: none forked, the parent alone).
#[test]
fn api_workers_are_the_runtime_worker_threads() {
    for (workers, threads) in [("3", 4), ("0", 1), ("-2", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let conf = dir.path().join("sahara.conf");
        std::fs::write(
            &conf,
            format!(
                "[DEFAULT]\nhost = 127.0.0.1\nport = {}\nlog_dir = {}\napi_workers = {workers}\nauth_strategy = noauth\n\
                 plugins = fake\n[database]\nconnection = sqlite:///{}\n",
                free_port(),
                dir.path().display(),
                dir.path().join("sahara.sqlite").display()
            ),
        )
        .unwrap();
        let _proc = start(&conf);
        let log = dir.path().join("sahara-all.log");
        let deadline = Instant::now() + Duration::from_secs(20);
        let line = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(line) = text.lines().find(|l| l.contains("runtime started")) {
                break line.to_string();
            }
            assert!(Instant::now() < deadline, "no runtime line in {text}");
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            line.split_whitespace()
                .any(|w| w == format!("worker_threads={threads}")),
            "api_workers = {workers}: {line}"
        );
    }
}
