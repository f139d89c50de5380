//! Runs every node's generated `/etc/hlc/converge` off-node: on a fake root (`HLC_ROOT`) laid
//! down from the node's own user-data, with `tests/support/converge-stub.sh` standing in for every
//! program it calls (apt, curl, kubeadm, systemctl …) and only an allow-list of real coreutils on
//! `PATH`. Each scenario of spec section 6 asserts the recorded calls and the files left behind.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{built, root, run_tool, tree_files, valid_documents};

/// The programs converge calls that the stub simulates.
const STUBBED: &[&str] = &[
    "timedatectl",
    "crictl",
    "apt-get",
    "apt-mark",
    "dpkg-query",
    "curl",
    "gpg",
    "kubeadm",
    "kubectl",
    "systemctl",
    "modprobe",
    "sysctl",
    "swapoff",
    "logger",
    "exportfs",
    "sleep",
    "blkid",
    "mkfs.ext4",
    "mkfs.xfs",
    "mount",
    "mountpoint",
    "findmnt",
];
/// Real programs allowed on the test PATH: text and file tools that touch only their arguments.
const REAL: &[&str] = &[
    "cat",
    "chmod",
    "cp",
    "cut",
    "date",
    "dirname",
    "basename",
    "grep",
    "head",
    "mkdir",
    "mv",
    "printf",
    "readlink",
    "rm",
    "sed",
    "sha256sum",
    "flock",
    "touch",
    "tr",
];

/// One node's converge script on a fake root, with a simulated world around it.
struct FakeNode {
    label: String,
    root: tempfile::TempDir,
    sim: tempfile::TempDir,
    path: PathBuf,
    _bin: tempfile::TempDir,
}

/// What one run did.
struct Run {
    status: i32,
    stderr: String,
    calls: Vec<String>,
}

impl Run {
    fn count(&self, prefix: &str) -> usize {
        self.calls.iter().filter(|c| c.starts_with(prefix)).count()
    }

    /// Service restarts and reloads (`systemctl restart|reload|reload-or-restart`).
    fn restarts(&self) -> Vec<&String> {
        self.calls
            .iter()
            .filter(|c| ["systemctl restart", "systemctl reload"].iter().any(|p| c.starts_with(p)))
            .collect()
    }
}

impl FakeNode {
    /// The node's files as its user-data writes them, a swap line in fstab, its data disks as
    /// device files, and a kernel with the memory cgroup.
    fn new(out: &Path, node: &str, label: &str) -> FakeNode {
        let root = tempfile::tempdir().unwrap();
        let user_data = std::fs::read_to_string(out.join(format!("nodes/{node}/nocloud/user-data"))).unwrap();
        let config: serde_yaml::Value = serde_yaml::from_str(&user_data).unwrap();
        for file in config["write_files"].as_sequence().unwrap() {
            let target = root.path().join(file["path"].as_str().unwrap().trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, file["content"].as_str().unwrap()).unwrap();
            let mode = u32::from_str_radix(file["permissions"].as_str().unwrap(), 8).unwrap();
            std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(mode)).unwrap();
        }
        assert_eq!(
            config["runcmd"],
            serde_yaml::from_str::<serde_yaml::Value>("[[/etc/hlc/converge]]").unwrap(),
            "{label}: runcmd runs converge alone"
        );
        write(root.path(), "etc/fstab", "UUID=1 / ext4 defaults 0 1\n/swap.img none swap sw 0 0\n");
        write(root.path(), "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n");
        let script = std::fs::read_to_string(root.path().join("etc/hlc/converge")).unwrap();
        for line in script.lines().filter(|l| l.trim_start().starts_with("step data-disk")) {
            let device = line.split('\'').nth(1).unwrap();
            write(root.path(), device.trim_start_matches('/'), "");
        }
        let bin = tempfile::tempdir().unwrap();
        let stub = root_path("tests/support/converge-stub.sh");
        for program in STUBBED {
            std::os::unix::fs::symlink(&stub, bin.path().join(program)).unwrap();
        }
        for program in REAL {
            let real = ["/usr/bin", "/bin"].iter().map(|d| Path::new(d).join(program)).find(|p| p.exists()).unwrap();
            std::os::unix::fs::symlink(real, bin.path().join(program)).unwrap();
        }
        let path = bin.path().to_path_buf();
        FakeNode { label: label.to_string(), root, sim: tempfile::tempdir().unwrap(), path, _bin: bin }
    }

    fn sim(&self, name: &str, content: &str) {
        write(self.sim.path(), name, content);
    }

    fn file(&self, path: &str) -> Option<String> {
        std::fs::read_to_string(self.root.path().join(path)).ok()
    }

    fn run(&self) -> Run {
        let _ = std::fs::remove_file(self.sim.path().join("calls"));
        let output = Command::new("/bin/bash")
            .arg(self.root.path().join("etc/hlc/converge"))
            .env_clear()
            .env("PATH", &self.path)
            .env("HLC_ROOT", self.root.path())
            .env("HLC_SIM", self.sim.path())
            .env("HLC_WAIT_ATTEMPTS", "6")
            .output()
            .unwrap();
        let calls = std::fs::read_to_string(self.sim.path().join("calls")).unwrap_or_default();
        Run {
            status: output.status.code().unwrap_or(-1),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            calls: calls.lines().map(String::from).collect(),
        }
    }

    /// Runs and asserts success.
    fn converge(&self) -> Run {
        let run = self.run();
        assert_eq!(run.status, 0, "{}: converge failed:\n{}", self.label, run.stderr);
        run
    }
}

