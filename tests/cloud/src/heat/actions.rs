//! Stack actions as Heat's engine runs them: create (resources in dependency order,
//! independent ones in parallel; a failure aborts the others; `timeout_mins`; rollback
//! unless disabled), update (new resources created, changed ones updated in place or
//! replaced, removed ones deleted; rollback to the old template on failure unless
//! disabled), delete (dependents first), and nested stacks driven by their parent
//! resource.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::task::JoinSet;
use tracing::{Instrument, debug, info, info_span, warn};

use super::backend::{Backend, BackendError, Principal};
use super::cancel::CancelToken;
use super::engine::{Inner, NewStack, Prepared};
use super::error::{HeatError, ResourceFailure};
use super::functions;
use super::graph::Graph;
use super::resources::{self, Kind};
use super::scope::StackScope;
use super::state::{Action, ResourceState, StackState, Status, now};
use super::template::{DeletionPolicy, Template};

/// A boxed future (the actions recurse through nested stacks).
pub(crate) type BoxFut<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// How a stack action ended badly.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ActionFailure {
    /// A resource failed.
    Failed(ResourceFailure),
    /// `timeout_mins` passed.
    TimedOut,
    /// The action was cancelled (a delete came).
    Cancelled,
}

/// What a resource handler works with: its stack, its name, the backend, cancellation.
pub(crate) struct ResCtx {
    pub inner: Arc<Inner>,
    pub stack_id: String,
    pub name: String,
    pub who: Principal,
    pub cancel: CancelToken,
    pub action: Action,
}

impl ResCtx {
    /// The backend.
    pub fn backend(&self) -> &dyn Backend {
        self.inner.backend.as_ref()
    }

    /// A failure of this resource.
    pub fn fail(&self, class: &str, message: impl Into<String>) -> ResourceFailure {
        ResourceFailure::new(&self.name, class, message)
    }

    /// A failure of this resource from a backend error.
    pub fn backend_fail(&self, e: BackendError) -> ResourceFailure {
        self.fail(&e.class, e.message)
    }

    /// The failure of an action cut short (`CREATE aborted`).
    pub fn aborted(&self) -> ResourceFailure {
        ResourceFailure {
            error: String::new(),
            path: vec![],
            message: format!("{} aborted", self.action.as_str()),
        }
    }

    /// Waits one poll interval, or fails when the action is cancelled.
    pub async fn pause(&self) -> Result<(), ResourceFailure> {
        tokio::select! {
            _ = tokio::time::sleep(self.inner.config.poll_interval) => Ok(()),
            _ = self.cancel.cancelled() => Err(self.aborted()),
        }
    }

    /// Runs `f` on this resource's state.
    pub fn with_resource<R>(&self, f: impl FnOnce(&mut ResourceState) -> R) -> Option<R> {
        self.inner
            .with_stack(&self.stack_id, |s| s.resources.get_mut(&self.name).map(f))
            .flatten()
    }

    /// Runs `f` on this resource's stack.
    pub fn with_stack<R>(&self, f: impl FnOnce(&mut StackState) -> R) -> Option<R> {
        self.inner.with_stack(&self.stack_id, f)
    }

    /// Records the physical resource id.
    pub fn set_physical_id(&self, id: &str) {
        self.with_resource(|r| r.physical_id = Some(id.to_string()));
    }

    /// The physical resource id.
    pub fn physical_id(&self) -> Option<String> {
        self.with_resource(|r| r.physical_id.clone()).flatten()
    }

    /// Replaces the cached attributes.
    pub fn set_attrs(&self, attrs: Map<String, Value>) {
        self.with_resource(|r| r.attrs = attrs);
    }

    /// Heat's physical resource name of this resource.
    pub fn physical_name(&self) -> String {
        self.with_resource(|r| r.physical_name.clone())
            .unwrap_or_else(|| self.name.clone())
    }

    /// A resource data item.
    pub fn data(&self, key: &str) -> Option<Value> {
        self.with_resource(|r| r.data.get(key).cloned()).flatten()
    }

    /// Sets a resource data item.
    pub fn set_data(&self, key: &str, value: Value) {
        self.with_resource(|r| r.data.insert(key.to_string(), value));
    }
}

fn heat_failure(name: &str, e: &HeatError) -> ResourceFailure {
    ResourceFailure::new(name, e.type_name(), e.to_string())
}

