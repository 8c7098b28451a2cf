//! A short-lived copy of the plugin label states that the plugin GETs show.
//!
//! Sahara reads a plugin's stored label states (`plugin_get`) on every `GET /plugins...`; that one
//! database read is most of what a plugin list costs. This process keeps what it read for
//! [`FRESH_FOR`], per caller scope (project and admin flag, which decide the row the conductor
//! finds) and plugin. A `PATCH /plugins/{name}` through this process forgets the plugin's states at
//! once; one through another API process is seen here within [`FRESH_FOR`] (a conscious divergence,
//! as for policy files). Only the GETs use it: cluster and template checks and the label update
//! itself always read the stored states.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a read of a plugin's label states answers GETs in this process.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// At most this many (scope, plugin) entries are kept; past it, stale ones go, then all.
const MAX_ENTRIES: usize = 4096;

/// Whose view of a plugin's states an entry holds: the caller's project, whether the caller is an
/// admin (an admin's read is not restricted to a project), and the plugin's name.
type Key = (Option<String>, bool, &'static str);

/// One read: when, and what.
#[derive(Debug)]
struct Entry {
    read_at: Instant,
    details: Arc<Map<String, Value>>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// Bumped by every [`LabelCache::forget`]: a read that began before a forget is not kept.
    generation: u64,
}

/// The label states read for GETs, each kept for a fixed time (see the module's documentation).
#[derive(Debug)]
pub struct LabelCache {
    fresh_for: Duration,
    inner: Mutex<Inner>,
}

/// A read about to be made: where its result goes and the generation it started in.
#[derive(Debug)]
pub struct Pending {
    key: Key,
    generation: u64,
}

impl Default for LabelCache {
    fn default() -> Self {
        LabelCache::new(FRESH_FOR)
    }
}

impl LabelCache {
    /// A cache keeping each read for `fresh_for` (zero: nothing is kept).
    pub fn new(fresh_for: Duration) -> Self {
        LabelCache {
            fresh_for,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the map inconsistent: take it back.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The states of `plugin` read for `(project, is_admin)` within [`FRESH_FOR`], or the ticket to
    /// [`LabelCache::keep`] a new read under.
    pub fn get(
        &self,
        project: Option<&str>,
        is_admin: bool,
        plugin: &'static str,
    ) -> Result<Arc<Map<String, Value>>, Pending> {
        let key = (project.map(str::to_string), is_admin, plugin);
        let inner = self.lock();
        match inner.entries.get(&key) {
            Some(e) if e.read_at.elapsed() < self.fresh_for => Ok(e.details.clone()),
            _ => Err(Pending {
                key,
                generation: inner.generation,
            }),
        }
    }

    /// Keeps `details`, read after `pending` was handed out, unless the plugin's states were
    /// forgotten since.
    pub fn keep(&self, pending: Pending, details: Arc<Map<String, Value>>) {
        if self.fresh_for.is_zero() {
            return;
        }
        let mut inner = self.lock();
        if inner.generation != pending.generation {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            let fresh_for = self.fresh_for;
            inner.entries.retain(|_, e| e.read_at.elapsed() < fresh_for);
            if inner.entries.len() >= MAX_ENTRIES {
                inner.entries.clear();
            }
        }
        inner.entries.insert(
            pending.key,
            Entry {
                read_at: Instant::now(),
                details,
            },
        );
    }

    /// Forgets every scope's states of `plugin` (after this process changed them).
    pub fn forget(&self, plugin: &str) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.retain(|(_, _, name), _| *name != plugin);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn states(enabled: bool) -> Arc<Map<String, Value>> {
        let v = json!({"plugin_labels": {"enabled": {"status": enabled}}});
        Arc::new(v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn a_read_answers_its_own_scope_until_it_is_stale() {
        let cache = LabelCache::new(Duration::from_millis(200));
        let pending = cache.get(Some("p1"), false, "fake").expect_err("empty cache");
        cache.keep(pending, states(true));
        assert_eq!(cache.get(Some("p1"), false, "fake").ok(), Some(states(true)));
        // Another project, an admin of the same project, another plugin: not this read.
        assert!(cache.get(Some("p2"), false, "fake").is_err());
        assert!(cache.get(Some("p1"), true, "fake").is_err());
        assert!(cache.get(Some("p1"), false, "vanilla").is_err());
        std::thread::sleep(Duration::from_millis(250));
        assert!(cache.get(Some("p1"), false, "fake").is_err(), "stale entry answered");
    }

    #[test]
    fn forgetting_a_plugin_drops_it_and_reads_begun_before() {
        let cache = LabelCache::new(Duration::from_secs(60));
        let p1 = cache.get(Some("p1"), false, "fake").expect_err("empty cache");
        cache.keep(p1, states(true));
        let other = cache.get(None, true, "vanilla").expect_err("empty cache");
        cache.keep(other, states(true));
        // A read racing with an update: begun before the forget, it must not be kept.
        let racing = cache.get(Some("p2"), false, "fake").expect_err("not read yet");
        cache.forget("fake");
        cache.keep(racing, states(true));
        assert!(cache.get(Some("p1"), false, "fake").is_err());
        assert!(cache.get(Some("p2"), false, "fake").is_err());
        assert_eq!(cache.get(None, true, "vanilla").ok(), Some(states(true)));
        // A read begun after the forget is kept.
        let after = cache.get(Some("p1"), false, "fake").expect_err("forgotten");
        cache.keep(after, states(false));
        assert_eq!(cache.get(Some("p1"), false, "fake").ok(), Some(states(false)));
    }

    #[test]
    fn zero_keeps_nothing_and_the_size_is_bounded() {
        let off = LabelCache::new(Duration::ZERO);
        let p = off.get(None, false, "fake").expect_err("empty");
        off.keep(p, states(true));
        assert!(off.get(None, false, "fake").is_err());

        let cache = LabelCache::new(Duration::from_secs(60));
        for i in 0..MAX_ENTRIES + 10 {
            let p = cache.get(Some(&format!("p{i}")), false, "fake").expect_err("new");
            cache.keep(p, states(true));
        }
        assert!(cache.lock().entries.len() <= MAX_ENTRIES);
        let last = format!("p{}", MAX_ENTRIES + 9);
        assert!(
            cache.get(Some(&last), false, "fake").is_ok(),
            "the newest read was dropped"
        );
    }
}
