//! Decode every captured oslo.messaging message and re-encode what we would send in its
//! place: the bytes must be identical to what oslo.messaging 18.3.1 put on the wire.

use sahara_rpc::failure::RemoteError;
use sahara_rpc::message::{CallInfo, Reply, Request, deserialize_msg, serialize_msg, unpack_context};
use sahara_rpc::{RequestContext, notify::Priority};
use serde_json::{Map, Value};
use std::path::PathBuf;

fn fixture_dir() -> PathBuf {
    runtime_manifest_dir().join("../../../shared/fixtures/oslo_messaging")
}

fn load(name: &str) -> Value {
    let path = fixture_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn messages(fixture: &Value) -> Vec<&Value> {
    fixture["messages"].as_array().unwrap().iter().collect()
}

const CASES: &[&str] = &[
    "call_result",
    "call_exception",
    "call_timeout",
    "cast",
    "fanout_cast",
    "call_no_such_method",
    "call_unsupported_version",
    "call_monitor_heartbeat",
    "notify_info",
    "notify_error",
];

#[test]
fn every_fixture_body_decodes_to_the_captured_message() {
    for case in CASES {
        let f = load(case);
        for m in messages(&f) {
            let body = m["body"].as_str().unwrap();
            let decoded = deserialize_msg(body.as_bytes()).unwrap_or_else(|e| panic!("{case}: {e}"));
            assert_eq!(
                Value::Object(decoded),
                m["oslo_message"],
                "{case}: decoded message differs"
            );
        }
    }
}

#[test]
fn every_fixture_reencodes_byte_for_byte() {
    for case in CASES {
        let f = load(case);
        for m in messages(&f) {
            let body = m["body"].as_str().unwrap();
            let decoded = deserialize_msg(body.as_bytes()).unwrap();
            assert_eq!(
                String::from_utf8(serialize_msg(&decoded)).unwrap(),
                body,
                "{case}: re-encoding differs"
            );
        }
    }
}

#[test]
fn requests_we_build_are_identical_to_oslos() {
    for case in [
        "call_result",
        "call_exception",
        "call_timeout",
        "cast",
        "fanout_cast",
        "call_no_such_method",
        "call_unsupported_version",
        "call_monitor_heartbeat",
    ] {
        let f = load(case);
        let m = messages(&f).into_iter().find(|m| m["role"] == "request").unwrap();
        let captured = m["oslo_message"].as_object().unwrap().clone();
        // Parse it as a server would, then rebuild it as our client does.
        let parsed = Request::from_map(captured.clone()).unwrap();
        let rebuilt = Request {
            method: parsed.method.clone(),
            args: parsed.args.clone(),
            namespace: parsed.namespace.clone(),
            version: parsed.version.clone(),
            call: parsed.call.as_ref().map(|c| CallInfo {
                msg_id: c.msg_id.clone(),
                reply_q: c.reply_q.clone(),
                call_monitor_timeout: c.call_monitor_timeout,
            }),
            unique_id: parsed.unique_id.clone(),
            context: parsed.context.clone(),
        };
        assert_eq!(
            String::from_utf8(serialize_msg(&rebuilt.to_map())).unwrap(),
            m["body"].as_str().unwrap(),
            "{case}: request bytes differ"
        );
        // Properties oslo sets on every request.
        let props = &m["properties"];
        assert_eq!(props["content_type"], "application/json");
        assert_eq!(props["content_encoding"], "utf-8");
        assert_eq!(props["delivery_mode"], 2);
        if parsed.call.is_some() {
            assert!(props["expiration"].is_string(), "{case}: calls carry an expiration");
        } else {
            assert!(props.get("expiration").is_none(), "{case}: casts carry no expiration");
        }
    }
}

#[test]
fn replies_we_build_are_identical_to_oslos() {
    for case in [
        "call_result",
        "call_exception",
        "call_no_such_method",
        "call_unsupported_version",
        "call_monitor_heartbeat",
    ] {
        let f = load(case);
        for m in messages(&f).into_iter().filter(|m| m["role"] != "request") {
            let captured = m["oslo_message"].as_object().unwrap();
            let reply = Reply::from_map(captured).unwrap();
            assert_eq!(
                String::from_utf8(serialize_msg(&reply.to_map())).unwrap(),
                m["body"].as_str().unwrap(),
                "{case}: reply bytes differ"
            );
            assert_eq!(
                reply.ending,
                m["role"] == "reply",
                "{case}: only the final reply ends the call"
            );
            assert_eq!(m["exchange"], "", "{case}: replies go to the default exchange");
        }
    }
}

#[test]
fn dispatcher_exceptions_match_what_oslo_replies() {
    for (case, expected) in [
        ("call_no_such_method", RemoteError::no_such_method("no_such_method")),
        (
            "call_unsupported_version",
            RemoteError::unsupported_version("2.0", "echo"),
        ),
    ] {
        let f = load(case);
        let reply = messages(&f).into_iter().find(|m| m["role"] == "reply").unwrap();
        let failure = reply["failure_decoded"].as_object().unwrap();
        assert_eq!(failure["class"], Value::String(expected.class.clone()), "{case}");
        assert_eq!(failure["module"], Value::String(expected.module.clone()), "{case}");
        assert_eq!(failure["message"], Value::String(expected.message.clone()), "{case}");
        assert_eq!(failure["args"], serde_json::json!([expected.message]), "{case}");
        // And our serialisation decodes to the same fields.
        let ours: Value = serde_json::from_str(&expected.to_failure_string("x")).unwrap();
        for k in ["class", "module", "message", "args", "kwargs"] {
            assert_eq!(ours[k], failure[k], "{case}: {k}");
        }
        let keys: Vec<&String> = ours.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["class", "module", "message", "tb", "args", "kwargs"]);
    }
    let f = load("call_exception");
    let reply = messages(&f).into_iter().find(|m| m["role"] == "reply").unwrap();
    let e = RemoteError::from_failure_string(reply["oslo_message"]["failure"].as_str().unwrap());
    assert_eq!(
        (e.module.as_str(), e.class.as_str(), e.message.as_str()),
        ("builtins", "ValueError", "boom: invalid input")
    );
    assert_eq!(e.tb.len(), 6);
}

