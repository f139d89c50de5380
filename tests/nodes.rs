//! Node bring-up output against its real consumers (cloud-init, netplan, dnsmasq, keepalived,
//! haproxy, containerd) for every valid document, and cross-checks between the files.

use std::path::Path;

use crate::support::{built, run_tool, tree_files, valid_documents};

fn tree_of(input: &str) -> std::path::PathBuf {
    built(input).join("out")
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn yaml(out: &Path, path: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(out, path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn cloud_init_accepts_every_user_data() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let seeds = tree_files(&out, "nocloud/user-data");
        assert!(!seeds.is_empty(), "{input}");
        for seed in seeds {
            let (ok, text) = run_tool("cloud-init", &["schema", "--config-file", &seed], &out);
            assert!(ok && text.contains("Valid cloud-config"), "{input} {seed}: {text}");
            assert!(read(&out, &seed).starts_with("#cloud-config\n"));
        }
    }
}

#[test]
fn netplan_generates_every_network_config() {
    for input in valid_documents() {
        let out = tree_of(&input);
        for config in tree_files(&out, "nocloud/network-config") {
            let root = tempfile::tempdir().unwrap();
            std::fs::create_dir_all(root.path().join("etc/netplan")).unwrap();
            let target = root.path().join("etc/netplan/50-cloud-init.yaml");
            std::fs::copy(out.join(&config), &target).unwrap();
            std::fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            let (ok, text) = run_tool("netplan", &["generate", "--root-dir", &root.path().display().to_string()], &out);
            assert!(ok, "{input} {config}: {text}");
            let generated = tree_files(&root.path().join("run/systemd/network"), ".network");
            assert!(!generated.is_empty(), "{input} {config}: netplan generated nothing");
        }
    }
}

#[test]
fn dnsmasq_accepts_its_config() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let configs: Vec<String> =
            tree_files(&out, ".conf").into_iter().filter(|p| p.starts_with("network/dnsmasq/")).collect();
        assert_eq!(configs.len(), 1, "{input}");
        // Point the data-file paths at this tree, so dnsmasq reads what we generated.
        let text = read(&out, &configs[0]);
        let data = out.join("network/dnsmasq").display().to_string();
        let local = text
            .lines()
            .map(|l| {
                if l.starts_with("dhcp-hostsfile=") || l.starts_with("addn-hosts=") {
                    l.replacen(&l[l.find('=').unwrap() + 1..l.rfind('/').unwrap()], &data, 1)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let config = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(config.path(), local + "\n").unwrap();
        let (ok, text) = run_tool("dnsmasq", &["--test", "-C", &config.path().display().to_string()], &out);
        assert!(ok && text.contains("syntax check OK"), "{input}: {text}");
    }
}

#[test]
fn keepalived_and_haproxy_accept_their_configs() {
    let out = tree_of("fixtures/valid/keepalived-flannel.kdl");
    for node in ["cp1", "cp2", "cp3"] {
        let keepalived = out.join(format!("nodes/{node}/etc/keepalived"));
        // In private mount and network namespaces: the node's /etc/keepalived and its NIC.
        let script = format!(
            "mount --bind '{}' /etc/keepalived && ip link add eno1 type veth peer name eno1p && keepalived -t -f /etc/keepalived/keepalived.conf",
            keepalived.display()
        );
        let (ok, text) = run_tool("unshare", &["-mn", "sh", "-c", &script], &out);
        assert!(ok, "keepalived {node}: {text}");
        let (ok, text) = run_tool("haproxy", &["-c", "-f", &format!("nodes/{node}/etc/haproxy/haproxy.cfg")], &out);
        assert!(ok && text.contains("Configuration file is valid"), "haproxy {node}: {text}");
    }
    let config = read(&out, "nodes/cp2/etc/haproxy/haproxy.cfg");
    for (node, ip) in [("cp1", "172.16.5.11"), ("cp2", "172.16.5.12"), ("cp3", "172.16.5.13")] {
        assert!(config.contains(&format!("server {node} {ip}:6443 check check-ssl verify none")), "{config}");
    }
    assert!(config.contains("bind *:8443"));
    assert!(config.contains("option httpchk GET /healthz\n    http-check expect status 200\n"), "{config}");
    let check = read(&out, "nodes/cp1/etc/keepalived/check_apiserver.sh");
    assert!(check.contains("https://localhost:8443/healthz"), "keepalived must check haproxy: {check}");
    let priorities: Vec<String> = ["cp1", "cp2", "cp3"]
        .iter()
        .map(|n| {
            read(&out, &format!("nodes/{n}/etc/keepalived/keepalived.conf"))
                .lines()
                .find(|l| l.contains("priority"))
                .unwrap()
                .trim()
                .to_string()
        })
        .collect();
    assert_eq!(priorities, ["priority 101", "priority 100", "priority 99"]);
}

/// In a private network namespace, the control planes' addresses on loopback: cp1 a healthy
/// apiserver (`/healthz` answers 200 over TLS), cp2 an unhealthy one (TLS, but 404), cp3 down.
/// haproxy (check intervals shortened) must send every request to cp1 only, and keepalived's
/// check script must pass while haproxy runs and fail once it is dead.
const HAPROXY_HEALTH: &str = r#"
set -eu
config=$1 check=$2 work=$3
cd "$work"
ip link set lo up
for a in 172.16.5.11 172.16.5.12 172.16.5.13; do ip addr add "$a/32" dev lo; done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=apiserver -days 1 \
    -keyout key.pem -out cert.pem 2>/dev/null
mkdir healthy sick
printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok\n' > healthy/healthz
printf 'HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nunhealthy\n' > sick/healthz
serve() { cd "$1" && exec openssl s_server -quiet -HTTP -accept "$2:6443" -cert ../cert.pem -key ../key.pem; }
(serve healthy 172.16.5.11) >/dev/null 2>&1 &
one=$!
(serve sick 172.16.5.12) >/dev/null 2>&1 &
two=$!
trap 'kill $one $two 2>/dev/null; [ ! -f haproxy.pid ] || kill "$(cat haproxy.pid)" 2>/dev/null; true' EXIT
sed 's/inter 10s downinter 5s/inter 100ms downinter 100ms/' "$config" > haproxy.cfg
haproxy -f haproxy.cfg -p haproxy.pid
sleep 2
for i in 1 2 3 4 5 6; do sh "$check" || { echo "request $i through haproxy reached an unhealthy apiserver"; exit 1; }; done
kill "$(cat haproxy.pid)" && rm haproxy.pid
sleep 0.5
if sh "$check"; then echo "the check passed with haproxy dead"; exit 1; fi
echo healthy-only
"#;

#[test]
fn haproxy_serves_only_healthy_apiservers_and_keepalived_checks_haproxy() {
    let out = tree_of("fixtures/valid/keepalived-flannel.kdl");
    let work = tempfile::tempdir().unwrap();
    let config = out.join("nodes/cp1/etc/haproxy/haproxy.cfg").display().to_string();
    let check = out.join("nodes/cp1/etc/keepalived/check_apiserver.sh").display().to_string();
    assert!(read(&out, "nodes/cp1/etc/haproxy/haproxy.cfg").contains("inter 10s downinter 5s"));
    let args = ["-n", "sh", "-c", HAPROXY_HEALTH, "sh", &config, &check, &work.path().display().to_string()];
    let (ok, text) = run_tool("unshare", &args, &out);
    assert!(ok && text.contains("healthy-only"), "{text}");
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

fn lab(input: &str) -> hlc::model::Lab {
    let source = hlc::source::Source::load(&crate::support::root().join(input)).unwrap();
    hlc::frontend::check_source(&source).lab.unwrap()
}

#[test]
fn containerd_2_with_kubernetes_1_36_and_later() {
    let mut versions = std::collections::BTreeSet::new();
    for input in valid_documents() {
        let out = tree_of(&input);
        // Kubernetes 1.35 is the last release to support containerd 1.x.
        let expected = if lab(&input).cluster.kubernetes.minor >= 36 { 3 } else { 2 };
        for config in tree_files(&out, "etc/containerd/config.toml") {
            let parsed: toml::Value = toml::from_str(&read(&out, &config)).unwrap();
            assert_eq!(parsed["version"].as_integer(), Some(expected), "{input} {config}");
            versions.insert(expected);
        }
        let converge = read(&out, &tree_files(&out, "etc/hlc/converge")[0]);
        assert_eq!(
            converge.contains("readonly CONTAINERD_PACKAGE='containerd.io=2.*'"),
            expected == 3,
            "{input}: containerd 2 from Docker's repository"
        );
        assert_eq!(converge.contains("'socat' 'containerd'"), expected == 2, "{input}: the distribution's containerd");
    }
    assert_eq!(versions.len(), 2, "both schemas are exercised");
}

#[test]
fn containerd_loads_its_config_and_keeps_every_key() {
    for input in valid_documents() {
        let out = tree_of(&input);
        // The installable containerd (Debian 12's 1.6) reads schema v2 only; v3 is checked above.
        if lab(&input).cluster.kubernetes.minor >= 36 {
            continue;
        }
        for config in tree_files(&out, "etc/containerd/config.toml") {
            let (ok, dump) = run_tool("containerd", &["--config", &config, "config", "dump"], &out);
            assert!(ok, "{input} {config}: {dump}");
            let ours: toml::Value = toml::from_str(&read(&out, &config)).unwrap();
            let theirs: toml::Value = toml::from_str(&dump).unwrap();
            let dropped = dropped_keys(&ours, &theirs, "");
            assert!(dropped.is_empty(), "{input} {config}: containerd dropped or changed {dropped:?}");
        }
    }
}

#[test]
fn registry_hosts_files_configure_mirrors_and_insecure_registries() {
    let out = tree_of("fixtures/valid/raspberry-pi.kdl");
    let hosts: toml::Value =
        toml::from_str(&read(&out, "nodes/pi2/etc/containerd/certs.d/docker.io/hosts.toml")).unwrap();
    assert_eq!(hosts["server"].as_str(), Some("https://registry-1.docker.io"));
    let mirror = &hosts["host"]["http://mirror.pi.home.arpa:5000"];
    assert_eq!(mirror["skip_verify"].as_bool(), Some(true));
    assert_eq!(mirror["capabilities"].as_array().unwrap().len(), 2);
    let out = tree_of("homelab.kdl");
    let own: toml::Value =
        toml::from_str(&read(&out, "nodes/node4/etc/containerd/certs.d/registry.home.arpa:5005/hosts.toml")).unwrap();
    assert_eq!(own["server"].as_str(), Some("http://registry.home.arpa:5005"));
}

#[test]
fn join_configs_pin_the_ca_and_share_the_init_token() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let script = "openssl x509 -pubkey -in pki/ca.crt -noout | openssl pkey -pubin -outform der | sha256sum";
        let (ok, digest) = run_tool("sh", &["-c", script], &out);
        assert!(ok, "{digest}");
        let pin = format!("sha256:{}", digest.split_whitespace().next().unwrap());
        let token = std::fs::read_to_string(built(&input).join("state/token")).unwrap();
        let inits = tree_files(&out, "kubeadm/init.yaml");
        assert_eq!(inits.len(), 1, "{input}: exactly one node runs kubeadm init");
        let init: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&read(&out, &inits[0]))
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
        let placeholder = init[0]["bootstrapTokens"][0]["token"].as_str().unwrap();
        for join in tree_files(&out, "kubeadm/join.yaml") {
            let config = yaml(&out, &join);
            let discovery = &config["discovery"]["bootstrapToken"];
            assert_eq!(discovery["caCertHashes"][0].as_str(), Some(pin.as_str()), "{input} {join}");
            assert_eq!(discovery["token"].as_str(), Some(placeholder), "{input} {join}");
        }
        // The placeholder is filled from each node's token file, which holds the state's token.
        for file in tree_files(&out, "etc/kubernetes/hlc/bootstrap-token") {
            assert_eq!(read(&out, &file), token.trim().to_string() + "\n", "{input} {file}");
        }
        assert!(hlc::pki::is_bootstrap_token(token.trim()));
    }
}

