//! The backend Heat realises resources through: the simulator's Nova, Neutron and Cinder,
//! seen as the calls Heat's resource plugins make (create, show, update, delete), so that
//! binding it to the simulator core is a thin adapter (`backend_sim`), and so that tests
//! can record what Heat asked for.
//!
//! Every call carries the [`Principal`] the stack acts for (its project and user); no
//! token or password crosses this interface. Names or ids are passed as the template gave
//! them (`flavor: m1.small`, `network: private-net`); the backend resolves them as Heat's
//! client plugins do, and answers `BadRequest`/`NotFound` when it cannot.

use async_trait::async_trait;
use serde_json::{Map, Value};

/// The project and user a stack acts for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Principal {
    /// The project id.
    pub project_id: String,
    /// The user id.
    pub user_id: String,
    /// The user name.
    pub user_name: String,
}

/// A failed backend call: the client exception Heat would have seen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    /// The exception class name Heat reports (`NotFound`, `BadRequest`, `Forbidden`,
    /// `Conflict`, `OverQuotaClient`, `ResourceInError`, ...).
    pub class: String,
    /// Its message, as the service said it.
    pub message: String,
}

impl BackendError {
    /// A failure of class `class`.
    pub fn new(class: impl Into<String>, message: impl Into<String>) -> BackendError {
        BackendError {
            class: class.into(),
            message: message.into(),
        }
    }

    /// `NotFound`.
    pub fn not_found(message: impl Into<String>) -> BackendError {
        BackendError::new("NotFound", message)
    }

    /// Whether this is a `NotFound` (deleting what is gone succeeds).
    pub fn is_not_found(&self) -> bool {
        self.class == "NotFound" || self.class.ends_with("NotFound") || self.class.ends_with("NotFoundClient")
    }
}

/// Result of a backend call.
pub type BackendResult<T> = Result<T, BackendError>;

/// A port to create (`OS::Neutron::Port`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortRequest {
    /// The network, by name or id.
    pub network: String,
    /// The port name.
    pub name: String,
    /// `fixed_ips` as Heat passes them (`[{subnet, ip_address}]`), resolved.
    pub fixed_ips: Vec<Value>,
    /// Security groups, by name or id; `None` for the project's default group.
    pub security_groups: Option<Vec<String>>,
    /// A MAC address to use.
    pub mac_address: Option<String>,
    /// `admin_state_up`.
    pub admin_state_up: bool,
    /// Anything else Heat would pass through (`value_specs`, `device_owner`, ...).
    pub extra: Map<String, Value>,
}

/// A Neutron port as the API shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortInfo {
    /// Its id.
    pub id: String,
    /// The whole API representation (`show`, `fixed_ips`, `mac_address`, ...).
    pub raw: Value,
}

/// Changes to a port (`None`: unchanged).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortUpdate {
    /// A new name.
    pub name: Option<String>,
    /// New security groups (names or ids).
    pub security_groups: Option<Vec<String>>,
    /// New `admin_state_up`.
    pub admin_state_up: Option<bool>,
}

/// A floating IP to create (`OS::Neutron::FloatingIP`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatingIpRequest {
    /// The external network, by name or id.
    pub floating_network: String,
    /// The port to associate, if any.
    pub port_id: Option<String>,
    /// The fixed IP of that port to associate.
    pub fixed_ip_address: Option<String>,
    /// A specific floating address.
    pub floating_ip_address: Option<String>,
}

/// A Neutron floating IP as the API shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FloatingIpInfo {
    /// Its id.
    pub id: String,
    /// The API representation (`floating_ip_address`, `port_id`, `fixed_ip_address`, ...).
    pub raw: Value,
}

/// A security group rule as Heat passes it to Neutron.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityGroupRule {
    /// `ingress` or `egress`.
    pub direction: String,
    /// `IPv4` or `IPv6`.
    pub ethertype: String,
    /// `tcp`, `udp`, `icmp`, a number, or none (any).
    pub protocol: Option<String>,
    /// Lowest port (or ICMP type).
    pub port_range_min: Option<i64>,
    /// Highest port (or ICMP code).
    pub port_range_max: Option<i64>,
    /// The remote CIDR.
    pub remote_ip_prefix: Option<String>,
    /// The remote group (id), for `remote_mode: remote_group_id`.
    pub remote_group_id: Option<String>,
}

