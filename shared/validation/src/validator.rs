//! The Draft 4 engine: jsonschema 4.17.3's `iter_errors` walk (keywords in schema key order, `properties` in
//! schema order, errors yielded depth first) with `ApiValidator`'s type checker and Sahara's format checker, and
//! Sahara's `_generate_error` turning the errors into one message.

use serde_json::{Map, Value};

use crate::SchemaId;
use crate::ValidationError;
use crate::formats::{check_format, is_configs, is_flavor, is_py_int, is_simple_config};
use crate::pyrepr::{py_repr, py_repr_str};

/// An exception escaping the validator in Python, which ends validation.
#[derive(Debug)]
pub(crate) enum Abort {
    /// A `SaharaException` (`InvalidDataException`): 400 INVALID_DATA.
    InvalidData(String),
    /// Any other exception: 500.
    Internal(String),
}

impl From<Abort> for ValidationError {
    fn from(abort: Abort) -> Self {
        match abort {
            Abort::InvalidData(m) => ValidationError::InvalidData(m),
            Abort::Internal(m) => ValidationError::Internal(m),
        }
    }
}

/// One step of an error's instance path (`ValidationError.path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathElem {
    /// An object property.
    Key(String),
    /// An array index.
    Index(usize),
}

/// One jsonschema error: where in the body, and jsonschema's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// The absolute path of the failing instance within the body.
    pub path: Vec<PathElem>,
    /// jsonschema's message, e.g. `'name' is a required property`.
    pub message: String,
}

type Res<T> = Result<T, Abort>;

struct Walk<'a> {
    path: Vec<PathElem>,
    out: &'a mut Vec<SchemaError>,
    /// `is_valid()` semantics: stop at the first error (Python's lazy `next(iter_errors())`).
    first_only: bool,
}

