//! `sahara-policy-sample`: writes the sample `policy.yaml` (every default rule, commented out,
//! with its description and operations) to stdout or to `--output-file`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Generate the sample policy.yaml in oslopolicy-sample-generator's format.
#[derive(Parser, Debug)]
#[command(name = "sahara-policy-sample", version)]
struct Cli {
    /// Path of the file to write to. Defaults to stdout.
    #[arg(long = "output-file", value_name = "PATH")]
    output_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let sample = sahara_policy::generate_sample();
    match cli.output_file {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, sample) {
                eprintln!("sahara-policy-sample: cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        }
        None => print!("{sample}"),
    }
    ExitCode::SUCCESS
}
