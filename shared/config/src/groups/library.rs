//! Option groups of the other oslo libraries Sahara registers: oslo.db, keystonemiddleware (+
//! keystoneauth's password plugin), oslo.policy, oslo.concurrency, oslo.middleware and oslo.service.
//!
//! `[keystone_authtoken] memcache_password` is marked secret here although upstream does not.

use crate::spec::{DeprecatedName, OptSpec};

opt_group! {
    /// `[database]`: oslo.db options.
    pub struct DatabaseOpts {
        group: "database",
        namespace: "oslo.db",
        sqlite_synchronous: bool = OptSpec::bool("sqlite_synchronous")
            .default("true")
            .help("If True, SQLite uses synchronous mode."),
        backend: String = OptSpec::str("backend")
            .default("sqlalchemy")
            .help("The back end to use for the database."),
        connection: Option<String> = OptSpec::str("connection")
            .secret()
            .help("The SQLAlchemy connection string to use to connect to the database."),
        slave_connection: Option<String> = OptSpec::str("slave_connection")
            .secret()
            .help("The SQLAlchemy connection string to use to connect to the slave database."),
        asyncio_connection: Option<String> = OptSpec::str("asyncio_connection")
            .secret()
            .help("The SQLAlchemy asyncio connection string to use to connect to the database."),
        asyncio_slave_connection: Option<String> = OptSpec::str("asyncio_slave_connection")
            .secret()
            .help("The SQLAlchemy asyncio connection string to use to connect to the slave \
                database."),
        synchronous_reader: bool = OptSpec::bool("synchronous_reader")
            .default("true")
            .help("Whether or not to assume a reader context needs to guarantee it can read data \
                committed by a writer assuming replication lag is present; defaults to True. \
                When False, a reader context works the same as async_reader and will select \
                the slave database if present. When using a galera cluster, this can be set \
                to False only if you set mysql_wsrep_sync_wait to 1 (this will guarantee that \
                the reader will wait until writesets are committed).Note that this may incur \
                a performance degradation within the galera cluster. Note also that this \
                parameter has no effect if you do not set any slave_connection."),
        mysql_sql_mode: String = OptSpec::str("mysql_sql_mode")
            .default("TRADITIONAL")
            .help("The SQL mode to be used for MySQL sessions. This option, including the \
                default, overrides any server-set SQL mode. To use whatever SQL mode is set \
                by the server configuration, set this to no value. Example: mysql_sql_mode="),
        mysql_wsrep_sync_wait: Option<i64> = OptSpec::int("mysql_wsrep_sync_wait")
            .help("For Galera only, configure wsrep_sync_wait causality checks on new \
                connections.  Default is None, meaning don't configure any setting."),
        connection_recycle_time: i64 = OptSpec::int("connection_recycle_time")
            .default("3600")
            .help("Connections which have been present in the connection pool longer than this \
                number of seconds will be replaced with a new one the next time they are \
                checked out from the pool."),
        max_pool_size: i64 = OptSpec::int("max_pool_size")
            .default("5")
            .help("Maximum number of SQL connections to keep open in a pool. Setting a value of \
                0 indicates no limit."),
        max_retries: i64 = OptSpec::int("max_retries")
            .default("10")
            .help("Maximum number of database connection retries during startup. Set to -1 to \
                specify an infinite retry count."),
        retry_interval: i64 = OptSpec::int("retry_interval")
            .default("10")
            .help("Interval between retries of opening a SQL connection."),
        max_overflow: i64 = OptSpec::int("max_overflow")
            .default("50")
            .help("If set, use this value for max_overflow with SQLAlchemy."),
        connection_debug: u64 = OptSpec::int("connection_debug")
            .default("0")
            .min(0)
            .max(100)
            .help("Verbosity of SQL debugging information: 0=None, 100=Everything."),
        connection_trace: bool = OptSpec::bool("connection_trace")
            .default("false")
            .help("Add Python stack traces to SQL as comment strings."),
        pool_timeout: Option<i64> = OptSpec::int("pool_timeout")
            .help("If set, use this value for pool_timeout with SQLAlchemy."),
        use_db_reconnect: bool = OptSpec::bool("use_db_reconnect")
            .default("false")
            .help("Enable the experimental use of database reconnect on connection lost."),
        db_retry_interval: i64 = OptSpec::int("db_retry_interval")
            .default("1")
            .help("Seconds between retries of a database transaction."),
        db_inc_retry_interval: bool = OptSpec::bool("db_inc_retry_interval")
            .default("true")
            .help("If True, increases the interval between retries of a database operation up to \
                db_max_retry_interval."),
        db_max_retry_interval: i64 = OptSpec::int("db_max_retry_interval")
            .default("10")
            .help("If db_inc_retry_interval is set, the maximum seconds between retries of a \
                database operation."),
        db_max_retries: i64 = OptSpec::int("db_max_retries")
            .default("20")
            .help("Maximum retries in case of connection error or deadlock error before error is \
                raised. Set to -1 to specify an infinite retry count."),
        connection_parameters: String = OptSpec::str("connection_parameters")
            .default("")
            .help("Optional URL parameters to append onto the connection URL at connect time; \
                specify as param1=value1&param2=value2&..."),
    }
}

