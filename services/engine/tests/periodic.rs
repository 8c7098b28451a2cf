//! The periodic tasks across engines, through the same broker interfaces the engines use:
//! members hear each other's heartbeats (over RabbitMQ, on a virtual host of the test's own,
//! and over the in-process `fake://` transport) and drop a member that stopped; schedulers
//! split a fixed set of objects so that each is handled by exactly one member per round, a
//! member joining late runs nothing before it knows the others, and when a member stops the
//! others take over its share. Against a conductor, the transient cluster task marks idle
//! transient clusters without a trust `AwaitingTermination`.

use sahara_engine::periodic::members::Membership;
use sahara_engine::periodic::{Periodic, PeriodicHandle, PeriodicSettings, Task};
use sahara_model::conductor::ConductorClient;
use sahara_rpc::{RequestContext, Transport, TransportOptions};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// The heartbeat interval of these tests (a member is dead after three).
const BEAT: Duration = Duration::from_millis(300);
/// How long anything may take to converge, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

/// A RabbitMQ virtual host of the test's own: the heartbeat topic is a fixed name, so a vhost
/// keeps each test's members apart from every other engine on the broker. Deleted when dropped.
struct Vhost(String);

impl Vhost {
    fn new(prefix: &str) -> Vhost {
        let name = format!("test_{prefix}_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let ok = |args: &[&str]| {
            let out = std::process::Command::new("rabbitmqctl")
                .args(args)
                .output()
                .expect("rabbitmqctl runs (the tests need the local RabbitMQ)");
            assert!(
                out.status.success(),
                "rabbitmqctl {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        // The guard exists before the permissions are set, so a failure there still deletes it.
        ok(&["add_vhost", &name]);
        let vhost = Vhost(name);
        ok(&["set_permissions", "-p", &vhost.0, "guest", ".*", ".*", ".*"]);
        vhost
    }

    fn url(&self) -> String {
        let base = std::env::var("SAHARA_TEST_TRANSPORT_URL")
            .unwrap_or_else(|_| "rabbit://guest:guest@127.0.0.1:5672/".into());
        format!("{}/{}", base.trim_end_matches('/'), self.0)
    }
}

impl Drop for Vhost {
    fn drop(&mut self) {
        let _ = std::process::Command::new("rabbitmqctl")
            .args(["delete_vhost", &self.0])
            .output();
    }
}

/// `n` transports (one per member, as separate engines have) on `url`.
fn transports(url: &str, n: usize) -> Vec<Transport> {
    (0..n)
        .map(|_| Transport::new(url, TransportOptions::default()).expect("a transport"))
        .collect()
}

/// Polls `done` until it holds, failing with `what` after [`LIMIT`].
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "not within {LIMIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Three members on `url` see each other; once one leaves, the two others drop it.
async fn members_see_each_other_and_drop_a_stopped_one(url: &str) {
    let ts = transports(url, 3);
    let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let joins = ts
        .iter()
        .zip(&ids)
        .map(|(t, id)| Membership::join(t, sahara_engine::periodic::members::TOPIC, id, BEAT));
    let mut ms: Vec<Membership> = futures_util::future::try_join_all(joins).await.expect("joined");
    let all = sorted(&[&ids[0], &ids[1], &ids[2]]);
    wait_until("every member sees all three", || {
        ms.iter()
            .all(|m| m.members().live() == all && m.members().is_connected())
    })
    .await;
    let gone = ms.pop().expect("a third member");
    gone.leave().await;
    let two = sorted(&[&ids[0], &ids[1]]);
    wait_until("the two members left drop the stopped one", || {
        ms.iter().all(|m| m.members().live() == two)
    })
    .await;
    for m in ms {
        m.leave().await;
    }
    for t in ts {
        t.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_over_rabbitmq() {
    let vhost = Vhost::new("periodic_members");
    members_see_each_other_and_drop_a_stopped_one(&vhost.url()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_over_the_in_process_transport() {
    let url = format!("fake://periodic-{}/", uuid::Uuid::new_v4().simple());
    members_see_each_other_and_drop_a_stopped_one(&url).await;
}

/// One run of the recording task: who ran it, the members it saw, the objects it handled.
#[derive(Debug, Clone)]
struct Run {
    member: String,
    view: Vec<String>,
    ids: BTreeSet<String>,
}

/// The runs of `member`, in order.
fn runs_of(log: &[Run], member: &str) -> Vec<Run> {
    log.iter().filter(|r| r.member == member).cloned().collect()
}

/// Asserts that `runs` handled every object exactly once.
fn assert_partition(runs: &[&Run], objects: &BTreeSet<String>, when: &str) {
    let mut seen = BTreeSet::new();
    for r in runs {
        for id in &r.ids {
            assert!(seen.insert(id.clone()), "{when}: {id} handled twice ({runs:?})");
        }
    }
    assert_eq!(&seen, objects, "{when}: every object handled");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schedulers_split_the_objects_and_take_over_a_stopped_member_s_share() {
    let vhost = Vhost::new("periodic_tasks");
    let ts = transports(&vhost.url(), 3);
    let objects: BTreeSet<String> = (0..60).map(|i| format!("object-{i}")).collect();
    let log: Arc<Mutex<Vec<Run>>> = Arc::default();
    let settings = PeriodicSettings {
        fuzzy_delay: Duration::ZERO,
        interval_max: Duration::from_secs(60),
        heartbeat_interval: BEAT,
        replicas: 40,
    };
    let task = {
        let (log, objects) = (log.clone(), objects.clone());
        Task::new("record_objects", Duration::from_secs(1), move |run| {
            let (log, objects) = (log.clone(), objects.clone());
            async move {
                let ids = run.subset(objects, |o| o.as_str()).into_iter().collect();
                log.lock().unwrap().push(Run {
                    member: run.ring.member_id().to_string(),
                    view: run.ring.members().to_vec(),
                    ids,
                });
                Ok(())
            }
        })
        .run_immediately()
    };
    let ids: Vec<String> = (0..3).map(|_| uuid::Uuid::new_v4().to_string()).collect();
    let start = |i: usize| {
        Periodic::new(ids[i].clone(), settings.clone())
            .with_task(task.clone())
            .start(&ts[i])
    };
    let runs_with = |log: &[Run], m: &str, view: &[String]| -> Vec<Run> {
        log.iter()
            .filter(|r| r.member == m && r.view == view)
            .cloned()
            .collect()
    };

    // Two members: once they see each other, each object is handled by exactly one of them.
    let mut handles: Vec<PeriodicHandle> = futures_util::future::try_join_all([start(0), start(1)])
        .await
        .expect("started");
    let two = sorted(&[&ids[0], &ids[1]]);
    wait_until("both first members run seeing each other", || {
        let log = log.lock().unwrap();
        ids[..2].iter().all(|m| !runs_with(&log, m, &two).is_empty())
    })
    .await;
    {
        let log = log.lock().unwrap().clone();
        let runs: Vec<Run> = ids[..2].iter().map(|m| runs_with(&log, m, &two)[0].clone()).collect();
        assert_partition(&runs.iter().collect::<Vec<_>>(), &objects, "two members");
    }

    // A third member joins: it runs nothing before it knows the two others, and from then on
    // every object is handled by exactly one of the three in each round.
    handles.push(start(2).await.expect("started"));
    let all = sorted(&[&ids[0], &ids[1], &ids[2]]);
    wait_until("two rounds of each member seeing all three", || {
        let log = log.lock().unwrap();
        ids.iter().all(|m| runs_with(&log, m, &all).len() >= 2)
    })
    .await;
    {
        let log = log.lock().unwrap().clone();
        assert_eq!(
            runs_of(&log, &ids[2])[0].view,
            all,
            "the new member's first run already saw every member"
        );
        for k in 0..2 {
            let runs: Vec<Run> = ids.iter().map(|m| runs_with(&log, m, &all)[k].clone()).collect();
            assert_partition(
                &runs.iter().collect::<Vec<_>>(),
                &objects,
                &format!("three members, round {k}"),
            );
            assert!(
                runs.iter().all(|r| !r.ids.is_empty()),
                "each of three members has a share: {runs:?}"
            );
        }
    }

    // The third member stops: the two others see it gone and share its objects between them.
    let stopped = handles.pop().expect("a third handle");
    stopped.stop().await;
    let before = log.lock().unwrap().len();
    let first_run_without = |log: &[Run], m: &str| -> Option<Run> {
        log[before..].iter().find(|r| r.member == m && r.view == two).cloned()
    };
    wait_until("both remaining members run without the stopped one", || {
        let log = log.lock().unwrap();
        ids[..2].iter().all(|m| first_run_without(&log, m).is_some())
    })
    .await;
    {
        let log = log.lock().unwrap().clone();
        assert!(
            log[before..].iter().all(|r| r.member != ids[2]),
            "the stopped member ran no more"
        );
        let runs: Vec<Run> = ids[..2].iter().filter_map(|m| first_run_without(&log, m)).collect();
        assert_partition(&runs.iter().collect::<Vec<_>>(), &objects, "after the stop");
    }
    for h in handles {
        h.stop().await;
    }
    for t in ts {
        t.shutdown().await;
    }
}

/// A conductor on SQLite in memory, in-process.
async fn conductor(conf: &sahara_config::ConfigOpts) -> ConductorClient {
    sahara_conductor::local_client_from_conf(conf)
        .await
        .expect("a conductor")
}

/// Creates a cluster in `project` with `values` added.
async fn cluster(conductor: &ConductorClient, project: &str, name: &str, values: Value) -> String {
    let ctx = RequestContext::for_user("u1", project);
    let mut v = json!({"name": name, "plugin_name": "fake", "hadoop_version": "0.1"});
    v.as_object_mut()
        .unwrap()
        .extend(values.as_object().cloned().unwrap_or_default());
    let Value::Object(v) = v else { unreachable!() };
    conductor.cluster_create(&ctx, v).await.expect("cluster created").id
}

/// `terminate_unneeded_transient_clusters` with no trust: this member's (here: every)
/// `Active` transient cluster of any project, idle long enough and with no running job, is
/// marked `AwaitingTermination`; the others are left alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_transient_clusters_without_a_trust_await_termination() {
    let conf = sahara_config::ConfigOpts::from_ini_str(
        "[DEFAULT]\nmin_transient_cluster_active_time = 0\n[database]\nconnection = sqlite://\n",
    )
    .expect("a configuration");
    let transport = Transport::new(
        &format!("fake://periodic-tasks-{}/", uuid::Uuid::new_v4().simple()),
        TransportOptions::default(),
    )
    .expect("a transport");
    let conductor = conductor(&conf).await;
    let engine = sahara_engine::Engine::from_conf(&conf, conductor.clone(), &transport).expect("an engine");
    let active = json!({"status": "Active", "is_transient": true});
    let idle = cluster(&conductor, "p1", "idle", active.clone()).await;
    let elsewhere = cluster(&conductor, "p2", "elsewhere", active.clone()).await;
    let busy = cluster(&conductor, "p1", "busy", active).await;
    let kept = cluster(
        &conductor,
        "p1",
        "kept",
        json!({"status": "Active", "is_transient": false}),
    )
    .await;
    let spawning = cluster(
        &conductor,
        "p1",
        "spawning",
        json!({"status": "Spawning", "is_transient": true}),
    )
    .await;
    // A job still running (no end time) keeps `busy`; an ended one would not.
    let p1 = RequestContext::for_user("u1", "p1");
    let job = conductor
        .job_create(
            &p1,
            json!({"name": "j", "type": "MapReduce"}).as_object().cloned().unwrap(),
        )
        .await
        .expect("a job");
    for (cluster_id, status, end) in [
        (&busy, "RUNNING", None),
        (&idle, "SUCCEEDED", Some("2024-05-01T00:00:00")),
    ] {
        let mut values = json!({"job_id": job.id, "cluster_id": cluster_id, "info": {"status": status}});
        if let Some(end) = end {
            values["end_time"] = json!(end);
        }
        conductor
            .job_execution_create(&p1, values.as_object().cloned().unwrap())
            .await
            .expect("a job execution");
    }

    let rounds = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let task = {
        let (engine, rounds) = (engine.clone(), rounds.clone());
        Task::new(
            "terminate_unneeded_transient_clusters",
            Duration::from_secs(1),
            move |run| {
                let (engine, rounds) = (engine.clone(), rounds.clone());
                async move {
                    sahara_engine::periodic::tasks::terminate_unneeded_transient_clusters(&engine, &run).await?;
                    rounds.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                }
            },
        )
        .run_immediately()
    };
    let settings = PeriodicSettings {
        fuzzy_delay: Duration::ZERO,
        interval_max: Duration::from_secs(60),
        heartbeat_interval: Duration::from_millis(100),
        replicas: 40,
    };
    let handle = Periodic::new(uuid::Uuid::new_v4().to_string(), settings)
        .with_task(task)
        .start(&transport)
        .await
        .expect("started");
    wait_until("a round of the task", || {
        rounds.load(std::sync::atomic::Ordering::SeqCst) >= 1
    })
    .await;
    handle.stop().await;

    let admin = RequestContext::admin();
    let status = async |id: &str| {
        let c = conductor
            .cluster_get(&admin, id, false)
            .await
            .expect("a read")
            .expect("the cluster");
        c.status.map(|s| s.to_string()).unwrap_or_default()
    };
    assert_eq!(status(&idle).await, "AwaitingTermination");
    assert_eq!(status(&elsewhere).await, "AwaitingTermination");
    assert_eq!(status(&busy).await, "Active");
    assert_eq!(status(&kept).await, "Active");
    assert_eq!(status(&spawning).await, "Spawning");
    transport.shutdown().await;
}
