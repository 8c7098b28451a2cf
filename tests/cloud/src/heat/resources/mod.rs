//! Resource types: which types exist (`OS::Nova::Server`, ..., and template resources
//! from the request's `files`), their property schemas (checked and coerced as Heat's
//! `Properties` do), their attributes, which property changes update in place, and the
//! handlers that realise them through the [`Backend`](super::backend::Backend).

mod cinder;
mod group;
mod neutron;
mod nova;
mod signals;

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::actions::ResCtx;
use super::error::{HeatError, ResourceFailure, Result};
use super::state::ResourceState;
use super::template::py_type;

pub(crate) use group::group_members;
pub(crate) use signals::{normalise_signal, signal_reason};

/// What a resource is, from its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// `OS::Nova::Server`.
    Server,
    /// `OS::Neutron::Port`.
    Port,
    /// `OS::Neutron::FloatingIP`.
    FloatingIp,
    /// `OS::Neutron::FloatingIPAssociation`.
    FloatingIpAssociation,
    /// `OS::Nova::ServerGroup`.
    ServerGroup,
    /// `OS::Cinder::Volume`.
    Volume,
    /// `OS::Cinder::VolumeAttachment`.
    VolumeAttachment,
    /// `OS::Neutron::SecurityGroup`.
    SecurityGroup,
    /// `OS::Nova::KeyPair`.
    KeyPair,
    /// `OS::Heat::WaitConditionHandle`.
    WaitConditionHandle,
    /// `OS::Heat::WaitCondition`.
    WaitCondition,
    /// `OS::Heat::None`.
    NoneResource,
    /// `OS::Heat::ResourceGroup`.
    ResourceGroup,
    /// A template resource: the key of its template in `files`.
    Template(String),
}

/// A property's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropType {
    /// A string (numbers and booleans become strings).
    String,
    /// An integer (numeric strings accepted).
    Integer,
    /// A number.
    Number,
    /// A boolean (`"true"`/`"false"` accepted).
    Boolean,
    /// A list.
    List,
    /// A map.
    Map,
    /// Anything.
    Any,
}

/// A property's schema.
#[derive(Debug, Clone, Copy)]
pub struct Prop {
    /// Its name.
    pub name: &'static str,
    /// Its type.
    pub ty: PropType,
    /// Whether it must be given.
    pub required: bool,
    /// Whether changing it updates the resource in place (else Heat replaces it).
    pub update_allowed: bool,
    /// Its default.
    pub default: Default,
}

