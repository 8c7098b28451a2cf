//! Clusters and what hangs off them: node groups, instances, provision steps with events, verifications with
//! health checks.

use super::{Configs, JsonMap, Share};
use crate::enums::{ClusterStatus, HealthStatus};
use crate::{serde_util, timestamp};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A row of `clusters` with its node groups, provision progress and latest verification (`Cluster.to_dict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cluster {
    /// Cluster id (UUID).
    pub id: String,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Keystone trust used for long-running operations (transient clusters, proxy users).
    pub trust_id: Option<String>,
    /// True for clusters deleted once their jobs finish.
    pub is_transient: Option<bool>,
    /// Provisioning plugin name.
    pub plugin_name: String,
    /// Plugin version (`plugin_version` in v2).
    pub hadoop_version: String,
    /// Cluster-level configs (target -> name -> value); may hold `proxy_configs`.
    pub cluster_configs: Option<Configs>,
    /// Default Glance image for node groups without one.
    pub default_image_id: Option<String>,
    /// Neutron network instances are attached to.
    pub neutron_management_network: Option<String>,
    /// Node processes placed on distinct hosts.
    pub anti_affinity: Option<Vec<String>>,
    /// Number of server groups used for anti-affinity.
    pub anti_affinity_ratio: Option<i32>,
    /// Private half of the management key pair (hidden from the API).
    pub management_private_key: String,
    /// Public half of the management key pair.
    pub management_public_key: String,
    /// Nova keypair injected for the user.
    pub user_keypair_id: Option<String>,
    /// Provisioning status.
    pub status: Option<ClusterStatus>,
    /// Human readable detail of the status (error text).
    pub status_description: Option<String>,
    /// Service info shown to users (e.g. web UI URLs).
    pub info: Option<JsonMap>,
    /// Engine bookkeeping such as the Heat stack name (hidden).
    pub extra: Option<JsonMap>,
    /// What to undo on failure (hidden).
    pub rollback_info: Option<JsonMap>,
    /// Engine/infrastructure identity (hidden).
    pub sahara_info: Option<JsonMap>,
    /// Whether plugin autoconfiguration is on.
    pub use_autoconfig: Option<bool>,
    /// Template the cluster was created from.
    pub cluster_template_id: Option<String>,
    /// Manila shares mounted on every node.
    pub shares: Option<Vec<Share>>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Designate domain for instance hostnames.
    pub domain_name: Option<String>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
    /// Node groups with their instances.
    #[serde(default)]
    pub node_groups: Vec<NodeGroup>,
    /// Provision steps (events only when fetched with `show_progress`).
    #[serde(default)]
    pub provision_progress: Vec<ClusterProvisionStep>,
    /// Latest verification; absent (not null) when the cluster has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<ClusterVerification>,
}

impl Cluster {
    /// All instances of all node groups, in node group order.
    pub fn instances(&self) -> impl Iterator<Item = &Instance> {
        self.node_groups.iter().flat_map(|ng| ng.instances.iter())
    }

    /// The node group called `name`.
    pub fn node_group(&self, name: &str) -> Option<&NodeGroup> {
        self.node_groups.iter().find(|ng| ng.name == name)
    }

    /// The Heat stack name Sahara recorded in `extra`, if any.
    pub fn heat_stack_name(&self) -> Option<&str> {
        self.extra.as_ref()?.get("heat_stack_name")?.as_str()
    }
}

/// A row of `node_groups` with its instances (ordered by instance name).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeGroup {
    /// Node group id.
    pub id: String,
    /// Name, unique within the cluster.
    pub name: String,
    /// Owning project (hidden in API responses).
    pub tenant_id: Option<String>,
    /// Nova flavor id.
    #[serde(deserialize_with = "serde_util::string_or_number")]
    pub flavor_id: String,
    /// Glance image (falls back to the cluster default).
    pub image_id: Option<String>,
    /// Login user of the image (hidden).
    pub image_username: Option<String>,
    /// Processes run on each node.
    pub node_processes: Option<Vec<String>>,
    /// Node-level configs (target -> name -> value).
    pub node_configs: Option<Configs>,
    /// Cinder volumes attached per node.
    pub volumes_per_node: Option<i32>,
    /// Size of each volume in GB.
    pub volumes_size: Option<i32>,
    /// Cinder availability zone of the volumes.
    pub volumes_availability_zone: Option<String>,
    /// Mount point prefix of the volumes.
    pub volume_mount_prefix: Option<String>,
    /// Cinder volume type.
    pub volume_type: Option<String>,
    /// Boot instances from a Cinder volume.
    #[serde(default)]
    pub boot_from_volume: bool,
    /// Volume type of the boot volume.
    pub boot_volume_type: Option<String>,
    /// Availability zone of the boot volume.
    pub boot_volume_availability_zone: Option<String>,
    /// Keep the boot volume on the instance's host.
    pub boot_volume_local_to_instance: Option<bool>,
    /// Number of instances.
    pub count: i32,
    /// Whether plugin autoconfiguration is on.
    pub use_autoconfig: Option<bool>,
    /// Owning cluster (hidden).
    pub cluster_id: Option<String>,
    /// Template this group was filled from.
    pub node_group_template_id: Option<String>,
    /// Floating IP pool (external network) for management IPs.
    pub floating_ip_pool: Option<String>,
    /// Security groups of the instances.
    pub security_groups: Option<Vec<String>>,
    /// Let Sahara create a security group for the group.
    pub auto_security_group: Option<bool>,
    /// Nova availability zone.
    pub availability_zone: Option<String>,
    /// Ports opened in the auto security group (hidden).
    pub open_ports: Option<Vec<Value>>,
    /// Instances of this group act as proxy gateways.
    pub is_proxy_gateway: Option<bool>,
    /// Keep volumes on the instance's host.
    pub volume_local_to_instance: Option<bool>,
    /// Manila shares mounted on this group's nodes.
    pub shares: Option<Vec<Share>>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
    /// Instances of the group.
    #[serde(default)]
    pub instances: Vec<Instance>,
}

/// A row of `instances`: one Nova server of a node group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// Sahara's id of the instance row.
    pub id: String,
    /// Owning project (hidden).
    pub tenant_id: Option<String>,
    /// Owning node group (hidden).
    pub node_group_id: Option<String>,
    /// Nova server id.
    pub instance_id: Option<String>,
    /// Server name.
    pub instance_name: String,
    /// Fixed IP.
    pub internal_ip: Option<String>,
    /// IP Sahara uses to reach the instance (floating or fixed).
    pub management_ip: Option<String>,
    /// Attached Cinder volume ids (hidden).
    pub volumes: Option<Vec<String>>,
    /// Number of storage devices found on the instance.
    pub storage_devices_number: Option<i32>,
    /// Fully qualified hostname when a domain is used.
    pub dns_hostname: Option<String>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `cluster_provision_steps`; `events` is present only when fetched with `show_progress`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterProvisionStep {
    /// Step id.
    pub id: String,
    /// Owning cluster.
    pub cluster_id: Option<String>,
    /// Owning project (`project_id` in v2).
    pub tenant_id: Option<String>,
    /// Step name, e.g. "Wait for instance accessibility".
    pub step_name: Option<String>,
    /// Step type, e.g. "Engine: create cluster".
    pub step_type: Option<String>,
    /// Number of events expected.
    pub total: Option<i32>,
    /// Outcome; `None` while running.
    pub successful: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
    /// Events of the step (only with `show_progress`; absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<ClusterEvent>>,
}

/// A row of `cluster_events`: one instance's progress within a provision step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterEvent {
    /// Event id.
    pub id: String,
    /// Node group of the instance.
    pub node_group_id: Option<String>,
    /// Instance (Sahara row id).
    pub instance_id: Option<String>,
    /// Instance name.
    pub instance_name: Option<String>,
    /// Error text of a failed event.
    pub event_info: Option<String>,
    /// Outcome.
    pub successful: bool,
    /// Owning provision step.
    pub step_id: Option<String>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `cluster_verifications` with its health checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterVerification {
    /// Verification id.
    pub id: String,
    /// Owning cluster.
    pub cluster_id: Option<String>,
    /// Overall status.
    pub status: Option<HealthStatus>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
    /// Health checks of this verification.
    #[serde(default)]
    pub checks: Vec<ClusterHealthCheck>,
}

/// A row of `cluster_health_checks`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterHealthCheck {
    /// Health check id.
    pub id: String,
    /// Owning verification.
    pub verification_id: Option<String>,
    /// Status of the check.
    pub status: Option<HealthStatus>,
    /// Result text.
    pub description: Option<String>,
    /// Check name, e.g. "Basic cluster health check".
    pub name: Option<String>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}
