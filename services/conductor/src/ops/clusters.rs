//! Clusters, their node groups and instances, and volumes.

use super::{
    Conductor, Obj, already_written, by, list_request, map_create_error, map_write_error, must_get, page_value, s,
    scope, tenant,
};
use crate::error::{ConductorError, Result};
use crate::keys::generate_key_pair;
use crate::store::query::{self, Filter, Scope};
use crate::store::tables::{
    CLUSTER_EVENTS, CLUSTER_HEALTH_CHECKS, CLUSTER_PROVISION_STEPS, CLUSTER_VERIFICATIONS, CLUSTERS, INSTANCES,
    NODE_GROUPS,
};
use sahara_model::{ResourceKind, SaharaError, defaults};
use sahara_rpc::RequestContext;
use sahara_schema::DbConnection;
use serde_json::{Map, Value};

/// Attaches what Sahara's `Cluster.to_dict(show_progress)` adds: node groups (each with
/// its instances, ordered by name), provision steps (with events when `show_progress`),
/// and the verification with its checks when there is one.
pub(crate) fn load_clusters(c: &mut DbConnection, mut rows: Vec<Obj>, show_progress: bool) -> Result<Vec<Obj>> {
    let ids: Vec<String> = rows.iter().filter_map(|r| s(r, "id").map(str::to_string)).collect();
    let node_groups = query::select_in(c, &NODE_GROUPS, "cluster_id", &ids, "t.`id`")?;
    let ng_ids: Vec<String> = node_groups
        .iter()
        .filter_map(|r| s(r, "id").map(str::to_string))
        .collect();
    let instances = query::select_in(c, &INSTANCES, "node_group_id", &ng_ids, "t.`instance_name`, t.`id`")?;
    let steps = query::select_in(c, &CLUSTER_PROVISION_STEPS, "cluster_id", &ids, "t.`id`")?;
    let events = if show_progress {
        let step_ids: Vec<String> = steps.iter().filter_map(|r| s(r, "id").map(str::to_string)).collect();
        query::select_in(c, &CLUSTER_EVENTS, "step_id", &step_ids, "t.`id`")?
    } else {
        Vec::new()
    };
    let verifications = query::select_in(c, &CLUSTER_VERIFICATIONS, "cluster_id", &ids, "t.`id`")?;
    let v_ids: Vec<String> = verifications
        .iter()
        .filter_map(|r| s(r, "id").map(str::to_string))
        .collect();
    let checks = query::select_in(c, &CLUSTER_HEALTH_CHECKS, "verification_id", &v_ids, "t.`id`")?;

    for row in &mut rows {
        let id = s(row, "id").unwrap_or_default().to_string();
        let ngs: Vec<Value> = node_groups
            .iter()
            .filter(|ng| s(ng, "cluster_id") == Some(id.as_str()))
            .map(|ng| {
                let mut ng = ng.clone();
                let ng_id = s(&ng, "id").unwrap_or_default().to_string();
                let inst: Vec<Value> = instances
                    .iter()
                    .filter(|i| s(i, "node_group_id") == Some(ng_id.as_str()))
                    .cloned()
                    .map(Value::Object)
                    .collect();
                ng.insert("instances".into(), Value::Array(inst));
                Value::Object(ng)
            })
            .collect();
        row.insert("node_groups".into(), Value::Array(ngs));
        let progress: Vec<Value> = steps
            .iter()
            .filter(|st| s(st, "cluster_id") == Some(id.as_str()))
            .map(|st| {
                let mut st = st.clone();
                if show_progress {
                    let st_id = s(&st, "id").unwrap_or_default().to_string();
                    let ev: Vec<Value> = events
                        .iter()
                        .filter(|e| s(e, "step_id") == Some(st_id.as_str()))
                        .cloned()
                        .map(Value::Object)
                        .collect();
                    st.insert("events".into(), Value::Array(ev));
                }
                Value::Object(st)
            })
            .collect();
        row.insert("provision_progress".into(), Value::Array(progress));
        if let Some(v) = verifications.iter().find(|v| s(v, "cluster_id") == Some(id.as_str())) {
            let mut v = v.clone();
            let v_id = s(&v, "id").unwrap_or_default().to_string();
            let ch: Vec<Value> = checks
                .iter()
                .filter(|h| s(h, "verification_id") == Some(v_id.as_str()))
                .cloned()
                .map(Value::Object)
                .collect();
            v.insert("checks".into(), Value::Array(ch));
            row.insert("verification".into(), Value::Object(v));
        }
    }
    Ok(rows)
}

