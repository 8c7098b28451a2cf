//! Node group templates and cluster templates through the router, over a real conductor on SQLite: the sequence
//! of requests `fixtures/gen_sahara_template_cases.py` sent to real Sahara 19 (its Flask app over its own
//! conductor and database layer on SQLite) replayed against ours, answers compared after the same normalisation
//! (ids of created objects as `{variable}`, other UUIDs as `<uuid>`, timestamps as `<time>`, cluster templates'
//! node groups by name).

mod common;

use common::replay::normalise;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::router;
use serde_json::Value;
use std::collections::BTreeMap;
use tower::ServiceExt;

#[tokio::test]
async fn templates_answer_as_real_sahara_over_its_conductor() {
    let h = common::with_conductor(&common::conf("")).await;
    let cases: Vec<Value> = serde_json::from_str(include_str!("fixtures/sahara_template_cases.json")).unwrap();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate() {
        let req = &case["request"];
        let method: Method = req["method"].as_str().unwrap().parse().unwrap();
        let mut path = req["path"].as_str().unwrap().to_string();
        let mut body = req["body"].as_str().map(str::to_string);
        for (var, id) in &ids {
            path = path.replace(&format!("{{{var}}}"), id);
            body = body.map(|b| b.replace(&format!("{{{var}}}"), id));
        }
        let project = req["project"].as_str().unwrap();
        let request = Request::builder()
            .method(method.clone())
            .uri(&path)
            .header("x-tenant-id", project)
            .header("x-user-id", format!("u-{}", &project[..4]))
            .header("x-roles", "admin")
            .header("content-type", "application/json")
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = router(h.state.clone()).oneshot(request).await.unwrap();
        let status = resp.status();
        let disposition = resp
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string());
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let mut answer: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("case {n}: not JSON ({e}): {bytes:?}"))
        };
        if let Some(Value::String(msg)) = answer.get_mut("error_message") {
            *msg = msg.split("\nError ID: ").next().unwrap().to_string();
        }
        if let Some(var) = case["save"].as_str()
            && status == StatusCode::ACCEPTED
            && let Some(id) = answer
                .as_object()
                .and_then(|m| m.values().next())
                .and_then(|o| o["id"].as_str())
        {
            ids.insert(var.to_string(), id.to_string());
            names.insert(id.to_string(), var.to_string());
        }
        let answer = normalise(&answer, &names);
        let what = format!(
            "case {n}: {method} {} ({})",
            req["path"].as_str().unwrap(),
            &project[..4]
        );
        let differs = case["ours_differs"].as_str().unwrap_or("");
        if differs.starts_with("SQLite only") {
            // What Sahara does on MySQL: the update is accepted and the cluster template's node group is rebuilt
            // from the template (taking the template's name, as Sahara's `ngt.to_dict()` carries it).
            match method {
                Method::PUT => {
                    assert_eq!(status, StatusCode::ACCEPTED, "{what}: {answer}");
                    assert_eq!(answer["node_group_template"]["description"], "still editable", "{what}");
                }
                _ => {
                    assert_eq!(status, StatusCode::OK, "{what}: {answer}");
                    let ngs = answer["cluster_template"]["node_groups"].as_array().unwrap();
                    assert_eq!(ngs.len(), 1, "{what}: {answer}");
                    assert_eq!(ngs[0]["name"], "ngt-a", "{what}");
                    assert_eq!(ngs[0]["node_group_template_id"], "{ngt_a}", "{what}");
                }
            }
            continue;
        }
        if status.as_u16() as u64 != case["status"].as_u64().unwrap() {
            failures.push(format!(
                "{what}: status {status}, Sahara {}; ours {answer}",
                case["status"]
            ));
            continue;
        }
        let expected_disposition = case["headers"]["Content-Disposition"].as_str();
        if disposition.as_deref() != expected_disposition {
            failures.push(format!(
                "{what}: Content-Disposition {disposition:?}, Sahara {expected_disposition:?}"
            ));
        }
        let mut expected = case["body"].clone();
        let mut ours = answer;
        if !differs.is_empty() {
            // Only the error name differs (Sahara's is the integer 400).
            expected.as_object_mut().unwrap().remove("error_name");
            ours.as_object_mut().unwrap().remove("error_name");
        }
        if ours != expected {
            failures.push(format!("{what}:\n  ours  {ours}\n  Sahara {expected}"));
        }
    }
    h.server.stop().await;
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// `method path` as project `project` (an admin of it) with `body`: the status and the JSON answer.
async fn send(
    state: &sahara_api::ApiState,
    project: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", project)
        .header("x-user-id", format!("u-{project}"))
        .header("x-roles", "admin")
        .header("content-type", "application/json")
        .body(body.map(|b| Body::from(b.to_string())).unwrap_or_else(Body::empty))
        .unwrap();
    let resp = router(state.clone()).oneshot(request).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let mut answer: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {bytes:?}"));
    if let Some(Value::String(msg)) = answer.get_mut("error_message") {
        *msg = msg.split("\nError ID: ").next().unwrap().to_string();
    }
    (status, answer)
}

