//! diesel `table!` definitions of Sahara's 19 tables (alembic head 035), in the databases' own
//! column order, plus the table list and unique keys as data.
//!
//! Types are the ones both backends of [`DbConnection`](crate::DbConnection) support:
//! `VARCHAR`/`TEXT`/`LONGTEXT` are `Text`, `tinyint(1)` is `Bool`, `DATETIME` is `Timestamp`
//! (`chrono::NaiveDateTime`, UTC as Sahara stores it), `LONGBLOB` is `Binary`. Sahara's JSON
//! columns (`JsonDictType`/`JsonListType`: TEXT holding JSON) are `Nullable<Text>`; the model
//! layer (de)serialises them with serde_json. Each column's comment gives its MySQL type and
//! nullability, JSON shape and foreign key.
//!
//! `mains_association` and `libs_association` have no primary key in the database. diesel needs
//! one, so they are declared with the pseudo-key `(job_id, job_binary_id)`: fine for inserts,
//! filters and joins, but `find()`/`Identifiable` on them do not mean "one row". Their columns
//! are spelled `Job_id` / `JobBinary_id` in SQL (case matters on MySQL).

diesel::table! {
    /// Clusters (`Cluster` in Sahara's models). Unique: (`name`, `tenant_id`).
    /// JSON: `cluster_configs`, `info`, `extra`, `rollback_info`, `sahara_info` (dicts),
    /// `anti_affinity`, `shares` (lists).
    clusters (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        trust_id -> Nullable<Text>,
        /// `BOOL`.
        is_transient -> Nullable<Bool>,
        /// `VARCHAR(80)` NOT NULL.
        plugin_name -> Text,
        /// `VARCHAR(80)` NOT NULL.
        hadoop_version -> Text,
        /// `TEXT`, JSON object.
        cluster_configs -> Nullable<Text>,
        /// `VARCHAR(36)`.
        default_image_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        neutron_management_network -> Nullable<Text>,
        /// `TEXT`, JSON list.
        anti_affinity -> Nullable<Text>,
        /// `TEXT` NOT NULL.
        management_private_key -> Text,
        /// `TEXT` NOT NULL.
        management_public_key -> Text,
        /// `VARCHAR(80)`.
        user_keypair_id -> Nullable<Text>,
        /// `VARCHAR(80)`.
        status -> Nullable<Text>,
        /// `LONGTEXT`.
        status_description -> Nullable<Text>,
        /// `TEXT`, JSON object.
        info -> Nullable<Text>,
        /// `TEXT`, JSON object.
        extra -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `cluster_templates.id`.
        cluster_template_id -> Nullable<Text>,
        /// `TEXT`, JSON object.
        rollback_info -> Nullable<Text>,
        /// `TEXT`, JSON object.
        sahara_info -> Nullable<Text>,
        /// `BOOL`.
        use_autoconfig -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        shares -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        domain_name -> Nullable<Text>,
        /// `INT`.
        anti_affinity_ratio -> Nullable<Integer>,
    }
}

