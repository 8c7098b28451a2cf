//! The API against the project's local test cloud (real Keystone, the simulator's Nova, Neutron, Glance, Cinder,
//! Manila): the template and cluster checks of sahara/service/validations/base.py (and shares.py) asked of the
//! cloud with the caller's
//! token and service catalog (here `noauth` with keystonemiddleware's headers: `X-Auth-Token`,
//! `X-Service-Catalog`), Sahara's quota check, and the image registry over Glance. Everything the test makes is
//! removed when it ends (fabric by prefix, services down), also when it fails.

mod common;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use http_body_util::BodyExt;
use sahara_openstack::keystone::{self, PasswordAuth};
use sahara_openstack::{ClientConfig, Secret, Session, Transport};
use sahara_testcloud::fabric::{Fabric, LinuxFabric};
use sahara_testcloud::heat::{Heat, HeatConfig, backend_sim};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::{self, Credentials, RunningServices, ServicesConfig};
use sahara_testcloud::sim::{self, Cloud, CloudConfig, KeystoneValidator, ServiceAccount, TokenValidator};
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;

/// Removes what the test made, also when it fails half-way.
struct Guard {
    config: ServicesConfig,
    fabric: Option<Arc<LinuxFabric>>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(f) = &self.fabric
            && let Err(e) = f.cleanup()
        {
            eprintln!("fabric cleanup of {} failed: {e}", self.config.prefix);
        }
        if let Err(e) = services::down(&self.config) {
            eprintln!("services cleanup of {} failed: {e}", self.config.prefix);
        }
    }
}

/// The cloud: Keystone and the simulator; removed when dropped.
struct Env {
    running: RunningServices,
    server: tokio::task::JoinHandle<()>,
    _guard: Guard,
    _dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn password(c: &Credentials) -> PasswordAuth {
    PasswordAuth {
        username: c.username.clone(),
        password: Secret::new(c.password.clone()),
        user_domain_name: c.user_domain_name.clone(),
        project_name: Some(c.project_name.clone()),
        project_domain_name: c.project_domain_name.clone(),
        trust_id: None,
    }
}

impl Env {
    async fn start() -> Env {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
            .with_test_writer()
            .try_init();
        let dir = tempfile::Builder::new().prefix("stc-api-").tempdir().expect("temp dir");
        let prefix = Prefix::random();
        let config = ServicesConfig::from_env(dir.path(), prefix).expect("virtualenvs");
        let mut guard = Guard {
            config: config.clone(),
            fabric: None,
        };
        let running = services::start(&config).await.expect("services start");
        let fabric = Arc::new(LinuxFabric::new(prefix, dir.path().join("fabric")).expect("fabric"));
        guard.fabric = Some(fabric.clone());
        let cc = CloudConfig::new(dir.path().join("sim"), prefix, running.admin.project_id.clone());
        let cloud = Cloud::start(cc, fabric.clone()).await.expect("simulator start");
        let port = running.ports.simulator;
        let external = cloud.external().expect("external network");
        let validator: Arc<dyn TokenValidator> = Arc::new(KeystoneValidator::new(ServiceAccount {
            auth_url: running.keystone_url.clone(),
            username: running.admin.username.clone(),
            password: running.admin.password.clone(),
            project_name: running.admin.project_name.clone(),
            user_domain_name: running.admin.user_domain_name.clone(),
            project_domain_name: running.admin.project_domain_name.clone(),
        }));
        let heat = Heat::new(
            backend_sim::SimBackend::new(cloud.clone()),
            HeatConfig::new(prefix, format!("http://{}:{port}/heat-api", external.host_ip)),
        );
        let app = sim::app(
            sim::ApiState::new(cloud.clone(), validator.clone()),
            backend_sim::routes(heat, validator),
        );
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind simulator");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Env {
            running,
            server,
            _guard: guard,
            _dir: dir,
        }
    }
}

/// The caller: demo's token, project and catalog (in keystonemiddleware's v2 shape).
struct Caller {
    project: String,
    token: String,
    catalog: String,
}

async fn send(app: axum::Router, who: &Caller, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(path)
        .header("x-tenant-id", &who.project)
        .header("x-user-id", "demo")
        .header("x-roles", "member")
        .header("x-auth-token", &who.token)
        .header("x-service-catalog", &who.catalog)
        .header("content-type", "application/json")
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap();
    let resp = app.oneshot(req).await.unwrap();
    let status = resp.status();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap()
    };
    (status, v)
}

