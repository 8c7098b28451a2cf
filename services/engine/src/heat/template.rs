//! The Heat stack Sahara builds for a cluster (sahara/service/heat/templates.py `ClusterStack`):
//! the main template (one `OS::Heat::ResourceGroup` per node group, the anti-affinity server
//! groups, the auto security groups), the nested per node group templates (port, floating
//! IP, server, boot and data volumes, wait condition, user data) and the request around them.
//!
//! Building is pure: everything Sahara asks the cloud for while building (the private
//! network CIDRs, the flavors' disks, the orchestration endpoint's `/etc/hosts` entry) comes
//! in a [`TemplateInput`]. The main template is sent as JSON; the nested files as YAML text,
//! as Sahara sends them (or as JSON, which Heat reads too, when a plain YAML scalar would be
//! misread by Heat's YAML 1.1 loader, e.g. a node group called `on`).
//!
//! Designate is not supported (`use_designate` off): a cluster's `domain_name` adds no
//! `OS::Designate::Record` resources, exactly as Sahara does with `use_designate = False`.

use std::collections::BTreeMap;

use sahara_model::resources::{Cluster, NodeGroup};
use sahara_openstack::heat::StackRequest;
use serde_json::{Map, Value, json};

use crate::error::{EngineError, Result};

/// The HOT version of every template Sahara writes.
pub const HEAT_TEMPLATE_VERSION: &str = "2016-04-08";
/// The stack timeout Sahara creates and updates stacks with, in minutes.
pub const STACK_TIMEOUT_MINS: u32 = 180;
/// The cluster config (target `general`) holding the wait condition timeout in seconds.
pub const WAIT_CONDITION_TIMEOUT_CONFIG: &str = "Heat Wait Condition timeout";
/// The wait condition timeout when the cluster does not set one, in seconds.
pub const DEFAULT_WAIT_CONDITION_TIMEOUT: i64 = 3600;

/// The server resource of a node group template.
const INSTANCE_RESOURCE: &str = "inst";
/// The parameter carrying an instance's anti-affinity server groups.
const SERVER_GROUPS_PARAM: &str = "servgroups";
/// The parameter carrying a node group's auto security group.
const AUTO_SECURITY_GROUP_PARAM: &str = "autosecgroup";
/// The port always opened in an auto security group.
const SSH_PORT: u16 = 22;

/// The script appended to the user data when wait conditions are on (`wc_notify` is
/// replaced by the handle's `curl_cli`).
const WAIT_CONDITION_SCRIPT: &str = "
while true; do
    wc_notify --insecure --data-binary '{\"status\": \"SUCCESS\"}'
    if [ $? -eq 0 ]; then
        break
    fi
    sleep 10
done
";

/// What one node group becomes in the stack (`add_node_group_extra`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeGroupTarget {
    /// The number of instances the node group should have.
    pub count: u32,
    /// Names of the instances Heat removes first when the count shrinks (`removal_policies`).
    pub instances_to_delete: Vec<String>,
}

/// Everything the stack request is built from.
#[derive(Debug, Clone)]
pub struct TemplateInput<'a> {
    /// The cluster with its node groups (their `open_ports` and `image_username` already
    /// stored, as Sahara stores them before provisioning).
    pub cluster: &'a Cluster,
    /// The target of every node group of the cluster, by node group id.
    pub targets: BTreeMap<String, NodeGroupTarget>,
    /// Disk size in GB by flavor id, for the flavors of node groups that boot from volume
    /// (Sahara asks Nova; the boot volume is as large as the flavor's disk).
    pub flavor_disks: BTreeMap<String, u64>,
    /// CIDRs of the subnets of the cluster's management network (Sahara asks Neutron); the
    /// auto security groups open everything to them.
    pub private_network_cidrs: Vec<String>,
    /// The orchestration endpoint's `/etc/hosts` entry exactly as Sahara's
    /// `etc_hosts_entry_for_service('orchestration')` returns it (`"<ip> <host>\n"`, or its
    /// `# Failed to resolve` comment); `None` or empty when the catalog has no such endpoint.
    pub orchestration_hosts_entry: Option<String>,
    /// `[DEFAULT] heat_enable_wait_condition`.
    pub enable_wait_condition: bool,
    /// `[DEFAULT] heat_stack_tags`.
    pub stack_tags: Vec<String>,
    /// Whether Heat keeps a failed stack: true on create and on a scaling rollback, false
    /// on scale.
    pub disable_rollback: bool,
}

