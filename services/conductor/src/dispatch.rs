//! Every conductor method by name, with Sahara's parameter names, taking and returning
//! JSON: what the RPC server serves and what the in-process client calls, so both modes
//! behave the same. Object parameters (`cluster`, `node_group`, `job`, ...) accept an id
//! or an object carrying `id`, as Sahara's conductor API does.

use crate::error::{ConductorError, Result};
use crate::ops::{Conductor, Obj};
use crate::store::sql::py_type;
use sahara_model::conductor::Answer;
use sahara_rpc::RequestContext;
use serde_json::{Value, json};

/// The names of every method, as served on the `sahara-conductor` topic.
pub const METHODS: &[&str] = &[
    "cluster_get",
    "cluster_get_all",
    "cluster_create",
    "cluster_update",
    "cluster_destroy",
    "node_group_add",
    "node_group_update",
    "node_group_remove",
    "instance_add",
    "instance_update",
    "instance_remove",
    "append_volume",
    "remove_volume",
    "cluster_template_get",
    "cluster_template_get_all",
    "cluster_template_create",
    "cluster_template_destroy",
    "cluster_template_update",
    "node_group_template_get",
    "node_group_template_get_all",
    "node_group_template_create",
    "node_group_template_destroy",
    "node_group_template_update",
    "data_source_get",
    "data_source_get_all",
    "data_source_count",
    "data_source_create",
    "data_source_destroy",
    "data_source_update",
    "job_execution_get",
    "job_execution_get_all",
    "job_execution_count",
    "job_execution_create",
    "job_execution_update",
    "job_execution_destroy",
    "job_get",
    "job_get_all",
    "job_create",
    "job_update",
    "job_destroy",
    "job_main_name",
    "job_lib_names",
    "job_binary_get_all",
    "job_binary_get",
    "job_binary_create",
    "job_binary_destroy",
    "job_binary_update",
    "job_binary_internal_get_all",
    "job_binary_internal_get",
    "job_binary_internal_create",
    "job_binary_internal_destroy",
    "job_binary_internal_get_raw_data",
    "job_binary_internal_update",
    "cluster_provision_step_add",
    "cluster_provision_step_update",
    "cluster_provision_progress_update",
    "cluster_event_add",
    "cluster_verification_add",
    "cluster_verification_get",
    "cluster_verification_update",
    "cluster_verification_delete",
    "cluster_health_check_add",
    "cluster_health_check_get",
    "cluster_health_check_update",
    "plugin_create",
    "plugin_get",
    "plugin_get_all",
    "plugin_update",
    "plugin_remove",
];

/// Keyword arguments of one call.
pub(crate) struct Args(pub(crate) Obj);

impl Args {
    fn missing(name: &str) -> ConductorError {
        ConductorError::InvalidArguments(format!("missing required argument '{name}'"))
    }

