//! The Linux fabric on this host, driven through the `Fabric` trait and checked with the
//! real tools (`ssh`, `ip`, `losetup`): every access path of the engine (floating IP,
//! `ip netns exec qrouter-... nc`, jump host, fixed IP between servers), the servers'
//! privacy, user data, volumes, deletion and cleanup by prefix.
//!
//! Each test has its own cloud prefix, state directory and 10.x ranges that are not
//! routed on the host, and removes everything it made through a guard, even when it fails.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use sahara_testcloud::fabric::{
    ExternalNetwork, Fabric, FabricError, Gateway, LinuxFabric, Nic, RouterInterface, ServerSpec, Subnet, subnet_in_use,
};
use sahara_testcloud::naming::Prefix;

/// One test's cloud: the fabric, its temporary directory and client keys; dropping it
/// cleans the host up by prefix.
struct Cloud {
    fabric: LinuxFabric,
    prefix: Prefix,
    dir: tempfile::TempDir,
}

impl Drop for Cloud {
    fn drop(&mut self) {
        if let Err(e) = self.fabric.cleanup() {
            eprintln!("cleanup of {} failed: {e}", self.prefix);
        }
    }
}

impl Cloud {
    fn new() -> Cloud {
        let prefix = Prefix::random();
        let dir = tempfile::tempdir().unwrap();
        let fabric = LinuxFabric::new(prefix, dir.path().join("state")).unwrap();
        let cloud = Cloud { fabric, prefix, dir };
        for key in ["key", "key2", "wrong"] {
            let path = cloud.dir.path().join(key);
            run(Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-C", key, "-f"])
                .arg(&path));
        }
        let config = format!(
            "Host *\n  IdentityFile {}\n  IdentitiesOnly yes\n  BatchMode yes\n  StrictHostKeyChecking no\n  \
             UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  ConnectTimeout 5\n  ServerAliveInterval 5\n",
            cloud.key("key").display()
        );
        std::fs::write(cloud.dir.path().join("ssh_config"), config).unwrap();
        cloud
    }

