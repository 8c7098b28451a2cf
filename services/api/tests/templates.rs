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
