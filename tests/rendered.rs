//! Snapshots of what the renderers produce for every valid document. Key material and
//! certificates are random on a fresh state, so those files appear by path, mode and secret
//! flag; deterministic files appear whole.

use hlc::build::render_tree;
use hlc::clock::Clock;
use hlc::frontend::check_source;
use hlc::source::Source;
use hlc::state::StateDir;

use crate::support::{root, valid_documents};

/// Files rendered from the model alone (no key material): snapshotted whole.
const WHOLE: &[&str] = &["README.md", ".gitignore"];

/// Replaces base64 key and certificate blobs so a kubeconfig's structure can be reviewed.
fn redact(text: &str) -> String {
    text.lines()
        .map(|line| match line.split_once(": ") {
            Some((key, _)) if key.trim_end().ends_with("-data") => format!("{key}: <redacted>"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
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
        for file in WHOLE.iter().copied().chain(["kubeconfig/admin.conf"]) {
            let body = String::from_utf8(tree[file].bytes.clone()).unwrap();
            text.push_str(&format!("\n# {file}\n{}\n", redact(&body)));
        }
        let name = path.rsplit('/').next().unwrap().trim_end_matches(".kdl").to_string();
        insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false, omit_expression => true}, {
            insta::assert_snapshot!(format!("rendered@{name}"), text);
        });
    }
}
