//! Sahara's closed vocabularies: cluster and job statuses, EDP job types, data source types, interface
//! argument kinds, health statuses and share access levels — each spelled exactly as Sahara stores it.

use crate::string_enum::string_enum;

string_enum! {
    /// A cluster's `status` column (sahara/utils/cluster.py, plus the conductor default and the API's "New").
    pub enum ClusterStatus {
        /// "New": only sent in the `sahara.cluster.create` notification, never stored.
        New => "New",
        /// "undefined": what the conductor stores on create before the API sets Validating.
        Undefined => "undefined",
        /// The API is validating the request and the plugin is checking the cluster.
        Validating => "Validating",
        /// The plugin updates the infrastructure before spawning.
        InfraUpdating => "InfraUpdating",
        /// Instances are being created.
        Spawning => "Spawning",
        /// Waiting for instances to get IPs and become reachable.
        Waiting => "Waiting",
        /// Preparing instances (volumes, hostnames, keys).
        Preparing => "Preparing",
        /// The plugin configures the cluster.
        Configuring => "Configuring",
        /// The plugin starts the cluster's services.
        Starting => "Starting",
        /// The cluster is up.
        Active => "Active",
        /// Nodes are being decommissioned before a scale-down.
        Decommissioning => "Decommissioning",
        /// Provisioning or scaling failed.
        Error => "Error",
        /// The cluster is being deleted; no status change is allowed afterwards.
        Deleting => "Deleting",
        /// A transient cluster finished its jobs and waits to be terminated.
        AwaitingTermination => "AwaitingTermination",
        /// Instances are being removed.
        DeletingInstances => "Deleting Instances",
        /// Instances are being added.
        AddingInstances => "Adding Instances",
        /// The infrastructure is being scaled.
        Scaling => "Scaling",
        /// Scaling: new instances are being created.
        ScalingSpawning => "Scaling: Spawning",
        /// Scaling: waiting for new instances.
        ScalingWaiting => "Scaling: Waiting",
        /// Scaling: preparing new instances.
        ScalingPreparing => "Scaling: Preparing",
        /// Rollback after a failed operation (prefix of the rollback stages).
        Rollback => "Rollback",
        /// Rollback: spawning stage.
        RollbackSpawning => "Rollback: Spawning",
        /// Rollback: waiting stage.
        RollbackWaiting => "Rollback: Waiting",
        /// Rollback: preparing stage.
        RollbackPreparing => "Rollback: Preparing",
    }
}

impl ClusterStatus {
    /// The three infrastructure stages (spawning, waiting, preparing) of a create, scale or rollback.
    pub const CREATE_STAGES: [ClusterStatus; 3] = [
        ClusterStatus::Spawning,
        ClusterStatus::Waiting,
        ClusterStatus::Preparing,
    ];
    /// The infrastructure stages of a scale-up.
    pub const SCALING_STAGES: [ClusterStatus; 3] = [
        ClusterStatus::ScalingSpawning,
        ClusterStatus::ScalingWaiting,
        ClusterStatus::ScalingPreparing,
    ];
    /// The infrastructure stages of a rollback.
    pub const ROLLBACK_STAGES: [ClusterStatus; 3] = [
        ClusterStatus::RollbackSpawning,
        ClusterStatus::RollbackWaiting,
        ClusterStatus::RollbackPreparing,
    ];
}

string_enum! {
    /// A job execution's `info.status` (sahara/utils/edp.py; engines may report others, kept in `Other`).
    pub enum JobStatus {
        /// Created by the API, not yet submitted.
        Pending => "PENDING",
        /// Accepted by the engine, preparing.
        Prep => "PREP",
        /// Submitted to Oozie, ready to run.
        ReadyToRun => "READYTORUN",
        /// Running.
        Running => "RUNNING",
        /// Finished successfully.
        Succeeded => "SUCCEEDED",
        /// Failed.
        Failed => "FAILED",
        /// Killed (cancelled).
        Killed => "KILLED",
        /// Finished, but with an error (Oozie).
        DoneWithError => "DONEWITHERROR",
        /// A cancel was requested.
        ToBeKilled => "TOBEKILLED",
        /// A suspend was requested.
        ToBeSuspended => "TOBESUSPENDED",
        /// Suspended while preparing (Oozie).
        PrepSuspended => "PREPSUSPENDED",
        /// Suspended.
        Suspended => "SUSPENDED",
        /// The suspend failed.
        SuspendFailed => "SUSPENDFAILED",
    }
}

impl JobStatus {
    /// True for statuses after which Sahara stops polling (`JOB_STATUSES_TERMINATED`).
    pub fn is_terminated(&self) -> bool {
        matches!(
            self,
            JobStatus::DoneWithError
                | JobStatus::Failed
                | JobStatus::Killed
                | JobStatus::Succeeded
                | JobStatus::SuspendFailed
        )
    }

