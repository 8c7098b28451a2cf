//! Sahara's query semantics over one table: project scoping (`model_query`), equality,
//! `IN`, `LIKE` and regex filters, sorting, oslo.db's marker pagination with Sahara's
//! previous/next markers, inserts with Sahara's column defaults, updates and deletes.

use super::sql::{Param, Sql, ident, row_columns, to_param};
use super::tables::{Column, ColumnDefault, Kind, Table};
use crate::error::{ConductorError, Result};
use sahara_schema::{Backend, DbConnection};
use serde_json::{Map, Value};

/// Who is asking: non-admins see their project's rows and public ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The caller's project (tenant).
    pub tenant_id: Option<String>,
    /// Admins see every project.
    pub is_admin: bool,
}

impl Scope {
    /// A scope that sees everything (the conductor's own bookkeeping).
    pub fn unrestricted() -> Self {
        Scope {
            tenant_id: None,
            is_admin: true,
        }
    }
}

/// One condition of a WHERE clause.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `col = value` (`IS NULL` for null), SQLAlchemy's `filter_by`.
    Eq(String, Value),
    /// `col IN (...)` (a tuple value in Sahara's `in_filter`).
    In(String, Vec<Value>),
    /// `col LIKE pattern` (a string with `%` in Sahara's `like_filter`).
    Like(String, String),
    /// `col REGEXP pattern` (MySQL only, Sahara's `regex_filter`).
    Regex(String, String),
}

/// A list request: filters plus `sort_by` (`-` for descending), `marker` and `limit`.
#[derive(Debug, Clone, Default)]
pub struct ListRequest {
    /// The conditions.
    pub filters: Vec<Filter>,
    /// Column to sort on, `-col` for descending; `id` by default.
    pub sort_by: Option<String>,
    /// Id of the last row of the previous page.
    pub marker: Option<String>,
    /// Page size.
    pub limit: Option<i64>,
}

/// One page of a list, with the markers of the neighbouring pages.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    /// The rows, in Sahara's to_dict form.
    pub items: Vec<Map<String, Value>>,
    /// Marker of the previous page.
    pub prev: Option<String>,
    /// Marker of the next page.
    pub next: Option<String>,
}

/// Builds the WHERE clause: scope, then filters.
fn push_where(sql: &mut Sql, table: &Table, alias: &str, scope: &Scope, filters: &[Filter]) -> Result<()> {
    let mut first = true;
    let mut and = |sql: &mut Sql| {
        sql.push(if first { " WHERE " } else { " AND " });
        first = false;
    };
    let col_ref = |name: &str| format!("{}.{}", ident(alias), ident(name));
    if !scope.is_admin && table.has("tenant_id") {
        and(sql);
        sql.push("(");
        match &scope.tenant_id {
            Some(t) => {
                sql.push(&format!("{} = ", col_ref("tenant_id")));
                sql.bind(Param::Text(Some(t.clone())));
            }
            None => {
                sql.push(&format!("{} IS NULL", col_ref("tenant_id")));
            }
        }
        if table.has("is_public") {
            sql.push(&format!(" OR {} = ", col_ref("is_public")));
            sql.bind(Param::Bool(Some(true)));
        }
        sql.push(")");
    }
    for f in filters {
        let name = match f {
            Filter::Eq(c, _) | Filter::In(c, _) | Filter::Like(c, _) | Filter::Regex(c, _) => c,
        };
        let col = table.column(name).ok_or_else(|| {
            ConductorError::InvalidArguments(format!("{} has no column '{name}' to filter on", table.name))
        })?;
        and(sql);
        match f {
            Filter::Eq(_, v) if v.is_null() => {
                sql.push(&format!("{} IS NULL", col_ref(name)));
            }
            Filter::Eq(_, v) => {
                sql.push(&format!("{} = ", col_ref(name)));
                sql.bind(to_param(col, v)?);
            }
            Filter::In(_, values) => {
                sql.push(&format!("{} IN (", col_ref(name)));
                if values.is_empty() {
                    sql.push("NULL");
                }
                for (i, v) in values.iter().enumerate() {
                    if i > 0 {
                        sql.push(", ");
                    }
                    sql.bind(to_param(col, v)?);
                }
                sql.push(")");
            }
            Filter::Like(_, p) => {
                sql.push(&format!("{} LIKE ", col_ref(name)));
                sql.bind(Param::Text(Some(p.clone())));
            }
            Filter::Regex(_, p) => {
                sql.push(&format!("{} REGEXP ", col_ref(name)));
                sql.bind(Param::Text(Some(p.clone())));
            }
        }
    }
    Ok(())
}

