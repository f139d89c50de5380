//! The change plan: per node, what the new build does to it (nothing, files and restarts, a
//! Kubernetes upgrade, a new node, a removed node, a re-join), in the order the nodes must get
//! their new seeds, with what to run before and after. Computed from the previous build's lock
//! (the applied baseline) and the new one; never from the nodes themselves.

use serde::Serialize;

use std::collections::BTreeMap;

use super::baseline::NodeRecord;
use crate::write::lock::Lock;

/// Per node, the files its user-data writes: (path in the tree, path on the node). Shared files
/// (the PKI, admin.conf) live outside `nodes/<node>/`, so the plan needs this map to see them.
pub type Delivered = BTreeMap<String, Vec<(String, String)>>;

/// What one node needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NodeChange {
    /// Its seed and files are unchanged.
    Unchanged,
    /// Its seed changed: converge applies the files and restarts what reads them.
    Files { files: Vec<String>, restarts: Vec<String>, why: Vec<String> },
    /// Its Kubernetes version changes (converge runs kubeadm's upgrade).
    Upgrade { from: String, to: String, files: Vec<String> },
    /// A node the previous build did not have: boot its seed.
    New,
    /// A node the previous build had and this one does not.
    Removed,
    /// It must leave the cluster and join again (e.g. its IP changed).
    Rejoin { reason: String },
}

/// One node's part of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodePlan {
    pub node: String,
    pub role: String,
    pub init: bool,
    /// Its place in the order (1-based); `None` when it has nothing to do.
    pub order: Option<usize>,
    #[serde(flatten)]
    pub change: NodeChange,
    /// Commands to run (from the machine holding `out/`, or on the node) before it gets its seed.
    pub before: Vec<String>,
    /// What its converge does, or what to do after.
    pub then: Vec<String>,
}

/// The whole plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangePlan {
    /// `false` when there is no previous build to compare with (day 0).
    pub has_baseline: bool,
    pub nodes: Vec<NodePlan>,
    /// Steps that concern the whole cluster, before the nodes.
    pub before: Vec<String>,
    /// Steps after every node is done.
    pub after: Vec<String>,
}

/// `kubectl` with the tree's admin kubeconfig, as the plan's commands run it from `out/`'s parent.
const KUBECTL: &str = "kubectl --kubeconfig out/kubeconfig/admin.conf";

impl ChangePlan {
    /// The plan from `old` (the previous build's lock, if any) to `new`.
    pub fn between(old: Option<&Lock>, new: &Lock, delivered: &Delivered) -> ChangePlan {
        let Some(old) = old else {
            return ChangePlan { has_baseline: false, nodes: Vec::new(), before: Vec::new(), after: Vec::new() };
        };
        let old_nodes = baseline_nodes(old);
        let mut nodes: Vec<NodePlan> =
            new.nodes.iter().map(|n| plan_node(old, &old_nodes, new, n, delivered.get(&n.name))).collect();
        for removed in old_nodes.iter().filter(|o| !new.nodes.iter().any(|n| n.name == o.name)) {
            nodes.push(removed_node(removed, &new.nodes));
        }
        order(&mut nodes);
        let before = cluster_before(old, new, &nodes);
        let after = cluster_after(old, new, &nodes);
        ChangePlan { has_baseline: true, nodes, before, after }
    }

    /// Nodes with something to do, in order.
    pub fn ordered(&self) -> impl Iterator<Item = &NodePlan> {
        let mut nodes: Vec<&NodePlan> = self.nodes.iter().filter(|n| n.order.is_some()).collect();
        nodes.sort_by_key(|n| n.order);
        nodes.into_iter()
    }

    pub fn unchanged(&self) -> impl Iterator<Item = &NodePlan> {
        self.nodes.iter().filter(|n| n.change == NodeChange::Unchanged)
    }
}

/// The previous build's nodes; a lock written before `[[node]]` existed gives names only (from
/// its seed paths), so nothing is judged about their versions or addresses.
fn baseline_nodes(old: &Lock) -> Vec<NodeRecord> {
    if !old.nodes.is_empty() {
        return old.nodes.clone();
    }
    old.files
        .iter()
        .filter_map(|e| e.path.strip_prefix("nodes/")?.strip_suffix("/nocloud/user-data").map(|n| (n, e)))
        .map(|(name, entry)| NodeRecord {
            name: name.to_string(),
            role: String::new(),
            init: false,
            kubernetes: String::new(),
            ip: String::new(),
            seed: entry.blake3.clone(),
        })
        .collect()
}

fn is_control_plane(record: &NodeRecord) -> bool {
    record.role == "control-plane"
}

