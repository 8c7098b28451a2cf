//! The sample policy file (`etc/sahara/policy.yaml.sample`) in oslopolicy-sample-generator's
//! format: every default commented out, preceded by its description wrapped at 70 columns and
//! the operations it guards.

use crate::defaults::{RuleDefault, SAHARA_DEFAULTS};

/// The sample for Sahara's defaults, byte for byte what
/// `oslopolicy-sample-generator --namespace sahara` prints.
pub fn generate_sample() -> String {
    generate_sample_for(SAHARA_DEFAULTS)
}

/// The sample for any list of defaults (one namespace, in registration order).
pub fn generate_sample_for(defaults: &[RuleDefault]) -> String {
    defaults.iter().map(format_rule_default).collect()
}

/// oslo's `_format_rule_default_yaml` with help, commented rules, no scope types and no
/// deprecations (Sahara's rules have neither).
fn format_rule_default(default: &RuleDefault) -> String {
    let rule = format!("\"{}\": \"{}\"\n", default.name, default.check_str);
    let ops: String = default
        .operations
        .iter()
        .filter(|op| !op.method.is_empty() && !op.path.is_empty())
        .map(|op| format!("# {}  {}\n", op.method, op.path))
        .collect();
    let text = format!("{ops}#{rule}\n");
    match default.description.filter(|d| !d.is_empty()) {
        Some(description) => format!("{}\n{text}", format_help_text(description)),
        None => text,
    }
}

/// oslo's `_format_help_text`: paragraphs wrapped as `# ` comments at 70 columns, blank lines
/// kept as `#`, indented lines kept verbatim.
fn format_help_text(description: &str) -> String {
    let mut lines: Vec<String> = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    for line in description.trim().lines() {
        if line.trim().is_empty() {
            lines.extend(wrap_paragraph(&paragraph));
            lines.push("#".into());
            paragraph.clear();
        } else if line.len() == line.trim_start().len() {
            paragraph.push(line.trim_end());
        } else {
            if !paragraph.is_empty() {
                lines.extend(wrap_paragraph(&paragraph));
                lines.push("#".into());
                paragraph.clear();
            }
            lines.push(format!("# {}", line.trim_end()));
        }
    }
    if !paragraph.is_empty() {
        lines.extend(wrap_paragraph(&paragraph));
    }
    lines.join("\n")
}

/// `textwrap.wrap(' '.join(lines), 70, initial_indent='# ', subsequent_indent='# ')`, with
/// chunks split at whitespace only (textwrap also splits hyphenated words; no Sahara
/// description is long enough for that to matter).
fn wrap_paragraph(lines: &[&str]) -> Vec<String> {
    const WIDTH: usize = 70;
    const INDENT: &str = "# ";
    let text: String = lines
        .join(" ")
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    // Chunks: runs of spaces and runs of non-spaces, consumed from the end of the vector.
    let mut chunks: Vec<String> = Vec::new();
    for c in text.chars() {
        match chunks.last_mut() {
            Some(last) if (last.starts_with(' ')) == (c == ' ') => last.push(c),
            _ => chunks.push(c.to_string()),
        }
    }
    chunks.reverse();
    let len = |s: &str| s.chars().count();
    let mut out = Vec::new();
    while !chunks.is_empty() {
        let width = WIDTH - INDENT.len();
        if !out.is_empty() && chunks.last().is_some_and(|c| c.trim().is_empty()) {
            chunks.pop();
        }
        let mut line: Vec<String> = Vec::new();
        let mut cur = 0;
        while let Some(chunk) = chunks.last() {
            if cur + len(chunk) <= width {
                cur += len(chunk);
                line.extend(chunks.pop());
            } else {
                break;
            }
        }
        if let Some(chunk) = chunks.last_mut()
            && len(chunk) > width
        {
            let space_left = width.saturating_sub(cur).max(1);
            let head: String = chunk.chars().take(space_left).collect();
            let tail: String = chunk.chars().skip(space_left).collect();
            line.push(head);
            *chunk = tail;
            if chunk.is_empty() {
                chunks.pop();
            }
        }
        if line.last().is_some_and(|c| c.trim().is_empty()) {
            line.pop();
        }
        if !line.is_empty() {
            out.push(format!("{INDENT}{}", line.concat()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::defaults::Operation;

    #[test]
    fn formats_like_oslopolicy_sample_generator() {
        let sample = generate_sample();
        assert!(sample.starts_with("#\"context_is_admin\": \"role:admin\"\n\n# Scale cluster.\n# PUT  /v1.1/"));
        assert!(sample.ends_with("#\"data-processing:job-template:delete\": \"\"\n\n"));
    }

    #[test]
    fn long_descriptions_wrap_at_70_columns() {
        let d = RuleDefault {
            name: "x",
            check_str: "",
            description: Some(
                "One two three four five six seven eight nine ten eleven twelve thirteen fourteen.\n\n  literal  block",
            ),
            operations: &[Operation {
                method: "GET",
                path: "/x",
            }],
        };
        assert_eq!(
            generate_sample_for(&[d]),
            "# One two three four five six seven eight nine ten eleven twelve\n# thirteen fourteen.\n#\n\
             #   literal  block\n# GET  /x\n#\"x\": \"\"\n\n"
        );
    }
}