/// Runs `op` over the nodes of `deps` (node → the nodes it waits for), each once all it
/// waits for succeeded, independent ones in parallel. With `stop_on_failure`, the first
/// failure cancels the running ones and starts no more. Returns the first failure.
pub(crate) async fn run_graph(
    deps: BTreeMap<String, BTreeSet<String>>,
    cancel: &CancelToken,
    stop_on_failure: bool,
    op: impl Fn(String, CancelToken) -> BoxFut<Result<(), ResourceFailure>>,
) -> Result<(), ResourceFailure> {
    let local = cancel.child();
    let mut pending: BTreeMap<String, BTreeSet<String>> = deps
        .iter()
        .map(|(n, d)| (n.clone(), d.iter().filter(|x| deps.contains_key(*x)).cloned().collect()))
        .collect();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut running = JoinSet::new();
    let mut first: Option<ResourceFailure> = None;
    loop {
        if first.is_none() && !local.is_cancelled() {
            let ready: Vec<String> = pending
                .iter()
                .filter(|(_, d)| d.iter().all(|x| done.contains(x)))
                .map(|(n, _)| n.clone())
                .collect();
            for name in ready {
                pending.remove(&name);
                let fut = op(name.clone(), local.clone());
                running.spawn(async move { (name, fut.await) });
            }
        }
        match running.join_next().await {
            None => break,
            Some(Ok((name, Ok(())))) => {
                done.insert(name);
            }
            Some(Ok((_, Err(f)))) => {
                if first.is_none() {
                    first = Some(f);
                    if stop_on_failure {
                        local.cancel();
                    }
                }
            }
            Some(Err(e)) => {
                warn!(error = %e, "a resource task panicked");
                first.get_or_insert(ResourceFailure {
                    error: "Exception".into(),
                    path: vec![],
                    message: format!("resource task failed: {e}"),
                });
                if stop_on_failure {
                    local.cancel();
                }
            }
        }
    }
    match first {
        Some(f) => Err(f),
        None if !pending.is_empty() => Err(ResourceFailure {
            error: String::new(),
            path: vec![],
            message: "aborted".into(),
        }),
        None => Ok(()),
    }
}

/// Re-reads the attributes of the live resources `def` reads with `get_attr`.
async fn refresh_refs(inner: &Arc<Inner>, stack_id: &str, snippets: &[&Value]) {
    let targets: Vec<(String, Kind, String, Principal)> = inner
        .with_stack(stack_id, |s| {
            let version = s.template.version;
            let mut out: Vec<(String, Kind, String, Principal)> = Vec::new();
            for snippet in snippets {
                let refs = functions::references(snippet, version, "", &|p| s.params.values.get(p).cloned())
                    .unwrap_or_default();
                for r in refs.into_iter().filter(|r| r.attribute.is_some()) {
                    if let Some(res) = s.resources.get(&r.resource)
                        && res.kind.is_live()
                        && res.ready()
                        && let Some(id) = &res.physical_id
                        && !out.iter().any(|(n, ..)| n == &r.resource)
                    {
                        out.push((r.resource.clone(), res.kind.clone(), id.clone(), s.principal.clone()));
                    }
                }
            }
            out
        })
        .unwrap_or_default();
    for (name, kind, id, who) in targets {
        let rc = ResCtx {
            inner: inner.clone(),
            stack_id: stack_id.to_string(),
            name: name.clone(),
            who,
            cancel: CancelToken::new(),
            action: Action::Create,
        };
        if let Some(attrs) = resources::refresh(&rc, &kind, &id).await {
            rc.set_attrs(attrs);
        }
    }
}

/// Re-reads every live resource that the stack's outputs read (before showing them).
pub(crate) async fn refresh_outputs(inner: &Arc<Inner>, stack_id: &str) {
    let outputs: Vec<Value> = inner
        .with_stack(stack_id, |s| {
            s.template.outputs.iter().map(|o| o.value.clone()).collect()
        })
        .unwrap_or_default();
    let refs: Vec<&Value> = outputs.iter().collect();
    refresh_refs(inner, stack_id, &refs).await;
}

