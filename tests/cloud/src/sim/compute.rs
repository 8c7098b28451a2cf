//! Nova's operations on [`Cloud`]: flavors, keypairs, servers (BUILD, then ACTIVE once
//! the fabric booted the namespace; ERROR with a fault when it could not), server actions,
//! server groups with their placement policies over the simulated compute hosts, volume
//! attachments, availability zones, limits and quota sets.

use super::cloud::Cloud;
use super::context::RequestContext;
use super::error::{Kind, Result, SimError};
use super::faults::{self, FaultKind};
use super::model::*;
use super::network::PortCreate;
use super::state::{AVAILABILITY_ZONE, State};
use crate::fabric;
use base64::Engine as _;
use std::collections::BTreeMap;
use std::time::Duration;

/// How a server asks for its networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NetworksSpec {
    /// The project's only network (`"auto"` or, before 2.37, nothing).
    #[default]
    Auto,
    /// No network at all (`"none"`).
    None,
    /// These interfaces, in order.
    List(Vec<NicSpec>),
}

/// One requested interface.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NicSpec {
    /// A network (Nova makes a port on it).
    pub network_id: Option<String>,
    /// An existing port.
    pub port_id: Option<String>,
    /// A fixed IP on the network.
    pub fixed_ip: Option<std::net::Ipv4Addr>,
}

/// A block device of a new server (boot from volume, extra volumes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockDevice {
    /// An existing volume to attach.
    pub volume_id: Option<String>,
    /// Make a volume of this many GiB (from `image_id`) instead.
    pub volume_size: Option<u32>,
    /// The image of a volume to make.
    pub image_id: Option<String>,
    /// 0 for the root disk.
    pub boot_index: Option<i32>,
    /// Delete the volume with the server.
    pub delete_on_termination: bool,
    /// The device name asked for.
    pub device_name: Option<String>,
}

/// A server to create.
#[derive(Debug, Clone, Default)]
pub struct ServerCreate {
    /// Name.
    pub name: String,
    /// Image id (`None` when booting from a volume).
    pub image_ref: Option<String>,
    /// Flavor id.
    pub flavor_ref: String,
    /// Keypair name.
    pub key_name: Option<String>,
    /// Networks.
    pub networks: NetworksSpec,
    /// Security group names or ids (default `default`).
    pub security_groups: Option<Vec<String>>,
    /// User data, base64.
    pub user_data: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Availability zone.
    pub availability_zone: Option<String>,
    /// The server group (scheduler hint `group`).
    pub group: Option<String>,
    /// Minimum number of servers.
    pub min_count: u32,
    /// Maximum number of servers.
    pub max_count: u32,
    /// Block devices.
    pub block_devices: Vec<BlockDevice>,
    /// The login user to make (Heat's `admin_user`; not a Nova API field). Default: the
    /// image's `_sahara_username`, then `os_admin_user`, then the cloud's default.
    pub admin_user: Option<String>,
    /// Description (2.19).
    pub description: Option<String>,
    /// Config drive flag.
    pub config_drive: bool,
    /// Hostname (2.90); default: the name, sanitised.
    pub hostname: Option<String>,
}

/// A server group to create.
#[derive(Debug, Clone, Default)]
pub struct ServerGroupCreate {
    /// Name.
    pub name: String,
    /// Policy (`affinity`, `anti-affinity`, `soft-affinity`, `soft-anti-affinity`).
    pub policy: String,
    /// `max_server_per_host` (anti-affinity only, 2.64).
    pub max_server_per_host: Option<u32>,
}

/// A server action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerAction {
    /// `reboot` SOFT.
    Reboot,
    /// `reboot` HARD.
    HardReboot,
    /// `os-stop`.
    Stop,
    /// `os-start`.
    Start,
}

/// A project's absolute limits and usage (Nova's `/limits`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComputeLimits {
    /// Quota name → limit.
    pub limits: BTreeMap<&'static str, i64>,
    /// Quota name → usage.
    pub used: BTreeMap<&'static str, i64>,
}

/// Nova's message for a build that found no host.
pub const NO_VALID_HOST: &str = "No valid host was found. There are not enough hosts available.";

/// Nova's hostname sanitisation of a display name.
pub fn sanitize_hostname(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => out.push(c.to_ascii_lowercase()),
            ' ' | '_' => out.push('-'),
            '.' => out.push('-'),
            _ => {}
        }
    }
    let trimmed = out.trim_matches('-');
    let mut h: String = trimmed.chars().take(63).collect();
    h = h.trim_end_matches('-').to_string();
    if h.is_empty() { "server".to_string() } else { h }
}

/// Chooses a compute host for a server of `project_id` given its group's policy: the
/// least loaded host allowed. `None` when the policy cannot be met.
pub fn schedule(state: &State, group: Option<&ServerGroup>, exclude_server: &str) -> Option<String> {
    let load = |h: &str| {
        state
            .servers
            .values()
            .filter(|s| {
                s.host.as_deref() == Some(h) && s.status != ServerStatus::Deleted && s.status != ServerStatus::Error
            })
            .count()
    };
    let member_hosts: Vec<String> = group
        .map(|g| {
            g.members
                .iter()
                .filter(|m| m.as_str() != exclude_server)
                .filter_map(|m| state.servers.get(m))
                .filter(|s| s.status != ServerStatus::Error)
                .filter_map(|s| s.host.clone())
                .collect()
        })
        .unwrap_or_default();
    let mut hosts: Vec<&String> = state.compute_hosts.iter().collect();
    hosts.sort_by_key(|h| (load(h), h.to_string()));
    match group.map(|g| g.policy) {
        None => hosts.first().map(|h| h.to_string()),
        Some(GroupPolicy::Affinity) => match member_hosts.first() {
            Some(h) => Some(h.clone()),
            None => hosts.first().map(|h| h.to_string()),
        },
        Some(GroupPolicy::AntiAffinity) => {
            let max = group.and_then(|g| g.max_server_per_host).unwrap_or(1) as usize;
            hosts
                .into_iter()
                .find(|h| member_hosts.iter().filter(|m| m == h).count() < max)
                .map(|h| h.to_string())
        }
        Some(GroupPolicy::SoftAffinity) => member_hosts
            .first()
            .cloned()
            .or_else(|| hosts.first().map(|h| h.to_string())),
        Some(GroupPolicy::SoftAntiAffinity) => {
            hosts.sort_by_key(|h| (member_hosts.iter().filter(|m| m == h).count(), load(h)));
            hosts.first().map(|h| h.to_string())
        }
    }
}

/// Nova's `hostId`: a digest of the project and the host, so that users can tell whether
/// two servers share a host without learning its name.
pub fn host_id(project_id: &str, host: Option<&str>) -> String {
    use sha2::Digest as _;
    match host {
        None => String::new(),
        Some(h) => {
            let digest = sha2::Sha224::digest(format!("{project_id}{h}").as_bytes());
            digest.iter().map(|b| format!("{b:02x}")).collect()
        }
    }
}

/// The next free `/dev/vdX` of a server (vda is the root disk).
fn next_device(state: &State, server_id: &str) -> String {
    let used: Vec<String> = state
        .volumes
        .values()
        .filter_map(|v| v.attachment.as_ref())
        .filter(|a| a.server_id == server_id)
        .map(|a| a.device.clone())
        .collect();
    ('b'..='z')
        .map(|c| format!("/dev/vd{c}"))
        .find(|d| !used.contains(d))
        .unwrap_or_else(|| "/dev/vdz".to_string())
}

