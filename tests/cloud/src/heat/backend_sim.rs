//! The [`Backend`] bound to the simulator core ([`sim::Cloud`](crate::sim::Cloud)): Heat's
//! calls become the core's operations in the stack owner's context, names are resolved
//! as Heat's client plugins resolve them (flavors, images, networks by name or id), the
//! answers are shaped as the Nova / Neutron / Cinder APIs show them, and the core's
//! errors become the client exceptions Heat reports (`Forbidden` for Nova quotas,
//! `OverQuotaClient` for Neutron's, ...). Also the auth layer that turns the core's
//! validated tokens into Heat's [`Caller`](super::api::Caller).

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use super::api::{self, Caller};
use super::backend::*;
use super::engine::Heat;
use crate::sim::api::neutron::{fip_view, port_view, sg_view};
use crate::sim::compute::{BlockDevice, NetworksSpec, NicSpec, ServerCreate, ServerGroupCreate};
use crate::sim::network::{
    FixedIpSpec, FloatingIpCreate, FloatingIpUpdate, PortCreate, RuleCreate, SecurityGroupCreate,
};
use crate::sim::volume::{VolumeCreate, VolumeUpdate};
use crate::sim::{Cloud, RequestContext, SimError, TokenValidator};

/// Which service a call went to (the class of its quota errors differs).
#[derive(Clone, Copy)]
enum Service {
    Nova,
    Neutron,
    Cinder,
}

fn err(service: Service) -> impl Fn(SimError) -> BackendError {
    move |e| match &e {
        SimError::NotFound { .. } => BackendError::not_found(e.to_string()),
        SimError::Missing { kind, message } => BackendError::new(*kind, message.clone()),
        SimError::BadRequest { kind, message } => BackendError::new(*kind, message.clone()),
        SimError::Conflict { kind, message } => BackendError::new(*kind, message.clone()),
        SimError::Forbidden { kind, message } => BackendError::new(*kind, message.clone()),
        SimError::OverQuota(q) => match service {
            Service::Nova => BackendError::new(
                "Forbidden",
                format!(
                    "Quota exceeded for {r}: Requested {}, but already used {} of {} {r} (HTTP 403)",
                    q.requested,
                    q.used,
                    q.limit,
                    r = q.resource
                ),
            ),
            Service::Neutron => BackendError::new(
                "OverQuotaClient",
                format!("Quota exceeded for resources: ['{}'].", q.resource),
            ),
            Service::Cinder => BackendError::new("OverLimit", format!("{q} (HTTP 413)")),
        },
        SimError::Fabric(_) | SimError::Internal(_) => BackendError::new("InternalServerError", e.to_string()),
    }
}

fn strings(m: &Map<String, Value>) -> BTreeMap<String, String> {
    m.iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()),
            )
        })
        .collect()
}

fn ip(s: Option<&str>) -> BackendResult<Option<Ipv4Addr>> {
    s.map(|x| {
        x.parse::<Ipv4Addr>()
            .map_err(|_| BackendError::new("BadRequest", format!("Invalid IP address {x}")))
    })
    .transpose()
}

/// Heat's backend on the simulator core.
pub struct SimBackend {
    cloud: Cloud,
}

impl SimBackend {
    /// A backend acting on `cloud`.
    pub fn new(cloud: Cloud) -> Arc<SimBackend> {
        Arc::new(SimBackend { cloud })
    }

    fn ctx(&self, who: &Principal) -> RequestContext {
        RequestContext::new(who.project_id.clone(), who.user_id.clone(), vec!["member".to_string()])
    }

    fn flavor(&self, name_or_id: &str) -> BackendResult<String> {
        let st = self.cloud.snapshot();
        st.flavors
            .values()
            .find(|f| f.id == name_or_id)
            .or_else(|| st.flavors.values().find(|f| f.name == name_or_id))
            .map(|f| f.id.clone())
            .ok_or_else(|| {
                BackendError::not_found(format!("No Flavor matching {{'name': '{name_or_id}'}}. (HTTP 404)"))
            })
    }

