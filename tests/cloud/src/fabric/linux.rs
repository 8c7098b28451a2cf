//! [`LinuxFabric`]: the fabric made of network namespaces, bridges, veths, iptables, sshd
//! and loop devices on this Linux host (as root).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use super::cleanup;
use super::net::Net;
use super::server::Servers;
use super::spark::{self, SPARK_HOME, find_spark_distribution};
use super::state::{Store, io_error};
use super::volume::Volumes;
use super::{
    CleanupReport, ExternalNetwork, Fabric, FabricError, Gateway, Result, RouterInterface, ServerSpec, ServerStatus,
};
use crate::naming::Prefix;

/// The fabric of one cloud on this host. See the [module documentation](super).
///
/// Everything it makes is named with the cloud's [`Prefix`]; what it must remember
/// (bridges of networks, servers' sshd and private directories, volumes' loop devices and
/// files) lives in its state directory, so a new `LinuxFabric` over the same directory
/// can delete what an earlier process made, and [`Fabric::cleanup`] needs only the prefix.
pub struct LinuxFabric {
    prefix: Prefix,
    store: Store,
    spark: Option<PathBuf>,
}

impl LinuxFabric {
    /// The fabric of the cloud `prefix`, keeping its state in `state_dir` (created if
    /// missing), with the Spark distribution [`find_spark_distribution`] finds for Spark
    /// images. Fails unless run as root.
    pub fn new(prefix: Prefix, state_dir: impl Into<PathBuf>) -> Result<LinuxFabric> {
        if !rustix::process::geteuid().is_root() {
            return Err(FabricError::Other(
                "the fabric needs root (namespaces, bridges, loop devices)".into(),
            ));
        }
        let dir: PathBuf = state_dir.into();
        std::fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let dir = dir.canonicalize().map_err(|e| io_error(&dir, e))?;
        let spark = find_spark_distribution()?;
        match &spark {
            Some(dist) => tracing::debug!(dist = %dist.display(), "Spark images get this Spark distribution"),
            None => tracing::debug!("no Spark distribution: Spark images will have no {SPARK_HOME}"),
        }
        Ok(LinuxFabric {
            prefix,
            store: Store::open(dir)?,
            spark,
        })
    }

    /// Shows `dist` (a Spark distribution: `bin/spark-class`, `jars/`, ...) at
    /// [`SPARK_HOME`] in the servers of Spark images booted from now on; `None`: none.
    pub fn with_spark_distribution(mut self, dist: Option<PathBuf>) -> Result<LinuxFabric> {
        if let Some(dist) = &dist {
            spark::check_distribution(dist)?;
        }
        self.spark = dist;
        Ok(self)
    }

    /// The Spark distribution Spark images get, if any.
    pub fn spark_distribution(&self) -> Option<&Path> {
        self.spark.as_deref()
    }

    /// The cloud's prefix.
    pub fn prefix(&self) -> Prefix {
        self.prefix
    }

    /// The state directory.
    pub fn state_dir(&self) -> &Path {
        self.store.root()
    }

    /// The host pid of a server's sshd (pid 1 of its pid namespace: `nsenter -t <pid>
    /// -n -u -m -p` enters the server).
    pub fn server_pid(&self, server_id: &str) -> Result<u32> {
        check_id("server", server_id)?;
        let net = self.net();
        Ok(Servers {
            store: &self.store,
            net: &net,
        }
        .record(server_id)?
        .sshd_pid)
    }

    fn net(&self) -> Net<'_> {
        Net {
            prefix: self.prefix,
            store: &self.store,
        }
    }

    fn volumes(&self) -> Volumes<'_> {
        Volumes { store: &self.store }
    }

    /// Ids embedded in host names must carry the cloud's prefix, or cleanup by prefix
    /// could not find what they name.
    fn check_owned(&self, kind: &'static str, id: &str) -> Result<()> {
        check_id(kind, id)?;
        if self.prefix.owns_id(id) {
            Ok(())
        } else {
            Err(FabricError::Other(format!(
                "{kind} id {id} does not carry the cloud's prefix {}",
                self.prefix
            )))
        }
    }
}

/// Ids become file and namespace names: letters, digits, `-` and `_` only.
fn check_id(kind: &'static str, id: &str) -> Result<()> {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(FabricError::Other(format!("invalid {kind} id {id:?}")))
    }
}

/// A hostname `hostname(1)` and `/etc/hosts` accept.
fn check_hostname(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && !name.starts_with(['-', '.'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if ok {
        Ok(())
    } else {
        Err(FabricError::Other(format!("invalid hostname {name:?}")))
    }
}

/// A user name `useradd` would accept.
fn check_user(name: &str) -> Result<()> {
    let mut bytes = name.bytes();
    let ok = name.len() <= 32
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(FabricError::Other(format!("invalid login user {name:?}")))
    }
}

/// A device name as Nova gives it (`/dev/vdb`).
fn check_device(device: &str) -> Result<()> {
    let name = device.strip_prefix("/dev/").unwrap_or("");
    let ok = !name.is_empty()
        && name.len() <= 8
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(FabricError::Other(format!("invalid device {device:?}")))
    }
}

impl Fabric for LinuxFabric {
    #[tracing::instrument(skip_all, fields(network_id = %net.network_id))]
    fn create_external_network(&self, net: &ExternalNetwork) -> Result<()> {
        check_id("network", &net.network_id)?;
        self.net().create_external_network(net)
    }

