//! What the clients are configured with, from Sahara's options: `[DEFAULT] os_region_name`,
//! `[retries]`, the per-client groups (`[nova]`, `[neutron]`, `[glance]`, `[cinder]`,
//! `[heat]`, `[swift]`, `[keystone]`: `endpoint_type`, `ca_file`, `api_insecure`; `[manila]`:
//! `api_version`, `ca_file`, `api_insecure`, no `endpoint_type`) and `[trustee]`.

use std::time::Duration;

use sahara_config::{
    CinderOpts, ConfigError, ConfigOpts, GlanceOpts, HeatOpts, KeystoneClientOpts, ManilaOpts, NeutronOpts, NovaOpts,
    RetryOpts, SaharaServiceOpts, SwiftOpts, TrusteeOpts,
};

use crate::error::Secret;

/// The services Sahara calls, each with its catalog type and option group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// Nova (`compute`).
    Compute,
    /// Neutron (`network`).
    Network,
    /// Glance (`image`).
    Image,
    /// Cinder v3 (`volumev3`).
    Volume,
    /// Heat (`orchestration`).
    Orchestration,
    /// Swift (`object-store`).
    ObjectStore,
    /// Keystone (`identity`).
    Identity,
    /// Manila (`share`, whatever `[manila] api_version` is, as Sahara's `base.url_for(..., 'share')`).
    Share,
}

impl Service {
    /// Every service.
    pub const ALL: [Service; 8] = [
        Service::Compute,
        Service::Network,
        Service::Image,
        Service::Volume,
        Service::Orchestration,
        Service::ObjectStore,
        Service::Identity,
        Service::Share,
    ];

    /// The catalog types to look for, in order (Cinder: `volumev3`, then `block-storage`).
    pub fn catalog_types(self) -> &'static [&'static str] {
        match self {
            Service::Compute => &["compute"],
            Service::Network => &["network"],
            Service::Image => &["image"],
            Service::Volume => &["volumev3", "block-storage"],
            Service::Orchestration => &["orchestration"],
            Service::ObjectStore => &["object-store"],
            Service::Identity => &["identity"],
            Service::Share => &["share"],
        }
    }

    /// The option group (and the service's name in errors and logs).
    pub fn name(self) -> &'static str {
        match self {
            Service::Compute => "nova",
            Service::Network => "neutron",
            Service::Image => "glance",
            Service::Volume => "cinder",
            Service::Orchestration => "heat",
            Service::ObjectStore => "swift",
            Service::Identity => "keystone",
            Service::Share => "manila",
        }
    }

    fn index(self) -> usize {
        Service::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// One client group's options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointOpts {
    /// `endpoint_type`: the catalog interface (`internalURL` by default).
    pub endpoint_type: String,
    /// `ca_file`: extra CA certificates (PEM) to trust.
    pub ca_file: Option<String>,
    /// `api_insecure`: do not verify TLS certificates.
    pub api_insecure: bool,
}

impl Default for EndpointOpts {
    fn default() -> Self {
        EndpointOpts {
            endpoint_type: "internalURL".into(),
            ca_file: None,
            api_insecure: false,
        }
    }
}

/// `[retries]`: how often and how far apart retryable answers are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `retries_number`: retries after the first attempt (5).
    pub retries_number: u32,
    /// `retry_after`: the least pause between attempts (10 s); a longer `Retry-After` wins.
    pub retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retries_number: 5,
            retry_after: Duration::from_secs(10),
        }
    }
}

/// `[trustee]`: the Sahara service identity that trusts are delegated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrusteeConfig {
    /// `username`.
    pub username: String,
    /// `password` (hidden in `Debug`).
    pub password: Secret,
    /// `project_name`: the project of admin (non-trust) sessions.
    pub project_name: Option<String>,
    /// `user_domain_name` (`Default`).
    pub user_domain_name: String,
    /// `project_domain_name` (`Default`).
    pub project_domain_name: String,
    /// `auth_url`: Keystone, any version suffix (it is rewritten to `/v3`).
    pub auth_url: String,
}

/// Everything the clients are configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// `[DEFAULT] os_region_name`.
    pub region: Option<String>,
    /// `[retries]`.
    pub retries: RetryPolicy,
    /// Per-service options, indexed by [`Service`].
    endpoints: [EndpointOpts; 8],
    /// `[manila] api_version` (`1`): the version manilaclient is made with, sent as
    /// `X-OpenStack-Manila-API-Version` (see [`crate::manila::ApiVersion`]).
    pub manila_api_version: String,
    /// `[trustee]`, when its username, password and auth URL are set.
    pub trustee: Option<TrusteeConfig>,
    /// Ours: the whole-request timeout (keystoneauth has none by default; 120 s here).
    pub timeout: Duration,
    /// Ours: the connect timeout (30 s).
    pub connect_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            region: None,
            retries: RetryPolicy::default(),
            endpoints: Default::default(),
            manila_api_version: "1".into(),
            trustee: None,
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(30),
        }
    }
}

