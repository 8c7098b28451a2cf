//! The simulated cloud's records: what Nova, Neutron, Glance and Cinder keep in their
//! databases, as the simulator keeps them in memory and persists them (`sim-state.json`).
//!
//! Records are plain data; the operations on them live in the service modules
//! ([`super::network`], [`super::compute`], [`super::image`], [`super::volume`]) and their
//! JSON shapes in [`super::api`].

use super::ipam::Cidr;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// A point in time, UTC.
pub type Time = DateTime<Utc>;

/// `2013-09-03T04:01:32Z`: Nova's, Neutron's and Glance's spelling of a time.
pub fn time_z(t: &Time) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2018-11-29T06:50:07.770785`: Cinder's (and Nova's `launched_at`) spelling.
pub fn time_micro(t: &Time) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
}

/// A Nova flavor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flavor {
    /// Its id (`1`, `42`, ... or a UUID).
    pub id: String,
    /// Its name (`m1.small`).
    pub name: String,
    /// Virtual CPUs.
    pub vcpus: u32,
    /// Memory in MiB.
    pub ram: u32,
    /// Root disk in GiB.
    pub disk: u32,
    /// Ephemeral disk in GiB.
    pub ephemeral: u32,
    /// Swap in MiB (0: none).
    pub swap: u32,
    /// Whether every project may use it.
    pub is_public: bool,
    /// Extra specs.
    pub extra_specs: BTreeMap<String, String>,
    /// Its description (2.55).
    pub description: Option<String>,
}

/// A Glance image (metadata only: the servers boot from the host's filesystem).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Image {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The owning project (`None`: the cloud's).
    pub owner: Option<String>,
    /// `public`, `private`, `shared` or `community`.
    pub visibility: String,
    /// `queued`, `active`, `deactivated`, ...
    pub status: String,
    /// `qcow2`, `raw`, ...
    pub disk_format: Option<String>,
    /// `bare`, ...
    pub container_format: Option<String>,
    /// Minimum disk in GiB.
    pub min_disk: u32,
    /// Minimum memory in MiB.
    pub min_ram: u32,
    /// Size in bytes.
    pub size: Option<u64>,
    /// Whether it is protected from deletion.
    pub protected: bool,
    /// Whether it is hidden from default lists.
    pub os_hidden: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Additional properties (`_sahara_username`, `_sahara_tag_spark`, ...): strings, as
    /// Glance's schema requires.
    pub properties: BTreeMap<String, String>,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
}

/// A Neutron network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// Administrative state.
    pub admin_state_up: bool,
    /// Whether every project may use it.
    pub shared: bool,
    /// `router:external`.
    pub external: bool,
    /// MTU.
    pub mtu: u32,
    /// `provider:network_type` (`vxlan`, `flat`).
    pub network_type: String,
    /// `provider:physical_network`.
    pub physical_network: Option<String>,
    /// `provider:segmentation_id`.
    pub segmentation_id: Option<u32>,
    /// Port security default of its ports.
    pub port_security_enabled: bool,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A range of addresses a subnet allocates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationPool {
    /// First address.
    pub start: Ipv4Addr,
    /// Last address.
    pub end: Ipv4Addr,
}

/// A static route of a subnet or a router.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostRoute {
    /// The destination CIDR.
    pub destination: String,
    /// The next hop.
    pub nexthop: String,
}

/// A Neutron IPv4 subnet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subnet {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// Its network.
    pub network_id: String,
    /// Its range.
    pub cidr: Cidr,
    /// The gateway (`None`: no gateway).
    pub gateway_ip: Option<Ipv4Addr>,
    /// Where fixed IPs come from.
    pub allocation_pools: Vec<AllocationPool>,
    /// DHCP flag (recorded only).
    pub enable_dhcp: bool,
    /// DNS servers.
    pub dns_nameservers: Vec<String>,
    /// Host routes.
    pub host_routes: Vec<HostRoute>,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// One fixed IP of a port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedIp {
    /// The subnet.
    pub subnet_id: String,
    /// The address.
    pub ip_address: Ipv4Addr,
}

/// A Neutron port.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Port {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project (empty for a router's gateway or a floating IP's port, as Neutron).
    pub project_id: String,
    /// Its network.
    pub network_id: String,
    /// Its MAC address.
    pub mac_address: String,
    /// Its addresses.
    pub fixed_ips: Vec<FixedIp>,
    /// The server or router using it.
    pub device_id: String,
    /// `compute:nova`, `network:router_interface`, `network:router_gateway`,
    /// `network:floatingip`, or empty.
    pub device_owner: String,
    /// Security group ids.
    pub security_groups: Vec<String>,
    /// `ACTIVE` once its server runs or its router is wired, else `DOWN`.
    pub status: String,
    /// Administrative state.
    pub admin_state_up: bool,
    /// Port security.
    pub port_security_enabled: bool,
    /// `binding:host_id`: the compute host of its server.
    pub binding_host_id: String,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A router's external gateway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouterGateway {
    /// The external network.
    pub network_id: String,
    /// Source NAT of the tenant subnets.
    pub enable_snat: bool,
    /// The gateway port (`network:router_gateway`).
    pub port_id: String,
    /// Its addresses on the external network.
    pub external_fixed_ips: Vec<FixedIp>,
}

/// A Neutron router (a `qrouter-<id>` namespace on the host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Router {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// Administrative state.
    pub admin_state_up: bool,
    /// The external gateway, if set.
    pub gateway: Option<RouterGateway>,
    /// Extra routes.
    pub routes: Vec<HostRoute>,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A Neutron floating IP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FloatingIp {
    /// Its id.
    pub id: String,
    /// The owning project.
    pub project_id: String,
    /// The external network it comes from.
    pub floating_network_id: String,
    /// The address.
    pub floating_ip_address: Ipv4Addr,
    /// The port holding the address on the external network (`network:floatingip`).
    pub floating_port_id: String,
    /// The associated port.
    pub port_id: Option<String>,
    /// The associated fixed IP.
    pub fixed_ip_address: Option<Ipv4Addr>,
    /// The router doing the NAT.
    pub router_id: Option<String>,
    /// Description.
    pub description: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A Neutron security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// Description.
    pub description: String,
    /// Stateful flag.
    pub stateful: bool,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A rule of a security group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroupRule {
    /// Its id.
    pub id: String,
    /// The owning project.
    pub project_id: String,
    /// Its group.
    pub security_group_id: String,
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6`.
    pub ethertype: String,
    /// `tcp`, `udp`, `icmp`, a number, or any.
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
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Time,
    /// Neutron's revision number.
    pub revision_number: u64,
}

