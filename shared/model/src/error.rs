//! Sahara's error vocabulary (sahara/exceptions.py): one variant per exception class, each with Sahara's
//! `code` (the REST `error_name`), the HTTP status Sahara answers with, Sahara's message formats, and the
//! parts of an oslo.messaging remote error so it can cross our conductor RPC and come back as itself.

use crate::kind::ResourceKind;
use serde_json::{Value, json};

/// Python module of Sahara's exceptions, as carried in remote errors.
pub const EXCEPTIONS_MODULE: &str = "sahara.exceptions";

/// `error_name` of schema validation failures (a base `SaharaException` with this code).
pub const VALIDATION_ERROR: &str = "VALIDATION_ERROR";

/// `error_name` of v2's unknown-query-parameter answers.
pub const INVALID_PARAMS_ON_REQUEST: &str = "INVALID_PARAMS_ON_REQUEST";

/// HTTP status of a `check_exists` miss in the view layer (every other NotFound escaping a handler is 400).
pub const CHECK_EXISTS_STATUS: u16 = 404;

macro_rules! sahara_errors {
    ($( $(#[$doc:meta])* $variant:ident => ($class:literal, $code:literal, $default:expr), )+) => {
        /// A Sahara exception: the variant is the Python class, the payload the formatted message.
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        pub enum SaharaError {
            /// The base `SaharaException`, raised with an explicit code (e.g. `VALIDATION_ERROR`).
            #[error("{message}")]
            Sahara {
                /// The code (`error_name`).
                code: String,
                /// The message.
                message: String,
            },
            $(
                $(#[$doc])*
                #[error("{0}")]
                $variant(String),
            )+
        }

        impl SaharaError {
            /// Every Python class name this enum knows, with its code.
            pub const CLASSES: &'static [(&'static str, &'static str)] = &[
                ("SaharaException", "UNKNOWN_EXCEPTION"),
                $( ($class, $code), )+
            ];

            /// The Python class name (`NotFoundException`, ...).
            pub fn class_name(&self) -> &'static str {
                match self {
                    SaharaError::Sahara { .. } => "SaharaException",
                    $( SaharaError::$variant(_) => $class, )+
                }
            }

            /// Sahara's code, answered as `error_name`.
            pub fn code(&self) -> &str {
                match self {
                    SaharaError::Sahara { code, .. } => code,
                    $( SaharaError::$variant(_) => $code, )+
                }
            }

            /// The message (without Sahara's `Error ID` suffix).
            pub fn message(&self) -> &str {
                match self {
                    SaharaError::Sahara { message, .. } => message,
                    $( SaharaError::$variant(m) => m, )+
                }
            }

            /// Builds the exception of Python class `class` carrying `message`; `None` for an unknown class.
            pub fn from_class(class: &str, message: impl Into<String>) -> Option<Self> {
                let message = message.into();
                match class {
                    $( $class => Some(SaharaError::$variant(message)), )+
                    _ => None,
                }
            }

            /// The class's message when raised without arguments (`None` when it only has a template).
            pub fn default_message(class: &str) -> Option<&'static str> {
                match class {
                    "SaharaException" => Some("An unknown exception occurred"),
                    $( $class => $default, )+
                    _ => None,
                }
            }
        }
    };
}