    #[tracing::instrument(skip(self))]
    fn create_network(&self, network_id: &str) -> Result<()> {
        check_id("network", network_id)?;
        self.net().create_network(network_id)
    }

    #[tracing::instrument(skip(self))]
    fn delete_network(&self, network_id: &str) -> Result<()> {
        check_id("network", network_id)?;
        self.net().delete_network(network_id)
    }

    #[tracing::instrument(skip(self))]
    fn create_router(&self, router_id: &str) -> Result<()> {
        self.check_owned("router", router_id)?;
        self.net().create_router(router_id)
    }

    #[tracing::instrument(skip(self, gateway))]
    fn set_router_gateway(&self, router_id: &str, gateway: Option<&Gateway>) -> Result<()> {
        self.check_owned("router", router_id)?;
        if let Some(gw) = gateway {
            check_id("network", &gw.network_id)?;
        }
        self.net().set_router_gateway(router_id, gateway)
    }

    #[tracing::instrument(skip(self, interface), fields(port_id = %interface.port_id))]
    fn add_router_interface(&self, router_id: &str, interface: &RouterInterface) -> Result<()> {
        self.check_owned("router", router_id)?;
        check_id("port", &interface.port_id)?;
        check_id("network", &interface.network_id)?;
        self.net().add_router_interface(router_id, interface)
    }

    #[tracing::instrument(skip(self))]
    fn remove_router_interface(&self, router_id: &str, port_id: &str) -> Result<()> {
        self.check_owned("router", router_id)?;
        check_id("port", port_id)?;
        self.net().remove_router_interface(router_id, port_id)
    }

    #[tracing::instrument(skip(self))]
    fn delete_router(&self, router_id: &str) -> Result<()> {
        self.check_owned("router", router_id)?;
        self.net().delete_router(router_id)
    }

    #[tracing::instrument(skip(self))]
    fn associate_floating_ip(&self, router_id: &str, floating_ip: Ipv4Addr, fixed_ip: Ipv4Addr) -> Result<()> {
        self.check_owned("router", router_id)?;
        self.net().associate_floating_ip(router_id, floating_ip, fixed_ip)
    }

    #[tracing::instrument(skip(self))]
    fn disassociate_floating_ip(&self, router_id: &str, floating_ip: Ipv4Addr, fixed_ip: Ipv4Addr) -> Result<()> {
        self.check_owned("router", router_id)?;
        self.net().disassociate_floating_ip(router_id, floating_ip, fixed_ip)
    }

    #[tracing::instrument(skip_all, fields(server_id = %spec.server_id, hostname = %spec.hostname))]
    fn boot_server(&self, spec: &ServerSpec) -> Result<()> {
        self.check_owned("server", &spec.server_id)?;
        check_hostname(&spec.hostname)?;
        check_user(&spec.login_user)?;
        for nic in &spec.nics {
            check_id("network", &nic.network_id)?;
        }
        let net = self.net();
        Servers {
            store: &self.store,
            net: &net,
        }
        .boot(spec, self.spark.as_deref())
    }

    #[tracing::instrument(skip(self))]
    fn server_status(&self, server_id: &str) -> Result<ServerStatus> {
        check_id("server", server_id)?;
        let net = self.net();
        Servers {
            store: &self.store,
            net: &net,
        }
        .status(server_id)
    }

    #[tracing::instrument(skip(self))]
    fn delete_server(&self, server_id: &str) -> Result<()> {
        self.check_owned("server", server_id)?;
        let net = self.net();
        let attachments = Servers {
            store: &self.store,
            net: &net,
        }
        .teardown(server_id)?;
        self.volumes().forget_server(server_id, &attachments)
    }

    #[tracing::instrument(skip(self))]
    fn create_volume(&self, volume_id: &str, size_gib: u32) -> Result<()> {
        self.check_owned("volume", volume_id)?;
        self.volumes().create(volume_id, size_gib)
    }

    #[tracing::instrument(skip(self))]
    fn delete_volume(&self, volume_id: &str) -> Result<()> {
        self.check_owned("volume", volume_id)?;
        self.volumes().delete(volume_id)
    }

    #[tracing::instrument(skip(self))]
    fn attach_volume(&self, server_id: &str, volume_id: &str, device: &str) -> Result<()> {
        check_id("server", server_id)?;
        self.check_owned("volume", volume_id)?;
        check_device(device)?;
        self.volumes().attach(server_id, volume_id, device)
    }

    #[tracing::instrument(skip(self))]
    fn detach_volume(&self, server_id: &str, volume_id: &str) -> Result<()> {
        check_id("server", server_id)?;
        self.check_owned("volume", volume_id)?;
        self.volumes().detach(server_id, volume_id)
    }

    #[tracing::instrument(skip(self), fields(prefix = %self.prefix))]
    fn cleanup(&self) -> Result<CleanupReport> {
        cleanup::cleanup(self.prefix, &self.store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        assert!(check_id("server", "5a7c01e2-0000-4000-8000-000000000000").is_ok());
        assert!(check_id("server", "../etc").is_err());
        assert!(check_id("server", "").is_err());
        assert!(check_hostname("cluster-1-worker-001").is_ok());
        assert!(check_hostname("bad host").is_err());
        assert!(check_hostname("-x").is_err());
        assert!(check_user("ubuntu").is_ok());
        assert!(check_user("root").is_ok());
        assert!(check_user("Root").is_err());
        assert!(check_user("a;b").is_err());
        assert!(check_device("/dev/vdb").is_ok());
        assert!(check_device("/dev/../sda").is_err());
        assert!(check_device("vdb").is_err());
    }
}