    fn key(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn public_key(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.pub")))
            .unwrap()
            .trim()
            .to_owned()
    }

    /// `ssh -F <config> <options...> <target> <command>`.
    fn ssh(&self, options: &[&str], target: &str, command: &str) -> Output {
        Command::new("ssh")
            .arg("-F")
            .arg(self.dir.path().join("ssh_config"))
            .args(options)
            .arg(target)
            .arg(command)
            .output()
            .unwrap()
    }

    /// `ssh` offering only key `key` (the config file's key would be offered as well).
    fn ssh_with_key(&self, key: &str, options: &[&str], target: &str, command: &str) -> Output {
        Command::new("ssh")
            .args(["-F", "/dev/null", "-i"])
            .arg(self.key(key))
            .args(options)
            .args([
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                "StrictHostKeyChecking=no",
            ])
            .args([
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                "-o",
                "ConnectTimeout=5",
            ])
            .arg(target)
            .arg(command)
            .output()
            .unwrap()
    }

    /// Runs `command` over SSH and returns its standard output, failing the test otherwise.
    fn ssh_ok(&self, options: &[&str], target: &str, command: &str) -> String {
        let out = self.ssh(options, target, command);
        assert!(
            out.status.success(),
            "ssh {target} {command:?}: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A /24 in 10.0.0.0/8 that nothing on the host routes.
    fn free_subnet(&self) -> Subnet {
        loop {
            let bytes = *uuid::Uuid::new_v4().as_bytes();
            let subnet = Subnet {
                network: Ipv4Addr::new(10, 100 + bytes[0] % 150, bytes[1], 0),
                prefix_len: 24,
            };
            if subnet_in_use(&subnet).unwrap().is_none() {
                return subnet;
            }
        }
    }

    /// External network, router with gateway (SNAT on), tenant network on the router.
    fn topology(&self) -> Topology {
        let (ext_net, router, tenant_net) = (self.prefix.mint_id(), self.prefix.mint_id(), self.prefix.mint_id());
        let ext = loop {
            let subnet = self.free_subnet();
            let net = ExternalNetwork {
                network_id: ext_net.clone(),
                subnet,
                host_ip: host(subnet, 1),
            };
            match self.fabric.create_external_network(&net) {
                Ok(()) => break net,
                Err(FabricError::InUse(_)) => continue,
                Err(e) => panic!("external network: {e}"),
            }
        };
        let tenant = self.free_subnet();
        self.fabric.create_network(&tenant_net).unwrap();
        self.fabric.create_router(&router).unwrap();
        let gateway = Gateway {
            network_id: ext_net.clone(),
            ip: host(ext.subnet, 2),
            prefix_len: 24,
            next_hop: ext.host_ip,
            enable_snat: true,
        };
        self.fabric.set_router_gateway(&router, Some(&gateway)).unwrap();
        let interface = RouterInterface {
            port_id: self.prefix.mint_id(),
            network_id: tenant_net.clone(),
            ip: host(tenant, 1),
            subnet: tenant,
        };
        self.fabric.add_router_interface(&router, &interface).unwrap();
        Topology {
            ext,
            router,
            tenant_net,
            tenant,
            router_port: interface.port_id,
        }
    }

    /// Boots server `n` (fixed IP .10+n) on the tenant network, logging in as `user`
    /// with the test's key; returns its spec.
    fn boot(&self, topo: &Topology, n: u8, user: &str, user_data: Option<&str>) -> ServerSpec {
        let spec = ServerSpec {
            server_id: self.prefix.mint_id(),
            hostname: format!("node-{}-{n}", self.prefix),
            nics: vec![Nic {
                port_id: self.prefix.mint_id(),
                network_id: topo.tenant_net.clone(),
                mac: format!("fa:16:3e:00:00:{n:02x}"),
                ip: host(topo.tenant, 10 + n),
                subnet: topo.tenant,
                gateway: Some(host(topo.tenant, 1)),
            }],
            login_user: user.to_owned(),
            authorized_keys: vec![self.public_key("key")],
            user_data: user_data.map(|s| s.as_bytes().to_vec()),
            spark: false,
        };
        self.fabric.boot_server(&spec).unwrap();
        spec
    }

    /// Gives server `spec` the floating IP .100+n of the external network.
    fn float(&self, topo: &Topology, spec: &ServerSpec, n: u8) -> Ipv4Addr {
        let fip = host(topo.ext.subnet, 100 + n);
        self.fabric
            .associate_floating_ip(&topo.router, fip, spec.nics[0].ip)
            .unwrap();
        fip
    }

    /// The ProxyCommand of Sahara's `use_namespaces` path.
    fn netns_proxy(&self, topo: &Topology) -> String {
        format!("ProxyCommand=ip netns exec qrouter-{} nc %h %p", topo.router)
    }

    /// Everything of this cloud the host still shows, by prefix.
    fn leftovers(&self) -> Vec<String> {
        let p = self.prefix.to_string();
        let mut left = Vec::new();
        for (what, args) in [("netns", &["netns", "list"][..]), ("link", &["-o", "link", "show"][..])] {
            let out = run(Command::new("ip").args(args));
            left.extend(out.lines().filter(|l| l.contains(&p)).map(|l| format!("{what}: {l}")));
        }
        let loops = run(Command::new("losetup").arg("-a"));
        left.extend(loops.lines().filter(|l| l.contains(&p)).map(|l| format!("loop: {l}")));
        if let Ok(entries) = std::fs::read_dir("/etc/netns") {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains(&p) {
                    left.push(format!("/etc/netns/{}", e.file_name().to_string_lossy()));
                }
            }
        }
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&p) {
                left.push(format!("process {}: {cmdline}", entry.file_name().to_string_lossy()));
            }
        }
        left
    }
}

/// A test's networks.
struct Topology {
    ext: ExternalNetwork,
    router: String,
    tenant_net: String,
    tenant: Subnet,
    router_port: String,
}

fn host(subnet: Subnet, n: u8) -> Ipv4Addr {
    let [a, b, c, _] = subnet.network.octets();
    Ipv4Addr::new(a, b, c, n)
}

