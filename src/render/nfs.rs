//! csi-driver-nfs, for the `nfs` shares (their StorageClasses are in `storage_classes`).

use serde_json::json;

use super::charts::HelmValues;
use super::components::Component;
use crate::model::SourceId;
use crate::plan::reads::LabReader;

/// The CSI driver the NFS StorageClasses name.
pub const CSI_DRIVER: &str = "nfs.csi.k8s.io";

pub fn component(lab: &LabReader) -> Option<Component> {
    if !lab.has_nfs() {
        return None;
    }
    let mut component = Component::new("nfs-csi");
    component.depends_on = vec!["cni"];
    // No volume snapshots: neither the snapshot controller nor the controller's csi-snapshotter
    // sidecar, which would watch VolumeSnapshot CRDs nothing installs.
    let values = HelmValues::new(json!({
        "controller": {"replicas": 1, "enableSnapshotter": false},
        "externalSnapshotter": {"enabled": false},
    }))
    .setting(SourceId::Storage, json!({"driver": {"name": CSI_DRIVER}}));
    component.set_release(lab, "csi-driver-nfs", "kube-system", values);
    Some(component)
}