    /// True for statuses from which a job may be suspended (`JOB_STATUSES_SUSPENDIBLE`).
    pub fn is_suspendible(&self) -> bool {
        matches!(self, JobStatus::Prep | JobStatus::Running)
    }
}

string_enum! {
    /// The action a job execution update may request in `info.status` (`JOB_ACTION_TYPES_ACCEPTABLE`).
    pub enum JobAction {
        /// Suspend the job.
        Suspend => "suspend",
        /// Cancel the job.
        Cancel => "cancel",
    }
}

string_enum! {
    /// An EDP job type (`JOB_TYPES_ALL`), the `type` column of jobs.
    pub enum JobType {
        /// Hive script.
        Hive => "Hive",
        /// Java main class.
        Java => "Java",
        /// MapReduce job.
        MapReduce => "MapReduce",
        /// Hadoop streaming job.
        MapReduceStreaming => "MapReduce.Streaming",
        /// Pig script.
        Pig => "Pig",
        /// Shell script.
        Shell => "Shell",
        /// Spark application.
        Spark => "Spark",
        /// Storm topology.
        Storm => "Storm",
        /// Storm topology written with Pyleus.
        StormPyleus => "Storm.Pyleus",
    }
}

impl JobType {
    /// Splits the type at the first `.` into (type, subtype), as `edp.split_job_type` does.
    pub fn split(&self) -> (&str, &str) {
        let s = self.as_str();
        s.split_once('.').unwrap_or((s, ""))
    }

    /// The configuration sections (`configs`, `params`, `args`) a job of this type accepts.
    pub fn acceptable_config_sections(&self) -> &'static [&'static str] {
        match self {
            JobType::Hive => &["configs", "params"],
            JobType::Pig | JobType::Shell => &["configs", "params", "args"],
            JobType::MapReduce | JobType::MapReduceStreaming => &["configs"],
            JobType::Java | JobType::Spark => &["configs", "args"],
            JobType::Storm => &["args"],
            JobType::StormPyleus | JobType::Other(_) => &[],
        }
    }
}

string_enum! {
    /// A data source's `type` column.
    pub enum DataSourceType {
        /// OpenStack Swift object.
        Swift => "swift",
        /// HDFS path.
        Hdfs => "hdfs",
        /// MapR-FS path.
        Maprfs => "maprfs",
        /// Manila share path.
        Manila => "manila",
        /// S3 object.
        S3 => "s3",
    }
}

string_enum! {
    /// Where a job interface argument maps (`mapping_type`).
    pub enum MappingType {
        /// A positional argument; `location` is its index.
        Args => "args",
        /// A job configuration; `location` is the config name.
        Configs => "configs",
        /// A job parameter; `location` is the parameter name.
        Params => "params",
    }
}

string_enum! {
    /// The value kind of a job interface argument (`value_type`).
    pub enum ValueType {
        /// Free text.
        String => "string",
        /// A number.
        Number => "number",
        /// A data source id or URL.
        DataSource => "data_source",
    }
}

string_enum! {
    /// The status of a cluster verification or health check (sahara/service/health/common.py).
    pub enum HealthStatus {
        /// Healthy.
        Green => "GREEN",
        /// Degraded.
        Yellow => "YELLOW",
        /// Failed.
        Red => "RED",
        /// Checks are running.
        Checking => "CHECKING",
    }
}

impl HealthStatus {
    /// True once a check has finished (`HEALTH_STATUS_DONE`).
    pub fn is_done(&self) -> bool {
        matches!(self, HealthStatus::Green | HealthStatus::Yellow | HealthStatus::Red)
    }
}

string_enum! {
    /// The operation a cluster update may request in `verification.status` (`VERIFICATIONS_OPS`).
    pub enum VerificationOp {
        /// Start a new verification.
        Start => "START",
    }
}

