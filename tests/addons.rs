//! The add-on manifests and the Flux tree against their real consumers: CRD schemas from
//! `../shared/schemas` (strict), MetalLB's chart values schema (defaults merged under, as Helm
//! does), kubernetes-validate for core objects, kubectl kustomize (offline), yamllint; plus
//! cross-checks against the model and the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_yaml::Value;

use crate::support::{built, check_schemas, root, run_tool, tree_files, valid_documents};

fn shared_schemas() -> PathBuf {
    root().join("../shared/schemas")
}

/// Every YAML document under `dir` (relative to `out`), with the file it came from.
fn documents(out: &Path, dir: &str) -> Vec<(String, Value)> {
    let mut found = Vec::new();
    if !out.join(dir).is_dir() {
        return found;
    }
    for file in tree_files(&out.join(dir), ".yaml") {
        let text = std::fs::read_to_string(out.join(dir).join(&file)).unwrap();
        for document in serde_yaml::Deserializer::from_str(&text) {
            let value: Value = serde::Deserialize::deserialize(document).unwrap();
            if !value.is_null() {
                found.push((format!("{dir}/{file}"), value));
            }
        }
    }
    found
}

fn kind(document: &Value) -> (&str, &str) {
    (document["apiVersion"].as_str().unwrap_or(""), document["kind"].as_str().unwrap_or(""))
}

/// Whether an object is a built-in Kubernetes kind (core group or a `*.k8s.io` group).
fn is_builtin(document: &Value) -> bool {
    let api_version = kind(document).0;
    // A CRD's group always has a dot; the built-in groups are `apps`, `batch`, … and `*.k8s.io`.
    api_version.rsplit_once('/').is_none_or(|(group, _)| !group.contains('.') || group.ends_with(".k8s.io"))
}

/// `shared/schemas/<group>/<kind>_<version>.json` for a CRD object, if it is one.
fn crd_schema(document: &Value) -> Option<PathBuf> {
    let (api_version, kind) = kind(document);
    let (group, version) = api_version.rsplit_once('/')?;
    (!is_builtin(document))
        .then(|| shared_schemas().join(group).join(format!("{}_{version}.json", kind.to_lowercase())))
}

fn write_json(dir: &Path, value: &Value) -> PathBuf {
    let file = dir.join(format!("{}.json", std::fs::read_dir(dir).unwrap().count()));
    std::fs::write(&file, serde_json::to_string(value).unwrap()).unwrap();
    file
}