/// One cluster in full, or `None`.
pub(crate) fn cluster_full(c: &mut DbConnection, scope: &Scope, id: &str, show_progress: bool) -> Result<Option<Obj>> {
    match query::get(c, &CLUSTERS, scope, id)? {
        Some(row) => Ok(load_clusters(c, vec![row], show_progress)?.pop()),
        None => Ok(None),
    }
}

/// Deletes a cluster and everything Sahara's ORM cascades to.
pub(crate) fn delete_cluster_rows(c: &mut DbConnection, id: &str) -> Result<()> {
    let ng_ids: Vec<Value> = query::select(c, &NODE_GROUPS, &Scope::unrestricted(), &by("cluster_id", id), None)?
        .iter()
        .filter_map(|r| r.get("id").cloned())
        .collect();
    if !ng_ids.is_empty() {
        query::delete_where(c, &INSTANCES, &[Filter::In("node_group_id".into(), ng_ids)])?;
    }
    query::delete_where(c, &NODE_GROUPS, &by("cluster_id", id))?;
    let step_ids: Vec<Value> = query::select(
        c,
        &CLUSTER_PROVISION_STEPS,
        &Scope::unrestricted(),
        &by("cluster_id", id),
        None,
    )?
    .iter()
    .filter_map(|r| r.get("id").cloned())
    .collect();
    if !step_ids.is_empty() {
        query::delete_where(c, &CLUSTER_EVENTS, &[Filter::In("step_id".into(), step_ids)])?;
    }
    query::delete_where(c, &CLUSTER_PROVISION_STEPS, &by("cluster_id", id))?;
    let v_ids: Vec<Value> = query::select(
        c,
        &CLUSTER_VERIFICATIONS,
        &Scope::unrestricted(),
        &by("cluster_id", id),
        None,
    )?
    .iter()
    .filter_map(|r| r.get("id").cloned())
    .collect();
    if !v_ids.is_empty() {
        query::delete_where(
            c,
            &CLUSTER_HEALTH_CHECKS,
            &[Filter::In("verification_id".into(), v_ids)],
        )?;
    }
    query::delete_where(c, &CLUSTER_VERIFICATIONS, &by("cluster_id", id))?;
    query::delete_where(c, &CLUSTERS, &by("id", id))?;
    Ok(())
}

impl Conductor {
    /// `cluster_get(cluster, show_progress=False)`: the cluster or `None`; with
    /// `show_progress`, completed provision steps are settled first and events included,
    /// and (as in Sahara, where this goes through `cluster_provision_progress_update`) a
    /// cluster the caller can't see is a NotFoundException rather than `None`.
    pub async fn cluster_get(&self, ctx: &RequestContext, id: &str, show_progress: bool) -> Result<Option<Obj>> {
        if show_progress && !self.settings.disable_event_log {
            return self.cluster_provision_progress_update(ctx, id).await.map(Some);
        }
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("cluster_get", move |c, _, _| {
                cluster_full(c, &scope, &id, show_progress)
            })
            .await
    }

    /// `cluster_get_all(regex_search, **kwargs)`: a page of clusters.
    pub async fn cluster_get_all(&self, ctx: &RequestContext, regex_search: bool, kwargs: Obj) -> Result<Value> {
        let scope = scope(ctx);
        self.store
            .run("cluster_get_all", move |c, backend, _| {
                let req = list_request(
                    &kwargs,
                    regex_search,
                    ResourceKind::Cluster.regex_filter_columns(),
                    backend,
                )?;
                let mut page = query::list(c, &CLUSTERS, &scope, &req)?;
                page.items = load_clusters(c, page.items, false)?;
                Ok(page_value(page))
            })
            .await
    }