/// Resolves and checks a resource's properties from the stack's current template.
fn resolve_props(inner: &Inner, stack_id: &str, name: &str) -> Result<(Kind, Map<String, Value>), HeatError> {
    let store = inner.lock();
    let stack = store
        .stacks
        .get(stack_id)
        .ok_or_else(|| HeatError::stack_not_found(stack_id))?;
    let def = stack
        .template
        .resource(name)
        .ok_or_else(|| HeatError::ResourceNotFound {
            resource: name.to_string(),
            stack: stack.name.clone(),
        })?;
    let kind = Kind::from_type(&def.type_name, &stack.files)?;
    let scope = StackScope::new(&store, stack);
    let resolved = functions::resolve(&Value::Object(def.properties.clone()), &scope)?;
    let map = resolved.as_object().cloned().unwrap_or_default();
    // Heat drops properties that resolve to null (e.g. a get_attr of nothing).
    let map: Map<String, Value> = map.into_iter().filter(|(_, v)| !v.is_null()).collect();
    let coerced = resources::coerce(&kind, name, &map)?;
    Ok((kind, coerced))
}

fn rc_for(inner: &Arc<Inner>, stack_id: &str, name: &str, cancel: CancelToken, action: Action) -> ResCtx {
    let who = inner.with_stack(stack_id, |s| s.principal.clone()).unwrap_or_default();
    ResCtx {
        inner: inner.clone(),
        stack_id: stack_id.to_string(),
        name: name.to_string(),
        who,
        cancel,
        action,
    }
}

/// Creates one resource of the stack (its state must exist).
pub(crate) fn create_resource(
    inner: Arc<Inner>,
    stack_id: String,
    name: String,
    cancel: CancelToken,
) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let span = info_span!("heat_resource", stack_id = %stack_id, resource = %name, action = "CREATE");
        async {
            let snippet = inner
                .with_stack(&stack_id, |s| {
                    s.set_resource_state(&name, Action::Create, Status::InProgress, "state changed");
                    s.template.resource(&name).map(|d| Value::Object(d.properties.clone()))
                })
                .flatten()
                .unwrap_or(Value::Null);
            refresh_refs(&inner, &stack_id, &[&snippet]).await;
            let rc = rc_for(&inner, &stack_id, &name, cancel, Action::Create);
            let result = match resolve_props(&inner, &stack_id, &name) {
                Err(e) => Err(heat_failure(&name, &e)),
                Ok((kind, props)) => {
                    rc.with_resource(|r| {
                        r.props = Some(props.clone());
                        r.kind = kind.clone();
                    });
                    resources::create(&rc, &kind, &props).await
                }
            };
            inner.with_stack(&stack_id, |s| match &result {
                Ok(()) => s.set_resource_state(&name, Action::Create, Status::Complete, "state changed"),
                Err(f) => s.set_resource_state(&name, Action::Create, Status::Failed, f.to_string()),
            });
            match &result {
                Ok(()) => debug!("resource created"),
                Err(f) => info!(reason = %f, "resource create failed"),
            }
            result
        }
        .instrument(span)
        .await
    })
}

/// Deletes one resource of the stack (or a replaced one: `backup`).
pub(crate) fn delete_resource(
    inner: Arc<Inner>,
    stack_id: String,
    name: String,
    cancel: CancelToken,
    backup: Option<ResourceState>,
) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let span = info_span!("heat_resource", stack_id = %stack_id, resource = %name, action = "DELETE");
        async {
            let rc = rc_for(&inner, &stack_id, &name, cancel, Action::Delete);
            if let Some(b) = backup {
                if b.definition.deletion_policy == DeletionPolicy::Retain {
                    return Ok(());
                }
                return resources::delete(&rc, &b).await;
            }
            let Some(state) = rc.with_resource(|r| r.clone()) else {
                return Ok(());
            };
            if state.action == Action::Init || (state.action == Action::Delete && state.status == Status::Complete) {
                return Ok(());
            }
            if state.definition.deletion_policy == DeletionPolicy::Retain {
                rc.with_stack(|s| s.set_resource_state(&name, Action::Delete, Status::Complete, "state changed"));
                return Ok(());
            }
            rc.with_stack(|s| s.set_resource_state(&name, Action::Delete, Status::InProgress, "state changed"));
            let result = resources::delete(&rc, &state).await;
            rc.with_stack(|s| match &result {
                Ok(()) => s.set_resource_state(&name, Action::Delete, Status::Complete, "state changed"),
                Err(f) => s.set_resource_state(&name, Action::Delete, Status::Failed, f.to_string()),
            });
            result
        }
        .instrument(span)
        .await
    })
}

