//! The access paths against real sshd instances in network namespaces (run as root):
//! direct TCP, `proxy_command`, `use_namespaces`, a proxy gateway (direct and behind a
//! proxy command), rootwrap with its kill path, and HTTP over each of them.

mod common;

use std::net::Ipv4Addr;

use anyhow::{Result, ensure};
use common::{HELLO, HTTP_PORT, Lab, alive};
use sahara_remote::{InstanceAccess, Remote, RemoteError, RemoteSettings, StatusCode, needs_router_id};

/// Logs in, checks the session lands on the instance at `instance_ip` coming from
/// `client_ip`, runs something as root, fetches `/hello.txt` over HTTP from `client_ip`,
/// and closes everything.
async fn check_path(
    remote: &Remote,
    lab: &Lab,
    access: &InstanceAccess,
    instance: &common::Instance,
    instance_ip: Ipv4Addr,
    client_ip: Ipv4Addr,
) -> Result<()> {
    let limiter = remote.cluster_operation();
    let ssh = remote.connect(access, &limiter).await?;
    let out = ssh
        .execute_command("echo $SSH_CONNECTION; id -un; ip -o -4 addr show", false, true, None)
        .await?;
    let mut lines = out.stdout.lines();
    let conn: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
    ensure!(conn.first() == Some(&client_ip.to_string().as_str()), "client: {out:?}");
    ensure!(
        conn.get(2) == Some(&instance_ip.to_string().as_str()),
        "server: {out:?}"
    );
    ensure!(lines.next() == Some(common::LOGIN), "{out:?}");
    ensure!(out.stdout.contains(&format!("inet {instance_ip}/30")), "{out:?}");
    let root = ssh.execute_command("id -u", true, true, None).await?;
    ensure!(root.stdout.trim() == "0", "{root:?}");
    ssh.close().await;
    ensure!(
        limiter.available() == remote.settings().cluster_remote_threshold,
        "permit released"
    );

    let http = remote.get_http_client(access, HTTP_PORT)?;
    ensure!(http.base_url() == format!("http://{instance_ip}:{HTTP_PORT}"));
    let response = http.get("/hello.txt").await?;
    ensure!(response.status() == StatusCode::OK, "{response:?}");
    ensure!(response.body().as_ref() == HELLO.as_bytes());
    // A full URL under the base URL works too; another host's is refused.
    let missing = http.get(&format!("{}/missing", http.base_url())).await?;
    ensure!(missing.status() == StatusCode::NOT_FOUND);
    ensure!(matches!(
        http.get("http://192.0.2.99:8000/x").await,
        Err(RemoteError::InvalidRequest(_))
    ));
    // The server saw the requests coming from the expected side.
    let log = std::fs::read_to_string(instance.dir.join("http.log"))?;
    ensure!(
        log.lines()
            .any(|l| l.starts_with(&format!("{client_ip} ")) && l.contains("GET /hello.txt")),
        "{log}"
    );
    let _ = lab;
    Ok(())
}

#[tokio::test]
async fn direct_tcp() -> Result<()> {
    let mut lab = Lab::new()?;
    let a = lab.instance("a")?;
    let (host_ip, a_ip) = lab.link_root(&a.ns)?;
    let remote = Remote::new(RemoteSettings::default());
    let access = lab.access(lab.node(&a, a_ip), None);
    ensure!(!access.needs_router_id(remote.settings()));
    check_path(&remote, &lab, &access, &a, a_ip, host_ip).await
}

