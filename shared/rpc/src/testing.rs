//! Helpers for tests against a real RabbitMQ: find the broker, list what is declared on
//! it and delete what a test made. Not used by the services.

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};
use serde_json::Value;
use std::process::Command;

/// The broker tests use: `SAHARA_TEST_TRANSPORT_URL`, else the local guest account.
pub fn rabbit_url() -> String {
    std::env::var("SAHARA_TEST_TRANSPORT_URL").unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".into())
}

/// The same broker as an AMQP URI for lapin (default vhost).
pub fn amqp_uri() -> String {
    let url = rabbit_url();
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
    format!("amqp://{}/%2f", rest.trim_end_matches('/'))
}

/// `rabbitmqctl list_<what> <columns> --formatter json`, parsed (empty on no output).
pub fn rabbitmqctl_list(what: &str, columns: &[&str]) -> Vec<Value> {
    let out = Command::new("rabbitmqctl")
        .arg(format!("list_{what}"))
        .args(columns)
        .args(["--formatter", "json", "-q"])
        .output()
        .expect("rabbitmqctl runs (the tests need the local RabbitMQ)");
    assert!(
        out.status.success(),
        "rabbitmqctl list_{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

/// Queues whose name contains `marker`, with their declaration attributes.
pub fn queues_matching(marker: &str) -> Vec<Value> {
    rabbitmqctl_list(
        "queues",
        &["name", "durable", "auto_delete", "exclusive", "arguments", "type"],
    )
    .into_iter()
    .filter(|q| q["name"].as_str().is_some_and(|n| n.contains(marker)))
    .collect()
}

/// Exchanges whose name contains `marker`, with their attributes.
pub fn exchanges_matching(marker: &str) -> Vec<Value> {
    rabbitmqctl_list(
        "exchanges",
        &["name", "type", "durable", "auto_delete", "internal", "arguments"],
    )
    .into_iter()
    .filter(|q| q["name"].as_str().is_some_and(|n| n.contains(marker)))
    .collect()
}

/// Deletes the named queues and exchanges (missing ones are fine).
pub async fn delete(queues: &[String], exchanges: &[String]) {
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default())
        .await
        .expect("connect to RabbitMQ");
    for q in queues {
        // A failed delete closes the channel, so each gets its own.
        let ch = conn.create_channel().await.expect("channel");
        let _ = ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default()).await;
    }
    for x in exchanges {
        let ch = conn.create_channel().await.expect("channel");
        let _ = ch
            .exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = conn.close(200, "cleanup".into()).await;
}

/// Deletes every queue and exchange whose name contains `marker` (a test's unique id).
pub async fn delete_matching(marker: &str) {
    let queues: Vec<String> = queues_matching(marker)
        .iter()
        .filter_map(|q| q["name"].as_str().map(str::to_string))
        .collect();
    let exchanges: Vec<String> = exchanges_matching(marker)
        .iter()
        .filter_map(|x| x["name"].as_str().map(str::to_string))
        .collect();
    delete(&queues, &exchanges).await;
}

/// Runs a test body, then deletes every queue and exchange whose name contains `marker`,
/// also when the body panics (the panic is re-raised afterwards).
pub async fn cleaned_up<F: std::future::Future<Output = ()>>(marker: &str, body: F) {
    use futures_util::FutureExt;
    let outcome = std::panic::AssertUnwindSafe(body).catch_unwind().await;
    delete_matching(marker).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
