//! Address management: IPv4 CIDRs, a subnet's default gateway and allocation pools, the
//! next free address, and Neutron-style MAC addresses (`fa:16:3e:..`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::HashSet;
use std::fmt;
use std::net::Ipv4Addr;
use std::str::FromStr;

use super::model::AllocationPool;

/// An IPv4 network: address and prefix length, host bits zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    /// The network address.
    pub network: Ipv4Addr,
    /// The prefix length (0..=32).
    pub prefix_len: u8,
}

/// Why a CIDR or address is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not `a.b.c.d/n`.
    #[error("'{0}' is not a valid IP subnet")]
    Syntax(String),
    /// Host bits set: Neutron recommends the network address.
    #[error("'{given}' isn't a recognized IP subnet cidr, '{recommended}' is recommended")]
    HostBits {
        /// What was given.
        given: String,
        /// The network it denotes.
        recommended: String,
    },
}

impl Cidr {
    /// The netmask as a number.
    fn mask(self) -> u32 {
        if self.prefix_len == 0 {
            0
        } else {
            u32::MAX << (32 - u32::from(self.prefix_len))
        }
    }

    /// Whether `ip` is inside.
    pub fn contains(self, ip: Ipv4Addr) -> bool {
        u32::from(ip) & self.mask() == u32::from(self.network)
    }

    /// Whether the two ranges share an address.
    pub fn overlaps(self, other: Cidr) -> bool {
        self.contains(other.network) || other.contains(self.network)
    }

