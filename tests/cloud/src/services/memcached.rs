//! memcached (Debian's) for Swift's proxy and keystonemiddleware's token cache: TCP only
//! on 127.0.0.1, 32 MB. `-P` names a pid file under the state directory; memcached only
//! writes it when daemonising (it does not here), but it puts the state directory on the
//! command line, which is how a crashed run's memcached is recognised.

use super::ServicesConfig;
use super::ports::Ports;
use super::procs::{DaemonSpec, Readiness};
use std::net::{Ipv4Addr, SocketAddr};

/// memcached of the cloud `config` describes, on `ports.memcached`.
pub fn daemon(config: &ServicesConfig, ports: &Ports) -> DaemonSpec {
    let dir = config.dir();
    DaemonSpec {
        name: "memcached".into(),
        program: "memcached".into(),
        args: [
            "-u",
            "root",
            "-l",
            "127.0.0.1",
            "-p",
            &ports.memcached.to_string(),
            "-U",
            "0",
            "-m",
            "32",
            "-c",
            "256",
            "-P",
            &dir.join("run").join("memcached.pid").display().to_string(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        env: Vec::new(),
        cwd: dir,
        ready: Readiness::Tcp(SocketAddr::from((Ipv4Addr::LOCALHOST, ports.memcached))),
    }
}
