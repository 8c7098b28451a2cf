//! `schema.rs` against the databases: every `table!` lists the database's columns in order with
//! matching diesel types and nullability, and typed rows round-trip through [`DbConnection`] on
//! both backends (booleans, small and big integers, timestamps, binary data, JSON text with
//! non-ASCII characters), foreign keys are enforced, and real unique violations are classified.

use chrono::NaiveDate;
use diesel::expression::Expression;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use sahara_schema::migrate::{self, Target};
use sahara_schema::schema::{self, TABLES};
use sahara_schema::testing::TestDb;
use sahara_schema::{DbConnection, DbUrl, SessionOptions, establish, is_duplicate};

fn column_names(sql: &str) -> Vec<String> {
    let list = sql
        .split_once("SELECT ")
        .and_then(|(_, rest)| rest.split_once(" FROM "))
        .map(|(cols, _)| cols)
        .unwrap_or_else(|| panic!("unexpected SQL {sql}"));
    list.split(", ")
        .map(|c| c.rsplit('.').next().unwrap().trim_matches('`').to_owned())
        .collect()
}

fn sql_types<E: Expression>(_: E) -> Vec<String> {
    let name = std::any::type_name::<E::SqlType>().replace("diesel::sql_types::", "");
    let inner = name
        .strip_prefix('(')
        .and_then(|n| n.strip_suffix(')'))
        .unwrap_or(&name);
    let mut out = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for ch in inner.chars() {
        match ch {
            '<' => depth += 1,
            '>' => depth -= 1,
            ',' if depth == 0 => {
                out.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    out.push(current.trim().to_owned());
    out
}

macro_rules! declared {
    ($($t:ident),* $(,)?) => {
        vec![$((
            stringify!($t),
            column_names(
                &diesel::debug_query::<diesel::sqlite::Sqlite, _>(&schema::$t::table.select(schema::$t::all_columns))
                    .to_string(),
            ),
            sql_types(schema::$t::all_columns),
        )),*]
    };
}

fn expected_type(column_type: &str, nullable: bool) -> String {
    let base = match column_type {
        t if t.starts_with("varchar") || t == "text" || t == "longtext" => "Text",
        "tinyint(1)" => "Bool",
        t if t.starts_with("int(") => "Integer",
        t if t.starts_with("smallint") => "SmallInt",
        t if t.starts_with("bigint") => "BigInt",
        "datetime" => "Timestamp",
        "longblob" => "Binary",
        other => panic!("unmapped MySQL type {other}"),
    };
    if nullable {
        format!("Nullable<{base}>")
    } else {
        base.to_owned()
    }
}

#[test]
fn table_definitions_match_the_database() {
    let db = TestDb::create("tabledefs");
    let mut conn = establish(&DbUrl::parse(&db.oslo_url()).unwrap(), &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
    let declared = declared!(
        clusters,
        node_groups,
        instances,
        cluster_templates,
        node_group_templates,
        templates_relations,
        data_sources,
        job_executions,
        jobs,
        mains_association,
        libs_association,
        job_interface_arguments,
        job_binary_internal,
        job_binaries,
        cluster_events,
        cluster_provision_steps,
        cluster_verifications,
        cluster_health_checks,
        plugin_data,
    );
    let mut names: Vec<&str> = declared.iter().map(|d| d.0).collect();
    names.sort_unstable();
    let mut all = TABLES.to_vec();
    all.sort_unstable();
    assert_eq!(names, all);

    let mut admin = sahara_schema::testing::admin();
    let mut problems = Vec::new();
    for (table, cols, types) in declared {
        assert_eq!(cols.len(), types.len(), "{table}: {cols:?} vs {types:?}");
        let rows = sahara_schema::testing::lines(
            &mut admin,
            &format!(
                "SELECT CAST(CONCAT_WS('|', COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE) AS CHAR) AS line \
                 FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '{}' AND TABLE_NAME = '{table}' \
                 ORDER BY ORDINAL_POSITION",
                db.name
            ),
        );
        let expected: Vec<(String, String)> = rows
            .iter()
            .map(|l| {
                let f: Vec<&str> = l.split('|').collect();
                (f[0].to_owned(), expected_type(f[1], f[2] == "YES"))
            })
            .collect();
        let actual: Vec<(String, String)> = cols.into_iter().zip(types).collect();
        if expected != actual {
            problems.push(format!("{table}:\n  database: {expected:?}\n  table!:   {actual:?}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Inserts and reads typed rows, and provokes a foreign key and a unique violation.
fn round_trip(conn: &mut DbConnection) {
    use schema::{
        cluster_templates as ct, clusters as c, job_binaries as jb, job_binary_internal as jbi,
        job_interface_arguments as jia, jobs as j, mains_association as ma, node_groups as ng,
    };
    let when = NaiveDate::from_ymd_opt(2024, 4, 24)
        .unwrap()
        .and_hms_opt(16, 49, 14)
        .unwrap();
    let configs = r#"{"general": {"Nom du cluster": "Ünïcødé ✓ 日本語"}}"#;
    diesel::insert_into(ct::table)
        .values((
            ct::created_at.eq(when),
            ct::id.eq("ct-1"),
            ct::name.eq("template"),
            ct::plugin_name.eq("fake"),
            ct::hadoop_version.eq("0.1"),
            ct::cluster_configs.eq(configs),
            ct::is_default.eq(false),
        ))
        .execute(conn)
        .unwrap();
    let long_text = "x".repeat(70_000);
    diesel::insert_into(c::table)
        .values((
            c::created_at.eq(when),
            c::id.eq("c-1"),
            c::name.eq("cluster"),
            c::tenant_id.eq("t-1"),
            c::is_transient.eq(true),
            c::plugin_name.eq("fake"),
            c::hadoop_version.eq("0.1"),
            c::management_private_key.eq("priv"),
            c::management_public_key.eq("pub"),
            c::status_description.eq(&long_text),
            c::cluster_template_id.eq("ct-1"),
            c::anti_affinity_ratio.eq(1),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(ng::table)
        .values((
            ng::id.eq("ng-1"),
            ng::name.eq("workers"),
            ng::flavor_id.eq("42"),
            ng::count.eq(3),
            ng::cluster_id.eq("c-1"),
            ng::boot_from_volume.eq(false),
        ))
        .execute(conn)
        .unwrap();
    let data: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
    diesel::insert_into(jbi::table)
        .values((
            jbi::id.eq("jbi-1"),
            jbi::name.eq("script.pig"),
            jbi::data.eq(&data),
            jbi::datasize.eq(5_000_000_000_i64),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(j::table)
        .values((j::id.eq("j-1"), j::name.eq("job"), j::type_.eq("Pig")))
        .execute(conn)
        .unwrap();
    diesel::insert_into(jb::table)
        .values((jb::id.eq("jb-1"), jb::name.eq("bin"), jb::url.eq("internal-db://jbi-1")))
        .execute(conn)
        .unwrap();
    diesel::insert_into(ma::table)
        .values((ma::job_id.eq("j-1"), ma::job_binary_id.eq("jb-1")))
        .execute(conn)
        .unwrap();
    diesel::insert_into(jia::table)
        .values((
            jia::id.eq("a-1"),
            jia::job_id.eq("j-1"),
            jia::name.eq("input"),
            jia::mapping_type.eq("args"),
            jia::location.eq("0"),
            jia::value_type.eq("string"),
            jia::required.eq(true),
            jia::order.eq(3_i16),
            jia::default.eq(Some("x")),
        ))
        .execute(conn)
        .unwrap();

    let tmpl: (Option<chrono::NaiveDateTime>, Option<String>, Option<bool>) = ct::table
        .select((ct::created_at, ct::cluster_configs, ct::is_default))
        .first(conn)
        .unwrap();
    assert_eq!(tmpl, (Some(when), Some(configs.to_owned()), Some(false)));
    let cluster: (Option<bool>, Option<i32>, Option<String>) = c::table
        .select((c::is_transient, c::anti_affinity_ratio, c::status_description))
        .first(conn)
        .unwrap();
    assert_eq!(cluster, (Some(true), Some(1), Some(long_text)));
    let joined: Vec<(String, String, i32)> = ng::table
        .inner_join(c::table)
        .select((c::name, ng::name, ng::count))
        .load(conn)
        .unwrap();
    assert_eq!(joined, vec![("cluster".to_owned(), "workers".to_owned(), 3)]);
    let blob: (Option<Vec<u8>>, Option<i64>) = jbi::table.select((jbi::data, jbi::datasize)).first(conn).unwrap();
    assert_eq!(blob, (Some(data), Some(5_000_000_000)));
    let arg: (bool, i16, Option<String>) = jia::table
        .select((jia::required, jia::order, jia::default))
        .first(conn)
        .unwrap();
    assert_eq!(arg, (true, 3, Some("x".to_owned())));
    let mains: Vec<String> = ma::table
        .inner_join(jb::table)
        .filter(ma::job_id.eq("j-1"))
        .select(jb::url)
        .load(conn)
        .unwrap();
    assert_eq!(mains, vec!["internal-db://jbi-1".to_owned()]);

    let orphan = diesel::insert_into(ng::table)
        .values((
            ng::id.eq("ng-2"),
            ng::name.eq("orphans"),
            ng::flavor_id.eq("42"),
            ng::count.eq(1),
            ng::cluster_id.eq("no-such-cluster"),
            ng::boot_from_volume.eq(false),
        ))
        .execute(conn);
    assert!(
        matches!(
            orphan,
            Err(DieselError::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _))
        ),
        "{orphan:?}"
    );
    let twin = diesel::insert_into(c::table)
        .values((
            c::id.eq("c-2"),
            c::name.eq("cluster"),
            c::tenant_id.eq("t-1"),
            c::plugin_name.eq("fake"),
            c::hadoop_version.eq("0.1"),
            c::management_private_key.eq("priv"),
            c::management_public_key.eq("pub"),
        ))
        .execute(conn)
        .unwrap_err();
    let dup = is_duplicate(&twin).unwrap_or_else(|| panic!("not a duplicate: {twin:?}"));
    assert_eq!(dup.columns_in("clusters"), vec!["name", "tenant_id"], "{dup:?}");
}

#[test]
fn typed_round_trip_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = DbUrl::parse(&format!("sqlite:///{}", dir.path().join("rt.db").display())).unwrap();
    let mut conn = establish(&url, &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
    round_trip(&mut conn);
}

#[test]
fn typed_round_trip_on_mariadb() {
    let db = TestDb::create("roundtrip");
    let mut conn = establish(&DbUrl::parse(&db.oslo_url()).unwrap(), &SessionOptions::default()).unwrap();
    migrate::upgrade(&mut conn, &Target::Head).unwrap();
    round_trip(&mut conn);
}
