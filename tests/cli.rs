//! The command line as a user meets it: exit codes, one-line I/O errors, `init`.

use crate::support::{hlc, hlc_in, root};

#[test]
fn missing_file_is_one_line_and_exit_2() {
    let run = hlc(&["check", "does-not-exist.kdl"]);
    assert_eq!(run.status, 2);
    assert_eq!(run.stderr.trim().lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("does-not-exist.kdl: no such file"), "{}", run.stderr);
}

#[test]
fn directory_is_one_line_and_exit_2() {
    let run = hlc(&["check", "fixtures"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.trim() == "error: fixtures: is a directory, not a homelab.kdl file", "{}", run.stderr);
}

#[test]
fn non_utf8_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.kdl"), b"cluster \"x\" \xff\xfe\n").unwrap();
    let run = hlc_in(dir.path(), &["check", "bad.kdl"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.trim() == "error: bad.kdl: not UTF-8 text (first bad byte at offset 12)", "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(hlc(&[]).status, 2);
    assert_eq!(hlc(&["frobnicate"]).status, 2);
    assert_eq!(hlc(&["--message-format", "xml", "check", "homelab.kdl"]).status, 2);
}

#[test]
fn diagnostics_exit_1_with_a_summary() {
    let run = hlc(&["check", "fixtures/invalid/net-outside-lan.kdl"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.trim_end().ends_with("2 errors, 0 warnings, 0 advice"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn init_writes_a_starter_that_passes_check_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let run = hlc_in(dir.path(), &["init", "lab"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let written = dir.path().join("lab/homelab.kdl");
    assert_eq!(hlc_in(dir.path(), &["check", "lab/homelab.kdl"]).status, 0);
    let starter = std::fs::read_to_string(&written).unwrap();
    assert!(starter.lines().filter(|l| l.trim_start().starts_with("//")).count() >= 5, "the starter is commented");

    std::fs::write(&written, "// mine\n").unwrap();
    let again = hlc_in(dir.path(), &["init", "lab"]);
    assert_eq!(again.status, 2);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "// mine\n");
}

#[test]
fn file_defaults_to_homelab_kdl_for_every_subcommand() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    for args in [vec!["check"], vec!["fmt", "--check"], vec!["graph"], vec!["build"], vec!["diff"]] {
        let run = hlc_in(dir.path(), &args);
        assert_eq!(run.status, 0, "{args:?}: {}", run.stderr);
    }
    let explain = hlc_in(dir.path(), &["explain", "pki/ca.crt"]);
    assert_eq!(explain.status, 0, "{}", explain.stderr);
    assert!(explain.stdout.starts_with("pki/ca.crt\n"), "{}", explain.stdout);
    let both = hlc_in(dir.path(), &["explain", "homelab.kdl", "pki/ca.crt"]);
    assert_eq!(both.stdout, explain.stdout);
    let empty = tempfile::tempdir().unwrap();
    let missing = hlc_in(empty.path(), &["check"]);
    assert_eq!(missing.status, 2, "no homelab.kdl here");
    assert!(missing.stderr.contains("homelab.kdl"), "{}", missing.stderr);
}

#[test]
fn advice_is_shown_by_check_and_on_request_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let check = hlc_in(dir.path(), &["check"]);
    assert!(check.stderr.contains("hlc::lb::strict-arp") && check.stderr.contains("1 advice"), "{}", check.stderr);
    let build = hlc_in(dir.path(), &["build"]);
    assert!(!build.stderr.contains("strict-arp"), "{}", build.stderr);
    let asked = hlc_in(dir.path(), &["--advice", "build"]);
    assert!(asked.stderr.contains("hlc::lb::strict-arp"), "{}", asked.stderr);
    let json = hlc_in(dir.path(), &["--message-format", "json", "check"]);
    let line: serde_json::Value = serde_json::from_str(json.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["severity"], "advice", "named the same in JSON and in the human summary");
}

#[test]
fn json_diagnostics_never_share_stdout_with_a_diff_or_graph() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    for args in
        [vec!["--message-format", "json", "--advice", "diff"], vec!["--message-format", "json", "--advice", "graph"]]
    {
        let run = hlc_in(dir.path(), &args);
        assert!(!run.stdout.contains("\"code\""), "{args:?}: JSON on stdout");
        let json: Vec<serde_json::Value> = run.stderr.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        assert!(json.iter().any(|d| d["code"] == "hlc::lb::strict-arp"), "{args:?}: {}", run.stderr);
    }
    let check = hlc_in(dir.path(), &["--message-format", "json", "check"]);
    assert!(check.stdout.contains("\"code\":\"hlc::lb::strict-arp\""), "check prints JSON on stdout: {}", check.stdout);
}

#[test]
fn fmt_check_shows_the_diff_it_would_apply() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join("homelab.kdl")).unwrap();
    std::fs::write(dir.path().join("homelab.kdl"), text.replacen("cni \"calico\"", "cni   \"calico\"", 1)).unwrap();
    let run = hlc_in(dir.path(), &["fmt", "--check"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    assert!(run.stdout.contains("-cni   \"calico\"") && run.stdout.contains("+cni \"calico\""), "{}", run.stdout);
    assert!(run.stdout.starts_with("--- a/homelab.kdl\n+++ b/homelab.kdl\n"), "{}", run.stdout);
}

#[test]
fn completions_are_generated_for_each_shell_and_name_the_subcommands() {
    for shell in ["bash", "zsh", "fish"] {
        let run = hlc(&["completions", shell]);
        assert_eq!(run.status, 0, "{shell}: {}", run.stderr);
        for command in ["build", "diff", "explain", "completions"] {
            assert!(run.stdout.contains(command), "{shell} completion lacks {command}");
        }
    }
    let unknown = hlc(&["completions", "tcsh"]);
    assert_eq!(unknown.status, 2, "an unknown shell is a usage error");
}
