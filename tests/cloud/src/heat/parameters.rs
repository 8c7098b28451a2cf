//! Template parameters: HOT parameter schemas (types, defaults, constraints as Heat
//! validates them), the typed values a stack gets from the user's parameters and the
//! defaults, and their text form in the stack's `parameters` (Heat's `map(str)`).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::error::{HeatError, Result};
use super::functions::py_json;

/// A HOT parameter type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamType {
    /// `string`.
    String,
    /// `number`.
    Number,
    /// `json`.
    Json,
    /// `comma_delimited_list`.
    CommaDelimitedList,
    /// `boolean`.
    Boolean,
}

impl ParamType {
    fn parse(s: &str) -> Option<ParamType> {
        Some(match s {
            "string" => ParamType::String,
            "number" => ParamType::Number,
            "json" => ParamType::Json,
            "comma_delimited_list" => ParamType::CommaDelimitedList,
            "boolean" => ParamType::Boolean,
            _ => return None,
        })
    }
}

/// A parameter constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Constraint {
    /// `length: {min, max}`.
    Length {
        /// Minimum length.
        min: Option<f64>,
        /// Maximum length.
        max: Option<f64>,
    },
    /// `range: {min, max}`.
    Range {
        /// Minimum.
        min: Option<f64>,
        /// Maximum.
        max: Option<f64>,
    },
    /// `allowed_values: [...]`.
    AllowedValues(Vec<Value>),
    /// `allowed_pattern: regex` (matched at the start and to the end, as Python's
    /// `re.match(...).end() == len(value)`).
    AllowedPattern(String),
    /// `modulo: {step, offset}`.
    Modulo {
        /// The step.
        step: f64,
        /// The offset.
        offset: f64,
    },
    /// `custom_constraint: name` (not checked: the simulator has no constraint plugins).
    Custom(String),
}

/// One constraint with its optional description (which replaces the message).
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintSpec {
    /// The constraint.
    pub constraint: Constraint,
    /// Its description.
    pub description: Option<String>,
}

/// A HOT parameter schema.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamSchema {
    /// The parameter name.
    pub name: String,
    /// Its type.
    pub param_type: ParamType,
    /// Its default.
    pub default: Option<Value>,
    /// Whether its value is hidden (`******` in outputs).
    pub hidden: bool,
    /// Whether it may not change on update.
    pub immutable: bool,
    /// Its description.
    pub description: String,
    /// Its label.
    pub label: Option<String>,
    /// Its constraints.
    pub constraints: Vec<ConstraintSpec>,
}

const SCHEMA_KEYS: &[&str] = &[
    "type",
    "label",
    "description",
    "default",
    "hidden",
    "constraints",
    "immutable",
    "tags",
];

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn schema_err(name: &str, msg: impl std::fmt::Display) -> HeatError {
    HeatError::InvalidSchema(format!("Parameter '{name}' is invalid: {msg}"))
}

