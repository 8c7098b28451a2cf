//! Reaching a cluster's instances (sahara/utils/ssh_remote.py `InstanceInteropHelper`) over
//! the access path the configuration chooses ([`sahara_remote`]): the instance's management
//! IP, a proxy command, the router's namespace, or the cluster's proxy gateway; and the
//! engine's per-instance work done over it: waiting until SSH answers, `/etc/hosts` and the
//! hostname, NTP.

use crate::error::{EngineError, Result};
use crate::progress::ClusterOp;
use crate::volumes::general_config;
use sahara_model::resources::{Cluster, Instance, NodeGroup};
use sahara_remote::{CommandOutput, InstanceAccess, Node, PrivateKey, RemoteError, SshConnection};
use std::time::{Duration, Instant};

impl From<RemoteError> for EngineError {
    fn from(e: RemoteError) -> Self {
        EngineError::Remote(e.to_string())
    }
}

/// How a command runs.
#[derive(Debug, Clone, Copy)]
pub struct Exec {
    /// As root (`sudo bash -c`).
    pub root: bool,
    /// A non-zero exit status is an error.
    pub raise: bool,
    /// The limit (`ssh_timeout_common` when `None`).
    pub timeout: Option<Duration>,
}

impl Default for Exec {
    fn default() -> Self {
        Exec {
            root: false,
            raise: true,
            timeout: None,
        }
    }
}

/// One SSH connection to an instance (Sahara's `with instance.remote() as r:` block).
pub struct Remote {
    conn: SshConnection,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("host", &self.conn.host()).finish()
    }
}

impl Remote {
    /// Runs `cmd` as the login user; a non-zero exit status is an error. Answers the exit
    /// status and stdout.
    pub async fn execute_command(&self, cmd: &str) -> Result<(i32, String)> {
        let out = self.exec(cmd, Exec::default()).await?;
        Ok((out.exit_code, out.stdout))
    }

    /// Runs `cmd` as `how` says.
    pub async fn exec(&self, cmd: &str, how: Exec) -> Result<CommandOutput> {
        Ok(self.conn.execute_command(cmd, how.root, how.raise, how.timeout).await?)
    }

    /// Writes `data` to `path` (as root through a temporary file and `mv`).
    pub async fn write_file_to(&self, path: &str, data: &str, root: bool) -> Result<()> {
        Ok(self.conn.write_file_to(path, data.as_bytes(), root, None).await?)
    }

    /// Appends `data` to `path`.
    pub async fn append_to_file(&self, path: &str, data: &str, root: bool) -> Result<()> {
        Ok(self.conn.append_to_file(path, data.as_bytes(), root, None).await?)
    }

    /// Reads `path` (as root through a temporary copy).
    pub async fn read_file_from(&self, path: &str, root: bool) -> Result<String> {
        let bytes = self.conn.read_file_from(path, root, None).await?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// `sudo sed -i 's,old,new,g' path`.
    pub async fn replace_remote_string(&self, path: &str, old: &str, new: &str) -> Result<()> {
        Ok(self.conn.replace_remote_string(path, old, new, None).await?)
    }

    /// The distribution's id, lower-cased (`ubuntu`).
    pub async fn get_os_distrib(&self) -> Result<String> {
        Ok(self.conn.get_os_distrib(None).await?)
    }

    /// Closes the connection (and its proxy process).
    pub async fn close(self) {
        self.conn.close().await;
    }
}

/// The node group of `instance`.
pub fn node_group_of<'a>(cluster: &'a Cluster, instance: &Instance) -> Result<&'a NodeGroup> {
    cluster
        .node_groups
        .iter()
        .find(|ng| Some(&ng.id) == instance.node_group_id.as_ref())
        .ok_or_else(|| EngineError::Internal(format!("instance {} has no node group", instance.instance_name)))
}

/// How `instance` is described to the remote driver (its addresses, whether it has a floating IP, its login user).
pub(crate) fn node(cluster: &Cluster, instance: &Instance) -> Result<Node> {
    let ng = node_group_of(cluster, instance)?;
    let internal = instance.internal_ip.clone().unwrap_or_default();
    let management = instance.management_ip.clone().unwrap_or_else(|| internal.clone());
    Ok(Node {
        instance_id: instance.instance_id.clone().unwrap_or_else(|| instance.id.clone()),
        has_floating_ip: ng.floating_ip_pool.is_some() && management != internal,
        internal_ip: internal,
        management_ip: management,
        username: ng.image_username.clone().unwrap_or_else(|| "root".into()),
    })
}

/// The cluster's proxy gateway for `instance`: the first instance of a gateway node group,
/// unless `instance` is in one.
fn gateway(cluster: &Cluster, instance: &Instance) -> Result<Option<Node>> {
    if !crate::networks::behind_gateway(cluster, instance) {
        return Ok(None);
    }
    let gw = cluster
        .node_groups
        .iter()
        .filter(|ng| ng.is_proxy_gateway == Some(true))
        .flat_map(|ng| ng.instances.iter())
        .next()
        .ok_or_else(|| EngineError::Remote("the cluster's proxy gateway has no instance".into()))?;
    node(cluster, gw).map(Some)
}

