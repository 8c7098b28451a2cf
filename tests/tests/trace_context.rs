//! One trace spans client and server: the client's span context rides in the request
//! context and the server's dispatch span (and the method inside it) continues it.

use opentelemetry::trace::TraceContextExt;
use sahara_rpc::testing::{delete_matching, rabbit_url};
use sahara_rpc::{Endpoint, RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions};
use serde_json::{Value, json};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;

fn trace_id(span: &tracing::Span) -> String {
    span.context().span().span_context().trace_id().to_string()
}

async fn round_trip(url: &str, exchange: &str, topic: &str) {
    let options = TransportOptions {
        control_exchange: exchange.to_string(),
        ..Default::default()
    };
    let t = Transport::new(url, options).unwrap();
    let endpoint = Endpoint::new().raw_method("trace_id", |_, _| async move {
        Ok(json!(trace_id(&tracing::Span::current())))
    });
    let server = RpcServer::start(&t, Target::topic(topic).with_server("s"), vec![endpoint])
        .await
        .unwrap();
    let client = RpcClient::new(&t, Target::topic(topic));
    let root = tracing::info_span!("client-operation");
    let client_trace = trace_id(&root);
    assert_ne!(
        client_trace, "00000000000000000000000000000000",
        "telemetry gives spans a trace id"
    );
    let server_trace = client
        .call(&RequestContext::new(), "trace_id", json!({}))
        .instrument(root)
        .await
        .unwrap();
    assert_eq!(
        server_trace,
        Value::String(client_trace),
        "the server continued the client's trace"
    );
    // Without a client span, the server starts a trace of its own.
    let other = client
        .call(&RequestContext::new(), "trace_id", json!({}))
        .await
        .unwrap();
    assert_ne!(other, server_trace);
    server.stop().await;
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_spans_client_and_server() {
    sahara_telemetry::init_for_tests();
    let id = sahara_tests::unique_id();
    round_trip(&format!("fake:///{id}"), "x", "trace").await;
    round_trip(&rabbit_url(), &format!("itest_x_{id}"), &format!("itest_t_{id}")).await;
    delete_matching(&id).await;
}
