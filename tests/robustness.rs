//! Property tests: no input, however broken, makes the front end or the formatter panic.

use hlc::frontend::check_source;
use hlc::source::Source;
use proptest::prelude::*;

use crate::support::{root, valid_documents};

/// Runs everything `hlc check` and `hlc fmt` run on `text`; panics are the failure.
fn exercise(text: String) {
    let source = Source::from_text("fuzz.kdl", text);
    let checked = check_source(&source);
    for diagnostic in &checked.diagnostics {
        let _ = hlc::diagnostic::render_json(diagnostic, &source);
    }
    let _ = hlc::diagnostic::render_human(&checked.diagnostics, &source, false);
    if let Ok(formatted) = hlc::fmt::format(&source) {
        let again = check_source(&Source::from_text("fuzz.kdl", formatted));
        assert_eq!(again.diagnostics.len(), checked.diagnostics.len(), "fmt changed what check reports");
    }
}

/// Pieces that are likely to matter to the parser and lowering.
const TOKENS: &[&str] = &[
    "\"",
    "{",
    "}",
    "=",
    ";",
    "\n",
    "/-",
    "//",
    "/*",
    "#true",
    "#null",
    "0",
    "-1",
    "99999999999999999999",
    "1.5",
    "\"1.2.3.4\"",
    "\"10.0.0.0/8\"",
    "ip=",
    "role=",
    "node",
    "nic",
    "cluster",
    "network",
    "vip",
    "\"a-b\"",
    "é",
    "\\",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    DuplicateLine(usize),
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_string();
    for edit in edits {
        let at = |i: usize| {
            let mut i = i % (text.len() + 1);
            while !text.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        match *edit {
            Edit::Delete(start, len) => {
                let start = at(start);
                let end = at(start + len % 40).max(start);
                text.replace_range(start..end, "");
            }
            Edit::Insert(position, token) => {
                let position = at(position);
                text.insert_str(position, TOKENS[token % TOKENS.len()]);
            }
            Edit::DuplicateLine(line) => {
                let lines: Vec<&str> = text.lines().collect();
                if !lines.is_empty() {
                    let line = lines[line % lines.len()].to_string();
                    text.push_str(&format!("\n{line}\n"));
                }
            }
        }
    }
    text
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        any::<usize>().prop_map(Edit::DuplicateLine),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        exercise(String::from_utf8_lossy(&bytes).into_owned());
    }

    #[test]
    fn mutated_valid_files_never_panic(file in 0usize..64, edits in proptest::collection::vec(edit(), 1..6)) {
        let documents = valid_documents();
        let path = &documents[file % documents.len()];
        let text = std::fs::read_to_string(root().join(path)).unwrap();
        exercise(apply(&text, &edits));
    }
}
