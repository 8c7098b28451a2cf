//! Per-plugin label overrides stored in `plugin_data` (enabled/hidden/stable/deprecated).

use super::JsonMap;
use crate::timestamp;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// A row of `plugin_data`: label states of one plugin and its versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginData {
    /// Row id.
    pub id: String,
    /// Project that stored the labels.
    pub tenant_id: String,
    /// Plugin name.
    pub name: String,
    /// Label -> `{"status": bool, ...}` for the plugin.
    pub plugin_labels: Option<JsonMap>,
    /// Version -> label -> `{"status": bool, ...}`.
    pub version_labels: Option<JsonMap>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}
