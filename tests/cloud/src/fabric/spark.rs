//! The Spark distribution of Spark images.
//!
//! A Sahara Spark image has Spark installed at `/opt/spark` (the plugin's default "Spark
//! home"), Java and a `python3`. The host has Java 17 and Python 3 under `/usr`, which every
//! server sees; Spark comes from the `pyspark` wheel (`tests/python/requirements-spark.txt`):
//! its package directory is a Spark distribution (`bin/spark-class`, `bin/spark-submit`,
//! `jars/`, `python/lib/pyspark.zip` and `py4j-*-src.zip`, `examples/src/main/python/`),
//! without `sbin/start-master.sh` and `start-worker.sh`, so daemons start with
//! `spark-class`. Because the distribution carries `python/lib/pyspark.zip`, the servers'
//! own `python3` runs PySpark drivers and workers: `PYSPARK_PYTHON` need not be set.
//!
//! A Spark server gets the distribution as an overlay at `/opt/spark` whose lower layer is
//! the package directory and whose upper layer is the server's own (`fs/spark/`): writes,
//! such as the plugin's `conf/spark-env.sh` or its `sudo chown -R $USER:$USER /opt/spark`,
//! stay in that server and never reach the host's virtualenv. `metacopy=on` makes that
//! `chown -R` copy metadata only (about 0.1 s, 7 MB) instead of the 500 MB of jars.

use std::path::{Path, PathBuf};

use super::{FabricError, Result};

/// Where Spark images have Spark (Sahara's Spark plugin's default "Spark home").
pub const SPARK_HOME: &str = "/opt/spark";

/// The environment variable naming the virtualenv that holds the `pyspark` wheel.
pub const SPARK_VENV_VAR: &str = "SAHARA_TESTCLOUD_SPARK_VENV";

/// The Spark distribution for Spark images: the `pyspark` package directory of the
/// virtualenv named by `SAHARA_TESTCLOUD_SPARK_VENV` (set by `scripts/test`), else of the
/// newest complete `venv-spark-*` in the cache directory, else `None`. A variable naming
/// something that holds no Spark distribution is an error.
pub fn find_spark_distribution() -> Result<Option<PathBuf>> {
    match std::env::var_os(SPARK_VENV_VAR) {
        Some(venv) if !venv.is_empty() => spark_distribution_in(Path::new(&venv))
            .map(Some)
            .map_err(|e| FabricError::Other(format!("{SPARK_VENV_VAR}: {e}"))),
        _ => Ok(crate::services::newest_complete_venv("spark").and_then(|venv| spark_distribution_in(&venv).ok())),
    }
}

/// The `pyspark` package directory of virtualenv `venv`
/// (`lib/python3.*/site-packages/pyspark`), checked to be a Spark distribution.
pub fn spark_distribution_in(venv: &Path) -> Result<PathBuf> {
    let lib = venv.join("lib");
    let mut found: Vec<PathBuf> = std::fs::read_dir(&lib)
        .map_err(|e| FabricError::Other(format!("{} is not a virtualenv: {e}", venv.display())))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("python"))
        .map(|e| e.path().join("site-packages/pyspark"))
        .filter(|p| p.is_dir())
        .collect();
    found.sort();
    let dist = found
        .pop()
        .ok_or_else(|| FabricError::Other(format!("no pyspark package in the virtualenv {}", venv.display())))?;
    check_distribution(&dist)?;
    Ok(dist)
}

/// A directory the fabric can show as `/opt/spark`: a Spark distribution, at a path that
/// overlayfs options can name.
pub(crate) fn check_distribution(dist: &Path) -> Result<()> {
    for needed in ["bin/spark-class", "bin/spark-submit", "jars", "python/lib/pyspark.zip"] {
        if !dist.join(needed).exists() {
            return Err(FabricError::Other(format!(
                "{} is not a Spark distribution: it has no {needed}",
                dist.display()
            )));
        }
    }
    let text = dist.to_string_lossy();
    if !dist.is_absolute() || text.contains([',', ':', '\\', '\n']) {
        return Err(FabricError::Other(format!(
            "the Spark distribution's path {text:?} must be absolute, without `,`, `:` or `\\` (overlayfs options)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_distribution_needs_spark_class_and_a_plain_path() {
        let dir = tempfile::tempdir().unwrap();
        let venv = dir.path().join("venv");
        let dist = venv.join("lib/python3.11/site-packages/pyspark");
        assert!(spark_distribution_in(&venv).is_err());
        for file in ["bin/spark-class", "bin/spark-submit", "python/lib/pyspark.zip"] {
            std::fs::create_dir_all(dist.join(file).parent().unwrap()).unwrap();
            std::fs::write(dist.join(file), "").unwrap();
        }
        let err = spark_distribution_in(&venv).unwrap_err().to_string();
        assert!(err.contains("no jars"), "{err}");
        std::fs::create_dir(dist.join("jars")).unwrap();
        assert_eq!(spark_distribution_in(&venv).unwrap(), dist);

        let odd = dir.path().join("a,b");
        std::fs::create_dir(&odd).unwrap();
        std::fs::rename(&venv, odd.join("venv")).unwrap();
        let err = spark_distribution_in(&odd.join("venv")).unwrap_err().to_string();
        assert!(err.contains("overlayfs"), "{err}");
    }
}