/// The name Sahara gives a cluster's stack on create (`cluster.name + cluster.id[:8]`),
/// stored as `extra.heat_stack_name`.
pub fn generate_stack_name(cluster: &Cluster) -> String {
    let id8: String = cluster.id.chars().take(8).collect();
    format!("{}{}", cluster.name, id8)
}

/// The cluster's stack name: `extra.heat_stack_name`, else [`generate_stack_name`].
pub fn stack_name(cluster: &Cluster) -> String {
    cluster
        .heat_stack_name()
        .map_or_else(|| generate_stack_name(cluster), str::to_string)
}

/// The name of the `index`th (from 1) anti-affinity server group (`generate_aa_group_name`).
pub fn aa_group_name(cluster_name: &str, index: i64) -> String {
    format!("{cluster_name}-aa-group-{index}").to_lowercase()
}

/// The name of a node group's auto security group (`generate_auto_security_group_name`).
pub fn auto_security_group_name(cluster: &Cluster, ng: &NodeGroup) -> String {
    let id8: String = ng.id.chars().take(8).collect();
    format!("{}-{}-{}", cluster.name, ng.name, id8).to_lowercase()
}

/// The user data every instance boots with (engine.py `_generate_user_data_script` with the
/// SSH remote): authorizes the cluster's management key for the image user and comments
/// out `Defaults requiretty`.
pub fn user_data_script(cluster: &Cluster, ng: &NodeGroup) -> Result<String> {
    let username = image_username(ng)?;
    let home = if username == "root" {
        "/root/".to_string()
    } else {
        format!("/home/{username}/")
    };
    Ok(format!(
        "#!/bin/bash\necho \"{key}\" >> {home}/.ssh/authorized_keys\n\n\
         # ====== COMMENT OUT Defaults requiretty in /etc/sudoers ========\n\
         sed '/^Defaults    requiretty*/ s/^/#/' -i /etc/sudoers\n\n",
        key = cluster.management_public_key
    ))
}

/// The wait condition timeout in seconds: the cluster config
/// [`WAIT_CONDITION_TIMEOUT_CONFIG`] of target `general` (a number or a numeric string),
/// else [`DEFAULT_WAIT_CONDITION_TIMEOUT`].
pub fn wait_condition_timeout(cluster: &Cluster) -> Result<i64> {
    let value = cluster
        .cluster_configs
        .as_ref()
        .and_then(|c| c.get("general"))
        .and_then(|g| g.get(WAIT_CONDITION_TIMEOUT_CONFIG));
    let Some(value) = value else {
        return Ok(DEFAULT_WAIT_CONDITION_TIMEOUT);
    };
    let parsed = match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.trunc() as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    };
    parsed.ok_or_else(|| {
        EngineError::Invalid(format!(
            "cluster config '{WAIT_CONDITION_TIMEOUT_CONFIG}' is not an integer: {value}"
        ))
    })
}

/// The stack request Sahara sends for `input` (`ClusterStack.instantiate`): `stack_name`,
/// the main template, the nested files, no parameters, the 180 minutes timeout, the tags.
pub fn stack_request(input: &TemplateInput<'_>) -> Result<StackRequest> {
    let mut builder = Builder::new(input)?;
    let template = builder.main_template()?;
    Ok(StackRequest {
        stack_name: stack_name(input.cluster),
        template,
        files: builder.files,
        parameters: Map::new(),
        disable_rollback: input.disable_rollback,
        timeout_mins: Some(STACK_TIMEOUT_MINS),
        tags: input.stack_tags.clone(),
    })
}

