//! Glance v2 (the catalog endpoint, `/v2` appended): images with their additional properties
//! (top-level keys in v2), JSON-patch updates of properties, and Sahara's image registry on
//! top of them (sahara/utils/openstack/images.py): `_sahara_username`,
//! `_sahara_description` and one `_sahara_tag_<tag>` property per tag; an image is registered
//! when it has a username.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::config::Service;
use crate::error::Result;
use crate::http::{Payload, segment};
use crate::session::Session;

/// The image property holding the login user (`_sahara_username`).
pub const PROP_USERNAME: &str = "_sahara_username";
/// The image property holding the description (`_sahara_description`).
pub const PROP_DESCRIPTION: &str = "_sahara_description";
/// The prefix of tag properties (`_sahara_tag_`).
pub const PROP_TAG: &str = "_sahara_tag_";

/// The content type of Glance's JSON patch.
const PATCH_TYPE: &str = "application/openstack-images-v2.1-json-patch";

/// An image.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Image {
    /// Its id.
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `queued`, `active`, ...
    #[serde(default)]
    pub status: String,
    /// Size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    /// Minimum disk in GiB.
    #[serde(default)]
    pub min_disk: u64,
    /// Minimum RAM in MiB.
    #[serde(default)]
    pub min_ram: u64,
    /// Creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Every other key: Glance's other fields and the additional properties.
    #[serde(flatten)]
    pub properties: BTreeMap<String, Value>,
}

impl Image {
    /// A property as text (non-strings as JSON).
    pub fn property(&self, key: &str) -> Option<String> {
        self.properties.get(key).and_then(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
    }

    /// The registered login user (`_sahara_username`).
    pub fn sahara_username(&self) -> Option<String> {
        self.property(PROP_USERNAME)
    }

    /// The registered description (`_sahara_description`).
    pub fn sahara_description(&self) -> Option<String> {
        self.property(PROP_DESCRIPTION)
    }

    /// The tags: every `_sahara_tag_<tag>` property with a non-empty value, sorted.
    pub fn sahara_tags(&self) -> Vec<String> {
        self.properties
            .iter()
            .filter(|(_, v)| !matches!(v, Value::Null | Value::Bool(false)) && v.as_str() != Some(""))
            .filter_map(|(k, _)| k.strip_prefix(PROP_TAG).map(str::to_string))
            .collect()
    }

    /// Whether the image is registered with Sahara (it has a non-empty username).
    pub fn is_registered(&self) -> bool {
        self.sahara_username().is_some_and(|u| !u.is_empty())
    }
}

/// Glance with a session.
#[derive(Debug, Clone, Copy)]
pub struct Glance<'a> {
    session: &'a Session,
}

impl<'a> Glance<'a> {
    pub(crate) fn new(session: &'a Session) -> Self {
        Glance { session }
    }

    fn root(&self) -> Result<String> {
        let base = self.session.endpoint(Service::Image)?;
        Ok(base.strip_suffix("/v2").map(str::to_string).unwrap_or(base))
    }

    /// An image by id.
    pub async fn get_image(&self, id: &str) -> Result<Image> {
        let url = format!("{}/v2/images/{}", self.root()?, segment(id));
        self.session
            .json(Service::Image, "glance.get_image", Method::GET, url, None)
            .await
    }

    /// Every image the project sees, following Glance's `next` pages.
    pub async fn list_images(&self) -> Result<Vec<Image>> {
        #[derive(Deserialize)]
        struct Page {
            images: Vec<Image>,
            #[serde(default)]
            next: Option<String>,
        }
        let root = self.root()?;
        let mut url = format!("{root}/v2/images");
        let mut out = Vec::new();
        loop {
            let page: Page = self
                .session
                .json(Service::Image, "glance.list_images", Method::GET, url, None)
                .await?;
            out.extend(page.images);
            match page.next {
                Some(n) if !n.is_empty() => url = format!("{root}{n}"),
                _ => return Ok(out),
            }
        }
    }

