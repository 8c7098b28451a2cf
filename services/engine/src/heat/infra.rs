//! The Heat infrastructure engine (sahara/service/heat/heat_engine.py and the common part in
//! sahara/service/engine.py): create a cluster's instances through its stack, scale it by
//! updating the stack, roll back, shut it down; then wait for addresses and SSH, and write
//! `/etc/hosts` and the hostname on every instance.

use crate::error::{EngineError, Result};
use crate::heat::template;
use crate::progress::ClusterOp;
use crate::{instances, networks};
use sahara_model::enums::ClusterStatus;
use sahara_model::resources::{Cluster, Instance};
use sahara_openstack::Session;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

/// Node group id → instance count.
pub type Counts = BTreeMap<String, i64>;

/// Every node group's count.
pub fn counts(cluster: &Cluster) -> Counts {
    cluster
        .node_groups
        .iter()
        .map(|ng| (ng.id.clone(), i64::from(ng.count)))
        .collect()
}

async fn set_rollback_info(op: &ClusterOp, info: Value) -> Result<()> {
    op.update(json!({ "rollback_info": info })).await.map(|_| ())
}

/// `create_cluster`: remembers the target counts, sets every node group's count to 0 (the
/// conductor counts instances as they are added), names the stack and launches the
/// instances; a failure from here on deletes the stack (`rollback_info.shutdown`).
pub async fn create_cluster(op: &ClusterOp) -> Result<()> {
    set_rollback_info(op, json!({"shutdown": true})).await?;
    let cluster = op.cluster().await?;
    let target = counts(&cluster);
    for ng in &cluster.node_groups {
        let mut v = Map::new();
        v.insert("count".into(), json!(0));
        op.engine.conductor.node_group_update(&op.ctx, &ng.id, v).await?;
    }
    let mut extra = cluster.extra.clone().unwrap_or_default();
    extra.insert("heat_stack_name".into(), json!(template::generate_stack_name(&cluster)));
    op.update(json!({ "extra": extra })).await?;
    launch_instances(op, &target, ClusterStatus::CREATE_STAGES, Launch::create()).await?;
    set_rollback_info(op, json!({})).await
}

/// How a launch treats the stack.
#[derive(Debug, Clone, Copy)]
struct Launch<'a> {
    /// Update the existing stack instead of creating one.
    update: bool,
    /// Heat keeps a failed stack as it is (create, rollback) instead of rolling it back (scale).
    disable_rollback: bool,
    /// Instances removed from the stack (and their rows).
    victims: &'a [Instance],
    /// Rows of servers the stack no longer lists are removed (a scaling rollback).
    forget_removed: bool,
}

impl Launch<'_> {
    fn create() -> Self {
        Launch {
            update: false,
            disable_rollback: true,
            victims: &[],
            forget_removed: false,
        }
    }
}

/// `scale_cluster`: records the rollback counts, removes the victims' rows, updates the
/// stack to the target counts, prepares the new instances and removes emptied node groups.
/// Answers the new instances' ids.
pub async fn scale_cluster(op: &ClusterOp, target: &Counts, victims: &[Instance]) -> Result<Vec<String>> {
    let cluster = op.cluster().await?;
    set_rollback_info(op, json!({"rollback_count": counts(&cluster), "target_count": target})).await?;
    let launch = Launch {
        update: true,
        disable_rollback: false,
        victims,
        forget_removed: false,
    };
    let ids = launch_instances(op, target, ClusterStatus::SCALING_STAGES, launch).await?;
    let cluster = op.cluster().await?;
    for ng in cluster.node_groups.iter().filter(|ng| ng.count == 0) {
        op.engine.conductor.node_group_remove(&op.ctx, &ng.id).await?;
    }
    set_rollback_info(op, json!({})).await?;
    Ok(ids)
}

/// `rollback_cluster`: after a failed create the stack is deleted and `false` answered (the
/// cluster ends in Error); after a failed scale the new instances are removed again (the
/// counts clamped to the old ones) and `true` answered (back to Active).
pub async fn rollback_cluster(op: &ClusterOp) -> Result<bool> {
    let cluster = op.cluster().await?;
    let info = cluster.rollback_info.clone().unwrap_or_default();
    set_rollback_info(op, json!({})).await?;
    if info.get("shutdown").and_then(Value::as_bool) == Some(true) {
        shutdown_cluster(op, false).await?;
        tracing::warn!(cluster_id = %op.cluster_id, "Cluster creation rolled back");
        return Ok(false);
    }
    let as_counts = |k: &str| -> Counts {
        info.get(k)
            .and_then(Value::as_object)
            .map(|m| m.iter().filter_map(|(id, c)| Some((id.clone(), c.as_i64()?))).collect())
            .unwrap_or_default()
    };
    let rollback = as_counts("rollback_count");
    let target = as_counts("target_count");
    if rollback.is_empty() && target.is_empty() {
        return Ok(false);
    }
    rollback_scaling(op, &rollback, &target).await?;
    Ok(true)
}

