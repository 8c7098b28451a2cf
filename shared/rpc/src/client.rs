//! The RPC client: `call` (wait for the reply) and `cast` (fire and forget), to a topic,
//! to one server, or fanned out to every server on a topic.

use crate::context::RequestContext;
use crate::driver::{Destination, Publish, PublishOutcome, RetryPolicy};
use crate::error::{Result, RpcError};
use crate::failure::RemoteError;
use crate::message::{CallInfo, ReplyText, Request, new_hex_id, serialize_msg};
use crate::target::{Target, version_is_compatible};
use crate::transport::Transport;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tracing::{Instrument, debug, info_span};

/// How often an unroutable server-directed message is retried (oslo's reply retry step).
const UNROUTABLE_RETRY: Duration = Duration::from_millis(250);

/// Sends requests to a [`Target`] (oslo's `RPCClient`).
#[derive(Clone, Debug)]
pub struct RpcClient {
    transport: Transport,
    target: Target,
    timeout: Option<Duration>,
    call_monitor_timeout: Option<Duration>,
    version_cap: Option<String>,
    retry: Option<i64>,
}

impl RpcClient {
    /// A client for `target` on `transport`.
    pub fn new(transport: &Transport, target: Target) -> Self {
        RpcClient {
            transport: transport.clone(),
            target,
            timeout: None,
            call_monitor_timeout: None,
            version_cap: None,
            retry: None,
        }
    }

    /// The target messages go to.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Overrides `rpc_response_timeout` for calls.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Asks servers for call-monitor heartbeats: a call fails once this long passes without
    /// any sign of life, while a busy server keeps it alive up to the overall timeout.
    pub fn with_call_monitor_timeout(mut self, timeout: Duration) -> Self {
        self.call_monitor_timeout = Some(timeout);
        self
    }

    /// Refuses (locally) to send messages whose version exceeds `cap`.
    pub fn with_version_cap(mut self, cap: impl Into<String>) -> Self {
        self.version_cap = Some(cap.into());
        self
    }

    /// Limits reconnection attempts while sending (oslo's `retry`; negative = forever).
    pub fn with_retry(mut self, retry: i64) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The same client aimed at one server.
    pub fn with_server(mut self, server: impl Into<String>) -> Self {
        self.target.server = Some(server.into());
        self
    }

