//! oslo.middleware's healthcheck as Sahara configures it: `200 OK` (text), or
//! `503 DISABLED BY FILE` while the disable file exists. With no `[healthcheck] backends`
//! configured, Sahara's api-paste.ini defaults apply: `disable_by_file` on
//! `/etc/sahara/healthcheck_disable`.

use crate::ApiState;
use axum::extract::State;
use axum::http::StatusCode;

/// The disable file of Sahara's api-paste.ini.
pub const SAHARA_DISABLE_FILE: &str = "/etc/sahara/healthcheck_disable";

/// `GET|HEAD /healthcheck`.
pub async fn check(State(state): State<ApiState>) -> (StatusCode, &'static str) {
    let hc = &state.healthcheck;
    let (by_file, path) = if hc.backends.is_empty() {
        (true, Some(SAHARA_DISABLE_FILE))
    } else {
        (
            hc.backends.iter().any(|b| b == "disable_by_file"),
            hc.disable_by_file_path.as_deref(),
        )
    };
    match path.filter(|p| by_file && !p.is_empty()) {
        Some(p) if std::path::Path::new(p).exists() => (StatusCode::SERVICE_UNAVAILABLE, "DISABLED BY FILE"),
        _ => (StatusCode::OK, "OK"),
    }
}
