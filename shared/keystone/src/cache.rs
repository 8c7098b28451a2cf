//! The in-process token cache: validated tokens for `token_cache_time` but never past their
//! `expires_at`, refused tokens for a short while, keyed by the SHA-256 of the token (the token
//! itself is never kept as a key), bounded in size.

use crate::clock::Clock;
use crate::token::ValidatedToken;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// How long a refused token stays refused without asking Keystone again (capped by
/// `token_cache_time`). A token Keystone does not know cannot become valid later.
pub const NEGATIVE_TTL_SECS: i64 = 10;

/// The default bound on the number of cached tokens.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// A cache key: the SHA-256 of a token.
pub type CacheKey = [u8; 32];

/// The cache key of `token`.
pub fn cache_key(token: &str) -> CacheKey {
    Sha256::digest(token.as_bytes()).into()
}

/// Hex of the first bytes of a key: how logs may name a token.
pub fn key_tag(key: &CacheKey) -> String {
    key[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// What the cache knows of a token.
#[derive(Debug, Clone)]
pub enum Cached {
    /// Keystone confirmed it.
    Valid(Arc<ValidatedToken>),
    /// Keystone refused it.
    Invalid,
}

#[derive(Debug)]
struct Entry {
    value: Cached,
    until: DateTime<Utc>,
}

/// Validated and refused tokens, each until its entry's lifetime ends.
#[derive(Debug)]
pub struct TokenCache {
    clock: Arc<dyn Clock>,
    ttl: Option<Duration>,
    capacity: usize,
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl TokenCache {
    /// A cache keeping entries for `token_cache_time` seconds (`<= 0`: no caching, as
    /// keystonemiddleware's `-1`), at most `capacity` of them.
    pub fn new(clock: Arc<dyn Clock>, token_cache_time: i64, capacity: usize) -> Self {
        TokenCache {
            clock,
            ttl: (token_cache_time > 0).then(|| Duration::seconds(token_cache_time)),
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<CacheKey, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is known of the token with `key`, if its entry is still alive (and, for a valid one,
    /// the token has not expired).
    pub fn get(&self, key: &CacheKey) -> Option<Cached> {
        let now = self.clock.now();
        let mut entries = self.entries();
        match entries.get(key) {
            Some(e) if now < e.until => match &e.value {
                Cached::Valid(t) if !t.is_valid_at(now) => {
                    entries.remove(key);
                    None
                }
                v => Some(v.clone()),
            },
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Remembers a confirmed token until `token_cache_time` passes or it expires, whichever is first.
    pub fn put_valid(&self, key: CacheKey, token: Arc<ValidatedToken>) {
        let Some(ttl) = self.ttl else { return };
        let until = (self.clock.now() + ttl).min(token.expires_at);
        self.insert(
            key,
            Entry {
                value: Cached::Valid(token),
                until,
            },
        );
    }

    /// Remembers a refused token for [`NEGATIVE_TTL_SECS`] (at most `token_cache_time`).
    pub fn put_invalid(&self, key: CacheKey) {
        let Some(ttl) = self.ttl else { return };
        let until = self.clock.now() + ttl.min(Duration::seconds(NEGATIVE_TTL_SECS));
        self.insert(
            key,
            Entry {
                value: Cached::Invalid,
                until,
            },
        );
    }

    fn insert(&self, key: CacheKey, entry: Entry) {
        let now = self.clock.now();
        if entry.until <= now {
            return;
        }
        let mut entries = self.entries();
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| now < e.until);
            if entries.len() >= self.capacity
                && let Some(soonest) = entries.iter().min_by_key(|(_, e)| e.until).map(|(k, _)| *k)
            {
                entries.remove(&soonest);
            }
        }
        entries.insert(key, entry);
    }

    /// Forgets the token with `key`.
    pub fn remove(&self, key: &CacheKey) {
        self.entries().remove(key);
    }

    /// How many entries are held (alive or not yet swept).
    pub fn len(&self) -> usize {
        self.entries().len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::TimeZone;

    fn token(expires_at: DateTime<Utc>) -> Arc<ValidatedToken> {
        let body = serde_json::json!({"token": {"expires_at": expires_at.to_rfc3339(),
            "user": {"id": "u", "name": "n"}, "roles": []}});
        Arc::new(ValidatedToken::from_keystone_body(body.to_string().as_bytes()).unwrap())
    }

    fn setup(ttl: i64, capacity: usize) -> (Arc<ManualClock>, TokenCache) {
        let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()));
        (clock.clone(), TokenCache::new(clock, ttl, capacity))
    }

    #[test]
    fn valid_tokens_live_for_token_cache_time() {
        let (clock, cache) = setup(300, 10);
        let k = cache_key("tok");
        cache.put_valid(k, token(clock.now() + Duration::hours(1)));
        clock.advance(Duration::seconds(299));
        assert!(matches!(cache.get(&k), Some(Cached::Valid(_))));
        clock.advance(Duration::seconds(1));
        assert!(cache.get(&k).is_none());
        assert!(cache.is_empty());
    }

    #[test]
    fn the_cache_never_outlives_expires_at() {
        let (clock, cache) = setup(300, 10);
        let k = cache_key("tok");
        cache.put_valid(k, token(clock.now() + Duration::seconds(30)));
        clock.advance(Duration::seconds(29));
        assert!(cache.get(&k).is_some());
        clock.advance(Duration::seconds(1));
        assert!(
            cache.get(&k).is_none(),
            "a token expired 0 s ago is not served from the cache"
        );
        // A token already expired is not cached at all.
        cache.put_valid(k, token(clock.now()));
        assert!(cache.is_empty());
    }

    #[test]
    fn refused_tokens_are_remembered_briefly() {
        let (clock, cache) = setup(300, 10);
        let k = cache_key("garbage");
        cache.put_invalid(k);
        clock.advance(Duration::seconds(NEGATIVE_TTL_SECS - 1));
        assert!(matches!(cache.get(&k), Some(Cached::Invalid)));
        clock.advance(Duration::seconds(1));
        assert!(cache.get(&k).is_none());
        let (clock, cache) = setup(2, 10);
        cache.put_invalid(k);
        clock.advance(Duration::seconds(2));
        assert!(cache.get(&k).is_none(), "capped by token_cache_time");
    }

    #[test]
    fn no_caching_with_token_cache_time_minus_one() {
        let (clock, cache) = setup(-1, 10);
        cache.put_valid(cache_key("a"), token(clock.now() + Duration::hours(1)));
        cache.put_invalid(cache_key("b"));
        assert!(cache.is_empty());
    }

    #[test]
    fn bounded_evicting_the_soonest_to_end() {
        let (clock, cache) = setup(300, 3);
        for (i, secs) in [(0, 100), (1, 50), (2, 200)] {
            cache.put_valid(cache_key(&i.to_string()), token(clock.now() + Duration::seconds(secs)));
        }
        cache.put_valid(cache_key("3"), token(clock.now() + Duration::seconds(250)));
        assert_eq!(cache.len(), 3);
        assert!(cache.get(&cache_key("1")).is_none(), "the one ending soonest went");
        assert!(cache.get(&cache_key("0")).is_some());
        assert!(cache.get(&cache_key("3")).is_some());
    }

    #[test]
    fn keys_are_digests() {
        let k = cache_key("secret-token");
        assert_eq!(key_tag(&k).len(), 12);
        assert!(!key_tag(&k).contains("secret"));
    }
}
