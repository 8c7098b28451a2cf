//! Taking over a database Python Sahara 19 migrated: rows written by plain SQL into a database
//! at alembic 035 survive `sahara-db-manage upgrade` byte for byte, `current` reports the
//! adoption, a second upgrade prints nothing, and a database at alembic 034 is refused without
//! being touched.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use sahara_schema::migrate::BASELINE;
use sahara_schema::schema::{clusters, job_binary_internal, node_groups};
use sahara_schema::testing::{TestDb, data_dump, manage, python_upgrade, write_conf};
use sahara_schema::{DbSettings, migrate};

/// Rows in most tables, as Python Sahara would have written them (JSON as text, booleans as
/// 0/1, binary data), with non-ASCII text.
const ROWS: &str = r#"
INSERT INTO cluster_templates (created_at, id, name, tenant_id, plugin_name, hadoop_version, cluster_configs,
  anti_affinity, is_default, use_autoconfig, shares, is_public, is_protected, description)
VALUES ('2024-04-24 16:49:14', 'ct-1', 'tmpl', 't-1', 'vanilla', '2.7.1', '{"HDFS": {"dfs.replication": 2}}',
  '["datanode"]', 0, 1, '[]', 0, 0, 'Modèle « spécial » — 日本語');
INSERT INTO node_group_templates (id, name, tenant_id, flavor_id, plugin_name, hadoop_version, node_processes,
  node_configs, volumes_per_node, boot_from_volume, security_groups)
VALUES ('ngt-1', 'workers', 't-1', '2', 'vanilla', '2.7.1', '["datanode", "nodemanager"]', '{}', 0, 0, '["default"]');
INSERT INTO templates_relations (id, tenant_id, name, flavor_id, node_processes, count, cluster_template_id,
  node_group_template_id, boot_from_volume)
VALUES ('tr-1', 't-1', 'workers', '2', '["datanode"]', 3, 'ct-1', 'ngt-1', 0);
INSERT INTO clusters (created_at, updated_at, id, name, tenant_id, is_transient, plugin_name, hadoop_version,
  cluster_configs, anti_affinity, management_private_key, management_public_key, status, status_description,
  info, extra, cluster_template_id, rollback_info, sahara_info, use_autoconfig, is_public, is_protected,
  anti_affinity_ratio)
VALUES ('2024-04-24 16:49:14', '2024-04-24 16:55:01', 'c-1', 'cluster-ü', 't-1', 0, 'vanilla', '2.7.1',
  '{"general": {"Timeout": 120, "Note": "Überprüfung ✓"}}', '[]', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n',
  'ssh-rsa AAAA sahara', 'Active', '', '{"HDFS": {"Web UI": "http://10.0.0.3:50070"}}',
  '{"heat_stack_name": "cluster-ü"}', 'ct-1', '{}', '{"infrastructure_engine": "heat.3.0"}', 1, 0, 0, 1);
INSERT INTO node_groups (id, name, tenant_id, flavor_id, image_id, node_processes, node_configs, volumes_per_node,
  volumes_size, volume_mount_prefix, count, cluster_id, node_group_template_id, security_groups,
  auto_security_group, open_ports, is_proxy_gateway, volume_local_to_instance, boot_from_volume,
  boot_volume_local_to_instance)
VALUES ('ng-1', 'master', 't-1', '2', 'img-1', '["namenode", "resourcemanager"]', '{"HDFS": {}}', 0, 0,
  '/volumes/disk', 1, 'c-1', NULL, '[]', 1, '[]', 0, 0, 0, 0),
  ('ng-2', 'workers', 't-1', '2', 'img-1', '["datanode"]', '{}', 2, 10, '/volumes/disk', 2, 'c-1', 'ngt-1',
  '[]', 1, '[8088]', 0, 0, 0, 0);
INSERT INTO instances (id, tenant_id, node_group_id, instance_id, instance_name, internal_ip, management_ip, volumes,
  storage_devices_number, dns_hostname)
VALUES ('i-1', 't-1', 'ng-1', 'nova-1', 'cluster-master-001', '10.0.0.3', '172.24.4.3', '[]', 0, 'master.local'),
  ('i-2', 't-1', 'ng-2', 'nova-2', 'cluster-workers-001', 'fd00::4', '172.24.4.4', '["vol-1", "vol-2"]', 2, NULL),
  ('i-3', 't-1', 'ng-2', 'nova-3', 'cluster-workers-002', '10.0.0.5', NULL, '[]', 2, NULL);
