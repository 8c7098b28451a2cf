//! Which address and which path reach an instance (Sahara's `_get_access_ip`,
//! `_get_conn_params` and `_build_proxy_command`): direct TCP, a proxy command, the
//! router namespace's `nc`, or SSH to a proxy gateway instance first.

use std::fmt;
use std::sync::Arc;

use crate::error::{RemoteError, Result};
use crate::settings::RemoteSettings;

/// The template Sahara uses when `use_namespaces` reaches an instance without floating IP.
pub const NAMESPACE_PROXY_TEMPLATE: &str = "ip netns exec qrouter-{router_id} nc {host} {port}";

/// The SSH port Sahara always uses.
pub const SSH_PORT: u16 = 22;

/// A cluster's management private key (PEM). Its `Debug` never shows the key, and it has
/// no `Display`.
#[derive(Clone)]
pub struct PrivateKey(Arc<str>);

impl PrivateKey {
    /// Wraps a PEM private key.
    pub fn new(pem: impl Into<String>) -> PrivateKey {
        PrivateKey(Arc::from(pem.into()))
    }

    /// The PEM text, for libssh2 only.
    pub(crate) fn pem(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(<redacted>)")
    }
}

/// One instance as remote access sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The instance's Sahara id (for logs).
    pub instance_id: String,
    /// Its fixed IP on the management network.
    pub internal_ip: String,
    /// Its management IP as the engine chose it (floating IP or internal IP).
    pub management_ip: String,
    /// Whether it has a floating IP (Sahara's `has_floating_ip`: its node group has a
    /// floating IP pool and its management IP differs from its internal IP).
    pub has_floating_ip: bool,
    /// The login user (its node group's image username).
    pub username: String,
}

/// Everything needed to reach one instance of a cluster.
#[derive(Debug, Clone)]
pub struct InstanceAccess {
    /// The cluster's id (for logs).
    pub cluster_id: String,
    /// The instance to reach.
    pub instance: Node,
    /// The cluster's proxy gateway instance, when the cluster has one and `instance` is not
    /// in a proxy gateway node group: SSH reaches the gateway first and runs `nc` there.
    pub gateway: Option<Node>,
    /// The cluster's management private key (for the gateway too).
    pub private_key: PrivateKey,
    /// `{tenant_id}`: the project of the request.
    pub tenant_id: String,
    /// `{network_id}`: the cluster's management network (empty when it has none).
    pub network_id: String,
    /// `{router_id}`: the router of the management network, when
    /// [`needs_router_id`](InstanceAccess::needs_router_id) says it is needed.
    pub router_id: Option<String>,
}

/// Whether some instance may need the management network's router id under `settings`:
/// `proxy_command` contains `{router_id}`, or (without proxy command) `use_namespaces` is
/// set. [`InstanceAccess::needs_router_id`] answers for one instance.
pub fn needs_router_id(settings: &RemoteSettings) -> bool {
    if settings.proxy_command.is_empty() {
        settings.use_namespaces
    } else {
        settings.proxy_command.contains("{router_id}")
    }
}

/// The address Sahara connects to for `node`: its internal IP when a proxy command is set
/// with `proxy_command_use_internal_ip`, else its management IP.
pub fn access_ip<'a>(settings: &RemoteSettings, node: &'a Node) -> &'a str {
    if !settings.proxy_command.is_empty() && settings.proxy_command_use_internal_ip {
        &node.internal_ip
    } else {
        &node.management_ip
    }
}

impl InstanceAccess {
    /// The instance the first hop reaches: the gateway when there is one.
    fn access_node(&self) -> &Node {
        self.gateway.as_ref().unwrap_or(&self.instance)
    }

