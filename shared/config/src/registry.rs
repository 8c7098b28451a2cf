//! The registry of every declared option, with lookups by group and name (including deprecated
//! names), built once from the group structs' declarations.

use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use crate::groups::ALL_GROUPS;
use crate::parser::{DEFAULT_GROUP, normalize_group};
use crate::spec::OptSpec;

struct Index {
    specs: Vec<OptSpec>,
    exact: HashMap<(&'static str, &'static str), usize>,
    aliases: HashMap<(String, &'static str), usize>,
    groups: BTreeSet<&'static str>,
}

static INDEX: LazyLock<Index> = LazyLock::new(|| {
    let specs: Vec<OptSpec> = ALL_GROUPS.iter().flat_map(|g| g.iter().copied()).collect();
    let mut exact = HashMap::new();
    let mut aliases = HashMap::new();
    let mut groups = BTreeSet::new();
    for (i, spec) in specs.iter().enumerate() {
        exact.entry((spec.group, spec.name)).or_insert(i);
        groups.insert(spec.group);
        for dep in spec.deprecated {
            let group = normalize_group(dep.group.unwrap_or(spec.group));
            aliases.entry((group, dep.name)).or_insert(i);
        }
    }
    Index {
        specs,
        exact,
        aliases,
        groups,
    }
});

/// Every declared option, in registry order (the order of the group structs, then fields).
pub fn registry() -> &'static [OptSpec] {
    &INDEX.specs
}

/// The option declared as `[group] name` (group compared after normalisation), if any.
pub fn find_spec(group: &str, name: &str) -> Option<&'static OptSpec> {
    let index = &*INDEX;
    let group = normalize_group(group);
    index
        .exact
        .get(&(group.as_str(), name))
        .and_then(|i| index.specs.get(*i))
}

/// The option `[group] name` refers to: the declared one, or the one that has it as a
/// deprecated name (then `true`). `group` must already be normalised.
pub(crate) fn resolve(group: &str, name: &str) -> Option<(&'static OptSpec, bool)> {
    let index = &*INDEX;
    if let Some(spec) = index.exact.get(&(group, name)).and_then(|i| index.specs.get(*i)) {
        return Some((spec, false));
    }
    index
        .aliases
        .get(&(group.to_string(), name))
        .and_then(|i| index.specs.get(*i))
        .map(|spec| (spec, true))
}

/// The names of all groups that declare options, `DEFAULT` included.
pub fn group_names() -> impl Iterator<Item = &'static str> {
    INDEX.groups.iter().copied()
}

/// Whether `name` is a declared group other than `DEFAULT` (oslo.config's registered groups).
pub(crate) fn is_group(name: &str) -> bool {
    name != DEFAULT_GROUP && INDEX.groups.contains(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::DefaultValue;
    use crate::types::OptKind;

    #[test]
    fn names_are_unique_and_aliases_do_not_shadow_options() {
        let mut seen = BTreeSet::new();
        for spec in registry() {
            assert!(
                seen.insert((spec.group, spec.name)),
                "[{}] {} declared twice",
                spec.group,
                spec.name
            );
        }
        for spec in registry() {
            for dep in spec.deprecated {
                let group = normalize_group(dep.group.unwrap_or(spec.group));
                assert!(
                    find_spec(&group, dep.name).is_none(),
                    "deprecated [{group}] {} of [{}] {} is also an option",
                    dep.name,
                    spec.group,
                    spec.name
                );
            }
        }
    }

    #[test]
    fn every_option_has_help_group_and_namespace() {
        for spec in registry() {
            assert!(!spec.help.is_empty(), "[{}] {} has no help", spec.group, spec.name);
            assert!(!spec.namespace.is_empty(), "{} has no namespace", spec.name);
            assert_eq!(spec.group, normalize_group(spec.group), "{}", spec.group);
            assert!(!spec.name.contains('-'), "{}", spec.name);
        }
    }

    #[test]
    fn every_default_parses_with_its_own_type() {
        for spec in registry() {
            match spec.default {
                DefaultValue::Text(text) => {
                    assert!(
                        spec.kind.parse(text).is_ok(),
                        "default {text:?} of [{}] {} does not parse",
                        spec.group,
                        spec.name
                    );
                }
                DefaultValue::Multi(_) => assert!(spec.is_multi(), "{}", spec.name),
                DefaultValue::None | DefaultValue::Computed(_) => {}
            }
        }
    }

    #[test]
    fn secret_defaults_hold_no_credentials() {
        let secrets: Vec<_> = registry().iter().filter(|s| s.secret).collect();
        assert!(secrets.len() >= 8, "{}", secrets.len());
        for spec in secrets {
            if let DefaultValue::Text(text) = spec.default {
                assert!(!text.contains('@'), "[{}] {}", spec.group, spec.name);
            }
        }
    }

    #[test]
    fn expected_secrets_are_marked() {
        for (group, name) in [
            ("DEFAULT", "transport_url"),
            ("DEFAULT", "periodic_coordinator_backend_url"),
            ("oslo_messaging_notifications", "transport_url"),
            ("database", "connection"),
            ("database", "slave_connection"),
            ("keystone_authtoken", "password"),
            ("keystone_authtoken", "memcache_secret_key"),
            ("keystone_authtoken", "memcache_password"),
            ("trustee", "password"),
        ] {
            let spec = find_spec(group, name).unwrap_or_else(|| panic!("[{group}] {name}"));
            assert!(spec.secret, "[{group}] {name} must be secret");
        }
    }

    #[test]
    fn lookups_by_deprecated_names() {
        let (spec, deprecated) = resolve("DEFAULT", "notification_level").unwrap();
        assert!(deprecated);
        assert_eq!((spec.group, spec.name), ("oslo_messaging_notifications", "level"));
        let (spec, deprecated) = resolve("cinder", "api_version").unwrap();
        assert!(!deprecated);
        assert_eq!(spec.kind, OptKind::Int { min: None, max: None });
        assert!(resolve("DEFAULT", "no_such_option").is_none());
        assert!(is_group("oslo_messaging_rabbit"));
        assert!(!is_group("DEFAULT"));
    }

    #[test]
    fn sahara_effective_defaults() {
        let get = |g: &str, n: &str| find_spec(g, n).map(|s| s.default);
        assert_eq!(get("DEFAULT", "control_exchange"), Some(DefaultValue::Text("sahara")));
        assert_eq!(
            get("oslo_policy", "policy_file"),
            Some(DefaultValue::Text("policy.yaml"))
        );
        assert_eq!(get("conductor", "use_local"), Some(DefaultValue::Text("true")));
        assert_eq!(get("DEFAULT", "port"), Some(DefaultValue::Text("8386")));
        assert_eq!(
            get("cors", "allow_methods"),
            Some(DefaultValue::Text("GET,PUT,POST,DELETE,PATCH"))
        );
    }
}