diesel::table! {
    /// Node groups of a cluster. Unique: (`name`, `cluster_id`).
    /// JSON: `node_configs` (dict), `node_processes`, `security_groups`, `open_ports`, `shares` (lists).
    node_groups (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)` NOT NULL.
        flavor_id -> Text,
        /// `VARCHAR(36)`.
        image_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        image_username -> Nullable<Text>,
        /// `TEXT`, JSON list.
        node_processes -> Nullable<Text>,
        /// `TEXT`, JSON object.
        node_configs -> Nullable<Text>,
        /// `INT`.
        volumes_per_node -> Nullable<Integer>,
        /// `INT`.
        volumes_size -> Nullable<Integer>,
        /// `VARCHAR(80)`.
        volume_mount_prefix -> Nullable<Text>,
        /// `INT` NOT NULL.
        count -> Integer,
        /// `VARCHAR(36)`, foreign key to `clusters.id`.
        cluster_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `node_group_templates.id`.
        node_group_template_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        floating_ip_pool -> Nullable<Text>,
        /// `TEXT`, JSON list.
        security_groups -> Nullable<Text>,
        /// `BOOL`.
        auto_security_group -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        open_ports -> Nullable<Text>,
        /// `VARCHAR(255)`.
        availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volumes_availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volume_type -> Nullable<Text>,
        /// `BOOL`.
        is_proxy_gateway -> Nullable<Bool>,
        /// `BOOL`.
        volume_local_to_instance -> Nullable<Bool>,
        /// `BOOL`.
        use_autoconfig -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        shares -> Nullable<Text>,
        /// `BOOL` NOT NULL.
        boot_from_volume -> Bool,
        /// `VARCHAR(255)`.
        boot_volume_availability_zone -> Nullable<Text>,
        /// `BOOL`.
        boot_volume_local_to_instance -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        boot_volume_type -> Nullable<Text>,
    }
}

diesel::table! {
    /// Instances (servers) of a node group. Unique: (`instance_id`, `node_group_id`).
    /// JSON: `volumes` (list).
    instances (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `node_groups.id`.
        node_group_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        instance_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        instance_name -> Text,
        /// `VARCHAR(45)`.
        internal_ip -> Nullable<Text>,
        /// `VARCHAR(45)`.
        management_ip -> Nullable<Text>,
        /// `TEXT`, JSON list.
        volumes -> Nullable<Text>,
        /// `INT`.
        storage_devices_number -> Nullable<Integer>,
        /// `VARCHAR(255)`.
        dns_hostname -> Nullable<Text>,
    }
}

diesel::table! {
    /// Cluster templates. Unique: (`name`, `tenant_id`).
    /// JSON: `cluster_configs` (dict), `anti_affinity`, `shares` (lists).
    cluster_templates (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `TEXT`, JSON object.
        cluster_configs -> Nullable<Text>,
        /// `VARCHAR(36)`.
        default_image_id -> Nullable<Text>,
        /// `TEXT`, JSON list.
        anti_affinity -> Nullable<Text>,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        neutron_management_network -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        plugin_name -> Text,
        /// `VARCHAR(80)` NOT NULL.
        hadoop_version -> Text,
        /// `BOOL`.
        is_default -> Nullable<Bool>,
        /// `BOOL`.
        use_autoconfig -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        shares -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        domain_name -> Nullable<Text>,
    }
}

diesel::table! {
    /// Node group templates. Unique: (`name`, `tenant_id`).
    /// JSON: `node_configs` (dict), `node_processes`, `security_groups`, `shares` (lists).
    node_group_templates (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)` NOT NULL.
        flavor_id -> Text,
        /// `VARCHAR(36)`.
        image_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        plugin_name -> Text,
        /// `VARCHAR(80)` NOT NULL.
        hadoop_version -> Text,
        /// `TEXT`, JSON list.
        node_processes -> Nullable<Text>,
        /// `TEXT`, JSON object.
        node_configs -> Nullable<Text>,
        /// `INT` NOT NULL.
        volumes_per_node -> Integer,
        /// `INT`.
        volumes_size -> Nullable<Integer>,
        /// `VARCHAR(80)`.
        volume_mount_prefix -> Nullable<Text>,
        /// `VARCHAR(36)`.
        floating_ip_pool -> Nullable<Text>,
        /// `TEXT`, JSON list.
        security_groups -> Nullable<Text>,
        /// `BOOL`.
        auto_security_group -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volumes_availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volume_type -> Nullable<Text>,
        /// `BOOL`.
        is_proxy_gateway -> Nullable<Bool>,
        /// `BOOL`.
        volume_local_to_instance -> Nullable<Bool>,
        /// `BOOL`.
        is_default -> Nullable<Bool>,
        /// `BOOL`.
        use_autoconfig -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        shares -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
        /// `BOOL` NOT NULL.
        boot_from_volume -> Bool,
        /// `VARCHAR(255)`.
        boot_volume_availability_zone -> Nullable<Text>,
        /// `BOOL`.
        boot_volume_local_to_instance -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        boot_volume_type -> Nullable<Text>,
    }
}

