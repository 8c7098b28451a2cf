//! What Heat keeps of its stacks: stacks (with their template, parameters, files,
//! status, events), their resources (status, physical id, resolved properties, cached
//! attributes, nested stack) and the store of every stack of the cloud.

use std::collections::BTreeMap;

use chrono::{DateTime, SubsecRound, Utc};
use serde_json::{Map, Value};

use super::backend::Principal;
use super::cancel::CancelToken;
use super::graph::Graph;
use super::parameters::Parameters;
use super::resources::Kind;
use super::template::{ResourceDefinition, Template};

/// A stack's or resource's action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Not acted on yet.
    Init,
    /// Being or having been created.
    Create,
    /// Updated.
    Update,
    /// Deleted.
    Delete,
    /// Rolled back.
    Rollback,
    /// Signalled (events of wait condition handles).
    Signal,
}

impl Action {
    /// Heat's name (`CREATE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Init => "INIT",
            Action::Create => "CREATE",
            Action::Update => "UPDATE",
            Action::Delete => "DELETE",
            Action::Rollback => "ROLLBACK",
            Action::Signal => "SIGNAL",
        }
    }

    /// `Create` for Heat's messages (`Create timed out`).
    pub fn title(self) -> String {
        let s = self.as_str();
        format!("{}{}", &s[..1], s[1..].to_lowercase())
    }
}

/// A stack's or resource's status within its action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Running.
    InProgress,
    /// Done.
    Complete,
    /// Failed.
    Failed,
}

impl Status {
    /// Heat's name (`IN_PROGRESS`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::InProgress => "IN_PROGRESS",
            Status::Complete => "COMPLETE",
            Status::Failed => "FAILED",
        }
    }
}

/// Heat's `isotime` (seconds, `Z`).
pub fn isotime(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Now, truncated to whole seconds as Heat stores times.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// One event of a stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its id.
    pub id: String,
    /// The resource (the stack's name for stack events).
    pub resource_name: String,
    /// The physical resource id (the stack id for stack events).
    pub physical_id: String,
    /// The action.
    pub action: String,
    /// The status.
    pub status: String,
    /// The reason.
    pub reason: String,
    /// The resource type (`OS::Heat::Stack` for stack events).
    pub resource_type: String,
    /// When.
    pub time: DateTime<Utc>,
    /// The resource's properties then (resolved, when known).
    pub properties: Value,
}

/// One resource of a stack.
#[derive(Debug, Clone)]
pub struct ResourceState {
    /// The logical name.
    pub name: String,
    /// The definition it was last created or updated from.
    pub definition: ResourceDefinition,
    /// Its kind (from the type).
    pub kind: Kind,
    /// Its action.
    pub action: Action,
    /// Its status.
    pub status: Status,
    /// Its status reason.
    pub reason: String,
    /// The physical resource id.
    pub physical_id: Option<String>,
    /// Heat's physical resource name (`<stack>-<name>-<short id>`), used for names the
    /// template leaves out.
    pub physical_name: String,
    /// Created at.
    pub created: Option<DateTime<Utc>>,
    /// Updated at.
    pub updated: Option<DateTime<Utc>>,
    /// The properties it was last created or updated with, resolved.
    pub props: Option<Map<String, Value>>,
    /// Cached attributes (the API representation of the physical resource and derived
    /// attributes).
    pub attrs: Map<String, Value>,
    /// The nested stack (resource groups, template resources).
    pub nested: Option<String>,
    /// Resource data (wait condition handle token, group skip list, ...).
    pub data: Map<String, Value>,
    /// Resource metadata (a handle's signals).
    pub metadata: Map<String, Value>,
}

impl ResourceState {
    /// A resource not created yet.
    pub fn new(stack_name: &str, definition: ResourceDefinition, kind: Kind) -> ResourceState {
        ResourceState {
            name: definition.name.clone(),
            physical_name: physical_name(stack_name, &definition.name),
            definition,
            kind,
            action: Action::Init,
            status: Status::Complete,
            reason: String::new(),
            physical_id: None,
            created: None,
            updated: None,
            props: None,
            attrs: Map::new(),
            nested: None,
            data: Map::new(),
            metadata: Map::new(),
        }
    }

    /// Whether its attributes can be read (Heat: created and not being deleted).
    pub fn ready(&self) -> bool {
        matches!(
            self.action,
            Action::Create | Action::Update | Action::Rollback | Action::Signal
        ) && !(self.action == Action::Create && self.status == Status::Failed && self.physical_id.is_none())
    }
}

/// Heat's physical resource name: `<stack>-<resource>-<12 lowercase base32 chars>`.
pub fn physical_name(stack_name: &str, resource: &str) -> String {
    format!("{stack_name}-{resource}-{}", short_id())
}