/// A security group to create or to set (`OS::Neutron::SecurityGroup`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityGroupRequest {
    /// The name.
    pub name: String,
    /// The description.
    pub description: String,
    /// The rules (Heat removes Neutron's default egress rules when `rules` has egress
    /// rules of its own; the backend does the same).
    pub rules: Vec<SecurityGroupRule>,
}

/// A Neutron security group as the API shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityGroupInfo {
    /// Its id.
    pub id: String,
    /// The API representation.
    pub raw: Value,
}

/// One network of a server (`networks` of `OS::Nova::Server`), resolved.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerNetwork {
    /// A port to use (id).
    pub port: Option<String>,
    /// A network (name or id) to make a port on.
    pub network: Option<String>,
    /// A fixed IP to ask for.
    pub fixed_ip: Option<String>,
    /// A subnet (name or id).
    pub subnet: Option<String>,
}

/// A server to boot (`OS::Nova::Server`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerRequest {
    /// The server name.
    pub name: String,
    /// The image, by name or id (none when booting from a volume).
    pub image: Option<String>,
    /// The flavor, by name or id.
    pub flavor: String,
    /// The keypair name.
    pub key_name: Option<String>,
    /// The availability zone.
    pub availability_zone: Option<String>,
    /// Its networks, in order.
    pub networks: Vec<ServerNetwork>,
    /// Security groups (names or ids) for ports Nova makes.
    pub security_groups: Vec<String>,
    /// Scheduler hints (`group` is a server group id).
    pub scheduler_hints: Map<String, Value>,
    /// Metadata.
    pub metadata: Map<String, Value>,
    /// User data, as the template gave it (raw: the simulator runs it as a script; Heat
    /// would wrap it in a cloud-init multipart for `user_data_format: HEAT_CFNTOOLS`).
    pub user_data: Option<String>,
    /// The image's login user (`admin_user`).
    pub admin_user: Option<String>,
    /// `block_device_mapping` / `block_device_mapping_v2`, resolved.
    pub block_device_mapping: Vec<Value>,
    /// `config_drive`.
    pub config_drive: bool,
}

/// A Nova server as the API shows it (`GET /servers/{id}`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerInfo {
    /// Its id.
    pub id: String,
    /// `BUILD`, `ACTIVE`, `ERROR`, `DELETED`, ...
    pub status: String,
    /// The whole representation (`name`, `addresses`, `fault`, ...).
    pub raw: Value,
}

/// A volume to create (`OS::Cinder::Volume`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VolumeRequest {
    /// Size in GiB (none when taken from an image or a source).
    pub size: Option<i64>,
    /// The name.
    pub name: Option<String>,
    /// The description.
    pub description: Option<String>,
    /// The volume type.
    pub volume_type: Option<String>,
    /// The availability zone.
    pub availability_zone: Option<String>,
    /// Metadata.
    pub metadata: Map<String, Value>,
    /// An image to copy (bootable volume).
    pub image: Option<String>,
    /// Scheduler hints.
    pub scheduler_hints: Map<String, Value>,
}

/// A Cinder volume as the API shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VolumeInfo {
    /// Its id.
    pub id: String,
    /// `creating`, `available`, `in-use`, `error`, `deleting`, ...
    pub status: String,
    /// The whole representation.
    pub raw: Value,
}

/// A Nova server group as the API shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerGroupInfo {
    /// Its id.
    pub id: String,
    /// The representation.
    pub raw: Value,
}

/// A Nova keypair as the API shows it (with the private key when Nova generated one).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KeyPairInfo {
    /// Its name (the id Heat uses).
    pub name: String,
    /// The public key.
    pub public_key: String,
    /// The generated private key, if Nova generated the pair.
    pub private_key: Option<String>,
}

/// A volume attachment as Nova shows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AttachmentInfo {
    /// The attachment id (Nova uses the volume id).
    pub id: String,
    /// The device (`/dev/vdb`).
    pub device: String,
}

