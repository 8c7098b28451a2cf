//! Sahara's conductor semantics on MariaDB and SQLite: defaults, template merges, project
//! scoping, public/protected objects, unique names, filters, sorting and pagination,
//! cascades, the event log, EDP objects.

mod common;

use common::{Harness, admin, ctx};
use sahara_conductor::ConductorError;
use sahara_model::{ApiVersion, ResourceKind, SaharaError};
use serde_json::{Map, Value, json};

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn code(e: &ConductorError) -> &str {
    match e {
        ConductorError::Sahara(s) => s.code(),
        other => panic!("expected a Sahara exception, got {other:?}"),
    }
}

fn ngt(name: &str) -> Map<String, Value> {
    obj(
        json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "42",
               "node_processes": ["namenode", "jobtracker"], "node_configs": {"HDFS": {"dfs.replication": 1}}}),
    )
}

async fn node_group_templates(h: Harness) {
    let c = &h.conductor;
    let a = ctx("project-a");
    let t = c.node_group_template_create(&a, ngt("master")).await.unwrap();
    assert_eq!(t["tenant_id"], "project-a");
    assert_eq!(t["volumes_per_node"], 0, "NGT defaults");
    assert_eq!(t["volume_mount_prefix"], "/volumes/disk");
    assert_eq!(t["is_public"], false);
    assert_eq!(t["use_autoconfig"], true, "model default");
    assert_eq!(t["boot_from_volume"], false);
    assert_eq!(t["node_configs"], json!({"HDFS": {"dfs.replication": 1}}));
    let created = t["created_at"].as_str().unwrap();
    assert_eq!(created.len(), 19, "YYYY-MM-DDTHH:MM:SS: {created}");
    assert!(created.contains('T'));
    assert_eq!(t["updated_at"], Value::Null);
    let id = t["id"].as_str().unwrap().to_string();

    // Unique per project; another project may reuse the name.
    let e = c.node_group_template_create(&a, ngt("master")).await.unwrap_err();
    assert_eq!(code(&e), "DB_DUPLICATE_ENTRY", "{e}");
    c.node_group_template_create(&ctx("project-b"), ngt("master"))
        .await
        .unwrap();

    // Scoping: B does not see A's template, admins see all.
    let b = ctx("project-b");
    assert!(c.node_group_template_get(&b, &id).await.unwrap().is_none());
    assert!(c.node_group_template_get(&admin(), &id).await.unwrap().is_some());
    let e = c
        .node_group_template_update(&b, &id, obj(json!({"name": "x"})), false)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "NOT_FOUND");
    let e = c.node_group_template_destroy(&b, &id, false).await.unwrap_err();
    assert_eq!(code(&e), "NOT_FOUND");

    // Public objects are visible to everyone but only their owner may change them.
    let u = c
        .node_group_template_update(&a, &id, obj(json!({"is_public": true, "description": "d"})), false)
        .await
        .unwrap();
    assert_eq!(u["is_public"], true);
    assert!(u["updated_at"].is_string());
    assert!(c.node_group_template_get(&b, &id).await.unwrap().is_some());
    let e = c
        .node_group_template_update(&b, &id, obj(json!({"name": "x"})), false)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED");
    assert!(e.to_string().contains("wasn't created in this tenant"), "{e}");

    // Protected: no update (except un-protecting) and no delete.
    c.node_group_template_update(&a, &id, obj(json!({"is_protected": true})), false)
        .await
        .unwrap();
    let e = c
        .node_group_template_update(&a, &id, obj(json!({"name": "y"})), false)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED");
    let e = c.node_group_template_destroy(&a, &id, false).await.unwrap_err();
    assert_eq!(code(&e), "DELETION_FAILED");
    c.node_group_template_update(&a, &id, obj(json!({"is_protected": false})), false)
        .await
        .unwrap();
    c.node_group_template_destroy(&a, &id, false).await.unwrap();
    assert!(c.node_group_template_get(&a, &id).await.unwrap().is_none());
}
on_both!(node_group_templates);

