//! Glance's operations on [`Cloud`]: images (metadata only) with visibility, creation,
//! deletion and JSON-patch updates with Glance's semantics (`add` sets, `replace` needs
//! the property, `remove` refuses base attributes), which Sahara's image registry uses to
//! write `_sahara_username` and `_sahara_tag_*`.

use super::cloud::Cloud;
use super::context::RequestContext;
use super::error::{Kind, Result, SimError};
use super::model::Image;
use serde_json::Value;
use std::collections::BTreeMap;

/// One JSON-patch operation on an image.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchOp {
    /// Sets a base attribute or a property.
    Add(String, Value),
    /// Sets an existing base attribute or property.
    Replace(String, Value),
    /// Removes a property.
    Remove(String),
}

/// An image to create (`POST /v2/images`).
#[derive(Debug, Clone, Default)]
pub struct ImageCreate {
    /// Id (default: minted).
    pub id: Option<String>,
    /// Name.
    pub name: Option<String>,
    /// Visibility (default `shared`).
    pub visibility: Option<String>,
    /// Disk format.
    pub disk_format: Option<String>,
    /// Container format.
    pub container_format: Option<String>,
    /// Minimum disk.
    pub min_disk: u32,
    /// Minimum memory.
    pub min_ram: u32,
    /// Protected flag.
    pub protected: bool,
    /// Tags.
    pub tags: Vec<String>,
    /// Additional properties.
    pub properties: BTreeMap<String, String>,
}

/// Attributes an image always has (`remove` refuses them).
pub const BASE_ATTRIBUTES: &[&str] = &[
    "name",
    "visibility",
    "protected",
    "tags",
    "min_disk",
    "min_ram",
    "disk_format",
    "container_format",
    "os_hidden",
];

/// Attributes nobody may set.
pub const READ_ONLY: &[&str] = &[
    "id",
    "status",
    "created_at",
    "updated_at",
    "size",
    "virtual_size",
    "checksum",
    "os_hash_algo",
    "os_hash_value",
    "file",
    "self",
    "schema",
    "direct_url",
    "owner",
    "stores",
];

const VISIBILITIES: &[&str] = &["public", "private", "shared", "community"];

impl super::state::State {
    /// Whether `ctx` sees image `i`.
    pub fn image_visible(&self, ctx: &RequestContext, i: &Image) -> bool {
        ctx.is_admin
            || matches!(i.visibility.as_str(), "public" | "community")
            || i.owner.as_deref() == Some(ctx.project_id.as_str())
    }
}

fn set_base(img: &mut Image, key: &str, value: Value) -> Result<()> {
    let bad = |what: &str| {
        SimError::bad_request(format!(
            "Provided object does not match schema 'image': {value} is not of type '{what}'"
        ))
    };
    match key {
        "name" => {
            img.name = match &value {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                _ => return Err(bad("string")),
            }
        }
        "visibility" => {
            let v = value.as_str().ok_or_else(|| bad("string"))?;
            if !VISIBILITIES.contains(&v) {
                return Err(SimError::bad_request(format!("Invalid visibility value: {v}")));
            }
            img.visibility = v.to_string();
        }
        "protected" => img.protected = value.as_bool().ok_or_else(|| bad("boolean"))?,
        "os_hidden" => img.os_hidden = value.as_bool().ok_or_else(|| bad("boolean"))?,
        "tags" => {
            let list = value.as_array().ok_or_else(|| bad("array"))?;
            img.tags = list
                .iter()
                .map(|t| t.as_str().map(str::to_string).ok_or_else(|| bad("string")))
                .collect::<Result<_>>()?;
        }
        "min_disk" => {
            img.min_disk = value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad("integer"))?
        }
        "min_ram" => {
            img.min_ram = value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .ok_or_else(|| bad("integer"))?
        }
        "disk_format" => img.disk_format = value.as_str().map(str::to_string),
        "container_format" => img.container_format = value.as_str().map(str::to_string),
        _ => return Err(SimError::Internal(format!("{key} is not a base attribute"))),
    }
    Ok(())
}

