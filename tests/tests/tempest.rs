//! The sahara-tests tempest plugin's API suite (`sahara_tempest_plugin.tests.api`, sahara-tests 0.18.0 with
//! tempest 47.0.0) against our `sahara-all` on the local test cloud, once with the v1.1 client and once with
//! the v2 client; each test's outcome is compared with the expectation list in `tests/tempest/`.
//!
//! Set-up, all of it removed when the test ends, also when it fails (a drop guard):
//! - the test cloud's real Keystone (on MariaDB), Swift and memcached (`sahara_testcloud::services`), and its
//!   Nova/Neutron/Glance/Cinder simulator served from this process (our API checks the flavor of every node
//!   group template in Nova, as Sahara does); the catalog's `data-processing` endpoint is registered as
//!   devstack registers Sahara's, `http://127.0.0.1:<port>/v1.1/%(project_id)s` (the v2 client replaces the
//!   version: `/v2/<project>`);
//! - in Keystone, tempest's pre-provisioned accounts: two members in projects of their own and one admin;
//! - `sahara-all` (the binary cargo built beside this test) with Keystone authentication as the cloud's
//!   `sahara` service user, `plugins = fake`, SQLite in the temporary directory;
//! - a tempest workspace (`tempest init`) with `tempest.conf` and `accounts.yaml`, run with `HOME` and `TMPDIR`
//!   in the temporary directory so that nothing is written to the real home or /tmp.
//!
//! Expectations: `tests/tempest/expected-v1.1.txt` and `expected-v2.txt`, one line per test id:
//! `<id> pass`, `<id> skip <reason>` or `<id> fail <reason>`. The test fails when a test expected to pass
//! does not, when a test expected to be skipped fails, and when a test id is new or missing; it prints the
//! tests that now pass although listed as failing, so that the lists are tightened as resources land.
//! `SAHARA_TEMPEST_BLESS=1` rewrites both lists from the run's outcomes (keeping the reasons of unchanged
//! lines; new failures and skips get `TODO`).
//!
//! The tempest virtualenv comes from `SAHARA_TEST_TEMPEST_VENV` (`scripts/test` sets it), else the newest
//! complete `venv-tempest-*` in the cache; `sahara-all` from `SAHARA_TEST_SAHARA_ALL`, else
//! `<target>/debug/sahara-all` (built by `cargo build -p sahara-all`, or by `scripts/test`'s workspace run).

use reqwest::Method;
use sahara_testcloud::fabric::{Fabric, LinuxFabric};
use sahara_testcloud::lifecycle::files::sahara_conf;
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::identity::{Identity, Named};
use sahara_testcloud::services::{self, RunningServices, ServicesConfig};
use sahara_testcloud::sim::{ApiState, Cloud, CloudConfig, KeystoneValidator, ServiceAccount};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The suite run, as in ../shared/reference/peers.md §5.
const REGEX: &str = r"^sahara_tempest_plugin\.tests\.api";
/// How long one `tempest run` may take (against Python Sahara it took about 1.5 s plus start-up).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);
/// How long `sahara-all` may take to answer.
const SAHARA_READY: Duration = Duration::from_secs(60);

/// Removes what the test made, also when it fails half-way: `sahara-all`, the fabric objects of the prefix
/// (the simulator's external network), the services' processes, Keystone database and files.
struct Guard {
    config: ServicesConfig,
    fabric: Option<Arc<LinuxFabric>>,
    sahara: Option<Child>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.sahara.take() {
            stop_child(&mut child);
        }
        if let Some(f) = &self.fabric
            && let Err(e) = f.cleanup()
        {
            eprintln!("fabric cleanup of {} failed: {e}", self.config.prefix);
        }
        if let Err(e) = services::down(&self.config) {
            eprintln!("services cleanup of {} failed: {e}", self.config.prefix);
        }
    }
}

