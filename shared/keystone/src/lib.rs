//! Keystone authentication for the API, as keystonemiddleware's `auth_token` does it with
//! `[keystone_authtoken]`: the service user's own token ([`ServiceAuth`]), user tokens validated
//! against Keystone with it and cached in process ([`TokenValidator`]), the identity they carry
//! ([`ValidatedToken`], with the headers keystonemiddleware hands on), and the `401`/`503`
//! answers ([`AuthError::response_parts`]).
//!
//! The cache is always in process: `memcached_servers` and the `memcache_*` options are read but
//! not used (each API process validates a token once per `token_cache_time`).

pub mod cache;
pub mod clock;
pub mod error;
pub mod service;
pub mod token;
pub mod validator;

pub use cache::TokenCache;
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{AuthError, ResponseParts};
pub use service::ServiceAuth;
pub use token::{ValidatedToken, normalize_catalog};
pub use validator::TokenValidator;

/// The request headers keystonemiddleware removes before authenticating, so that clients cannot
/// forge an identity (lower case, as `http` header names are compared).
pub fn identity_header_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "x-service-catalog",
        "x-identity-status",
        "x-service-identity-status",
        "x-is-admin-project",
        "openstack-system-scope",
        "x-role",
        "x-user",
        "x-tenant-id",
        "x-tenant-name",
        "x-tenant",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for prefix in ["", "-service"] {
        for tail in [
            "domain-id",
            "domain-name",
            "project-id",
            "project-name",
            "project-domain-id",
            "project-domain-name",
            "user-id",
            "user-name",
            "user-domain-id",
            "user-domain-name",
            "roles",
        ] {
            names.push(format!("x{prefix}-{tail}"));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn identity_headers_cover_users_services_and_deprecated_names() {
        let names = super::identity_header_names();
        for n in [
            "x-user-id",
            "x-roles",
            "x-service-roles",
            "x-tenant-id",
            "x-service-catalog",
            "x-identity-status",
        ] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
        assert!(!names.iter().any(|x| x == "x-auth-token"));
    }
}