/// The files user-data writes on the node that differ (tree path, node path), and its
/// network-config; not its boot media, which only repackage the seed, nor the seed itself.
fn changed_files(
    old: &Lock,
    new: &Lock,
    node: &str,
    delivered: Option<&Vec<(String, String)>>,
) -> Vec<(String, String)> {
    let network = (format!("nodes/{node}/nocloud/network-config"), "network-config (netplan)".to_string());
    let mut files: Vec<(String, String)> = delivered
        .into_iter()
        .flatten()
        .cloned()
        .chain([network])
        .filter(|(path, _)| old.entry(path) != new.entry(path))
        .collect();
    files.sort();
    files.dedup();
    files
}

fn plan_node(
    old: &Lock,
    old_nodes: &[NodeRecord],
    new: &Lock,
    node: &NodeRecord,
    delivered: Option<&Vec<(String, String)>>,
) -> NodePlan {
    let mut plan = NodePlan {
        node: node.name.clone(),
        role: node.role.clone(),
        init: node.init,
        order: None,
        change: NodeChange::Unchanged,
        before: Vec::new(),
        then: Vec::new(),
    };
    let Some(before) = old_nodes.iter().find(|o| o.name == node.name) else {
        plan.change = NodeChange::New;
        plan.before.push(fresh_token_step());
        plan.then.push(format!(
            "converge installs Kubernetes {} and joins it{}",
            node.kubernetes,
            if is_control_plane(node) { " as a control plane" } else { "" }
        ));
        return plan;
    };
    if let Some(reason) = rejoin_reason(before, node) {
        plan.before = leave_steps(before, old_nodes);
        plan.before.push(format!(
            "on {name}: `sudo rm -rf /var/lib/hlc` (converge's records), or re-image it",
            name = node.name
        ));
        plan.before.push(fresh_token_step());
        plan.then.push("converge joins it again with its new address and role".into());
        plan.change = NodeChange::Rejoin { reason };
        return plan;
    }
    let changed = changed_files(old, new, &node.name, delivered);
    let files: Vec<String> = changed.iter().map(|(path, _)| path.clone()).collect();
    if !before.kubernetes.is_empty() && before.kubernetes != node.kubernetes {
        plan.then = upgrade_steps(node);
        plan.change = NodeChange::Upgrade { from: before.kubernetes.clone(), to: node.kubernetes.clone(), files };
        return plan;
    }
    if files.is_empty() && before.seed == node.seed {
        return plan;
    }
    let prefix = format!("nodes/{}/etc/", node.name);
    for gone in old.files.iter().filter(|e| e.path.starts_with(&prefix) && new.entry(&e.path).is_none()) {
        let target = &gone.path[prefix.len() - "/etc/".len()..];
        plan.then.push(format!(
            "`sudo rm {target}` on {}: no longer in its seed (cloud-init does not delete files)",
            node.name
        ));
    }
    let targets = || changed.iter().map(|(_, target)| target.as_str());
    let mut restarts: Vec<String> =
        targets().filter_map(crate::render::converge::restarted_by).map(str::to_string).collect();
    restarts.sort();
    restarts.dedup();
    let mut why: Vec<String> = targets().filter_map(why_changed).map(str::to_string).collect();
    why.sort();
    why.dedup();
    let kubeadm_configs = [crate::render::kubeadm::INIT_TARGET, crate::render::kubeadm::JOIN_TARGET];
    if targets().any(|t| kubeadm_configs.contains(&t)) {
        plan.then.push(
            "its kubeadm config changed: a member does not re-read it (kubeadm reads it at init and join); \
             settings it holds for the running node take effect when the node re-joins"
                .into(),
        );
    }
    plan.change = NodeChange::Files { files, restarts, why };
    plan
}

/// Why a node must leave and join again, if it must: the kubelet's node IP and etcd's peer URL
/// cannot be edited in place, nor can a worker become a control plane.
fn rejoin_reason(before: &NodeRecord, after: &NodeRecord) -> Option<String> {
    if !before.ip.is_empty() && before.ip != after.ip {
        return Some(format!(
            "its IP changes {} -> {}: the kubelet's node IP{} cannot change in place",
            before.ip,
            after.ip,
            if is_control_plane(after) || is_control_plane(before) { " and etcd's peer URL" } else { "" }
        ));
    }
    if !before.role.is_empty() && is_control_plane(before) != is_control_plane(after) {
        return Some(format!("its role changes {} -> {}", before.role, after.role));
    }
    None
}

