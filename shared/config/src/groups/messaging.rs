//! oslo.messaging option groups: `[DEFAULT]` transport options, `[oslo_messaging_notifications]`
//! (with Sahara's `level` and `publisher_id`) and `[oslo_messaging_rabbit]`.

use crate::spec::{DeprecatedName, OptSpec};

opt_group! {
    /// oslo.messaging options of `[DEFAULT]`. `control_exchange` defaults to `sahara`, as Sahara calls
    /// `set_transport_defaults('sahara')`.
    pub struct MessagingOpts {
        group: "DEFAULT",
        namespace: "oslo.messaging",
        executor_thread_pool_size: i64 = OptSpec::int("executor_thread_pool_size")
            .default("64")
            .deprecated(&[DeprecatedName::same_group("rpc_thread_pool_size")])
            .help("Size of executor thread pool when executor is threading or eventlet."),
        rpc_response_timeout: u64 = OptSpec::int("rpc_response_timeout")
            .default("60")
            .help("Seconds to wait for a response from a call."),
        transport_url: Option<String> = OptSpec::str("transport_url")
            .default("rabbit://")
            .secret()
            .help("The network address and optional user credentials for connecting to the \
                messaging backend, in URL format. The expected format \
                is:\n\ndriver://[user:pass@]host:port[,[userN:passN@]hostN:portN]/virtual_host?query\n\nExample: \
                rabbit://rabbitmq:password@127.0.0.1:5672//\n\nFor full details on the fields \
                in the URL see the documentation of oslo_messaging.TransportURL at \
                https://docs.openstack.org/oslo.messaging/latest/reference/transport.html"),
        control_exchange: String = OptSpec::str("control_exchange")
            .default("sahara")
            .help("The default exchange under which topics are scoped. May be overridden by an \
                exchange name specified in the transport_url option."),
        rpc_ping_enabled: bool = OptSpec::bool("rpc_ping_enabled")
            .default("false")
            .help("Add an endpoint to answer to ping calls. Endpoint is named \
                oslo_rpc_server_ping"),
    }
}

opt_group! {
    /// `[oslo_messaging_notifications]`: oslo.messaging's notifier options plus Sahara's `level` and `publisher_id`.
    pub struct NotificationOpts {
        group: "oslo_messaging_notifications",
        namespace: "oslo.messaging",
        driver: Vec<String> = OptSpec::multi_str("driver")
            .help("The Drivers(s) to handle sending notifications. Possible values are \
                messaging, messagingv2, routing, log, test, noop"),
        transport_url: Option<String> = OptSpec::str("transport_url")
            .secret()
            .help("A URL representing the messaging driver to use for notifications. If not set, \
                we fall back to the same configuration used for RPC."),
        topics: Vec<String> = OptSpec::list("topics")
            .default("notifications")
            .help("AMQP topic used for OpenStack notifications."),
        retry: i64 = OptSpec::int("retry")
            .default("-1")
            .help("The maximum number of attempts to re-send a notification message which failed \
                to be delivered due to a recoverable error. 0 - No retry, -1 - indefinite"),
        level: String = OptSpec::str("level")
            .default("INFO")
            .namespace("sahara.config")
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "notification_level")])
            .help("Notification level for outgoing notifications"),
        publisher_id: Option<String> = OptSpec::str("publisher_id")
            .namespace("sahara.config")
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "notification_publisher_id")])
            .help("Identifier of the publisher"),
    }
}

