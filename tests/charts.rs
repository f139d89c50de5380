//! hlc's Helm values through the charts it pins: `helm template` (the toolbox's helm) of every
//! release a lab deploys, at the chart version hlc pins (laid out by `tests/support/charts.sh` from
//! the Go module proxy, or from `tests/charts/` where the proxy lacks that version), with the values
//! file hlc wrote. For every valid lab: the rendered objects carry what hlc meant, read from the lab
//! model (Calico's IP pool and encapsulation, Cilium's API host, LB IPAM and L2 announcements,
//! Flannel's network, MetalLB's FRR only in BGP mode, Rook's CSI drivers and CRDs, the NFS CSI driver
//! the StorageClasses name, the ingress Service's fixed IP); and every value hlc sets is one the chart
//! reads: its key is in the chart's `values.yaml` (or below a documented free-form map), and changing
//! it changes the rendered output. Negative controls beside each check. The live control plane tests
//! (`consumers.rs`) also install the charts' CRDs and dry-run the rendered objects against the API.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde_yaml::Value;

use crate::consumers::consumer;
use crate::support::{built, root, tree_files, valid_documents};

/// The directory `charts.sh` prints: `<chart>-<version>` chart directories and `crds/<project>/`.
pub(crate) fn charts() -> &'static Path {
    static CHARTS: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let found = CHARTS.get_or_init(|| {
        let script = root().join("tests/support/charts.sh");
        let output = Command::new("bash")
            .arg(&script)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run bash {}: {e}", script.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        if !output.status.success() {
            return Err(format!(
                "tests/support/charts.sh could not lay out the charts (it needs go and the Go module proxy):\n{stderr}"
            ));
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        Ok(PathBuf::from(stdout.lines().last().unwrap_or_default().trim()))
    });
    match found {
        Ok(dir) => dir,
        Err(message) => panic!("{message}"),
    }
}

/// A Helm release the generated tree deploys.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Release {
    pub name: String,
    pub chart: String,
    pub version: String,
    pub namespace: String,
    /// `cluster/helm-values/<name>.yaml`, parsed.
    pub values: Value,
}

impl Release {
    /// The chart's directory as `charts.sh` laid it out; fails naming what to update.
    pub fn chart_dir(&self) -> PathBuf {
        let dir = charts().join(format!("{}-{}", self.chart, self.version));
        assert!(
            dir.join("Chart.yaml").is_file(),
            "no chart {} {} in {}: hlc pins a chart version tests/support/charts.sh does not lay out; update it",
            self.chart,
            self.version,
            charts().display()
        );
        dir
    }
}

fn yaml_documents(text: &str) -> Vec<Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap_or_else(|e| panic!("{e}:\n{text}")))
        .filter(|d: &Value| !d.is_null())
        .collect()
}

