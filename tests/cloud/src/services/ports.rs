//! The cloud's ports on 127.0.0.1: chosen free at the first `up`, remembered in
//! `ports.json`, reused by every later `up` (a port another program took meanwhile is
//! replaced, and the file updated).
//!
//! Ports are drawn from 20000–31999, below Linux's ephemeral range (32768–60999), so an
//! outgoing connection of another program is unlikely to hold one between two runs.

use super::procs::{io_error, write_file};
use super::{Result, ServicesError};
use serde::{Deserialize, Serialize};
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;

const RANGE: std::ops::Range<u16> = 20000..32000;

/// Every port the cloud listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    /// Keystone (uWSGI).
    pub keystone: u16,
    /// memcached (Swift's and keystonemiddleware's token cache).
    pub memcached: u16,
    /// Swift's proxy (keystoneauth): the object-store endpoint.
    pub swift_proxy: u16,
    /// Swift's account server.
    pub swift_account: u16,
    /// Swift's container server.
    pub swift_container: u16,
    /// Swift's object server.
    pub swift_object: u16,
    /// The simulator (Heat, Nova, Neutron, Glance, Cinder on one port).
    pub simulator: u16,
}

impl Ports {
    /// The ports recorded in `path`, each checked to be free (a taken one is replaced), or
    /// new free ones when there is no such file. The result is written back to `path`.
    pub fn load_or_choose(path: &Path) -> Result<Ports> {
        let recorded = match std::fs::read(path) {
            Ok(bytes) => Some(serde_json::from_slice::<Ports>(&bytes).map_err(|e| {
                ServicesError::Config(format!("{} is not a ports file ({e}); remove it", path.display()))
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(source) => return Err(io_error(format!("reading {}", path.display()), source)),
        };
        let mut taken: Vec<u16> = Vec::new();
        let mut pick = |recorded: Option<u16>| -> Result<u16> {
            let port = match recorded.filter(|p| !taken.contains(p) && is_free(*p)) {
                Some(p) => p,
                None => choose_free(&taken)?,
            };
            taken.push(port);
            Ok(port)
        };
        let r = recorded;
        let ports = Ports {
            keystone: pick(r.map(|r| r.keystone))?,
            memcached: pick(r.map(|r| r.memcached))?,
            swift_proxy: pick(r.map(|r| r.swift_proxy))?,
            swift_account: pick(r.map(|r| r.swift_account))?,
            swift_container: pick(r.map(|r| r.swift_container))?,
            swift_object: pick(r.map(|r| r.swift_object))?,
            simulator: pick(r.map(|r| r.simulator))?,
        };
        if recorded != Some(ports) {
            if recorded.is_some() {
                tracing::warn!(?recorded, chosen = ?ports, "some recorded ports were taken; chose others");
            }
            let json = serde_json::to_vec_pretty(&ports).unwrap_or_default();
            write_file(path, &json, 0o644)?;
        }
        Ok(ports)
    }
}

/// Whether nothing listens on (or is bound to) `127.0.0.1:port`.
pub fn is_free(port: u16) -> bool {
    TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok()
}

/// A random free port of [`RANGE`] not in `taken`.
fn choose_free(taken: &[u16]) -> Result<u16> {
    let span = u128::from(RANGE.end - RANGE.start);
    for _ in 0..200 {
        let port = RANGE.start + (uuid::Uuid::new_v4().as_u128() % span) as u16;
        if !taken.contains(&port) && is_free(port) {
            return Ok(port);
        }
    }
    Err(ServicesError::Config(format!(
        "no free port found in {RANGE:?} on 127.0.0.1"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_remembered_and_a_taken_one_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ports.json");
        let first = Ports::load_or_choose(&path).unwrap();
        let all = [
            first.keystone,
            first.memcached,
            first.swift_proxy,
            first.swift_account,
            first.swift_container,
            first.swift_object,
            first.simulator,
        ];
        let mut distinct = all.to_vec();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len(), "{first:?}");
        assert!(all.iter().all(|p| RANGE.contains(p)));
        assert_eq!(Ports::load_or_choose(&path).unwrap(), first);

        let _holder = TcpListener::bind((Ipv4Addr::LOCALHOST, first.memcached)).unwrap();
        let second = Ports::load_or_choose(&path).unwrap();
        assert_ne!(second.memcached, first.memcached);
        assert_eq!(
            Ports {
                memcached: first.memcached,
                ..second
            },
            first
        );
        assert_eq!(
            Ports::load_or_choose(&path).unwrap(),
            second,
            "the replacement is remembered"
        );

        std::fs::write(&path, b"nonsense").unwrap();
        assert!(matches!(Ports::load_or_choose(&path), Err(ServicesError::Config(_))));
    }
}
