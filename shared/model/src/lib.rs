//! Sahara's resources, statuses and JSON shapes, with no I/O: the types the conductor stores, the engine
//! works on, the REST API renders and our conductor RPC carries (as plain JSON).
//!
//! - [`resources`]: one struct per table, serialized exactly as Sahara's conductor returns them.
//! - [`enums`]: statuses, job types, data source types and other closed vocabularies, spelled as Sahara does.
//! - [`api_view`]: what the REST layer returns (hidden fields removed, secrets blanked, v2 renames).
//! - [`defaults`]: the conductor's create-time defaults and template merges, over JSON value maps.
//! - [`kind`]: tables, envelopes, list keys, filter and sort fields per resource.
//! - [`error`]: Sahara's exceptions with codes, HTTP statuses, messages and remote-error parts.
//! - [`acl`]: ownership and protection checks on update and delete.
//! - [`timestamp`]: Sahara's `YYYY-MM-DDTHH:MM:SS` timestamps.

#![warn(missing_docs)]

mod string_enum;

pub mod acl;
pub mod api_view;
pub mod conductor;
pub mod defaults;
pub mod enums;
pub mod error;
pub mod kind;
pub mod notification;
pub mod resources;
pub mod serde_util;
pub mod timestamp;

pub use enums::{
    ClusterStatus, DataSourceType, HealthStatus, JobAction, JobStatus, JobType, MappingType, ShareAccessLevel,
    ValueType, VerificationOp,
};
pub use error::SaharaError;
pub use kind::{ApiVersion, ResourceKind, SortOrder};
pub use resources::{
    Cluster, ClusterEvent, ClusterHealthCheck, ClusterProvisionStep, ClusterTemplate, ClusterVerification, Configs,
    DataSource, Instance, Job, JobBinary, JobBinaryInternal, JobExecution, JobInterfaceArgument, JsonMap, NodeGroup,
    NodeGroupTemplate, PluginData, Resource, Share, TemplateNodeGroup,
};