/// Turns Sahara's `**kwargs` into filters as its DB layer does: tuples (JSON arrays) become
/// `IN`, strings containing `%` become `LIKE` when `like` is set, strings on `regex_cols`
/// become `REGEXP` when regex search is on and the database is MySQL (elsewhere Sahara
/// leaves them as equality), everything else equality.
pub fn filters_from_kwargs(
    kwargs: &Map<String, Value>,
    regex_search: bool,
    regex_cols: &[&str],
    like: bool,
    backend: Backend,
) -> Vec<Filter> {
    kwargs
        .iter()
        .map(|(k, v)| match v {
            Value::Array(items) if like => Filter::In(k.clone(), items.clone()),
            Value::String(s) if like && s.contains('%') => Filter::Like(k.clone(), s.clone()),
            Value::String(s) if regex_search && backend == Backend::Mysql && regex_cols.contains(&k.as_str()) => {
                Filter::Regex(k.clone(), s.clone())
            }
            _ => Filter::Eq(k.clone(), v.clone()),
        })
        .collect()
}

/// Rows of `table` visible in `scope` matching `filters`, ordered by `order` (SQL after
/// ORDER BY, built from spec names only).
pub fn select(
    conn: &mut DbConnection,
    table: &Table,
    scope: &Scope,
    filters: &[Filter],
    order: Option<&str>,
) -> Result<Vec<Map<String, Value>>> {
    select_statement(table, scope, filters, order, conn.backend())?.load_rows(table, conn)
}

/// The statement [`select`] runs on `backend`.
pub fn select_statement(
    table: &Table,
    scope: &Scope,
    filters: &[Filter],
    order: Option<&str>,
    backend: sahara_schema::Backend,
) -> Result<Sql> {
    let mut sql = Sql::new(format!(
        "SELECT {} FROM {} t",
        row_columns(table, "t", backend),
        ident(table.name)
    ));
    push_where(&mut sql, table, "t", scope, filters)?;
    if let Some(o) = order {
        sql.push(" ORDER BY ").push(o);
    }
    Ok(sql)
}

/// `SELECT t.name AS v`: the names of the rows of `table` visible in `scope` that `filters` select, all a
/// unique-name check reads (one column: the server sends no other column's definition).
pub fn names_statement(table: &Table, scope: &Scope, filters: &[Filter]) -> Result<Sql> {
    if !table.has("name") {
        return Err(ConductorError::InvalidArguments(format!("{} has no name", table.name)));
    }
    let mut sql = Sql::new(format!("SELECT t.`name` AS `v` FROM {} t", ident(table.name)));
    push_where(&mut sql, table, "t", scope, filters)?;
    Ok(sql)
}

/// The row with `id` visible in `scope`, if any.
pub fn get(conn: &mut DbConnection, table: &Table, scope: &Scope, id: &str) -> Result<Option<Map<String, Value>>> {
    Ok(select(
        conn,
        table,
        scope,
        &[Filter::Eq("id".into(), Value::String(id.into()))],
        None,
    )?
    .into_iter()
    .next())
}

