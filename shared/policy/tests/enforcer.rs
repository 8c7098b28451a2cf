//! The enforcer with real files: Sahara's defaults, policy file overrides (YAML and JSON, found
//! next to sahara.conf), policy directories, the default rule, and reloading on change.

use std::path::Path;
use std::time::{Duration, SystemTime};

use sahara_config::{ConfigOpts, ConfigSource};
use sahara_policy::{Credentials, Enforcer, EnforcerOptions, PolicyError, PyExceptionKind, SAHARA_DEFAULTS};
use serde_json::{Value, json};

fn creds(roles: &[&str]) -> Value {
    Credentials {
        user_id: Some("u1".into()),
        project_id: Some("p1".into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        ..Credentials::default()
    }
    .to_dict()
}

fn sahara_enforcer(dir: &Path, options: EnforcerOptions) -> Enforcer {
    let mut e = Enforcer::with_search_dirs(options, vec![dir.to_path_buf()]);
    e.register_defaults(SAHARA_DEFAULTS.iter().copied()).unwrap();
    e
}

/// Writes `text` to `path` with the modification time `stamp` seconds after a fixed instant, so
/// that a newer write is seen as newer whatever the file system's time granularity.
fn write(path: &Path, text: &str, stamp: u64) {
    std::fs::write(path, text).unwrap();
    let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000 + stamp);
    std::fs::File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(t)
        .unwrap();
}

fn allowed(e: &Enforcer, rule: &str, creds: &Value) -> bool {
    match e.enforce(rule, &json!({}), creds) {
        Ok(()) => true,
        Err(PolicyError::Forbidden { .. }) => false,
        Err(other) => panic!("enforcing {rule}: {other}"),
    }
}

#[test]
fn the_enforcer_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Enforcer>();
}

#[test]
fn defaults_allow_everything_but_plugin_updates_for_non_admins() {
    let dir = tempfile::tempdir().unwrap();
    let e = sahara_enforcer(dir.path(), EnforcerOptions::default());
    let member = creds(&["member"]);
    let admin = creds(&["Admin"]);
    for d in SAHARA_DEFAULTS {
        let admin_only = [
            "context_is_admin",
            "data-processing:plugins:patch",
            "data-processing:plugin:update",
        ];
        assert_eq!(
            allowed(&e, d.name, &member),
            !admin_only.contains(&d.name),
            "{}",
            d.name
        );
        assert!(allowed(&e, d.name, &admin), "{}", d.name);
        e.authorize(d.name, &json!({}), &admin).unwrap();
    }
    let denied = e
        .authorize("data-processing:plugin:update", &json!({}), &member)
        .unwrap_err();
    assert!(denied.is_forbidden());
    assert_eq!((denied.http_status(), denied.error_name()), (403, "FORBIDDEN"));
    assert_eq!(denied.error_message(), "You are not authorized to complete this action");
    assert!(matches!(
        e.authorize("data-processing:nope", &json!({}), &admin),
        Err(PolicyError::NotRegistered { .. })
    ));
    // enforce (not authorize) of an unknown rule, with no `default` rule defined: denied.
    assert!(!allowed(&e, "data-processing:nope", &admin));
}

#[test]
fn policy_file_overrides_defaults_and_reloads_on_change() {
    let dir = tempfile::tempdir().unwrap();
    let e = sahara_enforcer(dir.path(), EnforcerOptions::default());
    let member = creds(&["member"]);
    let rule = "data-processing:clusters:create";
    assert!(allowed(&e, rule, &member));

    // The file appears: found by name in the search directories.
    let policy = dir.path().join("policy.yaml");
    write(&policy, "\"data-processing:clusters:create\": \"role:admin\"\n", 1);
    assert!(!allowed(&e, rule, &member));
    // Other rules keep their defaults.
    assert!(allowed(&e, "data-processing:clusters:get", &member));

    // A newer file with a default rule: unknown names fall back to it.
    write(
        &policy,
        "default: \"role:member\"\n\"data-processing:clusters:create\": \"rule:default\"\n",
        2,
    );
    assert!(allowed(&e, rule, &member));
    assert!(allowed(&e, "anything:else", &member));
    assert!(!allowed(&e, "anything:else", &creds(&["reader"])));

    // An unchanged modification time is not re-read.
    write(&policy, "\"data-processing:clusters:create\": \"!\"\n", 2);
    assert!(allowed(&e, rule, &member));

    // Deleting the file leaves the defaults.
    std::fs::remove_file(&policy).unwrap();
    assert!(allowed(&e, rule, &member));
    assert!(!allowed(&e, "anything:else", &member));
}