/// A property default.
#[derive(Debug, Clone, Copy)]
pub enum Default {
    /// None.
    Nothing,
    /// An integer.
    Int(i64),
    /// A string.
    Str(&'static str),
    /// A boolean.
    Bool(bool),
    /// `[]`.
    EmptyList,
    /// `{}`.
    EmptyMap,
}

impl Default {
    fn value(self) -> Option<Value> {
        match self {
            Default::Nothing => None,
            Default::Int(i) => Some(Value::from(i)),
            Default::Str(s) => Some(Value::from(s)),
            Default::Bool(b) => Some(Value::Bool(b)),
            Default::EmptyList => Some(Value::Array(vec![])),
            Default::EmptyMap => Some(Value::Object(Map::new())),
        }
    }
}

const fn p(name: &'static str, ty: PropType) -> Prop {
    Prop {
        name,
        ty,
        required: false,
        update_allowed: false,
        default: Default::Nothing,
    }
}

const fn req(name: &'static str, ty: PropType) -> Prop {
    Prop {
        name,
        ty,
        required: true,
        update_allowed: false,
        default: Default::Nothing,
    }
}

const fn ua(name: &'static str, ty: PropType) -> Prop {
    Prop {
        name,
        ty,
        required: false,
        update_allowed: true,
        default: Default::Nothing,
    }
}

use PropType as T;

const SERVER: &[Prop] = &[
    ua("name", T::String),
    ua("image", T::String),
    p("block_device_mapping", T::List),
    p("block_device_mapping_v2", T::List),
    Prop {
        required: true,
        ..ua("flavor", T::String)
    },
    ua("flavor_update_policy", T::String),
    ua("image_update_policy", T::String),
    p("key_name", T::String),
    p("admin_user", T::String),
    p("availability_zone", T::String),
    p("security_groups", T::List),
    ua("networks", T::List),
    p("scheduler_hints", T::Map),
    ua("metadata", T::Map),
    p("user_data_format", T::String),
    ua("software_config_transport", T::String),
    ua("user_data_update_policy", T::String),
    ua("user_data", T::String),
    p("reservation_id", T::String),
    p("config_drive", T::Boolean),
    p("diskConfig", T::String),
    p("personality", T::Map),
    ua("admin_pass", T::String),
    ua("tags", T::List),
    ua("deployment_swift_data", T::Map),
];

const PORT: &[Prop] = &[
    ua("name", T::String),
    p("network_id", T::String),
    p("network", T::String),
    ua("device_id", T::String),
    ua("device_owner", T::String),
    ua("fixed_ips", T::List),
    ua("security_groups", T::List),
    ua("replacement_policy", T::String),
    ua("dns_name", T::String),
    ua("tags", T::List),
    ua("value_specs", T::Map),
    Prop {
        default: Default::Bool(true),
        ..ua("admin_state_up", T::Boolean)
    },
    p("mac_address", T::String),
    ua("allowed_address_pairs", T::List),
    ua("binding:vnic_type", T::String),
    ua("port_security_enabled", T::Boolean),
    ua("qos_policy", T::String),
    ua("propagate_uplink_status", T::Boolean),
    ua("no_fixed_ips", T::Boolean),
];

const FLOATING_IP: &[Prop] = &[
    p("floating_network_id", T::String),
    p("floating_network", T::String),
    p("floating_subnet", T::String),
    p("value_specs", T::Map),
    ua("port_id", T::String),
    ua("fixed_ip_address", T::String),
    p("floating_ip_address", T::String),
    ua("dns_name", T::String),
    ua("dns_domain", T::String),
];

const FLOATING_IP_ASSOCIATION: &[Prop] = &[
    Prop {
        required: true,
        ..ua("floatingip_id", T::String)
    },
    Prop {
        required: true,
        ..ua("port_id", T::String)
    },
    ua("fixed_ip_address", T::String),
];

const SERVER_GROUP: &[Prop] = &[p("name", T::String), p("policies", T::List), p("rules", T::Map)];

const VOLUME: &[Prop] = &[
    p("availability_zone", T::String),
    ua("size", T::Integer),
    p("snapshot_id", T::String),
    ua("backup_id", T::String),
    ua("name", T::String),
    ua("description", T::String),
    ua("volume_type", T::String),
    ua("metadata", T::Map),
    p("imageRef", T::String),
    p("image", T::String),
    p("source_volid", T::String),
    p("scheduler_hints", T::Map),
    ua("read_only", T::Boolean),
    p("multiattach", T::Boolean),
];

const VOLUME_ATTACHMENT: &[Prop] = &[
    Prop {
        required: true,
        ..ua("instance_uuid", T::String)
    },
    Prop {
        required: true,
        ..ua("volume_id", T::String)
    },
    ua("mountpoint", T::String),
];

const SECURITY_GROUP: &[Prop] = &[
    ua("name", T::String),
    ua("description", T::String),
    Prop {
        default: Default::EmptyList,
        ..ua("rules", T::List)
    },
    ua("stateful", T::Boolean),
];

const KEYPAIR: &[Prop] = &[
    req("name", T::String),
    Prop {
        default: Default::Bool(false),
        ..p("save_private_key", T::Boolean)
    },
    p("public_key", T::String),
    p("type", T::String),
    p("user", T::String),
];

const HANDLE: &[Prop] = &[Prop {
    default: Default::Str("TOKEN_SIGNAL"),
    ..p("signal_transport", T::String)
}];

const WAIT_CONDITION: &[Prop] = &[
    req("handle", T::String),
    req("timeout", T::Number),
    Prop {
        default: Default::Int(1),
        ..ua("count", T::Integer)
    },
];

const NONE: &[Prop] = &[];

const GROUP: &[Prop] = &[
    Prop {
        default: Default::Int(1),
        ..ua("count", T::Integer)
    },
    Prop {
        default: Default::Str("%index%"),
        ..p("index_var", T::String)
    },
    Prop {
        required: true,
        ..ua("resource_def", T::Map)
    },
    Prop {
        default: Default::EmptyList,
        ..ua("removal_policies", T::List)
    },
    Prop {
        default: Default::Str("append"),
        ..ua("removal_policies_mode", T::String)
    },
];

const SERVER_ATTRS: &[&str] = &[
    "accessIPv4",
    "accessIPv6",
    "addresses",
    "console_urls",
    "first_address",
    "instance_name",
    "name",
    "networks",
    "os_collect_config",
    "show",
    "tags",
];
const PORT_ATTRS: &[&str] = &[
    "admin_state_up",
    "device_id",
    "device_owner",
    "fixed_ips",
    "mac_address",
    "name",
    "network_id",
    "security_groups",
    "status",
    "subnets",
    "tenant_id",
    "allowed_address_pairs",
    "dns_assignment",
    "show",
];
const FLOATING_IP_ATTRS: &[&str] = &[
    "floating_ip_address",
    "floating_network_id",
    "port_id",
    "fixed_ip_address",
    "router_id",
    "show",
];
const VOLUME_ATTRS: &[&str] = &[
    "availability_zone",
    "size",
    "snapshot_id",
    "display_name",
    "display_description",
    "volume_type",
    "metadata",
    "metadata_values",
    "source_volid",
    "status",
    "created_at",
    "bootable",
    "encrypted",
    "attachments",
    "attachments_list",
    "multiattach",
    "show",
];
const HANDLE_ATTRS: &[&str] = &["token", "endpoint", "curl_cli", "signal", "show"];
const WAIT_ATTRS: &[&str] = &["data", "show"];
const KEYPAIR_ATTRS: &[&str] = &["public_key", "private_key", "show"];
const SHOW_ONLY: &[&str] = &["show"];

impl Kind {
    /// The kind of resource type `type_name`: a built-in type, or a template resource
    /// when `files` holds a template under that name. Unknown types fail as Heat fails:
    /// `The Resource Type (X) could not be found.`
    pub fn from_type(type_name: &str, files: &BTreeMap<String, String>) -> Result<Kind> {
        Ok(match type_name {
            "OS::Nova::Server" => Kind::Server,
            "OS::Neutron::Port" => Kind::Port,
            "OS::Neutron::FloatingIP" => Kind::FloatingIp,
            "OS::Neutron::FloatingIPAssociation" => Kind::FloatingIpAssociation,
            "OS::Nova::ServerGroup" => Kind::ServerGroup,
            "OS::Cinder::Volume" => Kind::Volume,
            "OS::Cinder::VolumeAttachment" => Kind::VolumeAttachment,
            "OS::Neutron::SecurityGroup" => Kind::SecurityGroup,
            "OS::Nova::KeyPair" => Kind::KeyPair,
            "OS::Heat::WaitConditionHandle" => Kind::WaitConditionHandle,
            "OS::Heat::WaitCondition" => Kind::WaitCondition,
            "OS::Heat::None" => Kind::NoneResource,
            "OS::Heat::ResourceGroup" => Kind::ResourceGroup,
            t if files.contains_key(t) => Kind::Template(t.to_string()),
            t => {
                return Err(HeatError::EntityNotFound {
                    entity: "Resource Type",
                    name: t.to_string(),
                });
            }
        })
    }

