//! Project isolation and token revocation through `sahara-all` with Keystone authentication on the local test
//! cloud (issue 6 item 4), with real users in real Keystone projects:
//! - a user of project A cannot see, change or delete anything of project B's (node group and cluster
//!   templates, data sources, job binaries (internal and Swift), job binary internals, job templates and a
//!   cluster), neither by id nor with B's project in the URL, on v1.1 and v2; B's objects are unchanged
//!   afterwards; a template B makes public A sees but can neither change nor delete — with Sahara 19's answers
//!   (`NOT_FOUND` from the routes' `check_exists` or the database's project filter, `UPDATE_FAILED` /
//!   `DELETION_FAILED` from `acl.check_tenant_for_update` / `_delete` for public objects, 401 `Token tenant !=
//!   requested tenant` from `AuthValidator`);
//! - a token revoked in Keystone stops working within `[keystone_authtoken] token_cache_time`;
//! - a Swift job binary's data is read with the caller's token (in the caller's account), within
//!   `job_binary_max_KB`, with Sahara's errors;
//! - an S3 job binary's data is read with the binary's own keys from the test cloud's S3 (which checks every
//!   SigV4 signature), byte for byte, within `job_binary_max_KB`, with Sahara's `S3_CLIENT_EXCEPTION` for a wrong
//!   key or a missing object and its create-time checks; the secret key is never answered nor logged.
//! - the Manila shares of node group and cluster templates (create and update, v1.1 and v2) are looked up with
//!   the caller's token: the project's NFS share is accepted; an unknown share, another project's and a CIFS one
//!   are Sahara's 400 `INVALID_REFERENCE`; duplicate and relative paths its `INVALID_DATA`, before Manila is asked.
//!
//! `sahara-all` is the binary cargo built beside this test (`cargo build -p sahara-all` first), or
//! `SAHARA_TEST_SAHARA_ALL`. Everything is removed when a test ends, also when it fails.

mod common;

use common::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// One user of the API: its token and project.
struct User {
    token: String,
    project: String,
    name: &'static str,
}

/// `sahara-all`'s base URL (`http://127.0.0.1:<port>`).
struct Api {
    url: String,
    http: reqwest::Client,
}

impl Api {
    /// The version's root for `user`: `/v1.1/<project>` or `/v2`.
    fn root(&self, version: &str, project: &str) -> String {
        match version {
            "v1.1" => format!("{}/v1.1/{project}", self.url),
            _ => format!("{}/v2", self.url),
        }
    }