impl Walk<'_> {
    fn done(&self) -> bool {
        self.first_only && !self.out.is_empty()
    }

    fn error(&mut self, message: String) {
        self.out.push(SchemaError {
            path: self.path.clone(),
            message,
        });
    }

    fn descend(&mut self, schema: &Value, instance: &Value, elem: Option<PathElem>) -> Res<()> {
        let pushed = elem.is_some();
        if let Some(e) = elem {
            self.path.push(e);
        }
        let result = self.iter(schema, instance);
        if pushed {
            self.path.pop();
        }
        result
    }

    /// All errors of `instance` under `subschema`, computed fully (Python's `list(descend(...))`).
    fn sub_errors(&mut self, schema: &Value, instance: &Value) -> Res<Vec<SchemaError>> {
        let mut out = Vec::new();
        let mut walk = Walk {
            path: self.path.clone(),
            out: &mut out,
            first_only: false,
        };
        walk.iter(schema, instance)?;
        Ok(out)
    }

    fn is_valid(&self, schema: &Value, instance: &Value) -> Res<bool> {
        let mut out = Vec::new();
        let mut walk = Walk {
            path: self.path.clone(),
            out: &mut out,
            first_only: true,
        };
        walk.iter(schema, instance)?;
        Ok(out.is_empty())
    }

    fn iter(&mut self, schema: &Value, instance: &Value) -> Res<()> {
        let map = match schema {
            Value::Bool(true) => return Ok(()),
            Value::Bool(false) => {
                self.error(format!("False schema does not allow {}", py_repr(instance)));
                return Ok(());
            }
            Value::Object(map) => map,
            _ => return Err(Abort::Internal("schema is not an object".into())),
        };
        if map.contains_key("$ref") {
            return Err(Abort::Internal("$ref is not supported".into()));
        }
        for (keyword, value) in map {
            if self.done() {
                return Ok(());
            }
            self.keyword(keyword, value, instance, map)?;
        }
        Ok(())
    }

    fn keyword(&mut self, keyword: &str, kv: &Value, instance: &Value, schema: &Map<String, Value>) -> Res<()> {
        let repr = || py_repr(instance);
        match keyword {
            "type" => {
                let types: Vec<&Value> = match kv {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                let mut matched = false;
                for t in &types {
                    if is_type(instance, t.as_str().unwrap_or_default())? {
                        matched = true;
                        break;
                    }
                }
                if !matched {
                    let reprs: Vec<String> = types.iter().map(|t| py_repr(t)).collect();
                    self.error(format!("{} is not of type {}", repr(), reprs.join(", ")));
                }
            }
            "properties" => {
                if let (Value::Object(inst), Value::Object(props)) = (instance, kv) {
                    for (name, sub) in props {
                        if self.done() {
                            break;
                        }
                        if let Some(v) = inst.get(name) {
                            self.descend(sub, v, Some(PathElem::Key(name.clone())))?;
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Value::Object(inst) = instance {
                    let props = schema.get("properties").and_then(Value::as_object);
                    let patterns: Vec<&str> = schema
                        .get("patternProperties")
                        .and_then(Value::as_object)
                        .map(|p| p.keys().map(String::as_str).collect())
                        .unwrap_or_default();
                    let mut extras: Vec<&String> = Vec::new();
                    for key in inst.keys() {
                        if props.is_some_and(|p| p.contains_key(key)) {
                            continue;
                        }
                        if !patterns.is_empty() && search(&patterns.join("|"), key)? {
                            continue;
                        }
                        extras.push(key);
                    }
                    if kv.is_object() {
                        // Python walks a `set` here (hash order, random per process): any order is faithful,
                        // the body's order is used.
                        for extra in extras {
                            if self.done() {
                                break;
                            }
                            self.descend(kv, &inst[extra.as_str()], Some(PathElem::Key(extra.clone())))?;
                        }
                    } else if !truthy(kv) && !extras.is_empty() {
                        extras.sort();
                        let joined: Vec<String> = extras.iter().map(|e| py_repr_str(e)).collect();
                        let joined = joined.join(", ");
                        if let Some(Value::Object(pp)) = schema.get("patternProperties") {
                            let verb = if extras.len() == 1 { "does" } else { "do" };
                            let mut pats: Vec<&String> = pp.keys().collect();
                            pats.sort();
                            let pats: Vec<String> = pats.iter().map(|p| py_repr_str(p)).collect();
                            self.error(format!(
                                "{joined} {verb} not match any of the regexes: {}",
                                pats.join(", ")
                            ));
                        } else {
                            let verb = if extras.len() == 1 { "was" } else { "were" };
                            self.error(format!(
                                "Additional properties are not allowed ({joined} {verb} unexpected)"
                            ));
                        }
                    }
                }
            }
            "required" => {
                if let (Value::Object(inst), Value::Array(required)) = (instance, kv) {
                    for name in required {
                        let name = name.as_str().unwrap_or_default();
                        if !inst.contains_key(name) {
                            self.error(format!("{} is a required property", py_repr_str(name)));
                        }
                    }
                }
            }
            "items" => {
                if let Value::Array(items) = instance {
                    match kv {
                        Value::Object(_) => {
                            for (i, item) in items.iter().enumerate() {
                                if self.done() {
                                    break;
                                }
                                self.descend(kv, item, Some(PathElem::Index(i)))?;
                            }
                        }
                        Value::Array(schemas) => {
                            for (i, (item, sub)) in items.iter().zip(schemas).enumerate() {
                                if self.done() {
                                    break;
                                }
                                self.descend(sub, item, Some(PathElem::Index(i)))?;
                            }
                        }
                        _ => {}
                    }
                }
            }
            "minItems" | "maxItems" => {
                if let Value::Array(items) = instance {
                    let limit = kv.as_f64().unwrap_or_default();
                    let n = items.len() as f64;
                    if keyword == "minItems" && n < limit {
                        self.error(format!("{} is too short", repr()));
                    } else if keyword == "maxItems" && n > limit {
                        self.error(format!("{} is too long", repr()));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let Value::String(s) = instance {
                    let limit = kv.as_f64().unwrap_or_default();
                    let n = s.chars().count() as f64;
                    if keyword == "minLength" && n < limit {
                        self.error(format!("{} is too short", repr()));
                    } else if keyword == "maxLength" && n > limit {
                        self.error(format!("{} is too long", repr()));
                    }
                }
            }
            "minProperties" | "maxProperties" => {
                if let Value::Object(inst) = instance {
                    let limit = kv.as_f64().unwrap_or_default();
                    let n = inst.len() as f64;
                    if keyword == "minProperties" && n < limit {
                        self.error(format!("{} does not have enough properties", repr()));
                    } else if keyword == "maxProperties" && n > limit {
                        self.error(format!("{} has too many properties", repr()));
                    }
                }
            }
            "uniqueItems" => {
                if truthy(kv)
                    && let Value::Array(items) = instance
                    && !unique(items)
                {
                    self.error(format!("{} has non-unique elements", repr()));
                }
            }
            "minimum" | "maximum" => {
                if let (Value::Number(_), Value::Number(_)) = (instance, kv) {
                    let inst = num(instance);
                    let limit = num(kv);
                    let is_min = keyword == "minimum";
                    let exclusive = schema
                        .get(if is_min { "exclusiveMinimum" } else { "exclusiveMaximum" })
                        .is_some_and(truthy);
                    let ord = inst.partial_cmp(&limit);
                    use std::cmp::Ordering::*;
                    let (failed, cmp) = match (is_min, exclusive) {
                        (true, true) => (matches!(ord, Some(Less | Equal)), "less than or equal to"),
                        (true, false) => (matches!(ord, Some(Less)), "less than"),
                        (false, true) => (matches!(ord, Some(Greater | Equal)), "greater than or equal to"),
                        (false, false) => (matches!(ord, Some(Greater)), "greater than"),
                    };
                    if failed {
                        let what = if is_min { "minimum" } else { "maximum" };
                        self.error(format!("{} is {cmp} the {what} of {}", repr(), py_repr(kv)));
                    }
                }
            }
            "enum" => {
                let enums: &[Value] = kv.as_array().map(Vec::as_slice).unwrap_or_default();
                let zero_or_one = py_eq(instance, &Value::from(0)) || py_eq(instance, &Value::from(1));
                let found = if zero_or_one {
                    enums.iter().any(|each| unbool_eq(instance, each))
                } else {
                    enums.iter().any(|each| py_eq(instance, each))
                };
                if !found {
                    self.error(format!("{} is not one of {}", repr(), py_repr(kv)));
                }
            }
            "pattern" => {
                if let (Value::String(s), Some(p)) = (instance, kv.as_str())
                    && !search(p, s)?
                {
                    self.error(format!("{} does not match {}", repr(), py_repr_str(p)));
                }
            }
            "format" => {
                let format = kv.as_str().unwrap_or_default();
                if !check_format(format, instance)? {
                    self.error(format!("{} is not a {}", repr(), py_repr_str(format)));
                }
            }
            "allOf" => {
                for sub in kv.as_array().map(Vec::as_slice).unwrap_or_default() {
                    if self.done() {
                        break;
                    }
                    self.descend(sub, instance, None)?;
                }
            }
            "anyOf" => {
                let mut any = false;
                for sub in kv.as_array().map(Vec::as_slice).unwrap_or_default() {
                    if self.sub_errors(sub, instance)?.is_empty() {
                        any = true;
                        break;
                    }
                }
                if !any {
                    self.error(format!("{} is not valid under any of the given schemas", repr()));
                }
            }
            "oneOf" => {
                let subs = kv.as_array().map(Vec::as_slice).unwrap_or_default();
                let mut first_valid = None;
                for (i, sub) in subs.iter().enumerate() {
                    if self.sub_errors(sub, instance)?.is_empty() {
                        first_valid = Some(i);
                        break;
                    }
                }
                match first_valid {
                    None => self.error(format!("{} is not valid under any of the given schemas", repr())),
                    Some(i) => {
                        let mut more = Vec::new();
                        for sub in &subs[i + 1..] {
                            if self.is_valid(sub, instance)? {
                                more.push(py_repr(sub));
                            }
                        }
                        if !more.is_empty() {
                            more.push(py_repr(&subs[i]));
                            self.error(format!("{} is valid under each of {}", repr(), more.join(", ")));
                        }
                    }
                }
            }
            "not" if self.is_valid(kv, instance)? => {
                self.error(format!("{} should not be valid under {}", repr(), py_repr(kv)));
            }
            _ => {}
        }
        Ok(())
    }
}

/// `ApiValidator.TYPE_CHECKER.is_type`; unknown types raise (`UnknownType`) in Python.
fn is_type(instance: &Value, t: &str) -> Res<bool> {
    Ok(match t {
        "array" => instance.is_array(),
        "boolean" => instance.is_boolean(),
        "integer" => is_py_int(instance),
        "null" => instance.is_null(),
        "number" => instance.is_number(),
        "object" => instance.is_object(),
        "string" => instance.is_string(),
        "configs" => is_configs(instance),
        "simple_config" => is_simple_config(instance),
        "flavor" => is_flavor(instance),
        other => return Err(Abort::Internal(format!("UnknownType: {other:?}"))),
    })
}

/// Python's `re.search`, approximated with `regex_lite` (no Sahara schema uses `pattern`).
fn search(pattern: &str, s: &str) -> Res<bool> {
    regex_lite::Regex::new(pattern)
        .map(|re| re.is_match(s))
        .map_err(|e| Abort::Internal(format!("re.error: {e}")))
}

/// Python truthiness of a JSON value.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(_) => num(v) != Num::I(0) && num(v) != Num::F(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// A Python number (bool included, as an int).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    I(i128),
    F(f64),
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        match (*self, *other) {
            (Num::I(a), Num::I(b)) => a.partial_cmp(&b),
            (Num::I(a), Num::F(b)) => (a as f64).partial_cmp(&b),
            (Num::F(a), Num::I(b)) => a.partial_cmp(&(b as f64)),
            (Num::F(a), Num::F(b)) => a.partial_cmp(&b),
        }
    }
}

fn num(v: &Value) -> Num {
    match v {
        Value::Bool(b) => Num::I(i128::from(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Num::I(i.into())
            } else if let Some(u) = n.as_u64() {
                Num::I(u.into())
            } else {
                Num::F(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        _ => Num::F(f64::NAN),
    }
}

fn num_eq(a: Num, b: Num) -> bool {
    match (a, b) {
        (Num::I(x), Num::I(y)) => x == y,
        (Num::F(x), Num::F(y)) => x == y,
        (Num::I(i), Num::F(f)) | (Num::F(f), Num::I(i)) => f.fract() == 0.0 && f == i as f64 && f as i128 == i,
    }
}

/// Python `==` between values `json.loads` produced (bool == int, 1 == 1.0).
fn py_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(_) | Value::Number(_), Value::Bool(_) | Value::Number(_)) => num_eq(num(a), num(b)),
        (Value::String(x), Value::String(y)) => x == y,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

/// `unbool(a) == unbool(b)` with Python `==`: a top-level bool only equals the same bool.
fn unbool_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Bool(_), _) | (_, Value::Bool(_)) => false,
        _ => py_eq(a, b),
    }
}

/// jsonschema's `_utils.equal`: like `==` but bools never equal numbers, recursively.
fn js_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(_), _) | (_, Value::String(_)) => py_eq(a, b),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| js_equal(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| js_equal(v, w)))
        }
        _ => unbool_eq(a, b),
    }
}

