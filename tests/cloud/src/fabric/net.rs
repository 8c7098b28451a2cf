//! Networks, routers and floating IPs, wired as Neutron's Linux bridge and L3 agents do.
//!
//! A network is a bridge on the host (the external one holds the host's address, tenant
//! ones none). A router is the namespace `qrouter-<router_id>` with a `qg-...` leg on the
//! external bridge and a `qr-...` leg per tenant subnet, IP forwarding on, and Neutron's
//! nat chains (`neutron-l3-agent-PREROUTING`, `-OUTPUT`, `-float-snat`, `-snat`) holding
//! the floating IPs' DNAT/SNAT and the gateway's SNAT.

use std::net::Ipv4Addr;

use super::cmd::Cmd;
use super::procs;
use super::state::{NetworkRecord, Store};
use super::{ExternalNetwork, FabricError, Gateway, Result, RouterInterface, Subnet};
use crate::naming::Prefix;

/// What `ip` and `iptables` print when the object to delete is already gone.
pub(crate) const GONE: &[&str] = &[
    "Cannot find device",
    // A link that vanished between being listed and being deleted (a killed server's tap device).
    "No such device",
    "does not exist",
    "No such file or directory",
    "Cannot assign requested address",
    "Address not found",
    "Bad rule",
    "No chain/target/match by that name",
];

/// The namespace of router `router_id`.
pub(crate) fn router_namespace(router_id: &str) -> String {
    format!("qrouter-{router_id}")
}

/// The last `n` hex digits of an id: ids are minted with the cloud's prefix, so their
/// first digits are the same for every object and cannot tell two legs apart.
fn id_tail(id: &str, n: usize) -> String {
    let hex: Vec<char> = id.chars().filter(char::is_ascii_alphanumeric).collect();
    hex[hex.len().saturating_sub(n)..].iter().collect()
}

/// The router's gateway leg inside its namespace.
fn gateway_leg(router_id: &str) -> String {
    format!("qg-{}", id_tail(router_id, 11))
}

/// The router's leg on the subnet of port `port_id`.
fn interface_leg(port_id: &str) -> String {
    format!("qr-{}", id_tail(port_id, 11))
}

/// Whether `a/a_len` and `b/b_len` overlap.
pub(crate) fn overlaps(a: Ipv4Addr, a_len: u8, b: Ipv4Addr, b_len: u8) -> bool {
    let len = a_len.min(b_len).min(32);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    u32::from(a) & mask == u32::from(b) & mask
}

/// Parses `a.b.c.d[/n]` (`default` is 0.0.0.0/0).
fn parse_prefix(s: &str) -> Option<(Ipv4Addr, u8)> {
    if s == "default" {
        return Some((Ipv4Addr::UNSPECIFIED, 0));
    }
    let (addr, len) = s.split_once('/').unwrap_or((s, "32"));
    Some((addr.parse().ok()?, len.parse().ok().filter(|l| *l <= 32)?))
}

/// The first host route or address of the host that overlaps `subnet` (default routes
/// aside), as a line of `ip` output.
pub(crate) fn subnet_in_use(subnet: &Subnet) -> Result<Option<String>> {
    const ROUTE_TYPES: &[&str] = &[
        "unicast",
        "local",
        "broadcast",
        "multicast",
        "throw",
        "unreachable",
        "prohibit",
        "blackhole",
        "nat",
        "anycast",
    ];
    let routes = Cmd::new("ip").args(["-4", "route", "show", "table", "all"]).run()?;
    for line in routes.lines() {
        let mut words = line.split_whitespace();
        let Some(mut dest) = words.next() else { continue };
        if ROUTE_TYPES.contains(&dest) {
            dest = words.next().unwrap_or("");
        }
        if let Some((addr, len)) = parse_prefix(dest)
            && len > 0
            && overlaps(addr, len, subnet.network, subnet.prefix_len)
        {
            return Ok(Some(line.to_owned()));
        }
    }
    let addrs = Cmd::new("ip").args(["-4", "-o", "addr", "show"]).run()?;
    for line in addrs.lines() {
        let mut words = line.split_whitespace();
        if words.find(|w| *w == "inet").is_some()
            && let Some((addr, _)) = words.next().and_then(parse_prefix)
            && overlaps(addr, 32, subnet.network, subnet.prefix_len)
        {
            return Ok(Some(line.to_owned()));
        }
    }
    Ok(None)
}

