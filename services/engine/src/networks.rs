//! Which of an instance's addresses is for the cluster's own traffic and which is for the
//! engine (sahara/service/networks.py `init_instances_ips`).

use crate::error::Result;
use crate::progress::ClusterOp;
use sahara_model::resources::{Cluster, Instance};
use sahara_openstack::nova::Server;
use serde_json::{Map, json};

/// An instance's internal address and the address the engine manages it through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ips {
    /// The first fixed address (IPv4 first).
    pub internal_ip: Option<String>,
    /// The floating address when floating IPs are used and one is there, else the internal one.
    pub management_ip: Option<String>,
}

impl Ips {
    /// Both are known (Sahara keeps polling until they are).
    pub fn complete(&self) -> bool {
        self.internal_ip.is_some() && self.management_ip.is_some()
    }
}

/// Picks the addresses of `server`: the first `fixed` one is internal, the first other
/// (floating) one is for management, IPv4 before IPv6 on each network. The internal one
/// is used for management too unless `use_floating_ips` is on and a floating address is
/// there — and always for instances behind a proxy gateway (`behind_gateway`).
pub fn select_ips(server: &Server, use_floating_ips: bool, behind_gateway: bool) -> Ips {
    let mut internal = None;
    let mut floating = None;
    for addresses in server.addresses.values() {
        let mut sorted: Vec<_> = addresses.iter().collect();
        sorted.sort_by_key(|a| a.version);
        for a in sorted {
            if a.kind.as_deref() == Some("fixed") {
                internal = internal.or_else(|| Some(a.addr.clone()));
            } else {
                floating = floating.or_else(|| Some(a.addr.clone()));
            }
        }
    }
    let management = if !use_floating_ips || floating.is_none() || behind_gateway {
        internal.clone()
    } else {
        floating
    };
    Ips {
        internal_ip: internal,
        management_ip: management,
    }
}

/// Whether `instance` of `cluster` is reached through a proxy gateway: the cluster has a
/// gateway node group and the instance is not in one (`has_proxy_gateway`).
pub fn behind_gateway(cluster: &Cluster, instance: &Instance) -> bool {
    let has_gateway = cluster.node_groups.iter().any(|ng| ng.is_proxy_gateway == Some(true));
    let in_gateway = cluster
        .node_groups
        .iter()
        .any(|ng| ng.is_proxy_gateway == Some(true) && Some(&ng.id) == instance.node_group_id.as_ref());
    has_gateway && !in_gateway
}

/// `init_instances_ips`: reads the server from Nova, stores both addresses on the instance
/// and answers whether both are known.
pub async fn init_instance_ips(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<bool> {
    let Some(server_id) = instance.instance_id.as_deref() else {
        return Ok(false);
    };
    let session = op.session()?;
    let server = session.nova().get_server(server_id).await?;
    let ips = select_ips(
        &server,
        op.engine.settings.networking.use_floating_ips,
        behind_gateway(cluster, instance),
    );
    let mut values = Map::new();
    values.insert("management_ip".into(), json!(ips.management_ip));
    values.insert("internal_ip".into(), json!(ips.internal_ip));
    op.engine
        .conductor
        .instance_update(&op.ctx, &instance.id, values)
        .await?;
    Ok(ips.complete())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(addresses: serde_json::Value) -> Server {
        serde_json::from_value(json!({"id": "s", "addresses": addresses})).unwrap()
    }

    #[test]
    fn floating_address_is_for_management_only_when_floating_ips_are_used() {
        let s = server(json!({"private": [
            {"addr": "fd00::5", "version": 6, "OS-EXT-IPS:type": "fixed"},
            {"addr": "10.0.0.5", "version": 4, "OS-EXT-IPS:type": "fixed"},
            {"addr": "172.24.4.9", "version": 4, "OS-EXT-IPS:type": "floating"}]}));
        let on = select_ips(&s, true, false);
        assert_eq!(on.internal_ip.as_deref(), Some("10.0.0.5"), "IPv4 first");
        assert_eq!(on.management_ip.as_deref(), Some("172.24.4.9"));
        let off = select_ips(&s, false, false);
        assert_eq!(off.management_ip.as_deref(), Some("10.0.0.5"));
        let gw = select_ips(&s, true, true);
        assert_eq!(gw.management_ip.as_deref(), Some("10.0.0.5"), "behind a gateway");
    }

    #[test]
    fn no_address_yet_is_incomplete() {
        let s = server(json!({}));
        assert!(!select_ips(&s, true, false).complete());
        let only_fixed = server(json!({"n": [{"addr": "10.0.0.7", "version": 4, "OS-EXT-IPS:type": "fixed"}]}));
        let ips = select_ips(&only_fixed, true, false);
        assert!(ips.complete());
        assert_eq!(ips.management_ip.as_deref(), Some("10.0.0.7"));
    }
}