impl State {
    /// A server `ctx` sees.
    pub fn server(&self, ctx: &RequestContext, id: &str) -> Result<&Server> {
        self.servers
            .get(id)
            .filter(|s| ctx.owns(&s.project_id))
            .ok_or_else(|| SimError::not_found(Kind::Server, id))
    }

    /// A flavor by id, or by name.
    pub fn flavor(&self, id: &str) -> Result<&Flavor> {
        self.flavors
            .get(id)
            .or_else(|| self.flavors.values().find(|f| f.name == id))
            .ok_or_else(|| SimError::not_found(Kind::Flavor, id))
    }

    /// The login user of a server booted from `image`.
    pub fn login_user_of(&self, image_id: Option<&str>, default: &str) -> String {
        image_id
            .and_then(|i| self.images.get(i))
            .and_then(|i| {
                i.properties
                    .get("_sahara_username")
                    .or_else(|| i.properties.get("os_admin_user"))
            })
            .cloned()
            .unwrap_or_else(|| default.to_string())
    }
}

impl Cloud {
    /// The flavors (public ones, or all for admins).
    pub async fn list_flavors(&self, ctx: &RequestContext) -> Vec<Flavor> {
        self.read(|s| {
            s.flavors
                .values()
                .filter(|f| f.is_public || ctx.is_admin)
                .cloned()
                .collect()
        })
    }