/// `_rollback_cluster_scaling`: the stack is updated to the counts before the scale (none above the
/// target: nodes are only removed, decommissioned ones do not come back), and the rows of the servers
/// that removes go too (Sahara leaves them, naming deleted servers).
pub async fn rollback_scaling(op: &ClusterOp, before: &Counts, target: &Counts) -> Result<()> {
    set_rollback_info(op, json!({})).await?;
    let mut rollback = before.clone();
    for (ng, count) in rollback.iter_mut() {
        if let Some(t) = target.get(ng) {
            *count = (*count).min(*t);
        }
    }
    let launch = Launch {
        update: true,
        disable_rollback: true,
        victims: &[],
        forget_removed: true,
    };
    launch_instances(op, &rollback, ClusterStatus::ROLLBACK_STAGES, launch).await?;
    tracing::warn!(cluster_id = %op.cluster_id, "Cluster scaling rolled back");
    Ok(())
}

/// `shutdown_cluster`: deletes the stack (and waits, unless `force`: then one delete call),
/// a missing stack being only a warning; then the cluster's job executions lose it (killed
/// if still running) and its instance rows are removed.
pub async fn shutdown_cluster(op: &ClusterOp, force: bool) -> Result<()> {
    let cluster = op
        .cluster_opt()
        .await?
        .ok_or_else(|| EngineError::ClusterGone(op.cluster_id.clone()))?;
    let session = op.session()?;
    let heat = session.heat();
    let name = template::stack_name(&cluster);
    let deleted = if force {
        heat.delete_stack(&name).await
    } else {
        heat.delete_stack_and_wait(&name, op.engine.settings.stack_delete_poll)
            .await
    };
    match deleted {
        Ok(()) => {}
        Err(e) if e.is_not_found() => tracing::warn!(cluster_id = %op.cluster_id, "Did not find stack for cluster."),
        Err(e) => return Err(e.into()),
    }
    clean_job_executions(op).await?;
    if let Some(cluster) = op.cluster_opt().await? {
        for inst in cluster.instances() {
            op.engine.conductor.instance_remove(&op.ctx, &inst.id).await?;
        }
    }
    Ok(())
}

/// `_clean_job_executions`: the cluster's job executions no longer point at it; those not
/// ended are KILLED now.
async fn clean_job_executions(op: &ClusterOp) -> Result<()> {
    let mut filters = Map::new();
    filters.insert("cluster_id".into(), json!(op.cluster_id));
    let page = op
        .engine
        .conductor
        .job_execution_get_all(&op.ctx, false, filters)
        .await?;
    for je in page.items {
        let mut update = Map::new();
        update.insert("cluster_id".into(), Value::Null);
        if je.end_time.is_none() {
            let mut info = je.info.clone().unwrap_or_default();
            info.insert("status".into(), json!("KILLED"));
            update.insert("info".into(), Value::Object(info));
            update.insert(
                "end_time".into(),
                json!(
                    chrono::Utc::now()
                        .naive_utc()
                        .format("%Y-%m-%dT%H:%M:%S%.6f")
                        .to_string()
                ),
            );
        }
        op.engine
            .conductor
            .job_execution_update(&op.ctx, &je.id, update)
            .await?;
    }
    Ok(())
}

/// `_launch_instances`: stage 1 creates or updates the stack (step "Create Heat stack") and
/// adds the new instances' rows, stage 2 waits for their addresses and SSH, stage 3 prepares
/// them and configures every instance. Answers the new instances' ids.
async fn launch_instances(
    op: &ClusterOp,
    target: &Counts,
    stages: [ClusterStatus; 3],
    launch: Launch<'_>,
) -> Result<Vec<String>> {
    op.change_status(stages[0].clone(), None).await?;
    let ids = op
        .cluster_step("Create Heat stack", create_instances(op, target, launch))
        .await?;
    op.change_status(stages[1].clone(), None).await?;
    let cluster = op.cluster().await?;
    let new: Vec<Instance> = instances_of(&cluster, &ids);
    await_networks(op, &new).await?;
    op.change_status(stages[2].clone(), None).await?;
    let cluster = op.cluster().await?;
    let new: Vec<Instance> = instances_of(&cluster, &ids);
    crate::volumes::mount_to_instances(op, &cluster, &new).await?;
    configure_instances(op).await?;
    Ok(ids)
}

