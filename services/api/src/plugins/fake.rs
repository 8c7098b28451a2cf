//! The `fake` plugin's metadata (sahara/plugins/fake/plugin.py), with the common configs every plugin
//! offers (sahara/plugins/provisioning.py) and the Kerberos configs the fake plugin returns
//! (sahara/plugins/kerberos.py).

use super::{Plugin, PluginConfig};
use serde_json::{Value, json};

/// The `fake` plugin: works on CirrOS images, installs no Hadoop.
pub static FAKE: Plugin = Plugin {
    name: "fake",
    title: "Fake Plugin",
    description: "It's a fake plugin that aimed to work on the CirrOS images. It doesn't install Hadoop. It's \
                  needed to be able to test provisioning part of Sahara codebase itself.",
    versions: &["0.1"],
    plugin_labels: &[("enabled", true), ("hidden", true)],
    version_labels: &[("0.1", &[("enabled", true)])],
    node_processes: &[
        ("HDFS", &["namenode", "datanode"]),
        ("MapReduce", &["tasktracker", "jobtracker"]),
        ("Kerberos", &[]),
    ],
    configs: all_configs,
};

#[allow(clippy::too_many_arguments)]
fn config(
    name: &'static str,
    target: &'static str,
    config_type: &'static str,
    default_value: Value,
    is_optional: bool,
    description: Option<&'static str>,
) -> PluginConfig {
    PluginConfig {
        name,
        description,
        config_type,
        config_values: None,
        default_value,
        applicable_target: target,
        scope: "cluster",
        is_optional,
        priority: 1,
    }
}

/// `list_of_common_configs()`: disk preparing timeout, NTP, Heat wait condition timeout, XFS.
pub fn common_configs() -> Vec<PluginConfig> {
    vec![
        config(
            "Timeout for disk preparing",
            "general",
            "int",
            json!(300),
            true,
            Some("Timeout for preparing disks, formatting and mounting"),
        ),
        config(
            "Enable NTP service",
            "general",
            "bool",
            json!(true),
            false,
            Some("Enables NTP service for synchronization time on cluster instances"),
        ),
        config(
            "URL of NTP server",
            "general",
            "string",
            json!(""),
            true,
            Some("URL of the NTP server for synchronization time on cluster instances"),
        ),
        config(
            "Heat Wait Condition timeout",
            "general",
            "int",
            json!(3600),
            true,
            Some("The number of seconds to wait for the instance to boot"),
        ),
        config(
            "Enable XFS",
            "general",
            "bool",
            json!(true),
            true,
            Some("Enables XFS for formatting"),
        ),
    ]
}

/// `kerberos.get_config_list()`.
pub fn kerberos_configs() -> Vec<PluginConfig> {
    let k = "Kerberos";
    vec![
        config("Enable Kerberos Security", k, "bool", json!(false), true, None),
        config("Existing KDC", k, "bool", json!(false), true, None),
        config(
            "Server IP of KDC",
            k,
            "string",
            json!("192.168.0.1"),
            true,
            Some("Server IP of KDC server when using existing KDC"),
        ),
        config(
            "Realm Name",
            k,
            "string",
            json!("SAHARA-KDC"),
            true,
            Some("The name of realm to be used"),
        ),
        config(
            "Admin principal",
            k,
            "string",
            json!("sahara/admin"),
            true,
            Some("Admin principal for existing KDC server"),
        ),
        config("Admin password", k, "string", json!(""), true, None),
        config(
            "JCE libraries",
            k,
            "string",
            json!("https://tarballs.openstack.org/sahara-extra/dist/common-artifacts/"),
            true,
            Some("Java Cryptography Extension (JCE) Unlimited Strength Jurisdiction Policy Files location"),
        ),
    ]
}

fn all_configs(_version: &str) -> Vec<PluginConfig> {
    let mut c = common_configs();
    c.extend(kerberos_configs());
    c
}
