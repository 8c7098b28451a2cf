//! Stack validation before anything is created (what makes Heat answer 400 or 404 to a
//! create or update): resource types, properties, nested templates (to Heat's depth
//! limit), references of `get_resource` / `get_attr` / `get_param` / `depends_on`,
//! attribute names, and dependency cycles.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::error::{HeatError, Result};
use super::functions;
use super::graph::Graph;
use super::resources::{self, Kind};
use super::template::{self, Template};

/// Pseudo parameters every stack has.
pub const PSEUDO_PARAMS: &[&str] = &["OS::stack_id", "OS::stack_name", "OS::project_id"];

/// A nested template from `files`, parsed.
pub fn nested_template(files: &BTreeMap<String, String>, key: &str) -> Result<Template> {
    let text = files.get(key).ok_or_else(|| {
        HeatError::validation(
            vec![],
            format!("Could not fetch remote template \"{key}\": Invalid URL scheme"),
        )
    })?;
    Template::from_value(&template::parse_str(text)?)
}

/// Validates a template resource's properties against its template's parameters, then
/// the template itself (one level deeper).
fn validate_template_resource(
    name: &str,
    key: &str,
    props: &Map<String, Value>,
    files: &BTreeMap<String, String>,
    depth: u32,
    max_depth: u32,
) -> Result<()> {
    let wrap = |e: HeatError| e.at(vec!["resources".to_string(), format!("{name}<{key}>")], None);
    if depth + 1 > max_depth {
        return Err(HeatError::validation(
            vec![],
            format!("Recursion depth exceeds {max_depth}."),
        ));
    }
    let nested = nested_template(files, key).map_err(wrap)?;
    let prop_err = |msg: String| HeatError::StackValidationFailed {
        error: "Property error".into(),
        path: vec!["resources".into(), name.to_string(), "properties".into()],
        message: msg,
    };
    for k in props.keys() {
        if nested.parameter(k).is_none() {
            return Err(prop_err(format!("Unknown Property {k}")));
        }
    }
    for p in &nested.parameters {
        if p.default.is_none() && props.get(&p.name).is_none_or(Value::is_null) {
            return Err(prop_err(format!("Property {} not assigned", p.name)));
        }
    }
    let names: BTreeSet<String> = nested.parameters.iter().map(|p| p.name.clone()).collect();
    validate(&nested, files, &names, depth + 1, max_depth).map_err(wrap)?;
    Ok(())
}

fn validate_group(
    name: &str,
    props: &Map<String, Value>,
    files: &BTreeMap<String, String>,
    depth: u32,
    max_depth: u32,
) -> Result<()> {
    let Some(Value::Object(def)) = props.get("resource_def") else {
        return Ok(());
    };
    let path = || {
        vec![
            "resources".to_string(),
            name.to_string(),
            "properties".to_string(),
            "resource_def".to_string(),
        ]
    };
    for k in def.keys() {
        if !["type", "properties", "metadata"].contains(&k.as_str()) {
            return Err(HeatError::StackValidationFailed {
                error: "Property error".into(),
                path: path(),
                message: format!("Unknown Property {k}"),
            });
        }
    }
    let Some(Value::String(type_name)) = def.get("type") else {
        if def.get("type").is_none() {
            return Err(HeatError::StackValidationFailed {
                error: "Property error".into(),
                path: path(),
                message: "Property type not assigned".into(),
            });
        }
        return Ok(());
    };
    let kind = Kind::from_type(type_name, files)?;
    let member_props = def
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    match &kind {
        Kind::Template(key) => validate_template_resource("0", key, &member_props, files, depth + 1, max_depth)
            .map_err(|e| e.at(vec!["resources".to_string(), name.to_string()], None)),
        other => resources::validate_static(other, "0", &member_props)
            .map_err(|e| e.at(vec!["resources".to_string(), name.to_string()], None)),
    }
}

fn check_get_params(snippet: &Value, params: &BTreeSet<String>) -> Result<()> {
    match snippet {
        Value::Object(m) if m.len() == 1 && m.contains_key("get_param") => {
            let arg = &m["get_param"];
            let first = match arg {
                Value::String(s) => Some(s.as_str()),
                Value::Array(a) => a.first().and_then(Value::as_str),
                _ => None,
            };
            if let Some(p) = first
                && !params.contains(p)
                && !PSEUDO_PARAMS.contains(&p)
            {
                return Err(HeatError::UserParameterMissing(p.to_string()));
            }
            check_get_params(arg, params)
        }
        Value::Object(m) => m.values().try_for_each(|v| check_get_params(v, params)),
        Value::Array(a) => a.iter().try_for_each(|v| check_get_params(v, params)),
        _ => Ok(()),
    }
}

