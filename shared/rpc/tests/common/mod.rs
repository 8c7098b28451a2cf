//! One behavioural suite run over both transports (`fake://` and real RabbitMQ).
#![allow(dead_code)]

pub mod broker;

use sahara_rpc::notify::{Notification, NotificationListener, NotificationResult, Notifier, NotifyDriver, Priority};
use sahara_rpc::{
    Endpoint, RemoteError, RequestContext, RpcClient, RpcError, RpcServer, Target, Transport, TransportOptions,
};
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// A test's private corner of a broker: a unique control exchange and topic.
pub struct Env {
    pub url: String,
    pub exchange: String,
    pub topic: String,
    pub options: TransportOptions,
}

impl Env {
    pub fn new(url: &str) -> Env {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let mut options = TransportOptions {
            control_exchange: format!("test_x_{id}"),
            ..Default::default()
        };
        options.rabbit.rabbit_transient_queues_ttl = 60;
        Env {
            url: url.to_string(),
            exchange: options.control_exchange.clone(),
            topic: format!("test_t_{id}"),
            options,
        }
    }

    pub fn transport(&self) -> Transport {
        Transport::new(&self.url, self.options.clone()).unwrap()
    }

    /// Queues a server on `topic` named `server` leaves behind (shared topic queues).
    pub fn server_queues(&self, servers: &[&str]) -> Vec<String> {
        let mut q = vec![self.topic.clone()];
        q.extend(servers.iter().map(|s| format!("{}.{s}", self.topic)));
        q
    }
}

/// Polls `f` until it is true or `secs` pass.
pub async fn eventually(secs: u64, what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[derive(Deserialize)]
struct ValueArg {
    value: Value,
}

#[derive(Deserialize)]
struct MessageArg {
    message: String,
}

#[derive(Deserialize)]
struct SecondsArg {
    seconds: f64,
}

/// The echo endpoint used throughout: echo, fail, sleep, whoami, record (for casts), panic.
pub fn endpoint(name: &str, version: &str, log: Arc<Mutex<Vec<(String, Value)>>>) -> Endpoint {
    let me = name.to_string();
    let me2 = name.to_string();
    Endpoint::new()
        .with_version(version)
        .method("echo", |_, a: ValueArg| async move { Ok(a.value) })
        .method("fail", |_, a: MessageArg| async move {
            Err::<Value, _>(RemoteError::builtin("ValueError", a.message))
        })
        .method("sleep", |_, a: SecondsArg| async move {
            tokio::time::sleep(Duration::from_secs_f64(a.seconds)).await;
            Ok(a.seconds)
        })
        .method("whoami", move |ctx: RequestContext, _: Value| {
            let me = me.clone();
            async move {
                Ok(json!({"server": me, "user": ctx.user_id, "project": ctx.project_id, "request_id": ctx.request_id}))
            }
        })
        .method("record", move |_, a: ValueArg| {
            let log = log.clone();
            let me = me2.clone();
            async move {
                log.lock().unwrap().push((me, a.value));
                Ok(Value::Null)
            }
        })
        .method("panic", |_, _: Value| async move {
            if true {
                panic!("boom");
            }
            Ok(Value::Null)
        })
}

pub fn ctx() -> RequestContext {
    RequestContext::for_user("user-1", "project-1")
}

/// call, remote exceptions, dispatch errors, casts, server-directed and fanout messages.
pub async fn call_cast_and_errors(env: &Env) {
    let t = env.transport();
    let log = Arc::new(Mutex::new(Vec::new()));
    let s1 = RpcServer::start(
        &t,
        Target::topic(&env.topic).with_server("s1"),
        vec![endpoint("s1", "1.3", log.clone())],
    )
    .await
    .unwrap();
    let s2 = RpcServer::start(
        &t,
        Target::topic(&env.topic).with_server("s2"),
        vec![endpoint("s2", "1.3", log.clone())],
    )
    .await
    .unwrap();
    let client = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_secs(10));

    let v = json!({"text": "h\u{e9}llo", "list": [1, 2.5, null, true], "nested": {"k": "v"}});
    assert_eq!(client.call(&ctx(), "echo", json!({"value": v})).await.unwrap(), v);
    assert_eq!(
        client
            .clone()
            .with_version("1.1")
            .call(&ctx(), "echo", json!({"value": 7}))
            .await
            .unwrap(),
        json!(7)
    );

    let err = client
        .call(&ctx(), "fail", json!({"message": "boom: invalid input"}))
        .await
        .unwrap_err();
    let remote = err.remote().expect("a remote error");
    assert_eq!(
        (remote.module.as_str(), remote.class.as_str()),
        ("builtins", "ValueError")
    );
    assert_eq!(remote.message, "boom: invalid input");

    let err = client.call(&ctx(), "no_such_method", json!({})).await.unwrap_err();
    assert!(err.remote().unwrap().is_no_such_method(), "{err:?}");
    let err = client
        .clone()
        .with_version("2.0")
        .call(&ctx(), "echo", json!({"value": 1}))
        .await
        .unwrap_err();
    let remote = err.remote().unwrap();
    assert!(remote.is_unsupported_version(), "{err:?}");
    assert_eq!(
        remote.message,
        "Endpoint does not support RPC version 2.0. Attempted method: echo"
    );

    let err = client.call(&ctx(), "echo", json!({"wrong": 1})).await.unwrap_err();
    assert_eq!(err.remote().unwrap().class, "TypeError");
    let err = client.call(&ctx(), "panic", json!({})).await.unwrap_err();
    assert_eq!(
        err.remote().unwrap().class,
        "RuntimeError",
        "a panicking method is answered, not fatal"
    );
    assert_eq!(
        client
            .call(&ctx(), "echo", json!({"value": "still alive"}))
            .await
            .unwrap(),
        json!("still alive")
    );

    // The context arrives whole.
    let me = client.call(&ctx(), "whoami", json!({})).await.unwrap();
    assert_eq!(me["user"], "user-1");
    assert_eq!(me["project"], "project-1");

    // Server-directed calls reach exactly that server.
    for s in ["s1", "s2"] {
        for _ in 0..3 {
            let me = client
                .clone()
                .with_server(s)
                .call(&ctx(), "whoami", json!({}))
                .await
                .unwrap();
            assert_eq!(me["server"], s);
        }
    }

    // Competing consumers: both servers take a share of topic calls.
    let mut seen = std::collections::HashSet::new();
    let c = ctx();
    let calls: Vec<_> = (0..40).map(|_| client.call(&c, "whoami", json!({}))).collect();
    for r in futures_util::future::join_all(calls).await {
        seen.insert(r.unwrap()["server"].as_str().unwrap().to_string());
    }
    assert_eq!(seen.len(), 2, "both servers answered topic calls: {seen:?}");

    // A cast reaches one server; a fanout cast reaches both.
    client.cast(&ctx(), "record", json!({"value": "cast-1"})).await.unwrap();
    client
        .clone()
        .with_fanout(true)
        .cast(&ctx(), "record", json!({"value": "fan-1"}))
        .await
        .unwrap();
    client
        .clone()
        .with_server("s2")
        .cast(&ctx(), "record", json!({"value": "direct-1"}))
        .await
        .unwrap();
    eventually(10, "casts delivered", || log.lock().unwrap().len() >= 4).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = log.lock().unwrap().clone();
    assert_eq!(got.iter().filter(|(_, v)| v == "cast-1").count(), 1, "{got:?}");
    let fan: Vec<&String> = got.iter().filter(|(_, v)| v == "fan-1").map(|(s, _)| s).collect();
    assert_eq!(fan.len(), 2, "fanout reached every server: {got:?}");
    assert!(got.contains(&("s2".to_string(), json!("direct-1"))), "{got:?}");

    // A call cannot be fanned out; a version above the cap is refused locally.
    assert!(matches!(
        client
            .clone()
            .with_fanout(true)
            .call(&ctx(), "echo", json!({"value": 1}))
            .await,
        Err(RpcError::InvalidTarget(_))
    ));
    let capped = client.clone().with_version_cap("1.1").with_version("1.2");
    assert!(matches!(
        capped.call(&ctx(), "echo", json!({"value": 1})).await,
        Err(RpcError::VersionCap { .. })
    ));
    assert!(client.clone().with_version_cap("1.1").can_send_version("1.0"));

    s1.stop().await;
    s2.stop().await;
    t.shutdown().await;
}