#[test]
fn containerd_and_kubelet_agree_on_the_cgroup_driver() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
        let text = read(&out, &init);
        let kubelet = serde_yaml::Deserializer::from_str(&text)
            .map(|d| <serde_yaml::Value as serde::Deserialize>::deserialize(d).unwrap())
            .find(|d| d["kind"] == "KubeletConfiguration")
            .unwrap();
        assert_eq!(kubelet["cgroupDriver"].as_str(), Some("systemd"));
        for config in tree_files(&out, "etc/containerd/config.toml") {
            let config: toml::Value = toml::from_str(&read(&out, &config)).unwrap();
            let plugin = if config["version"].as_integer() == Some(3) {
                "io.containerd.cri.v1.runtime"
            } else {
                "io.containerd.grpc.v1.cri"
            };
            let runc = &config["plugins"][plugin]["containerd"]["runtimes"]["runc"];
            assert_eq!(runc["options"]["SystemdCgroup"].as_bool(), Some(true), "{input}");
        }
    }
}

#[test]
fn every_netplan_address_is_its_dnsmasq_lease() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let leases: Vec<(String, String, String)> = read(&out, "network/dnsmasq/dhcp-hosts")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| {
                let parts: Vec<&str> = l.split(',').collect();
                (parts[0].to_string(), parts[1].to_string(), parts[2].to_string())
            })
            .collect();
        let mut seen = 0;
        for config in tree_files(&out, "nocloud/network-config") {
            let node = config.split('/').nth(1).unwrap().to_string();
            for (_, ethernet) in yaml(&out, &config)["network"]["ethernets"].as_mapping().unwrap() {
                let mac = ethernet["match"]["macaddress"].as_str().unwrap().to_string();
                let ip = ethernet["addresses"][0].as_str().unwrap().split('/').next().unwrap().to_string();
                assert!(
                    leases.contains(&(mac.clone(), ip.clone(), node.clone())),
                    "{input}: {node} {mac} {ip} has no lease"
                );
                seen += 1;
            }
        }
        assert_eq!(seen, leases.len(), "{input}: leases without a node");
    }
}

