//! Our SQLite baseline against the MySQL schema: the same 19 tables, columns in the same order
//! with mapped types, the same nullability, primary keys, unique and plain index column sets
//! and foreign keys (PRAGMA table_info / index_list / index_info / foreign_key_list against
//! information_schema of a MariaDB database our migrations created, which the MySQL test
//! proves equal to Python Sahara's).

use std::collections::BTreeSet;

use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel_migrations::MigrationHarness;
use sahara_schema::migrate::{self, SQLITE_MIGRATIONS, Target};
use sahara_schema::schema::TABLES;
use sahara_schema::testing::TestDb;
use sahara_schema::{DbConnection, DbUrl, SessionOptions, establish};

/// One column: name, type, nullable.
type Col = (String, String, bool);

/// Per table: columns in order, primary key, unique column lists, plain index column lists,
/// foreign keys (column, parent table, parent column).
#[derive(Debug, PartialEq, Eq)]
struct TableShape {
    columns: Vec<Col>,
    primary: Vec<String>,
    unique: BTreeSet<Vec<String>>,
    plain: BTreeSet<Vec<String>>,
    foreign: BTreeSet<(String, String, String)>,
}

fn sqlite_type_for(mysql: &str) -> &'static str {
    match mysql {
        t if t.starts_with("varchar") || t == "text" || t == "longtext" => "TEXT",
        "tinyint(1)" => "BOOLEAN",
        t if t.starts_with("int") || t.starts_with("smallint") || t.starts_with("bigint") => "INTEGER",
        "datetime" => "DATETIME",
        "longblob" => "BLOB",
        other => panic!("unmapped MySQL type {other}"),
    }
}

fn mysql_shape(conn: &mut MysqlConnection, db: &str, table: &str) -> TableShape {
    let q = |conn: &mut MysqlConnection, sql: String| sahara_schema::testing::lines(conn, &sql);
    let columns = q(
        conn,
        format!(
            "SELECT CAST(CONCAT_WS('|', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(COLUMN_DEFAULT, 'NULL')) AS CHAR) \
             AS line FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = '{table}' \
             ORDER BY ORDINAL_POSITION"
        ),
    )
    .into_iter()
    .map(|l| {
        let f: Vec<&str> = l.split('|').collect();
        assert_eq!(f[3], "NULL", "{table}.{}: unexpected default", f[0]);
        (f[0].to_owned(), sqlite_type_for(f[1]).to_owned(), f[2] == "YES")
    })
    .collect();
    let mut primary = Vec::new();
    let mut unique = BTreeSet::new();
    let mut plain = BTreeSet::new();
    let indexes = q(
        conn,
        format!(
            "SELECT CAST(CONCAT_WS('|', INDEX_NAME, NON_UNIQUE, GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX)) AS CHAR) \
             AS line FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = '{table}' \
             GROUP BY INDEX_NAME, NON_UNIQUE"
        ),
    );
    for l in indexes {
        let f: Vec<&str> = l.split('|').collect();
        let cols: Vec<String> = f[2].split(',').map(str::to_owned).collect();
        match (f[0], f[1]) {
            ("PRIMARY", _) => primary = cols,
            (_, "0") => {
                unique.insert(cols);
            }
            _ => {
                plain.insert(cols);
            }
        }
    }
    let foreign = q(
        conn,
        format!(
            "SELECT CAST(CONCAT_WS('|', COLUMN_NAME, REFERENCED_TABLE_NAME, REFERENCED_COLUMN_NAME) AS CHAR) AS line \
             FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = '{db}' AND TABLE_NAME = '{table}' \
             AND REFERENCED_TABLE_NAME IS NOT NULL"
        ),
    )
    .into_iter()
    .map(|l| {
        let f: Vec<&str> = l.split('|').collect();
        (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
    })
    .collect();
    TableShape {
        columns,
        primary,
        unique,
        plain,
        foreign,
    }
}

#[derive(QueryableByName)]
struct PragmaCol {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    r#type: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Nullable<Text>)]
    dflt_value: Option<String>,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct PragmaIndex {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Integer)]
    unique: i32,
    #[diesel(sql_type = Text)]
    origin: String,
}

#[derive(QueryableByName)]
struct PragmaName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct PragmaFk {
    #[diesel(sql_type = Text)]
    from: String,
    #[diesel(sql_type = Text)]
    table: String,
    #[diesel(sql_type = Text)]
    to: String,
    #[diesel(sql_type = Text)]
    on_update: String,
    #[diesel(sql_type = Text)]
    on_delete: String,
}

