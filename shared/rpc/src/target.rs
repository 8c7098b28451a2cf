//! Where a message goes or what a server listens on (oslo.messaging's `Target`).

/// Exchange, topic, server, fanout, version and namespace of an RPC or notification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    /// Exchange; `None` means the transport's control exchange.
    pub exchange: Option<String>,
    /// Topic (queue name / routing key).
    pub topic: String,
    /// One server on the topic (routing key `topic.server`); servers must set it.
    pub server: Option<String>,
    /// Deliver to every server on the topic (casts only).
    pub fanout: bool,
    /// Message version sent, or an endpoint's supported version.
    pub version: Option<String>,
    /// Namespace of the endpoint methods.
    pub namespace: Option<String>,
}

impl Target {
    /// A target for `topic` on the control exchange.
    pub fn topic(topic: impl Into<String>) -> Self {
        Target {
            topic: topic.into(),
            ..Default::default()
        }
    }

    /// The same target addressed to one server.
    pub fn with_server(mut self, server: impl Into<String>) -> Self {
        self.server = Some(server.into());
        self
    }

    /// The same target with an explicit exchange.
    pub fn with_exchange(mut self, exchange: impl Into<String>) -> Self {
        self.exchange = Some(exchange.into());
        self
    }

    /// The same target with a message version.
    pub fn with_version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The same target with a namespace.
    pub fn with_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = Some(namespace.into());
        self
    }

    /// The same target for a fanout cast.
    pub fn with_fanout(mut self, fanout: bool) -> Self {
        self.fanout = fanout;
        self
    }
}

/// oslo's `version_is_compatible(imp_version, version)`: same major, requested minor
/// not above the implemented one (and, at equal minor, revision not above). Unparsable
/// versions are incompatible.
pub fn version_is_compatible(imp_version: &str, version: &str) -> bool {
    fn parts(v: &str) -> Option<(u64, u64, u64)> {
        let mut it = v.trim().split('.');
        let major = it.next()?.parse().ok()?;
        let minor = it.next().map_or(Some(0), |s| s.parse().ok())?;
        let rev = it.next().map_or(Some(0), |s| s.parse().ok())?;
        Some((major, minor, rev))
    }
    let (Some((imaj, imin, irev)), Some((maj, min, rev))) = (parts(imp_version), parts(version)) else {
        return false;
    };
    maj == imaj && (min < imin || (min == imin && rev <= irev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_rules() {
        assert!(version_is_compatible("1.3", "1.1"));
        assert!(version_is_compatible("1.3", "1.3"));
        assert!(version_is_compatible("1.0", "1.0"));
        assert!(!version_is_compatible("1.3", "1.4"));
        assert!(!version_is_compatible("1.3", "2.0"));
        assert!(version_is_compatible("1.3.2", "1.3.1"));
        assert!(!version_is_compatible("1.3.1", "1.3.2"));
        assert!(version_is_compatible("1.3", "1.2.9"));
        assert!(!version_is_compatible("1.0", "abc"));
    }
}
