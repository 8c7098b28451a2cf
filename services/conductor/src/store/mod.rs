//! The conductor's database access: a connection pool, one transaction per conductor call
//! run on a blocking thread (a call issuing one statement needs none: [`Store::read`],
//! [`Store::write_one`]); on MySQL, single statements on the asynchronous driver instead, on the calling task
//! ([`Store::load_rows`], [`Store::get`], [`Store::rows_json`], [`Store::insert_returning`], which fall back to
//! the blocking path where there is no such driver); and oslo.db's retry of a whole call after a lost connection
//! or a deadlock (`[database] db_max_retries`, `db_retry_interval`,
//! `db_inc_retry_interval`, `db_max_retry_interval`). Row ids generated inside a call are
//! the same in every attempt, so a retry recognises what an attempt whose commit lost its
//! connection had written.

pub mod query;
pub mod sql;
pub mod tables;

use crate::error::{ConductorError, Result};
use diesel::Connection;
use query::Scope;
use sahara_config::{ConfigOpts, DatabaseOpts};
use sahara_schema::connection::{PoolOptions, checkout};
use sahara_schema::{AsyncMysql, Backend, DbConnection, DbPool, DbSettings};
use serde_json::{Map, Value};
use sql::Sql;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tables::Table;

/// What a call on the asynchronous driver returns: a future borrowing the connection it runs on.
type OnConn<'c, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'c>>;

/// How a failed call is retried (oslo.db's `wrap_db_retry`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallRetry {
    /// Retries after the first attempt; `None` = forever (`db_max_retries = -1`).
    pub max_retries: Option<u32>,
    /// First pause.
    pub interval: Duration,
    /// Double the pause after each retry.
    pub increase: bool,
    /// Longest pause.
    pub max_interval: Duration,
}

impl Default for CallRetry {
    fn default() -> Self {
        CallRetry {
            max_retries: Some(20),
            interval: Duration::from_secs(1),
            increase: true,
            max_interval: Duration::from_secs(10),
        }
    }
}

impl CallRetry {
    /// `[database]` `db_*` retry options.
    pub fn from_opts(o: &DatabaseOpts) -> Self {
        let secs = |v: i64| Duration::from_secs(u64::try_from(v).unwrap_or(0));
        CallRetry {
            max_retries: u32::try_from(o.db_max_retries).ok(),
            interval: secs(o.db_retry_interval),
            increase: o.db_inc_retry_interval,
            max_interval: secs(o.db_max_retry_interval),
        }
    }
}

/// The database behind the conductor.
#[derive(Clone)]
pub struct Store {
    pool: DbPool,
    backend: Backend,
    retry: CallRetry,
    pool_options: PoolOptions,
    /// How to reach the database at startup (`None` for a store over a given pool).
    settings: Option<DbSettings>,
    /// Whether the database stores exactly what an insert binds, once known.
    stores_as_bound: StoresAsBound,
    /// The asynchronous MySQL driver's pool, for single statements (`None` on SQLite, over TLS, or when not
    /// given).
    mysql: Option<AsyncMysql>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("retry", &self.retry)
            .field("async_mysql", &self.mysql.is_some())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// A store for `[database]` of the configuration (connections open lazily).
    pub fn from_conf(conf: &ConfigOpts) -> Result<Store> {
        let opts: DatabaseOpts = conf.group().map_err(|e| ConductorError::Database(e.to_string()))?;
        Self::from_opts(&opts)
    }

    /// A store for these `[database]` options.
    pub fn from_opts(opts: &DatabaseOpts) -> Result<Store> {
        let settings = DbSettings::from_opts(opts).map_err(|e| ConductorError::Database(e.to_string()))?;
        let pool = settings
            .build_pool()
            .map_err(|e| ConductorError::Database(e.to_string()))?;
        let mysql = AsyncMysql::new(&settings.url, &settings.session, &settings.pool)
            .map_err(|e| ConductorError::Database(e.to_string()))?;
        Ok(Store {
            stores_as_bound: StoresAsBound::default(),
            mysql,
            pool,
            backend: settings.url.backend(),
            retry: CallRetry::from_opts(opts),
            pool_options: settings.pool,
            settings: Some(settings),
        })
    }

