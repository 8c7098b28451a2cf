//! The whole state of one simulated cloud, as it is kept in memory and written to
//! `<state dir>/sim-state.json` after every change; the seed (flavors, images, volume
//! types); and what the services count against quotas.

use super::faults::FaultRule;
use super::model::*;
use super::quotas::Quotas;
use super::share::Share;
use crate::naming::Prefix;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Everything the simulator knows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    /// The cloud's prefix: every id begins with it.
    pub prefix: String,
    /// The external network's host wiring, once made.
    pub external: Option<External>,
    /// The simulated compute hosts servers are placed on.
    pub compute_hosts: Vec<String>,
    /// Flavors by id.
    pub flavors: BTreeMap<String, Flavor>,
    /// Images by id.
    pub images: BTreeMap<String, Image>,
    /// Networks by id.
    pub networks: BTreeMap<String, Network>,
    /// Subnets by id.
    pub subnets: BTreeMap<String, Subnet>,
    /// Ports by id.
    pub ports: BTreeMap<String, Port>,
    /// Routers by id.
    pub routers: BTreeMap<String, Router>,
    /// Floating IPs by id.
    pub floating_ips: BTreeMap<String, FloatingIp>,
    /// Security groups by id.
    pub security_groups: BTreeMap<String, SecurityGroup>,
    /// Security group rules by id.
    pub security_group_rules: BTreeMap<String, SecurityGroupRule>,
    /// Keypairs by `<user_id>/<name>`.
    pub keypairs: BTreeMap<String, Keypair>,
    /// Servers by id.
    pub servers: BTreeMap<String, Server>,
    /// Server groups by id.
    pub server_groups: BTreeMap<String, ServerGroup>,
    /// Volumes by id.
    pub volumes: BTreeMap<String, Volume>,
    /// Volume types by id.
    pub volume_types: BTreeMap<String, VolumeType>,
    /// Manila shares by id (absent from state files written before Manila was simulated).
    #[serde(default)]
    pub shares: BTreeMap<String, Share>,
    /// Quota overrides.
    pub quotas: Quotas,
    /// Injected faults.
    pub faults: Vec<FaultRule>,
    /// The next VXLAN segmentation id.
    pub next_segment: u32,
}

/// The volume type every cloud has (Cinder's default).
pub const DEFAULT_VOLUME_TYPE: &str = "__DEFAULT__";

/// The availability zone of every service.
pub const AVAILABILITY_ZONE: &str = "nova";

/// The images every cloud starts with: `(name, login user, Sahara tags)`. The fake
/// plugin (`fake`, `0.1`) and Spark (`spark` with the last upstream plugin version `2.3`
/// and the `4.3` that the pyspark wheel runs) find theirs registered; `cirros-0.6` is a
/// plain image, not registered with Sahara.
pub const SEED_IMAGES: &[(&str, Option<&str>, &[&str])] = &[
    ("sahara-fake-0.1", Some("ubuntu"), &["fake", "0.1"]),
    ("sahara-spark-2.3", Some("ubuntu"), &["spark", "2.3"]),
    ("sahara-spark-4.3", Some("ubuntu"), &["spark", "4.3"]),
    ("cirros-0.6", None, &[]),
];

/// The flavors every cloud starts with: devstack's set. `(id, name, vcpus, ram MiB,
/// disk GiB)`.
pub const SEED_FLAVORS: &[(&str, &str, u32, u32, u32)] = &[
    ("1", "m1.tiny", 1, 512, 1),
    ("2", "m1.small", 1, 2048, 20),
    ("3", "m1.medium", 2, 4096, 40),
    ("4", "m1.large", 4, 8192, 80),
    ("5", "m1.xlarge", 8, 16384, 160),
    ("42", "m1.nano", 1, 128, 1),
    ("84", "m1.micro", 1, 192, 1),
];

