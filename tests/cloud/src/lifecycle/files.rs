//! What `up` hands its user, written into the state directory: `clouds.yaml`,
//! `openrc-admin`, `openrc-demo` (for the openstack clients) and `sahara.conf` (for our
//! services), all mode 0600 since they hold passwords; and `cloud.json`, the cloud's
//! public description (URLs, prefix, external network: no secret), which `up` reads back
//! and tests use.

use crate::services::{Credentials, PROXY_DOMAIN, RunningServices};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use std::net::Ipv4Addr;

/// The cloud's public description, `<state dir>/cloud.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloudInfo {
    /// The prefix of every object of the cloud.
    pub prefix: String,
    /// The pid of the `sahara-testcloud serve` process.
    pub pid: u32,
    /// Keystone, unversioned (`auth_url` is `<keystone_url>/v3`).
    pub keystone_url: String,
    /// Swift's proxy.
    pub swift_url: String,
    /// The simulator (Nova, Neutron, Glance, Cinder, Heat under path prefixes).
    pub simulator_url: String,
    /// Our data-processing API, as the catalog names it.
    pub data_processing_url: String,
    /// memcached (`host:port`).
    pub memcached: String,
    /// The region of every endpoint.
    pub region: String,
    /// The external network's range (floating IPs are in it).
    pub external_cidr: String,
    /// The host's address on the external network (the simulator listens there too, for
    /// instances' wait-condition signals).
    pub external_host_ip: Ipv4Addr,
    /// The admin project's id.
    pub admin_project_id: String,
    /// The demo project's id.
    pub demo_project_id: String,
    /// The service project's id (Sahara's and Swift's users).
    pub service_project_id: String,
    /// How long the serving process took from its start to serving, in seconds.
    pub startup_seconds: f64,
}

/// The name each user's cloud has in `clouds.yaml`.
pub fn cloud_name(user: &str) -> String {
    format!("testcloud-{user}")
}

/// A YAML double-quoted string (passwords are hex, names plain; quoting keeps YAML from
/// reading `yes` or `0x1` as something else).
fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A shell single-quoted word.
fn sh_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `clouds.yaml`: `testcloud-admin`, `testcloud-demo` and `testcloud-sahara` (the service
/// user), each password-authenticated and scoped to its project.
pub fn clouds_yaml(services: &RunningServices) -> String {
    let mut out =
        String::from("# The local test cloud (sahara-testcloud); OS_CLOUD=testcloud-demo openstack ...\nclouds:\n");
    for c in [&services.admin, &services.demo, &services.sahara] {
        let _ = write!(
            out,
            "  {name}:\n    auth:\n      auth_url: {auth_url}\n      username: {user}\n      password: {password}\n      \
             project_name: {project}\n      user_domain_name: {udom}\n      project_domain_name: {pdom}\n    \
             region_name: {region}\n    interface: public\n    identity_api_version: 3\n",
            name = cloud_name(&c.username),
            auth_url = yaml_str(&services.auth_url_v3()),
            user = yaml_str(&c.username),
            password = yaml_str(&c.password),
            project = yaml_str(&c.project_name),
            udom = yaml_str(&c.user_domain_name),
            pdom = yaml_str(&c.project_domain_name),
            region = yaml_str(&services.region),
        );
    }
    out
}

/// `openrc-<user>`: the `OS_*` variables of `c` on this cloud.
pub fn openrc(services: &RunningServices, c: &Credentials) -> String {
    let vars = [
        ("OS_AUTH_URL", services.auth_url_v3()),
        ("OS_AUTH_TYPE", "password".into()),
        ("OS_IDENTITY_API_VERSION", "3".into()),
        ("OS_USERNAME", c.username.clone()),
        ("OS_PASSWORD", c.password.clone()),
        ("OS_PROJECT_NAME", c.project_name.clone()),
        ("OS_USER_DOMAIN_NAME", c.user_domain_name.clone()),
        ("OS_PROJECT_DOMAIN_NAME", c.project_domain_name.clone()),
        ("OS_REGION_NAME", services.region.clone()),
        ("OS_INTERFACE", "public".into()),
    ];
    let mut out = format!(
        "# {} on the local test cloud (sahara-testcloud): source this file\n",
        c.username
    );
    out.push_str("unset OS_CLOUD OS_TOKEN OS_PROJECT_ID OS_TENANT_NAME OS_TENANT_ID\n");
    for (k, v) in vars {
        let _ = writeln!(out, "export {k}={}", sh_word(&v));
    }
    out
}

/// `sahara.conf` for our services on this cloud: the API registered in the catalog at
/// `data_processing_port`, Keystone middleware and trustee as the `sahara` service user,
/// proxy users in [`PROXY_DOMAIN`], floating IPs for access, an SQLite database in the
/// state directory and in-process messaging (what `sahara-all` runs with).
pub fn sahara_conf(services: &RunningServices, data_processing_port: u16, database_path: &str) -> String {
    let s = &services.sahara;
    let auth_url = services.keystone_url.as_str();
    format!(
        "# Our Sahara against the local test cloud (written by sahara-testcloud up).\n\
         # sahara-all runs every service in one process with in-process messaging; to run\n\
         # sahara-api, sahara-conductor and sahara-engine apart, set transport_url, e.g.\n\
         # transport_url = rabbit://guest:guest@127.0.0.1:5672/\n\
         [DEFAULT]\n\
         host = 127.0.0.1\n\
         port = {data_processing_port}\n\
         use_stderr = true\n\
         use_floating_ips = true\n\
         use_namespaces = false\n\
         use_domain_for_proxy_users = true\n\
         proxy_user_domain_name = {PROXY_DOMAIN}\n\
         proxy_user_role_names = member\n\
         os_region_name = {region}\n\
         plugins = fake\n\
         \n\
         [database]\n\
         connection = sqlite:///{database_path}\n\
         \n\
         [keystone_authtoken]\n\
         www_authenticate_uri = {auth_url}/v3\n\
         auth_url = {auth_url}\n\
         auth_type = password\n\
         username = {user}\n\
         password = {password}\n\
         project_name = {project}\n\
         user_domain_name = {udom}\n\
         project_domain_name = {pdom}\n\
         region_name = {region}\n\
         memcached_servers = {memcached}\n\
         \n\
         [trustee]\n\
         auth_url = {auth_url}/v3\n\
         username = {user}\n\
         password = {password}\n\
         project_name = {project}\n\
         user_domain_name = {udom}\n\
         project_domain_name = {pdom}\n",
        region = services.region,
        user = s.username,
        password = s.password,
        project = s.project_name,
        udom = s.user_domain_name,
        pdom = s.project_domain_name,
        memcached = services.memcached,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_survive_quotes() {
        assert_eq!(sh_word("a'b"), r"'a'\''b'");
        assert_eq!(sh_word("plain"), "'plain'");
    }

    #[test]
    fn yaml_strings_are_quoted() {
        assert_eq!(yaml_str("yes"), "\"yes\"");
        let parsed: String = serde_yaml_ng::from_str(&yaml_str("a\"b: c")).unwrap();
        assert_eq!(parsed, "a\"b: c");
    }
}
