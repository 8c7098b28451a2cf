//! Sahara's conductor API (conductor/manager.py over db/sqlalchemy/api.py), one method per
//! Sahara method, with the same defaults, project scoping, protection checks, cascades and
//! errors. Results are Sahara's `to_dict()` forms as JSON objects.

mod clusters;
mod edp;
mod events;
mod plugins;
mod templates;

use crate::error::{ConductorError, Result};
use crate::store::Store;
pub(crate) use crate::store::query::already_written;
use crate::store::query::{self, Filter, ListRequest, Page, Scope};
use crate::store::tables::Table;
use sahara_model::conductor::{Renames, ViewPage};
use sahara_model::{ResourceKind, SaharaError};
use sahara_rpc::RequestContext;
use sahara_schema::DbConnection;
use serde_json::{Map, Value};

/// A JSON object.
pub type Obj = Map<String, Value>;

/// Settings of Sahara's that change what the conductor does.
#[derive(Debug, Clone, PartialEq)]
pub struct ConductorSettings {
    /// `[DEFAULT] job_binary_max_KB`: the largest internal job binary.
    pub job_binary_max_kb: i64,
    /// `[DEFAULT] disable_event_log`: provision step bookkeeping off.
    pub disable_event_log: bool,
}

impl Default for ConductorSettings {
    fn default() -> Self {
        ConductorSettings {
            job_binary_max_kb: 5120,
            disable_event_log: false,
        }
    }
}

/// The conductor: Sahara's database API over the [`Store`].
#[derive(Debug, Clone)]
pub struct Conductor {
    pub(crate) store: Store,
    pub(crate) settings: ConductorSettings,
}

impl Conductor {
    /// A conductor over `store`.
    pub fn new(store: Store, settings: ConductorSettings) -> Self {
        Conductor { store, settings }
    }

    /// The store (for tests and tools).
    pub fn store(&self) -> &Store {
        &self.store
    }
}

/// What a context may see.
pub(crate) fn scope(ctx: &RequestContext) -> Scope {
    Scope {
        tenant_id: ctx.project_id.clone(),
        is_admin: ctx.is_admin,
    }
}

/// The caller's project as a JSON value (`tenant_id` on created rows).
pub(crate) fn tenant(ctx: &RequestContext) -> Option<String> {
    ctx.project_id.clone()
}

/// A string field of a row.
pub(crate) fn s<'a>(row: &'a Obj, key: &str) -> Option<&'a str> {
    row.get(key).and_then(Value::as_str)
}

/// The row `id` of `table` visible in `scope`, or Sahara's NotFoundException for `kind`.
pub(crate) fn must_get(
    c: &mut DbConnection,
    table: &Table,
    scope: &Scope,
    kind: ResourceKind,
    id: &str,
) -> Result<Obj> {
    query::get(c, table, scope, id)?.ok_or_else(|| SaharaError::not_found(kind, id).into())
}

/// Creates the row `id` of `table` (one without children) from `values` with one insert
/// ([`Store::insert_returning`]), read back only where the database may not store what was bound.
pub(crate) async fn create_flat(
    store: &Store,
    op: &'static str,
    table: &'static Table,
    kind: ResourceKind,
    scope: &Scope,
    id: &str,
    values: &Obj,
) -> Result<Obj> {
    match store
        .insert_returning(op, table, id, values, move |e| map_write_error(e, kind))
        .await?
    {
        Some(row) => Ok(row),
        None => store
            .get(op, table, scope, id)
            .await?
            .ok_or_else(|| SaharaError::not_found(kind, id).into()),
    }
}

/// The columns oslo.db reports for a unique-key violation: MySQL/MariaDB name the key
/// (`for key 'name'`), and oslo.db passes that name on as the one "column" (Sahara's
/// constraints are not named `uniq_*`); SQLite names the columns.
fn oslo_duplicate_columns(dup: &sahara_schema::DuplicateEntry) -> Vec<String> {
    match (&dup.table, &dup.key) {
        (Some(t), Some(k)) => vec![format!("{t}.{k}")],
        (None, Some(k)) => vec![k.clone()],
        (_, None) => dup.columns.clone(),
    }
}

/// Turns a unique-key violation into Sahara's DBDuplicateEntry for `kind`
/// (`Duplicate entry for NodeGroupTemplate: ['name']`).
pub(crate) fn map_write_error(e: ConductorError, kind: ResourceKind) -> ConductorError {
    if let ConductorError::Diesel(d) = &e
        && let Some(dup) = sahara_schema::is_duplicate(d)
    {
        let cols = oslo_duplicate_columns(&dup);
        let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
        return SaharaError::db_duplicate(kind, &cols).into();
    }
    e
}