fn error(v: &Value) -> (String, String) {
    (
        v["error_name"].as_str().unwrap_or_default().to_string(),
        v["error_message"]
            .as_str()
            .unwrap_or_default()
            .split("\nError ID: ")
            .next()
            .unwrap()
            .to_string(),
    )
}

#[tokio::test]
async fn templates_clusters_and_images_ask_the_cloud_with_the_callers_token() {
    let env = Env::start().await;
    let mut client = ClientConfig::default();
    client.region = Some(env.running.region.clone());
    let transport = Transport::new(client).unwrap();
    let demo: Session = keystone::authenticate(&transport, &env.running.keystone_url, &password(&env.running.demo))
        .await
        .expect("demo authenticates");
    let mut catalog = Vec::new();
    for s in &demo.catalog().services {
        let eps: Vec<_> = s
            .endpoints
            .iter()
            .map(|e| json!({"interface": e.interface, "region": e.region, "url": e.url}))
            .collect();
        catalog.push(json!({"type": s.service_type, "name": s.name, "endpoints": eps}));
    }
    let who = Caller {
        project: demo.project_id().unwrap().to_string(),
        token: demo.token().expose().to_string(),
        catalog: sahara_keystone::normalize_catalog(&json!(catalog)).to_string(),
    };
    let conf = common::conf(&format!("os_region_name = {}\n", env.running.region));
    let h = common::with_conductor(&conf).await;
    let app = || sahara_api::router(h.state.clone());

    // What the cloud has.
    let images = demo.glance().list_images().await.unwrap();
    let image = |name: &str| {
        images
            .iter()
            .find(|i| i.name.as_deref() == Some(name))
            .unwrap()
            .id
            .clone()
    };
    let (fake_image, spark_image, cirros) = (image("sahara-fake-0.1"), image("sahara-spark-2.3"), image("cirros-0.6"));
    let pool = demo.neutron().floating_ip_pools().await.unwrap()[0].id.clone();
    let sg = demo
        .neutron()
        .create_security_group("api-test-sg", "for the API test")
        .await
        .unwrap();

    // Node group templates: each field asked of the cloud, answered with Sahara's words.
    let ngt = |extra: Value| {
        let mut b = json!({"name": "ngt", "flavor_id": "42", "plugin_name": "fake", "hadoop_version": "0.1",
                           "node_processes": ["datanode"]});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let ngt_path = format!("/v1.1/{}/node-group-templates", who.project);
    let missing = "00000000-1111-2222-3333-444444444444";
    for (extra, expected) in [
        (
            json!({"flavor_id": "4242"}),
            ("NOT_FOUND", "Requested flavor '4242' not found".to_string()),
        ),
        (
            json!({"image_id": cirros}),
            (
                "INVALID_REFERENCE",
                format!("Requested image '{cirros}' is not registered"),
            ),
        ),
        (
            json!({"image_id": spark_image}),
            (
                "INVALID_REFERENCE",
                format!("Requested image '{spark_image}' doesn't contain required tags: ['fake', '0.1']"),
            ),
        ),
        (
            json!({"floating_ip_pool": missing}),
            ("NOT_FOUND", format!("Floating IP pool {missing} not found")),
        ),
        (
            json!({"security_groups": [sg.name, "no-such-group"]}),
            ("NOT_FOUND", "Security group 'no-such-group' not found".to_string()),
        ),
        (
            json!({"availability_zone": "no-such-zone"}),
            (
                "NOT_FOUND",
                "Nova availability zone 'no-such-zone' not found".to_string(),
            ),
        ),
        (
            json!({"volumes_per_node": 1, "volumes_size": 1, "volume_type": "no-such-type"}),
            ("NOT_FOUND", "Volume type 'no-such-type' not found".to_string()),
        ),
        (
            json!({"volumes_per_node": 1, "volumes_size": 1, "volumes_availability_zone": "no-such-zone"}),
            (
                "NOT_FOUND",
                "Cinder availability zone 'no-such-zone' not found".to_string(),
            ),
        ),
    ] {
        let (st, e) = send(app(), &who, Method::POST, &ngt_path, Some(ngt(extra.clone()))).await;
        assert_eq!(st, StatusCode::BAD_REQUEST, "{extra}: {e}");
        assert_eq!(error(&e), (expected.0.to_string(), expected.1), "{extra}");
    }

    // Shares: Manila (the catalog's `share`) is asked with the caller's token; without a `share` endpoint Sahara's
    // manila client fails with keystoneauth's EndpointNotFound, which its validator answers with a 500.
    let with_share = ngt(json!({"shares": [{"id": missing, "path": "/mnt/share"}]}));
    let (st, e) = send(app(), &who, Method::POST, &ngt_path, Some(with_share.clone())).await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            (
                "INVALID_REFERENCE".to_string(),
                format!("Requested share id {missing} does not exist.")
            )
        ),
        "{e}"
    );
    let without_manila = Caller {
        project: who.project.clone(),
        token: who.token.clone(),
        catalog: sahara_keystone::normalize_catalog(&json!(
            catalog.iter().filter(|s| s["type"] != "share").collect::<Vec<_>>()
        ))
        .to_string(),
    };
    let (st, e) = send(app(), &without_manila, Method::POST, &ngt_path, Some(with_share)).await;
    assert_eq!(
        (st, e["error_message"].as_str()),
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("Error occurred during validation")
        ),
        "{e}"
    );
    let (st, created) = send(
        app(),
        &who,
        Method::POST,
        &ngt_path,
        Some(ngt(
            json!({"image_id": fake_image, "floating_ip_pool": pool, "security_groups": [sg.id],
                        "availability_zone": "nova", "volumes_per_node": 1, "volumes_size": 1,
                        "volume_type": "__DEFAULT__", "volumes_availability_zone": "nova"}),
        )),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{created}");
    let ngt_id = created["node_group_template"]["id"].as_str().unwrap().to_string();

    // A cluster template's network.
    let (_, e) = send(
        app(),
        &who,
        Method::POST,
        "/v2/cluster-templates",
        Some(json!({"name": "ct", "plugin_name": "fake", "plugin_version": "0.1",
                    "neutron_management_network": missing})),
    )
    .await;
    assert_eq!(error(&e), ("NOT_FOUND".into(), format!("Network {missing} not found")));

    // A cluster: its image, network and keypair, then Sahara's quota check against the project's limits.
    let cluster = |name: &str, count: u64| {
        json!({"name": name, "plugin_name": "fake", "plugin_version": "0.1", "default_image_id": fake_image,
               "neutron_management_network": pool,
               "node_groups": [{"name": "w", "node_group_template_id": ngt_id, "count": count}]})
    };
    let mut with_keypair = cluster("c0", 1);
    with_keypair["user_keypair_id"] = json!("no-such-key");
    let (_, e) = send(app(), &who, Method::POST, "/v2/clusters", Some(with_keypair)).await;
    assert_eq!(
        error(&e),
        ("NOT_FOUND".into(), "Requested keypair 'no-such-key' not found".into())
    );
    let (st, e) = send(
        app(),
        &who,
        Method::POST,
        "/v2/clusters",
        Some(cluster("huge", 100_000)),
    )
    .await;
    assert_eq!(
        (st, error(&e).0.as_str()),
        (StatusCode::BAD_REQUEST, "QUOTA_ERROR"),
        "{e}"
    );
    assert!(error(&e).1.starts_with("Quota exceeded for "), "{e}");
    let (_, l) = send(app(), &who, Method::GET, "/v2/clusters?name=huge", None).await;
    assert_eq!(l["clusters"][0]["status"], "Error", "{l}");
    assert!(
        l["clusters"][0]["status_description"]
            .as_str()
            .unwrap()
            .starts_with("Quota exceeded")
    );
    let (st, c) = send(app(), &who, Method::POST, "/v2/clusters", Some(cluster("c1", 1))).await;
    assert_eq!(st, StatusCode::ACCEPTED, "{c}");
    assert_eq!(c["cluster"]["status"], "Validating");

    // The image registry over Glance, on an image demo owns (a public one is Glance's to change, not demo's).
    let glance_url = demo.endpoint(sahara_openstack::Service::Image).unwrap();
    let glance_root = glance_url.strip_suffix("/v2").unwrap_or(&glance_url).to_string();
    let mine: Value = reqwest::Client::new()
        .post(format!("{glance_root}/v2/images"))
        .header("x-auth-token", &who.token)
        .json(&json!({"name": "api-test-image", "disk_format": "qcow2", "container_format": "bare"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own = mine["id"].as_str().expect("an image of demo's").to_string();
    let (st, l) = send(app(), &who, Method::GET, "/v2/images", None).await;
    assert_eq!(st, StatusCode::OK);
    let names: Vec<&str> = l["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"sahara-fake-0.1") && !names.contains(&"api-test-image"),
        "{names:?}"
    );
    let (_, l) = send(app(), &who, Method::GET, "/v2/images?tags=fake&tags=0.1", None).await;
    assert_eq!(l["images"].as_array().unwrap().len(), 1, "{l}");
    let (st, e) = send(app(), &who, Method::GET, &format!("/v2/images/{own}"), None).await;
    assert_eq!(
        (st, error(&e)),
        (
            StatusCode::BAD_REQUEST,
            (
                "IMAGE_NOT_REGISTERED".into(),
                format!("Image {own} is not registered in Sahara")
            )
        )
    );
    let (st, _) = send(app(), &who, Method::GET, &format!("/v2/images/{missing}"), None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, e) = send(app(), &who, Method::POST, &format!("/v2/images/{own}"), Some(json!({}))).await;
    assert_eq!(
        (st, error(&e).0.as_str()),
        (StatusCode::BAD_REQUEST, "VALIDATION_ERROR")
    );
    let (st, i) = send(
        app(),
        &who,
        Method::POST,
        &format!("/v2/images/{own}"),
        Some(json!({"username": "own", "description": "tiny"})),
    )
    .await;
    assert_eq!(st, StatusCode::ACCEPTED, "{i}");
    let i = &i["image"];
    assert_eq!(
        (&i["username"], &i["description"], &i["tags"]),
        (&json!("own"), &json!("tiny"), &json!([]))
    );
    assert_eq!(
        (&i["status"], &i["progress"], &i["minDisk"]),
        (&json!("QUEUED"), &json!(100), &json!(0))
    );
    assert_eq!(
        i["metadata"],
        json!({"_sahara_username": "own", "_sahara_description": "tiny"})
    );
    let (st, t) = send(app(), &who, Method::GET, &format!("/v2/images/{own}/tags"), None).await;
    assert_eq!((st, t), (StatusCode::OK, json!({})));
    let (st, i) = send(
        app(),
        &who,
        Method::PUT,
        &format!("/v2/images/{own}/tags"),
        Some(json!({"tags": ["a", "b"]})),
    )
    .await;
    assert_eq!((st, &i["image"]["tags"]), (StatusCode::OK, &json!(["a", "b"])));
    let (_, i) = send(
        app(),
        &who,
        Method::PUT,
        &format!("/v2/images/{own}/tags"),
        Some(json!({"tags": ["b", "c"]})),
    )
    .await;
    assert_eq!(i["image"]["tags"], json!(["b", "c"]));
    let (_, t) = send(app(), &who, Method::GET, &format!("/v2/images/{own}/tags"), None).await;
    assert_eq!(t, json!(["b", "c"]));
    let v1 = |s: &str| format!("/v1.1/{}/images/{own}{s}", who.project);
    let (st, i) = send(app(), &who, Method::POST, &v1("/tag"), Some(json!({"tags": ["d"]}))).await;
    assert_eq!(
        (st, &i["image"]["tags"]),
        (StatusCode::ACCEPTED, &json!(["b", "c", "d"]))
    );
    let (_, i) = send(
        app(),
        &who,
        Method::POST,
        &v1("/untag"),
        Some(json!({"tags": ["b", "x"]})),
    )
    .await;
    assert_eq!(i["image"]["tags"], json!(["c", "d"]));
    let (st, _) = send(app(), &who, Method::DELETE, &format!("/v2/images/{own}/tags"), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, g) = send(app(), &who, Method::GET, &v1(""), None).await;
    assert_eq!(g["image"]["tags"], json!([]));
    let (st, _) = send(app(), &who, Method::DELETE, &v1(""), None).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, e) = send(app(), &who, Method::GET, &v1(""), None).await;
    assert_eq!(error(&e).0, "IMAGE_NOT_REGISTERED");
    let glance_view = demo.glance().get_image(&own).await.unwrap();
    assert!(!glance_view.is_registered() && glance_view.sahara_tags().is_empty());

    demo.neutron().delete_security_group(&sg.id).await.unwrap();
}
