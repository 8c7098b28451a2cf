//! Volumes: a sparse file `volumes/<volume_id>.img` behind a loop device. Attached, the
//! loop device's node is made in the server's private `/dev` under the name Nova gave it
//! (`/dev/vdb`, ...): only that server sees it, and its `lsblk` lists it.

use std::io::ErrorKind;
use std::path::Path;

use super::cmd::{Cmd, sh_quote};
use super::state::{ServerRecord, Store, VolumeRecord, io_error};
use super::{FabricError, Result};

/// The fabric's volumes.
pub(crate) struct Volumes<'a> {
    pub store: &'a Store,
}

/// The file behind loop device `/dev/loopN`, if it is attached (`(deleted)` stripped).
pub(crate) fn loop_backing_file(loop_name: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/sys/block/{loop_name}/loop/backing_file")).ok()?;
    let text = text.trim_end();
    Some(text.strip_suffix(" (deleted)").unwrap_or(text).to_owned())
}

/// Runs a shell script as root in the server's mount and pid namespaces (its `/proc`
/// only knows processes of its pid namespace, and `umount` reads `/proc/self`).
fn enter(sshd_pid: u32, script: &str) -> Result<String> {
    Cmd::new("nsenter")
        .args(["-t", &sshd_pid.to_string(), "-m", "-p", "--", "/bin/sh", "-c", script])
        .run()
}

/// The mount points of device `majmin` (`7:3`) in a `mountinfo` table, unescaped.
fn mount_points(mountinfo: &str, majmin: &str) -> Vec<String> {
    mountinfo
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(' ');
            (fields.nth(2)? == majmin).then_some(())?;
            Some(unescape_octal(fields.nth(1)?))
        })
        .collect()
}

