//! The cloud's secrets: passwords of its users and Swift's hash path salts, generated at
//! the first `up` and kept in `secrets.json` (mode 0600) for the later ones. Never logged:
//! `Debug` hides them.

use super::procs::{io_error, write_file};
use super::{Result, ServicesError};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::io::Read;
use std::path::Path;

/// The generated secrets of one cloud.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secrets {
    /// The admin user's password (Keystone's bootstrap user).
    pub admin_password: String,
    /// The demo user's password.
    pub demo_password: String,
    /// Sahara's service user's password.
    pub sahara_password: String,
    /// Swift's service user's password.
    pub swift_password: String,
    /// Swift's `swift_hash_path_prefix`.
    pub swift_hash_prefix: String,
    /// Swift's `swift_hash_path_suffix`.
    pub swift_hash_suffix: String,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secrets(<hidden>)")
    }
}

impl Secrets {
    /// The secrets in `path`, or new ones written there (mode 0600) when it does not exist.
    pub fn load_or_create(path: &Path) -> Result<Secrets> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                ServicesError::Config(format!(
                    "{} is not a secrets file ({e}); run down first",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let secrets = Secrets {
                    admin_password: random_hex(16)?,
                    demo_password: random_hex(16)?,
                    sahara_password: random_hex(16)?,
                    swift_password: random_hex(16)?,
                    swift_hash_prefix: random_hex(16)?,
                    swift_hash_suffix: random_hex(16)?,
                };
                let json = serde_json::to_vec_pretty(&secrets).unwrap_or_default();
                write_file(path, &json, 0o600)?;
                tracing::info!(path = %path.display(), "generated the cloud's secrets");
                Ok(secrets)
            }
            Err(source) => Err(io_error(format!("reading {}", path.display()), source)),
        }
    }
}

/// `n` bytes from the kernel's random source.
pub fn random_bytes(n: usize) -> Result<Vec<u8>> {
    let mut buf = vec![0; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|source| io_error("reading /dev/urandom".into(), source))?;
    Ok(buf)
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> Result<String> {
    Ok(random_bytes(n)?.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn secrets_are_private_kept_and_hidden() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secrets.json");
        let first = Secrets::load_or_create(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(first.admin_password.len(), 32);
        assert_ne!(first.admin_password, first.demo_password);
        assert_eq!(Secrets::load_or_create(&path).unwrap(), first);
        assert!(!format!("{first:?}").contains(&first.admin_password));
    }
}
