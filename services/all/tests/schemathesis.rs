//! schemathesis against `sahara-all`'s v2 OpenAPI document (`/v2/openapi.json`): `noauth` with the identity headers
//! passed by `-H`, the fake plugin, SQLite in a temporary directory. Every operation gets a bounded number of
//! generated requests (examples, coverage and fuzzing phases, fixed seed), checked for server errors and for
//! answers the document does not describe (schema and status). The image operations are left out: they need
//! Glance from the caller's service catalog, which `noauth` requests do not carry (500 by design, as in Sahara).
//!
//! The virtualenv comes from `SAHARA_TEST_SCHEMATHESIS_VENV` (`scripts/test` sets it), else the newest complete
//! `venv-schemathesis-*` under `SAHARA_CACHE_DIR` (default `/var/cache/sahara-rs`).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Generated requests per operation and phase.
const MAX_EXAMPLES: &str = "25";
/// The hypothesis seed: the same requests every run.
const SEED: &str = "20261126";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn venv() -> PathBuf {
    if let Some(v) = std::env::var_os("SAHARA_TEST_SCHEMATHESIS_VENV") {
        return PathBuf::from(v);
    }
    let cache =
        std::env::var_os("SAHARA_CACHE_DIR").map_or_else(|| PathBuf::from("/var/cache/sahara-rs"), PathBuf::from);
    let newest = std::fs::read_dir(&cache)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("venv-schemathesis-"))
        .filter(|e| e.path().join(".complete").exists())
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok());
    match newest {
        Some(e) => e.path(),
        None => panic!(
            "SAHARA_TEST_SCHEMATHESIS_VENV is not set and no complete venv-schemathesis-* is under {}: run \
             scripts/test, or `source scripts/lib.sh && ensure_venv schemathesis \
             tests/python/requirements-schemathesis.txt`",
            cache.display()
        ),
    }
}

#[test]
fn schemathesis_finds_no_server_error_and_no_answer_outside_the_document() {
    let schemathesis = venv().join("bin/schemathesis");
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let conf = dir.path().join("sahara.conf");
    std::fs::write(
        &conf,
        format!(
            "[DEFAULT]\nhost = 127.0.0.1\nport = {port}\nlog_dir = {}\nauth_strategy = noauth\nplugins = fake\n\
             [database]\nconnection = sqlite:///{}\n",
            dir.path().display(),
            dir.path().join("sahara.sqlite").display()
        ),
    )
    .unwrap();
    let _sahara = Running(
        Command::new(env!("CARGO_BIN_EXE_sahara-all"))
            .args(["--config-file", conf.to_str().unwrap()])
            .env_remove("RUST_LOG")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}/v2/openapi.json");
    let client = reqwest::blocking::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match client.get(&url).send() {
            Ok(r) if r.status().is_success() => break,
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            other => panic!("sahara-all never served {url}: {other:?}"),
        }
    }
    let started = Instant::now();
    let out = Command::new(&schemathesis)
        .current_dir(dir.path())
        .args([
            "run",
            &url,
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance",
            "--phases",
            "examples,coverage,fuzzing",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--workers",
            "2",
            "--exclude-path-regex",
            "^/images",
            "--no-color",
        ])
        .args(["-H", "X-Tenant-Id: 0123456789abcdef0123456789abcdef"])
        .args(["-H", "X-User-Id: schemathesis"])
        .args(["-H", "X-Roles: admin"])
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", schemathesis.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("schemathesis ran {:?}", started.elapsed());
    let log = std::fs::read_to_string(dir.path().join("sahara-all.log")).unwrap_or_default();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(
        out.status.success(),
        "schemathesis failed ({}):\n{stdout}\n{stderr}\n===== sahara-all's errors =====\n{}",
        out.status,
        errors.join("\n")
    );
    assert!(
        stdout.contains("Tested: 45"),
        "every operation but the images' was tested:\n{stdout}"
    );
}