opt_group! {
    /// `[oslo_messaging_rabbit]`: the RabbitMQ driver options of oslo.messaging (plus `heartbeat_in_pthread`,
    /// removed upstream in 18.0.0 but still written by kolla-ansible).
    pub struct RabbitOpts {
        group: "oslo_messaging_rabbit",
        namespace: "oslo.messaging",
        amqp_durable_queues: bool = OptSpec::bool("amqp_durable_queues")
            .default("false")
            .help("Use durable queues in AMQP. If rabbit_quorum_queue is enabled, queues will be \
                durable and this value will be ignored."),
        amqp_auto_delete: bool = OptSpec::bool("amqp_auto_delete")
            .default("false")
            .help("Auto-delete queues in AMQP."),
        rpc_conn_pool_size: u64 = OptSpec::int("rpc_conn_pool_size")
            .default("30")
            .min(1)
            .help("Size of RPC connection pool."),
        conn_pool_min_size: i64 = OptSpec::int("conn_pool_min_size")
            .default("2")
            .help("The pool size limit for connections expiration policy"),
        conn_pool_ttl: i64 = OptSpec::int("conn_pool_ttl")
            .default("1200")
            .help("The time-to-live in sec of idle connections in the pool"),
        ssl: bool = OptSpec::bool("ssl")
            .default("false")
            .help("Connect over SSL."),
        ssl_version: String = OptSpec::str("ssl_version")
            .default("")
            .help("SSL version to use (valid only if SSL enabled). Valid values are TLSv1 and \
                SSLv23. SSLv2, SSLv3, TLSv1_1, and TLSv1_2 may be available on some \
                distributions."),
        ssl_key_file: String = OptSpec::str("ssl_key_file")
            .default("")
            .help("SSL key file (valid only if SSL enabled)."),
        ssl_cert_file: String = OptSpec::str("ssl_cert_file")
            .default("")
            .help("SSL cert file (valid only if SSL enabled)."),
        ssl_ca_file: String = OptSpec::str("ssl_ca_file")
            .default("")
            .help("SSL certification authority file (valid only if SSL enabled)."),
        ssl_enforce_hostname_verification: bool = OptSpec::bool("ssl_enforce_hostname_verification")
            .default("true")
            .deprecated_for_removal(Some("Hostname verification should remain enabled once operators have completed the \
                migration."))
            .help("When true, verify the broker hostname against the certificate when \
                ``ssl_ca_file`` is set. When false, ``ssl`` with ``ssl_ca_file`` still \
                validates the certificate chain but does not verify the broker hostname. \
                ``ssl=true`` without ``ssl_ca_file`` never enables hostname verification."),
        ssl_enforce_fips_mode: bool = OptSpec::bool("ssl_enforce_fips_mode")
            .default("false")
            .deprecated_for_removal(Some("FIPS_mode_set API was removed in OpenSSL 3.0.0. This option has no effect now."))
            .help("Global toggle for enforcing the OpenSSL FIPS mode. This feature requires \
                Python support. This is available in Python 3.9 in all environments and may \
                have been backported to older Python versions on select environments. If the \
                Python executable used does not support OpenSSL FIPS mode, an exception will \
                be raised."),
        heartbeat_in_pthread: bool = OptSpec::bool("heartbeat_in_pthread")
            .default("false")
            .deprecated_for_removal(Some("The option is related to Eventlet which will be removed. In addition this has \
                never worked as expected with services using eventlet for core service \
                framework."))
            .help("(DEPRECATED) It is recommend not to use this option anymore. Run the health \
                check heartbeat thread through a native python thread by default. If this \
                option is equal to False then the health check heartbeat will inherit the \
                execution model from the parent process. For example if the parent process \
                has monkey patched the stdlib by using eventlet/greenlet then the heartbeat \
                will be run through a green thread. This option should be set to True only \
                for the wsgi services."),
        kombu_reconnect_delay: f64 = OptSpec::float("kombu_reconnect_delay")
            .default("1.0")
            .float_min(0.0)
            .float_max(4.5)
            .help("How long to wait (in seconds) before reconnecting in response to an AMQP \
                consumer cancel notification."),
        kombu_reconnect_splay: f64 = OptSpec::float("kombu_reconnect_splay")
            .default("0.0")
            .float_min(0.0)
            .help("Random time to wait for when reconnecting in response to an AMQP consumer \
                cancel notification."),
        kombu_compression: Option<String> = OptSpec::str("kombu_compression")
            .help("EXPERIMENTAL: Possible values are: gzip, bz2. If not set compression will not \
                be used. This option may not be available in future versions."),
        kombu_missing_consumer_retry_timeout: i64 = OptSpec::int("kombu_missing_consumer_retry_timeout")
            .default("60")
            .deprecated(&[DeprecatedName::same_group("kombu_reconnect_timeout")])
            .help("How long to wait a missing client before abandoning to send it its replies. \
                This value should not be longer than rpc_response_timeout."),
        kombu_failover_strategy: String = OptSpec::str("kombu_failover_strategy")
            .default("round-robin")
            .choices(&[("round-robin", None), ("shuffle", None)])
            .help("Determines how the next RabbitMQ node is chosen in case the one we are \
                currently connected to becomes unavailable. Takes effect only if more than \
                one RabbitMQ node is provided in config."),
        rabbit_login_method: String = OptSpec::str("rabbit_login_method")
            .default("AMQPLAIN")
            .choices(&[("PLAIN", None), ("AMQPLAIN", None), ("EXTERNAL", None), ("RABBIT-CR-DEMO", None)])
            .help("The RabbitMQ login method."),
        rabbit_retry_interval: u64 = OptSpec::int("rabbit_retry_interval")
            .default("1")
            .min(1)
            .help("How frequently to retry connecting with RabbitMQ."),
        rabbit_retry_backoff: u64 = OptSpec::int("rabbit_retry_backoff")
            .default("2")
            .min(0)
            .help("How long to backoff for between retries when connecting to RabbitMQ."),
        rabbit_interval_max: u64 = OptSpec::int("rabbit_interval_max")
            .default("30")
            .min(1)
            .help("Maximum interval of RabbitMQ connection retries."),
        rabbit_ha_queues: bool = OptSpec::bool("rabbit_ha_queues")
            .default("false")
            .help("Try to use HA queues in RabbitMQ (x-ha-policy: all). If you change this \
                option, you must wipe the RabbitMQ database. In RabbitMQ 3.0, queue mirroring \
                is no longer controlled by the x-ha-policy argument when declaring a queue. \
                If you just want to make sure that all queues (except those with \
                auto-generated names) are mirrored across all nodes, run: \"rabbitmqctl \
                set_policy HA '^(?!amq\\.).*' '{\"ha-mode\": \"all\"}' \""),
        rabbit_quorum_queue: bool = OptSpec::bool("rabbit_quorum_queue")
            .default("false")
            .help("Use quorum queues in RabbitMQ (x-queue-type: quorum). The quorum queue is a \
                modern queue type for RabbitMQ implementing a durable, replicated FIFO queue \
                based on the Raft consensus algorithm. It is available as of RabbitMQ 3.8.0. \
                If set this option will conflict with the HA queues (``rabbit_ha_queues``) \
                aka mirrored queues, in other words the HA queues should be disabled. Quorum \
                queues are also durable by default so the amqp_durable_queues option is \
                ignored when this option is enabled."),
        rabbit_transient_quorum_queue: bool = OptSpec::bool("rabbit_transient_quorum_queue")
            .default("false")
            .help("Use quorum queues for transients queues in RabbitMQ. Enabling this option \
                will then make sure those queues are also using quorum kind of rabbit queues, \
                which are HA by default."),
        rabbit_quorum_delivery_limit: i64 = OptSpec::int("rabbit_quorum_delivery_limit")
            .default("0")
            .help("Each time a message is redelivered to a consumer, a counter is incremented. \
                Once the redelivery count exceeds the delivery limit the message gets dropped \
                or dead-lettered (if a DLX exchange has been configured) Used only when \
                rabbit_quorum_queue is enabled, Default 0 which means dont set a limit."),
        rabbit_quorum_max_memory_length: i64 = OptSpec::int("rabbit_quorum_max_memory_length")
            .default("0")
            .help("By default all messages are maintained in memory if a quorum queue grows in \
                length it can put memory pressure on a cluster. This option can limit the \
                number of messages in the quorum queue. Used only when rabbit_quorum_queue is \
                enabled, Default 0 which means dont set a limit."),
        rabbit_quorum_max_memory_bytes: i64 = OptSpec::int("rabbit_quorum_max_memory_bytes")
            .default("0")
            .help("By default all messages are maintained in memory if a quorum queue grows in \
                length it can put memory pressure on a cluster. This option can limit the \
                number of memory bytes used by the quorum queue. Used only when \
                rabbit_quorum_queue is enabled, Default 0 which means dont set a limit."),
        rabbit_transient_queues_ttl: u64 = OptSpec::int("rabbit_transient_queues_ttl")
            .default("1800")
            .min(0)
            .help("Positive integer representing duration in seconds for queue TTL (x-expires). \
                Queues which are unused for the duration of the TTL are automatically \
                deleted. The parameter affects only reply and fanout queues. Setting 0 as \
                value will disable the x-expires. If doing so, make sure you have a rabbitmq \
                policy to delete the queues or you deployment will create an infinite number \
                of queue over time.In case rabbit_stream_fanout is set to True, this option \
                will control data retention policy (x-max-age) for messages in the fanout \
                queue rather then the queue duration itself. So the oldest data in the stream \
                queue will be discarded from it once reaching TTL Setting to 0 will disable \
                x-max-age for stream which make stream grow indefinitely filling up the \
                diskspace"),
        rabbit_qos_prefetch_count: i64 = OptSpec::int("rabbit_qos_prefetch_count")
            .default("0")
            .help("Specifies the number of messages to prefetch. Setting to zero allows \
                unlimited messages."),
        heartbeat_timeout_threshold: i64 = OptSpec::int("heartbeat_timeout_threshold")
            .default("60")
            .help("Number of seconds after which the Rabbit broker is considered down if \
                heartbeat's keep-alive fails (0 disables heartbeat)."),
        heartbeat_rate: i64 = OptSpec::int("heartbeat_rate")
            .default("3")
            .help("How often times during the heartbeat_timeout_threshold we check the heartbeat."),
        direct_mandatory_flag: bool = OptSpec::bool("direct_mandatory_flag")
            .default("true")
            .deprecated_for_removal(Some("Mandatory flag no longer deactivable."))
            .help("(DEPRECATED) Enable/Disable the RabbitMQ mandatory flag for direct send. The \
                direct send is used as reply, so the MessageUndeliverable exception is raised \
                in case the client queue does not exist.MessageUndeliverable exception will \
                be used to loop for a timeout to lets a chance to sender to recover.This flag \
                is deprecated and it will not be possible to deactivate this functionality \
                anymore"),
        enable_cancel_on_failover: bool = OptSpec::bool("enable_cancel_on_failover")
            .default("false")
            .help("Enable x-cancel-on-ha-failover flag so that rabbitmq server will cancel and \
                notify consumerswhen queue is down"),
        use_queue_manager: bool = OptSpec::bool("use_queue_manager")
            .default("false")
            .help("Should we use consistant queue names or random ones"),
        hostname: String = OptSpec::str("hostname")
            .computed_default(crate::spec::hostname_default)
            .sample_default("node1.example.com")
            .help("Hostname used by queue manager. Defaults to the value returned by \
                socket.gethostname()."),
        processname: String = OptSpec::str("processname")
            .computed_default(crate::spec::processname_default)
            .sample_default("nova-api")
            .help("Process name used by queue manager"),
        rabbit_stream_fanout: bool = OptSpec::bool("rabbit_stream_fanout")
            .default("false")
            .help("Use stream queues in RabbitMQ (x-queue-type: stream). Streams are a new \
                persistent and replicated data structure (\"queue type\") in RabbitMQ which \
                models an append-only log with non-destructive consumer semantics. It is \
                available as of RabbitMQ 3.9.0. If set this option will replace all fanout \
                queues with only one stream queue."),
    }
}
