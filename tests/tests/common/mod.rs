//! What the tests that run `sahara-all` on the local test cloud share: the cloud (Keystone, Swift, memcached and
//! the simulator), accounts in Keystone, `sahara-all` with Keystone authentication, and a drop guard removing all
//! of it (see [`Stack`]).

#![allow(dead_code)]

use reqwest::Method;
use sahara_testcloud::fabric::{Fabric, LinuxFabric};
use sahara_testcloud::lifecycle::files::sahara_conf;
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::identity::{Identity, Named, Token};
use sahara_testcloud::services::{self, RunningServices, ServicesConfig};
use sahara_testcloud::sim::{Cloud, CloudConfig};
use serde_json::{Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SAHARA_READY: Duration = Duration::from_secs(60);

/// Removes what the test made, also when it fails half-way: `sahara-all`, the fabric objects of the prefix
/// (the simulator's external network), the services' processes, Keystone database and files.
pub struct Guard {
    config: ServicesConfig,
    fabric: Option<Arc<LinuxFabric>>,
    sahara: Option<Child>,
    /// More service processes ([`Stack::spawn`]), by name.
    pub extra: Vec<(String, Child)>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(mut child) = self.sahara.take() {
            stop_child(&mut child);
        }
        for (_, mut child) in self.extra.drain(..) {
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

/// Starts one of our service binaries with `--config-file conf`, its output to `log` (created), without
/// `RUST_LOG` (the configuration decides), and killed should this test die before its guard runs.
pub fn service_process(binary: &Path, conf: &Path, log: &Path) -> Child {
    let file = std::fs::File::create(log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let mut command = std::process::Command::new(binary);
    command
        .args(["--config-file", conf.to_str().expect("a UTF-8 path")])
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(file.try_clone().expect("log"))
        .stderr(file);
    // SAFETY: between fork and exec only prctl(2), which is async-signal-safe.
    unsafe {
        use std::os::unix::process::CommandExt as _;
        command.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    command.spawn().unwrap_or_else(|e| panic!("{}: {e}", binary.display()))
}

/// SIGTERM, then SIGKILL after 10 s.
pub fn stop_child(child: &mut Child) {
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

pub fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

pub fn cache_dir() -> PathBuf {
    std::env::var_os("SAHARA_CACHE_DIR")
        .unwrap_or_else(|| "/var/cache/sahara-rs".into())
        .into()
}

/// `SAHARA_TEST_TEMPEST_VENV`, else the newest complete `venv-tempest-*` in the cache.
pub fn tempest_venv() -> PathBuf {
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
pub fn sahara_all_binary() -> PathBuf {
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
pub fn newest_source(dir: &Path) -> Option<(std::time::SystemTime, PathBuf)> {
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

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

/// Registers the data-processing endpoints as devstack registers Sahara's: `<url>/v1.1/%(project_id)s`.
pub async fn version_the_catalog(admin: &Identity, url: &str) {
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
pub struct Account {
    pub username: String,
    pub project: String,
    pub password: String,
    pub role: &'static str,
    pub user_id: String,
    pub project_id: String,
}

/// Tempest's pre-provisioned accounts: two members in projects of their own, one admin.
pub const TEMPEST_ACCOUNTS: &[(&str, &str)] = &[
    ("tempest1", "member"),
    ("tempest2", "member"),
    ("tempestadmin", "admin"),
];

/// Makes accounts in Keystone, each `(user, role)` of `which` a user `<user>-<tag>` with `role` in a project
/// of its own, `<user>-proj-<tag>`.
pub async fn make_accounts(admin: &Identity, tag: &str, which: &[(&str, &'static str)]) -> Vec<Account> {
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
    for &(user, role) in which {
        let mut account = Account {
            username: format!("{user}-{tag}"),
            project: format!("{user}-proj-{tag}"),
            password: sahara_tests::unique_id(),
            role,
            user_id: String::new(),
            project_id: String::new(),
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
        account.user_id = user;
        account.project_id = project;
        accounts.push(account);
    }
    accounts
}

pub fn accounts_yaml(accounts: &[Account]) -> String {
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

impl Account {
    /// The account as Keystone credentials (domain `Default`).
    pub fn credentials(&self) -> services::Credentials {
        services::Credentials {
            username: self.username.clone(),
            user_id: self.user_id.clone(),
            password: self.password.clone(),
            project_name: self.project.clone(),
            project_id: self.project_id.clone(),
            user_domain_name: "Default".to_string(),
            project_domain_name: "Default".to_string(),
        }
    }
}

/// The test cloud with `sahara-all` behind Keystone authentication. Dropping it stops `sahara-all` and the
/// simulator, brings the services down and removes the temporary directory.
pub struct Stack {
    /// Stops `sahara-all` and brings the services down; dropped before `dir`.
    pub guard: Guard,
    pub simulator: tokio::task::JoinHandle<()>,
    pub running: RunningServices,
    pub prefix: Prefix,
    /// Keystone, with the cloud admin's token.
    pub admin: Identity,
    /// The cloud admin's token.
    pub admin_token: String,
    /// Keystone, without a token.
    pub keystone: Identity,
    /// `sahara-all`'s log.
    pub log_path: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.simulator.abort();
    }
}

impl Stack {
    /// Starts the cloud (Keystone, Swift, memcached, the simulator in this process), registers the
    /// data-processing endpoints as devstack does and starts `sahara-all` with the cloud's `sahara.conf` as
    /// `edit_conf` changes it; answers once `sahara-all` answers version discovery.
    pub async fn start(name: &str, edit_conf: impl FnOnce(String) -> String) -> Stack {
        let began = Instant::now();
        let sahara_all = sahara_all_binary();
        let dir = tempfile::Builder::new()
            .prefix(&format!("stc-{name}-"))
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
            extra: Vec::new(),
        };

        // The cloud: Keystone, Swift, memcached; the simulator in this process.
        let running = services::start(&config).await.expect("services start");
        let fabric = Arc::new(LinuxFabric::new(prefix, dir.path().join("fabric")).expect("fabric"));
        guard.fabric = Some(fabric.clone());
        let mut cc = CloudConfig::new(dir.path().join("sim"), prefix, running.admin.project_id.clone());
        cc.compute_hosts = 1;
        let cloud = Cloud::start(cc, fabric.clone()).await.expect("simulator start");
        // Nova, Neutron, Glance, Cinder and Heat, on 127.0.0.1 and on the external network (wait conditions).
        let (app, listeners) = sahara_testcloud::lifecycle::simulator_app(&running, &cloud, prefix)
            .await
            .expect("simulator app");
        let [local, outside] = listeners;
        let simulator = tokio::spawn(async move {
            let _ = tokio::join!(axum::serve(local, app.clone()), axum::serve(outside, app));
        });

        // Keystone: the catalog as devstack registers Sahara.
        let keystone = Identity::new(&running.keystone_url).expect("identity client");
        let admin_token: Token = keystone.password_token(&running.admin).await.expect("admin token");
        let admin = keystone.with_token(&admin_token);
        version_the_catalog(&admin, &running.data_processing_url).await;
        eprintln!("cloud {prefix} up in {:.1} s", began.elapsed().as_secs_f64());

        // Our API.
        let sahara_dir = dir.path().join("sahara");
        std::fs::create_dir_all(&sahara_dir).expect("sahara dir");
        let conf_path = sahara_dir.join("sahara.conf");
        let database = sahara_dir.join("sahara.sqlite");
        std::fs::write(
            &conf_path,
            edit_conf(sahara_conf(&running, api_port, &database.display().to_string())),
        )
        .expect("sahara.conf");
        let log_path = sahara_dir.join("sahara-all.log");
        guard.sahara = Some(service_process(&sahara_all, &conf_path, &log_path));
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
        Stack {
            guard,
            simulator,
            running,
            prefix,
            admin,
            admin_token: admin_token.id.clone(),
            keystone,
            log_path,
            dir,
        }
    }

    /// The end of `sahara-all`'s log (at most `max` bytes).
    pub fn log_tail(&self, max: usize) -> String {
        let mut log = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        if log.len() > max {
            let mut cut = log.len() - max;
            while !log.is_char_boundary(cut) {
                cut += 1;
            }
            log = log.split_off(cut);
        }
        log
    }

    /// Starts another of our binaries (`sahara-engine`, built beside `sahara-all`) with `sahara-all`'s
    /// configuration, logging to `<name>.log` beside `sahara-all`'s; stopped when the stack is dropped.
    /// Answers the log's path.
    pub fn spawn(&mut self, binary: &str, name: &str) -> PathBuf {
        let bin = sahara_all_binary().with_file_name(binary);
        assert!(bin.exists(), "{} does not exist: build it first", bin.display());
        let dir = self.log_path.parent().expect("sahara dir");
        let log_path = dir.join(format!("{name}.log"));
        let child = service_process(&bin, &dir.join("sahara.conf"), &log_path);
        self.guard.extra.push((name.to_string(), child));
        log_path
    }

    /// The cloud's fabric: its servers' namespaces and sshd.
    pub fn fabric(&self) -> &LinuxFabric {
        self.guard.fabric.as_deref().expect("the stack's fabric")
    }

    /// Stops `sahara-all` (so that its log is complete).
    pub fn stop_sahara(&mut self) {
        if let Some(mut child) = self.guard.sahara.take() {
            stop_child(&mut child);
        }
    }
}
