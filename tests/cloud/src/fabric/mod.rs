//! The fabric: what the simulated cloud is made of on the host.
//!
//! The simulator (Nova, Neutron, Cinder, Heat) keeps the cloud's state; the fabric makes
//! it real, so that the engine's every way of reaching an instance is exercised for real:
//!
//! - the **external network** (Neutron's `public`, `router:external`) is a bridge holding
//!   the host's address in its subnet: floating IPs and router gateways are on-link for
//!   the host, as a provider network is for a controller;
//! - a **tenant network** is a bridge with no host address: fixed IPs are unreachable from
//!   the host, as in a real cloud, which is what makes the proxy paths necessary;
//! - a **router** is a network namespace named exactly `qrouter-<router_id>`, as Neutron's
//!   L3 agent makes it: a `qg` leg on the external bridge (default route to the host, SNAT
//!   of its tenant subnets), a `qr` leg per attached subnet holding the subnet's gateway
//!   address, IP forwarding on; a **floating IP** is the address on the `qg` leg plus DNAT
//!   and SNAT rules in that namespace;
//! - a **server** is a network namespace `inst-<server_id>` with one `eth<n>` per port
//!   (its MAC and fixed IP, default route via the subnet gateway), its own hostname,
//!   `/etc/hosts`, `/etc/hostname` and `/etc/resolv.conf` (under `/etc/netns/<ns>/`),
//!   private `/tmp`, `/home`, `/root`, `/mnt`, `/opt` and data directories, the image's
//!   login user with password-less sudo, a real sshd accepting only keys in that user's
//!   `authorized_keys` (the Nova keypair's public key, injected at boot as cloud-init
//!   does), and its `user_data` run as root once sshd is up (as cloud-init would); a
//!   server of a Spark image also has Spark at `/opt/spark` (see [`SPARK_HOME`]);
//! - a **volume** is a sparse file behind a loop device; attached, it appears inside that
//!   server only, as the disk Nova names (`/dev/vdb`, ...), which the engine can format and
//!   mount, and `lsblk` there lists it (and nothing of the host or of other servers).
//!
//! Every object's name carries the cloud's [`Prefix`](crate::naming::Prefix) (ids are
//! minted with it), so [`Fabric::cleanup`] removes everything a crashed run left.
//!
//! [`LinuxFabric`] is the implementation on this host (as root).
//!
//! The methods block (they run `ip`, `iptables`, `losetup`, start processes); the
//! simulator calls them from blocking threads. Each is idempotent where that is natural
//! (deleting what is gone succeeds).

use std::net::Ipv4Addr;
use std::path::PathBuf;

mod cleanup;
mod cmd;
mod guest;
mod linux;
mod net;
mod procs;
mod server;
mod spark;
mod state;
mod volume;

/// The fabric of this host.
pub use linux::LinuxFabric;
pub use spark::{SPARK_HOME, SPARK_VENV_VAR, find_spark_distribution, spark_distribution_in};

/// Why the fabric could not do something.
#[derive(Debug, thiserror::Error)]
pub enum FabricError {
    /// A command failed: what was run, and what it printed.
    #[error("`{command}` failed: {output}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status and standard error.
        output: String,
    },
    /// An address range or name is already in use on the host.
    #[error("{0} is already in use on this host")]
    InUse(String),
    /// The object named does not exist.
    #[error("no such {kind} {id}")]
    NotFound {
        /// `network`, `router`, `server`, `volume`.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// Anything else (I/O on the state directory, ...).
    #[error("{0}")]
    Other(String),
}

/// Result alias of the fabric.
pub type Result<T, E = FabricError> = std::result::Result<T, E>;

/// An IPv4 subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subnet {
    /// The network address.
    pub network: Ipv4Addr,
    /// The prefix length.
    pub prefix_len: u8,
}

/// The external network's wiring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalNetwork {
    /// Neutron's id of the network.
    pub network_id: String,
    /// Its subnet (a range the fabric checked is not routed on the host).
    pub subnet: Subnet,
    /// The host's address in it (the routers' next hop).
    pub host_ip: Ipv4Addr,
}

/// A router's leg on the external network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gateway {
    /// The external network.
    pub network_id: String,
    /// The router's address on it.
    pub ip: Ipv4Addr,
    /// The external subnet's prefix length.
    pub prefix_len: u8,
    /// The next hop (the host's address on the external network).
    pub next_hop: Ipv4Addr,
    /// Source-NAT the router's tenant subnets to `ip` (Neutron's `enable_snat`).
    pub enable_snat: bool,
}

/// A router's leg on a tenant subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterInterface {
    /// The Neutron port holding the gateway address.
    pub port_id: String,
    /// The tenant network.
    pub network_id: String,
    /// The subnet's gateway address (the router's address on it).
    pub ip: Ipv4Addr,
    /// The subnet.
    pub subnet: Subnet,
}

/// One network interface of a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nic {
    /// The Neutron port.
    pub port_id: String,
    /// The network it is on.
    pub network_id: String,
    /// The port's MAC address.
    pub mac: String,
    /// The fixed IP.
    pub ip: Ipv4Addr,
    /// The subnet of the fixed IP.
    pub subnet: Subnet,
    /// The subnet's gateway (the default route goes through the first NIC that has one).
    pub gateway: Option<Ipv4Addr>,
}