/// A Nova keypair (owned by a user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Keypair {
    /// Its name, unique per user.
    pub name: String,
    /// The owning user.
    pub user_id: String,
    /// The OpenSSH public key.
    pub public_key: String,
    /// Its MD5 fingerprint (`aa:bb:...`).
    pub fingerprint: String,
    /// `ssh` or `x509`.
    pub key_type: String,
    /// Creation time.
    pub created_at: Time,
}

/// Nova's server statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServerStatus {
    /// Being built.
    Build,
    /// Running.
    Active,
    /// Failed.
    Error,
    /// Stopped.
    Shutoff,
    /// Soft reboot in progress.
    Reboot,
    /// Hard reboot in progress.
    HardReboot,
    /// Deleted.
    Deleted,
}

impl ServerStatus {
    /// Nova's spelling (`BUILD`, `ACTIVE`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ServerStatus::Build => "BUILD",
            ServerStatus::Active => "ACTIVE",
            ServerStatus::Error => "ERROR",
            ServerStatus::Shutoff => "SHUTOFF",
            ServerStatus::Reboot => "REBOOT",
            ServerStatus::HardReboot => "HARD_REBOOT",
            ServerStatus::Deleted => "DELETED",
        }
    }

    /// `OS-EXT-STS:vm_state`.
    pub fn vm_state(self) -> &'static str {
        match self {
            ServerStatus::Build => "building",
            ServerStatus::Active | ServerStatus::Reboot | ServerStatus::HardReboot => "active",
            ServerStatus::Error => "error",
            ServerStatus::Shutoff => "stopped",
            ServerStatus::Deleted => "deleted",
        }
    }

    /// `OS-EXT-STS:power_state` (0 no state, 1 running, 4 shutdown).
    pub fn power_state(self) -> u8 {
        match self {
            ServerStatus::Build | ServerStatus::Error | ServerStatus::Deleted => 0,
            ServerStatus::Active | ServerStatus::Reboot | ServerStatus::HardReboot => 1,
            ServerStatus::Shutoff => 4,
        }
    }
}

/// Why a server is in ERROR (Nova's `fault`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerFault {
    /// HTTP-like code (500 for build failures).
    pub code: u16,
    /// The message.
    pub message: String,
    /// Details (admins see them).
    pub details: String,
    /// When it happened.
    pub created: Time,
}

/// One network interface of a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerPort {
    /// The port.
    pub port_id: String,
    /// Whether Nova created it (and so deletes it with the server).
    pub created_by_nova: bool,
}

/// A Nova server (a namespace running sshd on the host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Server {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// The creating user.
    pub user_id: String,
    /// Status.
    pub status: ServerStatus,
    /// `OS-EXT-STS:task_state`.
    pub task_state: Option<String>,
    /// The image (`None` when booted from a volume).
    pub image_id: Option<String>,
    /// The flavor, as it was at boot.
    pub flavor: Flavor,
    /// The keypair's name.
    pub key_name: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Availability zone.
    pub availability_zone: String,
    /// The simulated compute host it landed on.
    pub host: Option<String>,
    /// The hostname given to the instance.
    pub hostname: String,
    /// The image's login user the instance was made with.
    pub login_user: String,
    /// User data, base64 as given.
    pub user_data: Option<String>,
    /// Security group names.
    pub security_groups: Vec<String>,
    /// Interfaces, in order.
    pub ports: Vec<ServerPort>,
    /// The server group it belongs to.
    pub server_group: Option<String>,
    /// Why it is in ERROR.
    pub fault: Option<ServerFault>,
    /// Whether the fabric booted it (false for an injected unreachable server or a failed boot).
    pub on_host: bool,
    /// Whether the background build finished (however it ended).
    #[serde(default)]
    pub build_done: bool,
    /// Description (2.19).
    pub description: Option<String>,
    /// Reservation id of the create request.
    pub reservation_id: String,
    /// Index within a multi-create.
    pub launch_index: u32,
    /// Config drive flag.
    pub config_drive: bool,
    /// Creation time.
    pub created: Time,
    /// Last change.
    pub updated: Time,
    /// When it became ACTIVE.
    pub launched_at: Option<Time>,
}