/// Updates one resource to its definition in the stack's (new) template: creates it if
/// new, leaves it if unchanged, updates it in place if every change is update-allowed,
/// replaces it otherwise.
fn update_resource(
    inner: Arc<Inner>,
    stack_id: String,
    name: String,
    cancel: CancelToken,
) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        enum Plan {
            Create,
            Replace,
            /// Update if the properties changed (`force`: in any case).
            Compare(Box<ResourceState>, bool),
        }
        let plan = inner.with_stack(&stack_id, |s| {
            let def = s.template.resource(&name).cloned()?;
            let kind = Kind::from_type(&def.type_name, &s.files).ok()?;
            let stack_name = s.name.clone();
            Some(match s.resources.get(&name) {
                None => {
                    s.resources
                        .insert(name.clone(), ResourceState::new(&stack_name, def, kind));
                    Plan::Create
                }
                Some(r) if r.action == Action::Init || (r.action == Action::Delete && r.status == Status::Complete) => {
                    s.resources
                        .insert(name.clone(), ResourceState::new(&stack_name, def, kind));
                    Plan::Create
                }
                // Heat's StackResource: a failed group or template resource that has its nested stack is
                // updated (its members decide), not replaced; a rollback so shrinks a group back.
                Some(r) if r.status == Status::Failed && r.kind == kind && kind.is_nested() && r.nested.is_some() => {
                    Plan::Compare(Box::new(r.clone()), true)
                }
                Some(r) if r.status == Status::Failed || r.kind != kind => Plan::Replace,
                Some(r) => Plan::Compare(Box::new(r.clone()), false),
            })
        });
        let Some(Some(plan)) = plan else {
            return Err(ResourceFailure::new(
                &name,
                "StackValidationFailed",
                "resource definition vanished",
            ));
        };
        let (old, force) = match plan {
            Plan::Create => return create_resource(inner, stack_id, name, cancel).await,
            Plan::Replace => return replace_resource(inner, stack_id, name, cancel).await,
            Plan::Compare(old, force) => (*old, force),
        };
        let snippet = inner
            .with_stack(&stack_id, |s| {
                s.template.resource(&name).map(|d| Value::Object(d.properties.clone()))
            })
            .flatten()
            .unwrap_or(Value::Null);
        refresh_refs(&inner, &stack_id, &[&snippet]).await;
        let (kind, new_props) = match resolve_props(&inner, &stack_id, &name) {
            Ok(x) => x,
            Err(e) => {
                let f = heat_failure(&name, &e);
                inner.with_stack(&stack_id, |s| {
                    s.set_resource_state(&name, Action::Update, Status::Failed, f.to_string());
                });
                return Err(f);
            }
        };
        let old_props = old.props.clone().unwrap_or_default();
        let (new_def, template_changed) = inner
            .with_stack(&stack_id, |s| {
                let def = s.template.resource(&name).cloned();
                let changed = match &kind {
                    Kind::Template(key) => {
                        old.data.get("template").and_then(Value::as_str) != s.files.get(key).map(String::as_str)
                    }
                    _ => false,
                };
                (def, changed)
            })
            .unwrap_or((None, false));
        let Some(new_def) = new_def else { return Ok(()) };
        let changed: Vec<String> = old_props
            .keys()
            .chain(new_props.keys())
            .filter(|k| old_props.get(*k) != new_props.get(*k))
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if changed.is_empty() && !template_changed && !force {
            inner.with_stack(&stack_id, |s| {
                if let Some(r) = s.resources.get_mut(&name) {
                    r.definition = new_def;
                }
            });
            return Ok(());
        }
        if !changed.iter().all(|k| kind.update_allowed(k)) {
            debug!(resource = %name, ?changed, "properties changed that need replacement");
            return replace_resource(inner, stack_id, name, cancel).await;
        }
        let span = info_span!("heat_resource", stack_id = %stack_id, resource = %name, action = "UPDATE");
        async {
            inner.with_stack(&stack_id, |s| {
                if let Some(r) = s.resources.get_mut(&name) {
                    r.definition = new_def;
                }
                s.set_resource_state(&name, Action::Update, Status::InProgress, "state changed");
            });
            let rc = rc_for(&inner, &stack_id, &name, cancel, Action::Update);
            let result = resources::update(&rc, &kind, &old_props, &new_props).await;
            inner.with_stack(&stack_id, |s| match &result {
                Ok(()) => {
                    if let Some(r) = s.resources.get_mut(&name) {
                        r.props = Some(new_props.clone());
                    }
                    s.set_resource_state(&name, Action::Update, Status::Complete, "state changed");
                }
                Err(f) => s.set_resource_state(&name, Action::Update, Status::Failed, f.to_string()),
            });
            result
        }
        .instrument(span)
        .await
    })
}