/// The state of one build: the nested files written so far and the round robin over the
/// anti-affinity server groups, which runs on across node groups.
struct Builder<'a> {
    input: &'a TemplateInput<'a>,
    cluster: &'a Cluster,
    /// `anti_affinity` (empty when unset).
    anti_affinity: &'a [String],
    /// `anti_affinity_ratio` (Sahara's default 1 when unset).
    aa_ratio: i64,
    /// The first lines of every description.
    base_info: String,
    /// Nested templates by `file://` name.
    files: BTreeMap<String, String>,
    /// The server group index given out last.
    sg_index: i64,
    /// The wait condition timeout.
    wc_timeout: i64,
}

impl<'a> Builder<'a> {
    fn new(input: &'a TemplateInput<'a>) -> Result<Self> {
        let cluster = input.cluster;
        Ok(Builder {
            input,
            cluster,
            anti_affinity: cluster.anti_affinity.as_deref().unwrap_or_default(),
            aa_ratio: cluster.anti_affinity_ratio.map_or(1, i64::from),
            base_info: format!(
                "Data Processing Cluster by Sahara\nSahara cluster name: {}\nSahara engine: {}",
                cluster.name,
                crate::ENGINE_TYPE_AND_VERSION
            ),
            files: BTreeMap::new(),
            sg_index: 1,
            // Sahara reads the timeout only when it writes wait conditions.
            wc_timeout: if input.enable_wait_condition {
                wait_condition_timeout(cluster)?
            } else {
                DEFAULT_WAIT_CONDITION_TIMEOUT
            },
        })
    }

    /// `_get_main_template` / `_serialize_resources`.
    fn main_template(&mut self) -> Result<Value> {
        let mut resources = Map::new();
        let mut outputs = Map::new();
        if !self.anti_affinity.is_empty() {
            for i in 1..=self.aa_ratio {
                let name = aa_group_name(&self.cluster.name, i);
                let group = json!({"type": "OS::Nova::ServerGroup",
                    "properties": {"name": name, "policies": ["anti-affinity"]}});
                resources.insert(name, group);
            }
        }
        for ng in &self.cluster.node_groups {
            let group = self.ng_group(ng, &mut outputs)?;
            resources.insert(ng.name.clone(), group);
        }
        for ng in &self.cluster.node_groups {
            if is_true(ng.auto_security_group) {
                resources.insert(
                    auto_security_group_name(self.cluster, ng),
                    self.auto_security_group(ng)?,
                );
            }
        }
        Ok(json!({
            "heat_template_version": HEAT_TEMPLATE_VERSION,
            "description": self.base_info,
            "resources": resources,
            "outputs": outputs,
        }))
    }

    /// `_get_server_group_name`: the next server group, round robin from the second.
    fn next_server_group(&mut self) -> String {
        let index = self.sg_index;
        self.sg_index = if index < self.aa_ratio { index + 1 } else { 1 };
        aa_group_name(&self.cluster.name, self.sg_index)
    }