opt_group! {
    /// `[keystone_authtoken]`: keystonemiddleware auth_token options, keystoneauth's `auth_type`/`auth_section`,
    /// and the options of the `password` auth plugin that kolla-ansible sets.
    pub struct KeystoneAuthtokenOpts {
        group: "keystone_authtoken",
        namespace: "keystonemiddleware.auth_token",
        www_authenticate_uri: Option<String> = OptSpec::str("www_authenticate_uri")
            .help("Complete \"public\" Identity API endpoint. This endpoint should not be an \
                \"admin\" endpoint, as it should be accessible by all end users. \
                Unauthenticated clients are redirected to this endpoint to authenticate. \
                Although this endpoint should ideally be unversioned, client support in the \
                wild varies."),
        auth_version: Option<String> = OptSpec::str("auth_version")
            .help("API version of the Identity API endpoint."),
        interface: String = OptSpec::str("interface")
            .default("internal")
            .help("Interface to use for the Identity API endpoint. Valid values are \"public\", \
                \"internal\" (default) or \"admin\"."),
        delay_auth_decision: bool = OptSpec::bool("delay_auth_decision")
            .default("false")
            .help("Do not handle authorization requests within the middleware, but delegate the \
                authorization decision to downstream WSGI components."),
        http_connect_timeout: Option<i64> = OptSpec::int("http_connect_timeout")
            .help("Request timeout value for communicating with Identity API server."),
        http_request_max_retries: i64 = OptSpec::int("http_request_max_retries")
            .default("3")
            .help("How many times are we trying to reconnect when communicating with Identity \
                API Server."),
        cache: Option<String> = OptSpec::str("cache")
            .help("Request environment key where the Swift cache object is stored. When \
                auth_token middleware is deployed with a Swift cache, use this option to have \
                the middleware share a caching backend with swift. Otherwise, use the \
                ``memcached_servers`` option instead."),
        certfile: Option<String> = OptSpec::str("certfile")
            .help("Required if identity server requires client certificate"),
        keyfile: Option<String> = OptSpec::str("keyfile")
            .help("Required if identity server requires client certificate"),
        cafile: Option<String> = OptSpec::str("cafile")
            .help("A PEM encoded Certificate Authority to use when verifying HTTPs connections. \
                Defaults to system CAs."),
        insecure: bool = OptSpec::bool("insecure")
            .default("false")
            .help("Verify HTTPS connections."),
        region_name: Option<String> = OptSpec::str("region_name")
            .help("The region in which the identity server can be found."),
        memcached_servers: Option<Vec<String>> = OptSpec::list("memcached_servers")
            .deprecated(&[DeprecatedName::same_group("memcache_servers")])
            .help("Optionally specify a list of memcached server(s) to use for caching. If left \
                undefined, tokens will instead be cached in-process."),
        token_cache_time: i64 = OptSpec::int("token_cache_time")
            .default("300")
            .help("In order to prevent excessive effort spent validating tokens, the middleware \
                caches previously-seen tokens for a configurable duration (in seconds). Set \
                to -1 to disable caching completely."),
        memcache_security_strategy: String = OptSpec::str("memcache_security_strategy")
            .default("None")
            .choices(&[("None", None), ("MAC", None), ("ENCRYPT", None)])
            .ignore_case()
            .help("(Optional) If defined, indicate whether token data should be authenticated or \
                authenticated and encrypted. If MAC, token data is authenticated (with HMAC) \
                in the cache. If ENCRYPT, token data is encrypted and authenticated in the \
                cache. If the value is not one of these options or empty, auth_token will \
                raise an exception on initialization."),
        memcache_secret_key: Option<String> = OptSpec::str("memcache_secret_key")
            .secret()
            .help("(Optional, mandatory if memcache_security_strategy is defined) This string is \
                used for key derivation."),
        memcache_tls_enabled: bool = OptSpec::bool("memcache_tls_enabled")
            .default("false")
            .help("(Optional) Global toggle for TLS usage when comunicating with the caching \
                servers."),
        memcache_tls_cafile: Option<String> = OptSpec::str("memcache_tls_cafile")
            .help("(Optional) Path to a file of concatenated CA certificates in PEM format \
                necessary to establish the caching server's authenticity. If tls_enabled is \
                False, this option is ignored."),
        memcache_tls_certfile: Option<String> = OptSpec::str("memcache_tls_certfile")
            .help("(Optional) Path to a single file in PEM format containing the client's \
                certificate as well as any number of CA certificates needed to establish the \
                certificate's authenticity. This file is only required when client side \
                authentication is necessary. If tls_enabled is False, this option is ignored."),
        memcache_tls_keyfile: Option<String> = OptSpec::str("memcache_tls_keyfile")
            .help("(Optional) Path to a single file containing the client's private key in. \
                Otherwhise the private key will be taken from the file specified in \
                tls_certfile. If tls_enabled is False, this option is ignored."),
        memcache_tls_allowed_ciphers: Option<String> = OptSpec::str("memcache_tls_allowed_ciphers")
            .help("(Optional) Set the available ciphers for sockets created with the TLS \
                context. It should be a string in the OpenSSL cipher list format. If not \
                specified, all OpenSSL enabled ciphers will be available."),
        memcache_pool_dead_retry: i64 = OptSpec::int("memcache_pool_dead_retry")
            .default("300")
            .help("(Optional) Number of seconds memcached server is considered dead before it is \
                tried again."),
        memcache_pool_maxsize: i64 = OptSpec::int("memcache_pool_maxsize")
            .default("10")
            .help("(Optional) Maximum total number of open connections to every memcached server."),
        memcache_pool_socket_timeout: i64 = OptSpec::int("memcache_pool_socket_timeout")
            .default("3")
            .help("(Optional) Socket timeout in seconds for communicating with a memcached \
                server."),
        memcache_pool_unused_timeout: i64 = OptSpec::int("memcache_pool_unused_timeout")
            .default("60")
            .help("(Optional) Number of seconds a connection to memcached is held unused in the \
                pool before it is closed."),
        memcache_pool_conn_get_timeout: i64 = OptSpec::int("memcache_pool_conn_get_timeout")
            .default("10")
            .help("(Optional) Number of seconds that an operation will wait to get a memcached \
                client connection from the pool."),
        memcache_use_advanced_pool: bool = OptSpec::bool("memcache_use_advanced_pool")
            .default("true")
            .help("(Optional) Use the advanced (eventlet safe) memcached client pool."),
        include_service_catalog: bool = OptSpec::bool("include_service_catalog")
            .default("true")
            .help("(Optional) Indicate whether to set the X-Service-Catalog header. If False, \
                middleware will not ask for service catalog on token validation and will not \
                set the X-Service-Catalog header."),
        enforce_token_bind: String = OptSpec::str("enforce_token_bind")
            .default("permissive")
            .help("Used to control the use and type of token binding. Can be set to: \
                \"disabled\" to not check token binding. \"permissive\" (default) to validate \
                binding information if the bind type is of a form known to the server and \
                ignore it if not. \"strict\" like \"permissive\" but if the bind type is \
                unknown the token will be rejected. \"required\" any form of token binding is \
                needed to be allowed. Finally the name of a binding method that must be \
                present in tokens."),
        service_token_roles: Vec<String> = OptSpec::list("service_token_roles")
            .default("service")
            .help("A choice of roles that must be present in a service token. Service tokens are \
                allowed to request that an expired token can be used and so this check should \
                tightly control that only actual services should be sending this token. Roles \
                here are applied as an ANY check so any role in this list must be present. \
                For backwards compatibility reasons this currently only affects the \
                allow_expired check."),
        service_token_roles_required: bool = OptSpec::bool("service_token_roles_required")
            .default("true")
            .help("When set to True, service tokens must contain a role from the \
                service_token_roles list to be considered valid. This prevents end-user \
                tokens from being used as service tokens and ensures proper \
                service-to-service authentication. Setting this to False is NOT RECOMMENDED \
                as it allows any valid token to be used as a service token, which can bypass \
                access-rule checks and weaken composite-auth protections."),
        service_type: Option<String> = OptSpec::str("service_type")
            .help("The name or type of the service as it appears in the service catalog. This is \
                used to validate tokens that have restricted access rules."),
        memcache_sasl_enabled: bool = OptSpec::bool("memcache_sasl_enabled")
            .default("false")
            .help("Enable the SASL(Simple Authentication and Security Layer) if the SASL_enable \
                is true, else disable."),
        memcache_username: String = OptSpec::str("memcache_username")
            .default("")
            .help("the user name for the SASL"),
        memcache_password: String = OptSpec::str("memcache_password")
            .default("")
            .secret()
            .help("the username password for SASL"),
        auth_type: Option<String> = OptSpec::str("auth_type")
            .deprecated(&[DeprecatedName::same_group("auth_plugin")])
            .help("Authentication type to load"),
        auth_section: Option<String> = OptSpec::str("auth_section")
            .help("Config Section from which to load plugin specific options"),
        auth_url: Option<String> = OptSpec::str("auth_url")
            .help("Authentication URL"),
        system_scope: Option<String> = OptSpec::str("system_scope")
            .help("Scope for system operations"),
        domain_id: Option<String> = OptSpec::str("domain_id")
            .help("Domain ID to scope to"),
        domain_name: Option<String> = OptSpec::str("domain_name")
            .help("Domain name to scope to"),
        project_id: Option<String> = OptSpec::str("project_id")
            .deprecated(&[DeprecatedName::same_group("tenant_id")])
            .help("Project ID to scope to"),
        project_name: Option<String> = OptSpec::str("project_name")
            .deprecated(&[DeprecatedName::same_group("tenant_name")])
            .help("Project name to scope to"),
        project_domain_id: Option<String> = OptSpec::str("project_domain_id")
            .help("Domain ID containing project"),
        project_domain_name: Option<String> = OptSpec::str("project_domain_name")
            .help("Domain name containing project"),
        trust_id: Option<String> = OptSpec::str("trust_id")
            .help("ID of the trust to use as a trustee use"),
        default_domain_id: Option<String> = OptSpec::str("default_domain_id")
            .help("Optional domain ID to use with v3 and v2 parameters. It will be used for both \
                the user and project domain in v3 and ignored in v2 authentication."),
        default_domain_name: Option<String> = OptSpec::str("default_domain_name")
            .help("Optional domain name to use with v3 API and v2 parameters. It will be used \
                for both the user and project domain in v3 and ignored in v2 authentication."),
        user_id: Option<String> = OptSpec::str("user_id")
            .help("User id"),
        username: Option<String> = OptSpec::str("username")
            .deprecated(&[DeprecatedName::same_group("user_name")])
            .help("Username"),
        user_domain_id: Option<String> = OptSpec::str("user_domain_id")
            .help("User's domain id"),
        user_domain_name: Option<String> = OptSpec::str("user_domain_name")
            .help("User's domain name"),
        password: Option<String> = OptSpec::str("password")
            .secret()
            .help("User's password"),
    }
}

