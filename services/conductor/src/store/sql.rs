//! Dynamic SQL over the table specs: statements with bound parameters, rows read back as
//! JSON objects (the database builds them with `JSON_OBJECT`/`json_object`, which MariaDB
//! and SQLite both provide), and the conversions between JSON values and column values
//! that Sahara's SQLAlchemy types perform.
//!
//! Column names only ever come from the static table specs; values are always bound.

use super::tables::{Column, Kind, Table};
use crate::error::ConductorError;
use chrono::NaiveDateTime;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Binary, Bool, Integer, Nullable, SmallInt, Text, Timestamp, Untyped};
use diesel::{QueryableByName, RunQueryDsl};
use sahara_schema::DbConnection;
use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, RwLock};

/// The backend of [`DbConnection`] (MySQL or SQLite, chosen at run time).
pub type Backend = <DbConnection as diesel::Connection>::Backend;

/// A bound value, typed as its column is.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// `VARCHAR`/`TEXT` (JSON columns too, serialised).
    Text(Option<String>),
    /// `BOOL`.
    Bool(Option<bool>),
    /// `INT`.
    Int(Option<i32>),
    /// `SMALLINT`.
    SmallInt(Option<i16>),
    /// `BIGINT`.
    BigInt(Option<i64>),
    /// `DATETIME`.
    Timestamp(Option<NaiveDateTime>),
    /// `BLOB`.
    Binary(Option<Vec<u8>>),
}

/// A statement under construction: SQL text with `?` placeholders and their values.
#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    params: Vec<Param>,
    /// Where each placeholder is in `text` (byte offsets, one per param).
    marks: Vec<usize>,
}

impl Sql {
    /// A statement starting with `text` (which holds no placeholder).
    pub fn new(text: impl Into<String>) -> Self {
        Sql {
            text: text.into(),
            ..Sql::default()
        }
    }

    /// Appends SQL text (which holds no placeholder: values go through [`Sql::bind`]).
    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `param`.
    pub fn bind(&mut self, param: Param) -> &mut Self {
        self.marks.push(self.text.len());
        self.text.push('?');
        self.params.push(param);
        self
    }

