//! The RPC server: consumes a topic (shared with other servers), its own `topic.server`
//! queue and a private fanout queue, and dispatches each request to the endpoints.

use crate::context::RequestContext;
use crate::dispatcher::{Endpoint, MethodOutput, lookup};
use crate::driver::{ConsumerHandle, ConsumerSpec, Delivery, Destination, Publish, PublishOutcome, RetryPolicy};
use crate::error::{Result, RpcError};
use crate::failure::RemoteError;
use crate::message::{CallInfo, DuplicateFilter, Reply, Request, deserialize_msg, new_hex_id, serialize_msg};
use crate::target::Target;
use crate::transport::Transport;
use futures_util::FutureExt;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tracing::{Instrument, debug, error, info, info_span, warn};

/// How long a server waits for requests in progress when stopped.
const STOP_GRACE: Duration = Duration::from_secs(30);
/// Reply queues known to be gone are skipped for this long (oslo's obsolete-queue cache).
const OBSOLETE_REPLY_TTL: Duration = Duration::from_secs(60);
/// Retry step while a reply queue is missing.
const REPLY_RETRY: Duration = Duration::from_millis(250);

/// A running RPC server (oslo's `get_rpc_server(...).start()`).
pub struct RpcServer {
    target: Target,
    consumer: ConsumerHandle,
    pump: tokio::task::JoinHandle<()>,
    slots: Arc<Semaphore>,
    slot_count: u32,
}

struct Shared {
    transport: Transport,
    endpoints: Vec<Endpoint>,
    topic: String,
    obsolete_replies: Mutex<HashMap<String, Instant>>,
}

impl RpcServer {
    /// Declares the server's queues and starts dispatching. The target needs a topic and
    /// a server name; its exchange defaults to the control exchange.
    pub async fn start(transport: &Transport, target: Target, endpoints: Vec<Endpoint>) -> Result<RpcServer> {
        let server = target
            .server
            .clone()
            .ok_or_else(|| RpcError::InvalidTarget("an RPC server needs a server name".into()))?;
        if target.topic.is_empty() {
            return Err(RpcError::InvalidTarget("an RPC server needs a topic".into()));
        }
        let exchange = transport.exchange_name(target.exchange.as_deref());
        let topic = target.topic.clone();
        let direct = format!("{topic}.{server}");
        let fanout = transport.fanout_queue(&topic);
        let fanout_name = fanout.queue.name.clone();
        let spec = ConsumerSpec {
            name: format!("rpc-server {topic}.{server}"),
            queues: vec![
                transport.topic_queue(&exchange, &topic, &topic),
                transport.topic_queue(&exchange, &direct, &direct),
                fanout,
            ],
            prefetch: transport.options().rabbit.rabbit_qos_prefetch_count,
            delete_on_stop: vec![fanout_name],
        };
        let (mut rx, consumer) = transport.inner.driver.consume(spec)?.split();
        consumer.wait_ready().await?;
        let slot_count = u32::try_from(transport.options().executor_thread_pool_size.max(1)).unwrap_or(u32::MAX);
        let slots = Arc::new(Semaphore::new(slot_count as usize));
        let shared = Arc::new(Shared {
            transport: transport.clone(),
            endpoints,
            topic: topic.clone(),
            obsolete_replies: Mutex::default(),
        });
        let pump_slots = slots.clone();
        let pump = tokio::spawn(async move {
            // The pump only hands deliveries out; acknowledging, decoding and dispatching
            // happen in each request's own task, so no request waits for another's I/O.
            let seen = Arc::new(Mutex::new(DuplicateFilter::default()));
            while let Some(delivery) = rx.recv().await {
                let Ok(permit) = pump_slots.clone().acquire_owned().await else {
                    break;
                };
                let (shared, seen) = (shared.clone(), seen.clone());
                tokio::spawn(async move {
                    match accept(delivery, &seen) {
                        Accepted::Request(request) => handle(shared, request).await,
                        Accepted::Malformed(call, error) => reject(&shared, call, error).await,
                        Accepted::Dropped => {}
                    }
                    drop(permit);
                });
            }
        });
        info!(topic = %topic, server = %server, exchange = %exchange, "RPC server started");
        Ok(RpcServer {
            target,
            consumer,
            pump,
            slots,
            slot_count,
        })
    }

