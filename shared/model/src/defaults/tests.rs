//! Defaults and template merges, checked against what sahara/conductor/manager.py produces.

use super::*;
use crate::resources::{Cluster, NodeGroupTemplate, Resource};
use std::convert::Infallible;

fn m(v: Value) -> JsonMap {
    v.as_object().cloned().expect("object")
}

fn no_templates(id: &str) -> Result<JsonMap, String> {
    Err(format!("unexpected lookup of {id}"))
}

#[test]
fn cluster_defaults_match_manager() {
    let mut v = JsonMap::new();
    apply_cluster_defaults(&mut v);
    assert_eq!(
        Value::Object(v),
        json!({
            "cluster_configs": {}, "status": "undefined", "anti_affinity": [], "anti_affinity_ratio": 1,
            "status_description": "", "info": {}, "rollback_info": {}, "sahara_info": {},
            "is_public": false, "is_protected": false
        })
    );
}

#[test]
fn request_values_beat_defaults_even_when_null() {
    let mut v = m(json!({"is_public": null, "status": "Validating", "name": "c"}));
    apply_cluster_defaults(&mut v);
    assert_eq!(v["is_public"], Value::Null);
    assert_eq!(v["status"], "Validating");
    assert_eq!(v["is_protected"], false);
    assert_eq!(v["name"], "c");
}

#[test]
fn node_group_and_other_defaults() {
    let mut ng = m(json!({"name": "w", "flavor_id": "2", "count": 1, "volumes_per_node": 2}));
    apply_node_group_defaults(&mut ng);
    assert_eq!(ng["volume_mount_prefix"], "/volumes/disk");
    assert_eq!(ng["volumes_per_node"], 2);
    assert_eq!(ng["volumes_size"], 0);
    assert_eq!(ng["boot_from_volume"], false);
    assert_eq!(ng["boot_volume_local_to_instance"], false);
    assert_eq!(ng["security_groups"], Value::Null);
    assert_eq!(ng["node_processes"], json!([]));
    assert!(ng.get("is_public").is_none());
    assert_eq!(node_group_defaults().len(), 17);

    let mut ngt = JsonMap::new();
    apply_ngt_defaults(&mut ngt);
    assert_eq!(ngt.len(), 19);
    assert_eq!(ngt["is_public"], false);
    assert_eq!(ngt["is_protected"], false);

    let mut inst = JsonMap::new();
    apply_instance_defaults(&mut inst);
    assert_eq!(Value::Object(inst), json!({"volumes": [], "storage_devices_number": 0}));

    let mut ds = JsonMap::new();
    apply_data_source_defaults(&mut ds);
    assert_eq!(
        Value::Object(ds),
        json!({"credentials": {}, "is_public": false, "is_protected": false})
    );

    for apply in [
        apply_job_defaults,
        apply_job_binary_defaults,
        apply_job_binary_internal_defaults,
    ] {
        let mut v = m(json!({"is_public": true}));
        apply(&mut v);
        assert_eq!(Value::Object(v), json!({"is_public": true, "is_protected": false}));
    }
    let mut je = JsonMap::new();
    apply_job_execution_defaults(&mut je);
    assert_eq!(Value::Object(je), json!({"is_public": false, "is_protected": false}));
    assert!(defaults_for(ResourceKind::ClusterEvent).is_none());
}

#[test]
fn merge_configs_like_sahara() {
    let a = json!({"HDFS": {"dfs.replication": 2, "a": 1}, "general": {"x": true}, "empty": {}});
    let b = json!({"HDFS": {"dfs.replication": 3}, "YARN": {"y": "1"}, "empty": {"z": 1}});
    assert_eq!(
        Value::Object(merge_configs(&[Some(&a), Some(&b)])),
        json!({
            "HDFS": {"dfs.replication": 3, "a": 1},
            "general": {"x": true},
            "empty": {"z": 1},
            "YARN": {"y": "1"}
        })
    );
    assert!(merge_configs(&[None, Some(&Value::Null)]).is_empty());
    assert_eq!(Value::Object(merge_configs(&[None, Some(&b)])), b);
    // The inputs are not modified.
    assert_eq!(a["HDFS"]["dfs.replication"], 2);
}

