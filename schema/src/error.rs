//! The crate's error type, and oslo.db-style classification of database errors for retry loops:
//! lost or refused connections ([`is_disconnect`]), deadlocks and lock timeouts
//! ([`is_deadlock`]), unique-key violations with the conflicting columns ([`is_duplicate`]).
//!
//! diesel reports MySQL/MariaDB client errors by message (it keeps the error number only for a
//! few statement errors), so the classification matches the messages of the numbers oslo.db
//! looks at: 2002/2003 (cannot connect), 2006 (server has gone away), 2013 (lost connection),
//! 1047 (Galera node not ready), 1927 (connection killed), 1213 (deadlock), 1205 (lock wait
//! timeout), 1062 (duplicate entry); and SQLite's "database is locked" and "UNIQUE constraint
//! failed".

use diesel::result::{ConnectionError, DatabaseErrorKind, Error as DieselError};

use crate::schema::UNIQUE_KEYS;

/// Everything that can go wrong in this crate. Messages are one line and never contain a
/// password.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// `[database] connection` is not set (or empty).
    #[error("no database connection configured: set [database] connection in sahara.conf")]
    NoConnection,
    /// The connection string cannot be parsed.
    #[error("invalid [database] connection: {0}")]
    InvalidUrl(String),
    /// The connection string names a database engine we do not support.
    #[error("unsupported database backend '{0}' in [database] connection (supported: mysql, sqlite)")]
    UnsupportedBackend(String),
    /// Another `[database]` option has an unusable value.
    #[error("invalid [database] {option}: {reason}")]
    InvalidOption {
        /// The option name.
        option: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// No connection could be made (after `attempts` tries).
    #[error("cannot connect to the database {url}{}: {source}", attempts_note(*.attempts))]
    Connect {
        /// The redacted connection string.
        url: String,
        /// How many times a connection was tried.
        attempts: u32,
        /// diesel's error.
        source: ConnectionError,
    },
    /// A statement failed.
    #[error("database error: {0}")]
    Query(#[from] DieselError),
    /// No pooled connection became available in time (the last connect error included).
    #[error("no database connection available from the pool: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    /// A migration failed to run.
    #[error("migration {name} failed: {message}")]
    Migration {
        /// The migration.
        name: String,
        /// Why.
        message: String,
    },
    /// The database was migrated by Python Sahara but is not at its last revision (035).
    #[error(
        "the database is at Python Sahara's alembic revision {revision}, not 035: run Python Sahara 19's \
         `sahara-db-manage --config-file <sahara.conf> upgrade 035` first, then run this upgrade again to adopt it"
    )]
    AlembicNotAtHead {
        /// The revision found in `alembic_version`.
        revision: String,
    },
    /// `alembic_version` holds something Python Sahara never wrote.
    #[error(
        "the database has an unknown alembic revision '{revision}' (Python Sahara 19 ends at 035); refusing to touch it"
    )]
    UnknownAlembicRevision {
        /// The revision(s) found.
        revision: String,
    },
    /// Sahara tables exist but neither alembic nor our migrations recorded them.
    #[error(
        "the database has Sahara tables ({tables}) but no migration record (no alembic_version, no \
         __diesel_schema_migrations); refusing to touch it"
    )]
    Unversioned {
        /// The tables found, comma separated.
        tables: String,
    },
    /// `alembic_version` says 035 but tables are missing.
    #[error("the database is stamped alembic 035 but lacks Sahara tables ({missing}); refusing to adopt it")]
    IncompleteSchema {
        /// The missing tables, comma separated.
        missing: String,
    },
    /// A revision named on the command line is not one of ours.
    #[error("unknown revision '{revision}' (known: {known})")]
    UnknownRevision {
        /// What was asked for.
        revision: String,
        /// The revisions we know, comma separated.
        known: String,
    },
    /// The database records migrations this build does not have (a newer release ran).
    #[error(
        "the database has migrations this sahara-db-manage does not know: {0} (was it migrated by a newer release?)"
    )]
    UnknownApplied(String),
    /// The target revision is older than the database.
    #[error("revision {target} is older than the database's revision {current}; downgrades are not supported")]
    Downgrade {
        /// The database's newest applied revision.
        current: String,
        /// The requested revision.
        target: String,
    },
    /// `check`: the database is not at head.
    #[error("the database is at {current}, not at head {head}: run `sahara-db-manage upgrade head`")]
    NotAtHead {
        /// Where the database is.
        current: String,
        /// Where it should be.
        head: String,
    },
    /// The configuration could not be read.
    #[error(transparent)]
    Config(#[from] sahara_config::ConfigError),
}

