//! A minimal S3, path-style under `/s3` on the simulator's port (`http://127.0.0.1:<port>/s3/<bucket>/<key>`),
//! for Sahara's S3 job binaries, which carry their own endpoint and keys (so it is not in the catalog).
//!
//! Every request must be signed with AWS Signature Version 4 by the one key pair of the cloud
//! ([`ACCESS_KEY`], [`SECRET_KEY`]) for region [`REGION`]: the signature is computed again here from the
//! request as received (method, path as sent, query, the headers named in `SignedHeaders`,
//! `x-amz-content-sha256`, checked against the body) and compared, and refusals are S3's XML errors
//! (`InvalidAccessKeyId`, `SignatureDoesNotMatch`, `AuthorizationHeaderMalformed`, `RequestTimeTooSkewed`,
//! `XAmzContentSHA256Mismatch`, `AccessDenied`). Buckets and objects live in memory (lost when the simulator
//! stops): `PUT /<bucket>` makes a bucket, `HEAD`/`DELETE` of a bucket, `PUT`, `HEAD`, `GET` and `DELETE` of
//! an object, `NoSuchBucket` / `NoSuchKey` (404) otherwise. Answers to `HEAD` carry no body, as S3's.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, Extension};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use chrono::{DateTime, NaiveDateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Where the service is mounted on the simulator's port.
pub const PATH: &str = "/s3";
/// The cloud's one S3 access key id.
pub const ACCESS_KEY: &str = "TESTCLOUDS3ACCESSKEY";
/// The secret key of [`ACCESS_KEY`].
pub const SECRET_KEY: &str = "testcloud/S3+secret/0123456789abcdefghij";
/// The one region requests may be signed for (botocore's for a custom endpoint without a region).
pub const REGION: &str = "us-east-1";
/// The largest object `PUT` accepts.
pub const MAX_OBJECT_BYTES: usize = 64 << 20;
/// How far a request's `x-amz-date` may be from the clock (S3's 15 minutes).
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// The S3 endpoint of the simulator at `simulator_url` (`http://127.0.0.1:<port>`): `<simulator_url>/s3`.
pub fn endpoint(simulator_url: &str) -> String {
    format!("{}{PATH}", simulator_url.trim_end_matches('/'))
}

/// One stored object.
#[derive(Debug, Clone)]
struct Object {
    data: Bytes,
    content_type: String,
    last_modified: DateTime<Utc>,
}

impl Object {
    /// An opaque entity tag (the SHA-256 of the data, shortened; S3's is an MD5).
    fn etag(&self) -> String {
        format!("\"{}\"", &hex::encode(Sha256::digest(&self.data))[..32])
    }
}

/// The buckets and their objects, by name.
#[derive(Debug, Clone, Default)]
struct Store(Arc<Mutex<BTreeMap<String, BTreeMap<String, Object>>>>);

/// The S3 routes (`/s3/<bucket>` and `/s3/<bucket>/<key>`), with a new empty store; usable with any router
/// state (the simulator's, or `()` alone).
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/s3/{bucket}", any(handle))
        .route("/s3/{bucket}/", any(handle))
        .route("/s3/{bucket}/{*key}", any(handle))
        .layer(DefaultBodyLimit::max(MAX_OBJECT_BYTES))
        .layer(Extension(Store::default()))
}

/// A refusal or failure, as S3's XML error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    /// The HTTP status.
    pub status: StatusCode,
    /// S3's error code (`NoSuchKey`).
    pub code: &'static str,
    /// S3's message.
    pub message: String,
    /// Further elements (`Key`, `BucketName`, `StringToSign`, ...), in order.
    pub details: Vec<(&'static str, String)>,
}

impl S3Error {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        S3Error {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    fn malformed(why: &str) -> Self {
        S3Error::new(
            StatusCode::BAD_REQUEST,
            "AuthorizationHeaderMalformed",
            format!("The authorization header is malformed; {why}"),
        )
    }