/// Twelve lowercase base32 characters from a random UUID (Heat's `short_id`).
pub fn short_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    let bits = uuid::Uuid::new_v4().as_u128();
    (0..12)
        .map(|i| ALPHABET[((bits >> (i * 5)) & 31) as usize] as char)
        .collect()
}

/// The running action of a stack.
#[derive(Debug, Clone)]
pub struct Running {
    /// Cancels it.
    pub cancel: CancelToken,
    /// Signalled when it ends.
    pub done: std::sync::Arc<tokio::sync::Notify>,
    /// Set when it has ended.
    pub ended: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// One stack (top-level or nested).
#[derive(Debug, Clone)]
pub struct StackState {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Who it acts for.
    pub principal: Principal,
    /// The parent stack (nested stacks).
    pub owner_id: Option<String>,
    /// The parent's resource this stack implements.
    pub parent_resource: Option<String>,
    /// The top-level stack.
    pub root_id: String,
    /// Depth below the top-level stack.
    pub depth: u32,
    /// The current template.
    pub template: Template,
    /// The request's `files`.
    pub files: BTreeMap<String, String>,
    /// The user's parameters (as given).
    pub user_params: Map<String, Value>,
    /// The resolved parameters.
    pub params: Parameters,
    /// The environment as given.
    pub environment: Value,
    /// The dependency graph of the current template.
    pub graph: Graph,
    /// The action.
    pub action: Action,
    /// The status.
    pub status: Status,
    /// The status reason.
    pub reason: String,
    /// Created at.
    pub created: DateTime<Utc>,
    /// Updated at.
    pub updated: Option<DateTime<Utc>>,
    /// Deleted at.
    pub deleted: Option<DateTime<Utc>>,
    /// `disable_rollback`.
    pub disable_rollback: bool,
    /// `timeout_mins`.
    pub timeout_mins: Option<u64>,
    /// Tags.
    pub tags: Vec<String>,
    /// Failure injection: the next action times out at once.
    pub forced_timeout: bool,
    /// Resources, by name.
    pub resources: BTreeMap<String, ResourceState>,
    /// Resources replaced by an update, waiting to be deleted.
    pub backups: Vec<ResourceState>,
    /// Events, oldest first.
    pub events: Vec<Event>,
    /// The running action, if any.
    pub running: Option<Running>,
}

impl StackState {
    /// Records a stack event.
    pub fn stack_event(&mut self) {
        let ev = Event {
            id: uuid::Uuid::new_v4().to_string(),
            resource_name: self.name.clone(),
            physical_id: self.id.clone(),
            action: self.action.as_str().to_string(),
            status: self.status.as_str().to_string(),
            reason: self.reason.clone(),
            resource_type: "OS::Heat::Stack".to_string(),
            time: now(),
            properties: Value::Object(Map::new()),
        };
        self.events.push(ev);
    }

    /// Sets the stack's state and records the event.
    pub fn set_state(&mut self, action: Action, status: Status, reason: impl Into<String>) {
        self.action = action;
        self.status = status;
        self.reason = reason.into();
        self.stack_event();
    }

    /// Sets a resource's state and records the event.
    pub fn set_resource_state(&mut self, name: &str, action: Action, status: Status, reason: impl Into<String>) {
        let reason = reason.into();
        let Some(r) = self.resources.get_mut(name) else { return };
        r.action = action;
        r.status = status;
        r.reason = reason.clone();
        let t = now();
        if action == Action::Create && status == Status::InProgress {
            r.created = Some(t);
        } else if action != Action::Create {
            r.updated = Some(t);
        }
        let ev = Event {
            id: uuid::Uuid::new_v4().to_string(),
            resource_name: name.to_string(),
            physical_id: r.physical_id.clone().unwrap_or_default(),
            action: action.as_str().to_string(),
            status: status.as_str().to_string(),
            reason,
            resource_type: r.definition.type_name.clone(),
            time: t,
            properties: r
                .props
                .clone()
                .map(Value::Object)
                .unwrap_or_else(|| Value::Object(Map::new())),
        };
        self.events.push(ev);
    }

    /// `action_status` as the API shows it.
    pub fn status_text(&self) -> String {
        format!("{}_{}", self.action.as_str(), self.status.as_str())
    }

    /// Whether the stack is deleted.
    pub fn is_deleted(&self) -> bool {
        self.action == Action::Delete && self.status == Status::Complete
    }
}

/// Every stack of the cloud, by id.
#[derive(Debug, Default)]
pub struct Store {
    /// Stacks by id (deleted ones stay, as Heat keeps them visible by id).
    pub stacks: BTreeMap<String, StackState>,
}

impl Store {
    /// The live (not deleted) stack of `project` called `name`.
    pub fn by_name(&self, project: &str, name: &str) -> Option<&StackState> {
        self.stacks
            .values()
            .find(|s| s.name == name && s.principal.project_id == project && !s.is_deleted())
    }
}
