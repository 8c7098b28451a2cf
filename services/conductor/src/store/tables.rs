//! The 19 tables as data: every column in database order with the kind that decides how a
//! JSON value is bound and read back, its nullability, and the Python-side defaults
//! Sahara's models apply on insert (`default=` in sahara/db/sqlalchemy/models.py).

/// How a column's value travels between JSON and SQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `VARCHAR`/`TEXT`.
    Text,
    /// `TEXT` holding a JSON object (Sahara's `JsonDictType`).
    JsonDict,
    /// `TEXT` holding a JSON list (Sahara's `JsonListType`).
    JsonList,
    /// `tinyint(1)` / SQLite `BOOLEAN`.
    Bool,
    /// `INT`.
    Int,
    /// `SMALLINT`.
    SmallInt,
    /// `BIGINT`.
    BigInt,
    /// `DATETIME` (UTC, as Sahara stores it).
    Timestamp,
    /// `LONGBLOB` (never part of a JSON row).
    Binary,
}

/// A Python-side column default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnDefault {
    /// A boolean default.
    Bool(bool),
    /// An integer default.
    Int(i32),
}

/// One column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Its name as SQL spells it.
    pub name: &'static str,
    /// How its values travel.
    pub kind: Kind,
    /// Whether NULL is allowed.
    pub nullable: bool,
    /// The value an insert uses when the caller gave none.
    pub default: Option<ColumnDefault>,
}

/// One table.
#[derive(Debug)]
pub struct Table {
    /// Its name.
    pub name: &'static str,
    /// Its columns in database order.
    pub columns: &'static [Column],
}

impl Table {
    /// The column called `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Whether the table has a column called `name`.
    pub fn has(&self, name: &str) -> bool {
        self.column(name).is_some()
    }
}

const fn col(name: &'static str, kind: Kind, nullable: bool) -> Column {
    Column {
        name,
        kind,
        nullable,
        default: None,
    }
}

const fn col_d(name: &'static str, kind: Kind, nullable: bool, default: ColumnDefault) -> Column {
    Column {
        name,
        kind,
        nullable,
        default: Some(default),
    }
}

/// `clusters`.
pub static CLUSTERS: Table = Table {
    name: "clusters",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("tenant_id", Kind::Text, true),
        col("trust_id", Kind::Text, true),
        col_d("is_transient", Kind::Bool, true, ColumnDefault::Bool(false)),
        col("plugin_name", Kind::Text, false),
        col("hadoop_version", Kind::Text, false),
        col("cluster_configs", Kind::JsonDict, true),
        col("default_image_id", Kind::Text, true),
        col("neutron_management_network", Kind::Text, true),
        col("anti_affinity", Kind::JsonList, true),
        col("management_private_key", Kind::Text, false),
        col("management_public_key", Kind::Text, false),
        col("user_keypair_id", Kind::Text, true),
        col("status", Kind::Text, true),
        col("status_description", Kind::Text, true),
        col("info", Kind::JsonDict, true),
        col("extra", Kind::JsonDict, true),
        col("cluster_template_id", Kind::Text, true),
        col("rollback_info", Kind::JsonDict, true),
        col("sahara_info", Kind::JsonDict, true),
        col_d("use_autoconfig", Kind::Bool, true, ColumnDefault::Bool(true)),
        col("shares", Kind::JsonList, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
        col("domain_name", Kind::Text, true),
        col_d("anti_affinity_ratio", Kind::Int, true, ColumnDefault::Int(1)),
    ],
};

/// `cluster_events`.
pub static CLUSTER_EVENTS: Table = Table {
    name: "cluster_events",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("node_group_id", Kind::Text, true),
        col("instance_id", Kind::Text, true),
        col("instance_name", Kind::Text, true),
        col("event_info", Kind::Text, true),
        col("successful", Kind::Bool, false),
        col("step_id", Kind::Text, true),
    ],
};

/// `cluster_health_checks`.
pub static CLUSTER_HEALTH_CHECKS: Table = Table {
    name: "cluster_health_checks",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("verification_id", Kind::Text, true),
        col("status", Kind::Text, true),
        col("description", Kind::Text, true),
        col("name", Kind::Text, true),
    ],
};

/// `cluster_provision_steps`.
pub static CLUSTER_PROVISION_STEPS: Table = Table {
    name: "cluster_provision_steps",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("cluster_id", Kind::Text, true),
        col("tenant_id", Kind::Text, true),
        col("step_name", Kind::Text, true),
        col("step_type", Kind::Text, true),
        col("total", Kind::Int, true),
        col("successful", Kind::Bool, true),
    ],
};