    /// The same client sending another message version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.target.version = Some(version.into());
        self
    }

    /// The same client casting to every server on the topic.
    pub fn with_fanout(mut self, fanout: bool) -> Self {
        self.target.fanout = fanout;
        self
    }

    /// Whether a message of `version` may be sent under the version cap.
    pub fn can_send_version(&self, version: &str) -> bool {
        self.version_cap
            .as_deref()
            .is_none_or(|cap| version_is_compatible(cap, version))
    }

    /// Calls `method` with keyword arguments `args` and returns its result.
    pub async fn call(&self, ctx: &RequestContext, method: &str, args: impl Serialize) -> Result<Value> {
        let args = kwargs(args)?;
        self.call_raw(ctx.to_dict(), method, args).await
    }

    /// Calls `method` and converts the result into `T` (read straight from the reply).
    pub async fn call_as<T: DeserializeOwned>(
        &self,
        ctx: &RequestContext,
        method: &str,
        args: impl Serialize,
    ) -> Result<T> {
        let args = kwargs(args)?;
        Ok(match self.call_raw_text(ctx.to_dict(), method, args).await? {
            Some(reply) => reply.result()?,
            None => serde_json::from_value(Value::Null)?,
        })
    }

    /// Casts `method` (no reply); returns once the broker has the message.
    pub async fn cast(&self, ctx: &RequestContext, method: &str, args: impl Serialize) -> Result<()> {
        let args = kwargs(args)?;
        self.cast_raw(ctx.to_dict(), method, args).await
    }

    /// `call` with a context given as a raw dict (keys without `_context_`).
    pub async fn call_raw(&self, context: Map<String, Value>, method: &str, args: Map<String, Value>) -> Result<Value> {
        match self.call_raw_text(context, method, args).await? {
            Some(reply) => Ok(reply.result()?),
            None => Ok(Value::Null),
        }
    }

    /// [`RpcClient::call_raw`], answering the reply that carries the result with the result
    /// still unread (`None` when the method returned null), for the caller to read into its
    /// own type ([`ReplyText::result`]).
    pub async fn call_raw_text(
        &self,
        mut context: Map<String, Value>,
        method: &str,
        args: Map<String, Value>,
    ) -> Result<Option<ReplyText>> {
        if self.target.fanout {
            return Err(RpcError::InvalidTarget("a fanout target can only be cast to".into()));
        }
        self.check_target(method)?;
        let timeout = self.timeout.unwrap_or(self.transport.options().rpc_response_timeout);
        let span = info_span!("rpc.call", rpc.method = %method, rpc.topic = %self.target.topic,
                              rpc.server = self.target.server.as_deref().unwrap_or(""), msg_id = tracing::field::Empty);
        async move {
            // Everything, including waiting for the reply queue while the broker is down,
            // happens within the call's timeout.
            let deadline = Instant::now() + timeout;
            let msg_id = new_hex_id();
            let waiter = self.transport.reply_waiter().await?;
            match tokio::time::timeout_at(deadline, waiter.wait_ready()).await {
                Ok(ready) => ready?,
                Err(_) => return Err(RpcError::Timeout { msg_id }),
            }
            tracing::Span::current().record("msg_id", msg_id.as_str());
            sahara_telemetry::inject_current(&mut context);
            let call = CallInfo {
                msg_id: msg_id.clone(),
                reply_q: waiter.queue.clone(),
                call_monitor_timeout: self.call_monitor_timeout.map(|d| d.as_secs_f64()),
            };
            let body = self.request_body(method, args, Some(call), context);
            let mut replies = waiter.listen(&msg_id);
            let _unlisten = Unlisten {
                waiter,
                msg_id: msg_id.clone(),
            };
            let expiration_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
            match self
                .publish_request(body, Some(expiration_ms), RetryPolicy::until(deadline))
                .await
            {
                Ok(()) => {}
                Err(RpcError::Broker(_) | RpcError::Undeliverable { .. }) if Instant::now() >= deadline => {
                    return Err(RpcError::Timeout { msg_id });
                }
                Err(e) => return Err(e),
            }
            debug!(msg_id = %msg_id, "CALL sent");
            let mut monitor = self.call_monitor_timeout.map(|d| (d, Instant::now() + d));
            let mut final_result: Option<std::result::Result<ReplyText, RemoteError>> = None;
            loop {
                let wake = monitor.map_or(deadline, |(_, m)| m.min(deadline));
                let reply = tokio::select! {
                    r = replies.recv() => r,
                    _ = tokio::time::sleep_until(wake) => return Err(RpcError::Timeout { msg_id }),
                };
                let Some(reply) = reply else {
                    return Err(RpcError::Shutdown);
                };
                let ending = reply.ending;
                if let Some(failure) = &reply.failure {
                    final_result = Some(Err(RemoteError::from_failure_string(failure)));
                } else if reply.has_result {
                    final_result = Some(Ok(reply));
                } else if !ending {
                    debug!(msg_id = %msg_id, "call-monitor heartbeat received");
                    if let Some((d, m)) = monitor.as_mut() {
                        *m = Instant::now() + *d;
                    }
                }
                if ending {
                    return match final_result {
                        Some(Ok(reply)) => Ok(Some(reply)),
                        Some(Err(e)) => Err(RpcError::Remote(e)),
                        None => Ok(None),
                    };
                }
            }
        }
        .instrument(span)
        .await
    }

    /// `cast` with a context given as a raw dict (keys without `_context_`).
    pub async fn cast_raw(
        &self,
        mut context: Map<String, Value>,
        method: &str,
        args: Map<String, Value>,
    ) -> Result<()> {
        self.check_target(method)?;
        let span = info_span!("rpc.cast", rpc.method = %method, rpc.topic = %self.target.topic,
                              rpc.server = self.target.server.as_deref().unwrap_or(""), rpc.fanout = self.target.fanout);
        async move {
            sahara_telemetry::inject_current(&mut context);
            let request = self.request(method, args, None, context);
            let unique_id = request.unique_id.clone();
            let body = Arc::new(serialize_msg(&request.into_map()));
            let retry = match self.retry {
                Some(r) => RetryPolicy::attempts(r),
                None => RetryPolicy::FOREVER,
            };
            self.publish_request(body, None, retry).await?;
            debug!(unique_id = %unique_id, "CAST sent");
            Ok(())
        }
        .instrument(span)
        .await
    }

    /// A request to this client's target.
    fn request(
        &self,
        method: &str,
        args: Map<String, Value>,
        call: Option<CallInfo>,
        context: Map<String, Value>,
    ) -> Request {
        Request {
            method: method.to_string(),
            args,
            namespace: self.target.namespace.clone(),
            version: self.target.version.clone(),
            call,
            unique_id: new_hex_id(),
            context,
        }
    }

    /// The encoded body of a request to this client's target.
    fn request_body(
        &self,
        method: &str,
        args: Map<String, Value>,
        call: Option<CallInfo>,
        context: Map<String, Value>,
    ) -> Arc<Vec<u8>> {
        Arc::new(serialize_msg(&self.request(method, args, call, context).into_map()))
    }

    fn check_target(&self, method: &str) -> Result<()> {
        if self.target.topic.is_empty() {
            return Err(RpcError::InvalidTarget(format!("a topic is required to send {method}")));
        }
        let version = self.target.version.as_deref().unwrap_or("1.0");
        if let Some(cap) = &self.version_cap
            && !version_is_compatible(cap, version)
        {
            return Err(RpcError::VersionCap {
                version: version.to_string(),
                cap: cap.clone(),
            });
        }
        Ok(())
    }

    /// Publishes a request where oslo would, making sure it has a queue to wait in.
    async fn publish_request(&self, body: Arc<Vec<u8>>, expiration_ms: Option<u64>, retry: RetryPolicy) -> Result<()> {
        let transport = &self.transport;
        let driver = &transport.inner.driver;
        if self.target.fanout {
            let publish = Publish {
                destination: Destination::Exchange(transport.fanout_exchange(&self.target.topic)),
                routing_key: String::new(),
                body,
                expiration_ms: None,
                mandatory: false,
                ensure_queue: None,
            };
            driver.publish(&publish, retry).await?;
            return Ok(());
        }
        let exchange = transport.exchange_name(self.target.exchange.as_deref());
        let routing_key = match &self.target.server {
            Some(s) => format!("{}.{}", self.target.topic, s),
            None => self.target.topic.clone(),
        };
        let mut publish = Publish {
            destination: Destination::Exchange(transport.topic_exchange(&exchange)),
            routing_key: routing_key.clone(),
            body,
            expiration_ms,
            mandatory: true,
            ensure_queue: None,
        };
        let give_up = retry.deadline.unwrap_or_else(|| {
            Instant::now() + Duration::from_secs(transport.options().rabbit.kombu_missing_consumer_retry_timeout)
        });
        loop {
            if driver.publish(&publish, retry).await? == PublishOutcome::Routed {
                return Ok(());
            }
            if self.target.server.is_none() {
                // No server has declared the topic queue yet (first start, or a broker
                // restart the servers have not recovered from): declare it exactly as a
                // server would, so the message waits there instead of being dropped.
                debug!(topic = %routing_key, "no queue bound yet; declaring the topic queue");
                publish.ensure_queue = Some(transport.topic_queue(&exchange, &routing_key, &routing_key));
                continue;
            }
            if Instant::now() + UNROUTABLE_RETRY > give_up {
                return Err(RpcError::Undeliverable { exchange, routing_key });
            }
            tokio::time::sleep(UNROUTABLE_RETRY).await;
        }
    }
}

struct Unlisten<'a> {
    waiter: &'a crate::transport::ReplyWaiter,
    msg_id: String,
}

impl Drop for Unlisten<'_> {
    fn drop(&mut self) {
        self.waiter.unlisten(&self.msg_id);
    }
}

/// Converts call arguments to the kwargs object oslo sends (`()` means no arguments).
fn kwargs(args: impl Serialize) -> Result<Map<String, Value>> {
    match serde_json::to_value(args)? {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(Map::new()),
        other => Err(RpcError::InvalidArguments(format!(
            "expected keyword arguments (a JSON object), got {other}"
        ))),
    }
}
