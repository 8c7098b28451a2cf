//! Round trips of every resource through its conductor JSON, and the REST views Sahara returns.

use super::*;
use crate::enums::{ClusterStatus, DataSourceType, HealthStatus, JobStatus, JobType, MappingType, ValueType};
use serde_json::json;

const TENANT: &str = "5c2e35e4b1a94ee49e4e1ce8b2a4f8a1";

/// A cluster as Sahara's conductor returns it from `cluster_get(show_progress=True)`.
fn cluster_json() -> Value {
    json!({
        "id": "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11",
        "name": "vanilla-cluster",
        "description": "test cluster",
        "tenant_id": TENANT,
        "trust_id": null,
        "is_transient": false,
        "plugin_name": "vanilla",
        "hadoop_version": "2.7.1",
        "cluster_configs": {
            "HDFS": {"dfs.replication": 2},
            "general": {"Enable Swift": true},
            "proxy_configs": {"proxy_username": "job_abc", "proxy_password": "secret", "proxy_trust_id": "t"}
        },
        "default_image_id": "0c7e9a2c-8d45-4b3c-8a23-3f3e3a6b1c1d",
        "neutron_management_network": "b1e5c8c6-5e2c-4d7d-9a2a-5b6b7c8d9e0f",
        "anti_affinity": ["datanode"],
        "anti_affinity_ratio": 1,
        "management_private_key": "-----BEGIN RSA PRIVATE KEY-----\nMIIE...\n-----END RSA PRIVATE KEY-----\n",
        "management_public_key": "ssh-rsa AAAAB3Nza... Generated-by-Sahara\n",
        "user_keypair_id": "mykey",
        "status": "Active",
        "status_description": "",
        "info": {"HDFS": {"Web UI": "http://10.0.0.5:50070", "NameNode": "hdfs://vanilla-cluster-master-001:9000"}},
        "extra": {"heat_stack_name": "vanilla-cluster-9a4a5f05"},
        "rollback_info": {"shutdown": true},
        "sahara_info": {"infrastructure_engine": "heat.3.0", "remote": "ssh"},
        "use_autoconfig": true,
        "cluster_template_id": "1f0a4f4e-61e2-4b4e-8a7b-4d1c9c5b6e7a",
        "shares": [{"id": "8c9b0f5e-0e2d-4e1a-9c55-7c2b7f4d6e11", "path": "/mnt/share", "access_level": "ro"}],
        "is_public": false,
        "is_protected": false,
        "domain_name": null,
        "created_at": "2024-05-01T10:20:30",
        "updated_at": "2024-05-01T10:31:02",
        "node_groups": [master_node_group_json()],
        "provision_progress": [provision_step_json()],
        "verification": verification_json()
    })
}

fn master_node_group_json() -> Value {
    json!({
        "id": "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091",
        "name": "master",
        "tenant_id": TENANT,
        "flavor_id": "2",
        "image_id": null,
        "image_username": "ubuntu",
        "node_processes": ["namenode", "resourcemanager", "historyserver", "oozie"],
        "node_configs": {"HDFS": {"namenode_heap_size": 1024}},
        "volumes_per_node": 0,
        "volumes_size": 0,
        "volumes_availability_zone": null,
        "volume_mount_prefix": "/volumes/disk",
        "volume_type": null,
        "boot_from_volume": false,
        "boot_volume_type": null,
        "boot_volume_availability_zone": null,
        "boot_volume_local_to_instance": false,
        "count": 1,
        "use_autoconfig": true,
        "cluster_id": "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11",
        "node_group_template_id": "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b",
        "floating_ip_pool": "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
        "security_groups": null,
        "auto_security_group": true,
        "availability_zone": "nova",
        "open_ports": [50070, 8088, "19888"],
        "is_proxy_gateway": false,
        "volume_local_to_instance": false,
        "shares": null,
        "created_at": "2024-05-01T10:20:30",
        "updated_at": null,
        "instances": [master_instance_json()]
    })
}

fn master_instance_json() -> Value {
    json!({
        "id": "3c4d5e6f-7081-4923-8b4c-5d6e7f809102",
        "tenant_id": TENANT,
        "node_group_id": "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091",
        "instance_id": "4d5e6f70-8192-4a34-9c5d-6e7f80910213",
        "instance_name": "vanilla-cluster-master-001",
        "internal_ip": "10.0.0.5",
        "management_ip": "172.24.4.10",
        "volumes": ["vol-1"],
        "storage_devices_number": 0,
        "dns_hostname": "vanilla-cluster-master-001.novalocal",
        "created_at": "2024-05-01T10:22:00",
        "updated_at": "2024-05-01T10:25:41"
    })
}