/// Rows whose `column` is one of `values` (children of several parents), ordered by `order`.
pub fn select_in(
    conn: &mut DbConnection,
    table: &Table,
    column: &str,
    values: &[String],
    order: &str,
) -> Result<Vec<Map<String, Value>>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let filter = Filter::In(column.to_string(), values.iter().cloned().map(Value::String).collect());
    select(conn, table, &Scope::unrestricted(), &[filter], Some(order))
}

/// Number of visible rows matching `filters`.
pub fn count(conn: &mut DbConnection, table: &Table, scope: &Scope, filters: &[Filter]) -> Result<i64> {
    let mut sql = Sql::new(format!("SELECT COUNT(t.`id`) AS `n` FROM {} t", ident(table.name)));
    push_where(&mut sql, table, "t", scope, filters)?;
    Ok(sql.load_count(conn)?)
}

/// Splits `sort_by` into a column and direction (`-name` = descending), checking the
/// column exists (oslo.db's `InvalidSortKey`).
pub fn sort_key<'a>(table: &Table, sort_by: Option<&'a str>) -> Result<(&'a str, bool)> {
    // An empty `sort_by` is no sort key, as Sahara's `get_sorting_field` reads it.
    let s = sort_by.filter(|s| !s.is_empty()).unwrap_or("id");
    let (col, desc) = match s.strip_prefix('-') {
        Some(c) => (c, true),
        None => (s, false),
    };
    if !table.has(col) || table.column(col).is_some_and(|c| c.kind == Kind::Binary) {
        return Err(ConductorError::InvalidArguments(format!(
            "Sort key supplied is invalid: {col}"
        )));
    }
    Ok((col, desc))
}

/// Sahara's paginated list (`*_get_all`): the page as oslo.db's `paginate_query` builds it
/// (rows after the marker in sort order, strictly), and the previous/next markers computed
/// over the whole filtered list the way Sahara's `_get_prev_and_next_objects` does.
pub fn list(conn: &mut DbConnection, table: &Table, scope: &Scope, req: &ListRequest) -> Result<Page> {
    let (sql, prev, next) = list_statement(conn, table, scope, req)?;
    Ok(Page {
        items: sql.load_rows(table, conn)?,
        prev,
        next,
    })
}

/// [`list`] as the JSON text of `{"items": [...], "prev": .., "next": ..}` (how a page travels), written
/// straight from the rows.
pub fn list_json(conn: &mut DbConnection, table: &Table, scope: &Scope, req: &ListRequest) -> Result<String> {
    let mut out = Vec::with_capacity(4096);
    out.extend_from_slice(b"{\"items\":");
    let (prev, next) = write_items_json(conn, table, scope, req, &[], &mut out)?;
    out.extend_from_slice(b",\"prev\":");
    serde_json::to_writer(&mut out, &prev).map_err(|e| ConductorError::Database(e.to_string()))?;
    out.extend_from_slice(b",\"next\":");
    serde_json::to_writer(&mut out, &next).map_err(|e| ConductorError::Database(e.to_string()))?;
    out.push(b'}');
    page_text(table, out)
}

/// [`list`]'s items as the text of a JSON array, each row's keys in `renames` renamed (see
/// [`Sql::write_rows_json`]), and the page's previous and next markers.
pub fn list_items_json(
    conn: &mut DbConnection,
    table: &Table,
    scope: &Scope,
    req: &ListRequest,
    renames: &[(&str, &str)],
) -> Result<(String, Option<String>, Option<String>)> {
    let mut out = Vec::with_capacity(4096);
    let (prev, next) = write_items_json(conn, table, scope, req, renames, &mut out)?;
    Ok((page_text(table, out)?, prev, next))
}

/// Appends [`list`]'s items to `out` as a JSON array (keys in `renames` renamed); returns the page's markers.
fn write_items_json(
    conn: &mut DbConnection,
    table: &Table,
    scope: &Scope,
    req: &ListRequest,
    renames: &[(&str, &str)],
    out: &mut Vec<u8>,
) -> Result<(Option<String>, Option<String>)> {
    let (sql, prev, next) = list_statement(conn, table, scope, req)?;
    out.push(b'[');
    sql.write_rows_json(table, conn, renames, out)?;
    out.push(b']');
    Ok((prev, next))
}

