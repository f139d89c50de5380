//! The command line as a user meets it: exit codes, one-line I/O errors, `init`.

use crate::support::{hlc, hlc_in};

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
    assert!(run.stderr.trim_end().ends_with("2 errors, 0 warnings, 0 notes"), "{}", run.stderr);
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
