//! S3 for EDP job binaries kept in an S3-compatible store (`s3://<bucket>/<key>`): the part of botocore's `s3`
//! client that Sahara's `s3_common` uses (`head_object`, `get_object`), plus `create_bucket` and `put_object`
//! for tests, signed with AWS Signature Version 4 ([`sigv4`]).
//!
//! Requests are addressed and signed as botocore 1.44 (Sahara 19's) does for the client `s3_common` makes
//! (`region_name=None`, `verify=False`, the binary's `endpoint` as `endpoint_url`): path-style URLs under the
//! endpoint's own path (`<endpoint>/<bucket>/<key>`, the key percent-encoded except `/` and `~`), region
//! `us-east-1`, headers `x-amz-date` and `x-amz-content-sha256` (the payload's SHA-256, also over HTTPS)
//! signed with `host`, no redirects followed, TLS certificates not verified, and botocore's standard retry
//! mode (3 attempts for connection errors, 429, 500, 502-504 and throttling or transient error codes, with
//! its jittered exponential waits and `x-amz-retry-after`). Errors keep S3's code and message, phrased as
//! botocore's `ClientError` (`An error occurred (NoSuchKey) when calling the GetObject operation: ...`).
//! The secret key never leaves [`Secret`]: it is only used to derive the signing key.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use tracing::Instrument as _;

use crate::error::{OpenStackError, Result, Secret};

/// The service name: in errors, and in SigV4's credential scope.
pub const SERVICE: &str = "s3";
/// The region botocore signs with for a client made with `region_name=None` and a custom endpoint.
pub const DEFAULT_REGION: &str = "us-east-1";

/// How a bucket is put into an object's URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Addressing {
    /// `<endpoint>/<bucket>/<key>`: what botocore does with any custom `endpoint_url` (and what Hadoop's
    /// `fs.s3a.path.style.access` asks for).
    #[default]
    Path,
    /// `<scheme>://<bucket>.<endpoint host>/<key>` (botocore's `addressing_style = virtual`); a bucket that
    /// cannot be a DNS label (upper case, `_`, `.`) is still addressed path-style, as botocore does.
    VirtualHost,
}

/// How the client talks to the store. [`Default`] is the client Sahara makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Options {
    /// The signing region ([`DEFAULT_REGION`]).
    pub region: String,
    /// Path-style or virtual-host addressing ([`Addressing::Path`]).
    pub addressing: Addressing,
    /// Whether TLS certificates are verified (`false`: Sahara passes `verify=False`).
    pub verify_tls: bool,
    /// botocore's `connect_timeout` (60 s).
    pub connect_timeout: Duration,
    /// botocore's `read_timeout` (60 s).
    pub read_timeout: Duration,
    /// botocore's `max_attempts` of the standard retry mode (3, the first included).
    pub max_attempts: u32,
}

impl Default for S3Options {
    fn default() -> Self {
        S3Options {
            region: DEFAULT_REGION.to_string(),
            addressing: Addressing::Path,
            verify_tls: false,
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            max_attempts: 3,
        }
    }
}

/// An access key pair (`Debug` hides the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Credentials {
    /// The access key id (`aws_access_key_id`).
    pub access_key: String,
    /// The secret access key (`aws_secret_access_key`).
    pub secret_key: Secret,
}

impl S3Credentials {
    /// A key pair.
    pub fn new(access_key: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        S3Credentials {
            access_key: access_key.into(),
            secret_key: secret_key.into(),
        }
    }
}

/// What `head_object` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    /// `ContentLength`: the object's size in bytes.
    pub content_length: u64,
    /// `ContentType`, when the store sent one.
    pub content_type: Option<String>,
    /// `ETag`, when the store sent one.
    pub etag: Option<String>,
}

/// A client of one S3 endpoint with one key pair.
#[derive(Debug, Clone)]
pub struct S3Client {
    http: reqwest::Client,
    endpoint: Url,
    credentials: S3Credentials,
    options: S3Options,
}

impl S3Client {
    /// A client of `endpoint_url` (with its scheme: `http://host:port[/path]`) with Sahara's options. An
    /// endpoint botocore refuses (`Invalid endpoint: <url>`: no scheme, no host, a host that is not a DNS
    /// name or an IP address) is [`OpenStackError::Invalid`].
    pub fn new(endpoint_url: &str, credentials: S3Credentials) -> Result<S3Client> {
        S3Client::with_options(endpoint_url, credentials, S3Options::default())
    }

