//! `hlc fmt`: canonical, idempotent, keeps every comment, never changes meaning, and writes
//! nothing on bad input.

use hlc::fmt::{format, layout_free};
use hlc::frontend::check_source;
use hlc::source::Source;

use crate::support::{hlc_in, kdl_files, root, valid_documents};

fn codes(source: &Source) -> Vec<&'static str> {
    check_source(source).diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn root_example_is_formatted() {
    let source = Source::load(&root().join("homelab.kdl")).unwrap();
    assert_eq!(format(&source).unwrap(), *source.text, "run `cargo run -- fmt homelab.kdl`");
}

#[test]
fn formatting_is_idempotent_and_keeps_text_and_meaning() {
    let mut files = valid_documents();
    files.extend(kdl_files("fixtures/invalid").into_iter().filter(|f| !f.ends_with("kdl-syntax.kdl")));
    for path in files {
        let source = Source::load(&root().join(&path)).unwrap();
        let once = format(&source).unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let formatted = source.with_text(once.clone());
        assert_eq!(format(&formatted).unwrap(), once, "{path}: not idempotent");
        assert_eq!(layout_free(&once), layout_free(&source.text), "{path}: text other than layout changed");
        assert_eq!(codes(&formatted), codes(&source), "{path}: diagnostics changed");
    }
}

#[test]
fn every_kind_of_comment_survives() {
    let messy = "// lead\ncluster   \"x\"  { // after brace\n  kubernetes   \"1.36\" // trailing\n\n\n  /* block */ os \"debian-12\"\n  /- timezone \"UTC\"\n  // before close\n} // after close\nnetwork { lan \"10.0.0.0/24\" gateway=\"10.0.0.1\"; pods \"10.1.0.0/16\" }\n// end\n";
    let formatted = format(&Source::from_text("m.kdl", messy)).unwrap();
    let expected = "// lead\ncluster \"x\" { // after brace\n    kubernetes \"1.36\" // trailing\n\n    /* block */\n    os \"debian-12\"\n    /- timezone \"UTC\"\n    // before close\n} // after close\nnetwork {\n    lan \"10.0.0.0/24\" gateway=\"10.0.0.1\"\n    pods \"10.1.0.0/16\"\n}\n// end\n";
    assert_eq!(formatted, expected);
}

#[test]
fn fmt_check_reports_without_writing_and_fmt_writes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("homelab.kdl");
    let messy = "cluster   \"x\" {\nkubernetes \"1.36\"\n}\n";
    std::fs::write(&file, messy).unwrap();
    assert_eq!(hlc_in(dir.path(), &["fmt", "--check", "homelab.kdl"]).status, 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy);
    assert_eq!(hlc_in(dir.path(), &["fmt", "homelab.kdl"]).status, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "cluster \"x\" {\n    kubernetes \"1.36\"\n}\n");
    assert_eq!(hlc_in(dir.path(), &["fmt", "--check", "homelab.kdl"]).status, 0);
}

#[test]
fn fmt_on_a_syntax_error_reports_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("homelab.kdl");
    std::fs::write(&file, "cluster \"x {\n").unwrap();
    let run = hlc_in(dir.path(), &["fmt", "homelab.kdl"]);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("hlc::kdl::syntax"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "cluster \"x {\n");
}
