//! A server's private filesystem, prepared on the host before it boots, as the image and
//! cloud-init would leave it.
//!
//! Inside the server's mount namespace `/etc`, `/usr`, `/var` and `/opt` are overlays of
//! the host's (reads fall through, writes land in `fs/<dir>/upper` under the server's
//! state directory), and `/home`, `/root`, `/mnt` and `/tmp` are private directories
//! (`fs/<dir>`). Before boot the fabric writes into those upper layers what makes the
//! server itself: its users (a private `/etc/passwd`, `group`, `shadow`, `gshadow` with
//! the image's login user), its sudoers rule (`/etc/sudoers.d/90-cloud-init-users`, as
//! cloud-init writes it; the host's sudoers stay untouched), sshd's configuration and host
//! key, `/etc/hosts`, `/etc/hostname`, `/etc/resolv.conf`, the `lsblk` that lists its own
//! disks only, and the user data (`/var/lib/cloud/instance/`). A Spark server also gets
//! the upper layer of its `/opt/spark` (`fs/spark/`).

use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
use std::path::{Path, PathBuf};

use super::cmd::Cmd;
use super::state::io_error;
use super::{FabricError, Result, ServerSpec};

/// The host directories a server sees as overlays (writes stay private).
pub(crate) const OVERLAYS: &[&str] = &["etc", "usr", "var", "opt"];

/// The host directories a server gets empty private copies of.
pub(crate) const PRIVATE_DIRS: &[&str] = &["home", "root", "mnt", "tmp"];

/// The upper layer of `/opt/spark` in Spark servers is `fs/<SPARK_DIR>/upper`.
pub(crate) const SPARK_DIR: &str = "spark";

/// Where user data lives inside the server (cloud-init's layout).
pub(crate) const CLOUD_INSTANCE_DIR: &str = "lib/cloud/instance";

/// The server's user data script, inside the server.
pub(crate) const USER_DATA_SCRIPT: &str = "/var/lib/cloud/instance/scripts/part-001";

/// The file where the user data's exit status is written, inside the server.
pub(crate) const USER_DATA_EXIT: &str = "/var/lib/cloud/instance/user-data.exit";

/// The paths of one server's private filesystem on the host.
pub(crate) struct GuestFs {
    root: PathBuf,
}

impl GuestFs {
    /// The private filesystem under `server_dir/fs`.
    pub(crate) fn new(server_dir: &Path) -> GuestFs {
        GuestFs {
            root: server_dir.join("fs"),
        }
    }

    /// The upper (writable) layer of overlay `dir` (`etc`, `usr`, ...).
    pub(crate) fn upper(&self, dir: &str) -> PathBuf {
        self.root.join(dir).join("upper")
    }

    /// The overlay work directory of `dir`.
    pub(crate) fn work(&self, dir: &str) -> PathBuf {
        self.root.join(dir).join("work")
    }

    /// The private directory standing for `/<dir>`.
    pub(crate) fn private(&self, dir: &str) -> PathBuf {
        self.root.join(dir)
    }

    /// Where the server's `/etc/<name>` is on the host (before anything copied it up).
    pub(crate) fn etc_file(&self, name: &str) -> PathBuf {
        self.upper("etc").join(name)
    }

    /// Where the user data's exit status appears on the host.
    pub(crate) fn user_data_exit(&self) -> PathBuf {
        self.upper("var").join(CLOUD_INSTANCE_DIR).join("user-data.exit")
    }

