//! hlc's output against the real Kubernetes consumers, built pinned from source by
//! `tests/support/consumers.sh` (kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler,
//! kubelet, kubectl, etcd, containerd 2.x; kube-vip's source). For every lab on Kubernetes 1.36 or
//! 1.37 (what kubeadm 1.37 deploys): `kubeadm config validate` on every init and join config;
//! containerd 2.x's config loader on every schema-3 `config.toml`, and containerd serving CRI to
//! kubeadm's preflight with the node's files; kubeadm's init phases over the first control plane's
//! files laid down exactly as its user-data writes them, which must reuse every certificate and
//! kubeconfig; then that control plane running (etcd, apiserver, controller-manager, scheduler with
//! kubeadm's command lines) in private namespaces: readiness through the VIP, upload-config,
//! bootstrap token, token discovery and control-plane-prepare for the joining nodes, RBAC for each
//! `grant` through impersonation and through real ID tokens of a stand-in OIDC provider, and, with
//! the real CRDs of every pinned component installed (`tests/support/charts.sh`), a strict server-side
//! dry run of every `cluster/manifests` object, the Flux tree and every release's `helm template`
//! output (see `charts.rs` for what is checked in that output). Each check has a negative control beside
//! it. Nothing reaches the network and nothing on the host changes (private mount and network
//! namespaces); every process is killed by its PID when its test ends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use hlc::render::kubeadm::TOKEN_PLACEHOLDER;

use crate::support::{built, root, tree_files, valid_documents};

