//! EDP: data sources, jobs (job templates), job binaries, internal job binaries and job
//! executions.

use super::templates::fk_to_deletion_failed;
use super::{
    Conductor, Obj, already_written, by, create_flat, list_request, map_write_error, must_get, page_value, s, scope,
    tenant,
};
use crate::error::{ConductorError, Result};
use crate::store::query::{self, Filter, Scope};
use crate::store::sql::{Param, Sql, encode_base64, ident};
use crate::store::tables::{
    CLUSTERS, DATA_SOURCES, JOB_BINARIES, JOB_BINARY_INTERNAL, JOB_EXECUTIONS, JOB_INTERFACE_ARGUMENTS, JOBS,
    LIBS_ASSOCIATION, MAINS_ASSOCIATION, Table,
};
use sahara_model::{JobInterfaceArgument, ResourceKind, SaharaError, acl, defaults};
use sahara_rpc::RequestContext;
use sahara_schema::{Backend, DbConnection};
use serde_json::Value;

/// Attaches `mains`, `libs` (job binaries, in association order) and `interface` (by
/// `order`) to jobs, as `Job.to_dict()` does.
pub(crate) fn load_jobs(c: &mut DbConnection, mut rows: Vec<Obj>) -> Result<Vec<Obj>> {
    let ids: Vec<String> = rows.iter().filter_map(|r| s(r, "id").map(str::to_string)).collect();
    let interface = query::select_in(c, &JOB_INTERFACE_ARGUMENTS, "job_id", &ids, "t.`order`")?;
    for row in &mut rows {
        let id = s(row, "id").unwrap_or_default().to_string();
        for (key, table) in [("mains", &MAINS_ASSOCIATION), ("libs", &LIBS_ASSOCIATION)] {
            let binaries = associated_binaries(c, table, &id)?;
            row.insert(
                key.into(),
                Value::Array(binaries.into_iter().map(Value::Object).collect()),
            );
        }
        let args: Vec<Value> = interface
            .iter()
            .filter(|a| s(a, "job_id") == Some(id.as_str()))
            .cloned()
            .map(Value::Object)
            .collect();
        row.insert("interface".into(), Value::Array(args));
    }
    Ok(rows)
}

/// The job binaries an association table links to `job_id`, in link order.
fn associated_binaries(c: &mut DbConnection, assoc: &Table, job_id: &str) -> Result<Vec<Obj>> {
    let mut sql = Sql::new(format!(
        "SELECT {} FROM {} a JOIN {} t ON t.`id` = a.`JobBinary_id` WHERE a.`Job_id` = ",
        crate::store::sql::row_columns(&JOB_BINARIES, "t", c.backend()),
        ident(assoc.name),
        ident(JOB_BINARIES.name)
    ));
    sql.bind(Param::Text(Some(job_id.to_string())));
    sql.load_rows(&JOB_BINARIES, c)
}

/// One job in full, or `None`.
pub(crate) fn job_full(c: &mut DbConnection, scope: &Scope, id: &str) -> Result<Option<Obj>> {
    match query::get(c, &JOBS, scope, id)? {
        Some(row) => Ok(load_jobs(c, vec![row])?.pop()),
        None => Ok(None),
    }
}

