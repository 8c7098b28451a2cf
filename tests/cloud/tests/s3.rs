//! The test cloud's S3 against Sahara 19's own S3 code: `tests/python/sahara_s3.py` makes botocore clients as
//! `sahara.service.edp.s3_common` does (`region_name=None`, `verify=False`, the endpoint of the binary), puts
//! objects and reads job binaries with `get_raw_job_binary_data`; the simulator accepts botocore's signed
//! requests, refuses wrong keys as S3 does, and Sahara's answers are those the API test expects of ours.
//!
//! The virtualenv with Sahara 19 is `SAHARA_TEST_SAHARA_VENV`, else the newest complete
//! `/var/cache/sahara-rs/venv-sahara-*` (`scripts/test` makes it).

use sahara_testcloud::sim::api::s3;
use serde_json::{Value, json};
use std::path::PathBuf;

const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sahara_s3.py");

/// The Sahara venv's Python.
fn sahara_python() -> PathBuf {
    let venv = match std::env::var_os("SAHARA_TEST_SAHARA_VENV") {
        Some(v) => PathBuf::from(v),
        None => {
            let cache = std::env::var_os("SAHARA_CACHE_DIR").unwrap_or_else(|| "/var/cache/sahara-rs".into());
            let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(cache)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("venv-sahara-"))
                .filter_map(|e| {
                    let modified = std::fs::metadata(e.path().join(".complete"))
                        .and_then(|m| m.modified())
                        .ok()?;
                    Some((modified, e.path()))
                })
                .collect();
            found.sort();
            found
                .pop()
                .map(|(_, p)| p)
                .expect("no Sahara venv: set SAHARA_TEST_SAHARA_VENV or run scripts/test once")
        }
    };
    let python = venv.join("bin/python");
    assert!(python.exists(), "{} does not exist", python.display());
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sahara_s3_common_reads_job_binaries_from_the_simulator() {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, s3::routes::<()>()).await;
    });
    let endpoint = s3::endpoint(&format!("http://127.0.0.1:{port}"));
    let out = tokio::process::Command::new(sahara_python())
        .arg(DRIVER)
        .args([endpoint.as_str(), s3::ACCESS_KEY, s3::SECRET_KEY])
        .output()
        .await
        .expect("run the driver");
    server.abort();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "driver failed: {stderr}");
    let got: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "driver output ({e}): {}\n{stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    });
    let sahara = |code: &str, message: &str| json!({"code": code, "message": message});
    let get_failed = sahara("S3_CLIENT_EXCEPTION", "Couldn't get object from s3");
    assert_eq!(got["read"], json!({"data": got["script"]}), "{got}");
    assert_eq!(
        got["big"],
        sahara(
            "DATA_TOO_BIG",
            "Size of S3 object (2.0KB) is greater than maximum (1KB)"
        )
    );
    for what in ["missing", "no_bucket", "wrong_secret", "wrong_access"] {
        assert_eq!(got[what], get_failed, "{what}: {got}");
    }
    assert_eq!(
        got["no_scheme"],
        sahara("S3_CLIENT_EXCEPTION", "Couldn't create boto client")
    );
    assert_eq!(
        got["bucket_only"],
        sahara(
            "BAD_JOB_BINARY",
            "URL for binary in S3 must specify an object not a bucket"
        )
    );
    assert_eq!(
        got["codes"],
        json!({
            "get_missing": "NoSuchKey",
            "head_missing": "404",
            "get_no_bucket": "NoSuchBucket",
            "get_wrong_secret": "SignatureDoesNotMatch",
            "put_wrong_secret": "SignatureDoesNotMatch",
            "get_wrong_access": "InvalidAccessKeyId",
        })
    );
}