    /// A client of `endpoint_url` with `options`.
    pub fn with_options(endpoint_url: &str, credentials: S3Credentials, options: S3Options) -> Result<S3Client> {
        let endpoint = valid_endpoint(endpoint_url)?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.read_timeout)
            .user_agent(concat!("sahara-rs/", env!("CARGO_PKG_VERSION")))
            .danger_accept_invalid_certs(!options.verify_tls)
            .build()
            .map_err(|e| OpenStackError::Invalid(format!("HTTP client for s3: {e}")))?;
        Ok(S3Client {
            http,
            endpoint,
            credentials,
            options,
        })
    }

    /// The endpoint, as parsed.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The URL of `key` in `bucket` (of the bucket when `key` is `None`), as botocore addresses it. A bucket
    /// name botocore refuses (not `[a-zA-Z0-9.\-_]{1,255}`), an empty key, or a key whose `.`/`..` segments a
    /// URL cannot carry is [`OpenStackError::Invalid`].
    pub fn url(&self, bucket: &str, key: Option<&str>) -> Result<Url> {
        if bucket.is_empty()
            || bucket.len() > 255
            || !bucket.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        {
            return Err(OpenStackError::Invalid(format!(
                "Invalid bucket name \"{bucket}\": Bucket name must match the regex \"^[a-zA-Z0-9.\\-_]{{1,255}}$\""
            )));
        }
        if key == Some("") {
            return Err(OpenStackError::Invalid(
                "Invalid length for parameter Key, value: 0, valid min length: 1".into(),
            ));
        }
        let base = self.endpoint.path().trim_end_matches('/');
        let key_path = key.map(|k| format!("/{}", encode_key(k))).unwrap_or_default();
        let mut url = self.endpoint.clone();
        let path = if self.options.addressing == Addressing::VirtualHost && dns_compatible(bucket) {
            let host = format!("{bucket}.{}", self.endpoint.host_str().unwrap_or_default());
            url.set_host(Some(&host))
                .map_err(|e| OpenStackError::Invalid(format!("virtual host {host}: {e}")))?;
            if key_path.is_empty() {
                format!("{base}/")
            } else {
                format!("{base}{key_path}")
            }
        } else {
            format!("{base}/{bucket}{key_path}")
        };
        url.set_path(&path);
        url.set_query(None);
        url.set_fragment(None);
        if url.path() != path {
            return Err(OpenStackError::Invalid(format!(
                "the key {key:?} cannot be addressed in a URL (its path would become {})",
                url.path()
            )));
        }
        Ok(url)
    }

    /// `head_object`: the object's size and type.
    pub async fn head_object(&self, bucket: &str, key: &str) -> Result<ObjectHead> {
        let url = self.url(bucket, Some(key))?;
        let (_, headers, _) = self.send("HeadObject", Method::HEAD, url, Vec::new(), None).await?;
        let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let content_length = text("content-length")
            .and_then(|l| l.trim().parse().ok())
            .ok_or_else(|| OpenStackError::decode(SERVICE, "HeadObject answered without a Content-Length"))?;
        Ok(ObjectHead {
            content_length,
            content_type: text("content-type"),
            etag: text("etag"),
        })
    }

    /// `get_object(...)['Body'].read()`: the object's content.
    pub async fn get_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        let url = self.url(bucket, Some(key))?;
        let (_, _, body) = self.send("GetObject", Method::GET, url, Vec::new(), None).await?;
        Ok(body)
    }

    /// `put_object`: stores `data` as `key` in `bucket`.
    pub async fn put_object(&self, bucket: &str, key: &str, data: Vec<u8>, content_type: Option<&str>) -> Result<()> {
        let url = self.url(bucket, Some(key))?;
        self.send("PutObject", Method::PUT, url, data, content_type).await?;
        Ok(())
    }

    /// `create_bucket` (in the default region: no location constraint).
    pub async fn create_bucket(&self, bucket: &str) -> Result<()> {
        let url = self.url(bucket, None)?;
        self.send("CreateBucket", Method::PUT, url, Vec::new(), None).await?;
        Ok(())
    }

    /// One operation with botocore's standard retries; an error answer as [`OpenStackError::NotFound`] (404) or
    /// [`OpenStackError::Api`], worded as botocore's `ClientError`.
    async fn send(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        payload: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        let span = tracing::info_span!("s3_call", operation, method = %method, host = url.host_str().unwrap_or_default(),
            path = url.path());
        self.send_with_retries(operation, method, url, payload, content_type)
            .instrument(span)
            .await
    }

    /// [`S3Client::send`] without its span.
    async fn send_with_retries(
        &self,
        operation: &'static str,
        method: Method,
        url: Url,
        payload: Vec<u8>,
        content_type: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        let attempts = self.options.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = self.send_once(&method, &url, &payload, content_type).await;
            let retry = match &answer {
                Err(e) => matches!(e, OpenStackError::Transport { .. }).then_some(Retry::default()),
                Ok((status, headers, body)) => Retry::of_answer(*status, headers, body),
            };
            if let Some(retry) = retry.filter(|_| attempt < attempts) {
                let wait = retry.wait(attempt, random_fraction());
                match &answer {
                    Err(e) => tracing::warn!(error = %e, attempt, "S3 request failed; retrying"),
                    Ok((status, _, _)) => tracing::warn!(status = status.as_u16(), attempt, "S3 answered; retrying"),
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            let (status, headers, body) = answer?;
            if status.is_success() {
                tracing::debug!(status = status.as_u16(), "answered");
                return Ok((status, headers, body));
            }
            let (code, message) = error_of(&body, status);
            let message = format!("An error occurred ({code}) when calling the {operation} operation: {message}");
            tracing::debug!(status = status.as_u16(), %message, "error answer");
            return Err(if status == StatusCode::NOT_FOUND {
                OpenStackError::NotFound {
                    service: SERVICE,
                    message,
                }
            } else {
                OpenStackError::Api {
                    service: SERVICE,
                    status: status.as_u16(),
                    message,
                    request_id: headers
                        .get("x-amz-request-id")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string),
                }
            });
        }
    }

    /// One signed attempt, read whole.
    async fn send_once(
        &self,
        method: &Method,
        url: &Url,
        payload: &[u8],
        content_type: Option<&str>,
    ) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
        let amz_date = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
        let payload_sha256 = sigv4::sha256_hex(payload);
        let mut headers = vec![
            ("host".to_string(), host_header(url)),
            ("x-amz-content-sha256".to_string(), payload_sha256.clone()),
            ("x-amz-date".to_string(), amz_date.clone()),
        ];
        let authorization = sigv4::authorization(
            &self.credentials,
            &self.options.region,
            SERVICE,
            &amz_date,
            &sigv4::Request {
                method: method.as_str(),
                path: url.path(),
                query: url.query().unwrap_or_default(),
                headers: &headers,
                payload_sha256: &payload_sha256,
            },
        );
        if let Some(ct) = content_type {
            headers.push(("content-type".to_string(), ct.to_string()));
        }
        let mut req = self.http.request(method.clone(), url.clone());
        // `host` is signed as the HTTP client sends it: the URL's host, and its port unless the default.
        for (k, v) in headers.iter().filter(|(k, _)| k != "host") {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut auth = HeaderValue::from_str(&authorization)
            .map_err(|_| OpenStackError::Invalid("the access key is not a valid header value".into()))?;
        auth.set_sensitive(true);
        req = req.header("authorization", auth);
        if !payload.is_empty() || *method == Method::PUT {
            req = req.body(payload.to_vec());
        }
        let transport = |e: reqwest::Error| OpenStackError::Transport {
            service: SERVICE,
            message: e.to_string(),
            timeout: e.is_timeout(),
        };
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(transport)?;
        Ok((status, headers, body.to_vec()))
    }
}

