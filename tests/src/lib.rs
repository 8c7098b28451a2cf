//! Harness for cross-service tests: locating the repository's reference material and the
//! Python peers, and driving `oslo_peer.py` (real oslo.messaging) as server, client,
//! notifier and listener.

pub mod broker;
pub mod oslo;

use std::path::PathBuf;

/// The repository root.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The reference material handed to the project (`../shared` beside the repository).
pub fn reference_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// A fresh 32-hex id to keep a test's broker names apart from every other test's.
pub fn unique_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}
