//! Cinder's operations on [`Cloud`]: volumes (`creating` → `available` once the fabric
//! made the loop device; `deleting` → gone), volume types, and the quotas `volumes` and
//! `gigabytes`. Attaching is Nova's (see [`super::compute`]).

use super::cloud::Cloud;
use super::context::RequestContext;
use super::error::{Kind, Result, SimError};
use super::model::*;
use super::state::{AVAILABILITY_ZONE, DEFAULT_VOLUME_TYPE};
use std::collections::BTreeMap;

/// A volume to create.
#[derive(Debug, Clone, Default)]
pub struct VolumeCreate {
    /// Size in GiB.
    pub size: u32,
    /// Name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Volume type name or id (default `__DEFAULT__`).
    pub volume_type: Option<String>,
    /// Availability zone (only `nova`).
    pub availability_zone: Option<String>,
    /// Metadata.
    pub metadata: BTreeMap<String, String>,
    /// Made from this image (bootable).
    pub image_id: Option<String>,
}

/// Changes to a volume.
#[derive(Debug, Clone, Default)]
pub struct VolumeUpdate {
    /// New name.
    pub name: Option<String>,
    /// New description.
    pub description: Option<String>,
    /// New metadata (replaces).
    pub metadata: Option<BTreeMap<String, String>>,
}

impl Cloud {
    /// Creates a volume: answers `creating`; the backing loop device is made in the
    /// background, then the volume is `available` (or `error`).
    pub async fn create_volume(&self, ctx: &RequestContext, req: VolumeCreate) -> Result<Volume> {
        if req.size == 0 {
            return Err(SimError::bad_request(format!(
                "Invalid input received: Volume size '{}' must be an integer and greater than 0.",
                req.size
            )));
        }
        if let Some(az) = &req.availability_zone
            && az != AVAILABILITY_ZONE
        {
            return Err(SimError::bad_request(format!(
                "Invalid input received: Availability zone '{az}' is invalid."
            )));
        }
        let prefix = self.prefix();
        let volume = self.try_write(|s| {
            let wanted = req
                .volume_type
                .clone()
                .unwrap_or_else(|| DEFAULT_VOLUME_TYPE.to_string());
            let vt = s
                .volume_types
                .values()
                .find(|t| t.id == wanted || t.name == wanted)
                .cloned()
                .ok_or_else(|| SimError::Missing {
                    kind: "VolumeTypeNotFoundByName",
                    message: format!("Volume type with name {wanted} could not be found."),
                })?;
            if let Some(i) = &req.image_id
                && !s.images.contains_key(i)
            {
                return Err(SimError::not_found(Kind::Image, i));
            }
            let per_volume = s.quotas.limit(&ctx.project_id, "per_volume_gigabytes");
            if per_volume >= 0 && i64::from(req.size) > per_volume {
                return Err(SimError::bad_request(format!(
                    "Invalid input received: Volume size {}G exceeds the per volume limit of {per_volume}G.",
                    req.size
                )));
            }
            s.quotas.check(
                &ctx.project_id,
                "volumes",
                s.usage(&ctx.project_id, &ctx.user_id, "volumes"),
                1,
            )?;
            s.quotas.check(
                &ctx.project_id,
                "gigabytes",
                s.usage(&ctx.project_id, &ctx.user_id, "gigabytes"),
                i64::from(req.size),
            )?;
            let v = Volume {
                id: prefix.mint_id(),
                name: req.name.clone(),
                project_id: ctx.project_id.clone(),
                user_id: ctx.user_id.clone(),
                size: req.size,
                status: VolumeStatus::Creating,
                volume_type: vt.name.clone(),
                volume_type_id: vt.id.clone(),
                availability_zone: AVAILABILITY_ZONE.to_string(),
                description: req.description.clone(),
                metadata: req.metadata.clone(),
                image_id: req.image_id.clone(),
                bootable: req.image_id.is_some(),
                attachment: None,
                on_host: false,
                created_at: chrono::Utc::now(),
                updated_at: None,
            };
            s.volumes.insert(v.id.clone(), v.clone());
            Ok(v)
        })?;
        tracing::info!(volume_id = %volume.id, size = volume.size, "volume accepted (creating)");
        let cloud = self.clone();
        let (id, size) = (volume.id.clone(), volume.size);
        self.spawn(async move {
            let vid = id.clone();
            let result = cloud.host(move |f| f.create_volume(&vid, size)).await;
            cloud.write(|s| {
                if let Some(v) = s.volumes.get_mut(&id) {
                    match &result {
                        Ok(()) => {
                            v.status = VolumeStatus::Available;
                            v.on_host = true;
                        }
                        Err(_) => v.status = VolumeStatus::Error,
                    }
                    v.updated_at = Some(chrono::Utc::now());
                }
            });
            match result {
                Ok(()) => tracing::info!(volume_id = %id, "volume available"),
                Err(e) => tracing::warn!(volume_id = %id, error = %e, "volume creation failed"),
            }
        });
        Ok(volume)
    }

