//! Our migrations and how a database comes under them: the embedded diesel migrations per
//! backend (the first, `00000000000035_sahara_baseline`, is Sahara 19's schema at alembic head
//! 035), reading where a database stands, upgrading it, and adopting a database Python Sahara
//! migrated.
//!
//! Adoption: a database whose `alembic_version` holds `035` and that has no
//! `__diesel_schema_migrations` rows yet gets the baseline recorded as applied without running
//! it (its tables are already exactly the baseline's), then any later migrations of ours run.
//! Data is not touched and `alembic_version` stays, so the database still tells where it came
//! from. A database at an older alembic revision is refused: Python Sahara's own
//! `sahara-db-manage upgrade 035` has to bring it to 035 first.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend as DieselBackend;
use diesel::migration::{Migration, MigrationConnection, MigrationSource};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::connection::DbConnection;
use crate::error::DbError;
use crate::schema::TABLES;
use crate::url::Backend;

/// Migrations for MySQL/MariaDB.
pub const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");
/// Migrations for SQLite (the same names as [`MYSQL_MIGRATIONS`]).
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The baseline migration's name: Sahara 19's schema (alembic head 035).
pub const BASELINE: &str = "00000000000035_sahara_baseline";
/// The baseline's version (what `__diesel_schema_migrations` records).
pub const BASELINE_VERSION: &str = "00000000000035";
/// Python Sahara's last alembic revision; the one we adopt.
pub const ALEMBIC_HEAD: &str = "035";
/// The table alembic records its revision in.
pub const ALEMBIC_TABLE: &str = "alembic_version";
/// The table diesel records applied migrations in.
pub const DIESEL_TABLE: &str = "__diesel_schema_migrations";

/// One of our migrations.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MigrationInfo {
    /// The version recorded when it ran (`00000000000035`).
    pub version: String,
    /// The full name (`00000000000035_sahara_baseline`).
    pub name: String,
}

impl fmt::Display for MigrationInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

fn infos<DB: DieselBackend>(source: &EmbeddedMigrations) -> Vec<MigrationInfo>
where
    EmbeddedMigrations: MigrationSource<DB>,
{
    // Embedded migrations are compiled in; listing them cannot fail.
    let mut out: Vec<MigrationInfo> = MigrationSource::<DB>::migrations(source)
        .unwrap_or_default()
        .iter()
        .map(|m| MigrationInfo {
            version: m.name().version().to_string(),
            name: m.name().to_string(),
        })
        .collect();
    out.sort();
    out
}

/// The migrations this build has for `backend`, oldest first.
pub fn migrations(backend: Backend) -> Vec<MigrationInfo> {
    match backend {
        Backend::Mysql => infos::<diesel::mysql::Mysql>(&MYSQL_MIGRATIONS),
        Backend::Sqlite => infos::<diesel::sqlite::Sqlite>(&SQLITE_MIGRATIONS),
    }
}

/// The newest migration this build has.
pub fn head(backend: Backend) -> MigrationInfo {
    migrations(backend).pop().unwrap_or_else(|| MigrationInfo {
        version: BASELINE_VERSION.to_owned(),
        name: BASELINE.to_owned(),
    })
}

/// Whether `rev` is one of Python Sahara's alembic revisions (`001` to `035`).
pub fn is_alembic_revision(rev: &str) -> bool {
    rev.len() == 3 && rev.parse::<u32>().is_ok_and(|n| (1..=35).contains(&n))
}

/// What `upgrade` should migrate to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// The newest migration.
    Head,
    /// A given revision: a version, a full name, or `035` for the baseline.
    Revision(String),
}

impl FromStr for Target {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "head" | "heads" => Target::Head,
            other => Target::Revision(other.to_owned()),
        })
    }
}

