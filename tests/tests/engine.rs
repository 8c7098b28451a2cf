//! The engine on the local test cloud (issue 7): a user creates node group and cluster templates and a
//! fake-plugin cluster through `sahara-all`'s API with a real Keystone token; the engine builds it through
//! Heat (servers are namespaces with sshd), reaches every instance over SSH on the configured access path,
//! and the cluster goes through Sahara's statuses to Active with its provision steps recorded. Then it is
//! scaled up and down and deleted, leaving nothing behind in the cloud (stack, servers, ports, floating IPs,
//! the cluster's trust). Failures, a failed scale, two engines, notifications and health checks too.
//!
//! `sahara-all` is the binary cargo built beside this test (`cargo build -p sahara-all` first), or
//! `SAHARA_TEST_SAHARA_ALL`. Everything is removed when a test ends, also when it fails.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long a build, scale or delete may take here (the fabric boots a server in well under a second;
/// Sahara's own polls are 1 s for Heat and addresses, 5 s for SSH).
const OPERATION_LIMIT: Duration = Duration::from_secs(90);

/// A user of the cloud and of the API.
struct User {
    token: String,
    project: String,
}

/// The API and the simulator, with one user's token.
struct Client {
    http: reqwest::Client,
    api: String,
    sim: String,
    user: User,
}

impl Client {
    async fn call(&self, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", &self.user.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn ok(&self, method: Method, url: &str, body: Option<Value>) -> Value {
        let (status, back) = self.call(method.clone(), url, body.clone()).await;
        assert!((200..300).contains(&status), "{method} {url} {body:?}: {status} {back}");
        back
    }

    fn v2(&self, path: &str) -> String {
        format!("{}/v2/{path}", self.api)
    }

    fn neutron(&self, path: &str) -> String {
        format!("{}/network/v2.0/{path}", self.sim)
    }
}