/// SIGTERM, then SIGKILL after 10 s.
fn stop_child(child: &mut Child) {
    if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

fn cache_dir() -> PathBuf {
    std::env::var_os("SAHARA_CACHE_DIR")
        .unwrap_or_else(|| "/var/cache/sahara-rs".into())
        .into()
}

/// `SAHARA_TEST_TEMPEST_VENV`, else the newest complete `venv-tempest-*` in the cache.
fn tempest_venv() -> PathBuf {
    let venv = match std::env::var_os("SAHARA_TEST_TEMPEST_VENV") {
        Some(v) => PathBuf::from(v),
        None => {
            let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(cache_dir())
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("venv-tempest-"))
                        && p.join(".complete").exists()
                })
                .filter_map(|p| Some((std::fs::metadata(&p).and_then(|m| m.modified()).ok()?, p)))
                .collect();
            found.sort();
            found.pop().map(|(_, p)| p).unwrap_or_else(|| {
                panic!(
                    "SAHARA_TEST_TEMPEST_VENV is not set and no complete venv-tempest-* is under {}: \
                     `source scripts/lib.sh; ensure_venv tempest tests/python/requirements-tempest.txt`",
                    cache_dir().display()
                )
            })
        }
    };
    for tool in ["tempest", "stestr", "subunit2csv"] {
        assert!(
            venv.join("bin").join(tool).exists(),
            "{} has no bin/{tool}: not a tempest virtualenv",
            venv.display()
        );
    }
    venv
}

/// `SAHARA_TEST_SAHARA_ALL`, else `sahara-all` in the profile directory this test was built into. A warning is
/// printed when a source file of the services is newer than it (the results may then describe older code; not
/// an error, as a file cargo does not link into it, such as another binary's, may be newer).
fn sahara_all_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("SAHARA_TEST_SAHARA_ALL") {
        return PathBuf::from(p);
    }
    let exe = std::env::current_exe().expect("the test's own path");
    // <target>/<profile>/deps/tempest-<hash>
    let profile = exe.parent().and_then(Path::parent).expect("the profile directory");
    let bin = profile.join("sahara-all");
    let built = std::fs::metadata(&bin).and_then(|m| m.modified()).unwrap_or_else(|_| {
        panic!(
            "{} does not exist: run `cargo build -p sahara-all` first (scripts/test's workspace run builds it)",
            bin.display()
        )
    });
    let root = sahara_tests::repo_root();
    let newest = ["services", "shared", "schema"]
        .iter()
        .filter_map(|d| newest_source(&root.join(d)))
        .max();
    if let Some((changed, path)) = newest
        && changed > built
    {
        eprintln!(
            "warning: {} is older than {}: `cargo build -p sahara-all` may be due",
            bin.display(),
            path.display()
        );
    }
    bin
}

/// The most recently modified `.rs`, `.toml`, `.sql` or `.json` file under `dir` (skipping `target`).
fn newest_source(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if path.file_name().is_some_and(|n| n != "target" && n != "tests") {
                    stack.push(path);
                }
            } else if path
                .extension()
                .is_some_and(|e| e == "rs" || e == "toml" || e == "sql" || e == "json")
                && let Ok(modified) = meta.modified()
                && newest.as_ref().is_none_or(|(t, _)| modified > *t)
            {
                newest = Some((modified, path));
            }
        }
    }
    newest
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// Registers the data-processing endpoints as devstack registers Sahara's: `<url>/v1.1/%(project_id)s`.
async fn version_the_catalog(admin: &Identity, url: &str) {
    let found: Vec<Named> = admin
        .list("services", &[("type", "data-processing")])
        .await
        .expect("services");
    let [service] = &found[..] else {
        panic!("data-processing services: {found:?}")
    };
    let endpoints: Vec<Value> = admin
        .list("endpoints", &[("service_id", &service.id)])
        .await
        .expect("endpoints");
    assert_eq!(endpoints.len(), 3, "{endpoints:?}");
    for e in endpoints {
        let id = e["id"].as_str().expect("endpoint id");
        admin
            .request(
                Method::PATCH,
                &format!("endpoints/{id}"),
                Some(json!({"endpoint": {"url": format!("{url}/v1.1/%(project_id)s")}})),
            )
            .await
            .expect("endpoint update");
    }
}

/// One pre-provisioned tempest account.
struct Account {
    username: String,
    project: String,
    password: String,
    role: &'static str,
}