/// Replaces a resource: the old one is kept aside (deleted once the update is done),
/// a new one is created under the same name.
fn replace_resource(
    inner: Arc<Inner>,
    stack_id: String,
    name: String,
    cancel: CancelToken,
) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let ok = inner
            .with_stack(&stack_id, |s| {
                let def = s.template.resource(&name).cloned()?;
                let kind = Kind::from_type(&def.type_name, &s.files).ok()?;
                let stack_name = s.name.clone();
                if let Some(old) = s.resources.remove(&name) {
                    s.backups.push(old);
                }
                s.resources
                    .insert(name.clone(), ResourceState::new(&stack_name, def, kind));
                Some(())
            })
            .flatten();
        if ok.is_none() {
            return Err(ResourceFailure::new(
                &name,
                "StackValidationFailed",
                "resource definition vanished",
            ));
        }
        info!(stack_id = %stack_id, resource = %name, "replacing resource");
        create_resource(inner, stack_id, name, cancel).await
    })
}

/// Deletes the resources a stack no longer has (`names`), dependents first (by the old
/// graph), then the replaced ones kept aside.
async fn delete_leftovers(
    inner: &Arc<Inner>,
    stack_id: &str,
    names: Vec<String>,
    old_graph: &Graph,
    cancel: &CancelToken,
) -> Result<(), ResourceFailure> {
    let set: BTreeSet<String> = names.iter().cloned().collect();
    let deps: BTreeMap<String, BTreeSet<String>> = names
        .iter()
        .map(|n| {
            (
                n.clone(),
                old_graph
                    .required_by(n)
                    .into_iter()
                    .filter(|d| set.contains(d))
                    .collect(),
            )
        })
        .collect();
    let i = inner.clone();
    let sid = stack_id.to_string();
    run_graph(deps, cancel, false, move |n, c| {
        delete_resource(i.clone(), sid.clone(), n, c, None)
    })
    .await?;
    inner.with_stack(stack_id, |s| {
        for n in &names {
            if s.resources
                .get(n)
                .is_some_and(|r| r.action == Action::Delete && r.status == Status::Complete)
                || s.resources.get(n).is_some_and(|r| r.action == Action::Init)
            {
                s.resources.remove(n);
            }
        }
    });
    delete_backups(inner, stack_id, cancel).await
}

async fn delete_backups(inner: &Arc<Inner>, stack_id: &str, cancel: &CancelToken) -> Result<(), ResourceFailure> {
    let backups = inner
        .with_stack(stack_id, |s| std::mem::take(&mut s.backups))
        .unwrap_or_default();
    let mut first = None;
    let mut kept = Vec::new();
    for b in backups {
        let r = delete_resource(
            inner.clone(),
            stack_id.to_string(),
            b.name.clone(),
            cancel.clone(),
            Some(b.clone()),
        )
        .await;
        if let Err(f) = r {
            first.get_or_insert(f);
            kept.push(b);
        }
    }
    inner.with_stack(stack_id, |s| s.backups.extend(kept));
    first.map_or(Ok(()), Err)
}

/// Creates every resource of a stack.
fn create_all(inner: Arc<Inner>, stack_id: String, cancel: CancelToken) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let deps = inner
            .with_stack(&stack_id, |s| {
                s.graph
                    .nodes()
                    .map(|n| (n.clone(), s.graph.requires(n).cloned().collect()))
                    .collect()
            })
            .unwrap_or_default();
        let i = inner.clone();
        let sid = stack_id.clone();
        run_graph(deps, &cancel, true, move |n, c| {
            create_resource(i.clone(), sid.clone(), n, c)
        })
        .await
    })
}

/// Deletes every resource of a stack, dependents first.
fn delete_all(inner: Arc<Inner>, stack_id: String, cancel: CancelToken) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let deps: BTreeMap<String, BTreeSet<String>> = inner
            .with_stack(&stack_id, |s| {
                s.resources
                    .keys()
                    .map(|n| {
                        let by: BTreeSet<String> = s
                            .graph
                            .required_by(n)
                            .into_iter()
                            .filter(|d| s.resources.contains_key(d))
                            .collect();
                        (n.clone(), by)
                    })
                    .collect()
            })
            .unwrap_or_default();
        let i = inner.clone();
        let sid = stack_id.clone();
        let result = run_graph(deps, &cancel, false, move |n, c| {
            delete_resource(i.clone(), sid.clone(), n, c, None)
        })
        .await;
        let backups = delete_backups(&inner, &stack_id, &cancel).await;
        result.and(backups)
    })
}