opt_group! {
    /// `[oslo_policy]`: oslo.policy options (`policy_file` defaults to `policy.yaml`, as Sahara sets;
    /// `enforce_scope` is kept from oslo.policy before its removal).
    pub struct PolicyOpts {
        group: "oslo_policy",
        namespace: "oslo.policy",
        enforce_scope: bool = OptSpec::bool("enforce_scope")
            .default("true")
            .deprecated_for_removal(Some("This configuration was added temporarily to facilitate a smooth transition to \
                the new RBAC. OpenStack will always enforce scope checks. This configuration \
                option is deprecated and will be removed in the 2025.2 cycle."))
            .help("This option controls whether or not to enforce scope when evaluating \
                policies. If ``True``, the scope of the token used in the request is compared \
                to the ``scope_types`` of the policy being enforced. If the scopes do not \
                match, an ``InvalidScope`` exception will be raised. If ``False``, a message \
                will be logged informing operators that policies are being invoked with \
                mismatching scope."),
        enforce_new_defaults: bool = OptSpec::bool("enforce_new_defaults")
            .default("true")
            .help("This option controls whether or not to use old deprecated defaults when \
                evaluating policies. If ``True``, the old deprecated defaults are not going \
                to be evaluated. This means if any existing token is allowed for old defaults \
                but is disallowed for new defaults, it will be disallowed. It is encouraged \
                to enable this flag along with the ``enforce_scope`` flag so that you can get \
                the benefits of new defaults and ``scope_type`` together. If ``False``, the \
                deprecated policy check string is logically OR'd with the new policy check \
                string, allowing for a graceful upgrade experience between releases with new \
                policies, which is the default behavior."),
        policy_file: String = OptSpec::str("policy_file")
            .default("policy.yaml")
            .help("The relative or absolute path of a file that maps roles to permissions for a \
                given service. Relative paths must be specified in relation to the \
                configuration file setting this option."),
        policy_default_rule: String = OptSpec::str("policy_default_rule")
            .default("default")
            .help("Default rule. Enforced when a requested rule is not found."),
        policy_dirs: Vec<String> = OptSpec::multi_str("policy_dirs")
            .default_multi(&["policy.d"])
            .help("Directories where policy configuration files are stored. They can be relative \
                to any directory in the search path defined by the config_dir option, or \
                absolute paths. The file defined by policy_file must exist for these \
                directories to be searched.  Missing or empty directories are ignored."),
        remote_content_type: String = OptSpec::str("remote_content_type")
            .default("application/x-www-form-urlencoded")
            .choices(&[("application/x-www-form-urlencoded", None), ("application/json", None)])
            .help("Content Type to send and receive data for REST based policy check"),
        remote_ssl_verify_server_crt: bool = OptSpec::bool("remote_ssl_verify_server_crt")
            .default("false")
            .help("server identity verification for REST based policy check"),
        remote_ssl_ca_crt_file: Option<String> = OptSpec::str("remote_ssl_ca_crt_file")
            .help("Absolute path to ca cert file for REST based policy check"),
        remote_ssl_client_crt_file: Option<String> = OptSpec::str("remote_ssl_client_crt_file")
            .help("Absolute path to client cert for REST based policy check"),
        remote_ssl_client_key_file: Option<String> = OptSpec::str("remote_ssl_client_key_file")
            .help("Absolute path client key file REST based policy check"),
        remote_timeout: f64 = OptSpec::float("remote_timeout")
            .default("60")
            .float_min(0.0)
            .help("Timeout in seconds for REST based policy check"),
    }
}

