//! Day 2 (spec section 6): `hlc diff` plans a change of `homelab.kdl` against the previous
//! build's lock, per node and in order; `check` refuses a skipped minor or a downgrade; a build
//! warns before certificates on the nodes expire. Each test builds the "before" lab with the real
//! binary, edits the document as a user would, and reads the plan `hlc diff --message-format json`
//! gives as data.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{hlc_in, root, Run};

/// A copy of the root example, built once (the "before").
fn built_lab() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let build = hlc_in(dir.path(), &["build"]);
    assert_eq!(build.status, 0, "{}", build.stderr);
    dir
}

/// Replaces `from` (which must occur) with `to` in the lab's document.
fn edit(dir: &Path, from: &str, to: &str) {
    let path = dir.join("homelab.kdl");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from} is not in the document");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The block of `node "NAME"` in the document.
fn node_block(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join("homelab.kdl")).unwrap();
    let start = text.find(&format!("node \"{name}\"")).unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    text[start..end].to_string()
}

/// `hlc diff --message-format json`: the plan object from stderr (exit status 3: changes).
fn plan(dir: &Path) -> Value {
    let run = hlc_in(dir, &["diff", "--message-format", "json"]);
    assert_eq!(run.status, 3, "{}", run.stderr);
    let line = run.stderr.lines().find(|l| l.starts_with("{\"plan\"")).unwrap_or_else(|| panic!("{}", run.stderr));
    serde_json::from_str::<Value>(line).unwrap()["plan"].clone()
}

/// The nodes with something to do, in order: (name, kind).
fn ordered(plan: &Value) -> Vec<(String, String)> {
    let mut nodes: Vec<&Value> = plan["nodes"].as_array().unwrap().iter().filter(|n| !n["order"].is_null()).collect();
    nodes.sort_by_key(|n| n["order"].as_u64());
    nodes.iter().map(|n| (n["node"].as_str().unwrap().to_string(), n["kind"].as_str().unwrap().to_string())).collect()
}

fn node<'a>(plan: &'a Value, name: &str) -> &'a Value {
    plan["nodes"].as_array().unwrap().iter().find(|n| n["node"] == name).unwrap_or_else(|| panic!("{name}: {plan:#}"))
}

fn texts(value: &Value) -> Vec<String> {
    value.as_array().map(|a| a.iter().map(|v| v.as_str().unwrap().to_string()).collect()).unwrap_or_default()
}

/// hlc's pinned patch of a minor, from its own table.
fn pinned(minor: u32) -> String {
    let patch = hlc::model::pins::pins().kubernetes_patch(minor).unwrap();
    format!("1.{minor}.{patch}")
}

#[test]
fn a_minor_bump_upgrades_every_node_in_kubeadms_order() {
    let dir = built_lab();
    let before = hlc::lifecycle::checks::previous_version(&lock(dir.path())).unwrap();
    edit(dir.path(), &format!("kubernetes \"{before}\""), &format!("kubernetes \"1.{}\"", before.minor + 1));
    let plan = plan(dir.path());
    let order = ordered(&plan);
    let names: Vec<&str> = order.iter().map(|(n, _)| n.as_str()).collect();
    // The first control plane, the other control planes, then workers (kubeadm's order).
    assert_eq!(names, ["node1", "node2", "node3", "node4", "backup1"], "{plan:#}");
    let target = pinned(before.minor + 1);
    for name in names {
        let node = node(&plan, name);
        assert_eq!(
            (node["kind"].as_str(), node["from"].as_str()),
            (Some("upgrade"), Some(before.to_string().as_str()))
        );
        assert_eq!(node["to"], target.as_str());
    }
    let then = |name: &str| texts(&node(&plan, name)["then"]).join("\n");
    assert!(then("node1").contains(&format!("kubeadm upgrade apply v{target}")), "{}", then("node1"));
    assert!(
        then("node2").contains("waits until the cluster reports") && then("node2").contains("kubeadm upgrade node")
    );
    assert!(then("node4").contains("every control plane") && then("node4").contains("/etc/hlc/drain.conf"));

    // The build writes the same plan into PLAN.md; a second build writes nothing and keeps it.
    let build = hlc_in(dir.path(), &["build"]);
    assert!(build.stderr.contains("change plan (5 node(s)"), "{}", build.stderr);
    let written = std::fs::read_to_string(dir.path().join("out/PLAN.md")).unwrap();
    assert!(
        written.contains(&format!("1. node1 (first control plane): Kubernetes upgrade {before} -> {target}")),
        "{written}"
    );
    let again = hlc_in(dir.path(), &["build"]);
    assert!(again.stderr.contains(", 0 written, 0 removed"), "{}", again.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("out/PLAN.md")).unwrap(), written);
    let clean = hlc_in(dir.path(), &["diff"]);
    assert_eq!((clean.status, clean.stdout.as_str()), (0, ""));
}

