//! A RabbitMQ restart (`rabbitmqctl stop_app` / `start_app`) under traffic: servers,
//! listeners and clients reconnect by themselves, casts sent during the outage are
//! delivered once it is back, calls are answered or time out, and nothing hangs.
//!
//! The test restarts a private RabbitMQ node of its own, never the machine's broker.

use sahara_rpc::notify::{NotificationListener, NotificationResult, Notifier, NotifyDriver, Priority};
use sahara_rpc::{Endpoint, RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions};
use sahara_tests::broker::PrivateBroker;
use sahara_tests::oslo::{PeerConfig, PeerProcess};
use sahara_tests::unique_id;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

async fn wait_until(secs: u64, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Fails the test with `what` when `fut` takes longer than `secs`: nothing may hang.
async fn within<T>(secs: u64, what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(secs), fut)
        .await
        .unwrap_or_else(|_| panic!("hung: {what}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broker_restart_loses_nothing() {
    let broker = Arc::new(tokio::task::spawn_blocking(PrivateBroker::start).await.unwrap());
    let rabbit_url = broker.url();
    let rabbit_url = || rabbit_url.clone();
    let id = unique_id();
    let exchange = format!("itest_x_{id}");
    let topic = format!("itest_t_{id}");
    let options = TransportOptions {
        control_exchange: exchange.clone(),
        ..Default::default()
    };
    // Server and client on separate transports, as separate services would be.
    let server_t = Transport::new(&rabbit_url(), options.clone()).unwrap();
    let client_t = Transport::new(&rabbit_url(), options.clone()).unwrap();

    let received: Arc<Mutex<BTreeMap<i64, u32>>> = Arc::default();
    let sink = received.clone();
    let endpoint = Endpoint::new()
        .raw_method("record", move |_, args| {
            let sink = sink.clone();
            async move {
                let n = args.get("n").and_then(Value::as_i64).unwrap_or(-1);
                *sink.lock().unwrap().entry(n).or_default() += 1;
                Ok(Value::Null)
            }
        })
        .raw_method("echo", |_, args| async move {
            Ok(args.get("value").cloned().unwrap_or(Value::Null))
        });
    let server = RpcServer::start(&server_t, Target::topic(&topic).with_server("rs"), vec![endpoint])
        .await
        .unwrap();
    let notes: Arc<Mutex<Vec<String>>> = Arc::default();
    let note_sink = notes.clone();
    let listener = NotificationListener::start(
        &server_t,
        &[Target::topic(format!("{topic}_n"))],
        &[Priority::Info],
        None,
        move |n| {
            let note_sink = note_sink.clone();
            async move {
                note_sink.lock().unwrap().push(n.event_type);
                NotificationResult::Handled
            }
        },
    )
    .await
    .unwrap();
    // A Python server goes through the restart too.
    let peer = PeerConfig::new(&rabbit_url(), &exchange, "");
    let (p, pt) = (peer.clone(), format!("{topic}_py"));
    let py = tokio::task::spawn_blocking(move || PeerProcess::serve(&p, &pt, "py", "1.0"))
        .await
        .unwrap();

    let ctx = RequestContext::for_user("u", "p");
    let client = RpcClient::new(&client_t, Target::topic(&topic));
    let notifier = Notifier::new(
        &client_t,
        "test",
        vec![NotifyDriver::MessagingV2],
        vec![format!("{topic}_n")],
    );
    for n in 0..5 {
        client.cast(&ctx, "record", json!({"n": n})).await.unwrap();
    }
    wait_until(10, "casts before the restart", || received.lock().unwrap().len() == 5).await;

    let b = broker.clone();
    within(60, "stop_app", tokio::task::spawn_blocking(move || b.stop_app()))
        .await
        .unwrap();
    let outage_started = Instant::now();

    // During the outage: casts block until the broker is back, then go out.
    let casts = {
        let (client, ctx) = (client.clone(), ctx.clone());
        tokio::spawn(async move {
            for n in 5..15 {
                client.cast(&ctx, "record", json!({"n": n})).await.unwrap();
            }
        })
    };
    // A patient call is answered once the broker is back.
    let patient = {
        let (client, ctx) = (client.clone().with_timeout(Duration::from_secs(90)), ctx.clone());
        tokio::spawn(async move { client.call(&ctx, "echo", json!({"value": "patient"})).await })
    };
    // A hurried call fails with a timeout in its own time instead of hanging.
    let hurried = client.clone().with_timeout(Duration::from_secs(2));
    let started = Instant::now();
    let err = within(
        30,
        "a call while the broker is down",
        hurried.call(&ctx, "echo", json!({"value": "hurried"})),
    )
    .await
    .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the timeout was honoured: {:?}",
        started.elapsed()
    );

    tokio::time::sleep(Duration::from_secs(3).saturating_sub(outage_started.elapsed())).await;
    let b = broker.clone();
    within(60, "start_app", tokio::task::spawn_blocking(move || b.start_app()))
        .await
        .unwrap();
    let outage = outage_started.elapsed();

    tokio::time::timeout(Duration::from_secs(90), casts)
        .await
        .expect("casts finished")
        .unwrap();
    let answer = tokio::time::timeout(Duration::from_secs(90), patient)
        .await
        .expect("patient call ended")
        .unwrap();
    assert_eq!(answer.unwrap(), json!("patient"));
    wait_until(60, "every cast delivered", || received.lock().unwrap().len() == 15).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.keys().copied().collect::<Vec<_>>(), (0..15).collect::<Vec<_>>());
    assert!(got.values().all(|c| *c == 1), "each cast exactly once: {got:?}");

    // Everything works again: calls, notifications, and the Python peer.
    assert_eq!(
        within(
            60,
            "a call after the restart",
            client.call(&ctx, "echo", json!({"value": 1}))
        )
        .await
        .unwrap(),
        json!(1)
    );
    within(
        60,
        "a notification after the restart",
        notifier.info(Some(&ctx), "after.restart", json!({})),
    )
    .await
    .unwrap();
    wait_until(30, "a notification after the restart", || {
        notes.lock().unwrap().iter().any(|e| e == "after.restart")
    })
    .await;
    let py_client =
        RpcClient::new(&client_t, Target::topic(format!("{topic}_py"))).with_timeout(Duration::from_secs(60));
    assert_eq!(
        py_client.call(&ctx, "echo", json!({"value": "py"})).await.unwrap(),
        json!("py")
    );
    eprintln!("broker outage lasted {outage:?}; everything recovered");

    tokio::task::spawn_blocking(move || py.stop()).await.unwrap();
    within(60, "stopping the listener", listener.stop()).await;
    within(60, "stopping the server", server.stop()).await;
    within(60, "transport shutdown", server_t.shutdown()).await;
    within(60, "transport shutdown", client_t.shutdown()).await;
    let left: Vec<String> = broker
        .queue_names()
        .into_iter()
        .filter(|q| q.starts_with("reply_") || q.contains("_fanout_"))
        .collect();
    assert!(left.is_empty(), "private queues left behind: {left:?}");
}
