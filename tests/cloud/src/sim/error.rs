//! The simulator's error: what a core operation refuses, and why. Each REST API renders it
//! in its service's own error body ([`super::api`]); Heat maps it to a resource failure.

use crate::fabric::FabricError;
use std::fmt;

/// A kind of resource, for "not found" errors: each knows its service's wording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Nova server.
    Server,
    /// Nova flavor.
    Flavor,
    /// Nova keypair.
    Keypair,
    /// Nova server group.
    ServerGroup,
    /// Nova volume attachment.
    VolumeAttachment,
    /// Glance image.
    Image,
    /// Neutron network.
    Network,
    /// Neutron subnet.
    Subnet,
    /// Neutron port.
    Port,
    /// Neutron router.
    Router,
    /// Neutron floating IP.
    FloatingIp,
    /// Neutron security group.
    SecurityGroup,
    /// Neutron security group rule.
    SecurityGroupRule,
    /// Cinder volume.
    Volume,
    /// Cinder volume type.
    VolumeType,
    /// Manila share.
    Share,
    /// An injected fault.
    Fault,
}

impl Kind {
    /// The service's message for a missing `id`.
    pub fn not_found_message(self, id: &str) -> String {
        match self {
            Kind::Server => format!("Instance {id} could not be found."),
            Kind::Flavor => format!("Flavor {id} could not be found."),
            Kind::Keypair => format!("Keypair {id} not found for user"),
            Kind::ServerGroup => format!("Instance group {id} could not be found."),
            Kind::VolumeAttachment => format!("Volume {id} is not attached to the instance"),
            Kind::Image => format!("No image found with ID {id}"),
            Kind::Network => format!("Network {id} could not be found."),
            Kind::Subnet => format!("Subnet {id} could not be found."),
            Kind::Port => format!("Port {id} could not be found."),
            Kind::Router => format!("Router {id} could not be found"),
            Kind::FloatingIp => format!("Floating IP {id} could not be found"),
            Kind::SecurityGroup => format!("Security group {id} does not exist"),
            Kind::SecurityGroupRule => format!("Security group rule {id} does not exist"),
            Kind::Volume => format!("Volume {id} could not be found."),
            Kind::VolumeType => format!("Volume type {id} could not be found."),
            Kind::Share => format!("Share {id} could not be found."),
            Kind::Fault => format!("Fault {id} could not be found."),
        }
    }

    /// Neutron's exception type name for a missing resource.
    pub fn neutron_type(self) -> &'static str {
        match self {
            Kind::Network => "NetworkNotFound",
            Kind::Subnet => "SubnetNotFound",
            Kind::Port => "PortNotFound",
            Kind::Router => "RouterNotFound",
            Kind::FloatingIp => "FloatingIPNotFound",
            Kind::SecurityGroup => "SecurityGroupNotFound",
            Kind::SecurityGroupRule => "SecurityGroupRuleNotFound",
            _ => "HTTPNotFound",
        }
    }
}

/// A quota that a request would exceed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaExceeded {
    /// The quota's name as its service spells it (`instances`, `port`, `gigabytes`, ...).
    pub resource: &'static str,
    /// How much the request asked for.
    pub requested: i64,
    /// How much is in use.
    pub used: i64,
    /// The limit.
    pub limit: i64,
}

impl fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "quota {} exceeded: requested {}, used {} of {}",
            self.resource, self.requested, self.used, self.limit
        )
    }
}

/// Why a simulator operation failed.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The resource does not exist (or is not visible to the caller).
    #[error("{}", kind.not_found_message(id))]
    NotFound {
        /// What was looked for.
        kind: Kind,
        /// Its id or name.
        id: String,
    },
    /// Something the request needs is missing, with the service's own wording (404).
    #[error("{message}")]
    Missing {
        /// Neutron's exception type (`ExternalGatewayForFloatingIPNotFound`, ...).
        kind: &'static str,
        /// The service's message.
        message: String,
    },
    /// The request is malformed or asks for something impossible (400).
    #[error("{message}")]
    BadRequest {
        /// Neutron's exception type (`InvalidInput`, `BadRequest`, ...).
        kind: &'static str,
        /// The service's message.
        message: String,
    },
    /// The request conflicts with the resource's state (409).
    #[error("{message}")]
    Conflict {
        /// Neutron's exception type (`NetworkInUse`, `IpAddressAlreadyAllocated`, ...).
        kind: &'static str,
        /// The service's message.
        message: String,
    },
    /// The caller may not do this (403).
    #[error("{message}")]
    Forbidden {
        /// Neutron's exception type (`PolicyNotAuthorized`, ...).
        kind: &'static str,
        /// The service's message.
        message: String,
    },
    /// A quota would be exceeded.
    #[error("{0}")]
    OverQuota(QuotaExceeded),
    /// The host side failed.
    #[error("host: {0}")]
    Fabric(#[from] FabricError),
    /// Anything else (500).
    #[error("{0}")]
    Internal(String),
}

impl SimError {
    /// A missing resource.
    pub fn not_found(kind: Kind, id: impl Into<String>) -> SimError {
        SimError::NotFound { kind, id: id.into() }
    }

    /// A bad request with Neutron's generic type.
    pub fn bad_request(message: impl Into<String>) -> SimError {
        SimError::BadRequest {
            kind: "BadRequest",
            message: message.into(),
        }
    }

    /// Neutron's `InvalidInput` ("Invalid input for operation: ...").
    pub fn invalid_input(detail: impl fmt::Display) -> SimError {
        SimError::BadRequest {
            kind: "InvalidInput",
            message: format!("Invalid input for operation: {detail}."),
        }
    }

    /// A conflict.
    pub fn conflict(kind: &'static str, message: impl Into<String>) -> SimError {
        SimError::Conflict {
            kind,
            message: message.into(),
        }
    }

    /// A policy refusal.
    pub fn forbidden(message: impl Into<String>) -> SimError {
        SimError::Forbidden {
            kind: "PolicyNotAuthorized",
            message: message.into(),
        }
    }
}

/// Result alias of the simulator.
pub type Result<T, E = SimError> = std::result::Result<T, E>;
