//! Raw access to the test broker for what the RPC layer must cope with.

use futures_util::StreamExt;
use lapin::options::{BasicConsumeOptions, BasicPublishOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection, ConnectionProperties};
pub use sahara_rpc::testing::*;

/// Publishes raw bytes with oslo's properties (for malformed-input tests).
pub async fn publish_raw(exchange: &str, routing_key: &str, body: &[u8]) {
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.basic_publish(
        exchange.into(),
        routing_key.into(),
        BasicPublishOptions::default(),
        body,
        BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2),
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
    let conn = Connection::connect(&amqp_uri(), ConnectionProperties::default())
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let mut consumer = ch
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
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
                ch.basic_publish(
                    "".into(),
                    reply_q.as_str().into(),
                    BasicPublishOptions::default(),
                    &body,
                    BasicProperties::default(),
                )
                .await
                .unwrap()
                .await
                .unwrap();
            }
        }
        drop(conn);
    })
}
