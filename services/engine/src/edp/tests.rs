//! The job manager against a conductor on SQLite in memory, with the fake plugin's job engine
//! and a scripted one (a plugin of these tests, whose engine answers what each test tells it):
//! runs, the wait for an `Active` cluster, `extra['neutron']`, failures, cancels, suspends,
//! deletes, status updates and the periodic task, each ending as Sahara ends it.

use super::*;
use crate::ops;
use crate::periodic::{Periodic, PeriodicSettings, tasks};
use crate::plugins::{EdpFuture, Plugin, PluginFuture, Plugins, fake};
use sahara_model::conductor::ConductorClient;
use sahara_model::resources::Instance;
use sahara_rpc::{Transport, TransportOptions};
use std::sync::Mutex;
use std::time::Duration;

/// How long anything may take here, however loaded the machine.
const LIMIT: Duration = Duration::from_secs(60);

/// How the scripted engine starts a job.
#[derive(Debug, Clone)]
enum RunScript {
    /// Answers this run.
    Ok(JobRun),
    /// Records an engine id and `READYTORUN` (as the Oozie engine does once it submitted the
    /// job), then fails.
    RegisterThenFail,
}

/// What the scripted engine answers, and what it was asked.
#[derive(Debug)]
struct Script {
    run: RunScript,
    status: Option<JsonMap>,
    cancel: Option<JsonMap>,
    suspend: std::result::Result<Option<JsonMap>, String>,
    calls: Vec<&'static str>,
}

impl Default for Script {
    fn default() -> Self {
        Script {
            run: RunScript::Ok(JobRun {
                engine_job_id: "scripted-1".into(),
                status: Some(JobStatus::Running),
                extra: Some(values(json!({"spark-path": "/tmp/spark-edp/x"}))),
            }),
            status: None,
            cancel: None,
            suspend: Ok(None),
            calls: Vec::new(),
        }
    }
}

type Shared = Arc<Mutex<Script>>;

/// The plugin `scripted`: runs Pig jobs only, with [`ScriptedEngine`].
#[derive(Debug)]
struct ScriptedPlugin(Shared);

/// The scripted plugin's job engine.
#[derive(Debug)]
struct ScriptedEngine(Shared);

impl ScriptedEngine {
    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Plugin for ScriptedPlugin {
    fn name(&self) -> &'static str {
        "scripted"
    }

    fn configure_cluster<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn start_cluster<'a>(&'a self, _op: &'a ClusterOp, _cluster: &'a Cluster) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn scale_cluster<'a>(&'a self, _op: &'a ClusterOp, _c: &'a Cluster, _new: &'a [Instance]) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn decommission_nodes<'a>(&'a self, _op: &'a ClusterOp, _c: &'a Cluster, _v: &'a [Instance]) -> PluginFuture<'a> {
        Box::pin(async { Ok(()) })
    }

    fn get_edp_engine(&self, _cluster: &Cluster, job_type: &JobType) -> Option<Arc<dyn JobEngine>> {
        (*job_type == JobType::Pig).then(|| Arc::new(ScriptedEngine(self.0.clone())) as Arc<dyn JobEngine>)
    }
}