impl ParamSchema {
    /// Reads a HOT parameter definition.
    pub fn from_hot(name: &str, schema: &Value) -> Result<ParamSchema> {
        let Some(map) = schema.as_object() else {
            return Err(HeatError::InvalidSchema("Invalid parameter, expected a mapping".into()));
        };
        for key in map.keys() {
            if !SCHEMA_KEYS.contains(&key.as_str()) {
                return Err(HeatError::InvalidSchema(format!(
                    "Invalid key '{key}' for parameter ({name})"
                )));
            }
        }
        let param_type = match map.get("type") {
            None => {
                return Err(HeatError::InvalidSchema(format!(
                    "Missing parameter type for parameter: {name}"
                )));
            }
            Some(Value::String(t)) => {
                ParamType::parse(t).ok_or_else(|| HeatError::InvalidSchema(format!("Invalid type ({t})")))?
            }
            Some(other) => return Err(HeatError::InvalidSchema(format!("Invalid type ({other})"))),
        };
        let mut constraints = Vec::new();
        match map.get("constraints") {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    constraints.push(Self::constraint(name, item)?);
                }
            }
            Some(_) => {
                return Err(HeatError::InvalidSchema(format!(
                    "Invalid parameter constraints for parameter {name}, expected a list"
                )));
            }
        }
        let schema = ParamSchema {
            name: name.to_string(),
            param_type,
            default: map.get("default").filter(|v| !v.is_null()).cloned(),
            hidden: map.get("hidden").is_some_and(truthy),
            immutable: map.get("immutable").is_some_and(truthy),
            description: map
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            label: map.get("label").and_then(Value::as_str).map(str::to_string),
            constraints,
        };
        if let Some(d) = &schema.default {
            schema.coerce(d).map_err(|e| match e {
                HeatError::StackValidationFailed { message, .. } => {
                    HeatError::InvalidSchema(format!("Invalid default {} ({message})", text_of(d)))
                }
                other => other,
            })?;
        }
        Ok(schema)
    }

    fn constraint(name: &str, item: &Value) -> Result<ConstraintSpec> {
        let Some(map) = item.as_object() else {
            return Err(HeatError::InvalidSchema(format!(
                "Invalid parameter constraints for parameter {name}, expected a list"
            )));
        };
        let description = map.get("description").and_then(Value::as_str).map(str::to_string);
        let mut found = None;
        for (key, value) in map {
            let c = match key.as_str() {
                "description" => continue,
                "length" | "range" => {
                    let (min, max) = match value.as_object() {
                        Some(m) => (m.get("min").and_then(num), m.get("max").and_then(num)),
                        None => (None, None),
                    };
                    if min.is_none() && max.is_none() {
                        return Err(schema_err(
                            name,
                            format!("A {key} constraint must have a min value and/or a max value specified."),
                        ));
                    }
                    if key == "length" {
                        Constraint::Length { min, max }
                    } else {
                        Constraint::Range { min, max }
                    }
                }
                "allowed_values" => match value {
                    Value::Array(a) => Constraint::AllowedValues(a.clone()),
                    _ => return Err(schema_err(name, "AllowedValues must be a list")),
                },
                "allowed_pattern" => match value {
                    Value::String(p) => {
                        regex_lite::Regex::new(&format!("^(?:{p})$"))
                            .map_err(|e| schema_err(name, format!("Invalid pattern {p}: {e}")))?;
                        Constraint::AllowedPattern(p.clone())
                    }
                    _ => return Err(schema_err(name, "AllowedPattern must be a string")),
                },
                "modulo" => {
                    let m = value.as_object();
                    let step = m.and_then(|m| m.get("step")).and_then(num);
                    let offset = m.and_then(|m| m.get("offset")).and_then(num);
                    match (step, offset) {
                        (Some(step), Some(offset)) if step != 0.0 => Constraint::Modulo { step, offset },
                        _ => {
                            return Err(schema_err(
                                name,
                                "A modulo constraint must have a step value and an offset value specified.",
                            ));
                        }
                    }
                }
                "custom_constraint" => Constraint::Custom(value.as_str().unwrap_or_default().to_string()),
                other => {
                    return Err(HeatError::InvalidSchema(format!(
                        "Invalid key '{other}' for parameter constraints"
                    )));
                }
            };
            found = Some(c);
        }
        let constraint = found.ok_or_else(|| HeatError::InvalidSchema("No constraint expressed".into()))?;
        Ok(ConstraintSpec {
            constraint,
            description,
        })
    }

    /// Converts a user value or the default to this parameter's typed value and checks
    /// the constraints (`StackValidationFailed` with Heat's message on failure).
    pub fn coerce(&self, value: &Value) -> Result<Value> {
        let fail = |msg: String| HeatError::validation(vec![], msg);
        let typed = match self.param_type {
            ParamType::String => match value {
                Value::String(s) => Value::String(s.clone()),
                other => Value::String(text_of(other)),
            },
            ParamType::Number => match value {
                Value::Number(_) => value.clone(),
                Value::String(s) => {
                    parse_number(s).ok_or_else(|| fail(format!("could not convert string to float: '{s}'")))?
                }
                other => {
                    return Err(fail(format!(
                        "float() argument must be a string or a real number, not '{}'",
                        super::template::py_type(other)
                    )));
                }
            },
            ParamType::Boolean => match value {
                Value::Bool(b) => Value::Bool(*b),
                other => {
                    let s = text_of(other).to_lowercase();
                    match s.as_str() {
                        "1" | "t" | "true" | "on" | "y" | "yes" => Value::Bool(true),
                        "0" | "f" | "false" | "off" | "n" | "no" => Value::Bool(false),
                        _ => {
                            return Err(fail(format!(
                                "Unrecognized value '{}', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'",
                                text_of(other)
                            )));
                        }
                    }
                }
            },
            ParamType::CommaDelimitedList => match value {
                Value::Array(items) => Value::Array(items.iter().map(|v| Value::String(text_of(v))).collect()),
                Value::String(s) if s.is_empty() => Value::Array(vec![]),
                Value::String(s) => Value::Array(s.split(',').map(|x| Value::String(x.trim().to_string())).collect()),
                other => {
                    return Err(fail(format!(
                        "Value must be a comma-delimited list string: {}",
                        text_of(other)
                    )));
                }
            },
            ParamType::Json => match value {
                Value::String(s) if s.is_empty() => Value::Object(Map::new()),
                Value::String(s) => {
                    serde_json::from_str(s).map_err(|e| fail(format!("Value must be valid JSON: {e}")))?
                }
                other => other.clone(),
            },
        };
        for spec in &self.constraints {
            if let Some(msg) = check(&spec.constraint, &typed) {
                return Err(fail(spec.description.clone().unwrap_or(msg)));
            }
        }
        Ok(typed)
    }

    /// The text Heat shows for a value of this parameter in a stack's `parameters`.
    pub fn text(&self, value: &Value) -> String {
        if self.hidden {
            return "******".to_string();
        }
        match (self.param_type, value) {
            (ParamType::CommaDelimitedList, Value::Array(items)) => {
                items.iter().map(text_of).collect::<Vec<_>>().join(",")
            }
            (ParamType::Json, v) => py_json(v, false),
            (_, v) => text_of(v),
        }
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.to_lowercase().as_str(), "true" | "yes" | "1" | "on" | "t" | "y"),
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => false,
    }
}

