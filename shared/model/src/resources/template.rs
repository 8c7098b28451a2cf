//! Cluster templates (with their node groups, the `templates_relations` rows) and node group templates.

use super::{Configs, Share};
use crate::{serde_util, timestamp};
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// A row of `cluster_templates` with its node groups (`ClusterTemplate.to_dict`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterTemplate {
    /// Template id.
    pub id: String,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Cluster-level configs (target -> name -> value).
    pub cluster_configs: Option<Configs>,
    /// Default Glance image.
    pub default_image_id: Option<String>,
    /// Node processes placed on distinct hosts.
    pub anti_affinity: Option<Vec<String>>,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Neutron network instances are attached to.
    pub neutron_management_network: Option<String>,
    /// Provisioning plugin name.
    pub plugin_name: String,
    /// Plugin version (`plugin_version` in v2).
    pub hadoop_version: String,
    /// Managed by `sahara-templates` (and then protected).
    pub is_default: Option<bool>,
    /// Whether plugin autoconfiguration is on.
    pub use_autoconfig: Option<bool>,
    /// Manila shares.
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
    /// Node groups of the template (no stable order in Sahara).
    #[serde(default)]
    pub node_groups: Vec<TemplateNodeGroup>,
}

/// A row of `templates_relations`: a node group inside a cluster template.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TemplateNodeGroup {
    /// Row id.
    pub id: String,
    /// Owning project (hidden in API responses).
    pub tenant_id: Option<String>,
    /// Node group name.
    pub name: String,
    /// Nova flavor id.
    #[serde(deserialize_with = "serde_util::string_or_number")]
    pub flavor_id: String,
    /// Glance image.
    pub image_id: Option<String>,
    /// Processes run on each node.
    pub node_processes: Option<Vec<String>>,
    /// Node-level configs.
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
    /// Owning cluster template (hidden).
    pub cluster_template_id: Option<String>,
    /// Node group template the group was filled from.
    pub node_group_template_id: Option<String>,
    /// Floating IP pool.
    pub floating_ip_pool: Option<String>,
    /// Security groups.
    pub security_groups: Option<Vec<String>>,
    /// Let Sahara create a security group.
    pub auto_security_group: Option<bool>,
    /// Nova availability zone.
    pub availability_zone: Option<String>,
    /// Instances act as proxy gateways.
    pub is_proxy_gateway: Option<bool>,
    /// Keep volumes on the instance's host.
    pub volume_local_to_instance: Option<bool>,
    /// Manila shares.
    pub shares: Option<Vec<Share>>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `node_group_templates` (nothing hidden from the API).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeGroupTemplate {
    /// Template id.
    pub id: String,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Nova flavor id.
    #[serde(deserialize_with = "serde_util::string_or_number")]
    pub flavor_id: String,
    /// Glance image.
    pub image_id: Option<String>,
    /// Provisioning plugin name.
    pub plugin_name: String,
    /// Plugin version (`plugin_version` in v2).
    pub hadoop_version: String,
    /// Processes run on each node.
    pub node_processes: Option<Vec<String>>,
    /// Node-level configs.
    pub node_configs: Option<Configs>,
    /// Cinder volumes attached per node.
    #[serde(default)]
    pub volumes_per_node: i32,
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
    /// Floating IP pool.
    pub floating_ip_pool: Option<String>,
    /// Security groups.
    pub security_groups: Option<Vec<String>>,
    /// Let Sahara create a security group.
    pub auto_security_group: Option<bool>,
    /// Nova availability zone.
    pub availability_zone: Option<String>,
    /// Instances act as proxy gateways.
    pub is_proxy_gateway: Option<bool>,
    /// Keep volumes on the instance's host.
    pub volume_local_to_instance: Option<bool>,
    /// Managed by `sahara-templates` (and then protected).
    pub is_default: Option<bool>,
    /// Whether plugin autoconfiguration is on.
    pub use_autoconfig: Option<bool>,
    /// Manila shares.
    pub shares: Option<Vec<Share>>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}
