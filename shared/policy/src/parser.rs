//! The policy language parser, token for token as oslo.policy's `_parser`: a whitespace
//! tokenizer that peels parentheses off token edges, and the greedy shift-reduce machine that
//! gives `not` > `and` > `or` precedence. A rule that does not reduce to one check is logged
//! and becomes `!` (always denied); an empty rule is `@`. The legacy list-of-lists form
//! (`[["role:a", "role:b"], ["role:c"]]`: inner lists and-ed, outer or-ed) is parsed too.

use serde_json::Value;

use crate::check::Check;
use crate::error::EvalError;
use crate::pyvalue::{json_type_name, py_isspace, truthy};

/// Parses a rule given as policy language text.
pub fn parse_rule(rule: &str) -> Check {
    if rule.is_empty() {
        return Check::True;
    }
    let mut state = ParseState::default();
    for token in tokenize(rule) {
        state.shift(token);
    }
    match state.result() {
        Some(check) => check,
        None => {
            tracing::error!(rule, "failed to understand rule; it will always be denied");
            Check::False
        }
    }
}

/// Parses a rule as a policy file holds it: a string in the policy language, or any other
/// value the way oslo's list-of-lists parser takes it (`null`, `false`, `0`, `[]`, `{}` are
/// `@`; a mapping stands for the list of its keys; a number or `true` raises `TypeError`).
pub fn parse_rule_value(rule: &Value) -> Result<Check, EvalError> {
    match rule {
        Value::String(s) => Ok(parse_rule(s)),
        other => parse_list_rule(other),
    }
}

/// The elements Python's `for x in value` yields for a JSON value (a dict yields its keys).
fn iterate(value: &Value) -> Result<Vec<Value>, EvalError> {
    match value {
        Value::Array(items) => Ok(items.clone()),
        Value::Object(map) => Ok(map.keys().map(|k| Value::String(k.clone())).collect()),
        Value::String(s) => Ok(s.chars().map(|c| Value::String(c.to_string())).collect()),
        other => Err(EvalError::type_error(format!(
            "'{}' object is not iterable",
            json_type_name(other)
        ))),
    }
}

fn parse_list_rule(rule: &Value) -> Result<Check, EvalError> {
    if !truthy(rule) {
        return Ok(Check::True);
    }
    let mut or_list = Vec::new();
    for inner in iterate(rule)? {
        if !truthy(&inner) {
            continue;
        }
        let inner_items = match inner {
            Value::String(_) => vec![inner],
            other => iterate(&other)?,
        };
        let mut and_list: Vec<Check> = inner_items
            .iter()
            .map(|r| match r {
                Value::String(s) => parse_check(s),
                other => {
                    tracing::error!(rule = %other, "failed to understand rule; it will always be denied");
                    Check::False
                }
            })
            .collect();
        if and_list.len() == 1 {
            or_list.push(and_list.remove(0));
        } else {
            or_list.push(Check::And(and_list));
        }
    }
    Ok(match or_list.len() {
        0 => Check::False,
        1 => or_list.remove(0),
        _ => Check::Or(or_list),
    })
}

/// Parses one `kind:match` check (no operators): `!`, `@`, `rule:`, `role:`, `http:`,
/// `https:`, or a generic check; without a colon it is logged and denied.
pub fn parse_check(rule: &str) -> Check {
    match rule {
        "!" => return Check::False,
        "@" => return Check::True,
        _ => {}
    }
    let Some((kind, matcher)) = rule.split_once(':') else {
        tracing::error!(rule, "failed to understand rule; it will always be denied");
        return Check::False;
    };
    match kind {
        "http" | "https" => Check::Http {
            kind: kind.to_string(),
            url: matcher.to_string(),
        },
        "rule" => Check::Rule(matcher.to_string()),
        "role" => Check::Role(matcher.to_string()),
        _ => Check::Generic {
            kind: kind.to_string(),
            matcher: matcher.to_string(),
        },
    }
}

