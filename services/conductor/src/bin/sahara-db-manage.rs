//! `sahara-db-manage`: creates, upgrades or adopts Sahara's database (`--config-file F upgrade
//! head`, `current`, `version`, `check`, `check_migration`, `history`). Everything it does lives
//! in `sahara_schema::manage`; exit status 0 on success, 1 on failure (one line on stderr), 2
//! for a command line error.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = sahara_schema::manage::main_with(std::env::args_os(), &mut std::io::stdout(), &mut std::io::stderr());
    ExitCode::from(code)
}