fn lock(dir: &Path) -> hlc::write::lock::Lock {
    hlc::write::current_lock(&dir.join("out")).expect("a lock")
}

/// `hlc check` against the previous build: the error's code, its label on the `kubernetes`
/// line, and help naming what is allowed; `hlc build` then writes nothing.
fn refused(dir: &Path, code: &str, help: &str) {
    let lock_before = std::fs::read(dir.join("out/hlc.lock")).unwrap();
    let check = hlc_in(dir, &["check"]);
    assert_eq!(check.status, 1, "{}", check.stderr);
    assert!(check.stderr.contains(code), "{}", check.stderr);
    assert!(check.stderr.contains("kubernetes \""), "the label is on the kubernetes line: {}", check.stderr);
    let words = check.stderr.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains(help), "{help}: {}", check.stderr);
    let json = hlc_in(dir, &["check", "--message-format", "json"]);
    let diagnostic: Value = serde_json::from_str(json.stdout.lines().find(|l| l.contains(code)).unwrap()).unwrap();
    let text = std::fs::read_to_string(dir.join("homelab.kdl")).unwrap();
    let line = text.lines().position(|l| l.trim_start().starts_with("kubernetes ")).unwrap() + 1;
    assert_eq!(diagnostic["line"], line);
    let build = hlc_in(dir, &["build"]);
    assert_eq!(build.status, 1);
    assert_eq!(std::fs::read(dir.join("out/hlc.lock")).unwrap(), lock_before, "nothing written");
}

#[test]
fn a_skipped_minor_is_an_error_naming_the_next_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let text = std::fs::read_to_string(dir.path().join("homelab.kdl")).unwrap();
    let current = text.lines().find_map(|l| l.trim().strip_prefix("kubernetes \"")).unwrap();
    let current = current[..current.find('"').unwrap()].to_string();
    edit(dir.path(), &format!("kubernetes \"{current}\""), "kubernetes \"1.35\"");
    assert_eq!(hlc_in(dir.path(), &["build"]).status, 0);
    edit(dir.path(), "kubernetes \"1.35\"", "kubernetes \"1.37\"");
    refused(dir.path(), "hlc::lifecycle::version-skip", "`kubernetes \"1.36\"` is the next minor");
    // The allowed next minor is accepted (the negative control).
    edit(dir.path(), "kubernetes \"1.37\"", "kubernetes \"1.36\"");
    assert_eq!(hlc_in(dir.path(), &["check"]).status, 0);
}

#[test]
fn a_downgrade_is_an_error_also_by_patch() {
    let dir = built_lab();
    let before = hlc::lifecycle::checks::previous_version(&lock(dir.path())).unwrap();
    let lower_minor = format!("kubernetes \"1.{}\"", before.minor - 1);
    edit(dir.path(), &format!("kubernetes \"{before}\""), &lower_minor);
    refused(dir.path(), "hlc::lifecycle::downgrade", &format!("the previous build runs {before}"));
    let patch = before.patch.unwrap();
    if patch > 0 {
        edit(dir.path(), &lower_minor, &format!("kubernetes \"1.{}.{}\"", before.minor, patch - 1));
        refused(dir.path(), "hlc::lifecycle::downgrade", "kubeadm cannot downgrade");
    }
}

