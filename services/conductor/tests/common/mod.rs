//! A conductor on a fresh database of each backend: a unique MariaDB database (dropped at
//! the end, also on failure) or an SQLite file in a temporary directory.
#![allow(dead_code)]

pub mod private_mariadb;

use sahara_conductor::store::{CallRetry, Store};
use sahara_conductor::{Conductor, ConductorSettings};
use sahara_rpc::RequestContext;
use sahara_schema::migrate::{Target, upgrade};
use sahara_schema::testing::TestDb;
use sahara_schema::{AsyncMysql, DbUrl, PoolOptions, SessionOptions, build_pool};
use std::time::Duration;

/// What keeps a test database alive.
pub enum Keep {
    /// A MariaDB database.
    Mysql(TestDb),
    /// An SQLite file's directory.
    Sqlite(tempfile::TempDir),
}

/// A conductor and its database.
pub struct Harness {
    pub conductor: Conductor,
    pub url: String,
    pub keep: Keep,
}

fn make(url: &str, keep: Keep, settings: ConductorSettings) -> Harness {
    make_with_session(url, keep, settings, &SessionOptions::default())
}

fn make_with_session(url: &str, keep: Keep, settings: ConductorSettings, session: &SessionOptions) -> Harness {
    let parsed = DbUrl::parse(url).unwrap();
    let options = PoolOptions {
        max_size: 8,
        ..Default::default()
    };
    let pool = build_pool(&parsed, session, &options).unwrap();
    {
        let mut conn = pool.get().unwrap();
        upgrade(&mut conn, &Target::Head).unwrap();
    }
    let retry = CallRetry {
        max_retries: Some(3),
        interval: Duration::from_millis(20),
        increase: true,
        max_interval: Duration::from_millis(200),
    };
    // On MariaDB single statements go through the asynchronous driver, as `Store::from_opts` sets it up.
    let store = Store::new(pool, parsed.backend(), retry)
        .with_async_mysql(AsyncMysql::new(&parsed, session, &options).unwrap());
    Harness {
        conductor: Conductor::new(store, settings),
        url: url.to_string(),
        keep,
    }
}

/// A conductor over `h`'s database with every statement on diesel's blocking driver, none on the asynchronous
/// one (what the latter answers is checked against it).
pub fn blocking_twin(h: &Harness) -> Conductor {
    let parsed = DbUrl::parse(&h.url).unwrap();
    let pool = build_pool(&parsed, &SessionOptions::default(), &PoolOptions::default()).unwrap();
    let store = Store::new(pool, parsed.backend(), CallRetry::default());
    assert!(!store.uses_async_mysql());
    Conductor::new(store, ConductorSettings::default())
}

/// A conductor on a fresh MariaDB database.
pub fn mysql() -> Harness {
    mysql_with(ConductorSettings::default())
}

/// The same with other settings.
pub fn mysql_with(settings: ConductorSettings) -> Harness {
    let db = TestDb::create("cond");
    let url = db.oslo_url();
    make(&url, Keep::Mysql(db), settings)
}

/// A conductor on a fresh MariaDB database whose connections get `session`.
pub fn mysql_session(session: &SessionOptions) -> Harness {
    let db = TestDb::create("cond");
    let url = db.oslo_url();
    make_with_session(&url, Keep::Mysql(db), ConductorSettings::default(), session)
}

/// A conductor on a fresh SQLite file.
pub fn sqlite() -> Harness {
    sqlite_with(ConductorSettings::default())
}

/// The same with other settings.
pub fn sqlite_with(settings: ConductorSettings) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:///{}", dir.path().join("sahara.sqlite").display());
    make(&url, Keep::Sqlite(dir), settings)
}

/// A user's context in `project`.
pub fn ctx(project: &str) -> RequestContext {
    RequestContext::for_user(format!("user-{project}"), project)
}

/// An admin context (no project).
pub fn admin() -> RequestContext {
    let mut c = RequestContext::admin();
    c.project_id = Some("admin-project".into());
    c
}

/// Runs a suite function on both backends as two tests.
#[macro_export]
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mariadb() {
                super::$name(super::common::mysql()).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::common::sqlite()).await;
            }
        }
    };
}
