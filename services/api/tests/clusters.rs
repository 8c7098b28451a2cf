//! Clusters and plugin labels through the router, over a real conductor on SQLite and a stand-in engine on
//! `sahara-ops` (it records the casts and answers `get_engine_type_and_version`), checked against what
//! sahara/service/api/v10.py, v2/clusters.py and sahara/service/validations/clusters*.py do (hand-checked against
//! the source: statuses written, cast names and arguments, messages). The cloud checks are skipped here (no
//! service catalog); `tests/cloud.rs` runs them against the local test cloud.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::router;
use sahara_rpc::RpcServer;
use serde_json::{Map, Value, json};
use tower::ServiceExt;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const IMAGE: &str = "11111111-2222-3333-4444-555555555555";
const NET: &str = "66666666-7777-8888-9999-000000000000";

use common::Casts;

/// The stand-in engine of these tests.
async fn engine(transport: &sahara_rpc::Transport) -> (RpcServer, Casts) {
    common::stand_in_engine(transport, "test-engine").await
}

/// Waits (with a deadline) until `n` casts arrived; returns them.
async fn casts_after(casts: &Casts, n: usize) -> Vec<(String, Map<String, Value>)> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        {
            let c = casts.lock().unwrap();
            if c.len() >= n {
                return c.clone();
            }
        }
        assert!(std::time::Instant::now() < deadline, "only {:?}", casts.lock().unwrap());
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

