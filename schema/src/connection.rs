//! Connections and pools: the MySQL/SQLite [`DbConnection`], session setup as oslo.db does it
//! (MySQL character set and `sql_mode`; SQLite foreign keys and busy timeout), startup retries
//! (`[database] max_retries` / `retry_interval`), the r2d2 pool, and [`DbSettings`] that builds
//! all of it from `[database]`.
//!
//! Connect with [`establish`], [`connect_with_retry`], [`DbSettings::connect`] or a
//! [`DbPool`], never with `DbConnection::establish`: diesel's generated multi-backend
//! `establish` falls back to opening the string as an SQLite file when MySQL refuses.

use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::result::ConnectionError;
use sahara_config::{ConfigOpts, DatabaseOpts};

use crate::error::DbError;
use crate::url::{Backend, DbUrl};

pub use multi::DbConnection;
/// A column value as a [`DbConnection`] reads it: the backend's own raw value (MySQL's bytes, SQLite's value).
pub use multi::MultiRawValue as RawValue;

// The derive generates a backend type and helpers without documentation.
#[allow(missing_docs)]
mod multi {
    use diesel::prelude::*;

    /// A connection to MySQL/MariaDB or SQLite; queries written against [`crate::schema`] run on both.
    #[derive(diesel::MultiConnection)]
    pub enum DbConnection {
        /// A MySQL or MariaDB connection.
        Mysql(MysqlConnection),
        /// An SQLite connection.
        Sqlite(SqliteConnection),
    }
}

impl DbConnection {
    /// The engine behind this connection.
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Mysql(_) => Backend::Mysql,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

/// Whether a MySQL `sql_mode` (as `@@SESSION.sql_mode` reads) is strict: `STRICT_TRANS_TABLES` or
/// `STRICT_ALL_TABLES` (which `TRADITIONAL` includes), so that an insert of a value too long, out of range or
/// in the wrong character set fails instead of storing a changed value. (Even then text too long only by
/// trailing spaces loses the spaces.)
pub fn sql_mode_is_strict(mode: &str) -> bool {
    mode.split(',').any(|m| {
        let m = m.trim();
        ["TRADITIONAL", "STRICT_TRANS_TABLES", "STRICT_ALL_TABLES"]
            .iter()
            .any(|strict| m.eq_ignore_ascii_case(strict))
    })
}

/// Per-connection session settings (oslo.db's connect-time statements).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionOptions {
    /// `SET SESSION sql_mode` on MySQL; `None` keeps the server's (`[database] mysql_sql_mode`,
    /// default `TRADITIONAL`; empty means the server's).
    pub mysql_sql_mode: Option<String>,
    /// `SET SESSION wsrep_sync_wait` on Galera (`[database] mysql_wsrep_sync_wait`).
    pub mysql_wsrep_sync_wait: Option<i64>,
    /// SQLite `PRAGMA synchronous`: `false` turns it off (`[database] sqlite_synchronous`).
    pub sqlite_synchronous: bool,
    /// How long an SQLite statement waits for another connection's lock.
    pub sqlite_busy_timeout: Duration,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            mysql_sql_mode: Some("TRADITIONAL".to_owned()),
            mysql_wsrep_sync_wait: None,
            sqlite_synchronous: true,
            sqlite_busy_timeout: Duration::from_secs(5),
        }
    }
}

impl SessionOptions {
    /// Checks values that end up in SQL text.
    pub fn validate(&self) -> Result<(), DbError> {
        if let Some(mode) = &self.mysql_sql_mode
            && !mode.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ',')
        {
            return Err(DbError::InvalidOption {
                option: "mysql_sql_mode",
                reason: format!("'{mode}' is not a comma-separated list of SQL mode names"),
            });
        }
        Ok(())
    }
}

/// How long to keep trying to reach the database at startup (oslo.db's `max_retries` and
/// `retry_interval`). Only unreachable or restarting servers are retried, not bad credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt; `None` retries forever.
    pub max_retries: Option<u32>,
    /// Pause between attempts.
    pub interval: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: Some(10),
            interval: Duration::from_secs(10),
        }
    }
}