    /// A store over an existing pool (single statements on it too: see [`Store::with_async_mysql`]).
    pub fn new(pool: DbPool, backend: Backend, retry: CallRetry) -> Store {
        Store {
            stores_as_bound: StoresAsBound::default(),
            mysql: None,
            pool,
            backend,
            retry,
            pool_options: PoolOptions::default(),
            settings: None,
        }
    }

    /// Waits until the database accepts a connection, retrying as oslo.db does when a
    /// service starts (`[database] max_retries`, default 10, every `retry_interval`,
    /// default 10 s); an error once those run out, or at once for a refusal that retrying
    /// cannot fix (bad credentials, unknown database).
    pub async fn wait_until_reachable(&self) -> Result<()> {
        let Some(settings) = self.settings.clone() else {
            return Ok(());
        };
        tokio::task::spawn_blocking(move || settings.connect().map(drop))
            .await
            .map_err(|e| ConductorError::Database(e.to_string()))?
            .map_err(|e| ConductorError::Unavailable(e.to_string()))
    }

    /// This store with single statements run on `mysql` (`None`: on the blocking pool, as every call).
    pub fn with_async_mysql(mut self, mysql: Option<AsyncMysql>) -> Store {
        self.mysql = mysql;
        self
    }

    /// Whether single statements run on the asynchronous MySQL driver.
    pub fn uses_async_mysql(&self) -> bool {
        self.mysql.is_some()
    }

    /// MySQL or SQLite.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Whether the database stores exactly the values an insert binds, or refuses the insert: then a created row
    /// is answered from its values ([`Store::insert_returning`]) instead of being read back. See
    /// [`StoresAsBound`].
    pub fn stores_as_bound(&self) -> StoresAsBound {
        self.stores_as_bound.clone()
    }

    /// Brings an SQLite database to the newest schema: the embedded default migrates
    /// itself. (MySQL databases are migrated by `sahara-db-manage`, as kolla's bootstrap
    /// does.) Returns the migrations that ran.
    pub async fn upgrade_sqlite(&self) -> Result<Vec<String>> {
        if self.backend != Backend::Sqlite {
            return Ok(Vec::new());
        }
        let (pool, options) = (self.pool.clone(), self.pool_options);
        tokio::task::spawn_blocking(move || {
            let mut conn = checkout(&pool, &options).map_err(|e| ConductorError::Database(e.to_string()))?;
            let report = sahara_schema::migrate::upgrade(&mut conn, &sahara_schema::migrate::Target::Head)
                .map_err(|e| ConductorError::Database(e.to_string()))?;
            Ok(report.applied.iter().map(|m| m.to_string()).collect())
        })
        .await
        .map_err(|e| ConductorError::Database(e.to_string()))?
    }

