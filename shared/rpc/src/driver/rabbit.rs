//! RabbitMQ through lapin, declaring and publishing exactly as oslo.messaging's rabbit
//! driver does, with reconnection, host failover and redeclaration after broker restarts.
//!
//! Publishing uses one connection and one confirm-mode channel shared by every sender
//! (each publish awaits its own broker confirm, so concurrent senders pipeline). Each
//! consumer owns a connection supervised by a task that reconnects with oslo's backoff and
//! redeclares its queues, so a broker restart costs a pause, not the server.

use super::{
    Acker, ArgValue, Consumer, ConsumerSpec, Delivery, Destination, ExchangeDecl, ExchangeKind, Publish,
    PublishOutcome, QueueSpec, Readiness, RetryPolicy, backoff,
};
use crate::error::{Result, RpcError};
use crate::options::RabbitOptions;
use crate::url::{TransportHost, TransportUrl};
use futures_util::StreamExt;
use lapin::options::{
    BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions, ExchangeDeclareOptions,
    QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lapin::protocol::{AMQPErrorKind, AMQPSoftError};
use lapin::tcp::{OwnedIdentity, OwnedTLSConfig};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::uri::{AMQPAuthority, AMQPQueryString, AMQPScheme, AMQPUri, AMQPUserInfo, SASLMechanism};
use lapin::{BasicProperties, Channel, Confirmation, Connection, ConnectionProperties, ErrorKind};
use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;
use tracing::{debug, info, warn};

/// How long one TCP + AMQP handshake may take before the next host is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The RabbitMQ driver of one transport.
pub(crate) struct RabbitDriver {
    inner: Arc<Inner>,
}

struct Inner {
    url: TransportUrl,
    opts: RabbitOptions,
    hosts: Vec<TransportHost>,
    next_host: AtomicUsize,
    tls: Option<OwnedTLSConfig>,
    publisher: tokio::sync::Mutex<Option<Arc<PubChannel>>>,
    generation: AtomicU64,
    closed: AtomicBool,
    connection_prefix: String,
}

/// The shared publishing channel of one connection generation.
struct PubChannel {
    generation: u64,
    connection: Connection,
    channel: Channel,
    declared_exchanges: Mutex<HashSet<String>>,
    declared_queues: Mutex<HashSet<(String, String)>>,
}

impl RabbitDriver {
    /// A driver for `url`; nothing connects until the first publish or consumer.
    pub fn new(url: TransportUrl, opts: RabbitOptions) -> Result<Self> {
        let mut hosts = url.hosts.clone();
        if hosts.is_empty() {
            hosts.push(TransportHost {
                hostname: "localhost".into(),
                port: None,
                username: None,
                password: None,
            });
        }
        if hosts.len() > 1 {
            // oslo shuffles the hosts once so that services spread over the cluster.
            let offset = (uuid::Uuid::new_v4().as_u128() % hosts.len() as u128) as usize;
            hosts.rotate_left(offset);
        }
        let tls = tls_config(&url, &opts)?;
        let argv0 = std::env::args()
            .next()
            .and_then(|a| {
                std::path::Path::new(&a)
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
            })
            .unwrap_or_else(|| "sahara".into());
        Ok(RabbitDriver {
            inner: Arc::new(Inner {
                url,
                opts,
                hosts,
                next_host: AtomicUsize::new(0),
                tls,
                publisher: tokio::sync::Mutex::new(None),
                generation: AtomicU64::new(0),
                closed: AtomicBool::new(false),
                connection_prefix: format!("{argv0}:{}", std::process::id()),
            }),
        })
    }

    /// Publishes, reconnecting and retrying through broker outages within `retry`.
    ///
    /// Every attempt (waiting for the shared channel, connecting, publishing) is bounded by
    /// the retry deadline, so a call with a timeout never waits behind a cast that retries
    /// forever.
    pub async fn publish(&self, p: &Publish, retry: RetryPolicy) -> Result<PublishOutcome> {
        let inner = &self.inner;
        let mut attempt = 0u32;
        loop {
            if inner.closed.load(Ordering::Relaxed) {
                return Err(RpcError::Shutdown);
            }
            let failure = match bounded(retry.deadline, inner.pub_channel()).await {
                Some(Ok(pc)) => match bounded(retry.deadline, inner.publish_on(&pc, p)).await {
                    Some(Ok(outcome)) => return Ok(outcome),
                    Some(Err(e)) => {
                        inner.invalidate(pc.generation).await;
                        if is_permanent(&e) {
                            return Err(RpcError::Broker(format!(
                                "publishing to exchange '{}' failed: {e}",
                                p.destination.name()
                            )));
                        }
                        e.to_string()
                    }
                    None => "no confirm from the broker before the deadline".to_string(),
                },
                Some(Err(RpcError::Broker(e))) => e,
                Some(Err(e)) => return Err(e),
                None => "the broker was not reachable before the deadline".to_string(),
            };
            warn!(exchange = p.destination.name(), routing_key = %p.routing_key, error = %failure, attempt,
                  "failed to publish, will retry");
            attempt += 1;
            if !retry.allows(attempt) {
                return Err(RpcError::Broker(format!(
                    "failed to publish after {attempt} attempts: {failure}"
                )));
            }
            inner.sleep_backoff(attempt - 1, retry.deadline).await;
        }
    }

    /// Starts a supervised consumer; its readiness says when the queues are declared.
    pub fn consume(&self, spec: ConsumerSpec) -> Consumer {
        let (tx, rx) = mpsc::channel(256);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (ready_tx, ready_rx) = watch::channel(Readiness::Pending);
        let task = tokio::spawn(consumer_loop(self.inner.clone(), spec, tx, stop_rx, ready_tx));
        Consumer::new(rx, stop_tx, ready_rx, task)
    }

    /// Closes the publishing connection; consumers close when stopped.
    pub async fn close(&self) {
        self.inner.closed.store(true, Ordering::Relaxed);
        if let Some(pc) = self.inner.publisher.lock().await.take() {
            let _ = pc.connection.close(200, "shutdown".into()).await;
        }
    }
}

impl Inner {
    /// Opens one connection, trying the hosts in turn, with oslo's client properties.
    async fn connect_once(&self) -> std::result::Result<Connection, String> {
        let idx = match self.opts.kombu_failover_strategy.as_str() {
            "shuffle" => (uuid::Uuid::new_v4().as_u128() % self.hosts.len() as u128) as usize,
            _ => self.next_host.fetch_add(1, Ordering::Relaxed) % self.hosts.len(),
        };
        let host = &self.hosts[idx];
        let uri = AMQPUri {
            scheme: if self.opts.ssl {
                AMQPScheme::AMQPS
            } else {
                AMQPScheme::AMQP
            },
            authority: AMQPAuthority {
                userinfo: AMQPUserInfo {
                    username: host.username.clone().unwrap_or_else(|| "guest".into()),
                    password: host.password.clone().unwrap_or_else(|| "guest".into()),
                },
                host: if host.hostname.is_empty() {
                    "localhost".into()
                } else {
                    host.hostname.clone()
                },
                port: host.port.unwrap_or(5672),
            },
            vhost: self.url.effective_vhost(),
            query: AMQPQueryString {
                heartbeat: Some(self.opts.heartbeat_timeout_threshold),
                auth_mechanism: Some(match self.opts.rabbit_login_method.to_ascii_uppercase().as_str() {
                    "PLAIN" => SASLMechanism::Plain,
                    "EXTERNAL" => SASLMechanism::External,
                    _ => SASLMechanism::AMQPlain,
                }),
                ..Default::default()
            },
        };
        let where_ = format!("{}:{}", uri.authority.host, uri.authority.port);
        let name = format!("{}:{}", self.connection_prefix, uuid::Uuid::new_v4());
        let props = ConnectionProperties::default().with_connection_name(LongString::from(name.as_str()));
        let connect = async {
            match &self.tls {
                Some(tls) => {
                    let rt = lapin::runtime::default_runtime()?;
                    Connection::connect_uri_with_config(uri, props, tls.clone(), rt).await
                }
                None => Connection::connect_uri(uri, props).await,
            }
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok(c)) => {
                debug!(broker = %where_, "connected to AMQP server");
                Ok(c)
            }
            Ok(Err(e)) => Err(format!("AMQP server on {where_} is unreachable: {e}")),
            Err(_) => Err(format!(
                "AMQP server on {where_} did not answer within {CONNECT_TIMEOUT:?}"
            )),
        }
    }

    /// Connects, retrying with backoff within `retry` (oslo's `ensure_connection`).
    async fn connect(&self, retry: RetryPolicy) -> Result<Connection> {
        let mut attempt = 0u32;
        loop {
            if self.closed.load(Ordering::Relaxed) {
                return Err(RpcError::Shutdown);
            }
            match self.connect_once().await {
                Ok(c) => {
                    if attempt > 0 {
                        info!(url = %self.url, "reconnected to AMQP server after {attempt} failed attempts");
                    }
                    return Ok(c);
                }
                Err(e) => {
                    warn!(error = %e, attempt, "AMQP connection failed, retrying");
                    attempt += 1;
                    if !retry.allows(attempt) {
                        return Err(RpcError::Broker(e));
                    }
                    self.sleep_backoff(attempt - 1, retry.deadline).await;
                }
            }
        }
    }

    async fn sleep_backoff(&self, attempt: u32, deadline: Option<Instant>) {
        let o = &self.opts;
        let mut wait = backoff(
            attempt,
            o.rabbit_retry_interval,
            o.rabbit_retry_backoff,
            o.rabbit_interval_max,
        );
        if attempt == 0 && o.kombu_reconnect_delay > 0.0 {
            wait = wait.min(Duration::from_secs_f64(o.kombu_reconnect_delay));
        }
        let until = Instant::now() + wait;
        let until = deadline.map_or(until, |d| d.min(until));
        tokio::time::sleep_until(until).await;
    }

    /// The live publishing channel, making one connection attempt when the old one died.
    async fn pub_channel(&self) -> Result<Arc<PubChannel>> {
        let mut guard = self.publisher.lock().await;
        if let Some(pc) = guard.as_ref()
            && pc.connection.status().connected()
            && pc.channel.status().connected()
        {
            return Ok(pc.clone());
        }
        if let Some(old) = guard.take() {
            let _ = old.connection.close(200, "reconnecting".into()).await;
        }
        let connection = self.connect_once().await.map_err(RpcError::Broker)?;
        let channel = connection
            .create_channel()
            .await
            .map_err(|e| RpcError::Broker(e.to_string()))?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .map_err(|e| RpcError::Broker(e.to_string()))?;
        let pc = Arc::new(PubChannel {
            generation: self.generation.fetch_add(1, Ordering::Relaxed) + 1,
            connection,
            channel,
            declared_exchanges: Mutex::default(),
            declared_queues: Mutex::default(),
        });
        *guard = Some(pc.clone());
        Ok(pc)
    }

    /// Drops the publishing channel of `generation` so the next publish reconnects.
    async fn invalidate(&self, generation: u64) {
        let mut guard = self.publisher.lock().await;
        if guard.as_ref().is_some_and(|pc| pc.generation == generation)
            && let Some(old) = guard.take()
        {
            let _ = old.connection.close(200, "reconnecting".into()).await;
        }
    }

    async fn publish_on(&self, pc: &PubChannel, p: &Publish) -> lapin::Result<PublishOutcome> {
        if let Destination::Exchange(x) = &p.destination {
            let known = pc
                .declared_exchanges
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&x.name);
            if !known {
                declare_exchange(&pc.channel, x).await?;
                pc.declared_exchanges
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(x.name.clone());
            }
        }
        if let Some(q) = &p.ensure_queue {
            let key = (p.destination.name().to_string(), q.queue.name.clone());
            let known = pc
                .declared_queues
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&key);
            if !known {
                declare_queue(&pc.channel, q).await?;
                pc.declared_queues.lock().unwrap_or_else(|e| e.into_inner()).insert(key);
            }
        }
        let mut props = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_content_encoding("utf-8".into())
            .with_delivery_mode(2)
            .with_priority(0)
            .with_headers(FieldTable::default());
        if let Some(ms) = p.expiration_ms {
            props = props.with_expiration(ShortString::from(ms.to_string()));
        }
        let confirm = pc
            .channel
            .basic_publish(
                ShortString::from(p.destination.name()),
                ShortString::from(p.routing_key.as_str()),
                BasicPublishOptions {
                    mandatory: p.mandatory,
                    immediate: false,
                },
                &p.body,
                props,
            )
            .await?
            .await?;
        match confirm {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(PublishOutcome::Routed),
            Confirmation::Ack(Some(_)) => Ok(PublishOutcome::Unroutable),
            Confirmation::Nack(_) => Err(lapin::Error::from(std::io::Error::other(
                "the broker refused the message (nack)",
            ))),
        }
    }
}

