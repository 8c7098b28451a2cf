//! The validation checks that ask the cloud (sahara/service/validations/base.py and shares.py): flavors, keypairs
//! and availability zones (Nova), networks, floating IP pools and security groups (Neutron), registered images and
//! their tags (Sahara's image registry over Glance), Cinder's presence, volume types and zones, Manila shares.
//!
//! [`Cloud`] gives each request its checks: [`OpenStackChecks`] over `sahara-openstack` with the caller's token
//! and service catalog (keystonemiddleware's `X-Service-Catalog`, or the header itself under `noauth`), or, when
//! the request has no catalog (`noauth` without `X-Service-Catalog`), [`Unchecked`], which skips every check with
//! a warning naming it.

use crate::error::ApiError;
use futures_util::future::BoxFuture;
use sahara_model::SaharaError;
use sahara_model::error::py_repr_str;
use sahara_openstack::{OpenStackError, Session, Transport};
use sahara_rpc::RequestContext;
use std::sync::Arc;

/// The answer of a cloud check: `Ok` when the thing exists, else Sahara's exception (mostly NOT_FOUND, which the
/// REST layer answers with 400), or 500 when the cloud failed in a way Sahara does not turn into an exception of
/// its own.
pub type CheckResult<'a> = BoxFuture<'a, Result<(), ApiError>>;

fn skipped<'a>(check: &'static str, what: String) -> CheckResult<'a> {
    tracing::warn!(check, what = %what, "cloud check skipped: the request has no service catalog");
    Box::pin(async { Ok(()) })
}

/// The checks of Sahara's validators that need the cloud; the defaults skip with a warning.
pub trait CloudChecks: Send + Sync + std::fmt::Debug {
    /// `check_flavor_exists`: 400 NOT_FOUND `Requested flavor '<id>' not found`.
    fn flavor_exists<'a>(&'a self, flavor_id: &'a str) -> CheckResult<'a> {
        skipped("check_flavor_exists", flavor_id.to_string())
    }
    /// `check_image_registered`: 400 INVALID_REFERENCE `Requested image '<id>' is not registered`.
    fn image_registered<'a>(&'a self, image_id: &'a str) -> CheckResult<'a> {
        skipped("check_image_registered", image_id.to_string())
    }
    /// `check_required_image_tags`: 400 INVALID_REFERENCE `Requested image '<id>' doesn't contain required tags:
    /// [...]`.
    fn required_image_tags<'a>(&'a self, image_id: &'a str, tags: &'a [String]) -> CheckResult<'a> {
        skipped("check_required_image_tags", format!("{image_id} {tags:?}"))
    }
    /// `cinder.check_cinder_exists`: 400 INVALID_REFERENCE `Cinder is not supported`.
    fn cinder_exists(&self) -> CheckResult<'_> {
        skipped("check_cinder_exists", String::new())
    }
    /// `check_volume_availability_zone_exist`: 400 NOT_FOUND `Cinder availability zone '<az>' not found`.
    fn volume_availability_zone_exists<'a>(&'a self, az: &'a str) -> CheckResult<'a> {
        skipped("check_volume_availability_zone_exist", az.to_string())
    }
    /// `check_volume_type_exists`: 400 NOT_FOUND `Volume type '<name>' not found`.
    fn volume_type_exists<'a>(&'a self, volume_type: &'a str) -> CheckResult<'a> {
        skipped("check_volume_type_exists", volume_type.to_string())
    }
    /// `check_floatingip_pool_exists`: 400 NOT_FOUND `Floating IP pool <id> not found`.
    fn floating_ip_pool_exists<'a>(&'a self, pool: &'a str) -> CheckResult<'a> {
        skipped("check_floatingip_pool_exists", pool.to_string())
    }
    /// `check_security_groups_exist`: 400 NOT_FOUND `Security group '<name>' not found`.
    fn security_groups_exist<'a>(&'a self, groups: &'a [String]) -> CheckResult<'a> {
        skipped("check_security_groups_exist", groups.join(","))
    }
    /// `check_availability_zone_exist`: 400 NOT_FOUND `Nova availability zone '<az>' not found`.
    fn availability_zone_exists<'a>(&'a self, az: &'a str) -> CheckResult<'a> {
        skipped("check_availability_zone_exist", az.to_string())
    }
    /// `check_network_exists`: 400 NOT_FOUND `Network <id> not found`.
    fn network_exists<'a>(&'a self, network_id: &'a str) -> CheckResult<'a> {
        skipped("check_network_exists", network_id.to_string())
    }
    /// `check_keypair_exists`: 400 NOT_FOUND `Requested keypair '<name>' not found`.
    fn keypair_exists<'a>(&'a self, keypair: &'a str) -> CheckResult<'a> {
        skipped("check_keypair_exists", keypair.to_string())
    }
    /// `quotas.check_cluster` / `check_scaling`: what `groups` ask must fit in what the project has left of its
    /// Nova, Neutron and Cinder quotas (400 QUOTA_ERROR `Quota exceeded for <resource>: Requested <n>, but
    /// available <m>`).
    fn quotas<'a>(&'a self, groups: &'a [QuotaNodeGroup]) -> CheckResult<'a> {
        skipped("check_quotas", format!("{} node groups", groups.len()))
    }
    /// The Manila half of `check_shares`: each share exists (400 INVALID_REFERENCE `Requested share id <id> does
    /// not exist.`) and is of a supported type (400 INVALID_REFERENCE `Requested share id <id> is of type <proto>,
    /// which is not supported by Sahara.`).
    fn shares_exist<'a>(&'a self, share_ids: &'a [String]) -> CheckResult<'a> {
        skipped("check_shares", share_ids.join(","))
    }
}

