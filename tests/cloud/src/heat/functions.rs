//! HOT intrinsic functions: which ones each template version has, their argument
//! checks (at validation, with Heat's messages), the references they make (implicit
//! dependencies), and their evaluation against a [`Scope`] (a stack's parameters,
//! resources, attributes and files).

use serde_json::{Map, Value};
use sha2::Digest as _;

use super::error::{HeatError, Result};
use super::template::TemplateVersion;

/// What functions read from the stack they are evaluated in.
pub trait Scope {
    /// The template version (selects the functions' semantics).
    fn version(&self) -> TemplateVersion;
    /// A parameter's typed value (`UserParameterMissing` when there is none).
    fn param(&self, name: &str) -> Result<Value>;
    /// Whether the stack has a resource called `name`.
    fn has_resource(&self, name: &str) -> bool;
    /// The reference id of a resource (`get_resource`).
    fn resource_ref(&self, name: &str) -> Value;
    /// A resource's attribute (`attr` `None`: every attribute), `null` when not ready.
    fn attribute(&self, resource: &str, attr: Option<&str>, path: &[Value]) -> Result<Value>;
    /// A file of the request's `files` map.
    fn file(&self, key: &str) -> Option<String>;
}

/// The functions the simulator knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Func {
    GetParam,
    GetResource,
    GetAttr,
    ListJoin,
    StrReplace,
    StrReplaceStrict,
    StrReplaceVStrict,
    GetFile,
    StrSplit,
    MapMerge,
    MapReplace,
    ListConcat,
    ListConcatUnique,
    Contains,
    Digest,
    Repeat,
    Filter,
    /// A function this version removed (CFN functions in HOT).
    Removed,
    /// A function Heat has that the simulator does not implement.
    Unsupported,
}

fn lookup(name: &str, v: TemplateVersion) -> Option<Func> {
    use TemplateVersion as V;
    let at_least = |min: V| v >= min;
    Some(match name {
        "get_param" => Func::GetParam,
        "get_resource" => Func::GetResource,
        "get_attr" => Func::GetAttr,
        "list_join" => Func::ListJoin,
        "str_replace" => Func::StrReplace,
        "get_file" => Func::GetFile,
        "resource_facade" => Func::Unsupported,
        "Fn::Select" if at_least(V::V20151015) => Func::Removed,
        "Fn::Select" => Func::Unsupported,
        "Fn::GetAZs"
        | "Fn::Join"
        | "Fn::Split"
        | "Fn::Replace"
        | "Fn::Base64"
        | "Fn::MemberListToMap"
        | "Fn::ResourceFacade"
        | "Ref" => {
            if at_least(V::V20141016) {
                Func::Removed
            } else {
                Func::Unsupported
            }
        }
        "repeat" if at_least(V::V20150430) => Func::Repeat,
        "digest" if at_least(V::V20150430) => Func::Digest,
        "str_split" if at_least(V::V20151015) => Func::StrSplit,
        "map_merge" if at_least(V::V20160408) => Func::MapMerge,
        "map_replace" if at_least(V::V20161014) => Func::MapReplace,
        "yaql" | "if" if at_least(V::V20161014) => Func::Unsupported,
        "str_replace_strict" if at_least(V::V20170224) => Func::StrReplaceStrict,
        "filter" if at_least(V::V20170224) => Func::Filter,
        "str_replace_vstrict" if at_least(V::V20170901) => Func::StrReplaceVStrict,
        "list_concat" if at_least(V::V20170901) => Func::ListConcat,
        "list_concat_unique" if at_least(V::V20170901) => Func::ListConcatUnique,
        "contains" if at_least(V::V20170901) => Func::Contains,
        "make_url" if at_least(V::V20170901) => Func::Unsupported,
        _ => return None,
    })
}

/// The function a snippet calls, if it is a one-key map naming a function of `version`.
fn as_call(snippet: &Value, version: TemplateVersion) -> Option<(Func, &str, &Value)> {
    let map = snippet.as_object()?;
    if map.len() != 1 {
        return None;
    }
    let (name, args) = map.iter().next()?;
    lookup(name, version).map(|f| (f, name.as_str(), args))
}

/// A reference from a snippet to a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The resource named.
    pub resource: String,
    /// The attribute read (`get_attr`), `None` for `get_resource`.
    pub attribute: Option<Option<String>>,
    /// Where in the template (Heat's error `key`).
    pub key: String,
}