/// The directory of the toolbox's binaries: the last stdout line of `consumers.sh`, which builds
/// what is missing (a cold build takes a while; cached, seconds). Fails loudly when it cannot.
fn toolbox() -> &'static Path {
    static TOOLBOX: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = TOOLBOX.get_or_init(|| {
        let script = root().join("tests/support/consumers.sh");
        let output = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run bash {}: {e}", script.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect::<Vec<_>>().into_iter().rev().collect();
        if !output.status.success() {
            return Err(format!(
                "the Kubernetes consumers (kubeadm, kube-apiserver, etcd, helm, containerd 2.x) could not be built by \
                 tests/support/consumers.sh (it needs go and the Go module proxy; run `bash tests/support/install-validators.sh`). \
                 Its last output:\n{}",
                tail.join("\n")
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let dir = PathBuf::from(stdout.lines().last().unwrap_or_default().trim());
        if !dir.join("kubeadm").is_file() {
            return Err(format!("consumers.sh printed `{}`, which holds no kubeadm:\n{}", dir.display(), tail.join("\n")));
        }
        Ok(dir)
    });
    match found {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// A toolbox binary.
pub(crate) fn consumer(name: &str) -> PathBuf {
    let path = toolbox().join(name);
    assert!(path.is_file(), "the toolbox {} has no {name}", toolbox().display());
    path
}

/// Runs `program args` (in a private network namespace when `isolated`); (success, stdout + stderr).
fn run(program: &Path, args: &[&str], isolated: bool) -> (bool, String) {
    let mut command = if isolated {
        let mut command = Command::new("unshare");
        command.arg("-n").arg(program);
        command
    } else {
        Command::new(program)
    };
    let output =
        command.args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn lab(input: &str) -> hlc::model::Lab {
    let source = hlc::source::Source::load(&root().join(input)).unwrap();
    hlc::frontend::check_source(&source).lab.unwrap()
}

/// The documents kubeadm 1.37 deploys: its own minor and the one before (N-1).
fn kubeadm_documents() -> Vec<String> {
    let documents: Vec<String> =
        valid_documents().into_iter().filter(|d| lab(d).cluster.kubernetes.minor >= 36).collect();
    assert!(documents.contains(&"homelab.kdl".to_string()), "the example lab is checked");
    assert!(documents.iter().any(|d| lab(d).cluster.kubernetes.minor == 37), "a 1.37 lab is checked");
    documents
}

/// A node's kubeadm config as its node runs it: the placeholder filled from the node's token file.
fn filled_config(out: &Path, config: &str) -> String {
    let node = config.split('/').nth(1).unwrap();
    let text = read(out, config);
    assert!(text.contains(TOKEN_PLACEHOLDER), "{config}: the public config must carry the placeholder");
    let token = read(out, &format!("nodes/{node}/etc/kubernetes/hlc/bootstrap-token"));
    assert!(hlc::pki::is_bootstrap_token(token.trim()), "{node}'s token file holds `{token}`");
    text.replace(TOKEN_PLACEHOLDER, token.trim())
}

/// `kubeadm config validate` on `text`; (success, output).
fn kubeadm_validate(text: &str) -> (bool, String) {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    run(&consumer("kubeadm"), &["config", "validate", "--config", &file.path().display().to_string()], true)
}

/// klog warning lines (`W1202 …`) in a tool's output, but for the deprecation of a kube-proxy mode
/// the lab chose itself (`kube-proxy mode="ipvs"`: deprecated in 1.35, the user's call).
fn warnings<'a>(lab: &hlc::model::Lab, text: &'a str) -> Vec<&'a str> {
    let ipvs = lab.kube_proxy.as_ref().is_some_and(|p| p.mode.value == hlc::model::ProxyMode::Ipvs);
    text.lines()
        .filter(|l| l.len() > 5 && l.starts_with('W') && l[1..5].bytes().all(|b| b.is_ascii_digit()))
        .filter(|l| !(ipvs && l.contains(r#"field "mode" is set to "ipvs" which has been deprecated"#)))
        .collect()
}

#[test]
fn kubeadm_validates_every_init_and_join_config() {
    let mut checked = 0;
    for input in kubeadm_documents() {
        let out = built(&input).join("out");
        let configs: Vec<String> =
            tree_files(&out, "kubeadm/init.yaml").into_iter().chain(tree_files(&out, "kubeadm/join.yaml")).collect();
        assert!(!configs.is_empty(), "{input}");
        for config in configs {
            let (ok, text) = kubeadm_validate(&filled_config(&out, &config));
            assert!(ok, "{input} {config}: kubeadm config validate failed:\n{text}");
            assert!(warnings(&lab(&input), &text).is_empty(), "{input} {config}: kubeadm warns:\n{text}");
            checked += 1;
        }
    }
    assert!(checked >= 4, "{checked} configs");
}

#[test]
fn kubeadm_rejects_broken_configs() {
    let out = built("homelab.kdl").join("out");
    let init_path = tree_files(&out, "kubeadm/init.yaml").remove(0);
    let node = init_path.split('/').nth(1).unwrap();
    let init = filled_config(&out, &init_path);
    let join = filled_config(&out, &tree_files(&out, "kubeadm/join.yaml")[0]);
    let token = read(&out, &format!("nodes/{node}/etc/kubernetes/hlc/bootstrap-token"));
    let broken = [
        (
            "unknown field",
            init.replacen("kind: InitConfiguration\n", "kind: InitConfiguration\nbootstrapTokenz: []\n", 1),
        ),
        ("malformed token", init.replace(token.trim(), "not-a-token")),
        ("misspelt kubelet field", init.replacen("\ncgroupDriver:", "\ncgroupsDriver:", 1)),
        (
            "unknown join field",
            join.replacen("kind: JoinConfiguration\n", "kind: JoinConfiguration\ndiscovry: {}\n", 1),
        ),
        ("malformed join token", join.replace(token.trim(), "not-a-token")),
    ];
    for (what, text) in broken {
        assert!(text != init && text != join, "{what}: the mutation did not apply");
        let (ok, output) = kubeadm_validate(&text);
        assert!(!ok, "kubeadm accepted a config with a {what}:\n{output}");
    }
}

/// Every leaf key of `ours` has the same value in `dump`; returns the keys that differ.
fn dropped_keys(ours: &toml::Value, dump: &toml::Value, path: &str) -> Vec<String> {
    match ours {
        toml::Value::Table(table) => table
            .iter()
            .flat_map(|(key, value)| match dump.get(key) {
                Some(theirs) => dropped_keys(value, theirs, &format!("{path}.{key}")),
                None => vec![format!("{path}.{key}")],
            })
            .collect(),
        value if value == dump => vec![],
        _ => vec![path.to_string()],
    }
}

/// containerd 2.x's `config dump` of `text`: Ok(parsed dump) or Err(output).
fn containerd_dump(text: &str) -> Result<toml::Value, String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), text).unwrap();
    let output = Command::new("unshare")
        .arg("-n")
        .arg(consumer("containerd"))
        .args(["--config", &file.path().display().to_string(), "config", "dump"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let (dump, log) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    if !output.status.success() {
        return Err(log.into_owned());
    }
    // containerd ignores unknown keys of its typed sections with a warning: a failure here.
    if log.contains("unknown key") {
        return Err(format!("containerd ignored keys:\n{log}"));
    }
    toml::from_str(&dump).map_err(|e| format!("{e}:\n{dump}"))
}

#[test]
fn containerd_2_loads_every_schema_3_config_and_keeps_every_key() {
    let mut checked = 0;
    for input in valid_documents() {
        let out = built(&input).join("out");
        for config in tree_files(&out, "etc/containerd/config.toml") {
            let text = read(&out, &config);
            let ours: toml::Value = toml::from_str(&text).unwrap();
            if ours["version"].as_integer() != Some(3) {
                continue;
            }
            let theirs = containerd_dump(&text).unwrap_or_else(|e| panic!("{input} {config}: containerd failed:\n{e}"));
            let dropped = dropped_keys(&ours, &theirs, "");
            assert!(dropped.is_empty(), "{input} {config}: containerd dropped or changed {dropped:?}");
            checked += 1;
        }
    }
    assert!(checked > 0, "no schema-3 config was checked");
}

#[test]
fn containerd_2_drops_a_misspelt_key_and_rejects_a_wrong_type() {
    let out = built("homelab.kdl").join("out");
    let config = tree_files(&out, "etc/containerd/config.toml").remove(0);
    let text = read(&out, &config);
    assert!(text.contains("\nconfig_path = \""), "{text}");
    // A misspelt key: containerd warns and drops it, so it does not survive the round trip.
    let misspelt = text.replace("\nconfig_path = ", "\nconfig_paths = ");
    let error = containerd_dump(&misspelt).expect_err("containerd kept a misspelt key quietly");
    assert!(error.contains("config_paths"), "{error}");
    // A value of the wrong type, or a schema containerd 2 does not know, fails to load.
    let wrong = text.replace("\nconfig_path = \"", "\nconfig_path = 5 # \"");
    assert!(containerd_dump(&wrong).is_err(), "containerd accepted config_path = 5");
    let future = text.replace("\nversion = 3\n", "\nversion = 4\n");
    assert!(future != text && containerd_dump(&future).is_err(), "containerd accepted version = 4");
}

/// (path, content, permissions) of every write_files entry of a user-data.
fn written_files(out: &Path, user_data: &str) -> Vec<(String, String, u32)> {
    let config: serde_yaml::Value = serde_yaml::from_str(&read(out, user_data)).unwrap();
    config["write_files"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| {
            assert!(f.get("encoding").is_none(), "{user_data}: encoded write_files entry {f:?}");
            let mode = f["permissions"].as_str().unwrap();
            (
                f["path"].as_str().unwrap().to_string(),
                f["content"].as_str().unwrap().to_string(),
                u32::from_str_radix(mode, 8).unwrap_or_else(|_| panic!("permissions {mode}")),
            )
        })
        .collect()
}

/// Every file below `dir` with its bytes and mode.
fn snapshot(dir: &Path) -> BTreeMap<String, (Vec<u8>, u32)> {
    use std::os::unix::fs::PermissionsExt;
    crate::support::walk(dir)
        .into_iter()
        .map(|path| {
            let full = dir.join(&path);
            let mode = std::fs::metadata(&full).unwrap().permissions().mode() & 0o7777;
            (path, (std::fs::read(&full).unwrap(), mode))
        })
        .collect()
}

/// A node's files laid down below `fake_root` exactly as its user-data's write_files would.
fn lay_down(out: &Path, node: &str, fake_root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for (path, content, mode) in written_files(out, &format!("nodes/{node}/nocloud/user-data")) {
        let target = fake_root.join(path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, content).unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(mode)).unwrap();
    }
}

/// The kubeadm config `name` the node has in /etc/kubernetes/hlc, filled from the node's token file
/// as the node does it, written to a file in `scratch`.
fn node_config(fake_root: &Path, name: &str, scratch: &Path) -> PathBuf {
    let hlc_dir = fake_root.join("etc/kubernetes/hlc");
    let text = read(&hlc_dir, name);
    assert!(text.contains(TOKEN_PLACEHOLDER), "{name}: the node's config must carry the placeholder");
    let token = read(&hlc_dir, "bootstrap-token");
    let config = scratch.join(format!("filled-{name}"));
    std::fs::write(&config, text.replace(TOKEN_PLACEHOLDER, token.trim())).unwrap();
    config
}

/// A shell script that, in a private mount namespace, puts `fake_root`'s /etc/kubernetes,
/// /var/lib/etcd and /var/lib/kubelet in place (overlays on /etc and /var/lib only so that missing
/// mount points can be made without touching the host), then runs `body`.
fn in_node_mounts(fake_root: &Path, scratch: &Path, body: &str) -> String {
    let mut script = String::from("set -eu\n");
    for (index, parent) in ["/etc", "/var/lib"].iter().enumerate() {
        let upper = scratch.join(format!("overlay{index}/upper"));
        let work = scratch.join(format!("overlay{index}/work"));
        std::fs::create_dir_all(&upper).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        script += &format!(
            "mount -t overlay overlay -o lowerdir={parent},upperdir={},workdir={} {parent}\n",
            upper.display(),
            work.display()
        );
    }
    // A private /run: the node's containerd socket, and no way to the host's systemd.
    script += "mount -t tmpfs tmpfs /run\n";
    for dir in
        ["etc/kubernetes", "var/lib/etcd", "var/lib/kubelet", "etc/containerd", "var/lib/containerd", "run/containerd"]
    {
        std::fs::create_dir_all(fake_root.join(dir)).unwrap();
        script += &format!("mkdir -p /{dir} && mount --bind '{}' /{dir}\n", fake_root.join(dir).display());
    }
    script + body
}

#[test]
fn kubeadm_init_phases_reuse_every_certificate_and_kubeconfig() {
    let kubeadm = consumer("kubeadm");
    // Warnings fail the test after every document has been checked, so one run lists them all.
    let mut warned_about = Vec::new();
    for input in kubeadm_documents() {
        let lab = lab(&input);
        let out = built(&input).join("out");
        let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
        let node = init.split('/').nth(1).unwrap().to_string();
        let scratch = tempfile::tempdir().unwrap();
        let fake_root = scratch.path().join("root");
        lay_down(&out, &node, &fake_root);
        let config = node_config(&fake_root, "init.yaml", scratch.path());
        let before = snapshot(&fake_root.join("etc/kubernetes"));
        assert!(before.contains_key("pki/ca.key") && before.contains_key("admin.conf"), "{input}: {before:?}");

        let phases = ["certs all", "kubeconfig all", "etcd local", "control-plane all"]
            .iter()
            .map(|phase| format!("'{}' init phase {phase} --config '{}'\n", kubeadm.display(), config.display()))
            .collect::<String>();
        let script = in_node_mounts(&fake_root, scratch.path(), &phases);
        let (ok, text) = run(Path::new("unshare"), &["-mn", "sh", "-c", &script], false);
        assert!(ok, "{input}: kubeadm init phases on {node} failed:\n{text}");
        let warned = warnings(&lab, &text);
        if !warned.is_empty() {
            warned_about.push(format!("{input}: kubeadm warns on {node}'s files:\n{}", warned.join("\n")));
        }

        let after = snapshot(&fake_root.join("etc/kubernetes"));
        for (path, (bytes, mode)) in &before {
            let (new_bytes, new_mode) = after.get(path).unwrap_or_else(|| panic!("{input}: kubeadm removed {path}"));
            assert!(new_bytes == bytes, "{input}: kubeadm rewrote {path} instead of reusing hlc's:\n{text}");
            assert_eq!(new_mode, mode, "{input}: kubeadm changed the mode of {path}");
        }
        let added: Vec<&String> = after.keys().filter(|p| !before.contains_key(*p)).collect();
        let manifests = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
            .map(|c| format!("manifests/{c}.yaml"));
        assert_eq!(
            added,
            manifests.iter().collect::<Vec<_>>(),
            "{input}: kubeadm should add only the static pod manifests (anything else is a certificate or \
             kubeconfig hlc did not provide)"
        );

        // The manifests run the lab's version and mount only what the node has.
        let node_ip = lab.nodes.iter().find(|n| n.name.value == node).map(|n| n.ip().to_string()).unwrap();
        let etcd = read(&fake_root, "etc/kubernetes/manifests/etcd.yaml");
        assert!(etcd.contains(&format!("--advertise-client-urls=https://{node_ip}:2379")), "{input}: {etcd}");
        for component in ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
            let manifest: serde_yaml::Value =
                serde_yaml::from_str(&read(&fake_root, &format!("etc/kubernetes/manifests/{component}.yaml"))).unwrap();
            let image = manifest["spec"]["containers"][0]["image"].as_str().unwrap().to_string();
            if let Some(patch) = lab.cluster.kubernetes.patch {
                let expected = format!(":v1.{}.{patch}", lab.cluster.kubernetes.minor);
                assert!(image.ends_with(&expected), "{input}: {component} runs {image}, the lab says {expected}");
            } else {
                assert!(image.contains(&format!(":v1.{}.", lab.cluster.kubernetes.minor)), "{input}: {image}");
            }
            for volume in manifest["spec"]["volumes"].as_sequence().unwrap() {
                let path = volume["hostPath"]["path"].as_str().unwrap();
                if path.starts_with("/etc/kubernetes") {
                    assert!(
                        fake_root.join(path.trim_start_matches('/')).exists(),
                        "{input}: {component} mounts {path}, which the node does not have"
                    );
                }
            }
        }
    }
    assert!(warned_about.is_empty(), "{}", warned_about.join("\n"));
}

#[test]
fn kubeadm_init_phases_notice_a_foreign_certificate() {
    // Negative control: a kubeconfig whose CA is not the cluster's must be refused, not reused.
    let kubeadm = consumer("kubeadm");
    let out = built("homelab.kdl").join("out");
    let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
    let node = init.split('/').nth(1).unwrap().to_string();
    let other = built("fixtures/valid/cilium.kdl").join("out");
    let scratch = tempfile::tempdir().unwrap();
    let fake_root = scratch.path().join("root");
    lay_down(&out, &node, &fake_root);
    std::fs::copy(other.join("kubeconfig/admin.conf"), fake_root.join("etc/kubernetes/admin.conf")).unwrap();
    let config = node_config(&fake_root, "init.yaml", scratch.path());
    let body = format!("'{}' init phase kubeconfig all --config '{}'\n", kubeadm.display(), config.display());
    let script = in_node_mounts(&fake_root, scratch.path(), &body);
    let (ok, text) = run(Path::new("unshare"), &["-mn", "sh", "-c", &script], false);
    assert!(!ok, "kubeadm reused a kubeconfig signed by another cluster's CA:\n{text}");
}

/// The preflight checks a join cannot pass here: no container runtime runs, the kernel is the test
/// machine's, and the joining node shares the first control plane's network namespace (its ports).
const NO_RUNTIME: &str =
    "CRI,ContainerRuntimeVersion,ImagePull,SystemVerification,Port-6443,Port-10259,Port-10257,Port-2379,Port-2380";

/// Processes a test started, killed by PID (newest first) and reaped on every path, panics included.
struct Processes {
    children: Vec<(String, std::process::Child)>,
    logs: PathBuf,
}

impl Processes {
    fn new(logs: &Path) -> Processes {
        Processes { children: Vec::new(), logs: logs.to_path_buf() }
    }

    /// Starts `command` with its output in `<logs>/<name>.log`; returns its PID.
    fn spawn(&mut self, name: &str, mut command: Command) -> u32 {
        let log = std::fs::File::create(self.logs.join(format!("{name}.log"))).unwrap();
        command.stdin(Stdio::null()).stdout(log.try_clone().unwrap()).stderr(log);
        let child = command.spawn().unwrap_or_else(|e| panic!("{name}: {e}"));
        let pid = child.id();
        self.children.push((name.to_string(), child));
        pid
    }

    /// The last lines of every process's log.
    fn tails(&self) -> String {
        self.children
            .iter()
            .map(|(name, _)| {
                let log = std::fs::read_to_string(self.logs.join(format!("{name}.log"))).unwrap_or_default();
                let lines: Vec<&str> = log.lines().collect();
                format!("--- {name}:\n{}\n", lines[lines.len().saturating_sub(12)..].join("\n"))
            })
            .collect()
    }

    /// Fails, with the logs, when a process has exited.
    fn assert_running(&mut self) {
        let exited: Vec<String> = self
            .children
            .iter_mut()
            .filter_map(|(name, child)| child.try_wait().unwrap().map(|status| format!("{name} exited: {status}")))
            .collect();
        assert!(exited.is_empty(), "{exited:?}\n{}", self.tails());
    }
}

impl Drop for Processes {
    fn drop(&mut self) {
        for (_, child) in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // HLC_CONSUMER_LOGS=DIR keeps every process's log (DIR/<pid of the holder>/<name>.log).
        if let (Some(keep), Some((_, first))) = (std::env::var_os("HLC_CONSUMER_LOGS"), self.children.first()) {
            let target = Path::new(&keep).join(first.id().to_string());
            let _ = std::fs::create_dir_all(&target);
            for (name, _) in &self.children {
                let _ = std::fs::copy(self.logs.join(format!("{name}.log")), target.join(format!("{name}.log")));
            }
        }
    }
}

/// `program args` in the namespaces of process `pid` (`-m -n`, or `-n` alone when `network_only`).
fn nsenter(pid: u32, network_only: bool, program: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("nsenter");
    command.arg("-t").arg(pid.to_string());
    if !network_only {
        command.arg("-m");
    }
    command.arg("-n").arg("--").arg(program).args(args);
    command
}

fn output_of(mut command: Command) -> (bool, String) {
    let output = command.stdin(Stdio::null()).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    (output.status.success(), text)
}

/// Polls `check` every second until it returns true or `seconds` pass.
fn wait_for(seconds: u64, processes: &mut Processes, mut check: impl FnMut() -> bool) -> bool {
    for _ in 0..seconds {
        if check() {
            return true;
        }
        processes.assert_running();
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
    check()
}

/// A permission a role certainly grants: (verb, resource).
fn granted_by(lab: &hlc::model::Lab, role: &str) -> (String, String) {
    let builtin = match role {
        "cluster-admin" => Some(("delete", "secrets")),
        "admin" => Some(("create", "rolebindings.rbac.authorization.k8s.io")),
        "edit" => Some(("create", "deployments.apps")),
        "view" => Some(("list", "pods")),
        _ => None,
    };
    if let Some((verb, resource)) = builtin {
        return (verb.to_string(), resource.to_string());
    }
    let declared = lab.auth.as_ref().unwrap().roles.iter().find(|r| r.name.value == role).expect("declared role");
    let rule = &declared.rules[0];
    let group = rule.api_groups.first().filter(|g| !g.is_empty()).map(|g| format!(".{g}")).unwrap_or_default();
    (rule.verbs[0].clone(), format!("{}{group}", rule.resources[0]))
}

/// Private mount and network namespaces for a node, held by a process in `processes`: the node's
/// files from `fake_root` in place (see [`in_node_mounts`]), its `addresses` (its own, the VIP: kube-vip's
/// job, done by hand) on the namespace's loopback (this kernel has no dummy links), forwarding on as
/// the node's sysctl.d sets it, no route out. Returns the holder's PID for `nsenter`.
fn node_namespaces(
    fake_root: &Path,
    scratch: &Path,
    addresses: &[std::net::Ipv4Addr],
    processes: &mut Processes,
    extra_setup: &str,
) -> u32 {
    let mut setup = String::from("ip link set lo up\nsysctl -qw net.ipv4.ip_forward=1\n") + extra_setup;
    let unique: std::collections::BTreeSet<_> = addresses.iter().collect();
    for address in unique {
        setup += &format!("ip addr add {address}/32 dev lo\n");
    }
    let ready = scratch.join("ready");
    setup += &format!("touch '{}'\nexec sleep 100000\n", ready.display());
    let mut holder = Command::new("unshare");
    holder.args(["-mn", "sh", "-c", &in_node_mounts(fake_root, scratch, &setup)]);
    let pid = processes.spawn("namespaces", holder);
    assert!(wait_for(10, processes, || ready.exists()), "namespaces not ready:\n{}", processes.tails());
    pid
}

/// A stand-in OIDC identity provider (python3 with `cryptography`): `setup DIR HOST` makes a CA, a
/// TLS certificate for HOST and two RSA keys (key.pem, published; other.pem, not); `serve DIR ISSUER
/// PORT` answers discovery and JWKS over HTTPS on 127.0.0.1; `mint KEY CLAIMS` prints an RS256 JWT
/// signed with DIR/KEY.
const IDP: &str = r#"
import base64, datetime, http.server, json, os, ssl, sys
from urllib.parse import urlparse
from cryptography import x509
from cryptography.x509.oid import NameOID, ExtendedKeyUsageOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa, padding

def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

def load(path):
    return serialization.load_pem_private_key(open(path, "rb").read(), None)

def save(key, path):
    open(path, "wb").write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                             serialization.NoEncryption()))

def certificate(subject, issuer, key, signer, ca, host=None):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if host:
        builder = (builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    return builder.sign(signer, hashes.SHA256())

mode, directory = sys.argv[1], sys.argv[2]
if mode == "setup":
    host = sys.argv[3]
    ca_key, tls_key = rsa.generate_private_key(65537, 2048), rsa.generate_private_key(65537, 2048)
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hlc test identity provider CA")])
    ca = certificate(ca_name, ca_name, ca_key, ca_key, True)
    tls = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), ca_name, tls_key, ca_key, False, host)
    open(os.path.join(directory, "ca.crt"), "wb").write(ca.public_bytes(serialization.Encoding.PEM))
    open(os.path.join(directory, "tls.crt"), "wb").write(tls.public_bytes(serialization.Encoding.PEM))
    save(tls_key, os.path.join(directory, "tls.key"))
    for name in ("key.pem", "other.pem"):
        save(rsa.generate_private_key(65537, 2048), os.path.join(directory, name))
elif mode == "mint":
    key = load(os.path.join(directory, sys.argv[3]))
    header = {"alg": "RS256", "typ": "JWT", "kid": "hlc-test"}
    signing = b64(json.dumps(header).encode()) + "." + b64(sys.argv[4].encode())
    print(signing + "." + b64(key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())))