/// What one node group asks of the quotas (`_update_limits_for_ng`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaNodeGroup {
    /// Its flavor (RAM and VCPUs per instance).
    pub flavor_id: String,
    /// How many instances it adds (negative when it shrinks).
    pub count: i64,
    /// Whether each instance takes a floating IP.
    pub floating_ip: bool,
    /// Volumes per instance.
    pub volumes_per_node: i64,
    /// Size of each volume in GiB.
    pub volumes_size: i64,
    /// Whether it gets its own security group.
    pub auto_security_group: bool,
    /// How many ports the plugin opens in that group.
    pub open_ports: usize,
}

/// The quota names in Sahara's check order, with the words its message uses.
const QUOTA_NAMES: [(&str, &str); 9] = [
    ("ram", "RAM"),
    ("cpu", "VCPU"),
    ("instances", "instance"),
    ("floatingips", "floating ip"),
    ("security_groups", "security group"),
    ("security_group_rules", "security group rule"),
    ("ports", "port"),
    ("volumes", "volume"),
    ("volume_gbs", "volume storage"),
];

/// `_check_limits`: the first quota (in Sahara's order) whose availability (`None`: unlimited) is below the
/// requirement.
pub fn check_limits(
    required: &std::collections::BTreeMap<&'static str, i64>,
    available: &std::collections::BTreeMap<&'static str, Option<i64>>,
) -> Result<(), ApiError> {
    for (key, words) in QUOTA_NAMES {
        let need = required.get(key).copied().unwrap_or(0);
        if let Some(Some(have)) = available.get(key)
            && *have < need
        {
            return Err(SaharaError::Quota(format!(
                "Quota exceeded for {words}: Requested {need}, but available {have}"
            ))
            .into());
        }
    }
    Ok(())
}

/// No cloud clients: every check is skipped with a warning.
#[derive(Debug, Clone, Copy, Default)]
pub struct Unchecked;

impl CloudChecks for Unchecked {}

/// How the API reaches the cloud: the process's HTTP transport (`[nova]`, `[neutron]`, ... options), or fixed
/// checks (tests).
#[derive(Debug, Clone)]
pub struct Cloud {
    transport: Option<Transport>,
    fixed: Option<Arc<dyn CloudChecks>>,
}

impl Cloud {
    /// The cloud the configuration describes (its client options and retries).
    pub fn from_conf(conf: &sahara_config::ConfigOpts) -> anyhow::Result<Self> {
        let config = sahara_openstack::ClientConfig::from_conf(conf)?;
        Ok(Cloud {
            transport: Some(Transport::new(config)?),
            fixed: None,
        })
    }

    /// The cloud over `transport`.
    pub fn over(transport: Transport) -> Self {
        Cloud {
            transport: Some(transport),
            fixed: None,
        }
    }