    /// An object or id argument, as an id.
    fn id(&self, name: &str) -> Result<String> {
        match self.0.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Object(o)) => match o.get("id") {
                Some(Value::String(s)) => Ok(s.clone()),
                _ => Err(ConductorError::InvalidArguments(format!("'{name}' has no id"))),
            },
            Some(other) => Err(ConductorError::InvalidArguments(format!(
                "'{name}' must be an id or an object, not {}",
                py_type(other)
            ))),
            None => Err(Self::missing(name)),
        }
    }

    /// A string argument.
    fn str(&self, name: &str) -> Result<String> {
        match self.0.get(name) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(ConductorError::InvalidArguments(format!(
                "'{name}' must be a string, not {}",
                py_type(other)
            ))),
            None => Err(Self::missing(name)),
        }
    }

    /// A dict argument (`values`).
    fn obj(&self, name: &str) -> Result<Obj> {
        match self.0.get(name) {
            Some(Value::Object(o)) => Ok(o.clone()),
            Some(Value::Null) | None => Err(Self::missing(name)),
            Some(other) => Err(ConductorError::InvalidArguments(format!(
                "'{name}' must be an object, not {}",
                py_type(other)
            ))),
        }
    }

    /// An optional boolean argument.
    pub(crate) fn flag(&self, name: &str) -> Result<bool> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(false),
            Some(Value::Bool(b)) => Ok(*b),
            Some(other) => Err(ConductorError::InvalidArguments(format!(
                "'{name}' must be a boolean, not {}",
                py_type(other)
            ))),
        }
    }

    /// `**kwargs`: everything but the named parameters.
    pub(crate) fn rest(&self, except: &[&str]) -> Obj {
        self.0
            .iter()
            .filter(|(k, _)| !except.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

fn obj_or_null(o: Option<Obj>) -> Value {
    o.map(Value::Object).unwrap_or(Value::Null)
}

impl Conductor {
    /// [`Conductor::dispatch`] answered in the cheapest form for a caller in this process: the flat lists as the
    /// JSON text of their page ([`Conductor::flat_list_text`]), everything else as its value.
    pub async fn dispatch_answer(&self, ctx: &RequestContext, method: &str, args: Obj) -> Result<Answer> {
        if crate::ops::is_flat_list(method) {
            let a = Args(args);
            return self
                .flat_list_text(ctx, method, a.flag("regex_search")?, a.rest(&["regex_search"]))
                .await
                .map(Answer::Text);
        }
        self.dispatch(ctx, method, args).await.map(Answer::Value)
    }

    /// Calls the conductor method `method` with keyword arguments `args`.
    pub async fn dispatch(&self, ctx: &RequestContext, method: &str, args: Obj) -> Result<Value> {
        let a = Args(args);
        Ok(match method {
            "cluster_get" => obj_or_null(
                self.cluster_get(ctx, &a.id("cluster")?, a.flag("show_progress")?)
                    .await?,
            ),
            "cluster_get_all" => {
                self.cluster_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "cluster_create" => Value::Object(self.cluster_create(ctx, a.obj("values")?).await?),
            "cluster_update" => Value::Object(self.cluster_update(ctx, &a.id("cluster")?, a.obj("values")?).await?),
            "cluster_destroy" => {
                self.cluster_destroy(ctx, &a.id("cluster")?).await?;
                Value::Null
            }
            "node_group_add" => json!(self.node_group_add(ctx, &a.id("cluster")?, a.obj("values")?).await?),
            "node_group_update" => {
                self.node_group_update(ctx, &a.id("node_group")?, a.obj("values")?)
                    .await?;
                Value::Null
            }
            "node_group_remove" => {
                self.node_group_remove(ctx, &a.id("node_group")?).await?;
                Value::Null
            }
            "instance_add" => json!(self.instance_add(ctx, &a.id("node_group")?, a.obj("values")?).await?),
            "instance_update" => {
                self.instance_update(ctx, &a.id("instance")?, a.obj("values")?).await?;
                Value::Null
            }
            "instance_remove" => {
                self.instance_remove(ctx, &a.id("instance")?).await?;
                Value::Null
            }
            "append_volume" => {
                self.append_volume(ctx, &a.id("instance")?, &a.str("volume_id")?)
                    .await?;
                Value::Null
            }
            "remove_volume" => {
                self.remove_volume(ctx, &a.id("instance")?, &a.str("volume_id")?)
                    .await?;
                Value::Null
            }
            "cluster_template_get" => obj_or_null(self.cluster_template_get(ctx, &a.id("cluster_template")?).await?),
            "cluster_template_get_all" => {
                self.cluster_template_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "cluster_template_create" => Value::Object(self.cluster_template_create(ctx, a.obj("values")?).await?),
            "cluster_template_destroy" => {
                self.cluster_template_destroy(ctx, &a.id("cluster_template")?, a.flag("ignore_prot_on_def")?)
                    .await?;
                Value::Null
            }
            "cluster_template_update" => Value::Object(
                self.cluster_template_update(ctx, &a.id("id")?, a.obj("values")?, a.flag("ignore_prot_on_def")?)
                    .await?,
            ),
            "node_group_template_get" => {
                obj_or_null(self.node_group_template_get(ctx, &a.id("node_group_template")?).await?)
            }
            "node_group_template_get_all" => {
                self.node_group_template_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "node_group_template_create" => {
                Value::Object(self.node_group_template_create(ctx, a.obj("values")?).await?)
            }
            "node_group_template_destroy" => {
                self.node_group_template_destroy(ctx, &a.id("node_group_template")?, a.flag("ignore_prot_on_def")?)
                    .await?;
                Value::Null
            }
            "node_group_template_update" => Value::Object(
                self.node_group_template_update(ctx, &a.id("id")?, a.obj("values")?, a.flag("ignore_prot_on_def")?)
                    .await?,
            ),
            "data_source_get" => obj_or_null(self.data_source_get(ctx, &a.id("data_source")?).await?),
            "data_source_get_all" => {
                self.data_source_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "data_source_count" => json!(self.data_source_count(ctx, a.rest(&[])).await?),
            "data_source_create" => Value::Object(self.data_source_create(ctx, a.obj("values")?).await?),
            "data_source_destroy" => {
                self.data_source_destroy(ctx, &a.id("data_source")?).await?;
                Value::Null
            }
            "data_source_update" => Value::Object(self.data_source_update(ctx, &a.id("id")?, a.obj("values")?).await?),
            "job_execution_get" => obj_or_null(self.job_execution_get(ctx, &a.id("job_execution")?).await?),
            "job_execution_get_all" => {
                self.job_execution_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "job_execution_count" => json!(self.job_execution_count(ctx, a.rest(&[])).await?),
            "job_execution_create" => Value::Object(self.job_execution_create(ctx, a.obj("values")?).await?),
            "job_execution_update" => Value::Object(
                self.job_execution_update(ctx, &a.id("job_execution")?, a.obj("values")?)
                    .await?,
            ),
            "job_execution_destroy" => {
                self.job_execution_destroy(ctx, &a.id("job_execution")?).await?;
                Value::Null
            }
            "job_get" => obj_or_null(self.job_get(ctx, &a.id("job")?).await?),
            "job_get_all" => {
                self.job_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "job_create" => Value::Object(self.job_create(ctx, a.obj("values")?).await?),
            "job_update" => Value::Object(self.job_update(ctx, &a.id("job")?, a.obj("values")?).await?),
            "job_destroy" => {
                self.job_destroy(ctx, &a.id("job")?).await?;
                Value::Null
            }
            "job_main_name" => json!(self.job_main_name(ctx, &a.id("job")?).await?),
            "job_lib_names" => json!(self.job_lib_names(ctx, &a.id("job")?).await?),
            "job_binary_get_all" => {
                self.job_binary_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "job_binary_get" => obj_or_null(self.job_binary_get(ctx, &a.id("job_binary_id")?).await?),
            "job_binary_create" => Value::Object(self.job_binary_create(ctx, a.obj("values")?).await?),
            "job_binary_destroy" => {
                self.job_binary_destroy(ctx, &a.id("job_binary")?).await?;
                Value::Null
            }
            "job_binary_update" => Value::Object(self.job_binary_update(ctx, &a.id("id")?, a.obj("values")?).await?),
            "job_binary_internal_get_all" => {
                self.job_binary_internal_get_all(ctx, a.flag("regex_search")?, a.rest(&["regex_search"]))
                    .await?
            }
            "job_binary_internal_get" => obj_or_null(
                self.job_binary_internal_get(ctx, &a.id("job_binary_internal_id")?)
                    .await?,
            ),
            "job_binary_internal_create" => {
                Value::Object(self.job_binary_internal_create(ctx, a.obj("values")?).await?)
            }
            "job_binary_internal_destroy" => {
                self.job_binary_internal_destroy(ctx, &a.id("job_binary_internal")?)
                    .await?;
                Value::Null
            }
            "job_binary_internal_get_raw_data" => {
                json!(
                    self.job_binary_internal_get_raw_data(ctx, &a.id("job_binary_internal_id")?)
                        .await?
                )
            }
            "job_binary_internal_update" => Value::Object(
                self.job_binary_internal_update(ctx, &a.id("id")?, a.obj("values")?)
                    .await?,
            ),
            "cluster_provision_step_add" => {
                json!(
                    self.cluster_provision_step_add(ctx, &a.id("cluster_id")?, a.obj("values")?)
                        .await?
                )
            }
            "cluster_provision_step_update" => {
                self.cluster_provision_step_update(ctx, &a.id("provision_step")?)
                    .await?;
                Value::Null
            }
            "cluster_provision_progress_update" => Value::Object(
                self.cluster_provision_progress_update(ctx, &a.id("cluster_id")?)
                    .await?,
            ),
            "cluster_event_add" => json!(
                self.cluster_event_add(ctx, &a.id("provision_step")?, a.obj("values")?)
                    .await?
            ),
            "cluster_verification_add" => Value::Object(
                self.cluster_verification_add(ctx, &a.id("cluster_id")?, a.obj("values")?)
                    .await?,
            ),
            "cluster_verification_get" => {
                obj_or_null(self.cluster_verification_get(ctx, &a.id("verification_id")?).await?)
            }
            "cluster_verification_update" => Value::Object(
                self.cluster_verification_update(ctx, &a.id("verification_id")?, a.obj("values")?)
                    .await?,
            ),
            "cluster_verification_delete" => {
                self.cluster_verification_delete(ctx, &a.id("verification_id")?).await?;
                Value::Null
            }
            "cluster_health_check_add" => Value::Object(
                self.cluster_health_check_add(ctx, &a.id("verification_id")?, a.obj("values")?)
                    .await?,
            ),
            "cluster_health_check_get" => {
                obj_or_null(self.cluster_health_check_get(ctx, &a.id("health_check_id")?).await?)
            }
            "cluster_health_check_update" => Value::Object(
                self.cluster_health_check_update(ctx, &a.id("health_check_id")?, a.obj("values")?)
                    .await?,
            ),
            "plugin_create" => Value::Object(self.plugin_create(ctx, a.obj("values")?).await?),
            "plugin_get" => obj_or_null(self.plugin_get(ctx, &a.str("name")?).await?),
            "plugin_get_all" => json!(self.plugin_get_all(ctx).await?),
            "plugin_update" => Value::Object(self.plugin_update(ctx, &a.str("name")?, a.obj("values")?).await?),
            "plugin_remove" => {
                self.plugin_remove(ctx, &a.str("name")?).await?;
                Value::Null
            }
            other => {
                return Err(ConductorError::InvalidArguments(format!(
                    "no conductor method '{other}'"
                )));
            }
        })
    }
}
