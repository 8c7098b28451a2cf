//! HTTP to the cloud: one `reqwest` client per service group (its CA file and `api_insecure`),
//! requests carrying the session's token, redirects followed keeping the method (as
//! keystoneauth does, which Heat's by-name lookups need), and Sahara's
//! `execute_with_retries`: an answer of 408, 413, 429, 500, 502, 503 or 504 is retried
//! `[retries] retries_number` times, waiting `retry_after` seconds or the service's longer
//! `Retry-After`; any other error is returned at once; connection failures are not retried.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tracing::Instrument;

use crate::config::{ClientConfig, Service};
use crate::error::{OpenStackError, Result, Secret};

/// The statuses Sahara retries (`sahara.utils.openstack.base.ERRORS_TO_RETRY`).
pub const ERRORS_TO_RETRY: [u16; 7] = [408, 413, 429, 500, 502, 503, 504];

/// How many redirects one attempt follows.
const MAX_REDIRECTS: usize = 5;

/// The HTTP side shared by every session of a process: the configuration and one client per
/// service group. Cheap to clone.
#[derive(Clone)]
pub struct Transport {
    config: Arc<ClientConfig>,
    clients: Arc<Vec<reqwest::Client>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Transport {
    /// Builds the clients `config` describes (reads each group's `ca_file`).
    pub fn new(config: ClientConfig) -> Result<Transport> {
        let mut clients = Vec::new();
        for service in Service::ALL {
            let o = config.endpoint(service);
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(config.timeout)
                .connect_timeout(config.connect_timeout)
                .user_agent(concat!("sahara-rs/", env!("CARGO_PKG_VERSION")))
                .danger_accept_invalid_certs(o.api_insecure);
            if let Some(ca) = &o.ca_file {
                let pem = std::fs::read(ca)
                    .map_err(|e| OpenStackError::Invalid(format!("[{}] ca_file {ca}: {e}", service.name())))?;
                let certs = reqwest::Certificate::from_pem_bundle(&pem)
                    .map_err(|e| OpenStackError::Invalid(format!("[{}] ca_file {ca}: {e}", service.name())))?;
                for cert in certs {
                    b = b.add_root_certificate(cert);
                }
            }
            let client = b
                .build()
                .map_err(|e| OpenStackError::Invalid(format!("HTTP client for {}: {e}", service.name())))?;
            clients.push(client);
        }
        Ok(Transport {
            config: Arc::new(config),
            clients: Arc::new(clients),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    fn client(&self, service: Service) -> &reqwest::Client {
        let i = Service::ALL.iter().position(|s| *s == service).unwrap_or(0);
        &self.clients[i]
    }
}

/// What a request sends.
#[derive(Debug, Clone)]
pub(crate) enum Payload {
    /// Nothing.
    Empty,
    /// A JSON body.
    Json(Value),
    /// A JSON body with its own content type (Glance's JSON patch).
    TypedJson(Value, &'static str),
    /// Raw bytes (Swift objects).
    Bytes(Vec<u8>),
}

/// A service's successful answer, read whole.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The status (2xx, or 3xx without a location).
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// The body as JSON of type `T` (unknown fields ignored).
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self, service: Service) -> Result<T> {
        serde_json::from_slice(&self.body).map_err(|e| OpenStackError::decode(service.name(), e))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// One call: everything but the token and transport.
pub(crate) struct Call<'a> {
    pub service: Service,
    pub operation: &'a str,
    pub method: Method,
    pub url: String,
    pub payload: Payload,
    pub headers: Vec<(&'static str, String)>,
}

/// Sends `call` with Sahara's retries.
pub(crate) async fn execute(transport: &Transport, token: Option<&Secret>, call: Call<'_>) -> Result<Reply> {
    execute_with(transport, token, call, true).await
}

/// Sends `call` once, without Sahara's retries (the clients Sahara calls outside
/// `execute_with_retries`, such as Manila's): a retryable status is an error at once.
pub(crate) async fn execute_once(transport: &Transport, token: Option<&Secret>, call: Call<'_>) -> Result<Reply> {
    execute_with(transport, token, call, false).await
}

async fn execute_with(transport: &Transport, token: Option<&Secret>, call: Call<'_>, retry: bool) -> Result<Reply> {
    let policy = transport.config.retries;
    let attempts = policy.retries_number + 1;
    let span = tracing::info_span!("openstack_call", service = call.service.name(), operation = call.operation,
        method = %call.method);
    async move {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (status, headers, body) = send_once(transport, token, &call).await?;
            if status.as_u16() < 400 {
                return Ok(Reply { status, headers, body });
            }
            let code = status.as_u16();
            let message = error_message(&body, status);
            if retry && ERRORS_TO_RETRY.contains(&code) {
                tracing::warn!(
                    "Occasional error occurred during \"{}\" execution: {message} ({code}). Operation will be retried.",
                    call.operation
                );
                if attempt >= attempts {
                    return Err(OpenStackError::MaxRetriesExceeded {
                        operation: call.operation.to_string(),
                        attempts: policy.retries_number,
                        last_status: code,
                        last_message: message,
                    });
                }
                let wait = retry_after(&headers).max(policy.retry_after);
                tokio::time::sleep(wait).await;
                continue;
            }
            tracing::debug!(
                "Permanent error occurred during \"{}\" execution: {message}.",
                call.operation
            );
            let request_id = headers
                .get("x-openstack-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            return Err(if code == 404 {
                OpenStackError::NotFound {
                    service: call.service.name(),
                    message,
                }
            } else {
                OpenStackError::Api {
                    service: call.service.name(),
                    status: code,
                    message,
                    request_id,
                }
            });
        }
    }
    .instrument(span)
    .await
}

/// One attempt, following redirects with the same method and body (303: GET).
async fn send_once(
    transport: &Transport,
    token: Option<&Secret>,
    call: &Call<'_>,
) -> Result<(StatusCode, HeaderMap, Vec<u8>)> {
    let service = call.service.name();
    let mut url = reqwest::Url::parse(&call.url)
        .map_err(|e| OpenStackError::Invalid(format!("{service} URL {}: {e}", call.url)))?;
    let mut method = call.method.clone();
    for _ in 0..=MAX_REDIRECTS {
        let mut req = transport
            .client(call.service)
            .request(method.clone(), url.clone())
            .header("Accept", "application/json");
        if let Some(t) = token {
            let mut v = HeaderValue::from_str(t.expose())
                .map_err(|_| OpenStackError::Invalid("the token is not a valid header value".into()))?;
            v.set_sensitive(true);
            req = req.header("X-Auth-Token", v);
        }
        for (k, v) in &call.headers {
            req = req.header(*k, v);
        }
        if method != Method::GET && method != Method::HEAD {
            req = match &call.payload {
                Payload::Empty => req,
                Payload::Json(v) => req.json(v),
                Payload::TypedJson(v, ct) => req.header("Content-Type", *ct).body(v.to_string()),
                Payload::Bytes(b) => req.body(b.clone()),
            };
        }
        let resp = req.send().await.map_err(|e| OpenStackError::Transport {
            service,
            message: e.to_string(),
            timeout: e.is_timeout(),
        })?;
        let status = resp.status();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if status.is_redirection()
            && status != StatusCode::NOT_MODIFIED
            && let Some(loc) = location
        {
            url = url
                .join(&loc)
                .map_err(|e| OpenStackError::decode(service, format!("redirect to {loc}: {e}")))?;
            if status == StatusCode::SEE_OTHER {
                method = Method::GET;
            }
            tracing::debug!(status = status.as_u16(), to = %url.path(), "following redirect");
            continue;
        }
        let headers = resp.headers().clone();
        let body = resp.bytes().await.map_err(|e| OpenStackError::Transport {
            service,
            message: e.to_string(),
            timeout: e.is_timeout(),
        })?;
        tracing::debug!(status = status.as_u16(), path = %url.path(), "answered");
        return Ok((status, headers, body.to_vec()));
    }
    Err(OpenStackError::decode(service, "too many redirects"))
}

/// The `Retry-After` of an answer, in seconds (0 without one or for a date).
fn retry_after(headers: &HeaderMap) -> Duration {
    headers
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map_or(Duration::ZERO, Duration::from_secs)
}

/// The message of an error answer in any of the services' shapes: Nova/Cinder
/// `{"itemNotFound": {"message"}}`, Neutron `{"NeutronError": {"message"}}`, Keystone
/// `{"error": {"message"}}`, Heat `{"error": {"message"}, "explanation"}`, plain text or HTML
/// (Glance, Swift); the status's reason without a body.
pub fn error_message(body: &[u8], status: StatusCode) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        let msg = |o: &Value| o.get("message").and_then(Value::as_str).map(str::to_string);
        if let Some(m) = msg(&v) {
            return m;
        }
        if let Some(obj) = v.as_object() {
            for key in ["error", "NeutronError"] {
                if let Some(m) = obj.get(key).and_then(msg) {
                    return m;
                }
            }
            if let Some(m) = obj.values().find_map(msg) {
                return m;
            }
            if let Some(m) = obj.get("explanation").and_then(Value::as_str) {
                return m.to_string();
            }
        }
    }
    let text = String::from_utf8_lossy(body);
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                plain.push(' ');
            }
            c if !in_tag => plain.push(c),
            _ => {}
        }
    }
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    if plain.is_empty() {
        format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""))
            .trim()
            .to_string()
    } else {
        plain
    }
}