elif mode == "serve":
    issuer, port = sys.argv[3], int(sys.argv[4])
    numbers = load(os.path.join(directory, "key.pem")).public_key().public_numbers()
    jwk = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "hlc-test",
           "n": b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
           "e": b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big"))}
    base = urlparse(issuer).path.rstrip("/")
    documents = {
        base + "/.well-known/openid-configuration": {
            "issuer": issuer, "jwks_uri": issuer.rstrip("/") + "/jwks", "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"], "id_token_signing_alg_values_supported": ["RS256"]},
        base + "/jwks": {"keys": [jwk]},
    }
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps(documents[self.path]).encode() if self.path in documents else None
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body or b"{}")
    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(os.path.join(directory, "tls.crt"), os.path.join(directory, "tls.key"))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    open(os.path.join(directory, "ready"), "w").close()
    server.serve_forever()
"#;

/// Debian's python3, whose `cryptography` comes with cloud-init (python3-oauthlib), which
/// install-validators.sh installs; not whatever `python3` is first on PATH.
const PYTHON: &str = "/usr/bin/python3";

/// `python3 -c IDP MODE DIR ARGS…` (see [`IDP`]).
fn idp_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(PYTHON);
    command.args(["-c", IDP, args[0], &dir.display().to_string()]).args(&args[1..]);
    command
}