    /// The target the server listens on.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Stops consuming, waits (up to 30 s) for requests in progress, deletes the private
    /// fanout queue and closes the server's connection.
    pub async fn stop(self) {
        self.consumer.stop().await;
        let _ = self.pump.await;
        let _ = tokio::time::timeout(STOP_GRACE, self.slots.acquire_many(self.slot_count)).await;
        info!(topic = %self.target.topic, "RPC server stopped");
    }
}

/// What became of one delivery.
enum Accepted {
    /// A request to dispatch.
    Request(Request),
    /// A call whose request makes no sense (no method, args not an object): the caller
    /// gets the error instead of waiting for its timeout, as oslo's dispatcher answers
    /// such a call with the exception it raised.
    Malformed(CallInfo, RemoteError),
    /// Nothing to do: unreadable, a repeat, or a malformed cast.
    Dropped,
}

/// Acknowledges (before dispatch, as oslo does), decodes and de-duplicates a delivery.
fn accept(delivery: Delivery, seen: &Mutex<DuplicateFilter>) -> Accepted {
    if let Err(e) = delivery.acker.ack_nowait() {
        warn!(error = %e, "Discarding RPC request due to failed acknowledge");
        return Accepted::Dropped;
    }
    let map = match deserialize_msg(&delivery.body) {
        Ok(m) => m,
        Err(e) => {
            error!(error = %e, "discarding an unreadable RPC message");
            return Accepted::Dropped;
        }
    };
    let call = Request::call_of(&map);
    let request = match Request::from_map(map) {
        Ok(r) => r,
        Err(e) => {
            error!(error = %e, "malformed RPC request");
            return match call {
                Some(call) => Accepted::Malformed(call, RemoteError::builtin("TypeError", e.to_string())),
                None => Accepted::Dropped,
            };
        }
    };
    if !seen
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .check_and_add(&request.unique_id)
    {
        warn!(unique_id = %request.unique_id, method = %request.method, "ignoring duplicate message");
        return Accepted::Dropped;
    }
    Accepted::Request(request)
}

/// Answers a malformed call with its error.
async fn reject(shared: &Shared, call: CallInfo, error: RemoteError) {
    let reply = Reply {
        result: Value::Null,
        failure: Some(error.to_failure_string("")),
        ending: true,
        msg_id: call.msg_id,
        unique_id: new_hex_id(),
    };
    send_reply(shared, &call.reply_q, reply).await;
}

/// Dispatches one request, with call-monitor heartbeats, and replies to calls.
async fn handle(shared: Arc<Shared>, mut request: Request) {
    let span = info_span!("rpc.dispatch", rpc.method = %request.method, rpc.topic = %shared.topic,
                          msg_id = request.call.as_ref().map(|c| c.msg_id.as_str()).unwrap_or(""),
                          request_id = request.context.get("request_id").and_then(|v| v.as_str()).unwrap_or(""));
    sahara_telemetry::set_parent_from(&span, &request.context);
    async move {
        let ctx = RequestContext::from_dict(&request.context);
        let outcome = match lookup(&shared.endpoints, &request) {
            Ok(method) => {
                let work = std::panic::AssertUnwindSafe(method(ctx, std::mem::take(&mut request.args))).catch_unwind();
                run_with_heartbeat(&shared, request.call.as_ref(), work).await
            }
            Err(e) => Err(e),
        };
        match &outcome {
            Ok(_) => debug!("RPC method succeeded"),
            Err(e) if e.is_no_such_method() && request.method.ends_with("_ignore_errors") => debug!("{}", e.message),
            Err(e) => warn!(class = %e.class, error = %e.message, "Exception during message handling"),
        }
        if let Some(call) = &request.call {
            let reply = match outcome {
                Ok(MethodOutput::Value(v)) => Reply {
                    result: v,
                    failure: None,
                    ending: true,
                    msg_id: call.msg_id.clone(),
                    unique_id: new_hex_id(),
                },
                Ok(MethodOutput::Json(text)) => {
                    let body = Reply::json_body(&text, &call.msg_id, &new_hex_id());
                    send_body(&shared, &call.reply_q, &call.msg_id, body).await;
                    return;
                }
                Err(e) => Reply {
                    result: Value::Null,
                    failure: Some(e.to_failure_string(&request.method)),
                    ending: true,
                    msg_id: call.msg_id.clone(),
                    unique_id: new_hex_id(),
                },
            };
            send_reply(&shared, &call.reply_q, reply).await;
        }
    }
    .instrument(span)
    .await
}