/// r2d2 pool settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Most connections open at once (`[database] max_pool_size`; 0 there means 64 here).
    pub max_size: u32,
    /// Connections older than this are replaced (`[database] connection_recycle_time`).
    pub max_lifetime: Option<Duration>,
    /// How long a checkout waits for a connection (`[database] pool_timeout`, default 30 s).
    pub connection_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_size: 5,
            max_lifetime: Some(Duration::from_secs(3600)),
            connection_timeout: Duration::from_secs(30),
        }
    }
}

/// Size used for `max_pool_size = 0` ("no limit" in oslo.db): r2d2 needs a bound.
const UNLIMITED_POOL_SIZE: u32 = 64;

fn connect_error(url: &DbUrl, source: ConnectionError) -> DbError {
    DbError::Connect {
        url: url.to_string(),
        attempts: 1,
        source,
    }
}

/// Opens one connection and applies the session settings.
pub fn establish(url: &DbUrl, session: &SessionOptions) -> Result<DbConnection, DbError> {
    session.validate()?;
    let target = url.to_diesel_url()?;
    match url.backend() {
        Backend::Mysql => {
            let mut conn = MysqlConnection::establish(&target).map_err(|e| connect_error(url, e))?;
            let mut setup = vec![format!("SET NAMES {}", url.charset())];
            if let Some(mode) = &session.mysql_sql_mode {
                setup.push(format!("SET SESSION sql_mode = '{mode}'"));
            }
            if let Some(wait) = session.mysql_wsrep_sync_wait {
                setup.push(format!("SET SESSION wsrep_sync_wait = {wait}"));
            }
            conn.batch_execute(&setup.join("; "))
                .map_err(|e| connect_error(url, ConnectionError::CouldntSetupConfiguration(e)))?;
            Ok(DbConnection::Mysql(conn))
        }
        Backend::Sqlite => {
            let mut conn = SqliteConnection::establish(&target).map_err(|e| connect_error(url, e))?;
            let mut setup = format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {};",
                session.sqlite_busy_timeout.as_millis()
            );
            if !session.sqlite_synchronous {
                setup.push_str(" PRAGMA synchronous = OFF;");
            }
            conn.batch_execute(&setup)
                .map_err(|e| connect_error(url, ConnectionError::CouldntSetupConfiguration(e)))?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

/// Opens one connection, retrying while the server is unreachable, as oslo.db does at startup.
pub fn connect_with_retry(url: &DbUrl, session: &SessionOptions, retry: &RetryPolicy) -> Result<DbConnection, DbError> {
    let mut attempts: u32 = 0;
    loop {
        attempts = attempts.saturating_add(1);
        match establish(url, session) {
            Ok(conn) => return Ok(conn),
            Err(e) if e.is_disconnect() && retry.max_retries.is_none_or(|max| attempts <= max) => {
                tracing::warn!(url = %url, attempt = attempts, error = %e, "database unreachable, retrying");
                std::thread::sleep(retry.interval);
            }
            Err(DbError::Connect { url, source, .. }) => return Err(DbError::Connect { url, attempts, source }),
            Err(e) => return Err(e),
        }
    }
}

/// The r2d2 connection manager for [`DbConnection`] (connects with [`establish`]).
#[derive(Clone, Debug)]
pub struct DbConnectionManager {
    url: DbUrl,
    session: SessionOptions,
}

impl DbConnectionManager {
    /// A manager connecting to `url` with `session` settings.
    pub fn new(url: DbUrl, session: SessionOptions) -> Self {
        Self { url, session }
    }
}

impl ManageConnection for DbConnectionManager {
    type Connection = PooledConn;
    type Error = DbError;

    fn connect(&self) -> Result<PooledConn, DbError> {
        establish(&self.url, &self.session).map(PooledConn::new)
    }

    /// oslo.db pings every connection it checks out; we ping one that has not been used for
    /// [`PING_AFTER_IDLE`]. A connection used a moment ago that has since lost its server
    /// fails its statement instead, which the caller retries on a new connection after
    /// [`PooledConn::mark_broken`] (the conductor's store does).
    fn is_valid(&self, conn: &mut PooledConn) -> Result<(), DbError> {
        if conn.last_used.elapsed() < PING_AFTER_IDLE {
            return Ok(());
        }
        conn.conn.ping().map_err(DbError::Query)
    }

    fn has_broken(&self, conn: &mut PooledConn) -> bool {
        conn.last_used = Instant::now();
        conn.broken || conn.conn.is_broken()
    }
}

/// How long a pooled connection may sit unused and still be handed out without a ping.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A connection of a [`DbPool`]: the [`DbConnection`] (it derefs to it) and what the pool
/// needs to know about its use.
pub struct PooledConn {
    conn: DbConnection,
    /// When it was last given back to the pool (or opened).
    last_used: Instant,
    /// Whether its server went away under it: the pool closes it instead of keeping it.
    broken: bool,
}

impl PooledConn {
    fn new(conn: DbConnection) -> Self {
        PooledConn {
            conn,
            last_used: Instant::now(),
            broken: false,
        }
    }

    /// Makes the pool close this connection when it is given back (after a statement failed
    /// because the server went away).
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl std::fmt::Debug for PooledConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PooledConn")
            .field("backend", &self.conn.backend())
            .field("last_used", &self.last_used)
            .field("broken", &self.broken)
            .finish()
    }
}

impl std::ops::Deref for PooledConn {
    type Target = DbConnection;

    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// A pool of [`DbConnection`]s.
pub type DbPool = r2d2::Pool<DbConnectionManager>;

/// A connection checked out of a [`DbPool`].
pub type PooledDb = r2d2::PooledConnection<DbConnectionManager>;

/// The longest pause between two attempts of the pool to reopen a connection after the
/// server went away: r2d2 paces its reconnects by half its own checkout timeout, so that
/// timeout is capped at twice this, and checkouts that should wait the whole
/// `pool_timeout` use [`checkout`]. Without the cap a conductor stayed unusable for up to
/// 15 s (half the default `pool_timeout`) after MariaDB came back from a long outage.
pub const RECONNECT_PACE: Duration = Duration::from_secs(1);

/// Builds a pool; connections open lazily (on first checkout). An in-memory SQLite database
/// lives in one connection, so its pool holds exactly one that is never recycled.
/// `Pool::get` waits at most `2 * RECONNECT_PACE`; [`checkout`] waits `pool_timeout`.
pub fn build_pool(url: &DbUrl, session: &SessionOptions, options: &PoolOptions) -> Result<DbPool, DbError> {
    session.validate()?;
    url.to_diesel_url()?;
    let manager = DbConnectionManager::new(url.clone(), session.clone());
    let builder = r2d2::Pool::builder().connection_timeout(options.connection_timeout.min(2 * RECONNECT_PACE));
    let builder = if url.is_memory() {
        builder
            .max_size(1)
            .min_idle(Some(1))
            .max_lifetime(None)
            .idle_timeout(None)
    } else {
        builder
            .max_size(options.max_size.max(1))
            .min_idle(Some(0))
            .max_lifetime(options.max_lifetime)
    };
    Ok(builder.build_unchecked(manager))
}

/// A connection from `pool`, waiting up to `options.connection_timeout` (`pool_timeout`)
/// for one to be free or for the server to be reachable again.
pub fn checkout(pool: &DbPool, options: &PoolOptions) -> Result<PooledDb, r2d2::PoolError> {
    pool.get_timeout(options.connection_timeout)
}

/// Everything `[database]` says about reaching the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DbSettings {
    /// Where (`connection`, plus `connection_parameters`).
    pub url: DbUrl,
    /// Session settings.
    pub session: SessionOptions,
    /// Startup retries.
    pub retry: RetryPolicy,
    /// Pool settings.
    pub pool: PoolOptions,
}

fn seconds(option: &'static str, value: i64) -> Result<Duration, DbError> {
    u64::try_from(value)
        .map(Duration::from_secs)
        .map_err(|_| DbError::InvalidOption {
            option,
            reason: format!("{value} is negative"),
        })
}

impl DbSettings {
    /// Reads `[database]` from the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self, DbError> {
        Self::from_opts(&conf.group::<DatabaseOpts>()?)
    }

    /// Builds the settings from the typed `[database]` group.
    pub fn from_opts(opts: &DatabaseOpts) -> Result<Self, DbError> {
        let connection = opts.connection.as_deref().map(str::trim).unwrap_or_default();
        if connection.is_empty() {
            return Err(DbError::NoConnection);
        }
        let mut url = DbUrl::parse(connection)?;
        if !opts.connection_parameters.trim().is_empty() {
            url.add_parameters(&opts.connection_parameters)?;
        }
        let mode = opts.mysql_sql_mode.trim();
        let session = SessionOptions {
            mysql_sql_mode: (!mode.is_empty()).then(|| mode.to_owned()),
            mysql_wsrep_sync_wait: opts.mysql_wsrep_sync_wait,
            sqlite_synchronous: opts.sqlite_synchronous,
            ..SessionOptions::default()
        };
        session.validate()?;
        let retry = RetryPolicy {
            max_retries: match opts.max_retries {
                -1 => None,
                n => Some(u32::try_from(n).map_err(|_| DbError::InvalidOption {
                    option: "max_retries",
                    reason: format!("{n} is neither -1 (forever) nor a count"),
                })?),
            },
            interval: seconds("retry_interval", opts.retry_interval)?,
        };
        let pool = PoolOptions {
            max_size: match opts.max_pool_size {
                0 => UNLIMITED_POOL_SIZE,
                n => u32::try_from(n).map_err(|_| DbError::InvalidOption {
                    option: "max_pool_size",
                    reason: format!("{n} is negative"),
                })?,
            },
            max_lifetime: (opts.connection_recycle_time > 0)
                .then(|| Duration::from_secs(opts.connection_recycle_time.unsigned_abs())),
            connection_timeout: match opts.pool_timeout {
                Some(t) if t > 0 => Duration::from_secs(t.unsigned_abs()),
                _ => PoolOptions::default().connection_timeout,
            },
        };
        Ok(Self {
            url,
            session,
            retry,
            pool,
        })
    }

    /// One connection, retried per [`RetryPolicy`] while the server is unreachable.
    pub fn connect(&self) -> Result<DbConnection, DbError> {
        connect_with_retry(&self.url, &self.session, &self.retry)
    }

    /// A lazily connecting pool.
    pub fn build_pool(&self) -> Result<DbPool, DbError> {
        build_pool(&self.url, &self.session, &self.pool)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(ini: &str) -> Result<DbSettings, DbError> {
        DbSettings::from_conf(&ConfigOpts::from_ini_str(ini).unwrap())
    }

    #[test]
    fn strict_sql_modes() {
        assert!(sql_mode_is_strict("TRADITIONAL"));
        assert!(sql_mode_is_strict("ANSI_QUOTES,strict_trans_tables"));
        assert!(sql_mode_is_strict(
            "STRICT_ALL_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO"
        ));
        assert!(!sql_mode_is_strict("ANSI_QUOTES,NO_ENGINE_SUBSTITUTION"));
        assert!(!sql_mode_is_strict("NOT_STRICT_TRANS_TABLES"));
        assert!(!sql_mode_is_strict(""));
    }

    #[test]
    fn kolla_database_section() {
        let s = settings(
            "[database]\nconnection = mysql+pymysql://sahara:pw@10.0.0.5:3306/sahara\n\
             connection_recycle_time = 10\nmax_pool_size = 1\n",
        )
        .unwrap();
        assert_eq!(s.url.database(), Some("sahara"));
        assert_eq!(s.pool.max_size, 1);
        assert_eq!(s.pool.max_lifetime, Some(Duration::from_secs(10)));
        assert_eq!(s.pool.connection_timeout, Duration::from_secs(30));
        assert_eq!(s.session.mysql_sql_mode.as_deref(), Some("TRADITIONAL"));
        assert_eq!(s.retry.max_retries, Some(10));
        assert_eq!(s.retry.interval, Duration::from_secs(10));
        assert!(!format!("{s:?}").contains("pw@"));
    }

    #[test]
    fn options_mapped() {
        let s = settings(
            "[database]\nconnection = sqlite://\nmax_retries = -1\nretry_interval = 2\nmax_pool_size = 0\n\
             pool_timeout = 7\nconnection_recycle_time = 0\nmysql_sql_mode =\nsqlite_synchronous = false\n",
        )
        .unwrap();
        assert_eq!(s.retry.max_retries, None);
        assert_eq!(s.retry.interval, Duration::from_secs(2));
        assert_eq!(s.pool.max_size, UNLIMITED_POOL_SIZE);
        assert_eq!(s.pool.connection_timeout, Duration::from_secs(7));
        assert_eq!(s.pool.max_lifetime, None);
        assert_eq!(s.session.mysql_sql_mode, None);
        assert!(!s.session.sqlite_synchronous);
    }

    #[test]
    fn bad_options_are_errors() {
        assert!(matches!(settings(""), Err(DbError::NoConnection)));
        assert!(matches!(
            settings("[database]\nconnection =\n"),
            Err(DbError::NoConnection)
        ));
        for bad in [
            "max_retries = -2",
            "retry_interval = -1",
            "max_pool_size = -3",
            "mysql_sql_mode = TRADITIONAL'; DROP DATABASE x; --",
        ] {
            let r = settings(&format!("[database]\nconnection = sqlite://\n{bad}\n"));
            assert!(matches!(r, Err(DbError::InvalidOption { .. })), "{bad}: {r:?}");
        }
    }

    #[test]
    fn sqlite_memory_session() {
        let url = DbUrl::parse("sqlite://").unwrap();
        let mut conn = establish(&url, &SessionOptions::default()).unwrap();
        assert_eq!(conn.backend(), Backend::Sqlite);
        #[derive(QueryableByName)]
        struct Pragma {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            foreign_keys: i32,
        }
        let DbConnection::Sqlite(c) = &mut conn else {
            unreachable!()
        };
        let rows: Vec<Pragma> = diesel::sql_query("PRAGMA foreign_keys").load(c).unwrap();
        assert_eq!(rows[0].foreign_keys, 1);
    }

    #[test]
    fn memory_pool_shares_one_database() {
        let url = DbUrl::parse("sqlite://").unwrap();
        let pool = build_pool(&url, &SessionOptions::default(), &PoolOptions::default()).unwrap();
        pool.get().unwrap().batch_execute("CREATE TABLE t (x INTEGER)").unwrap();
        pool.get().unwrap().batch_execute("INSERT INTO t VALUES (1)").unwrap();
        assert_eq!(pool.max_size(), 1);
    }

    #[test]
    fn unreachable_mysql_is_a_redacted_disconnect() {
        let url = DbUrl::parse("mysql+pymysql://sahara:Secret123@127.0.0.1:1/sahara").unwrap();
        let retry = RetryPolicy {
            max_retries: Some(2),
            interval: Duration::from_millis(1),
        };
        let err = connect_with_retry(&url, &SessionOptions::default(), &retry)
            .err()
            .unwrap();
        assert!(err.is_disconnect(), "{err}");
        let DbError::Connect { attempts, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*attempts, 3);
        assert!(!err.to_string().contains("Secret123"), "{err}");
        assert!(!format!("{err:?}").contains("Secret123"), "{err:?}");
        assert!(err.to_string().contains("after 3 attempts"), "{err}");
    }
}
