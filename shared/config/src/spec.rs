//! Option declarations: [`OptSpec`] (name, type, default, help, secret flag, deprecated names),
//! built with `const` builder methods so every declaration is checked at compile time.

use crate::types::OptKind;

/// One `(value, description)` entry of an option's allowed choices.
pub type Choice = (&'static str, Option<&'static str>);

/// The default of an option, as oslo.config would print it in a sample file.
#[derive(Clone, Copy, Debug)]
pub enum DefaultValue {
    /// No default: the option is unset (`None` in oslo.config).
    None,
    /// A default in its textual form, parsed with the option's type like a file value.
    Text(&'static str),
    /// The defaults of a multi-valued option, one element each.
    Multi(&'static [&'static str]),
    /// A default computed when the option is read (hostname, program name, environment).
    Computed(fn() -> Option<String>),
}

impl PartialEq for DefaultValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (DefaultValue::None, DefaultValue::None) => true,
            (DefaultValue::Text(a), DefaultValue::Text(b)) => a == b,
            (DefaultValue::Multi(a), DefaultValue::Multi(b)) => a == b,
            (DefaultValue::Computed(a), DefaultValue::Computed(b)) => std::ptr::fn_addr_eq(*a, *b),
            _ => false,
        }
    }
}

/// An old name (and possibly old group) under which an option is still read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeprecatedName {
    /// The old group, or `None` for the option's own group.
    pub group: Option<&'static str>,
    /// The old option name.
    pub name: &'static str,
}

impl DeprecatedName {
    /// An old name in the option's own group.
    pub const fn same_group(name: &'static str) -> Self {
        Self { group: None, name }
    }

    /// An old name in another group.
    pub const fn in_group(group: &'static str, name: &'static str) -> Self {
        Self {
            group: Some(group),
            name,
        }
    }
}

/// The declaration of one configuration option (oslo.config's `Opt`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OptSpec {
    /// The group the option lives in (`DEFAULT` or a lower-case group name).
    pub group: &'static str,
    /// The oslo-config-generator namespace the option is listed under in the sample file.
    pub namespace: &'static str,
    /// The option name as written in the config file (oslo's `dest`).
    pub name: &'static str,
    /// The value type, with its constraints.
    pub kind: OptKind,
    /// The default value.
    pub default: DefaultValue,
    /// The default shown in the sample file instead of the real one (for computed defaults).
    pub sample_default: Option<&'static str>,
    /// The help text.
    pub help: &'static str,
    /// Whether the value is a secret that must never be printed or logged.
    pub secret: bool,
    /// Old names and groups the option is still read from.
    pub deprecated: &'static [DeprecatedName],
    /// Whether the option is deprecated for removal.
    pub deprecated_for_removal: bool,
    /// Why the option is deprecated for removal.
    pub deprecated_reason: Option<&'static str>,
    /// The release since which the option is deprecated.
    pub deprecated_since: Option<&'static str>,
    /// Whether oslo.config can change the option without a restart.
    pub mutable: bool,
    /// Whether the option is meant for advanced users only.
    pub advanced: bool,
}

impl OptSpec {
    const fn new(name: &'static str, kind: OptKind) -> Self {
        Self {
            group: "",
            namespace: "",
            name,
            kind,
            default: DefaultValue::None,
            sample_default: None,
            help: "",
            secret: false,
            deprecated: &[],
            deprecated_for_removal: false,
            deprecated_reason: None,
            deprecated_since: None,
            mutable: false,
            advanced: false,
        }
    }

    /// A string option (`StrOpt`).
    pub const fn str(name: &'static str) -> Self {
        Self::new(
            name,
            OptKind::Str {
                choices: &[],
                ignore_case: false,
            },
        )
    }

    /// A boolean option (`BoolOpt`).
    pub const fn bool(name: &'static str) -> Self {
        Self::new(name, OptKind::Bool)
    }

    /// An integer option (`IntOpt`).
    pub const fn int(name: &'static str) -> Self {
        Self::new(name, OptKind::Int { min: None, max: None })
    }

    /// A floating point option (`FloatOpt`).
    pub const fn float(name: &'static str) -> Self {
        Self::new(name, OptKind::Float { min: None, max: None })
    }

    /// A TCP/UDP port option (`PortOpt`, 0-65535 unless narrowed).
    pub const fn port(name: &'static str) -> Self {
        Self::new(name, OptKind::Port { min: 0, max: 65535 })
    }

    /// A comma separated list of strings (`ListOpt`).
    pub const fn list(name: &'static str) -> Self {
        Self::new(name, OptKind::List)
    }

    /// A `key:value,key:value` dictionary (`DictOpt`).
    pub const fn dict(name: &'static str) -> Self {
        Self::new(name, OptKind::Dict)
    }

    /// A multi-valued string option, one value per repeated key (`MultiStrOpt`).
    pub const fn multi_str(name: &'static str) -> Self {
        Self::new(name, OptKind::MultiStr)
    }

    /// An IPv4 or IPv6 address (`IPOpt`).
    pub const fn ip(name: &'static str) -> Self {
        Self::new(name, OptKind::Ip)
    }

    /// An IP address or host name (`HostAddressOpt`).
    pub const fn host_address(name: &'static str) -> Self {
        Self::new(name, OptKind::HostAddress)
    }