sahara_errors! {
    /// `NotFoundException` (NOT_FOUND).
    NotFound => ("NotFoundException", "NOT_FOUND", None),
    /// `NoUniqueMatchException` (NO_UNIQUE_MATCH).
    NoUniqueMatch => ("NoUniqueMatchException", "NO_UNIQUE_MATCH", None),
    /// `NameAlreadyExistsException` (NAME_ALREADY_EXISTS).
    NameAlreadyExists => ("NameAlreadyExistsException", "NAME_ALREADY_EXISTS", Some("Name already exists")),
    /// `InvalidCredentials` (INVALID_CREDENTIALS).
    InvalidCredentials => ("InvalidCredentials", "INVALID_CREDENTIALS", Some("Invalid credentials")),
    /// `InvalidReferenceException` (INVALID_REFERENCE).
    InvalidReference => ("InvalidReferenceException", "INVALID_REFERENCE", Some("Invalid object reference")),
    /// `RemoteCommandException` (REMOTE_COMMAND_FAILED).
    RemoteCommand => ("RemoteCommandException", "REMOTE_COMMAND_FAILED", None),
    /// `InvalidDataException` (INVALID_DATA).
    InvalidData => ("InvalidDataException", "INVALID_DATA", Some("Data is invalid")),
    /// `BadJobBinaryInternalException` (BAD_JOB_BINARY).
    BadJobBinaryInternal => ("BadJobBinaryInternalException", "BAD_JOB_BINARY",
        Some("Job binary internal data must be a string of length greater than zero")),
    /// `BadJobBinaryException` (BAD_JOB_BINARY).
    BadJobBinary => ("BadJobBinaryException", "BAD_JOB_BINARY",
        Some("To work with JobBinary located in internal swift add 'user' and 'password' to extra")),
    /// `DBDuplicateEntry` (DB_DUPLICATE_ENTRY).
    DbDuplicateEntry => ("DBDuplicateEntry", "DB_DUPLICATE_ENTRY", Some("Database object already exists")),
    /// `CreationFailed` (CREATION_FAILED).
    CreationFailed => ("CreationFailed", "CREATION_FAILED", Some("Object was not created")),
    /// `CancelingFailed` (CANCELING_FAILED).
    CancelingFailed => ("CancelingFailed", "CANCELING_FAILED", Some("Operation was not canceled")),
    /// `SuspendingFailed` (SUSPENDING_FAILED).
    SuspendingFailed => ("SuspendingFailed", "SUSPENDING_FAILED", Some("Operation was not suspended")),
    /// `InvalidJobStatus` (INVALID_JOB_STATUS).
    InvalidJobStatus => ("InvalidJobStatus", "INVALID_JOB_STATUS", Some("Invalid Job Status")),
    /// `DeletionFailed` (DELETION_FAILED).
    DeletionFailed => ("DeletionFailed", "DELETION_FAILED", Some("Object was not deleted")),
    /// `MissingFloatingNetworkException` (MISSING_FLOATING_NETWORK).
    MissingFloatingNetwork => ("MissingFloatingNetworkException", "MISSING_FLOATING_NETWORK", None),
    /// `SwiftClientException` (SWIFT_CLIENT_EXCEPTION).
    SwiftClient => ("SwiftClientException", "SWIFT_CLIENT_EXCEPTION",
        Some("An error has occurred while performing a request to Swift")),
    /// `S3ClientException` (S3_CLIENT_EXCEPTION).
    S3Client => ("S3ClientException", "S3_CLIENT_EXCEPTION",
        Some("An error has occurred while performing a request to S3")),
    /// `DataTooBigException` (DATA_TOO_BIG).
    DataTooBig => ("DataTooBigException", "DATA_TOO_BIG", None),
    /// `ThreadException` (THREAD_EXCEPTION).
    Thread => ("ThreadException", "THREAD_EXCEPTION", None),
    /// `SubprocessException` (SUBPROCESS_EXCEPTION).
    Subprocess => ("SubprocessException", "SUBPROCESS_EXCEPTION", Some("Subprocess execution has failed")),
    /// `NotImplementedException` (NOT_IMPLEMENTED).
    NotImplemented => ("NotImplementedException", "NOT_IMPLEMENTED", None),
    /// `HeatStackException` (HEAT_STACK_EXCEPTION).
    HeatStack => ("HeatStackException", "HEAT_STACK_EXCEPTION", Some("Heat stack failed")),
    /// `ConfigurationError` (CONFIGURATION_ERROR).
    Configuration => ("ConfigurationError", "CONFIGURATION_ERROR", Some("The configuration has failed")),
    /// `IncorrectStateError` (INCORRECT_STATE_ERROR).
    IncorrectState => ("IncorrectStateError", "INCORRECT_STATE_ERROR", Some("The object is in an incorrect state")),
    /// `FrozenClassError` (FROZEN_CLASS_ERROR).
    FrozenClass => ("FrozenClassError", "FROZEN_CLASS_ERROR", None),
    /// `SystemError` (SYSTEM_ERROR).
    System => ("SystemError", "SYSTEM_ERROR", Some("System error has occurred")),
    /// `EDPError` (EDP_ERROR).
    Edp => ("EDPError", "EDP_ERROR", Some("Failed to complete EDP operation")),
    /// `OozieException` (OOZIE_EXCEPTION).
    Oozie => ("OozieException", "OOZIE_EXCEPTION", Some("Failed to perform Oozie request")),
    /// `TimeoutException` (TIMEOUT).
    Timeout => ("TimeoutException", "TIMEOUT", None),
    /// `DeprecatedException` (DEPRECATED).
    Deprecated => ("DeprecatedException", "DEPRECATED", Some("The version you are trying to use is deprecated")),
    /// `Forbidden` (FORBIDDEN), answered with 403.
    Forbidden => ("Forbidden", "FORBIDDEN", Some("You are not authorized to complete this action")),
    /// `ImageNotRegistered` (IMAGE_NOT_REGISTERED).
    ImageNotRegistered => ("ImageNotRegistered", "IMAGE_NOT_REGISTERED", None),
    /// `MalformedRequestBody` (MALFORMED_REQUEST_BODY).
    MalformedRequestBody => ("MalformedRequestBody", "MALFORMED_REQUEST_BODY", None),
    /// `QuotaException` (QUOTA_ERROR).
    Quota => ("QuotaException", "QUOTA_ERROR", None),
    /// `UpdateFailedException` (UPDATE_FAILED).
    UpdateFailed => ("UpdateFailedException", "UPDATE_FAILED", None),
    /// `MaxRetriesExceeded` (MAX_RETRIES_EXCEEDED).
    MaxRetriesExceeded => ("MaxRetriesExceeded", "MAX_RETRIES_EXCEEDED", None),
    /// `InvalidJobExecutionInfoException` (INVALID_JOB_EXECUTION_INFO).
    InvalidJobExecutionInfo => ("InvalidJobExecutionInfoException", "INVALID_JOB_EXECUTION_INFO",
        Some("Job execution information is invalid")),
}