impl JobEngine for ScriptedEngine {
    fn run_job<'a>(&'a self, op: &'a ClusterOp, je: &'a JobExecution) -> EdpFuture<'a, JobRun> {
        Box::pin(async move {
            let run = {
                let mut s = self.script();
                s.calls.push("run_job");
                s.run.clone()
            };
            match run {
                RunScript::Ok(run) => Ok(run),
                RunScript::RegisterThenFail => {
                    let update = values(json!({"engine_job_id": "oozie-1", "info": {"status": "READYTORUN"}}));
                    op.engine
                        .conductor
                        .job_execution_update(&op.ctx, &je.id, update)
                        .await?;
                    Err(EngineError::Edp("Oozie refused to start the job".into()))
                }
            }
        })
    }

    fn cancel_job<'a>(&'a self, _op: &'a ClusterOp, _je: &'a JobExecution) -> EdpFuture<'a, Option<JsonMap>> {
        let mut s = self.script();
        s.calls.push("cancel_job");
        let answer = s.cancel.clone();
        Box::pin(async move { Ok(answer) })
    }

    fn get_job_status<'a>(&'a self, _op: &'a ClusterOp, _je: &'a JobExecution) -> EdpFuture<'a, Option<JsonMap>> {
        let mut s = self.script();
        s.calls.push("get_job_status");
        let answer = s.status.clone();
        Box::pin(async move { Ok(answer) })
    }

    fn suspend_job<'a>(&'a self, _op: &'a ClusterOp, _je: &'a JobExecution) -> EdpFuture<'a, Option<JsonMap>> {
        let mut s = self.script();
        s.calls.push("suspend_job");
        let answer = s.suspend.clone().map_err(EngineError::Edp);
        Box::pin(async move { answer })
    }

    fn implements_suspend(&self) -> bool {
        true
    }

    fn supported_job_types(&self) -> &'static [JobType] {
        &[JobType::Pig]
    }
}

/// An engine over a conductor on SQLite in memory, with the fake and the scripted plugins.
struct Env {
    engine: Engine,
    conductor: ConductorClient,
    script: Shared,
    transport: Transport,
}

impl Env {
    async fn new(extra: &str) -> Env {
        let conf = sahara_config::ConfigOpts::from_ini_str(&format!(
            "[DEFAULT]\nplugins = fake\njob_canceling_timeout = 2\n{extra}\n[database]\nconnection = sqlite://\n"
        ))
        .expect("a configuration");
        let conductor = sahara_conductor::local_client_from_conf(&conf)
            .await
            .expect("a conductor");
        let transport = Transport::new(
            &format!("fake://edp-{}/", uuid::Uuid::new_v4().simple()),
            TransportOptions::default(),
        )
        .expect("a transport");
        let mut engine = Engine::from_conf(&conf, conductor.clone(), &transport).expect("an engine");
        let mut settings = (*engine.settings).clone();
        settings.cancel_poll = Duration::from_millis(50);
        engine.settings = Arc::new(settings);
        let script = Shared::default();
        engine.plugins =
            Arc::new(Plugins::from_names(&["fake".to_string()]).with_plugin(Arc::new(ScriptedPlugin(script.clone()))));
        Env {
            engine,
            conductor,
            script,
            transport,
        }
    }

    fn ctx() -> RequestContext {
        RequestContext::for_user("u1", "p1")
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        self.script.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A cluster of p1 with `plugin`, in `status`, with `extra` fields.
    async fn cluster(&self, plugin: &str, status: &str, extra: Value) -> String {
        let mut v = values(
            json!({"name": format!("c-{}", uuid::Uuid::new_v4().simple()), "plugin_name": plugin,
            "hadoop_version": "0.1", "status": status,
            "management_private_key": "not a key", "management_public_key": "ssh-rsa AAAA"}),
        );
        v.extend(values(extra));
        self.conductor
            .cluster_create(&Self::ctx(), v)
            .await
            .expect("a cluster")
            .id
    }

    /// A job (template) of `job_type`.
    async fn job(&self, job_type: &str) -> String {
        let v = values(json!({"name": format!("j-{}", uuid::Uuid::new_v4().simple()), "type": job_type}));
        self.conductor.job_create(&Self::ctx(), v).await.expect("a job").id
    }

    /// A `PENDING` execution of `job` on `cluster` (as the API writes it) in `ctx`'s project.
    async fn execution_in(&self, ctx: &RequestContext, cluster: Option<&str>, job: &str, configs: Value) -> String {
        let v = values(
            json!({"job_id": job, "cluster_id": cluster, "info": {"status": "PENDING"},
                              "job_configs": configs, "extra": {}}),
        );
        self.conductor
            .job_execution_create(ctx, v)
            .await
            .expect("an execution")
            .id
    }

    async fn execution(&self, cluster: Option<&str>, job: &str) -> String {
        self.execution_in(&Self::ctx(), cluster, job, json!({"job_execution_info": {}}))
            .await
    }

    /// An execution of a Pig job already `status` on `cluster`.
    async fn execution_in_status(&self, cluster: &str, status: &str) -> String {
        let job = self.job("Pig").await;
        let id = self.execution(Some(cluster), &job).await;
        self.set_status(&id, status).await;
        id
    }

    async fn set_status(&self, id: &str, status: &str) {
        let update = values(json!({"info": {"status": status}}));
        self.conductor
            .job_execution_update(&Self::ctx(), id, update)
            .await
            .expect("an update");
    }

    async fn get(&self, id: &str) -> Option<JobExecution> {
        self.conductor
            .job_execution_get(&RequestContext::admin(), id)
            .await
            .expect("a read")
    }

    async fn must_get(&self, id: &str) -> JobExecution {
        self.get(id).await.expect("the execution")
    }

    async fn close(self) {
        self.transport.shutdown().await;
    }
}

fn status(je: &JobExecution) -> String {
    status_text(je)
}

fn calls(env: &Env) -> Vec<&'static str> {
    std::mem::take(&mut env.script().calls)
}