fn values_file(out: &Path, release: &str) -> Value {
    let path = out.join(format!("cluster/helm-values/{release}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap()
}

/// Every release of a built tree, read from the tree itself: the `helm upgrade --install` lines of
/// `bootstrap/install.sh` and Flux's HelmReleases (both, where a lab has both, must agree, and a
/// HelmRelease's inline values must be its values file). Each values file belongs to a release.
pub(crate) fn releases(out: &Path) -> Vec<Release> {
    let mut found: BTreeMap<String, Release> = BTreeMap::new();
    let mut add = |release: Release, origin: &str| {
        if let Some(known) = found.get(&release.name) {
            assert_eq!(known, &release, "{}: {origin} and bootstrap/install.sh disagree", out.display());
        }
        found.insert(release.name.clone(), release);
    };
    let script = std::fs::read_to_string(out.join("bootstrap/install.sh")).unwrap();
    for line in script.lines().filter(|l| l.starts_with("helm upgrade --install ")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let option = |name: &str| words.iter().position(|w| *w == name).map(|i| words[i + 1].to_string());
        let name = words[3].to_string();
        let values = option("--values").unwrap_or_else(|| panic!("no --values: {line}"));
        assert_eq!(values, format!("cluster/helm-values/{name}.yaml"), "{line}");
        add(
            Release {
                chart: words[4].split_once('/').unwrap().1.to_string(),
                version: option("--version").unwrap_or_else(|| panic!("no --version: {line}")),
                namespace: option("--namespace").unwrap_or_else(|| panic!("no --namespace: {line}")),
                values: values_file(out, &name),
                name,
            },
            "install.sh",
        );
    }
    for file in tree_files(out, ".yaml").into_iter().filter(|f| f.starts_with("flux/")) {
        for document in yaml_documents(&std::fs::read_to_string(out.join(&file)).unwrap()) {
            if document["kind"].as_str() != Some("HelmRelease") {
                continue;
            }
            let spec = &document["spec"];
            let name = spec["releaseName"].as_str().or(document["metadata"]["name"].as_str()).unwrap().to_string();
            let values = values_file(out, &name);
            assert_eq!(spec["values"], values, "{file}: the HelmRelease's values are not {name}.yaml's");
            add(
                Release {
                    chart: spec["chart"]["spec"]["chart"].as_str().unwrap().to_string(),
                    version: spec["chart"]["spec"]["version"].as_str().unwrap().to_string(),
                    namespace: spec["targetNamespace"].as_str().unwrap().to_string(),
                    values,
                    name,
                },
                &file,
            );
        }
    }
    let files: BTreeSet<String> = tree_files(out, ".yaml")
        .into_iter()
        .filter_map(|f| f.strip_prefix("cluster/helm-values/").map(|n| n.trim_end_matches(".yaml").to_string()))
        .collect();
    assert_eq!(
        files,
        found.keys().cloned().collect(),
        "{}: values files without a release, or the reverse",
        out.display()
    );
    found.into_values().collect()
}

/// `helm template` of `release` with `values` for Kubernetes `kube_version` (and the API versions
/// `api_versions` besides helm's built-in ones); CRDs of the chart's `crds/` included. The output
/// text, or helm's error.
pub(crate) fn render(
    release: &Release,
    values: &Value,
    kube_version: &str,
    api_versions: &[String],
) -> Result<String, String> {
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), serde_yaml::to_string(values).unwrap()).unwrap();
    let mut command = Command::new(consumer("helm"));
    command
        .args(["template", &release.name])
        .arg(release.chart_dir())
        .args(["--namespace", &release.namespace, "--include-crds", "--kube-version", kube_version])
        .arg("--values")
        .arg(file.path());
    for api in api_versions {
        command.args(["--api-versions", api]);
    }
    // No repository access: helm's cache and config in a scratch directory.
    let home = tempfile::tempdir().unwrap();
    command.env("HELM_CACHE_HOME", home.path()).env("HELM_CONFIG_HOME", home.path()).env("HELM_DATA_HOME", home.path());
    let output = command.stdin(Stdio::null()).output().unwrap();
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The lab's Kubernetes version with its pinned patch, as `--kube-version` takes it.
pub(crate) fn kube_version(lab: &hlc::model::Lab) -> String {
    format!("v{}", lab.cluster.kubernetes.value.with_pinned_patch())
}

pub(crate) fn lab(input: &str) -> hlc::model::Lab {
    let source = hlc::source::Source::load(&root().join(input)).unwrap();
    hlc::frontend::check_source(&source).lab.unwrap()
}

fn find<'a>(objects: &'a [Value], kind: &str, name: &str) -> Option<&'a Value> {
    objects.iter().find(|o| o["kind"].as_str() == Some(kind) && o["metadata"]["name"].as_str() == Some(name))
}

fn containers(workload: &Value) -> Vec<&Value> {
    let spec = &workload["spec"]["template"]["spec"];
    ["initContainers", "containers"].iter().filter_map(|k| spec[*k].as_sequence()).flatten().collect()
}

fn env<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["env"].as_sequence()?.iter().find(|e| e["name"].as_str() == Some(name))?["value"].as_str()
}

