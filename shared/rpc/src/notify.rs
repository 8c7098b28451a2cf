//! Notifications: the notifier (drivers `messagingv2`, `messaging`, `log`, `noop`) and a
//! listener, with oslo.messaging's topics, priorities and message shape.

use crate::context::RequestContext;
use crate::driver::{ConsumerHandle, ConsumerSpec, Destination, Publish, RetryPolicy};
use crate::error::{Result, RpcError};
use crate::message::{deserialize_msg, new_hex_id, pack_context, serialize_bare, serialize_msg, unpack_context};
use crate::target::Target;
use crate::transport::Transport;
use serde_json::{Map, Value};
use std::fmt;
use std::future::Future;
use std::str::FromStr;
use std::sync::Arc;
use tracing::{Instrument, debug, info_span, warn};

/// Notification priorities, in oslo's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Priority {
    /// `AUDIT`
    Audit,
    /// `DEBUG`
    Debug,
    /// `INFO`
    Info,
    /// `WARN`
    Warn,
    /// `ERROR`
    Error,
    /// `CRITICAL`
    Critical,
    /// `SAMPLE`
    Sample,
}

impl Priority {
    /// Every priority, in oslo's order.
    pub const ALL: [Priority; 7] = [
        Priority::Audit,
        Priority::Debug,
        Priority::Info,
        Priority::Warn,
        Priority::Error,
        Priority::Critical,
        Priority::Sample,
    ];

    /// Upper-case name put in the message (`INFO`).
    pub fn as_upper(self) -> &'static str {
        match self {
            Priority::Audit => "AUDIT",
            Priority::Debug => "DEBUG",
            Priority::Info => "INFO",
            Priority::Warn => "WARN",
            Priority::Error => "ERROR",
            Priority::Critical => "CRITICAL",
            Priority::Sample => "SAMPLE",
        }
    }

    /// Lower-case name used in routing keys (`notifications.info`).
    pub fn as_lower(self) -> &'static str {
        match self {
            Priority::Audit => "audit",
            Priority::Debug => "debug",
            Priority::Info => "info",
            Priority::Warn => "warn",
            Priority::Error => "error",
            Priority::Critical => "critical",
            Priority::Sample => "sample",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_upper())
    }
}

impl FromStr for Priority {
    type Err = RpcError;
    fn from_str(s: &str) -> Result<Self> {
        Priority::ALL
            .into_iter()
            .find(|p| {
                p.as_upper().eq_ignore_ascii_case(s) || (s.eq_ignore_ascii_case("warning") && *p == Priority::Warn)
            })
            .ok_or_else(|| RpcError::Malformed(format!("unknown notification priority '{s}'")))
    }
}

/// A notification driver (`[oslo_messaging_notifications] driver`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyDriver {
    /// The 2.0 envelope on the broker (what Ceilometer consumes).
    MessagingV2,
    /// The bare 1.0 message on the broker.
    Messaging,
    /// A log line per notification.
    Log,
    /// Nothing.
    Noop,
}

impl FromStr for NotifyDriver {
    type Err = RpcError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "messagingv2" => Ok(NotifyDriver::MessagingV2),
            "messaging" => Ok(NotifyDriver::Messaging),
            "log" => Ok(NotifyDriver::Log),
            "noop" | "" => Ok(NotifyDriver::Noop),
            other => Err(RpcError::Malformed(format!(
                "unknown notification driver '{other}' (supported: messagingv2, messaging, log, noop)"
            ))),
        }
    }
}

/// Sends notifications (oslo's `Notifier`).
#[derive(Clone, Debug)]
pub struct Notifier {
    transport: Transport,
    publisher_id: String,
    drivers: Vec<NotifyDriver>,
    topics: Vec<String>,
    retry: i64,
}

impl Notifier {
    /// A notifier publishing as `publisher_id` through `drivers` to `topics`.
    pub fn new(
        transport: &Transport,
        publisher_id: impl Into<String>,
        drivers: Vec<NotifyDriver>,
        topics: Vec<String>,
    ) -> Self {
        Notifier {
            transport: transport.clone(),
            publisher_id: publisher_id.into(),
            drivers,
            topics,
            retry: -1,
        }
    }