fn parse_number(s: &str) -> Option<Value> {
    let t = s.trim();
    if let Ok(i) = t.parse::<i64>() {
        return Some(Value::from(i));
    }
    t.parse::<f64>()
        .ok()
        .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
}

/// Python's `str()` of a JSON value: strings as they are, `True`/`False`, `None`, and
/// JSON for lists and maps.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Null => "None".to_string(),
        Value::Number(n) => n.to_string(),
        other => py_json(other, false),
    }
}

fn fmt_num(f: Option<f64>) -> String {
    match f {
        None => "None".to_string(),
        Some(x) if x.fract() == 0.0 && x.abs() < 1e15 => format!("{}", x as i64),
        Some(x) => x.to_string(),
    }
}

fn check(c: &Constraint, value: &Value) -> Option<String> {
    match c {
        Constraint::Length { min, max } => {
            let len = match value {
                Value::String(s) => s.chars().count(),
                Value::Array(a) => a.len(),
                Value::Object(m) => m.len(),
                _ => return None,
            } as f64;
            let ok = min.is_none_or(|m| len >= m) && max.is_none_or(|m| len <= m);
            (!ok).then(|| {
                format!(
                    "length ({len}) is out of range (min: {}, max: {})",
                    fmt_num(*min),
                    fmt_num(*max)
                )
            })
        }
        Constraint::Range { min, max } => {
            let x = num(value)?;
            let ok = min.is_none_or(|m| x >= m) && max.is_none_or(|m| x <= m);
            (!ok).then(|| {
                format!(
                    "{} is out of range (min: {}, max: {})",
                    text_of(value),
                    fmt_num(*min),
                    fmt_num(*max)
                )
            })
        }
        Constraint::AllowedValues(allowed) => {
            let contains = |v: &Value| {
                allowed
                    .iter()
                    .any(|a| a == v || (num(a).is_some() && num(a) == num(v)) || text_of(a) == text_of(v))
            };
            let ok = match value {
                Value::Array(items) => items.iter().all(contains),
                v => contains(v),
            };
            let list = allowed.iter().map(|a| py_json(a, false)).collect::<Vec<_>>().join(", ");
            (!ok).then(|| format!("{} is not an allowed value [{list}]", py_json(value, false)))
        }
        Constraint::AllowedPattern(p) => {
            let s = value.as_str()?;
            let re = regex_lite::Regex::new(&format!("^(?:{p})$")).ok()?;
            (!re.is_match(s)).then(|| format!("\"{s}\" does not match pattern \"{p}\""))
        }
        Constraint::Modulo { step, offset } => {
            let x = num(value)?;
            let ok = ((x - offset) / step).fract() == 0.0;
            (!ok).then(|| {
                format!(
                    "{} is not a multiple of {} with an offset of {})",
                    text_of(value),
                    fmt_num(Some(*step)),
                    fmt_num(Some(*offset))
                )
            })
        }
        Constraint::Custom(_) => None,
    }
}

/// The parameters of one stack: typed values by name, with the pseudo parameters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parameters {
    /// Typed values, by name (template parameters and `OS::*` pseudo parameters).
    pub values: BTreeMap<String, Value>,
    /// The text of each value as the API shows it.
    pub texts: BTreeMap<String, String>,
}

