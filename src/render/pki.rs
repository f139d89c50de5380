//! Registers the PKI: one state step per certificate (issued or reused), the service-account
//! key pair and bootstrap token, and the files of kubeadm's layout: `pki/…` for the shared
//! material, `nodes/<node>/etc/kubernetes/pki/etcd/` for each control plane's etcd member.

use super::outputs::Output;
use crate::model::SourceId;
use crate::pki::issue::{obtain, obtain_key};
use crate::pki::keys;
use crate::pki::spec::{certificates, describe_again, CertKind, CertSpec};
use crate::plan::reads::LabReader;
use crate::plan::reads::NodeRef;
use crate::plan::RenderError;
use crate::plan::{Need, OutputFile, PlanBuilder, Product, Step};

/// The state step id of a certificate or key.
pub fn state_id(name: &str) -> String {
    format!("state:{name}")
}

pub const SERVICE_ACCOUNT: &str = "pki/sa";
pub const TOKEN: &str = "state:token";

pub fn register(lab: &LabReader, plan: &mut PlanBuilder) {
    let specs = certificates(lab);
    for spec in &specs {
        register_certificate(spec, &specs, plan);
        if let Some(path) = output_stem(spec) {
            let state = state_id(&spec.name);
            plan.step(file(&format!("{path}.crt"), false, &state, |inputs, id| {
                Ok(inputs.credential(id)?.cert_pem.clone())
            }));
            plan.step(file(&format!("{path}.key"), true, &state, |inputs, id| {
                Ok(inputs.credential(id)?.key_pem.clone())
            }));
        }
    }
    plan.step(Step {
        id: state_id(SERVICE_ACCOUNT),
        output: None,
        needs: vec![SourceId::Cluster.into()],
        produce: Box::new(|context, _| {
            let key = obtain_key("pki/sa.key", context.lab.cluster().key_type, context.state)
                .map_err(|e| RenderError::Issue(e.to_string()))?;
            Ok(Product::Value(key.serialize_pem()))
        }),
    });
    let sa = state_id(SERVICE_ACCOUNT);
    plan.step(file("pki/sa.key", true, &sa, |inputs, id| Ok(inputs.value(id)?.to_string())));
    plan.step(Step {
        id: "pki/sa.pub".into(),
        output: Some(OutputFile { path: "pki/sa.pub".into(), secret: false, executable: false }),
        needs: vec![sa.clone().into(), SourceId::Cluster.into()],
        produce: Box::new(move |context, inputs| {
            let key =
                keys::load(inputs.value(&sa)?, context.lab.cluster().key_type).map_err(|e| RenderError::Key(e.0))?;
            Ok(Product::File(keys::public_pem(&key).into_bytes()))
        }),
    });
    plan.step(Step {
        id: TOKEN.into(),
        output: None,
        // Random, kept in the state: it reads no source.
        needs: vec![],
        produce: Box::new(|context, _| {
            crate::pki::bootstrap_token(context.state).map(Product::Value).map_err(RenderError::from)
        }),
    });
}

fn register_certificate(spec: &CertSpec, specs: &[CertSpec], plan: &mut PlanBuilder) {
    let issuer =
        spec.issuer.as_ref().map(|name| specs.iter().find(|s| &s.name == name).expect("issuers are specified").clone());
    let mut needs: Vec<Need> = spec.sources.iter().cloned().map(Need::from).collect();
    needs.extend(issuer.as_ref().map(|i| Need::Step(state_id(&i.name))));
    if spec.lists_control_planes {
        needs.push(super::node_files::TOPOLOGY.into());
    }
    let own = spec.clone();
    plan.step(Step {
        id: state_id(&spec.name),
        output: None,
        needs,
        produce: Box::new(move |context, inputs| {
            let issuer = match &issuer {
                Some(spec) => Some((spec, inputs.credential(&state_id(&spec.name))?)),
                None => None,
            };
            // The spec again, through this step's reader: its SANs' reads are checked.
            let own = describe_again(&context.lab, &own);
            let credential = obtain(&own, issuer, context.lab.cluster().key_type, context.state, &context.clock)
                .map_err(|e| RenderError::Issue(e.to_string()))?;
            Ok(Product::Credential(credential))
        }),
    });
}