fn write(dir: &Path, path: &str, content: &str) {
    let target = dir.join(path);
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, content).unwrap();
}

fn root_path(path: &str) -> PathBuf {
    root().join(path)
}

/// (document, out dir, node, role in the script) for every node of every valid document.
fn nodes() -> Vec<(String, PathBuf, String, String)> {
    let mut nodes = Vec::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        for script in tree_files(&out, "etc/hlc/converge") {
            let node = script.split('/').nth(1).unwrap().to_string();
            let text = std::fs::read_to_string(out.join(&script)).unwrap();
            let role = text.lines().find_map(|l| l.strip_prefix("readonly ROLE=")).unwrap().trim_matches('\'');
            nodes.push((input.clone(), out.clone(), node, role.to_string()));
        }
    }
    assert!(nodes.len() >= 20, "every valid document's nodes: {}", nodes.len());
    nodes
}

fn kubeadm_calls(run: &Run) -> Vec<&String> {
    run.calls.iter().filter(|c| c.starts_with("kubeadm ")).collect()
}

#[test]
fn every_converge_script_passes_shellcheck() {
    let mut failures = Vec::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        let scripts = tree_files(&out, "etc/hlc/converge");
        assert!(!scripts.is_empty(), "{input}: no converge script");
        let mut args = vec!["--shell=bash", "--severity=style"];
        args.extend(scripts.iter().map(String::as_str));
        let (ok, text) = run_tool("shellcheck", &args, &out);
        if !ok {
            failures.push(format!("{input}:\n{text}"));
        }
    }
    let (ok, text) = run_tool("shellcheck", &["--severity=style", "tests/support/converge-stub.sh"], &root());
    assert!(ok, "the stub: {text}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn shellcheck_catches_a_broken_script() {
    let input = "homelab.kdl";
    let out = built(input).join("out");
    let script = std::fs::read_to_string(out.join("nodes/node1/etc/hlc/converge")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("broken"), script.replace("\"$ROOT$1\"", "$ROOT$1")).unwrap();
    let (ok, _) = run_tool("shellcheck", &["--shell=bash", "broken"], dir.path());
    assert!(!ok, "an unquoted expansion must fail shellcheck");
}

/// Scenarios 1 and 4: a fresh first control plane with nothing at the endpoint initialises
/// once; every other fresh node waits for the endpoint and joins once; a re-run changes nothing.
#[test]
fn fresh_nodes_init_or_join_once_and_reruns_change_nothing() {
    for (input, out, node, role) in nodes() {
        let fake = FakeNode::new(&out, &node, &format!("{input} {node}"));
        if role != "init" {
            fake.sim("endpoint-up-after", "2");
        }
        let first = fake.converge();
        let expected = if role == "init" { "kubeadm init --config" } else { "kubeadm join --config" };
        let kubeadm = kubeadm_calls(&first);
        assert_eq!(kubeadm.len(), 1, "{input} {node}: {kubeadm:?}");
        assert!(kubeadm[0].starts_with(expected), "{input} {node}: {kubeadm:?}");
        if role != "init" {
            assert_eq!(first.count("sleep 10"), 2, "{input} {node}: waited twice for the endpoint");
        }
        let holds: Vec<&String> =
            first.calls.iter().filter(|c| c.starts_with("apt-mark") && c.contains(" hold ")).collect();
        assert_eq!(holds.len(), 1, "{input} {node}: packages held: {holds:?}");
        assert!(holds[0].ends_with("hold kubelet kubeadm kubectl") || holds[0].ends_with("kubectl containerd.io"));
        let apt = || first.calls.iter().filter(|c| c.starts_with("apt-get") || c.starts_with("apt-mark"));
        assert!(apt().count() >= 3 && apt().all(|c| c.contains("DPkg::Lock::Timeout=")), "every apt call waits");
        assert!(first.calls.contains(&"systemctl restart containerd".to_string()), "{input} {node}");
        assert!(first.calls.contains(&"swapoff -a".to_string()));
        assert!(first.calls.contains(&"modprobe br_netfilter".to_string()));
        assert!(fake.file("etc/fstab").unwrap().contains("#/swap.img none swap"), "{input} {node}: swap commented out");
        assert!(fake.file("var/lib/kubelet/config.yaml").is_some());
        assert!(fake.file("run/hlc/kubeadm.yaml").is_none(), "{input} {node}: the filled config is removed");
        let log = fake.file("var/log/hlc-converge.log").unwrap();
        assert!(log.contains("step 'membership': done") && log.contains("converged"), "{input} {node}: {log}");
        let version = script_fact(&fake, "KUBERNETES_VERSION");
        let installed = std::fs::read_to_string(fake.sim.path().join("installed")).unwrap();
        for package in ["kubelet", "kubeadm", "kubectl"] {
            assert!(installed.contains(&format!("{package} {version}-")), "{input} {node}: {installed}");
        }

        let again = fake.converge();
        assert!(kubeadm_calls(&again).is_empty(), "{input} {node}: {:?}", again.calls);
        assert!(again.restarts().is_empty(), "{input} {node}: {:?}", again.restarts());
        assert_eq!(again.count("apt-get"), 0, "{input} {node}: nothing to install");
        assert_eq!(again.count("curl"), 0, "{input} {node}: a member probes and downloads nothing");
    }
}