/// Turns IPv6 off on a host link we made (no link-local address, no router solicitations).
pub(crate) fn quiet_host_link(name: &str) {
    let _ = std::fs::write(format!("/proc/sys/net/ipv6/conf/{name}/disable_ipv6"), "1");
}

/// Whether link `name` exists on the host.
pub(crate) fn host_link_exists(name: &str) -> bool {
    std::path::Path::new("/sys/class/net").join(name).exists()
}

/// Whether link `name` exists in namespace `ns`.
fn link_exists_in(ns: &str, name: &str) -> Result<bool> {
    Cmd::ip_in(ns).args(["link", "show", name]).run_tolerating(GONE)
}

/// The fabric's networks and routers.
pub(crate) struct Net<'a> {
    pub prefix: Prefix,
    pub store: &'a Store,
}

impl Net<'_> {
    /// The bridge of network `network_id`.
    pub(crate) fn bridge(&self, network_id: &str) -> Result<NetworkRecord> {
        self.store
            .read::<NetworkRecord>(&self.store.network_path(network_id))?
            .filter(|r| host_link_exists(&r.bridge))
            .ok_or_else(|| FabricError::NotFound {
                kind: "network",
                id: network_id.to_owned(),
            })
    }

    fn make_bridge(&self, network_id: &str, external: bool) -> Result<String> {
        let bridge = self.store.next_link(self.prefix, "br")?;
        Cmd::new("ip").args(["link", "add", &bridge, "type", "bridge"]).run()?;
        self.store.write(
            &self.store.network_path(network_id),
            &NetworkRecord {
                bridge: bridge.clone(),
                external,
            },
        )?;
        quiet_host_link(&bridge);
        Ok(bridge)
    }

    /// See [`Fabric::create_external_network`](super::Fabric::create_external_network).
    pub(crate) fn create_external_network(&self, net: &ExternalNetwork) -> Result<()> {
        if self.bridge(&net.network_id).is_ok() {
            return Ok(());
        }
        if !overlaps(net.host_ip, 32, net.subnet.network, net.subnet.prefix_len) {
            return Err(FabricError::Other(format!(
                "host address {} is outside {}/{}",
                net.host_ip, net.subnet.network, net.subnet.prefix_len
            )));
        }
        if let Some(line) = subnet_in_use(&net.subnet)? {
            tracing::warn!(subnet = %net.subnet.network, %line, "external subnet already routed");
            return Err(FabricError::InUse(format!(
                "{}/{} (ip: {line})",
                net.subnet.network, net.subnet.prefix_len
            )));
        }
        let bridge = self.make_bridge(&net.network_id, true)?;
        let cidr = format!("{}/{}", net.host_ip, net.subnet.prefix_len);
        Cmd::new("ip").args(["addr", "add", &cidr, "dev", &bridge]).run()?;
        Cmd::new("ip").args(["link", "set", &bridge, "up"]).run()?;
        tracing::info!(network_id = %net.network_id, %bridge, %cidr, "external network up");
        Ok(())
    }

    /// See [`Fabric::create_network`](super::Fabric::create_network).
    pub(crate) fn create_network(&self, network_id: &str) -> Result<()> {
        if self.bridge(network_id).is_ok() {
            return Ok(());
        }
        let bridge = self.make_bridge(network_id, false)?;
        Cmd::new("ip").args(["link", "set", &bridge, "up"]).run()?;
        tracing::info!(%network_id, %bridge, "network up");
        Ok(())
    }

    /// See [`Fabric::delete_network`](super::Fabric::delete_network).
    pub(crate) fn delete_network(&self, network_id: &str) -> Result<()> {
        let path = self.store.network_path(network_id);
        if let Some(record) = self.store.read::<NetworkRecord>(&path)? {
            Cmd::new("ip")
                .args(["link", "del", &record.bridge])
                .run_tolerating(GONE)?;
            self.store.remove(&path)?;
            tracing::info!(%network_id, bridge = %record.bridge, "network deleted");
        }
        Ok(())
    }

    fn existing_router(&self, router_id: &str) -> Result<String> {
        let ns = router_namespace(router_id);
        if procs::netns_exists(&ns) {
            Ok(ns)
        } else {
            Err(FabricError::NotFound {
                kind: "router",
                id: router_id.to_owned(),
            })
        }
    }

    /// See [`Fabric::create_router`](super::Fabric::create_router).
    pub(crate) fn create_router(&self, router_id: &str) -> Result<()> {
        let ns = router_namespace(router_id);
        if procs::netns_exists(&ns) {
            return Ok(());
        }
        Cmd::new("ip").args(["netns", "add", &ns]).run()?;
        let setup = (|| {
            Cmd::ip_in(&ns).args(["link", "set", "lo", "up"]).run()?;
            Cmd::netns_exec(&ns, "sysctl")
                .args(["-qw", "net.ipv4.ip_forward=1"])
                .run()?;
            Cmd::netns_exec(&ns, "iptables-restore")
                .args(["-w", "--noflush"])
                .stdin(NAT_CHAINS)
                .run()?;
            Ok(())
        })();
        if let Err(e) = setup {
            let _ = Cmd::new("ip").args(["netns", "del", &ns]).run();
            return Err(e);
        }
        tracing::info!(%router_id, namespace = %ns, "router up");
        Ok(())
    }

    /// See [`Fabric::set_router_gateway`](super::Fabric::set_router_gateway).
    pub(crate) fn set_router_gateway(&self, router_id: &str, gateway: Option<&Gateway>) -> Result<()> {
        let ns = self.existing_router(router_id)?;
        let leg = gateway_leg(router_id);
        // Replacing or clearing: the old leg goes (with its floating IPs and default route).
        Cmd::ip_in(&ns).args(["link", "del", &leg]).run_tolerating(GONE)?;
        Cmd::netns_exec(&ns, "iptables")
            .args(["-w", "-t", "nat", "-F", "neutron-l3-agent-snat"])
            .run()?;
        let Some(gw) = gateway else {
            tracing::info!(%router_id, "router gateway cleared");
            return Ok(());
        };
        let bridge = self.bridge(&gw.network_id)?.bridge;
        let host_end = self.store.next_link(self.prefix, "qgh")?;
        Cmd::new("ip")
            .args([
                "link", "add", &host_end, "type", "veth", "peer", "name", &leg, "netns", &ns,
            ])
            .run()?;
        quiet_host_link(&host_end);
        Cmd::new("ip")
            .args(["link", "set", &host_end, "master", &bridge, "up"])
            .run()?;
        let cidr = format!("{}/{}", gw.ip, gw.prefix_len);
        Cmd::ip_in(&ns).args(["addr", "add", &cidr, "dev", &leg]).run()?;
        Cmd::ip_in(&ns).args(["link", "set", &leg, "up"]).run()?;
        Cmd::ip_in(&ns)
            .args([
                "route",
                "replace",
                "default",
                "via",
                &gw.next_hop.to_string(),
                "dev",
                &leg,
            ])
            .run()?;
        if gw.enable_snat {
            Cmd::netns_exec(&ns, "iptables")
                .args([
                    "-w",
                    "-t",
                    "nat",
                    "-A",
                    "neutron-l3-agent-snat",
                    "-o",
                    &leg,
                    "-j",
                    "SNAT",
                ])
                .args(["--to-source", &gw.ip.to_string()])
                .run()?;
        }
        // The host may remember the address on another router's leg.
        let _ = Cmd::new("ip").args(["neigh", "flush", "to", &gw.ip.to_string()]).run();
        tracing::info!(%router_id, %cidr, next_hop = %gw.next_hop, snat = gw.enable_snat, "router gateway set");
        Ok(())
    }

    /// See [`Fabric::add_router_interface`](super::Fabric::add_router_interface).
    pub(crate) fn add_router_interface(&self, router_id: &str, interface: &RouterInterface) -> Result<()> {
        let ns = self.existing_router(router_id)?;
        let bridge = self.bridge(&interface.network_id)?.bridge;
        let leg = interface_leg(&interface.port_id);
        Cmd::ip_in(&ns).args(["link", "del", &leg]).run_tolerating(GONE)?;
        let host_end = self.store.next_link(self.prefix, "qrb")?;
        Cmd::new("ip")
            .args([
                "link", "add", &host_end, "type", "veth", "peer", "name", &leg, "netns", &ns,
            ])
            .run()?;
        quiet_host_link(&host_end);
        Cmd::new("ip")
            .args(["link", "set", &host_end, "master", &bridge, "up"])
            .run()?;
        let cidr = format!("{}/{}", interface.ip, interface.subnet.prefix_len);
        Cmd::ip_in(&ns).args(["addr", "add", &cidr, "dev", &leg]).run()?;
        Cmd::ip_in(&ns).args(["link", "set", &leg, "up"]).run()?;
        tracing::info!(%router_id, port_id = %interface.port_id, %cidr, "router interface added");
        Ok(())
    }

    /// See [`Fabric::remove_router_interface`](super::Fabric::remove_router_interface).
    pub(crate) fn remove_router_interface(&self, router_id: &str, port_id: &str) -> Result<()> {
        let ns = router_namespace(router_id);
        if procs::netns_exists(&ns) {
            Cmd::ip_in(&ns)
                .args(["link", "del", &interface_leg(port_id)])
                .run_tolerating(GONE)?;
            tracing::info!(%router_id, %port_id, "router interface removed");
        }
        Ok(())
    }

    /// See [`Fabric::delete_router`](super::Fabric::delete_router).
    pub(crate) fn delete_router(&self, router_id: &str) -> Result<()> {
        let ns = router_namespace(router_id);
        if !procs::netns_exists(&ns) {
            return Ok(());
        }
        // The engine's `ip netns exec qrouter-... nc` proxies may still run there.
        let killed = procs::kill_netns_processes(&ns, std::time::Duration::from_secs(5))?;
        Cmd::new("ip").args(["netns", "del", &ns]).run_tolerating(GONE)?;
        tracing::info!(%router_id, killed = killed.len(), "router deleted");
        Ok(())
    }

    fn floating_rules(floating_ip: Ipv4Addr, fixed_ip: Ipv4Addr) -> [Vec<String>; 3] {
        let (fip, fixed) = (floating_ip.to_string(), fixed_ip.to_string());
        [
            vec![
                "neutron-l3-agent-PREROUTING".into(),
                "-d".into(),
                format!("{fip}/32"),
                "-j".into(),
                "DNAT".into(),
            ],
            vec![
                "neutron-l3-agent-OUTPUT".into(),
                "-d".into(),
                format!("{fip}/32"),
                "-j".into(),
                "DNAT".into(),
            ],
            vec![
                "neutron-l3-agent-float-snat".into(),
                "-s".into(),
                format!("{fixed}/32"),
                "-j".into(),
                "SNAT".into(),
            ],
        ]
        .map(|mut rule| {
            if rule[4] == "DNAT" {
                rule.extend(["--to-destination".into(), fixed.clone()]);
            } else {
                rule.extend(["--to-source".into(), fip.clone()]);
            }
            rule
        })
    }

    /// See [`Fabric::associate_floating_ip`](super::Fabric::associate_floating_ip).
    pub(crate) fn associate_floating_ip(
        &self,
        router_id: &str,
        floating_ip: Ipv4Addr,
        fixed_ip: Ipv4Addr,
    ) -> Result<()> {
        let ns = self.existing_router(router_id)?;
        let leg = gateway_leg(router_id);
        if !link_exists_in(&ns, &leg)? {
            return Err(FabricError::Other(format!(
                "router {router_id} has no external gateway"
            )));
        }
        self.disassociate_floating_ip(router_id, floating_ip, fixed_ip)?;
        Cmd::ip_in(&ns)
            .args(["addr", "add", &format!("{floating_ip}/32"), "dev", &leg])
            .run()?;
        for rule in Self::floating_rules(floating_ip, fixed_ip) {
            Cmd::netns_exec(&ns, "iptables")
                .args(["-w", "-t", "nat", "-A"])
                .args(&rule)
                .run()?;
        }
        let _ = Cmd::new("ip")
            .args(["neigh", "flush", "to", &floating_ip.to_string()])
            .run();
        tracing::info!(%router_id, %floating_ip, %fixed_ip, "floating IP associated");
        Ok(())
    }

    /// See [`Fabric::disassociate_floating_ip`](super::Fabric::disassociate_floating_ip).
    pub(crate) fn disassociate_floating_ip(
        &self,
        router_id: &str,
        floating_ip: Ipv4Addr,
        fixed_ip: Ipv4Addr,
    ) -> Result<()> {
        let ns = router_namespace(router_id);
        if !procs::netns_exists(&ns) {
            return Ok(());
        }
        let leg = gateway_leg(router_id);
        Cmd::ip_in(&ns)
            .args(["addr", "del", &format!("{floating_ip}/32"), "dev", &leg])
            .run_tolerating(GONE)?;
        for rule in Self::floating_rules(floating_ip, fixed_ip) {
            // Delete every copy (a crashed run may have added one twice).
            while Cmd::netns_exec(&ns, "iptables")
                .args(["-w", "-t", "nat", "-D"])
                .args(&rule)
                .run_tolerating(GONE)?
            {}
        }
        let _ = Cmd::new("ip")
            .args(["neigh", "flush", "to", &floating_ip.to_string()])
            .run();
        tracing::info!(%router_id, %floating_ip, %fixed_ip, "floating IP disassociated");
        Ok(())
    }
}