    fn no_such_bucket(bucket: &str) -> Self {
        S3Error::new(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        )
        .with("BucketName", bucket)
    }

    /// The XML document S3 answers.
    pub fn xml(&self, request_id: &str) -> String {
        let mut out = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>",
            self.code,
            escape(&self.message)
        );
        for (name, value) in &self.details {
            out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
        }
        out.push_str(&format!("<RequestId>{request_id}</RequestId></Error>"));
        out
    }
}

/// XML's five escapes.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// S3's answer to one request: the bucket and object operations after [`verify`].
async fn handle(
    Extension(store): Extension<Store>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..16].to_ascii_uppercase();
    let head = method == Method::HEAD;
    let result = verify(
        method.as_str(),
        uri.path(),
        uri.query().unwrap_or_default(),
        &headers,
        &body,
        Utc::now(),
        &[(ACCESS_KEY, SECRET_KEY)],
    )
    .and_then(|()| operate(&store, &method, uri.path(), &headers, body));
    let mut resp = match result {
        Ok(resp) => resp,
        Err(e) => {
            tracing::info!(status = e.status.as_u16(), code = e.code, message = %e.message, "S3 refused");
            let mut resp = if head {
                e.status.into_response()
            } else {
                (
                    e.status,
                    [(header::CONTENT_TYPE, "application/xml")],
                    e.xml(&request_id),
                )
                    .into_response()
            };
            if head {
                resp.headers_mut()
                    .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
            }
            resp
        }
    };
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        resp.headers_mut().insert("x-amz-request-id", v);
    }
    resp
}

/// `(bucket, key)` of a path under [`PATH`], percent-decoded; the key is `None` for the bucket itself.
fn names(path: &str) -> (String, Option<String>) {
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let rest = path
        .strip_prefix(PATH)
        .unwrap_or(path)
        .strip_prefix('/')
        .unwrap_or_default();
    match rest.split_once('/') {
        Some((b, k)) if !k.is_empty() => (decode(b), Some(decode(k))),
        Some((b, _)) => (decode(b), None),
        None => (decode(rest), None),
    }
}

