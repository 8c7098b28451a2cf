//! The live engines, over the RPC broker the engines already share (instead of Sahara's tooz
//! group): every member serves the `sahara-periodic` topic under its own server name (its
//! member id) and fanout-casts `heartbeat(member_id)` to all servers of the topic every
//! `coordinator_heartbeat_interval`. A member not heard from for
//! [`DEAD_AFTER_INTERVALS`] intervals is dead.
//!
//! A member always counts itself. It also hears its own heartbeats back through the broker;
//! while they do not come back it is cut off from the others ([`Members::is_connected`] is
//! false), which is Sahara's "coordination backend unreachable": the scheduler then handles
//! nothing rather than everything.

use sahara_rpc::{Endpoint, RemoteError, RequestContext, RpcClient, RpcServer, Target, Transport};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::Instant;
use tracing::Instrument;

/// The topic the members' heartbeats go over.
pub const TOPIC: &str = "sahara-periodic";
/// The endpoint version of the heartbeat topic.
pub const VERSION: &str = "1.0";
/// A member not heard from for this many heartbeat intervals is dead.
pub const DEAD_AFTER_INTERVALS: u32 = 3;
/// Members silent for this many dead-after periods are forgotten altogether.
const FORGET_AFTER_PERIODS: u32 = 20;

/// `heartbeat(member_id)`'s arguments.
#[derive(Debug, Serialize, Deserialize)]
struct HeartbeatArgs {
    member_id: String,
}

/// What one member knows of the others: when each was last heard from.
#[derive(Debug, Clone)]
pub struct Members {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    member_id: String,
    interval: Duration,
    joined: Instant,
    heard: Mutex<HashMap<String, Instant>>,
}

impl Members {
    /// The view of `member_id`, which heartbeats every `interval`, joining now.
    pub fn new(member_id: impl Into<String>, interval: Duration) -> Self {
        Members {
            inner: Arc::new(Inner {
                member_id: member_id.into(),
                interval,
                joined: Instant::now(),
                heard: Mutex::default(),
            }),
        }
    }

    /// This member's id.
    pub fn member_id(&self) -> &str {
        &self.inner.member_id
    }

    /// The heartbeat interval.
    pub fn interval(&self) -> Duration {
        self.inner.interval
    }

    /// How long a member may stay silent before it counts as dead.
    pub fn dead_after(&self) -> Duration {
        self.inner.interval * DEAD_AFTER_INTERVALS
    }

    fn heard(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.inner.heard.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a heartbeat of `member_id` received at `at`.
    pub fn record_heartbeat(&self, member_id: &str, at: Instant) {
        let mut heard = self.heard();
        let forget = self.dead_after() * FORGET_AFTER_PERIODS;
        heard.retain(|_, t| at.saturating_duration_since(*t) < forget);
        let last = heard.entry(member_id.to_string()).or_insert(at);
        *last = (*last).max(at);
    }

    /// The live members now, sorted; always including this one.
    pub fn live(&self) -> Vec<String> {
        self.live_at(Instant::now())
    }

    /// The live members at `now`: this one and those heard from within [`Members::dead_after`].
    pub fn live_at(&self, now: Instant) -> Vec<String> {
        let dead_after = self.dead_after();
        let mut live: Vec<String> = self
            .heard()
            .iter()
            .filter(|(_, t)| now.saturating_duration_since(**t) < dead_after)
            .map(|(m, _)| m.clone())
            .collect();
        live.push(self.inner.member_id.clone());
        live.sort();
        live.dedup();
        live
    }

    /// Whether this member's own heartbeat came back through the broker within
    /// [`Members::dead_after`] of `now`, i.e. the others can hear it and it can hear them.
    pub fn is_connected_at(&self, now: Instant) -> bool {
        self.heard()
            .get(&self.inner.member_id)
            .is_some_and(|t| now.saturating_duration_since(*t) < self.dead_after())
    }

    /// [`Members::is_connected_at`] now.
    pub fn is_connected(&self) -> bool {
        self.is_connected_at(Instant::now())
    }

    /// Whether the view can be trusted at `now`: connected, and joined at least
    /// [`Members::dead_after`] ago, so that every live member has been heard from and has
    /// heard this one. Before that, this member would take the others' objects as its own.
    pub fn is_settled_at(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.inner.joined) >= self.dead_after() && self.is_connected_at(now)
    }

    /// [`Members::is_settled_at`] now.
    pub fn is_settled(&self) -> bool {
        self.is_settled_at(Instant::now())
    }
}

/// A member taking part: serving the heartbeat topic and sending its heartbeats.
pub struct Membership {
    members: Members,
    server: RpcServer,
    beat: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Membership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Membership")
            .field("member_id", &self.members.member_id())
            .finish_non_exhaustive()
    }
}

