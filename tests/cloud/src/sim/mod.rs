//! The simulator of Nova, Neutron, Glance and Cinder: the cloud's state, its REST APIs,
//! token validation against the real Keystone, quotas and failure injection.
