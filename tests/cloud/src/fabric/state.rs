//! What the fabric keeps in its state directory, so that a later process (a restarted
//! simulator, `sahara-testcloud down`) can find and delete what an earlier one made:
//!
//! ```text
//! links                        the link-name counter
//! networks/<network_id>.json   the network's bridge
//! servers/<server_id>/         server.json, console.log, sshd.pid, fs/ (private directories)
//! volumes/<volume_id>.img      the volume's sparse file; <volume_id>.json its loop device
//! ```
//!
//! Routers keep nothing here: their namespace is their whole state.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{FabricError, Result};
use crate::naming::Prefix;

/// A network's record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct NetworkRecord {
    /// Its bridge on the host.
    pub bridge: String,
    /// Whether it is the external network (its bridge holds a host address).
    pub external: bool,
}

/// A server's record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct ServerRecord {
    /// Its network namespace.
    pub namespace: String,
    /// The host pid of its sshd (pid 1 of its pid namespace).
    pub sshd_pid: u32,
    /// The host ends of its NICs, in order.
    pub host_links: Vec<String>,
    /// Attached volumes: (volume id, device).
    pub attachments: Vec<(String, String)>,
}

/// A volume's record.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct VolumeRecord {
    /// Its loop device (`/dev/loopN`).
    pub loop_device: String,
    /// Where it is attached: (server id, device).
    pub attachment: Option<(String, String)>,
}

/// The fabric's state directory.
pub(crate) struct Store {
    root: PathBuf,
    lock: Mutex<()>,
}

impl Store {
    /// The store in `root` (created if missing).
    pub(crate) fn open(root: PathBuf) -> Result<Store> {
        for dir in ["networks", "servers", "volumes"] {
            std::fs::create_dir_all(root.join(dir)).map_err(|e| io_error(&root.join(dir), e))?;
        }
        Ok(Store {
            root,
            lock: Mutex::new(()),
        })
    }

    /// The state directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// Serialises read-modify-write sequences on records.
    pub(crate) fn lock(&self) -> MutexGuard<'_, ()> {
        self.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A network's record file.
    pub(crate) fn network_path(&self, network_id: &str) -> PathBuf {
        self.root.join("networks").join(format!("{network_id}.json"))
    }

    /// A server's directory.
    pub(crate) fn server_dir(&self, server_id: &str) -> PathBuf {
        self.root.join("servers").join(server_id)
    }

    /// A server's record file.
    pub(crate) fn server_path(&self, server_id: &str) -> PathBuf {
        self.server_dir(server_id).join("server.json")
    }

    /// A volume's record file.
    pub(crate) fn volume_path(&self, volume_id: &str) -> PathBuf {
        self.root.join("volumes").join(format!("{volume_id}.json"))
    }

    /// A volume's backing file.
    pub(crate) fn volume_file(&self, volume_id: &str) -> PathBuf {
        self.root.join("volumes").join(format!("{volume_id}.img"))
    }

    /// Reads a record, `None` if there is none.
    pub(crate) fn read<T: DeserializeOwned>(&self, path: &Path) -> Result<Option<T>> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| FabricError::Other(format!("corrupt record {}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(path, e)),
        }
    }

    /// Writes a record (atomically: a temporary file renamed over it).
    pub(crate) fn write<T: Serialize>(&self, path: &Path, record: &T) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(record).map_err(|e| FabricError::Other(e.to_string()))?;
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, bytes).map_err(|e| io_error(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io_error(path, e))
    }

    /// Removes a file if present.
    pub(crate) fn remove(&self, path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io_error(path, e)),
            _ => Ok(()),
        }
    }

    /// A new host link name `<kind><prefix><n>`: `n` comes from a counter kept in the
    /// state directory (wrapping at 16 bits), skipping names that exist on the host.
    pub(crate) fn next_link(&self, prefix: Prefix, kind: &str) -> Result<String> {
        let _guard = self.lock();
        let path = self.root.join("links");
        let mut n = match std::fs::read_to_string(&path) {
            Ok(s) => s.trim().parse::<u32>().unwrap_or(0),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(io_error(&path, e)),
        };
        for _ in 0..=u16::MAX as u32 {
            n = (n + 1) % (u16::MAX as u32 + 1);
            let name = prefix.link(kind, n as u16);
            if !Path::new("/sys/class/net").join(&name).exists() {
                std::fs::write(&path, n.to_string()).map_err(|e| io_error(&path, e))?;
                return Ok(name);
            }
        }
        Err(FabricError::Other(format!(
            "no free {kind} link name left for prefix {prefix}"
        )))
    }
}

/// An I/O error on a state file.
pub(crate) fn io_error(path: &Path, e: std::io::Error) -> FabricError {
    FabricError::Other(format!("{}: {e}", path.display()))
}

/// Removes a directory tree if present.
pub(crate) fn remove_tree(path: &Path) -> Result<bool> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_link_names_persist() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = Prefix::random();
        let store = Store::open(dir.path().to_owned()).unwrap();
        let first = store.next_link(prefix, "br").unwrap();
        let second = store.next_link(prefix, "tap").unwrap();
        assert_eq!(first, prefix.link("br", 1));
        assert_eq!(second, prefix.link("tap", 2));
        // A second store over the same directory goes on counting.
        let again = Store::open(dir.path().to_owned()).unwrap();
        assert_eq!(again.next_link(prefix, "br").unwrap(), prefix.link("br", 3));

        let path = store.network_path("n1");
        assert!(store.read::<NetworkRecord>(&path).unwrap().is_none());
        store
            .write(
                &path,
                &NetworkRecord {
                    bridge: first.clone(),
                    external: true,
                },
            )
            .unwrap();
        let back: NetworkRecord = again.read(&path).unwrap().unwrap();
        assert_eq!(back.bridge, first);
        assert!(back.external);
        store.remove(&path).unwrap();
        store.remove(&path).unwrap();
        assert!(store.read::<NetworkRecord>(&path).unwrap().is_none());
    }
}
