//! Real Swift, all-in-one, from the cloud's virtualenv: one account, one container and one
//! object server (`workers = 0`: one process each) on one device under the state directory
//! (ext4 holds Swift's xattrs), rings of one replica built with Swift's `RingBuilder`, and
//! one proxy whose pipeline authenticates with keystonemiddleware (the `swift` service
//! user, tokens cached in memcached) and authorises with `keystoneauth`, so a project's
//! account is `AUTH_<project_id>` and a trust-scoped token works as it does for Sahara.
//!
//! Every configuration names `swift_dir`, so nothing is read from `/etc/swift`. The
//! servers run as root (`user = root`) and log to their console (`-v`), which is their
//! log file.

use super::catalog::local_url;
use super::ports::Ports;
use super::procs::{DaemonSpec, Readiness, create_dir, io_error, write_file};
use super::secrets::Secrets;
use super::{Result, ServicesConfig, ServicesError};
use std::path::PathBuf;
use std::process::Stdio;

/// The storage device's name under `node/`.
const DEVICE: &str = "d1";
/// How to find a storage server's port.
type PortOf = fn(&Ports) -> u16;
/// The three storage servers: name and how to find its port.
const SERVERS: [(&str, PortOf); 3] = [
    ("account", |p| p.swift_account),
    ("container", |p| p.swift_container),
    ("object", |p| p.swift_object),
];

/// Builds `<etc>/<kind>.builder` and `<etc>/<kind>.ring.gz` for each `kind:port`
/// argument after `etc` and the device name: 2^8 partitions, one replica, one device.
const RING_SCRIPT: &str = r#"
import sys
from swift.common.ring import RingBuilder
etc, device = sys.argv[1], sys.argv[2]
for spec in sys.argv[3:]:
    kind, port = spec.split(":")
    builder = RingBuilder(8, 1, 1)
    builder.add_dev({"region": 1, "zone": 1, "ip": "127.0.0.1", "port": int(port),
                     "device": device, "weight": 100, "meta": ""})
    builder.rebalance()
    builder.save("%s/%s.builder" % (etc, kind))
    builder.get_ring().save("%s/%s.ring.gz" % (etc, kind))
"#;

/// Swift of one cloud.
#[derive(Debug, Clone)]
pub struct Swift {
    dir: PathBuf,
    venv: PathBuf,
    ports: Ports,
}

impl Swift {
    /// Swift of the cloud `config` describes, on `ports`.
    pub fn new(config: &ServicesConfig, ports: &Ports) -> Swift {
        Swift {
            dir: config.dir().join("swift"),
            venv: config.swift_venv.clone(),
            ports: *ports,
        }
    }

    fn etc(&self) -> PathBuf {
        self.dir.join("etc")
    }

    /// Writes `swift.conf` and the servers' and proxy's configurations (the proxy's holds
    /// the swift user's password: mode 0600), and makes the device directory.
    pub fn write_files(&self, secrets: &Secrets) -> Result<()> {
        let etc = self.etc();
        create_dir(&etc, 0o755)?;
        create_dir(&self.dir.join("node").join(DEVICE), 0o755)?;
        write_file(
            &etc.join("swift.conf"),
            format!(
                "[swift-hash]\nswift_hash_path_suffix = {}\nswift_hash_path_prefix = {}\n\n\
                 [storage-policy:0]\nname = gold\ndefault = yes\n",
                secrets.swift_hash_suffix, secrets.swift_hash_prefix
            )
            .as_bytes(),
            0o600,
        )?;
        for (kind, port) in SERVERS {
            write_file(
                &etc.join(format!("{kind}-server.conf")),
                self.server_config(kind, port(&self.ports)).as_bytes(),
                0o644,
            )?;
        }
        write_file(
            &etc.join("proxy-server.conf"),
            self.proxy_config(secrets).as_bytes(),
            0o600,
        )
    }

    fn common(&self, port: u16) -> String {
        format!(
            "[DEFAULT]\n\
             bind_ip = 127.0.0.1\n\
             bind_port = {port}\n\
             workers = 0\n\
             user = root\n\
             swift_dir = {etc}\n\
             devices = {node}\n\
             mount_check = false\n\
             log_level = INFO\n",
            etc = self.etc().display(),
            node = self.dir.join("node").display(),
        )
    }

    fn server_config(&self, kind: &str, port: u16) -> String {
        format!(
            "{}\n[pipeline:main]\npipeline = healthcheck {kind}-server\n\n\
             [app:{kind}-server]\nuse = egg:swift#{kind}\n\n\
             [filter:healthcheck]\nuse = egg:swift#healthcheck\n",
            self.common(port)
        )
    }

