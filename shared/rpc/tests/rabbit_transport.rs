//! The behavioural suite over the local RabbitMQ, plus what only a real broker shows:
//! declarations identical to oslo's, the legacy reply form, malformed input.

mod common;
use common::broker::*;
use common::*;
use sahara_rpc::{RabbitOptions, RpcClient, RpcServer, Target, TransportOptions};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Runs `f` on a fresh environment, then deletes everything the test declared.
async fn with_env<F, Fut>(f: F)
where
    F: FnOnce(Env) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let env = Env::new(&rabbit_url());
    let marker = env.exchange.trim_start_matches("test_x_").to_string();
    cleaned_up(&marker, f(env)).await;
    assert!(queues_matching(&marker).is_empty(), "queues left behind");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_call_cast_and_errors() {
    with_env(|env| async move { call_cast_and_errors(&env).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_timeouts_and_heartbeats() {
    with_env(|env| async move { timeouts_and_heartbeats(&env).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_concurrent_calls() {
    with_env(|env| async move { concurrent_calls(&env).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_notifications() {
    with_env(|env| async move { notifications(&env).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_notification_requeue() {
    with_env(|env| async move { notification_requeue(&env).await }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_cast_before_server() {
    with_env(|env| async move { cast_before_server(&env).await }).await;
}

fn by_name<'a>(list: &'a [Value], name: &str) -> &'a Value {
    list.iter()
        .find(|q| q["name"] == name)
        .unwrap_or_else(|| panic!("{name} not declared; have {list:?}"))
}

/// With default options our server declares what oslo's did (declarations.json).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_declarations_match_oslo() {
    with_env(|env| async move {
        let t = env.transport();
        let s = RpcServer::start(
            &t,
            Target::topic(&env.topic).with_server("decl"),
            vec![endpoint("decl", "1.0", Arc::default())],
        )
        .await
        .unwrap();
        RpcClient::new(&t, Target::topic(&env.topic))
            .call(&ctx(), "echo", json!({"value": 1}))
            .await
            .unwrap();
        let queues = queues_matching(&env.topic);
        for name in [env.topic.clone(), format!("{}.decl", env.topic)] {
            let q = by_name(&queues, &name);
            assert_eq!(
                (
                    q["durable"].as_bool(),
                    q["auto_delete"].as_bool(),
                    q["exclusive"].as_bool()
                ),
                (Some(false), Some(false), Some(false)),
                "{q}"
            );
            assert_eq!(q["arguments"], json!([]), "{q}");
            assert_eq!(q["type"], "classic");
        }
        let fanout = queues
            .iter()
            .find(|q| {
                q["name"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{}_fanout_", env.topic))
            })
            .unwrap();
        assert_eq!(fanout["durable"], false);
        assert_eq!(
            fanout["arguments"],
            json!([["x-expires", "signedint", 60000]]),
            "x-expires = rabbit_transient_queues_ttl, typed as py-amqp sends it"
        );
        let xs = exchanges_matching(&env.exchange);
        let x = by_name(&xs, &env.exchange);
        assert_eq!(
            (x["type"].as_str(), x["durable"].as_bool(), x["auto_delete"].as_bool()),
            (Some("topic"), Some(false), Some(false))
        );
        let fxs = exchanges_matching(&env.topic);
        let fx = by_name(&fxs, &format!("{}_fanout", env.topic));
        assert_eq!(
            (
                fx["type"].as_str(),
                fx["durable"].as_bool(),
                fx["auto_delete"].as_bool()
            ),
            (Some("fanout"), Some(false), Some(true))
        );
        // The reply queue: reply_<hex>, non-exclusive, x-expires.
        let replies: Vec<Value> = queues_matching("reply_");
        assert!(
            replies
                .iter()
                .any(|q| q["arguments"] == json!([["x-expires", "signedint", 60000]]) && q["exclusive"] == false)
        );
        s.stop().await;
        // The private fanout queue goes with the server; the shared ones stay.
        let left: Vec<String> = queues_matching(&env.topic)
            .iter()
            .map(|q| q["name"].as_str().unwrap().to_string())
            .collect();
        assert!(!left.iter().any(|n| n.contains("_fanout_")), "{left:?}");
        assert!(left.contains(&env.topic));
        t.shutdown().await;
    })
    .await;
}

/// With `rabbit_quorum_queue` (kolla's default) topic queues are quorum queues and the
/// control exchange is durable, as oslo declares them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_quorum_declarations_match_oslo() {
    with_env(|mut env| async move {
        env.options.rabbit = RabbitOptions {
            rabbit_quorum_queue: true,
            ..env.options.rabbit.clone()
        };
        let t = env.transport();
        let s = RpcServer::start(
            &t,
            Target::topic(&env.topic).with_server("q"),
            vec![endpoint("q", "1.0", Arc::default())],
        )
        .await
        .unwrap();
        assert_eq!(
            RpcClient::new(&t, Target::topic(&env.topic))
                .call(&ctx(), "echo", json!({"value": 2}))
                .await
                .unwrap(),
            json!(2)
        );
        let queues = queues_matching(&env.topic);
        for name in [env.topic.clone(), format!("{}.q", env.topic)] {
            let q = by_name(&queues, &name);
            assert_eq!(q["type"], "quorum", "{q}");
            assert_eq!(q["durable"], true, "{q}");
            assert_eq!(q["arguments"], json!([["x-queue-type", "longstr", "quorum"]]), "{q}");
        }
        let fanout = queues
            .iter()
            .find(|q| q["name"].as_str().unwrap().contains("_fanout_"))
            .unwrap();
        assert_eq!(
            fanout["type"], "classic",
            "transient queues stay classic unless rabbit_transient_quorum_queue"
        );
        let xs = exchanges_matching(&env.exchange);
        let x = by_name(&xs, &env.exchange);
        assert_eq!(x["durable"], true);
        s.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// Replies in the pre-2016 two-message form (result, then `ending`) are accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_accepts_legacy_two_message_replies() {
    with_env(|env| async move {
        let t = env.transport();
        // Declare the topic queue the way a server would, then serve it the old way.
        let decl = RpcServer::start(&t, Target::topic(&env.topic).with_server("tmp"), vec![])
            .await
            .unwrap();
        decl.stop().await;
        let legacy = legacy_two_message_server(env.topic.clone()).await;
        let client = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_secs(10));
        assert_eq!(
            client
                .call(&ctx(), "echo", json!({"value": {"old": true}}))
                .await
                .unwrap(),
            json!({"old": true})
        );
        legacy.abort();
        t.shutdown().await;
    })
    .await;
}

/// Garbage on a server's queues is logged and dropped; the server keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_server_survives_malformed_messages() {
    with_env(|env| async move {
        let t = env.transport();
        let log = Arc::new(Mutex::new(Vec::new()));
        let s = RpcServer::start(
            &t,
            Target::topic(&env.topic).with_server("m"),
            vec![endpoint("m", "1.0", log)],
        )
        .await
        .unwrap();
        for body in [
            &b"not json"[..],
            b"[1,2]",
            br#"{"oslo.version": "9.0", "oslo.message": "{}"}"#,
            br#"{"oslo.version": "2.0", "oslo.message": "{\"args\": {}}"}"#,
            br#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"args\": 5}"}"#,
            br#"{"oslo.version": "2.0", "oslo.message": "{\"method\": \"echo\", \"args\": {}, \"_msg_id\": \"x\"}"}"#,
        ] {
            publish_raw(&env.exchange, &env.topic, body).await;
        }
        let client = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_secs(10));
        assert_eq!(
            client.call(&ctx(), "echo", json!({"value": "ok"})).await.unwrap(),
            json!("ok")
        );
        s.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// A server-directed cast to a server that does not exist fails instead of vanishing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_cast_to_missing_server_is_undeliverable() {
    with_env(|mut env| async move {
        env.options.rabbit.kombu_missing_consumer_retry_timeout = 1;
        let t = env.transport();
        let client = RpcClient::new(&t, Target::topic(&env.topic).with_server("ghost"));
        let err = client.cast(&ctx(), "echo", json!({"value": 1})).await.unwrap_err();
        assert!(matches!(err, sahara_rpc::RpcError::Undeliverable { .. }), "{err:?}");
        t.shutdown().await;
    })
    .await;
}

/// The first host of a multi-host URL is down: the transport fails over to the next one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_fails_over_to_the_next_host() {
    with_env(|mut env| async move {
        let dead = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let live = rabbit_url();
        let live_host = live.split_once("://").unwrap().1.trim_end_matches('/');
        env.url = format!("rabbit://guest:guest@127.0.0.1:{dead},{live_host}/");
        env.options.rabbit.kombu_failover_strategy = "round-robin".into();
        let t = env.transport();
        let s = RpcServer::start(
            &t,
            Target::topic(&env.topic).with_server("f"),
            vec![endpoint("f", "1.0", Arc::default())],
        )
        .await
        .unwrap();
        let client = RpcClient::new(&t, Target::topic(&env.topic)).with_timeout(Duration::from_secs(30));
        assert_eq!(
            client.call(&ctx(), "echo", json!({"value": "failover"})).await.unwrap(),
            json!("failover")
        );
        s.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// Our connections negotiate oslo's 60 s AMQP heartbeat and name themselves as oslo does
/// (`<program>:<pid>:<uuid>`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rabbit_connections_have_heartbeats_and_oslo_names() {
    with_env(|env| async move {
        let t = env.transport();
        let s = RpcServer::start(
            &t,
            Target::topic(&env.topic).with_server("hb"),
            vec![endpoint("hb", "1.0", Arc::default())],
        )
        .await
        .unwrap();
        RpcClient::new(&t, Target::topic(&env.topic))
            .call(&ctx(), "echo", json!({"value": 1}))
            .await
            .unwrap();
        let prefix = format!(
            "{}:{}:",
            std::env::args()
                .next()
                .map(|a| a.rsplit('/').next().unwrap_or_default().to_string())
                .unwrap(),
            std::process::id()
        );
        let ours: Vec<Value> = rabbitmqctl_list("connections", &["timeout", "client_properties"])
            .into_iter()
            .filter(|c| {
                c["client_properties"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|p| p[0] == "connection_name" && p[2].as_str().is_some_and(|n| n.starts_with(&prefix)))
            })
            .collect();
        assert!(ours.len() >= 3, "publisher, server and reply connections: {ours:?}");
        assert!(ours.iter().all(|c| c["timeout"] == 60), "{ours:?}");
        s.stop().await;
        t.shutdown().await;
    })
    .await;
}

/// Options built from defaults mirror oslo.messaging's.
#[test]
fn defaults_are_oslos() {
    let o = TransportOptions::default();
    assert_eq!(o.rpc_response_timeout, Duration::from_secs(60));
    assert_eq!(o.rabbit.rabbit_transient_queues_ttl, 1800);
    assert_eq!(o.rabbit.heartbeat_timeout_threshold, 60);
}
