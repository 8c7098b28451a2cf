//! The committed `etc/sahara/policy.yaml.sample` must match what the generator produces.

use std::path::PathBuf;

const REGENERATE: &str = "cargo run -p sahara-policy --bin sahara-policy-sample -- \
                          --output-file etc/sahara/policy.yaml.sample";

/// The package directory, read when the test runs (cargo and nextest set it): a compile-time
/// path would point into whichever clone built a cached binary.
fn runtime_manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::current_dir().expect("current directory"))
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
    let generated = sahara_policy::generate_sample();
    let path = runtime_manifest_dir().join("../../etc/sahara/policy.yaml.sample");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "etc/sahara/policy.yaml.sample is stale ({}).\nRegenerate it from the repository root with:\n    {REGENERATE}",
        first_difference(&committed, &generated)
    );
}

#[test]
fn generator_binary_writes_the_same_text() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("policy.yaml.sample");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_sahara-policy-sample"))
        .arg("--output-file")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), sahara_policy::generate_sample());
}

#[test]
fn sample_parses_as_a_policy_file_with_no_rules() {
    let rules = sahara_policy::Rules::load(&sahara_policy::generate_sample(), None).unwrap();
    assert!(rules.is_empty());
}