/// Checks the functions in `snippet` the way Heat does when it parses a template
/// (argument shapes, functions the version does not have) and returns the resources it
/// references. Names given through `get_param` are resolved with `params`.
pub fn references(
    snippet: &Value,
    version: TemplateVersion,
    key: &str,
    params: &dyn Fn(&str) -> Option<Value>,
) -> Result<Vec<Reference>> {
    let mut out = Vec::new();
    walk(snippet, version, key, params, &mut out)?;
    Ok(out)
}

fn literal_name(v: &Value, version: TemplateVersion, params: &dyn Fn(&str) -> Option<Value>) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        other => match as_call(other, version) {
            Some((Func::GetParam, _, Value::String(p))) => params(p).and_then(|v| v.as_str().map(str::to_string)),
            _ => None,
        },
    }
}

fn walk(
    snippet: &Value,
    version: TemplateVersion,
    key: &str,
    params: &dyn Fn(&str) -> Option<Value>,
    out: &mut Vec<Reference>,
) -> Result<()> {
    if let Some((f, name, args)) = as_call(snippet, version) {
        check_args(f, name, args, version)?;
        match f {
            Func::GetResource => {
                if let Some(r) = literal_name(args, version, params) {
                    out.push(Reference {
                        resource: r,
                        attribute: None,
                        key: key.to_string(),
                    });
                }
            }
            Func::GetAttr => {
                if let Some(items) = args.as_array()
                    && let Some(r) = items.first().and_then(|v| literal_name(v, version, params))
                {
                    let attr = items.get(1).map(|a| a.as_str().map(str::to_string));
                    let attribute = Some(attr.flatten());
                    out.push(Reference {
                        resource: r,
                        attribute,
                        key: key.to_string(),
                    });
                }
            }
            _ => {}
        }
        return walk(args, version, key, params, out);
    }
    match snippet {
        Value::Object(map) => {
            for (k, v) in map {
                walk(v, version, &format!("{key}.{k}"), params, out)?;
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, version, &format!("{key}[{i}]"), params, out)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// The argument checks Heat's function classes make in their constructors.
fn check_args(f: Func, name: &str, args: &Value, version: TemplateVersion) -> Result<()> {
    match f {
        Func::Removed => Err(HeatError::InvalidTemplateVersion(format!(
            "The function {name} is not supported in this version of HOT."
        ))),
        Func::Unsupported => Err(HeatError::NotSupported(format!(
            "The template function {name} (in this simulator)"
        ))),
        Func::ListJoin => {
            let multi = version >= TemplateVersion::V20151015;
            let example = if multi {
                format!("\"{name}\" : [ \" \", [ \"str1\", \"str2\"] ...]")
            } else {
                format!("\"{name}\" : [ \" \", [ \"str1\", \"str2\"]]")
            };
            let msg = format!("Incorrect arguments to \"{name}\" should be: {example}");
            match args {
                Value::Array(a) if multi && a.len() >= 2 => Ok(()),
                Value::Array(a) if !multi && a.len() == 2 => Ok(()),
                Value::Array(_) => Err(HeatError::value_error(msg)),
                _ => Err(HeatError::type_error(msg)),
            }
        }
        Func::StrReplace | Func::StrReplaceStrict | Func::StrReplaceVStrict => {
            let Some(map) = args.as_object() else {
                return Err(HeatError::type_error(format!("Arguments to \"{name}\" must be a map")));
            };
            if !map.contains_key("params") || !map.contains_key("template") {
                return Err(HeatError::key_error(format!(
                    "\"{name}\" syntax should be {name}:\n              template: This is var1 template var2\n              params:\n                var1: a\n                var2: string"
                )));
            }
            let params = &map["params"];
            if !params.is_object() && as_call(params, version).is_none() {
                return Err(HeatError::type_error(format!(
                    "\"{name}\" parameters must be a mapping"
                )));
            }
            Ok(())
        }
        Func::GetAttr => {
            let all_attrs = version >= TemplateVersion::V20151015;
            match args {
                Value::Array(a) if a.is_empty() && all_attrs => Err(HeatError::value_error(format!(
                    "Arguments to \"{name}\" can be of the next forms: [resource_name] or [resource_name, attribute, (path), ...]"
                ))),
                Value::Array(a) if a.len() < 2 && !all_attrs => Err(HeatError::value_error(format!(
                    "Arguments to \"{name}\" must be of the form [resource_name, attribute, (path), ...]"
                ))),
                Value::Array(_) => Ok(()),
                _ => Err(HeatError::type_error(format!("Argument to \"{name}\" must be a list"))),
            }
        }
        _ => Ok(()),
    }
}

/// Evaluates every function in `snippet`.
pub fn resolve(snippet: &Value, scope: &dyn Scope) -> Result<Value> {
    let version = scope.version();
    if let Some((f, name, args)) = as_call(snippet, version) {
        check_args(f, name, args, version)?;
        return call(f, name, args, scope);
    }
    Ok(match snippet {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), resolve(v, scope)?);
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(|v| resolve(v, scope)).collect::<Result<_>>()?),
        other => other.clone(),
    })
}

