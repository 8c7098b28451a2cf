//! HOT templates: parsing (JSON or YAML, as Heat's `template_format.parse`), the
//! version, and a typed model of the sections (parameters, resources, outputs) with
//! Heat's validation messages. Intrinsic functions stay as JSON snippets, evaluated by
//! [`functions`](super::functions).

use serde_json::{Map, Value};

use super::error::{HeatError, Result};
use super::parameters::ParamSchema;

/// Heat's `max_template_size` (bytes).
pub const MAX_TEMPLATE_SIZE: usize = 524_288;

/// A `heat_template_version` this Heat knows, with its dated and release names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TemplateVersion {
    /// 2013-05-23.
    V20130523,
    /// 2014-10-16.
    V20141016,
    /// 2015-04-30.
    V20150430,
    /// 2015-10-15.
    V20151015,
    /// 2016-04-08 (Sahara's).
    V20160408,
    /// 2016-10-14 / newton.
    V20161014,
    /// 2017-02-24 / ocata.
    V20170224,
    /// 2017-09-01 / pike.
    V20170901,
    /// 2018-03-02 / queens.
    V20180302,
    /// 2018-08-31 / rocky.
    V20180831,
    /// 2021-04-16 / wallaby.
    V20210416,
}

const VERSIONS: &[(&str, TemplateVersion)] = &[
    ("2013-05-23", TemplateVersion::V20130523),
    ("2014-10-16", TemplateVersion::V20141016),
    ("2015-04-30", TemplateVersion::V20150430),
    ("2015-10-15", TemplateVersion::V20151015),
    ("2016-04-08", TemplateVersion::V20160408),
    ("2016-10-14", TemplateVersion::V20161014),
    ("newton", TemplateVersion::V20161014),
    ("2017-02-24", TemplateVersion::V20170224),
    ("ocata", TemplateVersion::V20170224),
    ("2017-09-01", TemplateVersion::V20170901),
    ("pike", TemplateVersion::V20170901),
    ("2018-03-02", TemplateVersion::V20180302),
    ("queens", TemplateVersion::V20180302),
    ("2018-08-31", TemplateVersion::V20180831),
    ("rocky", TemplateVersion::V20180831),
    ("2021-04-16", TemplateVersion::V20210416),
    ("wallaby", TemplateVersion::V20210416),
];

impl TemplateVersion {
    /// The version named `s` (a date or a release name).
    pub fn parse(s: &str) -> Option<TemplateVersion> {
        VERSIONS.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }

    /// Whether the version has the `conditions` section (2016-10-14 and later).
    pub fn has_conditions(self) -> bool {
        self >= TemplateVersion::V20161014
    }
}

/// What Heat does with a resource when its stack is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeletionPolicy {
    /// Delete the physical resource (the default).
    #[default]
    Delete,
    /// Leave it.
    Retain,
    /// Snapshot then delete (treated as `Delete`: the simulator keeps no snapshots).
    Snapshot,
}

/// One resource of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceDefinition {
    /// The logical name.
    pub name: String,
    /// The type (`OS::Nova::Server`, `file://worker.yaml`, ...).
    pub type_name: String,
    /// The properties, unresolved.
    pub properties: Map<String, Value>,
    /// The metadata, unresolved.
    pub metadata: Value,
    /// Explicit dependencies (`depends_on`).
    pub depends_on: Vec<String>,
    /// The deletion policy.
    pub deletion_policy: DeletionPolicy,
    /// The update policy, unresolved.
    pub update_policy: Value,
    /// The description.
    pub description: String,
}

/// One output of a template.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputDefinition {
    /// The output key.
    pub name: String,
    /// The value, unresolved.
    pub value: Value,
    /// The description.
    pub description: String,
}

/// A parsed and validated HOT template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The version.
    pub version: TemplateVersion,
    /// The description (`No description` when absent, as Heat shows it).
    pub description: String,
    /// Parameter schemas, by name (sorted).
    pub parameters: Vec<ParamSchema>,
    /// Resources, by name (sorted).
    pub resources: Vec<ResourceDefinition>,
    /// Outputs, by name (sorted).
    pub outputs: Vec<OutputDefinition>,
    /// The template as given (what GET .../template returns).
    pub raw: Value,
}

