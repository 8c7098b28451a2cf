//! Clusters: `/clusters` of sahara/api/v10.py (under `/v1.0` and `/v1.1`) and sahara/api/v2/clusters.py, with
//! the work sahara/service/api/v10.py and v2/clusters.py do before the engine takes over: the conductor writes
//! (create with template merge, `Validating` / `Error` / `Deleting` statuses, node groups added for scaling, the
//! auto security groups' ports), the quota check against the cloud's limits, and the casts to the engines on
//! `sahara-ops` ([`ops`]). Trusts are made by the engine (`_provision_cluster`), not here.
//!
//! The API sends Sahara's `sahara.cluster.create` (status `New`), `.update` (its own status changes) and
//! `.delete` (`Deleting`) notifications ([`notify`]).

pub mod checks;
pub mod ops;

use crate::ApiState;
use crate::cloud::QuotaNodeGroup;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Render, Routes, listing};
use crate::templates::{Call, Obj, Reply, body_obj, to_obj, v2_to_conductor, view};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sahara_model::{ApiVersion, Cluster, ClusterStatus, ResourceKind, SaharaError};
use sahara_validation::{SchemaId, validate};
use serde_json::{Map, Value, json};

const KIND: ResourceKind = ResourceKind::Cluster;

/// The sorting fields `validate_sorting_clusters` accepts (v1 only; v2 does not check them).
pub const CLUSTER_SORT_FIELDS: &[&str] = &["id", "name", "plugin_name", "hadoop_version", "status"];

/// The options cluster validation reads.
#[derive(Debug, Clone)]
pub struct ClusterOpts {
    /// `[DEFAULT] node_domain` (the hostname length check).
    pub node_domain: String,
    /// `[cluster_verifications] verification_enable`.
    pub verification_enable: bool,
}

impl Default for ClusterOpts {
    fn default() -> Self {
        ClusterOpts {
            node_domain: "novalocal".into(),
            verification_enable: true,
        }
    }
}

impl ClusterOpts {
    /// The options of `conf`.
    pub fn from_conf(conf: &sahara_config::ConfigOpts) -> anyhow::Result<Self> {
        let net: sahara_config::SaharaNetworkingOpts = conf.group()?;
        let ver: sahara_config::ClusterVerificationOpts = conf.group()?;
        Ok(ClusterOpts {
            node_domain: net.node_domain,
            verification_enable: ver.verification_enable,
        })
    }
}

/// The cluster routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v10()
            .get("/clusters", "data-processing:clusters:get_all", list_v1)
            .post("/clusters", "data-processing:clusters:create", create_v1)
            .post(
                "/clusters/multiple",
                "data-processing:clusters:create",
                create_multiple_v1,
            )
            .put("/clusters/{id}", "data-processing:clusters:scale", scale_v1)
            .get("/clusters/{id}", "data-processing:clusters:get", get_v1)
            .patch("/clusters/{id}", "data-processing:clusters:modify", update_v1)
            .delete("/clusters/{id}", "data-processing:clusters:delete", delete_v1),
        Routes::v2()
            .get("/clusters", "data-processing:cluster:list", list_v2)
            .post("/clusters", "data-processing:cluster:create", create_v2)
            .put("/clusters/{id}", "data-processing:cluster:scale", scale_v2)
            .get("/clusters/{id}", "data-processing:cluster:get", get_v2)
            .patch("/clusters/{id}", "data-processing:cluster:update", update_v2)
            .delete("/clusters/{id}", "data-processing:cluster:delete", delete_v2),
    ]
}

