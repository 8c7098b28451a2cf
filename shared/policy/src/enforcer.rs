//! The enforcer: registered defaults overridden by the policy file and the policy directories,
//! reloaded when they change, and `enforce` / `authorize` as oslo.policy's `Enforcer` does them.
//!
//! On every call the enforcer looks at the policy file's modification time (and the newest
//! time in each policy directory) and reloads when it grew, exactly as oslo's `load_rules`:
//! the file's rules replace the rule set, the directories' files (sorted, dot-files skipped)
//! update it, and every registered default not overridden is added back. A policy file that
//! fails to parse is an error for that call; the next call, seeing the same modification
//! time, keeps the rules it had (as oslo does once it has rules).
//!
//! Sahara's enforcer (`Enforcer::from_config`) looks at the files at most once every
//! [`RECHECK_INTERVAL`] instead of on every call: oslo's look costs a dozen `stat`s of the
//! search directories per API request, and a changed policy file still applies within a
//! second. `Enforcer::new` keeps oslo's every-call behaviour (see `with_recheck_interval`).

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::check::Check;
use crate::defaults::{RuleDefault, SAHARA_DEFAULTS};
use crate::error::{EvalError, PolicyError, PyExceptionKind};
use crate::parser::parse_rule;
use crate::rules::Rules;

/// Finds a policy file or directory by name (oslo.config's `find_file`).
pub type FileLocator = Box<dyn Fn(&str) -> Option<PathBuf> + Send + Sync>;

/// The `[oslo_policy]` options the enforcer uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnforcerOptions {
    /// `policy_file`: absolute, or found next to the configuration (default `policy.yaml`).
    pub policy_file: String,
    /// `policy_default_rule`: the rule used for unknown rule names (default `default`).
    pub policy_default_rule: String,
    /// `policy_dirs`: directories of extra policy files (default `["policy.d"]`).
    pub policy_dirs: Vec<String>,
}

impl Default for EnforcerOptions {
    fn default() -> Self {
        Self {
            policy_file: "policy.yaml".into(),
            policy_default_rule: "default".into(),
            policy_dirs: vec!["policy.d".into()],
        }
    }
}

struct CachedFile {
    mtime: Option<SystemTime>,
    data: String,
}

#[derive(Default)]
struct State {
    rules: Arc<Rules>,
    policy_path: Option<PathBuf>,
    file_cache: HashMap<PathBuf, CachedFile>,
    dir_mtimes: HashMap<PathBuf, SystemTime>,
    need_check_rules: bool,
    informed_no_policy_file: bool,
    /// Whether every registered default is in `rules` (false whenever `rules` changed).
    defaults_merged: bool,
    /// When the files were last looked at successfully.
    checked_at: Option<Instant>,
}

/// How long Sahara's enforcer trusts its last look at the policy files.
pub const RECHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Loads and enforces policy rules (oslo.policy's `Enforcer` with `use_conf=True`).
pub struct Enforcer {
    options: EnforcerOptions,
    locate: FileLocator,
    registered: BTreeMap<String, (RuleDefault, Check)>,
    state: Mutex<State>,
    /// How long a look at the files holds (zero: look on every call, as oslo).
    recheck: Duration,
}

impl std::fmt::Debug for Enforcer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enforcer")
            .field("options", &self.options)
            .field("registered", &self.registered.len())
            .finish_non_exhaustive()
    }
}

impl Enforcer {
    /// An enforcer with no registered defaults; relative policy paths are resolved by `locate`.
    pub fn new(options: EnforcerOptions, locate: FileLocator) -> Self {
        Self {
            options,
            locate,
            registered: BTreeMap::new(),
            state: Mutex::new(State {
                need_check_rules: true,
                ..State::default()
            }),
            recheck: Duration::ZERO,
        }
    }

    /// The same enforcer, looking at the policy files again only once `interval` has passed
    /// since its last successful look (zero, the default, looks on every call as oslo does).
    pub fn with_recheck_interval(mut self, interval: Duration) -> Self {
        self.recheck = interval;
        self
    }

    /// An enforcer whose relative paths are looked up in `dirs`, in order (an absolute path is
    /// used as it is), as oslo.config's `find_file` does with its search directories.
    pub fn with_search_dirs(options: EnforcerOptions, dirs: Vec<PathBuf>) -> Self {
        Self::new(
            options,
            Box::new(move |name| dirs.iter().map(|d| d.join(name)).find(|p| p.exists())),
        )
    }

    /// Sahara's enforcer: `[oslo_policy]` options from `conf`, files found with
    /// `conf.find_file`, and Sahara's 109 defaults registered.
    pub fn from_config(conf: &sahara_config::ConfigOpts) -> Result<Self, PolicyError> {
        let opts: sahara_config::PolicyOpts = conf.group()?;
        let options = EnforcerOptions {
            policy_file: opts.policy_file,
            policy_default_rule: opts.policy_default_rule,
            policy_dirs: opts.policy_dirs,
        };
        let conf = conf.clone();
        let mut enforcer =
            Self::new(options, Box::new(move |name| conf.find_file(name))).with_recheck_interval(RECHECK_INTERVAL);
        enforcer.register_defaults(SAHARA_DEFAULTS.iter().copied())?;
        Ok(enforcer)
    }

