//! The Heat service: its configuration, the store of stacks, and the operations the API
//! (and tests) call: create, update (PUT and PATCH), delete, find, list, show, outputs,
//! signal. Long actions run as tasks (see [`actions`](super::actions)); every operation
//! validates first and answers with Heat's errors.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::{Map, Value};
use tokio::sync::Notify;
use tracing::{Instrument, info, info_span};

use super::actions::{self, ActionFailure};
use super::backend::{Backend, Principal};
use super::cancel::CancelToken;
use super::error::{HeatError, Result};
use super::graph::Graph;
use super::parameters::Parameters;
use super::resources::{self, Kind};
use super::scope::StackScope;
use super::state::{Action, ResourceState, Running, StackState, Status, Store, now};
use super::template::{self, Template};
use super::validate;
use crate::naming::Prefix;

/// How the simulated Heat behaves.
#[derive(Debug, Clone)]
pub struct HeatConfig {
    /// Mints stack ids (they carry the cloud's prefix).
    pub prefix: Prefix,
    /// The Heat endpoint as instances reach it (the external network's host address),
    /// e.g. `http://10.251.0.1:8004/heat-api`: wait condition handles signal
    /// `<this>/v1/<project>/stacks/<name>/<id>/resources/<handle>/signal`.
    pub signal_base_url: String,
    /// How often resources are polled (server status, volume status, signals).
    pub poll_interval: Duration,
    /// The length of one of `timeout_mins`' minutes (60 s; tests shorten it).
    pub minute: Duration,
    /// Stacks with one of these tags are listed only with `show_hidden` (Heat's
    /// `hidden_stack_tags`, whose default is Sahara's tag).
    pub hidden_stack_tags: Vec<String>,
    /// Heat's `max_nested_stack_depth`.
    pub max_nested_depth: u32,
    /// Whether `curl_cli` carries `--insecure`.
    pub insecure_curl: bool,
}

impl HeatConfig {
    /// Heat's defaults, with the cloud's prefix and signal URL.
    pub fn new(prefix: Prefix, signal_base_url: impl Into<String>) -> HeatConfig {
        HeatConfig {
            prefix,
            signal_base_url: signal_base_url.into(),
            poll_interval: Duration::from_millis(200),
            minute: Duration::from_secs(60),
            hidden_stack_tags: vec!["data-processing-cluster".to_string()],
            max_nested_depth: 5,
            insecure_curl: false,
        }
    }
}

/// Shared state of the service.
pub(crate) struct Inner {
    pub backend: Arc<dyn Backend>,
    pub config: HeatConfig,
    store: Mutex<Store>,
    /// Woken on every signal (wait conditions re-check their handles).
    pub signals: Notify,
}

impl Inner {
    /// Locks the store (never held across an await).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on stack `id`.
    pub fn with_stack<R>(&self, id: &str, f: impl FnOnce(&mut StackState) -> R) -> Option<R> {
        self.lock().stacks.get_mut(id).map(f)
    }

