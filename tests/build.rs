//! The build engine's promises: deterministic output, no-op rebuilds, changes limited to what
//! the graph says depends on the edit, atomic failure, and no secret in a public file.

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use hlc::build::{open_state, render_tree, render_tree_with};
use hlc::clock::Clock;
use hlc::frontend::check_source;
use hlc::plan::{Product, Step, Vertex};
use hlc::source::Source;

use crate::support::{hlc_in, root};

/// Every file under `dir` with its bytes, by relative path.
pub fn snapshot_tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    crate::support::walk(dir).into_iter().map(|p| (p.clone(), std::fs::read(dir.join(&p)).unwrap())).collect()
}

fn mtimes(dir: &Path) -> BTreeMap<String, (i64, i64, u64)> {
    snapshot_tree(dir)
        .into_keys()
        .map(|p| {
            let m = std::fs::metadata(dir.join(&p)).unwrap();
            (p, (m.mtime(), m.mtime_nsec(), m.ino()))
        })
        .collect()
}

fn lab_source(text: &str) -> (Source, hlc::model::Lab) {
    let source = Source::from_text("homelab.kdl", text);
    let lab = check_source(&source).lab.expect("valid lab");
    (source, lab)
}

fn root_example() -> String {
    std::fs::read_to_string(root().join("homelab.kdl")).unwrap()
}

/// Builds `text` into `dir/out` with the state in `dir/state`, through the binary.
fn build_in(dir: &Path, text: &str) -> crate::support::Run {
    std::fs::write(dir.join("homelab.kdl"), text).unwrap();
    hlc_in(dir, &["build", "homelab.kdl", "-o", "out", "--state", "state"])
}

#[test]
fn same_input_and_state_give_identical_trees_and_a_rebuild_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let first = build_in(dir.path(), &root_example());
    assert_eq!(first.status, 0, "{}", first.stderr);
    let other = hlc_in(dir.path(), &["build", "homelab.kdl", "-o", "elsewhere", "--state", "state"]);
    assert_eq!(other.status, 0);
    let a = snapshot_tree(&dir.path().join("out"));
    assert_eq!(a, snapshot_tree(&dir.path().join("elsewhere")), "two builds with one state differ");
    assert!(a.len() > 30 && a.contains_key("hlc.lock"));

    let before = mtimes(&dir.path().join("out"));
    let again = build_in(dir.path(), &root_example());
    assert!(again.stderr.contains(" 0 written, 0 removed"), "{}", again.stderr);
    assert_eq!(mtimes(&dir.path().join("out")), before, "a no-op rebuild touched files");
}

/// Changes one node's IP and asserts that exactly the files the graph says depend on that node
/// changed.
/// Applies `old` → `new` to the root example and returns (changed files, file dependents of
/// `changed_sources` in the graph after the edit).
fn change_and_dependents(changed_sources: &[&str], old: &str, new: &str) -> (Vec<String>, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let state = open_state(&dir.path().join("state")).unwrap();
    let clock = Clock::from_env();
    let before_text = root_example();
    let after_text = before_text.replacen(old, new, 1);
    assert_ne!(before_text, after_text);
    let (source, lab) = lab_source(&before_text);
    let (before, _) = render_tree(&lab, &source, &state, clock).unwrap();
    let (source, lab) = lab_source(&after_text);
    let (after, _) = render_tree(&lab, &source, &state, clock).unwrap();
    let changed: Vec<String> = after.keys().filter(|p| before.get(*p) != after.get(*p)).cloned().collect();

    let plan = hlc::render::plan(&lab).unwrap();
    let mut dependents: Vec<String> = changed_sources
        .iter()
        .flat_map(|source| plan.descendants(source))
        .filter_map(|v| match v {
            Vertex::Step(step) => step.output.as_ref().map(|o| o.path.clone()),
            Vertex::Source(_) => None,
        })
        .collect();
    dependents.sort();
    dependents.dedup();
    assert!(!dependents.is_empty());
    (changed, dependents)
}

/// A value edit changes exactly the files the graph says depend on the edited source.
fn assert_change_matches_graph(changed_sources: &[&str], old: &str, new: &str) {
    let (changed, dependents) = change_and_dependents(changed_sources, old, new);
    assert_eq!(changed, dependents, "changed files differ from the graph's dependents of {changed_sources:?}");
}

