//! The typed conductor client the API and the engine use, whichever way the conductor runs:
//! in-process (`[conductor] use_local = true`: the conductor crate provides the transport)
//! or over RPC on topic `sahara-conductor` ([`RpcConductor`]). Every method keeps Sahara's
//! name and parameter names; results are this crate's resources.

use crate::error::SaharaError;
use crate::resources::{
    Cluster, ClusterHealthCheck, ClusterTemplate, ClusterVerification, DataSource, Job, JobBinary, JobBinaryInternal,
    JobExecution, NodeGroupTemplate, PluginData,
};
use sahara_rpc::{RequestContext, RpcClient, RpcError, Target, Transport};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// The conductor's RPC topic.
pub const TOPIC: &str = "sahara-conductor";

/// Why a conductor call failed.
#[derive(Debug, thiserror::Error)]
pub enum ConductorCallError {
    /// A Sahara exception raised by the conductor (not found, duplicate, protected...).
    #[error(transparent)]
    Sahara(#[from] SaharaError),
    /// The conductor could not be reached or failed otherwise (database down, timeout...).
    #[error("conductor call failed: {0}")]
    Failed(String),
}

impl ConductorCallError {
    /// Whether the conductor answered `NotFoundException` (the row is gone).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ConductorCallError::Sahara(SaharaError::NotFound(_)))
    }
}

/// A future of a conductor call.
pub type CallFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, ConductorCallError>> + Send + 'a>>;

/// A conductor's answer: a JSON value, or an RPC reply whose result is still text, read
/// straight into the caller's type ([`Answer::decode`]) without a JSON value in between.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The result as a value (`null` for `None`).
    Value(Value),
    /// The reply carrying the result (`None`: the method returned `None`).
    Reply(Option<sahara_rpc::message::ReplyText>),
    /// The result as JSON text (an in-process conductor writes its lists' pages this way).
    Text(String),
}

impl Answer {
    /// The result as `T`.
    pub fn decode<T: DeserializeOwned>(self) -> Result<T, ConductorCallError> {
        match self {
            Answer::Value(v) => decode(v),
            Answer::Reply(Some(reply)) => reply.result().map_err(unexpected),
            Answer::Reply(None) => decode(Value::Null),
            Answer::Text(text) => serde_json::from_str(&text).map_err(unexpected),
        }
    }

    /// The result as a JSON value.
    pub fn into_value(self) -> Result<Value, ConductorCallError> {
        match self {
            Answer::Value(v) => Ok(v),
            other => other.decode(),
        }
    }
}

/// A future of a conductor call answered as an [`Answer`].
pub type AnswerFuture<'a> = Pin<Box<dyn Future<Output = Result<Answer, ConductorCallError>> + Send + 'a>>;

/// A page of a list over a table without children, each item already in its REST view: what the items' views
/// serialize to, without typed objects in between (see [`ConductorTransport::list_view`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ViewPage {
    /// The items' JSON array, as text.
    pub items: String,
    /// Marker of the previous page.
    pub prev: Option<String>,
    /// Marker of the next page.
    pub next: Option<String>,
}

/// A future of a [`ViewPage`].
pub type ViewFuture<'a> = Pin<Box<dyn Future<Output = Result<ViewPage, ConductorCallError>> + Send + 'a>>;

/// A future of the names of a list's items (see [`ConductorTransport::list_names`]).
pub type NamesFuture<'a> = Pin<Box<dyn Future<Output = Result<Vec<String>, ConductorCallError>> + Send + 'a>>;

/// Fields renamed in a REST view, `(from, to)` ([`crate::api_view::FlatView::renames`]).
pub type Renames = &'static [(&'static str, &'static str)];

