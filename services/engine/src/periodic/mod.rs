//! The engine's periodic tasks (sahara/service/periodic.py, coordinator.py), split between
//! the live engines so that each object is handled by exactly one engine however many run.
//!
//! - [`members`]: who is alive, from heartbeats over the RPC broker the engines already use
//!   (Sahara uses a tooz group; we need no coordination service);
//! - [`ring`]: Sahara's hash ring over those members, deciding which engine owns which
//!   cluster, job execution or user;
//! - [`tasks`]: the tasks as Sahara configures them, each with its spacing;
//! - this module: the scheduler, run as oslo.service runs Sahara's `PeriodicTasks`: after a
//!   random start delay of up to `periodic_fuzzy_delay`, every due task runs in turn with an
//!   admin context, then the scheduler sleeps until the next one is due (at most
//!   `periodic_interval_max`).
//!
//! Every run of a task gets a fresh view of the ring ([`TaskRun::ring`]), and keeps only the
//! objects it owns ([`TaskRun::subset`]). A new engine runs nothing until it has listened for
//! [`members::DEAD_AFTER_INTERVALS`] heartbeat intervals (so it knows the others and they
//! know it); an engine cut off from the broker runs nothing, as Sahara's engines do when the
//! coordination backend is unreachable.
//!
//! One worker per engine: `periodic_workers_number` is not used, nor is `periodic_coordinator_backend_url`
//! (coordination is always on, over the RPC broker).

pub mod members;
pub mod ring;
pub mod tasks;

use crate::Engine;
use crate::error::Result;
use futures_util::FutureExt;
use members::{Members, Membership};
use ring::HashRing;
use sahara_config::SaharaPeriodicOpts;
use sahara_rpc::{RequestContext, Transport};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tracing::Instrument;

/// How long a stopping scheduler waits for the work its tasks started (cluster deletions),
/// as long as an RPC server waits for its requests in progress.
const STOP_GRACE: Duration = Duration::from_secs(30);

/// How the scheduler and the membership run (from `[DEFAULT]`, or short ones in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodicSettings {
    /// The start delay is random between zero and this (`periodic_fuzzy_delay`).
    pub fuzzy_delay: Duration,
    /// The longest sleep between two passes over the tasks (`periodic_interval_max`).
    pub interval_max: Duration,
    /// How often a member heartbeats (`coordinator_heartbeat_interval`).
    pub heartbeat_interval: Duration,
    /// Points per member on the ring (`hash_ring_replicas_count`).
    pub replicas: usize,
}

impl PeriodicSettings {
    /// The settings of `[DEFAULT]` (negative values count as zero; the heartbeat interval
    /// and the longest sleep are at least a second).
    pub fn from_opts(opts: &SaharaPeriodicOpts) -> Self {
        let secs = |v: i64| Duration::from_secs(u64::try_from(v).unwrap_or(0));
        PeriodicSettings {
            fuzzy_delay: secs(opts.periodic_fuzzy_delay),
            interval_max: secs(opts.periodic_interval_max.max(1)),
            heartbeat_interval: secs(opts.coordinator_heartbeat_interval.max(1)),
            replicas: usize::try_from(opts.hash_ring_replicas_count).unwrap_or(0),
        }
    }
}

/// The future of one run of a task.
pub type TaskFuture = Pin<Box<dyn Future<Output = Result<()>> + Send>>;

type TaskBody = Arc<dyn Fn(TaskRun) -> TaskFuture + Send + Sync>;

/// A periodic task: a name, how often it runs, and what it does.
#[derive(Clone)]
pub struct Task {
    name: String,
    spacing: Duration,
    run_immediately: bool,
    body: TaskBody,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("name", &self.name)
            .field("spacing", &self.spacing)
            .field("run_immediately", &self.run_immediately)
            .finish_non_exhaustive()
    }
}

impl Task {
    /// A task named `name` running `body` every `spacing`, the first time `spacing` after
    /// the scheduler starts (oslo's default).
    pub fn new<F, Fut>(name: impl Into<String>, spacing: Duration, body: F) -> Self
    where
        F: Fn(TaskRun) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<()>> + Send + 'static,
    {
        Task {
            name: name.into(),
            spacing,
            run_immediately: false,
            body: Arc::new(move |run| Box::pin(body(run))),
        }
    }

