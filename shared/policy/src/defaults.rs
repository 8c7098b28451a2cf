//! Sahara's 109 default policies (`sahara/common/policies/*.py`, in `list_rules()` order):
//! names, check strings, descriptions and the API operations they guard.

/// One API operation a documented rule guards (`{'method': ..., 'path': ...}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// HTTP method.
    pub method: &'static str,
    /// URL template.
    pub path: &'static str,
}

/// A registered default rule (oslo's `RuleDefault` / `DocumentedRuleDefault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleDefault {
    /// The rule's name, e.g. `data-processing:clusters:create`.
    pub name: &'static str,
    /// The default check string, e.g. `""` or `role:admin`.
    pub check_str: &'static str,
    /// What the rule is for (`None` for a plain `RuleDefault`).
    pub description: Option<&'static str>,
    /// The operations it guards (empty for a plain `RuleDefault`).
    pub operations: &'static [Operation],
}

/// Sahara's `UNPROTECTED` check string: always allowed.
pub const UNPROTECTED: &str = "";
/// Sahara's `ROLE_ADMIN` check string.
pub const ROLE_ADMIN: &str = "role:admin";

const fn documented(
    name: &'static str,
    check_str: &'static str,
    description: &'static str,
    operations: &'static [Operation],
) -> RuleDefault {
    RuleDefault {
        name,
        check_str,
        description: Some(description),
        operations,
    }
}

const fn op(method: &'static str, path: &'static str) -> Operation {
    Operation { method, path }
}

