//! oslo.log options of `[DEFAULT]`.

use crate::spec::{DeprecatedName, OptSpec};

opt_group! {
    /// oslo.log options of `[DEFAULT]`; `default_log_levels` includes Sahara's additions.
    pub struct LoggingOpts {
        group: "DEFAULT",
        namespace: "oslo.log",
        debug: bool = OptSpec::bool("debug")
            .default("false")
            .mutable()
            .help("If set to true, the logging level will be set to DEBUG instead of the default \
                INFO level."),
        log_config_append: Option<String> = OptSpec::str("log_config_append")
            .mutable()
            .deprecated(&[DeprecatedName::same_group("log_config")])
            .help("The name of a logging configuration file. This file is appended to any \
                existing logging configuration files. For details about logging configuration \
                files, see the Python logging module documentation. Note that when logging \
                configuration files are used then all logging configuration is set in the \
                configuration file and other logging configuration options are ignored (for \
                example, log-date-format)."),
        log_date_format: String = OptSpec::str("log_date_format")
            .default("%Y-%m-%d %H:%M:%S")
            .help("Defines the format string for %%(asctime)s in log records. Default: \
                %(default)s . This option is ignored if log_config_append is set."),
        log_file: Option<String> = OptSpec::str("log_file")
            .deprecated(&[DeprecatedName::same_group("logfile")])
            .help("(Optional) Name of log file to send logging output to. If no default is set, \
                logging will go to stderr as defined by use_stderr. This option is ignored if \
                log_config_append is set."),
        log_dir: Option<String> = OptSpec::str("log_dir")
            .deprecated(&[DeprecatedName::same_group("logdir")])
            .help("(Optional) The base directory used for relative log_file  paths. This option \
                is ignored if log_config_append is set."),
        use_syslog: bool = OptSpec::bool("use_syslog")
            .default("false")
            .help("Use syslog for logging. Existing syslog format is DEPRECATED and will be \
                changed later to honor RFC5424. This option is ignored if log_config_append \
                is set."),
        use_journal: bool = OptSpec::bool("use_journal")
            .default("false")
            .help("Enable journald for logging. If running in a systemd environment you may wish \
                to enable journal support. Doing so will use the journal native protocol \
                which includes structured metadata in addition to log messages.This option is \
                ignored if log_config_append is set."),
        syslog_log_facility: String = OptSpec::str("syslog_log_facility")
            .default("LOG_USER")
            .help("Syslog facility to receive log lines. This option is ignored if \
                log_config_append is set."),
        use_json: bool = OptSpec::bool("use_json")
            .default("false")
            .help("Use JSON formatting for logging. This option is ignored if log_config_append \
                is set."),
        use_stderr: bool = OptSpec::bool("use_stderr")
            .default("false")
            .help("Log output to standard error. This option is ignored if log_config_append is \
                set."),
        log_color: bool = OptSpec::bool("log_color")
            .default("false")
            .help("(Optional) Set the 'color' key according to log levels. This option takes \
                effect only when logging to stderr or stdout is used. This option is ignored \
                if log_config_append is set."),
        log_rotate_interval: i64 = OptSpec::int("log_rotate_interval")
            .default("1")
            .help("The amount of time before the log files are rotated. This option is ignored \
                unless log_rotation_type is set to \"interval\"."),
        log_rotate_interval_type: String = OptSpec::str("log_rotate_interval_type")
            .default("days")
            .choices(&[("Seconds", None), ("Minutes", None), ("Hours", None), ("Days", None), ("Weekday", None), ("Midnight", None)])
            .ignore_case()
            .help("Rotation interval type. The time of the last file change (or the time when \
                the service was started) is used when scheduling the next rotation."),
        max_logfile_count: i64 = OptSpec::int("max_logfile_count")
            .default("30")
            .help("Maximum number of rotated log files."),
        max_logfile_size_mb: i64 = OptSpec::int("max_logfile_size_mb")
            .default("200")
            .help("Log file maximum size in MB. This option is ignored if \"log_rotation_type\" \
                is not set to \"size\"."),
        log_rotation_type: String = OptSpec::str("log_rotation_type")
            .default("none")
            .choices(&[("interval", Some("Rotate logs at predefined time intervals.")), ("size", Some("Rotate logs once they reach a predefined size.")), ("none", Some("Do not rotate log files."))])
            .ignore_case()
            .help("Log rotation type."),
        logging_context_format_string: String = OptSpec::str("logging_context_format_string")
            .default("%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s [%(global_request_id)s %(request_id)s %(user_identity)s] %(instance)s%(message)s")
            .help("Format string to use for log messages with context. Used by \
                oslo_log.formatters.ContextFormatter"),
        logging_default_format_string: String = OptSpec::str("logging_default_format_string")
            .default("%(asctime)s.%(msecs)03d %(process)d %(levelname)s %(name)s [-] %(instance)s%(message)s")
            .help("Format string to use for log messages when context is undefined. Used by \
                oslo_log.formatters.ContextFormatter"),
        logging_debug_format_suffix: String = OptSpec::str("logging_debug_format_suffix")
            .default("%(funcName)s %(pathname)s:%(lineno)d")
            .help("Additional data to append to log message when logging level for the message \
                is DEBUG. Used by oslo_log.formatters.ContextFormatter"),
        logging_exception_prefix: String = OptSpec::str("logging_exception_prefix")
            .default("%(asctime)s.%(msecs)03d %(process)d ERROR %(name)s %(instance)s")
            .help("Prefix each line of exception output with this format. Used by \
                oslo_log.formatters.ContextFormatter"),
        logging_user_identity_format: String = OptSpec::str("logging_user_identity_format")
            .default("%(user)s %(project)s %(domain)s %(system_scope)s %(user_domain)s %(project_domain)s")
            .help("Defines the format string for %(user_identity)s that is used in \
                logging_context_format_string. Used by oslo_log.formatters.ContextFormatter"),
        default_log_levels: Vec<String> = OptSpec::list("default_log_levels")
            .default("amqp=WARN,boto=WARN,sqlalchemy=WARN,suds=INFO,oslo.messaging=INFO,oslo_messaging=INFO,iso8601=WARN,requests.packages.urllib3.connectionpool=WARN,urllib3.connectionpool=WARN,websocket=WARN,requests.packages.urllib3.util.retry=WARN,urllib3.util.retry=WARN,keystonemiddleware=WARN,routes.middleware=WARN,stevedore=WARN,taskflow=WARN,keystoneauth=WARN,oslo.cache=INFO,oslo_policy=INFO,dogpile.core.dogpile=INFO,stevedore=INFO,eventlet.wsgi.server=WARN,paramiko=WARN,requests=WARN,neutronclient=INFO")
            .help("List of package logging levels in logger=LEVEL pairs. This option is ignored \
                if log_config_append is set."),
        publish_errors: bool = OptSpec::bool("publish_errors")
            .default("false")
            .help("Enables or disables publication of error events."),
        instance_format: String = OptSpec::str("instance_format")
            .default("[instance: %(uuid)s] ")
            .help("The format for an instance that is passed with the log message."),
        instance_uuid_format: String = OptSpec::str("instance_uuid_format")
            .default("[instance: %(uuid)s] ")
            .help("The format for an instance UUID that is passed with the log message."),
        rate_limit_interval: i64 = OptSpec::int("rate_limit_interval")
            .default("0")
            .help("Interval, number of seconds, of log rate limiting."),
        rate_limit_burst: i64 = OptSpec::int("rate_limit_burst")
            .default("0")
            .help("Maximum number of logged messages per rate_limit_interval."),
        rate_limit_except_level: String = OptSpec::str("rate_limit_except_level")
            .default("CRITICAL")
            .choices(&[("CRITICAL", None), ("ERROR", None), ("INFO", None), ("WARNING", None), ("DEBUG", None), ("", None)])
            .help("Log level name used by rate limiting. Logs with level greater or equal to \
                rate_limit_except_level are not filtered. An empty string means that all \
                levels are filtered."),
        fatal_deprecations: bool = OptSpec::bool("fatal_deprecations")
            .default("false")
            .help("Enables or disables fatal status of deprecations."),
    }
}