    /// `_serialize_ng_group`: the node group's `ResourceGroup` (writes its nested file).
    fn ng_group(&mut self, ng: &NodeGroup, outputs: &mut Map<String, Value>) -> Result<Value> {
        let target =
            self.input.targets.get(&ng.id).ok_or_else(|| {
                EngineError::Internal(format!("no target count for node group {} ({})", ng.name, ng.id))
            })?;
        let file_name = format!("file://{}.yaml", ng.name);
        let file = self.ng_file(ng)?;
        self.files.insert(file_name.clone(), file);
        outputs.insert(
            format!("{}-instances", ng.name),
            json!({"value": {"get_attr": [ng.name, "instance"]}}),
        );

        let mut properties = Map::new();
        properties.insert("instance_index".into(), json!("%index%"));
        if !self.anti_affinity.is_empty() && target.count > 0 {
            let groups: Vec<Value> = (0..target.count)
                .map(|_| json!({"get_resource": self.next_server_group()}))
                .collect();
            properties.insert(SERVER_GROUPS_PARAM.into(), Value::Array(groups));
        }
        if is_true(ng.auto_security_group) {
            properties.insert(
                AUTO_SECURITY_GROUP_PARAM.into(),
                json!({"get_resource": auto_security_group_name(self.cluster, ng)}),
            );
        }
        let removal_policies = if target.instances_to_delete.is_empty() {
            json!([])
        } else {
            let indexes: Vec<&str> = target
                .instances_to_delete
                .iter()
                .map(|n| index_of_instance(n))
                .collect();
            json!([{"resource_list": indexes}])
        };
        Ok(json!({
            "type": "OS::Heat::ResourceGroup",
            "properties": {
                "count": target.count,
                "removal_policies": removal_policies,
                "resource_def": {"type": file_name, "properties": properties},
            },
        }))
    }

    /// `_serialize_ng_file`: the nested template of one instance of the node group.
    fn ng_file(&mut self, ng: &NodeGroup) -> Result<String> {
        let mut parameters = Map::new();
        parameters.insert("instance_index".into(), json!({"type": "string"}));
        if !self.anti_affinity.is_empty() {
            parameters.insert(
                SERVER_GROUPS_PARAM.into(),
                json!({"type": "comma_delimited_list", "default": []}),
            );
        }
        if is_true(ng.auto_security_group) {
            parameters.insert(AUTO_SECURITY_GROUP_PARAM.into(), json!({"type": "string"}));
        }
        let resources = self.instance(ng)?;
        to_yaml(&json!({
            "heat_template_version": HEAT_TEMPLATE_VERSION,
            "description": format!("{}\nNode group {}", self.base_info, ng.name),
            "parameters": parameters,
            "resources": resources,
            "outputs": {"instance": {"value": {
                "physical_id": {"get_resource": INSTANCE_RESOURCE},
                "name": {"get_attr": [INSTANCE_RESOURCE, "name"]},
            }}},
        }))
    }