async fn send(app: axum::Router, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", PROJECT)
        .header("x-user-id", "u1")
        .header("x-roles", "admin")
        .header("content-type", "application/json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, v)
}

fn error(v: &Value) -> (String, String) {
    (
        v["error_name"].as_str().unwrap().to_string(),
        v["error_message"]
            .as_str()
            .unwrap()
            .split("\nError ID: ")
            .next()
            .unwrap()
            .to_string(),
    )
}

#[tokio::test]
async fn clusters_are_validated_written_and_cast_as_sahara_does() {
    let h = common::with_conductor(&common::conf("")).await;
    let (_engine, casts) = engine(&h.transport).await;
    let app = || router(h.state.clone());
    let p = |s: &str| format!("/v1.1/{PROJECT}{s}");

    let (st, ngt) = send(
        app(),
        Method::POST,
        &p("/node-group-templates"),
        Some(
            json!({"name": "worker", "flavor_id": "42", "plugin_name": "fake", "hadoop_version": "0.1",
                    "node_processes": ["datanode", "tasktracker"], "auto_security_group": true}),
        ),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{ngt}");
    let ngt_id = ngt["node_group_template"]["id"].as_str().unwrap().to_string();
    let (st, ct) = send(
        app(),
        Method::POST,
        &p("/cluster-templates"),
        Some(json!({"name": "ct", "plugin_name": "fake", "hadoop_version": "0.1",
                    "node_groups": [{"name": "worker", "node_group_template_id": ngt_id, "count": 2},
                                    {"name": "master", "flavor_id": "42", "count": 1,
                                     "node_processes": ["namenode", "jobtracker"]}]})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{ct}");
    let ct_id = ct["cluster_template"]["id"].as_str().unwrap().to_string();
    let cluster = |name: &str| {
        json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1", "cluster_template_id": ct_id,
               "default_image_id": IMAGE, "neutron_management_network": NET})
    };

    // Sahara's validation, in its order and words.
    let (st, e) = send(
        app(),
        Method::POST,
        &p("/clusters"),
        Some(json!({"name": "c", "plugin_name": "fake", "hadoop_version": "0.1", "cluster_template_id": ct_id})),
    )
    .await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            ("NOT_FOUND".into(), "'default_image_id' field is not found".into())
        )
    );
    let mut body = cluster("c");
    body["neutron_management_network"] = Value::Null;
    body.as_object_mut().unwrap().remove("neutron_management_network");
    let (_, e) = send(app(), Method::POST, &p("/clusters"), Some(body)).await;
    assert_eq!(
        error(&e),
        (
            "NOT_FOUND".into(),
            "'neutron_management_network' field is not found".into()
        )
    );
    let mut body = cluster("c");
    body["hadoop_version"] = json!("0.2");
    let (_, e) = send(app(), Method::POST, &p("/clusters"), Some(body)).await;
    assert_eq!(
        error(&e),
        (
            "INVALID_REFERENCE".into(),
            "Requested plugin 'fake' doesn't support version '0.2'".into()
        )
    );
    let mut body = cluster(&"c".repeat(50));
    body["name"] = json!("c".repeat(50));
    let (_, e) = send(app(), Method::POST, &p("/clusters"), Some(body)).await;
    assert_eq!(error(&e).0, "INVALID_DATA", "{e}");
    assert!(error(&e).1.starts_with("Composite hostname "), "{e}");
    assert!(casts.lock().unwrap().is_empty());

    // A create: written, Validating, auto security group ports set, `provision_cluster` cast.
    let (st, c) = send(app(), Method::POST, &p("/clusters"), Some(cluster("c1"))).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{c}");
    let c = &c["cluster"];
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(c["status"], "Validating");
    assert_eq!(c["hadoop_version"], "0.1");
    assert_eq!(c["node_groups"].as_array().unwrap().len(), 2);
    for hidden in ["management_private_key", "extra", "rollback_info", "sahara_info"] {
        assert!(c.get(hidden).is_none(), "{hidden} leaks");
    }
    let got = casts_after(&casts, 1).await;
    assert_eq!(got[0].0, "provision_cluster");
    assert_eq!(got[0].1, Map::from_iter([("cluster_id".to_string(), json!(id))]));
    let (_, e) = send(app(), Method::POST, &p("/clusters"), Some(cluster("c1"))).await;
    assert_eq!(
        error(&e),
        (
            "NAME_ALREADY_EXISTS".into(),
            "Cluster with name 'c1' already exists".into()
        )
    );

    // Multiple: v1 answers bare ids, v2 wrapped clusters; names padded to the count's width.
    let mut body = cluster("m");
    body["count"] = json!(2);
    let (st, m) = send(app(), Method::POST, &p("/clusters/multiple"), Some(body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    assert!(m["clusters"].as_array().unwrap().iter().all(Value::is_string), "{m}");
    let mut body = cluster("n");
    body.as_object_mut().unwrap().remove("hadoop_version");
    body["plugin_version"] = json!("0.1");
    body["count"] = json!(10);
    let (st, m) = send(app(), Method::POST, "/v2/clusters", Some(body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{m}");
    let names: Vec<&str> = m["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["cluster"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"n-01"));
    assert_eq!(names.last(), Some(&"n-10"));
    assert_eq!(m["clusters"][0]["cluster"]["plugin_version"], "0.1");
    assert!(m["clusters"][0]["cluster"].get("project_id").is_some());
    casts_after(&casts, 13).await;

    // Reads.
    let (st, l) = send(app(), Method::GET, &p("/clusters?name=c1"), None).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(l["clusters"].as_array().unwrap().len(), 1);
    let (_, e) = send(app(), Method::GET, &p("/clusters?sort_by=flavor"), None).await;
    assert_eq!(
        error(&e),
        ("BAD_REQUEST".into(), "Unknown field for sorting flavor".into())
    );
    let (st, e) = send(app(), Method::GET, "/v2/clusters?status=Active", None).await;
    assert_eq!(
        (st, error(&e).0.as_str()),
        (StatusCode::BAD_REQUEST, "INVALID_PARAMS_ON_REQUEST")
    );
    let (st, g) = send(
        app(),
        Method::GET,
        &format!("/v2/clusters/{id}?show_progress=true"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{g}");
    assert_eq!(g["cluster"]["project_id"], PROJECT);
    let (st, _) = send(
        app(),
        Method::GET,
        &p("/clusters/00000000-0000-0000-0000-000000000000"),
        None,
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // Update; v2 `update_keypair` is cast and not stored.
    let (st, u) = send(
        app(),
        Method::PATCH,
        &p(&format!("/clusters/{id}")),
        Some(json!({"description": "d"})),
    )
    .await;
    assert_eq!((st, &u["cluster"]["description"]), (StatusCode::ACCEPTED, &json!("d")));
    let (st, u) = send(
        app(),
        Method::PATCH,
        &format!("/v2/clusters/{id}"),
        Some(json!({"update_keypair": true})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{u}");
    let got = casts_after(&casts, 14).await;
    assert_eq!(got[13].0, "update_keypair");

    // Scaling: only Active clusters, made by the engine that scales them.
    let resize = json!({"resize_node_groups": [{"name": "worker", "count": 3}]});
    let (_, e) = send(app(), Method::PUT, &p(&format!("/clusters/{id}")), Some(resize.clone())).await;
    assert_eq!(
        error(&e),
        (
            "INVALID_REFERENCE".into(),
            "Cluster created before Juno release can't be scaled with heat.3.0 engine".into()
        )
    );
    let ctx = sahara_rpc::RequestContext {
        project_id: Some(PROJECT.into()),
        ..Default::default()
    };
    let values = Map::from_iter([("sahara_info".to_string(), json!({"infrastructure_engine": "heat.3.0"}))]);
    h.state.conductor.cluster_update(&ctx, &id, values).await.unwrap();
    let (_, e) = send(app(), Method::PUT, &p(&format!("/clusters/{id}")), Some(resize.clone())).await;
    assert_eq!(
        error(&e),
        (
            "INVALID_REFERENCE".into(),
            "Cluster cannot be scaled not in 'Active' status. Cluster status: Validating".into()
        )
    );
    let values = Map::from_iter([("status".to_string(), json!("Active"))]);
    h.state.conductor.cluster_update(&ctx, &id, values).await.unwrap();
    let (_, e) = send(
        app(),
        Method::PUT,
        &p(&format!("/clusters/{id}")),
        Some(json!({"resize_node_groups": [{"name": "nope", "count": 3}]})),
    )
    .await;
    assert_eq!(
        error(&e),
        (
            "INVALID_REFERENCE".into(),
            "Cluster doesn't contain node group with name 'nope'".into()
        )
    );
    let (st, s) = send(
        app(),
        Method::PUT,
        &format!("/v2/clusters/{id}"),
        Some(json!({"resize_node_groups": [{"name": "worker", "count": 3}],
                    "add_node_groups": [{"name": "extra", "flavor_id": "42", "count": 1,
                                         "node_processes": ["datanode"]}]})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{s}");
    assert_eq!(s["cluster"]["status"], "Validating");
    let groups = s["cluster"]["node_groups"].as_array().unwrap();
    let by_name = |n: &str| groups.iter().find(|g| g["name"] == n).unwrap().clone();
    assert_eq!(
        by_name("extra")["count"],
        0,
        "added with count 0 until the engine scales"
    );
    let got = casts_after(&casts, 15).await;
    let (name, args) = &got[14];
    assert_eq!(name, "provision_scaled_cluster");
    assert_eq!(args["cluster_id"], json!(id));
    let map = args["node_group_id_map"].as_object().unwrap();
    assert_eq!(map[by_name("worker")["id"].as_str().unwrap()], 3);
    assert_eq!(map[by_name("extra")["id"].as_str().unwrap()], 1);
    assert_eq!(map[by_name("master")["id"].as_str().unwrap()], 1);
    assert_eq!(args["node_group_instance_map"], json!({}));

    // Delete: Deleting, then `terminate_cluster`; v2 force answers 200 with the stack name.
    let (st, _) = send(app(), Method::DELETE, &p(&format!("/clusters/{id}")), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let got = casts_after(&casts, 16).await;
    assert_eq!(got[15].0, "terminate_cluster");
    assert_eq!(got[15].1["force"], json!(false));
    let (_, g) = send(app(), Method::GET, &p(&format!("/clusters/{id}")), None).await;
    assert_eq!(g["cluster"]["status"], "Deleting");
    let other = m["clusters"][0]["cluster"]["id"].as_str().unwrap().to_string();
    let values = Map::from_iter([("extra".to_string(), json!({"heat_stack_name": "n-01"}))]);
    h.state.conductor.cluster_update(&ctx, &other, values).await.unwrap();
    let (st, d) = send(
        app(),
        Method::DELETE,
        &format!("/v2/clusters/{other}"),
        Some(json!({"force": true})),
    )
    .await;
    assert_eq!((st, d), (StatusCode::OK, json!({"stack_name": "n-01"})));
    let got = casts_after(&casts, 17).await;
    assert_eq!(got[16].1["force"], json!(true));
    let (st, e) = send(
        app(),
        Method::DELETE,
        &format!("/v2/clusters/{other}"),
        Some(json!({"force": 1})),
    )
    .await;
    assert_eq!(
        (st, error(&e).0.as_str()),
        (StatusCode::BAD_REQUEST, "VALIDATION_ERROR")
    );
}

/// A label update made through another API process (its own label cache, the same conductor) shows in this
/// one's plugin GETs within `FRESH_FOR`, and at once in its checks.
#[tokio::test]
async fn another_process_s_label_update_shows_within_the_cache_s_lifetime() {
    let h = common::with_conductor(&common::conf("")).await;
    let here = || router(h.state.clone());
    let mut other = h.state.clone();
    other.plugin_labels = Default::default();
    let (_, before) = send(here(), Method::GET, "/v2/plugins", None).await;
    assert_eq!(
        before["plugins"][0]["plugin_labels"]["enabled"]["status"], true,
        "{before}"
    );
    let (st, p) = send(
        router(other),
        Method::PATCH,
        "/v2/plugins/fake",
        Some(json!({"plugin_labels": {"enabled": {"status": false}}})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{p}");
    // Checks read the stored states: cluster creation is refused at once.
    let body = json!({"name": "c", "plugin_name": "fake", "plugin_version": "0.1",
                      "default_image_id": IMAGE, "neutron_management_network": NET});
    let (st, e) = send(here(), Method::POST, "/v2/clusters", Some(body)).await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            ("INVALID_REFERENCE".into(), "Plugin fake is not enabled".into())
        )
    );
    tokio::time::sleep(sahara_api::plugins::cache::FRESH_FOR).await;
    for path in ["/v2/plugins", "/v2/plugins/fake", "/v2/plugins/fake/0.1"] {
        let (_, after) = send(here(), Method::GET, path, None).await;
        let labels = if path == "/v2/plugins" {
            &after["plugins"][0]["plugin_labels"]
        } else {
            &after["plugin"]["plugin_labels"]
        };
        assert_eq!(labels["enabled"]["status"], false, "{path}: {after}");
    }
}

#[tokio::test]
async fn plugin_labels_are_stored_and_disable_cluster_creation() {
    let h = common::with_conductor(&common::conf("")).await;
    let (_engine, casts) = engine(&h.transport).await;
    let app = || router(h.state.clone());
    // Read once first: the update must not be hidden by what this process read before it.
    let (_, before) = send(app(), Method::GET, "/v2/plugins/fake", None).await;
    assert_eq!(before["plugin"]["plugin_labels"]["enabled"]["status"], true, "{before}");
    let (st, p) = send(
        app(),
        Method::PATCH,
        "/v2/plugins/fake",
        Some(json!({"plugin_labels": {"enabled": {"status": false}}})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{p}");
    assert_eq!(p["plugin"]["plugin_labels"]["enabled"]["status"], false);
    assert_eq!(p["plugin"]["plugin_labels"]["enabled"]["mutable"], true);
    assert_eq!(p["plugin"]["plugin_labels"]["hidden"]["status"], true);
    let (_, g) = send(app(), Method::GET, &format!("/v1.1/{PROJECT}/plugins/fake/0.1"), None).await;
    assert_eq!(g["plugin"]["plugin_labels"]["enabled"]["status"], false);
    assert!(g["plugin"]["configs"].is_array());
    let (_, l) = send(app(), Method::GET, "/v2/plugins", None).await;
    assert_eq!(l["plugins"][0]["plugin_labels"]["enabled"]["status"], false);

    let body = json!({"name": "c", "plugin_name": "fake", "plugin_version": "0.1",
                      "default_image_id": IMAGE, "neutron_management_network": NET});
    let (st, e) = send(app(), Method::POST, "/v2/clusters", Some(body.clone())).await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            ("INVALID_REFERENCE".into(), "Plugin fake is not enabled".into())
        )
    );
    // Re-enable the plugin, disable its version.
    let (st, _) = send(
        app(),
        Method::PATCH,
        &format!("/v1.1/{PROJECT}/plugins/fake"),
        Some(json!({"plugin_labels": {"enabled": {"status": true}},
                    "version_labels": {"0.1": {"enabled": {"status": false}}}})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (_, e) = send(app(), Method::POST, "/v2/clusters", Some(body.clone())).await;
    assert_eq!(
        error(&e),
        (
            "INVALID_REFERENCE".into(),
            "Version 0.1 of plugin fake is not enabled".into()
        )
    );
    let (st, _) = send(
        app(),
        Method::PATCH,
        "/v2/plugins/fake",
        Some(json!({"version_labels": {"0.1": {"enabled": {"status": true}}}})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let (st, c) = send(app(), Method::POST, "/v2/clusters", Some(body)).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{c}");
    assert_eq!(casts_after(&casts, 1).await[0].0, "provision_cluster");

    // With the plugin disabled again, a job on that cluster is refused too, before its job template is looked up
    // (`check_job_execution`: the cluster, then `check_plugin_labels`).
    let (st, _) = send(
        app(),
        Method::PATCH,
        "/v2/plugins/fake",
        Some(json!({"plugin_labels": {"enabled": {"status": false}}})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED);
    let job = json!({"cluster_id": c["cluster"]["id"], "job_template_id": "0a7f3c1e-5b2d-4e8f-9a6b-1c2d3e4f5a6b"});
    let (st, e) = send(app(), Method::POST, "/v2/jobs", Some(job)).await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            ("INVALID_REFERENCE".into(), "Plugin fake is not enabled".into())
        )
    );
}
