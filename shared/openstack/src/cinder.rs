//! Cinder v3 (`volumev3`, as Sahara forces `[cinder] api_version = 3`): volume types and
//! availability zones (node group validation), limits and quotas (quota checks), volumes
//! (the engine's detach wait).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::config::Service;
use crate::error::Result;
use crate::http::segment;
use crate::nova::AvailabilityZone;
use crate::session::Session;

/// A volume type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VolumeType {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whether every project may use it.
    #[serde(default = "yes", rename = "os-volume-type-access:is_public")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

/// A volume.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Volume {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `creating`, `available`, `in-use`, `error`, ...
    pub status: String,
    /// Size in GiB.
    #[serde(default)]
    pub size: u64,
    /// Its type.
    #[serde(default)]
    pub volume_type: Option<String>,
    /// Its availability zone.
    #[serde(default)]
    pub availability_zone: Option<String>,
    /// Where it is attached.
    #[serde(default)]
    pub attachments: Vec<Value>,
}

/// Cinder with a session.
#[derive(Debug, Clone, Copy)]
pub struct Cinder<'a> {
    session: &'a Session,
}

impl<'a> Cinder<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Cinder { session }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, op: &str, path: &str) -> Result<T> {
        let url = format!("{}{path}", self.session.endpoint(Service::Volume)?);
        self.session.json(Service::Volume, op, Method::GET, url, None).await
    }

    /// Whether the catalog has Cinder v3 (`check_cinder_exists`).
    pub fn exists(&self) -> bool {
        self.session.has_service(Service::Volume)
    }

    /// The volume types.
    pub async fn volume_types(&self) -> Result<Vec<VolumeType>> {
        #[derive(Deserialize)]
        struct W {
            volume_types: Vec<VolumeType>,
        }
        let w: W = self.get("cinder.volume_types", "/types").await?;
        Ok(w.volume_types)
    }

    /// The volume availability zones.
    pub async fn availability_zones(&self) -> Result<Vec<AvailabilityZone>> {
        #[derive(Deserialize)]
        struct W {
            #[serde(rename = "availabilityZoneInfo")]
            zones: Vec<AvailabilityZone>,
        }
        let w: W = self.get("cinder.availability_zones", "/os-availability-zone").await?;
        Ok(w.zones)
    }

    /// The project's absolute limits and usage (`maxTotalVolumes`, `totalGigabytesUsed`, ...).
    pub async fn absolute_limits(&self) -> Result<BTreeMap<String, i64>> {
        let v: Value = self.get("cinder.limits", "/limits").await?;
        Ok(crate::nova::numbers(v.pointer("/limits/absolute")))
    }

    /// A project's quotas (`volumes`, `gigabytes`, ...).
    pub async fn quotas(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let v: Value = self
            .get("cinder.quotas", &format!("/os-quota-sets/{}", segment(project_id)))
            .await?;
        Ok(crate::nova::numbers(v.get("quota_set")))
    }

    /// A volume by id (Sahara's `get_volume`).
    pub async fn get_volume(&self, id: &str) -> Result<Volume> {
        #[derive(Deserialize)]
        struct W {
            volume: Volume,
        }
        let w: W = self
            .get("cinder.get_volume", &format!("/volumes/{}", segment(id)))
            .await?;
        Ok(w.volume)
    }
}
