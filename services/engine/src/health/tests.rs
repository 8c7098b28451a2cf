//! Verifications against a conductor on SQLite in memory, their notifications over the in-process
//! transport: rows and statuses as Sahara records them, the previous verification deleted, an
//! unreachable instance making the cluster RED, checks out of time YELLOW, the refresh after a
//! provision and the periodic task starting only the verifications that may start.

use super::checks::{self, CheckFuture, HealthCheck};
use super::*;
use crate::periodic::{Periodic, PeriodicSettings, tasks};
use sahara_model::conductor::ConductorClient;
use sahara_rpc::{
    Notification, NotificationListener, NotificationResult, Priority, Target, Transport, TransportOptions,
};
use std::time::Duration;
use tokio::sync::mpsc;

/// How long anything may take here, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

/// An engine over a conductor on SQLite in memory, its notifications (`messagingv2`) on an
/// in-process transport with a listener.
struct Env {
    engine: Engine,
    conductor: ConductorClient,
    transport: Transport,
    listener: NotificationListener,
    notifications: mpsc::UnboundedReceiver<Notification>,
}

impl Env {
    async fn new(extra: &str) -> Env {
        let conf = sahara_config::ConfigOpts::from_ini_str(&format!(
            "[DEFAULT]\nplugins = fake\nssh_timeout_common = 5\n{extra}\n[database]\nconnection = sqlite://\n\
             [oslo_messaging_notifications]\ndriver = messagingv2\n"
        ))
        .expect("a configuration");
        let conductor = sahara_conductor::local_client_from_conf(&conf)
            .await
            .expect("a conductor");
        let transport = Transport::new(
            &format!("fake://health-{}/", uuid::Uuid::new_v4().simple()),
            TransportOptions::default(),
        )
        .expect("a transport");
        let (tx, notifications) = mpsc::unbounded_channel();
        let listener = NotificationListener::start(
            &transport,
            &[Target::topic("notifications")],
            &[Priority::Info],
            None,
            move |n| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(n);
                    NotificationResult::Handled
                }
            },
        )
        .await
        .expect("a listener");
        let engine = Engine::from_conf(&conf, conductor.clone(), &transport).expect("an engine");
        Env {
            engine,
            conductor,
            transport,
            listener,
            notifications,
        }
    }

    fn ctx() -> RequestContext {
        RequestContext::for_user("u1", "p1")
    }

    /// A fake-plugin cluster of p1 with `values` added.
    async fn cluster(&self, name: &str, values: Value) -> String {
        let mut v = json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1",
                           "management_private_key": "not a key", "management_public_key": "ssh-rsa AAAA"});
        if let (Some(v), Some(extra)) = (v.as_object_mut(), values.as_object()) {
            v.extend(extra.clone());
        }
        let Value::Object(v) = v else { unreachable!() };
        self.conductor
            .cluster_create(&Self::ctx(), v)
            .await
            .expect("a cluster")
            .id
    }

    async fn get(&self, id: &str) -> Cluster {
        self.conductor
            .cluster_get(&Self::ctx(), id, false)
            .await
            .expect("a read")
            .expect("the cluster")
    }

    /// The payloads of the next `n` `sahara.cluster.health` notifications (other events skipped).
    async fn health_notifications(&mut self, n: usize) -> Vec<Value> {
        let mut got = Vec::new();
        while got.len() < n {
            let next = tokio::time::timeout(LIMIT, self.notifications.recv()).await;
            let Ok(Some(note)) = next else {
                panic!("{} of {n} health notifications: {got:?}", got.len())
            };
            if note.event_type == sahara_model::notification::HEALTH_EVENT_TYPE {
                assert_eq!(note.publisher_id, "sahara");
                got.push(note.payload);
            }
        }
        got
    }

    async fn close(self) {
        self.listener.stop().await;
        self.transport.shutdown().await;
    }
}

fn op(env: &Env, id: &str) -> ClusterOp {
    ClusterOp::new(env.engine.clone(), Env::ctx(), id)
}

