//! The sample config file (`etc/sahara/sahara.conf.sample`) in oslo-config-generator's format,
//! generated from the registry: `[DEFAULT]` first, other groups sorted, `# From <namespace>`
//! blocks, wrapped help, type notes, and every option commented out with its default.

use std::collections::BTreeMap;

use crate::parser::DEFAULT_GROUP;
use crate::registry::registry;
use crate::spec::{DefaultValue, OptSpec};
use crate::types::OptKind;

/// The help wrap width Sahara's generator config uses (`wrap_width = 79`).
pub const WRAP_WIDTH: usize = 79;

/// Whether the character is a letter (Python's `[^\d\W]`).
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
}

/// Splits a non-whitespace run after hyphens that join two words, as Python's textwrap does.
fn split_hyphens(word: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = word.chars().collect();
    let mut start = 0;
    for i in 0..chars.len() {
        if chars[i] != '-' || i < 2 {
            continue;
        }
        let letters_before = is_letter(chars[i - 1])
            && (is_letter(chars[i - 2]) || (i >= 3 && chars[i - 2] == '-' && is_letter(chars[i - 3])));
        let next = chars.get(i + 1).copied();
        let after = match (next, chars.get(i + 2).copied()) {
            (Some(a), Some('-')) => is_letter(a) && chars.get(i + 3).is_some_and(|c| is_letter(*c)),
            (Some(a), Some(b)) => is_letter(a) && is_letter(b),
            _ => false,
        };
        if letters_before && after {
            out.push(chars[start..=i].iter().collect());
            start = i + 1;
        }
    }
    out.push(chars[start..].iter().collect());
}

/// Splits text into whitespace runs and words (words further split after joining hyphens).
fn chunks(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_space = None;
    for c in text.chars() {
        let space = c.is_whitespace();
        if in_space.is_some_and(|s| s != space) {
            let piece = std::mem::take(&mut current);
            if in_space == Some(true) {
                out.push(piece);
            } else {
                split_hyphens(&piece, &mut out);
            }
        }
        in_space = Some(space);
        current.push(c);
    }
    if !current.is_empty() {
        if in_space == Some(true) {
            out.push(current);
        } else {
            split_hyphens(&current, &mut out);
        }
    }
    out
}

/// Python's `textwrap.wrap(line, width, initial_indent='# ', subsequent_indent='# ',
/// break_long_words=False, replace_whitespace=False)`.
fn wrap_line(line: &str, width: usize) -> Vec<String> {
    const INDENT: &str = "# ";
    let mut pending: Vec<String> = chunks(&line.replace('\t', "        "));
    pending.reverse();
    let mut lines = Vec::new();
    let avail = width.saturating_sub(INDENT.len()).max(1);
    while !pending.is_empty() {
        let mut current: Vec<String> = Vec::new();
        let mut len = 0;
        if !lines.is_empty() && pending.last().is_some_and(|c| c.trim().is_empty()) {
            pending.pop();
        }
        while let Some(chunk) = pending.last() {
            let l = chunk.chars().count();
            if len + l <= avail {
                len += l;
                if let Some(c) = pending.pop() {
                    current.push(c);
                }
            } else {
                break;
            }
        }
        if current.is_empty()
            && pending.last().is_some_and(|c| c.chars().count() > avail)
            && let Some(c) = pending.pop()
        {
            current.push(c);
        }
        if current.last().is_some_and(|c| c.trim().is_empty()) {
            current.pop();
        }
        if !current.is_empty() {
            lines.push(format!("{INDENT}{}", current.concat()));
        }
    }
    lines
}

/// oslo-config-generator's `_format_help`: each help line wrapped, an empty line as `#`.
fn format_help(help: &str, width: usize) -> String {
    let mut out = String::new();
    for line in help.lines() {
        let wrapped = wrap_line(line, width);
        if wrapped.is_empty() {
            out.push('#');
        } else {
            out.push_str(&wrapped.join("\n"));
        }
        out.push('\n');
    }
    out
}

