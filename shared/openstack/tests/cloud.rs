//! The clients against the project's local test cloud: the real Keystone (password and
//! trust authentication, trusts) and Swift, and the simulator's Nova, Neutron, Glance, Cinder
//! and Heat, with demo's real tokens and catalogs. Sahara's retries are shown with a layer in
//! front of the simulator that answers 503 a set number of times (the simulator's own
//! `/testcloud/v1/faults` injects server and stack faults, not HTTP statuses).
//!
//! Each test has its own prefix, state directory, Keystone database and namespaces, and
//! removes them (fabric cleanup by prefix, services down) even when it fails.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::IntoResponse;
use sahara_openstack::heat::StackRequest;
use sahara_openstack::keystone::{self, PasswordAuth, TrustRequest};
use sahara_openstack::neutron::NewRule;
use sahara_openstack::{ClientConfig, OpenStackError, RetryPolicy, Secret, Service, Session, Transport, TrusteeConfig};
use sahara_testcloud::fabric::{Fabric, LinuxFabric};
use sahara_testcloud::heat::{Heat, HeatConfig, backend_sim};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::{self, Credentials, RunningServices, ServicesConfig};
use sahara_testcloud::sim::{self, ApiState, Cloud, CloudConfig, KeystoneValidator, ServiceAccount, TokenValidator};
use serde_json::json;

/// Removes what a test made (fabric objects by prefix, the services' processes, database and
/// files), also when the test fails half-way through its set-up.
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

/// Answers `status` to requests whose path contains `fragment`, `remaining` times; counts
/// every matching request. Its answers carry `Retry-After: 1` for 413, `0` otherwise.
#[derive(Default)]
struct Injected {
    rule: Mutex<Option<(String, u16, u32)>>,
    seen: AtomicU32,
}

impl Injected {
    fn set(&self, fragment: &str, status: u16, times: u32) {
        *self.rule.lock().unwrap() = Some((fragment.to_string(), status, times));
        self.seen.store(0, Ordering::SeqCst);
    }

    fn seen(&self) -> u32 {
        self.seen.load(Ordering::SeqCst)
    }

    /// The status to answer instead of the simulator, if the rule fires.
    fn fire(&self, path: &str) -> Option<u16> {
        let mut rule = self.rule.lock().unwrap();
        let (fragment, status, left) = rule.as_mut()?;
        if !path.contains(fragment.as_str()) {
            return None;
        }
        self.seen.fetch_add(1, Ordering::SeqCst);
        if *left == 0 {
            return None;
        }
        *left -= 1;
        Some(*status)
    }
}

/// One test's cloud: services, fabric, simulator with Heat; everything removed when dropped.
struct Env {
    running: RunningServices,
    injected: Arc<Injected>,
    transport: Transport,
    server: tokio::task::JoinHandle<()>,
    _guard: Guard,
    _dir: tempfile::TempDir,
}