opt_group! {
    /// `[oslo_concurrency]`: oslo.concurrency lock options.
    pub struct ConcurrencyOpts {
        group: "oslo_concurrency",
        namespace: "oslo.concurrency",
        disable_process_locking: bool = OptSpec::bool("disable_process_locking")
            .default("false")
            .help("Enables or disables inter-process locks."),
        lock_path: Option<String> = OptSpec::str("lock_path")
            .computed_default(crate::spec::oslo_lock_path_default)
            .help("Directory to use for lock files.  For security, the specified directory \
                should only be writable by the user running the processes that need locking. \
                Defaults to environment variable OSLO_LOCK_PATH. If external locks are used, \
                a lock path must be set."),
    }
}

opt_group! {
    /// `[cors]`: oslo.middleware CORS options with Sahara's default headers and methods.
    pub struct CorsOpts {
        group: "cors",
        namespace: "oslo.middleware.cors",
        allowed_origin: Option<Vec<String>> = OptSpec::list("allowed_origin")
            .help("Indicate whether this resource may be shared with the domain received in the \
                requests \"origin\" header. Format: \"<protocol>://<host>[:<port>]\", no \
                trailing slash. Example: https://horizon.example.com"),
        allow_credentials: bool = OptSpec::bool("allow_credentials")
            .default("true")
            .help("Indicate that the actual request can include user credentials"),
        expose_headers: Vec<String> = OptSpec::list("expose_headers")
            .default("X-Auth-Token,X-Subject-Token,X-Service-Token,X-OpenStack-Request-ID")
            .help("Indicate which headers are safe to expose to the API. Defaults to HTTP Simple \
                Headers."),
        max_age: i64 = OptSpec::int("max_age")
            .default("3600")
            .help("Maximum cache age of CORS preflight requests."),
        allow_methods: Vec<String> = OptSpec::list("allow_methods")
            .default("GET,PUT,POST,DELETE,PATCH")
            .help("Indicate which methods can be used during the actual request."),
        allow_headers: Vec<String> = OptSpec::list("allow_headers")
            .default("X-Auth-Token,X-Identity-Status,X-Roles,X-Service-Catalog,X-User-Id,X-Tenant-Id,X-OpenStack-Request-ID")
            .help("Indicate which header field names may be used during the actual request."),
    }
}