    /// A flavor.
    pub async fn get_flavor(&self, _ctx: &RequestContext, id: &str) -> Result<Flavor> {
        self.read(|s| {
            s.flavors
                .get(id)
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Flavor, id))
        })
    }

    /// Creates a flavor (admin).
    pub async fn create_flavor(&self, ctx: &RequestContext, mut flavor: Flavor) -> Result<Flavor> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow os_compute_api:os-flavor-manage:create to be performed.",
            ));
        }
        if flavor.id.is_empty() || flavor.id == "auto" {
            flavor.id = self.prefix().mint_id();
        }
        self.try_write(|s| {
            if s.flavors.values().any(|f| f.name == flavor.name) {
                return Err(SimError::conflict(
                    "FlavorExists",
                    format!("Flavor with name {} already exists.", flavor.name),
                ));
            }
            if s.flavors.contains_key(&flavor.id) {
                return Err(SimError::conflict(
                    "FlavorExists",
                    format!("Flavor with ID {} already exists.", flavor.id),
                ));
            }
            s.flavors.insert(flavor.id.clone(), flavor.clone());
            Ok(flavor)
        })
    }

    /// Deletes a flavor (admin).
    pub async fn delete_flavor(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow os_compute_api:os-flavor-manage:delete to be performed.",
            ));
        }
        self.try_write(|s| {
            s.flavors
                .remove(id)
                .map(|_| ())
                .ok_or_else(|| SimError::not_found(Kind::Flavor, id))
        })
    }

    /// Imports (`public_key` given) or generates a keypair. A generated one's private key
    /// is returned once, as Nova does, and never kept.
    pub async fn create_keypair(
        &self,
        ctx: &RequestContext,
        name: &str,
        public_key: Option<String>,
        key_type: Option<String>,
    ) -> Result<(Keypair, Option<String>)> {
        if name.is_empty()
            || name.len() > 255
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || " @._-".contains(c))
        {
            return Err(SimError::bad_request(
                "Keypair data is invalid: Keypair name contains unsafe characters".to_string(),
            ));
        }
        self.read(|s| {
            if s.keypairs.contains_key(&State::keypair_key(&ctx.user_id, name)) {
                return Err(SimError::conflict(
                    "KeyPairExists",
                    format!("Key pair '{name}' already exists."),
                ));
            }
            s.quotas.check(
                &ctx.project_id,
                "key_pairs",
                s.usage(&ctx.project_id, &ctx.user_id, "key_pairs"),
                1,
            )
        })?;
        let (public_key, private_key) = match public_key {
            Some(k) => (k.trim().to_string(), None),
            None => {
                let (public, private) = generate_keypair().await?;
                (public, Some(private))
            }
        };
        let fingerprint = fingerprint(&public_key).await?;
        let kp = Keypair {
            name: name.to_string(),
            user_id: ctx.user_id.clone(),
            public_key,
            fingerprint,
            key_type: key_type.unwrap_or_else(|| "ssh".to_string()),
            created_at: chrono::Utc::now(),
        };
        self.try_write(|s| {
            let key = State::keypair_key(&ctx.user_id, name);
            if s.keypairs.contains_key(&key) {
                return Err(SimError::conflict(
                    "KeyPairExists",
                    format!("Key pair '{name}' already exists."),
                ));
            }
            s.keypairs.insert(key, kp.clone());
            Ok(())
        })?;
        tracing::info!(keypair = %name, user_id = %ctx.user_id, "keypair created");
        Ok((kp, private_key))
    }

    /// The caller's keypairs (admins may name another user).
    pub async fn list_keypairs(&self, ctx: &RequestContext, user_id: Option<&str>) -> Result<Vec<Keypair>> {
        let user = self.keypair_user(ctx, user_id)?;
        Ok(self.read(|s| s.keypairs.values().filter(|k| k.user_id == user).cloned().collect()))
    }

    /// A keypair of the caller (admins may name another user).
    pub async fn get_keypair(&self, ctx: &RequestContext, name: &str, user_id: Option<&str>) -> Result<Keypair> {
        let user = self.keypair_user(ctx, user_id)?;
        self.read(|s| {
            s.keypairs
                .get(&State::keypair_key(&user, name))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Keypair, name))
        })
    }

    /// Deletes a keypair.
    pub async fn delete_keypair(&self, ctx: &RequestContext, name: &str, user_id: Option<&str>) -> Result<()> {
        let user = self.keypair_user(ctx, user_id)?;
        self.try_write(|s| {
            s.keypairs
                .remove(&State::keypair_key(&user, name))
                .map(|_| ())
                .ok_or_else(|| SimError::not_found(Kind::Keypair, name))
        })
    }

    fn keypair_user(&self, ctx: &RequestContext, user_id: Option<&str>) -> Result<String> {
        match user_id {
            Some(u) if u != ctx.user_id && !ctx.is_admin => Err(SimError::forbidden(
                "Policy doesn't allow os_compute_api:os-keypairs:index to be performed.",
            )),
            Some(u) => Ok(u.to_string()),
            None => Ok(ctx.user_id.clone()),
        }
    }

    /// Creates servers (one unless `max_count` says more): checks, quotas, ports and
    /// placement happen now; the boot happens in the background (BUILD, then ACTIVE or
    /// ERROR).
    pub async fn create_server(&self, ctx: &RequestContext, req: ServerCreate) -> Result<Vec<Server>> {
        let _g = self.serial().await;
        let prefix = self.prefix();
        let default_user = self.config().default_login_user.clone();
        let count = req.max_count.max(req.min_count).max(1);
        let servers = self.try_write(|s| {
            let flavor = s.flavor(&req.flavor_ref).map_err(|_| SimError::bad_request("Invalid flavorRef provided."))?.clone();
            let boot_volume = req.block_devices.iter().any(|b| b.boot_index == Some(0));
            let image_id = match req.image_ref.as_deref().filter(|i| !i.is_empty()) {
                Some(i) => {
                    let img = s
                        .images
                        .get(i)
                        .filter(|img| img.visibility == "public" || ctx.owns(img.owner.as_deref().unwrap_or("")))
                        .ok_or_else(|| SimError::bad_request("Can not find requested image"))?;
                    if img.status != "active" {
                        return Err(SimError::bad_request(format!("Image {i} is not active.")));
                    }
                    Some(img.id.clone())
                }
                None if boot_volume => None,
                None => return Err(SimError::bad_request("Missing imageRef attribute")),
            };
            let keypair = match &req.key_name {
                Some(k) => Some(
                    s.keypairs
                        .get(&State::keypair_key(&ctx.user_id, k))
                        .cloned()
                        .ok_or_else(|| SimError::bad_request("Invalid key_name provided."))?,
                ),
                None => None,
            };
            if let Some(az) = &req.availability_zone {
                let az = az.split(':').next().unwrap_or_default();
                if !az.is_empty() && az != AVAILABILITY_ZONE {
                    return Err(SimError::bad_request("The requested availability zone is not available"));
                }
            }
            let group = match &req.group {
                Some(g) => Some(
                    s.server_groups
                        .get(g)
                        .filter(|x| ctx.owns(&x.project_id))
                        .cloned()
                        .ok_or_else(|| SimError::bad_request(format!("Invalid server group {g}")))?,
                ),
                None => None,
            };
            for b in &req.block_devices {
                if let Some(v) = &b.volume_id {
                    let vol = s
                        .volumes
                        .get(v)
                        .filter(|x| ctx.owns(&x.project_id))
                        .ok_or_else(|| SimError::bad_request(format!("Block Device Mapping is Invalid: failed to get volume {v}.")))?;
                    if vol.status != VolumeStatus::Available {
                        return Err(SimError::bad_request(format!(
                            "Block Device Mapping is Invalid: Volume {v} status must be available, but the current status is {}.",
                            vol.status.as_str()
                        )));
                    }
                }
            }
            // Quotas: instances, cores, ram; group members.
            let n = i64::from(count);
            for (name, per) in [("instances", 1), ("cores", i64::from(flavor.vcpus)), ("ram", i64::from(flavor.ram))] {
                s.quotas.check(&ctx.project_id, name, s.usage(&ctx.project_id, &ctx.user_id, name), per * n)?;
            }
            if let Some(g) = &group {
                s.quotas.check(&ctx.project_id, "server_group_members", g.members.len() as i64, n).map_err(|_| {
                    SimError::Forbidden { kind: "QuotaExceeded", message: "Quota exceeded, too many servers in group".into() }
                })?;
            }
            let security_groups = req.security_groups.clone().unwrap_or_else(|| vec!["default".to_string()]);
            let sg_ids = {
                s.ensure_default_security_group(prefix, &ctx.project_id);
                s.resolve_security_groups(ctx, &security_groups).map_err(|e| match e {
                    SimError::NotFound { id, .. } => SimError::bad_request(format!("Security group {id} not found.")),
                    other => other,
                })?
            };
            let nics: Vec<NicSpec> = match &req.networks {
                NetworksSpec::None => Vec::new(),
                NetworksSpec::List(l) => l.clone(),
                NetworksSpec::Auto => {
                    let mine: Vec<&Network> =
                        s.networks.values().filter(|n| !n.external && (n.project_id == ctx.project_id || n.shared)).collect();
                    match mine.as_slice() {
                        [] => Vec::new(),
                        [one] => vec![NicSpec { network_id: Some(one.id.clone()), ..Default::default() }],
                        _ => {
                            return Err(SimError::conflict(
                                "NetworkAmbiguous",
                                "Multiple possible networks found, use a Network ID to be more specific.",
                            ));
                        }
                    }
                }
            };
            // Validate the nics before making anything.
            for nic in &nics {
                if let Some(p) = &nic.port_id {
                    let port = s.port(ctx, p).map_err(|_| SimError::bad_request(format!("Port {p} could not be found.")))?;
                    if !port.device_id.is_empty() {
                        return Err(SimError::conflict("PortInUse", format!("Port {p} is still in use.")));
                    }
                } else if let Some(n) = &nic.network_id {
                    let net = s.network(ctx, n).map_err(|_| SimError::bad_request(format!("Network {n} could not be found.")))?;
                    if net.external && !ctx.is_admin {
                        return Err(SimError::forbidden(format!(
                            "It is not allowed to create an interface on external network {n}"
                        )));
                    }
                } else {
                    return Err(SimError::bad_request("Bad networks format: network uuid is not in proper format"));
                }
            }
            let reservation_id = format!("r-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
            let now = chrono::Utc::now();
            let mut made_ports: Vec<String> = Vec::new();
            let mut servers = Vec::new();
            for index in 0..count {
                let id = prefix.mint_id();
                let name = if count > 1 { format!("{}-{}", req.name, index + 1) } else { req.name.clone() };
                let mut ports = Vec::new();
                for nic in &nics {
                    let result = match &nic.port_id {
                        Some(p) => {
                            if let Some(port) = s.ports.get_mut(p) {
                                port.device_id = id.clone();
                                port.device_owner = format!("compute:{AVAILABILITY_ZONE}");
                            }
                            Ok(ServerPort { port_id: p.clone(), created_by_nova: false })
                        }
                        None => s
                            .insert_port(
                                ctx,
                                prefix,
                                &PortCreate {
                                    network_id: nic.network_id.clone().unwrap_or_default(),
                                    fixed_ips: nic.fixed_ip.map(|ip| {
                                        vec![super::network::FixedIpSpec { subnet_id: None, ip_address: Some(ip) }]
                                    }),
                                    device_id: id.clone(),
                                    device_owner: format!("compute:{AVAILABILITY_ZONE}"),
                                    security_groups: Some(sg_ids.clone()),
                                    ..Default::default()
                                },
                            )
                            .map(|p| ServerPort { port_id: p.id, created_by_nova: true }),
                    };
                    match result {
                        Ok(p) => {
                            if p.created_by_nova {
                                made_ports.push(p.port_id.clone());
                            }
                            ports.push(p);
                        }
                        Err(e) => {
                            for p in &made_ports {
                                s.ports.remove(p);
                            }
                            for sv in &servers {
                                let sv: &Server = sv;
                                for p in &sv.ports {
                                    if let Some(port) = s.ports.get_mut(&p.port_id) {
                                        port.device_id.clear();
                                        port.device_owner.clear();
                                    }
                                }
                                s.servers.remove(&sv.id);
                            }
                            return Err(match e {
                                SimError::OverQuota(_) => SimError::Forbidden {
                                    kind: "PortLimitExceeded",
                                    message: "Maximum number of ports exceeded".into(),
                                },
                                other => other,
                            });
                        }
                    }
                }
                let server = Server {
                    id: id.clone(),
                    name: name.clone(),
                    project_id: ctx.project_id.clone(),
                    user_id: ctx.user_id.clone(),
                    status: ServerStatus::Build,
                    task_state: Some("scheduling".to_string()),
                    image_id: image_id.clone(),
                    flavor: flavor.clone(),
                    key_name: keypair.as_ref().map(|k| k.name.clone()),
                    metadata: req.metadata.clone(),
                    availability_zone: AVAILABILITY_ZONE.to_string(),
                    host: None,
                    hostname: req.hostname.clone().unwrap_or_else(|| sanitize_hostname(&name)),
                    login_user: req.admin_user.clone().unwrap_or_else(|| s.login_user_of(image_id.as_deref(), &default_user)),
                    user_data: req.user_data.clone(),
                    security_groups: security_groups.clone(),
                    ports,
                    server_group: group.as_ref().map(|g| g.id.clone()),
                    fault: None,
                    on_host: false,
                    build_done: false,
                    description: req.description.clone(),
                    reservation_id: reservation_id.clone(),
                    launch_index: index,
                    config_drive: req.config_drive,
                    created: now,
                    updated: now,
                    launched_at: None,
                };
                s.servers.insert(id.clone(), server.clone());
                if let Some(g) = &group
                    && let Some(g) = s.server_groups.get_mut(&g.id)
                {
                    g.members.push(id.clone());
                }
                servers.push(server);
            }
            Ok(servers)
        })?;
        drop(_g);
        for server in &servers {
            tracing::info!(server_id = %server.id, name = %server.name, "server accepted (BUILD)");
            let cloud = self.clone();
            let ctx = ctx.clone();
            let id = server.id.clone();
            let devices = req.block_devices.clone();
            self.spawn(async move {
                cloud.build(&ctx, &id, devices).await;
                cloud.write(|s| {
                    if let Some(v) = s.servers.get_mut(&id) {
                        v.build_done = true;
                    }
                });
            });
        }
        Ok(servers)
    }

    /// The background half of a boot: faults, placement, the fabric's boot, volumes.
    async fn build(&self, ctx: &RequestContext, id: &str, devices: Vec<BlockDevice>) {
        let span = tracing::info_span!("server_build", server_id = %id);
        let _e = span.enter();
        drop(_e);
        let (name, project) = match self.read(|s| s.servers.get(id).map(|v| (v.name.clone(), v.project_id.clone()))) {
            Some(x) => x,
            None => return,
        };
        let fired = self.write(|s| faults::take_server_faults(&mut s.faults, &name, &project));
        for f in &fired {
            if let FaultKind::BootDelay { seconds } = f {
                tokio::time::sleep(Duration::from_secs_f64(*seconds)).await;
            }
        }
        if let Some(message) = fired.iter().find_map(|f| match f {
            FaultKind::ServerError { message } => Some(message.clone()),
            _ => None,
        }) {
            self.fail_build(id, 500, &message, "injected fault");
            return;
        }
        let unreachable = fired.contains(&FaultKind::Unreachable);
        // Placement.
        let placed = self.write(|s| {
            let group = s
                .servers
                .get(id)
                .and_then(|v| v.server_group.clone())
                .and_then(|g| s.server_groups.get(&g).cloned());
            let host = schedule(s, group.as_ref(), id);
            if let (Some(h), Some(v)) = (&host, s.servers.get_mut(id)) {
                v.host = Some(h.clone());
                v.task_state = Some("spawning".to_string());
                v.updated = chrono::Utc::now();
            }
            host
        });
        if placed.is_none() {
            self.fail_build(
                id,
                500,
                NO_VALID_HOST,
                "scheduler: no host satisfies the server group's policy",
            );
            return;
        }
        // The host side.
        let spec = match self.read(|s| server_spec(s, id)) {
            Ok(spec) => spec,
            Err(e) => {
                self.fail_build(id, 500, &format!("Build of instance {id} aborted: {e}"), "");
                return;
            }
        };
        if !unreachable && let Err(e) = self.host(move |f| f.boot_server(&spec)).await {
            {
                tracing::warn!(server_id = %id, error = %e, "boot failed");
                self.fail_build(id, 500, &format!("Build of instance {id} aborted: {e}"), &e.to_string());
                // Take down whatever half-booted.
                let sid = id.to_string();
                let _ = self.host(move |f| f.delete_server(&sid)).await;
                return;
            }
        }
        let deleting = self.write(|s| {
            let host = s.servers.get(id).and_then(|v| v.host.clone()).unwrap_or_default();
            let port_ids: Vec<String> = s
                .servers
                .get(id)
                .map(|v| v.ports.iter().map(|p| p.port_id.clone()).collect())
                .unwrap_or_default();
            for p in port_ids {
                if let Some(port) = s.ports.get_mut(&p) {
                    port.status = "ACTIVE".to_string();
                    port.binding_host_id = host.clone();
                }
            }
            match s.servers.get_mut(id) {
                Some(v) => {
                    v.on_host = !unreachable;
                    let deleting = v.task_state.as_deref() == Some("deleting");
                    if !deleting {
                        v.task_state = None;
                        v.status = ServerStatus::Active;
                        v.launched_at = Some(chrono::Utc::now());
                        v.updated = chrono::Utc::now();
                    }
                    deleting
                }
                None => true,
            }
        });
        if deleting {
            return;
        }
        tracing::info!(server_id = %id, unreachable, "server ACTIVE");
        // Block devices: existing volumes, or volumes made for the server.
        for d in devices {
            let volume_id = match (&d.volume_id, d.volume_size) {
                (Some(v), _) => v.clone(),
                (None, Some(size)) => {
                    match self
                        .create_volume(
                            ctx,
                            super::volume::VolumeCreate {
                                size,
                                image_id: d.image_id.clone(),
                                ..Default::default()
                            },
                        )
                        .await
                    {
                        Ok(v) => {
                            let vid = v.id.clone();
                            self.wait_until(Duration::from_secs(120), |s| {
                                s.volumes.get(&vid).is_none_or(|v| v.status != VolumeStatus::Creating)
                            })
                            .await;
                            v.id
                        }
                        Err(e) => {
                            tracing::warn!(server_id = %id, error = %e, "block device volume failed");
                            continue;
                        }
                    }
                }
                _ => continue,
            };
            let device = if d.boot_index == Some(0) {
                Some("/dev/vda".to_string())
            } else {
                d.device_name.clone()
            };
            if let Err(e) = self
                .attach_volume_inner(ctx, id, &volume_id, device, d.delete_on_termination, true)
                .await
            {
                tracing::warn!(server_id = %id, volume_id = %volume_id, error = %e, "block device attach failed");
            }
        }
    }

    fn fail_build(&self, id: &str, code: u16, message: &str, details: &str) {
        tracing::info!(server_id = %id, %message, "server ERROR");
        self.write(|s| {
            if let Some(v) = s.servers.get_mut(id) {
                v.status = ServerStatus::Error;
                v.task_state = None;
                v.updated = chrono::Utc::now();
                v.fault = Some(ServerFault {
                    code,
                    message: message.to_string(),
                    details: details.to_string(),
                    created: chrono::Utc::now(),
                });
            }
        });
    }

    /// A server.
    pub async fn get_server(&self, ctx: &RequestContext, id: &str) -> Result<Server> {
        self.read(|s| s.server(ctx, id).cloned())
    }

    /// The servers of the caller's project, or of every project for an admin who asks
    /// (`all_tenants`), newest first.
    pub async fn list_servers(&self, ctx: &RequestContext, all_projects: bool) -> Vec<Server> {
        let mut v: Vec<Server> = self.read(|s| {
            s.servers
                .values()
                .filter(|v| {
                    if all_projects && ctx.is_admin {
                        true
                    } else {
                        v.project_id == ctx.project_id
                    }
                })
                .cloned()
                .collect()
        });
        v.sort_by(|a, b| b.created.cmp(&a.created).then(b.id.cmp(&a.id)));
        v
    }

    /// Waits until the server leaves BUILD (or is gone), up to `timeout`; returns it.
    pub async fn wait_server_settled(&self, ctx: &RequestContext, id: &str, timeout: Duration) -> Result<Server> {
        self.wait_until(timeout, |s| {
            s.servers.get(id).is_none_or(|v| v.status != ServerStatus::Build)
        })
        .await;
        self.get_server(ctx, id).await
    }

    /// Updates a server's name, description or hostname.
    pub async fn update_server(
        &self,
        ctx: &RequestContext,
        id: &str,
        name: Option<String>,
        description: Option<Option<String>>,
    ) -> Result<Server> {
        self.try_write(|s| {
            s.server(ctx, id)?;
            let v = s
                .servers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Server, id))?;
            if let Some(n) = name {
                v.name = n;
            }
            if let Some(d) = description {
                v.description = d;
            }
            v.updated = chrono::Utc::now();
            Ok(v.clone())
        })
    }

    /// Replaces (`replace`) or merges a server's metadata; returns it.
    pub async fn set_server_metadata(
        &self,
        ctx: &RequestContext,
        id: &str,
        metadata: BTreeMap<String, String>,
        replace: bool,
    ) -> Result<BTreeMap<String, String>> {
        self.try_write(|s| {
            s.server(ctx, id)?;
            let limit = s.quotas.limit(&ctx.project_id, "metadata_items");
            let v = s
                .servers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Server, id))?;
            let mut next = if replace { BTreeMap::new() } else { v.metadata.clone() };
            next.extend(metadata);
            if limit >= 0 && next.len() as i64 > limit {
                return Err(SimError::Forbidden {
                    kind: "QuotaExceeded",
                    message: "Quota exceeded for metadata_items".into(),
                });
            }
            v.metadata = next;
            v.updated = chrono::Utc::now();
            Ok(v.metadata.clone())
        })
    }

    /// Deletes one metadata key.
    pub async fn delete_server_metadata(&self, ctx: &RequestContext, id: &str, key: &str) -> Result<()> {
        self.try_write(|s| {
            s.server(ctx, id)?;
            let v = s
                .servers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Server, id))?;
            v.metadata.remove(key).map(|_| ()).ok_or_else(|| SimError::Missing {
                kind: "MetadataNotFound",
                message: "Metadata item was not found".into(),
            })
        })
    }

    /// Runs a server action. The namespace is not power-cycled (the fabric has no power
    /// control): reboot passes through REBOOT back to ACTIVE, stop and start switch the
    /// status between SHUTOFF and ACTIVE while its processes keep running.
    pub async fn server_action(&self, ctx: &RequestContext, id: &str, action: ServerAction) -> Result<()> {
        let (verb, from, via) = match action {
            ServerAction::Reboot => (
                "reboot",
                &[ServerStatus::Active, ServerStatus::Shutoff][..],
                ServerStatus::Reboot,
            ),
            ServerAction::HardReboot => (
                "reboot",
                &[ServerStatus::Active, ServerStatus::Shutoff, ServerStatus::Error][..],
                ServerStatus::HardReboot,
            ),
            ServerAction::Stop => (
                "stop",
                &[ServerStatus::Active, ServerStatus::Error][..],
                ServerStatus::Shutoff,
            ),
            ServerAction::Start => ("start", &[ServerStatus::Shutoff][..], ServerStatus::Active),
        };
        self.try_write(|s| {
            let v = s.server(ctx, id)?;
            if !from.contains(&v.status) || v.task_state.is_some() {
                return Err(SimError::conflict(
                    "InstanceInvalidState",
                    format!(
                        "Cannot '{verb}' instance {id} while it is in vm_state {}",
                        v.status.vm_state()
                    ),
                ));
            }
            let v = s
                .servers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Server, id))?;
            v.status = via;
            v.fault = None;
            v.updated = chrono::Utc::now();
            Ok(())
        })?;
        if matches!(action, ServerAction::Reboot | ServerAction::HardReboot) {
            let cloud = self.clone();
            let id = id.to_string();
            self.spawn(async move {
                tokio::time::sleep(Duration::from_millis(200)).await;
                cloud.write(|s| {
                    if let Some(v) = s.servers.get_mut(&id)
                        && matches!(v.status, ServerStatus::Reboot | ServerStatus::HardReboot)
                    {
                        v.status = ServerStatus::Active;
                        v.updated = chrono::Utc::now();
                    }
                });
            });
        }
        tracing::info!(server_id = %id, ?action, "server action");
        Ok(())
    }

    /// Deletes a server: answers at once; in the background waits for its build, detaches
    /// its volumes, removes it from the host, deletes the ports Nova made (unbinding the
    /// others) and drops it.
    pub async fn delete_server(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            s.server(ctx, id)?;
            let v = s
                .servers
                .get_mut(id)
                .ok_or_else(|| SimError::not_found(Kind::Server, id))?;
            if v.task_state.as_deref() == Some("deleting") {
                return Ok(());
            }
            v.task_state = Some("deleting".to_string());
            v.updated = chrono::Utc::now();
            Ok(())
        })?;
        let cloud = self.clone();
        let id = id.to_string();
        self.spawn(async move {
            if let Err(e) = cloud.finish_delete(&id).await {
                tracing::error!(server_id = %id, error = %e, "server deletion failed");
                cloud.write(|s| {
                    if let Some(v) = s.servers.get_mut(&id) {
                        v.status = ServerStatus::Error;
                        v.task_state = None;
                        v.fault = Some(ServerFault {
                            code: 500,
                            message: format!("Failed to delete instance: {e}"),
                            details: String::new(),
                            created: chrono::Utc::now(),
                        });
                    }
                });
            }
        });
        Ok(())
    }

    async fn finish_delete(&self, id: &str) -> Result<()> {
        // A build still running finishes first (it sees the deleting task state).
        self.wait_until(Duration::from_secs(900), |s| {
            s.servers.get(id).is_none_or(|v| v.build_done)
        })
        .await;
        let attached: Vec<(String, bool)> = self.read(|s| {
            s.volumes
                .values()
                .filter_map(|v| {
                    v.attachment
                        .as_ref()
                        .filter(|a| a.server_id == id)
                        .map(|a| (v.id.clone(), a.delete_on_termination))
                })
                .collect()
        });
        let on_host = self.read(|s| s.servers.get(id).is_some_and(|v| v.on_host));
        for (vol, _) in &attached {
            if on_host {
                let (sid, vid) = (id.to_string(), vol.clone());
                if let Err(e) = self.host(move |f| f.detach_volume(&sid, &vid)).await {
                    tracing::warn!(server_id = %id, volume_id = %vol, error = %e, "detach on delete failed");
                }
            }
            self.write(|s| {
                if let Some(v) = s.volumes.get_mut(vol) {
                    v.attachment = None;
                    v.status = VolumeStatus::Available;
                    v.updated_at = Some(chrono::Utc::now());
                }
            });
        }
        let sid = id.to_string();
        self.host(move |f| f.delete_server(&sid)).await?;
        let _g = self.serial().await;
        let ports: Vec<ServerPort> = self.read(|s| s.servers.get(id).map(|v| v.ports.clone()).unwrap_or_default());
        for p in ports {
            if p.created_by_nova {
                self.remove_port_locked(&p.port_id).await?;
            } else {
                self.write(|s| {
                    if let Some(port) = s.ports.get_mut(&p.port_id) {
                        port.device_id.clear();
                        port.device_owner.clear();
                        port.binding_host_id.clear();
                        port.status = "DOWN".to_string();
                    }
                });
            }
        }
        self.write(|s| {
            s.servers.remove(id);
            for g in s.server_groups.values_mut() {
                g.members.retain(|m| m != id);
            }
        });
        drop(_g);
        tracing::info!(server_id = %id, "server deleted");
        for (vol, delete) in attached {
            if delete {
                let admin = RequestContext::new(String::new(), String::new(), vec!["admin".into()]);
                if let Err(e) = self.delete_volume(&admin, &vol).await {
                    tracing::warn!(volume_id = %vol, error = %e, "delete_on_termination volume not deleted");
                }
            }
        }
        Ok(())
    }

    /// What the fabric knows of a server (running sshd, user data's exit status).
    pub async fn server_host_status(&self, ctx: &RequestContext, id: &str) -> Result<fabric::ServerStatus> {
        self.read(|s| s.server(ctx, id).map(|_| ()))?;
        let sid = id.to_string();
        self.host(move |f| f.server_status(&sid)).await
    }

    /// Creates a server group.
    pub async fn create_server_group(&self, ctx: &RequestContext, req: ServerGroupCreate) -> Result<ServerGroup> {
        let policy = GroupPolicy::parse(&req.policy).ok_or_else(|| {
            SimError::bad_request(format!(
                "Invalid input for field/attribute policy. Value: {}. '{}' is not one of ['anti-affinity', 'affinity', 'soft-anti-affinity', 'soft-affinity']",
                req.policy, req.policy
            ))
        })?;
        if req.max_server_per_host.is_some() && policy != GroupPolicy::AntiAffinity {
            return Err(SimError::bad_request("Only anti-affinity policy supports rules."));
        }
        let prefix = self.prefix();
        self.try_write(|s| {
            s.quotas
                .check(
                    &ctx.project_id,
                    "server_groups",
                    s.usage(&ctx.project_id, &ctx.user_id, "server_groups"),
                    1,
                )
                .map_err(|_| SimError::Forbidden {
                    kind: "QuotaExceeded",
                    message: "Quota exceeded, too many server groups.".into(),
                })?;
            let g = ServerGroup {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id: ctx.project_id.clone(),
                user_id: ctx.user_id.clone(),
                policy,
                max_server_per_host: req.max_server_per_host,
                members: Vec::new(),
                metadata: BTreeMap::new(),
            };
            s.server_groups.insert(g.id.clone(), g.clone());
            Ok(g)
        })
    }

    /// A server group.
    pub async fn get_server_group(&self, ctx: &RequestContext, id: &str) -> Result<ServerGroup> {
        self.read(|s| {
            s.server_groups
                .get(id)
                .filter(|g| ctx.owns(&g.project_id))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::ServerGroup, id))
        })
    }

    /// The server groups of the project (every project for an admin who asks).
    pub async fn list_server_groups(&self, ctx: &RequestContext, all_projects: bool) -> Vec<ServerGroup> {
        self.read(|s| {
            s.server_groups
                .values()
                .filter(|g| {
                    if all_projects && ctx.is_admin {
                        true
                    } else {
                        g.project_id == ctx.project_id
                    }
                })
                .cloned()
                .collect()
        })
    }

    /// Deletes a server group (its members keep running).
    pub async fn delete_server_group(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            s.server_groups
                .get(id)
                .filter(|g| ctx.owns(&g.project_id))
                .ok_or_else(|| SimError::not_found(Kind::ServerGroup, id))?;
            s.server_groups.remove(id);
            for v in s.servers.values_mut() {
                if v.server_group.as_deref() == Some(id) {
                    v.server_group = None;
                }
            }
            Ok(())
        })
    }

    /// Attaches a volume to a server (Nova's `os-volume_attachments`): answers with the
    /// attachment at once; the volume goes `attaching`, then `in-use` once it appears in
    /// the server as the returned device.
    pub async fn attach_volume(
        &self,
        ctx: &RequestContext,
        server_id: &str,
        volume_id: &str,
        device: Option<String>,
        delete_on_termination: bool,
    ) -> Result<VolumeAttachment> {
        self.attach_volume_inner(ctx, server_id, volume_id, device, delete_on_termination, false)
            .await
    }

    async fn attach_volume_inner(
        &self,
        ctx: &RequestContext,
        server_id: &str,
        volume_id: &str,
        device: Option<String>,
        delete_on_termination: bool,
        wait: bool,
    ) -> Result<VolumeAttachment> {
        let prefix = self.prefix();
        let (attachment, on_host) = self.try_write(|s| {
            let server = s.server(ctx, server_id)?.clone();
            if !matches!(server.status, ServerStatus::Active | ServerStatus::Shutoff) || server.task_state.is_some() {
                return Err(SimError::conflict(
                    "InstanceInvalidState",
                    format!("Cannot 'attach_volume' instance {server_id} while it is in vm_state {}", server.status.vm_state()),
                ));
            }
            let vol = s
                .volumes
                .get(volume_id)
                .filter(|v| ctx.owns(&v.project_id))
                .ok_or_else(|| SimError::not_found(Kind::Volume, volume_id))?;
            if vol.status != VolumeStatus::Available {
                return Err(SimError::bad_request(format!(
                    "Invalid volume: Volume status must be available or downloading to reserve, but the current status is {}.",
                    vol.status.as_str()
                )));
            }
            let device = match device.filter(|d| !d.is_empty() && d != "auto") {
                Some(d) => d,
                None => next_device(s, server_id),
            };
            let a = VolumeAttachment {
                attachment_id: prefix.mint_id(),
                server_id: server_id.to_string(),
                device,
                host_name: server.host.clone(),
                delete_on_termination,
                attached_at: chrono::Utc::now(),
            };
            let v = s.volumes.get_mut(volume_id).ok_or_else(|| SimError::not_found(Kind::Volume, volume_id))?;
            v.status = VolumeStatus::Attaching;
            v.attachment = Some(a.clone());
            v.updated_at = Some(chrono::Utc::now());
            Ok((a, server.on_host))
        })?;
        let cloud = self.clone();
        let (sid, vid, dev) = (server_id.to_string(), volume_id.to_string(), attachment.device.clone());
        let work = async move {
            let result = if on_host {
                let (s2, v2) = (sid.clone(), vid.clone());
                cloud.host(move |f| f.attach_volume(&s2, &v2, &dev)).await
            } else {
                Ok(())
            };
            cloud.write(|s| {
                if let Some(v) = s.volumes.get_mut(&vid) {
                    match &result {
                        Ok(()) => v.status = VolumeStatus::InUse,
                        Err(_) => {
                            v.status = VolumeStatus::Available;
                            v.attachment = None;
                        }
                    }
                    v.updated_at = Some(chrono::Utc::now());
                }
            });
            match result {
                Ok(()) => tracing::info!(server_id = %sid, volume_id = %vid, "volume attached"),
                Err(e) => tracing::warn!(server_id = %sid, volume_id = %vid, error = %e, "volume attach failed"),
            }
        };
        if wait {
            work.await
        } else {
            self.spawn(work)
        }
        Ok(attachment)
    }

    /// The volumes attached to a server: `(volume id, attachment)`.
    pub async fn list_volume_attachments(
        &self,
        ctx: &RequestContext,
        server_id: &str,
    ) -> Result<Vec<(String, VolumeAttachment)>> {
        self.read(|s| {
            s.server(ctx, server_id)?;
            Ok(s.volumes
                .values()
                .filter_map(|v| {
                    v.attachment
                        .as_ref()
                        .filter(|a| a.server_id == server_id)
                        .map(|a| (v.id.clone(), a.clone()))
                })
                .collect())
        })
    }

    /// Detaches a volume from a server: the volume goes `detaching`, then `available`.
    pub async fn detach_volume(&self, ctx: &RequestContext, server_id: &str, volume_id: &str) -> Result<()> {
        let on_host = self.try_write(|s| {
            let server = s.server(ctx, server_id)?.clone();
            let v = s.volumes.get_mut(volume_id).ok_or_else(|| SimError::not_found(Kind::VolumeAttachment, volume_id))?;
            if v.attachment.as_ref().is_none_or(|a| a.server_id != server_id) {
                return Err(SimError::not_found(Kind::VolumeAttachment, volume_id));
            }
            if v.status != VolumeStatus::InUse {
                return Err(SimError::bad_request(format!(
                    "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach. Currently: status: '{}'",
                    v.status.as_str()
                )));
            }
            v.status = VolumeStatus::Detaching;
            v.updated_at = Some(chrono::Utc::now());
            Ok(server.on_host)
        })?;
        let cloud = self.clone();
        let (sid, vid) = (server_id.to_string(), volume_id.to_string());
        self.spawn(async move {
            let result = if on_host {
                let (s2, v2) = (sid.clone(), vid.clone());
                cloud.host(move |f| f.detach_volume(&s2, &v2)).await
            } else {
                Ok(())
            };
            cloud.write(|s| {
                if let Some(v) = s.volumes.get_mut(&vid) {
                    match &result {
                        Ok(()) => {
                            v.status = VolumeStatus::Available;
                            v.attachment = None;
                        }
                        Err(_) => v.status = VolumeStatus::InUse,
                    }
                    v.updated_at = Some(chrono::Utc::now());
                }
            });
            match result {
                Ok(()) => tracing::info!(server_id = %sid, volume_id = %vid, "volume detached"),
                Err(e) => tracing::warn!(server_id = %sid, volume_id = %vid, error = %e, "volume detach failed"),
            }
        });
        Ok(())
    }

    /// The compute hosts and their servers (`os-availability-zone/detail`, admins).
    pub fn compute_hosts(&self) -> Vec<String> {
        self.read(|s| s.compute_hosts.clone())
    }

    /// The project's absolute compute limits and usage.
    pub async fn compute_limits(&self, ctx: &RequestContext, project_id: Option<&str>) -> Result<ComputeLimits> {
        let project = self.quota_project(ctx, project_id)?;
        Ok(self.read(|s| {
            let limits = s
                .quotas
                .limits(&project, super::quotas::Service::Compute)
                .into_iter()
                .collect();
            let used = ["instances", "cores", "ram", "server_groups", "key_pairs"]
                .into_iter()
                .map(|n| (n, s.usage(&project, &ctx.user_id, n)))
                .collect();
            ComputeLimits { limits, used }
        }))
    }

    /// Whose quotas a request is about: the caller's project, or any for an admin.
    pub(crate) fn quota_project(&self, ctx: &RequestContext, project_id: Option<&str>) -> Result<String> {
        match project_id {
            Some(p) if p != ctx.project_id && !ctx.is_admin => Err(SimError::forbidden(format!(
                "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed for project {p}."
            ))),
            Some(p) => Ok(p.to_string()),
            None => Ok(ctx.project_id.clone()),
        }
    }

    /// A project's quota limits of `service`, with usage.
    pub async fn quota_set(
        &self,
        ctx: &RequestContext,
        project_id: &str,
        service: super::quotas::Service,
    ) -> Result<Vec<(&'static str, i64, i64)>> {
        let project = self.quota_project(ctx, Some(project_id))?;
        Ok(self.read(|s| {
            s.quotas
                .limits(&project, service)
                .into_iter()
                .map(|(n, l)| (n, l, s.usage(&project, &ctx.user_id, n)))
                .collect()
        }))
    }

    /// Sets quota limits of a project (admin).
    pub async fn update_quotas(&self, ctx: &RequestContext, project_id: &str, values: &[(String, i64)]) -> Result<()> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow quota updates to be performed.",
            ));
        }
        self.try_write(|s| {
            let mut next = s.quotas.clone();
            for (n, v) in values {
                next.set(project_id, n, *v)?;
            }
            s.quotas = next;
            Ok(())
        })
    }

    /// Resets a project's quotas of `service` to the defaults (admin).
    pub async fn reset_quotas(
        &self,
        ctx: &RequestContext,
        project_id: &str,
        service: super::quotas::Service,
    ) -> Result<()> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow quota deletes to be performed.",
            ));
        }
        self.write(|s| s.quotas.reset(project_id, service));
        Ok(())
    }
}