/// How `instance` is reached (the router id looked up in Neutron only when the path needs it).
pub async fn access(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<InstanceAccess> {
    let mut access = InstanceAccess {
        cluster_id: cluster.id.clone(),
        instance: node(cluster, instance)?,
        gateway: gateway(cluster, instance)?,
        private_key: PrivateKey::new(cluster.management_private_key.clone()),
        tenant_id: op
            .ctx
            .project_id
            .clone()
            .or_else(|| cluster.tenant_id.clone())
            .unwrap_or_default(),
        network_id: cluster.neutron_management_network.clone().unwrap_or_default(),
        router_id: None,
    };
    if access.needs_router_id(op.engine.remote.settings()) {
        access.router_id = Some(op.router_id(&access.network_id).await?);
    }
    Ok(access)
}

/// Opens an SSH connection to `instance` (counted against the cluster's and the process's
/// remote limits until it is closed).
pub async fn connect(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<Remote> {
    let access = access(op, cluster, instance).await?;
    let conn = op.engine.remote.connect(&access, op.limiter()).await?;
    Ok(Remote { conn })
}

/// `_wait_until_accessible`: tries `ls .ssh/authorized_keys` over SSH every 5 s until it
/// succeeds (`[timeouts] wait_until_accessible`), or the cluster goes away.
pub async fn wait_until_accessible(op: &ClusterOp, cluster: &Cluster, instance: &Instance) -> Result<()> {
    let limit = op.engine.settings.wait_until_accessible();
    let deadline = Instant::now() + limit;
    loop {
        if op.cluster_opt().await?.is_none() {
            return Ok(());
        }
        let attempt = async {
            let r = connect(op, cluster, instance).await?;
            let out = r
                .exec(
                    "ls .ssh/authorized_keys",
                    Exec {
                        raise: false,
                        ..Exec::default()
                    },
                )
                .await;
            r.close().await;
            out
        };
        match attempt.await {
            Ok(out) if out.exit_code == 0 => {
                tracing::debug!(instance = %instance.instance_name, "Instance is accessible");
                return Ok(());
            }
            Ok(out) => tracing::debug!(instance = %instance.instance_name, code = out.exit_code, "not ready yet"),
            Err(e) => tracing::debug!(instance = %instance.instance_name, reason = %e, "Can't login to node"),
        }
        if Instant::now() >= deadline {
            return Err(EngineError::Timeout {
                operation: "Wait for instance accessibility".into(),
                seconds: limit.as_secs(),
            });
        }
        tokio::time::sleep(op.engine.settings.accessible_poll).await;
    }
}

/// `_configure_instance`: `/etc/hosts`, `/etc/hostname` and the hostname (its FQDN), and
/// bash as the login user's shell.
pub async fn configure_instance(op: &ClusterOp, cluster: &Cluster, instance: &Instance, hosts: &str) -> Result<()> {
    let fqdn = format!(
        "{}.{}",
        instance.instance_name, op.engine.settings.networking.node_domain
    );
    let r = connect(op, cluster, instance).await?;
    r.write_file_to("etc-hosts", hosts, false).await?;
    r.write_file_to("etc-hostname", &fqdn, false).await?;
    r.execute_command(&format!("sudo hostname {fqdn}")).await?;
    r.execute_command("sudo cp etc-hosts /etc/hosts").await?;
    r.execute_command("sudo cp etc-hostname /etc/hostname").await?;
    r.execute_command("sudo rm etc-hosts  etc-hostname").await?;
    r.execute_command("sudo usermod -s /bin/bash $USER").await?;
    r.close().await;
    Ok(())
}

/// `configure_ntp`: unless the cluster turns it off ("Enable NTP service"), points ntpd at
/// "URL of NTP server" (else `default_ntp_server`) on every instance (or only `only`) that
/// has ntpd; instances without it are skipped with a warning, as in Sahara.
pub async fn configure_ntp(op: &ClusterOp, only: Option<&[String]>) -> Result<()> {
    let cluster = op.cluster().await?;
    if general_config(&cluster, "Enable NTP service").and_then(|v| v.as_bool()) == Some(false) {
        return Ok(());
    }
    let url = general_config(&cluster, "URL of NTP server")
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| op.engine.settings.service.default_ntp_server.clone());
    let targets: Vec<&Instance> = cluster
        .instances()
        .filter(|i| only.is_none_or(|ids| ids.contains(&i.id)))
        .collect();
    let jobs = targets.iter().map(|inst| {
        let (cluster, url) = (&cluster, &url);
        async move {
            let r = connect(op, cluster, inst).await?;
            let installed = r
                .exec(
                    "ntpd --version",
                    Exec {
                        raise: false,
                        ..Exec::default()
                    },
                )
                .await?;
            if installed.exit_code != 0 {
                tracing::warn!(instance = %inst.instance_name, "Unable to configure NTP service");
                r.close().await;
                return Ok(());
            }
            r.append_to_file("/etc/ntp.conf", &format!("server {url}"), true)
                .await?;
            let restart = "if [ -e /etc/init.d/ntp ]; then service ntp restart; else service ntpd restart; fi";
            r.exec(
                restart,
                Exec {
                    root: true,
                    raise: false,
                    ..Exec::default()
                },
            )
            .await?;
            if let Err(e) = r
                .exec(
                    &format!("ntpdate -u {url}"),
                    Exec {
                        root: true,
                        ..Exec::default()
                    },
                )
                .await
            {
                tracing::debug!(reason = %e, "Update time on VM failed");
            }
            tracing::info!(instance = %inst.instance_name, "NTP successfully configured");
            r.close().await;
            Ok::<(), EngineError>(())
        }
    });
    futures_util::future::join_all(jobs).await.into_iter().collect()
}
