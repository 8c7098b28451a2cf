//! `transport_url` parsing as oslo.messaging's `TransportURL.parse` does it.
//!
//! `rabbit://user:pass@host1:5672,user:pass@host2:5672/vhost?query`: several hosts for
//! failover, percent-encoded credentials, the path after the first `/` is the virtual host
//! (`//` means `/`, nothing means the broker's default `/`). `fake://` selects the
//! in-process transport.

use crate::error::{Result, RpcError};
use percent_encoding::percent_decode_str;
use std::collections::BTreeMap;
use std::fmt;

/// One broker host of a transport URL.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportHost {
    /// Host name or address (IPv6 without brackets).
    pub hostname: String,
    /// Port, when given.
    pub port: Option<u16>,
    /// User name, when given.
    pub username: Option<String>,
    /// Password, when given (never printed).
    pub password: Option<String>,
}

impl fmt::Debug for TransportHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportHost")
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// A parsed `transport_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct TransportUrl {
    /// Driver name: `rabbit` (also `amqp`, `kombu`) or `fake`.
    pub transport: String,
    /// Virtual host; `None` when the URL has no path.
    pub virtual_host: Option<String>,
    /// Broker hosts in the order written.
    pub hosts: Vec<TransportHost>,
    /// Query parameters (repeated keys joined with `,`, as oslo does).
    pub query: BTreeMap<String, String>,
}

impl fmt::Debug for TransportUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TransportUrl({})", self.redacted())
    }
}

impl fmt::Display for TransportUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

/// Which family of driver a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriverKind {
    /// RabbitMQ over AMQP 0-9-1.
    Rabbit,
    /// The in-process transport.
    Fake,
}

impl TransportUrl {
    /// Parses a transport URL.
    pub fn parse(url: &str) -> Result<TransportUrl> {
        let invalid = |reason: &str| RpcError::InvalidTransportUrl {
            url: redact_url(url),
            reason: reason.to_string(),
        };
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("No scheme specified"))?;
        if scheme.is_empty() {
            return Err(invalid("No scheme specified"));
        }
        let (before_query, query_str) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let before_query = before_query.split('#').next().unwrap_or_default();
        let (netloc, path) = match before_query.find('/') {
            Some(i) => (&before_query[..i], Some(&before_query[i..])),
            None => (before_query, None),
        };
        let virtual_host = path.map(|p| decode(&p[1..]));
        let mut hosts = Vec::new();
        for part in netloc.split(',').filter(|p| !p.is_empty()) {
            let (userinfo, hostport) = match part.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, part),
            };
            let (username, password) = match userinfo {
                Some(u) => match u.split_once(':') {
                    Some((user, pass)) => (Some(decode(user)), Some(decode(pass))),
                    None => (Some(decode(u)), None),
                },
                None => (None, None),
            };
            let (hostname, port) = parse_host_port(hostport).map_err(|r| invalid(&r))?;
            hosts.push(TransportHost {
                hostname,
                port,
                username,
                password,
            });
        }
        let mut query: BTreeMap<String, String> = BTreeMap::new();
        for pair in query_str.unwrap_or_default().split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (decode(&k.replace('+', " ")), decode(&v.replace('+', " ")));
            if v.is_empty() {
                continue; // parse_qs drops blank values
            }
            query
                .entry(k)
                .and_modify(|e| {
                    e.push(',');
                    e.push_str(&v);
                })
                .or_insert(v);
        }
        let parsed = TransportUrl {
            transport: scheme.to_string(),
            virtual_host,
            hosts,
            query,
        };
        parsed.driver_kind()?;
        Ok(parsed)
    }

    /// The driver this URL selects; unknown schemes are an error.
    pub fn driver_kind(&self) -> Result<DriverKind> {
        match self.transport.as_str() {
            "rabbit" | "amqp" | "kombu" => Ok(DriverKind::Rabbit),
            t if t.starts_with("kombu+") => Ok(DriverKind::Rabbit),
            "fake" => Ok(DriverKind::Fake),
            other => Err(RpcError::InvalidTransportUrl {
                url: self.redacted(),
                reason: format!("unknown transport driver '{other}' (supported: rabbit, fake)"),
            }),
        }
    }

    /// The virtual host to open: empty or absent means the broker default `/`.
    pub fn effective_vhost(&self) -> String {
        match self.virtual_host.as_deref() {
            None | Some("") => "/".to_string(),
            Some(v) => v.to_string(),
        }
    }

    /// The URL with passwords masked, for logs and errors.
    pub fn redacted(&self) -> String {
        let hosts: Vec<String> = self
            .hosts
            .iter()
            .map(|h| {
                let mut s = String::new();
                if let Some(u) = &h.username {
                    s.push_str(u);
                    if h.password.is_some() {
                        s.push_str(":***");
                    }
                    s.push('@');
                }
                if h.hostname.contains(':') {
                    s.push_str(&format!("[{}]", h.hostname));
                } else {
                    s.push_str(&h.hostname);
                }
                if let Some(p) = h.port {
                    s.push_str(&format!(":{p}"));
                }
                s
            })
            .collect();
        let mut out = format!("{}://{}", self.transport, hosts.join(","));
        if let Some(v) = &self.virtual_host {
            out.push('/');
            out.push_str(v);
        }
        out
    }
}

