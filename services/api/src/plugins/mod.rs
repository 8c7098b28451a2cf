//! The plugin registry as the API sees it (sahara/plugins/base.py `PluginManager`, sahara/plugins/labels.py):
//! which plugins are enabled (`[DEFAULT] plugins` intersected with the plugins we implement), their metadata
//! and version details, and Sahara's label model (`plugin_labels` / `version_labels`: enabled, hidden, stable,
//! deprecated): the plugins' defaults, or the states stored through the conductor (`plugin_data`) by
//! `PATCH /plugins/{name}` ([`api`]). The metadata belongs in `shared/plugins` once that crate exists.

pub mod api;
pub mod cache;
pub mod fake;

use serde_json::{Map, Value, json};

/// A label of Sahara's label model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Label {
    /// `enabled`, `hidden`, `stable` or `deprecated`.
    pub name: &'static str,
    /// Whether `PATCH /plugins/{name}` may change it.
    pub mutable: bool,
    /// The description shown with it.
    pub description: &'static str,
}

/// `hidden`: listed but meant to be hidden by clients.
pub const HIDDEN: Label = Label {
    name: "hidden",
    mutable: true,
    description: "Existence of plugin or its version is hidden, but still can be used for cluster creation by CLI \
                  and directly by client.",
};
/// `stable`.
pub const STABLE: Label = Label {
    name: "stable",
    mutable: false,
    description: "Indicates that plugin or its version are stable to be used",
};
/// `enabled`: clusters may be created.
pub const ENABLED: Label = Label {
    name: "enabled",
    mutable: true,
    description: "Plugin or its version is enabled and can be used by user.",
};
/// `deprecated`.
pub const DEPRECATED: Label = Label {
    name: "deprecated",
    mutable: false,
    description: "Plugin or its version is deprecated and will be removed in future releases. Please, consider to \
                  use another plugin or its version.",
};

/// Every label, in Sahara's `get_labels` order.
pub const LABELS: [Label; 4] = [HIDDEN, STABLE, ENABLED, DEPRECATED];

/// The label named `name`.
pub fn label(name: &str) -> Option<Label> {
    LABELS.into_iter().find(|l| l.name == name)
}

/// A label's default state: `(label name, status)`.
pub type LabelDefault = (&'static str, bool);

/// A plugin config as a plugin declares it (sahara/plugins/provisioning.py `Config`).
#[derive(Debug, Clone, PartialEq)]
pub struct PluginConfig {
    /// Config name.
    pub name: &'static str,
    /// Description, if any.
    pub description: Option<&'static str>,
    /// `string`, `int`, `bool`, `enum`, ...
    pub config_type: &'static str,
    /// Allowed values of an `enum`.
    pub config_values: Option<&'static [&'static str]>,
    /// Default value.
    pub default_value: Value,
    /// `general` or the service the config belongs to.
    pub applicable_target: &'static str,
    /// `cluster` or `node`.
    pub scope: &'static str,
    /// Whether the user may leave it unset.
    pub is_optional: bool,
    /// Priority (1 = shown first).
    pub priority: i64,
}

impl PluginConfig {
    /// The config's JSON as `GET /plugins/{name}/{version}` lists it.
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "description": self.description,
            "config_type": self.config_type,
            "config_values": self.config_values,
            "default_value": self.default_value,
            "applicable_target": self.applicable_target,
            "scope": self.scope,
            "is_optional": self.is_optional,
            "priority": self.priority,
        })
    }
}

/// A provisioning plugin's API-facing description.
#[derive(Debug, Clone)]
pub struct Plugin {
    /// Entry-point name (`fake`).
    pub name: &'static str,
    /// `get_title`.
    pub title: &'static str,
    /// `get_description`.
    pub description: &'static str,
    /// `get_versions`.
    pub versions: &'static [&'static str],
    /// `get_labels()["plugin_labels"]`.
    pub plugin_labels: &'static [LabelDefault],
    /// `get_labels()["version_labels"]`.
    pub version_labels: &'static [(&'static str, &'static [LabelDefault])],
    /// `get_node_processes`: service -> processes, in the plugin's order.
    pub node_processes: &'static [(&'static str, &'static [&'static str])],
    /// `get_all_configs(version)`: the common configs then the plugin's own.
    pub configs: fn(&str) -> Vec<PluginConfig>,
}

