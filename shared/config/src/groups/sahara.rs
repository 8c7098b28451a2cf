//! Sahara's own option groups (sahara/config.py and the modules its `list_opts` names): the
//! `[DEFAULT]` options split by concern, `[conductor]`, `[timeouts]`, `[retries]`, the per-client
//! groups, `[trustee]`, `[object_store_access]`, `[castellan]` and `[cluster_verifications]`.

use crate::spec::{DeprecatedName, OptSpec};

opt_group! {
    /// Sahara API listener options of `[DEFAULT]` (sahara/config.py, sahara/main.py).
    pub struct SaharaApiOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        host: String = OptSpec::host_address("host")
            .default("0.0.0.0")
            .help("Hostname or IP address that will be used to listen on."),
        port: u16 = OptSpec::port("port")
            .default("8386")
            .help("Port that will be used to listen on."),
        log_exchange: bool = OptSpec::bool("log_exchange")
            .default("false")
            .help("Log request/response exchange details: environ, headers and bodies."),
        api_workers: i64 = OptSpec::int("api_workers")
            .default("1")
            .help("Number of workers for Sahara API service (0 means all-in-one-thread \
                configuration)."),
    }
}

opt_group! {
    /// Sahara EDP (job execution) options of `[DEFAULT]`.
    pub struct SaharaEdpOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        job_binary_max_kb: i64 = OptSpec::int("job_binary_max_KB")
            .default("5120")
            .help("Maximum length of job binary data in kilobytes that may be stored or \
                retrieved in a single operation."),
        job_canceling_timeout: i64 = OptSpec::int("job_canceling_timeout")
            .default("300")
            .help("Timeout for canceling job execution (in seconds). Sahara will try to cancel \
                job execution during this time."),
        edp_internal_db_enabled: bool = OptSpec::bool("edp_internal_db_enabled")
            .default("true")
            .help("Use Sahara internal db to store job binaries."),
        job_workflow_postfix: String = OptSpec::str("job_workflow_postfix")
            .default("")
            .help("Postfix for storing jobs in hdfs. Will be added to '/user/<hdfs user>/' path."),
        data_source_types: Vec<String> = OptSpec::list("data_source_types")
            .default("swift,hdfs,maprfs,manila,s3")
            .help("List of data sources types to be loaded. Sahara preserves the order of the \
                list when returning it."),
        job_binary_types: Vec<String> = OptSpec::list("job_binary_types")
            .default("swift,manila,internal-db,s3")
            .help("List of job binary types to be loaded. Sahara preserves the order of the list \
                when returning it."),
    }
}

opt_group! {
    /// Sahara networking and DNS options of `[DEFAULT]`: how the engine reaches cluster instances.
    pub struct SaharaNetworkingOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        use_floating_ips: bool = OptSpec::bool("use_floating_ips")
            .default("true")
            .help("If set to True, Sahara will use floating IPs to communicate with instances. \
                To make sure that all instances have floating IPs assigned, make sure that \
                all Node Groups have \"floating_ip_pool\" parameter defined."),
        node_domain: String = OptSpec::str("node_domain")
            .default("novalocal")
            .help("The suffix of the node's FQDN."),
        use_namespaces: bool = OptSpec::bool("use_namespaces")
            .default("false")
            .help("Use network namespaces for communication."),
        use_rootwrap: bool = OptSpec::bool("use_rootwrap")
            .default("false")
            .help("Use rootwrap facility to allow non-root users to run the sahara services and \
                access private network IPs (only valid to use in conjunction with \
                use_namespaces=True)"),
        rootwrap_command: String = OptSpec::str("rootwrap_command")
            .default("sudo sahara-rootwrap /etc/sahara/rootwrap.conf")
            .help("Rootwrap command to leverage.  Use in conjunction with use_rootwrap=True"),
        use_designate: bool = OptSpec::bool("use_designate")
            .default("false")
            .help("Use Designate for internal and external hostnames resolution"),
        nameservers: Vec<String> = OptSpec::list("nameservers")
            .default("")
            .help("IP addresses of Designate nameservers. This is required if 'use_designate' is \
                True"),
        identity_ip_accessible: Option<String> = OptSpec::ip("identity_ip_accessible")
            .help("IP address of Keystone endpoint, accessible by tenant machines. If not set, \
                the results of the DNS lookup performed where Sahara services are running \
                will be used."),
        object_store_ip_accessible: Option<String> = OptSpec::ip("object_store_ip_accessible")
            .help("IP address of Swift endpoint, accessible by tenant machines. If not set, the \
                results of the DNS lookup performed where Sahara services are running will be \
                used."),
    }
}