diesel::table! {
    /// Node groups inside a cluster template (`TemplatesRelation`); no unique key.
    /// JSON: `node_configs` (dict), `node_processes`, `security_groups`, `shares` (lists).
    templates_relations (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `VARCHAR(36)` NOT NULL.
        flavor_id -> Text,
        /// `VARCHAR(36)`.
        image_id -> Nullable<Text>,
        /// `TEXT`, JSON list.
        node_processes -> Nullable<Text>,
        /// `TEXT`, JSON object.
        node_configs -> Nullable<Text>,
        /// `INT`.
        volumes_per_node -> Nullable<Integer>,
        /// `INT`.
        volumes_size -> Nullable<Integer>,
        /// `VARCHAR(80)`.
        volume_mount_prefix -> Nullable<Text>,
        /// `INT` NOT NULL.
        count -> Integer,
        /// `VARCHAR(36)`, foreign key to `cluster_templates.id`.
        cluster_template_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `node_group_templates.id`.
        node_group_template_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        floating_ip_pool -> Nullable<Text>,
        /// `TEXT`, JSON list.
        security_groups -> Nullable<Text>,
        /// `BOOL`.
        auto_security_group -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volumes_availability_zone -> Nullable<Text>,
        /// `VARCHAR(255)`.
        volume_type -> Nullable<Text>,
        /// `BOOL`.
        is_proxy_gateway -> Nullable<Bool>,
        /// `BOOL`.
        volume_local_to_instance -> Nullable<Bool>,
        /// `BOOL`.
        use_autoconfig -> Nullable<Bool>,
        /// `TEXT`, JSON list.
        shares -> Nullable<Text>,
        /// `BOOL` NOT NULL.
        boot_from_volume -> Bool,
        /// `VARCHAR(255)`.
        boot_volume_availability_zone -> Nullable<Text>,
        /// `BOOL`.
        boot_volume_local_to_instance -> Nullable<Bool>,
        /// `VARCHAR(255)`.
        boot_volume_type -> Nullable<Text>,
    }
}

diesel::table! {
    /// EDP data sources. Unique: (`name`, `tenant_id`). JSON: `credentials` (dict).
    data_sources (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        #[sql_name = "type"]
        type_ -> Text,
        /// `VARCHAR(256)` NOT NULL.
        url -> Text,
        /// `TEXT`, JSON object.
        credentials -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
    }
}

diesel::table! {
    /// EDP job executions; no unique key.
    /// JSON: `info`, `job_configs`, `extra`, `data_source_urls` (dicts).
    job_executions (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `jobs.id`.
        job_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `data_sources.id`.
        input_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `data_sources.id`.
        output_id -> Nullable<Text>,
        /// `DATETIME`.
        start_time -> Nullable<Timestamp>,
        /// `DATETIME`.
        end_time -> Nullable<Timestamp>,
        /// `VARCHAR(36)`, foreign key to `clusters.id`.
        cluster_id -> Nullable<Text>,
        /// `TEXT`, JSON object.
        info -> Nullable<Text>,
        /// `VARCHAR(100)`.
        engine_job_id -> Nullable<Text>,
        /// `VARCHAR(80)`.
        return_code -> Nullable<Text>,
        /// `TEXT`, JSON object.
        job_configs -> Nullable<Text>,
        /// `TEXT`, JSON object.
        extra -> Nullable<Text>,
        /// `TEXT`, JSON object.
        data_source_urls -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
    }
}

diesel::table! {
    /// EDP jobs. Unique: (`name`, `tenant_id`).
    jobs (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        #[sql_name = "type"]
        type_ -> Text,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
    }
}

