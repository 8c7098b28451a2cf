//! [`ConfigOpts`]: the loaded configuration. Reads config files and directories in order, keeps
//! every raw value, and answers typed lookups the way oslo.config does (environment over files
//! over defaults, deprecated names, `$option` interpolation, type checks).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::args::{ConfigArgs, ConfigSource, config_search_dirs, fix_path, program_name, search_dirs};
use crate::env::{EnvOverrides, env_var_name};
use crate::error::{ConfigError, ValueOrigin};
use crate::interpolate;
use crate::parser::{self, DEFAULT_GROUP, ParsedFile, normalize_group};
use crate::registry;
use crate::spec::{DefaultValue, OptSpec};
use crate::types::{FromValue, FromValueError, Value, py_repr};

/// The project name used for the default config file search.
pub const PROJECT: &str = "sahara";

/// Raw values of every section: normalised group -> key -> all values, in the order read.
pub type RawSections = BTreeMap<String, BTreeMap<String, Vec<String>>>;

/// A typed option group loaded from a [`ConfigOpts`] (implemented by `opt_group!` structs).
pub trait OptGroup: Sized {
    /// The oslo group the struct reads (`DEFAULT` or a group name).
    const GROUP: &'static str;

    /// The declarations of the struct's options.
    fn specs() -> &'static [OptSpec];

    /// Reads every field from the configuration.
    fn load(conf: &ConfigOpts) -> Result<Self, ConfigError>;
}

/// Stands in for a secret value in `Debug` output.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// The loaded configuration: parsed files (oldest first), environment overrides, raw view.
#[derive(Clone, Default)]
pub struct ConfigOpts {
    files: Vec<ParsedFile>,
    merged: RawSections,
    env: EnvOverrides,
    config_file_args: Vec<PathBuf>,
    config_dirs: Vec<PathBuf>,
}

impl fmt::Debug for ConfigOpts {
    /// Shows files and raw sections; values of secret and undeclared options are shown as `****`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Sections<'a>(&'a RawSections);
        impl fmt::Debug for Sections<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let mut map = f.debug_map();
                for (group, keys) in self.0 {
                    for (key, values) in keys {
                        let shown = match registry::resolve(group, key) {
                            Some((spec, _)) if !spec.secret => format!("{values:?}"),
                            _ => "****".to_string(),
                        };
                        map.entry(&format_args!("[{group}] {key}"), &format_args!("{shown}"));
                    }
                }
                map.finish()
            }
        }
        f.debug_struct("ConfigOpts")
            .field("files", &self.files.iter().map(|file| &file.path).collect::<Vec<_>>())
            .field("env", &self.env)
            .field("sections", &Sections(&self.merged))
            .finish()
    }
}

/// Lists the `*.conf` files of a directory, sorted, as oslo's `glob(dir/*.conf)` does.
fn conf_files_in(dir: &Path) -> Result<Vec<PathBuf>, ConfigError> {
    let entries = std::fs::read_dir(dir).map_err(|source| ConfigError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ConfigError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".conf") && !name.starts_with('.') {
            files.push(entry.path());
        }
    }
    files.sort_by_key(|p| p.to_string_lossy().into_owned());
    Ok(files)
}