    async fn call(&self, user: &User, method: Method, url: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.clone(), url)
            .header("X-Auth-Token", &user.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// A call that must succeed (2xx); answers the body.
    async fn ok(&self, user: &User, method: Method, url: &str, body: Option<Value>) -> Value {
        let (status, body_back) = self.call(user, method.clone(), url, body.clone()).await;
        assert!(
            (200..300).contains(&status),
            "{} {method} {url} {body:?}: {status} {body_back}",
            user.name
        );
        body_back
    }
}

/// One object of B's: where it is and how it is changed.
struct Object {
    /// The collection (`node-group-templates`, ...).
    collection: &'static str,
    /// The key of the list (`node_group_templates`, ...).
    list_key: &'static str,
    id: String,
    /// The update's method and body.
    update: (Method, Value),
    /// Sahara's status for A's update: 404 where the route checks that the object exists (`check_exists`),
    /// 400 where only the database does (job binaries: `NotFoundException` is then a `bad_request`).
    update_status: u16,
}

/// Makes one object of each kind as B; answers them.
async fn make_objects(api: &Api, b: &User, version: &str, image_id: &str, network_id: &str) -> Vec<Object> {
    let root = api.root(version, &b.project);
    let v1 = version == "v1.1";
    let vkey = if v1 { "hadoop_version" } else { "plugin_version" };
    let patch_or_put = |put_in_v1: bool| if v1 && put_in_v1 { Method::PUT } else { Method::PATCH };
    let tag = sahara_tests::unique_id();
    let tag = &tag[..8];
    let mut objects = Vec::new();

    let ngt = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/node-group-templates"),
            Some(
                json!({"name": format!("ngt-{tag}"), "plugin_name": "fake", vkey: "0.1", "flavor_id": "42",
                        "node_processes": ["datanode", "tasktracker", "namenode", "jobtracker"]}),
            ),
        )
        .await["node_group_template"]["id"]
        .as_str()
        .expect("ngt id")
        .to_string();
    objects.push(Object {
        collection: "node-group-templates",
        list_key: "node_group_templates",
        id: ngt.clone(),
        update: (patch_or_put(true), json!({"description": "changed by A"})),
        update_status: 404,
    });
    let ct = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/cluster-templates"),
            Some(json!({"name": format!("ct-{tag}"), "plugin_name": "fake", vkey: "0.1",
                        "node_groups": [{"name": "all", "node_group_template_id": ngt, "count": 1}]})),
        )
        .await["cluster_template"]["id"]
        .as_str()
        .expect("ct id")
        .to_string();
    objects.push(Object {
        collection: "cluster-templates",
        list_key: "cluster_templates",
        id: ct.clone(),
        update: (patch_or_put(true), json!({"description": "changed by A"})),
        update_status: 404,
    });
    let ds = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/data-sources"),
            Some(json!({"name": format!("ds-{tag}"), "type": "hdfs", "url": "hdfs://namenode/input"})),
        )
        .await["data_source"]["id"]
        .as_str()
        .expect("ds id")
        .to_string();
    objects.push(Object {
        collection: "data-sources",
        list_key: "data_sources",
        id: ds,
        update: (patch_or_put(true), json!({"description": "changed by A"})),
        update_status: 404,
    });
    let swift = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/job-binaries"),
            Some(
                json!({"name": format!("swift-{tag}.pig"), "url": "swift://container/script.pig",
                        "extra": {"user": "someone", "password": "secret"}}),
            ),
        )
        .await["job_binary"]["id"]
        .as_str()
        .expect("jb id")
        .to_string();
    objects.push(Object {
        collection: "job-binaries",
        list_key: "binaries",
        id: swift.clone(),
        update: (patch_or_put(true), json!({"description": "changed by A"})),
        update_status: 400,
    });
    if v1 {
        let resp = api
            .http
            .put(format!("{root}/job-binary-internals/internal-{tag}.pig"))
            .header("X-Auth-Token", &b.token)
            .header("Content-Type", "application/octet-stream")
            .body("A = load 'x';")
            .send()
            .await
            .expect("job binary internal");
        assert_eq!(resp.status().as_u16(), 202, "job binary internal");
        let jbi: Value = resp.json().await.expect("jbi json");
        let jbi = jbi["job_binary_internal"]["id"].as_str().expect("jbi id").to_string();
        objects.push(Object {
            collection: "job-binary-internals",
            list_key: "binaries",
            id: jbi.clone(),
            update: (Method::PATCH, json!({"name": format!("renamed-{tag}.pig")})),
            update_status: 404,
        });
        let internal = api
            .ok(
                b,
                Method::POST,
                &format!("{root}/job-binaries"),
                Some(json!({"name": format!("internal-{tag}.pig"), "url": format!("internal-db://{jbi}")})),
            )
            .await["job_binary"]["id"]
            .as_str()
            .expect("jb id")
            .to_string();
        objects.push(Object {
            collection: "job-binaries",
            list_key: "binaries",
            id: internal,
            update: (Method::PUT, json!({"description": "changed by A"})),
            update_status: 400,
        });
    }
    let (jobs, job_key, jobs_key) = if v1 {
        ("jobs", "job", "jobs")
    } else {
        ("job-templates", "job_template", "job_templates")
    };
    let job = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/{jobs}"),
            Some(json!({"name": format!("job-{tag}"), "type": "Pig", "mains": [swift]})),
        )
        .await[job_key]["id"]
        .as_str()
        .expect("job id")
        .to_string();
    objects.push(Object {
        collection: jobs,
        list_key: jobs_key,
        id: job,
        update: (Method::PATCH, json!({"description": "changed by A"})),
        update_status: 404,
    });
    let cluster = api
        .ok(
            b,
            Method::POST,
            &format!("{root}/clusters"),
            Some(
                json!({"name": format!("cluster-{tag}"), "plugin_name": "fake", vkey: "0.1",
                        "cluster_template_id": ct, "default_image_id": image_id,
                        "neutron_management_network": network_id}),
            ),
        )
        .await["cluster"]["id"]
        .as_str()
        .expect("cluster id")
        .to_string();
    objects.push(Object {
        collection: "clusters",
        list_key: "clusters",
        id: cluster,
        update: (Method::PATCH, json!({"description": "changed by A"})),
        update_status: 404,
    });
    objects
}

/// Sahara's error answer: `(code, error_name)`.
fn error_of(status: u16, body: &Value) -> (u16, String) {
    (status, body["error_name"].as_str().unwrap_or_default().to_string())
}

/// An object's answer without what the engine writes while B's cluster is being provisioned (its status,
/// progress, info, instances and the times of its and its node groups' last writes): what A might have changed.
fn user_fields(mut answer: Value) -> Value {
    if let Some(cluster) = answer.get_mut("cluster").and_then(Value::as_object_mut) {
        for key in [
            "status",
            "status_description",
            "provision_progress",
            "info",
            "updated_at",
        ] {
            cluster.remove(key);
        }
        for ng in cluster
            .get_mut("node_groups")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(ng) = ng.as_object_mut() {
                ng.remove("instances");
                ng.remove("updated_at");
            }
        }
    }
    answer
}