opt_group! {
    /// `[healthcheck]`: oslo.middleware healthcheck options (`path` kept from before its removal upstream).
    pub struct HealthcheckOpts {
        group: "healthcheck",
        namespace: "oslo.middleware.healthcheck",
        path: String = OptSpec::str("path")
            .default("/healthcheck")
            .deprecated_for_removal(None)
            .help("The path to respond to healtcheck requests on."),
        detailed: bool = OptSpec::bool("detailed")
            .default("false")
            .help("Show more detailed information as part of the response. Security note: \
                Enabling this option may expose sensitive details about the service being \
                monitored. Be sure to verify that it will not violate your security policies."),
        backends: Vec<String> = OptSpec::list("backends")
            .default("")
            .help("Additional backends that can perform health checks and report that \
                information back as part of a request."),
        allowed_source_ranges: Vec<String> = OptSpec::list("allowed_source_ranges")
            .default("")
            .help("A list of network addresses to limit source ip allowed to access healthcheck \
                information. Any request from ip outside of these network addresses are \
                ignored."),
        ignore_proxied_requests: bool = OptSpec::bool("ignore_proxied_requests")
            .default("false")
            .help("Ignore requests with proxy headers."),
        disable_by_file_path: Option<String> = OptSpec::str("disable_by_file_path")
            .help("Check the presence of a file to determine if an application is running on a \
                port. Used by DisableByFileHealthcheck plugin."),
        disable_by_file_paths: Vec<String> = OptSpec::list("disable_by_file_paths")
            .default("")
            .help("Check the presence of a file based on a port to determine if an application \
                is running on a port. Expects a \"port:path\" list of strings. Used by \
                DisableByFilesPortsHealthcheck plugin."),
        enable_by_file_paths: Vec<String> = OptSpec::list("enable_by_file_paths")
            .default("")
            .help("Check the presence of files. Used by EnableByFilesHealthcheck plugin."),
    }
}

