//! [`HttpClient`]: HTTP/1.1 to a service of an instance (Oozie, a manager's REST API) over
//! the same path SSH uses (Sahara's `get_http_client`): TCP, the proxy command (expanded
//! with the service's port), or `nc <host> <port>` on the proxy gateway. One connection
//! per request, closed (and its proxy process ended) when the response is read.

use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Response, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tracing::Instrument;

use crate::access::{Endpoint, Hop, InstanceAccess, PrivateKey};
use crate::error::{RemoteError, Result};
use crate::settings::RemoteSettings;
use crate::transport::{Abort, ProxyProcess, Tunnel, connect_node};

/// A byte stream hyper can speak HTTP over.
trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// What a request's connection went through, ended after the response.
enum Carried {
    Nothing,
    Proxy(ProxyProcess),
    Tunnel(Tunnel),
}

/// Sends HTTP requests to `http://<access ip>:<port>` of one instance.
#[derive(Debug, Clone)]
pub struct HttpClient {
    host: String,
    port: u16,
    hop: Hop,
    gateway: Option<Endpoint>,
    key: PrivateKey,
    connect_timeout: Duration,
    timeout: Option<Duration>,
    span: tracing::Span,
}

impl HttpClient {
    /// The client of `port` on the instance of `access` (connections are opened per request;
    /// connecting is bounded by `ssh_timeout_common`).
    pub fn new(settings: &RemoteSettings, access: &InstanceAccess, port: u16) -> Result<HttpClient> {
        let path = access.path(settings)?;
        let span = tracing::debug_span!(
            "instance_http",
            cluster_id = %access.cluster_id,
            instance_id = %access.instance.instance_id,
            host = %path.host,
            port,
        );
        tracing::debug!(parent: &span, "Retrieving HTTP session for {}:{port}", path.host);
        Ok(HttpClient {
            host: path.host,
            port,
            hop: path.hop,
            gateway: path.gateway,
            key: access.private_key.clone(),
            connect_timeout: settings.ssh_timeout_common,
            timeout: None,
            span,
        })
    }

    /// The same client with every request (connecting included) bounded by `timeout`.
    pub fn with_timeout(mut self, timeout: Duration) -> HttpClient {
        self.timeout = Some(timeout);
        self
    }

    /// `http://<host>:<port>`, the prefix of the URLs this client accepts.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.authority())
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// `GET path` (a path with query, or a full URL under [`base_url`](HttpClient::base_url)).
    pub async fn get(&self, path: &str) -> Result<Response<Bytes>> {
        let request = Request::get(path)
            .body(Bytes::new())
            .map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
        self.send(request).await
    }

    /// Sends `request` (its URI a path with query, or a full URL under
    /// [`base_url`](HttpClient::base_url)) and reads the whole response.
    pub async fn send<B: Into<Bytes>>(&self, request: Request<B>) -> Result<Response<Bytes>> {
        let (mut parts, body) = request.into_parts();
        parts.uri = self.origin_form(&parts.uri)?;
        if !parts.headers.contains_key(HOST) {
            let host =
                HeaderValue::from_str(&self.authority()).map_err(|e| RemoteError::InvalidRequest(e.to_string()))?;
            parts.headers.insert(HOST, host);
        }
        let description = format!("{} {}", parts.method, parts.uri);
        let request = Request::from_parts(parts, Full::new(body.into()));
        let exchange = self.exchange(request).instrument(self.span.clone());
        match self.timeout {
            None => exchange.await,
            Some(timeout) => tokio::time::timeout(timeout, exchange)
                .await
                .map_err(|_| RemoteError::Timeout {
                    operation: description,
                    timeout,
                })?,
        }
    }

    /// The request target hyper sends: the path and query of `uri`, which must be under
    /// this client's base URL when absolute.
    fn origin_form(&self, uri: &Uri) -> Result<Uri> {
        if let Some(authority) = uri.authority() {
            let host = authority.host().trim_start_matches('[').trim_end_matches(']');
            if uri.scheme_str() != Some("http") || host != self.host || authority.port_u16().unwrap_or(80) != self.port
            {
                return Err(RemoteError::InvalidRequest(format!(
                    "{uri} is not under {}",
                    self.base_url()
                )));
            }
        }
        let target = uri.path_and_query().map_or("/", |p| p.as_str());
        let target = if target.is_empty() { "/" } else { target };
        target
            .parse()
            .map_err(|e: hyper::http::uri::InvalidUri| RemoteError::InvalidRequest(e.to_string()))
    }