    /// Writes everything the server needs before it boots; with `spark`, the private
    /// layer of its `/opt/spark` (with the `conf/` directory a Spark distribution has).
    pub(crate) fn prepare(&self, spec: &ServerSpec, spark: bool) -> Result<()> {
        for dir in OVERLAYS {
            mkdir(&self.upper(dir), 0o755)?;
            mkdir(&self.work(dir), 0o755)?;
        }
        if spark {
            mkdir(&self.upper(SPARK_DIR).join("conf"), 0o755)?;
            mkdir(&self.upper(SPARK_DIR), 0o755)?;
            mkdir(&self.work(SPARK_DIR), 0o755)?;
        }
        for dir in PRIVATE_DIRS {
            mkdir(&self.private(dir), 0o755)?;
        }
        set_mode(&self.private("tmp"), 0o1777)?;
        set_mode(&self.private("root"), 0o700)?;
        let user = self.users(&spec.login_user)?;
        self.home(&user, &spec.authorized_keys)?;
        self.sudoers(&spec.login_user)?;
        self.sshd(&spec.hostname)?;
        self.names(spec)?;
        let lsblk = self.upper_path("usr", "local/bin/lsblk")?;
        write(&lsblk, LSBLK.as_bytes(), 0o755)?;
        if let Some(data) = &spec.user_data {
            let saved = self.upper_path("var", &format!("{CLOUD_INSTANCE_DIR}/user-data.txt"))?;
            write(&saved, data, 0o600)?;
            if is_script(data) {
                let script = self.upper_path("var", &format!("{CLOUD_INSTANCE_DIR}/scripts/part-001"))?;
                write(&script, data, 0o700)?;
            }
        }
        Ok(())
    }

    /// The host path of `/<dir>/<rel>` in overlay `dir`'s upper layer, with its parent
    /// directories made there with the host's modes and owners (so the merged view keeps
    /// them).
    fn upper_path(&self, dir: &str, rel: &str) -> Result<PathBuf> {
        let upper = self.upper(dir);
        let lower = Path::new("/").join(dir);
        let rel = Path::new(rel);
        let mut upper_dir = upper.clone();
        let mut lower_dir = lower;
        if let Some(parent) = rel.parent() {
            for part in parent.components() {
                upper_dir.push(part);
                lower_dir.push(part);
                if !upper_dir.exists() {
                    match std::fs::metadata(&lower_dir) {
                        Ok(meta) if meta.is_dir() => {
                            mkdir(&upper_dir, meta.mode() & 0o7777)?;
                            chown(&upper_dir, Some(meta.uid()), Some(meta.gid()))
                                .map_err(|e| io_error(&upper_dir, e))?;
                        }
                        _ => mkdir(&upper_dir, 0o755)?,
                    }
                }
            }
        }
        Ok(upper.join(rel))
    }

