//! Names of everything the cloud makes on the host.
//!
//! One cloud (one `--state-dir`) owns one [`Prefix`]: eight hex digits. Every id the
//! simulator mints (networks, routers, ports, servers, volumes, ...) is a UUID whose first
//! eight hex digits are the prefix, so the Neutron-style names that must embed a whole id
//! (`qrouter-<router_id>`, which Sahara's `use_namespaces` path runs `ip netns exec` in) still
//! carry the prefix, and `down` or a crashed run's cleanup finds everything by prefix alone.
//! Linux interface names are limited to 15 bytes, so links are named from the prefix and
//! a short per-object counter instead.

use std::fmt;

/// The eight hex digits that begin every id and name of one cloud.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Prefix(u32);

impl Prefix {
    /// A fresh random prefix.
    pub fn random() -> Prefix {
        Prefix(uuid::Uuid::new_v4().as_u128() as u32)
    }

    /// Parses eight hex digits.
    pub fn parse(s: &str) -> Option<Prefix> {
        (s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| u32::from_str_radix(s, 16).ok().map(Prefix))
            .flatten()
    }

    /// A new id of this cloud: a random version-4 UUID whose first eight hex digits are
    /// the prefix.
    pub fn mint_id(&self) -> String {
        let mut bytes = *uuid::Uuid::new_v4().as_bytes();
        bytes[..4].copy_from_slice(&self.0.to_be_bytes());
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    /// Whether `id` was minted by this cloud.
    pub fn owns_id(&self, id: &str) -> bool {
        id.len() >= 8 && id[..8].eq_ignore_ascii_case(&self.to_string())
    }

    /// The name of a host link (bridge or veth end): `<kind><prefix><n>` in at most 15
    /// bytes, e.g. `br` + `5a7c01e2` + `3`. `kind` is at most 3 bytes and `n` at most
    /// 4 hex digits.
    pub fn link(&self, kind: &str, n: u16) -> String {
        assert!(kind.len() <= 3, "link kind {kind:?} too long");
        format!("{kind}{self}{n:x}")
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:08x}", self.0)
    }
}

impl fmt::Debug for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Prefix({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_links_carry_the_prefix() {
        let p = Prefix::parse("5a7c01e2").unwrap();
        let id = p.mint_id();
        assert!(id.starts_with("5a7c01e2-"), "{id}");
        assert!(p.owns_id(&id));
        assert!(!Prefix::parse("00000000").unwrap().owns_id(&id));
        assert_eq!(uuid::Uuid::parse_str(&id).unwrap().get_version_num(), 4);
        assert_eq!(p.link("br", 0xffff), "br5a7c01e2ffff");
        assert!(p.link("qgh", 0xffff).len() <= 15);
        assert_eq!(Prefix::parse("xyz"), None);
    }
}
