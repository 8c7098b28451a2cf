//! The log layer that writes oslo.log-shaped lines, which kolla's fluentd parses:
//!
//! ```text
//! 2024-04-24 16:49:14.123 7 INFO sahara_engine::ops [-] message key=value ...
//! 2024-04-24 16:49:14.123 7 INFO sahara_engine::ops [None req-1b2c u1 p1 - - default default] message ...
//! ```
//!
//! Timestamp in local time with milliseconds, process id, level (`WARN` is written `WARNING` as
//! Python does), the tracing target verbatim, the request context in brackets, the message, then
//! the event's fields and the fields of the spans around it (outermost first, an inner span's
//! value replacing an outer one's; span fields already set on the event are not repeated).
//!
//! The request context comes from fields named [`CONTEXT_FIELDS`] on the event or on any span
//! around it (the innermost wins). It is rendered when a `request_id` is found, like oslo.log's
//! `logging_context_format_string`, and is `[-]` otherwise:
//!
//! ```text
//! [<global_request_id or None> req-<request_id> <user_id> <project_id> - - <user_domain> <project_domain>]
//! ```
//!
//! Unknown values are `-`; `req-` is prepended when the id lacks it; the two fixed `-` are oslo's
//! domain and system scope. These fields are not repeated as `key=value`.
//!
//! Values of fields with secret-looking names are written as `***`, URL credentials in messages
//! and values are masked (see [`crate::redact_url`]). Multi-line messages are written as they are,
//! so continuation lines do not start with a timestamp (fluentd joins them to the first line).

use std::fmt::{self, Write as _};
use std::fs::File;
use std::io::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;

use crate::redact::{MASK, is_secret_key, redact_url};

/// Span or event field names that make up the request context of a log line.
pub const CONTEXT_FIELDS: [&str; 6] = [
    "global_request_id",
    "request_id",
    "user_id",
    "project_id",
    "user_domain",
    "project_domain",
];

/// Where log lines go besides the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Console {
    /// Nowhere.
    Off,
    /// Standard output (oslo.log's fallback when neither a file nor stderr is configured).
    Stdout,
    /// Standard error (`use_stderr`).
    Stderr,
    /// `eprint!`, which the test harness captures.
    Test,
}

/// The destinations of log lines: an append-mode file and/or a console stream.
#[derive(Debug)]
pub(crate) struct LogSink {
    /// The log file, opened with `O_APPEND` so logrotate's `copytruncate` works.
    pub(crate) file: Option<File>,
    /// The console stream.
    pub(crate) console: Console,
}

impl LogSink {
    /// Writes one complete line with a single `write` per destination; errors are dropped
    /// (there is nowhere left to report them).
    fn write_line(&self, line: &str) {
        if let Some(mut file) = self.file.as_ref() {
            let _ = file.write_all(line.as_bytes());
        }
        match self.console {
            Console::Off => {}
            Console::Stdout => {
                let _ = io::stdout().lock().write_all(line.as_bytes());
            }
            Console::Stderr => {
                let _ = io::stderr().lock().write_all(line.as_bytes());
            }
            Console::Test => eprint!("{line}"),
        }
    }
}

/// The `tracing_subscriber` layer that formats events as oslo.log lines and writes them.
#[derive(Debug)]
pub(crate) struct OsloLogLayer {
    /// This process' id, written on every line.
    pid: u32,
    /// Where lines go.
    sink: LogSink,
}

impl OsloLogLayer {
    /// A layer writing to `sink`.
    pub(crate) fn new(sink: LogSink) -> Self {
        Self {
            pid: std::process::id(),
            sink,
        }
    }

    /// Formats one event, with the spans around it, as a line ending in `\n`.
    fn format_line<S>(&self, event: &Event<'_>, ctx: &Context<'_, S>) -> String
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let meta = event.metadata();
        let mut fields = Fields::for_event();
        event.record(&mut fields);

