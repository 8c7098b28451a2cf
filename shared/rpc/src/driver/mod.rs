//! The broker abstraction under the RPC layer: declare, publish, consume, acknowledge.
//!
//! Two drivers implement it with the same semantics: [`rabbit`] (RabbitMQ through lapin,
//! with reconnection and host failover) and [`fake`] (an in-process broker for `fake://`).
//! Everything above (envelopes, replies, dispatch, notifications) is shared.

pub(crate) mod fake;
pub(crate) mod rabbit;

use crate::error::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Exchange types oslo.messaging uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeKind {
    /// Routing by exact key (oslo never uses wildcards).
    Topic,
    /// Every bound queue gets a copy.
    Fanout,
}

/// An exchange declaration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExchangeDecl {
    /// Exchange name.
    pub name: String,
    /// Type.
    pub kind: ExchangeKind,
    /// Survives a broker restart.
    pub durable: bool,
    /// Deleted when its last binding goes.
    pub auto_delete: bool,
}

/// A value in a queue or consumer argument table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgValue {
    /// An integer argument such as `x-expires`.
    Int(i64),
    /// A string argument such as `x-queue-type`.
    Str(String),
    /// A boolean argument such as `x-cancel-on-ha-failover`.
    Bool(bool),
}

/// A queue declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueDecl {
    /// Queue name.
    pub name: String,
    /// Survives a broker restart.
    pub durable: bool,
    /// Deleted when its last consumer goes.
    pub auto_delete: bool,
    /// Declare arguments (`x-expires`, `x-queue-type`, ...), in oslo's order.
    pub arguments: Vec<(String, ArgValue)>,
}

/// A queue bound to an exchange with a routing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    /// The exchange (declared before binding).
    pub exchange: ExchangeDecl,
    /// The binding key.
    pub routing_key: String,
}

/// One queue a consumer declares and reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueSpec {
    /// The queue.
    pub queue: QueueDecl,
    /// Its binding; `None` for queues reached through the default exchange (replies).
    pub binding: Option<Binding>,
    /// `basic.consume` arguments.
    pub consumer_arguments: Vec<(String, ArgValue)>,
}

/// What a consumer declares, reads and cleans up.
#[derive(Debug, Clone)]
pub struct ConsumerSpec {
    /// Name for logs (e.g. `rpc-server sahara-ops`).
    pub name: String,
    /// Queues consumed on one connection; redeclared after every reconnection.
    pub queues: Vec<QueueSpec>,
    /// `basic.qos` prefetch count; 0 sends no qos.
    pub prefetch: u16,
    /// Queues private to this consumer, deleted when it stops.
    pub delete_on_stop: Vec<String>,
}

/// Where a message is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// A named exchange, declared (once per connection) before publishing.
    Exchange(ExchangeDecl),
    /// The default exchange (routing key = queue name); never declared.
    Default,
}

impl Destination {
    /// The exchange name (`""` for the default exchange).
    pub fn name(&self) -> &str {
        match self {
            Destination::Exchange(x) => &x.name,
            Destination::Default => "",
        }
    }
}

/// One message to publish, with oslo's properties.
#[derive(Debug, Clone)]
pub struct Publish {
    /// Exchange.
    pub destination: Destination,
    /// Routing key.
    pub routing_key: String,
    /// Body bytes.
    pub body: Arc<Vec<u8>>,
    /// Per-message TTL in milliseconds (calls carry their timeout).
    pub expiration_ms: Option<u64>,
    /// Ask the broker to return the message when no queue is bound.
    pub mandatory: bool,
    /// A queue declared and bound (once per connection) before publishing, so the
    /// message has somewhere to wait (notifications, topics without a server yet).
    pub ensure_queue: Option<QueueSpec>,
}

/// What became of a published message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishOutcome {
    /// The broker confirmed it.
    Routed,
    /// A mandatory message was returned: no queue was bound to its key.
    Unroutable,
}

/// How long a publish may keep retrying through broker outages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Give up at this instant (calls: their timeout).
    pub deadline: Option<Instant>,
    /// Give up after this many reconnection attempts (oslo's `retry`); `None` = forever.
    pub max_retries: Option<u32>,
}

impl RetryPolicy {
    /// Retry until the broker is back, however long (oslo's `retry=None`).
    pub const FOREVER: RetryPolicy = RetryPolicy {
        deadline: None,
        max_retries: None,
    };

    /// Retry until `deadline`.
    pub fn until(deadline: Instant) -> Self {
        RetryPolicy {
            deadline: Some(deadline),
            max_retries: None,
        }
    }

    /// oslo's integer `retry`: -1 (or any negative) means forever.
    pub fn attempts(retry: i64) -> Self {
        RetryPolicy {
            deadline: None,
            max_retries: u32::try_from(retry).ok(),
        }
    }

    /// Whether another attempt (number `attempt`, 0-based) is allowed now.
    pub fn allows(&self, attempt: u32) -> bool {
        self.max_retries.is_none_or(|m| attempt <= m) && self.deadline.is_none_or(|d| Instant::now() < d)
    }
}

/// A received message and the means to acknowledge it.
pub struct Delivery {
    /// Body bytes.
    pub body: Vec<u8>,
    /// Acknowledges or requeues the message.
    pub acker: Acker,
}

/// Acknowledgement handle of a [`Delivery`].
pub enum Acker {
    /// A RabbitMQ delivery tag.
    Rabbit(lapin::Acker),
    /// An in-process delivery.
    Fake(fake::FakeAcker),
}