/// Percent-encodes one path segment (names of keypairs, stacks, containers, objects).
pub(crate) fn segment(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, SEGMENT).to_string()
}

/// Percent-encodes an object name, keeping its `/`.
pub(crate) fn object_path(s: &str) -> String {
    s.split('/').map(segment).collect::<Vec<_>>().join("/")
}

const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A query string from pairs (values percent-encoded), with its `?`; empty without pairs.
pub(crate) fn query(pairs: &[(&str, String)]) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}={}", segment(k), segment(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_of_each_service_shape() {
        let s = StatusCode::NOT_FOUND;
        let m = |b: &str| error_message(b.as_bytes(), s);
        assert_eq!(
            m(r#"{"itemNotFound": {"code": 404, "message": "Flavor 7 could not be found."}}"#),
            "Flavor 7 could not be found."
        );
        assert_eq!(
            m(
                r#"{"NeutronError": {"type": "NetworkNotFound", "message": "Network x could not be found.", "detail": ""}}"#
            ),
            "Network x could not be found."
        );
        assert_eq!(
            m(
                r#"{"error": {"code": 404, "message": "The stack (s) could not be found.", "title": "Not Found"}, "explanation": "e"}"#
            ),
            "The stack (s) could not be found."
        );
        assert_eq!(
            m("<html><h1>Not Found</h1><p>The resource could not be found.</p></html>"),
            "Not Found The resource could not be found."
        );
        assert_eq!(m(""), "404 Not Found");
    }

    #[test]
    fn retry_after_and_encoding() {
        let mut h = HeaderMap::new();
        assert_eq!(retry_after(&h), Duration::ZERO);
        h.insert("retry-after", HeaderValue::from_static("3"));
        assert_eq!(retry_after(&h), Duration::from_secs(3));
        assert_eq!(segment("a b/c"), "a%20b%2Fc");
        assert_eq!(object_path("dir/job 1.jar"), "dir/job%201.jar");
        assert_eq!(
            query(&[("name", "x y".into()), ("show_hidden", "True".into())]),
            "?name=x%20y&show_hidden=True"
        );
        assert_eq!(query(&[]), "");
    }
}