fn run(command: &mut Command) -> String {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Polls `f` until it gives `Some`, for at most `timeout`.
fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_access_path_reaches_the_servers_and_fixed_ips_stay_private() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let s1 = cloud.boot(&topo, 1, "ubuntu", None);
    let s2 = cloud.boot(&topo, 2, "ubuntu", None);
    let fip = cloud.float(&topo, &s1, 1);
    let (fixed1, fixed2) = (s1.nics[0].ip.to_string(), s2.nics[0].ip.to_string());

    // Floating IP from the host; the server answers with its own hostname and address.
    let started = Instant::now();
    let out = cloud.ssh_ok(
        &[],
        &format!("ubuntu@{fip}"),
        "hostname; ip -4 -o addr show eth0; id -un",
    );
    eprintln!("ssh exec over the floating IP: {:?}", started.elapsed());
    assert!(out.starts_with(&format!("{}\n", s1.hostname)), "{out}");
    assert!(out.contains(&format!("inet {fixed1}/24")), "{out}");
    assert!(out.trim_end().ends_with("ubuntu"), "{out}");

    // The host has no route to the tenant network: fixed IPs are not on any of our links.
    let route = run(Command::new("ip").args(["-4", "route", "get", &fixed1]));
    assert!(
        !route.contains(&cloud.prefix.to_string()),
        "host routes {fixed1} through the cloud: {route}"
    );
    let bridge_route = run(Command::new("ip").args(["-4", "route", "show", "match", &fixed1]));
    assert!(
        !bridge_route.lines().any(|l| !l.starts_with("default")),
        "{bridge_route}"
    );

    // Sahara's use_namespaces path: ip netns exec qrouter-<id> nc.
    let proxy = cloud.netns_proxy(&topo);
    let out = cloud.ssh_ok(&["-o", &proxy], &format!("ubuntu@{fixed2}"), "hostname");
    assert_eq!(out.trim(), s2.hostname);

    // A jump host (Sahara's proxy gateway): -J via server 1's floating IP.
    let out = cloud.ssh_ok(
        &["-J", &format!("ubuntu@{fip}")],
        &format!("ubuntu@{fixed2}"),
        "hostname",
    );
    assert_eq!(out.trim(), s2.hostname);

    // A server without a floating IP reaches the host's address on the external network
    // (where Heat's wait-condition URL points), source-NATed to the router's gateway.
    let listener = std::net::TcpListener::bind((topo.ext.host_ip, 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    let accept = std::thread::spawn(move || {
        let (mut conn, peer) = listener.accept().unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut conn, &mut text).unwrap();
        (peer.ip(), text)
    });
    let signal = format!(
        "echo signal-from-{} | nc -N -w 3 {} {port}",
        s2.hostname, topo.ext.host_ip
    );
    cloud.ssh_ok(&["-o", &proxy], &format!("ubuntu@{fixed2}"), &signal);
    let (peer, text) = accept.join().unwrap();
    assert_eq!(text.trim(), format!("signal-from-{}", s2.hostname));
    assert_eq!(peer, host(topo.ext.subnet, 2), "SNAT to the router's gateway address");

    // Server 1 reaches server 2 by its fixed IP.
    let out = cloud.ssh_ok(
        &[],
        &format!("ubuntu@{fip}"),
        &format!("nc -z -w 3 {fixed2} 22 && echo open"),
    );
    assert_eq!(out.trim(), "open");

    // Only the injected key is accepted.
    let out = cloud.ssh_with_key("wrong", &[], &format!("ubuntu@{fip}"), "true");
    assert_eq!(out.status.code(), Some(255), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Permission denied"));
    let out = cloud.ssh(&[], &format!("root@{fip}"), "true");
    assert_eq!(out.status.code(), Some(255), "root has no key on an ubuntu image");

    // Disassociated, the floating IP leads nowhere.
    cloud
        .fabric
        .disassociate_floating_ip(&topo.router, fip, s1.nics[0].ip)
        .unwrap();
    let out = cloud.ssh(&["-o", "ConnectTimeout=1"], &format!("ubuntu@{fip}"), "true");
    assert_eq!(out.status.code(), Some(255));
}

#[test]
fn what_is_written_over_ssh_stays_in_the_server() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let s1 = cloud.boot(&topo, 1, "ubuntu", None);
    let s2 = cloud.boot(&topo, 2, "ubuntu", None);
    let fip = cloud.float(&topo, &s1, 1);
    let marker = format!("marker-{}", cloud.prefix);
    let host_sudoers = std::fs::read("/etc/sudoers").unwrap();
    let host_hosts = std::fs::read("/etc/hosts").unwrap();

    // As Sahara does: write a file, `sudo mv` it over /etc/hosts; edit /etc/sudoers.
    let script = format!(
        "set -e; printf '127.0.0.1 localhost\\n{ip} {name} {marker}\\n' > etc-hosts; sudo mv etc-hosts /etc/hosts; \
         echo {marker} > /tmp/{marker}; echo {marker} | sudo tee /root/{marker} /opt/{marker} /var/lib/{marker} >/dev/null; \
         sudo sed -i 's/^Defaults.*env_reset/# {marker} &/' /etc/sudoers; sudo -n id -u; getent hosts {marker}; \
         cat /tmp/{marker}; ls -ld /tmp | cut -c1-10",
        ip = s1.nics[0].ip,
        name = s1.hostname
    );
    let out = cloud.ssh_ok(&[], &format!("ubuntu@{fip}"), &script);
    assert_eq!(
        out.split_whitespace().collect::<Vec<_>>(),
        [
            "0",
            &s1.nics[0].ip.to_string(),
            &s1.hostname,
            &marker,
            &marker,
            "drwxrwxrwt"
        ],
        "{out}"
    );

    // The host saw none of it...
    assert_eq!(std::fs::read("/etc/sudoers").unwrap(), host_sudoers);
    assert_eq!(std::fs::read("/etc/hosts").unwrap(), host_hosts);
    for path in ["/tmp", "/root", "/opt", "/var/lib"] {
        assert!(
            !Path::new(path).join(&marker).exists(),
            "{path}/{marker} leaked to the host"
        );
    }
    // ...except through /etc/netns/<ns>/hosts, which shows the server's own file.
    let netns_hosts = std::fs::read_to_string(format!("/etc/netns/inst-{}/hosts", s1.server_id)).unwrap();
    assert!(netns_hosts.contains(&marker), "{netns_hosts}");

    // Nor did server 2.
    let proxy = cloud.netns_proxy(&topo);
    let check = format!(
        "ls /tmp/{marker} /opt/{marker} 2>/dev/null; sudo ls /root/{marker} 2>/dev/null; sudo grep -c {marker} /etc/hosts /etc/sudoers; hostname"
    );
    let out = cloud.ssh(&["-o", &proxy], &format!("ubuntu@{}", s2.nics[0].ip), &check);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.split_whitespace().collect::<Vec<_>>(),
        ["/etc/hosts:0", "/etc/sudoers:0", &s2.hostname],
        "{stdout}"
    );

    // A pty session gets its own devpts and sudo (with use_pty) works in it.
    let out = cloud.ssh_ok(&["-tt"], &format!("ubuntu@{fip}"), "tty; sudo -n tty; ls /dev/pts");
    assert!(out.starts_with("/dev/pts/0\r\n/dev/pts/1\r\n"), "{out:?}");
    assert!(out.contains("ptmx"), "{out}");
}

