//! Heat v1 (`orchestration`, per project): stacks created from the templates the engine
//! writes, looked up by name (Heat answers `/stacks/<name>` with a 302 to the stack's
//! canonical URL, followed with the same method), listed as Sahara's `get_stack` does
//! (`show_hidden=True`, name filter), updated (PUT, or PATCH for an existing-parameters
//! update), deleted; their resources, events and outputs; and Sahara's two waits
//! (`wait_stack_completion`, `delete_stack`).

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::config::Service;
use crate::error::{OpenStackError, Result};
use crate::http::{query, segment};
use crate::session::Session;

/// What a stack is created or updated with.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StackRequest {
    /// Its name (ignored by updates).
    pub stack_name: String,
    /// The HOT template, as JSON.
    pub template: Value,
    /// Files the template refers to (`file://<ng>-volume.yaml`), name to content.
    pub files: BTreeMap<String, String>,
    /// Template parameters.
    pub parameters: Map<String, Value>,
    /// Whether a failed create is kept (Sahara: true).
    pub disable_rollback: bool,
    /// The stack timeout in minutes (Heat's default when `None`).
    pub timeout_mins: Option<u32>,
    /// Stack tags (Sahara: `heat_stack_tags`).
    pub tags: Vec<String>,
}

impl StackRequest {
    fn body(&self, with_name: bool) -> Value {
        let mut b = json!({"template": self.template, "files": self.files, "parameters": self.parameters,
            "disable_rollback": self.disable_rollback});
        if with_name {
            b["stack_name"] = json!(self.stack_name);
        }
        if let Some(t) = self.timeout_mins {
            b["timeout_mins"] = json!(t);
        }
        if !self.tags.is_empty() {
            b["tags"] = json!(self.tags.join(","));
        }
        b
    }
}

/// A stack's id and links, as a create answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StackIdentity {
    /// Its id.
    pub id: String,
}

/// One output of a stack.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StackOutput {
    /// Its key (`<ng>-instances`, ...).
    pub output_key: String,
    /// Its value.
    #[serde(default)]
    pub output_value: Value,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
    /// Why it could not be resolved.
    #[serde(default)]
    pub output_error: Option<String>,
}

/// A stack (summary from a list, detail from a show).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Stack {
    /// Its id.
    pub id: String,
    /// Its name.
    pub stack_name: String,
    /// `<ACTION>_<STATUS>`, e.g. `CREATE_COMPLETE`.
    pub stack_status: String,
    /// Why it is in that status.
    #[serde(default)]
    pub stack_status_reason: Option<String>,
    /// Creation time.
    #[serde(default)]
    pub creation_time: Option<String>,
    /// Last update time (Sahara compares it to see an update through).
    #[serde(default)]
    pub updated_time: Option<String>,
    /// Outputs (shows only).
    #[serde(default)]
    pub outputs: Option<Vec<StackOutput>>,
    /// Tags.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

impl Stack {
    /// The action: what comes before the first `_` (`CREATE`), as heatclient splits it.
    pub fn action(&self) -> &str {
        self.stack_status
            .split_once('_')
            .map_or(self.stack_status.as_str(), |(a, _)| a)
    }

    /// The status: what comes after the first `_` (`IN_PROGRESS`, `COMPLETE`, `FAILED`).
    pub fn status(&self) -> &str {
        self.stack_status.split_once('_').map_or("", |(_, s)| s)
    }

    /// An output's value.
    pub fn output(&self, key: &str) -> Option<&Value> {
        self.outputs
            .as_ref()?
            .iter()
            .find(|o| o.output_key == key)
            .map(|o| &o.output_value)
    }
}

/// A stack resource.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StackResource {
    /// Its name in the template.
    pub resource_name: String,
    /// Its type (`OS::Nova::Server`, ...).
    #[serde(default)]
    pub resource_type: String,
    /// The id of what it made.
    #[serde(default)]
    pub physical_resource_id: String,
    /// `CREATE_COMPLETE`, ...
    #[serde(default)]
    pub resource_status: String,
    /// Why.
    #[serde(default)]
    pub resource_status_reason: Option<String>,
}