async fn isolation_on(api: &Api, a: &User, b: &User, version: &str, image_id: &str, network_id: &str) {
    let objects = make_objects(api, b, version, image_id, network_id).await;
    let b_root = api.root(version, &b.project);
    let a_root = api.root(version, &a.project);
    let mut before = Vec::new();
    for o in &objects {
        let got = api
            .ok(b, Method::GET, &format!("{b_root}/{}/{}", o.collection, o.id), None)
            .await;
        before.push(user_fields(got));
    }

    for o in &objects {
        let what = format!("{version} {} {}", o.collection, o.id);
        // A's list holds none of B's.
        let list = api
            .ok(a, Method::GET, &format!("{a_root}/{}", o.collection), None)
            .await;
        let items = list[o.list_key]
            .as_array()
            .unwrap_or_else(|| panic!("{what}: list {list}"));
        assert!(
            items.iter().all(|i| i["id"] != o.id.as_str()),
            "{what}: A's list shows B's object: {list}"
        );
        // Nor by id, change or delete: Sahara's 404 NOT_FOUND.
        let url = format!("{a_root}/{}/{}", o.collection, o.id);
        let (status, body) = api.call(a, Method::GET, &url, None).await;
        assert_eq!(error_of(status, &body), (404, "NOT_FOUND".into()), "{what} GET: {body}");
        let (status, body) = api.call(a, o.update.0.clone(), &url, Some(o.update.1.clone())).await;
        assert_eq!(
            error_of(status, &body),
            (o.update_status, "NOT_FOUND".into()),
            "{what} update: {body}"
        );
        let (status, body) = api.call(a, Method::DELETE, &url, None).await;
        assert_eq!(
            error_of(status, &body),
            (404, "NOT_FOUND".into()),
            "{what} DELETE: {body}"
        );
        // B's project in the path: the auth validator's 401 (v2 takes a project in the path too).
        let foreign = format!("{}/{}/{}/{}", api.url, version, b.project, o.collection);
        for (method, url) in [
            (Method::GET, foreign.clone()),
            (Method::GET, format!("{foreign}/{}", o.id)),
            (o.update.0.clone(), format!("{foreign}/{}", o.id)),
            (Method::DELETE, format!("{foreign}/{}", o.id)),
        ] {
            let (status, body) = api.call(a, method.clone(), &url, Some(o.update.1.clone())).await;
            assert_eq!(status, 401, "{what}: {method} {url}: {body}");
            assert!(
                body.to_string().contains("Token tenant != requested tenant"),
                "{what}: {method} {url}: {body}"
            );
        }
    }

    // B's objects are unchanged.
    for (o, was) in objects.iter().zip(&before) {
        let now = api
            .ok(b, Method::GET, &format!("{b_root}/{}/{}", o.collection, o.id), None)
            .await;
        assert_eq!(&user_fields(now), was, "{version} {} {} changed", o.collection, o.id);
    }

    // A public template (a new one: the first is in use by the cluster, and Sahara refuses to change a template
    // an existing cluster uses): A sees it (list and by id) but can neither change nor delete it.
    let vkey = if version == "v1.1" {
        "hadoop_version"
    } else {
        "plugin_version"
    };
    let made = api
        .ok(
            b,
            Method::POST,
            &format!("{b_root}/node-group-templates"),
            Some(
                json!({"name": format!("public-{}", &sahara_tests::unique_id()[..8]), "plugin_name": "fake",
                        vkey: "0.1", "flavor_id": "42", "node_processes": ["datanode"]}),
            ),
        )
        .await;
    let ngt = &Object {
        collection: "node-group-templates",
        list_key: "node_group_templates",
        id: made["node_group_template"]["id"].as_str().expect("ngt id").to_string(),
        update: (objects[0].update.0.clone(), objects[0].update.1.clone()),
        update_status: 404,
    };
    api.ok(
        b,
        ngt.update.0.clone(),
        &format!("{b_root}/{}/{}", ngt.collection, ngt.id),
        Some(json!({"is_public": true})),
    )
    .await;
    let shown = api
        .ok(b, Method::GET, &format!("{b_root}/{}/{}", ngt.collection, ngt.id), None)
        .await;
    let list = api
        .ok(a, Method::GET, &format!("{a_root}/{}", ngt.collection), None)
        .await;
    assert!(
        list[ngt.list_key]
            .as_array()
            .is_some_and(|l| l.iter().any(|i| i["id"] == ngt.id.as_str())),
        "{version}: A does not see B's public template: {list}"
    );
    let url = format!("{a_root}/{}/{}", ngt.collection, ngt.id);
    let seen = api.ok(a, Method::GET, &url, None).await;
    assert_eq!(seen, shown, "{version}: A sees B's public template otherwise");
    let (status, body) = api
        .call(a, ngt.update.0.clone(), &url, Some(ngt.update.1.clone()))
        .await;
    assert_eq!(
        error_of(status, &body),
        (400, "UPDATE_FAILED".into()),
        "{version} public update: {body}"
    );
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be updated because it wasn't created in this tenant")),
        "{body}"
    );
    let (status, body) = api.call(a, Method::DELETE, &url, None).await;
    assert_eq!(
        error_of(status, &body),
        (400, "DELETION_FAILED".into()),
        "{version} public delete: {body}"
    );
    assert!(
        body["error_message"]
            .as_str()
            .is_some_and(|m| m.contains("could not be deleted because it wasn't created in this tenant")),
        "{body}"
    );
    let after = api
        .ok(b, Method::GET, &format!("{b_root}/{}/{}", ngt.collection, ngt.id), None)
        .await;
    assert_eq!(after, shown, "{version}: B's public template changed");
}

async fn user(stack: &Stack, account: &Account, name: &'static str) -> User {
    let token = stack
        .keystone
        .password_token(&account.credentials())
        .await
        .expect("user token");
    User {
        token: token.id,
        project: account.project_id.clone(),
        name,
    }
}

