//! The operations of an SSH connection against a real sshd instance (run as root):
//! commands as the login user and as root, output and errors, SFTP files as both, `sed`
//! replacements, the distribution probe, timeouts and the concurrency limits.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use common::{LOGIN, Lab};
use sahara_remote::{InstanceAccess, Remote, RemoteError, RemoteSettings, SshConnection};

/// A lab with one instance reached directly, and its access.
fn one_instance() -> Result<(Lab, common::Instance, InstanceAccess)> {
    let mut lab = Lab::new()?;
    let a = lab.instance("a")?;
    let (_, ip) = lab.link_root(&a.ns)?;
    let access = lab.access(lab.node(&a, ip), None);
    Ok((lab, a, access))
}

async fn connect(remote: &Remote, access: &InstanceAccess) -> sahara_remote::Result<SshConnection> {
    remote.connect(access, &remote.cluster_operation()).await
}

#[tokio::test]
async fn commands() -> Result<()> {
    let (lab, a, access) = one_instance()?;
    let remote = Remote::new(RemoteSettings::default());
    let ssh = connect(&remote, &access).await?;

    // stdout and stderr apart, the exit code, no raise.
    let out = ssh
        .execute_command("echo out; echo err >&2; exit 3", false, false, None)
        .await?;
    ensure!(
        (out.exit_code, out.stdout.as_str(), out.stderr.as_str()) == (3, "out\n", "err\n"),
        "{out:?}"
    );

    // Raised: Sahara's RemoteCommandException, with the command as given.
    let err = ssh
        .execute_command("echo out; echo err >&2; exit 3", true, true, None)
        .await
        .unwrap_err();
    match &err {
        RemoteError::RemoteCommand {
            cmd,
            ret_code,
            stdout,
            stderr,
        } => ensure!(
            (cmd.as_str(), *ret_code, stdout.as_str(), stderr.as_str())
                == ("echo out; echo err >&2; exit 3", 3, "out\n", "err\n")
        ),
        other => anyhow::bail!("{other:?}"),
    }
    ensure!(
        err.to_string()
            .contains("Return code: 3\nSTDERR:\nerr\n\nSTDOUT:\nout\n"),
        "{err}"
    );
    ensure!(!format!("{err:?}{err}").contains("PRIVATE KEY"));

    // As root: `sudo bash -c "..."` with quotes, backslashes and backquotes intact.
    let out = ssh
        .execute_command(
            r#"printf '%s|%s\n' "it's \"q\"" 'a\b' && echo `id -u`"#,
            true,
            true,
            None,
        )
        .await?;
    ensure!(out.stdout == "it's \"q\"|a\\b\n0\n", "{out:?}");
    let out = ssh.execute_command("id -un", false, true, None).await?;
    ensure!(out.stdout.trim() == LOGIN);

    // Lots of stderr while stdout stays open does not stall the command.
    let out = ssh
        .execute_command(
            "head -c 3000000 /dev/zero | tr '\\0' e >&2; echo done",
            false,
            true,
            None,
        )
        .await?;
    ensure!(out.stdout == "done\n" && out.stderr.len() == 3_000_000);

    // Sahara's distribution probe (the instances share the host's /etc/os-release).
    let host_id = std::fs::read_to_string("/etc/os-release")?
        .lines()
        .find_map(|l| l.strip_prefix("ID=").map(|v| v.trim_matches('"').to_lowercase()))
        .unwrap_or_default();
    ensure!(ssh.get_os_distrib(None).await? == host_id);
    ssh.close().await;
    drop((lab, a));
    Ok(())
}

