//! `sahara-db-manage`: the command line (oslo-style `--config-file`/`--config-dir`, alembic-style
//! subcommands) and what each command does, so that the binary is a one-liner and tests drive
//! the same code.
//!
//! Commands:
//! - `upgrade [head|REVISION]`: migrate (creating the schema, or adopting a Python Sahara database
//!   at alembic 035). Prints one line per change on stdout and nothing when there was nothing to
//!   do, so `changed_when: stdout | length > 0` works in an Ansible role. `REVISION` is one of
//!   our migration names or versions, or `035` (our baseline).
//! - `current`: one line: the newest applied migration, `(head)` when nothing is pending, and for
//!   an adopted database the alembic revision it came from; nothing for an empty database (as
//!   alembic's `current`).
//! - `version`: the bare revision id (ours, or the alembic revision of a database not adopted
//!   yet), `None` for an empty database.
//! - `check`: like alembic's `check`, exits 0 silently when the database is at head (nothing to
//!   upgrade), 1 with one line otherwise.
//! - `check_migration`: Sahara's name for alembic `branches`; our history is linear: no output.
//! - `history`: our migrations, newest first (no database needed).
//!
//! Exit status: 0 on success (including "already at head"), 1 on any failure with one line on
//! stderr, 2 for a command line error. Connecting retries per `[database] max_retries` and
//! `retry_interval` while the server is unreachable (MariaDB still starting).

use std::ffi::OsString;
use std::io::Write;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, error::ErrorKind};
use sahara_config::{ConfigArgs, ConfigOpts, EnvOverrides, PROJECT};

use crate::connection::DbSettings;
use crate::error::DbError;
use crate::migrate::{self, Status, Target};
use crate::url::Backend;

/// The program name (also the name of its optional `<prog>.conf`).
pub const PROG: &str = "sahara-db-manage";

/// The command line of `sahara-db-manage`.
#[derive(Clone, Debug, Parser)]
#[command(name = PROG, version, about = "Create, upgrade or adopt Sahara's database")]
pub struct ManageArgs {
    /// `--config-file` / `--config-dir`, in the order given (later files win).
    #[command(flatten)]
    pub config: ConfigArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: ManageCommand,
}

/// The subcommands.
#[derive(Clone, Debug, PartialEq, Eq, Subcommand)]
pub enum ManageCommand {
    /// Migrate to head or REVISION (adopts a Python Sahara database at alembic revision 035).
    Upgrade {
        /// `head`, one of our migration names or versions, or `035` (the baseline).
        #[arg(default_value = "head")]
        revision: String,
    },
    /// Print the database's revision (and the alembic revision of an adopted database).
    Current,
    /// Print the database's bare revision id.
    Version,
    /// Exit 0 when the database is at head, 1 otherwise.
    Check,
    /// Check for branches in the migration history (ours is linear).
    #[command(name = "check_migration")]
    CheckMigration,
    /// List the known migrations, newest first.
    History,
}

/// Loads `sahara.conf` the oslo way for this program (command line sources or the default
/// search, plus `OS_*` environment overrides).
pub fn load_config(args: &ConfigArgs) -> Result<ConfigOpts, DbError> {
    Ok(ConfigOpts::load_for(
        args,
        PROJECT,
        PROG,
        EnvOverrides::from_process()?,
    )?)
}

