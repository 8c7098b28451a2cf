//! The crate's one error type, [`RemoteError`], with Sahara's messages for the errors that
//! reach users (`RemoteCommandException`, `TimeoutException`, `SystemError`).

use std::time::Duration;

/// Everything that can go wrong reaching an instance. No variant ever holds a private key.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// `proxy_command` cannot be expanded (unknown keyword, stray brace, bad quoting) or is
    /// empty. Sahara logs the detail and tells the user only "Misconfiguration".
    #[error("Misconfiguration")]
    Misconfiguration {
        /// What is wrong with the template, for logs and tests.
        detail: String,
    },
    /// The access path needs `{router_id}` but the caller gave no router id.
    #[error("the proxy command needs the management network's router id, and none was given")]
    MissingRouterId,
    /// A TCP connection (SSH or HTTP) could not be made.
    #[error("cannot connect to {host}:{port}: {source}")]
    Connect {
        /// The host dialled.
        host: String,
        /// The port dialled.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// The proxy command could not be started.
    #[error("cannot start proxy command `{command}`: {source}")]
    ProxyCommand {
        /// The expanded command line.
        command: String,
        /// Why.
        source: std::io::Error,
    },
    /// An SSH step (handshake, authentication, channel, SFTP) failed.
    #[error("SSH {op} with {host} failed: {source}{detail}")]
    Ssh {
        /// The instance's address.
        host: String,
        /// The step that failed.
        op: &'static str,
        /// Extra context (the proxy command's stderr, the file), starting with a separator.
        detail: String,
        /// libssh2's (or the socket's) error.
        source: std::io::Error,
    },
    /// A remote command exited non-zero and the caller asked to raise (Sahara's
    /// `RemoteCommandException`).
    #[error("{}", remote_command_message(cmd, *ret_code, stdout, stderr))]
    RemoteCommand {
        /// The command as the caller gave it (before any `sudo` wrapping).
        cmd: String,
        /// Its exit status (-1 when the remote end reported none, e.g. killed by a signal).
        ret_code: i32,
        /// What it wrote on stdout.
        stdout: String,
        /// What it wrote on stderr.
        stderr: String,
    },
    /// An operation took longer than its timeout (Sahara's `TimeoutException`). The
    /// connection it ran on is closed.
    #[error("'Operation with name '{operation}'' timed out after {} second(s)", timeout.as_secs())]
    Timeout {
        /// What was being done.
        operation: String,
        /// The timeout that was exceeded.
        timeout: Duration,
    },
    /// The connection is closed (after [`close`](crate::SshConnection::close), a timeout or
    /// a fatal error).
    #[error("the SSH connection to {host} is closed")]
    Closed {
        /// The instance's address.
        host: String,
    },
    /// An HTTP request could not be built for this client.
    #[error("invalid HTTP request: {0}")]
    InvalidRequest(String),
    /// An HTTP exchange with an instance service failed.
    #[error("HTTP to {host}:{port} failed: {source}")]
    Http {
        /// The service's host.
        host: String,
        /// The service's port.
        port: u16,
        /// hyper's error.
        source: hyper::Error,
    },
    /// A local resource (socket pair, thread) could not be made.
    #[error("{context}: {source}")]
    Local {
        /// What was being made.
        context: &'static str,
        /// Why.
        source: std::io::Error,
    },
}

impl RemoteError {
    /// Sahara's `error_code` for this error: `REMOTE_COMMAND_FAILED`, `TIMEOUT`, else
    /// `SYSTEM_ERROR`.
    pub fn code(&self) -> &'static str {
        match self {
            RemoteError::RemoteCommand { .. } => "REMOTE_COMMAND_FAILED",
            RemoteError::Timeout { .. } => "TIMEOUT",
            _ => "SYSTEM_ERROR",
        }
    }
}

/// Sahara's `RemoteCommandException` message: the command, then the return code, stderr and
/// stdout when present (non-printable characters dropped, as `string.printable` does).
fn remote_command_message(cmd: &str, ret_code: i32, stdout: &str, stderr: &str) -> String {
    let mut message = format!("Error during command execution: \"{cmd}\"");
    if ret_code != 0 {
        message.push_str(&format!("\nReturn code: {ret_code}"));
    }
    if !stderr.is_empty() {
        message.push_str("\nSTDERR:\n");
        message.push_str(&printable(stderr));
    }
    if !stdout.is_empty() {
        message.push_str("\nSTDOUT:\n");
        message.push_str(&printable(stdout));
    }
    message
}

/// Keeps the characters of Python's `string.printable` (ASCII graphics and whitespace).
fn printable(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c'))
        .collect()
}

/// The crate's result type.
pub type Result<T, E = RemoteError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_follow_sahara() {
        let e = RemoteError::RemoteCommand {
            cmd: "ls /x".into(),
            ret_code: 2,
            stdout: "".into(),
            stderr: "ls: cannot access '/x' \u{2014} gone\n".into(),
        };
        assert_eq!(
            e.to_string(),
            "Error during command execution: \"ls /x\"\nReturn code: 2\nSTDERR:\nls: cannot access '/x'  gone\n"
        );
        assert_eq!(e.code(), "REMOTE_COMMAND_FAILED");
        let t = RemoteError::Timeout {
            operation: "Executing \"sleep 5\"".into(),
            timeout: Duration::from_secs(300),
        };
        assert_eq!(
            t.to_string(),
            "'Operation with name 'Executing \"sleep 5\"'' timed out after 300 second(s)"
        );
        assert_eq!(t.code(), "TIMEOUT");
        let m = RemoteError::Misconfiguration {
            detail: "unknown keyword {x}".into(),
        };
        assert_eq!((m.to_string().as_str(), m.code()), ("Misconfiguration", "SYSTEM_ERROR"));
    }
}
