//! Failure injection: rules an admin sets (`POST /testcloud/v1/faults`, see
//! [`super::api::admin`]) that make the next matching servers fail to build, boot slowly,
//! or come up unreachable, and that make Heat stacks time out.
//!
//! A rule matches by kind, optionally by a regular expression on the resource's name and
//! by project, and fires `count` times (or forever when `count` is absent). Rules are
//! consumed in the order they were made.

use serde::{Deserialize, Serialize};

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FaultKind {
    /// The server goes to ERROR with this fault message instead of booting.
    ServerError {
        /// Nova's `fault.message`.
        #[serde(default = "default_error_message")]
        message: String,
    },
    /// The server stays in BUILD this long before it boots.
    BootDelay {
        /// Seconds.
        seconds: f64,
    },
    /// The server becomes ACTIVE with its addresses, but no host answers on them (its
    /// namespace and sshd are not made).
    Unreachable,
    /// Heat's hook: a stack whose name matches fails with Heat's timeout reason. Heat
    /// asks with [`super::Cloud::take_stack_fault`].
    StackTimeout,
}

fn default_error_message() -> String {
    "Injected fault: the instance failed to spawn".to_string()
}

impl FaultKind {
    /// Whether the rule is about servers (vs. stacks).
    pub fn applies_to_servers(&self) -> bool {
        !matches!(self, FaultKind::StackTimeout)
    }
}

/// One injected fault rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Its id.
    pub id: String,
    /// What it does.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// A regular expression the server's (or stack's) name must match (search, not full
    /// match, as Nova's name filter).
    #[serde(default)]
    pub name: Option<String>,
    /// The project the resource must belong to.
    #[serde(default)]
    pub project_id: Option<String>,
    /// How many more times it fires (`None`: every time).
    #[serde(default)]
    pub count: Option<u32>,
}

impl FaultRule {
    /// Whether the rule applies to a resource named `name` in `project_id`.
    pub fn matches(&self, name: &str, project_id: &str) -> bool {
        if self.count == Some(0) {
            return false;
        }
        if self.project_id.as_deref().is_some_and(|p| p != project_id) {
            return false;
        }
        match &self.name {
            None => true,
            Some(pattern) => regex_lite::Regex::new(pattern).is_ok_and(|re| re.is_match(name)),
        }
    }
}

/// Checks a rule's pattern compiles.
pub fn validate_pattern(pattern: &str) -> Result<(), String> {
    regex_lite::Regex::new(pattern)
        .map(|_| ())
        .map_err(|e| format!("invalid name pattern {pattern:?}: {e}"))
}

/// Takes the faults that fire for a server: every matching server rule's kind, one firing
/// each (decrementing counts and dropping spent rules).
pub fn take_server_faults(rules: &mut Vec<FaultRule>, name: &str, project_id: &str) -> Vec<FaultKind> {
    take(rules, name, project_id, |k| k.applies_to_servers())
}

/// Takes a stack timeout rule matching the stack, if any.
pub fn take_stack_fault(rules: &mut Vec<FaultRule>, name: &str, project_id: &str) -> Option<FaultKind> {
    take(rules, name, project_id, |k| matches!(k, FaultKind::StackTimeout))
        .into_iter()
        .next()
}

fn take(
    rules: &mut Vec<FaultRule>,
    name: &str,
    project_id: &str,
    which: impl Fn(&FaultKind) -> bool,
) -> Vec<FaultKind> {
    let mut fired = Vec::new();
    for rule in rules.iter_mut() {
        if which(&rule.kind) && rule.matches(name, project_id) {
            // One rule of each kind at most: the oldest wins.
            if fired
                .iter()
                .any(|k: &FaultKind| std::mem::discriminant(k) == std::mem::discriminant(&rule.kind))
            {
                continue;
            }
            fired.push(rule.kind.clone());
            if let Some(c) = rule.count.as_mut() {
                *c -= 1;
            }
        }
    }
    rules.retain(|r| r.count != Some(0));
    fired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(kind: FaultKind, name: Option<&str>, count: Option<u32>) -> FaultRule {
        FaultRule {
            id: "f".into(),
            kind,
            name: name.map(String::from),
            project_id: None,
            count,
        }
    }

    #[test]
    fn counted_rules_fire_then_vanish() {
        let mut rules = vec![rule(
            FaultKind::ServerError { message: "boom".into() },
            Some("^bad-"),
            Some(2),
        )];
        assert!(take_server_faults(&mut rules, "good-1", "p").is_empty());
        assert_eq!(take_server_faults(&mut rules, "bad-1", "p").len(), 1);
        assert_eq!(
            take_server_faults(&mut rules, "x-bad-2", "p").len(),
            0,
            "the pattern is a search from ^"
        );
        assert_eq!(take_server_faults(&mut rules, "bad-2", "p").len(), 1);
        assert!(rules.is_empty());
        assert!(take_server_faults(&mut rules, "bad-3", "p").is_empty());
    }

    #[test]
    fn kinds_combine_and_projects_filter() {
        let mut rules = vec![
            rule(FaultKind::BootDelay { seconds: 1.0 }, None, None),
            rule(FaultKind::Unreachable, None, Some(1)),
            rule(FaultKind::StackTimeout, None, Some(1)),
        ];
        rules[1].project_id = Some("p1".into());
        let fired = take_server_faults(&mut rules, "s", "p2");
        assert_eq!(fired, vec![FaultKind::BootDelay { seconds: 1.0 }]);
        let fired = take_server_faults(&mut rules, "s", "p1");
        assert_eq!(fired.len(), 2);
        assert_eq!(rules.len(), 2, "the unlimited delay and the stack rule stay");
        assert_eq!(
            take_stack_fault(&mut rules, "stack", "p1"),
            Some(FaultKind::StackTimeout)
        );
        assert_eq!(take_stack_fault(&mut rules, "stack", "p1"), None);
    }

    #[test]
    fn rules_read_as_the_endpoint_documents() {
        let r: FaultRule = serde_json::from_value(serde_json::json!({
            "id": "x", "type": "server_error", "name": "worker", "count": 1
        }))
        .unwrap();
        assert_eq!(
            r.kind,
            FaultKind::ServerError {
                message: default_error_message()
            }
        );
        assert!(validate_pattern("(").is_err());
    }
}
