//! A RabbitMQ restart (`rabbitmqctl stop_app` / `start_app`) under traffic: servers,
//! listeners and clients reconnect by themselves, casts sent during the outage are
//! delivered once it is back, calls are answered or time out, and nothing hangs.
//!
//! It stops the machine's broker, so it is ignored by default; `scripts/test` runs it
//! alone after everything else (`cargo nextest run --run-ignored only -E 'test(broker_restart)'`).

use sahara_rpc::notify::{NotificationListener, NotificationResult, Notifier, NotifyDriver, Priority};
use sahara_rpc::testing::{delete_matching, rabbit_url};
use sahara_rpc::{Endpoint, RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions};
use sahara_tests::oslo::{PeerConfig, PeerProcess};
use sahara_tests::unique_id;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

fn rabbitmqctl(action: &str) {
    let out = Command::new("rabbitmqctl").arg(action).output().expect("rabbitmqctl");
    assert!(
        out.status.success(),
        "rabbitmqctl {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Starts the broker's application again however the test ends.
struct BrokerGuard;

impl Drop for BrokerGuard {
    fn drop(&mut self) {
        let _ = Command::new("rabbitmqctl").arg("start_app").output();
    }
}

async fn wait_until(secs: u64, what: &str, f: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "stops and restarts the machine's RabbitMQ; scripts/test runs it alone, last"]
async fn broker_restart_loses_nothing() {
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

    let guard = BrokerGuard;
    tokio::task::spawn_blocking(|| rabbitmqctl("stop_app")).await.unwrap();
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
    let err = hurried
        .call(&ctx, "echo", json!({"value": "hurried"}))
        .await
        .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "the timeout was honoured: {:?}",
        started.elapsed()
    );

    tokio::time::sleep(Duration::from_secs(3).saturating_sub(outage_started.elapsed())).await;
    tokio::task::spawn_blocking(|| rabbitmqctl("start_app")).await.unwrap();
    drop(guard);
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
    assert_eq!(client.call(&ctx, "echo", json!({"value": 1})).await.unwrap(), json!(1));
    notifier.info(Some(&ctx), "after.restart", json!({})).await.unwrap();
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
    listener.stop().await;
    server.stop().await;
    server_t.shutdown().await;
    client_t.shutdown().await;
    delete_matching(&id).await;
}
