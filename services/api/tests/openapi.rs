//! The v2 OpenAPI document against the router: served without authentication at `/v2/openapi.json`; every route of
//! the v2 tables is in it with the same methods, and every documented operation is answered by the router (probed
//! with a microversion v2 does not serve, which only a matched route answers 406), while the methods a documented
//! path does not list are refused 405. And the answers themselves: every v2 resource made, read, listed, changed,
//! exported and deleted through the router over a real conductor on SQLite, with what the engine would write
//! (instances, provision steps and events, a verification, a running job's details) and secrets in every hidden
//! place (credentials, `extra`, trust id, proxy configs, job config passwords), each answer validated against the
//! schema the document gives its status (`$ref`s inlined, shared/validation's validator), no answer carrying a
//! secret, and every documented success status of every operation but the images' (which need Glance) seen; the
//! image view is checked against its schema directly.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use sahara_api::openapi::{self, OPERATIONS};
use sahara_api::{ApiState, router};
use sahara_rpc::RequestContext;
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use tower::ServiceExt;

const PROJECT: &str = "3f3cbd8f9c8b4e3a9a7e0b1f6d2c4a10";

async fn send(state: &ApiState, method: &Method, path: &str, identity: bool) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("OpenStack-API-Version", "data-processing 9.9");
    if identity {
        req = req
            .header("x-tenant-id", PROJECT)
            .header("x-user-id", "u1")
            .header("x-roles", "admin");
    }
    let resp = router(state.clone())
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = resp.status();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn state() -> ApiState {
    common::without_conductor(&common::conf(""))
}

/// `/clusters/{id}` with every parameter filled.
fn concrete(path: &str) -> String {
    let filled: Vec<String> = path
        .split('/')
        .map(|seg| match seg {
            "{plugin_name}" => "fake".to_string(),
            "{version}" => "0.1".to_string(),
            "{job_type}" => "Pig".to_string(),
            s if s.starts_with('{') => "0b5a0a3e-8b8a-4d41-9cf1-5a3c3c7a2f10".to_string(),
            s => s.to_string(),
        })
        .collect();
    format!("/v2{}", filled.join("/"))
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys().filter(|k| *k != "parameters") {
            ops.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn the_document_is_public_and_openapi_3_1() {
    let (status, doc) = send(&state(), &Method::GET, openapi::PATH, false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["servers"][0]["url"], "/v2");
    let ids: Vec<&Value> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| {
            item.as_object()
                .unwrap()
                .values()
                .filter_map(|op| op.get("operationId"))
        })
        .collect();
    let unique: BTreeSet<&str> = ids.iter().filter_map(|v| v.as_str()).collect();
    assert_eq!(unique.len(), ids.len(), "operation ids are unique");
}

#[tokio::test]
async fn every_v2_route_is_documented_and_nothing_else() {
    let (_, doc) = send(&state(), &Method::GET, openapi::PATH, false).await;
    let routes: BTreeSet<(String, String)> = openapi::v2_routes()
        .iter()
        .map(|r| (r.method.as_str().to_string(), r.rule.to_string()))
        .collect();
    assert_eq!(routes.len(), 52, "§1c: /v2 exposes 52 routes");
    assert_eq!(documented(&doc), routes);
    // The hand-written part (bodies, queries, answers) names exactly the routes of the tables.
    let described: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|o| (o.method.to_string(), o.rule.to_string()))
        .collect();
    assert_eq!(described.len(), OPERATIONS.len(), "no route is described twice");
    assert_eq!(described, routes);
    for r in openapi::v2_routes() {
        let op = &doc["paths"][r.rule][r.method.as_str().to_ascii_lowercase()];
        assert_eq!(op["x-policy"], r.policy, "{} {}", r.method, r.rule);
        assert!(
            op["responses"].get(r.status.as_str()).is_some(),
            "{} {} documents its success status {}",
            r.method,
            r.rule,
            r.status
        );
    }
}

#[tokio::test]
async fn the_router_answers_every_documented_operation_and_refuses_the_rest() {
    let state = state();
    let (_, doc) = send(&state, &Method::GET, openapi::PATH, false).await;
    let ops = documented(&doc);
    let paths: BTreeSet<&String> = ops.iter().map(|(_, p)| p).collect();
    for path in paths {
        let url = concrete(path);
        for method in [Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE] {
            let (status, body) = send(&state, &method, &url, true).await;
            if ops.contains(&(method.to_string(), path.clone())) {
                assert_eq!(status, StatusCode::NOT_ACCEPTABLE, "{method} {url}: {body}");
                assert_eq!(body["error_name"], "NOT_ACCEPTABLE", "{method} {url}");
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {url} is not documented: {body}"
                );
            }
        }
    }
}