    /// Sets and removes properties with one JSON patch (`add` or `replace` as the property
    /// exists, `remove` only for present ones, as glanceclient's `update` does); returns the image.
    pub async fn update_properties(
        &self,
        id: &str,
        set: &BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<Image> {
        let current = self.get_image(id).await?;
        let mut ops = Vec::new();
        for (k, v) in set {
            let op = if current.properties.contains_key(k) {
                "replace"
            } else {
                "add"
            };
            ops.push(json!({"op": op, "path": format!("/{k}"), "value": v}));
        }
        for k in remove {
            if current.properties.contains_key(k) && !set.contains_key(k) {
                ops.push(json!({"op": "remove", "path": format!("/{k}")}));
            }
        }
        if ops.is_empty() {
            return Ok(current);
        }
        let url = format!("{}/v2/images/{}", self.root()?, segment(id));
        self.session
            .send(
                Service::Image,
                "glance.update_image",
                Method::PATCH,
                url,
                Payload::TypedJson(Value::Array(ops), PATCH_TYPE),
                Vec::new(),
            )
            .await?
            .json(Service::Image)
    }

    /// Registers an image: its login user and, if given, description (`set_image_info`).
    pub async fn set_image_info(&self, id: &str, username: &str, description: Option<&str>) -> Result<Image> {
        let mut set = BTreeMap::from([(PROP_USERNAME.to_string(), username.to_string())]);
        if let Some(d) = description.filter(|d| !d.is_empty()) {
            set.insert(PROP_DESCRIPTION.to_string(), d.to_string());
        }
        self.update_properties(id, &set, &[]).await
    }

    /// Unregisters an image: removes its username, description and tags (`unset_image_info`).
    pub async fn unset_image_info(&self, id: &str) -> Result<Image> {
        let image = self.get_image(id).await?;
        let mut remove: Vec<String> = image.sahara_tags().iter().map(|t| format!("{PROP_TAG}{t}")).collect();
        remove.push(PROP_DESCRIPTION.to_string());
        remove.push(PROP_USERNAME.to_string());
        self.update_properties(id, &BTreeMap::new(), &remove).await
    }

    /// Adds tags (`_sahara_tag_<tag>` = `True`).
    pub async fn tag(&self, id: &str, tags: &[String]) -> Result<Image> {
        let set = tags
            .iter()
            .map(|t| (format!("{PROP_TAG}{t}"), "True".to_string()))
            .collect();
        self.update_properties(id, &set, &[]).await
    }

    /// Removes tags.
    pub async fn untag(&self, id: &str, tags: &[String]) -> Result<Image> {
        let remove: Vec<String> = tags.iter().map(|t| format!("{PROP_TAG}{t}")).collect();
        self.update_properties(id, &BTreeMap::new(), &remove).await
    }

    /// Registered images having every one of `tags` and, if given, `name` in their name
    /// (`list_registered`).
    pub async fn list_registered(&self, name: Option<&str>, tags: &[String]) -> Result<Vec<Image>> {
        Ok(self
            .list_images()
            .await?
            .into_iter()
            .filter(|i| i.is_registered())
            .filter(|i| {
                let have = i.sahara_tags();
                tags.iter().all(|t| have.contains(t))
            })
            .filter(|i| name.is_none_or(|n| i.name.as_deref().unwrap_or("").contains(n)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sahara_properties_are_read_from_top_level_keys() {
        let i: Image = serde_json::from_value(json!({"id": "i", "name": "spark", "status": "active",
            "visibility": "public", "_sahara_username": "ubuntu", "_sahara_tag_spark": "True",
            "_sahara_tag_3.3": "True", "_sahara_tag_old": "", "_sahara_description": "d"}))
        .unwrap();
        assert_eq!(i.sahara_username().as_deref(), Some("ubuntu"));
        assert_eq!(i.sahara_description().as_deref(), Some("d"));
        assert_eq!(i.sahara_tags(), vec!["3.3".to_string(), "spark".to_string()]);
        assert!(i.is_registered());
        assert_eq!(i.property("visibility").as_deref(), Some("public"));
    }
}
