//! The in-process harness of the API tests: an [`ApiState`] from an INI text (`auth_strategy = noauth` and
//! `plugins = fake` unless the text says otherwise), wired either to a real conductor on an in-memory SQLite
//! database served over a private `fake://` transport ([`with_conductor`]), or to a conductor nobody serves
//! ([`without_conductor`], for tests of routes that never reach it).

#![allow(dead_code)]

pub mod replay;

use sahara_api::ApiState;
use sahara_config::ConfigOpts;
use sahara_model::conductor::ConductorClient;
use sahara_rpc::{Endpoint, RpcServer, Target, Transport, TransportOptions};
use serde_json::{Map, Value, json};
use std::sync::{Arc, Mutex};

/// The configuration: `[DEFAULT] auth_strategy = noauth`, `plugins = fake`, then `ini`.
pub fn conf(ini: &str) -> ConfigOpts {
    let ini = if ini.contains("[DEFAULT]") {
        ini.to_string()
    } else {
        format!("[DEFAULT]\nauth_strategy = noauth\nplugins = fake\n{ini}")
    };
    ConfigOpts::from_ini_str(&ini).unwrap()
}

/// A private in-process transport (its own `fake://` bus).
pub fn private_transport() -> Transport {
    let url = format!("fake://{}/", uuid::Uuid::new_v4().simple());
    Transport::new(&url, TransportOptions::default()).unwrap()
}

/// A conductor that is not there: every call fails at once (as an unreachable one does after its timeout).
struct NoConductor;

impl sahara_model::conductor::ConductorTransport for NoConductor {
    fn call<'a>(
        &'a self,
        _ctx: &'a sahara_rpc::RequestContext,
        method: &'a str,
        _args: serde_json::Map<String, serde_json::Value>,
    ) -> sahara_model::conductor::CallFuture<'a> {
        Box::pin(async move {
            Err(sahara_model::conductor::ConductorCallError::Failed(format!(
                "{method}: no conductor in this test"
            )))
        })
    }
}

/// The state for `conf`, with a conductor client nobody answers (calls fail at once).
pub fn without_conductor(conf: &ConfigOpts) -> ApiState {
    ApiState::from_conf(conf, ConductorClient::new(Arc::new(NoConductor))).unwrap()
}

/// An API wired to a running conductor.
pub struct Harness {
    /// The API's state.
    pub state: ApiState,
    /// The conductor's RPC server.
    pub server: RpcServer,
    /// The transport both use.
    pub transport: Transport,
    /// The conductor the server serves (to call in-process too).
    pub conductor: Arc<sahara_conductor::Conductor>,
}

/// The state for `conf` with a conductor on an in-memory SQLite database, served on `sahara-conductor` over a
/// private `fake://` transport.
pub async fn with_conductor(conf: &ConfigOpts) -> Harness {
    let db = ConfigOpts::from_ini_str("[database]\nconnection = sqlite://\n").unwrap();
    let store = sahara_conductor::store::Store::from_opts(&db.group().unwrap()).unwrap();
    store.upgrade_sqlite().await.unwrap();
    let conductor = Arc::new(sahara_conductor::Conductor::new(
        store,
        sahara_conductor::ConductorSettings::default(),
    ));
    let transport = private_transport();
    let server = sahara_conductor::rpc::serve(&transport, conductor.clone(), "api-tests")
        .await
        .unwrap();
    let state = ApiState::from_conf(conf, ConductorClient::over_rpc(&transport))
        .unwrap()
        .with_engine(&transport);
    Harness {
        state,
        server,
        transport,
        conductor,
    }
}

/// The casts a stand-in engine received: method and arguments, in order.
pub type Casts = Arc<Mutex<Vec<(String, Map<String, Value>)>>>;

/// An engine on `sahara-ops` (server `server`) recording every cast of Sahara's engine API and answering
/// `get_engine_type_and_version` with `heat.3.0`.
pub async fn stand_in_engine(transport: &Transport, server: &str) -> (RpcServer, Casts) {
    let casts: Casts = Arc::default();
    let mut ep = Endpoint::new();
    for name in [
        "provision_cluster",
        "provision_scaled_cluster",
        "terminate_cluster",
        "update_keypair",
        "handle_verification",
        "run_edp_job",
        "cancel_job_execution",
        "job_execution_suspend",
        "delete_job_execution",
    ] {
        let casts = casts.clone();
        ep = ep.raw_method(name, move |_ctx, args| {
            let casts = casts.clone();
            async move {
                casts.lock().unwrap().push((name.to_string(), args));
                Ok(Value::Null)
            }
        });
    }
    ep = ep.raw_method("get_engine_type_and_version", |_ctx, _args| async {
        Ok(json!("heat.3.0"))
    });
    let server = RpcServer::start(transport, Target::topic("sahara-ops").with_server(server), vec![ep])
        .await
        .unwrap();
    (server, casts)
}
