//! Keystone's database on the machine's MariaDB, made and dropped with the `mysql` client
//! (Debian's mariadb-client). The server itself is never started, stopped or configured.

use super::{Result, ServicesError};
use std::process::Command;

/// A MariaDB server reachable as a user without a password (the machine's:
/// `root@127.0.0.1:3306`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseServer {
    /// Its address.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// The user (without password).
    pub user: String,
}

impl Default for DatabaseServer {
    fn default() -> Self {
        DatabaseServer {
            host: "127.0.0.1".into(),
            port: 3306,
            user: "root".into(),
        }
    }
}

impl DatabaseServer {
    /// The SQLAlchemy URL of database `name` (oslo.db's `[database] connection`).
    pub fn url(&self, name: &str) -> String {
        format!(
            "mysql+pymysql://{}@{}:{}/{name}?charset=utf8",
            self.user, self.host, self.port
        )
    }

    /// Whether database `name` exists.
    pub fn exists(&self, name: &str) -> Result<bool> {
        check_name(name)?;
        let out = self.sql(&format!(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{name}'"
        ))?;
        Ok(out.lines().any(|l| l.trim() == name))
    }

    /// Creates database `name` unless it exists; returns whether it was created.
    pub fn create_database(&self, name: &str) -> Result<bool> {
        if self.exists(name)? {
            return Ok(false);
        }
        self.sql(&format!("CREATE DATABASE IF NOT EXISTS `{name}`"))?;
        tracing::info!(database = name, "database created");
        Ok(true)
    }

    /// Drops database `name` if it exists; returns whether it existed.
    pub fn drop_database(&self, name: &str) -> Result<bool> {
        if !self.exists(name)? {
            return Ok(false);
        }
        self.sql(&format!("DROP DATABASE IF EXISTS `{name}`"))?;
        tracing::info!(database = name, "database dropped");
        Ok(true)
    }

    fn sql(&self, statement: &str) -> Result<String> {
        let mut cmd = Command::new("mysql");
        cmd.args(["--batch", "--skip-column-names", "--protocol=tcp"])
            .arg(format!("--host={}", self.host))
            .arg(format!("--port={}", self.port))
            .arg(format!("--user={}", self.user))
            .arg("-e")
            .arg(statement);
        let shown = format!("mysql -h{} -P{} -u{} -e {statement:?}", self.host, self.port, self.user);
        let out = cmd.output().map_err(|e| ServicesError::Command {
            command: shown.clone(),
            output: e.to_string(),
        })?;
        if !out.status.success() {
            return Err(ServicesError::Command {
                command: shown,
                output: format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr).trim()),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Database names are ours (`stc_<prefix>_keystone`), but are checked before they are put
/// in SQL all the same.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty() || name.len() > 64 || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ServicesError::Config(format!("unusable database name {name:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_names() {
        let db = DatabaseServer::default();
        assert_eq!(
            db.url("stc_x_keystone"),
            "mysql+pymysql://root@127.0.0.1:3306/stc_x_keystone?charset=utf8"
        );
        assert!(check_name("stc_0a1b2c3d_keystone").is_ok());
        assert!(check_name("x`; DROP").is_err());
        assert!(check_name("").is_err());
    }
}
