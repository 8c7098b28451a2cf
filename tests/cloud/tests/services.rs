//! The cloud's real services as the rest of the cloud and Sahara use them: Keystone on
//! MariaDB (users, roles, proxy domain, catalog, trusts), Swift behind keystoneauth,
//! memcached; started, restarted, crashed and removed.
//!
//! Each test has its own prefix, state directory and Keystone database, and removes them
//! (processes, database, files) when it ends, also when it fails. The virtualenvs come
//! from `SAHARA_TESTCLOUD_KEYSTONE_VENV` / `SAHARA_TESTCLOUD_SWIFT_VENV` (`scripts/test`
//! sets them), else the newest under the cache directory.

use reqwest::{Method, StatusCode};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::identity::{Identity, Named};
use sahara_testcloud::services::procs::{DaemonSpec, Readiness, Supervisor};
use sahara_testcloud::services::secrets::Secrets;
use sahara_testcloud::services::{self, Credentials, RunningServices, ServicesConfig, catalog, keystone, provision};
use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

/// One cloud's services for one test; `down` when dropped.
struct TestCloud {
    config: ServicesConfig,
    _dir: tempfile::TempDir,
}

impl TestCloud {
    fn new() -> TestCloud {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
            .with_test_writer()
            .with_ansi(false)
            .try_init();
        let dir = tempfile::Builder::new()
            .prefix("stc-services-")
            .tempdir()
            .expect("temp dir");
        let config = ServicesConfig::from_env(dir.path(), Prefix::random()).expect("virtualenvs");
        TestCloud { config, _dir: dir }
    }

    async fn start(&self) -> RunningServices {
        let began = Instant::now();
        let running = services::start(&self.config).await.expect("services start");
        eprintln!(
            "services of {} up in {:.1} s",
            self.config.prefix,
            began.elapsed().as_secs_f64()
        );
        running
    }
}

