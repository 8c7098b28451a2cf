//! Command line selection of config files: [`ConfigArgs`] (`--config-file`, `--config-dir`, kept in
//! command line order) and oslo.config's default search for `<project>.conf` and `<prog>.conf`.

use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};

/// One config source, in the order it is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigSource {
    /// A single file (`--config-file`).
    File(PathBuf),
    /// Every `*.conf` file of a directory, sorted by name (`--config-dir`).
    Dir(PathBuf),
}

const CONFIG_FILE_ID: &str = "config_file";
const CONFIG_DIR_ID: &str = "config_dir";

/// The `--config-file` / `--config-dir` options, in command line order (later sources win).
///
/// Flatten it into a service's clap parser with `#[command(flatten)] config: ConfigArgs`; the
/// interleaved order of the two options is kept (clap's argument indices).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConfigArgs {
    sources: Vec<ConfigSource>,
}

impl ConfigArgs {
    /// Config args with the given sources, in order.
    pub fn new(sources: Vec<ConfigSource>) -> Self {
        Self { sources }
    }

    /// The sources given on the command line, in order.
    pub fn sources(&self) -> &[ConfigSource] {
        &self.sources
    }

    /// Whether at least one `--config-file` was given.
    pub fn has_config_file(&self) -> bool {
        self.sources.iter().any(|s| matches!(s, ConfigSource::File(_)))
    }

    /// Whether at least one `--config-dir` was given.
    pub fn has_config_dir(&self) -> bool {
        self.sources.iter().any(|s| matches!(s, ConfigSource::Dir(_)))
    }

    /// Reads the options from matches of a command built with [`Args::augment_args`].
    pub fn from_matches(matches: &ArgMatches) -> Self {
        let mut indexed: Vec<(usize, ConfigSource)> = Vec::new();
        for (id, make) in [
            (CONFIG_FILE_ID, ConfigSource::File as fn(PathBuf) -> ConfigSource),
            (CONFIG_DIR_ID, ConfigSource::Dir),
        ] {
            let (Ok(Some(values)), Some(indices)) = (matches.try_get_many::<PathBuf>(id), matches.indices_of(id))
            else {
                continue;
            };
            indexed.extend(indices.zip(values.cloned().map(make)));
        }
        indexed.sort_by_key(|(i, _)| *i);
        Self {
            sources: indexed.into_iter().map(|(_, s)| s).collect(),
        }
    }

    /// The sources oslo.config would read: the default files (only when no `--config-file` was
    /// given), the default directories (only when no `--config-dir` was given), then the command
    /// line sources in order.
    pub fn effective_sources(&self, project: &str, prog: &str) -> Vec<ConfigSource> {
        let dirs = config_search_dirs(Some(project));
        let mut out = Vec::new();
        if !self.has_config_file() {
            out.extend(
                find_in_dirs(&dirs, project, prog, ".conf")
                    .into_iter()
                    .map(ConfigSource::File),
            );
        }
        if !self.has_config_dir() {
            out.extend(
                find_in_dirs(&dirs, project, prog, ".conf.d")
                    .into_iter()
                    .map(ConfigSource::Dir),
            );
        }
        out.extend(self.sources.iter().cloned());
        out
    }
}

impl Args for ConfigArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.arg(
            Arg::new(CONFIG_FILE_ID)
                .long("config-file")
                .value_name("PATH")
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(PathBuf))
                .help(
                    "Path to a config file to use. Multiple config files can be specified, with \
                     values in later files taking precedence. Defaults to ~/.sahara/sahara.conf, \
                     ~/sahara.conf, /etc/sahara/sahara.conf or /etc/sahara.conf, plus <prog>.conf \
                     searched the same way.",
                ),
        )
        .arg(
            Arg::new(CONFIG_DIR_ID)
                .long("config-dir")
                .value_name("DIR")
                .action(ArgAction::Append)
                .value_parser(clap::value_parser!(PathBuf))
                .help(
                    "Path to a config directory to pull `*.conf` files from. This file set is \
                     sorted, so as to provide a predictable parse order if individual options are \
                     over-ridden. The set is parsed after the file(s) specified via previous \
                     --config-file, arguments hence over-ridden options in the directory take \
                     precedence.",
                ),
        )
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl FromArgMatches for ConfigArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self::from_matches(matches))
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_matches(matches);
        Ok(())
    }
}

/// Tilde expansion and absolutisation, as oslo's `_fixpath`.
pub(crate) fn fix_path(path: &Path) -> PathBuf {
    let expanded = match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    };
    std::path::absolute(&expanded).unwrap_or(expanded)
}

