//! The conductor over RPC: the typed client gets the same answers over RabbitMQ as
//! in-process, several conductors share the topic, and a Python oslo.messaging client calls
//! `cluster_get_all` with its context and gets Sahara-shaped results.

mod common;

use sahara_conductor::rpc;
use sahara_model::SaharaError;
use sahara_model::conductor::{ConductorCallError, ConductorClient, RpcConductor};
use sahara_rpc::testing::{cleaned_up, rabbit_url};
use sahara_rpc::{RequestContext, Transport, TransportOptions};
use sahara_tests::oslo::{self, PeerConfig};
use serde_json::{Map, Value, json};
use std::sync::Arc;

fn obj(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

/// Exercises a client the way the API and engine will.
async fn exercise(client: &ConductorClient, ctx: &RequestContext) {
    let ngt = client
        .node_group_template_create(
            ctx,
            obj(json!({"name": "m", "plugin_name": "fake", "hadoop_version": "0.1",
                                                     "flavor_id": "42", "node_processes": ["namenode"]})),
        )
        .await
        .unwrap();
    assert_eq!(ngt.node_processes.as_deref(), Some(&["namenode".to_string()][..]));
    let ct = client
        .cluster_template_create(ctx, obj(json!({"name": "ct", "plugin_name": "fake", "hadoop_version": "0.1",
                                                  "node_groups": [{"name": "m", "node_group_template_id": ngt.id, "count": 2}]})))
        .await
        .unwrap();
    let cluster = client
        .cluster_create(
            ctx,
            obj(json!({"name": "c", "cluster_template_id": ct.id, "user_keypair_id": "k"})),
        )
        .await
        .unwrap();
    assert_eq!(cluster.node_groups.len(), 1);
    assert_eq!(cluster.node_groups[0].count, 2);
    assert!(
        cluster
            .management_private_key
            .starts_with("-----BEGIN RSA PRIVATE KEY-----")
    );
    let ng_id = cluster.node_groups[0].id.clone();
    let inst = client
        .instance_add(
            ctx,
            &ng_id,
            obj(json!({"instance_name": "c-m-001", "instance_id": "srv-1"})),
        )
        .await
        .unwrap();
    client
        .instance_update(ctx, &inst, obj(json!({"internal_ip": "10.0.0.1"})))
        .await
        .unwrap();
    let step = client
        .cluster_provision_step_add(
            ctx,
            &cluster.id,
            obj(json!({"step_name": "s", "step_type": "t", "total": 1})),
        )
        .await
        .unwrap();
    client
        .cluster_event_add(ctx, &step, obj(json!({"successful": true, "instance_name": "c-m-001"})))
        .await
        .unwrap();
    let got = client.cluster_get(ctx, &cluster.id, true).await.unwrap().unwrap();
    assert_eq!(got.node_groups[0].instances[0].internal_ip.as_deref(), Some("10.0.0.1"));
    assert_eq!(got.provision_progress[0].successful, Some(true));
    let page = client
        .cluster_get_all(ctx, false, obj(json!({"name": "c"})))
        .await
        .unwrap();
    assert_eq!(page.items.len(), 1);
    assert!(client.cluster_get(ctx, "no-such-id", false).await.unwrap().is_none());
    // The names a unique-name check reads: in-process from one narrow statement, over RPC from the listed items;
    // the same either way, for a flat list and for one with children.
    for (method, name, want) in [
        ("node_group_template_get_all", "m", vec!["m".to_string()]),
        ("node_group_template_get_all", "nothing", vec![]),
        ("cluster_template_get_all", "ct", vec!["ct".to_string()]),
    ] {
        let names = client
            .list_names(ctx, method, false, obj(json!({"name": name})))
            .await
            .unwrap();
        assert_eq!(names, want, "{method} {name}");
    }

    let err = client
        .node_group_template_create(
            ctx,
            obj(json!({"name": "m", "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "1"})),
        )
        .await
        .unwrap_err();
    match err {
        ConductorCallError::Sahara(SaharaError::DbDuplicateEntry(m)) => assert!(m.contains("name"), "{m}"),
        other => panic!("expected DBDuplicateEntry, got {other:?}"),
    }
    match client.cluster_destroy(ctx, "no-such-id").await.unwrap_err() {
        ConductorCallError::Sahara(SaharaError::NotFound(m)) => assert_eq!(m, "Cluster id 'no-such-id' not found!"),
        other => panic!("expected NotFound, got {other:?}"),
    }
    client.cluster_destroy(ctx, &cluster.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_and_rpc_clients_behave_alike() {
    let local = common::sqlite();
    exercise(
        &sahara_conductor::local_client(local.conductor.clone()),
        &common::ctx("local"),
    )
    .await;

    let id = sahara_tests::unique_id();
    cleaned_up(&id, async {
        let h = common::mysql();
        let options = TransportOptions {
            control_exchange: format!("itest_x_{id}"),
            ..Default::default()
        };
        let transport = Transport::new(&rabbit_url(), options).unwrap();
        // Two conductors share the topic queue.
        let c = Arc::new(h.conductor.clone());
        let topic = format!("itest_conductor_{id}");
        let s1 = rpc::serve_on(&transport, c.clone(), &topic, "c1").await.unwrap();
        let s2 = rpc::serve_on(&transport, c, &topic, "c2").await.unwrap();
        let client = ConductorClient::new(Arc::new(RpcConductor::on_topic(&transport, &topic)));
        exercise(&client, &common::ctx("remote")).await;
        // The flat lists travel as the text the conductor writes; they read as the values it holds.
        let ctx = common::ctx("remote");
        let rpc = RpcConductor::on_topic(&transport, &topic);
        use sahara_model::conductor::ConductorTransport;
        for args in [json!({}), json!({"sort_by": "-name", "limit": 1}), json!({"name": "m"})] {
            let over_rpc = rpc
                .call(&ctx, "node_group_template_get_all", obj(args.clone()))
                .await
                .unwrap();
            let here = h
                .conductor
                .dispatch(&ctx, "node_group_template_get_all", obj(args.clone()))
                .await
                .unwrap();
            assert_eq!(over_rpc, here, "{args}");
        }
        let page = client
            .node_group_template_get_all(&ctx, false, obj(json!({"name": "m"})))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        match rpc
            .call(&ctx, "data_source_get_all", obj(json!({"no_such_column": 1})))
            .await
            .unwrap_err()
        {
            ConductorCallError::Failed(m) => assert!(m.contains("no_such_column"), "{m}"),
            other => panic!("expected a failure naming the column, got {other:?}"),
        }
        s1.stop().await;
        s2.stop().await;
        transport.shutdown().await;
    })
    .await;
}

/// Calls `method` (version 1.0) on `topic` with keyword arguments `args` (JSON) from Python's oslo.messaging.
async fn py_call(exchange: &str, topic: &str, method: &str, args: &str) -> oslo::CallOutcome {
    let peer = PeerConfig::new(&rabbit_url(), exchange, "");
    let argv: Vec<String> = ["--topic", topic, "--method", method, "--version", "1.0", "--args", args]
        .iter()
        .map(|a| a.to_string())
        .collect();
    tokio::task::spawn_blocking(move || {
        let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
        oslo::call(&peer, &argv)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_oslo_client_lists_clusters() {
    let id = sahara_tests::unique_id();
    cleaned_up(&id, async {
        let h = common::mysql();
        let exchange = format!("itest_x_{id}");
        let transport = Transport::new(
            &rabbit_url(),
            TransportOptions {
                control_exchange: exchange.clone(),
                ..Default::default()
            },
        )
        .unwrap();
        // What oslo_peer.py's default RequestContext is scoped to.
        let py_ctx = RequestContext::for_user("oslo-peer-user", "oslo-peer-project");
        let client = sahara_conductor::local_client(h.conductor.clone());
        client
            .cluster_create(
                &py_ctx,
                obj(json!({"name": "py-visible", "plugin_name": "fake", "hadoop_version": "0.1"})),
            )
            .await
            .unwrap();
        client
            .cluster_create(
                &common::ctx("someone-else"),
                obj(json!({"name": "hidden", "plugin_name": "fake", "hadoop_version": "0.1"})),
            )
            .await
            .unwrap();
        let topic = format!("itest_conductor_{id}");
        let server = rpc::serve_on(&transport, Arc::new(h.conductor.clone()), &topic, "py")
            .await
            .unwrap();
        let out = py_call(
            &exchange,
            &topic,
            "cluster_get_all",
            r#"{"regex_search": false, "sort_by": "name"}"#,
        )
        .await;
        assert_eq!(out.code, 0, "{:?}", out);
        let items = out.output["result"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "scoped to the caller's project: {items:?}");
        assert_eq!(items[0]["name"], "py-visible");
        assert_eq!(items[0]["tenant_id"], "oslo-peer-project");
        assert!(items[0]["node_groups"].is_array());
        assert_eq!(out.output["result"]["next"], Value::Null);

        // A flat list, whose page the conductor sends as the text it wrote from the rows.
        client
            .node_group_template_create(
                &py_ctx,
                obj(
                    json!({"name": "py-ngt", "plugin_name": "fake", "hadoop_version": "0.1", "flavor_id": "42",
                           "description": "h\u{e9} \u{20ac} \"q\" \\ \n", "node_configs": {"HDFS": {"r": 1.5}}}),
                ),
            )
            .await
            .unwrap();
        let out = py_call(
            &exchange,
            &topic,
            "node_group_template_get_all",
            r#"{"regex_search": false}"#,
        )
        .await;
        assert_eq!(out.code, 0, "{:?}", out);
        let local = h
            .conductor
            .dispatch(
                &py_ctx,
                "node_group_template_get_all",
                obj(json!({"regex_search": false})),
            )
            .await
            .unwrap();
        assert_eq!(out.output["result"], local, "Python reads the page the conductor holds");
        assert_eq!(local["items"][0]["description"], "h\u{e9} \u{20ac} \"q\" \\ \n");

        // A Sahara exception reaches Python as a RemoteError carrying its class.
        let out = py_call(&exchange, &topic, "cluster_destroy", r#"{"cluster": "nope"}"#).await;
        assert_eq!(out.code, 1);
        assert_eq!(out.output["error"]["class"], "NotFoundException");
        server.stop().await;
        transport.shutdown().await;
    })
    .await;
}