/// The instances of `cluster` whose row ids are in `ids`, in that order.
pub fn instances_of(cluster: &Cluster, ids: &[String]) -> Vec<Instance> {
    let all: BTreeMap<&str, &Instance> = cluster
        .node_groups
        .iter()
        .flat_map(|ng| ng.instances.iter())
        .map(|i| (i.id.as_str(), i))
        .collect();
    ids.iter()
        .filter_map(|id| all.get(id.as_str()).map(|i| (*i).clone()))
        .collect()
}

/// `_create_instances`: builds the stack for `target` (removing `victims`), creates or
/// updates it, waits for it, and adds a row for every server not known yet.
async fn create_instances(op: &ClusterOp, target: &Counts, launch: Launch<'_>) -> Result<Vec<String>> {
    let update = launch.update;
    let cluster = op.cluster().await?;
    let session = op.session()?;
    let victim_names: BTreeSet<&str> = launch.victims.iter().map(|v| v.instance_name.as_str()).collect();
    let input = template_input(op, &session, &cluster, target, launch).await?;
    let request = template::stack_request(&input)?;
    for inst in cluster.node_groups.iter().flat_map(|ng| ng.instances.iter()) {
        if victim_names.contains(inst.instance_name.as_str()) {
            op.engine.conductor.instance_remove(&op.ctx, &inst.id).await?;
        }
    }
    let heat = session.heat();
    let name = request.stack_name.clone();
    let started = Instant::now();
    let stack = if update {
        let existing = heat
            .find_stack(&name)
            .await?
            .ok_or_else(|| EngineError::Invalid(format!("Failed to find stack {name}")))?;
        heat.update_stack(&name, &existing.id, &request, false).await?;
        heat.wait_stack_completion(
            &name,
            true,
            existing.updated_time.as_deref(),
            op.engine.settings.stack_poll,
        )
        .await
        .map_err(stack_failure)?
    } else {
        heat.create_stack(&request).await?;
        heat.wait_stack_completion(&name, false, None, op.engine.settings.stack_poll)
            .await
            .map_err(stack_failure)?
    };
    tracing::info!(cluster_id = %op.cluster_id, stack = %name, seconds = started.elapsed().as_secs_f64(),
        "stack {}", if update { "updated" } else { "created" });
    populate_cluster(op, &session, &stack.stack_name, &stack.id, launch.forget_removed).await
}

/// A failed stack as Sahara reports it (`HeatStackException(stack.stack_status_reason)`).
fn stack_failure(e: sahara_openstack::OpenStackError) -> EngineError {
    match e {
        sahara_openstack::OpenStackError::HeatStack(reason) => EngineError::HeatStack(reason),
        other => other.into(),
    }
}

/// What the template module needs, read from the cloud: the management network's CIDRs
/// (auto security groups), the flavors' disks (boot volumes), the orchestration endpoint's
/// `/etc/hosts` line (wait conditions).
async fn template_input<'a>(
    op: &ClusterOp,
    session: &Session,
    cluster: &'a Cluster,
    target: &Counts,
    launch: Launch<'_>,
) -> Result<template::TemplateInput<'a>> {
    let mut cidrs = Vec::new();
    let needs_cidrs = cluster
        .node_groups
        .iter()
        .any(|ng| ng.auto_security_group == Some(true));
    if needs_cidrs && let Some(net) = cluster.neutron_management_network.as_deref() {
        cidrs = session.neutron().network_cidrs(net).await?;
    }
    let mut flavor_disks = BTreeMap::new();
    for ng in cluster.node_groups.iter().filter(|ng| ng.boot_from_volume) {
        if !flavor_disks.contains_key(&ng.flavor_id) {
            let flavor = session.nova().get_flavor(&ng.flavor_id).await?;
            flavor_disks.insert(ng.flavor_id.clone(), flavor.disk);
        }
    }
    let mut targets = BTreeMap::new();
    for ng in &cluster.node_groups {
        let count = target.get(&ng.id).copied().unwrap_or(i64::from(ng.count));
        targets.insert(
            ng.id.clone(),
            template::NodeGroupTarget {
                count: u32::try_from(count.max(0)).unwrap_or(0),
                instances_to_delete: launch
                    .victims
                    .iter()
                    .filter(|v| v.node_group_id.as_deref() == Some(ng.id.as_str()))
                    .map(|v| v.instance_name.clone())
                    .collect(),
            },
        );
    }
    let settings = &op.engine.settings.service;
    Ok(template::TemplateInput {
        cluster,
        targets,
        flavor_disks,
        private_network_cidrs: cidrs,
        orchestration_hosts_entry: Some(hosts_entry(op, session, "orchestration")),
        enable_wait_condition: settings.heat_enable_wait_condition,
        stack_tags: settings.heat_stack_tags.clone(),
        disable_rollback: launch.disable_rollback,
    })
}

