//! Data sources: `/data-sources` of sahara/api/v11.py and sahara/api/v2/data_sources.py. `credentials` are stored
//! as given (Sahara's default key manager keeps secrets inline) and never answered.

use super::{checks, version};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Render, Routes, listing};
use crate::templates::{self, Call, Obj, Reply};
use axum::extract::{Path, State};
use sahara_model::{DataSource, ResourceKind};
use sahara_validation::{SchemaId, validate};
use serde_json::Value;

const KIND: ResourceKind = ResourceKind::DataSource;

/// `validate_sorting_data_sources`.
pub const SORT_FIELDS: &[&str] = &["id", "name", "type", "created_at", "updated_at"];

/// The data source routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v11()
            .get("/data-sources", "data-processing:data-sources:get_all", list::<false>)
            .post(
                "/data-sources",
                "data-processing:data-sources:register",
                create::<false>,
            )
            .get("/data-sources/{id}", "data-processing:data-sources:get", get::<false>)
            .delete(
                "/data-sources/{id}",
                "data-processing:data-sources:delete",
                delete::<false>,
            )
            .put(
                "/data-sources/{id}",
                "data-processing:data-sources:modify",
                update::<false>,
            ),
        Routes::v2()
            .get("/data-sources", "data-processing:data-source:list", list::<true>)
            .post("/data-sources", "data-processing:data-source:register", create::<true>)
            .get("/data-sources/{id}", "data-processing:data-source:get", get::<true>)
            .delete(
                "/data-sources/{id}",
                "data-processing:data-source:delete",
                delete::<true>,
            )
            .patch(
                "/data-sources/{id}",
                "data-processing:data-source:update",
                update::<true>,
            ),
    ]
}

/// `check_exists(api.get_data_source, id)`: the data source, or 404.
pub async fn existing(call: &Call<'_>, id: &str) -> Result<DataSource, ApiError> {
    call.state
        .conductor
        .data_source_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

async fn list<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    args: Args,
) -> crate::templates::Listing {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    if let Some(marker) = listing::marker(&args) {
        existing(&call, marker).await?;
    }
    let filters = super::list_filters(&args, V2, SORT_FIELDS, &["type"], "data_sources_list")?;
    let page = state.conductor.data_source_get_all(&ctx, true, filters).await?;
    templates::render_page(KIND, page, version(V2), &args)
}

async fn create<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    args: Args,
    Data(data): Data,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    validate(SchemaId::DataSource, &data)?;
    let values = templates::body_obj(&data);
    checks::data_source_create(&call, &values).await?;
    if V2 {
        args.only("data_source_register", &[])?;
    }
    let created = state.conductor.data_source_create(&ctx, values.clone()).await?;
    let mut body = templates::view(KIND, &created, version(V2))?;
    created_view(&mut body, &values, &["description"]);
    Ok(templates::wrapped(KIND, body, version(V2)))
}

/// Sahara answers a create with the ORM object it inserted, whose `to_dict` skips the columns it did not load:
/// `updated_at`, and each of `unloaded` the request did not set.
pub fn created_view(body: &mut Obj, values: &Obj, unloaded: &[&str]) {
    body.remove("updated_at");
    for key in unloaded {
        if !values.contains_key(*key) {
            body.remove(*key);
        }
    }
}

async fn get<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let ds = existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        args.only("data_source_get", &[])?;
    }
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, &ds, version(V2))?,
        version(V2),
    ))
}

async fn delete<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        args.only("data_source_delete", &[])?;
    }
    state.conductor.data_source_destroy(&ctx, &id).await?;
    Ok(Render(Value::Object(Obj::new())))
}

async fn update<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let stored = existing(&call, &id).await?;
    validate(SchemaId::DataSourceUpdate, &data)?;
    let values = templates::body_obj(&data);
    if V2 {
        args.only("data_source_update", &[])?;
    } else {
        checks::data_source_update(&call, &id, &stored, &values).await?;
    }
    let updated = state.conductor.data_source_update(&ctx, &id, values).await?;
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, &updated, version(V2))?,
        version(V2),
    ))
}