/// Put in every hidden place; no answer may carry it.
const SECRET: &str = "s3cr3t-never-answered";
const IMAGE: &str = "11111111-2222-3333-4444-555555555555";
const NET: &str = "66666666-7777-8888-9999-000000000000";

/// `v` with every `$ref` replaced by (the resolved form of) what it points to in `doc`.
fn resolve(doc: &Value, v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                let target = r
                    .strip_prefix('#')
                    .and_then(|p| doc.pointer(p))
                    .unwrap_or_else(|| panic!("{r} does not resolve"));
                return resolve(doc, target);
            }
            Value::Object(m.iter().map(|(k, x)| (k.clone(), resolve(doc, x))).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| resolve(doc, x)).collect()),
        other => other.clone(),
    }
}

/// What `instance` breaks of `schema` (a resolved schema), one line per error.
fn violations(schema: &Value, instance: &Value) -> Vec<String> {
    sahara_validation::iter_errors(schema, instance)
        .unwrap_or_else(|e| panic!("the validator gave up: {e:?}"))
        .into_iter()
        .map(|e| {
            let path: Vec<String> = e
                .path
                .iter()
                .map(|p| match p {
                    sahara_validation::PathElem::Key(k) => k.clone(),
                    sahara_validation::PathElem::Index(i) => i.to_string(),
                })
                .collect();
            format!("/{}: {}", path.join("/"), e.message)
        })
        .collect()
}

/// The router's v2 answers checked against the document as they come.
struct Conformance {
    state: ApiState,
    doc: Value,
    /// `(method, rule, status)` of every answer checked.
    seen: BTreeSet<(String, String, u16)>,
    failures: Vec<String>,
}

impl Conformance {
    /// `method /v2<path>` (a path of `rule`) as the project's admin; its answer checked against what the document
    /// says of `rule`, `method` and the status.
    async fn call(&mut self, method: Method, rule: &str, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let req = Request::builder()
            .method(method.clone())
            .uri(format!("/v2{path}"))
            .header("x-tenant-id", PROJECT)
            .header("x-user-id", "u1")
            .header("x-roles", "admin");
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .unwrap();
        let resp = router(self.state.clone()).oneshot(req).await.unwrap();
        let status = resp.status();
        let content_type = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let what = format!("{method} /v2{path} ({status})");
        if String::from_utf8_lossy(&bytes).contains(SECRET) {
            self.failures.push(format!(
                "{what}: a secret is answered: {}",
                String::from_utf8_lossy(&bytes)
            ));
        }
        let op = &self.doc["paths"][rule][method.as_str().to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {rule} is not documented");
        let documented = resolve(&self.doc, &op["responses"][status.as_str()]);
        let mut answer = Value::Null;
        if documented.is_null() {
            self.failures.push(format!(
                "{what}: status not documented: {}",
                String::from_utf8_lossy(&bytes)
            ));
        } else if let Some(schema) = documented.pointer("/content/application~1json/schema") {
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(v) => {
                    for line in violations(schema, &v) {
                        self.failures.push(format!("{what}: {line}\n  answer: {v}"));
                    }
                    answer = v;
                }
                Err(e) => self.failures.push(format!("{what}: not JSON ({e})")),
            }
        } else if documented.pointer("/content/application~1octet-stream").is_some() {
            if content_type.as_deref() != Some("application/octet-stream") {
                self.failures.push(format!("{what}: content type {content_type:?}"));
            }
        } else if !bytes.is_empty() {
            self.failures
                .push(format!("{what}: a body where none is documented: {bytes:?}"));
        }
        self.seen
            .insert((method.to_string(), rule.to_string(), status.as_u16()));
        (status, answer)
    }

    /// [`Conformance::call`], which must answer `expected`; the answer's `<key>.id`.
    async fn id(
        &mut self,
        method: Method,
        rule: &str,
        path: &str,
        body: Value,
        expected: StatusCode,
        key: &str,
    ) -> String {
        let (status, answer) = self.call(method, rule, path, Some(body)).await;
        assert_eq!(status, expected, "{path}: {answer}");
        answer[key]["id"].as_str().unwrap().to_string()
    }