fn attempts_note(attempts: u32) -> String {
    if attempts > 1 {
        format!(" after {attempts} attempts")
    } else {
        String::new()
    }
}

impl DbError {
    /// Whether the error is a lost, refused or timed-out connection (worth retrying).
    pub fn is_disconnect(&self) -> bool {
        match self {
            DbError::Connect { source, .. } => is_connection_disconnect(source),
            DbError::Query(e) => is_disconnect(e),
            DbError::Pool(_) => true,
            _ => false,
        }
    }

    /// Whether the error is a deadlock or lock timeout (worth retrying the transaction).
    pub fn is_deadlock(&self) -> bool {
        matches!(self, DbError::Query(e) if is_deadlock(e))
    }

    /// The unique-key violation behind the error, if it is one.
    pub fn duplicate(&self) -> Option<DuplicateEntry> {
        match self {
            DbError::Query(e) => is_duplicate(e),
            _ => None,
        }
    }
}

/// Lower-case fragments of client messages that mean the connection is gone or unreachable.
const DISCONNECT_MESSAGES: &[&str] = &[
    "server has gone away",        // 2006
    "lost connection",             // 2013, 2055
    "can't connect to",            // 2002, 2003
    "unknown mysql server host",   // 2005 (MySQL client wording)
    "unknown server host",         // 2005 (MariaDB client wording)
    "connection refused",          // errno 111 in some wordings
    "connection reset",            // errno 104
    "broken pipe",                 // errno 32
    "connection was killed",       // 1927
    "wsrep has not yet prepared",  // 1047 (Galera node not ready)
    "server shutdown in progress", // 1053
    "timed out waiting for connection",
];

fn message_is_disconnect(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    DISCONNECT_MESSAGES.iter().any(|f| m.contains(f))
}

/// Whether a statement error means the connection was lost or could not be made.
pub fn is_disconnect(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(kind, info) => {
            matches!(
                kind,
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
            ) || message_is_disconnect(info.message())
        }
        _ => false,
    }
}

/// Whether a failure to connect is worth retrying (the server is down, restarting or
/// unreachable; not a bad password or an unknown database).
pub fn is_connection_disconnect(err: &ConnectionError) -> bool {
    match err {
        ConnectionError::BadConnection(message) => message_is_disconnect(message),
        ConnectionError::CouldntSetupConfiguration(e) => is_disconnect(e),
        _ => false,
    }
}

/// Whether a statement failed on a deadlock or lock timeout (MySQL 1213, 1205; SQLite busy).
pub fn is_deadlock(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            m.contains("deadlock found")
                || m.contains("lock wait timeout exceeded")
                || m.contains("database is locked")
                || m.contains("database table is locked")
        }
        _ => false,
    }
}

/// A unique-key violation: what Sahara turns into `NAME_ALREADY_EXISTS`-style errors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DuplicateEntry {
    /// The table, when the message names it (SQLite, MySQL 8).
    pub table: Option<String>,
    /// The MySQL key name (`name`, `job_id_2`, `PRIMARY`), when the message names it.
    pub key: Option<String>,
    /// The conflicting columns: SQLite names them; for MySQL they come from the key name (the
    /// columns of that key of `table` when the table is known, else oslo.db's `[key]`;
    /// `PRIMARY` is `id`, every Sahara table's primary key).
    pub columns: Vec<String>,
    /// The duplicate value as MySQL quotes it (the key's values joined by '-').
    pub value: Option<String>,
}