fn script_fact(fake: &FakeNode, name: &str) -> String {
    let script = fake.file("etc/hlc/converge").unwrap();
    let prefix = format!("readonly {name}=");
    script.lines().find_map(|l| l.strip_prefix(&prefix)).unwrap().trim_matches('\'').to_string()
}

/// Scenario 2: a re-imaged first control plane finds the cluster and joins it as a control
/// plane; it never runs `kubeadm init` (which would create a second cluster).
#[test]
fn a_reimaged_first_control_plane_joins() {
    for (input, out, node, role) in nodes().into_iter().filter(|n| n.3 == "init") {
        let fake = FakeNode::new(&out, &node, &format!("{input} {node}"));
        fake.sim("endpoint-up", "");
        let run = fake.converge();
        let kubeadm = kubeadm_calls(&run);
        assert_eq!(kubeadm.len(), 1, "{input} {node} ({role}): {kubeadm:?}");
        assert!(kubeadm[0].starts_with("kubeadm join --config"), "{input} {node}: {kubeadm:?}");
        let config = fake.file("etc/kubernetes/hlc/join.yaml").unwrap();
        assert!(config.contains("controlPlane:"), "{input} {node}: joins as a control plane");
    }
}

/// kube-vip on the first control plane reads super-admin.conf exactly while `kubeadm init` runs.
#[test]
fn kube_vip_uses_super_admin_only_during_init() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node1", "homelab.kdl node1");
    let run = fake.converge();
    let during = "kube-vip reads /etc/kubernetes/super-admin.conf mounted at /etc/kubernetes/admin.conf";
    assert!(run.calls.contains(&during.to_string()), "{:?}", run.calls);
    let manifest = fake.file("etc/kubernetes/manifests/kube-vip.yaml").unwrap();
    assert!(manifest.contains("/etc/kubernetes/admin.conf") && !manifest.contains("super-admin"));
}

/// Scenario 3 without an answer: a joining node gives up after its bounded wait, naming the
/// step and the node to boot first, and joins nothing.
#[test]
fn a_join_without_a_control_plane_fails_naming_the_step() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node4", "homelab.kdl node4");
    let run = fake.run();
    assert_ne!(run.status, 0);
    assert!(kubeadm_calls(&run).is_empty());
    assert!(run.stderr.contains("step 'membership' FAILED"), "{}", run.stderr);
    assert!(run.stderr.contains("boot the first control plane (node1) first"), "{}", run.stderr);
    assert_eq!(run.count("sleep 10"), 5);
}

/// Scenario 5: a new seed changes the containerd config of a member: containerd restarts, and
/// nothing else does.
#[test]
fn a_changed_containerd_config_restarts_only_containerd() {
    for (input, out, node, role) in nodes() {
        let fake = FakeNode::new(&out, &node, &format!("{input} {node}"));
        if role != "init" {
            fake.sim("endpoint-up", "");
        }
        fake.converge();
        let config = fake.root.path().join("etc/containerd/config.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        std::fs::write(&config, text + "# a new seed\n").unwrap();
        let run = fake.converge();
        assert_eq!(run.restarts(), vec!["systemctl restart containerd"], "{input} {node}");
        assert!(kubeadm_calls(&run).is_empty(), "{input} {node}");
    }
}

/// A member of the root example (1.36.2 pinned) brought to the state of a previous build on
/// 1.35.4: a converged node whose packages are one minor older, as if its new seed just arrived.
fn member_on_an_older_version(node: &str, endpoint_up: bool) -> FakeNode {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, node, &format!("homelab.kdl {node}"));
    if endpoint_up {
        fake.sim("endpoint-up", "");
    }
    fake.converge();
    let installed = fake.sim.path().join("installed");
    let text = std::fs::read_to_string(&installed).unwrap();
    assert!(text.contains("kubeadm 1.36.2-"), "{text}");
    std::fs::write(&installed, text.replace(" 1.36.2-", " 1.35.4-")).unwrap();
    fake
}