/// Applies a patch to an image with Glance's semantics (all or nothing).
pub fn apply_patch(img: &Image, ops: &[PatchOp]) -> Result<Image> {
    let mut next = img.clone();
    for op in ops {
        let key = match op {
            PatchOp::Add(k, _) | PatchOp::Replace(k, _) | PatchOp::Remove(k) => k.as_str(),
        };
        if READ_ONLY.contains(&key) {
            return Err(SimError::Forbidden {
                kind: "HTTPForbidden",
                message: format!("Attribute '{key}' is read-only."),
            });
        }
        if key.is_empty() || key.contains('/') || key == "locations" || key.starts_with("os_glance") {
            return Err(SimError::Forbidden {
                kind: "HTTPForbidden",
                message: format!("Attribute '{key}' is reserved."),
            });
        }
        let base = BASE_ATTRIBUTES.contains(&key);
        match op {
            PatchOp::Add(k, v) | PatchOp::Replace(k, v) => {
                if matches!(op, PatchOp::Replace(..)) && !base && !next.properties.contains_key(k) {
                    return Err(SimError::conflict(
                        "HTTPConflict",
                        format!("Property {k} does not exist."),
                    ));
                }
                if base {
                    set_base(&mut next, k, v.clone())?;
                } else {
                    let s = v.as_str().ok_or_else(|| {
                        SimError::bad_request(format!(
                            "Provided object does not match schema 'image': {v} is not of type 'string'"
                        ))
                    })?;
                    next.properties.insert(k.clone(), s.to_string());
                }
            }
            PatchOp::Remove(k) => {
                if base {
                    return Err(SimError::Forbidden {
                        kind: "HTTPForbidden",
                        message: format!("Property {k} may not be removed."),
                    });
                }
                if next.properties.remove(k).is_none() {
                    return Err(SimError::conflict(
                        "HTTPConflict",
                        format!("Property {k} does not exist."),
                    ));
                }
            }
        }
    }
    next.updated_at = chrono::Utc::now();
    Ok(next)
}

impl Cloud {
    /// The images `ctx` sees (hidden ones only when asked).
    pub async fn list_images(&self, ctx: &RequestContext, include_hidden: bool) -> Vec<Image> {
        let mut v: Vec<Image> = self.read(|s| {
            s.images
                .values()
                .filter(|i| s.image_visible(ctx, i) && (include_hidden || !i.os_hidden))
                .cloned()
                .collect()
        });
        v.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        v
    }

    /// An image.
    pub async fn get_image(&self, ctx: &RequestContext, id: &str) -> Result<Image> {
        self.read(|s| {
            s.images
                .get(id)
                .filter(|i| s.image_visible(ctx, i))
                .cloned()
                .ok_or_else(|| SimError::not_found(Kind::Image, id))
        })
    }

    /// Creates an image record (status `queued`: the simulator stores no image data).
    pub async fn create_image(&self, ctx: &RequestContext, req: ImageCreate) -> Result<Image> {
        let visibility = req.visibility.clone().unwrap_or_else(|| "shared".to_string());
        if !VISIBILITIES.contains(&visibility.as_str()) {
            return Err(SimError::bad_request(format!("Invalid visibility value: {visibility}")));
        }
        if visibility == "public" && !ctx.is_admin {
            return Err(SimError::Forbidden {
                kind: "HTTPForbidden",
                message: "You are not authorized to complete publicize_image action.".into(),
            });
        }
        for k in req.properties.keys() {
            if READ_ONLY.contains(&k.as_str()) {
                return Err(SimError::Forbidden {
                    kind: "HTTPForbidden",
                    message: format!("Attribute '{k}' is read-only."),
                });
            }
        }
        let now = chrono::Utc::now();
        let id = req.id.clone().unwrap_or_else(|| self.prefix().mint_id());
        let img = Image {
            id: id.clone(),
            name: req.name,
            owner: Some(ctx.project_id.clone()),
            visibility,
            status: "queued".to_string(),
            disk_format: req.disk_format,
            container_format: req.container_format,
            min_disk: req.min_disk,
            min_ram: req.min_ram,
            size: None,
            protected: req.protected,
            os_hidden: false,
            tags: req.tags,
            properties: req.properties,
            created_at: now,
            updated_at: now,
        };
        self.try_write(|s| {
            if s.images.contains_key(&id) {
                return Err(SimError::conflict(
                    "HTTPConflict",
                    format!("Image with identifier {id} already exists!"),
                ));
            }
            s.images.insert(id.clone(), img.clone());
            Ok(img)
        })
    }

