//! sahara-telemetry owns the logging and tracing setup of every Sahara binary: oslo.log-shaped
//! log lines (what kolla's fluentd parses) to a file and/or the console, OpenTelemetry spans
//! exported over OTLP/HTTP, the W3C trace context carried in the RPC request context, and the
//! masking of secrets in what is logged.
//!
//! A binary fills [`TelemetryOptions`] from `sahara.conf` and keeps the guard until it exits:
//!
//! ```no_run
//! let mut options = sahara_telemetry::TelemetryOptions::new("sahara-engine");
//! options.log_dir = Some("/var/log/kolla/sahara".into());
//! let _telemetry = sahara_telemetry::init(&options)?;
//! tracing::info!("engine started");
//! # Ok::<(), sahara_telemetry::TelemetryError>(())
//! ```
//!
//! The RPC layer carries one trace from client to server inside the request context dict:
//!
//! ```
//! # let mut ctx = serde_json::Map::new();
//! // client, inside the span of the call:
//! sahara_telemetry::inject_current(&mut ctx);
//! // server, on the span created for the incoming message, before entering it:
//! let span = tracing::info_span!("rpc.server", method = "cluster_get");
//! sahara_telemetry::set_parent_from(&span, &ctx);
//! ```
//!
//! Span fields named like [`CONTEXT_FIELDS`] (`request_id`, `user_id`, `project_id`, ...) fill
//! the request part of log lines. Callers must never record secrets as span or event fields:
//! fields with secret-looking names are masked (`***`) in logs and exported spans, and URL
//! credentials are masked, but that is a safety net; use [`redact_json`] before logging
//! a context or payload.

#![warn(missing_docs)]

mod conf;
mod format;
mod otlp;
mod propagation;
mod redact;

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Once;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_log::AsLog as _;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::{EnvFilter, LevelFilter};
use tracing_subscriber::layer::SubscriberExt as _;

use crate::format::{Console, LogSink, OsloLogLayer};

pub use crate::format::CONTEXT_FIELDS;
pub use crate::propagation::{TRACEPARENT, TRACESTATE, inject_current, inject_from, set_parent_from};
pub use crate::redact::{MASK, is_secret_key, redact_json, redact_url};

/// Log filter directives added to the default level: chatty dependencies are held back, as
/// oslo.log's `default_log_levels` does for amqp, urllib3 and friends.
const QUIET_DEPENDENCIES: &str = "amq_protocol=warn,lapin=info,h2=warn,hyper=warn,hyper_util=warn,reqwest=info,rustls=warn,mio=warn,opentelemetry=warn";

/// Logging and tracing settings of one binary (filled from `sahara.conf` by the binaries).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TelemetryOptions {
    /// The binary name, e.g. `sahara-engine`: names the log file and the OTLP `service.name`.
    pub service_name: String,
    /// `[DEFAULT] debug`: log at DEBUG instead of INFO.
    pub debug: bool,
    /// `[DEFAULT] log_dir`: write `<log_dir>/<service_name>.log` (or `<log_dir>/<log_file>`).
    pub log_dir: Option<PathBuf>,
    /// `[DEFAULT] log_file`: the log file, relative to `log_dir` when both are set.
    pub log_file: Option<PathBuf>,
    /// `[DEFAULT] use_stderr`: also log to stderr.
    pub use_stderr: bool,
    /// The OTLP collector: `otlp://host:port`, `http://host:port[/path]` or `https://...`.
    pub otlp_endpoint: Option<String>,
}

impl TelemetryOptions {
    /// Options for `service_name` with oslo.log's defaults: INFO, no file, no stderr, no export.
    pub fn new(service_name: impl Into<String>) -> Self {
        Self {
            service_name: service_name.into(),
            ..Self::default()
        }
    }

    /// The log file as oslo.log picks it: `log_dir/log_file`, `log_file`,
    /// `log_dir/<service_name>.log`, or none.
    pub fn log_path(&self) -> Option<PathBuf> {
        match (&self.log_dir, &self.log_file) {
            (Some(dir), Some(file)) => Some(dir.join(file)),
            (None, Some(file)) => Some(file.clone()),
            (Some(dir), None) => Some(dir.join(format!("{}.log", self.service_name))),
            (None, None) => None,
        }
    }
}