#[test]
fn a_recheck_interval_spaces_the_looks_at_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.yaml");
    let rule = "data-processing:clusters:create";
    let member = creds(&["member"]);
    write(&policy, "\"data-processing:clusters:create\": \"role:admin\"\n", 1);
    let e = sahara_enforcer(dir.path(), EnforcerOptions::default()).with_recheck_interval(Duration::from_millis(300));
    assert!(!allowed(&e, rule, &member));
    // A change within the interval is not seen yet; after it, it is.
    write(&policy, "\"data-processing:clusters:create\": \"role:member\"\n", 2);
    assert!(!allowed(&e, rule, &member));
    std::thread::sleep(Duration::from_millis(400));
    assert!(allowed(&e, rule, &member));
}

#[test]
fn a_broken_policy_file_fails_then_keeps_the_last_good_rules() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.json");
    let options = EnforcerOptions {
        policy_file: policy.to_string_lossy().into_owned(),
        ..EnforcerOptions::default()
    };
    write(&policy, "{\"data-processing:clusters:create\": \"role:admin\"", 1);
    let e = sahara_enforcer(dir.path(), options);
    let member = creds(&["member"]);
    // No rules yet: every call re-reads the broken file and fails (oslo raises ValueError).
    for _ in 0..2 {
        match e.enforce("data-processing:clusters:get", &json!({}), &member) {
            Err(PolicyError::PolicyFile { error, .. }) => assert_eq!(error.kind, PyExceptionKind::ValueError),
            other => panic!("expected a policy file error, got {other:?}"),
        }
    }
    write(&policy, "{\"data-processing:clusters:create\": \"role:admin\"}", 2);
    assert!(!allowed(&e, "data-processing:clusters:create", &member));
    // A broken edit fails once, then the last good rules stay in force.
    write(&policy, "{\"data-processing:clusters:create\": ", 3);
    assert!(
        e.enforce("data-processing:clusters:create", &json!({}), &member)
            .is_err()
    );
    assert!(!allowed(&e, "data-processing:clusters:create", &member));
}

#[test]
fn policy_dirs_update_the_file_rules_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let policy_d = dir.path().join("policy.d");
    std::fs::create_dir(&policy_d).unwrap();
    write(
        &dir.path().join("policy.yaml"),
        "\"data-processing:jobs:create\": \"role:admin\"\n",
        1,
    );
    write(
        &policy_d.join("10-first.yaml"),
        "\"data-processing:jobs:get\": \"role:admin\"\n",
        1,
    );
    write(
        &policy_d.join("20-second.json"),
        "{\"data-processing:jobs:get\": \"role:reader\"}",
        1,
    );
    write(&policy_d.join(".hidden"), "\"data-processing:jobs:delete\": \"!\"\n", 1);
    let e = sahara_enforcer(dir.path(), EnforcerOptions::default());
    let reader = creds(&["reader"]);
    assert!(!allowed(&e, "data-processing:jobs:create", &reader));
    assert!(allowed(&e, "data-processing:jobs:get", &reader));
    assert!(allowed(&e, "data-processing:jobs:delete", &reader));
    // A newer file in the directory reloads everything.
    write(
        &policy_d.join("30-third.yaml"),
        "\"data-processing:jobs:get\": \"!\"\n",
        5,
    );
    assert!(!allowed(&e, "data-processing:jobs:get", &reader));
    assert!(!allowed(&e, "data-processing:jobs:create", &reader));
}

#[test]
fn from_config_finds_the_policy_file_next_to_sahara_conf() {
    let dir = tempfile::tempdir().unwrap();
    let conf_path = dir.path().join("sahara.conf");
    std::fs::write(
        &conf_path,
        "[oslo_policy]\npolicy_file = custom-policy.json\npolicy_default_rule = fallback\n",
    )
    .unwrap();
    write(
        &dir.path().join("custom-policy.json"),
        "{\"fallback\": \"role:member\", \"data-processing:images:register\": \"role:admin\"}",
        1,
    );
    let conf = ConfigOpts::from_files(&[ConfigSource::File(conf_path)]).unwrap();
    let e = Enforcer::from_config(&conf).unwrap();
    assert_eq!(e.registered().count(), 109);
    let member = creds(&["member"]);
    assert!(!allowed(&e, "data-processing:images:register", &member));
    assert!(allowed(&e, "not:registered", &member));
    assert!(e.authorize("not:registered", &json!({}), &member).is_err());
}
