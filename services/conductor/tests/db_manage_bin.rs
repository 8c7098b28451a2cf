//! The real `sahara-db-manage` binary (services/conductor) as kolla's bootstrap container runs
//! it: exit status 0 on success, non-zero with exactly one line on stderr on failure, stdout only
//! when something changed, waiting for a database that comes up late, SQLite end to end.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sahara_schema::testing::{TestDb, write_conf};

fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_sahara-db-manage"))
}

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn run(args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = Command::new(binary())
        .args(args)
        .env_remove("OS_DATABASE__CONNECTION")
        .output()
        .unwrap();
    Run {
        code: status.code().unwrap_or(-1),
        out: String::from_utf8(stdout).unwrap(),
        err: String::from_utf8(stderr).unwrap(),
    }
}

/// Asserts a failure: non-zero status, nothing on stdout, one line on stderr containing `what`.
fn assert_fails(r: &Run, what: &str) {
    assert_ne!(r.code, 0, "expected a failure; stdout: {}", r.out);
    assert_eq!(r.out, "", "stdout must stay empty on failure");
    assert_eq!(r.err.lines().count(), 1, "exactly one line on stderr: {:?}", r.err);
    assert!(r.err.contains(what), "{:?} does not mention {what:?}", r.err);
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn missing_connection_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("sahara.conf");
    std::fs::write(&conf, "[DEFAULT]\ndebug = true\n[database]\nmax_retries = 0\n").unwrap();
    let r = run(&["--config-file", conf.to_str().unwrap(), "upgrade", "head"]);
    assert_fails(&r, "no database connection configured");
    assert_eq!(r.code, 1);
}

#[test]
fn missing_config_file_fails_with_one_line() {
    let r = run(&["--config-file", "/nonexistent/sahara.conf", "upgrade", "head"]);
    assert_fails(&r, "/nonexistent/sahara.conf");
}

#[test]
fn bad_urls_fail_with_one_line_and_no_password() {
    let dir = tempfile::tempdir().unwrap();
    for (url, what) in [
        (
            "postgresql+psycopg2://sahara:Hunter2Secret@db/sahara",
            "unsupported database backend 'postgresql'",
        ),
        ("sahara:Hunter2Secret@db/sahara", "invalid [database] connection"),
        ("mysql+pymysql://sahara:Hunter2Secret@db:port/sahara", "invalid port"),
        ("mysql+pymysql://sahara:Hunter2Secret@db:3306", "no database name"),
        ("sqlite://host/sahara.db", "SQLite URLs have no host"),
    ] {
        let conf = write_conf(dir.path(), url, "max_retries = 0");
        let r = run(&["--config-file", conf.to_str().unwrap(), "upgrade", "head"]);
        assert_fails(&r, what);
        assert!(!r.err.contains("Hunter2Secret"), "{}", r.err);
    }
}

#[test]
fn unreachable_database_is_retried_then_fails_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = write_conf(
        dir.path(),
        &format!("mysql+pymysql://sahara:Hunter2Secret@127.0.0.1:{port}/sahara"),
        "max_retries = 2\nretry_interval = 1",
    );
    let started = Instant::now();
    let r = run(&["--config-file", conf.to_str().unwrap(), "upgrade", "head"]);
    let took = started.elapsed();
    assert_fails(&r, "after 3 attempts");
    assert!(r.err.contains("sahara:***@127.0.0.1"), "{}", r.err);
    assert!(!r.err.contains("Hunter2Secret"), "{}", r.err);
    assert!(
        took >= Duration::from_secs(2),
        "retries must wait retry_interval: {took:?}"
    );
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for args in [&["downgrade", "base"][..], &[], &["upgrade", "head", "now"]] {
        let r = run(args);
        assert_eq!(r.code, 2, "{args:?}: {}", r.err);
        assert_fails(&r, "sahara-db-manage: error:");
    }
    let r = run(&["--help"]);
    assert_eq!((r.code, r.err.as_str()), (0, ""));
    assert!(r.out.contains("upgrade"), "{}", r.out);
}

/// Forwards TCP connections from a port that opens late to MariaDB.
fn forward_later(port: u16, delay: Duration) {
    let target = sahara_schema::testing::admin_url()
        .rsplit('@')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    std::thread::spawn(move || {
        std::thread::sleep(delay);
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("port taken in the meantime");
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let (mut c1, mut s1) = (client, server);
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut c1, &mut s1);
                let _ = s1.shutdown(std::net::Shutdown::Both);
            });
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut s2, &mut c2);
                let _ = c2.shutdown(std::net::Shutdown::Both);
            });
        }
    });
}