    /// `_serialize_instance`: port, floating IP, server, boot volume, data volumes, wait
    /// condition (in Sahara's order, so a clash of names ends as in Sahara).
    fn instance(&mut self, ng: &NodeGroup) -> Result<Map<String, Value>> {
        let cluster = self.cluster;
        let mut resources = Map::new();
        let mut properties = Map::new();
        let cluster_lower = cluster.name.to_lowercase();
        let ng_lower = ng.name.to_lowercase();
        let index = json!({"get_param": "instance_index"});

        if let Some(key) = non_empty(&cluster.user_keypair_id) {
            properties.insert("key_name".into(), json!(key));
        }

        let network = non_empty(&cluster.neutron_management_network)
            .ok_or_else(|| EngineError::Invalid(format!("cluster {} has no management network", cluster.name)))?;
        let mut port = json!({
            "network_id": network,
            "replacement_policy": "AUTO",
            "name": {"list_join": ["-", [cluster_lower, ng_lower, index, "port"]]},
        });
        let mut security_groups: Vec<Value> = ng.security_groups.iter().flatten().map(|g| json!(g)).collect();
        if is_true(ng.auto_security_group) {
            security_groups.push(json!({"get_param": AUTO_SECURITY_GROUP_PARAM}));
        }
        if !security_groups.is_empty() {
            port["security_groups"] = Value::Array(security_groups);
        }
        resources.insert("port".into(), json!({"type": "OS::Neutron::Port", "properties": port}));
        properties.insert("networks".into(), json!([{"port": {"get_resource": "port"}}]));

        if let Some(pool) = non_empty(&ng.floating_ip_pool) {
            resources.insert(
                "floating_ip".into(),
                json!({"type": "OS::Neutron::FloatingIP",
                    "properties": {"floating_network_id": pool, "port_id": {"get_resource": "port"}}}),
            );
        }

        let key_script = user_data_script(cluster, ng)?;
        let user_data = if self.input.enable_wait_condition {
            let mut parts = vec![key_script];
            if let Some(entry) = non_empty(&self.input.orchestration_hosts_entry) {
                parts.push(format!("echo '{entry}' | sudo tee -a /etc/hosts"));
            }
            parts.push(WAIT_CONDITION_SCRIPT.to_string());
            json!({"str_replace": {
                "template": parts.join("\n"),
                "params": {"wc_notify": {"get_attr": [wc_handle_name(ng), "curl_cli"]}},
            }})
        } else {
            json!(key_script)
        };

        if let Some(zone) = non_empty(&ng.availability_zone) {
            properties.insert("availability_zone".into(), json!(zone));
        }
        if self.needs_server_group(ng) {
            properties.insert(
                "scheduler_hints".into(),
                json!({"group": {"get_param": [SERVER_GROUPS_PARAM, {"get_param": "instance_index"}]}}),
            );
        }
        properties.insert(
            "name".into(),
            json!({"list_join": ["-", [cluster_lower, ng_lower, {"get_param": "instance_index"}]]}),
        );
        properties.insert("flavor".into(), json!(ng.flavor_id));
        properties.insert("admin_user".into(), json!(image_username(ng)?));
        properties.insert("user_data".into(), user_data);

        let image = self.image_id(ng)?;
        if ng.boot_from_volume {
            resources.insert("bootable_volume".into(), self.bootable_volume(ng, image)?);
            properties.insert(
                "block_device_mapping".into(),
                json!([{"device_name": "vda", "volume_id": {"get_resource": "bootable_volume"},
                    "delete_on_termination": "true"}]),
            );
        } else {
            properties.insert("image".into(), json!(image));
        }
        resources.insert(
            INSTANCE_RESOURCE.into(),
            json!({"type": "OS::Nova::Server", "properties": properties}),
        );

        if let Some(volumes) = self.volumes(ng)? {
            resources.insert(ng.name.clone(), volumes);
        }
        if self.input.enable_wait_condition {
            let handle = wc_handle_name(ng);
            resources.insert(handle.clone(), json!({"type": "OS::Heat::WaitConditionHandle"}));
            resources.insert(
                format!("{}-wc-waiter", ng.name),
                json!({"type": "OS::Heat::WaitCondition", "depends_on": INSTANCE_RESOURCE,
                    "properties": {"timeout": self.wc_timeout, "handle": {"get_resource": handle}}}),
            );
        }
        Ok(resources)
    }

    /// `_need_aa_server_group`: whether the node group runs an anti-affine process.
    fn needs_server_group(&self, ng: &NodeGroup) -> bool {
        ng.node_processes
            .iter()
            .flatten()
            .any(|p| self.anti_affinity.contains(p))
    }

