//! Sahara's database: the schema of Python Sahara 19 (alembic head `035`) as diesel migrations for
//! MySQL/MariaDB and SQLite, the `table!` definitions, connections and pools built from
//! `[database]`, oslo.db-style error classification, and the logic of `sahara-db-manage`
//! (including adoption of a database Python Sahara migrated).
//!
//! ```no_run
//! use sahara_schema::{DbSettings, migrate};
//! # fn main() -> Result<(), sahara_schema::DbError> {
//! let conf = sahara_config::ConfigOpts::from_ini_str("[database]\nconnection = sqlite://\n")?;
//! let settings = DbSettings::from_conf(&conf)?;
//! let mut conn = settings.connect()?;
//! migrate::upgrade(&mut conn, &migrate::Target::Head)?;
//! let pool = settings.build_pool()?;
//! # let _ = pool;
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod async_mysql;
pub mod connection;
pub mod error;
pub mod manage;
pub mod migrate;
pub mod schema;
pub mod testing;
pub mod url;

pub use async_mysql::AsyncMysql;
pub use connection::{
    DbConnection, DbConnectionManager, DbPool, DbSettings, PING_AFTER_IDLE, PoolOptions, PooledConn, PooledDb,
    RawValue, RetryPolicy, SessionOptions, build_pool, connect_with_retry, establish, sql_mode_is_strict,
};
pub use error::{DbError, DuplicateEntry, is_connection_disconnect, is_deadlock, is_disconnect, is_duplicate};
pub use url::{Backend, DbUrl};