/// The first control plane of `input` brought up in private namespaces from hlc's files and
/// kubeadm's manifests, with the real etcd, kube-apiserver, kube-controller-manager and
/// kube-scheduler; then kubeadm's upload-config and bootstrap-token phases, token discovery by the
/// other nodes' join configs, and the `grant`s as RBAC through OIDC-prefixed names.
fn live_control_plane(input: &str) {
    let lab = lab(input);
    let (endpoint, port) = lab.control_plane_endpoint();
    let out = built(input).join("out");
    let kubeadm = consumer("kubeadm");
    let kubectl = consumer("kubectl");
    let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
    let first = init.split('/').nth(1).unwrap().to_string();
    let node_ip = lab.nodes.iter().find(|n| n.name.value == first).unwrap().ip();
    let scratch = tempfile::tempdir().unwrap();
    let fake_root = scratch.path().join("root");
    lay_down(&out, &first, &fake_root);
    let config = node_config(&fake_root, "init.yaml", scratch.path());
    let config_arg = config.display().to_string();
    let admin = out.join("kubeconfig/admin.conf").display().to_string();
    let admin_conf: serde_yaml::Value = serde_yaml::from_str(&read(&out, "kubeconfig/admin.conf")).unwrap();
    assert_eq!(
        admin_conf["clusters"][0]["cluster"]["server"].as_str(),
        Some(format!("https://{endpoint}:{port}").as_str()),
        "{input}: admin.conf talks to the endpoint"
    );

    let logs = scratch.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut processes = Processes::new(&logs);
    // With OIDC: its issuer's name resolves to a stand-in identity provider on the namespace's
    // loopback, whose CA the API server trusts (SSL_CERT_FILE).
    let oidc = lab.auth.as_ref().and_then(|a| a.oidc.as_ref());
    let idp = scratch.path().join("idp");
    let issuer_host = oidc.map(|o| {
        let rest = o.issuer.value.strip_prefix("https://").expect("an https issuer");
        rest.split('/').next().unwrap().to_string()
    });
    let hosts = match &issuer_host {
        Some(host) => format!("echo '127.0.0.1 {}' >> /etc/hosts\n", host.split(':').next().unwrap()),
        None => String::new(),
    };
    let ns = node_namespaces(&fake_root, scratch.path(), &[node_ip, endpoint], &mut processes, &hosts);
    if let (Some(oidc), Some(host)) = (oidc, &issuer_host) {
        std::fs::create_dir_all(&idp).unwrap();
        let (ok, text) = output_of(idp_command(&idp, &["setup", host.split(':').next().unwrap()]));
        assert!(ok, "{text}");
        let port = host.split(':').nth(1).unwrap_or("443");
        processes.spawn("identity-provider", {
            let mut command = nsenter(ns, false, Path::new(PYTHON), &["-c", IDP]);
            command.args(["serve", &idp.display().to_string(), &oidc.issuer.value, port]);
            command
        });
        let ready = idp.join("ready");
        assert!(wait_for(20, &mut processes, || ready.exists()), "{input}: identity provider:\n{}", processes.tails());
    }

    for phase in ["certs all", "kubeconfig all", "etcd local", "control-plane all"] {
        let mut args = vec!["init", "phase"];
        args.extend(phase.split(' '));
        args.extend(["--config", &config_arg]);
        let (ok, text) = output_of(nsenter(ns, false, &kubeadm, &args));
        assert!(ok, "{input}: kubeadm init phase {phase}:\n{text}");
    }
    // The static pods' commands, run directly with the toolbox's binaries.
    for component in ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
        let manifest: serde_yaml::Value =
            serde_yaml::from_str(&read(&fake_root, &format!("etc/kubernetes/manifests/{component}.yaml"))).unwrap();
        let command: Vec<String> = manifest["spec"]["containers"][0]["command"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_string())
            .collect();
        assert_eq!(command[0], component, "{input}: {command:?}");
        let args: Vec<&str> = command[1..].iter().map(String::as_str).collect();
        let mut command = nsenter(ns, false, &consumer(component), &args);
        if component == "kube-apiserver" && oidc.is_some() {
            command.env("SSL_CERT_FILE", idp.join("ca.crt"));
        }
        processes.spawn(component, command);
    }
    let get = |path: &str| output_of(nsenter(ns, true, &kubectl, &["--kubeconfig", &admin, "get", "--raw", path]));
    let up = wait_for(240, &mut processes, || get("/readyz").0);
    assert!(
        up,
        "{input}: /readyz through {endpoint}:{port} never answered: {:?}\n{}",
        get("/readyz?verbose"),
        processes.tails()
    );

    // kubeadm's next phases against the running control plane.
    // The add-ons kubeadm installs itself: CoreDNS always, kube-proxy unless Cilium replaces it
    // (then the init config skips `addon/kube-proxy`).
    let mut phases = vec!["upload-config all", "bootstrap-token", "addon coredns"];
    if lab.kube_proxy.is_some() {
        phases.push("addon kube-proxy");
    }
    for phase in phases {
        let mut args = vec!["init", "phase"];
        args.extend(phase.split(' '));
        args.extend(["--config", &config_arg]);
        let (ok, text) = output_of(nsenter(ns, false, &kubeadm, &args));
        assert!(ok, "{input}: kubeadm init phase {phase}:\n{text}\n{}", processes.tails());
    }
    let kubectl_run = |args: &[&str]| {
        let mut all = vec!["--kubeconfig", admin.as_str()];
        all.extend(args);
        output_of(nsenter(ns, true, &kubectl, &all))
    };
    // kube-proxy runs the lab's mode, from hlc's KubeProxyConfiguration as kubeadm uploaded it.
    if let Some(proxy) = &lab.kube_proxy {
        let (ok, text) = kubectl_run(&[
            "-n",
            "kube-system",
            "get",
            "configmap",
            "kube-proxy",
            "-o",
            "jsonpath={.data.config\\.conf}",
        ]);
        assert!(ok, "{input}: {text}");
        let config: serde_yaml::Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{input}: {e}: {text}"));
        let mode = format!("{:?}", proxy.mode.value).to_lowercase();
        assert_eq!(config["mode"].as_str(), Some(mode.as_str()), "{input}: kube-proxy's uploaded config:\n{text}");
    }
    let token = read(&fake_root, "etc/kubernetes/hlc/bootstrap-token");
    let token_id = token.trim().split('.').next().unwrap().to_string();
    let signed = wait_for(90, &mut processes, || {
        let (_, data) =
            kubectl_run(&["-n", "kube-public", "get", "configmap", "cluster-info", "-o", "jsonpath={.data}"]);
        data.contains(&format!("jws-kubeconfig-{token_id}"))
    });
    assert!(signed, "{input}: the controller-manager never signed cluster-info with the token\n{}", processes.tails());
    // The token kubeadm made from the init config: valid for a day (day 0; later joins make it
    // valid again for a while, as the change plan says), can sign and authenticate.
    let secret = format!("bootstrap-token-{token_id}");
    let (ok, data) = kubectl_run(&["-n", "kube-system", "get", "secret", &secret, "-o", "jsonpath={.data}"]);
    let data: serde_json::Value =
        serde_json::from_str(&data).unwrap_or_else(|e| panic!("{input}: {secret}: {e}: {data}"));
    assert!(ok && data.get("token-secret").is_some(), "{input}: {data}");
    let expiration = data["expiration"].as_str().unwrap_or_else(|| panic!("{input}: the token never expires: {data}"));
    use base64::Engine;
    let expiration = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(expiration).unwrap()).unwrap();
    let (ok, at) = output_of({
        let mut date = Command::new("date");
        date.args(["-u", "-d", &expiration, "+%s"]);
        date
    });
    let left = at.trim().parse::<u64>().unwrap_or_else(|_| panic!("{input}: {ok} {at}"))
        - std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    assert!((23 * 3600..=24 * 3600).contains(&left), "{input}: the token expires in {left} s ({expiration})");
    for usage in ["usage-bootstrap-authentication", "usage-bootstrap-signing"] {
        assert!(data.get(usage).is_some(), "{input}: the bootstrap token lacks {usage}: {data}");
    }

    // Token discovery from every other kind of node (first control-plane join, first worker join),
    // each with only its own files, in its own mount namespace on this network.
    let mut joiners: Vec<String> = Vec::new();
    for join in tree_files(&out, "kubeadm/join.yaml") {
        let node = join.split('/').nth(1).unwrap().to_string();
        let control_plane = read(&out, &join).contains("\ncontrolPlane:");
        if node != first
            && !joiners.iter().any(|j| {
                read(&out, &format!("nodes/{j}/kubeadm/join.yaml")).contains("\ncontrolPlane:") == control_plane
            })
        {
            joiners.push(node);
        }
    }
    assert!(!joiners.is_empty(), "{input}: no node joins");
    // The first control plane re-imaged: it joins with the join.yaml its user-data also writes.
    if out.join(format!("nodes/{first}/kubeadm/join.yaml")).is_file() {
        joiners.push(first.clone());
    }
    // (success, output, the node's /etc/kubernetes before and after): preflight (discovery), and on
    // a control plane that kubeadm takes its certificates and kubeconfigs as they are.
    let join = |node: &str, pin: Option<&str>| {
        let scratch = tempfile::tempdir().unwrap();
        let fake_root = scratch.path().join("root");
        lay_down(&out, node, &fake_root);
        if node == first {
            // As /etc/hlc/converge does before a re-imaged first control plane joins: its seed's
            // kubelet.conf is for init; join makes its own.
            std::fs::remove_file(fake_root.join("etc/kubernetes/kubelet.conf")).unwrap();
        }
        let config = node_config(&fake_root, "join.yaml", scratch.path());
        if let Some(pin) = pin {
            let text = std::fs::read_to_string(&config).unwrap();
            let start = text.find("- sha256:").expect("a CA pin") + 2;
            let end = start + text[start..].find('\n').unwrap();
            std::fs::write(&config, format!("{}{pin}{}", &text[..start], &text[end..])).unwrap();
        }
        let phase = |phase: &str| format!("'{}' join phase {phase} --config '{}'", kubeadm.display(), config.display());
        let mut body = format!(
            "export PATH='{}':$PATH\n{} --ignore-preflight-errors={NO_RUNTIME}\n",
            toolbox().display(),
            phase("preflight")
        );
        if pin.is_none() && read(&out, &format!("nodes/{node}/kubeadm/join.yaml")).contains("\ncontrolPlane:") {
            for prepare in ["certs", "kubeconfig", "control-plane"] {
                body += &format!("{}\n", phase(&format!("control-plane-prepare {prepare}")));
            }
        }
        let before = snapshot(&fake_root.join("etc/kubernetes"));
        let script = in_node_mounts(&fake_root, scratch.path(), &body);
        let (ok, text) = output_of(nsenter(ns, true, Path::new("/usr/bin/unshare"), &["-m", "sh", "-c", &script]));
        (ok, text, before, snapshot(&fake_root.join("etc/kubernetes")))
    };
    for node in &joiners {
        let (ok, text, before, after) = join(node, None);
        assert!(ok, "{input}: {node} cannot join with its join config:\n{text}");
        for (path, (bytes, _)) in &before {
            assert!(
                after.get(path).is_some_and(|(b, _)| b == bytes),
                "{input}: kubeadm join on {node} rewrote {path}:\n{text}"
            );
        }
        let added: Vec<&String> = after.keys().filter(|p| !before.contains_key(*p)).collect();
        let allowed = |p: &str| {
            ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
                .iter()
                .any(|c| p == format!("manifests/{c}.yaml"))
        };
        assert!(added.iter().all(|p| allowed(p)), "{input}: kubeadm join on {node} had to add {added:?}:\n{text}");
        let control_plane = read(&out, &format!("nodes/{node}/kubeadm/join.yaml")).contains("\ncontrolPlane:");
        assert_eq!(added.len(), if control_plane { 3 } else { 0 }, "{input}: {node}'s static pods: {added:?}\n{text}");
        let warned: Vec<&str> =
            warnings(&lab, &text).into_iter().filter(|l| !l.contains("No kubeproxy.config")).collect();
        assert!(warned.is_empty(), "{input}: kubeadm join on {node} warns:\n{}", warned.join("\n"));
    }
    let wrong_pin = format!("sha256:{}", "0".repeat(64));
    let (ok, text, _, _) = join(&joiners[0], Some(&wrong_pin));
    assert!(!ok && text.contains("pinned"), "{input}: discovery with a wrong CA pin did not fail on the pin:\n{text}");

    // RBAC: the grants, as the names the OIDC authenticator gives (with its prefixes).
    let objects: Vec<String> = ["namespaces.yaml", "rbac.yaml"]
        .iter()
        .map(|f| out.join("cluster/manifests").join(f))
        .filter(|f| f.is_file())
        .map(|f| f.display().to_string())
        .collect();
    let mut apply = vec!["apply", "--server-side"];
    for file in &objects {
        apply.extend(["-f", file.as_str()]);
    }
    let (ok, text) = kubectl_run(&apply);
    assert!(ok, "{input}: kubectl apply {objects:?}:\n{text}");
    let grants = lab.auth.as_ref().map(|a| a.grants.as_slice()).unwrap_or_default();
    let (user_prefix, group_prefix) = match lab.auth.as_ref().and_then(|a| a.oidc.as_ref()) {
        Some(oidc) => (oidc.username_prefix.clone(), oidc.groups_prefix.clone()),
        None => (String::new(), String::new()),
    };
    for grant in grants {
        let (verb, resource) = granted_by(&lab, &grant.role.value);
        let namespace = grant.namespace.clone().unwrap_or_else(|| "default".to_string());
        let can = |who: &[String], namespace: &str| {
            let mut args = vec!["auth", "can-i", verb.as_str(), resource.as_str(), "-n", namespace];
            args.extend(who.iter().map(String::as_str));
            let (_, answer) = kubectl_run(&args);
            answer.lines().next().unwrap_or_default().trim().to_string()
        };
        let subject = |prefix: &str| match &grant.subject {
            hlc::model::Subject::User(user) => vec![format!("--as={prefix}{user}")],
            hlc::model::Subject::Group(group) => {
                vec!["--as=hlc-probe".to_string(), format!("--as-group={prefix}{group}")]
            }
        };
        let prefix = match grant.subject {
            hlc::model::Subject::User(_) => &user_prefix,
            hlc::model::Subject::Group(_) => &group_prefix,
        };
        let what =
            format!("{input}: grant {:?} to {:?}: {verb} {resource} in {namespace}", grant.role.value, grant.subject);
        assert_eq!(can(&subject(prefix), &namespace), "yes", "{what}");
        assert_eq!(can(&["--as=hlc-nobody".to_string()], &namespace), "no", "{what}: granted to anyone");
        if !prefix.is_empty() {
            assert_eq!(can(&subject(""), &namespace), "no", "{what}: granted without the OIDC prefix");
        }
        if grant.namespace.is_some() {
            assert_eq!(can(&subject(prefix), "kube-system"), "no", "{what}: leaks out of its namespace");
        }
    }

    // A worker's drain-only credential: what it may do (RBAC), and that the admission policy keeps
    // it to its own Node.
    if let Some(worker) = lab.nodes.iter().find(|n| !n.is_control_plane()) {
        drain_credential_holds(input, (&out, scratch.path()), &worker.name.value, &kubectl_run, &mut processes);
    }

    // OIDC end to end: ID tokens from the stand-in provider, through hlc's authentication config,
    // with kubeconfig/oidc.conf's cluster; each grant holds for the token's user or group.
    if let Some(oidc) = oidc {
        let mut conf: serde_yaml::Value = serde_yaml::from_str(&read(&out, "kubeconfig/oidc.conf")).unwrap();
        conf["users"][0]["user"] = serde_yaml::Mapping::new().into();
        let token_conf = scratch.path().join("token.conf");
        std::fs::write(&token_conf, serde_yaml::to_string(&conf).unwrap()).unwrap();
        let token_conf = token_conf.display().to_string();
        let mint = |user: &str, groups: &[&str], key: &str, audience: &str| {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let mut claims = serde_json::json!({
                "iss": oidc.issuer.value, "aud": audience, "sub": "hlc-test-subject", "email_verified": true,
                "iat": now - 5, "nbf": now - 5, "exp": now + 600,
            });
            claims[&oidc.username_claim] = user.into();
            claims[&oidc.groups_claim] = groups.into();
            let (ok, token) = output_of(idp_command(&idp, &["mint", key, &claims.to_string()]));
            assert!(ok, "{token}");
            token.trim().to_string()
        };
        let as_token = |token: &str, args: &[&str]| {
            let mut all = vec!["--kubeconfig", token_conf.as_str(), "--token", token];
            all.extend(args);
            output_of(nsenter(ns, true, &kubectl, &all))
        };
        let whoami = |token: &str| {
            let (ok, text) = as_token(token, &["auth", "whoami", "-o", "json"]);
            ok.then(|| serde_json::from_str::<serde_json::Value>(&text).unwrap()["status"]["userInfo"].clone())
        };
        let user = "hlc-probe@example.net";
        let good = mint(user, &["hlc-probe-group"], "key.pem", &oidc.client_id);
        let info = whoami(&good).unwrap_or_else(|| panic!("{input}: the API server rejects a good ID token"));
        assert_eq!(
            info["username"].as_str(),
            Some(format!("{}{user}", oidc.username_prefix).as_str()),
            "{input}: {info}"
        );
        let group = format!("{}hlc-probe-group", oidc.groups_prefix);
        assert!(info["groups"].as_array().unwrap().iter().any(|g| g.as_str() == Some(&group)), "{input}: {info}");
        // Negative controls: a token signed by a key the provider does not publish, and one for
        // another audience, are not accepted.
        assert!(whoami(&mint(user, &[], "other.pem", &oidc.client_id)).is_none(), "{input}: a foreign key's token");
        assert!(whoami(&mint(user, &[], "key.pem", "not-the-client")).is_none(), "{input}: another audience's token");
        for grant in grants {
            let (verb, resource) = granted_by(&lab, &grant.role.value);
            let namespace = grant.namespace.clone().unwrap_or_else(|| "default".to_string());
            let token = match &grant.subject {
                hlc::model::Subject::User(user) => mint(user, &[], "key.pem", &oidc.client_id),
                hlc::model::Subject::Group(group) => mint(user, &[group.as_str()], "key.pem", &oidc.client_id),
            };
            let (_, answer) = as_token(&token, &["auth", "can-i", &verb, &resource, "-n", &namespace]);
            assert_eq!(answer.lines().next(), Some("yes"), "{input}: grant {:?} through an ID token", grant.role.value);
        }
    }

    live_objects(input, &lab, &out, scratch.path(), &kubectl_run);
    processes.assert_running();
}