    /// Registers a default rule (oslo's `register_default`).
    pub fn register_default(&mut self, default: RuleDefault) -> Result<(), PolicyError> {
        if self.registered.contains_key(default.name) {
            return Err(PolicyError::DuplicateDefault {
                name: default.name.to_string(),
            });
        }
        let check = parse_rule(default.check_str);
        self.registered.insert(default.name.to_string(), (default, check));
        let state = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        state.defaults_merged = false;
        state.checked_at = None;
        Ok(())
    }

    /// Registers several defaults (oslo's `register_defaults`).
    pub fn register_defaults(&mut self, defaults: impl IntoIterator<Item = RuleDefault>) -> Result<(), PolicyError> {
        defaults.into_iter().try_for_each(|d| self.register_default(d))
    }

    /// The registered defaults, by name.
    pub fn registered(&self) -> impl Iterator<Item = &RuleDefault> {
        self.registered.values().map(|(d, _)| d)
    }

    /// The options in use.
    pub fn options(&self) -> &EnforcerOptions {
        &self.options
    }

    /// The rules in force after (re)loading the policy files if they changed.
    pub fn rules(&self) -> Result<Arc<Rules>, PolicyError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = state.checked_at.is_some_and(|at| at.elapsed() < self.recheck);
        if !fresh {
            self.load_rules(&mut state)?;
            state.checked_at = Some(Instant::now());
        }
        Ok(Arc::clone(&state.rules))
    }

    /// Evaluates the rule `rule` (oslo's `enforce`): `Ok(true)` when allowed. An unknown rule
    /// falls back to the default rule when that one is defined, else it is denied.
    pub fn check(&self, rule: &str, target: &Value, creds: &Value) -> Result<bool, PolicyError> {
        let rules = self.rules()?;
        rules
            .enforce(rule, target, creds)
            .map_err(|error| PolicyError::Evaluation {
                rule: rule.to_string(),
                error,
            })
    }

    /// Enforces `rule`: `Err(Forbidden)` when denied (oslo's `enforce(..., do_raise=True)`).
    #[tracing::instrument(level = "debug", skip(self, target, creds), err(level = "debug"))]
    pub fn enforce(&self, rule: &str, target: &Value, creds: &Value) -> Result<(), PolicyError> {
        if self.check(rule, target, creds)? {
            Ok(())
        } else {
            Err(PolicyError::Forbidden { rule: rule.to_string() })
        }
    }

    /// Enforces a registered rule, as Sahara's `acl.enforce` does (oslo's `authorize`): an
    /// unregistered name is `NotRegistered`, a denial is `Forbidden`.
    #[tracing::instrument(level = "debug", skip(self, target, creds), err(level = "debug"))]
    pub fn authorize(&self, rule: &str, target: &Value, creds: &Value) -> Result<(), PolicyError> {
        if !self.registered.contains_key(rule) {
            return Err(PolicyError::NotRegistered { rule: rule.to_string() });
        }
        self.enforce(rule, target, creds)
    }

    /// oslo's `load_rules` (`use_conf=True`, `overwrite=True`).
    fn load_rules(&self, state: &mut State) -> Result<(), PolicyError> {
        if state.policy_path.is_none() {
            state.policy_path = (self.locate)(&self.options.policy_file);
            if state.policy_path.is_none() && !state.informed_no_policy_file {
                tracing::debug!(policy_file = %self.options.policy_file, "the policy file could not be found");
                state.informed_no_policy_file = true;
            }
        }
        let mut file_changed = false;
        if let Some(path) = state.policy_path.clone() {
            file_changed = self.load_policy_file(state, &path, false, true)?;
        }
        let mut reload_dirs = file_changed;
        let mut existing_dirs = Vec::new();
        for dir in &self.options.policy_dirs {
            let Some(abs) = (self.locate)(dir) else { continue };
            if directory_updated(&mut state.dir_mtimes, &abs)? {
                reload_dirs = true;
            }
            existing_dirs.push(abs);
        }
        if reload_dirs && !existing_dirs.is_empty() {
            match state.policy_path.clone() {
                Some(path) => {
                    if !file_changed {
                        self.load_policy_file(state, &path, true, true)?;
                    }
                }
                None => {
                    state.rules = Arc::new(Rules::new(BTreeMap::new(), self.default_rule()));
                    state.need_check_rules = true;
                    state.defaults_merged = false;
                }
            }
            for dir in &existing_dirs {
                for file in policy_dir_files(dir)? {
                    self.load_policy_file(state, &file, true, false)?;
                }
            }
        }
        // Every registered default not overridden is added back; until the rules change
        // again (or a default is registered) there is nothing missing to look for.
        if !state.defaults_merged {
            let missing: Vec<(&String, &Check)> = self
                .registered
                .iter()
                .filter(|(name, _)| !state.rules.contains(name))
                .map(|(name, (_, check))| (name, check))
                .collect();
            if !missing.is_empty() {
                let rules = Arc::make_mut(&mut state.rules);
                for (name, check) in missing {
                    rules.insert(name.clone(), check.clone());
                }
            }
            state.defaults_merged = true;
        }
        if state.need_check_rules {
            let undefined = state.rules.undefined_references();
            if !undefined.is_empty() {
                tracing::warn!(names = ?undefined, "policies reference a rule that is not defined");
            }
            let cyclic = state.rules.cyclic_rules();
            if !cyclic.is_empty() {
                tracing::warn!(names = ?cyclic, "policies are part of a cyclical reference");
            }
            state.need_check_rules = false;
        }
        Ok(())
    }

    fn default_rule(&self) -> Option<String> {
        Some(self.options.policy_default_rule.clone()).filter(|d| !d.is_empty())
    }

    /// oslo's `_load_policy_file`: reads the file when its mtime grew (or `force`), and then
    /// replaces (`overwrite`) or updates the rules. Returns whether the rules changed.
    fn load_policy_file(
        &self,
        state: &mut State,
        path: &Path,
        force: bool,
        overwrite: bool,
    ) -> Result<bool, PolicyError> {
        if force {
            state.file_cache.remove(path);
        }
        let (reloaded, data) = read_cached_file(&mut state.file_cache, path)?;
        if !reloaded && !state.rules.is_empty() {
            return Ok(false);
        }
        let loaded = Rules::load(&data, self.default_rule()).map_err(|error| PolicyError::PolicyFile {
            path: path.to_path_buf(),
            error,
        })?;
        if overwrite {
            state.rules = Arc::new(loaded);
        } else {
            Arc::make_mut(&mut state.rules).update(loaded);
        }
        state.need_check_rules = true;
        state.defaults_merged = false;
        tracing::debug!(path = %path.display(), "reloaded policy file");
        Ok(true)
    }
}

