//! The Sahara REST API. So far: version discovery at `/` (HTTP 300, as Sahara answers it,
//! which kolla's healthcheck probes), oslo.middleware's `/healthcheck` with the
//! disable-by-file backend, and Sahara's error body for everything not yet routed.

pub mod error;
pub mod healthcheck;
pub mod versions;

use axum::Router;
use sahara_config::{ConfigOpts, HealthcheckOpts, SaharaApiOpts};
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Everything the routes need.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// `[healthcheck]` options.
    pub healthcheck: HealthcheckOpts,
}

impl ApiState {
    /// The state described by the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self, sahara_config::ConfigError> {
        Ok(ApiState {
            healthcheck: conf.group()?,
        })
    }
}

/// The API's routes.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/", axum::routing::any(versions::discovery))
        .route(
            &state.healthcheck.path.clone(),
            axum::routing::get(healthcheck::check).head(healthcheck::check),
        )
        .fallback(error::not_found)
        .with_state(state)
}

/// Binds `[DEFAULT] host:port` (exactly that address, as kolla expects).
pub async fn bind(conf: &ConfigOpts) -> anyhow::Result<TcpListener> {
    let api: SaharaApiOpts = conf.group()?;
    let host = api.host.trim_start_matches('[').trim_end_matches(']');
    let addr: SocketAddr = format!(
        "{}:{}",
        if host.contains(':') {
            format!("[{host}]")
        } else {
            host.to_string()
        },
        api.port
    )
    .parse()
    .map_err(|e| anyhow::anyhow!("[DEFAULT] host/port {}:{} is not an address: {e}", api.host, api.port))?;
    TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: ApiState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tracing::info!(address = %listener.local_addr()?, "sahara-api listening");
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}
