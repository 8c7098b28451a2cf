//! EDP resources: data sources, job binaries and internal job binaries, jobs (v2 job templates), job types and
//! config hints, job executions (v2 jobs): the routes of sahara/api/v11.py (under `/v1.1`) and
//! sahara/api/v2/{data_sources,job_binaries,job_templates,job_types,jobs}.py, over the conductor. Running, cancelling
//! and deleting a job execution are the engine's: they are cast to it on `sahara-ops` ([`ops`]).

pub mod checks;
pub mod data_source;
pub mod job;
pub mod job_binary;
pub mod job_execution;
pub mod ops;
pub mod proxy;

use crate::error::ApiError;
use crate::rest::{Args, Routes, listing};
use crate::templates::Obj;
use sahara_model::ApiVersion;
use serde_json::Value;

/// The EDP options (`[DEFAULT]`): proxy users and the size limit of job binaries read from a store.
#[derive(Debug, Clone, Default)]
pub struct EdpOpts {
    /// `use_domain_for_proxy_users` (off by default).
    pub use_domain_for_proxy_users: bool,
    /// `proxy_user_domain_name`.
    pub proxy_user_domain_name: Option<String>,
    /// `proxy_user_role_names` (`member`).
    pub proxy_user_role_names: Vec<String>,
    /// `job_binary_max_KB` (5120).
    pub job_binary_max_kb: i64,
}

impl EdpOpts {
    /// The options of the configuration.
    pub fn from_conf(conf: &sahara_config::ConfigOpts) -> anyhow::Result<Self> {
        let o: sahara_config::SaharaServiceOpts = conf.group()?;
        let edp: sahara_config::SaharaEdpOpts = conf.group()?;
        Ok(EdpOpts {
            use_domain_for_proxy_users: o.use_domain_for_proxy_users,
            proxy_user_domain_name: o.proxy_user_domain_name,
            proxy_user_role_names: o.proxy_user_role_names,
            job_binary_max_kb: edp.job_binary_max_kb,
        })
    }
}

/// Every EDP route of every blueprint.
pub fn routes() -> Vec<Routes> {
    let mut all = data_source::routes();
    all.extend(job_binary::routes());
    all.extend(job::routes());
    all.extend(job_execution::routes());
    all
}

/// The resource shapes of a handler instantiated for v2 (`true`) or v1.1 (`false`).
pub fn version(v2: bool) -> ApiVersion {
    if v2 { ApiVersion::V2 } else { ApiVersion::V1 }
}

/// A list call's validation after the marker's `check_exists`, in Sahara's decorator order: `limit`, `sort_by`
/// against `sort_fields`, and on v2 the whitelist `v2_params` of the view function `func`; then the conductor
/// filters (every argument's first value).
pub fn list_filters(
    args: &Args,
    v2: bool,
    sort_fields: &[&str],
    v2_params: &[&str],
    func: &str,
) -> Result<Obj, ApiError> {
    listing::limit(args)?;
    listing::validate_sorting(args, sort_fields)?;
    if v2 {
        args.only(func, v2_params)?;
    }
    let mut filters = Obj::new();
    for key in args.keys() {
        if let Some(v) = args.get(key) {
            filters.insert(key.to_string(), Value::String(v.to_string()));
        }
    }
    Ok(filters)
}

/// The parts of Python's `urllib.parse.urlparse` Sahara's URL checks read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Url {
    /// Lower-cased scheme, empty when there is none.
    pub scheme: String,
    /// The authority after `//`.
    pub netloc: String,
    /// The path, without query and fragment.
    pub path: String,
}

impl Url {
    /// Splits `url` as `urlparse` does (enough for Sahara's checks).
    pub fn parse(url: &str) -> Url {
        let mut rest = url;
        let mut scheme = String::new();
        if let Some((s, after)) = url.split_once(':')
            && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            scheme = s.to_ascii_lowercase();
            rest = after;
        }
        let mut netloc = String::new();
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            netloc = after[..end].to_string();
            rest = &after[end..];
        }
        let end = rest.find(['?', '#']).unwrap_or(rest.len());
        Url {
            scheme,
            netloc,
            path: rest[..end].to_string(),
        }
    }

    /// `hostname`: the host of the netloc, lower-cased; `None` when empty.
    pub fn hostname(&self) -> Option<String> {
        let host = self.netloc.rsplit_once('@').map_or(self.netloc.as_str(), |(_, h)| h);
        let host = match host.strip_prefix('[') {
            Some(b) => b.split_once(']').map_or(b, |(h, _)| h),
            None => host.split_once(':').map_or(host, |(h, _)| h),
        };
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }
}

/// oslo's `uuidutils.is_uuid_like`: a UUID in any of the spellings Python's `uuid.UUID` reads, compared in its
/// canonical form.
pub fn is_uuid_like(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_as_python_does() {
        let u = Url::parse("swift://container.sahara/obj/x?y");
        assert_eq!(u.scheme, "swift");
        assert_eq!(u.netloc, "container.sahara");
        assert_eq!(u.path, "/obj/x");
        assert_eq!(Url::parse("/user/hadoop/in").scheme, "");
        assert_eq!(Url::parse("hdfs:///x").hostname(), None);
        assert_eq!(Url::parse("s3://Bucket:9/k").hostname().as_deref(), Some("bucket"));
        assert!(is_uuid_like("00000000-0000-0000-0000-000000000000"));
        assert!(!is_uuid_like("0000"));
    }
}