/// `_populate_cluster`: the stack's `<ng>-instances` outputs list `{physical_id, name}`;
/// servers without a row get one (the conductor counts them into the node group); with `forget_removed`,
/// rows of servers no longer listed are removed.
async fn populate_cluster(
    op: &ClusterOp,
    session: &Session,
    name: &str,
    id: &str,
    forget_removed: bool,
) -> Result<Vec<String>> {
    let cluster = op.cluster().await?;
    let known: BTreeSet<String> = cluster
        .node_groups
        .iter()
        .flat_map(|ng| ng.instances.iter())
        .filter_map(|i| i.instance_id.clone())
        .collect();
    // By name: Heat redirects to the stack's `name/id` (the id alone names no stack in Heat's
    // `/stacks/{name}` route).
    let stack = session.heat().get_stack(name).await?;
    if stack.id != id {
        return Err(EngineError::Invalid(format!(
            "stack {name} was replaced while it was read"
        )));
    }
    let mut new_ids = Vec::new();
    for ng in &cluster.node_groups {
        let key = format!("{}-instances", ng.name);
        let Some(list) = stack.output(&key).and_then(Value::as_array) else {
            continue;
        };
        if forget_removed {
            let listed: BTreeSet<&str> = list
                .iter()
                .filter_map(|s| s.get("physical_id").and_then(Value::as_str))
                .collect();
            for inst in &ng.instances {
                if inst.instance_id.as_deref().is_none_or(|i| !listed.contains(i)) {
                    tracing::info!(cluster_id = %op.cluster_id, instance = %inst.instance_name,
                        "instance removed by the rollback");
                    op.engine.conductor.instance_remove(&op.ctx, &inst.id).await?;
                }
            }
        }
        for server in list {
            let (Some(nova_id), Some(server_name)) = (
                server.get("physical_id").and_then(Value::as_str),
                server.get("name").and_then(Value::as_str),
            ) else {
                continue;
            };
            if known.contains(nova_id) {
                continue;
            }
            let mut values = Map::new();
            values.insert("instance_id".into(), json!(nova_id));
            values.insert("instance_name".into(), json!(server_name));
            new_ids.push(op.engine.conductor.instance_add(&op.ctx, &ng.id, values).await?);
        }
    }
    Ok(new_ids)
}

/// `_await_networks`: step "Assign IPs" polls Nova every second until every new instance has
/// its addresses (`[timeouts] ips_assign_timeout`), then step "Wait for instance
/// accessibility" tries each over SSH every 5 s (`ls .ssh/authorized_keys`, `[timeouts]
/// wait_until_accessible`), all instances at once.
async fn await_networks(op: &ClusterOp, new: &[Instance]) -> Result<()> {
    if new.is_empty() {
        return Ok(());
    }
    op.add_step("Assign IPs", new.len()).await?;
    let deadline = Instant::now() + op.engine.settings.ips_assign_timeout();
    let mut assigned: BTreeSet<String> = BTreeSet::new();
    loop {
        let cluster = op.cluster().await?;
        for inst in new {
            if assigned.contains(&inst.id) {
                continue;
            }
            if networks::init_instance_ips(op, &cluster, inst).await? {
                assigned.insert(inst.id.clone());
                op.event_ok(inst).await?;
            }
        }
        if assigned.len() == new.len() {
            break;
        }
        if Instant::now() >= deadline {
            return Err(EngineError::Timeout {
                operation: "Assign IPs".into(),
                seconds: op.engine.settings.ips_assign_timeout().as_secs(),
            });
        }
        tokio::time::sleep(op.engine.settings.ips_poll).await;
    }
    tracing::info!(cluster_id = %op.cluster_id, "All instances have IPs assigned");
    let cluster = op.cluster().await?;
    let ids: Vec<String> = new.iter().map(|i| i.id.clone()).collect();
    let ready = instances_of(&cluster, &ids);
    op.add_step("Wait for instance accessibility", ready.len()).await?;
    let waits = ready.iter().map(|inst| {
        let cluster = &cluster;
        async move {
            let r = instances::wait_until_accessible(op, cluster, inst).await;
            match &r {
                Ok(()) => op.event_ok(inst).await?,
                Err(e) if !e.is_gone() => op.event_failed(inst, &e.to_string()).await?,
                Err(_) => {}
            }
            r
        }
    });
    for r in futures_util::future::join_all(waits).await {
        r?;
    }
    tracing::info!(cluster_id = %op.cluster_id, "All instances are accessible");
    Ok(())
}