/// What converge does on an upgrading node, in kubeadm's order.
fn upgrade_steps(node: &NodeRecord) -> Vec<String> {
    let version = &node.kubernetes;
    let mut steps = vec![format!("converge installs kubeadm {version}")];
    if node.init {
        steps.push(format!("runs `kubeadm upgrade apply v{version}` (the first control plane upgrades the cluster)"));
    } else if is_control_plane(node) {
        steps.push(format!("waits until the cluster reports v{version} (the first control plane's upgrade)"));
        steps.push("runs `kubeadm upgrade node`".into());
    } else {
        steps.push(format!("waits until every control plane's kubelet runs v{version}"));
        steps.push("runs `kubeadm upgrade node`".into());
    }
    steps.push(format!(
        "drains itself ({}), installs kubelet and kubectl {version}, restarts the kubelet, uncordons itself",
        if is_control_plane(node) {
            "with /etc/kubernetes/admin.conf"
        } else {
            "with its own drain-only credential /etc/hlc/drain.conf"
        }
    ));
    steps
}

/// Why a node's file changes when another node comes or goes (the known shared facts).
fn why_changed(node_path: &str) -> Option<&'static str> {
    Some(match node_path {
        "/etc/haproxy/haproxy.cfg" => "haproxy's backends list every control plane",
        "/etc/keepalived/keepalived.conf" => "keepalived's peers are the control planes",
        "/etc/exports.d/hlc.exports" => "the NFS exports allow every node's address",
        "/etc/hlc/converge" => "converge's facts changed (versions, the other control planes, the endpoint)",
        path if path.starts_with("/etc/kubernetes/pki/apiserver.") => {
            "the API server certificate names every control plane"
        }
        path if path.starts_with("/etc/kubernetes/pki/etcd/") => "etcd's certificates name the node's address",
        _ => return None,
    })
}

/// A bootstrap token for a joining node: the seed's own token, made valid for two hours.
fn fresh_token_step() -> String {
    "on the first control plane (or any): `sudo kubeadm token create \"$(sudo cat /etc/kubernetes/hlc/bootstrap-token)\" \
     --ttl 2h` (the token in the seed, valid for the join; \"already exists\" means it still is)"
        .into()
}

/// Drain, etcd member removal (control planes, by member name) and `kubectl delete node`.
/// `remaining` are the nodes one of whose etcd members can remove this node's.
fn leave_steps(node: &NodeRecord, remaining: &[NodeRecord]) -> Vec<String> {
    let name = &node.name;
    let mut steps = vec![format!("{KUBECTL} drain {name} --ignore-daemonsets --delete-emptydir-data")];
    if is_control_plane(node) {
        let other = remaining.iter().find(|o| is_control_plane(o) && o.name != *name).map(|o| o.name.clone());
        if let Some(other) = other {
            let etcdctl = format!(
                "{KUBECTL} -n kube-system exec etcd-{other} -- etcdctl --endpoints https://127.0.0.1:2379 \
                 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt \
                 --key /etc/kubernetes/pki/etcd/healthcheck-client.key"
            );
            steps.push(format!(
                "id=$({etcdctl} member list | awk -F', ' '$3 == \"{name}\" {{print $1}}') && {etcdctl} member remove \"$id\" \
                 (etcd member \"{name}\", before it is powered off, so quorum shrinks with it)"
            ));
        }
    }
    steps.push(format!(
        "on {name}: `sudo kubeadm reset -f` (stops its kubelet and static pods, so it cannot register again)"
    ));
    steps.push(format!("{KUBECTL} delete node {name}"));
    steps
}

fn removed_node(node: &NodeRecord, new_nodes: &[NodeRecord]) -> NodePlan {
    let mut then = vec![format!("power {} off, or wipe it", node.name)];
    if new_nodes.iter().any(|n| !node.ip.is_empty() && n.ip == node.ip) {
        then.push(format!("{} is reused by a new node: remove this one first", node.ip));
    }
    NodePlan {
        node: node.name.clone(),
        role: node.role.clone(),
        init: node.init,
        order: None,
        change: NodeChange::Removed,
        before: leave_steps(node, new_nodes),
        then,
    }
}

