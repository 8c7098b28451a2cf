//! The crate's error type, [`ConfigError`], and where a value came from ([`ValueOrigin`]).

use std::fmt;
use std::path::PathBuf;

/// Where an option value came from, for error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueOrigin {
    /// A config file, at a line.
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the key.
        line: usize,
    },
    /// An `OS_<GROUP>__<OPTION>` environment variable.
    Env {
        /// The variable name.
        var: String,
    },
    /// The option's default.
    Default,
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::File { path, line } => write!(f, "{}:{line}", path.display()),
            ValueOrigin::Env { var } => write!(f, "environment variable {var}"),
            ValueOrigin::Default => write!(f, "the default"),
        }
    }
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// Everything that can go wrong while loading or reading the configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A malformed line in a config file (same wording as oslo.config's iniparser).
    #[error("at {}:{line}, {message}: {text:?}", file.display())]
    Parse {
        /// The file.
        file: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong with the line.
        message: &'static str,
        /// The offending line.
        text: String,
    },
    /// A config file could not be read.
    #[error("failed to read config file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Config files given with `--config-file` do not exist.
    #[error("Failed to find some config files: {}", join_paths(.0))]
    FilesNotFound(Vec<PathBuf>),
    /// Config files given with `--config-file` are not readable.
    #[error("Failed to open some config files: {}", join_paths(.0))]
    FilesPermissionDenied(Vec<PathBuf>),
    /// A directory given with `--config-dir` does not exist.
    #[error("Failed to read config file directory: {}", .0.display())]
    DirNotFound(PathBuf),
    /// A lookup named a group that no option is declared in.
    #[error("no such group [{0}]")]
    NoSuchGroup(String),
    /// A lookup named an option that is not declared in its group.
    #[error("no such option {option} in group [{group}]")]
    NoSuchOption {
        /// The group.
        group: String,
        /// The option.
        option: String,
    },
    /// A value does not parse as the option's type.
    #[error(
        "invalid value for option {option} in group [{group}] from {origin}: expected {expected}, \
         got {value}: {reason}"
    )]
    InvalidValue {
        /// The group.
        group: &'static str,
        /// The option.
        option: &'static str,
        /// Where the value came from.
        origin: Box<ValueOrigin>,
        /// The oslo type name, e.g. `integer value`.
        expected: &'static str,
        /// The value as found (quoted), or `<secret>` for secret options.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
    /// The option has no value (unset, or an empty number) but the caller needs one.
    #[error("option {option} in group [{group}] has no value (from {origin}) but a {rust_type} is required")]
    MissingValue {
        /// The group.
        group: &'static str,
        /// The option.
        option: &'static str,
        /// Where the (empty) value came from.
        origin: Box<ValueOrigin>,
        /// The Rust type asked for.
        rust_type: &'static str,
    },
    /// The option cannot be read as the Rust type asked for.
    #[error("option {option} in group [{group}] is a {kind} and cannot be read as {rust_type}: {detail}")]
    WrongType {
        /// The group.
        group: &'static str,
        /// The option.
        option: &'static str,
        /// The oslo type name of the option.
        kind: &'static str,
        /// The Rust type asked for.
        rust_type: &'static str,
        /// What did not fit.
        detail: String,
    },
    /// `$option` interpolation failed (unknown option, group reference, or a reference cycle).
    #[error("template substitution failed for option {option} in group [{group}]: {reason}")]
    Substitution {
        /// The group of the option being read.
        group: &'static str,
        /// The option being read.
        option: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// The environment could not be read.
    #[error("failed to read OS_* environment overrides: {0}")]
    Environment(String),
}