/// `check_exists(api.get_cluster, id)`: the cluster, or 404.
async fn existing(call: &Call<'_>, id: &str) -> Result<Cluster, ApiError> {
    call.state
        .conductor
        .cluster_get(call.ctx, id, false)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

fn wrapped(cluster: &Cluster, version: ApiVersion) -> Reply {
    Ok(crate::templates::wrapped(KIND, view(KIND, cluster, version)?, version))
}

/// `change_cluster_status(cluster, status, status_description)`: the description first (if any), then the
/// status unless the cluster is gone or `Deleting` (final), with the provision progress settled. Returns the
/// cluster as it then is (`None` when it vanished).
pub async fn change_status(
    call: &Call<'_>,
    id: &str,
    status: ClusterStatus,
    description: Option<String>,
) -> Result<Option<Cluster>, ApiError> {
    let conductor = &call.state.conductor;
    let cluster = conductor.cluster_get(call.ctx, id, false).await?;
    if let (Some(d), Some(_)) = (description, &cluster) {
        let values = Map::from_iter([("status_description".to_string(), Value::String(d))]);
        match conductor.cluster_update(call.ctx, id, values).await {
            Ok(_) | Err(sahara_model::conductor::ConductorCallError::Sahara(SaharaError::NotFound(_))) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let Some(cluster) = cluster else {
        return Ok(None);
    };
    if cluster.status == Some(ClusterStatus::Deleting) {
        return Ok(Some(cluster));
    }
    let values = Map::from_iter([("status".to_string(), json!(status.to_string()))]);
    let cluster = conductor.cluster_update(call.ctx, id, values).await?;
    conductor.cluster_provision_progress_update(call.ctx, id).await?;
    tracing::info!(cluster_id = id, "Cluster status has been changed. New status={status}");
    notify(call, &cluster, &status.to_string(), "update").await;
    Ok(Some(cluster))
}

/// `sender.status_notify(cluster.id, cluster.name, status, event)`.
async fn notify(call: &Call<'_>, cluster: &Cluster, status: &str, event: &str) {
    if let Some(n) = &call.state.notifier {
        n.status(call.ctx, &cluster.id, &cluster.name, status, event).await;
    }
}

/// `_add_ports_for_auto_sg`: node groups with an automatic security group get the plugin's open ports (none for
/// the plugins we carry).
async fn add_ports_for_auto_sg(call: &Call<'_>, cluster: &Cluster) -> Result<(), ApiError> {
    for ng in &cluster.node_groups {
        if ng.auto_security_group == Some(true) {
            let values = Map::from_iter([("open_ports".to_string(), json!([]))]);
            call.state.conductor.node_group_update(call.ctx, &ng.id, values).await?;
        }
    }
    Ok(())
}

/// What a node group asks of the quotas when it grows by `count`.
fn quota_group(ng: &sahara_model::NodeGroup, count: i64) -> QuotaNodeGroup {
    QuotaNodeGroup {
        flavor_id: ng.flavor_id.clone(),
        count,
        floating_ip: ng.floating_ip_pool.as_deref().is_some_and(|p| !p.is_empty()),
        volumes_per_node: i64::from(ng.volumes_per_node.unwrap_or(0)),
        volumes_size: i64::from(ng.volumes_size.unwrap_or(0)),
        auto_security_group: ng.auto_security_group == Some(true),
        open_ports: ng.open_ports.as_ref().map_or(0, Vec::len),
    }
}

/// The status change on a failed validation, then the failure itself.
async fn fail_with(call: &Call<'_>, id: &str, status: ClusterStatus, e: ApiError) -> ApiError {
    let reason = e.message.split("\nError ID: ").next().unwrap_or_default().to_string();
    if let Err(e2) = change_status(call, id, status, Some(reason)).await {
        tracing::error!(cluster_id = id, error = %e2, "cannot record the failed validation");
    }
    e
}

/// `_cluster_create(values, plugin)`: the cluster written (`undefined`), ports of auto security groups, then
/// `Validating`, the quota check (`Error` with the reason when it fails), and `provision_cluster` cast.
async fn create_one(call: &Call<'_>, values: Obj) -> Result<Cluster, ApiError> {
    let cluster = call.state.conductor.cluster_create(call.ctx, values).await?;
    let id = cluster.id.clone();
    notify(call, &cluster, ClusterStatus::New.as_str(), "create").await;
    add_ports_for_auto_sg(call, &cluster).await?;
    let validated = async {
        let cluster = change_status(call, &id, ClusterStatus::Validating, None)
            .await?
            .ok_or_else(|| ApiError::from(SaharaError::not_found(KIND, &id)))?;
        let groups: Vec<QuotaNodeGroup> = cluster
            .node_groups
            .iter()
            .map(|ng| quota_group(ng, i64::from(ng.count)))
            .collect();
        call.cloud().quotas(&groups).await?;
        Ok::<_, ApiError>(cluster)
    }
    .await;
    let cluster = match validated {
        Ok(c) => c,
        Err(e) => return Err(fail_with(call, &id, ClusterStatus::Error, e).await),
    };
    ops::engine(call.state)?.provision_cluster(call.ctx, &id).await?;
    Ok(cluster)
}

/// The create request's values for the conductor (`count` is not a cluster column).
fn create_values(data: &Obj, version: ApiVersion) -> Obj {
    let mut values = data.clone();
    values.remove("count");
    match version {
        ApiVersion::V1 => values,
        ApiVersion::V2 => v2_to_conductor(values),
    }
}

async fn list(call: &Call<'_>, args: &Args, version: ApiVersion) -> crate::templates::Listing {
    if let Some(marker) = listing::marker(args) {
        existing(call, marker).await?;
    }
    listing::limit(args)?;
    match version {
        ApiVersion::V1 => listing::validate_sorting(args, CLUSTER_SORT_FIELDS)?,
        ApiVersion::V2 => args.only("clusters_list", crate::templates::V2_LIST_PARAMS)?,
    }
    let mut filters = Obj::new();
    for key in args.keys() {
        if let Some(v) = args.get(key) {
            filters.insert(key.to_string(), Value::String(v.to_string()));
        }
    }
    if version == ApiVersion::V2 {
        filters = v2_to_conductor(filters);
    }
    let page = call
        .state
        .conductor
        .cluster_get_all(call.ctx, true, filters)
        .await
        .map_err(|e| listing::sort_key_error(e, args))?;
    crate::templates::render_page(KIND, page, version, args)
}

async fn get(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Reply {
    existing(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("clusters_get", &["show_progress"])?;
    }
    let show = args.get("show_progress").unwrap_or("false").to_lowercase() == "true";
    let cluster = call
        .state
        .conductor
        .cluster_get(call.ctx, id, show)
        .await?
        .ok_or_else(|| ApiError::from(SaharaError::not_found(KIND, id)))?;
    wrapped(&cluster, version)
}

async fn create(call: &Call<'_>, data: Value, args: &Args, version: ApiVersion, multiple_v1: bool) -> Reply {
    let schema = match (version, multiple_v1) {
        (ApiVersion::V1, false) => SchemaId::Cluster,
        (ApiVersion::V1, true) => SchemaId::MultipleCluster,
        (ApiVersion::V2, _) => SchemaId::ClusterV2,
    };
    validate(schema, &data)?;
    let data = body_obj(&data);
    let multiple = multiple_v1 || (version == ApiVersion::V2 && data.get("count").is_some_and(|c| !c.is_null()));
    checks::cluster_create(call, &call.state.clusters, &data, multiple).await?;
    if version == ApiVersion::V2 {
        args.only("clusters_create", &[])?;
    }
    let values = create_values(&data, version);
    if !multiple {
        return wrapped(&create_one(call, values).await?, version);
    }
    let count = checks::count_of(&data).unwrap_or(0);
    let name = crate::templates::checks::required_str(&values, "name")?;
    let mut clusters = Vec::new();
    for counter in 1..=count {
        let mut one = values.clone();
        one.insert(
            "name".into(),
            Value::String(checks::multiple_cluster_name(count, &name, counter)),
        );
        let cluster = create_one(call, one).await?;
        clusters.push(match version {
            ApiVersion::V1 => Value::String(cluster.id.clone()),
            ApiVersion::V2 => json!({"cluster": view(KIND, &cluster, version)?}),
        });
    }
    Ok(Render(json!({"clusters": clusters})))
}

async fn scale(call: &Call<'_>, id: &str, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let cluster = existing(call, id).await?;
    let schema = match version {
        ApiVersion::V1 => SchemaId::ClusterScaling,
        ApiVersion::V2 => SchemaId::ClusterScalingV2,
    };
    validate(schema, &data)?;
    let data = body_obj(&data);
    let engine = ops::engine(call.state)?;
    checks::cluster_scaling(call, &call.state.clusters, &cluster, &data, async || {
        engine.get_engine_type_and_version(call.ctx).await
    })
    .await?;
    if version == ApiVersion::V2 {
        args.only("clusters_scale", &[])?;
    }

    // `scale_cluster(id, data)`.
    let mut to_be_enlarged: Map<String, Value> = Map::new();
    let mut instance_map: Map<String, Value> = Map::new();
    for ng in data
        .get("resize_node_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = ng.get("name").and_then(Value::as_str).unwrap_or_default();
        let Some(found) = cluster.node_groups.iter().find(|g| g.name == name) else {
            continue;
        };
        to_be_enlarged.insert(found.id.clone(), ng.get("count").cloned().unwrap_or(Value::Null));
        if let Some(instances) = ng.get("instances") {
            instance_map.insert(found.id.clone(), instances.clone());
        }
    }
    let mut additional: Map<String, Value> = Map::new();
    for ng in data
        .get("add_node_groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let mut values = ng.as_object().cloned().unwrap_or_default();
        let count = values.insert("count".into(), json!(0)).unwrap_or(Value::Null);
        let ng_id = call.state.conductor.node_group_add(call.ctx, id, values).await?;
        additional.insert(ng_id, count);
    }
    let cluster = existing(call, id).await?;
    add_ports_for_auto_sg(call, &cluster).await?;

    let validated = async {
        let cluster = change_status(call, id, ClusterStatus::Validating, None)
            .await?
            .ok_or_else(|| ApiError::from(SaharaError::not_found(KIND, id)))?;
        let mut wanted = to_be_enlarged.clone();
        wanted.extend(additional.clone());
        let groups: Vec<QuotaNodeGroup> = cluster
            .node_groups
            .iter()
            .filter_map(|ng| {
                let target = wanted.get(&ng.id).and_then(Value::as_i64).filter(|c| *c != 0)?;
                Some(quota_group(ng, target - i64::from(ng.count)))
            })
            .collect();
        call.cloud().quotas(&groups).await?;
        Ok::<_, ApiError>(cluster)
    }
    .await;
    let cluster = match validated {
        Ok(c) => c,
        Err(e) => {
            // `clean_cluster_from_empty_ng`, then back to Active with the reason.
            if let Ok(Some(current)) = call.state.conductor.cluster_get(call.ctx, id, false).await {
                for ng in current.node_groups.iter().filter(|ng| ng.count == 0) {
                    if let Err(e2) = call.state.conductor.node_group_remove(call.ctx, &ng.id).await {
                        tracing::error!(node_group_id = %ng.id, error = %e2, "cannot remove an empty node group");
                    }
                }
            }
            return Err(fail_with(call, id, ClusterStatus::Active, e).await);
        }
    };
    to_be_enlarged.extend(additional);
    for ng in &cluster.node_groups {
        to_be_enlarged.entry(ng.id.clone()).or_insert(json!(ng.count));
    }
    let instance_map = match version {
        ApiVersion::V1 => None,
        ApiVersion::V2 => Some(instance_map),
    };
    engine
        .provision_scaled_cluster(call.ctx, id, to_be_enlarged, instance_map)
        .await?;
    wrapped(&cluster, version)
}

async fn update(call: &Call<'_>, id: &str, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let cluster = existing(call, id).await?;
    let schema = match version {
        ApiVersion::V1 => SchemaId::ClusterUpdate,
        ApiVersion::V2 => SchemaId::ClusterUpdateV2,
    };
    validate(schema, &data)?;
    let mut data = body_obj(&data);
    checks::cluster_update(call, &call.state.clusters, &cluster, &data).await?;
    if version == ApiVersion::V2 {
        args.only("clusters_update", &[])?;
        if let Some(keypair) = data.remove("update_keypair")
            && crate::templates::checks::truthy(Some(&keypair))
        {
            ops::engine(call.state)?.update_keypair(call.ctx, id).await?;
        }
    }
    let verification = data.get("verification").and_then(|v| v.get("status"));
    if crate::templates::checks::truthy(verification) {
        ops::engine(call.state)?
            .handle_verification(call.ctx, id, Value::Object(data.clone()))
            .await?;
        return wrapped(&existing(call, id).await?, version);
    }
    let updated = call.state.conductor.cluster_update(call.ctx, id, data).await?;
    wrapped(&updated, version)
}

/// `terminate_cluster(id, force)`: `Deleting`, then the `terminate_cluster` cast.
async fn terminate(call: &Call<'_>, id: &str, force: bool) -> Result<(), ApiError> {
    let Some(cluster) = change_status(call, id, ClusterStatus::Deleting, None).await? else {
        return Ok(());
    };
    ops::engine(call.state)?.terminate_cluster(call.ctx, id, force).await?;
    notify(call, &cluster, ClusterStatus::Deleting.as_str(), "delete").await;
    Ok(())
}

async fn delete(
    call: &Call<'_>,
    id: &str,
    data: Value,
    args: &Args,
    version: ApiVersion,
) -> Result<Response, ApiError> {
    let cluster = existing(call, id).await?;
    if version == ApiVersion::V2 {
        validate(SchemaId::ClusterDeleteV2, &data)?;
    }
    checks::cluster_delete(call, &cluster)?;
    if version == ApiVersion::V1 {
        terminate(call, id, false).await?;
        return Ok(Render(json!({})).into_response());
    }
    args.only("clusters_delete", &[])?;
    let force = crate::templates::checks::truthy(data.get("force"));
    let stack_name = to_obj(&cluster)?
        .get("extra")
        .and_then(|e| e.get("heat_stack_name"))
        .cloned()
        .unwrap_or(Value::Null);
    terminate(call, id, force).await?;
    if force {
        return Ok((StatusCode::OK, Json(json!({"stack_name": stack_name}))).into_response());
    }
    Ok(Render(json!({})).into_response())
}

macro_rules! call {
    ($state:expr, $ctx:expr) => {
        &Call {
            state: &$state,
            ctx: &$ctx,
        }
    };
}

async fn list_v1(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> crate::templates::Listing {
    list(call!(state, ctx), &args, ApiVersion::V1).await
}

async fn list_v2(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> crate::templates::Listing {
    list(call!(state, ctx), &args, ApiVersion::V2).await
}

async fn create_v1(State(state): State<ApiState>, Caller(ctx): Caller, args: Args, Data(data): Data) -> Reply {
    create(call!(state, ctx), data, &args, ApiVersion::V1, false).await
}

async fn create_multiple_v1(State(state): State<ApiState>, Caller(ctx): Caller, args: Args, Data(data): Data) -> Reply {
    create(call!(state, ctx), data, &args, ApiVersion::V1, true).await
}

async fn create_v2(State(state): State<ApiState>, Caller(ctx): Caller, args: Args, Data(data): Data) -> Reply {
    create(call!(state, ctx), data, &args, ApiVersion::V2, false).await
}

async fn get_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Reply {
    get(call!(state, ctx), &id, &args, ApiVersion::V1).await
}

async fn get_v2(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Reply {
    get(call!(state, ctx), &id, &args, ApiVersion::V2).await
}

async fn scale_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    scale(call!(state, ctx), &id, data, &args, ApiVersion::V1).await
}

async fn scale_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    scale(call!(state, ctx), &id, data, &args, ApiVersion::V2).await
}

async fn update_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    update(call!(state, ctx), &id, data, &args, ApiVersion::V1).await
}

async fn update_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    update(call!(state, ctx), &id, data, &args, ApiVersion::V2).await
}

async fn delete_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Response {
    delete(call!(state, ctx), &id, json!({}), &args, ApiVersion::V1)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

async fn delete_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    body: axum::body::Bytes,
) -> Response {
    // The body of a DELETE is read only here (`{"force": true}`), as Sahara's `request_data` does.
    let data = if body.is_empty() {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(_) => {
                return ApiError::from(SaharaError::MalformedRequestBody(
                    "Malformed message body: cannot understand JSON".into(),
                ))
                .into_response();
            }
        }
    };
    delete(call!(state, ctx), &id, data, &args, ApiVersion::V2)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}