/// Parses a template string as Heat does: JSON when it is JSON, YAML otherwise; it must
/// be a mapping with a version key.
pub fn parse_str(text: &str) -> Result<Value> {
    if text.len() > MAX_TEMPLATE_SIZE {
        return Err(HeatError::RequestLimitExceeded(format!(
            "Template size ({} bytes) exceeds maximum allowed size ({MAX_TEMPLATE_SIZE} bytes).",
            text.len()
        )));
    }
    let value = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(_) => match serde_yaml_ng::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => {
                return Err(HeatError::value_error(format!(
                    "Error parsing template [root stack] {e}"
                )));
            }
        },
    };
    let value = if value.is_null() {
        Value::Object(Map::new())
    } else {
        value
    };
    check_mapping(&value)?;
    Ok(value)
}

fn check_mapping(value: &Value) -> Result<()> {
    let Some(map) = value.as_object() else {
        return Err(HeatError::value_error(
            "The template is not a JSON object or YAML mapping.",
        ));
    };
    if ![
        "HeatTemplateFormatVersion",
        "heat_template_version",
        "AWSTemplateFormatVersion",
    ]
    .iter()
    .any(|k| map.contains_key(*k))
    {
        return Err(HeatError::value_error("Template format version not found."));
    }
    Ok(())
}

const RESOURCE_KEYS: &[&str] = &[
    "type",
    "properties",
    "metadata",
    "depends_on",
    "deletion_policy",
    "update_policy",
    "description",
];

fn res_path(name: &str) -> Vec<String> {
    vec!["resources".to_string(), name.to_string()]
}

impl Template {
    /// Builds the typed model of a parsed template (see [`parse_str`]) and checks what
    /// Heat checks when it loads one.
    pub fn from_value(raw: &Value) -> Result<Template> {
        check_mapping(raw)?;
        let map = raw.as_object().expect("checked above");
        if map.contains_key("HeatTemplateFormatVersion") || map.contains_key("AWSTemplateFormatVersion") {
            return Err(HeatError::NotSupported(
                "CloudFormation-compatible (CFN) templates".into(),
            ));
        }
        let version = match map.get("heat_template_version") {
            Some(Value::String(s)) => TemplateVersion::parse(s).ok_or_else(|| {
                let mut all: Vec<&str> = VERSIONS.iter().map(|(n, _)| *n).collect();
                all.sort_unstable();
                HeatError::InvalidTemplateVersion(format!(
                    "\"heat_template_version: {s}\". \"heat_template_version\" should be one of: {}",
                    all.join(", ")
                ))
            })?,
            _ => {
                return Err(HeatError::InvalidTemplateVersion(
                    "Template version was not provided".into(),
                ));
            }
        };
        let mut sections = vec!["heat_template_version", "description", "parameter_groups", "parameters"];
        sections.extend(["resources", "outputs"]);
        if version.has_conditions() {
            sections.push("conditions");
        }
        for key in map.keys() {
            if !sections.contains(&key.as_str()) {
                return Err(HeatError::InvalidTemplateSection(key.clone()));
            }
        }
        if let Some(c) = map.get("conditions")
            && !is_empty(c)
        {
            return Err(HeatError::NotSupported(
                "The conditions section (in this simulator)".into(),
            ));
        }
        let description = match map.get("description") {
            None | Some(Value::Null) => "No description".to_string(),
            Some(Value::String(s)) if s.is_empty() => "No description".to_string(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let parameters = match map.get("parameters") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(p)) => {
                let mut out = Vec::new();
                for (name, schema) in p {
                    out.push(ParamSchema::from_hot(name, schema)?);
                }
                out.sort_by(|a, b| a.name.cmp(&b.name));
                out
            }
            Some(_) => return Err(HeatError::validation(vec![], "The parameters section must be a map")),
        };
        let resources = Self::parse_resources(map.get("resources"), version)?;
        let outputs = Self::parse_outputs(map.get("outputs"), version)?;
        Ok(Template {
            version,
            description,
            parameters,
            resources,
            outputs,
            raw: raw.clone(),
        })
    }