/// Numbers the nodes that have something to do: the existing ones in kubeadm's order (the first
/// control plane, the other control planes, then workers), then new nodes (control planes
/// first), then removed ones — except a removed node whose address a new node takes, first.
fn order(nodes: &mut [NodePlan]) {
    let rank = |plan: &NodePlan| -> (u8, u8) {
        let class = match plan.change {
            NodeChange::Removed if plan.then.len() > 1 => 0,
            NodeChange::Unchanged => 9,
            NodeChange::Files { .. } | NodeChange::Upgrade { .. } | NodeChange::Rejoin { .. } => 1,
            NodeChange::New => 2,
            NodeChange::Removed => 3,
        };
        let role = if plan.init {
            0
        } else if plan.role == "control-plane" {
            1
        } else {
            2
        };
        // Removed nodes: workers before control planes.
        let role = if plan.change == NodeChange::Removed { 2 - role.min(2) } else { role };
        (class, role)
    };
    let mut indices: Vec<usize> = (0..nodes.len()).collect();
    indices.sort_by_key(|i| rank(&nodes[*i]));
    let mut next = 1;
    for index in indices {
        if nodes[index].change != NodeChange::Unchanged {
            nodes[index].order = Some(next);
            next += 1;
        }
    }
}

/// Whole-cluster steps before any node: new DHCP leases first (a node with a new address must
/// get it), and a quorum note when control planes are removed.
fn cluster_before(old: &Lock, new: &Lock, nodes: &[NodePlan]) -> Vec<String> {
    let mut steps = Vec::new();
    let dhcp_changed = new
        .files
        .iter()
        .chain(&old.files)
        .any(|e| e.path.starts_with("network/dnsmasq/") && old.entry(&e.path) != new.entry(&e.path));
    if dhcp_changed {
        steps.push("install network/dnsmasq/* on your DHCP server and restart dnsmasq (new leases)".into());
    }
    if nodes.iter().any(|n| matches!(n.change, NodeChange::Upgrade { .. })) {
        steps.push(format!("{KUBECTL} get nodes: every node Ready before the upgrade starts"));
        let drainers = "cluster/manifests/node-drainers.yaml";
        if new.entry(drainers).is_some() && old.entry(drainers) != new.entry(drainers) {
            steps.push(format!(
                "{KUBECTL} apply --server-side -f out/{drainers} (the workers drain themselves with these rights: \
                 they must be in the cluster before the workers upgrade, not only after Flux syncs)"
            ));
        }
    }
    if old.nodes.is_empty() {
        steps.push(
            "the previous build's hlc.lock has no per-node records (an hlc from before day 2): versions, addresses \
             and roles were not compared this once; check them against the running cluster"
                .into(),
        );
    }
    steps
}

/// The Flux layers (directories beside `layers.yaml`) the old tree has and the new one lacks.
fn removed_layers(old: &Lock, new: &Lock) -> Vec<String> {
    let layers = |lock: &Lock| -> Option<(String, std::collections::BTreeSet<String>)> {
        let base =
            lock.files.iter().find_map(|e| e.path.strip_suffix("/layers.yaml").filter(|b| b.starts_with("flux/")))?;
        let prefix = format!("{base}/");
        let names = lock
            .files
            .iter()
            .filter_map(|e| e.path.strip_prefix(&prefix)?.split_once('/').map(|(dir, _)| dir.to_string()))
            .filter(|dir| dir != "flux-system")
            .collect();
        Some((base.to_string(), names))
    };
    match (layers(old), layers(new)) {
        (Some((old_base, old_names)), Some((new_base, new_names))) if old_base == new_base => {
            old_names.difference(&new_names).cloned().collect()
        }
        _ => Vec::new(),
    }
}

/// Whole-cluster steps after every node: Flux applies what changed under cluster/ and flux/.
fn cluster_after(old: &Lock, new: &Lock, nodes: &[NodePlan]) -> Vec<String> {
    let mut steps = Vec::new();
    let gitops_changed = new.files.iter().chain(&old.files).any(|e| {
        (e.path.starts_with("cluster/") || e.path.starts_with("flux/")) && old.entry(&e.path) != new.entry(&e.path)
    });
    if gitops_changed {
        steps.push("commit and push out/: Flux applies the changes under cluster/ and flux/".into());
    }
    let removed = removed_layers(old, new);
    if !removed.is_empty() {
        steps.push(format!(
            "Flux deletes everything the removed layer(s) {} applied (their Kustomizations prune): move or back up what must stay first",
            removed.join(", ")
        ));
    }
    if let Some(NodeChange::Upgrade { to, .. }) =
        nodes.iter().map(|n| &n.change).find(|c| matches!(c, NodeChange::Upgrade { .. }))
    {
        steps.push(format!("{KUBECTL} get nodes: every node reports v{to}"));
    }
    if nodes.iter().any(|n| n.change != NodeChange::Unchanged && n.change != NodeChange::Removed) {
        steps.push(format!(
            "after each node: `cloud-init status --wait` on it says done, and {KUBECTL} get node NAME is Ready"
        ));
    }
    steps
}
