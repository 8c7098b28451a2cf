//! W3C trace context carried inside the oslo.messaging request context dict, so that one trace
//! spans the RPC client and the server.
//!
//! The keys are plain `traceparent` and `tracestate` (the RPC layer adds oslo's `_context_`
//! prefix on the wire). The format is always W3C TraceContext, whatever global propagator is set.
//!
//! Both helpers need a tracer in the subscriber (the tracing-opentelemetry layer that [`crate::init`]
//! and [`crate::init_for_tests`] install, exporter or not). Without one (telemetry not initialised,
//! or a subscriber without that layer) spans have no valid OpenTelemetry context and both
//! helpers do nothing.

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde_json::{Map, Value};
use tracing::Span;
use tracing_opentelemetry::{OpenTelemetrySpanExt, SetParentError};

/// The context key holding the W3C `traceparent` (`00-<trace id>-<span id>-<flags>`).
pub const TRACEPARENT: &str = "traceparent";

/// The context key holding the W3C `tracestate` (only present when not empty).
pub const TRACESTATE: &str = "tracestate";

/// Adds `traceparent` (and `tracestate` when not empty) for the current tracing span to `ctx`;
/// does nothing when the current span has no valid trace context.
pub fn inject_current(ctx: &mut Map<String, Value>) {
    inject_from(&Span::current(), ctx);
}

/// Adds `traceparent` (and `tracestate` when not empty) for `span` to `ctx`, replacing values
/// already there (a context forwarded from an incoming request); does nothing when `span` has
/// no valid trace context.
pub fn inject_from(span: &Span, ctx: &mut Map<String, Value>) {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return;
    }
    ctx.remove(TRACEPARENT);
    ctx.remove(TRACESTATE);
    TraceContextPropagator::new().inject_context(&cx, &mut MapInjector(ctx));
}

/// Makes `span` a child of the remote span described by `traceparent`/`tracestate` in `ctx`.
///
/// Call it right after creating the span, before it is entered, used to instrument a future or
/// passed to [`inject_from`]: the parent of a span that has started cannot change. Does nothing when the keys are absent or
/// invalid, or when telemetry is not initialised.
pub fn set_parent_from(span: &Span, ctx: &Map<String, Value>) {
    if !ctx.contains_key(TRACEPARENT) {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&MapExtractor(ctx));
    if !parent.span().span_context().is_valid() {
        return;
    }
    match span.set_parent(parent) {
        Ok(()) | Err(SetParentError::LayerNotFound | SetParentError::SpanDisabled) => {}
        Err(error) => tracing::debug!(%error, "could not attach the remote trace context"),
    }
}

/// Writes propagation fields into a JSON map, skipping empty values.
struct MapInjector<'a>(&'a mut Map<String, Value>);

impl Injector for MapInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if !value.is_empty() {
            self.0.insert(key.to_owned(), Value::String(value));
        }
    }
}

/// Reads propagation fields from a JSON map (string values only).
struct MapExtractor<'a>(&'a Map<String, Value>);

impl Extractor for MapExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(Value::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // No subscriber is installed in the unit-test process: both helpers must be no-ops.
    #[test]
    fn no_op_without_telemetry() {
        let span = tracing::info_span!("no_subscriber");
        let _entered = span.enter();
        let mut ctx = Map::new();
        ctx.insert("user_id".into(), Value::from("u1"));
        inject_current(&mut ctx);
        assert_eq!(ctx.len(), 1);

        ctx.insert(
            TRACEPARENT.into(),
            Value::from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
        );
        set_parent_from(&tracing::info_span!("server"), &ctx);
        set_parent_from(&Span::none(), &ctx);
    }
}
