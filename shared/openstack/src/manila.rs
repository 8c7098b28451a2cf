//! Manila, as Sahara's `sahara.utils.openstack.manila` uses it: `client()` (the caller's token,
//! the catalog's `share` endpoint on `internalURL`, `[manila] api_version`, `api_insecure` and
//! `ca_file`) and `get_share` (`GET <endpoint>/shares/<id>`). Sahara calls manilaclient outside
//! `execute_with_retries` and manilaclient does not retry either, so every call is sent once.
//!
//! Sahara's validators (`check_shares`) call `get_share(client, id)`, which answers `None` for a
//! missing share ([`Manila::find_share`]); its share mounting calls it with
//! `raise_on_error=True`, which raises `NotFoundException(id, "Share with id %s was not found.")`
//! ([`share_not_found_message`]).

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::config::Service;
use crate::error::{OpenStackError, Result};
use crate::http::segment;
use crate::session::Session;

/// The share protocols Sahara can mount (`sahara.service.edp.utils.shares.SUPPORTED_SHARE_TYPES`).
pub const SUPPORTED_SHARE_TYPES: [&str; 1] = ["NFS"];

/// The header manilaclient sends the API version in.
pub const API_VERSION_HEADER: &str = "X-Openstack-Manila-Api-Version";

/// The message of Sahara's `NotFoundException` from `get_share(..., raise_on_error=True)`.
pub fn share_not_found_message(share_id: &str) -> String {
    format!("Share with id {share_id} was not found.")
}

/// A manilaclient API version (`APIVersion`), from `[manila] api_version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiVersion {
    /// The major part: 1 or 2 (manilaclient's `v1` and `v2` clients).
    pub major: u32,
    /// The minor part.
    pub minor: u32,
}

impl ApiVersion {
    /// manilaclient's `client.Client(version)`: `1` and `1.0` are 1.0, `2` is 2.0, anything
    /// else must be `X.Y` with a client for `X`; otherwise manilaclient's `UnsupportedVersion`
    /// message.
    pub fn parse(version: &str) -> Result<ApiVersion> {
        let v = match version {
            "1" | "1.0" => ApiVersion { major: 1, minor: 0 },
            "2" => ApiVersion { major: 2, minor: 0 },
            other => {
                let number = |s: &str, zero_ok: bool| {
                    let ok = !s.is_empty()
                        && s.bytes().all(|b| b.is_ascii_digit())
                        && (!s.starts_with('0') || (zero_ok && s == "0"));
                    if ok { s.parse::<u32>().ok() } else { None }
                };
                let parsed = other
                    .split_once('.')
                    .and_then(|(a, b)| Some((number(a, false)?, number(b, true)?)));
                let Some((major, minor)) = parsed else {
                    return Err(OpenStackError::Invalid(format!(
                        "Invalid format of client version '{other}'. Expected format 'X.Y', where X is a major \
                         part and Y is a minor part of version."
                    )));
                };
                ApiVersion { major, minor }
            }
        };
        if !(1..=2).contains(&v.major) {
            return Err(OpenStackError::Invalid(format!(
                "Invalid client version '{}'. must be one of: 1, 2",
                v.major
            )));
        }
        Ok(v)
    }
}

impl std::fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// A share, with what Sahara reads of it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Share {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `creating`, `available`, `error`, ...
    #[serde(default)]
    pub status: Option<String>,
    /// Its protocol (`NFS`, `CIFS`, ...): Sahara mounts only [`SUPPORTED_SHARE_TYPES`].
    #[serde(default)]
    pub share_proto: Option<String>,
    /// Size in GiB.
    #[serde(default)]
    pub size: Option<u64>,
    /// The project owning it.
    #[serde(default)]
    pub project_id: Option<String>,
    /// Whether every project sees it.
    #[serde(default)]
    pub is_public: bool,
    /// Its first export location (API versions before 2.9).
    #[serde(default)]
    pub export_location: Option<String>,
    /// Its export locations (API versions before 2.9).
    #[serde(default)]
    pub export_locations: Vec<Value>,
}

impl Share {
    /// Whether Sahara can mount it (its protocol is one of [`SUPPORTED_SHARE_TYPES`]).
    pub fn is_supported(&self) -> bool {
        self.share_proto
            .as_deref()
            .is_some_and(|p| SUPPORTED_SHARE_TYPES.contains(&p))
    }
}

/// Manila with a session.
#[derive(Debug, Clone, Copy)]
pub struct Manila<'a> {
    session: &'a Session,
}

impl<'a> Manila<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Manila { session }
    }

    /// What `manila.client()` needs before any call: the catalog's `share` endpoint (keystoneauth's
    /// `EndpointNotFound` when missing) and a usable `[manila] api_version`.
    pub fn client(&self) -> Result<(String, ApiVersion)> {
        let endpoint = self.session.endpoint(Service::Share)?;
        let version = ApiVersion::parse(&self.session.transport().config().manila_api_version)?;
        Ok((endpoint, version))
    }

    /// A share by id (`shares.get`): a missing one is [`OpenStackError::NotFound`].
    pub async fn get_share(&self, id: &str) -> Result<Share> {
        #[derive(Deserialize)]
        struct W {
            share: Share,
        }
        let (endpoint, version) = self.client()?;
        let url = format!("{endpoint}/shares/{}", segment(id));
        let w: W = self
            .session
            .json_once(
                Service::Share,
                "manila.get_share",
                Method::GET,
                url,
                vec![(API_VERSION_HEADER, version.to_string())],
            )
            .await?;
        Ok(w.share)
    }

    /// Sahara's `get_share(client, id)`: the share, or `None` when Manila answers 404.
    pub async fn find_share(&self, id: &str) -> Result<Option<Share>> {
        match self.get_share(id).await {
            Ok(s) => Ok(Some(s)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_as_manilaclient_reads_them() {
        let v = |s: &str| ApiVersion::parse(s).map(|v| v.to_string());
        assert_eq!(v("1").unwrap(), "1.0");
        assert_eq!(v("1.0").unwrap(), "1.0");
        assert_eq!(v("2").unwrap(), "2.0");
        assert_eq!(v("2.40").unwrap(), "2.40");
        assert_eq!(v("1.5").unwrap(), "1.5");
        for bad in ["", "x", "2.", "02.1", "2.01", "2.1.1", "latest", " 2.1"] {
            let e = v(bad).unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "Invalid format of client version '{bad}'. Expected format 'X.Y', where X is a major part and Y \
                     is a minor part of version."
                )
            );
        }
        assert_eq!(
            v("3.0").unwrap_err().to_string(),
            "Invalid client version '3'. must be one of: 1, 2"
        );
    }

    #[test]
    fn shares_sahara_can_mount() {
        let share: Share = serde_json::from_value(serde_json::json!({
            "id": "s1", "name": null, "status": "available", "share_proto": "NFS", "size": 1,
            "project_id": "p", "is_public": false, "export_location": "10.0.0.1:/s1", "links": []
        }))
        .unwrap();
        assert!(share.is_supported());
        let cifs = Share {
            share_proto: Some("CIFS".into()),
            ..share.clone()
        };
        assert!(!cifs.is_supported());
        let none = Share {
            share_proto: None,
            ..share
        };
        assert!(!none.is_supported());
        assert_eq!(share_not_found_message("s1"), "Share with id s1 was not found.");
    }
}
