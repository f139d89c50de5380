//! Snapshots of every renderer's output for every valid document: one snapshot per document with
//! every generated file. Keys, certificates, CA pins, tokens and the digests derived from them
//! are random on a fresh state, so they are redacted; everything else is shown as rendered.

use hlc::build::render_tree;
use hlc::clock::Clock;
use hlc::frontend::check_source;
use hlc::source::Source;
use hlc::state::StateDir;

use crate::support::{root, valid_documents};

/// Replaces PEM blocks, embedded base64 credentials, CA pins, bootstrap tokens and instance-id
/// digests with placeholders.
fn redact(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_pem = false;
    for line in text.lines() {
        let trimmed = line.trim_start();
        if in_pem {
            in_pem = !trimmed.starts_with("-----END");
            continue;
        }
        if trimmed.starts_with("-----BEGIN") {
            out.push(format!("{}<pem>", &line[..line.len() - trimmed.len()]));
            in_pem = !trimmed.contains("-----END");
            continue;
        }
        let line = match line.split_once(": ") {
            Some((key, _)) if key.trim_end().ends_with("-data") => format!("{key}: <redacted>"),
            Some((key, value)) if key.trim() == "instance-id" => {
                format!("{key}: {}-<digest>", value.rsplit_once('-').unwrap().0)
            }
            _ => line.to_string(),
        };
        out.push(redact_words(&line));
    }
    out.join("\n")
}

/// `sha256:<64 hex>` → `sha256:<ca-pin>`; `[a-z0-9]{6}.[a-z0-9]{16}` → `<token>`.
fn redact_words(line: &str) -> String {
    let is_token = |w: &str| {
        w.split_once('.').is_some_and(|(a, b)| a.len() == 6 && b.len() == 16 && hlc::pki::is_bootstrap_token(w))
    };
    line.split(' ')
        .map(|word| {
            if let Some(hex) = word.trim_start_matches("- ").strip_prefix("sha256:") {
                if hex.len() == 64 {
                    return "sha256:<ca-pin>".to_string();
                }
            }
            if is_token(word) {
                return "<token>".to_string();
            }
            word.to_string()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn rendered_trees() {
    for path in valid_documents() {
        let source = Source::load(&root().join(&path)).unwrap();
        let lab = check_source(&source).lab.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::open_read_only(dir.path());
        let (tree, _) = render_tree(&lab, &source, &state, Clock::at(1_767_225_600)).unwrap();
        let mut text = String::from("# files\n");
        for (file, content) in &tree {
            text.push_str(&format!(
                "{:04o} {} {file}\n",
                content.mode,
                if content.secret { "secret" } else { "public" }
            ));
        }
        for (file, content) in &tree {
            if file.ends_with(".iso") || file.ends_with(".img") {
                continue; // binary boot media: tests/media.rs checks them against the seed
            }
            let body = String::from_utf8(content.bytes.clone()).unwrap();
            let kubeconfig = file.ends_with(".conf") && body.contains("client-key-data");
            let credential = body.trim_start().starts_with("-----BEGIN") || file.ends_with("bootstrap-token");
            if credential || (kubeconfig && file != "kubeconfig/admin.conf") {
                continue;
            }
            text.push_str(&format!("\n### {file}\n{}\n", redact(&body)));
        }
        let name = path.rsplit('/').next().unwrap().trim_end_matches(".kdl").to_string();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("rendered@{name}"), text);
        });
    }
}

#[test]
fn redaction_hides_only_random_material() {
    let text = "a: 1\n  -----BEGIN CERTIFICATE-----\n  QUJD\n  -----END CERTIFICATE-----\ntoken: abcdef.0123456789abcdef\n- sha256:0000000000000000000000000000000000000000000000000000000000000000\ninstance-id: n1-0123456789abcdef\n";
    assert_eq!(redact(text), "a: 1\n  <pem>\ntoken: <token>\n- sha256:<ca-pin>\ninstance-id: n1-<digest>");
}