    /// Appends another statement's text and values.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        let base = self.text.len();
        self.text.push_str(&other.text);
        self.marks.extend(other.marks.iter().map(|m| m + base));
        self.params.extend(other.params);
        self
    }

    /// The SQL text (for tests and debugging; values are not included).
    pub fn text(&self) -> &str {
        &self.text
    }

    fn into_query(self) -> Statement {
        let cache = may_stay_prepared(&self.text);
        Statement { sql: self, cache }
    }

    /// Runs a statement that returns no rows; returns the affected row count.
    pub fn execute(self, conn: &mut DbConnection) -> diesel::QueryResult<usize> {
        self.into_query().execute(conn)
    }

    /// Runs a `SELECT <row_columns(table, ..)> ...` and returns the rows in Sahara's to_dict
    /// form (see [`row_columns`]).
    pub fn load_rows(self, table: &Table, conn: &mut DbConnection) -> Result<Vec<Map<String, Value>>, ConductorError> {
        match conn.backend() {
            sahara_schema::Backend::Mysql => self.load_columns(table, conn),
            sahara_schema::Backend::Sqlite => {
                let rows: Vec<JsonRow> = self.into_query().load(conn)?;
                rows.into_iter().map(|r| decode_row(table, &r.row)).collect()
            }
        }
    }

    /// The MySQL side of [`Sql::load_rows`]: each column read with its own type.
    fn load_columns(self, table: &Table, conn: &mut DbConnection) -> Result<Vec<Map<String, Value>>, ConductorError> {
        use diesel::connection::LoadConnection;
        let columns: Vec<&Column> = table.columns.iter().filter(|c| c.kind != Kind::Binary).collect();
        let mut out = Vec::new();
        for row in conn.load(self.into_query())? {
            let row = row?;
            let mut object = Map::with_capacity(columns.len());
            for (i, col) in columns.iter().enumerate() {
                object.insert(col.name.to_string(), field_value(table, col, &row, i)?);
            }
            out.push(object);
        }
        Ok(out)
    }

    /// [`Sql::load_rows`] written as JSON text: the rows' objects, comma-separated, appended to `out` (the same
    /// objects [`Sql::load_rows`] answers, serialised, without building them: on MySQL each column is written as
    /// it is read), with the keys in `renames` renamed (`(from, to)`, `to` a plain name that no other column
    /// has). Returns how many rows were written.
    pub fn write_rows_json(
        self,
        table: &Table,
        conn: &mut DbConnection,
        renames: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Result<usize, ConductorError> {
        fn key<'k>(renames: &[(&str, &'k str)], name: &'k str) -> &'k str {
            renames
                .iter()
                .find(|(from, _)| *from == name)
                .map_or(name, |(_, to)| to)
        }
        if conn.backend() == sahara_schema::Backend::Sqlite {
            let rows = self.load_rows(table, conn)?;
            for (i, row) in rows.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.push(b'{');
                for (j, (name, value)) in row.iter().enumerate() {
                    if j > 0 {
                        out.push(b',');
                    }
                    serde_json::to_writer(&mut *out, key(renames, name))
                        .map_err(|e| ConductorError::Database(e.to_string()))?;
                    out.push(b':');
                    serde_json::to_writer(&mut *out, value).map_err(|e| ConductorError::Database(e.to_string()))?;
                }
                out.push(b'}');
            }
            return Ok(rows.len());
        }
        use diesel::connection::LoadConnection;
        let columns: Vec<&Column> = table.columns.iter().filter(|c| c.kind != Kind::Binary).collect();
        // What precedes each column's value in every row: `{"key":` for the first, `,"key":` for the others;
        // built with the first row (a lookup that finds nothing builds none).
        let mut heads: Option<Vec<String>> = None;
        let mut written = 0;
        for row in conn.load(self.into_query())? {
            let row = row?;
            let heads = heads.get_or_insert_with(|| column_heads(&columns, renames));
            if written > 0 {
                out.push(b',');
            }
            if columns.is_empty() {
                out.push(b'{');
            }
            for (i, (col, head)) in columns.iter().zip(heads.iter()).enumerate() {
                out.extend_from_slice(head.as_bytes());
                // What the text saves: the object per row and its keys, a string per text column (escaped from
                // the row's own bytes) and, for JSON columns, the value.
                match col.kind {
                    Kind::Text | Kind::JsonDict | Kind::JsonList => write_text_column(out, table, col, &row, i)?,
                    _ => serde_json::to_writer(&mut *out, &field_value(table, col, &row, i)?)
                        .map_err(|e| ConductorError::Database(e.to_string()))?,
                }
            }
            out.push(b'}');
            written += 1;
        }
        Ok(written)
    }

    /// Runs a query whose only column is a string called `v`.
    pub fn load_strings(self, conn: &mut DbConnection) -> diesel::QueryResult<Vec<Option<String>>> {
        let rows: Vec<StringRow> = self.into_query().load(conn)?;
        Ok(rows.into_iter().map(|r| r.v).collect())
    }

    /// Runs a query whose only column is an integer called `n`.
    pub fn load_count(self, conn: &mut DbConnection) -> diesel::QueryResult<i64> {
        let rows: Vec<CountRow> = self.into_query().load(conn)?;
        Ok(rows.first().map(|r| r.n).unwrap_or(0))
    }

    /// Runs a query whose only column is a blob called `b`.
    pub fn load_blobs(self, conn: &mut DbConnection) -> diesel::QueryResult<Vec<Option<Vec<u8>>>> {
        let rows: Vec<BlobRow> = self.into_query().load(conn)?;
        Ok(rows.into_iter().map(|r| r.b).collect())
    }
}

/// The same statements on the asynchronous MySQL driver ([`sahara_schema::async_mysql`]): the same text and values,
/// rows answered as the diesel side answers them (the `*_on` methods' tests compare the two).
impl Sql {
    /// The statement's values as the asynchronous driver binds them.
    fn mysql_params(&self) -> mysql_async::Params {
        use mysql_async::Value as M;
        if self.params.is_empty() {
            return mysql_async::Params::Empty;
        }
        let value = |p: &Param| match p {
            Param::Text(Some(t)) => M::Bytes(t.clone().into_bytes()),
            Param::Binary(Some(b)) => M::Bytes(b.clone()),
            Param::Bool(Some(b)) => M::Int(i64::from(*b)),
            Param::Int(Some(i)) => M::Int(i64::from(*i)),
            Param::SmallInt(Some(i)) => M::Int(i64::from(*i)),
            Param::BigInt(Some(i)) => M::Int(*i),
            Param::Timestamp(Some(t)) => {
                use chrono::{Datelike, Timelike};
                M::Date(
                    u16::try_from(t.year()).unwrap_or(0),
                    u8::try_from(t.month()).unwrap_or(0),
                    u8::try_from(t.day()).unwrap_or(0),
                    u8::try_from(t.hour()).unwrap_or(0),
                    u8::try_from(t.minute()).unwrap_or(0),
                    u8::try_from(t.second()).unwrap_or(0),
                    t.nanosecond() / 1000,
                )
            }
            Param::Text(None)
            | Param::Binary(None)
            | Param::Bool(None)
            | Param::Int(None)
            | Param::SmallInt(None)
            | Param::BigInt(None)
            | Param::Timestamp(None) => M::NULL,
        };
        mysql_async::Params::Positional(self.params.iter().map(value).collect())
    }

    /// The rows the statement reads, on the asynchronous driver.
    async fn rows_on(self, conn: &mut mysql_async::Conn) -> diesel::QueryResult<Vec<mysql_async::Row>> {
        use mysql_async::prelude::Queryable;
        let params = self.mysql_params();
        conn.exec(self.text, params)
            .await
            .map_err(sahara_schema::async_mysql::to_diesel_error)
    }

