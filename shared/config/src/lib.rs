//! oslo.config-compatible configuration for the Sahara services.
//!
//! Reads `sahara.conf` exactly as oslo.config does (the INI dialect of its iniparser, repeated
//! `--config-file` / `--config-dir` in command line order, the default `sahara.conf` search,
//! `OS_<GROUP>__<OPTION>` environment overrides, `$option` interpolation, oslo's value types),
//! and exposes every option Sahara and the oslo libraries it uses declare, as typed group
//! structs and as a registry that also produces `etc/sahara/sahara.conf.sample`.
//!
//! Precedence, as in oslo.config: `OS_<GROUP>__<OPTION>` environment variables, then the newest
//! file that sets the option (under its name or a deprecated one), then the default. Raw values
//! ([`ConfigOpts::raw`], [`ConfigOpts::sections`]) are the files' only, undeclared keys included.
//!
//! The sample file is regenerated from the repository root with
//! `cargo run -p sahara-config --bin sahara-config-generator -- --output-file etc/sahara/sahara.conf.sample`
//! (a test fails while it is stale).
//!
//! ```no_run
//! use sahara_config::{ConfigArgs, ConfigOpts, MessagingOpts};
//! # fn main() -> Result<(), sahara_config::ConfigError> {
//! let conf = ConfigOpts::load(&ConfigArgs::default())?;
//! let messaging: MessagingOpts = conf.group()?;
//! let workers: u64 = conf.get("DEFAULT", "api_workers")?;
//! # let _ = (messaging, workers);
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

#[macro_use]
mod macros;

mod args;
mod env;
mod error;
pub mod generator;
pub mod groups;
mod interpolate;
mod opts;
pub mod parser;
mod registry;
mod spec;
mod types;

pub use args::{ConfigArgs, ConfigSource, config_search_dirs, find_config_dirs, find_config_files, program_name};
pub use env::{EnvOverrides, env_var_name};
pub use error::{ConfigError, ValueOrigin};
pub use generator::{generate_sample, generate_sample_with_width};
pub use groups::*;
pub use interpolate::substitute;
pub use opts::{ConfigOpts, OptGroup, PROJECT, RawSections, Redacted};
pub use parser::DEFAULT_GROUP;
pub use registry::{find_spec, group_names, registry};
pub use spec::{Choice, DefaultValue, DeprecatedName, OptSpec};
pub use types::{FromValue, FromValueError, OptKind, Value};
