//! Sahara's image registry: `/images` of sahara/api/v10.py (tag/untag) and sahara/api/v2/images.py (`/tags`),
//! over Glance with the caller's token (sahara/utils/openstack/images.py; `sahara-openstack`'s registry helpers).
//! An image is shown as `ImageResource.to_dict` does (§6 of the reference): the compatibility fields of Nova's old
//! image API, the Sahara properties and the tags.

use crate::ApiState;
use crate::cloud::cloud_error;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Render, Routes};
use axum::extract::{Path, State};
use sahara_model::SaharaError;
use sahara_openstack::Session;
use sahara_openstack::glance::{Image, PROP_DESCRIPTION, PROP_USERNAME};
use sahara_validation::{SchemaId, validate};
use serde_json::{Map, Value, json};

/// The image routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v10()
            .get("/images", "data-processing:images:get_all", list_v1)
            .get("/images/{id}", "data-processing:images:get", get_v1)
            .post("/images/{id}", "data-processing:images:register", register_v1)
            .delete("/images/{id}", "data-processing:images:unregister", unregister_v1)
            .post("/images/{id}/tag", "data-processing:images:add_tags", tag_v1)
            .post("/images/{id}/untag", "data-processing:images:remove_tags", untag_v1),
        Routes::v2()
            .get("/images", "data-processing:image:list", list_v2)
            .get("/images/{id}", "data-processing:image:get", get_v2)
            .post("/images/{id}", "data-processing:image:register", register_v2)
            .delete("/images/{id}", "data-processing:image:unregister", unregister_v2)
            .get("/images/{id}/tags", "data-processing:image:get-tags", get_tags_v2)
            .put("/images/{id}/tags", "data-processing:image:set-tags", set_tags_v2)
            .status(axum::http::StatusCode::OK)
            .delete("/images/{id}/tags", "data-processing:image:remove-tags", remove_tags_v2),
    ]
}

type Reply = Result<Render, ApiError>;

/// `ImageResource.dict`: Nova's old compatibility fields, the `_sahara*` metadata, username, description, tags.
pub fn image_dict(image: &Image) -> Value {
    let mut metadata = Map::new();
    for (k, v) in &image.properties {
        if k.starts_with("_sahara") && crate::templates::checks::truthy(Some(v)) {
            metadata.insert(k.clone(), v.clone());
        }
    }
    let prop = |key: &str| image.properties.get(key).cloned().unwrap_or_else(|| json!(""));
    json!({
        "OS-EXT-IMG-SIZE:size": image.size,
        "metadata": metadata,
        "minDisk": image.min_disk,
        "minRam": image.min_ram,
        "progress": image.properties.get("progress").cloned().unwrap_or(json!(100)),
        "status": image.status.to_uppercase(),
        "created": image.created_at,
        "updated": image.updated_at,
        "username": prop(PROP_USERNAME),
        "description": prop(PROP_DESCRIPTION),
        "tags": image.sahara_tags(),
        "id": image.id,
        "name": image.name,
    })
}

fn wrapped(image: &Image) -> Reply {
    Ok(Render(json!({"image": image_dict(image)})))
}

/// `check_exists(api.get_image, id='image_id')`: the Glance image, or 404 when Glance does not know it.
async fn existing(session: &Session, id: &str) -> Result<Image, ApiError> {
    match session.glance().get_image(id).await {
        Ok(i) => Ok(i),
        Err(e) if e.is_not_found() => Err(ApiError::check_exists(&[("id", id)])),
        Err(e) => Err(cloud_error(e)),
    }
}