/// One YAML stream of documents' texts.
fn yaml_stream<'a>(documents: impl IntoIterator<Item = &'a String>) -> String {
    documents.into_iter().map(|d| format!("---\n{d}\n")).collect()
}

/// The documents of a YAML stream as their own text (kubectl reads it as YAML 1.1, as helm's
/// templates are written: `defaultMode: 0400` is octal there, a string to serde_yaml, so objects go
/// to the API server in their original text) with their parsed value, empty documents left out.
fn raw_documents(text: &str) -> Vec<(String, serde_yaml::Value)> {
    let mut documents = vec![String::new()];
    for line in text.lines() {
        if line == "---" || line.starts_with("--- ") {
            documents.push(String::new());
        } else {
            let last = documents.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    documents
        .into_iter()
        .filter_map(|d| {
            let value: serde_yaml::Value = serde_yaml::from_str(&d).unwrap_or_else(|e| panic!("{e}:\n{d}"));
            (!value.is_null()).then_some((d, value))
        })
        .collect()
}

/// `value` with YAML 1.1's octal file modes (`defaultMode: 0400`, which serde_yaml keeps as a
/// string) made numbers again, to be written back as YAML 1.2.
fn octal_modes(value: &mut serde_yaml::Value) {
    match value {
        serde_yaml::Value::Mapping(map) => {
            for (key, child) in map.iter_mut() {
                let octal = child
                    .as_str()
                    .filter(|t| t.len() > 1 && t.starts_with('0'))
                    .and_then(|t| u32::from_str_radix(t, 8).ok());
                match (key.as_str(), octal) {
                    (Some("defaultMode" | "mode"), Some(mode)) => *child = mode.into(),
                    _ => octal_modes(child),
                }
            }
        }
        serde_yaml::Value::Sequence(items) => items.iter_mut().for_each(octal_modes),
        _ => {}
    }
}

fn yaml_documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|d: &serde_yaml::Value| !d.is_null())
        .collect()
}

