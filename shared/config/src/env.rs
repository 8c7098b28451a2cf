//! Environment overrides as oslo.config's environment source reads them: `OS_<GROUP>__<OPTION>`
//! (group and option upper-cased), collected with the `config` crate's `Environment` source.

use std::collections::BTreeMap;
use std::fmt;

use config::Source;

use crate::error::ConfigError;
use crate::parser::DEFAULT_GROUP;

/// The name of the variable that overrides `[group] option`, e.g. `OS_DEFAULT__TRANSPORT_URL`.
pub fn env_var_name(group: &str, option: &str) -> String {
    format!("OS_{}__{}", group.to_uppercase(), option.to_uppercase())
}

/// `OS_<GROUP>__<OPTION>` values, keyed by lower-cased `(group, option)`.
///
/// Values are never printed by `Debug` (they may hold passwords); only variable names are.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvOverrides {
    values: BTreeMap<(String, String), String>,
}

impl fmt::Debug for EnvOverrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.values.keys().map(|(g, o)| env_var_name(g, o)))
            .finish()
    }
}

impl EnvOverrides {
    /// No overrides at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Reads the overrides from the process environment.
    pub fn from_process() -> Result<Self, ConfigError> {
        // Non-Unicode variables cannot name an option (oslo reads os.environ as text); skip them.
        Self::from_vars(std::env::vars_os().filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))))
    }

    /// Reads the overrides from the given variables, as if they were the environment.
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ConfigError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        // oslo looks up exact upper-case names; the config crate lower-cases keys, so keep only
        // variables whose name is already upper case to match oslo exactly.
        let vars: config::Map<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .filter(|(k, _)| k.starts_with("OS_") && k.contains("__") && *k == k.to_uppercase())
            .collect();
        let source = config::Environment::with_prefix("OS")
            .prefix_separator("_")
            .separator("__")
            .source(Some(vars));
        let collected = source.collect().map_err(|e| ConfigError::Environment(e.to_string()))?;
        let mut values = BTreeMap::new();
        for (key, value) in collected {
            // "group.option"; deeper nesting (OS_A__B__C) names no option
            let mut parts = key.split('.');
            let (Some(group), Some(option), None) = (parts.next(), parts.next(), parts.next()) else {
                continue;
            };
            let Ok(text) = value.into_string() else {
                continue;
            };
            values.insert((group.to_string(), option.to_string()), text);
        }
        Ok(Self { values })
    }

    /// The override of `[group] option`, if its variable is set.
    pub fn get(&self, group: &str, option: &str) -> Option<&str> {
        let group = if group == DEFAULT_GROUP {
            "default".to_string()
        } else {
            group.to_lowercase()
        };
        self.values.get(&(group, option.to_lowercase())).map(String::as_str)
    }

    /// The lower-cased `(group, option)` pairs that have an override.
    pub fn keys(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.keys().map(|(g, o)| (g.as_str(), o.as_str()))
    }

    /// Whether no override is set.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_os_group_option_variables() {
        let env = EnvOverrides::from_vars([
            ("OS_DEFAULT__TRANSPORT_URL", "rabbit://u:p@h:5672//"),
            ("OS_OSLO_MESSAGING_RABBIT__SSL", "true"),
            ("OS_DEFAULT__JOB_BINARY_MAX_KB", "10"),
            ("OS_AUTH_URL", "http://keystone"),
            ("os_default__debug", "true"),
            ("OS_A__B__C", "deep"),
            ("PATH", "/bin"),
        ])
        .unwrap();
        assert_eq!(env.get("DEFAULT", "transport_url"), Some("rabbit://u:p@h:5672//"));
        assert_eq!(env.get("oslo_messaging_rabbit", "ssl"), Some("true"));
        assert_eq!(env.get("DEFAULT", "job_binary_max_KB"), Some("10"));
        assert_eq!(env.get("DEFAULT", "debug"), None);
        assert_eq!(env.keys().count(), 3);
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = EnvOverrides::from_vars([("OS_DATABASE__CONNECTION", "mysql://u:hunter2@db/x")]).unwrap();
        let shown = format!("{env:?}");
        assert!(shown.contains("OS_DATABASE__CONNECTION"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn variable_names() {
        assert_eq!(env_var_name("DEFAULT", "debug"), "OS_DEFAULT__DEBUG");
        assert_eq!(
            env_var_name("oslo_messaging_rabbit", "rabbit_quorum_queue"),
            "OS_OSLO_MESSAGING_RABBIT__RABBIT_QUORUM_QUEUE"
        );
    }
}
