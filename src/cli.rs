//! Command line (clap derive): parses arguments, runs a command, maps the outcome to an exit code
//! (0 ok, 1 diagnostics, 2 usage or I/O).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::plan::export::GraphFormat;
pub use crate::report::{environment_error, front_end, MessageFormat, Outcome, TreePaths};
use crate::report::{load, report, show_advice};

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

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    ExitCode::from(run(cli) as u8)
}

pub fn run(cli: Cli) -> Outcome {
    let prints_to_stdout =
        matches!(cli.command, Command::Diff { .. } | Command::Graph { .. } | Command::Explain { .. });
    show_advice(cli.advice || matches!(cli.command, Command::Check { .. }), prints_to_stdout);
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
            let _ = std::io::Write::write_all(&mut std::io::stdout(), &script);
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

fn check(file: &Path, out: Option<&Path>, format: MessageFormat, deny_warnings: bool) -> Outcome {
    let out = out.map_or_else(|| crate::build::default_out(file), Path::to_path_buf);
    let previous = crate::write::current_lock(&out);
    match front_end(file, format, deny_warnings, previous.as_ref()) {
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