/// A private network with subnet `cidr`, routed to the external network; answers (network, router, pool).
async fn network(c: &Client, name: &str, cidr: &str) -> (String, String, String) {
    let pool = c
        .ok(Method::GET, &c.neutron("networks?router:external=True"), None)
        .await["networks"][0]["id"]
        .as_str()
        .expect("external network")
        .to_string();
    let net = c
        .ok(
            Method::POST,
            &c.neutron("networks"),
            Some(json!({"network": {"name": name}})),
        )
        .await["network"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let subnet = c
        .ok(
            Method::POST,
            &c.neutron("subnets"),
            Some(
                json!({"subnet": {"name": format!("{name}-subnet"), "network_id": net, "ip_version": 4,
                                    "cidr": cidr}}),
            ),
        )
        .await["subnet"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let router = c
        .ok(
            Method::POST,
            &c.neutron("routers"),
            Some(json!({"router": {"name": format!("{name}-router"),
                                    "external_gateway_info": {"network_id": pool}}})),
        )
        .await["router"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(
        Method::PUT,
        &c.neutron(&format!("routers/{router}/add_router_interface")),
        Some(json!({"subnet_id": subnet})),
    )
    .await;
    (net, router, pool)
}

/// Polls the cluster until `done` says so (or it is gone: `None`), printing each new status and each
/// provision step as it completes.
async fn follow(
    c: &Client,
    id: &str,
    seen_steps: &mut std::collections::BTreeSet<String>,
    done: impl Fn(&Value) -> bool,
) -> Option<Value> {
    let deadline = Instant::now() + OPERATION_LIMIT;
    let mut last_status = String::new();
    loop {
        let (status, body) = c
            .call(Method::GET, &c.v2(&format!("clusters/{id}?show_progress=true")), None)
            .await;
        // 404 from the route's existence check; 400 NOT_FOUND when the cluster went between that check and the
        // read (Sahara answers that race the same way).
        if status == 404 || (status == 400 && body["error_name"] == "NOT_FOUND") {
            eprintln!("  cluster {id} is gone");
            return None;
        }
        assert_eq!(status, 200, "{body}");
        let cluster = &body["cluster"];
        let s = cluster["status"].as_str().unwrap_or_default().to_string();
        if s != last_status {
            eprintln!("  status {s} {}", cluster["status_description"]);
            last_status = s;
        }
        for step in cluster["provision_progress"].as_array().into_iter().flatten() {
            let step_id = step["id"].as_str().unwrap_or_default().to_string();
            if step["successful"].is_boolean() && seen_steps.insert(step_id) {
                eprintln!(
                    "    step {} / {} ({} events): successful {}",
                    step["step_type"], step["step_name"], step["total"], step["successful"]
                );
            }
        }
        if done(cluster) {
            return Some(cluster.clone());
        }
        if Instant::now() >= deadline {
            eprintln!("cluster {id} stuck after {OPERATION_LIMIT:?}");
            return Some(cluster.clone());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn status_is(s: &'static str) -> impl Fn(&Value) -> bool {
    move |c| c["status"] == s || c["status"] == "Error"
}

fn instance_count(cluster: &Value) -> usize {
    cluster["node_groups"]
        .as_array()
        .map(|ngs| {
            ngs.iter()
                .map(|ng| ng["instances"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0)
}

/// A cloud with `sahara-all`, demo's client, demo's routed network and the fake plugin's image.
struct Scenario {
    stack: Stack,
    c: Client,
    net: String,
    router: String,
    pool: String,
    image: String,
    began: Instant,
}

/// `conf` with the `key = value` lines of `defaults` set in `[DEFAULT]`: replacing the line of the same key
/// there, else added at the top of the section.
fn set_defaults(conf: &str, defaults: &str) -> String {
    let mut lines: Vec<String> = conf.lines().map(str::to_string).collect();
    let start = lines.iter().position(|l| l.trim() == "[DEFAULT]").expect("[DEFAULT]") + 1;
    for line in defaults.lines().filter(|l| !l.trim().is_empty()) {
        let key = |l: &str| l.split('=').next().unwrap_or_default().trim().to_string();
        let end = lines[start..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |i| start + i);
        match lines[start..end].iter().position(|l| key(l) == key(line)) {
            Some(i) => lines[start + i] = line.to_string(),
            None => lines.insert(start, line.to_string()),
        }
    }
    lines.join("\n") + "\n"
}

/// How one node group template differs from the plain one.
fn ngt(name: &str, processes: Value, extra: &Value) -> Value {
    let mut t = json!({"name": name, "plugin_name": "fake", "plugin_version": "0.1", "flavor_id": "42",
                       "node_processes": processes, "auto_security_group": true});
    for (k, v) in extra.as_object().into_iter().flatten() {
        t[k] = v.clone();
    }
    t
}

impl Scenario {
    /// Starts the cloud and `sahara-all` (its `[DEFAULT]` extended with `defaults`), makes demo's network
    /// `cidr` routed to the external network.
    async fn start(name: &str, defaults: &str, cidr: &str) -> Scenario {
        Scenario::start_with(name, defaults, "", cidr).await
    }

    /// [`Scenario::start`] with more sections (`[timeouts]`, ...) at the end of the configuration.
    async fn start_with(name: &str, defaults: &str, sections: &str, cidr: &str) -> Scenario {
        init_tracing();
        let began = Instant::now();
        let stack = Stack::start(name, |conf| {
            set_defaults(&conf, &format!("debug = true\n{defaults}")) + sections
        })
        .await;
        let demo = stack
            .keystone
            .password_token(&stack.running.demo)
            .await
            .expect("demo token");
        let c = Client {
            http: http(),
            api: stack.running.data_processing_url.clone(),
            sim: stack.running.simulator_url.clone(),
            user: User {
                token: demo.id.clone(),
                project: stack.running.demo.project_id.clone(),
            },
        };
        let (net, router, pool) = network(&c, &format!("{name}-net"), cidr).await;
        let images = c.ok(Method::GET, &c.v2("images"), None).await;
        let image = images["images"]
            .as_array()
            .and_then(|l| l.iter().find(|i| i["name"] == "sahara-fake-0.1"))
            .and_then(|i| i["id"].as_str())
            .unwrap_or_else(|| panic!("no sahara-fake-0.1 image: {images}"))
            .to_string();
        Scenario {
            stack,
            c,
            net,
            router,
            pool,
            image,
            began,
        }
    }

    /// Kills server `server_id`'s sshd (pid 1 of its pid namespace, so every process of the server goes with
    /// it): its address stays, but nothing answers there any more. Answers once the fabric sees it stopped.
    pub async fn kill_sshd(&self, server_id: &str) {
        use sahara_testcloud::fabric::Fabric;
        let fabric = self.stack.fabric();
        let pid = fabric.server_pid(server_id).expect("the server's sshd");
        let pid = rustix::process::Pid::from_raw(i32::try_from(pid).expect("a pid")).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::KILL).expect("kill -9 sshd");
        let deadline = Instant::now() + Duration::from_secs(20);
        while fabric.server_status(server_id).expect("the server").running {
            assert!(Instant::now() < deadline, "sshd of {server_id} still running");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The login user of the fake plugin's image (its `_sahara_username`).
    async fn image_username(&self) -> String {
        let image = self
            .c
            .ok(Method::GET, &self.c.v2(&format!("images/{}", self.image)), None)
            .await;
        image["image"]["username"]
            .as_str()
            .unwrap_or_else(|| panic!("no username: {image}"))
            .to_string()
    }

    /// Templates master (1) and worker (`workers`), each changed by its `extra`, and a cluster of them;
    /// answers the cluster's id.
    async fn cluster(&self, master_extra: Value, worker_extra: Value, workers: u32) -> String {
        self.cluster_with(master_extra, worker_extra, workers, json!({})).await
    }

    /// [`Scenario::cluster`] with more fields of the cluster itself (`cluster_configs`, ...).
    async fn cluster_with(&self, master_extra: Value, worker_extra: Value, workers: u32, extra: Value) -> String {
        self.build_cluster("demo", "", master_extra, worker_extra, workers, extra)
            .await
    }

    /// Node group templates `<prefix>master` and `<prefix>worker` (each changed by its `extra`), a cluster
    /// template of one master and `workers` workers, and a cluster `name` of it (with `extra` fields); answers
    /// the cluster's id.
    async fn build_cluster(
        &self,
        name: &str,
        prefix: &str,
        master_extra: Value,
        worker_extra: Value,
        workers: u32,
        extra: Value,
    ) -> String {
        let c = &self.c;
        let mut ids = Vec::new();
        for (ng, processes, ng_extra) in [
            ("master", json!(["namenode", "jobtracker"]), &master_extra),
            ("worker", json!(["datanode", "tasktracker"]), &worker_extra),
        ] {
            let t = ngt(&format!("{prefix}{ng}"), processes, ng_extra);
            let t = c.ok(Method::POST, &c.v2("node-group-templates"), Some(t)).await;
            ids.push(t["node_group_template"]["id"].as_str().unwrap().to_string());
        }
        let ct = c
            .ok(
                Method::POST,
                &c.v2("cluster-templates"),
                Some(
                    json!({"name": format!("{prefix}fake-ct"), "plugin_name": "fake", "plugin_version": "0.1",
                        "node_groups": [{"name": "master", "node_group_template_id": ids[0], "count": 1},
                                        {"name": "worker", "node_group_template_id": ids[1], "count": workers}]}),
                ),
            )
            .await["cluster_template"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let mut body = json!({"name": name, "plugin_name": "fake", "plugin_version": "0.1",
                        "cluster_template_id": ct, "default_image_id": self.image,
                        "neutron_management_network": self.net});
        for (k, v) in extra.as_object().into_iter().flatten() {
            body[k] = v.clone();
        }
        let cluster = c.ok(Method::POST, &c.v2("clusters"), Some(body)).await;
        cluster["cluster"]["id"].as_str().unwrap().to_string()
    }

    /// Follows the cluster to Active and checks its provision steps; answers it.
    async fn active(&self, id: &str, seen: &mut std::collections::BTreeSet<String>) -> Value {
        eprintln!("building cluster {id}");
        let built = follow(&self.c, id, seen, status_is("Active")).await.expect("cluster");
        assert_eq!(built["status"], "Active", "{}\n{}", built, self.stack.log_tail(400_000));
        let steps: Vec<&str> = built["provision_progress"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["step_name"].as_str())
            .collect();
        for expected in [
            "Create Heat stack",
            "Assign IPs",
            "Wait for instance accessibility",
            "Configure instances",
        ] {
            assert!(steps.contains(&expected), "step {expected} missing: {steps:?}");
        }
        assert!(
            built["provision_progress"]
                .as_array()
                .unwrap()
                .iter()
                .all(|s| s["successful"] == true),
            "{}",
            built["provision_progress"]
        );
        eprintln!("Active after {:.1} s", self.began.elapsed().as_secs_f64());
        built
    }

    /// Deletes the cluster and checks that nothing of it is left in the cloud.
    async fn delete(&self, id: &str, seen: &mut std::collections::BTreeSet<String>) {
        self.delete_with(id, seen, None).await
    }

    /// Deletes the cluster with `force` (one Heat delete, not waited for) and checks that nothing of it is left
    /// in the cloud once Heat is done.
    async fn force_delete(&self, id: &str, seen: &mut std::collections::BTreeSet<String>) {
        self.delete_with(id, seen, Some(json!({"force": true}))).await
    }

    async fn delete_with(&self, id: &str, seen: &mut std::collections::BTreeSet<String>, body: Option<Value>) {
        let c = &self.c;
        let forced = body.is_some();
        c.ok(Method::DELETE, &c.v2(&format!("clusters/{id}")), body).await;
        assert!(follow(c, id, seen, |_| false).await.is_none());
        // A normal delete waits for Heat before the cluster goes; a forced one does not.
        let deadline = Instant::now()
            + if forced {
                Duration::from_secs(30)
            } else {
                Duration::ZERO
            };
        while let Some(left) = self.left_in_cloud().await {
            assert!(Instant::now() < deadline, "left in the cloud: {left}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }

    /// What of demo's is still in the cloud (servers, floating IPs, volumes, ports on the network, stacks,
    /// trusts), if anything.
    async fn left_in_cloud(&self) -> Option<String> {
        let c = &self.c;
        let project = &c.user.project;
        for (url, key) in [
            (format!("{}/compute/v2.1/servers", c.sim), "servers"),
            (c.neutron("floatingips"), "floatingips"),
            (format!("{}/volume/v3/{project}/volumes", c.sim), "volumes"),
            (
                c.neutron(&format!("ports?device_owner=compute:nova&network_id={}", self.net)),
                "ports",
            ),
            (format!("{}/heat-api/v1/{project}/stacks", c.sim), "stacks"),
        ] {
            let listed = c.ok(Method::GET, &url, None).await;
            if listed[key].as_array().map(Vec::len) != Some(0) {
                return Some(listed.to_string());
            }
        }
        let trusts = self
            .stack
            .admin
            .request(Method::GET, "OS-TRUST/trusts", None)
            .await
            .expect("trusts");
        (trusts["trusts"].as_array().map(Vec::len) != Some(0)).then(|| trusts.to_string())
    }
}

fn instances(cluster: &Value) -> Vec<&Value> {
    cluster["node_groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|ng| ng["instances"].as_array().into_iter().flatten())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_cluster_over_floating_ips_is_built_scaled_and_deleted() {
    let s = Scenario::start("engine-fip", "use_floating_ips = true\n", "10.77.1.0/24").await;
    let pool = json!({"floating_ip_pool": s.pool});
    let keys = tempfile::tempdir().expect("tempdir");
    let first = ssh_keygen(keys.path(), "first");
    s.c.ok(
        Method::POST,
        &format!("{}/compute/v2.1/os-keypairs", s.c.sim),
        Some(json!({"keypair": {"name": "demo-key", "public_key": first.1}})),
    )
    .await;
    let id = s
        .build_cluster(
            "demo",
            "",
            pool.clone(),
            pool,
            2,
            json!({"user_keypair_id": "demo-key"}),
        )
        .await;
    let mut seen = std::collections::BTreeSet::new();
    let built = s.active(&id, &mut seen).await;
    let (c, stack, began) = (&s.c, &s.stack, s.began);
    assert_eq!(instance_count(&built), 3);

    // The user's keypair: its key logs in; after the keypair is replaced in Nova, `update_keypair` adds the new
    // public key on every instance.
    let login = s.image_username().await;
    let master_ip = instances(&built)[0]["management_ip"].as_str().unwrap().to_string();
    assert!(ssh_works(&first.0, &login, &master_ip), "the keypair's key logs in");
    let second = ssh_keygen(keys.path(), "second");
    assert!(!ssh_works(&second.0, &login, &master_ip), "a key nobody added does not");
    c.ok(
        Method::DELETE,
        &format!("{}/compute/v2.1/os-keypairs/demo-key", c.sim),
        None,
    )
    .await;
    c.ok(
        Method::POST,
        &format!("{}/compute/v2.1/os-keypairs", c.sim),
        Some(json!({"keypair": {"name": "demo-key", "public_key": second.1}})),
    )
    .await;
    c.ok(
        Method::PATCH,
        &c.v2(&format!("clusters/{id}")),
        Some(json!({"update_keypair": true})),
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    for inst in instances(&built) {
        let ip = inst["management_ip"].as_str().unwrap();
        while !ssh_works(&second.0, &login, ip) {
            assert!(
                Instant::now() < deadline,
                "the new key never reached {ip}\n{}",
                stack.log_tail(100_000)
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    for inst in instances(&built) {
        assert_ne!(
            inst["management_ip"], inst["internal_ip"],
            "floating IPs are used: {inst}"
        );
    }

    // Scale up: one more worker.
    let worker_ng = built["node_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ng| ng["name"] == "worker")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    c.ok(
        Method::PUT,
        &c.v2(&format!("clusters/{id}")),
        Some(json!({"resize_node_groups": [{"name": "worker", "count": 3}]})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let scaled = follow(c, &id, &mut seen, |c| c["status"] == "Active" && instance_count(c) == 4)
        .await
        .unwrap();
    assert_eq!(scaled["status_description"], "", "{scaled}");
    // Scale down: back to one worker, the highest-numbered go.
    c.ok(
        Method::PUT,
        &c.v2(&format!("clusters/{id}")),
        Some(json!({"resize_node_groups": [{"name": "worker", "count": 1}]})),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let smaller = follow(c, &id, &mut seen, |c| c["status"] == "Active" && instance_count(c) == 2)
        .await
        .unwrap();
    let names: Vec<&str> = smaller["node_groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|ng| ng["instances"].as_array().unwrap())
        .filter_map(|i| i["instance_name"].as_str())
        .collect();
    assert!(names.contains(&"demo-worker-0"), "{names:?}");
    let _ = worker_ng;

    // Delete: the cluster, its stack, servers, floating IPs and trust go.
    assert!(
        smaller.get("trust_id").is_none(),
        "the trust id is not shown: {smaller}"
    );
    let trusts = stack
        .admin
        .request(Method::GET, "OS-TRUST/trusts", None)
        .await
        .expect("trusts");
    assert_eq!(
        trusts["trusts"].as_array().map(Vec::len),
        Some(1),
        "the cluster's trust: {trusts}"
    );
    assert_eq!(
        trusts["trusts"][0]["trustor_user_id"],
        stack.running.demo.user_id.as_str()
    );
    s.delete(&id, &mut seen).await;
    eprintln!(
        "cluster built, scaled and deleted in {:.1} s",
        began.elapsed().as_secs_f64()
    );
}

/// A new ed25519 key in `dir`: (private key file, public key line).
fn ssh_keygen(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, String) {
    let path = dir.join(name);
    let out = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen");
    assert!(
        out.status.success(),
        "ssh-keygen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).expect("public key");
    (path, public.trim().to_string())
}

/// Whether `ssh` logs in as `user` at `ip` with the private key `key` alone.
fn ssh_works(key: &std::path::Path, user: &str, ip: &str) -> bool {
    std::process::Command::new("ssh")
        .args([
            "-F",
            "/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "ConnectTimeout=5",
            "-o",
            "LogLevel=ERROR",
            "-i",
        ])
        .arg(key)
        .arg(format!("{user}@{ip}"))
        .arg("true")
        .stdin(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The host's route to a private network through its router's external leg (a controller on the management
/// network); removed when dropped.
struct HostRoute(String);

impl HostRoute {
    fn add(cidr: &str, via: &str) -> HostRoute {
        let routed = std::process::Command::new("ip")
            .args(["-o", "route", "show", cidr])
            .output()
            .expect("ip route");
        assert!(
            routed.stdout.is_empty(),
            "{cidr} is routed already: {}",
            String::from_utf8_lossy(&routed.stdout)
        );
        let ok = std::process::Command::new("ip")
            .args(["route", "add", cidr, "via", via])
            .status()
            .expect("ip route add");
        assert!(ok.success(), "ip route add {cidr} via {via}");
        HostRoute(cidr.to_string())
    }
}

impl Drop for HostRoute {
    fn drop(&mut self) {
        let _ = std::process::Command::new("ip")
            .args(["route", "del", &self.0])
            .status();
    }
}

/// Builds and deletes a two-node cluster whose instances have no floating IP; answers the built cluster.
async fn build_and_delete(s: &Scenario, master_extra: Value, worker_extra: Value) -> Value {
    let id = s.cluster(master_extra, worker_extra, 1).await;
    let mut seen = std::collections::BTreeSet::new();
    let built = s.active(&id, &mut seen).await;
    s.delete(&id, &mut seen).await;
    eprintln!("built and deleted in {:.1} s", s.began.elapsed().as_secs_f64());
    built
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_cluster_over_fixed_ips_from_the_management_network() {
    let cidr = "10.77.2.0/24";
    let s = Scenario::start("engine-fixed", "use_floating_ips = false\n", cidr).await;
    let router =
        s.c.ok(Method::GET, &s.c.neutron(&format!("routers/{}", s.router)), None)
            .await;
    let gateway = router["router"]["external_gateway_info"]["external_fixed_ips"][0]["ip_address"]
        .as_str()
        .expect("router gateway")
        .to_string();
    let _route = HostRoute::add(cidr, &gateway);
    // The worker gets two Cinder volumes, which the engine formats and mounts (`/volumes/disk1`, `2`).
    // XFS off: its check would `apt-get install xfsprogs` as root, and the test cloud's servers share the
    // host's filesystem.
    let volumes = json!({"volumes_per_node": 2, "volumes_size": 1});
    let no_xfs = json!({"cluster_configs": {"general": {"Enable XFS": false}}});
    let id = s.cluster_with(json!({}), volumes, 1, no_xfs).await;
    let mut seen = std::collections::BTreeSet::new();
    let built = s.active(&id, &mut seen).await;
    s.delete(&id, &mut seen).await;
    for ng in built["node_groups"].as_array().unwrap() {
        for inst in ng["instances"].as_array().unwrap() {
            assert_eq!(inst["management_ip"], inst["internal_ip"], "{inst}");
            assert!(inst["internal_ip"].as_str().unwrap().starts_with("10.77.2."), "{inst}");
            let disks = if ng["name"] == "worker" { 2 } else { 0 };
            assert_eq!(inst["storage_devices_number"], disks, "{inst}");
        }
    }
    let steps: Vec<&str> = built["provision_progress"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["step_name"].as_str())
        .collect();
    assert!(steps.contains(&"Mount volumes to demo-worker-0 instance"), "{steps:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_cluster_through_the_router_namespace() {
    // Fixed IPs are not routed from the host: only `ip netns exec qrouter-<router> nc` reaches them.
    let s = Scenario::start(
        "engine-netns",
        "use_floating_ips = false\nuse_namespaces = true\n",
        "10.77.3.0/24",
    )
    .await;
    // Deleted with `force`: one Heat delete, the rest as a normal delete.
    let id = s.cluster(json!({}), json!({}), 1).await;
    let mut seen = std::collections::BTreeSet::new();
    let built = s.active(&id, &mut seen).await;
    s.force_delete(&id, &mut seen).await;
    for inst in instances(&built) {
        assert_eq!(inst["management_ip"], inst["internal_ip"], "{inst}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_cluster_through_a_proxy_command_on_internal_ips() {
    // Floating IPs exist, but the proxy command is told to use internal IPs; it logs every target.
    let log = tempfile::NamedTempFile::new().expect("proxy log");
    let log_path = log.path().display().to_string();
    let defaults = format!(
        "use_floating_ips = true\nproxy_command_use_internal_ip = true\n\
         proxy_command = sh -c 'echo {{tenant_id}} {{network_id}} {{host}} {{port}} >> {log_path}; \
         exec ip netns exec qrouter-{{router_id}} nc {{host}} {{port}}'\n"
    );
    let s = Scenario::start("engine-proxy", &defaults, "10.77.4.0/24").await;
    let pool = json!({"floating_ip_pool": s.pool});
    let built = build_and_delete(&s, pool.clone(), pool).await;
    let lines = std::fs::read_to_string(log.path()).expect("proxy log");
    for inst in instances(&built) {
        assert_ne!(inst["management_ip"], inst["internal_ip"], "floating IPs exist: {inst}");
        let expected = format!(
            "{} {} {} 22",
            s.c.user.project,
            s.net,
            inst["internal_ip"].as_str().unwrap()
        );
        assert!(
            lines.lines().any(|l| l == expected),
            "no `{expected}` in the proxy log:\n{lines}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_transient_cluster_is_terminated_through_its_trust() {
    // The periodic task runs 90 s after the engine starts (Sahara's spacing; no start delay here) and
    // terminates an Active transient cluster without running jobs, through the cluster's trust (the task's
    // admin context has no token of its own): stack, servers and trust go.
    let s = Scenario::start(
        "engine-transient",
        "use_floating_ips = false\nuse_namespaces = true\nmin_transient_cluster_active_time = 0\n\
         periodic_fuzzy_delay = 0\n",
        "10.77.12.0/24",
    )
    .await;
    let id = s
        .build_cluster("tr", "tr-", json!({}), json!({}), 1, json!({"is_transient": true}))
        .await;
    let mut seen = std::collections::BTreeSet::new();
    s.active(&id, &mut seen).await;
    // Up to two of `follow`'s periods: the task's first run comes about 90 s after the start.
    let mut gone = follow(&s.c, &id, &mut seen, |_| false).await;
    if gone.is_some() {
        gone = follow(&s.c, &id, &mut seen, |_| false).await;
    }
    assert!(gone.is_none(), "still there: {gone:?}\n{}", s.stack.log_tail(100_000));
    assert_eq!(s.left_in_cloud().await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_cluster_through_a_proxy_gateway() {
    // Only the gateway (master) has a floating IP; the worker is reached through it (`nc` on the gateway).
    let s = Scenario::start("engine-gw", "use_floating_ips = true\n", "10.77.5.0/24").await;
    let gateway = json!({"floating_ip_pool": s.pool, "is_proxy_gateway": true});
    let built = build_and_delete(&s, gateway, json!({})).await;
    for ng in built["node_groups"].as_array().unwrap() {
        for inst in ng["instances"].as_array().unwrap() {
            if ng["name"] == "master" {
                assert_ne!(inst["management_ip"], inst["internal_ip"], "{inst}");
            } else {
                assert_eq!(inst["management_ip"], inst["internal_ip"], "{inst}");
            }
        }
    }
}

impl Scenario {
    /// Injects a fault in the cloud (`POST /testcloud/v1/faults`, admin).
    async fn fault(&self, fault: Value) {
        let resp = self
            .c
            .http
            .post(format!("{}/testcloud/v1/faults", self.c.sim))
            .header("X-Auth-Token", &self.stack.admin_token)
            .json(&json!({ "fault": fault }))
            .send()
            .await
            .expect("fault");
        assert_eq!(resp.status().as_u16(), 201, "{}", resp.text().await.unwrap_or_default());
    }

    /// A cluster named `name` of one master and `workers` workers (no floating IPs; the host reaches them
    /// through the router's namespace).
    async fn named_cluster(&self, name: &str, workers: u32) -> String {
        let prefix = format!("{name}-");
        self.build_cluster(name, &prefix, json!({}), json!({}), workers, json!({}))
            .await
    }

    /// Nothing of the cluster called `name` is left in Nova or Heat.
    async fn nothing_left_of(&self, name: &str) {
        let c = &self.c;
        let servers = c
            .ok(Method::GET, &format!("{}/compute/v2.1/servers", c.sim), None)
            .await;
        let left: Vec<&Value> = servers["servers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["name"].as_str().is_some_and(|n| n.starts_with(&format!("{name}-"))))
            .collect();
        assert!(left.is_empty(), "servers of {name} left: {left:?}");
        let stacks = c
            .ok(
                Method::GET,
                &format!("{}/heat-api/v1/{}/stacks", c.sim, c.user.project),
                None,
            )
            .await;
        assert!(
            !stacks["stacks"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["stack_name"].as_str().is_some_and(|n| n.starts_with(name))),
            "stack of {name} left: {stacks}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_end_as_sahara_ends_them() {
    let s = Scenario::start_with(
        "engine-fail",
        // Without wait conditions, an unreachable instance does not hold the stack up: the engine's own
        // wait for SSH is what times out.
        "use_floating_ips = false\nuse_namespaces = true\nheat_enable_wait_condition = false\n",
        "\n[timeouts]\nwait_until_accessible = 8\n",
        "10.77.6.0/24",
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    let failed = |c: &Value| c["status"] == "Error" || c["status"] == "Active";

    // An instance that goes to ERROR fails the stack: the cluster ends in Error, its stack deleted.
    s.fault(json!({"type": "server_error", "name": "^erra-worker", "count": 1}))
        .await;
    let id = s.named_cluster("erra", 1).await;
    let c = follow(&s.c, &id, &mut seen, failed).await.unwrap();
    assert_eq!(c["status"], "Error", "{c}");
    let desc = c["status_description"].as_str().unwrap();
    assert!(
        desc.starts_with("Creating cluster failed for the following reason(s): Heat stack failed with status "),
        "{desc}"
    );
    s.nothing_left_of("erra").await;

    // A stack that times out in Heat: the same, with Heat's reason.
    s.fault(json!({"type": "stack_timeout", "name": "^errb", "count": 1}))
        .await;
    let id = s.named_cluster("errb", 1).await;
    let c = follow(&s.c, &id, &mut seen, failed).await.unwrap();
    assert_eq!(c["status"], "Error", "{c}");
    let desc = c["status_description"].as_str().unwrap();
    assert!(
        desc.contains("Heat stack failed with status ") && desc.contains("timed out"),
        "{desc}"
    );
    s.nothing_left_of("errb").await;

    // An instance nobody answers on: waiting for it times out (`[timeouts] wait_until_accessible`).
    s.fault(json!({"type": "unreachable", "name": "^errc-worker", "count": 1}))
        .await;
    let id = s.named_cluster("errc", 1).await;
    let c = follow(&s.c, &id, &mut seen, failed).await.unwrap();
    assert_eq!(c["status"], "Error", "{c}");
    assert_eq!(
        c["status_description"],
        "Creating cluster failed for the following reason(s): 'Wait for instance accessibility' timed out after 8 second(s)",
        "{c}"
    );
    let wait_step = c["provision_progress"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["step_name"] == "Wait for instance accessibility")
        .expect("the wait step");
    assert_eq!(wait_step["successful"], false, "{wait_step}");
    s.nothing_left_of("errc").await;
}

/// The names of a cluster's instances, sorted.
fn instance_names(cluster: &Value) -> Vec<String> {
    let mut names: Vec<String> = instances(cluster)
        .iter()
        .filter_map(|i| i["instance_name"].as_str().map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The names of the servers Nova has whose name starts with `prefix`, sorted.
async fn server_names(c: &Client, prefix: &str) -> Vec<String> {
    let servers = c
        .ok(Method::GET, &format!("{}/compute/v2.1/servers", c.sim), None)
        .await;
    let mut names: Vec<String> = servers["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_scale_removes_only_the_new_nodes_and_returns_to_active() {
    let s = Scenario::start_with(
        "engine-scalefail",
        "use_floating_ips = false\nuse_namespaces = true\nheat_enable_wait_condition = false\n",
        "\n[timeouts]\nwait_until_accessible = 8\n",
        "10.77.11.0/24",
    )
    .await;
    let mut seen = std::collections::BTreeSet::new();
    let id = s.named_cluster("sfa", 1).await;
    let built = s.active(&id, &mut seen).await;
    let before = instance_names(&built);
    assert_eq!(before, ["sfa-master-0", "sfa-worker-0"], "{built}");
    let resize = |count: u32| json!({"resize_node_groups": [{"name": "worker", "count": count}]});
    let settled = |c: &Value| c["status"] == "Active" || c["status"] == "Error";

    // A new server that goes to ERROR: Heat rolls the stack update back (Sahara scales with rollback
    // enabled), Sahara's wait takes ROLLBACK_COMPLETE as done, and no new instance is added.
    s.fault(json!({"type": "server_error", "name": "^sfa-worker-1", "count": 1}))
        .await;
    s.c.ok(Method::PUT, &s.c.v2(&format!("clusters/{id}")), Some(resize(2)))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = follow(&s.c, &id, &mut seen, settled).await.unwrap();
    assert_eq!(after["status"], "Active", "{after}\n{}", s.stack.log_tail(200_000));
    assert_eq!(instance_names(&after), before, "{after}");
    assert_eq!(server_names(&s.c, "sfa-").await, before);
    let worker = |c: &Value| {
        c["node_groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|ng| ng["name"] == "worker")
            .cloned()
    };
    assert_eq!(worker(&after).unwrap()["count"], 1, "{after}");

    // A new server nobody can reach: waiting for it times out in the engine, which sets Active with the
    // reason as Sahara does, having removed the new node first (the stack back to the old counts; Sahara
    // would keep it).
    s.fault(json!({"type": "unreachable", "name": "^sfa-worker-1", "count": 1}))
        .await;
    s.c.ok(Method::PUT, &s.c.v2(&format!("clusters/{id}")), Some(resize(2)))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = follow(&s.c, &id, &mut seen, settled).await.unwrap();
    assert_eq!(after["status"], "Active", "{after}\n{}", s.stack.log_tail(200_000));
    assert_eq!(
        after["status_description"], "'Wait for instance accessibility' timed out after 8 second(s)",
        "{after}"
    );
    assert_eq!(instance_names(&after), before, "{after}");
    assert_eq!(server_names(&s.c, "sfa-").await, before);
    assert_eq!(worker(&after).unwrap()["count"], 1, "{after}");

    // The cluster still scales afterwards, and is deleted with nothing left behind.
    s.c.ok(Method::PUT, &s.c.v2(&format!("clusters/{id}")), Some(resize(2)))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let grown = follow(&s.c, &id, &mut seen, |c| {
        c["status"] == "Error" || c["status"] == "Active" && instance_count(c) == 3
    })
    .await
    .unwrap();
    assert_eq!(grown["status"], "Active", "{grown}");
    assert_eq!(grown["status_description"], "", "{grown}");
    s.c.ok(Method::DELETE, &s.c.v2(&format!("clusters/{id}")), None).await;
    assert!(follow(&s.c, &id, &mut seen, |_| false).await.is_none());
    s.nothing_left_of("sfa").await;
}

/// A RabbitMQ virtual host of the test's own (the services' topics are fixed names, so a vhost keeps them
/// apart from every other test sharing the broker); deleted when dropped.
struct Vhost(String);

impl Vhost {
    fn new() -> Vhost {
        let name = format!("test_engines_{}", &sahara_tests::unique_id()[..12]);
        let ok = |args: &[&str]| {
            let out = std::process::Command::new("rabbitmqctl")
                .args(args)
                .output()
                .expect("rabbitmqctl");
            assert!(
                out.status.success(),
                "rabbitmqctl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        ok(&["add_vhost", &name]);
        ok(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]);
        Vhost(name)
    }

    fn url(&self) -> String {
        format!("rabbit://guest:guest@127.0.0.1:5672/{}", self.0)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.0])
            .output();
    }
}

/// Waits until `path` contains `needle`.
async fn wait_for_log(path: &std::path::Path, needle: &str, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        if std::fs::read_to_string(path).unwrap_or_default().contains(needle) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no `{needle}` in {} within {limit:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_share_the_work_and_a_killed_engine_loses_its_cluster() {
    let vhost = Vhost::new();
    let defaults = format!(
        "use_floating_ips = false\nuse_namespaces = true\ntransport_url = {}\n",
        vhost.url()
    );
    let mut s = Scenario::start("engine-two", &defaults, "10.77.8.0/24").await;
    // sahara-all runs the API, the conductor and engine 0; engine 1 is a process of its own.
    let all_log = s.stack.log_path.clone();
    let e1_log = s.stack.spawn("sahara-engine", "engine-1");
    wait_for_log(&e1_log, "RPC server started", Duration::from_secs(30)).await;
    // The engines' own log lines (the API logs the cluster too, in other words).
    let handled_by = |id: &str| -> Vec<&'static str> {
        let needle = format!("Cluster status has been changed cluster_id={id}");
        let mut who = Vec::new();
        if std::fs::read_to_string(&all_log).unwrap_or_default().contains(&needle) {
            who.push("engine-0");
        }
        if std::fs::read_to_string(&e1_log).unwrap_or_default().contains(&needle) {
            who.push("engine-1");
        }
        who
    };
    let mut seen = std::collections::BTreeSet::new();
    let settled = |c: &Value| c["status"] == "Active" || c["status"] == "Error";

    // Four clusters asked at once: each is built by exactly one engine, and both engines work.
    let mut ids = Vec::new();
    for name in ["twoa", "twob", "twoc", "twod"] {
        ids.push(s.named_cluster(name, 1).await);
    }
    let mut by_engine = std::collections::BTreeMap::new();
    for id in &ids {
        let c = follow(&s.c, id, &mut seen, settled).await.unwrap();
        assert_eq!(c["status"], "Active", "{c}");
        let who = handled_by(id);
        assert_eq!(who.len(), 1, "cluster {id} built by {who:?}");
        *by_engine.entry(who[0]).or_insert(0) += 1;
    }
    eprintln!("clusters built per engine: {by_engine:?}");
    assert_eq!(by_engine.len(), 2, "both engines built clusters: {by_engine:?}");
    for id in &ids {
        s.c.ok(Method::DELETE, &s.c.v2(&format!("clusters/{id}")), None).await;
    }
    for id in &ids {
        assert!(follow(&s.c, id, &mut seen, |_| false).await.is_none());
    }

    // kill -9 of the engine building a cluster: that build is lost (the cast was taken off the queue, as
    // oslo.messaging acknowledges before dispatching), the cluster stays in its status; the other engine
    // deletes it when asked.
    let mut victim = None;
    for n in 0..6 {
        let id = s.named_cluster(&format!("kill{n}"), 1).await;
        let c = follow(&s.c, &id, &mut seen, |c| c["status"] == "Spawning" || settled(c))
            .await
            .unwrap();
        if c["status"] == "Spawning" && handled_by(&id) == ["engine-1"] {
            let (_, mut child) = s.stack.guard.extra.remove(0);
            child.kill().expect("kill -9");
            let _ = child.wait();
            victim = Some(id);
            break;
        }
        follow(&s.c, &id, &mut seen, settled).await;
    }
    let id = victim.expect("a build landed on engine 1 within 6 clusters");
    tokio::time::sleep(Duration::from_secs(15)).await;
    let (_, stuck) = s.c.call(Method::GET, &s.c.v2(&format!("clusters/{id}")), None).await;
    eprintln!(
        "after kill -9 of its engine, cluster {id} stays {:?} (description {:?})",
        stuck["cluster"]["status"], stuck["cluster"]["status_description"]
    );
    assert!(
        ["Spawning", "Waiting", "Preparing", "Configuring", "Starting"]
            .contains(&stuck["cluster"]["status"].as_str().unwrap_or_default()),
        "{stuck}"
    );
    s.c.ok(Method::DELETE, &s.c.v2(&format!("clusters/{id}")), None).await;
    assert!(follow(&s.c, &id, &mut seen, |_| false).await.is_none());
    let terminated = format!("cluster terminated cluster_id={id}");
    assert!(
        std::fs::read_to_string(&all_log)
            .unwrap_or_default()
            .contains(&terminated),
        "engine 0 deleted it"
    );
    s.stack.stop_sahara();
    drop(s);
    drop(vhost);
}

/// A scenario (namespaces, no floating IPs) whose `sahara-all` sends its notifications (`messagingv2`) on a
/// RabbitMQ virtual host of its own, and a listener receiving them.
struct Notified {
    s: Scenario,
    rx: tokio::sync::mpsc::UnboundedReceiver<sahara_rpc::Notification>,
    listener: sahara_rpc::NotificationListener,
    transport: sahara_rpc::Transport,
    vhost: Vhost,
}

impl Notified {
    async fn start(name: &str, cidr: &str) -> Notified {
        use sahara_rpc::{NotificationListener, NotificationResult, Priority, Target, Transport, TransportOptions};
        let vhost = Vhost::new();
        let defaults = format!(
            "use_floating_ips = false\nuse_namespaces = true\ntransport_url = {}\n",
            vhost.url()
        );
        let s = Scenario::start_with(
            name,
            &defaults,
            "\n[oslo_messaging_notifications]\ndriver = messagingv2\n",
            cidr,
        )
        .await;
        let transport = Transport::new(&vhost.url(), TransportOptions::default()).expect("transport");
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let listener = NotificationListener::start(
            &transport,
            &[Target::topic("notifications").with_exchange("sahara")],
            &[Priority::Info],
            None,
            move |n| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(n);
                    NotificationResult::Handled
                }
            },
        )
        .await
        .expect("listener");
        Notified {
            s,
            rx,
            listener,
            transport,
            vhost,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_notifications_are_sent_as_sahara_sends_them() {
    let Notified {
        s,
        mut rx,
        listener,
        transport,
        vhost,
    } = Notified::start("engine-notify", "10.77.9.0/24").await;
    let id = s.named_cluster("note", 1).await;
    let mut seen = std::collections::BTreeSet::new();
    let c = follow(&s.c, &id, &mut seen, |c| {
        c["status"] == "Active" || c["status"] == "Error"
    })
    .await
    .unwrap();
    assert_eq!(c["status"], "Active", "{c}");
    s.delete(&id, &mut seen).await;
    let mut statuses = Vec::new();
    while let Ok(n) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        let Some(n) = n else { break };
        assert_eq!(n.publisher_id, "sahara");
        assert!(
            n.context.get("auth_token").is_none_or(|t| t.is_null() || t == "***"),
            "no token in {:?}",
            n.context
        );
        // Health notifications (the verification that follows Active) are engine_health.rs's.
        if n.event_type.starts_with("sahara.cluster.")
            && n.event_type != "sahara.cluster.health"
            && n.payload["cluster_id"] == id.as_str()
        {
            let keys: std::collections::BTreeSet<&str> =
                n.payload.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                ["cluster_id", "cluster_name", "cluster_status", "project_id", "user_id"].into(),
                "{}",
                n.payload
            );
            assert_eq!(n.payload["cluster_name"], "note");
            assert_eq!(n.payload["project_id"], s.c.user.project.as_str());
            let event = n.event_type.trim_start_matches("sahara.cluster.").to_string();
            statuses.push(format!("{event} {}", n.payload["cluster_status"].as_str().unwrap()));
        }
    }
    // The API: create (New), Validating; the engine: every status to Active; the API again: Deleting, delete.
    assert_eq!(
        statuses,
        [
            "create New",
            "update Validating",
            "update InfraUpdating",
            "update Spawning",
            "update Waiting",
            "update Preparing",
            "update Configuring",
            "update Starting",
            "update Active",
            "update Deleting",
            "delete Deleting"
        ],
        "the status changes, in order"
    );
    listener.stop().await;
    transport.shutdown().await;
    drop(s);
    drop(vhost);
}

/// The name of Sahara's basic check every cluster gets.
const ACCESSIBILITY: &str = "Check of instances accessibility";

/// The cluster's verification once it ended (GREEN, YELLOW or RED) and is not `previous`, as the API shows it.
async fn verification_after(
    s: &Scenario,
    id: &str,
    previous: Option<&str>,
    seen: &mut std::collections::BTreeSet<String>,
) -> Value {
    let done = |c: &Value| {
        let v = &c["verification"];
        ["GREEN", "YELLOW", "RED"].contains(&v["status"].as_str().unwrap_or_default()) && v["id"].as_str() != previous
    };
    let cluster = follow(&s.c, id, seen, done).await.expect("the cluster");
    assert!(
        done(&cluster),
        "no new verification: {cluster}\n{}",
        s.stack.log_tail(200_000)
    );
    assert_eq!(cluster["status"], "Active", "{cluster}");
    cluster["verification"].clone()
}

/// The checks of a verification as (name, status, description).
fn checks(v: &Value) -> Vec<(String, String, String)> {
    v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or_default().to_string();
            (s("name"), s("status"), s("description"))
        })
        .collect()
}

/// Asks for a verification as a user does.
async fn start_verification(s: &Scenario, id: &str) {
    let back =
        s.c.ok(
            Method::PATCH,
            &s.c.v2(&format!("clusters/{id}")),
            Some(json!({"verification": {"status": "START"}})),
        )
        .await;
    assert_eq!(back["cluster"]["id"], id, "{back}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_s_health_is_verified_as_sahara_verifies_it() {
    use std::collections::BTreeSet;
    let Notified {
        s,
        mut rx,
        listener,
        transport,
        vhost,
    } = Notified::start("engine-health", "10.77.20.0/24").await;

    // Built to Active, then verified at once: GREEN, the accessibility check listed.
    let mut seen = std::collections::BTreeSet::new();
    let id = s.named_cluster("health", 1).await;
    let built = s.active(&id, &mut seen).await;
    let first = verification_after(&s, &id, None, &mut seen).await;
    assert_eq!(first["status"], "GREEN", "{first}");
    assert_eq!(
        checks(&first),
        [(
            ACCESSIBILITY.into(),
            "GREEN".into(),
            "All instances are available".into()
        )]
    );
    assert_eq!(first["cluster_id"], id.as_str(), "{first}");

    // A verification the user starts replaces it.
    start_verification(&s, &id).await;
    let second = verification_after(&s, &id, first["id"].as_str(), &mut seen).await;
    assert_eq!(second["status"], "GREEN", "{second}");
    assert_eq!(
        checks(&second),
        [(
            ACCESSIBILITY.into(),
            "GREEN".into(),
            "All instances are available".into()
        )]
    );

    // The worker's sshd dies: the next verification is RED, naming its address; the cluster stays Active.
    let worker = instances(&built)
        .into_iter()
        .find(|i| i["instance_name"] == "health-worker-0")
        .expect("the worker")
        .clone();
    s.kill_sshd(worker["instance_id"].as_str().expect("its server")).await;
    start_verification(&s, &id).await;
    let third = verification_after(&s, &id, second["id"].as_str(), &mut seen).await;
    assert_eq!(third["status"], "RED", "{third}");
    let address = worker["management_ip"].as_str().expect("its address");
    assert_eq!(
        checks(&third),
        [(
            ACCESSIBILITY.into(),
            "RED".into(),
            format!("Cluster health is RED. Reason: Instances ({address}) are not available in the cluster.")
        )]
    );

    s.delete(&id, &mut seen).await;

    // Each check was sent as it started (CHECKING) and as it ended, with Sahara's payload, in the user's
    // project and without the token.
    let mut health = Vec::new();
    while let Ok(Some(n)) = tokio::time::timeout(Duration::from_secs(2), rx.recv()).await {
        if n.event_type != "sahara.cluster.health" {
            continue;
        }
        assert_eq!(n.publisher_id, "sahara");
        assert!(
            n.context.get("auth_token").is_none_or(|t| t.is_null() || t == "***"),
            "no token in {:?}",
            n.context
        );
        let keys: BTreeSet<&str> = n.payload.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "cluster_id",
                "cluster_name",
                "verification_id",
                "health_check_status",
                "health_check_name",
                "health_check_description",
                "created_at",
                "updated_at",
                "project_id",
                "user_id"
            ]
            .into(),
            "{}",
            n.payload
        );
        let p = &n.payload;
        assert_eq!(
            (&p["cluster_id"], &p["cluster_name"], &p["health_check_name"]),
            (&json!(id), &json!("health"), &json!(ACCESSIBILITY)),
            "{p}"
        );
        assert_eq!(
            (&p["project_id"], &p["user_id"]),
            (&json!(s.c.user.project), &json!(s.stack.running.demo.user_id)),
            "{p}"
        );
        health.push((
            p["verification_id"].as_str().unwrap_or_default().to_string(),
            p["health_check_status"].as_str().unwrap_or_default().to_string(),
            p["health_check_description"].clone(),
        ));
    }
    let v = |x: &Value| x["id"].as_str().unwrap().to_string();
    let expected = [
        (v(&first), "CHECKING", Value::Null),
        (v(&first), "GREEN", json!("All instances are available")),
        (v(&second), "CHECKING", Value::Null),
        (v(&second), "GREEN", json!("All instances are available")),
        (v(&third), "CHECKING", Value::Null),
        (v(&third), "RED", third["checks"][0]["description"].clone()),
    ]
    .map(|(id, status, description)| (id, status.to_string(), description));
    assert_eq!(health, expected, "the health notifications, in order");

    listener.stop().await;
    transport.shutdown().await;
    drop(s);
    drop(vhost);
}

/// Runs `statement` with `args` on `sahara-all`'s SQLite database (Python's `sqlite3`, as no
/// client of ours writes rows behind the conductor); answers the rows as JSON.
fn sql(db: &std::path::Path, statement: &str, args: &[&str]) -> Value {
    const SCRIPT: &str = "import json, sqlite3, sys\n\
        c = sqlite3.connect(sys.argv[1], timeout=30)\n\
        rows = c.execute(sys.argv[2], sys.argv[3:]).fetchall()\n\
        c.commit()\n\
        print(json.dumps(rows))\n";
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .arg(db)
        .arg(statement)
        .args(args)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{statement}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("rows")
}

/// Waits until one line of the log at `path` contains every one of `needles`.
async fn wait_for_log_line(path: &std::path::Path, needles: &[&str], limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let log = std::fs::read_to_string(path).unwrap_or_default();
        if log.lines().any(|l| needles.iter().all(|n| l.contains(n))) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no line with {needles:?} in {} within {limit:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What a user makes to run Pig jobs: a script (an internal-db job binary), a job template of it, an input
/// and an output data source.
struct PigJob {
    template: String,
    input: String,
    output: String,
}

impl Scenario {
    /// `sahara-all`'s database.
    fn database(&self) -> std::path::PathBuf {
        self.stack.dir.path().join("sahara").join("sahara.sqlite")
    }

    /// A Pig job template with its script stored in Sahara's database, and two HDFS data sources (as
    /// `openstack dataprocessing job binary create --data`, `job template create`, `data source create`).
    async fn pig_job(&self) -> PigJob {
        let c = &self.c;
        let resp = c
            .http
            .put(format!(
                "{}/v1.1/{}/job-binary-internals/wordcount.pig",
                c.api, c.user.project
            ))
            .header("X-Auth-Token", &c.user.token)
            .header("Content-Type", "application/octet-stream")
            .body("A = load '$INPUT'; store A into '$OUTPUT';")
            .send()
            .await
            .expect("job binary internal");
        assert_eq!(resp.status().as_u16(), 202, "job binary internal");
        let jbi: Value = resp.json().await.expect("json");
        let jbi = jbi["job_binary_internal"]["id"].as_str().expect("its id").to_string();
        let id = |v: Value, key: &str| {
            v[key]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no id: {v}"))
                .to_string()
        };
        let binary = c
            .ok(
                Method::POST,
                &c.v2("job-binaries"),
                Some(json!({"name": "wordcount.pig", "url": format!("internal-db://{jbi}")})),
            )
            .await;
        let binary = id(binary, "job_binary");
        let template = c
            .ok(
                Method::POST,
                &c.v2("job-templates"),
                Some(json!({"name": "wordcount", "type": "Pig", "mains": [binary], "libs": []})),
            )
            .await;
        let mut sources = Vec::new();
        for name in ["input", "output"] {
            let ds = c
                .ok(
                    Method::POST,
                    &c.v2("data-sources"),
                    Some(json!({"name": name, "type": "hdfs", "url": format!("hdfs://namenode/user/demo/{name}")})),
                )
                .await;
            sources.push(id(ds, "data_source"));
        }
        PigJob {
            template: id(template, "job_template"),
            input: sources[0].clone(),
            output: sources[1].clone(),
        }
    }

    /// Runs the Pig job on `cluster` (`POST /v2/jobs`); answers the job as the API answers it.
    async fn run_pig(&self, pig: &PigJob, cluster: &str) -> Value {
        let c = &self.c;
        let (status, body) = c
            .call(
                Method::POST,
                &c.v2("jobs"),
                Some(json!({"job_template_id": pig.template, "cluster_id": cluster,
                            "input_id": pig.input, "output_id": pig.output,
                            "job_configs": {"configs": {}, "params": {}, "args": []}})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        body["job"].clone()
    }

    /// The job (execution) `id` as `GET /v2/jobs/{id}` answers it; `None` once it is gone.
    async fn job(&self, id: &str) -> Option<Value> {
        let (status, body) = self.c.call(Method::GET, &self.c.v2(&format!("jobs/{id}")), None).await;
        if status == 404 {
            return None;
        }
        assert_eq!(status, 200, "{body}");
        Some(body["job"].clone())
    }

    /// Polls the job until `done` says so (`None`: it is gone); fails after [`OPERATION_LIMIT`].
    async fn job_until(&self, id: &str, done: impl Fn(Option<&Value>) -> bool) -> Option<Value> {
        let deadline = Instant::now() + OPERATION_LIMIT;
        loop {
            let job = self.job(id).await;
            if done(job.as_ref()) {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} stuck: {job:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Asks for `action` (`cancel`, `suspend`) on the job (`PATCH /v2/jobs/{id}`).
    async fn job_action(&self, id: &str, action: &str) {
        let c = &self.c;
        c.ok(
            Method::PATCH,
            &c.v2(&format!("jobs/{id}")),
            Some(json!({"info": {"status": action}})),
        )
        .await;
    }

    /// Puts the job in `status` behind the API's back: the fake engine ends every job at once, so a job still
    /// running is what a real engine would leave, written here.
    fn set_job_status(&self, id: &str, status: &str) {
        sql(
            &self.database(),
            "UPDATE job_executions SET info = ? WHERE id = ?",
            &[&json!({ "status": status }).to_string(), id],
        );
    }
}

fn job_status(job: Option<&Value>) -> Option<&str> {
    job.and_then(|j| j["info"]["status"].as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_run_cancel_suspend_and_go_as_sahara_runs_them_on_the_fake_plugin() {
    let s = Scenario::start(
        "engine-edp",
        "use_floating_ips = false\nuse_namespaces = true\njob_canceling_timeout = 4\n",
        "10.77.21.0/24",
    )
    .await;
    let log = s.stack.log_path.clone();
    let mut seen = std::collections::BTreeSet::new();
    let pig = s.pig_job().await;

    // A job asked for while its cluster is being built stays PENDING (the engine does not run it)...
    let id = s.named_cluster("edp", 1).await;
    let early = s.run_pig(&pig, &id).await;
    let early_id = early["id"].as_str().expect("its id").to_string();
    assert_eq!(early["info"], json!({"status": "PENDING"}), "{early}");
    wait_for_log_line(
        &log,
        &[
            "Can not run this job on a non-existant cluster or a inactive cluster.",
            &early_id,
        ],
        Duration::from_secs(30),
    )
    .await;
    let job = s.job(&early_id).await.expect("the job");
    let cluster = s.c.ok(Method::GET, &s.c.v2(&format!("clusters/{id}")), None).await;
    assert_ne!(
        cluster["cluster"]["status"], "Active",
        "built before the job could wait for it"
    );
    assert_eq!(
        (
            &job["info"],
            &job["engine_job_id"],
            &job["start_time"],
            &job["end_time"]
        ),
        (&json!({"status": "PENDING"}), &Value::Null, &Value::Null, &Value::Null),
        "{job}"
    );
    // ... and the cluster runs it once Active.
    let built = s.active(&id, &mut seen).await;
    let early = s
        .job_until(&early_id, |j| job_status(j) != Some("PENDING"))
        .await
        .expect("the job");
    assert_eq!(early["info"], json!({"status": "SUCCEEDED"}), "{early}");

    // A job on the Active cluster: SUCCEEDED at once with the fake engine's id and a start time; Sahara writes
    // no end time for it (only a reported terminal status sets one).
    let job = s.run_pig(&pig, &id).await;
    let job_id = job["id"].as_str().expect("its id").to_string();
    assert_eq!(
        (
            &job["info"],
            &job["engine_job_id"],
            &job["cluster_id"],
            &job["job_template_id"]
        ),
        (
            &json!({"status": "PENDING"}),
            &Value::Null,
            &json!(id),
            &json!(pig.template)
        ),
        "{job}"
    );
    let done = s
        .job_until(&job_id, |j| job_status(j) != Some("PENDING"))
        .await
        .expect("the job");
    assert_eq!(done["info"], json!({"status": "SUCCEEDED"}), "{done}");
    assert_eq!(done["engine_job_id"], "engine_job_id", "{done}");
    let start = done["start_time"]
        .as_str()
        .unwrap_or_else(|| panic!("no start time: {done}"));
    assert!(sahara_start_time_like(start), "{start}");
    assert_eq!(done["end_time"], Value::Null, "{done}");
    assert!(done.get("extra").is_none(), "extra is never shown: {done}");
    // With `use_namespaces`, the first instance's neutron info is kept in the (hidden) extra.
    let rows = sql(
        &s.database(),
        "SELECT extra FROM job_executions WHERE id = ?",
        &[&job_id],
    );
    let extra: Value = serde_json::from_str(rows[0][0].as_str().expect("extra")).expect("json");
    let neutron = &extra["neutron"];
    let first = &built["node_groups"][0]["instances"][0];
    assert_eq!(
        (&neutron["network"], &neutron["tenant"], &neutron["host"]),
        (&json!(s.net), &json!("demo"), &first["management_ip"]),
        "{}",
        json!({"network": neutron["network"], "tenant": neutron["tenant"], "host": neutron["host"]})
    );
    assert!(
        neutron["token"].is_string(),
        "the request's token is kept for the job's engine"
    );

    // Cancelling or suspending a finished job changes nothing.
    s.job_action(&job_id, "cancel").await;
    wait_for_log_line(
        &log,
        &["Job execution is already finished and shouldn't be canceled", &job_id],
        Duration::from_secs(30),
    )
    .await;
    s.job_action(&job_id, "suspend").await;
    wait_for_log_line(
        &log,
        &[
            "Suspending operation can not be performed on status: SUCCEEDED",
            &job_id,
        ],
        Duration::from_secs(30),
    )
    .await;
    let after = s.job(&job_id).await.expect("the job");
    for key in ["info", "engine_job_id", "start_time", "end_time"] {
        assert_eq!(after[key], done[key], "{key}: {after}");
    }

    // A running job cannot be suspended by the fake engine: SUSPENDFAILED, as Sahara ends it.
    let suspended = s.run_pig(&pig, &id).await["id"].as_str().unwrap().to_string();
    s.job_until(&suspended, |j| job_status(j) == Some("SUCCEEDED")).await;
    s.set_job_status(&suspended, "RUNNING");
    s.job_action(&suspended, "suspend").await;
    let failed = s
        .job_until(&suspended, |j| job_status(j) == Some("SUSPENDFAILED"))
        .await
        .expect("the job");
    assert_eq!(failed["end_time"], Value::Null, "{failed}");

    // A running job the fake engine cannot cancel: TOBEKILLED, and so it stays once `job_canceling_timeout`
    // (4 s) is over.
    let cancelled = s.run_pig(&pig, &id).await["id"].as_str().unwrap().to_string();
    s.job_until(&cancelled, |j| job_status(j) == Some("SUCCEEDED")).await;
    s.set_job_status(&cancelled, "RUNNING");
    s.job_action(&cancelled, "cancel").await;
    s.job_until(&cancelled, |j| job_status(j) == Some("TOBEKILLED")).await;
    wait_for_log_line(
        &log,
        &[&format!("Job execution {cancelled} was not canceled")],
        Duration::from_secs(30),
    )
    .await;
    assert_eq!(job_status(s.job(&cancelled).await.as_ref()), Some("TOBEKILLED"));

    // Deleting: a finished job goes at once; a running one after the cancel gave up.
    for gone in [&job_id, &suspended] {
        s.c.ok(Method::DELETE, &s.c.v2(&format!("jobs/{gone}")), None).await;
        s.job_until(gone, |j| j.is_none()).await;
    }
    let running = s.run_pig(&pig, &id).await["id"].as_str().unwrap().to_string();
    s.job_until(&running, |j| job_status(j) == Some("SUCCEEDED")).await;
    s.set_job_status(&running, "RUNNING");
    let asked = Instant::now();
    s.c.ok(Method::DELETE, &s.c.v2(&format!("jobs/{running}")), None).await;
    s.job_until(&running, |j| j.is_none()).await;
    assert!(
        asked.elapsed() >= Duration::from_secs(4),
        "deleted before the cancel gave up"
    );
    wait_for_log_line(
        &log,
        &[
            "Job execution can't be cancelled in time. Deleting it anyway.",
            &running,
        ],
        Duration::from_secs(30),
    )
    .await;

    // Deleting the cluster detaches its jobs, and those without an end time are KILLED: the one left
    // TOBEKILLED, and also the first one, SUCCEEDED but never given an end time by the fake engine.
    s.delete(&id, &mut seen).await;
    for left in [&cancelled, &early_id] {
        let killed = s.job(left).await.expect("the job");
        assert_eq!(
            (&killed["info"]["status"], &killed["cluster_id"]),
            (&json!("KILLED"), &Value::Null),
            "{killed}"
        );
        assert!(killed["end_time"].is_string(), "{killed}");
    }
    let all = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(!all.contains(&s.c.user.token), "the user's token is in the log");
}

/// Whether `t` is a time as Sahara shows one (`2024-05-01T10:20:30`).
fn sahara_start_time_like(t: &str) -> bool {
    t.len() == 19 && t.as_bytes()[10] == b'T' && t.chars().filter(|c| c.is_ascii_digit()).count() == 14
}