/// Node group template lists answered from the in-process conductor's REST view of the rows (`list_view`: no
/// typed objects in between) equal the lists rendered from typed templates (the path over RPC), on v1.1 and v2:
/// pages and markers, sorting, filters (v2's `plugin_version` too), other projects' public templates, errors. On
/// a runtime with worker threads, where the viewed list reads on the request's own thread, and on one without.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewed_lists_answer_as_typed_lists() {
    viewed_lists().await;
}

/// [`viewed_lists_answer_as_typed_lists`] on a single-threaded runtime (the viewed list reads on the blocking
/// pool).
#[tokio::test]
async fn viewed_lists_answer_as_typed_lists_on_one_thread() {
    viewed_lists().await;
}

async fn viewed_lists() {
    let h = common::with_conductor(&common::conf("")).await;
    let typed = h.state.clone();
    let viewed = sahara_api::ApiState::from_conf(
        &common::conf(""),
        sahara_conductor::local_client((*h.conductor).clone()),
    )
    .unwrap();
    let (p1, p2) = ("0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210");
    let odd = "quote \" backslash \\ tab \t h\u{e9} \u{1} </script>";
    let base = serde_json::json!({"flavor_id": "2", "plugin_name": "fake", "plugin_version": "0.1",
                                  "node_processes": ["datanode"]});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        b
    };
    let templates = [
        (
            p1,
            with(
                serde_json::json!({"name": "a", "description": odd, "is_public": true, "volumes_per_node": 2,
            "volumes_size": 10, "node_configs": {"general": {}},
            "shares": [{"id": "5b3f5b48-6f4e-4a8e-9d3e-0f6f1c1f9a01", "path": "/mnt/a", "access_level": "ro"},
                       {"id": "5b3f5b48-6f4e-4a8e-9d3e-0f6f1c1f9a02"}],
            "security_groups": ["default", odd], "availability_zone": "nova", "is_protected": true}),
            ),
        ),
        (
            p1,
            with(
                serde_json::json!({"name": "b", "node_processes": ["tasktracker", "datanode"],
            "auto_security_group": true, "is_proxy_gateway": false, "use_autoconfig": false}),
            ),
        ),
        (
            p1,
            with(
                serde_json::json!({"name": "c", "flavor_id": "42", "boot_from_volume": true,
            "boot_volume_type": "fast", "volume_mount_prefix": "/volumes/disk"}),
            ),
        ),
        (p2, with(serde_json::json!({"name": "d", "is_public": true}))),
        (p2, with(serde_json::json!({"name": "e"}))),
    ];
    for (project, body) in templates {
        let (status, answer) = send(&typed, project, Method::POST, "/v2/node-group-templates", Some(body)).await;
        assert_eq!(status, StatusCode::ACCEPTED, "{answer}");
    }
    // A template updated (a second timestamp), through the other path.
    let (_, listed) = send(&typed, p1, Method::GET, "/v2/node-group-templates?sort_by=name", None).await;
    let ids: Vec<String> = listed["node_group_templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids.len(), 4, "{listed}");
    let (status, _) = send(
        &viewed,
        p1,
        Method::PATCH,
        &format!("/v2/node-group-templates/{}", ids[1]),
        Some(serde_json::json!({"description": "changed"})),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let queries = [
        String::new(),
        "?sort_by=-name".into(),
        "?sort_by=created_at".into(),
        "?limit=2&sort_by=name".into(),
        format!("?limit=2&sort_by=name&marker={}", ids[1]),
        format!("?marker={}", ids[2]),
        "?name=b".into(),
        "?is_public=true".into(),
        "?limit=-1".into(),
        "?sort_by=nothing".into(),
        "?marker=no-such-template".into(),
        "?no_such_parameter=1".into(),
    ];
    let mut compared = 0;
    for project in [p1, p2] {
        for (prefix, version_filter) in [
            (format!("/v1.1/{project}"), "hadoop_version"),
            ("/v2".into(), "plugin_version"),
        ] {
            let filtered = format!("?{version_filter}=0.1");
            for query in queries.iter().chain([&filtered]) {
                let path = format!("{prefix}/node-group-templates{query}");
                let expected = send(&typed, project, Method::GET, &path, None).await;
                let answered = send(&viewed, project, Method::GET, &path, None).await;
                assert_eq!(answered, expected, "{path}");
                compared += usize::from(expected.0 == StatusCode::OK);
            }
        }
    }
    assert!(compared >= 20, "{compared} lists answered");
}