/// A page's text as a string (the writer only writes UTF-8; anything else is the database's error).
fn page_text(table: &Table, out: Vec<u8>) -> Result<String> {
    String::from_utf8(out).map_err(|e| ConductorError::Database(format!("a page of {} is not UTF-8: {e}", table.name)))
}

/// The statement reading a page of [`list`] and the page's previous and next markers.
fn list_statement(
    conn: &mut DbConnection,
    table: &Table,
    scope: &Scope,
    req: &ListRequest,
) -> Result<(Sql, Option<String>, Option<String>)> {
    let (col, desc) = sort_key(table, req.sort_by.as_deref())?;
    let limit = req.limit.filter(|l| *l > 0);
    let marker = match &req.marker {
        Some(m) => get(conn, table, scope, m)?.map(|_| m.clone()),
        None => None,
    };
    // Previous/next markers: every matching id in ascending order of the sort column,
    // reversed for descending sorts. Without a limit there are none, and no ids to read.
    let (prev, next) = if limit.is_some() {
        let mut ids_sql = Sql::new(format!("SELECT t.`id` AS `v` FROM {} t", ident(table.name)));
        push_where(&mut ids_sql, table, "t", scope, &req.filters)?;
        ids_sql.push(&format!(" ORDER BY t.{}", ident(col)));
        let mut ids: Vec<String> = ids_sql.load_strings(conn)?.into_iter().flatten().collect();
        if desc {
            ids.reverse();
        }
        prev_and_next(&ids, limit, marker.as_deref())
    } else {
        (None, None)
    };

    let sql = page_statement(table, scope, req, marker.as_deref(), conn.backend())?;
    Ok((sql, prev, next))
}

/// The statement reading a page of [`list`] after the row `marker` (already known to be visible) on `backend`:
/// the whole list when `req` has neither limit nor marker.
pub fn page_statement(
    table: &Table,
    scope: &Scope,
    req: &ListRequest,
    marker: Option<&str>,
    backend: sahara_schema::Backend,
) -> Result<Sql> {
    let (col, desc) = sort_key(table, req.sort_by.as_deref())?;
    let limit = req.limit.filter(|l| *l > 0);
    let mut sql = Sql::new(format!(
        "SELECT {} FROM {} t",
        row_columns(table, "t", backend),
        ident(table.name)
    ));
    push_where(&mut sql, table, "t", scope, &req.filters)?;
    if let Some(m) = marker {
        // oslo.db: `col > marker.col` (`<` descending); no criterion when the marker's
        // value is NULL. Comparing with the stored value keeps types and precision exact.
        let sub = format!(
            "(SELECT m.{c} FROM {t} m WHERE m.`id` = ",
            c = ident(col),
            t = ident(table.name)
        );
        sql.push(if sql.text().contains(" WHERE ") {
            " AND ("
        } else {
            " WHERE ("
        });
        sql.push(&sub)
            .bind(Param::Text(Some(m.to_string())))
            .push(") IS NULL OR t.");
        sql.push(&ident(col)).push(if desc { " < " } else { " > " });
        sql.push(&sub).bind(Param::Text(Some(m.to_string()))).push("))");
    }
    sql.push(&format!(
        " ORDER BY t.{} {}",
        ident(col),
        if desc { "DESC" } else { "ASC" }
    ));
    if let Some(l) = limit {
        sql.push(&format!(" LIMIT {l}"));
    }
    Ok(sql)
}