    /// An IP address, host name or domain name with underscores (`HostDomainOpt`).
    pub const fn host_domain(name: &'static str) -> Self {
        Self::new(name, OptKind::HostDomain)
    }

    /// A URI with scheme and host (`URIOpt`).
    pub const fn uri(name: &'static str) -> Self {
        Self::new(name, OptKind::Uri)
    }

    /// Sets the default from its textual form.
    pub const fn default(mut self, text: &'static str) -> Self {
        self.default = DefaultValue::Text(text);
        self
    }

    /// Sets the defaults of a multi-valued option.
    pub const fn default_multi(mut self, values: &'static [&'static str]) -> Self {
        self.default = DefaultValue::Multi(values);
        self
    }

    /// Sets a default computed at lookup time.
    pub const fn computed_default(mut self, f: fn() -> Option<String>) -> Self {
        self.default = DefaultValue::Computed(f);
        self
    }

    /// Sets the default shown in the sample file.
    pub const fn sample_default(mut self, text: &'static str) -> Self {
        self.sample_default = Some(text);
        self
    }

    /// Sets the minimum of an integer or port option.
    pub const fn min(mut self, min: i64) -> Self {
        self.kind = match self.kind {
            OptKind::Int { max, .. } => OptKind::Int { min: Some(min), max },
            OptKind::Port { max, .. } => OptKind::Port { min, max },
            _ => panic!("min() needs an integer or port option"),
        };
        self
    }

    /// Sets the maximum of an integer or port option.
    pub const fn max(mut self, max: i64) -> Self {
        self.kind = match self.kind {
            OptKind::Int { min, .. } => OptKind::Int { min, max: Some(max) },
            OptKind::Port { min, .. } => OptKind::Port { min, max },
            _ => panic!("max() needs an integer or port option"),
        };
        self
    }

    /// Sets the minimum of a float option.
    pub const fn float_min(mut self, min: f64) -> Self {
        self.kind = match self.kind {
            OptKind::Float { max, .. } => OptKind::Float { min: Some(min), max },
            _ => panic!("float_min() needs a float option"),
        };
        self
    }

    /// Sets the maximum of a float option.
    pub const fn float_max(mut self, max: f64) -> Self {
        self.kind = match self.kind {
            OptKind::Float { min, .. } => OptKind::Float { min, max: Some(max) },
            _ => panic!("float_max() needs a float option"),
        };
        self
    }

    /// Restricts a string option to the given choices.
    pub const fn choices(mut self, choices: &'static [Choice]) -> Self {
        self.kind = match self.kind {
            OptKind::Str { ignore_case, .. } => OptKind::Str { choices, ignore_case },
            _ => panic!("choices() needs a string option"),
        };
        self
    }

    /// Compares a string option's choices case-insensitively.
    pub const fn ignore_case(mut self) -> Self {
        self.kind = match self.kind {
            OptKind::Str { choices, .. } => OptKind::Str {
                choices,
                ignore_case: true,
            },
            _ => panic!("ignore_case() needs a string option"),
        };
        self
    }

    /// Marks the option as secret: its value is never printed or logged.
    pub const fn secret(mut self) -> Self {
        self.secret = true;
        self
    }

    /// Marks the option as changeable without a restart (shown in the sample).
    pub const fn mutable(mut self) -> Self {
        self.mutable = true;
        self
    }

    /// Marks the option as meant for advanced users (shown in the sample).
    pub const fn advanced(mut self) -> Self {
        self.advanced = true;
        self
    }

    /// Lists the option under another generator namespace than its struct's.
    pub const fn namespace(mut self, namespace: &'static str) -> Self {
        self.namespace = namespace;
        self
    }

    /// Sets the old names and groups the option is still read from.
    pub const fn deprecated(mut self, names: &'static [DeprecatedName]) -> Self {
        self.deprecated = names;
        self
    }

    /// Marks the option as deprecated for removal, with an optional reason.
    pub const fn deprecated_for_removal(mut self, reason: Option<&'static str>) -> Self {
        self.deprecated_for_removal = true;
        self.deprecated_reason = reason;
        self
    }

    /// Sets the release since which the option is deprecated.
    pub const fn deprecated_since(mut self, release: &'static str) -> Self {
        self.deprecated_since = Some(release);
        self
    }

    /// Sets the help text.
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = help;
        self
    }

    /// Places the option in its group (and the struct's namespace unless one was set).
    pub const fn in_group(mut self, group: &'static str, namespace: &'static str) -> Self {
        self.group = group;
        if self.namespace.is_empty() {
            self.namespace = namespace;
        }
        self
    }

    /// Whether the option takes several values (one per repeated key).
    pub const fn is_multi(&self) -> bool {
        matches!(self.kind, OptKind::MultiStr)
    }
}

/// Computed default of `[oslo_messaging_rabbit] hostname`: this machine's host name.
pub fn hostname_default() -> Option<String> {
    let from_kernel = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    from_kernel
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|s| !s.is_empty()))
        .or_else(|| Some("localhost".to_string()))
}

/// Computed default of `[oslo_messaging_rabbit] processname`: the program's file name.
pub fn processname_default() -> Option<String> {
    Some(crate::args::program_name())
}

/// Computed default of `[oslo_concurrency] lock_path`: the `OSLO_LOCK_PATH` environment variable.
pub fn oslo_lock_path_default() -> Option<String> {
    std::env::var("OSLO_LOCK_PATH").ok()
}