/// `cluster_templates`.
pub static CLUSTER_TEMPLATES: Table = Table {
    name: "cluster_templates",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("cluster_configs", Kind::JsonDict, true),
        col("default_image_id", Kind::Text, true),
        col("anti_affinity", Kind::JsonList, true),
        col("tenant_id", Kind::Text, true),
        col("neutron_management_network", Kind::Text, true),
        col("plugin_name", Kind::Text, false),
        col("hadoop_version", Kind::Text, false),
        col_d("is_default", Kind::Bool, true, ColumnDefault::Bool(false)),
        col_d("use_autoconfig", Kind::Bool, true, ColumnDefault::Bool(true)),
        col("shares", Kind::JsonList, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
        col("domain_name", Kind::Text, true),
    ],
};

/// `cluster_verifications`.
pub static CLUSTER_VERIFICATIONS: Table = Table {
    name: "cluster_verifications",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("cluster_id", Kind::Text, true),
        col("status", Kind::Text, true),
    ],
};

/// `data_sources`.
pub static DATA_SOURCES: Table = Table {
    name: "data_sources",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("type", Kind::Text, false),
        col("url", Kind::Text, false),
        col("credentials", Kind::JsonDict, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
    ],
};

/// `instances`.
pub static INSTANCES: Table = Table {
    name: "instances",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("node_group_id", Kind::Text, true),
        col("instance_id", Kind::Text, true),
        col("instance_name", Kind::Text, false),
        col("internal_ip", Kind::Text, true),
        col("management_ip", Kind::Text, true),
        col("volumes", Kind::JsonList, true),
        col("storage_devices_number", Kind::Int, true),
        col("dns_hostname", Kind::Text, true),
    ],
};

/// `jobs`.
pub static JOBS: Table = Table {
    name: "jobs",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("type", Kind::Text, false),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
    ],
};

/// `job_binaries`.
pub static JOB_BINARIES: Table = Table {
    name: "job_binaries",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("url", Kind::Text, false),
        col("extra", Kind::JsonDict, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
    ],
};

/// `job_binary_internal`.
pub static JOB_BINARY_INTERNAL: Table = Table {
    name: "job_binary_internal",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("data", Kind::Binary, true),
        col("datasize", Kind::BigInt, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
    ],
};

/// `job_executions`.
pub static JOB_EXECUTIONS: Table = Table {
    name: "job_executions",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("job_id", Kind::Text, true),
        col("input_id", Kind::Text, true),
        col("output_id", Kind::Text, true),
        col("start_time", Kind::Timestamp, true),
        col("end_time", Kind::Timestamp, true),
        col("cluster_id", Kind::Text, true),
        col("info", Kind::JsonDict, true),
        col("engine_job_id", Kind::Text, true),
        col("return_code", Kind::Text, true),
        col("job_configs", Kind::JsonDict, true),
        col("extra", Kind::JsonDict, true),
        col("data_source_urls", Kind::JsonDict, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
    ],
};

/// `job_interface_arguments`.
pub static JOB_INTERFACE_ARGUMENTS: Table = Table {
    name: "job_interface_arguments",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("job_id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("mapping_type", Kind::Text, false),
        col("location", Kind::Text, false),
        col("value_type", Kind::Text, false),
        col("required", Kind::Bool, false),
        col("order", Kind::SmallInt, false),
        col("default", Kind::Text, true),
    ],
};

/// `libs_association`.
pub static LIBS_ASSOCIATION: Table = Table {
    name: "libs_association",
    columns: &[col("Job_id", Kind::Text, true), col("JobBinary_id", Kind::Text, true)],
};

/// `mains_association`.
pub static MAINS_ASSOCIATION: Table = Table {
    name: "mains_association",
    columns: &[col("Job_id", Kind::Text, true), col("JobBinary_id", Kind::Text, true)],
};