#[test]
fn user_data_runs_as_root_once_sshd_is_up() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let key2 = cloud.public_key("key2");
    let user_data = format!(
        "#!/bin/bash\necho \"user data on $(hostname) as $(id -un)\"\n\
         echo \"{key2}\" >> /home/ubuntu/.ssh/authorized_keys\n\
         sed '/^Defaults    requiretty/ s/^/#/' -i /etc/sudoers\n\
         echo done > /root/user-data-done\nexit 3\n"
    );
    let s1 = cloud.boot(&topo, 1, "ubuntu", Some(&user_data));
    let s2 = cloud.boot(&topo, 2, "ubuntu", Some("#cloud-config\npackages: []\n"));
    let fip = cloud.float(&topo, &s1, 1);

    let status = wait_for(Duration::from_secs(10), "user data", || {
        let status = cloud.fabric.server_status(&s1.server_id).unwrap();
        status.user_data_exit.map(|_| status)
    });
    assert!(status.running);
    assert_eq!(status.user_data_exit, Some(3));
    let console = std::fs::read_to_string(&status.console_log).unwrap();
    assert!(
        console.contains(&format!("user data on {} as root", s1.hostname)),
        "{console}"
    );

    // The key it added works, and what it wrote is root's, inside the server.
    let out = cloud.ssh_with_key("key2", &[], &format!("ubuntu@{fip}"), "sudo cat /root/user-data-done");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "done");
    // Before the user data ran, that key was refused.
    let proxy = cloud.netns_proxy(&topo);
    let refused = cloud.ssh_with_key("key2", &["-o", &proxy], &format!("ubuntu@{}", s2.nics[0].ip), "true");
    assert_eq!(refused.status.code(), Some(255));
    assert!(!Path::new("/root/user-data-done").exists());

    // Other user data is saved where cloud-init keeps it, not run.
    let status2 = cloud.fabric.server_status(&s2.server_id).unwrap();
    assert_eq!(status2.user_data_exit, None);
    let out = cloud.ssh_ok(
        &["-o", &proxy],
        &format!("ubuntu@{}", s2.nics[0].ip),
        "sudo cat /var/lib/cloud/instance/user-data.txt",
    );
    assert_eq!(out, "#cloud-config\npackages: []\n");
}