    /// [`Sql::execute`] on the asynchronous driver.
    pub async fn execute_on(self, conn: &mut mysql_async::Conn) -> diesel::QueryResult<usize> {
        use mysql_async::prelude::Queryable;
        let params = self.mysql_params();
        conn.exec_drop(self.text, params)
            .await
            .map_err(sahara_schema::async_mysql::to_diesel_error)?;
        Ok(usize::try_from(conn.affected_rows()).unwrap_or(usize::MAX))
    }

    /// [`Sql::load_rows`] on the asynchronous driver (a statement built for MySQL: [`row_columns`]).
    pub async fn load_rows_on(
        self,
        table: &Table,
        conn: &mut mysql_async::Conn,
    ) -> Result<Vec<Map<String, Value>>, ConductorError> {
        let columns: Vec<&Column> = table.columns.iter().filter(|c| c.kind != Kind::Binary).collect();
        let rows = self.rows_on(conn).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let mut object = Map::with_capacity(columns.len());
            for (i, col) in columns.iter().enumerate() {
                let raw = row.as_ref(i).ok_or_else(|| no_column(table, col))?;
                object.insert(col.name.to_string(), mysql_value(table, col, raw)?);
            }
            out.push(object);
        }
        Ok(out)
    }

    /// [`Sql::write_rows_json`] on the asynchronous driver.
    pub async fn write_rows_json_on(
        self,
        table: &Table,
        conn: &mut mysql_async::Conn,
        renames: &[(&str, &str)],
        out: &mut Vec<u8>,
    ) -> Result<usize, ConductorError> {
        let columns: Vec<&Column> = table.columns.iter().filter(|c| c.kind != Kind::Binary).collect();
        let rows = self.rows_on(conn).await?;
        let heads = (!rows.is_empty()).then(|| column_heads(&columns, renames));
        for (n, row) in rows.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            if columns.is_empty() {
                out.push(b'{');
            }
            for (i, (col, head)) in columns.iter().zip(heads.iter().flatten()).enumerate() {
                out.extend_from_slice(head.as_bytes());
                match (col.kind, row.as_ref(i).ok_or_else(|| no_column(table, col))?) {
                    (_, mysql_async::Value::NULL) => out.extend_from_slice(b"null"),
                    (Kind::Text | Kind::JsonDict | Kind::JsonList, mysql_async::Value::Bytes(bytes)) => {
                        let text = std::str::from_utf8(bytes).map_err(|e| unreadable(table, col, Box::new(e)))?;
                        write_text(out, col, text)?;
                    }
                    (_, raw) => serde_json::to_writer(&mut *out, &mysql_value(table, col, raw)?)
                        .map_err(|e| ConductorError::Database(e.to_string()))?,
                }
            }
            out.push(b'}');
        }
        Ok(rows.len())
    }

    /// [`Sql::load_strings`] on the asynchronous driver.
    pub async fn load_strings_on(self, conn: &mut mysql_async::Conn) -> diesel::QueryResult<Vec<Option<String>>> {
        let rows = self.rows_on(conn).await?;
        rows.into_iter()
            .map(|row| match row.as_ref(0) {
                None | Some(mysql_async::Value::NULL) => Ok(None),
                Some(mysql_async::Value::Bytes(b)) => String::from_utf8(b.clone())
                    .map(Some)
                    .map_err(|e| diesel::result::Error::DeserializationError(Box::new(e))),
                Some(other) => Ok(Some(other.as_sql(true))),
            })
            .collect()
    }
}