    /// Limits reconnection attempts per notification (negative = forever, oslo's default).
    pub fn with_retry(mut self, retry: i64) -> Self {
        self.retry = retry;
        self
    }

    /// The same notifier under another publisher id (oslo's `prepare`).
    pub fn prepare(&self, publisher_id: impl Into<String>) -> Self {
        Notifier {
            publisher_id: publisher_id.into(),
            ..self.clone()
        }
    }

    /// Whether any driver actually sends something.
    pub fn is_enabled(&self) -> bool {
        self.drivers.iter().any(|d| *d != NotifyDriver::Noop)
    }

    /// Emits `event_type` at `priority`. A context is sent redacted (no token), as oslo
    /// does for a `RequestContext`; without one no `_context_*` keys are sent.
    pub async fn notify(
        &self,
        ctx: Option<&RequestContext>,
        event_type: &str,
        payload: Value,
        priority: Priority,
    ) -> Result<()> {
        if !self.is_enabled() {
            return Ok(());
        }
        let mut msg = Map::with_capacity(8);
        msg.insert("message_id".into(), Value::String(uuid::Uuid::new_v4().to_string()));
        msg.insert("publisher_id".into(), Value::String(self.publisher_id.clone()));
        msg.insert("event_type".into(), Value::String(event_type.to_string()));
        msg.insert("priority".into(), Value::String(priority.as_upper().to_string()));
        msg.insert("payload".into(), payload);
        msg.insert("timestamp".into(), Value::String(python_utcnow()));
        msg.insert("_unique_id".into(), Value::String(new_hex_id()));
        if let Some(ctx) = ctx {
            pack_context(&mut msg, &ctx.to_redacted_dict());
        }
        let span = info_span!("notify", event_type = %event_type, priority = %priority);
        async {
            for driver in &self.drivers {
                match driver {
                    NotifyDriver::Noop => {}
                    NotifyDriver::Log => log_notification(event_type, priority, &msg),
                    NotifyDriver::MessagingV2 | NotifyDriver::Messaging => {
                        let body = Arc::new(if *driver == NotifyDriver::MessagingV2 {
                            serialize_msg(&msg)
                        } else {
                            serialize_bare(&msg)
                        });
                        let exchange = self.transport.exchange_name(None);
                        for topic in &self.topics {
                            let routing_key = format!("{topic}.{}", priority.as_lower());
                            let publish = Publish {
                                destination: Destination::Exchange(self.transport.topic_exchange(&exchange)),
                                ensure_queue: Some(self.transport.notification_queue(&exchange, &routing_key)),
                                routing_key,
                                body: body.clone(),
                                expiration_ms: None,
                                mandatory: false,
                            };
                            self.transport
                                .inner
                                .driver
                                .publish(&publish, RetryPolicy::attempts(self.retry))
                                .await?;
                        }
                    }
                }
            }
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// `notify` at `INFO`.
    pub async fn info(&self, ctx: Option<&RequestContext>, event_type: &str, payload: Value) -> Result<()> {
        self.notify(ctx, event_type, payload, Priority::Info).await
    }

    /// `notify` at `ERROR`.
    pub async fn error(&self, ctx: Option<&RequestContext>, event_type: &str, payload: Value) -> Result<()> {
        self.notify(ctx, event_type, payload, Priority::Error).await
    }
}

/// The `log` driver: one line per notification on target `oslo.messaging.notification.<event>`.
fn log_notification(event_type: &str, priority: Priority, msg: &Map<String, Value>) {
    let mut shown = msg.clone();
    shown.retain(|k, _| !k.starts_with("_context_"));
    let text = serde_json::to_string(&shown).unwrap_or_default();
    match priority {
        Priority::Debug => tracing::debug!(target: "oslo.messaging.notification", event_type, "{text}"),
        Priority::Warn => tracing::warn!(target: "oslo.messaging.notification", event_type, "{text}"),
        Priority::Error | Priority::Critical => {
            tracing::error!(target: "oslo.messaging.notification", event_type, "{text}")
        }
        _ => tracing::info!(target: "oslo.messaging.notification", event_type, "{text}"),
    }
}

/// `str(datetime.utcnow())`: microseconds only when non-zero, as Python prints them.
fn python_utcnow() -> String {
    let now = chrono::Utc::now().naive_utc();
    let micros = now.and_utc().timestamp_subsec_micros();
    if micros == 0 {
        now.format("%Y-%m-%d %H:%M:%S").to_string()
    } else {
        format!("{}.{micros:06}", now.format("%Y-%m-%d %H:%M:%S"))
    }
}

/// A received notification.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// Its priority.
    pub priority: Priority,
    /// The sender's (redacted) context, keys without prefix; empty when none was sent.
    pub context: Map<String, Value>,
    /// `publisher_id`.
    pub publisher_id: String,
    /// `event_type`.
    pub event_type: String,
    /// The payload.
    pub payload: Value,
    /// `message_id` (uuid with dashes).
    pub message_id: String,
    /// `timestamp` as sent (`YYYY-MM-DD HH:MM:SS.ffffff`).
    pub timestamp: String,
}

/// What a listener's handler did with a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotificationResult {
    /// Processed: acknowledge it.
    Handled,
    /// Not now: put it back in the queue.
    Requeue,
}