/// Python `<` between values `json.loads` produced; `None` where Python raises `TypeError` (dicts, None, mixed
/// kinds). `top_level` marks the operands of `sorted(unbool(i) ...)`, whose bools are opaque sentinels.
fn py_lt(a: &Value, b: &Value, top_level: bool) -> Option<bool> {
    if top_level && (a.is_boolean() || b.is_boolean()) {
        return None;
    }
    match (a, b) {
        (Value::Bool(_) | Value::Number(_), Value::Bool(_) | Value::Number(_)) => {
            Some(num(a).partial_cmp(&num(b)) == Some(std::cmp::Ordering::Less))
        }
        (Value::String(x), Value::String(y)) => Some(x < y),
        (Value::Array(x), Value::Array(y)) => match x.iter().zip(y).position(|(p, q)| !py_eq(p, q)) {
            Some(i) => py_lt(&x[i], &y[i], false),
            None => Some(x.len() < y.len()),
        },
        _ => None,
    }
}

/// `sorted()` as CPython 3.11 does it for fewer than 64 items (one natural run, then binary insertion), so the
/// same comparisons happen and the same `TypeError`s surface (`None`). Longer lists use the same procedure, where
/// CPython would merge runs: the order is the same whenever no comparison raises.
fn py_sorted(items: &[Value]) -> Option<Vec<&Value>> {
    let mut v: Vec<&Value> = items.iter().collect();
    let n = v.len();
    if n < 2 {
        return Some(v);
    }
    let lt = |a: &Value, b: &Value| py_lt(a, b, true);
    let mut run = 2;
    if lt(v[1], v[0])? {
        while run < n && lt(v[run], v[run - 1])? {
            run += 1;
        }
        v[..run].reverse();
    } else {
        while run < n && !lt(v[run], v[run - 1])? {
            run += 1;
        }
    }
    for start in run..n {
        let pivot = v[start];
        let (mut l, mut r) = (0, start);
        while l < r {
            let p = l + ((r - l) >> 1);
            if lt(pivot, v[p])? {
                r = p;
            } else {
                l = p + 1;
            }
        }
        v.remove(start);
        v.insert(l, pivot);
    }
    Some(v)
}

