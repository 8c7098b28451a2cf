//! The cloud's service catalog: which services Keystone lists and at which URLs.
//!
//! Every service has a public, an internal and an admin endpoint in
//! [`REGION`](super::REGION), all with the same URL (one host). Keystone is unversioned (as
//! kolla registers it); Swift's proxy is `/v1/AUTH_%(project_id)s`; the simulator serves
//! every API it simulates on one port under a path prefix, as devstack lays them out behind
//! its web server; our data-processing API is unversioned on its own port, as kolla
//! registers Sahara (`http://<host>:8386`).

use super::ports::Ports;

/// One catalog service and the URL of its endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The service's type (`compute`, `object-store`, ...).
    pub service_type: &'static str,
    /// The service's name (`nova`, `swift`, ...).
    pub name: &'static str,
    /// Its description.
    pub description: &'static str,
    /// The URL of each of its endpoints (with Keystone's `%(project_id)s` substitution
    /// where the API is per project).
    pub url: String,
}

/// The interfaces each service has an endpoint on.
pub const INTERFACES: [&str; 3] = ["public", "internal", "admin"];

/// `http://127.0.0.1:<port>`.
pub fn local_url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

/// The simulator's path of each API it serves, relative to its base URL (for the
/// simulator's router).
pub mod sim_paths {
    /// Nova: `/compute/v2.1`.
    pub const COMPUTE: &str = "/compute/v2.1";
    /// Neutron (its clients append `/v2.0`): `/network`.
    pub const NETWORK: &str = "/network";
    /// Glance (its clients append `/v2`): `/image`.
    pub const IMAGE: &str = "/image";
    /// Cinder v3, per project: `/volume/v3/<project_id>`.
    pub const VOLUME: &str = "/volume/v3";
    /// Heat v1, per project: `/heat-api/v1/<project_id>`.
    pub const ORCHESTRATION: &str = "/heat-api/v1";
    /// Manila v1, per project: `/share/v1/<project_id>` (v2 beside it, at `/share/v2`).
    pub const SHARE: &str = "/share/v1";
}

/// Every service of the cloud, with its URL for `ports` and our API on
/// `data_processing_port`.
pub fn entries(ports: &Ports, data_processing_port: u16) -> Vec<CatalogEntry> {
    let sim = local_url(ports.simulator);
    let entry = |service_type, name, description, url: String| CatalogEntry {
        service_type,
        name,
        description,
        url,
    };
    vec![
        entry("identity", "keystone", "OpenStack Identity", local_url(ports.keystone)),
        entry(
            "object-store",
            "swift",
            "OpenStack Object Storage",
            format!("{}/v1/AUTH_%(project_id)s", local_url(ports.swift_proxy)),
        ),
        entry(
            "compute",
            "nova",
            "Nova (test cloud simulator)",
            format!("{sim}{}", sim_paths::COMPUTE),
        ),
        entry(
            "network",
            "neutron",
            "Neutron (test cloud simulator)",
            format!("{sim}{}", sim_paths::NETWORK),
        ),
        entry(
            "image",
            "glance",
            "Glance (test cloud simulator)",
            format!("{sim}{}", sim_paths::IMAGE),
        ),
        entry(
            "volumev3",
            "cinderv3",
            "Cinder v3 (test cloud simulator)",
            format!("{sim}{}/%(project_id)s", sim_paths::VOLUME),
        ),
        entry(
            "block-storage",
            "cinder",
            "Cinder (test cloud simulator)",
            format!("{sim}{}/%(project_id)s", sim_paths::VOLUME),
        ),
        entry(
            "orchestration",
            "heat",
            "Heat (test cloud simulator)",
            format!("{sim}{}/%(project_id)s", sim_paths::ORCHESTRATION),
        ),
        entry(
            "share",
            "manila",
            "Manila (test cloud simulator)",
            format!("{sim}{}/%(project_id)s", sim_paths::SHARE),
        ),
        entry(
            "data-processing",
            "sahara",
            "Sahara Data Processing",
            local_url(data_processing_port),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_once_with_its_url_shape() {
        let ports = Ports {
            keystone: 20001,
            memcached: 20002,
            swift_proxy: 20003,
            swift_account: 20004,
            swift_container: 20005,
            swift_object: 20006,
            simulator: 20007,
        };
        let entries = entries(&ports, 8386);
        let url = |t: &str| entries.iter().find(|e| e.service_type == t).map(|e| e.url.as_str());
        assert_eq!(url("identity"), Some("http://127.0.0.1:20001"));
        assert_eq!(
            url("object-store"),
            Some("http://127.0.0.1:20003/v1/AUTH_%(project_id)s")
        );
        assert_eq!(url("compute"), Some("http://127.0.0.1:20007/compute/v2.1"));
        assert_eq!(
            url("orchestration"),
            Some("http://127.0.0.1:20007/heat-api/v1/%(project_id)s")
        );
        assert_eq!(url("volumev3"), url("block-storage"));
        assert_eq!(url("share"), Some("http://127.0.0.1:20007/share/v1/%(project_id)s"));
        assert_eq!(url("data-processing"), Some("http://127.0.0.1:8386"));
        let mut types: Vec<_> = entries.iter().map(|e| e.service_type).collect();
        types.sort();
        types.dedup();
        assert_eq!(types.len(), entries.len());
    }
}
