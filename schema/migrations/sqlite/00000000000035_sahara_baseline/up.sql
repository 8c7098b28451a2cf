-- Sahara 19's schema (alembic revision 035) on SQLite: the same tables, columns in the same
-- order, nullability, primary keys, unique constraints and foreign keys as on MySQL, with
-- SQLite types (strings TEXT, integers INTEGER, booleans BOOLEAN, DATETIME, BLOB). MySQL's
-- implicit foreign key indexes become explicit indexes named ix_<table>_<mysql key name>.
-- Foreign keys are enforced when the connection sets PRAGMA foreign_keys = ON (ours do).

CREATE TABLE "cluster_templates" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "cluster_configs" TEXT,
  "default_image_id" TEXT,
  "anti_affinity" TEXT,
  "tenant_id" TEXT,
  "neutron_management_network" TEXT,
  "plugin_name" TEXT NOT NULL,
  "hadoop_version" TEXT NOT NULL,
  "is_default" BOOLEAN,
  "use_autoconfig" BOOLEAN,
  "shares" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  "domain_name" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "node_group_templates" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "tenant_id" TEXT,
  "flavor_id" TEXT NOT NULL,
  "image_id" TEXT,
  "plugin_name" TEXT NOT NULL,
  "hadoop_version" TEXT NOT NULL,
  "node_processes" TEXT,
  "node_configs" TEXT,
  "volumes_per_node" INTEGER NOT NULL,
  "volumes_size" INTEGER,
  "volume_mount_prefix" TEXT,
  "floating_ip_pool" TEXT,
  "security_groups" TEXT,
  "auto_security_group" BOOLEAN,
  "availability_zone" TEXT,
  "volumes_availability_zone" TEXT,
  "volume_type" TEXT,
  "is_proxy_gateway" BOOLEAN,
  "volume_local_to_instance" BOOLEAN,
  "is_default" BOOLEAN,
  "use_autoconfig" BOOLEAN,
  "shares" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  "boot_from_volume" BOOLEAN NOT NULL,
  "boot_volume_availability_zone" TEXT,
  "boot_volume_local_to_instance" BOOLEAN,
  "boot_volume_type" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "clusters" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "tenant_id" TEXT,
  "trust_id" TEXT,
  "is_transient" BOOLEAN,
  "plugin_name" TEXT NOT NULL,
  "hadoop_version" TEXT NOT NULL,
  "cluster_configs" TEXT,
  "default_image_id" TEXT,
  "neutron_management_network" TEXT,
  "anti_affinity" TEXT,
  "management_private_key" TEXT NOT NULL,
  "management_public_key" TEXT NOT NULL,
  "user_keypair_id" TEXT,
  "status" TEXT,
  "status_description" TEXT,
  "info" TEXT,
  "extra" TEXT,
  "cluster_template_id" TEXT,
  "rollback_info" TEXT,
  "sahara_info" TEXT,
  "use_autoconfig" BOOLEAN,
  "shares" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  "domain_name" TEXT,
  "anti_affinity_ratio" INTEGER,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id"),
  FOREIGN KEY ("cluster_template_id") REFERENCES "cluster_templates" ("id")
);
CREATE INDEX "ix_clusters_cluster_template_id" ON "clusters" ("cluster_template_id");

CREATE TABLE "node_groups" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "tenant_id" TEXT,
  "flavor_id" TEXT NOT NULL,
  "image_id" TEXT,
  "image_username" TEXT,
  "node_processes" TEXT,
  "node_configs" TEXT,
  "volumes_per_node" INTEGER,
  "volumes_size" INTEGER,
  "volume_mount_prefix" TEXT,
  "count" INTEGER NOT NULL,
  "cluster_id" TEXT,
  "node_group_template_id" TEXT,
  "floating_ip_pool" TEXT,
  "security_groups" TEXT,
  "auto_security_group" BOOLEAN,
  "open_ports" TEXT,
  "availability_zone" TEXT,
  "volumes_availability_zone" TEXT,
  "volume_type" TEXT,
  "is_proxy_gateway" BOOLEAN,
  "volume_local_to_instance" BOOLEAN,
  "use_autoconfig" BOOLEAN,
  "shares" TEXT,
  "boot_from_volume" BOOLEAN NOT NULL,
  "boot_volume_availability_zone" TEXT,
  "boot_volume_local_to_instance" BOOLEAN,
  "boot_volume_type" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "cluster_id"),
  FOREIGN KEY ("cluster_id") REFERENCES "clusters" ("id"),
  FOREIGN KEY ("node_group_template_id") REFERENCES "node_group_templates" ("id")
);
CREATE INDEX "ix_node_groups_cluster_id" ON "node_groups" ("cluster_id");
CREATE INDEX "ix_node_groups_node_group_template_id" ON "node_groups" ("node_group_template_id");

