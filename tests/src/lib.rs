//! Harness for cross-service tests: locating the repository's reference material and the
//! Python peers, and driving `oslo_peer.py` (real oslo.messaging) as server, client,
//! notifier and listener.

pub mod broker;
pub mod oslo;

use std::path::PathBuf;

/// The repository root: the nearest directory above the running test's package that holds
/// `Cargo.lock` (any crate's tests may use this harness).
pub fn repo_root() -> PathBuf {
    let start = runtime_manifest_dir();
    start
        .ancestors()
        .find(|d| d.join("Cargo.lock").exists())
        .map(PathBuf::from)
        .unwrap_or(start)
}

/// The reference material handed to the project (`../shared` beside the repository).
pub fn reference_dir() -> PathBuf {
    repo_root().join("../shared")
}

/// A fresh 32-hex id to keep a test's broker names apart from every other test's.
pub fn unique_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The package directory, read when the test runs (cargo and nextest set it, and run tests
/// from there): a compile-time path would point into whichever clone built a cached binary.
fn runtime_manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory"))
}