/// Two members of two new projects: alice as `A`, bob as `B`.
async fn two_users(stack: &Stack) -> (User, User) {
    let accounts = make_accounts(
        &stack.admin,
        &stack.prefix.to_string(),
        &[("alice", "member"), ("bob", "member")],
    )
    .await;
    (
        user(stack, &accounts[0], "A").await,
        user(stack, &accounts[1], "B").await,
    )
}

/// The fake plugin's image (registered with Sahara in the simulator's Glance) and a new network of `user`'s in
/// the simulator's Neutron, for a cluster's management network.
async fn image_and_network(stack: &Stack, api: &Api, user: &User) -> (String, String) {
    let images = api.ok(user, Method::GET, &format!("{}/v2/images", api.url), None).await;
    let image_id = images["images"]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["name"] == "sahara-fake-0.1"))
        .and_then(|i| i["id"].as_str())
        .unwrap_or_else(|| panic!("no sahara-fake-0.1 image: {images}"))
        .to_string();
    let network = api
        .ok(
            user,
            Method::POST,
            &format!("{}/network/v2.0/networks", stack.running.simulator_url),
            Some(json!({"network": {"name": format!("{}-net", user.name)}})),
        )
        .await;
    let network_id = network["network"]["id"].as_str().expect("network id").to_string();
    (image_id, network_id)
}