    fn parse_resources(section: Option<&Value>, version: TemplateVersion) -> Result<Vec<ResourceDefinition>> {
        let empty = Map::new();
        let section = match section {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(HeatError::validation(
                    vec![],
                    format!(
                        "\"resources\" must contain a map of resource maps. Found a [{}] instead",
                        py_type(other)
                    ),
                ));
            }
        };
        let mut out = Vec::new();
        for (name, snippet) in section {
            let Some(attrs) = snippet.as_object().filter(|m| !m.is_empty()) else {
                if snippet.is_object() || snippet.is_null() {
                    return Err(HeatError::validation(vec![], "Each resource must contain a type key."));
                }
                return Err(HeatError::validation(
                    vec![],
                    format!(
                        "\"resources\" must contain a map of resource maps. Found a [{}] instead",
                        py_type(snippet)
                    ),
                ));
            };
            for key in attrs.keys() {
                if key == "condition" && version.has_conditions() {
                    return Err(HeatError::NotSupported(
                        "Resource conditions (in this simulator)".into(),
                    ));
                }
                if key == "external_id" && version.has_conditions() {
                    return Err(HeatError::NotSupported(
                        "Resource external_id (in this simulator)".into(),
                    ));
                }
                if !RESOURCE_KEYS.contains(&key.as_str()) {
                    return Err(HeatError::validation(
                        vec![],
                        format!("\"{key}\" is not a valid keyword inside a resource definition"),
                    ));
                }
            }
            let type_name = match attrs.get("type") {
                Some(Value::String(t)) => t.clone(),
                None => return Err(HeatError::validation(vec![], "Each resource must contain a type key.")),
                Some(other) => {
                    return Err(HeatError::validation(
                        res_path(name),
                        format!("Resource {name} type type must be string, not {}", py_type(other)),
                    ));
                }
            };
            let properties = match attrs.get("properties") {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(p)) => p.clone(),
                Some(other) => {
                    return Err(HeatError::validation(
                        res_path(name),
                        format!("\"properties\" must be a map, not {}", py_type(other)),
                    ));
                }
            };
            let depends_on = match attrs.get("depends_on") {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::String(s)) => vec![s.clone()],
                Some(Value::Array(items)) => {
                    let mut deps = Vec::new();
                    for item in items {
                        match item {
                            Value::String(s) => deps.push(s.clone()),
                            other => {
                                return Err(HeatError::validation(
                                    res_path(name),
                                    format!("Resource {name} depends_on must be a list of strings, not {other}"),
                                ));
                            }
                        }
                    }
                    deps
                }
                Some(other) => {
                    return Err(HeatError::validation(
                        res_path(name),
                        format!(
                            "Resource {name} depends_on must be a list or a string, not {}",
                            py_type(other)
                        ),
                    ));
                }
            };
            let deletion_policy = match attrs.get("deletion_policy") {
                None | Some(Value::Null) => DeletionPolicy::Delete,
                Some(Value::String(s)) => match s.as_str() {
                    "Delete" | "delete" => DeletionPolicy::Delete,
                    "Retain" | "retain" => DeletionPolicy::Retain,
                    "Snapshot" | "snapshot" => DeletionPolicy::Snapshot,
                    other => {
                        return Err(HeatError::validation(
                            res_path(name),
                            format!("Invalid deletion policy \"{other}\""),
                        ));
                    }
                },
                Some(other) => {
                    return Err(HeatError::validation(
                        res_path(name),
                        format!("Invalid deletion policy \"{other}\""),
                    ));
                }
            };
            let description = match attrs.get("description") {
                Some(Value::String(s)) => s.clone(),
                _ => String::new(),
            };
            out.push(ResourceDefinition {
                name: name.clone(),
                type_name,
                properties,
                metadata: attrs.get("metadata").cloned().unwrap_or(Value::Null),
                depends_on,
                deletion_policy,
                update_policy: attrs.get("update_policy").cloned().unwrap_or(Value::Null),
                description,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn parse_outputs(section: Option<&Value>, version: TemplateVersion) -> Result<Vec<OutputDefinition>> {
        let empty = Map::new();
        let section = match section {
            None | Some(Value::Null) => &empty,
            Some(Value::Object(m)) => m,
            Some(other) => {
                return Err(HeatError::validation(
                    vec![],
                    format!(
                        "\"outputs\" must contain a map of output maps. Found a [{}] instead",
                        py_type(other)
                    ),
                ));
            }
        };
        let mut out = Vec::new();
        for (name, snippet) in section {
            let Some(attrs) = snippet.as_object().filter(|m| !m.is_empty()) else {
                return Err(HeatError::validation(vec![], "Each output must contain a value key."));
            };
            for key in attrs.keys() {
                if key == "condition" && version.has_conditions() {
                    return Err(HeatError::NotSupported("Output conditions (in this simulator)".into()));
                }
                if key != "value" && key != "description" {
                    return Err(HeatError::validation(
                        vec![],
                        format!("\"{key}\" is not a valid keyword inside a output definition"),
                    ));
                }
            }
            let Some(value) = attrs.get("value") else {
                return Err(HeatError::validation(vec![], "Each output must contain a value key."));
            };
            let description = match attrs.get("description") {
                Some(Value::String(s)) => s.clone(),
                _ => "No description given".to_string(),
            };
            out.push(OutputDefinition {
                name: name.clone(),
                value: value.clone(),
                description,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The resource called `name`.
    pub fn resource(&self, name: &str) -> Option<&ResourceDefinition> {
        self.resources.iter().find(|r| r.name == name)
    }

    /// The parameter schema called `name`.
    pub fn parameter(&self, name: &str) -> Option<&ParamSchema> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// The output called `name`.
    pub fn output(&self, name: &str) -> Option<&OutputDefinition> {
        self.outputs.iter().find(|o| o.name == name)
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The Python type name Heat's messages show for a JSON value.
pub fn py_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_and_json_parse_to_the_same_model() {
        let yaml = "heat_template_version: 2016-04-08\nresources:\n  a:\n    type: OS::Nova::KeyPair\n    properties: {name: k}\n";
        let json = r#"{"heat_template_version": "2016-04-08", "resources": {"a": {"type": "OS::Nova::KeyPair", "properties": {"name": "k"}}}}"#;
        let a = Template::from_value(&parse_str(yaml).unwrap()).unwrap();
        let b = Template::from_value(&parse_str(json).unwrap()).unwrap();
        assert_eq!(a.resources, b.resources);
        assert_eq!(a.version, TemplateVersion::V20160408);
        assert_eq!(a.description, "No description");
    }

    #[test]
    fn bad_templates_fail_with_heats_messages() {
        let err = |t: &str| {
            parse_str(t)
                .and_then(|v| Template::from_value(&v))
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        fn check(r: Result<()>) -> String {
            r.unwrap_err().to_string()
        }
        assert_eq!(
            check(parse_str("resources: {}").map(|_| ())),
            "Template format version not found."
        );
        assert_eq!(
            check(parse_str("[1, 2]").map(|_| ())),
            "The template is not a JSON object or YAML mapping."
        );
        assert!(
            err("heat_template_version: 2099-01-01\n").starts_with(
                "The template version is invalid: \"heat_template_version: 2099-01-01\". \"heat_template_version\" should be one of: 2013-05-23"
            )
        );
        assert_eq!(
            err("heat_template_version: 2016-04-08\nfoo: {}\n"),
            "The template section is invalid: foo"
        );
        assert_eq!(
            err("heat_template_version: 2016-04-08\nresources:\n  a:\n    properties: {}\n"),
            "Each resource must contain a type key."
        );
        assert_eq!(
            err("heat_template_version: 2016-04-08\nresources:\n  a:\n    type: X\n    bogus: 1\n"),
            "\"bogus\" is not a valid keyword inside a resource definition"
        );
        assert_eq!(
            err("heat_template_version: 2016-04-08\noutputs:\n  o:\n    description: d\n"),
            "Each output must contain a value key."
        );
        assert!(err("heat_template_version: 2016-10-14\nconditions:\n  c: true\n").contains("is not supported"));
        // The conditions section does not exist before 2016-10-14.
        assert_eq!(
            err("heat_template_version: 2016-04-08\nconditions:\n  c: true\n"),
            "The template section is invalid: conditions"
        );
    }
}