INSERT INTO data_sources (id, tenant_id, name, type, url, credentials, is_public, is_protected, description)
VALUES ('ds-1', 't-1', 'input', 'swift', 'swift://container/in', '{"user": "admin", "password": "pässword"}', 0, 0,
  'Données d''entrée');
INSERT INTO jobs (id, tenant_id, name, type, is_public, is_protected) VALUES ('j-1', 't-1', 'wordcount', 'Pig', 0, 0);
INSERT INTO job_binaries (id, tenant_id, name, url, extra) VALUES ('jb-1', 't-1', 'script.pig', 'internal-db://jbi-1', '{}');
INSERT INTO job_binary_internal (id, tenant_id, name, data, datasize, is_public, is_protected)
VALUES ('jbi-1', 't-1', 'script.pig', X'00FF0A0D27225C1A7F80C3A9E298930000', 17, 0, 0);
INSERT INTO mains_association (Job_id, JobBinary_id) VALUES ('j-1', 'jb-1');
INSERT INTO libs_association (Job_id, JobBinary_id) VALUES ('j-1', 'jb-1');
INSERT INTO job_interface_arguments (id, job_id, tenant_id, name, mapping_type, location, value_type, required,
  `order`, `default`)
VALUES ('a-1', 'j-1', 't-1', 'Entrée', 'args', '0', 'data_source', 1, 0, NULL),
  ('a-2', 'j-1', 't-1', 'Sortie', 'args', '1', 'string', 0, 1, 'swift://out');
INSERT INTO job_executions (id, tenant_id, job_id, input_id, output_id, start_time, cluster_id, info, engine_job_id,
  job_configs, extra, data_source_urls, is_public, is_protected)
VALUES ('je-1', 't-1', 'j-1', 'ds-1', 'ds-1', '2024-04-24 17:00:00', 'c-1', '{"status": "RUNNING"}', '0000001-oozie',
  '{"configs": {}, "args": ["é"]}', '{}', '{"ds-1": "swift://container/in"}', 0, 0);
INSERT INTO cluster_provision_steps (id, cluster_id, tenant_id, step_name, step_type, total, successful)
VALUES ('s-1', 'c-1', 't-1', 'Wait for instances to become active', 'Engine: create cluster', 3, 1);
INSERT INTO cluster_events (id, node_group_id, instance_id, instance_name, event_info, successful, step_id)
VALUES ('e-1', 'ng-1', 'nova-1', 'cluster-master-001', NULL, 1, 's-1');
INSERT INTO cluster_verifications (id, cluster_id, status) VALUES ('v-1', 'c-1', 'GREEN');
INSERT INTO cluster_health_checks (id, verification_id, status, description, name)
VALUES ('h-1', 'v-1', 'GREEN', 'Tout va bien', 'Check of HDFS');
INSERT INTO plugin_data (id, tenant_id, name, plugin_labels, version_labels)
VALUES ('p-1', 't-1', 'vanilla', '{"enabled": {"status": true}}', '{"2.7.1": {"stable": {"status": true}}}');
"#;

