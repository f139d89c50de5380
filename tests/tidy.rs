//! House rules checked as tests: every source file opens with a module doc line; renderers
//! import only the model, the plan API and leaf helpers, read NICs only through `NodeRef`, and no
//! module of `src/` imports one that imports it back.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::support::root;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_has_a_module_doc() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    rust_files(&root().join("tests"), &mut files);
    let undocumented: Vec<_> = files
        .iter()
        .filter(|f| !std::fs::read_to_string(f).unwrap().starts_with("//!"))
        .map(|f| f.strip_prefix(root()).unwrap().display().to_string())
        .collect();
    assert!(undocumented.is_empty(), "files without a `//!` module doc: {undocumented:?}");
}

/// The module a file of `src/` is: `render::cni` for `src/render/cni.rs`, `plan` for
/// `src/plan/mod.rs`.
fn module_of(file: &Path) -> String {
    let relative = file.strip_prefix(root().join("src")).unwrap().with_extension("");
    let parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let parts = match parts.last().map(String::as_str) {
        Some("mod") => &parts[..parts.len() - 1],
        _ => &parts[..],
    };
    parts.join("::")
}

/// The modules of `src/` a file's code names (`crate::a::b`, `super::b`), outside its tests.
fn imports(file: &Path, module: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let code = text.split("#[cfg(test)]").next().unwrap();
    let parent = module.rsplit_once("::").map_or("", |(p, _)| p);
    let is_mod_rs = file.ends_with("mod.rs");
    let mut found = BTreeSet::new();
    let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':')).collect();
    for word in words {
        let path = if let Some(rest) = word.strip_prefix("crate::") {
            rest.to_string()
        } else if let Some(rest) = word.strip_prefix("super::") {
            let base = if is_mod_rs { module.rsplit_once("::").map_or("", |(p, _)| p) } else { parent };
            if base.is_empty() {
                rest.to_string()
            } else {
                format!("{base}::{rest}")
            }
        } else {
            continue;
        };
        // The longest module that prefixes the path.
        let segments: Vec<&str> = path.split("::").collect();
        let named =
            (1..=segments.len()).rev().map(|n| segments[..n].join("::")).find(|m| modules.contains(m) && m != module);
        found.extend(named);
    }
    found
}

fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(f)).collect();
    files
        .iter()
        .filter(|f| !f.ends_with("main.rs") && !f.ends_with("lib.rs"))
        .map(|f| {
            let module = module_of(f);
            let imports = imports(f, &module, &modules);
            (module, imports)
        })
        .collect()
}

/// The modules `start` reaches through imports.
fn reachable(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut stack = vec![start.to_string()];
    while let Some(module) = stack.pop() {
        for next in graph.get(&module).into_iter().flatten() {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let graph = import_graph();
    let mut cycles = BTreeSet::new();
    for module in graph.keys() {
        let from_here = reachable(&graph, module);
        if from_here.contains(module) {
            let members: Vec<&String> =
                from_here.iter().filter(|other| reachable(&graph, other).contains(module)).collect();
            cycles.insert(format!("{members:?}"));
        }
    }
    assert!(cycles.is_empty(), "import cycles (each a set of modules that reach each other): {cycles:#?}");
}

/// What a renderer may import: the model, the plan API, the PKI specs and other render modules
/// (leaf helpers such as `yaml`, `charts`, `components`).
const RENDERER_IMPORTS: &[&str] = &["model", "plan", "plan::reads", "plan::engine", "pki", "diagnostic"];

#[test]
fn renderers_import_only_the_model_the_plan_api_and_leaf_helpers() {
    let graph = import_graph();
    let mut wrong = Vec::new();
    for (module, imports) in graph.iter().filter(|(m, _)| m.starts_with("render::")) {
        for import in imports {
            let allowed = import.starts_with("render::")
                || import.starts_with("model")
                || import.starts_with("pki")
                || RENDERER_IMPORTS.contains(&import.as_str());
            if !allowed {
                wrong.push(format!("{module} imports {import}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// Whether `line` has `word` as a whole word (not part of `LabReader`).
fn names_word(line: &str, word: &str) -> bool {
    let is_word_char = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + word.len()..].chars().next();
        !before.is_some_and(is_word_char) && !after.is_some_and(is_word_char)
    })
}

/// Renderers read the model through `LabReader`/`NodeRef`, which record what they read: never
/// `Lab` itself, and a node's NICs only through `NodeRef`'s methods.
#[test]
fn renderers_read_the_model_only_through_the_recording_reader() {
    let mut files = Vec::new();
    rust_files(&root().join("src/render"), &mut files);
    let mut wrong = Vec::new();
    for file in files.iter().filter(|f| !f.ends_with("mod.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap();
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        for (number, line) in code.lines().enumerate().filter(|(_, l)| !l.trim_start().starts_with("//")) {
            let bare_nics = line.contains(".nics") && !line.contains(".nics()");
            let lab = names_word(line, "Lab");
            if bare_nics || lab {
                wrong.push(format!("{name}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "reads that bypass LabReader:\n{}", wrong.join("\n"));
}