/// The real CRDs of every pinned component, installed; then every object hlc writes
/// (`cluster/manifests`, the Flux tree) and every release's `helm template` output (rendered with
/// the live server's API versions) through a strict server-side dry run. Negative controls: an
/// unknown field in each manifests file's last object, in a rendered workload, and a value an enum
/// of a chart's CRD does not allow.
fn live_objects(
    input: &str,
    lab: &hlc::model::Lab,
    out: &Path,
    scratch: &Path,
    kubectl_run: &dyn Fn(&[&str]) -> (bool, String),
) {
    use crate::charts::{charts, kube_version, releases, render};
    let write = |name: &str, text: &str| {
        let file = scratch.join(name);
        std::fs::write(&file, text).unwrap();
        file.display().to_string()
    };
    // CRDs: those the charts render (their crds/ directories and CRD templates, with hlc's values),
    // Cilium's (its operator creates them from these files) and Flux's controllers'.
    let releases = releases(out);
    let version = kube_version(lab);
    type Documents = Vec<(String, serde_yaml::Value)>;
    let rendered = |api_versions: &[String]| -> Vec<(crate::charts::Release, Documents)> {
        releases
            .iter()
            .map(|r| {
                let text = render(r, &r.values, &version, api_versions)
                    .unwrap_or_else(|e| panic!("{input}: helm template {}: {e}", r.name));
                (r.clone(), raw_documents(&text))
            })
            .collect()
    };
    let is_crd = |o: &serde_yaml::Value| o["kind"].as_str() == Some("CustomResourceDefinition");
    let mut crds: BTreeMap<String, String> = BTreeMap::new();
    let mut add_crds = |documents: Documents| {
        for (text, crd) in documents.into_iter().filter(|(_, o)| is_crd(o)) {
            crds.insert(crd["metadata"]["name"].as_str().unwrap().to_string(), text);
        }
    };
    for (_, documents) in rendered(&[]) {
        add_crds(documents);
    }
    for project in ["cilium", "source-controller", "kustomize-controller", "helm-controller"] {
        let dir = charts().join("crds").join(project);
        for file in tree_files(&dir, ".yaml") {
            add_crds(raw_documents(&read(&dir, &file)));
        }
    }
    assert!(crds.len() > 20, "{input}: only the CRDs {:?}", crds.keys());
    let crd_file = write("crds.yaml", &yaml_stream(crds.values()));
    let (ok, text) = kubectl_run(&["apply", "--server-side", "-f", &crd_file]);
    assert!(ok, "{input}: the components' CRDs:\n{text}");
    let (ok, text) = kubectl_run(&["wait", "--for=condition=Established", "crd", "--all", "--timeout=120s"]);
    assert!(ok, "{input}: CRDs not established:\n{text}");
    let (ok, text) = kubectl_run(&["api-versions"]);
    assert!(ok, "{input}: {text}");
    let api_versions: Vec<String> = text.lines().map(String::from).collect();

    let dry_run = |file: &str, namespace: Option<&str>| {
        let mut args = vec!["apply", "--server-side", "--dry-run=server", "--validate=strict", "-f", file];
        if let Some(namespace) = namespace {
            args.extend(["-n", namespace]);
        }
        kubectl_run(&args)
    };
    // hlc's own objects: cluster/manifests, then the Flux tree (in flux-system, which `flux install`
    // creates; kustomize's own kustomization.yaml files are no objects).
    let manifests = out.join("cluster/manifests");
    let files: Vec<String> =
        tree_files(&manifests, ".yaml").iter().map(|f| manifests.join(f).display().to_string()).collect();
    for file in &files {
        let (ok, text) = dry_run(file, None);
        assert!(ok, "{input}: the API server rejects {file}:\n{text}");
    }
    let flux: Vec<String> = tree_files(out, ".yaml")
        .iter()
        .filter(|f| f.starts_with("flux/"))
        .flat_map(|f| raw_documents(&read(out, f)))
        .filter(|(_, o)| o["apiVersion"].as_str().is_some_and(|a| !a.starts_with("kustomize.config.k8s.io/")))
        .map(|(text, _)| text)
        .collect();
    if !flux.is_empty() {
        let (ok, text) = kubectl_run(&["create", "namespace", "flux-system"]);
        assert!(ok, "{input}: {text}");
        // A dry run creates nothing: the namespaces the tree's objects (a user layer's) go into
        // must exist for real.
        let namespaces = flux.iter().flat_map(|text| yaml_documents(text)).filter(|o| o["kind"] == "Namespace");
        for name in namespaces.filter_map(|o| o["metadata"]["name"].as_str().map(str::to_string)) {
            let (ok, text) = kubectl_run(&["create", "namespace", &name]);
            assert!(ok || text.contains("AlreadyExists"), "{input}: {text}");
        }
        let file = write("flux.yaml", &yaml_stream(&flux));
        let (ok, text) = dry_run(&file, None);
        assert!(ok, "{input}: the API server rejects the Flux tree's objects:\n{text}");
    }
    // Negative control: an unknown field in an object of each file is rejected.
    for file in &files {
        let mut documents = yaml_documents(&std::fs::read_to_string(file).unwrap());
        let last = documents.last_mut().unwrap();
        last["hlcUnknownField"] = serde_yaml::Value::from("x");
        let broken = write("broken.yaml", &serde_yaml::to_string(last).unwrap());
        let (ok, output) = dry_run(&broken, None);
        assert!(!ok, "{input}: the API server accepted an unknown field in {file}'s last object:\n{output}");
    }

    // Each release as helm would install it: its namespaces first (for real), objects without a
    // namespace into the release's.
    let mut workload = None;
    let mut installation = None;
    for (release, documents) in rendered(&api_versions) {
        let documents: Vec<&(String, serde_yaml::Value)> = documents.iter().filter(|(_, o)| !is_crd(o)).collect();
        for (text, _) in documents.iter().filter(|(_, o)| o["kind"].as_str() == Some("Namespace")) {
            let file = write("namespace.yaml", text);
            let (ok, text) = kubectl_run(&["apply", "--server-side", "-f", &file]);
            assert!(ok, "{input}: {}: {text}", release.name);
        }
        let (placed, unplaced): (Vec<&(String, serde_yaml::Value)>, Vec<_>) =
            documents.iter().copied().partition(|(_, o)| o["metadata"]["namespace"].as_str().is_some());
        for (part, namespace) in [(placed, None), (unplaced, Some(release.namespace.as_str()))] {
            if part.is_empty() {
                continue;
            }
            let file = write(&format!("{}.yaml", release.name), &yaml_stream(part.iter().map(|(text, _)| text)));
            let (ok, text) = dry_run(&file, namespace);
            assert!(ok, "{input}: the API server rejects {}'s rendered objects:\n{text}", release.name);
        }
        let objects: Vec<&serde_yaml::Value> = documents.iter().map(|(_, o)| o).collect();
        let with_namespace = |o: &serde_yaml::Value| {
            let mut o = o.clone();
            octal_modes(&mut o);
            if o["metadata"]["namespace"].is_null() {
                o["metadata"]["namespace"] = release.namespace.clone().into();
            }
            o
        };
        if workload.is_none() {
            workload = objects
                .iter()
                .find(|o| matches!(o["kind"].as_str(), Some("Deployment" | "DaemonSet")))
                .map(|o| with_namespace(o));
        }
        if installation.is_none() {
            installation =
                objects.iter().find(|o| o["kind"].as_str() == Some("Installation")).map(|o| with_namespace(o));
        }
    }
    // Negative controls: a rendered workload with an unknown field in its pod's first container,
    // and (Calico labs) an IP pool encapsulation the Installation CRD does not allow.
    let mut workload = workload.unwrap_or_else(|| panic!("{input}: no release renders a workload"));
    workload["spec"]["template"]["spec"]["containers"][0]["hlcUnknownField"] = "x".into();
    let (ok, text) = dry_run(&write("broken.yaml", &serde_yaml::to_string(&workload).unwrap()), None);
    assert!(
        !ok && text.contains("hlcUnknownField"),
        "{input}: a rendered workload with an unknown field was accepted:\n{text}"
    );
    if let Some(mut installation) = installation {
        installation["spec"]["calicoNetwork"]["ipPools"][0]["encapsulation"] = "Bogus".into();
        let (ok, text) = dry_run(&write("broken.yaml", &serde_yaml::to_string(&installation).unwrap()), None);
        assert!(!ok && text.contains("Bogus"), "{input}: the Installation CRD accepted encapsulation Bogus:\n{text}");
    }
}