/// jsonschema's `_utils.uniq`: sort and compare neighbours (so `[[1], [True], [1.0]]` passes), or, when sorting
/// raises, compare every pair.
fn unique(items: &[Value]) -> bool {
    if let Some(sorted) = py_sorted(items) {
        return !sorted.windows(2).any(|w| js_equal(w[0], w[1]));
    }
    for (i, a) in items.iter().enumerate() {
        if items[..i].iter().any(|b| js_equal(b, a)) {
            return false;
        }
    }
    true
}

/// Every jsonschema error of `body` under `schema`, in the order jsonschema 4.17.3 yields them; `Err` where
/// Python's validation raises instead.
pub fn iter_errors(schema: &Value, body: &Value) -> Result<Vec<SchemaError>, ValidationError> {
    let mut out = Vec::new();
    let mut walk = Walk {
        path: Vec::new(),
        out: &mut out,
        first_only: false,
    };
    walk.iter(schema, body)?;
    Ok(out)
}

/// Validate `body` against `schema` the way `sahara.service.validation.validate` does.
pub fn validate_with(schema: &Value, body: &Value) -> Result<(), ValidationError> {
    let errors = iter_errors(schema, body)?;
    if errors.is_empty() {
        return Ok(());
    }
    let mut lines = Vec::with_capacity(errors.len());
    for error in errors {
        let mut line = String::new();
        if let Some((first, rest)) = error.path.split_first() {
            // `path[0] + '[...]'` is a TypeError in Python when path[0] is an index.
            let PathElem::Key(first) = first else {
                return Err(ValidationError::Internal("TypeError: path starts with an index".into()));
            };
            line.push_str(first);
            for elem in rest {
                match elem {
                    PathElem::Key(k) => line.push_str(&format!("[{k}]")),
                    PathElem::Index(i) => line.push_str(&format!("[{i}]")),
                }
            }
            line.push_str(": ");
        }
        line.push_str(&error.message);
        lines.push(line);
    }
    Err(ValidationError::Schema(lines.join("\n")))
}