fn provision_step_json() -> Value {
    json!({
        "id": "5e6f7081-9203-4b45-8d6e-7f8091021324",
        "cluster_id": "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11",
        "tenant_id": TENANT,
        "step_name": "Wait for instance accessibility",
        "step_type": "Engine: create cluster",
        "total": 1,
        "successful": true,
        "created_at": "2024-05-01T10:23:00",
        "updated_at": "2024-05-01T10:24:10",
        "events": [{
            "id": "6f708192-0314-4c56-9e7f-809102132435",
            "node_group_id": "2b3c4d5e-6f70-4812-9a3b-4c5d6e7f8091",
            "instance_id": "3c4d5e6f-7081-4923-8b4c-5d6e7f809102",
            "instance_name": "vanilla-cluster-master-001",
            "event_info": null,
            "successful": true,
            "step_id": "5e6f7081-9203-4b45-8d6e-7f8091021324",
            "created_at": "2024-05-01T10:24:10",
            "updated_at": null
        }]
    })
}

fn verification_json() -> Value {
    json!({
        "id": "708192a3-1425-4d67-8f80-910213243546",
        "cluster_id": "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11",
        "status": "GREEN",
        "created_at": "2024-05-01T10:32:00",
        "updated_at": "2024-05-01T10:32:05",
        "checks": [{
            "id": "8192a3b4-2536-4e78-9091-021324354657",
            "verification_id": "708192a3-1425-4d67-8f80-910213243546",
            "status": "GREEN",
            "description": "HDFS healthy",
            "name": "HDFS health check",
            "created_at": "2024-05-01T10:32:00",
            "updated_at": "2024-05-01T10:32:05"
        }]
    })
}

fn template_node_group(name: &str) -> Value {
    json!({
        "id": "92a3b4c5-3647-4f89-a102-132435465768",
        "tenant_id": TENANT,
        "name": name,
        "flavor_id": "2",
        "image_id": null,
        "node_processes": ["datanode", "nodemanager"],
        "node_configs": {},
        "volumes_per_node": 1,
        "volumes_size": 10,
        "volumes_availability_zone": null,
        "volume_mount_prefix": "/volumes/disk",
        "volume_type": null,
        "boot_from_volume": false,
        "boot_volume_type": null,
        "boot_volume_availability_zone": null,
        "boot_volume_local_to_instance": false,
        "count": 3,
        "use_autoconfig": true,
        "cluster_template_id": "1f0a4f4e-61e2-4b4e-8a7b-4d1c9c5b6e7a",
        "node_group_template_id": "a3b4c5d6-4758-4a9a-b213-243546576879",
        "floating_ip_pool": null,
        "security_groups": null,
        "auto_security_group": false,
        "availability_zone": null,
        "is_proxy_gateway": false,
        "volume_local_to_instance": false,
        "shares": null,
        "created_at": "2024-04-30T08:00:00",
        "updated_at": null
    })
}

fn cluster_template_json() -> Value {
    json!({
        "id": "1f0a4f4e-61e2-4b4e-8a7b-4d1c9c5b6e7a",
        "name": "vanilla-template",
        "description": null,
        "cluster_configs": {"HDFS": {"dfs.replication": 2}},
        "default_image_id": "0c7e9a2c-8d45-4b3c-8a23-3f3e3a6b1c1d",
        "anti_affinity": [],
        "tenant_id": TENANT,
        "neutron_management_network": null,
        "plugin_name": "vanilla",
        "hadoop_version": "2.7.1",
        "is_default": false,
        "use_autoconfig": true,
        "shares": null,
        "is_public": true,
        "is_protected": false,
        "domain_name": null,
        "created_at": "2024-04-30T08:00:00",
        "updated_at": null,
        "node_groups": [template_node_group("worker")]
    })
}