/// The request's tags (`{"tags": [...]}`, already validated).
fn tags_of(data: &Value) -> Vec<String> {
    data.get("tags")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

async fn list(state: &ApiState, ctx: &sahara_rpc::RequestContext, args: &Args) -> Reply {
    let session = state.cloud.require_session(ctx)?;
    let tags: Vec<String> = args.get_all("tags").into_iter().map(str::to_string).collect();
    let name = args.get("name").filter(|n| !n.is_empty());
    let images = session
        .glance()
        .list_registered(name, &tags)
        .await
        .map_err(cloud_error)?;
    Ok(Render(
        json!({"images": images.iter().map(image_dict).collect::<Vec<_>>()}),
    ))
}

async fn get(state: &ApiState, ctx: &sahara_rpc::RequestContext, id: &str) -> Reply {
    let session = state.cloud.require_session(ctx)?;
    let image = existing(&session, id).await?;
    if !image.is_registered() {
        return Err(SaharaError::ImageNotRegistered(format!("Image {id} is not registered in Sahara")).into());
    }
    wrapped(&image)
}

async fn register(
    state: &ApiState,
    ctx: &sahara_rpc::RequestContext,
    id: &str,
    data: &Value,
) -> Result<Session, ApiError> {
    let session = state.cloud.require_session(ctx)?;
    existing(&session, id).await?;
    validate(SchemaId::ImageRegister, data)?;
    Ok(session)
}

async fn do_register(session: &Session, id: &str, data: &Value) -> Reply {
    let username = data.get("username").and_then(Value::as_str).unwrap_or_default();
    let description = data.get("description").and_then(Value::as_str);
    let glance = session.glance();
    glance
        .set_image_info(id, username, description)
        .await
        .map_err(cloud_error)?;
    wrapped(&glance.get_image(id).await.map_err(cloud_error)?)
}

async fn unregister(state: &ApiState, ctx: &sahara_rpc::RequestContext, id: &str) -> Result<Session, ApiError> {
    let session = state.cloud.require_session(ctx)?;
    existing(&session, id).await?;
    Ok(session)
}

async fn list_v1(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> Reply {
    list(&state, &ctx, &args).await
}

async fn get_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    get(&state, &ctx, &id).await
}

async fn register_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Data(data): Data,
) -> Reply {
    let session = register(&state, &ctx, &id, &data).await?;
    do_register(&session, &id, &data).await
}

async fn unregister_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    let session = unregister(&state, &ctx, &id).await?;
    session.glance().unset_image_info(&id).await.map_err(cloud_error)?;
    Ok(Render(json!({})))
}

async fn tag_v1(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, Data(data): Data) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    existing(&session, &id).await?;
    validate(SchemaId::ImageTags, &data)?;
    let glance = session.glance();
    glance.tag(&id, &tags_of(&data)).await.map_err(cloud_error)?;
    wrapped(&glance.get_image(&id).await.map_err(cloud_error)?)
}

async fn untag_v1(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Data(data): Data,
) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    existing(&session, &id).await?;
    validate(SchemaId::ImageTags, &data)?;
    let glance = session.glance();
    glance.untag(&id, &tags_of(&data)).await.map_err(cloud_error)?;
    wrapped(&glance.get_image(&id).await.map_err(cloud_error)?)
}

async fn list_v2(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> Reply {
    args.only("images_list", &["name", "tags", "username"])?;
    list(&state, &ctx, &args).await
}

async fn get_v2(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    existing(&session, &id).await?;
    args.only("images_get", &[])?;
    get(&state, &ctx, &id).await
}

async fn register_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    let session = register(&state, &ctx, &id, &data).await?;
    args.only("images_set", &[])?;
    do_register(&session, &id, &data).await
}

async fn unregister_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let session = unregister(&state, &ctx, &id).await?;
    args.only("images_unset", &[])?;
    session.glance().unset_image_info(&id).await.map_err(cloud_error)?;
    Ok(Render(json!({})))
}

async fn get_tags_v2(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>, args: Args) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    existing(&session, &id).await?;
    args.only("image_tags_get", &[])?;
    let image = session.glance().get_image(&id).await.map_err(cloud_error)?;
    let tags = image.sahara_tags();
    // `render` of an empty list renders `{}`.
    Ok(Render(if tags.is_empty() { json!({}) } else { json!(tags) }))
}

async fn set_tags_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    let image = existing(&session, &id).await?;
    validate(SchemaId::ImageTags, &data)?;
    args.only("image_tags_update", &[])?;
    let have = image.sahara_tags();
    let want = tags_of(&data);
    let to_add: Vec<String> = want.iter().filter(|t| !have.contains(t)).cloned().collect();
    let to_remove: Vec<String> = have.iter().filter(|t| !want.contains(t)).cloned().collect();
    let glance = session.glance();
    if !to_add.is_empty() {
        glance.tag(&id, &to_add).await.map_err(cloud_error)?;
    }
    if !to_remove.is_empty() {
        glance.untag(&id, &to_remove).await.map_err(cloud_error)?;
    }
    wrapped(&glance.get_image(&id).await.map_err(cloud_error)?)
}

async fn remove_tags_v2(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let session = state.cloud.require_session(&ctx)?;
    let image = existing(&session, &id).await?;
    args.only("image_tags_delete", &[])?;
    session
        .glance()
        .untag(&id, &image.sahara_tags())
        .await
        .map_err(cloud_error)?;
    Ok(Render(json!({})))
}
