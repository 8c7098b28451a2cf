//! Job binaries (`/job-binaries` of sahara/api/v11.py and sahara/api/v2/job_binaries.py) and the v1.1 internal job
//! binaries stored in the database (`/job-binary-internals`). `extra` (credentials) is stored as given (Sahara's
//! default key manager keeps secrets inline) and never answered.

use super::data_source::created_view;
use super::{checks, version};
use crate::ApiState;
use crate::error::ApiError;
use crate::rest::{Args, Caller, Data, FileData, Render, Routes, listing};
use crate::templates::{self, Call, Obj, Reply};
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use sahara_model::{JobBinary, JobBinaryInternal, ResourceKind, SaharaError};
use sahara_openstack::Secret;
use sahara_openstack::s3::{S3Client, S3Credentials};
use sahara_validation::{SchemaId, validate};
use serde_json::{Value, json};

const KIND: ResourceKind = ResourceKind::JobBinary;
const INTERNAL: ResourceKind = ResourceKind::JobBinaryInternal;

/// `validate_sorting_job_binaries` / `validate_sorting_job_binary_internals`.
pub const SORT_FIELDS: &[&str] = &["id", "name", "created_at", "updated_at"];

/// The job binary and internal job binary routes of every blueprint.
pub fn routes() -> Vec<Routes> {
    vec![
        Routes::v11()
            .post("/job-binaries", "data-processing:job-binaries:create", create::<false>)
            .get("/job-binaries", "data-processing:job-binaries:get_all", list::<false>)
            .get("/job-binaries/{id}", "data-processing:job-binaries:get", get::<false>)
            .delete(
                "/job-binaries/{id}",
                "data-processing:job-binaries:delete",
                delete::<false>,
            )
            .get(
                "/job-binaries/{id}/data",
                "data-processing:job-binaries:get_data",
                data::<false>,
            )
            .put(
                "/job-binaries/{id}",
                "data-processing:job-binaries:modify",
                update::<false>,
            )
            .put_file(
                "/job-binary-internals/{id}",
                "data-processing:job-binary-internals:create",
                internal_create,
            )
            .get(
                "/job-binary-internals",
                "data-processing:job-binary-internals:get_all",
                internal_list,
            )
            .get(
                "/job-binary-internals/{id}",
                "data-processing:job-binary-internals:get",
                internal_get,
            )
            .delete(
                "/job-binary-internals/{id}",
                "data-processing:job-binary-internals:delete",
                internal_delete,
            )
            .get(
                "/job-binary-internals/{id}/data",
                "data-processing:job-binary-internals:get_data",
                internal_data,
            )
            // Sahara checks the job binaries' rule here (sic).
            .patch(
                "/job-binary-internals/{id}",
                "data-processing:job-binaries:modify",
                internal_update,
            ),
        Routes::v2()
            .post("/job-binaries", "data-processing:job-binary:create", create::<true>)
            .get("/job-binaries", "data-processing:job-binary:list", list::<true>)
            .get("/job-binaries/{id}", "data-processing:job-binary:get", get::<true>)
            .delete(
                "/job-binaries/{id}",
                "data-processing:job-binary:delete",
                delete::<true>,
            )
            .get(
                "/job-binaries/{id}/data",
                "data-processing:job-binary:get-data",
                data::<true>,
            )
            .patch(
                "/job-binaries/{id}",
                "data-processing:job-binary:update",
                update::<true>,
            ),
    ]
}

/// `check_exists(api.get_job_binary, id)`: the job binary, or 404.
pub async fn existing(call: &Call<'_>, id: &str) -> Result<JobBinary, ApiError> {
    call.state
        .conductor
        .job_binary_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
}

async fn existing_internal(call: &Call<'_>, id: &str) -> Result<JobBinaryInternal, ApiError> {
    call.state
        .conductor
        .job_binary_internal_get(call.ctx, id)
        .await?
        .ok_or_else(|| ApiError::check_exists(&[("id", id)]))
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
    validate(SchemaId::JobBinary, &data)?;
    let values = templates::body_obj(&data);
    checks::job_binary(&call, &values, false).await?;
    if V2 {
        args.only("job_binary_create", &[])?;
    }
    let created = state.conductor.job_binary_create(&ctx, values.clone()).await?;
    let mut body = templates::view(KIND, &created, version(V2))?;
    created_view(&mut body, &values, &["description"]);
    Ok(templates::wrapped(KIND, body, version(V2)))
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
    // v1.1 checks the marker with `get_job_binaries(id=marker)`, a list, never `None`: no 404 there.
    if V2 && let Some(marker) = listing::marker(&args) {
        existing(&call, marker).await?;
    }
    let filters = super::list_filters(&args, V2, SORT_FIELDS, &["name"], "job_binary_list")?;
    let page = state.conductor.job_binary_get_all(&ctx, true, filters).await?;
    templates::render_page(KIND, page, version(V2), &args)
}

