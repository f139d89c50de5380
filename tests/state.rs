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

/// An age key pair written as files: (identity file, recipient).
fn age_key(dir: &Path, name: &str) -> (std::path::PathBuf, String) {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    let path = dir.join(name);
    std::fs::write(&path, format!("{}\n", identity.to_string().expose_secret())).unwrap();
    (path, identity.to_public().to_string())
}

#[test]
fn state_export_import_round_trips_and_reexport_is_a_no_op() {
    let dir = lab();
    let keys = tempfile::tempdir().unwrap();
    let (identity, recipient) = age_key(keys.path(), "me.txt");
    let export = |dir: &Path| hlc_in(dir, &["state", "export", "state.age.toml", "--recipient", &recipient]);
    let run = export(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let first = std::fs::read_to_string(dir.path().join("state.age.toml")).unwrap();
    assert!(first.contains("-----BEGIN AGE ENCRYPTED FILE-----") && !first.contains("PRIVATE KEY"));
    let token = std::fs::read_to_string(dir.path().join("homelab.state/token")).unwrap();
    assert!(!first.contains(token.trim()), "the token is encrypted");

    let again = export(dir.path());
    assert!(again.stderr.contains(": 0 file(s) encrypted anew"), "{}", again.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("state.age.toml")).unwrap(),
        first,
        "unchanged state, same bytes"
    );

    // One secret changes: only its entry changes in the export.
    std::fs::write(dir.path().join("homelab.state/token"), "abcdef.0123456789abcdef\n").unwrap();
    let changed = export(dir.path());
    assert!(changed.stderr.contains(": 1 file(s) encrypted anew"), "{}", changed.stderr);
    std::fs::write(dir.path().join("homelab.state/token"), &token).unwrap();
    export(dir.path());

    let before = contents(&dir.path().join("homelab.state"));
    let restored = dir.path().join("restored.state");
    let run = hlc_in(
        dir.path(),
        &[
            "state",
            "import",
            "state.age.toml",
            "--identity",
            &identity.display().to_string(),
            "--state",
            "restored.state",
        ],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(contents(&restored), before, "byte-identical state");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&restored).unwrap().permissions().mode() & 0o777, 0o700);
    assert_eq!(std::fs::metadata(restored.join("pki/ca.key")).unwrap().permissions().mode() & 0o777, 0o600);
}

#[test]
fn a_wrong_identity_restores_nothing() {
    let dir = lab();
    let keys = tempfile::tempdir().unwrap();
    let (_, recipient) = age_key(keys.path(), "me.txt");
    let (stranger, _) = age_key(keys.path(), "stranger.txt");
    assert_eq!(hlc_in(dir.path(), &["state", "export", "s.toml", "--recipient", &recipient]).status, 0);
    let run = hlc_in(
        dir.path(),
        &["state", "import", "s.toml", "--identity", &stranger.display().to_string(), "--state", "new.state"],
    );
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("cannot decrypt"), "{}", run.stderr);
    assert!(!dir.path().join("new.state").exists(), "nothing written");
    let other = hlc_in(dir.path(), &["state", "import", "s.toml", "--identity", &stranger.display().to_string()]);
    assert_eq!(other.status, 2, "never over an existing state");
}

#[test]
fn ssh_keys_work_as_recipient_and_identity() {
    let dir = lab();
    let keys = tempfile::tempdir().unwrap();
    let key = keys.path().join("id_ed25519");
    let status = std::process::Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "ops@laptop", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen (openssh-client) is installed");
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let run = hlc_in(dir.path(), &["state", "export", "s.toml", "--recipient", public.trim()]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let run = hlc_in(
        dir.path(),
        &["state", "import", "s.toml", "--identity", &key.display().to_string(), "--state", "back.state"],
    );
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(contents(&dir.path().join("back.state")), contents(&dir.path().join("homelab.state")));
}

/// No command prints private-key material or the token, on stdout or stderr.
#[test]
fn no_command_prints_key_material() {
    let dir = lab();
    let keys = tempfile::tempdir().unwrap();
    let (_, recipient) = age_key(keys.path(), "me.txt");
    let mut secrets: Vec<String> = Vec::new();
    for path in walk(&dir.path().join("homelab.state")) {
        let body = std::fs::read_to_string(dir.path().join("homelab.state").join(&path)).unwrap();
        if path == "token" {
            secrets.push(body.trim().to_string());
        } else if body.contains("PRIVATE KEY") {
            secrets.extend(body.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from));
        }
    }
    assert!(secrets.len() > 20);
    let commands: [&[&str]; 8] = [
        &["check"],
        &["--advice", "build"],
        &["diff"],
        &["graph"],
        &["graph", "--format", "mermaid"],
        &["explain", "pki/ca.key"],
        &["fmt", "--check"],
        &["state", "export", "s.toml", "--recipient", &recipient],
    ];
    for args in commands {
        let run = hlc_in(dir.path(), args);
        for secret in &secrets {
            assert!(!run.stdout.contains(secret.as_str()) && !run.stderr.contains(secret.as_str()), "{args:?}");
        }
    }
}