/// Validates `template` (a stack's, at nesting `depth`) whose parameters are `params`,
/// and returns its dependency graph.
pub fn validate(
    template: &Template,
    files: &BTreeMap<String, String>,
    params: &BTreeSet<String>,
    depth: u32,
    max_depth: u32,
) -> Result<Graph> {
    let res_names: BTreeSet<&str> = template.resources.iter().map(|r| r.name.as_str()).collect();
    let dup: Vec<&String> = template
        .parameters
        .iter()
        .map(|p| &p.name)
        .filter(|n| res_names.contains(n.as_str()))
        .collect();
    if !dup.is_empty() {
        let set = dup.iter().map(|d| format!("'{d}'")).collect::<Vec<_>>().join(", ");
        return Err(HeatError::validation(vec![], format!("Duplicate names {{{set}}}")));
    }
    let mut kinds: BTreeMap<&str, Kind> = BTreeMap::new();
    for r in &template.resources {
        let kind = Kind::from_type(&r.type_name, files)?;
        resources::validate_static(&kind, &r.name, &r.properties)?;
        match &kind {
            Kind::Template(key) => validate_template_resource(&r.name, key, &r.properties, files, depth, max_depth)?,
            Kind::ResourceGroup => validate_group(&r.name, &r.properties, files, depth, max_depth)?,
            _ => {}
        }
        kinds.insert(&r.name, kind);
    }
    let version = template.version;
    let no_params = |_: &str| None;
    let check_ref = |r: &functions::Reference| -> Result<()> {
        let Some(kind) = kinds.get(r.resource.as_str()) else {
            return Err(HeatError::InvalidTemplateReference {
                resource: r.resource.clone(),
                key: r.key.clone(),
            });
        };
        if let Some(Some(attr)) = &r.attribute {
            let ok = match kind {
                Kind::ResourceGroup => true,
                Kind::Template(key) => {
                    attr == "OS::stack_id"
                        || nested_template(files, key)
                            .map(|t| t.output(attr).is_some())
                            .unwrap_or(true)
                }
                other => other.attributes().is_none_or(|a| a.contains(&attr.as_str())),
            };
            if !ok {
                return Err(HeatError::InvalidTemplateAttribute {
                    resource: r.resource.clone(),
                    key: attr.clone(),
                });
            }
        }
        Ok(())
    };
    let mut requires: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &template.resources {
        let mut deps = BTreeSet::new();
        for d in &r.depends_on {
            if !kinds.contains_key(d.as_str()) {
                return Err(HeatError::InvalidTemplateReference {
                    resource: d.clone(),
                    key: r.name.clone(),
                });
            }
            deps.insert(d.clone());
        }
        let props = Value::Object(r.properties.clone());
        for (snippet, section) in [(&props, "properties"), (&r.metadata, "metadata")] {
            check_get_params(snippet, params)?;
            let refs = functions::references(snippet, version, &format!("{}.{section}", r.name), &no_params)?;
            for reference in refs {
                check_ref(&reference)?;
                deps.insert(reference.resource);
            }
        }
        requires.insert(r.name.clone(), deps);
    }
    for o in &template.outputs {
        let refs = functions::references(&o.value, version, &format!("outputs.{}.value", o.name), &no_params)?;
        for reference in &refs {
            check_ref(reference)?;
        }
    }
    Graph::new(requires)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(t: &str, files: &[(&str, &str)]) -> Result<Graph> {
        let template = Template::from_value(&template::parse_str(t)?)?;
        let files = files.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let params = template.parameters.iter().map(|p| p.name.clone()).collect();
        validate(&template, &files, &params, 0, 5)
    }

    #[test]
    fn references_types_and_cycles_are_checked() {
        let base = "heat_template_version: 2016-04-08\nresources:\n";
        let e = check(
            &format!("{base}  a:\n    type: OS::Heat::None\n    depends_on: b\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "The specified reference \"b\" (in a) is incorrect.");
        let e = check(
            &format!("{base}  s:\n    type: OS::Nova::Server\n    properties:\n      image: i\n      flavor: f\n      networks: [{{port: {{get_resource: p}}}}]\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "The specified reference \"p\" (in s.properties.networks[0].port) is incorrect."
        );
        let e = check(
            &format!("{base}  a:\n    type: OS::Heat::None\noutputs:\n  o:\n    value: {{get_attr: [a, nope]}}\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "The Referenced Attribute (a nope) is incorrect.");
        let e = check(&format!("{base}  a:\n    type: OS::Foo\n"), &[]).unwrap_err();
        assert_eq!(e.to_string(), "The Resource Type (OS::Foo) could not be found.");
        assert_eq!(e.status(), 404);
        let e = check(
            &format!("{base}  a:\n    type: OS::Heat::None\n    depends_on: b\n  b:\n    type: OS::Heat::None\n    depends_on: a\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.type_name(), "CircularDependencyException");
        let e = check(
            &format!("{base}  a:\n    type: OS::Heat::None\n    metadata: {{x: {{get_param: nope}}}}\n"),
            &[],
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "The Parameter (nope) was not provided.");
    }

    #[test]
    fn nested_templates_are_checked() {
        let nested =
            "heat_template_version: 2016-04-08\nparameters:\n  idx: {type: string}\noutputs:\n  out: {value: x}\n";
        let t = "heat_template_version: 2016-04-08\nresources:\n  g:\n    type: OS::Heat::ResourceGroup\n    properties:\n      count: 2\n      resource_def: {type: 'file://n.yaml', properties: {idx: '%index%'}}\noutputs:\n  o: {value: {get_attr: [g, out]}}\n";
        check(t, &[("file://n.yaml", nested)]).unwrap();
        let t2 = "heat_template_version: 2016-04-08\nresources:\n  n:\n    type: file://n.yaml\n    properties: {idx: '1', bogus: 2}\n";
        let e = check(t2, &[("file://n.yaml", nested)]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Property error: resources.n.properties: Unknown Property bogus"
        );
        let t3 = "heat_template_version: 2016-04-08\nresources:\n  n:\n    type: file://n.yaml\noutputs:\n  o: {value: {get_attr: [n, nope]}}\n";
        assert_eq!(
            check(t3, &[("file://n.yaml", nested)]).unwrap_err().to_string(),
            "Property error: resources.n.properties: Property idx not assigned"
        );
        let looped = "heat_template_version: 2016-04-08\nresources:\n  n:\n    type: file://l.yaml\n";
        let e = check(looped, &[("file://l.yaml", looped)]).unwrap_err();
        assert!(e.to_string().contains("Recursion depth exceeds 5."), "{e}");
    }
}
