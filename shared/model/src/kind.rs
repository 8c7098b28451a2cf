//! Which resource is which: table names, model class names (used in Sahara's messages), REST envelope
//! and list keys per API version, and the fields Sahara's list calls filter and sort on.

use std::fmt;

/// A REST API generation: v1.0/v1.1 share resource shapes; v2 renames several keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ApiVersion {
    /// `/v1.0` and `/v1.1`: `hadoop_version`, `tenant_id`, EDP "jobs" and "job executions".
    V1,
    /// `/v2`: `plugin_version`, `project_id`, "job templates" and "jobs".
    V2,
}

/// Sort direction of a list call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// Ascending (the default).
    Asc,
    /// Descending (`sort_by=-field`).
    Desc,
}

/// Splits a `sort_by` value into field and order, as Sahara does (`-name` = name descending; default `id`).
pub fn parse_sort_by(sort_by: Option<&str>) -> (&str, SortOrder) {
    match sort_by {
        None | Some("") => ("id", SortOrder::Asc),
        Some(s) => match s.strip_prefix('-') {
            Some(field) => (field, SortOrder::Desc),
            None => (s, SortOrder::Asc),
        },
    }
}

/// One of Sahara's persistent resources (one table each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceKind {
    /// `clusters`.
    Cluster,
    /// `node_groups` (inside a cluster).
    NodeGroup,
    /// `instances` (inside a node group).
    Instance,
    /// `cluster_templates`.
    ClusterTemplate,
    /// `templates_relations` (node groups inside a cluster template).
    TemplateNodeGroup,
    /// `node_group_templates`.
    NodeGroupTemplate,
    /// `data_sources`.
    DataSource,
    /// `jobs` (v2: job templates).
    Job,
    /// `job_interface_arguments` (inside a job).
    JobInterfaceArgument,
    /// `job_binaries`.
    JobBinary,
    /// `job_binary_internal` (v1.1 only).
    JobBinaryInternal,
    /// `job_executions` (v2: jobs).
    JobExecution,
    /// `cluster_provision_steps`.
    ClusterProvisionStep,
    /// `cluster_events` (inside a provision step).
    ClusterEvent,
    /// `cluster_verifications`.
    ClusterVerification,
    /// `cluster_health_checks` (inside a verification).
    ClusterHealthCheck,
    /// `plugin_data` (plugin label overrides).
    PluginData,
}

const TS: [&str; 2] = ["created_at", "updated_at"];

impl ResourceKind {
    /// Every kind.
    pub const ALL: [ResourceKind; 17] = [
        ResourceKind::Cluster,
        ResourceKind::NodeGroup,
        ResourceKind::Instance,
        ResourceKind::ClusterTemplate,
        ResourceKind::TemplateNodeGroup,
        ResourceKind::NodeGroupTemplate,
        ResourceKind::DataSource,
        ResourceKind::Job,
        ResourceKind::JobInterfaceArgument,
        ResourceKind::JobBinary,
        ResourceKind::JobBinaryInternal,
        ResourceKind::JobExecution,
        ResourceKind::ClusterProvisionStep,
        ResourceKind::ClusterEvent,
        ResourceKind::ClusterVerification,
        ResourceKind::ClusterHealthCheck,
        ResourceKind::PluginData,
    ];

