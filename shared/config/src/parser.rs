//! The INI dialect of oslo.config (`iniparser.BaseParser` + `cfg.ConfigParser`): sections,
//! `key = value` / `key: value`, comments, quotes, continuation lines and repeated keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::ConfigError;

/// The group name `[DEFAULT]`.
pub const DEFAULT_GROUP: &str = "DEFAULT";

/// Normalises a group name as oslo.config does: lower case, except `DEFAULT`.
pub fn normalize_group(name: &str) -> String {
    if name == DEFAULT_GROUP {
        name.to_string()
    } else {
        name.to_lowercase()
    }
}

/// One value of a key, with the line it was assigned on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawValue {
    /// The value: quotes stripped, continuation lines joined with `\n`.
    pub value: String,
    /// The 1-based line of the key.
    pub line: usize,
}

/// The values of one parsed file: normalised group -> key -> every value, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedFile {
    /// The file the values were read from.
    pub path: PathBuf,
    /// Normalised group name -> key -> values in the order they appear.
    pub groups: BTreeMap<String, BTreeMap<String, Vec<RawValue>>>,
}

impl ParsedFile {
    /// The values of `key` in the (normalised) `group` of this file.
    pub fn values(&self, group: &str, key: &str) -> Option<&[RawValue]> {
        self.groups.get(group).and_then(|keys| keys.get(key)).map(Vec::as_slice)
    }
}

struct Parser<'a> {
    path: &'a Path,
    file: ParsedFile,
    section: Option<String>,
}

impl Parser<'_> {
    fn error(&self, line: usize, message: &'static str, text: &str) -> ConfigError {
        ConfigError::Parse {
            file: self.path.to_path_buf(),
            line,
            message,
            text: text.to_string(),
        }
    }

    fn assign(&mut self, key: String, parts: Vec<String>, line: usize) -> Result<(), ConfigError> {
        let Some(section) = self.section.clone() else {
            return Err(self.error(line, "Section must be started before assignment", ""));
        };
        self.file
            .groups
            .entry(section)
            .or_default()
            .entry(key)
            .or_default()
            .push(RawValue {
                value: parts.join("\n"),
                line,
            });
        Ok(())
    }
}

/// Splits a physical line into `(key, value)` on the first `=` or `:`, stripping matching quotes.
fn split_key_value(line: &str) -> Option<(String, String)> {
    let colon = line.find(':');
    let equal = line.find('=');
    let at = match (colon, equal) {
        (None, None) => return None,
        (None, Some(e)) => e,
        (Some(c), None) => c,
        (Some(c), Some(e)) => c.min(e),
    };
    let key = line[..at].trim().to_string();
    let mut value = line[at + 1..].trim();
    if (value.starts_with('"') || value.starts_with('\'')) && value.ends_with(&value[..1]) {
        // a lone quote character is stripped to an empty value, as oslo does
        value = value.get(1..value.len().saturating_sub(1)).unwrap_or("");
    }
    Some((key, value.to_string()))
}

/// Splits text into lines the way Python's universal newlines do (`\n`, `\r\n` and `\r`).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        match rest.find(['\n', '\r']) {
            Some(i) => {
                let line = &rest[..i];
                let skip = if rest[i..].starts_with("\r\n") { 2 } else { 1 };
                rest = &rest[i + skip..];
                Some(line)
            }
            None => {
                let line = rest;
                rest = "";
                Some(line)
            }
        }
    })
}