/// Python's `repr` of a string: single quotes unless the text holds a single quote and no double quote.
pub fn py_repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of strings (`['name', 'tenant_id']`).
pub fn py_repr_list(items: &[&str]) -> String {
    let inner: Vec<String> = items.iter().map(|s| py_repr_str(s)).collect();
    format!("[{}]", inner.join(", "))
}

/// Python's `str` of a float (`5121.0`, `5120.5`).
pub fn py_float(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e16 {
        format!("{x:.1}")
    } else {
        format!("{x}")
    }
}

fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
        .collect()
}

impl SaharaError {
    /// The HTTP status Sahara answers when this escapes a REST handler: 403 for `Forbidden`, else 400
    /// (including NotFound raised below the view layer; `check_exists` misses use [`CHECK_EXISTS_STATUS`]).
    pub fn http_status(&self) -> u16 {
        match self {
            SaharaError::Forbidden(_) => 403,
            _ => 400,
        }
    }

    /// The message as Sahara shows it, with its `\nError ID: <id>` suffix.
    pub fn message_with_error_id(&self, error_id: &str) -> String {
        format!("{}\nError ID: {error_id}", self.message())
    }

    /// Sahara's REST error body `{"error_code", "error_name", "error_message"}` for `status`.
    pub fn error_body(&self, status: u16, error_id: Option<&str>) -> Value {
        let message = match error_id {
            Some(id) => self.message_with_error_id(id),
            None => self.message().to_string(),
        };
        json!({"error_code": status, "error_name": self.code(), "error_message": message})
    }

    /// The parts of an oslo.messaging remote error: (module, class, message, kwargs `{"code": ...}`).
    pub fn remote_parts(&self) -> (&'static str, &'static str, String, Value) {
        (
            EXCEPTIONS_MODULE,
            self.class_name(),
            self.message().to_string(),
            json!({"code": self.code()}),
        )
    }

    /// Rebuilds an error from remote-error parts; `None` unless the module is `sahara.exceptions`. An unknown
    /// class becomes the base exception with the code found in `kwargs` (else `UNKNOWN_EXCEPTION`).
    pub fn from_remote_parts(module: &str, class: &str, message: &str, kwargs: &Value) -> Option<Self> {
        if module.trim_end_matches("_Remote") != EXCEPTIONS_MODULE {
            return None;
        }
        let class = class.trim_end_matches("_Remote");
        if let Some(e) = Self::from_class(class, message) {
            return Some(e);
        }
        let code = kwargs
            .get("code")
            .and_then(Value::as_str)
            .unwrap_or("UNKNOWN_EXCEPTION");
        Some(SaharaError::Sahara {
            code: code.to_string(),
            message: message.to_string(),
        })
    }