fn expand_user(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

impl ConfigOpts {
    /// Loads the configuration of a Sahara service: the sources of `args` (or oslo's default
    /// search for `sahara.conf` and `<program>.conf`) plus the `OS_*` environment.
    pub fn load(args: &ConfigArgs) -> Result<Self, ConfigError> {
        Self::load_for(args, PROJECT, &program_name(), EnvOverrides::from_process()?)
    }

    /// Like [`load`](Self::load) with an explicit project, program name and environment.
    pub fn load_for(args: &ConfigArgs, project: &str, prog: &str, env: EnvOverrides) -> Result<Self, ConfigError> {
        let sources = args.effective_sources(project, prog);
        tracing::debug!(?sources, "loading configuration");
        Ok(Self::from_files(&sources)?.with_env(env))
    }

    /// Reads the given files and directories in order (later values win); no environment.
    pub fn from_files(sources: &[ConfigSource]) -> Result<Self, ConfigError> {
        let mut files = Vec::new();
        let mut not_found = Vec::new();
        let mut denied = Vec::new();
        let mut config_file_args = Vec::new();
        let mut config_dirs = Vec::new();
        let mut read = |path: PathBuf| -> Result<(), ConfigError> {
            let path = fix_path(&path);
            match parser::parse_file(&path) {
                Ok(file) => {
                    files.push(file);
                    Ok(())
                }
                Err(ConfigError::Io { source, path }) => match source.kind() {
                    std::io::ErrorKind::NotFound => {
                        not_found.push(path);
                        Ok(())
                    }
                    std::io::ErrorKind::PermissionDenied => {
                        denied.push(path);
                        Ok(())
                    }
                    _ => Err(ConfigError::Io { source, path }),
                },
                Err(e) => Err(e),
            }
        };
        for source in sources {
            match source {
                ConfigSource::File(path) => {
                    config_file_args.push(fix_path(path));
                    read(path.clone())?;
                }
                ConfigSource::Dir(dir) => {
                    let dir = expand_user(dir);
                    if !dir.exists() {
                        return Err(ConfigError::DirNotFound(dir));
                    }
                    config_dirs.push(fix_path(&dir));
                    for file in conf_files_in(&dir)? {
                        read(file)?;
                    }
                }
            }
        }
        if !not_found.is_empty() {
            return Err(ConfigError::FilesNotFound(not_found));
        }
        if !denied.is_empty() {
            return Err(ConfigError::FilesPermissionDenied(denied));
        }
        let mut conf = Self::from_parsed(files);
        conf.config_file_args = config_file_args;
        conf.config_dirs = config_dirs;
        Ok(conf)
    }

    /// Parses one in-memory file (named `<string>` in errors); no environment.
    pub fn from_ini_str(text: &str) -> Result<Self, ConfigError> {
        Ok(Self::from_parsed(vec![parser::parse_str(text, Path::new("<string>"))?]))
    }

    /// Builds the configuration from already parsed files, oldest first.
    pub fn from_parsed(files: Vec<ParsedFile>) -> Self {
        let mut merged = RawSections::new();
        for file in &files {
            for (group, keys) in &file.groups {
                let section = merged.entry(group.clone()).or_default();
                for (key, values) in keys {
                    section
                        .entry(key.clone())
                        .or_default()
                        .extend(values.iter().map(|v| v.value.clone()));
                    report_key(&file.path, group, key);
                }
            }
        }
        Self {
            files,
            merged,
            ..Self::default()
        }
    }

    /// Replaces the environment overrides.
    pub fn with_env(mut self, env: EnvOverrides) -> Self {
        for (group, option) in env.keys() {
            let group = if group == "default" { DEFAULT_GROUP } else { group };
            let known = registry::registry()
                .iter()
                .any(|s| s.group.eq_ignore_ascii_case(group) && s.name.eq_ignore_ascii_case(option));
            if !known {
                tracing::debug!(var = %env_var_name(group, option), "ignoring environment variable of an unknown option");
            }
        }
        self.env = env;
        self
    }

    /// The parsed files, oldest first.
    pub fn files(&self) -> &[ParsedFile] {
        &self.files
    }

    /// The paths of the parsed files, in the order they were read.
    pub fn config_files(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path())
    }

    /// The directories given as `--config-dir` (or found by the default search).
    pub fn config_dirs(&self) -> &[PathBuf] {
        &self.config_dirs
    }

    /// The environment overrides in effect.
    pub fn env(&self) -> &EnvOverrides {
        &self.env
    }

    /// The last value of `[group] name` in the files (no environment, default or interpolation).
    pub fn raw(&self, group: &str, name: &str) -> Option<&str> {
        self.raw_all(group, name).last().map(String::as_str)
    }

    /// Every value of `[group] name` in the files, in the order read.
    pub fn raw_all(&self, group: &str, name: &str) -> &[String] {
        self.merged
            .get(&normalize_group(group))
            .and_then(|keys| keys.get(name))
            .map_or(&[], Vec::as_slice)
    }

    /// The raw values of every section read, known to the registry or not.
    pub fn sections(&self) -> &RawSections {
        &self.merged
    }

    /// The typed value of `[group] name` (a declared option or one of its deprecated names).
    pub fn get<T: FromValue>(&self, group: &str, name: &str) -> Result<T, ConfigError> {
        let spec = spec_for(group, name)?;
        self.get_spec(spec)
    }

    /// The value of `[group] name` as a [`Value`].
    pub fn value(&self, group: &str, name: &str) -> Result<Value, ConfigError> {
        self.get(group, name)
    }

    /// The typed value of a declared option.
    pub fn get_spec<T: FromValue>(&self, spec: &OptSpec) -> Result<T, ConfigError> {
        let (value, origin) = self.resolve(spec, &mut Vec::new())?;
        let shown = if spec.secret {
            "<secret>".to_string()
        } else {
            value.to_template_string()
        };
        T::from_value(value).map_err(|e| match e {
            FromValueError::Missing => ConfigError::MissingValue {
                group: spec.group,
                option: spec.name,
                origin: Box::new(origin),
                rust_type: T::RUST_TYPE,
            },
            FromValueError::OutOfRange(_) => ConfigError::InvalidValue {
                group: spec.group,
                option: spec.name,
                origin: Box::new(origin),
                expected: spec.kind.type_name(),
                value: shown,
                reason: format!("does not fit in {}", T::RUST_TYPE),
            },
            FromValueError::Mismatch { found } => ConfigError::WrongType {
                group: spec.group,
                option: spec.name,
                kind: spec.kind.type_name(),
                rust_type: T::RUST_TYPE,
                detail: format!("found a {found}"),
            },
        })
    }

    /// Loads a typed group struct.
    pub fn group<G: OptGroup>(&self) -> Result<G, ConfigError> {
        G::load(self)
    }

    /// Reads every declared option and returns every error found (empty when all are valid).
    pub fn validate(&self) -> Vec<ConfigError> {
        registry::registry()
            .iter()
            .filter_map(|spec| self.get_spec::<Value>(spec).err())
            .collect()
    }

    /// Logs every declared option's value at debug level, secrets as `****` (oslo's
    /// `log_opt_values`).
    pub fn log_opt_values(&self) {
        let files: Vec<_> = self.config_files().collect();
        tracing::debug!(?files, "configuration options gathered");
        for spec in registry::registry() {
            match self.get_spec::<Value>(spec) {
                Ok(_) if spec.secret => {
                    tracing::debug!("{}.{} = ****", spec.group, spec.name);
                }
                Ok(value) => {
                    tracing::debug!("{}.{} = {}", spec.group, spec.name, value.to_template_string());
                }
                Err(e) => tracing::debug!("{}.{}: {e}", spec.group, spec.name),
            }
        }
    }

    /// Finds a file (e.g. `policy.yaml`) next to the config: in the config directories, then the
    /// directories of the `--config-file`s (last first), then the default search directories.
    pub fn find_file(&self, name: &str) -> Option<PathBuf> {
        let mut dirs: Vec<PathBuf> = self.config_dirs.clone();
        let files: Vec<PathBuf> = if self.config_file_args.is_empty() {
            self.files.iter().map(|f| f.path.clone()).collect()
        } else {
            self.config_file_args.clone()
        };
        dirs.extend(files.iter().rev().filter_map(|f| f.parent().map(Path::to_path_buf)));
        dirs.extend(config_search_dirs(Some(PROJECT)));
        search_dirs(&dirs, name, "")
    }

    /// Raw values of a declared option from the files, as oslo's `_get_file_value` picks them:
    /// for a single-valued option the last value of the newest file that sets it (under its own
    /// or a deprecated name); for a multi-valued option every value, oldest file first.
    fn file_values(&self, spec: &OptSpec) -> Option<Vec<(String, ValueOrigin)>> {
        let mut names = vec![(normalize_group(spec.group), spec.name)];
        for dep in spec.deprecated {
            names.push((normalize_group(dep.group.unwrap_or(spec.group)), dep.name));
        }
        let mut collected: Vec<(String, ValueOrigin)> = Vec::new();
        for file in self.files.iter().rev() {
            for (group, name) in &names {
                let Some(values) = file.values(group, name) else {
                    continue;
                };
                let with_origin = |v: &parser::RawValue| {
                    (
                        v.value.clone(),
                        ValueOrigin::File {
                            path: file.path.clone(),
                            line: v.line,
                        },
                    )
                };
                if !spec.is_multi() {
                    return values.last().map(|v| vec![with_origin(v)]);
                }
                let mut newer = std::mem::take(&mut collected);
                collected = values.iter().map(with_origin).collect();
                collected.append(&mut newer);
            }
        }
        (!collected.is_empty()).then_some(collected)
    }

    /// Resolves a declared option: environment, files or default, interpolated and type checked;
    /// `stack` holds the options being resolved, to catch reference cycles.
    fn resolve(
        &self,
        spec: &OptSpec,
        stack: &mut Vec<(&'static str, &'static str)>,
    ) -> Result<(Value, ValueOrigin), ConfigError> {
        let key = (spec.group, spec.name);
        if stack.contains(&key) {
            let chain: Vec<String> = stack
                .iter()
                .chain(std::iter::once(&key))
                .map(|(g, n)| format!("[{g}] {n}"))
                .collect();
            return Err(ConfigError::Substitution {
                group: spec.group,
                option: spec.name,
                reason: format!("recursive reference: {}", chain.join(" -> ")),
            });
        }
        stack.push(key);
        let result = self.resolve_unchecked(spec, stack);
        stack.pop();
        result
    }

    fn resolve_unchecked(
        &self,
        spec: &OptSpec,
        stack: &mut Vec<(&'static str, &'static str)>,
    ) -> Result<(Value, ValueOrigin), ConfigError> {
        let (raws, origin): (Vec<String>, ValueOrigin) = if let Some(v) = self.env.get(spec.group, spec.name) {
            let var = env_var_name(spec.group, spec.name);
            (vec![v.to_string()], ValueOrigin::Env { var })
        } else if let Some(values) = self.file_values(spec) {
            let origin = values.last().map_or(ValueOrigin::Default, |(_, o)| o.clone());
            (values.into_iter().map(|(v, _)| v).collect(), origin)
        } else {
            let texts = match spec.default {
                DefaultValue::None if spec.is_multi() => Vec::new(),
                DefaultValue::None => return Ok((Value::None, ValueOrigin::Default)),
                DefaultValue::Text(t) => vec![t.to_string()],
                DefaultValue::Multi(list) => list.iter().map(|s| s.to_string()).collect(),
                DefaultValue::Computed(f) => match f() {
                    Some(v) => vec![v],
                    None => return Ok((Value::None, ValueOrigin::Default)),
                },
            };
            (texts, ValueOrigin::Default)
        };
        let mut substituted = Vec::with_capacity(raws.len());
        for raw in &raws {
            substituted.push(interpolate::substitute(raw, |name| {
                self.template_value(spec, name, stack)
            })?);
        }
        if spec.is_multi() {
            return Ok((Value::List(substituted), origin));
        }
        let text = substituted.pop().unwrap_or_default();
        match spec.kind.parse(&text) {
            Ok(value) => Ok((value, origin)),
            Err(reason) => Err(ConfigError::InvalidValue {
                group: spec.group,
                option: spec.name,
                origin: Box::new(origin),
                expected: spec.kind.type_name(),
                value: if spec.secret {
                    "<secret>".to_string()
                } else {
                    py_repr(&text)
                },
                reason,
            }),
        }
    }

    /// The text a `$name` in a value of `spec` stands for, as oslo's `StrSubWrapper`: `group.opt`
    /// names another group; a bare name is looked up in the option's own group, then `DEFAULT`.
    fn template_value(
        &self,
        spec: &OptSpec,
        name: &str,
        stack: &mut Vec<(&'static str, &'static str)>,
    ) -> Result<String, ConfigError> {
        let fail = |reason: String| ConfigError::Substitution {
            group: spec.group,
            option: spec.name,
            reason,
        };
        let first = match name.split_once('.') {
            Some((group, option)) => {
                let group = normalize_group(group);
                if !registry::is_group(&group) {
                    return Err(fail(format!("${name}: no such group [{group}]")));
                }
                registry::resolve(&group, option)
            }
            None if spec.group == DEFAULT_GROUP && registry::is_group(name) => {
                return Err(fail(format!("${name}: substituting group {name} not supported")));
            }
            None => registry::resolve(spec.group, name),
        };
        let target = match first {
            Some((target, _)) => target,
            None => {
                if registry::is_group(name) {
                    return Err(fail(format!("${name}: substituting group {name} not supported")));
                }
                registry::resolve(DEFAULT_GROUP, name)
                    .map(|(t, _)| t)
                    .ok_or_else(|| fail(format!("${name}: no such option {name} in group [DEFAULT]")))?
            }
        };
        let (value, _) = self.resolve(target, stack)?;
        Ok(value.to_template_string())
    }
}

