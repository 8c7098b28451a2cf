//! A set of named rules with oslo's default-rule fallback (`Rules.__missing__`), loading from
//! policy file text (YAML, of which JSON is a subset), and evaluation entry points.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::Value;

use crate::check::{Check, Context};
use crate::error::{EvalError, PyExceptionKind};
use crate::parser::parse_rule_value;
use crate::pyvalue::truthy;

/// Named rules, and the name of the rule used when a requested one is missing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    rules: BTreeMap<String, Check>,
    default_rule: Option<String>,
}

impl Rules {
    /// Rules from parsed checks, with `default_rule` (oslo's `policy_default_rule`).
    pub fn new(rules: BTreeMap<String, Check>, default_rule: Option<String>) -> Self {
        Self { rules, default_rule }
    }

    /// Parses a policy file's text (`Rules.load`): YAML or JSON mapping rule names to rules.
    /// Empty text (or a falsy document) gives no rules; a non-mapping document or a rule value
    /// oslo cannot iterate is an error, as is text that is not YAML.
    pub fn load(text: &str, default_rule: Option<String>) -> Result<Self, EvalError> {
        let document = parse_policy_document(text)?;
        let mut rules = BTreeMap::new();
        for (name, value) in document {
            rules.insert(name, parse_rule_value(&value)?);
        }
        Ok(Self::new(rules, default_rule))
    }

    /// The rule called `name`, or, when there is none, the default rule if that one exists.
    pub fn lookup(&self, name: &str) -> Option<&Check> {
        self.rules.get(name).or_else(|| {
            let default = self.default_rule.as_deref().filter(|d| !d.is_empty())?;
            self.rules.get(default)
        })
    }

    /// Whether a rule called exactly `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.rules.contains_key(name)
    }

    /// Adds or replaces a rule.
    pub fn insert(&mut self, name: impl Into<String>, check: Check) {
        self.rules.insert(name.into(), check);
    }

    /// Adds every rule of `other`, replacing same-named ones (`dict.update`).
    pub fn update(&mut self, other: Rules) {
        self.rules.extend(other.rules);
    }

    /// The number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules (oslo then denies everything).
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rules by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Check)> {
        self.rules.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The default rule's name.
    pub fn default_rule(&self) -> Option<&str> {
        self.default_rule.as_deref()
    }

    /// Evaluates a check tree (oslo's `enforce` with a `BaseCheck`).
    pub fn check(&self, check: &Check, target: &Value, creds: &Value) -> Result<bool, EvalError> {
        let creds = with_system_scope(creds);
        let ctx = Context {
            rules: self,
            target,
            creds: creds.as_ref(),
        };
        check.evaluate(&ctx, 0)
    }

    /// Evaluates the rule called `name` (oslo's `enforce` with a rule name): no rules at all,
    /// or an unknown name without a usable default rule, is denied.
    pub fn enforce(&self, name: &str, target: &Value, creds: &Value) -> Result<bool, EvalError> {
        if self.is_empty() {
            return Ok(false);
        }
        match self.lookup(name) {
            Some(check) => self.check(check, target, creds),
            None => {
                tracing::debug!(rule = name, "rule does not exist");
                Ok(false)
            }
        }
    }

    /// Names of rules that reference an undefined rule (`rule:x` with no `x`), for logging.
    pub fn undefined_references(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|(_, check)| self.references_undefined(check))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    fn references_undefined(&self, check: &Check) -> bool {
        match check {
            Check::Rule(name) => !self.rules.contains_key(name),
            Check::And(rules) | Check::Or(rules) => rules.iter().any(|r| self.references_undefined(r)),
            _ => false,
        }
    }

    /// Names of rules that take part in a cycle of `rule:` references, for logging.
    pub fn cyclic_rules(&self) -> Vec<&str> {
        self.rules
            .iter()
            .filter(|(_, check)| self.has_cycle(check, &mut Vec::new()))
            .map(|(name, _)| name.as_str())
            .collect()
    }

    fn has_cycle(&self, check: &Check, seen: &mut Vec<String>) -> bool {
        match check {
            Check::Rule(name) => {
                if seen.contains(name) {
                    return true;
                }
                seen.push(name.clone());
                self.rules.get(name).is_some_and(|c| self.has_cycle(c, seen))
            }
            Check::And(rules) | Check::Or(rules) => rules.iter().any(|r| self.has_cycle(r, &mut seen.clone())),
            _ => false,
        }
    }
}

/// oslo's `enforce` copies a truthy `system_scope` credential to `system` before evaluating.
fn with_system_scope(creds: &Value) -> Cow<'_, Value> {
    match creds.get("system_scope").filter(|v| truthy(v)) {
        Some(scope) => {
            let scope = scope.clone();
            let mut creds = creds.clone();
            if let Value::Object(map) = &mut creds {
                map.insert("system".into(), scope);
            }
            Cow::Owned(creds)
        }
        None => Cow::Borrowed(creds),
    }
}

/// `parse_file_contents`: `yaml.safe_load(text) or {}`, which must then be a mapping. A key
/// given twice keeps its last value, as PyYAML does.
fn parse_policy_document(text: &str) -> Result<Vec<(String, Value)>, EvalError> {
    let document: Doc = serde_yaml_ng::from_str(text).map_err(|e| EvalError::value_error(e.to_string()))?;
    if !document.truthy() {
        return Ok(Vec::new());
    }
    let Doc::Map(entries) = document else {
        return Err(EvalError::new(
            PyExceptionKind::AttributeError,
            "the policy document has no attribute 'items': it is not a mapping",
        ));
    };
    let mut out: Vec<(String, Value)> = Vec::new();
    for (key, value) in entries {
        let Doc::Str(name) = key else {
            tracing::warn!(key = ?key, "policy rule name is not a string; it can never be enforced");
            continue;
        };
        let value = value.into_rule_value();
        match out.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => out.push((name, value)),
        }
    }
    Ok(out)
}