fn call(f: Func, name: &str, raw_args: &Value, scope: &dyn Scope) -> Result<Value> {
    let version = scope.version();
    match f {
        Func::GetAttr => {
            let items = raw_args.as_array().cloned().unwrap_or_default();
            let resource = resolve(&items[0], scope)?;
            let Value::String(resource) = resource else {
                return Err(HeatError::type_error(format!(
                    "Resource name in \"{name}\" must be a string"
                )));
            };
            if !scope.has_resource(&resource) {
                return Err(HeatError::InvalidTemplateReference {
                    resource,
                    key: "unknown".to_string(),
                });
            }
            let attr = match items.get(1) {
                None => None,
                Some(a) => match resolve(a, scope)? {
                    Value::String(s) => Some(s),
                    other => Some(super::parameters::text_of(&other)),
                },
            };
            let path = items
                .iter()
                .skip(2)
                .map(|p| resolve(p, scope))
                .collect::<Result<Vec<_>>>()?;
            scope.attribute(&resource, attr.as_deref(), &path)
        }
        _ => {
            let args = resolve(raw_args, scope)?;
            apply(f, name, &args, scope, version)
        }
    }
}

fn apply(f: Func, name: &str, args: &Value, scope: &dyn Scope, version: TemplateVersion) -> Result<Value> {
    match f {
        Func::GetParam => get_param(name, args, scope),
        Func::GetResource => match args {
            Value::String(r) if scope.has_resource(r) => Ok(scope.resource_ref(r)),
            Value::String(r) => Err(HeatError::InvalidTemplateReference {
                resource: r.clone(),
                key: "unknown".into(),
            }),
            other => Err(HeatError::InvalidTemplateReference {
                resource: other.to_string(),
                key: "unknown".into(),
            }),
        },
        Func::GetAttr => unreachable_attr(),
        Func::ListJoin => list_join(name, args, version),
        Func::StrReplace => str_replace(name, args, version >= TemplateVersion::V20151015, false, true),
        Func::StrReplaceStrict => str_replace(name, args, true, true, true),
        Func::StrReplaceVStrict => str_replace(name, args, true, true, false),
        Func::GetFile => match args {
            Value::String(key) => scope.file(key).map(Value::String).ok_or_else(|| {
                HeatError::value_error(format!(
                    "No content found in the \"files\" section for {name} path: {key}"
                ))
            }),
            _ => Err(HeatError::type_error(format!(
                "Argument to \"{name}\" must be a string"
            ))),
        },
        Func::StrSplit => str_split(name, args),
        Func::MapMerge => {
            let example = format!("\"{name}\" : [ {{ \"key1\": \"val1\" }}, {{ \"key2\": \"val2\" }} ]");
            let Value::Array(items) = args else {
                return Err(HeatError::type_error(format!(
                    "Incorrect arguments to \"{name}\" should be: {example}"
                )));
            };
            let mut out = Map::new();
            for m in items {
                match m {
                    Value::Null => {}
                    Value::Object(m) => out.extend(m.clone()),
                    other => {
                        return Err(HeatError::type_error(format!(
                            "Incorrect arguments: Items to merge must be maps. {} is type {} instead of a dict",
                            py_json(other, false),
                            super::template::py_type(other)
                        )));
                    }
                }
            }
            Ok(Value::Object(out))
        }
        Func::MapReplace => map_replace(name, args),
        Func::ListConcat | Func::ListConcatUnique => {
            let Value::Array(items) = args else {
                return Err(HeatError::type_error(format!(
                    "Incorrect arguments to \"{name}\" should be: \"{name}\" : [ [ \"v1\", \"v2\" ], [ \"v3\", \"v4\" ] ]"
                )));
            };
            let mut out: Vec<Value> = Vec::new();
            for l in items {
                match l {
                    Value::Null => {}
                    Value::Array(a) => {
                        for v in a {
                            if f == Func::ListConcat || !out.contains(v) {
                                out.push(v.clone());
                            }
                        }
                    }
                    other => {
                        return Err(HeatError::type_error(format!(
                            "Incorrect arguments: Items to concat must be lists. {} is type {} instead of a list",
                            py_json(other, false),
                            super::template::py_type(other)
                        )));
                    }
                }
            }
            Ok(Value::Array(out))
        }
        Func::Contains => match args {
            Value::Array(a) if a.len() == 2 => match &a[1] {
                Value::Array(seq) => Ok(Value::Bool(seq.contains(&a[0]))),
                _ => Err(HeatError::type_error(format!("\"{name}\" should take a sequence"))),
            },
            _ => Err(HeatError::value_error(format!(
                "Arguments to \"{name}\" must be of the form: [value1, [value1, value2]]"
            ))),
        },
        Func::Digest => digest(name, args),
        Func::Repeat => repeat(name, args),
        Func::Filter => match args {
            Value::Array(a) if a.len() == 2 => {
                let Value::Array(seq) = &a[1] else {
                    return Err(HeatError::type_error(format!("\"{name}\" sequence must be a list")));
                };
                let remove = a[0].as_array().cloned().unwrap_or_default();
                Ok(Value::Array(
                    seq.iter().filter(|v| !remove.contains(v)).cloned().collect(),
                ))
            }
            _ => Err(HeatError::value_error(format!(
                "Arguments to \"{name}\" must be of the form: [values_to_filter, sequence]"
            ))),
        },
        Func::Removed | Func::Unsupported => Err(HeatError::NotSupported(format!("The template function {name}"))),
    }
}