fn ngt_json() -> Value {
    json!({
        "id": "a3b4c5d6-4758-4a9a-b213-243546576879",
        "name": "worker",
        "description": "vanilla workers",
        "tenant_id": TENANT,
        "flavor_id": "2",
        "image_id": "0c7e9a2c-8d45-4b3c-8a23-3f3e3a6b1c1d",
        "plugin_name": "vanilla",
        "hadoop_version": "2.7.1",
        "node_processes": ["datanode", "nodemanager"],
        "node_configs": {"YARN": {"yarn.nodemanager.resource.memory-mb": 2048}},
        "volumes_per_node": 1,
        "volumes_size": 10,
        "volumes_availability_zone": null,
        "volume_mount_prefix": "/volumes/disk",
        "volume_type": "lvm",
        "boot_from_volume": true,
        "boot_volume_type": "ssd",
        "boot_volume_availability_zone": "nova",
        "boot_volume_local_to_instance": false,
        "floating_ip_pool": null,
        "security_groups": ["default"],
        "auto_security_group": false,
        "availability_zone": null,
        "is_proxy_gateway": false,
        "volume_local_to_instance": false,
        "is_default": false,
        "use_autoconfig": true,
        "shares": [{"id": "8c9b0f5e-0e2d-4e1a-9c55-7c2b7f4d6e11"}],
        "is_public": false,
        "is_protected": true,
        "created_at": "2024-04-30T07:59:00",
        "updated_at": "2024-04-30T08:10:00"
    })
}

fn data_source_json() -> Value {
    json!({
        "id": "b4c5d6e7-5869-4bab-8324-354657687980",
        "tenant_id": TENANT,
        "name": "input",
        "description": "",
        "type": "swift",
        "url": "swift://container/input",
        "credentials": {"user": "demo", "password": "a7b0e0a5-0d2b-4a8c-8b3a-1d2c3b4a5f6e"},
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-05-02T09:00:00",
        "updated_at": null
    })
}

fn job_binary_json(name: &str) -> Value {
    json!({
        "id": "c5d6e7f8-697a-4bbc-9435-465768798091",
        "tenant_id": TENANT,
        "name": name,
        "description": "",
        "url": "swift://container/wordcount.pig",
        "extra": {"user": "demo", "password": "secret"},
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-05-02T09:01:00",
        "updated_at": null
    })
}

fn job_json() -> Value {
    json!({
        "id": "d6e7f809-7a8b-4ccd-a546-576879809102",
        "tenant_id": TENANT,
        "name": "wordcount",
        "description": "",
        "type": "Pig",
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-05-02T09:02:00",
        "updated_at": null,
        "mains": [job_binary_json("wordcount.pig")],
        "libs": [job_binary_json("udf.jar")],
        "interface": [{
            "id": "e7f8091a-8b9c-4dde-b657-687980910213",
            "job_id": "d6e7f809-7a8b-4ccd-a546-576879809102",
            "tenant_id": TENANT,
            "name": "Reducer Count",
            "description": null,
            "mapping_type": "configs",
            "location": "mapred.reduce.tasks",
            "value_type": "number",
            "required": true,
            "order": 0,
            "default": "1",
            "created_at": "2024-05-02T09:02:00",
            "updated_at": null
        }]
    })
}

fn jbi_json() -> Value {
    json!({
        "id": "f8091a2b-9cad-4eef-8768-798091021324",
        "tenant_id": TENANT,
        "name": "script.pig",
        "datasize": 1337,
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-05-02T09:03:00",
        "updated_at": null
    })
}

fn job_execution_json() -> Value {
    json!({
        "id": "091a2b3c-adbe-4f00-9879-809102132435",
        "tenant_id": TENANT,
        "job_id": "d6e7f809-7a8b-4ccd-a546-576879809102",
        "input_id": "b4c5d6e7-5869-4bab-8324-354657687980",
        "output_id": null,
        "start_time": "2024-05-02T09:05:00",
        "end_time": null,
        "cluster_id": "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11",
        "info": {
            "status": "RUNNING",
            "actions": [{"name": "job-node", "status": "RUNNING", "conf": "<configuration>secret</configuration>"}]
        },
        "engine_job_id": "0000001-240502090500000-oozie-hado-W",
        "return_code": null,
        "job_configs": {
            "configs": {
                "mapred.reduce.tasks": "2",
                "fs.swift.service.sahara.username": "demo",
                "fs.swift.service.sahara.password": "secret",
                "fs.s3a.access.key": "AK",
                "fs.s3a.secret.key": "SK"
            },
            "params": {"INPUT": "swift://container/input"},
            "args": [],
            "job_execution_info": {},
            "trusts": {"input_id": "trust-1"},
            "proxy_configs": {"proxy_username": "u", "proxy_password": "p", "proxy_trust_id": "t"}
        },
        "extra": {"neutron": {"net_id": "n"}},
        "data_source_urls": {"b4c5d6e7-5869-4bab-8324-354657687980": "swift://container/input"},
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-05-02T09:04:59",
        "updated_at": "2024-05-02T09:05:00"
    })
}