    /// The broadcast address.
    pub fn broadcast(self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network) | !self.mask())
    }

    /// The first usable host address (the default gateway).
    pub fn first_host(self) -> Option<Ipv4Addr> {
        (self.prefix_len <= 30).then(|| Ipv4Addr::from(u32::from(self.network) + 1))
    }

    /// Whether `ip` is a usable host address (inside, neither network nor broadcast).
    pub fn is_host(self, ip: Ipv4Addr) -> bool {
        self.contains(ip) && (self.prefix_len >= 31 || (ip != self.network && ip != self.broadcast()))
    }

    /// The default allocation pools: every host address except the gateway.
    pub fn default_pools(self, gateway: Option<Ipv4Addr>) -> Vec<AllocationPool> {
        if self.prefix_len > 30 {
            return Vec::new();
        }
        let first = u32::from(self.network) + 1;
        let last = u32::from(self.broadcast()) - 1;
        let mut pools = Vec::new();
        let mut start = first;
        if let Some(gw) = gateway.map(u32::from).filter(|g| (first..=last).contains(g)) {
            if gw > first {
                pools.push(AllocationPool {
                    start: Ipv4Addr::from(first),
                    end: Ipv4Addr::from(gw - 1),
                });
            }
            start = gw + 1;
        }
        if start <= last {
            pools.push(AllocationPool {
                start: Ipv4Addr::from(start),
                end: Ipv4Addr::from(last),
            });
        }
        pools
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix_len)
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Cidr, CidrError> {
        let syntax = || CidrError::Syntax(s.to_string());
        let (addr, len) = s.split_once('/').ok_or_else(syntax)?;
        let addr: Ipv4Addr = addr.parse().map_err(|_| syntax())?;
        let prefix_len: u8 = len.parse().map_err(|_| syntax())?;
        if prefix_len > 32 {
            return Err(syntax());
        }
        let cidr = Cidr {
            network: addr,
            prefix_len,
        };
        let network = Ipv4Addr::from(u32::from(addr) & cidr.mask());
        if network != addr {
            return Err(CidrError::HostBits {
                given: s.to_string(),
                recommended: format!("{network}/{prefix_len}"),
            });
        }
        Ok(cidr)
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Cidr, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Whether `ip` lies in one of `pools`.
pub fn in_pools(pools: &[AllocationPool], ip: Ipv4Addr) -> bool {
    pools
        .iter()
        .any(|p| (u32::from(p.start)..=u32::from(p.end)).contains(&u32::from(ip)))
}

/// The lowest address of `pools` not in `used`.
pub fn next_free(pools: &[AllocationPool], used: &HashSet<Ipv4Addr>) -> Option<Ipv4Addr> {
    pools
        .iter()
        .flat_map(|p| u32::from(p.start)..=u32::from(p.end))
        .map(Ipv4Addr::from)
        .find(|ip| !used.contains(ip))
}

/// Checks that pools lie inside `cidr`, hold host addresses only, do not overlap each
/// other and do not contain `gateway`. Returns Neutron's message when they do not.
pub fn validate_pools(cidr: Cidr, pools: &[AllocationPool], gateway: Option<Ipv4Addr>) -> Result<(), String> {
    for p in pools {
        if u32::from(p.start) > u32::from(p.end) || !cidr.is_host(p.start) || !cidr.is_host(p.end) {
            return Err(format!(
                "The allocation pool {}-{} spans beyond the subnet cidr {cidr}.",
                p.start, p.end
            ));
        }
        if let Some(gw) = gateway
            && in_pools(std::slice::from_ref(p), gw)
        {
            return Err(format!(
                "Gateway ip {gw} conflicts with allocation pool {}-{}",
                p.start, p.end
            ));
        }
    }
    for (i, a) in pools.iter().enumerate() {
        for b in &pools[i + 1..] {
            if u32::from(a.start) <= u32::from(b.end) && u32::from(b.start) <= u32::from(a.end) {
                return Err(format!(
                    "Found overlapping allocation pools: {}-{} and {}-{} for subnet {cidr}.",
                    a.start, a.end, b.start, b.end
                ));
            }
        }
    }
    Ok(())
}

/// A random MAC address in OpenStack's `fa:16:3e` prefix, not in `used`.
pub fn new_mac(used: &HashSet<String>) -> String {
    loop {
        let b = uuid::Uuid::new_v4().into_bytes();
        let mac = format!("fa:16:3e:{:02x}:{:02x}:{:02x}", b[0], b[1], b[2]);
        if !used.contains(&mac) {
            return mac;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_parse_like_neutron() {
        let c: Cidr = "10.0.0.0/24".parse().unwrap();
        assert_eq!(c.to_string(), "10.0.0.0/24");
        assert_eq!(c.broadcast(), ip("10.0.0.255"));
        assert!(c.contains(ip("10.0.0.7")) && !c.contains(ip("10.0.1.7")));
        assert_eq!(
            "10.0.0.5/24".parse::<Cidr>().unwrap_err().to_string(),
            "'10.0.0.5/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended"
        );
        assert!("10.0.0.0/33".parse::<Cidr>().is_err());
        assert!("nonsense".parse::<Cidr>().is_err());
        let big: Cidr = "10.0.0.0/16".parse().unwrap();
        assert!(big.overlaps(c) && c.overlaps(big));
        assert!(!c.overlaps("10.0.1.0/24".parse().unwrap()));
    }

    #[test]
    fn default_pools_skip_the_gateway() {
        let c: Cidr = "192.168.5.0/24".parse().unwrap();
        let gw = c.first_host();
        assert_eq!(gw, Some(ip("192.168.5.1")));
        let pools = c.default_pools(gw);
        assert_eq!(
            pools,
            vec![AllocationPool {
                start: ip("192.168.5.2"),
                end: ip("192.168.5.254")
            }]
        );
        let mid = c.default_pools(Some(ip("192.168.5.100")));
        assert_eq!(mid.len(), 2);
        assert_eq!(mid[0].end, ip("192.168.5.99"));
        assert_eq!(mid[1].start, ip("192.168.5.101"));
        assert_eq!(c.default_pools(None)[0].start, ip("192.168.5.1"));
    }

    #[test]
    fn allocation_takes_the_lowest_free_address_and_runs_out() {
        let c: Cidr = "10.1.0.0/29".parse().unwrap();
        let pools = c.default_pools(c.first_host());
        let mut used = HashSet::new();
        let mut got = Vec::new();
        while let Some(a) = next_free(&pools, &used) {
            used.insert(a);
            got.push(a.to_string());
        }
        assert_eq!(got, ["10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"]);
        used.remove(&ip("10.1.0.4"));
        assert_eq!(next_free(&pools, &used), Some(ip("10.1.0.4")));
    }

    #[test]
    fn pools_are_validated() {
        let c: Cidr = "10.2.0.0/24".parse().unwrap();
        let p = |a: &str, b: &str| AllocationPool {
            start: ip(a),
            end: ip(b),
        };
        assert!(validate_pools(c, &[p("10.2.0.10", "10.2.0.20")], Some(ip("10.2.0.1"))).is_ok());
        assert!(validate_pools(c, &[p("10.2.0.10", "10.2.1.20")], None).is_err());
        assert!(validate_pools(c, &[p("10.2.0.1", "10.2.0.20")], Some(ip("10.2.0.1"))).is_err());
        assert!(validate_pools(c, &[p("10.2.0.10", "10.2.0.20"), p("10.2.0.15", "10.2.0.30")], None).is_err());
    }

    #[test]
    fn macs_are_openstack_style_and_unique() {
        let mut used = HashSet::new();
        for _ in 0..100 {
            let m = new_mac(&used);
            assert!(m.starts_with("fa:16:3e:") && m.len() == 17, "{m}");
            assert!(used.insert(m));
        }
    }
}
