-- Sahara 19's schema as Python Sahara's alembic migrations leave it at revision 035, on
-- MySQL/MariaDB: same tables, columns in the same order, keys and constraints under the
-- names MySQL gave them there. Tables are created parents first. plugin_data (created by
-- alembic 031 without a charset) and alembic_version are the only tables that take the
-- database's default charset; alembic_version is not ours and is not created here.
-- ORM-only cascades (cluster -> node groups -> instances, ...) are not database constraints.

CREATE TABLE `cluster_templates` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `cluster_configs` TEXT NULL,
  `default_image_id` VARCHAR(36) NULL,
  `anti_affinity` TEXT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `neutron_management_network` VARCHAR(36) NULL,
  `plugin_name` VARCHAR(80) NOT NULL,
  `hadoop_version` VARCHAR(80) NOT NULL,
  `is_default` BOOL NULL,
  `use_autoconfig` BOOL NULL,
  `shares` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  `domain_name` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `node_group_templates` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `flavor_id` VARCHAR(36) NOT NULL,
  `image_id` VARCHAR(36) NULL,
  `plugin_name` VARCHAR(80) NOT NULL,
  `hadoop_version` VARCHAR(80) NOT NULL,
  `node_processes` TEXT NULL,
  `node_configs` TEXT NULL,
  `volumes_per_node` INT NOT NULL,
  `volumes_size` INT NULL,
  `volume_mount_prefix` VARCHAR(80) NULL,
  `floating_ip_pool` VARCHAR(36) NULL,
  `security_groups` TEXT NULL,
  `auto_security_group` BOOL NULL,
  `availability_zone` VARCHAR(255) NULL,
  `volumes_availability_zone` VARCHAR(255) NULL,
  `volume_type` VARCHAR(255) NULL,
  `is_proxy_gateway` BOOL NULL,
  `volume_local_to_instance` BOOL NULL,
  `is_default` BOOL NULL,
  `use_autoconfig` BOOL NULL,
  `shares` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  `boot_from_volume` BOOL NOT NULL,
  `boot_volume_availability_zone` VARCHAR(255) NULL,
  `boot_volume_local_to_instance` BOOL NULL,
  `boot_volume_type` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `clusters` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `trust_id` VARCHAR(36) NULL,
  `is_transient` BOOL NULL,
  `plugin_name` VARCHAR(80) NOT NULL,
  `hadoop_version` VARCHAR(80) NOT NULL,
  `cluster_configs` TEXT NULL,
  `default_image_id` VARCHAR(36) NULL,
  `neutron_management_network` VARCHAR(36) NULL,
  `anti_affinity` TEXT NULL,
  `management_private_key` TEXT NOT NULL,
  `management_public_key` TEXT NOT NULL,
  `user_keypair_id` VARCHAR(80) NULL,
  `status` VARCHAR(80) NULL,
  `status_description` LONGTEXT NULL,
  `info` TEXT NULL,
  `extra` TEXT NULL,
  `cluster_template_id` VARCHAR(36) NULL,
  `rollback_info` TEXT NULL,
  `sahara_info` TEXT NULL,
  `use_autoconfig` BOOL NULL,
  `shares` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  `domain_name` VARCHAR(255) NULL,
  `anti_affinity_ratio` INT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`),
  KEY `cluster_template_id` (`cluster_template_id`),
  CONSTRAINT `clusters_ibfk_1` FOREIGN KEY (`cluster_template_id`) REFERENCES `cluster_templates` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `node_groups` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `flavor_id` VARCHAR(36) NOT NULL,
  `image_id` VARCHAR(36) NULL,
  `image_username` VARCHAR(36) NULL,
  `node_processes` TEXT NULL,
  `node_configs` TEXT NULL,
  `volumes_per_node` INT NULL,
  `volumes_size` INT NULL,
  `volume_mount_prefix` VARCHAR(80) NULL,
  `count` INT NOT NULL,
  `cluster_id` VARCHAR(36) NULL,
  `node_group_template_id` VARCHAR(36) NULL,
  `floating_ip_pool` VARCHAR(36) NULL,
  `security_groups` TEXT NULL,
  `auto_security_group` BOOL NULL,
  `open_ports` TEXT NULL,
  `availability_zone` VARCHAR(255) NULL,
  `volumes_availability_zone` VARCHAR(255) NULL,
  `volume_type` VARCHAR(255) NULL,
  `is_proxy_gateway` BOOL NULL,
  `volume_local_to_instance` BOOL NULL,
  `use_autoconfig` BOOL NULL,
  `shares` TEXT NULL,
  `boot_from_volume` BOOL NOT NULL,
  `boot_volume_availability_zone` VARCHAR(255) NULL,
  `boot_volume_local_to_instance` BOOL NULL,
  `boot_volume_type` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `cluster_id`),
  KEY `cluster_id` (`cluster_id`),
  KEY `node_group_template_id` (`node_group_template_id`),
  CONSTRAINT `node_groups_ibfk_1` FOREIGN KEY (`cluster_id`) REFERENCES `clusters` (`id`),
  CONSTRAINT `node_groups_ibfk_2` FOREIGN KEY (`node_group_template_id`) REFERENCES `node_group_templates` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `instances` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `node_group_id` VARCHAR(36) NULL,
  `instance_id` VARCHAR(36) NULL,
  `instance_name` VARCHAR(80) NOT NULL,
  `internal_ip` VARCHAR(45) NULL,
  `management_ip` VARCHAR(45) NULL,
  `volumes` TEXT NULL,
  `storage_devices_number` INT NULL,
  `dns_hostname` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `instance_id` (`instance_id`, `node_group_id`),
  KEY `node_group_id` (`node_group_id`),
  CONSTRAINT `instances_ibfk_1` FOREIGN KEY (`node_group_id`) REFERENCES `node_groups` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `templates_relations` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `flavor_id` VARCHAR(36) NOT NULL,
  `image_id` VARCHAR(36) NULL,
  `node_processes` TEXT NULL,
  `node_configs` TEXT NULL,
  `volumes_per_node` INT NULL,
  `volumes_size` INT NULL,
  `volume_mount_prefix` VARCHAR(80) NULL,
  `count` INT NOT NULL,
  `cluster_template_id` VARCHAR(36) NULL,
  `node_group_template_id` VARCHAR(36) NULL,
  `floating_ip_pool` VARCHAR(36) NULL,
  `security_groups` TEXT NULL,
  `auto_security_group` BOOL NULL,
  `availability_zone` VARCHAR(255) NULL,
  `volumes_availability_zone` VARCHAR(255) NULL,
  `volume_type` VARCHAR(255) NULL,
  `is_proxy_gateway` BOOL NULL,
  `volume_local_to_instance` BOOL NULL,
  `use_autoconfig` BOOL NULL,
  `shares` TEXT NULL,
  `boot_from_volume` BOOL NOT NULL,
  `boot_volume_availability_zone` VARCHAR(255) NULL,
  `boot_volume_local_to_instance` BOOL NULL,
  `boot_volume_type` VARCHAR(255) NULL,
  PRIMARY KEY (`id`),
  KEY `cluster_template_id` (`cluster_template_id`),
  KEY `node_group_template_id` (`node_group_template_id`),
  CONSTRAINT `templates_relations_ibfk_1` FOREIGN KEY (`cluster_template_id`) REFERENCES `cluster_templates` (`id`),
  CONSTRAINT `templates_relations_ibfk_2` FOREIGN KEY (`node_group_template_id`) REFERENCES `node_group_templates` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `data_sources` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `type` VARCHAR(80) NOT NULL,
  `url` VARCHAR(256) NOT NULL,
  `credentials` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `jobs` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `type` VARCHAR(80) NOT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `job_binaries` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `url` VARCHAR(256) NOT NULL,
  `extra` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `job_binary_internal` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `data` LONGBLOB NULL,
  `datasize` BIGINT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `job_executions` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `job_id` VARCHAR(36) NULL,
  `input_id` VARCHAR(36) NULL,
  `output_id` VARCHAR(36) NULL,
  `start_time` DATETIME NULL,
  `end_time` DATETIME NULL,
  `cluster_id` VARCHAR(36) NULL,
  `info` TEXT NULL,
  `engine_job_id` VARCHAR(100) NULL,
  `return_code` VARCHAR(80) NULL,
  `job_configs` TEXT NULL,
  `extra` TEXT NULL,
  `data_source_urls` TEXT NULL,
  `is_public` BOOL NULL,
  `is_protected` BOOL NULL,
  PRIMARY KEY (`id`),
  KEY `cluster_id` (`cluster_id`),
  KEY `input_id` (`input_id`),
  KEY `job_id` (`job_id`),
  KEY `output_id` (`output_id`),
  CONSTRAINT `job_executions_ibfk_1` FOREIGN KEY (`cluster_id`) REFERENCES `clusters` (`id`),
  CONSTRAINT `job_executions_ibfk_2` FOREIGN KEY (`input_id`) REFERENCES `data_sources` (`id`),
  CONSTRAINT `job_executions_ibfk_3` FOREIGN KEY (`job_id`) REFERENCES `jobs` (`id`),
  CONSTRAINT `job_executions_ibfk_4` FOREIGN KEY (`output_id`) REFERENCES `data_sources` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `mains_association` (
  `Job_id` VARCHAR(36) NULL,
  `JobBinary_id` VARCHAR(36) NULL,
  KEY `JobBinary_id` (`JobBinary_id`),
  KEY `Job_id` (`Job_id`),
  CONSTRAINT `mains_association_ibfk_1` FOREIGN KEY (`JobBinary_id`) REFERENCES `job_binaries` (`id`),
  CONSTRAINT `mains_association_ibfk_2` FOREIGN KEY (`Job_id`) REFERENCES `jobs` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `libs_association` (
  `Job_id` VARCHAR(36) NULL,
  `JobBinary_id` VARCHAR(36) NULL,
  KEY `JobBinary_id` (`JobBinary_id`),
  KEY `Job_id` (`Job_id`),
  CONSTRAINT `libs_association_ibfk_1` FOREIGN KEY (`JobBinary_id`) REFERENCES `job_binaries` (`id`),
  CONSTRAINT `libs_association_ibfk_2` FOREIGN KEY (`Job_id`) REFERENCES `jobs` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `job_interface_arguments` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `job_id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NULL,
  `name` VARCHAR(80) NOT NULL,
  `description` TEXT NULL,
  `mapping_type` VARCHAR(80) NOT NULL,
  `location` TEXT NOT NULL,
  `value_type` VARCHAR(80) NOT NULL,
  `required` BOOL NOT NULL,
  `order` SMALLINT NOT NULL,
  `default` TEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `job_id` (`job_id`, `order`),
  UNIQUE KEY `job_id_2` (`job_id`, `name`),
  CONSTRAINT `job_interface_arguments_ibfk_1` FOREIGN KEY (`job_id`) REFERENCES `jobs` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `cluster_provision_steps` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `cluster_id` VARCHAR(36) NULL,
  `tenant_id` VARCHAR(36) NULL,
  `step_name` VARCHAR(80) NULL,
  `step_type` VARCHAR(36) NULL,
  `total` INT NULL,
  `successful` BOOL NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id` (`id`, `cluster_id`),
  KEY `cluster_id` (`cluster_id`),
  CONSTRAINT `cluster_provision_steps_ibfk_1` FOREIGN KEY (`cluster_id`) REFERENCES `clusters` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `cluster_events` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `node_group_id` VARCHAR(36) NULL,
  `instance_id` VARCHAR(36) NULL,
  `instance_name` VARCHAR(80) NULL,
  `event_info` TEXT NULL,
  `successful` BOOL NOT NULL,
  `step_id` VARCHAR(36) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id` (`id`, `step_id`),
  KEY `step_id` (`step_id`),
  CONSTRAINT `cluster_events_ibfk_1` FOREIGN KEY (`step_id`) REFERENCES `cluster_provision_steps` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `cluster_verifications` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `cluster_id` VARCHAR(36) NULL,
  `status` VARCHAR(15) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id` (`id`, `cluster_id`),
  KEY `cluster_id` (`cluster_id`),
  CONSTRAINT `cluster_verifications_ibfk_1` FOREIGN KEY (`cluster_id`) REFERENCES `clusters` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `cluster_health_checks` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `verification_id` VARCHAR(36) NULL,
  `status` VARCHAR(15) NULL,
  `description` TEXT NULL,
  `name` VARCHAR(80) NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `id` (`id`, `verification_id`),
  KEY `verification_id` (`verification_id`),
  CONSTRAINT `cluster_health_checks_ibfk_1` FOREIGN KEY (`verification_id`) REFERENCES `cluster_verifications` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8;

CREATE TABLE `plugin_data` (
  `created_at` DATETIME NULL,
  `updated_at` DATETIME NULL,
  `id` VARCHAR(36) NOT NULL,
  `tenant_id` VARCHAR(36) NOT NULL,
  `name` VARCHAR(15) NOT NULL,
  `plugin_labels` TEXT NULL,
  `version_labels` TEXT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `name` (`name`, `tenant_id`)
) ENGINE=InnoDB;