/// What hlc meant by `release`, checked in its rendered `objects` against the lab model and the
/// tree `out`: the failures (empty when everything is there).
fn meant(lab: &hlc::model::Lab, out: &Path, release: &Release, objects: &[Value]) -> Vec<String> {
    use hlc::model::{CalicoEncapsulation, CniKind, FlannelBackend, LbMode, LoadBalancerKind};
    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    let pods = lab.network.pods.value.to_string();
    let lb = lab.load_balancer.as_ref();
    match release.chart.as_str() {
        "tigera-operator" => {
            let CniKind::Calico { encapsulation } = lab.cni.kind else { panic!("tigera-operator without Calico") };
            // Calico's own names; IP-in-IP and unencapsulated pods need BGP routes, VXLAN does not.
            let (expected, bgp) = match encapsulation {
                CalicoEncapsulation::Vxlan => ("VXLAN", "Disabled"),
                CalicoEncapsulation::IpIp => ("IPIP", "Enabled"),
                CalicoEncapsulation::None => ("None", "Enabled"),
            };
            let network = find(objects, "Installation", "default").map(|i| &i["spec"]["calicoNetwork"]);
            let pools = network.and_then(|n| n["ipPools"].as_sequence()).cloned().unwrap_or_default();
            check(pools.len() == 1, format!("Calico's Installation has IP pools {pools:?}, not one"));
            if let Some(pool) = pools.first() {
                check(
                    pool["cidr"].as_str() == Some(&pods),
                    format!("Calico's IP pool is {:?}, not pods {pods}", pool["cidr"]),
                );
                check(
                    pool["encapsulation"].as_str() == Some(expected),
                    format!("Calico's IP pool encapsulation is {:?}, not {expected}", pool["encapsulation"]),
                );
            }
            check(
                network.and_then(|n| n["bgp"].as_str()) == Some(bgp),
                format!("Calico's BGP is {:?}, not {bgp}", network.map(|n| &n["bgp"])),
            );
            check(find(objects, "Deployment", "tigera-operator").is_some(), "no tigera-operator Deployment".into());
        }
        "cilium" => {
            let CniKind::Cilium { kube_proxy_replacement } = lab.cni.kind else { panic!("cilium without Cilium") };
            let config = find(objects, "ConfigMap", "cilium-config").map(|c| c["data"].clone()).unwrap_or_default();
            let setting = |key: &str| config[key].as_str().unwrap_or_default().to_string();
            check(
                setting("cluster-pool-ipv4-cidr") == pods,
                format!("Cilium's pod CIDR is {:?}, not {pods}", setting("cluster-pool-ipv4-cidr")),
            );
            check(setting("ipam") == "cluster-pool", format!("Cilium's IPAM is {:?}", setting("ipam")));
            check(
                setting("kube-proxy-replacement") == kube_proxy_replacement.to_string(),
                format!("Cilium's kube-proxy-replacement is {:?}", setting("kube-proxy-replacement")),
            );
            if kube_proxy_replacement {
                // Without kube-proxy, every Cilium process reaches the API server at the endpoint.
                let (host, port) = lab.control_plane_endpoint();
                for name in ["cilium", "cilium-operator"] {
                    let workload = objects.iter().find(|o| {
                        matches!(o["kind"].as_str(), Some("DaemonSet" | "Deployment"))
                            && o["metadata"]["name"].as_str() == Some(name)
                    });
                    let Some(workload) = workload else {
                        check(false, format!("no {name} workload"));
                        continue;
                    };
                    let main = &workload["spec"]["template"]["spec"]["containers"][0];
                    check(
                        env(main, "KUBERNETES_SERVICE_HOST") == Some(&host.to_string())
                            && env(main, "KUBERNETES_SERVICE_PORT") == Some(&port.to_string()),
                        format!("{name} does not reach the API server at {host}:{port}: {:?}", main["env"]),
                    );
                }
            }
            let cilium_lb = lb.is_some_and(|lb| lb.kind.value == LoadBalancerKind::Cilium);
            let on = |key: &str| setting(key) == "true";
            check(on("enable-lb-ipam") || !cilium_lb, "Cilium's LB IPAM is off".into());
            check(
                on("enable-l2-announcements") == cilium_lb,
                format!(
                    "Cilium's L2 announcements: {:?}, the lab's load balancer: {:?}",
                    setting("enable-l2-announcements"),
                    lb.map(|l| l.kind.value)
                ),
            );
            if cilium_lb {
                let devices: BTreeSet<String> =
                    setting("devices").split([' ', ',']).filter(|d| !d.is_empty()).map(String::from).collect();
                for node in &lab.nodes {
                    let nic = &node.primary_nic().name.value;
                    check(
                        devices.contains(nic),
                        format!("Cilium's devices {devices:?} lack {}'s {nic}", node.name.value),
                    );
                }
            }
        }
        "flannel" => {
            let CniKind::Flannel { backend } = lab.cni.kind else { panic!("flannel without Flannel") };
            let expected = match backend {
                FlannelBackend::Vxlan => "vxlan",
                FlannelBackend::HostGw => "host-gw",
                FlannelBackend::Wireguard => "wireguard",
            };
            let conf = find(objects, "ConfigMap", "kube-flannel-cfg").and_then(|c| c["data"]["net-conf.json"].as_str());
            let conf: serde_json::Value = conf.and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default();
            check(
                conf["Network"].as_str() == Some(&pods),
                format!("Flannel's network is {:?}, not {pods}", conf["Network"]),
            );
            check(
                conf["Backend"]["Type"].as_str() == Some(expected),
                format!("Flannel's backend is {:?}, not {expected}", conf["Backend"]),
            );
        }
        "metallb" => {
            let bgp = lb.is_some_and(|lb| lb.mode.value == LbMode::Bgp);
            let frr: Vec<&str> = objects
                .iter()
                .filter(|o| {
                    o["kind"].as_str() == Some("DaemonSet")
                        && o["metadata"]["labels"]["app.kubernetes.io/name"].as_str() == Some("frr-k8s")
                })
                .filter_map(|o| o["metadata"]["name"].as_str())
                .collect();
            check(
                frr.is_empty() != bgp,
                format!("MetalLB in {} mode with FRR-K8s daemon sets {frr:?}", if bgp { "BGP" } else { "L2" }),
            );
            let speaker = find(objects, "DaemonSet", "metallb-speaker");
            check(speaker.is_some(), "no MetalLB speaker".into());
            let names: Vec<&str> =
                speaker.map(containers).unwrap_or_default().iter().filter_map(|c| c["name"].as_str()).collect();
            check(!names.contains(&"frr"), format!("the speaker runs its own FRR: {names:?}"));
            // In BGP mode the speaker talks BGP through FRR-K8s.
            let bgp_type = speaker.and_then(|s| containers(s).into_iter().find_map(|c| env(c, "METALLB_BGP_TYPE")));
            check(
                (bgp_type == Some("frr-k8s")) == bgp,
                format!(
                    "the speaker's BGP type is {bgp_type:?} in {} mode (FRR-K8s only for BGP)",
                    if bgp { "BGP" } else { "L2" }
                ),
            );
            check(find(objects, "Deployment", "metallb-controller").is_some(), "no MetalLB controller".into());
        }
        "rook-ceph" => {
            let ceph = lab.storage.ceph.as_ref().expect("rook-ceph without ceph");
            let config =
                find(objects, "ConfigMap", "rook-ceph-operator-config").map(|c| c["data"].clone()).unwrap_or_default();
            let setting = |key: &str| config[key].as_str().unwrap_or_default().to_string();
            check(
                setting("ROOK_CSI_ENABLE_RBD") == "true" || ceph.block_pools.is_empty(),
                "Rook's RBD CSI driver is off".into(),
            );
            check(
                setting("ROOK_CSI_ENABLE_CEPHFS") == "true" || ceph.filesystems.is_empty(),
                "Rook's CephFS CSI driver is off".into(),
            );
            let replicas: usize = setting("CSI_PROVISIONER_REPLICAS").parse().unwrap_or(0);
            check(
                (1..=lab.nodes.len()).contains(&replicas),
                format!("Rook's CSI provisioners: {replicas} replicas on {} nodes", lab.nodes.len()),
            );
            check(find(objects, "Deployment", "rook-ceph-operator").is_some(), "no rook-ceph-operator".into());
            // The CRDs of every Rook kind hlc writes come with the chart.
            let crds: BTreeSet<String> = objects
                .iter()
                .filter(|o| o["kind"].as_str() == Some("CustomResourceDefinition"))
                .filter_map(|o| o["spec"]["names"]["kind"].as_str().map(String::from))
                .collect();
            for kind in kinds_in(&out.join("cluster/manifests"), "ceph.rook.io/") {
                check(crds.contains(&kind), format!("the chart renders no CRD for {kind}"));
            }
        }
        "csi-driver-nfs" => {
            let controller = find(objects, "Deployment", "csi-nfs-controller");
            check(controller.is_some(), "no csi-nfs-controller Deployment".into());
            check(find(objects, "DaemonSet", "csi-nfs-node").is_some(), "no csi-nfs-node DaemonSet".into());
            // The driver the lab's NFS StorageClasses name is the one the chart registers.
            for provisioner in storage_class_provisioners(out).into_iter().filter(|p| p.contains("nfs")) {
                check(find(objects, "CSIDriver", &provisioner).is_some(), format!("no CSIDriver {provisioner}"));
            }
            // Snapshots need the VolumeSnapshot CRDs: no snapshot sidecar without them.
            let snapshot_crds = objects.iter().any(|o| {
                o["kind"].as_str() == Some("CustomResourceDefinition")
                    && o["spec"]["group"].as_str() == Some("snapshot.storage.k8s.io")
            });
            let names: Vec<&str> =
                controller.map(containers).unwrap_or_default().iter().filter_map(|c| c["name"].as_str()).collect();
            check(
                snapshot_crds || !names.contains(&"csi-snapshotter"),
                format!("the NFS controller runs csi-snapshotter without the VolumeSnapshot CRDs: {names:?}"),
            );
        }
        "ingress-nginx" => {
            let ingress = lab.ingress.as_ref().expect("ingress-nginx without ingress");
            let service = find(objects, "Service", "ingress-nginx-controller");
            check(
                service.and_then(|s| s["spec"]["type"].as_str()) == Some("LoadBalancer"),
                "the ingress Service is not a LoadBalancer".into(),
            );
            if let (Some(ip), Some(lb)) = (&ingress.ip, lb) {
                // The annotation each load balancer reads for a requested address.
                let key = match lb.kind.value {
                    LoadBalancerKind::Metallb => "metallb.io/loadBalancerIPs",
                    LoadBalancerKind::Cilium => "lbipam.cilium.io/ips",
                };
                let annotations = service.map(|s| s["metadata"]["annotations"].clone()).unwrap_or_default();
                check(
                    annotations[key].as_str() == Some(&ip.value.to_string()),
                    format!("the ingress Service asks for {:?}, not {}: {annotations:?}", annotations[key], ip.value),
                );
            }
            let class = objects.iter().find(|o| o["kind"].as_str() == Some("IngressClass"));
            check(
                class
                    .and_then(|c| c["metadata"]["annotations"]["ingressclass.kubernetes.io/is-default-class"].as_str())
                    == Some("true"),
                "the IngressClass is not the default".into(),
            );
        }
        other => check(false, format!("no check of what hlc means by a {other} release: add one")),
    }
    failures
}