opt_group! {
    /// Sahara remote access (SSH) options of `[DEFAULT]`.
    pub struct SaharaRemoteOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        remote: String = OptSpec::str("remote")
            .default("ssh")
            .help("A method for Sahara to execute commands on VMs."),
        global_remote_threshold: i64 = OptSpec::int("global_remote_threshold")
            .default("100")
            .help("Maximum number of remote operations that will be running at the same time. \
                Note that each remote operation requires its own process to run."),
        cluster_remote_threshold: i64 = OptSpec::int("cluster_remote_threshold")
            .default("70")
            .help("The same as global_remote_threshold, but for a single cluster."),
        proxy_command: String = OptSpec::str("proxy_command")
            .default("")
            .help("Proxy command used to connect to instances. If set, this command should open \
                a netcat socket, that Sahara will use for SSH and HTTP connections. Use \
                {host} and {port} to describe the destination. Other available keywords: \
                {tenant_id}, {network_id}, {router_id}."),
        proxy_command_use_internal_ip: bool = OptSpec::bool("proxy_command_use_internal_ip")
            .default("false")
            .help("Force proxy_command usage to be consuming internal IP always, instead of \
                management IP. Ignored if proxy_command is not set."),
        ssh_timeout_common: u64 = OptSpec::int("ssh_timeout_common")
            .default("300")
            .min(1)
            .help("Overrides timeout for common ssh operations, in seconds"),
        ssh_timeout_interactive: u64 = OptSpec::int("ssh_timeout_interactive")
            .default("1800")
            .min(1)
            .help("Overrides timeout for interactive ssh operations, in seconds"),
        ssh_timeout_files: u64 = OptSpec::int("ssh_timeout_files")
            .default("600")
            .min(1)
            .help("Overrides timeout for ssh operations with files, in seconds"),
    }
}

opt_group! {
    /// Sahara periodic task and coordination options of `[DEFAULT]`.
    pub struct SaharaPeriodicOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        periodic_enable: bool = OptSpec::bool("periodic_enable")
            .default("true")
            .help("Enable periodic tasks."),
        periodic_fuzzy_delay: i64 = OptSpec::int("periodic_fuzzy_delay")
            .default("60")
            .help("Range in seconds to randomly delay when starting the periodic task scheduler \
                to reduce stampeding. (Disable by setting to 0)."),
        periodic_interval_max: i64 = OptSpec::int("periodic_interval_max")
            .default("60")
            .help("Max interval size between periodic tasks execution in seconds."),
        min_transient_cluster_active_time: i64 = OptSpec::int("min_transient_cluster_active_time")
            .default("30")
            .help("Minimal \"lifetime\" in seconds for a transient cluster. Cluster is \
                guaranteed to be \"alive\" within this time period."),
        cleanup_time_for_incomplete_clusters: i64 = OptSpec::int("cleanup_time_for_incomplete_clusters")
            .default("0")
            .help("Maximal time (in hours) for clusters allowed to be in states other than \
                \"Active\", \"Deleting\" or \"Error\". If a cluster is not in \"Active\", \
                \"Deleting\" or \"Error\" state and last update of it was longer than \
                \"cleanup_time_for_incomplete_clusters\" hours ago then it will be deleted \
                automatically. (0 value means that automatic clean up is disabled)."),
        periodic_coordinator_backend_url: Option<String> = OptSpec::str("periodic_coordinator_backend_url")
            .secret()
            .help("The backend URL to use for distributed periodic tasks coordination."),
        periodic_workers_number: i64 = OptSpec::int("periodic_workers_number")
            .default("1")
            .help("Number of threads to run periodic tasks."),
        coordinator_heartbeat_interval: i64 = OptSpec::int("coordinator_heartbeat_interval")
            .default("1")
            .help("Interval size between heartbeat execution in seconds. Heartbeats are executed \
                to make sure that connection to the coordination server is active."),
        hash_ring_replicas_count: i64 = OptSpec::int("hash_ring_replicas_count")
            .default("40")
            .help("Number of points that belongs to each member on a hash ring. The larger \
                number leads to a better distribution."),
    }
}