    /// The property schema (`None` for template resources, whose properties are the
    /// nested template's parameters).
    pub fn schema(&self) -> Option<&'static [Prop]> {
        Some(match self {
            Kind::Server => SERVER,
            Kind::Port => PORT,
            Kind::FloatingIp => FLOATING_IP,
            Kind::FloatingIpAssociation => FLOATING_IP_ASSOCIATION,
            Kind::ServerGroup => SERVER_GROUP,
            Kind::Volume => VOLUME,
            Kind::VolumeAttachment => VOLUME_ATTACHMENT,
            Kind::SecurityGroup => SECURITY_GROUP,
            Kind::KeyPair => KEYPAIR,
            Kind::WaitConditionHandle => HANDLE,
            Kind::WaitCondition => WAIT_CONDITION,
            Kind::NoneResource => NONE,
            Kind::ResourceGroup => GROUP,
            Kind::Template(_) => return None,
        })
    }

    /// The attributes `get_attr` may read (`None`: checked elsewhere: groups and
    /// template resources).
    pub fn attributes(&self) -> Option<&'static [&'static str]> {
        Some(match self {
            Kind::Server => SERVER_ATTRS,
            Kind::Port => PORT_ATTRS,
            Kind::FloatingIp => FLOATING_IP_ATTRS,
            Kind::Volume => VOLUME_ATTRS,
            Kind::WaitConditionHandle => HANDLE_ATTRS,
            Kind::WaitCondition => WAIT_ATTRS,
            Kind::KeyPair => KEYPAIR_ATTRS,
            Kind::FloatingIpAssociation
            | Kind::ServerGroup
            | Kind::VolumeAttachment
            | Kind::SecurityGroup
            | Kind::NoneResource => SHOW_ONLY,
            Kind::ResourceGroup | Kind::Template(_) => return None,
        })
    }

    /// Whether a change of `key` is applied in place (else the resource is replaced).
    pub fn update_allowed(&self, key: &str) -> bool {
        match self {
            // A template resource's properties are its nested stack's parameters: a
            // change updates the nested stack.
            Kind::Template(_) => true,
            Kind::NoneResource => true,
            // The simulator's servers cannot be resized or rebuilt: a change of flavor,
            // image, networks or user data replaces them (Heat's default for user data).
            Kind::Server => matches!(
                key,
                "name"
                    | "metadata"
                    | "tags"
                    | "admin_pass"
                    | "flavor_update_policy"
                    | "image_update_policy"
                    | "user_data_update_policy"
                    | "software_config_transport"
                    | "deployment_swift_data"
            ),
            Kind::Volume => matches!(key, "name" | "description" | "metadata" | "read_only" | "backup_id"),
            Kind::VolumeAttachment => false,
            _ => self
                .schema()
                .into_iter()
                .flatten()
                .any(|p| p.name == key && p.update_allowed),
        }
    }

    /// Whether the kind's attributes change behind Heat's back (re-read before use).
    pub fn is_live(&self) -> bool {
        matches!(self, Kind::Server | Kind::Port | Kind::FloatingIp | Kind::Volume)
    }

    /// Whether the kind is implemented by a nested stack.
    pub fn is_nested(&self) -> bool {
        matches!(self, Kind::ResourceGroup | Kind::Template(_))
    }
}