fn sample_ngt() -> JsonMap {
    m(json!({
        "id": "ngt-1",
        "name": "ngt_test",
        "tenant_id": "tenant_1",
        "flavor_id": "42",
        "plugin_name": "test_plugin",
        "hadoop_version": "test_version",
        "node_processes": ["p1", "p2"],
        "image_id": "img-1",
        "node_configs": {"service_1": {"config_1": "value_1", "config_2": "value_2"}, "service_2": {"config_1": "value_1"}},
        "volumes_per_node": 1,
        "volumes_size": 10,
        "volume_type": "big",
        "volumes_availability_zone": "here",
        "volume_mount_prefix": "/tmp",
        "description": "my template",
        "floating_ip_pool": "public",
        "security_groups": ["cat", "dog"],
        "auto_security_group": false,
        "availability_zone": "here",
        "is_proxy_gateway": false,
        "volume_local_to_instance": false,
        "use_autoconfig": true,
        "is_default": false,
        "is_public": false,
        "is_protected": false,
        "created_at": "2024-01-01T00:00:00",
        "updated_at": null
    }))
}

fn sample_cluster_template() -> JsonMap {
    m(json!({
        "id": "ct-1",
        "name": "clt_test",
        "tenant_id": "tenant_1",
        "plugin_name": "test_plugin",
        "hadoop_version": "test_version",
        "default_image_id": "img-default",
        "description": "my template",
        "cluster_configs": {"service_1": {"config_1": "value_1"}, "service_2": {"config_1": "value_1"}},
        "anti_affinity": ["datanode"],
        "neutron_management_network": "net-1",
        "is_default": false,
        "use_autoconfig": true,
        "shares": null,
        "is_public": true,
        "is_protected": true,
        "domain_name": null,
        "created_at": "2024-01-01T00:00:00",
        "updated_at": "2024-01-02T00:00:00",
        "node_groups": [
            {"id": "tr-1", "tenant_id": "tenant_1", "cluster_template_id": "ct-1", "name": "ng_1",
             "flavor_id": "42", "node_processes": ["p1", "p2"], "count": 1, "node_configs": {},
             "node_group_template_id": null, "created_at": "2024-01-01T00:00:00", "updated_at": null}
        ]
    }))
}