async fn get<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Reply {
    let jb = existing(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    if V2 {
        args.only("job_binary_get", &[])?;
    }
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, &jb, version(V2))?,
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
        args.only("job_binary_delete", &[])?;
    }
    state.conductor.job_binary_destroy(&ctx, &id).await?;
    Ok(Render(Value::Object(Obj::new())))
}

async fn update<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
    Data(data): Data,
) -> Reply {
    // No existence check: a missing id is the conductor's 400 NOT_FOUND.
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    validate(SchemaId::JobBinaryUpdate, &data)?;
    let values = templates::body_obj(&data);
    checks::job_binary(&call, &values, true).await?;
    if V2 {
        args.only("job_binary_update", &[])?;
    }
    let updated = state.conductor.job_binary_update(&ctx, &id, values).await?;
    Ok(templates::wrapped(
        KIND,
        templates::view(KIND, &updated, version(V2))?,
        version(V2),
    ))
}

/// Raw bytes as Sahara's views return them.
fn raw(bytes: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response()
}

/// The stored data of internal job binary `id`, decoded; `None` when it has none.
async fn internal_bytes(call: &Call<'_>, id: &str) -> Result<Option<Vec<u8>>, ApiError> {
    let Some(b64) = call
        .state
        .conductor
        .job_binary_internal_get_raw_data(call.ctx, id)
        .await?
    else {
        return Ok(None);
    };
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map(Some)
        .map_err(|e| {
            tracing::error!(error = %e, id, "internal job binary data is not base64");
            ApiError::internal()
        })
}