#[test]
fn waits_for_a_database_that_comes_up_late() {
    let db = TestDb::create("late");
    let port = free_port();
    forward_later(port, Duration::from_millis(1500));
    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(
        dir.path(),
        &format!("mysql+pymysql://root@127.0.0.1:{port}/{}", db.name),
        "max_retries = 20\nretry_interval = 1",
    );
    let r = run(&["--config-file", conf.to_str().unwrap(), "upgrade", "head"]);
    assert_eq!((r.code, r.err.as_str()), (0, ""), "stdout: {}", r.out);
    assert!(
        r.out.contains("Applied migration 00000000000035_sahara_baseline"),
        "{}",
        r.out
    );
}

#[test]
fn sqlite_file_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("state").join("sahara.sqlite");
    std::fs::create_dir_all(db.parent().unwrap()).unwrap();
    let conf = write_conf(dir.path(), &format!("sqlite:///{}", db.display()), "");
    let conf = conf.to_str().unwrap();

    let r = run(&["--config-file", conf, "current"]);
    assert_eq!(
        (r.code, r.out.as_str(), r.err.as_str()),
        (0, "", ""),
        "empty database: nothing to report"
    );
    let r = run(&["--config-file", conf, "version"]);
    assert_eq!((r.code, r.out.as_str()), (0, "None\n"));
    let r = run(&["--config-file", conf, "check"]);
    assert_fails(&r, "not at head");

    let r = run(&["--config-file", conf, "upgrade", "head"]);
    assert_eq!((r.code, r.err.as_str()), (0, ""));
    assert_eq!(r.out, "Applied migration 00000000000035_sahara_baseline\n");
    assert!(db.exists());
    let r = run(&["--config-file", conf, "upgrade", "head"]);
    assert_eq!(
        (r.code, r.out.as_str(), r.err.as_str()),
        (0, "", ""),
        "already at head: silent"
    );
    let r = run(&["--config-file", conf, "current"]);
    assert_eq!((r.code, r.out.as_str()), (0, "00000000000035_sahara_baseline (head)\n"));
    let r = run(&["--config-file", conf, "version"]);
    assert_eq!((r.code, r.out.as_str()), (0, "00000000000035\n"));
    let r = run(&["--config-file", conf, "check"]);
    assert_eq!((r.code, r.out.as_str(), r.err.as_str()), (0, "", ""));
    let r = run(&["--config-file", conf, "check_migration"]);
    assert_eq!((r.code, r.out.as_str(), r.err.as_str()), (0, "", ""));
    let r = run(&["--config-dir", dir.path().to_str().unwrap(), "history"]);
    assert_eq!((r.code, r.out.as_str()), (0, "00000000000035_sahara_baseline (head)\n"));
    let r = run(&["--config-file", conf, "upgrade", "034"]);
    assert_fails(&r, "unknown revision '034'");
}

#[test]
fn refuses_unversioned_and_unknown_databases() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("sahara.sqlite");
    let conf = write_conf(dir.path(), &format!("sqlite:///{}", db.display()), "");
    let conf = conf.to_str().unwrap();
    assert_eq!(run(&["--config-file", conf, "upgrade"]).code, 0);
    let sql = |stmt: &str| {
        use diesel::connection::SimpleConnection;
        use diesel::prelude::*;
        SqliteConnection::establish(db.to_str().unwrap())
            .unwrap()
            .batch_execute(stmt)
            .unwrap();
    };
    // Sahara tables but no version record at all.
    sql("DROP TABLE __diesel_schema_migrations");
    let r = run(&["--config-file", conf, "upgrade"]);
    assert_fails(&r, "no migration record");
    // An alembic revision Python Sahara never wrote.
    sql(
        "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY); \
         INSERT INTO alembic_version VALUES ('9f3c1a');",
    );
    let r = run(&["--config-file", conf, "upgrade"]);
    assert_fails(&r, "unknown alembic revision '9f3c1a'");
    // A migration of ours this build does not know (a newer release).
    sql("UPDATE alembic_version SET version_num = '035'; \
         CREATE TABLE __diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, \
         run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP); \
         INSERT INTO __diesel_schema_migrations (version) VALUES ('00000000000035'), ('29990101000000');");
    let r = run(&["--config-file", conf, "upgrade"]);
    assert_fails(&r, "29990101000000");
}
