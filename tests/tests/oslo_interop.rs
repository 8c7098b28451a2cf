//! Interop with the real Python oslo.messaging 18.x (`oslo_peer.py`), both directions:
//! call, cast, fanout, remote exception, unknown method, unsupported version, timeout,
//! call-monitor heartbeats, notifications, quorum-queue declarations, trace context.

use sahara_rpc::notify::{Notification, NotificationListener, NotificationResult, Notifier, NotifyDriver, Priority};
use sahara_rpc::testing::{cleaned_up, queues_matching, rabbit_url};
use sahara_rpc::{
    Endpoint, RabbitOptions, RemoteError, RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions,
};
use sahara_tests::oslo::{self, PeerConfig, PeerProcess};
use sahara_tests::unique_id;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A test's names on the broker, all containing one unique id, removed at the end.
struct Names {
    id: String,
    exchange: String,
    topic: String,
}

impl Names {
    fn new() -> Names {
        let id = unique_id();
        Names {
            exchange: format!("itest_x_{id}"),
            topic: format!("itest_t_{id}"),
            id,
        }
    }

    fn transport(&self, rabbit: RabbitOptions) -> Transport {
        let options = TransportOptions {
            control_exchange: self.exchange.clone(),
            rabbit,
            ..Default::default()
        };
        Transport::new(&rabbit_url(), options).unwrap()
    }

    fn peer(&self, rabbit_extra: &str) -> PeerConfig {
        PeerConfig::new(&rabbit_url(), &self.exchange, rabbit_extra)
    }
}

/// Runs a test body, then deletes every queue and exchange it made, even on failure.
async fn isolated<F, Fut>(f: F)
where
    F: FnOnce(Names) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let names = Names::new();
    let id = names.id.clone();
    cleaned_up(&id, f(names)).await;
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

fn ctx() -> RequestContext {
    let mut c = RequestContext::for_user("rust-user", "rust-project");
    c.roles = vec!["member".into()];
    c
}