diesel::table! {
    /// A job's main binaries (association table without a primary key in the database; the
    /// key declared here is a pseudo-key, see the module documentation).
    mains_association (job_id, job_binary_id) {
        /// `VARCHAR(36)`, foreign key to `jobs.id`.
        #[sql_name = "Job_id"]
        job_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `job_binaries.id`.
        #[sql_name = "JobBinary_id"]
        job_binary_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// A job's library binaries (association table without a primary key in the database; the
    /// key declared here is a pseudo-key, see the module documentation).
    libs_association (job_id, job_binary_id) {
        /// `VARCHAR(36)`, foreign key to `jobs.id`.
        #[sql_name = "Job_id"]
        job_id -> Nullable<Text>,
        /// `VARCHAR(36)`, foreign key to `job_binaries.id`.
        #[sql_name = "JobBinary_id"]
        job_binary_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// A job's interface arguments. Unique: (`job_id`, `order`) and (`job_id`, `name`).
    job_interface_arguments (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)` NOT NULL, foreign key to `jobs.id`.
        job_id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        mapping_type -> Text,
        /// `TEXT` NOT NULL.
        location -> Text,
        /// `VARCHAR(80)` NOT NULL.
        value_type -> Text,
        /// `BOOL` NOT NULL.
        required -> Bool,
        /// `SMALLINT` NOT NULL.
        order -> SmallInt,
        /// `TEXT`.
        default -> Nullable<Text>,
    }
}

diesel::table! {
    /// Job binaries stored in the database (`data` is never returned by the API).
    /// Unique: (`name`, `tenant_id`).
    job_binary_internal (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `LONGBLOB`.
        data -> Nullable<Binary>,
        /// `BIGINT`.
        datasize -> Nullable<BigInt>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
    }
}

diesel::table! {
    /// Job binaries (URLs: `internal-db://`, `swift://`, `manila://`, `s3://`).
    /// Unique: (`name`, `tenant_id`). JSON: `extra` (dict; credentials, hidden from the API).
    job_binaries (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)` NOT NULL.
        name -> Text,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(256)` NOT NULL.
        url -> Text,
        /// `TEXT`, JSON object.
        extra -> Nullable<Text>,
        /// `BOOL`.
        is_public -> Nullable<Bool>,
        /// `BOOL`.
        is_protected -> Nullable<Bool>,
    }
}

diesel::table! {
    /// Events of a provision step. Unique: (`id`, `step_id`).
    cluster_events (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`.
        node_group_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        instance_id -> Nullable<Text>,
        /// `VARCHAR(80)`.
        instance_name -> Nullable<Text>,
        /// `TEXT`.
        event_info -> Nullable<Text>,
        /// `BOOL` NOT NULL.
        successful -> Bool,
        /// `VARCHAR(36)`, foreign key to `cluster_provision_steps.id`.
        step_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// Provision steps of a cluster. Unique: (`id`, `cluster_id`).
    cluster_provision_steps (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`, foreign key to `clusters.id`.
        cluster_id -> Nullable<Text>,
        /// `VARCHAR(36)`.
        tenant_id -> Nullable<Text>,
        /// `VARCHAR(80)`.
        step_name -> Nullable<Text>,
        /// `VARCHAR(36)`.
        step_type -> Nullable<Text>,
        /// `INT`.
        total -> Nullable<Integer>,
        /// `BOOL`.
        successful -> Nullable<Bool>,
    }
}

diesel::table! {
    /// Health verifications of a cluster. Unique: (`id`, `cluster_id`).
    cluster_verifications (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`, foreign key to `clusters.id`.
        cluster_id -> Nullable<Text>,
        /// `VARCHAR(15)`.
        status -> Nullable<Text>,
    }
}

diesel::table! {
    /// Health checks of a verification. Unique: (`id`, `verification_id`).
    cluster_health_checks (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)`, foreign key to `cluster_verifications.id`.
        verification_id -> Nullable<Text>,
        /// `VARCHAR(15)`.
        status -> Nullable<Text>,
        /// `TEXT`.
        description -> Nullable<Text>,
        /// `VARCHAR(80)`.
        name -> Nullable<Text>,
    }
}

diesel::table! {
    /// Per-tenant plugin labels. Unique: (`name`, `tenant_id`).
    /// JSON: `plugin_labels`, `version_labels` (dicts).
    plugin_data (id) {
        /// `DATETIME`.
        created_at -> Nullable<Timestamp>,
        /// `DATETIME`.
        updated_at -> Nullable<Timestamp>,
        /// `VARCHAR(36)` NOT NULL, primary key (a UUID string).
        id -> Text,
        /// `VARCHAR(36)` NOT NULL.
        tenant_id -> Text,
        /// `VARCHAR(15)` NOT NULL.
        name -> Text,
        /// `TEXT`, JSON object.
        plugin_labels -> Nullable<Text>,
        /// `TEXT`, JSON object.
        version_labels -> Nullable<Text>,
    }
}

diesel::joinable!(clusters -> cluster_templates (cluster_template_id));
diesel::joinable!(node_groups -> clusters (cluster_id));
diesel::joinable!(node_groups -> node_group_templates (node_group_template_id));
diesel::joinable!(instances -> node_groups (node_group_id));
diesel::joinable!(templates_relations -> cluster_templates (cluster_template_id));
diesel::joinable!(templates_relations -> node_group_templates (node_group_template_id));
// job_executions has two foreign keys to data_sources (input_id, output_id): join those explicitly.
diesel::joinable!(job_executions -> clusters (cluster_id));
diesel::joinable!(job_executions -> jobs (job_id));
diesel::joinable!(mains_association -> jobs (job_id));
diesel::joinable!(mains_association -> job_binaries (job_binary_id));
diesel::joinable!(libs_association -> jobs (job_id));
diesel::joinable!(libs_association -> job_binaries (job_binary_id));
diesel::joinable!(job_interface_arguments -> jobs (job_id));
diesel::joinable!(cluster_provision_steps -> clusters (cluster_id));
diesel::joinable!(cluster_events -> cluster_provision_steps (step_id));
diesel::joinable!(cluster_verifications -> clusters (cluster_id));
diesel::joinable!(cluster_health_checks -> cluster_verifications (verification_id));

diesel::allow_tables_to_appear_in_same_query!(
    clusters,
    node_groups,
    instances,
    cluster_templates,
    node_group_templates,
    templates_relations,
    data_sources,
    job_executions,
    jobs,
    mains_association,
    libs_association,
    job_interface_arguments,
    job_binary_internal,
    job_binaries,
    cluster_events,
    cluster_provision_steps,
    cluster_verifications,
    cluster_health_checks,
    plugin_data,
);

/// Sahara's 19 tables, parents before children (the order the baseline creates them in).
pub const TABLES: [&str; 19] = [
    "cluster_templates",
    "node_group_templates",
    "clusters",
    "node_groups",
    "instances",
    "templates_relations",
    "data_sources",
    "jobs",
    "job_binaries",
    "job_binary_internal",
    "job_executions",
    "mains_association",
    "libs_association",
    "job_interface_arguments",
    "cluster_provision_steps",
    "cluster_events",
    "cluster_verifications",
    "cluster_health_checks",
    "plugin_data",
];

/// A unique key of a Sahara table, under the name MySQL gave it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UniqueKey {
    /// The table.
    pub table: &'static str,
    /// The MySQL index name (what a MySQL duplicate-entry error names).
    pub name: &'static str,
    /// The columns, in key order.
    pub columns: &'static [&'static str],
}

