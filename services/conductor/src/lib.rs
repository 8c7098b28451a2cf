//! The Sahara conductor: the only component holding database credentials. It serves
//! Sahara's conductor API in-process (`[conductor] use_local = true`) or over RPC on topic
//! `sahara-conductor`, and hosts `sahara-db-manage`.
//!
//! - [`ops::Conductor`]: Sahara's conductor methods with its defaults, scoping and errors;
//! - [`dispatch`]: the same by name over JSON (what both the RPC server and the in-process
//!   client call);
//! - [`store`]: the database (pool, retries, dynamic SQL over the table specs);
//! - [`rpc`]: the `sahara-conductor` RPC server.

pub mod dispatch;
pub mod error;
pub mod keys;
pub mod ops;
pub mod rpc;
pub mod store;

pub use error::ConductorError;
pub use ops::{Conductor, ConductorSettings};

use sahara_config::ConfigOpts;

impl ConductorSettings {
    /// `[DEFAULT] job_binary_max_KB` and `disable_event_log` from the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self, sahara_config::ConfigError> {
        Ok(ConductorSettings {
            job_binary_max_kb: conf.get("DEFAULT", "job_binary_max_KB")?,
            disable_event_log: conf.get("DEFAULT", "disable_event_log")?,
        })
    }
}

impl Conductor {
    /// A conductor for `[database]` of the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Conductor, ConductorError> {
        let store = store::Store::from_conf(conf)?;
        let settings =
            ConductorSettings::from_conf(conf).map_err(|e| ConductorError::InvalidArguments(e.to_string()))?;
        Ok(Conductor::new(store, settings))
    }
}

/// The in-process conductor as a [`sahara_model::conductor::ConductorTransport`]: the same
/// dispatch the RPC server runs, without the broker (`[conductor] use_local = true`).
impl sahara_model::conductor::ConductorTransport for Conductor {
    fn call<'a>(
        &'a self,
        ctx: &'a sahara_rpc::RequestContext,
        method: &'a str,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> sahara_model::conductor::CallFuture<'a> {
        Box::pin(async move { self.dispatch(ctx, method, args).await.map_err(call_error) })
    }

    fn call_answer<'a>(
        &'a self,
        ctx: &'a sahara_rpc::RequestContext,
        method: &'a str,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> sahara_model::conductor::AnswerFuture<'a> {
        Box::pin(async move { self.dispatch_answer(ctx, method, args).await.map_err(call_error) })
    }

    fn list_view<'a>(
        &'a self,
        ctx: &'a sahara_rpc::RequestContext,
        method: &'a str,
        args: serde_json::Map<String, serde_json::Value>,
        renames: sahara_model::conductor::Renames,
    ) -> Option<sahara_model::conductor::ViewFuture<'a>> {
        let a = dispatch::Args(args);
        let regex_search = a.flag("regex_search").ok()?;
        let view = self.flat_list_view(ctx, method, regex_search, a.rest(&["regex_search"]), renames)?;
        Some(Box::pin(async move { view.await.map_err(call_error) }))
    }

    fn list_names<'a>(
        &'a self,
        ctx: &'a sahara_rpc::RequestContext,
        method: &'a str,
        args: serde_json::Map<String, serde_json::Value>,
    ) -> Option<sahara_model::conductor::NamesFuture<'a>> {
        let a = dispatch::Args(args);
        let regex_search = a.flag("regex_search").ok()?;
        let names = self.flat_list_names(ctx, method, regex_search, a.rest(&["regex_search"]))?;
        Some(Box::pin(async move { names.await.map_err(call_error) }))
    }
}

/// A conductor error as the in-process caller sees it.
fn call_error(e: ConductorError) -> sahara_model::conductor::ConductorCallError {
    match e {
        ConductorError::Sahara(s) => sahara_model::conductor::ConductorCallError::Sahara(s),
        other => sahara_model::conductor::ConductorCallError::Failed(other.to_string()),
    }
}

/// A typed client of this process's own conductor.
pub fn local_client(conductor: Conductor) -> sahara_model::conductor::ConductorClient {
    sahara_model::conductor::ConductorClient::new(std::sync::Arc::new(conductor))
}

/// A typed in-process client of a conductor over `[database]` of `conf`, an SQLite database brought to the
/// newest schema first (what the embedded default does; tests use `sqlite://`, in memory).
pub async fn local_client_from_conf(
    conf: &ConfigOpts,
) -> Result<sahara_model::conductor::ConductorClient, ConductorError> {
    let conductor = Conductor::from_conf(conf)?;
    conductor.store.upgrade_sqlite().await?;
    Ok(local_client(conductor))
}
