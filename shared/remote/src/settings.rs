//! [`RemoteSettings`]: the `sahara.conf` options that decide how instances are reached and
//! how long and how many remote operations may run.

use std::time::Duration;

/// The options of Sahara's `[DEFAULT]` section this crate follows. The engine fills it from
/// its configuration; [`Default`] gives Sahara's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSettings {
    /// `proxy_command`: a command template whose stdin/stdout reach `{host}:{port}`
    /// (keywords `{host}`, `{port}`, `{tenant_id}`, `{network_id}`, `{router_id}`); empty:
    /// none.
    pub proxy_command: String,
    /// `proxy_command_use_internal_ip`: with a proxy command, address instances by their
    /// internal IP instead of their management IP.
    pub proxy_command_use_internal_ip: bool,
    /// `use_namespaces`: reach instances without a floating IP through
    /// `ip netns exec qrouter-<router_id> nc <host> <port>`.
    pub use_namespaces: bool,
    /// `use_rootwrap`: prefix proxy commands (and their `kill`) with `rootwrap_command`.
    pub use_rootwrap: bool,
    /// `rootwrap_command`.
    pub rootwrap_command: String,
    /// `ssh_timeout_common`: default timeout of command execution (and of connecting).
    pub ssh_timeout_common: Duration,
    /// `ssh_timeout_files`: default timeout of file operations and everything else.
    pub ssh_timeout_files: Duration,
    /// `ssh_timeout_interactive`: default timeout of interactive operations.
    pub ssh_timeout_interactive: Duration,
    /// `global_remote_threshold`: remote operations (connections) at once in this process.
    pub global_remote_threshold: usize,
    /// `cluster_remote_threshold`: remote operations at once in one cluster operation.
    pub cluster_remote_threshold: usize,
}

impl Default for RemoteSettings {
    fn default() -> Self {
        RemoteSettings {
            proxy_command: String::new(),
            proxy_command_use_internal_ip: false,
            use_namespaces: false,
            use_rootwrap: false,
            rootwrap_command: "sudo sahara-rootwrap /etc/sahara/rootwrap.conf".into(),
            ssh_timeout_common: Duration::from_secs(300),
            ssh_timeout_files: Duration::from_secs(600),
            ssh_timeout_interactive: Duration::from_secs(1800),
            global_remote_threshold: 100,
            cluster_remote_threshold: 70,
        }
    }
}

impl RemoteSettings {
    /// The rootwrap prefix proxy commands get: `rootwrap_command` when `use_rootwrap`.
    pub(crate) fn rootwrap(&self) -> Option<&str> {
        (self.use_rootwrap && !self.rootwrap_command.trim().is_empty()).then_some(self.rootwrap_command.as_str())
    }
}