/// A stack event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StackEvent {
    /// Its id.
    pub id: String,
    /// The resource it is about.
    #[serde(default)]
    pub resource_name: String,
    /// The status reached.
    #[serde(default)]
    pub resource_status: String,
    /// Why.
    #[serde(default)]
    pub resource_status_reason: Option<String>,
    /// When.
    #[serde(default)]
    pub event_time: Option<String>,
}

/// Heat with a session.
#[derive(Debug, Clone, Copy)]
pub struct HeatClient<'a> {
    session: &'a Session,
}

impl<'a> HeatClient<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        HeatClient { session }
    }

    fn url(&self, path: &str) -> Result<String> {
        Ok(format!("{}{path}", self.session.endpoint(Service::Orchestration)?))
    }

    fn stack_path(name: &str, id: &str) -> String {
        format!("/stacks/{}/{}", segment(name), segment(id))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T> {
        self.session
            .json(Service::Orchestration, op, method, self.url(path)?, body)
            .await
    }

    /// Creates a stack.
    pub async fn create_stack(&self, req: &StackRequest) -> Result<StackIdentity> {
        #[derive(Deserialize)]
        struct W {
            stack: StackIdentity,
        }
        let w: W = self
            .call("heat.create_stack", Method::POST, "/stacks", Some(req.body(true)))
            .await?;
        Ok(w.stack)
    }

    /// A stack by name or id, with outputs (Heat's 302 from the name is followed).
    pub async fn get_stack(&self, name_or_id: &str) -> Result<Stack> {
        #[derive(Deserialize)]
        struct W {
            stack: Stack,
        }
        let w: W = self
            .call(
                "heat.get_stack",
                Method::GET,
                &format!("/stacks/{}", segment(name_or_id)),
                None,
            )
            .await?;
        Ok(w.stack)
    }

    /// Stacks matching `filters` (`name`, `status`, `show_hidden`, ...).
    pub async fn list_stacks(&self, filters: &[(&str, String)]) -> Result<Vec<Stack>> {
        #[derive(Deserialize)]
        struct W {
            stacks: Vec<Stack>,
        }
        let w: W = self
            .call(
                "heat.list_stacks",
                Method::GET,
                &format!("/stacks{}", query(filters)),
                None,
            )
            .await?;
        Ok(w.stacks)
    }

    /// Sahara's `get_stack(name, raise_on_missing=False)`: the first stack listed with that
    /// name, hidden ones included.
    pub async fn find_stack(&self, name: &str) -> Result<Option<Stack>> {
        let found = self
            .list_stacks(&[("show_hidden", "True".into()), ("name", name.to_string())])
            .await?;
        Ok(found.into_iter().next())
    }

    /// Updates a stack: PUT replaces it, PATCH (`existing`) keeps what the request leaves out.
    pub async fn update_stack(&self, name: &str, id: &str, req: &StackRequest, patch: bool) -> Result<()> {
        let method = if patch { Method::PATCH } else { Method::PUT };
        self.session
            .no_content(
                Service::Orchestration,
                "heat.update_stack",
                method,
                self.url(&Self::stack_path(name, id))?,
                Some(req.body(false)),
            )
            .await
    }

    /// Starts deleting a stack, by name or id (`lazy_delete_stack`).
    pub async fn delete_stack(&self, name_or_id: &str) -> Result<()> {
        self.session
            .no_content(
                Service::Orchestration,
                "heat.delete_stack",
                Method::DELETE,
                self.url(&format!("/stacks/{}", segment(name_or_id)))?,
                None,
            )
            .await
    }

    /// A stack's resources, nested stacks' down to `nested_depth`.
    pub async fn list_resources(&self, name: &str, id: &str, nested_depth: u32) -> Result<Vec<StackResource>> {
        #[derive(Deserialize)]
        struct W {
            resources: Vec<StackResource>,
        }
        let path = format!(
            "{}/resources{}",
            Self::stack_path(name, id),
            query(&[("nested_depth", nested_depth.to_string())])
        );
        let w: W = self.call("heat.list_resources", Method::GET, &path, None).await?;
        Ok(w.resources)
    }

    /// A stack's events.
    pub async fn list_events(&self, name: &str, id: &str) -> Result<Vec<StackEvent>> {
        #[derive(Deserialize)]
        struct W {
            events: Vec<StackEvent>,
        }
        let path = format!("{}/events", Self::stack_path(name, id));
        let w: W = self.call("heat.list_events", Method::GET, &path, None).await?;
        Ok(w.events)
    }

    /// One output of a stack, resolved.
    pub async fn get_output(&self, name: &str, id: &str, key: &str) -> Result<StackOutput> {
        #[derive(Deserialize)]
        struct W {
            output: StackOutput,
        }
        let path = format!("{}/outputs/{}", Self::stack_path(name, id), segment(key));
        let w: W = self.call("heat.get_output", Method::GET, &path, None).await?;
        Ok(w.output)
    }

    /// Sahara's `wait_stack_completion`: polls [`find_stack`](Self::find_stack) every `poll`
    /// until the stack is neither `IN_PROGRESS` nor `''` (after an update: until
    /// `updated_time` moved past `last_updated_time`); anything but `COMPLETE` is a
    /// [`OpenStackError::HeatStack`] with the stack's reason. Sahara has no deadline here
    /// (Heat's stack timeout ends it); callers may wrap it in one.
    pub async fn wait_stack_completion(
        &self,
        name: &str,
        is_update: bool,
        last_updated_time: Option<&str>,
        poll: Duration,
    ) -> Result<Stack> {
        loop {
            let stack = self.find_stack(name).await?.ok_or_else(|| OpenStackError::NotFound {
                service: "heat",
                message: format!("Failed to find stack {name}"),
            })?;
            let done = match stack.status() {
                "IN_PROGRESS" | "" => false,
                "COMPLETE" if is_update => stack.updated_time.as_deref() != last_updated_time,
                _ => true,
            };
            if done {
                if stack.status() != "COMPLETE" {
                    return Err(OpenStackError::HeatStack(
                        stack.stack_status_reason.clone().unwrap_or_default(),
                    ));
                }
                return Ok(stack);
            }
            tokio::time::sleep(poll).await;
        }
    }

    /// Sahara's `delete_stack`: deletes by name and polls every `poll` until the stack is no
    /// longer listed; a status other than `IN_PROGRESS`, `''` or `COMPLETE` (e.g.
    /// `DELETE_FAILED`) is a [`OpenStackError::HeatStack`].
    pub async fn delete_stack_and_wait(&self, name: &str, poll: Duration) -> Result<()> {
        self.delete_stack(name).await?;
        while let Some(stack) = self.find_stack(name).await? {
            if !matches!(stack.status(), "IN_PROGRESS" | "" | "COMPLETE") {
                return Err(OpenStackError::HeatStack(format!(
                    "Cannot delete heat stack {name}, reason: stack status: {}, status reason: {}",
                    stack.status(),
                    stack.stack_status_reason.as_deref().unwrap_or("")
                )));
            }
            tokio::time::sleep(poll).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_splits_as_heatclient_and_bodies_carry_tags() {
        let s: Stack = serde_json::from_value(
            json!({"id": "1", "stack_name": "c", "stack_status": "CREATE_IN_PROGRESS",
            "links": []}),
        )
        .unwrap();
        assert_eq!((s.action(), s.status()), ("CREATE", "IN_PROGRESS"));
        let r = StackRequest {
            stack_name: "c".into(),
            template: json!({"heat_template_version": "2016-04-08"}),
            disable_rollback: true,
            tags: vec!["data-processing-cluster".into(), "x".into()],
            ..Default::default()
        };
        let b = r.body(true);
        assert_eq!(b["tags"], "data-processing-cluster,x");
        assert_eq!(b["stack_name"], "c");
        assert!(r.body(false).get("stack_name").is_none());
    }
}
