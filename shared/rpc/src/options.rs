//! Driver and transport options, with oslo.messaging's names and defaults.
//!
//! The service binaries fill these from `sahara.conf` (`[DEFAULT]` and
//! `[oslo_messaging_rabbit]`); tests build them directly.

use crate::driver::ArgValue;
use std::time::Duration;

/// `[oslo_messaging_rabbit]` options that shape declarations, connections and retries.
#[derive(Debug, Clone, PartialEq)]
pub struct RabbitOptions {
    /// Durable topic queues and exchanges.
    pub amqp_durable_queues: bool,
    /// Auto-delete topic queues and exchanges.
    pub amqp_auto_delete: bool,
    /// Legacy mirrored queues (`x-ha-policy: all`).
    pub rabbit_ha_queues: bool,
    /// Quorum topic and notification queues.
    pub rabbit_quorum_queue: bool,
    /// Quorum reply and fanout queues.
    pub rabbit_transient_quorum_queue: bool,
    /// `x-delivery-limit` of quorum queues (0 = unset).
    pub rabbit_quorum_delivery_limit: i64,
    /// `x-max-in-memory-length` of quorum queues (0 = unset).
    pub rabbit_quorum_max_memory_length: i64,
    /// `x-max-in-memory-bytes` of quorum queues (0 = unset).
    pub rabbit_quorum_max_memory_bytes: i64,
    /// `x-expires` of reply and fanout queues, in seconds (0 = none).
    pub rabbit_transient_queues_ttl: i64,
    /// `basic.qos` prefetch (0 = none sent).
    pub rabbit_qos_prefetch_count: u16,
    /// AMQP heartbeat timeout proposed to the broker, seconds (0 = off).
    pub heartbeat_timeout_threshold: u16,
    /// First reconnection interval, seconds.
    pub rabbit_retry_interval: f64,
    /// Added to the interval at each attempt, seconds.
    pub rabbit_retry_backoff: f64,
    /// Longest reconnection interval, seconds.
    pub rabbit_interval_max: f64,
    /// Extra delay before reconnecting after an error, seconds.
    pub kombu_reconnect_delay: f64,
    /// How long a reply waits for a missing reply queue to come back, seconds.
    pub kombu_missing_consumer_retry_timeout: u64,
    /// `round-robin` or `shuffle` among the URL's hosts.
    pub kombu_failover_strategy: String,
    /// `AMQPLAIN`, `PLAIN` or `EXTERNAL`.
    pub rabbit_login_method: String,
    /// TLS to the broker.
    pub ssl: bool,
    /// CA bundle (PEM) for the broker's certificate.
    pub ssl_ca_file: Option<String>,
    /// Client certificate (PEM).
    pub ssl_cert_file: Option<String>,
    /// Client key (PEM).
    pub ssl_key_file: Option<String>,
    /// Consumer argument `x-cancel-on-ha-failover`.
    pub enable_cancel_on_failover: bool,
    /// Reply publishes are mandatory (returned when the reply queue is gone).
    pub direct_mandatory_flag: bool,
}

impl Default for RabbitOptions {
    fn default() -> Self {
        RabbitOptions {
            amqp_durable_queues: false,
            amqp_auto_delete: false,
            rabbit_ha_queues: false,
            rabbit_quorum_queue: false,
            rabbit_transient_quorum_queue: false,
            rabbit_quorum_delivery_limit: 0,
            rabbit_quorum_max_memory_length: 0,
            rabbit_quorum_max_memory_bytes: 0,
            rabbit_transient_queues_ttl: 1800,
            rabbit_qos_prefetch_count: 0,
            heartbeat_timeout_threshold: 60,
            rabbit_retry_interval: 1.0,
            rabbit_retry_backoff: 2.0,
            rabbit_interval_max: 30.0,
            kombu_reconnect_delay: 1.0,
            kombu_missing_consumer_retry_timeout: 60,
            kombu_failover_strategy: "round-robin".into(),
            rabbit_login_method: "AMQPLAIN".into(),
            ssl: false,
            ssl_ca_file: None,
            ssl_cert_file: None,
            ssl_key_file: None,
            enable_cancel_on_failover: false,
            direct_mandatory_flag: true,
        }
    }
}

impl RabbitOptions {
    /// Durability of topic queues and the control exchange (oslo's `Connection.durable`).
    pub fn durable(&self) -> bool {
        self.amqp_durable_queues || self.rabbit_quorum_queue
    }

    /// oslo's `_get_queue_arguments` (stream fanout is not supported here).
    pub fn queue_arguments(&self, quorum: bool, ttl_secs: i64) -> Vec<(String, ArgValue)> {
        let mut args = Vec::new();
        if self.rabbit_ha_queues {
            args.push(("x-ha-policy".to_string(), ArgValue::Str("all".into())));
        }
        if quorum {
            args.push(("x-queue-type".to_string(), ArgValue::Str("quorum".into())));
            for (k, v) in [
                ("x-delivery-limit", self.rabbit_quorum_delivery_limit),
                ("x-max-in-memory-length", self.rabbit_quorum_max_memory_length),
                ("x-max-in-memory-bytes", self.rabbit_quorum_max_memory_bytes),
            ] {
                if v > 0 {
                    args.push((k.to_string(), ArgValue::Int(v)));
                }
            }
        }
        if ttl_secs > 0 {
            args.push(("x-expires".to_string(), ArgValue::Int(ttl_secs * 1000)));
        }
        args
    }

    /// `basic.consume` arguments.
    pub fn consumer_arguments(&self) -> Vec<(String, ArgValue)> {
        if self.enable_cancel_on_failover {
            vec![("x-cancel-on-ha-failover".to_string(), ArgValue::Bool(true))]
        } else {
            Vec::new()
        }
    }
}

/// Transport-wide options (oslo's `[DEFAULT]` messaging options plus the driver's).
#[derive(Debug, Clone, PartialEq)]
pub struct TransportOptions {
    /// Exchange used when a target names none (oslo default `openstack`; Sahara sets `sahara`).
    pub control_exchange: String,
    /// Default call timeout (`rpc_response_timeout`).
    pub rpc_response_timeout: Duration,
    /// Most requests a server dispatches at once (`executor_thread_pool_size`).
    pub executor_thread_pool_size: usize,
    /// Driver options.
    pub rabbit: RabbitOptions,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            control_exchange: "openstack".into(),
            rpc_response_timeout: Duration::from_secs(60),
            executor_thread_pool_size: 64,
            rabbit: RabbitOptions::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_arguments_match_oslo() {
        let o = RabbitOptions::default();
        assert_eq!(
            o.queue_arguments(false, 1800),
            vec![("x-expires".to_string(), ArgValue::Int(1_800_000))]
        );
        assert!(o.queue_arguments(false, 0).is_empty());
        let q = RabbitOptions {
            rabbit_quorum_queue: true,
            rabbit_quorum_delivery_limit: 5,
            ..o
        };
        assert!(q.durable());
        assert_eq!(
            q.queue_arguments(true, 0),
            vec![
                ("x-queue-type".to_string(), ArgValue::Str("quorum".into())),
                ("x-delivery-limit".to_string(), ArgValue::Int(5)),
            ]
        );
    }
}