/// Runs a parsed command with its configuration; normal output goes to `out`.
pub fn run(command: &ManageCommand, conf: &ConfigOpts, out: &mut dyn Write) -> Result<(), DbError> {
    if matches!(command, ManageCommand::History) {
        let all = migrate::migrations(Backend::Mysql);
        for (i, m) in all.iter().enumerate().rev() {
            let head = if i + 1 == all.len() { " (head)" } else { "" };
            let _ = writeln!(out, "{}{head}", m.name);
        }
        return Ok(());
    }
    if matches!(command, ManageCommand::CheckMigration) {
        return Ok(());
    }
    let settings = DbSettings::from_conf(conf)?;
    let mut conn = settings.connect()?;
    match command {
        ManageCommand::Upgrade { revision } => {
            let target: Target = revision.parse().unwrap_or(Target::Head);
            let report = migrate::upgrade(&mut conn, &target)?;
            if let Some(rev) = &report.adopted_from {
                let _ = writeln!(
                    out,
                    "Adopted the Python Sahara database at alembic revision {rev} as {} (schema and data unchanged)",
                    migrate::BASELINE
                );
            }
            for m in &report.applied {
                let _ = writeln!(out, "Applied migration {}", m.name);
            }
        }
        ManageCommand::Current => {
            let current = migrate::current(&mut conn)?;
            if current.status != Status::Empty {
                let _ = writeln!(out, "{current}");
            }
        }
        ManageCommand::Version => {
            let current = migrate::current(&mut conn)?;
            let _ = writeln!(out, "{}", current.version().unwrap_or_else(|| "None".to_owned()));
        }
        ManageCommand::Check => migrate::check(&mut conn)?,
        ManageCommand::History | ManageCommand::CheckMigration => {}
    }
    Ok(())
}

/// Squeezes a message onto one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The whole program: parses `argv`, loads the configuration, runs the command; returns the
/// exit status. Output on `out`, the one-line error (if any) on `err`.
pub fn main_with<I, T>(argv: I, out: &mut dyn Write, err: &mut dyn Write) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let parsed = ManageArgs::command()
        .try_get_matches_from(argv)
        .and_then(|m| ManageArgs::from_arg_matches(&m));
    let args = match parsed {
        Ok(args) => args,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = write!(out, "{e}");
            return 0;
        }
        Err(e) => {
            let text = if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                "a command is required: upgrade, current, version, check, check_migration or history".to_owned()
            } else {
                let rendered = e.render().to_string();
                let first = rendered.lines().next().unwrap_or_default();
                first.strip_prefix("error: ").unwrap_or(first).to_owned()
            };
            let _ = writeln!(err, "{PROG}: error: {} (see --help)", one_line(&text));
            return 2;
        }
    };
    let result = load_config(&args.config).and_then(|conf| run(&args.command, &conf, out));
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = writeln!(err, "{PROG}: error: {}", one_line(&e.to_string()));
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_cli(args: &[&str]) -> (u8, String, String) {
        let mut out = Vec::new();
        let mut err = Vec::new();
        let code = main_with(std::iter::once(PROG).chain(args.iter().copied()), &mut out, &mut err);
        (code, String::from_utf8(out).unwrap(), String::from_utf8(err).unwrap())
    }

    #[test]
    fn parses_kolla_command_line() {
        let args =
            ManageArgs::try_parse_from([PROG, "--config-file", "/etc/sahara/sahara.conf", "upgrade", "head"]).unwrap();
        assert_eq!(
            args.command,
            ManageCommand::Upgrade {
                revision: "head".into()
            }
        );
        assert!(args.config.has_config_file());
        let args = ManageArgs::try_parse_from([PROG, "--config-dir", "/etc/sahara/conf.d", "upgrade"]).unwrap();
        assert_eq!(
            args.command,
            ManageCommand::Upgrade {
                revision: "head".into()
            }
        );
        let args = ManageArgs::try_parse_from([PROG, "check_migration"]).unwrap();
        assert_eq!(args.command, ManageCommand::CheckMigration);
    }

    #[test]
    fn usage_errors_are_one_line_with_status_2() {
        for args in [
            &["frobnicate"][..],
            &[],
            &["upgrade", "head", "extra"],
            &["--bogus", "upgrade"],
        ] {
            let (code, out, err) = run_cli(args);
            assert_eq!(code, 2, "{args:?}");
            assert!(out.is_empty(), "{args:?}: {out}");
            assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
            assert!(err.starts_with("sahara-db-manage: error: "), "{err}");
        }
    }

    #[test]
    fn history_needs_no_database() {
        let (code, out, err) = run_cli(&["--config-file", "/dev/null", "history"]);
        assert_eq!((code, err.as_str()), (0, ""));
        assert!(out.lines().last().unwrap().starts_with(migrate::BASELINE), "{out}");
        assert!(out.lines().next().unwrap().ends_with(" (head)"), "{out}");
    }
}
