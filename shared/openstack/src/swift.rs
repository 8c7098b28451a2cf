//! Swift (`object-store`, the project's account URL): containers and objects, as EDP job
//! binaries and data sources use them (`client_from_token`: the session's token on the
//! catalog's account URL, with the same retries).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;

use crate::config::Service;
use crate::error::Result;
use crate::http::{Payload, Reply, object_path, segment};
use crate::session::Session;

/// An object's listing entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ObjectInfo {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    #[serde(default)]
    pub bytes: u64,
    /// Its MD5.
    #[serde(default)]
    pub hash: String,
    /// Its content type.
    #[serde(default)]
    pub content_type: String,
}

/// An object, read whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its content.
    pub data: Vec<u8>,
    /// Its headers (lower-case names): `etag`, `content-type`, `x-object-meta-*`, ...
    pub headers: BTreeMap<String, String>,
}

fn headers(r: &Reply) -> BTreeMap<String, String> {
    r.headers
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str().to_string(), v.to_string())))
        .collect()
}

/// Swift with a session.
#[derive(Debug, Clone, Copy)]
pub struct Swift<'a> {
    session: &'a Session,
}

impl<'a> Swift<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Swift { session }
    }

    /// The URL of an object (of the container when `object` is `None`), as swiftclient shows it in its errors.
    pub fn url(&self, container: &str, object: Option<&str>) -> Result<String> {
        let base = self.session.endpoint(Service::ObjectStore)?;
        Ok(match object {
            Some(o) => format!("{base}/{}/{}", segment(container), object_path(o)),
            None => format!("{base}/{}", segment(container)),
        })
    }

    async fn send(&self, op: &str, method: Method, url: String, payload: Payload) -> Result<Reply> {
        self.session
            .send(Service::ObjectStore, op, method, url, payload, Vec::new())
            .await
    }

    /// Creates a container (or keeps an existing one).
    pub async fn put_container(&self, container: &str) -> Result<()> {
        self.send(
            "swift.put_container",
            Method::PUT,
            self.url(container, None)?,
            Payload::Empty,
        )
        .await?;
        Ok(())
    }

    /// A container's headers (`x-container-object-count`, ...).
    pub async fn head_container(&self, container: &str) -> Result<BTreeMap<String, String>> {
        let r = self
            .send(
                "swift.head_container",
                Method::HEAD,
                self.url(container, None)?,
                Payload::Empty,
            )
            .await?;
        Ok(headers(&r))
    }

    /// The objects of a container (the first page, up to Swift's listing limit), optionally under `prefix`.
    pub async fn get_container(&self, container: &str, prefix: Option<&str>) -> Result<Vec<ObjectInfo>> {
        let mut q = vec![("format", "json".to_string())];
        if let Some(p) = prefix {
            q.push(("prefix", p.to_string()));
        }
        let url = format!("{}{}", self.url(container, None)?, crate::http::query(&q));
        let r = self
            .send("swift.get_container", Method::GET, url, Payload::Empty)
            .await?;
        if r.body.is_empty() {
            return Ok(Vec::new());
        }
        r.json(Service::ObjectStore)
    }

    /// Deletes an empty container.
    pub async fn delete_container(&self, container: &str) -> Result<()> {
        self.send(
            "swift.delete_container",
            Method::DELETE,
            self.url(container, None)?,
            Payload::Empty,
        )
        .await?;
        Ok(())
    }

    /// Writes an object; returns its ETag.
    pub async fn put_object(&self, container: &str, name: &str, data: Vec<u8>) -> Result<String> {
        let r = self
            .send(
                "swift.put_object",
                Method::PUT,
                self.url(container, Some(name))?,
                Payload::Bytes(data),
            )
            .await?;
        Ok(r.header("etag").unwrap_or_default().trim_matches('"').to_string())
    }

    /// Reads an object whole.
    pub async fn get_object(&self, container: &str, name: &str) -> Result<Object> {
        let r = self
            .send(
                "swift.get_object",
                Method::GET,
                self.url(container, Some(name))?,
                Payload::Empty,
            )
            .await?;
        Ok(Object {
            headers: headers(&r),
            data: r.body,
        })
    }

    /// An object's headers.
    pub async fn head_object(&self, container: &str, name: &str) -> Result<BTreeMap<String, String>> {
        let r = self
            .send(
                "swift.head_object",
                Method::HEAD,
                self.url(container, Some(name))?,
                Payload::Empty,
            )
            .await?;
        Ok(headers(&r))
    }

    /// Deletes an object.
    pub async fn delete_object(&self, container: &str, name: &str) -> Result<()> {
        self.send(
            "swift.delete_object",
            Method::DELETE,
            self.url(container, Some(name))?,
            Payload::Empty,
        )
        .await?;
        Ok(())
    }
}
