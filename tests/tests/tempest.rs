//! The sahara-tests tempest plugin (sahara-tests 0.18.0 with tempest 47.0.0) against our `sahara-all` on the
//! local test cloud: its API suite (`sahara_tempest_plugin.tests.api`) once with the v1.1 client and once with
//! the v2 client, and its CLI suite (`sahara_tempest_plugin.tests.cli.test_scenario`, `openstack dataprocessing
//! ...` of the virtualenv, fake plugin, flavors 3 and 4 and the external network `public` of the simulator) once
//! with saharaclient's API 1.1 and once with `api_version_saharaclient = 2`. The API runs and each CLI run go
//! side by side, each in a tempest workspace and with accounts of its own (the CLI suite works as the admin
//! account, in one class, so one worker). Each test's outcome is compared with the expectation list in
//! `tests/tempest/`.
//!
//! Set-up (`common::Stack`, shared with isolation.rs), all of it removed when the test ends, also when it fails
//! (a drop guard):
//! - the test cloud's real Keystone (on MariaDB), Swift and memcached (`sahara_testcloud::services`), and its
//!   Nova/Neutron/Glance/Cinder simulator served from this process (our API checks the flavor of every node
//!   group template in Nova, as Sahara does); the catalog's `data-processing` endpoint is registered as
//!   devstack registers Sahara's, `http://127.0.0.1:<port>/v1.1/%(project_id)s` (the v2 client replaces the
//!   version: `/v2/<project>`);
//! - in Keystone, for each workspace, tempest's pre-provisioned accounts: two members in projects of their own
//!   and one admin;
//! - `sahara-all` (the binary cargo built beside this test) with Keystone authentication as the cloud's
//!   `sahara` service user, `plugins = fake`, SQLite in the temporary directory;
//! - three tempest workspaces (`tempest init`: API, CLI 1.1, CLI 2) with `tempest.conf` and `accounts.yaml`, run
//!   with `HOME` and `TMPDIR` in the temporary directory so that nothing is written to the real home or /tmp.
//!
//! Expectations: `tests/tempest/expected-v1.1.txt`, `expected-v2.txt`, `expected-cli-v1.1.txt` and
//! `expected-cli-v2.txt`, one line per test id:
//! `<id> pass`, `<id> skip <reason>` or `<id> fail <reason>`. The test fails when a test expected to pass
//! does not, when a test expected to be skipped fails, and when a test id is new or missing; it prints the
//! tests that now pass although listed as failing, so that the lists are tightened as resources land.
//! `SAHARA_TEMPEST_BLESS=1` rewrites the lists from the run's outcomes (keeping the reasons of unchanged
//! lines; new failures and skips get `TODO`).
//!
//! The tempest virtualenv comes from `SAHARA_TEST_TEMPEST_VENV` (`scripts/test` sets it), else the newest
//! complete `venv-tempest-*` in the cache; `sahara-all` from `SAHARA_TEST_SAHARA_ALL`, else
//! `<target>/debug/sahara-all` (built by `cargo build -p sahara-all`, or by `scripts/test`'s workspace run).

mod common;

use common::*;
use sahara_testcloud::services::RunningServices;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// The API suite, as in ../shared/reference/peers.md §5.
const API_REGEX: &str = r"^sahara_tempest_plugin\.tests\.api";
/// The CLI suite (`^...tests\.cli` alone would also match `tests.clients`, which need a real cloud).
const CLI_REGEX: &str = r"^sahara_tempest_plugin\.tests\.cli\.test_scenario";
/// How long one `tempest run` may take (against Python Sahara the API suite took about 1.5 s plus start-up,
/// the CLI suite about 75 s).
const RUN_TIMEOUT: Duration = Duration::from_secs(600);

/// One run of a suite: its label (the expectation list is `expected-<label>.txt`), the regex, whether the API
/// suite uses the v2 client, and the CLI suite's `api_version_saharaclient`.
#[derive(Clone, Copy)]
struct Run {
    label: &'static str,
    regex: &'static str,
    v2: bool,
    cli_version: &'static str,
    concurrency: &'static str,
}