fn plugin_data_json() -> Value {
    json!({
        "id": "1a2b3c4d-bedf-4011-8a8a-910213243546",
        "tenant_id": TENANT,
        "name": "vanilla",
        "plugin_labels": {"enabled": {"status": true}},
        "version_labels": {"2.7.1": {"enabled": {"status": true}, "stable": {"status": true}}},
        "created_at": "2024-05-01T00:00:00",
        "updated_at": null
    })
}

fn round_trip<T: Resource + std::fmt::Debug + PartialEq>(v: Value) -> T {
    let typed: T = T::from_conductor_value(v.clone()).expect("deserializes");
    assert_eq!(serde_json::to_value(&typed).unwrap(), v, "{} round trip", T::KIND);
    typed
}

#[test]
fn cluster_round_trip() {
    let c: Cluster = round_trip(cluster_json());
    assert_eq!(c.status, Some(ClusterStatus::Active));
    assert_eq!(
        c.node_groups[0].instances[0].instance_name,
        "vanilla-cluster-master-001"
    );
    assert_eq!(c.instances().count(), 1);
    assert_eq!(c.heat_stack_name(), Some("vanilla-cluster-9a4a5f05"));
    assert_eq!(c.node_group("master").unwrap().count, 1);
    assert_eq!(
        c.verification.as_ref().unwrap().checks[0].status,
        Some(HealthStatus::Green)
    );
    assert_eq!(c.provision_progress[0].events.as_ref().unwrap().len(), 1);
    assert_eq!(c.created_at.unwrap().to_string(), "2024-05-01 10:20:30");
    assert_eq!(
        c.shares.as_ref().unwrap()[0].access_level,
        Some(crate::enums::ShareAccessLevel::Ro)
    );
}

#[test]
fn cluster_without_progress_events_or_verification_keeps_keys_absent() {
    let mut v = cluster_json();
    v.as_object_mut().unwrap().remove("verification");
    v["provision_progress"][0].as_object_mut().unwrap().remove("events");
    let c: Cluster = round_trip(v);
    assert!(c.verification.is_none());
    assert!(c.provision_progress[0].events.is_none());
    let out = serde_json::to_value(&c).unwrap();
    assert!(out.get("verification").is_none());
    assert!(out["provision_progress"][0].get("events").is_none());
}

