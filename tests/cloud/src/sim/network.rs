//! Neutron's operations on [`Cloud`]: networks, subnets, ports, routers and their
//! interfaces, floating IPs, security groups and rules, with Neutron's checks, messages and
//! quotas. Operations that change the host (networks, routers, floating IPs) call the
//! fabric before they answer, so a floating IP is reachable once its association returns.

use super::cloud::Cloud;
use super::context::RequestContext;
use super::error::{Kind, Result, SimError};
use super::ipam::{self, Cidr};
use super::model::*;
use super::state::State;
use crate::fabric;
use std::collections::HashSet;
use std::net::Ipv4Addr;

/// A network to create.
#[derive(Debug, Clone, Default)]
pub struct NetworkCreate {
    /// Name.
    pub name: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// Administrative state (default up).
    pub admin_state_up: Option<bool>,
    /// Shared with every project (admin only).
    pub shared: bool,
    /// `router:external` (admin only).
    pub external: bool,
    /// MTU (default 1450 for VXLAN, 1500 for flat).
    pub mtu: Option<u32>,
    /// `provider:network_type` (admin only).
    pub network_type: Option<String>,
    /// `provider:physical_network` (admin only).
    pub physical_network: Option<String>,
    /// `provider:segmentation_id` (admin only).
    pub segmentation_id: Option<u32>,
    /// Port security of its ports (default true).
    pub port_security_enabled: Option<bool>,
    /// Description.
    pub description: String,
}

/// Changes to a network.
#[derive(Debug, Clone, Default)]
pub struct NetworkUpdate {
    /// New name.
    pub name: Option<String>,
    /// New administrative state.
    pub admin_state_up: Option<bool>,
    /// New shared flag (admin only).
    pub shared: Option<bool>,
    /// New description.
    pub description: Option<String>,
    /// New MTU.
    pub mtu: Option<u32>,
    /// New port security default.
    pub port_security_enabled: Option<bool>,
}

/// A subnet's gateway as asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum GatewaySpec {
    /// The first host address.
    #[default]
    Default,
    /// No gateway (`"gateway_ip": null`).
    None,
    /// This address.
    Ip(Ipv4Addr),
}

/// A subnet to create.
#[derive(Debug, Clone, Default)]
pub struct SubnetCreate {
    /// Its network.
    pub network_id: String,
    /// Its range.
    pub cidr: String,
    /// Name.
    pub name: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// IP version (only 4).
    pub ip_version: Option<u8>,
    /// Gateway.
    pub gateway_ip: GatewaySpec,
    /// Allocation pools (default: the whole range but the gateway).
    pub allocation_pools: Option<Vec<AllocationPool>>,
    /// DHCP flag (default true).
    pub enable_dhcp: Option<bool>,
    /// DNS servers.
    pub dns_nameservers: Vec<String>,
    /// Host routes.
    pub host_routes: Vec<HostRoute>,
    /// Description.
    pub description: String,
}

/// Changes to a subnet.
#[derive(Debug, Clone, Default)]
pub struct SubnetUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New DHCP flag.
    pub enable_dhcp: Option<bool>,
    /// New DNS servers.
    pub dns_nameservers: Option<Vec<String>>,
    /// New host routes.
    pub host_routes: Option<Vec<HostRoute>>,
}

/// A fixed IP as asked for on a port.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FixedIpSpec {
    /// On this subnet.
    pub subnet_id: Option<String>,
    /// This address.
    pub ip_address: Option<Ipv4Addr>,
}

/// A port to create.
#[derive(Debug, Clone, Default)]
pub struct PortCreate {
    /// Its network.
    pub network_id: String,
    /// Name.
    pub name: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// Fixed IPs (default: one from the network's first subnet).
    pub fixed_ips: Option<Vec<FixedIpSpec>>,
    /// MAC address (default: a new `fa:16:3e:..`).
    pub mac_address: Option<String>,
    /// Device id.
    pub device_id: String,
    /// Device owner.
    pub device_owner: String,
    /// Security group ids (default: the project's `default`).
    pub security_groups: Option<Vec<String>>,
    /// Administrative state.
    pub admin_state_up: Option<bool>,
    /// Port security (default: the network's).
    pub port_security_enabled: Option<bool>,
    /// Description.
    pub description: String,
}

/// Changes to a port.
#[derive(Debug, Clone, Default)]
pub struct PortUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New device id.
    pub device_id: Option<String>,
    /// New device owner.
    pub device_owner: Option<String>,
    /// New security groups.
    pub security_groups: Option<Vec<String>>,
    /// New administrative state.
    pub admin_state_up: Option<bool>,
    /// New port security flag.
    pub port_security_enabled: Option<bool>,
}

/// A router's external gateway as asked for.
#[derive(Debug, Clone, Default)]
pub struct GatewayInfo {
    /// The external network.
    pub network_id: String,
    /// SNAT (default true).
    pub enable_snat: Option<bool>,
    /// Addresses asked for on it.
    pub external_fixed_ips: Vec<FixedIpSpec>,
}

/// A router to create.
#[derive(Debug, Clone, Default)]
pub struct RouterCreate {
    /// Name.
    pub name: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// Administrative state.
    pub admin_state_up: Option<bool>,
    /// The external gateway.
    pub external_gateway_info: Option<GatewayInfo>,
    /// Description.
    pub description: String,
}

/// Changes to a router.
#[derive(Debug, Clone, Default)]
pub struct RouterUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New administrative state.
    pub admin_state_up: Option<bool>,
    /// New gateway: `Some(None)` clears it.
    pub external_gateway_info: Option<Option<GatewayInfo>>,
    /// New extra routes.
    pub routes: Option<Vec<HostRoute>>,
}

/// What `add_router_interface` / `remove_router_interface` name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterfaceSpec {
    /// A subnet: a port holding its gateway address is made.
    Subnet(String),
    /// An existing port.
    Port(String),
}

/// What `add_router_interface` / `remove_router_interface` answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceInfo {
    /// The router.
    pub router_id: String,
    /// Its project.
    pub project_id: String,
    /// The interface's port.
    pub port_id: String,
    /// The subnet.
    pub subnet_id: String,
    /// The network.
    pub network_id: String,
}

/// A floating IP to create.
#[derive(Debug, Clone, Default)]
pub struct FloatingIpCreate {
    /// The external network.
    pub floating_network_id: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// A specific address.
    pub floating_ip_address: Option<Ipv4Addr>,
    /// Associate with this port at once.
    pub port_id: Option<String>,
    /// The port's fixed IP to use (default its first IPv4).
    pub fixed_ip_address: Option<Ipv4Addr>,
    /// Description.
    pub description: String,
}

/// Changes to a floating IP.
#[derive(Debug, Clone, Default)]
pub struct FloatingIpUpdate {
    /// `Some(Some(port))` associates, `Some(None)` disassociates.
    pub port_id: Option<Option<String>>,
    /// The port's fixed IP to use.
    pub fixed_ip_address: Option<Ipv4Addr>,
    /// New description.
    pub description: Option<String>,
}

/// A security group to create.
#[derive(Debug, Clone, Default)]
pub struct SecurityGroupCreate {
    /// Name.
    pub name: String,
    /// Owner (admins only may name another project).
    pub project_id: Option<String>,
    /// Description.
    pub description: String,
    /// Stateful (default true).
    pub stateful: Option<bool>,
}