impl Membership {
    /// Joins the members heartbeating on `topic` of `transport` as `member_id` (also the
    /// server name of the heartbeat topic), heartbeating every `interval` from now on.
    pub async fn join(
        transport: &Transport,
        topic: &str,
        member_id: &str,
        interval: Duration,
    ) -> sahara_rpc::Result<Membership> {
        let interval = interval.max(Duration::from_millis(10));
        let members = Members::new(member_id, interval);
        let heard = members.clone();
        let endpoint = Endpoint::new()
            .with_version(VERSION)
            .method("heartbeat", move |_ctx, a: HeartbeatArgs| {
                heard.record_heartbeat(&a.member_id, Instant::now());
                async { Ok::<_, RemoteError>(Value::Null) }
            });
        let server = RpcServer::start(transport, Target::topic(topic).with_server(member_id), vec![endpoint]).await?;
        let client = RpcClient::new(transport, Target::topic(topic).with_fanout(true).with_version(VERSION));
        let (stop, stopped) = watch::channel(false);
        let span = tracing::info_span!("periodic.heartbeat", member_id = %member_id, topic = %topic);
        let beat = tokio::spawn(heartbeat(client, member_id.to_string(), interval, stopped).instrument(span));
        tracing::info!(member_id = %member_id, topic = %topic, interval_ms = interval.as_millis() as u64,
            "joined the periodic tasks' members");
        Ok(Membership {
            members,
            server,
            beat,
            stop,
        })
    }

    /// The member's view of the live members.
    pub fn members(&self) -> &Members {
        &self.members
    }

    /// Stops heartbeating and serving the topic: the others drop this member once it has
    /// been silent for [`DEAD_AFTER_INTERVALS`] intervals.
    pub async fn leave(self) {
        let _ = self.stop.send(true);
        let _ = self.beat.await;
        self.server.stop().await;
        tracing::info!(member_id = %self.members.member_id(), "left the periodic tasks' members");
    }
}

/// Casts `heartbeat(member_id)` to every member, now and every `interval`, until stopped. A
/// heartbeat that cannot be sent within an interval is given up (the broker is away); the
/// next one tries again.
async fn heartbeat(client: RpcClient, member_id: String, interval: Duration, mut stopped: watch::Receiver<bool>) {
    let ctx = RequestContext::admin();
    let args = HeartbeatArgs {
        member_id: member_id.clone(),
    };
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut failing = false;
    loop {
        tokio::select! {
            _ = ticker.tick() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        let sent = tokio::select! {
            r = tokio::time::timeout(interval, client.cast(&ctx, "heartbeat", &args)) => r,
            _ = stopped.wait_for(|s| *s) => return,
        };
        match sent {
            Ok(Ok(())) => {
                if failing {
                    tracing::info!("heartbeats are sent again");
                }
                failing = false;
            }
            Ok(Err(e)) if !failing => {
                tracing::warn!(error = %e, "heartbeat not sent");
                failing = true;
            }
            Err(_) if !failing => {
                tracing::warn!("heartbeat not sent within an interval");
                failing = true;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_heard_recently_are_live_and_silent_ones_dead() {
        let m = Members::new("b", Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(m.live_at(t0), vec!["b"], "a member always counts itself");
        m.record_heartbeat("c", t0);
        m.record_heartbeat("a", t0 + Duration::from_secs(2));
        assert_eq!(m.live_at(t0 + Duration::from_secs(2)), vec!["a", "b", "c"]);
        // c has been silent for 3 intervals: dead; a for 1.5: alive.
        assert_eq!(m.live_at(t0 + Duration::from_millis(3500)), vec!["a", "b"]);
        m.record_heartbeat("c", t0 + Duration::from_secs(4));
        assert_eq!(m.live_at(t0 + Duration::from_millis(4500)), vec!["a", "b", "c"]);
        // An older heartbeat arriving late does not make a member look older.
        m.record_heartbeat("c", t0);
        assert_eq!(m.live_at(t0 + Duration::from_millis(4500)), vec!["a", "b", "c"]);
    }

    #[test]
    fn a_member_is_connected_while_its_own_heartbeats_come_back_and_settled_after_three_intervals() {
        let m = Members::new("me", Duration::from_secs(1));
        let t0 = Instant::now();
        assert!(!m.is_connected_at(t0) && !m.is_settled_at(t0));
        m.record_heartbeat("me", t0);
        assert!(m.is_connected_at(t0) && !m.is_settled_at(t0));
        m.record_heartbeat("me", t0 + Duration::from_secs(3));
        assert!(m.is_settled_at(t0 + Duration::from_secs(3)));
        assert!(
            !m.is_connected_at(t0 + Duration::from_secs(6)),
            "own heartbeats stopped coming back"
        );
        assert_eq!(m.live_at(t0 + Duration::from_secs(6)), vec!["me"]);
    }

    #[test]
    fn long_gone_members_are_forgotten() {
        let m = Members::new("me", Duration::from_secs(1));
        let t0 = Instant::now();
        m.record_heartbeat("old", t0);
        m.record_heartbeat("me", t0 + Duration::from_secs(3600));
        assert!(!m.heard().contains_key("old"));
    }
}