/// The calls of an upgrade, in order, without logging and sleeping.
fn upgrade_calls(run: &Run) -> Vec<String> {
    let from =
        run.calls.iter().position(|c| c.starts_with("apt-mark") && c.contains("unhold kubeadm")).expect("upgrade ran");
    run.calls[from..]
        .iter()
        .filter(|c| !c.starts_with("logger") && !c.starts_with("sleep") && !c.starts_with("dpkg-query"))
        .map(|c| c.replace("-o DPkg::Lock::Timeout=600 ", "").replace("-q -y -o Dpkg::Options::=--force-confold ", ""))
        .collect()
}

/// Day 2 on the first control plane: the new kubeadm, `kubeadm upgrade apply` (without kubeadm's
/// certificate renewal: hlc owns the certificates), drain with admin.conf, kubelet and kubectl,
/// kubelet restart, uncordon; then nothing more on a re-run.
#[test]
fn an_upgrade_on_the_first_control_plane_runs_kubeadm_upgrade_apply_in_order() {
    let fake = member_on_an_older_version("node1", false);
    fake.sim("cluster-version", "1.35.4");
    let run = fake.converge();
    let admin = "kubectl --kubeconfig ROOT/etc/kubernetes/admin.conf";
    let calls: Vec<String> =
        upgrade_calls(&run).into_iter().map(|c| c.replace(&fake.root.path().display().to_string(), "ROOT")).collect();
    let expected = [
        "apt-mark unhold kubeadm".to_string(),
        "apt-get update --error-on=any".into(),
        "apt-get install --no-install-recommends --allow-downgrades --allow-change-held-packages kubeadm=1.36.2-*".into(),
        "apt-mark hold kubeadm".into(),
        "kubeadm upgrade apply v1.36.2 --yes --certificate-renewal=false".into(),
        format!("{admin} drain node1 --ignore-daemonsets --delete-emptydir-data --timeout=600s"),
        format!("{admin} get node node1 -o jsonpath={{.spec.unschedulable}}"),
        "apt-mark unhold kubelet kubectl".into(),
        "apt-get install --no-install-recommends --allow-downgrades --allow-change-held-packages kubelet=1.36.2-* kubectl=1.36.2-*".into(),
        "apt-mark hold kubelet kubectl".into(),
        "systemctl daemon-reload".into(),
        "systemctl restart kubelet".into(),
        format!("{admin} uncordon node1"),
        format!("{admin} get node node1 -o jsonpath={{.spec.unschedulable}}"),
    ];
    assert_eq!(calls, expected, "{:#?}", run.calls);
    assert!(fake.file("var/lib/hlc/upgrading").is_none(), "the marker goes with the uncordon");
    let again = fake.converge();
    assert!(again.calls.iter().all(|c| !c.starts_with("kubeadm") && !c.starts_with("kubectl")), "{:?}", again.calls);
}