#[derive(Debug)]
enum Token {
    Check(Check),
    AndExpr(Vec<Check>),
    OrExpr(Vec<Check>),
    And,
    Or,
    Not,
    LeftParen,
    RightParen,
    /// A quoted token: never reduces, so it makes the rule fail.
    Str,
}

/// oslo's `_parse_tokenize`.
fn tokenize(rule: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    for tok in rule.split(py_isspace) {
        if tok.is_empty() {
            continue;
        }
        let clean = tok.trim_start_matches('(');
        for _ in 0..tok.len() - clean.len() {
            tokens.push(Token::LeftParen);
        }
        if clean.is_empty() {
            continue;
        }
        let tok = clean;
        let clean = tok.trim_end_matches(')');
        let trail = tok.len() - clean.len();
        let lowered = clean.to_lowercase();
        match lowered.as_str() {
            "and" => tokens.push(Token::And),
            "or" => tokens.push(Token::Or),
            "not" => tokens.push(Token::Not),
            _ if !clean.is_empty() => {
                // The quote test looks at the token with its trailing parentheses, as oslo does.
                let first = tok.chars().next();
                let last = tok.chars().last();
                let quoted = tok.chars().count() >= 2 && first == last && matches!(first, Some('"' | '\''));
                tokens.push(if quoted {
                    Token::Str
                } else {
                    Token::Check(parse_check(clean))
                });
            }
            _ => {}
        }
        for _ in 0..trail {
            tokens.push(Token::RightParen);
        }
    }
    tokens
}

#[derive(Default)]
struct ParseState {
    stack: Vec<Token>,
}

impl ParseState {
    fn shift(&mut self, token: Token) {
        self.stack.push(token);
        self.reduce();
    }

    /// oslo's greedy `reduce`: try the three-token patterns, then `not <check>`, repeatedly.
    fn reduce(&mut self) {
        while self.reduce_three() || self.reduce_two() {}
    }

    fn reduce_three(&mut self) -> bool {
        let n = self.stack.len();
        if n < 3 {
            return false;
        }
        let replacement = match (&self.stack[n - 3], &self.stack[n - 2], &self.stack[n - 1]) {
            (Token::LeftParen, Token::Check(_) | Token::AndExpr(_) | Token::OrExpr(_), Token::RightParen) => {
                let inner = self.take(n - 2);
                Token::Check(into_check(inner))
            }
            (Token::Check(_), Token::And, Token::Check(_)) => {
                let (a, b) = (self.take_check(n - 3), self.take_check(n - 1));
                Token::AndExpr(vec![a, b])
            }
            (Token::AndExpr(_), Token::And, Token::Check(_)) => {
                let c = self.take_check(n - 1);
                let Token::AndExpr(mut rules) = self.take(n - 3) else {
                    unreachable!("matched an and-expression")
                };
                rules.push(c);
                Token::AndExpr(rules)
            }
            (Token::OrExpr(_), Token::And, Token::Check(_)) => {
                // `a or b and c`: the and binds the or's last check.
                let c = self.take_check(n - 1);
                let Token::OrExpr(mut rules) = self.take(n - 3) else {
                    unreachable!("matched an or-expression")
                };
                let last = rules.pop().unwrap_or(Check::True);
                let joined = match last {
                    Check::And(mut inner) => {
                        inner.push(c);
                        Check::And(inner)
                    }
                    other => Check::And(vec![other, c]),
                };
                rules.push(joined);
                Token::OrExpr(rules)
            }
            (Token::Check(_) | Token::AndExpr(_), Token::Or, Token::Check(_)) => {
                let b = self.take_check(n - 1);
                let a = into_check(self.take(n - 3));
                Token::OrExpr(vec![a, b])
            }
            (Token::OrExpr(_), Token::Or, Token::Check(_)) => {
                let c = self.take_check(n - 1);
                let Token::OrExpr(mut rules) = self.take(n - 3) else {
                    unreachable!("matched an or-expression")
                };
                rules.push(c);
                Token::OrExpr(rules)
            }
            _ => return false,
        };
        self.stack.truncate(n - 3);
        self.stack.push(replacement);
        true
    }