impl DuplicateEntry {
    /// The conflicting columns, resolving a MySQL key name with the schema of `table`.
    pub fn columns_in(&self, table: &str) -> Vec<String> {
        match &self.key {
            Some(key) => key_columns(table, key).unwrap_or_else(|| self.columns.clone()),
            None => self.columns.clone(),
        }
    }
}

fn key_columns(table: &str, key: &str) -> Option<Vec<String>> {
    if key == "PRIMARY" {
        return Some(vec!["id".to_owned()]);
    }
    UNIQUE_KEYS
        .iter()
        .find(|k| k.table == table && k.name == key)
        .map(|k| k.columns.iter().map(|c| (*c).to_owned()).collect())
}

/// The unique-key violation behind a statement error, if it is one.
pub fn is_duplicate(err: &DieselError) -> Option<DuplicateEntry> {
    let DieselError::DatabaseError(kind, info) = err else {
        return None;
    };
    let message = info.message();
    if let Some(rest) = message.strip_prefix("UNIQUE constraint failed: ") {
        // SQLite: "UNIQUE constraint failed: clusters.name, clusters.tenant_id"
        let mut table = None;
        let columns = rest
            .split(',')
            .map(|c| {
                let c = c.trim();
                match c.split_once('.') {
                    Some((t, col)) => {
                        table = Some(t.to_owned());
                        col.to_owned()
                    }
                    None => c.to_owned(),
                }
            })
            .collect();
        return Some(DuplicateEntry {
            table,
            key: None,
            columns,
            value: None,
        });
    }
    if let Some(rest) = message.strip_prefix("Duplicate entry '") {
        // MySQL/MariaDB 1062: "Duplicate entry 'a-b' for key 'name'" (MySQL 8: 'table.name').
        let (value, key) = match rest.rfind("' for key '") {
            Some(i) => (
                Some(rest[..i].to_owned()),
                rest[i + "' for key '".len()..].trim_end_matches('\''),
            ),
            None => (None, ""),
        };
        let (table, key) = match key.split_once('.') {
            Some((t, k)) => (Some(t.to_owned()), k),
            None => (None, key),
        };
        let key = (!key.is_empty()).then(|| key.to_owned());
        let columns = match (&table, &key) {
            (Some(t), Some(k)) => key_columns(t, k).unwrap_or_else(|| vec![k.clone()]),
            (None, Some(k)) if k == "PRIMARY" => vec!["id".to_owned()],
            (None, Some(k)) => vec![k.clone()],
            _ => Vec::new(),
        };
        return Some(DuplicateEntry {
            table,
            key,
            columns,
            value,
        });
    }
    (*kind == DatabaseErrorKind::UniqueViolation).then(|| DuplicateEntry {
        table: None,
        key: None,
        columns: Vec::new(),
        value: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_err(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn disconnects() {
        for m in [
            "MySQL server has gone away",
            "Server has gone away",
            "Lost connection to server during query",
            "Lost connection to MySQL server at 'reading initial communication packet', system error: 0",
            "Can't connect to server on '127.0.0.1' (111)",
            "Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)",
            "Unknown server host 'db.example' (-2)",
            "Connection was killed",
            "WSREP has not yet prepared node for application use",
        ] {
            assert!(is_disconnect(&db_err(DatabaseErrorKind::Unknown, m)), "{m}");
            assert!(
                is_connection_disconnect(&ConnectionError::BadConnection(m.to_owned())),
                "{m}"
            );
        }
        assert!(is_disconnect(&db_err(DatabaseErrorKind::ClosedConnection, "x")));
        assert!(is_disconnect(&db_err(DatabaseErrorKind::UnableToSendCommand, "x")));
        for m in [
            "Access denied for user 'sahara'@'10.0.0.1' (using password: YES)",
            "Unknown database 'sahara'",
            "unable to open database file",
            "Deadlock found when trying to get lock; try restarting transaction",
        ] {
            assert!(!is_disconnect(&db_err(DatabaseErrorKind::Unknown, m)), "{m}");
            assert!(
                !is_connection_disconnect(&ConnectionError::BadConnection(m.to_owned())),
                "{m}"
            );
        }
        assert!(!is_disconnect(&DieselError::NotFound));
        assert!(!is_connection_disconnect(&ConnectionError::InvalidConnectionUrl(
            "x".into()
        )));
        assert!(is_connection_disconnect(&ConnectionError::CouldntSetupConfiguration(
            db_err(DatabaseErrorKind::Unknown, "Lost connection to server during query")
        )));
    }

    #[test]
    fn deadlocks() {
        assert!(is_deadlock(&db_err(
            DatabaseErrorKind::SerializationFailure,
            "whatever"
        )));
        for m in [
            "Deadlock found when trying to get lock; try restarting transaction",
            "Lock wait timeout exceeded; try restarting transaction",
            "database is locked",
            "database table is locked: clusters",
        ] {
            assert!(is_deadlock(&db_err(DatabaseErrorKind::Unknown, m)), "{m}");
        }
        assert!(!is_deadlock(&db_err(
            DatabaseErrorKind::Unknown,
            "Server has gone away"
        )));
        assert!(!is_deadlock(&DieselError::NotFound));
    }

    #[test]
    fn duplicates() {
        let d = is_duplicate(&db_err(
            DatabaseErrorKind::UniqueViolation,
            "Duplicate entry 'my-cluster-tenant1' for key 'name'",
        ))
        .unwrap();
        assert_eq!(d.key.as_deref(), Some("name"));
        assert_eq!(d.columns, vec!["name"]);
        assert_eq!(d.value.as_deref(), Some("my-cluster-tenant1"));
        assert_eq!(d.columns_in("clusters"), vec!["name", "tenant_id"]);
        assert_eq!(d.columns_in("node_groups"), vec!["name", "cluster_id"]);

        let d = is_duplicate(&db_err(
            DatabaseErrorKind::UniqueViolation,
            "Duplicate entry 'j1-arg' for key 'job_interface_arguments.job_id_2'",
        ))
        .unwrap();
        assert_eq!(d.table.as_deref(), Some("job_interface_arguments"));
        assert_eq!(d.columns, vec!["job_id", "name"]);

        let d = is_duplicate(&db_err(
            DatabaseErrorKind::UniqueViolation,
            "Duplicate entry 'abc' for key 'PRIMARY'",
        ))
        .unwrap();
        assert_eq!(d.columns, vec!["id"]);

        let d = is_duplicate(&db_err(
            DatabaseErrorKind::UniqueViolation,
            "UNIQUE constraint failed: clusters.name, clusters.tenant_id",
        ))
        .unwrap();
        assert_eq!(d.table.as_deref(), Some("clusters"));
        assert_eq!(d.columns, vec!["name", "tenant_id"]);
        assert_eq!(d.columns_in("clusters"), vec!["name", "tenant_id"]);

        let d = is_duplicate(&db_err(DatabaseErrorKind::UniqueViolation, "something else")).unwrap();
        assert!(d.columns.is_empty());
        assert!(is_duplicate(&db_err(DatabaseErrorKind::ForeignKeyViolation, "Cannot add or update")).is_none());
        assert!(is_duplicate(&DieselError::NotFound).is_none());
    }

    #[test]
    fn error_classification_through_db_error() {
        let e = DbError::Query(db_err(DatabaseErrorKind::Unknown, "Lock wait timeout exceeded"));
        assert!(e.is_deadlock() && !e.is_disconnect() && e.duplicate().is_none());
        let e = DbError::Connect {
            url: "mysql://u:***@h/db".into(),
            attempts: 3,
            source: ConnectionError::BadConnection("Can't connect to server on 'h' (111)".into()),
        };
        assert!(e.is_disconnect());
        assert_eq!(
            e.to_string(),
            "cannot connect to the database mysql://u:***@h/db after 3 attempts: Can't connect to server on 'h' (111)"
        );
    }
}