/// The directories oslo.config searches for config files of `project`, in order:
/// `~/.<project>/`, `~/`, `/etc/<project>/`, `/etc/`, then `$SNAP_COMMON/etc/<project>` and
/// `$SNAP/etc/<project>` when those variables are set.
pub fn config_search_dirs(project: Option<&str>) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(p) = project {
        dirs.push(fix_path(&Path::new("~").join(format!(".{p}"))));
    }
    dirs.push(fix_path(Path::new("~")));
    if let Some(p) = project {
        dirs.push(Path::new("/etc").join(p));
    }
    dirs.push(PathBuf::from("/etc"));
    if let Some(p) = project {
        for var in ["SNAP_COMMON", "SNAP"] {
            if let Some(base) = std::env::var_os(var).filter(|v| !v.is_empty()) {
                dirs.push(PathBuf::from(base).join("etc").join(p));
            }
        }
    }
    dirs
}

/// The first existing `<dir>/<basename><extension>` among `dirs`.
pub fn search_dirs(dirs: &[PathBuf], basename: &str, extension: &str) -> Option<PathBuf> {
    dirs.iter()
        .map(|d| d.join(format!("{basename}{extension}")))
        .find(|p| p.exists())
}

/// oslo's `_find_config_files`: the first hit for `<project><ext>`, then for `<prog><ext>`.
pub fn find_in_dirs(dirs: &[PathBuf], project: &str, prog: &str, extension: &str) -> Vec<PathBuf> {
    [project, prog]
        .into_iter()
        .filter(|name| !name.is_empty())
        .filter_map(|name| search_dirs(dirs, name, extension))
        .collect()
}

/// The default config files of `project` for program `prog` (oslo's `find_config_files`).
pub fn find_config_files(project: &str, prog: &str) -> Vec<PathBuf> {
    find_in_dirs(&config_search_dirs(Some(project)), project, prog, ".conf")
}

/// The default config directories of `project` for program `prog` (oslo's `find_config_dirs`).
pub fn find_config_dirs(project: &str, prog: &str) -> Vec<PathBuf> {
    find_in_dirs(&config_search_dirs(Some(project)), project, prog, ".conf.d")
}

/// The running program's file name (oslo's `prog`: basename of `argv[0]` without `.py`).
pub fn program_name() -> String {
    let name = std::env::args_os()
        .next()
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    name.strip_suffix(".py").map(str::to_string).unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        config: ConfigArgs,
        #[arg(long)]
        verbose: bool,
    }

    #[test]
    fn keeps_interleaved_command_line_order() {
        let cli = Cli::try_parse_from([
            "sahara-engine",
            "--config-file",
            "a.conf",
            "--config-dir",
            "d1",
            "--verbose",
            "--config-file=b.conf",
            "--config-dir",
            "d2",
        ])
        .unwrap();
        assert!(cli.verbose);
        assert_eq!(
            cli.config.sources(),
            [
                ConfigSource::File("a.conf".into()),
                ConfigSource::Dir("d1".into()),
                ConfigSource::File("b.conf".into()),
                ConfigSource::Dir("d2".into()),
            ]
        );
    }

    #[test]
    fn no_options_is_empty() {
        let cli = Cli::try_parse_from(["sahara-api"]).unwrap();
        assert!(cli.config.sources().is_empty());
        assert!(!cli.config.has_config_file());
    }

    #[test]
    fn default_sources_come_first_and_only_when_not_given() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("sahara.conf");
        std::fs::write(&a, "[DEFAULT]\n").unwrap();
        std::fs::create_dir(dir.path().join("sahara-api.conf.d")).unwrap();
        let dirs = vec![dir.path().join("missing"), dir.path().to_path_buf()];
        assert_eq!(find_in_dirs(&dirs, "sahara", "sahara-api", ".conf"), vec![a.clone()]);
        assert_eq!(
            find_in_dirs(&dirs, "sahara", "sahara-api", ".conf.d"),
            vec![dir.path().join("sahara-api.conf.d")]
        );
        assert_eq!(search_dirs(&dirs, "nothing", ".conf"), None);
    }

    #[test]
    fn search_dirs_follow_oslo_order() {
        let dirs = config_search_dirs(Some("sahara"));
        let n = dirs.len();
        assert!(n >= 4);
        assert!(dirs[0].ends_with(".sahara"));
        assert_eq!(dirs[2], PathBuf::from("/etc/sahara"));
        assert_eq!(dirs[3], PathBuf::from("/etc"));
    }

    #[test]
    fn explicit_file_disables_default_files() {
        let args = ConfigArgs::new(vec![ConfigSource::File("/nonexistent/x.conf".into())]);
        let sources = args.effective_sources("no-such-project-xyz", "no-such-prog-xyz");
        assert_eq!(sources, vec![ConfigSource::File("/nonexistent/x.conf".into())]);
    }
}
