//! The dependency graph of a stack's resources: explicit `depends_on` plus the implicit
//! references of `get_resource` / `get_attr`; cycle detection with Heat's error, and the
//! order Heat creates (dependencies first) and deletes (dependents first) in.

use std::collections::{BTreeMap, BTreeSet};

use super::error::{HeatError, Result};

/// Which resources each resource requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    requires: BTreeMap<String, BTreeSet<String>>,
}

impl Graph {
    /// Builds the graph (every name must be a node) and fails with
    /// `CircularDependencyException` when it has a cycle.
    pub fn new(requires: BTreeMap<String, BTreeSet<String>>) -> Result<Graph> {
        let graph = Graph { requires };
        graph.order()?;
        Ok(graph)
    }

    /// The resources `name` requires.
    pub fn requires(&self, name: &str) -> impl Iterator<Item = &String> {
        self.requires.get(name).into_iter().flatten()
    }

    /// The resources that require `name` (Heat's `required_by`), sorted.
    pub fn required_by(&self, name: &str) -> Vec<String> {
        self.requires
            .iter()
            .filter(|(_, deps)| deps.contains(name))
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Every node, sorted.
    pub fn nodes(&self) -> impl Iterator<Item = &String> {
        self.requires.keys()
    }

    /// A creation order: every resource after what it requires.
    pub fn order(&self) -> Result<Vec<String>> {
        let mut remaining: BTreeMap<&String, BTreeSet<&String>> = self
            .requires
            .iter()
            .map(|(n, deps)| (n, deps.iter().filter(|d| self.requires.contains_key(*d)).collect()))
            .collect();
        let mut order = Vec::new();
        while !remaining.is_empty() {
            let ready: Vec<&String> = remaining
                .iter()
                .filter(|(_, deps)| deps.is_empty())
                .map(|(n, _)| *n)
                .collect();
            if ready.is_empty() {
                let text = remaining
                    .iter()
                    .map(|(n, deps)| {
                        format!(
                            "\"{n}\": {{{}}}",
                            deps.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ")
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(HeatError::CircularDependency(format!("{{{text}}}")));
            }
            for n in ready {
                remaining.remove(n);
                for deps in remaining.values_mut() {
                    deps.remove(n);
                }
                order.push(n.clone());
            }
        }
        Ok(order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn graph(edges: &[(&str, &[&str])]) -> Result<Graph> {
        Graph::new(
            edges
                .iter()
                .map(|(n, deps)| (n.to_string(), deps.iter().map(|d| d.to_string()).collect()))
                .collect(),
        )
    }

    #[test]
    fn orders_and_detects_cycles() {
        let g = graph(&[("inst", &["port"]), ("port", &["sg"]), ("sg", &[]), ("fip", &["port"])]).unwrap();
        let order = g.order().unwrap();
        let pos = |n: &str| order.iter().position(|x| x == n).unwrap();
        assert!(pos("sg") < pos("port") && pos("port") < pos("inst") && pos("port") < pos("fip"));
        assert_eq!(g.required_by("port"), vec!["fip".to_string(), "inst".to_string()]);
        let err = graph(&[("a", &["b"]), ("b", &["a"]), ("c", &[])]).unwrap_err();
        assert_eq!(err.type_name(), "CircularDependencyException");
        assert!(
            err.to_string()
                .starts_with("Circular Dependency Found: {\"a\": {\"b\"}"),
            "{err}"
        );
    }
}