    /// The SQL table (alembic head 035).
    pub fn table(self) -> &'static str {
        match self {
            ResourceKind::Cluster => "clusters",
            ResourceKind::NodeGroup => "node_groups",
            ResourceKind::Instance => "instances",
            ResourceKind::ClusterTemplate => "cluster_templates",
            ResourceKind::TemplateNodeGroup => "templates_relations",
            ResourceKind::NodeGroupTemplate => "node_group_templates",
            ResourceKind::DataSource => "data_sources",
            ResourceKind::Job => "jobs",
            ResourceKind::JobInterfaceArgument => "job_interface_arguments",
            ResourceKind::JobBinary => "job_binaries",
            ResourceKind::JobBinaryInternal => "job_binary_internal",
            ResourceKind::JobExecution => "job_executions",
            ResourceKind::ClusterProvisionStep => "cluster_provision_steps",
            ResourceKind::ClusterEvent => "cluster_events",
            ResourceKind::ClusterVerification => "cluster_verifications",
            ResourceKind::ClusterHealthCheck => "cluster_health_checks",
            ResourceKind::PluginData => "plugin_data",
        }
    }

    /// Sahara's SQLAlchemy model class name, which its ACL messages print (`type(object).__name__`).
    pub fn model_class(self) -> &'static str {
        match self {
            ResourceKind::Cluster => "Cluster",
            ResourceKind::NodeGroup => "NodeGroup",
            ResourceKind::Instance => "Instance",
            ResourceKind::ClusterTemplate => "ClusterTemplate",
            ResourceKind::TemplateNodeGroup => "TemplatesRelation",
            ResourceKind::NodeGroupTemplate => "NodeGroupTemplate",
            ResourceKind::DataSource => "DataSource",
            ResourceKind::Job => "Job",
            ResourceKind::JobInterfaceArgument => "JobInterfaceArgument",
            ResourceKind::JobBinary => "JobBinary",
            ResourceKind::JobBinaryInternal => "JobBinaryInternal",
            ResourceKind::JobExecution => "JobExecution",
            ResourceKind::ClusterProvisionStep => "ClusterProvisionStep",
            ResourceKind::ClusterEvent => "ClusterEvent",
            ResourceKind::ClusterVerification => "ClusterVerification",
            ResourceKind::ClusterHealthCheck => "ClusterHealthCheck",
            ResourceKind::PluginData => "PluginData",
        }
    }

    /// The words Sahara's DB layer puts before ` id '<id>' not found!`.
    pub fn not_found_label(self) -> &'static str {
        match self {
            ResourceKind::Cluster => "Cluster",
            ResourceKind::NodeGroup => "Node Group",
            ResourceKind::Instance => "Instance",
            ResourceKind::ClusterTemplate => "Cluster Template",
            ResourceKind::TemplateNodeGroup => "Templates Relation",
            ResourceKind::NodeGroupTemplate => "Node Group Template",
            ResourceKind::DataSource => "Data Source",
            ResourceKind::Job => "Job",
            ResourceKind::JobInterfaceArgument => "Job Interface Argument",
            ResourceKind::JobBinary => "JobBinary",
            ResourceKind::JobBinaryInternal => "JobBinaryInternal",
            ResourceKind::JobExecution => "JobExecution",
            ResourceKind::ClusterProvisionStep => "Cluster Provision Step",
            ResourceKind::ClusterEvent => "Cluster Event",
            ResourceKind::ClusterVerification => "Verification",
            ResourceKind::ClusterHealthCheck => "Health check",
            ResourceKind::PluginData => "Plugin",
        }
    }

    /// Sahara's "not found" message for this kind (`Cluster id 'x' not found!`, `Plugin name 'x' not found!`).
    pub fn not_found_message(self, id: &str) -> String {
        match self {
            ResourceKind::PluginData => format!("Plugin name '{id}' not found!"),
            _ => format!("{} id '{id}' not found!", self.not_found_label()),
        }
    }

    /// The message Sahara's `*_update` raises for a missing row (a few kinds word it differently).
    pub fn update_not_found_message(self, id: &str) -> String {
        match self {
            ResourceKind::NodeGroupTemplate => format!("NodeGroupTemplate id '{id}' not found"),
            ResourceKind::DataSource => format!("DataSource id '{id}' not found"),
            ResourceKind::JobBinary => format!("JobBinary id '{id}' not found"),
            _ => self.not_found_message(id),
        }
    }

    /// The REST envelope key of one object (`{"cluster": {...}}`), if the resource is served on its own.
    pub fn envelope(self, version: ApiVersion) -> Option<&'static str> {
        match (self, version) {
            (ResourceKind::Cluster, _) => Some("cluster"),
            (ResourceKind::ClusterTemplate, _) => Some("cluster_template"),
            (ResourceKind::NodeGroupTemplate, _) => Some("node_group_template"),
            (ResourceKind::DataSource, _) => Some("data_source"),
            (ResourceKind::Job, ApiVersion::V1) => Some("job"),
            (ResourceKind::Job, ApiVersion::V2) => Some("job_template"),
            (ResourceKind::JobBinary, _) => Some("job_binary"),
            (ResourceKind::JobBinaryInternal, ApiVersion::V1) => Some("job_binary_internal"),
            (ResourceKind::JobExecution, ApiVersion::V1) => Some("job_execution"),
            (ResourceKind::JobExecution, ApiVersion::V2) => Some("job"),
            _ => None,
        }
    }

    /// The REST key of a list (`{"clusters": [...]}`); job binaries and internals both use `binaries`.
    pub fn list_key(self, version: ApiVersion) -> Option<&'static str> {
        match (self, version) {
            (ResourceKind::Cluster, _) => Some("clusters"),
            (ResourceKind::ClusterTemplate, _) => Some("cluster_templates"),
            (ResourceKind::NodeGroupTemplate, _) => Some("node_group_templates"),
            (ResourceKind::DataSource, _) => Some("data_sources"),
            (ResourceKind::Job, ApiVersion::V1) => Some("jobs"),
            (ResourceKind::Job, ApiVersion::V2) => Some("job_templates"),
            (ResourceKind::JobBinary, _) => Some("binaries"),
            (ResourceKind::JobBinaryInternal, ApiVersion::V1) => Some("binaries"),
            (ResourceKind::JobExecution, ApiVersion::V1) => Some("job_executions"),
            (ResourceKind::JobExecution, ApiVersion::V2) => Some("jobs"),
            _ => None,
        }
    }

    /// Columns whose string filters are unanchored regex matches in list calls (`regex_search=True`).
    pub fn regex_filter_columns(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Cluster | ResourceKind::ClusterTemplate | ResourceKind::NodeGroupTemplate => {
                &["name", "description", "plugin_name", "tenant_id"]
            }
            ResourceKind::DataSource | ResourceKind::JobBinary => &["name", "description", "url"],
            ResourceKind::Job => &["name", "description"],
            ResourceKind::JobBinaryInternal => &["name"],
            ResourceKind::JobExecution => &["job.name", "cluster.name"],
            _ => &[],
        }
    }

    /// Filter keys of job execution lists that are not columns (joined names, `info.status`).
    pub fn special_filter_keys(self) -> &'static [&'static str] {
        match self {
            ResourceKind::JobExecution => &["cluster.name", "job.name", "status"],
            _ => &[],
        }
    }

    /// Query parameters v2 list calls accept besides `marker`, `limit`, `sort_by` (others: 400).
    pub fn v2_list_params(self) -> Option<&'static [&'static str]> {
        match self {
            ResourceKind::Cluster | ResourceKind::ClusterTemplate | ResourceKind::NodeGroupTemplate => {
                Some(&["plugin_name", "plugin_version", "name"])
            }
            ResourceKind::DataSource => Some(&["type"]),
            ResourceKind::JobBinary => Some(&["name"]),
            ResourceKind::Job => Some(&["type", "name"]),
            ResourceKind::JobExecution => Some(&["status"]),
            _ => None,
        }
    }

    /// Fields `sort_by` accepts (400 "Unknown field for sorting <f>" otherwise); `None` if not listable.
    pub fn sort_fields(self) -> Option<&'static [&'static str]> {
        match self {
            ResourceKind::Cluster => Some(&["id", "name", "plugin_name", "hadoop_version", "status"]),
            ResourceKind::ClusterTemplate | ResourceKind::NodeGroupTemplate => Some(&[
                "id",
                "name",
                "plugin_name",
                "hadoop_version",
                "created_at",
                "updated_at",
            ]),
            ResourceKind::JobBinary | ResourceKind::JobBinaryInternal => {
                Some(&["id", "name", "created_at", "updated_at"])
            }
            ResourceKind::DataSource | ResourceKind::Job => Some(&["id", "name", "type", "created_at", "updated_at"]),
            ResourceKind::JobExecution => Some(&["id", "job_template", "cluster", "status"]),
            _ => None,
        }
    }

    /// Every column of the table, in model order, timestamps last.
    pub fn columns(self) -> Vec<&'static str> {
        let own: &[&str] = match self {
            ResourceKind::Cluster => &[
                "id",
                "name",
                "description",
                "tenant_id",
                "trust_id",
                "is_transient",
                "plugin_name",
                "hadoop_version",
                "cluster_configs",
                "default_image_id",
                "neutron_management_network",
                "anti_affinity",
                "anti_affinity_ratio",
                "management_private_key",
                "management_public_key",
                "user_keypair_id",
                "status",
                "status_description",
                "info",
                "extra",
                "rollback_info",
                "sahara_info",
                "use_autoconfig",
                "cluster_template_id",
                "shares",
                "is_public",
                "is_protected",
                "domain_name",
            ],
            ResourceKind::NodeGroup => &[
                "id",
                "name",
                "tenant_id",
                "flavor_id",
                "image_id",
                "image_username",
                "node_processes",
                "node_configs",
                "volumes_per_node",
                "volumes_size",
                "volumes_availability_zone",
                "volume_mount_prefix",
                "volume_type",
                "boot_from_volume",
                "boot_volume_type",
                "boot_volume_availability_zone",
                "boot_volume_local_to_instance",
                "count",
                "use_autoconfig",
                "cluster_id",
                "node_group_template_id",
                "floating_ip_pool",
                "security_groups",
                "auto_security_group",
                "availability_zone",
                "open_ports",
                "is_proxy_gateway",
                "volume_local_to_instance",
                "shares",
            ],
            ResourceKind::Instance => &[
                "id",
                "tenant_id",
                "node_group_id",
                "instance_id",
                "instance_name",
                "internal_ip",
                "management_ip",
                "volumes",
                "storage_devices_number",
                "dns_hostname",
            ],
            ResourceKind::ClusterTemplate => &[
                "id",
                "name",
                "description",
                "cluster_configs",
                "default_image_id",
                "anti_affinity",
                "tenant_id",
                "neutron_management_network",
                "plugin_name",
                "hadoop_version",
                "is_default",
                "use_autoconfig",
                "shares",
                "is_public",
                "is_protected",
                "domain_name",
            ],
            ResourceKind::TemplateNodeGroup => &[
                "id",
                "tenant_id",
                "name",
                "flavor_id",
                "image_id",
                "node_processes",
                "node_configs",
                "volumes_per_node",
                "volumes_size",
                "volumes_availability_zone",
                "volume_mount_prefix",
                "volume_type",
                "boot_from_volume",
                "boot_volume_type",
                "boot_volume_availability_zone",
                "boot_volume_local_to_instance",
                "count",
                "use_autoconfig",
                "cluster_template_id",
                "node_group_template_id",
                "floating_ip_pool",
                "security_groups",
                "auto_security_group",
                "availability_zone",
                "is_proxy_gateway",
                "volume_local_to_instance",
                "shares",
            ],
            ResourceKind::NodeGroupTemplate => &[
                "id",
                "name",
                "description",
                "tenant_id",
                "flavor_id",
                "image_id",
                "plugin_name",
                "hadoop_version",
                "node_processes",
                "node_configs",
                "volumes_per_node",
                "volumes_size",
                "volumes_availability_zone",
                "volume_mount_prefix",
                "volume_type",
                "boot_from_volume",
                "boot_volume_type",
                "boot_volume_availability_zone",
                "boot_volume_local_to_instance",
                "floating_ip_pool",
                "security_groups",
                "auto_security_group",
                "availability_zone",
                "is_proxy_gateway",
                "volume_local_to_instance",
                "is_default",
                "use_autoconfig",
                "shares",
                "is_public",
                "is_protected",
            ],
            ResourceKind::DataSource => &[
                "id",
                "tenant_id",
                "name",
                "description",
                "type",
                "url",
                "credentials",
                "is_public",
                "is_protected",
            ],
            ResourceKind::Job => &[
                "id",
                "tenant_id",
                "name",
                "description",
                "type",
                "is_public",
                "is_protected",
            ],
            ResourceKind::JobInterfaceArgument => &[
                "id",
                "job_id",
                "tenant_id",
                "name",
                "description",
                "mapping_type",
                "location",
                "value_type",
                "required",
                "order",
                "default",
            ],
            ResourceKind::JobBinary => &[
                "id",
                "tenant_id",
                "name",
                "description",
                "url",
                "extra",
                "is_public",
                "is_protected",
            ],
            ResourceKind::JobBinaryInternal => &[
                "id",
                "tenant_id",
                "name",
                "data",
                "datasize",
                "is_public",
                "is_protected",
            ],
            ResourceKind::JobExecution => &[
                "id",
                "tenant_id",
                "job_id",
                "input_id",
                "output_id",
                "start_time",
                "end_time",
                "cluster_id",
                "info",
                "engine_job_id",
                "return_code",
                "job_configs",
                "extra",
                "data_source_urls",
                "is_public",
                "is_protected",
            ],
            ResourceKind::ClusterProvisionStep => &[
                "id",
                "cluster_id",
                "tenant_id",
                "step_name",
                "step_type",
                "total",
                "successful",
            ],
            ResourceKind::ClusterEvent => &[
                "id",
                "node_group_id",
                "instance_id",
                "instance_name",
                "event_info",
                "successful",
                "step_id",
            ],
            ResourceKind::ClusterVerification => &["id", "cluster_id", "status"],
            ResourceKind::ClusterHealthCheck => &["id", "verification_id", "status", "description", "name"],
            ResourceKind::PluginData => &["id", "tenant_id", "name", "plugin_labels", "version_labels"],
        };
        own.iter().copied().chain(TS).collect()
    }

    /// Columns stored as JSON text (JsonDictType / JsonListType).
    pub fn json_columns(self) -> &'static [&'static str] {
        match self {
            ResourceKind::Cluster => &[
                "cluster_configs",
                "anti_affinity",
                "info",
                "extra",
                "rollback_info",
                "sahara_info",
                "shares",
            ],
            ResourceKind::NodeGroup => &[
                "node_processes",
                "node_configs",
                "security_groups",
                "open_ports",
                "shares",
            ],
            ResourceKind::Instance => &["volumes"],
            ResourceKind::ClusterTemplate => &["cluster_configs", "anti_affinity", "shares"],
            ResourceKind::NodeGroupTemplate | ResourceKind::TemplateNodeGroup => {
                &["node_processes", "node_configs", "security_groups", "shares"]
            }
            ResourceKind::DataSource => &["credentials"],
            ResourceKind::JobExecution => &["info", "job_configs", "extra", "data_source_urls"],
            ResourceKind::JobBinary => &["extra"],
            ResourceKind::PluginData => &["plugin_labels", "version_labels"],
            _ => &[],
        }
    }
}