fn quote_if_padded(s: &str) -> String {
    if s.trim() != s {
        format!("\"{s}\"")
    } else {
        s.to_string()
    }
}

/// The default(s) as the generator prints them after `#name =`.
fn format_defaults(spec: &OptSpec) -> Vec<String> {
    if let Some(sample) = spec.sample_default {
        return vec![sample.to_string()];
    }
    let stringish = matches!(
        spec.kind,
        OptKind::Str { .. } | OptKind::Ip | OptKind::HostAddress | OptKind::HostDomain | OptKind::Uri
    );
    match spec.default {
        DefaultValue::None if spec.is_multi() => vec![String::new()],
        DefaultValue::None | DefaultValue::Computed(_) => vec!["<None>".to_string()],
        DefaultValue::Multi([]) => vec![String::new()],
        DefaultValue::Multi(values) => values.iter().map(|v| quote_if_padded(v)).collect(),
        DefaultValue::Text(text) if stringish || spec.is_multi() => vec![quote_if_padded(text)],
        DefaultValue::Text(text) => vec![text.to_string()],
    }
}

/// Formats one option: help, constraints, deprecation notes and the commented-out default.
fn format_opt(spec: &OptSpec, width: usize) -> String {
    let prefix = if spec.deprecated_for_removal && !spec.help.starts_with("DEPRECATED") {
        "DEPRECATED: "
    } else {
        ""
    };
    let mut out = format_help(&format!("{prefix}{} ({})", spec.help, spec.kind.type_name()), width);
    let (min, max) = match spec.kind {
        OptKind::Int { min, max } => (min.map(|m| m.to_string()), max.map(|m| m.to_string())),
        OptKind::Port { min, max } => (Some(min.to_string()), Some(max.to_string())),
        OptKind::Float { min, max } => (min.map(|m| format!("{m:?}")), max.map(|m| format!("{m:?}"))),
        _ => (None, None),
    };
    if let Some(min) = min {
        out.push_str(&format!("# Minimum value: {min}\n"));
    }
    if let Some(max) = max {
        out.push_str(&format!("# Maximum value: {max}\n"));
    }
    if let OptKind::Str { choices, .. } = spec.kind
        && !choices.is_empty()
    {
        out.push_str("# Possible values:\n");
        for (choice, description) in choices {
            let shown = if choice.is_empty() { "''" } else { choice };
            let text = format!("{shown} - {}", description.unwrap_or("<No description provided>"));
            out.push_str(&format_help(&text, width));
        }
    }
    if spec.mutable {
        out.push_str("# Note: This option can be changed without restarting.\n");
    }
    for dep in spec.deprecated {
        out.push_str(&format!(
            "# Deprecated group/name - [{}]/{}\n",
            dep.group.unwrap_or(spec.group),
            dep.name
        ));
    }
    if spec.deprecated_for_removal {
        match spec.deprecated_since {
            Some(since) => out.push_str(&format!("# This option is deprecated for removal since {since}.\n")),
            None => out.push_str("# This option is deprecated for removal.\n"),
        }
        out.push_str("# Its value may be silently ignored in the future.\n");
        if let Some(reason) = spec.deprecated_reason {
            out.push_str(&format_help(&format!("Reason: {reason}"), width));
        }
    }
    if spec.advanced {
        out.push_str(
            "# Advanced Option: intended for advanced users and not used\n\
             # by the majority of users, and might have a significant\n\
             # effect on stability and/or performance.\n",
        );
    }
    if spec.sample_default.is_some() {
        out.push_str(
            "#\n\
             # This option has a sample default set, which means that\n\
             # its actual default value may vary from the one documented\n\
             # below.\n",
        );
    }
    for default in format_defaults(spec) {
        if default.is_empty() {
            out.push_str(&format!("#{} =\n", spec.name));
        } else {
            out.push_str(&format!("#{} = {}\n", spec.name, default.replace('\n', "\n#    ")));
        }
    }
    out
}

