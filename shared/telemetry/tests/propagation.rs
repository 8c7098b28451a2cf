//! Trace context round trip through an RPC-style context dict: the client injects, the server
//! span adopts the remote parent and ends up in the same trace.
//!
//! This file holds a single test because `init_for_tests` installs process-wide globals.

use opentelemetry::trace::{SpanContext, TraceContextExt as _};
use sahara_telemetry::{TRACEPARENT, TRACESTATE, inject_current, inject_from, set_parent_from};
use serde_json::{Map, Value};
use tracing::info_span;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The OpenTelemetry span context of a tracing span.
fn span_context(span: &tracing::Span) -> SpanContext {
    span.context().span().span_context().clone()
}

/// Checks the W3C form `00-<32 hex>-<16 hex>-01` and returns the trace and span ids.
fn parse_traceparent(value: &str) -> (String, String) {
    let parts: Vec<&str> = value.split('-').collect();
    assert_eq!(parts.len(), 4, "{value}");
    let hex = |text: &str, len: usize| {
        text.len() == len && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    assert_eq!(parts[0], "00", "{value}");
    assert!(hex(parts[1], 32) && parts[1] != "0".repeat(32), "{value}");
    assert!(hex(parts[2], 16) && parts[2] != "0".repeat(16), "{value}");
    assert_eq!(parts[3], "01", "{value}");
    (parts[1].to_owned(), parts[2].to_owned())
}

#[test]
fn trace_context_round_trip() {
    sahara_telemetry::init_for_tests();
    sahara_telemetry::init_for_tests(); // a second call is a no-op

    // Outside any span there is nothing to inject.
    let mut empty = Map::new();
    inject_current(&mut empty);
    assert!(empty.is_empty(), "{empty:?}");

    // Client side: inject inside the call's span, next to oslo's context keys.
    let client = info_span!("rpc.client", method = "cluster_get");
    let mut ctx = Map::new();
    ctx.insert("user_id".into(), Value::from("u1"));
    client.in_scope(|| inject_current(&mut ctx));
    let traceparent = ctx[TRACEPARENT].as_str().expect("traceparent is a string");
    let (trace_id, span_id) = parse_traceparent(traceparent);
    let client_context = span_context(&client);
    assert_eq!(trace_id, client_context.trace_id().to_string());
    assert_eq!(span_id, client_context.span_id().to_string());
    assert!(!ctx.contains_key(TRACESTATE), "empty tracestate is left out");
    assert_eq!(ctx["user_id"], "u1");

    // Server side: a new root span adopts the remote parent, so it joins the client's trace.
    let server = info_span!(parent: None, "rpc.server", method = "cluster_get");
    set_parent_from(&server, &ctx);
    let server_context = span_context(&server);
    assert_eq!(server_context.trace_id(), client_context.trace_id());
    assert_ne!(server_context.span_id(), client_context.span_id());

    // Control: without the remote parent a root span starts a trace of its own.
    let unrelated = info_span!(parent: None, "rpc.server");
    assert_ne!(span_context(&unrelated).trace_id(), client_context.trace_id());

    // tracestate travels along; forwarding a context replaces the stale entries.
    let mut with_state = ctx.clone();
    with_state.insert(TRACESTATE.into(), Value::from("sahara=abc"));
    let server = info_span!(parent: None, "rpc.server");
    set_parent_from(&server, &with_state);
    let mut forwarded = with_state.clone();
    forwarded.insert(TRACESTATE.into(), Value::from("stale=1"));
    inject_from(&server, &mut forwarded);
    assert_eq!(forwarded[TRACESTATE], "sahara=abc");
    let (forwarded_trace, forwarded_span) = parse_traceparent(forwarded[TRACEPARENT].as_str().unwrap());
    assert_eq!(forwarded_trace, trace_id);
    assert_eq!(forwarded_span, span_context(&server).span_id().to_string());

    // Missing, malformed or all-zero parents are ignored: the span keeps a trace of its own.
    for bad in [
        None,
        Some(Value::from("garbage")),
        Some(Value::from(42)),
        Some(Value::from("00-00000000000000000000000000000000-b7ad6b7169203331-01")),
    ] {
        let mut bad_ctx = Map::new();
        if let Some(value) = bad {
            bad_ctx.insert(TRACEPARENT.into(), value);
        }
        let span = info_span!(parent: None, "rpc.server");
        set_parent_from(&span, &bad_ctx);
        let context = span_context(&span);
        assert!(context.is_valid());
        assert_ne!(context.trace_id(), client_context.trace_id());
    }

    // A span that has already started keeps its parent (no panic, no change).
    let started = info_span!(parent: None, "rpc.server");
    let before = span_context(&started);
    set_parent_from(&started, &ctx);
    assert_eq!(span_context(&started).trace_id(), before.trace_id());
}
