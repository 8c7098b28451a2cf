//! Helpers for tests against real databases (used by this crate's and the conductor's tests): throwaway MariaDB databases (dropped on drop, also
//! when a test fails), the real Python Sahara's `sahara-db-manage`, `sahara.conf` files, and
//! dumps of information_schema.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;

/// Where the tests reach MariaDB as an administrator (`SAHARA_TEST_MYSQL_URL`, diesel form).
pub fn admin_url() -> String {
    std::env::var("SAHARA_TEST_MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

/// A connection to the server without a default database.
pub fn admin() -> MysqlConnection {
    let url = admin_url();
    MysqlConnection::establish(&url).unwrap_or_else(|e| {
        panic!(
            "MariaDB is not reachable at {url} ({e}); start it (127.0.0.1:3306, root without password) \
             or set SAHARA_TEST_MYSQL_URL"
        )
    })
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A database with a unique name, dropped when this value is dropped.
pub struct TestDb {
    /// The database name.
    pub name: String,
}

impl TestDb {
    /// Creates `sahara_rs_t_<purpose>_<pid>_<n>`.
    pub fn create(purpose: &str) -> Self {
        let name = format!(
            "sahara_rs_t_{purpose}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        admin()
            .batch_execute(&format!("CREATE DATABASE `{name}`"))
            .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
        Self { name }
    }

    /// A diesel URL for this database.
    pub fn diesel_url(&self) -> String {
        format!("{}/{}", admin_url().trim_end_matches('/'), self.name)
    }

    /// The oslo.db connection string Sahara's config uses.
    pub fn oslo_url(&self) -> String {
        self.diesel_url().replacen("mysql://", "mysql+pymysql://", 1)
    }

    /// A plain diesel MySQL connection to this database.
    pub fn conn(&self) -> MysqlConnection {
        MysqlConnection::establish(&self.diesel_url()).unwrap_or_else(|e| panic!("connect {}: {e}", self.name))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match MysqlConnection::establish(&admin_url()) {
            Ok(mut c) => {
                if let Err(e) = c.batch_execute(&format!("DROP DATABASE IF EXISTS `{}`", self.name)) {
                    eprintln!("could not drop test database {}: {e}", self.name);
                }
            }
            Err(e) => eprintln!("could not drop test database {}: {e}", self.name),
        }
    }
}

/// Writes a `sahara.conf` with `[database] connection` and extra `[database]` lines.
pub fn write_conf(dir: &Path, connection: &str, extra: &str) -> PathBuf {
    let path = dir.join("sahara.conf");
    std::fs::write(
        &path,
        format!("[DEFAULT]\ndebug = false\n\n[database]\nconnection = {connection}\n{extra}\n"),
    )
    .unwrap();
    path
}

/// The virtualenv with Python Sahara 19 (`SAHARA_TEST_SAHARA_VENV`, else the newest complete
/// `$SAHARA_CACHE_DIR/venv-sahara-*`).
pub fn sahara_venv() -> PathBuf {
    if let Some(v) = std::env::var_os("SAHARA_TEST_SAHARA_VENV") {
        return PathBuf::from(v);
    }
    let cache =
        std::env::var_os("SAHARA_CACHE_DIR").map_or_else(|| PathBuf::from("/var/cache/sahara-rs"), PathBuf::from);
    let newest = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("venv-sahara-"))
                && p.join(".complete").exists()
                && p.join("bin/sahara-db-manage").exists()
        })
        .max_by_key(|p| p.metadata().and_then(|m| m.modified()).ok());
    newest.unwrap_or_else(|| {
        panic!(
            "no Python Sahara virtualenv found in {}: create it with \
             `source scripts/lib.sh; ensure_venv sahara tests/python/requirements-sahara.txt` \
             or set SAHARA_TEST_SAHARA_VENV",
            cache.display()
        )
    })
}

/// Runs the real Python `sahara-db-manage --config-file ... upgrade <revision>` on `db`.
pub fn python_upgrade(db: &TestDb, revision: &str) {
    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(dir.path(), &db.oslo_url(), "");
    let bin = sahara_venv().join("bin/sahara-db-manage");
    let out = Command::new(&bin)
        .arg("--config-file")
        .arg(&conf)
        .args(["upgrade", revision])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    assert!(
        out.status.success(),
        "Python sahara-db-manage upgrade {revision} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

/// Runs a query returning one text column named `line`.
pub fn lines(conn: &mut MysqlConnection, sql: &str) -> Vec<String> {
    let rows: Vec<Line> = diesel::sql_query(sql)
        .load(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|r| r.line).collect()
}

/// Tables left out of schema comparisons: the version records.
pub const IGNORED: &str = "'alembic_version', '__diesel_schema_migrations'";

/// One sorted line per row of the information_schema views that define a schema, for every
/// table of `db` but the version records; keyed by view.
pub fn schema_dump(conn: &mut MysqlConnection, db: &str) -> BTreeMap<&'static str, Vec<String>> {
    let views: [(&str, &str, &str); 7] = [
        (
            "TABLES",
            "TABLE_SCHEMA",
            "TABLE_NAME, ENGINE, TABLE_COLLATION, ROW_FORMAT, CREATE_OPTIONS, TABLE_COMMENT",
        ),
        (
            "COLUMNS",
            "TABLE_SCHEMA",
            "TABLE_NAME, ORDINAL_POSITION, COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, COLUMN_DEFAULT, \
             CHARACTER_SET_NAME, COLLATION_NAME, COLUMN_KEY, EXTRA, COLUMN_COMMENT",
        ),
        (
            "STATISTICS",
            "TABLE_SCHEMA",
            "TABLE_NAME, INDEX_NAME, NON_UNIQUE, SEQ_IN_INDEX, COLUMN_NAME, SUB_PART, NULLABLE, INDEX_TYPE",
        ),
        (
            "TABLE_CONSTRAINTS",
            "TABLE_SCHEMA",
            "TABLE_NAME, CONSTRAINT_NAME, CONSTRAINT_TYPE",
        ),
        (
            "KEY_COLUMN_USAGE",
            "TABLE_SCHEMA",
            "TABLE_NAME, CONSTRAINT_NAME, COLUMN_NAME, ORDINAL_POSITION, POSITION_IN_UNIQUE_CONSTRAINT, \
             REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME",
        ),
        (
            "REFERENTIAL_CONSTRAINTS",
            "CONSTRAINT_SCHEMA",
            "TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, MATCH_OPTION, UPDATE_RULE, DELETE_RULE, \
             REFERENCED_TABLE_NAME",
        ),
        (
            "CHECK_CONSTRAINTS",
            "CONSTRAINT_SCHEMA",
            "TABLE_NAME, CONSTRAINT_NAME, CHECK_CLAUSE",
        ),
    ];
    let mut out = BTreeMap::new();
    for (view, schema_col, cols) in views {
        let fields: Vec<String> = cols
            .split(',')
            .map(|c| format!("IFNULL(CAST({} AS CHAR), '<null>')", c.trim()))
            .collect();
        let sql = format!(
            "SELECT CAST(CONCAT_WS(' | ', {}) AS CHAR) AS line FROM information_schema.{view} \
             WHERE {schema_col} = '{db}' AND TABLE_NAME NOT IN ({IGNORED}) ORDER BY 1",
            fields.join(", ")
        );
        out.insert(view, lines(conn, &sql));
    }
    out
}

/// Panics with the differing lines when two dumps differ.
pub fn assert_same_schema(python: &BTreeMap<&'static str, Vec<String>>, ours: &BTreeMap<&'static str, Vec<String>>) {
    let mut problems = Vec::new();
    for (view, py_lines) in python {
        let our_lines = &ours[view];
        for l in py_lines.iter().filter(|l| !our_lines.contains(l)) {
            problems.push(format!("{view}: only in Python Sahara's: {l}"));
        }
        for l in our_lines.iter().filter(|l| !py_lines.contains(l)) {
            problems.push(format!("{view}: only in ours: {l}"));
        }
    }
    assert!(problems.is_empty(), "schemas differ:\n{}", problems.join("\n"));
}

/// The rows of every Sahara table, each as one hex line, sorted: equal dumps mean
/// byte-identical data.
pub fn data_dump(conn: &mut MysqlConnection, db: &str) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for table in crate::schema::TABLES {
        let cols = lines(
            conn,
            &format!(
                "SELECT CAST(COLUMN_NAME AS CHAR) AS line FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = '{table}' ORDER BY ORDINAL_POSITION"
            ),
        );
        let fields: Vec<String> = cols.iter().map(|c| format!("IFNULL(HEX(`{c}`), 'NULL')")).collect();
        let sql = format!(
            "SELECT CAST(CONCAT_WS(':', {}) AS CHAR) AS line FROM `{db}`.`{table}` ORDER BY 1",
            fields.join(", ")
        );
        out.insert(table.to_owned(), lines(conn, &sql));
    }
    out
}

/// Runs `sahara-db-manage` in-process: (exit status, stdout, stderr).
pub fn manage(args: &[&str]) -> (u8, String, String) {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = crate::manage::main_with(
        std::iter::once("sahara-db-manage").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
}
