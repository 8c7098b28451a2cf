//! The asynchronous MySQL driver beside diesel's: a `mysql_async` pool (the pure-Rust driver diesel-async's
//! `AsyncMysqlConnection` is built on) for the conductor's single-statement reads and writes, which then run on
//! the calling task instead of being handed to a blocking thread and back; and its errors turned into diesel's,
//! so that [`crate::error`]'s classification (disconnect, deadlock, duplicate entry) reads both drivers alike.
//!
//! A connection is set up as [`crate::establish`] sets up diesel's (`SET NAMES`, `[database] mysql_sql_mode`,
//! `mysql_wsrep_sync_wait`); it keeps up to [`STATEMENTS_PER_CONNECTION`] statements prepared, and is not reset
//! when it goes back to the pool (a reset would drop them: statements run outside transactions, and nothing
//! sets session variables after the setup). Only a server named by address or host name gets such a pool: a URL
//! asking for TLS (`ssl_*`; the crate is built without it) and one for the local socket (no host, `localhost`, or
//! `unix_socket`: libmysqlclient's socket and its `unix_socket` sign-in) go through diesel's driver only.
//!
//! The pool is as large as diesel's (`[database] max_pool_size`) and keeps its idle connections open as
//! SQLAlchemy's pool does, so a service holds up to twice `max_pool_size` connections to the server.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
pub use mysql_async;

use crate::connection::{PoolOptions, SessionOptions};
use crate::error::DbError;
use crate::url::DbUrl;

/// How many distinct statements a connection keeps prepared (least recently used ones are closed beyond), as
/// the diesel side keeps its first [`STATEMENTS_PER_CONNECTION`] texts: a bound on what one connection holds of
/// MariaDB's `max_prepared_stmt_count`, which every client shares.
pub const STATEMENTS_PER_CONNECTION: usize = 64;

/// A pool of asynchronous MySQL connections (cheap to clone: clones share the pool).
#[derive(Clone)]
pub struct AsyncMysql {
    pool: mysql_async::Pool,
    checkout_timeout: Duration,
    /// `host:port` (or the socket) as errors name it.
    server: String,
}

impl std::fmt::Debug for AsyncMysql {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AsyncMysql")
            .field("checkout_timeout", &self.checkout_timeout)
            .finish_non_exhaustive()
    }
}

impl AsyncMysql {
    /// A lazily connecting pool for `url` with `session`'s setup and `options`' size, lifetime and checkout
    /// timeout; `None` for SQLite, for a URL asking for TLS or for the local socket, and outside a Tokio runtime
    /// (the pool's housekeeping runs as a task of the runtime it is made in, which must outlive it).
    pub fn new(url: &DbUrl, session: &SessionOptions, options: &PoolOptions) -> Result<Option<AsyncMysql>, DbError> {
        session.validate()?;
        let Some(target) = url.mysql_target() else {
            return Ok(None);
        };
        let Some(host) = target.host.clone().filter(|h| !h.eq_ignore_ascii_case("localhost")) else {
            return Ok(None);
        };
        if target
            .query
            .iter()
            .any(|(k, _)| k.starts_with("ssl") || k == "unix_socket")
            || tokio::runtime::Handle::try_current().is_err()
        {
            return Ok(None);
        }
        let mut init = vec![format!("SET NAMES {}", url.charset())];
        if let Some(mode) = &session.mysql_sql_mode {
            init.push(format!("SET SESSION sql_mode = '{mode}'"));
        }
        if let Some(wait) = session.mysql_wsrep_sync_wait {
            init.push(format!("SET SESSION wsrep_sync_wait = {wait}"));
        }
        let size = usize::try_from(options.max_size.max(1)).unwrap_or(usize::MAX);
        // Idle connections are kept up to the pool's size, as SQLAlchemy's pool keeps them (with a lower bound of
        // 0 the driver closes every connection that goes back idle, and each statement would connect anew).
        let constraints = mysql_async::PoolConstraints::new(size, size)
            .ok_or_else(|| DbError::InvalidUrl(format!("no pool holds at most {size} connections")))?;
        let pool_opts = mysql_async::PoolOpts::default()
            .with_constraints(constraints)
            .with_reset_connection(false)
            .with_abs_conn_ttl(options.max_lifetime);
        let port = target.port.unwrap_or(3306);
        let server = if target.ipv6 {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        let opts = mysql_async::OptsBuilder::default()
            .ip_or_hostname(host)
            // The address given is kept to (a relay may stand there), not swapped for the server's socket.
            .prefer_socket(false)
            .tcp_port(port)
            .user(target.user.clone())
            .pass(target.password.clone())
            .db_name(Some(target.database.clone()))
            .init(init)
            .stmt_cache_size(STATEMENTS_PER_CONNECTION)
            .pool_opts(pool_opts);
        Ok(Some(AsyncMysql {
            pool: mysql_async::Pool::new(opts),
            checkout_timeout: options.connection_timeout,
            server,
        }))
    }

    /// A connection from the pool, waiting at most the pool's checkout timeout (`[database] pool_timeout`); a
    /// failure is a diesel error as a statement's would be ([`to_diesel_error`]), a server out of reach worded
    /// as libmysqlclient words it (`Can't connect to MySQL server on ...`).
    pub async fn conn(&self) -> Result<mysql_async::Conn, DieselError> {
        match tokio::time::timeout(self.checkout_timeout, self.pool.get_conn()).await {
            Ok(Err(mysql_async::Error::Io(e))) => Err(DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection,
                Box::new(format!(
                    "Can't connect to MySQL server on '{}' ({})",
                    self.server,
                    io_cause(&e)
                )),
            )),
            Ok(conn) => conn.map_err(to_diesel_error),
            Err(_) => Err(DieselError::DatabaseError(
                DatabaseErrorKind::UnableToSendCommand,
                Box::new(format!(
                    "timed out waiting for connection after {:?}",
                    self.checkout_timeout
                )),
            )),
        }
    }