opt_group! {
    /// Remaining Sahara options of `[DEFAULT]`: plugins, topology, identity, proxy users, Heat, NTP, event log, key manager.
    pub struct SaharaServiceOpts {
        group: "DEFAULT",
        namespace: "sahara.config",
        db_driver: String = OptSpec::str("db_driver")
            .default("sahara.db")
            .help("Driver to use for database access."),
        os_region_name: Option<String> = OptSpec::str("os_region_name")
            .help("Region name used to get services endpoints."),
        plugins: Vec<String> = OptSpec::list("plugins")
            .default("vanilla,spark,cdh,ambari,storm,mapr")
            .help("List of plugins to be loaded. Sahara preserves the order of the list when \
                returning it."),
        enable_data_locality: bool = OptSpec::bool("enable_data_locality")
            .default("false")
            .help("Enables data locality for hadoop cluster. Also enables data locality for \
                Swift used by hadoop. If enabled, 'compute_topology' and 'swift_topology' \
                configuration parameters should point to OpenStack and Swift topology \
                correspondingly."),
        enable_hypervisor_awareness: bool = OptSpec::bool("enable_hypervisor_awareness")
            .default("true")
            .help("Enables four-level topology for data locality. Works only if corresponding \
                plugin supports such mode."),
        compute_topology_file: String = OptSpec::str("compute_topology_file")
            .default("etc/sahara/compute.topology")
            .help("File with nova compute topology. It should contain mapping between nova \
                computes and racks."),
        swift_topology_file: String = OptSpec::str("swift_topology_file")
            .default("etc/sahara/swift.topology")
            .help("File with Swift topology.It should contain mapping between Swift nodes and \
                racks."),
        use_identity_api_v3: bool = OptSpec::bool("use_identity_api_v3")
            .default("true")
            .help("Enables Sahara to use Keystone API v3. If that flag is disabled, per-job \
                clusters will not be terminated automatically."),
        default_ntp_server: String = OptSpec::str("default_ntp_server")
            .default("pool.ntp.org")
            .help("Default ntp server for time sync"),
        use_domain_for_proxy_users: bool = OptSpec::bool("use_domain_for_proxy_users")
            .default("false")
            .help("Enables Sahara to use a domain for creating temporary proxy users to access \
                Swift. If this is enabled a domain must be created for Sahara to use."),
        proxy_user_domain_name: Option<String> = OptSpec::str("proxy_user_domain_name")
            .help("The domain Sahara will use to create new proxy users for Swift object access."),
        proxy_user_role_names: Vec<String> = OptSpec::list("proxy_user_role_names")
            .default("member")
            .help("A list of the role names that the proxy user should assume through trust for \
                Swift object access."),
        disable_event_log: bool = OptSpec::bool("disable_event_log")
            .default("false")
            .help("Disables event log feature."),
        heat_stack_tags: Vec<String> = OptSpec::list("heat_stack_tags")
            .default("data-processing-cluster")
            .help("List of tags to be used during operating with stack."),
        heat_enable_wait_condition: bool = OptSpec::bool("heat_enable_wait_condition")
            .default("true")
            .help("Enable wait condition feature to reduce polling during cluster creation"),
        use_barbican_key_manager: bool = OptSpec::bool("use_barbican_key_manager")
            .default("false")
            .help("Enable the usage of the OpenStack Key Management service provided by barbican."),
    }
}

opt_group! {
    /// `[conductor]`: whether the conductor library runs in-process (Sahara's only mode, the default)
    /// or is reached over RPC (ours).
    pub struct ConductorOpts {
        group: "conductor",
        namespace: "sahara.config",
        use_local: bool = OptSpec::bool("use_local")
            .default("true")
            .help("Perform sahara-conductor operations locally. (ours:) When false, the services \
                call a separate sahara-conductor over RPC (topic sahara-conductor) and need no \
                database credentials."),
    }
}

opt_group! {
    /// `[timeouts]`: Sahara engine wait limits (sahara/utils/poll_utils.py).
    pub struct TimeoutOpts {
        group: "timeouts",
        namespace: "sahara.config",
        ips_assign_timeout: i64 = OptSpec::int("ips_assign_timeout")
            .default("10800")
            .help("Assign IPs timeout, in seconds"),
        wait_until_accessible: i64 = OptSpec::int("wait_until_accessible")
            .default("10800")
            .help("Wait for instance accessibility, in seconds"),
        delete_instances_timeout: i64 = OptSpec::int("delete_instances_timeout")
            .default("10800")
            .help("Wait for instances to be deleted, in seconds"),
        detach_volume_timeout: i64 = OptSpec::int("detach_volume_timeout")
            .default("300")
            .help("Timeout for detaching volumes from instance, in seconds"),
    }
}

opt_group! {
    /// `[retries]`: retries of OpenStack client calls (sahara/utils/openstack/base.py).
    pub struct RetryOpts {
        group: "retries",
        namespace: "sahara.config",
        retries_number: i64 = OptSpec::int("retries_number")
            .default("5")
            .help("Number of times to retry the request to client before failing"),
        retry_after: i64 = OptSpec::int("retry_after")
            .default("10")
            .help("Time between the retries to client (in seconds)."),
    }
}