    /// Validates and stores a new stack (state `CREATE_IN_PROGRESS`); returns its id.
    pub fn insert_stack(&self, spec: NewStack) -> Result<String> {
        let id = self.config.prefix.mint_id();
        let pseudo = [
            ("OS::stack_id", id.as_str()),
            ("OS::stack_name", spec.name.as_str()),
            ("OS::project_id", spec.principal.project_id.as_str()),
        ];
        let params = Parameters::resolve(
            &spec.template.parameters,
            &spec.user_params,
            spec.owner.is_none(),
            &pseudo,
        )?;
        let names: BTreeSet<String> = spec.template.parameters.iter().map(|p| p.name.clone()).collect();
        let depth = spec.owner.as_ref().map(|o| o.3).unwrap_or(0);
        let graph = validate::validate(&spec.template, &spec.files, &names, depth, self.config.max_nested_depth)?;
        let mut resources = BTreeMap::new();
        for def in &spec.template.resources {
            let kind = Kind::from_type(&def.type_name, &spec.files)?;
            resources.insert(def.name.clone(), ResourceState::new(&spec.name, def.clone(), kind));
        }
        let (owner_id, parent_resource, root_id) = match &spec.owner {
            Some((o, r, root, _)) => (Some(o.clone()), Some(r.clone()), root.clone()),
            None => (None, None, id.clone()),
        };
        let mut stack = StackState {
            id: id.clone(),
            name: spec.name,
            principal: spec.principal,
            owner_id,
            parent_resource,
            root_id,
            depth,
            template: spec.template,
            files: spec.files,
            user_params: spec.user_params,
            params,
            environment: spec.environment,
            graph,
            action: Action::Init,
            status: Status::Complete,
            reason: String::new(),
            created: now(),
            updated: None,
            deleted: None,
            disable_rollback: spec.disable_rollback,
            timeout_mins: spec.timeout_mins,
            tags: spec.tags,
            forced_timeout: false,
            resources,
            backups: Vec::new(),
            events: Vec::new(),
            running: None,
        };
        stack.set_state(Action::Create, Status::InProgress, "Stack CREATE started");
        let mut store = self.lock();
        if stack.owner_id.is_none() && store.by_name(&stack.principal.project_id, &stack.name).is_some() {
            return Err(HeatError::StackExists(stack.name));
        }
        store.stacks.insert(id.clone(), stack);
        Ok(id)
    }

    /// Validates an update of stack `id` to `template` with `params` (`None` fields keep
    /// the stack's values).
    #[allow(clippy::too_many_arguments)]
    pub fn prepare(
        &self,
        id: &str,
        template: Template,
        user_params: Map<String, Value>,
        files: BTreeMap<String, String>,
        timeout_mins: Option<Option<u64>>,
        disable_rollback: bool,
        tags: Option<Vec<String>>,
    ) -> Result<Prepared> {
        let (name, project, depth, nested, old_timeout, old_tags, env) = self
            .with_stack(id, |s| {
                (
                    s.name.clone(),
                    s.principal.project_id.clone(),
                    s.depth,
                    s.owner_id.is_some(),
                    s.timeout_mins,
                    s.tags.clone(),
                    s.environment.clone(),
                )
            })
            .ok_or_else(|| HeatError::stack_not_found(id))?;
        let pseudo = [
            ("OS::stack_id", id),
            ("OS::stack_name", name.as_str()),
            ("OS::project_id", project.as_str()),
        ];
        let params = Parameters::resolve(&template.parameters, &user_params, !nested, &pseudo)?;
        let names: BTreeSet<String> = template.parameters.iter().map(|p| p.name.clone()).collect();
        let graph = validate::validate(&template, &files, &names, depth, self.config.max_nested_depth)?;
        Ok(Prepared {
            template,
            params,
            user_params,
            files,
            environment: env,
            graph,
            disable_rollback,
            timeout_mins: timeout_mins.unwrap_or(old_timeout),
            tags: tags.unwrap_or(old_tags),
        })
    }
}

/// A stack to create.
pub(crate) struct NewStack {
    pub name: String,
    pub principal: Principal,
    pub template: Template,
    pub files: BTreeMap<String, String>,
    pub user_params: Map<String, Value>,
    pub environment: Value,
    /// Parent stack, parent resource, root stack, depth (nested stacks).
    pub owner: Option<(String, String, String, u32)>,
    pub disable_rollback: bool,
    pub timeout_mins: Option<u64>,
    pub tags: Vec<String>,
}

/// A validated update (or the state a rollback returns to).
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub template: Template,
    pub params: Parameters,
    pub user_params: Map<String, Value>,
    pub files: BTreeMap<String, String>,
    pub environment: Value,
    pub graph: Graph,
    pub disable_rollback: bool,
    pub timeout_mins: Option<u64>,
    pub tags: Vec<String>,
}