/// A second control plane before the first has upgraded the cluster waits and gives up, naming
/// the node to converge first; it drains nothing and upgrades nothing. Once the cluster reports
/// the new version it runs `kubeadm upgrade node`, drains and uncordons.
#[test]
fn an_upgrade_on_a_second_control_plane_waits_for_the_cluster_version() {
    let fake = member_on_an_older_version("node2", true);
    fake.sim("cluster-version", "1.35.4");
    let early = fake.run();
    assert_ne!(early.status, 0, "{}", early.stderr);
    assert!(early.stderr.contains("step 'upgrade' FAILED"), "{}", early.stderr);
    assert!(early.stderr.contains("the cluster to run 1.36.2 (converge node1 first)"), "{}", early.stderr);
    assert!(
        early.calls.iter().all(|c| !c.contains(" drain ") && !c.starts_with("kubeadm upgrade")),
        "{:?}",
        early.calls
    );
    assert_eq!(early.count("sleep 10"), 5, "bounded wait");

    fake.sim("cluster-version", "1.36.2");
    let run = fake.converge();
    let calls = upgrade_calls(&run);
    let position = |prefix: &str| {
        calls.iter().position(|c| c.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix}: {calls:#?}"))
    };
    let drain = calls.iter().position(|c| c.contains(" drain ")).expect("drained");
    assert!(position("kubeadm upgrade node --certificate-renewal=false") < drain, "{calls:#?}");
    assert!(
        calls.iter().any(|c| c.ends_with(
            "/etc/kubernetes/admin.conf drain node2 --ignore-daemonsets --delete-emptydir-data --timeout=600s"
        )),
        "{calls:#?}"
    );
    assert!(
        position(
            "apt-get install --no-install-recommends --allow-downgrades --allow-change-held-packages kubelet=1.36.2-*"
        ) < position("systemctl restart kubelet")
    );
    assert!(calls.iter().any(|c| c.ends_with("uncordon node2")), "{calls:#?}");
    assert!(!calls.iter().any(|c| c.starts_with("kubeadm upgrade apply")), "only the first control plane applies");
}

/// A worker waits until every control plane's kubelet runs the new version, then upgrades with
/// its own drain-only credential (never admin.conf); a refused drain fails the step and leaves the
/// upgrade pending (the marker), so the next run finishes it.
#[test]
fn an_upgrade_on_a_worker_waits_for_every_control_plane_and_drains_with_its_own_credential() {
    let fake = member_on_an_older_version("node4", true);
    fake.sim("control-plane-versions", "v1.36.2\nv1.35.4\nv1.36.2\n");
    let early = fake.run();
    assert_ne!(early.status, 0);
    assert!(early.stderr.contains("every control plane to run 1.36.2"), "{}", early.stderr);

    fake.sim("control-plane-versions", "");
    let none = fake.run();
    assert_ne!(none.status, 0, "no control plane reported yet");

    fake.sim("control-plane-versions", "v1.36.2\nv1.36.2\nv1.36.2\n");
    fake.sim("cordon-refused", "");
    let uncordoned = fake.run();
    assert_ne!(uncordoned.status, 0, "a drain whose cordon was refused must not go on");
    assert!(uncordoned.stderr.contains("node4 is not cordoned after kubectl drain"), "{}", uncordoned.stderr);
    assert!(!uncordoned.calls.iter().any(|c| c.contains("kubelet=1.36.2")), "no kubelet upgrade on an uncordoned node");
    std::fs::remove_file(fake.sim.path().join("cordon-refused")).unwrap();
    fake.sim("drain-forbidden", "");
    let refused = fake.run();
    assert_ne!(refused.status, 0);
    assert!(fake.file("var/lib/hlc/upgrading").is_some(), "an interrupted upgrade stays pending");

    std::fs::remove_file(fake.sim.path().join("drain-forbidden")).unwrap();
    let run = fake.converge();
    let calls = upgrade_calls(&run);
    let drain = calls.iter().find(|c| c.contains(" drain ")).expect("drained");
    assert!(drain.contains("/etc/hlc/drain.conf drain node4"), "{drain}");
    assert!(calls.iter().all(|c| !c.contains("admin.conf")), "a worker never uses admin.conf: {calls:#?}");
    assert!(calls.iter().any(|c| c == "kubeadm upgrade node"), "{calls:#?}");
    assert!(calls.iter().any(|c| c.ends_with("/etc/hlc/drain.conf uncordon node4")), "{calls:#?}");
    assert!(fake
        .file("etc/hlc/drain.conf")
        .is_some_and(|c| c.contains("name: hlc:node-drainer:node4") && c.contains("client-certificate-data")));
    assert!(fake.file("var/lib/hlc/upgrading").is_none());

    // An uncordon the API refuses (kubectl still exits 0) is noticed: the upgrade stays pending.
    fake.sim("uncordon-refused", "");
    std::fs::write(fake.root.path().join("var/lib/hlc/upgrading"), "1.36.2\n").unwrap();
    let refused = fake.run();
    assert_ne!(refused.status, 0, "{}", refused.stderr);
    assert!(refused.stderr.contains("node4 is still cordoned after kubectl uncordon"), "{}", refused.stderr);
    assert!(fake.file("var/lib/hlc/upgrading").is_some());
}

/// 1.35 → 1.36 moves containerd 1.x to 2.x. The seed has already written the schema-3 config,
/// which containerd 1.7.17+ refuses: a member swaps containerd in its package step, before
/// anything needs the runtime (running pods survive it), and restarts it with the new config;
/// the Kubernetes packages wait for the upgrade step.
#[test]
fn an_upgrade_to_containerd_2_swaps_containerd_first() {
    let fake = member_on_an_older_version("node1", false);
    fake.sim("cluster-version", "1.35.4");
    let installed = fake.sim.path().join("installed");
    let text = std::fs::read_to_string(&installed).unwrap();
    assert!(text.contains("containerd.io "), "a 1.36 lab installs containerd 2: {text}");
    std::fs::write(&installed, text.replace("containerd.io ", "containerd ")).unwrap();
    let config = fake.root.path().join("etc/containerd/config.toml");
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap() + "# the new seed's schema-3 config\n").unwrap();
    let run = fake.converge();
    let position = |needle: &str| {
        run.calls.iter().position(|c| c.contains(needle)).unwrap_or_else(|| panic!("{needle}: {:#?}", run.calls))
    };
    let swap = position("containerd.io=2.*");
    assert!(!run.calls[swap].contains("kubelet="), "only containerd moves early: {}", run.calls[swap]);
    assert!(swap < position("systemctl restart containerd"));
    assert!(position("systemctl restart containerd") < position("kubeadm upgrade apply"));
    assert!(position("kubeadm upgrade apply") < position(" drain node1 "));
}