/// Neutron's L3-agent nat chains, made once per router namespace.
const NAT_CHAINS: &str = "*nat
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-float-snat - [0:0]
:neutron-l3-agent-snat - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-float-snat
-A POSTROUTING -j neutron-l3-agent-snat
COMMIT
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlap_and_prefix_parsing() {
        let net: Ipv4Addr = "10.20.30.0".parse().unwrap();
        assert!(overlaps("10.20.30.7".parse().unwrap(), 32, net, 24));
        assert!(overlaps("10.0.0.0".parse().unwrap(), 8, net, 24));
        assert!(!overlaps("10.20.31.0".parse().unwrap(), 24, net, 24));
        assert_eq!(parse_prefix("10.1.2.0/24"), Some(("10.1.2.0".parse().unwrap(), 24)));
        assert_eq!(parse_prefix("10.1.2.3"), Some(("10.1.2.3".parse().unwrap(), 32)));
        assert_eq!(parse_prefix("default"), Some((Ipv4Addr::UNSPECIFIED, 0)));
        assert_eq!(parse_prefix("fe80::/64"), None);
    }

    #[test]
    fn legs_are_short_and_distinct() {
        let prefix = Prefix::random();
        let (a, b) = (prefix.mint_id(), prefix.mint_id());
        assert_ne!(interface_leg(&a), interface_leg(&b));
        assert_eq!(interface_leg(&a).len(), 14);
        assert_eq!(gateway_leg(&a).len(), 14);
        assert!(a.ends_with(&interface_leg(&a)[3..]));
    }

    #[test]
    fn floating_rules_match_neutron() {
        let rules = Net::floating_rules("10.9.0.5".parse().unwrap(), "10.8.0.3".parse().unwrap());
        assert_eq!(
            rules[0].join(" "),
            "neutron-l3-agent-PREROUTING -d 10.9.0.5/32 -j DNAT --to-destination 10.8.0.3"
        );
        assert_eq!(
            rules[2].join(" "),
            "neutron-l3-agent-float-snat -s 10.8.0.3/32 -j SNAT --to-source 10.9.0.5"
        );
    }
}