string_enum! {
    /// A Manila share's access level in a `shares` list.
    pub enum ShareAccessLevel {
        /// Read-write (Sahara's default).
        Rw => "rw",
        /// Read-only.
        Ro => "ro",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cluster_status_spellings() {
        let expected = [
            (ClusterStatus::New, "New"),
            (ClusterStatus::Undefined, "undefined"),
            (ClusterStatus::Validating, "Validating"),
            (ClusterStatus::InfraUpdating, "InfraUpdating"),
            (ClusterStatus::Spawning, "Spawning"),
            (ClusterStatus::Waiting, "Waiting"),
            (ClusterStatus::Preparing, "Preparing"),
            (ClusterStatus::Configuring, "Configuring"),
            (ClusterStatus::Starting, "Starting"),
            (ClusterStatus::Active, "Active"),
            (ClusterStatus::Decommissioning, "Decommissioning"),
            (ClusterStatus::Error, "Error"),
            (ClusterStatus::Deleting, "Deleting"),
            (ClusterStatus::AwaitingTermination, "AwaitingTermination"),
            (ClusterStatus::DeletingInstances, "Deleting Instances"),
            (ClusterStatus::AddingInstances, "Adding Instances"),
            (ClusterStatus::Scaling, "Scaling"),
            (ClusterStatus::ScalingSpawning, "Scaling: Spawning"),
            (ClusterStatus::ScalingWaiting, "Scaling: Waiting"),
            (ClusterStatus::ScalingPreparing, "Scaling: Preparing"),
            (ClusterStatus::Rollback, "Rollback"),
            (ClusterStatus::RollbackSpawning, "Rollback: Spawning"),
            (ClusterStatus::RollbackWaiting, "Rollback: Waiting"),
            (ClusterStatus::RollbackPreparing, "Rollback: Preparing"),
        ];
        assert_eq!(expected.len(), ClusterStatus::KNOWN.len());
        for (status, text) in expected {
            assert_eq!(status.to_string(), text);
            assert_eq!(text.parse::<ClusterStatus>().unwrap(), status);
            assert_eq!(serde_json::to_value(&status).unwrap(), json!(text));
            assert_eq!(serde_json::from_value::<ClusterStatus>(json!(text)).unwrap(), status);
        }
    }

    #[test]
    fn unknown_values_round_trip() {
        let s: ClusterStatus = serde_json::from_value(json!("Scaling: Exploding")).unwrap();
        assert_eq!(s, ClusterStatus::Other("Scaling: Exploding".into()));
        assert!(s.is_other());
        assert_eq!(serde_json::to_value(&s).unwrap(), json!("Scaling: Exploding"));
        // Case matters: Sahara compares statuses verbatim.
        assert_eq!(ClusterStatus::parse("active"), ClusterStatus::Other("active".into()));
        let j: JobStatus = serde_json::from_value(json!("WEIRD")).unwrap();
        assert_eq!(serde_json::to_value(&j).unwrap(), json!("WEIRD"));
        let t: JobType = "Storm.Unknown".parse().unwrap();
        assert_eq!(t.to_string(), "Storm.Unknown");
        let d = DataSourceType::from(String::from("ftp"));
        assert_eq!(String::from(d), "ftp");
    }

    #[test]
    fn job_status_spellings_and_groups() {
        let all = [
            "PENDING",
            "PREP",
            "READYTORUN",
            "RUNNING",
            "SUCCEEDED",
            "FAILED",
            "KILLED",
            "DONEWITHERROR",
            "TOBEKILLED",
            "TOBESUSPENDED",
            "PREPSUSPENDED",
            "SUSPENDED",
            "SUSPENDFAILED",
        ];
        assert_eq!(all.len(), JobStatus::KNOWN.len());
        for s in all {
            let parsed = JobStatus::parse(s);
            assert!(!parsed.is_other(), "{s}");
            assert_eq!(parsed.as_str(), s);
        }
        let terminated: Vec<&str> = JobStatus::KNOWN
            .iter()
            .filter(|s| s.is_terminated())
            .map(|s| s.as_str())
            .collect();
        assert_eq!(
            terminated,
            ["SUCCEEDED", "FAILED", "KILLED", "DONEWITHERROR", "SUSPENDFAILED"]
        );
        assert!(JobStatus::Prep.is_suspendible() && JobStatus::Running.is_suspendible());
        assert!(!JobStatus::Pending.is_suspendible());
    }

    #[test]
    fn job_types_and_splitting() {
        let all: Vec<&str> = JobType::KNOWN.iter().map(|t| t.as_str()).collect();
        assert_eq!(
            all,
            [
                "Hive",
                "Java",
                "MapReduce",
                "MapReduce.Streaming",
                "Pig",
                "Shell",
                "Spark",
                "Storm",
                "Storm.Pyleus"
            ]
        );
        assert_eq!(JobType::MapReduceStreaming.split(), ("MapReduce", "Streaming"));
        assert_eq!(JobType::Pig.split(), ("Pig", ""));
        assert_eq!(JobType::Pig.acceptable_config_sections(), ["configs", "params", "args"]);
        assert!(JobType::StormPyleus.acceptable_config_sections().is_empty());
    }

    #[test]
    fn small_vocabularies() {
        let ds: Vec<&str> = DataSourceType::KNOWN.iter().map(|t| t.as_str()).collect();
        assert_eq!(ds, ["swift", "hdfs", "maprfs", "manila", "s3"]);
        let h: Vec<&str> = HealthStatus::KNOWN.iter().map(|t| t.as_str()).collect();
        assert_eq!(h, ["GREEN", "YELLOW", "RED", "CHECKING"]);
        assert!(HealthStatus::Red.is_done() && !HealthStatus::Checking.is_done());
        assert_eq!(MappingType::parse("params"), MappingType::Params);
        assert_eq!(ValueType::parse("data_source"), ValueType::DataSource);
        assert_eq!(ShareAccessLevel::parse("ro"), ShareAccessLevel::Ro);
        assert_eq!(VerificationOp::Start, "START");
        assert_eq!(JobAction::parse("cancel"), JobAction::Cancel);
    }
}
