//! What a lab changes about hlc's choices, end to end through the binary: a release's chart
//! version and values file (hlc's settings win; a contradiction is an error naming both places and
//! writes nothing), the user's own Flux layers, package mirrors, and the pins table every version
//! comes from. Expected values come from the inputs (the values files, `src/pins.toml`), never
//! from a previous output.

use std::path::Path;

use crate::support::{built, copy_document, hlc_in, root};

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

/// The HelmRelease of `release` in the Flux tree at `out`.
fn helm_release(out: &Path, layer: &str, release: &str) -> serde_yaml::Value {
    let tree = out.join("flux/clusters");
    let cluster = std::fs::read_dir(&tree).unwrap().next().unwrap().unwrap().path();
    let value = yaml(&cluster.join(layer).join("release.yaml"));
    assert_eq!(value["metadata"]["name"].as_str(), Some(release));
    value
}

/// `path` (a.b.c) in `value`.
fn at<'a>(value: &'a serde_yaml::Value, path: &str) -> &'a serde_yaml::Value {
    path.split('.').fold(value, |v, key| &v[key])
}

/// A lab in a temporary directory: `input` with `edit` applied, plus files beside it.
fn lab_with(input: &str, edit: impl Fn(String) -> String, files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_document(input, dir.path());
    let text = std::fs::read_to_string(dir.path().join("homelab.kdl")).unwrap();
    std::fs::write(dir.path().join("homelab.kdl"), edit(text)).unwrap();
    for (path, content) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    dir
}

/// `gitops` with one user layer, `apps` (the directory `apps/` beside homelab.kdl).
const APPS_LAYER: &str = "\ngitops \"flux\" url=\"https://git.example.net/fleet.git\" {\n    layer \"apps\"\n}\n";

/// `text` without its (one-line) `gitops` node.
fn without_gitops(text: &str) -> String {
    text.lines().filter(|l| !l.starts_with("gitops ")).collect::<Vec<_>>().join("\n")
}

/// `text` with its `gitops` node replaced by [`APPS_LAYER`].
fn with_apps_layer(text: String) -> String {
    without_gitops(&text) + APPS_LAYER
}

fn build(dir: &Path) -> crate::support::Run {
    hlc_in(dir, &["build", "homelab.kdl", "-o", "out", "--state", "state"])
}

#[test]
fn a_values_file_is_merged_over_hlc_values_and_the_labs_settings_win() {
    let out = built("fixtures/valid/cilium.kdl").join("out");
    let user = yaml(&root().join("fixtures/valid/cilium/cilium-values.yaml"));
    let values = yaml(&out.join("cluster/helm-values/cilium.yaml"));
    // The user's value replaces hlc's choice; the restated setting is the lab's pods.
    assert_eq!(at(&values, "operator.replicas"), at(&user, "operator.replicas"));
    let pods = at(&values, "ipam.operator.clusterPoolIPv4PodCIDRList");
    assert_eq!(pods, &serde_yaml::Value::Sequence(vec!["10.42.0.0/16".into()]));
    // hlc's other values are still there, and Flux gets the same merged values.
    assert_eq!(at(&values, "kubeProxyReplacement").as_bool(), Some(true));
    assert_eq!(at(&values, "k8sServiceHost").as_str(), Some("192.168.50.5"));
    assert_eq!(helm_release(&out, "cni", "cilium")["spec"]["values"], values);
    let ingress_user = yaml(&root().join("fixtures/valid/cilium/ingress-values.yaml"));
    let ingress = yaml(&out.join("cluster/helm-values/ingress-nginx.yaml"));
    assert_eq!(at(&ingress, "controller.replicaCount"), at(&ingress_user, "controller.replicaCount"));
    assert_eq!(at(&ingress, "controller.config"), at(&ingress_user, "controller.config"));
    assert_eq!(at(&ingress, "controller.service.type").as_str(), Some("LoadBalancer"));
}

