//! The [`Scope`] of a stack: what its template's functions read. Parameters, reference
//! ids, the cached attributes of built-in resources, a template resource's attributes
//! (its nested stack's outputs) and a resource group's attributes (`refs`, `refs_map`,
//! `attributes`, `removed_rsrc_list`, `resource.<n>[.attr]`, and any member attribute as
//! a list over the members).

use serde_json::{Map, Value};

use super::error::{HeatError, Result};
use super::functions::{self, Scope, select_path};
use super::resources::{Kind, group_members};
use super::state::{ResourceState, StackState, Store};
use super::template::TemplateVersion;

/// A stack seen by its template's functions.
pub struct StackScope<'a> {
    store: &'a Store,
    stack: &'a StackState,
}

impl<'a> StackScope<'a> {
    /// The scope of `stack`.
    pub fn new(store: &'a Store, stack: &'a StackState) -> StackScope<'a> {
        StackScope { store, stack }
    }

    fn nested(&self, r: &ResourceState) -> Option<StackScope<'a>> {
        let id = r.nested.as_ref()?;
        self.store.stacks.get(id).map(|s| StackScope {
            store: self.store,
            stack: s,
        })
    }

    /// The value of one of this stack's outputs (`null` when it cannot be resolved).
    pub fn output(&self, name: &str) -> Result<Value> {
        match self.stack.template.output(name) {
            Some(o) => functions::resolve(&o.value, self),
            None => Err(HeatError::InvalidTemplateAttribute {
                resource: self.stack.name.clone(),
                key: name.into(),
            }),
        }
    }

    /// Every output, resolved: `(key, description, value, error)`.
    pub fn outputs(&self) -> Vec<(String, String, Value, Option<String>)> {
        self.stack
            .template
            .outputs
            .iter()
            .map(|o| match functions::resolve(&o.value, self) {
                Ok(v) => (o.name.clone(), o.description.clone(), v, None),
                Err(e) => (o.name.clone(), o.description.clone(), Value::Null, Some(e.to_string())),
            })
            .collect()
    }

    fn group_attribute(&self, r: &ResourceState, attr: Option<&str>, path: &[Value]) -> Result<Value> {
        let Some(nested) = self.nested(r) else {
            return Ok(Value::Null);
        };
        let members = group_members(nested.stack);
        let refid = |m: &str| nested.resource_ref(m);
        let member_attr = |m: &str, a: &str, p: &[Value]| nested.attribute(m, Some(a), p);
        let Some(attr) = attr else {
            return Ok(Value::Null);
        };
        match attr {
            "refs" => Ok(select_path(
                Value::Array(members.iter().map(|m| refid(m)).collect()),
                path,
            )),
            "refs_map" => Ok(Value::Object(members.iter().map(|m| (m.clone(), refid(m))).collect())),
            "removed_rsrc_list" => Ok(r.data.get("name_blacklist").cloned().unwrap_or(Value::Array(vec![]))),
            "attributes" => {
                let Some(Value::String(a)) = path.first() else {
                    return Err(HeatError::InvalidTemplateAttribute {
                        resource: r.name.clone(),
                        key: attr.into(),
                    });
                };
                let mut out = Map::new();
                for m in &members {
                    out.insert(m.clone(), member_attr(m, a, &path[1..])?);
                }
                Ok(Value::Object(out))
            }
            a if a.starts_with("resource.") => {
                let mut parts = a.splitn(3, '.');
                parts.next();
                let member = parts.next().unwrap_or_default();
                if !members.iter().any(|m| m == member) {
                    return Err(HeatError::EntityNotFound {
                        entity: "Member",
                        name: format!("{member} of group resource {}", r.name),
                    });
                }
                match parts.next() {
                    None if path.is_empty() => Ok(refid(member)),
                    None => Ok(select_path(refid(member), path)),
                    Some(inner) => member_attr(member, inner, path),
                }
            }
            a => members
                .iter()
                .map(|m| member_attr(m, a, path))
                .collect::<Result<Vec<_>>>()
                .map(Value::Array),
        }
    }
}

impl Scope for StackScope<'_> {
    fn version(&self) -> TemplateVersion {
        self.stack.template.version
    }

    fn param(&self, name: &str) -> Result<Value> {
        self.stack
            .params
            .values
            .get(name)
            .cloned()
            .ok_or_else(|| HeatError::UserParameterMissing(name.into()))
    }

    fn has_resource(&self, name: &str) -> bool {
        self.stack.template.resource(name).is_some() || self.stack.resources.contains_key(name)
    }

    fn resource_ref(&self, name: &str) -> Value {
        let Some(r) = self.stack.resources.get(name) else {
            return Value::String(name.to_string());
        };
        if let Kind::Template(_) = r.kind
            && let Some(n) = self.nested(r)
            && n.stack.template.output("OS::stack_id").is_some()
            && let Ok(v) = n.output("OS::stack_id")
        {
            return v;
        }
        match (&r.physical_id, &r.nested) {
            (Some(id), _) => Value::String(id.clone()),
            (None, Some(n)) => Value::String(n.clone()),
            (None, None) => Value::String(name.to_string()),
        }
    }

    fn attribute(&self, resource: &str, attr: Option<&str>, path: &[Value]) -> Result<Value> {
        let Some(r) = self.stack.resources.get(resource) else {
            return Ok(Value::Null);
        };
        if !r.ready() {
            return Ok(Value::Null);
        }
        match &r.kind {
            Kind::ResourceGroup => self.group_attribute(r, attr, path),
            Kind::Template(_) => {
                let Some(nested) = self.nested(r) else {
                    return Ok(Value::Null);
                };
                match attr {
                    Some("OS::stack_id") => Ok(Value::String(nested.stack.id.clone())),
                    Some(a) => Ok(select_path(nested.output(a)?, path)),
                    None => {
                        let all: Map<String, Value> = nested.outputs().into_iter().map(|(k, _, v, _)| (k, v)).collect();
                        Ok(Value::Object(all))
                    }
                }
            }
            _ => match attr {
                None => Ok(Value::Object(r.attrs.clone())),
                Some(a) => Ok(select_path(r.attrs.get(a).cloned().unwrap_or(Value::Null), path)),
            },
        }
    }

    fn file(&self, key: &str) -> Option<String> {
        self.stack.files.get(key).cloned()
    }
}
