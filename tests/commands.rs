//! `hlc graph`, `hlc explain` and `hlc diff` as a user runs them.

use crate::support::{hlc_in, root};

fn lab_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    dir
}

#[test]
fn graph_prints_dot_and_mermaid() {
    let dir = lab_dir();
    let dot = hlc_in(dir.path(), &["graph", "homelab.kdl"]);
    assert_eq!(dot.status, 0, "{}", dot.stderr);
    assert!(dot.stdout.starts_with("digraph hlc {"));
    assert!(
        dot.stdout.contains("\"state:pki/ca\" -> \"state:pki/apiserver\";"),
        "the apiserver certificate needs the CA"
    );
    assert!(dot.stdout.contains("\"node \\\"node1\\\"\" [shape=box];"));
    assert!(dot.stdout.contains("\"hardware \\\"eq12\\\"\" -> \"node \\\"node2\\\"\";"));
    let mermaid = hlc_in(dir.path(), &["graph", "homelab.kdl", "--format", "mermaid"]);
    assert!(mermaid.stdout.starts_with("flowchart LR\n") && mermaid.stdout.contains(" --> "));
    assert!(!dir.path().join("out").exists() && !dir.path().join("homelab.state").exists(), "graph writes nothing");
}

#[test]
fn explain_names_kdl_nodes_with_lines_and_steps() {
    let dir = lab_dir();
    let run = hlc_in(dir.path(), &["explain", "homelab.kdl", "out/pki/apiserver.crt"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let text = std::fs::read_to_string(root().join("homelab.kdl")).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.starts_with(needle)).unwrap() + 1;
    assert!(
        run.stdout.contains(&format!("  node \"node3\" (homelab.kdl:{})", line_of("node \"node3\""))),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!("  network (homelab.kdl:{})", line_of("network {"))), "{}", run.stdout);
    assert!(run.stdout.contains("  hardware \"eq12\""), "a node's profile is a source too: {}", run.stdout);
    // Every node's role is (the topology: which nodes are control planes), a worker's address not.
    assert!(run.stdout.contains("  node \"node4\""), "{}", run.stdout);
    assert!(!run.stdout.contains("node \"node4\" nic"), "a worker's address is not behind the apiserver certificate");
    assert!(run.stdout.contains("through steps:\n  state:pki/apiserver\n  state:pki/ca\n"), "{}", run.stdout);
    assert!(run.stdout.contains("rendered by: src/render/pki.rs\n"), "{}", run.stdout);
    let values = hlc_in(dir.path(), &["explain", "homelab.kdl", "cluster/helm-values/metallb.yaml"]);
    assert!(values.stdout.contains("rendered by: src/render/load_balancer.rs\n"), "{}", values.stdout);
    let missing = hlc_in(dir.path(), &["explain", "homelab.kdl", "pki/nope.crt"]);
    assert_eq!(missing.status, 2);
}