impl State {
    /// A new cloud's state: seeded flavors, images and the default volume type;
    /// `hosts` simulated compute hosts.
    pub fn seeded(prefix: Prefix, hosts: usize) -> State {
        let now = chrono::Utc::now();
        let flavors = SEED_FLAVORS
            .iter()
            .map(|(id, name, vcpus, ram, disk)| {
                let f = Flavor {
                    id: id.to_string(),
                    name: name.to_string(),
                    vcpus: *vcpus,
                    ram: *ram,
                    disk: *disk,
                    ephemeral: 0,
                    swap: 0,
                    is_public: true,
                    extra_specs: BTreeMap::new(),
                    description: None,
                };
                (f.id.clone(), f)
            })
            .collect();
        let images = SEED_IMAGES
            .iter()
            .map(|(name, user, tags)| {
                let mut properties = BTreeMap::new();
                if let Some(u) = user {
                    properties.insert("_sahara_username".to_string(), u.to_string());
                    properties.insert("_sahara_description".to_string(), format!("{name} (test cloud)"));
                }
                for t in tags.iter() {
                    properties.insert(format!("_sahara_tag_{t}"), "True".to_string());
                }
                let img = Image {
                    id: prefix.mint_id(),
                    name: Some(name.to_string()),
                    owner: None,
                    visibility: "public".to_string(),
                    status: "active".to_string(),
                    disk_format: Some("qcow2".to_string()),
                    container_format: Some("bare".to_string()),
                    min_disk: 0,
                    min_ram: 0,
                    size: Some(0),
                    protected: false,
                    os_hidden: false,
                    tags: Vec::new(),
                    properties,
                    created_at: now,
                    updated_at: now,
                };
                (img.id.clone(), img)
            })
            .collect();
        let default_type = VolumeType {
            id: prefix.mint_id(),
            name: DEFAULT_VOLUME_TYPE.to_string(),
            description: Some("Default Volume Type".to_string()),
            is_public: true,
            extra_specs: BTreeMap::new(),
        };
        State {
            prefix: prefix.to_string(),
            external: None,
            compute_hosts: (1..=hosts.max(1)).map(|i| format!("compute{i}")).collect(),
            flavors,
            images,
            networks: BTreeMap::new(),
            subnets: BTreeMap::new(),
            ports: BTreeMap::new(),
            routers: BTreeMap::new(),
            floating_ips: BTreeMap::new(),
            security_groups: BTreeMap::new(),
            security_group_rules: BTreeMap::new(),
            keypairs: BTreeMap::new(),
            servers: BTreeMap::new(),
            server_groups: BTreeMap::new(),
            volumes: BTreeMap::from([]),
            volume_types: BTreeMap::from([(default_type.id.clone(), default_type)]),
            shares: BTreeMap::new(),
            quotas: Quotas::default(),
            faults: Vec::new(),
            next_segment: 1001,
        }
    }

    /// How much of quota `name` `project_id` uses (Nova's key pairs are counted for
    /// `user_id`).
    pub fn usage(&self, project_id: &str, user_id: &str, name: &str) -> i64 {
        let count = |n: usize| n as i64;
        let live_servers = || {
            self.servers
                .values()
                .filter(move |s| s.project_id == project_id && s.status != ServerStatus::Deleted)
        };
        match name {
            "instances" => count(live_servers().count()),
            "cores" => live_servers().map(|s| i64::from(s.flavor.vcpus)).sum(),
            "ram" => live_servers().map(|s| i64::from(s.flavor.ram)).sum(),
            "key_pairs" => count(self.keypairs.values().filter(|k| k.user_id == user_id).count()),
            "server_groups" => count(
                self.server_groups
                    .values()
                    .filter(|g| g.project_id == project_id)
                    .count(),
            ),
            "network" => count(self.networks.values().filter(|n| n.project_id == project_id).count()),
            "subnet" => count(self.subnets.values().filter(|n| n.project_id == project_id).count()),
            "port" => count(self.ports.values().filter(|n| n.project_id == project_id).count()),
            "router" => count(self.routers.values().filter(|n| n.project_id == project_id).count()),
            "floatingip" => count(
                self.floating_ips
                    .values()
                    .filter(|n| n.project_id == project_id)
                    .count(),
            ),
            "security_group" => count(
                self.security_groups
                    .values()
                    .filter(|n| n.project_id == project_id)
                    .count(),
            ),
            "security_group_rule" => count(
                self.security_group_rules
                    .values()
                    .filter(|n| n.project_id == project_id)
                    .count(),
            ),
            "volumes" => count(self.volumes.values().filter(|v| v.project_id == project_id).count()),
            "gigabytes" => self
                .volumes
                .values()
                .filter(|v| v.project_id == project_id)
                .map(|v| i64::from(v.size))
                .sum(),
            _ => 0,
        }
    }

    /// The key of a keypair in [`State::keypairs`].
    pub fn keypair_key(user_id: &str, name: &str) -> String {
        format!("{user_id}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_sahara_images_and_devstack_flavors() {
        let p = Prefix::parse("0badcafe").unwrap();
        let s = State::seeded(p, 3);
        assert_eq!(s.compute_hosts, ["compute1", "compute2", "compute3"]);
        let fake = s
            .images
            .values()
            .find(|i| i.name.as_deref() == Some("sahara-fake-0.1"))
            .unwrap();
        assert!(p.owns_id(&fake.id));
        assert_eq!(fake.properties["_sahara_username"], "ubuntu");
        assert_eq!(fake.properties["_sahara_tag_fake"], "True");
        assert_eq!(fake.properties["_sahara_tag_0.1"], "True");
        let cirros = s
            .images
            .values()
            .find(|i| i.name.as_deref() == Some("cirros-0.6"))
            .unwrap();
        assert!(cirros.properties.is_empty());
        assert_eq!(s.flavors["42"].name, "m1.nano");
        assert_eq!(s.volume_types.values().next().unwrap().name, DEFAULT_VOLUME_TYPE);
        let json = serde_json::to_string(&s).unwrap();
        let back: State = serde_json::from_str(&json).unwrap();
        assert_eq!(back.images, s.images);
    }
}