#[test]
fn an_attached_volume_is_that_servers_disk_only() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let s1 = cloud.boot(&topo, 1, "ubuntu", None);
    let s2 = cloud.boot(&topo, 2, "ubuntu", None);
    let fip = cloud.float(&topo, &s1, 1);
    let volume = cloud.prefix.mint_id();
    cloud.fabric.create_volume(&volume, 1).unwrap();
    let loop_device = run(Command::new("losetup")
        .args(["-j"])
        .arg(cloud.fabric.state_dir().join(format!("volumes/{volume}.img"))));
    assert!(loop_device.starts_with("/dev/loop"), "{loop_device}");
    cloud.fabric.attach_volume(&s1.server_id, &volume, "/dev/vdb").unwrap();
    assert!(matches!(
        cloud.fabric.delete_volume(&volume),
        Err(FabricError::InUse(_))
    ));

    let out = cloud.ssh_ok(&[], &format!("ubuntu@{fip}"), "lsblk -r");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], "NAME MAJ:MIN RM SIZE RO TYPE MOUNTPOINTS");
    assert!(
        lines[1].starts_with("vdb 7:") && lines[1].ends_with(" 0 1G 0 disk "),
        "{out}"
    );

    // Sahara's discovery and formatting, as root through sudo.
    let discover = r#"sudo bash -c "lsblk -r | awk '\$6 ~ /disk/ || /part/ {print \"/dev/\" \$1}'""#;
    assert_eq!(cloud.ssh_ok(&[], &format!("ubuntu@{fip}"), discover).trim(), "/dev/vdb");
    let out = cloud.ssh_ok(
        &[],
        &format!("ubuntu@{fip}"),
        "set -e; sudo mkfs.ext4 -q -F /dev/vdb && sudo mkdir -p /mnt/v && sudo mount /dev/vdb /mnt/v && \
         echo x | sudo tee /mnt/v/f; lsblk -r | tail -1; mount | awk '$1 == \"/dev/vdb\" {print $1, $3}'",
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "x", "{out}");
    assert!(
        lines[1].starts_with("vdb 7:") && lines[1].ends_with(" 0 1G 0 disk /mnt/v"),
        "{out}"
    );
    assert_eq!(lines[2], "/dev/vdb /mnt/v", "{out}");

    // Neither the host nor the other server sees the disk or the mount.
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    assert!(!mounts.contains("/mnt/v") && !mounts.contains("vdb"), "{mounts}");
    assert!(!Path::new("/dev/vdb").exists());
    let out = cloud.ssh_ok(
        &["-o", &cloud.netns_proxy(&topo)],
        &format!("ubuntu@{}", s2.nics[0].ip),
        "lsblk -r; ls /dev/vd* 2>&1 || true",
    );
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(out.contains("No such file"), "{out}");

    // Detach: the disk and its mount leave the server; then the volume goes.
    cloud.fabric.detach_volume(&s1.server_id, &volume).unwrap();
    let out = cloud.ssh_ok(
        &[],
        &format!("ubuntu@{fip}"),
        "lsblk -r | wc -l; grep -c /mnt/v /proc/mounts || true",
    );
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["1", "0"], "{out}");
    cloud.fabric.delete_volume(&volume).unwrap();
    let loops = run(Command::new("losetup").arg("-a"));
    assert!(!loops.contains(&volume), "{loops}");
    assert!(!cloud.fabric.state_dir().join(format!("volumes/{volume}.img")).exists());
    cloud.fabric.delete_volume(&volume).unwrap();
}

