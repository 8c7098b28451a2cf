//! Nova (compute v2.1 endpoint, no microversion, as Sahara's `novaclient.Client('2')`):
//! flavors (Sahara's flavor check and the Heat template's disk sizes), keypairs (the
//! cluster's `user_keypair_id`), servers (instance info, addresses), server groups,
//! availability zones and limits (quota checks).

use std::collections::BTreeMap;

use reqwest::Method;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};

use crate::config::Service;
use crate::error::Result;
use crate::http::{query, segment};
use crate::session::Session;

/// A flavor.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Flavor {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// RAM in MiB.
    #[serde(default)]
    pub ram: u64,
    /// Virtual CPUs.
    #[serde(default)]
    pub vcpus: u64,
    /// Root disk in GiB.
    #[serde(default)]
    pub disk: u64,
    /// Ephemeral disk in GiB.
    #[serde(default, rename = "OS-FLV-EXT-DATA:ephemeral")]
    pub ephemeral: u64,
    /// Swap in MiB (Nova answers `""` for none).
    #[serde(default, deserialize_with = "int_or_empty")]
    pub swap: u64,
    /// Whether every project may use it.
    #[serde(default = "yes", rename = "os-flavor-access:is_public")]
    pub is_public: bool,
}

fn yes() -> bool {
    true
}

fn int_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64().unwrap_or(0),
        Value::String(s) => s.parse().unwrap_or(0),
        _ => 0,
    })
}

/// A keypair.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Keypair {
    /// Its name.
    pub name: String,
    /// The public key (OpenSSH format).
    #[serde(default)]
    pub public_key: String,
    /// Its fingerprint.
    #[serde(default)]
    pub fingerprint: String,
    /// The private key, only when Nova generated the pair.
    #[serde(default)]
    pub private_key: Option<String>,
}

/// One address of a server on a network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerAddress {
    /// The IP address.
    pub addr: String,
    /// 4 or 6.
    #[serde(default)]
    pub version: u8,
    /// `fixed` or `floating`.
    #[serde(default, rename = "OS-EXT-IPS:type")]
    pub kind: Option<String>,
    /// The port's MAC address.
    #[serde(default, rename = "OS-EXT-IPS-MAC:mac_addr")]
    pub mac_addr: Option<String>,
}

/// A server.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Server {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// `BUILD`, `ACTIVE`, `ERROR`, ...
    #[serde(default)]
    pub status: String,
    /// Addresses per network name.
    #[serde(default)]
    pub addresses: BTreeMap<String, Vec<ServerAddress>>,
    /// Its flavor reference.
    #[serde(default)]
    pub flavor: Value,
    /// Its image reference (`""` when booted from a volume).
    #[serde(default)]
    pub image: Value,
    /// Its keypair.
    #[serde(default)]
    pub key_name: Option<String>,
    /// Its metadata.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The host digest (`hostId`), for anti-affinity checks.
    #[serde(default, rename = "hostId")]
    pub host_id: Option<String>,
    /// Its availability zone.
    #[serde(default, rename = "OS-EXT-AZ:availability_zone")]
    pub availability_zone: Option<String>,
    /// Why it is in ERROR.
    #[serde(default)]
    pub fault: Option<Value>,
    /// Its project.
    #[serde(default)]
    pub tenant_id: Option<String>,
}

/// A server group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its policies (`anti-affinity`, ...).
    #[serde(default)]
    pub policies: Vec<String>,
    /// The servers in it.
    #[serde(default)]
    pub members: Vec<String>,
}

/// An availability zone.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AvailabilityZone {
    /// Its name.
    #[serde(rename = "zoneName")]
    pub name: String,
    /// Whether it is available.
    #[serde(rename = "zoneState", deserialize_with = "zone_available", default)]
    pub available: bool,
}

fn zone_available<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(Value::deserialize(d)?
        .get("available")
        .and_then(Value::as_bool)
        .unwrap_or(false))
}

/// The absolute limits and usage (`maxTotalInstances`, `totalInstancesUsed`, ...; `-1`: none).
pub type AbsoluteLimits = BTreeMap<String, i64>;

/// Nova with a session.
#[derive(Debug, Clone, Copy)]
pub struct Nova<'a> {
    session: &'a Session,
}