/// oslo's `read_cached_file`: `(reloaded, data)`. A file that cannot be stat'ed reads as empty
/// and counts as reloaded (so a deleted policy file leaves only the defaults); a file that
/// cannot be read keeps its old data, except that permission denied is an error.
fn read_cached_file(cache: &mut HashMap<PathBuf, CachedFile>, path: &Path) -> Result<(bool, String), PolicyError> {
    let mtime = match std::fs::metadata(path).and_then(|m| m.modified()) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(path = %path.display(), error = %e, "policy file not found");
            return Ok((true, String::new()));
        }
    };
    let entry = cache.entry(path.to_path_buf()).or_insert(CachedFile {
        mtime: None,
        data: String::new(),
    });
    if entry.mtime.is_some_and(|cached| mtime <= cached) {
        return Ok((false, entry.data.clone()));
    }
    match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => entry.data = text,
            Err(e) => {
                // Python's read() raises before the cache records the new mtime.
                return Err(PolicyError::PolicyFile {
                    path: path.to_path_buf(),
                    error: EvalError::value_error(format!("'utf-8' codec can't decode: {e}")),
                });
            }
        },
        Err(e) if e.kind() == io::ErrorKind::PermissionDenied => {
            return Err(PolicyError::PolicyFile {
                path: path.to_path_buf(),
                error: EvalError::new(PyExceptionKind::ValueError, format!("permission denied: {e}")),
            });
        }
        Err(e) => tracing::error!(path = %path.display(), error = %e, "IO error loading policy file"),
    }
    entry.mtime = Some(mtime);
    Ok((true, entry.data.clone()))
}

/// oslo's `_is_directory_updated`: whether the newest mtime of the directory and its entries
/// grew since last time (a missing directory counts as time zero).
fn directory_updated(cache: &mut HashMap<PathBuf, SystemTime>, dir: &Path) -> Result<bool, PolicyError> {
    let mut newest = SystemTime::UNIX_EPOCH;
    if dir.exists() {
        if !dir.is_dir() {
            return Err(not_a_directory(dir));
        }
        let mut paths = vec![dir.to_path_buf()];
        if let Ok(entries) = std::fs::read_dir(dir) {
            paths.extend(entries.flatten().map(|e| e.path()));
        }
        for p in paths {
            if let Ok(t) = std::fs::metadata(&p).and_then(|m| m.modified()) {
                newest = newest.max(t);
            }
        }
    }
    let cached = cache.entry(dir.to_path_buf()).or_insert(SystemTime::UNIX_EPOCH);
    if newest > *cached {
        *cached = newest;
        return Ok(true);
    }
    Ok(false)
}

fn not_a_directory(dir: &Path) -> PolicyError {
    PolicyError::PolicyFile {
        path: dir.to_path_buf(),
        error: EvalError::value_error(format!("{} is not a directory", dir.display())),
    }
}

/// The files of a policy directory, sorted by name, without dot-files or subdirectories.
fn policy_dir_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    if !dir.is_dir() {
        return Err(not_a_directory(dir));
    }
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|e| PolicyError::PolicyFile {
            path: dir.to_path_buf(),
            error: EvalError::value_error(e),
        })?
        .flatten()
        .filter(|e| !e.path().is_dir())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            (!name.starts_with('.')).then(|| (name, e.path()))
        })
        .collect();
    files.sort();
    Ok(files.into_iter().map(|(_, p)| p).collect())
}