    /// `NodeGroup.get_image_id`: the node group's image, else the cluster's default.
    fn image_id(&self, ng: &'a NodeGroup) -> Result<&'a str> {
        non_empty(&ng.image_id)
            .or_else(|| non_empty(&self.cluster.default_image_id))
            .ok_or_else(|| {
                EngineError::Invalid(format!(
                    "node group {} has no image and cluster {} no default image",
                    ng.name, self.cluster.name
                ))
            })
    }

    /// `_get_bootable_volume`: the boot volume, as large as the flavor's disk.
    fn bootable_volume(&self, ng: &NodeGroup, image: &str) -> Result<Value> {
        let size = self.input.flavor_disks.get(&ng.flavor_id).ok_or_else(|| {
            EngineError::Internal(format!(
                "the disk size of flavor {} (node group {}) was not looked up",
                ng.flavor_id, ng.name
            ))
        })?;
        let mut properties = json!({"size": size, "image": image});
        if let Some(kind) = non_empty(&ng.boot_volume_type) {
            properties["volume_type"] = json!(kind);
        }
        if let Some(zone) = non_empty(&ng.boot_volume_availability_zone) {
            properties["availability_zone"] = json!(zone);
        }
        if is_true(ng.boot_volume_local_to_instance) {
            // Sahara refers to an `instance` parameter the node group template does not
            // declare; kept as is.
            properties["scheduler_hints"] = json!({"local_to_instance": {"get_param": "instance"}});
        }
        Ok(json!({"type": "OS::Cinder::Volume", "properties": properties}))
    }

    /// `_serialize_volume`: the `ResourceGroup` of data volumes (writes its nested file),
    /// when the node group has a volume count and size.
    fn volumes(&mut self, ng: &NodeGroup) -> Result<Option<Value>> {
        let (count, size) = match (ng.volumes_per_node, ng.volumes_size) {
            (Some(count), Some(size)) if count != 0 && size != 0 => (count, size),
            _ => return Ok(None),
        };
        let file_name = format!("file://{}-volume.yaml", ng.name);
        let mut properties = json!({
            "name": {"list_join": ["-", [self.cluster.name.to_lowercase(), ng.name.to_lowercase(),
                {"get_param": "instance_index"}, "volume", {"get_param": "volume_index"}]]},
            "size": size.to_string(),
        });
        if let Some(kind) = non_empty(&ng.volume_type) {
            properties["volume_type"] = json!(kind);
        }
        if let Some(zone) = non_empty(&ng.volumes_availability_zone) {
            properties["availability_zone"] = json!(zone);
        }
        if is_true(ng.volume_local_to_instance) {
            properties["scheduler_hints"] = json!({"local_to_instance": {"get_param": "instance"}});
        }
        let file = to_yaml(&json!({
            "heat_template_version": HEAT_TEMPLATE_VERSION,
            "description": format!("{}\nVolume for Sahara Node Group {}", self.base_info, ng.name),
            "parameters": {
                "volume_index": {"type": "string"},
                "instance_index": {"type": "string"},
                "instance": {"type": "string"},
            },
            "resources": {
                "volume": {"type": "OS::Cinder::Volume", "properties": properties},
                "volume-attachment": {"type": "OS::Cinder::VolumeAttachment", "properties": {
                    "instance_uuid": {"get_param": "instance"},
                    "volume_id": {"get_resource": "volume"},
                }},
            },
            "outputs": {},
        }))?;
        self.files.insert(file_name.clone(), file);
        Ok(Some(json!({
            "type": "OS::Heat::ResourceGroup",
            "properties": {
                "count": count,
                "resource_def": {"type": file_name, "properties": {
                    "volume_index": "%index%",
                    "instance_index": {"get_param": "instance_index"},
                    "instance": {"get_resource": INSTANCE_RESOURCE},
                }},
            },
        })))
    }

    /// `_serialize_auto_security_group`: the node group's open ports and SSH from anywhere,
    /// everything from the cluster's private networks.
    fn auto_security_group(&self, ng: &NodeGroup) -> Result<Value> {
        let rule = |version: u8, cidr: &str, protocol: &str, from: &str, to: &str| {
            json!({"ethertype": format!("IPv{version}"), "remote_ip_prefix": cidr, "protocol": protocol,
                "port_range_min": from, "port_range_max": to})
        };
        let mut rules = Vec::new();
        for port in ng.open_ports.iter().flatten() {
            let port = match port {
                Value::Number(n) => n.to_string(),
                Value::String(s) => s.clone(),
                other => {
                    return Err(EngineError::Invalid(format!(
                        "node group {} has an open port that is not a port: {other}",
                        ng.name
                    )));
                }
            };
            rules.push(rule(4, "0.0.0.0/0", "tcp", &port, &port));
            rules.push(rule(6, "::/0", "tcp", &port, &port));
        }
        let ssh = SSH_PORT.to_string();
        rules.push(rule(4, "0.0.0.0/0", "tcp", &ssh, &ssh));
        rules.push(rule(6, "::/0", "tcp", &ssh, &ssh));
        for cidr in &self.input.private_network_cidrs {
            let version = if cidr.contains(':') { 6 } else { 4 };
            for protocol in ["tcp", "udp"] {
                rules.push(rule(version, cidr, protocol, "1", "65535"));
            }
            rules.push(rule(version, cidr, "icmp", "0", "255"));
        }
        Ok(json!({
            "type": "OS::Neutron::SecurityGroup",
            "properties": {
                "description": format!("{}\nAuto security group for Sahara Node Group: {}", self.base_info, ng.name),
                "rules": rules,
            },
        }))
    }
}

/// The wait condition handle of a node group's instance.
fn wc_handle_name(ng: &NodeGroup) -> String {
    format!("{}-wc-handle", ng.name)
}

/// The Heat resource index of an instance: the last `-` part of its name.
fn index_of_instance(name: &str) -> &str {
    name.rsplit('-').next().unwrap_or(name)
}

/// The node group's image user (stored from the image registry before provisioning).
fn image_username(ng: &NodeGroup) -> Result<&str> {
    non_empty(&ng.image_username)
        .ok_or_else(|| EngineError::Invalid(format!("node group {} has no image username", ng.name)))
}

/// A string option that Python would find true (set and not empty).
fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|s| !s.is_empty())
}

