//! The state directory is the cluster's identity: a build or diff never mints a new CA over a
//! tree that records another one (unless `--new-pki`), writes nothing when it refuses, and the
//! state is kept out of git by `hlc init`'s `.gitignore` (or a warning says it is not).

use std::path::Path;

use crate::support::{hlc_in, root, walk};

fn build(dir: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec!["build", "homelab.kdl"];
    args.extend(extra);
    hlc_in(dir, &args)
}

fn lab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let run = build(dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    dir
}

/// Every file under `dir` with its bytes.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    walk(dir).into_iter().map(|p| (p.clone(), std::fs::read(dir.join(&p)).unwrap())).collect()
}

#[test]
fn the_lock_records_the_cluster_identity() {
    let dir = lab();
    let lock = hlc::write::current_lock(&dir.path().join("out")).unwrap();
    assert_eq!(lock.identity.len(), 3, "{:?}", lock.identity);
    let ca = std::fs::read(dir.path().join("homelab.state/pki/ca.crt")).unwrap();
    let (ok, openssl) = crate::support::run_tool(
        "openssl",
        &["x509", "-noout", "-fingerprint", "-sha256", "-in", "homelab.state/pki/ca.crt"],
        dir.path(),
    );
    assert!(ok);
    assert!(openssl.contains(&lock.identity[0].sha256), "openssl: {openssl} lock: {:?}", lock.identity[0]);
    assert_eq!(hlc::identity::fingerprint(&ca).unwrap(), lock.identity[0].sha256);
}

#[test]
fn a_missing_state_stops_build_and_diff_and_writes_nothing() {
    let dir = lab();
    std::fs::rename(dir.path().join("homelab.state"), dir.path().join("backup.state")).unwrap();
    let before = contents(dir.path());
    for command in ["build", "diff"] {
        let run = hlc_in(dir.path(), &[command, "homelab.kdl"]);
        assert_eq!(run.status, 1, "{command}: {}", run.stderr);
        assert!(run.stderr.contains("hlc::state::identity"), "{command}: {}", run.stderr);
        assert!(run.stderr.contains("holds no CA"), "{}", run.stderr);
        assert!(run.stderr.contains("--new-pki"), "{}", run.stderr);
        assert_eq!(contents(dir.path()), before, "{command} wrote something");
    }
    std::fs::rename(dir.path().join("backup.state"), dir.path().join("homelab.state")).unwrap();
    let run = build(dir.path(), &[]);
    assert_eq!(run.status, 0, "restored state builds: {}", run.stderr);
    assert!(run.stderr.contains(" 0 written, 0 removed"), "{}", run.stderr);
}

#[test]
fn another_labs_state_is_refused_and_new_pki_starts_over() {
    let dir = lab();
    let other = lab();
    let before = contents(dir.path());
    let foreign = other.path().join("homelab.state").display().to_string();
    let run = build(dir.path(), &["--state", &foreign]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stderr.contains("another CA"), "{}", run.stderr);
    assert_eq!(contents(dir.path()), before);

    let old = hlc::write::current_lock(&dir.path().join("out")).unwrap();
    std::fs::remove_dir_all(dir.path().join("homelab.state")).unwrap();
    let diff = hlc_in(dir.path(), &["diff", "homelab.kdl", "--new-pki"]);
    assert!(diff.stdout.contains("new PKI: the kubernetes CA changes: SHA-256 "), "{}", diff.stdout);
    assert!(!dir.path().join("homelab.state").exists(), "diff never writes the state");
    let run = build(dir.path(), &["--new-pki"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let new = hlc::write::current_lock(&dir.path().join("out")).unwrap();
    assert_ne!(new.identity[0].sha256, old.identity[0].sha256, "a new CA");
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new("git").args(args).current_dir(dir).output().unwrap();
    assert!(output.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn init_keeps_the_state_out_of_git() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    assert_eq!(hlc_in(dir.path(), &["init"]).status, 0);
    let run = build(dir.path(), &[]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!run.stderr.contains("hlc::state::not-ignored"), "{}", run.stderr);
    let status = git(dir.path(), &["status", "--porcelain", "--untracked-files=all"]);
    assert!(!status.contains(".state/"), "{status}");
    assert!(status.contains("out/pki/ca.crt") && !status.contains(".key"), "{status}");
}

#[test]
fn a_state_git_would_commit_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let run = build(dir.path(), &[]);
    assert_eq!(run.status, 0, "a warning does not fail the build: {}", run.stderr);
    assert!(run.stderr.contains("hlc::state::not-ignored"), "{}", run.stderr);
    let outside = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), outside.path().join("homelab.kdl")).unwrap();
    let run = build(outside.path(), &[]);
    assert!(!run.stderr.contains("hlc::state::not-ignored"), "no git, no warning: {}", run.stderr);
}