#[test]
fn an_added_worker_boots_alone_and_other_seeds_change_only_with_a_reason() {
    let dir = built_lab();
    let node4 = node_block(dir.path(), "node4");
    let node5 = node4.replace("node4", "node5").replace("dd:dd", "d5:d5").replace(".24\"", ".25\"").replace("D4", "D5");
    edit(dir.path(), &node4, &format!("{node4}{node5}"));
    let plan = plan(dir.path());
    let order = ordered(&plan);
    assert_eq!(order.last().unwrap(), &("node5".to_string(), "new".to_string()), "new nodes come last: {order:?}");
    assert!(texts(&node(&plan, "node5")["before"]).iter().any(|s| s.contains("kubeadm token create")));
    for (name, kind) in &order[..order.len() - 1] {
        let node = node(&plan, name);
        assert_eq!(kind, "files", "{name}");
        assert!(!texts(&node["why"]).is_empty(), "{name} changes without a reason: {node:#}");
    }
    for name in ["node1", "node2", "node3", "node4"] {
        assert_eq!(node(&plan, name)["kind"], "unchanged", "{name}: a worker's arrival touches no control plane");
    }
    assert!(texts(&plan["before"]).iter().any(|s| s.contains("dnsmasq")), "its lease first");
}

#[test]
fn an_added_control_plane_changes_the_control_planes_not_the_workers() {
    let dir = built_lab();
    let node4 = node_block(dir.path(), "node4");
    let node6 = node4
        .replace("node \"node4\" hardware=\"eq12\"", "node \"node6\" hardware=\"eq12\" role=\"control-plane\"")
        .replace("dd:dd", "d6:d6")
        .replace(".24\"", ".26\"")
        .replace("D4", "D6");
    edit(dir.path(), &node4, &format!("{node4}{node6}"));
    let plan = plan(dir.path());
    for name in ["node1", "node2", "node3"] {
        let node = node(&plan, name);
        assert_eq!(node["kind"], "files", "{name}");
        assert!(texts(&node["restarts"]).contains(&"kube-apiserver".to_string()), "{node:#}");
        assert!(texts(&node["why"]).iter().any(|w| w.contains("API server certificate")), "{node:#}");
    }
    assert_eq!(node(&plan, "node4")["kind"], "unchanged", "workers do not know the control planes");
    assert_eq!(ordered(&plan).last().unwrap().0, "node6");
}

/// Removing Ceph's third disk would break the pools' replica count: lower it too.
fn fewer_replicas(dir: &Path) {
    edit(dir, "block-pool \"replicapool\" replicas=3", "block-pool \"replicapool\" replicas=2");
    edit(dir, "filesystem \"myfs\" replicas=3", "filesystem \"myfs\" replicas=2");
}

#[test]
fn a_removed_worker_is_drained_and_deleted() {
    let dir = built_lab();
    let node4 = node_block(dir.path(), "node4");
    edit(dir.path(), &node4, "");
    fewer_replicas(dir.path());
    let plan = plan(dir.path());
    let removed = node(&plan, "node4");
    assert_eq!(removed["kind"], "removed");
    let before = texts(&removed["before"]);
    assert!(before[0].contains("drain node4 --ignore-daemonsets"), "{before:?}");
    assert!(before.last().unwrap().ends_with("delete node node4"), "{before:?}");
    assert!(!before.iter().any(|s| s.contains("etcdctl")), "a worker has no etcd member");
    assert_eq!(ordered(&plan).last().unwrap().0, "node4", "removed nodes go last");
}

