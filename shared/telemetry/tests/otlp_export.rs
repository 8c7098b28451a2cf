//! OTLP export end to end: `init` with a local OTLP/HTTP sink as endpoint, one span, and the
//! guard's drop must deliver it as protobuf to `POST /v1/traces`.
//!
//! This file holds a single test because `init` installs process-wide globals.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};

use sahara_telemetry::TelemetryOptions;
use tracing::Instrument as _;

/// One HTTP request as the sink saw it.
#[derive(Debug)]
struct Request {
    method: String,
    path: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Starts an HTTP/1.1 sink on an ephemeral port; returns its `otlp://` endpoint and the requests.
fn start_sink() -> (String, Receiver<Request>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the sink");
    let address = listener.local_addr().expect("sink address");
    let (sender, requests) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let sender = sender.clone();
            std::thread::spawn(move || {
                let _ = serve(stream, &sender);
            });
        }
    });
    (format!("otlp://{address}"), requests)
}

/// Answers every request on one connection with `200 OK` and an empty body.
fn serve(stream: TcpStream, sender: &Sender<Request>) -> io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line)? == 0 {
            return Ok(());
        }
        let mut parts = request_line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_owned();
        let path = parts.next().unwrap_or_default().to_owned();
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
        let header = |name: &str| {
            headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let body = match header("content-length") {
            Some(length) => {
                let mut body = vec![0; length.parse().expect("content-length")];
                reader.read_exact(&mut body)?;
                body
            }
            None if header("transfer-encoding").is_some_and(|te| te.contains("chunked")) => read_chunked(&mut reader)?,
            None => Vec::new(),
        };
        let _ = sender.send(Request {
            method,
            path,
            content_type: header("content-type"),
            body,
        });
        writer.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n")?;
    }
}

/// Reads a chunked body.
fn read_chunked(reader: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size)?;
        let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
            .map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))?;
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk)?;
        if size == 0 {
            return Ok(body);
        }
        body.extend_from_slice(&chunk[..size]);
    }
}

/// Whether `haystack` contains the bytes of `needle`.
fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

#[test]
fn spans_reach_the_otlp_sink_when_the_guard_drops() {
    // SAFETY: this is the only test in this process and no other thread has started yet.
    unsafe {
        std::env::remove_var("RUST_LOG");
        std::env::remove_var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    }
    let (endpoint, requests) = start_sink();
    let logs = tempfile::tempdir().expect("temp dir");
    let mut options = TelemetryOptions::new("sahara-otlp-test");
    options.log_dir = Some(logs.path().to_owned());
    options.otlp_endpoint = Some(endpoint);

    // Like the binaries: initialised and dropped inside a Tokio runtime.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let guard = sahara_telemetry::init(&options).expect("init");
        assert!(guard.is_exporting());
        let span = tracing::info_span!(
            "sahara_distinctive_span_7f3a",
            cluster_id = "cluster-4242",
            admin_password = "hunter2",
        );
        async {
            tracing::info!("provisioning");
        }
        .instrument(span)
        .await;
        drop(guard);
    });

    // The guard's drop waited for the export, so the request is already here: no waiting, which
    // also shows the flush came from the drop and not from the batch processor's timer.
    let body = requests
        .try_iter()
        .inspect(|request| {
            assert_eq!(request.method, "POST");
            assert_eq!(request.path, "/v1/traces");
            assert_eq!(request.content_type.as_deref(), Some("application/x-protobuf"));
        })
        .map(|request| request.body)
        .find(|body| contains(body, "sahara_distinctive_span_7f3a"))
        .expect("the span did not reach the OTLP sink when the guard dropped");
    assert!(contains(&body, "service.name"));
    assert!(contains(&body, "sahara-otlp-test"));
    assert!(contains(&body, "cluster-4242"), "span fields are exported");
    assert!(!contains(&body, "hunter2"), "secret fields are masked on export");
    for attribute in ["busy_ns", "idle_ns", "code.file.path", "thread.id"] {
        assert!(contains(&body, attribute), "exported spans carry {attribute}");
    }

    let log = std::fs::read_to_string(logs.path().join("sahara-otlp-test.log")).expect("log");
    assert!(log.contains("exporting traces over OTLP/HTTP"), "{log}");
    assert!(
        log.contains("provisioning cluster_id=cluster-4242 admin_password=***"),
        "{log}"
    );
}