#[test]
fn changing_a_workers_ip_changes_only_its_dependents() {
    assert_change_matches_graph(
        &["node \"node4\" nic \"enp1s0\" ip"],
        "ip=\"192.168.110.24\"",
        "ip=\"192.168.110.25\"",
    );
}

#[test]
fn changing_a_control_planes_ip_changes_only_its_dependents() {
    assert_change_matches_graph(
        &["node \"node3\" nic \"enp1s0\" ip"],
        "ip=\"192.168.110.23\"",
        "ip=\"192.168.110.26\"",
    );
}

#[test]
fn renaming_an_interface_changes_only_its_dependents() {
    // A rename changes identities, not values: what changed must be a dependent (certificates
    // that depend on the address's value are rightly reused), and the interface's users change.
    let sources = ["node \"node1\" nic \"eno1\"", "node \"node1\" nic \"eno1\" ip"];
    let (changed, dependents) = change_and_dependents(&sources, "nic \"enp2s0\"", "nic \"eno1\"");
    let unexpected: Vec<&String> = changed.iter().filter(|c| !dependents.contains(c)).collect();
    assert!(unexpected.is_empty(), "changed without depending on the interface: {unexpected:?}");
    for user in [
        "nodes/node1/nocloud/network-config",
        "nodes/node1/etc/kubernetes/manifests/kube-vip.yaml",
        "network/dnsmasq/dhcp-hosts",
    ] {
        assert!(changed.iter().any(|c| c == user), "{user} did not change");
    }
}

#[test]
fn a_failing_step_leaves_the_previous_tree_untouched() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(build_in(dir.path(), &root_example()).status, 0);
    let out = dir.path().join("out");
    let (files, times) = (snapshot_tree(&out), mtimes(&out));

    let changed = root_example().replacen("ip=\"192.168.110.24\"", "ip=\"192.168.110.25\"", 1);
    let (source, lab) = lab_source(&changed);
    let state = open_state(&dir.path().join("state")).unwrap();
    let result = render_tree_with(&lab, &source, &state, Clock::from_env(), |plan| {
        plan.step(Step {
            id: "broken.yaml".into(),
            output: None,
            needs: vec!["README.md".into()],
            produce: Box::new(|_, _| Err(hlc::plan::RenderError::Image("injected failure".into()))),
        })
    });
    let error = result.expect_err("the injected step fails the build").to_string();
    assert!(error.contains("broken.yaml: boot image: injected failure"), "{error}");
    assert_eq!(snapshot_tree(&out), files);
    assert_eq!(mtimes(&out), times);
}

#[test]
fn a_cycle_is_an_internal_error_naming_it() {
    let (_, lab) = lab_source(&root_example());
    let step = |id: &str, need: &str| Step {
        id: id.into(),
        output: None,
        needs: vec![need.into()],
        produce: Box::new(|_, _| Ok(Product::Value(String::new()))),
    };
    let plan = hlc::render::plan_with(&lab, |plan| {
        plan.step(step("a", "b"));
        plan.step(step("b", "a"));
    })
    .unwrap();
    let error = hlc::plan::engine::order(&plan).unwrap_err().to_string();
    assert!(error.contains("dependency cycle: a → b"), "{error}");
}

#[test]
fn no_secret_reaches_a_public_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(build_in(dir.path(), &root_example()).status, 0);
    let out = dir.path().join("out");
    let lock = hlc::write::current_lock(&out).unwrap();
    let token = std::fs::read_to_string(dir.path().join("state/token")).unwrap();
    let mut secrets: Vec<String> = vec![token.trim().to_string()];
    for entry in lock.files.iter().filter(|e| e.secret) {
        let text = String::from_utf8_lossy(&std::fs::read(out.join(&entry.path)).unwrap()).into_owned();
        secrets.extend(secret_material(&text));
        assert_eq!(std::fs::metadata(out.join(&entry.path)).unwrap().mode() & 0o777, 0o600, "{}", entry.path);
    }
    assert!(secrets.len() > 100, "the scan found too little key material to be meaningful");
    let ignore = std::fs::read_to_string(out.join(".gitignore")).unwrap();
    for entry in &lock.files {
        assert_eq!(ignore.contains(&format!("/{}\n", entry.path)), entry.secret, "{} in .gitignore", entry.path);
        if entry.secret {
            continue;
        }
        let text = String::from_utf8_lossy(&std::fs::read(out.join(&entry.path)).unwrap()).into_owned();
        assert!(!text.contains("PRIVATE KEY"), "{} holds a private key", entry.path);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{} leaks secret material", entry.path);
        }
    }
    assert!(lock.files.iter().any(|e| e.secret && e.path == "pki/ca.key"));
    assert!(lock.files.iter().filter(|e| e.secret).count() >= 15);
}