/// Finds the declaration `[group] name` refers to, or says why there is none.
fn spec_for(group: &str, name: &str) -> Result<&'static OptSpec, ConfigError> {
    let group = normalize_group(group);
    if group != DEFAULT_GROUP && !registry::is_group(&group) {
        return Err(ConfigError::NoSuchGroup(group));
    }
    match registry::resolve(&group, name) {
        Some((spec, deprecated)) => {
            if deprecated {
                tracing::warn!(
                    "Config option {group}.{name} is deprecated. Use option {}.{} instead.",
                    spec.group,
                    spec.name
                );
            }
            Ok(spec)
        }
        None => Err(ConfigError::NoSuchOption {
            group,
            option: name.to_string(),
        }),
    }
}

/// Logs what oslo.config logs about a key found in a file: unknown (debug) or deprecated (warn).
fn report_key(path: &Path, group: &str, key: &str) {
    match registry::resolve(group, key) {
        None => {
            tracing::debug!(file = %path.display(), group, option = key, "ignoring unknown option");
        }
        Some((spec, true)) => tracing::warn!(
            file = %path.display(),
            "Option \"{key}\" from group \"{group}\" is deprecated. Use option \"{}\" from group \"{}\".",
            spec.name,
            spec.group
        ),
        Some((spec, false)) if spec.deprecated_for_removal => tracing::warn!(
            file = %path.display(),
            "Option \"{}\" from group \"{}\" is deprecated for removal{}.  Its value may be silently ignored in the future.",
            spec.name,
            spec.group,
            spec.deprecated_reason.map(|r| format!(" ({r})")).unwrap_or_default()
        ),
        Some(_) => {}
    }
}