    /// A base `SaharaException` with an explicit code.
    pub fn with_code(code: impl Into<String>, message: impl Into<String>) -> Self {
        SaharaError::Sahara {
            code: code.into(),
            message: message.into(),
        }
    }

    /// A schema validation failure (`VALIDATION_ERROR`).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::with_code(VALIDATION_ERROR, message)
    }

    /// The DB layer's miss: `Cluster id 'x' not found!` (wording per kind).
    pub fn not_found(kind: ResourceKind, id: &str) -> Self {
        SaharaError::NotFound(kind.not_found_message(id))
    }

    /// The DB layer's miss inside an update (`NodeGroupTemplate id 'x' not found` for some kinds).
    pub fn not_found_on_update(kind: ResourceKind, id: &str) -> Self {
        SaharaError::NotFound(kind.update_not_found_message(id))
    }

    /// `check_exists`'s miss: `Object with {'id': 'x'} not found` (answered with 404).
    pub fn object_not_found(id: &str) -> Self {
        Self::object_not_found_with(&[("id", id)])
    }

    /// `check_exists`'s miss for arbitrary lookup keys: `Object with {'k': 'v', ...} not found`.
    pub fn object_not_found_with(lookup: &[(&str, &str)]) -> Self {
        let items: Vec<String> = lookup
            .iter()
            .map(|(k, v)| format!("{}: {}", py_repr_str(k), py_repr_str(v)))
            .collect();
        SaharaError::NotFound(format!("Object with {{{}}} not found", items.join(", ")))
    }

    /// `NotFoundException(value)` with the default template: `Object 'x' is not found`.
    pub fn not_found_value(value: &str) -> Self {
        SaharaError::NotFound(format!("Object '{value}' is not found"))
    }

    /// `Forbidden` with its default message.
    pub fn forbidden() -> Self {
        SaharaError::Forbidden("You are not authorized to complete this action".into())
    }

    /// The DB layer's unique-constraint failure on update/create: `Duplicate entry for DataSource: ['name', ...]`.
    pub fn db_duplicate(kind: ResourceKind, columns: &[&str]) -> Self {
        SaharaError::DbDuplicateEntry(format!(
            "Duplicate entry for {}: {}",
            kind.model_class(),
            py_repr_list(columns)
        ))
    }

    /// The cluster / cluster template create variant: `Duplicate entry for object <v>. Failed on columns: [...]`.
    pub fn db_duplicate_object(value: &str, columns: &[&str]) -> Self {
        SaharaError::DbDuplicateEntry(format!(
            "Duplicate entry for object {value}. Failed on columns: {}",
            py_repr_list(columns)
        ))
    }

    /// ACL: deleting another tenant's object.
    pub fn not_in_tenant_delete(kind: ResourceKind, id: &str) -> Self {
        SaharaError::DeletionFailed(format!(
            "{} with id '{id}' could not be deleted because it wasn't created in this tenant",
            kind.model_class()
        ))
    }

    /// ACL: updating another tenant's object.
    pub fn not_in_tenant_update(kind: ResourceKind, id: &str) -> Self {
        SaharaError::UpdateFailed(format!(
            "{} with id '{id}' could not be updated because it wasn't created in this tenant",
            kind.model_class()
        ))
    }

    /// ACL: deleting a protected object.
    pub fn protected_delete(kind: ResourceKind, id: &str) -> Self {
        SaharaError::DeletionFailed(format!(
            "{} with id '{id}' could not be deleted because it's marked as protected",
            kind.model_class()
        ))
    }

    /// ACL: updating a protected object.
    pub fn protected_update(kind: ResourceKind, id: &str) -> Self {
        SaharaError::UpdateFailed(format!(
            "{} with id '{id}' could not be updated because it's marked as protected",
            kind.model_class()
        ))
    }

    /// `UpdateFailedException(value)` with the default template: `Object 'x' could not be updated`.
    pub fn update_failed_value(value: &str) -> Self {
        SaharaError::UpdateFailed(format!("Object '{value}' could not be updated"))
    }

    /// A cluster template or node group template used by a cluster can't be updated.
    pub fn template_in_use(kind: ResourceKind, id: &str) -> Self {
        let message = match kind {
            ResourceKind::NodeGroupTemplate => {
                format!("NodeGroupTemplate id '{id}' can not be updated. It is referenced by an existing cluster.")
            }
            _ => format!("Cluster Template id '{id}' can not be updated. It is referenced by at least one cluster."),
        };
        SaharaError::UpdateFailed(message)
    }

    /// A job binary with an `internal-db://` URL can't change its URL.
    pub fn internal_db_url_update(id: &str) -> Self {
        SaharaError::UpdateFailed(format!(
            "The url for JobBinary Id '{id}' can not be updated because it is an internal-db url."
        ))
    }

    /// A job binary used by a PENDING job can't be updated.
    pub fn job_binary_in_pending_job(id: &str) -> Self {
        SaharaError::UpdateFailed(format!(
            "JobBinary Id '{id}' is used in a PENDING job and can not be updated."
        ))
    }

    /// A job binary referenced by a job can't be deleted.
    pub fn job_binary_referenced() -> Self {
        SaharaError::DeletionFailed("JobBinary is referenced and cannot be deleted".into())
    }

    /// A data source or job delete refused by the database (`Data Source deletion failed on foreign key constraint`).
    pub fn deletion_failed_fk(kind: ResourceKind, foreign_key: bool) -> Self {
        let what = match kind {
            ResourceKind::DataSource => "Data Source",
            other => other.not_found_label(),
        };
        let suffix = if foreign_key { " on foreign key constraint" } else { "" };
        SaharaError::DeletionFailed(format!("{what} deletion failed{suffix}"))
    }

    /// `DataTooBigException(size, maximum)` with the default template.
    pub fn data_too_big(size: &str, maximum: &str) -> Self {
        SaharaError::DataTooBig(format!("Size of data ({size}) is greater than maximum ({maximum})"))
    }

    /// An internal job binary over `job_binary_max_KB`: `Size of internal binary (5121.0KB) is greater than the maximum (5120KB)`.
    pub fn internal_binary_too_big(datasize_bytes: i64, max_kb: i64) -> Self {
        let kb = datasize_bytes as f64 / 1024.0;
        // Python's round(kb, 1): the exact binary value rounded, ties to even (0.25 -> 0.2),
        // which is what `{:.1}` does; `(kb * 10).round()` would give 0.3.
        let kb: f64 = format!("{kb:.1}").parse().unwrap_or(kb);
        SaharaError::DataTooBig(format!(
            "Size of internal binary ({}KB) is greater than the maximum ({max_kb}KB)",
            py_float(kb)
        ))
    }

    /// `MalformedRequestBody(reason)`.
    pub fn malformed_request_body(reason: &str) -> Self {
        SaharaError::MalformedRequestBody(format!("Malformed message body: {reason}"))
    }

    /// `MissingFloatingNetworkException(ng_name)`.
    pub fn missing_floating_network(node_group: &str) -> Self {
        SaharaError::MissingFloatingNetwork(format!("Node Group {node_group} is missing 'floating_ip_pool' field"))
    }

    /// `ImageNotRegistered(image)`.
    pub fn image_not_registered(image: &str) -> Self {
        SaharaError::ImageNotRegistered(format!("Image {image} is not registered in Sahara"))
    }

    /// `NotImplementedException(feature)`.
    pub fn not_implemented(feature: &str) -> Self {
        SaharaError::NotImplemented(format!("Feature '{feature}' is not implemented"))
    }

    /// `HeatStackException(status)`; without a status: `Heat stack failed`.
    pub fn heat_stack(status: Option<&str>) -> Self {
        SaharaError::HeatStack(match status {
            Some(s) => format!("Heat stack failed with status {s}"),
            None => "Heat stack failed".into(),
        })
    }

    /// `TimeoutException(timeout, op_name, timeout_name)`.
    pub fn timeout(seconds: i64, op_name: Option<&str>, timeout_name: Option<&str>) -> Self {
        let op = match op_name {
            Some(name) => format!("Operation with name '{name}'"),
            None => "Operation".to_string(),
        };
        let mut message = format!("'{op}' timed out after {seconds} second(s)");
        if let Some(t) = timeout_name {
            message = format!("{message} and following timeout was violated: {t}");
        }
        SaharaError::Timeout(message)
    }

    /// `QuotaException(resource, requested, available)`.
    pub fn quota(resource: &str, requested: &str, available: &str) -> Self {
        SaharaError::Quota(format!(
            "Quota exceeded for {resource}: Requested {requested}, but available {available}"
        ))
    }

    /// `MaxRetriesExceeded(attempts, operation)`.
    pub fn max_retries_exceeded(attempts: u32, operation: &str) -> Self {
        SaharaError::MaxRetriesExceeded(format!(
            "Operation {operation} wasn't executed correctly after {attempts} attempts"
        ))
    }

    /// `RemoteCommandException(cmd, ret_code, stdout, stderr)`: non-printable characters dropped from output.
    pub fn remote_command(cmd: &str, ret_code: Option<i32>, stdout: Option<&str>, stderr: Option<&str>) -> Self {
        let mut message = format!("Error during command execution: \"{cmd}\"");
        if let Some(rc) = ret_code.filter(|rc| *rc != 0) {
            message = format!("{message}\nReturn code: {rc}");
        }
        if let Some(e) = stderr.filter(|s| !s.is_empty()) {
            message = format!("{message}\nSTDERR:\n{}", printable(e));
        }
        if let Some(o) = stdout.filter(|s| !s.is_empty()) {
            message = format!("{message}\nSTDOUT:\n{}", printable(o));
        }
        SaharaError::RemoteCommand(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_size_rounds_as_python() {
        // 256 bytes = 0.25 KB: Python's round(0.25, 1) is 0.2; 5121 KB stays 5121.0.
        let msg = |bytes, max| SaharaError::internal_binary_too_big(bytes, max).to_string();
        assert!(msg(256, 0).contains("(0.2KB)"), "{}", msg(256, 0));
        assert!(msg(5121 * 1024, 5120).contains("(5121.0KB) is greater than the maximum (5120KB)"));
        assert!(msg(1024 + 358, 1).contains("(1.3KB)"), "{}", msg(1024 + 358, 1));
    }

    #[test]
    fn codes_classes_and_statuses() {
        let e = SaharaError::not_found(ResourceKind::Cluster, "abc");
        assert_eq!(e.code(), "NOT_FOUND");
        assert_eq!(e.class_name(), "NotFoundException");
        assert_eq!(e.to_string(), "Cluster id 'abc' not found!");
        assert_eq!(e.http_status(), 400);
        assert_eq!(SaharaError::forbidden().http_status(), 403);
        assert_eq!(SaharaError::forbidden().code(), "FORBIDDEN");
        assert_eq!(SaharaError::NameAlreadyExists("x".into()).code(), "NAME_ALREADY_EXISTS");
        assert_eq!(SaharaError::DbDuplicateEntry("x".into()).code(), "DB_DUPLICATE_ENTRY");
        assert_eq!(SaharaError::BadJobBinaryInternal("x".into()).code(), "BAD_JOB_BINARY");
        assert_eq!(SaharaError::Quota("x".into()).code(), "QUOTA_ERROR");
        assert_eq!(SaharaError::Timeout("x".into()).code(), "TIMEOUT");
        assert_eq!(SaharaError::validation("name: bad").code(), "VALIDATION_ERROR");
        assert_eq!(SaharaError::CLASSES.len(), 39);
    }

    #[test]
    fn message_formats() {
        assert_eq!(
            SaharaError::object_not_found("x1").message(),
            "Object with {'id': 'x1'} not found"
        );
        assert_eq!(SaharaError::not_found_value("v").message(), "Object 'v' is not found");
        assert_eq!(
            SaharaError::not_found_on_update(ResourceKind::JobBinary, "j").message(),
            "JobBinary id 'j' not found"
        );
        assert_eq!(
            SaharaError::db_duplicate(ResourceKind::DataSource, &["name", "tenant_id"]).message(),
            "Duplicate entry for DataSource: ['name', 'tenant_id']"
        );
        assert_eq!(
            SaharaError::db_duplicate_object("c1", &["name"]).message(),
            "Duplicate entry for object c1. Failed on columns: ['name']"
        );
        assert_eq!(
            SaharaError::protected_update(ResourceKind::NodeGroupTemplate, "n1").message(),
            "NodeGroupTemplate with id 'n1' could not be updated because it's marked as protected"
        );
        assert_eq!(
            SaharaError::protected_delete(ResourceKind::Cluster, "c").message(),
            "Cluster with id 'c' could not be deleted because it's marked as protected"
        );
        assert_eq!(
            SaharaError::not_in_tenant_delete(ResourceKind::JobBinary, "b").message(),
            "JobBinary with id 'b' could not be deleted because it wasn't created in this tenant"
        );
        assert_eq!(
            SaharaError::not_in_tenant_update(ResourceKind::DataSource, "d").code(),
            "UPDATE_FAILED"
        );
        assert_eq!(
            SaharaError::template_in_use(ResourceKind::ClusterTemplate, "t").message(),
            "Cluster Template id 't' can not be updated. It is referenced by at least one cluster."
        );
        assert_eq!(
            SaharaError::deletion_failed_fk(ResourceKind::DataSource, true).message(),
            "Data Source deletion failed on foreign key constraint"
        );
        assert_eq!(
            SaharaError::deletion_failed_fk(ResourceKind::Job, false).message(),
            "Job deletion failed"
        );
        assert_eq!(
            SaharaError::internal_binary_too_big(5121 * 1024, 5120).message(),
            "Size of internal binary (5121.0KB) is greater than the maximum (5120KB)"
        );
        assert_eq!(
            SaharaError::internal_binary_too_big(5120 * 1024 + 512, 5120).message(),
            "Size of internal binary (5120.5KB) is greater than the maximum (5120KB)"
        );
        assert_eq!(
            SaharaError::malformed_request_body("oops").message(),
            "Malformed message body: oops"
        );
        assert_eq!(
            SaharaError::timeout(5, Some("wait"), Some("t")).message(),
            "'Operation with name 'wait'' timed out after 5 second(s) and following timeout was violated: t"
        );
        assert_eq!(
            SaharaError::remote_command("ls", Some(2), Some("out"), Some("err\u{7}")).message(),
            "Error during command execution: \"ls\"\nReturn code: 2\nSTDERR:\nerr\nSTDOUT:\nout"
        );
        assert_eq!(
            SaharaError::quota("ram", "10", "5").message(),
            "Quota exceeded for ram: Requested 10, but available 5"
        );
    }

    #[test]
    fn error_body_and_error_id() {
        let e = SaharaError::NameAlreadyExists("NodeGroup template with name 'seed-5' already exists".into());
        assert_eq!(
            e.error_body(400, Some("u-1")),
            json!({
                "error_code": 400,
                "error_name": "NAME_ALREADY_EXISTS",
                "error_message": "NodeGroup template with name 'seed-5' already exists\nError ID: u-1"
            })
        );
        assert_eq!(
            SaharaError::object_not_found("x").error_body(CHECK_EXISTS_STATUS, None)["error_code"],
            404
        );
    }

    #[test]
    fn remote_round_trip() {
        let cases = [
            SaharaError::not_found(ResourceKind::Job, "j"),
            SaharaError::protected_update(ResourceKind::Cluster, "c"),
            SaharaError::forbidden(),
            SaharaError::with_code("VALIDATION_ERROR", "bad"),
            SaharaError::InvalidJobExecutionInfo("x".into()),
        ];
        for e in cases {
            let (module, class, message, kwargs) = e.remote_parts();
            assert_eq!(module, "sahara.exceptions");
            assert_eq!(kwargs, json!({"code": e.code()}));
            let back = SaharaError::from_remote_parts(module, class, &message, &kwargs).unwrap();
            assert_eq!(back, e);
        }
        let e = SaharaError::from_remote_parts("sahara.exceptions_Remote", "DeletionFailed_Remote", "m", &json!({}));
        assert_eq!(e, Some(SaharaError::DeletionFailed("m".into())));
        let unknown = SaharaError::from_remote_parts("sahara.exceptions", "NewException", "m", &json!({"code": "NEW"}));
        assert_eq!(unknown.as_ref().map(|e| e.code()), Some("NEW"));
        assert_eq!(
            SaharaError::from_remote_parts("builtins", "ValueError", "m", &json!({})),
            None
        );
    }

    #[test]
    fn python_reprs() {
        assert_eq!(py_repr_str("it's"), "\"it's\"");
        assert_eq!(py_repr_str("a'b\"c"), "'a\\'b\"c'");
        assert_eq!(py_repr_list(&[]), "[]");
        assert_eq!(py_float(3.0), "3.0");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(
            SaharaError::default_message("Forbidden"),
            Some("You are not authorized to complete this action")
        );
        assert_eq!(SaharaError::default_message("NotFoundException"), None);
    }
}
