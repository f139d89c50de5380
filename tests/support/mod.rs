//! Shared helpers: running the real `hlc` binary and finding fixtures.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of `hlc` did.
pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the built `hlc` with `args` in the repository root.
pub fn hlc(args: &[&str]) -> Run {
    hlc_in(&root(), args)
}

pub fn hlc_in(dir: &Path, args: &[&str]) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_hlc")).args(args).current_dir(dir).output().expect("hlc runs");
    Run {
        status: output.status.code().expect("hlc exits normally"),
        stdout: String::from_utf8(output.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(output.stderr).expect("utf-8 stderr"),
    }
}

/// `.kdl` files in `dir` (relative to the root), sorted, as root-relative paths.
pub fn kdl_files(dir: &str) -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "kdl"))
        .map(|path| format!("{dir}/{}", path.file_name().unwrap().to_string_lossy()))
        .collect();
    files.sort();
    files
}

/// Every document that must build: the root example, the valid fixtures and the spec's examples.
pub fn valid_documents() -> Vec<String> {
    let mut files = vec!["homelab.kdl".to_string()];
    files.extend(kdl_files("fixtures/valid"));
    if root().join("../shared/spec/examples").is_dir() {
        files.extend(kdl_files("../shared/spec/examples"));
    }
    files
}

/// The venv `install-validators.sh` puts the PyPI tools in (searched before `PATH`).
pub fn validators_bin() -> PathBuf {
    let base = std::env::var_os("HLC_VALIDATORS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache/hlc-validators"));
    base.join("venv/bin")
}

/// The path of an external validator, or a failure saying how to install it: our own venv
/// first, then `PATH`.
pub fn tool(name: &str) -> PathBuf {
    let found = std::iter::once(validators_bin())
        .chain(std::env::var_os("PATH").into_iter().flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>()))
        .map(|dir| dir.join(name))
        .find(|path| path.is_file());
    found.unwrap_or_else(|| panic!("`{name}` is not installed: run `bash tests/support/install-validators.sh`"))
}

/// Runs an external tool; returns (success, stdout, stderr) apart, for output that is parsed.
pub fn run_tool_split(name: &str, args: &[&str], dir: &Path) -> (bool, String, String) {
    let output = Command::new(tool(name)).args(args).current_dir(dir).output().expect("tool runs");
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    (output.status.success(), text(&output.stdout), text(&output.stderr))
}

/// Runs an external tool; returns (success, stdout + stderr), for messages (never parse it).
pub fn run_tool(name: &str, args: &[&str], dir: &Path) -> (bool, String) {
    let output = Command::new(tool(name)).args(args).current_dir(dir).output().expect("tool runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// Copies the document at `input` (root-relative) into `dir` as `homelab.kdl`, with the files it
/// names: a fixture keeps them in the directory named after it (`cilium.kdl` → `cilium/`).
pub fn copy_document(input: &str, dir: &Path) {
    let input = root().join(input);
    std::fs::copy(&input, dir.join("homelab.kdl")).unwrap();
    let stem = input.file_stem().unwrap();
    let beside = input.with_file_name(stem);
    if beside.is_dir() {
        copy_tree(&beside, &dir.join(stem));
    }
}

/// Copies the directory tree `from` to `to`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        } else {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

/// Builds the document at `input` (root-relative) into a fresh temporary directory
/// (`out/`, `state/`) through the binary.
pub fn build_fixture(input: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_document(input, dir.path());
    let run = hlc_in(dir.path(), &["build", "homelab.kdl", "-o", "out", "--state", "state"]);
    assert_eq!(run.status, 0, "{input}: {}", run.stderr);
    dir
}

/// Builds each valid document once per test run and shares the tree (RSA fixtures are slow).
pub fn built(input: &str) -> PathBuf {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<BTreeMap<String, &'static tempfile::TempDir>>> = OnceLock::new();
    let mut built = BUILT.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    let dir = built.entry(input.to_string()).or_insert_with(|| Box::leak(Box::new(build_fixture(input))));
    dir.path().to_path_buf()
}

/// Every file below `dir`, as sorted paths relative to it.
pub fn walk(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_string_lossy().into_owned());
            }
        }
    }
    found.sort();
    found
}

/// Files below `out` whose path ends with `suffix`, relative to `out`.
pub fn tree_files(out: &Path, suffix: &str) -> Vec<String> {
    walk(out).into_iter().filter(|p| p.ends_with(suffix)).collect()
}

/// Runs check-jsonschema once per schema over its documents; returns the failures' output.
pub fn check_schemas<S: AsRef<Path>>(by_schema: &std::collections::BTreeMap<S, Vec<PathBuf>>) -> Vec<String> {
    let mut failures = Vec::new();
    for (schema, files) in by_schema {
        let mut args = vec!["--schemafile".to_string(), schema.as_ref().display().to_string()];
        args.extend(files.iter().map(|f| f.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, text) = run_tool("check-jsonschema", &args, &root());
        if !ok {
            failures.push(format!("{}: {text}", schema.as_ref().display()));
        }
    }
    failures
}