impl Acker {
    /// Acknowledges the message (best effort: a lost connection means redelivery).
    pub async fn ack(&self) -> Result<()> {
        match self {
            Acker::Rabbit(a) => a
                .ack(lapin::options::BasicAckOptions::default())
                .await
                .map(|_| ())
                .map_err(|e| crate::RpcError::Broker(e.to_string())),
            Acker::Fake(_) => Ok(()),
        }
    }

    /// Sends the acknowledgement without waiting for the connection's I/O loop to pass it
    /// on (lapin queues the command on the first poll; the rest only reports back). Fails
    /// only when the channel is already gone, and then the broker redelivers.
    pub fn ack_nowait(&self) -> Result<()> {
        use futures_util::FutureExt;
        match self.ack().now_or_never() {
            Some(Err(e)) => Err(e),
            _ => Ok(()),
        }
    }

    /// Returns the message to its queue.
    pub async fn requeue(&self) -> Result<()> {
        match self {
            Acker::Rabbit(a) => a
                .nack(lapin::options::BasicNackOptions {
                    requeue: true,
                    multiple: false,
                })
                .await
                .map(|_| ())
                .map_err(|e| crate::RpcError::Broker(e.to_string())),
            Acker::Fake(f) => {
                f.requeue();
                Ok(())
            }
        }
    }
}

/// Whether a consumer has declared its queues and is consuming.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Not connected yet (broker unreachable, or still connecting).
    Pending,
    /// Declared and consuming (at least once; reconnections happen behind the scenes).
    Ready,
    /// The broker refused the declarations; the consumer gave up.
    Failed(String),
}

/// A running consumer: deliveries arrive on its receiver until it is stopped.
pub struct Consumer {
    rx: mpsc::Receiver<Delivery>,
    handle: ConsumerHandle,
}

impl Consumer {
    pub(crate) fn new(
        rx: mpsc::Receiver<Delivery>,
        stop: watch::Sender<bool>,
        ready: watch::Receiver<Readiness>,
        task: tokio::task::JoinHandle<()>,
    ) -> Self {
        Consumer {
            rx,
            handle: ConsumerHandle { stop, ready, task },
        }
    }

    /// Splits into the receiving half and a handle that stops the consumer.
    pub fn split(self) -> (mpsc::Receiver<Delivery>, ConsumerHandle) {
        (self.rx, self.handle)
    }
}

/// Controls a consumer whose receiving half lives elsewhere.
pub struct ConsumerHandle {
    stop: watch::Sender<bool>,
    ready: watch::Receiver<Readiness>,
    task: tokio::task::JoinHandle<()>,
}

impl ConsumerHandle {
    /// Waits until the consumer's queues are declared (as long as the broker takes to be
    /// reachable); fails when the broker refused them.
    pub async fn wait_ready(&self) -> Result<()> {
        wait_ready(self.readiness()).await
    }

    /// A watch on the consumer's readiness.
    pub fn readiness(&self) -> watch::Receiver<Readiness> {
        self.ready.clone()
    }

    /// Cancels the consumer, deletes its private queues and closes its connection.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// Waits until `ready` leaves `Pending`; `Failed` becomes an error.
pub async fn wait_ready(mut ready: watch::Receiver<Readiness>) -> Result<()> {
    let state = ready
        .wait_for(|r| *r != Readiness::Pending)
        .await
        .map_err(|_| crate::RpcError::Shutdown)?
        .clone();
    match state {
        Readiness::Failed(e) => Err(crate::RpcError::Broker(e)),
        _ => Ok(()),
    }
}

/// The driver behind a transport.
pub(crate) enum Driver {
    /// RabbitMQ.
    Rabbit(rabbit::RabbitDriver),
    /// In-process.
    Fake(fake::FakeDriver),
}

impl Driver {
    /// Publishes one message, reconnecting and retrying within `retry`.
    pub async fn publish(&self, publish: &Publish, retry: RetryPolicy) -> Result<PublishOutcome> {
        match self {
            Driver::Rabbit(d) => d.publish(publish, retry).await,
            Driver::Fake(d) => d.publish(publish),
        }
    }

    /// Starts a consumer of the spec's queues; it declares them as soon as the broker is
    /// reachable (see [`ConsumerHandle::wait_ready`]) and again after every reconnection.
    pub fn consume(&self, spec: ConsumerSpec) -> Result<Consumer> {
        match self {
            Driver::Rabbit(d) => Ok(d.consume(spec)),
            Driver::Fake(d) => d.consume(spec),
        }
    }

    /// Closes connections.
    pub async fn close(&self) {
        match self {
            Driver::Rabbit(d) => d.close().await,
            Driver::Fake(_) => {}
        }
    }
}

/// oslo's reconnection interval: `interval_start + attempt * stepping`, capped.
pub(crate) fn backoff(attempt: u32, start: f64, stepping: f64, max: f64) -> Duration {
    let secs = (start + f64::from(attempt) * stepping).min(max).max(0.05);
    Duration::from_secs_f64(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff(0, 1.0, 2.0, 30.0), Duration::from_secs(1));
        assert_eq!(backoff(2, 1.0, 2.0, 30.0), Duration::from_secs(5));
        assert_eq!(backoff(100, 1.0, 2.0, 30.0), Duration::from_secs(30));
    }

    #[test]
    fn retry_policy_limits() {
        assert!(RetryPolicy::FOREVER.allows(1_000_000));
        assert!(RetryPolicy::attempts(2).allows(2));
        assert!(!RetryPolicy::attempts(2).allows(3));
        assert!(RetryPolicy::attempts(-1).allows(99));
        assert!(!RetryPolicy::until(Instant::now() - Duration::from_millis(1)).allows(0));
    }
}
