//! Option groups of our own (not in upstream Sahara): `[profiler]` turns on OpenTelemetry export;
//! `[DEFAULT] auth_strategy` chooses Keystone authentication or the unsafe development `noauth`.
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

opt_group! {
    /// `[DEFAULT] auth_strategy` (ours): how the API authenticates requests. Upstream Sahara always
    /// runs keystonemiddleware's auth_token; `keystone` (the default) does the same.
    pub struct AuthStrategyOpts {
        group: "DEFAULT",
        namespace: "sahara-rs",
        auth_strategy: String = OptSpec::str("auth_strategy")
            .default("keystone")
            .choices(&[("keystone", None), ("noauth", None)])
            .help("How the API authenticates requests (ours). \"keystone\" validates X-Auth-Token \
                against Keystone as keystonemiddleware's auth_token does ([keystone_authtoken]). \
                \"noauth\" trusts the X-User-Id, X-Tenant-Id and X-Roles headers of every request: \
                UNSAFE, for development only."),
    }
}