    fn proxy_config(&self, secrets: &Secrets) -> String {
        let keystone = local_url(self.ports.keystone);
        let memcached = format!("127.0.0.1:{}", self.ports.memcached);
        format!(
            "{common}\n\
             [pipeline:main]\n\
             pipeline = catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk tempurl \
             authtoken keystoneauth copy slo dlo versioned_writes symlink proxy-logging proxy-server\n\
             \n\
             [app:proxy-server]\n\
             use = egg:swift#proxy\n\
             account_autocreate = true\n\
             \n\
             [filter:authtoken]\n\
             paste.filter_factory = keystonemiddleware.auth_token:filter_factory\n\
             www_authenticate_uri = {keystone}\n\
             auth_url = {keystone}\n\
             auth_type = password\n\
             project_domain_name = Default\n\
             user_domain_name = Default\n\
             project_name = service\n\
             username = swift\n\
             password = {password}\n\
             delay_auth_decision = True\n\
             memcached_servers = {memcached}\n\
             \n\
             [filter:keystoneauth]\n\
             use = egg:swift#keystoneauth\n\
             operator_roles = admin, member\n\
             reseller_admin_role = ResellerAdmin\n\
             \n\
             [filter:cache]\nuse = egg:swift#memcache\nmemcache_servers = {memcached}\n\n\
             [filter:catch_errors]\nuse = egg:swift#catch_errors\n\n\
             [filter:gatekeeper]\nuse = egg:swift#gatekeeper\n\n\
             [filter:healthcheck]\nuse = egg:swift#healthcheck\n\n\
             [filter:proxy-logging]\nuse = egg:swift#proxy_logging\n\n\
             [filter:listing_formats]\nuse = egg:swift#listing_formats\n\n\
             [filter:bulk]\nuse = egg:swift#bulk\n\n\
             [filter:tempurl]\nuse = egg:swift#tempurl\n\n\
             [filter:copy]\nuse = egg:swift#copy\n\n\
             [filter:slo]\nuse = egg:swift#slo\n\n\
             [filter:dlo]\nuse = egg:swift#dlo\n\n\
             [filter:versioned_writes]\nuse = egg:swift#versioned_writes\n\n\
             [filter:symlink]\nuse = egg:swift#symlink\n",
            common = self.common(self.ports.swift_proxy),
            password = secrets.swift_password,
        )
    }

    /// Builds the account, container and object rings (one device each, at its server's
    /// port) unless rings for these ports exist: one Python process using Swift's own
    /// `RingBuilder`, as `swift-ring-builder create 8 1 1`, `add`, `rebalance` would (nine
    /// interpreter starts, seconds on two busy cores), writing the same builder and ring
    /// files.
    #[tracing::instrument(name = "swift_rings", skip_all)]
    pub async fn build_rings(&self) -> Result<()> {
        let etc = self.etc();
        let stamp_path = etc.join("rings.stamp");
        let specs: Vec<String> = SERVERS
            .iter()
            .map(|(kind, port)| format!("{kind}:{}", port(&self.ports)))
            .collect();
        let stamp = format!("{}\n", specs.join(" "));
        let rings_exist = SERVERS
            .iter()
            .all(|(kind, _)| etc.join(format!("{kind}.ring.gz")).exists());
        if rings_exist && std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
            return Ok(());
        }
        let began = std::time::Instant::now();
        let out = tokio::process::Command::new(self.venv.join("bin/python"))
            .arg("-c")
            .arg(RING_SCRIPT)
            .arg(&etc)
            .arg(DEVICE)
            .args(&specs)
            .current_dir(&etc)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|source| io_error("running Swift's RingBuilder".into(), source))?;
        let written = SERVERS
            .iter()
            .all(|(kind, _)| etc.join(format!("{kind}.ring.gz")).exists());
        if !out.status.success() || !written {
            return Err(ServicesError::Command {
                command: format!("python -c <RingBuilder> {}", specs.join(" ")),
                output: format!(
                    "{}: {}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            });
        }
        write_file(&stamp_path, stamp.as_bytes(), 0o644)?;
        tracing::info!(elapsed_ms = began.elapsed().as_millis() as u64, "rings built");
        Ok(())
    }

    /// The account, container and object servers and the proxy, each ready when its
    /// `/healthcheck` answers.
    pub fn daemons(&self) -> Vec<DaemonSpec> {
        let spec = |name: &str, program: &str, conf: &str, port: u16| DaemonSpec {
            name: name.into(),
            program: self.venv.join("bin").join(program),
            args: vec![self.etc().join(conf).display().to_string(), "-v".into()],
            env: vec![("PYTHONWARNINGS".into(), "ignore::DeprecationWarning".into())],
            cwd: self.dir.clone(),
            ready: Readiness::Http(format!("{}/healthcheck", local_url(port))),
        };
        let mut specs: Vec<DaemonSpec> = SERVERS
            .iter()
            .map(|(kind, port)| {
                spec(
                    &format!("swift-{kind}"),
                    &format!("swift-{kind}-server"),
                    &format!("{kind}-server.conf"),
                    port(&self.ports),
                )
            })
            .collect();
        specs.push(spec(
            "swift-proxy",
            "swift-proxy-server",
            "proxy-server.conf",
            self.ports.swift_proxy,
        ));
        specs
    }
}
