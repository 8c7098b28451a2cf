//! Node group templates: `/node-group-templates` of sahara/api/v10.py and sahara/api/v2/node_group_templates.py.

use super::{Call, Obj, Reply, checks};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Routes, listing};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use sahara_model::{ApiVersion, NodeGroupTemplate, ResourceKind};
use sahara_validation::{SchemaId, validate};
use serde_json::Value;

const KIND: ResourceKind = ResourceKind::NodeGroupTemplate;

/// The node group template routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v10()
            .get(
                "/node-group-templates",
                "data-processing:node-group-templates:get_all",
                list_v1,
            )
            .post(
                "/node-group-templates",
                "data-processing:node-group-templates:create",
                create_v1,
            )
            .get(
                "/node-group-templates/{id}",
                "data-processing:node-group-templates:get",
                get_v1,
            )
            .put(
                "/node-group-templates/{id}",
                "data-processing:node-group-templates:modify",
                update_v1,
            )
            .delete(
                "/node-group-templates/{id}",
                "data-processing:node-group-templates:delete",
                delete_v1,
            )
            .get(
                "/node-group-templates/{id}/export",
                "data-processing:node-group-templates:get",
                export_v1,
            ),
        Routes::v2()
            .get(
                "/node-group-templates",
                "data-processing:node-group-template:list",
                list_v2,
            )
            .post(
                "/node-group-templates",
                "data-processing:node-group-template:create",
                create_v2,
            )
            .get(
                "/node-group-templates/{id}",
                "data-processing:node-group-template:get",
                get_v2,
            )
            .patch(
                "/node-group-templates/{id}",
                "data-processing:node-group-template:update",
                update_v2,
            )
            .delete(
                "/node-group-templates/{id}",
                "data-processing:node-group-template:delete",
                delete_v2,
            )
            .get(
                "/node-group-templates/{id}/export",
                "data-processing:node-group-template:get",
                export_v2,
            ),
    ]
}

/// The columns a freshly created node group template leaves unloaded unless the request set them: Sahara answers
/// a create with the ORM object it inserted, whose `to_dict` skips unloaded columns (`updated_at` always).
const UNLOADED_ON_CREATE: &[&str] = &["description", "image_id", "shares"];

/// `check_exists(api.get_node_group_template, id)`: the template, or 404.
async fn existing(call: &Call<'_>, id: &str) -> Result<NodeGroupTemplate, ApiError> {
    call.state
        .conductor
        .node_group_template_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

async fn list(call: &Call<'_>, args: &Args, version: ApiVersion) -> crate::templates::Listing {
    if let Some(marker) = listing::marker(args) {
        existing(call, marker).await?;
    }
    let filters = super::list_filters(args, version, "node_group_templates_list")?;
    if let Some(listing) = super::viewed_list(call, KIND, "node_group_template_get_all", &filters, version, args).await
    {
        return listing;
    }
    let page = call
        .state
        .conductor
        .node_group_template_get_all(call.ctx, true, filters)
        .await?;
    super::render_page(KIND, page, version, args)
}

async fn create(call: &Call<'_>, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let schema = match version {
        ApiVersion::V1 => SchemaId::NodeGroupTemplate,
        ApiVersion::V2 => SchemaId::NodeGroupTemplateV2,
    };
    validate(schema, &data)?;
    let data = super::body_obj(&data);
    checks::node_group_template_create(call, &data).await?;
    if version == ApiVersion::V2 {
        args.only("node_group_templates_create", &[])?;
    }
    let values = super::v2_to_conductor(data);
    let created = call
        .state
        .conductor
        .node_group_template_create(call.ctx, values.clone())
        .await?;
    let mut body = super::view(KIND, &created, version)?;
    body.remove("updated_at");
    for key in UNLOADED_ON_CREATE {
        if !values.contains_key(*key) {
            body.remove(*key);
        }
    }
    Ok(super::wrapped(KIND, body, version))
}

async fn get(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Reply {
    let ngt = existing(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("node_group_templates_get", &[])?;
    }
    Ok(super::wrapped(KIND, super::view(KIND, &ngt, version)?, version))
}

async fn update(call: &Call<'_>, id: &str, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let stored = existing(call, id).await?;
    let schema = match version {
        ApiVersion::V1 => SchemaId::NodeGroupTemplateUpdate,
        ApiVersion::V2 => SchemaId::NodeGroupTemplateUpdateV2,
    };
    validate(schema, &data)?;
    let data: Obj = super::body_obj(&data);
    checks::node_group_template_update(call, &stored, &data).await?;
    if version == ApiVersion::V2 {
        args.only("node_group_templates_update", &[])?;
    }
    let values = super::v2_to_conductor(data);
    let updated = call
        .state
        .conductor
        .node_group_template_update(call.ctx, id, values, false)
        .await?;
    Ok(super::wrapped(KIND, super::view(KIND, &updated, version)?, version))
}

async fn delete(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Reply {
    existing(call, id).await?;
    checks::node_group_template_usage(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("node_group_templates_delete", &[])?;
    }
    call.state
        .conductor
        .node_group_template_destroy(call.ctx, id, false)
        .await?;
    Ok(crate::rest::Render(Value::Object(Obj::new())))
}

async fn export(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Result<Response, ApiError> {
    let ngt = existing(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("node_group_template_export", &[])?;
    }
    let mut body = super::view(KIND, &ngt, version)?;
    super::strip_for_export(&mut body, version);
    for key in ["flavor_id", "security_groups", "image_id", "floating_ip_pool"] {
        body.insert(key.to_string(), Value::String(format!("{{{key}}}")));
    }
    Ok(super::export_response(KIND, body, version, "node_group_template.json"))
}

handlers!(
    ApiVersion::V1,
    list_v1,
    create_v1,
    get_v1,
    update_v1,
    delete_v1,
    export_v1
);
handlers!(
    ApiVersion::V2,
    list_v2,
    create_v2,
    get_v2,
    update_v2,
    delete_v2,
    export_v2
);