    /// Every request gets `checks` (tests standing in for the cloud); no sessions.
    pub fn fixed(checks: Arc<dyn CloudChecks>) -> Self {
        Cloud {
            transport: None,
            fixed: Some(checks),
        }
    }

    /// The caller's session: its token, project and service catalog; `None` when the request carries no catalog
    /// or no token (`noauth` without the headers).
    pub fn session(&self, ctx: &RequestContext) -> Option<Session> {
        let transport = self.transport.clone()?;
        let catalog = match ctx.service_catalog.as_ref()? {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let token = ctx.auth_token.clone()?;
        match Session::from_context(transport, token, ctx.project_id.clone(), &catalog) {
            Ok(s) => Some(match &ctx.user_id {
                Some(u) => s.with_user_id(u.clone()),
                None => s,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "the request's service catalog cannot be read");
                None
            }
        }
    }

    /// The checks for the caller of `ctx`: over its session, or [`Unchecked`] (logged) without a catalog.
    pub fn checks(&self, ctx: &RequestContext) -> Arc<dyn CloudChecks> {
        if let Some(f) = &self.fixed {
            return f.clone();
        }
        match self.session(ctx) {
            Some(session) => Arc::new(OpenStackChecks { session }),
            None => {
                tracing::warn!(
                    "the request has no token or service catalog (noauth without X-Service-Catalog): the cloud \
                     checks of this request are skipped"
                );
                Arc::new(Unchecked)
            }
        }
    }

    /// The caller's session, or 500 (Sahara's clients fail without a catalog) for routes that need the cloud.
    pub fn require_session(&self, ctx: &RequestContext) -> Result<Session, ApiError> {
        self.session(ctx).ok_or_else(|| {
            tracing::warn!("the request has no token or service catalog: the cloud cannot be reached");
            unavailable("The cloud cannot be reached for this request: it carries no token or service catalog")
        })
    }
}

/// A failure of the cloud as Sahara answers it: `MaxRetriesExceeded` is a Sahara exception (400); anything else
/// escaping a validator or handler is a 500.
pub fn cloud_error(e: OpenStackError) -> ApiError {
    match e {
        OpenStackError::MaxRetriesExceeded { .. } => SaharaError::MaxRetriesExceeded(e.to_string()).into(),
        // Ours: Sahara answers these with a 500; the service behind is missing or down, so 503 says what it is.
        OpenStackError::EndpointNotFound { .. } | OpenStackError::Transport { .. } => {
            tracing::warn!(error = %e, "cloud unreachable");
            unavailable(&e.to_string())
        }
        other => {
            tracing::error!(error = %other, "cloud call failed");
            ApiError::internal()
        }
    }
}

/// 503 `SERVICE_UNAVAILABLE` in Sahara's error body.
fn unavailable(message: &str) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::SERVICE_UNAVAILABLE,
        "SERVICE_UNAVAILABLE",
        message,
    )
}

/// The same, inside a validator: a non-Sahara failure is 500 `Error occurred during validation`.
fn check_error(e: OpenStackError) -> ApiError {
    match e {
        OpenStackError::MaxRetriesExceeded { .. } => SaharaError::MaxRetriesExceeded(e.to_string()).into(),
        other => {
            tracing::error!(error = %other, "cloud call failed during validation");
            ApiError::new(
                axum::http::StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_SERVER_ERROR",
                "Error occurred during validation",
            )
        }
    }
}

fn not_found(message: String) -> Result<(), ApiError> {
    Err(SaharaError::NotFound(message).into())
}

/// The checks over the caller's session.
#[derive(Debug, Clone)]
pub struct OpenStackChecks {
    /// The caller's session.
    pub session: Session,
}