/// Runs `fut` until `deadline` (forever without one); `None` when the deadline passed.
async fn bounded<T>(deadline: Option<Instant>, fut: impl std::future::Future<Output = T>) -> Option<T> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d, fut).await.ok(),
        None => Some(fut.await),
    }
}

/// Errors that retrying cannot fix: the broker refused a declaration or access.
fn is_permanent(e: &lapin::Error) -> bool {
    match e.kind() {
        ErrorKind::ProtocolError(amqp) => matches!(
            amqp.kind(),
            AMQPErrorKind::Soft(AMQPSoftError::PRECONDITIONFAILED | AMQPSoftError::ACCESSREFUSED)
        ),
        _ => false,
    }
}

fn field_table(args: &[(String, ArgValue)]) -> FieldTable {
    let mut t = FieldTable::default();
    for (k, v) in args {
        let value = match v {
            // py-amqp sends ints that fit in 32 bits as 'I' (signed int), larger ones as 'l'.
            ArgValue::Int(i) => match i32::try_from(*i) {
                Ok(small) => AMQPValue::LongInt(small),
                Err(_) => AMQPValue::LongLongInt(*i),
            },
            ArgValue::Str(s) => AMQPValue::LongString(LongString::from(s.as_str())),
            ArgValue::Bool(b) => AMQPValue::Boolean(*b),
        };
        t.insert(ShortString::from(k.as_str()), value);
    }
    t
}