impl Target {
    fn resolve(&self, known: &[MigrationInfo]) -> Result<MigrationInfo, DbError> {
        let found = match self {
            Target::Head => known.last(),
            Target::Revision(r) if r == ALEMBIC_HEAD => known.iter().find(|m| m.version == BASELINE_VERSION),
            Target::Revision(r) => known.iter().find(|m| &m.version == r || &m.name == r),
        };
        found.cloned().ok_or_else(|| DbError::UnknownRevision {
            revision: match self {
                Target::Head => "head".to_owned(),
                Target::Revision(r) => r.clone(),
            },
            known: std::iter::once("head".to_owned())
                .chain(known.iter().map(|m| m.name.clone()))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}

/// What a database holds, as read (nothing is created or changed to find out).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DbState {
    /// Every table.
    pub tables: BTreeSet<String>,
    /// `alembic_version` rows; `None` without that table.
    pub alembic: Option<Vec<String>>,
    /// `__diesel_schema_migrations` versions, oldest first; `None` without that table.
    pub applied: Option<Vec<String>>,
}

#[derive(QueryableByName)]
struct NameRow {
    #[diesel(sql_type = Text)]
    name: String,
}

fn load_names(conn: &mut DbConnection, sql: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<NameRow> = match conn {
        DbConnection::Mysql(c) => diesel::sql_query(sql).load(c)?,
        DbConnection::Sqlite(c) => diesel::sql_query(sql).load(c)?,
    };
    Ok(rows.into_iter().map(|r| r.name).collect())
}

/// Reads the tables and the alembic and diesel version records.
pub fn inspect(conn: &mut DbConnection) -> Result<DbState, DbError> {
    let list = match conn.backend() {
        Backend::Mysql => {
            "SELECT CAST(TABLE_NAME AS CHAR) AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE()"
        }
        Backend::Sqlite => "SELECT name FROM sqlite_master WHERE type = 'table'",
    };
    let tables: BTreeSet<String> = load_names(conn, list)?.into_iter().collect();
    let alembic = if tables.contains(ALEMBIC_TABLE) {
        Some(load_names(
            conn,
            "SELECT CAST(version_num AS CHAR) AS name FROM alembic_version",
        )?)
    } else {
        None
    };
    let applied = if tables.contains(DIESEL_TABLE) {
        let mut v = load_names(
            conn,
            "SELECT CAST(version AS CHAR) AS name FROM __diesel_schema_migrations",
        )?;
        v.sort();
        Some(v)
    } else {
        None
    };
    Ok(DbState {
        tables,
        alembic,
        applied,
    })
}

/// Where a database stands with respect to Sahara's migrations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// No Sahara tables and no version records: `upgrade` creates everything.
    Empty,
    /// Only Python Sahara's alembic migrated it (any revision; `035` can be adopted).
    Python {
        /// The `alembic_version` rows.
        revisions: Vec<String>,
    },
    /// Our migrations recorded it (after adoption, `alembic` keeps Python Sahara's revision).
    Managed {
        /// Applied versions, oldest first.
        applied: Vec<String>,
        /// The `alembic_version` revision, for an adopted database.
        alembic: Option<String>,
    },
    /// Sahara tables without any version record: refused.
    Unversioned {
        /// The Sahara tables found.
        tables: Vec<String>,
    },
}

impl DbState {
    /// Classifies the state.
    pub fn status(&self) -> Status {
        let alembic = self.alembic.clone().unwrap_or_default();
        match &self.applied {
            Some(applied) if !applied.is_empty() => {
                return Status::Managed {
                    applied: applied.clone(),
                    alembic: alembic.first().cloned(),
                };
            }
            _ => {}
        }
        if !alembic.is_empty() {
            return Status::Python { revisions: alembic };
        }
        let sahara: Vec<String> = TABLES
            .iter()
            .filter(|t| self.tables.contains(**t))
            .map(|t| (*t).to_owned())
            .collect();
        if sahara.is_empty() {
            Status::Empty
        } else {
            Status::Unversioned { tables: sahara }
        }
    }
}

/// The answer of `current`: the status plus the head this build knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Current {
    /// Where the database stands.
    pub status: Status,
    /// Our newest migration.
    pub head: MigrationInfo,
    /// Our migrations, oldest first.
    pub known: Vec<MigrationInfo>,
}

impl Current {
    /// The newest applied revision: our version, Python Sahara's alembic revision for a database
    /// not adopted yet, `None` when empty or unversioned.
    pub fn version(&self) -> Option<String> {
        match &self.status {
            Status::Managed { applied, .. } => applied.last().cloned(),
            Status::Python { revisions } => Some(revisions.join(",")),
            Status::Empty | Status::Unversioned { .. } => None,
        }
    }

    /// Whether every migration of ours is applied.
    pub fn at_head(&self) -> bool {
        match &self.status {
            Status::Managed { applied, .. } => self.known.iter().all(|m| applied.contains(&m.version)),
            _ => false,
        }
    }

    fn name_of(&self, version: &str) -> String {
        self.known
            .iter()
            .find(|m| m.version == version)
            .map_or_else(|| format!("{version} (unknown to this build)"), |m| m.name.clone())
    }
}

