//! How the engine reaches cluster instances, with Sahara's semantics (its `ssh_remote`
//! driver): which address and path ([`InstanceAccess::path`]: direct TCP, `proxy_command`,
//! the router namespace's `nc`, a proxy gateway), SSH connections with command execution
//! and SFTP file operations ([`SshConnection`]), HTTP to instance services over the same
//! paths ([`HttpClient`]) and the remote concurrency limits ([`RemoteLimiter`]).
//!
//! libssh2 blocks, so every SSH connection runs on a thread of its own and exposes async
//! operations. Host keys are not verified (Sahara's `AutoAddPolicy`). Private keys stay in
//! [`PrivateKey`], which never shows them; logs and errors carry commands and paths, never
//! file contents or keys.

#![warn(missing_docs)]

mod access;
mod commands;
mod error;
mod http;
mod limits;
mod settings;
mod ssh;
mod transport;

pub use access::{
    AccessPath, Endpoint, Hop, InstanceAccess, NAMESPACE_PROXY_TEMPLATE, Node, PrivateKey, ProxyCommand, SSH_PORT,
    access_ip, needs_router_id,
};
pub use commands::{as_root, escape_quotes};
pub use error::{RemoteError, Result};
pub use http::HttpClient;
pub use hyper::body::Bytes;
pub use hyper::{Method, Request, Response, StatusCode, header};
pub use limits::{ClusterLimiter, RemoteLimiter, RemotePermit};
pub use settings::RemoteSettings;
pub use ssh::{CommandOutput, SshConnection};

use std::sync::Arc;

/// Sahara's `RemoteDriver.get_type_and_version()` for the SSH driver.
pub const REMOTE_TYPE_AND_VERSION: &str = "ssh.1.0";

/// The engine's remote driver: settings and the process-wide limiter, cloned freely.
#[derive(Debug, Clone)]
pub struct Remote {
    settings: Arc<RemoteSettings>,
    limiter: RemoteLimiter,
}

impl Remote {
    /// The driver for `settings`, with a fresh process-wide limiter
    /// (`global_remote_threshold`).
    pub fn new(settings: RemoteSettings) -> Remote {
        let limiter = RemoteLimiter::new(settings.global_remote_threshold, settings.cluster_remote_threshold);
        Remote {
            settings: Arc::new(settings),
            limiter,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &RemoteSettings {
        &self.settings
    }

    /// The process-wide limiter.
    pub fn limiter(&self) -> &RemoteLimiter {
        &self.limiter
    }

    /// A limiter for one cluster operation (`cluster_remote_threshold`).
    pub fn cluster_operation(&self) -> ClusterLimiter {
        self.limiter.cluster_operation()
    }

    /// Opens an SSH connection to the instance of `access` once `limiter` allows it.
    pub async fn connect(&self, access: &InstanceAccess, limiter: &ClusterLimiter) -> Result<SshConnection> {
        SshConnection::connect(&self.settings, access, limiter).await
    }

    /// An HTTP client for `port` of the instance of `access` (Sahara's `get_http_client`).
    pub fn get_http_client(&self, access: &InstanceAccess, port: u16) -> Result<HttpClient> {
        HttpClient::new(&self.settings, access, port)
    }
}
