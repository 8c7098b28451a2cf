//! Loading behaviour: `--config-dir` ordering, interleaved sources, missing files, environment
//! overrides, deprecated names, multi-valued options, interpolation, typed errors, redaction.

use std::path::{Path, PathBuf};

use sahara_config::{
    ConfigError, ConfigOpts, ConfigSource, DatabaseOpts, EnvOverrides, KeystoneAuthtokenOpts, MessagingOpts,
    NotificationOpts, SaharaApiOpts, TrusteeOpts, Value, ValueOrigin,
};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn conf(text: &str) -> ConfigOpts {
    ConfigOpts::from_ini_str(text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn config_dir_reads_sorted_conf_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "10-b.conf", "[DEFAULT]\napi_workers = 10\nhost = b.example.org\n");
    write(d, "02-a.conf", "[DEFAULT]\napi_workers = 2\nport = 1234\n");
    write(d, ".hidden.conf", "[DEFAULT]\napi_workers = 99\n");
    write(d, "notes.txt", "this is not ini\n");
    write(d, "zz.conf.bak", "[DEFAULT]\napi_workers = 98\n");
    let c = ConfigOpts::from_files(&[ConfigSource::Dir(d.to_path_buf())]).unwrap();
    let names: Vec<String> = c
        .config_files()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["02-a.conf", "10-b.conf"]);
    assert_eq!(c.get::<u64>("DEFAULT", "api_workers").unwrap(), 10);
    assert_eq!(c.get::<u16>("DEFAULT", "port").unwrap(), 1234);
    assert_eq!(c.raw_all("DEFAULT", "api_workers"), ["2", "10"]);
    assert_eq!(c.config_dirs().len(), 1);
}

#[test]
fn interleaved_files_and_dirs_are_read_in_command_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let confd = d.join("conf.d");
    std::fs::create_dir(&confd).unwrap();
    write(&confd, "a.conf", "[DEFAULT]\napi_workers = 2\nhost = from-dir\n");
    let first = write(
        d,
        "first.conf",
        "[DEFAULT]\napi_workers = 1\nhost = from-first\nport = 1\n",
    );
    let last = write(d, "last.conf", "[DEFAULT]\napi_workers = 3\n");
    let c = ConfigOpts::from_files(&[
        ConfigSource::File(first),
        ConfigSource::Dir(confd),
        ConfigSource::File(last),
    ])
    .unwrap();
    assert_eq!(c.get::<u64>("DEFAULT", "api_workers").unwrap(), 3);
    assert_eq!(c.get::<String>("DEFAULT", "host").unwrap(), "from-dir");
    assert_eq!(c.get::<u16>("DEFAULT", "port").unwrap(), 1);
}

#[test]
fn missing_sources_and_parse_errors_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.conf");
    let err = ConfigOpts::from_files(&[ConfigSource::File(missing.clone())]).unwrap_err();
    assert!(
        matches!(&err, ConfigError::FilesNotFound(p) if p == std::slice::from_ref(&missing)),
        "{err:?}"
    );
    assert!(err.to_string().contains("missing.conf"), "{err}");

    let err = ConfigOpts::from_files(&[ConfigSource::Dir(dir.path().join("nodir"))]).unwrap_err();
    assert!(matches!(err, ConfigError::DirNotFound(_)), "{err:?}");

    let bad = write(dir.path(), "bad.conf", "[DEFAULT]\nhost = a\nthis line is wrong\n");
    let err = ConfigOpts::from_files(&[ConfigSource::File(bad)]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("bad.conf:3"), "{text}");
    assert!(text.contains("No ':' or '=' found in assignment"), "{text}");
}

