//! The kolla-ansible fixtures (`../shared/fixtures/kolla/`): every rendered `sahara.conf` loads
//! and yields exactly the raw values of its `sahara.conf.expected.json`, typed lookups give the
//! right types, and operator overrides layer over the role's file (later file wins).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sahara_config::{
    ConfigArgs, ConfigOpts, ConfigSource, DatabaseOpts, EnvOverrides, KeystoneAuthtokenOpts, LoggingOpts,
    MessagingOpts, NotificationOpts, PolicyOpts, ProfilerOpts, RabbitOpts, SaharaApiOpts, SaharaNetworkingOpts,
    SaharaRemoteOpts, TrusteeOpts,
};

fn fixtures_dir() -> PathBuf {
    // <repo>/shared/config -> <repo>/../shared/fixtures/kolla
    runtime_manifest_dir().join("../../../shared/fixtures/kolla")
}

fn find_expected(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            find_expected(&path, out);
        } else if path.file_name().is_some_and(|n| n == "sahara.conf.expected.json") {
            out.push(path);
        }
    }
}

fn expected_cases() -> Vec<PathBuf> {
    let mut found = Vec::new();
    find_expected(&fixtures_dir(), &mut found);
    found.sort();
    found
}

fn load(paths: &[PathBuf]) -> ConfigOpts {
    let sources: Vec<ConfigSource> = paths.iter().cloned().map(ConfigSource::File).collect();
    ConfigOpts::from_files(&sources).unwrap_or_else(|e| panic!("{paths:?}: {e}"))
}

fn fixture(rel: &str) -> PathBuf {
    fixtures_dir().join(rel)
}

type Expected = BTreeMap<String, BTreeMap<String, String>>;