#[test]
fn a_control_plane_comes_up_from_hlcs_files_and_lets_nodes_discover_it() {
    live_control_plane("fixtures/valid/cilium.kdl");
}

#[test]
fn the_example_labs_control_plane_comes_up_too() {
    live_control_plane("homelab.kdl");
}

#[test]
fn every_other_labs_control_plane_comes_up() {
    for input in kubeadm_documents() {
        if input != "homelab.kdl" && input != "fixtures/valid/cilium.kdl" {
            live_control_plane(&input);
        }
    }
}

#[test]
fn containerd_2_serves_cri_to_kubeadm_with_each_first_control_planes_files() {
    let kubeadm = consumer("kubeadm");
    for input in kubeadm_documents() {
        let lab = lab(&input);
        let out = built(&input).join("out");
        let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
        let node = init.split('/').nth(1).unwrap().to_string();
        let node_ip = lab.nodes.iter().find(|n| n.name.value == node).unwrap().ip();
        let scratch = tempfile::tempdir().unwrap();
        let fake_root = scratch.path().join("root");
        lay_down(&out, &node, &fake_root);
        let config = node_config(&fake_root, "init.yaml", scratch.path());
        let logs = scratch.path().join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        let mut processes = Processes::new(&logs);
        let ns = node_namespaces(&fake_root, scratch.path(), &[node_ip], &mut processes, "");
        // containerd 2.x as the node runs it: its config.toml and certs.d from user-data.
        processes.spawn(
            "containerd",
            nsenter(ns, false, &consumer("containerd"), &["--config", "/etc/containerd/config.toml"]),
        );
        let socket = fake_root.join("run/containerd/containerd.sock");
        assert!(wait_for(60, &mut processes, || socket.exists()), "{input}: no CRI socket\n{}", processes.tails());
        // kubeadm's preflight talks CRI to it at the config's criSocket; what cannot pass in a test
        // namespace (the kernel, image pulls from the internet) is not asked.
        let path = format!("PATH={}:/usr/sbin:/usr/bin:/sbin:/bin", toolbox().display());
        // The toolbox's kubelet is 1.37: newer than a 1.36 lab's control plane.
        let mut ignored = "--ignore-preflight-errors=SystemVerification,ImagePull".to_string();
        if lab.cluster.kubernetes.minor != 37 {
            ignored += ",KubeletVersion";
        }
        let (ok, text) = output_of(nsenter(
            ns,
            false,
            Path::new("/usr/bin/env"),
            &[
                &path,
                &kubeadm.display().to_string(),
                "init",
                "phase",
                "preflight",
                "--config",
                &config.display().to_string(),
                &ignored,
            ],
        ));
        assert!(ok, "{input}: kubeadm preflight with containerd on {node}:\n{text}\n{}", processes.tails());
        // kubeadm's own warnings (klog), e.g. a sandbox image other than the one kubeadm uses.
        let warned = warnings(&lab, &text);
        assert!(warned.is_empty(), "{input}: kubeadm warns about containerd on {node}:\n{}", warned.join("\n"));
        for check in ["[WARNING CRI]", "[WARNING ContainerRuntimeVersion]"] {
            assert!(!text.contains(check), "{input}: {check} with containerd on {node}:\n{text}");
        }
        let log = std::fs::read_to_string(logs.join("containerd.log")).unwrap();
        assert!(!log.contains("unknown key"), "{input}: containerd ignored keys of {node}'s config:\n{log}");
        processes.assert_running();
    }
}

