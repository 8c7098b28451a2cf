//! Management key pairs, made as Sahara makes them: `ssh-keygen -t rsa -b 2048 -m PEM`.

use crate::error::{ConductorError, Result};

/// A new RSA key pair `(private PEM, public OpenSSH line)`, comment `Generated-by-Sahara`.
pub async fn generate_key_pair() -> Result<(String, String)> {
    let dir = tempfile::tempdir()
        .map_err(|e| ConductorError::Database(format!("no temporary directory for ssh-keygen: {e}")))?;
    let key = dir.path().join("tempkey");
    let out = tokio::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-N",
            "",
            "-m",
            "PEM",
            "-t",
            "rsa",
            "-b",
            "2048",
            "-C",
            "Generated-by-Sahara",
            "-f",
        ])
        .arg(&key)
        .output()
        .await
        .map_err(|e| ConductorError::Database(format!("cannot run ssh-keygen: {e}")))?;
    if !out.status.success() {
        return Err(ConductorError::Database(format!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    let private = std::fs::read_to_string(&key)
        .map_err(|e| ConductorError::Database(format!("Private key file hasn't been created: {e}")))?;
    let public = std::fs::read_to_string(key.with_extension("pub"))
        .map_err(|e| ConductorError::Database(format!("Public key file hasn't been created: {e}")))?;
    Ok((private, public))
}