/// A server group's placement policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupPolicy {
    /// All members on one host.
    #[serde(rename = "affinity")]
    Affinity,
    /// Members on different hosts.
    #[serde(rename = "anti-affinity")]
    AntiAffinity,
    /// Prefer one host.
    #[serde(rename = "soft-affinity")]
    SoftAffinity,
    /// Prefer different hosts.
    #[serde(rename = "soft-anti-affinity")]
    SoftAntiAffinity,
}

impl GroupPolicy {
    /// Parses Nova's spelling.
    pub fn parse(s: &str) -> Option<GroupPolicy> {
        match s {
            "affinity" => Some(GroupPolicy::Affinity),
            "anti-affinity" => Some(GroupPolicy::AntiAffinity),
            "soft-affinity" => Some(GroupPolicy::SoftAffinity),
            "soft-anti-affinity" => Some(GroupPolicy::SoftAntiAffinity),
            _ => None,
        }
    }

    /// Nova's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupPolicy::Affinity => "affinity",
            GroupPolicy::AntiAffinity => "anti-affinity",
            GroupPolicy::SoftAffinity => "soft-affinity",
            GroupPolicy::SoftAntiAffinity => "soft-anti-affinity",
        }
    }
}

/// A Nova server group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerGroup {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The owning project.
    pub project_id: String,
    /// The creating user.
    pub user_id: String,
    /// The policy.
    pub policy: GroupPolicy,
    /// `max_server_per_host` for anti-affinity (2.64 rules).
    pub max_server_per_host: Option<u32>,
    /// Member servers.
    pub members: Vec<String>,
    /// Metadata (always empty in Nova).
    pub metadata: BTreeMap<String, String>,
}

/// Cinder's volume statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VolumeStatus {
    /// Being made.
    Creating,
    /// Ready, detached.
    Available,
    /// Being attached.
    Attaching,
    /// Attached.
    InUse,
    /// Being detached.
    Detaching,
    /// Being deleted.
    Deleting,
    /// Failed.
    Error,
    /// Deletion failed.
    ErrorDeleting,
}

impl VolumeStatus {
    /// Cinder's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            VolumeStatus::Creating => "creating",
            VolumeStatus::Available => "available",
            VolumeStatus::Attaching => "attaching",
            VolumeStatus::InUse => "in-use",
            VolumeStatus::Detaching => "detaching",
            VolumeStatus::Deleting => "deleting",
            VolumeStatus::Error => "error",
            VolumeStatus::ErrorDeleting => "error_deleting",
        }
    }
}

/// A volume's attachment to a server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeAttachment {
    /// The attachment's id.
    pub attachment_id: String,
    /// The server.
    pub server_id: String,
    /// The device inside the server (`/dev/vdb`).
    pub device: String,
    /// The server's compute host.
    pub host_name: Option<String>,
    /// Delete the volume with the server (boot volumes).
    pub delete_on_termination: bool,
    /// When it was attached.
    pub attached_at: Time,
}

/// A Cinder volume (a sparse file behind a loop device on the host).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Volume {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// The owning project.
    pub project_id: String,
    /// The creating user.
    pub user_id: String,
    /// Size in GiB.
    pub size: u32,
    /// Status.
    pub status: VolumeStatus,
    /// The volume type's name.
    pub volume_type: String,
    /// The volume type's id.
    pub volume_type_id: String,
    /// Availability zone.
    pub availability_zone: String,
    /// Description.
    pub description: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Made from an image.
    pub image_id: Option<String>,
    /// Bootable flag.
    pub bootable: bool,
    /// Attachment (volumes are not multiattach here).
    pub attachment: Option<VolumeAttachment>,
    /// Whether the fabric made its backing device.
    pub on_host: bool,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Option<Time>,
}

/// A Cinder volume type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeType {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Public flag.
    pub is_public: bool,
    /// Extra specs.
    pub extra_specs: BTreeMap<String, String>,
}

/// The external network's host wiring, fixed at start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct External {
    /// Neutron's `public` network.
    pub network_id: String,
    /// Its subnet.
    pub subnet_id: String,
    /// The subnet's range.
    pub cidr: Cidr,
    /// The host's address in it.
    pub host_ip: Ipv4Addr,
}
