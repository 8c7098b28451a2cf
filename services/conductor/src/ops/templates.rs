//! Cluster templates (with their node groups, `templates_relations`) and node group templates.

use super::{
    Conductor, Obj, already_written, by, create_flat, list_request, map_create_error, map_write_error, must_get,
    page_value, s, scope, tenant,
};
use crate::error::{ConductorError, Result};
use crate::store::query::{self, Scope};
use crate::store::tables::{
    CLUSTER_TEMPLATES, CLUSTERS, NODE_GROUP_TEMPLATES, NODE_GROUPS, TEMPLATES_RELATIONS, Table,
};
use sahara_model::{ResourceKind, SaharaError, acl, defaults};
use sahara_rpc::RequestContext;
use sahara_schema::DbConnection;
use serde_json::{Map, Value};

/// Attaches `node_groups` (the template's `templates_relations`) to cluster templates.
pub(crate) fn load_cluster_templates(c: &mut DbConnection, mut rows: Vec<Obj>) -> Result<Vec<Obj>> {
    let ids: Vec<String> = rows.iter().filter_map(|r| s(r, "id").map(str::to_string)).collect();
    let relations = query::select_in(c, &TEMPLATES_RELATIONS, "cluster_template_id", &ids, "t.`id`")?;
    for row in &mut rows {
        let id = s(row, "id").unwrap_or_default().to_string();
        let ngs: Vec<Value> = relations
            .iter()
            .filter(|r| s(r, "cluster_template_id") == Some(id.as_str()))
            .cloned()
            .map(Value::Object)
            .collect();
        row.insert("node_groups".into(), Value::Array(ngs));
    }
    Ok(rows)
}