impl Drop for TestCloud {
    fn drop(&mut self) {
        if let Err(e) = services::down(&self.config) {
            eprintln!("cleanup of {} failed: {e}", self.config.prefix);
        }
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Whether any thread of process `pid` still runs (a process whose main thread ended
/// first shows as a zombie while its other threads live on).
fn alive(pid: i32) -> bool {
    std::fs::read_dir(format!("/proc/{pid}/task")).is_ok_and(|tasks| {
        tasks.flatten().any(|t| {
            std::fs::read_to_string(t.path().join("stat")).is_ok_and(|s| {
                let state = s.rsplit(')').next().and_then(|r| r.trim_start().chars().next());
                !matches!(state, Some('Z' | 'X'))
            })
        })
    })
}

/// Proportional set size of a process, in MB.
fn pss_mb(pid: i32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Pss:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn database_exists(name: &str) -> bool {
    let out = std::process::Command::new("mysql")
        .args([
            "-uroot",
            "-h127.0.0.1",
            "--batch",
            "--skip-column-names",
            "-e",
            &format!("SHOW DATABASES LIKE '{name}'"),
        ])
        .output()
        .expect("mysql client");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim() == name
}

/// Swift request with a token; answers status and body.
async fn swift(method: Method, url: &str, token: &str, body: Option<&[u8]>) -> (StatusCode, Vec<u8>) {
    let mut req = http().request(method, url).header("X-Auth-Token", token);
    if let Some(body) = body {
        req = req.body(body.to_vec());
    }
    let resp = req.send().await.expect("swift request");
    let status = resp.status();
    (status, resp.bytes().await.expect("swift body").to_vec())
}

#[tokio::test]
async fn keystone_serves_the_cloud_users_and_a_complete_catalog() {
    let cloud = TestCloud::new();
    let s = cloud.start().await;
    assert!(database_exists(&s.keystone_database), "Keystone runs on MariaDB");
    let ks = Identity::new(&s.keystone_url).unwrap();

    // Password authentication of every user, scoped to its project, with its roles.
    for (creds, role) in [
        (&s.admin, "admin"),
        (&s.demo, "member"),
        (&s.sahara, "admin"),
        (&s.swift, "service"),
    ] {
        let token = ks
            .password_token(creds)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", creds.username));
        assert_eq!(token.user_id(), Some(creds.user_id.as_str()), "{token:?}");
        assert_eq!(token.project_id(), Some(creds.project_id.as_str()), "{token:?}");
        assert!(
            token.role_names().contains(&role),
            "{} lacks {role}: {token:?}",
            creds.username
        );
    }
    let demo = ks.password_token(&s.demo).await.unwrap();
    assert!(demo.role_names().contains(&"reader"), "member implies reader: {demo:?}");
    // Names compare as on a production (MySQL) Keystone: `default` finds `Default`.
    let lower = Credentials {
        user_domain_name: "default".into(),
        project_domain_name: "default".into(),
        ..s.demo.clone()
    };
    ks.password_token(&lower)
        .await
        .expect("domain names are case-insensitive on MariaDB");
    let wrong = Credentials {
        password: "wrong".into(),
        ..s.demo.clone()
    };
    match ks.password_token(&wrong).await {
        Err(services::ServicesError::Api { status: 401, .. }) => {}
        other => panic!("a wrong password answered {other:?}"),
    }

    // The catalog: every service, three interfaces each, in RegionOne, at the cloud's URLs.
    for entry in catalog::entries(&s.ports, services::DATA_PROCESSING_PORT) {
        let expected = entry.url.replace("%(project_id)s", &s.demo.project_id);
        for interface in catalog::INTERFACES {
            assert_eq!(
                demo.endpoint(entry.service_type, interface, "RegionOne"),
                Some(expected.as_str()),
                "{} {interface}",
                entry.service_type
            );
        }
    }
    assert_eq!(
        demo.endpoint("identity", "public", "RegionOne"),
        Some(s.keystone_url.as_str())
    );
    assert_eq!(
        demo.endpoint("data-processing", "internal", "RegionOne"),
        Some("http://127.0.0.1:8386")
    );
    let services: Vec<Value> = demo.body["catalog"].as_array().cloned().unwrap_or_default();
    let expected = catalog::entries(&s.ports, services::DATA_PROCESSING_PORT).len();
    assert_eq!(services.len(), expected, "{services:?}");

    // Sahara's proxy users: the sahara service user makes one in the proxy domain, the
    // proxy user authenticates there, and sahara deletes it again.
    let sahara = ks.password_token(&s.sahara).await.unwrap();
    let as_sahara = ks.with_token(&sahara);
    let domains: Vec<Named> = as_sahara.list("domains", &[("name", &s.proxy_domain)]).await.unwrap();
    let [domain] = &domains[..] else {
        panic!("proxy domain: {domains:?}")
    };
    let proxy_user = as_sahara
        .create(
            "users",
            "user",
            json!({"name": "proxy-test", "domain_id": domain.id, "password": "proxy-pw"}),
        )
        .await
        .expect("sahara makes proxy users");
    let proxy_auth = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "id": proxy_user, "password": "proxy-pw"}}}}});
    let resp = http()
        .post(format!("{}/v3/auth/tokens", s.keystone_url))
        .json(&proxy_auth)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "proxy user authenticates");
    as_sahara
        .request(Method::DELETE, &format!("users/{proxy_user}"), None)
        .await
        .expect("sahara deletes it");

    for (name, pid) in s.pids() {
        eprintln!("{name}: pid {pid}, PSS {:.1} MB", pss_mb(pid));
    }
    s.stop().unwrap();
}