    /// [`Conformance::call`], which must answer `expected`.
    async fn expect(
        &mut self,
        method: Method,
        rule: &str,
        path: &str,
        body: Option<Value>,
        expected: StatusCode,
    ) -> Value {
        let (status, answer) = self.call(method.clone(), rule, path, body).await;
        assert_eq!(status, expected, "{method} {path}: {answer}");
        answer
    }
}

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// A bucket that answers every object with the same bytes (what the S3 job binary's data reads).
async fn s3_stand_in() -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(|| async {
        let body = "A = LOAD '$INPUT';";
        ([(header::CONTENT_LENGTH, body.len().to_string())], body)
    });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}"), server)
}

#[tokio::test]
async fn every_v2_answer_conforms_to_the_document_and_hides_its_secrets() {
    let h = common::with_conductor(&common::conf("")).await;
    let (engine, _casts) = common::stand_in_engine(&h.transport, "openapi-engine").await;
    let (s3_endpoint, s3) = s3_stand_in().await;
    let ctx = RequestContext::for_user("u1", PROJECT);
    let conductor = h.state.conductor.clone();
    let doc = openapi::document(&h.state.plugins.all_versions());
    let mut c = Conformance {
        state: h.state.clone(),
        doc: doc.clone(),
        seen: BTreeSet::new(),
        failures: Vec::new(),
    };
    use Method as M;
    use StatusCode as S;

    // Plugins: the defaults, then stored labels.
    c.expect(M::GET, "/plugins", "/plugins", None, S::OK).await;
    c.expect(M::GET, "/plugins/{plugin_name}", "/plugins/fake", None, S::OK)
        .await;
    c.expect(
        M::GET,
        "/plugins/{plugin_name}/{version}",
        "/plugins/fake/0.1",
        None,
        S::OK,
    )
    .await;
    c.expect(M::GET, "/plugins/{plugin_name}", "/plugins/nope", None, S::NOT_FOUND)
        .await;
    let labels = json!({"plugin_labels": {"hidden": {"status": false}}});
    c.expect(
        M::PATCH,
        "/plugins/{plugin_name}",
        "/plugins/fake",
        Some(labels),
        S::ACCEPTED,
    )
    .await;
    c.expect(
        M::GET,
        "/plugins/{plugin_name}/{version}",
        "/plugins/fake/0.1",
        None,
        S::OK,
    )
    .await;
    c.expect(M::GET, "/plugins", "/plugins", None, S::OK).await;

    // Node group templates: a bare one (a create answer leaves out what was not set) and a full one.
    let ngts = "/node-group-templates";
    let ngt = "/node-group-templates/{id}";
    let worker = c
        .id(
            M::POST,
            ngts,
            ngts,
            json!({"name": "worker", "flavor_id": 42, "plugin_name": "fake", "plugin_version": "0.1",
                   "node_processes": ["datanode", "tasktracker"]}),
            S::ACCEPTED,
            "node_group_template",
        )
        .await;
    let spare = c
        .id(
            M::POST,
            ngts,
            ngts,
            json!({"name": "spare", "description": "all set", "flavor_id": "42", "image_id": IMAGE,
                   "plugin_name": "fake", "plugin_version": "0.1", "node_processes": ["namenode"],
                   "node_configs": {"general": {"Timeout for disk preparing": 600}}, "volumes_per_node": 2, "volumes_size": 10,
                   "volume_mount_prefix": "/volumes/disk", "floating_ip_pool": NET, "security_groups": ["default"],
                   "auto_security_group": false, "availability_zone": "nova", "is_proxy_gateway": false,
                   "volume_local_to_instance": false, "use_autoconfig": true, "is_public": true,
                   "is_protected": false}),
            S::ACCEPTED,
            "node_group_template",
        )
        .await;
    let shares = json!({"shares": [{"id": "share-1", "path": "/mnt/share", "access_level": "ro"}, {"id": "share-2"}]});
    conductor
        .node_group_template_update(&ctx, &spare, obj(shares.clone()), false)
        .await
        .unwrap();
    c.expect(M::GET, ngt, &format!("{ngts}/{spare}"), None, S::OK).await;
    c.expect(M::GET, ngt, &format!("{ngts}/{worker}"), None, S::OK).await;
    c.expect(M::GET, ngts, ngts, None, S::OK).await;
    let page = c.expect(M::GET, ngts, &format!("{ngts}?limit=1"), None, S::OK).await;
    assert!(page["markers"]["next"].is_string(), "{page}");
    c.expect(
        M::GET,
        ngts,
        &format!("{ngts}?plugin_version=0.1&name=worker"),
        None,
        S::OK,
    )
    .await;
    c.expect(M::GET, ngts, &format!("{ngts}?sort_by=flavor"), None, S::BAD_REQUEST)
        .await;
    c.expect(
        M::PATCH,
        ngt,
        &format!("{ngts}/{worker}"),
        Some(json!({"description": "d"})),
        S::ACCEPTED,
    )
    .await;
    for id in [&worker, &spare] {
        c.expect(
            M::GET,
            "/node-group-templates/{id}/export",
            &format!("{ngts}/{id}/export"),
            None,
            S::OK,
        )
        .await;
    }
    c.expect(M::GET, ngt, &format!("{ngts}/{IMAGE}"), None, S::NOT_FOUND)
        .await;

    // Cluster templates, with node groups from a template and written out.
    let cts = "/cluster-templates";
    let ct_rule = "/cluster-templates/{id}";
    let ct_body = |name: &str| {
        json!({"name": name, "plugin_name": "fake", "plugin_version": "0.1",
               "cluster_configs": {"general": {"Enable NTP service": false}},
               "node_groups": [{"name": "worker", "node_group_template_id": worker, "count": 2},
                               {"name": "master", "flavor_id": "42", "count": 1,
                                "node_processes": ["namenode", "jobtracker"]}]})
    };
    let ct = c
        .id(M::POST, cts, cts, ct_body("ct"), S::ACCEPTED, "cluster_template")
        .await;
    let ct_spare = c
        .id(M::POST, cts, cts, ct_body("spare"), S::ACCEPTED, "cluster_template")
        .await;
    conductor
        .cluster_template_update(&ctx, &ct_spare, obj(shares.clone()), false)
        .await
        .unwrap();
    c.expect(M::GET, ct_rule, &format!("{cts}/{ct}"), None, S::OK).await;
    c.expect(M::GET, ct_rule, &format!("{cts}/{ct_spare}"), None, S::OK)
        .await;
    c.expect(M::GET, cts, &format!("{cts}?limit=1"), None, S::OK).await;
    c.expect(M::GET, cts, cts, None, S::OK).await;
    c.expect(
        M::PATCH,
        ct_rule,
        &format!("{cts}/{ct}"),
        Some(json!({"description": "d", "is_public": true})),
        S::ACCEPTED,
    )
    .await;
    c.expect(
        M::GET,
        "/cluster-templates/{id}/export",
        &format!("{cts}/{ct}/export"),
        None,
        S::OK,
    )
    .await;

    // Clusters: one, then two at once; then what the engine writes, and secrets where the views hide them.
    let cl = "/clusters";
    let cl_rule = "/clusters/{id}";
    let cluster = |name: &str| {
        json!({"name": name, "plugin_name": "fake", "plugin_version": "0.1", "cluster_template_id": ct,
               "default_image_id": IMAGE, "neutron_management_network": NET})
    };
    let c1 = c.id(M::POST, cl, cl, cluster("c1"), S::ACCEPTED, "cluster").await;
    let mut many = cluster("many");
    many["count"] = json!(2);
    let (status, created) = c.call(M::POST, cl, cl, Some(many)).await;
    assert_eq!(status, S::ACCEPTED, "{created}");
    let c2 = created["clusters"][0]["cluster"]["id"].as_str().unwrap().to_string();
    let active = json!({"status": "Active", "sahara_info": {"infrastructure_engine": "heat.3.0"}});
    conductor.cluster_update(&ctx, &c1, obj(active)).await.unwrap();
    c.expect(
        M::PUT,
        cl_rule,
        &format!("{cl}/{c1}"),
        Some(json!({"resize_node_groups": [{"name": "worker", "count": 3}],
                    "add_node_groups": [{"name": "more", "node_group_template_id": worker, "count": 1}]})),
        S::ACCEPTED,
    )
    .await;
    let secrets = json!({
        "trust_id": SECRET,
        "management_private_key": SECRET,
        "extra": {"heat_stack_name": "c1-stack", "password": SECRET},
        "rollback_info": {"shutdown": SECRET},
        "sahara_info": {"infrastructure_engine": "heat.3.0", "secret": SECRET},
        "cluster_configs": {"general": {"Enable NTP service": false}, "proxy_configs": {"proxy_password": SECRET}},
        "info": {"HDFS": {"Web UI": "http://10.0.0.5:50070"}},
        "status": "Active",
        "status_description": "",
        "user_keypair_id": "key",
        "anti_affinity": ["datanode"],
        "shares": shares["shares"],
    });
    let with_secrets = conductor.cluster_update(&ctx, &c1, obj(secrets)).await.unwrap();
    let ng = &with_secrets.node_groups[0];
    let instance = conductor
        .instance_add(
            &ctx,
            &ng.id,
            obj(
                json!({"instance_id": "nova-1", "instance_name": "c1-worker-001", "internal_ip": "10.0.0.5",
                       "management_ip": "172.24.4.5", "volumes": [SECRET], "storage_devices_number": 1,
                       "dns_hostname": "c1-worker-001.example.org"}),
            ),
        )
        .await
        .unwrap();
    conductor
        .node_group_update(
            &ctx,
            &ng.id,
            obj(json!({"image_username": SECRET, "open_ports": [SECRET], "shares": shares["shares"]})),
        )
        .await
        .unwrap();
    let step = conductor
        .cluster_provision_step_add(
            &ctx,
            &c1,
            obj(
                json!({"step_name": "Wait for instance accessibility", "step_type": "Engine: create cluster",
                       "total": 2}),
            ),
        )
        .await
        .unwrap();
    for (name, info, ok) in [
        ("c1-worker-001", Value::Null, true),
        ("c1-worker-002", json!("Node c1-worker-002 is unreachable"), false),
    ] {
        conductor
            .cluster_event_add(
                &ctx,
                &step,
                obj(
                    json!({"node_group_id": ng.id, "instance_id": instance, "instance_name": name,
                           "event_info": info, "successful": ok}),
                ),
            )
            .await
            .unwrap();
    }
    let verification = conductor
        .cluster_verification_add(&ctx, &c1, obj(json!({"status": "GREEN"})))
        .await
        .unwrap();
    conductor
        .cluster_health_check_add(
            &ctx,
            &verification.id,
            obj(json!({"status": "GREEN", "name": "Basic cluster health check", "description": "fine"})),
        )
        .await
        .unwrap();
    let got = c.expect(M::GET, cl_rule, &format!("{cl}/{c1}"), None, S::OK).await;
    assert!(got["cluster"]["verification"]["checks"][0].is_object(), "{got}");
    assert_eq!(
        got["cluster"]["node_groups"][0]["instances"][0]["id"],
        json!(instance),
        "{got}"
    );
    let got = c
        .expect(M::GET, cl_rule, &format!("{cl}/{c1}?show_progress=true"), None, S::OK)
        .await;
    assert!(
        got["cluster"]["provision_progress"][0]["events"][0].is_object(),
        "{got}"
    );
    c.expect(M::GET, cl_rule, &format!("{cl}/{c2}"), None, S::OK).await;
    c.expect(M::GET, cl, cl, None, S::OK).await;
    c.expect(M::GET, cl, &format!("{cl}?limit=1&plugin_name=fake"), None, S::OK)
        .await;
    c.expect(
        M::PATCH,
        cl_rule,
        &format!("{cl}/{c1}"),
        Some(json!({"description": "d", "is_public": true})),
        S::ACCEPTED,
    )
    .await;
    c.expect(
        M::PATCH,
        cl_rule,
        &format!("{cl}/{c1}"),
        Some(json!({"update_keypair": true})),
        S::ACCEPTED,
    )
    .await;

    // Data sources, one with credentials.
    let dss = "/data-sources";
    let ds_rule = "/data-sources/{id}";
    let input = c
        .id(
            M::POST,
            dss,
            dss,
            json!({"name": "in", "description": "input", "type": "swift", "url": "swift://data/in",
                   "credentials": {"user": "demo", "password": SECRET}}),
            S::ACCEPTED,
            "data_source",
        )
        .await;
    let output = c
        .id(
            M::POST,
            dss,
            dss,
            json!({"name": "out", "type": "hdfs", "url": "hdfs://namenode/out"}),
            S::ACCEPTED,
            "data_source",
        )
        .await;
    let ds_spare = c
        .id(
            M::POST,
            dss,
            dss,
            json!({"name": "spare", "type": "hdfs", "url": "/user/spare"}),
            S::ACCEPTED,
            "data_source",
        )
        .await;
    c.expect(M::GET, ds_rule, &format!("{dss}/{input}"), None, S::OK).await;
    c.expect(M::GET, dss, dss, None, S::OK).await;
    c.expect(M::GET, dss, &format!("{dss}?type=hdfs&limit=1"), None, S::OK)
        .await;
    c.expect(
        M::PATCH,
        ds_rule,
        &format!("{dss}/{input}"),
        Some(json!({"description": "the input", "credentials": {"user": "demo", "password": SECRET}})),
        S::ACCEPTED,
    )
    .await;

    // Job binaries: Swift and S3 ones (credentials in `extra`), the S3 one's data read.
    let jbs = "/job-binaries";
    let jb_rule = "/job-binaries/{id}";
    let main = c
        .id(
            M::POST,
            jbs,
            jbs,
            json!({"name": "main.pig", "description": "the script", "url": "swift://scripts/main.pig",
                   "extra": {"user": "demo", "password": SECRET}}),
            S::ACCEPTED,
            "job_binary",
        )
        .await;
    let lib = c
        .id(
            M::POST,
            jbs,
            jbs,
            json!({"name": "lib.jar", "url": "s3://jars/lib.jar",
                   "extra": {"accesskey": "AK", "secretkey": SECRET, "endpoint": s3_endpoint}}),
            S::ACCEPTED,
            "job_binary",
        )
        .await;
    let jb_spare = c
        .id(
            M::POST,
            jbs,
            jbs,
            json!({"name": "spare.jar", "url": "swift://scripts/spare.jar",
                   "extra": {"user": "demo", "password": SECRET}}),
            S::ACCEPTED,
            "job_binary",
        )
        .await;
    c.expect(M::GET, jb_rule, &format!("{jbs}/{main}"), None, S::OK).await;
    c.expect(M::GET, jbs, jbs, None, S::OK).await;
    c.expect(M::GET, jbs, &format!("{jbs}?name=lib.jar&limit=1"), None, S::OK)
        .await;
    c.expect(
        M::PATCH,
        jb_rule,
        &format!("{jbs}/{lib}"),
        Some(
            json!({"description": "a library", "extra": {"accesskey": "AK", "secretkey": SECRET,
                                                           "endpoint": s3_endpoint}}),
        ),
        S::ACCEPTED,
    )
    .await;
    c.expect(
        M::GET,
        "/job-binaries/{id}/data",
        &format!("{jbs}/{lib}/data"),
        None,
        S::OK,
    )
    .await;

    // Job templates, config hints, job types.
    let jts = "/job-templates";
    let jt_rule = "/job-templates/{id}";
    let pig = c
        .id(
            M::POST,
            jts,
            jts,
            json!({"name": "pig", "description": "a pig job", "type": "Pig", "mains": [main], "libs": [lib],
                   "interface": [{"name": "Reducers", "mapping_type": "configs", "location": "mapred.reduce.tasks",
                                  "value_type": "number", "required": false, "default": "1"},
                                 {"name": "Out", "mapping_type": "args", "location": "0",
                                  "value_type": "string", "required": true, "description": "where"}]}),
            S::ACCEPTED,
            "job_template",
        )
        .await;
    let java = c
        .id(
            M::POST,
            jts,
            jts,
            json!({"name": "java", "type": "Java", "libs": [lib]}),
            S::ACCEPTED,
            "job_template",
        )
        .await;
    c.expect(M::GET, jt_rule, &format!("{jts}/{pig}"), None, S::OK).await;
    c.expect(M::GET, jts, jts, None, S::OK).await;
    c.expect(M::GET, jts, &format!("{jts}?type=Pig&limit=1"), None, S::OK)
        .await;
    c.expect(
        M::PATCH,
        jt_rule,
        &format!("{jts}/{java}"),
        Some(json!({"description": "d", "is_public": true})),
        S::ACCEPTED,
    )
    .await;
    for job_type in [
        "Hive",
        "Java",
        "MapReduce",
        "MapReduce.Streaming",
        "Pig",
        "Shell",
        "Spark",
        "Storm",
        "Storm.Pyleus",
    ] {
        c.expect(
            M::GET,
            "/job-templates/config-hints/{job_type}",
            &format!("{jts}/config-hints/{job_type}"),
            None,
            S::OK,
        )
        .await;
    }
    c.expect(
        M::GET,
        "/job-templates/config-hints/{job_type}",
        &format!("{jts}/config-hints/Nope"),
        None,
        S::NOT_FOUND,
    )
    .await;
    c.expect(M::GET, "/job-types", "/job-types", None, S::OK).await;
    c.expect(M::GET, "/job-types", "/job-types?type=Pig&type=Java", None, S::OK)
        .await;

    // Jobs: run, then what the engine writes (secrets in configs, trusts, proxy configs, extra, action confs).
    let jobs = "/jobs";
    let job_rule = "/jobs/{id}";
    let job = c
        .id(
            M::POST,
            jobs,
            jobs,
            json!({"job_template_id": pig, "cluster_id": c1, "input_id": input, "output_id": output,
                   "job_configs": {"configs": {"fs.swift.service.sahara.password": SECRET,
                                               "fs.s3a.secret.key": SECRET, "mapred.map.tasks": "2"},
                                   "params": {"P": "v"}},
                   "interface": {"Out": "/out"}}),
            S::ACCEPTED,
            "job",
        )
        .await;
    let running = json!({
        "info": {"status": "RUNNING", "actions": [{"name": "pig", "conf": SECRET}, {"name": "end"}]},
        "start_time": "2026-01-02T03:04:05",
        "engine_job_id": "0000001-oozie",
        "return_code": "0",
        "data_source_urls": {input.clone(): "swift://data/in", output.clone(): "hdfs://namenode/out"},
        "extra": {"password": SECRET},
        "job_configs": {"configs": {"fs.swift.service.sahara.username": SECRET,
                                    "fs.swift.service.sahara.password": SECRET,
                                    "fs.s3a.access.key": SECRET, "fs.s3a.secret.key": SECRET},
                        "args": [], "params": {}, "job_execution_info": {},
                        "trusts": {"input_id": SECRET}, "proxy_configs": {"proxy_password": SECRET}},
    });
    conductor.job_execution_update(&ctx, &job, obj(running)).await.unwrap();
    c.expect(M::GET, job_rule, &format!("{jobs}/{job}"), None, S::OK).await;
    c.expect(M::GET, jobs, jobs, None, S::OK).await;
    c.expect(M::GET, jobs, &format!("{jobs}?status=RUNNING&limit=1"), None, S::OK)
        .await;
    c.expect(
        M::PATCH,
        job_rule,
        &format!("{jobs}/{job}"),
        Some(json!({"is_public": true})),
        S::ACCEPTED,
    )
    .await;
    c.expect(M::DELETE, job_rule, &format!("{jobs}/{job}"), None, S::NO_CONTENT)
        .await;

    // Deletes of what nothing uses; a cluster deleted, another forced (its Heat stack's name answered).
    c.expect(M::DELETE, jt_rule, &format!("{jts}/{java}"), None, S::NO_CONTENT)
        .await;
    c.expect(M::DELETE, jb_rule, &format!("{jbs}/{jb_spare}"), None, S::NO_CONTENT)
        .await;
    c.expect(M::DELETE, ds_rule, &format!("{dss}/{ds_spare}"), None, S::NO_CONTENT)
        .await;
    c.expect(M::DELETE, ct_rule, &format!("{cts}/{ct_spare}"), None, S::NO_CONTENT)
        .await;
    c.expect(M::DELETE, ngt, &format!("{ngts}/{spare}"), None, S::NO_CONTENT)
        .await;
    c.expect(M::DELETE, cl_rule, &format!("{cl}/{c1}"), None, S::NO_CONTENT)
        .await;
    let stack = json!({"extra": {"heat_stack_name": "many-1-stack"}});
    conductor.cluster_update(&ctx, &c2, obj(stack)).await.unwrap();
    let forced = c
        .expect(
            M::DELETE,
            cl_rule,
            &format!("{cl}/{c2}"),
            Some(json!({"force": true})),
            S::OK,
        )
        .await;
    assert_eq!(forced, json!({"stack_name": "many-1-stack"}));

    engine.stop().await;
    h.server.stop().await;
    s3.abort();
    // Every success status the document gives an operation was answered and checked (images need Glance: their
    // view is checked below).
    let mut missing = Vec::new();
    for (rule, item) in doc["paths"].as_object().unwrap() {
        if rule.starts_with("/images") {
            continue;
        }
        for (method, op) in item.as_object().unwrap().iter().filter(|(k, _)| *k != "parameters") {
            for status in op["responses"]
                .as_object()
                .unwrap()
                .keys()
                .filter(|s| s.starts_with('2'))
            {
                let key = (method.to_ascii_uppercase(), rule.clone(), status.parse().unwrap());
                if !c.seen.contains(&key) {
                    missing.push(format!("{} {rule} {status}", key.0));
                }
            }
        }
    }
    assert!(missing.is_empty(), "never answered: {missing:?}");
    assert!(
        c.failures.is_empty(),
        "{} answers do not conform:\n{}",
        c.failures.len(),
        c.failures.join("\n")
    );
}