    /// `cluster_create(values)`: defaults, a new management key pair, the cluster template
    /// and node group templates merged in; returns the cluster.
    pub async fn cluster_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let (private_key, public_key) = generate_key_pair().await?;
        let (scope, tenant) = (scope(ctx), tenant(ctx));
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("cluster_create", move |c, _, attempt| {
                let template = match s(&values, "cluster_template_id") {
                    Some(ct) => Some(super::templates::cluster_template_full(c, &scope, ct)?.ok_or_else(|| {
                        ConductorError::from(SaharaError::not_found(ResourceKind::ClusterTemplate, ct))
                    })?),
                    None => None,
                };
                let merged = defaults::cluster_create_values(
                    &values,
                    tenant.as_deref(),
                    &private_key,
                    &public_key,
                    template.as_ref(),
                    |ngt| super::templates::ngt_for_merge(c, &scope, ngt),
                )?;
                match insert_cluster(c, &id, &merged) {
                    Ok(()) => {}
                    Err(e) if already_written(&e, attempt) => {}
                    Err(e) => return Err(map_create_error(e)),
                }
                cluster_full(c, &scope, &id, false)?
                    .ok_or_else(|| ConductorError::Database(format!("cluster {id} vanished after its creation")))
            })
            .await
    }

    /// `cluster_update(cluster, values)`: sets fields; returns the cluster.
    pub async fn cluster_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("cluster_update", move |c, _, _| {
                query::get(c, &CLUSTERS, &scope, &id)?
                    .ok_or_else(|| SaharaError::not_found(ResourceKind::Cluster, &id))?;
                query::update(c, &CLUSTERS, &id, &values).map_err(|e| map_write_error(e, ResourceKind::Cluster))?;
                cluster_full(c, &scope, &id, false)?
                    .ok_or_else(|| SaharaError::not_found(ResourceKind::Cluster, &id).into())
            })
            .await
    }

    /// `cluster_destroy(cluster)`: deletes it with its node groups, instances, provision
    /// steps, events, verifications and checks.
    pub async fn cluster_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("cluster_destroy", move |c, _, _| {
                must_get(c, &CLUSTERS, &scope, ResourceKind::Cluster, &id)?;
                delete_cluster_rows(c, &id)
            })
            .await
    }

    /// `node_group_add(cluster, values)`: the node group filled from its template; its id.
    pub async fn node_group_add(&self, ctx: &RequestContext, cluster_id: &str, values: Obj) -> Result<String> {
        let (scope, tenant, cluster_id) = (scope(ctx), tenant(ctx), cluster_id.to_string());
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("node_group_add", move |c, _, attempt| {
                let mut v = defaults::node_group_add_values(&values, tenant.as_deref(), |ngt| {
                    super::templates::ngt_for_merge(c, &scope, ngt)
                })?;
                must_get(c, &CLUSTERS, &scope, ResourceKind::Cluster, &cluster_id)?;
                v.insert("cluster_id".into(), Value::String(cluster_id.clone()));
                match query::insert_with_id(c, &NODE_GROUPS, &id, &v) {
                    Ok(()) => Ok(id.clone()),
                    Err(e) if already_written(&e, attempt) => Ok(id.clone()),
                    Err(e) => Err(map_write_error(e, ResourceKind::NodeGroup)),
                }
            })
            .await
    }

    /// `node_group_update(node_group, values)`.
    pub async fn node_group_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("node_group_update", move |c, _, _| {
                must_get(c, &NODE_GROUPS, &scope, ResourceKind::NodeGroup, &id)?;
                query::update(c, &NODE_GROUPS, &id, &values)
                    .map_err(|e| map_write_error(e, ResourceKind::NodeGroup))?;
                Ok(())
            })
            .await
    }

    /// `node_group_remove(node_group)`: with its instances.
    pub async fn node_group_remove(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("node_group_remove", move |c, _, _| {
                must_get(c, &NODE_GROUPS, &scope, ResourceKind::NodeGroup, &id)?;
                query::delete_where(c, &INSTANCES, &by("node_group_id", &id))?;
                query::delete_where(c, &NODE_GROUPS, &by("id", &id))?;
                Ok(())
            })
            .await
    }

    /// `instance_add(node_group, values)`: adds the instance and counts it in its node
    /// group; returns its id.
    pub async fn instance_add(&self, ctx: &RequestContext, node_group_id: &str, values: Obj) -> Result<String> {
        let (scope, tenant, ng_id) = (scope(ctx), tenant(ctx), node_group_id.to_string());
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("instance_add", move |c, _, attempt| {
                let ng = must_get(c, &NODE_GROUPS, &scope, ResourceKind::NodeGroup, &ng_id)?;
                let mut v = defaults::instance_add_values(&values, tenant.as_deref());
                v.insert("node_group_id".into(), Value::String(ng_id.clone()));
                match query::insert_with_id(c, &INSTANCES, &id, &v) {
                    Ok(()) => {}
                    Err(e) if already_written(&e, attempt) => return Ok(id.clone()),
                    Err(e) => return Err(map_write_error(e, ResourceKind::Instance)),
                }
                let count = ng.get("count").and_then(Value::as_i64).unwrap_or(0) + 1;
                query::update(
                    c,
                    &NODE_GROUPS,
                    &ng_id,
                    &Map::from_iter([("count".to_string(), Value::from(count))]),
                )?;
                Ok(id.clone())
            })
            .await
    }

    /// `instance_update(instance, values)`.
    pub async fn instance_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("instance_update", move |c, _, _| {
                must_get(c, &INSTANCES, &scope, ResourceKind::Instance, &id)?;
                query::update(c, &INSTANCES, &id, &values).map_err(|e| map_write_error(e, ResourceKind::Instance))?;
                Ok(())
            })
            .await
    }

    /// `instance_remove(instance)`: and one less in its node group's count.
    pub async fn instance_remove(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("instance_remove", move |c, _, _| {
                let inst = must_get(c, &INSTANCES, &scope, ResourceKind::Instance, &id)?;
                query::delete_where(c, &INSTANCES, &by("id", &id))?;
                if let Some(ng_id) = s(&inst, "node_group_id")
                    && let Some(ng) = query::get(c, &NODE_GROUPS, &scope, ng_id)?
                {
                    let count = ng.get("count").and_then(Value::as_i64).unwrap_or(0) - 1;
                    query::update(
                        c,
                        &NODE_GROUPS,
                        ng_id,
                        &Map::from_iter([("count".to_string(), Value::from(count))]),
                    )?;
                }
                Ok(())
            })
            .await
    }

    /// `append_volume(instance, volume_id)`.
    pub async fn append_volume(&self, ctx: &RequestContext, instance_id: &str, volume_id: &str) -> Result<()> {
        self.edit_volumes(ctx, "append_volume", instance_id, volume_id, true)
            .await
    }

    /// `remove_volume(instance, volume_id)`: Python's `list.remove` raises when absent.
    pub async fn remove_volume(&self, ctx: &RequestContext, instance_id: &str, volume_id: &str) -> Result<()> {
        self.edit_volumes(ctx, "remove_volume", instance_id, volume_id, false)
            .await
    }

    async fn edit_volumes(
        &self,
        ctx: &RequestContext,
        op: &'static str,
        id: &str,
        volume: &str,
        add: bool,
    ) -> Result<()> {
        let (scope, id, volume) = (scope(ctx), id.to_string(), volume.to_string());
        self.store
            .run(op, move |c, _, _| {
                let inst = must_get(c, &INSTANCES, &scope, ResourceKind::Instance, &id)?;
                let mut volumes = match inst.get("volumes") {
                    Some(Value::Array(v)) => v.clone(),
                    _ => Vec::new(),
                };
                let v = Value::String(volume.clone());
                if add {
                    volumes.push(v);
                } else {
                    let pos = volumes
                        .iter()
                        .position(|x| *x == v)
                        .ok_or_else(|| ConductorError::InvalidArguments("list.remove(x): x not in list".into()))?;
                    volumes.remove(pos);
                }
                query::update(
                    c,
                    &INSTANCES,
                    &id,
                    &Map::from_iter([("volumes".to_string(), Value::Array(volumes))]),
                )?;
                Ok(())
            })
            .await
    }
}

/// Inserts a cluster row and its node groups (Sahara's `cluster_create`).
fn insert_cluster(c: &mut DbConnection, id: &str, merged: &Obj) -> Result<()> {
    let mut values = merged.clone();
    let node_groups = match values.remove("node_groups") {
        Some(Value::Array(ngs)) => ngs,
        _ => Vec::new(),
    };
    query::insert_with_id(c, &CLUSTERS, id, &values)?;
    for ng in node_groups {
        let Value::Object(mut ng) = ng else { continue };
        ng.insert("cluster_id".into(), Value::String(id.to_string()));
        ng.remove("id");
        // A collision here is reported by the caller, as Sahara reports it for the whole creation.
        query::insert(c, &NODE_GROUPS, &ng)?;
    }
    Ok(())
}