#[test]
fn a_removed_control_plane_leaves_etcd_by_name_and_two_at_once_warn() {
    let dir = built_lab();
    let node3 = node_block(dir.path(), "node3");
    edit(dir.path(), &node3, "");
    fewer_replicas(dir.path());
    let plan = plan(dir.path());
    let removed = node(&plan, "node3");
    assert_eq!(removed["kind"], "removed");
    let before = texts(&removed["before"]).join("\n");
    assert!(before.contains("exec etcd-node1 -- etcdctl"), "{before}");
    assert!(before.contains("$3 == \"node3\"") && before.contains("member remove"), "{before}");
    let order: Vec<String> = texts(&removed["before"]);
    assert!(order[0].contains("drain") && order[1].contains("member remove"), "{order:#?}");
    assert!(order[2].contains("kubeadm reset -f") && order[3].contains("delete node"), "{order:#?}");
    let check = hlc_in(dir.path(), &["check"]);
    assert!(!check.stderr.contains("hlc::lifecycle::quorum"), "one at a time is fine");

    let node2 = node_block(dir.path(), "node2");
    edit(dir.path(), &node2, "");
    edit(dir.path(), "block-pool \"replicapool\" replicas=2", "block-pool \"replicapool\" replicas=1");
    edit(dir.path(), "filesystem \"myfs\" replicas=2", "filesystem \"myfs\" replicas=1");
    let check = hlc_in(dir.path(), &["check"]);
    assert!(check.stderr.contains("hlc::lifecycle::quorum"), "{}", check.stderr);
    assert!(check.stderr.contains("node2, node3"), "{}", check.stderr);
}

#[test]
fn a_changed_ip_is_a_rejoin_with_its_steps() {
    let dir = built_lab();
    edit(dir.path(), "ip=\"192.168.110.24\"", "ip=\"192.168.110.25\"");
    let plan = plan(dir.path());
    let node4 = node(&plan, "node4");
    assert_eq!(node4["kind"], "rejoin");
    assert!(node4["reason"].as_str().unwrap().contains("192.168.110.24 -> 192.168.110.25"));
    let before = texts(&node4["before"]).join("\n");
    for step in ["drain node4", "delete node node4", "kubeadm reset -f", "kubeadm token create"] {
        assert!(before.contains(step), "{step}: {before}");
    }
    assert_eq!(node(&plan, "node1")["kind"], "unchanged");
}

#[test]
fn a_registry_change_reaches_every_node_as_files() {
    let dir = built_lab();
    edit(dir.path(), "registry \"registry.home.arpa:5005\"", "registry \"registry.home.arpa:5006\"");
    let plan = plan(dir.path());
    let order = ordered(&plan);
    assert_eq!(order.len(), 5, "{order:?}");
    for (name, kind) in &order {
        assert_eq!(kind, "files", "{name}");
        let node = node(&plan, name);
        assert!(texts(&node["files"]).iter().any(|f| f.contains("certs.d/registry.home.arpa:5006/hosts.toml")));
        assert!(texts(&node["then"])
            .iter()
            .any(|t| t.contains("sudo rm /etc/containerd/certs.d/registry.home.arpa:5005")));
    }
}

