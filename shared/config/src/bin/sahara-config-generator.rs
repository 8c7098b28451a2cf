//! `sahara-config-generator`: writes the sample `sahara.conf` (every option, commented out with
//! its default) to stdout or to `--output-file`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Generate the sample sahara.conf in oslo-config-generator's format.
#[derive(Parser, Debug)]
#[command(name = "sahara-config-generator", version)]
struct Cli {
    /// Path of the file to write to. Defaults to stdout.
    #[arg(long = "output-file", value_name = "PATH")]
    output_file: Option<PathBuf>,
    /// The maximum length of help lines.
    #[arg(long = "wrap-width", default_value_t = sahara_config::generator::WRAP_WIDTH)]
    wrap_width: usize,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let sample = sahara_config::generate_sample_with_width(cli.wrap_width);
    match cli.output_file {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, sample) {
                eprintln!("sahara-config-generator: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => print!("{sample}"),
    }
    ExitCode::SUCCESS
}