    fn image(&self, name_or_id: &str) -> BackendResult<String> {
        let st = self.cloud.snapshot();
        st.images
            .values()
            .find(|i| i.id == name_or_id)
            .or_else(|| st.images.values().find(|i| i.name.as_deref() == Some(name_or_id)))
            .map(|i| i.id.clone())
            .ok_or_else(|| {
                BackendError::new(
                    "EntityNotFound",
                    format!("The Image ({name_or_id}) could not be found."),
                )
            })
    }

    fn network(&self, who: &Principal, name_or_id: &str) -> BackendResult<String> {
        let st = self.cloud.snapshot();
        let visible = |n: &&crate::sim::model::Network| n.project_id == who.project_id || n.shared || n.external;
        st.networks
            .values()
            .find(|n| n.id == name_or_id)
            .or_else(|| st.networks.values().filter(visible).find(|n| n.name == name_or_id))
            .map(|n| n.id.clone())
            .ok_or_else(|| BackendError::not_found(format!("Unable to find network with name or id '{name_or_id}'")))
    }

    /// Nova's `addresses` of a server: its ports' fixed IPs and the floating IPs on them.
    fn addresses(&self, ports: &[String]) -> Value {
        let st = self.cloud.snapshot();
        let mut out = Map::new();
        for pid in ports {
            let Some(p) = st.ports.get(pid) else { continue };
            let net = st
                .networks
                .get(&p.network_id)
                .map(|n| n.name.clone())
                .unwrap_or_else(|| p.network_id.clone());
            let entry = out.entry(net).or_insert_with(|| Value::Array(vec![]));
            let Some(list) = entry.as_array_mut() else { continue };
            for f in &p.fixed_ips {
                list.push(
                    json!({"addr": f.ip_address.to_string(), "version": 4, "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": p.mac_address}),
                );
            }
            for fip in st
                .floating_ips
                .values()
                .filter(|f| f.port_id.as_deref() == Some(pid.as_str()))
            {
                list.push(
                    json!({"addr": fip.floating_ip_address.to_string(), "version": 4, "OS-EXT-IPS:type": "floating",
                    "OS-EXT-IPS-MAC:mac_addr": p.mac_address}),
                );
            }
        }
        Value::Object(out)
    }

    fn rules(&self, group: &str) -> Vec<crate::sim::model::SecurityGroupRule> {
        self.cloud
            .snapshot()
            .security_group_rules
            .values()
            .filter(|r| r.security_group_id == group)
            .cloned()
            .collect()
    }

    async fn set_rules(
        &self,
        who: &Principal,
        group: &str,
        req: &SecurityGroupRequest,
        fresh: bool,
    ) -> BackendResult<()> {
        let ctx = self.ctx(who);
        let has_egress = req.rules.iter().any(|r| r.direction == "egress");
        for existing in self.rules(group) {
            // Heat replaces the rules it manages; a new group keeps Neutron's default
            // egress rules unless the template has egress rules of its own.
            if !fresh || (has_egress && existing.direction == "egress") {
                self.cloud
                    .delete_security_group_rule(&ctx, &existing.id)
                    .await
                    .map_err(err(Service::Neutron))?;
            }
        }
        for r in &req.rules {
            let rule = RuleCreate {
                security_group_id: group.to_string(),
                direction: r.direction.clone(),
                ethertype: Some(r.ethertype.clone()),
                protocol: r.protocol.clone(),
                port_range_min: r.port_range_min.and_then(|p| u32::try_from(p).ok()),
                port_range_max: r.port_range_max.and_then(|p| u32::try_from(p).ok()),
                remote_ip_prefix: r.remote_ip_prefix.clone(),
                remote_group_id: r.remote_group_id.clone(),
                description: String::new(),
            };
            self.cloud
                .create_security_group_rule(&ctx, rule)
                .await
                .map_err(err(Service::Neutron))?;
        }
        Ok(())
    }

    fn sg_info(&self, g: &crate::sim::model::SecurityGroup) -> SecurityGroupInfo {
        SecurityGroupInfo {
            id: g.id.clone(),
            raw: sg_view(g, &self.rules(&g.id)),
        }
    }