/// The same for `cluster_create` and `cluster_template_create`, whose message names the
/// duplicate value (`Duplicate entry for object c-p1. Failed on columns: ['name']`; `None`
/// where the database does not say it), whichever row of the creation collided.
pub(crate) fn map_create_error(e: ConductorError) -> ConductorError {
    let dup = match &e {
        ConductorError::Diesel(d) => sahara_schema::is_duplicate(d),
        _ => None,
    };
    match dup {
        Some(dup) => {
            let cols = oslo_duplicate_columns(&dup);
            let cols: Vec<&str> = cols.iter().map(String::as_str).collect();
            SaharaError::db_duplicate_object(dup.value.as_deref().unwrap_or("None"), &cols).into()
        }
        None => e,
    }
}

/// Sahara's list arguments out of `**kwargs`: `limit`, `marker`, `sort_by` are taken out,
/// the rest become filters (regex on `regex_cols` when asked and on MySQL).
pub(crate) fn list_request(
    kwargs: &Obj,
    regex_search: bool,
    regex_cols: &[&str],
    backend: sahara_schema::Backend,
) -> Result<ListRequest> {
    let mut filters = kwargs.clone();
    let limit =
        match filters.remove("limit") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_i64(),
            Some(Value::String(s)) if s.is_empty() => None,
            Some(Value::String(s)) => Some(s.trim().parse::<i64>().map_err(|_| {
                ConductorError::InvalidArguments(format!("invalid literal for int() with base 10: '{s}'"))
            })?),
            Some(other) => {
                return Err(ConductorError::InvalidArguments(format!(
                    "limit must be an integer, got {other}"
                )));
            }
        };
    let marker = match filters.remove("marker") {
        Some(Value::String(m)) if !m.is_empty() => Some(m),
        _ => None,
    };
    let sort_by = match filters.remove("sort_by") {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        _ => None,
    };
    Ok(ListRequest {
        filters: query::filters_from_kwargs(&filters, regex_search, regex_cols, false, backend),
        sort_by,
        marker,
        limit,
    })
}

/// Whether a list call pages (`limit` or `marker` given), which takes more than one statement.
pub(crate) fn paged(kwargs: &Obj) -> bool {
    ["limit", "marker"]
        .iter()
        .any(|k| !matches!(kwargs.get(*k), None | Some(Value::Null)))
}

/// The `*_get_all` methods over a table without children, with their resource and table.
static FLAT_LISTS: &[(&str, ResourceKind, &Table)] = &[
    (
        "node_group_template_get_all",
        ResourceKind::NodeGroupTemplate,
        &crate::store::tables::NODE_GROUP_TEMPLATES,
    ),
    (
        "data_source_get_all",
        ResourceKind::DataSource,
        &crate::store::tables::DATA_SOURCES,
    ),
    (
        "job_binary_get_all",
        ResourceKind::JobBinary,
        &crate::store::tables::JOB_BINARIES,
    ),
    (
        "job_binary_internal_get_all",
        ResourceKind::JobBinaryInternal,
        &crate::store::tables::JOB_BINARY_INTERNAL,
    ),
];

/// Whether `method` is one of the lists over a table without children (`node_group_template_get_all`,
/// `data_source_get_all`, `job_binary_get_all`, `job_binary_internal_get_all`).
pub fn is_flat_list(method: &str) -> bool {
    FLAT_LISTS.iter().any(|(m, _, _)| *m == method)
}

/// The form a flat list is answered in.
#[derive(Clone, Copy)]
enum FlatRead {
    /// The page's value.
    Value,
    /// The page's value as JSON text.
    Text,
    /// The items' JSON array as text, keys renamed, and the markers.
    View(Renames),
}

/// A flat list's answer, in the form asked for.
enum FlatAnswer {
    Value(Value),
    Text(String),
    View(ViewPage),
}

/// A flat list answered in another form than the one asked for (which [`Conductor::flat_list_as`] never does).
fn answer_mismatch(method: &str) -> ConductorError {
    ConductorError::Database(format!("{method} answered in another form than the one asked for"))
}

impl Conductor {
    /// A list over a table without children ([`is_flat_list`]): one statement unless paged.
    pub(crate) async fn flat_list(
        &self,
        ctx: &RequestContext,
        method: &str,
        regex_search: bool,
        kwargs: Obj,
    ) -> Result<Value> {
        match self
            .flat_list_as(ctx, method, regex_search, kwargs, FlatRead::Value)
            .await?
        {
            FlatAnswer::Value(v) => Ok(v),
            _ => Err(answer_mismatch(method)),
        }
    }

    /// [`Conductor::flat_list`] answered as the JSON text its value serialises to, written straight from the
    /// rows.
    pub async fn flat_list_text(
        &self,
        ctx: &RequestContext,
        method: &str,
        regex_search: bool,
        kwargs: Obj,
    ) -> Result<String> {
        match self
            .flat_list_as(ctx, method, regex_search, kwargs, FlatRead::Text)
            .await?
        {
            FlatAnswer::Text(t) => Ok(t),
            _ => Err(answer_mismatch(method)),
        }
    }

