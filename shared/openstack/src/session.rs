//! A [`Session`]: a token (the user's, or a trust-scoped one for the engine), the project it
//! is scoped to and its service catalog, over the process's [`Transport`]. The service
//! clients ([`Session::nova`], ...) borrow it; every call picks the endpoint from the catalog
//! with the service group's `endpoint_type` and `os_region_name`.

use std::sync::Arc;

use reqwest::Method;

use crate::catalog::Catalog;
use crate::config::Service;
use crate::error::{OpenStackError, Result, Secret};
use crate::http::{self, Call, Payload, Reply, Transport};

/// An authenticated view of the cloud.
#[derive(Clone)]
pub struct Session {
    transport: Transport,
    token: Secret,
    project_id: Option<String>,
    user_id: Option<String>,
    trust_id: Option<String>,
    roles: Vec<String>,
    catalog: Arc<Catalog>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("token", &self.token)
            .field("project_id", &self.project_id)
            .field("user_id", &self.user_id)
            .field("trust_id", &self.trust_id)
            .field("roles", &self.roles)
            .field("catalog_services", &self.catalog.services.len())
            .finish()
    }
}

impl Session {
    /// A session for a token Keystone already validated (the API's request context), with its
    /// parsed catalog.
    pub fn from_token(
        transport: Transport,
        token: impl Into<Secret>,
        project_id: Option<String>,
        catalog: Catalog,
    ) -> Session {
        Session {
            transport,
            token: token.into(),
            project_id,
            user_id: None,
            trust_id: None,
            roles: Vec::new(),
            catalog: Arc::new(catalog),
        }
    }

    /// A session for the API's request context: its token, project and `X-Service-Catalog`
    /// (the v2-shaped JSON keystonemiddleware hands on; a v3 list works too).
    pub fn from_context(
        transport: Transport,
        token: impl Into<Secret>,
        project_id: Option<String>,
        service_catalog: &str,
    ) -> Result<Session> {
        Ok(Session::from_token(
            transport,
            token,
            project_id,
            Catalog::from_json_str(service_catalog)?,
        ))
    }

    /// A session from a Keystone v3 token body (`{"token": {...}}`) and its `X-Subject-Token`.
    pub fn from_token_body(
        transport: Transport,
        token: impl Into<Secret>,
        body: &serde_json::Value,
    ) -> Result<Session> {
        let t = body
            .get("token")
            .ok_or_else(|| OpenStackError::decode("keystone", "no token in the body"))?;
        let s = |v: Option<&serde_json::Value>| v.and_then(serde_json::Value::as_str).map(str::to_string);
        let catalog = match t.get("catalog") {
            Some(c) => Catalog::from_value(c)?,
            None => Catalog::default(),
        };
        Ok(Session {
            transport,
            token: token.into(),
            project_id: s(t.pointer("/project/id")),
            user_id: s(t.pointer("/user/id")),
            trust_id: s(t.pointer("/OS-TRUST:trust/id")),
            roles: t
                .get("roles")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| s(r.get("name")))
                .collect(),
            catalog: Arc::new(catalog),
        })
    }

    /// Sets the user the token belongs to (known from the request context).
    pub fn with_user_id(mut self, user_id: impl Into<String>) -> Session {
        self.user_id = Some(user_id.into());
        self
    }

    /// The token (to hand to another service; never log it).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// The project the token is scoped to.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// The user the token acts as (with impersonation, the trustor).
    pub fn user_id(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The trust the token is scoped to, if any.
    pub fn trust_id(&self) -> Option<&str> {
        self.trust_id.as_deref()
    }

    /// The role names of the token (known when built from a token body).
    pub fn roles(&self) -> &[String] {
        &self.roles
    }

    /// The service catalog.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The transport (configuration and HTTP clients).
    pub fn transport(&self) -> &Transport {
        &self.transport
    }

    /// `service`'s endpoint: its group's `endpoint_type`, `os_region_name`, project filled in.
    pub fn endpoint(&self, service: Service) -> Result<String> {
        let config = self.transport.config();
        let iface = &config.endpoint(service).endpoint_type;
        let mut first_err = None;
        for t in service.catalog_types() {
            match self
                .catalog
                .url_for(t, iface, config.region.as_deref(), self.project_id.as_deref())
            {
                Ok(u) => return Ok(u.trim_end_matches('/').to_string()),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or_else(|| OpenStackError::Invalid(format!("no catalog type for {}", service.name()))))
    }

    /// Whether the catalog has `service` (Sahara's `check_cinder_exists` and friends).
    pub fn has_service(&self, service: Service) -> bool {
        self.endpoint(service).is_ok()
    }

    /// Sends a request to `url` with the session's token and Sahara's retries.
    pub(crate) async fn send(
        &self,
        service: Service,
        operation: &str,
        method: Method,
        url: String,
        payload: Payload,
        headers: Vec<(&'static str, String)>,
    ) -> Result<Reply> {
        http::execute(
            &self.transport,
            Some(&self.token),
            Call {
                service,
                operation,
                method,
                url,
                payload,
                headers,
            },
        )
        .await
    }

    /// Sends a JSON request and parses the JSON answer.
    pub(crate) async fn json<T: serde::de::DeserializeOwned>(
        &self,
        service: Service,
        operation: &str,
        method: Method,
        url: String,
        body: Option<serde_json::Value>,
    ) -> Result<T> {
        let payload = body.map_or(Payload::Empty, Payload::Json);
        self.send(service, operation, method, url, payload, Vec::new())
            .await?
            .json(service)
    }

    /// Sends a request once (no retries) with extra headers and parses the JSON answer.
    pub(crate) async fn json_once<T: serde::de::DeserializeOwned>(
        &self,
        service: Service,
        operation: &str,
        method: Method,
        url: String,
        headers: Vec<(&'static str, String)>,
    ) -> Result<T> {
        http::execute_once(
            &self.transport,
            Some(&self.token),
            Call {
                service,
                operation,
                method,
                url,
                payload: Payload::Empty,
                headers,
            },
        )
        .await?
        .json(service)
    }

    /// Sends a request whose answer body does not matter.
    pub(crate) async fn no_content(
        &self,
        service: Service,
        operation: &str,
        method: Method,
        url: String,
        body: Option<serde_json::Value>,
    ) -> Result<()> {
        let payload = body.map_or(Payload::Empty, Payload::Json);
        self.send(service, operation, method, url, payload, Vec::new()).await?;
        Ok(())
    }

    /// Nova.
    pub fn nova(&self) -> crate::nova::Nova<'_> {
        crate::nova::Nova::new(self)
    }

    /// Neutron.
    pub fn neutron(&self) -> crate::neutron::Neutron<'_> {
        crate::neutron::Neutron::new(self)
    }

    /// Glance.
    pub fn glance(&self) -> crate::glance::Glance<'_> {
        crate::glance::Glance::new(self)
    }

    /// Cinder v3.
    pub fn cinder(&self) -> crate::cinder::Cinder<'_> {
        crate::cinder::Cinder::new(self)
    }

    /// Heat.
    pub fn heat(&self) -> crate::heat::HeatClient<'_> {
        crate::heat::HeatClient::new(self)
    }

    /// Swift.
    pub fn swift(&self) -> crate::swift::Swift<'_> {
        crate::swift::Swift::new(self)
    }

    /// Keystone (trusts).
    pub fn keystone(&self) -> crate::keystone::Keystone<'_> {
        crate::keystone::Keystone::new(self)
    }

    /// Manila (shares).
    pub fn manila(&self) -> crate::manila::Manila<'_> {
        crate::manila::Manila::new(self)
    }
}
