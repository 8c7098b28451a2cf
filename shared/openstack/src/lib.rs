//! The clients Sahara's API and engine use to talk to the cloud: a [`Session`] (a user's or
//! trust-scoped token with its service catalog) over a process-wide [`Transport`] (HTTP
//! clients per `[nova]`, `[neutron]`, ... group), Sahara's retries of transient answers
//! ([`http`]), and small typed calls of Nova, Neutron, Glance (with Sahara's image
//! registry), Cinder, Heat, Swift, Manila (shares) and Keystone (authentication, trusts),
//! and S3 with AWS Signature Version 4 ([`s3`], for S3 job binaries).
//!
//! ```no_run
//! # async fn f(token: String, project: String, catalog: String) -> sahara_openstack::Result<()> {
//! use sahara_openstack::{ClientConfig, Session, Transport};
//! let transport = Transport::new(ClientConfig::default())?;
//! let session = Session::from_context(transport, token, Some(project), &catalog)?;
//! match session.nova().get_flavor("42").await {
//!     Err(e) if e.is_not_found() => println!("Requested flavor '42' not found"),
//!     other => drop(other?),
//! }
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod catalog;
pub mod cinder;
pub mod config;
pub mod error;
pub mod glance;
pub mod heat;
pub mod http;
pub mod keystone;
pub mod manila;
pub mod neutron;
pub mod nova;
pub mod proxy;
pub mod s3;
pub mod session;
pub mod swift;

pub use catalog::Catalog;
pub use config::{ClientConfig, EndpointOpts, RetryPolicy, Service, TrusteeConfig};
pub use error::{OpenStackError, Result, Secret};
pub use http::{ERRORS_TO_RETRY, Transport};
pub use session::Session;