impl<'a> Nova<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Nova { session }
    }

    fn url(&self, path: &str) -> Result<String> {
        Ok(format!("{}{path}", self.session.endpoint(Service::Compute)?))
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, op: &str, path: &str) -> Result<T> {
        self.session
            .json(Service::Compute, op, Method::GET, self.url(path)?, None)
            .await
    }

    /// A flavor by id (404: `NotFound`).
    pub async fn get_flavor(&self, id: &str) -> Result<Flavor> {
        #[derive(Deserialize)]
        struct W {
            flavor: Flavor,
        }
        let w: W = self
            .get("nova.get_flavor", &format!("/flavors/{}", segment(id)))
            .await?;
        Ok(w.flavor)
    }

    /// Every flavor the project may use, with details (Sahara's `check_flavor_exists` lists).
    pub async fn list_flavors(&self) -> Result<Vec<Flavor>> {
        #[derive(Deserialize)]
        struct W {
            flavors: Vec<Flavor>,
        }
        let w: W = self.get("nova.list_flavors", "/flavors/detail").await?;
        Ok(w.flavors)
    }

    /// A keypair by name.
    pub async fn get_keypair(&self, name: &str) -> Result<Keypair> {
        #[derive(Deserialize)]
        struct W {
            keypair: Keypair,
        }
        let w: W = self
            .get("nova.get_keypair", &format!("/os-keypairs/{}", segment(name)))
            .await?;
        Ok(w.keypair)
    }

    /// Imports `public_key` as keypair `name` (Nova generates one when `None`).
    pub async fn create_keypair(&self, name: &str, public_key: Option<&str>) -> Result<Keypair> {
        #[derive(Deserialize)]
        struct W {
            keypair: Keypair,
        }
        let mut kp = json!({"name": name});
        if let Some(k) = public_key {
            kp["public_key"] = json!(k);
        }
        let w: W = self
            .session
            .json(
                Service::Compute,
                "nova.create_keypair",
                Method::POST,
                self.url("/os-keypairs")?,
                Some(json!({"keypair": kp})),
            )
            .await?;
        Ok(w.keypair)
    }

    /// Deletes a keypair.
    pub async fn delete_keypair(&self, name: &str) -> Result<()> {
        self.session
            .no_content(
                Service::Compute,
                "nova.delete_keypair",
                Method::DELETE,
                self.url(&format!("/os-keypairs/{}", segment(name)))?,
                None,
            )
            .await
    }

    /// A server by id (Sahara's `get_instance_info`).
    pub async fn get_server(&self, id: &str) -> Result<Server> {
        #[derive(Deserialize)]
        struct W {
            server: Server,
        }
        let w: W = self
            .get("nova.get_server", &format!("/servers/{}", segment(id)))
            .await?;
        Ok(w.server)
    }

    /// The project's servers with details, filtered by `filters` (`name` is a regex in Nova).
    pub async fn list_servers(&self, filters: &[(&str, String)]) -> Result<Vec<Server>> {
        #[derive(Deserialize)]
        struct W {
            servers: Vec<Server>,
        }
        let w: W = self
            .get("nova.list_servers", &format!("/servers/detail{}", query(filters)))
            .await?;
        Ok(w.servers)
    }

    /// Deletes a server.
    pub async fn delete_server(&self, id: &str) -> Result<()> {
        self.session
            .no_content(
                Service::Compute,
                "nova.delete_server",
                Method::DELETE,
                self.url(&format!("/servers/{}", segment(id)))?,
                None,
            )
            .await
    }

    /// The project's server groups.
    pub async fn list_server_groups(&self) -> Result<Vec<ServerGroup>> {
        #[derive(Deserialize)]
        struct W {
            server_groups: Vec<ServerGroup>,
        }
        let w: W = self.get("nova.list_server_groups", "/os-server-groups").await?;
        Ok(w.server_groups)
    }

    /// A server group by id.
    pub async fn get_server_group(&self, id: &str) -> Result<ServerGroup> {
        #[derive(Deserialize)]
        struct W {
            server_group: ServerGroup,
        }
        let w: W = self
            .get("nova.get_server_group", &format!("/os-server-groups/{}", segment(id)))
            .await?;
        Ok(w.server_group)
    }

    /// Creates a server group with one policy.
    pub async fn create_server_group(&self, name: &str, policy: &str) -> Result<ServerGroup> {
        #[derive(Deserialize)]
        struct W {
            server_group: ServerGroup,
        }
        let w: W = self
            .session
            .json(
                Service::Compute,
                "nova.create_server_group",
                Method::POST,
                self.url("/os-server-groups")?,
                Some(json!({"server_group": {"name": name, "policies": [policy]}})),
            )
            .await?;
        Ok(w.server_group)
    }

    /// Deletes a server group.
    pub async fn delete_server_group(&self, id: &str) -> Result<()> {
        self.session
            .no_content(
                Service::Compute,
                "nova.delete_server_group",
                Method::DELETE,
                self.url(&format!("/os-server-groups/{}", segment(id)))?,
                None,
            )
            .await
    }

    /// The availability zones (Sahara's node group `availability_zone` check).
    pub async fn availability_zones(&self) -> Result<Vec<AvailabilityZone>> {
        #[derive(Deserialize)]
        struct W {
            #[serde(rename = "availabilityZoneInfo")]
            zones: Vec<AvailabilityZone>,
        }
        let w: W = self.get("nova.availability_zones", "/os-availability-zone").await?;
        Ok(w.zones)
    }

    /// The project's absolute limits and usage (Sahara's quota check).
    pub async fn absolute_limits(&self) -> Result<AbsoluteLimits> {
        let v: Value = self.get("nova.limits", "/limits").await?;
        Ok(numbers(v.pointer("/limits/absolute")))
    }
}

/// The integer fields of a JSON object (others skipped).
pub(crate) fn numbers(v: Option<&Value>) -> BTreeMap<String, i64> {
    v.and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| v.as_i64().map(|n| (k.clone(), n)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_with_empty_swap_and_unknown_fields_parse() {
        let f: Flavor = serde_json::from_value(json!({"id": "42", "name": "m1.nano", "ram": 128, "vcpus": 1,
            "disk": 1, "swap": "", "OS-FLV-EXT-DATA:ephemeral": 0, "links": [], "rxtx_factor": 1.0}))
        .unwrap();
        assert_eq!((f.id.as_str(), f.swap, f.is_public), ("42", 0, true));
        let z: AvailabilityZone =
            serde_json::from_value(json!({"zoneName": "nova", "zoneState": {"available": true}, "hosts": null}))
                .unwrap();
        assert!(z.available);
    }
}