#[test]
fn diff_shows_public_changes_names_secret_ones_and_writes_nothing() {
    let dir = lab_dir();
    assert_eq!(hlc_in(dir.path(), &["build", "homelab.kdl"]).status, 0);
    let clean = hlc_in(dir.path(), &["diff", "homelab.kdl"]);
    assert_eq!((clean.status, clean.stdout.as_str()), (0, ""), "{}", clean.stderr);

    let text = std::fs::read_to_string(dir.path().join("homelab.kdl")).unwrap();
    std::fs::write(
        dir.path().join("homelab.kdl"),
        text.replacen("name=\"k8s.home.arpa\"", "name=\"api.home.arpa\"", 1),
    )
    .unwrap();
    let state_before = crate::build::snapshot_tree(&dir.path().join("homelab.state"));
    let out_before = crate::build::snapshot_tree(&dir.path().join("out"));
    let run = hlc_in(dir.path(), &["diff", "homelab.kdl"]);
    assert_eq!(run.status, 3, "a pending change exits 3, never the diagnostics code: {}", run.stderr);
    assert!(
        run.stderr.contains(": 4 changed, 0 added, 0 removed") || run.stderr.contains(" changed, 0 added, 0 removed"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.contains("certificate pki/apiserver.crt:\n"), "{}", run.stdout);
    assert!(run.stdout.contains("DNS:k8s.home.arpa") && run.stdout.contains("DNS:api.home.arpa"), "{}", run.stdout);
    let sans = run.stdout.lines().find(|l| l.trim_start().starts_with("SANs: ")).unwrap();
    assert!(sans.contains(" -> "), "the SAN change, old -> new: {sans}");
    assert!(run.stdout.lines().any(|l| l.trim_start().starts_with("SHA-256: ")), "a new fingerprint");
    assert!(!run.stdout.contains("BEGIN CERTIFICATE") && !run.stdout.contains("-----"), "no PEM in the diff");
    assert!(!run.stdout.contains("subject: "), "an unchanged subject is not repeated");
    assert!(run.stdout.contains("-| control-plane VIP | 192.168.110.20:6443 (k8s.home.arpa) |"), "{}", run.stdout);
    assert!(run.stdout.contains("+| control-plane VIP | 192.168.110.20:6443 (api.home.arpa) |"), "{}", run.stdout);
    assert!(run.stdout.contains("secret changed: pki/apiserver.key\n"), "{}", run.stdout);
    assert!(!run.stdout.contains("PRIVATE KEY"));
    assert_eq!(crate::build::snapshot_tree(&dir.path().join("homelab.state")), state_before, "diff wrote to the state");
    assert_eq!(crate::build::snapshot_tree(&dir.path().join("out")), out_before, "diff wrote to the tree");
}

/// A kubeconfig change shows as its server, user and CA; no diff line carries key material.
#[test]
fn diff_summarises_kubeconfigs_and_never_prints_key_material() {
    let dir = lab_dir();
    assert_eq!(hlc_in(dir.path(), &["build", "homelab.kdl"]).status, 0);
    let text = std::fs::read_to_string(dir.path().join("homelab.kdl")).unwrap();
    std::fs::write(
        dir.path().join("homelab.kdl"),
        text.replacen("vip \"192.168.110.20\"", "vip \"192.168.110.19\"", 1),
    )
    .unwrap();
    let run = hlc_in(dir.path(), &["diff", "homelab.kdl"]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    assert!(
        run.stdout.contains("secret changed: kubeconfig/admin.conf\n  server: https://192.168.110.20:6443 -> https://192.168.110.19:6443\n"),
        "{}",
        run.stdout
    );
    let mut key_lines = Vec::new();
    for path in crate::support::walk(&dir.path().join("homelab.state")) {
        let body = std::fs::read_to_string(dir.path().join("homelab.state").join(&path)).unwrap_or_default();
        if body.contains("PRIVATE KEY") {
            key_lines.extend(body.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).map(String::from));
        }
    }
    assert!(key_lines.len() > 20, "the scan has key material to look for");
    for line in &key_lines {
        assert!(
            !run.stdout.contains(line.as_str()) && !run.stderr.contains(line.as_str()),
            "key material in diff output"
        );
    }
}

#[test]
fn graph_focus_shows_one_files_or_one_nodes_neighbourhood() {
    let dir = lab_dir();
    let whole = hlc_in(dir.path(), &["graph", "homelab.kdl"]);
    let edges = |text: &str| text.lines().filter(|l| l.contains(" -> ")).count();
    let file = hlc_in(dir.path(), &["graph", "--focus", "out/pki/apiserver.crt"]);
    assert_eq!(file.status, 0, "{}", file.stderr);
    assert!(file.stdout.contains("\"state:pki/ca\" -> \"state:pki/apiserver\";"), "what it is made from");
    assert!(file.stdout.contains("\"node \\\"node3\\\"\""), "a control plane is behind its SANs");
    // Every node's role decides which nodes are control planes (the topology), but a worker's
    // address is not in the SANs.
    assert!(!file.stdout.contains("\"node \\\"node4\\\" nic \\\"enp1s0\\\" ip\""), "a worker's address is not");
    assert!(edges(&file.stdout) < edges(&whole.stdout) / 4, "a neighbourhood, not the graph");
    let node = hlc_in(dir.path(), &["graph", "--focus", "node4", "--format", "mermaid"]);
    assert_eq!(node.status, 0, "{}", node.stderr);
    assert!(node.stdout.contains("nodes/node4/nocloud/user-data"), "{}", node.stdout);
    assert!(!node.stdout.contains("nodes/node1/nocloud/network-config"), "another node's own network is not near");
    assert!(node.stdout.lines().filter(|l| l.contains(" --> ")).count() < 500, "Mermaid's default edge limit");
    let unknown = hlc_in(dir.path(), &["graph", "--focus", "nope"]);
    assert_eq!(unknown.status, 2);
    assert!(unknown.stderr.contains("nope: no output file, node or graph vertex"), "{}", unknown.stderr);
}