/// Consumes notifications (oslo's `get_notification_listener`).
pub struct NotificationListener {
    consumer: ConsumerHandle,
    pump: tokio::task::JoinHandle<()>,
}

impl NotificationListener {
    /// Listens on `<topic>.<priority>` of every target for every priority given; with a
    /// `pool`, listeners sharing it share one queue named after it.
    pub async fn start<F, Fut>(
        transport: &Transport,
        targets: &[Target],
        priorities: &[Priority],
        pool: Option<&str>,
        handler: F,
    ) -> Result<NotificationListener>
    where
        F: Fn(Notification) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = NotificationResult> + Send + 'static,
    {
        let mut queues = Vec::new();
        for target in targets {
            let exchange = transport.exchange_name(target.exchange.as_deref());
            for p in priorities {
                let key = format!("{}.{}", target.topic, p.as_lower());
                queues.push(transport.topic_queue(&exchange, &key, pool.unwrap_or(&key)));
            }
        }
        if queues.is_empty() {
            return Err(RpcError::InvalidTarget(
                "a notification listener needs a target and a priority".into(),
            ));
        }
        let spec = ConsumerSpec {
            name: "notification-listener".into(),
            queues,
            prefetch: transport.options().rabbit.rabbit_qos_prefetch_count,
            delete_on_stop: Vec::new(),
        };
        let (mut rx, consumer) = transport.inner.driver.consume(spec)?.split();
        consumer.wait_ready().await?;
        let handler = Arc::new(handler);
        let pump = tokio::spawn(async move {
            let mut seen = crate::message::DuplicateFilter::default();
            while let Some(delivery) = rx.recv().await {
                let mut msg = match deserialize_msg(&delivery.body) {
                    Ok(m) => m,
                    Err(e) => {
                        warn!(error = %e, "dropping a malformed notification");
                        let _ = delivery.acker.ack().await;
                        continue;
                    }
                };
                let unique_id = msg
                    .get("_unique_id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if seen.contains(&unique_id) {
                    let _ = delivery.acker.ack().await;
                    continue;
                }
                let context = unpack_context(&mut msg);
                let text = |k: &str| msg.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                let Ok(priority) = text("priority").parse::<Priority>() else {
                    warn!("dropping a notification without a valid priority");
                    let _ = delivery.acker.ack().await;
                    continue;
                };
                let n = Notification {
                    priority,
                    context,
                    publisher_id: text("publisher_id"),
                    event_type: text("event_type"),
                    payload: msg.get("payload").cloned().unwrap_or(Value::Null),
                    message_id: text("message_id"),
                    timestamp: text("timestamp"),
                };
                debug!(event_type = %n.event_type, "notification received");
                let result = handler(n).await;
                let done = match result {
                    NotificationResult::Handled => {
                        seen.add(&unique_id);
                        delivery.acker.ack().await
                    }
                    NotificationResult::Requeue => delivery.acker.requeue().await,
                };
                if let Err(e) = done {
                    warn!(error = %e, "failed to acknowledge a notification");
                }
            }
        });
        Ok(NotificationListener { consumer, pump })
    }

    /// Stops consuming and closes the listener's connection.
    pub async fn stop(self) {
        self.consumer.stop().await;
        let _ = self.pump.await;
    }
}
