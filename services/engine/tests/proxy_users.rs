//! Proxy users against a real Keystone (the local test cloud's, with its proxy domain): made as the API makes
//! them for a job execution (a user `job_<id>` in the proxy domain, trusted by the user who ran the job); a job
//! whose status becomes terminal through `_write_job_status` loses its proxy user and trust, and its
//! `proxy_configs`; the periodic zombie sweep deletes the users whose execution is gone or ended and keeps
//! the others.
//!
//! Keystone comes from the virtualenv in `SAHARA_TESTCLOUD_KEYSTONE_VENV` (scripts/test sets it); it and its
//! database are removed when the test ends, also when it fails.

use sahara_engine::periodic::{Periodic, PeriodicSettings, tasks};
use sahara_openstack::keystone::{self, PasswordAuth};
use sahara_openstack::proxy::{self, ProxyOptions};
use sahara_openstack::{Secret, Session};
use sahara_rpc::{RequestContext, Transport, TransportOptions};
use sahara_testcloud::naming::Prefix;
use sahara_testcloud::services::{self, PROXY_DOMAIN, ServicesConfig};
use serde_json::json;
use std::time::{Duration, Instant};

/// How long anything may take here, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

/// Stops the test cloud's services (and removes their database) when dropped.
struct Down(ServicesConfig);

impl Drop for Down {
    fn drop(&mut self) {
        if let Err(e) = services::down(&self.0) {
            eprintln!("services cleanup of {} failed: {e}", self.0.prefix);
        }
    }
}