CREATE TABLE "instances" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "node_group_id" TEXT,
  "instance_id" TEXT,
  "instance_name" TEXT NOT NULL,
  "internal_ip" TEXT,
  "management_ip" TEXT,
  "volumes" TEXT,
  "storage_devices_number" INTEGER,
  "dns_hostname" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("instance_id", "node_group_id"),
  FOREIGN KEY ("node_group_id") REFERENCES "node_groups" ("id")
);
CREATE INDEX "ix_instances_node_group_id" ON "instances" ("node_group_id");

CREATE TABLE "templates_relations" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "flavor_id" TEXT NOT NULL,
  "image_id" TEXT,
  "node_processes" TEXT,
  "node_configs" TEXT,
  "volumes_per_node" INTEGER,
  "volumes_size" INTEGER,
  "volume_mount_prefix" TEXT,
  "count" INTEGER NOT NULL,
  "cluster_template_id" TEXT,
  "node_group_template_id" TEXT,
  "floating_ip_pool" TEXT,
  "security_groups" TEXT,
  "auto_security_group" BOOLEAN,
  "availability_zone" TEXT,
  "volumes_availability_zone" TEXT,
  "volume_type" TEXT,
  "is_proxy_gateway" BOOLEAN,
  "volume_local_to_instance" BOOLEAN,
  "use_autoconfig" BOOLEAN,
  "shares" TEXT,
  "boot_from_volume" BOOLEAN NOT NULL,
  "boot_volume_availability_zone" TEXT,
  "boot_volume_local_to_instance" BOOLEAN,
  "boot_volume_type" TEXT,
  PRIMARY KEY ("id"),
  FOREIGN KEY ("cluster_template_id") REFERENCES "cluster_templates" ("id"),
  FOREIGN KEY ("node_group_template_id") REFERENCES "node_group_templates" ("id")
);
CREATE INDEX "ix_templates_relations_cluster_template_id" ON "templates_relations" ("cluster_template_id");
CREATE INDEX "ix_templates_relations_node_group_template_id" ON "templates_relations" ("node_group_template_id");

CREATE TABLE "data_sources" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "type" TEXT NOT NULL,
  "url" TEXT NOT NULL,
  "credentials" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "jobs" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "type" TEXT NOT NULL,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "job_binaries" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "url" TEXT NOT NULL,
  "extra" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "job_binary_internal" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "data" BLOB,
  "datasize" INTEGER,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);

CREATE TABLE "job_executions" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "job_id" TEXT,
  "input_id" TEXT,
  "output_id" TEXT,
  "start_time" DATETIME,
  "end_time" DATETIME,
  "cluster_id" TEXT,
  "info" TEXT,
  "engine_job_id" TEXT,
  "return_code" TEXT,
  "job_configs" TEXT,
  "extra" TEXT,
  "data_source_urls" TEXT,
  "is_public" BOOLEAN,
  "is_protected" BOOLEAN,
  PRIMARY KEY ("id"),
  FOREIGN KEY ("cluster_id") REFERENCES "clusters" ("id"),
  FOREIGN KEY ("input_id") REFERENCES "data_sources" ("id"),
  FOREIGN KEY ("job_id") REFERENCES "jobs" ("id"),
  FOREIGN KEY ("output_id") REFERENCES "data_sources" ("id")
);
CREATE INDEX "ix_job_executions_cluster_id" ON "job_executions" ("cluster_id");
CREATE INDEX "ix_job_executions_input_id" ON "job_executions" ("input_id");
CREATE INDEX "ix_job_executions_job_id" ON "job_executions" ("job_id");
CREATE INDEX "ix_job_executions_output_id" ON "job_executions" ("output_id");

