//! The real `sahara-conductor` binary: it waits for its database as oslo.db does when a
//! service starts (`[database] max_retries`, `retry_interval`), exits non-zero with the
//! reason once those run out, and otherwise serves until SIGTERM, then exits cleanly.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use sahara_schema::testing::{TestDb, write_conf};

fn conductor() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_sahara-conductor"));
    c.env_remove("OS_DATABASE__CONNECTION");
    c
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[test]
fn unreachable_database_is_retried_then_the_conductor_exits() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("mysql+pymysql://root:Sekr1tPw@127.0.0.1:{}/sahara", free_port());
    let conf = write_conf(
        dir.path(),
        &url,
        "max_retries = 2\nretry_interval = 1\n\n[DEFAULT]\ntransport_url = fake://\n",
    );
    let started = Instant::now();
    let out = conductor().arg("--config-file").arg(&conf).output().unwrap();
    let took = started.elapsed();
    // The log goes to stdout (oslo.log without log_file or use_stderr); the reason for
    // the exit is also the one line on stderr.
    let (log, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{log}{err}");
    assert!(took >= Duration::from_secs(2), "two retries a second apart: {took:?}");
    assert_eq!(log.matches("database unreachable, retrying").count(), 2, "{log}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("sahara-conductor: ") && err.contains("after 3 attempts") && err.contains("Can't connect"),
        "{err}"
    );
    assert!(log.contains("sahara-conductor stopped on an error"), "{log}");
    assert!(
        !format!("{log}{err}").contains("Sekr1tPw"),
        "the password stays out of the log"
    );
}

#[test]
fn serves_until_sigterm_then_exits_cleanly() {
    let db = TestDb::create("cbin");
    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(dir.path(), &db.oslo_url(), "\n[DEFAULT]\ntransport_url = fake://\n");
    let migrate = Command::new(env!("CARGO_BIN_EXE_sahara-db-manage"))
        .arg("--config-file")
        .arg(&conf)
        .args(["upgrade", "head"])
        .output()
        .unwrap();
    assert!(migrate.status.success(), "{}", String::from_utf8_lossy(&migrate.stderr));

    let mut child = conductor()
        .arg("--config-file")
        .arg(&conf)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let serving = loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let done = line.contains("RPC server started") && line.contains("sahara-conductor");
                log.push(line);
                if done {
                    break true;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
            Err(_) => break false,
        }
    };
    let pid = child.id().to_string();
    let _ = Command::new("kill").args(["-TERM", &pid]).status();
    let status = child.wait().unwrap();
    reader.join().unwrap();
    log.extend(rx.try_iter());
    assert!(serving, "the conductor did not start serving:\n{}", log.join("\n"));
    assert!(
        status.success(),
        "SIGTERM ends it cleanly ({status}):\n{}",
        log.join("\n")
    );
    assert!(
        log.iter().any(|l| l.contains("RPC server stopped")),
        "it stops its server:\n{}",
        log.join("\n")
    );
}
