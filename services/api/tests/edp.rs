//! EDP resources (data sources, job binaries, internal job binaries, jobs / job templates, job types, config
//! hints, job executions / v2 jobs) through the router, over a real conductor on SQLite: the sequence of requests
//! `fixtures/gen_sahara_edp_cases.py` sent to real Sahara 19 (its Flask app over its own conductor on SQLite, the
//! engine stubbed) replayed against ours, answers compared after the same normalisation. The engine casts go to
//! `sahara-ops` on the harness's `fake://` transport, where no engine listens: they wait in the topic queue.

mod common;

use common::replay::normalise;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_api::router;
use serde_json::Value;
use std::collections::BTreeMap;
use tower::ServiceExt;

/// What a v2 single-job answer leaks in Sahara and we hide: drop `extra`, and compare `job_configs` sanitized.
fn without_secrets(v: &mut Value) {
    if let Some(job) = v.get_mut("job").and_then(Value::as_object_mut) {
        job.remove("extra");
        if let Some(Value::Object(jc)) = job.get_mut("job_configs") {
            jc.remove("trusts");
            jc.remove("proxy_configs");
            if let Some(Value::Object(c)) = jc.get_mut("configs") {
                for key in sahara_model::api_view::JOB_CONFIGS_BLANKED {
                    if let Some(x) = c.get_mut(*key) {
                        *x = Value::String(String::new());
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn edp_answers_as_real_sahara_over_its_conductor() {
    let h = common::with_conductor(&common::conf("")).await;
    let cases: Vec<Value> = serde_json::from_str(include_str!("fixtures/sahara_edp_cases.json")).unwrap();
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    let setup = &cases[0]["setup"];
    let project = setup["project"].as_str().unwrap();
    let ctx = sahara_rpc::RequestContext::for_user(format!("u-{}", &project[..4]), project);
    let cluster = h
        .state
        .conductor
        .cluster_create(&ctx, setup["cluster"].as_object().unwrap().clone())
        .await
        .unwrap();
    ids.insert("cluster".into(), cluster.id.clone());
    names.insert(cluster.id.clone(), "cluster".into());
    let mut failures = Vec::new();
    for (n, case) in cases.iter().enumerate().skip(1) {
        let req = &case["request"];
        let method: Method = req["method"].as_str().unwrap().parse().unwrap();
        let mut path = req["path"].as_str().unwrap().to_string();
        let mut body = req["body"].as_str().map(str::to_string);
        for (var, id) in &ids {
            path = path.replace(&format!("{{{var}}}"), id);
            body = body.map(|b| b.replace(&format!("{{{var}}}"), id));
        }
        let project = req["project"].as_str().unwrap();
        let upload = method == Method::PUT && path.contains("/job-binary-internals/");
        let request = Request::builder()
            .method(method.clone())
            .uri(path.replace(' ', "%20"))
            .header("x-tenant-id", project)
            .header("x-user-id", format!("u-{}", &project[..4]))
            .header("x-roles", "admin")
            .header(
                "content-type",
                if upload {
                    "application/octet-stream"
                } else {
                    "application/json"
                },
            )
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        let resp = router(h.state.clone()).oneshot(request).await.unwrap();
        let status = resp.status();
        let bytes = resp.into_body().collect().await.unwrap().to_bytes();
        let what = format!(
            "case {n}: {method} {} ({})",
            req["path"].as_str().unwrap(),
            &project[..4]
        );
        if status.as_u16() as u64 != case["status"].as_u64().unwrap() {
            failures.push(format!(
                "{what}: status {status}, Sahara {}; ours {}",
                case["status"],
                String::from_utf8_lossy(&bytes)
            ));
            continue;
        }
        if let Some(raw) = case["raw"].as_str() {
            if bytes != raw.as_bytes() {
                failures.push(format!("{what}: raw {bytes:?}, Sahara {raw:?}"));
            }
            continue;
        }
        let mut answer: Value = if bytes.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&bytes) {
                Ok(v) => v,
                Err(e) => {
                    failures.push(format!("{what}: not JSON ({e}): {bytes:?}"));
                    continue;
                }
            }
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
        let mut ours = normalise(&answer, &names);
        let mut expected = case["body"].clone();
        let differs = case["ours_differs"].as_str().unwrap_or("");
        if differs.starts_with("Sahara's v2 single-job") {
            assert!(ours["job"].get("extra").is_none(), "{what}: extra answered");
            without_secrets(&mut expected);
        } else if differs.starts_with("Message only") {
            expected.as_object_mut().unwrap().remove("error_message");
            ours.as_object_mut().unwrap().remove("error_message");
        } else if !differs.is_empty() {
            // Only the error name differs (Sahara's is the integer 400).
            expected.as_object_mut().unwrap().remove("error_name");
            ours.as_object_mut().unwrap().remove("error_name");
        }
        let path_text = req["path"].as_str().unwrap();
        if method == Method::GET && !path_text.contains("sort_by") && !path_text.contains("limit") {
            // Without sort_by both list by id, which differ between the runs: compare as sets.
            for v in [&mut ours, &mut expected] {
                if let Some(m) = v.as_object_mut() {
                    for items in m.values_mut() {
                        if let Value::Array(a) = items {
                            a.sort_by_key(|x| x.to_string());
                        }
                    }
                }
            }
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
        cases.len() - 1,
        failures.join("\n")
    );
}
