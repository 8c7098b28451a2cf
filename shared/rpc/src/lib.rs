//! oslo.messaging-compatible RPC and notifications for Sahara's services.
//!
//! What travels on the broker is byte-for-byte what oslo.messaging 18.x's rabbit driver
//! sends (envelope, key order, JSON spelling, properties, queue and exchange
//! declarations), so Rust and Python services can share a broker and call each other. One
//! exception by choice: a method registered with [`Endpoint::json_method`] answers with
//! JSON text of its own making, which travels as it was written (escaped to ASCII inside
//! the envelope, but with its own separators and number spelling).
//!
//! - [`Transport`]: a `transport_url` (`rabbit://...`, several hosts for failover, or
//!   `fake://` in-process) with its options.
//! - [`RpcClient`]: `call`, `cast`, fanout, to a topic or one server; timeouts and
//!   call-monitor heartbeats; remote exceptions come back as [`RemoteError`].
//! - [`RpcServer`] + [`Endpoint`]: dispatch by namespace, version and method.
//! - [`Notifier`] and [`NotificationListener`].
//! - [`RequestContext`]: oslo.context's fields, sent as `_context_*` keys.

pub mod client;
mod conf;
pub mod context;
pub mod dispatcher;
pub(crate) mod driver;
pub mod error;
pub mod failure;
pub mod json;
pub mod message;
pub mod notify;
pub mod options;
pub mod server;
pub mod target;
pub mod testing;
pub mod transport;
pub mod url;

pub use client::RpcClient;
pub use context::RequestContext;
pub use dispatcher::{Endpoint, MethodOutput, MethodResult};
pub use error::{Result, RpcError};
pub use failure::RemoteError;
pub use notify::{Notification, NotificationListener, NotificationResult, Notifier, NotifyDriver, Priority};
pub use options::{RabbitOptions, TransportOptions};
pub use server::RpcServer;
pub use target::Target;
pub use transport::Transport;
pub use url::TransportUrl;