const fn key(table: &'static str, name: &'static str, columns: &'static [&'static str]) -> UniqueKey {
    UniqueKey { table, name, columns }
}

/// Every unique key besides the primary keys (all `id`).
pub const UNIQUE_KEYS: &[UniqueKey] = &[
    key("clusters", "name", &["name", "tenant_id"]),
    key("node_groups", "name", &["name", "cluster_id"]),
    key("instances", "instance_id", &["instance_id", "node_group_id"]),
    key("cluster_templates", "name", &["name", "tenant_id"]),
    key("node_group_templates", "name", &["name", "tenant_id"]),
    key("data_sources", "name", &["name", "tenant_id"]),
    key("jobs", "name", &["name", "tenant_id"]),
    key("job_interface_arguments", "job_id", &["job_id", "order"]),
    key("job_interface_arguments", "job_id_2", &["job_id", "name"]),
    key("job_binary_internal", "name", &["name", "tenant_id"]),
    key("job_binaries", "name", &["name", "tenant_id"]),
    key("cluster_events", "id", &["id", "step_id"]),
    key("cluster_provision_steps", "id", &["id", "cluster_id"]),
    key("cluster_verifications", "id", &["id", "cluster_id"]),
    key("cluster_health_checks", "id", &["id", "verification_id"]),
    key("plugin_data", "name", &["name", "tenant_id"]),
];