impl Drop for Env {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_test_writer()
        .with_ansi(false)
        .try_init();
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
        init_tracing();
        let began = Instant::now();
        let dir = tempfile::Builder::new().prefix("stc-os-").tempdir().expect("temp dir");
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
        let injected = Arc::new(Injected::default());
        let inj = injected.clone();
        let app = sim::app(
            ApiState::new(cloud.clone(), validator.clone()),
            backend_sim::routes(heat, validator),
        )
        .layer(axum::middleware::from_fn(move |req: Request, next: Next| {
            let inj = inj.clone();
            async move {
                match inj.fire(req.uri().path()) {
                    Some(status) => {
                        let code = axum::http::StatusCode::from_u16(status).unwrap();
                        let body = json!({"error": {"code": status, "message": "injected"}});
                        let after = if status == 413 { "1" } else { "0" };
                        (code, [("retry-after", after)], axum::Json(body)).into_response()
                    }
                    None => next.run(req).await,
                }
            }
        }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind simulator");
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut config = ClientConfig::default();
        config.region = Some(running.region.clone());
        config.retries = RetryPolicy {
            retries_number: 3,
            retry_after: Duration::from_millis(300),
        };
        config.trustee = Some(TrusteeConfig {
            username: running.sahara.username.clone(),
            password: Secret::new(running.sahara.password.clone()),
            project_name: Some(running.sahara.project_name.clone()),
            user_domain_name: running.sahara.user_domain_name.clone(),
            project_domain_name: running.sahara.project_domain_name.clone(),
            auth_url: running.keystone_url.clone(),
        });
        config.timeout = Duration::from_secs(60);
        let transport = Transport::new(config).expect("transport");
        eprintln!("cloud {prefix} up in {:.1} s", began.elapsed().as_secs_f64());
        Env {
            running,
            injected,
            transport,
            server,
            _guard: guard,
            _dir: dir,
        }
    }

    /// demo's session from a password authentication (its token body's v3 catalog).
    async fn demo(&self) -> Session {
        keystone::authenticate(
            &self.transport,
            &self.running.keystone_url,
            &password(&self.running.demo),
        )
        .await
        .expect("demo authenticates")
    }
}

#[tokio::test]
async fn nova_neutron_glance_cinder_with_a_users_token_and_sahara_retries() {
    let env = Env::start().await;
    let demo = env.demo().await;
    assert_eq!(demo.project_id(), Some(env.running.demo.project_id.as_str()));
    assert!(
        !format!("{demo:?}").contains(demo.token().expose()),
        "the token is hidden"
    );

    // The API's context carries the catalog in keystonemiddleware's v2 shape: same endpoints.
    let mut catalog = Vec::new();
    for s in &demo.catalog().services {
        let eps: Vec<_> = s
            .endpoints
            .iter()
            .map(|e| json!({"interface": e.interface, "region": e.region, "url": e.url}))
            .collect();
        catalog.push(json!({"type": s.service_type, "name": s.name, "endpoints": eps}));
    }
    let header = sahara_keystone::normalize_catalog(&json!(catalog)).to_string();
    let ctx = Session::from_context(
        env.transport.clone(),
        demo.token().expose(),
        demo.project_id().map(str::to_string),
        &header,
    )
    .unwrap();
    for s in Service::ALL {
        assert_eq!(ctx.endpoint(s).ok(), demo.endpoint(s).ok(), "{s:?}");
    }
    assert!(
        ctx.endpoint(Service::Volume)
            .unwrap()
            .ends_with(&env.running.demo.project_id)
    );

    // Nova.
    let nova = ctx.nova();
    let f = nova.get_flavor("42").await.expect("flavor 42");
    assert_eq!((f.name.as_str(), f.ram, f.disk), ("m1.nano", 128, 1));
    let e = nova.get_flavor("no-such-flavor").await.unwrap_err();
    assert!(matches!(e, OpenStackError::NotFound { service: "nova", .. }), "{e:?}");
    assert!(nova.list_flavors().await.unwrap().iter().any(|f| f.id == "42"));
    let kp = nova.create_keypair("os-test-key", None).await.expect("keypair");
    assert!(kp.private_key.is_some() && kp.public_key.starts_with("ssh-"));
    assert_eq!(
        nova.get_keypair("os-test-key").await.unwrap().fingerprint,
        kp.fingerprint
    );
    nova.delete_keypair("os-test-key").await.unwrap();
    assert!(nova.get_keypair("os-test-key").await.unwrap_err().is_not_found());
    assert!(nova.list_servers(&[("name", "x".into())]).await.unwrap().is_empty());
    assert!(nova.get_server("no-such-server").await.unwrap_err().is_not_found());
    assert!(nova.delete_server("no-such-server").await.unwrap_err().is_not_found());
    let g = nova.create_server_group("os-test-aa", "anti-affinity").await.unwrap();
    assert_eq!(g.policies, vec!["anti-affinity".to_string()]);
    assert!(nova.list_server_groups().await.unwrap().iter().any(|x| x.id == g.id));
    assert_eq!(nova.get_server_group(&g.id).await.unwrap().name, "os-test-aa");
    nova.delete_server_group(&g.id).await.unwrap();
    assert!(
        nova.availability_zones()
            .await
            .unwrap()
            .iter()
            .any(|z| z.name == "nova" && z.available)
    );
    let limits = nova.absolute_limits().await.unwrap();
    assert!(limits.contains_key("maxTotalInstances"), "{limits:?}");

    // Neutron.
    let neutron = ctx.neutron();
    let pools = neutron.floating_ip_pools().await.unwrap();
    let pool = pools.first().expect("an external network");
    assert!(pool.external);
    assert_eq!(
        neutron.find_network(&pool.id).await.unwrap().map(|n| n.id),
        Some(pool.id.clone())
    );
    assert!(neutron.find_network("no-such-network").await.unwrap().is_none());
    assert!(
        neutron
            .list_networks(&[])
            .await
            .unwrap()
            .iter()
            .any(|n| n.id == pool.id)
    );
    let cidrs = neutron.network_cidrs(&pool.id).await.unwrap();
    assert_eq!(cidrs.len(), pool.subnets.len());
    assert!(!cidrs.is_empty());
    neutron.list_ports(&[("network_id", pool.id.clone())]).await.unwrap();
    let fip = neutron.create_floating_ip(&pool.id, None).await.expect("floating IP");
    assert_eq!(fip.floating_network_id, pool.id);
    assert!(
        neutron
            .list_floating_ips(&[])
            .await
            .unwrap()
            .iter()
            .any(|x| x.id == fip.id)
    );
    neutron.delete_floating_ip(&fip.id).await.unwrap();
    let sg = neutron.create_security_group("os-test-sg", "for a test").await.unwrap();
    let rule = neutron
        .create_security_group_rule(
            &sg.id,
            &NewRule {
                direction: "ingress".into(),
                ethertype: "IPv4".into(),
                protocol: Some("tcp".into()),
                port_range_min: Some(22),
                port_range_max: Some(22),
                remote_ip_prefix: Some("0.0.0.0/0".into()),
                remote_group_id: None,
            },
        )
        .await
        .unwrap();
    let got = neutron.get_security_group(&sg.id).await.unwrap();
    assert!(
        got.security_group_rules
            .iter()
            .any(|r| r.id == rule.id && r.port_range_min == Some(22))
    );
    assert!(
        neutron
            .list_security_groups(&[])
            .await
            .unwrap()
            .iter()
            .any(|g| g.name == "os-test-sg")
    );
    neutron.delete_security_group_rule(&rule.id).await.unwrap();
    neutron.delete_security_group(&sg.id).await.unwrap();
    assert!(neutron.get_security_group(&sg.id).await.unwrap_err().is_not_found());
    let q = neutron.quotas(&env.running.demo.project_id).await.unwrap();
    assert!(q.contains_key("floatingip"), "{q:?}");

    // Glance with Sahara's registry.
    let glance = ctx.glance();
    let images = glance.list_images().await.unwrap();
    let fake = images
        .iter()
        .find(|i| i.name.as_deref() == Some("sahara-fake-0.1"))
        .unwrap();
    assert_eq!(fake.sahara_username().as_deref(), Some("ubuntu"));
    assert_eq!(fake.sahara_tags(), vec!["0.1".to_string(), "fake".to_string()]);
    let registered = glance.list_registered(None, &["fake".into()]).await.unwrap();
    assert_eq!(
        registered.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        vec![fake.id.clone()]
    );
    let cirros = images.iter().find(|i| i.name.as_deref() == Some("cirros-0.6")).unwrap();
    assert!(!cirros.is_registered());
    // Registering a public image is the cloud admin's (Glance's modify_image policy).
    let e = glance.set_image_info(&cirros.id, "cirros", None).await.unwrap_err();
    assert_eq!(e.status(), Some(403), "{e:?}");
    let admin = keystone::authenticate(&env.transport, &env.running.keystone_url, &password(&env.running.admin))
        .await
        .unwrap();
    let glance = admin.glance();
    let i = glance.set_image_info(&cirros.id, "cirros", Some("tiny")).await.unwrap();
    assert_eq!(
        (i.sahara_username(), i.sahara_description()),
        (Some("cirros".into()), Some("tiny".into()))
    );
    let i = glance.tag(&cirros.id, &["a".into(), "b".into()]).await.unwrap();
    assert_eq!(i.sahara_tags(), vec!["a".to_string(), "b".to_string()]);
    let i = glance.untag(&cirros.id, &["a".into()]).await.unwrap();
    assert_eq!(i.sahara_tags(), vec!["b".to_string()]);
    assert_eq!(
        glance
            .list_registered(Some("cirros"), &["b".into()])
            .await
            .unwrap()
            .len(),
        1
    );
    let i = glance.unset_image_info(&cirros.id).await.unwrap();
    assert!(!i.is_registered() && i.sahara_tags().is_empty() && i.sahara_description().is_none());
    assert!(glance.get_image("no-such-image").await.unwrap_err().is_not_found());
    assert!(
        !ctx.glance().get_image(&cirros.id).await.unwrap().is_registered(),
        "demo sees the change"
    );

    // Cinder.
    let cinder = ctx.cinder();
    assert!(cinder.exists());
    assert!(
        cinder
            .volume_types()
            .await
            .unwrap()
            .iter()
            .any(|t| t.name == "__DEFAULT__")
    );
    assert!(!cinder.availability_zones().await.unwrap().is_empty());
    assert!(cinder.absolute_limits().await.unwrap().contains_key("maxTotalVolumes"));
    assert!(
        cinder
            .quotas(&env.running.demo.project_id)
            .await
            .unwrap()
            .contains_key("volumes")
    );
    assert!(cinder.get_volume("no-such-volume").await.unwrap_err().is_not_found());

    // Retries: three 503s, then the answer (with retries_number = 3 and 300 ms apart).
    env.injected.set("/flavors/42", 503, 3);
    let began = Instant::now();
    assert_eq!(nova.get_flavor("42").await.expect("succeeds after retries").id, "42");
    assert_eq!(env.injected.seen(), 4, "one attempt and three retries");
    assert!(began.elapsed() >= Duration::from_millis(900), "{:?}", began.elapsed());
    // Four 503s: Sahara's MaxRetriesExceeded, with the status kept.
    env.injected.set("/flavors/42", 503, 4);
    let e = nova.get_flavor("42").await.unwrap_err();
    assert!(
        matches!(
            e,
            OpenStackError::MaxRetriesExceeded {
                attempts: 3,
                last_status: 503,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(
        e.to_string(),
        "Operation nova.get_flavor wasn't executed correctly after 3 attempts"
    );
    assert_eq!(env.injected.seen(), 4);
    // 429 and 504 are retried too; a 404 and a 400 are not.
    env.injected.set("/v2.0/networks", 429, 1);
    neutron.list_networks(&[]).await.unwrap();
    assert_eq!(env.injected.seen(), 2);
    // A service's longer Retry-After wins over retry_after (keystoneauth's `retry_after`).
    env.injected.set("/os-availability-zone", 413, 1);
    let began = Instant::now();
    nova.availability_zones().await.unwrap();
    assert!(began.elapsed() >= Duration::from_secs(1), "{:?}", began.elapsed());
    env.injected.set("/flavors/missing", 0, 0);
    let began = Instant::now();
    assert!(nova.get_flavor("missing").await.unwrap_err().is_not_found());
    assert_eq!(env.injected.seen(), 1, "a 404 is not retried");
    assert!(began.elapsed() < Duration::from_millis(300));
    env.injected.set("/os-keypairs", 400, 5);
    let e = nova.get_keypair("k").await.unwrap_err();
    assert!(
        matches!(e, OpenStackError::Api { status: 400, ref message, .. } if message == "injected"),
        "{e:?}"
    );
    assert_eq!(env.injected.seen(), 1, "a 400 is not retried");
}

#[tokio::test]
async fn a_heat_stack_is_created_followed_by_name_and_deleted() {
    let env = Env::start().await;
    let demo = env.demo().await;
    let heat = demo.heat();
    let template = json!({
        "heat_template_version": "2016-04-08",
        "resources": {
            "sg": {"type": "OS::Neutron::SecurityGroup", "properties": {"name": "os-test-stack-sg",
                "rules": [{"protocol": "tcp", "port_range_min": 22, "port_range_max": 22}]}},
            "group": {"type": "OS::Nova::ServerGroup", "properties": {"name": "os-test-stack-aa",
                "policies": ["anti-affinity"]}}
        },
        "outputs": {"sg-id": {"value": {"get_resource": "sg"}}}
    });
    let req = StackRequest {
        stack_name: "os-test-stack".into(),
        template: template.clone(),
        disable_rollback: true,
        tags: vec!["data-processing-cluster".into()],
        ..Default::default()
    };
    let id = heat.create_stack(&req).await.expect("stack created").id;
    let done = heat
        .wait_stack_completion("os-test-stack", false, None, Duration::from_millis(200))
        .await
        .expect("COMPLETE");
    assert_eq!(
        (done.id.as_str(), done.stack_status.as_str()),
        (id.as_str(), "CREATE_COMPLETE")
    );
    // Hidden by Sahara's tag from a plain list; found with show_hidden.
    assert!(heat.list_stacks(&[]).await.unwrap().iter().all(|s| s.id != id));
    // By name: Heat's 302 is followed; outputs come with the show.
    let stack = heat.get_stack("os-test-stack").await.unwrap();
    assert_eq!(stack.id, id);
    let sg_id = stack.output("sg-id").and_then(|v| v.as_str()).unwrap().to_string();
    assert_eq!(
        demo.neutron().get_security_group(&sg_id).await.unwrap().name,
        "os-test-stack-sg"
    );
    assert_eq!(
        heat.get_output("os-test-stack", &id, "sg-id")
            .await
            .unwrap()
            .output_value,
        json!(sg_id)
    );
    let resources = heat.list_resources("os-test-stack", &id, 1).await.unwrap();
    let names: Vec<&str> = resources.iter().map(|r| r.resource_name.as_str()).collect();
    assert!(names.contains(&"sg") && names.contains(&"group"), "{names:?}");
    assert!(!heat.list_events("os-test-stack", &id).await.unwrap().is_empty());
    // An update (PATCH keeps the rest) moves updated_time, which the update wait watches.
    let before = stack.updated_time.clone();
    heat.update_stack("os-test-stack", &id, &req, true)
        .await
        .expect("update");
    let updated = heat
        .wait_stack_completion("os-test-stack", true, before.as_deref(), Duration::from_millis(200))
        .await
        .expect("update COMPLETE");
    assert_eq!(updated.stack_status, "UPDATE_COMPLETE");
    assert!(heat.get_stack("no-such-stack").await.unwrap_err().is_not_found());
    heat.delete_stack_and_wait("os-test-stack", Duration::from_millis(200))
        .await
        .expect("deleted");
    assert!(heat.find_stack("os-test-stack").await.unwrap().is_none());
    assert!(
        demo.neutron()
            .get_security_group(&sg_id)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn swift_objects_and_a_trust_scoped_session_for_sahara() {
    let env = Env::start().await;
    let demo = env.demo().await;
    let swift = demo.swift();
    swift.put_container("edp").await.unwrap();
    let etag = swift
        .put_object("edp", "jobs/wordcount 1.jar", b"binary".to_vec())
        .await
        .unwrap();
    assert_eq!(etag.len(), 32);
    let o = swift.get_object("edp", "jobs/wordcount 1.jar").await.unwrap();
    assert_eq!(
        (o.data.as_slice(), o.headers["etag"].as_str()),
        (&b"binary"[..], etag.as_str())
    );
    assert_eq!(
        swift.head_object("edp", "jobs/wordcount 1.jar").await.unwrap()["content-length"],
        "6"
    );
    let listed = swift.get_container("edp", Some("jobs/")).await.unwrap();
    assert_eq!(
        listed.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        vec!["jobs/wordcount 1.jar"]
    );
    assert_eq!(
        swift.head_container("edp").await.unwrap()["x-container-object-count"],
        "1"
    );

    // As the API does for a cluster: demo trusts the sahara service user with its roles,
    // impersonating; the engine then works as sahara with a trust-scoped token.
    let trust = demo
        .keystone()
        .create_trust(&TrustRequest {
            trustor_user_id: demo.user_id().unwrap().to_string(),
            trustee_user_id: env.running.sahara.user_id.clone(),
            project_id: env.running.demo.project_id.clone(),
            role_names: demo.roles().to_vec(),
            impersonation: true,
            allow_redelegation: true,
        })
        .await
        .expect("demo creates the trust");
    assert!(trust.impersonation);
    let engine = keystone::trust_session(&env.transport, &trust.id)
        .await
        .expect("trust-scoped token");
    assert_eq!(engine.trust_id(), Some(trust.id.as_str()));
    assert_eq!(engine.user_id(), demo.user_id(), "impersonation: it acts as demo");
    assert_eq!(engine.project_id(), demo.project_id());
    let listed = engine
        .swift()
        .get_container("edp", None)
        .await
        .expect("demo's container");
    assert_eq!(listed.len(), 1);
    assert_eq!(
        engine
            .swift()
            .get_object("edp", "jobs/wordcount 1.jar")
            .await
            .unwrap()
            .data,
        b"binary"
    );
    // The service user alone (its own project) sees its own account, not demo's.
    let admin = keystone::admin_session(&env.transport)
        .await
        .expect("sahara's own token");
    assert_eq!(admin.project_id(), Some(env.running.sahara.project_id.as_str()));
    assert!(
        admin
            .swift()
            .get_container("edp", None)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // A wrong password is Keystone's 401, not retried.
    let mut bad = password(&env.running.demo);
    bad.password = Secret::new("wrong");
    let e = keystone::authenticate(&env.transport, &env.running.keystone_url, &bad)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(401), "{e:?}");

    assert_eq!(demo.keystone().get_trust(&trust.id).await.unwrap().id, trust.id);
    demo.keystone().delete_trust(&trust.id).await.expect("trust deleted");
    assert!(demo.keystone().get_trust(&trust.id).await.unwrap_err().is_not_found());

    swift.delete_object("edp", "jobs/wordcount 1.jar").await.unwrap();
    assert!(
        swift
            .get_object("edp", "jobs/wordcount 1.jar")
            .await
            .unwrap_err()
            .is_not_found()
    );
    swift.delete_container("edp").await.unwrap();
}

/// Keystone's admin API with `admin`'s token: `method` on `path` under `/v3`, answering the body.
async fn keystone_admin(
    env: &Env,
    admin: &Session,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> serde_json::Value {
    let url = format!(
        "{}/v3/{path}",
        env.running.keystone_url.trim_end_matches('/').trim_end_matches("/v3")
    );
    let mut req = reqwest::Client::new()
        .request(method.clone(), &url)
        .header("X-Auth-Token", admin.token().expose());
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    assert!(status.is_success(), "{method} {url}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

#[tokio::test]
async fn a_job_execution_s_proxy_user_and_its_trust_are_made_and_removed() {
    use sahara_openstack::proxy::{self, ProxyOptions};
    let env = Env::start().await;
    let demo = env.demo().await;
    let admin = keystone::admin_session(&env.transport)
        .await
        .expect("sahara's own token");
    let roles = vec!["member".to_string()];

    // Without a domain name, or with one Keystone does not know: Sahara's errors.
    let none = ProxyOptions {
        domain_name: None,
        role_names: &roles,
    };
    let e = proxy::create_proxy_user_for_job_execution(&demo, none, "je-1")
        .await
        .unwrap_err();
    assert!(
        matches!(&e, OpenStackError::Configuration(m) if m == "Proxy domain requested but not specified."),
        "{e:?}"
    );
    let missing = ProxyOptions {
        domain_name: Some("no_such_domain"),
        role_names: &roles,
    };
    let e = proxy::create_proxy_user_for_job_execution(&demo, missing, "je-1")
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Failed to find domain no_such_domain");

    let domain_name = format!("sahara_proxy_{}", env.running.prefix);
    let domain = keystone_admin(
        &env,
        &admin,
        reqwest::Method::POST,
        "domains",
        Some(json!({"domain": {"name": domain_name, "enabled": true}})),
    )
    .await;
    let domain_id = domain["domain"]["id"].as_str().expect("domain id").to_string();
    let options = ProxyOptions {
        domain_name: Some(&domain_name),
        role_names: &roles,
    };

    let configs = proxy::create_proxy_user_for_job_execution(&demo, options, "0123-je")
        .await
        .expect("proxy user");
    assert_eq!(configs["proxy_username"], "job_0123-je");
    let password = configs["proxy_password"].as_str().unwrap().to_string();
    let trust_id = configs["proxy_trust_id"].as_str().unwrap().to_string();
    let users = admin.keystone().list_users(&domain_id).await.unwrap();
    assert_eq!(
        users.iter().map(|u| u.name.as_str()).collect::<Vec<_>>(),
        ["job_0123-je"]
    );
    let trust = demo.keystone().get_trust(&trust_id).await.expect("demo's trust");
    assert_eq!(trust.trustee_user_id, users[0].id);
    assert_eq!(trust.trustor_user_id, demo.user_id().unwrap());
    assert!(trust.impersonation);

    // The proxy user works as demo through the trust (what a job reading Swift does).
    let auth = PasswordAuth {
        username: "job_0123-je".into(),
        password: Secret::new(password),
        user_domain_name: domain_name.clone(),
        project_name: None,
        project_domain_name: domain_name.clone(),
        trust_id: Some(trust_id.clone()),
    };
    let as_demo = keystone::authenticate(&env.transport, &env.running.keystone_url, &auth)
        .await
        .expect("the proxy user's trust-scoped token");
    assert_eq!(as_demo.user_id(), demo.user_id(), "impersonation");
    assert_eq!(as_demo.project_id(), demo.project_id());

    // Removed: the trust (by the proxy user itself), then the user.
    proxy::delete_proxy_user(&env.transport, options, configs.as_object().unwrap())
        .await
        .expect("deleted");
    assert!(demo.keystone().get_trust(&trust_id).await.unwrap_err().is_not_found());
    assert!(admin.keystone().list_users(&domain_id).await.unwrap().is_empty());
    // A user already gone (the zombie sweep was first): Sahara's error.
    let gone = json!({"proxy_username": "job_0123-je"});
    let e = proxy::delete_proxy_user(&env.transport, options, gone.as_object().unwrap())
        .await
        .unwrap_err();
    assert_eq!(e.to_string(), "Failed to find user job_0123-je");

    keystone_admin(
        &env,
        &admin,
        reqwest::Method::PATCH,
        &format!("domains/{domain_id}"),
        Some(json!({"domain": {"enabled": false}})),
    )
    .await;
    keystone_admin(
        &env,
        &admin,
        reqwest::Method::DELETE,
        &format!("domains/{domain_id}"),
        None,
    )
    .await;
}

/// A share of `session`'s project made in the simulator's Manila (`POST <share endpoint>/shares`); answers
/// its id.
async fn make_share(session: &Session, proto: &str) -> String {
    let url = format!("{}/shares", session.endpoint(Service::Share).expect("share endpoint"));
    let resp = reqwest::Client::new()
        .post(&url)
        .header("X-Auth-Token", session.token().expose())
        .json(&json!({"share": {"share_proto": proto, "size": 1}}))
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    assert_eq!(resp.status().as_u16(), 200, "POST {url}");
    let v: serde_json::Value = resp.json().await.expect("share body");
    v["share"]["id"].as_str().expect("share id").to_string()
}

#[tokio::test]
async fn manila_shares_are_read_once_with_the_users_token() {
    let env = Env::start().await;
    let demo = env.demo().await;
    let admin = keystone::authenticate(&env.transport, &env.running.keystone_url, &password(&env.running.admin))
        .await
        .expect("admin authenticates");
    let endpoint = demo.endpoint(Service::Share).expect("share endpoint");
    assert!(
        endpoint.ends_with(&format!("/share/v1/{}", env.running.demo.project_id)),
        "{endpoint}"
    );
    let nfs = make_share(&demo, "nfs").await;
    let manila = demo.manila();
    let share = manila.get_share(&nfs).await.expect("demo's share");
    assert_eq!(
        (share.id.as_str(), share.share_proto.as_deref(), share.status.as_deref()),
        (nfs.as_str(), Some("NFS"), Some("available"))
    );
    assert_eq!(share.project_id.as_deref(), Some(env.running.demo.project_id.as_str()));
    assert!(share.is_supported() && share.export_location.is_some());
    assert!(!make_share(&demo, "CIFS").await.is_empty());

    // Unknown, and another project's: Manila's 404, `None` for Sahara's `get_share`.
    let missing = "00000000-1111-2222-3333-444444444444";
    let e = manila.get_share(missing).await.unwrap_err();
    assert!(
        matches!(&e, OpenStackError::NotFound { service: "manila", message }
            if message == &format!("Share {missing} could not be found.")),
        "{e:?}"
    );
    assert_eq!(manila.find_share(missing).await.unwrap(), None);
    let theirs = make_share(&admin, "NFS").await;
    assert_eq!(manila.find_share(&theirs).await.unwrap(), None);
    assert_eq!(
        admin.manila().get_share(&nfs).await.unwrap().id,
        nfs,
        "an admin sees every share"
    );

    // `[manila] api_version = 2`: manilaclient's 2.0 on the same endpoint; an unusable version fails before any call.
    let with_version = |v: &str| {
        let mut config = env.transport.config().clone();
        config.manila_api_version = v.to_string();
        Session::from_token(
            Transport::new(config).unwrap(),
            demo.token().clone(),
            demo.project_id().map(str::to_string),
            demo.catalog().clone(),
        )
    };
    assert_eq!(with_version("2").manila().get_share(&nfs).await.unwrap().id, nfs);
    let e = with_version("3.0").manila().get_share(&nfs).await.unwrap_err();
    assert_eq!(e.to_string(), "Invalid client version '3'. must be one of: 1, 2");

    // The simulator's v2 URLs: microversions in `X-OpenStack-Manila-API-Version`.
    let v2 = format!("{}/shares/{nfs}", endpoint.replace("/share/v1/", "/share/v2/"));
    let get_v2 = |version: &'static str| {
        reqwest::Client::new()
            .get(&v2)
            .header("X-Auth-Token", demo.token().expose())
            .header("X-OpenStack-Manila-API-Version", version)
            .send()
    };
    let resp = get_v2("2.16").await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(
        resp.headers()
            .get("x-openstack-manila-api-version")
            .and_then(|v| v.to_str().ok()),
        Some("2.16")
    );
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["share"]["user_id"], env.running.demo.user_id.as_str(), "{body}");
    assert!(body["share"].get("export_location").is_none(), "{body}");
    assert_eq!(get_v2("1.0").await.unwrap().status().as_u16(), 406);

    // Sahara calls Manila outside its retries: a 503 is an error at once.
    env.injected.set("/shares/", 503, 1);
    let e = manila.get_share(&nfs).await.unwrap_err();
    assert!(
        matches!(
            e,
            OpenStackError::Api {
                service: "manila",
                status: 503,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(env.injected.seen(), 1, "asked once");
    assert_eq!(manila.get_share(&nfs).await.unwrap().id, nfs);

    // No `share` in the catalog: keystoneauth's EndpointNotFound, before any call.
    let mut catalog = demo.catalog().clone();
    catalog.services.retain(|s| s.service_type != "share");
    let bare = Session::from_token(
        env.transport.clone(),
        demo.token().clone(),
        demo.project_id().map(str::to_string),
        catalog,
    );
    let e = bare.manila().get_share(&nfs).await.unwrap_err();
    assert!(
        matches!(&e, OpenStackError::EndpointNotFound { service_type, .. } if service_type == "share"),
        "{e:?}"
    );
}