/// Undoes the kernel's `\040`-style escapes in mount tables.
fn unescape_octal(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let code = bytes
            .get(i + 1..i + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u8::from_str_radix(d, 8).ok());
        match code {
            Some(b) if bytes[i] == b'\\' => {
                out.push(b);
                i += 4;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `/dev/loopN` -> `loopN`.
fn loop_name(device: &str) -> &str {
    device.strip_prefix("/dev/").unwrap_or(device)
}

/// Detaches `/dev/loopN` if it is still backed by `file` (a loop device number may have
/// been reused by someone else since it was recorded).
pub(crate) fn detach_loop(device: &str, file: &Path) -> Result<bool> {
    if loop_backing_file(loop_name(device)).as_deref() != Some(&*file.to_string_lossy()) {
        return Ok(false);
    }
    Cmd::new("losetup")
        .args(["-d", device])
        .run_tolerating(&["No such device", "No such device or address"])
}

impl Volumes<'_> {
    fn server(&self, server_id: &str) -> Result<ServerRecord> {
        self.store
            .read::<ServerRecord>(&self.store.server_path(server_id))?
            .ok_or_else(|| FabricError::NotFound {
                kind: "server",
                id: server_id.to_owned(),
            })
    }

    fn record(&self, volume_id: &str) -> Result<VolumeRecord> {
        self.store
            .read::<VolumeRecord>(&self.store.volume_path(volume_id))?
            .ok_or_else(|| FabricError::NotFound {
                kind: "volume",
                id: volume_id.to_owned(),
            })
    }

    /// See [`Fabric::create_volume`](super::Fabric::create_volume).
    pub(crate) fn create(&self, volume_id: &str, size_gib: u32) -> Result<()> {
        let file = self.store.volume_file(volume_id);
        if let Some(record) = self.store.read::<VolumeRecord>(&self.store.volume_path(volume_id))?
            && loop_backing_file(loop_name(&record.loop_device)).as_deref() == Some(&*file.to_string_lossy())
        {
            return Ok(());
        }
        if size_gib == 0 {
            return Err(FabricError::Other("a volume's size must be at least 1 GiB".into()));
        }
        let f = std::fs::File::create(&file).map_err(|e| io_error(&file, e))?;
        f.set_len(u64::from(size_gib) << 30).map_err(|e| io_error(&file, e))?;
        drop(f);
        let device = match Cmd::new("losetup").args(["-f", "--show"]).args([&file]).run() {
            Ok(out) => out.trim().to_owned(),
            Err(e) => {
                let _ = std::fs::remove_file(&file);
                return Err(e);
            }
        };
        self.store.write(
            &self.store.volume_path(volume_id),
            &VolumeRecord {
                loop_device: device.clone(),
                attachment: None,
            },
        )?;
        tracing::info!(%volume_id, size_gib, loop_device = %device, "volume created");
        Ok(())
    }

    /// See [`Fabric::delete_volume`](super::Fabric::delete_volume).
    pub(crate) fn delete(&self, volume_id: &str) -> Result<()> {
        let path = self.store.volume_path(volume_id);
        let file = self.store.volume_file(volume_id);
        if let Some(record) = self.store.read::<VolumeRecord>(&path)? {
            if let Some((server_id, device)) = &record.attachment {
                return Err(FabricError::InUse(format!(
                    "volume {volume_id} (attached to server {server_id} as {device})"
                )));
            }
            detach_loop(&record.loop_device, &file)?;
        }
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(io_error(&file, e)),
            _ => {}
        }
        self.store.remove(&path)?;
        tracing::info!(%volume_id, "volume deleted");
        Ok(())
    }

    /// See [`Fabric::attach_volume`](super::Fabric::attach_volume).
    pub(crate) fn attach(&self, server_id: &str, volume_id: &str, device: &str) -> Result<()> {
        let _guard = self.store.lock();
        let mut server = self.server(server_id)?;
        if !super::procs::is_alive(server.sshd_pid) {
            return Err(FabricError::Other(format!("server {server_id} is not running")));
        }
        let mut volume = self.record(volume_id)?;
        match &volume.attachment {
            Some((s, d)) if s == server_id && d == device => return Ok(()),
            Some((s, d)) => {
                return Err(FabricError::InUse(format!(
                    "volume {volume_id} (attached to server {s} as {d})"
                )));
            }
            None => {}
        }
        if server.attachments.iter().any(|(_, d)| d == device) {
            return Err(FabricError::InUse(format!("device {device} of server {server_id}")));
        }
        let majmin =
            std::fs::read_to_string(format!("/sys/block/{}/dev", loop_name(&volume.loop_device))).map_err(|e| {
                FabricError::Other(format!("loop device {} of volume {volume_id}: {e}", volume.loop_device))
            })?;
        let (major, minor) = majmin
            .trim()
            .split_once(':')
            .ok_or_else(|| FabricError::Other(format!("bad device number {majmin:?}")))?;
        let dev = sh_quote(device);
        let script = format!("rm -f {dev} && mknod -m 660 {dev} b {major} {minor} && chown root:disk {dev}");
        enter(server.sshd_pid, &script)?;
        volume.attachment = Some((server_id.to_owned(), device.to_owned()));
        self.store.write(&self.store.volume_path(volume_id), &volume)?;
        server.attachments.push((volume_id.to_owned(), device.to_owned()));
        self.store.write(&self.store.server_path(server_id), &server)?;
        tracing::info!(%server_id, %volume_id, %device, loop_device = %volume.loop_device, "volume attached");
        Ok(())
    }

    /// Detaches the volume: inside the server (if it runs) its mounts of the volume are
    /// lazily unmounted and the node removed.
    pub(crate) fn detach(&self, server_id: &str, volume_id: &str) -> Result<()> {
        let _guard = self.store.lock();
        let server = self.store.read::<ServerRecord>(&self.store.server_path(server_id))?;
        let Some(mut volume) = self.store.read::<VolumeRecord>(&self.store.volume_path(volume_id))? else {
            return Ok(());
        };
        let Some((_, device)) = volume.attachment.clone().filter(|(s, _)| s == server_id) else {
            return Ok(());
        };
        if let Some(mut server) = server
            && super::procs::is_alive(server.sshd_pid)
        {
            let majmin = std::fs::read_to_string(format!("/sys/block/{}/dev", loop_name(&volume.loop_device)))
                .unwrap_or_default();
            // The server's mounts, as the host reads them (its /proc is its pid namespace's).
            let mountinfo = std::fs::read_to_string(format!("/proc/{}/mountinfo", server.sshd_pid)).unwrap_or_default();
            let mut script = String::new();
            for point in mount_points(&mountinfo, majmin.trim()).iter().rev() {
                script += &format!("umount -l {} && ", sh_quote(point));
            }
            script += &format!("rm -f {}", sh_quote(&device));
            enter(server.sshd_pid, &script)?;
            server.attachments.retain(|(v, _)| v != volume_id);
            self.store.write(&self.store.server_path(server_id), &server)?;
        }
        volume.attachment = None;
        self.store.write(&self.store.volume_path(volume_id), &volume)?;
        tracing::info!(%server_id, %volume_id, %device, "volume detached");
        Ok(())
    }

    /// Marks volumes detached after their server was deleted.
    pub(crate) fn forget_server(&self, server_id: &str, attachments: &[(String, String)]) -> Result<()> {
        let _guard = self.store.lock();
        for (volume_id, _) in attachments {
            let path = self.store.volume_path(volume_id);
            if let Some(mut volume) = self.store.read::<VolumeRecord>(&path)?
                && volume.attachment.as_ref().is_some_and(|(s, _)| s == server_id)
            {
                volume.attachment = None;
                self.store.write(&path, &volume)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_points_of_a_device() {
        let table = "36 25 254:0 / / rw - ext4 /dev/vda rw\n\
                     71 50 7:3 / /mnt/v rw,relatime - ext4 /dev/vdb rw\n\
                     72 50 7:3 / /mnt/with\\040space rw - ext4 /dev/vdb rw\n\
                     73 50 7:30 / /mnt/other rw - ext4 /dev/vdc rw\n";
        assert_eq!(mount_points(table, "7:3"), ["/mnt/v", "/mnt/with space"]);
        assert!(mount_points(table, "7:4").is_empty());
    }
}
