//! Fidelity against real Sahara 19: every case (hand-written tricky bodies plus generated mutations of valid
//! bodies) goes through `tests/python/sahara_validate.py`, which runs Sahara's own `validate` decorator in a Flask
//! request, and through this crate; status, error name and message must agree. The schemas themselves are
//! compared with what the Python modules build.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use sahara_validation::{SchemaId, ValidationError, plugin_update_schema, validate_with};
use serde_json::{Value, json};

const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/sahara_validate.py");
/// The plugin versions the driver builds its plugin-labels schema for.
const PLUGIN_VERSIONS: &[&str] = &["2.7.1"];
const PLUGIN_UPDATE: &str = "PLUGIN_UPDATE_SCHEMA";

/// The Sahara venv: `SAHARA_TEST_SAHARA_VENV`, else the newest complete `/var/cache/sahara-rs/venv-sahara-*`.
fn sahara_python() -> PathBuf {
    let venv = match std::env::var_os("SAHARA_TEST_SAHARA_VENV") {
        Some(v) => PathBuf::from(v),
        None => {
            let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir("/var/cache/sahara-rs")
                .into_iter()
                .flatten()
                .flatten()
                .filter(|e| e.file_name().to_string_lossy().starts_with("venv-sahara-"))
                .filter_map(|e| {
                    let done = e.path().join(".complete");
                    let modified = std::fs::metadata(&done).and_then(|m| m.modified()).ok()?;
                    Some((modified, e.path()))
                })
                .collect();
            found.sort();
            match found.pop() {
                Some((_, path)) => path,
                None => panic!(
                    "no Sahara venv: set SAHARA_TEST_SAHARA_VENV or create a complete \
                     /var/cache/sahara-rs/venv-sahara-* (scripts/test does); the fidelity test needs real Sahara"
                ),
            }
        }
    };
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "{} does not exist (SAHARA_TEST_SAHARA_VENV={})",
        python.display(),
        venv.display()
    );
    python
}

fn schema_for(name: &str) -> Value {
    if name == PLUGIN_UPDATE {
        return plugin_update_schema(PLUGIN_VERSIONS);
    }
    SchemaId::from_name(name)
        .unwrap_or_else(|| panic!("unknown schema {name}"))
        .schema()
        .clone()
}

#[test]
fn schemas_match_python() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let status = Command::new(sahara_python())
        .arg(DRIVER)
        .arg("dump-schemas")
        .arg(dir.path())
        .stderr(Stdio::null())
        .status()?;
    assert!(status.success(), "driver failed: {status}");
    let mut names: Vec<&str> = SchemaId::ALL.iter().map(|id| id.name()).collect();
    names.push(PLUGIN_UPDATE);
    let dumped = std::fs::read_dir(dir.path())?.count();
    assert_eq!(
        dumped,
        names.len(),
        "Python has schemas this crate lacks (or the reverse)"
    );
    for name in names {
        let text = std::fs::read_to_string(dir.path().join(format!("{name}.json")))?;
        let python: Value = serde_json::from_str(&text)?;
        // Compare serialized forms: key order decides error order, so it must match too.
        assert_eq!(
            serde_json::to_string(&python)?,
            serde_json::to_string(&schema_for(name))?,
            "schema {name} differs from Python's"
        );
    }
    Ok(())
}

/// What a client sees: (status, error_name, message), (200, "", "") when the body passes.
type Outcome = (i64, String, String);

fn rust_outcome(schema: &str, body: &str) -> Outcome {
    let value: Value = if body.is_empty() {
        json!({})
    } else {
        serde_json::from_str(body).expect("case body is JSON")
    };
    match validate_with(&schema_for(schema), &value) {
        Ok(()) => (200, String::new(), String::new()),
        Err(e @ ValidationError::Internal(_)) => (500, e.error_name().into(), e.message()),
        Err(e) => (i64::from(e.error_code()), e.error_name().into(), e.message()),
    }
}

fn python_outcomes(cases: &[(String, String)]) -> Result<Vec<Outcome>> {
    let docs: Vec<(Value, String)> = cases
        .iter()
        .map(|(schema, body)| (json!({"schema": schema, "body": body}), body.clone()))
        .collect();
    python_outcomes_for(&docs)
}