/// The names of the proxy domain's users, sorted.
async fn proxy_users(admin: &Session, domain_id: &str) -> Vec<String> {
    let mut names: Vec<String> = admin
        .keystone()
        .list_users(domain_id)
        .await
        .expect("the domain's users")
        .into_iter()
        .map(|u| u.name)
        .collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_users_go_with_their_job_or_with_the_zombie_sweep() {
    let dir = tempfile::Builder::new()
        .prefix("stc-proxy-")
        .tempdir()
        .expect("temp dir");
    let config = ServicesConfig::from_env(dir.path(), Prefix::random()).expect("virtualenvs");
    let _down = Down(config.clone());
    let running = services::start(&config).await.expect("services start");
    let sahara = &running.sahara;
    let conf = sahara_config::ConfigOpts::from_ini_str(&format!(
        "[DEFAULT]\nuse_domain_for_proxy_users = true\nproxy_user_domain_name = {PROXY_DOMAIN}\n\
         [database]\nconnection = sqlite://\n\
         [trustee]\nusername = {}\npassword = {}\nproject_name = {}\nauth_url = {}\n",
        sahara.username, sahara.password, sahara.project_name, running.keystone_url
    ))
    .expect("a configuration");
    let conductor = sahara_conductor::local_client_from_conf(&conf)
        .await
        .expect("a conductor");
    let transport = Transport::new(
        &format!("fake://proxy-users-{}/", uuid::Uuid::new_v4().simple()),
        TransportOptions::default(),
    )
    .expect("a transport");
    let engine = sahara_engine::Engine::from_conf(&conf, conductor.clone(), &transport).expect("an engine");

    // Demo runs three jobs on Swift data, as the API records them with their proxy users.
    let demo_auth = PasswordAuth {
        username: running.demo.username.clone(),
        password: Secret::new(running.demo.password.clone()),
        user_domain_name: running.demo.user_domain_name.clone(),
        project_name: Some(running.demo.project_name.clone()),
        project_domain_name: running.demo.project_domain_name.clone(),
        trust_id: None,
    };
    let demo = keystone::authenticate(&engine.cloud, &running.keystone_url, &demo_auth)
        .await
        .expect("demo's token");
    let ctx = RequestContext::for_user(demo.user_id().unwrap(), demo.project_id().unwrap());
    let roles = vec!["member".to_string()];
    let options = ProxyOptions {
        domain_name: Some(PROXY_DOMAIN),
        role_names: &roles,
    };
    let job = conductor
        .job_create(&ctx, json!({"name": "j", "type": "Pig"}).as_object().cloned().unwrap())
        .await
        .expect("a job");
    let mut ids = Vec::new();
    for status in ["RUNNING", "SUCCEEDED", "RUNNING"] {
        let je = conductor
            .job_execution_create(
                &ctx,
                json!({"job_id": job.id, "info": {"status": status}, "job_configs": {"configs": {}}})
                    .as_object()
                    .cloned()
                    .unwrap(),
            )
            .await
            .expect("a job execution");
        let proxy_configs = proxy::create_proxy_user_for_job_execution(&demo, options, &je.id)
            .await
            .expect("a proxy user");
        let configs = json!({"configs": {}, "proxy_configs": proxy_configs});
        conductor
            .job_execution_update(
                &ctx,
                &je.id,
                json!({"job_configs": configs}).as_object().cloned().unwrap(),
            )
            .await
            .expect("proxy configs stored");
        ids.push(je.id);
    }
    let (running_id, ended_id, killed_id) = (ids[0].clone(), ids[1].clone(), ids[2].clone());
    let admin = keystone::admin_session(&engine.cloud).await.expect("sahara's token");
    let domain = proxy::domain_for_proxy(&admin, Some(PROXY_DOMAIN))
        .await
        .expect("the proxy domain");
    // A user of the domain that no execution owns any more, and one that is not a job's at all.
    for name in ["job_gone", "not-a-job-user"] {
        admin
            .keystone()
            .create_user(name, &Secret::new("pw"), &domain.id)
            .await
            .expect("a user");
    }
    let mut all: Vec<String> = ids.iter().map(|i| format!("job_{i}")).collect();
    all.extend(["job_gone".to_string(), "not-a-job-user".to_string()]);
    all.sort();
    assert_eq!(proxy_users(&admin, &domain.id).await, all);

    // A job whose status turns terminal: its proxy user and trust go, and its proxy configs.
    let je = conductor
        .job_execution_get(&ctx, &killed_id)
        .await
        .unwrap()
        .expect("the execution");
    let trust_id = je.job_configs.as_ref().unwrap()["proxy_configs"]["proxy_trust_id"]
        .as_str()
        .unwrap()
        .to_string();
    let info = json!({"status": "KILLED"}).as_object().cloned().unwrap();
    let written = sahara_engine::edp::write_job_status(&engine, &ctx, &je, info)
        .await
        .expect("status written");
    assert_eq!(
        written.job_configs,
        Some(json!({"configs": {}}).as_object().cloned().unwrap())
    );
    assert!(written.end_time.is_some());
    assert!(demo.keystone().get_trust(&trust_id).await.unwrap_err().is_not_found());
    assert!(
        !proxy_users(&admin, &domain.id)
            .await
            .contains(&format!("job_{killed_id}"))
    );

    // The sweep: the user of an ended execution and the one of a gone execution go; a running one stays.
    let periodic = Periodic::new(
        "sweeper",
        PeriodicSettings {
            fuzzy_delay: Duration::ZERO,
            interval_max: Duration::from_secs(1),
            heartbeat_interval: Duration::from_millis(200),
            replicas: 40,
        },
    )
    .with_task(
        tasks::zombie_proxy_users_task(engine.clone())
            .with_spacing(Duration::from_millis(500))
            .run_immediately(),
    )
    .start(&transport)
    .await
    .expect("the periodic tasks");
    let expected = vec![format!("job_{running_id}"), "not-a-job-user".to_string()];
    let deadline = Instant::now() + LIMIT;
    loop {
        let left = proxy_users(&admin, &domain.id).await;
        if left == expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "zombies left: {left:?} (ended: job_{ended_id})"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    periodic.stop().await;
    transport.shutdown().await;
}