/// The kinds of the objects in `dir`'s YAML files whose apiVersion starts with `group`.
fn kinds_in(dir: &Path, group: &str) -> BTreeSet<String> {
    tree_files(dir, ".yaml")
        .iter()
        .flat_map(|f| yaml_documents(&std::fs::read_to_string(dir.join(f)).unwrap()))
        .filter(|o| o["apiVersion"].as_str().is_some_and(|a| a.starts_with(group)))
        .filter_map(|o| o["kind"].as_str().map(String::from))
        .collect()
}

fn storage_class_provisioners(out: &Path) -> BTreeSet<String> {
    let dir = out.join("cluster/manifests");
    tree_files(&dir, ".yaml")
        .iter()
        .flat_map(|f| yaml_documents(&std::fs::read_to_string(dir.join(f)).unwrap()))
        .filter(|o| o["kind"].as_str() == Some("StorageClass"))
        .filter_map(|o| o["provisioner"].as_str().map(String::from))
        .collect()
}

/// Subtrees of a chart's values that the chart passes on whole, so its `values.yaml` cannot list
/// their keys: (chart, key path). tigera-operator renders `installation` (but `enabled`) as the
/// Installation's spec, which the Installation CRD checks (strictly, in the live dry run).
const FREE_FORM: [(&str, &str); 1] = [("tigera-operator", "installation")];