/// Run the driver on `({"schema"|"schema_doc": ..., "body": ...}, body)` cases.
fn python_outcomes_for(cases: &[(Value, String)]) -> Result<Vec<Outcome>> {
    let mut child = Command::new(sahara_python())
        .arg(DRIVER)
        .arg("check")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut input = String::new();
    for (case, _) in cases {
        input.push_str(&serde_json::to_string(case)?);
        input.push('\n');
    }
    let mut stdin = child.stdin.take().context("stdin")?;
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output()?;
    writer.join().expect("writer thread")?;
    if !output.status.success() {
        bail!("driver failed: {}", output.status);
    }
    let mut outcomes = Vec::new();
    for line in String::from_utf8(output.stdout)?.lines() {
        let v: Value = serde_json::from_str(line)?;
        outcomes.push((
            v["status"].as_i64().context("status")?,
            v["name"].as_str().unwrap_or_default().to_string(),
            v["message"].as_str().unwrap_or_default().to_string(),
        ));
    }
    if outcomes.len() != cases.len() {
        bail!("driver answered {} of {} cases", outcomes.len(), cases.len());
    }
    Ok(outcomes)
}

const U1: &str = "6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11";
const U2: &str = "0a1b2c3d-4e5f-4061-8293-a4b5c6d7e8f9";

fn valid_bodies() -> Vec<(&'static str, Value)> {
    let share = json!([{"id": U1, "path": "/mnt/share", "access_level": "ro"}]);
    let ngt = json!({
        "name": "ng-1", "flavor_id": "42", "plugin_name": "vanilla", "hadoop_version": "2.7.1",
        "node_processes": ["namenode", "datanode"], "image_id": U1,
        "node_configs": {"HDFS": {"dfs.replication": 2, "x": "y"}}, "volumes_per_node": 2, "volumes_size": 10,
        "volume_mount_prefix": "/volumes/disk", "security_groups": ["default"], "auto_security_group": true,
        "is_public": false, "shares": share, "description": "d", "availability_zone": "nova", "use_autoconfig": true
    });
    let mut ngt2 = ngt.clone();
    let o = ngt2.as_object_mut().unwrap();
    o.shift_remove("hadoop_version");
    o.insert("plugin_version".into(), json!("2.7.1"));
    o.insert("boot_from_volume".into(), json!(true));
    o.insert("boot_volume_type".into(), json!("ssd"));
    let ct = json!({
        "name": "ct-1", "plugin_name": "vanilla", "hadoop_version": "2.7.1", "default_image_id": U1,
        "cluster_configs": {"general": {"Enable Swift": true}},
        "node_groups": [
            {"name": "master", "node_group_template_id": U2, "count": 1},
            {"name": "worker", "flavor_id": "2", "node_processes": ["datanode"], "count": 3,
             "node_configs": {"HDFS": {"a": 1}}, "volumes_per_node": 1}
        ],
        "anti_affinity": ["datanode"], "neutron_management_network": U2, "domain_name": "example.org.",
        "is_public": false, "shares": share
    });
    let mut ct2 = ct.clone();
    let o = ct2.as_object_mut().unwrap();
    o.shift_remove("hadoop_version");
    o.insert("plugin_version".into(), json!("2.7.1"));
    let mut cluster = ct.clone();
    let o = cluster.as_object_mut().unwrap();
    o.insert("user_keypair_id".into(), json!("my key"));
    o.insert("cluster_template_id".into(), json!(U1));
    o.insert("is_transient".into(), json!(false));
    let mut cluster2 = ct2.clone();
    let o = cluster2.as_object_mut().unwrap();
    o.insert("user_keypair_id".into(), json!("k"));
    o.insert("count".into(), json!(2));
    let mut multiple = cluster.clone();
    multiple.as_object_mut().unwrap().insert("count".into(), json!(3));
    let update = json!({"name": "c-2", "description": "x", "is_public": true, "verification": {"status": "START"},
                        "shares": share});
    let mut update2 = update.clone();
    update2
        .as_object_mut()
        .unwrap()
        .insert("update_keypair".into(), json!(true));
    let scaling = json!({
        "resize_node_groups": [{"name": "worker", "count": 4}],
        "add_node_groups": [{"name": "new", "flavor_id": "3", "node_processes": ["datanode"], "count": 1}]
    });
    let scaling2 = json!({
        "resize_node_groups": [{"name": "worker", "count": 1, "instances": ["i-1", "i-2"]}],
        "add_node_groups": [{"name": "new", "node_group_template_id": U1, "count": 1}]
    });
    let ds = json!({"name": "ds-1", "type": "swift", "url": "swift://c/o",
                    "credentials": {"user": "u", "password": "p"}, "description": "d", "is_public": false});
    let jb = json!({"name": "jb.jar", "url": format!("internal-db://{U1}"), "description": "d",
                    "extra": {"user": "u", "password": "p"}, "is_protected": false});
    let job = json!({"name": "job-1", "type": "Pig", "mains": [U1], "libs": [U2], "description": "d",
                     "interface": [{"name": "arg", "mapping_type": "args", "location": "1", "value_type": "string",
                                    "required": false, "default": "x"}], "streaming": false});
    let exec = json!({"cluster_id": U1, "input_id": U1, "output_id": U2,
                      "job_configs": {"configs": {"mapred.x": "1", "n": 2}, "params": {"p": "v"}, "args": ["a"],
                                      "job_execution_info": {"k": "v"}},
                      "interface": {"arg": "v"}, "is_public": false});
    let mut exec2 = exec.clone();
    exec2
        .as_object_mut()
        .unwrap()
        .insert("job_template_id".into(), json!(U2));
    vec![
        ("NODE_GROUP_TEMPLATE_SCHEMA", ngt.clone()),
        ("NODE_GROUP_TEMPLATE_SCHEMA_V2", ngt2.clone()),
        ("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", ngt),
        ("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA_V2", ngt2),
        ("CLUSTER_TEMPLATE_SCHEMA", ct.clone()),
        ("CLUSTER_TEMPLATE_SCHEMA_V2", ct2.clone()),
        ("CLUSTER_TEMPLATE_UPDATE_SCHEMA", ct),
        ("CLUSTER_TEMPLATE_UPDATE_SCHEMA_V2", ct2),
        ("CLUSTER_SCHEMA", cluster),
        ("CLUSTER_SCHEMA_V2", cluster2),
        ("MULTIPLE_CLUSTER_SCHEMA", multiple),
        ("CLUSTER_UPDATE_SCHEMA", update),
        ("CLUSTER_UPDATE_SCHEMA_V2", update2),
        ("CLUSTER_SCALING_SCHEMA", scaling),
        ("CLUSTER_SCALING_SCHEMA_V2", scaling2),
        ("CLUSTER_DELETE_SCHEMA_V2", json!({"force": true})),
        ("DATA_SOURCE_SCHEMA", ds.clone()),
        ("DATA_SOURCE_UPDATE_SCHEMA", ds),
        ("JOB_BINARY_SCHEMA", jb.clone()),
        ("JOB_BINARY_UPDATE_SCHEMA", jb),
        (
            "JOB_BINARY_INTERNAL_UPDATE_SCHEMA",
            json!({"name": "x.pig", "is_public": true}),
        ),
        ("JOB_SCHEMA", job),
        (
            "JOB_UPDATE_SCHEMA",
            json!({"name": "j2", "description": null, "is_protected": true}),
        ),
        ("JOB_EXEC_SCHEMA", exec),
        ("JOB_EXEC_SCHEMA_V2", exec2),
        (
            "JOB_EXEC_UPDATE_SCHEMA",
            json!({"is_public": true, "info": {"status": "suspend"}}),
        ),
        (
            "IMAGE_REGISTER_SCHEMA",
            json!({"username": "ubuntu", "description": "d"}),
        ),
        ("IMAGE_TAGS_SCHEMA", json!({"tags": ["vanilla", "2.7.1"]})),
        (
            PLUGIN_UPDATE,
            json!({"plugin_labels": {"enabled": {"status": true}},
                   "version_labels": {"2.7.1": {"hidden": {"status": false}}}}),
        ),
    ]
}