/// A security group rule to create.
#[derive(Debug, Clone, Default)]
pub struct RuleCreate {
    /// The group.
    pub security_group_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` (default) or `IPv6`.
    pub ethertype: Option<String>,
    /// Protocol.
    pub protocol: Option<String>,
    /// Lower port.
    pub port_range_min: Option<u32>,
    /// Upper port.
    pub port_range_max: Option<u32>,
    /// Remote CIDR.
    pub remote_ip_prefix: Option<String>,
    /// Remote group.
    pub remote_group_id: Option<String>,
    /// Description.
    pub description: String,
}

/// Port owners that make a port the network's own (not the tenant's).
pub const ROUTER_INTERFACE: &str = "network:router_interface";
/// A router's gateway port.
pub const ROUTER_GATEWAY: &str = "network:router_gateway";
/// A floating IP's port.
pub const FLOATINGIP_OWNER: &str = "network:floatingip";

fn owner_of(ctx: &RequestContext, asked: Option<&String>) -> Result<String> {
    match asked {
        Some(p) if p != &ctx.project_id && !ctx.is_admin => Err(SimError::forbidden(
            "Specifying 'project_id' or 'tenant_id' other than the authenticated project in request requires admin privileges",
        )),
        Some(p) => Ok(p.clone()),
        None => Ok(ctx.project_id.clone()),
    }
}

fn admin_only(ctx: &RequestContext, set: bool, what: &str) -> Result<()> {
    if set && !ctx.is_admin {
        return Err(SimError::forbidden(format!(
            "(rule:create_network:{what}) is disallowed by policy"
        )));
    }
    Ok(())
}

fn fabric_subnet(c: Cidr) -> fabric::Subnet {
    fabric::Subnet {
        network: c.network,
        prefix_len: c.prefix_len,
    }
}

/// Visibility and lookups on the state, shared by the Neutron and Nova operations.
impl State {
    /// Whether `ctx` sees network `n`.
    pub fn network_visible(&self, ctx: &RequestContext, n: &Network) -> bool {
        ctx.owns(&n.project_id) || n.shared || n.external
    }

    /// A network `ctx` sees.
    pub fn network(&self, ctx: &RequestContext, id: &str) -> Result<&Network> {
        self.networks
            .get(id)
            .filter(|n| self.network_visible(ctx, n))
            .ok_or_else(|| SimError::not_found(Kind::Network, id))
    }

    /// Whether `ctx` sees subnet `s`.
    pub fn subnet_visible(&self, ctx: &RequestContext, s: &Subnet) -> bool {
        ctx.owns(&s.project_id) || self.networks.get(&s.network_id).is_some_and(|n| n.shared || n.external)
    }

    /// A subnet `ctx` sees.
    pub fn subnet(&self, ctx: &RequestContext, id: &str) -> Result<&Subnet> {
        self.subnets
            .get(id)
            .filter(|s| self.subnet_visible(ctx, s))
            .ok_or_else(|| SimError::not_found(Kind::Subnet, id))
    }

    /// Whether `ctx` sees port `p` (its own, or on a network it owns).
    pub fn port_visible(&self, ctx: &RequestContext, p: &Port) -> bool {
        ctx.owns(&p.project_id)
            || self
                .networks
                .get(&p.network_id)
                .is_some_and(|n| n.project_id == ctx.project_id)
    }

    /// A port `ctx` sees.
    pub fn port(&self, ctx: &RequestContext, id: &str) -> Result<&Port> {
        self.ports
            .get(id)
            .filter(|p| self.port_visible(ctx, p))
            .ok_or_else(|| SimError::not_found(Kind::Port, id))
    }

    /// A router `ctx` sees.
    pub fn router(&self, ctx: &RequestContext, id: &str) -> Result<&Router> {
        self.routers
            .get(id)
            .filter(|r| ctx.owns(&r.project_id))
            .ok_or_else(|| SimError::not_found(Kind::Router, id))
    }

    /// A floating IP `ctx` sees.
    pub fn floating_ip(&self, ctx: &RequestContext, id: &str) -> Result<&FloatingIp> {
        self.floating_ips
            .get(id)
            .filter(|f| ctx.owns(&f.project_id))
            .ok_or_else(|| SimError::not_found(Kind::FloatingIp, id))
    }

    /// A security group `ctx` sees.
    pub fn security_group(&self, ctx: &RequestContext, id: &str) -> Result<&SecurityGroup> {
        self.security_groups
            .get(id)
            .filter(|g| ctx.owns(&g.project_id))
            .ok_or_else(|| SimError::not_found(Kind::SecurityGroup, id))
    }

    /// Addresses in use on a subnet (ports' fixed IPs and the gateway).
    pub fn used_ips(&self, subnet_id: &str) -> HashSet<Ipv4Addr> {
        let mut used: HashSet<Ipv4Addr> = self
            .ports
            .values()
            .flat_map(|p| p.fixed_ips.iter())
            .filter(|f| f.subnet_id == subnet_id)
            .map(|f| f.ip_address)
            .collect();
        if let Some(gw) = self.subnets.get(subnet_id).and_then(|s| s.gateway_ip) {
            used.insert(gw);
        }
        used
    }

    /// The project's `default` security group, made (with Neutron's four rules) when
    /// missing. Returns its id.
    pub fn ensure_default_security_group(&mut self, prefix: crate::naming::Prefix, project_id: &str) -> String {
        if let Some(g) = self
            .security_groups
            .values()
            .find(|g| g.project_id == project_id && g.name == "default")
        {
            return g.id.clone();
        }
        let now = chrono::Utc::now();
        let id = prefix.mint_id();
        self.security_groups.insert(
            id.clone(),
            SecurityGroup {
                id: id.clone(),
                name: "default".to_string(),
                project_id: project_id.to_string(),
                description: "Default security group".to_string(),
                stateful: true,
                created_at: now,
                updated_at: now,
                revision_number: 1,
            },
        );
        for (direction, ethertype, remote) in [
            ("egress", "IPv4", None),
            ("egress", "IPv6", None),
            ("ingress", "IPv4", Some(&id)),
            ("ingress", "IPv6", Some(&id)),
        ] {
            let rid = prefix.mint_id();
            self.security_group_rules.insert(
                rid.clone(),
                SecurityGroupRule {
                    id: rid,
                    project_id: project_id.to_string(),
                    security_group_id: id.clone(),
                    direction: direction.to_string(),
                    ethertype: ethertype.to_string(),
                    protocol: None,
                    port_range_min: None,
                    port_range_max: None,
                    remote_ip_prefix: None,
                    remote_group_id: remote.cloned(),
                    description: String::new(),
                    created_at: now,
                    updated_at: now,
                    revision_number: 0,
                },
            );
        }
        id
    }

    /// Resolves security group names or ids of `project_id` to ids.
    pub fn resolve_security_groups(&self, ctx: &RequestContext, groups: &[String]) -> Result<Vec<String>> {
        groups
            .iter()
            .map(|g| {
                if let Ok(sg) = self.security_group(ctx, g) {
                    return Ok(sg.id.clone());
                }
                let mut named = self
                    .security_groups
                    .values()
                    .filter(|s| s.name == *g && s.project_id == ctx.project_id);
                match (named.next(), named.next()) {
                    (Some(s), None) => Ok(s.id.clone()),
                    (Some(_), Some(_)) => Err(SimError::conflict(
                        "DuplicateSecurityGroup",
                        format!("Multiple security_group matches found for name '{g}', use an ID to be more specific."),
                    )),
                    (None, _) => Err(SimError::not_found(Kind::SecurityGroup, g)),
                }
            })
            .collect()
    }

    /// Makes a port (checks, quota, addresses) and inserts it. The Neutron and Nova
    /// operations both use it.
    pub fn insert_port(
        &mut self,
        ctx: &RequestContext,
        prefix: crate::naming::Prefix,
        req: &PortCreate,
    ) -> Result<Port> {
        let project_id = owner_of(ctx, req.project_id.as_ref())?;
        let network = self.network(ctx, &req.network_id)?.clone();
        if !ctx.is_admin
            && network.project_id != ctx.project_id
            && !network.shared
            && !req.device_owner.starts_with("network:")
        {
            return Err(SimError::forbidden(format!(
                "Tenant {} not allowed to create port on this network",
                ctx.project_id
            )));
        }
        if !req.device_owner.starts_with("network:") {
            self.quotas
                .check(&project_id, "port", self.usage(&project_id, &ctx.user_id, "port"), 1)?;
        }
        let used_macs: HashSet<String> = self.ports.values().map(|p| p.mac_address.clone()).collect();
        let mac = match &req.mac_address {
            Some(m) if used_macs.contains(m) => {
                return Err(SimError::conflict(
                    "MacAddressInUse",
                    format!(
                        "Unable to complete operation for network {}. The mac address {m} is in use.",
                        network.id
                    ),
                ));
            }
            Some(m) => m.clone(),
            None => ipam::new_mac(&used_macs),
        };
        let subnets: Vec<&Subnet> = {
            let mut v: Vec<&Subnet> = self.subnets.values().filter(|s| s.network_id == network.id).collect();
            v.sort_by_key(|s| s.created_at);
            v
        };
        let specs = req.fixed_ips.clone().unwrap_or_else(|| {
            subnets
                .first()
                .map(|s| {
                    vec![FixedIpSpec {
                        subnet_id: Some(s.id.clone()),
                        ip_address: None,
                    }]
                })
                .unwrap_or_default()
        });
        let mut fixed_ips: Vec<FixedIp> = Vec::new();
        for spec in &specs {
            let subnet = match (&spec.subnet_id, spec.ip_address) {
                (Some(id), _) => subnets.iter().find(|s| &s.id == id).copied().ok_or_else(|| {
                    SimError::invalid_input(format!(
                        "Failed to create port on network {}, because fixed_ips included invalid subnet {id}",
                        network.id
                    ))
                })?,
                (None, Some(ip)) => subnets.iter().find(|s| s.cidr.contains(ip)).copied().ok_or_else(|| {
                    SimError::bad_request(format!("IP address {ip} is not a valid IP for the specified subnet."))
                })?,
                (None, None) => {
                    return Err(SimError::invalid_input(
                        "Exceeded maximum amount of fixed ips per port.",
                    ));
                }
            };
            let mut used = self.used_ips(&subnet.id);
            used.extend(fixed_ips.iter().map(|f| f.ip_address));
            let ip = match spec.ip_address {
                Some(ip) => {
                    if !subnet.cidr.is_host(ip) {
                        return Err(SimError::bad_request(format!(
                            "IP address {ip} is not a valid IP for the specified subnet."
                        )));
                    }
                    if used.contains(&ip) && !(Some(ip) == subnet.gateway_ip && req.device_owner == ROUTER_INTERFACE) {
                        return Err(SimError::conflict(
                            "IpAddressAlreadyAllocated",
                            format!("IP address {ip} already allocated in subnet {}", subnet.id),
                        ));
                    }
                    ip
                }
                None => ipam::next_free(&subnet.allocation_pools, &used).ok_or_else(|| {
                    SimError::conflict(
                        "IpAddressGenerationFailure",
                        format!("No more IP addresses available on network {}.", network.id),
                    )
                })?,
            };
            fixed_ips.push(FixedIp {
                subnet_id: subnet.id.clone(),
                ip_address: ip,
            });
        }
        let port_security = req.port_security_enabled.unwrap_or(network.port_security_enabled);
        let security_groups = if req.device_owner.starts_with("network:") || !port_security {
            Vec::new()
        } else {
            match &req.security_groups {
                Some(groups) => self.resolve_security_groups(ctx, groups)?,
                None => vec![self.ensure_default_security_group(prefix, &project_id)],
            }
        };
        let now = chrono::Utc::now();
        let port = Port {
            id: prefix.mint_id(),
            name: req.name.clone(),
            project_id: if req.device_owner == ROUTER_GATEWAY || req.device_owner == FLOATINGIP_OWNER {
                String::new()
            } else {
                project_id
            },
            network_id: network.id.clone(),
            mac_address: mac,
            fixed_ips,
            device_id: req.device_id.clone(),
            device_owner: req.device_owner.clone(),
            security_groups,
            status: if req.device_owner.starts_with("network:") {
                "ACTIVE"
            } else {
                "DOWN"
            }
            .to_string(),
            admin_state_up: req.admin_state_up.unwrap_or(true),
            port_security_enabled: port_security,
            binding_host_id: String::new(),
            description: req.description.clone(),
            created_at: now,
            updated_at: now,
            revision_number: 1,
        };
        self.ports.insert(port.id.clone(), port.clone());
        Ok(port)
    }

    /// The router that can NAT between `port`'s subnet and external network `ext_net`.
    pub fn router_for(&self, port: &Port, fixed: Ipv4Addr, ext_net: &str) -> Option<String> {
        let subnet = port.fixed_ips.iter().find(|f| f.ip_address == fixed)?.subnet_id.clone();
        self.routers
            .values()
            .filter(|r| r.gateway.as_ref().is_some_and(|g| g.network_id == ext_net))
            .find(|r| {
                self.ports.values().any(|p| {
                    p.device_id == r.id
                        && p.device_owner == ROUTER_INTERFACE
                        && p.fixed_ips.iter().any(|f| f.subnet_id == subnet)
                })
            })
            .map(|r| r.id.clone())
    }

    /// Ports whose floating IPs are associated: `(fip id, router, floating, fixed)`.
    pub fn floating_ips_of_port(&self, port_id: &str) -> Vec<(String, Option<String>, Ipv4Addr, Option<Ipv4Addr>)> {
        self.floating_ips
            .values()
            .filter(|f| f.port_id.as_deref() == Some(port_id))
            .map(|f| {
                (
                    f.id.clone(),
                    f.router_id.clone(),
                    f.floating_ip_address,
                    f.fixed_ip_address,
                )
            })
            .collect()
    }
}

fn touch_network(n: &mut Network) {
    n.updated_at = chrono::Utc::now();
    n.revision_number += 1;
}

impl Cloud {
    /// Creates a network (a bridge on the host).
    pub async fn create_network(&self, ctx: &RequestContext, req: NetworkCreate) -> Result<Network> {
        let _g = self.serial().await;
        admin_only(ctx, req.shared, "shared")?;
        admin_only(ctx, req.external, "router:external")?;
        admin_only(
            ctx,
            req.network_type.is_some() || req.physical_network.is_some() || req.segmentation_id.is_some(),
            "provider:network_type",
        )?;
        let project_id = owner_of(ctx, req.project_id.as_ref())?;
        let prefix = self.prefix();
        let network = self.try_write(|s| {
            s.quotas
                .check(&project_id, "network", s.usage(&project_id, &ctx.user_id, "network"), 1)?;
            let network_type = req.network_type.clone().unwrap_or_else(|| "vxlan".to_string());
            let segmentation_id = match (network_type.as_str(), req.segmentation_id) {
                ("flat" | "local", _) => None,
                (_, Some(id)) => Some(id),
                _ => {
                    s.next_segment += 1;
                    Some(s.next_segment - 1)
                }
            };
            let now = chrono::Utc::now();
            let n = Network {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id: project_id.clone(),
                admin_state_up: req.admin_state_up.unwrap_or(true),
                shared: req.shared,
                external: req.external,
                mtu: req.mtu.unwrap_or(if network_type == "vxlan" { 1450 } else { 1500 }),
                network_type,
                physical_network: req.physical_network.clone(),
                segmentation_id,
                port_security_enabled: req.port_security_enabled.unwrap_or(true),
                description: req.description.clone(),
                created_at: now,
                updated_at: now,
                revision_number: 1,
            };
            s.networks.insert(n.id.clone(), n.clone());
            s.ensure_default_security_group(prefix, &project_id);
            Ok(n)
        })?;
        let id = network.id.clone();
        if let Err(e) = self.host(move |f| f.create_network(&id)).await {
            self.write(|s| s.networks.remove(&network.id));
            return Err(e);
        }
        tracing::info!(network_id = %network.id, name = %network.name, "network created");
        Ok(network)
    }

    /// A network.
    pub async fn get_network(&self, ctx: &RequestContext, id: &str) -> Result<Network> {
        self.read(|s| s.network(ctx, id).cloned())
    }

    /// The networks `ctx` sees.
    pub async fn list_networks(&self, ctx: &RequestContext) -> Vec<Network> {
        self.read(|s| {
            s.networks
                .values()
                .filter(|n| s.network_visible(ctx, n))
                .cloned()
                .collect()
        })
    }

    /// The subnet ids of a network.
    pub fn network_subnets(&self, network_id: &str) -> Vec<String> {
        self.read(|s| {
            let mut v: Vec<&Subnet> = s.subnets.values().filter(|x| x.network_id == network_id).collect();
            v.sort_by_key(|x| x.created_at);
            v.into_iter().map(|x| x.id.clone()).collect()
        })
    }

    /// Updates a network.
    pub async fn update_network(&self, ctx: &RequestContext, id: &str, req: NetworkUpdate) -> Result<Network> {
        admin_only(ctx, req.shared.is_some(), "shared")?;
        self.try_write(|s| {
            let owned = s.network(ctx, id)?.project_id.clone();
            if !ctx.owns(&owned) {
                return Err(SimError::not_found(Kind::Network, id));
            }
            let n = s
                .networks
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Network, id))?;
            if let Some(v) = req.name {
                n.name = v;
            }
            if let Some(v) = req.admin_state_up {
                n.admin_state_up = v;
            }
            if let Some(v) = req.shared {
                n.shared = v;
            }
            if let Some(v) = req.description {
                n.description = v;
            }
            if let Some(v) = req.mtu {
                n.mtu = v;
            }
            if let Some(v) = req.port_security_enabled {
                n.port_security_enabled = v;
            }
            touch_network(n);
            Ok(n.clone())
        })
    }

    /// Deletes a network and its subnets; refused while ports other than the network's own
    /// are on it.
    pub async fn delete_network(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _g = self.serial().await;
        self.read(|s| {
            let n = s.network(ctx, id)?;
            if !ctx.owns(&n.project_id) {
                return Err(SimError::not_found(Kind::Network, id));
            }
            if s.external.as_ref().is_some_and(|e| e.network_id == id) {
                return Err(SimError::conflict(
                    "NetworkInUse",
                    format!("Unable to complete operation on network {id}. The network is the cloud's external network."),
                ));
            }
            if s.ports.values().any(|p| p.network_id == id) {
                return Err(SimError::conflict(
                    "NetworkInUse",
                    format!("Unable to complete operation on network {id}. There are one or more ports still in use on the network."),
                ));
            }
            Ok(())
        })?;
        let nid = id.to_string();
        self.host(move |f| f.delete_network(&nid)).await?;
        self.write(|s| {
            s.networks.remove(id);
            s.subnets.retain(|_, x| x.network_id != id);
        });
        tracing::info!(network_id = %id, "network deleted");
        Ok(())
    }

    /// Creates a subnet.
    pub async fn create_subnet(&self, ctx: &RequestContext, req: SubnetCreate) -> Result<Subnet> {
        let _g = self.serial().await;
        if req.ip_version.is_some_and(|v| v != 4) {
            return Err(SimError::invalid_input("the test cloud supports IPv4 subnets only"));
        }
        let cidr: Cidr = req.cidr.parse().map_err(SimError::invalid_input)?;
        let prefix = self.prefix();
        self.try_write(|s| {
            let network = s.network(ctx, &req.network_id)?.clone();
            if !ctx.owns(&network.project_id) {
                return Err(SimError::forbidden(format!(
                    "Tenant {} not allowed to create subnet on this network",
                    ctx.project_id
                )));
            }
            let project_id = owner_of(ctx, req.project_id.as_ref())?;
            s.quotas.check(&project_id, "subnet", s.usage(&project_id, &ctx.user_id, "subnet"), 1)?;
            if let Some(other) = s.subnets.values().find(|x| x.network_id == network.id && x.cidr.overlaps(cidr)) {
                return Err(SimError::bad_request(format!(
                    "Invalid input for operation: Requested subnet with cidr: {cidr} for network: {} overlaps with another subnet {}.",
                    network.id, other.id
                )));
            }
            let gateway_ip = match req.gateway_ip {
                GatewaySpec::Default => cidr.first_host(),
                GatewaySpec::None => None,
                GatewaySpec::Ip(ip) if cidr.is_host(ip) => Some(ip),
                GatewaySpec::Ip(ip) => {
                    return Err(SimError::bad_request(format!("Gateway IP {ip} is not a valid IP for the specified subnet.")))
                }
            };
            let pools = match &req.allocation_pools {
                Some(p) => {
                    ipam::validate_pools(cidr, p, gateway_ip).map_err(SimError::bad_request)?;
                    p.clone()
                }
                None => cidr.default_pools(gateway_ip),
            };
            let now = chrono::Utc::now();
            let subnet = Subnet {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id,
                network_id: network.id.clone(),
                cidr,
                gateway_ip,
                allocation_pools: pools,
                enable_dhcp: req.enable_dhcp.unwrap_or(true),
                dns_nameservers: req.dns_nameservers.clone(),
                host_routes: req.host_routes.clone(),
                description: req.description.clone(),
                created_at: now,
                updated_at: now,
                revision_number: 0,
            };
            s.subnets.insert(subnet.id.clone(), subnet.clone());
            if let Some(n) = s.networks.get_mut(&network.id) {
                touch_network(n);
            }
            tracing::info!(subnet_id = %subnet.id, %cidr, "subnet created");
            Ok(subnet)
        })
    }

    /// A subnet.
    pub async fn get_subnet(&self, ctx: &RequestContext, id: &str) -> Result<Subnet> {
        self.read(|s| s.subnet(ctx, id).cloned())
    }

    /// The subnets `ctx` sees.
    pub async fn list_subnets(&self, ctx: &RequestContext) -> Vec<Subnet> {
        self.read(|s| {
            s.subnets
                .values()
                .filter(|x| s.subnet_visible(ctx, x))
                .cloned()
                .collect()
        })
    }

    /// Updates a subnet.
    pub async fn update_subnet(&self, ctx: &RequestContext, id: &str, req: SubnetUpdate) -> Result<Subnet> {
        self.try_write(|s| {
            if !ctx.owns(&s.subnet(ctx, id)?.project_id) {
                return Err(SimError::not_found(Kind::Subnet, id));
            }
            let x = s
                .subnets
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Subnet, id))?;
            if let Some(v) = req.name {
                x.name = v;
            }
            if let Some(v) = req.description {
                x.description = v;
            }
            if let Some(v) = req.enable_dhcp {
                x.enable_dhcp = v;
            }
            if let Some(v) = req.dns_nameservers {
                x.dns_nameservers = v;
            }
            if let Some(v) = req.host_routes {
                x.host_routes = v;
            }
            x.updated_at = chrono::Utc::now();
            x.revision_number += 1;
            Ok(x.clone())
        })
    }

    /// Deletes a subnet; refused while a port has an address on it.
    pub async fn delete_subnet(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _g = self.serial().await;
        self.try_write(|s| {
            if !ctx.owns(&s.subnet(ctx, id)?.project_id) {
                return Err(SimError::not_found(Kind::Subnet, id));
            }
            if s.ports.values().any(|p| p.fixed_ips.iter().any(|f| f.subnet_id == id)) {
                return Err(SimError::conflict(
                    "SubnetInUse",
                    format!("Unable to complete operation on subnet {id}: One or more ports have an IP allocation from this subnet."),
                ));
            }
            s.subnets.remove(id);
            Ok(())
        })
    }

    /// Creates a port.
    pub async fn create_port(&self, ctx: &RequestContext, req: PortCreate) -> Result<Port> {
        let _g = self.serial().await;
        let prefix = self.prefix();
        let port = self.try_write(|s| s.insert_port(ctx, prefix, &req))?;
        tracing::info!(port_id = %port.id, network_id = %port.network_id, "port created");
        Ok(port)
    }

    /// A port.
    pub async fn get_port(&self, ctx: &RequestContext, id: &str) -> Result<Port> {
        self.read(|s| s.port(ctx, id).cloned())
    }

    /// The ports `ctx` sees.
    pub async fn list_ports(&self, ctx: &RequestContext) -> Vec<Port> {
        self.read(|s| s.ports.values().filter(|p| s.port_visible(ctx, p)).cloned().collect())
    }

    /// Updates a port.
    pub async fn update_port(&self, ctx: &RequestContext, id: &str, req: PortUpdate) -> Result<Port> {
        self.try_write(|s| {
            s.port(ctx, id)?;
            let groups = match &req.security_groups {
                Some(g) => Some(s.resolve_security_groups(ctx, g)?),
                None => None,
            };
            let p = s.ports.get_mut(id).ok_or_else(|| SimError::not_found(Kind::Port, id))?;
            if let Some(v) = req.name {
                p.name = v;
            }
            if let Some(v) = req.description {
                p.description = v;
            }
            if let Some(v) = req.device_id {
                p.device_id = v;
            }
            if let Some(v) = req.device_owner {
                p.device_owner = v;
            }
            if let Some(v) = req.admin_state_up {
                p.admin_state_up = v;
            }
            if let Some(v) = req.port_security_enabled {
                p.port_security_enabled = v;
            }
            if let Some(g) = groups {
                if !p.port_security_enabled && !g.is_empty() {
                    return Err(SimError::conflict(
                        "PortSecurityAndIPRequiredForSecurityGroups",
                        "Port security must be enabled and port must have an IP address in order to use security groups.",
                    ));
                }
                p.security_groups = g;
            }
            p.updated_at = chrono::Utc::now();
            p.revision_number += 1;
            Ok(p.clone())
        })
    }

    /// Deletes a port (disassociating its floating IPs); refused for router interfaces.
    pub async fn delete_port(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _g = self.serial().await;
        let port = self.read(|s| s.port(ctx, id).cloned())?;
        if port.device_owner == ROUTER_INTERFACE || port.device_owner == ROUTER_GATEWAY {
            return Err(SimError::conflict(
                "PortNotDeletable",
                format!(
                    "Port {id} cannot be deleted directly via the port API: has device owner {}.",
                    port.device_owner
                ),
            ));
        }
        self.remove_port_locked(id).await
    }

    /// Removes a port and undoes its floating IPs' NAT (the caller holds `serial`).
    pub(crate) async fn remove_port_locked(&self, id: &str) -> Result<()> {
        for (fip_id, router, floating, fixed) in self.read(|s| s.floating_ips_of_port(id)) {
            if let (Some(router), Some(fixed)) = (router, fixed) {
                self.host(move |f| f.disassociate_floating_ip(&router, floating, fixed))
                    .await?;
            }
            self.write(|s| {
                if let Some(f) = s.floating_ips.get_mut(&fip_id) {
                    f.port_id = None;
                    f.fixed_ip_address = None;
                    f.router_id = None;
                    f.updated_at = chrono::Utc::now();
                    f.revision_number += 1;
                }
            });
        }
        self.write(|s| s.ports.remove(id));
        tracing::info!(port_id = %id, "port deleted");
        Ok(())
    }

    /// Creates a router (a `qrouter-<id>` namespace), with its gateway if asked.
    pub async fn create_router(&self, ctx: &RequestContext, req: RouterCreate) -> Result<Router> {
        let _g = self.serial().await;
        let project_id = owner_of(ctx, req.project_id.as_ref())?;
        let prefix = self.prefix();
        let router = self.try_write(|s| {
            s.quotas
                .check(&project_id, "router", s.usage(&project_id, &ctx.user_id, "router"), 1)?;
            let now = chrono::Utc::now();
            let r = Router {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id: project_id.clone(),
                admin_state_up: req.admin_state_up.unwrap_or(true),
                gateway: None,
                routes: Vec::new(),
                description: req.description.clone(),
                created_at: now,
                updated_at: now,
                revision_number: 1,
            };
            s.routers.insert(r.id.clone(), r.clone());
            Ok(r)
        })?;
        let rid = router.id.clone();
        if let Err(e) = self.host(move |f| f.create_router(&rid)).await {
            self.write(|s| s.routers.remove(&router.id));
            return Err(e);
        }
        tracing::info!(router_id = %router.id, "router created");
        if let Some(gw) = req.external_gateway_info
            && let Err(e) = self.set_gateway_locked(ctx, &router.id, Some(gw)).await
        {
            {
                let rid = router.id.clone();
                let _ = self.host(move |f| f.delete_router(&rid)).await;
                self.write(|s| s.routers.remove(&router.id));
                return Err(e);
            }
        }
        self.get_router(ctx, &router.id).await
    }

    async fn set_gateway_locked(&self, ctx: &RequestContext, router_id: &str, info: Option<GatewayInfo>) -> Result<()> {
        let prefix = self.prefix();
        // Clear the old gateway first.
        let old = self.read(|s| s.router(ctx, router_id).map(|r| r.gateway.clone()))?;
        if let Some(old) = old {
            if info.as_ref().is_some_and(|i| i.network_id == old.network_id) {
                let snat = info.as_ref().and_then(|i| i.enable_snat).unwrap_or(true);
                if snat == old.enable_snat {
                    return Ok(());
                }
            }
            let uses = self.read(|s| {
                s.floating_ips
                    .values()
                    .any(|f| f.router_id.as_deref() == Some(router_id))
            });
            if uses {
                return Err(SimError::conflict(
                    "RouterExternalGatewayInUseByFloatingIp",
                    format!(
                        "Gateway cannot be updated for router {router_id}, since a gateway to external network {} is required by one or more floating IPs.",
                        old.network_id
                    ),
                ));
            }
            let rid = router_id.to_string();
            self.host(move |f| f.set_router_gateway(&rid, None)).await?;
            self.write(|s| {
                s.ports.remove(&old.port_id);
                if let Some(r) = s.routers.get_mut(router_id) {
                    r.gateway = None;
                }
            });
        }
        let Some(info) = info else { return Ok(()) };
        let (gateway, wiring) = self.try_write(|s| {
            let net = s.network(ctx, &info.network_id)?.clone();
            if !net.external {
                return Err(SimError::bad_request(format!(
                    "Bad router request: Network {} is not an external network.",
                    net.id
                )));
            }
            let port = s.insert_port(
                &RequestContext {
                    is_admin: true,
                    ..ctx.clone()
                },
                prefix,
                &PortCreate {
                    network_id: net.id.clone(),
                    fixed_ips: (!info.external_fixed_ips.is_empty()).then(|| info.external_fixed_ips.clone()),
                    device_id: router_id.to_string(),
                    device_owner: ROUTER_GATEWAY.to_string(),
                    ..Default::default()
                },
            )?;
            let first = port.fixed_ips.first().cloned().ok_or_else(|| {
                SimError::conflict(
                    "IpAddressGenerationFailure",
                    format!("No more IP addresses available on network {}.", net.id),
                )
            })?;
            let subnet = s
                .subnets
                .get(&first.subnet_id)
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Subnet, &first.subnet_id))?;
            let gw = RouterGateway {
                network_id: net.id.clone(),
                enable_snat: info.enable_snat.unwrap_or(true),
                port_id: port.id.clone(),
                external_fixed_ips: port.fixed_ips.clone(),
            };
            let wiring = fabric::Gateway {
                network_id: net.id.clone(),
                ip: first.ip_address,
                prefix_len: subnet.cidr.prefix_len,
                next_hop: subnet.gateway_ip.unwrap_or(first.ip_address),
                enable_snat: gw.enable_snat,
            };
            Ok((gw, wiring))
        })?;
        let rid = router_id.to_string();
        if let Err(e) = self.host(move |f| f.set_router_gateway(&rid, Some(&wiring))).await {
            self.write(|s| s.ports.remove(&gateway.port_id));
            return Err(e);
        }
        self.write(|s| {
            if let Some(p) = s.ports.get_mut(&gateway.port_id) {
                p.binding_host_id = "network1".to_string();
            }
            if let Some(r) = s.routers.get_mut(router_id) {
                r.gateway = Some(gateway);
                r.updated_at = chrono::Utc::now();
                r.revision_number += 1;
            }
        });
        Ok(())
    }

    /// A router.
    pub async fn get_router(&self, ctx: &RequestContext, id: &str) -> Result<Router> {
        self.read(|s| s.router(ctx, id).cloned())
    }

    /// The routers `ctx` sees.
    pub async fn list_routers(&self, ctx: &RequestContext) -> Vec<Router> {
        self.read(|s| {
            s.routers
                .values()
                .filter(|r| ctx.owns(&r.project_id))
                .cloned()
                .collect()
        })
    }

    /// Updates a router (name, routes, gateway set or cleared).
    pub async fn update_router(&self, ctx: &RequestContext, id: &str, req: RouterUpdate) -> Result<Router> {
        let _g = self.serial().await;
        self.read(|s| s.router(ctx, id).map(|_| ()))?;
        if let Some(gw) = req.external_gateway_info {
            self.set_gateway_locked(ctx, id, gw).await?;
        }
        self.try_write(|s| {
            let r = s
                .routers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Router, id))?;
            if let Some(v) = req.name {
                r.name = v;
            }
            if let Some(v) = req.description {
                r.description = v;
            }
            if let Some(v) = req.admin_state_up {
                r.admin_state_up = v;
            }
            if let Some(v) = req.routes {
                r.routes = v;
            }
            r.updated_at = chrono::Utc::now();
            r.revision_number += 1;
            Ok(r.clone())
        })
    }

    /// Deletes a router; refused while it has interfaces.
    pub async fn delete_router(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _g = self.serial().await;
        self.read(|s| {
            s.router(ctx, id)?;
            if s.ports
                .values()
                .any(|p| p.device_id == id && p.device_owner == ROUTER_INTERFACE)
                || s.floating_ips.values().any(|f| f.router_id.as_deref() == Some(id))
            {
                return Err(SimError::conflict(
                    "RouterInUse",
                    format!("Router {id} still has ports"),
                ));
            }
            Ok(())
        })?;
        let rid = id.to_string();
        self.host(move |f| f.delete_router(&rid)).await?;
        self.write(|s| {
            if let Some(r) = s.routers.remove(id)
                && let Some(g) = r.gateway
            {
                s.ports.remove(&g.port_id);
            }
        });
        tracing::info!(router_id = %id, "router deleted");
        Ok(())
    }

    /// Attaches a router to a subnet (its gateway address) or to a port.
    pub async fn add_router_interface(
        &self,
        ctx: &RequestContext,
        id: &str,
        spec: InterfaceSpec,
    ) -> Result<InterfaceInfo> {
        let _g = self.serial().await;
        let prefix = self.prefix();
        let (info, wiring, made_port) = self.try_write(|s| {
            let router = s.router(ctx, id)?.clone();
            let (port, made) = match &spec {
                InterfaceSpec::Subnet(subnet_id) => {
                    let subnet = s.subnet(ctx, subnet_id)?.clone();
                    let gw = subnet.gateway_ip.ok_or_else(|| {
                        SimError::bad_request(format!(
                            "Bad router request: Subnet {subnet_id} does not have a gateway IP and cannot be attached to a router."
                        ))
                    })?;
                    router_subnet_checks(s, &router.id, &subnet)?;
                    let port = s.insert_port(
                        ctx,
                        prefix,
                        &PortCreate {
                            network_id: subnet.network_id.clone(),
                            project_id: Some(router.project_id.clone()),
                            fixed_ips: Some(vec![FixedIpSpec { subnet_id: Some(subnet.id.clone()), ip_address: Some(gw) }]),
                            device_id: router.id.clone(),
                            device_owner: ROUTER_INTERFACE.to_string(),
                            ..Default::default()
                        },
                    )?;
                    (port, true)
                }
                InterfaceSpec::Port(port_id) => {
                    let port = s.port(ctx, port_id)?.clone();
                    if !port.device_id.is_empty() {
                        return Err(SimError::conflict(
                            "PortInUse",
                            format!("Unable to complete operation on port {port_id} for network {}. Port already has an attached device {}.", port.network_id, port.device_id),
                        ));
                    }
                    let first = port.fixed_ips.first().ok_or_else(|| {
                        SimError::bad_request("Bad router request: Router port must have at least one fixed IP.")
                    })?;
                    let subnet = s.subnets.get(&first.subnet_id).cloned().ok_or_else(|| SimError::not_found(Kind::Subnet, &first.subnet_id))?;
                    router_subnet_checks(s, &router.id, &subnet)?;
                    let p = s.ports.get_mut(port_id).ok_or_else(|| SimError::not_found(Kind::Port, port_id))?;
                    p.device_id = router.id.clone();
                    p.device_owner = ROUTER_INTERFACE.to_string();
                    p.security_groups.clear();
                    (p.clone(), false)
                }
            };
            let fixed = port.fixed_ips.first().cloned().ok_or_else(|| SimError::Internal("interface port without address".into()))?;
            let subnet = s.subnets.get(&fixed.subnet_id).cloned().ok_or_else(|| SimError::not_found(Kind::Subnet, &fixed.subnet_id))?;
            let wiring = fabric::RouterInterface {
                port_id: port.id.clone(),
                network_id: port.network_id.clone(),
                ip: fixed.ip_address,
                subnet: fabric_subnet(subnet.cidr),
            };
            let info = InterfaceInfo {
                router_id: router.id.clone(),
                project_id: router.project_id.clone(),
                port_id: port.id.clone(),
                subnet_id: subnet.id.clone(),
                network_id: port.network_id.clone(),
            };
            Ok((info, wiring, made))
        })?;
        let rid = id.to_string();
        if let Err(e) = self.host(move |f| f.add_router_interface(&rid, &wiring)).await {
            self.write(|s| {
                if made_port {
                    s.ports.remove(&info.port_id);
                } else if let Some(p) = s.ports.get_mut(&info.port_id) {
                    p.device_id.clear();
                    p.device_owner.clear();
                }
            });
            return Err(e);
        }
        self.write(|s| {
            if let Some(r) = s.routers.get_mut(id) {
                r.updated_at = chrono::Utc::now();
                r.revision_number += 1;
            }
        });
        tracing::info!(router_id = %id, subnet_id = %info.subnet_id, "router interface added");
        Ok(info)
    }

    /// Detaches a router from a subnet or port; refused while floating IPs need it.
    pub async fn remove_router_interface(
        &self,
        ctx: &RequestContext,
        id: &str,
        spec: InterfaceSpec,
    ) -> Result<InterfaceInfo> {
        let _g = self.serial().await;
        let info = self.read(|s| {
            let router = s.router(ctx, id)?;
            let port = s
                .ports
                .values()
                .filter(|p| p.device_id == router.id && p.device_owner == ROUTER_INTERFACE)
                .find(|p| match &spec {
                    InterfaceSpec::Port(pid) => &p.id == pid,
                    InterfaceSpec::Subnet(sid) => p.fixed_ips.iter().any(|f| &f.subnet_id == sid),
                })
                .ok_or_else(|| match &spec {
                    InterfaceSpec::Port(pid) => SimError::NotFound { kind: Kind::Port, id: pid.clone() },
                    InterfaceSpec::Subnet(sid) => SimError::conflict(
                        "RouterInterfaceNotFoundForSubnet",
                        format!("Router {id} has no interface on subnet {sid}"),
                    ),
                })?;
            let subnet_id = port.fixed_ips.first().map(|f| f.subnet_id.clone()).unwrap_or_default();
            let in_use = s.floating_ips.values().any(|f| {
                f.router_id.as_deref() == Some(id)
                    && f.port_id.as_ref().and_then(|p| s.ports.get(p)).is_some_and(|p| p.fixed_ips.iter().any(|x| x.subnet_id == subnet_id))
            });
            if in_use {
                return Err(SimError::conflict(
                    "RouterInterfaceInUseByFloatingIP",
                    format!("Router interface for subnet {subnet_id} on router {id} cannot be deleted, as it is required by one or more floating IPs."),
                ));
            }
            Ok(InterfaceInfo {
                router_id: router.id.clone(),
                project_id: router.project_id.clone(),
                port_id: port.id.clone(),
                subnet_id,
                network_id: port.network_id.clone(),
            })
        })?;
        let (rid, pid) = (id.to_string(), info.port_id.clone());
        self.host(move |f| f.remove_router_interface(&rid, &pid)).await?;
        self.write(|s| {
            s.ports.remove(&info.port_id);
            if let Some(r) = s.routers.get_mut(id) {
                r.updated_at = chrono::Utc::now();
                r.revision_number += 1;
            }
        });
        tracing::info!(router_id = %id, subnet_id = %info.subnet_id, "router interface removed");
        Ok(info)
    }

    /// Creates a floating IP, associated at once when a port is named.
    pub async fn create_floating_ip(&self, ctx: &RequestContext, req: FloatingIpCreate) -> Result<FloatingIp> {
        let _g = self.serial().await;
        let project_id = owner_of(ctx, req.project_id.as_ref())?;
        let prefix = self.prefix();
        let fip = self.try_write(|s| {
            let net = s.network(ctx, &req.floating_network_id)?.clone();
            if !net.external {
                return Err(SimError::bad_request(format!(
                    "Bad floatingip request: Network {} is not a valid external network.",
                    net.id
                )));
            }
            s.quotas.check(
                &project_id,
                "floatingip",
                s.usage(&project_id, &ctx.user_id, "floatingip"),
                1,
            )?;
            let port = s.insert_port(
                &RequestContext {
                    is_admin: true,
                    ..ctx.clone()
                },
                prefix,
                &PortCreate {
                    network_id: net.id.clone(),
                    fixed_ips: req.floating_ip_address.map(|ip| {
                        vec![FixedIpSpec {
                            subnet_id: None,
                            ip_address: Some(ip),
                        }]
                    }),
                    device_owner: FLOATINGIP_OWNER.to_string(),
                    ..Default::default()
                },
            )?;
            let address = port.fixed_ips.first().map(|f| f.ip_address).ok_or_else(|| {
                SimError::conflict(
                    "IpAddressGenerationFailure",
                    format!("No more IP addresses available on network {}.", net.id),
                )
            })?;
            let now = chrono::Utc::now();
            let fip = FloatingIp {
                id: prefix.mint_id(),
                project_id: project_id.clone(),
                floating_network_id: net.id.clone(),
                floating_ip_address: address,
                floating_port_id: port.id.clone(),
                port_id: None,
                fixed_ip_address: None,
                router_id: None,
                description: req.description.clone(),
                created_at: now,
                updated_at: now,
                revision_number: 0,
            };
            if let Some(p) = s.ports.get_mut(&port.id) {
                p.device_id = fip.id.clone();
            }
            s.floating_ips.insert(fip.id.clone(), fip.clone());
            Ok(fip)
        })?;
        tracing::info!(floatingip_id = %fip.id, address = %fip.floating_ip_address, "floating IP created");
        if let Some(port_id) = req.port_id
            && let Err(e) = self
                .associate_locked(ctx, &fip.id, &port_id, req.fixed_ip_address)
                .await
        {
            {
                self.write(|s| {
                    s.floating_ips.remove(&fip.id);
                    s.ports.remove(&fip.floating_port_id);
                });
                return Err(e);
            }
        }
        self.get_floating_ip(ctx, &fip.id).await
    }

    async fn associate_locked(
        &self,
        ctx: &RequestContext,
        fip_id: &str,
        port_id: &str,
        fixed: Option<Ipv4Addr>,
    ) -> Result<()> {
        let (router, floating, fixed) = self.read(|s| {
            let fip = s.floating_ip(ctx, fip_id)?;
            let port = s.port(ctx, port_id).map_err(|_| SimError::not_found(Kind::Port, port_id))?;
            let fixed = match fixed {
                Some(ip) if port.fixed_ips.iter().any(|f| f.ip_address == ip) => ip,
                Some(ip) => {
                    return Err(SimError::bad_request(format!(
                        "Bad floatingip request: Port {port_id} does not have fixed ip {ip}."
                    )));
                }
                None => port.fixed_ips.first().map(|f| f.ip_address).ok_or_else(|| {
                    SimError::bad_request(format!("Bad floatingip request: Port {port_id} does not have any IPv4 address."))
                })?,
            };
            if let Some(other) = s.floating_ips.values().find(|f| {
                f.id != fip.id && f.port_id.as_deref() == Some(port_id) && f.fixed_ip_address == Some(fixed)
                    && f.floating_network_id == fip.floating_network_id
            }) {
                return Err(SimError::conflict(
                    "FloatingIPPortAlreadyAssociated",
                    format!(
                        "Cannot associate floating IP {} ({}) with port {port_id} using fixed IP {fixed}, as that fixed IP already has a floating IP on external network {}.",
                        fip.floating_ip_address, fip.id, other.floating_network_id
                    ),
                ));
            }
            let router = s.router_for(port, fixed, &fip.floating_network_id).ok_or_else(|| {
                let subnet = port.fixed_ips.iter().find(|f| f.ip_address == fixed).map(|f| f.subnet_id.clone()).unwrap_or_default();
                SimError::Missing {
                    kind: "ExternalGatewayForFloatingIPNotFound",
                    message: format!(
                        "External network {} is not reachable from subnet {subnet}.  Therefore, cannot associate Port {port_id} with a Floating IP.",
                        fip.floating_network_id
                    ),
                }
            })?;
            Ok((router, fip.floating_ip_address, fixed))
        })?;
        // Moving an associated address: undo the old NAT first.
        let old = self.read(|s| {
            s.floating_ips
                .get(fip_id)
                .and_then(|f| Some((f.router_id.clone()?, f.fixed_ip_address?)))
        });
        if let Some((old_router, old_fixed)) = old {
            self.host(move |f| f.disassociate_floating_ip(&old_router, floating, old_fixed))
                .await?;
        }
        let r = router.clone();
        self.host(move |f| f.associate_floating_ip(&r, floating, fixed)).await?;
        self.write(|s| {
            if let Some(f) = s.floating_ips.get_mut(fip_id) {
                f.port_id = Some(port_id.to_string());
                f.fixed_ip_address = Some(fixed);
                f.router_id = Some(router);
                f.updated_at = chrono::Utc::now();
                f.revision_number += 1;
            }
        });
        tracing::info!(floatingip_id = %fip_id, %floating, %fixed, "floating IP associated");
        Ok(())
    }

    async fn disassociate_locked(&self, fip_id: &str) -> Result<()> {
        let nat = self.read(|s| {
            s.floating_ips
                .get(fip_id)
                .and_then(|f| Some((f.router_id.clone()?, f.floating_ip_address, f.fixed_ip_address?)))
        });
        if let Some((router, floating, fixed)) = nat {
            self.host(move |f| f.disassociate_floating_ip(&router, floating, fixed))
                .await?;
            tracing::info!(floatingip_id = %fip_id, %floating, "floating IP disassociated");
        }
        self.write(|s| {
            if let Some(f) = s.floating_ips.get_mut(fip_id) {
                f.port_id = None;
                f.fixed_ip_address = None;
                f.router_id = None;
                f.updated_at = chrono::Utc::now();
                f.revision_number += 1;
            }
        });
        Ok(())
    }

    /// A floating IP.
    pub async fn get_floating_ip(&self, ctx: &RequestContext, id: &str) -> Result<FloatingIp> {
        self.read(|s| s.floating_ip(ctx, id).cloned())
    }

    /// The floating IPs `ctx` sees.
    pub async fn list_floating_ips(&self, ctx: &RequestContext) -> Vec<FloatingIp> {
        self.read(|s| {
            s.floating_ips
                .values()
                .filter(|f| ctx.owns(&f.project_id))
                .cloned()
                .collect()
        })
    }

    /// Associates (port given), disassociates (port null) or describes a floating IP.
    pub async fn update_floating_ip(
        &self,
        ctx: &RequestContext,
        id: &str,
        req: FloatingIpUpdate,
    ) -> Result<FloatingIp> {
        let _g = self.serial().await;
        self.read(|s| s.floating_ip(ctx, id).map(|_| ()))?;
        match req.port_id {
            Some(Some(port)) => self.associate_locked(ctx, id, &port, req.fixed_ip_address).await?,
            Some(None) => self.disassociate_locked(id).await?,
            None => {}
        }
        if let Some(d) = req.description {
            self.write(|s| {
                if let Some(f) = s.floating_ips.get_mut(id) {
                    f.description = d;
                    f.revision_number += 1;
                }
            });
        }
        self.get_floating_ip(ctx, id).await
    }

    /// Deletes a floating IP (undoing its NAT).
    pub async fn delete_floating_ip(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let _g = self.serial().await;
        self.read(|s| s.floating_ip(ctx, id).map(|_| ()))?;
        self.disassociate_locked(id).await?;
        self.write(|s| {
            if let Some(f) = s.floating_ips.remove(id) {
                s.ports.remove(&f.floating_port_id);
            }
        });
        tracing::info!(floatingip_id = %id, "floating IP deleted");
        Ok(())
    }

    /// Creates a security group (with Neutron's two egress rules).
    pub async fn create_security_group(&self, ctx: &RequestContext, req: SecurityGroupCreate) -> Result<SecurityGroup> {
        let project_id = owner_of(ctx, req.project_id.as_ref())?;
        let prefix = self.prefix();
        self.try_write(|s| {
            s.ensure_default_security_group(prefix, &project_id);
            if req.name == "default" {
                return Err(SimError::conflict(
                    "SecurityGroupDefaultAlreadyExists",
                    "Default security group already exists.",
                ));
            }
            s.quotas.check(
                &project_id,
                "security_group",
                s.usage(&project_id, &ctx.user_id, "security_group"),
                1,
            )?;
            s.quotas.check(
                &project_id,
                "security_group_rule",
                s.usage(&project_id, &ctx.user_id, "security_group_rule"),
                2,
            )?;
            let now = chrono::Utc::now();
            let g = SecurityGroup {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id: project_id.clone(),
                description: req.description.clone(),
                stateful: req.stateful.unwrap_or(true),
                created_at: now,
                updated_at: now,
                revision_number: 1,
            };
            for ethertype in ["IPv4", "IPv6"] {
                let id = prefix.mint_id();
                s.security_group_rules.insert(
                    id.clone(),
                    SecurityGroupRule {
                        id,
                        project_id: project_id.clone(),
                        security_group_id: g.id.clone(),
                        direction: "egress".to_string(),
                        ethertype: ethertype.to_string(),
                        protocol: None,
                        port_range_min: None,
                        port_range_max: None,
                        remote_ip_prefix: None,
                        remote_group_id: None,
                        description: String::new(),
                        created_at: now,
                        updated_at: now,
                        revision_number: 0,
                    },
                );
            }
            s.security_groups.insert(g.id.clone(), g.clone());
            Ok(g)
        })
    }

    /// A security group.
    pub async fn get_security_group(&self, ctx: &RequestContext, id: &str) -> Result<SecurityGroup> {
        self.read(|s| s.security_group(ctx, id).cloned())
    }

    /// The security groups `ctx` sees (its project's `default` made on first look).
    pub async fn list_security_groups(&self, ctx: &RequestContext) -> Vec<SecurityGroup> {
        let prefix = self.prefix();
        let missing = self.read(|s| {
            !s.security_groups
                .values()
                .any(|g| g.project_id == ctx.project_id && g.name == "default")
        });
        if missing {
            self.write(|s| s.ensure_default_security_group(prefix, &ctx.project_id));
        }
        self.read(|s| {
            s.security_groups
                .values()
                .filter(|g| ctx.owns(&g.project_id))
                .cloned()
                .collect()
        })
    }

    /// Renames or re-describes a security group.
    pub async fn update_security_group(
        &self,
        ctx: &RequestContext,
        id: &str,
        name: Option<String>,
        description: Option<String>,
    ) -> Result<SecurityGroup> {
        self.try_write(|s| {
            s.security_group(ctx, id)?;
            let g = s
                .security_groups
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::SecurityGroup, id))?;
            if let Some(n) = name {
                if g.name == "default" && n != "default" {
                    return Err(SimError::conflict(
                        "SecurityGroupCannotUpdateDefault",
                        "Updating default security group not allowed.",
                    ));
                }
                g.name = n;
            }
            if let Some(d) = description {
                g.description = d;
            }
            g.updated_at = chrono::Utc::now();
            g.revision_number += 1;
            Ok(g.clone())
        })
    }

    /// Deletes a security group; refused while ports use it, and for `default`.
    pub async fn delete_security_group(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            let g = s.security_group(ctx, id)?;
            if g.name == "default" && !ctx.is_admin {
                return Err(SimError::conflict(
                    "SecurityGroupCannotRemoveDefault",
                    "Insufficient rights for removing default security group.",
                ));
            }
            if s.ports.values().any(|p| p.security_groups.iter().any(|x| x == id)) {
                return Err(SimError::conflict(
                    "SecurityGroupInUse",
                    format!("Security Group {id} in use."),
                ));
            }
            s.security_groups.remove(id);
            s.security_group_rules.retain(|_, r| r.security_group_id != id);
            Ok(())
        })
    }

    /// Adds a rule to a security group.
    pub async fn create_security_group_rule(&self, ctx: &RequestContext, req: RuleCreate) -> Result<SecurityGroupRule> {
        let prefix = self.prefix();
        if req.direction != "ingress" && req.direction != "egress" {
            return Err(SimError::invalid_input(format!(
                "'{}' is not in ['ingress', 'egress']",
                req.direction
            )));
        }
        let ethertype = req.ethertype.clone().unwrap_or_else(|| "IPv4".to_string());
        if ethertype != "IPv4" && ethertype != "IPv6" {
            return Err(SimError::invalid_input(format!(
                "'{ethertype}' is not in ['IPv4', 'IPv6']"
            )));
        }
        if let (Some(lo), Some(hi)) = (req.port_range_min, req.port_range_max)
            && lo > hi
        {
            return Err(SimError::conflict(
                "SecurityGroupInvalidPortRange",
                "For TCP/UDP protocols, port_range_min must be <= port_range_max",
            ));
        }
        if req.remote_ip_prefix.is_some() && req.remote_group_id.is_some() {
            return Err(SimError::bad_request(
                "Only remote_ip_prefix or remote_group_id may be provided.",
            ));
        }
        self.try_write(|s| {
            let g = s.security_group(ctx, &req.security_group_id)?.clone();
            if let Some(rg) = &req.remote_group_id {
                s.security_group(ctx, rg)?;
            }
            s.quotas.check(
                &g.project_id,
                "security_group_rule",
                s.usage(&g.project_id, &ctx.user_id, "security_group_rule"),
                1,
            )?;
            let dup = s.security_group_rules.values().find(|r| {
                r.security_group_id == g.id
                    && r.direction == req.direction
                    && r.ethertype == ethertype
                    && r.protocol == req.protocol
                    && r.port_range_min == req.port_range_min
                    && r.port_range_max == req.port_range_max
                    && r.remote_ip_prefix == req.remote_ip_prefix
                    && r.remote_group_id == req.remote_group_id
            });
            if let Some(d) = dup {
                return Err(SimError::conflict(
                    "SecurityGroupRuleExists",
                    format!("Security group rule already exists. Rule id is {}.", d.id),
                ));
            }
            let now = chrono::Utc::now();
            let r = SecurityGroupRule {
                id: prefix.mint_id(),
                project_id: g.project_id.clone(),
                security_group_id: g.id.clone(),
                direction: req.direction.clone(),
                ethertype,
                protocol: req.protocol.clone(),
                port_range_min: req.port_range_min,
                port_range_max: req.port_range_max,
                remote_ip_prefix: req.remote_ip_prefix.clone(),
                remote_group_id: req.remote_group_id.clone(),
                description: req.description.clone(),
                created_at: now,
                updated_at: now,
                revision_number: 0,
            };
            s.security_group_rules.insert(r.id.clone(), r.clone());
            Ok(r)
        })
    }

    /// A security group rule.
    pub async fn get_security_group_rule(&self, ctx: &RequestContext, id: &str) -> Result<SecurityGroupRule> {
        self.read(|s| {
            s.security_group_rules
                .get(id)
                .filter(|r| ctx.owns(&r.project_id))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::SecurityGroupRule, id))
        })
    }

    /// The security group rules `ctx` sees.
    pub async fn list_security_group_rules(&self, ctx: &RequestContext) -> Vec<SecurityGroupRule> {
        self.read(|s| {
            s.security_group_rules
                .values()
                .filter(|r| ctx.owns(&r.project_id))
                .cloned()
                .collect()
        })
    }

    /// The rules of one group.
    pub fn rules_of(&self, group_id: &str) -> Vec<SecurityGroupRule> {
        self.read(|s| {
            s.security_group_rules
                .values()
                .filter(|r| r.security_group_id == group_id)
                .cloned()
                .collect()
        })
    }

    /// Deletes a security group rule.
    pub async fn delete_security_group_rule(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            s.security_group_rules
                .get(id)
                .filter(|r| ctx.owns(&r.project_id))
                .ok_or_else(|| SimError::not_found(Kind::SecurityGroupRule, id))?;
            s.security_group_rules.remove(id);
            Ok(())
        })
    }
}

fn router_subnet_checks(s: &State, router_id: &str, subnet: &Subnet) -> Result<()> {
    for p in s
        .ports
        .values()
        .filter(|p| p.device_id == router_id && p.device_owner == ROUTER_INTERFACE)
    {
        for f in &p.fixed_ips {
            if f.subnet_id == subnet.id {
                return Err(SimError::bad_request(format!(
                    "Bad router request: Router already has a port on subnet {}.",
                    subnet.id
                )));
            }
            if let Some(other) = s.subnets.get(&f.subnet_id)
                && other.cidr.overlaps(subnet.cidr)
            {
                return Err(SimError::bad_request(format!(
                    "Bad router request: Cidr {} of subnet {} overlaps with cidr {} of subnet {}.",
                    subnet.cidr, subnet.id, other.cidr, other.id
                )));
            }
        }
    }
    Ok(())
}