    /// The same task with another spacing.
    pub fn with_spacing(mut self, spacing: Duration) -> Self {
        self.spacing = spacing;
        self
    }

    /// The same task, run as soon as the scheduler starts (oslo's `run_immediately`).
    pub fn run_immediately(mut self) -> Self {
        self.run_immediately = true;
        self
    }

    /// The task's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How often the task runs.
    pub fn spacing(&self) -> Duration {
        self.spacing
    }
}

/// Work a task started and the scheduler waits for when stopped.
type Background = Arc<Mutex<JoinSet<()>>>;

/// One run of a task: its admin context and this member's view of the ring.
pub struct TaskRun {
    /// An admin request context of its own (Sahara's `set_context`).
    pub ctx: RequestContext,
    /// The ring over the members alive when the run started.
    pub ring: HashRing,
    background: Background,
}

impl std::fmt::Debug for TaskRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskRun")
            .field("request_id", &self.ctx.request_id)
            .field("ring", &self.ring)
            .finish_non_exhaustive()
    }
}

impl TaskRun {
    /// The objects (each identified by `id`) this member handles in this run.
    pub fn subset<T, F>(&self, objects: impl IntoIterator<Item = T>, id: F) -> Vec<T>
    where
        F: Fn(&T) -> &str,
    {
        self.ring.subset(objects, id)
    }

    /// Runs `work` beside the scheduler (as Sahara's cast to an engine would), within the
    /// current span; a stopping scheduler waits a while for it.
    pub fn spawn(&self, work: impl Future<Output = ()> + Send + 'static) {
        let work = work.instrument(tracing::Span::current());
        self.background.lock().unwrap_or_else(|p| p.into_inner()).spawn(work);
    }
}

/// A scheduler to start: its member id, topic, settings and tasks.
#[derive(Debug, Clone)]
pub struct Periodic {
    member_id: String,
    topic: String,
    settings: PeriodicSettings,
    tasks: Vec<Task>,
}

impl Periodic {
    /// A scheduler without tasks for `member_id`, on [`members::TOPIC`].
    pub fn new(member_id: impl Into<String>, settings: PeriodicSettings) -> Self {
        Periodic {
            member_id: member_id.into(),
            topic: members::TOPIC.to_string(),
            settings,
            tasks: Vec::new(),
        }
    }

    /// The same scheduler heartbeating on another topic (tests sharing a broker keep apart
    /// this way).
    pub fn with_topic(mut self, topic: impl Into<String>) -> Self {
        self.topic = topic.into();
        self
    }

    /// Adds a task.
    pub fn with_task(mut self, task: Task) -> Self {
        self.tasks.push(task);
        self
    }

    /// Adds tasks.
    pub fn with_tasks(mut self, tasks: impl IntoIterator<Item = Task>) -> Self {
        self.tasks.extend(tasks);
        self
    }

    /// Joins the members on `transport` and starts running the tasks.
    pub async fn start(self, transport: &Transport) -> sahara_rpc::Result<PeriodicHandle> {
        let membership = Membership::join(
            transport,
            &self.topic,
            &self.member_id,
            self.settings.heartbeat_interval,
        )
        .await?;
        let (stop, stopped) = watch::channel(false);
        let background: Background = Arc::default();
        let names: Vec<&str> = self.tasks.iter().map(|t| t.name.as_str()).collect();
        tracing::info!(member_id = %self.member_id, tasks = ?names, "starting the periodic tasks");
        let span = tracing::info_span!("periodic", member_id = %self.member_id);
        let scheduler = tokio::spawn(
            schedule(
                membership.members().clone(),
                self.tasks,
                self.settings,
                background.clone(),
                stopped,
            )
            .instrument(span),
        );
        Ok(PeriodicHandle {
            running: Some(Running {
                membership,
                scheduler,
                stop,
                background,
            }),
        })
    }
}

/// The running periodic tasks of an engine (or nothing, when disabled).
#[derive(Debug)]
pub struct PeriodicHandle {
    running: Option<Running>,
}