/// `hlc build` with the clock pinned (`SOURCE_DATE_EPOCH`).
fn build_at(dir: &Path, epoch: i64) -> Run {
    let output = Command::new(env!("CARGO_BIN_EXE_hlc"))
        .arg("build")
        .env("SOURCE_DATE_EPOCH", epoch.to_string())
        .current_dir(dir)
        .output()
        .unwrap();
    Run {
        status: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

#[test]
fn a_certificate_on_the_nodes_20_days_before_expiry_warns_and_is_renewed() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("homelab.kdl"), dir.path().join("homelab.kdl")).unwrap();
    let start = 1_780_000_000;
    assert_eq!(build_at(dir.path(), start).status, 0);
    let apiserver = |dir: &Path| lock(dir).certificates.into_iter().find(|c| c.path == "pki/apiserver.crt").unwrap();
    let first = apiserver(dir.path());

    // 61 days before: renewed (inside the 90-day window), and no warning yet.
    let early = build_at(dir.path(), first.not_after - 61 * 86_400);
    assert!(!early.stderr.contains("hlc::lifecycle::expiring"), "{}", early.stderr);
    let renewed = apiserver(dir.path());
    assert!(renewed.not_after > first.not_after, "a build inside the window renews");

    // A lab whose builds stopped for months: 20 days before the certificate on the nodes expires,
    // the build renews it and warns that the nodes still run the old one.
    let at = renewed.not_after - 20 * 86_400;
    let late = build_at(dir.path(), at);
    assert!(late.stderr.contains("hlc::lifecycle::expiring"), "{}", late.stderr);
    let text = late.stderr.replace('\n', " ");
    assert!(text.contains("pki/apiserver.crt"), "{}", late.stderr);
    assert!(text.contains("in 20 days"), "{}", late.stderr);
    assert!(text.contains("on the nodes"), "{}", late.stderr);
    assert!(apiserver(dir.path()).not_after > renewed.not_after, "and renews it");

    // The CA is never re-issued on a clock (a new CA is a new cluster); a year ahead it warns.
    let ca = lock(dir.path()).certificates.into_iter().find(|c| c.path == "pki/ca.crt").unwrap();
    let fingerprint = lock(dir.path()).identity;
    let near_ca_expiry = build_at(dir.path(), ca.not_after - 100 * 86_400);
    assert!(near_ca_expiry.stderr.contains("hlc never re-issues a CA"), "{}", near_ca_expiry.stderr);
    assert_eq!(lock(dir.path()).identity, fingerprint, "the same CAs");
    let expired = build_at(dir.path(), ca.not_after + 86_400);
    assert!(expired.stderr.contains("expired on"), "{}", expired.stderr);
    assert_eq!(lock(dir.path()).identity, fingerprint, "not even an expired CA is re-minted");
}

/// Following hlc's pinned patch (here: dropping an explicit older patch) is the same upgrade path.
#[test]
fn a_patch_bump_is_an_upgrade_too() {
    let dir = built_lab();
    let before = hlc::lifecycle::checks::previous_version(&lock(dir.path())).unwrap();
    let target = pinned(before.minor);
    assert_ne!(before.to_string(), target, "the root example pins an older patch than hlc's table");
    edit(dir.path(), &format!("kubernetes \"{before}\""), &format!("kubernetes \"1.{}\"", before.minor));
    let plan = plan(dir.path());
    let node1 = node(&plan, "node1");
    assert_eq!((node1["kind"].as_str(), node1["to"].as_str()), (Some("upgrade"), Some(target.as_str())));
    assert!(texts(&node1["then"]).iter().any(|t| t.contains(&format!("kubeadm upgrade apply v{target}"))));
}

/// The only control plane cannot re-join: resetting the only etcd member is a new, empty cluster.
#[test]
fn moving_the_only_control_plane_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root().join("fixtures/valid/raspberry-pi.kdl"), dir.path().join("homelab.kdl")).unwrap();
    assert_eq!(hlc_in(dir.path(), &["build"]).status, 0);
    let block = node_block(dir.path(), "pi1");
    let ip = block.split("ip=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let moved = block.replace(&format!("ip=\"{ip}\""), "ip=\"192.168.1.99\"");
    edit(dir.path(), &block, &moved);
    let check = hlc_in(dir.path(), &["check"]);
    assert_eq!(check.status, 1, "{}", check.stderr);
    assert!(check.stderr.contains("hlc::lifecycle::cluster-rebuild"), "{}", check.stderr);
    assert!(check.stderr.contains(&format!("its IP changes {ip} ->")), "{}", check.stderr);
    // A worker's address may move (the negative control): a re-join, no error.
    edit(dir.path(), &moved, &block);
    let worker = node_block(dir.path(), "pi2");
    let worker_ip = worker.split("ip=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    edit(dir.path(), &worker, &worker.replace(&format!("ip=\"{worker_ip}\""), "ip=\"192.168.1.98\""));
    assert_eq!(hlc_in(dir.path(), &["check"]).status, 0);
}
