//! Every valid document passes `hlc check` with no error, through the real binary.

use crate::support::{hlc, valid_documents};

#[test]
fn valid_documents_pass_check() {
    let documents = valid_documents();
    assert!(documents.len() >= 7, "expected the root example and the valid fixtures, found {documents:?}");
    for path in documents {
        let run = hlc(&["--message-format", "json", "check", &path]);
        assert_eq!(run.status, 0, "{path}:\n{}{}", run.stdout, run.stderr);
        for line in run.stdout.lines() {
            let diagnostic: serde_json::Value = serde_json::from_str(line).unwrap();
            assert_ne!(diagnostic["severity"], "error", "{path}: {line}");
        }
    }
}

#[test]
fn root_example_is_clean() {
    // The default example shows nothing but the strictARP note it documents.
    let run = hlc(&["--message-format", "json", "check", "homelab.kdl"]);
    let codes: Vec<String> =
        run.stdout.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["code"].to_string()).collect();
    assert_eq!(codes, vec!["\"hlc::lb::strict-arp\""]);
}