#[derive(Debug)]
struct Running {
    membership: Membership,
    scheduler: tokio::task::JoinHandle<()>,
    stop: watch::Sender<bool>,
    background: Background,
}

impl PeriodicHandle {
    /// A handle of no periodic tasks (`periodic_enable = false`).
    pub fn disabled() -> Self {
        PeriodicHandle { running: None }
    }

    /// Whether tasks are running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// This member's view of the live members (none when disabled).
    pub fn members(&self) -> Option<&Members> {
        self.running.as_ref().map(|r| r.membership.members())
    }

    /// Stops: a task in progress is dropped, work the tasks started gets up to 30 s to end
    /// (then is aborted), and the member leaves (the others take over its share once they
    /// stop hearing from it).
    pub async fn stop(self) {
        let Some(r) = self.running else {
            return;
        };
        let _ = r.stop.send(true);
        let _ = r.scheduler.await;
        let mut work = std::mem::take(&mut *r.background.lock().unwrap_or_else(|p| p.into_inner()));
        if !work.is_empty() {
            tracing::info!(count = work.len(), "waiting for work started by the periodic tasks");
            if tokio::time::timeout(STOP_GRACE, async { while work.join_next().await.is_some() {} })
                .await
                .is_err()
            {
                tracing::warn!(count = work.len(), "aborting work started by the periodic tasks");
                work.shutdown().await;
            }
        }
        r.membership.leave().await;
    }
}

/// Starts the engine's periodic tasks ([`tasks::engine_tasks`]) as `member_id` (the engine's
/// RPC server name) over `transport`, unless `periodic_enable` is false.
pub async fn start(engine: Engine, transport: &Transport, member_id: &str) -> sahara_rpc::Result<PeriodicHandle> {
    let opts = &engine.settings.periodic;
    if !opts.periodic_enable {
        tracing::info!("periodic tasks are disabled (periodic_enable = false)");
        return Ok(PeriodicHandle::disabled());
    }
    let settings = PeriodicSettings::from_opts(opts);
    let tasks = tasks::engine_tasks(&engine);
    Periodic::new(member_id, settings)
        .with_tasks(tasks)
        .start(transport)
        .await
}

/// A task and when it last ran (oslo's `_periodic_last_run`).
struct Slot {
    task: Task,
    last_run: Option<Instant>,
}

/// The scheduler's loop: start delay, settling, then passes over the tasks until stopped.
async fn schedule(
    members: Members,
    tasks: Vec<Task>,
    settings: PeriodicSettings,
    background: Background,
    mut stopped: watch::Receiver<bool>,
) {
    let created = Instant::now();
    let mut slots: Vec<Slot> = tasks
        .into_iter()
        .map(|task| Slot {
            last_run: (!task.run_immediately).then_some(created),
            task,
        })
        .collect();
    slots.sort_by(|a, b| a.task.name.cmp(&b.task.name));
    let delay = random_delay(settings.fuzzy_delay);
    if !delay.is_zero() {
        tracing::debug!("Starting periodic tasks with initial delay {} seconds", delay.as_secs());
    }
    if sleep_or_stop(delay, &mut stopped).await {
        return;
    }
    // A new member waits until it knows the others and they know it.
    while !members.is_settled() {
        if sleep_or_stop(members.interval() / 2, &mut stopped).await {
            return;
        }
    }
    loop {
        reap(&background);
        let Some(idle) = run_due(&members, &mut slots, &settings, &background, &mut stopped).await else {
            return;
        };
        if sleep_or_stop(idle.min(settings.interval_max), &mut stopped).await {
            return;
        }
    }
}

