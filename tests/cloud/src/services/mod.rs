//! The real OpenStack services of the cloud, run as processes: Keystone (uWSGI on
//! MariaDB), Swift (all-in-one, keystoneauth) and memcached.