/// A YAML document as PyYAML's safe loader would build it (duplicate keys kept in order).
#[derive(Debug, Clone, PartialEq)]
enum Doc {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Seq(Vec<Doc>),
    Map(Vec<(Doc, Doc)>),
}

impl Doc {
    fn truthy(&self) -> bool {
        match self {
            Self::Null => false,
            Self::Bool(b) => *b,
            Self::Int(i) => *i != 0,
            Self::Float(f) => *f != 0.0,
            Self::Str(s) => !s.is_empty(),
            Self::Seq(items) => !items.is_empty(),
            Self::Map(entries) => !entries.is_empty(),
        }
    }

    /// The JSON value the rule parser takes. A mapping in a rule position only matters
    /// through its keys (oslo iterates it), so it becomes the list of its keys, non-string
    /// keys as `null` (which, like oslo's non-string checks, parse as `!`). A truthy number
    /// that JSON cannot hold (`.inf`) stays truthy and non-iterable.
    fn into_rule_value(self) -> Value {
        match self {
            Self::Null => Value::Null,
            Self::Bool(b) => Value::Bool(b),
            Self::Int(i) => i64::try_from(i).map_or(Value::Bool(true), Value::from),
            Self::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Bool(true), Value::Number),
            Self::Str(s) => Value::String(s),
            Self::Seq(items) => Value::Array(items.into_iter().map(Self::into_rule_value).collect()),
            Self::Map(entries) => Value::Array(
                entries
                    .into_iter()
                    .map(|(k, _)| match k {
                        Self::Str(s) => Value::String(s),
                        _ => Value::Null,
                    })
                    .collect(),
            ),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Doc {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> serde::de::Visitor<'de> for DocVisitor {
    type Value = Doc;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Doc, E> {
        Ok(Doc::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Doc, E> {
        Ok(Doc::Int(i128::from(v)))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Doc, E> {
        Ok(Doc::Int(i128::from(v)))
    }

    fn visit_i128<E>(self, v: i128) -> Result<Doc, E> {
        Ok(Doc::Int(v))
    }

    fn visit_u128<E>(self, v: u128) -> Result<Doc, E> {
        Ok(Doc::Int(i128::try_from(v).unwrap_or(i128::MAX)))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Doc, E> {
        Ok(Doc::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Doc, E> {
        Ok(Doc::Str(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Doc, E> {
        Ok(Doc::Str(v))
    }

    fn visit_unit<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Doc, E> {
        Ok(Doc::Null)
    }

    fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Doc>()? {
            items.push(item);
        }
        Ok(Doc::Seq(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Doc, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<Doc, Doc>()? {
            entries.push((k, v));
        }
        Ok(Doc::Map(entries))
    }

    /// A tagged value: the YAML core tags and the non-specific `!` keep their value; any other
    /// tag (`!foo x`) fails,
    /// as PyYAML's safe loader has no constructor for it.
    fn visit_enum<A: serde::de::EnumAccess<'de>>(self, data: A) -> Result<Doc, A::Error> {
        use serde::de::{Error, VariantAccess};
        let (tag, variant): (String, _) = data.variant()?;
        let value = variant.newtype_variant::<Doc>()?;
        if tag == "!" || tag.starts_with("!!") || tag.starts_with("tag:yaml.org,2002:") {
            Ok(value)
        } else {
            Err(A::Error::custom(format!(
                "could not determine a constructor for the tag '{tag}'"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn default_rule_fallback_follows_rules_missing() {
        let rules = Rules::load("default: 'role:admin'\nx: 'rule:nope'\n", Some("default".into())).unwrap();
        let admin = json!({"roles": ["admin"]});
        let member = json!({"roles": ["member"]});
        assert!(rules.enforce("unknown", &json!({}), &admin).unwrap());
        assert!(!rules.enforce("unknown", &json!({}), &member).unwrap());
        assert!(rules.enforce("x", &json!({}), &admin).unwrap());
        let no_default = Rules::load("x: 'rule:nope'\n", Some("default".into())).unwrap();
        assert!(!no_default.enforce("x", &json!({}), &admin).unwrap());
        assert!(!no_default.enforce("unknown", &json!({}), &admin).unwrap());
    }

    #[test]
    fn documents_load_like_parse_file_contents() {
        assert!(Rules::load("", None).unwrap().is_empty());
        assert!(Rules::load("[]", None).unwrap().is_empty());
        assert_eq!(
            Rules::load("[1]", None).unwrap_err().kind,
            PyExceptionKind::AttributeError
        );
        assert_eq!(Rules::load("{", None).unwrap_err().kind, PyExceptionKind::ValueError);
        let r = Rules::load("{\"a\": \"\", \"b\": null, \"c\": [[\"role:x\"]]}", None).unwrap();
        assert_eq!(r.lookup("a"), Some(&Check::True));
        assert_eq!(r.lookup("b"), Some(&Check::True));
        assert_eq!(r.lookup("c"), Some(&Check::Role("x".into())));
    }

    #[test]
    fn cycles_and_undefined_references_are_found() {
        let r = Rules::load("a: 'rule:b'\nb: 'rule:a or @'\nc: 'rule:zzz'\n", None).unwrap();
        assert_eq!(r.undefined_references(), vec!["c"]);
        assert_eq!(r.cyclic_rules(), vec!["a", "b"]);
        assert_eq!(
            r.enforce("a", &json!({}), &json!({})).unwrap_err().kind,
            PyExceptionKind::RecursionError
        );
    }
}