fn decode(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// oslo_utils.netutils.parse_host_port: `host`, `host:port`, `[v6]:port`, bare `v6`.
fn parse_host_port(s: &str) -> std::result::Result<(String, Option<u16>), String> {
    let port_of = |p: &str| -> std::result::Result<Option<u16>, String> {
        if p.is_empty() {
            return Ok(None);
        }
        p.parse::<u16>().map(Some).map_err(|_| format!("invalid port '{p}'"))
    };
    if let Some(rest) = s.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("unterminated IPv6 address")?;
        let port = match after.strip_prefix(':') {
            Some(p) => port_of(p)?,
            None if after.is_empty() => None,
            None => return Err(format!("unexpected text after IPv6 address: '{after}'")),
        };
        return Ok((host.to_string(), port));
    }
    if s.matches(':').count() > 1 {
        return Ok((s.to_string(), None)); // a bare IPv6 address
    }
    match s.split_once(':') {
        Some((h, p)) => Ok((h.to_string(), port_of(p)?)),
        None => Ok((s.to_string(), None)),
    }
}

/// Masks the password of every `user:pass@` in a URL-ish string.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (netloc, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let hosts: Vec<String> = netloc
        .split(',')
        .map(|h| match h.rsplit_once('@') {
            Some((userinfo, host)) => match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***@{host}"),
                None => h.to_string(),
            },
            None => h.to_string(),
        })
        .collect();
    format!("{scheme}://{}{tail}", hosts.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kolla_multi_host_url() {
        let u = TransportUrl::parse(
            "rabbit://openstack:secret@10.0.0.11:5671,openstack:secret@10.0.0.12:5671,openstack:secret@10.0.0.13:5671//",
        )
        .unwrap();
        assert_eq!(u.hosts.len(), 3);
        assert_eq!(u.hosts[2].hostname, "10.0.0.13");
        assert_eq!(u.hosts[0].port, Some(5671));
        assert_eq!(u.hosts[0].password.as_deref(), Some("secret"));
        assert_eq!(u.virtual_host.as_deref(), Some("/"));
        assert_eq!(u.effective_vhost(), "/");
        assert!(!format!("{u:?}").contains("secret"));
        assert!(!u.redacted().contains("secret"));
    }

    #[test]
    fn vhosts_and_encoding() {
        let u = TransportUrl::parse("rabbit://us%40er:p%3Ass@h/").unwrap();
        assert_eq!(u.hosts[0].username.as_deref(), Some("us@er"));
        assert_eq!(u.hosts[0].password.as_deref(), Some("p:ss"));
        assert_eq!(u.virtual_host.as_deref(), Some(""));
        assert_eq!(u.effective_vhost(), "/");
        let u = TransportUrl::parse("rabbit://h:5672/nova?ssl=1&x=a&x=b").unwrap();
        assert_eq!(u.effective_vhost(), "nova");
        assert_eq!(u.query.get("ssl").map(String::as_str), Some("1"));
        assert_eq!(u.query.get("x").map(String::as_str), Some("a,b"));
        let u = TransportUrl::parse("rabbit://[::1]:5673,::2/").unwrap();
        assert_eq!(u.hosts[0].hostname, "::1");
        assert_eq!(u.hosts[0].port, Some(5673));
        assert_eq!(u.hosts[1].hostname, "::2");
    }

    #[test]
    fn fake_and_errors() {
        let u = TransportUrl::parse("fake://").unwrap();
        assert_eq!(u.driver_kind().unwrap(), DriverKind::Fake);
        assert!(u.hosts.is_empty());
        assert!(TransportUrl::parse("no-scheme").is_err());
        assert!(TransportUrl::parse("zmq://h/").is_err());
        let err = TransportUrl::parse("rabbit://u:topsecret@h:notaport/")
            .unwrap_err()
            .to_string();
        assert!(err.contains("invalid port") && !err.contains("topsecret"), "{err}");
    }
}
