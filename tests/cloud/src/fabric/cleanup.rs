//! Removing everything of one cloud from the host, found by its prefix alone (the state
//! directory may be gone: a crashed run, a `down` after `rm -rf`).
//!
//! In order: the processes of the namespaces `qrouter-<prefix>...` and `inst-<prefix>...`
//! (sshd, what runs over SSH, user data, the engine's `nc` proxies), the namespaces
//! themselves (their veths, iptables rules and mounts go with them), `/etc/netns/<ns>`,
//! host links named `<kind><prefix><n>`, loop devices backed by files under the state
//! directory or named after the cloud's ids, and finally the state directory's contents.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::cmd::Cmd;
use super::net::GONE;
use super::state::{Store, remove_tree};
use super::volume::loop_backing_file;
use super::{CleanupReport, Result, procs};
use crate::naming::Prefix;

/// Whether namespace `ns` belongs to the cloud of `prefix`.
pub(crate) fn is_our_namespace(ns: &str, prefix: Prefix) -> bool {
    let p = prefix.to_string();
    ns.strip_prefix("qrouter-")
        .or_else(|| ns.strip_prefix("inst-"))
        .is_some_and(|id| id.starts_with(&p))
}

/// Whether host link `name` was named by [`Prefix::link`] for the cloud of `prefix`.
pub(crate) fn is_our_link(name: &str, prefix: Prefix) -> bool {
    let p = prefix.to_string();
    (0..=3).any(|kind_len| {
        let (Some(kind), Some(rest)) = (name.get(..kind_len), name.get(kind_len..)) else {
            return false;
        };
        let Some(n) = rest.strip_prefix(&p) else { return false };
        kind.bytes().all(|b| b.is_ascii_lowercase())
            && (1..=4).contains(&n.len())
            && n.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// Removes everything of the cloud of `prefix`; see the module documentation.
pub(crate) fn cleanup(prefix: Prefix, store: &Store) -> Result<CleanupReport> {
    let mut report = CleanupReport::default();
    for ns in procs::netns_list()
        .into_iter()
        .filter(|ns| is_our_namespace(ns, prefix))
    {
        report
            .processes
            .extend(procs::kill_netns_processes(&ns, Duration::from_secs(5))?);
        Cmd::new("ip").args(["netns", "del", &ns]).run_tolerating(GONE)?;
        report.namespaces.push(ns);
    }
    if let Ok(entries) = std::fs::read_dir("/etc/netns") {
        for entry in entries.flatten() {
            if entry
                .file_name()
                .to_str()
                .is_some_and(|ns| is_our_namespace(ns, prefix))
                && remove_tree(&entry.path())?
            {
                report.paths.push(entry.path());
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir("/sys/class/net") {
        let mut links: Vec<String> = entries
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|name| is_our_link(name, prefix))
            .collect();
        // veth ends before bridges (deleting one end removes its peer).
        links.sort_by_key(|name| name.starts_with("br"));
        for link in links {
            if Cmd::new("ip").args(["link", "del", &link]).run_tolerating(GONE)? {
                report.links.push(link);
            }
        }
    }
    let loops = our_loops(prefix, store.root());
    for (device, _) in &loops {
        Cmd::new("losetup")
            .args(["-d", device])
            .run_tolerating(&["No such device"])?;
        report.loop_devices.push(device.clone());
    }
    wait_for_loops(&loops);
    for sub in ["servers", "volumes", "networks"] {
        if let Ok(entries) = std::fs::read_dir(store.root().join(sub)) {
            for entry in entries.flatten() {
                let path = entry.path();
                let removed = if path.is_dir() {
                    remove_tree(&path)?
                } else {
                    std::fs::remove_file(&path).is_ok()
                };
                if removed {
                    report.paths.push(path);
                }
            }
        }
    }
    let counter = store.root().join("links");
    if std::fs::remove_file(&counter).is_ok() {
        report.paths.push(counter);
    }
    tracing::info!(
        %prefix,
        namespaces = report.namespaces.len(),
        links = report.links.len(),
        loop_devices = report.loop_devices.len(),
        processes = report.processes.len(),
        paths = report.paths.len(),
        "fabric cleaned up"
    );
    Ok(report)
}

/// The loop devices of the cloud: (`/dev/loopN`, backing file).
pub(crate) fn our_loops(prefix: Prefix, state_dir: &Path) -> Vec<(String, String)> {
    let p = prefix.to_string();
    let Ok(entries) = std::fs::read_dir("/sys/block") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| name.starts_with("loop"))
        .filter_map(|name| {
            let file = loop_backing_file(&name)?;
            let named = PathBuf::from(&file)
                .file_name()
                .is_some_and(|f| f.to_string_lossy().starts_with(&p));
            (named || Path::new(&file).starts_with(state_dir)).then(|| (format!("/dev/{name}"), file))
        })
        .collect()
}

/// Waits (briefly) until detached loop devices are released: one still mounted in a
/// dying mount namespace is only cleared when that mount goes.
fn wait_for_loops(loops: &[(String, String)]) {
    let deadline = Instant::now() + Duration::from_secs(3);
    let pending = |(device, file): &&(String, String)| {
        let name = device.trim_start_matches("/dev/");
        loop_backing_file(name).as_deref() == Some(file.as_str())
    };
    while loops.iter().any(|l| pending(&l)) {
        if Instant::now() > deadline {
            tracing::warn!("some loop devices are still busy; the kernel clears them once released");
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_recognised_by_prefix() {
        let prefix = Prefix::parse("5a7c01e2").unwrap();
        let other = Prefix::parse("5a7c01e3").unwrap();
        for link in [
            prefix.link("br", 1),
            prefix.link("tap", 0xffff),
            prefix.link("qgh", 0x1a),
        ] {
            assert!(is_our_link(&link, prefix), "{link}");
            assert!(!is_our_link(&link, other), "{link}");
        }
        assert!(!is_our_link("eth0", prefix));
        assert!(!is_our_link("br5a7c01e2", prefix));
        assert!(!is_our_link("br5a7c01e2xyz", prefix));
        let id = prefix.mint_id();
        assert!(is_our_namespace(&format!("qrouter-{id}"), prefix));
        assert!(is_our_namespace(&format!("inst-{id}"), prefix));
        assert!(!is_our_namespace(&format!("inst-{}", other.mint_id()), prefix));
        assert!(!is_our_namespace(&format!("qdhcp-{id}"), prefix));
    }
}