    /// The proxy command template for the first hop, if any (Sahara: `proxy_command`,
    /// else the namespace template when `use_namespaces` and the access instance has no
    /// floating IP).
    fn template<'a>(&self, settings: &'a RemoteSettings) -> Option<&'a str> {
        if !settings.proxy_command.is_empty() {
            Some(&settings.proxy_command)
        } else if settings.use_namespaces && !self.access_node().has_floating_ip {
            Some(NAMESPACE_PROXY_TEMPLATE)
        } else {
            None
        }
    }

    /// Whether reaching this instance needs [`router_id`](InstanceAccess::router_id).
    pub fn needs_router_id(&self, settings: &RemoteSettings) -> bool {
        self.template(settings).is_some_and(|t| t.contains("{router_id}"))
    }

    /// The path to this instance under `settings`; a template that cannot be expanded is
    /// [`RemoteError::Misconfiguration`], a missing router id [`RemoteError::MissingRouterId`].
    pub fn path(&self, settings: &RemoteSettings) -> Result<AccessPath> {
        let access = self.access_node();
        let hop = match self.template(settings) {
            None => Hop::Direct,
            Some(template) => {
                let command = ProxyCommand {
                    template: template.to_owned(),
                    host: access_ip(settings, access).to_owned(),
                    tenant_id: self.tenant_id.clone(),
                    network_id: self.network_id.clone(),
                    router_id: self.router_id.clone(),
                    rootwrap: settings.rootwrap().map(str::to_owned),
                };
                // Fail now, not on the first connection.
                command.argv(SSH_PORT)?;
                Hop::Command(command)
            }
        };
        Ok(AccessPath {
            host: access_ip(settings, &self.instance).to_owned(),
            username: self.instance.username.clone(),
            gateway: self.gateway.as_ref().map(|g| Endpoint {
                host: g.management_ip.clone(),
                username: g.username.clone(),
            }),
            hop,
        })
    }
}

/// An SSH login: address and user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The address.
    pub host: String,
    /// The login user.
    pub username: String,
}

/// How the engine reaches an instance (see [`InstanceAccess::path`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessPath {
    /// The instance's access IP: what SSH and HTTP connect to (from the gateway, if any).
    pub host: String,
    /// The instance's login user.
    pub username: String,
    /// The proxy gateway to SSH to first (its management IP and user), if any.
    pub gateway: Option<Endpoint>,
    /// How a byte stream to the gateway (if any) or the instance is opened.
    pub hop: Hop,
}

impl AccessPath {
    /// The host the first hop reaches: the gateway when there is one.
    pub fn first_host(&self) -> &str {
        self.gateway.as_ref().map_or(&self.host, |g| &g.host)
    }
}

/// How a byte stream to `host:port` is opened from the engine's host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hop {
    /// A TCP connection.
    Direct,
    /// A proxy command's stdin/stdout.
    Command(ProxyCommand),
}

/// A proxy command template with its keywords bound, except `{port}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyCommand {
    template: String,
    host: String,
    tenant_id: String,
    network_id: String,
    router_id: Option<String>,
    rootwrap: Option<String>,
}

impl ProxyCommand {
    /// The expanded command line for `port` (Sahara's `_build_proxy_command`), with the
    /// rootwrap prefix when `use_rootwrap`.
    pub fn command_line(&self, port: u16) -> Result<String> {
        if self.template.contains("{router_id}") && self.router_id.is_none() {
            return Err(RemoteError::MissingRouterId);
        }
        let port = port.to_string();
        let expanded = format_template(&self.template, |key| match key {
            "host" => Some(self.host.as_str()),
            "port" => Some(port.as_str()),
            "tenant_id" => Some(self.tenant_id.as_str()),
            "network_id" => Some(self.network_id.as_str()),
            "router_id" => self.router_id.as_deref(),
            _ => None,
        })
        .map_err(|detail| {
            tracing::error!("Invalid keyword in proxy_command: {detail}");
            RemoteError::Misconfiguration { detail }
        })?;
        Ok(match &self.rootwrap {
            Some(rootwrap) => format!("{rootwrap} {expanded}"),
            None => expanded,
        })
    }

    /// The command for `port` as an argument vector (split as Python's `shlex.split`).
    pub fn argv(&self, port: u16) -> Result<Vec<String>> {
        let line = self.command_line(port)?;
        let argv = shlex_split(&line).map_err(|detail| RemoteError::Misconfiguration {
            detail: format!("proxy_command: {detail}"),
        })?;
        if argv.is_empty() {
            return Err(RemoteError::Misconfiguration {
                detail: "proxy_command is empty".into(),
            });
        }
        Ok(argv)
    }