/// Values that stress types, formats, reprs and lengths.
fn tricky_values() -> Vec<Value> {
    let mut v = vec![
        json!(true),
        json!(false),
        json!(null),
        json!(0),
        json!(1),
        json!(-1),
        json!(1.0),
        json!(2.5),
        json!(1e20),
        json!(0.0001),
        json!(1e-7),
        json!(-0.5),
        json!(18446744073709551615u64),
        json!(i64::MIN),
        json!(""),
        json!("x y"),
        json!("abc"),
        json!("12"),
        json!(" 12 "),
        json!("1_000"),
        json!("\u{661}\u{662}"),
        json!("0x1f"),
        json!("12.0"),
        json!(U1),
        json!(format!("{{{U1}}}")),
        json!(format!("urn:uuid:{U2}")),
        json!(U1.to_uppercase()),
        json!(&U1[1..]),
        json!([]),
        json!({}),
        json!(["a"]),
        json!(["a", "a"]),
        json!([1, true]),
        json!({"a": {"b": 1}}),
        json!({"a": {"b": 1.5}}),
        json!({"a": 1}),
        json!({"a": {"b": null}}),
        json!({"a": {"b": true}}),
        json!("x".repeat(50)),
        json!("x".repeat(51)),
        json!("é".repeat(51)),
        json!("ab\n"),
        json!("a\nb"),
        json!("it's"),
        json!("say \"hi\""),
        json!("both ' and \""),
        json!("back\\slash"),
        json!("tab\there"),
        json!("\u{a0}nbsp"),
        json!("zero\u{200b}width"),
        json!("日本"),
        json!("emoji 😀"),
        json!("\u{7f}del"),
        json!("a.b"),
        json!("a..b"),
        json!("-a"),
        json!("a-"),
        json!("1a"),
        json!("A_b"),
        json!("/mnt/x"),
        json!("/mnt/"),
        json!("mnt"),
        json!("/a/b-c_d"),
        json!("swift://c/o"),
        json!("rw"),
        json!("START"),
        json!("suspend"),
        json!("cancel"),
        json!("Java"),
        json!("hdfs"),
        json!(["namenode", 1]),
        json!([{"name": "x"}]),
        json!({"status": true}),
        json!({"enabled": {"status": 1}}),
        json!([U1, U1]),
        json!([{"id": U1}]),
        json!([{"id": "nope", "access_level": "rx", "x": 1}]),
    ];
    v.push(json!([{"name": "w", "count": -1}]));
    v.push(json!([{"name": "w", "flavor_id": true, "node_processes": [], "count": "3"}]));
    v
}

