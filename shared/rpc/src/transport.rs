//! A transport: one broker (or in-process) connection set shared by clients, servers,
//! notifiers and listeners, with oslo's naming of exchanges and queues.

use crate::driver::fake::FakeDriver;
use crate::driver::rabbit::RabbitDriver;
use crate::driver::{
    Binding, ConsumerHandle, ConsumerSpec, Driver, ExchangeDecl, ExchangeKind, QueueDecl, QueueSpec, Readiness,
};
use crate::error::Result;
use crate::message::{DuplicateFilter, ReplyText, new_hex_id};
use crate::options::TransportOptions;
use crate::url::{DriverKind, TransportUrl};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{OnceCell, mpsc};
use tracing::{debug, info, warn};

/// A messaging transport (oslo's `get_rpc_transport` / `get_notification_transport`).
///
/// Cheap to clone; all clones share connections and the reply queue.
#[derive(Clone)]
pub struct Transport {
    pub(crate) inner: Arc<TransportInner>,
}

pub(crate) struct TransportInner {
    pub url: TransportUrl,
    pub options: TransportOptions,
    pub driver: Driver,
    reply: OnceCell<ReplyWaiter>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("url", &self.inner.url)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Opens a transport for `url` (`rabbit://...` or `fake://...`). RabbitMQ connections
    /// are made lazily, by the first send or server.
    pub fn new(url: &str, options: TransportOptions) -> Result<Transport> {
        let parsed = TransportUrl::parse(url)?;
        let driver = match parsed.driver_kind()? {
            DriverKind::Rabbit => Driver::Rabbit(RabbitDriver::new(parsed.clone(), options.rabbit.clone())?),
            DriverKind::Fake => {
                let key = format!(
                    "{}/{}",
                    parsed.hosts.first().map(|h| h.hostname.as_str()).unwrap_or(""),
                    parsed.effective_vhost()
                );
                Driver::Fake(FakeDriver::open(&key))
            }
        };
        Ok(Transport {
            inner: Arc::new(TransportInner {
                url: parsed,
                options,
                driver,
                reply: OnceCell::new(),
            }),
        })
    }

    /// The parsed URL (print it with `{}`: passwords are masked).
    pub fn url(&self) -> &TransportUrl {
        &self.inner.url
    }

    /// The options the transport was opened with.
    pub fn options(&self) -> &TransportOptions {
        &self.inner.options
    }

    /// Stops the reply consumer (deleting the reply queue) and closes connections.
    pub async fn shutdown(&self) {
        if let Some(w) = self.inner.reply.get() {
            w.stop().await;
        }
        self.inner.driver.close().await;
    }

    /// The exchange a target resolves to.
    pub(crate) fn exchange_name(&self, exchange: Option<&str>) -> String {
        exchange.unwrap_or(&self.inner.options.control_exchange).to_string()
    }

    /// The control (topic) exchange as oslo declares it.
    pub(crate) fn topic_exchange(&self, name: &str) -> ExchangeDecl {
        let r = &self.inner.options.rabbit;
        ExchangeDecl {
            name: name.to_string(),
            kind: ExchangeKind::Topic,
            durable: r.durable(),
            auto_delete: r.amqp_auto_delete,
        }
    }

    /// The `<topic>_fanout` exchange as oslo declares it.
    pub(crate) fn fanout_exchange(&self, topic: &str) -> ExchangeDecl {
        ExchangeDecl {
            name: format!("{topic}_fanout"),
            kind: ExchangeKind::Fanout,
            durable: self.inner.options.rabbit.rabbit_transient_quorum_queue,
            auto_delete: true,
        }
    }

    /// A topic queue (`declare_topic_consumer`): named `queue`, bound with `routing_key`.
    pub(crate) fn topic_queue(&self, exchange: &str, routing_key: &str, queue: &str) -> QueueSpec {
        let r = &self.inner.options.rabbit;
        QueueSpec {
            queue: QueueDecl {
                name: queue.to_string(),
                durable: r.durable(),
                auto_delete: r.amqp_auto_delete,
                arguments: r.queue_arguments(r.rabbit_quorum_queue, 0),
            },
            binding: Some(Binding {
                exchange: self.topic_exchange(exchange),
                routing_key: routing_key.to_string(),
            }),
            consumer_arguments: r.consumer_arguments(),
        }
    }

    /// The default queue a notifier declares for `<topic>.<priority>` (no TTL).
    pub(crate) fn notification_queue(&self, exchange: &str, routing_key: &str) -> QueueSpec {
        self.topic_queue(exchange, routing_key, routing_key)
    }