    fn volume_info(v: &crate::sim::model::Volume) -> VolumeInfo {
        let attachments: Vec<Value> = v
            .attachment
            .iter()
            .map(|a| json!({"server_id": a.server_id, "attachment_id": a.attachment_id, "volume_id": v.id, "device": a.device}))
            .collect();
        VolumeInfo {
            id: v.id.clone(),
            status: v.status.as_str().to_string(),
            raw: json!({
                "id": v.id, "name": v.name, "status": v.status.as_str(), "size": v.size, "description": v.description,
                "volume_type": v.volume_type, "availability_zone": v.availability_zone, "metadata": v.metadata,
                "bootable": v.bootable.to_string(), "encrypted": false, "multiattach": false,
                "attachments": attachments, "snapshot_id": null, "source_volid": null,
            }),
        }
    }
}

#[async_trait]
impl Backend for SimBackend {
    async fn create_server(&self, who: &Principal, req: &ServerRequest) -> BackendResult<String> {
        let mut nics = Vec::new();
        for n in &req.networks {
            nics.push(NicSpec {
                port_id: n.port.clone(),
                network_id: n.network.as_deref().map(|x| self.network(who, x)).transpose()?,
                fixed_ip: ip(n.fixed_ip.as_deref())?,
            });
        }
        let block_devices = req
            .block_device_mapping
            .iter()
            .map(|b| BlockDevice {
                volume_id: b.get("volume_id").and_then(Value::as_str).map(str::to_string),
                volume_size: b
                    .get("volume_size")
                    .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
                    .map(|s| s as u32),
                image_id: b
                    .get("image")
                    .or_else(|| b.get("image_id"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                boot_index: b.get("boot_index").and_then(|v| v.as_i64()).map(|i| i as i32),
                delete_on_termination: b
                    .get("delete_on_termination")
                    .is_some_and(|v| v.as_bool().unwrap_or_else(|| v.as_str() == Some("true"))),
                device_name: b.get("device_name").and_then(Value::as_str).map(str::to_string),
            })
            .collect();
        let create = ServerCreate {
            name: req.name.clone(),
            image_ref: req.image.as_deref().map(|i| self.image(i)).transpose()?,
            flavor_ref: self.flavor(&req.flavor)?,
            key_name: req.key_name.clone(),
            networks: if nics.is_empty() {
                NetworksSpec::Auto
            } else {
                NetworksSpec::List(nics)
            },
            security_groups: (!req.security_groups.is_empty()).then(|| req.security_groups.clone()),
            user_data: req
                .user_data
                .as_ref()
                .map(|u| base64::engine::general_purpose::STANDARD.encode(u)),
            metadata: strings(&req.metadata),
            availability_zone: req.availability_zone.clone(),
            group: req
                .scheduler_hints
                .get("group")
                .and_then(Value::as_str)
                .map(str::to_string),
            min_count: 1,
            max_count: 1,
            block_devices,
            admin_user: req.admin_user.clone(),
            description: None,
            config_drive: req.config_drive,
            hostname: None,
        };
        let servers = self
            .cloud
            .create_server(&self.ctx(who), create)
            .await
            .map_err(err(Service::Nova))?;
        servers
            .first()
            .map(|s| s.id.clone())
            .ok_or_else(|| BackendError::new("InternalServerError", "no server made"))
    }

    async fn get_server(&self, who: &Principal, id: &str) -> BackendResult<ServerInfo> {
        let s = self
            .cloud
            .get_server(&self.ctx(who), id)
            .await
            .map_err(err(Service::Nova))?;
        let ports: Vec<String> = s.ports.iter().map(|p| p.port_id.clone()).collect();
        let mut raw = json!({
            "id": s.id, "name": s.name, "status": s.status.as_str(), "OS-EXT-STS:task_state": s.task_state,
            "addresses": self.addresses(&ports), "metadata": s.metadata, "key_name": s.key_name,
            "OS-EXT-AZ:availability_zone": s.availability_zone, "accessIPv4": "", "accessIPv6": "",
            "OS-EXT-SRV-ATTR:instance_name": format!("instance-{}", &s.id[..8.min(s.id.len())]),
        });
        if let Some(f) = &s.fault {
            raw["fault"] = json!({"code": f.code, "message": f.message});
        }
        Ok(ServerInfo {
            id: s.id.clone(),
            status: s.status.as_str().to_string(),
            raw,
        })
    }

    async fn update_server(
        &self,
        who: &Principal,
        id: &str,
        name: Option<&str>,
        metadata: Option<&Map<String, Value>>,
    ) -> BackendResult<()> {
        let ctx = self.ctx(who);
        if let Some(n) = name {
            self.cloud
                .update_server(&ctx, id, Some(n.to_string()), None)
                .await
                .map_err(err(Service::Nova))?;
        }
        if let Some(m) = metadata {
            self.cloud
                .set_server_metadata(&ctx, id, strings(m), true)
                .await
                .map_err(err(Service::Nova))?;
        }
        Ok(())
    }

    async fn delete_server(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_server(&self.ctx(who), id)
            .await
            .map_err(err(Service::Nova))
    }

    async fn create_server_group(
        &self,
        who: &Principal,
        name: &str,
        policies: &[String],
        rules: &Map<String, Value>,
    ) -> BackendResult<ServerGroupInfo> {
        let req = ServerGroupCreate {
            name: name.to_string(),
            policy: policies.first().cloned().unwrap_or_else(|| "anti-affinity".into()),
            max_server_per_host: rules
                .get("max_server_per_host")
                .and_then(Value::as_u64)
                .map(|n| n as u32),
        };
        let g = self
            .cloud
            .create_server_group(&self.ctx(who), req)
            .await
            .map_err(err(Service::Nova))?;
        let raw = json!({"id": g.id, "name": g.name, "policies": policies, "members": g.members});
        Ok(ServerGroupInfo { id: g.id, raw })
    }

    async fn delete_server_group(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_server_group(&self.ctx(who), id)
            .await
            .map_err(err(Service::Nova))
    }

    async fn create_keypair(
        &self,
        who: &Principal,
        name: &str,
        public_key: Option<&str>,
        key_type: Option<&str>,
    ) -> BackendResult<KeyPairInfo> {
        let (k, private) = self
            .cloud
            .create_keypair(
                &self.ctx(who),
                name,
                public_key.map(str::to_string),
                key_type.map(str::to_string),
            )
            .await
            .map_err(err(Service::Nova))?;
        Ok(KeyPairInfo {
            name: k.name,
            public_key: k.public_key,
            private_key: private,
        })
    }

    async fn delete_keypair(&self, who: &Principal, name: &str) -> BackendResult<()> {
        self.cloud
            .delete_keypair(&self.ctx(who), name, None)
            .await
            .map_err(err(Service::Nova))
    }

    async fn attach_volume(
        &self,
        who: &Principal,
        server_id: &str,
        volume_id: &str,
        device: Option<&str>,
    ) -> BackendResult<AttachmentInfo> {
        let a = self
            .cloud
            .attach_volume(&self.ctx(who), server_id, volume_id, device.map(str::to_string), false)
            .await
            .map_err(err(Service::Nova))?;
        Ok(AttachmentInfo {
            id: volume_id.to_string(),
            device: a.device,
        })
    }

    async fn detach_volume(&self, who: &Principal, server_id: &str, volume_id: &str) -> BackendResult<()> {
        self.cloud
            .detach_volume(&self.ctx(who), server_id, volume_id)
            .await
            .map_err(err(Service::Nova))
    }

    async fn create_port(&self, who: &Principal, req: &PortRequest) -> BackendResult<PortInfo> {
        let mut fixed = Vec::new();
        for f in &req.fixed_ips {
            fixed.push(FixedIpSpec {
                subnet_id: f.get("subnet_id").and_then(Value::as_str).map(str::to_string),
                ip_address: ip(f.get("ip_address").and_then(Value::as_str))?,
            });
        }
        let text = |k: &str| {
            req.extra
                .get(k)
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_default()
        };
        let create = PortCreate {
            network_id: self.network(who, &req.network)?,
            name: req.name.clone(),
            project_id: None,
            fixed_ips: (!fixed.is_empty()).then_some(fixed),
            mac_address: req.mac_address.clone(),
            device_id: text("device_id"),
            device_owner: text("device_owner"),
            security_groups: req.security_groups.clone(),
            admin_state_up: Some(req.admin_state_up),
            port_security_enabled: req.extra.get("port_security_enabled").and_then(Value::as_bool),
            description: String::new(),
        };
        let p = self
            .cloud
            .create_port(&self.ctx(who), create)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(PortInfo {
            id: p.id.clone(),
            raw: port_view(&p, false),
        })
    }

    async fn get_port(&self, who: &Principal, id: &str) -> BackendResult<PortInfo> {
        let p = self
            .cloud
            .get_port(&self.ctx(who), id)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(PortInfo {
            id: p.id.clone(),
            raw: port_view(&p, false),
        })
    }

    async fn update_port(&self, who: &Principal, id: &str, update: &PortUpdate) -> BackendResult<PortInfo> {
        let req = crate::sim::network::PortUpdate {
            name: update.name.clone(),
            security_groups: update.security_groups.clone(),
            admin_state_up: update.admin_state_up,
            ..Default::default()
        };
        let p = self
            .cloud
            .update_port(&self.ctx(who), id, req)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(PortInfo {
            id: p.id.clone(),
            raw: port_view(&p, false),
        })
    }

    async fn delete_port(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_port(&self.ctx(who), id)
            .await
            .map_err(err(Service::Neutron))
    }

    async fn create_floating_ip(&self, who: &Principal, req: &FloatingIpRequest) -> BackendResult<FloatingIpInfo> {
        let create = FloatingIpCreate {
            floating_network_id: self.network(who, &req.floating_network)?,
            project_id: None,
            floating_ip_address: ip(req.floating_ip_address.as_deref())?,
            port_id: req.port_id.clone(),
            fixed_ip_address: ip(req.fixed_ip_address.as_deref())?,
            description: String::new(),
        };
        let f = self
            .cloud
            .create_floating_ip(&self.ctx(who), create)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(FloatingIpInfo {
            id: f.id.clone(),
            raw: fip_view(&f),
        })
    }

    async fn get_floating_ip(&self, who: &Principal, id: &str) -> BackendResult<FloatingIpInfo> {
        let f = self
            .cloud
            .get_floating_ip(&self.ctx(who), id)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(FloatingIpInfo {
            id: f.id.clone(),
            raw: fip_view(&f),
        })
    }

    async fn update_floating_ip(
        &self,
        who: &Principal,
        id: &str,
        port_id: Option<&str>,
        fixed_ip_address: Option<&str>,
    ) -> BackendResult<FloatingIpInfo> {
        let req = FloatingIpUpdate {
            port_id: Some(port_id.map(str::to_string)),
            fixed_ip_address: ip(fixed_ip_address)?,
            description: None,
        };
        let f = self
            .cloud
            .update_floating_ip(&self.ctx(who), id, req)
            .await
            .map_err(err(Service::Neutron))?;
        Ok(FloatingIpInfo {
            id: f.id.clone(),
            raw: fip_view(&f),
        })
    }

    async fn delete_floating_ip(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_floating_ip(&self.ctx(who), id)
            .await
            .map_err(err(Service::Neutron))
    }

    async fn create_security_group(
        &self,
        who: &Principal,
        req: &SecurityGroupRequest,
    ) -> BackendResult<SecurityGroupInfo> {
        let create = SecurityGroupCreate {
            name: req.name.clone(),
            project_id: None,
            description: req.description.clone(),
            stateful: None,
        };
        let g = self
            .cloud
            .create_security_group(&self.ctx(who), create)
            .await
            .map_err(err(Service::Neutron))?;
        if let Err(e) = self.set_rules(who, &g.id, req, true).await {
            let _ = self.cloud.delete_security_group(&self.ctx(who), &g.id).await;
            return Err(e);
        }
        Ok(self.sg_info(&g))
    }

    async fn update_security_group(
        &self,
        who: &Principal,
        id: &str,
        req: &SecurityGroupRequest,
    ) -> BackendResult<SecurityGroupInfo> {
        let g = self
            .cloud
            .update_security_group(
                &self.ctx(who),
                id,
                Some(req.name.clone()),
                Some(req.description.clone()),
            )
            .await
            .map_err(err(Service::Neutron))?;
        self.set_rules(who, id, req, false).await?;
        Ok(self.sg_info(&g))
    }

    async fn delete_security_group(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_security_group(&self.ctx(who), id)
            .await
            .map_err(err(Service::Neutron))
    }

    async fn create_volume(&self, who: &Principal, req: &VolumeRequest) -> BackendResult<VolumeInfo> {
        let create = VolumeCreate {
            size: req.size.and_then(|s| u32::try_from(s).ok()).unwrap_or(0),
            name: req.name.clone(),
            description: req.description.clone(),
            volume_type: req.volume_type.clone(),
            availability_zone: req.availability_zone.clone(),
            metadata: strings(&req.metadata),
            image_id: req.image.as_deref().map(|i| self.image(i)).transpose()?,
        };
        let v = self
            .cloud
            .create_volume(&self.ctx(who), create)
            .await
            .map_err(err(Service::Cinder))?;
        Ok(Self::volume_info(&v))
    }

    async fn get_volume(&self, who: &Principal, id: &str) -> BackendResult<VolumeInfo> {
        let v = self
            .cloud
            .get_volume(&self.ctx(who), id)
            .await
            .map_err(err(Service::Cinder))?;
        Ok(Self::volume_info(&v))
    }

    async fn update_volume(
        &self,
        who: &Principal,
        id: &str,
        name: Option<&str>,
        description: Option<&str>,
        metadata: Option<&Map<String, Value>>,
    ) -> BackendResult<()> {
        let req = VolumeUpdate {
            name: name.map(str::to_string),
            description: description.map(str::to_string),
            metadata: metadata.map(strings),
        };
        self.cloud
            .update_volume(&self.ctx(who), id, req)
            .await
            .map(|_| ())
            .map_err(err(Service::Cinder))
    }

    async fn delete_volume(&self, who: &Principal, id: &str) -> BackendResult<()> {
        self.cloud
            .delete_volume(&self.ctx(who), id)
            .await
            .map_err(err(Service::Cinder))
    }

    fn stack_timeout_fault(&self, who: &Principal, stack_name: &str) -> bool {
        self.cloud.take_stack_fault(stack_name, &who.project_id)
    }
}

/// The auth layer in front of Heat's routes: a token the core's validator (the real
/// Keystone) accepts puts a [`Caller`] in the request; any other request goes on without
/// one (Heat answers 401, except a signal with a wait condition handle's token).
pub async fn authenticate(validator: Arc<dyn TokenValidator>, mut req: Request, next: Next) -> Response {
    let token = req
        .headers()
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Some(token) = token.filter(|t| !t.is_empty())
        && let Ok(t) = validator.validate(&token).await
    {
        let ctx = t.context();
        req.extensions_mut().insert(Caller {
            principal: Principal {
                project_id: ctx.project_id.clone(),
                user_id: ctx.user_id.clone(),
                user_name: ctx.user_id.clone(),
            },
            roles: ctx.roles.clone(),
            is_admin: ctx.is_admin,
        });
    }
    next.run(req).await
}

/// Heat's routes behind [`authenticate`]: what the simulator's app merges (see
/// [`crate::sim::app`]).
pub fn routes<S: Clone + Send + Sync + 'static>(heat: Heat, validator: Arc<dyn TokenValidator>) -> axum::Router<S> {
    api::routes(heat).layer(axum::middleware::from_fn(move |req: Request, next: Next| {
        let v = validator.clone();
        async move { authenticate(v, req, next).await }
    }))
}