#[test]
fn deleting_servers_routers_and_networks_leaves_nothing() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let s1 = cloud.boot(&topo, 1, "root", None);
    let fip = cloud.float(&topo, &s1, 1);
    // Root as the image's login user; a daemon started over SSH lives in the server.
    let out = cloud.ssh_ok(
        &[],
        &format!("root@{fip}"),
        "id -u; setsid nohup sleep 600 >/dev/null 2>&1 < /dev/null & sleep 0.2; pgrep -c sleep",
    );
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["0", "1"], "{out}");
    let ns = format!("inst-{}", s1.server_id);
    let pids = run(Command::new("ip").args(["netns", "pids", &ns]));
    assert!(pids.lines().count() >= 3, "{pids}");

    // Deleted by another fabric over the same state directory (a restarted simulator).
    let reopened = LinuxFabric::new(cloud.prefix, cloud.fabric.state_dir()).unwrap();
    reopened.delete_server(&s1.server_id).unwrap();
    assert!(!run(Command::new("ip").args(["netns", "list"])).contains(&ns));
    for pid in pids.lines() {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.contains(") Z"),
            "process {pid} survived: {stat}"
        );
    }
    assert!(!Path::new("/etc/netns").join(&ns).exists());
    assert!(!cloud.fabric.state_dir().join("servers").join(&s1.server_id).exists());
    assert!(matches!(
        cloud.fabric.server_status(&s1.server_id),
        Err(FabricError::NotFound { .. })
    ));
    cloud.fabric.delete_server(&s1.server_id).unwrap();

    // A routed subnet is refused for another external network.
    let taken = ExternalNetwork {
        network_id: cloud.prefix.mint_id(),
        subnet: topo.ext.subnet,
        host_ip: host(topo.ext.subnet, 3),
    };
    assert!(matches!(
        cloud.fabric.create_external_network(&taken),
        Err(FabricError::InUse(_))
    ));

    // The router's legs go one by one, then the router.
    let links = || run(Command::new("ip").args(["-o", "link", "show"]));
    let p = cloud.prefix.to_string();
    let count = |kind: &str| links().lines().filter(|l| l.contains(&format!(": {kind}{p}"))).count();
    assert_eq!((count("qgh"), count("qrb")), (1, 1));
    cloud
        .fabric
        .remove_router_interface(&topo.router, &topo.router_port)
        .unwrap();
    cloud.fabric.set_router_gateway(&topo.router, None).unwrap();
    assert_eq!((count("qgh"), count("qrb")), (0, 0));
    cloud.fabric.delete_router(&topo.router).unwrap();
    cloud.fabric.delete_router(&topo.router).unwrap();
    cloud.fabric.delete_network(&topo.tenant_net).unwrap();
    cloud.fabric.delete_network(&topo.ext.network_id).unwrap();
    assert_eq!(cloud.leftovers(), Vec::<String>::new());
    assert_eq!(subnet_in_use(&topo.ext.subnet).unwrap(), None);
}

