//! The OpenTelemetry tracer provider: where the OTLP endpoint comes from, the OTLP/HTTP
//! (protobuf) exporter behind a batch processor, and the masking of secret attributes on export.

use std::borrow::Cow;
use std::time::Duration;

use opentelemetry::{Context, KeyValue, Value};
use opentelemetry_otlp::{Protocol, WithExportConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, Span, SpanData, SpanProcessor};

use crate::TelemetryError;
use crate::redact::{MASK, is_secret_key, redact_url};

/// The OTLP signal path of traces, appended to base endpoints.
const TRACES_PATH: &str = "/v1/traces";

/// Environment variable with a base OTLP endpoint (`/v1/traces` is appended).
pub(crate) const ENV_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";

/// Environment variable with the full OTLP traces URL (used as it is).
pub(crate) const ENV_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";

/// Picks the traces URL to export to: the configured endpoint, else
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`; `None` disables export.
pub(crate) fn resolve_endpoint(configured: Option<&str>) -> Result<Option<String>, TelemetryError> {
    let env = |name: &str| std::env::var(name).ok();
    resolve_endpoint_from(
        configured,
        env(ENV_TRACES_ENDPOINT).as_deref(),
        env(ENV_ENDPOINT).as_deref(),
    )
}

/// [`resolve_endpoint`] with the environment passed in; blank values count as unset.
pub(crate) fn resolve_endpoint_from(
    configured: Option<&str>,
    env_traces: Option<&str>,
    env_base: Option<&str>,
) -> Result<Option<String>, TelemetryError> {
    fn present(value: Option<&str>) -> Option<&str> {
        value.map(str::trim).filter(|value| !value.is_empty())
    }
    if let Some(endpoint) = present(configured) {
        return traces_url(endpoint, true).map(Some);
    }
    if let Some(endpoint) = present(env_traces) {
        return traces_url(endpoint, false).map(Some);
    }
    present(env_base).map(|endpoint| traces_url(endpoint, true)).transpose()
}

/// Normalises an endpoint: `otlp://` becomes `http://`, only `http`/`https` are accepted, and with
/// `append_path` the path `/v1/traces` is added unless the URL already ends with it.
pub(crate) fn traces_url(endpoint: &str, append_path: bool) -> Result<String, TelemetryError> {
    let invalid = |reason: &str| TelemetryError::Endpoint {
        endpoint: redact_url(endpoint).into_owned(),
        reason: reason.to_owned(),
    };
    let (scheme, rest) = endpoint
        .split_once("://")
        .ok_or_else(|| invalid("expected otlp://host:port, http://host:port or https://..."))?;
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "otlp" | "http" => "http",
        "https" => "https",
        _ => return Err(invalid("the scheme must be otlp, http or https")),
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if authority.is_empty() {
        return Err(invalid("the host is missing"));
    }
    let path = if !append_path || path.ends_with(TRACES_PATH) {
        Cow::Borrowed(path)
    } else {
        Cow::Owned(format!("{}{TRACES_PATH}", path.trim_end_matches('/')))
    };
    Ok(format!("{scheme}://{authority}{path}"))
}

/// The resource describing this process: `service.name` plus the SDK's defaults.
fn resource(service_name: &str) -> Resource {
    Resource::builder().with_service_name(service_name.to_owned()).build()
}

/// A tracer provider that exports spans to `endpoint` (a full traces URL) through a batch
/// processor: a background thread with a blocking HTTP client, so no Tokio runtime is needed.
pub(crate) fn exporting_provider(service_name: &str, endpoint: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .build()?;
    let batch = BatchSpanProcessor::builder(exporter).build();
    Ok(SdkTracerProvider::builder()
        .with_resource(resource(service_name))
        .with_span_processor(RedactingProcessor(batch))
        .build())
}

/// A tracer provider without export: spans get sampled trace ids (so the trace context still
/// propagates, and a downstream service that exports records its part) and are dropped at end.
pub(crate) fn local_provider(service_name: &str) -> SdkTracerProvider {
    SdkTracerProvider::builder()
        .with_resource(resource(service_name))
        .build()
}

/// A span processor that masks secret attributes and URL credentials before handing spans on.
#[derive(Debug)]
struct RedactingProcessor<P>(P);

impl<P: SpanProcessor> SpanProcessor for RedactingProcessor<P> {
    fn on_start(&self, span: &mut Span, cx: &Context) {
        self.0.on_start(span, cx);
    }

    fn on_end(&self, mut span: SpanData) {
        redact_attributes(&mut span.attributes);
        for event in span.events.events.iter_mut() {
            if let Cow::Owned(name) = redact_url(&event.name) {
                event.name = Cow::Owned(name);
            }
            redact_attributes(&mut event.attributes);
        }
        self.0.on_end(span);
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }

    fn shutdown(&self) -> OTelSdkResult {
        self.0.shutdown()
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.0.set_resource(resource);
    }
}

/// Masks values of secret-looking keys and URL credentials in string values.
fn redact_attributes(attributes: &mut [KeyValue]) {
    for attribute in attributes {
        if is_secret_key(attribute.key.as_str()) {
            attribute.value = Value::from(MASK);
        } else if let Value::String(text) = &attribute.value
            && let Cow::Owned(masked) = redact_url(text.as_str())
        {
            attribute.value = Value::from(masked);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_forms() {
        let url = |endpoint| traces_url(endpoint, true).unwrap();
        assert_eq!(url("otlp://collector:4318"), "http://collector:4318/v1/traces");
        assert_eq!(url("http://127.0.0.1:4318/"), "http://127.0.0.1:4318/v1/traces");
        assert_eq!(url("https://otel.example/v1/traces"), "https://otel.example/v1/traces");
        assert_eq!(
            url("https://otel.example/prefix/"),
            "https://otel.example/prefix/v1/traces"
        );
        assert_eq!(url("OTLP://h:1"), "http://h:1/v1/traces");
        assert_eq!(traces_url("http://h:1/custom", false).unwrap(), "http://h:1/custom");
        for bad in ["collector:4318", "grpc://h:4317", "http://", "http:///v1/traces"] {
            assert!(traces_url(bad, true).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn endpoint_precedence() {
        let resolve = |configured, traces, base| resolve_endpoint_from(configured, traces, base).unwrap();
        assert_eq!(resolve(None, None, None), None);
        assert_eq!(resolve(Some("  "), None, Some("")), None);
        assert_eq!(
            resolve(Some("otlp://a:1"), Some("http://b:2/x"), Some("http://c:3")).as_deref(),
            Some("http://a:1/v1/traces")
        );
        assert_eq!(
            resolve(None, Some("http://b:2/x"), Some("http://c:3")).as_deref(),
            Some("http://b:2/x")
        );
        assert_eq!(
            resolve(Some(""), None, Some("http://c:3")).as_deref(),
            Some("http://c:3/v1/traces")
        );
    }

    #[test]
    fn endpoint_errors_hide_credentials() {
        let error = traces_url("ftp://user:pw@host", true).unwrap_err().to_string();
        assert!(!error.contains("pw"), "{error}");
    }

    #[test]
    fn attributes_are_masked() {
        let mut attributes = vec![
            KeyValue::new("cluster_id", "c1"),
            KeyValue::new("auth_token", "gAAAA"),
            KeyValue::new("url", "rabbit://u:p@h:5672/"),
            KeyValue::new("count", 3),
        ];
        redact_attributes(&mut attributes);
        let values: Vec<String> = attributes.iter().map(|kv| kv.value.to_string()).collect();
        assert_eq!(values, ["c1", "***", "rabbit://u:***@h:5672/", "3"]);
    }
}