/// Why telemetry could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// A global tracing subscriber was already installed (by an earlier `init` or anyone else).
    #[error("telemetry is already initialised (a global tracing subscriber is set)")]
    AlreadyInitialised,
    /// [`TelemetryOptions::service_name`] is empty.
    #[error("the service name must not be empty")]
    EmptyServiceName,
    /// `RUST_LOG` holds directives that do not parse.
    #[error("invalid log filter {directives:?}: {source}")]
    Filter {
        /// The directives as given.
        directives: String,
        /// The parse error.
        source: tracing_subscriber::filter::ParseError,
    },
    /// The log file (or its directory) cannot be created or opened.
    #[error("cannot open log file {}: {source}", path.display())]
    LogFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The OTLP endpoint is not a URL of an accepted form.
    #[error("invalid OTLP endpoint {endpoint:?}: {reason}")]
    Endpoint {
        /// The endpoint, with any password masked.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The OTLP exporter could not be built.
    #[error("cannot build the OTLP exporter: {0}")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// Keeps span export running; dropping it flushes pending spans and shuts the exporter down
/// (without export it does nothing, so propagation keeps working).
#[must_use = "dropping the guard stops trace export: keep it until the binary exits"]
#[derive(Debug)]
pub struct TelemetryGuard {
    /// The provider to shut down on drop; `None` when nothing is exported.
    exporting: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Whether spans are exported over OTLP.
    pub fn is_exporting(&self) -> bool {
        self.exporting.is_some()
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.exporting.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing trace export failed");
        }
    }
}

/// Installs the global tracing subscriber: oslo.log lines to the log file and/or console, a
/// tracer for trace-context propagation, OTLP span export when an endpoint is configured (or
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `OTEL_EXPORTER_OTLP_ENDPOINT` is set), W3C
/// TraceContext as the global propagator, and a bridge for `log` records.
///
/// The level is DEBUG with `debug`, else INFO (chatty dependencies held back); a non-empty
/// `RUST_LOG` replaces that filter entirely. The filter applies to spans too: a span below the
/// level is neither logged, exported nor given a trace context (so make RPC and REST spans
/// `info_span!`). Lines go to the log file (opened in append mode,
/// see [`TelemetryOptions::log_path`]), to stderr with `use_stderr`, and to stdout when neither
/// is configured. Returns [`TelemetryError::AlreadyInitialised`] when a global subscriber exists.
/// Spans are exported in batches from a background thread, so this works inside or outside a
/// Tokio runtime.
pub fn init(options: &TelemetryOptions) -> Result<TelemetryGuard, TelemetryError> {
    if options.service_name.trim().is_empty() {
        return Err(TelemetryError::EmptyServiceName);
    }
    let filter = level_filter(options.debug, std::env::var("RUST_LOG").ok().as_deref())?;
    let endpoint = otlp::resolve_endpoint(options.otlp_endpoint.as_deref())?;
    let file = options.log_path().as_deref().map(open_log_file).transpose()?;
    let console = match (options.use_stderr, &file) {
        (true, _) => Console::Stderr,
        (false, None) => Console::Stdout,
        (false, Some(_)) => Console::Off,
    };
    let provider = match endpoint.as_deref() {
        Some(endpoint) => otlp::exporting_provider(&options.service_name, endpoint)?,
        None => otlp::local_provider(&options.service_name),
    };
    let sink = LogSink { file, console };
    if !install(filter, sink, &provider, &options.service_name, endpoint.is_some()) {
        let _ = provider.shutdown();
        return Err(TelemetryError::AlreadyInitialised);
    }
    if let Some(endpoint) = &endpoint {
        tracing::info!(
            service = %options.service_name,
            endpoint = %redact_url(endpoint),
            "exporting traces over OTLP/HTTP"
        );
    }
    Ok(TelemetryGuard {
        exporting: endpoint.map(|_| provider),
    })
}

/// Installs, once per process, a subscriber for tests: oslo.log lines through the test
/// harness' captured output (DEBUG, or `RUST_LOG`) and a tracer without export that sees every
/// span whatever `RUST_LOG` says, so that [`inject_current`] and [`set_parent_from`] work.
/// Does nothing when a global subscriber exists.
pub fn init_for_tests() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let filter =
            level_filter(true, std::env::var("RUST_LOG").ok().as_deref()).unwrap_or_else(|_| EnvFilter::new("debug"));
        let sink = LogSink {
            file: None,
            console: Console::Test,
        };
        let provider = otlp::local_provider("sahara-test");
        let subscriber = tracing_subscriber::registry()
            .with(OsloLogLayer::new(sink).with_filter(filter))
            .with(otel_layer(provider.tracer("sahara-test"), false));
        if tracing::subscriber::set_global_default(subscriber).is_ok() {
            install_globals(&provider);
        }
    });
}

/// Sets the global subscriber (one filter for logs and spans), then the other globals; false
/// when a global subscriber was already set (then nothing is changed).
fn install(
    filter: EnvFilter,
    sink: LogSink,
    provider: &SdkTracerProvider,
    service_name: &str,
    exporting: bool,
) -> bool {
    let tracer = provider.tracer(service_name.to_owned());
    let subscriber = tracing_subscriber::registry()
        .with(filter)
        .with(OsloLogLayer::new(sink))
        .with(otel_layer(tracer, exporting));
    if tracing::subscriber::set_global_default(subscriber).is_err() {
        return false;
    }
    install_globals(provider);
    true
}