/// The schema of `method rule`'s `status` answer, resolved.
fn answer_schema(doc: &Value, method: &str, rule: &str, status: &str) -> Value {
    let resp = resolve(doc, &doc["paths"][rule][method]["responses"][status]);
    resp.pointer("/content/application~1json/schema")
        .unwrap_or_else(|| panic!("{method} {rule} {status} has no JSON answer"))
        .clone()
}

#[test]
fn the_image_view_conforms_to_the_document() {
    let doc = openapi::document(&["0.1"]);
    let image: sahara_openstack::glance::Image = serde_json::from_value(json!({
        "id": IMAGE, "name": "cirros", "status": "active", "size": 16338944, "min_disk": 0, "min_ram": 0,
        "created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:06Z", "visibility": "public",
        "_sahara_username": "cirros", "_sahara_description": "a test image", "_sahara_tag_fake": "True",
        "_sahara_tag_0.1": "True", "_sahara_tag_old": "False", "checksum": "abc", "disk_format": "qcow2"
    }))
    .unwrap();
    let view = sahara_api::images::image_dict(&image);
    let one = json!({"image": view});
    for (method, rule, status) in [
        ("get", "/images/{id}", "200"),
        ("post", "/images/{id}", "202"),
        ("put", "/images/{id}/tags", "200"),
    ] {
        let schema = answer_schema(&doc, method, rule, status);
        assert_eq!(
            violations(&schema, &one),
            Vec::<String>::new(),
            "{method} {rule}: {one}"
        );
    }
    let bare: sahara_openstack::glance::Image =
        serde_json::from_value(json!({"id": IMAGE, "status": "queued", "_sahara_username": "u"})).unwrap();
    let list = json!({"images": [view, sahara_api::images::image_dict(&bare)]});
    let schema = answer_schema(&doc, "get", "/images", "200");
    assert_eq!(violations(&schema, &list), Vec::<String>::new(), "{list}");
    let tags = answer_schema(&doc, "get", "/images/{id}/tags", "200");
    assert!(violations(&tags, &json!(["fake", "0.1"])).is_empty());
    assert!(violations(&tags, &json!({})).is_empty());
}