#[test]
fn files_no_longer_built_are_removed_and_foreign_files_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(build_in(dir.path(), &root_example()).status, 0);
    let out = dir.path().join("out");
    std::fs::write(out.join("NOTES.md"), "mine").unwrap();
    std::fs::create_dir_all(out.join("nodes/node3/extra")).unwrap();
    std::fs::write(out.join("nodes/node3/extra/keep.txt"), "also mine").unwrap();
    let foreign_inode = std::fs::metadata(out.join("NOTES.md")).unwrap().ino();
    // The CA does not depend on node3's role: the rebuild must keep its file as it is.
    let ca_inode = std::fs::metadata(out.join("pki/ca.crt")).unwrap().ino();

    let demoted = root_example().replacen(
        "node \"node3\" hardware=\"eq12\" role=\"control-plane\"",
        "node \"node3\" hardware=\"eq12\"",
        1,
    );
    let run = build_in(dir.path(), &demoted);
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert!(!out.join("nodes/node3/etc/kubernetes/pki/etcd/server.crt").exists());
    assert!(!out.join("nodes/node3/etc/kubernetes/scheduler.conf").exists());
    assert_eq!(std::fs::read_to_string(out.join("NOTES.md")).unwrap(), "mine");
    assert_eq!(std::fs::metadata(out.join("NOTES.md")).unwrap().ino(), foreign_inode);
    assert_eq!(std::fs::metadata(out.join("pki/ca.crt")).unwrap().ino(), ca_inode, "an unchanged file was rewritten");
    assert_eq!(std::fs::read_to_string(out.join("nodes/node3/extra/keep.txt")).unwrap(), "also mine");
}

#[test]
fn bad_input_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let broken = root_example().replacen("ip=\"192.168.110.24\"", "ip=\"192.168.111.24\"", 1);
    let run = build_in(dir.path(), &broken);
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("hlc::net::outside-lan"));
    assert!(!dir.path().join("out").exists());
    assert!(!dir.path().join("state").exists());
}

/// The secret material in a file: private-key PEM bodies and kubeconfigs' embedded keys.
fn secret_material(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_key = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("-----BEGIN") {
            in_key = line.contains("PRIVATE KEY");
        } else if line.starts_with("-----END") {
            in_key = false;
        } else if in_key && line.len() >= 16 {
            found.push(line.to_string());
        }
        if let Some(value) = line.strip_prefix("client-key-data: ") {
            found.push(value.to_string());
        }
    }
    found
}

#[test]
fn every_commentable_file_names_hlc_and_its_kdl_nodes() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(build_in(dir.path(), &root_example()).status, 0);
    let out = dir.path().join("out");
    let lock = hlc::write::current_lock(&out).unwrap();
    let mut checked = 0;
    for entry in lock.files.iter().filter(|e| !e.path.ends_with(".iso") && !e.path.ends_with(".img")) {
        let text = std::fs::read_to_string(out.join(&entry.path)).unwrap();
        // PEM files, the token file and the dnsmasq data files have no comment syntax to speak of.
        if text.starts_with("-----BEGIN") || entry.path.ends_with("bootstrap-token") || entry.path == ".gitignore" {
            continue;
        }
        let header = text
            .lines()
            .take(3)
            .find(|l| l.contains("Generated by hlc"))
            .unwrap_or_else(|| panic!("{}: no hlc header", entry.path));
        assert!(!header.contains("from defaults"), "{}: {header}", entry.path);
        assert!(
            !header.contains(dir.path().to_str().unwrap()) && !header.contains("homelab.kdl:"),
            "{}: {header}",
            entry.path
        );
        checked += 1;
    }
    assert!(checked > 80, "only {checked} files checked");
}