fn sqlite_shape(conn: &mut SqliteConnection, table: &str) -> TableShape {
    let cols: Vec<PragmaCol> = diesel::sql_query(format!(
        "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('{table}') ORDER BY cid"
    ))
    .load(conn)
    .unwrap();
    let mut pk: Vec<(i32, String)> = cols
        .iter()
        .filter(|c| c.pk > 0)
        .map(|c| (c.pk, c.name.clone()))
        .collect();
    pk.sort();
    for c in &cols {
        assert_eq!(c.dflt_value, None, "{table}.{}: unexpected default", c.name);
    }
    let columns = cols.into_iter().map(|c| (c.name, c.r#type, c.notnull == 0)).collect();
    let mut unique = BTreeSet::new();
    let mut plain = BTreeSet::new();
    let indexes: Vec<PragmaIndex> = diesel::sql_query(format!(
        "SELECT name, \"unique\", origin FROM pragma_index_list('{table}')"
    ))
    .load(conn)
    .unwrap();
    for ix in indexes {
        let cols: Vec<PragmaName> = diesel::sql_query(format!(
            "SELECT name FROM pragma_index_info('{}') ORDER BY seqno",
            ix.name
        ))
        .load(conn)
        .unwrap();
        let cols: Vec<String> = cols.into_iter().map(|c| c.name).collect();
        match (ix.origin.as_str(), ix.unique) {
            ("pk", _) => assert_eq!(cols, pk.iter().map(|p| p.1.clone()).collect::<Vec<_>>()),
            ("u", 1) => {
                unique.insert(cols);
            }
            ("c", 0) => {
                plain.insert(cols);
            }
            other => panic!("{table}: unexpected index {} {other:?}", ix.name),
        }
    }
    let fks: Vec<PragmaFk> = diesel::sql_query(format!(
        "SELECT \"from\", \"table\", \"to\", on_update, on_delete FROM pragma_foreign_key_list('{table}')"
    ))
    .load(conn)
    .unwrap();
    let foreign = fks
        .into_iter()
        .map(|f| {
            // MySQL's default RESTRICT is SQLite's NO ACTION (checked at statement end).
            assert_eq!((f.on_update.as_str(), f.on_delete.as_str()), ("NO ACTION", "NO ACTION"));
            (f.from, f.table, f.to)
        })
        .collect();
    TableShape {
        columns,
        primary: pk.into_iter().map(|p| p.1).collect(),
        unique,
        plain,
        foreign,
    }
}

#[test]
fn sqlite_baseline_matches_the_mysql_schema() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sahara.db");
    let url = DbUrl::parse(&format!("sqlite:///{}", path.display())).unwrap();
    let mut sqlite = establish(&url, &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut sqlite, &Target::Head).unwrap();

    let mysql_db = TestDb::create("sqlite_cmp");
    let mut mysql = establish(&DbUrl::parse(&mysql_db.oslo_url()).unwrap(), &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut mysql, &Target::Head).unwrap();

    let DbConnection::Sqlite(lite) = &mut sqlite else {
        unreachable!()
    };
    let tables: Vec<PragmaName> = diesel::sql_query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
         AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load(lite)
    .unwrap();
    let mut expected: Vec<&str> = TABLES.to_vec();
    expected.sort_unstable();
    assert_eq!(tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), expected);

    let mut admin = sahara_schema::testing::admin();
    let mut problems = Vec::new();
    for table in TABLES {
        let my = mysql_shape(&mut admin, &mysql_db.name, table);
        let lt = sqlite_shape(lite, table);
        assert!(!my.columns.is_empty(), "{table}: no columns in MySQL");
        if my != lt {
            problems.push(format!("{table}:\n  mysql:  {my:?}\n  sqlite: {lt:?}"));
        }
    }
    assert!(problems.is_empty(), "SQLite schema differs:\n{}", problems.join("\n"));
}

#[test]
fn sqlite_down_sql_removes_every_table() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!("sqlite:///{}", dir.path().join("down.db").display())).unwrap();
    let mut conn = establish(&url, &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
    let DbConnection::Sqlite(c) = &mut conn else {
        unreachable!()
    };
    while !c.applied_migrations().unwrap().is_empty() {
        c.revert_last_migration(SQLITE_MIGRATIONS).unwrap();
    }
    let left: Vec<PragmaName> = diesel::sql_query("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')")
        .load(c)
        .unwrap();
    let left: Vec<String> = left.into_iter().map(|n| n.name).collect();
    assert!(
        left.iter()
            .all(|n| n.starts_with("__diesel_schema_migrations") || n.starts_with("sqlite_autoindex___diesel")),
        "{left:?}"
    );
}