/// One line, as `sahara-db-manage current` prints it (empty for an empty database, as alembic).
impl fmt::Display for Current {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.status {
            Status::Empty => Ok(()),
            Status::Python { revisions } => {
                let revs = revisions.join(",");
                if revisions.len() == 1 && revs == ALEMBIC_HEAD {
                    write!(
                        f,
                        "alembic {revs} (Python Sahara, not adopted yet: `sahara-db-manage upgrade head` adopts it)"
                    )
                } else {
                    write!(
                        f,
                        "alembic {revs} (Python Sahara; run Python Sahara 19's `sahara-db-manage upgrade 035`, then ours)"
                    )
                }
            }
            Status::Managed { applied, alembic } => {
                let newest = applied.last().map(|v| self.name_of(v)).unwrap_or_default();
                write!(f, "{newest}")?;
                if self.at_head() {
                    f.write_str(" (head)")?;
                }
                if let Some(rev) = alembic {
                    write!(f, "; adopted from Python Sahara alembic revision {rev}")?;
                }
                Ok(())
            }
            Status::Unversioned { tables } => write!(
                f,
                "no version record, but Sahara tables exist ({}); upgrade refuses such a database",
                tables.join(", ")
            ),
        }
    }
}

/// Reads where the database stands (no side effects).
pub fn current(conn: &mut DbConnection) -> Result<Current, DbError> {
    let state = inspect(conn)?;
    let known = migrations(conn.backend());
    Ok(Current {
        status: state.status(),
        head: head(conn.backend()),
        known,
    })
}

/// `check`: `Ok` when every migration of ours is applied, else [`DbError::NotAtHead`].
pub fn check(conn: &mut DbConnection) -> Result<(), DbError> {
    let current = current(conn)?;
    if current.at_head() {
        return Ok(());
    }
    let describe = match &current.status {
        Status::Empty => "an empty database (no Sahara tables)".to_owned(),
        _ => current.to_string(),
    };
    Err(DbError::NotAtHead {
        current: describe,
        head: current.head.name,
    })
}

/// What `upgrade` did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UpgradeReport {
    /// The alembic revision of a Python Sahara database that was adopted by this run.
    pub adopted_from: Option<String>,
    /// Migrations run, in order.
    pub applied: Vec<MigrationInfo>,
}

impl UpgradeReport {
    /// Whether nothing was changed (the database was already at the target).
    pub fn is_noop(&self) -> bool {
        self.adopted_from.is_none() && self.applied.is_empty()
    }
}

/// Brings the database to `target`: creates the schema in an empty database, adopts a Python
/// Sahara database at alembic 035, runs our pending migrations; a no-op at the target.
pub fn upgrade(conn: &mut DbConnection, target: &Target) -> Result<UpgradeReport, DbError> {
    let backend = conn.backend();
    let known = migrations(backend);
    let target = target.resolve(&known)?;
    let state = inspect(conn)?;
    let mut report = UpgradeReport::default();
    let mut applied: Vec<String> = match state.status() {
        Status::Empty => Vec::new(),
        Status::Unversioned { tables } => {
            return Err(DbError::Unversioned {
                tables: tables.join(", "),
            });
        }
        Status::Python { revisions } => {
            match revisions.as_slice() {
                [rev] if rev == ALEMBIC_HEAD => {}
                [rev] if is_alembic_revision(rev) => return Err(DbError::AlembicNotAtHead { revision: rev.clone() }),
                _ => {
                    return Err(DbError::UnknownAlembicRevision {
                        revision: revisions.join(","),
                    });
                }
            }
            let missing: Vec<&str> = TABLES.iter().copied().filter(|t| !state.tables.contains(*t)).collect();
            if !missing.is_empty() {
                return Err(DbError::IncompleteSchema {
                    missing: missing.join(", "),
                });
            }
            record_baseline(conn)?;
            tracing::info!(
                alembic = ALEMBIC_HEAD,
                baseline = BASELINE,
                "adopted a Python Sahara database"
            );
            report.adopted_from = Some(ALEMBIC_HEAD.to_owned());
            vec![BASELINE_VERSION.to_owned()]
        }
        Status::Managed { applied, .. } => {
            let unknown: Vec<&str> = applied
                .iter()
                .filter(|v| !known.iter().any(|m| &m.version == *v))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                return Err(DbError::UnknownApplied(unknown.join(", ")));
            }
            applied
        }
    };
    applied.sort();
    if let Some(newest) = applied.last()
        && newest > &target.version
    {
        return Err(DbError::Downgrade {
            current: known
                .iter()
                .find(|m| &m.version == newest)
                .map_or_else(|| newest.clone(), |m| m.name.clone()),
            target: target.name,
        });
    }
    let pending: Vec<MigrationInfo> = known
        .into_iter()
        .filter(|m| !applied.contains(&m.version) && m.version <= target.version)
        .collect();
    if !pending.is_empty() {
        match conn {
            DbConnection::Mysql(c) => run::<_, diesel::mysql::Mysql>(c, &MYSQL_MIGRATIONS, &pending)?,
            DbConnection::Sqlite(c) => run::<_, diesel::sqlite::Sqlite>(c, &SQLITE_MIGRATIONS, &pending)?,
        }
    }
    report.applied = pending;
    Ok(report)
}

