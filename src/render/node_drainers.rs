//! What a worker's drain-only credential may do (it drains and uncordons itself during a
//! Kubernetes upgrade; see `converge`): a ClusterRole for the group `hlc:node-drainers` — read
//! nodes, list pods and evict pods (cluster-wide: RBAC cannot scope evictions to a node;
//! PodDisruptionBudgets still hold), read DaemonSets — and a ValidatingAdmissionPolicy that lets
//! each member change only `spec.unschedulable` of its own Node. Never admin: no secrets, no exec,
//! no pod creation, no labels or taints, no other node's cordon.

use serde_json::{json, Value};

use super::components::{metadata, Component};
use crate::pki::spec::{DRAINERS_GROUP, DRAINER_PREFIX};
use crate::plan::reads::LabReader;

const NAME: &str = "hlc:node-drainer";
const POLICY: &str = "hlc-node-drainers-own-node";

/// The `node-drainers` layer, when the lab has nodes that are not control planes.
pub fn component(lab: &LabReader) -> Option<Component> {
    // Whether the layer exists depends on every node's role.
    if lab.nodes().all(|n| n.is_control_plane()) {
        return None;
    }
    let mut component = Component::new("node-drainers");
    component.manifests = vec![cluster_role(), binding(), policy(), policy_binding()];
    Some(component)
}

fn cluster_role() -> Value {
    let rule = |groups: &[&str], resources: &[&str], verbs: &[&str]| json!({"apiGroups": groups, "resources": resources, "verbs": verbs});
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": metadata(NAME, None),
        "rules": [
            rule(&[""], &["nodes"], &["get", "list", "patch"]),
            rule(&[""], &["pods"], &["get", "list"]),
            rule(&[""], &["pods/eviction"], &["create"]),
            rule(&["apps"], &["daemonsets"], &["get"]),
        ],
    })
}

fn binding() -> Value {
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": metadata(NAME, None),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
        "subjects": [{"kind": "Group", "name": DRAINERS_GROUP, "apiGroup": "rbac.authorization.k8s.io"}],
    })
}

/// Patching a Node is allowed to a drainer only on the Node named after it.
fn policy() -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata(POLICY, None),
        "spec": {
            "failurePolicy": "Fail",
            "matchConstraints": {"resourceRules": [{
                "apiGroups": [""], "apiVersions": ["v1"], "operations": ["UPDATE"], "resources": ["nodes"],
            }]},
            "matchConditions": [{"name": "drainer", "expression": format!("'{DRAINERS_GROUP}' in request.userInfo.groups")}],
            "validations": [
                {
                    "expression": format!("request.userInfo.username == '{DRAINER_PREFIX}' + object.metadata.name"),
                    "message": "a node's drain credential may cordon and uncordon only its own node",
                },
                {
                    // Only `spec.unschedulable`: no labels (e.g. a control-plane role), annotations
                    // or taints, which NodeRestriction also denies the kubelet on the same machine.
                    "expression": "object.metadata.?labels == oldObject.metadata.?labels && \
                                   object.metadata.?annotations == oldObject.metadata.?annotations && \
                                   object.spec.?taints == oldObject.spec.?taints",
                    "message": "a node's drain credential may change only spec.unschedulable (cordon, uncordon)",
                },
            ],
        },
    })
}

fn policy_binding() -> Value {
    json!({
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": metadata(POLICY, None),
        "spec": {"policyName": POLICY, "validationActions": ["Deny"]},
    })
}
