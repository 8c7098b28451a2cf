//! Cluster templates: `/cluster-templates` of sahara/api/v10.py and sahara/api/v2/cluster_templates.py.

use super::{Call, Obj, Reply, checks};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, Routes, listing};
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use sahara_model::{ApiVersion, ClusterTemplate, ResourceKind};
use sahara_validation::{SchemaId, validate};
use serde_json::Value;

const KIND: ResourceKind = ResourceKind::ClusterTemplate;

/// The cluster template routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v10()
            .get(
                "/cluster-templates",
                "data-processing:cluster-templates:get_all",
                list_v1,
            )
            .post(
                "/cluster-templates",
                "data-processing:cluster-templates:create",
                create_v1,
            )
            .get(
                "/cluster-templates/{id}",
                "data-processing:cluster-templates:get",
                get_v1,
            )
            .put(
                "/cluster-templates/{id}",
                "data-processing:cluster-templates:modify",
                update_v1,
            )
            .delete(
                "/cluster-templates/{id}",
                "data-processing:cluster-templates:delete",
                delete_v1,
            )
            .get(
                "/cluster-templates/{id}/export",
                "data-processing:cluster-templates:get",
                export_v1,
            ),
        Routes::v2()
            .get("/cluster-templates", "data-processing:cluster-template:list", list_v2)
            .post(
                "/cluster-templates",
                "data-processing:cluster-template:create",
                create_v2,
            )
            .get(
                "/cluster-templates/{id}",
                "data-processing:cluster-template:get",
                get_v2,
            )
            .patch(
                "/cluster-templates/{id}",
                "data-processing:cluster-template:update",
                update_v2,
            )
            .delete(
                "/cluster-templates/{id}",
                "data-processing:cluster-template:delete",
                delete_v2,
            )
            .get(
                "/cluster-templates/{id}/export",
                "data-processing:cluster-template:get",
                export_v2,
            ),
    ]
}

/// `check_exists(api.get_cluster_template, id)`: the template, or 404.
async fn existing(call: &Call<'_>, id: &str) -> Result<ClusterTemplate, ApiError> {
    call.state
        .conductor
        .cluster_template_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

async fn list(call: &Call<'_>, args: &Args, version: ApiVersion) -> crate::templates::Listing {
    if let Some(marker) = listing::marker(args) {
        existing(call, marker).await?;
    }
    let filters = super::list_filters(args, version, "cluster_templates_list")?;
    let page = call
        .state
        .conductor
        .cluster_template_get_all(call.ctx, true, filters)
        .await?;
    super::render_page(KIND, page, version, args)
}

async fn create(call: &Call<'_>, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let schema = match version {
        ApiVersion::V1 => SchemaId::ClusterTemplate,
        ApiVersion::V2 => SchemaId::ClusterTemplateV2,
    };
    validate(schema, &data)?;
    let data = super::body_obj(&data);
    checks::cluster_template_create(call, &data).await?;
    if version == ApiVersion::V2 {
        args.only("cluster_templates_create", &[])?;
    }
    let values = super::v2_to_conductor(data);
    let created = call.state.conductor.cluster_template_create(call.ctx, values).await?;
    // Sahara's database layer reads the new template back: every column is answered.
    Ok(super::wrapped(KIND, super::view(KIND, &created, version)?, version))
}

async fn get(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Reply {
    let ngt = existing(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("cluster_templates_get", &[])?;
    }
    Ok(super::wrapped(KIND, super::view(KIND, &ngt, version)?, version))
}

async fn update(call: &Call<'_>, id: &str, data: Value, args: &Args, version: ApiVersion) -> Reply {
    let stored = existing(call, id).await?;
    let schema = match version {
        ApiVersion::V1 => SchemaId::ClusterTemplateUpdate,
        ApiVersion::V2 => SchemaId::ClusterTemplateUpdateV2,
    };
    validate(schema, &data)?;
    let data: Obj = super::body_obj(&data);
    checks::cluster_template_update(call, &stored, &data).await?;
    if version == ApiVersion::V2 {
        args.only("cluster_templates_update", &[])?;
    }
    let values = super::v2_to_conductor(data);
    let updated = call
        .state
        .conductor
        .cluster_template_update(call.ctx, id, values, false)
        .await?;
    Ok(super::wrapped(KIND, super::view(KIND, &updated, version)?, version))
}

async fn delete(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Reply {
    existing(call, id).await?;
    checks::cluster_template_usage(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("cluster_templates_delete", &[])?;
    }
    call.state
        .conductor
        .cluster_template_destroy(call.ctx, id, false)
        .await?;
    Ok(crate::rest::Render(Value::Object(Obj::new())))
}

async fn export(call: &Call<'_>, id: &str, args: &Args, version: ApiVersion) -> Result<Response, ApiError> {
    let ngt = existing(call, id).await?;
    if version == ApiVersion::V2 {
        args.only("cluster_template_export", &[])?;
    }
    let mut body = super::view(KIND, &ngt, version)?;
    super::strip_for_export(&mut body, version);
    for key in ["default_image_id", "node_groups"] {
        body.insert(key.to_string(), Value::String(format!("{{{key}}}")));
    }
    Ok(super::export_response(KIND, body, version, "cluster_template.json"))
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
