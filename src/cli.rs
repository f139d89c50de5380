//! Command line (clap derive): parses arguments, runs a command, maps the outcome to an exit code
//! (0 ok, 1 diagnostics, 2 usage or I/O).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

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
    /// Also print advice (notes such as "hlc switches on strictARP"); `check` always does.
    #[arg(long, global = true)]
    pub advice: bool,
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
        /// The lab description.
        #[arg(default_value = "homelab.kdl")]
        file: PathBuf,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// The output tree whose `hlc.lock` is the previous build, which a version change is
        /// judged against (default: `out/` beside FILE).
        #[arg(short, long)]
        out: Option<PathBuf>,
    },
    /// Rewrite a homelab.kdl in canonical layout, keeping comments.
    Fmt {
        /// The lab description.
        #[arg(default_value = "homelab.kdl")]
        file: PathBuf,
        /// Do not write; exit 1 if the file is not formatted.
        #[arg(long)]
        check: bool,
    },
    /// Write a commented example homelab.kdl into DIR (default: the current directory).
    Init { dir: Option<PathBuf> },
    /// Check, then compile into the output tree (default: `out/` beside FILE).
    Build {
        /// The lab description.
        #[arg(default_value = "homelab.kdl")]
        file: PathBuf,
        #[command(flatten)]
        paths: TreePaths,
    },
    /// Show what a build would change: a unified diff of public files, names of secret ones.
    /// Exit status: 0 no change, 3 changes (1 only for diagnostics).
    Diff {
        /// The lab description.
        #[arg(default_value = "homelab.kdl")]
        file: PathBuf,
        #[command(flatten)]
        paths: TreePaths,
    },
    /// Print the artifact graph.
    Graph {
        /// The lab description.
        #[arg(default_value = "homelab.kdl")]
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = GraphFormat::Dot)]
        format: GraphFormat,
        /// Only the neighbourhood of an output file (`pki/apiserver.crt`), a node (`node1`) or
        /// any vertex id: what it is made from and what is made from it.
        #[arg(long, value_name = "PATH|NODE")]
        focus: Option<String>,
    },
    /// Back up or restore the state directory as one age-encrypted file you can commit.
    State {
        #[command(subcommand)]
        action: StateAction,
    },
    /// Print a shell completion script, e.g. `hlc completions bash > /etc/bash_completion.d/hlc`.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
    /// Show which KDL nodes and graph steps produce an output file: `hlc explain [FILE] PATH`.
    Explain {
        /// `[FILE] PATH`: the lab description (default homelab.kdl) and a path inside the output
        /// tree, e.g. `pki/apiserver.crt`.
        #[arg(num_args = 1..=2, required = true, value_names = ["FILE", "PATH"])]
        args: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum StateAction {
    /// Encrypt every state file to the recipients into PATH (unchanged files keep their
    /// ciphertext, so a re-export of an unchanged state rewrites nothing).
    Export {
        /// The export file, e.g. `homelab.state.age.toml`.
        path: PathBuf,
        /// An age (`age1…`) or SSH (`ssh-ed25519 …`) public key; repeat for several.
        #[arg(long = "recipient", required = true)]
        recipients: Vec<String>,
        /// The state directory.
        #[arg(long, default_value = "homelab.state")]
        state: PathBuf,
    },
    /// Decrypt PATH into the state directory (which must be missing, empty or identical).
    Import {
        path: PathBuf,
        /// An age identity file (`AGE-SECRET-KEY-…`) or an unencrypted SSH private key.
        #[arg(long)]
        identity: PathBuf,
        /// The state directory.
        #[arg(long, default_value = "homelab.state")]
        state: PathBuf,
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
    /// `hlc diff`: a build would change the tree (like `git diff --exit-code`).
    Changes = 3,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run(cli) as u8)
}

pub fn run(cli: Cli) -> Outcome {
    let prints_to_stdout =
        matches!(cli.command, Command::Diff { .. } | Command::Graph { .. } | Command::Explain { .. });
    JSON_ON_STDERR.store(prints_to_stdout, Ordering::Relaxed);
    SHOW_ADVICE.store(cli.advice || matches!(cli.command, Command::Check { .. }), Ordering::Relaxed);
    match cli.command {
        Command::Check { ref file, deny_warnings, ref out } => {
            check(file, out.as_deref(), cli.message_format, deny_warnings)
        }
        Command::Fmt { ref file, check } => fmt(file, cli.message_format, check),
        Command::Init { ref dir } => init(dir.as_deref().unwrap_or(Path::new("."))),
        Command::Build { ref file, ref paths } => crate::commands::build(file, paths, cli.message_format),
        Command::Diff { ref file, ref paths } => crate::commands::diff(file, paths, cli.message_format),
        Command::Graph { ref file, format, ref focus } => {
            crate::commands::graph(file, format, focus.as_deref(), cli.message_format)
        }
        Command::State { ref action } => state(action),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "hlc", &mut script);
            // A closed pipe (`| head`) is not an error worth a panic.
            let _ = std::io::stdout().write_all(&script);
            Outcome::Ok
        }
        Command::Explain { ref args } => {
            let (file, path) = match args.as_slice() {
                [path] => (Path::new("homelab.kdl"), path),
                [file, path, ..] => (Path::new(file.as_str()), path),
                [] => unreachable!("clap requires PATH"),
            };
            crate::commands::explain(file, path, cli.message_format)
        }
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

/// How this run prints diagnostics besides the format: set once by `run` from the command.
static SHOW_ADVICE: AtomicBool = AtomicBool::new(true);
static JSON_ON_STDERR: AtomicBool = AtomicBool::new(false);

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

fn check(file: &Path, out: Option<&Path>, format: MessageFormat, deny_warnings: bool) -> Outcome {
    let (source, checked) = match front_end(file, format, deny_warnings) {
        Ok(result) => result,
        Err(outcome) => return outcome,
    };
    let lab = checked.lab.expect("no errors means a model");
    let out = out.map_or_else(|| crate::build::default_out(file), Path::to_path_buf);
    let previous = crate::write::current_lock(&out);
    let diagnostics = crate::commands::against_previous_build(&lab, previous.as_ref());
    report(&diagnostics, &source, format);
    let fails = |d: &Diagnostic| {
        d.severity == miette::Severity::Error || (deny_warnings && d.severity == miette::Severity::Warning)
    };
    if diagnostics.iter().any(fails) {
        Outcome::Diagnostics
    } else {
        Outcome::Ok
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
        let name = file.display().to_string();
        let diff = similar::TextDiff::from_lines(source.text.as_str(), formatted.as_str());
        print!("{}", diff.unified_diff().context_radius(2).header(&format!("a/{name}"), &format!("b/{name}")));
        eprintln!("{name}: not formatted (run `hlc fmt {name}`)");
        return Outcome::Diagnostics;
    }
    match std::fs::write(file, formatted) {
        Ok(()) => Outcome::Ok,
        Err(error) => environment_error(format!("{}: {error}", file.display())),
    }
}

fn state(action: &StateAction) -> Outcome {
    let result = match action {
        StateAction::Export { path, recipients, state } => crate::state_backup::export(state, path, recipients)
            .map(|fresh| format!("{}: {fresh} file(s) encrypted anew, the rest unchanged", path.display())),
        StateAction::Import { path, identity, state } => crate::state_backup::import(path, state, identity)
            .map(|count| format!("{}: {count} file(s) restored", state.display())),
    };
    match result {
        Ok(message) => {
            eprintln!("{message}");
            Outcome::Ok
        }
        Err(error) => environment_error(error),
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