/// (path, content, permissions) of every write_files entry of a user-data.
fn written_files(out: &Path, user_data: &str) -> Vec<(String, String, String)> {
    let config = yaml(out, user_data);
    config["write_files"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["content"].as_str().unwrap().into(),
                f["permissions"].as_str().unwrap().into(),
            )
        })
        .collect()
}

#[test]
fn user_data_writes_exactly_the_reviewed_files() {
    for input in valid_documents() {
        let out = tree_of(&input);
        let lock = hlc::write::current_lock(&out).unwrap();
        for user_data in tree_files(&out, "nocloud/user-data") {
            let node = user_data.split('/').nth(1).unwrap();
            let written = written_files(&out, &user_data);
            for (path, content, permissions) in &written {
                // Each file is in the tree: as the node's own copy, its kubeadm config, or shared PKI.
                let candidates = [
                    format!("nodes/{node}{path}"),
                    format!("nodes/{node}/kubeadm/{}", path.rsplit('/').next().unwrap()),
                    path.trim_start_matches("/etc/kubernetes/").to_string(),
                    format!("kubeconfig/{}", path.rsplit('/').next().unwrap()),
                ];
                let copy = candidates.iter().find(|c| out.join(c).is_file() && read(&out, c) == *content);
                assert!(copy.is_some(), "{input}: {node}:{path} is not reviewable in the tree");
                let secret = lock.entry(copy.unwrap()).unwrap().secret;
                assert_eq!(
                    secret,
                    permissions == "0600" && !path.ends_with(".yaml"),
                    "{input}: {node}:{path} mode {permissions}"
                );
            }
            // And every file under nodes/<node>/etc is written by that node's user-data.
            for mirror in
                tree_files(&out.join(format!("nodes/{node}")), "").into_iter().filter(|p| p.starts_with("etc/"))
            {
                assert!(
                    written.iter().any(|(p, _, _)| p == &format!("/{mirror}")),
                    "{input}: {node}/{mirror} is not in user-data"
                );
            }
            assert!(lock.entry(&user_data).unwrap().secret, "user-data embeds the token");
        }
    }
}

