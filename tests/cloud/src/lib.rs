//! The project's local test cloud (`sahara-testcloud`).
//!
//! No OpenStack runs on our machines, so the project carries a cloud of its own for the
//! engine's tests, the benchmarks and the README's main command
//! (`../shared/reference/test_cloud.md` records how each piece was tried here):
//!
//! - [`services`]: real **Keystone** and real **Swift** from PyPI, run as processes of the
//!   cloud;
//! - [`sim`] and [`heat`]: a **simulator** of Heat, Nova, Neutron, Glance and Cinder that
//!   validates every token against that Keystone and keeps the cloud's state;
//! - [`fabric`]: makes that state real on the host: networks are bridges, routers are
//!   `qrouter-<id>` namespaces, servers are namespaces running a real sshd, volumes are
//!   loop devices.
//!
//! - [`lifecycle`]: `up`, `serve` and `down` of the whole cloud, and the files its users
//!   get (`clouds.yaml`, `openrc-*`, `sahara.conf`).
//!
//! One cloud lives in one state directory and owns one [`naming::Prefix`].

pub mod fabric;
pub mod heat;
pub mod lifecycle;
pub mod naming;
pub mod services;
pub mod sim;
