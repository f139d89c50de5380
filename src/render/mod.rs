//! Stage 5: renderers. Each module registers the steps for one target in the plan; steps read
//! the typed model (never KDL) and their inputs.

pub mod addons;
pub mod auth;
pub mod bootstrap;
pub mod charts;
pub mod cloud_init;
pub mod cni;
pub mod components;
pub mod containerd;
pub mod converge;
pub mod dnsmasq;
pub mod flux;
pub mod host;
pub mod ingress;
pub mod iso9660;
pub mod kubeadm;
pub mod kubeconfig;
pub mod load_balancer;
pub mod media;
pub mod netplan;
pub mod nfs;
pub mod node_files;
pub mod pki;
pub mod readme;
pub mod rook;
pub mod storage_classes;
pub mod vip;
pub mod yaml;

use crate::model::{Lab, SourceId};
use crate::plan::reads::LabReader;
use crate::plan::{Plan, PlanBuilder, StepError};

/// The full plan for `lab`: its sources and every renderer's steps.
pub fn plan(lab: &Lab) -> Result<Plan<'static>, StepError> {
    plan_with(lab, |_| {})
}

/// The plan with extra steps (for tests and tools that add their own).
pub fn plan_with(lab: &Lab, extra: impl FnOnce(&mut PlanBuilder<'static>)) -> Result<Plan<'static>, StepError> {
    let mut builder = PlanBuilder::default();
    for (id, span) in &lab.sources {
        builder.source(id.clone(), *span);
    }
    for node in &lab.nodes {
        if let Some(hardware) = &node.hardware {
            builder.source_edge(SourceId::Hardware(hardware.clone()), SourceId::node(&node.name.value));
        }
    }
    // Registration reads the model only to decide which steps exist and what they need; its
    // reads are not any step's.
    let lab = &LabReader::new(lab);
    node_files::register_topology(lab, &mut builder);
    pki::register(lab, &mut builder);
    kubeconfig::register(lab, &mut builder);
    readme::register(lab, &mut builder);
    dnsmasq::register(lab, &mut builder);
    netplan::register(lab, &mut builder);
    host::register_all(lab, &mut builder);
    containerd::register_all(lab, &mut builder);
    vip::register_all(lab, &mut builder);
    kubeadm::register_all(lab, &mut builder);
    converge::register_all(lab, &mut builder);
    cloud_init::register(lab, &mut builder);
    media::register(lab, &mut builder);
    addons::register(lab, &mut builder);
    auth::register(lab, &mut builder);
    flux::register(lab, &mut builder);
    bootstrap::register(lab, &mut builder);
    extra(&mut builder);
    builder.build()
}