#[test]
fn without_a_release_node_the_values_are_hlcs_alone() {
    // Negative control for the merge: the same lab without its `release` nodes.
    let dir = lab_with(
        "fixtures/valid/cilium.kdl",
        |t| t.lines().filter(|l| !l.starts_with("release ")).collect::<Vec<_>>().join("\n"),
        &[],
    );
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let values = yaml(&dir.path().join("out/cluster/helm-values/cilium.yaml"));
    assert_eq!(at(&values, "operator.replicas").as_u64(), Some(2), "hlc's choice for three nodes");
    assert!(
        at(&yaml(&dir.path().join("out/cluster/helm-values/ingress-nginx.yaml")), "controller.replicaCount").is_null()
    );
}

#[test]
fn a_release_version_overrides_the_pin_in_flux_and_the_bootstrap_script() {
    let dir = lab_with(
        "homelab.kdl",
        |t| t + "\nrelease \"tigera-operator\" version=\"v3.31.6\"\nrelease \"metallb\" version=\"0.15.3\"\n",
        &[],
    );
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let out = dir.path().join("out");
    let version = |layer, release| helm_release(&out, layer, release)["spec"]["chart"]["spec"]["version"].clone();
    assert_eq!(version("cni", "tigera-operator").as_str(), Some("v3.31.6"));
    assert_eq!(version("load-balancer", "metallb").as_str(), Some("0.15.3"));
    let install = std::fs::read_to_string(out.join("bootstrap/install.sh")).unwrap();
    assert!(install.contains("projectcalico/tigera-operator --version v3.31.6 "), "{install}");
    // A release without an override keeps its pin (read from the table, not from an output).
    let pins: toml::Table = toml::from_str(&std::fs::read_to_string(root().join("src/pins.toml")).unwrap()).unwrap();
    let pinned = pins["charts"]["rook-ceph"]["version"].as_str().unwrap();
    assert_eq!(version("rook-operator", "rook-ceph").as_str(), Some(pinned));
}

#[test]
fn every_chart_version_comes_from_the_pins_table() {
    let pins: toml::Table = toml::from_str(&std::fs::read_to_string(root().join("src/pins.toml")).unwrap()).unwrap();
    let out = built("homelab.kdl").join("out");
    let tree = std::fs::read_dir(out.join("flux/clusters")).unwrap().next().unwrap().unwrap().path();
    let mut seen = 0;
    for layer in std::fs::read_dir(&tree).unwrap() {
        let release = layer.unwrap().path().join("release.yaml");
        if !release.is_file() {
            continue;
        }
        let release = yaml(&release);
        let chart = &release["spec"]["chart"]["spec"];
        let name = chart["chart"].as_str().unwrap();
        assert_eq!(chart["version"].as_str(), pins["charts"][name]["version"].as_str(), "{name}");
        seen += 1;
    }
    assert!(seen >= 4, "the root example deploys several charts ({seen})");
    let install = std::fs::read_to_string(out.join("bootstrap/install.sh")).unwrap();
    assert!(install.contains(&format!("flux install --version={}", pins["flux"]["version"].as_str().unwrap())));
}

#[test]
fn a_contradicting_values_file_is_an_error_that_names_both_places_and_writes_nothing() {
    let dir = lab_with(
        "homelab.kdl",
        |t| t + "\nrelease \"tigera-operator\" values=\"values/calico.yaml\"\n",
        &[("values/calico.yaml", "installation:\n  calicoNetwork:\n    ipPools:\n      - cidr: 10.99.0.0/16\n")],
    );
    let run =
        hlc_in(dir.path(), &["--message-format", "json", "build", "homelab.kdl", "-o", "out", "--state", "state"]);
    assert_eq!(run.status, 1, "{}", run.stderr);
    let line = run.stdout.lines().chain(run.stderr.lines()).find(|l| l.contains("hlc::release::conflict"));
    let diagnostic: serde_json::Value = serde_json::from_str(line.expect("a conflict diagnostic")).unwrap();
    assert!(diagnostic["message"].as_str().unwrap().contains("installation.calicoNetwork.ipPools"), "{diagnostic}");
    let labels = diagnostic["labels"].as_array().unwrap();
    assert_eq!(labels.len(), 2, "the values= entry and the network node: {diagnostic}");
    assert!(!dir.path().join("out").exists() && !dir.path().join("state").exists(), "nothing is written");
}

