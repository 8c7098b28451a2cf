//! Implementation (a): sahara-rpc's server and client, measured the way the Python
//! oslo.messaging anchor is (echo calls from concurrent callers sharing one client;
//! confirmed casts from one sender, counted by the server).

use crate::stats::{Summary, drive, round3, wall_clock};
use anyhow::{Context, Result, bail};
use sahara_rpc::{Endpoint, RemoteError, RequestContext, RpcClient, RpcServer, Target, Transport, TransportOptions};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The server name the benchmark server listens as (`<topic>.<SERVER_NAME>`).
pub const SERVER_NAME: &str = "srv1";

/// Where a benchmark's messages go: broker URL, control exchange and topic.
#[derive(Debug, Clone)]
pub struct BenchTarget {
    /// `rabbit://` transport URL.
    pub url: String,
    /// Control exchange (unique per run so nothing collides).
    pub exchange: String,
    /// RPC topic (unique per run).
    pub topic: String,
}

impl BenchTarget {
    /// A transport with oslo's default options except the control exchange.
    pub fn transport(&self) -> Result<Transport> {
        let options = TransportOptions {
            control_exchange: self.exchange.clone(),
            ..Default::default()
        };
        Transport::new(&self.url, options).context("opening the transport")
    }
}

/// What the server has seen of casts since the last reset.
#[derive(Debug, Default)]
pub struct CastStats {
    count: AtomicU64,
    last: Mutex<Option<f64>>,
}

impl CastStats {
    fn record(&self) {
        let now = wall_clock();
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        *last = Some(last.map_or(now, |l| l.max(now)));
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn reset(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.count.store(0, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Value {
        let last = *self.last.lock().unwrap_or_else(|p| p.into_inner());
        json!({"count": self.count.load(Ordering::Relaxed), "last": last})
    }
}

/// The benchmark endpoint: `echo(value)`, and `cast_echo` / `cast_stats` / `cast_reset`
/// (count casts and stamp the wall-clock time of the latest one).
pub fn endpoint(stats: Arc<CastStats>) -> Endpoint {
    let (s1, s2, s3) = (stats.clone(), stats.clone(), stats);
    Endpoint::new()
        .raw_method("echo", |_, mut args: Map<String, Value>| async move {
            args.remove("value").ok_or_else(|| {
                RemoteError::builtin("TypeError", "echo() missing 1 required positional argument: 'value'")
            })
        })
        .raw_method("cast_echo", move |_, _| {
            s1.record();
            async { Ok(Value::Null) }
        })
        .raw_method("cast_stats", move |_, _| {
            let v = s2.snapshot();
            async move { Ok(v) }
        })
        .raw_method("cast_reset", move |_, _| {
            s3.reset();
            async { Ok(Value::Null) }
        })
}

/// A running benchmark server and the transport it owns.
pub struct BenchServer {
    target: BenchTarget,
    transport: Transport,
    server: RpcServer,
}

impl BenchServer {
    /// Declares the server's queues and starts serving; returns once it consumes.
    pub async fn start(target: BenchTarget) -> Result<BenchServer> {
        let transport = target.transport()?;
        let rpc_target = Target::topic(&target.topic).with_server(SERVER_NAME);
        let server = RpcServer::start(&transport, rpc_target, vec![endpoint(Arc::default())])
            .await
            .context("starting the RPC server")?;
        Ok(BenchServer {
            target,
            transport,
            server,
        })
    }

    /// Stops serving, shuts the transport down, and deletes the topic queues and the
    /// control exchange (which oslo, and so `RpcServer`, leave on the broker).
    pub async fn stop(self) -> Result<()> {
        self.server.stop().await;
        self.transport.shutdown().await;
        let t = &self.target;
        crate::broker::delete(
            &t.url,
            &[t.topic.clone(), format!("{}.{SERVER_NAME}", t.topic)],
            std::slice::from_ref(&t.exchange),
        )
        .await
    }
}

/// Measures `echo` calls from `callers` concurrent tasks sharing one transport and one
/// client. With `full_context` each call carries a complete `RequestContext` (what
/// Sahara's services send); otherwise an empty one, as the Python client's `{}`.
pub async fn call_bench(
    target: &BenchTarget,
    callers: usize,
    warmup: Duration,
    run: Duration,
    full_context: bool,
) -> Result<Value> {
    let transport = target.transport()?;
    let client = RpcClient::new(&transport, Target::topic(&target.topic)).with_timeout(Duration::from_secs(30));
    // One call outside the measurement creates the reply queue and the publisher.
    client
        .call_raw(Map::new(), "echo", args())
        .await
        .context("first call")?;
    let context = if full_context {
        RequestContext::new().to_dict()
    } else {
        Map::new()
    };
    let c = client.clone();
    let samples = drive(callers, warmup, run, move || {
        let c = c.clone();
        let context = context.clone();
        async move { c.call_raw(context, "echo", args()).await.map(|_| ()) }
    })
    .await;
    transport.shutdown().await;
    Ok(call_line("rust", callers, Summary::new(samples, run.as_secs_f64())))
}

fn args() -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("value".into(), Value::from("x"));
    m
}

/// The result line of a call run (implementation name, callers, then the summary).
pub fn call_line(implementation: &str, callers: usize, summary: Summary) -> Value {
    let mut line = json!({"impl": implementation, "mode": "call", "callers": callers});
    if let (Value::Object(m), Value::Object(s)) = (&mut line, summary.to_json()) {
        m.extend(s);
    }
    line
}

/// Sends `warmup_n` casts and waits for them, resets the server's counter, sends `n`
/// casts one after another (each waits for its publisher confirm, as oslo's do), then
/// polls `cast_stats` until the server has seen all `n`. The receive rate is `n` over
/// the time from the first send to the server's stamp of the last cast.
pub async fn cast_bench(target: &BenchTarget, n: u64, warmup_n: u64) -> Result<Value> {
    let transport = target.transport()?;
    let client = RpcClient::new(&transport, Target::topic(&target.topic)).with_timeout(Duration::from_secs(30));
    for _ in 0..warmup_n {
        client.cast_raw(Map::new(), "cast_echo", args()).await?;
    }
    wait_for_casts(&client, warmup_n).await?;
    client.call_raw(Map::new(), "cast_reset", Map::new()).await?;
    let start_wall = wall_clock();
    let started = Instant::now();
    let mut errors = 0u64;
    for _ in 0..n {
        if client.cast_raw(Map::new(), "cast_echo", args()).await.is_err() {
            errors += 1;
        }
    }
    let send_s = started.elapsed().as_secs_f64();
    let stats = wait_for_casts(&client, n - errors).await?;
    transport.shutdown().await;
    let last = stats["last"].as_f64().unwrap_or(start_wall);
    let recv_s = (last - start_wall).max(f64::EPSILON);
    Ok(json!({
        "impl": "rust", "mode": "cast", "n": n, "errors": errors,
        "sent_per_s": round3(n as f64 / send_s),
        "throughput": round3(n as f64 / recv_s),
        "seconds": round3(recv_s),
    }))
}

/// Polls the server's cast counter until it reaches `n` (60 s at most).
async fn wait_for_casts(client: &RpcClient, n: u64) -> Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let stats = client.call_raw(Map::new(), "cast_stats", Map::new()).await?;
        if stats["count"].as_u64().unwrap_or(0) >= n {
            return Ok(stats);
        }
        if Instant::now() > deadline {
            bail!("the server saw only {} of {n} casts", stats["count"]);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