/// Generates the sample config file with the given help wrap width.
pub fn generate_sample_with_width(width: usize) -> String {
    // group -> namespace -> options in registry order
    let mut groups: BTreeMap<&str, BTreeMap<&str, Vec<&OptSpec>>> = BTreeMap::new();
    groups.entry(DEFAULT_GROUP).or_default();
    for spec in registry() {
        groups
            .entry(spec.group)
            .or_default()
            .entry(spec.namespace)
            .or_default()
            .push(spec);
    }
    let default = groups.remove(DEFAULT_GROUP).unwrap_or_default();
    let mut out = String::new();
    let ordered = std::iter::once((DEFAULT_GROUP, default)).chain(groups);
    for (i, (group, namespaces)) in ordered.enumerate() {
        if i > 0 {
            out.push_str("\n\n");
        }
        out.push_str(&format!("[{group}]\n"));
        for (namespace, mut specs) in namespaces {
            out.push_str(&format!("\n#\n# From {namespace}\n#\n"));
            specs.sort_by_key(|s| s.advanced);
            for spec in specs {
                out.push('\n');
                out.push_str(&format_opt(spec, width));
            }
        }
    }
    out
}

/// Generates the sample config file as `sahara-config-generator` writes it.
pub fn generate_sample() -> String {
    generate_sample_with_width(WRAP_WIDTH)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::DeprecatedName;

    #[test]
    fn wraps_like_textwrap() {
        let help = "word ".repeat(30);
        let text = format_help(help.trim_end(), 30);
        for line in text.lines() {
            assert!(line.chars().count() <= 30, "{line:?}");
            assert!(line.starts_with("# word"), "{line:?}");
        }
        assert_eq!(format_help("a\n\nb", 70), "# a\n#\n# b\n");
        // long words are not broken
        let long = "x".repeat(100);
        assert_eq!(format_help(&long, 20), format!("# {long}\n"));
        // hyphenated words may break after the hyphen
        let lines = wrap_line("aaaa data-processing-cluster", 17);
        assert_eq!(lines, ["# aaaa data-", "# processing-", "# cluster"]);
    }

    #[test]
    fn formats_an_option_like_the_oslo_generator() {
        const SPEC: OptSpec = OptSpec::int("api_workers")
            .default("1")
            .min(0)
            .deprecated(&[DeprecatedName::in_group("DEFAULT", "workers")])
            .help("Number of workers.")
            .in_group("api", "test");
        assert_eq!(
            format_opt(&SPEC, 79),
            "# Number of workers. (integer value)\n\
             # Minimum value: 0\n\
             # Deprecated group/name - [DEFAULT]/workers\n\
             #api_workers = 1\n"
        );
        const EMPTY: OptSpec = OptSpec::str("cafile").default("").help("CA.").in_group("x", "t");
        assert!(format_opt(&EMPTY, 79).ends_with("\n#cafile =\n"));
        const NONE: OptSpec = OptSpec::str("x").secret().help("Secret.").in_group("x", "t");
        assert!(format_opt(&NONE, 79).ends_with("\n#x = <None>\n"));
        const PADDED: OptSpec = OptSpec::str("f").default("[i] ").help("F.").in_group("x", "t");
        assert!(format_opt(&PADDED, 79).ends_with("\n#f = \"[i] \"\n"));
    }

    #[test]
    fn sample_starts_with_default_and_lists_every_option() {
        let sample = generate_sample();
        assert!(sample.starts_with("[DEFAULT]\n\n#\n# From "), "{}", &sample[..40]);
        for spec in registry() {
            assert!(sample.contains(&format!("\n#{} =", spec.name)), "{} missing", spec.name);
        }
        let groups: Vec<&str> = sample.lines().filter(|l| l.starts_with('[')).collect();
        let mut sorted = groups[1..].to_vec();
        sorted.sort();
        assert_eq!(groups[1..], sorted[..]);
        assert!(sample.contains("#control_exchange = sahara\n"));
        assert!(sample.contains("# Deprecated group/name - [DEFAULT]/notification_level\n"));
    }
}