#[test]
fn contexts_round_trip_through_request_context() {
    let f = load("call_result");
    let m = messages(&f)[0];
    let mut msg = m["oslo_message"].as_object().unwrap().clone();
    let ctx_dict = unpack_context(&mut msg);
    let ctx = RequestContext::from_dict(&ctx_dict);
    assert_eq!(ctx.user_id.as_deref(), Some("oslo-peer-user"));
    assert_eq!(ctx.project_id.as_deref(), Some("oslo-peer-project"));
    let ours = ctx.to_dict();
    // Every key oslo sent comes back with the same value, in the same order, first.
    let oslo_keys: Vec<&String> = ctx_dict.keys().collect();
    let our_keys: Vec<&String> = ours.keys().take(oslo_keys.len()).collect();
    assert_eq!(our_keys, oslo_keys);
    for (k, v) in &ctx_dict {
        assert_eq!(&ours[k], v, "context key {k}");
    }
}

#[test]
fn notifications_have_oslos_shape() {
    for (case, priority) in [("notify_info", Priority::Info), ("notify_error", Priority::Error)] {
        let f = load(case);
        let m = messages(&f)[0];
        assert_eq!(
            m["routing_key"],
            format!("notifications.{}", priority.as_lower()),
            "{case}"
        );
        assert_eq!(m["exchange"], "openstack");
        let msg = m["oslo_message"].as_object().unwrap();
        let keys: Vec<&str> = msg.keys().map(String::as_str).take(7).collect();
        assert_eq!(
            keys,
            [
                "message_id",
                "publisher_id",
                "event_type",
                "priority",
                "payload",
                "timestamp",
                "_unique_id"
            ]
        );
        assert_eq!(msg["priority"], priority.as_upper());
        let ts = msg["timestamp"].as_str().unwrap();
        assert!(
            chrono::NaiveDateTime::parse_from_str(ts, "%Y-%m-%d %H:%M:%S%.f").is_ok(),
            "{ts}"
        );
        let mid = msg["message_id"].as_str().unwrap();
        assert_eq!(mid.len(), 36, "message_id is a uuid with dashes");
    }
    // A context sent with a notification has its token removed.
    let f = load("notify_error");
    let mut msg: Map<String, Value> = messages(&f)[0]["oslo_message"].as_object().unwrap().clone();
    let ctx = unpack_context(&mut msg);
    assert_eq!(ctx["auth_token"], Value::Null);
    let mut ours = RequestContext::from_dict(&ctx);
    ours.auth_token = Some("secret-token".into());
    assert_eq!(ours.to_redacted_dict()["auth_token"], Value::Null);
}

/// The package directory, read when the test runs (cargo and nextest set it, and run tests
/// from there): a compile-time path would point into whichever clone built a cached binary.
fn runtime_manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory"))
}
