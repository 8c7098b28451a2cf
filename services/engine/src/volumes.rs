//! Formatting and mounting the Cinder volumes Heat attached (sahara/service/volumes.py
//! `mount_to_instances`): each new instance's unmounted disks are found with `lsblk` (on all
//! instances at once; the XFS check only when some disk was found — both ours, for speed)
//! (partitioned disks and Nova's config drive left out), formatted at once (ext4, or XFS when
//! the cluster enables it and `xfsprogs` is there on every instance) and mounted on the node
//! group's `volume_mount_prefix` 1, 2, ... and in `/etc/fstab` (ext4 without Sahara's
//! `data=writeback`, which current kernels refuse on its journal-less ext4). A disk that fails to format is
//! only a failed event, as in Sahara.

use crate::error::Result;
use crate::instances::{self, Exec};
use crate::progress::ClusterOp;
use sahara_model::resources::{Cluster, Instance};
use serde_json::{Map, json};
use std::time::Duration;

/// A cluster config of the `general` section, or `default`.
pub fn general_config(cluster: &Cluster, name: &str) -> Option<serde_json::Value> {
    let configs = serde_json::to_value(cluster.cluster_configs.as_ref()?).ok()?;
    configs.get("general")?.get(name).cloned()
}

/// "Timeout for disk preparing" (general, 300 s).
fn disk_timeout(cluster: &Cluster) -> Duration {
    let secs = general_config(cluster, "Timeout for disk preparing")
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
        .unwrap_or(300);
    Duration::from_secs(secs)
}