/// What the fabric needs to boot server `id`.
fn server_spec(s: &State, id: &str) -> Result<fabric::ServerSpec> {
    let v = s.servers.get(id).ok_or_else(|| SimError::not_found(Kind::Server, id))?;
    let mut nics = Vec::new();
    for sp in &v.ports {
        let port = s
            .ports
            .get(&sp.port_id)
            .ok_or_else(|| SimError::not_found(Kind::Port, &sp.port_id))?;
        let Some(fixed) = port.fixed_ips.first() else { continue };
        let subnet = s
            .subnets
            .get(&fixed.subnet_id)
            .ok_or_else(|| SimError::not_found(Kind::Subnet, &fixed.subnet_id))?;
        nics.push(fabric::Nic {
            port_id: port.id.clone(),
            network_id: port.network_id.clone(),
            mac: port.mac_address.clone(),
            ip: fixed.ip_address,
            subnet: fabric::Subnet {
                network: subnet.cidr.network,
                prefix_len: subnet.cidr.prefix_len,
            },
            gateway: subnet.gateway_ip,
        });
    }
    let authorized_keys = v
        .key_name
        .as_ref()
        .and_then(|k| s.keypairs.get(&State::keypair_key(&v.user_id, k)))
        .map(|k| vec![k.public_key.clone()])
        .unwrap_or_default();
    let user_data = match &v.user_data {
        Some(b64) => Some(
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|e| SimError::bad_request(format!("user_data is not valid base64: {e}")))?,
        ),
        None => None,
    };
    let spark = v
        .image_id
        .as_ref()
        .and_then(|id| s.images.get(id))
        .is_some_and(is_spark_image);
    Ok(fabric::ServerSpec {
        server_id: v.id.clone(),
        hostname: v.hostname.clone(),
        nics,
        login_user: v.login_user.clone(),
        authorized_keys,
        user_data,
        spark,
    })
}