    async fn exchange(&self, request: Request<Full<Bytes>>) -> Result<Response<Bytes>> {
        let http_err = |source| RemoteError::Http {
            host: self.host.clone(),
            port: self.port,
            source,
        };
        let (io, carried) = self.open().await?;
        let result = async {
            let (mut sender, mut connection) =
                hyper::client::conn::http1::handshake::<_, Full<Bytes>>(TokioIo::new(io))
                    .await
                    .map_err(http_err)?;
            let exchange = async {
                let response = sender.send_request(request).await?;
                let (parts, body) = response.into_parts();
                let body = body.collect().await?.to_bytes();
                Ok::<_, hyper::Error>(Response::from_parts(parts, body))
            };
            tokio::pin!(exchange);
            // The connection must be driven while the exchange runs.
            tokio::select! {
                r = &mut exchange => r.map_err(http_err),
                c = &mut connection => match c {
                    Ok(()) => exchange.await.map_err(http_err),
                    Err(e) => Err(http_err(e)),
                },
            }
        }
        .await;
        // The stream is gone: end what carried it.
        match carried {
            Carried::Nothing => {}
            Carried::Proxy(mut process) => {
                let _ = tokio::task::spawn_blocking(move || process.terminate()).await;
            }
            Carried::Tunnel(tunnel) => {
                let _ = tokio::task::spawn_blocking(move || tunnel.finish()).await;
            }
        }
        result
    }

    /// Opens a byte stream to the service.
    async fn open(&self) -> Result<(Box<dyn Io>, Carried)> {
        let local_err = |source| RemoteError::Local {
            context: "cannot register a socket with the runtime",
            source,
        };
        match (&self.gateway, &self.hop) {
            (None, Hop::Direct) => {
                let connect = tokio::net::TcpStream::connect((self.host.as_str(), self.port));
                let stream = tokio::time::timeout(self.connect_timeout, connect)
                    .await
                    .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))
                    .and_then(|r| r)
                    .map_err(|source| RemoteError::Connect {
                        host: self.host.clone(),
                        port: self.port,
                        source,
                    })?;
                let _ = stream.set_nodelay(true);
                Ok((Box::new(stream), Carried::Nothing))
            }
            (None, Hop::Command(command)) => {
                let (sock, process) = ProxyProcess::spawn(command, self.port)?;
                sock.set_nonblocking(true).map_err(local_err)?;
                let sock = tokio::net::UnixStream::from_std(sock).map_err(local_err)?;
                Ok((Box::new(sock), Carried::Proxy(process)))
            }
            (Some(gateway), hop) => {
                let (hop, gateway, key) = (hop.clone(), gateway.clone(), self.key.clone());
                let (host, port, timeout) = (self.host.clone(), self.port, self.connect_timeout);
                let abort = Abort::default();
                let watched = abort.clone();
                let span = tracing::Span::current();
                let open = tokio::task::spawn_blocking(move || {
                    let _span = span.enter();
                    let link = connect_node(&hop, &gateway, &key, timeout, &watched)?;
                    Tunnel::open(link, &host, port)
                });
                let (sock, tunnel) = match tokio::time::timeout(timeout, open).await {
                    Ok(Ok(r)) => r?,
                    Ok(Err(join)) => {
                        return Err(RemoteError::Local {
                            context: "the gateway connection's thread failed",
                            source: std::io::Error::other(join.to_string()),
                        });
                    }
                    Err(_) => {
                        abort.fire();
                        return Err(RemoteError::Timeout {
                            operation: format!("Connecting to {}:{} through the proxy gateway", self.host, self.port),
                            timeout,
                        });
                    }
                };
                sock.set_nonblocking(true).map_err(local_err)?;
                let sock = tokio::net::UnixStream::from_std(sock).map_err(local_err)?;
                Ok((Box::new(sock), Carried::Tunnel(tunnel)))
            }
        }
    }
}