fn unreachable_attr() -> Result<Value> {
    Err(HeatError::value_error("get_attr is evaluated before its arguments"))
}

fn get_param(name: &str, args: &Value, scope: &dyn Scope) -> Result<Value> {
    let (param, path): (&Value, &[Value]) = match args {
        Value::Null => {
            return Err(HeatError::value_error(format!(
                "Function \"{name}\" must have arguments"
            )));
        }
        Value::String(s) if s.is_empty() => {
            return Err(HeatError::value_error(format!(
                "Function \"{name}\" must have arguments"
            )));
        }
        Value::String(_) => (args, &[]),
        Value::Array(a) if a.is_empty() => {
            return Err(HeatError::value_error(format!(
                "Function \"{name}\" must have arguments"
            )));
        }
        Value::Array(a) => (&a[0], &a[1..]),
        _ => {
            return Err(HeatError::type_error(format!(
                "Argument to \"{name}\" must be string or list"
            )));
        }
    };
    let Value::String(param) = param else {
        return Err(HeatError::type_error(format!(
            "Parameter name in \"{name}\" must be string"
        )));
    };
    let mut value = scope.param(param)?;
    for key in path {
        let next = match (&value, key) {
            (Value::Object(m), Value::String(k)) => m.get(k).cloned(),
            (Value::Object(m), Value::Number(n)) => m.get(&n.to_string()).cloned(),
            (Value::Array(a), Value::Number(n)) => n.as_u64().and_then(|i| a.get(i as usize).cloned()),
            (Value::Array(a), Value::String(s)) => match s.trim().parse::<i64>() {
                Ok(i) if i >= 0 => a.get(i as usize).cloned(),
                Ok(i) => a
                    .len()
                    .checked_sub(i.unsigned_abs() as usize)
                    .and_then(|j| a.get(j).cloned()),
                Err(_) => {
                    return Err(HeatError::type_error(format!(
                        "Path components in '{name}' must be a string that can be parsed into an integer."
                    )));
                }
            },
            (Value::String(s), Value::Number(n)) => n
                .as_u64()
                .and_then(|i| s.chars().nth(i as usize))
                .map(|c| Value::String(c.to_string())),
            (_, Value::String(_) | Value::Number(_)) => {
                // Heat catches the TypeError of traversing a scalar and returns ''.
                None
            }
            _ => {
                return Err(HeatError::type_error(format!(
                    "Path components in \"{name}\" must be strings"
                )));
            }
        };
        match next {
            Some(v) => value = v,
            None => return Ok(Value::String(String::new())),
        }
    }
    Ok(value)
}

fn list_join(name: &str, args: &Value, version: TemplateVersion) -> Result<Value> {
    let Value::Array(items) = args else {
        return Err(HeatError::type_error(format!("Incorrect arguments to \"{name}\"")));
    };
    let Value::String(delim) = &items[0] else {
        return Err(HeatError::type_error(format!("\"{name}\" delimiter must be a string")));
    };
    let multi = version >= TemplateVersion::V20151015;
    let mut strings = Vec::new();
    for list in &items[1..] {
        match list {
            Value::Null if multi => {}
            Value::Array(a) if a.is_empty() => {}
            Value::Array(a) => strings.extend(a.iter().cloned()),
            Value::Null => {}
            _ => return Err(HeatError::type_error(format!("\"{name}\" must operate on a list"))),
        }
    }
    let mut parts = Vec::new();
    for s in &strings {
        parts.push(match s {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Object(_) | Value::Array(_) if multi => py_json(s, true),
            other if multi => {
                return Err(HeatError::type_error(format!(
                    "Items to join must be string, map or list not {}",
                    py_repr(other)
                )));
            }
            other => {
                return Err(HeatError::type_error(format!(
                    "Items to join must be strings not {}",
                    py_repr(other)
                )));
            }
        });
    }
    Ok(Value::String(parts.join(delim)))
}

