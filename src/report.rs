//! How a command reports: its outcome (the exit status), the diagnostics' format and printing,
//! and the front end run from a file. Shared by `cli` (which parses arguments and dispatches) and
//! `commands` (build, diff, graph, explain), so neither imports the other back.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::ValueEnum;

use crate::diagnostic::{render_human, render_json, Diagnostic};
use crate::frontend::Checked;
use crate::source::Source;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

/// Where the tree and the state live.
#[derive(clap::Args, Debug)]
pub struct TreePaths {
    /// Output directory (default: `out/` beside FILE).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// State directory with keys and certificates (default: `<FILE stem>.state/` beside FILE).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Start a new PKI (new CAs) although the existing tree's lock records other ones. Without
    /// it, a missing or foreign state directory is an error (`hlc::state::identity`).
    #[arg(long)]
    pub new_pki: bool,
}

/// Process outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok = 0,
    Diagnostics = 1,
    Environment = 2,
    /// `hlc diff`: a build would change the tree (like `git diff --exit-code`).
    Changes = 3,
}

/// Prints an environment error (one line) and returns exit status 2.
pub fn environment_error(message: impl std::fmt::Display) -> Outcome {
    eprintln!("error: {message}");
    Outcome::Environment
}

pub fn load(file: &Path) -> Result<Source, Outcome> {
    Source::load(file).map_err(environment_error)
}

/// Runs the front end (with `previous`, the previous build's lock, also the day-2 checks against
/// it) and prints its diagnostics together; the model when the build may go on.
pub fn front_end(
    file: &Path,
    format: MessageFormat,
    deny_warnings: bool,
    previous: Option<&crate::write::lock::Lock>,
) -> Result<(Source, Checked), Outcome> {
    let source = load(file)?;
    let checked = crate::frontend::check_source_against(&source, previous);
    report(&checked.diagnostics, &source, format);
    let warnings_fail = deny_warnings && checked.diagnostics.iter().any(|d| d.severity == miette::Severity::Warning);
    if checked.has_errors() || warnings_fail {
        return Err(Outcome::Diagnostics);
    }
    Ok((source, checked))
}

/// How this run prints diagnostics besides the format: set once by `cli::run` from the command.
static SHOW_ADVICE: AtomicBool = AtomicBool::new(true);
static JSON_ON_STDERR: AtomicBool = AtomicBool::new(false);

/// Sets whether advice is printed, and whether JSON diagnostics go to stderr (because the
/// command prints its own output on stdout).
pub fn show_advice(advice: bool, json_on_stderr: bool) {
    SHOW_ADVICE.store(advice, Ordering::Relaxed);
    JSON_ON_STDERR.store(json_on_stderr, Ordering::Relaxed);
}

/// Prints diagnostics in the chosen format. Advice is left out unless asked for (`--advice`,
/// or `hlc check`); JSON lines go to stdout only when the command prints nothing else there.
pub fn report(diagnostics: &[Diagnostic], source: &Source, format: MessageFormat) {
    let shown: Vec<Diagnostic>;
    let diagnostics = if SHOW_ADVICE.load(Ordering::Relaxed) {
        diagnostics
    } else {
        shown = diagnostics.iter().filter(|d| d.severity != miette::Severity::Advice).cloned().collect();
        &shown
    };
    match format {
        MessageFormat::Json if JSON_ON_STDERR.load(Ordering::Relaxed) => {
            let mut stderr = std::io::stderr().lock();
            for diagnostic in diagnostics {
                let _ = writeln!(stderr, "{}", render_json(diagnostic, source));
            }
        }
        MessageFormat::Human if !diagnostics.is_empty() => {
            let text = render_human(diagnostics, source, std::io::stderr().is_terminal());
            let _ = std::io::stderr().write_all(text.as_bytes());
            eprintln!("{}", summary(diagnostics));
        }
        MessageFormat::Human => {}
        MessageFormat::Json => {
            let mut stdout = std::io::stdout().lock();
            for diagnostic in diagnostics {
                let _ = writeln!(stdout, "{}", render_json(diagnostic, source));
            }
        }
    }
}

/// `2 errors, 1 warning`.
pub fn summary(diagnostics: &[Diagnostic]) -> String {
    let count = |severity| diagnostics.iter().filter(|d| d.severity == severity).count();
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "{}, {}, {} advice",
        plural(count(miette::Severity::Error), "error"),
        plural(count(miette::Severity::Warning), "warning"),
        count(miette::Severity::Advice)
    )
}
