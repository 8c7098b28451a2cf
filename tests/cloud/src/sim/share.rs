//! Manila's operations on [`Cloud`]: shares as records only (nothing is exported on the
//! host). A share is `available` as soon as it is made, with an NFS-style export location;
//! its project sees, changes and deletes it, every project sees a public one, an admin sees
//! all. Protocols are Manila's default `enabled_share_protocols` (`NFS`, `CIFS`).

use super::cloud::Cloud;
use super::context::RequestContext;
use super::error::{Kind, Result, SimError};
use super::model::Time;
use super::state::AVAILABILITY_ZONE;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The protocols shares are made with (Manila's default `enabled_share_protocols`).
pub const SHARE_PROTOCOLS: [&str; 2] = ["NFS", "CIFS"];

/// The share type every share has (Manila's default type name in devstack).
pub const DEFAULT_SHARE_TYPE: &str = "default";

/// A Manila share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Share {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// The owning project.
    pub project_id: String,
    /// The creating user.
    pub user_id: String,
    /// Its protocol, upper case (`NFS`, `CIFS`).
    pub share_proto: String,
    /// Size in GiB.
    pub size: u32,
    /// Status (`available`).
    pub status: String,
    /// Whether every project sees it.
    pub is_public: bool,
    /// Availability zone.
    pub availability_zone: String,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Where it is exported (`<host>:/shares/share-<id>` for NFS, `\\<host>\share-<id>` for CIFS).
    pub export_location: String,
    /// Creation time.
    pub created_at: Time,
    /// Last change.
    pub updated_at: Option<Time>,
}

/// A share to create (`POST /shares`).
#[derive(Debug, Clone, Default)]
pub struct ShareCreate {
    /// Protocol (any case).
    pub share_proto: String,
    /// Size in GiB.
    pub size: u32,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Public flag.
    pub is_public: bool,
    /// Availability zone (only `nova`).
    pub availability_zone: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
}

/// Manila's `InvalidInput` message.
fn invalid_input(reason: impl std::fmt::Display) -> SimError {
    SimError::bad_request(format!("Invalid input received: {reason}."))
}

impl Cloud {
    /// Creates a share of the caller's project, `available` at once.
    pub async fn create_share(&self, ctx: &RequestContext, req: ShareCreate) -> Result<Share> {
        let proto = req.share_proto.to_ascii_uppercase();
        if !SHARE_PROTOCOLS.contains(&proto.as_str()) {
            return Err(invalid_input(format!(
                "Invalid share protocol provided: {}. It is either disabled or unsupported. Available protocols: \
                 ['NFS', 'CIFS']",
                req.share_proto
            )));
        }
        if req.size == 0 {
            return Err(invalid_input(format!(
                "Share size '{}' must be an integer and greater than 0",
                req.size
            )));
        }
        if let Some(az) = &req.availability_zone
            && az != AVAILABILITY_ZONE
        {
            return Err(SimError::Missing {
                kind: "AvailabilityZoneNotFound",
                message: format!("Availability zone {az} could not be found."),
            });
        }
        let id = self.prefix().mint_id();
        let export_location = match proto.as_str() {
            "CIFS" => format!("\\\\127.0.0.1\\share-{id}"),
            _ => format!("127.0.0.1:/shares/share-{id}"),
        };
        let share = Share {
            id,
            name: req.name,
            description: req.description,
            project_id: ctx.project_id.clone(),
            user_id: ctx.user_id.clone(),
            share_proto: proto,
            size: req.size,
            status: "available".to_string(),
            is_public: req.is_public,
            availability_zone: AVAILABILITY_ZONE.to_string(),
            metadata: req.metadata,
            export_location,
            created_at: chrono::Utc::now(),
            updated_at: None,
        };
        self.write(|s| s.shares.insert(share.id.clone(), share.clone()));
        tracing::info!(share_id = %share.id, proto = %share.share_proto, "share made");
        Ok(share)
    }

    /// A share the caller may see: its project's, a public one, or any for an admin.
    pub async fn get_share(&self, ctx: &RequestContext, id: &str) -> Result<Share> {
        self.read(|s| {
            s.shares
                .get(id)
                .filter(|sh| sh.is_public || ctx.owns(&sh.project_id))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Share, id))
        })
    }

    /// The shares the caller sees (every project's for an admin who asks), newest first.
    pub async fn list_shares(&self, ctx: &RequestContext, all_projects: bool) -> Vec<Share> {
        let mut list: Vec<Share> = self.read(|s| {
            s.shares
                .values()
                .filter(|sh| sh.is_public || sh.project_id == ctx.project_id || (all_projects && ctx.is_admin))
                .cloned()
                .collect()
        });
        list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        list
    }

    /// Deletes a share of the caller's project (any, for an admin).
    pub async fn delete_share(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            if !s.shares.get(id).is_some_and(|sh| ctx.owns(&sh.project_id)) {
                return Err(SimError::not_found(Kind::Share, id));
            }
            s.shares.remove(id);
            Ok(())
        })?;
        tracing::info!(share_id = %id, "share deleted");
        Ok(())
    }
}
