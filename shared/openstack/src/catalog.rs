//! The service catalog a token carries, in either shape Sahara meets: Keystone v3's list of
//! services with `{interface, region, url}` endpoints (a token body), and the v2 shape with
//! `publicURL` / `internalURL` / `adminURL` per region (keystonemiddleware's
//! `X-Service-Catalog`, which the API's request context carries). Lookups work as
//! keystoneauth's `url_for` does for Sahara's `base.url_for`: by service type, interface and
//! `os_region_name`; the first match wins.

use serde_json::Value;

use crate::error::{OpenStackError, Result};

/// One endpoint of a catalog service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogEndpoint {
    /// `public`, `internal` or `admin`.
    pub interface: String,
    /// Its region (name or id), if any.
    pub region: Option<String>,
    /// Its URL, as the catalog has it.
    pub url: String,
}

/// One service of the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogService {
    /// Its type (`compute`, `network`, `object-store`, ...).
    pub service_type: String,
    /// Its name (`nova`, ...), if given.
    pub name: Option<String>,
    /// Its endpoints, in catalog order.
    pub endpoints: Vec<CatalogEndpoint>,
}

/// A parsed service catalog.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalog {
    /// The services, in catalog order.
    pub services: Vec<CatalogService>,
}

/// An endpoint interface as Sahara's `endpoint_type` options spell it (`internalURL`,
/// `publicURL`, `adminURL`) or as Keystone v3 does (`internal`, ...): the v3 name.
pub fn normalize_interface(endpoint_type: &str) -> String {
    let lower = endpoint_type.trim().to_ascii_lowercase();
    lower.strip_suffix("url").unwrap_or(&lower).to_string()
}

impl Catalog {
    /// Parses a catalog JSON list, v3 or v2 shaped (per endpoint), ignoring what it does not know.
    pub fn from_value(v: &Value) -> Result<Catalog> {
        let list = v
            .as_array()
            .ok_or_else(|| OpenStackError::Invalid("the service catalog is not a JSON list".into()))?;
        let mut services = Vec::new();
        for svc in list {
            let Some(service_type) = svc.get("type").and_then(Value::as_str) else {
                continue;
            };
            let mut endpoints = Vec::new();
            for ep in svc.get("endpoints").and_then(Value::as_array).into_iter().flatten() {
                let region = ep
                    .get("region")
                    .or_else(|| ep.get("region_id"))
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string);
                if let (Some(iface), Some(url)) = (
                    ep.get("interface").and_then(Value::as_str),
                    ep.get("url").and_then(Value::as_str),
                ) {
                    endpoints.push(CatalogEndpoint {
                        interface: normalize_interface(iface),
                        region,
                        url: url.to_string(),
                    });
                    continue;
                }
                // v2: one entry per region with `<interface>URL` keys.
                for iface in ["public", "internal", "admin"] {
                    if let Some(url) = ep.get(format!("{iface}URL")).and_then(Value::as_str) {
                        endpoints.push(CatalogEndpoint {
                            interface: iface.to_string(),
                            region: region.clone(),
                            url: url.to_string(),
                        });
                    }
                }
            }
            services.push(CatalogService {
                service_type: service_type.to_string(),
                name: svc.get("name").and_then(Value::as_str).map(str::to_string),
                endpoints,
            });
        }
        Ok(Catalog { services })
    }

    /// Parses the catalog as a JSON string (`X-Service-Catalog`, the RPC context's `service_catalog`).
    pub fn from_json_str(s: &str) -> Result<Catalog> {
        let v: Value = serde_json::from_str(s)
            .map_err(|e| OpenStackError::Invalid(format!("the service catalog is not JSON: {e}")))?;
        Catalog::from_value(&v)
    }

    /// The URL of the first `service_type` endpoint on `interface` (`internalURL` or `internal`)
    /// in `region` (any region when `None`), with `%(project_id)s`-style templates filled in.
    pub fn url_for(
        &self,
        service_type: &str,
        interface: &str,
        region: Option<&str>,
        project_id: Option<&str>,
    ) -> Result<String> {
        let iface = normalize_interface(interface);
        self.services
            .iter()
            .filter(|s| s.service_type == service_type)
            .flat_map(|s| s.endpoints.iter())
            .find(|e| e.interface == iface && region.is_none_or(|r| e.region.as_deref() == Some(r)))
            .map(|e| substitute_project(&e.url, project_id))
            .ok_or_else(|| OpenStackError::EndpointNotFound {
                service_type: service_type.to_string(),
                interface: iface,
                region: region.map(str::to_string),
            })
    }

    /// Whether the catalog has a `service_type` endpoint on `interface` in `region`.
    pub fn has(&self, service_type: &str, interface: &str, region: Option<&str>) -> bool {
        self.url_for(service_type, interface, region, None).is_ok()
    }
}

/// Fills the project templates Keystone catalogs may carry (`%(project_id)s`, `%(tenant_id)s`
/// and the templated-catalog `$(...)s` forms); left as is without a project.
pub fn substitute_project(url: &str, project_id: Option<&str>) -> String {
    let Some(p) = project_id else {
        return url.to_string();
    };
    let mut out = url.to_string();
    for key in ["project_id", "tenant_id"] {
        for lead in ['%', '$'] {
            out = out.replace(&format!("{lead}({key})s"), p);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v3_and_v2_shapes_give_the_same_urls() {
        let v3 = json!([
            {"type": "compute", "name": "nova", "endpoints": [
                {"interface": "public", "region": "RegionOne", "region_id": "RegionOne", "url": "http://pub/v2.1"},
                {"interface": "internal", "region": "RegionOne", "url": "http://int/v2.1"},
                {"interface": "internal", "region": "RegionTwo", "url": "http://int2/v2.1"}]},
            {"type": "object-store", "endpoints": [
                {"interface": "internal", "region": "RegionOne", "url": "http://swift/v1/AUTH_%(project_id)s"}]}
        ]);
        let v2 = json!([
            {"type": "compute", "name": "nova", "endpoints": [
                {"region": "RegionOne", "publicURL": "http://pub/v2.1", "internalURL": "http://int/v2.1"},
                {"region": "RegionTwo", "internalURL": "http://int2/v2.1"}]},
            {"type": "object-store", "endpoints": [
                {"region": "RegionOne", "internalURL": "http://swift/v1/AUTH_$(tenant_id)s"}]}
        ]);
        for c in [
            Catalog::from_value(&v3).unwrap(),
            Catalog::from_json_str(&v2.to_string()).unwrap(),
        ] {
            assert_eq!(
                c.url_for("compute", "internalURL", None, None).unwrap(),
                "http://int/v2.1"
            );
            assert_eq!(
                c.url_for("compute", "publicURL", Some("RegionOne"), None).unwrap(),
                "http://pub/v2.1"
            );
            assert_eq!(
                c.url_for("compute", "internal", Some("RegionTwo"), None).unwrap(),
                "http://int2/v2.1"
            );
            assert_eq!(
                c.url_for("object-store", "internalURL", None, Some("p1")).unwrap(),
                "http://swift/v1/AUTH_p1"
            );
            let e = c.url_for("compute", "adminURL", None, None).unwrap_err();
            assert!(matches!(e, OpenStackError::EndpointNotFound { ref interface, .. } if interface == "admin"));
            assert!(!c.has("orchestration", "internalURL", None));
        }
    }

    #[test]
    fn a_non_list_catalog_is_refused() {
        assert!(Catalog::from_json_str("{}").is_err());
        assert!(Catalog::from_json_str("nope").is_err());
        assert_eq!(normalize_interface("internalURL"), "internal");
    }
}