/// A small deterministic PRNG (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// JSON pointers of every object member and array item down to depth 4.
fn slots(value: &Value, prefix: &str, depth: usize, out: &mut Vec<String>) {
    if depth == 0 {
        return;
    }
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let p = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                slots(v, &p, depth - 1, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let p = format!("{prefix}/{i}");
                out.push(p.clone());
                slots(v, &p, depth - 1, out);
            }
        }
        _ => {}
    }
}

fn mutate(body: &mut Value, rng: &mut Rng, pool: &[Value]) {
    let mut all = Vec::new();
    slots(body, "", 4, &mut all);
    if all.is_empty() || rng.below(20) == 0 {
        *body = pool[rng.below(pool.len())].clone();
        return;
    }
    let slot = &all[rng.below(all.len())];
    let (parent, last) = slot.rsplit_once('/').unwrap();
    let Some(container) = body.pointer_mut(parent) else {
        return;
    };
    let value = pool[rng.below(pool.len())].clone();
    match (container, rng.below(4)) {
        (Value::Object(map), 0) => {
            map.shift_remove(&last.replace("~1", "/").replace("~0", "~"));
        }
        (Value::Object(map), 1) => {
            let extra = ["foo", "zz", "Name", "hadoop_version", "plugin_version", "count", "id"][rng.below(7)];
            map.insert(extra.to_string(), value);
        }
        (Value::Array(items), 0) if items.len() > 1 => {
            items.remove(last.parse::<usize>().unwrap());
        }
        (Value::Array(items), 1) => items.push(value),
        (container, _) => {
            if let Some(target) = container.pointer_mut(&format!("/{last}")) {
                *target = value;
            }
        }
    }
}