    /// A volume.
    pub async fn get_volume(&self, ctx: &RequestContext, id: &str) -> Result<Volume> {
        self.read(|s| {
            s.volumes
                .get(id)
                .filter(|v| ctx.owns(&v.project_id))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Volume, id))
        })
    }

    /// The volumes of the project (every project for an admin who asks), newest first.
    pub async fn list_volumes(&self, ctx: &RequestContext, all_projects: bool) -> Vec<Volume> {
        let mut v: Vec<Volume> = self.read(|s| {
            s.volumes
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
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        v
    }

    /// Renames, re-describes or re-tags a volume.
    pub async fn update_volume(&self, ctx: &RequestContext, id: &str, req: VolumeUpdate) -> Result<Volume> {
        self.try_write(|s| {
            let v = s
                .volumes
                .get_mut(id)
                .filter(|v| ctx.owns(&v.project_id))
                .ok_or_else(|| SimError::not_found(Kind::Volume, id))?;
            if let Some(n) = req.name {
                v.name = Some(n);
            }
            if let Some(d) = req.description {
                v.description = Some(d);
            }
            if let Some(m) = req.metadata {
                v.metadata = m;
            }
            v.updated_at = Some(chrono::Utc::now());
            Ok(v.clone())
        })
    }

    /// Deletes a volume: it must be `available` or `error`; answers at once, the loop
    /// device goes in the background.
    pub async fn delete_volume(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        let on_host = self.try_write(|s| {
            let v = s
                .volumes
                .get_mut(id)
                .filter(|v| ctx.owns(&v.project_id))
                .ok_or_else(|| SimError::not_found(Kind::Volume, id))?;
            if !matches!(v.status, VolumeStatus::Available | VolumeStatus::Error | VolumeStatus::ErrorDeleting) {
                return Err(SimError::bad_request(
                    "Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.",
                ));
            }
            v.status = VolumeStatus::Deleting;
            v.updated_at = Some(chrono::Utc::now());
            Ok(v.on_host)
        })?;
        let cloud = self.clone();
        let id = id.to_string();
        self.spawn(async move {
            let vid = id.clone();
            let result = if on_host {
                cloud.host(move |f| f.delete_volume(&vid)).await
            } else {
                Ok(())
            };
            cloud.write(|s| match &result {
                Ok(()) => {
                    s.volumes.remove(&id);
                }
                Err(_) => {
                    if let Some(v) = s.volumes.get_mut(&id) {
                        v.status = VolumeStatus::ErrorDeleting;
                    }
                }
            });
            match result {
                Ok(()) => tracing::info!(volume_id = %id, "volume deleted"),
                Err(e) => tracing::warn!(volume_id = %id, error = %e, "volume deletion failed"),
            }
        });
        Ok(())
    }

    /// The volume types.
    pub async fn list_volume_types(&self, ctx: &RequestContext) -> Vec<VolumeType> {
        self.read(|s| {
            s.volume_types
                .values()
                .filter(|t| t.is_public || ctx.is_admin)
                .cloned()
                .collect()
        })
    }

    /// A volume type by id (or name).
    pub async fn get_volume_type(&self, _ctx: &RequestContext, id: &str) -> Result<VolumeType> {
        self.read(|s| {
            s.volume_types
                .values()
                .find(|t| t.id == id || t.name == id)
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::VolumeType, id))
        })
    }

    /// The default volume type.
    pub async fn default_volume_type(&self) -> Result<VolumeType> {
        self.read(|s| {
            s.volume_types
                .values()
                .find(|t| t.name == DEFAULT_VOLUME_TYPE)
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::VolumeType, DEFAULT_VOLUME_TYPE))
        })
    }

    /// Creates a volume type (admin).
    pub async fn create_volume_type(
        &self,
        ctx: &RequestContext,
        name: String,
        description: Option<String>,
        is_public: bool,
        extra_specs: BTreeMap<String, String>,
    ) -> Result<VolumeType> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow volume_extension:types_manage to be performed.",
            ));
        }
        let prefix = self.prefix();
        self.try_write(|s| {
            if s.volume_types.values().any(|t| t.name == name) {
                return Err(SimError::conflict(
                    "VolumeTypeExists",
                    format!("Volume Type {name} already exists."),
                ));
            }
            let t = VolumeType {
                id: prefix.mint_id(),
                name,
                description,
                is_public,
                extra_specs,
            };
            s.volume_types.insert(t.id.clone(), t.clone());
            Ok(t)
        })
    }

    /// Deletes a volume type (admin); refused while volumes use it.
    pub async fn delete_volume_type(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        if !ctx.is_admin {
            return Err(SimError::forbidden(
                "Policy doesn't allow volume_extension:types_manage to be performed.",
            ));
        }
        self.try_write(|s| {
            if !s.volume_types.contains_key(id) {
                return Err(SimError::not_found(Kind::VolumeType, id));
            }
            if s.volumes.values().any(|v| v.volume_type_id == id) {
                return Err(SimError::bad_request("Target volume type is still in use."));
            }
            s.volume_types.remove(id);
            Ok(())
        })
    }
}