#[test]
fn a_values_file_that_is_not_a_mapping_or_escapes_the_directory_is_an_error() {
    for (values, file, expected) in [
        ("values/list.yaml", Some("- a\n- b\n"), "not a YAML mapping"),
        ("values/broken.yaml", Some("a: [\n"), "not YAML"),
        ("values/off.yaml", Some("speaker:\n  enabled: off\n"), "Helm reads `off` as the boolean false"),
        ("values/octal.yaml", Some("controller:\n  mode: 0644\n"), "Helm reads `0644` as an octal number"),
        ("../outside.yaml", None, "relative path inside"),
        ("/etc/passwd", None, "relative path inside"),
        ("values/missing.yaml", None, "no such file"),
    ] {
        let line = format!("\nrelease \"metallb\" values=\"{values}\"\n");
        let files: Vec<(&str, &str)> = file.map(|f| (values, f)).into_iter().collect();
        let dir = lab_with("homelab.kdl", |t| t + &line, &files);
        let run = build(dir.path());
        assert_eq!(run.status, 1, "{values}");
        assert!(run.stderr.contains("hlc::input::file") && run.stderr.contains(expected), "{values}: {}", run.stderr);
        assert!(!dir.path().join("out").exists(), "{values}: nothing is written");
    }
}

#[test]
fn user_layers_are_copied_as_they_are_and_wait_for_the_layers_they_name() {
    let out = built("fixtures/valid/cilium.kdl").join("out");
    let tree = out.join("flux/clusters/cil");
    for file in ["whoami.yaml", "kustomization.yaml"] {
        let original = std::fs::read(root().join("fixtures/valid/cilium/apps").join(file)).unwrap();
        assert_eq!(std::fs::read(tree.join("apps").join(file)).unwrap(), original, "{file} byte for byte");
    }
    let layers: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&std::fs::read_to_string(tree.join("layers.yaml")).unwrap())
            .map(|d| serde::Deserialize::deserialize(d).unwrap())
            .collect();
    let apps = layers.iter().find(|l| l["metadata"]["name"] == "apps").expect("the apps layer");
    assert_eq!(apps["spec"]["path"].as_str(), Some("./clusters/cil/apps"));
    assert_eq!(apps["spec"]["dependsOn"], serde_yaml::from_str::<serde_yaml::Value>("[{name: ingress}]").unwrap());
}

