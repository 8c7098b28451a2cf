//! Option groups of our own (not in upstream Sahara): `[profiler]` turns on OpenTelemetry export.
//!
//! kolla-ansible writes `[profiler] enabled = False` (osprofiler's switch); we keep that name and
//! add `connection_string`, an OTLP endpoint.

use crate::spec::OptSpec;

opt_group! {
    /// `[profiler]` (ours): tracing export. With `enabled = true` and an OTLP/HTTP endpoint in
    /// `connection_string` (`otlp://127.0.0.1:4318` or `http://127.0.0.1:4318`), spans are exported
    /// with OpenTelemetry.
    pub struct ProfilerOpts {
        group: "profiler",
        namespace: "sahara-rs",
        enabled: bool = OptSpec::bool("enabled")
            .default("false")
            .help("Enable tracing export (ours). Spans of RPC calls, REST requests and SSH \
                commands are sent to the OpenTelemetry collector named by connection_string."),
        connection_string: String = OptSpec::str("connection_string")
            .default("")
            .help("Where to export traces when enabled (ours): an OTLP/HTTP endpoint such as \
                otlp://127.0.0.1:4318 or http://127.0.0.1:4318. Empty disables the export."),
    }
}