#[tokio::test]
async fn a_second_start_reuses_everything_and_bootstrap_runs_twice_cleanly() {
    let cloud = TestCloud::new();
    let first = cloud.start().await;
    let ks = Identity::new(&first.keystone_url).unwrap();

    // Bootstrap and provisioning once more on the running cloud: no error, nothing doubled.
    let secrets = Secrets::load_or_create(&cloud.config.dir().join("secrets.json")).unwrap();
    keystone::Keystone::new(&cloud.config, &first.ports)
        .bootstrap(&secrets)
        .await
        .expect("second bootstrap");
    let again = provision::provision(&first.keystone_url, &cloud.config, &first.ports, &secrets)
        .await
        .unwrap();
    assert_eq!(again.demo, first.demo);
    assert_eq!(again.sahara, first.sahara);
    let admin = ks
        .password_token(&first.admin)
        .await
        .expect("admin password still valid");
    let as_admin = ks.with_token(&admin);
    let endpoints: Vec<Value> = as_admin.list("endpoints", &[]).await.unwrap();
    let service_count = catalog::entries(&first.ports, cloud.config.data_processing_port).len();
    assert_eq!(
        endpoints.len(),
        service_count * 3,
        "one endpoint per service and interface"
    );
    for collection in ["users", "projects", "roles", "services"] {
        let all: Vec<Named> = as_admin.list(collection, &[]).await.unwrap();
        let mut names: Vec<&str> = all.iter().map(|n| n.name.as_str()).collect();
        let count = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), count, "{collection}: {names:?}");
    }

    // `up` again while the first runs: its processes are replaced, everything else reused.
    let old_pids = first.pids();
    let began = Instant::now();
    let second = services::start(&cloud.config).await.expect("second start");
    eprintln!(
        "warm start (replacing a running cloud) in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    for (name, pid) in &old_pids {
        assert!(!alive(*pid), "{name} ({pid}) of the first start still runs");
    }
    assert_eq!(second.ports, first.ports);
    assert_eq!(second.demo, first.demo, "same users, ids and passwords");
    assert_eq!(second.admin, first.admin);
    let token = Identity::new(&second.keystone_url)
        .unwrap()
        .password_token(&second.demo)
        .await
        .unwrap();
    assert_eq!(token.project_id(), Some(second.demo.project_id.as_str()));
    // Tokens issued before the restart stay valid: the Fernet keys were kept.
    let check = http()
        .get(format!("{}/v3/auth/tokens", second.keystone_url))
        .header("X-Auth-Token", &admin.id)
        .header("X-Subject-Token", &admin.id)
        .send()
        .await
        .unwrap();
    assert_eq!(check.status(), StatusCode::OK, "a token of the first run validates");

    // A stop after a warm start, then a third, cold-process start on the same state.
    let pids = second.pids();
    second.stop().unwrap();
    for (name, pid) in &pids {
        assert!(!alive(*pid), "{name} ({pid}) survived stop");
    }
    let began = Instant::now();
    let third = services::start(&cloud.config).await.expect("start after stop");
    eprintln!("warm start (after stop) in {:.1} s", began.elapsed().as_secs_f64());
    assert_eq!(third.ports, first.ports);
    third.stop().unwrap();
    drop(first);
}