fn hand_written() -> Vec<(&'static str, String)> {
    let s = |schema: &'static str, body: &str| (schema, body.to_string());
    let u = |schema: &'static str, body: String| (schema, body);
    vec![
        s("NODE_GROUP_TEMPLATE_SCHEMA", ""),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "{}"),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "[]"),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "[1, 2]"),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "\"text\""),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "null"),
        s("NODE_GROUP_TEMPLATE_SCHEMA", "12"),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "a b", "flavor_id": true, "foo": 1, "bar": 2}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "ng", "flavor_id": 1.0, "plugin_name": 1, "hadoop_version": false, "node_processes": []}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "ng", "flavor_id": " 7 ", "plugin_name": "p", "hadoop_version": "v", "node_processes": ["a"],
                "volumes_per_node": true, "volumes_size": 0, "volume_mount_prefix": "/mnt/", "image_id": "nope",
                "node_configs": {"HDFS": {"a": 1.5}}, "security_groups": "default", "is_public": 1}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "ng", "flavor_id": "1_0", "plugin_name": "p", "hadoop_version": "v", "node_processes": ["a"],
                "volumes_per_node": -1, "volumes_size": 1.5, "node_configs": {"HDFS": 1}, "shares": [{}]}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "ng", "flavor_id": {}, "plugin_name": "p", "hadoop_version": "v", "node_processes": ["a"],
                "volumes_per_node": 1e2, "node_configs": {"HDFS": {"t": true, "n": null}}}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA",
            r#"{"name": "ng", "name": "dup ok", "flavor_id": "x", "plugin_name": "p", "hadoop_version": "v",
                "node_processes": ["a", 2, null]}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_SCHEMA_V2",
            r#"{"name": "ng", "hadoop_version": "2", "boot_from_volume": "yes"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"boot_from_volume": true, "volumes_size": null}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA_V2",
            r#"{"boot_volume_type": null, "flavor_id": "abc"}"#,
        ),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": "a.b-c.d1"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": "a.-b"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": ""}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": "ab\n"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": "ab\n\n"}"#),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"volume_mount_prefix": "/a/b\n"}"#,
        ),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "\u0661\u0662"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "12 "}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "1__2"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "-0"}"#),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"flavor_id": 18446744073709551615}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"flavor_id": "{6B0F5E5A-2B8E-4A43-9C52-7D7E1A0B3C11}"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"flavor_id": "6b0f5e5a2b8e4a439c527d7e1a0b3c11"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"image_id": "uuid:6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c1"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"name": "ééééééééééééééééééééééééééééééééééééééééééééééééééé"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"description": "\u00a0\u200b\ud83d\ude00'\"", "is_public": 0}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"shares": [{"id": "x", "access_level": "rx", "path": 1}, 3]}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"shares": [{"access_level": null}]}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"description": 1.5e300, "availability_zone": -0.0}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"description": 123456789012345678, "volume_type": -12.5e-3}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"description": ["\u0001\u0085\u00ad\u2028\ud83d\ude00\udb40\udc01\u0378\ue000", "\u001f"]}"#,
        ),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"name": "a\u00e9"}"#),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"flavor_id": "\u3000 7\u3000"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"flavor_id": "\u0967\u0968_\u0969"}"#,
        ),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "\u00b2"}"#),
        s("NODE_GROUP_TEMPLATE_UPDATE_SCHEMA", r#"{"flavor_id": "\u001c5\u001f"}"#),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"image_id": " 6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"image_id": "{{6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11}"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"image_id": "6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11-"}"#,
        ),
        s(
            "NODE_GROUP_TEMPLATE_UPDATE_SCHEMA",
            r#"{"image_id": "uurn:uid:6b0f5e5a2b8e4a439c527d7e1a0b3c11"}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA",
            r#"{"name": "ct", "plugin_name": "p", "hadoop_version": "v", "node_groups": [{}]}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA",
            r#"{"name": "ct", "plugin_name": "p", "hadoop_version": "v",
                "node_groups": [{"name": "a", "count": 1, "node_group_template_id": "6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11",
                                 "flavor_id": "1"},
                                {"name": "b b", "count": 1, "flavor_id": "1", "node_processes": ["x"]},
                                {"name": "c", "count": 1, "flavor_id": "1", "node_processes": ["x"], "plugin_name": "p"},
                                null]}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA",
            r#"{"name": "ct", "plugin_name": "p", "hadoop_version": "v", "node_groups": {}}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA",
            r#"{"name": "ct", "plugin_name": "p", "hadoop_version": "v", "cluster_configs": {"general": []},
                "anti_affinity": [1], "neutron_management_network": "net", "domain_name": 5}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA_V2",
            r#"{"name": "ct", "plugin_name": "p", "hadoop_version": "v"}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_SCHEMA_V2",
            r#"{"name": "ct", "plugin_name": "p", "plugin_version": "v",
                "node_groups": [{"name": "a", "count": 1, "flavor_id": "1", "node_processes": ["x"],
                                 "boot_from_volume": true}]}"#,
        ),
        s(
            "CLUSTER_TEMPLATE_UPDATE_SCHEMA",
            r#"{"node_groups": null, "cluster_configs": null, "default_image_id": null}"#,
        ),
        s(
            "CLUSTER_SCHEMA",
            r#"{"name": "c", "plugin_name": "p", "hadoop_version": "v", "user_keypair_id": "bad/key"}"#,
        ),
        s(
            "CLUSTER_SCHEMA",
            r#"{"name": "c", "plugin_name": "p", "hadoop_version": "v", "count": 2}"#,
        ),
        s(
            "CLUSTER_SCHEMA",
            r#"{"name": "c", "plugin_name": "p", "hadoop_version": "v", "is_transient": null}"#,
        ),
        s(
            "CLUSTER_SCHEMA",
            r#"{"name": "c", "plugin_name": "p", "hadoop_version": "v", "user_keypair_id": ""}"#,
        ),
        s(
            "CLUSTER_SCHEMA_V2",
            r#"{"name": "c", "plugin_name": "p", "plugin_version": "v", "count": true}"#,
        ),
        s(
            "CLUSTER_SCHEMA_V2",
            r#"{"name": "c", "plugin_name": "p", "plugin_version": "v", "count": 2.0}"#,
        ),
        s(
            "MULTIPLE_CLUSTER_SCHEMA",
            r#"{"name": "c", "plugin_name": "p", "hadoop_version": "v"}"#,
        ),
        s(
            "CLUSTER_UPDATE_SCHEMA",
            r#"{"verification": {"status": "STOP", "x": 1}}"#,
        ),
        s("CLUSTER_UPDATE_SCHEMA", r#"{"verification": {"status": true}}"#),
        s("CLUSTER_UPDATE_SCHEMA", r#"{"verification": []}"#),
        s("CLUSTER_UPDATE_SCHEMA", r#"{"update_keypair": true, "name": null}"#),
        s("CLUSTER_UPDATE_SCHEMA_V2", r#"{"update_keypair": "yes"}"#),
        s("CLUSTER_SCALING_SCHEMA", "{}"),
        s("CLUSTER_SCALING_SCHEMA", r#"{"resize_node_groups": []}"#),
        s(
            "CLUSTER_SCALING_SCHEMA",
            r#"{"resize_node_groups": [{"name": "w"}, {"count": -1, "x": 1}]}"#,
        ),
        s(
            "CLUSTER_SCALING_SCHEMA",
            r#"{"resize_node_groups": [{"name": "w", "count": 1, "instances": ["a"]}]}"#,
        ),
        s(
            "CLUSTER_SCALING_SCHEMA_V2",
            r#"{"resize_node_groups": [{"name": "w", "count": 1, "instances": [1]}]}"#,
        ),
        s(
            "CLUSTER_SCALING_SCHEMA",
            r#"{"add_node_groups": [{"name": "n"}], "foo": 1}"#,
        ),
        s("CLUSTER_SCALING_SCHEMA", r#"{"add_node_groups": null}"#),
        s("CLUSTER_DELETE_SCHEMA_V2", r#"{"force": "true"}"#),
        s("CLUSTER_DELETE_SCHEMA_V2", ""),
        s(
            "DATA_SOURCE_SCHEMA",
            r#"{"name": "-ds", "type": "ftp", "url": 1, "credentials": []}"#,
        ),
        s(
            "DATA_SOURCE_SCHEMA",
            r#"{"name": "ds.1_x", "type": "hdfs", "url": "hdfs://x", "description": null}"#,
        ),
        s("DATA_SOURCE_SCHEMA", r#"{"name": "ds", "type": 1, "url": "x"}"#),
        s("DATA_SOURCE_SCHEMA", r#"{"name": "ds", "type": true, "url": "x"}"#),
        s("DATA_SOURCE_UPDATE_SCHEMA", r#"{"type": "S3"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "noscheme"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "bad name", "url": "x", "foo": 1}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "hdfs://x/y"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "1abc://x/y"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "Swift://c/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift:///o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://@/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://u:p@host:80/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": " swift://c/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swi\nft://c/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://[::1]/o"}"#),
        s(
            "JOB_BINARY_SCHEMA",
            r#"{"name": "a", "url": "swift://[fe80::1%eth0]/o"}"#,
        ),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://[1.2.3.4]/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://[x/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://x]/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://[v1.x]/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://[v.x]/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://\u2100/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "swift://é/o"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "s3://bucket/key"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "s3:/bucket/key"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "s3://:80/key"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "internal-db://nope"}"#),
        u(
            "JOB_BINARY_SCHEMA",
            format!(r#"{{"name": "a", "url": "internal-db://{{{U1}}}"}}"#),
        ),
        u(
            "JOB_BINARY_SCHEMA",
            format!(r#"{{"name": "a", "url": "internal-db://{U1}/extra?q"}}"#),
        ),
        u(
            "JOB_BINARY_SCHEMA",
            format!(r#"{{"name": "a", "url": "manila://{U1}/path/f.jar"}}"#),
        ),
        u(
            "JOB_BINARY_SCHEMA",
            format!(r#"{{"name": "a", "url": "manila://{U1}"}}"#),
        ),
        u(
            "JOB_BINARY_SCHEMA",
            format!(r#"{{"name": "a", "url": "MANILA://{U1}/p"}}"#),
        ),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": "manila://x/p"}"#),
        s("JOB_BINARY_SCHEMA", r#"{"name": "a", "url": 5, "extra": {"a": 1.5}}"#),
        s(
            "JOB_BINARY_SCHEMA",
            r#"{"name": "a", "url": "swift://c/o", "extra": {"a": {"b": 1}}}"#,
        ),
        s(
            "JOB_BINARY_SCHEMA",
            r#"{"name": "a", "url": "swift://c/o", "extra": {"a": true, "b": -3}}"#,
        ),
        s("JOB_BINARY_UPDATE_SCHEMA", r#"{"url": ":nothing"}"#),
        s(
            "JOB_BINARY_INTERNAL_UPDATE_SCHEMA",
            r#"{"name": "a b", "is_public": "no", "url": "x"}"#,
        ),
        s("JOB_SCHEMA", r#"{"name": "j", "type": "pig"}"#),
        s(
            "JOB_SCHEMA",
            r#"{"name": "j", "type": "Java", "mains": ["a", "a"], "libs": [""], "streaming": 1}"#,
        ),
        s(
            "JOB_SCHEMA",
            r#"{"name": "j", "type": "Spark", "interface": [{"name": "a", "mapping_type": "args", "location": "1",
                "required": true}, {"name": "a", "mapping_type": "args", "location": "1", "required": true}]}"#,
        ),
        s(
            "JOB_SCHEMA",
            r#"{"name": "j", "type": "Spark", "interface": [{"name": "", "mapping_type": "env", "location": "",
                "value_type": "float", "required": "no", "default": 1, "x": 2}, {}]}"#,
        ),
        s(
            "JOB_SCHEMA",
            r#"{"name": "j", "type": "Hive", "interface": null, "mains": [1, true, 1]}"#,
        ),
        s(
            "JOB_SCHEMA",
            r#"{"name": "j", "type": "Hive", "mains": [[1], [true]], "libs": [{"a": 1}, {"a": 1.0}]}"#,
        ),
        s("JOB_UPDATE_SCHEMA", r#"{"type": "Pig", "description": 1}"#),
        s(
            "JOB_EXEC_SCHEMA",
            r#"{"input_id": 1, "job_configs": {"configs": [], "args": "a", "x": 1}}"#,
        ),
        s(
            "JOB_EXEC_SCHEMA",
            r#"{"cluster_id": "c", "job_configs": {"configs": {"a": null}, "args": [1]}}"#,
        ),
        s(
            "JOB_EXEC_SCHEMA",
            r#"{"cluster_id": "6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11", "interface": {"a": 2.0}}"#,
        ),
        s(
            "JOB_EXEC_SCHEMA_V2",
            r#"{"cluster_id": "6b0f5e5a-2b8e-4a43-9c52-7d7e1a0b3c11"}"#,
        ),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": {"status": "resume"}}"#),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": {"status": "suspend", "x": "y"}}"#),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": {"status": 1}}"#),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": {"status": null}}"#),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": {"status": true}}"#),
        s("JOB_EXEC_UPDATE_SCHEMA", r#"{"info": []}"#),
        s("IMAGE_REGISTER_SCHEMA", r#"{"description": 1}"#),
        s(
            "IMAGE_TAGS_SCHEMA",
            r#"{"tags": ["a.b", "a..b", "-a", "a_b", "a_", "_", 1, "ok\n", "x.y.z-1"]}"#,
        ),
        s("IMAGE_TAGS_SCHEMA", r#"{"tags": "a"}"#),
        s(
            PLUGIN_UPDATE,
            r#"{"plugin_labels": {"enabled": {"status": 1}, "new": {}}}"#,
        ),
        s(
            PLUGIN_UPDATE,
            r#"{"version_labels": {"9.9": {}, "2.7.1": {"stable": {"status": "x", "y": 1}}}}"#,
        ),
        s(
            PLUGIN_UPDATE,
            r#"{"plugin_labels": [], "version_labels": null, "x": 1}"#,
        ),
    ]
}

/// Whether a case body is something this crate can represent exactly (see the crate docs' deviations).
fn representable(body: &str) -> bool {
    body.is_empty() || serde_json::from_str::<Value>(body).is_ok()
}

#[test]
fn errors_match_python() -> Result<()> {
    let mut cases: Vec<(String, String)> = hand_written()
        .into_iter()
        .map(|(schema, body)| (schema.to_string(), body))
        .collect();
    let pool = tricky_values();
    let mut rng = Rng(0x5a4a_7a11_dead_beef);
    for (schema, body) in valid_bodies() {
        cases.push((schema.to_string(), serde_json::to_string(&body)?));
        for _ in 0..20 {
            let mut mutated = body.clone();
            for _ in 0..=rng.below(3) {
                mutate(&mut mutated, &mut rng, &pool);
            }
            cases.push((schema.to_string(), serde_json::to_string(&mutated)?));
        }
    }
    assert!(cases.iter().all(|(_, body)| representable(body)));
    let python = python_outcomes(&cases)?;
    let mut failures = Vec::new();
    let mut invalid = 0;
    for ((schema, body), py) in cases.iter().zip(&python) {
        let ours = rust_outcome(schema, body);
        if ours.0 != 200 {
            invalid += 1;
        }
        if &ours != py {
            failures.push(format!("{schema} {body}\n  python: {py:?}\n  rust:   {ours:?}"));
        }
    }
    let mut kinds = std::collections::BTreeMap::new();
    for (status, name, _) in &python {
        *kinds.entry(format!("{status} {name}")).or_insert(0) += 1;
    }
    eprintln!(
        "{} cases ({invalid} refused: {kinds:?}), {} disagree",
        cases.len(),
        failures.len()
    );
    if std::env::var_os("SAHARA_VALIDATION_SHOW").is_some() {
        for ((schema, body), py) in cases.iter().zip(&python) {
            eprintln!("{schema} {body}\n  -> {py:?}");
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    assert!(invalid > cases.len() / 2, "the table should mostly exercise failures");
    Ok(())
}

#[test]
fn driver_exists() {
    assert!(Path::new(DRIVER).exists());
}

/// Keywords and message forms no Sahara schema reaches, checked on ad-hoc schemas through the same call path.
#[test]
fn generic_keywords_match_python() -> Result<()> {
    let table: Vec<(Value, &str)> = vec![
        (json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]}), "5"),
        (
            json!({"oneOf": [{"type": "integer"}, {"minimum": 0}, {"type": "number"}]}),
            "5",
        ),
        (json!({"oneOf": [{"type": "integer"}, {"minimum": 0}]}), "-1.5"),
        (json!({"not": {"type": "string"}}), r#""x""#),
        (json!({"allOf": [{"minimum": 3}, {"maximum": 1}]}), "2"),
        (json!({"maximum": 3, "exclusiveMaximum": true}), "3"),
        (json!({"minimum": 3, "exclusiveMinimum": true}), "3.0"),
        (json!({"minimum": 3}), "true"),
        (json!({"maxItems": 1, "minItems": 3}), "[1, 2]"),
        (json!({"minProperties": 2, "maxProperties": 0}), r#"{"a": 1}"#),
        (json!({"pattern": "^a+b$"}), r#""xaab""#),
        (json!({"pattern": "a+b"}), r#""xaab""#),
        // One failing extra only: with several, Python's order is that of a `set` (random per process).
        (
            json!({"additionalProperties": {"type": "string"}}),
            r#"{"b": 1, "c": "x"}"#,
        ),
        (
            json!({"patternProperties": {"^x": {}}, "additionalProperties": false}),
            r#"{"xa": 1, "b": 1, "a": 1}"#,
        ),
        (
            json!({"patternProperties": {"^x": {}, "^y": {}}, "additionalProperties": false}),
            r#"{"b": 1}"#,
        ),
        (
            json!({"items": [{"type": "string"}, {"type": "integer"}]}),
            r#"[1, "a", 3]"#,
        ),
        (json!({"enum": [1]}), "true"),
        (json!({"enum": [true]}), "1"),
        (json!({"enum": [1]}), "1.0"),
        (json!({"enum": [[1]]}), "[true]"),
        (json!({"enum": [{"a": 1}]}), r#"{"a": 1.0}"#),
        (json!({"enum": [0, "a"]}), "false"),
        (json!({"uniqueItems": true}), "[1, 1.0]"),
        (json!({"uniqueItems": true}), "[1, true]"),
        (json!({"uniqueItems": true}), r#"[{"a": 1}, {"a": true}]"#),
        (json!({"uniqueItems": true}), r#"[{"a": 1}, {"a": 1.0}]"#),
        (json!({"uniqueItems": true}), "[[1], [true], [1.0]]"),
        (json!({"uniqueItems": 1}), r#"["a", "b", "a"]"#),
        (json!({"uniqueItems": true}), "[[1, 2], [1], [true, 2], [1.0, 2]]"),
        (json!({"uniqueItems": true}), r#"[[1], ["a"], [1]]"#),
        (json!({"uniqueItems": true}), r#"[3, 1, 2, 1.0, 5, 4]"#),
        (json!({"uniqueItems": true}), r#"[[3], [2], [1], [true], [1.0]]"#),
        (json!({"uniqueItems": true}), r#"[[false], [0.0], [0]]"#),
        (json!({"uniqueItems": true}), r#"["b", 1, "b"]"#),
        (json!({"uniqueItems": true}), r#"[null, null]"#),
        (json!({"uniqueItems": true}), r#"[[null], [1], [null]]"#),
        (json!({"uniqueItems": true}), r#"[[[1]], [[true]], [[1.0]]]"#),
        (json!({"type": "number"}), "true"),
        (json!({"type": ["integer", "boolean"]}), "1.5"),
        (json!({"properties": {"a": false}}), r#"{"a": 1}"#),
        (json!({"type": "any"}), "1"),
        (json!({"type": "configs"}), r#"{"a": {"b": true}, "c": {}}"#),
        (json!({"type": "simple_config"}), r#"{"a": [], "b": 1}"#),
    ];
    let cases: Vec<(Value, String)> = table
        .iter()
        .map(|(schema, body)| (json!({"schema_doc": schema, "body": body}), body.to_string()))
        .collect();
    let python = python_outcomes_for(&cases)?;
    let mut failures = Vec::new();
    for ((schema, body), py) in table.iter().zip(&python) {
        let value: Value = serde_json::from_str(body)?;
        let ours = match validate_with(schema, &value) {
            Ok(()) => (200, String::new(), String::new()),
            Err(e) => (i64::from(e.error_code()), e.error_name().to_string(), e.message()),
        };
        if &ours != py {
            failures.push(format!("{schema} {body}\n  python: {py:?}\n  rust:   {ours:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} disagree:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    Ok(())
}