/// Timeouts: nobody listening, and call-monitor heartbeats keeping a long call alive.
pub async fn timeouts_and_heartbeats(env: &Env) {
    let t = env.transport();
    let nobody =
        RpcClient::new(&t, Target::topic(format!("{}_nobody", env.topic))).with_timeout(Duration::from_millis(1500));
    let started = Instant::now();
    let err = nobody.call(&ctx(), "echo", json!({"value": 1})).await.unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        err.to_string()
            .starts_with("Timed out waiting for a reply to message ID "),
        "{err}"
    );
    assert!(started.elapsed() >= Duration::from_millis(1400));

    let log = Arc::new(Mutex::new(Vec::new()));
    let s = RpcServer::start(
        &t,
        Target::topic(&env.topic).with_server("hb"),
        vec![endpoint("hb", "1.0", log)],
    )
    .await
    .unwrap();
    // With a 2 s monitor window, a 3.5 s method survives only through heartbeats (every 1 s).
    let monitored = RpcClient::new(&t, Target::topic(&env.topic))
        .with_timeout(Duration::from_secs(20))
        .with_call_monitor_timeout(Duration::from_secs(2));
    assert_eq!(
        monitored.call(&ctx(), "sleep", json!({"seconds": 3.5})).await.unwrap(),
        json!(3.5)
    );
    // The monitor window alone ends a call to nobody long before the overall timeout.
    let started = Instant::now();
    let lonely = RpcClient::new(&t, Target::topic(format!("{}_nobody", env.topic)))
        .with_timeout(Duration::from_secs(30))
        .with_call_monitor_timeout(Duration::from_secs(1));
    assert!(
        lonely
            .call(&ctx(), "echo", json!({"value": 1}))
            .await
            .unwrap_err()
            .is_timeout()
    );
    assert!(started.elapsed() < Duration::from_secs(10));
    // A short overall timeout wins over the server's work.
    let hurried = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_millis(500));
    assert!(
        hurried
            .call(&ctx(), "sleep", json!({"seconds": 2}))
            .await
            .unwrap_err()
            .is_timeout()
    );
    s.stop().await;
    t.shutdown().await;
}