fn api(stack: &Stack) -> Api {
    Api {
        url: stack.running.data_processing_url.clone(),
        http: http(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_cannot_see_change_or_delete_another_projects_objects() {
    init_tracing();
    let began = Instant::now();
    let mut stack = Stack::start("isolation", |conf| conf).await;
    let (a, b) = two_users(&stack).await;
    let api = api(&stack);
    let (image_id, network_id) = image_and_network(&stack, &api, &b).await;
    for version in ["v1.1", "v2"] {
        isolation_on(&api, &a, &b, version, &image_id, &network_id).await;
    }
    stack.stop_sahara();
    eprintln!("isolation checked in {:.1} s", began.elapsed().as_secs_f64());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_token_stops_working_within_the_token_cache_time() {
    const CACHE: u64 = 2;
    init_tracing();
    let mut stack = Stack::start("revocation", |conf| {
        conf.replacen(
            "[keystone_authtoken]\n",
            &format!("[keystone_authtoken]\ntoken_cache_time = {CACHE}\n"),
            1,
        )
    })
    .await;
    let accounts = make_accounts(&stack.admin, &stack.prefix.to_string(), &[("carol", "member")]).await;
    let carol = user(&stack, &accounts[0], "carol").await;
    let api = api(&stack);
    let plugins = format!("{}/v2/plugins", api.url);
    api.ok(&carol, Method::GET, &plugins, None).await;

    // Revoke it in Keystone (the admin revokes another user's token: DELETE /v3/auth/tokens).
    let resp = http()
        .delete(format!("{}/v3/auth/tokens", stack.running.keystone_url))
        .header("X-Auth-Token", &stack.admin_token)
        .header("X-Subject-Token", &carol.token)
        .send()
        .await
        .expect("revoke");
    assert_eq!(resp.status().as_u16(), 204, "revocation: {:?}", resp.text().await);
    let revoked = Instant::now();

    // Cached, it may still work for up to token_cache_time; then 401. Keystone itself may take a moment to
    // refuse a revoked token (its revocation events are read per request, with second-resolution times).
    let bound = Duration::from_secs(CACHE) + Duration::from_secs(3);
    let refused_after = loop {
        let resp = api
            .http
            .get(&plugins)
            .header("X-Auth-Token", &carol.token)
            .send()
            .await
            .expect("plugins");
        match resp.status().as_u16() {
            200 => {}
            401 => {
                let elapsed = revoked.elapsed();
                assert!(
                    resp.headers().contains_key("www-authenticate"),
                    "401 without WWW-Authenticate"
                );
                break elapsed;
            }
            other => panic!("GET /v2/plugins with a revoked token: {other}"),
        }
        assert!(
            revoked.elapsed() < bound,
            "a revoked token still works {:?} after revocation",
            revoked.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!(
        "revoked token refused {:.2} s after revocation (token_cache_time {CACHE} s)",
        refused_after.as_secs_f64()
    );
    // And it stays refused.
    let (status, _) = api.call(&carol, Method::GET, &plugins, None).await;
    assert_eq!(status, 401);
    stack.stop_sahara();
}

/// A Sahara error's message without the `Error ID` line Sahara adds.
fn message(body: &Value) -> &str {
    let m = body["error_message"].as_str().unwrap_or_default();
    m.split("\nError ID: ").next().unwrap_or(m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swift_job_binaries_are_read_with_the_caller_s_token() {
    init_tracing();
    let mut stack = Stack::start("jbswift", |conf| {
        conf.replacen("[DEFAULT]\n", "[DEFAULT]\njob_binary_max_KB = 1\n", 1)
    })
    .await;
    let (a, b) = two_users(&stack).await;
    let api = api(&stack);
    // B's objects in B's own Swift account.
    let account = format!("{}/v1/AUTH_{}", stack.running.swift_url, b.project);
    for (path, body) in [
        ("edp", Vec::new()),
        ("edp/script.pig", b"A = LOAD 'x';".to_vec()),
        ("edp/big.jar", vec![7u8; 2048]),
    ] {
        let resp = api
            .http
            .put(format!("{account}/{path}"))
            .header("X-Auth-Token", &b.token)
            .body(body)
            .send()
            .await
            .expect("swift PUT");
        assert!(resp.status().is_success(), "PUT {path}: {}", resp.status());
    }
    let swift_extra = json!({"user": "u", "password": "p"});
    let script = job_binary(&api, &b, "script.pig", "swift://edp.sahara/script.pig", &swift_extra).await;
    let big = job_binary(&api, &b, "big.jar", "swift://edp/big.jar", &swift_extra).await;
    let missing = job_binary(&api, &b, "missing.pig", "swift://edp/missing.pig", &swift_extra).await;

    for root in [format!("{}/v2", api.url), format!("{}/v1.1/{}", api.url, b.project)] {
        // The object, read with B's token (the `.sahara` suffix dropped).
        let resp = api
            .http
            .get(format!("{root}/job-binaries/{script}/data"))
            .header("X-Auth-Token", &b.token)
            .send()
            .await
            .expect("data");
        assert_eq!(resp.status().as_u16(), 200, "{root}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), b"A = LOAD 'x';");
        // Bigger than `job_binary_max_KB`: refused before it is read.
        let (status, body) = api
            .call(&b, Method::GET, &format!("{root}/job-binaries/{big}/data"), None)
            .await;
        assert_eq!((status, &body["error_name"]), (400, &json!("DATA_TOO_BIG")), "{body}");
        assert_eq!(
            message(&body),
            "Size of swift object (2.0KB) is greater than maximum (1KB)"
        );
        // Not there: swiftclient's error.
        let (status, body) = api
            .call(&b, Method::GET, &format!("{root}/job-binaries/{missing}/data"), None)
            .await;
        assert_eq!(
            (status, &body["error_name"]),
            (400, &json!("SWIFT_CLIENT_EXCEPTION")),
            "{body}"
        );
        assert_eq!(
            message(&body),
            format!("Object HEAD failed: {account}/edp/missing.pig 404 Not Found")
        );
    }

    // Made public, the binary is read by A with A's own token: in A's account, where it is not.
    api.ok(
        &b,
        Method::PATCH,
        &format!("{}/v2/job-binaries/{script}", api.url),
        Some(json!({"is_public": true})),
    )
    .await;
    let (status, body) = api
        .call(
            &a,
            Method::GET,
            &format!("{}/v2/job-binaries/{script}/data", api.url),
            None,
        )
        .await;
    assert_eq!(
        (status, &body["error_name"]),
        (400, &json!("SWIFT_CLIENT_EXCEPTION")),
        "{body}"
    );
    let a_account = format!("{}/v1/AUTH_{}", stack.running.swift_url, a.project);
    assert_eq!(
        message(&body),
        format!("Object HEAD failed: {a_account}/edp/script.pig 404 Not Found")
    );
    stack.stop_sahara();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_on_swift_data_gets_a_proxy_user_in_the_proxy_domain() {
    init_tracing();
    let domain = format!("sahara_proxy_{}", &sahara_tests::unique_id()[..8]);
    // The test cloud's configuration has proxy users on (as kolla's), in its own domain: here, one that does not
    // exist at first.
    let mut stack = Stack::start("proxyusers", |conf| {
        conf.lines()
            .map(|l| match l.starts_with("proxy_user_domain_name") {
                true => format!("proxy_user_domain_name = {domain}\n"),
                false => format!("{l}\n"),
            })
            .collect()
    })
    .await;
    let accounts = make_accounts(&stack.admin, &stack.prefix.to_string(), &[("bob", "member")]).await;
    let b = user(&stack, &accounts[0], "B").await;
    let api = api(&stack);
    let (image_id, network_id) = image_and_network(&stack, &api, &b).await;
    // A cluster, a Pig job template whose main script is in Swift, and two HDFS data sources.
    let objects = make_objects(&api, &b, "v2", &image_id, &network_id).await;
    let id_of = |collection: &str| {
        objects
            .iter()
            .find(|o| o.collection == collection)
            .map(|o| o.id.clone())
            .expect(collection)
    };
    let (cluster, job_template, input) = (id_of("clusters"), id_of("job-templates"), id_of("data-sources"));
    // With the proxy option, Swift data sources need no credentials.
    let output = api
        .ok(
            &b,
            Method::POST,
            &format!("{}/v2/data-sources", api.url),
            Some(json!({"name": "out", "type": "swift", "url": "swift://edp.sahara/out"})),
        )
        .await["data_source"]["id"]
        .as_str()
        .expect("data source id")
        .to_string();
    let run = json!({"cluster_id": cluster, "job_template_id": job_template, "input_id": input,
        "output_id": output});
    let jobs_url = format!("{}/v2/jobs", api.url);

    // The proxy domain does not exist yet: Sahara's error, and the job execution is gone again.
    let (status, body) = api.call(&b, Method::POST, &jobs_url, Some(run.clone())).await;
    assert_eq!(
        (status, &body["error_name"]),
        (400, &json!("NOT_FOUND")),
        "{body}\n{}",
        stack.log_tail(60_000)
    );
    assert!(
        message(&body).starts_with(&format!("Failed to find domain {domain}")),
        "{body}"
    );
    let listed = api.ok(&b, Method::GET, &jobs_url, None).await;
    assert_eq!(listed["jobs"], json!([]), "{listed}");

    let created = stack
        .admin
        .request(
            Method::POST,
            "domains",
            Some(json!({"domain": {"name": domain, "enabled": true}})),
        )
        .await
        .expect("proxy domain");
    let domain_id = created["domain"]["id"].as_str().expect("domain id").to_string();
    let je = api.ok(&b, Method::POST, &jobs_url, Some(run)).await;
    let je_id = je["job"]["id"].as_str().expect("job id").to_string();
    assert!(
        je["job"]["job_configs"].get("proxy_configs").is_none(),
        "never shown: {je}"
    );
    let shown = api.ok(&b, Method::GET, &format!("{jobs_url}/{je_id}"), None).await;
    assert!(
        shown["job"]["job_configs"].get("proxy_configs").is_none(),
        "never shown: {shown}"
    );

    // In Keystone: user job_<id> in the proxy domain, trusted by B with the proxy role names.
    let users = stack
        .admin
        .request(Method::GET, &format!("users?domain_id={domain_id}"), None)
        .await
        .expect("users");
    let names: Vec<&str> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|u| u["name"].as_str())
        .collect();
    assert_eq!(names, [format!("job_{je_id}")], "{users}");
    let proxy_id = users["users"][0]["id"].as_str().unwrap().to_string();
    let trusts = stack
        .admin
        .request(
            Method::GET,
            &format!("OS-TRUST/trusts?trustee_user_id={proxy_id}"),
            None,
        )
        .await
        .expect("trusts");
    let trust = &trusts["trusts"][0];
    assert_eq!(trust["trustor_user_id"], accounts[0].user_id.as_str(), "{trusts}");
    assert_eq!(trust["project_id"], b.project.as_str(), "{trusts}");
    assert_eq!(trust["impersonation"], true, "{trusts}");
    let roles = stack
        .admin
        .request(
            Method::GET,
            &format!("OS-TRUST/trusts/{}/roles", trust["id"].as_str().unwrap()),
            None,
        )
        .await
        .expect("trust roles");
    let role_names: Vec<&str> = roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["name"].as_str())
        .collect();
    assert_eq!(role_names, ["member"], "{roles}");
    stack.stop_sahara();
}

/// A share of `user`'s made in the simulator's Manila with the user's token; answers its id.
async fn manila_share(stack: &Stack, api: &Api, user: &User, proto: &str) -> String {
    let made = api
        .ok(
            user,
            Method::POST,
            &format!("{}/share/v1/{}/shares", stack.running.simulator_url, user.project),
            Some(json!({"share": {"share_proto": proto, "size": 1, "name": format!("{}-{proto}", user.name)}})),
        )
        .await;
    made["share"]["id"].as_str().expect("share id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn template_shares_are_looked_up_in_manila_with_the_caller_s_token() {
    init_tracing();
    let mut stack = Stack::start("shares", |conf| conf).await;
    let (a, b) = two_users(&stack).await;
    let api = api(&stack);
    let nfs = manila_share(&stack, &api, &b, "NFS").await;
    let cifs = manila_share(&stack, &api, &b, "cifs").await;
    let a_nfs = manila_share(&stack, &api, &a, "NFS").await;
    let unknown = "00000000-1111-2222-3333-444444444444";
    let refused = [
        (
            json!([{"id": unknown}]),
            "INVALID_REFERENCE",
            format!("Requested share id {unknown} does not exist."),
        ),
        // Another project's share: Manila does not show it to B.
        (
            json!([{"id": nfs}, {"id": a_nfs}]),
            "INVALID_REFERENCE",
            format!("Requested share id {a_nfs} does not exist."),
        ),
        (
            json!([{"id": cifs, "path": "/mnt/cifs"}]),
            "INVALID_REFERENCE",
            format!("Requested share id {cifs} is of type CIFS, which is not supported by Sahara."),
        ),
        // The path checks come first, before Manila is asked.
        (
            json!([{"id": unknown, "path": "/mnt/x"}, {"id": nfs, "path": "/mnt/x"}]),
            "INVALID_DATA",
            "Multiple shares cannot be mounted to the same path.".to_string(),
        ),
        (
            json!([{"id": unknown, "path": "mnt/x"}]),
            "INVALID_DATA",
            "Paths must be absolute Linux paths starting with \"/\" and may not contain nulls.".to_string(),
        ),
    ];
    for version in ["v1.1", "v2"] {
        let root = api.root(version, &b.project);
        let (vkey, update) = if version == "v1.1" {
            ("hadoop_version", Method::PUT)
        } else {
            ("plugin_version", Method::PATCH)
        };
        let tag = sahara_tests::unique_id();
        let tag = &tag[..8];
        let shares = json!([{"id": nfs, "path": "/mnt/nfs", "access_level": "ro"}]);
        let ngt = api
            .ok(
                &b,
                Method::POST,
                &format!("{root}/node-group-templates"),
                Some(
                    json!({"name": format!("shares-{tag}"), "plugin_name": "fake", vkey: "0.1", "flavor_id": "42",
                            "node_processes": ["datanode"], "shares": shares}),
                ),
            )
            .await;
        assert_eq!(ngt["node_group_template"]["shares"], shares, "{version}: {ngt}");
        let ngt_id = ngt["node_group_template"]["id"].as_str().expect("ngt id").to_string();
        let ct = api
            .ok(
                &b,
                Method::POST,
                &format!("{root}/cluster-templates"),
                Some(
                    json!({"name": format!("shares-ct-{tag}"), "plugin_name": "fake", vkey: "0.1",
                            "shares": [{"id": nfs}]}),
                ),
            )
            .await;
        assert_eq!(
            ct["cluster_template"]["shares"][0]["id"],
            nfs.as_str(),
            "{version}: {ct}"
        );
        let ct_id = ct["cluster_template"]["id"].as_str().expect("ct id").to_string();
        for (shares, name, text) in &refused {
            let attempts = [
                (
                    Method::POST,
                    format!("{root}/node-group-templates"),
                    json!({"name": format!("refused-{tag}"), "plugin_name": "fake", vkey: "0.1", "flavor_id": "42",
                           "node_processes": ["datanode"], "shares": shares}),
                ),
                (
                    Method::POST,
                    format!("{root}/cluster-templates"),
                    json!({"name": format!("refused-ct-{tag}"), "plugin_name": "fake", vkey: "0.1", "shares": shares}),
                ),
                (
                    update.clone(),
                    format!("{root}/node-group-templates/{ngt_id}"),
                    json!({"shares": shares}),
                ),
                (
                    update.clone(),
                    format!("{root}/cluster-templates/{ct_id}"),
                    json!({"shares": shares}),
                ),
            ];
            for (method, url, body) in attempts {
                let (status, answer) = api.call(&b, method.clone(), &url, Some(body)).await;
                assert_eq!(
                    (
                        status,
                        answer["error_name"].as_str().unwrap_or_default(),
                        message(&answer)
                    ),
                    (400, *name, text.as_str()),
                    "{version} {method} {url} {shares}: {answer}"
                );
            }
        }
        // The refused updates changed nothing.
        let kept = api
            .ok(&b, Method::GET, &format!("{root}/node-group-templates/{ngt_id}"), None)
            .await;
        assert_eq!(kept["node_group_template"]["shares"], shares, "{version}: {kept}");
    }
    // A shares its own share.
    let root = api.root("v2", &a.project);
    api.ok(
        &a,
        Method::POST,
        &format!("{root}/node-group-templates"),
        Some(
            json!({"name": "a-shares", "plugin_name": "fake", "plugin_version": "0.1", "flavor_id": "42",
                    "node_processes": ["datanode"], "shares": [{"id": a_nfs}]}),
        ),
    )
    .await;
    stack.stop_sahara();
    let log = std::fs::read_to_string(&stack.log_path).unwrap_or_default();
    assert!(!log.contains(&b.token), "a token is in sahara-all's log");
}

/// A job binary of `user`'s pointing at `url` with `extra` (Swift credentials, as Sahara asks for them without
/// proxy users, or S3 keys), made through v2; answers its id (the answer must not carry `extra`).
async fn job_binary(api: &Api, user: &User, name: &str, url: &str, extra: &Value) -> String {
    let jb = api
        .ok(
            user,
            Method::POST,
            &format!("{}/v2/job-binaries", api.url),
            Some(json!({"name": name, "url": url, "extra": extra})),
        )
        .await;
    assert!(jb["job_binary"].get("extra").is_none(), "{jb}");
    jb["job_binary"]["id"].as_str().expect("job binary id").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_job_binaries_are_read_with_their_own_keys() {
    use sahara_openstack::s3::{S3Client, S3Credentials};
    use sahara_testcloud::sim::api::s3;
    init_tracing();
    // At debug level, so that the log shows whether anything logs the secret key.
    let mut stack = Stack::start("jbs3", |conf| {
        conf.replacen("[DEFAULT]\n", "[DEFAULT]\njob_binary_max_KB = 1\ndebug = True\n", 1)
    })
    .await;
    let accounts = make_accounts(&stack.admin, &stack.prefix.to_string(), &[("alice", "member")]).await;
    let a = user(&stack, &accounts[0], "A").await;
    let api = api(&stack);

    // The objects, put into the test cloud's S3 with its keys: a script with every byte value, a 2 KiB jar.
    let endpoint = s3::endpoint(&stack.running.simulator_url);
    let store = S3Client::new(&endpoint, S3Credentials::new(s3::ACCESS_KEY, s3::SECRET_KEY)).expect("S3 client");
    store.create_bucket("edp").await.expect("create bucket");
    let script: Vec<u8> = b"A = LOAD 'x';\n".iter().copied().chain(0..=255u8).collect();
    store
        .put_object("edp", "dir/script~1+c.pig", script.clone(), None)
        .await
        .expect("put script");
    store
        .put_object("edp", "big.jar", vec![7u8; 2048], Some("application/java-archive"))
        .await
        .expect("put jar");

    let keys = json!({"accesskey": s3::ACCESS_KEY, "secretkey": s3::SECRET_KEY, "endpoint": endpoint});
    let with = |field: &str, value: &str| {
        let mut extra = keys.clone();
        extra[field] = json!(value);
        extra
    };
    let script_url = "s3://edp/dir/script~1+c.pig";
    let good = job_binary(&api, &a, "script.pig", script_url, &keys).await;
    let big = job_binary(&api, &a, "big.jar", "s3://edp/big.jar", &keys).await;
    let missing = job_binary(&api, &a, "missing.pig", "s3://edp/missing.pig", &keys).await;
    let no_bucket = job_binary(&api, &a, "nobucket.pig", "s3://nobucket/x.pig", &keys).await;
    let wrong_secret = job_binary(
        &api,
        &a,
        "wrong-secret.pig",
        script_url,
        &with("secretkey", "not-the-secret"),
    )
    .await;
    let wrong_access = job_binary(&api, &a, "wrong-access.pig", script_url, &with("accesskey", "NOTAKEY")).await;
    // botocore refuses an endpoint without a scheme when the client is made.
    let bare = endpoint.trim_start_matches("http://").to_string();
    let no_scheme = job_binary(&api, &a, "no-scheme.pig", script_url, &with("endpoint", &bare)).await;

    for root in [format!("{}/v2", api.url), format!("{}/v1.1/{}", api.url, a.project)] {
        // The object, byte for byte.
        let resp = api
            .http
            .get(format!("{root}/job-binaries/{good}/data"))
            .header("X-Auth-Token", &a.token)
            .send()
            .await
            .expect("data");
        assert_eq!(resp.status().as_u16(), 200, "{root}");
        assert_eq!(resp.bytes().await.unwrap().as_ref(), script.as_slice(), "{root}");
        // Bigger than `job_binary_max_KB`: refused after HEAD, before it is read.
        let (status, body) = api
            .call(&a, Method::GET, &format!("{root}/job-binaries/{big}/data"), None)
            .await;
        assert_eq!((status, &body["error_name"]), (400, &json!("DATA_TOO_BIG")), "{body}");
        assert_eq!(
            message(&body),
            "Size of S3 object (2.0KB) is greater than maximum (1KB)"
        );
        // A missing object or bucket, a wrong secret or access key: S3 refuses, Sahara says only this.
        for (what, id) in [
            ("missing object", &missing),
            ("missing bucket", &no_bucket),
            ("wrong secret key", &wrong_secret),
            ("wrong access key", &wrong_access),
        ] {
            let (status, body) = api
                .call(&a, Method::GET, &format!("{root}/job-binaries/{id}/data"), None)
                .await;
            assert_eq!(
                (status, &body["error_name"]),
                (400, &json!("S3_CLIENT_EXCEPTION")),
                "{what}: {body}"
            );
            assert_eq!(message(&body), "Couldn't get object from s3", "{what}");
        }
        let (status, body) = api
            .call(&a, Method::GET, &format!("{root}/job-binaries/{no_scheme}/data"), None)
            .await;
        assert_eq!(
            (status, &body["error_name"]),
            (400, &json!("S3_CLIENT_EXCEPTION")),
            "{body}"
        );
        assert_eq!(message(&body), "Couldn't create boto client");
    }

    // Create-time checks of `S3Type.validate`.
    let jbs = format!("{}/v2/job-binaries", api.url);
    for (url, extra, name, msg) in [
        (
            "s3://edp",
            keys.clone(),
            "BAD_JOB_BINARY",
            "URL for binary in S3 must specify an object not a bucket",
        ),
        (
            "S3://edp/x.pig",
            keys.clone(),
            "BAD_JOB_BINARY",
            "URL for binary in S3 must start with s3://",
        ),
        (
            "s3://edp/x.pig",
            with("ssl", "true"),
            "INVALID_DATA",
            "Configs 'accesskey', 'secretkey', and 'endpoint' must be provided.",
        ),
        (
            "s3://edp/x.pig",
            json!({"accesskey": "a", "secretkey": "s"}),
            "INVALID_DATA",
            "Configs 'accesskey', 'secretkey', and 'endpoint' must be provided.",
        ),
    ] {
        let (status, body) = api
            .call(
                &a,
                Method::POST,
                &jbs,
                Some(json!({"name": "refused", "url": url, "extra": extra})),
            )
            .await;
        assert_eq!((status, &body["error_name"]), (400, &json!(name)), "{url}: {body}");
        assert_eq!(message(&body), msg, "{url}");
    }

    // The secret key is never answered (the binary, the list, a job template using it) nor logged.
    let shown = api.ok(&a, Method::GET, &format!("{jbs}/{good}"), None).await;
    let listed = api.ok(&a, Method::GET, &jbs, None).await;
    let job = api
        .ok(
            &a,
            Method::POST,
            &format!("{}/v2/job-templates", api.url),
            Some(json!({"name": "s3-pig", "type": "Pig", "mains": [good]})),
        )
        .await;
    for answer in [&shown, &listed, &job] {
        let text = answer.to_string();
        assert!(
            !text.contains(s3::SECRET_KEY) && !text.contains("not-the-secret"),
            "{text}"
        );
    }
    assert_eq!(job["job_template"]["mains"][0]["id"], json!(good), "{job}");
    stack.stop_sahara();
    let log = std::fs::read_to_string(&stack.log_path).unwrap_or_default();
    assert!(log.contains("Couldn't get object from s3"), "the causes are logged");
    assert!(
        !log.contains(s3::SECRET_KEY) && !log.contains("not-the-secret"),
        "a secret key is in sahara-all's log"
    );
}
