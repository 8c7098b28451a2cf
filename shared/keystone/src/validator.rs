//! User token validation: `GET /v3/auth/tokens` with the service token, answers cached, one
//! request per token however many requests carry it at once.

use crate::cache::{CacheKey, Cached, DEFAULT_CAPACITY, TokenCache, cache_key, key_tag};
use crate::clock::{Clock, SystemClock};
use crate::error::AuthError;
use crate::service::{ServiceAuth, send_with_retries, tokens_url};
use crate::token::ValidatedToken;
use sahara_config::KeystoneAuthtokenOpts;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;
use tracing::Instrument;

type Outcome = Result<Arc<ValidatedToken>, AuthError>;

/// Validates user tokens against Keystone, as keystonemiddleware's auth_token does.
#[derive(Debug)]
pub struct TokenValidator {
    service: ServiceAuth,
    cache: TokenCache,
    clock: Arc<dyn Clock>,
    include_catalog: bool,
    www_authenticate_uri: Option<String>,
    inflight: Mutex<HashMap<CacheKey, Arc<OnceCell<Outcome>>>>,
    keystone_requests: AtomicU64,
}

impl TokenValidator {
    /// The validator `[keystone_authtoken]` describes, on the system clock.
    pub fn from_opts(opts: &KeystoneAuthtokenOpts) -> Result<Self, AuthError> {
        Self::with_clock(opts, Arc::new(SystemClock))
    }

    /// The same on `clock`.
    pub fn with_clock(opts: &KeystoneAuthtokenOpts, clock: Arc<dyn Clock>) -> Result<Self, AuthError> {
        if opts.memcached_servers.as_ref().is_some_and(|s| !s.is_empty()) {
            tracing::info!("[keystone_authtoken] memcached_servers is not used: tokens are cached in process");
        }
        Ok(TokenValidator {
            service: ServiceAuth::new(opts, clock.clone())?,
            cache: TokenCache::new(clock.clone(), opts.token_cache_time, DEFAULT_CAPACITY),
            clock,
            include_catalog: opts.include_service_catalog,
            www_authenticate_uri: opts.www_authenticate_uri.clone().filter(|u| !u.is_empty()),
            inflight: Mutex::new(HashMap::new()),
            keystone_requests: AtomicU64::new(0),
        })
    }

    /// The service user's authentication.
    pub fn service(&self) -> &ServiceAuth {
        &self.service
    }

    /// The token cache.
    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// `include_service_catalog`: whether `X-Service-Catalog` is handed on.
    pub fn include_service_catalog(&self) -> bool {
        self.include_catalog
    }

    /// How many validation requests were sent to Keystone.
    pub fn keystone_requests(&self) -> u64 {
        self.keystone_requests.load(Ordering::Relaxed)
    }

    /// Where clients authenticate: `www_authenticate_uri`, else the public identity endpoint of the
    /// service token's catalog, else `auth_url`.
    pub fn www_authenticate_uri(&self) -> String {
        self.www_authenticate_uri
            .clone()
            .or_else(|| self.service.public_identity_endpoint())
            .or_else(|| self.service.auth_url().map(str::to_string))
            .unwrap_or_default()
    }

    /// A `401` for this deployment.
    pub fn unauthorized(&self, reason: &str) -> AuthError {
        AuthError::unauthorized(reason, &self.www_authenticate_uri())
    }

    /// The identity `user_token` carries, from the cache or from Keystone.
    pub async fn validate(&self, user_token: &str) -> Outcome {
        // keystonemiddleware strips whitespace around the token (bug 1689468).
        let token = user_token.trim();
        if token.is_empty() {
            return Err(self.unauthorized("no token"));
        }
        let key = cache_key(token);
        if let Some(hit) = self.cached(&key) {
            return hit;
        }
        let cell = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|e| e.into_inner());
            // Re-checked under the lock: a validation that just ended filled the cache before
            // leaving the map.
            if let Some(hit) = self.cached(&key) {
                return hit;
            }
            inflight.entry(key).or_default().clone()
        };
        cell.get_or_init(|| async {
            let outcome = self
                .fetch(token, &key)
                .instrument(tracing::info_span!("keystone.validate_token", token = %key_tag(&key)))
                .await;
            match &outcome {
                Ok(t) => self.cache.put_valid(key, t.clone()),
                Err(AuthError::Unauthorized { .. }) => self.cache.put_invalid(key),
                Err(_) => {}
            }
            self.inflight.lock().unwrap_or_else(|e| e.into_inner()).remove(&key);
            outcome
        })
        .await
        .clone()
    }

    fn cached(&self, key: &CacheKey) -> Option<Outcome> {
        match self.cache.get(key)? {
            Cached::Valid(t) => Some(Ok(t)),
            Cached::Invalid => Some(Err(self.unauthorized("token refused by Keystone (cached)"))),
        }
    }

    async fn fetch(&self, token: &str, key: &CacheKey) -> Outcome {
        let mut retried = false;
        loop {
            let service = self.service.token().await?;
            let base = self
                .service
                .identity_url(&service)
                .ok_or_else(|| AuthError::Unavailable("no identity endpoint".into()))?;
            let mut url = tokens_url(&base);
            if !self.include_catalog {
                url.push_str("?nocatalog");
            }
            self.keystone_requests.fetch_add(1, Ordering::Relaxed);
            let resp = send_with_retries(self.service.retries(), || {
                self.service
                    .http()
                    .get(&url)
                    .header("X-Auth-Token", &service.token)
                    .header("X-Subject-Token", token)
                    .header("Accept", "application/json")
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "Unable to validate token");
                AuthError::Unavailable(format!("token validation at {url}: {e}"))
            })?;
            let status = resp.status().as_u16();
            match status {
                200 => {
                    let body = resp
                        .bytes()
                        .await
                        .map_err(|e| AuthError::Unavailable(format!("token validation body: {e}")))?;
                    let t = ValidatedToken::from_keystone_body(&body).map_err(|e| {
                        tracing::warn!(token = %key_tag(key), "Invalid token contents: {e}");
                        self.unauthorized("invalid token contents")
                    })?;
                    if !t.is_valid_at(self.clock.now()) {
                        return Err(self.unauthorized("token expired"));
                    }
                    return Ok(Arc::new(t));
                }
                404 => {
                    tracing::warn!(token = %key_tag(key), "Authorization failed for token");
                    return Err(self.unauthorized("token not found by Keystone"));
                }
                401 if !retried => {
                    // The service token was refused (revoked, expired early): authenticate again, once.
                    retried = true;
                    self.service.invalidate(&service.token).await;
                }
                401 => {
                    tracing::error!("Identity server rejected authorization necessary to fetch token data");
                    return Err(AuthError::Unavailable(
                        "Identity server rejected authorization necessary to fetch token data".into(),
                    ));
                }
                other => {
                    tracing::error!(status = other, "Bad response code while validating token");
                    return Err(AuthError::Unavailable(format!("token validation answered {other}")));
                }
            }
        }
    }
}