/// Every leaf of a values tree as (dotted path, value); sequences and empty maps are leaves.
fn leaves(value: &Value, path: &str, found: &mut Vec<(String, Value)>) {
    match value.as_mapping() {
        Some(map) if !map.is_empty() => {
            for (key, child) in map {
                let key = key.as_str().unwrap();
                let path = if path.is_empty() { key.to_string() } else { format!("{path}.{key}") };
                leaves(child, &path, found);
            }
        }
        _ => found.push((path.to_string(), value.clone())),
    }
}

/// The keys of `values` the chart's `values.yaml` does not have (below a map it leaves empty, `{}`,
/// any key is fine: annotations, labels, selectors), but for [`FREE_FORM`] subtrees.
pub(crate) fn unknown_keys(release: &Release, values: &Value) -> Vec<String> {
    let text = std::fs::read_to_string(release.chart_dir().join("values.yaml")).unwrap();
    let defaults: Value = serde_yaml::from_str(&text).unwrap();
    let mut found = Vec::new();
    leaves(values, "", &mut found);
    found
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| {
            if FREE_FORM
                .iter()
                .any(|(chart, prefix)| *chart == release.chart && (path.starts_with(&format!("{prefix}."))))
            {
                return false;
            }
            let mut node = &defaults;
            for key in path.split('.') {
                match node.as_mapping() {
                    Some(map) if map.is_empty() => return false,
                    Some(map) => match map.get(key) {
                        Some(child) => node = child,
                        None => return true,
                    },
                    None => return !node.is_null(),
                }
            }
            false
        })
        .collect()
}