#[test]
fn ceph_disks_are_never_formatted_or_mounted() {
    for input in valid_documents() {
        let out = tree_of(&input);
        for script in tree_files(&out, "etc/hlc/converge") {
            let text = read(&out, &script);
            // `step data-disk-<mount> data_disk '<device>' '<mount>' <fs>`: what converge formats.
            let touched: Vec<String> = text
                .lines()
                .filter(|l| l.trim_start().starts_with("step data-disk"))
                .map(|l| l.split('\'').nth(1).unwrap().to_string())
                .collect();
            let user_data = script.replace("etc/hlc/converge", "nocloud/user-data");
            let config = yaml(&out, &user_data);
            assert!(
                config.get("fs_setup").is_none() && config.get("mounts").is_none(),
                "{input}: disks are converge's"
            );
            let source = hlc::source::Source::load(&crate::support::root().join(&input)).unwrap();
            let lab = hlc::frontend::check_source(&source).lab.unwrap();
            let node = lab.nodes.iter().find(|n| user_data.contains(&format!("nodes/{}/", n.name.value))).unwrap();
            for disk in node.ceph_disks() {
                assert!(!touched.contains(&disk.path.value), "{input}: Ceph disk {} touched", disk.path.value);
            }
            let data: Vec<&str> = node
                .disks
                .iter()
                .filter(|d| d.usage == hlc::model::DiskUse::Data)
                .map(|d| d.path.value.as_str())
                .collect();
            assert_eq!(touched, data, "{input}: every data disk, in order, is set up by converge");
            for disk in node.ceph_disks() {
                assert!(!text.contains(&format!("'{}'", disk.path.value)), "{input}: Ceph disk in converge");
            }
        }
    }
}