fn names_and_statuses(v: &ClusterVerification) -> Vec<(String, String, String)> {
    v.checks
        .iter()
        .map(|c| {
            (
                c.name.clone().unwrap_or_default(),
                c.status.as_ref().map(ToString::to_string).unwrap_or_default(),
                c.description.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verifications_are_recorded_notified_and_replaced() {
    let mut env = Env::new("").await;
    let id = env.cluster("healthy", json!({"status": "Active"})).await;

    // No instance: every instance is available; GREEN.
    handle_verification(env.engine.clone(), Env::ctx(), id.clone(), start_values()).await;
    let first = env.get(&id).await.verification.expect("a verification");
    assert_eq!(first.status, Some(HealthStatus::Green));
    assert_eq!(
        names_and_statuses(&first),
        [(
            "Check of instances accessibility".to_string(),
            "GREEN".to_string(),
            "All instances are available".to_string()
        )]
    );
    let notes = env.health_notifications(2).await;
    let keys: std::collections::BTreeSet<&str> = notes[0].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "cluster_id",
            "cluster_name",
            "verification_id",
            "health_check_status",
            "health_check_name",
            "health_check_description",
            "created_at",
            "updated_at",
            "project_id",
            "user_id"
        ]
        .into()
    );
    for n in &notes {
        assert_eq!(n["cluster_id"], id.as_str());
        assert_eq!(n["cluster_name"], "healthy");
        assert_eq!(n["verification_id"], first.id.as_str());
        assert_eq!(n["health_check_name"], "Check of instances accessibility");
        assert_eq!((&n["project_id"], &n["user_id"]), (&json!("p1"), &json!("u1")));
        assert!(n["created_at"].is_string(), "{n}");
    }
    assert_eq!(
        (&notes[0]["health_check_status"], &notes[0]["health_check_description"]),
        (&json!("CHECKING"), &Value::Null)
    );
    assert_eq!(
        (&notes[1]["health_check_status"], &notes[1]["health_check_description"]),
        (&json!("GREEN"), &json!("All instances are available"))
    );

    // A second verification replaces the first, whose checks go with it.
    handle_verification(env.engine.clone(), Env::ctx(), id.clone(), start_values()).await;
    let second = env.get(&id).await.verification.expect("a verification");
    assert_ne!(second.id, first.id);
    assert_eq!(second.status, Some(HealthStatus::Green));
    let ctx = Env::ctx();
    assert!(
        env.conductor
            .cluster_verification_get(&ctx, &first.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        env.conductor
            .cluster_health_check_get(&ctx, &first.checks[0].id)
            .await
            .unwrap()
            .is_none()
    );
    env.health_notifications(2).await;

    // An instance nobody answers for: RED, with Sahara's description.
    let ng = env
        .conductor
        .node_group_add(
            &ctx,
            &id,
            json!({"name": "worker", "flavor_id": "42", "node_processes": ["datanode"], "count": 1,
                   "image_username": "ubuntu"})
            .as_object()
            .cloned()
            .unwrap(),
        )
        .await
        .expect("a node group");
    env.conductor
        .instance_add(
            &ctx,
            &ng,
            json!({"instance_name": "healthy-worker-0", "instance_id": "srv-1",
                   "internal_ip": "127.0.0.1", "management_ip": "127.0.0.1"})
            .as_object()
            .cloned()
            .unwrap(),
        )
        .await
        .expect("an instance");
    handle_verification(env.engine.clone(), Env::ctx(), id.clone(), start_values()).await;
    let red = env.get(&id).await.verification.expect("a verification");
    assert_eq!(red.status, Some(HealthStatus::Red));
    assert_eq!(
        names_and_statuses(&red),
        [(
            "Check of instances accessibility".to_string(),
            "RED".to_string(),
            "Cluster health is RED. Reason: Instances (127.0.0.1) are not available in the cluster.".to_string()
        )]
    );
    let notes = env.health_notifications(2).await;
    assert_eq!(notes[1]["health_check_status"], "RED");

    // Anything but START leaves the verification alone.
    handle_verification(env.engine.clone(), Env::ctx(), id.clone(), json!({"verification": {}})).await;
    handle_verification(env.engine.clone(), Env::ctx(), id.clone(), json!({})).await;
    assert_eq!(env.get(&id).await.verification.map(|v| v.id), Some(red.id));
    env.close().await;
}

/// A check of these tests: waits `delay`, then answers `verdict`.
#[derive(Debug)]
struct Scripted {
    name: &'static str,
    available: bool,
    delay: Duration,
    verdict: fn() -> Result<String, HealthError>,
}

impl HealthCheck for Scripted {
    fn name(&self) -> String {
        self.name.into()
    }

    fn is_available(&self, _cluster: &Cluster) -> bool {
        self.available
    }

    fn check_health<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> CheckFuture<'a> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            (self.verdict)()
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_end_green_yellow_red_or_out_of_time() {
    let env = Env::new("").await;
    let id = env.cluster("checked", json!({"status": "Active"})).await;
    let op = op(&env, &id);
    let cluster = env.get(&id).await;
    let verification = env
        .conductor
        .cluster_verification_add(
            &Env::ctx(),
            &id,
            json!({"status": "CHECKING"}).as_object().cloned().unwrap(),
        )
        .await
        .expect("a verification");
    let rec = Recorder {
        op: &op,
        cluster: &cluster,
        verification_id: &verification.id,
    };
    let limit = Duration::from_millis(300);
    let quick = Duration::ZERO;
    let scripted = [
        Scripted {
            name: "fine",
            available: true,
            delay: quick,
            verdict: || Ok("fine indeed".into()),
        },
        Scripted {
            name: "degraded",
            available: true,
            delay: quick,
            verdict: || Err(HealthError::yellow("half the datanodes")),
        },
        Scripted {
            name: "failing",
            available: true,
            delay: quick,
            verdict: || Err(HealthError::Engine(EngineError::Remote("no route".into()))),
        },
        Scripted {
            name: "slow",
            available: true,
            delay: Duration::from_secs(30),
            verdict: || Ok("never".into()),
        },
        Scripted {
            name: "not here",
            available: false,
            delay: quick,
            verdict: || Ok("never".into()),
        },
    ];
    let runs = scripted.iter().map(|c| checks::execute(&rec, c, limit));
    for r in futures_util::future::join_all(runs).await {
        r.expect("recorded");
    }
    let decided = decide_status_for_verification(&op, &verification.id)
        .await
        .expect("decided");
    let mut got = names_and_statuses(&decided);
    got.sort();
    let expected = [
        (
            "degraded",
            "YELLOW",
            "Cluster health is YELLOW. Reason: half the datanodes",
        ),
        ("failing", "RED", "no route"),
        ("fine", "GREEN", "fine indeed"),
        ("slow", "YELLOW", checks::TIMED_OUT),
    ];
    assert_eq!(
        got,
        expected.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
    assert_eq!(decided.status, Some(HealthStatus::Red));
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_is_refreshed_only_when_a_verification_may_start() {
    let env = Env::new("").await;
    // Not Active: nothing.
    let spawning = env.cluster("spawning", json!({"status": "Spawning"})).await;
    refresh_health_for_cluster(&op(&env, &spawning)).await;
    assert!(env.get(&spawning).await.verification.is_none());
    // A verification still running: left alone.
    let busy = env.cluster("busy", json!({"status": "Active"})).await;
    let running = env
        .conductor
        .cluster_verification_add(
            &Env::ctx(),
            &busy,
            json!({"status": "CHECKING"}).as_object().cloned().unwrap(),
        )
        .await
        .expect("a verification");
    refresh_health_for_cluster(&op(&env, &busy)).await;
    let v = env.get(&busy).await.verification.expect("the verification");
    assert_eq!((v.id, v.status), (running.id, Some(HealthStatus::Checking)));
    // Active: verified.
    let active = env.cluster("active", json!({"status": "Active"})).await;
    refresh_health_for_cluster(&op(&env, &active)).await;
    assert_eq!(
        env.get(&active).await.verification.and_then(|v| v.status),
        Some(HealthStatus::Green)
    );
    env.close().await;

    // Verifications off: nothing, even on an Active cluster.
    let off = Env::new("[cluster_verifications]\nverification_enable = false\n").await;
    let active = off.cluster("active", json!({"status": "Active"})).await;
    refresh_health_for_cluster(&op(&off, &active)).await;
    assert!(off.get(&active).await.verification.is_none());
    assert!(
        tasks::engine_tasks(&off.engine)
            .iter()
            .all(|t| t.name() != "run_verifications")
    );
    off.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_task_verifies_the_active_clusters_not_being_verified() {
    let env = Env::new("").await;
    let task = tasks::engine_tasks(&env.engine)
        .into_iter()
        .find(|t| t.name() == "run_verifications")
        .expect("run_verifications is enabled by default");
    assert_eq!(task.spacing(), Duration::from_secs(600));
    let active = env.cluster("active", json!({"status": "Active"})).await;
    let other = {
        // Another project's cluster: the task's admin context sees it too.
        let mut v = json!({"name": "other", "plugin_name": "fake", "hadoop_version": "0.1", "status": "Active",
                           "management_private_key": "k", "management_public_key": "p"});
        let Value::Object(v) = v.take() else { unreachable!() };
        env.conductor
            .cluster_create(&RequestContext::for_user("u2", "p2"), v)
            .await
            .expect("a cluster")
            .id
    };
    let spawning = env.cluster("spawning", json!({"status": "Spawning"})).await;
    let busy = env.cluster("busy", json!({"status": "Active"})).await;
    let running = env
        .conductor
        .cluster_verification_add(
            &Env::ctx(),
            &busy,
            json!({"status": "CHECKING"}).as_object().cloned().unwrap(),
        )
        .await
        .expect("a verification");

    let settings = PeriodicSettings {
        fuzzy_delay: Duration::ZERO,
        interval_max: Duration::from_secs(60),
        heartbeat_interval: Duration::from_millis(100),
        replicas: 40,
    };
    let handle = Periodic::new(uuid::Uuid::new_v4().to_string(), settings)
        .with_task(task.with_spacing(Duration::from_secs(1)).run_immediately())
        .start(&env.transport)
        .await
        .expect("started");
    let admin = RequestContext::admin();
    let status_of = async |id: &str| {
        env.conductor
            .cluster_get(&admin, id, false)
            .await
            .expect("a read")
            .expect("the cluster")
            .verification
            .and_then(|v| v.status)
    };
    let deadline = tokio::time::Instant::now() + LIMIT;
    while status_of(&active).await != Some(HealthStatus::Green) || status_of(&other).await != Some(HealthStatus::Green)
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no verification by the periodic task"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.stop().await;
    assert!(status_of(&spawning).await.is_none());
    let v = env.get(&busy).await.verification.expect("the verification");
    assert_eq!((v.id, v.status), (running.id, Some(HealthStatus::Checking)));
    env.close().await;
}

#[test]
fn overall_status_is_green_only_when_every_check_is() {
    let check = |s: HealthStatus| ClusterHealthCheck {
        id: "x".into(),
        verification_id: None,
        status: Some(s),
        description: None,
        name: None,
        created_at: None,
        updated_at: None,
    };
    use HealthStatus::*;
    assert_eq!(decide_status(&[]), Green);
    assert_eq!(decide_status(&[check(Green), check(Green)]), Green);
    assert_eq!(decide_status(&[check(Green), check(Yellow)]), Yellow);
    assert_eq!(decide_status(&[check(Yellow), check(Red), check(Green)]), Red);
    assert_eq!(decide_status(&[check(Green), check(Checking)]), Yellow);
}

#[test]
fn verifications_start_only_on_active_clusters_not_being_verified() {
    let cluster = |status: &str, verification: Option<&str>| -> Cluster {
        let mut v = json!({"id": "c1", "name": "c1", "plugin_name": "fake", "hadoop_version": "0.1",
                           "management_private_key": "", "management_public_key": "", "status": status});
        if let Some(s) = verification {
            v["verification"] = json!({"id": "v1", "status": s, "checks": []});
        }
        serde_json::from_value(v).expect("a cluster")
    };
    assert_eq!(start_refusal(true, Some(&cluster("Active", None))), None);
    assert_eq!(start_refusal(true, Some(&cluster("Active", Some("RED")))), None);
    assert_eq!(
        start_refusal(true, Some(&cluster("Active", Some("CHECKING")))).as_deref(),
        Some("Cluster verification in state CHECKING")
    );
    assert_eq!(
        start_refusal(true, Some(&cluster("Scaling", None))).as_deref(),
        Some("Cluster is not active or doesn't exists")
    );
    assert_eq!(
        start_refusal(true, None).as_deref(),
        Some("Cluster is not active or doesn't exists")
    );
    assert_eq!(
        start_refusal(false, Some(&cluster("Active", None))).as_deref(),
        Some("All verifications are disabled")
    );
    assert_eq!(
        HealthError::CannotVerify("All verifications are disabled".into()).to_string(),
        "Cannot verify cluster. Reason: All verifications are disabled"
    );
}

#[test]
fn only_start_asks_for_a_verification() {
    assert_eq!(requested_op(&start_values()), Some(VerificationOp::Start));
    assert_eq!(
        requested_op(&json!({"verification": {"status": "STOP"}})),
        Some(VerificationOp::parse("STOP"))
    );
    assert_eq!(requested_op(&json!({"verification": {}})), None);
    assert_eq!(requested_op(&json!({"name": "x"})), None);
}