/// Sahara's `_get_prev_and_next_objects` over ids already in display order.
pub fn prev_and_next(ids: &[String], limit: Option<i64>, marker: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(limit) = limit.and_then(|l| usize::try_from(l).ok()) else {
        return (None, None);
    };
    match marker {
        Some(m) => {
            let Some(pos) = ids.iter().position(|i| i == m) else {
                return (None, None);
            };
            let prev = pos.checked_sub(limit).map(|p| ids[p].clone());
            let next = ids.get(pos + limit).cloned();
            (prev, next)
        }
        None => {
            let next = if limit < ids.len() {
                ids.get(limit.saturating_sub(1)).cloned()
            } else {
                None
            };
            (None, next)
        }
    }
}

/// Inserts a row from `values` (unknown keys ignored, as SQLAlchemy's `update()` does):
/// a fresh uuid4 id unless given, `created_at` now, Sahara's column defaults for absent
/// keys. Returns the id.
///
/// In a retried [`Store::run`](super::Store::run) call, a generated id that is already
/// taken is the row this same insert stored in an earlier attempt, whose commit went
/// through although its connection was lost: it is taken as written, not written twice.
pub fn insert(conn: &mut DbConnection, table: &Table, values: &Map<String, Value>) -> Result<String> {
    let (id, replay) = match values.get("id") {
        Some(Value::String(s)) if !s.is_empty() => (s.clone(), false),
        _ => super::next_row_id(),
    };
    match insert_with_id(conn, table, &id, values) {
        Err(e) if replay && is_primary_key_duplicate(&e) => Ok(id),
        other => other.map(|()| id),
    }
}

/// Whether a write failed on a duplicate primary key (`id`).
pub fn is_primary_key_duplicate(e: &ConductorError) -> bool {
    matches!(e, ConductorError::Diesel(d)
        if sahara_schema::is_duplicate(d)
            .is_some_and(|dup| dup.key.as_deref() == Some("PRIMARY") || dup.columns.iter().any(|c| c == "id")))
}

/// Whether a write failed because our own earlier attempt already committed it (the connection was lost after the
/// commit): a duplicate primary key on a retry (`attempt` > 0).
pub fn already_written(e: &ConductorError, attempt: u32) -> bool {
    attempt > 0 && is_primary_key_duplicate(e)
}

/// [`insert`] with a caller-chosen id (so a retried insert can be recognised).
pub fn insert_with_id(conn: &mut DbConnection, table: &Table, id: &str, values: &Map<String, Value>) -> Result<()> {
    let (columns, params) = insert_params(table, id, values, now())?;
    insert_statement(table, &columns, params).execute(conn)?;
    Ok(())
}

/// The insert of a row of `table` from `values` under `id` (as [`insert_with_id`] writes it, `created_at` in whole
/// seconds) and the row as [`get`] would read it back (every non-binary column in table order, in Sahara's to_dict
/// form) from a database that stores exactly what it is given ([`StoresAsBound`](super::StoresAsBound)); `None`
/// when a text bound could lose trailing spaces. Run by [`Store::insert_returning`](super::Store::insert_returning).
pub fn insert_returning_statement(
    table: &Table,
    id: &str,
    values: &Map<String, Value>,
) -> Result<(Sql, Option<Map<String, Value>>)> {
    // Whole seconds, as the `DATETIME` columns keep them: a fraction would be cut by MariaDB but rounded by MySQL.
    let (columns, params) = insert_params(table, id, values, now()[..19].to_string())?;
    let derivable = !params
        .iter()
        .any(|p| matches!(p, Param::Text(Some(t)) if t.ends_with(' ')));
    let row = derivable.then(|| stored_row(table, &columns, &params));
    Ok((insert_statement(table, &columns, params), row))
}