    /// Runs `f` in one transaction on a blocking thread; a lost connection or a deadlock
    /// rolls back and runs the whole of `f` again, with oslo.db's pauses. `attempt` tells
    /// `f` whether an earlier attempt may have committed before its connection was lost;
    /// [`query::insert`] generates the same ids in every attempt and takes such rows as
    /// written.
    pub async fn run<T, F>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Backend, u32) -> Result<T> + Send + Sync + 'static,
    {
        self.attempts(op, true, false, f).await
    }

    /// Runs `f`, which reads with one statement, as [`Store::run`] does but without
    /// `BEGIN`/`COMMIT` around it: a lone statement is its own transaction, and the two
    /// round trips are saved. Anything issuing more than one statement uses [`Store::run`].
    pub async fn read<T, F>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Backend, u32) -> Result<T> + Send + Sync + 'static,
    {
        self.attempts(op, false, false, f).await
    }

    /// [`Store::read`] run on the calling task's own thread when the runtime has other workers to take over its
    /// other tasks (`block_in_place`), else on the blocking pool: for a read whose caller waits for nothing else
    /// meanwhile and goes on with what it read (a page written for the REST API), which then needs no hand-off
    /// to a blocking thread and back. The calling task's other futures (a `join!`'s siblings) would wait.
    pub async fn read_here<T, F>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Backend, u32) -> Result<T> + Send + Sync + 'static,
    {
        self.attempts(op, false, true, f).await
    }

    /// Runs `f`, which writes with one statement (and reads back only when it must), as [`Store::read`] does: an
    /// insert on its own commits by itself, so it needs no `BEGIN`/`COMMIT` either.
    pub async fn write_one<T, F>(&self, op: &'static str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Backend, u32) -> Result<T> + Send + Sync + 'static,
    {
        self.attempts(op, false, false, f).await
    }

    /// [`Store::run`] (`transaction`), [`Store::read`], [`Store::read_here`] (`here`) or [`Store::write_one`].
    async fn attempts<T, F>(&self, op: &'static str, transaction: bool, here: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: Fn(&mut DbConnection, Backend, u32) -> Result<T> + Send + Sync + 'static,
    {
        let f = Arc::new(f);
        let seed = uuid::Uuid::new_v4().as_u128();
        self.retrying(op, |attempt| {
            let (pool, f, backend, options) = (self.pool.clone(), f.clone(), self.backend, self.pool_options);
            async move {
                off_the_executor(here, move || {
                    let _ids = CallIds::enter(seed, attempt);
                    let mut conn = checkout(&pool, &options).map_err(|e| ConductorError::Pool(e.to_string()))?;
                    let outcome = if transaction && backend == Backend::Sqlite {
                        immediate_transaction(&mut conn, |c| f(c, backend, attempt))
                    } else if transaction {
                        conn.transaction(|c| f(c, backend, attempt)).map_err(commit_error)
                    } else {
                        f(&mut conn, backend, attempt)
                    };
                    // A connection whose server went away is not handed out again (the pool only
                    // pings connections that sat idle).
                    if is_lost_connection(&outcome) {
                        conn.mark_broken();
                    }
                    outcome
                })
                .await
                .unwrap_or_else(|e| Err(ConductorError::Database(format!("{op} panicked: {e}"))))
            }
        })
        .await
    }

    /// Runs `f`, which issues one statement (or reads back after a write), on a connection of the asynchronous
    /// MySQL pool, retried as [`Store::read`] is.
    async fn on_async<T, F>(&self, op: &'static str, mysql: &AsyncMysql, f: F) -> Result<T>
    where
        F: for<'c> Fn(&'c mut mysql_async::Conn, u32) -> OnConn<'c, T>,
    {
        self.retrying(op, |attempt| {
            let f = &f;
            async move {
                let mut conn = mysql.conn().await?;
                let outcome = f(&mut conn, attempt).await;
                if is_lost_connection(&outcome) {
                    // Not handed out again: closed instead of going back to the pool.
                    let _ = conn.disconnect().await;
                }
                outcome
            }
        })
        .await
    }

    /// Runs `attempt(n)` for n = 0, 1, ... while it fails on a lost connection or a deadlock and retries remain,
    /// with oslo.db's pauses; a raw error that is not retried becomes what callers see ([`classify`]).
    async fn retrying<T, A, Fut>(&self, op: &'static str, mut attempt: A) -> Result<T>
    where
        A: FnMut(u32) -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut n = 0u32;
        let mut pause = self.retry.interval;
        loop {
            match attempt(n).await {
                Err(e) if e.is_retryable() && self.retry.max_retries.is_none_or(|m| n < m) => {
                    tracing::warn!(op, attempt = n, error = %e, "database call failed, retrying");
                    tokio::time::sleep(pause).await;
                    if self.retry.increase {
                        pause = (pause * 2).min(self.retry.max_interval);
                    }
                    n += 1;
                }
                Err(ConductorError::Diesel(e)) => return Err(classify(op, e)),
                Err(ConductorError::Pool(e)) => return Err(ConductorError::Unavailable(format!("{op}: {e}"))),
                other => return other,
            }
        }
    }

    /// The rows of `table` that `sql` (one `SELECT` of [`sql::row_columns`] built for this store's backend)
    /// reads, in Sahara's to_dict form.
    pub async fn load_rows(
        &self,
        op: &'static str,
        table: &'static Table,
        sql: Sql,
    ) -> Result<Vec<Map<String, Value>>> {
        match &self.mysql {
            Some(mysql) => {
                self.on_async(op, mysql, |conn, _| {
                    let sql = sql.clone();
                    Box::pin(async move { sql.load_rows_on(table, conn).await })
                })
                .await
            }
            None => self.read(op, move |c, _, _| sql.clone().load_rows(table, c)).await,
        }
    }

    /// The strings `sql` (one `SELECT` whose only column is a string called `v`) reads.
    pub async fn load_strings(&self, op: &'static str, sql: Sql) -> Result<Vec<Option<String>>> {
        match &self.mysql {
            Some(mysql) => {
                self.on_async(op, mysql, |conn, _| {
                    let sql = sql.clone();
                    Box::pin(async move { sql.load_strings_on(conn).await.map_err(ConductorError::from) })
                })
                .await
            }
            None => self.read(op, move |c, _, _| Ok(sql.clone().load_strings(c)?)).await,
        }
    }

    /// The row of `table` with `id` visible in `scope`, if any ([`query::get`] as one statement).
    pub async fn get(
        &self,
        op: &'static str,
        table: &'static Table,
        scope: &Scope,
        id: &str,
    ) -> Result<Option<Map<String, Value>>> {
        let filters = [query::Filter::Eq("id".into(), Value::String(id.into()))];
        let sql = query::select_statement(table, scope, &filters, None, self.backend)?;
        Ok(self.load_rows(op, table, sql).await?.into_iter().next())
    }

    /// The rows `sql` reads (as [`Store::load_rows`]) written as the text of a JSON array, keys in `renames`
    /// renamed (see [`Sql::write_rows_json`]).
    pub async fn rows_json(
        &self,
        op: &'static str,
        table: &'static Table,
        sql: Sql,
        renames: &'static [(&'static str, &'static str)],
    ) -> Result<String> {
        let out = match &self.mysql {
            Some(mysql) => {
                self.on_async(op, mysql, |conn, _| {
                    let sql = sql.clone();
                    Box::pin(async move {
                        let mut out = Vec::with_capacity(4096);
                        out.push(b'[');
                        sql.write_rows_json_on(table, conn, renames, &mut out).await?;
                        out.push(b']');
                        Ok(out)
                    })
                })
                .await?
            }
            None => {
                self.read_here(op, move |c, _, _| {
                    let mut out = Vec::with_capacity(4096);
                    out.push(b'[');
                    sql.clone().write_rows_json(table, c, renames, &mut out)?;
                    out.push(b']');
                    Ok(out)
                })
                .await?
            }
        };
        String::from_utf8(out)
            .map_err(|e| ConductorError::Database(format!("a page of {} is not UTF-8: {e}", table.name)))
    }

    /// Inserts a row of `table` from `values` under `id` ([`query::insert_returning_statement`]), with one statement:
    /// the row as a read would find it when the database stores exactly what is bound, else `None` (the caller
    /// reads it back). A retry that finds `id` taken takes it as this insert's own row, written by an attempt
    /// whose connection was lost after the server committed it (`None` then too). Any other error of the insert
    /// is what `map_error` makes of it (before a retry decides on it).
    pub async fn insert_returning(
        &self,
        op: &'static str,
        table: &'static Table,
        id: &str,
        values: &Map<String, Value>,
        map_error: impl Fn(ConductorError) -> ConductorError + Copy + Send + Sync + 'static,
    ) -> Result<Option<Map<String, Value>>> {
        let (sql, row) = query::insert_returning_statement(table, id, values)?;
        let exact = self.stores_as_bound.clone();
        match &self.mysql {
            Some(mysql) => {
                self.on_async(op, mysql, |conn, attempt| {
                    let (sql, row, exact) = (sql.clone(), row.clone(), exact.clone());
                    Box::pin(async move {
                        let outcome = async {
                            let as_bound = exact.check_on(conn).await?;
                            sql.execute_on(conn).await?;
                            Ok(as_bound)
                        }
                        .await;
                        written(outcome, attempt, row).map_err(map_error)
                    })
                })
                .await
            }
            None => {
                self.write_one(op, move |c, _, attempt| {
                    let outcome = exact
                        .check(c)
                        .and_then(|as_bound| Ok(sql.clone().execute(c).map(|_| as_bound)?));
                    written(outcome, attempt, row.clone()).map_err(map_error)
                })
                .await
            }
        }
    }
}

/// What [`Store::insert_returning`] answers for an attempt's `outcome` (whether the database stores what is
/// bound, or the insert's error): the derived `row` when it does, `None` when it does not or when a retry found
/// its id taken by an earlier attempt's insert.
fn written(outcome: Result<bool>, attempt: u32, row: Option<Map<String, Value>>) -> Result<Option<Map<String, Value>>> {
    match outcome {
        Ok(as_bound) => Ok(row.filter(|_| as_bound)),
        Err(e) if query::already_written(&e, attempt) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Whether an outcome is a lost connection, which is not handed out again.
fn is_lost_connection<T>(outcome: &Result<T>) -> bool {
    matches!(outcome, Err(ConductorError::Diesel(e)) if sahara_schema::is_disconnect(e))
}

/// Runs `f`, which blocks on the database, without holding up the runtime's other tasks: on the blocking pool, or
/// with `here` on this thread when the runtime has workers to hand them to (`block_in_place`). A panic in `f` is
/// returned as its message.
async fn off_the_executor<T: Send + 'static>(
    here: bool,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::result::Result<T, String> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    if here && Handle::try_current().is_ok_and(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) {
        tokio::task::block_in_place(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))).map_err(|p| {
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".to_string())
        })
    } else {
        tokio::task::spawn_blocking(f).await.map_err(|e| e.to_string())
    }
}