/// Whether a job (any, or `job_id`) uses the job binary as a main or a lib.
fn binary_referenced(c: &mut DbConnection, binary_id: &str, job_id: Option<&str>) -> Result<bool> {
    for table in [&MAINS_ASSOCIATION, &LIBS_ASSOCIATION] {
        let mut sql = Sql::new(format!(
            "SELECT COUNT(*) AS `n` FROM {} WHERE `JobBinary_id` = ",
            ident(table.name)
        ));
        sql.bind(Param::Text(Some(binary_id.to_string())));
        if let Some(j) = job_id {
            sql.push(" AND `Job_id` = ").bind(Param::Text(Some(j.to_string())));
        }
        if sql.load_count(c)? > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Sahara's simple create: defaults, tenant, insert; the row answered from its values, or read back when the
/// database may have changed them (see [`query::insert_returning_statement`]).
async fn simple_create(
    me: &Conductor,
    ctx: &RequestContext,
    op: &'static str,
    kind: ResourceKind,
    table: &'static Table,
    values: Obj,
) -> Result<Obj> {
    let (scope, tenant) = (scope(ctx), tenant(ctx));
    let id = uuid::Uuid::new_v4().to_string();
    let v = defaults::edp_create_values(kind, &values, tenant.as_deref());
    create_flat(&me.store, op, table, kind, &scope, &id, &v).await
}

/// Sahara's guarded update: visible, same tenant, not protected; then set the values.
fn guarded_update(
    c: &mut DbConnection,
    scope: &Scope,
    context_tenant: Option<&str>,
    kind: ResourceKind,
    table: &Table,
    id: &str,
    values: &Obj,
) -> Result<Obj> {
    let row = query::get(c, table, scope, id)?.ok_or_else(|| SaharaError::not_found_on_update(kind, id))?;
    acl::check_tenant_for_update(kind, id, s(&row, "tenant_id"), context_tenant)?;
    acl::check_protected_from_update(kind, id, &row, values)?;
    Ok(row)
}

/// Sahara's guarded delete checks: visible, same tenant, not protected.
fn guarded_delete(
    c: &mut DbConnection,
    scope: &Scope,
    context_tenant: Option<&str>,
    kind: ResourceKind,
    table: &Table,
    id: &str,
) -> Result<Obj> {
    let row = must_get(c, table, scope, kind, id)?;
    acl::check_tenant_for_delete(kind, id, s(&row, "tenant_id"), context_tenant)?;
    acl::check_protected_from_delete(kind, id, row.get("is_protected").and_then(Value::as_bool))?;
    Ok(row)
}

impl Conductor {
    // --- data sources ---

    /// `data_source_get(data_source)`.
    pub async fn data_source_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        self.store.get("data_source_get", &DATA_SOURCES, &scope(ctx), id).await
    }

    /// `data_source_get_all(regex_search, **kwargs)`.
    pub async fn data_source_get_all(&self, ctx: &RequestContext, regex_search: bool, kwargs: Obj) -> Result<Value> {
        self.flat_list(ctx, "data_source_get_all", regex_search, kwargs).await
    }

    /// `data_source_count(**kwargs)`: lists mean `IN`, strings with `%` mean `LIKE`.
    pub async fn data_source_count(&self, ctx: &RequestContext, kwargs: Obj) -> Result<i64> {
        let scope = scope(ctx);
        self.store
            .run("data_source_count", move |c, backend, _| {
                let filters = query::filters_from_kwargs(&kwargs, false, &[], true, backend);
                query::count(c, &DATA_SOURCES, &scope, &filters)
            })
            .await
    }

    /// `data_source_create(values)` (secrets stay inline: Sahara's default key manager).
    pub async fn data_source_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        simple_create(
            self,
            ctx,
            "data_source_create",
            ResourceKind::DataSource,
            &DATA_SOURCES,
            values,
        )
        .await
    }

    /// `data_source_update(id, values)`.
    pub async fn data_source_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("data_source_update", move |c, _, _| {
                guarded_update(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::DataSource,
                    &DATA_SOURCES,
                    &id,
                    &values,
                )?;
                query::update(c, &DATA_SOURCES, &id, &values)
                    .map_err(|e| map_write_error(e, ResourceKind::DataSource))?;
                must_get(c, &DATA_SOURCES, &scope, ResourceKind::DataSource, &id)
            })
            .await
    }

    /// `data_source_destroy(data_source)`: refused while job executions use it.
    pub async fn data_source_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("data_source_destroy", move |c, _, _| {
                guarded_delete(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::DataSource,
                    &DATA_SOURCES,
                    &id,
                )?;
                query::delete_where(c, &DATA_SOURCES, &by("id", &id))
                    .map_err(|e| fk_to_deletion_failed(e, ResourceKind::DataSource))?;
                Ok(())
            })
            .await
    }

    // --- jobs ---

    /// `job_get(job)`.
    pub async fn job_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store.run("job_get", move |c, _, _| job_full(c, &scope, &id)).await
    }

    /// `job_get_all(regex_search, **kwargs)`.
    pub async fn job_get_all(&self, ctx: &RequestContext, regex_search: bool, kwargs: Obj) -> Result<Value> {
        let scope = scope(ctx);
        self.store
            .run("job_get_all", move |c, backend, _| {
                let req = list_request(&kwargs, regex_search, ResourceKind::Job.regex_filter_columns(), backend)?;
                let mut page = query::list(c, &JOBS, &scope, &req)?;
                page.items = load_jobs(c, page.items)?;
                Ok(page_value(page))
            })
            .await
    }

    /// `job_create(values)`: `mains`/`libs` are job binary ids (unknown ones skipped, as
    /// Sahara does), `interface` the argument list (numbered in order).
    pub async fn job_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let (scope, tenant) = (scope(ctx), tenant(ctx));
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("job_create", move |c, _, attempt| {
                let mut v = defaults::edp_create_values(ResourceKind::Job, &values, tenant.as_deref());
                let list_of = |v: Option<Value>| match v {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                };
                let mains = list_of(v.remove("mains"));
                let libs = list_of(v.remove("libs"));
                let interface = list_of(v.remove("interface"));
                match query::insert_with_id(c, &JOBS, &id, &v) {
                    Ok(()) => {}
                    Err(e) if already_written(&e, attempt) => {
                        return job_full(c, &scope, &id)?
                            .ok_or_else(|| SaharaError::not_found(ResourceKind::Job, &id).into());
                    }
                    Err(e) => return Err(map_write_error(e, ResourceKind::Job)),
                }
                for (table, ids) in [(&MAINS_ASSOCIATION, &mains), (&LIBS_ASSOCIATION, &libs)] {
                    for b in ids {
                        let Some(b) = b.as_str() else { continue };
                        if query::get(c, &JOB_BINARIES, &scope, b)?.is_none() {
                            continue;
                        }
                        let mut sql = Sql::new(format!(
                            "INSERT INTO {} (`Job_id`, `JobBinary_id`) VALUES (",
                            ident(table.name)
                        ));
                        sql.bind(Param::Text(Some(id.clone())))
                            .push(", ")
                            .bind(Param::Text(Some(b.to_string())))
                            .push(")");
                        sql.execute(c)?;
                    }
                }
                for (order, arg) in interface.iter().enumerate() {
                    let Value::Object(arg) = arg else { continue };
                    let mut arg = arg.clone();
                    arg.insert(
                        "tenant_id".into(),
                        tenant.clone().map(Value::String).unwrap_or(Value::Null),
                    );
                    arg.insert("order".into(), Value::from(order));
                    arg.insert("job_id".into(), Value::String(id.clone()));
                    arg.remove("id");
                    query::insert(c, &JOB_INTERFACE_ARGUMENTS, &arg)
                        .map_err(|e| map_write_error(e, ResourceKind::JobInterfaceArgument))?;
                }
                job_full(c, &scope, &id)?.ok_or_else(|| SaharaError::not_found(ResourceKind::Job, &id).into())
            })
            .await
    }

    /// `job_update(job, values)`.
    pub async fn job_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_update", move |c, _, _| {
                guarded_update(c, &scope, tenant.as_deref(), ResourceKind::Job, &JOBS, &id, &values)?;
                query::update(c, &JOBS, &id, &values).map_err(|e| map_write_error(e, ResourceKind::Job))?;
                job_full(c, &scope, &id)?.ok_or_else(|| SaharaError::not_found(ResourceKind::Job, &id).into())
            })
            .await
    }

    /// `job_destroy(job)`: with its interface and binary links; refused while executions use it.
    pub async fn job_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_destroy", move |c, _, _| {
                guarded_delete(c, &scope, tenant.as_deref(), ResourceKind::Job, &JOBS, &id)?;
                query::delete_where(c, &JOB_INTERFACE_ARGUMENTS, &by("job_id", &id))?;
                for table in [&MAINS_ASSOCIATION, &LIBS_ASSOCIATION] {
                    let mut sql = Sql::new(format!("DELETE FROM {} WHERE `Job_id` = ", ident(table.name)));
                    sql.bind(Param::Text(Some(id.clone())));
                    sql.execute(c)?;
                }
                query::delete_where(c, &JOBS, &by("id", &id))
                    .map_err(|e| fk_to_deletion_failed(e, ResourceKind::Job))?;
                Ok(())
            })
            .await
    }

    /// `job_main_name(job)`: the name of the job's first main binary, or `None` (also when
    /// the caller can't see that binary: Sahara looks it up again with the caller's context).
    pub async fn job_main_name(&self, ctx: &RequestContext, id: &str) -> Result<Option<String>> {
        let names = self.job_binary_names(ctx, id, "mains").await?;
        Ok(names.into_iter().next().flatten())
    }

    /// `job_lib_names(job)`: the names of the job's lib binaries the caller can see.
    pub async fn job_lib_names(&self, ctx: &RequestContext, id: &str) -> Result<Vec<String>> {
        let names = self.job_binary_names(ctx, id, "libs").await?;
        Ok(names.into_iter().flatten().collect())
    }

    /// The names of a job's `mains` or `libs`, each looked up with the caller's context as
    /// Sahara's `LocalApi` does (`None` for a binary the caller can't see).
    async fn job_binary_names(&self, ctx: &RequestContext, id: &str, key: &'static str) -> Result<Vec<Option<String>>> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("job_binary_names", move |c, _, _| {
                let job = job_full(c, &scope, &id)?.ok_or_else(|| SaharaError::not_found(ResourceKind::Job, &id))?;
                let ids: Vec<String> = job
                    .get(key)
                    .and_then(Value::as_array)
                    .map(|l| l.iter().filter_map(|b| s_val(b, "id")).collect())
                    .unwrap_or_default();
                ids.iter()
                    .map(|b| {
                        Ok(query::get(c, &JOB_BINARIES, &scope, b)?.and_then(|jb| s(&jb, "name").map(str::to_string)))
                    })
                    .collect()
            })
            .await
    }

    // --- job binaries ---

    /// `job_binary_get(job_binary)`.
    pub async fn job_binary_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        self.store.get("job_binary_get", &JOB_BINARIES, &scope(ctx), id).await
    }

    /// `job_binary_get_all(regex_search, **kwargs)`.
    pub async fn job_binary_get_all(&self, ctx: &RequestContext, regex_search: bool, kwargs: Obj) -> Result<Value> {
        self.flat_list(ctx, "job_binary_get_all", regex_search, kwargs).await
    }

    /// `job_binary_create(values)`.
    pub async fn job_binary_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        simple_create(
            self,
            ctx,
            "job_binary_create",
            ResourceKind::JobBinary,
            &JOB_BINARIES,
            values,
        )
        .await
    }

    /// `job_binary_update(id, values)`: an `internal-db://` URL can't change, and a binary
    /// used by a PENDING job execution can't be updated.
    pub async fn job_binary_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_binary_update", move |c, _, _| {
                let jb = guarded_update(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::JobBinary,
                    &JOB_BINARIES,
                    &id,
                    &values,
                )?;
                if let Some(new_url) = s(&values, "url").filter(|u| !u.is_empty())
                    && let Some(url) = s(&jb, "url")
                    && url.contains("internal-db://")
                    && url != new_url
                {
                    return Err(SaharaError::internal_db_url_update(&id).into());
                }
                for je in query::select(c, &JOB_EXECUTIONS, &scope, &[], None)? {
                    let pending =
                        je.get("info").and_then(|i| i.get("status")).and_then(Value::as_str) == Some("PENDING");
                    if pending
                        && let Some(job_id) = s(&je, "job_id")
                        && binary_referenced(c, &id, Some(job_id))?
                    {
                        return Err(SaharaError::job_binary_in_pending_job(&id).into());
                    }
                }
                query::update(c, &JOB_BINARIES, &id, &values)
                    .map_err(|e| map_write_error(e, ResourceKind::JobBinary))?;
                must_get(c, &JOB_BINARIES, &scope, ResourceKind::JobBinary, &id)
            })
            .await
    }

    /// `job_binary_destroy(job_binary)`: refused while a job uses it.
    pub async fn job_binary_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_binary_destroy", move |c, _, _| {
                guarded_delete(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::JobBinary,
                    &JOB_BINARIES,
                    &id,
                )?;
                if binary_referenced(c, &id, None)? {
                    return Err(SaharaError::job_binary_referenced().into());
                }
                query::delete_where(c, &JOB_BINARIES, &by("id", &id))?;
                Ok(())
            })
            .await
    }

    // --- internal job binaries ---

    /// `job_binary_internal_get(id)` (never the data).
    pub async fn job_binary_internal_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        self.store
            .get("job_binary_internal_get", &JOB_BINARY_INTERNAL, &scope(ctx), id)
            .await
    }

    /// `job_binary_internal_get_all(regex_search, **kwargs)`.
    pub async fn job_binary_internal_get_all(
        &self,
        ctx: &RequestContext,
        regex_search: bool,
        kwargs: Obj,
    ) -> Result<Value> {
        self.flat_list(ctx, "job_binary_internal_get_all", regex_search, kwargs)
            .await
    }

    /// `job_binary_internal_create(values)`: `data` (base64 in JSON) must fit
    /// `job_binary_max_KB`; `datasize` is computed.
    pub async fn job_binary_internal_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let data = match values.get("data") {
            Some(Value::String(b64)) => crate::store::sql::decode_base64(b64)
                .ok_or_else(|| ConductorError::InvalidArguments("data must be base64".into()))?,
            _ => return Err(ConductorError::InvalidArguments("'data' is required (base64)".into())),
        };
        self.check_size(data.len() as i64)?;
        let mut values = values;
        values.insert("datasize".into(), Value::from(data.len()));
        simple_create(
            self,
            ctx,
            "job_binary_internal_create",
            ResourceKind::JobBinaryInternal,
            &JOB_BINARY_INTERNAL,
            values,
        )
        .await
    }

    fn check_size(&self, bytes: i64) -> Result<()> {
        if bytes as f64 / 1024.0 > self.settings.job_binary_max_kb as f64 {
            return Err(SaharaError::internal_binary_too_big(bytes, self.settings.job_binary_max_kb).into());
        }
        Ok(())
    }

    /// `job_binary_internal_get_raw_data(id)`: the data (base64), or `None` when absent.
    pub async fn job_binary_internal_get_raw_data(&self, ctx: &RequestContext, id: &str) -> Result<Option<String>> {
        let (scope, id) = (scope(ctx), id.to_string());
        let max_kb = self.settings.job_binary_max_kb;
        self.store
            .run("job_binary_internal_get_raw_data", move |c, _, _| {
                let Some(row) = query::get(c, &JOB_BINARY_INTERNAL, &scope, &id)? else {
                    return Ok(None);
                };
                let size = row.get("datasize").and_then(Value::as_i64).unwrap_or(0);
                if size as f64 / 1024.0 > max_kb as f64 {
                    return Err(SaharaError::internal_binary_too_big(size, max_kb).into());
                }
                let mut sql = Sql::new("SELECT `data` AS `b` FROM `job_binary_internal` WHERE `id` = ");
                sql.bind(Param::Text(Some(id.clone())));
                Ok(sql
                    .load_blobs(c)?
                    .into_iter()
                    .next()
                    .flatten()
                    .map(|d| encode_base64(&d)))
            })
            .await
    }

    /// `job_binary_internal_update(id, values)`.
    pub async fn job_binary_internal_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_binary_internal_update", move |c, _, _| {
                guarded_update(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::JobBinaryInternal,
                    &JOB_BINARY_INTERNAL,
                    &id,
                    &values,
                )?;
                let mut values = values.clone();
                values.remove("data");
                values.remove("datasize");
                query::update(c, &JOB_BINARY_INTERNAL, &id, &values)
                    .map_err(|e| map_write_error(e, ResourceKind::JobBinaryInternal))?;
                must_get(c, &JOB_BINARY_INTERNAL, &scope, ResourceKind::JobBinaryInternal, &id)
            })
            .await
    }

    /// `job_binary_internal_destroy(id)`.
    pub async fn job_binary_internal_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, tenant, id) = (scope(ctx), tenant(ctx), id.to_string());
        self.store
            .run("job_binary_internal_destroy", move |c, _, _| {
                guarded_delete(
                    c,
                    &scope,
                    tenant.as_deref(),
                    ResourceKind::JobBinaryInternal,
                    &JOB_BINARY_INTERNAL,
                    &id,
                )?;
                query::delete_where(c, &JOB_BINARY_INTERNAL, &by("id", &id))?;
                Ok(())
            })
            .await
    }

    // --- job executions ---

    /// `job_execution_get(job_execution)`.
    pub async fn job_execution_get(&self, ctx: &RequestContext, id: &str) -> Result<Option<Obj>> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("job_execution_get", move |c, _, _| {
                Ok(query::get(c, &JOB_EXECUTIONS, &scope, &id)?.map(with_oozie_id))
            })
            .await
    }

    /// `job_execution_get_all(regex_search, **kwargs)`: besides columns, `cluster.name`,
    /// `job.name` (regex-able) and `status` (`info.status`, case-insensitive) filter;
    /// pagination happens after filtering, as Sahara does it.
    pub async fn job_execution_get_all(&self, ctx: &RequestContext, regex_search: bool, kwargs: Obj) -> Result<Value> {
        let scope = scope(ctx);
        self.store
            .run("job_execution_get_all", move |c, backend, _| {
                job_execution_page(c, backend, &scope, regex_search, &kwargs)
            })
            .await
    }

    /// `job_execution_count(**kwargs)` (not project-scoped, as in Sahara).
    pub async fn job_execution_count(&self, _ctx: &RequestContext, kwargs: Obj) -> Result<i64> {
        self.store
            .run("job_execution_count", move |c, backend, _| {
                let filters = query::filters_from_kwargs(&kwargs, false, &[], false, backend);
                query::count(c, &JOB_EXECUTIONS, &Scope::unrestricted(), &filters)
            })
            .await
    }

    /// `job_execution_create(values)`: the job's interface merged into `job_configs`.
    pub async fn job_execution_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let (scope, tenant) = (scope(ctx), tenant(ctx));
        let id = uuid::Uuid::new_v4().to_string();
        self.store
            .run("job_execution_create", move |c, _, attempt| {
                let job_id = s(&values, "job_id").unwrap_or_default().to_string();
                let job =
                    job_full(c, &scope, &job_id)?.ok_or_else(|| SaharaError::not_found(ResourceKind::Job, &job_id))?;
                let interface: Vec<JobInterfaceArgument> = job
                    .get("interface")
                    .cloned()
                    .map(serde_json::from_value)
                    .transpose()
                    .map_err(|e| ConductorError::Database(format!("unreadable job interface: {e}")))?
                    .unwrap_or_default();
                let v = defaults::job_execution_create_values(&values, tenant.as_deref(), &interface);
                match query::insert_with_id(c, &JOB_EXECUTIONS, &id, &v) {
                    Ok(()) => {}
                    Err(e) if already_written(&e, attempt) => {}
                    Err(e) => return Err(map_write_error(e, ResourceKind::JobExecution)),
                }
                Ok(with_oozie_id(must_get(
                    c,
                    &JOB_EXECUTIONS,
                    &scope,
                    ResourceKind::JobExecution,
                    &id,
                )?))
            })
            .await
    }

    /// `job_execution_update(job_execution, values)`.
    pub async fn job_execution_update(&self, ctx: &RequestContext, id: &str, values: Obj) -> Result<Obj> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("job_execution_update", move |c, _, _| {
                must_get(c, &JOB_EXECUTIONS, &scope, ResourceKind::JobExecution, &id)?;
                query::update(c, &JOB_EXECUTIONS, &id, &values)?;
                Ok(with_oozie_id(must_get(
                    c,
                    &JOB_EXECUTIONS,
                    &scope,
                    ResourceKind::JobExecution,
                    &id,
                )?))
            })
            .await
    }

    /// `job_execution_destroy(job_execution)`.
    pub async fn job_execution_destroy(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let (scope, id) = (scope(ctx), id.to_string());
        self.store
            .run("job_execution_destroy", move |c, _, _| {
                must_get(c, &JOB_EXECUTIONS, &scope, ResourceKind::JobExecution, &id)?;
                query::delete_where(c, &JOB_EXECUTIONS, &by("id", &id))?;
                Ok(())
            })
            .await
    }
}