    /// [`Conductor::flat_list`] with each item's keys in `renames` renamed (`(from, to)`), as the text of the
    /// items' array and the markers: the REST view of a kind whose view only renames. `None` when a rename's
    /// target is not a plain name or is another column's name (the caller then renames on its own).
    pub fn flat_list_view<'a>(
        &'a self,
        ctx: &'a RequestContext,
        method: &'a str,
        regex_search: bool,
        kwargs: Obj,
        renames: Renames,
    ) -> Option<impl Future<Output = Result<ViewPage>> + Send + 'a> {
        let &(_, _, table) = FLAT_LISTS.iter().find(|(m, _, _)| *m == method)?;
        let plain = |to: &str| !to.is_empty() && to.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if renames
            .iter()
            .any(|(_, to)| !plain(to) || table.columns.iter().any(|c| c.name == *to))
        {
            return None;
        }
        Some(async move {
            match self
                .flat_list_as(ctx, method, regex_search, kwargs, FlatRead::View(renames))
                .await?
            {
                FlatAnswer::View(v) => Ok(v),
                _ => Err(answer_mismatch(method)),
            }
        })
    }

    /// The names of the items [`Conductor::flat_list`] would answer for these filters (no paging), read with one
    /// statement of that one column: what a unique-name check needs (`check_*_unique_name` lists the objects with
    /// that name and compares their names). `None` when `method` is not a flat list.
    pub fn flat_list_names<'a>(
        &'a self,
        ctx: &'a RequestContext,
        method: &'a str,
        regex_search: bool,
        kwargs: Obj,
    ) -> Option<impl Future<Output = Result<Vec<String>>> + Send + 'a> {
        let &(op, kind, table) = FLAT_LISTS.iter().find(|(m, _, _)| *m == method)?;
        Some(async move {
            if paged(&kwargs) {
                return Err(ConductorError::InvalidArguments(format!(
                    "the names of {method} are read without limit or marker"
                )));
            }
            let req = list_request(&kwargs, regex_search, kind.regex_filter_columns(), self.store.backend())?;
            let sql = query::names_statement(table, &scope(ctx), &req.filters)?;
            Ok(self.store.load_strings(op, sql).await?.into_iter().flatten().collect())
        })
    }

    /// A flat list in the form `read` asks for: a page in one transaction ([`Store::run`]), else the whole list
    /// with one statement ([`Store::load_rows`], [`Store::rows_json`]).
    async fn flat_list_as(
        &self,
        ctx: &RequestContext,
        method: &str,
        regex_search: bool,
        kwargs: Obj,
        read: FlatRead,
    ) -> Result<FlatAnswer> {
        let Some(&(op, kind, table)) = FLAT_LISTS.iter().find(|(m, _, _)| *m == method) else {
            return Err(ConductorError::InvalidArguments(format!("{method} is not a flat list")));
        };
        let scope = scope(ctx);
        if paged(&kwargs) {
            return self
                .store
                .run(op, move |c: &mut DbConnection, backend, _| {
                    let req = list_request(&kwargs, regex_search, kind.regex_filter_columns(), backend)?;
                    Ok(match read {
                        FlatRead::Value => FlatAnswer::Value(page_value(query::list(c, table, &scope, &req)?)),
                        FlatRead::Text => FlatAnswer::Text(query::list_json(c, table, &scope, &req)?),
                        FlatRead::View(renames) => {
                            let (items, prev, next) = query::list_items_json(c, table, &scope, &req, renames)?;
                            FlatAnswer::View(ViewPage { items, prev, next })
                        }
                    })
                })
                .await;
        }
        let backend = self.store.backend();
        let req = list_request(&kwargs, regex_search, kind.regex_filter_columns(), backend)?;
        let sql = query::page_statement(table, &scope, &req, None, backend)?;
        Ok(match read {
            FlatRead::Value => {
                let items = self.store.load_rows(op, table, sql).await?;
                FlatAnswer::Value(page_value(Page {
                    items,
                    prev: None,
                    next: None,
                }))
            }
            FlatRead::Text => {
                let items = self.store.rows_json(op, table, sql, &[]).await?;
                FlatAnswer::Text(format!("{{\"items\":{items},\"prev\":null,\"next\":null}}"))
            }
            FlatRead::View(renames) => FlatAnswer::View(ViewPage {
                items: self.store.rows_json(op, table, sql, renames).await?,
                prev: None,
                next: None,
            }),
        })
    }
}

/// A page as it travels: `{"items": [...], "prev": .., "next": ..}`.
pub(crate) fn page_value(page: Page) -> Value {
    let mut m = Map::with_capacity(3);
    m.insert(
        "items".into(),
        Value::Array(page.items.into_iter().map(Value::Object).collect()),
    );
    m.insert("prev".into(), page.prev.map_or(Value::Null, Value::String));
    m.insert("next".into(), page.next.map_or(Value::Null, Value::String));
    Value::Object(m)
}

/// Equality filter on one column.
pub(crate) fn by(col: &str, v: &str) -> Vec<Filter> {
    vec![Filter::Eq(col.into(), Value::String(v.to_string()))]
}
