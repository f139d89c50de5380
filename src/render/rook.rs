//! Rook-Ceph: the operator chart, the CephCluster (exactly the `use="ceph"` disks of each node,
//! OSD memory limits from `osd-memory`, monitors and managers on those nodes only), and the block pools, filesystems and object stores.

use serde_json::{json, Value};

use super::charts::{ceph_image, HelmValues};
use super::components::{metadata, Component, Namespace};
use crate::model::SourceId;
use crate::model::{Ceph, CephPool};
use crate::plan::reads::LabReader;

pub const NAMESPACE: &str = "rook-ceph";
/// The prefix of the Ceph CSI driver names the StorageClasses name (`rook-ceph.rbd.csi.ceph.com`).
pub const CSI_DRIVER_PREFIX: &str = "rook-ceph";

pub fn components(lab: &LabReader) -> Vec<Component> {
    let Some(ceph) = lab.ceph() else { return vec![] };
    vec![operator(lab), cluster(lab, ceph), pools(ceph)]
}

/// One of the components, described alone (what a step of that layer reads). The operator
/// reads only that Ceph is there (the `storage` block's to say), not `storage.ceph`'s values.
pub fn component(lab: &LabReader, layer: &str) -> Option<Component> {
    match layer {
        "rook-operator" => lab.has_ceph().then(|| operator(lab)),
        "ceph-cluster" => Some(cluster(lab, lab.ceph()?)),
        "ceph-pools" => Some(pools(lab.ceph()?)),
        _ => None,
    }
}

/// The Rook operator: its namespace and Helm release.
fn operator(lab: &LabReader) -> Component {
    let mut operator = Component::new("rook-operator");
    operator.depends_on = vec!["cni"];
    operator.namespace = Some(Namespace { name: NAMESPACE.into(), privileged: true });
    let replicas = lab.nodes().count().min(2);
    // The CRDs and both CSI drivers carry what hlc writes (the CephCluster, the StorageClasses).
    let values = HelmValues::new(json!({"csi": {"provisionerReplicas": replicas}, "monitoring": {"enabled": false}}))
        .setting(
            SourceId::Ceph,
            json!({"crds": {"enabled": true}, "csi": {
                "enableRbdDriver": true,
                "enableCephfsDriver": true,
                "csiDriverNamePrefix": CSI_DRIVER_PREFIX,
            }}),
        );
    operator.set_release(lab, "rook-ceph", NAMESPACE, values);
    operator
}

/// The CephCluster: its hosts are the nodes with Ceph disks, so it reads every node's disks.
fn cluster(lab: &LabReader, ceph: &Ceph) -> Component {
    let mut cluster = Component::new("ceph-cluster");
    cluster.depends_on = vec!["rook-operator"];
    cluster.manifests = vec![ceph_cluster(lab, ceph)];
    cluster
}

/// Block pools, filesystems and object stores.
fn pools(ceph: &Ceph) -> Component {
    let mut pools = Component::new("ceph-pools");
    pools.depends_on = vec!["ceph-cluster"];
    pools.manifests = ceph.block_pools.iter().map(block_pool).collect();
    pools.manifests.extend(ceph.filesystems.iter().map(filesystem));
    pools.manifests.extend(ceph.object_stores.iter().map(object_store));
    pools
}

fn ceph_cluster(lab: &LabReader, ceph: &Ceph) -> Value {
    let hosts: Vec<Value> = lab
        .nodes()
        .filter(|n| n.ceph_disks().next().is_some())
        .map(|node| {
            let devices: Vec<Value> = node.ceph_disks().map(|d| json!({"name": d.path.value})).collect();
            json!({"name": node.name(), "devices": devices})
        })
        .collect();
    let memory = ceph.osd_memory.value.to_quantity();
    let single = hosts.len() == 1;
    // Monitors and managers run where the OSDs are, never on a control plane without Ceph disks:
    // a small control plane already runs etcd, whose latency a monitor's disk writes would hurt.
    let names: Vec<&str> = hosts.iter().filter_map(|h| h["name"].as_str()).collect();
    let on_ceph_hosts = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": [{"matchExpressions": [
            {"key": "kubernetes.io/hostname", "operator": "In", "values": names},
        ]}],
    }}});
    json!({
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephCluster",
        "metadata": metadata("rook-ceph", Some(NAMESPACE)),
        "spec": {
            "cephVersion": {"image": ceph_image(), "allowUnsupported": false},
            "dataDirHostPath": "/var/lib/rook",
            "mon": {"count": lab.ceph_mons().expect("Ceph is configured"), "allowMultiplePerNode": false},
            "mgr": {"count": if single { 1 } else { 2 }, "allowMultiplePerNode": false},
            "dashboard": {"enabled": true, "ssl": true},
            // Rook sets osd_memory_target from the OSD memory limit.
            "resources": {"osd": {"requests": {"memory": memory}, "limits": {"memory": memory}}},
            "storage": {"useAllNodes": false, "useAllDevices": false, "nodes": hosts},
            // Ceph disks may sit on control planes and storage nodes: tolerate their taints.
            "placement": {
                "all": {"tolerations": [
                    {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
                    {"key": "node-role.kubernetes.io/storage", "operator": "Exists", "effect": "NoSchedule"},
                ]},
                "mon": on_ceph_hosts,
                "mgr": on_ceph_hosts,
            },
        },
    })
}

fn replicated(size: u32) -> Value {
    json!({"size": size, "requireSafeReplicaSize": size > 1})
}

fn block_pool(pool: &CephPool) -> Value {
    json!({
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephBlockPool",
        "metadata": metadata(&pool.name.value, Some(NAMESPACE)),
        "spec": {"failureDomain": "host", "replicated": replicated(pool.replicas.value)},
    })
}

fn filesystem(pool: &CephPool) -> Value {
    let size = pool.replicas.value;
    json!({
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephFilesystem",
        "metadata": metadata(&pool.name.value, Some(NAMESPACE)),
        "spec": {
            "metadataPool": {"failureDomain": "host", "replicated": replicated(size)},
            "dataPools": [{"name": "replicated", "failureDomain": "host", "replicated": replicated(size)}],
            "preserveFilesystemOnDelete": true,
            "metadataServer": {"activeCount": 1, "activeStandby": true},
        },
    })
}

fn object_store(pool: &CephPool) -> Value {
    let size = pool.replicas.value;
    json!({
        "apiVersion": "ceph.rook.io/v1",
        "kind": "CephObjectStore",
        "metadata": metadata(&pool.name.value, Some(NAMESPACE)),
        "spec": {
            "metadataPool": {"failureDomain": "host", "replicated": replicated(size)},
            "dataPool": {"failureDomain": "host", "replicated": replicated(size)},
            "preservePoolsOnDelete": true,
            "gateway": {"port": 80, "instances": 1},
        },
    })
}