/// The operation an authenticated request asks for.
fn operate(store: &Store, method: &Method, path: &str, headers: &HeaderMap, body: Bytes) -> Result<Response, S3Error> {
    let (bucket, key) = names(path);
    let mut buckets = store.0.lock().unwrap_or_else(|e| e.into_inner());
    let not_allowed = || {
        S3Error::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with("Method", method.as_str())
    };
    let Some(key) = key else {
        return match *method {
            Method::PUT => {
                // us-east-1 answers 200 again to the owner of an existing bucket.
                buckets.entry(bucket.clone()).or_default();
                tracing::info!(%bucket, "bucket created");
                Ok((StatusCode::OK, [(header::LOCATION, format!("/{bucket}"))]).into_response())
            }
            Method::HEAD => match buckets.get(&bucket) {
                Some(_) => Ok(StatusCode::OK.into_response()),
                None => Err(S3Error::no_such_bucket(&bucket)),
            },
            Method::DELETE => match buckets.get(&bucket) {
                None => Err(S3Error::no_such_bucket(&bucket)),
                Some(objects) if !objects.is_empty() => Err(S3Error::new(
                    StatusCode::CONFLICT,
                    "BucketNotEmpty",
                    "The bucket you tried to delete is not empty",
                )
                .with("BucketName", &bucket)),
                Some(_) => {
                    buckets.remove(&bucket);
                    Ok(StatusCode::NO_CONTENT.into_response())
                }
            },
            _ => Err(not_allowed()),
        };
    };
    let objects = buckets
        .get_mut(&bucket)
        .ok_or_else(|| S3Error::no_such_bucket(&bucket))?;
    match *method {
        Method::PUT => {
            let object = Object {
                content_type: headers
                    .get(header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("binary/octet-stream")
                    .to_string(),
                data: body,
                last_modified: Utc::now(),
            };
            let etag = object.etag();
            tracing::info!(%bucket, %key, bytes = object.data.len(), "object stored");
            objects.insert(key, object);
            Ok((StatusCode::OK, [(header::ETAG, etag)]).into_response())
        }
        Method::GET | Method::HEAD => {
            let object = objects.get(&key).ok_or_else(|| {
                S3Error::new(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.").with("Key", &key)
            })?;
            let mut resp = Response::new(if *method == Method::HEAD {
                Body::empty()
            } else {
                Body::from(object.data.clone())
            });
            let h = resp.headers_mut();
            let mut set = |name: header::HeaderName, value: String| {
                if let Ok(v) = HeaderValue::from_str(&value) {
                    h.insert(name, v);
                }
            };
            set(header::CONTENT_LENGTH, object.data.len().to_string());
            set(header::CONTENT_TYPE, object.content_type.clone());
            set(header::ETAG, object.etag());
            set(
                header::LAST_MODIFIED,
                object.last_modified.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            );
            set(header::ACCEPT_RANGES, "bytes".into());
            Ok(resp)
        }
        Method::DELETE => {
            objects.remove(&key);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        _ => Err(not_allowed()),
    }
}

/// AWS's `UriEncode`: everything but unreserved characters percent-encoded (upper-case hex).
fn uri_encode(s: &str) -> String {
    const SET: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, SET).to_string()
}

/// The canonical query string: each name and value decoded then `UriEncode`d, sorted.
fn canonical_query(query: &str) -> String {
    let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (uri_encode(&decode(k)), uri_encode(&decode(v)))
        })
        .collect();
    pairs.sort();
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// Whether two strings are equal, in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a request's SigV4 `Authorization` against `keys` (access key, secret key) at time `now`: the
/// header's form, the key, region and service of its scope, `x-amz-date` (within 15 minutes, the scope's
/// day), `x-amz-content-sha256` (the body's, unless `UNSIGNED-PAYLOAD`), that `host` and every `x-amz-*`
/// header are signed, and the signature itself, recomputed.
pub fn verify(
    method: &str,
    path: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    now: DateTime<Utc>,
    keys: &[(&str, &str)],
) -> Result<(), S3Error> {
    let text = |name: &str| -> Option<String> {
        let values: Vec<&str> = headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).collect();
        (!values.is_empty()).then(|| {
            values
                .iter()
                .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>()
                .join(",")
        })
    };
    let Some(authorization) = text("authorization") else {
        return Err(S3Error::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"));
    };
    let Some(params) = authorization.strip_prefix("AWS4-HMAC-SHA256 ") else {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.",
        ));
    };
    let params: BTreeMap<&str, &str> = params.split(',').filter_map(|p| p.trim().split_once('=')).collect();
    let (Some(credential), Some(signed_headers), Some(provided)) = (
        params.get("Credential"),
        params.get("SignedHeaders"),
        params.get("Signature"),
    ) else {
        return Err(S3Error::malformed(
            "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [access_key, day, region, service, "aws4_request"] = scope[..] else {
        return Err(S3Error::malformed(
            "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".",
        ));
    };
    let Some((_, secret)) = keys.iter().find(|(k, _)| *k == access_key) else {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
        .with("AWSAccessKeyId", access_key));
    };
    if region != REGION {
        return Err(
            S3Error::malformed(&format!("the region '{region}' is wrong; expecting '{REGION}'")).with("Region", REGION),
        );
    }
    if service != "s3" {
        return Err(S3Error::malformed(&format!(
            "incorrect service \"{service}\". This endpoint belongs to \"s3\"."
        )));
    }
    let Some(amz_date) = text("x-amz-date") else {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        ));
    };
    let Ok(when) = NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ") else {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header",
        ));
    };
    if (now - when.and_utc()).num_seconds().abs() > MAX_SKEW_SECONDS {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
        .with("RequestTime", amz_date.as_str())
        .with("ServerTime", now.format("%Y-%m-%dT%H:%M:%SZ").to_string()));
    }
    if !amz_date.starts_with(day) || day.len() != 8 {
        return Err(S3Error::malformed(
            "Invalid credential date. Date is not the same as X-Amz-Date.",
        ));
    }
    let Some(payload_sha256) = text("x-amz-content-sha256") else {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "InvalidRequest",
            "Missing required header for this request: x-amz-content-sha256",
        ));
    };
    if payload_sha256 != "UNSIGNED-PAYLOAD" && payload_sha256 != hex::encode(Sha256::digest(body)) {
        return Err(S3Error::new(
            StatusCode::BAD_REQUEST,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
        .with("ClientComputedContentSHA256", payload_sha256.as_str()));
    }
    let signed: Vec<String> = signed_headers.split(';').map(str::to_ascii_lowercase).collect();
    let unsigned = headers
        .keys()
        .map(|k| k.as_str())
        .find(|k| k.starts_with("x-amz-") && !signed.iter().any(|s| s == k));
    if !signed.iter().any(|s| s == "host") || unsigned.is_some() {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "AccessDenied",
            "There were headers present in the request which were not signed",
        )
        .with("HeadersNotSigned", unsigned.unwrap_or("host")));
    }
    let mut sorted = signed.clone();
    sorted.sort();
    sorted.dedup();
    let block: String = sorted
        .iter()
        .map(|name| format!("{name}:{}\n", text(name).unwrap_or_default()))
        .collect();
    let canonical_request = format!(
        "{method}\n{}\n{}\n{block}\n{}\n{payload_sha256}",
        if path.is_empty() { "/" } else { path },
        canonical_query(query),
        sorted.join(";")
    );
    let string_to_sign = format!(
        "AWS4-HMAC-SHA256\n{amz_date}\n{day}/{region}/{service}/aws4_request\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut key = format!("AWS4{secret}").into_bytes();
    for part in [day, region, service, "aws4_request"] {
        key = hmac_sha256(&key, part.as_bytes());
    }
    let expected = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    if !same(&expected, provided) {
        return Err(S3Error::new(
            StatusCode::FORBIDDEN,
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided. Check your key and \
             signing method.",
        )
        .with("AWSAccessKeyId", access_key)
        .with("StringToSign", string_to_sign)
        .with("SignatureProvided", *provided)
        .with("CanonicalRequest", canonical_request));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const AWS_ACCESS: &str = "AKIAIOSFODNN7EXAMPLE";
    const AWS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The S3 documentation's "GET Object" example request, with `signature`.
    fn example(signature: &str, access: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("host", HeaderValue::from_static("examplebucket.s3.amazonaws.com"));
        h.insert("range", HeaderValue::from_static("bytes=0-9"));
        h.insert("x-amz-content-sha256", HeaderValue::from_static(EMPTY));
        h.insert("x-amz-date", HeaderValue::from_static("20130524T000000Z"));
        h.insert(
            "authorization",
            HeaderValue::from_str(&format!(
                "AWS4-HMAC-SHA256 Credential={access}/20130524/us-east-1/s3/aws4_request, \
                 SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature={signature}"
            ))
            .unwrap(),
        );
        h
    }

    fn at(s: &str) -> DateTime<Utc> {
        NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").unwrap().and_utc()
    }

    const GOOD: &str = "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";

    #[test]
    fn the_aws_example_is_accepted_and_changes_are_refused() {
        let keys = [(AWS_ACCESS, AWS_SECRET)];
        let now = at("20130524T000500Z");
        let check = |method: &str, path: &str, headers: &HeaderMap, body: &[u8], keys: &[(&str, &str)]| {
            verify(method, path, "", headers, body, now, keys)
        };
        check("GET", "/test.txt", &example(GOOD, AWS_ACCESS), b"", &keys).unwrap();

        let code = |r: Result<(), S3Error>| r.map(|_| "ok").unwrap_or_else(|e| e.code);
        // Another secret, method, path, header value or signature: recomputed, it does not match.
        let wrong_secret = [(AWS_ACCESS, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEz")];
        assert_eq!(
            code(check(
                "GET",
                "/test.txt",
                &example(GOOD, AWS_ACCESS),
                b"",
                &wrong_secret
            )),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            code(check("HEAD", "/test.txt", &example(GOOD, AWS_ACCESS), b"", &keys)),
            "SignatureDoesNotMatch"
        );
        assert_eq!(
            code(check("GET", "/test.txT", &example(GOOD, AWS_ACCESS), b"", &keys)),
            "SignatureDoesNotMatch"
        );
        let mut h = example(GOOD, AWS_ACCESS);
        h.insert("range", HeaderValue::from_static("bytes=0-10"));
        assert_eq!(code(check("GET", "/test.txt", &h, b"", &keys)), "SignatureDoesNotMatch");
        assert_eq!(
            code(check(
                "GET",
                "/test.txt",
                &example(&GOOD.replace('f', "e"), AWS_ACCESS),
                b"",
                &keys
            )),
            "SignatureDoesNotMatch"
        );
        // An unknown key, a body that is not the signed payload, an unsigned x-amz header, no header at all.
        assert_eq!(
            code(check("GET", "/test.txt", &example(GOOD, "AKIAOTHER"), b"", &keys)),
            "InvalidAccessKeyId"
        );
        assert_eq!(
            code(check("GET", "/test.txt", &example(GOOD, AWS_ACCESS), b"x", &keys)),
            "XAmzContentSHA256Mismatch"
        );
        let mut h = example(GOOD, AWS_ACCESS);
        h.insert("x-amz-meta-a", HeaderValue::from_static("1"));
        assert_eq!(code(check("GET", "/test.txt", &h, b"", &keys)), "AccessDenied");
        assert_eq!(
            code(check("GET", "/test.txt", &HeaderMap::new(), b"", &keys)),
            "AccessDenied"
        );
        // Too far from the clock.
        assert_eq!(
            code(verify(
                "GET",
                "/test.txt",
                "",
                &example(GOOD, AWS_ACCESS),
                b"",
                at("20130524T001600Z"),
                &keys
            )),
            "RequestTimeTooSkewed"
        );
        // Another region.
        let mut h = example(GOOD, AWS_ACCESS);
        let auth = h["authorization"].to_str().unwrap().replace("us-east-1", "eu-west-1");
        h.insert("authorization", HeaderValue::from_str(&auth).unwrap());
        let e = check("GET", "/test.txt", &h, b"", &keys).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                "AuthorizationHeaderMalformed",
                "The authorization header is malformed; the region 'eu-west-1' is wrong; expecting 'us-east-1'"
            )
        );
    }

    #[test]
    fn errors_are_s3_xml_and_paths_name_bucket_and_key() {
        let e =
            S3Error::new(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.").with("Key", "a&b<c");
        assert_eq!(
            e.xml("ABC"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key \
             does not exist.</Message><Key>a&amp;b&lt;c</Key><RequestId>ABC</RequestId></Error>"
        );
        assert_eq!(names("/s3/b"), ("b".into(), None));
        assert_eq!(names("/s3/b/"), ("b".into(), None));
        assert_eq!(
            names("/s3/b/dir/a%20b%2Bc.jar"),
            ("b".into(), Some("dir/a b+c.jar".into()))
        );
        assert_eq!(names("/s3/b//lead"), ("b".into(), Some("/lead".into())));
        assert_eq!(canonical_query("b=2&a=%7e&c"), "a=~&b=2&c=");
        assert_eq!(endpoint("http://127.0.0.1:1/"), "http://127.0.0.1:1/s3");
    }
}