#[test]
fn every_crd_object_passes_its_schema() {
    let scratch = tempfile::tempdir().unwrap();
    let mut by_schema: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        for (file, document) in documents(&out, "cluster/manifests").into_iter().chain(documents(&out, "flux")) {
            if kind(&document).0.starts_with("kustomize.config.k8s.io") {
                continue;
            }
            if let Some(schema) = crd_schema(&document) {
                assert!(schema.is_file(), "{input} {file}: no schema {}", schema.display());
                by_schema.entry(schema).or_default().push(write_json(scratch.path(), &document));
            }
        }
        // Calico's Installation is rendered by the chart from `installation:` minus `enabled`.
        if let Ok(text) = std::fs::read_to_string(out.join("cluster/helm-values/tigera-operator.yaml")) {
            let values: Value = serde_yaml::from_str(&text).unwrap();
            let mut spec = values["installation"].clone();
            spec.as_mapping_mut().unwrap().remove("enabled");
            let installation: Value = serde_yaml::from_str(&format!(
                "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {{name: default}}\nspec: {}",
                serde_json::to_string(&spec).unwrap()
            ))
            .unwrap();
            by_schema
                .entry(crd_schema(&installation).unwrap())
                .or_default()
                .push(write_json(scratch.path(), &installation));
        }
    }
    let covered: BTreeSet<String> = by_schema
        .keys()
        .map(|s| s.file_name().unwrap().to_string_lossy().trim_end_matches(".json").to_string())
        .collect();
    for expected in [
        "helmrepository_v1",
        "helmrelease_v2",
        "kustomization_v1",
        "gitrepository_v1",
        "installation_v1",
        "ipaddresspool_v1beta1",
        "l2advertisement_v1beta1",
        "bgppeer_v1beta2",
        "bgpadvertisement_v1beta1",
        "ciliumloadbalancerippool_v2",
        "ciliuml2announcementpolicy_v2alpha1",
        "cephcluster_v1",
        "cephblockpool_v1",
        "cephfilesystem_v1",
        "cephobjectstore_v1",
    ] {
        assert!(covered.contains(expected), "no valid document produces a {expected} object: {covered:?}");
    }
    let failures = check_schemas(&by_schema);
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Helm's merge: values override defaults key by key.
fn merge(defaults: &mut Value, values: &Value) {
    match (defaults, values) {
        (Value::Mapping(defaults), Value::Mapping(values)) => {
            for (key, value) in values {
                match defaults.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        defaults.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (defaults, values) => *defaults = values.clone(),
    }
}

#[test]
fn metallb_values_pass_the_chart_schema() {
    let scratch = tempfile::tempdir().unwrap();
    let defaults: Value = serde_yaml::from_str(
        &std::fs::read_to_string(shared_schemas().join("helm-values/metallb.values.yaml")).unwrap(),
    )
    .unwrap();
    let mut files = Vec::new();
    for input in valid_documents() {
        let path = built(&input).join("out/cluster/helm-values/metallb.yaml");
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let mut merged = defaults.clone();
        merge(&mut merged, &serde_yaml::from_str(&text).unwrap());
        files.push(write_json(scratch.path(), &merged));
    }
    assert!(files.len() >= 3, "MetalLB values from at least the L2 and BGP fixtures");
    let schema = shared_schemas().join("helm-values/metallb.values.schema.json");
    let failures = check_schemas(&BTreeMap::from([(schema, files)]));
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn core_objects_pass_kubernetes_validate_strictly() {
    let scratch = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    let mut kinds = BTreeSet::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        for (_, document) in documents(&out, "cluster/manifests") {
            if is_builtin(&document) {
                kinds.insert(kind(&document).1.to_string());
                let file = scratch.path().join(format!("{}.yaml", files.len()));
                std::fs::write(&file, serde_yaml::to_string(&document).unwrap()).unwrap();
                files.push(file.display().to_string());
            }
        }
    }
    assert_eq!(
        kinds,
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "Namespace",
            "RoleBinding",
            "StorageClass",
            "ValidatingAdmissionPolicy",
            "ValidatingAdmissionPolicyBinding"
        ]
        .map(String::from)
        .into()
    );
    let mut args = vec!["--strict", "--quiet", "-k", "1.36.0"];
    args.extend(files.iter().map(String::as_str));
    let (ok, text) = run_tool("kubernetes-validate", &args, &root());
    assert!(ok, "{text}");
    // The validator is strict: an unknown field fails.
    let bad = scratch.path().join("bad.yaml");
    std::fs::write(&bad, "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {name: x}\nprovisioner: p\nreclaimPolicyy: Delete\n").unwrap();
    let (ok, _) =
        run_tool("kubernetes-validate", &["--strict", "--quiet", "-k", "1.36.0", &bad.display().to_string()], &root());
    assert!(!ok, "kubernetes-validate accepted an unknown field");
}

#[test]
fn kubectl_kustomize_builds_the_flux_tree_offline() {
    for input in valid_documents() {
        let out = built(&input).join("out");
        let Some(root_kustomization) = tree_files(&out, "/kustomization.yaml")
            .into_iter()
            .filter(|p| p.starts_with("flux/"))
            .min_by_key(|p| p.len())
        else {
            continue;
        };
        let cluster = Path::new(&root_kustomization).parent().unwrap().to_path_buf();
        for kustomization in tree_files(&out.join(&cluster), "kustomization.yaml") {
            let dir = cluster.join(Path::new(&kustomization).parent().unwrap());
            let kubectl = crate::support::tool("kubectl").display().to_string();
            let (ok, text) = run_tool("unshare", &["-n", &kubectl, "kustomize", &dir.display().to_string()], &out);
            assert!(ok, "{input} {}: {text}", dir.display());
        }
    }
}

#[test]
fn yamllint_accepts_every_yaml_file() {
    let config = "extends: default\nrules:\n  line-length: disable\n  document-start: disable\n  indentation: {indent-sequences: whatever}\n  comments: {min-spaces-from-content: 1}\n";
    for input in valid_documents() {
        let out = built(&input).join("out");
        let mut args = vec!["--strict", "-d", config];
        args.extend(
            ["cluster", "flux", "bootstrap", "nodes", "kubeconfig"].into_iter().filter(|d| out.join(d).exists()),
        );
        let (ok, text) = run_tool("yamllint", &args, &out);
        assert!(ok, "{input}: {text}");
    }
}

fn values(out: &Path, release: &str) -> Value {
    serde_yaml::from_str(&std::fs::read_to_string(out.join(format!("cluster/helm-values/{release}.yaml"))).unwrap())
        .unwrap()
}

#[test]
fn calico_takes_the_node_address_kubeadm_registered() {
    let mut seen = 0;
    for input in valid_documents() {
        let out = built(&input).join("out");
        if !out.join("cluster/helm-values/tigera-operator.yaml").exists() {
            continue;
        }
        let network = values(&out, "tigera-operator")["installation"]["calicoNetwork"].clone();
        let autodetection = serde_yaml::to_string(&network["nodeAddressAutodetectionV4"]).unwrap();
        assert_eq!(autodetection, "kubernetes: NodeInternalIP\n", "{input}");
        // ... which is the node IP, because the kubelet is told it.
        for join in tree_files(&out, "kubeadm/join.yaml") {
            let node = join.split('/').nth(1).unwrap();
            let text = std::fs::read_to_string(out.join(&join)).unwrap();
            let config = serde_yaml::Deserializer::from_str(&text)
                .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
                .find(|d| d["kind"] == "JoinConfiguration")
                .unwrap();
            let args = &config["nodeRegistration"]["kubeletExtraArgs"];
            let node_ip = args.as_sequence().unwrap().iter().find(|a| a["name"] == "node-ip");
            let netplan = std::fs::read_to_string(out.join(format!("nodes/{node}/nocloud/network-config"))).unwrap();
            let ip = node_ip.unwrap_or_else(|| panic!("{input} {node}: no node-ip"))["value"].as_str().unwrap();
            assert!(netplan.contains(&format!("- {ip}/")), "{input} {node}: node-ip {ip} is not its address");
        }
        seen += 1;
    }
    assert!(seen > 0, "no valid document uses Calico");
}

#[test]
fn cni_pod_cidr_equals_kubeadm_pod_subnet() {
    let mut seen = BTreeSet::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        let init = tree_files(&out, "kubeadm/init.yaml").remove(0);
        let text = std::fs::read_to_string(out.join(init)).unwrap();
        let cluster = serde_yaml::Deserializer::from_str(&text)
            .map(|d| <Value as serde::Deserialize>::deserialize(d).unwrap())
            .find(|d| d["kind"] == "ClusterConfiguration")
            .unwrap();
        let pod_subnet = cluster["networking"]["podSubnet"].clone();
        let (cni, cidr) = if out.join("cluster/helm-values/tigera-operator.yaml").exists() {
            ("calico", values(&out, "tigera-operator")["installation"]["calicoNetwork"]["ipPools"][0]["cidr"].clone())
        } else if out.join("cluster/helm-values/cilium.yaml").exists() {
            ("cilium", values(&out, "cilium")["ipam"]["operator"]["clusterPoolIPv4PodCIDRList"][0].clone())
        } else {
            ("flannel", values(&out, "flannel")["podCidr"].clone())
        };
        assert_eq!(cidr, pod_subnet, "{input}: {cni} pod CIDR");
        seen.insert(cni);
    }
    assert_eq!(seen.len(), 3, "all three CNIs are exercised: {seen:?}");
}