    /// The private user database: the host's, with the login user added if the host has
    /// none, and its account unlocked (sshd without PAM refuses locked accounts).
    fn users(&self, login: &str) -> Result<Account> {
        let passwd = read_lines("/etc/passwd")?;
        let group = read_lines("/etc/group")?;
        let mut shadow = read_lines("/etc/shadow")?;
        let mut gshadow = read_lines("/etc/gshadow").unwrap_or_default();
        let mut passwd_out = passwd.clone();
        let mut group_out = group.clone();
        let account = match passwd
            .iter()
            .find_map(|l| Account::parse(l).filter(|a| a.name == login))
        {
            Some(account) => account,
            None => {
                let used_uids: Vec<u32> = passwd.iter().filter_map(|l| field(l, 2)?.parse().ok()).collect();
                let used_gids: Vec<u32> = group.iter().filter_map(|l| field(l, 2)?.parse().ok()).collect();
                let id = (1000..60000)
                    .find(|id| !used_uids.contains(id) && !used_gids.contains(id))
                    .ok_or_else(|| FabricError::Other("no free uid for the login user".into()))?;
                let account = Account {
                    name: login.to_owned(),
                    uid: id,
                    gid: id,
                    home: format!("/home/{login}"),
                };
                passwd_out.push(format!("{login}:x:{id}:{id}::{}:/bin/bash", account.home));
                group_out.push(format!("{login}:x:{id}:"));
                gshadow.push(format!("{login}:!::"));
                // cloud-init's default user is in these groups.
                for g in ["adm", "sudo"] {
                    if let Some(line) = group_out.iter_mut().find(|l| field(l, 0) == Some(g)) {
                        line.push_str(if line.ends_with(':') { "" } else { "," });
                        line.push_str(login);
                    }
                }
                account
            }
        };
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() / 86400)
            .unwrap_or(0);
        match shadow.iter_mut().find(|l| field(l, 0) == Some(login)) {
            Some(line) => {
                let mut fields: Vec<&str> = line.split(':').collect();
                if fields.len() > 1 && (fields[1].starts_with('!') || fields[1].is_empty()) {
                    fields[1] = "*";
                }
                *line = fields.join(":");
            }
            None => shadow.push(format!("{login}:*:{days}:0:99999:7:::")),
        }
        for (name, lines) in [
            ("passwd", passwd_out),
            ("group", group_out),
            ("shadow", shadow),
            ("gshadow", gshadow),
        ] {
            let host = Path::new("/etc").join(name);
            let meta = std::fs::metadata(&host).map_err(|e| io_error(&host, e))?;
            let copy = self.etc_file(name);
            write(&copy, (lines.join("\n") + "\n").as_bytes(), meta.mode() & 0o7777)?;
            chown(&copy, Some(meta.uid()), Some(meta.gid())).map_err(|e| io_error(&copy, e))?;
        }
        Ok(account)
    }

    /// The login user's private home with cloud-init's key injection; the host's
    /// `/etc/skel` files when the home is new.
    fn home(&self, account: &Account, keys: &[String]) -> Result<()> {
        let home = if account.uid == 0 {
            self.private("root")
        } else {
            let rel = account
                .home
                .strip_prefix("/home/")
                .filter(|r| !r.is_empty() && !r.contains(".."));
            let Some(rel) = rel else {
                return Err(FabricError::Other(format!(
                    "login user {}'s home {} is not under /home",
                    account.name, account.home
                )));
            };
            let home = self.private("home").join(rel);
            mkdir(&home, 0o755)?;
            if let Ok(skel) = std::fs::read_dir("/etc/skel") {
                for entry in skel.flatten() {
                    if entry.file_type().is_ok_and(|t| t.is_file()) {
                        let to = home.join(entry.file_name());
                        std::fs::copy(entry.path(), &to).map_err(|e| io_error(&to, e))?;
                        chown(&to, Some(account.uid), Some(account.gid)).map_err(|e| io_error(&to, e))?;
                    }
                }
            }
            home
        };
        chown(&home, Some(account.uid), Some(account.gid)).map_err(|e| io_error(&home, e))?;
        let ssh = home.join(".ssh");
        mkdir(&ssh, 0o700)?;
        chown(&ssh, Some(account.uid), Some(account.gid)).map_err(|e| io_error(&ssh, e))?;
        let mut text = String::new();
        for key in keys {
            text.push_str(key.trim());
            text.push('\n');
        }
        let file = ssh.join("authorized_keys");
        write(&file, text.as_bytes(), 0o600)?;
        chown(&file, Some(account.uid), Some(account.gid)).map_err(|e| io_error(&file, e))
    }

    fn sudoers(&self, login: &str) -> Result<()> {
        let file = self.upper_path("etc", "sudoers.d/90-cloud-init-users")?;
        let text = format!(
            "# Created by sahara-testcloud (as cloud-init does)\n\n# User rules for {login}\n{login} ALL=(ALL) NOPASSWD:ALL\n"
        );
        write(&file, text.as_bytes(), 0o440)
    }

    fn sshd(&self, hostname: &str) -> Result<()> {
        let key = self.upper_path("etc", "ssh/ssh_host_ed25519_key")?;
        Cmd::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", &format!("root@{hostname}"), "-f"])
            .args([&key])
            .run()?;
        write(&self.etc_file("ssh/sshd_config"), SSHD_CONFIG.as_bytes(), 0o644)
    }

    fn names(&self, spec: &ServerSpec) -> Result<()> {
        let own = spec
            .nics
            .first()
            .map(|n| n.ip.to_string())
            .unwrap_or_else(|| "127.0.1.1".into());
        let hosts = format!(
            "127.0.0.1 localhost\n{own} {}\n\n::1 localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n",
            spec.hostname
        );
        write(&self.etc_file("hosts"), hosts.as_bytes(), 0o644)?;
        write(
            &self.etc_file("hostname"),
            format!("{}\n", spec.hostname).as_bytes(),
            0o644,
        )?;
        // No DNS in the test cloud: names resolve through /etc/hosts.
        write(
            &self.etc_file("resolv.conf"),
            b"# sahara-testcloud: no DNS server\noptions timeout:1 attempts:1\n",
            0o644,
        )
    }
}

/// Whether user data is a script cloud-init would run (`#!...`).
pub(crate) fn is_script(data: &[u8]) -> bool {
    data.starts_with(b"#!")
}

/// A user of the server's user database.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Account {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

