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
pub mod node_drainers;
pub mod node_files;
pub mod outputs;
pub mod pki;
pub mod readme;
pub mod rook;
pub mod storage_classes;
pub mod vip;
pub mod yaml;

use crate::model::{Lab, SourceId};
use crate::plan::reads::LabReader;
use crate::plan::{Plan, PlanBuilder, StepError};

/// Every renderer's registration, in order, with its file (recorded on its steps).
#[allow(clippy::type_complexity)]
const RENDERERS: &[(&str, fn(&LabReader, &mut PlanBuilder<'static>))] = &[
    ("src/render/node_files.rs", node_files::register_topology),
    ("src/render/pki.rs", pki::register),
    ("src/render/kubeconfig.rs", kubeconfig::register),
    ("src/render/readme.rs", readme::register),
    ("src/render/dnsmasq.rs", dnsmasq::register),
    ("src/render/netplan.rs", netplan::register),
    ("src/render/host.rs", host::register_all),
    ("src/render/containerd.rs", containerd::register_all),
    ("src/render/vip.rs", vip::register_all),
    ("src/render/kubeadm.rs", kubeadm::register_all),
    ("src/render/converge.rs", converge::register_all),
    ("src/render/cloud_init.rs", cloud_init::register),
    ("src/render/media.rs", media::register),
    ("src/render/addons.rs", addons::register),
    ("src/render/auth.rs", auth::register),
    ("src/render/flux.rs", flux::register),
    ("src/render/bootstrap.rs", bootstrap::register),
];

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
            builder.source_edge(SourceId::Hardware(hardware.to_string()), SourceId::node(&node.name.value));
        }
    }
    // Registration reads the model only to decide which steps exist and what they need; its
    // reads are not any step's.
    let lab = &LabReader::new(lab);
    for (module, register) in RENDERERS {
        builder.renderer(module);
        register(lab, &mut builder);
    }
    builder.renderer("extra");
    extra(&mut builder);
    builder.build()
}
