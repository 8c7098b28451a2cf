//! EDP resources: data sources, jobs (v2 job templates) with binaries and interface, job binaries, internal
//! job binaries (metadata only) and job executions (v2 jobs).

use super::JsonMap;
use crate::enums::{DataSourceType, JobStatus, JobType, MappingType, ValueType};
use crate::timestamp;
use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A row of `data_sources`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataSource {
    /// Data source id.
    pub id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Storage type.
    pub r#type: DataSourceType,
    /// Location, e.g. `swift://container/object`.
    pub url: String,
    /// Access credentials (swift user/password, s3 keys); removed from API responses.
    pub credentials: Option<JsonMap>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `jobs` (v2: a job template) with its main and library binaries and interface arguments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Job id.
    pub id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// EDP job type.
    pub r#type: JobType,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
    /// Main binaries (`mains_association`).
    #[serde(default)]
    pub mains: Vec<JobBinary>,
    /// Library binaries (`libs_association`).
    #[serde(default)]
    pub libs: Vec<JobBinary>,
    /// Interface arguments, ordered by `order`.
    #[serde(default)]
    pub interface: Vec<JobInterfaceArgument>,
}

impl Job {
    /// Name of the first main binary (`job_main_name`).
    pub fn main_name(&self) -> Option<&str> {
        self.mains.first().map(|b| b.name.as_str())
    }

    /// Names of the library binaries (`job_lib_names`).
    pub fn lib_names(&self) -> Vec<&str> {
        self.libs.iter().map(|b| b.name.as_str()).collect()
    }
}

/// A row of `job_interface_arguments`: one named input of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobInterfaceArgument {
    /// Argument id.
    pub id: String,
    /// Owning job.
    pub job_id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Argument name, unique per job.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Where the value goes.
    pub mapping_type: MappingType,
    /// Config/param name, or positional index for `args`.
    pub location: String,
    /// Value kind.
    pub value_type: ValueType,
    /// Must be given at execution.
    pub required: bool,
    /// Position in the interface, unique per job.
    pub order: i16,
    /// Default value.
    pub default: Option<String>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `job_binaries`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobBinary {
    /// Binary id.
    pub id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Name, unique per tenant.
    pub name: String,
    /// Free text description.
    pub description: Option<String>,
    /// Location: `internal-db://<id>`, `swift://...`, `s3://...`, `manila://...`.
    pub url: String,
    /// Access credentials (user/password, accesskey/secretkey/endpoint); removed from API responses.
    pub extra: Option<JsonMap>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `job_binary_internal`, without its `data` (which is fetched separately).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobBinaryInternal {
    /// Binary id.
    pub id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Name, unique per tenant.
    pub name: String,
    /// Size of the data in bytes.
    pub datasize: Option<i64>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

/// A row of `job_executions` (v2: a job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobExecution {
    /// Execution id.
    pub id: String,
    /// Owning project.
    pub tenant_id: Option<String>,
    /// Job (template) run.
    pub job_id: Option<String>,
    /// Input data source.
    pub input_id: Option<String>,
    /// Output data source.
    pub output_id: Option<String>,
    /// When the engine started the job.
    #[serde(default, with = "timestamp::option")]
    pub start_time: Option<NaiveDateTime>,
    /// When the job reached a terminal status.
    #[serde(default, with = "timestamp::option")]
    pub end_time: Option<NaiveDateTime>,
    /// Cluster the job runs on.
    pub cluster_id: Option<String>,
    /// `{"status": ...}` plus engine details (Oozie actions, ...).
    pub info: Option<JsonMap>,
    /// Engine's id of the job (Oozie id, pid@instance, ...).
    pub engine_job_id: Option<String>,
    /// Exit code reported by the engine.
    pub return_code: Option<String>,
    /// configs/params/args/job_execution_info (+ trusts, proxy_configs, set by Sahara).
    pub job_configs: Option<JsonMap>,
    /// Engine bookkeeping (hidden).
    pub extra: Option<JsonMap>,
    /// Data source id -> resolved URL.
    pub data_source_urls: Option<BTreeMap<String, String>>,
    /// Visible to other projects.
    pub is_public: Option<bool>,
    /// Protected from update and delete.
    pub is_protected: Option<bool>,
    /// Creation time.
    #[serde(default, with = "timestamp::option")]
    pub created_at: Option<NaiveDateTime>,
    /// Last update time.
    #[serde(default, with = "timestamp::option")]
    pub updated_at: Option<NaiveDateTime>,
}

impl JobExecution {
    /// The job status in `info.status`, if any.
    pub fn status(&self) -> Option<JobStatus> {
        self.info.as_ref()?.get("status")?.as_str().map(JobStatus::parse)
    }

    /// True once the job reached a terminal status.
    pub fn is_terminated(&self) -> bool {
        self.status().is_some_and(|s| s.is_terminated())
    }
}