/// Creates diesel's table and records the baseline as applied, without running it.
fn record_baseline(conn: &mut DbConnection) -> Result<(), DbError> {
    let insert = format!("INSERT INTO {DIESEL_TABLE} (version) VALUES (?)");
    match conn {
        DbConnection::Mysql(c) => {
            c.setup()?;
            diesel::sql_query(insert).bind::<Text, _>(BASELINE_VERSION).execute(c)?;
        }
        DbConnection::Sqlite(c) => {
            c.setup()?;
            diesel::sql_query(insert).bind::<Text, _>(BASELINE_VERSION).execute(c)?;
        }
    }
    Ok(())
}

fn run<C, DB>(conn: &mut C, source: &EmbeddedMigrations, pending: &[MigrationInfo]) -> Result<(), DbError>
where
    DB: DieselBackend,
    C: MigrationHarness<DB> + MigrationConnection,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let migration_error = |name: &str, e: &dyn fmt::Display| DbError::Migration {
        name: name.to_owned(),
        message: e.to_string(),
    };
    conn.setup()?;
    let all: Vec<Box<dyn Migration<DB>>> =
        MigrationSource::<DB>::migrations(source).map_err(|e| migration_error("(listing)", &e))?;
    for info in pending {
        let Some(migration) = all.iter().find(|m| m.name().to_string() == info.name) else {
            return Err(migration_error(&info.name, &"not embedded for this backend"));
        };
        tracing::info!(migration = %info.name, "running migration");
        conn.run_migration(migration.as_ref())
            .map_err(|e| migration_error(&info.name, &e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations() {
        let mysql = migrations(Backend::Mysql);
        assert_eq!(mysql, migrations(Backend::Sqlite));
        assert_eq!(mysql[0].name, BASELINE);
        assert_eq!(mysql[0].version, BASELINE_VERSION);
        assert_eq!(head(Backend::Mysql), *mysql.last().unwrap());
    }

    #[test]
    fn targets() {
        let known = migrations(Backend::Sqlite);
        assert_eq!(
            "head".parse::<Target>().unwrap().resolve(&known).unwrap(),
            *known.last().unwrap()
        );
        for r in [BASELINE, BASELINE_VERSION, ALEMBIC_HEAD] {
            assert_eq!(Target::Revision(r.into()).resolve(&known).unwrap().name, BASELINE);
        }
        let e = Target::Revision("034".into()).resolve(&known).unwrap_err();
        assert!(e.to_string().contains("unknown revision '034'"), "{e}");
    }

    #[test]
    fn alembic_revisions() {
        assert!(is_alembic_revision("001") && is_alembic_revision("034") && is_alembic_revision("035"));
        assert!(!is_alembic_revision("036") && !is_alembic_revision("000") && !is_alembic_revision("35"));
    }

    fn state(tables: &[&str], alembic: Option<&[&str]>, applied: Option<&[&str]>) -> DbState {
        let v = |s: &[&str]| s.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
        DbState {
            tables: tables.iter().map(|x| (*x).to_owned()).collect(),
            alembic: alembic.map(v),
            applied: applied.map(v),
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(state(&[], None, None).status(), Status::Empty);
        assert_eq!(state(&["unrelated"], None, None).status(), Status::Empty);
        assert_eq!(state(&["alembic_version"], Some(&[]), None).status(), Status::Empty);
        assert_eq!(
            state(&["clusters", "jobs"], None, None).status(),
            Status::Unversioned {
                tables: vec!["clusters".into(), "jobs".into()]
            }
        );
        assert_eq!(
            state(&["alembic_version"], Some(&["034"]), None).status(),
            Status::Python {
                revisions: vec!["034".into()]
            }
        );
        // diesel's table created but empty (an interrupted adoption): still Python's.
        assert_eq!(
            state(&["alembic_version"], Some(&["035"]), Some(&[])).status(),
            Status::Python {
                revisions: vec!["035".into()]
            }
        );
        assert_eq!(
            state(&[], Some(&["035"]), Some(&[BASELINE_VERSION])).status(),
            Status::Managed {
                applied: vec![BASELINE_VERSION.into()],
                alembic: Some("035".into())
            }
        );
    }
}