impl ClientConfig {
    /// Reads the options from a loaded `sahara.conf`.
    pub fn from_conf(conf: &ConfigOpts) -> Result<ClientConfig, ConfigError> {
        let service: SaharaServiceOpts = conf.group()?;
        let retries: RetryOpts = conf.group()?;
        let e = |endpoint_type: String, ca_file: Option<String>, api_insecure: bool| EndpointOpts {
            endpoint_type,
            ca_file,
            api_insecure,
        };
        let nova: NovaOpts = conf.group()?;
        let neutron: NeutronOpts = conf.group()?;
        let glance: GlanceOpts = conf.group()?;
        let cinder: CinderOpts = conf.group()?;
        let heat: HeatOpts = conf.group()?;
        let swift: SwiftOpts = conf.group()?;
        let keystone: KeystoneClientOpts = conf.group()?;
        let manila: ManilaOpts = conf.group()?;
        let trustee: TrusteeOpts = conf.group()?;
        let trustee = match (trustee.username, trustee.password, trustee.auth_url) {
            (Some(username), Some(password), Some(auth_url)) => Some(TrusteeConfig {
                username,
                password: Secret::new(password),
                project_name: trustee.project_name,
                user_domain_name: trustee.user_domain_name,
                project_domain_name: trustee.project_domain_name,
                auth_url,
            }),
            _ => None,
        };
        Ok(ClientConfig {
            region: service.os_region_name,
            retries: RetryPolicy {
                retries_number: retries.retries_number.max(0) as u32,
                retry_after: Duration::from_secs(retries.retry_after.max(0) as u64),
            },
            endpoints: [
                e(nova.endpoint_type, nova.ca_file, nova.api_insecure),
                e(neutron.endpoint_type, neutron.ca_file, neutron.api_insecure),
                e(glance.endpoint_type, glance.ca_file, glance.api_insecure),
                e(cinder.endpoint_type, cinder.ca_file, cinder.api_insecure),
                e(heat.endpoint_type, heat.ca_file, heat.api_insecure),
                e(swift.endpoint_type, swift.ca_file, swift.api_insecure),
                e(keystone.endpoint_type, keystone.ca_file, keystone.api_insecure),
                // Sahara's manila client always asks the catalog for `internalURL`.
                e("internalURL".into(), manila.ca_file, manila.api_insecure),
            ],
            manila_api_version: manila.api_version,
            trustee,
            ..ClientConfig::default()
        })
    }

    /// The options of `service`'s group.
    pub fn endpoint(&self, service: Service) -> &EndpointOpts {
        &self.endpoints[service.index()]
    }

    /// Sets the options of `service`'s group.
    pub fn set_endpoint(&mut self, service: Service, opts: EndpointOpts) {
        self.endpoints[service.index()] = opts;
    }

    /// Sets every group's `endpoint_type` (tests, all-public clouds).
    pub fn with_endpoint_type(mut self, endpoint_type: &str) -> Self {
        for e in &mut self.endpoints {
            e.endpoint_type = endpoint_type.to_string();
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sahara_defaults_and_overrides_from_the_file() {
        let conf = ConfigOpts::from_ini_str(
            "[DEFAULT]\nos_region_name = R2\n[retries]\nretries_number = 2\nretry_after = 1\n\
             [heat]\nendpoint_type = publicURL\napi_insecure = true\n\
             [trustee]\nusername = sahara\npassword = s3cret\nauth_url = http://ks:5000\nproject_name = service\n",
        )
        .unwrap();
        let c = ClientConfig::from_conf(&conf).unwrap();
        assert_eq!(c.region.as_deref(), Some("R2"));
        assert_eq!(c.retries.retries_number, 2);
        assert_eq!(c.retries.retry_after, Duration::from_secs(1));
        assert_eq!(c.endpoint(Service::Orchestration).endpoint_type, "publicURL");
        assert!(c.endpoint(Service::Orchestration).api_insecure);
        assert_eq!(c.endpoint(Service::Compute).endpoint_type, "internalURL");
        let t = c.trustee.as_ref().unwrap();
        assert_eq!(
            (t.username.as_str(), t.user_domain_name.as_str()),
            ("sahara", "Default")
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        let d = ClientConfig::from_conf(&ConfigOpts::from_ini_str("").unwrap()).unwrap();
        assert_eq!(d.retries, RetryPolicy::default());
        assert!(d.trustee.is_none());
        // `[manila]`: Sahara's defaults (insecure, version 1), internalURL always.
        assert!(d.endpoint(Service::Share).api_insecure);
        assert_eq!(d.manila_api_version, "1");
        let m = ClientConfig::from_conf(
            &ConfigOpts::from_ini_str(
                "[nova]\nendpoint_type = publicURL\n[manila]\napi_version = 2\napi_insecure = false\nca_file = /ca.pem\n",
            )
            .unwrap(),
        )
        .unwrap();
        let share = m.endpoint(Service::Share);
        assert_eq!(
            (
                share.endpoint_type.as_str(),
                share.ca_file.as_deref(),
                share.api_insecure
            ),
            ("internalURL", Some("/ca.pem"), false)
        );
        assert_eq!(m.manila_api_version, "2");
    }
}