fn str_replace(name: &str, args: &Value, json: bool, strict: bool, allow_empty: bool) -> Result<Value> {
    let map = args.as_object().cloned().unwrap_or_default();
    let template = match map.get("template") {
        Some(Value::String(s)) => s.clone(),
        _ => return Err(HeatError::type_error(format!("\"{name}\" template must be a string"))),
    };
    let Some(Value::Object(params)) = map.get("params") else {
        return Err(HeatError::type_error(format!("\"{name}\" params must be a map")));
    };
    let empty_err = |p: &str| {
        HeatError::value_error(format!(
            "{name} has an undefined or empty value for param {p}, must be a defined non-empty value"
        ))
    };
    let mut keys: Vec<&String> = params.keys().collect();
    keys.sort();
    keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
    let mut values = Vec::new();
    for k in &keys {
        let v = &params[k.as_str()];
        let text = match v {
            Value::Null if allow_empty => String::new(),
            Value::Null => return Err(empty_err(k)),
            Value::String(s) => s.clone(),
            Value::Bool(_) | Value::Number(_) => super::parameters::text_of(v),
            Value::Array(a) if !allow_empty && a.is_empty() => return Err(empty_err(k)),
            Value::Object(m) if !allow_empty && m.is_empty() => return Err(empty_err(k)),
            Value::Array(_) | Value::Object(_) if json => py_json(v, true),
            _ => {
                return Err(HeatError::type_error(format!(
                    "\"{name}\" params must be strings or numbers, param {k} is not valid"
                )));
            }
        };
        if !allow_empty && text.is_empty() {
            return Err(empty_err(k));
        }
        values.push(text);
    }
    let mut used = vec![false; keys.len()];
    fn replace(s: &str, keys: &[&String], values: &[String], used: &mut [bool], i: usize) -> String {
        if i == keys.len() {
            return s.to_string();
        }
        let pieces: Vec<&str> = s.split(keys[i].as_str()).collect();
        if pieces.len() > 1 {
            used[i] = true;
        }
        pieces
            .iter()
            .map(|p| replace(p, keys, values, used, i + 1))
            .collect::<Vec<_>>()
            .join(&values[i])
    }
    let out = replace(&template, &keys, &values, &mut used, 0);
    if strict {
        let missing: Vec<&str> = keys
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(k, _)| k.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(HeatError::value_error(format!(
                "The following params were not found in the template: {}",
                missing.join(",")
            )));
        }
    }
    Ok(Value::String(out))
}

fn str_split(name: &str, args: &Value) -> Result<Value> {
    let example = format!("\"{name}\" : [ \",\", \"str1,str2\"], [\"{name}\" : [ \",\", \"str1,str2\", 0]]");
    let Value::Array(a) = args else {
        return Err(HeatError::type_error(format!(
            "Incorrect arguments to \"{name}\" should be: {example}"
        )));
    };
    if a.len() < 2 || a.len() > 3 {
        return Err(HeatError::value_error(format!(
            "Incorrect arguments to \"{name}\" should be: {example}"
        )));
    }
    let Value::String(delim) = &a[0] else {
        return Err(HeatError::type_error(format!(
            "Incorrect arguments to \"{name}\" should be: {example}"
        )));
    };
    let s = match &a[1] {
        Value::String(s) => s.clone(),
        Value::Null => {
            return Err(HeatError::value_error(format!(
                "Incorrect arguments to \"{name}\" should be: {example}"
            )));
        }
        other => super::parameters::text_of(other),
    };
    let parts: Vec<Value> = s.split(delim.as_str()).map(|p| Value::String(p.to_string())).collect();
    match a.get(2) {
        None => Ok(Value::Array(parts)),
        Some(idx) => {
            let i = match idx {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().parse().ok(),
                _ => None,
            };
            let n = parts.len();
            i.filter(|i| *i >= 0 && (*i as usize) < n)
                .map(|i| parts[i as usize].clone())
                .ok_or_else(|| {
                    HeatError::value_error(format!(
                        "Incorrect index to \"{name}\" should be between 0 and {}",
                        n.saturating_sub(1)
                    ))
                })
        }
    }
}