/// Validate a request body against one of Sahara's schemas.
pub fn validate(id: SchemaId, body: &Value) -> Result<(), ValidationError> {
    validate_with(id.schema(), body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_and_paths() {
        let err = validate(
            SchemaId::NodeGroupTemplate,
            &json!({"name": "a b", "flavor_id": true, "zz": 1, "b": 2}),
        )
        .unwrap_err();
        assert_eq!(
            err.message(),
            "name: 'a b' is not a 'valid_name_hostname'\nflavor_id: True is not of type 'flavor'\n\
             Additional properties are not allowed ('b', 'zz' were unexpected)\n'plugin_name' is a required property\n\
             'hadoop_version' is a required property\n'node_processes' is a required property"
        );
        assert_eq!(err.error_name(), "VALIDATION_ERROR");
    }

    #[test]
    fn job_location_raises() {
        let err = validate(SchemaId::JobBinary, &json!({"name": "a", "url": "nowhere"})).unwrap_err();
        assert_eq!(
            err,
            ValidationError::InvalidData("Job binary url must have a scheme".into())
        );
        let err = validate(SchemaId::JobBinary, &json!({"name": "a", "url": "swift://[x"})).unwrap_err();
        assert_eq!(err.error_code(), 500);
    }
}

#[cfg(test)]
mod deviation_tests {
    use super::*;

    /// The documented deviations stem from serde_json's number model; pin it so a change is noticed.
    #[test]
    fn serde_number_model() {
        let minus_zero: Value = serde_json::from_str("-0").unwrap();
        let big: Value = serde_json::from_str("18446744073709551616").unwrap();
        assert!(big.is_f64());
        assert!(minus_zero.is_f64());
        // Python: `0 is not of type 'string'`; here the value is the float -0.0.
        let err = validate_with(&serde_json::json!({"type": "string"}), &minus_zero).unwrap_err();
        assert_eq!(err.message(), "-0.0 is not of type 'string'");
    }
}