fn lab(input: &str) -> hlc::model::Lab {
    let source = hlc::source::Source::load(&root().join(input)).unwrap();
    hlc::frontend::check_source(&source).lab.unwrap()
}

#[test]
fn pools_ingress_and_osds_are_as_declared() {
    for input in valid_documents() {
        let lab = lab(&input);
        let out = built(&input).join("out");
        let manifests = documents(&out, "cluster/manifests");
        let find =
            |kind_name: &'static str| manifests.iter().filter(move |(_, d)| kind(d).1 == kind_name).map(|(_, d)| d);
        for pool in lab.load_balancer.iter().flat_map(|lb| &lb.pools) {
            let declared: Vec<String> = pool.ranges.iter().map(|r| r.value.to_string()).collect();
            let metallb = find("IPAddressPool").find(|d| d["metadata"]["name"] == pool.name.value.as_str());
            let cilium = find("CiliumLoadBalancerIPPool").find(|d| d["metadata"]["name"] == pool.name.value.as_str());
            let rendered: Vec<String> = match (metallb, cilium) {
                (Some(d), _) => d["spec"]["addresses"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|a| a.as_str().unwrap().to_string())
                    .collect(),
                (_, Some(d)) => d["spec"]["blocks"]
                    .as_sequence()
                    .unwrap()
                    .iter()
                    .map(|b| format!("{}-{}", b["start"].as_str().unwrap(), b["stop"].as_str().unwrap()))
                    .collect(),
                _ => panic!("{input}: pool {} not rendered", pool.name.value),
            };
            assert_eq!(rendered, declared, "{input}: pool {}", pool.name.value);
        }
        if let Some(ip) = lab.ingress.as_ref().and_then(|i| i.ip.as_ref()) {
            let annotations = &values(&out, "ingress-nginx")["controller"]["service"]["annotations"];
            let pinned: Vec<&str> = annotations.as_mapping().unwrap().values().map(|v| v.as_str().unwrap()).collect();
            assert_eq!(pinned, [ip.value.to_string().as_str()], "{input}");
        }
        if lab.storage.ceph.is_some() {
            let cluster = find("CephCluster").next().unwrap();
            let rendered: BTreeSet<(String, String)> = cluster["spec"]["storage"]["nodes"]
                .as_sequence()
                .unwrap()
                .iter()
                .flat_map(|n| {
                    n["devices"].as_sequence().unwrap().iter().map(move |d| {
                        (n["name"].as_str().unwrap().to_string(), d["name"].as_str().unwrap().to_string())
                    })
                })
                .collect();
            let declared: BTreeSet<(String, String)> = lab
                .nodes
                .iter()
                .flat_map(|n| n.ceph_disks().map(move |d| (n.name.value.clone(), d.path.value.clone())))
                .collect();
            assert_eq!(rendered, declared, "{input}: OSDs");
            // OSDs on control planes and storage nodes need to tolerate their taints.
            let tolerated: BTreeSet<&str> = cluster["spec"]["placement"]["all"]["tolerations"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|t| t["key"].as_str().unwrap())
                .collect();
            assert_eq!(
                tolerated,
                ["node-role.kubernetes.io/control-plane", "node-role.kubernetes.io/storage"].into(),
                "{input}"
            );
            // Monitors and managers only where the OSDs are (not on a control plane without
            // Ceph disks), by the host name the kubelet labels its node with (cloud-init's).
            let ceph_hosts: BTreeSet<String> =
                lab.nodes.iter().filter(|n| n.ceph_disks().next().is_some()).map(|n| n.name.value.clone()).collect();
            for daemon in ["mon", "mgr"] {
                let terms = &cluster["spec"]["placement"][daemon]["nodeAffinity"]
                    ["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"];
                let expected = serde_yaml::to_value(serde_json::json!([{"matchExpressions": [
                    {"key": "kubernetes.io/hostname", "operator": "In", "values": ceph_hosts},
                ]}]))
                .unwrap();
                assert_eq!(terms, &expected, "{input}: {daemon} placement");
            }
            for host in &ceph_hosts {
                let meta: Value = serde_yaml::from_str(
                    &std::fs::read_to_string(out.join(format!("nodes/{host}/nocloud/meta-data"))).unwrap(),
                )
                .unwrap();
                assert_eq!(meta["local-hostname"].as_str(), Some(host.as_str()), "{input}");
            }
        }
    }
}