/// `get_job_binary_data`: the bytes of an `internal-db://` binary from the database, of a `swift://` object
/// read with the caller's token, or of an `s3://` object read with the binary's own keys; Manila has no reader
/// in Sahara either.
async fn data<const V2: bool>(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    args: Args,
) -> Response {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let result: Result<Response, ApiError> = async {
        let jb = existing(&call, &id).await?;
        if V2 {
            args.only("job_binary_data", &[])?;
        }
        let url = jb.url.as_str();
        if let Some(jbi) = url.strip_prefix("internal-db://") {
            if V2 {
                // Sahara's v2 reads internal-db binaries without the context its reader needs: 500 (quirk).
                tracing::error!(url, "v2 cannot read internal-db job binaries, as in Sahara");
                return Err(ApiError::internal());
            }
            return match internal_bytes(&call, jbi).await? {
                Some(bytes) => Ok(raw(bytes)),
                // Sahara's view returns None: Flask fails to build a response.
                None => Err(ApiError::internal()),
            };
        }
        if let Some(rest) = url.strip_prefix("swift://") {
            let names: Vec<&str> = rest.splitn(2, '/').collect();
            if names.len() == 1 {
                return Err(SaharaError::BadJobBinary(
                    "Url for binary in internal swift must specify an object not a container".into(),
                )
                .into());
            }
            return swift_bytes(&call, names[0], names[1]).await.map(raw);
        }
        let parsed = super::Url::parse(url);
        if parsed.scheme == "s3" {
            return s3_bytes(&call, &jb, &parsed).await.map(raw);
        }
        Err(SaharaError::NotImplemented("Manila does not implement this method".into()).into())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// `JobBinaryManager.get_raw_data(with_context=True)` for `swift://<container>/<object>`: Swift read with the
/// caller's token (the `.sahara` suffix of the container dropped), its size checked first against
/// `job_binary_max_KB`; swiftclient's failures as Sahara's `SwiftClientException`.
async fn swift_bytes(call: &Call<'_>, container: &str, object: &str) -> Result<Vec<u8>, ApiError> {
    let container = container.strip_suffix(".sahara").unwrap_or(container);
    let session = call.state.cloud.require_session(call.ctx)?;
    let swift = session.swift();
    // swiftclient's `ClientException`: "<what> failed: <url> <status> <reason>".
    let failed = |what: &str, e: sahara_openstack::OpenStackError| -> ApiError {
        let message = match (e.status(), swift.url(container, Some(object))) {
            (Some(status), Ok(target)) => {
                let reason = axum::http::StatusCode::from_u16(status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
                    .unwrap_or_default();
                format!("Object {what} failed: {target} {status} {reason}")
            }
            _ => e.to_string(),
        };
        SaharaError::SwiftClient(message).into()
    };
    let headers = swift
        .head_object(container, object)
        .await
        .map_err(|e| failed("HEAD", e))?;
    let bytes: f64 = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0.0);
    let total_kb = bytes / 1024.0;
    let max = call.state.edp.job_binary_max_kb;
    if total_kb > max as f64 {
        return Err(SaharaError::DataTooBig(format!(
            "Size of swift object ({total_kb:.1}KB) is greater than maximum ({max}KB)"
        ))
        .into());
    }
    let o = swift
        .get_object(container, object)
        .await
        .map_err(|e| failed("GET", e))?;
    Ok(o.data)
}

/// Why an S3 binary could not be read: botocore's client could not be made (`Couldn't create boto client`),
/// or the object could not be read with it (`Couldn't get object from s3`); the cause only goes to the log.
enum S3Failure {
    /// `_get_s3_client` raised.
    Client(String),
    /// `head_object` or `get_object` raised.
    Object(String),
}

impl S3Failure {
    /// Sahara's `S3ClientException`, the cause logged (never with the secret key: no cause carries it).
    fn into_error(self, jb: &JobBinary) -> ApiError {
        let (message, cause) = match self {
            S3Failure::Client(cause) => ("Couldn't create boto client", cause),
            S3Failure::Object(cause) => ("Couldn't get object from s3", cause),
        };
        tracing::warn!(job_binary_id = %jb.id, url = %jb.url, %cause, "{message}");
        SaharaError::S3Client(message.into()).into()
    }
}

/// `s3_common._get_s3_client(extra)`: a client of `extra['endpoint']` with `extra['accesskey']` and
/// `extra['secretkey']` (Sahara's default key manager keeps the secret inline), as botocore makes it with
/// `region_name=None, verify=False`. A missing key, an endpoint that is not a string, or one botocore refuses
/// (without a scheme, say) fails making the client; keys that are not strings or a null endpoint make a client
/// botocore cannot sign with or that points at AWS itself, which fails reading the object.
fn s3_client(extra: Option<&sahara_model::JsonMap>) -> Result<S3Client, S3Failure> {
    let client = |why: &str| S3Failure::Client(why.to_string());
    let extra = extra.ok_or_else(|| client("the job binary has no extra"))?;
    let field = |name: &str| extra.get(name).ok_or_else(|| client(&format!("extra has no '{name}'")));
    let (secret, endpoint, access) = (field("secretkey")?, field("endpoint")?, field("accesskey")?);
    let endpoint = match endpoint {
        Value::String(e) => e,
        Value::Null => return Err(S3Failure::Object("a null endpoint means AWS itself, not called".into())),
        _ => return Err(client("the endpoint is not a string")),
    };
    let (Value::String(access), Value::String(secret)) = (access, secret) else {
        // Checked after the endpoint: botocore makes the client, then cannot sign with such keys.
        S3Client::new(endpoint, S3Credentials::new("", "")).map_err(|e| S3Failure::Client(e.to_string()))?;
        return Err(S3Failure::Object("the access or secret key is not a string".into()));
    };
    S3Client::new(
        endpoint,
        S3Credentials::new(access.clone(), Secret::new(secret.clone())),
    )
    .map_err(|e| S3Failure::Client(e.to_string()))
}

/// `s3_common.get_raw_job_binary_data` for `s3://<bucket>/<key>`: the URL checked (`_validate_job_binary_url`),
/// the client made from the binary's `extra`, the object's size asked with `head_object` and refused over
/// `job_binary_max_KB` (`DATA_TOO_BIG`), then the object read with `get_object`; every other failure is
/// Sahara's `S3_CLIENT_EXCEPTION`.
async fn s3_bytes(call: &Call<'_>, jb: &JobBinary, url: &super::Url) -> Result<Vec<u8>, ApiError> {
    if !jb.url.starts_with("s3://") {
        return Err(SaharaError::BadJobBinary("URL for binary in S3 must start with s3://".into()).into());
    }
    // `_get_names_from_job_binary_url`: (netloc + path).split('/', 1).
    let names = format!("{}{}", url.netloc, url.path);
    let Some((bucket, key)) = names.split_once('/') else {
        return Err(
            SaharaError::BadJobBinary("URL for binary in S3 must specify an object not a bucket".into()).into(),
        );
    };
    let s3 = s3_client(jb.extra.as_ref()).map_err(|f| f.into_error(jb))?;
    let failed = |e: sahara_openstack::OpenStackError| S3Failure::Object(e.to_string()).into_error(jb);
    let head = s3.head_object(bucket, key).await.map_err(failed)?;
    // Bytes, wanted in kibibytes.
    let total_kb = head.content_length as f64 / 1024.0;
    let max = call.state.edp.job_binary_max_kb;
    if total_kb > max as f64 {
        return Err(SaharaError::DataTooBig(format!(
            "Size of S3 object ({total_kb:.1}KB) is greater than maximum ({max}KB)"
        ))
        .into());
    }
    s3.get_object(bucket, key).await.map_err(failed)
}

async fn internal_create(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(name): Path<String>,
    FileData(bytes): FileData,
) -> Reply {
    if bytes.is_empty() {
        return Err(SaharaError::BadJobBinaryInternal(
            "Job binary internal data must be a string of length greater than zero".into(),
        )
        .into());
    }
    if !valid_name(&name) {
        return Err(SaharaError::BadJobBinaryInternal(format!("{name} is not a valid name")).into());
    }
    let mut values = Obj::new();
    values.insert("name".into(), json!(name));
    values.insert(
        "data".into(),
        json!(base64::engine::general_purpose::STANDARD.encode(&bytes)),
    );
    let created = state.conductor.job_binary_internal_create(&ctx, values).await?;
    Ok(templates::wrapped(
        INTERNAL,
        templates::view(INTERNAL, &created, version(false))?,
        version(false),
    ))
}

/// `validate_name_format`: `^[a-zA-Z0-9][a-zA-Z0-9\-_\.]*$`.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

async fn internal_list(State(state): State<ApiState>, Caller(ctx): Caller, args: Args) -> crate::templates::Listing {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    if let Some(marker) = listing::marker(&args) {
        existing_internal(&call, marker).await?;
    }
    let filters = super::list_filters(&args, false, SORT_FIELDS, &[], "")?;
    let page = state.conductor.job_binary_internal_get_all(&ctx, true, filters).await?;
    templates::render_page(INTERNAL, page, version(false), &args)
}

async fn internal_get(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    let jbi = existing_internal(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    Ok(templates::wrapped(
        INTERNAL,
        templates::view(INTERNAL, &jbi, version(false))?,
        version(false),
    ))
}

async fn internal_delete(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Reply {
    existing_internal(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    state.conductor.job_binary_internal_destroy(&ctx, &id).await?;
    Ok(Render(Value::Object(Obj::new())))
}

async fn internal_data(State(state): State<ApiState>, Caller(ctx): Caller, Path(id): Path<String>) -> Response {
    let call = Call {
        state: &state,
        ctx: &ctx,
    };
    let result: Result<Response, ApiError> = async {
        existing_internal(&call, &id).await?;
        match internal_bytes(&call, &id).await? {
            Some(bytes) => Ok(raw(bytes)),
            None => Err(ApiError::internal()),
        }
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

async fn internal_update(
    State(state): State<ApiState>,
    Caller(ctx): Caller,
    Path(id): Path<String>,
    Data(data): Data,
) -> Reply {
    existing_internal(
        &Call {
            state: &state,
            ctx: &ctx,
        },
        &id,
    )
    .await?;
    validate(SchemaId::JobBinaryInternalUpdate, &data)?;
    let updated = state
        .conductor
        .job_binary_internal_update(&ctx, &id, templates::body_obj(&data))
        .await?;
    Ok(templates::wrapped(
        INTERNAL,
        templates::view(INTERNAL, &updated, version(false))?,
        version(false),
    ))
}