/// Many concurrent calls on one transport all get their own answers.
pub async fn concurrent_calls(env: &Env) {
    let t = env.transport();
    let s = RpcServer::start(
        &t,
        Target::topic(&env.topic).with_server("c"),
        vec![endpoint("c", "1.0", Arc::default())],
    )
    .await
    .unwrap();
    let client = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_secs(20));
    let calls: Vec<_> = (0..200)
        .map(|i| {
            let client = client.clone();
            async move { (i, client.call(&ctx(), "echo", json!({"value": i})).await) }
        })
        .collect();
    for (i, r) in futures_util::future::join_all(calls).await {
        assert_eq!(r.unwrap(), json!(i));
    }
    s.stop().await;
    t.shutdown().await;
}

/// Notifications from both broker drivers reach a listener; `noop` sends nothing.
pub async fn notifications(env: &Env) {
    let t = env.transport();
    let topic = format!("{}_notif", env.topic);
    let got: Arc<Mutex<Vec<Notification>>> = Arc::default();
    let sink = got.clone();
    let listener = NotificationListener::start(
        &t,
        &[Target::topic(&topic)],
        &[Priority::Info, Priority::Error],
        None,
        move |n| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(n);
                NotificationResult::Handled
            }
        },
    )
    .await
    .unwrap();
    let mut c = ctx();
    c.auth_token = Some("tok-secret".into());
    let v2 = Notifier::new(&t, "sahara", vec![NotifyDriver::MessagingV2], vec![topic.clone()]);
    v2.info(
        Some(&c),
        "sahara.cluster.create",
        json!({"cluster_id": "c1", "cluster_status": "New"}),
    )
    .await
    .unwrap();
    let v1 = Notifier::new(
        &t,
        "sahara.v1",
        vec![NotifyDriver::Messaging, NotifyDriver::Log],
        vec![topic.clone()],
    );
    v1.error(None, "sahara.cluster.update", json!({"cluster_id": "c1"}))
        .await
        .unwrap();
    let noop = Notifier::new(&t, "quiet", vec![NotifyDriver::Noop], vec![topic.clone()]);
    assert!(!noop.is_enabled());
    noop.info(None, "nothing", json!({})).await.unwrap();
    eventually(10, "two notifications", || got.lock().unwrap().len() >= 2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "noop sent nothing: {got:?}");
    let create = got.iter().find(|n| n.event_type == "sahara.cluster.create").unwrap();
    assert_eq!(create.priority, Priority::Info);
    assert_eq!(create.publisher_id, "sahara");
    assert_eq!(create.payload["cluster_status"], "New");
    assert_eq!(create.context["user_id"], "user-1");
    assert_eq!(
        create.context["auth_token"],
        Value::Null,
        "tokens never travel in notifications"
    );
    let update = got.iter().find(|n| n.event_type == "sahara.cluster.update").unwrap();
    assert_eq!(update.priority, Priority::Error);
    assert!(update.context.is_empty());
    listener.stop().await;
    t.shutdown().await;
}

/// A listener that asks for a requeue sees the notification again.
pub async fn notification_requeue(env: &Env) {
    let t = env.transport();
    let topic = format!("{}_requeue", env.topic);
    let seen = Arc::new(Mutex::new(0u32));
    let counter = seen.clone();
    let listener = NotificationListener::start(
        &t,
        &[Target::topic(&topic)],
        &[Priority::Info],
        Some(&format!("{topic}_pool")),
        move |_| {
            let counter = counter.clone();
            async move {
                let mut n = counter.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    NotificationResult::Requeue
                } else {
                    NotificationResult::Handled
                }
            }
        },
    )
    .await
    .unwrap();
    Notifier::new(&t, "p", vec![NotifyDriver::MessagingV2], vec![topic.clone()])
        .info(None, "e", json!({}))
        .await
        .unwrap();
    eventually(10, "redelivery after requeue", || *seen.lock().unwrap() >= 2).await;
    listener.stop().await;
    t.shutdown().await;
}

/// A cast sent before any server exists waits in the topic queue and is served later.
pub async fn cast_before_server(env: &Env) {
    let t = env.transport();
    let topic = format!("{}_early", env.topic);
    let client = RpcClient::new(&t, Target::topic(&topic));
    client.cast(&ctx(), "record", json!({"value": "early"})).await.unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let s = RpcServer::start(
        &t,
        Target::topic(&topic).with_server("late"),
        vec![endpoint("late", "1.0", log.clone())],
    )
    .await
    .unwrap();
    eventually(10, "the early cast", || !log.lock().unwrap().is_empty()).await;
    assert_eq!(log.lock().unwrap()[0].1, json!("early"));
    s.stop().await;
    t.shutdown().await;
}
