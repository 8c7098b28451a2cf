//! The crate's errors: a denied rule, an unregistered rule, a bad policy file, and the Python
//! exceptions that oslo.policy lets escape from a check (which Sahara turns into a 500).

use std::fmt;
use std::path::PathBuf;

/// The Python exception class that oslo.policy would raise while evaluating or loading a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PyExceptionKind {
    /// `SyntaxError`: a generic check's left side is not a Python expression (`a'b:x`).
    SyntaxError,
    /// `TypeError`: a bad `%` format, a lookup into a non-dict credential, a non-iterable rule.
    TypeError,
    /// `ValueError`: an incomplete or unsupported `%` format, a policy file that is not YAML.
    ValueError,
    /// `AttributeError`: a non-string role, a policy file whose top level is not a mapping.
    AttributeError,
    /// `RecursionError` (oslo surfaces it as a `TypeError`): rule references nested too deeply.
    RecursionError,
    /// A Python behaviour this crate does not reproduce (e.g. `%f` formats, `\N{...}` escapes).
    Unsupported,
}

impl PyExceptionKind {
    /// The Python class name, as the fidelity driver prints it.
    pub fn class_name(self) -> &'static str {
        match self {
            Self::SyntaxError => "SyntaxError",
            Self::TypeError => "TypeError",
            Self::ValueError => "ValueError",
            Self::AttributeError => "AttributeError",
            Self::RecursionError => "RecursionError",
            Self::Unsupported => "Unsupported",
        }
    }
}

/// An exception raised while evaluating (or loading) a rule, as oslo.policy would raise it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.class_name())]
pub struct EvalError {
    /// Which Python exception this is.
    pub kind: PyExceptionKind,
    /// The exception's message (close to Python's, not guaranteed identical).
    pub message: String,
}

impl EvalError {
    /// An error of `kind` with `message`.
    pub fn new(kind: PyExceptionKind, message: impl fmt::Display) -> Self {
        Self {
            kind,
            message: message.to_string(),
        }
    }

    pub(crate) fn type_error(message: impl fmt::Display) -> Self {
        Self::new(PyExceptionKind::TypeError, message)
    }

    pub(crate) fn value_error(message: impl fmt::Display) -> Self {
        Self::new(PyExceptionKind::ValueError, message)
    }

    pub(crate) fn syntax_error(message: impl fmt::Display) -> Self {
        Self::new(PyExceptionKind::SyntaxError, message)
    }

    pub(crate) fn unsupported(message: impl fmt::Display) -> Self {
        Self::new(PyExceptionKind::Unsupported, message)
    }
}

/// The errors of policy loading and enforcement.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The rule denied the request: Sahara's 403 `FORBIDDEN`.
    #[error("You are not authorized to complete this action ({rule} is disallowed by policy)")]
    Forbidden {
        /// The rule that was enforced.
        rule: String,
    },
    /// `authorize` was asked about a rule that no default registers (oslo's `PolicyNotRegistered`).
    #[error("Policy {rule} has not been registered")]
    NotRegistered {
        /// The unknown rule name.
        rule: String,
    },
    /// A second default with the same name (oslo's `DuplicatePolicyError`).
    #[error("Policy {name} is already registered")]
    DuplicateDefault {
        /// The name registered twice.
        name: String,
    },
    /// The policy file (or a file of a policy directory) could not be read or parsed.
    #[error("policy file {}: {error}", path.display())]
    PolicyFile {
        /// The file.
        path: PathBuf,
        /// What went wrong, as the Python exception oslo would raise.
        error: EvalError,
    },
    /// Evaluating the rule raised (oslo lets the exception escape `enforce`; Sahara answers 500).
    #[error("evaluating policy {rule}: {error}")]
    Evaluation {
        /// The rule that was enforced.
        rule: String,
        /// The exception.
        error: EvalError,
    },
    /// The `[oslo_policy]` options could not be read from the configuration.
    #[error(transparent)]
    Config(#[from] sahara_config::ConfigError),
}

impl PolicyError {
    /// True for the denial that Sahara reports as 403 `FORBIDDEN`.
    pub fn is_forbidden(&self) -> bool {
        matches!(self, Self::Forbidden { .. })
    }

    /// Sahara's `error_name` for this error (`FORBIDDEN`, else `INTERNAL_SERVER_ERROR`).
    pub fn error_name(&self) -> &'static str {
        if self.is_forbidden() {
            "FORBIDDEN"
        } else {
            "INTERNAL_SERVER_ERROR"
        }
    }

    /// The HTTP status Sahara answers with (403, else 500).
    pub fn http_status(&self) -> u16 {
        if self.is_forbidden() { 403 } else { 500 }
    }

    /// Sahara's `error_message` for this error.
    pub fn error_message(&self) -> &'static str {
        if self.is_forbidden() {
            "You are not authorized to complete this action"
        } else {
            "Internal Server Error"
        }
    }
}