/// The tracing-opentelemetry layer over `tracer`.
///
/// Whether exporting or not, entering a span does not make its OpenTelemetry context the current
/// one (`with_context_activation(false)`): nothing here reads `opentelemetry::Context::current()`
/// (propagation asks the tracing span for its context, and a span's parent comes from the tracing
/// span tree), and entering and leaving happen on every poll of an instrumented future. The
/// attributes that only an exported span shows (busy and idle time, source location, thread, target) are
/// gathered only when `exporting`: spans that are never exported only carry their trace context.
fn otel_layer<S, T>(tracer: T, exporting: bool) -> tracing_opentelemetry::OpenTelemetryLayer<S, T>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
    T: opentelemetry::trace::Tracer + 'static,
    T::Span: Send + Sync,
{
    tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_context_activation(false)
        .with_tracked_inactivity(exporting)
        .with_location(exporting)
        .with_threads(exporting)
        .with_target(exporting)
}

/// Sets the `log` bridge, the W3C propagator and the global tracer provider.
fn install_globals(provider: &SdkTracerProvider) {
    // Fails only when another `log` logger is set; its records then stay out of our lines.
    let _ = tracing_log::LogTracer::builder()
        .with_max_level(LevelFilter::current().as_log())
        .init();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    opentelemetry::global::set_tracer_provider(provider.clone());
}

/// The filter directives: non-empty `rust_log` as given, else the level and quiet dependencies.
fn filter_directives(debug: bool, rust_log: Option<&str>) -> String {
    match rust_log.map(str::trim).filter(|value| !value.is_empty()) {
        Some(directives) => directives.to_owned(),
        None => format!("{},{QUIET_DEPENDENCIES}", if debug { "debug" } else { "info" }),
    }
}

/// Parses [`filter_directives`] into a filter.
fn level_filter(debug: bool, rust_log: Option<&str>) -> Result<EnvFilter, TelemetryError> {
    let directives = filter_directives(debug, rust_log);
    EnvFilter::builder()
        .parse(&directives)
        .map_err(|source| TelemetryError::Filter { directives, source })
}

/// Opens (creating it and its directory if needed) the log file in append mode: every write
/// lands at the current end, so logrotate's `copytruncate` works.
fn open_log_file(path: &Path) -> Result<File, TelemetryError> {
    let error = |source| TelemetryError::LogFile {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(error)?;
    }
    OpenOptions::new().create(true).append(true).open(path).map_err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_path_like_oslo() {
        let mut options = TelemetryOptions::new("sahara-engine");
        assert_eq!(options.log_path(), None);
        options.log_dir = Some("/var/log/kolla/sahara".into());
        assert_eq!(
            options.log_path(),
            Some("/var/log/kolla/sahara/sahara-engine.log".into())
        );
        options.log_file = Some("engine.log".into());
        assert_eq!(options.log_path(), Some("/var/log/kolla/sahara/engine.log".into()));
        options.log_file = Some("/tmp/abs.log".into());
        assert_eq!(options.log_path(), Some("/tmp/abs.log".into()));
        options.log_dir = None;
        assert_eq!(options.log_path(), Some("/tmp/abs.log".into()));
    }

    #[test]
    fn filters() {
        assert!(filter_directives(false, None).starts_with("info,"));
        assert!(filter_directives(true, Some("  ")).starts_with("debug,"));
        assert_eq!(filter_directives(true, Some("sahara_rpc=trace")), "sahara_rpc=trace");
        assert!(level_filter(false, None).is_ok());
        assert!(level_filter(true, None).is_ok());
        assert!(matches!(
            level_filter(false, Some("foo=notalevel")),
            Err(TelemetryError::Filter { .. })
        ));
    }

    #[test]
    fn empty_service_name_is_rejected() {
        assert!(matches!(
            init(&TelemetryOptions::default()),
            Err(TelemetryError::EmptyServiceName)
        ));
    }

    #[test]
    fn log_file_survives_copytruncate() {
        use std::io::Write as _;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/x.log");
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, "before\n").unwrap();
        let mut file = open_log_file(&path).unwrap();
        file.write_all(b"after\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "before\nafter\n");
        // logrotate's copytruncate: the next line must land at offset 0, not after a hole.
        OpenOptions::new().write(true).open(&path).unwrap().set_len(0).unwrap();
        file.write_all(b"rotated\n").unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "rotated\n");
        // Missing directories are created.
        assert!(open_log_file(&dir.path().join("new/sub/y.log")).is_ok());
    }
}
