//! Direct access to the test broker: listing what exists and deleting what a test made.

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions, ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::Value;
use std::process::Command;

/// The broker used by the RabbitMQ tests.
pub fn rabbit_url() -> String {
    std::env::var("SAHARA_TEST_TRANSPORT_URL").unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".into())
}

/// The same broker as an AMQP URI for lapin.
pub fn amqp_uri() -> String {
    let url = rabbit_url();
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(&url);
    let rest = rest.trim_end_matches('/');
    format!("amqp://{rest}/%2f")
}

/// `rabbitmqctl list_<what> <columns> --formatter json`, parsed.
pub fn rabbitmqctl_list(what: &str, columns: &[&str]) -> Vec<Value> {
    let out = Command::new("rabbitmqctl")
        .arg(format!("list_{what}"))
        .args(columns)
        .args(["--formatter", "json", "-q"])
        .output()
        .expect("rabbitmqctl runs (the tests need the local RabbitMQ)");
    assert!(out.status.success(), "rabbitmqctl list_{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap_or_default()
}

/// Queues whose name contains `marker`, with their declaration attributes.
pub fn queues_matching(marker: &str) -> Vec<Value> {
    rabbitmqctl_list("queues", &["name", "durable", "auto_delete", "exclusive", "arguments", "type"])
        .into_iter()
        .filter(|q| q["name"].as_str().is_some_and(|n| n.contains(marker)))
        .collect()
}

/// Exchanges whose name contains `marker`.
pub fn exchanges_matching(marker: &str) -> Vec<Value> {
    rabbitmqctl_list("exchanges", &["name", "type", "durable", "auto_delete", "internal", "arguments"])
        .into_iter()
        .filter(|q| q["name"].as_str().is_some_and(|n| n.contains(marker)))
        .collect()
}

/// Deletes every queue and exchange whose name contains `marker` (each test's unique id).
pub async fn delete_matching(marker: &str) {
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default()).await.expect("connect to RabbitMQ");
    let ch = conn.create_channel().await.unwrap();
    for q in queues_matching(marker) {
        let name = q["name"].as_str().unwrap();
        ch.queue_delete(name.into(), QueueDeleteOptions::default()).await.unwrap();
    }
    for x in exchanges_matching(marker) {
        let name = x["name"].as_str().unwrap();
        ch.exchange_delete(name.into(), ExchangeDeleteOptions::default()).await.unwrap();
    }
    let _ = conn.close(200, "cleanup".into()).await;
}

/// Publishes raw bytes with oslo's properties (for malformed-input tests).
pub async fn publish_raw(exchange: &str, routing_key: &str, body: &[u8]) {
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default()).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.basic_publish(
        exchange.into(),
        routing_key.into(),
        BasicPublishOptions::default(),
        body,
        BasicProperties::default().with_content_type("application/json".into()).with_delivery_mode(2),
    )
    .await
    .unwrap()
    .await
    .unwrap();
    let _ = conn.close(200, "done".into()).await;
}

/// A minimal pre-2016 oslo server on `queue`: answers every call with two messages,
/// the result first, then `{"ending": true}` alone.
pub async fn legacy_two_message_server(queue: String) -> tokio::task::JoinHandle<()> {
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default()).await.unwrap();
    let ch = conn.create_channel().await.unwrap();
    let mut consumer = ch
        .basic_consume(queue.as_str().into(), "".into(), BasicConsumeOptions { no_ack: true, ..Default::default() }, FieldTable::default())
        .await
        .unwrap();
    tokio::spawn(async move {
        while let Some(Ok(d)) = consumer.next().await {
            let msg = sahara_rpc::message::deserialize_msg(&d.data).unwrap();
            let msg_id = msg["_msg_id"].as_str().unwrap().to_string();
            let reply_q = msg["_reply_q"].as_str().unwrap().to_string();
            let value = msg["args"]["value"].clone();
            let first = serde_json::json!({"result": value, "failure": null, "_msg_id": msg_id, "_unique_id": uuid::Uuid::new_v4().simple().to_string()});
            let second = serde_json::json!({"result": null, "failure": null, "ending": true, "_msg_id": msg_id, "_unique_id": uuid::Uuid::new_v4().simple().to_string()});
            for m in [first, second] {
                let body = sahara_rpc::message::serialize_msg(m.as_object().unwrap());
                ch.basic_publish("".into(), reply_q.as_str().into(), BasicPublishOptions::default(), &body, BasicProperties::default())
                    .await
                    .unwrap()
                    .await
                    .unwrap();
            }
        }
        drop(conn);
    })
}