    /// Applies a JSON patch to an image (owner or admin).
    pub async fn patch_image(&self, ctx: &RequestContext, id: &str, ops: &[PatchOp]) -> Result<Image> {
        self.try_write(|s| {
            let img = s
                .images
                .get(id)
                .filter(|i| s.image_visible(ctx, i))
                .ok_or_else(|| SimError::not_found(Kind::Image, id))?;
            if !ctx.is_admin && img.owner.as_deref() != Some(ctx.project_id.as_str()) {
                return Err(SimError::Forbidden {
                    kind: "HTTPForbidden",
                    message: "You are not authorized to complete modify_image action.".into(),
                });
            }
            if ops
                .iter()
                .any(|o| matches!(o, PatchOp::Add(k, _) | PatchOp::Replace(k, _) if k == "visibility"))
                && !ctx.is_admin
                && ops
                    .iter()
                    .any(|o| matches!(o, PatchOp::Add(_, v) | PatchOp::Replace(_, v) if v == "public"))
            {
                return Err(SimError::Forbidden {
                    kind: "HTTPForbidden",
                    message: "You are not authorized to complete publicize_image action.".into(),
                });
            }
            let next = apply_patch(img, ops)?;
            s.images.insert(id.to_string(), next.clone());
            tracing::info!(image_id = %id, ops = ops.len(), "image patched");
            Ok(next)
        })
    }

    /// Deletes an image (owner or admin; not a protected one).
    pub async fn delete_image(&self, ctx: &RequestContext, id: &str) -> Result<()> {
        self.try_write(|s| {
            let img = s
                .images
                .get(id)
                .filter(|i| s.image_visible(ctx, i))
                .ok_or_else(|| SimError::not_found(Kind::Image, id))?;
            if !ctx.is_admin && img.owner.as_deref() != Some(ctx.project_id.as_str()) {
                return Err(SimError::Forbidden {
                    kind: "HTTPForbidden",
                    message: "You are not authorized to complete delete_image action.".into(),
                });
            }
            if img.protected {
                return Err(SimError::Forbidden {
                    kind: "HTTPForbidden",
                    message: format!("Image {id} is protected and cannot be deleted."),
                });
            }
            s.images.remove(id);
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn image() -> Image {
        let now = chrono::Utc::now();
        Image {
            id: "i".into(),
            name: Some("n".into()),
            owner: Some("p".into()),
            visibility: "public".into(),
            status: "active".into(),
            disk_format: None,
            container_format: None,
            min_disk: 0,
            min_ram: 0,
            size: None,
            protected: false,
            os_hidden: false,
            tags: vec![],
            properties: BTreeMap::from([("_sahara_username".to_string(), "ubuntu".to_string())]),
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn patches_follow_glance() {
        let img = image();
        let next = apply_patch(
            &img,
            &[
                PatchOp::Add("_sahara_tag_spark".into(), json!("True")),
                PatchOp::Replace("_sahara_username".into(), json!("centos")),
                PatchOp::Replace("name".into(), json!("renamed")),
                PatchOp::Add("min_ram".into(), json!(512)),
            ],
        )
        .unwrap();
        assert_eq!(next.properties["_sahara_tag_spark"], "True");
        assert_eq!(next.properties["_sahara_username"], "centos");
        assert_eq!(next.name.as_deref(), Some("renamed"));
        assert_eq!(next.min_ram, 512);
        let next = apply_patch(&next, &[PatchOp::Remove("_sahara_tag_spark".into())]).unwrap();
        assert!(!next.properties.contains_key("_sahara_tag_spark"));
    }

    #[test]
    fn patches_refuse_what_glance_refuses() {
        let img = image();
        let err = |ops: &[PatchOp]| apply_patch(&img, ops).unwrap_err().to_string();
        assert_eq!(
            err(&[PatchOp::Replace("nope".into(), json!("x"))]),
            "Property nope does not exist."
        );
        assert_eq!(err(&[PatchOp::Remove("nope".into())]), "Property nope does not exist.");
        assert_eq!(
            err(&[PatchOp::Remove("name".into())]),
            "Property name may not be removed."
        );
        assert_eq!(
            err(&[PatchOp::Add("id".into(), json!("x"))]),
            "Attribute 'id' is read-only."
        );
        assert!(err(&[PatchOp::Add("prop".into(), json!(5))]).contains("is not of type 'string'"));
        // All or nothing.
        assert!(
            apply_patch(
                &img,
                &[PatchOp::Add("a".into(), json!("1")), PatchOp::Remove("zz".into())]
            )
            .is_err()
        );
    }
}
