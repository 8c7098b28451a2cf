//! The typed option groups: one struct per concern, each declared once with `opt_group!`;
//! [`ALL_GROUPS`] lists their declarations in registry (and sample) order.

mod library;
mod logging;
mod messaging;
mod ours;
mod sahara;

pub use library::{
    ConcurrencyOpts, CorsOpts, DatabaseOpts, HealthcheckOpts, KeystoneAuthtokenOpts, MiddlewareOpts, PeriodicTaskOpts,
    PolicyOpts, SslOpts, WsgiOpts,
};
pub use logging::LoggingOpts;
pub use messaging::{MessagingOpts, NotificationOpts, RabbitOpts};
pub use ours::{AuthStrategyOpts, ProfilerOpts};
pub use sahara::{
    CastellanOpts, CinderOpts, ClusterVerificationOpts, ConductorOpts, GlanceOpts, HeatOpts, KeystoneClientOpts,
    ManilaOpts, NeutronOpts, NovaOpts, ObjectStoreAccessOpts, RetryOpts, SaharaApiOpts, SaharaEdpOpts,
    SaharaNetworkingOpts, SaharaPeriodicOpts, SaharaRemoteOpts, SaharaServiceOpts, SwiftOpts, TimeoutOpts, TrusteeOpts,
};

use crate::spec::OptSpec;

/// The declarations of every group struct, in registry order.
pub const ALL_GROUPS: &[&[OptSpec]] = &[
    SaharaApiOpts::SPECS,
    SaharaEdpOpts::SPECS,
    SaharaNetworkingOpts::SPECS,
    SaharaRemoteOpts::SPECS,
    SaharaPeriodicOpts::SPECS,
    SaharaServiceOpts::SPECS,
    MessagingOpts::SPECS,
    LoggingOpts::SPECS,
    PeriodicTaskOpts::SPECS,
    WsgiOpts::SPECS,
    ConductorOpts::SPECS,
    TimeoutOpts::SPECS,
    RetryOpts::SPECS,
    CinderOpts::SPECS,
    GlanceOpts::SPECS,
    HeatOpts::SPECS,
    ManilaOpts::SPECS,
    NeutronOpts::SPECS,
    NovaOpts::SPECS,
    SwiftOpts::SPECS,
    KeystoneClientOpts::SPECS,
    TrusteeOpts::SPECS,
    ObjectStoreAccessOpts::SPECS,
    CastellanOpts::SPECS,
    ClusterVerificationOpts::SPECS,
    NotificationOpts::SPECS,
    RabbitOpts::SPECS,
    DatabaseOpts::SPECS,
    KeystoneAuthtokenOpts::SPECS,
    PolicyOpts::SPECS,
    ConcurrencyOpts::SPECS,
    CorsOpts::SPECS,
    HealthcheckOpts::SPECS,
    MiddlewareOpts::SPECS,
    SslOpts::SPECS,
    ProfilerOpts::SPECS,
    AuthStrategyOpts::SPECS,
];
