//! Golden tests of the Heat stack request: every case of `fixtures/heat/*.json` was
//! recorded from Sahara 19's own `ClusterStack` by `fixtures/gen_heat_templates.py`, input
//! beside output. The same cluster and inputs are built here and the request compared:
//! the main template and every nested file as values (both sides parsed from YAML), the
//! other fields as they are.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail, ensure};
use sahara_engine::heat::template::{NodeGroupTarget, TemplateInput, stack_request};
use sahara_model::resources::Cluster;
use sahara_openstack::heat::StackRequest;
use serde::Deserialize;
use serde_json::Value;

/// One recorded case.
#[derive(Deserialize)]
struct Fixture {
    input: Input,
    /// The keyword arguments Sahara handed heatclient.
    request: Value,
}

/// The case's inputs, as the generator wrote them.
#[derive(Deserialize)]
struct Input {
    cluster: Cluster,
    targets: BTreeMap<String, Target>,
    flavor_disks: BTreeMap<String, u64>,
    private_network_cidrs: Vec<String>,
    orchestration_hosts_entry: Option<String>,
    enable_wait_condition: bool,
    stack_tags: Vec<String>,
    disable_rollback: bool,
}

#[derive(Deserialize)]
struct Target {
    count: u32,
    instances_to_delete: Vec<String>,
}

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/heat")
}

fn load(name: &str) -> anyhow::Result<Fixture> {
    let path = fixture_dir().join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

fn case_names() -> anyhow::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(fixture_dir())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json")
            && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
        {
            names.push(stem.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// Our request for the fixture's inputs.
fn ours(input: &Input) -> anyhow::Result<StackRequest> {
    let targets = input
        .targets
        .iter()
        .map(|(id, t)| {
            let target = NodeGroupTarget {
                count: t.count,
                instances_to_delete: t.instances_to_delete.clone(),
            };
            (id.clone(), target)
        })
        .collect();
    let template_input = TemplateInput {
        cluster: &input.cluster,
        targets,
        flavor_disks: input.flavor_disks.clone(),
        private_network_cidrs: input.private_network_cidrs.clone(),
        orchestration_hosts_entry: input.orchestration_hosts_entry.clone(),
        enable_wait_condition: input.enable_wait_condition,
        stack_tags: input.stack_tags.clone(),
        disable_rollback: input.disable_rollback,
    };
    Ok(stack_request(&template_input)?)
}

/// The first place two values differ, as a path, or `None`.
fn difference(path: &str, ours: &Value, sahara: &Value) -> Option<String> {
    match (ours, sahara) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys()) {
                let sub = format!("{path}/{key}");
                match (a.get(key), b.get(key)) {
                    (Some(x), Some(y)) => {
                        if let Some(d) = difference(&sub, x, y) {
                            return Some(d);
                        }
                    }
                    (x, y) => return Some(format!("{sub}: ours {x:?}, Sahara's {y:?}")),
                }
            }
            None
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (x, y))| difference(&format!("{path}/{i}"), x, y)),
        (a, b) if a == b => None,
        (a, b) => Some(format!("{path}: ours {a}, Sahara's {b}")),
    }
}

fn yaml(text: &Value, what: &str) -> anyhow::Result<Value> {
    let text = text.as_str().with_context(|| format!("{what} is not a string"))?;
    serde_yaml_ng::from_str(text).with_context(|| format!("{what} is not YAML"))
}

/// Compares our request with the keyword arguments Sahara handed heatclient.
fn compare(ours: &StackRequest, sahara: &Value) -> anyhow::Result<()> {
    let Value::Object(kwargs) = sahara else {
        bail!("Sahara's request is not an object")
    };
    for key in kwargs.keys() {
        ensure!(
            matches!(
                key.as_str(),
                "stack_name" | "template" | "files" | "parameters" | "disable_rollback" | "timeout_mins" | "tags"
            ),
            "Sahara sends {key}, which we do not"
        );
    }
    ensure!(
        kwargs.get("stack_name") == Some(&Value::from(ours.stack_name.as_str())),
        "stack_name: ours {}, Sahara's {:?}",
        ours.stack_name,
        kwargs.get("stack_name")
    );
    let template = yaml(&kwargs["template"], "Sahara's template")?;
    if let Some(d) = difference("template", &ours.template, &template) {
        bail!("{d}");
    }
    let Some(Value::Object(files)) = kwargs.get("files") else {
        bail!("Sahara's files are not an object")
    };
    let ours_names: Vec<&String> = ours.files.keys().collect();
    let sahara_names: Vec<&String> = files
        .keys()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    ensure!(
        ours_names == sahara_names,
        "files: ours {ours_names:?}, Sahara's {sahara_names:?}"
    );
    for (name, text) in &ours.files {
        ensure!(
            !text.trim_start().starts_with('{'),
            "our {name} is JSON, not YAML:\n{text}"
        );
        let ours_file: Value =
            serde_yaml_ng::from_str(text).with_context(|| format!("our {name} is not YAML:\n{text}"))?;
        let sahara_file = yaml(&files[name], name)?;
        if let Some(d) = difference(name, &ours_file, &sahara_file) {
            bail!("{d}");
        }
    }
    ensure!(
        kwargs.get("parameters") == Some(&Value::Object(ours.parameters.clone())),
        "parameters: ours {:?}, Sahara's {:?}",
        ours.parameters,
        kwargs.get("parameters")
    );
    ensure!(
        kwargs.get("disable_rollback") == Some(&Value::Bool(ours.disable_rollback)),
        "disable_rollback: ours {}, Sahara's {:?}",
        ours.disable_rollback,
        kwargs.get("disable_rollback")
    );
    ensure!(
        kwargs.get("timeout_mins").and_then(Value::as_u64) == ours.timeout_mins.map(u64::from),
        "timeout_mins: ours {:?}, Sahara's {:?}",
        ours.timeout_mins,
        kwargs.get("timeout_mins")
    );
    let tags = (!ours.tags.is_empty()).then(|| Value::from(ours.tags.join(",")));
    ensure!(
        kwargs.get("tags") == tags.as_ref(),
        "tags: ours {:?}, Sahara's {:?}",
        ours.tags,
        kwargs.get("tags")
    );
    Ok(())
}