opt_group! {
    /// `[cinder]`: Cinder client options.
    pub struct CinderOpts {
        group: "cinder",
        namespace: "sahara.config",
        api_version: i64 = OptSpec::int("api_version")
            .default("3")
            .deprecated(&[DeprecatedName::same_group("cinder_api_version")])
            .help("Version of the Cinder API to use."),
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to cinder."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for cinder client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for cinder client requests"),
    }
}

opt_group! {
    /// `[glance]`: Glance client options.
    pub struct GlanceOpts {
        group: "glance",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to glance."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for glance client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for glance client requests"),
    }
}

opt_group! {
    /// `[heat]`: Heat client options.
    pub struct HeatOpts {
        group: "heat",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to heat."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for heat client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for heat client requests"),
    }
}

opt_group! {
    /// `[neutron]`: Neutron client options.
    pub struct NeutronOpts {
        group: "neutron",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to neutron."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for neutron client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for neutron client requests"),
    }
}

opt_group! {
    /// `[nova]`: Nova client options.
    pub struct NovaOpts {
        group: "nova",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to nova."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for nova client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for nova client requests"),
    }
}

opt_group! {
    /// `[swift]`: Swift client options.
    pub struct SwiftOpts {
        group: "swift",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to swift."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for swift client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for swift client requests"),
    }
}

opt_group! {
    /// `[manila]`: Manila client options.
    pub struct ManilaOpts {
        group: "manila",
        namespace: "sahara.config",
        api_version: String = OptSpec::str("api_version")
            .default("1")
            .help("Version of the manila API to use."),
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("true")
            .help("Allow to perform insecure SSL requests to manila."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for manila client requests."),
    }
}

opt_group! {
    /// `[keystone]`: Keystone client options.
    pub struct KeystoneClientOpts {
        group: "keystone",
        namespace: "sahara.config",
        api_insecure: bool = OptSpec::bool("api_insecure")
            .default("false")
            .help("Allow to perform insecure SSL requests to keystone."),
        ca_file: Option<String> = OptSpec::str("ca_file")
            .help("Location of ca certificates file to use for keystone client requests."),
        endpoint_type: String = OptSpec::str("endpoint_type")
            .default("internalURL")
            .help("Endpoint type for keystone client requests"),
    }
}

opt_group! {
    /// `[trustee]`: the identity Sahara uses to create trusts. `password` is marked secret here (upstream did not).
    pub struct TrusteeOpts {
        group: "trustee",
        namespace: "sahara.config",
        username: Option<String> = OptSpec::str("username")
            .help("Username for trusts creation"),
        password: Option<String> = OptSpec::str("password")
            .secret()
            .help("Password for trusts creation"),
        project_name: Option<String> = OptSpec::str("project_name")
            .help("Project name for trusts creation"),
        user_domain_name: String = OptSpec::str("user_domain_name")
            .default("Default")
            .help("User domain name for trusts creation"),
        project_domain_name: String = OptSpec::str("project_domain_name")
            .default("Default")
            .help("Project domain name for trusts creation"),
        auth_url: Option<String> = OptSpec::str("auth_url")
            .help("Auth url for trusts creation"),
    }
}

opt_group! {
    /// `[object_store_access]`: CA files instances use to reach Keystone and Swift.
    pub struct ObjectStoreAccessOpts {
        group: "object_store_access",
        namespace: "sahara.config",
        public_identity_ca_file: Option<String> = OptSpec::str("public_identity_ca_file")
            .help("Location of ca certificate file to use for identity client requests via \
                public endpoint"),
        public_object_store_ca_file: Option<String> = OptSpec::str("public_object_store_ca_file")
            .help("Location of ca certificate file to use for object-store client requests via \
                public endpoint"),
    }
}

opt_group! {
    /// `[castellan]`: Barbican key manager options.
    pub struct CastellanOpts {
        group: "castellan",
        namespace: "sahara.config",
        barbican_api_endpoint: Option<String> = OptSpec::str("barbican_api_endpoint")
            .help("The endpoint to use for connecting to the barbican api controller. By \
                default, castellan will use the URL from the service catalog."),
        barbican_api_version: String = OptSpec::str("barbican_api_version")
            .default("v1")
            .help("Version of the barbican API, for example: \"v1\""),
    }
}

opt_group! {
    /// `[cluster_verifications]`: cluster health verification options.
    pub struct ClusterVerificationOpts {
        group: "cluster_verifications",
        namespace: "sahara.config",
        verification_enable: bool = OptSpec::bool("verification_enable")
            .default("true")
            .help("Option to enable verifications for all clusters"),
        verification_periodic_interval: i64 = OptSpec::int("verification_periodic_interval")
            .default("600")
            .help("Interval between two consecutive periodic tasks for verifications, in seconds."),
        verification_timeout: i64 = OptSpec::int("verification_timeout")
            .default("600")
            .help("Time limit for health check function, in seconds."),
    }
}