/// Parses the text of one config file; `path` is used for the result and error messages.
pub fn parse_str(text: &str, path: &Path) -> Result<ParsedFile, ConfigError> {
    let mut parser = Parser {
        path,
        file: ParsedFile {
            path: path.to_path_buf(),
            groups: BTreeMap::new(),
        },
        section: None,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // the assignment being collected: key, value parts, line of the key
    let mut pending: Option<(String, Vec<String>, usize)> = None;
    for (index, raw_line) in lines(text).enumerate() {
        let lineno = index + 1;
        let line = raw_line.trim_end();
        if line.is_empty() {
            // a blank line ends a multi-line value
            if let Some((key, parts, at)) = pending.take() {
                parser.assign(key, parts, at)?;
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match pending.as_mut() {
                Some((_, parts, _)) => parts.push(line.trim_start().to_string()),
                None => return Err(parser.error(lineno, "Unexpected continuation line", line)),
            }
            continue;
        }
        if let Some((key, parts, at)) = pending.take() {
            parser.assign(key, parts, at)?;
        }
        if line.starts_with('[') {
            if !line.ends_with(']') {
                return Err(parser.error(lineno, "Invalid section (must end with ])", line));
            }
            if line.len() <= 2 {
                return Err(parser.error(lineno, "Empty section name", line));
            }
            let name = &line[1..line.len() - 1];
            let group = normalize_group(name);
            parser.file.groups.entry(group.clone()).or_default();
            parser.section = Some(group);
        } else if line.starts_with(['#', ';']) {
            // comment
        } else {
            let Some((key, value)) = split_key_value(line) else {
                return Err(parser.error(lineno, "No ':' or '=' found in assignment", line));
            };
            if key.is_empty() {
                return Err(parser.error(lineno, "Key cannot be empty", line));
            }
            pending = Some((key, vec![value], lineno));
        }
    }
    if let Some((key, parts, at)) = pending.take() {
        parser.assign(key, parts, at)?;
    }
    Ok(parser.file)
}

/// Reads and parses one config file.
pub fn parse_file(path: &Path) -> Result<ParsedFile, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ConfigError::Io {
        path: path.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    parse_str(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ParsedFile, ConfigError> {
        parse_str(text, Path::new("test.conf"))
    }

    fn values(file: &ParsedFile, group: &str, key: &str) -> Vec<String> {
        file.values(group, key)
            .unwrap_or(&[])
            .iter()
            .map(|v| v.value.clone())
            .collect()
    }

    fn parse_error(text: &str) -> (usize, &'static str, String) {
        match parse(text) {
            Err(ConfigError::Parse {
                line, message, text, ..
            }) => (line, message, text),
            other => panic!("expected a parse error, got {other:?}"),
        }
    }

    #[test]
    fn sections_keys_and_separators() {
        let f = parse("[DEFAULT]\na = 1\nb: 2\nc=3=4\nd : x=y\ne = a:b\n[database]\nconnection = sqlite://\n").unwrap();
        assert_eq!(values(&f, "DEFAULT", "a"), ["1"]);
        assert_eq!(values(&f, "DEFAULT", "b"), ["2"]);
        assert_eq!(values(&f, "DEFAULT", "c"), ["3=4"]);
        assert_eq!(values(&f, "DEFAULT", "d"), ["x=y"]);
        assert_eq!(values(&f, "DEFAULT", "e"), ["a:b"]);
        assert_eq!(values(&f, "database", "connection"), ["sqlite://"]);
        assert_eq!(f.values("DEFAULT", "a").unwrap()[0].line, 2);
    }

    #[test]
    fn comments_blank_lines_and_empty_values() {
        let f = parse("# leading comment\n; another\n[DEFAULT]\n\n# x = 1\ncafile =\nempty:\nk = v # not a comment\n")
            .unwrap();
        assert_eq!(values(&f, "DEFAULT", "cafile"), [""]);
        assert_eq!(values(&f, "DEFAULT", "empty"), [""]);
        assert_eq!(values(&f, "DEFAULT", "k"), ["v # not a comment"]);
        assert!(f.values("DEFAULT", "x").is_none());
    }

    #[test]
    fn matching_quotes_are_stripped() {
        let f = parse(concat!(
            "[DEFAULT]\n",
            "a = 'ip netns exec {router_id}'\n",
            "b = \"double\"\n",
            "c = 'unbalanced\"\n",
            "d = 'inner' text'\n",
            "e = \"\"\n",
            "f = \"\n",
            "g =   ' spaced '  \n",
        ))
        .unwrap();
        assert_eq!(values(&f, "DEFAULT", "a"), ["ip netns exec {router_id}"]);
        assert_eq!(values(&f, "DEFAULT", "b"), ["double"]);
        assert_eq!(values(&f, "DEFAULT", "c"), ["'unbalanced\""]);
        assert_eq!(values(&f, "DEFAULT", "d"), ["inner' text"]);
        assert_eq!(values(&f, "DEFAULT", "e"), [""]);
        assert_eq!(values(&f, "DEFAULT", "f"), [""]);
        assert_eq!(values(&f, "DEFAULT", "g"), [" spaced "]);
    }

    #[test]
    fn continuation_lines_join_with_newlines() {
        let f = parse("[DEFAULT]\nk = first\n    second\n\tthird\nnext = 1\nempty =\n  a\n\n").unwrap();
        assert_eq!(values(&f, "DEFAULT", "k"), ["first\nsecond\nthird"]);
        assert_eq!(values(&f, "DEFAULT", "next"), ["1"]);
        assert_eq!(values(&f, "DEFAULT", "empty"), ["\na"]);
        // an indented comment right after a value is part of it, as in oslo
        let g = parse("[DEFAULT]\nk = v\n  # more\n").unwrap();
        assert_eq!(values(&g, "DEFAULT", "k"), ["v\n# more"]);
    }

    #[test]
    fn repeated_keys_keep_every_value_and_sections_merge() {
        let f = parse("[DEFAULT]\ndriver = a\n[other]\nx = 1\n[DEFAULT]\ndriver = b\n").unwrap();
        assert_eq!(values(&f, "DEFAULT", "driver"), ["a", "b"]);
        assert_eq!(values(&f, "other", "x"), ["1"]);
    }

    #[test]
    fn keys_are_case_sensitive_and_groups_normalised() {
        let f = parse("[Database]\nConnection = a\nconnection = b\n[DEFAULT]\nk = 1\n[default]\nk = 2\n").unwrap();
        assert_eq!(values(&f, "database", "Connection"), ["a"]);
        assert_eq!(values(&f, "database", "connection"), ["b"]);
        assert_eq!(values(&f, "DEFAULT", "k"), ["1"]);
        assert_eq!(values(&f, "default", "k"), ["2"]);
    }

    #[test]
    fn crlf_and_cr_line_endings_and_bom() {
        let f = parse("\u{feff}[DEFAULT]\r\na = 1\r\nb = 2\rc = 3").unwrap();
        assert_eq!(values(&f, "DEFAULT", "a"), ["1"]);
        assert_eq!(values(&f, "DEFAULT", "b"), ["2"]);
        assert_eq!(values(&f, "DEFAULT", "c"), ["3"]);
    }

    #[test]
    fn malformed_lines_are_reported_with_line_numbers() {
        assert_eq!(
            parse_error("[DEFAULT]\njust some words\n"),
            (2, "No ':' or '=' found in assignment", "just some words".into())
        );
        assert_eq!(
            parse_error("[DEFAULT]\n= value\n"),
            (2, "Key cannot be empty", "= value".into())
        );
        assert_eq!(
            parse_error("[DEFAULT\n"),
            (1, "Invalid section (must end with ])", "[DEFAULT".into())
        );
        assert_eq!(parse_error("[]\n"), (1, "Empty section name", "[]".into()));
        assert_eq!(
            parse_error("[DEFAULT]\n\n  indented\n"),
            (3, "Unexpected continuation line", "  indented".into())
        );
        assert_eq!(
            parse_error("key = value\n").1,
            "Section must be started before assignment"
        );
        // a comment ends the value, so an indented line after it is an error
        assert_eq!(parse_error("[DEFAULT]\nk = v\n# c\n  x\n").0, 4);
    }

    #[test]
    fn error_message_names_file_and_line() {
        let err = parse("[DEFAULT]\noops\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "at test.conf:2, No ':' or '=' found in assignment: \"oops\""
        );
    }
}