#[test]
fn control_planes_run_workloads_in_small_labs() {
    let mut seen = std::collections::BTreeSet::new();
    for input in valid_documents().into_iter().chain(["big".to_string()]) {
        let (out, lab) = if input == "big" {
            // Three control planes and many workers: the control planes keep their taint.
            let dir = tempfile::tempdir().unwrap().keep();
            std::fs::write(dir.join("homelab.kdl"), hlc::synthetic::lab(12)).unwrap();
            let run = crate::support::hlc_in(&dir, &["build", "homelab.kdl", "-o", "out", "--state", "state"]);
            assert_eq!(run.status, 0, "{}", run.stderr);
            let source = hlc::source::Source::load(&dir.join("homelab.kdl")).unwrap();
            (dir.join("out"), hlc::frontend::check_source(&source).lab.unwrap())
        } else {
            (tree_of(&input), lab(&input))
        };
        let workers = lab.nodes.iter().filter(|n| n.role == hlc::model::Role::Worker).count();
        let init = yaml_documents(&read(&out, &tree_files(&out, "kubeadm/init.yaml")[0])).remove(0);
        let taints = &init["nodeRegistration"]["taints"];
        if workers < 3 {
            assert_eq!(
                taints.as_sequence().map(Vec::len),
                Some(0),
                "{input}: {workers} workers, control planes must be schedulable"
            );
        } else {
            assert!(taints.is_null(), "{input}: {workers} workers, kubeadm's default control-plane taint stays");
        }
        seen.insert(workers < 3);
    }
    assert_eq!(seen.len(), 2);
}

fn yaml_documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect()
}