/// `value` changed: a bool flipped, a number plus one, a string or a sequence replaced.
fn changed(value: &Value) -> Value {
    match value {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => Value::from(n.as_i64().map_or(1, |n| n + 1)),
        Value::Sequence(items) if !items.is_empty() => Value::Sequence(Vec::new()),
        _ => Value::from("hlc-probe"),
    }
}

fn set(values: &mut Value, path: &str, value: Value) {
    let mut node = values;
    for key in path.split('.') {
        node = &mut node[key];
    }
    *node = value;
}

/// An object's identity in rendered output: kind, namespace, name.
fn identity(object: &Value) -> String {
    let metadata = &object["metadata"];
    format!(
        "{}/{}/{}",
        object["kind"].as_str().unwrap_or_default(),
        metadata["namespace"].as_str().unwrap_or_default(),
        metadata["name"].as_str().unwrap_or_default()
    )
}

/// The keys of `values` whose change leaves the rendered output as it is: values the chart ignores
/// (a change helm refuses counts as read: the chart or its schema looked at it). Objects that differ
/// between two renders of the same values (Cilium generates its CA and Hubble certificates on every
/// render) are left out of the comparison.
pub(crate) fn ignored_keys(release: &Release, values: &Value, kube_version: &str) -> Vec<String> {
    let objects = |values: &Value| render(release, values, kube_version, &[]).map(|text| yaml_documents(&text));
    let base = objects(values).unwrap_or_else(|e| panic!("{}: {e}", release.name));
    let again = objects(values).unwrap();
    let unstable: BTreeSet<String> =
        base.iter().chain(&again).filter(|o| !(base.contains(o) && again.contains(o))).map(identity).collect();
    let stable = |objects: Vec<Value>| -> Vec<Value> {
        objects.into_iter().filter(|o| !unstable.contains(&identity(o))).collect()
    };
    let base = stable(base);
    assert!(!base.is_empty(), "{}: nothing renders alike twice", release.name);
    let mut found = Vec::new();
    leaves(values, "", &mut found);
    found
        .into_iter()
        .filter(|(path, value)| {
            let mut probe = values.clone();
            set(&mut probe, path, changed(value));
            objects(&probe).is_ok_and(|objects| stable(objects) == base)
        })
        .map(|(path, _)| path)
        .collect()
}