/// The columns an insert of `values` under `id` writes and their values: the id, `created_at` now, the values
/// given (unknown keys ignored) and Sahara's column defaults for absent ones.
fn insert_params(
    table: &Table,
    id: &str,
    values: &Map<String, Value>,
    created_at: String,
) -> Result<(Vec<&'static Column>, Vec<Param>)> {
    let mut created_at = Some(created_at);
    let mut columns = Vec::with_capacity(table.columns.len());
    let mut params = Vec::with_capacity(table.columns.len());
    for col in table.columns {
        let value = match col.name {
            "id" if table.has("id") => Some(Value::String(id.to_string())),
            "created_at" => created_at.take().map(Value::String),
            name => match values.get(name) {
                Some(v) => Some(v.clone()),
                None => col.default.map(|d| match d {
                    ColumnDefault::Bool(b) => Value::Bool(b),
                    ColumnDefault::Int(i) => Value::from(i),
                }),
            },
        };
        if let Some(v) = value {
            columns.push(col);
            params.push(to_param(col, &v)?);
        }
    }
    Ok((columns, params))
}

/// `INSERT INTO table (columns) VALUES (params)`.
fn insert_statement(table: &Table, columns: &[&Column], params: Vec<Param>) -> Sql {
    let names: Vec<String> = columns.iter().map(|c| ident(c.name)).collect();
    let mut sql = Sql::new(format!(
        "INSERT INTO {} ({}) VALUES (",
        ident(table.name),
        names.join(", ")
    ));
    for (i, p) in params.into_iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.bind(p);
    }
    sql.push(")");
    sql
}

/// The row a database storing exactly `params` in `columns` (the others NULL: the tables have no server defaults)
/// reads back.
fn stored_row(table: &Table, columns: &[&Column], params: &[Param]) -> Map<String, Value> {
    // `columns` is a subsequence of the table's columns, in table order ([`insert_params`]).
    let mut written = columns.iter().zip(params).peekable();
    let mut row = Map::with_capacity(table.columns.len());
    for col in table.columns {
        let param = written.next_if(|(c, _)| c.name == col.name).map(|(_, p)| p);
        if col.kind != Kind::Binary {
            row.insert(
                col.name.to_string(),
                param.map_or(Value::Null, |p| stored_value(col, p)),
            );
        }
    }
    row
}

/// One bound value as the database reads it back.
fn stored_value(col: &Column, param: &Param) -> Value {
    match param {
        Param::Text(Some(t)) => super::sql::decode_value(col, Value::String(t.clone())),
        Param::Bool(Some(b)) => Value::Bool(*b),
        Param::Int(Some(i)) => Value::from(*i),
        Param::SmallInt(Some(i)) => Value::from(*i),
        Param::BigInt(Some(i)) => Value::from(*i),
        Param::Timestamp(Some(t)) => Value::String(super::sql::format_timestamp(t)),
        Param::Binary(Some(b)) => Value::String(super::sql::encode_base64(b)),
        Param::Text(None)
        | Param::Bool(None)
        | Param::Int(None)
        | Param::SmallInt(None)
        | Param::BigInt(None)
        | Param::Timestamp(None)
        | Param::Binary(None) => Value::Null,
    }
}

/// Sets the columns named in `values` (unknown keys and `id`/`created_at`/`updated_at`
/// ignored) and `updated_at` on the row `id`, as SQLAlchemy's unit of work does: a value
/// equal (by Python's `==`) to the stored one is not written, and when nothing changes no
/// UPDATE is issued at all, so `updated_at` keeps its value. Returns whether a row changed.
pub fn update(conn: &mut DbConnection, table: &Table, id: &str, values: &Map<String, Value>) -> Result<bool> {
    let current = get(conn, table, &Scope::unrestricted(), id)?;
    let changed: Vec<(&Column, &Value)> = table
        .columns
        .iter()
        .filter(|col| !matches!(col.name, "id" | "created_at" | "updated_at"))
        .filter_map(|col| values.get(col.name).map(|v| (col, v)))
        .filter(|(col, v)| {
            !current
                .as_ref()
                .and_then(|row| row.get(col.name))
                .is_some_and(|stored| python_eq(stored, v))
        })
        .collect();
    if changed.is_empty() {
        return Ok(false);
    }
    let mut sql = Sql::new(format!("UPDATE {} SET ", ident(table.name)));
    if table.has("updated_at") {
        sql.push("`updated_at` = ");
        sql.bind(to_param(table.column("updated_at").unwrap(), &Value::String(now()))?);
        sql.push(", ");
    }
    for (i, (col, v)) in changed.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.push(&format!("{} = ", ident(col.name)));
        sql.bind(to_param(col, v)?);
    }
    sql.push(" WHERE `id` = ").bind(Param::Text(Some(id.to_string())));
    Ok(sql.execute(conn)? > 0)
}