#[test]
fn environment_overrides_files_and_defaults() {
    let c = conf("[DEFAULT]\napi_workers = 4\n[oslo_messaging_rabbit]\nssl = false\n").with_env(
        EnvOverrides::from_vars([
            ("OS_DEFAULT__API_WORKERS", "8"),
            ("OS_OSLO_MESSAGING_RABBIT__SSL", "True"),
            ("OS_DEFAULT__CONTROL_EXCHANGE", "other"),
            ("OS_NOSUCHGROUP__X", "ignored"),
        ])
        .unwrap(),
    );
    assert_eq!(c.get::<u64>("DEFAULT", "api_workers").unwrap(), 8);
    assert!(c.get::<bool>("oslo_messaging_rabbit", "ssl").unwrap());
    let msg: MessagingOpts = c.group().unwrap();
    assert_eq!(msg.control_exchange, "other");
    // raw values are the files' only
    assert_eq!(c.raw("DEFAULT", "api_workers"), Some("4"));

    let bad = ConfigOpts::default().with_env(EnvOverrides::from_vars([("OS_DEFAULT__API_WORKERS", "many")]).unwrap());
    match bad.get::<u64>("DEFAULT", "api_workers").unwrap_err() {
        ConfigError::InvalidValue { origin, .. } => assert_eq!(
            *origin,
            ValueOrigin::Env {
                var: "OS_DEFAULT__API_WORKERS".into()
            }
        ),
        e => panic!("{e:?}"),
    }
}

#[test]
fn defaults_apply_when_unset() {
    let c = ConfigOpts::default();
    let api: SaharaApiOpts = c.group().unwrap();
    assert_eq!(api.host, "0.0.0.0");
    assert_eq!(api.port, 8386);
    assert_eq!(api.api_workers, 1);
    let msg: MessagingOpts = c.group().unwrap();
    assert_eq!(msg.transport_url.as_deref(), Some("rabbit://"));
    assert_eq!(msg.control_exchange, "sahara");
    let notif: NotificationOpts = c.group().unwrap();
    assert!(notif.driver.is_empty());
    assert_eq!(notif.transport_url, None);
    assert!(c.get::<bool>("conductor", "use_local").unwrap());
    assert!(c.validate().is_empty(), "{:?}", c.validate());
}

#[test]
fn multi_valued_options_collect_every_value_across_files() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(
        dir.path(),
        "a.conf",
        "[oslo_messaging_notifications]\ndriver = log\ndriver = messagingv2\ntopics = a\n",
    );
    let b = write(
        dir.path(),
        "b.conf",
        "[oslo_messaging_notifications]\ndriver = routing\ntopics = b, c\n",
    );
    let c = ConfigOpts::from_files(&[ConfigSource::File(a), ConfigSource::File(b)]).unwrap();
    let notif: NotificationOpts = c.group().unwrap();
    assert_eq!(notif.driver, ["log", "messagingv2", "routing"]);
    assert_eq!(notif.topics, ["b", "c"]);
    // a single-valued option takes the last value of a repeated key
    let c = conf("[DEFAULT]\napi_workers = 1\napi_workers = 7\n");
    assert_eq!(c.get::<u64>("DEFAULT", "api_workers").unwrap(), 7);
}

#[test]
fn deprecated_names_are_read() {
    let c = conf("[DEFAULT]\nnotification_level = WARN\nrpc_thread_pool_size = 8\n");
    assert_eq!(
        c.get::<String>("oslo_messaging_notifications", "level").unwrap(),
        "WARN"
    );
    assert_eq!(c.get::<String>("DEFAULT", "notification_level").unwrap(), "WARN");
    assert_eq!(c.get::<u64>("DEFAULT", "executor_thread_pool_size").unwrap(), 8);
    // the new name wins within a file; a newer file wins over an older one whatever the name
    let c = conf("[oslo_messaging_notifications]\nlevel = ERROR\n[DEFAULT]\nnotification_level = WARN\n");
    assert_eq!(
        c.get::<String>("oslo_messaging_notifications", "level").unwrap(),
        "ERROR"
    );
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "1.conf", "[oslo_messaging_notifications]\nlevel = ERROR\n");
    let new = write(dir.path(), "2.conf", "[DEFAULT]\nnotification_level = DEBUG\n");
    let c = ConfigOpts::from_files(&[ConfigSource::File(old), ConfigSource::File(new)]).unwrap();
    assert_eq!(
        c.get::<String>("oslo_messaging_notifications", "level").unwrap(),
        "DEBUG"
    );
    // group names are case-insensitive, keys are not
    let c = conf("[Database]\nconnection = sqlite://\nMax_Pool_Size = 9\n");
    let db: DatabaseOpts = c.group().unwrap();
    assert_eq!(db.connection.as_deref(), Some("sqlite://"));
    assert_eq!(db.max_pool_size, 5);
}