/// `_configure_instances`: step "Configure instances" writes `/etc/hosts` (every instance,
/// then Keystone's and Swift's endpoints) and the hostname on every instance of the cluster.
async fn configure_instances(op: &ClusterOp) -> Result<()> {
    let cluster = op.cluster().await?;
    let all: Vec<&Instance> = cluster.instances().collect();
    op.add_step("Configure instances", all.len()).await?;
    let session = op.session()?;
    let hosts = etc_hosts(op, &session, &cluster);
    let jobs = all.iter().map(|inst| {
        let (cluster, hosts) = (&cluster, &hosts);
        async move {
            let r = instances::configure_instance(op, cluster, inst, hosts).await;
            match &r {
                Ok(()) => op.event_ok(inst).await?,
                Err(e) if !e.is_gone() => op.event_failed(inst, &e.to_string()).await?,
                Err(_) => {}
            }
            r
        }
    });
    for r in futures_util::future::join_all(jobs).await {
        r?;
    }
    Ok(())
}

/// `generate_etc_hosts`: localhost, each instance's internal IP with its FQDN and hostname,
/// then Keystone's and Swift's public endpoint hosts.
pub fn etc_hosts(op: &ClusterOp, session: &Session, cluster: &Cluster) -> String {
    let domain = &op.engine.settings.networking.node_domain;
    let mut hosts = String::from("127.0.0.1 localhost\n");
    for inst in cluster.node_groups.iter().flat_map(|ng| ng.instances.iter()) {
        hosts.push_str(&format!(
            "{} {}.{} {}\n",
            inst.internal_ip.as_deref().unwrap_or("None"),
            inst.instance_name,
            domain,
            inst.instance_name
        ));
    }
    for service in ["identity", "object-store"] {
        hosts.push_str(&hosts_entry(op, session, service));
    }
    hosts
}

/// `etc_hosts_entry_for_service`: `<ip> <hostname>\n` for the host of `service`'s public
/// endpoint (`identity_ip_accessible` / `object_store_ip_accessible` override the address);
/// nothing without such an endpoint; a comment when the name does not resolve.
pub fn hosts_entry(op: &ClusterOp, session: &Session, service: &str) -> String {
    let region = op.engine.settings.service.os_region_name.as_deref();
    let Ok(url) = session
        .catalog()
        .url_for(service, "publicURL", region, session.project_id())
    else {
        tracing::debug!(service, "Endpoint not found for service");
        return String::new();
    };
    let Some(host) = url_host(&url) else {
        return String::new();
    };
    let overridden = match service {
        "identity" => op.engine.settings.networking.identity_ip_accessible.clone(),
        "object-store" => op.engine.settings.networking.object_store_ip_accessible.clone(),
        _ => None,
    };
    if let Some(ip) = overridden {
        return format!("{ip} {host}\n");
    }
    match resolve(&host) {
        Some(ip) => format!("{ip} {host}\n"),
        None => {
            tracing::warn!(service, "Failed to resolve hostname of service");
            format!("# Failed to resolve {host} during deployment\n")
        }
    }
}

/// The host part of a URL (brackets of an IPv6 literal removed), lower-cased as urlparse does.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// `socket.gethostbyname`: the first IPv4 address of `host`.
fn resolve(host: &str) -> Option<String> {
    use std::net::ToSocketAddrs;
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Some(ip.to_string());
    }
    (host, 0)
        .to_socket_addrs()
        .ok()?
        .find(|a| a.is_ipv4())
        .map(|a| a.ip().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts_are_parsed_as_urlparse_does() {
        assert_eq!(url_host("http://127.0.0.1:5000/v3").as_deref(), Some("127.0.0.1"));
        assert_eq!(
            url_host("https://Keystone.Example:443").as_deref(),
            Some("keystone.example")
        );
        assert_eq!(url_host("http://[fd00::1]:8080/x").as_deref(), Some("fd00::1"));
        assert_eq!(url_host("http://u:p@h/x").as_deref(), Some("h"));
        assert_eq!(resolve("127.0.0.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(resolve("localhost").as_deref(), Some("127.0.0.1"));
    }
}