opt_group! {
    /// `[oslo_middleware]`: oslo.middleware http_proxy_to_wsgi options.
    pub struct MiddlewareOpts {
        group: "oslo_middleware",
        namespace: "oslo.middleware.http_proxy_to_wsgi",
        enable_proxy_headers_parsing: bool = OptSpec::bool("enable_proxy_headers_parsing")
            .default("false")
            .help("Whether the application is behind a proxy or not. This determines if the \
                middleware should parse the headers or not."),
    }
}

opt_group! {
    /// `[ssl]`: oslo.service sslutils options, used for TLS on the API listener.
    pub struct SslOpts {
        group: "ssl",
        namespace: "oslo.service.sslutils",
        ca_file: Option<String> = OptSpec::str("ca_file")
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "ssl_ca_file")])
            .help("CA certificate file to use to verify connecting clients."),
        cert_file: Option<String> = OptSpec::str("cert_file")
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "ssl_cert_file")])
            .help("Certificate file to use when starting the server securely."),
        key_file: Option<String> = OptSpec::str("key_file")
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "ssl_key_file")])
            .help("Private key file to use when starting the server securely."),
        version: Option<String> = OptSpec::str("version")
            .help("SSL version to use (valid only if SSL enabled). Valid values are TLSv1 and \
                SSLv23. SSLv2, SSLv3, TLSv1_1, and TLSv1_2 may be available on some \
                distributions."),
        ciphers: Option<String> = OptSpec::str("ciphers")
            .help("Sets the list of available ciphers. value should be a string in the OpenSSL \
                cipher list format."),
    }
}