fn read_expected(path: &Path) -> Expected {
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn all_four_fixtures_are_found() {
    let cases = expected_cases();
    let names: Vec<String> = cases
        .iter()
        .map(|p| {
            let dir = p.parent().unwrap();
            format!(
                "{}/{}",
                dir.parent().unwrap().file_name().unwrap().to_string_lossy(),
                dir.file_name().unwrap().to_string_lossy()
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            "aio/sahara-api",
            "aio/sahara-engine",
            "multinode/sahara-api",
            "multinode/sahara-engine"
        ]
    );
}

#[test]
fn every_fixture_yields_exactly_its_expected_raw_values() {
    for expected_path in expected_cases() {
        let dir = expected_path.parent().unwrap();
        let conf = load(&[dir.join("sahara.conf")]);
        let expected = read_expected(&expected_path);
        let got = conf.sections();
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{}: sections differ",
            dir.display()
        );
        for (section, keys) in &expected {
            let got_keys = &got[section];
            assert_eq!(
                got_keys.keys().collect::<Vec<_>>(),
                keys.keys().collect::<Vec<_>>(),
                "{}: keys of [{section}] differ",
                dir.display()
            );
            for (key, value) in keys {
                assert_eq!(
                    conf.raw(section, key),
                    Some(value.as_str()),
                    "{}: [{section}] {key}",
                    dir.display()
                );
                assert_eq!(
                    conf.raw_all(section, key),
                    std::slice::from_ref(value),
                    "[{section}] {key}"
                );
            }
        }
        // every declared option reads without error from the rendered file
        let errors = conf.validate();
        assert!(errors.is_empty(), "{}: {errors:#?}", dir.display());
    }
}

#[test]
fn aio_typed_values() {
    for service in ["sahara-api", "sahara-engine"] {
        let conf = load(&[fixture(&format!("aio/{service}/sahara.conf"))]);
        assert!(
            conf.get::<bool>("oslo_messaging_rabbit", "rabbit_quorum_queue")
                .unwrap()
        );
        assert_eq!(conf.get::<u64>("DEFAULT", "api_workers").unwrap(), 5);
        assert_eq!(conf.get::<u16>("DEFAULT", "port").unwrap(), 8386);

        let api: SaharaApiOpts = conf.group().unwrap();
        assert_eq!(api.host, "127.0.0.1");
        assert_eq!(api.port, 8386);
        assert_eq!(api.api_workers, 5);

        let net: SaharaNetworkingOpts = conf.group().unwrap();
        assert!(!net.use_floating_ips);
        assert!(net.use_namespaces);
        assert!(net.use_rootwrap);
        assert_eq!(net.rootwrap_command, "sudo sahara-rootwrap /etc/sahara/rootwrap.conf");
        assert_eq!(net.node_domain, "novalocal");

        let log: LoggingOpts = conf.group().unwrap();
        assert!(!log.debug);
        assert_eq!(log.log_dir.as_deref(), Some("/var/log/kolla/sahara"));
        assert_eq!(log.log_file, None);
        assert!(!log.use_stderr);

        let msg: MessagingOpts = conf.group().unwrap();
        assert_eq!(
            msg.transport_url.as_deref(),
            Some("rabbit://openstack:secret@127.0.0.1:5672//")
        );
        assert_eq!(msg.control_exchange, "sahara");
        assert_eq!(msg.rpc_response_timeout, 60);

        let rabbit: RabbitOpts = conf.group().unwrap();
        assert!(rabbit.rabbit_quorum_queue);
        assert!(!rabbit.heartbeat_in_pthread);
        assert!(!rabbit.ssl);
        assert!(!rabbit.amqp_durable_queues);
        assert_eq!(rabbit.heartbeat_timeout_threshold, 60);
        assert_eq!(rabbit.kombu_reconnect_delay, 1.0);
        assert_eq!(rabbit.rabbit_login_method, "AMQPLAIN");

        let notif: NotificationOpts = conf.group().unwrap();
        assert_eq!(notif.driver, ["noop"]);
        assert_eq!(notif.topics, ["notifications"]);
        assert_eq!(notif.retry, -1);
        assert_eq!(notif.level, "INFO");
        assert_eq!(notif.publisher_id, None);

        let db: DatabaseOpts = conf.group().unwrap();
        assert_eq!(
            db.connection.as_deref(),
            Some("mysql+pymysql://sahara:secret@127.0.0.1:3306/sahara")
        );
        assert_eq!(db.connection_recycle_time, 10);
        assert_eq!(db.max_pool_size, 1);
        assert_eq!(db.max_retries, 10);

        let ks: KeystoneAuthtokenOpts = conf.group().unwrap();
        assert_eq!(ks.auth_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(ks.auth_type.as_deref(), Some("password"));
        assert_eq!(ks.cafile.as_deref(), Some(""));
        assert_eq!(ks.memcached_servers, Some(vec!["127.0.0.1:11211".to_string()]));
        assert_eq!(ks.memcache_security_strategy, "ENCRYPT");
        assert_eq!(ks.service_type.as_deref(), Some("data-processing"));

        let trustee: TrusteeOpts = conf.group().unwrap();
        assert_eq!(trustee.username.as_deref(), Some("sahara"));
        assert_eq!(trustee.project_domain_name, "Default");
        // [trustee] cafile is not a Sahara option: kept raw, not typed
        assert_eq!(conf.raw("trustee", "cafile"), Some(""));
        assert!(conf.get::<String>("trustee", "cafile").is_err());

        let profiler: ProfilerOpts = conf.group().unwrap();
        assert!(!profiler.enabled);
        assert_eq!(profiler.connection_string, "");

        let policy: PolicyOpts = conf.group().unwrap();
        assert_eq!(policy.policy_file, "policy.yaml");
    }
}

#[test]
fn multinode_typed_values() {
    for service in ["sahara-api", "sahara-engine"] {
        let conf = load(&[fixture(&format!("multinode/{service}/sahara.conf"))]);
        let msg: MessagingOpts = conf.group().unwrap();
        let url = msg.transport_url.unwrap();
        let hosts: Vec<&str> = url
            .strip_prefix("rabbit://")
            .unwrap()
            .trim_end_matches('/')
            .split(',')
            .collect();
        assert_eq!(hosts.len(), 3, "{url}");
        assert!(hosts.iter().all(|h| h.ends_with(":5671")));

        let remote: SaharaRemoteOpts = conf.group().unwrap();
        assert_eq!(
            remote.proxy_command,
            "ip netns exec qrouter-{router_id} nc {host} {port}"
        );
        let log: LoggingOpts = conf.group().unwrap();
        assert!(log.debug);

        let rabbit: RabbitOpts = conf.group().unwrap();
        assert!(rabbit.ssl);
        assert_eq!(rabbit.ssl_ca_file, "/etc/ssl/certs/ca-certificates.crt");
        assert!(!rabbit.rabbit_quorum_queue);

        let notif: NotificationOpts = conf.group().unwrap();
        assert_eq!(notif.driver, ["messagingv2"]);
        assert_eq!(notif.topics, ["notifications"]);
        assert_eq!(notif.transport_url.as_deref(), Some(url.as_str()));

        let ks: KeystoneAuthtokenOpts = conf.group().unwrap();
        assert_eq!(ks.memcached_servers.unwrap().len(), 3);
        assert_eq!(ks.cafile.as_deref(), Some("/etc/ssl/certs/ca-certificates.crt"));
    }
}

#[test]
fn operator_overrides_layer_over_the_role_file() {
    let overrides = fixture("multinode/operator-overrides/sahara.conf");
    // the operator file alone: the quoted proxy_command is unquoted
    let alone = load(std::slice::from_ref(&overrides));
    assert_eq!(
        alone.raw("DEFAULT", "proxy_command"),
        Some("ip netns exec qrouter-{router_id} nc {host} {port}")
    );

    // multinode's merged file, then the operator file as a second --config-file
    let multinode = fixture("multinode/sahara-api/sahara.conf");
    let conf = load(&[multinode.clone(), overrides.clone()]);
    assert!(conf.get::<bool>("DEFAULT", "debug").unwrap());
    assert!(
        !conf
            .get::<bool>("oslo_messaging_rabbit", "rabbit_quorum_queue")
            .unwrap()
    );
    assert_eq!(conf.raw_all("DEFAULT", "debug"), ["True", "True"]);
    let expected = read_expected(&fixture("multinode/sahara-api/sahara.conf.expected.json"));
    for (section, keys) in &expected {
        for (key, value) in keys {
            assert_eq!(conf.raw(section, key), Some(value.as_str()), "[{section}] {key}");
        }
    }

    // over the aio file the override visibly wins
    let aio = fixture("aio/sahara-api/sahara.conf");
    let layered = load(&[aio.clone(), overrides.clone()]);
    assert_eq!(layered.raw_all("DEFAULT", "debug"), ["False", "True"]);
    assert!(layered.get::<bool>("DEFAULT", "debug").unwrap());
    assert!(
        !layered
            .get::<bool>("oslo_messaging_rabbit", "rabbit_quorum_queue")
            .unwrap()
    );
    assert_eq!(
        layered.get::<String>("DEFAULT", "proxy_command").unwrap(),
        "ip netns exec qrouter-{router_id} nc {host} {port}"
    );
    // untouched values still come from the first file
    assert_eq!(layered.get::<u64>("DEFAULT", "api_workers").unwrap(), 5);

    // and the other order lets the aio file win
    let reversed = load(&[overrides, aio]);
    assert!(!reversed.get::<bool>("DEFAULT", "debug").unwrap());
    assert!(
        reversed
            .get::<bool>("oslo_messaging_rabbit", "rabbit_quorum_queue")
            .unwrap()
    );
}

#[test]
fn layering_through_the_command_line() {
    use clap::Parser;
    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        config: ConfigArgs,
    }
    let aio = fixture("aio/sahara-engine/sahara.conf");
    let overrides = fixture("multinode/operator-overrides/sahara.conf");
    let cli = Cli::try_parse_from([
        "sahara-engine".as_ref(),
        "--config-file".as_ref(),
        aio.as_os_str(),
        "--config-file".as_ref(),
        overrides.as_os_str(),
    ])
    .unwrap();
    let conf = ConfigOpts::load_for(
        &cli.config,
        "sahara-test-no-such-project",
        "sahara-test-no-such-prog",
        EnvOverrides::none(),
    )
    .unwrap();
    assert_eq!(conf.config_files().count(), 2);
    assert!(conf.get::<bool>("DEFAULT", "debug").unwrap());
    // config.json is not next to the operator file, so the aio file's directory has it
    let found = conf.find_file("config.json").unwrap();
    assert_eq!(
        found.canonicalize().unwrap(),
        aio.parent().unwrap().join("config.json").canonicalize().unwrap()
    );
    assert_eq!(conf.find_file("no-such-file.yaml"), None);
}

/// The package directory, read when the test runs (cargo and nextest set it, and run tests
/// from there): a compile-time path would point into whichever clone built a cached binary.
fn runtime_manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory"))
}
