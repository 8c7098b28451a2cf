//! The behavioural suite over the in-process `fake://` transport.

mod common;
use common::*;

fn env() -> Env {
    Env::new(&format!("fake:///{}", uuid::Uuid::new_v4().simple()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_call_cast_and_errors() {
    call_cast_and_errors(&env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_timeouts_and_heartbeats() {
    timeouts_and_heartbeats(&env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_concurrent_calls() {
    concurrent_calls(&env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_notifications() {
    notifications(&env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_notification_requeue() {
    notification_requeue(&env()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fake_cast_before_server() {
    cast_before_server(&env()).await;
}

#[tokio::test]
async fn fake_transports_on_one_url_share_a_broker() {
    use sahara_rpc::{RpcClient, RpcServer, Target, Transport, TransportOptions};
    let url = format!("fake:///{}", uuid::Uuid::new_v4().simple());
    let a = Transport::new(&url, TransportOptions::default()).unwrap();
    let b = Transport::new(&url, TransportOptions::default()).unwrap();
    let s = RpcServer::start(
        &a,
        Target::topic("shared").with_server("x"),
        vec![endpoint("x", "1.0", Default::default())],
    )
    .await
    .unwrap();
    let r = RpcClient::new(&b, Target::topic("shared"))
        .call(&ctx(), "echo", serde_json::json!({"value": 5}))
        .await
        .unwrap();
    assert_eq!(r, serde_json::json!(5));
    s.stop().await;
}