#[test]
fn cluster_from_template_as_manager_does() {
    // sahara/tests/unit/conductor/manager/test_from_template.py: the request's node groups replace the
    // template's, ng_1 is filled from a node group template, configs are merged at both levels.
    let request = m(json!({
        "plugin_name": "test_plugin",
        "hadoop_version": "test_version",
        "name": "test_cluster",
        "user_keypair_id": "my_keypair",
        "cluster_template_id": "ct-1",
        "node_groups": [
            {"name": "ng_1", "flavor_id": "42", "node_processes": ["p1", "p2"], "count": 1,
             "security_groups": null, "use_autoconfig": true, "shares": null, "node_group_template_id": "ngt-1"},
            {"name": "ng_2", "flavor_id": "42", "node_processes": ["p3", "p4"], "count": 3,
             "security_groups": ["group1", "group2"], "use_autoconfig": true, "shares": null}
        ],
        "cluster_configs": {"service_1": {"config_2": "value_2"}, "service_2": {"config_1": "value_1"}},
        "shares": []
    }));
    let template = sample_cluster_template();
    let mut lookups = Vec::new();
    let v = cluster_create_values(&request, Some("ctx-tenant"), "PRIV", "PUB", Some(&template), |id| {
        lookups.push(id.to_string());
        Ok::<_, Infallible>(sample_ngt())
    })
    .unwrap();
    assert_eq!(lookups, ["ngt-1"]);
    let correct_conf = json!({
        "service_1": {"config_2": "value_2", "config_1": "value_1"},
        "service_2": {"config_1": "value_1"}
    });
    assert_eq!(v["cluster_configs"], correct_conf);
    // Template fields are inherited, except id/timestamps/visibility/tenant.
    assert_eq!(v["default_image_id"], "img-default");
    assert_eq!(v["anti_affinity"], json!(["datanode"]));
    assert_eq!(v["neutron_management_network"], "net-1");
    assert_eq!(v["description"], "my template");
    assert_eq!(v["is_public"], false);
    assert_eq!(v["is_protected"], false);
    assert_eq!(v["tenant_id"], "ctx-tenant");
    assert!(v.get("id").is_none() && v.get("created_at").is_none() && v.get("updated_at").is_none());
    // Request values override the template's.
    assert_eq!(v["name"], "test_cluster");
    assert_eq!(v["shares"], json!([]));
    // Cluster defaults and keys.
    assert_eq!(v["status"], "undefined");
    assert_eq!(v["management_private_key"], "PRIV");
    assert_eq!(v["management_public_key"], "PUB");

    let ngs = v["node_groups"].as_array().unwrap();
    assert_eq!(ngs.len(), 2);
    let ng1 = &ngs[0];
    assert_eq!(ng1["node_processes"], json!(["p1", "p2"]));
    assert_eq!(ng1["volumes_size"], 10);
    assert_eq!(ng1["node_configs"], correct_conf);
    assert_eq!(ng1["volume_mount_prefix"], "/tmp");
    // The node group's explicit null beats the template's security groups.
    assert_eq!(ng1["security_groups"], Value::Null);
    assert_eq!(ng1["floating_ip_pool"], "public");
    assert_eq!(ng1["tenant_id"], "ctx-tenant");
    assert!(ng1.get("id").is_none() && ng1.get("created_at").is_none());
    let ng2 = &ngs[1];
    assert_eq!(ng2["volume_mount_prefix"], "/volumes/disk");
    assert_eq!(ng2["node_configs"], json!({}));
    assert_eq!(ng2["security_groups"], json!(["group1", "group2"]));

    // The result fits the resource struct once the conductor adds ids.
    let mut row = v.clone();
    row.insert("id".into(), json!("c-1"));
    for (i, ng) in row["node_groups"].as_array_mut().unwrap().iter_mut().enumerate() {
        ng["id"] = json!(format!("ng-{i}"));
    }
    let c = Cluster::from_conductor_value(Value::Object(row)).unwrap();
    assert_eq!(c.node_groups[0].volumes_size, Some(10));
}

#[test]
fn cluster_from_template_inherits_template_node_groups() {
    let request = m(json!({"name": "c2", "cluster_template_id": "ct-1", "cluster_configs": null}));
    let template = sample_cluster_template();
    let v = cluster_create_values(&request, Some("t"), "k", "p", Some(&template), no_templates).unwrap();
    assert_eq!(v["plugin_name"], "test_plugin");
    assert_eq!(v["cluster_configs"], template["cluster_configs"]);
    let ng = &v["node_groups"][0];
    assert_eq!(ng["name"], "ng_1");
    assert_eq!(ng["tenant_id"], "t");
    assert!(ng.get("id").is_none());
    assert_eq!(ng["volume_mount_prefix"], "/volumes/disk");
    // Template-only keys are carried (Sahara ignores them on insert).
    assert_eq!(ng["cluster_template_id"], "ct-1");
    assert_eq!(v["is_default"], false);
}

#[test]
fn cluster_without_template() {
    let request = m(json!({"name": "c", "plugin_name": "fake", "hadoop_version": "0.1",
        "cluster_configs": {"general": {"a": 1}}}));
    let v = cluster_create_values(&request, None, "k", "p", None, no_templates).unwrap();
    assert_eq!(v["cluster_configs"], json!({"general": {"a": 1}}));
    assert_eq!(v["tenant_id"], Value::Null);
    assert_eq!(v["node_groups"], json!([]));
    assert_eq!(v["anti_affinity_ratio"], 1);
}

