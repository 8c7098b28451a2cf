//! The check tree a rule parses into, and its evaluation against a target and credentials,
//! as oslo.policy's `_checks` module does it.

use std::fmt;

use serde_json::Value;

use crate::error::{EvalError, PyExceptionKind};
use crate::format::{FormatError, percent_format};
use crate::literal::{LiteralEval, literal_eval};
use crate::pyvalue::{json_str, json_type_name};
use crate::rules::Rules;

/// How deep checks may nest (rule references included) before evaluation fails the way
/// Python's recursion limit makes oslo fail (a rule chain of about 320 references).
pub const MAX_DEPTH: usize = 300;

/// One node of a parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// `@` or an empty rule: always allowed.
    True,
    /// `!` or a malformed rule: always denied.
    False,
    /// `not <check>`.
    Not(Box<Check>),
    /// `<check> and <check> ...`, evaluated left to right, stopping at the first false.
    And(Vec<Check>),
    /// `<check> or <check> ...`, evaluated left to right, stopping at the first true.
    Or(Vec<Check>),
    /// `rule:<name>`: the named rule (or the default rule when the name is unknown).
    Rule(String),
    /// `role:<name>`: a role of the credentials, case-insensitively; `<name>` is `%`-formatted.
    Role(String),
    /// `http:` / `https:` remote checks: not supported here, always denied.
    Http {
        /// `http` or `https`.
        kind: String,
        /// The URL without the scheme's colon.
        url: String,
    },
    /// `<kind>:<match>`: `match % target` compared with a literal `kind` or the credential at
    /// the dotted path `kind`.
    Generic {
        /// The left side: a Python literal or a dotted credential path.
        kind: String,
        /// The right side, `%`-formatted with the target.
        matcher: String,
    },
}

impl fmt::Display for Check {
    /// oslo's `str(check)`: `@`, `!`, `not x`, `(a and b)`, `(a or b)`, `kind:match`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::True => f.write_str("@"),
            Self::False => f.write_str("!"),
            Self::Not(c) => write!(f, "not {c}"),
            Self::And(rules) => write_joined(f, rules, " and "),
            Self::Or(rules) => write_joined(f, rules, " or "),
            Self::Rule(m) => write!(f, "rule:{m}"),
            Self::Role(m) => write!(f, "role:{m}"),
            Self::Http { kind, url } => write!(f, "{kind}:{url}"),
            Self::Generic { kind, matcher } => write!(f, "{kind}:{matcher}"),
        }
    }
}

fn write_joined(f: &mut fmt::Formatter<'_>, rules: &[Check], sep: &str) -> fmt::Result {
    f.write_str("(")?;
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{r}")?;
    }
    f.write_str(")")
}

/// What a check is evaluated against.
pub(crate) struct Context<'a> {
    pub(crate) rules: &'a Rules,
    pub(crate) target: &'a Value,
    pub(crate) creds: &'a Value,
}

impl Check {
    /// Evaluates the check: `Ok(allowed)`, or the exception oslo would let escape.
    pub(crate) fn evaluate(&self, ctx: &Context<'_>, depth: usize) -> Result<bool, EvalError> {
        if depth > MAX_DEPTH {
            return Err(EvalError::new(
                PyExceptionKind::RecursionError,
                "maximum recursion depth exceeded while evaluating a rule",
            ));
        }
        match self {
            Self::True => Ok(true),
            Self::False => Ok(false),
            Self::Not(c) => Ok(!c.evaluate(ctx, depth + 1)?),
            Self::And(rules) => {
                for r in rules {
                    if !r.evaluate(ctx, depth + 1)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Self::Or(rules) => {
                for r in rules {
                    if r.evaluate(ctx, depth + 1)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Self::Rule(name) => match ctx.rules.lookup(name) {
                Some(rule) => rule.evaluate(ctx, depth + 1),
                None => Ok(false),
            },
            Self::Role(m) => role_check(m, ctx),
            Self::Http { kind, url } => {
                tracing::warn!(kind = %kind, url = %url, "remote policy checks are not supported; denying");
                Ok(false)
            }
            Self::Generic { kind, matcher } => generic_check(kind, matcher, ctx),
        }
    }
}

/// `match % target`, with a missing key answered as `None` (the check is then false).
fn substitute(matcher: &str, target: &Value) -> Result<Option<String>, EvalError> {
    match percent_format(matcher, target) {
        Ok(s) => Ok(Some(s)),
        Err(FormatError::KeyError) => Ok(None),
        Err(FormatError::Other(e)) => Err(e),
    }
}

fn role_check(matcher: &str, ctx: &Context<'_>) -> Result<bool, EvalError> {
    let Some(wanted) = substitute(matcher, ctx.target)? else {
        return Ok(false);
    };
    let Some(roles) = ctx.creds.get("roles") else {
        return Ok(false);
    };
    // `[x.lower() for x in creds['roles']]`: every element is lowered before the membership
    // test, so one non-string role fails the check even when the wanted role is present.
    let lowered: Vec<String> = match roles {
        Value::Array(items) => items
            .iter()
            .map(|x| match x {
                Value::String(s) => Ok(s.to_lowercase()),
                other => Err(EvalError::new(
                    PyExceptionKind::AttributeError,
                    format!("'{}' object has no attribute 'lower'", json_type_name(other)),
                )),
            })
            .collect::<Result<_, _>>()?,
        Value::String(s) => s.chars().map(|c| c.to_string().to_lowercase()).collect(),
        Value::Object(map) => map.keys().map(|k| k.to_lowercase()).collect(),
        other => {
            return Err(EvalError::type_error(format!(
                "'{}' object is not iterable",
                json_type_name(other)
            )));
        }
    };
    Ok(lowered.contains(&wanted.to_lowercase()))
}

fn generic_check(kind: &str, matcher: &str, ctx: &Context<'_>) -> Result<bool, EvalError> {
    let Some(wanted) = substitute(matcher, ctx.target)? else {
        return Ok(false);
    };
    match literal_eval(kind) {
        LiteralEval::Value(v) => Ok(wanted == v.py_str()),
        LiteralEval::Error(e) => Err(e),
        LiteralEval::NotLiteral => {
            let path: Vec<&str> = kind.split('.').collect();
            find_in_dict(ctx.creds, &path, &wanted)
        }
    }
}

/// oslo's `GenericCheck._find_in_dict`: walks `path` through dicts; a list along the way
/// matches when any of its elements matches the rest of the path.
fn find_in_dict(value: &Value, path: &[&str], wanted: &str) -> Result<bool, EvalError> {
    let Some((key, rest)) = path.split_first() else {
        return Ok(wanted == json_str(value));
    };
    let next = match value {
        Value::Object(map) => match map.get(*key) {
            Some(v) => v,
            None => return Ok(false),
        },
        Value::Array(_) => {
            return Err(EvalError::type_error(
                "list indices must be integers or slices, not str",
            ));
        }
        Value::String(_) => return Err(EvalError::type_error("string indices must be integers, not 'str'")),
        other => {
            return Err(EvalError::type_error(format!(
                "'{}' object is not subscriptable",
                json_type_name(other)
            )));
        }
    };
    if let Value::Array(items) = next {
        for item in items {
            if find_in_dict(item, rest, wanted)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    find_in_dict(next, rest, wanted)
}
