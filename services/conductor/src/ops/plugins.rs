//! Plugin labels (`plugin_data`): per-project overrides of plugin and version labels.

use super::{Conductor, Obj, by, scope, tenant};
use crate::error::Result;
use crate::store::query::{self, Scope};
use crate::store::tables::PLUGIN_DATA;
use sahara_model::SaharaError;
use sahara_rpc::RequestContext;
use serde_json::Value;

fn plugin_missing(name: &str) -> SaharaError {
    SaharaError::NotFound(format!("Plugin name '{name}' not found!"))
}

impl Conductor {
    /// `plugin_create(values)`.
    pub async fn plugin_create(&self, ctx: &RequestContext, values: Obj) -> Result<Obj> {
        let tenant = tenant(ctx);
        self.store
            .run("plugin_create", move |c, _, _| {
                let mut v = values.clone();
                v.insert(
                    "tenant_id".into(),
                    tenant.clone().map(Value::String).unwrap_or(Value::Null),
                );
                let id = query::insert(c, &PLUGIN_DATA, &v)?;
                Ok(query::get(c, &PLUGIN_DATA, &Scope::unrestricted(), &id)?.unwrap_or_default())
            })
            .await
    }

    /// `plugin_get(name)`.
    pub async fn plugin_get(&self, ctx: &RequestContext, name: &str) -> Result<Option<Obj>> {
        let sql = query::select_statement(
            &PLUGIN_DATA,
            &scope(ctx),
            &by("name", name),
            Some("t.`id`"),
            self.store.backend(),
        )?;
        Ok(self
            .store
            .load_rows("plugin_get", &PLUGIN_DATA, sql)
            .await?
            .into_iter()
            .next())
    }

    /// `plugin_get_all()`.
    pub async fn plugin_get_all(&self, ctx: &RequestContext) -> Result<Vec<Obj>> {
        let sql = query::select_statement(&PLUGIN_DATA, &scope(ctx), &[], Some("t.`id`"), self.store.backend())?;
        self.store.load_rows("plugin_get_all", &PLUGIN_DATA, sql).await
    }

    /// `plugin_update(name, values)`.
    pub async fn plugin_update(&self, ctx: &RequestContext, name: &str, values: Obj) -> Result<Obj> {
        let (scope, name) = (scope(ctx), name.to_string());
        self.store
            .run("plugin_update", move |c, _, _| {
                let row = query::select(c, &PLUGIN_DATA, &scope, &by("name", &name), Some("t.`id`"))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| plugin_missing(&name))?;
                let id = row.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                query::update(c, &PLUGIN_DATA, &id, &values)?;
                Ok(query::get(c, &PLUGIN_DATA, &Scope::unrestricted(), &id)?.unwrap_or_default())
            })
            .await
    }

    /// `plugin_remove(name)`.
    pub async fn plugin_remove(&self, ctx: &RequestContext, name: &str) -> Result<()> {
        let (scope, name) = (scope(ctx), name.to_string());
        self.store
            .run("plugin_remove", move |c, _, _| {
                let row = query::select(c, &PLUGIN_DATA, &scope, &by("name", &name), Some("t.`id`"))?
                    .into_iter()
                    .next()
                    .ok_or_else(|| plugin_missing(&name))?;
                let id = row.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
                query::delete_where(c, &PLUGIN_DATA, &by("id", &id))?;
                Ok(())
            })
            .await
    }
}