        let mut context = RequestFields::default();
        let mut span_fields: Vec<(&'static str, String)> = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                let extensions = span.extensions();
                if let Some(recorded) = extensions.get::<Fields>() {
                    context.overlay(&recorded.context);
                    for (name, value) in &recorded.other {
                        upsert(&mut span_fields, name, value);
                    }
                }
            }
        }
        context.overlay(&fields.context);

        let target = fields.log_target.as_deref().unwrap_or(meta.target());
        let mut line = String::with_capacity(160);
        let _ = write!(
            line,
            "{} {} {} {} [",
            chrono::Local::now().format("%Y-%m-%d %H:%M:%S%.3f"),
            self.pid,
            level_name(meta.level()),
            target,
        );
        context.render(&mut line);
        line.push(']');
        if let Some(message) = fields.message.as_deref() {
            let message = message.trim_end_matches('\n');
            if !message.is_empty() {
                line.push(' ');
                line.push_str(&redact_url(message));
            }
        }
        for (name, value) in &fields.other {
            let _ = write!(line, " {name}={value}");
        }
        for (name, value) in &span_fields {
            if !fields.other.iter().any(|(event_name, _)| event_name == name) {
                let _ = write!(line, " {name}={value}");
            }
        }
        line.push('\n');
        line
    }
}

impl<S> Layer<S> for OsloLogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        // Format the values before taking the extensions lock: a Debug impl may log.
        let mut recorded = Fields::default();
        attrs.record(&mut recorded);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(recorded);
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let mut update = Fields::default();
        values.record(&mut update);
        if let Some(span) = ctx.span(id) {
            let mut extensions = span.extensions_mut();
            match extensions.get_mut::<Fields>() {
                Some(recorded) => recorded.merge(update),
                None => extensions.insert(update),
            }
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let line = self.format_line(event, &ctx);
        self.sink.write_line(&line);
    }
}

/// Python's name for a level (`WARN` is `WARNING`).
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "TRACE",
        Level::DEBUG => "DEBUG",
        Level::INFO => "INFO",
        Level::WARN => "WARNING",
        Level::ERROR => "ERROR",
    }
}