#[test]
fn kubeadm_preflight_fails_without_a_container_runtime() {
    // Negative control for the test above: the same preflight, no containerd.
    let kubeadm = consumer("kubeadm");
    let out = built("homelab.kdl").join("out");
    let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
    let node = init.split('/').nth(1).unwrap().to_string();
    let node_ip = lab("homelab.kdl").nodes.iter().find(|n| n.name.value == node).unwrap().ip();
    let scratch = tempfile::tempdir().unwrap();
    let fake_root = scratch.path().join("root");
    lay_down(&out, &node, &fake_root);
    let config = node_config(&fake_root, "init.yaml", scratch.path());
    let logs = scratch.path().join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let mut processes = Processes::new(&logs);
    let ns = node_namespaces(&fake_root, scratch.path(), &[node_ip], &mut processes, "");
    let path = format!("PATH={}:/usr/sbin:/usr/bin:/sbin:/bin", toolbox().display());
    let (ok, text) = output_of(nsenter(
        ns,
        false,
        Path::new("/usr/bin/env"),
        &[
            &path,
            &kubeadm.display().to_string(),
            "init",
            "phase",
            "preflight",
            "--config",
            &config.display().to_string(),
            "--ignore-preflight-errors=SystemVerification,ImagePull,KubeletVersion",
        ],
    ));
    assert!(!ok && text.contains("[ERROR CRI]"), "kubeadm preflight passed without a container runtime:\n{text}");
}

/// The pause image in `kubeadm config images list` output.
fn kubeadm_pause_image(images: &str) -> Option<&str> {
    images.lines().map(str::trim).find(|l| l.contains("/pause:"))
}

/// containerd's sandbox image after loading `config` (its `config dump`).
fn containerd_sandbox_image(config: &str) -> String {
    let dump = containerd_dump(config).unwrap_or_else(|e| panic!("{e}"));
    dump["plugins"]["io.containerd.cri.v1.images"]["pinned_images"]["sandbox"]
        .as_str()
        .unwrap_or_else(|| panic!("no sandbox image in containerd's dump"))
        .to_string()
}

#[test]
fn containerd_sandboxes_use_the_pause_image_kubeadm_pulls() {
    // kubeadm pre-pulls its pause image and the kubelet's pods get containerd's sandbox image: on a
    // node with the images mirrored or pre-pulled, the two must be the same image.
    let mut differ = Vec::new();
    for input in kubeadm_documents() {
        let out = built(&input).join("out");
        let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
        let node = init.split('/').nth(1).unwrap();
        let config = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(config.path(), filled_config(&out, &init)).unwrap();
        let (ok, images) = run(
            &consumer("kubeadm"),
            &["config", "images", "list", "--config", &config.path().display().to_string()],
            true,
        );
        assert!(ok, "{input}: kubeadm config images list:\n{images}");
        let pause = kubeadm_pause_image(&images).unwrap_or_else(|| panic!("{input}: no pause image in\n{images}"));
        let sandbox = containerd_sandbox_image(&read(&out, &format!("nodes/{node}/etc/containerd/config.toml")));
        if sandbox != pause {
            differ.push(format!("{input}: containerd's sandbox image is {sandbox}, kubeadm pulls {pause}"));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn a_different_sandbox_image_is_noticed() {
    // Negative control for the test above: the comparison sees a changed pause tag.
    let out = built("fixtures/valid/cilium.kdl").join("out");
    let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
    let node = init.split('/').nth(1).unwrap();
    let text = read(&out, &format!("nodes/{node}/etc/containerd/config.toml"));
    let changed = text.replace("registry.k8s.io/pause:", "registry.k8s.io/pause:0.");
    assert!(changed != text);
    assert_ne!(containerd_sandbox_image(&changed), containerd_sandbox_image(&text));
}

/// The env variable names kube-vip reads: the string constants of its `pkg/kubevip/config_envvar.go`.
fn kube_vip_env_names() -> (String, std::collections::BTreeSet<String>) {
    let src = toolbox().join("kube-vip-src");
    let text = std::fs::read_to_string(src.join("pkg/kubevip/config_envvar.go"))
        .unwrap_or_else(|e| panic!("kube-vip's source in the toolbox ({}): {e}", src.display()));
    let names = text
        .lines()
        .filter_map(|l| l.split_once("= \"").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once('"').map(|(name, _)| name.to_string()))
        .collect();
    let version = std::fs::read_to_string(toolbox().join("VERSIONS"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("kube-vip ").map(|v| v.split(' ').next().unwrap().to_string()))
        .unwrap();
    (version, names)
}

#[test]
fn kube_vip_reads_every_env_variable_of_its_static_pods() {
    let (version, known) = kube_vip_env_names();
    assert!(known.contains("vip_arp") && known.contains("address"), "kube-vip's env names: {known:?}");
    assert!(!known.contains("vip_arpp"), "negative control: a misspelt name is not a kube-vip variable");
    let mut checked = 0;
    let mut unread = Vec::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        for manifest in tree_files(&out, "manifests/kube-vip.yaml") {
            let pod: serde_yaml::Value = serde_yaml::from_str(&read(&out, &manifest)).unwrap();
            let container = &pod["spec"]["containers"][0];
            let image = container["image"].as_str().unwrap();
            assert!(
                image.ends_with(&format!(":{version}")),
                "{input} {manifest}: {image}, the toolbox has kube-vip {version}'s source"
            );
            let unknown: Vec<&str> = container["env"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|e| e["name"].as_str().unwrap())
                .filter(|name| !known.contains(*name))
                .collect();
            if !unknown.is_empty() {
                unread.push(format!("{input} {manifest}: kube-vip {version} reads no env variable {unknown:?}"));
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no kube-vip manifest was checked");
    assert!(unread.is_empty(), "{}", unread.join("\n"));
}

/// The `node-drainers` layer on a live API server: a worker's drain credential may read nodes,
/// list pods and evict them, and cordon and uncordon its own Node only (ValidatingAdmissionPolicy);
/// it may not read secrets or delete nodes.
fn drain_credential_holds(
    input: &str,
    (out, scratch): (&Path, &Path),
    worker: &str,
    kubectl_run: &dyn Fn(&[&str]) -> (bool, String),
    processes: &mut Processes,
) {
    let manifest = out.join("cluster/manifests/node-drainers.yaml").display().to_string();
    let (ok, text) = kubectl_run(&["apply", "--server-side", "-f", &manifest]);
    assert!(ok, "{input}: {text}");
    for name in [worker, "hlc-some-other-node"] {
        let node = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}).to_string();
        let file = scratch.join(format!("{name}.node.json"));
        std::fs::write(&file, node).unwrap();
        let (ok, text) = kubectl_run(&["apply", "--server-side", "-f", &file.display().to_string()]);
        assert!(ok, "{input}: {text}");
    }
    let user = format!("--as=hlc:node-drainer:{worker}");
    let group = "--as-group=hlc:node-drainers";
    let can = |args: &[&str]| {
        let mut all = vec!["auth", "can-i"];
        all.extend(args);
        all.extend([user.as_str(), group]);
        kubectl_run(&all).1.lines().next().unwrap_or_default().trim().to_string()
    };
    for allowed in [
        &["list", "pods", "-A"][..],
        &["create", "pods", "--subresource=eviction", "-n", "default"],
        &["patch", "nodes"],
        &["get", "daemonsets.apps", "-n", "kube-system"],
    ] {
        assert_eq!(can(allowed), "yes", "{input}: the drain credential may {allowed:?}");
    }
    for denied in [
        &["get", "secrets", "-A"][..],
        &["delete", "nodes"],
        &["create", "pods", "-n", "default"],
        &["create", "pods", "--subresource=exec", "-n", "default"],
    ] {
        assert_eq!(can(denied), "no", "{input}: the drain credential may not {denied:?}");
    }
    // `kubectl cordon` exits 0 even when its patch is refused: judge by what it says and by the Node.
    let as_drainer = |verb: &str, node: &str| kubectl_run(&[verb, node, user.as_str(), group]).1;
    let unschedulable =
        |node: &str| kubectl_run(&["get", "node", node, "-o", "jsonpath={.spec.unschedulable}"]).1.trim() == "true";
    let text = as_drainer("cordon", worker);
    assert!(!text.contains("error") && unschedulable(worker), "{input}: a worker cordons itself: {text}");
    // The policy is enforced once the API server has loaded it: wait for the refusal.
    let mut refusal = String::new();
    let refused = wait_for(60, processes, || {
        refusal = as_drainer("cordon", "hlc-some-other-node");
        refusal.contains("only its own node")
    });
    assert!(refused && !unschedulable("hlc-some-other-node"), "{input}: a worker cordoned another node: {refusal}");
    let text = as_drainer("uncordon", worker);
    assert!(!unschedulable(worker), "{input}: a worker uncordons itself: {text}");
    // Nothing but spec.unschedulable, not even on its own Node: no control-plane role label.
    let (_, text) =
        kubectl_run(&["label", "node", worker, "node-role.kubernetes.io/control-plane=", user.as_str(), group]);
    assert!(text.contains("may change only spec.unschedulable"), "{input}: a worker labelled itself: {text}");
    let (_, labels) = kubectl_run(&["get", "node", worker, "-o", "jsonpath={.metadata.labels}"]);
    assert!(!labels.contains("control-plane"), "{input}: {labels}");
}