/// The body of a stack create or update (`POST /stacks`, `PUT`/`PATCH`), as Heat's
/// `InstantiationData` reads it.
#[derive(Debug, Clone, Default)]
pub struct StackRequest {
    /// `stack_name` (create only).
    pub stack_name: Option<String>,
    /// The template, parsed (a map, or the text of one).
    pub template: Option<Value>,
    /// `parameters`.
    pub parameters: Map<String, Value>,
    /// `files`.
    pub files: BTreeMap<String, String>,
    /// `environment` (its `parameters` and `parameter_defaults` are used).
    pub environment: Option<Value>,
    /// `timeout_mins`.
    pub timeout_mins: Option<u64>,
    /// `disable_rollback`.
    pub disable_rollback: Option<bool>,
    /// `tags`.
    pub tags: Option<Vec<String>>,
}

/// Heat's stack identity: what `POST /stacks` answers with and URLs are made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackIdentity {
    /// The project.
    pub tenant: String,
    /// The stack name.
    pub stack_name: String,
    /// The stack id.
    pub stack_id: String,
}

/// Filters of `GET /stacks`.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Names (any of).
    pub names: Vec<String>,
    /// Ids (any of).
    pub ids: Vec<String>,
    /// Statuses (`COMPLETE`, or `CREATE_COMPLETE`; any of).
    pub statuses: Vec<String>,
    /// Actions (any of).
    pub actions: Vec<String>,
    /// Include stacks with a hidden tag.
    pub show_hidden: bool,
    /// Include nested stacks.
    pub show_nested: bool,
    /// Include deleted stacks.
    pub show_deleted: bool,
    /// Must have all these tags.
    pub tags: Vec<String>,
    /// Must have one of these tags.
    pub tags_any: Vec<String>,
    /// Must not have all these tags.
    pub not_tags: Vec<String>,
    /// Must have none of these tags.
    pub not_tags_any: Vec<String>,
    /// At most this many.
    pub limit: Option<usize>,
    /// After this stack id.
    pub marker: Option<String>,
}

/// Who signals a wait condition handle.
#[derive(Debug, Clone)]
pub enum SignalAuth {
    /// A user of the stack's project (validated token).
    User(Principal),
    /// An instance, with the handle's token.
    Token(String),
}

/// One output of a stack, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// `output_key`.
    pub key: String,
    /// `description`.
    pub description: String,
    /// `output_value`.
    pub value: Value,
    /// `output_error`, when it could not be resolved.
    pub error: Option<String>,
}

/// The simulated Heat service. Cheap to clone.
#[derive(Clone)]
pub struct Heat {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Heat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Heat")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

fn parse_template(v: &Value) -> Result<Template> {
    match v {
        Value::String(text) => Template::from_value(&template::parse_str(text)?),
        other => Template::from_value(other),
    }
}

fn check_stack_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = name.len() <= 255
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(HeatError::validation(
            vec![],
            format!(
                "Invalid stack name {name} must contain only alphanumeric or \"_-.\" characters, must start with alpha and must be 255 characters or less."
            ),
        ))
    }
}

/// A request's environment: as given, its parameters merged under the request's, and
/// its parameter defaults.
type Environment = (Value, Map<String, Value>, Map<String, Value>);

/// The environment's parameters merged under the request's, and its parameter defaults.
fn environment(env: &Option<Value>, params: &Map<String, Value>) -> Result<Environment> {
    let env = match env {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(Value::String(s)) if s.trim().is_empty() => Value::Object(Map::new()),
        Some(Value::String(s)) => serde_yaml_ng::from_str::<Value>(s).map_err(|e| HeatError::Http {
            status: 400,
            message: format!("Environment not in valid format: {e}"),
        })?,
        Some(v) => v.clone(),
    };
    let map = env.as_object().cloned().unwrap_or_default();
    for key in map.keys() {
        match key.as_str() {
            "parameters" | "parameter_defaults" | "encrypted_param_names" | "event_sinks" => {}
            "resource_registry" if map[key].as_object().is_none_or(Map::is_empty) => {}
            "resource_registry" => {
                return Err(HeatError::NotSupported(
                    "A resource_registry (in this simulator)".into(),
                ));
            }
            other => {
                return Err(HeatError::Http {
                    status: 400,
                    message: format!("Environment not in valid format: environment has wrong section \"{other}\""),
                });
            }
        }
    }
    let mut merged = map
        .get("parameters")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    merged.extend(params.clone());
    let defaults = map
        .get("parameter_defaults")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    Ok((env, merged, defaults))
}