/// What booting a server takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Nova's id of the server.
    pub server_id: String,
    /// The hostname (Nova's sanitised server name).
    pub hostname: String,
    /// Its interfaces, in order (`eth0`, `eth1`, ...).
    pub nics: Vec<Nic>,
    /// The image's login user (`_sahara_username`, e.g. `ubuntu`; `root` is allowed).
    pub login_user: String,
    /// Public keys to authorise for the login user (the Nova keypair's, if any).
    pub authorized_keys: Vec<String>,
    /// User data, decoded, run as root once the server is up.
    pub user_data: Option<Vec<u8>>,
    /// Whether the image is a Spark image (tagged `spark` for Sahara): the server has the
    /// fabric's Spark distribution at [`SPARK_HOME`], private to it.
    pub spark: bool,
}

/// What the fabric knows of a running server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerStatus {
    /// Whether its sshd is running.
    pub running: bool,
    /// Whether its user data finished, and with what exit status.
    pub user_data_exit: Option<i32>,
    /// Where its console log (sshd's and user data's output) is.
    pub console_log: PathBuf,
}

/// What [`Fabric::cleanup`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupReport {
    /// Network namespaces deleted.
    pub namespaces: Vec<String>,
    /// Links (bridges, veths) deleted.
    pub links: Vec<String>,
    /// Loop devices detached.
    pub loop_devices: Vec<String>,
    /// Processes killed (pids).
    pub processes: Vec<u32>,
    /// Files and directories removed.
    pub paths: Vec<PathBuf>,
}

/// The line of `ip route` / `ip addr` output of the host that overlaps `subnet`, if any
/// (default routes aside): such a subnet is refused for the external network, and tests
/// pick their ranges among those that give `None`.
pub fn subnet_in_use(subnet: &Subnet) -> Result<Option<String>> {
    net::subnet_in_use(subnet)
}

/// The host side of the simulated cloud. See the module documentation.
pub trait Fabric: Send + Sync + 'static {
    /// Makes the external network's bridge, holding `net.host_ip`. Fails with
    /// [`FabricError::InUse`] when the subnet is already routed on the host.
    fn create_external_network(&self, net: &ExternalNetwork) -> Result<()>;

    /// Makes a tenant network's bridge (no host address).
    fn create_network(&self, network_id: &str) -> Result<()>;

    /// Removes a network's bridge (external or tenant).
    fn delete_network(&self, network_id: &str) -> Result<()>;

    /// Makes the router's namespace `qrouter-<router_id>`.
    fn create_router(&self, router_id: &str) -> Result<()>;

    /// Sets (or, with `None`, clears) the router's external gateway.
    fn set_router_gateway(&self, router_id: &str, gateway: Option<&Gateway>) -> Result<()>;

    /// Attaches the router to a tenant subnet.
    fn add_router_interface(&self, router_id: &str, interface: &RouterInterface) -> Result<()>;

    /// Detaches the router from the subnet its port `port_id` is on.
    fn remove_router_interface(&self, router_id: &str, port_id: &str) -> Result<()>;

    /// Deletes the router's namespace and its legs.
    fn delete_router(&self, router_id: &str) -> Result<()>;

    /// Makes `floating_ip` reach `fixed_ip` through the router (DNAT in, SNAT out).
    fn associate_floating_ip(&self, router_id: &str, floating_ip: Ipv4Addr, fixed_ip: Ipv4Addr) -> Result<()>;

    /// Undoes [`Fabric::associate_floating_ip`].
    fn disassociate_floating_ip(&self, router_id: &str, floating_ip: Ipv4Addr, fixed_ip: Ipv4Addr) -> Result<()>;

    /// Boots a server: namespace, interfaces, private directories, login user's keys,
    /// sshd; then runs its user data in the background. Returns once sshd listens.
    fn boot_server(&self, spec: &ServerSpec) -> Result<()>;

    /// The server's state as the host sees it.
    fn server_status(&self, server_id: &str) -> Result<ServerStatus>;

    /// Stops every process of the server and removes its namespace and files.
    fn delete_server(&self, server_id: &str) -> Result<()>;

    /// Makes a volume of `size_gib` (a sparse file behind a loop device).
    fn create_volume(&self, volume_id: &str, size_gib: u32) -> Result<()>;

    /// Removes a volume (it must be detached).
    fn delete_volume(&self, volume_id: &str) -> Result<()>;

    /// Makes the volume appear inside the server as `device` (e.g. `/dev/vdb`).
    fn attach_volume(&self, server_id: &str, volume_id: &str, device: &str) -> Result<()>;

    /// Removes the volume from the server.
    fn detach_volume(&self, server_id: &str, volume_id: &str) -> Result<()>;

    /// Removes everything of this cloud's prefix from the host: namespaces, links,
    /// iptables rules (they live in the namespaces), loop devices, processes, files.
    fn cleanup(&self) -> Result<CleanupReport>;
}