fn prop_path(name: &str, key: Option<&str>) -> Vec<String> {
    let mut path = vec!["resources".to_string(), name.to_string(), "properties".to_string()];
    if let Some(k) = key {
        path.push(k.to_string());
    }
    path
}

fn prop_err(name: &str, key: Option<&str>, msg: impl Into<String>) -> HeatError {
    HeatError::StackValidationFailed {
        error: "Property error".into(),
        path: prop_path(name, key),
        message: msg.into(),
    }
}

/// Checks the unresolved properties of a resource before anything is created: unknown
/// properties and required ones left out.
pub fn validate_static(kind: &Kind, name: &str, props: &Map<String, Value>) -> Result<()> {
    let Some(schema) = kind.schema() else { return Ok(()) };
    for key in props.keys() {
        if !schema.iter().any(|p| p.name == key) {
            return Err(prop_err(name, None, format!("Unknown Property {key}")));
        }
    }
    for prop in schema.iter().filter(|p| p.required) {
        if props.get(prop.name).is_none_or(Value::is_null) {
            return Err(prop_err(name, None, format!("Property {} not assigned", prop.name)));
        }
    }
    match kind {
        Kind::Port if !props.contains_key("network") && !props.contains_key("network_id") => {
            Err(prop_err(name, None, "Property network not assigned"))
        }
        Kind::FloatingIp if !props.contains_key("floating_network") && !props.contains_key("floating_network_id") => {
            Err(prop_err(name, None, "Property floating_network not assigned"))
        }
        Kind::Server
            if !props.contains_key("image")
                && !props.contains_key("block_device_mapping")
                && !props.contains_key("block_device_mapping_v2") =>
        {
            Err(HeatError::validation(
                vec![],
                format!("Neither image nor bootable volume is specified for instance {name}"),
            ))
        }
        _ => Ok(()),
    }
}

/// Checks and coerces resolved properties against the schema and fills in defaults.
pub fn coerce(kind: &Kind, name: &str, props: &Map<String, Value>) -> Result<Map<String, Value>> {
    validate_static(kind, name, props)?;
    let Some(schema) = kind.schema() else {
        return Ok(props.clone());
    };
    let mut out = Map::new();
    for prop in schema {
        let value = match props.get(prop.name) {
            Some(v) if !v.is_null() => v.clone(),
            _ => match prop.default.value() {
                Some(d) => d,
                None => continue,
            },
        };
        let coerced = coerce_value(prop.ty, &value).map_err(|m| prop_err(name, Some(prop.name), m))?;
        out.insert(prop.name.to_string(), coerced);
    }
    Ok(out)
}