/// One column value the asynchronous driver read, in Sahara's to_dict form (what [`column_value`] makes of the
/// same column read by diesel's driver): the binary protocol's integers, dates and bytes; the text protocol's
/// text for any of them.
fn mysql_value(table: &Table, col: &Column, raw: &mysql_async::Value) -> Result<Value, ConductorError> {
    use mysql_async::Value as M;
    let text = |b: &[u8]| -> Result<String, ConductorError> {
        String::from_utf8(b.to_vec()).map_err(|e| unreadable(table, col, Box::new(e)))
    };
    let integer = |b: &[u8]| -> Result<i64, ConductorError> {
        std::str::from_utf8(b)
            .ok()
            .and_then(|t| t.trim().parse::<i64>().ok())
            .ok_or_else(|| unreadable(table, col, "not an integer".into()))
    };
    Ok(match (col.kind, raw) {
        (_, M::NULL) => Value::Null,
        (Kind::Bool, M::Int(i)) => Value::Bool(*i != 0),
        (Kind::Bool, M::UInt(u)) => Value::Bool(*u != 0),
        (Kind::Bool, M::Bytes(b)) => Value::Bool(integer(b)? != 0),
        (Kind::Int | Kind::SmallInt | Kind::BigInt, M::Int(i)) => Value::from(*i),
        (Kind::Int | Kind::SmallInt | Kind::BigInt, M::UInt(u)) => Value::from(*u),
        (Kind::Int | Kind::SmallInt | Kind::BigInt, M::Bytes(b)) => Value::from(integer(b)?),
        (Kind::Timestamp, M::Date(y, mo, d, h, mi, s, us)) => {
            let t = chrono::NaiveDate::from_ymd_opt(i32::from(*y), u32::from(*mo), u32::from(*d))
                .and_then(|date| date.and_hms_micro_opt(u32::from(*h), u32::from(*mi), u32::from(*s), *us))
                .ok_or_else(|| unreadable(table, col, format!("{raw:?} is not a date and time").into()))?;
            Value::String(format_timestamp(&t))
        }
        (Kind::Timestamp, M::Bytes(b)) => decode_value(col, Value::String(text(b)?)),
        (Kind::Text | Kind::Binary, M::Bytes(b)) => Value::String(text(b)?),
        (Kind::JsonDict | Kind::JsonList, M::Bytes(b)) => decode_value(col, Value::String(text(b)?)),
        (_, other) => {
            return Err(unreadable(
                table,
                col,
                format!("{other:?} does not read as {:?}", col.kind).into(),
            ));
        }
    })
}

/// What precedes each column's value in every row written as JSON: `{"key":` for the first, `,"key":` for the
/// others (keys in `renames` renamed).
fn column_heads(columns: &[&Column], renames: &[(&str, &str)]) -> Vec<String> {
    columns
        .iter()
        .enumerate()
        .map(|(i, col)| {
            let key = renames
                .iter()
                .find(|(from, _)| *from == col.name)
                .map_or(col.name, |(_, to)| to);
            format!("{}\"{}\":", if i == 0 { '{' } else { ',' }, key)
        })
        .collect()
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    row: String,
}

#[derive(QueryableByName)]
struct StringRow {
    #[diesel(sql_type = Nullable<Text>)]
    v: Option<String>,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct BlobRow {
    #[diesel(sql_type = Nullable<Binary>)]
    b: Option<Vec<u8>>,
}

/// How many distinct statement texts a connection keeps prepared: the first ones a process
/// runs (the hot reads and writes of every resource come first), each prepared once per
/// connection and executed many times. Texts beyond them are prepared, executed and closed
/// each time, so a caller varying filters and sorts cannot make a connection hold an
/// unbounded number of statements on the server (MariaDB's `max_prepared_stmt_count` is
/// shared by every client).
pub const PREPARED_PER_CONNECTION: usize = 64;

/// Whether `text` is one of the [`PREPARED_PER_CONNECTION`] texts kept prepared.
fn may_stay_prepared(text: &str) -> bool {
    static KEPT: LazyLock<RwLock<HashSet<Box<str>>>> = LazyLock::new(Default::default);
    if KEPT.read().unwrap_or_else(|e| e.into_inner()).contains(text) {
        return true;
    }
    let mut kept = KEPT.write().unwrap_or_else(|e| e.into_inner());
    if kept.len() < PREPARED_PER_CONNECTION {
        kept.insert(text.into());
        return true;
    }
    kept.contains(text)
}

/// A [`Sql`] as diesel runs it: its text (the statement cache's key when `cache`) with the
/// values bound at the placeholders.
struct Statement {
    sql: Sql,
    /// Whether diesel may keep the statement prepared on the connection.
    cache: bool,
}

impl QueryId for Statement {
    type QueryId = ();

    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Statement {
    type SqlType = Untyped;
}

impl<Conn> RunQueryDsl<Conn> for Statement {}

impl QueryFragment<Backend> for Statement {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Backend>) -> diesel::QueryResult<()> {
        if !self.cache {
            out.unsafe_to_cache_prepared();
        }
        let text = &self.sql.text;
        let mut at = 0;
        for (&mark, param) in self.sql.marks.iter().zip(&self.sql.params) {
            out.push_sql(&text[at..mark]);
            match param {
                Param::Text(v) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Param::Bool(v) => out.push_bind_param::<Nullable<Bool>, _>(v)?,
                Param::Int(v) => out.push_bind_param::<Nullable<Integer>, _>(v)?,
                Param::SmallInt(v) => out.push_bind_param::<Nullable<SmallInt>, _>(v)?,
                Param::BigInt(v) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Param::Timestamp(v) => out.push_bind_param::<Nullable<Timestamp>, _>(v)?,
                Param::Binary(v) => out.push_bind_param::<Nullable<Binary>, _>(v)?,
            }
            at = mark + 1;
        }
        out.push_sql(&text[at..]);
        Ok(())
    }
}

/// Quotes an identifier from a table spec (backticks work on MariaDB and SQLite).
pub fn ident(name: &str) -> String {
    format!("`{name}`")
}

/// The select list of a row of `table` under `alias`, as [`Sql::load_rows`] reads it on
/// `backend`: on MySQL every non-binary column in table order, each read with its own type;
/// on SQLite the database builds the row as one JSON object ([`json_row`]), whose values
/// [`decode_row`] converts (SQLite's dynamic types make that the one reading that fits them all).
pub fn row_columns(table: &Table, alias: &str, backend: sahara_schema::Backend) -> String {
    match backend {
        sahara_schema::Backend::Mysql => built_once(table, alias, "columns", || {
            let cols: Vec<String> = table
                .columns
                .iter()
                .filter(|c| c.kind != Kind::Binary)
                .map(|c| format!("{}.{}", ident(alias), ident(c.name)))
                .collect();
            cols.join(", ")
        }),
        sahara_schema::Backend::Sqlite => json_row(table, alias),
    }
}

/// The text `build` makes for (`table`, `alias`, `what`), built once per process.
fn built_once(table: &Table, alias: &str, what: &'static str, build: impl FnOnce() -> String) -> String {
    /// The texts built so far, by table name, alias and kind.
    type Built = HashMap<(&'static str, String, &'static str), Arc<str>>;
    static BUILT: LazyLock<RwLock<Built>> = LazyLock::new(Default::default);
    let key = (table.name, alias.to_string(), what);
    if let Some(text) = BUILT.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return text.to_string();
    }
    let text = build();
    BUILT
        .write()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, Arc::from(text.as_str()));
    text
}