/// Runs `fut` within `limit`; past it, cancels and waits for it to wind down.
async fn timed(
    limit: Option<Duration>,
    cancel: &CancelToken,
    fut: BoxFut<Result<(), ResourceFailure>>,
) -> Result<(), ActionFailure> {
    if limit == Some(Duration::ZERO) {
        cancel.cancel();
        return Err(ActionFailure::TimedOut);
    }
    let mut fut = fut;
    let sleep = async {
        match limit {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = &mut fut => r.map_err(|f| if cancel.is_cancelled() { ActionFailure::Cancelled } else { ActionFailure::Failed(f) }),
        _ = sleep => {
            cancel.cancel();
            let _ = fut.await;
            Err(ActionFailure::TimedOut)
        }
    }
}

fn limit(inner: &Inner, stack_id: &str) -> Option<Duration> {
    if inner
        .with_stack(stack_id, |s| std::mem::take(&mut s.forced_timeout))
        .unwrap_or(false)
    {
        return Some(Duration::ZERO);
    }
    let mins = inner.with_stack(stack_id, |s| s.timeout_mins).flatten()?;
    Some(
        inner
            .config
            .minute
            .saturating_mul(u32::try_from(mins).unwrap_or(u32::MAX)),
    )
}

/// The create action of a stack, to its end state (rollback included).
pub(crate) fn create_task(
    inner: Arc<Inner>,
    stack_id: String,
    cancel: CancelToken,
) -> BoxFut<Result<(), ActionFailure>> {
    Box::pin(async move {
        let limit = limit(&inner, &stack_id);
        let outcome = timed(
            limit,
            &cancel,
            create_all(inner.clone(), stack_id.clone(), cancel.clone()),
        )
        .await;
        let rollback = inner.with_stack(&stack_id, |s| !s.disable_rollback).unwrap_or(false);
        inner.with_stack(&stack_id, |s| match &outcome {
            Ok(()) => s.set_state(Action::Create, Status::Complete, "Stack CREATE completed successfully"),
            Err(ActionFailure::Failed(f)) => {
                s.set_state(Action::Create, Status::Failed, format!("Resource CREATE failed: {f}"))
            }
            Err(ActionFailure::TimedOut) => s.set_state(Action::Create, Status::Failed, "Create timed out"),
            Err(ActionFailure::Cancelled) => {
                s.set_state(Action::Create, Status::Failed, "Resource CREATE failed: CREATE aborted")
            }
        });
        if outcome.is_err() && rollback && !matches!(outcome, Err(ActionFailure::Cancelled)) {
            inner.with_stack(&stack_id, |s| {
                s.set_state(Action::Rollback, Status::InProgress, "Stack ROLLBACK started")
            });
            let r = delete_all(inner.clone(), stack_id.clone(), CancelToken::new()).await;
            inner.with_stack(&stack_id, |s| match &r {
                Ok(()) => s.set_state(
                    Action::Rollback,
                    Status::Complete,
                    "Stack ROLLBACK completed successfully",
                ),
                Err(f) => s.set_state(
                    Action::Rollback,
                    Status::Failed,
                    format!("Resource ROLLBACK failed: {f}"),
                ),
            });
        }
        outcome
    })
}

/// The delete action of a stack.
pub(crate) fn delete_task(
    inner: Arc<Inner>,
    stack_id: String,
    cancel: CancelToken,
) -> BoxFut<Result<(), ActionFailure>> {
    Box::pin(async move {
        inner.with_stack(&stack_id, |s| {
            s.set_state(Action::Delete, Status::InProgress, "Stack DELETE started")
        });
        let r = delete_all(inner.clone(), stack_id.clone(), cancel).await;
        inner.with_stack(&stack_id, |s| match &r {
            Ok(()) => {
                s.set_state(Action::Delete, Status::Complete, "Stack DELETE completed successfully");
                s.deleted = Some(now());
            }
            Err(f) => s.set_state(Action::Delete, Status::Failed, format!("Resource DELETE failed: {f}")),
        });
        r.map_err(ActionFailure::Failed)
    })
}

/// What an update swaps in, and what a rollback swaps back.
fn swap_in(s: &mut StackState, p: &Prepared) -> Prepared {
    let old = Prepared {
        template: s.template.clone(),
        params: s.params.clone(),
        user_params: s.user_params.clone(),
        files: s.files.clone(),
        environment: s.environment.clone(),
        graph: s.graph.clone(),
        disable_rollback: s.disable_rollback,
        timeout_mins: s.timeout_mins,
        tags: s.tags.clone(),
    };
    s.template = p.template.clone();
    s.params = p.params.clone();
    s.user_params = p.user_params.clone();
    s.files = p.files.clone();
    s.environment = p.environment.clone();
    s.graph = p.graph.clone();
    s.disable_rollback = p.disable_rollback;
    s.timeout_mins = p.timeout_mins;
    s.tags = p.tags.clone();
    old
}

/// Updates a stack's resources to `p` (the stack state already switched), then
/// deletes what the new template dropped.
fn update_all(
    inner: Arc<Inner>,
    stack_id: String,
    old_graph: Graph,
    cancel: CancelToken,
) -> BoxFut<Result<(), ResourceFailure>> {
    Box::pin(async move {
        let (deps, removed) = inner
            .with_stack(&stack_id, |s| {
                let deps: BTreeMap<String, BTreeSet<String>> = s
                    .graph
                    .nodes()
                    .map(|n| (n.clone(), s.graph.requires(n).cloned().collect()))
                    .collect();
                let removed: Vec<String> = s
                    .resources
                    .keys()
                    .filter(|n| s.template.resource(n).is_none())
                    .cloned()
                    .collect();
                (deps, removed)
            })
            .unwrap_or_default();
        let i = inner.clone();
        let sid = stack_id.clone();
        run_graph(deps, &cancel, true, move |n, c| {
            update_resource(i.clone(), sid.clone(), n, c)
        })
        .await?;
        delete_leftovers(&inner, &stack_id, removed, &old_graph, &cancel).await
    })
}

/// The update action of a stack, to its end state (rollback included).
pub(crate) fn update_task(
    inner: Arc<Inner>,
    stack_id: String,
    p: Prepared,
    cancel: CancelToken,
) -> BoxFut<Result<(), ActionFailure>> {
    Box::pin(async move {
        let old = inner.with_stack(&stack_id, |s| {
            let old = swap_in(s, &p);
            s.updated = Some(bump(s.updated));
            s.set_state(Action::Update, Status::InProgress, "Stack UPDATE started");
            old
        });
        let Some(old) = old else {
            return Err(ActionFailure::Cancelled);
        };
        let limit = limit(&inner, &stack_id);
        let outcome = timed(
            limit,
            &cancel,
            update_all(inner.clone(), stack_id.clone(), old.graph.clone(), cancel.clone()),
        )
        .await;
        match &outcome {
            Ok(()) => {
                inner.with_stack(&stack_id, |s| {
                    s.updated = Some(bump(s.updated));
                    s.set_state(Action::Update, Status::Complete, "Stack UPDATE completed successfully");
                });
            }
            Err(ActionFailure::Failed(f)) if !p.disable_rollback => {
                inner.with_stack(&stack_id, |s| {
                    s.reason = f.to_string();
                    s.set_state(Action::Rollback, Status::InProgress, "Stack ROLLBACK started");
                });
                let r = rollback(inner.clone(), stack_id.clone(), old).await;
                inner.with_stack(&stack_id, |s| {
                    s.updated = Some(bump(s.updated));
                    match &r {
                        Ok(()) => s.set_state(
                            Action::Rollback,
                            Status::Complete,
                            "Stack ROLLBACK completed successfully",
                        ),
                        Err(f) => s.set_state(Action::Rollback, Status::Failed, f.to_string()),
                    }
                });
            }
            Err(e) => {
                let reason = match e {
                    ActionFailure::Failed(f) => f.to_string(),
                    ActionFailure::TimedOut => "Timed out".to_string(),
                    ActionFailure::Cancelled => "UPDATE aborted".to_string(),
                };
                inner.with_stack(&stack_id, |s| {
                    s.updated = Some(bump(s.updated));
                    s.set_state(Action::Update, Status::Failed, reason);
                });
            }
        }
        outcome
    })
}

/// Rolls a failed update back: replaced resources come back, then the stack is updated
/// to the old template.
async fn rollback(inner: Arc<Inner>, stack_id: String, old: Prepared) -> Result<(), ResourceFailure> {
    let cancel = CancelToken::new();
    let backups = inner
        .with_stack(&stack_id, |s| std::mem::take(&mut s.backups))
        .unwrap_or_default();
    for b in backups {
        let name = b.name.clone();
        delete_resource(inner.clone(), stack_id.clone(), name.clone(), cancel.clone(), None).await?;
        inner.with_stack(&stack_id, |s| {
            s.resources.insert(name, b);
        });
    }
    let new_graph = inner.with_stack(&stack_id, |s| {
        swap_in(s, &old);
        s.graph.clone()
    });
    let Some(_) = new_graph else { return Ok(()) };
    let failed_graph = inner
        .with_stack(&stack_id, |s| {
            // Resources only the failed template had are deleted with their own order.
            let names: Vec<String> = s.resources.keys().cloned().collect();
            let deps = names.iter().map(|n| (n.clone(), BTreeSet::new())).collect();
            Graph::new(deps).unwrap_or_default()
        })
        .unwrap_or_default();
    update_all(inner, stack_id, failed_graph, cancel).await
}

/// Makes each update time later than the last at Heat's one-second resolution, so that
/// a client comparing `updated_time` before and after an update (Sahara does) always
/// sees it change.
fn bump(last: Option<chrono::DateTime<chrono::Utc>>) -> chrono::DateTime<chrono::Utc> {
    let t = now();
    match last {
        Some(l) if t <= l => l + chrono::Duration::seconds(1),
        _ => t,
    }
}

/// Creates the nested stack of a resource (resource group, template resource) and
/// runs its creation to the end.
pub(crate) async fn create_nested(
    rc: &ResCtx,
    template: Template,
    params: Map<String, Value>,
    files: BTreeMap<String, String>,
) -> Result<String, ResourceFailure> {
    let parent = rc.with_stack(|s| (s.principal.clone(), s.root_id.clone(), s.depth, s.name.clone()));
    let Some((principal, root_id, depth, _)) = parent else {
        return Err(rc.fail("NotFound", "parent stack vanished"));
    };
    if depth + 1 > rc.inner.config.max_nested_depth {
        return Err(rc.fail(
            "StackValidationFailed",
            format!("Recursion depth exceeds {}.", rc.inner.config.max_nested_depth),
        ));
    }
    let spec = NewStack {
        name: rc.physical_name(),
        principal,
        template,
        files,
        user_params: params,
        environment: Value::Object(Map::new()),
        owner: Some((rc.stack_id.clone(), rc.name.clone(), root_id, depth + 1)),
        disable_rollback: true,
        timeout_mins: None,
        tags: vec![],
    };
    let id = rc
        .inner
        .insert_stack(spec)
        .map_err(|e| rc.fail(e.type_name(), e.to_string()))?;
    rc.with_resource(|r| {
        r.nested = Some(id.clone());
        r.physical_id = Some(id.clone());
    });
    let outcome = create_task(rc.inner.clone(), id.clone(), rc.cancel.child()).await;
    match outcome {
        Ok(()) => Ok(id),
        Err(ActionFailure::Failed(f)) => Err(f.nested_in(&rc.name)),
        Err(_) => Err(rc.aborted()),
    }
}

/// Updates the nested stack of a resource to a new template and parameters.
pub(crate) async fn update_nested(
    rc: &ResCtx,
    template: Template,
    params: Map<String, Value>,
    files: BTreeMap<String, String>,
) -> Result<(), ResourceFailure> {
    let Some(nested) = rc.with_resource(|r| r.nested.clone()).flatten() else {
        return Err(rc.fail("NotFound", "the nested stack is gone"));
    };
    let prepared = rc
        .inner
        .prepare(&nested, template, params, files, None, true, None)
        .map_err(|e| rc.fail(e.type_name(), e.to_string()))?;
    match update_task(rc.inner.clone(), nested, prepared, rc.cancel.child()).await {
        Ok(()) => Ok(()),
        Err(ActionFailure::Failed(f)) => Err(f.nested_in(&rc.name)),
        Err(_) => Err(rc.aborted()),
    }
}

/// Deletes a nested stack.
pub(crate) async fn delete_nested_stack(rc: &ResCtx, nested: &str) -> Result<(), ResourceFailure> {
    match delete_task(rc.inner.clone(), nested.to_string(), rc.cancel.child()).await {
        Ok(()) => Ok(()),
        Err(ActionFailure::Failed(f)) => Err(f.nested_in(&rc.name)),
        Err(_) => Err(rc.aborted()),
    }
}