#[tokio::test]
async fn swift_stores_objects_for_demo() {
    let cloud = TestCloud::new();
    let s = cloud.start().await;
    let ks = Identity::new(&s.keystone_url).unwrap();
    let demo = ks.password_token(&s.demo).await.unwrap();
    let account = demo
        .endpoint("object-store", "public", "RegionOne")
        .expect("object-store endpoint")
        .to_string();
    assert_eq!(account, format!("{}/v1/AUTH_{}", s.swift_url, s.demo.project_id));

    let (status, _) = swift(Method::PUT, &format!("{account}/demo-c"), &demo.id, None).await;
    assert!(status.is_success(), "container PUT: {status}");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (status, _) = swift(
        Method::PUT,
        &format!("{account}/demo-c/dir/job.jar"),
        &demo.id,
        Some(&data),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = swift(Method::GET, &format!("{account}/demo-c/dir/job.jar"), &demo.id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body == data, "the object reads back byte for byte");
    let (status, body) = swift(Method::GET, &format!("{account}/demo-c?format=json"), &demo.id, None).await;
    assert_eq!(status, StatusCode::OK);
    let listing: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(listing[0]["name"], "dir/job.jar");
    assert_eq!(listing[0]["bytes"], 300_000);

    // Without a token, and with another project's token, demo's objects are out of reach.
    let resp = http()
        .get(format!("{account}/demo-c/dir/job.jar"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let sahara = ks.password_token(&s.sahara).await.unwrap();
    assert_eq!(s.sahara.project_name, "service");
    let (status, _) = swift(Method::GET, &format!("{account}/demo-c/dir/job.jar"), &sahara.id, None).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a token of project service may not read demo's account"
    );

    let (status, _) = swift(Method::DELETE, &format!("{account}/demo-c/dir/job.jar"), &demo.id, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    s.stop().unwrap();
}

#[tokio::test]
async fn a_trust_lets_sahara_use_demos_swift_account() {
    let cloud = TestCloud::new();
    let s = cloud.start().await;
    let ks = Identity::new(&s.keystone_url).unwrap();
    let demo = ks.password_token(&s.demo).await.unwrap();
    let account = format!("{}/v1/AUTH_{}", s.swift_url, s.demo.project_id);
    let (status, _) = swift(Method::PUT, &format!("{account}/edp"), &demo.id, None).await;
    assert!(status.is_success(), "{status}");

    // As Sahara does for a cluster: the user (trustor) trusts the sahara service user with
    // its roles by name, impersonating.
    let trust = ks
        .with_token(&demo)
        .create_trust(
            &s.demo.user_id,
            &s.sahara.user_id,
            &s.demo.project_id,
            &["member"],
            true,
        )
        .await
        .expect("demo creates the trust");
    let scoped = ks.trust_token(&s.sahara, &trust).await.expect("trust-scoped token");
    assert_eq!(
        scoped.user_id(),
        Some(s.demo.user_id.as_str()),
        "impersonation: the token acts as demo"
    );
    assert_eq!(scoped.project_id(), Some(s.demo.project_id.as_str()));
    assert_eq!(scoped.body["OS-TRUST:trust"]["id"], trust.as_str());
    assert!(scoped.role_names().contains(&"member"), "{scoped:?}");

    // With it, sahara writes and reads in demo's account; demo sees what sahara wrote.
    let (status, _) = swift(
        Method::PUT,
        &format!("{account}/edp/input.txt"),
        &scoped.id,
        Some(b"written through a trust"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = swift(Method::GET, &format!("{account}/edp/input.txt"), &scoped.id, None).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"written through a trust"[..]));
    let (status, body) = swift(Method::GET, &format!("{account}/edp/input.txt"), &demo.id, None).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"written through a trust"[..]));

    // Once the trust is deleted, Keystone no longer validates its token. (Swift's
    // keystonemiddleware keeps a validated token in memcached for its token_cache_time,
    // 300 s, as in production, so Swift itself may accept it until then.)
    ks.with_token(&demo).delete_trust(&trust).await.unwrap();
    let validation = http()
        .get(format!("{}/v3/auth/tokens", s.keystone_url))
        .header("X-Auth-Token", &demo.id)
        .header("X-Subject-Token", &scoped.id)
        .send()
        .await
        .unwrap();
    assert_eq!(
        validation.status(),
        StatusCode::NOT_FOUND,
        "a deleted trust's token is no longer valid"
    );
    s.stop().unwrap();
}

#[tokio::test]
async fn down_leaves_no_process_database_or_file() {
    let cloud = TestCloud::new();
    let s = cloud.start().await;
    let pids = s.pids();
    assert_eq!(pids.len(), 6, "{pids:?}");
    let database = s.keystone_database.clone();
    drop(s); // `down` must not need the handle
    let report = services::down(&cloud.config).unwrap();
    let mut stopped = report.processes.clone();
    stopped.sort();
    let mut expected: Vec<i32> = pids.iter().map(|(_, p)| *p).collect();
    expected.sort();
    assert_eq!(stopped, expected);
    for (name, pid) in &pids {
        assert!(!alive(*pid), "{name} ({pid}) survived down");
    }
    assert!(report.database_dropped && !database_exists(&database));
    assert!(report.files_removed && !cloud.config.dir().exists());
    let again = services::down(&cloud.config).unwrap();
    assert_eq!(again, services::DownReport::default(), "a second down finds nothing");
}

#[tokio::test]
async fn a_crashed_run_is_reaped_by_the_next_start() {
    let cloud = TestCloud::new();
    let s = cloud.start().await;
    let pids = s.pids();
    let ports = s.ports;
    // The crash: Keystone is SIGKILLed, the rest keeps running, the handle is lost.
    let (_, keystone_pid) = pids.iter().find(|(n, _)| n == "keystone").cloned().unwrap();
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(keystone_pid).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    std::mem::forget(s);
    // A pid file of this cloud naming a process that is not the cloud's (a reused pid):
    // it must be left alone.
    let mut stranger = std::process::Command::new("sleep").arg("300").spawn().unwrap();
    let stranger_pid = stranger.id() as i32;
    let stat = std::fs::read_to_string(format!("/proc/{stranger_pid}/stat")).unwrap();
    let start_time: u64 = stat
        .rsplit(')')
        .next()
        .unwrap()
        .split_whitespace()
        .nth(19)
        .unwrap()
        .parse()
        .unwrap();
    let record = json!({"name": "stranger", "pid": stranger_pid, "start_time": start_time,
                        "marker": cloud.config.dir().display().to_string()});
    let run = cloud.config.dir().join("run");
    std::fs::write(
        run.join(format!("stc-{}-stranger.pid", cloud.config.prefix)),
        record.to_string(),
    )
    .unwrap();

    let s = cloud.start().await;
    for (name, pid) in &pids {
        assert!(!alive(*pid), "{name} ({pid}) of the crashed run still runs");
    }
    assert!(alive(stranger_pid), "a process that is not the cloud's was killed");
    assert_eq!(s.ports, ports, "the crashed run's ports are reused");
    let token = Identity::new(&s.keystone_url)
        .unwrap()
        .password_token(&s.demo)
        .await
        .unwrap();
    let (status, _) = swift(
        Method::PUT,
        &format!("{}/v1/AUTH_{}/after-crash", s.swift_url, s.demo.project_id),
        &token.id,
        None,
    )
    .await;
    assert!(status.is_success(), "{status}");
    s.stop().unwrap();
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}

#[tokio::test]
async fn daemons_that_die_or_ignore_sigterm_are_handled() {
    let dir = tempfile::tempdir().unwrap();
    let sup = Supervisor::new(dir.path(), Prefix::random());
    let marker = dir.path().display().to_string();
    let shell = |name: &str, script: &str, ready: Readiness| DaemonSpec {
        name: name.into(),
        program: "sh".into(),
        args: vec!["-c".into(), script.into(), marker.clone()],
        env: vec![],
        cwd: dir.path().to_path_buf(),
        ready,
    };
    let nowhere = Readiness::Tcp("127.0.0.1:9".parse().unwrap());

    // Dies at once: reported with its log, fast.
    let mut dying = sup
        .spawn(shell("dying", "echo cannot start >&2; exit 3", nowhere.clone()))
        .unwrap();
    let began = Instant::now();
    match dying.wait_ready(Duration::from_secs(30)).await {
        Err(services::ServicesError::Exited { log_tail, .. }) => {
            assert!(log_tail.contains("cannot start"), "{log_tail}")
        }
        other => panic!("{other:?}"),
    }
    assert!(began.elapsed() < Duration::from_secs(5));
    dying.stop(Duration::from_secs(1)).unwrap();

    // Never answers: a timeout naming it.
    let mut silent = sup.spawn(shell("silent", "sleep 300; true", nowhere)).unwrap();
    match silent.wait_ready(Duration::from_millis(500)).await {
        Err(services::ServicesError::NotReady { name, .. }) => assert_eq!(name, "silent"),
        other => panic!("{other:?}"),
    }
    // Ignores SIGTERM, and has a child in its group: both are SIGKILLed after the grace.
    let stubborn = sup
        .spawn(shell(
            "stubborn",
            "trap '' TERM; sleep 300 & wait",
            Readiness::Http("http://127.0.0.1:9/".into()),
        ))
        .unwrap();
    let pid = stubborn.pid();
    std::thread::sleep(Duration::from_millis(200));
    let began = Instant::now();
    stubborn.stop(Duration::from_millis(500)).unwrap();
    assert!(began.elapsed() >= Duration::from_millis(500));
    assert!(!alive(pid));
    let group_left = std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
        let member = std::fs::read_to_string(e.path().join("stat")).is_ok_and(|s| {
            let f: Vec<&str> = s.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            f.get(2) == Some(&pid.to_string().as_str())
        });
        member && e.file_name().to_str().and_then(|n| n.parse().ok()).is_some_and(alive)
    });
    assert!(!group_left, "a process of the stubborn daemon's group survived");

    // The silent one is left for `reap`, as after a crash.
    let silent_pid = silent.pid();
    std::mem::forget(silent);
    assert_eq!(sup.reap().unwrap(), vec![silent_pid]);
    assert!(!alive(silent_pid));
    assert!(sup.reap().unwrap().is_empty());
    assert!(
        !Path::new(&dir.path().join("run")).read_dir().unwrap().any(|_| true),
        "no pid file left"
    );
}
