//! The simulated Heat: HOT templates (parameters, resources, outputs, intrinsic functions,
//! nested templates from `files`, resource groups) and stacks realised through the
//! simulator's Nova, Neutron and Cinder.
//!
//! - [`template`], [`parameters`], [`functions`]: the template language, with Heat's
//!   validation messages;
//! - [`validate`], [`graph`]: what Heat checks before creating anything, and the
//!   dependency order;
//! - [`engine`]: the service ([`Heat`]): stacks created, updated (Sahara scales by
//!   updating), deleted, with Heat's statuses, reasons, events, timeouts and rollback;
//! - [`resources`]: the resource types, realised through a [`Backend`](backend::Backend);
//!   [`backend_sim`] binds it to the simulator core's Nova, Neutron and Cinder;
//! - [`api`]: the REST API `/heat-api/v1/{project_id}` as heatclient and Sahara call it
//!   ([`backend_sim::routes`] puts it behind the core's Keystone token validation).
//!
//! Mounting it in the simulator's app (instances must reach the signal URL, so the app
//! listens on the external network's host address, or on all addresses):
//!
//! ```ignore
//! let heat = Heat::new(SimBackend::new(cloud.clone()),
//!     HeatConfig::new(prefix, format!("http://{}:{port}/heat-api", external.host_ip)));
//! let app = sim::app(ApiState::new(cloud, validator.clone()), backend_sim::routes(heat, validator));
//! ```

mod actions;
pub mod api;
pub mod backend;
pub mod backend_sim;
pub mod cancel;
pub mod engine;
pub mod error;
pub mod functions;
pub mod graph;
pub mod parameters;
pub mod resources;
pub mod scope;
pub mod state;
pub mod template;
pub mod validate;

pub use backend::{Backend, BackendError, Principal};
pub use engine::{Heat, HeatConfig, ListFilter, Output, SignalAuth, StackIdentity, StackRequest};
pub use error::{HeatError, ResourceFailure};