impl Parameters {
    /// Resolves the user's parameters against the schemas: unknown names fail
    /// (`UnknownUserParameter`) when `reject_unknown`, missing ones without a default fail
    /// (`UserParameterMissing`), and every value is checked against its constraints.
    pub fn resolve(
        schemas: &[ParamSchema],
        user: &Map<String, Value>,
        reject_unknown: bool,
        pseudo: &[(&str, &str)],
    ) -> Result<Parameters> {
        if reject_unknown {
            for key in user.keys() {
                if !schemas.iter().any(|s| &s.name == key) {
                    return Err(HeatError::UnknownUserParameter(key.clone()));
                }
            }
        }
        let mut out = Parameters::default();
        for schema in schemas {
            let given = user.get(&schema.name).filter(|v| !v.is_null());
            let raw = match given.or(schema.default.as_ref()) {
                Some(v) => v,
                None => return Err(HeatError::UserParameterMissing(schema.name.clone())),
            };
            let typed = schema.coerce(raw).map_err(|e| match e {
                HeatError::StackValidationFailed { message, .. } => {
                    HeatError::validation(vec![], format!("Parameter '{}' is invalid: {message}", schema.name))
                }
                other => other,
            })?;
            out.texts.insert(schema.name.clone(), schema.text(&typed));
            out.values.insert(schema.name.clone(), typed);
        }
        for (k, v) in pseudo {
            out.values.insert((*k).to_string(), Value::String((*v).to_string()));
            out.texts.insert((*k).to_string(), (*v).to_string());
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> ParamSchema {
        ParamSchema::from_hot("p", &v).unwrap()
    }

    #[test]
    fn types_coerce_like_heat() {
        assert_eq!(
            schema(json!({"type": "number"})).coerce(&json!("42")).unwrap(),
            json!(42)
        );
        assert_eq!(
            schema(json!({"type": "number"})).coerce(&json!("1.5")).unwrap(),
            json!(1.5)
        );
        assert_eq!(
            schema(json!({"type": "boolean"})).coerce(&json!("yes")).unwrap(),
            json!(true)
        );
        assert_eq!(
            schema(json!({"type": "comma_delimited_list"}))
                .coerce(&json!("a, b,c"))
                .unwrap(),
            json!(["a", "b", "c"])
        );
        assert_eq!(
            schema(json!({"type": "json"})).coerce(&json!("{\"a\": 1}")).unwrap(),
            json!({"a": 1})
        );
        assert_eq!(schema(json!({"type": "string"})).coerce(&json!(7)).unwrap(), json!("7"));
        let cdl = schema(json!({"type": "comma_delimited_list", "default": []}));
        assert_eq!(cdl.text(&json!(["x", "y"])), "x,y");
    }

    #[test]
    fn constraints_and_missing_values_fail_with_heats_messages() {
        let s = schema(json!({"type": "number", "constraints": [{"range": {"min": 1, "max": 3}}]}));
        let err = Parameters::resolve(&[s], &json!({"p": 5}).as_object().unwrap().clone(), true, &[])
            .unwrap_err()
            .to_string();
        assert_eq!(err, "Parameter 'p' is invalid: 5 is out of range (min: 1, max: 3)");
        let s = schema(json!({"type": "string", "constraints": [{"allowed_values": ["a", "b"]}]}));
        assert_eq!(
            s.coerce(&json!("c")).unwrap_err().to_string(),
            "\"c\" is not an allowed value [\"a\", \"b\"]"
        );
        let s =
            schema(json!({"type": "string", "constraints": [{"allowed_pattern": "[a-z]+", "description": "lower"}]}));
        assert_eq!(s.coerce(&json!("abC")).unwrap_err().to_string(), "lower");
        assert!(s.coerce(&json!("abc")).is_ok());
        let s = schema(json!({"type": "string", "constraints": [{"length": {"min": 2}}]}));
        assert_eq!(
            s.coerce(&json!("a")).unwrap_err().to_string(),
            "length (1) is out of range (min: 2, max: None)"
        );
        let missing = Parameters::resolve(&[schema(json!({"type": "string"}))], &Map::new(), true, &[]);
        assert_eq!(missing.unwrap_err().to_string(), "The Parameter (p) was not provided.");
        let unknown = Parameters::resolve(&[], &json!({"q": 1}).as_object().unwrap().clone(), true, &[]);
        assert_eq!(
            unknown.unwrap_err().to_string(),
            "The Parameter (q) was not defined in template."
        );
        assert!(ParamSchema::from_hot("p", &json!({"type": "integer"})).is_err());
        assert!(ParamSchema::from_hot("p", &json!({"type": "number", "default": "x"})).is_err());
    }
}