#[test]
fn node_group_from_template_node_configs_deep_merge() {
    let ng = m(json!({
        "name": "ng_3", "count": 5, "node_group_template_id": "ngt-1",
        "node_configs": {"service_1": {"config_1": "override"}, "service_3": {"c": 1}}
    }));
    let v = node_group_add_values(&ng, Some("t"), |_| Ok::<_, Infallible>(sample_ngt())).unwrap();
    assert_eq!(
        v["node_configs"],
        json!({
            "service_1": {"config_1": "override", "config_2": "value_2"},
            "service_2": {"config_1": "value_1"},
            "service_3": {"c": 1}
        })
    );
    assert_eq!(v["count"], 5);
    assert_eq!(v["name"], "ng_3");
    assert_eq!(v["node_processes"], json!(["p1", "p2"]));
    assert_eq!(v["tenant_id"], "t");
    // The template's id and timestamps are not copied; its other fields are.
    assert!(v.get("id").is_none() && v.get("created_at").is_none());
    assert_eq!(v["plugin_name"], "test_plugin");
}

#[test]
fn node_group_add_without_template_keeps_given_id_and_applies_defaults() {
    let ng = m(json!({"id": "keep", "name": "w", "flavor_id": "2", "count": 1, "node_group_template_id": ""}));
    let v = node_group_add_values(&ng, Some("t"), no_templates).unwrap();
    assert_eq!(v["id"], "keep");
    assert_eq!(v["node_configs"], json!({}));
    assert_eq!(v["volume_mount_prefix"], "/volumes/disk");
}

#[test]
fn template_lookup_errors_propagate() {
    let ct = m(json!({"name": "ct", "node_groups": [{"name": "a", "count": 1, "node_group_template_id": "gone"}]}));
    let err = cluster_template_create_values(&ct, Some("t"), |id| Err(format!("missing {id}"))).unwrap_err();
    assert_eq!(err, "missing gone");
}

#[test]
fn cluster_template_create_and_update() {
    let ct = m(json!({"name": "ct", "plugin_name": "fake", "hadoop_version": "0.1",
        "node_groups": [{"id": "x", "name": "a", "flavor_id": "1", "count": 2, "node_group_template_id": "ngt-1"}]}));
    let v = cluster_template_create_values(&ct, Some("t"), |_| Ok::<_, Infallible>(sample_ngt())).unwrap();
    assert_eq!(v["status"], "undefined");
    assert_eq!(v["anti_affinity"], json!([]));
    assert_eq!(v["is_public"], false);
    assert_eq!(v["tenant_id"], "t");
    let ng = &v["node_groups"][0];
    assert!(ng.get("id").is_none());
    assert_eq!(ng["flavor_id"], "1");
    assert_eq!(ng["volumes_size"], 10);

    let upd = cluster_template_update_values("ct-9", &m(json!({"name": "n"})), Some("t"), no_templates).unwrap();
    assert_eq!(Value::Object(upd), json!({"name": "n", "tenant_id": "t", "id": "ct-9"}));
    let upd =
        cluster_template_update_values("ct-9", &m(json!({"node_groups": null})), Some("t"), no_templates).unwrap();
    assert_eq!(upd["node_groups"], json!([]));
}