/// Whether servers of `image` have Spark: the image is tagged `spark` for Sahara (a
/// non-empty `_sahara_tag_spark`, as Sahara reads tags), as the seeded `sahara-spark-*`
/// images are. The test cloud's images are only metadata: what they hold follows from it,
/// as their login user follows from `_sahara_username`.
fn is_spark_image(image: &Image) -> bool {
    image.properties.get("_sahara_tag_spark").is_some_and(|v| !v.is_empty())
}

/// Generates an RSA keypair with `ssh-keygen` (as Nova did before 2.92).
async fn generate_keypair() -> Result<(String, String)> {
    let dir = tempfile_dir()?;
    let path = dir.join("key");
    let out = tokio::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-m",
            "PEM",
            "-N",
            "",
            "-C",
            "Generated-by-Nova",
            "-f",
        ])
        .arg(&path)
        .output()
        .await
        .map_err(|e| SimError::Internal(format!("running ssh-keygen: {e}")));
    let result = match out {
        Ok(o) if o.status.success() => {
            let public = std::fs::read_to_string(path.with_extension("pub"));
            let private = std::fs::read_to_string(&path);
            match (public, private) {
                (Ok(p), Ok(k)) => Ok((p.trim().to_string(), k)),
                _ => Err(SimError::Internal("ssh-keygen wrote no key".into())),
            }
        }
        Ok(o) => Err(SimError::Internal(format!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&o.stderr)
        ))),
        Err(e) => Err(e),
    };
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn tempfile_dir() -> Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("sahara-sim-key-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir(&dir).map_err(|e| SimError::Internal(format!("making {}: {e}", dir.display())))?;
    use std::os::unix::fs::PermissionsExt as _;
    let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
    Ok(dir)
}