/// Column `i` of a MySQL row (`col` of `table`) in Sahara's to_dict form ([`column_value`]; NULL as null).
fn field_value<'a, R: diesel::row::Row<'a, Backend>>(
    table: &Table,
    col: &Column,
    row: &R,
    i: usize,
) -> Result<Value, ConductorError> {
    use diesel::row::Field;
    let field = row.get(i).ok_or_else(|| no_column(table, col))?;
    match field.value() {
        None => Ok(Value::Null),
        Some(raw) => column_value(table, col, raw),
    }
}

/// A row read without one of its table's columns.
fn no_column(table: &Table, col: &Column) -> ConductorError {
    ConductorError::Database(format!("a row of {} has no column {}", table.name, col.name))
}

/// A column value the database gave that does not read as its kind.
fn unreadable(table: &Table, col: &Column, e: Box<dyn std::error::Error + Send + Sync>) -> ConductorError {
    ConductorError::Database(format!("unreadable {}.{} from the database: {e}", table.name, col.name))
}

/// A text or JSON column of a row written as JSON, from the text the row holds (no string made of it): text
/// escaped as a JSON string (what [`field_value`]'s string serialises to); a JSON column's text copied as it is
/// when that is JSON without escapes (which reads as the value [`decode_value`] makes of it: an escape is left to
/// the parser, which refuses lone surrogates), else [`field_value`]'s value.
fn write_text_column<'a, R: diesel::row::Row<'a, Backend>>(
    out: &mut Vec<u8>,
    table: &Table,
    col: &Column,
    row: &R,
    i: usize,
) -> Result<(), ConductorError> {
    use diesel::row::Field;
    let field = row.get(i).ok_or_else(|| no_column(table, col))?;
    let Some(raw) = field.value() else {
        out.extend_from_slice(b"null");
        return Ok(());
    };
    write_text(out, col, &column_text(table, col, raw)?)
}

/// A text or JSON column's `text` written as JSON (see [`write_text_column`]).
fn write_text(out: &mut Vec<u8>, col: &Column, text: &str) -> Result<(), ConductorError> {
    let written = if !matches!(col.kind, Kind::JsonDict | Kind::JsonList) {
        serde_json::to_writer(&mut *out, text)
    } else if !text.contains('\\') && serde_json::from_str::<&serde_json::value::RawValue>(text).is_ok() {
        out.extend_from_slice(text.as_bytes());
        Ok(())
    } else {
        serde_json::to_writer(&mut *out, &decode_value(col, Value::String(text.to_owned())))
    };
    written.map_err(|e| ConductorError::Database(e.to_string()))
}

/// A column's text: borrowed from the bytes MySQL sent (checked to be UTF-8, as diesel's `String` reading
/// checks them), or read as a `String` on another backend.
fn column_text<'v>(
    table: &Table,
    col: &Column,
    raw: sahara_schema::RawValue<'v>,
) -> Result<std::borrow::Cow<'v, str>, ConductorError> {
    use diesel::deserialize::FromSql;
    match raw {
        sahara_schema::RawValue::Mysql(v) => std::str::from_utf8(v.as_bytes())
            .map(std::borrow::Cow::Borrowed)
            .map_err(|e| unreadable(table, col, Box::new(e))),
        other => <String as FromSql<Text, Backend>>::from_sql(other)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| unreadable(table, col, e)),
    }
}

