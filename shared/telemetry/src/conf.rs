//! Telemetry options from `sahara.conf`: oslo.log's `[DEFAULT]` options and our
//! `[profiler]` group (`enabled` + an OTLP `connection_string`).

use crate::TelemetryOptions;
use sahara_config::{ConfigError, ConfigOpts, LoggingOpts, ProfilerOpts};
use std::path::PathBuf;

impl TelemetryOptions {
    /// Options for `service_name` as the configuration sets them.
    pub fn from_conf(service_name: &str, conf: &ConfigOpts) -> Result<Self, ConfigError> {
        let log: LoggingOpts = conf.group()?;
        let profiler: ProfilerOpts = conf.group()?;
        let non_empty = |s: Option<String>| s.filter(|v| !v.is_empty()).map(PathBuf::from);
        Ok(TelemetryOptions {
            service_name: service_name.to_string(),
            debug: log.debug,
            log_dir: non_empty(log.log_dir),
            log_file: non_empty(log.log_file),
            use_stderr: log.use_stderr,
            otlp_endpoint: (profiler.enabled && !profiler.connection_string.is_empty())
                .then_some(profiler.connection_string),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolla_logging_and_profiler() {
        let conf = ConfigOpts::from_ini_str(
            "[DEFAULT]\ndebug = True\nlog_dir = /var/log/kolla/sahara\n[profiler]\nenabled = True\nconnection_string = otlp://127.0.0.1:4318\n",
        )
        .unwrap();
        let o = TelemetryOptions::from_conf("sahara-engine", &conf).unwrap();
        assert!(o.debug);
        assert_eq!(
            o.log_path(),
            Some(PathBuf::from("/var/log/kolla/sahara/sahara-engine.log"))
        );
        assert_eq!(o.otlp_endpoint.as_deref(), Some("otlp://127.0.0.1:4318"));
        let off = ConfigOpts::from_ini_str("[profiler]\nenabled = False\nconnection_string = otlp://x:1\n").unwrap();
        assert_eq!(TelemetryOptions::from_conf("x", &off).unwrap().otlp_endpoint, None);
    }
}
