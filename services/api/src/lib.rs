//! The Sahara REST API. So far: version discovery at `/` (HTTP 300, as Sahara answers it,
//! which kolla's healthcheck probes), oslo.middleware's `/healthcheck` with the
//! disable-by-file backend, the versioned resources through Sahara's REST framework ([`rest`]; so far
//! [`plugins`], the [`templates`], [`clusters`] and [`images`]) and Sahara's error body for everything not routed; every other
//! path is authenticated first ([`auth`]: Keystone, or the unsafe development `noauth`). Resources are read and
//! written through the conductor ([`ApiState::conductor`]), on behalf of the caller's context.

pub mod auth;
pub mod cloud;
pub mod clusters;
pub mod edp;
pub mod error;
pub mod healthcheck;
pub mod images;
pub mod openapi;
pub mod plugins;
pub mod rest;
pub mod templates;
pub mod versions;

use axum::Router;
use sahara_config::{ConfigOpts, HealthcheckOpts, SaharaApiOpts};
use sahara_model::conductor::ConductorClient;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// Everything the routes need.
#[derive(Debug, Clone)]
pub struct ApiState {
    /// `[healthcheck]` options.
    pub healthcheck: HealthcheckOpts,
    /// How requests are authenticated (`[DEFAULT] auth_strategy`).
    pub auth: auth::Auth,
    /// The enabled plugins (`[DEFAULT] plugins` that we implement).
    pub plugins: std::sync::Arc<plugins::PluginRegistry>,
    /// The plugins' label states as the plugin GETs last read them (kept [`plugins::cache::FRESH_FOR`]).
    pub plugin_labels: std::sync::Arc<plugins::cache::LabelCache>,
    /// Sahara's policies (`[oslo_policy]`), enforced on every route.
    pub policy: std::sync::Arc<sahara_policy::Enforcer>,
    /// The conductor every resource is read and written through.
    pub conductor: ConductorClient,
    /// The cloud (Nova, Neutron, Glance, Cinder) reached with the caller's token: validation checks and images.
    pub cloud: cloud::Cloud,
    /// The options cluster validation reads (`node_domain`, verifications).
    pub clusters: clusters::ClusterOpts,
    /// The EDP options: proxy users (job executions, Swift credentials), job binary size.
    pub edp: edp::EdpOpts,
    /// The engines EDP operations are cast to (`sahara-ops`); `None` until [`ApiState::with_engine`].
    pub engine: Option<edp::ops::EngineOps>,
    /// `sahara.cluster.create` / `.update` / `.delete` notifications; `None` until
    /// [`ApiState::with_notifications`].
    pub notifier: Option<sahara_model::notification::ClusterNotifier>,
}

impl ApiState {
    /// The state described by the configuration, reaching the conductor through `conductor`.
    pub fn from_conf(conf: &ConfigOpts, conductor: ConductorClient) -> anyhow::Result<Self> {
        Ok(ApiState {
            conductor,
            cloud: cloud::Cloud::from_conf(conf)?,
            clusters: clusters::ClusterOpts::from_conf(conf)?,
            edp: edp::EdpOpts::from_conf(conf)?,
            engine: None,
            notifier: None,
            healthcheck: conf.group()?,
            auth: auth::Auth::from_conf(conf)?,
            plugins: std::sync::Arc::new(plugins::PluginRegistry::from_names(
                &conf.group::<sahara_config::SaharaServiceOpts>()?.plugins,
            )),
            plugin_labels: Default::default(),
            policy: std::sync::Arc::new(sahara_policy::Enforcer::from_config(conf)?),
        })
    }

    /// The same state, sending cluster notifications as `[oslo_messaging_notifications]` says over
    /// `transport` (the notification transport).
    pub fn with_notifications(mut self, conf: &ConfigOpts, transport: &sahara_rpc::Transport) -> anyhow::Result<Self> {
        let notifier = sahara_model::notification::ClusterNotifier::from_conf(conf, transport)
            .map_err(|e| anyhow::anyhow!("notifications: {e}"))?;
        self.notifier = Some(notifier);
        Ok(self)
    }

    /// The same state, casting engine operations over `transport`.
    pub fn with_engine(mut self, transport: &sahara_rpc::Transport) -> Self {
        self.engine = Some(edp::ops::EngineOps::new(transport));
        self
    }
}

/// The API's routes, behind authentication.
pub fn router(state: ApiState) -> Router {
    let routes = Router::new()
        .route("/", axum::routing::any(versions::discovery))
        .route(
            &state.healthcheck.path.clone(),
            axum::routing::get(healthcheck::check).head(healthcheck::check),
        )
        .route(openapi::PATH, axum::routing::get(openapi::serve))
        .fallback_service(rest::service(state.clone(), resources()))
        .with_state(state.clone());
    with_auth(routes, &state)
}

/// Every resource's routes (see [`rest::Routes`]).
pub fn resources() -> Vec<rest::Routes> {
    let mut all = plugins::api::routes();
    all.extend(templates::node_group::routes());
    all.extend(templates::cluster::routes());
    all.extend(clusters::routes());
    all.extend(images::routes());
    all.extend(edp::routes());
    all
}

/// `routes` (fallback included) behind the authentication `state` configures.
pub fn with_auth(routes: Router, state: &ApiState) -> Router {
    let authn = auth::Authenticator {
        auth: state.auth.clone(),
        healthcheck_path: state.healthcheck.path.clone(),
    };
    routes.layer(axum::middleware::from_fn_with_state(authn, auth::authenticate))
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