#[test]
fn the_fake_plugin_runs_every_edp_job_type_and_touches_nothing() {
    let cluster: Cluster = serde_json::from_value(json!({"id": "c", "name": "c", "plugin_name": "fake",
        "hadoop_version": "0.1", "management_private_key": "", "management_public_key": ""}))
    .expect("a cluster");
    let types: Vec<&str> = JobType::KNOWN.iter().map(JobType::as_str).collect();
    assert_eq!(
        types,
        [
            "Hive",
            "Java",
            "MapReduce",
            "MapReduce.Streaming",
            "Pig",
            "Shell",
            "Spark",
            "Storm",
            "Storm.Pyleus"
        ]
    );
    for t in JobType::KNOWN {
        let e = fake::FakePlugin.get_edp_engine(&cluster, t).expect("an engine");
        assert!(!e.implements_suspend());
        assert_eq!(e.supported_job_types(), JobType::KNOWN);
    }
    assert!(
        fake::FakePlugin
            .get_edp_engine(&cluster, &JobType::parse("Storm.Unknown"))
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fake_job_succeeds_at_once_and_keeps_no_end_time() {
    let env = Env::new("").await;
    let cluster = env.cluster("fake", "Active", json!({})).await;
    let job = env.job("Pig").await;
    let id = env.execution(Some(&cluster), &job).await;
    run_job(&env.engine, &Env::ctx(), &id).await;
    let je = env.must_get(&id).await;
    assert_eq!(je.engine_job_id.as_deref(), Some(fake::FAKE_ENGINE_JOB_ID));
    assert_eq!(je.info, Some(values(json!({"status": "SUCCEEDED"}))));
    assert!(je.start_time.is_some());
    // `_run_job` does not go through `_write_job_status`: no end time, however ended the job is.
    assert_eq!(je.end_time, None);
    assert_eq!(
        je.extra,
        Some(JsonMap::new()),
        "no neutron info without namespaces or a proxy command"
    );
    // The fake engine reports no status, so the status updates change nothing.
    update_job_statuses(&env.engine, &RequestContext::admin(), None)
        .await
        .expect("updated");
    assert_eq!(env.must_get(&id).await, je);
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_waits_for_its_cluster_to_be_active() {
    let env = Env::new("").await;
    let cluster = env.cluster("fake", "Spawning", json!({})).await;
    let job = env.job("Pig").await;
    let id = env.execution(Some(&cluster), &job).await;
    run_job(&env.engine, &Env::ctx(), &id).await;
    let je = env.must_get(&id).await;
    assert_eq!(status(&je), "PENDING");
    assert_eq!(
        (je.engine_job_id.as_deref(), je.start_time, je.end_time),
        (None, None, None)
    );
    // Nor without a cluster at all.
    let orphan = env.execution(None, &job).await;
    run_job(&env.engine, &Env::ctx(), &orphan).await;
    assert_eq!(status(&env.must_get(&orphan).await), "PENDING");
    // Once Active, it runs.
    env.conductor
        .cluster_update(&Env::ctx(), &cluster, values(json!({"status": "Active"})))
        .await
        .expect("Active");
    run_job(&env.engine, &Env::ctx(), &id).await;
    assert_eq!(status(&env.must_get(&id).await), "SUCCEEDED");
    env.close().await;
}

/// A cluster of one node group and one instance (`10.0.0.5` for management, `192.168.0.5` inside).
async fn cluster_with_instance(env: &Env) -> String {
    let cluster = env
        .cluster("fake", "Active", json!({"neutron_management_network": "net-1"}))
        .await;
    let ng = env
        .conductor
        .node_group_add(
            &Env::ctx(),
            &cluster,
            values(
                json!({"name": "master", "flavor_id": "42", "node_processes": ["namenode"], "count": 1,
                          "image_username": "ubuntu"}),
            ),
        )
        .await
        .expect("a node group");
    env.conductor
        .instance_add(
            &Env::ctx(),
            &ng,
            values(json!({"instance_name": "c-master-0", "instance_id": "srv-1",
                          "internal_ip": "192.168.0.5", "management_ip": "10.0.0.5"})),
        )
        .await
        .expect("an instance");
    cluster
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_instance_s_neutron_info_is_kept_when_instances_are_reached_through_neutron() {
    let mut ctx = Env::ctx();
    ctx.auth_token = Some("the-user-token".into());
    ctx.project_name = Some("demo".into());
    for (conf, host) in [
        ("use_namespaces = true", "10.0.0.5"),
        ("proxy_command = ssh gw nc {host} {port}", "10.0.0.5"),
        (
            "proxy_command = ssh gw nc {host} {port}\nproxy_command_use_internal_ip = true",
            "192.168.0.5",
        ),
    ] {
        let env = Env::new(conf).await;
        let cluster = cluster_with_instance(&env).await;
        let job = env.job("Pig").await;
        let id = env.execution(Some(&cluster), &job).await;
        run_job(&env.engine, &ctx, &id).await;
        let je = env.must_get(&id).await;
        assert_eq!(status(&je), "SUCCEEDED", "{conf}");
        assert_eq!(
            je.extra,
            Some(values(
                json!({"neutron": {"network": "net-1", "token": "the-user-token",
                                           "tenant": "demo", "host": host}})
            )),
            "{conf}"
        );
        // Without an instance there is no first one: the job fails.
        let bare = env.cluster("fake", "Active", json!({})).await;
        let id = env.execution(Some(&bare), &job).await;
        run_job(&env.engine, &ctx, &id).await;
        assert_eq!(status(&env.must_get(&id).await), "FAILED", "{conf}");
        env.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_that_cannot_start_end_failed() {
    let env = Env::new("").await;
    let pig = env.job("Pig").await;

    // The fake engine schedules nothing: a scheduled job fails, started and ended now.
    let cluster = env.cluster("fake", "Active", json!({})).await;
    let id = env
        .execution_in(
            &Env::ctx(),
            Some(&cluster),
            &pig,
            json!({"job_execution_info": {"job_execution_type": "scheduled", "start": "2999-01-01 00:00:00"}}),
        )
        .await;
    run_job(&env.engine, &Env::ctx(), &id).await;
    let je = env.must_get(&id).await;
    assert_eq!(je.info, Some(values(json!({"status": "FAILED"}))));
    assert_eq!(je.engine_job_id, None);
    let (began, ended) = (je.start_time.expect("a start"), je.end_time.expect("an end"));
    assert!((ended - began).num_seconds().abs() <= 1, "{began} {ended}");

    // A plugin without an engine for the job's type: EDPError, then FAILED.
    let scripted = env.cluster("scripted", "Active", json!({})).await;
    let hive = env.job("Hive").await;
    let id = env.execution(Some(&scripted), &hive).await;
    let err = start(&env.engine, &Env::ctx(), &id)
        .await
        .expect_err("no engine for Hive");
    assert!(
        matches!(&err, EngineError::Edp(m) if m == "Cluster does not support job type Hive"),
        "{err:?}"
    );
    run_job(&env.engine, &Env::ctx(), &id).await;
    assert_eq!(status(&env.must_get(&id).await), "FAILED");

    // An engine that knew the job (an engine id was written) is asked to cancel it first.
    env.script().run = RunScript::RegisterThenFail;
    env.script().cancel = Some(values(json!({"status": "KILLED"})));
    let id = env.execution(Some(&scripted), &pig).await;
    run_job(&env.engine, &Env::ctx(), &id).await;
    assert_eq!(calls(&env), ["run_job", "cancel_job"]);
    let je = env.must_get(&id).await;
    assert_eq!(je.info, Some(values(json!({"status": "FAILED"}))));
    assert_eq!(je.engine_job_id.as_deref(), Some("oozie-1"));
    assert!(je.start_time.is_some() && je.end_time.is_some());
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_engine_s_run_is_written_with_its_extra() {
    let env = Env::new("").await;
    let cluster = env.cluster("scripted", "Active", json!({})).await;
    let job = env.job("Pig").await;
    let id = env.execution(Some(&cluster), &job).await;
    run_job(&env.engine, &Env::ctx(), &id).await;
    let je = env.must_get(&id).await;
    assert_eq!(je.engine_job_id.as_deref(), Some("scripted-1"));
    assert_eq!(status(&je), "RUNNING");
    assert_eq!(je.extra, Some(values(json!({"spark-path": "/tmp/spark-edp/x"}))));
    assert!(je.start_time.is_some() && je.end_time.is_none());
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancels_end_as_sahara_ends_them() {
    let env = Env::new("").await;
    let ctx = Env::ctx();

    // A finished job is left as it is.
    let fake = env.cluster("fake", "Active", json!({})).await;
    let job = env.job("Pig").await;
    let done = env.execution(Some(&fake), &job).await;
    run_job(&env.engine, &ctx, &done).await;
    let before = env.must_get(&done).await;
    let answered = cancel_job(&env.engine, &ctx, &done).await.expect("cancelled");
    assert_eq!(answered.as_ref(), Some(&before));
    assert_eq!(env.must_get(&done).await, before);

    // An engine that reports the job killed: KILLED, ended.
    let cluster = env.cluster("scripted", "Active", json!({})).await;
    let id = env.execution_in_status(&cluster, "RUNNING").await;
    env.script().cancel = Some(values(json!({"status": "KILLED"})));
    let je = cancel_job(&env.engine, &ctx, &id)
        .await
        .expect("cancelled")
        .expect("there");
    assert_eq!((status(&je), je.end_time.is_some()), ("KILLED".to_string(), true));
    assert_eq!(calls(&env), ["cancel_job"]);

    // An engine that reports nothing is asked until `job_canceling_timeout` (2 s): CancelingFailed, TOBEKILLED.
    env.script().cancel = None;
    let id = env.execution_in_status(&cluster, "RUNNING").await;
    let began = Instant::now();
    let err = cancel_job(&env.engine, &ctx, &id).await.expect_err("not cancelled");
    assert!(began.elapsed() >= Duration::from_secs(2));
    assert!(
        matches!(&err, EngineError::CancelingFailed(m) if *m == format!("Job execution {id} was not canceled")),
        "{err:?}"
    );
    let je = env.must_get(&id).await;
    assert_eq!((status(&je), je.end_time), ("TOBEKILLED".to_string(), None));
    assert!(calls(&env).len() > 2, "asked again and again");

    // Deleted while being cancelled: the cancel stops.
    let id = env.execution_in_status(&cluster, "RUNNING").await;
    let cancelling = tokio::spawn({
        let (engine, id) = (env.engine.clone(), id.clone());
        async move { cancel_job(&engine, &Env::ctx(), &id).await }
    });
    while env.get(&id).await.is_some_and(|je| status(&je) != "TOBEKILLED") {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    env.conductor.job_execution_destroy(&ctx, &id).await.expect("destroyed");
    let answer = tokio::time::timeout(LIMIT, cancelling)
        .await
        .expect("in time")
        .expect("joined");
    assert!(matches!(answer, Ok(None)), "{answer:?}");

    // Without a cluster (it was deleted): left as it is.
    let id = env.execution(None, &job).await;
    env.set_status(&id, "RUNNING").await;
    let je = cancel_job(&env.engine, &ctx, &id)
        .await
        .expect("answered")
        .expect("there");
    assert_eq!(status(&je), "RUNNING");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_cancel_first_and_delete_anyway() {
    let env = Env::new("").await;
    let ctx = Env::ctx();
    let fake = env.cluster("fake", "Active", json!({})).await;
    let job = env.job("Pig").await;
    let done = env.execution(Some(&fake), &job).await;
    run_job(&env.engine, &ctx, &done).await;
    ops::edp::delete_job_execution(env.engine.clone(), ctx.clone(), done.clone()).await;
    assert!(env.get(&done).await.is_none());

    // Not cancelled in time: deleted anyway.
    let cluster = env.cluster("scripted", "Active", json!({})).await;
    let id = env.execution_in_status(&cluster, "RUNNING").await;
    ops::edp::delete_job_execution(env.engine.clone(), ctx.clone(), id.clone()).await;
    assert!(env.get(&id).await.is_none());
    assert!(calls(&env).contains(&"cancel_job"));

    // Gone already: nothing to do.
    ops::edp::delete_job_execution(env.engine.clone(), ctx.clone(), id.clone()).await;
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn suspends_end_as_sahara_ends_them() {
    let env = Env::new("").await;
    let ctx = Env::ctx();
    let fake = env.cluster("fake", "Active", json!({})).await;

    // Only PREP and RUNNING jobs may be suspended; nothing is written otherwise.
    let done = env.execution_in_status(&fake, "SUCCEEDED").await;
    let before = env.must_get(&done).await;
    let err = suspend_job(&env.engine, &ctx, &done)
        .await
        .expect_err("not suspendible");
    assert!(
        matches!(&err, EngineError::SuspendingFailed(m) if m == "Suspending operation can not be performed on status: SUCCEEDED"),
        "{err:?}"
    );
    assert_eq!(env.must_get(&done).await, before);

    // The fake engine suspends nothing: SUSPENDFAILED (written directly, so no end time).
    let running = env.execution_in_status(&fake, "RUNNING").await;
    let err = suspend_job(&env.engine, &ctx, &running)
        .await
        .expect_err("not suspended");
    assert!(
        matches!(&err, EngineError::SuspendingFailed(m) if *m == format!("Failed to suspend job execution {running}")),
        "{err:?}"
    );
    let je = env.must_get(&running).await;
    assert_eq!((status(&je), je.end_time), ("SUSPENDFAILED".to_string(), None));
    ops::edp::job_execution_suspend(env.engine.clone(), ctx.clone(), running.clone()).await;
    assert_eq!(status(&env.must_get(&running).await), "SUSPENDFAILED");

    // An engine that suspends: its status is written.
    let cluster = env.cluster("scripted", "Active", json!({})).await;
    env.script().suspend = Ok(Some(values(json!({"status": "SUSPENDED"}))));
    let prep = env.execution_in_status(&cluster, "PREP").await;
    let je = suspend_job(&env.engine, &ctx, &prep).await.expect("suspended");
    assert_eq!((status(&je), je.end_time), ("SUSPENDED".to_string(), None));

    // An engine that fails: SUSPENDFAILED with its reason.
    env.script().suspend = Err("no such job".into());
    let id = env.execution_in_status(&cluster, "RUNNING").await;
    let err = suspend_job(&env.engine, &ctx, &id).await.expect_err("failed");
    assert_eq!(err.to_string(), "Error during suspending of job execution: no such job");
    assert_eq!(status(&env.must_get(&id).await), "SUSPENDFAILED");
    assert_eq!(calls(&env), ["suspend_job", "suspend_job"]);
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_come_from_the_engines_of_active_clusters() {
    let env = Env::new("").await;
    let admin = RequestContext::admin();
    let active = env.cluster("scripted", "Active", json!({})).await;
    let spawning = env.cluster("scripted", "Spawning", json!({})).await;
    let running = env.execution_in_status(&active, "RUNNING").await;
    let waiting = env.execution_in_status(&spawning, "RUNNING").await;
    env.script().status = Some(values(json!({"status": "RUNNING", "actions": []})));

    // Not terminal: written, not ended.
    let je = get_job_status(&env.engine, &admin, &running)
        .await
        .expect("read")
        .expect("there");
    assert_eq!(je.info, Some(values(json!({"status": "RUNNING", "actions": []}))));
    assert_eq!(je.end_time, None);
    assert_eq!(calls(&env), ["get_job_status"]);

    // Terminal: ended, and not asked about again.
    env.script().status = Some(values(json!({"status": "SUCCEEDED"})));
    update_job_statuses(&env.engine, &admin, Some(&active))
        .await
        .expect("updated");
    let je = env.must_get(&running).await;
    assert_eq!((status(&je), je.end_time.is_some()), ("SUCCEEDED".to_string(), true));
    assert_eq!(calls(&env), ["get_job_status"]);
    update_job_statuses(&env.engine, &admin, None).await.expect("updated");
    assert!(
        calls(&env).is_empty(),
        "an ended job or one on a cluster not Active is not asked about"
    );
    assert_eq!(status(&env.must_get(&waiting).await), "RUNNING");
    env.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_periodic_task_updates_the_jobs_not_ended_of_every_project() {
    let env = Env::new("").await;
    let task = tasks::engine_tasks(&env.engine)
        .into_iter()
        .find(|t| t.name() == "update_job_statuses")
        .expect("update_job_statuses always runs");
    assert_eq!(task.spacing(), Duration::from_secs(45));
    let mine = env.cluster("scripted", "Active", json!({})).await;
    let mine = env.execution_in_status(&mine, "RUNNING").await;
    let other = {
        let ctx = RequestContext::for_user("u2", "p2");
        let v = values(
            json!({"name": "other", "plugin_name": "scripted", "hadoop_version": "0.1",
            "status": "Active", "management_private_key": "k", "management_public_key": "p"}),
        );
        let cluster = env.conductor.cluster_create(&ctx, v).await.expect("a cluster").id;
        let v = values(json!({"name": "other-job", "type": "Pig"}));
        let job = env.conductor.job_create(&ctx, v).await.expect("a job").id;
        let id = env.execution_in(&ctx, Some(&cluster), &job, json!({})).await;
        let update = values(json!({"info": {"status": "RUNNING"}}));
        env.conductor
            .job_execution_update(&ctx, &id, update)
            .await
            .expect("RUNNING");
        id
    };
    env.script().status = Some(values(json!({"status": "SUCCEEDED"})));
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
    let deadline = Instant::now() + LIMIT;
    loop {
        let (a, b) = (env.must_get(&mine).await, env.must_get(&other).await);
        if a.end_time.is_some() && b.end_time.is_some() {
            assert_eq!(
                (status(&a), status(&b)),
                ("SUCCEEDED".to_string(), "SUCCEEDED".to_string())
            );
            break;
        }
        assert!(Instant::now() < deadline, "no status update by the periodic task");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    handle.stop().await;
    env.close().await;
}