    /// Closes the pool's connections.
    pub async fn disconnect(self) {
        if let Err(e) = self.pool.disconnect().await {
            tracing::debug!(error = %e, "closing the asynchronous MySQL pool");
        }
    }
}

/// A `mysql_async` error as diesel's MySQL driver reports the same failure: a server error with the kind
/// diesel gives its code and the server's message (which [`crate::error`] reads); a lost or unusable
/// connection as [`DatabaseErrorKind::ClosedConnection`] (a disconnect); anything else unknown.
pub fn to_diesel_error(e: mysql_async::Error) -> DieselError {
    use mysql_async::{DriverError, Error};
    let kind = match &e {
        Error::Server(s) => server_error_kind(s.code),
        Error::Io(_) => DatabaseErrorKind::ClosedConnection,
        Error::Driver(DriverError::ConnectionClosed | DriverError::PoolDisconnected) => {
            DatabaseErrorKind::ClosedConnection
        }
        _ => DatabaseErrorKind::Unknown,
    };
    let message = match e {
        Error::Server(s) => s.message,
        Error::Io(e) => format!("Lost connection to MySQL server during query ({})", io_cause(&e)),
        other => other.to_string(),
    };
    DieselError::DatabaseError(kind, Box::new(message))
}

/// What an I/O error of the driver says, once (its own wording repeats its kind).
fn io_cause(e: &mysql_async::IoError) -> String {
    std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string)
}

/// The kind diesel's MySQL driver gives a server error code.
fn server_error_kind(code: u16) -> DatabaseErrorKind {
    match code {
        1062 | 1586 | 1859 => DatabaseErrorKind::UniqueViolation,
        1216 | 1217 | 1451 | 1452 | 1830 | 1834 => DatabaseErrorKind::ForeignKeyViolation,
        1792 => DatabaseErrorKind::ReadOnlyTransaction,
        1048 | 1364 => DatabaseErrorKind::NotNullViolation,
        3819 => DatabaseErrorKind::CheckViolation,
        1213 => DatabaseErrorKind::SerializationFailure,
        _ => DatabaseErrorKind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn no_pool_for_sqlite_or_tls() {
        let session = SessionOptions::default();
        let options = PoolOptions::default();
        let sqlite = DbUrl::parse("sqlite:///tmp/x.db").unwrap();
        assert!(AsyncMysql::new(&sqlite, &session, &options).unwrap().is_none());
        for diesel_only in [
            "mysql+pymysql://u:p@h/db?ssl_ca=/etc/ca.pem",
            "mysql+pymysql://u:p@localhost/db",
            "mysql+pymysql://u:p@/db",
            "mysql+pymysql://u:p@h/db?unix_socket=/run/mysqld/mysqld.sock",
        ] {
            let url = DbUrl::parse(diesel_only).unwrap();
            assert!(
                AsyncMysql::new(&url, &session, &options).unwrap().is_none(),
                "{diesel_only}"
            );
        }
        let plain = DbUrl::parse("mysql+pymysql://u:p@h/db?charset=utf8").unwrap();
        assert!(AsyncMysql::new(&plain, &session, &options).unwrap().is_some());
    }

    #[test]
    fn no_pool_outside_a_runtime() {
        let plain = DbUrl::parse("mysql+pymysql://u:p@h/db").unwrap();
        let pool = AsyncMysql::new(&plain, &SessionOptions::default(), &PoolOptions::default()).unwrap();
        assert!(pool.is_none());
    }

    #[test]
    fn server_errors_read_as_diesel_reports_them() {
        let dup = to_diesel_error(mysql_async::Error::Server(mysql_async::ServerError {
            code: 1062,
            message: "Duplicate entry 'a-p' for key 'name'".into(),
            state: "23000".into(),
        }));
        assert!(matches!(
            dup,
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)
        ));
        let found = crate::error::is_duplicate(&dup).unwrap();
        assert_eq!(found.key.as_deref(), Some("name"));
        let deadlock = to_diesel_error(mysql_async::Error::Server(mysql_async::ServerError {
            code: 1213,
            message: "Deadlock found when trying to get lock; try restarting transaction".into(),
            state: "40001".into(),
        }));
        assert!(crate::error::is_deadlock(&deadlock));
        let gone = to_diesel_error(mysql_async::Error::Io(mysql_async::IoError::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionReset,
        ))));
        assert!(crate::error::is_disconnect(&gone));
    }
}