CREATE TABLE "mains_association" (
  "Job_id" TEXT,
  "JobBinary_id" TEXT,
  FOREIGN KEY ("JobBinary_id") REFERENCES "job_binaries" ("id"),
  FOREIGN KEY ("Job_id") REFERENCES "jobs" ("id")
);
CREATE INDEX "ix_mains_association_JobBinary_id" ON "mains_association" ("JobBinary_id");
CREATE INDEX "ix_mains_association_Job_id" ON "mains_association" ("Job_id");

CREATE TABLE "libs_association" (
  "Job_id" TEXT,
  "JobBinary_id" TEXT,
  FOREIGN KEY ("JobBinary_id") REFERENCES "job_binaries" ("id"),
  FOREIGN KEY ("Job_id") REFERENCES "jobs" ("id")
);
CREATE INDEX "ix_libs_association_JobBinary_id" ON "libs_association" ("JobBinary_id");
CREATE INDEX "ix_libs_association_Job_id" ON "libs_association" ("Job_id");

CREATE TABLE "job_interface_arguments" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "job_id" TEXT NOT NULL,
  "tenant_id" TEXT,
  "name" TEXT NOT NULL,
  "description" TEXT,
  "mapping_type" TEXT NOT NULL,
  "location" TEXT NOT NULL,
  "value_type" TEXT NOT NULL,
  "required" BOOLEAN NOT NULL,
  "order" INTEGER NOT NULL,
  "default" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("job_id", "order"),
  UNIQUE ("job_id", "name"),
  FOREIGN KEY ("job_id") REFERENCES "jobs" ("id")
);

CREATE TABLE "cluster_provision_steps" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "cluster_id" TEXT,
  "tenant_id" TEXT,
  "step_name" TEXT,
  "step_type" TEXT,
  "total" INTEGER,
  "successful" BOOLEAN,
  PRIMARY KEY ("id"),
  UNIQUE ("id", "cluster_id"),
  FOREIGN KEY ("cluster_id") REFERENCES "clusters" ("id")
);
CREATE INDEX "ix_cluster_provision_steps_cluster_id" ON "cluster_provision_steps" ("cluster_id");

CREATE TABLE "cluster_events" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "node_group_id" TEXT,
  "instance_id" TEXT,
  "instance_name" TEXT,
  "event_info" TEXT,
  "successful" BOOLEAN NOT NULL,
  "step_id" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("id", "step_id"),
  FOREIGN KEY ("step_id") REFERENCES "cluster_provision_steps" ("id")
);
CREATE INDEX "ix_cluster_events_step_id" ON "cluster_events" ("step_id");

CREATE TABLE "cluster_verifications" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "cluster_id" TEXT,
  "status" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("id", "cluster_id"),
  FOREIGN KEY ("cluster_id") REFERENCES "clusters" ("id")
);
CREATE INDEX "ix_cluster_verifications_cluster_id" ON "cluster_verifications" ("cluster_id");

CREATE TABLE "cluster_health_checks" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "verification_id" TEXT,
  "status" TEXT,
  "description" TEXT,
  "name" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("id", "verification_id"),
  FOREIGN KEY ("verification_id") REFERENCES "cluster_verifications" ("id")
);
CREATE INDEX "ix_cluster_health_checks_verification_id" ON "cluster_health_checks" ("verification_id");

CREATE TABLE "plugin_data" (
  "created_at" DATETIME,
  "updated_at" DATETIME,
  "id" TEXT NOT NULL,
  "tenant_id" TEXT NOT NULL,
  "name" TEXT NOT NULL,
  "plugin_labels" TEXT,
  "version_labels" TEXT,
  PRIMARY KEY ("id"),
  UNIQUE ("name", "tenant_id")
);