fn apply_defaults(template: &mut Template, defaults: &Map<String, Value>) {
    for p in &mut template.parameters {
        if let Some(d) = defaults.get(&p.name) {
            p.default = Some(d.clone());
        }
    }
}

impl Heat {
    /// A Heat realising resources through `backend`.
    pub fn new(backend: Arc<dyn Backend>, config: HeatConfig) -> Heat {
        Heat {
            inner: Arc::new(Inner {
                backend,
                config,
                store: Mutex::new(Store::default()),
                signals: Notify::new(),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &HeatConfig {
        &self.inner.config
    }

    fn spawn(
        &self,
        id: &str,
        action: &'static str,
        work: impl FnOnce(CancelToken) -> actions::BoxFut<std::result::Result<(), ActionFailure>>,
    ) {
        let cancel = CancelToken::new();
        let running = Running {
            cancel: cancel.clone(),
            done: Arc::new(Notify::new()),
            ended: Arc::new(AtomicBool::new(false)),
        };
        let previous = self
            .inner
            .with_stack(id, |s| s.running.replace(running.clone()))
            .flatten();
        let fut = work(cancel);
        let inner = self.inner.clone();
        let stack_id = id.to_string();
        let span = info_span!("heat_stack", stack_id = %stack_id, action);
        tokio::spawn(
            async move {
                if let Some(p) = previous {
                    p.cancel.cancel();
                    while !p.ended.load(Ordering::SeqCst) {
                        let notified = p.done.notified();
                        if p.ended.load(Ordering::SeqCst) {
                            break;
                        }
                        let _ = tokio::time::timeout(Duration::from_millis(100), notified).await;
                    }
                }
                let outcome = fut.await;
                info!(?outcome, "stack action ended");
                running.ended.store(true, Ordering::SeqCst);
                running.done.notify_waiters();
                inner.with_stack(&stack_id, |s| {
                    if s.running
                        .as_ref()
                        .is_some_and(|r| Arc::ptr_eq(&r.ended, &running.ended))
                    {
                        s.running = None;
                    }
                });
            }
            .instrument(span),
        );
    }

    /// `POST /stacks`: validates and starts creating; answers the new stack's identity.
    pub fn create_stack(&self, who: &Principal, req: StackRequest) -> Result<StackIdentity> {
        let name = req.stack_name.clone().ok_or(HeatError::Http {
            status: 400,
            message: "No stack name specified".into(),
        })?;
        check_stack_name(&name)?;
        let raw = req.template.as_ref().ok_or(HeatError::Http {
            status: 400,
            message: "No template specified".into(),
        })?;
        let mut template = parse_template(raw)?;
        let (env, params, defaults) = environment(&req.environment, &req.parameters)?;
        apply_defaults(&mut template, &defaults);
        let spec = NewStack {
            name: name.clone(),
            principal: who.clone(),
            template,
            files: req.files,
            user_params: params,
            environment: env,
            owner: None,
            disable_rollback: req.disable_rollback.unwrap_or(true),
            timeout_mins: req.timeout_mins,
            tags: req.tags.unwrap_or_default(),
        };
        let id = self.inner.insert_stack(spec)?;
        if self.inner.backend.stack_timeout_fault(who, &name) {
            info!(stack = %name, "injected fault: this stack times out");
            self.inner.with_stack(&id, |s| s.forced_timeout = true);
        }
        info!(stack = %name, stack_id = %id, "stack create started");
        let inner = self.inner.clone();
        let sid = id.clone();
        self.spawn(&id, "CREATE", move |cancel| actions::create_task(inner, sid, cancel));
        Ok(StackIdentity {
            tenant: who.project_id.clone(),
            stack_name: name,
            stack_id: id,
        })
    }

    /// `PUT` (or, with `patch`, `PATCH`) `/stacks/{name}/{id}`: validates and starts
    /// updating.
    pub fn update_stack(&self, who: &Principal, id: &str, req: StackRequest, patch: bool) -> Result<()> {
        let current = self.stack(&who.project_id, id)?;
        if current.status == Status::InProgress {
            return Err(HeatError::ActionInProgress {
                stack: current.name.clone(),
                action: current.action.as_str().into(),
            });
        }
        if current.is_deleted() {
            return Err(HeatError::stack_not_found(id));
        }
        let mut template = match (&req.template, patch) {
            (Some(t), _) => parse_template(t)?,
            (None, true) => current.template.clone(),
            (None, false) => {
                return Err(HeatError::Http {
                    status: 400,
                    message: "No template specified".into(),
                });
            }
        };
        let (_, mut params, defaults) = environment(&req.environment, &req.parameters)?;
        apply_defaults(&mut template, &defaults);
        let mut files = req.files.clone();
        if patch {
            let mut merged = current.user_params.clone();
            merged.extend(params);
            params = merged;
            let mut f = current.files.clone();
            f.extend(files);
            files = f;
        }
        let prepared = self.inner.prepare(
            id,
            template,
            params,
            files,
            req.timeout_mins.map(Some),
            req.disable_rollback.unwrap_or(current.disable_rollback),
            req.tags.clone(),
        )?;
        info!(stack = %current.name, stack_id = %id, "stack update started");
        let inner = self.inner.clone();
        let sid = id.to_string();
        self.inner.with_stack(id, |s| {
            s.action = Action::Update;
            s.status = Status::InProgress;
        });
        self.spawn(id, "UPDATE", move |cancel| {
            actions::update_task(inner, sid, prepared, cancel)
        });
        Ok(())
    }

    /// `DELETE /stacks/{name}/{id}`: starts deleting (an action in progress is
    /// cancelled first).
    pub fn delete_stack(&self, who: &Principal, id: &str) -> Result<()> {
        let current = self.stack(&who.project_id, id)?;
        if current.is_deleted() {
            return Err(HeatError::stack_not_found(id));
        }
        info!(stack = %current.name, stack_id = %id, "stack delete started");
        let inner = self.inner.clone();
        let sid = id.to_string();
        self.spawn(id, "DELETE", move |cancel| actions::delete_task(inner, sid, cancel));
        Ok(())
    }

    /// The stack `name_or_id` of `project` (live stacks by name; any by id): its name
    /// and id (what `GET /stacks/{name}` redirects to).
    pub fn identify(&self, project: &str, name_or_id: &str) -> Result<StackIdentity> {
        let store = self.inner.lock();
        let s = store
            .by_name(project, name_or_id)
            .or_else(|| {
                store
                    .stacks
                    .get(name_or_id)
                    .filter(|s| s.principal.project_id == project)
            })
            .ok_or_else(|| HeatError::stack_not_found(name_or_id))?;
        Ok(StackIdentity {
            tenant: project.to_string(),
            stack_name: s.name.clone(),
            stack_id: s.id.clone(),
        })
    }

    /// A snapshot of stack `id` of `project`.
    pub fn stack(&self, project: &str, id: &str) -> Result<StackState> {
        let store = self.inner.lock();
        store
            .stacks
            .get(id)
            .filter(|s| s.principal.project_id == project)
            .cloned()
            .ok_or_else(|| HeatError::stack_not_found(id))
    }

    /// A snapshot of stack `id` whatever its project (for admin and tests).
    pub fn stack_any(&self, id: &str) -> Option<StackState> {
        self.inner.lock().stacks.get(id).cloned()
    }

    /// The stacks of `project` (all projects with `None`) that pass `filter`, newest
    /// first.
    pub fn list(&self, project: Option<&str>, filter: &ListFilter) -> Vec<StackState> {
        let store = self.inner.lock();
        let hidden = &self.inner.config.hidden_stack_tags;
        let status_ok = |s: &StackState| {
            filter.statuses.is_empty()
                || filter
                    .statuses
                    .iter()
                    .any(|st| st == s.status.as_str() || *st == s.status_text())
        };
        let mut out: Vec<StackState> = store
            .stacks
            .values()
            .filter(|s| project.is_none_or(|p| s.principal.project_id == p))
            .filter(|s| filter.show_deleted || !s.is_deleted())
            .filter(|s| filter.show_nested || s.owner_id.is_none())
            .filter(|s| filter.show_hidden || !s.tags.iter().any(|t| hidden.contains(t)))
            .filter(|s| filter.names.is_empty() || filter.names.contains(&s.name))
            .filter(|s| filter.ids.is_empty() || filter.ids.contains(&s.id))
            .filter(|s| filter.actions.is_empty() || filter.actions.iter().any(|a| a == s.action.as_str()))
            .filter(|s| status_ok(s))
            .filter(|s| filter.tags.iter().all(|t| s.tags.contains(t)))
            .filter(|s| filter.tags_any.is_empty() || filter.tags_any.iter().any(|t| s.tags.contains(t)))
            .filter(|s| filter.not_tags.is_empty() || !filter.not_tags.iter().all(|t| s.tags.contains(t)))
            .filter(|s| !filter.not_tags_any.iter().any(|t| s.tags.contains(t)))
            .map(|s| {
                let mut c = s.clone();
                c.events.clear();
                c
            })
            .collect();
        out.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id)));
        if let Some(m) = &filter.marker
            && let Some(pos) = out.iter().position(|s| &s.id == m)
        {
            out.drain(..=pos);
        }
        if let Some(l) = filter.limit {
            out.truncate(l);
        }
        out
    }

    /// The resolved outputs of stack `id` (live attributes re-read first).
    pub async fn outputs(&self, id: &str) -> Vec<Output> {
        actions::refresh_outputs(&self.inner, id).await;
        let store = self.inner.lock();
        let Some(stack) = store.stacks.get(id) else {
            return vec![];
        };
        StackScope::new(&store, stack)
            .outputs()
            .into_iter()
            .map(|(key, description, value, error)| Output {
                key,
                description,
                value,
                error,
            })
            .collect()
    }

    /// Signals resource `resource` of stack `id` (a wait condition handle).
    pub fn signal(&self, id: &str, resource: &str, body: &Value, auth: &SignalAuth) -> Result<()> {
        let result = self.inner.with_stack(id, |s| {
            let stack_name = s.name.clone();
            let project = s.principal.project_id.clone();
            let Some(r) = s.resources.get_mut(resource) else {
                return Err(HeatError::ResourceNotFound {
                    resource: resource.into(),
                    stack: stack_name,
                });
            };
            let authorised = match auth {
                SignalAuth::User(p) => p.project_id == project,
                SignalAuth::Token(t) => r.data.get("token").and_then(Value::as_str) == Some(t.as_str()),
            };
            if !authorised {
                return Err(HeatError::Http {
                    status: 401,
                    message: "Authentication required".into(),
                });
            }
            if r.kind != Kind::WaitConditionHandle {
                return Err(HeatError::Http {
                    status: 400,
                    message: "Signal is not supported for resource.".into(),
                });
            }
            let (sid, entry) = resources::normalise_signal(body, r.metadata.len()).map_err(HeatError::value_error)?;
            let reason = resources::signal_reason(&entry);
            r.metadata.insert(sid, Value::Object(entry));
            s.set_resource_state(resource, Action::Signal, Status::Complete, format!("Signal: {reason}"));
            if let Some(r) = s.resources.get_mut(resource) {
                // The handle stays CREATE_COMPLETE for its dependants.
                r.action = Action::Create;
            }
            Ok(())
        });
        let result = result.ok_or_else(|| HeatError::stack_not_found(id))?;
        if result.is_ok() {
            self.inner.signals.notify_waiters();
        }
        result
    }

    /// Waits until stack `id` has no action in progress (tests and the admin API), at
    /// most `limit`; returns its snapshot.
    pub async fn wait_idle(&self, id: &str, limit: Duration) -> Option<StackState> {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let s = self.stack_any(id)?;
            if s.status != Status::InProgress && s.running.is_none() {
                return Some(s);
            }
            if tokio::time::Instant::now() >= deadline {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_are_checked_like_heat() {
        assert!(check_stack_name("demo5a7c01e2").is_ok());
        assert!(check_stack_name("a-b_c.d").is_ok());
        assert!(check_stack_name("1abc").is_err());
        assert!(check_stack_name("a b").is_err());
    }
}