opt_group! {
    /// oslo.service periodic_task options of `[DEFAULT]`.
    pub struct PeriodicTaskOpts {
        group: "DEFAULT",
        namespace: "oslo.service.periodic_task",
        run_external_periodic_tasks: bool = OptSpec::bool("run_external_periodic_tasks")
            .default("true")
            .help("Some periodic tasks can be run in a separate process. Should we run them here?"),
    }
}

opt_group! {
    /// oslo.service wsgi options of `[DEFAULT]` (accepted for compatibility; the Rust API server has no paste pipeline).
    pub struct WsgiOpts {
        group: "DEFAULT",
        namespace: "oslo.service.wsgi",
        api_paste_config: String = OptSpec::str("api_paste_config")
            .default("api-paste.ini")
            .help("File name for the paste.deploy config for api service"),
        wsgi_log_format: String = OptSpec::str("wsgi_log_format")
            .default("%(client_ip)s \"%(request_line)s\" status: %(status_code)s  len: %(body_length)s time: %(wall_seconds).7f")
            .help("A python format string that is used as the template to generate log lines. \
                The following values can beformatted into it: client_ip, date_time, \
                request_line, status_code, body_length, wall_seconds."),
        tcp_keepidle: i64 = OptSpec::int("tcp_keepidle")
            .default("600")
            .help("Sets the value of TCP_KEEPIDLE in seconds for each server socket. Not \
                supported on OS X."),
        wsgi_default_pool_size: i64 = OptSpec::int("wsgi_default_pool_size")
            .default("100")
            .help("Size of the pool of greenthreads used by wsgi"),
        max_header_line: i64 = OptSpec::int("max_header_line")
            .default("16384")
            .help("Maximum line size of message headers to be accepted. max_header_line may need \
                to be increased when using large tokens (typically those generated when \
                keystone is configured to use PKI tokens with big service catalogs)."),
        wsgi_keep_alive: bool = OptSpec::bool("wsgi_keep_alive")
            .default("true")
            .help("If False, closes the client socket connection explicitly."),
        client_socket_timeout: i64 = OptSpec::int("client_socket_timeout")
            .default("900")
            .help("Timeout for client connections' socket operations. If an incoming connection \
                is idle for this number of seconds it will be closed. A value of '0' means \
                wait forever."),
        wsgi_server_debug: bool = OptSpec::bool("wsgi_server_debug")
            .default("false")
            .help("True if the server should send exception tracebacks to the clients on 500 \
                errors. If False, the server will respond with empty bodies."),
    }
}