#[test]
fn ngt_instance_and_edp_create_values() {
    let v = node_group_template_create_values(&m(json!({"name": "w", "flavor_id": "2"})), Some("t"));
    assert_eq!(v["is_protected"], false);
    assert_eq!(v["volumes_per_node"], 0);
    assert_eq!(v["tenant_id"], "t");
    let mut row = v.clone();
    row.insert("id".into(), json!("n"));
    row.insert("plugin_name".into(), json!("fake"));
    row.insert("hadoop_version".into(), json!("0.1"));
    assert!(NodeGroupTemplate::from_conductor_value(Value::Object(row)).is_ok());

    let v = template_update_values("n", &m(json!({"is_public": true})), Some("t"));
    assert_eq!(
        Value::Object(v),
        json!({"is_public": true, "tenant_id": "t", "id": "n"})
    );

    let v = instance_add_values(&m(json!({"instance_name": "i-1"})), Some("t"));
    assert_eq!(
        Value::Object(v),
        json!({"instance_name": "i-1", "volumes": [], "storage_devices_number": 0, "tenant_id": "t"})
    );

    let v = edp_create_values(
        ResourceKind::DataSource,
        &m(json!({"name": "d", "credentials": {"user": "u"}})),
        Some("t"),
    );
    assert_eq!(v["credentials"], json!({"user": "u"}));
    assert_eq!(v["is_public"], false);
    let v = edp_create_values(
        ResourceKind::JobBinary,
        &m(json!({"name": "b", "tenant_id": "spoof"})),
        Some("t"),
    );
    assert_eq!(v["tenant_id"], "t");
    assert!(v.get("credentials").is_none());
}

fn arg(name: &str, mapping: &str, location: &str, default: Option<&str>, order: i16) -> JobInterfaceArgument {
    JobInterfaceArgument {
        id: format!("id-{order}"),
        job_id: "job".into(),
        tenant_id: None,
        name: name.into(),
        description: None,
        mapping_type: MappingType::parse(mapping),
        location: location.into(),
        value_type: crate::enums::ValueType::String,
        required: false,
        order,
        default: default.map(str::to_string),
        created_at: None,
        updated_at: None,
    }
}

fn sample_interface() -> Vec<JobInterfaceArgument> {
    // sahara/tests/unit/conductor/manager/test_edp_interface.py
    vec![
        arg("Reducer Count", "configs", "mapred.reduce.tasks", Some("1"), 0),
        arg("Input Path", "params", "INPUT", Some("hdfs://path"), 1),
        arg("Positional Argument 2", "args", "1", Some("default"), 2),
        arg("Positional Argument 1", "args", "0", Some("arg_1"), 3),
    ]
}

#[test]
fn execution_interface_merged_like_sahara() {
    let values = m(json!({
        "job_id": "job",
        "interface": {"Reducer Count": "2", "Positional Argument 2": "arg_2"},
        "job_configs": {"args": ["arg_3"], "configs": {"mapred.map.tasks": "3"}}
    }));
    let v = job_execution_create_values(&values, Some("t"), &sample_interface());
    assert!(v.get("interface").is_none());
    assert_eq!(v["is_public"], false);
    assert_eq!(
        v["job_configs"],
        json!({
            "configs": {"mapred.reduce.tasks": "2", "mapred.map.tasks": "3"},
            "args": ["arg_1", "arg_2", "arg_3"],
            "params": {"INPUT": "hdfs://path"}
        })
    );

    let mut values = values;
    values.remove("job_configs");
    let v = job_execution_create_values(&values, Some("t"), &sample_interface());
    assert_eq!(
        v["job_configs"],
        json!({
            "configs": {"mapred.reduce.tasks": "2"},
            "args": ["arg_1", "arg_2"],
            "params": {"INPUT": "hdfs://path"}
        })
    );
}

#[test]
fn execution_interface_prefers_job_configs_over_defaults() {
    let jc = m(json!({"configs": {"mapred.reduce.tasks": "7"}, "params": {"INPUT": "swift://c/o"}}));
    let merged = merge_execution_interface(Some(&jc), &sample_interface()[..2], &JsonMap::new());
    assert_eq!(merged["configs"]["mapred.reduce.tasks"], "7");
    assert_eq!(merged["params"]["INPUT"], "swift://c/o");
    assert!(merged.get("args").is_none());
}

#[test]
fn job_execution_without_interface_leaves_configs_alone() {
    let values = m(json!({"job_id": "j", "interface": {}, "job_configs": {"configs": {}}}));
    let v = job_execution_create_values(&values, Some("t"), &[]);
    assert_eq!(v["job_configs"], json!({"configs": {}}));
    assert!(v.get("interface").is_none());
    assert_eq!(v["tenant_id"], "t");
}