/// Whether the database stores exactly the values an insert binds or refuses the insert, so that a created row
/// need not be read back to be known: SQLite keeps what it is given; MySQL only in a strict `sql_mode`
/// ([`sahara_schema::sql_mode_is_strict`]), which the first connection that asks reads (`[database]
/// mysql_sql_mode`, or the server's own when that is empty). Shared by every clone of a [`Store`].
#[derive(Debug, Clone, Default)]
pub struct StoresAsBound(Arc<std::sync::OnceLock<bool>>);

impl StoresAsBound {
    /// The answer, read on `conn` the first time.
    pub fn check(&self, conn: &mut DbConnection) -> Result<bool> {
        if let Some(known) = self.0.get() {
            return Ok(*known);
        }
        let known = match conn.backend() {
            Backend::Sqlite => true,
            Backend::Mysql => sql::Sql::new("SELECT @@SESSION.sql_mode AS `v`")
                .load_strings(conn)?
                .into_iter()
                .flatten()
                .next()
                .is_some_and(|mode| sahara_schema::sql_mode_is_strict(&mode)),
        };
        Ok(*self.0.get_or_init(|| known))
    }

    /// [`StoresAsBound::check`] on a connection of the asynchronous MySQL driver.
    pub async fn check_on(&self, conn: &mut mysql_async::Conn) -> Result<bool> {
        if let Some(known) = self.0.get() {
            return Ok(*known);
        }
        let known = sql::Sql::new("SELECT @@SESSION.sql_mode AS `v`")
            .load_strings_on(conn)
            .await?
            .into_iter()
            .flatten()
            .next()
            .is_some_and(|mode| sahara_schema::sql_mode_is_strict(&mode));
        Ok(*self.0.get_or_init(|| known))
    }
}

