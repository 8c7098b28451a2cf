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
