//! The committed `etc/sahara/sahara.conf.sample` must match what the registry generates.

use std::path::PathBuf;

const REGENERATE: &str = "cargo run -p sahara-config --bin sahara-config-generator -- \
                          --output-file etc/sahara/sahara.conf.sample";

fn sample_path() -> PathBuf {
    runtime_manifest_dir().join("../../etc/sahara/sahara.conf.sample")
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}: committed {x:?}, generated {y:?}", i + 1);
        }
    }
    format!(
        "committed file has {} lines, generated text has {}",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn committed_sample_is_up_to_date() {
    let generated = sahara_config::generate_sample();
    let committed = std::fs::read_to_string(sample_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "etc/sahara/sahara.conf.sample is stale ({}).\nRegenerate it from the repository root with:\n    {REGENERATE}",
        first_difference(&committed, &generated)
    );
}

#[test]
fn generator_binary_writes_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sahara.conf.sample");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sahara-config-generator"))
        .arg("--output-file")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), sahara_config::generate_sample());
}

#[test]
fn sample_parses_as_a_config_file_with_no_values_set() {
    let conf = sahara_config::ConfigOpts::from_ini_str(&sahara_config::generate_sample()).unwrap();
    assert!(conf.sections().values().all(|keys| keys.is_empty()));
}

/// The package directory, read when the test runs (cargo and nextest set it, and run tests
/// from there): a compile-time path would point into whichever clone built a cached binary.
fn runtime_manifest_dir() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory"))
}