impl CloudChecks for OpenStackChecks {
    fn flavor_exists<'a>(&'a self, flavor_id: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            let flavors = self.session.nova().list_flavors().await.map_err(check_error)?;
            if flavors.iter().any(|f| f.id == flavor_id) {
                return Ok(());
            }
            not_found(format!("Requested flavor '{flavor_id}' not found"))
        })
    }

    fn image_registered<'a>(&'a self, image_id: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            let images = self
                .session
                .glance()
                .list_registered(None, &[])
                .await
                .map_err(check_error)?;
            if images.iter().any(|i| i.id == image_id) {
                return Ok(());
            }
            Err(SaharaError::InvalidReference(format!("Requested image '{image_id}' is not registered")).into())
        })
    }

    fn required_image_tags<'a>(&'a self, image_id: &'a str, tags: &'a [String]) -> CheckResult<'a> {
        Box::pin(async move {
            let image = self.session.glance().get_image(image_id).await.map_err(check_error)?;
            let have = image.sahara_tags();
            let mut missing: Vec<&String> = Vec::new();
            for t in tags {
                if !have.contains(t) && !missing.contains(&t) {
                    missing.push(t);
                }
            }
            if missing.is_empty() {
                return Ok(());
            }
            let list: Vec<String> = missing.iter().map(|t| py_repr_str(t)).collect();
            Err(SaharaError::InvalidReference(format!(
                "Requested image '{image_id}' doesn't contain required tags: [{}]",
                list.join(", ")
            ))
            .into())
        })
    }

    fn cinder_exists(&self) -> CheckResult<'_> {
        Box::pin(async move {
            if self.session.cinder().exists() {
                return Ok(());
            }
            Err(SaharaError::InvalidReference("Cinder is not supported".into()).into())
        })
    }

    fn volume_availability_zone_exists<'a>(&'a self, az: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            let zones = self.session.cinder().availability_zones().await.map_err(check_error)?;
            if zones.iter().any(|z| z.name == az) {
                return Ok(());
            }
            not_found(format!("Cinder availability zone '{az}' not found"))
        })
    }

    fn volume_type_exists<'a>(&'a self, volume_type: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            let types = self.session.cinder().volume_types().await.map_err(check_error)?;
            if types.iter().filter(|t| t.name == volume_type).count() == 1 {
                return Ok(());
            }
            not_found(format!("Volume type '{volume_type}' not found"))
        })
    }

    fn floating_ip_pool_exists<'a>(&'a self, pool: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            match self.session.neutron().find_network(pool).await.map_err(check_error)? {
                Some(_) => Ok(()),
                None => not_found(format!("Floating IP pool {pool} not found")),
            }
        })
    }

    fn security_groups_exist<'a>(&'a self, groups: &'a [String]) -> CheckResult<'a> {
        Box::pin(async move {
            let known = self
                .session
                .neutron()
                .list_security_groups(&[])
                .await
                .map_err(check_error)?;
            for g in groups {
                if !known.iter().any(|k| &k.id == g || &k.name == g) {
                    return not_found(format!("Security group '{g}' not found"));
                }
            }
            Ok(())
        })
    }

    fn availability_zone_exists<'a>(&'a self, az: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            let zones = self.session.nova().availability_zones().await.map_err(check_error)?;
            if zones.iter().any(|z| z.name == az) {
                return Ok(());
            }
            not_found(format!("Nova availability zone '{az}' not found"))
        })
    }

    fn network_exists<'a>(&'a self, network_id: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            match self
                .session
                .neutron()
                .find_network(network_id)
                .await
                .map_err(check_error)?
            {
                Some(_) => Ok(()),
                None => not_found(format!("Network {network_id} not found")),
            }
        })
    }

    fn quotas<'a>(&'a self, groups: &'a [QuotaNodeGroup]) -> CheckResult<'a> {
        Box::pin(async move {
            let required = self.required_limits(groups).await.map_err(cloud_error)?;
            let available = self.available_limits().await.map_err(cloud_error)?;
            check_limits(&required, &available)
        })
    }

    fn keypair_exists<'a>(&'a self, keypair: &'a str) -> CheckResult<'a> {
        Box::pin(async move {
            match self.session.nova().get_keypair(keypair).await {
                Ok(_) => Ok(()),
                Err(e) if e.is_not_found() => not_found(format!("Requested keypair '{keypair}' not found")),
                Err(e) => Err(check_error(e)),
            }
        })
    }

    fn shares_exist<'a>(&'a self, share_ids: &'a [String]) -> CheckResult<'a> {
        Box::pin(async move {
            let manila = self.session.manila();
            // `manila.client()` first: no `share` endpoint in the catalog is keystoneauth's `EndpointNotFound`,
            // which Sahara's validator answers with a 500.
            manila.client().map_err(check_error)?;
            for id in share_ids {
                let Some(share) = manila.find_share(id).await.map_err(check_error)? else {
                    return Err(
                        SaharaError::InvalidReference(format!("Requested share id {id} does not exist.")).into(),
                    );
                };
                if !share.is_supported() {
                    let proto = share.share_proto.as_deref().unwrap_or("None");
                    return Err(SaharaError::InvalidReference(format!(
                        "Requested share id {id} is of type {proto}, which is not supported by Sahara."
                    ))
                    .into());
                }
            }
            Ok(())
        })
    }
}

