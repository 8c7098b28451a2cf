//! Building transports and notifiers from `sahara.conf`, as oslo.messaging reads it.

use crate::error::Result;
use crate::notify::{Notifier, NotifyDriver};
use crate::options::{RabbitOptions, TransportOptions};
use crate::transport::Transport;
use sahara_config::{ConfigOpts, MessagingOpts, NotificationOpts, RabbitOpts};
use std::time::Duration;

impl RabbitOptions {
    /// `[oslo_messaging_rabbit]` from the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self> {
        let r: RabbitOpts = conf.group()?;
        let non_empty = |s: String| if s.is_empty() { None } else { Some(s) };
        Ok(RabbitOptions {
            amqp_durable_queues: r.amqp_durable_queues,
            amqp_auto_delete: r.amqp_auto_delete,
            rabbit_ha_queues: r.rabbit_ha_queues,
            rabbit_quorum_queue: r.rabbit_quorum_queue,
            rabbit_transient_quorum_queue: r.rabbit_transient_quorum_queue,
            rabbit_quorum_delivery_limit: r.rabbit_quorum_delivery_limit,
            rabbit_quorum_max_memory_length: r.rabbit_quorum_max_memory_length,
            rabbit_quorum_max_memory_bytes: r.rabbit_quorum_max_memory_bytes,
            rabbit_transient_queues_ttl: i64::try_from(r.rabbit_transient_queues_ttl).unwrap_or(i64::MAX),
            rabbit_qos_prefetch_count: u16::try_from(r.rabbit_qos_prefetch_count.max(0)).unwrap_or(u16::MAX),
            heartbeat_timeout_threshold: u16::try_from(r.heartbeat_timeout_threshold.max(0)).unwrap_or(u16::MAX),
            rabbit_retry_interval: r.rabbit_retry_interval as f64,
            rabbit_retry_backoff: r.rabbit_retry_backoff as f64,
            rabbit_interval_max: r.rabbit_interval_max as f64,
            kombu_reconnect_delay: r.kombu_reconnect_delay,
            kombu_missing_consumer_retry_timeout: u64::try_from(r.kombu_missing_consumer_retry_timeout.max(0))
                .unwrap_or(0),
            kombu_failover_strategy: r.kombu_failover_strategy,
            rabbit_login_method: r.rabbit_login_method,
            ssl: r.ssl,
            ssl_ca_file: non_empty(r.ssl_ca_file),
            ssl_cert_file: non_empty(r.ssl_cert_file),
            ssl_key_file: non_empty(r.ssl_key_file),
            enable_cancel_on_failover: r.enable_cancel_on_failover,
            direct_mandatory_flag: r.direct_mandatory_flag,
        })
    }
}

impl TransportOptions {
    /// `[DEFAULT]` messaging options and `[oslo_messaging_rabbit]` from the configuration.
    pub fn from_conf(conf: &ConfigOpts) -> Result<Self> {
        let m: MessagingOpts = conf.group()?;
        Ok(TransportOptions {
            control_exchange: m.control_exchange,
            rpc_response_timeout: Duration::from_secs(m.rpc_response_timeout),
            executor_thread_pool_size: usize::try_from(m.executor_thread_pool_size.max(1)).unwrap_or(64),
            rabbit: RabbitOptions::from_conf(conf)?,
        })
    }
}

impl Transport {
    /// The RPC transport of `[DEFAULT] transport_url` (oslo's `get_rpc_transport`).
    pub fn rpc_from_conf(conf: &ConfigOpts) -> Result<Transport> {
        let m: MessagingOpts = conf.group()?;
        let url = m.transport_url.unwrap_or_else(|| "rabbit://".into());
        Transport::new(&url, TransportOptions::from_conf(conf)?)
    }

    /// The notification transport: `[oslo_messaging_notifications] transport_url`, else the
    /// RPC one (oslo's `get_notification_transport`).
    pub fn notification_from_conf(conf: &ConfigOpts) -> Result<Transport> {
        let n: NotificationOpts = conf.group()?;
        match n.transport_url.filter(|u| !u.is_empty()) {
            Some(url) => Transport::new(&url, TransportOptions::from_conf(conf)?),
            None => Transport::rpc_from_conf(conf),
        }
    }
}

impl Notifier {
    /// A notifier with `[oslo_messaging_notifications]` drivers, topics and retry; no
    /// driver configured means notifications are off (`noop`).
    pub fn from_conf(transport: &Transport, conf: &ConfigOpts, publisher_id: &str) -> Result<Notifier> {
        let n: NotificationOpts = conf.group()?;
        let drivers = n
            .driver
            .iter()
            .map(|d| d.parse())
            .collect::<Result<Vec<NotifyDriver>>>()?;
        let drivers = if drivers.is_empty() {
            vec![NotifyDriver::Noop]
        } else {
            drivers
        };
        Ok(Notifier::new(transport, publisher_id, drivers, n.topics).with_retry(n.retry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolla_style_configuration() {
        let conf = ConfigOpts::from_ini_str(
            "[DEFAULT]\ntransport_url = rabbit://openstack:secret@10.0.0.11:5671,openstack:secret@10.0.0.12:5671//\n\
             rpc_response_timeout = 90\n\
             [oslo_messaging_rabbit]\nrabbit_quorum_queue = true\nheartbeat_timeout_threshold = 30\n\
             [oslo_messaging_notifications]\ndriver = messagingv2\ntopics = notifications,audit\n",
        )
        .unwrap();
        let o = TransportOptions::from_conf(&conf).unwrap();
        assert_eq!(o.control_exchange, "sahara");
        assert_eq!(o.rpc_response_timeout, Duration::from_secs(90));
        assert!(o.rabbit.rabbit_quorum_queue && o.rabbit.durable());
        assert_eq!(o.rabbit.heartbeat_timeout_threshold, 30);
        let t = Transport::rpc_from_conf(&conf).unwrap();
        assert_eq!(t.url().hosts.len(), 2);
        let n = Notifier::from_conf(&t, &conf, "sahara").unwrap();
        assert!(n.is_enabled());
    }

    #[test]
    fn defaults_and_bad_drivers() {
        let conf = ConfigOpts::from_ini_str("[DEFAULT]\ntransport_url = fake://\n").unwrap();
        let t = Transport::rpc_from_conf(&conf).unwrap();
        assert!(
            !Notifier::from_conf(&t, &conf, "sahara").unwrap().is_enabled(),
            "no driver means noop"
        );
        let o = TransportOptions::from_conf(&conf).unwrap();
        assert_eq!(o.rabbit, RabbitOptions::default(), "registry defaults equal oslo's");
        let bad = ConfigOpts::from_ini_str("[oslo_messaging_notifications]\ndriver = carrier-pigeon\n").unwrap();
        assert!(Notifier::from_conf(&t, &bad, "sahara").is_err());
    }
}
