//! The shell commands Sahara's remote builds around what callers ask for: `sudo bash -c`,
//! `sed` replacements, temporary files, the distribution probe.

/// Escapes `\`, `"` and `` ` `` for a double-quoted shell word (Sahara's `_escape_quotes`).
pub fn escape_quotes(command: &str) -> String {
    command.replace('\\', "\\\\").replace('"', "\\\"").replace('`', "\\`")
}

/// `command` run as root: `sudo bash -c "<command escaped>"`.
pub fn as_root(command: &str) -> String {
    format!("sudo bash -c \"{}\"", escape_quotes(command))
}

/// A single-quoted shell word for `s` (for file paths in the commands built here).
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:=,@%".contains(&b))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A fresh temporary file name in the login user's home (Sahara's `temp-file-<uuid>`).
pub fn temp_file() -> String {
    format!("temp-file-{}", uuid::Uuid::new_v4())
}

/// `replace_remote_string`'s command: `sudo sed -i 's,<old>,<new>,g' <file>`, with single
/// quotes doubled in `old` and `new` as Sahara does (which, in the shell, drops them).
pub fn replace_string_command(file: &str, old: &str, new: &str) -> String {
    format!(
        "sudo sed -i 's,{},{},g' {}",
        old.replace('\'', "''"),
        new.replace('\'', "''"),
        sh_quote(file)
    )
}

/// `replace_remote_line`'s command: `sudo sed -i 's/^<prefix>.*/<new line>/' <file>`, with
/// single quotes doubled in the prefix as Sahara does.
pub fn replace_line_command(file: &str, line_prefix: &str, new_line: &str) -> String {
    format!(
        "sudo sed -i 's/^{}.*/{}/' {}",
        line_prefix.replace('\'', "''"),
        new_line,
        sh_quote(file)
    )
}

/// Prints the distribution's short name (Sahara's `platform.linux_distribution()[0]`,
/// which Python 3.8 removed): `ID` of `/etc/os-release` (`rhel` as `redhat`), else
/// `DISTRIB_ID` of `/etc/lsb-release`.
pub const OS_DISTRIB_COMMAND: &str = "if [ -r /etc/os-release ]; then . /etc/os-release; d=$ID; \
elif [ -r /etc/lsb-release ]; then . /etc/lsb-release; d=$DISTRIB_ID; fi; \
[ \"$d\" = rhel ] && d=redhat; echo \"$d\"";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_commands_are_escaped() {
        assert_eq!(as_root("ls"), "sudo bash -c \"ls\"");
        assert_eq!(
            as_root(r#"echo "a\b" `id` $HOME"#),
            r#"sudo bash -c "echo \"a\\b\" \`id\` $HOME""#
        );
    }

    #[test]
    fn sed_commands_follow_sahara() {
        assert_eq!(
            replace_string_command("/etc/x.conf", "it's", "a,b"),
            "sudo sed -i 's,it''s,a,b,g' /etc/x.conf"
        );
        assert_eq!(
            replace_line_command("/etc/my file", "port=", "port=9"),
            "sudo sed -i 's/^port=.*/port=9/' '/etc/my file'"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(sh_quote("/etc/hadoop/core-site.xml"), "/etc/hadoop/core-site.xml");
        assert_eq!(sh_quote("a b'c"), "'a b'\\''c'");
        assert_eq!(sh_quote(""), "''");
        assert!(temp_file().starts_with("temp-file-"));
    }
}