impl OpenStackChecks {
    /// `_get_req_cluster_limits` / `_get_req_scaling_limits` over the node groups' changes.
    async fn required_limits(
        &self,
        groups: &[QuotaNodeGroup],
    ) -> Result<std::collections::BTreeMap<&'static str, i64>, OpenStackError> {
        let mut req: std::collections::BTreeMap<&'static str, i64> = QUOTA_NAMES.iter().map(|(k, _)| (*k, 0)).collect();
        let mut add = |k: &'static str, n: i64| *req.entry(k).or_default() += n;
        for g in groups {
            let sign = if g.count < 0 { -1 } else { 1 };
            let flavor = self.session.nova().get_flavor(&g.flavor_id).await?;
            add("instances", g.count);
            add("ram", i64::try_from(flavor.ram).unwrap_or(i64::MAX) * g.count);
            add("cpu", i64::try_from(flavor.vcpus).unwrap_or(i64::MAX) * g.count);
            if g.floating_ip {
                add("floatingips", g.count);
            }
            if g.volumes_per_node != 0 {
                add("volumes", g.volumes_per_node * g.count);
                add("volume_gbs", g.volumes_per_node * g.volumes_size * g.count);
            }
            if g.auto_security_group {
                add("security_groups", sign);
                add("security_group_rules", (g.open_ports as i64 + 3) * sign);
            }
            add("ports", g.count);
        }
        Ok(req)
    }

    /// `_get_avail_limits`: what Nova, Neutron and (when present) Cinder leave; `None` for unlimited.
    async fn available_limits(&self) -> Result<std::collections::BTreeMap<&'static str, Option<i64>>, OpenStackError> {
        let sub = |total: Option<i64>, used: i64| match total {
            Some(-1) => None,
            Some(t) => Some(t - used),
            None => Some(-used),
        };
        let mut avail: std::collections::BTreeMap<&'static str, Option<i64>> =
            QUOTA_NAMES.iter().map(|(k, _)| (*k, Some(0))).collect();
        let nova = self.session.nova().absolute_limits().await?;
        let n = |k: &str| nova.get(k).copied();
        avail.insert("ram", sub(n("maxTotalRAMSize"), n("totalRAMUsed").unwrap_or(0)));
        avail.insert("cpu", sub(n("maxTotalCores"), n("totalCoresUsed").unwrap_or(0)));
        avail.insert(
            "instances",
            sub(n("maxTotalInstances"), n("totalInstancesUsed").unwrap_or(0)),
        );
        let project = self.session.project_id().unwrap_or_default().to_string();
        let neutron = self.session.neutron();
        let quota = neutron.quotas(&project).await?;
        let q = |k: &str| quota.get(k).copied();
        let by_project = [("tenant_id", project.clone())];
        let fips = neutron.list_floating_ips(&by_project).await?.len() as i64;
        avail.insert("floatingips", sub(q("floatingip"), fips));
        let groups = neutron.list_security_groups(&by_project).await?;
        avail.insert("security_groups", sub(q("security_group"), groups.len() as i64));
        let rules: usize = groups.iter().map(|g| g.security_group_rules.len()).sum();
        avail.insert("security_group_rules", sub(q("security_group_rule"), rules as i64));
        let ports = neutron.list_ports(&by_project).await?.len() as i64;
        avail.insert("ports", sub(q("port"), ports));
        let cinder = self.session.cinder();
        if cinder.exists() {
            let lim = cinder.absolute_limits().await?;
            let c = |k: &str| lim.get(k).copied();
            avail.insert("volumes", sub(c("maxTotalVolumes"), c("totalVolumesUsed").unwrap_or(0)));
            avail.insert(
                "volume_gbs",
                sub(c("maxTotalVolumeGigabytes"), c("totalGigabytesUsed").unwrap_or(0)),
            );
        }
        Ok(avail)
    }
}