/// PyYAML (YAML 1.1, what cloud-init reads user-data and network-config with): prints, per file,
/// its documents as a typed tree, so that a scalar's type is compared, not only its text.
const PYYAML_TYPED: &str = r#"
import datetime, json, sys, yaml
def typed(v):
    if isinstance(v, dict):
        return {"map": [[typed(k), typed(x)] for k, x in v.items()]}
    if isinstance(v, list):
        return {"seq": [typed(x) for x in v]}
    if v is None:
        return {"null": None}
    if isinstance(v, bool):
        return {"bool": v}
    if isinstance(v, int):
        return {"int": str(v)}
    if isinstance(v, float):
        return {"float": v}
    if isinstance(v, str):
        return {"str": v}
    return {"other": type(v).__name__ + " " + repr(v)}
out = {}
for path in sys.argv[1:]:
    with open(path) as f:
        out[path] = [typed(d) for d in yaml.safe_load_all(f)]
json.dump(out, sys.stdout)
"#;

/// `value` (as serde_yaml loads it, YAML 1.2) in the typed form of `PYYAML_TYPED`.
fn typed(value: &serde_yaml::Value) -> serde_json::Value {
    use serde_json::json;
    use serde_yaml::Value;
    match value {
        Value::Mapping(map) => json!({"map": map.iter().map(|(k, v)| json!([typed(k), typed(v)])).collect::<Vec<_>>()}),
        Value::Sequence(items) => json!({"seq": items.iter().map(typed).collect::<Vec<_>>()}),
        Value::Null => json!({"null": null}),
        Value::Bool(b) => json!({"bool": b}),
        Value::Number(n) if n.is_f64() => json!({"float": n.as_f64()}),
        Value::Number(n) => json!({"int": n.to_string()}),
        Value::String(s) => json!({"str": s}),
        Value::Tagged(t) => json!({"other": format!("tagged {}", t.tag)}),
    }
}

/// Whether an output file is YAML: `*.yaml`, the cloud-init seeds, kubeconfigs.
fn is_yaml(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    path.ends_with(".yaml")
        || path.ends_with(".yml")
        || ["user-data", "meta-data", "network-config"].contains(&name)
        || (path.ends_with(".conf") && (path.starts_with("kubeconfig/") || path.contains("/etc/kubernetes/")))
}

#[test]
fn every_yaml_file_loads_alike_in_yaml_1_1_and_1_2() {
    let python = crate::support::validators_bin().join("python");
    let mut checked_mac = false;
    for input in valid_documents() {
        let out = tree_of(&input);
        let files: Vec<String> = crate::support::walk(&out).into_iter().filter(|p| is_yaml(p)).collect();
        assert!(files.iter().any(|f| f.ends_with("nocloud/network-config")), "{input}: {files:?}");
        let output =
            std::process::Command::new(&python).arg("-c").arg(PYYAML_TYPED).args(&files).current_dir(&out).output();
        let output =
            output.unwrap_or_else(|e| panic!("{}: {e}: run tests/support/install-validators.sh", python.display()));
        assert!(output.status.success(), "{input}: {}", String::from_utf8_lossy(&output.stderr));
        let loaded: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for file in &files {
            let text = read(&out, file);
            let ours: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&text)
                .map(|d| typed(&<serde_yaml::Value as serde::Deserialize>::deserialize(d).unwrap()))
                .collect();
            let theirs = loaded[file].as_array().unwrap();
            // serde_yaml reads a comment-only file as one null document; PyYAML as none.
            let ours = if theirs.is_empty() && ours == [serde_json::json!({"null": null})] { vec![] } else { ours };
            assert_eq!(&ours, theirs, "{input} {file}: YAML 1.1 (PyYAML) and 1.2 (serde_yaml) read different values");
        }
        // The point of the check: a decimal-only MAC stays a string (fixtures/valid/qemu-macs.kdl).
        for config in tree_files(&out, "nocloud/network-config") {
            if read(&out, &config).contains("macaddress: '52:54:00:10:00:11'") {
                checked_mac = true;
            }
        }
    }
    assert!(checked_mac, "no valid document has the MAC 52:54:00:10:00:11");
}