/// Awaits the method, sending `ending: false` heartbeats every `_timeout / 2` seconds
/// when the caller asked for them. A panicking method becomes a `RuntimeError`.
async fn run_with_heartbeat(
    shared: &Shared,
    call: Option<&CallInfo>,
    work: impl std::future::Future<Output = std::thread::Result<crate::dispatcher::OutputResult>>,
) -> crate::dispatcher::OutputResult {
    let mut work = std::pin::pin!(work);
    let interval = call
        .and_then(|c| c.call_monitor_timeout)
        .map(|t| (t.trunc() as i64) / 2);
    let joined = match (call, interval) {
        (Some(call), Some(secs)) if secs >= 1 => {
            let period = Duration::from_secs(secs as u64);
            let mut ticker = tokio::time::interval_at(Instant::now() + period, period);
            loop {
                tokio::select! {
                    r = &mut work => break r,
                    _ = ticker.tick() => {
                        let beat = Reply { result: Value::Null, failure: None, ending: false,
                                           msg_id: call.msg_id.clone(), unique_id: new_hex_id() };
                        send_reply(shared, &call.reply_q, beat).await;
                    }
                }
            }
        }
        (Some(_), Some(_)) => {
            warn!(timeout = ?call.and_then(|c| c.call_monitor_timeout), "Client provided an invalid timeout value");
            work.await
        }
        _ => work.await,
    };
    joined.unwrap_or_else(|_| {
        error!("RPC method panicked");
        Err(RemoteError::builtin(
            "RuntimeError",
            "internal error while handling the request",
        ))
    })
}

/// Publishes a reply to the caller's queue, retrying while the queue is missing for up
/// to `kombu_missing_consumer_retry_timeout`, then remembering it as gone.
async fn send_reply(shared: &Shared, reply_q: &str, reply: Reply) {
    let msg_id = reply.msg_id.clone();
    send_body(shared, reply_q, &msg_id, serialize_msg(&reply.into_map())).await;
}

/// [`send_reply`] of a reply already serialised.
async fn send_body(shared: &Shared, reply_q: &str, msg_id: &str, body: Vec<u8>) {
    {
        let mut gone = shared.obsolete_replies.lock().unwrap_or_else(|e| e.into_inner());
        gone.retain(|_, t| t.elapsed() < OBSOLETE_REPLY_TTL);
        if gone.contains_key(reply_q) {
            warn!(reply_queue = %reply_q, msg_id = %msg_id, "reply queue doesn't exist, drop reply");
            return;
        }
    }
    let opts = shared.transport.options();
    let give_up = Instant::now() + Duration::from_secs(opts.rabbit.kombu_missing_consumer_retry_timeout);
    let publish = Publish {
        destination: Destination::Default,
        routing_key: reply_q.to_string(),
        body: Arc::new(body),
        expiration_ms: None,
        mandatory: opts.rabbit.direct_mandatory_flag,
        ensure_queue: None,
    };
    loop {
        match shared
            .transport
            .inner
            .driver
            .publish(&publish, RetryPolicy::until(give_up))
            .await
        {
            Ok(PublishOutcome::Routed) => return,
            Ok(PublishOutcome::Unroutable) if Instant::now() + REPLY_RETRY < give_up => {
                debug!(msg_id = %msg_id, reply_queue = %reply_q, "reply queue missing, retrying");
                tokio::time::sleep(REPLY_RETRY).await;
            }
            Ok(PublishOutcome::Unroutable) | Err(_) => {
                error!(msg_id = %msg_id, reply_queue = %reply_q,
                       "The reply failed to send after {}s due to a missing queue. Abandoning...",
                       opts.rabbit.kombu_missing_consumer_retry_timeout);
                if shared.obsolete_replies.lock().unwrap_or_else(|e| e.into_inner()).len() < 200 {
                    shared
                        .obsolete_replies
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(reply_q.to_string(), Instant::now());
                }
                return;
            }
        }
    }
}
