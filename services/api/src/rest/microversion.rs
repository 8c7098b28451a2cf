//! v2 microversions as sahara/api/microversion.py and `RestV2` handle them: the requested
//! `OpenStack-API-Version: data-processing <version>` (parsed as microversion_parse does), the 400/406 answers,
//! and the `Vary` / `OpenStack-API-Version` headers of every v2 response.

use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, StatusCode};

/// Versions v2 serves.
pub const API_VERSIONS: &[&str] = &["2.0"];
/// The oldest version.
pub const MIN_API_VERSION: &str = "2.0";
/// The newest version.
pub const MAX_API_VERSION: &str = "2.0";
/// The alias of the newest version.
pub const LATEST: &str = "latest";
/// The request and response header.
pub const OPENSTACK_API_VERSION_HEADER: &str = "OpenStack-API-Version";
/// Sahara's service type in that header.
pub const SERVICE_TYPE: &str = "data-processing";

/// microversion_parse's `get_version`: the last `data-processing <version>` item of the (folded)
/// `OpenStack-API-Version` headers; the service type compares case-insensitively.
fn header_version(headers: &HeaderMap) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(OPENSTACK_API_VERSION_HEADER)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).trim().to_string())
        .collect();
    if values.is_empty() {
        return None;
    }
    let folded = values.join(",");
    folded.split(',').rev().find_map(|item| {
        let item = item.trim();
        let (service, version) = item.split_once(char::is_whitespace)?;
        let version = version.trim();
        (service.eq_ignore_ascii_case(SERVICE_TYPE) && !version.is_empty()).then(|| version.to_string())
    })
}

/// Sahara's `get_requested_microversion`: the header's version, `2.0` when absent, the maximum for `latest`.
pub fn requested(headers: &HeaderMap) -> String {
    match header_version(headers) {
        None => MIN_API_VERSION.to_string(),
        Some(v) if v == LATEST => MAX_API_VERSION.to_string(),
        Some(v) => v,
    }
}

/// `^([1-9]\d*).([1-9]\d*|0)$` (the `.` is any character, as in Sahara's regex).
fn well_formed(v: &str) -> bool {
    let chars: Vec<char> = v.chars().collect();
    let digits = |s: &[char]| !s.is_empty() && s.iter().all(char::is_ascii_digit);
    // The major part is greedy digits not starting with 0; any one character separates it from the minor.
    (1..chars.len()).any(|sep| {
        let (major, rest) = chars.split_at(sep);
        let minor = &rest[1..];
        digits(major) && major[0] != '0' && (minor == ['0'] || (digits(minor) && minor[0] != '0'))
    })
}

fn error(status: StatusCode, name: &str, message: String) -> ApiError {
    ApiError::new(status, name, message)
        .with_extra("max_version", MAX_API_VERSION)
        .with_extra("min_version", MIN_API_VERSION)
}

/// `check_microversion_header`: 400 BAD_REQUEST for a malformed version, 406 NOT_ACCEPTABLE for one v2
/// does not serve; both bodies carry `max_version` and `min_version`.
pub fn check(headers: &HeaderMap) -> Result<(), ApiError> {
    let v = requested(headers);
    if !well_formed(&v) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            format!("API Version String {v} is of invalid format. Must be of format MajorNum.MinorNum."),
        ));
    }
    if !API_VERSIONS.contains(&v.as_str()) {
        return Err(error(
            StatusCode::NOT_ACCEPTABLE,
            "NOT_ACCEPTABLE",
            format!(
                "Version {v} is not supported by the API. Minimum is {MIN_API_VERSION} and maximum is {MAX_API_VERSION}."
            ),
        ));
    }
    Ok(())
}

/// `add_vary_header`: `Vary: OpenStack-API-Version` and `OpenStack-API-Version: data-processing <requested>`.
pub fn add_headers(request: &HeaderMap, response: &mut HeaderMap) {
    let value = format!("{SERVICE_TYPE} {}", requested(request));
    response.insert("vary", HeaderValue::from_static(OPENSTACK_API_VERSION_HEADER));
    let value = HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(SERVICE_TYPE));
    response.insert(OPENSTACK_API_VERSION_HEADER, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(OPENSTACK_API_VERSION_HEADER, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn requested_version_as_microversion_parse() {
        assert_eq!(requested(&headers(&[])), "2.0");
        assert_eq!(requested(&headers(&["data-processing latest"])), "2.0");
        assert_eq!(requested(&headers(&["Data-Processing 2.7"])), "2.7");
        assert_eq!(requested(&headers(&["compute 2.1"])), "2.0");
        assert_eq!(requested(&headers(&["data-processing 2.1, compute 2.5"])), "2.1");
        assert_eq!(
            requested(&headers(&["data-processing 2.1", "data-processing 2.3"])),
            "2.3"
        );
        assert_eq!(requested(&headers(&["data-processing"])), "2.0");
        assert_eq!(requested(&headers(&["data-processing 2.0 x"])), "2.0 x");
    }

    #[test]
    fn format_and_support() {
        for ok in ["2.0", "1.0", "10.25", "2x0"] {
            assert!(well_formed(ok), "{ok}");
        }
        for bad in ["2", "02.0", "2.00", "2.01", "abc", "2.0 x", ".0", "2."] {
            assert!(!well_formed(bad), "{bad}");
        }
        assert!(check(&headers(&["data-processing 2.0"])).is_ok());
        let e = check(&headers(&["data-processing 2.1"])).unwrap_err();
        assert_eq!((e.status.as_u16(), e.name.as_str()), (406, "NOT_ACCEPTABLE"));
        assert_eq!(
            e.message,
            "Version 2.1 is not supported by the API. Minimum is 2.0 and maximum is 2.0."
        );
        let e = check(&headers(&["data-processing abc"])).unwrap_err();
        assert_eq!((e.status.as_u16(), e.name.as_str()), (400, "BAD_REQUEST"));
        assert_eq!(
            e.message,
            "API Version String abc is of invalid format. Must be of format MajorNum.MinorNum."
        );
        assert_eq!(e.extra["max_version"], "2.0");
        assert_eq!(e.extra["min_version"], "2.0");
    }
}