/// "Enable XFS" (general, on).
fn xfs_enabled(cluster: &Cluster) -> bool {
    general_config(cluster, "Enable XFS")
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

/// `mount_to_instances`.
pub async fn mount_to_instances(op: &ClusterOp, cluster: &Cluster, new: &[Instance]) -> Result<()> {
    if new.is_empty() {
        return Ok(());
    }
    // The disks of every new instance, looked up at once (Sahara asks one instance after another); the XFS
    // check (which may install xfsprogs) only runs when there is a disk to format at all.
    let found = futures_util::future::join_all(new.iter().map(|i| find_devices(op, cluster, i))).await;
    let found: Vec<Vec<String>> = found.into_iter().collect::<Result<_>>()?;
    if found.iter().all(Vec::is_empty) {
        return Ok(());
    }
    let use_xfs = can_use_xfs(op, cluster, new).await?;
    let timeout = disk_timeout(cluster);
    for (instance, devices) in new.iter().zip(found) {
        if devices.is_empty() {
            continue;
        }
        op.add_step(
            &format!("Mount volumes to {} instance", instance.instance_name),
            devices.len(),
        )
        .await?;
        let formats = devices.iter().map(|d| async move {
            let cmd = if use_xfs {
                format!("sudo mkfs.xfs -f {d}")
            } else {
                format!("sudo mkfs.ext4 -F -m 1 -O dir_index,extents,^has_journal {d}")
            };
            let r = instances::connect(op, cluster, instance).await?;
            match r
                .exec(
                    &cmd,
                    Exec {
                        timeout: Some(timeout),
                        ..Exec::default()
                    },
                )
                .await
            {
                Ok(_) => Ok::<Option<String>, crate::EngineError>(Some(d.clone())),
                Err(e) => {
                    tracing::warn!(device = %d, reason = %e, "Device cannot be formatted");
                    op.event_failed(instance, &e.to_string()).await?;
                    Ok(None)
                }
            }
        });
        let mut formatted = Vec::new();
        for r in futures_util::future::join_all(formats).await {
            if let Some(d) = r? {
                formatted.push(d);
            }
        }
        let mut v = Map::new();
        v.insert("storage_devices_number".into(), json!(formatted.len()));
        op.engine.conductor.instance_update(&op.ctx, &instance.id, v).await?;
        let prefix = cluster
            .node_groups
            .iter()
            .find(|ng| Some(&ng.id) == instance.node_group_id.as_ref())
            .and_then(|ng| ng.volume_mount_prefix.clone())
            .unwrap_or_else(|| "/volumes/disk".into());
        for (idx, dev) in formatted.iter().enumerate() {
            let mount_point = format!("{prefix}{}", idx + 1);
            let mounted = mount(op, cluster, instance, dev, &mount_point, use_xfs, timeout).await;
            match &mounted {
                Ok(()) => op.event_ok(instance).await?,
                Err(e) => {
                    tracing::error!(reason = %e, "Error mounting volume to instance");
                    op.event_failed(instance, &e.to_string()).await?;
                }
            }
            mounted?;
        }
    }
    Ok(())
}

async fn mount(
    op: &ClusterOp,
    cluster: &Cluster,
    instance: &Instance,
    device: &str,
    mount_point: &str,
    use_xfs: bool,
    timeout: Duration,
) -> Result<()> {
    let r = instances::connect(op, cluster, instance).await?;
    r.execute_command(&format!("sudo mkdir -p {mount_point}")).await?;
    // Sahara mounts its journal-less ext4 with `data=writeback`, which kernels refuse for a filesystem
    // without a journal ("can't mount with data=, fs mounted w/o journal"); the option means nothing
    // there, so it is left out (ours).
    let opts = if use_xfs {
        "-t xfs -o noatime,nodiratime,nobarrier"
    } else {
        "-o noatime,nodiratime"
    };
    r.exec(
        &format!("sudo mount {opts} {device} {mount_point}"),
        Exec {
            timeout: Some(timeout),
            ..Exec::default()
        },
    )
    .await?;
    r.execute_command(&format!("sudo sh -c \"grep {device} /etc/mtab >> /etc/fstab\""))
        .await?;
    Ok(())
}

/// `_can_use_xfs`: XFS is enabled and `xfsprogs` is (or gets) installed on every instance.
async fn can_use_xfs(op: &ClusterOp, cluster: &Cluster, new: &[Instance]) -> Result<bool> {
    if !xfs_enabled(cluster) {
        return Ok(false);
    }
    for instance in new {
        let r = instances::connect(op, cluster, instance).await?;
        let distro = r.get_os_distrib().await.unwrap_or_default();
        let cmd = match distro.as_str() {
            "centos" | "fedora" | "redhatenterpriseserver" | "redhat" => "rpm -q xfsprogs || yum install -y xfsprogs",
            "ubuntu" | "debian" => "dpkg -s xfsprogs || apt-get -y install xfsprogs",
            other => {
                tracing::warn!(
                    distro = other,
                    "Cannot verify installation of XFS tools for unknown distro"
                );
                return Ok(false);
            }
        };
        if let Err(e) = r
            .exec(
                cmd,
                Exec {
                    root: true,
                    ..Exec::default()
                },
            )
            .await
        {
            tracing::warn!(reason = %e, "Cannot install xfsprogs");
            return Ok(false);
        }
    }
    Ok(true)
}

/// `_find_instance_devices`: disks and partitions `lsblk` lists, minus the config drive,
/// mounted devices, mounted partitions' disks and partitioned disks' partitions.
async fn find_devices(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<Vec<String>> {
    let r = instances::connect(op, cluster, instance).await?;
    let (_, attached) = r
        .execute_command("lsblk -r | awk '$6 ~ /disk/ || /part/ {print \"/dev/\" $1}'")
        .await?;
    let (_, mounted) = r.execute_command("mount | awk '$1 ~ /^\\/dev/ {print $1}'").await?;
    let mut config_drive = None;
    for label in ["config-2", "CONFIG-2"] {
        let out = r
            .exec(
                &format!("/sbin/blkid -t LABEL=\"{label}\" -odevice"),
                Exec {
                    root: true,
                    raise: false,
                    ..Exec::default()
                },
            )
            .await?;
        if out.exit_code == 0 {
            config_drive = Some(out.stdout.trim().to_string());
            break;
        }
    }
    Ok(select_devices(&attached, &mounted, config_drive.as_deref()))
}

/// The pure part of `_find_instance_devices`.
pub fn select_devices(attached: &str, mounted: &str, config_drive: Option<&str>) -> Vec<String> {
    let mut attached: Vec<String> = attached.split_whitespace().map(str::to_string).collect();
    let mounted: Vec<&str> = mounted.split_whitespace().collect();
    if let Some(cd) = config_drive
        && let Some(pos) = attached.iter().position(|d| d == cd)
    {
        attached.remove(pos);
    }
    let digits = |d: &str| d.chars().filter(char::is_ascii_digit).collect::<String>();
    let base = |d: &str| d.chars().filter(|c| !c.is_ascii_digit()).collect::<String>();
    for dev in attached.clone() {
        if !digits(&dev).is_empty() && mounted.contains(&dev.as_str()) {
            let b = base(&dev);
            attached.retain(|d| *d != b);
            if let Some(pos) = attached.iter().position(|d| *d == dev) {
                attached.remove(pos);
            }
        }
    }
    for dev in attached.clone() {
        if !digits(&dev).is_empty()
            && attached.contains(&base(&dev))
            && let Some(pos) = attached.iter().position(|d| *d == dev)
        {
            attached.remove(pos);
        }
    }
    attached.retain(|d| !mounted.contains(&d.as_str()));
    attached
}

#[cfg(test)]
mod tests {
    use super::select_devices;

    #[test]
    fn unmounted_whole_disks_are_kept() {
        let attached = "/dev/vda\n/dev/vda1\n/dev/vdb\n/dev/vdc\n/dev/vdd\n";
        let mounted = "/dev/vda1\n";
        assert_eq!(
            select_devices(attached, mounted, Some("/dev/vdd")),
            vec!["/dev/vdb", "/dev/vdc"]
        );
        assert_eq!(select_devices("/dev/vdb /dev/vdb1", "", None), vec!["/dev/vdb"]);
        assert!(select_devices("", "", None).is_empty());
    }
}