/// botocore's `is_valid_endpoint_url` / `is_valid_ipv6_endpoint_url`: a URL with a host that is an IP address
/// or DNS labels (letters, digits, inner hyphens).
fn valid_endpoint(endpoint_url: &str) -> Result<Url> {
    let invalid = || OpenStackError::Invalid(format!("Invalid endpoint: {endpoint_url}"));
    let url = Url::parse(endpoint_url).map_err(|_| invalid())?;
    let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(invalid)?;
    if host.starts_with('[') || host.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(url);
    }
    let d = host.strip_suffix('.').unwrap_or(host);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    if d.len() > 255 || !d.split('.').all(label_ok) {
        return Err(invalid());
    }
    Ok(url)
}

/// Whether `bucket` can be the first label of a virtual host (botocore's `check_dns_name`).
fn dns_compatible(bucket: &str) -> bool {
    (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !bucket.starts_with('-')
        && !bucket.ends_with('-')
}

/// botocore's `percent_encode(key, safe='/~')`: everything but unreserved characters and `/`, as UTF-8.
fn encode_key(key: &str) -> String {
    const KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    percent_encoding::utf8_percent_encode(key, KEY).to_string()
}

/// The `Host` header of `url`: its host, and its port when it is not the scheme's default.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// The `Code` and `Message` of S3's XML error document; the status (as botocore shows it) and its reason
/// without one (HEAD answers have no body).
fn error_of(body: &[u8], status: StatusCode) -> (String, String) {
    let text = String::from_utf8_lossy(body);
    let element = |name: &str| -> Option<String> {
        let start = text.find(&format!("<{name}>"))? + name.len() + 2;
        let end = start + text[start..].find(&format!("</{name}>"))?;
        Some(xml_unescape(&text[start..end]))
    };
    let reason = status.canonical_reason().unwrap_or_default().to_string();
    match element("Code") {
        Some(code) => (code, element("Message").unwrap_or(reason)),
        None => (status.as_u16().to_string(), reason),
    }
}

/// The five predefined XML entities, decoded.
fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`), as botocore's `S3SigV4Auth` computes it: the canonical
/// request (the path as sent, not normalised or encoded again; the query's pairs sorted as sent; the signed
/// headers lower-cased, sorted, their values trimmed and inner whitespace collapsed), the string to sign over
/// the credential scope `<date>/<region>/<service>/aws4_request`, and the HMAC-SHA256 chain of the signing key.
pub mod sigv4 {
    use hmac::{Hmac, Mac};
    use sha2::{Digest, Sha256};

    use super::S3Credentials;

    /// The algorithm's name, first word of the `Authorization` header.
    pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
    /// The SHA-256 of an empty payload.
    pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    /// The parts of a request SigV4 signs.
    #[derive(Debug, Clone, Copy)]
    pub struct Request<'a> {
        /// The method (`GET`).
        pub method: &'a str,
        /// The path, percent-encoded as sent (`/bucket/a%20b`).
        pub path: &'a str,
        /// The query, as sent, without `?` (empty when none).
        pub query: &'a str,
        /// The headers to sign (name, value); `host` must be among them.
        pub headers: &'a [(String, String)],
        /// The payload's SHA-256 in lower-case hex (or `UNSIGNED-PAYLOAD`).
        pub payload_sha256: &'a str,
    }

    /// Lower-case hex SHA-256 of `data`.
    pub fn sha256_hex(data: &[u8]) -> String {
        hex::encode(Sha256::digest(data))
    }

    fn hmac(key: &[u8], data: &str) -> [u8; 32] {
        // HMAC takes keys of any length: `new_from_slice` cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
        mac.update(data.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The signed-headers list (`host;x-amz-date`) and the canonical headers block (one `name:value\n` each).
    fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
        let mut by_name: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for (name, value) in headers {
            let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
            by_name.entry(name.to_ascii_lowercase()).or_default().push(value);
        }
        let signed = by_name.keys().cloned().collect::<Vec<_>>().join(";");
        let block = by_name
            .iter()
            .map(|(name, values)| format!("{name}:{}\n", values.join(",")))
            .collect();
        (signed, block)
    }

    /// The query's `key=value` pairs sorted (a pair without `=` as `key=`).
    fn canonical_query(query: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        pairs.sort();
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The canonical request and its signed-headers list.
    pub fn canonical_request(r: &Request<'_>) -> (String, String) {
        let (signed, block) = canonical_headers(r.headers);
        let path = if r.path.is_empty() { "/" } else { r.path };
        (
            format!(
                "{}\n{path}\n{}\n{block}\n{signed}\n{}",
                r.method,
                canonical_query(r.query),
                r.payload_sha256
            ),
            signed,
        )
    }

    /// The credential scope: `<yyyymmdd>/<region>/<service>/aws4_request`.
    pub fn scope(amz_date: &str, region: &str, service: &str) -> String {
        format!("{}/{region}/{service}/aws4_request", &amz_date[..amz_date.len().min(8)])
    }

    /// The string to sign for `canonical_request` at `amz_date` (`yyyymmddThhmmssZ`) in `scope`.
    pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &str) -> String {
        format!(
            "{ALGORITHM}\n{amz_date}\n{scope}\n{}",
            sha256_hex(canonical_request.as_bytes())
        )
    }

    /// The signing key of `secret` for one day (`yyyymmdd`), region and service.
    pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
        let k_date = hmac(format!("AWS4{secret}").as_bytes(), date);
        let k_region = hmac(&k_date, region);
        let k_service = hmac(&k_region, service);
        hmac(&k_service, "aws4_request")
    }

    /// The request's signature (lower-case hex) with `secret`.
    pub fn signature(secret: &str, region: &str, service: &str, amz_date: &str, r: &Request<'_>) -> String {
        let (canonical, _) = canonical_request(r);
        let scope = scope(amz_date, region, service);
        let key = signing_key(secret, &amz_date[..amz_date.len().min(8)], region, service);
        hex::encode(hmac(&key, &string_to_sign(amz_date, &scope, &canonical)))
    }

    /// The `Authorization` header of the request signed with `credentials`.
    pub fn authorization(
        credentials: &S3Credentials,
        region: &str,
        service: &str,
        amz_date: &str,
        r: &Request<'_>,
    ) -> String {
        let (_, signed) = canonical_request(r);
        format!(
            "{ALGORITHM} Credential={}/{}, SignedHeaders={signed}, Signature={}",
            credentials.access_key,
            scope(amz_date, region, service),
            signature(credentials.secret_key.expose(), region, service, amz_date, r)
        )
    }
}

/// Error codes botocore's standard retry mode takes for throttling (`ThrottledRetryableChecker`).
const THROTTLING_CODES: [&str; 14] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

/// Error codes botocore's standard retry mode takes for transient (`TransientRetryableChecker`).
const TRANSIENT_CODES: [&str; 3] = ["RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"];

/// Why a failed attempt is tried again, which decides the wait before the next one.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Retry {
    /// Throttled (429 or a throttling code): waits scale from 1 s instead of 50 ms.
    throttled: bool,
    /// The answer's `x-amz-retry-after` (milliseconds), if any.
    retry_after: Option<Duration>,
}

impl Retry {
    /// Whether botocore's standard mode retries this answer: 429, 500, 502, 503, 504, or a throttling or
    /// transient error code.
    fn of_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Retry> {
        if status.is_success() {
            return None;
        }
        let (code, _) = error_of(body, status);
        let throttled = status == StatusCode::TOO_MANY_REQUESTS || THROTTLING_CODES.contains(&code.as_str());
        let retryable =
            throttled || [500, 502, 503, 504].contains(&status.as_u16()) || TRANSIENT_CODES.contains(&code.as_str());
        let retry_after = headers
            .get("x-amz-retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_millis);
        retryable.then_some(Retry { throttled, retry_after })
    }

    /// botocore's `ExponentialBackoff.delay_amount`: `fraction` (uniform in [0, 1)) of `2^(attempt - 1)` times
    /// 1 s (throttled) or 50 ms, that product at most 20 s (`attempt` = the attempt that just failed, from 1);
    /// raised to `x-amz-retry-after`, but by at most 5 s.
    fn wait(self, attempt: u32, fraction: f64) -> Duration {
        let scale = if self.throttled { 1.0 } else { 0.05 };
        let ceiling = (scale * 2f64.powi(attempt.saturating_sub(1).min(30) as i32)).min(20.0);
        let t = Duration::from_secs_f64(fraction.clamp(0.0, 1.0) * ceiling);
        match self.retry_after {
            Some(after) => t.max(after.min(t + Duration::from_secs(5))),
            None => t,
        }
    }
}

/// A uniform random number in `[0, 1)` (Python's `random.random()`), from the same thread-local
/// generator as the v4 ids.
fn random_fraction() -> f64 {
    (uuid::Uuid::new_v4().as_u128() >> 75) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_wait_as_botocore_s_standard_mode() {
        use super::{Duration, HeaderMap, Retry, StatusCode, random_fraction};
        let plain = Retry::default();
        assert_eq!(plain.wait(1, 0.5), Duration::from_millis(25));
        assert_eq!(plain.wait(3, 0.5), Duration::from_millis(100));
        assert_eq!(plain.wait(1, 0.0), Duration::ZERO);
        let throttled = Retry {
            throttled: true,
            retry_after: None,
        };
        assert_eq!(throttled.wait(2, 0.5), Duration::from_secs(1));
        assert_eq!(throttled.wait(9, 0.5), Duration::from_secs(10), "the ceiling is 20 s");
        let after = |ms| Retry {
            throttled: false,
            retry_after: Some(Duration::from_millis(ms)),
        };
        assert_eq!(after(3000).wait(1, 0.5), Duration::from_secs(3));
        assert_eq!(
            after(60_000).wait(1, 0.0),
            Duration::from_secs(5),
            "raised by at most 5 s"
        );
        assert_eq!(after(1).wait(3, 0.5), Duration::from_millis(100), "never lowered");

        let headers = |v: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert("x-amz-retry-after", v.parse().unwrap());
            }
            h
        };
        let code = |c: &str| format!("<Error><Code>{c}</Code><Message>m</Message></Error>").into_bytes();
        let of =
            |status: u16, h: HeaderMap, body: &[u8]| Retry::of_answer(StatusCode::from_u16(status).unwrap(), &h, body);
        assert_eq!(of(503, headers(None), b""), Some(plain));
        assert_eq!(of(503, headers(None), &code("SlowDown")), Some(throttled));
        assert_eq!(
            of(429, headers(Some("1500")), b""),
            Some(Retry {
                throttled: true,
                retry_after: Some(Duration::from_millis(1500)),
            })
        );
        assert_eq!(of(400, headers(None), &code("RequestTimeout")), Some(plain));
        assert_eq!(of(400, headers(None), &code("Throttling")), Some(throttled));
        assert_eq!(of(404, headers(None), &code("NoSuchKey")), None);
        assert_eq!(of(403, headers(None), b""), None);

        let draws: Vec<f64> = (0..1000).map(|_| random_fraction()).collect();
        assert!(draws.iter().all(|f| (0.0..1.0).contains(f)));
        let mean = draws.iter().sum::<f64>() / draws.len() as f64;
        assert!((0.4..0.6).contains(&mean), "not uniform: mean {mean}");
    }

    use super::sigv4::{self, Request};
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const VANILLA_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    /// AWS's "Deriving the signing key" example (secret, 20120215, us-east-1, iam).
    #[test]
    fn signing_key_matches_aws_example() {
        assert_eq!(
            hex::encode(sigv4::signing_key(VANILLA_SECRET, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    /// The SigV4 test suite's `get-vanilla` and `get-vanilla-query-order-key-case`.
    #[test]
    fn get_vanilla_test_vectors() {
        let headers = h(&[("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]);
        let creds = S3Credentials::new("AKIDEXAMPLE", VANILLA_SECRET);
        let r = Request {
            method: "GET",
            path: "/",
            query: "",
            headers: &headers,
            payload_sha256: sigv4::EMPTY_SHA256,
        };
        let (canonical, signed) = sigv4::canonical_request(&r);
        assert_eq!(
            canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(signed, "host;x-amz-date");
        assert_eq!(
            sigv4::string_to_sign(
                "20150830T123600Z",
                &sigv4::scope("20150830T123600Z", "us-east-1", "service"),
                &canonical
            ),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n\
             bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        );
        assert_eq!(
            sigv4::authorization(&creds, "us-east-1", "service", "20150830T123600Z", &r),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
        let r = Request {
            query: "Param2=value2&Param1=value1",
            ..r
        };
        assert_eq!(
            sigv4::signature(VANILLA_SECRET, "us-east-1", "service", "20150830T123600Z", &r),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
        // A different secret, region or date gives another signature.
        assert_ne!(
            sigv4::signature("wrong", "us-east-1", "service", "20150830T123600Z", &r),
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"
        );
    }

    /// The S3 documentation's "GET Object" example (bytes 0-9 of examplebucket/test.txt).
    #[test]
    fn s3_get_object_example() {
        let headers = h(&[
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", sigv4::EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
        ]);
        let r = Request {
            method: "GET",
            path: "/test.txt",
            query: "",
            headers: &headers,
            payload_sha256: sigv4::EMPTY_SHA256,
        };
        let (canonical, _) = sigv4::canonical_request(&r);
        assert_eq!(
            sigv4::string_to_sign("20130524T000000Z", "20130524/us-east-1/s3/aws4_request", &canonical),
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n\
             7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"
        );
        let creds = S3Credentials::new("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        assert_eq!(
            sigv4::authorization(&creds, "us-east-1", "s3", "20130524T000000Z", &r),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
             SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, \
             Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        );
    }

    #[test]
    fn objects_are_addressed_as_botocore_does() {
        let creds = S3Credentials::new("AK", "SK");
        let c = S3Client::new("http://127.0.0.1:9000", creds.clone()).unwrap();
        // botocore 1.44.8: head_object(Bucket='mybucket', Key=...) on endpoint_url='http://127.0.0.1:9000'.
        assert_eq!(
            c.url("mybucket", Some("dir/a b+c.jar")).unwrap().as_str(),
            "http://127.0.0.1:9000/mybucket/dir/a%20b%2Bc.jar"
        );
        assert_eq!(
            c.url("mybucket", Some("a~b!c*d'e(f)g;h:i@j&k=l$m,n")).unwrap().as_str(),
            "http://127.0.0.1:9000/mybucket/a~b%21c%2Ad%27e%28f%29g%3Bh%3Ai%40j%26k%3Dl%24m%2Cn"
        );
        assert_eq!(
            c.url("mybucket", Some("é/ü x")).unwrap().path(),
            "/mybucket/%C3%A9/%C3%BC%20x"
        );
        assert_eq!(c.url("mybucket", Some("/lead")).unwrap().path(), "/mybucket//lead");
        assert_eq!(c.url("mybucket", Some("?q#f")).unwrap().path(), "/mybucket/%3Fq%23f");
        assert!(c.url("mybucket", Some("")).is_err());
        assert!(c.url("b:c", Some("k")).is_err());
        assert!(c.url("", Some("k")).is_err());
        assert!(c.url("b", Some("a/../k")).is_err());
        // A custom endpoint's path is kept (and its trailing slash dropped); DNS names stay path-style.
        let c = S3Client::new("https://s3.example.com/prefix/", creds.clone()).unwrap();
        assert_eq!(
            c.url("mybucket", Some("k")).unwrap().as_str(),
            "https://s3.example.com/prefix/mybucket/k"
        );
        let virt = S3Client::with_options(
            "https://s3.example.com",
            creds.clone(),
            S3Options {
                addressing: Addressing::VirtualHost,
                ..S3Options::default()
            },
        )
        .unwrap();
        assert_eq!(
            virt.url("mybucket", Some("k")).unwrap().as_str(),
            "https://mybucket.s3.example.com/k"
        );
        assert_eq!(
            virt.url("My_Bucket", Some("k")).unwrap().as_str(),
            "https://s3.example.com/My_Bucket/k"
        );
        assert_eq!(host_header(&Url::parse("http://h:8080/x").unwrap()), "h:8080");
        assert_eq!(host_header(&Url::parse("https://h:443/x").unwrap()), "h");
    }

    #[test]
    fn endpoints_botocore_refuses_are_invalid() {
        let creds = S3Credentials::new("AK", "SK");
        for bad in [
            "127.0.0.1:9000",
            "s3.example.com",
            "localhost:9000",
            "http://",
            "http://my_host:1",
            "",
        ] {
            let e = S3Client::new(bad, creds.clone()).unwrap_err();
            assert_eq!(e.to_string(), format!("Invalid endpoint: {bad}"), "{bad}");
        }
        for good in [
            "http://localhost:9000",
            "https://[::1]:9000",
            "http://s3.example.com./x",
        ] {
            S3Client::new(good, creds.clone()).unwrap_or_else(|e| panic!("{good}: {e}"));
        }
    }

    #[test]
    fn error_documents_are_read_as_botocore_shows_them() {
        let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>a&amp;b</Key></Error>"#;
        assert_eq!(
            error_of(body, StatusCode::NOT_FOUND),
            ("NoSuchKey".into(), "The specified key does not exist.".into())
        );
        assert_eq!(error_of(b"", StatusCode::FORBIDDEN), ("403".into(), "Forbidden".into()));
        assert_eq!(xml_unescape("a&amp;lt;b&lt;"), "a&lt;b<");
    }

    #[test]
    fn the_secret_is_not_shown() {
        let creds = S3Credentials::new("AK", "very-secret");
        let c = S3Client::new("http://127.0.0.1:9", creds).unwrap();
        assert!(!format!("{c:?}").contains("very-secret"));
    }
}