    /// How to kill the command's process `pid`: `<rootwrap_command> kill <pid>` under
    /// rootwrap, else `None` (a SIGTERM from this process).
    pub fn kill_argv(&self, pid: u32) -> Option<Vec<String>> {
        let mut argv = shlex_split(self.rootwrap.as_deref()?).ok()?;
        argv.extend(["kill".to_owned(), pid.to_string()]);
        Some(argv)
    }
}

/// Expands a Python `str.format` template with named fields only: `{{`/`}}` are braces,
/// `{name}` is `lookup(name)`. Anything else (an unknown name, a positional or formatted
/// field, a stray brace) is an error naming it.
fn format_template<'a>(template: &str, lookup: impl Fn(&str) -> Option<&'a str>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => return Err("unclosed '{' in proxy_command".into()),
                    }
                }
                match lookup(&name) {
                    Some(value) => out.push_str(value),
                    None => return Err(format!("unknown keyword {{{name}}}")),
                }
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err("single '}' in proxy_command".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Splits a command line as Python's `shlex.split` (POSIX mode, no comments): blanks
/// separate words, `'...'` is literal, `"..."` honours `\"` and `\\`, `\` outside quotes
/// escapes the next character.
pub(crate) fn shlex_split(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                word.push(chars.next().ok_or("No escaped character")?);
                in_word = true;
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\')) => word.push(c),
                            Some(c) => {
                                word.push('\\');
                                word.push(c);
                            }
                            None => return Err("No closing quotation".into()),
                        },
                        Some(c) => word.push(c),
                        None => return Err("No closing quotation".into()),
                    }
                }
            }
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(ip: &str, fip: Option<&str>) -> Node {
        Node {
            instance_id: format!("inst-{ip}"),
            internal_ip: ip.into(),
            management_ip: fip.unwrap_or(ip).into(),
            has_floating_ip: fip.is_some(),
            username: "ubuntu".into(),
        }
    }

    fn access(instance: Node, gateway: Option<Node>) -> InstanceAccess {
        InstanceAccess {
            cluster_id: "c1".into(),
            instance,
            gateway,
            private_key: PrivateKey::new("-----BEGIN RSA PRIVATE KEY-----\nsecret\n-----END RSA PRIVATE KEY-----\n"),
            tenant_id: "t1".into(),
            network_id: "n1".into(),
            router_id: None,
        }
    }

    #[test]
    fn private_key_never_shows() {
        let a = access(node("10.0.0.5", None), None);
        let debug = format!("{a:?}");
        assert!(!debug.contains("secret") && debug.contains("<redacted>"), "{debug}");
    }

    #[test]
    fn direct_uses_management_ip() {
        let s = RemoteSettings::default();
        let p = access(node("10.0.0.5", Some("172.24.4.9")), None).path(&s).unwrap();
        assert_eq!(
            (p.host.as_str(), &p.hop, p.gateway.as_ref()),
            ("172.24.4.9", &Hop::Direct, None)
        );
    }

    #[test]
    fn proxy_command_is_expanded() {
        let s = RemoteSettings {
            proxy_command: "ssh -q jump@{host} nc {host} {port} # {tenant_id}/{network_id}/{{x}}".into(),
            ..Default::default()
        };
        let a = access(node("10.0.0.5", Some("172.24.4.9")), None);
        assert!(!a.needs_router_id(&s) && !needs_router_id(&s));
        let p = a.path(&s).unwrap();
        assert_eq!(p.host, "172.24.4.9");
        let Hop::Command(c) = &p.hop else { panic!("{p:?}") };
        assert_eq!(
            c.command_line(8080).unwrap(),
            "ssh -q jump@172.24.4.9 nc 172.24.4.9 8080 # t1/n1/{x}"
        );
        assert_eq!(c.kill_argv(7), None);
        // proxy_command_use_internal_ip: the internal IP, for {host} and the target.
        let s = RemoteSettings {
            proxy_command_use_internal_ip: true,
            ..s
        };
        let p = a.path(&s).unwrap();
        assert_eq!(p.host, "10.0.0.5");
        let Hop::Command(c) = &p.hop else { panic!() };
        assert!(
            c.command_line(22)
                .unwrap()
                .starts_with("ssh -q jump@10.0.0.5 nc 10.0.0.5 22")
        );
    }

    #[test]
    fn bad_templates_are_misconfiguration() {
        let a = access(node("10.0.0.5", None), None);
        for template in ["nc {host} {prot}", "nc {host} {0}", "nc {host", "nc host}", "nc 'x"] {
            let s = RemoteSettings {
                proxy_command: template.into(),
                ..Default::default()
            };
            match a.path(&s) {
                Err(RemoteError::Misconfiguration { detail }) => assert!(!detail.is_empty()),
                other => panic!("{template}: {other:?}"),
            }
        }
        let s = RemoteSettings {
            proxy_command: "   ".into(),
            ..Default::default()
        };
        assert!(matches!(a.path(&s), Err(RemoteError::Misconfiguration { .. })));
    }

    #[test]
    fn router_id_only_when_needed() {
        let s = RemoteSettings {
            proxy_command: "ip netns exec qrouter-{router_id} nc {host} {port}".into(),
            ..Default::default()
        };
        let mut a = access(node("10.0.0.5", None), None);
        assert!(a.needs_router_id(&s) && needs_router_id(&s));
        assert!(matches!(a.path(&s), Err(RemoteError::MissingRouterId)));
        a.router_id = Some("r1".into());
        let Hop::Command(c) = a.path(&s).unwrap().hop else {
            panic!()
        };
        assert_eq!(
            c.argv(22).unwrap(),
            ["ip", "netns", "exec", "qrouter-r1", "nc", "10.0.0.5", "22"]
        );
    }

    #[test]
    fn namespaces_only_without_floating_ip() {
        let s = RemoteSettings {
            use_namespaces: true,
            use_rootwrap: true,
            ..Default::default()
        };
        assert!(needs_router_id(&s));
        let mut a = access(node("10.0.0.5", None), None);
        a.router_id = Some("r1".into());
        assert!(a.needs_router_id(&s));
        let Hop::Command(c) = a.path(&s).unwrap().hop else {
            panic!()
        };
        assert_eq!(
            c.command_line(8000).unwrap(),
            "sudo sahara-rootwrap /etc/sahara/rootwrap.conf ip netns exec qrouter-r1 nc 10.0.0.5 8000"
        );
        assert_eq!(
            c.kill_argv(42).unwrap(),
            ["sudo", "sahara-rootwrap", "/etc/sahara/rootwrap.conf", "kill", "42"]
        );
        let fip = access(node("10.0.0.5", Some("172.24.4.9")), None);
        assert!(!fip.needs_router_id(&s));
        assert_eq!(fip.path(&s).unwrap().hop, Hop::Direct);
    }

    #[test]
    fn gateway_decides_the_first_hop() {
        let s = RemoteSettings {
            use_namespaces: true,
            ..Default::default()
        };
        // The gateway has a floating IP: direct to it, then nc to the instance.
        let a = access(node("10.0.0.5", None), Some(node("10.0.0.2", Some("172.24.4.2"))));
        assert!(!a.needs_router_id(&s));
        let p = a.path(&s).unwrap();
        assert_eq!(p.hop, Hop::Direct);
        assert_eq!(p.first_host(), "172.24.4.2");
        assert_eq!(p.host, "10.0.0.5");
        assert_eq!(p.gateway.unwrap().host, "172.24.4.2");
        // A proxy command expands {host} with the gateway's access IP.
        let s = RemoteSettings {
            proxy_command: "nc {host} {port}".into(),
            proxy_command_use_internal_ip: true,
            ..Default::default()
        };
        let Hop::Command(c) = a.path(&s).unwrap().hop else {
            panic!()
        };
        assert_eq!(c.command_line(22).unwrap(), "nc 10.0.0.2 22");
    }

    #[test]
    fn shlex_like_python() {
        let split = |s: &str| shlex_split(s).unwrap();
        assert_eq!(split("  a  b\tc "), ["a", "b", "c"]);
        assert_eq!(
            split(r#"sh -c 'echo "$x" > y' z"#),
            ["sh", "-c", r#"echo "$x" > y"#, "z"]
        );
        assert_eq!(split(r#""a \"b\" \$c" d\ e ''"#), [r#"a "b" \$c"#, "d e", ""]);
        assert!(shlex_split("a 'b").is_err());
        assert!(shlex_split("a \\").is_err());
        assert!(split("").is_empty());
    }
}