/// Scenario 6: the dpkg lock held for the first attempts is waited out; a download that always
/// fails ends the run with an error naming the step.
#[test]
fn apt_lock_is_retried_and_a_failing_download_names_its_step() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node1", "homelab.kdl node1");
    fake.sim("apt-locked", "2");
    let run = fake.converge();
    assert!(run.count("sleep 5") >= 1 && run.count("sleep 10") >= 1, "back-off: {:?}", run.calls);
    assert_eq!(kubeadm_calls(&run).len(), 1);

    let fake = FakeNode::new(&out, "node1", "homelab.kdl node1");
    fake.sim("downloads-fail", "");
    let run = fake.run();
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("step 'repository-docker' FAILED"), "{}", run.stderr);
    assert_eq!(run.count("curl -fsSL"), 8, "eight attempts: {:?}", run.calls);
    let sleeps: Vec<&String> = run.calls.iter().filter(|c| c.starts_with("sleep")).collect();
    assert_eq!(sleeps, ["sleep 5", "sleep 10", "sleep 20", "sleep 40", "sleep 60", "sleep 60", "sleep 60"]);
    assert!(kubeadm_calls(&run).is_empty());
    let log = fake.file("var/log/hlc-converge.log").unwrap();
    assert!(log.contains("step 'repository-docker' FAILED"), "{log}");
    assert!(log.contains("step 'swap': done"), "what came before took effect: {log}");
}

/// Data disks: formatted only when blank, mounted, in fstab; never formatted twice; Ceph
/// disks never touched.
#[test]
fn data_disks_are_formatted_once_and_mounted() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "backup1", "homelab.kdl backup1");
    fake.sim("endpoint-up", "");
    let run = fake.converge();
    let device = "/dev/disk/by-id/ata-HDD_4T_E5";
    let mkfs: Vec<&String> = run.calls.iter().filter(|c| c.starts_with("mkfs.")).collect();
    assert_eq!(mkfs.len(), 1, "{mkfs:?}");
    assert!(mkfs[0].starts_with("mkfs.xfs ") && mkfs[0].ends_with(device));
    assert!(fake.file("etc/fstab").unwrap().contains(&format!("{device} /tank xfs defaults,nofail 0 2")));
    assert!(fake.root.path().join("tank/k8s").is_dir(), "the export directory on the data disk");
    let install = run.calls.iter().position(|c| c.starts_with("apt-get") && c.contains("xfsprogs")).unwrap();
    assert!(install < run.calls.iter().position(|c| c.starts_with("mkfs.")).unwrap(), "xfsprogs before mkfs");
    let again = fake.converge();
    assert_eq!(again.count("mkfs."), 0);
    assert_eq!(again.count("mount "), 0);
}

/// A mount point held by another device is an error, not silently the root disk.
#[test]
fn a_data_disk_mounted_from_elsewhere_fails() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "backup1", "homelab.kdl backup1");
    fake.sim("endpoint-up", "");
    fake.sim(
        &format!("mounts/{}", fake.root.path().join("tank").display().to_string().replace('/', "_")),
        "/dev/sda2\n",
    );
    let run = fake.run();
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("step 'data-disk-tank' FAILED"), "{}", run.stderr);
    assert!(run.stderr.contains("is mounted from '/dev/sda2'"), "{}", run.stderr);
}