impl Account {
    fn parse(line: &str) -> Option<Account> {
        let f: Vec<&str> = line.split(':').collect();
        (f.len() >= 7).then_some(())?;
        Some(Account {
            name: f[0].into(),
            uid: f[2].parse().ok()?,
            gid: f[3].parse().ok()?,
            home: f[5].into(),
        })
    }
}

fn field(line: &str, n: usize) -> Option<&str> {
    line.split(':').nth(n)
}

fn read_lines(path: &str) -> Result<Vec<String>> {
    let text = std::fs::read_to_string(path).map_err(|e| io_error(Path::new(path), e))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect())
}

fn mkdir(path: &Path, mode: u32) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| io_error(path, e))?;
    set_mode(path, mode)
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| io_error(path, e))
}

fn write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| io_error(path, e))?;
    set_mode(path, mode)
}

/// Each server's sshd configuration (`/etc/ssh/sshd_config` inside it).
const SSHD_CONFIG: &str = "# sahara-testcloud server sshd
ListenAddress 0.0.0.0:22
HostKey /etc/ssh/ssh_host_ed25519_key
PidFile none
UsePAM no
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
AuthorizedKeysFile .ssh/authorized_keys
AllowTcpForwarding yes
PrintMotd no
PrintLastLog no
UseDNS no
MaxStartups 100:30:200
MaxSessions 100
Subsystem sftp internal-sftp
";

/// `lsblk` inside a server (first in `PATH`, sudo's `secure_path` included): the disks
/// attached to it (`/dev/vd*`), in lsblk's default and `-r` formats, and nothing of the
/// host's or other servers' block devices.
const LSBLK: &str = r#"#!/bin/sh
# lsblk of a sahara-testcloud server: the volumes attached to it (/dev/vd*), as lsblk
# prints them; the host's and other servers' block devices are not this server's.
raw=0 heading=1
for arg in "$@"; do
    case "$arg" in
        -r|--raw) raw=1 ;;
        -n|--noheadings) heading=0 ;;
        -rn|-nr) raw=1; heading=0 ;;
        -a|--all|-l|--list) ;;
        *) echo "lsblk: option '$arg' is not supported by this test cloud's lsblk" >&2; exit 1 ;;
    esac
done
for dev in /dev/vd[a-z] /dev/vd[a-z][a-z]; do
    [ -b "$dev" ] || continue
    majmin=$(stat -c '%Hr:%Lr' "$dev")
    sys=/sys/dev/block/$majmin
    { read -r sectors < "$sys/size"; } 2>/dev/null || sectors=0
    { read -r rm < "$sys/removable"; } 2>/dev/null || rm=0
    { read -r ro < "$sys/ro"; } 2>/dev/null || ro=0
    mnt=$(awk -v d="$majmin" '$3 == d { printf "%s%s", sep, $5; sep = "\\x0a" }' /proc/self/mountinfo)
    echo "${dev#/dev/} $majmin $rm $sectors $ro disk $mnt"
done | awk -v raw="$raw" -v heading="$heading" '
function human(bytes,   units, i) {
    units = "BKMGTPE"; i = 1
    while (bytes >= 1024 && i < 7) { bytes /= 1024; i++ }
    if (bytes == int(bytes)) return sprintf("%d%s", bytes, substr(units, i, 1))
    return sprintf("%.1f%s", bytes, substr(units, i, 1))
}
BEGIN {
    if (heading) {
        if (raw) print "NAME MAJ:MIN RM SIZE RO TYPE MOUNTPOINTS"
        else printf "%-4s %7s %2s %5s %2s %-4s %s\n", "NAME", "MAJ:MIN", "RM", "SIZE", "RO", "TYPE", "MOUNTPOINTS"
    }
}
{
    size = human($4 * 512)
    if (raw) printf "%s %s %s %s %s %s %s\n", $1, $2, $3, size, $5, $6, $7
    else printf "%-4s %7s %2s %5s %2s %-4s %s\n", $1, $2, $3, size, $5, $6, $7
}'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_parse() {
        let a = Account::parse("ubuntu:x:1001:1002::/home/ubuntu:/bin/bash").unwrap();
        assert_eq!((a.uid, a.gid, a.home.as_str()), (1001, 1002, "/home/ubuntu"));
        assert_eq!(Account::parse("broken"), None);
        assert!(is_script(b"#!/bin/bash\necho"));
        assert!(!is_script(b"#cloud-config\n"));
    }
}
