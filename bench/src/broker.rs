//! The broker as the raw baseline sees it: AMQP URIs from transport URLs, and deleting
//! the queues and exchanges a benchmark declared.

use anyhow::{Context, Result};
use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use lapin::{Connection, ConnectionProperties};
use sahara_rpc::TransportUrl;

/// The lapin URI of the first host of a `rabbit://` transport URL.
pub fn amqp_uri(url: &str) -> Result<String> {
    let parsed = TransportUrl::parse(url).with_context(|| format!("bad transport URL {url}"))?;
    let host = parsed.hosts.first().context("the transport URL names no host")?;
    let user = host.username.as_deref().unwrap_or("guest");
    let pass = host.password.as_deref().unwrap_or("guest");
    let name = if host.hostname.is_empty() {
        "localhost"
    } else {
        &host.hostname
    };
    let vhost = parsed.effective_vhost().replace('/', "%2f");
    Ok(format!(
        "amqp://{user}:{pass}@{name}:{}/{vhost}",
        host.port.unwrap_or(5672)
    ))
}

/// Connects to the broker of a transport URL.
pub async fn connect(url: &str, name: &str) -> Result<Connection> {
    let uri = amqp_uri(url)?;
    let props = ConnectionProperties::default().with_connection_name(name.into());
    Connection::connect(&uri, props)
        .await
        .with_context(|| format!("connecting to {}", sahara_rpc::url::redact_url(url)))
}

/// Deletes the named queues and exchanges; ones already gone are fine.
pub async fn delete(url: &str, queues: &[String], exchanges: &[String]) -> Result<()> {
    let conn = connect(url, "sahara-bench-cleanup").await?;
    for q in queues {
        // A failed delete closes its channel, so each gets its own.
        let ch = conn.create_channel().await?;
        let _ = ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default()).await;
    }
    for x in exchanges {
        let ch = conn.create_channel().await?;
        let _ = ch
            .exchange_delete(x.as_str().into(), ExchangeDeleteOptions::default())
            .await;
    }
    let _ = conn.close(200, "cleanup".into()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_from_transport_urls() {
        assert_eq!(
            amqp_uri("rabbit://guest:guest@127.0.0.1:5672/").unwrap(),
            "amqp://guest:guest@127.0.0.1:5672/%2f"
        );
        assert_eq!(amqp_uri("rabbit://u:p@h/vh").unwrap(), "amqp://u:p@h:5672/vh");
    }
}
