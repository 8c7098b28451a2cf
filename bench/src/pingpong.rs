//! Implementation (c): a raw lapin publish/consume ping-pong, the most any AMQP RPC can do
//! on this broker. No envelope, no topic exchange, no dispatch: the server acks each
//! request and publishes its body unchanged to the `reply_to` queue; the client matches
//! replies by an id at the start of the body.
//!
//! As in `rpc_anchor.md`: one connection per side with a consume channel and a publish
//! channel; requests and replies go through the default exchange with delivery mode 2;
//! with confirms on, both sides' publish channels are in confirm mode and every publish
//! awaits its own broker ack (what oslo's `confirm_publish` does).
//!
//! `split_connections` gives each side a second connection for publishing, the layout
//! oslo.messaging and sahara-rpc use (consumers and publishers on separate connections),
//! to measure what that layout costs by itself.

use crate::broker;
use crate::rpc::call_line;
use crate::stats::{Summary, drive};
use anyhow::{Context, Result, anyhow};
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a client waits for one reply before counting an error.
const REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Opens a channel on `conn`, in confirm mode when `confirms`.
async fn publish_channel(conn: &Connection, confirms: bool) -> Result<Channel> {
    let ch = conn.create_channel().await?;
    if confirms {
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
    }
    Ok(ch)
}

/// Publishes `body` to the default exchange, awaiting the broker's confirm if requested.
async fn publish(ch: &Channel, routing_key: &str, body: &[u8], props: BasicProperties) -> Result<()> {
    ch.basic_publish(
        "".into(),
        routing_key.into(),
        BasicPublishOptions::default(),
        body,
        props,
    )
    .await?
    .await?;
    Ok(())
}

/// The echo side: consumes the request queue and sends every body back to its `reply_to`.
pub struct PingPongServer {
    conn: Connection,
    pub_conn: Option<Connection>,
    queue: String,
    task: tokio::task::JoinHandle<()>,
}

impl PingPongServer {
    /// Declares the (non-durable) request queue and starts echoing; returns once consuming.
    pub async fn start(url: &str, queue: &str, confirms: bool, split_connections: bool) -> Result<PingPongServer> {
        let conn = broker::connect(url, "lapin-pingpong-server").await?;
        let consume = conn.create_channel().await?;
        let pub_conn = if split_connections {
            Some(broker::connect(url, "lapin-pingpong-server-pub").await?)
        } else {
            None
        };
        let publisher = publish_channel(pub_conn.as_ref().unwrap_or(&conn), confirms).await?;
        consume
            .queue_declare(queue.into(), QueueDeclareOptions::default(), FieldTable::default())
            .await?;
        let mut consumer = consume
            .basic_consume(
                queue.into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let task = tokio::spawn(async move {
            while let Some(Ok(delivery)) = consumer.next().await {
                let publisher = publisher.clone();
                tokio::spawn(async move {
                    // Ack first, as oslo's server acks a call before dispatching it.
                    let _ = delivery.acker.ack(BasicAckOptions::default()).await;
                    let Some(reply_to) = delivery.properties.reply_to().clone() else {
                        return;
                    };
                    let props = BasicProperties::default().with_delivery_mode(2);
                    let _ = publish(&publisher, reply_to.as_str(), &delivery.data, props).await;
                });
            }
        });
        Ok(PingPongServer {
            conn,
            pub_conn,
            queue: queue.to_string(),
            task,
        })
    }

    /// Deletes the request queue and closes the connection.
    pub async fn stop(self) -> Result<()> {
        let ch = self.conn.create_channel().await?;
        ch.queue_delete(self.queue.as_str().into(), QueueDeleteOptions::default())
            .await?;
        let _ = self.conn.close(200, "stopped".into()).await;
        if let Some(c) = self.pub_conn {
            let _ = c.close(200, "stopped".into()).await;
        }
        self.task.abort();
        Ok(())
    }
}

/// Replies awaited by id.
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<()>>>>;

/// Runs `inflight` closed loops of ping-pongs against the server's `queue` and returns
/// the result line. Latency runs from before the publish to the reply's arrival.
pub async fn call_bench(
    url: &str,
    queue: &str,
    inflight: usize,
    warmup: Duration,
    run: Duration,
    confirms: bool,
    split_connections: bool,
) -> Result<Value> {
    let conn = broker::connect(url, "lapin-pingpong-client").await?;
    let consume = conn.create_channel().await?;
    let pub_conn = if split_connections {
        Some(broker::connect(url, "lapin-pingpong-client-pub").await?)
    } else {
        None
    };
    let publisher = publish_channel(pub_conn.as_ref().unwrap_or(&conn), confirms).await?;
    let reply_queue = consume
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                auto_delete: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await?
        .name()
        .to_string();
    let mut consumer = consume
        .basic_consume(
            reply_queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let pending: Pending = Arc::default();
    let routes = pending.clone();
    let replies = tokio::spawn(async move {
        while let Some(Ok(delivery)) = consumer.next().await {
            let id = std::str::from_utf8(&delivery.data)
                .ok()
                .and_then(|b| b.split(' ').next())
                .and_then(|i| i.parse::<u64>().ok());
            if let Some(tx) = id.and_then(|id| routes.lock().unwrap_or_else(|p| p.into_inner()).remove(&id)) {
                let _ = tx.send(());
            }
            let _ = delivery.acker.ack(BasicAckOptions::default()).await;
        }
    });
    let next_id = Arc::new(AtomicU64::new(0));
    let props = BasicProperties::default()
        .with_delivery_mode(2)
        .with_reply_to(reply_queue.as_str().into());
    let queue = queue.to_string();
    let ping = move || {
        let (publisher, pending, next_id, props, queue) = (
            publisher.clone(),
            pending.clone(),
            next_id.clone(),
            props.clone(),
            queue.clone(),
        );
        async move {
            let id = next_id.fetch_add(1, Ordering::Relaxed);
            let (tx, rx) = oneshot::channel();
            pending.lock().unwrap_or_else(|p| p.into_inner()).insert(id, tx);
            let body = format!("{id} x");
            let sent = publish(&publisher, &queue, body.as_bytes(), props).await;
            let outcome = match sent {
                Ok(()) => match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(_)) => Err(anyhow!("the reply consumer stopped")),
                    Err(_) => Err(anyhow!("no reply to ping {id} within {REPLY_TIMEOUT:?}")),
                },
                Err(e) => Err(e),
            };
            if outcome.is_err() {
                pending.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            }
            outcome
        }
    };
    ping().await.context("first ping")?;
    let samples = drive(inflight, warmup, run, ping).await;
    let _ = conn.close(200, "done".into()).await;
    if let Some(c) = pub_conn {
        let _ = c.close(200, "done".into()).await;
    }
    replies.abort();
    Ok(call_line("lapin", inflight, Summary::new(samples, run.as_secs_f64())))
}
