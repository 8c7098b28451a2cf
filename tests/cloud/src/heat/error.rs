//! Heat's errors: the exception classes the real Heat raises for templates, stacks and
//! resources, with its messages, the HTTP status its fault middleware maps each to, and
//! the `ResourceFailure` text that becomes a stack's `stack_status_reason`.

use std::fmt;

/// Formats a Heat error path the way `HeatExceptionWithPath` does: `resources.worker`,
/// `resources[0].resources.inst` (digit components in brackets).
pub fn format_path(path: &[String]) -> String {
    let mut out = String::new();
    for item in path {
        if !item.is_empty() && item.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{item}]"));
        } else if !out.is_empty() {
            out.push('.');
            out.push_str(item);
        } else {
            out.push_str(item);
        }
    }
    out
}

/// `error: path: message` as Heat prints errors that carry a path (empty parts omitted).
fn with_path(f: &mut fmt::Formatter<'_>, error: &str, path: &[String], message: &str) -> fmt::Result {
    if !error.is_empty() {
        write!(f, "{error}: ")?;
    }
    let p = format_path(path);
    if !p.is_empty() {
        write!(f, "{p}: ")?;
    }
    f.write_str(message)
}

/// An error of the simulated Heat, named after the Heat exception class it stands for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HeatError {
    /// `InvalidTemplateVersion`.
    #[error("The template version is invalid: {0}")]
    InvalidTemplateVersion(String),
    /// `InvalidTemplateSection`.
    #[error("The template section is invalid: {0}")]
    InvalidTemplateSection(String),
    /// `StackValidationFailed`: `error: path: message`.
    #[error("{}", ValidationDisplay(.error, .path, .message))]
    StackValidationFailed {
        /// The error class inside (`Property error`, `TypeError`, ...), may be empty.
        error: String,
        /// Where in the template.
        path: Vec<String>,
        /// What is wrong.
        message: String,
    },
    /// `InvalidTemplateReference`.
    #[error("The specified reference \"{resource}\" (in {key}) is incorrect.")]
    InvalidTemplateReference {
        /// The resource named.
        resource: String,
        /// Where it was named.
        key: String,
    },
    /// `InvalidTemplateAttribute`.
    #[error("The Referenced Attribute ({resource} {key}) is incorrect.")]
    InvalidTemplateAttribute {
        /// The resource.
        resource: String,
        /// The attribute.
        key: String,
    },
    /// `UserParameterMissing`.
    #[error("The Parameter ({0}) was not provided.")]
    UserParameterMissing(String),
    /// `UnknownUserParameter`.
    #[error("The Parameter ({0}) was not defined in template.")]
    UnknownUserParameter(String),
    /// `InvalidSchemaError`.
    #[error("{0}")]
    InvalidSchema(String),
    /// `CircularDependencyException`.
    #[error("Circular Dependency Found: {0}")]
    CircularDependency(String),
    /// `StackExists`.
    #[error("The Stack ({0}) already exists.")]
    StackExists(String),
    /// `EntityNotFound`: `The Stack (x) could not be found.`
    #[error("The {entity} ({name}) could not be found.")]
    EntityNotFound {
        /// `Stack`, `Resource`, `Event`, ...
        entity: &'static str,
        /// The name or id asked for.
        name: String,
    },
    /// `ResourceNotFound`.
    #[error("The Resource ({resource}) could not be found in Stack {stack}.")]
    ResourceNotFound {
        /// The resource name.
        resource: String,
        /// The stack name.
        stack: String,
    },
    /// `ActionInProgress`.
    #[error("Stack {stack} already has an action ({action}) in progress.")]
    ActionInProgress {
        /// The stack name.
        stack: String,
        /// The action running.
        action: String,
    },
    /// `NotSupported`.
    #[error("{0} is not supported.")]
    NotSupported(String),
    /// `RequestLimitExceeded`.
    #[error("Request limit exceeded: {0}")]
    RequestLimitExceeded(String),
    /// A Python built-in error raised while evaluating a template (`TypeError`,
    /// `ValueError`, `KeyError`).
    #[error("{message}")]
    Function {
        /// `TypeError`, `ValueError` or `KeyError`.
        kind: &'static str,
        /// Heat's message.
        message: String,
    },
    /// A webob error raised by the API layer itself (`HTTPBadRequest`, ...).
    #[error("{message}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The message.
        message: String,
    },
    /// `Forbidden`.
    #[error("{0}")]
    Forbidden(String),
}

struct ValidationDisplay<'a>(&'a String, &'a Vec<String>, &'a String);

impl fmt::Display for ValidationDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_path(f, self.0, self.1, self.2)
    }
}

impl HeatError {
    /// A `StackValidationFailed` with no inner error class.
    pub fn validation(path: Vec<String>, message: impl Into<String>) -> HeatError {
        HeatError::StackValidationFailed {
            error: String::new(),
            path,
            message: message.into(),
        }
    }

    /// A `TypeError` from a template function.
    pub fn type_error(message: impl Into<String>) -> HeatError {
        HeatError::Function {
            kind: "TypeError",
            message: message.into(),
        }
    }

    /// A `ValueError` from a template function.
    pub fn value_error(message: impl Into<String>) -> HeatError {
        HeatError::Function {
            kind: "ValueError",
            message: message.into(),
        }
    }

    /// A `KeyError` from a template function.
    pub fn key_error(message: impl Into<String>) -> HeatError {
        HeatError::Function {
            kind: "KeyError",
            message: message.into(),
        }
    }