    fn reduce_two(&mut self) -> bool {
        let n = self.stack.len();
        if n < 2 || !matches!((&self.stack[n - 2], &self.stack[n - 1]), (Token::Not, Token::Check(_))) {
            return false;
        }
        let c = self.take_check(n - 1);
        self.stack.truncate(n - 2);
        self.stack.push(Token::Check(Check::Not(Box::new(c))));
        true
    }

    /// Moves the token at `i` out (leaving a placeholder that the caller truncates away).
    fn take(&mut self, i: usize) -> Token {
        std::mem::replace(&mut self.stack[i], Token::Str)
    }

    fn take_check(&mut self, i: usize) -> Check {
        into_check(self.take(i))
    }

    /// The parse result: exactly one token left, and it is a check.
    fn result(mut self) -> Option<Check> {
        if self.stack.len() != 1 {
            return None;
        }
        match self.stack.pop() {
            Some(t @ (Token::Check(_) | Token::AndExpr(_) | Token::OrExpr(_))) => Some(into_check(t)),
            _ => None,
        }
    }
}

fn into_check(token: Token) -> Check {
    match token {
        Token::Check(c) => c,
        Token::AndExpr(rules) => Check::And(rules),
        Token::OrExpr(rules) => Check::Or(rules),
        _ => Check::False,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parsed(rule: &str) -> String {
        parse_rule(rule).to_string()
    }

    #[test]
    fn precedence_and_grouping_match_oslo() {
        assert_eq!(parsed(""), "@");
        assert_eq!(parsed("   "), "!");
        assert_eq!(parsed("role:a or role:b and role:c"), "(role:a or (role:b and role:c))");
        assert_eq!(parsed("role:a and role:b or role:c"), "((role:a and role:b) or role:c)");
        assert_eq!(
            parsed("role:a or role:b and role:c and role:d or role:e"),
            "(role:a or (role:b and role:c and role:d) or role:e)"
        );
        assert_eq!(parsed("not role:a and role:b"), "(not role:a and role:b)");
        assert_eq!(parsed("not (role:a and role:b)"), "not (role:a and role:b)");
        assert_eq!(parsed("((role:a))"), "role:a");
        assert_eq!(parsed("NOT not role:a"), "not not role:a");
        assert_eq!(
            parsed("role:a AND (role:b Or role:c)"),
            "(role:a and (role:b or role:c))"
        );
        assert_eq!(parsed("project_id:%(project_id)s"), "project_id:%(project_id)s");
        assert_eq!(parsed("role:a role:b"), "!");
        assert_eq!(parsed("role:a and"), "!");
        assert_eq!(parsed("(role:a"), "!");
        assert_eq!(parsed("'role:a'"), "!");
        assert_eq!(parsed("'role:a') or @"), "!");
        assert_eq!(parsed("noColon or @"), "(! or @)");
        assert_eq!(parsed("http://example.com/%(x)s"), "http://example.com/%(x)s");
    }

    #[test]
    fn list_rules_match_oslo() {
        let p = |v: Value| parse_rule_value(&v).map(|c| c.to_string()).map_err(|e| e.kind);
        assert_eq!(p(json!([])), Ok("@".into()));
        assert_eq!(p(json!([[]])), Ok("!".into()));
        assert_eq!(p(json!(null)), Ok("@".into()));
        assert_eq!(p(json!(false)), Ok("@".into()));
        assert_eq!(
            p(json!([["role:a", "role:b"], ["role:c"]])),
            Ok("((role:a and role:b) or role:c)".into())
        );
        assert_eq!(
            p(json!(["role:a", "role:b and x"])),
            Ok("(role:a or role:b and x)".into())
        );
        assert_eq!(p(json!({"role:a": 1})), Ok("role:a".into()));
        assert_eq!(p(json!([[1]])), Ok("!".into()));
        assert!(p(json!(5)).is_err());
        assert!(p(json!([5])).is_err());
    }
}