#[test]
fn flux_releases_have_sources_and_dependencies_follow_the_graph() {
    for input in valid_documents() {
        let lab = lab(&input);
        let Some(gitops) = &lab.gitops else { continue };
        let out = built(&input).join("out");
        let flux = documents(&out, "flux");
        let repositories: BTreeSet<&str> = flux
            .iter()
            .filter(|(_, d)| kind(d).1 == "HelmRepository")
            .map(|(_, d)| d["metadata"]["name"].as_str().unwrap())
            .collect();
        for (file, release) in flux.iter().filter(|(_, d)| kind(d).1 == "HelmRelease") {
            let source = release["spec"]["chart"]["spec"]["sourceRef"]["name"].as_str().unwrap();
            assert!(repositories.contains(source), "{input} {file}: no HelmRepository {source}");
        }
        let layers = layer_dependencies(&flux);
        let plan = hlc::render::plan(&lab).unwrap();
        for (layer, depends) in &layers {
            for dependency in depends {
                assert!(layers.contains_key(dependency), "{input}: {layer} depends on unknown {dependency}");
            }
            // A user's layer waits for what it names (tests/customisation.rs); hlc's layers:
            // dependsOn is exactly the components the graph says this one needs.
            if gitops.layers.iter().any(|l| l.name.value == *layer) {
                continue;
            }
            let vertex = plan.index[&format!("component:{layer}")];
            let mut needs: Vec<String> = plan
                .graph
                .neighbors_directed(vertex, petgraph_incoming())
                .map(|v| plan.graph[v].id().to_string())
                .filter_map(|id| id.strip_prefix("component:").map(String::from))
                .collect();
            needs.sort();
            let mut depends = depends.clone();
            depends.sort();
            assert_eq!(depends, needs, "{input}: {layer}");
            assert!(out.join(format!("flux/{}/{layer}/kustomization.yaml", gitops.path)).is_file());
        }
        assert!(hlc::plan::engine::order(&plan).is_ok(), "{input}: a dependency cycle");
    }
}