/// A string field of a JSON value.
fn s_val(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// `JobExecution.to_dict()` also carries `oozie_job_id` (= `engine_job_id`).
fn with_oozie_id(mut row: Obj) -> Obj {
    let engine = row.get("engine_job_id").cloned().unwrap_or(Value::Null);
    row.insert("oozie_job_id".into(), engine);
    row
}

/// Sahara's `job_execution_get_all`, which filters and pages in Python after the query.
fn job_execution_page(
    c: &mut DbConnection,
    backend: Backend,
    scope: &Scope,
    regex_search: bool,
    kwargs: &Obj,
) -> Result<Value> {
    let mut kwargs = kwargs.clone();
    let limit = match kwargs.remove("limit") {
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) if !s.is_empty() => Some(
            s.parse::<i64>()
                .map_err(|_| ConductorError::InvalidArguments(format!("invalid limit '{s}'")))?,
        ),
        _ => None,
    };
    let marker = match kwargs.remove("marker") {
        Some(Value::String(m)) if !m.is_empty() => Some(m),
        _ => None,
    };
    let sort_by = kwargs.remove("sort_by").and_then(|v| v.as_str().map(str::to_string));
    let (col, desc) = query::sort_key(&JOB_EXECUTIONS, sort_by.as_deref())?;
    let cluster_name = kwargs.remove("cluster.name");
    let job_name = kwargs.remove("job.name");
    let status = kwargs.remove("status");
    let filters = query::filters_from_kwargs(&kwargs, false, &[], false, backend);
    let mut rows = query::select(c, &JOB_EXECUTIONS, scope, &filters, Some(&format!("t.{}", ident(col))))?;
    let regex = regex_search && backend == Backend::Mysql;
    for (key, table, fk) in [(&cluster_name, &CLUSTERS, "cluster_id"), (&job_name, &JOBS, "job_id")] {
        let Some(v) = key else { continue };
        let filter = match v {
            Value::String(p) if regex => Filter::Regex("name".into(), p.clone()),
            other => Filter::Eq("name".into(), other.clone()),
        };
        let ids: Vec<String> = query::select(c, table, &Scope::unrestricted(), &[filter], None)?
            .iter()
            .filter_map(|r| s(r, "id").map(str::to_string))
            .collect();
        rows.retain(|je| s(je, fk).is_some_and(|id| ids.iter().any(|i| i == id)));
    }
    if desc {
        rows.reverse();
    }
    if let Some(st) = status {
        let want = st.as_str().unwrap_or_default().to_lowercase();
        rows.retain(|je| {
            je.get("info")
                .and_then(|i| i.get("status"))
                .and_then(Value::as_str)
                .is_some_and(|s| s.to_lowercase() == want)
        });
    }
    let ids: Vec<String> = rows.iter().filter_map(|r| s(r, "id").map(str::to_string)).collect();
    let mut page = rows.clone();
    if let Some(m) = &marker {
        // Sahara: `if n:` — a marker at position 0 does not move the page.
        if let Some(n) = ids.iter().rposition(|i| i == m).filter(|n| *n > 0) {
            page = rows[n..].to_vec();
        }
    }
    if let Some(l) = limit.filter(|l| *l > 0) {
        page.truncate(l as usize);
    }
    let marker_visible = match &marker {
        Some(m) => query::get(c, &JOB_EXECUTIONS, scope, m)?.map(|_| m.clone()),
        None => None,
    };
    let (prev, next) = query::prev_and_next(&ids, limit.filter(|l| *l > 0), marker_visible.as_deref());
    Ok(serde_json::json!({
        "items": page.into_iter().map(|r| Value::Object(with_oozie_id(r))).collect::<Vec<_>>(),
        "prev": prev,
        "next": next,
    }))
}