    /// Wraps this error as a `StackValidationFailed` at `path`, as Heat does when a
    /// resource's or output's validation fails (`error` is the inner class name, or
    /// `error_class` when given).
    pub fn at(self, path: Vec<String>, error_class: Option<&str>) -> HeatError {
        match self {
            HeatError::StackValidationFailed {
                error,
                path: inner,
                message,
            } => {
                let mut full = path;
                full.extend(inner);
                let error = error_class.map(str::to_string).unwrap_or(error);
                HeatError::StackValidationFailed {
                    error,
                    path: full,
                    message,
                }
            }
            other => HeatError::StackValidationFailed {
                error: error_class
                    .map(str::to_string)
                    .unwrap_or_else(|| other.type_name().to_string()),
                path,
                message: other.to_string(),
            },
        }
    }

    /// The Heat exception class name (the `error.type` of an API error body).
    pub fn type_name(&self) -> &'static str {
        match self {
            HeatError::InvalidTemplateVersion(_) => "InvalidTemplateVersion",
            HeatError::InvalidTemplateSection(_) => "InvalidTemplateSection",
            HeatError::StackValidationFailed { .. } => "StackValidationFailed",
            HeatError::InvalidTemplateReference { .. } => "InvalidTemplateReference",
            HeatError::InvalidTemplateAttribute { .. } => "InvalidTemplateAttribute",
            HeatError::UserParameterMissing(_) => "UserParameterMissing",
            HeatError::UnknownUserParameter(_) => "UnknownUserParameter",
            HeatError::InvalidSchema(_) => "InvalidSchemaError",
            HeatError::CircularDependency(_) => "CircularDependencyException",
            HeatError::StackExists(_) => "StackExists",
            HeatError::EntityNotFound { .. } => "EntityNotFound",
            HeatError::ResourceNotFound { .. } => "ResourceNotFound",
            HeatError::ActionInProgress { .. } => "ActionInProgress",
            HeatError::NotSupported(_) => "NotSupported",
            HeatError::RequestLimitExceeded(_) => "RequestLimitExceeded",
            HeatError::Function { kind, .. } => kind,
            HeatError::Http { status, .. } => match status {
                400 => "HTTPBadRequest",
                401 => "HTTPUnauthorized",
                403 => "HTTPForbidden",
                404 => "HTTPNotFound",
                409 => "HTTPConflict",
                _ => "HTTPInternalServerError",
            },
            HeatError::Forbidden(_) => "Forbidden",
        }
    }

    /// The HTTP status Heat's fault middleware answers with for this error.
    pub fn status(&self) -> u16 {
        match self {
            HeatError::EntityNotFound { .. } | HeatError::ResourceNotFound { .. } => 404,
            HeatError::StackExists(_) | HeatError::ActionInProgress { .. } => 409,
            HeatError::Forbidden(_) => 403,
            HeatError::Http { status, .. } => *status,
            _ => 400,
        }
    }

    /// A stack that does not exist.
    pub fn stack_not_found(name: impl Into<String>) -> HeatError {
        HeatError::EntityNotFound {
            entity: "Stack",
            name: name.into(),
        }
    }
}

/// Result alias of the simulated Heat.
pub type Result<T, E = HeatError> = std::result::Result<T, E>;

/// Why a resource action failed, as Heat's `ResourceFailure` prints it:
/// `ResourceInError: resources.worker.resources[0].resources.inst: Went to status ERROR
/// due to "Message: No valid host was found. , Code: 500"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceFailure {
    /// The exception class (`ResourceInError`, `WaitConditionTimeout`, `Forbidden`, ...).
    pub error: String,
    /// The path of the failed resource from the stack that reports it.
    pub path: Vec<String>,
    /// The message.
    pub message: String,
}

impl ResourceFailure {
    /// A failure of the resource `name` of the current stack.
    pub fn new(name: &str, error: impl Into<String>, message: impl Into<String>) -> ResourceFailure {
        ResourceFailure {
            error: error.into(),
            path: vec!["resources".to_string(), name.to_string()],
            message: message.into(),
        }
    }

    /// This failure as seen from the parent stack, through its resource `name` (a
    /// nested stack resource): the path gains `resources.<name>` in front.
    pub fn nested_in(&self, name: &str) -> ResourceFailure {
        let mut path = vec!["resources".to_string(), name.to_string()];
        path.extend(self.path.iter().cloned());
        ResourceFailure {
            error: self.error.clone(),
            path,
            message: self.message.clone(),
        }
    }
}

impl fmt::Display for ResourceFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_path(f, &self.error, &self.path, &self.message)
    }
}

impl std::error::Error for ResourceFailure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_failures_print_like_heat() {
        let inner = ResourceFailure::new("inst", "ResourceInError", "Went to status ERROR due to \"x\"");
        assert_eq!(
            inner.to_string(),
            "ResourceInError: resources.inst: Went to status ERROR due to \"x\""
        );
        let outer = inner.nested_in("0").nested_in("worker");
        assert_eq!(
            outer.to_string(),
            "ResourceInError: resources.worker.resources[0].resources.inst: Went to status ERROR due to \"x\""
        );
        let e = HeatError::validation(vec!["resources".into(), "inst".into(), "properties".into()], "m")
            .at(vec![], Some("Property error"));
        assert_eq!(e.to_string(), "Property error: resources.inst.properties: m");
        assert_eq!(e.status(), 400);
        assert_eq!(
            HeatError::stack_not_found("x").to_string(),
            "The Stack (x) could not be found."
        );
    }
}