/// `node_groups`.
pub static NODE_GROUPS: Table = Table {
    name: "node_groups",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("name", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("flavor_id", Kind::Text, false),
        col("image_id", Kind::Text, true),
        col("image_username", Kind::Text, true),
        col("node_processes", Kind::JsonList, true),
        col("node_configs", Kind::JsonDict, true),
        col("volumes_per_node", Kind::Int, true),
        col("volumes_size", Kind::Int, true),
        col("volume_mount_prefix", Kind::Text, true),
        col("count", Kind::Int, false),
        col("cluster_id", Kind::Text, true),
        col("node_group_template_id", Kind::Text, true),
        col("floating_ip_pool", Kind::Text, true),
        col("security_groups", Kind::JsonList, true),
        col("auto_security_group", Kind::Bool, true),
        col("open_ports", Kind::JsonList, true),
        col("availability_zone", Kind::Text, true),
        col("volumes_availability_zone", Kind::Text, true),
        col("volume_type", Kind::Text, true),
        col("is_proxy_gateway", Kind::Bool, true),
        col("volume_local_to_instance", Kind::Bool, true),
        col_d("use_autoconfig", Kind::Bool, true, ColumnDefault::Bool(true)),
        col("shares", Kind::JsonList, true),
        col_d("boot_from_volume", Kind::Bool, false, ColumnDefault::Bool(false)),
        col("boot_volume_availability_zone", Kind::Text, true),
        col("boot_volume_local_to_instance", Kind::Bool, true),
        col("boot_volume_type", Kind::Text, true),
    ],
};

/// `node_group_templates`.
pub static NODE_GROUP_TEMPLATES: Table = Table {
    name: "node_group_templates",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("name", Kind::Text, false),
        col("description", Kind::Text, true),
        col("tenant_id", Kind::Text, true),
        col("flavor_id", Kind::Text, false),
        col("image_id", Kind::Text, true),
        col("plugin_name", Kind::Text, false),
        col("hadoop_version", Kind::Text, false),
        col("node_processes", Kind::JsonList, true),
        col("node_configs", Kind::JsonDict, true),
        col("volumes_per_node", Kind::Int, false),
        col("volumes_size", Kind::Int, true),
        col("volume_mount_prefix", Kind::Text, true),
        col("floating_ip_pool", Kind::Text, true),
        col("security_groups", Kind::JsonList, true),
        col("auto_security_group", Kind::Bool, true),
        col("availability_zone", Kind::Text, true),
        col("volumes_availability_zone", Kind::Text, true),
        col("volume_type", Kind::Text, true),
        col("is_proxy_gateway", Kind::Bool, true),
        col("volume_local_to_instance", Kind::Bool, true),
        col_d("is_default", Kind::Bool, true, ColumnDefault::Bool(false)),
        col_d("use_autoconfig", Kind::Bool, true, ColumnDefault::Bool(true)),
        col("shares", Kind::JsonList, true),
        col("is_public", Kind::Bool, true),
        col("is_protected", Kind::Bool, true),
        col_d("boot_from_volume", Kind::Bool, false, ColumnDefault::Bool(false)),
        col("boot_volume_availability_zone", Kind::Text, true),
        col("boot_volume_local_to_instance", Kind::Bool, true),
        col("boot_volume_type", Kind::Text, true),
    ],
};

/// `plugin_data`.
pub static PLUGIN_DATA: Table = Table {
    name: "plugin_data",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, false),
        col("name", Kind::Text, false),
        col("plugin_labels", Kind::JsonDict, true),
        col("version_labels", Kind::JsonDict, true),
    ],
};

/// `templates_relations`.
pub static TEMPLATES_RELATIONS: Table = Table {
    name: "templates_relations",
    columns: &[
        col("created_at", Kind::Timestamp, true),
        col("updated_at", Kind::Timestamp, true),
        col("id", Kind::Text, false),
        col("tenant_id", Kind::Text, true),
        col("name", Kind::Text, false),
        col("flavor_id", Kind::Text, false),
        col("image_id", Kind::Text, true),
        col("node_processes", Kind::JsonList, true),
        col("node_configs", Kind::JsonDict, true),
        col("volumes_per_node", Kind::Int, true),
        col("volumes_size", Kind::Int, true),
        col("volume_mount_prefix", Kind::Text, true),
        col("count", Kind::Int, false),
        col("cluster_template_id", Kind::Text, true),
        col("node_group_template_id", Kind::Text, true),
        col("floating_ip_pool", Kind::Text, true),
        col("security_groups", Kind::JsonList, true),
        col("auto_security_group", Kind::Bool, true),
        col("availability_zone", Kind::Text, true),
        col("volumes_availability_zone", Kind::Text, true),
        col("volume_type", Kind::Text, true),
        col("is_proxy_gateway", Kind::Bool, true),
        col("volume_local_to_instance", Kind::Bool, true),
        col_d("use_autoconfig", Kind::Bool, true, ColumnDefault::Bool(true)),
        col("shares", Kind::JsonList, true),
        col_d("boot_from_volume", Kind::Bool, false, ColumnDefault::Bool(false)),
        col("boot_volume_availability_zone", Kind::Text, true),
        col("boot_volume_local_to_instance", Kind::Bool, true),
        col("boot_volume_type", Kind::Text, true),
    ],
};
