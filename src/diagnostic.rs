//! One source diagnostic (code, severity, message, labelled spans, help) and its two renderings:
//! miette's graphical report for people, and one JSON object per line for CI.

use std::fmt;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, Severity, SourceSpan};

use crate::codes::Code;
use crate::source::Source;

/// A byte range in the input; every model value keeps the one it came from.
pub type Span = SourceSpan;

/// A span with the text shown beside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// A finding about the input, pointing at the entry it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with `code`'s severity and a primary label.
    pub fn new(code: Code, span: Span, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: message.into(),
            primary: Label { span, text: label.into() },
            secondary: Vec::new(),
            help: None,
        }
    }

    /// Adds a second place involved in the finding.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Label { span, text: text.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// A diagnostic bound to its source, as miette wants it for rendering.
struct Report<'a> {
    diagnostic: &'a Diagnostic,
    source: NamedSource<Arc<String>>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diagnostic, f)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diagnostic.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diagnostic.code.as_str()))
    }
    fn severity(&self) -> Option<Severity> {
        Some(self.diagnostic.severity)
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diagnostic.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let d = self.diagnostic;
        let primary = LabeledSpan::new_primary_with_span(Some(d.primary.text.clone()), d.primary.span);
        let rest = d.secondary.iter().map(|l| LabeledSpan::new_with_span(Some(l.text.clone()), l.span));
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
}

/// Renders diagnostics as miette graphical reports; `color` only for terminals.
pub fn render_human(diagnostics: &[Diagnostic], source: &Source, color: bool) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = Report { diagnostic, source: NamedSource::new(&source.name, source.text.clone()) };
        handler.render_report(&mut out, &report).expect("writing to a String cannot fail");
        out.push('\n');
    }
    out
}

#[derive(serde::Serialize)]
struct JsonLabel<'a> {
    line: usize,
    column: usize,
    text: &'a str,
}

#[derive(serde::Serialize)]
struct JsonSpan {
    offset: usize,
    length: usize,
}

#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    severity: &'static str,
    message: &'a str,
    file: &'a str,
    line: usize,
    column: usize,
    span: JsonSpan,
    labels: Vec<JsonLabel<'a>>,
    help: Option<&'a str>,
}

/// The word JSON output uses for a severity.
pub fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Advice => "advice",
    }
}

/// Renders one diagnostic as one JSON object (no trailing newline).
pub fn render_json(diagnostic: &Diagnostic, source: &Source) -> String {
    let (line, column) = source.line_column(diagnostic.primary.span.offset());
    let labels = std::iter::once(&diagnostic.primary)
        .chain(&diagnostic.secondary)
        .map(|label| {
            let (line, column) = source.line_column(label.span.offset());
            JsonLabel { line, column, text: &label.text }
        })
        .collect();
    let json = JsonDiagnostic {
        code: diagnostic.code.as_str(),
        severity: severity_word(diagnostic.severity),
        message: &diagnostic.message,
        file: &source.name,
        line,
        column,
        span: JsonSpan { offset: diagnostic.primary.span.offset(), length: diagnostic.primary.span.len() },
        labels,
        help: diagnostic.help.as_deref(),
    };
    serde_json::to_string(&json).expect("diagnostics always serialize")
}
