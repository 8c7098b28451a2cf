//! Remote exceptions as oslo.messaging serialises them in a reply's `failure` string.

use crate::json::to_python_json_string;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// Module of oslo.messaging's dispatcher exceptions.
pub const DISPATCHER_MODULE: &str = "oslo_messaging.rpc.dispatcher";

/// An exception raised by the remote side of a call, as carried in `failure`.
///
/// On the wire (a JSON *string* inside the reply) it is
/// `{"class", "module", "message", "tb", "args", "kwargs"}` in that order.
#[derive(Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub struct RemoteError {
    /// Exception class name, e.g. `ValueError` or `NoSuchMethod`.
    #[serde(rename = "class")]
    pub class: String,
    /// Python module of the class, e.g. `builtins`.
    pub module: String,
    /// `str(exception)`.
    pub message: String,
    /// Traceback lines (each ending in a newline), as Python formats them.
    #[serde(default)]
    pub tb: Vec<String>,
    /// Constructor positional arguments.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Constructor keyword arguments (oslo-style exceptions carry `code` etc. here).
    #[serde(default)]
    pub kwargs: Map<String, Value>,
}

impl RemoteError {
    /// A remote error of `module.class` with `message` as its only argument.
    pub fn new(module: impl Into<String>, class: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        RemoteError {
            class: class.into(),
            module: module.into(),
            args: vec![Value::String(message.clone())],
            message,
            tb: Vec::new(),
            kwargs: Map::new(),
        }
    }

    /// A Python builtin exception (`ValueError`, `KeyError`, `TypeError`, ...), which a
    /// Python caller re-raises as that very class.
    pub fn builtin(class: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new("builtins", class, message)
    }

    /// oslo's `NoSuchMethod`, replied when a compatible endpoint lacks the method.
    pub fn no_such_method(method: &str) -> Self {
        Self::new(
            DISPATCHER_MODULE,
            "NoSuchMethod",
            format!("Endpoint does not support RPC method {method}"),
        )
    }

    /// oslo's `UnsupportedVersion`, replied when no endpoint accepts the version.
    pub fn unsupported_version(version: &str, method: &str) -> Self {
        Self::new(
            DISPATCHER_MODULE,
            "UnsupportedVersion",
            format!("Endpoint does not support RPC version {version}. Attempted method: {method}"),
        )
    }

    /// Adds keyword arguments (e.g. Sahara's `code`) to the exception.
    pub fn with_kwargs(mut self, kwargs: Map<String, Value>) -> Self {
        self.kwargs = kwargs;
        self
    }

    /// True when this is `module.class`.
    pub fn is(&self, module: &str, class: &str) -> bool {
        self.module.trim_end_matches("_Remote") == module && self.class.trim_end_matches("_Remote") == class
    }

    /// True for oslo's `NoSuchMethod`.
    pub fn is_no_such_method(&self) -> bool {
        self.is(DISPATCHER_MODULE, "NoSuchMethod")
    }

    /// True for oslo's `UnsupportedVersion`.
    pub fn is_unsupported_version(&self) -> bool {
        self.is(DISPATCHER_MODULE, "UnsupportedVersion")
    }

    /// The `failure` string put in a reply. A traceback naming the method is added when
    /// none was given, so Python callers print something meaningful.
    pub fn to_failure_string(&self, method: &str) -> String {
        let mut me = self.clone();
        me.class = me.class.trim_end_matches("_Remote").to_string();
        me.module = me.module.trim_end_matches("_Remote").to_string();
        if me.tb.is_empty() {
            let qualified = if me.module == "builtins" || me.module == "exceptions" {
                me.class.clone()
            } else {
                format!("{}.{}", me.module, me.class)
            };
            me.tb = vec![
                "Traceback (most recent call last):\n".to_string(),
                format!("  File \"sahara-rpc\", in dispatch of {method}\n"),
                format!("{qualified}: {}\n", me.message),
            ];
        }
        to_python_json_string(&me)
    }

    /// Parses a reply's `failure` string. Unknown shapes become a `RemoteError` of class
    /// `RemoteError` holding the raw text, so nothing is lost.
    pub fn from_failure_string(failure: &str) -> Self {
        match serde_json::from_str::<RemoteError>(failure) {
            Ok(mut e) => {
                e.class = e.class.trim_end_matches("_Remote").to_string();
                e.module = e.module.trim_end_matches("_Remote").to_string();
                e
            }
            Err(_) => RemoteError::new("oslo_messaging.exceptions", "RemoteError", failure.to_string()),
        }
    }
}

impl fmt::Display for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Remote error: {} {}", self.class, self.message)
    }
}

impl fmt::Debug for RemoteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteError")
            .field("module", &self.module)
            .field("class", &self.class)
            .field("message", &self.message)
            .field("kwargs", &self.kwargs)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_string_has_oslo_key_order() {
        let e = RemoteError::builtin("ValueError", "boom");
        let s = e.to_failure_string("fail");
        assert!(
            s.starts_with(r#"{"class": "ValueError", "module": "builtins", "message": "boom", "tb": ["Traceback"#),
            "{s}"
        );
        assert!(
            s.ends_with(r#""ValueError: boom\n"], "args": ["boom"], "kwargs": {}}"#),
            "{s}"
        );
        let back = RemoteError::from_failure_string(&s);
        assert_eq!(back.class, "ValueError");
        assert_eq!(back.message, "boom");
    }

    #[test]
    fn remote_suffix_is_stripped() {
        let e = RemoteError::from_failure_string(
            r#"{"class": "NoSuchMethod_Remote", "module": "oslo_messaging.rpc.dispatcher_Remote", "message": "m", "tb": [], "args": [], "kwargs": {}}"#,
        );
        assert!(e.is_no_such_method());
    }

    #[test]
    fn garbage_failure_is_kept_as_text() {
        let e = RemoteError::from_failure_string("not json");
        assert_eq!(e.class, "RemoteError");
        assert_eq!(e.message, "not json");
    }
}