const API_V1_1: Run = Run {
    label: "v1.1",
    regex: API_REGEX,
    v2: false,
    cli_version: "1.1",
    concurrency: "2",
};
const API_V2: Run = Run {
    label: "v2",
    v2: true,
    ..API_V1_1
};
const CLI_V1_1: Run = Run {
    label: "cli-v1.1",
    regex: CLI_REGEX,
    v2: false,
    cli_version: "1.1",
    concurrency: "1",
};
const CLI_V2: Run = Run {
    label: "cli-v2",
    cli_version: "2",
    ..CLI_V1_1
};

fn tempest_conf(work: &Path, s: &RunningServices, run: Run) -> String {
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
         api_version_saharaclient = {cli_version}\n\
         \n\
         [data-processing-feature-enabled]\n\
         plugins = fake\n\
         \n\
         [oslo_concurrency]\n\
         lock_path = {lock}\n",
        log = work.join(format!("tempest-{}.log", run.label)).display(),
        v2 = run.v2,
        cli_version = run.cli_version,
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
async fn run_suite(
    venv: &Path,
    work: &Path,
    home: &Path,
    conf: &Path,
    suite: Run,
) -> (BTreeMap<String, Outcome>, String) {
    let began = Instant::now();
    let run = output(
        venv_command(venv, "tempest", work, home).args([
            "run",
            "--config-file",
            conf.to_str().unwrap(),
            "--regex",
            suite.regex,
            "--concurrency",
            suite.concurrency,
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

/// A tempest workspace (`tempest init`) with its own `HOME` and its own accounts.
struct Workspace {
    work: std::path::PathBuf,
    home: std::path::PathBuf,
}

async fn workspace(venv: &Path, stack: &Stack, name: &str) -> Workspace {
    let root = stack.dir.path().join(name);
    let home = root.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let work = root.join("tempest");
    let init = output(
        venv_command(venv, "tempest", &root, &home).args([
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
    let accounts = make_accounts(&stack.admin, &format!("{}-{name}", stack.prefix), TEMPEST_ACCOUNTS).await;
    std::fs::write(work.join("etc/accounts.yaml"), accounts_yaml(&accounts)).expect("accounts.yaml");
    Workspace { work, home }
}

/// Runs `suites` one after the other in a new workspace; answers each run's outcomes and `stestr failing`.
async fn run_in_workspace(
    venv: &Path,
    stack: &Stack,
    name: &str,
    suites: &[Run],
) -> Vec<(Run, BTreeMap<String, Outcome>, String)> {
    let ws = workspace(venv, stack, name).await;
    let mut out = Vec::new();
    for &suite in suites {
        let conf = ws.work.join(format!("etc/tempest-{}.conf", suite.label));
        std::fs::write(&conf, tempest_conf(&ws.work, &stack.running, suite)).expect("tempest.conf");
        let (actual, failing) = run_suite(venv, &ws.work, &ws.home, &conf, suite).await;
        out.push((suite, actual, failing));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sahara_tests_api_and_cli_suites_v1_1_and_v2() {
    init_tracing();
    let began = Instant::now();
    let venv = tempest_venv();
    let expectations_dir = sahara_tests::repo_root().join("tests/tempest");
    let mut stack = Stack::start("tempest", |conf| conf).await;

    // The API suites one after the other, each CLI suite beside them.
    let (api, cli_v1_1, cli_v2) = tokio::join!(
        run_in_workspace(&venv, &stack, "api", &[API_V1_1, API_V2]),
        run_in_workspace(&venv, &stack, "cli-v1.1", &[CLI_V1_1]),
        run_in_workspace(&venv, &stack, "cli-v2", &[CLI_V2]),
    );

    let bless = std::env::var_os("SAHARA_TEMPEST_BLESS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    let mut failures = String::new();
    for (suite, actual, failing) in api.into_iter().chain(cli_v1_1).chain(cli_v2) {
        let version = suite.label;
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

    stack.stop_sahara();
    let log = stack.log_tail(20_000);
    drop(stack);
    eprintln!("whole run {:.1} s", began.elapsed().as_secs_f64());
    if !bless && !problems.is_empty() {
        if failures.len() > 60_000 {
            failures.truncate(60_000);
        }
        panic!(
            "the tempest suites differ from tests/tempest/expected-*.txt (SAHARA_TEMPEST_BLESS=1 rewrites them):\n\
             {}\n{failures}\n===== end of sahara-all's log =====\n{log}",
            problems.join("\n")
        );
    }
}
