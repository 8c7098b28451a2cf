//! Running the host's tools (`ip`, `iptables`, `losetup`, `nsenter`, ...) for the fabric.
//!
//! Every command runs with a cleared environment (only `PATH` and `LANG=C`), so nothing of
//! the simulator's environment (credentials included) reaches the host tools or the
//! servers, and their messages are in English for [`Cmd::run_tolerating`] to match.

use std::ffi::OsStr;
use std::io::Write;
use std::process::{Command, Stdio};

use super::{FabricError, Result};

/// The `PATH` given to every command, and to the servers' processes.
pub(crate) const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// One command line to run on the host.
pub(crate) struct Cmd {
    command: Command,
    line: String,
    stdin: Option<Vec<u8>>,
}

impl Cmd {
    /// A command running `program` with a clean environment.
    pub(crate) fn new(program: &str) -> Cmd {
        let mut command = Command::new(program);
        command.env_clear().env("PATH", PATH).env("LANG", "C").current_dir("/");
        Cmd {
            command,
            line: program.to_owned(),
            stdin: None,
        }
    }

    /// `ip -n <ns> ...`: the `ip` tool acting inside a network namespace.
    pub(crate) fn ip_in(ns: &str) -> Cmd {
        Cmd::new("ip").args(["-n", ns])
    }

    /// `ip netns exec <ns> <program> ...`.
    pub(crate) fn netns_exec(ns: &str, program: &str) -> Cmd {
        Cmd::new("ip").args(["netns", "exec", ns, program])
    }

    /// Appends arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        for arg in args {
            let arg = arg.as_ref();
            self.line.push(' ');
            self.line.push_str(&arg.to_string_lossy());
            self.command.arg(arg);
        }
        self
    }

    /// Feeds `input` to the command's standard input.
    pub(crate) fn stdin(mut self, input: impl Into<Vec<u8>>) -> Cmd {
        self.stdin = Some(input.into());
        self
    }

    /// Runs the command; its standard output on success, [`FabricError::Command`] (with
    /// the exit status and standard error) otherwise.
    pub(crate) fn run(self) -> Result<String> {
        match self.output()? {
            Ok(stdout) => Ok(stdout),
            Err((line, output)) => Err(FabricError::Command { command: line, output }),
        }
    }

    /// Runs the command; `Ok(true)` on success, `Ok(false)` when it failed with a standard
    /// error containing one of `benign` (e.g. "Cannot find device" when deleting what is
    /// gone), an error otherwise.
    pub(crate) fn run_tolerating(self, benign: &[&str]) -> Result<bool> {
        match self.output()? {
            Ok(_) => Ok(true),
            Err((_, output)) if benign.iter().any(|b| output.contains(b)) => Ok(false),
            Err((line, output)) => Err(FabricError::Command { command: line, output }),
        }
    }

    fn output(mut self) -> Result<std::result::Result<String, (String, String)>> {
        tracing::debug!(command = %self.line, "running");
        self.command
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.command.spawn().map_err(|e| FabricError::Command {
            command: self.line.clone(),
            output: format!("cannot start: {e}"),
        })?;
        if let Some(input) = self.stdin.take()
            && let Some(mut pipe) = child.stdin.take()
        {
            // A command that exits without reading its input is reported by its status.
            let _ = pipe.write_all(&input);
        }
        let out = child.wait_with_output().map_err(|e| FabricError::Command {
            command: self.line.clone(),
            output: format!("cannot wait: {e}"),
        })?;
        if out.status.success() {
            Ok(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
        } else {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let output = format!("{}: {}", out.status, stderr.trim());
            tracing::debug!(command = %self.line, %output, "failed");
            Ok(Err((self.line, output)))
        }
    }
}

/// Quotes `s` for a POSIX shell.
pub(crate) fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes() {
        assert_eq!(sh_quote("a b"), "'a b'");
        assert_eq!(sh_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn failures_carry_the_command_and_stderr() {
        let err = Cmd::new("sh").args(["-c", "echo oops >&2; exit 3"]).run().unwrap_err();
        let text = err.to_string();
        assert!(text.contains("sh -c"), "{text}");
        assert!(text.contains("oops"), "{text}");
        assert!(
            !Cmd::new("sh")
                .args(["-c", "echo gone >&2; exit 1"])
                .run_tolerating(&["gone"])
                .unwrap()
        );
        assert_eq!(Cmd::new("cat").stdin("in").run().unwrap(), "in");
        // The environment is cleared.
        assert_eq!(
            Cmd::new("sh").args(["-c", "echo ${HOME:-none}"]).run().unwrap().trim(),
            "none"
        );
    }
}