/// A boolean option that Python would find true.
fn is_true(value: Option<bool>) -> bool {
    value.unwrap_or(false)
}

/// A nested template as text: YAML, or JSON when a YAML 1.1 reader (Heat's) would take a
/// plain scalar of the YAML for something other than a string.
fn to_yaml(value: &Value) -> Result<String> {
    if has_misread_string(value) {
        return serde_json::to_string_pretty(value)
            .map_err(|e| EngineError::Internal(format!("cannot write a Heat template as JSON: {e}")));
    }
    serde_yaml_ng::to_string(value)
        .map_err(|e| EngineError::Internal(format!("cannot write a Heat template as YAML: {e}")))
}

/// Whether any key or string of `value` is one `serde_yaml_ng` writes plain but PyYAML
/// (YAML 1.1) reads back as a boolean, number, null, merge or value key. Timestamps are left
/// out: Heat's loader reads them back as strings.
fn has_misread_string(value: &Value) -> bool {
    match value {
        Value::String(s) => misread(s),
        Value::Array(items) => items.iter().any(has_misread_string),
        Value::Object(map) => map.iter().any(|(k, v)| misread(k) || has_misread_string(v)),
        _ => false,
    }
}

/// Whether `s` written by `serde_yaml_ng` is misread by PyYAML: PyYAML resolves it to
/// something else while `serde_yaml_ng` (YAML 1.2, which quotes what it would itself
/// resolve) takes it for a string and so writes it plain.
fn misread(s: &str) -> bool {
    yaml11_ambiguous(s) && serde_yaml_ng::from_str::<Value>(s).map_or(true, |v| v.is_string())
}

/// PyYAML's implicit resolvers for bool, null, merge, value, int and float.
fn yaml11_ambiguous(s: &str) -> bool {
    matches!(
        s,
        "yes"
            | "Yes"
            | "YES"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | ""
            | "~"
            | "null"
            | "Null"
            | "NULL"
            | "<<"
            | "="
    ) || yaml11_int(s)
        || yaml11_float(s)
}

/// `[-+]?(0b[01_]+ | 0[0-7_]+ | 0 | [1-9][0-9_]* | 0x[0-9a-fA-F_]+ | [1-9][0-9_]*(:[0-5]?[0-9])+)`.
fn yaml11_int(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let all = |t: &str, f: fn(char) -> bool| !t.is_empty() && t.chars().all(|c| c == '_' || f(c));
    if let Some(rest) = s.strip_prefix("0b") {
        return all(rest, |c| matches!(c, '0' | '1'));
    }
    if let Some(rest) = s.strip_prefix("0x") {
        return all(rest, |c| c.is_ascii_hexdigit());
    }
    if s == "0" {
        return true;
    }
    if let Some(rest) = s.strip_prefix('0') {
        return all(rest, |c| matches!(c, '0'..='7'));
    }
    let mut parts = s.split(':');
    let head = parts.next().unwrap_or_default();
    head.starts_with(|c: char| matches!(c, '1'..='9')) && all(head, |c| c.is_ascii_digit()) && parts.all(sexagesimal)
}

/// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)? | \.[0-9][0-9_]*([eE][-+][0-9]+)? |
/// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* | [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)`.
fn yaml11_float(s: &str) -> bool {
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return true;
    }
    let unsigned = s.strip_prefix(['-', '+']);
    let t = unsigned.unwrap_or(s);
    if matches!(t, ".inf" | ".Inf" | ".INF") {
        return true;
    }
    let digits = |t: &str| t.chars().all(|c| c == '_' || c.is_ascii_digit());
    let exponent = |t: &str| {
        t.is_empty()
            || (t.len() > 2
                && t.starts_with(['e', 'E'])
                && t[1..].starts_with(['-', '+'])
                && t[2..].chars().all(|c| c.is_ascii_digit()))
    };
    // Digits, underscores, then an optional exponent.
    let mantissa_exponent = |t: &str| {
        let end = t.find(|c: char| c != '_' && !c.is_ascii_digit()).unwrap_or(t.len());
        exponent(&t[end..])
    };
    if let Some(rest) = t.strip_prefix('.') {
        return unsigned.is_none() && rest.starts_with(|c: char| c.is_ascii_digit()) && mantissa_exponent(rest);
    }
    let Some((head, tail)) = t.split_once('.') else {
        return false;
    };
    if !head.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let mut parts = head.split(':');
    let first = parts.next().unwrap_or_default();
    if head.contains(':') {
        digits(first) && parts.all(sexagesimal) && digits(tail)
    } else {
        digits(first) && mantissa_exponent(tail)
    }
}

/// `[0-5]?[0-9]`.
fn sexagesimal(part: &str) -> bool {
    let b = part.as_bytes();
    match b {
        [d] => d.is_ascii_digit(),
        [t, d] => (b'0'..=b'5').contains(t) && d.is_ascii_digit(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_scalars_that_are_not_strings() {
        for s in [
            "on", "No", "~", "", "<<", "=", "0", "-12", "1_000", "0b101", "0o17x", "017", "0x1F", "1:30", "1.5", "1.",
            "-1.5e+3", ".5", ".inf", "-.Inf", ".nan", "1:30.5",
        ] {
            let expected = s != "0o17x";
            assert_eq!(yaml11_ambiguous(s), expected, "{s:?}");
        }
        for s in [
            "5a7c01e2-0000-4000-8000-00000000beef",
            "2016-04-08",
            "demo",
            "1e3",
            "-.5",
            "::/0",
            "10.250.0.0/24",
            "%index%",
            "1:60",
            "08",
            "y",
            "n",
            "master",
            "heat.3.0",
        ] {
            assert!(!yaml11_ambiguous(s), "{s:?}");
        }
    }

    #[test]
    fn nested_files_fall_back_to_json_only_when_needed() -> Result<()> {
        let plain = to_yaml(&json!({"a": ["b", "2016-04-08", 3, "2", "20", "0x1F", "~", "", "true"]}))?;
        assert!(!plain.trim_start().starts_with('{'), "{plain}");
        for risky in ["on", "No", "1_000", "1:30"] {
            let text = to_yaml(&json!({"name": {"list_join": ["-", ["demo", risky]]}}))?;
            assert!(text.starts_with('{'), "{risky}: {text}");
        }
        let key = to_yaml(&json!({"resources": {"off": {"type": "OS::Heat::None"}}}))?;
        assert!(key.starts_with('{'), "{key}");
        Ok(())
    }

    #[test]
    fn instance_index_is_the_last_dash_part() {
        assert_eq!(index_of_instance("demo-worker-12"), "12");
        assert_eq!(index_of_instance("single"), "single");
    }
}
