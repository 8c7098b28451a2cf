//! Our MySQL baseline against the real thing: one database migrated by Python Sahara 19's
//! `sahara-db-manage upgrade head`, one by ours; every information_schema view that defines
//! the schema must match for all 19 tables.

use diesel::connection::SimpleConnection;
use diesel_migrations::MigrationHarness;
use sahara_schema::migrate::{self, BASELINE, MYSQL_MIGRATIONS, Target};
use sahara_schema::testing::{TestDb, assert_same_schema, python_upgrade, schema_dump};
use sahara_schema::{DbConnection, DbUrl, SessionOptions, establish};

fn ours(db: &TestDb) -> DbConnection {
    establish(&DbUrl::parse(&db.oslo_url()).unwrap(), &SessionOptions::default()).unwrap()
}

#[test]
fn baseline_equals_python_sahara_alembic_head() {
    let python = TestDb::create("schema_py");
    let rust = TestDb::create("schema_rs");
    python_upgrade(&python, "head");
    let report = migrate::upgrade(&mut ours(&rust), &Target::Head).unwrap();
    assert_eq!(report.applied.first().map(|m| m.name.as_str()), Some(BASELINE));

    let mut admin = sahara_schema::testing::admin();
    let py = schema_dump(&mut admin, &python.name);
    let rs = schema_dump(&mut admin, &rust.name);
    assert_eq!(py["TABLES"].len(), 19, "{:#?}", py["TABLES"]);
    assert!(py["COLUMNS"].len() > 250, "suspiciously few columns");
    assert_same_schema(&py, &rs);
}

#[test]
fn down_sql_removes_every_table() {
    let db = TestDb::create("schema_down");
    let mut conn = ours(&db);
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
    let DbConnection::Mysql(c) = &mut conn else {
        unreachable!()
    };
    while !c.applied_migrations().unwrap().is_empty() {
        c.revert_last_migration(MYSQL_MIGRATIONS).unwrap();
    }
    let left = sahara_schema::testing::lines(
        &mut sahara_schema::testing::admin(),
        &format!(
            "SELECT CAST(TABLE_NAME AS CHAR) AS line FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}'",
            db.name
        ),
    );
    assert_eq!(left, vec!["__diesel_schema_migrations".to_owned()]);
    // And up again on the same database.
    c.batch_execute("DROP TABLE __diesel_schema_migrations").unwrap();
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
}