/// How calls reach the conductor: by method name, with keyword arguments, in JSON.
pub trait ConductorTransport: Send + Sync {
    /// Calls `method` with `args` on behalf of `ctx`.
    fn call<'a>(&'a self, ctx: &'a RequestContext, method: &'a str, args: Map<String, Value>) -> CallFuture<'a>;

    /// [`ConductorTransport::call`], answered in whichever form is cheapest to read (by
    /// default the value `call` answers).
    fn call_answer<'a>(
        &'a self,
        ctx: &'a RequestContext,
        method: &'a str,
        args: Map<String, Value>,
    ) -> AnswerFuture<'a> {
        Box::pin(async move { self.call(ctx, method, args).await.map(Answer::Value) })
    }

    /// The list `method` (one over a table without children, such as `node_group_template_get_all`) answered
    /// with every item in the REST view whose only change is `renames` (the caller has checked that the view
    /// hides nothing): each item is the row's `to_dict` with those keys renamed. `None` when this transport
    /// cannot (by default, and over RPC): the caller lists typed and views each item itself.
    fn list_view<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        _method: &'a str,
        _args: Map<String, Value>,
        _renames: Renames,
    ) -> Option<ViewFuture<'a>> {
        None
    }

    /// The names of the items the list `method` answers for `args` (no paging), read without the items
    /// themselves: what a unique-name check compares. `None` when this transport cannot (by default, and over
    /// RPC): the caller lists the items and reads their names.
    fn list_names<'a>(
        &'a self,
        _ctx: &'a RequestContext,
        _method: &'a str,
        _args: Map<String, Value>,
    ) -> Option<NamesFuture<'a>> {
        None
    }
}

/// The conductor over RPC (`sahara-conductor` topic, version 1.0).
#[derive(Debug, Clone)]
pub struct RpcConductor {
    client: RpcClient,
}

impl RpcConductor {
    /// A client of the conductors serving `sahara-conductor` on `transport`.
    pub fn new(transport: &Transport) -> Self {
        Self::on_topic(transport, TOPIC)
    }

    /// A client of conductors serving another topic.
    pub fn on_topic(transport: &Transport, topic: &str) -> Self {
        RpcConductor {
            client: RpcClient::new(transport, Target::topic(topic).with_version("1.0")),
        }
    }
}

impl ConductorTransport for RpcConductor {
    fn call<'a>(&'a self, ctx: &'a RequestContext, method: &'a str, args: Map<String, Value>) -> CallFuture<'a> {
        Box::pin(async move { self.call_answer(ctx, method, args).await?.into_value() })
    }

    fn call_answer<'a>(
        &'a self,
        ctx: &'a RequestContext,
        method: &'a str,
        args: Map<String, Value>,
    ) -> AnswerFuture<'a> {
        Box::pin(async move {
            self.client
                .call_raw_text(ctx.to_dict(), method, args)
                .await
                .map(Answer::Reply)
                .map_err(|e| match e {
                    RpcError::Remote(r) => match SaharaError::from_remote_parts(
                        &r.module,
                        &r.class,
                        &r.message,
                        &Value::Object(r.kwargs.clone()),
                    ) {
                        Some(s) => ConductorCallError::Sahara(s),
                        None => ConductorCallError::Failed(format!("{}.{}: {}", r.module, r.class, r.message)),
                    },
                    other => ConductorCallError::Failed(other.to_string()),
                })
        })
    }
}

/// One page of a list, with the neighbouring pages' markers.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The objects.
    pub items: Vec<T>,
    /// Marker of the previous page.
    pub prev: Option<String>,
    /// Marker of the next page.
    pub next: Option<String>,
}

/// The typed conductor API.
#[derive(Clone)]
pub struct ConductorClient {
    transport: Arc<dyn ConductorTransport>,
}

impl std::fmt::Debug for ConductorClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ConductorClient")
    }
}