fn labels_json(defaults: &[LabelDefault]) -> Value {
    let mut m = Map::new();
    for (name, status) in defaults {
        let l = label(name);
        m.insert(
            name.to_string(),
            json!({
                "status": status,
                "mutable": l.map(|l| l.mutable),
                "description": l.map(|l| l.description),
            }),
        );
    }
    Value::Object(m)
}

impl Plugin {
    /// `get_required_image_tags` (the default: plugin name and version).
    pub fn required_image_tags(&self, version: &str) -> Vec<String> {
        vec![self.name.to_string(), version.to_string()]
    }

    /// `get_label_full_details`: the labels with their mutability and description.
    pub fn labels(&self) -> (Value, Value) {
        let mut versions = Map::new();
        for (v, defaults) in self.version_labels {
            versions.insert(v.to_string(), labels_json(defaults));
        }
        (labels_json(self.plugin_labels), Value::Object(versions))
    }

    /// `get_labels()`: the default label states as Sahara stores them (`{"plugin_labels": {<label>: {"status":
    /// bool}}, "version_labels": {<version>: {...}}}`).
    pub fn default_label_details(&self) -> Map<String, Value> {
        let states = |defaults: &[LabelDefault]| -> Value {
            Value::Object(
                defaults
                    .iter()
                    .map(|(name, status)| (name.to_string(), json!({"status": status})))
                    .collect(),
            )
        };
        let mut versions = Map::new();
        for (v, defaults) in self.version_labels {
            versions.insert(v.to_string(), states(defaults));
        }
        let mut m = Map::new();
        m.insert("plugin_labels".into(), states(self.plugin_labels));
        m.insert("version_labels".into(), Value::Object(versions));
        m
    }

    /// `serialize_plugin(name, version)`: the plugin's dict with its default labels, plus the version details
    /// when a version is asked; `None` for a version the plugin does not have.
    pub fn to_json(&self, version: Option<&str>) -> Option<Value> {
        self.to_json_with(version, &self.default_label_details())
    }

    /// `serialize_plugin(name, version)` with the label states `details` (stored or default, see
    /// [`Plugin::default_label_details`]), expanded with each label's mutability and description.
    pub fn to_json_with(&self, version: Option<&str>, details: &Map<String, Value>) -> Option<Value> {
        let (plugin_labels, version_labels) = expand_label_details(details);
        let mut m = Map::new();
        m.insert("name".into(), self.name.into());
        m.insert("title".into(), self.title.into());
        m.insert("description".into(), self.description.into());
        m.insert("versions".into(), json!(self.versions));
        m.insert("plugin_labels".into(), plugin_labels);
        m.insert("version_labels".into(), version_labels);
        if let Some(v) = version {
            if !self.versions.contains(&v) {
                return None;
            }
            let configs: Vec<Value> = (self.configs)(v).iter().map(PluginConfig::to_json).collect();
            let mut processes = Map::new();
            for (service, procs) in self.node_processes {
                processes.insert(service.to_string(), json!(procs));
            }
            m.insert("configs".into(), Value::Array(configs));
            m.insert("node_processes".into(), Value::Object(processes));
            m.insert("required_image_tags".into(), json!(self.required_image_tags(v)));
        }
        Some(Value::Object(m))
    }
}

/// `expand_data`: every label state of `details` completed with the label's `mutable` and `description`.
pub fn expand_label_details(details: &Map<String, Value>) -> (Value, Value) {
    let expand = |labels: Option<&Value>| -> Map<String, Value> {
        let mut out = Map::new();
        for (name, state) in labels.and_then(Value::as_object).into_iter().flatten() {
            let mut state = state.as_object().cloned().unwrap_or_default();
            if let Some(l) = label(name) {
                state.insert("mutable".into(), l.mutable.into());
                state.insert("description".into(), l.description.into());
            }
            out.insert(name.clone(), Value::Object(state));
        }
        out
    };
    let mut versions = Map::new();
    for (v, labels) in details
        .get("version_labels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        versions.insert(v.clone(), Value::Object(expand(Some(labels))));
    }
    (
        Value::Object(expand(details.get("plugin_labels"))),
        Value::Object(versions),
    )
}