/// Sets `name` to `value` in `list`, keeping the position of an existing entry.
fn upsert(list: &mut Vec<(&'static str, String)>, name: &'static str, value: &str) {
    match list.iter_mut().find(|(existing, _)| *existing == name) {
        Some((_, old)) => value.clone_into(old),
        None => list.push((name, value.to_owned())),
    }
}

/// The request-context values found so far, one slot per [`CONTEXT_FIELDS`] entry.
#[derive(Debug, Default, Clone)]
struct RequestFields([Option<String>; 6]);

impl RequestFields {
    /// The slot of the context field called `name`, if it is one.
    fn slot(name: &str) -> Option<usize> {
        CONTEXT_FIELDS.iter().position(|field| *field == name)
    }

    /// Replaces values with those set in `inner` (an inner span or the event).
    fn overlay(&mut self, inner: &Self) {
        for (mine, theirs) in self.0.iter_mut().zip(&inner.0) {
            if theirs.is_some() {
                mine.clone_from(theirs);
            }
        }
    }

    /// Writes the bracket contents: oslo.log's context form, or `-` without a request id.
    fn render(&self, out: &mut String) {
        let [global, request, user, project, user_domain, project_domain] = &self.0;
        let Some(request) = request else {
            out.push('-');
            return;
        };
        let dash = |value: &Option<String>| value.clone().unwrap_or_else(|| "-".to_owned());
        let prefix = if request.starts_with("req-") { "" } else { "req-" };
        let _ = write!(
            out,
            "{} {prefix}{request} {} {} - - {} {}",
            global.as_deref().unwrap_or("None"),
            dash(user),
            dash(project),
            dash(user_domain),
            dash(project_domain),
        );
    }
}

/// The fields of a span (kept in its extensions) or of an event, as the log layer uses them.
#[derive(Debug, Default)]
struct Fields {
    /// Whether these are an event's fields: only then are `message` and `log.*` special.
    event: bool,
    /// The `message` field of an event.
    message: Option<String>,
    /// The original target of an event that came from the `log` crate (`log.target`).
    log_target: Option<String>,
    /// Request-context fields.
    context: RequestFields,
    /// Every other field, formatted for the log line, in recording order.
    other: Vec<(&'static str, String)>,
}

impl Fields {
    /// An empty set of event fields.
    fn for_event() -> Self {
        Self {
            event: true,
            ..Self::default()
        }
    }

    /// Applies values recorded later on a span (`Span::record`).
    fn merge(&mut self, update: Fields) {
        self.context.overlay(&update.context);
        for (name, value) in update.other {
            upsert(&mut self.other, name, &value);
        }
    }

    /// Stores one field turned into text; `debug` tells that the text is a `Debug` rendering
    /// (already quoted and escaped where it is a string), which is written as it is.
    fn store(&mut self, field: &Field, value: String, debug: bool) {
        let name = field.name();
        if self.event {
            if name == "message" {
                self.message = Some(value);
                return;
            }
            if name == "log.target" {
                self.log_target = Some(value);
                return;
            }
            if name.starts_with("log.") {
                return;
            }
        }
        if let Some(slot) = RequestFields::slot(name) {
            let unquoted = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) if debug => inner.to_owned(),
                _ => value,
            };
            self.context.0[slot] = Some(unquoted);
        } else {
            self.other.push((name, field_value(name, value, debug)));
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.store(field, value.to_owned(), false);
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.store(field, error_chain(value), false);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.store(field, format!("{value:?}"), true);
    }
}

/// An error's message followed by its sources, `outer: inner: root`.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}

/// The text written after `name=`: masked for secret names, URL credentials masked, and quoted
/// (Rust string escapes) when empty or when it holds whitespace, `"` or `=`, unless it is
/// already the `Debug` rendering of a string (`debug` and in quotes).
fn field_value(name: &str, value: String, debug: bool) -> String {
    if is_secret_key(name) {
        return MASK.to_owned();
    }
    let value = match redact_url(&value) {
        std::borrow::Cow::Borrowed(_) => value,
        std::borrow::Cow::Owned(masked) => masked,
    };
    let quoted = debug && value.len() >= 2 && value.starts_with('"') && value.ends_with('"');
    let needs_quotes = value.is_empty() || value.contains(|c: char| c.is_whitespace() || c == '"' || c == '=');
    if needs_quotes && !quoted {
        format!("{value:?}")
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(values: [Option<&str>; 6]) -> RequestFields {
        RequestFields(values.map(|value| value.map(str::to_owned)))
    }

    fn rendered(fields: &RequestFields) -> String {
        let mut out = String::new();
        fields.render(&mut out);
        out
    }

    #[test]
    fn context_rendering() {
        assert_eq!(rendered(&RequestFields::default()), "-");
        assert_eq!(
            rendered(&fields([None, Some("req-abc"), Some("u1"), Some("p1"), None, None])),
            "None req-abc u1 p1 - - - -"
        );
        assert_eq!(
            rendered(&fields([
                Some("req-glob"),
                Some("abc"),
                None,
                None,
                Some("default"),
                Some("dom2"),
            ])),
            "req-glob req-abc - - - - default dom2"
        );
        // Without a request id the user alone does not make a context.
        assert_eq!(rendered(&fields([None, None, Some("u1"), None, None, None])), "-");
    }

    #[test]
    fn overlay_prefers_inner() {
        let mut outer = fields([None, Some("req-1"), Some("u1"), None, None, None]);
        outer.overlay(&fields([None, None, Some("u2"), Some("p2"), None, None]));
        assert_eq!(rendered(&outer), "None req-1 u2 p2 - - - -");
    }

    #[test]
    fn values() {
        assert_eq!(field_value("cluster_id", "c1".into(), false), "c1");
        assert_eq!(field_value("name", "two words".into(), false), "\"two words\"");
        assert_eq!(field_value("name", String::new(), false), "\"\"");
        assert_eq!(field_value("name", "\"as debug\"".into(), true), "\"as debug\"");
        assert_eq!(field_value("admin_password", "hunter2".into(), false), "***");
        assert_eq!(field_value("token", "3".into(), true), "***");
        assert_eq!(field_value("count", "3".into(), true), "3");
        assert_eq!(
            field_value("error", "it broke: \"x\"".into(), true),
            "\"it broke: \\\"x\\\"\""
        );
        assert_eq!(field_value("url", "amqp://u:p@h/".into(), false), "amqp://u:***@h/");
        assert_eq!(level_name(&Level::WARN), "WARNING");
    }
}