fn coerce_value(ty: PropType, v: &Value) -> std::result::Result<Value, String> {
    Ok(match (ty, v) {
        (PropType::Any, v) => v.clone(),
        (PropType::String, Value::String(_)) => v.clone(),
        (PropType::String, Value::Number(n)) => Value::String(n.to_string()),
        (PropType::String, Value::Bool(b)) => Value::String(if *b { "True" } else { "False" }.to_string()),
        (PropType::String, other) => {
            return Err(format!(
                "Value must be a string; got {}",
                super::functions::py_json(other, false)
            ));
        }
        (PropType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => v.clone(),
        (PropType::Integer, Value::Number(n)) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 => Value::from(f as i64),
            _ => return Err(format!("{n} is not an integer.")),
        },
        (PropType::Integer, Value::String(s)) => match s.trim().parse::<i64>() {
            Ok(i) => Value::from(i),
            Err(_) => return Err(format!("Value '{s}' is not an integer")),
        },
        (PropType::Number, Value::Number(_)) => v.clone(),
        (PropType::Number, Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(f) if f.fract() == 0.0 => Value::from(f as i64),
            Ok(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Err(_) => return Err(format!("could not convert string to float: '{s}'")),
        },
        (PropType::Boolean, Value::Bool(_)) => v.clone(),
        (PropType::Boolean, Value::String(s)) => match s.to_lowercase().as_str() {
            "true" | "t" | "yes" | "y" | "on" | "1" => Value::Bool(true),
            "false" | "f" | "no" | "n" | "off" | "0" => Value::Bool(false),
            _ => return Err(format!("\"{s}\" is not a valid boolean")),
        },
        (PropType::List, Value::Array(_)) => v.clone(),
        (PropType::List, other) => return Err(format!("\"{}\" is not a list", super::parameters::text_of(other))),
        (PropType::Map, Value::Object(_)) => v.clone(),
        (PropType::Map, other) => return Err(format!("\"{}\" is not a map", super::parameters::text_of(other))),
        (ty, other) => return Err(format!("Value of type {} is not a valid {ty:?}", py_type(other))),
    })
}

/// Creates the physical resource.
pub(crate) async fn create(rc: &ResCtx, kind: &Kind, props: &Map<String, Value>) -> Result<(), ResourceFailure> {
    match kind {
        Kind::Server => nova::create_server(rc, props).await,
        Kind::ServerGroup => nova::create_server_group(rc, props).await,
        Kind::KeyPair => nova::create_keypair(rc, props).await,
        Kind::Port => neutron::create_port(rc, props).await,
        Kind::FloatingIp => neutron::create_floating_ip(rc, props).await,
        Kind::FloatingIpAssociation => neutron::create_association(rc, props).await,
        Kind::SecurityGroup => neutron::create_security_group(rc, props).await,
        Kind::Volume => cinder::create_volume(rc, props).await,
        Kind::VolumeAttachment => cinder::create_attachment(rc, props).await,
        Kind::WaitConditionHandle => signals::create_handle(rc, props),
        Kind::WaitCondition => signals::wait(rc, props).await,
        Kind::NoneResource => {
            rc.set_physical_id(&uuid::Uuid::new_v4().to_string());
            Ok(())
        }
        Kind::ResourceGroup => group::create_group(rc, props).await,
        Kind::Template(key) => group::create_template(rc, key, props).await,
    }
}

/// Applies an in-place update (every changed property is update-allowed).
pub(crate) async fn update(
    rc: &ResCtx,
    kind: &Kind,
    old: &Map<String, Value>,
    new: &Map<String, Value>,
) -> Result<(), ResourceFailure> {
    match kind {
        Kind::Server => nova::update_server(rc, new).await,
        Kind::Port => neutron::update_port(rc, new).await,
        Kind::FloatingIp => neutron::update_floating_ip(rc, new).await,
        Kind::FloatingIpAssociation => neutron::update_association(rc, old, new).await,
        Kind::SecurityGroup => neutron::update_security_group(rc, new).await,
        Kind::Volume => cinder::update_volume(rc, new).await,
        Kind::WaitCondition => signals::wait(rc, new).await,
        Kind::ResourceGroup => group::update_group(rc, new).await,
        Kind::Template(key) => group::update_template(rc, key, new).await,
        Kind::NoneResource | Kind::KeyPair | Kind::ServerGroup | Kind::VolumeAttachment | Kind::WaitConditionHandle => {
            Ok(())
        }
    }
}

/// Deletes the physical resource (gone already counts as deleted).
pub(crate) async fn delete(rc: &ResCtx, r: &ResourceState) -> Result<(), ResourceFailure> {
    if r.kind.is_nested() {
        return group::delete_nested(rc, r.nested.as_deref()).await;
    }
    let Some(id) = r.physical_id.as_deref() else {
        return Ok(());
    };
    match &r.kind {
        Kind::Server => nova::delete_server(rc, id).await,
        Kind::ServerGroup => nova::delete_server_group(rc, id).await,
        Kind::KeyPair => nova::delete_keypair(rc, id).await,
        Kind::Port => neutron::delete_port(rc, id).await,
        Kind::FloatingIp => neutron::delete_floating_ip(rc, id).await,
        Kind::FloatingIpAssociation => neutron::delete_association(rc, id).await,
        Kind::SecurityGroup => neutron::delete_security_group(rc, id).await,
        Kind::Volume => cinder::delete_volume(rc, id).await,
        Kind::VolumeAttachment => cinder::delete_attachment(rc, &r.data).await,
        Kind::WaitConditionHandle | Kind::WaitCondition | Kind::NoneResource => Ok(()),
        Kind::ResourceGroup | Kind::Template(_) => Ok(()),
    }
}

/// Re-reads a live resource's attributes from the backend.
pub(crate) async fn refresh(rc: &ResCtx, kind: &Kind, physical_id: &str) -> Option<Map<String, Value>> {
    match kind {
        Kind::Server => nova::server_attrs(rc, physical_id).await,
        Kind::Port => neutron::port_attrs(rc, physical_id).await,
        Kind::FloatingIp => neutron::floating_ip_attrs(rc, physical_id).await,
        Kind::Volume => cinder::volume_attrs(rc, physical_id).await,
        _ => None,
    }
}

/// A property as a string, if given.
pub(crate) fn s(props: &Map<String, Value>, key: &str) -> Option<String> {
    match props.get(key) {
        Some(Value::String(v)) if !v.is_empty() => Some(v.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// A property as a map (empty when absent).
pub(crate) fn m(props: &Map<String, Value>, key: &str) -> Map<String, Value> {
    props.get(key).and_then(Value::as_object).cloned().unwrap_or_default()
}

/// A property as a list of strings (empty when absent).
pub(crate) fn list(props: &Map<String, Value>, key: &str) -> Vec<String> {
    props
        .get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_and_properties_are_checked_like_heat() {
        let files = BTreeMap::from([("file://x.yaml".to_string(), String::new())]);
        assert_eq!(
            Kind::from_type("file://x.yaml", &files).unwrap(),
            Kind::Template("file://x.yaml".into())
        );
        assert_eq!(
            Kind::from_type("OS::Foo::Bar", &files).unwrap_err().to_string(),
            "The Resource Type (OS::Foo::Bar) could not be found."
        );
        let props = json!({"flavor": "m1", "image": "i", "bogus": 1})
            .as_object()
            .unwrap()
            .clone();
        assert_eq!(
            validate_static(&Kind::Server, "inst", &props).unwrap_err().to_string(),
            "Property error: resources.inst.properties: Unknown Property bogus"
        );
        let props = json!({"image": "i"}).as_object().unwrap().clone();
        assert_eq!(
            validate_static(&Kind::Server, "inst", &props).unwrap_err().to_string(),
            "Property error: resources.inst.properties: Property flavor not assigned"
        );
        let props = json!({"count": "3", "resource_def": {"type": "OS::Heat::None"}})
            .as_object()
            .unwrap()
            .clone();
        let c = coerce(&Kind::ResourceGroup, "g", &props).unwrap();
        assert_eq!(c["count"], json!(3));
        assert_eq!(c["index_var"], json!("%index%"));
        let props = json!({"count": "x", "resource_def": {}}).as_object().unwrap().clone();
        assert_eq!(
            coerce(&Kind::ResourceGroup, "g", &props).unwrap_err().to_string(),
            "Property error: resources.g.properties.count: Value 'x' is not an integer"
        );
        assert!(Kind::Port.update_allowed("security_groups"));
        assert!(!Kind::Server.update_allowed("scheduler_hints"));
    }
}
