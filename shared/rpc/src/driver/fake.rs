//! The in-process broker behind `fake://` URLs.
//!
//! It models what oslo.messaging relies on in RabbitMQ: topic exchanges with exact-key
//! bindings, fanout exchanges, the default exchange, competing consumers on one queue,
//! per-message expiration, mandatory returns and declaration equivalence checks. Bodies
//! travel as bytes, so encoding is exercised exactly as over AMQP. Transports opened on
//! the same URL (e.g. `fake://`) in one process share one broker, which is how
//! `sahara-all` connects its api, conductor and engine.

use super::{
    Acker, Binding, Consumer, ConsumerSpec, Delivery, Destination, ExchangeDecl, ExchangeKind, Publish, PublishOutcome,
    QueueDecl,
};
use crate::error::{Result, RpcError};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use tokio::sync::{Notify, mpsc, watch};
use tokio::time::Instant;

static BROKERS: LazyLock<Mutex<HashMap<String, Weak<FakeBroker>>>> = LazyLock::new(Default::default);

/// A transport's handle on its in-process broker.
pub(crate) struct FakeDriver {
    broker: Arc<FakeBroker>,
}

impl FakeDriver {
    /// Joins (or creates) the broker named `key` in this process.
    pub fn open(key: &str) -> Self {
        let mut brokers = BROKERS.lock().unwrap_or_else(|e| e.into_inner());
        brokers.retain(|_, b| b.strong_count() > 0);
        let broker = match brokers.get(key).and_then(Weak::upgrade) {
            Some(b) => b,
            None => {
                let b = Arc::new(FakeBroker::default());
                brokers.insert(key.to_string(), Arc::downgrade(&b));
                b
            }
        };
        FakeDriver { broker }
    }

    /// Routes one message.
    pub fn publish(&self, p: &Publish) -> Result<PublishOutcome> {
        let mut state = self.broker.lock();
        if let Destination::Exchange(x) = &p.destination {
            state.declare_exchange(x)?;
        }
        if let Some(q) = &p.ensure_queue {
            state.declare_queue(&q.queue)?;
            if let Some(b) = &q.binding {
                state.bind(&q.queue.name, b)?;
            }
        }
        let queues = state.route(&p.destination, &p.routing_key);
        if queues.is_empty() {
            return Ok(if p.mandatory {
                PublishOutcome::Unroutable
            } else {
                PublishOutcome::Routed
            });
        }
        let expires_at = p
            .expiration_ms
            .map(|ms| Instant::now() + std::time::Duration::from_millis(ms));
        for q in queues {
            q.push_back(FakeMessage {
                body: p.body.clone(),
                expires_at,
            });
        }
        Ok(PublishOutcome::Routed)
    }

    /// Declares the spec's queues and forwards their messages to a new consumer.
    pub fn consume(&self, spec: ConsumerSpec) -> Result<Consumer> {
        let queues = {
            let mut state = self.broker.lock();
            let mut queues = Vec::new();
            for qs in &spec.queues {
                let q = state.declare_queue(&qs.queue)?;
                if let Some(b) = &qs.binding {
                    state.bind(&qs.queue.name, b)?;
                }
                queues.push(q);
            }
            queues
        };
        let (tx, rx) = mpsc::channel(256);
        let (stop_tx, stop_rx) = watch::channel(false);
        let broker = self.broker.clone();
        let task = tokio::spawn(async move {
            let mut forwarders = Vec::new();
            for q in queues {
                forwarders.push(tokio::spawn(forward(q, tx.clone(), stop_rx.clone())));
            }
            drop(tx);
            let mut stop_rx = stop_rx;
            let _ = stop_rx.wait_for(|s| *s).await;
            for f in forwarders {
                let _ = f.await;
            }
            let mut state = broker.lock();
            for name in &spec.delete_on_stop {
                state.delete_queue(name);
            }
        });
        let (_ready_tx, ready_rx) = watch::channel(super::Readiness::Ready);
        Ok(Consumer::new(rx, stop_tx, ready_rx, task))
    }
}

/// Moves messages from one queue to a consumer until it stops; a message whose consumer
/// went away goes back to the head of the queue.
async fn forward(queue: Arc<FakeQueue>, tx: mpsc::Sender<Delivery>, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let notified = queue.notify.notified();
        if let Some(msg) = queue.pop_front() {
            let delivery = Delivery {
                body: msg.body.as_ref().clone(),
                acker: Acker::Fake(FakeAcker {
                    queue: queue.clone(),
                    body: msg.body.clone(),
                }),
            };
            if tx.send(delivery).await.is_err() {
                queue.push_front(FakeMessage {
                    body: msg.body,
                    expires_at: msg.expires_at,
                });
                return;
            }
            // Let a competing consumer (woken by `pop_front`) take the next message, as the
            // broker hands a queue's messages to its consumers in turn.
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            _ = notified => {}
            _ = stop.changed() => {}
        }
    }
}