#[test]
fn a_layer_without_after_waits_for_every_hlc_layer_and_a_changed_file_changes_only_itself() {
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
    let dir = lab_with("homelab.kdl", with_apps_layer, &[("apps/a.yaml", app)]);
    assert_eq!(build(dir.path()).status, 0);
    let tree = std::fs::read_dir(dir.path().join("out/flux/clusters")).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(tree.join("layers.yaml")).unwrap();
    let layers: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let (apps, ours): (Vec<_>, Vec<_>) = layers.iter().partition(|l| l["metadata"]["name"] == "apps");
    let waits: Vec<&str> =
        apps[0]["spec"]["dependsOn"].as_sequence().unwrap().iter().map(|d| d["name"].as_str().unwrap()).collect();
    let all: Vec<&str> = ours.iter().map(|l| l["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(waits, all);
    // Editing the file beside homelab.kdl rebuilds that file alone (PLAN.md, which said "first
    // build", now compares with the previous build).
    let before = crate::support::walk(&dir.path().join("out"));
    let read = |path: &str| std::fs::read(dir.path().join("out").join(path)).unwrap();
    let old: Vec<Vec<u8>> = before.iter().map(|p| read(p)).collect();
    std::fs::write(dir.path().join("apps/a.yaml"), app.replace("name: a", "name: b")).unwrap();
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    assert_eq!(crate::support::walk(&dir.path().join("out")), before);
    let changed: Vec<&str> =
        before.iter().zip(&old).filter(|(p, bytes)| read(p) != **bytes).map(|(p, _)| p.as_str()).collect();
    let file = format!("{}/apps/a.yaml", tree.strip_prefix(dir.path().join("out")).unwrap().display());
    let mut expected = vec!["PLAN.md", "hlc.lock", file.as_str()];
    expected.sort();
    assert_eq!(changed, expected);
}

#[test]
fn a_layer_file_that_is_not_a_manifest_is_an_error() {
    for (file, content, expected) in [
        ("apps/a.yaml", "apiVersion: v1\nkind: [\n", "not YAML"),
        ("apps/a.yaml", "just: a map\n", "no `apiVersion` and `kind`"),
        ("apps/README.md", "# no manifests here\n", "no .yaml file"),
    ] {
        let dir = lab_with("homelab.kdl", with_apps_layer, &[(file, content)]);
        let run = build(dir.path());
        assert_eq!(run.status, 1, "{file}");
        assert!(run.stderr.contains("hlc::input::file") && run.stderr.contains(expected), "{file}: {}", run.stderr);
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn package_mirrors_replace_the_upstream_hosts() {
    let out = built("fixtures/valid/cilium.kdl").join("out");
    let converge = std::fs::read_to_string(out.join("nodes/c1/etc/hlc/converge")).unwrap();
    let kubernetes = "http://apt.home.arpa:3142/HTTPS///pkgs.k8s.io/core:/stable:/v1.37/deb/";
    // The packages through the proxy, the key from the upstream (a caching proxy serves no keys).
    let key = "https://pkgs.k8s.io/core:/stable:/v1.37/deb/Release.key";
    assert!(converge.contains(&format!("add_repository kubernetes '{key}' '{kubernetes} /'")), "{converge}");
    // No containerd mirror in that lab: Docker's own host.
    assert!(converge.contains("'https://download.docker.com/linux/ubuntu noble stable'"));
    let user_data = yaml(&out.join("nodes/c1/nocloud/user-data"));
    let uri = |suite: &str| user_data["apt"][suite][0]["uri"].as_str().map(str::to_string);
    assert_eq!(uri("primary").as_deref(), Some("http://apt.home.arpa:3142/ubuntu"));
    assert_eq!(uri("security").as_deref(), Some("http://apt.home.arpa:3142/ubuntu"));
    // Negative control: a lab without mirrors uses the upstream hosts and no `apt` module.
    let plain = built("homelab.kdl").join("out");
    let node = std::fs::read_dir(plain.join("nodes")).unwrap().next().unwrap().unwrap().path();
    assert!(yaml(&node.join("nocloud/user-data"))["apt"].is_null());
    assert!(std::fs::read_to_string(node.join("etc/hlc/converge"))
        .unwrap()
        .contains("'https://pkgs.k8s.io/core:/stable:"));
}

#[test]
fn a_mirror_key_and_debian_paths_follow_the_lab() {
    let mirrors = "\npackage-mirror \"containerd\" url=\"http://mirror.lan/docker/\" key=\"http://mirror.lan/keys/docker.asc\"\npackage-mirror \"os\" url=\"http://mirror.lan\"\n";
    let dir = lab_with("homelab.kdl", |t| t.replace("os \"ubuntu-24.04\"", "os \"debian-12\"") + mirrors, &[]);
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let node = std::fs::read_dir(dir.path().join("out/nodes")).unwrap().next().unwrap().unwrap().path();
    let converge = std::fs::read_to_string(node.join("etc/hlc/converge")).unwrap();
    assert!(converge.contains("add_repository docker 'http://mirror.lan/keys/docker.asc' 'http://mirror.lan/docker/linux/debian bookworm stable'"), "{converge}");
    let user_data = yaml(&node.join("nocloud/user-data"));
    assert_eq!(user_data["apt"]["primary"][0]["uri"].as_str(), Some("http://mirror.lan/debian"));
    assert_eq!(user_data["apt"]["security"][0]["uri"].as_str(), Some("http://mirror.lan/debian-security"));
}

#[test]
fn the_test_scripts_read_the_pins_table_as_toml_does() {
    let text = std::fs::read_to_string(root().join("src/pins.toml")).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let mut queries = Vec::new();
    for (section, entries) in &table {
        for (key, value) in entries.as_table().unwrap() {
            match value {
                toml::Value::String(value) => queries.push((section.clone(), key.clone(), value.clone())),
                toml::Value::Table(chart) => {
                    for (field, value) in chart {
                        queries.push((format!("{section}.{key}"), field.clone(), value.as_str().unwrap().to_string()));
                    }
                }
                other => panic!("{section}.{key}: {other:?} is not a string"),
            }
        }
    }
    assert!(queries.len() > 20, "{queries:?}");
    let script =
        queries.iter().map(|(section, key, _)| format!("pin '{section}' '{key}'")).collect::<Vec<_>>().join(" && ");
    let read = |script: &str| {
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(". tests/support/pins.sh && {script}"))
            .current_dir(root())
            .output()
            .unwrap();
        (output.status.success(), String::from_utf8(output.stdout).unwrap())
    };
    let (ok, stdout) = read(&script);
    assert!(ok, "{stdout}");
    let expected: Vec<&str> = queries.iter().map(|(_, _, value)| value.as_str()).collect();
    assert_eq!(stdout.lines().collect::<Vec<_>>(), expected);
    let newest = table["kubernetes"].as_table().unwrap().values().next_back().unwrap().as_str().unwrap().to_string();
    assert_eq!(read("newest_kubernetes").1.trim(), format!("v{newest}"));
    // Negative control: a key the table does not have fails.
    assert!(!read("pin charts.cilium checksum").0);
}

#[test]
fn a_sops_encrypted_secret_is_allowed_and_flux_decrypts_its_layer() {
    let encrypted = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: default\nstringData:\n  password: ENC[AES256_GCM,data:c2VjcmV0,iv:aXY=,tag:dGFn,type:str]\nsops:\n  age:\n  - recipient: age1example\n    enc: x\n  version: 3.9.0\n";
    let dir = lab_with("homelab.kdl", with_apps_layer, &[("apps/db.yaml", encrypted)]);
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let tree = std::fs::read_dir(dir.path().join("out/flux/clusters")).unwrap().next().unwrap().unwrap().path();
    let text = std::fs::read_to_string(tree.join("layers.yaml")).unwrap();
    let layers: Vec<serde_yaml::Value> =
        serde_yaml::Deserializer::from_str(&text).map(|d| serde::Deserialize::deserialize(d).unwrap()).collect();
    let apps = layers.iter().find(|l| l["metadata"]["name"] == "apps").unwrap();
    assert_eq!(apps["spec"]["decryption"]["provider"].as_str(), Some("sops"));
    assert_eq!(apps["spec"]["decryption"]["secretRef"]["name"].as_str(), Some("sops-age"));
    // Negative control: the same Secret without its `sops` block is refused, and nothing written.
    let plain = encrypted.split("sops:").next().unwrap();
    let dir = lab_with("homelab.kdl", with_apps_layer, &[("apps/db.yaml", plain)]);
    let run = build(dir.path());
    assert_eq!(run.status, 1);
    assert!(run.stderr.contains("hlc::gitops::plain-secret"), "{}", run.stderr);
    assert!(!dir.path().join("out").exists());
    // Only layers with encrypted files get a decryption block (the fixture's apps layer has none).
    let out = built("fixtures/valid/cilium.kdl").join("out");
    assert!(!std::fs::read_to_string(out.join("flux/clusters/cil/layers.yaml")).unwrap().contains("decryption"));
}

#[test]
fn a_layer_never_reaches_the_state_or_credentials() {
    let layer = |directory: &str| {
        format!("\ngitops \"flux\" url=\"https://git.example.net/fleet.git\" {{\n    layer \"apps\" directory=\"{directory}\"\n}}\n")
    };
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
    // The state beside homelab.kdl, as a build leaves it.
    let dir = lab_with("homelab.kdl", |t| t, &[("apps/a.yaml", app)]);
    assert_eq!(build(dir.path()).status, 0);
    std::os::unix::fs::symlink("../state/pki", dir.path().join("apps/pki")).unwrap();
    let text = std::fs::read_to_string(dir.path().join("homelab.kdl")).unwrap();
    let cases: [(String, &str); 3] =
        [(layer("apps"), "symbolic link"), (layer("."), "itself"), (layer("apps/pki"), "symbolic link")];
    for (gitops, expected) in cases {
        std::fs::write(dir.path().join("homelab.kdl"), without_gitops(&text) + &gitops).unwrap();
        let run = build(dir.path());
        assert_eq!(run.status, 1, "{gitops}");
        assert!(run.stderr.contains("hlc::input::file") && run.stderr.contains(expected), "{gitops}: {}", run.stderr);
    }
    // A values file through a link out of the directory is refused the same way.
    std::os::unix::fs::symlink("state/pki/ca.key", dir.path().join("values.yaml")).unwrap();
    let release = without_gitops(&text) + "\nrelease \"metallb\" values=\"values.yaml\"\n";
    std::fs::write(dir.path().join("homelab.kdl"), release).unwrap();
    let run = build(dir.path());
    assert!(run.status == 1 && run.stderr.contains("symbolic link"), "{}", run.stderr);
}

#[test]
fn private_keys_and_kubeconfigs_in_a_layer_are_refused() {
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
    let key = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n";
    let kubeconfig =
        "apiVersion: v1\nkind: Config\nclusters: []\nusers:\n- name: admin\n  user:\n    client-key-data: TFMwdA==\n";
    for (file, content) in [("apps/tls.key", key), ("apps/admin.yaml", kubeconfig)] {
        let dir = lab_with("homelab.kdl", with_apps_layer, &[("apps/a.yaml", app), (file, content)]);
        let run = build(dir.path());
        assert_eq!(run.status, 1, "{file}");
        assert!(run.stderr.contains("hlc::gitops::plain-secret"), "{file}: {}", run.stderr);
        assert!(!dir.path().join("out").exists());
    }
}

#[test]
fn merge_keys_apply_and_quoted_words_stay_strings() {
    let values = "base: &base\n  replicas: 1\ncontroller:\n  <<: *base\n  logLevel: 'off'\n";
    let dir =
        lab_with("homelab.kdl", |t| t + "\nrelease \"metallb\" values=\"values.yaml\"\n", &[("values.yaml", values)]);
    let run = build(dir.path());
    assert_eq!(run.status, 0, "{}", run.stderr);
    let merged = yaml(&dir.path().join("out/cluster/helm-values/metallb.yaml"));
    assert_eq!(at(&merged, "controller.replicas").as_u64(), Some(1), "the merge key applied");
    assert_eq!(at(&merged, "controller.logLevel").as_str(), Some("off"), "a quoted word is a string");
    assert!(at(&merged, "controller.<<").is_null());
}

/// What Debian 12's cloud-init makes of a user-data file's `apt:` section: (primary, security,
/// the deb lines its sources.list template renders for DISTRO), by its own apt module.
fn cloud_init_apt(distro: &str, arch: &str, user_data: &Path) -> (String, String, Vec<String>) {
    let script = root().join("tests/support/apt-mirrors.py");
    let output = std::process::Command::new("/usr/bin/python3")
        .args([script.to_str().unwrap(), distro, arch, user_data.to_str().unwrap()])
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let lines = line["sources"].as_array().unwrap().iter().map(|l| l.as_str().unwrap().to_string()).collect();
    (line["primary"].as_str().unwrap().into(), line["security"].as_str().unwrap().into(), lines)
}

/// The deb lines that do not come from `host`.
fn elsewhere(lines: &[String], host: &str) -> Vec<String> {
    lines.iter().filter(|l| !l.split_whitespace().nth(1).is_some_and(|uri| uri.starts_with(host))).cloned().collect()
}

#[test]
fn cloud_init_reads_the_os_mirror_as_hlc_means_it() {
    // Ubuntu (the cilium fixture) and Debian 12 with the same mirror host.
    let ubuntu = built("fixtures/valid/cilium.kdl").join("out/nodes/c1/nocloud/user-data");
    let (primary, security, lines) = cloud_init_apt("ubuntu", "amd64", &ubuntu);
    assert_eq!(
        (primary.as_str(), security.as_str()),
        ("http://apt.home.arpa:3142/ubuntu", "http://apt.home.arpa:3142/ubuntu")
    );
    assert!(lines.len() >= 3 && elsewhere(&lines, "http://apt.home.arpa:3142/").is_empty(), "{lines:?}");
    let dir = lab_with(
        "homelab.kdl",
        |t| {
            t.replace("os \"ubuntu-24.04\"", "os \"debian-12\"") + "\npackage-mirror \"os\" url=\"http://mirror.lan\"\n"
        },
        &[],
    );
    assert_eq!(build(dir.path()).status, 0);
    let node = std::fs::read_dir(dir.path().join("out/nodes")).unwrap().next().unwrap().unwrap().path();
    let user_data = node.join("nocloud/user-data");
    let (primary, security, lines) = cloud_init_apt("debian", "amd64", &user_data);
    assert_eq!(
        (primary.as_str(), security.as_str()),
        ("http://mirror.lan/debian", "http://mirror.lan/debian-security")
    );
    assert!(elsewhere(&lines, "http://mirror.lan/").is_empty(), "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("/debian-security bookworm-security")), "{lines:?}");
    // Negative control: a user-data whose security archive points elsewhere is caught.
    let changed = std::fs::read_to_string(&user_data)
        .unwrap()
        .replace("http://mirror.lan/debian-security", "http://other.lan/debian-security");
    std::fs::write(dir.path().join("changed-user-data"), changed).unwrap();
    let (_, _, lines) = cloud_init_apt("debian", "amd64", &dir.path().join("changed-user-data"));
    assert!(!elsewhere(&lines, "http://mirror.lan/").is_empty());
}

#[test]
fn removing_a_layer_warns_that_flux_deletes_what_it_applied() {
    let app = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: default\n";
    let dir = lab_with("homelab.kdl", with_apps_layer, &[("apps/a.yaml", app)]);
    assert_eq!(build(dir.path()).status, 0);
    let text = without_gitops(&std::fs::read_to_string(root().join("homelab.kdl")).unwrap());
    let plain = "\ngitops \"flux\" url=\"https://git.example.net/fleet.git\"\n";
    std::fs::write(dir.path().join("homelab.kdl"), text.clone() + plain).unwrap();
    let run = hlc_in(dir.path(), &["diff", "homelab.kdl", "-o", "out", "--state", "state"]);
    assert!(
        run.stdout.contains("Flux deletes everything the removed layer(s) apps applied"),
        "{}{}",
        run.stdout,
        run.stderr
    );
    // Negative control: a change that keeps every layer says nothing of the kind.
    std::fs::write(dir.path().join("homelab.kdl"), text + APPS_LAYER).unwrap();
    std::fs::write(dir.path().join("apps/a.yaml"), app.replace("name: a", "name: b")).unwrap();
    let run = hlc_in(dir.path(), &["diff", "homelab.kdl", "-o", "out", "--state", "state"]);
    assert!(run.stdout.contains("apps/a.yaml") && !run.stdout.contains("Flux deletes"), "{}", run.stdout);
}
