//! Command line (clap derive): parses arguments, runs a command, maps the outcome to an exit code
//! (0 ok, 1 diagnostics, 2 usage or I/O).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diagnostic::{render_human, render_json, Diagnostic};
use crate::frontend::{check_source, Checked};
use crate::source::Source;

#[derive(Parser, Debug)]
#[command(name = "hlc", version, about = "The homelab compiler: homelab.kdl in, a reviewed cluster out")]
pub struct Cli {
    /// How diagnostics are printed: `human` (graphical, on stderr) or `json` (one object a line, on stdout).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum MessageFormat {
    Human,
    Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check a homelab.kdl and print every diagnostic; writes nothing.
    Check {
        file: PathBuf,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Rewrite a homelab.kdl in canonical layout, keeping comments.
    Fmt {
        file: PathBuf,
        /// Do not write; exit 1 if the file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Write a commented example homelab.kdl into DIR (default: the current directory).
    Init { dir: Option<PathBuf> },
    /// Check, then compile into the output tree (default: `out/` beside FILE).
    Build {
        file: PathBuf,
        #[command(flatten)]
        paths: TreePaths,
    },
    /// Show what a build would change: a unified diff of public files, names of secret ones.
    Diff {
        file: PathBuf,
        #[command(flatten)]
        paths: TreePaths,
    },
    /// Print the artifact graph.
    Graph {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
    },
    /// Show which KDL nodes and graph steps produce an output file.
    Explain {
        file: PathBuf,
        /// A path inside the output tree, e.g. `pki/apiserver.crt`.
        path: String,
    },
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

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    Dot,
    Mermaid,
}

/// Process outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok = 0,
    Diagnostics = 1,
    Environment = 2,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run(cli) as u8)
}

pub fn run(cli: Cli) -> Outcome {
    match cli.command {
        Command::Check { ref file, deny_warnings } => check(file, cli.message_format, deny_warnings),
        Command::Fmt { ref file, check } => fmt(file, cli.message_format, check),
        Command::Init { ref dir } => init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Build { ref file, ref paths } => crate::commands::build(file, paths, cli.message_format),
        Command::Diff { ref file, ref paths } => crate::commands::diff(file, paths, cli.message_format),
        Command::Graph { ref file, format } => crate::commands::graph(file, format, cli.message_format),
        Command::Explain { ref file, ref path } => crate::commands::explain(file, path, cli.message_format),
    }
}

/// Prints an environment error (one line) and returns exit status 2.
pub fn environment_error(message: impl std::fmt::Display) -> Outcome {
    eprintln!("error: {message}");
    Outcome::Environment
}

fn load(file: &Path) -> Result<Source, Outcome> {
    Source::load(file).map_err(environment_error)
}

/// Runs the front end and prints its diagnostics; the model when the build may go on.
pub fn front_end(file: &Path, format: MessageFormat, deny_warnings: bool) -> Result<(Source, Checked), Outcome> {
    let source = load(file)?;
    let checked = check_source(&source);
    report(&checked.diagnostics, &source, format);
    let warnings_fail = deny_warnings && checked.diagnostics.iter().any(|d| d.severity == miette::Severity::Warning);
    if checked.has_errors() || warnings_fail {
        return Err(Outcome::Diagnostics);
    }
    Ok((source, checked))
}

/// Prints diagnostics in the chosen format.
pub fn report(diagnostics: &[Diagnostic], source: &Source, format: MessageFormat) {
    match format {
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
        "{}, {}, {}",
        plural(count(miette::Severity::Error), "error"),
        plural(count(miette::Severity::Warning), "warning"),
        plural(count(miette::Severity::Advice), "note")
    )
}

fn check(file: &Path, format: MessageFormat, deny_warnings: bool) -> Outcome {
    match front_end(file, format, deny_warnings) {
        Ok(_) => Outcome::Ok,
        Err(outcome) => outcome,
    }
}

fn fmt(file: &Path, format: MessageFormat, check_only: bool) -> Outcome {
    let source = match load(file) {
        Ok(source) => source,
        Err(outcome) => return outcome,
    };
    let formatted = match crate::fmt::format(&source) {
        Ok(formatted) => formatted,
        Err(crate::fmt::FormatError::Syntax(diagnostics)) => {
            report(&diagnostics, &source, format);
            return Outcome::Diagnostics;
        }
        Err(crate::fmt::FormatError::Unsafe(message)) => return environment_error(message),
    };
    if formatted == *source.text {
        return Outcome::Ok;
    }
    if check_only {
        eprintln!("{}: not formatted (run `hlc fmt {}`)", file.display(), file.display());
        return Outcome::Diagnostics;
    }
    match std::fs::write(file, formatted) {
        Ok(()) => Outcome::Ok,
        Err(error) => environment_error(format!("{}: {error}", file.display())),
    }
}

fn init(dir: &Path) -> Outcome {
    match crate::init::init(dir) {
        Ok(path) => {
            eprintln!("wrote {}; next: hlc check {}", path.display(), path.display());
            Outcome::Ok
        }
        Err(message) => environment_error(message),
    }
}