/// Makes tempest's accounts in Keystone: two members in projects of their own, one admin.
async fn make_accounts(admin: &Identity, tag: &str) -> Vec<Account> {
    let roles: Vec<Named> = admin.list("roles", &[]).await.expect("roles");
    let role_id = |name: &str| {
        roles
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("no role {name}: {roles:?}"))
            .id
            .clone()
    };
    let mut accounts = Vec::new();
    for (user, role) in [
        ("tempest1", "member"),
        ("tempest2", "member"),
        ("tempestadmin", "admin"),
    ] {
        let account = Account {
            username: format!("{user}-{tag}"),
            project: format!("{user}-proj-{tag}"),
            password: sahara_tests::unique_id(),
            role,
        };
        let project = admin
            .create(
                "projects",
                "project",
                json!({"name": account.project, "domain_id": "default"}),
            )
            .await
            .expect("project");
        let user = admin
            .create(
                "users",
                "user",
                json!({"name": account.username, "domain_id": "default", "password": account.password,
                       "default_project_id": project}),
            )
            .await
            .expect("user");
        admin.grant(&project, &user, &role_id(role)).await.expect("grant");
        accounts.push(account);
    }
    accounts
}

fn accounts_yaml(accounts: &[Account]) -> String {
    let mut out = String::new();
    for a in accounts {
        let _ = writeln!(
            out,
            "- {{username: {}, project_name: {}, password: {}, domain_name: Default, roles: [{}]}}",
            json!(a.username),
            json!(a.project),
            json!(a.password),
            a.role
        );
    }
    out
}

fn tempest_conf(work: &Path, s: &RunningServices, v2: bool) -> String {
    format!(
        "[DEFAULT]\n\
         log_file = {log}\n\
         \n\
         [auth]\n\
         use_dynamic_credentials = false\n\
         test_accounts_file = {accounts}\n\
         default_credentials_domain_name = Default\n\
         \n\
         [identity]\n\
         uri_v3 = {auth_url}\n\
         auth_version = v3\n\
         region = {region}\n\
         \n\
         [identity-feature-enabled]\n\
         api_v2 = false\n\
         \n\
         # tempest's own services: none of its tests run; the sahara API tests need only Keystone and Sahara.\n\
         [service_available]\n\
         sahara = true\n\
         nova = false\n\
         glance = false\n\
         neutron = false\n\
         cinder = false\n\
         swift = false\n\
         \n\
         # our API checks the flavor of every node group template in (simulated) Nova: 42 is m1.nano there\n\
         [compute]\n\
         flavor_ref = 42\n\
         \n\
         [data-processing]\n\
         catalog_type = data-processing\n\
         endpoint_type = publicURL\n\
         use_api_v2 = {v2}\n\
         \n\
         [data-processing-feature-enabled]\n\
         plugins = fake\n\
         \n\
         [oslo_concurrency]\n\
         lock_path = {lock}\n",
        log = work
            .join(if v2 { "tempest-v2.log" } else { "tempest-v1.1.log" })
            .display(),
        accounts = work.join("etc/accounts.yaml").display(),
        auth_url = s.auth_url_v3(),
        region = s.region,
        lock = work.join("tempest_lock").display(),
    )
}

/// The outcome of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Pass,
    Skip,
    Fail,
}

impl Outcome {
    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "pass" | "success" | "xfail" => Some(Outcome::Pass),
            "skip" => Some(Outcome::Skip),
            "fail" | "failure" | "uxsuccess" => Some(Outcome::Fail),
            _ => None,
        }
    }

    fn word(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Skip => "skip",
            Outcome::Fail => "fail",
        }
    }
}

/// A test id without tempest's `[id-<uuid>,...]` attributes; a class fixture's `setUpClass (<class>)` becomes
/// `<class>.setUpClass` (no blank in an id).
fn plain_id(id: &str) -> String {
    let id = id.split_once('[').map_or(id, |(head, _)| head).trim();
    match id.split_once(" (") {
        Some((fixture, class)) => format!("{}.{fixture}", class.trim_end_matches(')')),
        None => id.to_string(),
    }
}

/// An expectation list: id → (outcome, reason).
fn read_expectations(path: &Path) -> BTreeMap<String, (Outcome, String)> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.splitn(3, char::is_whitespace);
        let id = words.next().unwrap_or_default();
        let outcome = words
            .next()
            .and_then(|w| Outcome::parse(w.trim()))
            .unwrap_or_else(|| panic!("{}:{}: `<id> pass|skip|fail [reason]` expected", path.display(), n + 1));
        let reason = words.next().unwrap_or_default().trim().to_string();
        assert!(
            outcome == Outcome::Pass || !reason.is_empty(),
            "{}:{}: a skip or fail needs its reason",
            path.display(),
            n + 1
        );
        assert!(
            out.insert(id.to_string(), (outcome, reason)).is_none(),
            "{}:{}: {id} twice",
            path.display(),
            n + 1
        );
    }
    out
}

