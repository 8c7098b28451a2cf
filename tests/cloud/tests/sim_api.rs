//! The simulator's Nova, Neutron, Glance and Cinder APIs over HTTP, with real tokens from
//! the real Keystone (started by the test, on MariaDB) and real hosts from the Linux
//! fabric: a network, subnet, router, port and floating IP; a keypair and a server that
//! goes from BUILD to ACTIVE and answers SSH on its floating IP with the injected key; a
//! volume created, attached (seen inside the server), detached and deleted; images listed
//! and patched; 401 without a token; over-quota errors of each service; an injected ERROR
//! server; and projects that cannot see each other's resources.
//!
//! Each test has its own prefix, state directory, Keystone database and namespaces, and
//! removes all of them (fabric cleanup by prefix, services down) even when it fails.

use reqwest::{Method, StatusCode};
use sahara_testcloud::fabric::{Fabric, LinuxFabric};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::{self, Credentials, RunningServices, ServicesConfig};
use sahara_testcloud::sim::{ApiState, Cloud, CloudConfig, KeystoneValidator, ServiceAccount};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Removes what a test made (fabric objects by prefix, the services' processes, database
/// and files), also when the test fails half-way through its set-up.
struct Guard {
    config: ServicesConfig,
    fabric: Option<Arc<LinuxFabric>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
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

/// One test's cloud: services, fabric, simulator; everything removed when dropped.
struct Env {
    running: RunningServices,
    fabric: Arc<LinuxFabric>,
    cloud: Cloud,
    base: String,
    http: reqwest::Client,
    admin: String,
    demo: String,
    server: tokio::task::JoinHandle<()>,
    guard: Guard,
    dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_test_writer()
        .with_ansi(false)
        .try_init();
}

async fn token(http: &reqwest::Client, keystone: &str, c: &Credentials) -> String {
    let body = json!({"auth": {"identity": {"methods": ["password"], "password": {"user": {
        "name": c.username, "domain": {"name": c.user_domain_name}, "password": c.password}}},
        "scope": {"project": {"id": c.project_id}}}});
    let resp = http
        .post(format!("{keystone}/v3/auth/tokens"))
        .json(&body)
        .send()
        .await
        .expect("keystone");
    assert_eq!(resp.status(), StatusCode::CREATED, "token for {}", c.username);
    resp.headers()["x-subject-token"].to_str().unwrap().to_string()
}

impl Env {
    async fn start() -> Env {
        init_tracing();
        let began = Instant::now();
        let dir = tempfile::Builder::new().prefix("stc-sim-").tempdir().expect("temp dir");
        let prefix = Prefix::random();
        let config = ServicesConfig::from_env(dir.path(), prefix).expect("virtualenvs");
        let mut guard = Guard {
            config: config.clone(),
            fabric: None,
        };
        let running = services::start(&config).await.expect("services start");
        let fabric = Arc::new(LinuxFabric::new(prefix, dir.path().join("fabric")).expect("fabric"));
        guard.fabric = Some(fabric.clone());
        let mut cc = CloudConfig::new(dir.path().join("sim"), prefix, running.admin.project_id.clone());
        cc.compute_hosts = 2;
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
        let base = format!("http://127.0.0.1:{}", running.ports.simulator);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let http = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let admin = token(&http, &running.keystone_url, &running.admin).await;
        let demo = token(&http, &running.keystone_url, &running.demo).await;
        eprintln!("cloud {prefix} up in {:.1} s", began.elapsed().as_secs_f64());
        Env {
            running,
            fabric,
            cloud,
            base,
            http,
            admin,
            demo,
            server,
            guard,
            dir,
        }
    }

    /// A request with a token (or none); answers status and JSON body (Null when empty).
    async fn call(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ok(&self, token: &str, method: Method, path: &str, body: Option<Value>, want: StatusCode) -> Value {
        let (status, v) = self.call(Some(token), method.clone(), path, body).await;
        assert_eq!(status, want, "{method} {path}: {v}");
        v
    }

    /// Polls `path` until `pred` holds on its body (or panics after `secs`).
    async fn until(&self, token: &str, path: &str, secs: u64, pred: impl Fn(StatusCode, &Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let (status, v) = self.call(Some(token), Method::GET, path, None).await;
            if pred(status, &v) {
                return v;
            }
            assert!(Instant::now() < deadline, "{path} never got there; last: {status} {v}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A network with a /24 subnet for `token`'s project; returns (network, subnet).
    async fn network(&self, token: &str, name: &str, cidr: &str) -> (String, String) {
        let n = self
            .ok(
                token,
                Method::POST,
                "/network/v2.0/networks",
                Some(json!({"network": {"name": name}})),
                StatusCode::CREATED,
            )
            .await;
        let net = n["network"]["id"].as_str().unwrap().to_string();
        let s = self
            .ok(token, Method::POST, "/network/v2.0/subnets",
                Some(json!({"subnet": {"network_id": net, "cidr": cidr, "ip_version": 4, "name": format!("{name}-subnet")}})),
                StatusCode::CREATED)
            .await;
        (net, s["subnet"]["id"].as_str().unwrap().to_string())
    }

    async fn boot(&self, token: &str, name: &str, network: &str, key: Option<&str>) -> String {
        let image = self.image_id("sahara-fake-0.1").await;
        let mut server = json!({"name": name, "imageRef": image, "flavorRef": "42", "networks": [{"uuid": network}]});
        if let Some(k) = key {
            server["key_name"] = json!(k);
        }
        let v = self
            .ok(
                token,
                Method::POST,
                "/compute/v2.1/servers",
                Some(json!({"server": server})),
                StatusCode::ACCEPTED,
            )
            .await;
        v["server"]["id"].as_str().unwrap().to_string()
    }

    async fn image_id(&self, name: &str) -> String {
        let v = self
            .ok(
                &self.demo,
                Method::GET,
                &format!("/image/v2/images?name={name}"),
                None,
                StatusCode::OK,
            )
            .await;
        v["images"][0]["id"].as_str().expect("seeded image").to_string()
    }

    fn key_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }
}

fn ssh(key: &std::path::Path, user_host: &str, cmd: &str) -> std::process::Output {
    std::process::Command::new("ssh")
        .args(["-i"])
        .arg(key)
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
            user_host,
            cmd,
        ])
        .output()
        .expect("ssh")
}

/// Polls an SSH command until it succeeds (sshd may take a moment after ACTIVE).
async fn ssh_until(key: &std::path::Path, user_host: &str, cmd: &str, secs: u64) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let out = ssh(key, user_host, cmd);
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).into_owned();
        }
        assert!(
            Instant::now() < deadline,
            "ssh {user_host} {cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn neutron_nova_cinder_round_trip_with_real_tokens_and_hosts() {
    let env = Env::start().await;
    let demo = env.demo.clone();
    let admin = env.admin.clone();

    // keystonemiddleware's 401, without a token and with a bad one.
    let (status, body) = env.call(None, Method::GET, "/compute/v2.1/servers", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], 401);
    let (status, _) = env
        .call(Some("gAAAAAbogus"), Method::GET, "/network/v2.0/networks", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Version documents at each service root.
    let (s, v) = env.call(None, Method::GET, "/compute/", None).await;
    assert_eq!((s, v["versions"][1]["id"].as_str()), (StatusCode::OK, Some("v2.1")));
    let (s, v) = env.call(None, Method::GET, "/volume/", None).await;
    assert_eq!(
        (s, v["versions"][0]["id"].as_str()),
        (StatusCode::MULTIPLE_CHOICES, Some("v3.0"))
    );
    let (s, v) = env.call(None, Method::GET, "/network/", None).await;
    assert_eq!((s, v["versions"][0]["id"].as_str()), (StatusCode::OK, Some("v2.0")));
    let (s, _) = env.call(None, Method::GET, "/image/", None).await;
    assert_eq!(s, StatusCode::MULTIPLE_CHOICES);
    let (s, v) = env.call(None, Method::GET, "/share/", None).await;
    assert_eq!(s, StatusCode::MULTIPLE_CHOICES);
    let ids: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["v1.0", "v2.0"]);
    assert_eq!(v["versions"][0]["status"], "DEPRECATED");
    let (s, v) = env.call(None, Method::GET, "/share/v2/", None).await;
    assert_eq!(s, StatusCode::OK);
    let v2 = &v["versions"][0];
    assert_eq!(
        (v2["id"].as_str(), v2["min_version"].as_str()),
        (Some("v2.0"), Some("2.0"))
    );
    assert!(v2["version"].as_str().unwrap().starts_with("2."), "{v2}");
    assert!(v2["links"][1]["href"].as_str().unwrap().ends_with("/share/v2/"), "{v2}");
    let (s, v) = env.call(None, Method::GET, "/share/v1", None).await;
    assert_eq!((s, v["versions"][0]["id"].as_str()), (StatusCode::OK, Some("v1.0")));

    // Neutron: network, subnet, router with the external gateway, interface, port.
    let nets = env
        .ok(
            &demo,
            Method::GET,
            "/network/v2.0/networks?router:external=True",
            None,
            StatusCode::OK,
        )
        .await;
    let public = nets["networks"][0]["id"].as_str().expect("public network").to_string();
    let (net, subnet) = env.network(&demo, "private", "10.77.0.0/24").await;
    let sub = env
        .ok(
            &demo,
            Method::GET,
            &format!("/network/v2.0/subnets/{subnet}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(sub["subnet"]["gateway_ip"], "10.77.0.1");
    assert_eq!(
        sub["subnet"]["allocation_pools"][0],
        json!({"start": "10.77.0.2", "end": "10.77.0.254"})
    );
    let r = env
        .ok(
            &demo,
            Method::POST,
            "/network/v2.0/routers",
            Some(json!({"router": {"name": "r1", "external_gateway_info": {"network_id": public}}})),
            StatusCode::CREATED,
        )
        .await;
    let router = r["router"]["id"].as_str().unwrap().to_string();
    assert_eq!(r["router"]["external_gateway_info"]["network_id"], public.as_str());
    let iface = env
        .ok(
            &demo,
            Method::PUT,
            &format!("/network/v2.0/routers/{router}/add_router_interface"),
            Some(json!({"subnet_id": subnet})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(iface["subnet_id"], subnet.as_str());
    let qrouter = format!("qrouter-{router}");
    let netns = String::from_utf8_lossy(
        &std::process::Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(netns.contains(&qrouter), "the router is a {qrouter} namespace: {netns}");
    let port = env
        .ok(&demo, Method::POST, "/network/v2.0/ports",
            Some(json!({"port": {"network_id": net, "name": "spare", "fixed_ips": [{"subnet_id": subnet, "ip_address": "10.77.0.50"}]}})),
            StatusCode::CREATED)
        .await;
    assert_eq!(port["port"]["fixed_ips"][0]["ip_address"], "10.77.0.50");
    assert!(port["port"]["mac_address"].as_str().unwrap().starts_with("fa:16:3e:"));
    let (s, e) = env
        .call(
            Some(&demo),
            Method::POST,
            "/network/v2.0/ports",
            Some(json!({"port": {"network_id": net, "fixed_ips": [{"ip_address": "10.77.0.50"}]}})),
        )
        .await;
    assert_eq!(
        (s, e["NeutronError"]["type"].as_str()),
        (StatusCode::CONFLICT, Some("IpAddressAlreadyAllocated"))
    );

    // Nova: keypair (imported), server BUILD -> ACTIVE with its fixed address.
    std::fs::create_dir_all(env.key_dir()).unwrap();
    let key = env.key_dir().join("id");
    let keygen = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(keygen.success());
    let public_key = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let kp = env
        .ok(
            &demo,
            Method::POST,
            "/compute/v2.1/os-keypairs",
            Some(json!({"keypair": {"name": "k1", "public_key": public_key}})),
            StatusCode::OK,
        )
        .await;
    assert_eq!(kp["keypair"]["fingerprint"].as_str().unwrap().len(), 47);
    let server = env.boot(&demo, "vm1", &net, Some("k1")).await;
    let first = env
        .ok(
            &demo,
            Method::GET,
            &format!("/compute/v2.1/servers/{server}"),
            None,
            StatusCode::OK,
        )
        .await;
    let booted = Instant::now();
    assert!(
        matches!(first["server"]["status"].as_str(), Some("BUILD") | Some("ACTIVE")),
        "{first}"
    );
    let active = env
        .until(&demo, &format!("/compute/v2.1/servers/{server}"), 60, |_, v| {
            v["server"]["status"] == "ACTIVE"
        })
        .await;
    eprintln!(
        "server ACTIVE {:.2} s after its create answered",
        booted.elapsed().as_secs_f64()
    );
    let addr = &active["server"]["addresses"]["private"][0];
    assert_eq!(addr["OS-EXT-IPS:type"], "fixed");
    assert_eq!(addr["version"], 4);
    let fixed = addr["addr"].as_str().unwrap().to_string();
    assert!(fixed.starts_with("10.77.0."), "{fixed}");
    assert_eq!(active["server"]["key_name"], "k1");
    assert_eq!(active["server"]["OS-EXT-AZ:availability_zone"], "nova");
    assert!(
        active["server"].get("OS-EXT-SRV-ATTR:host").is_none(),
        "only admins see the host"
    );
    let as_admin = env
        .ok(
            &admin,
            Method::GET,
            &format!("/compute/v2.1/servers/{server}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert!(
        as_admin["server"]["OS-EXT-SRV-ATTR:host"]
            .as_str()
            .unwrap()
            .starts_with("compute")
    );

    // A floating IP on the server's port: Nova shows it, and SSH with the key answers there.
    let ports = env
        .ok(
            &demo,
            Method::GET,
            &format!("/network/v2.0/ports?device_id={server}"),
            None,
            StatusCode::OK,
        )
        .await;
    let server_port = ports["ports"][0]["id"].as_str().unwrap().to_string();
    let fip = env
        .ok(
            &demo,
            Method::POST,
            "/network/v2.0/floatingips",
            Some(json!({"floatingip": {"floating_network_id": public, "port_id": server_port}})),
            StatusCode::CREATED,
        )
        .await;
    let fip_id = fip["floatingip"]["id"].as_str().unwrap().to_string();
    let floating = fip["floatingip"]["floating_ip_address"].as_str().unwrap().to_string();
    assert_eq!(fip["floatingip"]["router_id"], router.as_str());
    assert_eq!(fip["floatingip"]["fixed_ip_address"], fixed.as_str());
    let shown = env
        .ok(
            &demo,
            Method::GET,
            &format!("/compute/v2.1/servers/{server}"),
            None,
            StatusCode::OK,
        )
        .await;
    let kinds: Vec<&str> = shown["server"]["addresses"]["private"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["OS-EXT-IPS:type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["fixed", "floating"]);
    let hostname = ssh_until(&key, &format!("ubuntu@{floating}"), "hostname", 30).await;
    assert_eq!(hostname.trim(), "vm1");

    let rss = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_string))
        .unwrap_or_default();
    eprintln!("simulator (and test client) process: {rss}");

    // Projects do not see each other's servers; admins see theirs.
    let (admin_net, _) = env.network(&admin, "admin-net", "10.78.0.0/24").await;
    let admin_server = env.boot(&admin, "adminvm", &admin_net, None).await;
    let (s, e) = env
        .call(
            Some(&demo),
            Method::GET,
            &format!("/compute/v2.1/servers/{admin_server}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(e["itemNotFound"]["code"], 404);
    let mine = env
        .ok(&demo, Method::GET, "/compute/v2.1/servers/detail", None, StatusCode::OK)
        .await;
    assert!(
        mine["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["id"] != admin_server.as_str())
    );
    let (s, _) = env
        .call(
            Some(&demo),
            Method::GET,
            &format!("/network/v2.0/networks/{admin_net}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Cinder: a volume made, attached through Nova (seen inside the server), detached, deleted.
    let demo_project = env.running.demo.project_id.clone();
    let vpath = format!("/volume/v3/{demo_project}/volumes");
    let vol = env
        .ok(
            &demo,
            Method::POST,
            &vpath,
            Some(json!({"volume": {"size": 1, "name": "data"}})),
            StatusCode::ACCEPTED,
        )
        .await;
    let vol_id = vol["volume"]["id"].as_str().unwrap().to_string();
    assert_eq!(vol["volume"]["status"], "creating");
    env.until(&demo, &format!("{vpath}/{vol_id}"), 60, |_, v| {
        v["volume"]["status"] == "available"
    })
    .await;
    let att = env
        .ok(
            &demo,
            Method::POST,
            &format!("/compute/v2.1/servers/{server}/os-volume_attachments"),
            Some(json!({"volumeAttachment": {"volumeId": vol_id}})),
            StatusCode::OK,
        )
        .await;
    let device = att["volumeAttachment"]["device"].as_str().unwrap().to_string();
    assert_eq!(device, "/dev/vdb");
    let in_use = env
        .until(&demo, &format!("{vpath}/{vol_id}"), 60, |_, v| {
            v["volume"]["status"] == "in-use"
        })
        .await;
    assert_eq!(in_use["volume"]["attachments"][0]["server_id"], server.as_str());
    let seen = ssh_until(&key, &format!("ubuntu@{floating}"), "test -b /dev/vdb && echo yes", 20).await;
    assert_eq!(seen.trim(), "yes");
    let (s, e) = env
        .call(Some(&demo), Method::DELETE, &format!("{vpath}/{vol_id}"), None)
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "an attached volume cannot be deleted: {e}");
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/compute/v2.1/servers/{server}/os-volume_attachments/{vol_id}"),
        None,
        StatusCode::ACCEPTED,
    )
    .await;
    env.until(&demo, &format!("{vpath}/{vol_id}"), 60, |_, v| {
        v["volume"]["status"] == "available"
    })
    .await;
    env.ok(
        &demo,
        Method::DELETE,
        &format!("{vpath}/{vol_id}"),
        None,
        StatusCode::ACCEPTED,
    )
    .await;
    env.until(&demo, &format!("{vpath}/{vol_id}"), 60, |s, _| {
        s == StatusCode::NOT_FOUND
    })
    .await;

    // Tear down through the API: floating IP, servers, interface, router, port, network.
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/network/v2.0/floatingips/{fip_id}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/compute/v2.1/servers/{server}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    env.ok(
        &admin,
        Method::DELETE,
        &format!("/compute/v2.1/servers/{admin_server}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    env.until(&demo, &format!("/compute/v2.1/servers/{server}"), 60, |s, _| {
        s == StatusCode::NOT_FOUND
    })
    .await;
    let (s, e) = env
        .call(
            Some(&demo),
            Method::DELETE,
            &format!("/network/v2.0/routers/{router}"),
            None,
        )
        .await;
    assert_eq!(
        (s, e["NeutronError"]["type"].as_str()),
        (StatusCode::CONFLICT, Some("RouterInUse"))
    );
    env.ok(
        &demo,
        Method::PUT,
        &format!("/network/v2.0/routers/{router}/remove_router_interface"),
        Some(json!({"subnet_id": subnet})),
        StatusCode::OK,
    )
    .await;
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/network/v2.0/routers/{router}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    let spare = port["port"]["id"].as_str().unwrap();
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/network/v2.0/ports/{spare}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    env.ok(
        &demo,
        Method::DELETE,
        &format!("/network/v2.0/networks/{net}"),
        None,
        StatusCode::NO_CONTENT,
    )
    .await;
    env.cloud.idle().await;
    let netns = String::from_utf8_lossy(
        &std::process::Command::new("ip")
            .args(["netns", "list"])
            .output()
            .unwrap()
            .stdout,
    )
    .into_owned();
    assert!(!netns.contains(&qrouter), "the router's namespace is gone");
    assert!(
        !netns.contains(&format!("inst-{server}")),
        "the server's namespace is gone: {netns}"
    );

    // The state file records the prefix for a crashed run's cleanup.
    assert_eq!(
        sahara_testcloud::sim::recorded_prefix(&env.dir.path().join("sim")),
        Some(env.guard.config.prefix)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn glance_quotas_and_injected_faults() {
    let env = Env::start().await;
    let demo = env.demo.clone();
    let admin = env.admin.clone();
    let demo_project = env.running.demo.project_id.clone();

    // Glance: the seeded images carry Sahara's properties as top-level keys.
    let list = env
        .ok(&demo, Method::GET, "/image/v2/images", None, StatusCode::OK)
        .await;
    let fake = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["name"] == "sahara-fake-0.1")
        .expect("fake image")
        .clone();
    assert_eq!(fake["_sahara_username"], "ubuntu");
    assert_eq!(fake["_sahara_tag_fake"], "True");
    assert_eq!(fake["_sahara_tag_0.1"], "True");
    let spark = list["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["_sahara_tag_spark"] == "True");
    assert!(spark.is_some(), "a Spark image is registered");
    let schema = env
        .ok(&demo, Method::GET, "/image/v2/schemas/image", None, StatusCode::OK)
        .await;
    assert_eq!(schema["additionalProperties"]["type"], "string");

    // JSON patch as Sahara's image registry sends it (admin owns the seeded images).
    let cirros = env.image_id("cirros-0.6").await;
    let patch = |token: &str, ops: Value| {
        env.http
            .patch(format!("{}/image/v2/images/{cirros}", env.base))
            .header("X-Auth-Token", token)
            .header("Content-Type", "application/openstack-images-v2.1-json-patch")
            .body(ops.to_string())
            .send()
    };
    let ops = json!([{"op": "add", "path": "/_sahara_username", "value": "cirros"},
        {"op": "add", "path": "/_sahara_tag_fake", "value": "True"}]);
    let resp = patch(&admin, ops.clone()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let img: Value = resp.json().await.unwrap();
    assert_eq!(
        (img["_sahara_username"].as_str(), img["_sahara_tag_fake"].as_str()),
        (Some("cirros"), Some("True"))
    );
    assert_eq!(
        patch(&demo, ops).await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "demo does not own it"
    );
    let resp = patch(
        &admin,
        json!([{"op": "remove", "path": "/_sahara_tag_fake"}, {"op": "replace", "path": "/nope", "value": "x"}]),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT, "all or nothing");
    let shown = env
        .ok(
            &demo,
            Method::GET,
            &format!("/image/v2/images/{cirros}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(shown["_sahara_tag_fake"], "True");
    let wrong = env
        .http
        .patch(format!("{}/image/v2/images/{cirros}", env.base))
        .header("X-Auth-Token", &admin)
        .header("Content-Type", "application/json")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Fault injection is admin-only; an injected build failure puts the server in ERROR.
    let rule = json!({"fault": {"type": "server_error", "name": "^doomed", "count": 1, "message": "disk on fire"}});
    let (s, _) = env
        .call(Some(&demo), Method::POST, "/testcloud/v1/faults", Some(rule.clone()))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = env
        .call(None, Method::POST, "/testcloud/v1/faults", Some(rule.clone()))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let made = env
        .ok(
            &admin,
            Method::POST,
            "/testcloud/v1/faults",
            Some(rule),
            StatusCode::CREATED,
        )
        .await;
    assert!(made["fault"]["id"].as_str().is_some());
    let (net, _) = env.network(&demo, "private", "10.79.0.0/24").await;
    let doomed = env.boot(&demo, "doomed-1", &net, None).await;
    let failed = env
        .until(&demo, &format!("/compute/v2.1/servers/{doomed}"), 30, |_, v| {
            v["server"]["status"] != "BUILD"
        })
        .await;
    assert_eq!(failed["server"]["status"], "ERROR");
    assert_eq!(failed["server"]["fault"]["message"], "disk on fire");
    assert_eq!(failed["server"]["fault"]["code"], 500);
    let rules = env
        .ok(&admin, Method::GET, "/testcloud/v1/faults", None, StatusCode::OK)
        .await;
    assert_eq!(rules["faults"], json!([]), "the counted rule is spent");

    // A slow boot that comes up unreachable: BUILD for the delay, then ACTIVE with its
    // address, but nothing of it on the host.
    let rule = json!({"fault": {"type": "boot_delay", "seconds": 1.0, "name": "^slow", "count": 1}});
    env.ok(
        &admin,
        Method::POST,
        "/testcloud/v1/faults",
        Some(rule),
        StatusCode::CREATED,
    )
    .await;
    let rule = json!({"fault": {"type": "unreachable", "name": "^slow", "count": 1}});
    env.ok(
        &admin,
        Method::POST,
        "/testcloud/v1/faults",
        Some(rule),
        StatusCode::CREATED,
    )
    .await;
    let slow = env.boot(&demo, "slow-1", &net, None).await;
    let asked = Instant::now();
    let v = env
        .ok(
            &demo,
            Method::GET,
            &format!("/compute/v2.1/servers/{slow}"),
            None,
            StatusCode::OK,
        )
        .await;
    assert_eq!(v["server"]["status"], "BUILD");
    let v = env
        .until(&demo, &format!("/compute/v2.1/servers/{slow}"), 30, |_, v| {
            v["server"]["status"] != "BUILD"
        })
        .await;
    assert!(asked.elapsed() >= Duration::from_millis(900), "the boot was delayed");
    assert_eq!(v["server"]["status"], "ACTIVE");
    assert!(v["server"]["addresses"]["private"][0]["addr"].as_str().is_some());
    assert!(
        env.fabric.server_status(&slow).is_err(),
        "an unreachable server has nothing on the host"
    );

    // Nova quota: with instances = 3 (the ERROR server counts), the next boot is refused.
    env.ok(
        &admin,
        Method::PUT,
        &format!("/compute/v2.1/os-quota-sets/{demo_project}"),
        Some(json!({"quota_set": {"instances": 3}})),
        StatusCode::OK,
    )
    .await;
    let ok_server = env.boot(&demo, "fine-1", &net, None).await;
    env.until(&demo, &format!("/compute/v2.1/servers/{ok_server}"), 60, |_, v| {
        v["server"]["status"] == "ACTIVE"
    })
    .await;
    let image = env.image_id("sahara-fake-0.1").await;
    let (s, e) = env
        .call(Some(&demo), Method::POST, "/compute/v2.1/servers",
            Some(json!({"server": {"name": "one-too-many", "imageRef": image, "flavorRef": "42", "networks": [{"uuid": net}]}})))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(
        e["forbidden"]["message"],
        "Quota exceeded for instances: Requested 1, but already used 3 of 3 instances"
    );
    let limits = env
        .ok(&demo, Method::GET, "/compute/v2.1/limits", None, StatusCode::OK)
        .await;
    assert_eq!(limits["limits"]["absolute"]["maxTotalInstances"], 3);
    assert_eq!(limits["limits"]["absolute"]["totalInstancesUsed"], 3);

    // Neutron and Cinder quotas.
    env.ok(
        &admin,
        Method::PUT,
        &format!("/network/v2.0/quotas/{demo_project}"),
        Some(json!({"quota": {"router": 0}})),
        StatusCode::OK,
    )
    .await;
    let (s, e) = env
        .call(
            Some(&demo),
            Method::POST,
            "/network/v2.0/routers",
            Some(json!({"router": {"name": "r"}})),
        )
        .await;
    assert_eq!(
        (s, e["NeutronError"]["type"].as_str()),
        (StatusCode::CONFLICT, Some("OverQuota"))
    );
    assert_eq!(
        e["NeutronError"]["message"],
        "Quota exceeded for resources: ['router']."
    );
    let vq = format!("/volume/v3/{demo_project}/os-quota-sets/{demo_project}");
    env.ok(
        &admin,
        Method::PUT,
        &format!(
            "/volume/v3/{}/os-quota-sets/{demo_project}",
            env.running.admin.project_id
        ),
        Some(json!({"quota_set": {"gigabytes": 2}})),
        StatusCode::OK,
    )
    .await;
    let shown = env
        .ok(&demo, Method::GET, &format!("{vq}?usage=true"), None, StatusCode::OK)
        .await;
    assert_eq!(shown["quota_set"]["gigabytes"]["limit"], 2);
    let (s, e) = env
        .call(
            Some(&demo),
            Method::POST,
            &format!("/volume/v3/{demo_project}/volumes"),
            Some(json!({"volume": {"size": 3}})),
        )
        .await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        e["overLimit"]["message"]
            .as_str()
            .unwrap()
            .starts_with("VolumeSizeExceedsAvailableQuota"),
        "{e}"
    );
    let (s, _) = env
        .call(
            Some(&demo),
            Method::GET,
            &format!("/volume/v3/{}/volumes", env.running.admin.project_id),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "a URL naming another project is refused");

    for id in [&doomed, &slow, &ok_server] {
        env.ok(
            &demo,
            Method::DELETE,
            &format!("/compute/v2.1/servers/{id}"),
            None,
            StatusCode::NO_CONTENT,
        )
        .await;
    }
    env.until(&demo, "/compute/v2.1/servers", 60, |_, v| {
        v["servers"].as_array().is_some_and(|a| a.is_empty())
    })
    .await;
    env.cloud.idle().await;
}
