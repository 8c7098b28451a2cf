//! `OS::Heat::ResourceGroup` and template resources (`file://<name>.yaml` from the
//! request's `files`): both are nested stacks driven by their parent resource. A group's
//! members are named `0`, `1`, ... skipping the names its `removal_policies` removed
//! (Heat's skip list, appended on each update), `%index%` (or `index_var`) replaced by
//! the member's name in its definition.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::super::actions::{self, ResCtx};
use super::super::error::ResourceFailure;
use super::super::state::StackState;
use super::super::template::Template;
use super::super::validate::nested_template;

/// Orders member names as Heat's groups do: numeric names by number, then the rest.
pub(crate) fn member_order(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.parse::<u64>(), b.parse::<u64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// The members of a group's nested stack, in Heat's order.
pub(crate) fn group_members(nested: &StackState) -> Vec<String> {
    let mut names: Vec<String> = nested.template.resources.iter().map(|r| r.name.clone()).collect();
    names.sort_by(|a, b| member_order(a, b));
    names
}

/// A template resource's properties as its nested stack's parameters.
pub(crate) fn template_params(props: &Map<String, Value>) -> Map<String, Value> {
    props.clone()
}

fn skiplist(rc: &ResCtx) -> BTreeSet<String> {
    rc.data("name_blacklist")
        .and_then(|v| v.as_array().cloned())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn replace_index(v: &Value, var: &str, name: &str) -> Value {
    match v {
        Value::String(s) => Value::String(s.replace(var, name)),
        Value::Array(a) => Value::Array(a.iter().map(|x| replace_index(x, var, name)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), replace_index(x, var, name)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The current members' names and reference ids (for `removal_policies` given by id).
fn current_members(rc: &ResCtx) -> Vec<(String, Option<String>)> {
    let nested = rc.with_resource(|r| r.nested.clone()).flatten();
    let Some(nested) = nested else { return vec![] };
    rc.inner
        .with_stack(&nested, |s| {
            s.resources
                .values()
                .map(|r| (r.name.clone(), r.physical_id.clone().or(r.nested.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// Updates the skip list from `removal_policies` (Heat's `_update_name_skiplist`).
fn update_skiplist(rc: &ResCtx, props: &Map<String, Value>, creating: bool) -> BTreeSet<String> {
    let current = skiplist(rc);
    let mode = props
        .get("removal_policies_mode")
        .and_then(Value::as_str)
        .unwrap_or("append");
    let members = current_members(rc);
    let mut out = if mode == "update" {
        BTreeSet::new()
    } else {
        current.clone()
    };
    for policy in props
        .get("removal_policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        for n in policy
            .get("resource_list")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = match n {
                Value::String(s) => s.clone(),
                other => super::super::parameters::text_of(other),
            };
            if creating || current.contains(&name) || members.iter().any(|(m, _)| m == &name) {
                out.insert(name);
            } else if let Some((m, _)) = members.iter().find(|(_, id)| id.as_deref() == Some(name.as_str())) {
                out.insert(m.clone());
            }
        }
    }
    let list: Vec<Value> = out.iter().cloned().map(Value::String).collect();
    rc.set_data("name_blacklist", Value::Array(list));
    out
}

fn member_names(count: u64, skip: &BTreeSet<String>) -> Vec<String> {
    (0u64..)
        .map(|i| i.to_string())
        .filter(|n| !skip.contains(n))
        .take(count as usize)
        .collect()
}

fn group_template(rc: &ResCtx, props: &Map<String, Value>, names: &[String]) -> Result<Template, ResourceFailure> {
    let var = props.get("index_var").and_then(Value::as_str).unwrap_or("%index%");
    let def = props
        .get("resource_def")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut resources = Map::new();
    for name in names {
        let mut member = Map::new();
        member.insert("type".into(), def.get("type").cloned().unwrap_or(Value::Null));
        if let Some(Value::Object(p)) = def.get("properties") {
            let clean: Map<String, Value> = p
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), replace_index(v, var, name)))
                .collect();
            member.insert("properties".into(), Value::Object(clean));
        }
        if let Some(meta) = def.get("metadata").filter(|m| !m.is_null()) {
            member.insert("metadata".into(), meta.clone());
        }
        resources.insert(name.clone(), Value::Object(member));
    }
    let raw = json!({"heat_template_version": "2015-04-30", "resources": resources});
    Template::from_value(&raw).map_err(|e| rc.fail(e.type_name(), e.to_string()))
}

fn files(rc: &ResCtx) -> BTreeMap<String, String> {
    rc.with_stack(|s| s.files.clone()).unwrap_or_default()
}

fn count(props: &Map<String, Value>) -> u64 {
    props.get("count").and_then(Value::as_u64).unwrap_or(1)
}

/// Creates a group: its nested stack of members.
pub(crate) async fn create_group(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    if props.get("count").and_then(Value::as_i64).is_some_and(|c| c < 0) {
        return Err(rc.fail(
            "StackValidationFailed",
            format!(
                "Property error: {}.properties.count: The value must be at least 0.",
                rc.name
            ),
        ));
    }
    let skip = update_skiplist(rc, props, true);
    let names = member_names(count(props), &skip);
    let template = group_template(rc, props, &names)?;
    actions::create_nested(rc, template, Map::new(), files(rc))
        .await
        .map(|_| ())
}

/// Updates a group: new members created, removed ones deleted, changed ones updated.
pub(crate) async fn update_group(rc: &ResCtx, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let skip = update_skiplist(rc, props, false);
    let names = member_names(count(props), &skip);
    let template = group_template(rc, props, &names)?;
    actions::update_nested(rc, template, Map::new(), files(rc)).await
}

/// Creates a template resource: a nested stack of the template in `files`.
pub(crate) async fn create_template(rc: &ResCtx, key: &str, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let files = files(rc);
    let template = nested_template(&files, key).map_err(|e| rc.fail(e.type_name(), e.to_string()))?;
    if let Some(text) = files.get(key) {
        rc.set_data("template", Value::String(text.clone()));
    }
    actions::create_nested(rc, template, template_params(props), files)
        .await
        .map(|_| ())
}

/// Updates a template resource's nested stack (new parameters, or a new template).
pub(crate) async fn update_template(rc: &ResCtx, key: &str, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    let files = files(rc);
    let template = nested_template(&files, key).map_err(|e| rc.fail(e.type_name(), e.to_string()))?;
    if let Some(text) = files.get(key) {
        rc.set_data("template", Value::String(text.clone()));
    }
    actions::update_nested(rc, template, template_params(props), files).await
}

/// Deletes the nested stack of a group or template resource.
pub(crate) async fn delete_nested(rc: &ResCtx, nested: Option<&str>) -> Result<(), ResourceFailure> {
    match nested {
        Some(id) => actions::delete_nested_stack(rc, id).await,
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_skip_removed_ones() {
        let skip: BTreeSet<String> = ["0".to_string()].into();
        assert_eq!(member_names(2, &skip), vec!["1", "2"]);
        assert_eq!(member_names(3, &BTreeSet::new()), vec!["0", "1", "2"]);
        let mut v = vec!["10".to_string(), "2".to_string(), "x".to_string()];
        v.sort_by(|a, b| member_order(a, b));
        assert_eq!(v, vec!["2", "10", "x"]);
        assert_eq!(
            replace_index(&json!({"a": ["n-%index%"]}), "%index%", "3"),
            json!({"a": ["n-3"]})
        );
    }
}