thread_local! {
    /// The ids of the call running on this thread (set by [`Store::run`]).
    static CALL_IDS: Cell<Option<CallIds>> = const { Cell::new(None) };
}

/// Where the row ids of one attempt of a call come from: the `n`-th id generated is the
/// same in every attempt of the call, and unique to it.
#[derive(Clone, Copy)]
struct CallIds {
    seed: u128,
    next: u32,
    attempt: u32,
}

impl CallIds {
    /// Makes this thread generate the ids of `attempt` until the guard is dropped.
    fn enter(seed: u128, attempt: u32) -> CallIdsGuard {
        CALL_IDS.with(|c| c.set(Some(CallIds { seed, next: 0, attempt })));
        CallIdsGuard
    }
}

/// Clears the thread's call ids when an attempt ends (also on panic).
struct CallIdsGuard;

impl Drop for CallIdsGuard {
    fn drop(&mut self) {
        CALL_IDS.with(|c| c.set(None));
    }
}

/// A new row id (a uuid4 string), and whether an earlier attempt of the same call may
/// already have stored a row under it. Inside [`Store::run`] the `n`-th id of every
/// attempt is the same; elsewhere it is random.
pub(crate) fn next_row_id() -> (String, bool) {
    CALL_IDS.with(|c| match c.get() {
        Some(mut ids) => {
            // The counter only touches the low 32 bits, which the uuid4 version and
            // variant bits leave alone: ids within a call stay distinct.
            let bytes = (ids.seed ^ u128::from(ids.next)).to_be_bytes();
            ids.next += 1;
            c.set(Some(ids));
            let id = uuid::Builder::from_random_bytes(bytes).into_uuid().to_string();
            (id, ids.attempt > 0)
        }
        None => (uuid::Uuid::new_v4().to_string(), false),
    })
}