/// One cluster template in full, or `None`.
pub(crate) fn cluster_template_full(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<Option<Obj>> {
    match query::get(c, &CLUSTER_TEMPLATES, scope, id)? {
        Some(row) => Ok(load_cluster_templates(c, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// A node group template as `_populate_node_group` merges it (missing = NotFound).
pub(crate) fn ngt_for_merge(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<Obj> {
    must_get(c, &NODE_GROUP_TEMPLATES, scope, ResourceKind::NodeGroupTemplate, id)
}

/// Inserts the node groups of a cluster template.
fn insert_relations(c: &mut DbConnection, template_id: &str, node_groups: &[Value]) -> Result<()> {
    for ng in node_groups {
        let Value::Object(ng) = ng else { continue };
        let mut ng = ng.clone();
        ng.remove("id");
        ng.insert("cluster_template_id".into(), Value::String(template_id.to_string()));
        query::insert(c, &TEMPLATES_RELATIONS, &ng).map_err(|e| map_write_error(e, ResourceKind::TemplateNodeGroup))?;
    }
    Ok(())
}

/// Whether `is_default` and the caller asked to ignore protection on defaults.
fn default_override(row: &Obj, ignore_prot_on_def: bool) -> bool {
    ignore_prot_on_def && row.get("is_default").and_then(Value::as_bool).unwrap_or(false)
}

/// Sahara's `cluster_template_update` at the database layer (also used when a node group
/// template change is propagated to the cluster templates using it).
fn update_cluster_template_rows(
    c: &mut DbConnection,
    scope: &Scope,
    context_tenant: Option<&str>,
    values: &Obj,
    ignore_prot_on_def: bool,
) -> Result<()> {
    let id = s(values, "id").unwrap_or_default().to_string();
    let ct = query::get(c, &CLUSTER_TEMPLATES, scope, &id)?
        .ok_or_else(|| SaharaError::not_found(ResourceKind::ClusterTemplate, &id))?;
    acl::check_tenant_for_update(ResourceKind::ClusterTemplate, &id, s(&ct, "tenant_id"), context_tenant)?;
    if !default_override(&ct, ignore_prot_on_def) {
        acl::check_protected_from_update(ResourceKind::ClusterTemplate, &id, &ct, values)?;
    }
    if query::count(c, &CLUSTERS, &Scope::unrestricted(), &by("cluster_template_id", &id))? > 0 {
        return Err(SaharaError::template_in_use(ResourceKind::ClusterTemplate, &id).into());
    }
    let mut values = values.clone();
    let node_groups = values.remove("node_groups");
    query::update(c, &CLUSTER_TEMPLATES, &id, &values)
        .map_err(|e| map_write_error(e, ResourceKind::ClusterTemplate))?;
    if let Some(ngs) = node_groups {
        query::delete_where(c, &TEMPLATES_RELATIONS, &by("cluster_template_id", &id))?;
        if let Value::Array(ngs) = ngs {
            insert_relations(c, &id, &ngs)?;
        }
    }
    Ok(())
}

impl Conductor {
    /// `cluster_template_get(cluster_template)`.
    pub async fn cluster_template_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("cluster_template_get", move |c, _, _| {
                cluster_template_full(c, &scope, &id)
            })
            .await
    }

    /// `cluster_template_get_all(regex_search, **kwargs)`.
    pub async fn cluster_template_get_all(
        &self,
        ctx: &RequestContext,
        regex_search: bool,
        kwargs: Obj,
    ) -> Result<Value> {
        let scope = scope(ctx);
        self.store
            .run("cluster_template_get_all", move |c, backend, _| {
                let req = list_request(
                    &kwargs,
                    regex_search,
                    ResourceKind::ClusterTemplate.regex_filter_columns(),
                    backend,
                )?;
                let mut page = query::list(c, &CLUSTER_TEMPLATES, &scope, &req)?;
                page.items = load_cluster_templates(c, page.items)?;
                Ok(page_value(page))
            })
            .await
    }

    /// `cluster_template_create(values)`: defaults and node groups filled from their templates.
    pub async fn cluster_template_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let (scope, tenant) = (scope(ctx), tenant(ctx));
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("cluster_template_create", move |c, _, attempt| {
                let mut v = defaults::cluster_template_create_values(&values, tenant.as_deref(), |ngt| {
                    ngt_for_merge(c, &scope, ngt)
                })?;
                let node_groups = match v.remove("node_groups") {
                    Some(Value::Array(ngs)) => ngs,
                    _ => Vec::new(),
                };
                match query::insert_with_id(c, &CLUSTER_TEMPLATES, &id, &v) {
                    Ok(()) => insert_relations(c, &id, &node_groups)?,
                    Err(e) if already_written(&e, attempt) => {}
                    Err(e) => return Err(map_create_error(e)),
                }
                cluster_template_full(c, &scope, &id)?.ok_or_else(|| {
                    ConductorError::Database(format!("cluster template {id} vanished after its creation"))
                })
            })
            .await
    }

    /// `cluster_template_update(id, values, ignore_prot_on_def=False)`.
    pub async fn cluster_template_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Obj,
        ignore_prot_on_def: bool,
    ) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("cluster_template_update", move |c, _, _| {
                let v = defaults::cluster_template_update_values(&id, &values, tenant.as_deref(), |ngt| {
                    ngt_for_merge(c, &scope, ngt)
                })?;
                update_cluster_template_rows(c, &scope, tenant.as_deref(), &v, ignore_prot_on_def)?;
                cluster_template_full(c, &scope, &id)?
                    .ok_or_else(|| SaharaError::not_found(ResourceKind::ClusterTemplate, &id).into())
            })
            .await
    }

    /// `cluster_template_destroy(cluster_template, ignore_prot_on_def=False)`.
    pub async fn cluster_template_destroy(
        &self,
        ctx: &RequestContext,
        id: &str,
        ignore_prot_on_def: bool,
    ) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("cluster_template_destroy", move |c, _, _| {
                let ct = must_get(c, &CLUSTER_TEMPLATES, &scope, ResourceKind::ClusterTemplate, &id)?;
                acl::check_tenant_for_delete(
                    ResourceKind::ClusterTemplate,
                    &id,
                    s(&ct, "tenant_id"),
                    tenant.as_deref(),
                )?;
                if !default_override(&ct, ignore_prot_on_def) {
                    acl::check_protected_from_delete(
                        ResourceKind::ClusterTemplate,
                        &id,
                        ct.get("is_protected").and_then(Value::as_bool),
                    )?;
                }
                // Sahara's ORM deletes the template's node groups (cascade) and lets go of the
                // clusters made from it (`clusters.cluster_template_id` set to NULL).
                detach(c, &CLUSTERS, "cluster_template_id", &id)?;
                query::delete_where(c, &TEMPLATES_RELATIONS, &by("cluster_template_id", &id))?;
                query::delete_where(c, &CLUSTER_TEMPLATES, &by("id", &id))
                    .map_err(|e| fk_to_deletion_failed(e, ResourceKind::ClusterTemplate))?;
                Ok(())
            })
            .await
    }

    /// `node_group_template_get(node_group_template)`.
    pub async fn node_group_template_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        self.store
            .get("node_group_template_get", &NODE_GROUP_TEMPLATES, &scope(ctx), id)
            .await
    }

    /// `node_group_template_get_all(regex_search, **kwargs)`.
    pub async fn node_group_template_get_all(
        &self,
        ctx: &RequestContext,
        regex_search: bool,
        kwargs: Obj,
    ) -> Result<Value> {
        self.flat_list(ctx, "node_group_template_get_all", regex_search, kwargs)
            .await
    }

    /// `node_group_template_create(values)`.
    pub async fn node_group_template_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let (scope, tenant) = (scope(ctx), tenant(ctx));
        let id = uuid::Uuid::new_v4().to_string();
        let v = defaults::node_group_template_create_values(&values, tenant.as_deref());
        create_flat(
            &self.store,
            "node_group_template_create",
            &NODE_GROUP_TEMPLATES,
            ResourceKind::NodeGroupTemplate,
            &scope,
            &id,
            &v,
        )
        .await
    }

    /// `node_group_template_update(id, values, ignore_prot_on_def=False)`: refused while a
    /// cluster uses a cluster template containing it; cluster templates using it are
    /// rebuilt with the new values.
    pub async fn node_group_template_update(
        &self,
        ctx: &RequestContext,
        id: &str,
        values: Obj,
        ignore_prot_on_def: bool,
    ) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("node_group_template_update", move |c, _, _| {
                let v = defaults::template_update_values(&id, &values, tenant.as_deref());
                let ngt = query::get(c, &NODE_GROUP_TEMPLATES, &scope, &id)?
                    .ok_or_else(|| SaharaError::not_found_on_update(ResourceKind::NodeGroupTemplate, &id))?;
                acl::check_tenant_for_update(
                    ResourceKind::NodeGroupTemplate,
                    &id,
                    s(&ngt, "tenant_id"),
                    tenant.as_deref(),
                )?;
                if !default_override(&ngt, ignore_prot_on_def) {
                    acl::check_protected_from_update(ResourceKind::NodeGroupTemplate, &id, &ngt, &v)?;
                }
                let relations = query::select(
                    c,
                    &TEMPLATES_RELATIONS,
                    &Scope::unrestricted(),
                    &by("node_group_template_id", &id),
                    None,
                )?;
                for rel in &relations {
                    if let Some(ct) = s(rel, "cluster_template_id")
                        && query::count(c, &CLUSTERS, &Scope::unrestricted(), &by("cluster_template_id", ct))? > 0
                    {
                        return Err(SaharaError::template_in_use(ResourceKind::NodeGroupTemplate, &id).into());
                    }
                }
                query::update(c, &NODE_GROUP_TEMPLATES, &id, &v)
                    .map_err(|e| map_write_error(e, ResourceKind::NodeGroupTemplate))?;
                let updated = must_get(c, &NODE_GROUP_TEMPLATES, &scope, ResourceKind::NodeGroupTemplate, &id)?;
                for rel in &relations {
                    let Some(ct_id) = s(rel, "cluster_template_id") else {
                        continue;
                    };
                    let Some(ct) = cluster_template_full(c, &scope, ct_id)? else {
                        continue;
                    };
                    let mut node_groups = Vec::new();
                    if let Some(Value::Array(ngs)) = ct.get("node_groups") {
                        for ng in ngs {
                            let Value::Object(ng) = ng else { continue };
                            let mut add = if s(ng, "node_group_template_id") == Some(id.as_str()) {
                                updated.clone()
                            } else {
                                ng.clone()
                            };
                            add.insert("count".into(), ng.get("count").cloned().unwrap_or(Value::Null));
                            add.insert(
                                "node_group_template_id".into(),
                                ng.get("node_group_template_id").cloned().unwrap_or(Value::Null),
                            );
                            for k in ["updated_at", "created_at", "id"] {
                                add.remove(k);
                            }
                            node_groups.push(Value::Object(add));
                        }
                    }
                    let ct_update: Obj = Map::from_iter([
                        ("id".to_string(), Value::String(ct_id.to_string())),
                        ("node_groups".to_string(), Value::Array(node_groups)),
                    ]);
                    update_cluster_template_rows(c, &scope, tenant.as_deref(), &ct_update, ignore_prot_on_def)?;
                }
                Ok(updated)
            })
            .await
    }

    /// `node_group_template_destroy(node_group_template, ignore_prot_on_def=False)`.
    pub async fn node_group_template_destroy(
        &self,
        ctx: &RequestContext,
        id: &str,
        ignore_prot_on_def: bool,
    ) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("node_group_template_destroy", move |c, _, _| {
                let ngt = must_get(c, &NODE_GROUP_TEMPLATES, &scope, ResourceKind::NodeGroupTemplate, &id)?;
                acl::check_tenant_for_delete(
                    ResourceKind::NodeGroupTemplate,
                    &id,
                    s(&ngt, "tenant_id"),
                    tenant.as_deref(),
                )?;
                if !default_override(&ngt, ignore_prot_on_def) {
                    acl::check_protected_from_delete(
                        ResourceKind::NodeGroupTemplate,
                        &id,
                        ngt.get("is_protected").and_then(Value::as_bool),
                    )?;
                }
                // Sahara's ORM lets go of the node groups of clusters and cluster templates
                // made from it (their `node_group_template_id` set to NULL); refusing a
                // template still in use is the API's validation, not the conductor's.
                detach(c, &NODE_GROUPS, "node_group_template_id", &id)?;
                detach(c, &TEMPLATES_RELATIONS, "node_group_template_id", &id)?;
                query::delete_where(c, &NODE_GROUP_TEMPLATES, &by("id", &id))?;
                Ok(())
            })
            .await
    }
}

/// Sets `column` to NULL on the rows of `table` referring to `id`, one row at a time as
/// SQLAlchemy does when their parent goes (so each gets its `updated_at`).
fn detach(c: &mut DbConnection, table: &Table, column: &str, id: &str) -> Result<()> {
    for row in query::select(c, table, &Scope::unrestricted(), &by(column, id), Some("t.`id`"))? {
        if let Some(row_id) = s(&row, "id") {
            query::update(c, table, row_id, &Map::from_iter([(column.to_string(), Value::Null)]))?;
        }
    }
    Ok(())
}

/// A foreign-key refusal on delete becomes Sahara's DeletionFailed.
pub(crate) fn fk_to_deletion_failed(e: ConductorError, kind: ResourceKind) -> ConductorError {
    match &e {
        ConductorError::Diesel(d) if d.to_string().to_lowercase().contains("foreign key") => {
            SaharaError::deletion_failed_fk(kind, true).into()
        }
        _ => e,
    }
}