/// Every valid lab: hlc's examples and fixtures (helm template needs no cluster, so every minor).
fn labs() -> Vec<String> {
    let labs = valid_documents();
    assert!(labs.contains(&"homelab.kdl".to_string()));
    labs
}

#[test]
fn every_release_renders_what_hlc_meant() {
    let mut charts_seen = BTreeSet::new();
    let mut failures = Vec::new();
    for input in labs() {
        let lab = lab(&input);
        let out = built(&input).join("out");
        for release in releases(&out) {
            let text = match render(&release, &release.values, &kube_version(&lab), &[]) {
                Ok(text) => text,
                Err(e) => {
                    failures.push(format!("{input}: helm template {}: {e}", release.name));
                    continue;
                }
            };
            let objects = yaml_documents(&text);
            failures.extend(
                meant(&lab, &out, &release, &objects).into_iter().map(|f| format!("{input}: {}: {f}", release.name)),
            );
            charts_seen.insert(release.chart.clone());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every chart hlc pins is rendered by some lab.
    let pinned: BTreeSet<String> =
        ["tigera-operator", "cilium", "flannel", "metallb", "rook-ceph", "csi-driver-nfs", "ingress-nginx"]
            .map(String::from)
            .into();
    assert_eq!(charts_seen, pinned, "the valid labs do not deploy every pinned chart");
}

#[test]
fn every_value_hlc_sets_is_one_the_chart_reads() {
    let mut failures = Vec::new();
    let mut checked = BTreeSet::new();
    for input in labs() {
        let lab = lab(&input);
        let out = built(&input).join("out");
        for release in releases(&out) {
            // The same values for the same chart need no second look.
            if !checked.insert((release.chart.clone(), serde_yaml::to_string(&release.values).unwrap())) {
                continue;
            }
            for key in unknown_keys(&release, &release.values) {
                failures.push(format!("{input}: {}: `{key}` is not in the chart's values.yaml", release.name));
            }
            for key in ignored_keys(&release, &release.values, &kube_version(&lab)) {
                failures.push(format!(
                    "{input}: {}: the chart ignores `{key}` (changing it changes nothing)",
                    release.name
                ));
            }
        }
    }
    assert!(failures.is_empty(), "values the charts do not read:\n{}", failures.join("\n"));
}

/// A release of a lab, by chart.
fn release_of(input: &str, chart: &str) -> (hlc::model::Lab, PathBuf, Release) {
    let out = built(input).join("out");
    let release =
        releases(&out).into_iter().find(|r| r.chart == chart).unwrap_or_else(|| panic!("{input}: no {chart}"));
    (lab(input), out, release)
}

#[test]
fn a_misspelt_key_is_reported_as_unknown_and_ignored() {
    let (lab, _, release) = release_of("homelab.kdl", "ingress-nginx");
    let mut values = release.values.clone();
    // `servise`, beside the real `service`.
    values["controller"]["servise"] = serde_yaml::from_str("{type: LoadBalancer}").unwrap();
    assert_eq!(unknown_keys(&release, &values), ["controller.servise.type"]);
    assert_eq!(ignored_keys(&release, &values, &kube_version(&lab)), ["controller.servise.type"]);
    // Cilium renders new certificates each time and takes unknown keys (its values.schema.json
    // allows them): a misspelt key is still found.
    let (lab, _, release) = release_of("fixtures/valid/cilium.kdl", "cilium");
    let mut values = release.values.clone();
    values["k8sServiseHost"] = "192.0.2.1".into();
    assert_eq!(unknown_keys(&release, &values), ["k8sServiseHost"]);
    assert_eq!(ignored_keys(&release, &values, &kube_version(&lab)), ["k8sServiseHost"]);
    // A key below a free-form map is fine for the key check, but its change must still show.
    let (lab, _, release) = release_of("homelab.kdl", "ingress-nginx");
    let mut values = release.values.clone();
    values["controller"]["service"]["annotations"]["hlc.example/probe"] = "x".into();
    assert!(unknown_keys(&release, &values).is_empty());
    assert!(ignored_keys(&release, &values, &kube_version(&lab)).is_empty());
}

#[test]
fn what_hlc_did_not_mean_is_caught() {
    // (lab, chart, values path, wrong value, a word of the failure)
    let cases: [(&str, &str, &str, Value, &str); 8] = [
        (
            "homelab.kdl",
            "tigera-operator",
            "installation.calicoNetwork.ipPools",
            serde_yaml::from_str("[{cidr: 10.99.0.0/16, encapsulation: VXLAN}]").unwrap(),
            "not pods",
        ),
        (
            "homelab.kdl",
            "tigera-operator",
            "installation.calicoNetwork.ipPools",
            serde_yaml::from_str("[{cidr: 10.233.64.0/18, encapsulation: IPIP}]").unwrap(),
            "encapsulation",
        ),
        ("fixtures/valid/cilium.kdl", "cilium", "k8sServiceHost", "192.0.2.1".into(), "API server"),
        ("fixtures/valid/cilium.kdl", "cilium", "l2announcements.enabled", false.into(), "L2 announcements"),
        (
            "fixtures/valid/cilium.kdl",
            "ingress-nginx",
            "controller.service.annotations",
            serde_yaml::from_str("{}").unwrap(),
            "asks for",
        ),
        ("homelab.kdl", "metallb", "frrk8s.enabled", true.into(), "FRR-K8s"),
        ("fixtures/valid/nfs-box.kdl", "metallb", "frrk8s.enabled", false.into(), "FRR-K8s"),
        ("fixtures/valid/keepalived-flannel.kdl", "flannel", "podCidr", "10.99.0.0/16".into(), "network"),
    ];
    for (input, chart, path, wrong, word) in cases {
        let (lab, out, release) = release_of(input, chart);
        assert!(meant(
            &lab,
            &out,
            &release,
            &yaml_documents(&render(&release, &release.values, &kube_version(&lab), &[]).unwrap())
        )
        .is_empty());
        let mut values = release.values.clone();
        set(&mut values, path, wrong);
        let objects = yaml_documents(&render(&release, &values, &kube_version(&lab), &[]).unwrap());
        let failures = meant(&lab, &out, &release, &objects);
        assert!(failures.iter().any(|f| f.contains(word)), "{input}: {chart} with a wrong {path}: {failures:?}");
    }
    // Rook without its CSI drivers, and the NFS chart with its snapshot sidecar but no CRDs.
    let (lab, out, release) = release_of("homelab.kdl", "rook-ceph");
    let mut values = release.values.clone();
    values["csi"]["enableRbdDriver"] = false.into();
    let objects = yaml_documents(&render(&release, &values, &kube_version(&lab), &[]).unwrap());
    assert!(meant(&lab, &out, &release, &objects).iter().any(|f| f.contains("RBD")));
    let (lab, out, release) = release_of("homelab.kdl", "csi-driver-nfs");
    let mut values = release.values.clone();
    values["controller"]["enableSnapshotter"] = true.into();
    let objects = yaml_documents(&render(&release, &values, &kube_version(&lab), &[]).unwrap());
    assert!(meant(&lab, &out, &release, &objects).iter().any(|f| f.contains("csi-snapshotter")));
}