/// The cases the generator must have recorded.
const CASES: &[&str] = &[
    "anti-affinity-empty-group",
    "anti-affinity-ratio-1",
    "anti-affinity-ratio-3",
    "auto-security-groups",
    "base-create",
    "base-scale-down",
    "base-scale-up",
    "boot-from-volume",
    "domain-name-no-designate",
    "image-users",
    "plain-no-floating-no-keypair",
    "scale-down-victims",
    "scale-rollback",
    "scale-up-new-group",
    "stack-tags",
    "upper-case-names",
    "volumes",
    "wait-condition-no-endpoint",
    "wait-condition-off",
    "wait-condition-timeout",
    "wait-condition-timeout-string",
    "wait-condition-unresolved",
];

#[test]
fn every_recorded_case_matches_sahara() -> anyhow::Result<()> {
    let names = case_names()?;
    for case in CASES {
        ensure!(names.iter().any(|n| n == case), "case {case} was not recorded");
    }
    let mut failures = Vec::new();
    for name in &names {
        let fixture = load(name)?;
        let result = ours(&fixture.input).and_then(|request| compare(&request, &fixture.request));
        if let Err(e) = result {
            failures.push(format!("{name}: {e:#}"));
        }
    }
    ensure!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        names.len(),
        failures.join("\n")
    );
    Ok(())
}

/// Rewrites every string `from` inside `value` to `to`; true if any was.
fn rewrite(value: &mut Value, from: &str, to: &str) -> bool {
    match value {
        Value::String(s) if s == from => {
            *s = to.to_string();
            true
        }
        Value::Array(items) => items.iter_mut().map(|v| rewrite(v, from, to)).fold(false, |a, b| a | b),
        Value::Object(map) => map.values_mut().map(|v| rewrite(v, from, to)).fold(false, |a, b| a | b),
        _ => false,
    }
}

#[test]
fn a_wrong_port_name_fails_the_comparison() -> anyhow::Result<()> {
    let fixture = load("base-create")?;
    let mut request = ours(&fixture.input)?;
    compare(&request, &fixture.request)?;
    let file = request.files.get_mut("file://master.yaml").context("no master file")?;
    let mut value: Value = serde_yaml_ng::from_str(file)?;
    ensure!(rewrite(
        &mut value["resources"]["port"]["properties"]["name"],
        "port",
        "prt"
    ));
    *file = serde_yaml_ng::to_string(&value)?;
    let err = compare(&request, &fixture.request)
        .err()
        .context("a wrong port name passed")?;
    ensure!(
        err.to_string().contains("port/properties/name"),
        "unexpected difference: {err}"
    );
    Ok(())
}

#[test]
fn a_wrong_main_template_fails_the_comparison() -> anyhow::Result<()> {
    let fixture = load("scale-down-victims")?;
    let mut request = ours(&fixture.input)?;
    compare(&request, &fixture.request)?;
    let policies = &mut request.template["resources"]["worker"]["properties"]["removal_policies"][0]["resource_list"];
    ensure!(rewrite(policies, "1", "2"));
    ensure!(
        compare(&request, &fixture.request).is_err(),
        "a wrong removal policy passed"
    );
    Ok(())
}

#[test]
fn changed_inputs_change_the_request() -> anyhow::Result<()> {
    let fixture = load("base-create")?;
    let mut input = fixture.input;
    input.stack_tags.push("extra".into());
    ensure!(
        compare(&ours(&input)?, &fixture.request).is_err(),
        "an extra tag passed"
    );
    input.stack_tags.pop();
    input.private_network_cidrs.push("10.9.0.0/16".into());
    ensure!(
        compare(&ours(&input)?, &fixture.request).is_err(),
        "an extra private network passed"
    );
    input.private_network_cidrs.pop();
    input.disable_rollback = false;
    ensure!(
        compare(&ours(&input)?, &fixture.request).is_err(),
        "disable_rollback false passed"
    );
    Ok(())
}

#[test]
fn a_missing_target_or_flavor_is_an_error() -> anyhow::Result<()> {
    let fixture = load("boot-from-volume")?;
    let mut input = fixture.input;
    input.flavor_disks.clear();
    ensure!(
        ours(&input).is_err(),
        "boot from volume without the flavor's disk passed"
    );
    let fixture = load("base-create")?;
    let mut input = fixture.input;
    input.targets.pop_first();
    ensure!(ours(&input).is_err(), "a node group without a target passed");
    Ok(())
}