#[tokio::test]
async fn proxy_command() -> Result<()> {
    let mut lab = Lab::new()?;
    let router = lab.router()?;
    let a = lab.instance("a")?;
    // The instance is reachable only from inside the router's namespace.
    let (router_ip, a_ip) = lab.link(&router, &a.ns)?;
    let settings = RemoteSettings {
        proxy_command: format!("ip netns exec {router} nc {{host}} {{port}}"),
        ..Default::default()
    };
    let remote = Remote::new(settings);
    let access = lab.access(lab.node(&a, a_ip), None);
    check_path(&remote, &lab, &access, &a, a_ip, router_ip).await?;
    ensure!(lab.wait_gone(&router, "nc"), "every proxy nc ended");

    // {tenant_id}, {network_id} and {router_id} are expanded; the command is split as a
    // shell would (the quoted script stays one word).
    let seen = lab.dir.join("proxy-args");
    let settings = RemoteSettings {
        proxy_command: format!(
            "sh -c 'echo \"$0 $1\" >> {}; exec ip netns exec qrouter-{{router_id}} nc {{host}} {{port}}' \
             {{tenant_id}} {{network_id}}",
            seen.display()
        ),
        ..Default::default()
    };
    ensure!(needs_router_id(&settings));
    let remote = Remote::new(settings);
    let ssh = remote.connect(&access, &remote.cluster_operation()).await?;
    ensure!(ssh.execute_command("hostname", false, true, None).await?.exit_code == 0);
    ssh.close().await;
    let http = remote.get_http_client(&access, HTTP_PORT)?;
    ensure!(http.get("/hello.txt").await?.body().as_ref() == HELLO.as_bytes());
    ensure!(std::fs::read_to_string(&seen)? == "tenant-7 net-9\ntenant-7 net-9\n");
    ensure!(lab.wait_gone(&router, "nc"));

    // Without the router id it needs, or with an unknown keyword: nothing starts.
    let mut no_router = access.clone();
    no_router.router_id = None;
    let err = remote
        .connect(&no_router, &remote.cluster_operation())
        .await
        .unwrap_err();
    ensure!(matches!(err, RemoteError::MissingRouterId), "{err:?}");
    let remote = Remote::new(RemoteSettings {
        proxy_command: format!("ip netns exec {router} nc {{host}} {{port}} {{tenant}}"),
        ..Default::default()
    });
    let err = remote.connect(&access, &remote.cluster_operation()).await.unwrap_err();
    ensure!(
        err.to_string() == "Misconfiguration" && err.code() == "SYSTEM_ERROR",
        "{err:?}"
    );
    ensure!(matches!(&err, RemoteError::Misconfiguration { detail } if detail.contains("{tenant}")));
    ensure!(remote.get_http_client(&access, HTTP_PORT).is_err());
    Ok(())
}

#[tokio::test]
async fn use_namespaces() -> Result<()> {
    let mut lab = Lab::new()?;
    let router = lab.router()?;
    let a = lab.instance("a")?;
    let (router_ip, a_ip) = lab.link(&router, &a.ns)?;
    let settings = RemoteSettings {
        use_namespaces: true,
        ..Default::default()
    };
    let remote = Remote::new(settings);
    let access = lab.access(lab.node(&a, a_ip), None);
    ensure!(access.needs_router_id(remote.settings()));
    check_path(&remote, &lab, &access, &a, a_ip, router_ip).await?;
    ensure!(lab.wait_gone(&router, "nc"));
    Ok(())
}