async fn lists_filters_sorting_pagination(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    let mut ids = Vec::new();
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        let mut v = ngt(name);
        v.insert("description".into(), json!(format!("{name} template")));
        ids.push(
            c.node_group_template_create(&a, v).await.unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    c.node_group_template_create(&ctx("other"), ngt("zulu")).await.unwrap();
    let names = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["name"].as_str().unwrap().to_string())
            .collect()
    };
    let all = c
        .node_group_template_get_all(&a, false, obj(json!({"sort_by": "name"})))
        .await
        .unwrap();
    assert_eq!(
        names(&all),
        ["alpha", "bravo", "charlie", "delta", "echo"],
        "scoped and sorted"
    );
    assert_eq!(all["prev"], Value::Null);
    assert_eq!(all["next"], Value::Null, "no limit, no markers");

    let desc = c
        .node_group_template_get_all(&a, false, obj(json!({"sort_by": "-name", "limit": 2})))
        .await
        .unwrap();
    assert_eq!(names(&desc), ["echo", "delta"]);
    let next = desc["next"].as_str().unwrap().to_string();
    let page2 = c
        .node_group_template_get_all(&a, false, obj(json!({"sort_by": "-name", "limit": 2, "marker": next})))
        .await
        .unwrap();
    assert_eq!(names(&page2), ["charlie", "bravo"]);
    assert!(page2["prev"].is_null() || page2["prev"].is_string());
    let page3 = c
        .node_group_template_get_all(
            &a,
            false,
            obj(json!({"sort_by": "-name", "limit": 2, "marker": page2["next"]})),
        )
        .await
        .unwrap();
    assert_eq!(names(&page3), ["alpha"]);
    assert_eq!(page3["next"], Value::Null);

    let limited = c
        .node_group_template_get_all(&a, false, obj(json!({"sort_by": "name", "limit": "2"})))
        .await
        .unwrap();
    assert_eq!(names(&limited), ["alpha", "bravo"], "limit may come as a string");

    let filtered = c
        .node_group_template_get_all(&a, false, obj(json!({"name": "charlie"})))
        .await
        .unwrap();
    assert_eq!(names(&filtered), ["charlie"]);
    let none = c
        .node_group_template_get_all(&a, false, obj(json!({"plugin_name": "vanilla"})))
        .await
        .unwrap();
    assert!(names(&none).is_empty());

    let e = c
        .node_group_template_get_all(&a, false, obj(json!({"no_such_column": 1})))
        .await
        .unwrap_err();
    assert!(matches!(e, ConductorError::InvalidArguments(_)), "{e:?}");
    let e = c
        .node_group_template_get_all(&a, false, obj(json!({"sort_by": "bogus"})))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("Sort key supplied is invalid"), "{e}");
}
on_both!(lists_filters_sorting_pagination);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_search_uses_mysql_regexp() {
    let h = common::mysql();
    let c = &h.conductor;
    let a = ctx("p");
    for name in ["hadoop-master", "hadoop-worker", "spark-master"] {
        c.node_group_template_create(&a, ngt(name)).await.unwrap();
    }
    let page = c
        .node_group_template_get_all(&a, true, obj(json!({"name": "master", "sort_by": "name"})))
        .await
        .unwrap();
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["hadoop-master", "spark-master"],
        "unanchored REGEXP like Sahara"
    );
    let page = c
        .node_group_template_get_all(&a, true, obj(json!({"name": "^hadoop"})))
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_search_on_sqlite_is_equality_as_in_sahara() {
    let h = common::sqlite();
    let c = &h.conductor;
    c.node_group_template_create(&ctx("p"), ngt("hadoop-master"))
        .await
        .unwrap();
    let page = c
        .node_group_template_get_all(&ctx("p"), true, obj(json!({"name": "master"})))
        .await
        .unwrap();
    assert!(page["items"].as_array().unwrap().is_empty());
    let page = c
        .node_group_template_get_all(&ctx("p"), true, obj(json!({"name": "hadoop-master"})))
        .await
        .unwrap();
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

async fn clusters_from_templates(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    let master = c.node_group_template_create(&a, ngt("master")).await.unwrap();
    let mut worker = ngt("worker");
    worker.insert("node_processes".into(), json!(["datanode", "tasktracker"]));
    let worker = c.node_group_template_create(&a, worker).await.unwrap();
    let ct = c
        .cluster_template_create(
            &a,
            obj(json!({"name": "ct", "plugin_name": "fake", "hadoop_version": "0.1",
                       "cluster_configs": {"HDFS": {"a": 1}},
                       "node_groups": [
                           {"name": "m", "node_group_template_id": master["id"], "count": 1},
                           {"name": "w", "node_group_template_id": worker["id"], "count": 3,
                            "node_configs": {"HDFS": {"dfs.replication": 3}}}]})),
        )
        .await
        .unwrap();
    let ngs = ct["node_groups"].as_array().unwrap();
    assert_eq!(ngs.len(), 2);
    let w = ngs.iter().find(|n| n["name"] == "w").unwrap();
    assert_eq!(
        w["node_processes"],
        json!(["datanode", "tasktracker"]),
        "filled from the NGT"
    );
    assert_eq!(
        w["node_configs"],
        json!({"HDFS": {"dfs.replication": 3}}),
        "request configs override the NGT's"
    );
    assert_eq!(w["flavor_id"], "42");
    assert_eq!(ct["anti_affinity"], json!([]), "cluster defaults on templates");

    let cl = c
        .cluster_create(
            &a,
            obj(
                json!({"name": "c1", "cluster_template_id": ct["id"], "default_image_id": "img",
                       "cluster_configs": {"HDFS": {"b": 2}}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(cl["status"], "undefined");
    assert_eq!(cl["plugin_name"], "fake", "copied from the template");
    assert_eq!(cl["cluster_configs"], json!({"HDFS": {"a": 1, "b": 2}}), "deep-merged");
    assert!(
        cl["management_private_key"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    assert!(cl["management_public_key"].as_str().unwrap().starts_with("ssh-rsa "));
    assert_eq!(cl["node_groups"].as_array().unwrap().len(), 2);
    assert_eq!(cl["provision_progress"], json!([]));
    assert!(cl.get("verification").is_none());
    let cid = cl["id"].as_str().unwrap().to_string();

    // The template is now in use.
    let e = c
        .cluster_template_update(&a, ct["id"].as_str().unwrap(), obj(json!({"description": "x"})), false)
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED");
    let e = c
        .node_group_template_update(
            &a,
            master["id"].as_str().unwrap(),
            obj(json!({"description": "x"})),
            false,
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED");

    // Node groups and instances.
    let ng_id = c
        .node_group_add(&a, &cid, obj(json!({"name": "extra", "flavor_id": "1", "count": 0})))
        .await
        .unwrap();
    let i1 = c
        .instance_add(
            &a,
            &ng_id,
            obj(json!({"instance_name": "b-1", "instance_id": "nova-1"})),
        )
        .await
        .unwrap();
    let _i2 = c
        .instance_add(
            &a,
            &ng_id,
            obj(json!({"instance_name": "a-1", "instance_id": "nova-2"})),
        )
        .await
        .unwrap();
    c.instance_update(&a, &i1, obj(json!({"management_ip": "10.0.0.5"})))
        .await
        .unwrap();
    c.append_volume(&a, &i1, "vol-1").await.unwrap();
    c.append_volume(&a, &i1, "vol-2").await.unwrap();
    c.remove_volume(&a, &i1, "vol-1").await.unwrap();
    assert!(c.remove_volume(&a, &i1, "vol-9").await.is_err());
    let full = c.cluster_get(&a, &cid, false).await.unwrap().unwrap();
    let extra = full["node_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "extra")
        .unwrap();
    assert_eq!(extra["count"], 2, "instance_add counts");
    let names: Vec<&str> = extra["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["instance_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a-1", "b-1"], "instances ordered by name");
    let b1 = extra["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance_name"] == "b-1")
        .unwrap();
    assert_eq!(b1["volumes"], json!(["vol-2"]));
    assert_eq!(b1["management_ip"], "10.0.0.5");
    assert_eq!(b1["storage_devices_number"], 0);
    c.instance_remove(&a, &i1).await.unwrap();
    let full = c.cluster_get(&a, &cid, false).await.unwrap().unwrap();
    let extra = full["node_groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "extra")
        .unwrap();
    assert_eq!(extra["count"], 1);

    // Updates and the status machine's storage.
    let u = c
        .cluster_update(
            &a,
            &cid,
            obj(json!({"status": "Active", "info": {"HDFS": {"NameNode": "hdfs://x"}}})),
        )
        .await
        .unwrap();
    assert_eq!(u["status"], "Active");
    assert_eq!(u["info"]["HDFS"]["NameNode"], "hdfs://x");
    let e = c
        .cluster_create(
            &a,
            obj(json!({"name": "c1", "plugin_name": "fake", "hadoop_version": "0.1"})),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DB_DUPLICATE_ENTRY");

    // Listing clusters carries their node groups.
    let page = c
        .cluster_get_all(&a, false, obj(json!({"status": "Active"})))
        .await
        .unwrap();
    assert_eq!(page["items"][0]["node_groups"].as_array().unwrap().len(), 3);

    // Destroy cascades; the template can then change again.
    c.cluster_destroy(&a, &cid).await.unwrap();
    assert!(c.cluster_get(&a, &cid, false).await.unwrap().is_none());
    assert_eq!(code(&c.cluster_destroy(&a, &cid).await.unwrap_err()), "NOT_FOUND");
    assert_eq!(
        code(
            &c.node_group_update(&a, &ng_id, obj(json!({"count": 1})))
                .await
                .unwrap_err()
        ),
        "NOT_FOUND"
    );
    let ct2 = c
        .cluster_template_update(
            &a,
            ct["id"].as_str().unwrap(),
            obj(json!({"node_groups": [{"name": "only", "flavor_id": "2", "count": 1}]})),
            false,
        )
        .await
        .unwrap();
    assert_eq!(
        ct2["node_groups"].as_array().unwrap().len(),
        1,
        "explicit node_groups replace the old ones"
    );
    // A node group template change is copied into the cluster templates using it.
    let ct3 = c
        .cluster_template_create(&a, obj(json!({"name": "ct3", "plugin_name": "fake", "hadoop_version": "0.1",
                                                "node_groups": [{"name": "m", "node_group_template_id": master["id"], "count": 2}]})))
        .await
        .unwrap();
    c.node_group_template_update(
        &a,
        master["id"].as_str().unwrap(),
        obj(json!({"flavor_id": "99"})),
        false,
    )
    .await
    .unwrap();
    let ct3 = c
        .cluster_template_get(&a, ct3["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ct3["node_groups"][0]["flavor_id"], "99");
    assert_eq!(ct3["node_groups"][0]["count"], 2, "counts kept");
    c.cluster_template_destroy(&a, ct3["id"].as_str().unwrap(), false)
        .await
        .unwrap();
}
on_both!(clusters_from_templates);

async fn event_log_and_verifications(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    let cl = c
        .cluster_create(
            &a,
            obj(json!({"name": "ev", "plugin_name": "fake", "hadoop_version": "0.1"})),
        )
        .await
        .unwrap();
    let cid = cl["id"].as_str().unwrap();
    let ok_step = c
        .cluster_provision_step_add(
            &a,
            cid,
            obj(json!({"step_name": "Wait", "step_type": "Engine", "total": 2})),
        )
        .await
        .unwrap();
    let bad_step = c
        .cluster_provision_step_add(
            &a,
            cid,
            obj(json!({"step_name": "Conf", "step_type": "Plugin", "total": 2})),
        )
        .await
        .unwrap();
    for i in 0..2 {
        c.cluster_event_add(
            &a,
            &ok_step,
            obj(json!({"successful": true, "instance_name": format!("i{i}"), "event_info": null})),
        )
        .await
        .unwrap();
    }
    c.cluster_event_add(
        &a,
        &bad_step,
        obj(json!({"successful": false, "instance_name": "i0", "event_info": "boom"})),
    )
    .await
    .unwrap();
    let with = c.cluster_get(&a, cid, true).await.unwrap().unwrap();
    let steps = with["provision_progress"].as_array().unwrap();
    let ok = steps.iter().find(|s| s["step_name"] == "Wait").unwrap();
    assert_eq!(ok["successful"], true, "a complete step is settled");
    assert_eq!(ok["events"], json!([]), "its events are dropped once it succeeded");
    let bad = steps.iter().find(|s| s["step_name"] == "Conf").unwrap();
    assert_eq!(bad["successful"], false);
    assert_eq!(bad["events"].as_array().unwrap().len(), 1);
    let without = c.cluster_get(&a, cid, false).await.unwrap().unwrap();
    assert!(without["provision_progress"][0].get("events").is_none());

    let v = c
        .cluster_verification_add(&a, cid, obj(json!({"status": "CHECKING"})))
        .await
        .unwrap();
    let vid = v["id"].as_str().unwrap();
    let hc = c
        .cluster_health_check_add(&a, vid, obj(json!({"status": "CHECKING", "name": "hdfs"})))
        .await
        .unwrap();
    c.cluster_health_check_update(
        &a,
        hc["id"].as_str().unwrap(),
        obj(json!({"status": "GREEN", "description": "ok"})),
    )
    .await
    .unwrap();
    c.cluster_verification_update(&a, vid, obj(json!({"status": "GREEN"})))
        .await
        .unwrap();
    let full = c.cluster_get(&a, cid, false).await.unwrap().unwrap();
    assert_eq!(full["verification"]["status"], "GREEN");
    assert_eq!(full["verification"]["checks"][0]["description"], "ok");
    c.cluster_destroy(&a, cid).await.unwrap();
    assert!(
        c.cluster_verification_get(&a, vid).await.unwrap().is_none(),
        "verifications go with the cluster"
    );
}
on_both!(event_log_and_verifications);

async fn edp_objects(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    let ds_in = c
        .data_source_create(
            &a,
            obj(json!({"name": "in", "type": "swift", "url": "swift://c/in",
                                           "credentials": {"user": "u", "password": "pw"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        ds_in["credentials"]["password"], "pw",
        "the conductor keeps credentials; the API hides them"
    );
    c.data_source_create(&a, obj(json!({"name": "out", "type": "hdfs", "url": "hdfs://out"})))
        .await
        .unwrap();
    assert_eq!(
        c.data_source_count(&a, obj(json!({"url": "swift://%"}))).await.unwrap(),
        1
    );
    assert_eq!(
        c.data_source_count(&a, obj(json!({"type": ["swift", "hdfs"]})))
            .await
            .unwrap(),
        2
    );
    assert_eq!(c.data_source_count(&ctx("other"), obj(json!({}))).await.unwrap(), 0);

    let data = sahara_conductor::store::sql::encode_base64(&[0u8, 1, 2, 255, b'h', b'i']);
    let jbi = c
        .job_binary_internal_create(&a, obj(json!({"name": "script.pig", "data": data})))
        .await
        .unwrap();
    assert_eq!(jbi["datasize"], 6);
    assert!(jbi.get("data").is_none(), "data is never part of the row");
    let raw = c
        .job_binary_internal_get_raw_data(&a, jbi["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        sahara_conductor::store::sql::decode_base64(&raw).unwrap(),
        vec![0u8, 1, 2, 255, b'h', b'i']
    );

    let jb_main = c
        .job_binary_create(
            &a,
            obj(json!({"name": "main.pig", "url": format!("internal-db://{}", jbi["id"].as_str().unwrap())})),
        )
        .await
        .unwrap();
    let jb_lib = c
        .job_binary_create(
            &a,
            obj(json!({"name": "lib.jar", "url": "swift://c/lib.jar", "extra": {"user": "u", "password": "p"}})),
        )
        .await
        .unwrap();
    let job = c
        .job_create(
            &a,
            obj(json!({"name": "wordcount", "type": "Pig", "mains": [jb_main["id"]], "libs": [jb_lib["id"], "no-such-binary"],
                       "interface": [{"name": "Reducers", "mapping_type": "configs", "location": "mapred.reduce.tasks",
                                      "value_type": "number", "required": false, "default": "1"},
                                     {"name": "Input", "mapping_type": "args", "location": "0", "value_type": "data_source",
                                      "required": true}]})),
        )
        .await
        .unwrap();
    assert_eq!(job["mains"][0]["name"], "main.pig");
    assert_eq!(job["libs"].as_array().unwrap().len(), 1, "unknown binaries are skipped");
    assert_eq!(job["interface"][1]["order"], 1);
    let job_id = job["id"].as_str().unwrap();
    assert_eq!(c.job_main_name(&a, job_id).await.unwrap().as_deref(), Some("main.pig"));
    assert_eq!(c.job_lib_names(&a, job_id).await.unwrap(), ["lib.jar"]);

    let e = c
        .job_binary_update(
            &a,
            jb_main["id"].as_str().unwrap(),
            obj(json!({"url": "swift://other"})),
        )
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED", "internal-db URLs are fixed");
    let e = c
        .job_binary_destroy(&a, jb_lib["id"].as_str().unwrap())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DELETION_FAILED", "used by a job");

    let cl = c
        .cluster_create(
            &a,
            obj(json!({"name": "edp", "plugin_name": "fake", "hadoop_version": "0.1"})),
        )
        .await
        .unwrap();
    let je = c
        .job_execution_create(
            &a,
            obj(
                json!({"job_id": job_id, "cluster_id": cl["id"], "input_id": ds_in["id"], "info": {"status": "PENDING"},
                       "interface": {"Input": "swift://c/in"}, "job_configs": {"configs": {}, "args": ["x"]}}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        je["job_configs"]["configs"]["mapred.reduce.tasks"], "1",
        "interface default merged"
    );
    assert_eq!(
        je["job_configs"]["args"],
        json!(["swift://c/in", "x"]),
        "positional interface args first"
    );
    assert!(je.contains_key("oozie_job_id"));
    let e = c
        .job_binary_update(&a, jb_lib["id"].as_str().unwrap(), obj(json!({"description": "d"})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "UPDATE_FAILED", "used by a PENDING job execution");
    c.job_execution_update(
        &a,
        je["id"].as_str().unwrap(),
        obj(json!({"info": {"status": "RUNNING"}})),
    )
    .await
    .unwrap();
    let running = c
        .job_execution_get_all(&a, false, obj(json!({"status": "running"})))
        .await
        .unwrap();
    assert_eq!(
        running["items"].as_array().unwrap().len(),
        1,
        "status filter on info.status, any case"
    );
    let by_job = c
        .job_execution_get_all(&a, false, obj(json!({"job.name": "wordcount"})))
        .await
        .unwrap();
    assert_eq!(by_job["items"].as_array().unwrap().len(), 1);
    let by_cluster = c
        .job_execution_get_all(&a, false, obj(json!({"cluster.name": "nope"})))
        .await
        .unwrap();
    assert!(by_cluster["items"].as_array().unwrap().is_empty());
    assert_eq!(
        c.job_execution_count(&a, obj(json!({"job_id": job_id}))).await.unwrap(),
        1
    );

    let e = c
        .data_source_destroy(&a, ds_in["id"].as_str().unwrap())
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DELETION_FAILED", "used by a job execution: {e}");
    let e = c.job_destroy(&a, job_id).await.unwrap_err();
    assert_eq!(code(&e), "DELETION_FAILED");
    c.job_execution_destroy(&a, je["id"].as_str().unwrap()).await.unwrap();
    c.job_destroy(&a, job_id).await.unwrap();
    c.job_binary_destroy(&a, jb_lib["id"].as_str().unwrap()).await.unwrap();
    c.data_source_destroy(&a, ds_in["id"].as_str().unwrap()).await.unwrap();
}
on_both!(edp_objects);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn internal_binaries_respect_the_size_limit() {
    let h = common::sqlite_with(sahara_conductor::ConductorSettings {
        job_binary_max_kb: 1,
        ..Default::default()
    });
    let big = sahara_conductor::store::sql::encode_base64(&vec![7u8; 2048]);
    let e = h
        .conductor
        .job_binary_internal_create(&ctx("p"), obj(json!({"name": "big", "data": big})))
        .await
        .unwrap_err();
    assert_eq!(code(&e), "DATA_TOO_BIG");
    assert!(
        e.to_string().contains("(2.0KB) is greater than the maximum (1KB)"),
        "{e}"
    );
}

async fn plugins(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    c.plugin_create(
        &a,
        obj(json!({"name": "fake", "plugin_labels": {"enabled": {"status": false}}, "version_labels": {}})),
    )
    .await
    .unwrap();
    let p = c.plugin_get(&a, "fake").await.unwrap().unwrap();
    assert_eq!(p["plugin_labels"]["enabled"]["status"], false);
    c.plugin_update(&a, "fake", obj(json!({"plugin_labels": {"enabled": {"status": true}}})))
        .await
        .unwrap();
    assert_eq!(c.plugin_get_all(&a).await.unwrap().len(), 1);
    assert_eq!(
        code(&c.plugin_update(&a, "nope", obj(json!({}))).await.unwrap_err()),
        "NOT_FOUND"
    );
    c.plugin_remove(&a, "fake").await.unwrap();
    assert!(c.plugin_get(&a, "fake").await.unwrap().is_none());
}
on_both!(plugins);

async fn concurrent_creates_of_one_name(h: Harness) {
    let c = std::sync::Arc::new(h.conductor.clone());
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.node_group_template_create(&ctx("race"), ngt("same-name")).await })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(code(&e), "DB_DUPLICATE_ENTRY", "{e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one create wins");
    drop(h);
}
on_both!(concurrent_creates_of_one_name);

#[test]
fn sahara_error_codes_survive_the_remote_form() {
    let e = ConductorError::Sahara(SaharaError::not_found(sahara_model::ResourceKind::Cluster, "x"));
    let (module, class, _, kwargs) = e.remote_parts();
    assert_eq!(
        (module.as_str(), class.as_str()),
        ("sahara.exceptions", "NotFoundException")
    );
    assert_eq!(kwargs["code"], "NOT_FOUND");
}

/// What the in-process client gets for a call (the flat lists as text) read as a value.
async fn answered(
    c: &sahara_conductor::Conductor,
    ctx: &sahara_rpc::RequestContext,
    method: &str,
    args: Value,
) -> Value {
    c.dispatch_answer(ctx, method, obj(args))
        .await
        .unwrap()
        .into_value()
        .unwrap()
}

/// The flat lists written straight as text say what their values say, for odd values, every kind of column,
/// JSON columns holding text that is not JSON, pages and filters; a create answers the row a read finds.
async fn text_answers_match_values(h: Harness) {
    let c = &h.conductor;
    let a = ctx("p");
    let odd = "quote \" backslash \\ tab \t newline \n h\u{e9} \u{1} </script>";
    let mut created = Vec::new();
    for (i, name) in ["n0", "n1", "n2", "n3"].iter().enumerate() {
        let mut v = ngt(name);
        v.insert("description".into(), json!(format!("{odd} {i}")));
        v.insert(
            "node_configs".into(),
            json!({"HDFS": {"f": 1.5, "big": 9007199254740993i64, "neg": -3, "s": odd, "nested": [null, true, {}]}}),
        );
        v.insert("volumes_per_node".into(), json!(i));
        v.insert("is_proxy_gateway".into(), json!(i % 2 == 0));
        v.insert(
            "security_groups".into(),
            if i == 0 { Value::Null } else { json!(["default", odd]) },
        );
        created.push(c.node_group_template_create(&a, v).await.unwrap());
    }
    let mut trailing = ngt("trailing");
    trailing.insert("description".into(), json!("ends in spaces  "));
    created.push(c.node_group_template_create(&a, trailing).await.unwrap());
    for row in &created {
        let id = row["id"].as_str().unwrap();
        let read = c.node_group_template_get(&a, id).await.unwrap().unwrap();
        assert_eq!(&read, row, "a create answers what a read finds");
    }
    // A JSON column holding text that is not JSON (written by hand) reads as that text; JSON written by another
    // hand (Python's separators, exponents, integers past 64 bits, raw non-ASCII, a lone surrogate escaped) reads
    // as the value it holds.
    let broken = created[1]["id"].as_str().unwrap().to_string();
    let python = created[3]["id"].as_str().unwrap().to_string();
    c.store()
        .run("corrupt", move |conn, _, _| {
            use diesel::RunQueryDsl;
            diesel::sql_query(format!(
                "UPDATE node_group_templates SET node_configs = '{{not json' WHERE id = '{broken}'"
            ))
            .execute(conn)?;
            diesel::sql_query(format!(
                "UPDATE node_group_templates SET node_configs = ' {{\"HDFS\": {{\"e\": 1E2, \"f\": 1.0, \
                 \"big\": 123456789012345678901234567890, \"u\": \"h\u{e9}\", \"a\": 1, \"a\": 2}}}} ', \
                 security_groups = '[\"\\\\ud800\"]' WHERE id = '{python}'"
            ))
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();

    let ds = c
        .data_source_create(
            &a,
            obj(
                json!({"name": "in", "type": "swift", "url": "swift://c/in", "description": odd,
                       "credentials": {"user": "u", "password": "pw"}, "is_public": true}),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        c.data_source_get(&a, ds["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap(),
        ds
    );
    let jb = c
        .job_binary_create(
            &a,
            obj(json!({"name": "lib.jar", "url": "swift://c/lib.jar", "extra": {"user": "u", "password": "p"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        c.job_binary_get(&a, jb["id"].as_str().unwrap()).await.unwrap().unwrap(),
        jb
    );
    let data = sahara_conductor::store::sql::encode_base64(b"echo hi");
    let jbi = c
        .job_binary_internal_create(&a, obj(json!({"name": "s.sh", "data": data})))
        .await
        .unwrap();
    assert_eq!(
        c.job_binary_internal_get(&a, jbi["id"].as_str().unwrap())
            .await
            .unwrap()
            .unwrap(),
        jbi
    );

    let second = created[2]["id"].as_str().unwrap();
    let v2_renames = sahara_model::api_view::flat_view(ResourceKind::NodeGroupTemplate, ApiVersion::V2)
        .unwrap()
        .renames;
    // Renames the view cannot write: onto another column, onto a name that is not plain; and lists with children.
    for (method, renames) in [
        ("node_group_template_get_all", &[("name", "id")][..]),
        ("node_group_template_get_all", &[("name", "a\"b")][..]),
        ("cluster_get_all", &[][..]),
        ("node_group_template_get", &[][..]),
    ] {
        assert!(
            c.flat_list_view(&a, method, false, Map::new(), renames).is_none(),
            "{method}"
        );
    }
    for method in ["cluster_get_all", "cluster_template_get_all", "node_group_template_get"] {
        assert!(c.flat_list_names(&a, method, false, Map::new()).is_none(), "{method}");
    }
    for method in [
        "node_group_template_get_all",
        "data_source_get_all",
        "job_binary_get_all",
        "job_binary_internal_get_all",
    ] {
        for args in [
            json!({}),
            json!({"regex_search": true, "name": "n"}),
            json!({"sort_by": "-name"}),
            json!({"sort_by": "name", "limit": 2}),
            json!({"sort_by": "name", "limit": 2, "marker": second}),
            json!({"name": "nothing"}),
            json!({"name": "N1"}),
        ] {
            for who in [&a, &ctx("other"), &admin()] {
                let text = answered(c, who, method, args.clone()).await;
                let value = c.dispatch(who, method, obj(args.clone())).await.unwrap();
                assert_eq!(text, value, "{method} {args}");
                // The names alone, as a unique-name check reads them: those of the same list's items (a list
                // that pages is refused).
                let mut kwargs = obj(args.clone());
                let regex = kwargs.remove("regex_search").is_some_and(|r| r == true);
                let names = c
                    .flat_list_names(who, method, regex, kwargs)
                    .expect("a flat list")
                    .await;
                if args.get("limit").is_some() {
                    assert!(matches!(names, Err(ConductorError::InvalidArguments(_))), "{names:?}");
                } else {
                    let mut names = names.unwrap();
                    let mut listed: Vec<String> = value["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|item| item["name"].as_str().unwrap().to_string())
                        .collect();
                    names.sort();
                    listed.sort();
                    assert_eq!(names, listed, "{method} {args}");
                }
                // The REST view of the same page: the items with the view's keys renamed.
                for renames in [v2_renames, &[]] {
                    let mut kwargs = obj(args.clone());
                    let regex = kwargs.remove("regex_search").is_some_and(|r| r == true);
                    let view = c
                        .flat_list_view(who, method, regex, kwargs, renames)
                        .expect("a flat list")
                        .await
                        .unwrap();
                    let items: Value = serde_json::from_str(&view.items).unwrap();
                    let renamed: Vec<Value> = value["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|item| {
                            let fields = item.as_object().unwrap().iter().map(|(k, v)| {
                                let k = renames.iter().find(|(from, _)| from == k).map_or(k.as_str(), |r| r.1);
                                (k.to_string(), v.clone())
                            });
                            Value::Object(fields.collect())
                        })
                        .collect();
                    assert_eq!(items, Value::Array(renamed), "{method} {args} {renames:?}");
                    assert_eq!(
                        (json!(view.prev), json!(view.next)),
                        (value["prev"].clone(), value["next"].clone())
                    );
                }
            }
        }
        let e = c
            .dispatch_answer(&a, method, obj(json!({"no_such_column": 1})))
            .await
            .unwrap_err();
        assert!(matches!(e, ConductorError::InvalidArguments(_)), "{e:?}");
    }
    let page = answered(c, &a, "node_group_template_get_all", json!({"sort_by": "name"})).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    assert_eq!(items[1]["node_configs"], "{not json");
    assert_eq!(items[0]["description"], format!("{odd} 0"));
    assert_eq!(items[0]["node_configs"]["HDFS"]["big"], 9007199254740993i64);
    // Other methods answer their values.
    let id = created[0]["id"].as_str().unwrap();
    assert_eq!(
        answered(c, &a, "node_group_template_get", json!({"node_group_template": id})).await,
        Value::Object(created[0].clone())
    );

    // On MariaDB single statements ran on the asynchronous driver: diesel's driver reads the same rows as the same
    // values and text (every kind of column, odd text, JSON that is not JSON, null and non-null values).
    assert_eq!(
        c.store().uses_async_mysql(),
        c.store().backend() == sahara_schema::Backend::Mysql
    );
    let twin = common::blocking_twin(&h);
    for method in [
        "node_group_template_get_all",
        "data_source_get_all",
        "job_binary_get_all",
        "job_binary_internal_get_all",
    ] {
        for args in [json!({}), json!({"sort_by": "-name"}), json!({"name": "nothing"})] {
            for who in [&a, &ctx("other"), &admin()] {
                let (mine, theirs) = (
                    answered(c, who, method, args.clone()).await,
                    answered(&twin, who, method, args.clone()).await,
                );
                if who.project_id.as_deref() == Some("p") && args["name"] != "nothing" {
                    assert!(!theirs["items"].as_array().unwrap().is_empty(), "{method} {args}");
                }
                assert_eq!(mine, theirs, "{method} {args}");
                let (mine, theirs) = (
                    c.dispatch(who, method, obj(args.clone())).await.unwrap(),
                    twin.dispatch(who, method, obj(args.clone())).await.unwrap(),
                );
                assert_eq!(mine, theirs, "{method} {args}");
                // The same names (in no particular order: the statement has no ORDER BY).
                let (mut mine, mut theirs) = (
                    c.flat_list_names(who, method, false, obj(args.clone()))
                        .unwrap()
                        .await
                        .unwrap(),
                    twin.flat_list_names(who, method, false, obj(args.clone()))
                        .unwrap()
                        .await
                        .unwrap(),
                );
                mine.sort();
                theirs.sort();
                assert_eq!(mine, theirs, "{method} {args}");
            }
        }
    }
    for row in &created {
        let id = row["id"].as_str().unwrap();
        assert_eq!(
            c.node_group_template_get(&a, id).await.unwrap(),
            twin.node_group_template_get(&a, id).await.unwrap()
        );
    }
    assert_eq!(
        c.plugin_get_all(&admin()).await.unwrap(),
        twin.plugin_get_all(&admin()).await.unwrap()
    );
}
on_both!(text_answers_match_values);

/// On a server in a `sql_mode` that is not strict (so it may change what it stores), creates read their rows
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creates_read_back_unless_the_mode_is_strict() {
    async fn strict(h: &Harness) -> Result<bool, ConductorError> {
        let flag = h.conductor.store().stores_as_bound();
        h.conductor.store().read("sql_mode", move |c, _, _| flag.check(c)).await
    }
    let h = common::mysql_session(&sahara_schema::SessionOptions {
        mysql_sql_mode: Some("NO_ENGINE_SUBSTITUTION".into()),
        ..Default::default()
    });
    assert!(!strict(&h).await.unwrap());
    assert!(strict(&common::mysql()).await.unwrap());
    assert!(strict(&common::sqlite()).await.unwrap());
    let a = ctx("p");
    let t = h.conductor.node_group_template_create(&a, ngt("t")).await.unwrap();
    let read = h
        .conductor
        .node_group_template_get(&a, t["id"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t, read);
}
