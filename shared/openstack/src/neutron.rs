//! Neutron v2.0 (the catalog endpoint, `/v2.0` appended as neutronclient does): networks
//! (Sahara's network and floating IP pool checks: `get_network` is `None` on 404), subnets
//! (private CIDRs), ports (routers' ports), floating IPs, security groups and their rules
//! (auto security groups, the `security_groups` check) and quotas.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Service;
use crate::error::Result;
use crate::http::{query, segment};
use crate::session::Session;

/// A network.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Network {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// `ACTIVE`, ...
    #[serde(default)]
    pub status: String,
    /// Its subnets' ids.
    #[serde(default)]
    pub subnets: Vec<String>,
    /// Whether it is external (a floating IP pool).
    #[serde(default, rename = "router:external")]
    pub external: bool,
    /// Whether it is shared.
    #[serde(default)]
    pub shared: bool,
    /// Its project.
    #[serde(default)]
    pub project_id: Option<String>,
}

/// A subnet.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subnet {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its network.
    pub network_id: String,
    /// Its CIDR.
    pub cidr: String,
    /// 4 or 6.
    #[serde(default)]
    pub ip_version: u8,
    /// Its gateway.
    #[serde(default)]
    pub gateway_ip: Option<String>,
}

/// A port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Port {
    /// Its id.
    pub id: String,
    /// Its network.
    pub network_id: String,
    /// What owns it (a server or router id).
    #[serde(default)]
    pub device_id: String,
    /// `compute:nova`, `network:router_interface`, ...
    #[serde(default)]
    pub device_owner: String,
    /// Its addresses.
    #[serde(default)]
    pub fixed_ips: Vec<FixedIp>,
    /// Its MAC address.
    #[serde(default)]
    pub mac_address: String,
}

/// One address of a port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FixedIp {
    /// The subnet.
    pub subnet_id: String,
    /// The address.
    pub ip_address: String,
}

/// A floating IP.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FloatingIp {
    /// Its id.
    pub id: String,
    /// The external address.
    pub floating_ip_address: String,
    /// Its pool (external network).
    pub floating_network_id: String,
    /// The port it is associated with.
    #[serde(default)]
    pub port_id: Option<String>,
    /// The associated fixed address.
    #[serde(default)]
    pub fixed_ip_address: Option<String>,
    /// `ACTIVE`, `DOWN`.
    #[serde(default)]
    pub status: String,
}

/// A security group rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SecurityGroupRule {
    /// Its id.
    pub id: String,
    /// Its group.
    pub security_group_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6`.
    #[serde(default)]
    pub ethertype: String,
    /// `tcp`, `udp`, `icmp` or none (any).
    #[serde(default)]
    pub protocol: Option<String>,
    /// Lowest port.
    #[serde(default)]
    pub port_range_min: Option<u16>,
    /// Highest port.
    #[serde(default)]
    pub port_range_max: Option<u16>,
    /// Source CIDR.
    #[serde(default)]
    pub remote_ip_prefix: Option<String>,
    /// Source group.
    #[serde(default)]
    pub remote_group_id: Option<String>,
}

/// A rule to create.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewRule {
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6`.
    pub ethertype: String,
    /// Protocol (any when `None`).
    pub protocol: Option<String>,
    /// Lowest port.
    pub port_range_min: Option<u16>,
    /// Highest port.
    pub port_range_max: Option<u16>,
    /// Source CIDR.
    pub remote_ip_prefix: Option<String>,
    /// Source group.
    pub remote_group_id: Option<String>,
}

/// A security group.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SecurityGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Its rules.
    #[serde(default)]
    pub security_group_rules: Vec<SecurityGroupRule>,
}

/// Neutron with a session.
#[derive(Debug, Clone, Copy)]
pub struct Neutron<'a> {
    session: &'a Session,
}

