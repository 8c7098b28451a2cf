//! Sahara's persistent resources as the conductor holds them: one struct per table, with Sahara's column
//! names and types, nullable columns as `Option`, children nested as Sahara's `to_dict` nests them.
//!
//! The serde form of each struct is the full conductor representation (what travels over our conductor RPC and
//! what the engine needs, private keys included). [`Resource::to_api`] gives what Sahara's REST layer returns.

mod cluster;
mod edp;
mod plugin;
mod template;

pub use cluster::{
    Cluster, ClusterEvent, ClusterHealthCheck, ClusterProvisionStep, ClusterVerification, Instance, NodeGroup,
};
pub use edp::{DataSource, Job, JobBinary, JobBinaryInternal, JobExecution, JobInterfaceArgument};
pub use plugin::PluginData;
pub use template::{ClusterTemplate, NodeGroupTemplate, TemplateNodeGroup};

use crate::api_view;
use crate::enums::ShareAccessLevel;
use crate::kind::{ApiVersion, ResourceKind};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A JSON object column (`node_configs`, `info`, `extra`, ...).
pub type JsonMap = Map<String, Value>;

/// Sahara's "configs" shape: applicable target (service) -> config name -> value.
pub type Configs = Map<String, Value>;

/// One Manila share in a `shares` list (SHARE_SCHEMA); absent keys stay absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// Manila share id.
    pub id: String,
    /// Mount path on the instances (Sahara derives one when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Access level; Sahara treats absent as `rw`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_level: Option<ShareAccessLevel>,
}

/// Behaviour shared by every resource struct.
pub trait Resource: Serialize + DeserializeOwned + Clone {
    /// Which resource this is.
    const KIND: ResourceKind;

    /// The row id.
    fn id(&self) -> &str;

    /// The full conductor representation as a JSON object (hidden fields included).
    fn to_conductor_map(&self) -> JsonMap {
        match serde_json::to_value(self) {
            Ok(Value::Object(m)) => m,
            _ => JsonMap::new(),
        }
    }

    /// Reads the conductor representation (unknown keys are ignored).
    fn from_conductor_value(value: Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(value)
    }

    /// What Sahara's REST layer returns for this object (hidden fields removed, secrets blanked, v2 renames).
    fn to_api(&self, version: ApiVersion) -> JsonMap {
        api_view::to_api(Self::KIND, self.to_conductor_map(), version)
    }

    /// [`Resource::to_api`] inside its envelope (`{"cluster": {...}}`); bare when the kind has none.
    fn to_api_wrapped(&self, version: ApiVersion) -> Value {
        api_view::wrap(Self::KIND, self.to_api(version), version)
    }
}

macro_rules! impl_resource {
    ($($ty:ty => $kind:ident),+ $(,)?) => {
        $(
            impl Resource for $ty {
                const KIND: ResourceKind = ResourceKind::$kind;
                fn id(&self) -> &str {
                    &self.id
                }
            }
        )+
    };
}

impl_resource! {
    Cluster => Cluster,
    NodeGroup => NodeGroup,
    Instance => Instance,
    ClusterTemplate => ClusterTemplate,
    TemplateNodeGroup => TemplateNodeGroup,
    NodeGroupTemplate => NodeGroupTemplate,
    DataSource => DataSource,
    Job => Job,
    JobInterfaceArgument => JobInterfaceArgument,
    JobBinary => JobBinary,
    JobBinaryInternal => JobBinaryInternal,
    JobExecution => JobExecution,
    ClusterProvisionStep => ClusterProvisionStep,
    ClusterEvent => ClusterEvent,
    ClusterVerification => ClusterVerification,
    ClusterHealthCheck => ClusterHealthCheck,
    PluginData => PluginData,
}

#[cfg(test)]
mod tests;