#[test]
fn a_hidden_field_or_a_wrong_type_does_not_conform() {
    let doc = openapi::document(&["0.1"]);
    let schema = answer_schema(&doc, "get", "/data-sources/{id}", "200");
    let good = json!({"data_source": {
        "id": "d", "project_id": PROJECT, "name": "in", "description": null, "type": "swift", "url": "swift://c/o",
        "is_public": false, "is_protected": false, "created_at": "2026-01-02T03:04:05", "updated_at": null
    }});
    assert_eq!(violations(&schema, &good), Vec::<String>::new());
    let mut leaked = good.clone();
    leaked["data_source"]["credentials"] = json!({"user": "u", "password": "p"});
    assert!(!violations(&schema, &leaked).is_empty(), "credentials are refused");
    let mut v1 = good.clone();
    v1["data_source"]["tenant_id"] = v1["data_source"]["project_id"].take();
    v1["data_source"].as_object_mut().unwrap().remove("project_id");
    assert!(!violations(&schema, &v1).is_empty(), "v1 names are refused");
    let mut wrong = good.clone();
    wrong["data_source"]["is_public"] = json!("false");
    assert!(
        !violations(&schema, &wrong).is_empty(),
        "a string for a boolean is refused"
    );
    let mut fraction = good;
    fraction["data_source"]["created_at"] = json!("2026-01-02T03:04:05.123456");
    assert!(
        !violations(&schema, &fraction).is_empty(),
        "timestamps have no fraction"
    );
    let job = answer_schema(&doc, "get", "/jobs/{id}", "200");
    let mut answer = json!({"job": {
        "id": "j", "project_id": PROJECT, "job_template_id": "t", "input_id": null, "output_id": null,
        "start_time": null, "end_time": null, "cluster_id": "c", "info": {"status": "PENDING"},
        "engine_job_id": null, "return_code": null,
        "job_configs": {"configs": {"fs.swift.service.sahara.password": ""}, "args": []},
        "data_source_urls": {}, "is_public": false, "is_protected": false, "created_at": "2026-01-02T03:04:05",
        "updated_at": null
    }});
    assert_eq!(violations(&job, &answer), Vec::<String>::new());
    answer["job"]["job_configs"]["configs"]["fs.swift.service.sahara.password"] = json!("pw");
    assert!(
        !violations(&job, &answer).is_empty(),
        "an unblanked password is refused"
    );
    answer["job"]["job_configs"]["configs"]["fs.swift.service.sahara.password"] = json!("");
    answer["job"]["job_configs"]["trusts"] = json!({"input_id": "t"});
    assert!(!violations(&job, &answer).is_empty(), "trusts are refused");
}