    /// A server's private fanout queue `<topic>_fanout_<hex>`.
    pub(crate) fn fanout_queue(&self, topic: &str) -> QueueSpec {
        let r = &self.inner.options.rabbit;
        let quorum = r.rabbit_transient_quorum_queue;
        QueueSpec {
            queue: QueueDecl {
                name: format!("{topic}_fanout_{}", new_hex_id()),
                durable: quorum,
                auto_delete: false,
                arguments: r.queue_arguments(quorum, r.rabbit_transient_queues_ttl),
            },
            binding: Some(Binding {
                exchange: self.fanout_exchange(topic),
                routing_key: topic.to_string(),
            }),
            consumer_arguments: r.consumer_arguments(),
        }
    }

    /// The transport's reply queue and its waiter, created on first use.
    pub(crate) async fn reply_waiter(&self) -> Result<&ReplyWaiter> {
        self.inner
            .reply
            .get_or_try_init(|| ReplyWaiter::start(self.clone()))
            .await
    }
}

/// Routes replies arriving on the transport's `reply_<hex>` queue to waiting calls.
pub(crate) struct ReplyWaiter {
    /// The reply queue name sent as `_reply_q`.
    pub queue: String,
    waiters: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<ReplyText>>>>,
    ready: tokio::sync::watch::Receiver<Readiness>,
    handle: tokio::sync::Mutex<Option<ConsumerHandle>>,
}

impl ReplyWaiter {
    async fn start(transport: Transport) -> Result<ReplyWaiter> {
        let r = &transport.inner.options.rabbit;
        let quorum = r.rabbit_transient_quorum_queue;
        let queue = format!("reply_{}", new_hex_id());
        debug!(queue = %queue, "creating reply queue");
        let spec = ConsumerSpec {
            name: format!("reply {queue}"),
            queues: vec![QueueSpec {
                queue: QueueDecl {
                    name: queue.clone(),
                    durable: quorum,
                    auto_delete: false,
                    arguments: r.queue_arguments(quorum, r.rabbit_transient_queues_ttl),
                },
                binding: None,
                consumer_arguments: r.consumer_arguments(),
            }],
            prefetch: r.rabbit_qos_prefetch_count,
            delete_on_stop: vec![queue.clone()],
        };
        let (mut rx, handle) = transport.inner.driver.consume(spec)?.split();
        let waiters: Arc<Mutex<HashMap<String, mpsc::UnboundedSender<ReplyText>>>> = Arc::default();
        let routes = waiters.clone();
        tokio::spawn(async move {
            let mut seen = DuplicateFilter::default();
            while let Some(delivery) = rx.recv().await {
                // Route first, acknowledge after: the caller is not kept waiting for the
                // acknowledgement's trip through the connection's I/O loop.
                // The result is left for the caller to read, in its own task.
                match ReplyText::from_body(&delivery.body) {
                    Ok(reply) if !seen.check_and_add(&reply.unique_id) => {
                        debug!(msg_id = %reply.msg_id, "dropping a duplicate reply");
                    }
                    Ok(reply) => {
                        let sender = routes
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get(&reply.msg_id)
                            .cloned();
                        match sender {
                            Some(s) => {
                                let _ = s.send(reply);
                            }
                            None => info!(msg_id = %reply.msg_id, "No calling threads waiting for msg_id"),
                        }
                    }
                    Err(e) => warn!(error = %e, "dropping a malformed reply"),
                }
                if let Err(e) = delivery.acker.ack_nowait() {
                    debug!(error = %e, "could not acknowledge a reply");
                }
            }
        });
        Ok(ReplyWaiter {
            queue,
            waiters,
            ready: handle.readiness(),
            handle: tokio::sync::Mutex::new(Some(handle)),
        })
    }

    /// Waits until the reply queue is declared (the broker may be down for a while).
    pub async fn wait_ready(&self) -> Result<()> {
        crate::driver::wait_ready(self.ready.clone()).await
    }

    /// Registers a call waiting for replies to `msg_id`.
    pub fn listen(&self, msg_id: &str) -> mpsc::UnboundedReceiver<ReplyText> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(msg_id.to_string(), tx);
        rx
    }

    /// Forgets a finished call.
    pub fn unlisten(&self, msg_id: &str) {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner()).remove(msg_id);
    }

    async fn stop(&self) {
        if let Some(h) = self.handle.lock().await.take() {
            h.stop().await;
        }
    }
}