/// Scenario 7: a Raspberry Pi without the memory cgroup gets it on the kernel command line and
/// reboots once; converge continues after the reboot.
#[test]
fn a_raspberry_pi_enables_the_memory_cgroup_and_reboots_once() {
    let mut seen = 0;
    for (input, out, node, role) in nodes() {
        let script = std::fs::read_to_string(out.join(format!("nodes/{node}/etc/hlc/converge"))).unwrap();
        if !script.contains("step memory-cgroup") {
            continue;
        }
        seen += 1;
        let fake = FakeNode::new(&out, &node, &format!("{input} {node}"));
        if role != "init" {
            fake.sim("endpoint-up", "");
        }
        write(fake.root.path(), "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io pids\n");
        write(fake.root.path(), "proc/device-tree/model", "Raspberry Pi 5 Model B Rev 1.0\0");
        write(fake.root.path(), "boot/firmware/cmdline.txt", "console=serial0,115200 root=LABEL=writable rootwait\n");
        let first = fake.converge();
        assert!(first.calls.contains(&"systemctl --no-block reboot".to_string()), "{input} {node}");
        assert!(kubeadm_calls(&first).is_empty());
        let cmdline = fake.file("boot/firmware/cmdline.txt").unwrap();
        assert_eq!(
            cmdline,
            "console=serial0,115200 root=LABEL=writable rootwait cgroup_enable=memory cgroup_memory=1\n"
        );
        assert!(fake.file("var/lib/cloud/scripts/per-boot/hlc-converge").is_some(), "resumes after the reboot");

        let user_data = std::fs::read_to_string(out.join(format!("nodes/{node}/nocloud/user-data"))).unwrap();
        write(fake.root.path(), "boot/firmware/user-data", &user_data);
        write(fake.root.path(), "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n");
        let second = fake.converge();
        let scrubbed = fake.file("boot/firmware/user-data").unwrap();
        let token = fake.file("etc/kubernetes/hlc/bootstrap-token").unwrap();
        assert!(!scrubbed.contains(token.trim()) && !scrubbed.contains("PRIVATE KEY"), "{input} {node}: {scrubbed}");
        assert!(scrubbed.starts_with("#cloud-config\n# hlc: the seed that was here"), "{scrubbed}");
        assert!(
            second.stderr.contains("removed the seed's secrets from /boot/firmware/user-data"),
            "{}",
            second.stderr
        );
        assert_eq!(kubeadm_calls(&second).len(), 1, "{input} {node}: {:?}", second.calls);
        assert_eq!(second.count("systemctl --no-block reboot"), 0);
        assert_eq!(fake.file("boot/firmware/cmdline.txt").unwrap(), cmdline, "added once");
        assert!(fake.file("var/lib/cloud/scripts/per-boot/hlc-converge").is_none(), "hook removed when done");
    }
    assert!(seen >= 4, "the arm64 fixture's nodes: {seen}");
}

/// Not a Pi and no memory cgroup: fail loudly rather than let kubeadm's preflight fail later.
#[test]
fn a_missing_memory_cgroup_elsewhere_fails() {
    let out = built("fixtures/valid/raspberry-pi.kdl").join("out");
    let fake = FakeNode::new(&out, "pi1", "raspberry-pi pi1");
    write(fake.root.path(), "sys/fs/cgroup/cgroup.controllers", "cpu pids\n");
    let run = fake.run();
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("step 'memory-cgroup' FAILED"), "{}", run.stderr);
}

/// A join that failed after kubeadm wrote the kubelet config is not membership: the next run
/// joins again instead of reporting success.
#[test]
fn a_failed_join_is_retried_not_taken_for_membership() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node4", "homelab.kdl node4");
    fake.sim("endpoint-up", "");
    fake.sim("kubeadm-fails-late", "");
    let failed = fake.run();
    assert_ne!(failed.status, 0);
    assert!(failed.stderr.contains("step 'membership' FAILED"), "{}", failed.stderr);
    assert!(fake.file("var/lib/kubelet/config.yaml").is_some(), "kubeadm left its config behind");
    fake.sim("kubeadm-retry-ok", "");
    let retried = fake.converge();
    assert_eq!(kubeadm_calls(&retried).len(), 1, "joins again: {:?}", retried.calls);
    assert!(fake.file("var/lib/hlc/member").is_some());
}