async fn declare_exchange(channel: &Channel, x: &ExchangeDecl) -> lapin::Result<()> {
    let kind = match x.kind {
        ExchangeKind::Topic => lapin::ExchangeKind::Topic,
        ExchangeKind::Fanout => lapin::ExchangeKind::Fanout,
    };
    channel
        .exchange_declare(
            ShortString::from(x.name.as_str()),
            kind,
            ExchangeDeclareOptions {
                durable: x.durable,
                auto_delete: x.auto_delete,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
}

async fn declare_queue(channel: &Channel, q: &QueueSpec) -> lapin::Result<()> {
    channel
        .queue_declare(
            ShortString::from(q.queue.name.as_str()),
            QueueDeclareOptions {
                durable: q.queue.durable,
                auto_delete: q.queue.auto_delete,
                ..Default::default()
            },
            field_table(&q.queue.arguments),
        )
        .await?;
    if let Some(b) = &q.binding {
        declare_exchange(channel, &b.exchange).await?;
        channel
            .queue_bind(
                ShortString::from(q.queue.name.as_str()),
                ShortString::from(b.exchange.name.as_str()),
                ShortString::from(b.routing_key.as_str()),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Declares every queue of `spec` on a fresh channel and starts consuming them.
async fn setup_consumers(conn: &Connection, spec: &ConsumerSpec) -> lapin::Result<(Channel, Vec<lapin::Consumer>)> {
    let channel = conn.create_channel().await?;
    if spec.prefetch > 0 {
        channel.basic_qos(spec.prefetch, BasicQosOptions::default()).await?;
    }
    let mut consumers = Vec::with_capacity(spec.queues.len());
    for q in &spec.queues {
        declare_queue(&channel, q).await?;
        let consumer = channel
            .basic_consume(
                ShortString::from(q.queue.name.as_str()),
                ShortString::from(""),
                BasicConsumeOptions::default(),
                field_table(&q.consumer_arguments),
            )
            .await?;
        consumers.push(consumer);
    }
    Ok((channel, consumers))
}

/// Supervises one consumer: connect, declare, consume, forward; on any loss reconnect.
async fn consumer_loop(
    inner: Arc<Inner>,
    spec: ConsumerSpec,
    tx: mpsc::Sender<Delivery>,
    mut stop: watch::Receiver<bool>,
    ready: watch::Sender<Readiness>,
) {
    let mut attempt = 0u32;
    let mut last_conn: Option<Connection> = None;
    'outer: loop {
        if *stop.borrow() {
            break;
        }
        let conn = tokio::select! {
            c = inner.connect(RetryPolicy::FOREVER) => c,
            _ = stop.changed() => break,
        };
        let Ok(conn) = conn else {
            // Only a shutdown of the transport ends the forever-retrying connect.
            let _ = ready.send(Readiness::Failed("the transport is shut down".into()));
            return;
        };
        match setup_consumers(&conn, &spec).await {
            Ok((_channel, consumers)) => {
                if attempt > 0 {
                    info!(consumer = %spec.name, "consumer re-established after reconnection");
                }
                attempt = 0;
                ready.send_replace(Readiness::Ready);
                let mut merged = futures_util::stream::select_all(consumers);
                loop {
                    tokio::select! {
                        next = merged.next() => match next {
                            Some(Ok(delivery)) => {
                                let d = Delivery { body: delivery.data, acker: Acker::Rabbit(delivery.acker) };
                                if tx.send(d).await.is_err() {
                                    last_conn = Some(conn);
                                    break 'outer;
                                }
                            }
                            Some(Err(e)) => {
                                warn!(consumer = %spec.name, error = %e, "consumer lost its connection");
                                break;
                            }
                            None => {
                                warn!(consumer = %spec.name, "consumer was cancelled or its connection closed");
                                break;
                            }
                        },
                        _ = stop.changed() => {
                            last_conn = Some(conn);
                            break 'outer;
                        }
                    }
                }
            }
            Err(e) => {
                if is_permanent(&e) {
                    warn!(consumer = %spec.name, error = %e, "the broker refused the consumer's declarations");
                    if *ready.borrow() == Readiness::Pending {
                        ready.send_replace(Readiness::Failed(e.to_string()));
                        let _ = conn.close(200, "declaration refused".into()).await;
                        return;
                    }
                } else {
                    warn!(consumer = %spec.name, error = %e, "could not set up consumer, retrying");
                }
            }
        }
        let _ = conn.close(200, "reconnecting".into()).await;
        let wait = inner.sleep_backoff(attempt, None);
        attempt += 1;
        tokio::select! {
            _ = wait => {}
            _ = stop.changed() => break,
        }
    }
    if let Some(conn) = last_conn {
        if !spec.delete_on_stop.is_empty()
            && let Ok(ch) = conn.create_channel().await
        {
            for q in &spec.delete_on_stop {
                if let Err(e) = ch
                    .queue_delete(ShortString::from(q.as_str()), QueueDeleteOptions::default())
                    .await
                {
                    debug!(queue = %q, error = %e, "could not delete private queue");
                }
            }
        }
        let _ = conn.close(200, "consumer stopped".into()).await;
    }
}

fn tls_config(url: &TransportUrl, opts: &RabbitOptions) -> Result<Option<OwnedTLSConfig>> {
    if !opts.ssl {
        return Ok(None);
    }
    let read = |path: &str| {
        std::fs::read(path).map_err(|e| RpcError::InvalidTransportUrl {
            url: url.redacted(),
            reason: format!("cannot read TLS file {path}: {e}"),
        })
    };
    let cert_chain = match &opts.ssl_ca_file {
        Some(p) if !p.is_empty() => Some(String::from_utf8_lossy(&read(p)?).into_owned()),
        _ => None,
    };
    let identity = match (&opts.ssl_cert_file, &opts.ssl_key_file) {
        (Some(c), Some(k)) if !c.is_empty() && !k.is_empty() => Some(OwnedIdentity::PKCS8 {
            pem: read(c)?,
            key: read(k)?,
        }),
        _ => None,
    };
    Ok(Some(OwnedTLSConfig { identity, cert_chain }))
}