/// An SQLite transaction that takes the write lock when it begins (`BEGIN IMMEDIATE`): waiting for it honours
/// `busy_timeout`, where a deferred transaction upgrading to a writer while another writes fails at once with
/// "database is locked" (and was retried with oslo.db's pauses). The calls' functions open no transactions of
/// their own, so diesel's transaction manager need not know of this one.
fn immediate_transaction<T>(conn: &mut DbConnection, f: impl FnOnce(&mut DbConnection) -> Result<T>) -> Result<T> {
    use diesel::connection::SimpleConnection;
    conn.batch_execute("BEGIN IMMEDIATE")?;
    let outcome = f(conn).and_then(|v| conn.batch_execute("COMMIT").map(|()| v).map_err(ConductorError::from));
    if outcome.is_err() {
        // Gone already when COMMIT itself failed for good; a failed rollback changes nothing then.
        let _ = conn.batch_execute("ROLLBACK");
    }
    outcome
}

/// A COMMIT that lost its connection makes diesel's rollback fail too, and diesel reports
/// both as one `RollbackErrorOnCommit`; the commit's own error is what decides a retry (a
/// disconnect: the transaction may or may not have committed, which `attempt > 0` tells
/// the retried call).
fn commit_error(e: ConductorError) -> ConductorError {
    match e {
        ConductorError::Diesel(diesel::result::Error::RollbackErrorOnCommit { commit_error, .. }) => {
            ConductorError::Diesel(*commit_error)
        }
        other => other,
    }
}

/// Turns a raw error that is not retried into what callers see.
fn classify(op: &str, e: diesel::result::Error) -> ConductorError {
    if sahara_schema::error::is_disconnect(&e) {
        ConductorError::Unavailable(format!("{op}: {e}"))
    } else if sahara_schema::error::is_deadlock(&e) {
        ConductorError::Deadlock(format!("{op}: {e}"))
    } else {
        ConductorError::Database(format!("{op}: {e}"))
    }
}