impl<'a> Neutron<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Neutron { session }
    }

    fn url(&self, path: &str) -> Result<String> {
        let base = self.session.endpoint(Service::Network)?;
        let base = if base.ends_with("/v2.0") {
            base
        } else {
            format!("{base}/v2.0")
        };
        Ok(format!("{base}{path}"))
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        op: &str,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<T> {
        self.session
            .json(Service::Network, op, method, self.url(path)?, body)
            .await
    }

    async fn delete(&self, op: &str, path: &str) -> Result<()> {
        self.session
            .no_content(Service::Network, op, Method::DELETE, self.url(path)?, None)
            .await
    }

    /// A network by id.
    pub async fn get_network(&self, id: &str) -> Result<Network> {
        #[derive(Deserialize)]
        struct W {
            network: Network,
        }
        let w: W = self
            .call(
                "neutron.show_network",
                Method::GET,
                &format!("/networks/{}", segment(id)),
                None,
            )
            .await?;
        Ok(w.network)
    }

    /// Sahara's `neutron.get_network`: the network, or `None` when it does not exist.
    pub async fn find_network(&self, id: &str) -> Result<Option<Network>> {
        match self.get_network(id).await {
            Ok(n) => Ok(Some(n)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Networks matching `filters` (e.g. `("router:external", "True")`).
    pub async fn list_networks(&self, filters: &[(&str, String)]) -> Result<Vec<Network>> {
        #[derive(Deserialize)]
        struct W {
            networks: Vec<Network>,
        }
        let w: W = self
            .call(
                "neutron.list_networks",
                Method::GET,
                &format!("/networks{}", query(filters)),
                None,
            )
            .await?;
        Ok(w.networks)
    }

    /// The floating IP pools: external networks.
    pub async fn floating_ip_pools(&self) -> Result<Vec<Network>> {
        self.list_networks(&[("router:external", "True".into())]).await
    }

    /// A subnet by id.
    pub async fn get_subnet(&self, id: &str) -> Result<Subnet> {
        #[derive(Deserialize)]
        struct W {
            subnet: Subnet,
        }
        let w: W = self
            .call(
                "neutron.show_subnet",
                Method::GET,
                &format!("/subnets/{}", segment(id)),
                None,
            )
            .await?;
        Ok(w.subnet)
    }

    /// Sahara's `get_private_network_cidrs`: the CIDRs of a network's subnets.
    pub async fn network_cidrs(&self, network_id: &str) -> Result<Vec<String>> {
        let net = self.get_network(network_id).await?;
        let mut cidrs = Vec::new();
        for s in &net.subnets {
            cidrs.push(self.get_subnet(s).await?.cidr);
        }
        Ok(cidrs)
    }

    /// Ports matching `filters` (`device_id`, `network_id`, ...).
    pub async fn list_ports(&self, filters: &[(&str, String)]) -> Result<Vec<Port>> {
        #[derive(Deserialize)]
        struct W {
            ports: Vec<Port>,
        }
        let w: W = self
            .call(
                "neutron.list_ports",
                Method::GET,
                &format!("/ports{}", query(filters)),
                None,
            )
            .await?;
        Ok(w.ports)
    }

    /// Floating IPs matching `filters`.
    pub async fn list_floating_ips(&self, filters: &[(&str, String)]) -> Result<Vec<FloatingIp>> {
        #[derive(Deserialize)]
        struct W {
            floatingips: Vec<FloatingIp>,
        }
        let w: W = self
            .call(
                "neutron.list_floatingips",
                Method::GET,
                &format!("/floatingips{}", query(filters)),
                None,
            )
            .await?;
        Ok(w.floatingips)
    }

    /// Allocates a floating IP from `pool`, associated with `port_id` if given.
    pub async fn create_floating_ip(&self, pool: &str, port_id: Option<&str>) -> Result<FloatingIp> {
        #[derive(Deserialize)]
        struct W {
            floatingip: FloatingIp,
        }
        let mut fip = json!({"floating_network_id": pool});
        if let Some(p) = port_id {
            fip["port_id"] = json!(p);
        }
        let w: W = self
            .call(
                "neutron.create_floatingip",
                Method::POST,
                "/floatingips",
                Some(json!({"floatingip": fip})),
            )
            .await?;
        Ok(w.floatingip)
    }

    /// Releases a floating IP.
    pub async fn delete_floating_ip(&self, id: &str) -> Result<()> {
        self.delete("neutron.delete_floatingip", &format!("/floatingips/{}", segment(id)))
            .await
    }

    /// A security group by id.
    pub async fn get_security_group(&self, id: &str) -> Result<SecurityGroup> {
        #[derive(Deserialize)]
        struct W {
            security_group: SecurityGroup,
        }
        let w: W = self
            .call(
                "neutron.show_security_group",
                Method::GET,
                &format!("/security-groups/{}", segment(id)),
                None,
            )
            .await?;
        Ok(w.security_group)
    }

    /// The project's security groups (Sahara's `check_security_groups_exist` matches names and ids).
    pub async fn list_security_groups(&self, filters: &[(&str, String)]) -> Result<Vec<SecurityGroup>> {
        #[derive(Deserialize)]
        struct W {
            security_groups: Vec<SecurityGroup>,
        }
        let w: W = self
            .call(
                "neutron.list_security_groups",
                Method::GET,
                &format!("/security-groups{}", query(filters)),
                None,
            )
            .await?;
        Ok(w.security_groups)
    }

    /// Creates a security group (Neutron adds its default egress rules).
    pub async fn create_security_group(&self, name: &str, description: &str) -> Result<SecurityGroup> {
        #[derive(Deserialize)]
        struct W {
            security_group: SecurityGroup,
        }
        let w: W = self
            .call(
                "neutron.create_security_group",
                Method::POST,
                "/security-groups",
                Some(json!({"security_group": {"name": name, "description": description}})),
            )
            .await?;
        Ok(w.security_group)
    }

    /// Deletes a security group.
    pub async fn delete_security_group(&self, id: &str) -> Result<()> {
        self.delete(
            "neutron.delete_security_group",
            &format!("/security-groups/{}", segment(id)),
        )
        .await
    }

    /// Adds a rule to a security group.
    pub async fn create_security_group_rule(&self, group_id: &str, rule: &NewRule) -> Result<SecurityGroupRule> {
        #[derive(Deserialize)]
        struct W {
            security_group_rule: SecurityGroupRule,
        }
        let mut r = json!({"security_group_id": group_id, "direction": rule.direction, "ethertype": rule.ethertype});
        let opt = |v: &Option<String>| v.as_ref().map_or(Value::Null, |s| json!(s));
        r["protocol"] = opt(&rule.protocol);
        r["port_range_min"] = rule.port_range_min.map_or(Value::Null, |p| json!(p));
        r["port_range_max"] = rule.port_range_max.map_or(Value::Null, |p| json!(p));
        r["remote_ip_prefix"] = opt(&rule.remote_ip_prefix);
        r["remote_group_id"] = opt(&rule.remote_group_id);
        let w: W = self
            .call(
                "neutron.create_security_group_rule",
                Method::POST,
                "/security-group-rules",
                Some(json!({"security_group_rule": r})),
            )
            .await?;
        Ok(w.security_group_rule)
    }

    /// Deletes a security group rule.
    pub async fn delete_security_group_rule(&self, id: &str) -> Result<()> {
        self.delete(
            "neutron.delete_security_group_rule",
            &format!("/security-group-rules/{}", segment(id)),
        )
        .await
    }

    /// A project's quotas (`network`, `port`, `floatingip`, `security_group`, ...; `-1`: none).
    pub async fn quotas(&self, project_id: &str) -> Result<BTreeMap<String, i64>> {
        let v: Value = self
            .call(
                "neutron.show_quota",
                Method::GET,
                &format!("/quotas/{}", segment(project_id)),
                None,
            )
            .await?;
        Ok(crate::nova::numbers(v.get("quota")))
    }
}