/// A re-imaged control plane removes its stale etcd member (same peer URL) before joining.
#[test]
fn a_reimaged_control_plane_removes_its_stale_etcd_member() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node2", "homelab.kdl node2");
    fake.sim("endpoint-up", "");
    fake.sim(
        "etcd-members",
        r#"{"header":{"cluster_id":"1"},"members":[{"ID":"111","name":"node1","peerURLs":["https://192.168.110.21:2380"],"clientURLs":["https://192.168.110.21:2379"]},{"ID":"222","name":"node2","peerURLs":["https://192.168.110.22:2380"],"clientURLs":["https://192.168.110.22:2379"]}]}"#,
    );
    let run = fake.converge();
    let remove: Vec<&String> = run.calls.iter().filter(|c| c.contains("member/remove")).collect();
    assert_eq!(remove.len(), 1, "{:?}", run.calls);
    assert!(remove[0].contains(r#"{"ID":"222"}"#), "{remove:?}");
    let join = run.calls.iter().position(|c| c.starts_with("kubeadm join")).unwrap();
    assert!(run.calls.iter().position(|c| c.contains("member/remove")).unwrap() < join, "removed before the join");

    let fresh = FakeNode::new(&out, "node3", "homelab.kdl node3");
    fresh.sim("endpoint-up", "");
    fresh
        .sim("etcd-members", r#"{"members":[{"ID":"111","name":"node1","peerURLs":["https://192.168.110.21:2380"]}]}"#);
    let run = fresh.converge();
    assert_eq!(run.calls.iter().filter(|c| c.contains("member/remove")).count(), 0, "a new member removes nothing");
}

/// The bootstrap token never appears on a command line, and kubeadm init does not print it.
#[test]
fn the_token_stays_off_command_lines() {
    let out = built("homelab.kdl").join("out");
    for node in ["node1", "node4"] {
        let fake = FakeNode::new(&out, node, node);
        if node != "node1" {
            fake.sim("endpoint-up", "");
        }
        let run = fake.converge();
        let token = fake.file("etc/kubernetes/hlc/bootstrap-token").unwrap().trim().to_string();
        assert!(token.len() > 10);
        assert!(run.calls.iter().all(|c| !c.contains(&token)), "{node}: the token on a command line");
        assert!(!run.stderr.contains(&token) && !fake.file("var/log/hlc-converge.log").unwrap().contains(&token));
        if node == "node1" {
            assert!(run.calls.iter().any(|c| c.starts_with("kubeadm init") && c.ends_with("--skip-token-print")));
        }
    }
}

/// A changed kubeconfig of a static pod restarts exactly that pod on a member.
#[test]
fn a_changed_control_plane_kubeconfig_restarts_only_its_pod() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node2", "homelab.kdl node2");
    fake.sim("endpoint-up", "");
    let first = fake.converge();
    assert_eq!(first.count("crictl"), 0, "a node that just joined restarts nothing");
    let path = fake.root.path().join("etc/kubernetes/controller-manager.conf");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text + "# renewed\n").unwrap();
    let run = fake.converge();
    let crictl: Vec<&String> = run.calls.iter().filter(|c| c.starts_with("crictl")).collect();
    assert_eq!(crictl.len(), 2, "{crictl:?}");
    assert!(crictl[0].ends_with("ps -q --name ^kube-controller-manager$"), "{crictl:?}");
    assert!(crictl[1].ends_with("stop container-of-kube-controller-manager"), "{crictl:?}");
    assert!(run.restarts().is_empty());
}

/// Two runs at once: the second refuses (two `kubeadm init`s must never race).
#[test]
fn a_second_concurrent_run_is_refused() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node4", "homelab.kdl node4");
    std::fs::create_dir_all(fake.root.path().join("run")).unwrap();
    let lock = fake.root.path().join("run/hlc-converge.lock");
    let mut holder = Command::new("flock").arg(&lock).args(["sleep", "30"]).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run = fake.run();
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("another converge is running"), "{}", run.stderr);
    assert!(run.calls.iter().all(|c| c.starts_with("logger")), "{:?}", run.calls);
}

/// A data disk that already holds another filesystem is not mounted under the wrong type.
#[test]
fn a_data_disk_with_another_filesystem_fails() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "backup1", "homelab.kdl backup1");
    fake.sim("endpoint-up", "");
    let device = fake.root.path().join("dev/disk/by-id/ata-HDD_4T_E5").display().to_string();
    fake.sim(&format!("fs/{}", device.replace('/', "_")), "ext4\n");
    let run = fake.run();
    assert_ne!(run.status, 0);
    assert!(run.stderr.contains("holds ext4, not xfs"), "{}", run.stderr);
    assert_eq!(run.count("mkfs."), 0, "never reformatted");
}

/// Without NTP the run waits a bounded time, warns and goes on.
#[test]
fn an_unsynchronised_clock_is_waited_for_then_reported() {
    let out = built("homelab.kdl").join("out");
    let fake = FakeNode::new(&out, "node4", "homelab.kdl node4");
    fake.sim("endpoint-up", "");
    fake.sim("clock-unsynced", "");
    let run = fake.converge();
    assert_eq!(run.count("timedatectl"), 30);
    assert!(run.stderr.contains("the clock is not NTP-synchronised"), "{}", run.stderr);
}

/// A boot partition's user-data that hlc did not write is never touched.
#[test]
fn a_foreign_boot_seed_is_left_alone() {
    let out = built("fixtures/valid/raspberry-pi.kdl").join("out");
    let fake = FakeNode::new(&out, "pi1", "raspberry-pi pi1");
    write(fake.root.path(), "boot/firmware/user-data", "#cloud-config\nhostname: mine\n");
    fake.converge();
    assert_eq!(fake.file("boot/firmware/user-data").unwrap(), "#cloud-config\nhostname: mine\n");
}