/// `validate_plugin_labels(plugin, version)` over the label states `details`: 400 INVALID_REFERENCE when the
/// plugin or the version is not enabled (a deprecated one is only logged).
pub fn validate_plugin_labels(
    details: &Map<String, Value>,
    plugin_name: &str,
    version: &str,
) -> Result<(), sahara_model::SaharaError> {
    let status = |labels: Option<&Value>, name: &str| {
        labels
            .and_then(|l| l.get(name))
            .and_then(|l| l.get("status"))
            .is_some_and(|s| crate::templates::checks::truthy(Some(s)))
    };
    let plb = details.get("plugin_labels");
    if !status(plb, "enabled") {
        return Err(sahara_model::SaharaError::InvalidReference(format!(
            "Plugin {plugin_name} is not enabled"
        )));
    }
    if status(plb, "deprecated") {
        tracing::warn!("Plugin {plugin_name} is deprecated and can be removed in the next release");
    }
    let vlb = details.get("version_labels").and_then(|v| v.get(version));
    if !status(vlb, "enabled") {
        return Err(sahara_model::SaharaError::InvalidReference(format!(
            "Version {version} of plugin {plugin_name} is not enabled"
        )));
    }
    if status(vlb, "deprecated") {
        tracing::warn!("Using version {version} of plugin {plugin_name} is deprecated and can removed in next release");
    }
    Ok(())
}

/// The plugins this implementation carries.
pub fn implemented() -> Vec<&'static Plugin> {
    vec![&fake::FAKE]
}

/// The enabled plugins.
#[derive(Debug, Clone, Default)]
pub struct PluginRegistry {
    plugins: Vec<&'static Plugin>,
}

impl PluginRegistry {
    /// The plugins named in `[DEFAULT] plugins` that we implement, in the configured order; the others are
    /// reported as Sahara does ("Plugins couldn't be loaded").
    pub fn from_names(names: &[String]) -> Self {
        let mut plugins: Vec<&'static Plugin> = Vec::new();
        let mut missing: Vec<&str> = Vec::new();
        for name in names {
            match implemented().into_iter().find(|p| p.name == name) {
                Some(p) if !plugins.iter().any(|q| q.name == p.name) => {
                    tracing::info!(plugin_name = p.name, "Plugin {} loaded", p.name);
                    plugins.push(p)
                }
                Some(_) => {}
                None => missing.push(name),
            }
        }
        if !missing.is_empty() {
            tracing::warn!("Plugins couldn't be loaded: {}", missing.join(", "));
        }
        PluginRegistry { plugins }
    }

    /// The enabled plugins.
    pub fn plugins(&self) -> &[&'static Plugin] {
        &self.plugins
    }

    /// The enabled plugin `name`.
    pub fn get(&self, name: &str) -> Option<&'static Plugin> {
        self.plugins.iter().copied().find(|p| p.name == name)
    }

    /// Every version of every enabled plugin (the version keys `PATCH` accepts).
    pub fn all_versions(&self) -> Vec<&'static str> {
        let mut all: Vec<&'static str> = Vec::new();
        for p in &self.plugins {
            for v in p.versions {
                if !all.contains(v) {
                    all.push(v);
                }
            }
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enabled_plugins_are_the_configured_ones_we_have() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(
            PluginRegistry::from_names(&names(&["vanilla", "spark", "cdh", "ambari", "storm", "mapr"]))
                .plugins()
                .is_empty()
        );
        let r = PluginRegistry::from_names(&names(&["vanilla", "fake", "fake"]));
        assert_eq!(r.plugins().len(), 1);
        assert_eq!(r.get("fake").unwrap().title, "Fake Plugin");
        assert!(r.get("vanilla").is_none());
        assert_eq!(r.all_versions(), ["0.1"]);
    }

    #[test]
    fn unknown_version_serialises_to_none() {
        assert!(fake::FAKE.to_json(Some("0.2")).is_none());
        let v = fake::FAKE.to_json(Some("0.1")).unwrap();
        assert_eq!(v["required_image_tags"], json!(["fake", "0.1"]));
    }
}