#[test]
fn adopts_a_python_sahara_database_without_touching_data() {
    let db = TestDb::create("adopt");
    python_upgrade(&db, "head");
    let mut raw = db.conn();
    raw.batch_execute("SET NAMES utf8").unwrap();
    raw.batch_execute(ROWS).unwrap();
    let mut admin = sahara_schema::testing::admin();
    let before = data_dump(&mut admin, &db.name);
    assert_eq!(before["instances"].len(), 3);
    assert_eq!(
        before.values().filter(|rows| !rows.is_empty()).count(),
        19,
        "every table has rows"
    );

    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(dir.path(), &db.oslo_url(), "max_retries = 0");
    let conf = conf.to_str().unwrap();

    let (code, out, err) = manage(&["--config-file", conf, "current"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("alembic 035 (Python Sahara, not adopted yet"), "{out}");
    let (code, _, err) = manage(&["--config-file", conf, "check"]);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");

    let (code, out, err) = manage(&["--config-file", conf, "upgrade", "head"]);
    assert_eq!((code, err.as_str()), (0, ""), "stdout: {out}");
    assert!(
        out.contains("Adopted the Python Sahara database at alembic revision 035"),
        "{out}"
    );

    assert_eq!(data_dump(&mut admin, &db.name), before, "data changed by adoption");
    let alembic = sahara_schema::testing::lines(
        &mut raw,
        "SELECT CAST(version_num AS CHAR) AS line FROM alembic_version",
    );
    assert_eq!(alembic, vec!["035".to_owned()]);
    let ours = sahara_schema::testing::lines(
        &mut raw,
        "SELECT CAST(version AS CHAR) AS line FROM __diesel_schema_migrations",
    );
    assert_eq!(ours, vec![migrate::BASELINE_VERSION.to_owned()]);

    let (code, out, err) = manage(&["--config-file", conf, "current"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(
        out.trim_end(),
        format!("{BASELINE} (head); adopted from Python Sahara alembic revision 035")
    );
    let (code, out, err) = manage(&["--config-file", conf, "version"]);
    assert_eq!((code, out.trim_end(), err.as_str()), (0, migrate::BASELINE_VERSION, ""));
    let (code, out, err) = manage(&["--config-file", conf, "check"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));

    let (code, out, err) = manage(&["--config-file", conf, "upgrade", "head"]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (0, "", ""),
        "second upgrade must be silent"
    );
    assert_eq!(data_dump(&mut admin, &db.name), before);

    // Our table definitions read what Python Sahara wrote.
    let settings = DbSettings::from_conf(
        &sahara_config::ConfigOpts::from_ini_str(&format!("[database]\nconnection = {}\n", db.oslo_url())).unwrap(),
    )
    .unwrap();
    let mut conn = settings.connect().unwrap();
    let (name, configs, ratio): (String, Option<String>, Option<i32>) = clusters::table
        .select((clusters::name, clusters::cluster_configs, clusters::anti_affinity_ratio))
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "cluster-ü");
    assert_eq!(
        configs.as_deref(),
        Some(r#"{"general": {"Timeout": 120, "Note": "Überprüfung ✓"}}"#)
    );
    assert_eq!(ratio, Some(1));
    let counts: Vec<i32> = node_groups::table
        .select(node_groups::count)
        .order(node_groups::name)
        .load(&mut conn)
        .unwrap();
    assert_eq!(counts, vec![1, 2]);
    let data: Option<Vec<u8>> = job_binary_internal::table
        .select(job_binary_internal::data)
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        data.unwrap(),
        [
            0x00, 0xFF, 0x0A, 0x0D, 0x27, 0x22, 0x5C, 0x1A, 0x7F, 0x80, 0xC3, 0xA9, 0xE2, 0x98, 0x93, 0x00, 0x00
        ]
    );
}

#[test]
fn refuses_a_database_at_alembic_034() {
    let db = TestDb::create("adopt034");
    python_upgrade(&db, "034");
    let mut admin = sahara_schema::testing::admin();
    let tables_before = sahara_schema::testing::lines(
        &mut admin,
        &format!(
            "SELECT CAST(TABLE_NAME AS CHAR) AS line FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' ORDER BY 1",
            db.name
        ),
    );
    let dir = tempfile::tempdir().unwrap();
    let conf = write_conf(dir.path(), &db.oslo_url(), "max_retries = 0");
    let (code, out, err) = manage(&["--config-file", conf.to_str().unwrap(), "upgrade", "head"]);
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("alembic revision 034") && err.contains("upgrade 035"),
        "{err}"
    );
    let tables_after = sahara_schema::testing::lines(
        &mut admin,
        &format!(
            "SELECT CAST(TABLE_NAME AS CHAR) AS line FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{}' ORDER BY 1",
            db.name
        ),
    );
    assert_eq!(tables_before, tables_after, "a refused database must stay as it was");
    assert!(!tables_after.contains(&"__diesel_schema_migrations".to_owned()));

    // Once Python Sahara brings it to 035, it is adopted.
    python_upgrade(&db, "035");
    let (code, out, err) = manage(&["--config-file", conf.to_str().unwrap(), "upgrade"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(out.starts_with("Adopted"), "{out}");
}