fn write_expectations(
    path: &Path,
    header: &str,
    actual: &BTreeMap<String, Outcome>,
    old: &BTreeMap<String, (Outcome, String)>,
) {
    let mut out = header.to_string();
    for (id, outcome) in actual {
        let reason = match (outcome, old.get(id)) {
            (Outcome::Pass, _) => String::new(),
            (o, Some((was, reason))) if o == was => reason.clone(),
            _ => "TODO".to_string(),
        };
        let line = format!("{id} {} {reason}", outcome.word());
        let _ = writeln!(out, "{}", line.trim_end());
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// The comment lines at the top of an expectation file.
fn header_of(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .take_while(|l| l.starts_with('#') || l.trim().is_empty())
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Runs `command` to its end within `timeout`; answers its output.
async fn output(command: &mut tokio::process::Command, timeout: Duration) -> std::process::Output {
    command.stdin(Stdio::null()).kill_on_drop(true);
    let what = format!("{command:?}");
    match tokio::time::timeout(timeout, command.output()).await {
        Ok(out) => out.unwrap_or_else(|e| panic!("{what}: {e}")),
        Err(_) => panic!("{what} did not end within {timeout:?}"),
    }
}

/// A command of the tempest virtualenv, run in the workspace with `HOME` and `TMPDIR` in the temporary
/// directory (tempest keeps its workspace registry under `~/.tempest` and a lock under `$TMPDIR/tempest-lock`).
fn venv_command(venv: &Path, tool: &str, work: &Path, home: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new(venv.join("bin").join(tool));
    c.current_dir(work)
        .env("HOME", home)
        .env("TMPDIR", home)
        .env("PATH", format!("{}:/usr/bin:/bin", venv.join("bin").display()))
        .env("no_proxy", "127.0.0.1,localhost")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env_remove("OS_CLOUD")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY");
    c
}

/// One `tempest run` of the suite; answers the outcome of each test id and the tracebacks of the failures.
async fn run_suite(venv: &Path, work: &Path, home: &Path, conf: &Path) -> (BTreeMap<String, Outcome>, String) {
    let began = Instant::now();
    let run = output(
        venv_command(venv, "tempest", work, home).args([
            "run",
            "--config-file",
            conf.to_str().unwrap(),
            "--regex",
            REGEX,
            "--concurrency",
            "2",
        ]),
        RUN_TIMEOUT,
    )
    .await;
    let summary = String::from_utf8_lossy(&run.stdout);
    let tail: Vec<&str> = summary.lines().rev().take(12).collect();
    eprintln!(
        "tempest run ({}, {:.1} s): exit {}; summary:\n{}",
        conf.display(),
        began.elapsed().as_secs_f64(),
        run.status,
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    let subunit = output(
        venv_command(venv, "stestr", work, home).args(["last", "--subunit"]),
        RUN_TIMEOUT,
    )
    .await;
    assert!(
        !subunit.stdout.is_empty(),
        "no subunit stream from `stestr last`: tempest run said\n{summary}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let mut csv = venv_command(venv, "subunit2csv", work, home);
    csv.stdin(Stdio::piped()).stdout(Stdio::piped()).kill_on_drop(true);
    let mut child = csv.spawn().expect("subunit2csv");
    let mut stdin = child.stdin.take().expect("stdin");
    let feed = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        let _ = stdin.write_all(&subunit.stdout).await;
    });
    let csv = tokio::time::timeout(RUN_TIMEOUT, child.wait_with_output())
        .await
        .expect("subunit2csv timed out")
        .expect("subunit2csv");
    let _ = feed.await;
    let mut outcomes = BTreeMap::new();
    // test,status,start_time,stop_time; ids hold no commas once their attributes are cut off, but the
    // attributes do: split at the status column from the right.
    for line in String::from_utf8_lossy(&csv.stdout).lines().skip(1) {
        let mut cols = line.rsplitn(4, ',');
        let (_stop, _start, status, id) = (cols.next(), cols.next(), cols.next(), cols.next());
        let (Some(status), Some(id)) = (status, id) else {
            continue;
        };
        let id = plain_id(id.trim_matches('"'));
        let outcome = Outcome::parse(status).unwrap_or_else(|| panic!("unknown subunit status {status:?}: {line}"));
        // A test reported twice (a retried class fixture) keeps its worst outcome.
        let entry = outcomes.entry(id).or_insert(outcome);
        if outcome == Outcome::Fail {
            *entry = Outcome::Fail;
        }
    }
    let failing = output(venv_command(venv, "stestr", work, home).args(["failing"]), RUN_TIMEOUT).await;
    (outcomes, String::from_utf8_lossy(&failing.stdout).into_owned())
}

/// Compares a run with its expectation list; answers the problems (the test fails on them) and prints the
/// notes.
fn compare(
    version: &str,
    expected: &BTreeMap<String, (Outcome, String)>,
    actual: &BTreeMap<String, Outcome>,
) -> Vec<String> {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    for (id, (want, reason)) in expected {
        match (want, actual.get(id)) {
            (_, None) => problems.push(format!("{version}: {id} did not run (expected {})", want.word())),
            (w, Some(got)) if w == got => {}
            (Outcome::Pass, Some(got)) => problems.push(format!("{version}: {id} expected to pass, {}", got.word())),
            (Outcome::Skip, Some(Outcome::Fail)) => {
                problems.push(format!("{version}: {id} expected to be skipped ({reason}), failed"))
            }
            (Outcome::Fail, Some(Outcome::Pass)) => notes.push(format!(
                "{version}: {id} now PASSES (listed as failing: {reason}): mark it `pass`"
            )),
            (w, Some(got)) => notes.push(format!(
                "{version}: {id} expected {} ({reason}), {}",
                w.word(),
                got.word()
            )),
        }
    }
    for (id, got) in actual {
        if !expected.contains_key(id) {
            problems.push(format!(
                "{version}: {id} ({}) is not in the expectation list",
                got.word()
            ));
        }
    }
    for n in &notes {
        eprintln!("note: {n}");
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sahara_tests_api_suite_v1_1_and_v2() {
    init_tracing();
    let began = Instant::now();
    let venv = tempest_venv();
    let sahara_all = sahara_all_binary();
    let expectations_dir = sahara_tests::repo_root().join("tests/tempest");

    let dir = tempfile::Builder::new()
        .prefix("stc-tempest-")
        .tempdir()
        .expect("temp dir");
    let prefix = Prefix::random();
    let api_port = free_port();
    let config = ServicesConfig {
        data_processing_port: api_port,
        ..ServicesConfig::from_env(dir.path(), prefix).expect("virtualenvs")
    };
    let mut guard = Guard {
        config: config.clone(),
        fabric: None,
        sahara: None,
    };

    // The cloud: Keystone, Swift, memcached; the simulator in this process.
    let running = services::start(&config).await.expect("services start");
    let fabric = Arc::new(LinuxFabric::new(prefix, dir.path().join("fabric")).expect("fabric"));
    guard.fabric = Some(fabric.clone());
    let mut cc = CloudConfig::new(dir.path().join("sim"), prefix, running.admin.project_id.clone());
    cc.compute_hosts = 1;
    let cloud = Cloud::start(cc, fabric.clone()).await.expect("simulator start");
    let validator = KeystoneValidator::new(ServiceAccount {
        auth_url: running.keystone_url.clone(),
        username: running.admin.username.clone(),
        password: running.admin.password.clone(),
        project_name: running.admin.project_name.clone(),
        user_domain_name: running.admin.user_domain_name.clone(),
        project_domain_name: running.admin.project_domain_name.clone(),
    });
    let app = sahara_testcloud::sim::app(ApiState::new(cloud.clone(), Arc::new(validator)), axum::Router::new());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", running.ports.simulator))
        .await
        .expect("bind simulator");
    let simulator = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });

    // Keystone: the catalog as devstack registers Sahara, and tempest's accounts.
    let ks = Identity::new(&running.keystone_url).expect("identity client");
    let admin_token = ks.password_token(&running.admin).await.expect("admin token");
    let admin = ks.with_token(&admin_token);
    version_the_catalog(&admin, &running.data_processing_url).await;
    let accounts = make_accounts(&admin, &prefix.to_string()).await;
    eprintln!("cloud {prefix} up in {:.1} s", began.elapsed().as_secs_f64());

    // Our API.
    let sahara_dir = dir.path().join("sahara");
    std::fs::create_dir_all(&sahara_dir).expect("sahara dir");
    let conf_path = sahara_dir.join("sahara.conf");
    let database = sahara_dir.join("sahara.sqlite");
    std::fs::write(
        &conf_path,
        sahara_conf(&running, api_port, &database.display().to_string()),
    )
    .expect("sahara.conf");
    let log_path = sahara_dir.join("sahara-all.log");
    let log = std::fs::File::create(&log_path).expect("sahara-all log");
    let mut command = std::process::Command::new(&sahara_all);
    command
        .args(["--config-file", conf_path.to_str().unwrap()])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("log"))
        .stderr(log);
    // SAFETY: between fork and exec only prctl(2), which is async-signal-safe; it ends sahara-all should
    // this test be killed before its guard runs.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    guard.sahara = Some(command.spawn().expect("sahara-all"));
    let client = http();
    let deadline = Instant::now() + SAHARA_READY;
    loop {
        if let Ok(r) = client.get(format!("{}/", running.data_processing_url)).send().await
            && r.status().as_u16() == 300
        {
            break;
        }
        if let Some(status) = guard.sahara.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
            panic!(
                "sahara-all exited ({status}):\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            );
        }
        assert!(
            Instant::now() < deadline,
            "sahara-all did not answer within {SAHARA_READY:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // The tempest workspace.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let work = dir.path().join("tempest");
    let init = output(
        venv_command(&venv, "tempest", dir.path(), &home).args([
            "init",
            "--workspace-path",
            home.join("workspace.yaml").to_str().unwrap(),
            work.to_str().unwrap(),
        ]),
        RUN_TIMEOUT,
    )
    .await;
    assert!(
        init.status.success(),
        "tempest init: {}{}",
        String::from_utf8_lossy(&init.stdout),
        String::from_utf8_lossy(&init.stderr)
    );
    std::fs::write(work.join("etc/accounts.yaml"), accounts_yaml(&accounts)).expect("accounts.yaml");

    let bless = std::env::var_os("SAHARA_TEMPEST_BLESS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut failures = String::new();
    for (version, v2) in [("v1.1", false), ("v2", true)] {
        let conf = work.join(format!("etc/tempest-{version}.conf"));
        std::fs::write(&conf, tempest_conf(&work, &running, v2)).expect("tempest.conf");
        let (actual, failing) = run_suite(&venv, &work, &home, &conf).await;
        let counts = |o: Outcome| actual.values().filter(|a| **a == o).count();
        eprintln!(
            "{version}: {} run: {} passed, {} skipped, {} failed",
            actual.len(),
            counts(Outcome::Pass),
            counts(Outcome::Skip),
            counts(Outcome::Fail)
        );
        let list = expectations_dir.join(format!("expected-{version}.txt"));
        let expected = read_expectations(&list);
        let found = compare(version, &expected, &actual);
        if bless {
            write_expectations(&list, &header_of(&list), &actual, &expected);
            eprintln!("{}: rewritten from this run", list.display());
        } else if !found.is_empty() {
            let _ = write!(failures, "\n===== {version}: stestr failing =====\n{failing}");
        }
        problems.extend(found);
    }

    simulator.abort();
    if let Some(mut child) = guard.sahara.take() {
        stop_child(&mut child);
    }
    drop(guard);
    eprintln!("whole run {:.1} s", began.elapsed().as_secs_f64());
    if !bless && !problems.is_empty() {
        let mut log = std::fs::read_to_string(&log_path).unwrap_or_default();
        if log.len() > 20_000 {
            log = log.split_off(log.len() - 20_000);
        }
        if failures.len() > 60_000 {
            failures.truncate(60_000);
        }
        panic!(
            "the tempest suite differs from tests/tempest/expected-*.txt (SAHARA_TEMPEST_BLESS=1 rewrites them):\n\
             {}\n{failures}\n===== end of sahara-all's log =====\n{log}",
            problems.join("\n")
        );
    }
}