/// oslo's `run_periodic_tasks`: runs every due task in turn; answers how long to idle
/// until the next is due, or `None` once stopped.
async fn run_due(
    members: &Members,
    slots: &mut [Slot],
    settings: &PeriodicSettings,
    background: &Background,
    stopped: &mut watch::Receiver<bool>,
) -> Option<Duration> {
    let mut idle = settings.interval_max;
    for slot in slots.iter_mut() {
        let spacing = slot.task.spacing;
        idle = idle.min(spacing);
        let now = Instant::now();
        if let Some(last) = slot.last_run {
            let due = last + spacing;
            if due > now {
                idle = idle.min(due - now);
                continue;
            }
        }
        slot.last_run = Some(nearest_boundary(slot.last_run, spacing, now));
        let name = slot.task.name.clone();
        if !members.is_connected() {
            tracing::warn!(task = %name, "not hearing the other engines (nor this one) over the broker: skipping the task");
            continue;
        }
        let run = TaskRun {
            ctx: RequestContext::admin(),
            ring: HashRing::new(members.member_id(), members.live(), settings.replicas),
            background: background.clone(),
        };
        let span = tracing::info_span!("periodic.task", task = %name, request_id = %run.ctx.request_id,
            members = run.ring.members().len());
        let work = std::panic::AssertUnwindSafe((slot.task.body)(run).instrument(span.clone())).catch_unwind();
        tracing::debug!(parent: &span, "Running periodic task {name}");
        tokio::select! {
            outcome = work => match outcome {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(parent: &span, error = %e, "Error during {name}"),
                Err(_) => tracing::error!(parent: &span, "periodic task {name} panicked"),
            },
            _ = stopped.wait_for(|s| *s) => return None,
        }
    }
    Some(idle)
}

/// oslo's `_nearest_boundary`: when a task that was due ran, the last run it counts — its
/// due time, unless more than a whole spacing was missed (then now).
fn nearest_boundary(last_run: Option<Instant>, spacing: Duration, now: Instant) -> Instant {
    let Some(last) = last_run else {
        return now;
    };
    let due = last + spacing;
    if now.saturating_duration_since(due) > spacing {
        now
    } else {
        due.min(now)
    }
}

/// `random.randint(0, periodic_fuzzy_delay)` whole seconds.
fn random_delay(max: Duration) -> Duration {
    let max = max.as_secs();
    if max == 0 {
        return Duration::ZERO;
    }
    let r = uuid::Uuid::new_v4().as_u128() % (u128::from(max) + 1);
    Duration::from_secs(u64::try_from(r).unwrap_or(0))
}

/// Sleeps for `d`; true when stopped meanwhile (or before).
async fn sleep_or_stop(d: Duration, stopped: &mut watch::Receiver<bool>) -> bool {
    if *stopped.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => {}
        _ = stopped.wait_for(|s| *s) => return true,
    }
    *stopped.borrow()
}

/// Forgets the background work that has ended.
fn reap(background: &Background) {
    let mut set = background.lock().unwrap_or_else(|p| p.into_inner());
    while set.try_join_next().is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_counts_from_its_due_time_unless_a_whole_spacing_was_missed() {
        let t0 = Instant::now();
        let s = Duration::from_secs(90);
        assert_eq!(nearest_boundary(None, s, t0), t0);
        // Due at t0 + 90, run at t0 + 100: counts as run at t0 + 90.
        assert_eq!(nearest_boundary(Some(t0), s, t0 + Duration::from_secs(100)), t0 + s);
        // Due at t0 + 90, run at t0 + 200 (more than a spacing late): counts as now.
        let late = t0 + Duration::from_secs(200);
        assert_eq!(nearest_boundary(Some(t0), s, late), late);
    }

    #[test]
    fn start_delays_stay_within_the_fuzzy_delay() {
        assert_eq!(random_delay(Duration::ZERO), Duration::ZERO);
        for _ in 0..200 {
            assert!(random_delay(Duration::from_secs(3)) <= Duration::from_secs(3));
        }
    }

    #[test]
    fn settings_come_from_the_options() {
        let conf = sahara_config::ConfigOpts::from_ini_str("[DEFAULT]\nperiodic_fuzzy_delay = 0\n").unwrap();
        let opts: SaharaPeriodicOpts = conf.group().unwrap();
        let s = PeriodicSettings::from_opts(&opts);
        assert_eq!(
            s,
            PeriodicSettings {
                fuzzy_delay: Duration::ZERO,
                interval_max: Duration::from_secs(60),
                heartbeat_interval: Duration::from_secs(1),
                replicas: 40,
            }
        );
    }
}