/// Sahara's default rules, in the order Sahara registers them.
pub static SAHARA_DEFAULTS: &[RuleDefault] = &[
    RuleDefault {
        name: "context_is_admin",
        check_str: ROLE_ADMIN,
        description: None,
        operations: &[],
    },
    documented(
        "data-processing:clusters:scale",
        UNPROTECTED,
        "Scale cluster.",
        &[op("PUT", "/v1.1/{project_id}/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:clusters:get_all",
        UNPROTECTED,
        "List available clusters",
        &[op("GET", "/v1.1/{project_id}/clusters")],
    ),
    documented(
        "data-processing:clusters:create",
        UNPROTECTED,
        "Create cluster.",
        &[op("POST", "/v1.1/{project_id}/clusters")],
    ),
    documented(
        "data-processing:clusters:get",
        UNPROTECTED,
        "Show details of a cluster.",
        &[op("GET", "/v1.1/{project_id}/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:clusters:modify",
        UNPROTECTED,
        "Modify a cluster.",
        &[op("PATCH", "/v1.1/{project_id}/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:clusters:delete",
        UNPROTECTED,
        "Delete a cluster.",
        &[op("DELETE", "/v1.1/{project_id}/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:cluster-templates:create",
        UNPROTECTED,
        "Create cluster template.",
        &[op("POST", "/v1.1/{project_id}/cluster-templates")],
    ),
    documented(
        "data-processing:cluster-templates:delete",
        UNPROTECTED,
        "Delete a cluster template.",
        &[op("DELETE", "/v1.1/{project_id}/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-templates:modify",
        UNPROTECTED,
        "Update cluster template.",
        &[op("PUT", "/v1.1/{project_id}/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-templates:get",
        UNPROTECTED,
        "Show cluster template details.",
        &[op("GET", "/v1.1/{project_id}/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-templates:get_all",
        UNPROTECTED,
        "List cluster templates.",
        &[op("GET", "/v1.1/{project_id}/cluster-templates")],
    ),
    documented(
        "data-processing:data-sources:get_all",
        UNPROTECTED,
        "List data sources.",
        &[op("GET", "/v1.1/{project_id}/data-sources")],
    ),
    documented(
        "data-processing:data-sources:get",
        UNPROTECTED,
        "Show data source details.",
        &[op("GET", "/v1.1/{project_id}/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:data-sources:register",
        UNPROTECTED,
        "Create data source.",
        &[op("POST", "/v1.1/{project_id}/data-sources")],
    ),
    documented(
        "data-processing:data-sources:modify",
        UNPROTECTED,
        "Update data source.",
        &[op("PUT", "/v1.1/{project_id}/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:data-sources:delete",
        UNPROTECTED,
        "Delete data source.",
        &[op("DELETE", "/v1.1/{project_id}/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:images:add_tags",
        UNPROTECTED,
        "Add tags to image.",
        &[op("POST", "/v1.1/{project_id}/images/{image_id}/tag")],
    ),
    documented(
        "data-processing:images:register",
        UNPROTECTED,
        "Register image.",
        &[op("POST", "/v1.1/{project_id}/images/{image_id}")],
    ),
    documented(
        "data-processing:images:get_all",
        UNPROTECTED,
        "List images.",
        &[op("GET", "/v1.1/{project_id}/images")],
    ),
    documented(
        "data-processing:images:unregister",
        UNPROTECTED,
        "Unregister image.",
        &[op("POST", "/v1.1/{project_id}/images/{image_id}")],
    ),
    documented(
        "data-processing:images:get",
        UNPROTECTED,
        "Show image details.",
        &[op("GET", "/v1.1/{project_id}/images/{image_id}")],
    ),
    documented(
        "data-processing:images:remove_tags",
        UNPROTECTED,
        "Remove tags from image.",
        &[op("POST", "/v1.1/{project_id}/images/{image_id}/untag")],
    ),
    documented(
        "data-processing:job-binaries:get_all",
        UNPROTECTED,
        "List job binaries.",
        &[op("GET", "/v1.1/{project_id}/job-binaries")],
    ),
    documented(
        "data-processing:job-binaries:create",
        UNPROTECTED,
        "Create job binary.",
        &[op("POST", "/v1.1/{project_id}/job-binaries")],
    ),
    documented(
        "data-processing:job-binaries:get_data",
        UNPROTECTED,
        "Show job binary data.",
        &[op("POST", "/v1.1/{project_id}/job-binaries/{job-binary_id}/data")],
    ),
    documented(
        "data-processing:job-binaries:modify",
        UNPROTECTED,
        "Update job binary.",
        &[op("PUT", "/v1.1/{project_id}/job-binaries/{job-binary_id}")],
    ),
    documented(
        "data-processing:job-binaries:get",
        UNPROTECTED,
        "Show job binary details.",
        &[op("GET", "/v1.1/{project_id}/job-binaries/{job_binary_id}")],
    ),
    documented(
        "data-processing:job-binaries:delete",
        UNPROTECTED,
        "Delete job binary.",
        &[op("DELETE", "/v1.1/{project_id}/job-binaries/{job_binary_id}")],
    ),
    documented(
        "data-processing:job-binary-internals:get",
        UNPROTECTED,
        "Show job binary internal details.",
        &[op("GET", "/v1.1/{project_id}/job-binary-internals/{job_bin_int_id}")],
    ),
    documented(
        "data-processing:job-binary-internals:get_all",
        UNPROTECTED,
        "List job binary internals.",
        &[op("GET", "/v1.1/{project_id}/job-binary-internals")],
    ),
    documented(
        "data-processing:job-binary-internals:create",
        UNPROTECTED,
        "Create job binary internals.",
        &[op("PUT", "/v1.1/{project_id}/job-binary-internals/{name}")],
    ),
    documented(
        "data-processing:job-binary-internals:get_data",
        UNPROTECTED,
        "Show job binary internal data.",
        &[op(
            "GET",
            "/v1.1/{project_id}/job-binary-internals/{job_bin_int_id}/data",
        )],
    ),
    documented(
        "data-processing:job-binary-internals:modify",
        UNPROTECTED,
        "Update job binary internal.",
        &[op("PATCH", "/v1.1/{project_id}/job-binary-internals/{job_bin_int_id}")],
    ),
    documented(
        "data-processing:job-binary-internals:delete",
        UNPROTECTED,
        "Delete job binary internals.",
        &[op("DELETE", "/v1.1/{project_id}/job-binary-internals/{job_bin_int_id}")],
    ),
    documented(
        "data-processing:job-executions:get",
        UNPROTECTED,
        "Show job executions details.",
        &[op("GET", "/v1.1/{project_id}/job-executions/{job_exec_id}")],
    ),
    documented(
        "data-processing:job-executions:modify",
        UNPROTECTED,
        "Update job execution.",
        &[op("PATCH", "/v1.1/{project_id}/job-executions/{job_exec_id}")],
    ),
    documented(
        "data-processing:job-executions:get_all",
        UNPROTECTED,
        "List job executions.",
        &[op("GET", "/v1.1/{project_id}/job-executions")],
    ),
    documented(
        "data-processing:job-executions:refresh_status",
        UNPROTECTED,
        "Refresh job execution status.",
        &[op(
            "GET",
            "/v1.1/{project_id}/job-executions/{job_exec_id}/refresh-status",
        )],
    ),
    documented(
        "data-processing:job-executions:cancel",
        UNPROTECTED,
        "Cancel job execution.",
        &[op("GET", "/v1.1/{project_id}/job-executions/{job_exec_id}/cancel")],
    ),
    documented(
        "data-processing:job-executions:delete",
        UNPROTECTED,
        "Delete job execution.",
        &[op("DELETE", "/v1.1/{project_id}/job-executions/{job_exec_id}")],
    ),
    documented(
        "data-processing:job-types:get_all",
        UNPROTECTED,
        "List job types.",
        &[op("GET", "/v1.1/{project_id}/job-types")],
    ),
    documented(
        "data-processing:jobs:execute",
        UNPROTECTED,
        "Run job.",
        &[op("POST", "/v1.1/{project_id}/jobs/{job_id}/execute")],
    ),
    documented(
        "data-processing:jobs:get",
        UNPROTECTED,
        "Show job details.",
        &[op("GET", "/v1.1/{project_id}/jobs/{job_id}")],
    ),
    documented(
        "data-processing:jobs:create",
        UNPROTECTED,
        "Create job.",
        &[op("POST", "/v1.1/{project_id}/jobs")],
    ),
    documented(
        "data-processing:jobs:get_all",
        UNPROTECTED,
        "List jobs.",
        &[op("GET", "/v1.1/{project_id}/jobs")],
    ),
    documented(
        "data-processing:jobs:modify",
        UNPROTECTED,
        "Update job object.",
        &[op("PATCH", "/v1.1/{project_id}/jobs/{job_id}")],
    ),
    documented(
        "data-processing:jobs:get_config_hints",
        UNPROTECTED,
        "Get job config hints.",
        &[op("GET", "/v1.1/{project_id}/jobs/get_config_hints/{job_type}")],
    ),
    documented(
        "data-processing:jobs:delete",
        UNPROTECTED,
        "Remove job.",
        &[op("DELETE", "/v1.1/{project_id}/jobs/{job_id}")],
    ),
    documented(
        "data-processing:node-group-templates:get_all",
        UNPROTECTED,
        "List node group templates.",
        &[op("GET", "/v1.1/{project_id}/node-group-templates")],
    ),
    documented(
        "data-processing:node-group-templates:create",
        UNPROTECTED,
        "Create node group template.",
        &[op("POST", "/v1.1/{project_id}/node-group-templates")],
    ),
    documented(
        "data-processing:node-group-templates:get",
        UNPROTECTED,
        "Show node group template details.",
        &[op(
            "GET",
            "/v1.1/{project_id}/node-group-templates/{node_group_temp_id}",
        )],
    ),
    documented(
        "data-processing:node-group-templates:modify",
        UNPROTECTED,
        "Update node group template.",
        &[op(
            "PUT",
            "/v1.1/{project_id}/node-group-templates/{node_group_temp_id}",
        )],
    ),
    documented(
        "data-processing:node-group-templates:delete",
        UNPROTECTED,
        "Delete node group template.",
        &[op(
            "DELETE",
            "/v1.1/{project_id}/node-group-templates/{node_group_temp_id}",
        )],
    ),
    documented(
        "data-processing:plugins:get_all",
        UNPROTECTED,
        "List plugins.",
        &[op("GET", "/v1.1/{project_id}/plugins")],
    ),
    documented(
        "data-processing:plugins:get_version",
        UNPROTECTED,
        "Show plugins version details.",
        &[op("GET", "/v1.1/{project_id}/plugins/{plugin_name}/{version}")],
    ),
    documented(
        "data-processing:plugins:get",
        UNPROTECTED,
        "Show plugin details.",
        &[op("GET", "/v1.1/{project_id}/plugins/{plugin_name}")],
    ),
    documented(
        "data-processing:plugins:convert_config",
        UNPROTECTED,
        "Convert plugins to cluster template",
        &[op(
            "POST",
            "/v1.1/{project_id}/plugins/{plugin_name}/{version}/convert-config/{name}",
        )],
    ),
    documented(
        "data-processing:plugins:patch",
        ROLE_ADMIN,
        "Update plugin details.",
        &[op("PATCH", "/v1.1/{project_id}/plugins/{plugin_name}")],
    ),
    documented(
        "data-processing:cluster:scale",
        UNPROTECTED,
        "Scale cluster.",
        &[op("PUT", "/v2/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:cluster:list",
        UNPROTECTED,
        "List available clusters",
        &[op("GET", "/v2/clusters")],
    ),
    documented(
        "data-processing:cluster:create",
        UNPROTECTED,
        "Create cluster.",
        &[op("POST", "/v2/clusters")],
    ),
    documented(
        "data-processing:cluster:get",
        UNPROTECTED,
        "Show details of a cluster.",
        &[op("GET", "/v2/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:cluster:update",
        UNPROTECTED,
        "Updates a cluster.",
        &[op("PATCH", "/v2/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:cluster:delete",
        UNPROTECTED,
        "Delete a cluster.",
        &[op("DELETE", "/v2/clusters/{cluster_id}")],
    ),
    documented(
        "data-processing:cluster-template:create",
        UNPROTECTED,
        "Create cluster template.",
        &[op("POST", "/v2/cluster-templates")],
    ),
    documented(
        "data-processing:cluster-template:delete",
        UNPROTECTED,
        "Delete a cluster template.",
        &[op("DELETE", "/v2/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-template:update",
        UNPROTECTED,
        "Update cluster template.",
        &[op("PATCH", "/v2/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-template:get",
        UNPROTECTED,
        "Show cluster template details.",
        &[op("GET", "/v2/cluster-templates/{cluster_temp_id}")],
    ),
    documented(
        "data-processing:cluster-template:list",
        UNPROTECTED,
        "List cluster templates.",
        &[op("GET", "/v2/cluster-templates")],
    ),
    documented(
        "data-processing:data-source:list",
        UNPROTECTED,
        "List data sources.",
        &[op("GET", "/v2/data-sources")],
    ),
    documented(
        "data-processing:data-source:get",
        UNPROTECTED,
        "Show data source details.",
        &[op("GET", "/v2/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:data-source:register",
        UNPROTECTED,
        "Create data source.",
        &[op("POST", "/v2/data-sources")],
    ),
    documented(
        "data-processing:data-source:update",
        UNPROTECTED,
        "Update data source.",
        &[op("PATCH", "/v2/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:data-source:delete",
        UNPROTECTED,
        "Delete data source.",
        &[op("DELETE", "/v2/data-sources/{data_source_id}")],
    ),
    documented(
        "data-processing:image:set-tags",
        UNPROTECTED,
        "Add tags to image.",
        &[op("PUT", "/v2/images/{image_id}/tags")],
    ),
    documented(
        "data-processing:image:register",
        UNPROTECTED,
        "Register image.",
        &[op("POST", "/v2/images/{image_id}")],
    ),
    documented(
        "data-processing:image:list",
        UNPROTECTED,
        "List images.",
        &[op("GET", "/v2/images")],
    ),
    documented(
        "data-processing:image:unregister",
        UNPROTECTED,
        "Unregister image.",
        &[op("DELETE", "/v2/images/{image_id}")],
    ),
    documented(
        "data-processing:image:get",
        UNPROTECTED,
        "Show image details.",
        &[op("GET", "/v2/images/{image_id}")],
    ),
    documented(
        "data-processing:image:remove-tags",
        UNPROTECTED,
        "Remove tags from image.",
        &[op("DELETE", "/v2/images/{image_id}/tags")],
    ),
    documented(
        "data-processing:image:get-tags",
        UNPROTECTED,
        "List tags on an image.",
        &[op("GET", "/v2/images/{image_id}/tags")],
    ),
    documented(
        "data-processing:job-binary:list",
        UNPROTECTED,
        "List job binaries.",
        &[op("GET", "/v2/job-binaries")],
    ),
    documented(
        "data-processing:job-binary:create",
        UNPROTECTED,
        "Create job binary.",
        &[op("POST", "/v2/job-binaries")],
    ),
    documented(
        "data-processing:job-binary:get-data",
        UNPROTECTED,
        "Show job binary data.",
        &[op("POST", "/v2/job-binaries/{job_binary_id}/data")],
    ),
    documented(
        "data-processing:job-binary:update",
        UNPROTECTED,
        "Update job binary.",
        &[op("PATCH", "/v2/job-binaries/{job_binary_id}")],
    ),
    documented(
        "data-processing:job-binary:get",
        UNPROTECTED,
        "Show job binary details.",
        &[op("GET", "/v2/job-binaries/{job_binary_id}")],
    ),
    documented(
        "data-processing:job-binary:delete",
        UNPROTECTED,
        "Delete job binary.",
        &[op("DELETE", "/v2/job-binaries/{job_binary_id}")],
    ),
    documented(
        "data-processing:job-type:list",
        UNPROTECTED,
        "List job types.",
        &[op("GET", "/v2/job-types")],
    ),
    documented(
        "data-processing:job:execute",
        UNPROTECTED,
        "Run job.",
        &[op("POST", "/v2/jobs")],
    ),
    documented(
        "data-processing:job:get",
        UNPROTECTED,
        "Show jobs details.",
        &[op("GET", "/v2/jobs/{job_id}")],
    ),
    documented(
        "data-processing:job:update",
        UNPROTECTED,
        "Update job.",
        &[op("PATCH", "/v2/jobs/{job_id}")],
    ),
    documented(
        "data-processing:job:list",
        UNPROTECTED,
        "List jobs.",
        &[op("GET", "/v2/jobs")],
    ),
    documented(
        "data-processing:job:delete",
        UNPROTECTED,
        "Delete job.",
        &[op("DELETE", "/v2/jobs/{job_id}")],
    ),
    documented(
        "data-processing:node-group-template:list",
        UNPROTECTED,
        "List node group templates.",
        &[op("GET", "/v2/node-group-templates")],
    ),
    documented(
        "data-processing:node-group-template:create",
        UNPROTECTED,
        "Create node group template.",
        &[op("POST", "/v2/node-group-templates")],
    ),
    documented(
        "data-processing:node-group-template:get",
        UNPROTECTED,
        "Show node group template details.",
        &[op("GET", "/v2/node-group-templates/{node_group_temp_id}")],
    ),
    documented(
        "data-processing:node-group-template:update",
        UNPROTECTED,
        "Update node group template.",
        &[op("PATCH", "/v2/node-group-templates/{node_group_temp_id}")],
    ),
    documented(
        "data-processing:node-group-template:delete",
        UNPROTECTED,
        "Delete node group template.",
        &[op("DELETE", "/v2/node-group-templates/{node_group_temp_id}")],
    ),
    documented(
        "data-processing:plugin:list",
        UNPROTECTED,
        "List plugins.",
        &[op("GET", "/v2/plugins")],
    ),
    documented(
        "data-processing:plugin:get-version",
        UNPROTECTED,
        "Show plugins version details.",
        &[op("GET", "/v2/plugins/{plugin_name}/{version}")],
    ),
    documented(
        "data-processing:plugin:get",
        UNPROTECTED,
        "Show plugin details.",
        &[op("GET", "/v2/plugins/{plugin_name}")],
    ),
    documented(
        "data-processing:plugin:update",
        ROLE_ADMIN,
        "Update plugin details.",
        &[op("PATCH", "/v2/plugins/{plugin_name}")],
    ),
    documented(
        "data-processing:job-template:get",
        UNPROTECTED,
        "Show job template details.",
        &[op("GET", "/v2/job-templates/{job_temp_id}")],
    ),
    documented(
        "data-processing:job-template:create",
        UNPROTECTED,
        "Create job templates.",
        &[op("POST", "/v2/job-templates")],
    ),
    documented(
        "data-processing:job-template:list",
        UNPROTECTED,
        "List job templates.",
        &[op("GET", "/v2/job-templates")],
    ),
    documented(
        "data-processing:job-template:update",
        UNPROTECTED,
        "Update job template.",
        &[op("PATCH", "/v2/job-templates/{job_temp_id}")],
    ),
    documented(
        "data-processing:job-template:get-config-hints",
        UNPROTECTED,
        "Get job template config hints.",
        &[op("GET", "/v2/job-templates/config-hints/{job_type}")],
    ),
    documented(
        "data-processing:job-template:delete",
        UNPROTECTED,
        "Remove job template.",
        &[op("DELETE", "/v2/job-templates/{job_temp_id}")],
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_109_unique_defaults() {
        assert_eq!(SAHARA_DEFAULTS.len(), 109);
        let mut names: Vec<_> = SAHARA_DEFAULTS.iter().map(|r| r.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 109);
        let admin: Vec<_> = SAHARA_DEFAULTS
            .iter()
            .filter(|r| !r.check_str.is_empty())
            .map(|r| r.name)
            .collect();
        assert_eq!(
            admin,
            [
                "context_is_admin",
                "data-processing:plugins:patch",
                "data-processing:plugin:update"
            ]
        );
    }
}