#[tokio::test]
async fn files() -> Result<()> {
    let (lab, a, access) = one_instance()?;
    let remote = Remote::new(RemoteSettings::default());
    let ssh = connect(&remote, &access).await?;
    let home = a.dir.join("home");
    // `rootonly/` is root's (0700): only root writes there.
    let rootonly = a.dir.join("rootonly");
    let conf = rootonly.join("app.conf");
    let conf_path = conf.to_str().unwrap().to_owned();

    // As the login user, relative paths are in the home.
    ssh.write_file_to("plain.txt", "one\n", false, None).await?;
    ssh.append_to_file("plain.txt", "two\n", false, None).await?;
    ensure!(std::fs::read_to_string(home.join("plain.txt"))? == "one\ntwo\n");
    ensure!(ssh.read_file_from("plain.txt", false, None).await? == b"one\ntwo\n");
    let err = ssh.write_file_to(&conf_path, "x", false, None).await.unwrap_err();
    ensure!(matches!(err, RemoteError::Ssh { op: "sftp write", .. }), "{err:?}");

    // As root: temp file + sudo mv; append with cat >>; read through a copy.
    let binary: Vec<u8> = (0u8..=255).collect();
    ssh.write_file_to(&conf_path, "port=1\nhost=it's here\nits\n", true, None)
        .await?;
    ssh.append_to_file(&conf_path, "tail=yes\n", true, None).await?;
    // (`sudo mv` keeps the temporary file's owner, the login user, as in Sahara.)
    ssh.write_files_to(
        vec![
            (format!("{}/bin", rootonly.display()), binary.clone()),
            ("mine.txt".into(), b"mine".to_vec()),
        ],
        true,
        None,
    )
    .await?;
    ensure!(std::fs::read(rootonly.join("bin"))? == binary);
    ensure!(std::fs::read(home.join("mine.txt"))? == b"mine");
    ssh.append_to_files(vec![("mine.txt".into(), b"+more".to_vec())], false, None)
        .await?;
    ensure!(std::fs::read(home.join("mine.txt"))? == b"mine+more");
    // Even a root-only (0600) file reads back as root; not as the user.
    std::fs::set_permissions(&conf, std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    ensure!(ssh.read_file_from(&conf_path, true, None).await? == b"port=1\nhost=it's here\nits\ntail=yes\n");
    ensure!(ssh.read_file_from(&conf_path, false, None).await.is_err());

    // sed as Sahara: quotes in the pattern are doubled, which the shell drops ("it's"
    // matches "its").
    ssh.replace_remote_string(&conf_path, "port=1", "port=2", None).await?;
    ssh.replace_remote_string(&conf_path, "it's", "IT", None).await?;
    ssh.replace_remote_line(&conf_path, "tail", "tail=no", None).await?;
    ensure!(std::fs::read_to_string(&conf)? == "port=2\nhost=it's here\nIT\ntail=no\n");
    let err = ssh
        .replace_remote_string(&format!("{}/missing", rootonly.display()), "a", "b", None)
        .await
        .unwrap_err();
    ensure!(matches!(err, RemoteError::RemoteCommand { ret_code: 2, .. }), "{err:?}");

    // No temporary file is left behind.
    let left: Vec<String> = std::fs::read_dir(&home)?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("temp-file-"))
        .collect();
    ensure!(left.is_empty(), "{left:?}");
    ssh.close().await;
    drop(lab);
    Ok(())
}

