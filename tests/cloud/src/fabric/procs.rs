//! The processes of the fabric's namespaces, read from `/proc` (no command spawned).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

use super::{FabricError, Result};

/// The inode of network namespace `ns` (`/run/netns/<ns>`), if it exists.
pub(crate) fn netns_inode(ns: &str) -> Option<u64> {
    std::fs::metadata(Path::new("/run/netns").join(ns))
        .ok()
        .map(|m| m.ino())
}

/// Whether network namespace `ns` exists.
pub(crate) fn netns_exists(ns: &str) -> bool {
    netns_inode(ns).is_some()
}

/// The names of the network namespaces on the host.
pub(crate) fn netns_list() -> Vec<String> {
    let Ok(entries) = std::fs::read_dir("/run/netns") else {
        return Vec::new();
    };
    entries.filter_map(|e| e.ok()?.file_name().into_string().ok()).collect()
}

/// The pids of every live process in network namespace `ns` (what `ip netns pids` prints).
pub(crate) fn pids_in_netns(ns: &str) -> Vec<u32> {
    let Some(inode) = netns_inode(ns) else {
        return Vec::new();
    };
    let wanted = format!("net:[{inode}]");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_link(format!("/proc/{pid}/ns/net")).is_ok_and(|link| link.as_os_str() == wanted.as_str())
        })
        .collect()
}

/// Whether `pid` is a live process (not a zombie) whose command name is `comm`.
pub(crate) fn is_running(pid: u32, comm: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // `pid (comm) state ...`; comm may hold spaces and parentheses, so split at the last ')'.
    let Some((head, tail)) = stat.rsplit_once(')') else {
        return false;
    };
    let name = head.split_once('(').map(|(_, n)| n).unwrap_or("");
    let state = tail.split_whitespace().next().unwrap_or("");
    name == comm && state != "Z" && state != "X"
}

/// Whether `pid` is a live process (not a zombie).
pub(crate) fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    let state = stat
        .rsplit_once(')')
        .and_then(|(_, tail)| tail.split_whitespace().next())
        .unwrap_or("");
    !state.is_empty() && state != "Z" && state != "X"
}

/// Starts `command` and reaps it from a thread of its own when it exits, whoever kills
/// it (the host's init does not reap orphans here, so every process the fabric starts
/// stays its child until it ends). Returns its pid.
pub(crate) fn spawn_reaped(mut command: std::process::Command, what: &str) -> Result<u32> {
    let mut child = command.spawn().map_err(|e| FabricError::Command {
        command: what.to_owned(),
        output: format!("cannot start: {e}"),
    })?;
    let pid = child.id();
    let name = format!("reap-{pid}");
    let reaper = std::thread::Builder::new().name(name).spawn(move || {
        let status = child.wait();
        tracing::debug!(pid, ?status, "process ended");
    });
    if let Err(e) = reaper {
        kill(pid);
        return Err(FabricError::Other(format!("cannot start a reaper thread: {e}")));
    }
    Ok(pid)
}

/// Whether the network namespace of `pid` has a TCP socket listening on `port`.
pub(crate) fn listens_on(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string(format!("/proc/{pid}/net/tcp")) else {
        return false;
    };
    let wanted = format!(":{port:04X}");
    table.lines().skip(1).any(|line| {
        let mut fields = line.split_whitespace();
        let local = fields.nth(1).unwrap_or("");
        let state = fields.nth(1).unwrap_or("");
        local.ends_with(&wanted) && state == "0A"
    })
}

/// Sends SIGKILL to `pid` (a process already gone is not an error).
pub(crate) fn kill(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, Signal::KILL);
    }
}

/// Kills every process of network namespace `ns` until none is left (processes may fork
/// while being killed), and returns the pids killed. Fails if some survive `timeout`.
pub(crate) fn kill_netns_processes(ns: &str, timeout: Duration) -> Result<Vec<u32>> {
    let deadline = Instant::now() + timeout;
    let mut killed = Vec::new();
    loop {
        let pids = pids_in_netns(ns);
        // A process leaves its namespaces early in its exit: wait until it is dead.
        if pids.is_empty() && !killed.iter().any(|&pid| is_alive(pid)) {
            return Ok(killed);
        }
        if Instant::now() > deadline {
            let alive: Vec<u32> = killed
                .iter()
                .copied()
                .filter(|&pid| is_alive(pid))
                .chain(pids)
                .collect();
            return Err(FabricError::Other(format!(
                "processes {alive:?} of namespace {ns} survive SIGKILL"
            )));
        }
        for &pid in &pids {
            kill(pid);
            if !killed.contains(&pid) {
                killed.push(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let me = std::process::id();
        let comm = std::fs::read_to_string(format!("/proc/{me}/comm")).unwrap();
        assert!(is_running(me, comm.trim()));
        assert!(!is_running(me, "not-this"));
        assert!(!netns_exists("no-such-namespace-for-sure"));
        assert!(pids_in_netns("no-such-namespace-for-sure").is_empty());
    }
}