fn map_replace(name: &str, args: &Value) -> Result<Value> {
    let example = format!(
        "\"{name}\" : [ {{ \"key1\": \"val1\" }}, {{\"keys\": {{\"key1\": \"key2\"}}, \"values\": {{\"val1\": \"val2\"}}}}]"
    );
    let bad = || HeatError::type_error(format!("Incorrect arguments to \"{name}\" should be: {example}"));
    let Value::Array(a) = args else { return Err(bad()) };
    if a.len() != 2 {
        return Err(bad());
    }
    let as_map = |v: &Value| -> Result<Map<String, Value>> {
        match v {
            Value::Null => Ok(Map::new()),
            Value::Object(m) => Ok(m.clone()),
            _ => Err(HeatError::type_error(format!(
                "Incorrect arguments: to \"{name}\", arguments must be a list of maps. Example:  {example}"
            ))),
        }
    };
    let input = as_map(&a[0])?;
    let repl = as_map(&a[1])?;
    if repl.keys().any(|k| k != "keys" && k != "values") {
        return Err(HeatError::value_error(format!(
            "Incorrect arguments to \"{name}\" should be: {example}"
        )));
    }
    let keys = as_map(repl.get("keys").unwrap_or(&Value::Null))?;
    let values = as_map(repl.get("values").unwrap_or(&Value::Null))?;
    let mut out = Map::new();
    for (k, v) in &input {
        let key = match keys.get(k).and_then(Value::as_str) {
            None => k.clone(),
            Some(nk) if input.contains_key(nk) && nk != k => {
                return Err(HeatError::value_error(format!(
                    "key replacement {nk} collides with a key in the input map"
                )));
            }
            Some(nk) if out.contains_key(nk) => {
                return Err(HeatError::value_error(format!(
                    "key replacement {nk} collides with a key in the output map"
                )));
            }
            Some(nk) => nk.to_string(),
        };
        let value = match v {
            Value::String(s) => values.get(s).cloned().unwrap_or_else(|| v.clone()),
            _ => v.clone(),
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
}

fn digest(name: &str, args: &Value) -> Result<Value> {
    let Value::Array(a) = args else {
        return Err(HeatError::type_error(format!(
            "Argument to function \"{name}\" must be a list"
        )));
    };
    if a.len() != 2 {
        return Err(HeatError::value_error(format!(
            "Function \"{name}\" usage: [\"<algorithm>\", \"<value>\"]"
        )));
    }
    let (Value::String(alg), Value::String(value)) = (&a[0], &a[1]) else {
        return Err(HeatError::type_error(format!(
            "Algorithm and value of \"{name}\" must be strings"
        )));
    };
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    let out = match alg.as_str() {
        "sha224" => hex(&sha2::Sha224::digest(value.as_bytes())),
        "sha256" => hex(&sha2::Sha256::digest(value.as_bytes())),
        "sha384" => hex(&sha2::Sha384::digest(value.as_bytes())),
        "sha512" => hex(&sha2::Sha512::digest(value.as_bytes())),
        other => return Err(HeatError::value_error(format!("Algorithm {other} is not supported"))),
    };
    Ok(Value::String(out))
}

fn repeat(name: &str, args: &Value) -> Result<Value> {
    let Some(map) = args.as_object() else {
        return Err(HeatError::type_error(format!("Arguments to \"{name}\" must be a map")));
    };
    let (Some(Value::Object(for_each)), Some(template)) = (map.get("for_each"), map.get("template")) else {
        return Err(HeatError::key_error(format!(
            "\"{name}\" syntax should be {name}: for_each: ... template: ..."
        )));
    };
    let permutations = map.get("permutations").and_then(Value::as_bool).unwrap_or(true);
    let mut vars: Vec<(&String, Vec<Value>)> = Vec::new();
    for (k, v) in for_each {
        match v {
            Value::Array(a) => vars.push((k, a.clone())),
            _ => {
                return Err(HeatError::type_error(format!(
                    "The values of the \"for_each\" argument to \"{name}\" must be lists"
                )));
            }
        }
    }
    let combos: Vec<Vec<Value>> = if permutations {
        let mut combos = vec![vec![]];
        for (_, values) in &vars {
            let mut next = Vec::new();
            for c in &combos {
                for v in values {
                    let mut c2 = c.clone();
                    c2.push(v.clone());
                    next.push(c2);
                }
            }
            combos = next;
        }
        combos
    } else {
        let n = vars.first().map(|(_, v)| v.len()).unwrap_or(0);
        if vars.iter().any(|(_, v)| v.len() != n) {
            return Err(HeatError::value_error(
                "For_each lists must have the same length when permutations is false",
            ));
        }
        (0..n)
            .map(|i| vars.iter().map(|(_, v)| v[i].clone()).collect())
            .collect()
    };
    fn subst(t: &Value, vars: &[(&String, Vec<Value>)], combo: &[Value]) -> Value {
        match t {
            Value::String(s) => {
                let mut s = s.clone();
                for ((k, _), v) in vars.iter().zip(combo) {
                    s = s.replace(k.as_str(), &super::parameters::text_of(v));
                }
                Value::String(s)
            }
            Value::Array(a) => Value::Array(a.iter().map(|x| subst(x, vars, combo)).collect()),
            Value::Object(m) => {
                let mut out = Map::new();
                for (k, v) in m {
                    let mut key = k.clone();
                    for ((var, _), val) in vars.iter().zip(combo) {
                        key = key.replace(var.as_str(), &super::parameters::text_of(val));
                    }
                    out.insert(key, subst(v, vars, combo));
                }
                Value::Object(out)
            }
            other => other.clone(),
        }
    }
    Ok(Value::Array(combos.iter().map(|c| subst(template, &vars, c)).collect()))
}

/// Heat's `attributes.select_from_attribute`: follows `path` into an attribute value,
/// `null` when a component is missing.
pub fn select_path(value: Value, path: &[Value]) -> Value {
    let mut v = value;
    for key in path {
        v = match (&v, key) {
            (Value::Object(m), Value::String(k)) => m.get(k).cloned().unwrap_or(Value::Null),
            (Value::Array(a), Value::Number(n)) => n
                .as_u64()
                .and_then(|i| a.get(i as usize).cloned())
                .unwrap_or(Value::Null),
            _ => Value::Null,
        };
    }
    v
}

/// Python's `repr` of a JSON value (for Heat's messages).
fn py_repr(v: &Value) -> String {
    match v {
        Value::String(s) => format!("'{s}'"),
        other => super::parameters::text_of(other),
    }
}

/// Python's `json.dumps` (separators `, ` and `: `, ASCII only), optionally with sorted
/// keys: what Heat substitutes for maps and lists in `str_replace` and `list_join`.
pub fn py_json(v: &Value, sort_keys: bool) -> String {
    let mut out = String::new();
    write_py_json(v, sort_keys, &mut out);
    out
}

fn write_py_json(v: &Value, sort_keys: bool, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => {
            out.push('"');
            for c in s.chars() {
                match c {
                    '"' => out.push_str("\\\""),
                    '\\' => out.push_str("\\\\"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    '\t' => out.push_str("\\t"),
                    c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                        let mut buf = [0u16; 2];
                        for unit in c.encode_utf16(&mut buf) {
                            out.push_str(&format!("\\u{unit:04x}"));
                        }
                    }
                    c => out.push(c),
                }
            }
            out.push('"');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_json(x, sort_keys, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            let mut keys: Vec<&String> = m.keys().collect();
            if sort_keys {
                keys.sort();
            }
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_py_json(&Value::String((*k).clone()), sort_keys, out);
                out.push_str(": ");
                write_py_json(&m[k.as_str()], sort_keys, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;

    struct TestScope {
        params: BTreeMap<String, Value>,
        version: TemplateVersion,
    }

    impl Scope for TestScope {
        fn version(&self) -> TemplateVersion {
            self.version
        }
        fn param(&self, name: &str) -> Result<Value> {
            self.params
                .get(name)
                .cloned()
                .ok_or_else(|| HeatError::UserParameterMissing(name.into()))
        }
        fn has_resource(&self, name: &str) -> bool {
            name == "inst"
        }
        fn resource_ref(&self, name: &str) -> Value {
            json!(format!("id-of-{name}"))
        }
        fn attribute(&self, resource: &str, attr: Option<&str>, path: &[Value]) -> Result<Value> {
            let all = json!({"name": format!("{resource}-name"), "networks": {"private": ["10.0.0.5"]}});
            Ok(match attr {
                None => all,
                Some(a) => select_path(all[a].clone(), path),
            })
        }
        fn file(&self, key: &str) -> Option<String> {
            (key == "f.txt").then(|| "contents".to_string())
        }
    }

    fn scope() -> TestScope {
        let mut params = BTreeMap::new();
        params.insert("instance_index".to_string(), json!("1"));
        params.insert("servgroups".to_string(), json!(["g0", "g1"]));
        params.insert("m".to_string(), json!({"a": {"b": "deep"}}));
        TestScope {
            params,
            version: TemplateVersion::V20160408,
        }
    }

    #[test]
    fn sahara_snippets_resolve() {
        let s = scope();
        let name = json!({"list_join": ["-", ["demo", "worker", {"get_param": "instance_index"}]]});
        assert_eq!(resolve(&name, &s).unwrap(), json!("demo-worker-1"));
        let hint = json!({"get_param": ["servgroups", {"get_param": "instance_index"}]});
        assert_eq!(resolve(&hint, &s).unwrap(), json!("g1"));
        // Out of range: Heat returns '' rather than failing.
        let out = json!({"get_param": ["servgroups", "5"]});
        assert_eq!(resolve(&out, &s).unwrap(), json!(""));
        assert_eq!(
            resolve(&json!({"get_param": ["m", "a", "b"]}), &s).unwrap(),
            json!("deep")
        );
        let ud = json!({"str_replace": {"template": "run wc_notify --x; wc_notify_2", "params": {"wc_notify": "curl A", "wc_notify_2": "B"}}});
        assert_eq!(resolve(&ud, &s).unwrap(), json!("run curl A --x; B"));
        let out = json!({"physical_id": {"get_resource": "inst"}, "name": {"get_attr": ["inst", "name"]}});
        assert_eq!(
            resolve(&out, &s).unwrap(),
            json!({"physical_id": "id-of-inst", "name": "inst-name"})
        );
        assert_eq!(
            resolve(&json!({"get_attr": ["inst", "networks", "private", 0]}), &s).unwrap(),
            json!("10.0.0.5")
        );
        assert_eq!(
            resolve(&json!({"str_split": [".", "10.0.0.5", 3]}), &s).unwrap(),
            json!("5")
        );
        assert_eq!(resolve(&json!({"get_file": "f.txt"}), &s).unwrap(), json!("contents"));
        assert_eq!(
            resolve(
                &json!({"str_replace": {"template": "x=V", "params": {"V": {"b": 1, "a": [1, 2]}}}}),
                &s
            )
            .unwrap(),
            json!("x={\"a\": [1, 2], \"b\": 1}")
        );
        assert_eq!(
            resolve(&json!({"map_merge": [{"a": 1}, {"a": 2, "b": 3}]}), &s).unwrap(),
            json!({"a": 2, "b": 3})
        );
        assert_eq!(
            resolve(&json!({"digest": ["sha256", "abc"]}), &s).unwrap(),
            json!("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        );
        assert_eq!(
            resolve(
                &json!({"repeat": {"for_each": {"%p%": [22, 80]}, "template": {"port": "%p%"}}}),
                &s
            )
            .unwrap(),
            json!([{"port": "22"}, {"port": "80"}])
        );
    }

    #[test]
    fn bad_references_and_arguments_fail_like_heat() {
        let s = scope();
        let err = resolve(&json!({"get_param": "nope"}), &s).unwrap_err();
        assert_eq!(err.to_string(), "The Parameter (nope) was not provided.");
        let err = resolve(&json!({"get_resource": "nope"}), &s).unwrap_err();
        assert_eq!(err.type_name(), "InvalidTemplateReference");
        let err = resolve(&json!({"list_join": "x"}), &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Incorrect arguments to \"list_join\" should be: \"list_join\" : [ \" \", [ \"str1\", \"str2\"] ...]"
        );
        let err = resolve(&json!({"str_replace": {"template": "x"}}), &s).unwrap_err();
        assert_eq!(err.type_name(), "KeyError");
        let err = resolve(&json!({"Fn::Join": ["-", ["a"]]}), &s).unwrap_err();
        assert_eq!(
            err.to_string(),
            "The template version is invalid: The function Fn::Join is not supported in this version of HOT."
        );
        let refs = references(
            &json!({"networks": [{"port": {"get_resource": "port"}}], "x": {"get_attr": ["wc", "curl_cli"]}}),
            TemplateVersion::V20160408,
            "inst.properties",
            &|_| None,
        )
        .unwrap();
        assert_eq!(refs[0].resource, "port");
        assert_eq!(refs[0].key, "inst.properties.networks[0].port");
        assert_eq!(refs[1].attribute, Some(Some("curl_cli".to_string())));
    }

    #[test]
    fn python_json_spelling() {
        assert_eq!(
            py_json(&json!({"b": [1, "é"], "a": null}), true),
            "{\"a\": null, \"b\": [1, \"\\u00e9\"]}"
        );
    }
}
