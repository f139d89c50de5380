//! Stage 5: renderers. Each module registers the steps for one target in the plan; steps read
//! the typed model (never KDL) and their inputs.

pub mod kubeconfig;
pub mod pki;
pub mod readme;
pub mod yaml;

use crate::model::Lab;
use crate::pki::spec::node_source;
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
            builder.source_edge(format!("hardware \"{hardware}\""), node_source(&node.name.value));
        }
    }
    pki::register(lab, &mut builder);
    kubeconfig::register(lab, &mut builder);
    readme::register(lab, &mut builder);
    extra(&mut builder);
    builder.build()
}