fn args(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn unexpected(e: serde_json::Error) -> ConductorCallError {
    ConductorCallError::Failed(format!("unexpected conductor answer: {e}"))
}

fn decode<T: DeserializeOwned>(v: Value) -> Result<T, ConductorCallError> {
    serde_json::from_value(v).map_err(unexpected)
}

/// A page as it travels: an object with `items` (none when absent) and string markers
/// (anything else reads as no marker).
fn decode_page<T: DeserializeOwned>(answer: Answer) -> Result<Page<T>, ConductorCallError> {
    let v = match answer {
        Answer::Value(v) => v,
        Answer::Reply(None) => Value::Null,
        // Straight into the caller's type; anything that does not fit is read as a value, for the same error.
        Answer::Reply(Some(reply)) => match reply.result::<WirePage<T>>() {
            Ok(page) => return Ok(page.into()),
            Err(_) => reply.result().map_err(unexpected)?,
        },
        Answer::Text(text) => match serde_json::from_str::<WirePage<T>>(&text) {
            Ok(page) => return Ok(page.into()),
            Err(_) => serde_json::from_str(&text).map_err(unexpected)?,
        },
    };
    let mut v = match v {
        Value::Object(m) => m,
        other => return Err(ConductorCallError::Failed(format!("expected a page, got {other}"))),
    };
    let items = decode(v.remove("items").unwrap_or(Value::Array(Vec::new())))?;
    let marker = |x: Option<Value>| x.and_then(|v| v.as_str().map(str::to_string));
    Ok(Page {
        items,
        prev: marker(v.remove("prev")),
        next: marker(v.remove("next")),
    })
}

/// A page read straight from text into the caller's type.
#[derive(serde::Deserialize)]
#[serde(bound = "T: DeserializeOwned")]
struct WirePage<T> {
    #[serde(default = "Vec::new")]
    items: Vec<T>,
    #[serde(default)]
    prev: Value,
    #[serde(default)]
    next: Value,
}

impl<T> From<WirePage<T>> for Page<T> {
    fn from(p: WirePage<T>) -> Page<T> {
        let marker = |v: Value| match v {
            Value::String(s) => Some(s),
            _ => None,
        };
        Page {
            items: p.items,
            prev: marker(p.prev),
            next: marker(p.next),
        }
    }
}

/// Keyword arguments of a list call: filters plus `regex_search`.
fn list_args(regex_search: bool, filters: Map<String, Value>) -> Map<String, Value> {
    let mut a = filters;
    a.insert("regex_search".into(), Value::Bool(regex_search));
    a
}

macro_rules! get_fns {
    ($( $(#[$doc:meta])* $name:ident($param:literal) -> $ty:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, ctx: &RequestContext, id: &str) -> Result<Option<$ty>, ConductorCallError> {
            self.answer(ctx, stringify!($name), json!({ $param: id })).await?.decode()
        }
    )*};
}

macro_rules! list_fns {
    ($( $(#[$doc:meta])* $name:ident -> $ty:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, ctx: &RequestContext, regex_search: bool, filters: Map<String, Value>) -> Result<Page<$ty>, ConductorCallError> {
            decode_page(self.answer(ctx, stringify!($name), Value::Object(list_args(regex_search, filters))).await?)
        }
    )*};
}

macro_rules! create_fns {
    ($( $(#[$doc:meta])* $name:ident -> $ty:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, ctx: &RequestContext, values: Map<String, Value>) -> Result<$ty, ConductorCallError> {
            self.answer(ctx, stringify!($name), json!({"values": values})).await?.decode()
        }
    )*};
}

macro_rules! update_fns {
    ($( $(#[$doc:meta])* $name:ident($param:literal) -> $ty:ty; )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, ctx: &RequestContext, id: &str, values: Map<String, Value>) -> Result<$ty, ConductorCallError> {
            self.answer(ctx, stringify!($name), json!({ $param: id, "values": values })).await?.decode()
        }
    )*};
}

macro_rules! unit_fns {
    ($( $(#[$doc:meta])* $name:ident($param:literal); )*) => {$(
        $(#[$doc])*
        pub async fn $name(&self, ctx: &RequestContext, id: &str) -> Result<(), ConductorCallError> {
            self.call(ctx, stringify!($name), json!({ $param: id })).await.map(|_| ())
        }
    )*};
}

impl ConductorClient {
    /// A client over `transport`.
    pub fn new(transport: Arc<dyn ConductorTransport>) -> Self {
        ConductorClient { transport }
    }

    /// A client of the conductors on the `sahara-conductor` topic of `transport`.
    pub fn over_rpc(transport: &Transport) -> Self {
        Self::new(Arc::new(RpcConductor::new(transport)))
    }

    /// Any conductor method by name, answered in the transport's cheapest form.
    pub async fn answer(
        &self,
        ctx: &RequestContext,
        method: &str,
        args_json: Value,
    ) -> Result<Answer, ConductorCallError> {
        self.transport.call_answer(ctx, method, args(args_json)).await
    }

    /// The list `method` with each item in the REST view `renames` ([`ConductorTransport::list_view`]); `None`
    /// when the transport cannot answer so.
    pub async fn list_view(
        &self,
        ctx: &RequestContext,
        method: &str,
        regex_search: bool,
        filters: Map<String, Value>,
        renames: Renames,
    ) -> Option<Result<ViewPage, ConductorCallError>> {
        let view = self
            .transport
            .list_view(ctx, method, list_args(regex_search, filters), renames)?;
        Some(view.await)
    }

    /// The names of the items of the list `method` with `filters` (no paging): what Sahara's
    /// `check_*_unique_name` compares with the name asked for. Read with
    /// [`ConductorTransport::list_names`] when the transport can, else from the listed items.
    pub async fn list_names(
        &self,
        ctx: &RequestContext,
        method: &str,
        regex_search: bool,
        filters: Map<String, Value>,
    ) -> Result<Vec<String>, ConductorCallError> {
        let args = list_args(regex_search, filters);
        if let Some(names) = self.transport.list_names(ctx, method, args.clone()) {
            return names.await;
        }
        /// An item of any kind, of which only the name is read.
        #[derive(serde::Deserialize)]
        struct Named {
            #[serde(default)]
            name: Option<String>,
        }
        let page: Page<Named> = decode_page(self.transport.call_answer(ctx, method, args).await?)?;
        Ok(page.items.into_iter().filter_map(|item| item.name).collect())
    }

    /// Any conductor method by name (every method of Sahara's conductor API).
    pub async fn call(
        &self,
        ctx: &RequestContext,
        method: &str,
        args_json: Value,
    ) -> Result<Value, ConductorCallError> {
        self.transport.call(ctx, method, args(args_json)).await
    }

    /// `cluster_get(cluster, show_progress)`.
    pub async fn cluster_get(
        &self,
        ctx: &RequestContext,
        id: &str,
        show_progress: bool,
    ) -> Result<Option<Cluster>, ConductorCallError> {
        self.answer(
            ctx,
            "cluster_get",
            json!({"cluster": id, "show_progress": show_progress}),
        )
        .await?
        .decode()
    }

    get_fns! {
        /// `cluster_template_get(cluster_template)`.
        cluster_template_get("cluster_template") -> ClusterTemplate;
        /// `node_group_template_get(node_group_template)`.
        node_group_template_get("node_group_template") -> NodeGroupTemplate;
        /// `data_source_get(data_source)`.
        data_source_get("data_source") -> DataSource;
        /// `job_execution_get(job_execution)`.
        job_execution_get("job_execution") -> JobExecution;
        /// `job_get(job)`.
        job_get("job") -> Job;
        /// `job_binary_get(job_binary_id)`.
        job_binary_get("job_binary_id") -> JobBinary;
        /// `job_binary_internal_get(job_binary_internal_id)`.
        job_binary_internal_get("job_binary_internal_id") -> JobBinaryInternal;
        /// `cluster_verification_get(verification_id)`.
        cluster_verification_get("verification_id") -> ClusterVerification;
        /// `cluster_health_check_get(health_check_id)`.
        cluster_health_check_get("health_check_id") -> ClusterHealthCheck;
        /// `plugin_get(name)`.
        plugin_get("name") -> PluginData;
    }

    list_fns! {
        /// `cluster_get_all(regex_search, **filters)` (filters include `limit`, `marker`, `sort_by`).
        cluster_get_all -> Cluster;
        /// `cluster_template_get_all(...)`.
        cluster_template_get_all -> ClusterTemplate;
        /// `node_group_template_get_all(...)`.
        node_group_template_get_all -> NodeGroupTemplate;
        /// `data_source_get_all(...)`.
        data_source_get_all -> DataSource;
        /// `job_execution_get_all(...)` (also `cluster.name`, `job.name`, `status`).
        job_execution_get_all -> JobExecution;
        /// `job_get_all(...)`.
        job_get_all -> Job;
        /// `job_binary_get_all(...)`.
        job_binary_get_all -> JobBinary;
        /// `job_binary_internal_get_all(...)`.
        job_binary_internal_get_all -> JobBinaryInternal;
    }

    create_fns! {
        /// `cluster_create(values)`.
        cluster_create -> Cluster;
        /// `cluster_template_create(values)`.
        cluster_template_create -> ClusterTemplate;
        /// `node_group_template_create(values)`.
        node_group_template_create -> NodeGroupTemplate;
        /// `data_source_create(values)`.
        data_source_create -> DataSource;
        /// `job_execution_create(values)`.
        job_execution_create -> JobExecution;
        /// `job_create(values)`.
        job_create -> Job;
        /// `job_binary_create(values)`.
        job_binary_create -> JobBinary;
        /// `job_binary_internal_create(values)` (`data` as base64).
        job_binary_internal_create -> JobBinaryInternal;
        /// `plugin_create(values)`.
        plugin_create -> PluginData;
    }

    update_fns! {
        /// `cluster_update(cluster, values)`.
        cluster_update("cluster") -> Cluster;
        /// `data_source_update(id, values)`.
        data_source_update("id") -> DataSource;
        /// `job_execution_update(job_execution, values)`.
        job_execution_update("job_execution") -> JobExecution;
        /// `job_update(job, values)`.
        job_update("job") -> Job;
        /// `job_binary_update(id, values)`.
        job_binary_update("id") -> JobBinary;
        /// `job_binary_internal_update(id, values)`.
        job_binary_internal_update("id") -> JobBinaryInternal;
        /// `cluster_verification_update(verification_id, values)`.
        cluster_verification_update("verification_id") -> ClusterVerification;
        /// `cluster_health_check_update(health_check_id, values)`.
        cluster_health_check_update("health_check_id") -> ClusterHealthCheck;
        /// `plugin_update(name, values)`.
        plugin_update("name") -> PluginData;
        /// `cluster_verification_add(cluster_id, values)`.
        cluster_verification_add("cluster_id") -> ClusterVerification;
        /// `cluster_health_check_add(verification_id, values)`.
        cluster_health_check_add("verification_id") -> ClusterHealthCheck;
    }

    unit_fns! {
        /// `cluster_destroy(cluster)`.
        cluster_destroy("cluster");
        /// `node_group_remove(node_group)`.
        node_group_remove("node_group");
        /// `instance_remove(instance)`.
        instance_remove("instance");
        /// `data_source_destroy(data_source)`.
        data_source_destroy("data_source");
        /// `job_execution_destroy(job_execution)`.
        job_execution_destroy("job_execution");
        /// `job_destroy(job)`.
        job_destroy("job");
        /// `job_binary_destroy(job_binary)`.
        job_binary_destroy("job_binary");
        /// `job_binary_internal_destroy(job_binary_internal)`.
        job_binary_internal_destroy("job_binary_internal");
        /// `cluster_provision_step_update(provision_step)`.
        cluster_provision_step_update("provision_step");
        /// `cluster_verification_delete(verification_id)`.
        cluster_verification_delete("verification_id");
        /// `plugin_remove(name)`.
        plugin_remove("name");
    }

    /// `cluster_template_update(id, values, ignore_prot_on_def)`.
    pub async fn cluster_template_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Map<String, Value>,
        ignore_prot_on_def: bool,
    ) -> Result<ClusterTemplate, ConductorCallError> {
        self.answer(
            ctx,
            "cluster_template_update",
            json!({"id": id, "values": values, "ignore_prot_on_def": ignore_prot_on_def}),
        )
        .await?
        .decode()
    }

    /// `node_group_template_update(id, values, ignore_prot_on_def)`.
    pub async fn node_group_template_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Map<String, Value>,
        ignore_prot_on_def: bool,
    ) -> Result<NodeGroupTemplate, ConductorCallError> {
        self.answer(
            ctx,
            "node_group_template_update",
            json!({"id": id, "values": values, "ignore_prot_on_def": ignore_prot_on_def}),
        )
        .await?
        .decode()
    }

    /// `cluster_template_destroy(cluster_template, ignore_prot_on_def)`.
    pub async fn cluster_template_destroy(
        &self,
        ctx: &RequestContext,
        id: &str,
        ignore_prot_on_def: bool,
    ) -> Result<(), ConductorCallError> {
        self.call(
            ctx,
            "cluster_template_destroy",
            json!({"cluster_template": id, "ignore_prot_on_def": ignore_prot_on_def}),
        )
        .await
        .map(|_| ())
    }

    /// `node_group_template_destroy(node_group_template, ignore_prot_on_def)`.
    pub async fn node_group_template_destroy(
        &self,
        ctx: &RequestContext,
        id: &str,
        ignore_prot_on_def: bool,
    ) -> Result<(), ConductorCallError> {
        self.call(
            ctx,
            "node_group_template_destroy",
            json!({"node_group_template": id, "ignore_prot_on_def": ignore_prot_on_def}),
        )
        .await
        .map(|_| ())
    }

    /// `node_group_add(cluster, values)`: the new node group's id.
    pub async fn node_group_add(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        values: Map<String, Value>,
    ) -> Result<String, ConductorCallError> {
        self.answer(ctx, "node_group_add", json!({"cluster": cluster_id, "values": values}))
            .await?
            .decode()
    }

    /// `node_group_update(node_group, values)`.
    pub async fn node_group_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Map<String, Value>,
    ) -> Result<(), ConductorCallError> {
        self.call(ctx, "node_group_update", json!({"node_group": id, "values": values}))
            .await
            .map(|_| ())
    }

    /// `instance_add(node_group, values)`: the new instance's id.
    pub async fn instance_add(
        &self,
        ctx: &RequestContext,
        node_group_id: &str,
        values: Map<String, Value>,
    ) -> Result<String, ConductorCallError> {
        self.answer(
            ctx,
            "instance_add",
            json!({"node_group": node_group_id, "values": values}),
        )
        .await?
        .decode()
    }

    /// `instance_update(instance, values)`.
    pub async fn instance_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Map<String, Value>,
    ) -> Result<(), ConductorCallError> {
        self.call(ctx, "instance_update", json!({"instance": id, "values": values}))
            .await
            .map(|_| ())
    }

    /// `append_volume(instance, volume_id)`.
    pub async fn append_volume(
        &self,
        ctx: &RequestContext,
        instance_id: &str,
        volume_id: &str,
    ) -> Result<(), ConductorCallError> {
        self.call(
            ctx,
            "append_volume",
            json!({"instance": instance_id, "volume_id": volume_id}),
        )
        .await
        .map(|_| ())
    }

    /// `remove_volume(instance, volume_id)`.
    pub async fn remove_volume(
        &self,
        ctx: &RequestContext,
        instance_id: &str,
        volume_id: &str,
    ) -> Result<(), ConductorCallError> {
        self.call(
            ctx,
            "remove_volume",
            json!({"instance": instance_id, "volume_id": volume_id}),
        )
        .await
        .map(|_| ())
    }

    /// `data_source_count(**filters)`.
    pub async fn data_source_count(
        &self,
        ctx: &RequestContext,
        filters: Map<String, Value>,
    ) -> Result<i64, ConductorCallError> {
        self.answer(ctx, "data_source_count", Value::Object(filters))
            .await?
            .decode()
    }

    /// `job_execution_count(**filters)`.
    pub async fn job_execution_count(
        &self,
        ctx: &RequestContext,
        filters: Map<String, Value>,
    ) -> Result<i64, ConductorCallError> {
        self.answer(ctx, "job_execution_count", Value::Object(filters))
            .await?
            .decode()
    }

    /// `job_main_name(job)`.
    pub async fn job_main_name(
        &self,
        ctx: &RequestContext,
        job_id: &str,
    ) -> Result<Option<String>, ConductorCallError> {
        self.answer(ctx, "job_main_name", json!({"job": job_id}))
            .await?
            .decode()
    }

    /// `job_lib_names(job)`.
    pub async fn job_lib_names(&self, ctx: &RequestContext, job_id: &str) -> Result<Vec<String>, ConductorCallError> {
        self.answer(ctx, "job_lib_names", json!({"job": job_id}))
            .await?
            .decode()
    }

    /// `job_binary_internal_get_raw_data(job_binary_internal_id)`: base64, or `None`.
    pub async fn job_binary_internal_get_raw_data(
        &self,
        ctx: &RequestContext,
        id: &str,
    ) -> Result<Option<String>, ConductorCallError> {
        self.answer(
            ctx,
            "job_binary_internal_get_raw_data",
            json!({"job_binary_internal_id": id}),
        )
        .await?
        .decode()
    }

    /// `cluster_provision_step_add(cluster_id, values)`: the step's id.
    pub async fn cluster_provision_step_add(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
        values: Map<String, Value>,
    ) -> Result<String, ConductorCallError> {
        self.answer(
            ctx,
            "cluster_provision_step_add",
            json!({"cluster_id": cluster_id, "values": values}),
        )
        .await?
        .decode()
    }

    /// `cluster_provision_progress_update(cluster_id)`: the cluster with its events.
    pub async fn cluster_provision_progress_update(
        &self,
        ctx: &RequestContext,
        cluster_id: &str,
    ) -> Result<Cluster, ConductorCallError> {
        self.answer(
            ctx,
            "cluster_provision_progress_update",
            json!({"cluster_id": cluster_id}),
        )
        .await?
        .decode()
    }

    /// `cluster_event_add(provision_step, values)`: the event's id.
    pub async fn cluster_event_add(
        &self,
        ctx: &RequestContext,
        step_id: &str,
        values: Map<String, Value>,
    ) -> Result<String, ConductorCallError> {
        self.answer(
            ctx,
            "cluster_event_add",
            json!({"provision_step": step_id, "values": values}),
        )
        .await?
        .decode()
    }

    /// `plugin_get_all()`.
    pub async fn plugin_get_all(&self, ctx: &RequestContext) -> Result<Vec<PluginData>, ConductorCallError> {
        self.answer(ctx, "plugin_get_all", json!({})).await?.decode()
    }
}