/// The MD5 fingerprint of an OpenSSH public key (`ssh-keygen -l -E md5`), as Nova shows
/// it; a key `ssh-keygen` cannot read is Nova's "Keypair data is invalid".
async fn fingerprint(public_key: &str) -> Result<String> {
    use tokio::io::AsyncWriteExt as _;
    let invalid = || SimError::bad_request("Keypair data is invalid: failed to generate fingerprint");
    if public_key.lines().count() != 1 {
        return Err(invalid());
    }
    let mut child = tokio::process::Command::new("ssh-keygen")
        .args(["-l", "-E", "md5", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| SimError::Internal(format!("running ssh-keygen: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(public_key.as_bytes())
            .await
            .map_err(|e| SimError::Internal(e.to_string()))?;
        stdin
            .write_all(b"\n")
            .await
            .map_err(|e| SimError::Internal(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .await
        .map_err(|e| SimError::Internal(e.to_string()))?;
    if !out.status.success() {
        return Err(invalid());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(1)
        .and_then(|f| f.strip_prefix("MD5:"))
        .map(str::to_string)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::Prefix;

    fn server(id: &str, host: &str) -> Server {
        let now = chrono::Utc::now();
        Server {
            id: id.into(),
            name: id.into(),
            project_id: "p".into(),
            user_id: "u".into(),
            status: ServerStatus::Active,
            task_state: None,
            image_id: None,
            flavor: State::seeded(Prefix::parse("00000001").unwrap(), 1).flavors["1"].clone(),
            key_name: None,
            metadata: BTreeMap::new(),
            availability_zone: "nova".into(),
            host: Some(host.into()),
            hostname: id.into(),
            login_user: "ubuntu".into(),
            user_data: None,
            security_groups: vec![],
            ports: vec![],
            server_group: None,
            fault: None,
            on_host: true,
            build_done: true,
            description: None,
            reservation_id: String::new(),
            launch_index: 0,
            config_drive: false,
            created: now,
            updated: now,
            launched_at: Some(now),
        }
    }

    fn group(policy: GroupPolicy, members: &[&str]) -> ServerGroup {
        ServerGroup {
            id: "g".into(),
            name: "g".into(),
            project_id: "p".into(),
            user_id: "u".into(),
            policy,
            max_server_per_host: None,
            members: members.iter().map(|m| m.to_string()).collect(),
            metadata: BTreeMap::new(),
        }
    }

    #[test]
    fn anti_affinity_spreads_and_fails_when_hosts_run_out() {
        let mut s = State::seeded(Prefix::parse("00000001").unwrap(), 2);
        s.servers.insert("a".into(), server("a", "compute1"));
        let g = group(GroupPolicy::AntiAffinity, &["a", "b"]);
        assert_eq!(schedule(&s, Some(&g), "b").as_deref(), Some("compute2"));
        s.servers.insert("b".into(), server("b", "compute2"));
        let g = group(GroupPolicy::AntiAffinity, &["a", "b", "c"]);
        assert_eq!(
            schedule(&s, Some(&g), "c"),
            None,
            "two hosts cannot hold three anti-affine servers"
        );
        let mut g2 = g.clone();
        g2.max_server_per_host = Some(2);
        assert!(schedule(&s, Some(&g2), "c").is_some());
    }

    #[test]
    fn affinity_follows_the_first_member_and_plain_servers_spread() {
        let mut s = State::seeded(Prefix::parse("00000001").unwrap(), 3);
        s.servers.insert("a".into(), server("a", "compute3"));
        let g = group(GroupPolicy::Affinity, &["a", "b"]);
        assert_eq!(schedule(&s, Some(&g), "b").as_deref(), Some("compute3"));
        assert_eq!(
            schedule(&s, None, "x").as_deref(),
            Some("compute1"),
            "least loaded first"
        );
    }

    #[test]
    fn host_ids_hide_the_host_but_tell_hosts_apart() {
        let a = host_id("p", Some("compute1"));
        assert_eq!(a.len(), 56);
        assert_eq!(a, host_id("p", Some("compute1")));
        assert_ne!(a, host_id("p", Some("compute2")));
        assert_ne!(a, host_id("q", Some("compute1")));
        assert_eq!(host_id("p", None), "");
    }

    #[test]
    fn hostnames_are_sanitised_like_nova() {
        assert_eq!(sanitize_hostname("My Cluster_worker.01"), "my-cluster-worker-01");
        assert_eq!(sanitize_hostname("---"), "server");
    }

    #[test]
    fn servers_of_spark_images_have_spark() {
        let mut s = State::seeded(Prefix::parse("00000001").unwrap(), 1);
        let image = |name: &str| {
            s.images
                .values()
                .find(|i| i.name.as_deref() == Some(name))
                .map(|i| i.id.clone())
        };
        for (name, spark) in [
            (Some("sahara-spark-4.3"), true),
            (Some("sahara-spark-2.3"), true),
            (Some("sahara-fake-0.1"), false),
            (Some("cirros-0.6"), false),
            (None, false),
        ] {
            let mut v = server("s1", "compute1");
            v.image_id = name.and_then(image);
            assert_eq!(v.image_id.is_some(), name.is_some());
            s.servers.insert(v.id.clone(), v);
            assert_eq!(server_spec(&s, "s1").unwrap().spark, spark, "{name:?}");
        }
    }

    #[tokio::test]
    async fn fingerprints_come_from_ssh_keygen() {
        let (public, private) = generate_keypair().await.unwrap();
        assert!(public.starts_with("ssh-rsa ") && private.contains("PRIVATE KEY"));
        let fp = fingerprint(&public).await.unwrap();
        assert_eq!(fp.len(), 47, "{fp}");
        assert!(fingerprint("ssh-rsa notakey").await.is_err());
    }
}