impl fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.table())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_follow_sahara_per_version() {
        use ApiVersion::*;
        use ResourceKind::*;
        assert_eq!(Cluster.envelope(V1), Some("cluster"));
        assert_eq!(Cluster.list_key(V2), Some("clusters"));
        assert_eq!(Job.envelope(V1), Some("job"));
        assert_eq!(Job.list_key(V1), Some("jobs"));
        assert_eq!(Job.envelope(V2), Some("job_template"));
        assert_eq!(Job.list_key(V2), Some("job_templates"));
        assert_eq!(JobExecution.envelope(V1), Some("job_execution"));
        assert_eq!(JobExecution.list_key(V1), Some("job_executions"));
        assert_eq!(JobExecution.envelope(V2), Some("job"));
        assert_eq!(JobExecution.list_key(V2), Some("jobs"));
        assert_eq!(JobBinary.list_key(V1), Some("binaries"));
        assert_eq!(JobBinaryInternal.list_key(V1), Some("binaries"));
        assert_eq!(JobBinaryInternal.envelope(V2), None);
        assert_eq!(NodeGroup.envelope(V1), None);
    }

    #[test]
    fn tables_and_messages() {
        assert_eq!(ResourceKind::JobBinaryInternal.table(), "job_binary_internal");
        assert_eq!(ResourceKind::TemplateNodeGroup.table(), "templates_relations");
        assert_eq!(
            ResourceKind::Cluster.not_found_message("x"),
            "Cluster id 'x' not found!"
        );
        assert_eq!(
            ResourceKind::NodeGroupTemplate.not_found_message("x"),
            "Node Group Template id 'x' not found!"
        );
        assert_eq!(
            ResourceKind::NodeGroupTemplate.update_not_found_message("x"),
            "NodeGroupTemplate id 'x' not found"
        );
        assert_eq!(
            ResourceKind::DataSource.not_found_message("x"),
            "Data Source id 'x' not found!"
        );
        assert_eq!(
            ResourceKind::DataSource.update_not_found_message("x"),
            "DataSource id 'x' not found"
        );
        assert_eq!(
            ResourceKind::PluginData.not_found_message("vanilla"),
            "Plugin name 'vanilla' not found!"
        );
        assert_eq!(
            ResourceKind::ClusterVerification.not_found_message("v"),
            "Verification id 'v' not found!"
        );
        let mut tables: Vec<_> = ResourceKind::ALL.iter().map(|k| k.table()).collect();
        tables.sort();
        tables.dedup();
        assert_eq!(tables.len(), 17);
    }

    #[test]
    fn list_fields() {
        assert_eq!(
            ResourceKind::Cluster.sort_fields().unwrap(),
            ["id", "name", "plugin_name", "hadoop_version", "status"]
        );
        assert_eq!(
            ResourceKind::JobExecution.sort_fields().unwrap(),
            ["id", "job_template", "cluster", "status"]
        );
        assert!(ResourceKind::Instance.sort_fields().is_none());
        assert_eq!(ResourceKind::DataSource.v2_list_params().unwrap(), ["type"]);
        assert_eq!(
            ResourceKind::DataSource.regex_filter_columns(),
            ["name", "description", "url"]
        );
        assert_eq!(parse_sort_by(Some("-name")), ("name", SortOrder::Desc));
        assert_eq!(parse_sort_by(Some("status")), ("status", SortOrder::Asc));
        assert_eq!(parse_sort_by(None), ("id", SortOrder::Asc));
    }

    #[test]
    fn columns_include_timestamps_and_json_columns_are_columns() {
        for kind in ResourceKind::ALL {
            let cols = kind.columns();
            assert_eq!(&cols[cols.len() - 2..], ["created_at", "updated_at"], "{kind}");
            assert_eq!(cols[0], "id", "{kind}");
            for j in kind.json_columns() {
                assert!(cols.contains(j), "{kind}.{j}");
            }
            for r in kind.regex_filter_columns() {
                assert!(r.contains('.') || cols.contains(r), "{kind}.{r}");
            }
        }
        assert_eq!(ResourceKind::Cluster.columns().len(), 30);
    }
}