/// Where a certificate's files go (without `.crt`/`.key`): shared ones under their name
/// (`pki/apiserver`); an etcd member's to its node's `/etc/kubernetes/pki/etcd/<role>`;
/// kubeconfig identities have no files of their own.
pub fn output_stem(spec: &CertSpec) -> Option<String> {
    match &spec.kind {
        CertKind::Shared => Some(spec.name.clone()),
        CertKind::EtcdMember { node, role } => {
            Some(Output::NodeFile { node, target: &format!("/etc/kubernetes/pki/etcd/{role}") }.path())
        }
        CertKind::Kubeconfig { .. } | CertKind::NodeKubeconfig { .. } | CertKind::DrainKubeconfig { .. } => None,
    }
}

/// A file step whose text comes from one state step.
fn file(
    path: &str,
    secret: bool,
    state: &str,
    text: fn(&crate::plan::engine::Inputs, &str) -> Result<String, RenderError>,
) -> Step<'static> {
    let state = state.to_string();
    Step {
        id: path.to_string(),
        output: Some(OutputFile { path: path.to_string(), secret, executable: false }),
        needs: vec![state.clone().into()],
        produce: Box::new(move |_, inputs| text(inputs, &state).map(|t| Product::File(t.into_bytes()))),
    }
}

/// The PKI and kubeconfigs laid down on a control plane before kubeadm runs, so kubeadm finds
/// and keeps them; workers get only their drain credential (they join with the token and the CA
/// pin).
pub fn node_files(lab: &LabReader, node: &NodeRef) -> Vec<super::node_files::NodeFile> {
    use super::node_files::NodeFile;
    if !node.is_control_plane() {
        let target = super::outputs::DRAIN_KUBECONFIG;
        return vec![NodeFile::shared(target, &super::node_files::review_path(node, target), 0o600, true)];
    }
    let pki = |name: &str, mode: u32| NodeFile::shared(&format!("/etc/kubernetes/{name}"), name, mode, mode == 0o600);
    let mut files = Vec::new();
    for name in ["ca", "front-proxy-ca", "etcd/ca", "apiserver", "apiserver-kubelet-client", "front-proxy-client"]
        .into_iter()
        .chain(["apiserver-etcd-client", "etcd/healthcheck-client"])
    {
        files.push(pki(&format!("pki/{name}.crt"), 0o644));
        files.push(pki(&format!("pki/{name}.key"), 0o600));
    }
    files.push(pki("pki/sa.pub", 0o644));
    files.push(pki("pki/sa.key", 0o600));
    for kind in ["server", "peer"] {
        for (extension, mode) in [("crt", 0o644), ("key", 0o600)] {
            let target = format!("/etc/kubernetes/pki/etcd/{kind}.{extension}");
            files.push(NodeFile::shared(&target, &super::node_files::review_path(node, &target), mode, mode == 0o600));
        }
    }
    let admin = Output::Kubeconfig("admin").path();
    files.push(NodeFile::shared("/etc/kubernetes/admin.conf", &admin, 0o600, true));
    let first = lab.is_init_node(node);
    if first {
        let super_admin = Output::Kubeconfig("super-admin").path();
        files.push(NodeFile::shared("/etc/kubernetes/super-admin.conf", &super_admin, 0o600, true));
    }
    let mut own = vec!["controller-manager.conf", "scheduler.conf"];
    if first {
        own.push("kubelet.conf");
    }
    for conf in own {
        let target = format!("/etc/kubernetes/{conf}");
        files.push(NodeFile::shared(&target, &super::node_files::review_path(node, &target), 0o600, true));
    }
    files
}

#[cfg(test)]
mod tests {
    use crate::pki::spec::{leaf, CertKind, Usage, CA, ETCD_CA};

    #[test]
    fn etcd_member_files_go_to_their_node() {
        let mut peer = leaf("pki/etcd/node1/peer", ETCD_CA, "node1", None, Usage::ServerAndClient);
        peer.kind = CertKind::EtcdMember { node: "node1".into(), role: "peer".into() };
        assert_eq!(super::output_stem(&peer).unwrap(), "nodes/node1/etc/kubernetes/pki/etcd/peer");
        let etcd_ca = leaf(ETCD_CA, ETCD_CA, "etcd-ca", None, Usage::Ca);
        assert_eq!(super::output_stem(&etcd_ca).unwrap(), "pki/etcd/ca");
        let mut admin = leaf("kubeconfig/admin", CA, "kubernetes-admin", None, Usage::Client);
        admin.kind = CertKind::Kubeconfig { who: "admin".into() };
        assert_eq!(super::output_stem(&admin), None);
    }
}