#[test]
fn interpolation() {
    let c = conf(concat!(
        "[DEFAULT]\n",
        "log_dir = /var/log/sahara\n",
        "log_file = $log_dir/${host}-$api_workers-${debug}.log\n",
        "api_workers = 3\n",
        "host = ctl1\n",
        "proxy_command = echo $$HOME \\$USER\n",
        "node_domain = $database.connection\n",
        "[database]\n",
        "connection = sqlite:////tmp/$log_dir\n",
        "[trustee]\n",
        "project_name = services\n",
        "username = $project_name\n",
        "auth_url = $host\n",
    ));
    assert_eq!(
        c.get::<String>("DEFAULT", "log_file").unwrap(),
        "/var/log/sahara/ctl1-3-False.log"
    );
    assert_eq!(c.get::<String>("DEFAULT", "proxy_command").unwrap(), "echo $HOME $USER");
    // cross-group reference, itself interpolated (database has no log_dir: falls back to DEFAULT)
    assert_eq!(
        c.get::<String>("DEFAULT", "node_domain").unwrap(),
        "sqlite:////tmp//var/log/sahara"
    );
    // same group first, then DEFAULT
    let trustee: TrusteeOpts = c.group().unwrap();
    assert_eq!(trustee.username.as_deref(), Some("services"));
    assert_eq!(trustee.auth_url.as_deref(), Some("ctl1"));
    // raw values are not interpolated
    assert_eq!(
        c.raw("DEFAULT", "log_file"),
        Some("$log_dir/${host}-$api_workers-${debug}.log")
    );
}

#[test]
fn interpolation_errors() {
    let err = |text: &str, group: &str, name: &str| -> String {
        match conf(text).get::<Value>(group, name) {
            Err(e @ ConfigError::Substitution { .. }) => e.to_string(),
            other => panic!("expected a substitution error, got {other:?}"),
        }
    };
    let e = err("[DEFAULT]\nlog_file = $nope/x\n", "DEFAULT", "log_file");
    assert!(e.contains("no such option nope"), "{e}");
    let e = err("[DEFAULT]\nlog_file = $database\n", "DEFAULT", "log_file");
    assert!(e.contains("substituting group database not supported"), "{e}");
    let e = err("[DEFAULT]\nlog_file = $nogroup.x\n", "DEFAULT", "log_file");
    assert!(e.contains("no such group [nogroup]"), "{e}");
    let e = err(
        "[DEFAULT]\nlog_file = $log_dir\nlog_dir = $log_file\n",
        "DEFAULT",
        "log_file",
    );
    assert!(e.contains("recursive reference"), "{e}");
    let e = err("[trustee]\nauth_url = ${auth_url}/v3\n", "trustee", "auth_url");
    assert!(e.contains("recursive reference"), "{e}");
    // `$host.example.org` names group "host", as in oslo
    let e = err("[DEFAULT]\nnode_domain = $host.example.org\n", "DEFAULT", "node_domain");
    assert!(e.contains("no such group [host]"), "{e}");
}