#[tokio::test]
async fn errors_and_timeouts() -> Result<()> {
    let (lab, a, access) = one_instance()?;
    let remote = Remote::new(RemoteSettings {
        ssh_timeout_common: Duration::from_secs(20),
        ..Default::default()
    });

    // A user the instance does not know: authentication fails, and no key shows.
    let mut stranger = access.clone();
    stranger.instance.username = "nobody-here".into();
    let err = connect(&remote, &stranger).await.unwrap_err();
    ensure!(
        matches!(
            err,
            RemoteError::Ssh {
                op: "authentication",
                ..
            }
        ),
        "{err:?}"
    );
    let shown = format!("{err} {err:?} {stranger:?}");
    ensure!(
        !shown.contains("PRIVATE KEY") && !shown.contains(lab.key.lines().nth(1).unwrap()),
        "{shown}"
    );

    // An operation past its timeout fails with Sahara's message and closes the connection.
    let ssh = connect(&remote, &access).await?;
    let start = Instant::now();
    let err = ssh
        .execute_command("sleep 30", false, true, Some(Duration::from_millis(500)))
        .await
        .unwrap_err();
    ensure!(start.elapsed() < Duration::from_secs(10));
    ensure!(
        err.to_string() == "'Operation with name 'Executing \"sleep 30\"'' timed out after 0 second(s)"
            && err.code() == "TIMEOUT",
        "{err}"
    );
    let after = ssh.execute_command("true", false, true, None).await.unwrap_err();
    ensure!(matches!(after, RemoteError::Closed { .. }), "{after:?}");
    ssh.close().await;

    // Connecting past ssh_timeout_common: a proxy command that never answers.
    // (`sleep` is sh's child, with an argument that tells it from any other sleep.)
    let marker = format!("30.{}", std::process::id());
    let slow = Remote::new(RemoteSettings {
        proxy_command: format!("sh -c 'sleep {marker}; true' {{host}} {{port}}"),
        ssh_timeout_common: Duration::from_millis(500),
        ..Default::default()
    });
    let err = connect(&slow, &access).await.unwrap_err();
    ensure!(matches!(err, RemoteError::Timeout { .. }), "{err:?}");
    // ... and its process is ended (as the connection's thread cleans up).
    let deadline = Instant::now() + Duration::from_secs(10);
    while slow.limiter().available() != slow.settings().global_remote_threshold {
        ensure!(
            Instant::now() < deadline,
            "the permit of the failed connection is released"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sleeping = common::processes_with_arg(&marker);
    ensure!(sleeping.is_empty(), "the proxy command's child is gone: {sleeping:?}");
    drop((lab, a));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_limits() -> Result<()> {
    let (lab, a, access) = one_instance()?;
    for (global, cluster) in [(2, 70), (100, 2)] {
        let remote = Remote::new(RemoteSettings {
            global_remote_threshold: global,
            cluster_remote_threshold: cluster,
            ..Default::default()
        });
        // Two cluster operations under a global limit of 2, or one under its own limit of 2.
        let limiters = if global == 2 {
            vec![remote.cluster_operation(), remote.cluster_operation()]
        } else {
            vec![remote.cluster_operation()]
        };
        let active = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let finished = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..5 {
            let (remote, access, limiter) = (remote.clone(), access.clone(), limiters[i % limiters.len()].clone());
            let (active, peak, finished) = (active.clone(), peak.clone(), finished.clone());
            tasks.push(tokio::spawn(async move {
                let ssh = remote.connect(&access, &limiter).await?;
                let now = active.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                // Seen from the instance: how many of these run right now.
                let out = ssh
                    .execute_command(
                        // Under a lock: two `sed -i` at once would both keep a line and count one too many.
                        "flock running.lock sh -c 'echo x >> running; wc -l < running'; sleep 1; \
                         flock running.lock sed -i 1d running",
                        false,
                        true,
                        None,
                    )
                    .await?;
                active.fetch_sub(1, Ordering::SeqCst);
                finished.fetch_add(1, Ordering::SeqCst);
                ssh.close().await;
                anyhow::Ok(out.stdout.trim().parse::<usize>()?)
            }));
        }
        let mut remote_peak = 0;
        for t in tasks {
            remote_peak = remote_peak.max(t.await??);
        }
        ensure!(finished.load(Ordering::SeqCst) == 5);
        ensure!(peak.load(Ordering::SeqCst) == 2, "peak {}", peak.load(Ordering::SeqCst));
        ensure!(remote_peak <= 2, "the instance saw {remote_peak} at once");
        ensure!(remote.limiter().available() == global);
        ensure!(limiters.iter().all(|l| l.available() == cluster));
    }
    drop((lab, a));
    Ok(())
}
