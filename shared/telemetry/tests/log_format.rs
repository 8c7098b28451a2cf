//! The log file written by `init`: oslo.log line shapes that kolla's fluentd parses, the request
//! context from span fields, masking of secrets, append mode, and a second `init`.
//!
//! This file holds a single test because `init` installs process-wide globals.

use std::fs;

use sahara_telemetry::{TelemetryError, TelemetryOptions};
use tracing::{debug, error, info, info_span, trace, warn};

/// Checks `date time.mmm pid LEVEL target [` and returns what follows the opening bracket.
fn after_header<'a>(line: &'a str, level: &str, target: &str) -> &'a str {
    let digits = |text: &str| text.bytes().all(|b| b.is_ascii_digit());
    let mut parts = line.splitn(6, ' ');
    let date = parts.next().unwrap();
    let time = parts.next().unwrap_or_default();
    let pid = parts.next().unwrap_or_default();
    assert!(
        date.len() == 10 && date.split('-').map(|p| p.len()).eq([4, 2, 2]) && digits(&date.replace('-', "")),
        "date in {line:?}"
    );
    assert!(
        time.len() == 12
            && time.as_bytes()[8] == b'.'
            && time[..8].split(':').map(|p| p.len()).eq([2, 2, 2])
            && digits(&time[..8].replace(':', ""))
            && digits(&time[9..]),
        "time in {line:?}"
    );
    assert_eq!(pid, std::process::id().to_string(), "pid in {line:?}");
    assert_eq!(parts.next(), Some(level), "level in {line:?}");
    assert_eq!(parts.next(), Some(target), "target in {line:?}");
    let rest = parts.next().unwrap_or_default();
    rest.strip_prefix('[').unwrap_or_else(|| panic!("no [ in {line:?}"))
}

#[test]
fn log_lines_have_the_oslo_shape() {
    // SAFETY: this is the only test in this process and no other thread has started yet.
    unsafe {
        std::env::remove_var("RUST_LOG");
        std::env::remove_var("OTEL_EXPORTER_OTLP_ENDPOINT");
        std::env::remove_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sahara-fmt-test.log");
    fs::write(&path, "an older line\n").unwrap();

    let mut options = TelemetryOptions::new("sahara-fmt-test");
    options.log_dir = Some(dir.path().to_owned());
    options.debug = true;
    let guard = sahara_telemetry::init(&options).expect("init");
    assert!(!guard.is_exporting());

    // A second initialisation reports an error instead of panicking; the test helper is a no-op.
    assert!(matches!(
        sahara_telemetry::init(&options),
        Err(TelemetryError::AlreadyInitialised)
    ));
    sahara_telemetry::init_for_tests();

    info!(target: "sahara.main", "service started");
    debug!(target: "sahara.debugging", count = 3, "a debug line");
    trace!(target: "sahara.main", "too verbose for debug");
    tracing_log::log::info!(target: "sahara.legacy", "from the log crate");
    {
        let request = info_span!(
            "request",
            request_id = "req-1b2c",
            user_id = ?String::from("u1"),
            project_id = "p1",
            cluster_id = "c-9",
        );
        let _request = request.enter();
        let ssh = info_span!(
            "ssh",
            instance_id = "i-3",
            user_domain = "default",
            project_domain = "dom2",
        );
        let _ssh = ssh.enter();
        warn!(
            target: "sahara_engine::ops",
            attempt = 2,
            state = ?"Waiting for ssh",
            admin_password = "hunter2",
            url = "rabbit://guest:guest@h:5672/",
            "retrying {}",
            "amqp://me:pw@h/"
        );
    }
    let global = info_span!("request", global_request_id = "req-g1", request_id = "abcd");
    global.in_scope(|| error!(target: "sahara.api", "first line\nTraceback: second line"));
    drop(guard);

    let text = fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("hunter2") && !text.contains(":guest@") && !text.contains(":pw@"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "an older line", "the file is appended to");
    assert_eq!(lines.len(), 7, "{text}");

    assert_eq!(after_header(lines[1], "INFO", "sahara.main"), "-] service started");
    assert_eq!(
        after_header(lines[2], "DEBUG", "sahara.debugging"),
        "-] a debug line count=3"
    );
    assert_eq!(after_header(lines[3], "INFO", "sahara.legacy"), "-] from the log crate");
    assert_eq!(
        after_header(lines[4], "WARNING", "sahara_engine::ops"),
        "None req-1b2c u1 p1 - - default dom2] retrying amqp://me:***@h/ attempt=2 \
         state=\"Waiting for ssh\" \
         admin_password=*** url=rabbit://guest:***@h:5672/ cluster_id=c-9 instance_id=i-3"
    );
    assert_eq!(
        after_header(lines[5], "ERROR", "sahara.api"),
        "req-g1 req-abcd - - - - - -] first line"
    );
    assert_eq!(lines[6], "Traceback: second line", "continuation lines have no header");
}