#[test]
fn cleanup_by_prefix_removes_an_abandoned_cloud() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let s1 = cloud.boot(&topo, 1, "ubuntu", Some("#!/bin/sh\nsleep 600\n"));
    let fip = cloud.float(&topo, &s1, 1);
    let volume = cloud.prefix.mint_id();
    cloud.fabric.create_volume(&volume, 1).unwrap();
    cloud.fabric.attach_volume(&s1.server_id, &volume, "/dev/vdb").unwrap();
    cloud.ssh_ok(
        &[],
        &format!("ubuntu@{fip}"),
        "sudo mkfs.ext4 -q -F /dev/vdb && sudo mkdir /mnt/v && sudo mount /dev/vdb /mnt/v && \
         (setsid nohup sleep 600 >/dev/null 2>&1 < /dev/null &)",
    );
    assert!(!cloud.leftovers().is_empty());

    // Abandoned: the state directory goes too; a new fabric knows only the prefix.
    let state = cloud.fabric.state_dir().to_owned();
    std::fs::remove_dir_all(&state).unwrap();
    let fresh = LinuxFabric::new(cloud.prefix, cloud.dir.path().join("fresh")).unwrap();
    let started = Instant::now();
    let report = fresh.cleanup().unwrap();
    eprintln!("cleanup of an abandoned cloud: {:?}, {report:?}", started.elapsed());
    assert_eq!(report.namespaces.len(), 2, "{report:?}");
    assert_eq!(report.loop_devices.len(), 1, "{report:?}");
    assert!(report.processes.len() >= 3, "{report:?}");
    // The veths went with their namespaces; the bridges are left to delete.
    assert_eq!(
        report.links.iter().filter(|l| l.starts_with("br")).count(),
        2,
        "{report:?}"
    );
    assert_eq!(cloud.leftovers(), Vec::<String>::new());
    assert_eq!(fresh.cleanup().unwrap(), Default::default());
}

#[test]
fn ten_servers_boot_answer_and_clean_up() {
    let cloud = Cloud::new();
    let topo = cloud.topology();
    let started = Instant::now();
    let specs: Vec<ServerSpec> = std::thread::scope(|scope| {
        let handles: Vec<_> = (1..=10)
            .map(|n| {
                let (cloud, topo) = (&cloud, &topo);
                scope.spawn(move || {
                    let t = Instant::now();
                    let spec = cloud.boot(topo, n, "ubuntu", None);
                    (spec, t.elapsed())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                let (spec, took) = h.join().unwrap();
                eprintln!("boot {}: {took:?}", spec.hostname);
                spec
            })
            .collect()
    });
    eprintln!("10 servers booted in parallel: {:?}", started.elapsed());

    let proxy = cloud.netns_proxy(&topo);
    let started = Instant::now();
    for spec in &specs {
        let out = cloud.ssh_ok(&["-o", &proxy], &format!("ubuntu@{}", spec.nics[0].ip), "hostname");
        assert_eq!(out.trim(), spec.hostname);
    }
    eprintln!(
        "10 sequential ssh execs through the router namespace: {:?}",
        started.elapsed()
    );

    let mut rss = 0;
    let mut pss = 0;
    for spec in &specs {
        let pid = cloud.fabric.server_pid(&spec.server_id).unwrap();
        let ns = format!("inst-{}", spec.server_id);
        for pid in run(Command::new("ip").args(["netns", "pids", &ns])).lines() {
            let rollup = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
            for line in rollup.lines() {
                let kb = |l: &str| {
                    l.split_whitespace()
                        .nth(1)
                        .and_then(|v| v.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                if line.starts_with("Rss:") {
                    rss += kb(line);
                } else if line.starts_with("Pss:") {
                    pss += kb(line);
                }
            }
        }
        assert!(pid > 0);
    }
    eprintln!(
        "per server (all its processes): RSS {} kB, PSS {} kB",
        rss / 10,
        pss / 10
    );

    let started = Instant::now();
    let report = cloud.fabric.cleanup().unwrap();
    eprintln!("cleanup of 10 servers and their router: {:?}", started.elapsed());
    assert_eq!(report.namespaces.len(), 11, "{report:?}");
    assert_eq!(cloud.leftovers(), Vec::<String>::new());
}
