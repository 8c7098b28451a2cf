//! `sahara-all`: every Sahara service in one process, talking over the in-process
//! transport (`fake://`) unless `transport_url` names a broker, on SQLite unless
//! `[database] connection` names another database. It runs the conductor (served on the
//! `sahara-conductor` topic of its transport), the engine (on `sahara-ops`, with its periodic
//! tasks) and the API; the API and the engine call the conductor in-process.

use sahara_conductor::{Conductor, ConductorSettings, store::Store};
use sahara_config::{ConfigOpts, DatabaseOpts, MessagingOpts};
use sahara_rpc::{Transport, TransportOptions};
use std::sync::Arc;

/// The in-process transport every component of `sahara-all` shares.
pub const EMBEDDED_TRANSPORT: &str = "fake://";

/// The database `sahara-all` uses when none is configured: SQLite in memory (lost on exit).
pub const EMBEDDED_DATABASE: &str = "sqlite://";

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

/// The conductor on `[database] connection`, or on an in-memory SQLite database when
/// none is configured; an SQLite database is brought to the newest schema first.
pub async fn conductor(conf: &ConfigOpts) -> anyhow::Result<Conductor> {
    let mut opts: DatabaseOpts = conf.group()?;
    if opts.connection.as_deref().is_none_or(str::is_empty) {
        tracing::warn!("no [database] connection configured: using SQLite in memory, nothing survives a restart");
        opts.connection = Some(EMBEDDED_DATABASE.to_string());
    }
    if let Some(url) = opts
        .connection
        .as_deref()
        .and_then(|u| sahara_schema::DbUrl::parse(u).ok())
        && let Some(path) = url.sqlite_path()
        && let Some(dir) = std::path::Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let store = Store::from_opts(&opts)?;
    store.wait_until_reachable().await?;
    for applied in store.upgrade_sqlite().await? {
        tracing::info!(migration = %applied, "database migrated");
    }
    Ok(Conductor::new(store, ConductorSettings::from_conf(conf)?))
}

/// Runs the services until `shutdown` completes.
pub async fn run(
    conf: ConfigOpts,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let transport = transport(&conf)?;
    tracing::info!(transport = %transport.url(), "sahara-all: messaging transport ready");
    let conductor = Arc::new(conductor(&conf).await?);
    let conductor_server = sahara_conductor::rpc::serve(&transport, conductor.clone(), "sahara-all").await?;
    tracing::info!(topic = sahara_conductor::rpc::TOPIC, "sahara-all: conductor serving");
    // The API and the engine of this process call the conductor in-process, as Sahara's `LocalApi` does
    // (`[conductor] use_local`); the RPC server above serves engines and APIs of other processes.
    let conductor_client = sahara_conductor::local_client((*conductor).clone());
    let engine = sahara_engine::Engine::from_conf(&conf, conductor_client.clone(), &transport)?;
    let engine_name = uuid::Uuid::new_v4().to_string();
    let engine_server = sahara_engine::rpc::serve(&transport, engine.clone(), &engine_name).await?;
    tracing::info!(topic = sahara_engine::rpc::TOPIC, "sahara-all: engine serving");
    let periodic = sahara_engine::periodic::start(engine, &transport, &engine_name).await?;
    let state = sahara_api::ApiState::from_conf(&conf, conductor_client)?
        .with_engine(&transport)
        .with_notifications(&conf, &transport)?;
    let listener = sahara_api::bind(&conf).await?;
    let result = sahara_api::serve(listener, state, shutdown).await;
    periodic.stop().await;
    engine_server.stop().await;
    conductor_server.stop().await;
    transport.shutdown().await;
    tracing::info!("sahara-all stopped");
    result
}
