//! Closed-loop load generation and the result line every benchmark client prints.
//!
//! All three implementations (ours, Python oslo.messaging, raw lapin) measure the same
//! way: `callers` loops each issue one request at a time; a request counts when it both
//! starts after the warm-up and completes before the end of the measured window.
//! Throughput is that count over the window; percentiles are nearest-rank over the
//! sorted latencies.

use serde_json::{Value, json};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Latencies recorded in the measured window and the number of failed requests.
#[derive(Debug, Default, Clone)]
pub struct Samples {
    /// Round-trip times of requests inside the window.
    pub latencies: Vec<Duration>,
    /// Requests that failed at any time (warm-up included).
    pub errors: u64,
}

/// The summary of one measured run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// Requests completed in the window.
    pub count: u64,
    /// Failed requests.
    pub errors: u64,
    /// Length of the measured window, seconds.
    pub seconds: f64,
    /// Completed requests per second.
    pub throughput: f64,
    /// Median latency, milliseconds.
    pub p50_ms: f64,
    /// 99th percentile latency, milliseconds.
    pub p99_ms: f64,
    /// Slowest request, milliseconds.
    pub max_ms: f64,
}

/// Nearest-rank percentile (`q` in 0..=1) of sorted values; zero when empty.
pub fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

impl Summary {
    /// Summarizes the samples of a window `seconds` long.
    pub fn new(mut samples: Samples, seconds: f64) -> Summary {
        samples.latencies.sort_unstable();
        let l = &samples.latencies;
        let count = l.len() as u64;
        Summary {
            count,
            errors: samples.errors,
            seconds,
            throughput: if seconds > 0.0 { count as f64 / seconds } else { 0.0 },
            p50_ms: ms(percentile(l, 0.50)),
            p99_ms: ms(percentile(l, 0.99)),
            max_ms: ms(l.last().copied().unwrap_or_default()),
        }
    }

    /// The JSON fields shared by every call result line.
    pub fn to_json(&self) -> Value {
        json!({
            "count": self.count,
            "errors": self.errors,
            "seconds": self.seconds,
            "throughput": round3(self.throughput),
            "p50_ms": round3(self.p50_ms),
            "p99_ms": round3(self.p99_ms),
            "max_ms": round3(self.max_ms),
        })
    }
}

/// Rounds to three decimals for readable output.
pub fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Runs `callers` closed loops of `request` for `warmup` then `run`, and collects the
/// latencies of requests inside the measured window. Each loop runs in its own task on
/// the current runtime, as concurrent callers of one shared client would.
pub async fn drive<F, Fut, E>(callers: usize, warmup: Duration, run: Duration, request: F) -> Samples
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    let start = Instant::now() + warmup;
    let end = start + run;
    let errors = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(std::sync::Mutex::new(None::<String>));
    let mut tasks = Vec::with_capacity(callers);
    for _ in 0..callers.max(1) {
        let request = request.clone();
        let errors = errors.clone();
        let first_error = first_error.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::with_capacity(16 * 1024);
            loop {
                let t0 = Instant::now();
                if t0 >= end {
                    break;
                }
                match request().await {
                    Ok(()) => {
                        let t1 = Instant::now();
                        if t0 >= start && t1 <= end {
                            mine.push(t1 - t0);
                        }
                    }
                    Err(e) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        first_error
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .get_or_insert_with(|| e.to_string());
                    }
                }
            }
            mine
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        if let Ok(mine) = t.await {
            latencies.extend(mine);
        }
    }
    if let Some(e) = first_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
        eprintln!("first request error: {e}");
    }
    Samples {
        latencies,
        errors: errors.load(Ordering::Relaxed),
    }
}

/// Seconds since the Unix epoch; comparable between processes on one machine.
pub fn wall_clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

/// CPU seconds (user + system) this process has used so far, from `/proc/self/stat`
/// (Linux reports it in USER_HZ = 100 ticks per second).
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Adds this process's CPU seconds and lifetime (`started` = when `main` began) to a result line.
pub fn with_process_usage(mut line: Value, started: Instant) -> Value {
    if let Value::Object(m) = &mut line {
        m.insert("cpu_s".into(), json!(process_cpu_seconds().map(round3)));
        m.insert("wall_s".into(), json!(round3(started.elapsed().as_secs_f64())));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 0.5), Duration::from_millis(50));
        assert_eq!(percentile(&v, 0.99), Duration::from_millis(99));
        assert_eq!(percentile(&v, 1.0), Duration::from_millis(100));
        assert_eq!(percentile(&v[..1], 0.99), Duration::from_millis(1));
        assert_eq!(percentile(&[], 0.5), Duration::ZERO);
    }

    #[test]
    fn summary_counts_the_window() {
        let s = Summary::new(
            Samples {
                latencies: vec![
                    Duration::from_millis(3),
                    Duration::from_millis(1),
                    Duration::from_millis(2),
                ],
                errors: 1,
            },
            2.0,
        );
        assert_eq!(
            (s.count, s.errors, s.throughput, s.p50_ms, s.max_ms),
            (3, 1, 1.5, 2.0, 3.0)
        );
    }

    #[test]
    fn cpu_time_is_readable() {
        assert!(process_cpu_seconds().is_some());
    }
}