#[test]
fn every_other_resource_round_trips() {
    let ct: ClusterTemplate = round_trip(cluster_template_json());
    assert_eq!(ct.node_groups[0].count, 3);
    let ngt: NodeGroupTemplate = round_trip(ngt_json());
    assert!(ngt.boot_from_volume);
    assert_eq!(ngt.shares.as_ref().unwrap()[0].access_level, None);
    let ds: DataSource = round_trip(data_source_json());
    assert_eq!(ds.r#type, DataSourceType::Swift);
    let job: Job = round_trip(job_json());
    assert_eq!(job.r#type, JobType::Pig);
    assert_eq!(job.main_name(), Some("wordcount.pig"));
    assert_eq!(job.lib_names(), ["udf.jar"]);
    assert_eq!(job.interface[0].mapping_type, MappingType::Configs);
    assert_eq!(job.interface[0].value_type, ValueType::Number);
    let jb: JobBinary = round_trip(job_binary_json("x.jar"));
    assert_eq!(jb.url, "swift://container/wordcount.pig");
    let jbi: JobBinaryInternal = round_trip(jbi_json());
    assert_eq!(jbi.datasize, Some(1337));
    let je: JobExecution = round_trip(job_execution_json());
    assert_eq!(je.status(), Some(JobStatus::Running));
    assert!(!je.is_terminated());
    assert_eq!(
        je.start_time.map(|t| crate::timestamp::format(&t)).as_deref(),
        Some("2024-05-02T09:05:00")
    );
    let pd: PluginData = round_trip(plugin_data_json());
    assert_eq!(pd.name, "vanilla");
    let _: NodeGroup = round_trip(cluster_json()["node_groups"][0].clone());
    let _: Instance = round_trip(cluster_json()["node_groups"][0]["instances"][0].clone());
    let _: TemplateNodeGroup = round_trip(template_node_group("w"));
    let _: ClusterProvisionStep = round_trip(cluster_json()["provision_progress"][0].clone());
    let _: ClusterEvent = round_trip(cluster_json()["provision_progress"][0]["events"][0].clone());
    let _: ClusterVerification = round_trip(cluster_json()["verification"].clone());
    let _: ClusterHealthCheck = round_trip(cluster_json()["verification"]["checks"][0].clone());
    let _: JobInterfaceArgument = round_trip(job_json()["interface"][0].clone());
}

#[test]
fn unknown_enum_values_round_trip_inside_resources() {
    let mut v = cluster_json();
    v["status"] = json!("Scaling: Frobnicating");
    v["verification"]["status"] = json!("PURPLE");
    let c: Cluster = round_trip(v);
    assert_eq!(c.status, Some(ClusterStatus::Other("Scaling: Frobnicating".into())));
    let mut j = job_json();
    j["type"] = json!("Flink");
    let job: Job = round_trip(j);
    assert_eq!(job.r#type.as_str(), "Flink");
}

#[test]
fn lenient_reads_partial_maps_numeric_flavor_and_microseconds() {
    // A value map like a freshly created object: optional columns absent, flavor as a number.
    let ng: NodeGroup = serde_json::from_value(json!({
        "id": "n1", "name": "w", "flavor_id": 42, "count": 2,
        "created_at": "2024-05-01T10:20:30.654321", "extra_key_sahara_ignores": 1
    }))
    .unwrap();
    assert_eq!(ng.flavor_id, "42");
    assert!(!ng.boot_from_volume);
    assert!(ng.instances.is_empty());
    let out = serde_json::to_value(&ng).unwrap();
    assert_eq!(out["created_at"], "2024-05-01T10:20:30");
    assert_eq!(out["image_id"], Value::Null);
    assert!(out.get("extra_key_sahara_ignores").is_none());
    assert!(serde_json::from_value::<NodeGroup>(json!({"id": "n1", "name": "w", "count": 1})).is_err());
    assert!(
        serde_json::from_value::<Instance>(json!({"id": "i", "instance_name": "x", "created_at": "never"})).is_err()
    );
}

#[test]
fn cluster_api_view_hides_secrets() {
    let c: Cluster = serde_json::from_value(cluster_json()).unwrap();
    let api = Value::Object(c.to_api(ApiVersion::V1));
    for hidden in ["management_private_key", "extra", "rollback_info", "sahara_info"] {
        assert!(api.get(hidden).is_none(), "{hidden}");
    }
    assert_eq!(
        api["management_public_key"],
        "ssh-rsa AAAAB3Nza... Generated-by-Sahara\n"
    );
    assert_eq!(
        api["cluster_configs"],
        json!({"HDFS": {"dfs.replication": 2}, "general": {"Enable Swift": true}})
    );
    let ng = &api["node_groups"][0];
    for hidden in ["tenant_id", "cluster_id", "image_username", "open_ports"] {
        assert!(ng.get(hidden).is_none(), "node group {hidden}");
    }
    assert_eq!(ng["node_group_template_id"], "7e8f9a0b-1c2d-4e3f-8a5b-6c7d8e9f0a1b");
    let inst = &ng["instances"][0];
    for hidden in ["tenant_id", "node_group_id", "volumes"] {
        assert!(inst.get(hidden).is_none(), "instance {hidden}");
    }
    assert_eq!(inst["management_ip"], "172.24.4.10");
    assert_eq!(api["tenant_id"], TENANT);
    assert_eq!(api["hadoop_version"], "2.7.1");
    assert_eq!(api["provision_progress"][0]["tenant_id"], TENANT);
    assert_eq!(api["verification"]["checks"][0]["name"], "HDFS health check");
    assert_eq!(api["created_at"], "2024-05-01T10:20:30");
    // The conductor form keeps everything the engine needs.
    let full = serde_json::to_value(&c).unwrap();
    assert!(full["management_private_key"].as_str().unwrap().contains("PRIVATE KEY"));
    assert_eq!(full["cluster_configs"]["proxy_configs"]["proxy_password"], "secret");
}

#[test]
fn cluster_api_view_v2_renames() {
    let c: Cluster = serde_json::from_value(cluster_json()).unwrap();
    let api = c.to_api_wrapped(ApiVersion::V2);
    let body = &api["cluster"];
    assert_eq!(body["plugin_version"], "2.7.1");
    assert!(body.get("hadoop_version").is_none());
    assert_eq!(body["project_id"], TENANT);
    assert!(body.get("tenant_id").is_none());
    assert_eq!(body["provision_progress"][0]["project_id"], TENANT);
    assert!(body["provision_progress"][0].get("tenant_id").is_none());
    // Node groups are not renamed in v2 (tenant_id is hidden there anyway).
    assert!(body["node_groups"][0].get("project_id").is_none());
}

#[test]
fn templates_api_view() {
    let ct: ClusterTemplate = serde_json::from_value(cluster_template_json()).unwrap();
    let v1 = ct.to_api_wrapped(ApiVersion::V1);
    let ng = &v1["cluster_template"]["node_groups"][0];
    assert!(ng.get("tenant_id").is_none());
    assert!(ng.get("cluster_template_id").is_none());
    assert_eq!(ng["node_group_template_id"], "a3b4c5d6-4758-4a9a-b213-243546576879");
    assert_eq!(v1["cluster_template"]["tenant_id"], TENANT);
    let v2 = ct.to_api(ApiVersion::V2);
    assert_eq!(v2["plugin_version"], "2.7.1");
    assert_eq!(v2["project_id"], TENANT);
    let ngt: NodeGroupTemplate = serde_json::from_value(ngt_json()).unwrap();
    // Nothing hidden in a node group template.
    assert_eq!(Value::Object(ngt.to_api(ApiVersion::V1)), ngt_json());
    let v2 = ngt.to_api_wrapped(ApiVersion::V2);
    assert_eq!(v2["node_group_template"]["plugin_version"], "2.7.1");
    assert!(v2["node_group_template"].get("tenant_id").is_none());
}

#[test]
fn edp_api_views_hide_credentials() {
    let ds: DataSource = serde_json::from_value(data_source_json()).unwrap();
    let v1 = ds.to_api_wrapped(ApiVersion::V1);
    assert!(v1["data_source"].get("credentials").is_none());
    assert_eq!(v1["data_source"]["url"], "swift://container/input");
    assert_eq!(ds.to_api(ApiVersion::V2)["project_id"], TENANT);

    let jb: JobBinary = serde_json::from_value(job_binary_json("a.jar")).unwrap();
    assert!(jb.to_api(ApiVersion::V1).get("extra").is_none());

    let jbi: JobBinaryInternal = serde_json::from_value(jbi_json()).unwrap();
    assert_eq!(Value::Object(jbi.to_api(ApiVersion::V1)), jbi_json());
    assert_eq!(
        jbi.to_api_wrapped(ApiVersion::V1)["job_binary_internal"]["datasize"],
        1337
    );

    let job: Job = serde_json::from_value(job_json()).unwrap();
    let v1 = job.to_api_wrapped(ApiVersion::V1);
    assert!(v1["job"]["mains"][0].get("extra").is_none());
    assert!(v1["job"]["libs"][0].get("extra").is_none());
    assert_eq!(v1["job"]["interface"][0]["tenant_id"], TENANT);
    let v2 = job.to_api_wrapped(ApiVersion::V2);
    let body = &v2["job_template"];
    assert_eq!(body["project_id"], TENANT);
    assert_eq!(body["mains"][0]["project_id"], TENANT);
    assert!(body["libs"][0].get("tenant_id").is_none());
    // Interface arguments keep tenant_id in v2, as in Sahara.
    assert_eq!(body["interface"][0]["tenant_id"], TENANT);
}

#[test]
fn job_execution_api_view() {
    let je: JobExecution = serde_json::from_value(job_execution_json()).unwrap();
    let v1 = je.to_api_wrapped(ApiVersion::V1);
    let body = &v1["job_execution"];
    assert!(body.get("extra").is_none());
    assert_eq!(body["oozie_job_id"], "0000001-240502090500000-oozie-hado-W");
    assert_eq!(body["engine_job_id"], "0000001-240502090500000-oozie-hado-W");
    assert_eq!(
        body["job_configs"],
        json!({
            "configs": {
                "mapred.reduce.tasks": "2",
                "fs.swift.service.sahara.username": "",
                "fs.swift.service.sahara.password": "",
                "fs.s3a.access.key": "",
                "fs.s3a.secret.key": ""
            },
            "params": {"INPUT": "swift://container/input"},
            "args": [],
            "job_execution_info": {}
        })
    );
    assert_eq!(
        body["info"]["actions"][0],
        json!({"name": "job-node", "status": "RUNNING"})
    );
    assert_eq!(body["job_id"], "d6e7f809-7a8b-4ccd-a546-576879809102");

    let v2 = je.to_api_wrapped(ApiVersion::V2);
    let body = &v2["job"];
    assert!(body.get("oozie_job_id").is_none());
    assert!(body.get("job_id").is_none());
    assert_eq!(body["job_template_id"], "d6e7f809-7a8b-4ccd-a546-576879809102");
    assert_eq!(body["project_id"], TENANT);
    assert_eq!(body["job_configs"]["configs"]["fs.s3a.secret.key"], "");

    // The conductor form keeps the secrets.
    let full = serde_json::to_value(&je).unwrap();
    assert_eq!(
        full["job_configs"]["configs"]["fs.swift.service.sahara.password"],
        "secret"
    );
    assert!(full.get("oozie_job_id").is_none());
}

#[test]
fn resource_ids_and_kinds() {
    let c: Cluster = serde_json::from_value(cluster_json()).unwrap();
    assert_eq!(c.id(), "9a4a5f05-4b0c-4c39-9a04-2a2d4d1e0f11");
    assert_eq!(Cluster::KIND, ResourceKind::Cluster);
    assert_eq!(JobExecution::KIND.envelope(ApiVersion::V2), Some("job"));
    // Kinds without an envelope are returned bare.
    let inst = c.node_groups[0].instances[0].to_api_wrapped(ApiVersion::V1);
    assert_eq!(inst["instance_name"], "vanilla-cluster-master-001");
}

/// `write_flat_view` writes exactly the bytes of the JSON map `to_api` makes, for every kind
/// it takes, in both versions (renames in place, hidden fields gone).
#[test]
fn flat_views_write_what_to_api_serializes_to() {
    fn same<T: Resource + serde::Serialize>(kind: ResourceKind, r: &T) {
        for version in [ApiVersion::V1, ApiVersion::V2] {
            let view = crate::api_view::flat_view(kind, version).expect("a flat kind");
            let mut direct = Vec::new();
            crate::api_view::write_flat_view(&mut direct, view, r).unwrap();
            let via_map = crate::api_view::to_api(
                kind,
                serde_json::to_value(r).unwrap().as_object().unwrap().clone(),
                version,
            );
            assert_eq!(
                String::from_utf8(direct).unwrap(),
                serde_json::to_string(&via_map).unwrap(),
                "{kind:?} {version:?}"
            );
        }
    }
    let ngt: NodeGroupTemplate = serde_json::from_value(ngt_json()).unwrap();
    same(ResourceKind::NodeGroupTemplate, &ngt);
    let step: ClusterProvisionStep = serde_json::from_value(provision_step_json()).unwrap();
    same(ResourceKind::ClusterProvisionStep, &step);
    let pd: PluginData = serde_json::from_value(plugin_data_json()).unwrap();
    same(ResourceKind::PluginData, &pd);
    // Kinds with hidden fields go through the map (removing a key moves the last one).
    for kind in [
        ResourceKind::DataSource,
        ResourceKind::JobBinary,
        ResourceKind::JobBinaryInternal,
    ] {
        assert!(crate::api_view::flat_view(kind, ApiVersion::V2).is_none());
    }
    assert!(crate::api_view::flat_view(ResourceKind::Cluster, ApiVersion::V1).is_none());
    // Not a struct: refused, so the caller goes through the map.
    let view = crate::api_view::flat_view(ResourceKind::NodeGroupTemplate, ApiVersion::V2).unwrap();
    assert!(crate::api_view::write_flat_view(&mut Vec::new(), view, &json!({"tenant_id": "t"})).is_err());
}