#[tokio::test]
async fn rootwrap_wraps_and_kills() -> Result<()> {
    let mut lab = Lab::new()?;
    let router = lab.router()?;
    let a = lab.instance("a")?;
    let (router_ip, a_ip) = lab.link(&router, &a.ns)?;
    // A harmless rootwrap: logs its pid and arguments, then execs them.
    let log = lab.dir.join("rootwrap.log");
    let wrapper = lab.dir.join("rootwrap");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\necho \"$$ $*\" >> {}\nexec \"$@\"\n", log.display()),
    )?;
    std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let settings = RemoteSettings {
        use_namespaces: true,
        use_rootwrap: true,
        rootwrap_command: format!("{} ", wrapper.display()),
        ..Default::default()
    };
    let remote = Remote::new(settings);
    let access = lab.access(lab.node(&a, a_ip), None);
    let ssh = remote.connect(&access, &remote.cluster_operation()).await?;
    let out = ssh.execute_command("echo $SSH_CONNECTION", false, true, None).await?;
    ensure!(out.stdout.starts_with(&format!("{router_ip} ")), "{out:?}");
    ssh.close().await;
    let http = remote.get_http_client(&access, HTTP_PORT)?;
    ensure!(http.get("/hello.txt").await?.status() == StatusCode::OK);

    // Each proxy ran under the wrapper and was ended by `<wrapper> kill <its pid>`.
    let text = std::fs::read_to_string(&log)?;
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split_whitespace().collect()).collect();
    let proxies: Vec<&Vec<&str>> = lines.iter().filter(|l| l.get(1) == Some(&"ip")).collect();
    ensure!(proxies.len() == 2, "{text}");
    ensure!(
        proxies[0][1..] == ["ip", "netns", "exec", &router, "nc", &a_ip.to_string(), "22"],
        "{text}"
    );
    ensure!(proxies[1].last() == Some(&"8000"), "{text}");
    let kills: Vec<&str> = lines
        .iter()
        .filter(|l| l.get(1) == Some(&"kill"))
        .filter_map(|l| l.get(2).copied())
        .collect();
    // A proxy may end by itself (the server closed its side) before the kill is needed, more
    // often for HTTP than for SSH, and for either on a busy machine: at least one was killed
    // through the wrapper, and none is left.
    ensure!(
        proxies.iter().any(|p| kills.contains(&p[0])),
        "no proxy was killed through rootwrap: {text}"
    );
    for p in &proxies {
        let pid: u32 = p[0].parse()?;
        ensure!(!alive(pid), "proxy {pid} is gone");
    }
    ensure!(lab.processes(&router, "nc").is_empty());
    Ok(())
}

#[tokio::test]
async fn proxy_gateway() -> Result<()> {
    let mut lab = Lab::new()?;
    let router = lab.router()?;
    let gw = lab.instance("gw")?;
    let b = lab.instance("b")?;
    let (host_ip, gw_ip) = lab.link_root(&gw.ns)?;
    let (router_ip, gw_router_side) = lab.link(&router, &gw.ns)?;
    // B is reachable only from the gateway.
    let (gw_b_side, b_ip) = lab.link(&gw.ns, &b.ns)?;

    // The gateway is reached directly.
    let remote = Remote::new(RemoteSettings::default());
    let access = lab.access(lab.node(&b, b_ip), Some(lab.node(&gw, gw_ip)));
    let path = access.path(remote.settings())?;
    ensure!(path.first_host() == gw_ip.to_string() && path.host == b_ip.to_string());
    check_path(&remote, &lab, &access, &b, b_ip, gw_b_side).await?;
    ensure!(lab.wait_gone(&gw.ns, "nc"), "the gateway's nc ended");

    // The gateway itself is reached through the proxy command (as Sahara allows).
    let remote = Remote::new(RemoteSettings {
        proxy_command: "ip netns exec qrouter-{router_id} nc {host} {port}".into(),
        ..Default::default()
    });
    let access = lab.access(lab.node(&b, b_ip), Some(lab.node(&gw, gw_router_side)));
    let ssh = remote.connect(&access, &remote.cluster_operation()).await?;
    let out = ssh.execute_command("echo $SSH_CONNECTION", false, true, None).await?;
    ensure!(out.stdout.starts_with(&format!("{gw_b_side} ")), "{out:?}");
    let gw_sshd_log = std::fs::read_to_string(gw.dir.join("boot.log"))?;
    ensure!(gw_sshd_log.contains(&format!("from {router_ip}")), "{gw_sshd_log}");
    ssh.close().await;
    let http = remote.get_http_client(&access, HTTP_PORT)?;
    ensure!(http.get("/hello.txt").await?.body().as_ref() == HELLO.as_bytes());
    ensure!(lab.wait_gone(&router, "nc") && lab.wait_gone(&gw.ns, "nc"));
    let _ = host_ip;
    Ok(())
}