/// One MySQL column value in Sahara's to_dict form (as [`decode_value`] makes it from the JSON
/// row): booleans, integers, `YYYY-MM-DDTHH:MM:SS` timestamps, JSON columns parsed, text.
fn column_value(
    table: &Table,
    col: &Column,
    raw: <Backend as diesel::backend::Backend>::RawValue<'_>,
) -> Result<Value, ConductorError> {
    use diesel::deserialize::FromSql;
    let unreadable = |e| unreadable(table, col, e);
    Ok(match col.kind {
        Kind::Bool => Value::Bool(<bool as FromSql<Bool, Backend>>::from_sql(raw).map_err(unreadable)?),
        Kind::Int | Kind::SmallInt | Kind::BigInt => {
            Value::from(<i64 as FromSql<BigInt, Backend>>::from_sql(raw).map_err(unreadable)?)
        }
        Kind::Timestamp => Value::String(format_timestamp(
            &<NaiveDateTime as FromSql<Timestamp, Backend>>::from_sql(raw).map_err(unreadable)?,
        )),
        Kind::Text | Kind::Binary => {
            Value::String(<String as FromSql<Text, Backend>>::from_sql(raw).map_err(unreadable)?)
        }
        Kind::JsonDict | Kind::JsonList => decode_value(
            col,
            Value::String(<String as FromSql<Text, Backend>>::from_sql(raw).map_err(unreadable)?),
        ),
    })
}

/// `JSON_OBJECT('col', `alias`.`col`, ...)` over every non-binary column of `table`. The
/// text only depends on the table spec and the alias, so it is built once per pair.
pub fn json_row(table: &Table, alias: &str) -> String {
    built_once(table, alias, "json", || {
        let mut text = String::from("JSON_OBJECT(");
        for (i, c) in table.columns.iter().filter(|c| c.kind != Kind::Binary).enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push('\'');
            text.push_str(c.name);
            text.push_str("', ");
            text.push_str(&ident(alias));
            text.push('.');
            text.push_str(&ident(c.name));
        }
        text.push_str(") AS `row`");
        text
    })
}

/// Decodes one row object into Sahara's to_dict form: booleans as booleans, JSON columns
/// parsed, timestamps as `YYYY-MM-DDTHH:MM:SS`; every non-binary column of `table` in table
/// order (absent ones as null), keys the table does not have ignored, the last of repeated
/// keys kept.
fn decode_row(table: &Table, text: &str) -> Result<Map<String, Value>, ConductorError> {
    let unreadable =
        |e: serde_json::Error| ConductorError::Database(format!("unreadable row from {}: {e}", table.name));
    let mut slots: Vec<Option<Value>> = std::iter::repeat_with(|| None).take(table.columns.len()).collect();
    let mut de = serde_json::Deserializer::from_str(text);
    serde::de::DeserializeSeed::deserialize(
        RowSeed {
            table,
            slots: &mut slots,
        },
        &mut de,
    )
    .map_err(unreadable)?;
    de.end().map_err(unreadable)?;
    let mut out = Map::with_capacity(table.columns.len());
    for (col, slot) in table.columns.iter().zip(slots) {
        if col.kind != Kind::Binary {
            out.insert(col.name.to_string(), decode_value(col, slot.unwrap_or(Value::Null)));
        }
    }
    Ok(out)
}

/// Reads a row object straight into one slot per column of the table, without building a
/// map of the raw row first.
struct RowSeed<'a> {
    table: &'a Table,
    slots: &'a mut [Option<Value>],
}

impl<'de> serde::de::DeserializeSeed<'de> for RowSeed<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for RowSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // The database writes the keys in the order they were asked for (table order).
        let mut expected = 0;
        while let Some(index) = map.next_key_seed(ColumnIndex {
            table: self.table,
            expected,
        })? {
            match index {
                Some(i) => {
                    self.slots[i] = Some(map.next_value()?);
                    expected = i + 1;
                }
                None => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// A row key as the index of the column it names (`None` for a key the table lacks).
struct ColumnIndex<'a> {
    table: &'a Table,
    expected: usize,
}

impl ColumnIndex<'_> {
    fn find(&self, name: &str) -> Option<usize> {
        let cols = self.table.columns;
        if cols.get(self.expected).is_some_and(|c| c.name == name) {
            return Some(self.expected);
        }
        cols.iter().position(|c| c.name == name)
    }
}

impl<'de> serde::de::DeserializeSeed<'de> for ColumnIndex<'_> {
    type Value = Option<usize>;

    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<Option<usize>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ColumnIndex<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a column name")
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Option<usize>, E> {
        Ok(self.find(v))
    }
}