/// The Rust endpoint the Python client calls: oslo_peer.py's own method set.
fn rust_endpoint(name: &str, log: Arc<Mutex<Vec<(String, Value)>>>) -> Endpoint {
    let me = name.to_string();
    let me2 = name.to_string();
    Endpoint::new()
        .with_version("1.3")
        .raw_method("echo", move |ctx, args| {
            let log = log.clone();
            let me = me.clone();
            async move {
                let value = args.get("value").cloned().unwrap_or(Value::Null);
                log.lock()
                    .unwrap()
                    .push((me, json!({"value": value, "user": ctx.user_id})));
                Ok(value)
            }
        })
        .raw_method("fail", |_, args| async move {
            let message = args
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("failure requested")
                .to_string();
            Err(RemoteError::builtin("ValueError", message))
        })
        .raw_method("sleep", |_, args| async move {
            let secs = args.get("seconds").and_then(Value::as_f64).unwrap_or(1.0);
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            Ok(json!(secs))
        })
        .raw_method("whoami", move |ctx, _| {
            let me = me2.clone();
            async move { Ok(json!({"server": me, "user": ctx.user_id, "project": ctx.project_id})) }
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_client_to_python_server() {
    sahara_telemetry::init_for_tests();
    isolated(|n| async move {
        let peer = n.peer("");
        let (p1, topic) = (peer.clone(), n.topic.clone());
        let mut py1 = blocking(move || PeerProcess::serve(&p1, &topic, "py1", "1.3")).await;
        let t = n.transport(RabbitOptions::default());
        let client = RpcClient::new(&t, Target::topic(&n.topic)).with_timeout(Duration::from_secs(15));

        let v = json!({"text": "h\u{e9}llo \u{1F600}", "list": [1, 2.5, null, true], "nested": {"k": "v"}});
        assert_eq!(client.call(&ctx(), "echo", json!({"value": v})).await.unwrap(), v);
        let req = py1
            .wait_for(Duration::from_secs(5), |e| e["event"] == "request")
            .unwrap();
        assert_eq!(req["context"]["user_id"], "rust-user", "Python sees our context: {req}");
        assert_eq!(req["context"]["project_id"], "rust-project");
        assert_eq!(req["context"]["roles"], json!(["member"]));
        assert_eq!(
            client
                .clone()
                .with_version("1.1")
                .call(&ctx(), "echo", json!({"value": 1}))
                .await
                .unwrap(),
            json!(1)
        );

        // The trace context rides along as _context_traceparent; Python ignores it.
        let span = tracing::info_span!("interop-test");
        let traced = {
            use tracing::Instrument;
            client
                .call(&ctx(), "echo", json!({"value": "traced"}))
                .instrument(span)
                .await
        };
        assert_eq!(traced.unwrap(), json!("traced"));
        let req = py1
            .wait_for(Duration::from_secs(5), |e| e["args"]["value"] == "traced")
            .unwrap();
        let tp = req["context"]["traceparent"]
            .as_str()
            .expect("traceparent reached the Python server");
        assert!(tp.starts_with("00-") && tp.len() == 55, "{tp}");

        let err = client
            .call(&ctx(), "fail", json!({"message": "boom: invalid input"}))
            .await
            .unwrap_err();
        let r = err.remote().unwrap();
        assert_eq!(
            (r.module.as_str(), r.class.as_str(), r.message.as_str()),
            ("builtins", "ValueError", "boom: invalid input")
        );
        assert!(
            r.tb.iter().any(|l| l.contains("raise ValueError(message)")),
            "Python's traceback is kept"
        );

        let err = client.call(&ctx(), "no_such_method", json!({})).await.unwrap_err();
        assert!(err.remote().unwrap().is_no_such_method(), "{err:?}");
        assert_eq!(
            err.remote().unwrap().message,
            "Endpoint does not support RPC method no_such_method"
        );
        let err = client
            .clone()
            .with_version("2.0")
            .call(&ctx(), "echo", json!({"value": 1}))
            .await
            .unwrap_err();
        assert!(err.remote().unwrap().is_unsupported_version(), "{err:?}");

        let quick = client.clone().with_timeout(Duration::from_secs(1));
        assert!(
            quick
                .call(&ctx(), "sleep", json!({"seconds": 2.5}))
                .await
                .unwrap_err()
                .is_timeout()
        );

        // Python's call-monitor heartbeats keep a 4 s call alive through a 2 s window.
        let monitored = client
            .clone()
            .with_call_monitor_timeout(Duration::from_secs(2))
            .with_timeout(Duration::from_secs(30));
        assert_eq!(
            monitored.call(&ctx(), "sleep", json!({"seconds": 4})).await.unwrap(),
            json!(4)
        );

        client
            .cast(&ctx(), "echo", json!({"value": "cast-value"}))
            .await
            .unwrap();
        py1.wait_for(Duration::from_secs(10), |e| e["args"]["value"] == "cast-value")
            .expect("cast reached Python");

        let (p2, topic) = (peer.clone(), n.topic.clone());
        let mut py2 = blocking(move || PeerProcess::serve(&p2, &topic, "py2", "1.3")).await;
        client
            .clone()
            .with_fanout(true)
            .cast(&ctx(), "echo", json!({"value": "fanout-value"}))
            .await
            .unwrap();
        py1.wait_for(Duration::from_secs(10), |e| e["args"]["value"] == "fanout-value")
            .expect("fanout reached py1");
        py2.wait_for(Duration::from_secs(10), |e| e["args"]["value"] == "fanout-value")
            .expect("fanout reached py2");
        client
            .clone()
            .with_server("py2")
            .cast(&ctx(), "echo", json!({"value": "direct"}))
            .await
            .unwrap();
        let got = py2
            .wait_for(Duration::from_secs(10), |e| e["args"]["value"] == "direct")
            .unwrap();
        assert_eq!(got["server"], "py2");

        blocking(move || {
            py1.stop();
            py2.stop();
        })
        .await;
        t.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_to_rust_server() {
    isolated(|n| async move {
        let t = n.transport(RabbitOptions::default());
        let log = Arc::new(Mutex::new(Vec::new()));
        let s1 = RpcServer::start(
            &t,
            Target::topic(&n.topic).with_server("rs1"),
            vec![rust_endpoint("rs1", log.clone())],
        )
        .await
        .unwrap();
        let s2 = RpcServer::start(
            &t,
            Target::topic(&n.topic).with_server("rs2"),
            vec![rust_endpoint("rs2", log.clone())],
        )
        .await
        .unwrap();
        let peer = n.peer("");
        let topic = n.topic.clone();
        let py = move |args: Vec<String>| {
            let (peer, topic) = (peer.clone(), topic.clone());
            async move {
                blocking(move || {
                    let mut all = vec!["--topic".to_string(), topic];
                    all.extend(args);
                    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
                    oslo::call(&peer, &refs)
                })
                .await
            }
        };
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();

        let out = py(s(&[
            "--method",
            "echo",
            "--version",
            "1.1",
            "--args",
            r#"{"value": {"text": "h\u00e9llo", "list": [1, 2.5, null, true], "nested": {"k": "v"}}}"#,
        ]))
        .await;
        assert_eq!(out.code, 0, "{:?}", out);
        assert_eq!(
            out.output["result"],
            json!({"text": "héllo", "list": [1, 2.5, null, true], "nested": {"k": "v"}})
        );
        assert!(
            log.lock().unwrap().iter().any(|(_, v)| v["user"] == "oslo-peer-user"),
            "Python's context arrived"
        );

        let out = py(s(&[
            "--method",
            "fail",
            "--server",
            "rs1",
            "--args",
            r#"{"message": "boom: invalid input"}"#,
        ]))
        .await;
        assert_eq!(out.code, 1, "{:?}", out);
        assert_eq!(
            out.output["error"]["kind"], "rebuilt",
            "Python re-raised a real ValueError: {:?}",
            out
        );
        assert_eq!(out.output["error"]["class"], "ValueError");
        assert_eq!(out.output["error"]["message"], "boom: invalid input");

        let out = py(s(&["--method", "no_such_method"])).await;
        assert_eq!(out.code, 1);
        assert_eq!(out.output["error"]["kind"], "RemoteError");
        assert_eq!(out.output["error"]["class"], "NoSuchMethod");
        assert_eq!(
            out.output["error"]["message"],
            "Endpoint does not support RPC method no_such_method"
        );

        let out = py(s(&[
            "--method",
            "echo",
            "--version",
            "2.0",
            "--args",
            r#"{"value": 1}"#,
        ]))
        .await;
        assert_eq!(out.code, 1);
        assert_eq!(out.output["error"]["class"], "UnsupportedVersion");
        assert_eq!(
            out.output["error"]["message"],
            "Endpoint does not support RPC version 2.0. Attempted method: echo"
        );

        let out = py(s(&[
            "--method",
            "sleep",
            "--timeout",
            "1",
            "--args",
            r#"{"seconds": 2.5}"#,
        ]))
        .await;
        assert_eq!(out.code, 2, "Python timed out: {:?}", out);
        assert_eq!(out.output["error"]["kind"], "MessagingTimeout");

        // Our call-monitor heartbeats keep Python's 2 s window open for a 4 s method.
        let out = py(s(&[
            "--method",
            "sleep",
            "--timeout",
            "30",
            "--call-monitor-timeout",
            "2",
            "--args",
            r#"{"seconds": 4}"#,
        ]))
        .await;
        assert_eq!(out.code, 0, "{:?}", out);
        assert_eq!(out.output["result"], json!(4.0));

        let out = py(s(&["--method", "whoami", "--server", "rs2"])).await;
        assert_eq!(out.output["result"]["server"], "rs2");
        assert_eq!(out.output["result"]["user"], "oslo-peer-user");

        log.lock().unwrap().clear();
        assert_eq!(
            py(s(&[
                "--method",
                "echo",
                "--cast",
                "--args",
                r#"{"value": "cast-value"}"#
            ]))
            .await
            .code,
            0
        );
        assert_eq!(
            py(s(&[
                "--method",
                "echo",
                "--fanout",
                "--args",
                r#"{"value": "fanout-value"}"#
            ]))
            .await
            .code,
            0
        );
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let got = log.lock().unwrap().clone();
            let casts = got.iter().filter(|(_, v)| v["value"] == "cast-value").count();
            let fans: Vec<&String> = got
                .iter()
                .filter(|(_, v)| v["value"] == "fanout-value")
                .map(|(s, _)| s)
                .collect();
            if casts == 1 && fans.len() == 2 {
                assert_ne!(fans[0], fans[1], "fanout reached both servers");
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "casts not delivered: {got:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        s1.stop().await;
        s2.stop().await;
        t.shutdown().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_both_ways() {
    isolated(|n| async move {
        let t = n.transport(RabbitOptions::default());
        let peer = n.peer("");
        // Rust notifier -> Python listener, both broker drivers.
        let py_topic = format!("{}_to_py", n.topic);
        let (p, topic) = (peer.clone(), py_topic.clone());
        let mut listener = blocking(move || PeerProcess::listen_notifications(&p, &topic)).await;
        let mut c = ctx();
        c.auth_token = Some("gAAAA-secret-token".into());
        Notifier::new(
            &t,
            "sahara.engine",
            vec![NotifyDriver::MessagingV2],
            vec![py_topic.clone()],
        )
        .info(
            Some(&c),
            "sahara.cluster.create",
            json!({"cluster_id": "c-1", "cluster_status": "New"}),
        )
        .await
        .unwrap();
        Notifier::new(
            &t,
            "sahara.engine",
            vec![NotifyDriver::Messaging],
            vec![py_topic.clone()],
        )
        .error(
            None,
            "sahara.cluster.update",
            json!({"cluster_id": "c-1", "cluster_status": "Error"}),
        )
        .await
        .unwrap();
        let ev = listener
            .wait_for(Duration::from_secs(10), |e| e["event_type"] == "sahara.cluster.create")
            .expect("v2 notification");
        assert_eq!(ev["priority"], "info");
        assert_eq!(ev["publisher_id"], "sahara.engine");
        assert_eq!(ev["payload"]["cluster_status"], "New");
        assert_eq!(ev["context"]["user_id"], "rust-user");
        assert_eq!(ev["context"]["auth_token"], Value::Null, "the token never travels");
        assert_eq!(ev["metadata"]["message_id"].as_str().map(str::len), Some(36));
        let ev = listener
            .wait_for(Duration::from_secs(10), |e| e["event_type"] == "sahara.cluster.update")
            .expect("v1 notification");
        assert_eq!(ev["priority"], "error");
        blocking(move || listener.stop()).await;

        // Python notifier -> Rust listener.
        let rs_topic = format!("{}_to_rs", n.topic);
        let got: Arc<Mutex<Vec<Notification>>> = Arc::default();
        let sink = got.clone();
        let rs_listener =
            NotificationListener::start(&t, &[Target::topic(&rs_topic)], &Priority::ALL, None, move |n| {
                let sink = sink.clone();
                async move {
                    sink.lock().unwrap().push(n);
                    NotificationResult::Handled
                }
            })
            .await
            .unwrap();
        let (p, topic) = (peer.clone(), rs_topic.clone());
        let out = blocking(move || {
            oslo::notify(
                &p,
                &[
                    "--topic",
                    &topic,
                    "--publisher-id",
                    "py.pub",
                    "--event-type",
                    "thing.delete.error",
                    "--priority",
                    "error",
                    "--with-context",
                    "--payload",
                    r#"{"id": 2, "reason": "it broke"}"#,
                ],
            )
        })
        .await;
        assert_eq!(out.code, 0, "{:?}", out);
        let (p, topic) = (peer.clone(), rs_topic.clone());
        blocking(move || {
            oslo::notify(
                &p,
                &[
                    "--topic",
                    &topic,
                    "--event-type",
                    "thing.create.end",
                    "--driver",
                    "messaging",
                    "--payload",
                    r#"{"id": 1}"#,
                ],
            )
        })
        .await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while got.lock().unwrap().len() < 2 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "Python notifications not received"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let got = got.lock().unwrap().clone();
        let err = got.iter().find(|n| n.event_type == "thing.delete.error").unwrap();
        assert_eq!(err.priority, Priority::Error);
        assert_eq!(err.publisher_id, "py.pub");
        assert_eq!(err.payload, json!({"id": 2, "reason": "it broke"}));
        assert_eq!(err.context["user"], "oslo-peer-user");
        let v1 = got.iter().find(|n| n.event_type == "thing.create.end").unwrap();
        assert_eq!(v1.priority, Priority::Info);
        assert!(v1.context.is_empty(), "a plain dict context is not sent");
        rs_listener.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// With kolla's `rabbit_quorum_queue = true`, Rust and Python servers declare the same
/// queues and exchange in either start order: neither ever meets a 406.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quorum_declarations_coexist_with_python() {
    isolated(|n| async move {
        // The same options on both sides (the peer's config sets the 5 s transient TTL).
        let rabbit = RabbitOptions {
            rabbit_quorum_queue: true,
            rabbit_transient_queues_ttl: 5,
            ..Default::default()
        };
        let t = n.transport(rabbit);
        let peer = n.peer("rabbit_quorum_queue = true");
        let client = RpcClient::new(&t, Target::topic(&n.topic)).with_timeout(Duration::from_secs(15));

        // Python first, then Rust on the same topic.
        let (p, topic) = (peer.clone(), n.topic.clone());
        let py = blocking(move || PeerProcess::serve(&p, &topic, "py", "1.3")).await;
        let rs = RpcServer::start(
            &t,
            Target::topic(&n.topic).with_server("rs"),
            vec![rust_endpoint("rs", Arc::default())],
        )
        .await
        .expect("Rust server declares what Python declared");
        for s in ["py", "rs"] {
            assert_eq!(
                client
                    .clone()
                    .with_server(s)
                    .call(&ctx(), "echo", json!({"value": s}))
                    .await
                    .unwrap(),
                json!(s)
            );
        }
        let queues = queues_matching(&n.topic);
        let fanouts: Vec<&Value> = queues
            .iter()
            .filter(|q| q["name"].as_str().unwrap().contains("_fanout_"))
            .collect();
        assert_eq!(fanouts.len(), 2, "one private fanout queue per server: {queues:?}");
        assert_eq!(fanouts[0]["arguments"], json!([["x-expires", "signedint", 5000]]));
        assert_eq!(
            fanouts[0]["arguments"], fanouts[1]["arguments"],
            "same arguments with the same AMQP types"
        );
        assert_eq!(fanouts[0]["durable"], fanouts[1]["durable"]);
        let topic_q = queues.iter().find(|q| q["name"] == n.topic.as_str()).unwrap();
        assert_eq!(topic_q["type"], "quorum");
        blocking(move || py.stop()).await;
        rs.stop().await;

        // Rust first, then Python, on a new topic.
        let topic2 = format!("{}_2", n.topic);
        let rs = RpcServer::start(
            &t,
            Target::topic(&topic2).with_server("rs"),
            vec![rust_endpoint("rs", Arc::default())],
        )
        .await
        .unwrap();
        let (p, tp) = (peer.clone(), topic2.clone());
        let py = blocking(move || PeerProcess::serve(&p, &tp, "py", "1.3")).await;
        let client2 = RpcClient::new(&t, Target::topic(&topic2)).with_timeout(Duration::from_secs(15));
        assert_eq!(
            client2
                .clone()
                .with_server("py")
                .call(&ctx(), "echo", json!({"value": 2}))
                .await
                .unwrap(),
            json!(2)
        );
        // And a Python client against the Rust server on quorum queues.
        let (p, tp) = (peer.clone(), topic2.clone());
        let out = blocking(move || {
            oslo::call(
                &p,
                &[
                    "--topic",
                    &tp,
                    "--server",
                    "rs",
                    "--method",
                    "echo",
                    "--args",
                    r#"{"value": 3}"#,
                ],
            )
        })
        .await;
        assert_eq!(out.output["result"], json!(3), "{:?}", out);
        blocking(move || py.stop()).await;
        rs.stop().await;
        t.shutdown().await;
    })
    .await;
}
