//! The simulator of Nova, Neutron, Glance, Cinder and Manila: the cloud's state, its REST
//! APIs, token validation against the real Keystone, quotas and failure injection.
//!
//! - [`Cloud`] is the core, a Rust API with one method per operation (networks, subnets,
//!   ports, routers and interfaces, floating IPs, security groups and rules, flavors,
//!   keypairs, servers and their actions, server groups, volumes and attachments, images,
//!   shares, quotas, faults), each taking a [`RequestContext`]. Heat ([`crate::heat`]) calls it
//!   directly; the REST handlers ([`api`]) are thin wrappers around it.
//! - The host side is a [`Fabric`](crate::fabric::Fabric): networks, routers, floating
//!   IPs, servers and volumes are made real through it (Neutron's operations before they
//!   answer, Nova's boots and Cinder's volumes in the background, as the real services).
//! - State lives in memory, with ids minted by the cloud's [`Prefix`](crate::naming::Prefix),
//!   and is written to `<state dir>/sim-state.json` after every change.
//!
//! Serving: `axum::serve(listener, api::app(ApiState::new(cloud, validator), heat_routes))`.

pub mod api;
pub mod auth;
pub mod cloud;
pub mod compute;
pub mod context;
pub mod error;
pub mod faults;
pub mod image;
pub mod ipam;
pub mod model;
pub mod network;
pub mod quotas;
pub mod share;
pub mod state;
pub mod volume;

pub use api::{ApiState, app, routes};
pub use auth::{KeystoneValidator, ServiceAccount, TokenValidator};
pub use cloud::{Cloud, CloudConfig, recorded_prefix, state_file};
pub use context::RequestContext;
pub use error::{Kind, SimError};