pub(crate) fn decode_value(col: &Column, v: Value) -> Value {
    if v.is_null() {
        return v;
    }
    match col.kind {
        Kind::Bool => match &v {
            Value::Number(n) => Value::Bool(n.as_i64().unwrap_or(0) != 0),
            Value::String(s) => Value::Bool(s == "1" || s.eq_ignore_ascii_case("true")),
            _ => v,
        },
        Kind::JsonDict | Kind::JsonList => match &v {
            Value::String(s) => serde_json::from_str(s).unwrap_or_else(|e| {
                tracing::warn!(column = col.name, error = %e, "a JSON column holds text that is not JSON; returning it as text");
                v.clone()
            }),
            _ => v,
        },
        Kind::Timestamp => match &v {
            Value::String(s) => match reformat_db_timestamp(s) {
                Some(t) => Value::String(t),
                None => match parse_timestamp(s) {
                    Some(t) => Value::String(format_timestamp(&t)),
                    None => v,
                },
            },
            _ => v,
        },
        Kind::Int | Kind::SmallInt | Kind::BigInt => match &v {
            Value::String(s) => s.parse::<i64>().map(Value::from).unwrap_or(v),
            _ => v,
        },
        Kind::Text | Kind::Binary => v,
    }
}

/// The common case of [`parse_timestamp`] then [`format_timestamp`], without chrono's format
/// parsing: `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 fraction digits, as the
/// database writes `DATETIME`s, becomes `YYYY-MM-DDTHH:MM:SS` when it is a valid date and
/// time. Anything else is `None` (and left to the general path).
fn reformat_db_timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| -> Option<u32> {
        b.get(r.clone())?
            .iter()
            .try_fold(0u32, |n, c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    match &b[19..] {
        [] => {}
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) && frac.iter().all(u8::is_ascii_digit) => {}
        _ => return None,
    }
    chrono::NaiveDate::from_ymd_opt(i32::try_from(digits(0..4)?).ok()?, digits(5..7)?, digits(8..10)?)?;
    let (h, m, sec) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    if sec >= 60 {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(h, m, sec)?;
    let mut out = String::with_capacity(19);
    out.push_str(&s[..10]);
    out.push('T');
    out.push_str(&s[11..19]);
    Some(out)
}

/// Sahara's timestamp format in dicts (`datetime_to_str`): ISO with `T`, no fraction.
pub fn format_timestamp(t: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    if !(0..=9999).contains(&t.year()) || t.nanosecond() >= 1_000_000_000 {
        // Out of four digits, or a leap second: chrono's own way.
        return t.format("%Y-%m-%dT%H:%M:%S").to_string();
    }
    // Digit by digit: chrono's formatter parses its pattern on every call, and every row read
    // has two timestamps.
    let mut out = String::with_capacity(19);
    let mut digits = |n: u32, width: u32, sep: Option<char>| {
        for i in (0..width).rev() {
            out.push(char::from(b'0' + ((n / 10u32.pow(i)) % 10) as u8));
        }
        if let Some(c) = sep {
            out.push(c);
        }
    };
    digits(t.year() as u32, 4, Some('-'));
    digits(t.month(), 2, Some('-'));
    digits(t.day(), 2, Some('T'));
    digits(t.hour(), 2, Some(':'));
    digits(t.minute(), 2, Some(':'));
    digits(t.second(), 2, None);
    out
}

/// Reads `YYYY-MM-DD HH:MM:SS[.ffffff]`, with `T` or a space, optionally ending in `Z`.
pub fn parse_timestamp(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim().trim_end_matches('Z').trim_end_matches("+00:00");
    [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// Converts a JSON value into the parameter for `col`, as SQLAlchemy would store it.
pub fn to_param(col: &Column, v: &Value) -> Result<Param, ConductorError> {
    // The message names the type, never the value: a misplaced value may be a secret
    // (a trust id, a key) and the message reaches the logs.
    let bad = |what: &str| ConductorError::InvalidArguments(format!("{} must be {what}, not {}", col.name, py_type(v)));
    Ok(match col.kind {
        Kind::Text => Param::Text(match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
            _ => return Err(bad("a string")),
        }),
        Kind::JsonDict | Kind::JsonList => Param::Text(match v {
            Value::Null => None,
            other => Some(sahara_rpc::json::to_python_json_string(other)),
        }),
        Kind::Bool => Param::Bool(match v {
            Value::Null => None,
            Value::Bool(b) => Some(*b),
            Value::Number(n) => Some(n.as_f64().unwrap_or(0.0) != 0.0),
            Value::String(s) if s.eq_ignore_ascii_case("true") || s == "1" => Some(true),
            Value::String(s) if s.eq_ignore_ascii_case("false") || s == "0" => Some(false),
            _ => return Err(bad("a boolean")),
        }),
        Kind::Int => Param::Int(
            int_value(v)
                .map(|i| i.and_then(|i| i32::try_from(i).ok()))
                .ok_or_else(|| bad("an integer"))?,
        ),
        Kind::SmallInt => Param::SmallInt(
            int_value(v)
                .map(|i| i.and_then(|i| i16::try_from(i).ok()))
                .ok_or_else(|| bad("an integer"))?,
        ),
        Kind::BigInt => Param::BigInt(int_value(v).ok_or_else(|| bad("an integer"))?),
        Kind::Timestamp => Param::Timestamp(match v {
            Value::Null => None,
            Value::String(s) => Some(parse_timestamp(s).ok_or_else(|| bad("a timestamp"))?),
            _ => return Err(bad("a timestamp")),
        }),
        Kind::Binary => Param::Binary(match v {
            Value::Null => None,
            Value::String(s) => Some(decode_base64(s).ok_or_else(|| bad("base64 data"))?),
            _ => return Err(bad("base64 data")),
        }),
    })
}

/// Python's name of the type of a JSON value, as a `TypeError` names it.
pub(crate) fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `Some(None)` for null, `Some(Some(n))` for an integer (also given as a string or an
/// integral float), `None` when the value is not an integer.
fn int_value(v: &Value) -> Option<Option<i64>> {
    match v {
        Value::Null => Some(None),
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .map(Some),
        Value::String(s) => s.trim().parse::<i64>().ok().map(Some),
        Value::Bool(b) => Some(Some(i64::from(*b))),
        _ => None,
    }
}

/// Standard base64 (how binary data travels in JSON over our RPC).
pub fn encode_base64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// The inverse of [`encode_base64`].
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s.trim()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tables::{CLUSTERS, JOB_BINARY_INTERNAL};
    use serde_json::json;

    #[test]
    fn values_bind_as_sqlalchemy_stores_them() {
        let c = |n| CLUSTERS.column(n).unwrap();
        assert_eq!(to_param(c("name"), &json!("x")).unwrap(), Param::Text(Some("x".into())));
        assert_eq!(to_param(c("name"), &json!(42)).unwrap(), Param::Text(Some("42".into())));
        assert_eq!(
            to_param(c("cluster_configs"), &json!({"k": "h\u{e9}"})).unwrap(),
            Param::Text(Some(r#"{"k": "h\u00e9"}"#.into()))
        );
        assert_eq!(to_param(c("cluster_configs"), &Value::Null).unwrap(), Param::Text(None));
        assert_eq!(to_param(c("is_public"), &json!(true)).unwrap(), Param::Bool(Some(true)));
        assert_eq!(
            to_param(c("is_public"), &json!("False")).unwrap(),
            Param::Bool(Some(false))
        );
        assert!(to_param(c("is_public"), &json!([1])).is_err());
        assert_eq!(
            to_param(c("anti_affinity_ratio"), &json!("3")).unwrap(),
            Param::Int(Some(3))
        );
        assert!(to_param(c("anti_affinity_ratio"), &json!("x")).is_err());
        let e = to_param(c("trust_id"), &json!({"id": "secret-trust"})).unwrap_err();
        assert_eq!(e.to_string(), "invalid arguments: trust_id must be a string, not dict");
        let data = JOB_BINARY_INTERNAL.column("data").unwrap();
        assert_eq!(
            to_param(data, &json!(encode_base64(&[0, 255, 7]))).unwrap(),
            Param::Binary(Some(vec![0, 255, 7]))
        );
    }

    #[test]
    fn rows_decode_to_saharas_dict_form() {
        let row = r#"{"created_at": "2026-11-25 10:11:12.123456", "id": "i", "is_public": 1, "cluster_configs": "{\"a\": 1}",
                     "anti_affinity_ratio": "2", "anti_affinity": null, "name": "n"}"#;
        let m = decode_row(&CLUSTERS, row).unwrap();
        assert_eq!(m["created_at"], json!("2026-11-25T10:11:12"));
        assert_eq!(m["is_public"], json!(true));
        assert_eq!(m["cluster_configs"], json!({"a": 1}));
        assert_eq!(m["anti_affinity_ratio"], json!(2));
        assert_eq!(m["anti_affinity"], Value::Null);
        assert_eq!(m["updated_at"], Value::Null, "absent columns are null");
        assert_eq!(m.len(), CLUSTERS.columns.len());
    }

    #[test]
    fn timestamps_are_formatted_as_chrono_formats_them() {
        for text in [
            "2026-11-26 12:43:21.123456",
            "0001-01-01 00:00:00",
            "1999-12-31 23:59:59.999999",
            "2024-02-29 07:08:09",
        ] {
            let t = parse_timestamp(text).unwrap();
            assert_eq!(
                format_timestamp(&t),
                t.format("%Y-%m-%dT%H:%M:%S").to_string(),
                "{text}"
            );
        }
        assert_eq!(
            format_timestamp(&parse_timestamp("2026-11-26 12:43:21.5").unwrap()),
            "2026-11-26T12:43:21"
        );
    }

    #[test]
    fn json_row_skips_binary_and_quotes_names() {
        let s = json_row(&JOB_BINARY_INTERNAL, "t");
        assert!(s.starts_with("JSON_OBJECT('created_at', `t`.`created_at`"));
        assert!(!s.contains("`data`"));
    }
}