/// Python's `==` between a stored value (as read back) and a new one: numbers by value
/// (`1 == 1.0`, `True == 1`), containers element by element, anything else exactly.
fn python_eq(a: &Value, b: &Value) -> bool {
    fn number(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) => Some(f64::from(u8::from(*b))),
            _ => None,
        }
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) if x.is_i64() && y.is_i64() => x.as_i64() == y.as_i64(),
        (Value::Number(_) | Value::Bool(_), Value::Number(_) | Value::Bool(_)) => number(a) == number(b),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| python_eq(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| python_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Deletes rows matching `filters` (no scoping: callers check visibility first).
pub fn delete_where(conn: &mut DbConnection, table: &Table, filters: &[Filter]) -> Result<usize> {
    let mut sql = Sql::new(format!("DELETE FROM {} ", ident(table.name)));
    // DELETE cannot use the alias on every backend, so build the WHERE on the bare table.
    let mut where_sql = Sql::new(String::new());
    push_where(&mut where_sql, table, table.name, &Scope::unrestricted(), filters)?;
    sql.append(where_sql);
    Ok(sql.execute(conn)?)
}

/// The current UTC time as stored in `created_at` / `updated_at`.
pub fn now() -> String {
    chrono::Utc::now()
        .naive_utc()
        .format("%Y-%m-%d %H:%M:%S%.6f")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("id{i}")).collect()
    }

    #[test]
    fn prev_next_like_sahara() {
        let all = ids(5);
        assert_eq!(prev_and_next(&all, None, None), (None, None));
        assert_eq!(prev_and_next(&all, Some(2), None), (None, Some("id1".into())));
        assert_eq!(prev_and_next(&all, Some(5), None), (None, None));
        assert_eq!(prev_and_next(&all, Some(2), Some("id1")), (None, Some("id3".into())));
        assert_eq!(prev_and_next(&all, Some(2), Some("id3")), (Some("id1".into()), None));
        assert_eq!(prev_and_next(&all, Some(2), Some("nope")), (None, None));
    }

    #[test]
    fn python_equality() {
        use serde_json::json;
        assert!(python_eq(&json!(1), &json!(1.0)));
        assert!(python_eq(&json!(true), &json!(1)));
        assert!(!python_eq(&json!(3), &json!("3")));
        assert!(python_eq(
            &json!({"a": [1, {"b": false}]}),
            &json!({"a": [1.0, {"b": 0}]})
        ));
        assert!(!python_eq(&json!({"a": 1}), &json!({"a": 1, "b": 2})));
        assert!(python_eq(&Value::Null, &Value::Null));
        assert!(!python_eq(&Value::Null, &json!(0)));
    }

    #[test]
    fn kwargs_become_sahara_filters() {
        let kw: Map<String, Value> =
            serde_json::from_str(r#"{"name": "a.*", "url": "swift://%", "type": ["hdfs", "swift"], "x": 1}"#).unwrap();
        let f = filters_from_kwargs(&kw, true, &["name"], true, Backend::Mysql);
        assert!(f.contains(&Filter::Regex("name".into(), "a.*".into())));
        assert!(f.contains(&Filter::Like("url".into(), "swift://%".into())));
        assert!(f.contains(&Filter::In("type".into(), vec!["hdfs".into(), "swift".into()])));
        let f = filters_from_kwargs(&kw, true, &["name"], false, Backend::Sqlite);
        assert!(
            f.contains(&Filter::Eq("name".into(), "a.*".into())),
            "no regex on SQLite: equality, as Sahara"
        );
    }
}
