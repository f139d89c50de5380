//! StorageClasses: RBD for block pools, CephFS for filesystems, buckets for object stores, and
//! NFS for shares (the named node's IP, or the given address). At most one is the default.

use serde_json::{json, Value};

use super::charts::merge;
use super::components::{metadata, Component};
use super::rook::NAMESPACE;
use crate::model::{CephPool, NfsServer};
use crate::plan::reads::LabReader;

const DEFAULT_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";

pub fn component(lab: &LabReader) -> Option<Component> {
    let mut classes = Vec::new();
    let mut depends_on = Vec::new();
    if let Some(ceph) = lab.ceph() {
        depends_on.push("ceph-pools");
        classes.extend(ceph.block_pools.iter().filter_map(rbd));
        classes.extend(ceph.filesystems.iter().filter_map(cephfs));
        classes.extend(ceph.object_stores.iter().filter_map(bucket));
    }
    if !lab.nfs().is_empty() {
        depends_on.push("nfs-csi");
        for share in lab.nfs() {
            classes.push(nfs(lab, share));
        }
    }
    if classes.is_empty() {
        return None;
    }
    let mut component = Component::new("storage-classes");
    component.depends_on = depends_on;
    component.manifests = classes;
    Some(component)
}

fn storage_class(name: &str, default: bool, provisioner: &str, parameters: Value) -> Value {
    let mut metadata = metadata(name, None);
    if default {
        metadata["annotations"] = json!({DEFAULT_ANNOTATION: "true"});
    }
    json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": metadata,
        "provisioner": provisioner,
        "parameters": parameters,
        "reclaimPolicy": "Delete",
        "allowVolumeExpansion": true,
    })
}

fn csi_secrets(kind: &str) -> Value {
    let mut parameters = serde_json::Map::new();
    for (key, secret) in [("provisioner", "provisioner"), ("controller-expand", "provisioner"), ("node-stage", "node")]
    {
        parameters.insert(format!("csi.storage.k8s.io/{key}-secret-name"), json!(format!("rook-csi-{kind}-{secret}")));
        parameters.insert(format!("csi.storage.k8s.io/{key}-secret-namespace"), json!(NAMESPACE));
    }
    Value::Object(parameters)
}

fn rbd(pool: &CephPool) -> Option<Value> {
    let mut parameters =
        json!({"clusterID": NAMESPACE, "pool": pool.name.value, "imageFormat": "2", "imageFeatures": "layering"});
    merge(&mut parameters, &csi_secrets("rbd"));
    parameters["csi.storage.k8s.io/fstype"] = json!("ext4");
    Some(storage_class(
        pool.storage_class.as_ref()?,
        pool.default.is_some(),
        &format!("{}.rbd.csi.ceph.com", super::rook::CSI_DRIVER_PREFIX),
        parameters,
    ))
}

fn cephfs(pool: &CephPool) -> Option<Value> {
    let name = &pool.name.value;
    let mut parameters = json!({"clusterID": NAMESPACE, "fsName": name, "pool": format!("{name}-replicated")});
    merge(&mut parameters, &csi_secrets("cephfs"));
    Some(storage_class(
        pool.storage_class.as_ref()?,
        pool.default.is_some(),
        &format!("{}.cephfs.csi.ceph.com", super::rook::CSI_DRIVER_PREFIX),
        parameters,
    ))
}

fn bucket(pool: &CephPool) -> Option<Value> {
    let parameters = json!({"objectStoreName": pool.name.value, "objectStoreNamespace": NAMESPACE});
    Some(storage_class(
        pool.storage_class.as_ref()?,
        pool.default.is_some(),
        "rook-ceph.ceph.rook.io/bucket",
        parameters,
    ))
}

fn nfs(lab: &LabReader, share: &crate::model::Nfs) -> Value {
    let server = match &share.server.value {
        NfsServer::Address(ip) => ip.to_string(),
        NfsServer::Node(name) => lab.node(name).ip().to_string(),
    };
    let mut class = storage_class(
        &share.storage_class,
        share.default.is_some(),
        super::nfs::CSI_DRIVER,
        json!({"server": server, "share": share.path.value}),
    );
    // Shares often hold data that outlives a claim: keep it when the claim goes.
    class["reclaimPolicy"] = json!("Retain");
    class["mountOptions"] = json!(["nfsvers=4.1"]);
    class
}