/// What Heat calls to realise resources. See the module documentation.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// `POST /servers`: returns the new server's id (it starts in `BUILD`).
    async fn create_server(&self, who: &Principal, req: &ServerRequest) -> BackendResult<String>;
    /// `GET /servers/{id}`.
    async fn get_server(&self, who: &Principal, id: &str) -> BackendResult<ServerInfo>;
    /// `PUT /servers/{id}` (name) and metadata.
    async fn update_server(
        &self,
        who: &Principal,
        id: &str,
        name: Option<&str>,
        metadata: Option<&Map<String, Value>>,
    ) -> BackendResult<()>;
    /// `DELETE /servers/{id}` (the server goes away asynchronously).
    async fn delete_server(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// `POST /os-server-groups`.
    async fn create_server_group(
        &self,
        who: &Principal,
        name: &str,
        policies: &[String],
        rules: &Map<String, Value>,
    ) -> BackendResult<ServerGroupInfo>;
    /// `DELETE /os-server-groups/{id}`.
    async fn delete_server_group(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// `POST /os-keypairs` (import when `public_key` is given, generate otherwise).
    async fn create_keypair(
        &self,
        who: &Principal,
        name: &str,
        public_key: Option<&str>,
        key_type: Option<&str>,
    ) -> BackendResult<KeyPairInfo>;
    /// `DELETE /os-keypairs/{name}`.
    async fn delete_keypair(&self, who: &Principal, name: &str) -> BackendResult<()>;

    /// `POST /servers/{id}/os-volume_attachments`.
    async fn attach_volume(
        &self,
        who: &Principal,
        server_id: &str,
        volume_id: &str,
        device: Option<&str>,
    ) -> BackendResult<AttachmentInfo>;
    /// `DELETE /servers/{id}/os-volume_attachments/{volume_id}`.
    async fn detach_volume(&self, who: &Principal, server_id: &str, volume_id: &str) -> BackendResult<()>;

    /// `POST /ports`.
    async fn create_port(&self, who: &Principal, req: &PortRequest) -> BackendResult<PortInfo>;
    /// `GET /ports/{id}`.
    async fn get_port(&self, who: &Principal, id: &str) -> BackendResult<PortInfo>;
    /// `PUT /ports/{id}`.
    async fn update_port(&self, who: &Principal, id: &str, update: &PortUpdate) -> BackendResult<PortInfo>;
    /// `DELETE /ports/{id}`.
    async fn delete_port(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// `POST /floatingips`.
    async fn create_floating_ip(&self, who: &Principal, req: &FloatingIpRequest) -> BackendResult<FloatingIpInfo>;
    /// `GET /floatingips/{id}`.
    async fn get_floating_ip(&self, who: &Principal, id: &str) -> BackendResult<FloatingIpInfo>;
    /// `PUT /floatingips/{id}`: associate with a port (`Some`) or disassociate (`None`).
    async fn update_floating_ip(
        &self,
        who: &Principal,
        id: &str,
        port_id: Option<&str>,
        fixed_ip_address: Option<&str>,
    ) -> BackendResult<FloatingIpInfo>;
    /// `DELETE /floatingips/{id}`.
    async fn delete_floating_ip(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// `POST /security-groups` and its rules.
    async fn create_security_group(
        &self,
        who: &Principal,
        req: &SecurityGroupRequest,
    ) -> BackendResult<SecurityGroupInfo>;
    /// Sets a group's name, description and rules.
    async fn update_security_group(
        &self,
        who: &Principal,
        id: &str,
        req: &SecurityGroupRequest,
    ) -> BackendResult<SecurityGroupInfo>;
    /// `DELETE /security-groups/{id}`.
    async fn delete_security_group(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// `POST /volumes` (it starts in `creating`).
    async fn create_volume(&self, who: &Principal, req: &VolumeRequest) -> BackendResult<VolumeInfo>;
    /// `GET /volumes/{id}`.
    async fn get_volume(&self, who: &Principal, id: &str) -> BackendResult<VolumeInfo>;
    /// `PUT /volumes/{id}`: name, description, metadata.
    async fn update_volume(
        &self,
        who: &Principal,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        metadata: Option<&Map<String, Value>>,
    ) -> BackendResult<()>;
    /// `DELETE /volumes/{id}`.
    async fn delete_volume(&self, who: &Principal, id: &str) -> BackendResult<()>;

    /// Failure injection: whether the new stack `stack_name` must fail with Heat's
    /// timeout (the simulator's admin endpoint sets this up; consumed when asked).
    fn stack_timeout_fault(&self, _who: &Principal, _stack_name: &str) -> bool {
        false
    }
}
