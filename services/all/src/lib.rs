//! `sahara-all`: every Sahara service in one process, talking over the in-process
//! transport (`fake://`) unless `transport_url` names a broker. So far it runs the API;
//! the conductor and the engine join it as they are built.

use sahara_config::{ConfigOpts, MessagingOpts};
use sahara_rpc::{Transport, TransportOptions};

/// The in-process transport every component of `sahara-all` shares.
pub const EMBEDDED_TRANSPORT: &str = "fake://";

/// The transport `sahara-all` uses: the configured `transport_url`, or the in-process one.
pub fn transport(conf: &ConfigOpts) -> anyhow::Result<Transport> {
    let configured = conf.raw("DEFAULT", "transport_url").filter(|u| !u.is_empty()).is_some()
        || conf.env().get("DEFAULT", "transport_url").is_some();
    let url = if configured {
        let m: MessagingOpts = conf.group()?;
        m.transport_url.unwrap_or_else(|| EMBEDDED_TRANSPORT.into())
    } else {
        EMBEDDED_TRANSPORT.to_string()
    };
    Ok(Transport::new(&url, TransportOptions::from_conf(conf)?)?)
}

/// Runs the services until `shutdown` completes.
pub async fn run(
    conf: ConfigOpts,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let transport = transport(&conf)?;
    tracing::info!(transport = %transport.url(), "sahara-all: messaging transport ready");
    let state = sahara_api::ApiState::from_conf(&conf)?;
    let listener = sahara_api::bind(&conf).await?;
    let result = sahara_api::serve(listener, state, shutdown).await;
    transport.shutdown().await;
    tracing::info!("sahara-all stopped");
    result
}