fn petgraph_incoming() -> hlc::plan::Direction {
    hlc::plan::Direction::Incoming
}

#[test]
fn kube_vip_static_pods_pass_kubernetes_validate_strictly() {
    let mut pods = Vec::new();
    for input in valid_documents() {
        let out = built(&input).join("out");
        pods.extend(tree_files(&out, "manifests/kube-vip.yaml").into_iter().map(|p| out.join(p).display().to_string()));
    }
    assert!(pods.len() >= 6, "kube-vip pods of the kube-vip fixtures: {pods:?}");
    let mut args = vec!["--strict", "--quiet", "-k", "1.36.0"];
    args.extend(pods.iter().map(String::as_str));
    let (ok, text) = run_tool("kubernetes-validate", &args, &root());
    assert!(ok, "{text}");
}

#[test]
fn bootstrap_scripts_pass_shellcheck() {
    for input in valid_documents() {
        let out = built(&input).join("out");
        let (ok, text) = run_tool("shellcheck", &["--shell=sh", "bootstrap/install.sh"], &out);
        assert!(ok, "{input}: {text}");
        assert!(std::fs::metadata(out.join("bootstrap/install.sh")).unwrap().permissions().mode() & 0o111 != 0);
    }
}

/// Runs `bootstrap/install.sh` of `input` with stand-ins for kubectl, helm and flux that log their
/// arguments; `secret` says whether `kubectl get secret flux-system` finds it. Returns the exit
/// status and the log.
fn run_install(input: &str, secret: bool) -> (bool, Vec<String>, String) {
    let out = built(input).join("out");
    let stubs = tempfile::tempdir().unwrap();
    let log = stubs.path().join("calls.log");
    for tool in ["kubectl", "helm", "flux"] {
        let script = format!(
            "#!/bin/sh\necho \"{tool} $*\" >> '{}'\ncase \"$*\" in *'get secret flux-system'*) exit {} ;; esac\nexit 0\n",
            log.display(),
            if secret { 0 } else { 1 }
        );
        std::fs::write(stubs.path().join(tool), script).unwrap();
        std::fs::set_permissions(stubs.path().join(tool), std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let output = std::process::Command::new("sh")
        .arg(out.join("bootstrap/install.sh"))
        .env("PATH", format!("{}:/usr/bin:/bin", stubs.path().display()))
        .env("KUBECONFIG", "/dev/null")
        .output()
        .unwrap();
    let calls = std::fs::read_to_string(&log).unwrap_or_default().lines().map(String::from).collect();
    (output.status.success(), calls, String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn install_sh_asks_for_the_git_secret_only_over_ssh_and_after_flux_install() {
    let position = |calls: &[String], prefix: &str| calls.iter().position(|c| c.starts_with(prefix));
    // https (the root example): no Secret is mentioned or looked up; the sync objects follow flux install.
    let text = std::fs::read_to_string(built("homelab.kdl").join("out/bootstrap/install.sh")).unwrap();
    assert!(!text.contains("secret"), "{text}");
    let (ok, calls, stderr) = run_install("homelab.kdl", false);
    assert!(ok, "{stderr}");
    let install = position(&calls, "flux install").unwrap();
    assert!(position(&calls, "kubectl apply -k flux/").unwrap() > install, "{calls:#?}");
    // ssh (cilium.kdl): after flux install has made the namespace, a missing Secret stops the
    // script with the command that creates it, before the sync objects; once it exists, they apply.
    let (ok, calls, stderr) = run_install("fixtures/valid/cilium.kdl", false);
    assert!(!ok, "{calls:#?}");
    let install = position(&calls, "flux install").unwrap();
    assert_eq!(position(&calls, "kubectl --namespace flux-system get secret flux-system"), Some(install + 1));
    assert_eq!(position(&calls, "kubectl apply -k"), None, "{calls:#?}");
    assert!(
        stderr.contains("flux create secret git flux-system --url=ssh://git@git.example.net/home/fleet.git"),
        "{stderr}"
    );
    let (ok, calls, stderr) = run_install("fixtures/valid/cilium.kdl", true);
    assert!(ok, "{stderr}");
    assert!(position(&calls, "kubectl apply -k flux/").unwrap() > position(&calls, "flux install").unwrap());
}

#[test]
fn the_root_examples_layers_depend_as_documented() {
    // The dependency table of README.md, for the root example.
    let expected: BTreeMap<&str, Vec<&str>> = [
        ("cni", vec![]),
        ("load-balancer", vec!["cni"]),
        ("load-balancer-pools", vec!["load-balancer"]),
        ("ingress", vec!["load-balancer-pools"]),
        ("rook-operator", vec!["cni"]),
        ("ceph-cluster", vec!["rook-operator"]),
        ("ceph-pools", vec!["ceph-cluster"]),
        ("nfs-csi", vec!["cni"]),
        ("storage-classes", vec!["ceph-pools", "nfs-csi"]),
        ("rbac", vec![]),
        ("node-drainers", vec![]),
    ]
    .into();
    let out = built("homelab.kdl").join("out");
    let layers = layer_dependencies(&documents(&out, "flux/clusters/minipc"));
    let layers: BTreeMap<&str, Vec<&str>> =
        layers.iter().map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect())).collect();
    assert_eq!(layers, expected);
}

#[test]
fn the_git_repository_needs_a_secret_only_over_ssh() {
    for (input, ssh) in [("homelab.kdl", false), ("fixtures/valid/cilium.kdl", true)] {
        let out = built(input).join("out");
        let sync = documents(&out, "flux").into_iter().find(|(_, d)| kind(d).1 == "GitRepository").unwrap().1;
        assert_eq!(sync["spec"]["secretRef"]["name"].as_str().is_some(), ssh, "{input}");
    }
}

/// Each Flux layer Kustomization in `layers.yaml` with the names it `dependsOn`.
fn layer_dependencies(flux: &[(String, Value)]) -> BTreeMap<String, Vec<String>> {
    flux.iter()
        .filter(|(f, d)| f.ends_with("layers.yaml") && kind(d).1 == "Kustomization")
        .map(|(_, d)| {
            let depends = d["spec"]["dependsOn"]
                .as_sequence()
                .into_iter()
                .flatten()
                .map(|x| x["name"].as_str().unwrap().to_string())
                .collect();
            (d["metadata"]["name"].as_str().unwrap().to_string(), depends)
        })
        .collect()
}