#[test]
fn typed_errors_name_file_line_option_and_type() {
    let dir = tempfile::tempdir().unwrap();
    let f = write(
        dir.path(),
        "sahara.conf",
        "[DEFAULT]\napi_workers = five\nport = 70000\ndebug = maybe\nuse_stderr =\n",
    );
    let c = ConfigOpts::from_files(&[ConfigSource::File(f)]).unwrap();
    let e = c.get::<u64>("DEFAULT", "api_workers").unwrap_err().to_string();
    assert!(e.contains("api_workers") && e.contains("sahara.conf:2"), "{e}");
    assert!(e.contains("expected integer value") && e.contains("'five'"), "{e}");
    let e = c.get::<u16>("DEFAULT", "port").unwrap_err().to_string();
    assert!(
        e.contains("sahara.conf:3") && e.contains("less than or equal to 65535"),
        "{e}"
    );
    let e = c.get::<bool>("DEFAULT", "debug").unwrap_err().to_string();
    assert!(e.contains("Unexpected boolean value 'maybe'"), "{e}");
    assert_eq!(c.validate().len(), 4);

    let c = conf("[DEFAULT]\napi_workers =\n");
    assert!(matches!(
        c.get::<u64>("DEFAULT", "api_workers"),
        Err(ConfigError::MissingValue { .. })
    ));
    assert_eq!(c.get::<Option<u64>>("DEFAULT", "api_workers").unwrap(), None);
    let c = conf("[DEFAULT]\nexecutor_thread_pool_size = -1\n");
    assert_eq!(c.get::<i64>("DEFAULT", "executor_thread_pool_size").unwrap(), -1);
    assert!(c.get::<u64>("DEFAULT", "executor_thread_pool_size").is_err());
    assert!(matches!(
        c.get::<bool>("DEFAULT", "api_workers"),
        Err(ConfigError::WrongType { .. })
    ));
    assert!(matches!(
        c.get::<String>("DEFAULT", "no_such_option"),
        Err(ConfigError::NoSuchOption { .. })
    ));
    assert!(matches!(
        c.get::<String>("no_such_group", "x"),
        Err(ConfigError::NoSuchGroup(_))
    ));
}

#[test]
fn unknown_options_are_kept_raw_but_not_typed() {
    let c = conf("[DEFAULT]\nmy_option = 1\n[custom]\nkey = a\nkey = b\n");
    assert_eq!(c.raw("custom", "key"), Some("b"));
    assert_eq!(c.raw_all("custom", "key"), ["a", "b"]);
    assert_eq!(c.raw("DEFAULT", "my_option"), Some("1"));
    assert!(c.get::<String>("DEFAULT", "my_option").is_err());
    assert!(c.validate().is_empty());
}

#[test]
fn secrets_never_show_in_debug_output_or_errors() {
    const PW: &str = "hunter2-s3cr3t";
    let c = conf(&format!(
        "[DEFAULT]\ntransport_url = rabbit://u:{PW}@h//\n\
         [database]\nconnection = mysql+pymysql://sahara:{PW}@db/sahara\n\
         [keystone_authtoken]\npassword = {PW}\nmemcache_secret_key = {PW}\nmemcache_password = {PW}\n\
         [trustee]\npassword = {PW}\n\
         [oslo_messaging_notifications]\ntransport_url = rabbit://u:{PW}@h//\n\
         [unknown_section]\ntoken = {PW}\n"
    ))
    .with_env(EnvOverrides::from_vars([("OS_DATABASE__SLAVE_CONNECTION", PW)]).unwrap());
    let shown = [
        format!("{c:?}"),
        format!("{:?}", c.group::<MessagingOpts>().unwrap()),
        format!("{:?}", c.group::<DatabaseOpts>().unwrap()),
        format!("{:?}", c.group::<KeystoneAuthtokenOpts>().unwrap()),
        format!("{:?}", c.group::<TrusteeOpts>().unwrap()),
        format!("{:?}", c.group::<NotificationOpts>().unwrap()),
        format!("{:?}", c.env()),
    ];
    for text in &shown {
        assert!(!text.contains(PW), "secret leaked: {text}");
    }
    assert!(shown[1].contains("transport_url: ****"), "{}", shown[1]);
    // non-secret values are still shown
    assert!(shown[3].contains("memcache_security_strategy"), "{}", shown[3]);
    // the value is typed correctly all the same
    let trustee: TrusteeOpts = c.group().unwrap();
    assert_eq!(trustee.password.as_deref(), Some(PW));

    // a secret that fails to parse is not echoed in the error (memcache_security_strategy is not
    // secret, so the value appears there)
    let bad = conf("[keystone_authtoken]\nmemcache_security_strategy = AES\n");
    let e = bad
        .get::<String>("keystone_authtoken", "memcache_security_strategy")
        .unwrap_err();
    assert!(e.to_string().contains("'AES'"), "{e}");
}