/// Requeues an in-process delivery (acknowledging is a no-op: delivery removed it).
pub struct FakeAcker {
    queue: Arc<FakeQueue>,
    body: Arc<Vec<u8>>,
}

impl FakeAcker {
    /// Puts the message back at the head of its queue.
    pub fn requeue(&self) {
        self.queue.push_front(FakeMessage {
            body: self.body.clone(),
            expires_at: None,
        });
    }
}

#[derive(Default)]
struct FakeBroker {
    state: Mutex<BrokerState>,
}

impl FakeBroker {
    fn lock(&self) -> std::sync::MutexGuard<'_, BrokerState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct BrokerState {
    exchanges: HashMap<String, FakeExchange>,
    queues: HashMap<String, Arc<FakeQueue>>,
}

struct FakeExchange {
    decl: ExchangeDecl,
    /// (routing key, queue name)
    bindings: Vec<(String, String)>,
}

struct FakeQueue {
    decl: QueueDecl,
    messages: Mutex<VecDeque<FakeMessage>>,
    notify: Notify,
}

struct FakeMessage {
    body: Arc<Vec<u8>>,
    expires_at: Option<Instant>,
}

impl FakeQueue {
    fn push_back(&self, m: FakeMessage) {
        self.messages.lock().unwrap_or_else(|e| e.into_inner()).push_back(m);
        self.notify.notify_one();
    }

    fn push_front(&self, m: FakeMessage) {
        self.messages.lock().unwrap_or_else(|e| e.into_inner()).push_front(m);
        self.notify.notify_one();
    }

    fn pop_front(&self) -> Option<FakeMessage> {
        let mut q = self.messages.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        while let Some(m) = q.pop_front() {
            if m.expires_at.is_none_or(|t| t > now) {
                if !q.is_empty() {
                    // Wake a competing consumer for the rest.
                    self.notify.notify_one();
                }
                return Some(m);
            }
        }
        None
    }
}

fn precondition_failed(what: &str, name: &str, field: &str) -> RpcError {
    RpcError::Broker(format!(
        "PRECONDITION_FAILED - inequivalent arg '{field}' for {what} '{name}'"
    ))
}

impl BrokerState {
    fn declare_exchange(&mut self, x: &ExchangeDecl) -> Result<()> {
        match self.exchanges.get(&x.name) {
            Some(e) if e.decl.kind != x.kind => Err(precondition_failed("exchange", &x.name, "type")),
            Some(e) if e.decl.durable != x.durable => Err(precondition_failed("exchange", &x.name, "durable")),
            Some(_) => Ok(()),
            None => {
                self.exchanges.insert(
                    x.name.clone(),
                    FakeExchange {
                        decl: x.clone(),
                        bindings: Vec::new(),
                    },
                );
                Ok(())
            }
        }
    }

    fn declare_queue(&mut self, q: &QueueDecl) -> Result<Arc<FakeQueue>> {
        if let Some(existing) = self.queues.get(&q.name) {
            if existing.decl.durable != q.durable {
                return Err(precondition_failed("queue", &q.name, "durable"));
            }
            if existing.decl.arguments != q.arguments {
                return Err(precondition_failed("queue", &q.name, "arguments"));
            }
            return Ok(existing.clone());
        }
        let queue = Arc::new(FakeQueue {
            decl: q.clone(),
            messages: Mutex::default(),
            notify: Notify::new(),
        });
        self.queues.insert(q.name.clone(), queue.clone());
        Ok(queue)
    }

    fn bind(&mut self, queue: &str, b: &Binding) -> Result<()> {
        self.declare_exchange(&b.exchange)?;
        if let Some(x) = self.exchanges.get_mut(&b.exchange.name) {
            let entry = (b.routing_key.clone(), queue.to_string());
            if !x.bindings.contains(&entry) {
                x.bindings.push(entry);
            }
        }
        Ok(())
    }

    fn delete_queue(&mut self, name: &str) {
        self.queues.remove(name);
        for x in self.exchanges.values_mut() {
            x.bindings.retain(|(_, q)| q != name);
        }
        self.exchanges
            .retain(|_, x| !(x.decl.auto_delete && x.bindings.is_empty()));
    }

    fn route(&self, dest: &Destination, key: &str) -> Vec<Arc<FakeQueue>> {
        match dest {
            Destination::Default => self.queues.get(key).cloned().into_iter().collect(),
            Destination::Exchange(x) => {
                let Some(ex) = self.exchanges.get(&x.name) else {
                    return Vec::new();
                };
                let mut seen = std::collections::HashSet::new();
                ex.bindings
                    .iter()
                    .filter(|(rk, _)| ex.decl.kind == ExchangeKind::Fanout || rk == key)
                    .filter(|(_, q)| seen.insert(q.as_str()))
                    .filter_map(|(_, q)| self.queues.get(q).cloned())
                    .collect()
            }
        }
    }
}
